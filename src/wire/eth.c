/* Ethernet II frames. */
#include "wire.h"

#include <string.h>

#include "core/bytes.h"

enum {
    ETH_OFF_DST = 0,
    ETH_OFF_SRC = 6,
    ETH_OFF_TYPE = 12,
};

/* Values of the type field below this are 802.3 lengths, not ethertypes. */
#define ETH_MIN_ETHERTYPE 0x0600

int viv__eth_type(const uint8_t *buf, size_t len)
{
    if (len < VIV__ETH_HDR_LEN)
        return VIV__W_TRUNCATED;
    uint16_t type = viv_rd16be(buf + ETH_OFF_TYPE);
    if (type == VIV__ETHERTYPE_IPV4 || type == VIV__ETHERTYPE_ARP)
        return type; /* nearly every frame: one test each */
    if (type == VIV__ETHERTYPE_VLAN || type == VIV__ETHERTYPE_QINQ || type < ETH_MIN_ETHERTYPE)
        return VIV__W_UNSUPPORTED;
    return type;
}

int viv__eth_parse(const uint8_t *buf, size_t len, struct viv__eth_repr *out)
{
    int type = viv__eth_type(buf, len);
    if (type < 0)
        return type;
    memcpy(out->dst.b, buf + ETH_OFF_DST, 6);
    memcpy(out->src.b, buf + ETH_OFF_SRC, 6);
    out->ethertype = (uint16_t)type;
    return VIV__W_OK;
}

size_t viv__eth_len(const struct viv__eth_repr *r)
{
    (void)r;
    return VIV__ETH_HDR_LEN;
}

void viv__eth_write(uint8_t *buf, const viv_mac_t *dst, const viv_mac_t *src, uint16_t ethertype)
{
    memcpy(buf + ETH_OFF_DST, dst->b, 6);
    memcpy(buf + ETH_OFF_SRC, src->b, 6);
    viv_wr16be(buf + ETH_OFF_TYPE, ethertype);
}

int viv__eth_emit(const struct viv__eth_repr *r, uint8_t *buf, size_t len)
{
    if (len < VIV__ETH_HDR_LEN)
        return VIV__W_TRUNCATED;
    viv__eth_write(buf, &r->dst, &r->src, r->ethertype);
    return VIV__W_OK;
}

size_t viv__eth_pad_len(size_t payload_len)
{
    size_t min_payload = VIV__ETH_MIN_FRAME - VIV__ETH_HDR_LEN;
    return payload_len < min_payload ? min_payload - payload_len : 0;
}
