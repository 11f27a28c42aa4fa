/* IPv4: reception and local delivery, forwarding, origination, loopback. */
#include <string.h>

#include "l3.h"

static int is_multicast(viv_ip4_t ip) { return (ip >> 28) == 0xe; }

/* Deliver a packet addressed to this host; f's head is at the IP header, its length trimmed
 * to the IP total length. */
static void ip_local(struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                     int l2_bcast, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    if (viv__ipv4_frag_kind(ip) != VIV__IPV4_WHOLE) {
        h->st.drop_fragment++; /* vivarium does not reassemble */
        viv__frame_unref(sim, f);
        return;
    }
    h->st.ip_delivered++;
    if (ip->proto == VIV__IP_PROTO_ICMP) {
        viv__frame_pull(f, ip->hdr_len);
        viv__icmp_input(h, ip, iface, l2_bcast, f);
        return;
    }
    const viv__l4_proto *p = viv__host_l4(h, ip->proto);
    if (p) {
        viv__frame_pull(f, ip->hdr_len);
        p->input(p->ctx, h, ip, iface, l2_bcast, f);
        return;
    }
    /* Nobody here speaks this protocol. For UDP that means no socket is bound at all: the
     * answer is port unreachable, as a UDP layer with no matching socket would give. */
    h->st.drop_proto++;
    uint8_t code = ip->proto == VIV__IP_PROTO_UDP ? VIV__ICMP_UNREACH_PORT
                                                   : VIV__ICMP_UNREACH_PROTO;
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, code, 0, viv__frame_bytes(f), f->len, l2_bcast);
    viv__frame_unref(sim, f);
}

static void ip_forward(struct viv_host *h, const struct viv__ipv4_repr *ip, int l2_bcast,
                       viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    if (l2_bcast || is_multicast(ip->dst) || ip->dst == VIV_IP4_BROADCAST ||
        ip->dst == VIV_IP4_ANY) {
        h->st.drop_broadcast++; /* never forwarded: link-layer broadcasts, multicast */
        viv__frame_unref(sim, f);
        return;
    }
    if (ip->ttl <= 1) {
        h->st.drop_ttl++;
        viv__icmp_error(h, VIV__ICMP_TIME_EXCEEDED, VIV__ICMP_EXC_TTL, 0, viv__frame_bytes(f),
                        f->len, 0);
        viv__frame_unref(sim, f);
        return;
    }
    viv_route r;
    if (viv__route_lookup(h, ip->dst, &r) < 0) {
        h->st.drop_no_route++;
        viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_NET, 0,
                        viv__frame_bytes(f), f->len, 0);
        viv__frame_unref(sim, f);
        return;
    }
    viv__iface *out = h->ifaces[r.iface];
    if (!r.gateway && viv__iface_is_bcast(out, ip->dst)) {
        h->st.drop_broadcast++; /* a directed broadcast: routers must not forward it */
        viv__frame_unref(sim, f);
        return;
    }
    if (f->len > out->mtu) {
        h->st.drop_too_big++;
        viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_FRAG_NEEDED,
                        (uint16_t)out->mtu, viv__frame_bytes(f), f->len, 0);
        viv__frame_unref(sim, f);
        return;
    }
    /* The frame may be shared (a hub's flood): change a private copy. */
    f = viv__frame_writable(sim, f);
    if (!f)
        return;
    viv__ipv4_dec_ttl(viv__frame_bytes(f));
    h->st.ip_forwarded++;
    viv__arp_output(h, r.iface, r.gateway ? r.gateway : ip->dst, f);
}

void viv__ip_input(struct viv_host *h, uint32_t iface, int l2_bcast, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__ipv4_repr ip;
    h->st.ip_rx++;
    int rc = viv__ipv4_parse(viv__frame_bytes(f), f->len, &ip);
    if (rc < 0) {
        if (rc == VIV__W_TRUNCATED)
            h->st.drop_truncated++;
        else if (rc == VIV__W_CHECKSUM)
            h->st.drop_checksum++;
        else
            h->st.drop_malformed++;
        viv__frame_unref(sim, f);
        return;
    }
    f->len = (uint32_t)ip.hdr_len + ip.payload_len; /* strip Ethernet padding */
    viv__iface *ifc = h->ifaces[iface];
    if (viv_host_has_addr(h, ip.dst) || ip.dst == VIV_IP4_BROADCAST ||
        viv__iface_is_bcast(ifc, ip.dst)) {
        ip_local(h, &ip, iface, l2_bcast || ip.dst == VIV_IP4_BROADCAST ||
                                    viv__iface_is_bcast(ifc, ip.dst), f);
        return;
    }
    if (!h->forwarding) {
        h->st.drop_not_mine++;
        viv__frame_unref(sim, f);
        return;
    }
    ip_forward(h, &ip, l2_bcast, f);
}

/* ---- loopback -------------------------------------------------------------------------- */

typedef struct loopback {
    viv__hostobj obj;
    struct viv_host *h;
    viv__frame *f;
    viv_event_id ev;
} loopback;

