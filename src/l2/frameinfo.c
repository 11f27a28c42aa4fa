/* Frame summaries for hooks and matches. Deliberately lenient: no checksum is verified (an
 * intercept must be able to see a corrupted frame), and each layer is read only if its
 * header fits; a malformed inner header leaves the inner fields zero. */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/core.h"
#include "vivarium/frame.h"
#include "vivarium/link.h"

int viv_frame_info_parse(viv_frame_info *out, const uint8_t *b, size_t len)
{
    if (!out || (!b && len))
        return VIV_EINVAL;
    memset(out, 0, sizeof(*out));
    out->len = (uint32_t)len;
    if (len < 14)
        return 0;
    memcpy(out->dst.b, b, 6);
    memcpy(out->src.b, b + 6, 6);
    out->ethertype = viv_rd16be(b + 12);
    const uint8_t *p = b + 14;
    size_t n = len - 14;
    if (out->ethertype == VIV_ETHERTYPE_ARP) {
        if (n >= 28 && viv_rd16be(p) == 1 && viv_rd16be(p + 2) == 0x0800 && p[4] == 6 &&
            p[5] == 4) {
            out->arp_op = viv_rd16be(p + 6);
            out->arp_spa = viv_rd32be(p + 14);
            out->arp_tpa = viv_rd32be(p + 24);
        }
        return 0;
    }
    if (out->ethertype != VIV_ETHERTYPE_IPV4 || n < 20 || (p[0] >> 4) != 4)
        return 0;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    size_t total = viv_rd16be(p + 2);
    if (ihl < 20 || total < ihl || total > n)
        return 0;
    out->has_ip = 1;
    out->ip_ttl = p[8];
    out->ip_proto = p[9];
    out->ip_src = viv_rd32be(p + 12);
    out->ip_dst = viv_rd32be(p + 16);
    if (viv_rd16be(p + 6) & 0x1fff) /* a later fragment: no transport header */
        return 0;
    const uint8_t *t = p + ihl;
    size_t tn = total - ihl;
    switch (out->ip_proto) {
    case VIV_IPPROTO_UDP:
        if (tn >= 8) {
            out->sport = viv_rd16be(t);
            out->dport = viv_rd16be(t + 2);
            out->payload_len = (uint32_t)(tn - 8);
        }
        break;
    case VIV_IPPROTO_TCP:
        if (tn >= 20) {
            size_t off = (size_t)(t[12] >> 4) * 4;
            out->sport = viv_rd16be(t);
            out->dport = viv_rd16be(t + 2);
            out->tcp_seq = viv_rd32be(t + 4);
            out->tcp_ack = viv_rd32be(t + 8);
            out->tcp_flags = t[13];
            out->payload_len = off >= 20 && off <= tn ? (uint32_t)(tn - off) : 0;
        }
        break;
    case VIV_IPPROTO_ICMP:
        if (tn >= 8) {
            out->icmp_type = t[0];
            out->icmp_code = t[1];
            out->payload_len = (uint32_t)(tn - 8);
        }
        break;
    default:
        out->payload_len = (uint32_t)tn;
        break;
    }
    return 0;
}

int viv_frame_match_test(const viv_frame_match *m, const viv_frame_info *i)
{
    if (!m || !i)
        return 0;
    if (m->ethertype && m->ethertype != i->ethertype)
        return 0;
    if (m->ip_proto && (!i->has_ip || m->ip_proto != i->ip_proto))
        return 0;
    if (m->ip_src && (!i->has_ip || m->ip_src != i->ip_src))
        return 0;
    if (m->ip_dst && (!i->has_ip || m->ip_dst != i->ip_dst))
        return 0;
    if (m->sport && m->sport != i->sport)
        return 0;
    if (m->dport && m->dport != i->dport)
        return 0;
    if ((m->tcp_flags_set || m->tcp_flags_clear) && i->ip_proto != VIV_IPPROTO_TCP)
        return 0;
    if ((i->tcp_flags & m->tcp_flags_set) != m->tcp_flags_set)
        return 0;
    if (i->tcp_flags & m->tcp_flags_clear)
        return 0;
    return 1;
}

static void tcp_flags_text(uint8_t f, char *out)
{
    static const char letters[8] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};
    /* tcpdump's order: S F R P U E W, then '.' for ACK. */
    static const int order[8] = {1, 0, 2, 3, 5, 6, 7, 4};
    int n = 0;
    for (int k = 0; k < 8; k++)
        if (f & (1u << order[k]))
            out[n++] = letters[order[k]];
    out[n] = 0;
}

int viv_frame_info_format(const viv_frame_info *i, char *buf, size_t cap)
{
    if (!i || (!buf && cap))
        return VIV_EINVAL;
    char s[VIV_IP4_STRLEN], d[VIV_IP4_STRLEN];
    if (i->ethertype == VIV_ETHERTYPE_ARP) {
        viv_ip4_format(i->arp_spa, s, sizeof s);
        viv_ip4_format(i->arp_tpa, d, sizeof d);
        if (i->arp_op == 1)
            return snprintf(buf, cap, "ARP, Request who-has %s tell %s, length %u", d, s,
                            i->len);
        if (i->arp_op != 2) /* another operation, or a malformed ARP header (0) */
            return snprintf(buf, cap, "ARP, op %u, length %u", i->arp_op, i->len);
        char mac[VIV_MAC_STRLEN];
        viv_mac_format(&i->src, mac, sizeof mac);
        return snprintf(buf, cap, "ARP, Reply %s is-at %s, length %u", s, mac, i->len);
    }
    if (!i->has_ip) {
        char sm[VIV_MAC_STRLEN], dm[VIV_MAC_STRLEN];
        viv_mac_format(&i->src, sm, sizeof sm);
        viv_mac_format(&i->dst, dm, sizeof dm);
        return snprintf(buf, cap, "%s > %s, ethertype 0x%04x, length %u", sm, dm,
                        i->ethertype, i->len);
    }
    viv_ip4_format(i->ip_src, s, sizeof s);
    viv_ip4_format(i->ip_dst, d, sizeof d);
    switch (i->ip_proto) {
    case VIV_IPPROTO_TCP: {
        char fl[9];
        tcp_flags_text(i->tcp_flags, fl);
        return snprintf(buf, cap, "IP %s.%u > %s.%u: Flags [%s], seq %u, ack %u, length %u", s,
                        i->sport, d, i->dport, fl, i->tcp_seq, i->tcp_ack, i->payload_len);
    }
    case VIV_IPPROTO_UDP:
        return snprintf(buf, cap, "IP %s.%u > %s.%u: UDP, length %u", s, i->sport, d, i->dport,
                        i->payload_len);
    case VIV_IPPROTO_ICMP:
        return snprintf(buf, cap, "IP %s > %s: ICMP type %u code %u, length %u", s, d,
                        i->icmp_type, i->icmp_code, i->payload_len);
    default:
        return snprintf(buf, cap, "IP %s > %s: proto %u, length %u", s, d, i->ip_proto,
                        i->payload_len);
    }
}
