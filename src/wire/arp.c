/* ARP for IPv4 over Ethernet (RFC 826). */
#include "wire.h"

#include <string.h>

#include "core/bytes.h"

enum {
    ARP_OFF_HTYPE = 0,
    ARP_OFF_PTYPE = 2,
    ARP_OFF_HLEN = 4,
    ARP_OFF_PLEN = 5,
    ARP_OFF_OP = 6,
    ARP_OFF_SHA = 8,
    ARP_OFF_SPA = 14,
    ARP_OFF_THA = 18,
    ARP_OFF_TPA = 24,
};

#define ARP_HTYPE_ETHERNET 1

/* The first six bytes of every packet this parser takes: hardware type 1 (Ethernet),
 * protocol type 0x0800, hardware length 6, protocol length 4. */
#define ARP_FIXED UINT64_C(0x000108000604)

int viv__arp_check(const uint8_t *buf, size_t len)
{
    if (len < VIV__ARP_LEN)
        return VIV__W_TRUNCATED;
    uint64_t w = viv_rd64be(buf + ARP_OFF_HTYPE); /* the fixed fields, then the operation */
    if (w >> 16 != ARP_FIXED)
        return VIV__W_UNSUPPORTED;
    uint16_t op = (uint16_t)w;
    if (op != VIV__ARP_OP_REQUEST && op != VIV__ARP_OP_REPLY)
        return VIV__W_MALFORMED;
    return op;
}

int viv__arp_parse(const uint8_t *buf, size_t len, struct viv__arp_repr *out)
{
    int op = viv__arp_check(buf, len);
    if (op < 0)
        return op;
    out->op = (uint16_t)op;
    memcpy(out->sha.b, buf + ARP_OFF_SHA, 6);
    out->spa = viv_rd32be(buf + ARP_OFF_SPA);
    memcpy(out->tha.b, buf + ARP_OFF_THA, 6);
    out->tpa = viv_rd32be(buf + ARP_OFF_TPA);
    return VIV__W_OK;
}

size_t viv__arp_len(const struct viv__arp_repr *r)
{
    (void)r;
    return VIV__ARP_LEN;
}

int viv__arp_emit(const struct viv__arp_repr *r, uint8_t *buf, size_t len)
{
    if (len != VIV__ARP_LEN)
        return VIV__W_TRUNCATED;
    viv_wr16be(buf + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    viv_wr16be(buf + ARP_OFF_PTYPE, VIV__ETHERTYPE_IPV4);
    buf[ARP_OFF_HLEN] = 6;
    buf[ARP_OFF_PLEN] = 4;
    viv_wr16be(buf + ARP_OFF_OP, r->op);
    memcpy(buf + ARP_OFF_SHA, r->sha.b, 6);
    viv_wr32be(buf + ARP_OFF_SPA, r->spa);
    memcpy(buf + ARP_OFF_THA, r->tha.b, 6);
    viv_wr32be(buf + ARP_OFF_TPA, r->tpa);
    return VIV__W_OK;
}
