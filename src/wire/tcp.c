/* TCP segments (RFC 9293) and their options. */
#include "wire.h"

#include <string.h>

#include "core/bytes.h"

enum {
    TCP_OFF_SRC = 0,
    TCP_OFF_DST = 2,
    TCP_OFF_SEQ = 4,
    TCP_OFF_ACK = 8,
    TCP_OFF_DOFF = 12, /* data offset in the high nibble */
    TCP_OFF_FLAGS = 13,
    TCP_OFF_WINDOW = 14,
    TCP_OFF_CKSUM = 16,
    TCP_OFF_URGENT = 18,
    TCP_OFF_OPTIONS = 20,
};

/* Option lengths, kind and length bytes included. */
enum {
    TCP_OPTLEN_MSS = 4,
    TCP_OPTLEN_WSCALE = 3,
    TCP_OPTLEN_SACK_PERM = 2,
    TCP_OPTLEN_TS = 10,
    TCP_OPTLEN_SACK_BLOCK = 8,
};

/* Read the options in opt[0 .. n). */
static int tcp_parse_options(const uint8_t *opt, size_t n, struct viv__tcp_repr *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = opt[i];
        if (kind == VIV__TCP_OPT_EOL)
            break;
        if (kind == VIV__TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (n - i < 2)
            return VIV__W_MALFORMED; /* the length byte is past the header */
        size_t olen = opt[i + 1];
        if (olen < 2 || olen > n - i)
            return VIV__W_MALFORMED;
        const uint8_t *v = opt + i + 2; /* the option's value: olen - 2 bytes */
        switch (kind) {
        case VIV__TCP_OPT_MSS:
            if (olen != TCP_OPTLEN_MSS)
                return VIV__W_MALFORMED;
            out->mss = viv_rd16be(v);
            break;
        case VIV__TCP_OPT_WSCALE:
            if (olen != TCP_OPTLEN_WSCALE)
                return VIV__W_MALFORMED;
            out->wscale_present = true;
            out->wscale = v[0];
            break;
        case VIV__TCP_OPT_SACK_PERM:
            if (olen != TCP_OPTLEN_SACK_PERM)
                return VIV__W_MALFORMED;
            out->sack_permitted = true;
            break;
        case VIV__TCP_OPT_SACK: {
            size_t nblocks = (olen - 2) / TCP_OPTLEN_SACK_BLOCK;
            if (nblocks == 0 || (olen - 2) % TCP_OPTLEN_SACK_BLOCK != 0 ||
                nblocks > VIV__TCP_MAX_SACK)
                return VIV__W_MALFORMED;
            for (size_t b = 0; b < nblocks; b++) {
                out->sack[b].left = viv_rd32be(v + b * TCP_OPTLEN_SACK_BLOCK);
                out->sack[b].right = viv_rd32be(v + b * TCP_OPTLEN_SACK_BLOCK + 4);
            }
            out->sack_count = (uint8_t)nblocks;
            break;
        }
        case VIV__TCP_OPT_TS:
            if (olen != TCP_OPTLEN_TS)
                return VIV__W_MALFORMED;
            out->ts_present = true;
            out->tsval = viv_rd32be(v);
            out->tsecr = viv_rd32be(v + 4);
            break;
        default:
            break; /* unknown: skipped by its length */
        }
        i += olen;
    }
    return VIV__W_OK;
}

/* The checks of viv__tcp_parse, in its order; the checksum only if verify. Inlined in both
 * entries, so that the trusted one (every segment a vivarium stack sent) is one call. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((always_inline))
#endif
static inline int
tcp_parse(const uint8_t *buf, size_t len, viv_ip4_t src_ip, viv_ip4_t dst_ip,
          struct viv__tcp_repr *out, bool verify)
{
    if (len < VIV__TCP_HDR_LEN)
        return VIV__W_TRUNCATED;
    size_t hdr_len = (size_t)(buf[TCP_OFF_DOFF] >> 4) * 4;
    if (hdr_len < VIV__TCP_HDR_LEN)
        return VIV__W_MALFORMED;
    if (hdr_len > len)
        return VIV__W_TRUNCATED;
    if (len > 0xffffu)
        return VIV__W_MALFORMED; /* the pseudo-header cannot express the length */
    if (verify) {
        uint64_t acc = viv__cksum_pseudo(src_ip, dst_ip, VIV__IP_PROTO_TCP, (uint16_t)len);
        if (viv__cksum_finish(viv__cksum_add(acc, buf, len)) != 0)
            return VIV__W_CHECKSUM;
    }

    out->mss = 0;
    out->wscale_present = false;
    out->wscale = 0;
    out->sack_permitted = false;
    out->sack_count = 0;
    const uint8_t *opt = buf + TCP_OFF_OPTIONS;
    if (hdr_len == TCP_OFF_OPTIONS + 12 &&
        viv_rd32be(opt) == ((uint32_t)VIV__TCP_OPT_NOP << 24 | (uint32_t)VIV__TCP_OPT_NOP << 16 |
                            (uint32_t)VIV__TCP_OPT_TS << 8 | TCP_OPTLEN_TS)) {
        /* Timestamps alone, as every synchronized segment of Linux and vivarium carries
         * them (RFC 7323 appendix A's layout): what the walk would read, without it. */
        out->ts_present = true;
        out->tsval = viv_rd32be(opt + 4);
        out->tsecr = viv_rd32be(opt + 8);
    } else {
        out->ts_present = false;
        out->tsval = 0;
        out->tsecr = 0;
        int rc = tcp_parse_options(opt, hdr_len - TCP_OFF_OPTIONS, out);
        if (rc != VIV__W_OK)
            return rc;
    }
    out->src_port = viv_rd16be(buf + TCP_OFF_SRC);
    out->dst_port = viv_rd16be(buf + TCP_OFF_DST);
    out->seq = viv_rd32be(buf + TCP_OFF_SEQ);
    out->ack = viv_rd32be(buf + TCP_OFF_ACK);
    out->flags = buf[TCP_OFF_FLAGS];
    out->window = viv_rd16be(buf + TCP_OFF_WINDOW);
    out->urgent = viv_rd16be(buf + TCP_OFF_URGENT);
    out->payload_off = (uint16_t)hdr_len;
    out->payload_len = len - hdr_len;
    return VIV__W_OK;
}

