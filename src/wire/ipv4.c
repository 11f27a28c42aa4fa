/* IPv4 headers (RFC 791). */
#include "wire.h"

#include <assert.h>

#include "core/bytes.h"

enum {
    IPV4_OFF_VER_IHL = 0,
    IPV4_OFF_TOS = 1,
    IPV4_OFF_TOTAL_LEN = 2,
    IPV4_OFF_IDENT = 4,
    IPV4_OFF_FLAGS_FRAG = 6,
    IPV4_OFF_TTL = 8,
    IPV4_OFF_PROTO = 9,
    IPV4_OFF_CKSUM = 10,
    IPV4_OFF_SRC = 12,
    IPV4_OFF_DST = 16,
};

#define IPV4_FLAG_DF 0x4000u
#define IPV4_FLAG_MF 0x2000u
#define IPV4_FRAG_MASK 0x1fffu

int viv__ipv4_parse(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out)
{
    if (len < VIV__IPV4_HDR_LEN)
        return VIV__W_TRUNCATED;
    uint8_t ver_ihl = buf[IPV4_OFF_VER_IHL];
    if (ver_ihl >> 4 != 4)
        return VIV__W_MALFORMED;
    size_t hdr_len = (size_t)(ver_ihl & 0x0f) * 4;
    if (hdr_len < VIV__IPV4_HDR_LEN)
        return VIV__W_MALFORMED;
    if (hdr_len > len)
        return VIV__W_TRUNCATED;
    size_t total = viv_rd16be(buf + IPV4_OFF_TOTAL_LEN);
    if (total < hdr_len)
        return VIV__W_MALFORMED;
    if (total > len)
        return VIV__W_TRUNCATED;
    if (viv__cksum(buf, hdr_len) != 0)
        return VIV__W_CHECKSUM;

    uint8_t tos = buf[IPV4_OFF_TOS];
    uint16_t ff = viv_rd16be(buf + IPV4_OFF_FLAGS_FRAG);
    out->src = viv_rd32be(buf + IPV4_OFF_SRC);
    out->dst = viv_rd32be(buf + IPV4_OFF_DST);
    out->proto = buf[IPV4_OFF_PROTO];
    out->ttl = buf[IPV4_OFF_TTL];
    out->dscp = tos >> 2;
    out->ecn = tos & 3;
    out->ident = viv_rd16be(buf + IPV4_OFF_IDENT);
    out->dont_frag = (ff & IPV4_FLAG_DF) != 0;
    out->more_frags = (ff & IPV4_FLAG_MF) != 0;
    out->frag_offset = (uint16_t)((ff & IPV4_FRAG_MASK) * 8u);
    out->hdr_len = (uint8_t)hdr_len;
    out->payload_len = (uint16_t)(total - hdr_len);
    return VIV__W_OK;
}

size_t viv__ipv4_len(const struct viv__ipv4_repr *r)
{
    (void)r;
    return VIV__IPV4_HDR_LEN;
}

int viv__ipv4_emit(const struct viv__ipv4_repr *r, uint8_t *buf, size_t len)
{
    size_t total = VIV__IPV4_HDR_LEN + (size_t)r->payload_len;
    if (total > VIV__IPV4_MAX_LEN)
        return VIV__W_MALFORMED;
    if (len != total)
        return VIV__W_TRUNCATED;
    assert(r->frag_offset % 8 == 0);
    uint16_t ff = (uint16_t)((r->frag_offset / 8u) & IPV4_FRAG_MASK);
    if (r->dont_frag)
        ff |= IPV4_FLAG_DF;
    if (r->more_frags)
        ff |= IPV4_FLAG_MF;
    buf[IPV4_OFF_VER_IHL] = 0x45;
    buf[IPV4_OFF_TOS] = (uint8_t)((r->dscp & 0x3f) << 2 | (r->ecn & 3));
    viv_wr16be(buf + IPV4_OFF_TOTAL_LEN, (uint16_t)total);
    viv_wr16be(buf + IPV4_OFF_IDENT, r->ident);
    viv_wr16be(buf + IPV4_OFF_FLAGS_FRAG, ff);
    buf[IPV4_OFF_TTL] = r->ttl;
    buf[IPV4_OFF_PROTO] = r->proto;
    viv_wr16be(buf + IPV4_OFF_CKSUM, 0);
    viv_wr32be(buf + IPV4_OFF_SRC, r->src);
    viv_wr32be(buf + IPV4_OFF_DST, r->dst);
    viv_wr16be(buf + IPV4_OFF_CKSUM, viv__cksum(buf, VIV__IPV4_HDR_LEN));
    return VIV__W_OK;
}

uint8_t viv__ipv4_dec_ttl(uint8_t *hdr)
{
    uint8_t ttl = hdr[IPV4_OFF_TTL];
    if (ttl == 0)
        return 0;
    /* TTL and protocol share the 16-bit word at offset 8. */
    uint16_t old_word = viv_rd16be(hdr + IPV4_OFF_TTL);
    uint16_t new_word = (uint16_t)(old_word - 0x100u);
    hdr[IPV4_OFF_TTL] = (uint8_t)(ttl - 1);
    uint16_t ck = viv_rd16be(hdr + IPV4_OFF_CKSUM);
    viv_wr16be(hdr + IPV4_OFF_CKSUM, viv__cksum_update16(ck, old_word, new_word));
    return (uint8_t)(ttl - 1);
}

enum viv__ipv4_frag viv__ipv4_frag_kind(const struct viv__ipv4_repr *r)
{
    if (r->frag_offset != 0)
        return VIV__IPV4_FRAG_LATER;
    return r->more_frags ? VIV__IPV4_FRAG_FIRST : VIV__IPV4_WHOLE;
}
