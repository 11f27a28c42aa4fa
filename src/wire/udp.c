/* UDP datagrams (RFC 768). */
#include "wire.h"

#include "core/bytes.h"

enum {
    UDP_OFF_SRC = 0,
    UDP_OFF_DST = 2,
    UDP_OFF_LEN = 4,
    UDP_OFF_CKSUM = 6,
};

int viv__udp_parse_lengths(const uint8_t *buf, size_t len, struct viv__udp_repr *out)
{
    if (len < VIV__UDP_HDR_LEN)
        return VIV__W_TRUNCATED;
    uint16_t ulen = viv_rd16be(buf + UDP_OFF_LEN);
    if (ulen < VIV__UDP_HDR_LEN)
        return VIV__W_MALFORMED;
    if (ulen > len)
        return VIV__W_TRUNCATED;
    out->src_port = viv_rd16be(buf + UDP_OFF_SRC);
    out->dst_port = viv_rd16be(buf + UDP_OFF_DST);
    out->payload_len = (uint16_t)(ulen - VIV__UDP_HDR_LEN);
    return VIV__W_OK;
}

int viv__udp_parse(const uint8_t *buf, size_t len, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                   struct viv__udp_repr *out)
{
    int rc = viv__udp_parse_lengths(buf, len, out);
    if (rc < 0)
        return rc;
    size_t ulen = (size_t)out->payload_len + VIV__UDP_HDR_LEN;
    if (viv_rd16be(buf + UDP_OFF_CKSUM) != 0) {
        uint64_t acc = viv__cksum_pseudo(src_ip, dst_ip, VIV__IP_PROTO_UDP, (uint16_t)ulen);
        if (viv__cksum_finish(viv__cksum_add(acc, buf, ulen)) != 0)
            return VIV__W_CHECKSUM;
    }
    return VIV__W_OK;
}

size_t viv__udp_len(const struct viv__udp_repr *r)
{
    (void)r;
    return VIV__UDP_HDR_LEN;
}

int viv__udp_emit(const struct viv__udp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip, uint8_t *buf,
                  size_t len)
{
    size_t ulen = VIV__UDP_HDR_LEN + (size_t)r->payload_len;
    if (ulen > 0xffffu || len != ulen)
        return viv__udp_emit_sum(r, src_ip, dst_ip, buf, len, 0); /* its error */
    return viv__udp_emit_sum(r, src_ip, dst_ip, buf, len,
                             viv__cksum_add(0, buf + VIV__UDP_HDR_LEN, r->payload_len));
}

int viv__udp_emit_sum(const struct viv__udp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                      uint8_t *buf, size_t len, uint64_t payload_sum)
{
    size_t ulen = VIV__UDP_HDR_LEN + (size_t)r->payload_len;
    if (ulen > 0xffffu)
        return VIV__W_MALFORMED;
    if (len != ulen)
        return VIV__W_TRUNCATED;
    viv_wr16be(buf + UDP_OFF_SRC, r->src_port);
    viv_wr16be(buf + UDP_OFF_DST, r->dst_port);
    viv_wr16be(buf + UDP_OFF_LEN, (uint16_t)ulen);
    viv_wr16be(buf + UDP_OFF_CKSUM, 0);
    /* The header's words are summed from the fields (the checksum field is 0), not read back
     * from buf; the sum is never zero (the protocol is in it), so its fold is the one a
     * word-by-word sum gives. */
    uint64_t acc = viv__cksum_pseudo(src_ip, dst_ip, VIV__IP_PROTO_UDP, (uint16_t)ulen) +
                   r->src_port + r->dst_port + ulen + payload_sum;
    uint16_t ck = viv__cksum_finish(acc);
    viv_wr16be(buf + UDP_OFF_CKSUM, ck == 0 ? 0xffff : ck);
    return VIV__W_OK;
}