int viv__tcp_parse(const uint8_t *buf, size_t len, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                   struct viv__tcp_repr *out)
{
    return tcp_parse(buf, len, src_ip, dst_ip, out, true);
}

int viv__tcp_parse_trusted(const uint8_t *buf, size_t len, struct viv__tcp_repr *out)
{
    return tcp_parse(buf, len, 0, 0, out, false);
}

/* Bytes of the options emit writes (a multiple of 4). */
static size_t tcp_options_len(const struct viv__tcp_repr *r)
{
    size_t n = 0;
    if (r->mss)
        n += 4;
    if (r->ts_present)
        n += 12; /* SACK-permitted (or two NOPs) and timestamps */
    else if (r->sack_permitted)
        n += 4; /* two NOPs and SACK-permitted */
    if (r->wscale_present)
        n += 4; /* NOP and window scale */
    if (r->sack_count)
        n += 4 + (size_t)r->sack_count * TCP_OPTLEN_SACK_BLOCK; /* two NOPs, SACK */
    return n;
}

size_t viv__tcp_len(const struct viv__tcp_repr *r)
{
    return VIV__TCP_HDR_LEN + tcp_options_len(r);
}

int viv__tcp_emit(const struct viv__tcp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip, uint8_t *buf,
                  size_t len)
{
    return viv__tcp_emit_hl(r, viv__tcp_len(r), src_ip, dst_ip, buf, len);
}

int viv__tcp_emit_hl(const struct viv__tcp_repr *r, size_t hdr_len, viv_ip4_t src_ip,
                     viv_ip4_t dst_ip, uint8_t *buf, size_t len)
{
    if (hdr_len > VIV__TCP_MAX_HDR_LEN || r->sack_count > VIV__TCP_MAX_SACK ||
        hdr_len + r->payload_len > 0xffffu)
        return VIV__W_MALFORMED;
    if (len != hdr_len + r->payload_len)
        return VIV__W_TRUNCATED;
    viv_wr16be(buf + TCP_OFF_SRC, r->src_port);
    viv_wr16be(buf + TCP_OFF_DST, r->dst_port);
    viv_wr32be(buf + TCP_OFF_SEQ, r->seq);
    viv_wr32be(buf + TCP_OFF_ACK, r->ack);
    buf[TCP_OFF_DOFF] = (uint8_t)(hdr_len / 4 << 4);
    buf[TCP_OFF_FLAGS] = r->flags;
    viv_wr16be(buf + TCP_OFF_WINDOW, r->window);
    viv_wr16be(buf + TCP_OFF_CKSUM, 0);
    viv_wr16be(buf + TCP_OFF_URGENT, r->urgent);

    uint8_t *o = buf + TCP_OFF_OPTIONS;
    if (r->mss) {
        o[0] = VIV__TCP_OPT_MSS;
        o[1] = TCP_OPTLEN_MSS;
        viv_wr16be(o + 2, r->mss);
        o += 4;
    }
    if (r->ts_present) {
        if (r->sack_permitted) {
            o[0] = VIV__TCP_OPT_SACK_PERM;
            o[1] = TCP_OPTLEN_SACK_PERM;
        } else {
            o[0] = o[1] = VIV__TCP_OPT_NOP;
        }
        o[2] = VIV__TCP_OPT_TS;
        o[3] = TCP_OPTLEN_TS;
        viv_wr32be(o + 4, r->tsval);
        viv_wr32be(o + 8, r->tsecr);
        o += 12;
    } else if (r->sack_permitted) {
        o[0] = o[1] = VIV__TCP_OPT_NOP;
        o[2] = VIV__TCP_OPT_SACK_PERM;
        o[3] = TCP_OPTLEN_SACK_PERM;
        o += 4;
    }
    if (r->wscale_present) {
        o[0] = VIV__TCP_OPT_NOP;
        o[1] = VIV__TCP_OPT_WSCALE;
        o[2] = TCP_OPTLEN_WSCALE;
        o[3] = r->wscale;
        o += 4;
    }
    if (r->sack_count) {
        o[0] = o[1] = VIV__TCP_OPT_NOP;
        o[2] = VIV__TCP_OPT_SACK;
        o[3] = (uint8_t)(2 + r->sack_count * TCP_OPTLEN_SACK_BLOCK);
        o += 4;
        for (size_t b = 0; b < r->sack_count; b++) {
            viv_wr32be(o, r->sack[b].left);
            viv_wr32be(o + 4, r->sack[b].right);
            o += TCP_OPTLEN_SACK_BLOCK;
        }
    }

    uint64_t acc = viv__cksum_pseudo(src_ip, dst_ip, VIV__IP_PROTO_TCP, (uint16_t)len);
    viv_wr16be(buf + TCP_OFF_CKSUM, viv__cksum_finish(viv__cksum_add(acc, buf, len)));
    return VIV__W_OK;
}