static void loopback_destroy(viv__hostobj *o)
{
    loopback *lb = (loopback *)o;
    viv_sim_t *sim = lb->h->node.sim;
    viv_sim_cancel(sim, lb->ev);
    viv__frame_unref(sim, lb->f);
    viv__free(sim, lb, sizeof(*lb));
}

static void loopback_fire(viv_sim_t *sim, void *user)
{
    loopback *lb = user;
    struct viv_host *h = lb->h;
    viv__frame *f = lb->f;
    viv__hostobj_remove(&lb->obj);
    viv__free(sim, lb, sizeof(*lb));
    struct viv__ipv4_repr ip;
    if (viv__ipv4_parse(viv__frame_bytes(f), f->len, &ip) < 0) {
        viv__frame_unref(sim, f);
        return;
    }
    h->st.ip_rx++;
    ip_local(h, &ip, 0, 0, f);
}

/* A packet to one of our own addresses never reaches a wire: it is delivered by an event at
 * the current instant (never from inside the call that sent it). */
static int loopback_send(struct viv_host *h, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    loopback *lb = viv__alloc(sim, sizeof(*lb));
    if (!lb) {
        viv__frame_unref(sim, f);
        return VIV_ENOMEM;
    }
    lb->h = h;
    lb->f = f;
    if (viv__schedule_after(sim, h->node.owner, &lb->ev, 0, loopback_fire, lb) < 0) {
        viv__free(sim, lb, sizeof(*lb));
        viv__frame_unref(sim, f);
        return VIV_ENOMEM;
    }
    viv__hostobj_add(h, &lb->obj, loopback_destroy);
    return 0;
}

/* ---- origination ----------------------------------------------------------------------- */

int viv__ip_select_src(const struct viv_host *h, viv_ip4_t dst, viv_ip4_t *src_out)
{
    if (viv_host_has_addr(h, dst)) {
        *src_out = dst;
        return 0;
    }
    viv_route r;
    int rc = viv__route_lookup(h, dst, &r);
    if (rc < 0)
        return rc;
    if (r.src == VIV_IP4_ANY)
        return VIV_EADDRNOTAVAIL;
    *src_out = r.src;
    return 0;
}

int viv__ip_output(struct viv_host *h, viv__frame *f, viv_ip4_t src, viv_ip4_t dst,
                   uint8_t proto, uint8_t ttl, uint8_t tos, int iface)
{
    viv_sim_t *sim = h->node.sim;
    viv_ip4_t nh = dst;
    uint32_t out;
    int local = viv_host_has_addr(h, dst);
    if (iface >= 0) {
        if ((uint32_t)iface >= h->nifaces) {
            viv__frame_unref(sim, f);
            return VIV_EINVAL;
        }
        out = (uint32_t)iface;
    } else if (local) {
        out = 0;
    } else {
        viv_route r;
        if (viv__route_lookup(h, dst, &r) < 0) {
            h->st.drop_no_route++;
            viv__frame_unref(sim, f);
            return VIV_ENETUNREACH;
        }
        out = r.iface;
        /* A broadcast leaves as a link-layer broadcast even by a route via a gateway (the
         * default route, typically): the gateway is not its recipient. */
        if (r.gateway && dst != VIV_IP4_BROADCAST && !viv__iface_is_bcast(h->ifaces[out], dst))
            nh = r.gateway;
        if (src == VIV_IP4_ANY)
            src = r.src;
    }
    if (src == VIV_IP4_ANY) {
        if (local)
            src = dst;
        else if (h->ifaces[out]->naddrs)
            src = h->ifaces[out]->addrs[0].ip;
        else {
            viv__frame_unref(sim, f);
            return VIV_EADDRNOTAVAIL;
        }
    }
    uint32_t total = f->len + VIV__IPV4_HDR_LEN;
    if (total > 65535 || (!local && total > h->ifaces[out]->mtu)) {
        h->st.drop_too_big++;
        viv__frame_unref(sim, f);
        return VIV_EMSGSIZE;
    }
    uint8_t *b = viv__frame_push(f, VIV__IPV4_HDR_LEN);
    if (!b) {
        viv__frame_unref(sim, f);
        return VIV_ENOMEM;
    }
    struct viv__ipv4_repr ip = {0};
    ip.src = src;
    ip.dst = dst;
    ip.proto = proto;
    ip.ttl = ttl ? ttl : h->opts.default_ttl;
    ip.dscp = (uint8_t)(tos >> 2);
    ip.ecn = (uint8_t)(tos & 3);
    ip.ident = h->ip_ident++;
    ip.dont_frag = proto == VIV__IP_PROTO_TCP; /* TCP does path MTU discovery */
    ip.payload_len = (uint16_t)(total - VIV__IPV4_HDR_LEN);
    viv__ipv4_emit(&ip, b, total);
    h->st.ip_sent++;
    if (local)
        return loopback_send(h, f);
    viv__arp_output(h, out, nh, f);
    return 0;
}

void viv__ip_unreachable(struct viv_host *h, viv__frame *f, uint8_t code)
{
    /* The same path for forwarded and local packets: an ICMP error to the packet's source,
     * which for a local packet is this host (delivered by loopback to its transport). */
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, code, 0, viv__frame_bytes(f), f->len, 0);
    viv__frame_unref(h->node.sim, f);
}
