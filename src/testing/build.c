/* Frame builders (vivarium/wire.h): every header is emitted by src/wire (viv__*_emit), the
 * code the simulated hosts use; overrides are applied afterwards by writing the field, then
 * recomputing the checksums that cover it (unless the checksum itself is overridden), with
 * src/wire's checksum functions. */
#include <string.h>

#include "core/bytes.h"
#include "kit.h"
#include "wire/wire.h"

#define ETH_HDR VIV__ETH_HDR_LEN

/* Lay out a frame: Ethernet header (if eth), a packet of pkt_len bytes, padding. Returns the
 * offset of the packet, or a negative code; *total_out receives the frame's length. */
static int frame_layout(size_t cap, const viv_wire_eth *eth, size_t pkt_len, size_t *total_out)
{
    size_t off = eth ? ETH_HDR : 0;
    size_t total = off + pkt_len;
    if (eth && !eth->no_pad && total < VIV__ETH_MIN_FRAME)
        total = VIV__ETH_MIN_FRAME;
    if (total > cap)
        return VIV_ENOSPC;
    *total_out = total;
    return (int)off;
}

/* Write the Ethernet header and the padding around a packet already in place. */
static void frame_finish(uint8_t *buf, const viv_wire_eth *eth, uint16_t type, size_t pkt_len,
                         size_t total)
{
    if (!eth)
        return;
    struct viv__eth_repr r;
    r.dst = eth->dst;
    r.src = eth->src;
    r.ethertype = eth->ethertype ? eth->ethertype : type;
    viv__eth_emit(&r, buf, total);
    memset(buf + ETH_HDR + pkt_len, 0, total - ETH_HDR - pkt_len);
}

static void put_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (!n)
        return;
    if (src)
        memmove(dst, src, n);
    else
        memset(dst, 0, n);
}

int viv_wire_eth_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const uint8_t *payload,
                       size_t len)
{
    if (!buf || !eth || len > VIV_WIRE_FRAME_MAX)
        return VIV_EINVAL;
    size_t total;
    int off = frame_layout(cap, eth, len, &total);
    if (off < 0)
        return off;
    put_bytes(buf + off, payload, len);
    frame_finish(buf, eth, eth->ethertype, len, total);
    return (int)total;
}

int viv_wire_arp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const viv_wire_arp *arp)
{
    if (!buf || !arp)
        return VIV_EINVAL;
    size_t total;
    int off = frame_layout(cap, eth, VIV__ARP_LEN, &total);
    if (off < 0)
        return off;
    struct viv__arp_repr r = {arp->op, arp->sha, arp->spa, arp->tha, arp->tpa};
    if (viv__arp_emit(&r, buf + off, VIV__ARP_LEN) != VIV__W_OK)
        return VIV_EINVAL;
    frame_finish(buf, eth, VIV__ETHERTYPE_ARP, VIV__ARP_LEN, total);
    return (int)total;
}

/* ---- IPv4 ---------------------------------------------------------------------------------- */

static size_t ip_hdr_len(const viv_wire_ip *ip)
{
    return VIV__IPV4_HDR_LEN + ip->opts_len;
}

static int ip_check(const viv_wire_ip *ip, size_t payload_len)
{
    if (ip->opts_len % 4 || ip->opts_len > VIV__IPOPT_MAX_LEN || (ip->opts_len && !ip->opts))
        return VIV_EINVAL;
    if (ip->frag_offset % 8 || ip->frag_offset / 8 > 0x1fff)
        return VIV_EINVAL;
    if (ip_hdr_len(ip) + payload_len > VIV__IPV4_MAX_LEN)
        return VIV_EINVAL;
    return 0;
}

/* Write the IPv4 header at pkt in front of its payload (already in place), then apply the
 * overrides. */