/* ---- prebuilt headers ------------------------------------------------------------------ */

/* The 16-bit words of the option layout "NOP, NOP, TS, 10". */
#define TCP_TPL_TS_WORD0 ((uint32_t)VIV__TCP_OPT_NOP << 8 | VIV__TCP_OPT_NOP)
#define TCP_TPL_TS_WORD1 ((uint32_t)VIV__TCP_OPT_TS << 8 | TCP_OPTLEN_TS)

void viv__tcp_tpl_init(viv__tcp_tpl *t, viv_ip4_t src_ip, uint16_t src_port, viv_ip4_t dst_ip,
                       uint16_t dst_port, bool ts)
{
    memset(t, 0, sizeof(*t));
    t->len = (uint8_t)(ts ? TCP_OFF_OPTIONS + 12 : TCP_OFF_OPTIONS);
    viv_wr16be(t->b + TCP_OFF_SRC, src_port);
    viv_wr16be(t->b + TCP_OFF_DST, dst_port);
    t->b[TCP_OFF_DOFF] = (uint8_t)(t->len / 4 << 4);
    /* The pseudo-header (its length is added per segment), the ports, the data offset's half
     * of its word (the flags are the other half); the checksum and urgent pointer are 0. */
    t->sum = viv__cksum_pseudo(src_ip, dst_ip, VIV__IP_PROTO_TCP, 0) + src_port + dst_port +
             ((uint32_t)t->b[TCP_OFF_DOFF] << 8);
    if (ts) {
        uint8_t *o = t->b + TCP_OFF_OPTIONS;
        o[0] = o[1] = VIV__TCP_OPT_NOP;
        o[2] = VIV__TCP_OPT_TS;
        o[3] = TCP_OPTLEN_TS;
        t->sum += TCP_TPL_TS_WORD0 + TCP_TPL_TS_WORD1;
    }
}

void viv__tcp_tpl_emit(const viv__tcp_tpl *t, const struct viv__tcp_repr *r, uint8_t *buf)
{
    viv__tcp_tpl_emit_sum(t, r, buf,
                          r->payload_len ? viv__cksum_add(0, buf + t->len, r->payload_len) : 0);
}

void viv__tcp_tpl_emit_sum(const viv__tcp_tpl *t, const struct viv__tcp_repr *r, uint8_t *buf,
                           uint64_t payload_sum)
{
    /* The sum of the header's words is the template's and the fields', so the header is not
     * summed again, and the payload's sum comes from the caller. The one's complement sum
     * does not depend on how the words are grouped, and a 32-bit field counts as its two
     * halves (2^16 is 1 modulo 0xffff), so the fields are added whole; the sum is never zero
     * (the protocol is in it), so its fold is the one a word-by-word sum gives. */
    uint64_t acc = t->sum + t->len + (uint64_t)r->payload_len + r->flags + (uint64_t)r->seq +
                   r->ack + r->window + payload_sum;
    if (t->len == TCP_OFF_OPTIONS + 12) {
        memcpy(buf, t->b, TCP_OFF_OPTIONS + 12);
        viv_wr32be(buf + TCP_OFF_OPTIONS + 4, r->tsval);
        viv_wr32be(buf + TCP_OFF_OPTIONS + 8, r->tsecr);
        acc += (uint64_t)r->tsval + r->tsecr;
    } else {
        memcpy(buf, t->b, TCP_OFF_OPTIONS);
    }
    viv_wr32be(buf + TCP_OFF_SEQ, r->seq);
    viv_wr32be(buf + TCP_OFF_ACK, r->ack);
    buf[TCP_OFF_FLAGS] = r->flags;
    viv_wr16be(buf + TCP_OFF_WINDOW, r->window);
    viv_wr16be(buf + TCP_OFF_CKSUM, viv__cksum_finish(acc));
}
