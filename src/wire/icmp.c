/* ICMPv4 messages (RFC 792, RFC 1191). */
#include "wire.h"

#include <stdbool.h>
#include <string.h>

#include "core/bytes.h"

enum {
    ICMP_OFF_TYPE = 0,
    ICMP_OFF_CODE = 1,
    ICMP_OFF_CKSUM = 2,
    ICMP_OFF_REST = 4,    /* the raw body of an unknown type starts here */
    ICMP_OFF_IDENT = 4,   /* echo */
    ICMP_OFF_SEQ = 6,     /* echo */
    ICMP_OFF_MTU = 6,     /* destination unreachable, fragmentation needed */
    ICMP_OFF_POINTER = 4, /* parameter problem */
    ICMP_OFF_DATA = 8,    /* echo data or the quote */
};

static bool icmp_type_known(uint8_t type)
{
    return type == VIV__ICMP_ECHO_REPLY || type == VIV__ICMP_ECHO_REQUEST ||
           type == VIV__ICMP_DEST_UNREACH || type == VIV__ICMP_TIME_EXCEEDED ||
           type == VIV__ICMP_PARAM_PROBLEM;
}

bool viv__icmp_is_error(uint8_t type)
{
    return type == VIV__ICMP_DEST_UNREACH || type == 4 /* source quench */ ||
           type == 5 /* redirect */ || type == VIV__ICMP_TIME_EXCEEDED ||
           type == VIV__ICMP_PARAM_PROBLEM;
}

int viv__icmp_parse(const uint8_t *buf, size_t len, struct viv__icmp_repr *out)
{
    if (len < VIV__ICMP_HDR_LEN)
        return VIV__W_TRUNCATED;
    if (viv__cksum(buf, len) != 0)
        return VIV__W_CHECKSUM;
    uint8_t type = buf[ICMP_OFF_TYPE];
    uint8_t code = buf[ICMP_OFF_CODE];
    bool is_error = type == VIV__ICMP_DEST_UNREACH || type == VIV__ICMP_TIME_EXCEEDED ||
                    type == VIV__ICMP_PARAM_PROBLEM;
    if (is_error && len - ICMP_OFF_DATA < VIV__ICMP_MIN_QUOTE)
        return VIV__W_MALFORMED;

    out->type = type;
    out->code = code;
    out->ident = 0;
    out->seq = 0;
    out->next_hop_mtu = 0;
    out->pointer = 0;
    if (!icmp_type_known(type)) {
        out->data = buf + ICMP_OFF_REST;
        out->data_len = len - ICMP_OFF_REST;
        return VIV__W_UNSUPPORTED;
    }
    if (type == VIV__ICMP_ECHO_REQUEST || type == VIV__ICMP_ECHO_REPLY) {
        out->ident = viv_rd16be(buf + ICMP_OFF_IDENT);
        out->seq = viv_rd16be(buf + ICMP_OFF_SEQ);
    } else if (type == VIV__ICMP_DEST_UNREACH && code == VIV__ICMP_UNREACH_FRAG_NEEDED) {
        out->next_hop_mtu = viv_rd16be(buf + ICMP_OFF_MTU);
    } else if (type == VIV__ICMP_PARAM_PROBLEM) {
        out->pointer = buf[ICMP_OFF_POINTER];
    }
    out->data = buf + ICMP_OFF_DATA;
    out->data_len = len - ICMP_OFF_DATA;
    return VIV__W_OK;
}

size_t viv__icmp_len(const struct viv__icmp_repr *r)
{
    return (icmp_type_known(r->type) ? ICMP_OFF_DATA : ICMP_OFF_REST) + r->data_len;
}

int viv__icmp_emit(const struct viv__icmp_repr *r, uint8_t *buf, size_t len)
{
    if (len != viv__icmp_len(r))
        return VIV__W_TRUNCATED;
    buf[ICMP_OFF_TYPE] = r->type;
    buf[ICMP_OFF_CODE] = r->code;
    viv_wr16be(buf + ICMP_OFF_CKSUM, 0);
    size_t off = ICMP_OFF_DATA;
    switch (r->type) {
    case VIV__ICMP_ECHO_REQUEST:
    case VIV__ICMP_ECHO_REPLY:
        viv_wr16be(buf + ICMP_OFF_IDENT, r->ident);
        viv_wr16be(buf + ICMP_OFF_SEQ, r->seq);
        break;
    case VIV__ICMP_DEST_UNREACH:
        viv_wr32be(buf + ICMP_OFF_REST, 0);
        if (r->code == VIV__ICMP_UNREACH_FRAG_NEEDED)
            viv_wr16be(buf + ICMP_OFF_MTU, r->next_hop_mtu);
        break;
    case VIV__ICMP_TIME_EXCEEDED:
        viv_wr32be(buf + ICMP_OFF_REST, 0);
        break;
    case VIV__ICMP_PARAM_PROBLEM:
        viv_wr32be(buf + ICMP_OFF_REST, 0);
        buf[ICMP_OFF_POINTER] = r->pointer;
        break;
    default:
        off = ICMP_OFF_REST;
        break;
    }
    if (r->data_len && r->data != buf + off) /* data already in place needs no copy */
        memmove(buf + off, r->data, r->data_len);
    viv_wr16be(buf + ICMP_OFF_CKSUM, viv__cksum(buf, len));
    return VIV__W_OK;
}