static int ip_emit(uint8_t *pkt, const viv_wire_ip *ip, uint8_t proto, size_t payload_len)
{
    struct viv__ipv4_repr r;
    memset(&r, 0, sizeof r);
    r.src = ip->src;
    r.dst = ip->dst;
    r.proto = ip->proto ? ip->proto : proto;
    r.ttl = (ip->set & VIV_WIRE_TTL) || ip->ttl ? ip->ttl : 64;
    r.dscp = (uint8_t)(ip->tos >> 2);
    r.ecn = (uint8_t)(ip->tos & 3);
    r.ident = ip->id;
    r.dont_frag = ip->df != 0;
    r.more_frags = ip->mf != 0;
    r.frag_offset = ip->frag_offset;
    r.opts = ip->opts;
    r.opts_len = ip->opts_len;
    r.payload_len = (uint16_t)payload_len;
    size_t hl = ip_hdr_len(ip);
    if (viv__ipv4_emit(&r, pkt, hl + payload_len) != VIV__W_OK)
        return VIV_EINVAL;
    uint32_t set = ip->set & (VIV_WIRE_LEN | VIV_WIRE_HDRLEN | VIV_WIRE_VERSION);
    if (set) {
        if (ip->set & VIV_WIRE_VERSION)
            pkt[0] = (uint8_t)((ip->version & 0x0f) << 4 | (pkt[0] & 0x0f));
        if (ip->set & VIV_WIRE_HDRLEN)
            pkt[0] = (uint8_t)((pkt[0] & 0xf0) | (ip->hdr_len & 0x0f));
        if (ip->set & VIV_WIRE_LEN)
            viv_wr16be(pkt + 2, ip->length);
        /* The checksum a receiver computes: over IHL * 4 bytes, as far as the packet goes. */
        size_t n = (size_t)(pkt[0] & 0x0f) * 4;
        if (n < VIV__IPV4_HDR_LEN)
            n = VIV__IPV4_HDR_LEN;
        if (n > hl + payload_len)
            n = hl + payload_len;
        viv_wr16be(pkt + 10, 0);
        viv_wr16be(pkt + 10, viv__cksum(pkt, n));
    }
    if (ip->set & VIV_WIRE_CKSUM)
        viv_wr16be(pkt + 10, ip->cksum);
    return 0;
}

int viv_wire_ip_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const viv_wire_ip *ip,
                      const uint8_t *payload, size_t len)
{
    if (!buf || !ip || ip_check(ip, len) < 0)
        return VIV_EINVAL;
    size_t hl = ip_hdr_len(ip), total;
    int off = frame_layout(cap, eth, hl + len, &total);
    if (off < 0)
        return off;
    put_bytes(buf + off + hl, payload, len);
    int rc = ip_emit(buf + off, ip, ip->proto, len);
    if (rc < 0)
        return rc;
    frame_finish(buf, eth, VIV__ETHERTYPE_IPV4, hl + len, total);
    return (int)total;
}

/* ---- ICMP ---------------------------------------------------------------------------------- */

int viv_wire_icmp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const viv_wire_ip *ip,
                        const viv_wire_icmp *icmp)
{
    if (!buf || !ip || !icmp)
        return VIV_EINVAL;
    struct viv__icmp_repr r;
    memset(&r, 0, sizeof r);
    r.type = icmp->type;
    r.code = icmp->code;
    r.ident = icmp->id;
    r.seq = icmp->seq;
    r.next_hop_mtu = icmp->mtu;
    r.pointer = icmp->pointer;
    r.data_len = icmp->data_len;
    size_t mlen = viv__icmp_len(&r);
    if (icmp->data_len > VIV__IPV4_MAX_LEN || ip_check(ip, mlen) < 0)
        return VIV_EINVAL;
    size_t hl = ip_hdr_len(ip), total;
    int off = frame_layout(cap, eth, hl + mlen, &total);
    if (off < 0)
        return off;
    uint8_t *m = buf + off + hl;
    uint8_t *data = m + (mlen - icmp->data_len);
    put_bytes(data, icmp->data, icmp->data_len);
    r.data = data;
    if (viv__icmp_emit(&r, m, mlen) != VIV__W_OK)
        return VIV_EINVAL;
    if (icmp->set & VIV_WIRE_CKSUM)
        viv_wr16be(m + 2, icmp->cksum);
    int rc = ip_emit(buf + off, ip, VIV__IP_PROTO_ICMP, mlen);
    if (rc < 0)
        return rc;
    frame_finish(buf, eth, VIV__ETHERTYPE_IPV4, hl + mlen, total);
    return (int)total;
}

/* ---- UDP ----------------------------------------------------------------------------------- */

int viv_wire_udp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const viv_wire_ip *ip,
                       const viv_wire_udp *udp)
{
    if (!buf || !ip || !udp)
        return VIV_EINVAL;
    size_t ulen = VIV__UDP_HDR_LEN + udp->payload_len;
    if (udp->payload_len > VIV__IPV4_MAX_LEN || ip_check(ip, ulen) < 0)
        return VIV_EINVAL;
    size_t hl = ip_hdr_len(ip), total;
    int off = frame_layout(cap, eth, hl + ulen, &total);
    if (off < 0)
        return off;
    uint8_t *u = buf + off + hl;
    put_bytes(u + VIV__UDP_HDR_LEN, udp->payload, udp->payload_len);
    struct viv__udp_repr r = {udp->sport, udp->dport, (uint16_t)udp->payload_len};
    if (viv__udp_emit(&r, ip->src, ip->dst, u, ulen) != VIV__W_OK)
        return VIV_EINVAL;
    if (udp->set & VIV_WIRE_LEN) {
        /* The checksum a receiver computes: over the length field's bytes, as far as the
         * datagram goes, with that length in the pseudo-header. */
        viv_wr16be(u + 4, udp->length);
        size_t n = udp->length < ulen ? udp->length : ulen;
        viv_wr16be(u + 6, 0);
        uint64_t acc = viv__cksum_pseudo(ip->src, ip->dst, VIV__IP_PROTO_UDP, udp->length);
        uint16_t ck = viv__cksum_finish(viv__cksum_add(acc, u, n));
        viv_wr16be(u + 6, ck ? ck : 0xffff);
    }
    if (udp->set & VIV_WIRE_CKSUM)
        viv_wr16be(u + 6, udp->cksum);
    int rc = ip_emit(buf + off, ip, VIV__IP_PROTO_UDP, ulen);
    if (rc < 0)
        return rc;
    frame_finish(buf, eth, VIV__ETHERTYPE_IPV4, hl + ulen, total);
    return (int)total;
}

/* ---- TCP ----------------------------------------------------------------------------------- */

int viv_wire_tcp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth, const viv_wire_ip *ip,
                       const viv_wire_tcp *tcp)
{
    if (!buf || !ip || !tcp || tcp->sack_count > VIV__TCP_MAX_SACK)
        return VIV_EINVAL;
    if (tcp->raw_opts && (tcp->raw_opts_len % 4 || tcp->raw_opts_len > 40))
        return VIV_EINVAL;
    struct viv__tcp_repr r;
    memset(&r, 0, sizeof r);
    r.src_port = tcp->sport;
    r.dst_port = tcp->dport;
    r.seq = tcp->seq;
    r.ack = tcp->ack;
    r.flags = tcp->flags;
    r.window = tcp->window;
    r.urgent = tcp->urgent;
    size_t raw = 0;
    if (tcp->raw_opts) {
        raw = tcp->raw_opts_len;
    } else {
        r.mss = tcp->mss;
        r.wscale_present = tcp->wscale_on != 0;
        r.wscale = tcp->wscale;
        r.sack_permitted = tcp->sack_ok != 0;
        r.ts_present = tcp->ts_on != 0;
        r.tsval = tcp->tsval;
        r.tsecr = tcp->tsecr;
        r.sack_count = tcp->sack_count;
        for (uint8_t k = 0; k < tcp->sack_count; k++) {
            r.sack[k].left = tcp->sack[k].left;
            r.sack[k].right = tcp->sack[k].right;
        }
    }
    size_t th = viv__tcp_len(&r);
    if (th > VIV__TCP_MAX_HDR_LEN || tcp->payload_len > VIV__IPV4_MAX_LEN)
        return VIV_EINVAL;
    size_t slen = th + raw + tcp->payload_len;
    if (ip_check(ip, slen) < 0)
        return VIV_EINVAL;
    size_t hl = ip_hdr_len(ip), total;
    int off = frame_layout(cap, eth, hl + slen, &total);
    if (off < 0)
        return off;
    uint8_t *t = buf + off + hl;
    put_bytes(t + th + raw, tcp->payload, tcp->payload_len);
    if (raw)
        memmove(t + th, tcp->raw_opts, raw);
    /* Raw options are emitted as the first bytes of the payload, then moved into the header
     * by the data offset. */
    r.payload_len = raw + tcp->payload_len;
    if (viv__tcp_emit(&r, ip->src, ip->dst, t, slen) != VIV__W_OK)
        return VIV_EINVAL;
    if (raw || (tcp->set & VIV_WIRE_HDRLEN)) {
        uint8_t words = (uint8_t)((th + raw) / 4);
        if (tcp->set & VIV_WIRE_HDRLEN)
            words = tcp->hdr_len & 0x0f;
        t[12] = (uint8_t)(words << 4 | (t[12] & 0x0f));
        viv_wr16be(t + 16, 0);
        uint64_t acc = viv__cksum_pseudo(ip->src, ip->dst, VIV__IP_PROTO_TCP, (uint16_t)slen);
        viv_wr16be(t + 16, viv__cksum_finish(viv__cksum_add(acc, t, slen)));
    }
    if (tcp->set & VIV_WIRE_CKSUM)
        viv_wr16be(t + 16, tcp->cksum);
    int rc = ip_emit(buf + off, ip, VIV__IP_PROTO_TCP, slen);
    if (rc < 0)
        return rc;
    frame_finish(buf, eth, VIV__ETHERTYPE_IPV4, hl + slen, total);
    return (int)total;
}

/* ---- lengths of the frames hosts send ----------------------------------------------------------
 */

/* The frame of a packet of hdr + payload bytes. The sums saturate: a huge payload_len (or
 * opts_len) must give UINT32_MAX, not wrap around size_t to a small frame. */
static uint32_t eth_frame_len(size_t hdr, size_t payload_len)
{
    if (payload_len > UINT32_MAX - hdr)
        return UINT32_MAX;
    size_t pkt_len = hdr + payload_len;
    uint64_t n = (uint64_t)ETH_HDR + pkt_len + viv__eth_pad_len(pkt_len);
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t viv_wire_udp_frame_len(size_t payload_len)
{
    return eth_frame_len(VIV__IPV4_HDR_LEN + VIV__UDP_HDR_LEN, payload_len);
}

uint32_t viv_wire_tcp_frame_len(size_t payload_len, size_t opts_len)
{
    if (opts_len > UINT32_MAX - (VIV__IPV4_HDR_LEN + VIV__TCP_HDR_LEN))
        return UINT32_MAX;
    return eth_frame_len(VIV__IPV4_HDR_LEN + VIV__TCP_HDR_LEN + opts_len, payload_len);
}

uint32_t viv_wire_icmp_echo_frame_len(size_t data_len)
{
    return eth_frame_len(VIV__IPV4_HDR_LEN + VIV__ICMP_HDR_LEN, data_len);
}

uint32_t viv_wire_icmp_error_frame_len(size_t packet_len)
{
    size_t quote = packet_len < VIV__ICMP_MAX_QUOTE ? packet_len : VIV__ICMP_MAX_QUOTE;
    return eth_frame_len(VIV__IPV4_HDR_LEN + VIV__ICMP_HDR_LEN, quote);
}

uint32_t viv_wire_arp_frame_len(void)
{
    return eth_frame_len(VIV__ARP_LEN, 0);
}
