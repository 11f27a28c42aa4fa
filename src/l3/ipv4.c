/* IPv4: reception and local delivery, forwarding, origination, loopback. */
#include <string.h>

#include "l3.h"
#include "vivarium/trace.h"

static int is_multicast(viv_ip4_t ip) { return (ip >> 28) == 0xe; }

/* ip_take for a frame someone else still holds: a private copy, its head and opts moved as
 * ip_take says. Out of line: only floods come here. */
static VIV__NOINLINE viv__frame *ip_take_copy(struct viv_host *h, uint32_t iface, viv__frame *f,
                                              uint32_t off, uint32_t iplen,
                                              struct viv__ipv4_repr *ip)
{
    size_t opts_off = ip ? (size_t)(ip->opts - viv__frame_bytes(f)) : 0;
    f = viv__frame_writable(h->node.sim, f);
    if (!f) {
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, iface, NULL);
        return NULL;
    }
    if (ip)
        ip->opts = viv__frame_bytes(f) + opts_off; /* the same bytes, in the copy */
    viv__frame_pull(f, off);
    f->len = iplen;
    return f;
}

/* The IP packet at pkt (iplen bytes, inside f's bytes) as a frame of its own, to change or to
 * hand on: f itself with its head moved to pkt and its length trimmed to iplen (Ethernet
 * padding off), or, when someone else still holds f (a flood), a private copy of it so made.
 * ip->opts (ip may be NULL) is pointed into the result. NULL (counted) when no copy can be made; f
 * is then consumed. */
static inline viv__frame *ip_take(struct viv_host *h, uint32_t iface, viv__frame *f,
                                  const uint8_t *pkt, uint32_t iplen, struct viv__ipv4_repr *ip)
{
    uint32_t off = (uint32_t)(pkt - viv__frame_bytes(f));
    if (VIV__UNLIKELY(f->refs > 1))
        return ip_take_copy(h, iface, f, off, iplen, ip);
    /* viv__frame_pull's effect, with the trim: the bounds hold (pkt lies in the frame) */
    f->head += off;
    f->len = iplen;
    f->fp_ok = 0;
    return f;
}

/* Deliver a packet addressed to this host: the packet is at pkt in f's bytes (f may be shared:
 * it is read in place), ip its parsed header. A transport that reads datagrams in place
 * (input_at) gets them so; the others, and ICMP, get a frame of their own (ip_take).
 * Inlined into its two callers: a call of its own cost every datagram received 28
 * instructions (a prologue for six arguments and the repr's address). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void ip_local(struct viv_host *h, struct viv__ipv4_repr *ip, uint32_t iface,
                            int l2_bcast, viv__frame *f, const uint8_t *pkt)
{
    viv_sim_t *sim = h->node.sim;
    if (viv__ipv4_frag_kind(ip) != VIV__IPV4_WHOLE) {
        /* vivarium does not reassemble */
        viv__host_drop_bytes(h, &h->st.drop_fragment, VIV_DROP_FRAGMENT, UINT32_MAX, pkt,
                             (uint32_t)ip->hdr_len + ip->payload_len);
        viv__frame_unref(sim, f);
        return;
    }
    h->st.ip_delivered++;
    if (ip->proto == VIV__IP_PROTO_ICMP) {
        f = ip_take(h, iface, f, pkt + ip->hdr_len, ip->payload_len, ip);
        if (f)
            viv__icmp_input(h, ip, iface, l2_bcast, f);
        return;
    }
    for (uint32_t i = 0; i < h->nl4; i++) /* the transport and its state: one walk */
        if (h->l4[i]->proto == ip->proto) {
            const viv__l4_proto *p = h->l4[i];
            if (p->input_at) {
                p->input_at(h->l4_ctx[i], h, ip, iface, l2_bcast, f, pkt + ip->hdr_len,
                            ip->payload_len);
                return;
            }
            f = ip_take(h, iface, f, pkt + ip->hdr_len, ip->payload_len, ip);
            if (f)
                p->input(h->l4_ctx[i], h, ip, iface, l2_bcast, f);
            return;
        }
    /* Nobody here speaks this protocol. Every transport of the library is registered with
     * every host and answers for itself even with no socket (UDP with port unreachable, TCP
     * with a reset), so this is a protocol vivarium does not have. */
    uint32_t iplen = (uint32_t)ip->hdr_len + ip->payload_len;
    viv__host_drop_bytes(h, &h->st.drop_proto, VIV_DROP_NO_PROTOCOL, UINT32_MAX, pkt, iplen);
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_PROTO, 0, pkt, iplen, l2_bcast);
    viv__frame_unref(sim, f);
}

/* ---- options (RFC 791 3.1, RFC 1122 3.2.1.8, RFC 1812 5.3.13) ---------------------------- */

static bool ip_is_mine(const void *ctx, viv_ip4_t ip)
{
    return viv__host_addr_iface(ctx, ip) >= 0;
}

/* The address this host records for itself on interface iface when no route names one: the
 * interface's primary address, else the first address of the host, else 0.0.0.0. */
static viv_ip4_t ip_own_addr(const struct viv_host *h, uint32_t iface)
{
    if (h->ifaces[iface]->naddrs)
        return h->ifaces[iface]->addrs[0].ip;
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (h->ifaces[i]->naddrs)
            return h->ifaces[i]->addrs[0].ip;
    return VIV_IP4_ANY;
}

/* A packet whose options are malformed (pp: the offset of the byte at fault): counted and
 * dropped, and answered with a Parameter Problem pointing at that byte (RFC 1812 4.3.3.5: a
 * router MUST; RFC 1122 3.2.2.5: a host SHOULD), quoting the header as it arrived. Consumes
 * f. */
static void ip_options_bad(struct viv_host *h, viv__frame *f, uint8_t pp, int l2_bcast)
{
    viv__host_drop(h, &h->st.drop_malformed, VIV_DROP_MALFORMED, UINT32_MAX, f);
    viv__icmp_error(h, VIV__ICMP_PARAM_PROBLEM, VIV__ICMP_PARAM_POINTER, pp,
                    viv__frame_bytes(f), f->len, l2_bcast);
    viv__frame_unref(h->node.sim, f);
}

/* Record this host (address me, the current time) into the Record Route and Timestamp
 * options o of the packet at f's head, which must be writable, and fix the header checksum.
 * Returns 0, or -1 with the packet consumed as malformed (which cannot happen to bytes that
 * viv__ipv4_opts_parse accepted: the checks are the same). */
static int ip_options_record(struct viv_host *h, viv__frame *f, const struct viv__ipv4_opts *o,
                             viv_ip4_t me, int l2_bcast)
{
    struct viv__ipv4_stamp st = {me, h->node.sim->now, ip_is_mine, h, true};
    uint8_t *hdr = viv__frame_bytes(f), pp;
    if (viv__ipv4_opts_stamp(hdr, o, &st, &pp) < 0) {
        ip_options_bad(h, f, pp, l2_bcast);
        return -1;
    }
    viv__ipv4_fix_cksum(hdr);
    return 0;
}

/* ---- the forwarding cache (l3.h) ------------------------------------------------------- */

static inline uint32_t fwd_slot(const viv__fwd_cache *c, viv_ip4_t dst)
{
    return (uint32_t)(dst * UINT32_C(0x9e3779b1)) >> c->shift;
}

/* The slots a cache for h should have: two an interface, within the bounds (l3.h). */
static uint32_t fwd_want(const struct viv_host *h)
{
    uint32_t n = VIV__FWD_SLOTS_MIN;
    while (n < VIV__FWD_SLOTS_MAX && n < 2u * h->nifaces)
        n *= 2u;
    return n;
}

static size_t fwd_size(uint32_t n) { return sizeof(viv__fwd_cache) + (size_t)n * sizeof(viv__fwd); }

/* Empty every slot. An empty slot holds a destination that cannot be looked up in it: 0.0.0.0,
 * except in 0.0.0.0's own slot (slot 0), which holds 0.0.0.1 (whose slot is another at every
 * size: the hash of 1 is the constant, whose top bits are not all zero); so a lookup never
 * mistakes an empty slot for an entry and needs no test of its own. */
static void fwd_clear(viv__fwd_cache *c, uint64_t gen)
{
    memset(c->e, 0, (size_t)c->n * sizeof(c->e[0]));
    c->e[fwd_slot(c, 0)].dst = 1;
    c->route_gen = gen;
}

/* A cache of n slots, empty, for routes of generation gen; NULL without memory. */
static viv__fwd_cache *fwd_make(struct viv_host *h, uint32_t n)
{
    viv__fwd_cache *c = viv__alloc(h->node.sim, fwd_size(n));
    if (!c)
        return NULL;
    c->n = n;
    c->shift = 32u - (uint32_t)__builtin_ctz(n);
    fwd_clear(c, h->route_gen);
    return c;
}

/* Routes or addresses changed (interfaces too, perhaps): every decision is stale. The cache
 * is emptied, and made anew if the interface count wants another size (kept as it is if
 * there is no memory for that). Out of line: the lookup's rare way. */
static VIV__NOINLINE viv__fwd_cache *fwd_renew(struct viv_host *h)
{
    viv__fwd_cache *c = h->fwd;
    uint32_t want = fwd_want(h);
    if (want != c->n) {
        viv__fwd_cache *nc = fwd_make(h, want);
        if (nc) {
            viv__free(h->node.sim, c, fwd_size(c->n));
            h->fwd = nc;
            return nc;
        }
    }
    fwd_clear(c, h->route_gen);
    return c;
}

/* The slot for dst (h->fwd must exist): an entry for dst if its dst is dst, else the slot a
 * decision for dst would take. */
static inline viv__fwd *fwd_get(struct viv_host *h, viv_ip4_t dst)
{
    viv__fwd_cache *c = h->fwd;
    if (VIV__UNLIKELY(c->route_gen != h->route_gen))
        c = fwd_renew(h);
    return &c->e[fwd_slot(c, dst)];
}

/* Keep the decision the full path made for dst (next hop nh on interface iface), if it may
 * be kept: dst and nh cannot be broadcast or multicast addresses (the same filter as ARP's,
 * bcast_low), so a later packet to dst needs none of the checks that the cache skips. The
 * caller has established the rest: dst is not one of the host's addresses, not a broadcast
 * on the interface it came in by, and its route is not on-link with dst a directed broadcast
 * of the outgoing interface. slot: fwd_get's for dst, or NULL when the host has no cache
 * yet. Returns the entry, or NULL (not kept: the full path each time). */
static viv__fwd *fwd_put(struct viv_host *h, viv__fwd *slot, viv_ip4_t dst, uint32_t iface,
                         viv_ip4_t nh, viv_ip4_t me)
{
    viv_ip4_t low = h->bcast_low;
    if ((dst >> 28) >= 0xe || (nh >> 28) >= 0xe ||
        (low && ((dst & low) == low || (nh & low) == low)))
        return NULL;
    if (!slot) {
        h->fwd = fwd_make(h, fwd_want(h));
        if (!h->fwd)
            return NULL; /* no cache: nothing else changes */
        slot = &h->fwd->e[fwd_slot(h->fwd, dst)];
    }
    *slot = (viv__fwd){dst, iface, nh, me, h->ifaces[iface]->mtu, NULL};
    return slot;
}

void viv__ip_fwd_free(struct viv_host *h)
{
    if (h->fwd)
        viv__free(h->node.sim, h->fwd, fwd_size(h->fwd->n));
    h->fwd = NULL;
}

/* ---- forwarding ------------------------------------------------------------------------ */

/* The part of forwarding after the route: the size, the TTL, the options, ARP. fe: the
 * cached decision (its ARP slot used), or NULL. Consumes f. */
static inline void ip_forward_out(struct viv_host *h, const struct viv__ipv4_opts *opts,
                                  uint32_t iface, viv_ip4_t nh, uint32_t mtu, viv_ip4_t me,
                                  viv__fwd *fe, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    if (VIV__UNLIKELY(f->len > mtu)) {
        viv__host_drop(h, &h->st.drop_too_big, VIV_DROP_TOO_BIG, UINT32_MAX, f);
        viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_FRAG_NEEDED, (uint16_t)mtu,
                        viv__frame_bytes(f), f->len, 0);
        viv__frame_unref(sim, f);
        return;
    }
    /* The frame may be shared (a hub's flood): change a private copy. */
    f = viv__frame_writable(sim, f);
    if (!f) {
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, NULL);
        return;
    }
    viv__ipv4_dec_ttl(viv__frame_bytes(f));
    /* RFC 791: a router "inserts its own internet address as known in the environment into
     * which this datagram is being forwarded": the outgoing interface's (as Linux does), in
     * Record Route and in Timestamp with flag 1. The time is the forwarding instant, which
     * in vivarium is the arrival (RFC 1812 5.3.13.6 suggests the arrival). */
    if ((opts->rr || opts->ts) && ip_options_record(h, f, opts, me, 0) < 0)
        return;
    h->st.ip_forwarded++;
    if (fe)
        viv__arp_output_slot(h, iface, nh, &fe->arp, f);
    else
        viv__arp_output(h, iface, nh, f);
}

/* The drops of ip_forward_refused, out of line. */
static VIV__NOINLINE void ip_forward_drop_bcast(struct viv_host *h, viv__frame *f)
{
    /* never forwarded: link-layer broadcasts, multicast */
    viv__host_drop(h, &h->st.drop_broadcast, VIV_DROP_BROADCAST, UINT32_MAX, f);
    viv__frame_unref(h->node.sim, f);
}

static VIV__NOINLINE void ip_forward_drop_ttl(struct viv_host *h, viv__frame *f)
{
    viv__host_drop(h, &h->st.drop_ttl, VIV_DROP_TTL, UINT32_MAX, f);
    viv__icmp_error(h, VIV__ICMP_TIME_EXCEEDED, VIV__ICMP_EXC_TTL, 0, viv__frame_bytes(f), f->len,
                    0);
    viv__frame_unref(h->node.sim, f);
}

/* Whether a packet may not be forwarded whatever its route (counted and dropped if so):
 * link-layer broadcasts, multicast, broadcast and unspecified destinations, an expiring
 * TTL. Consumes f when it returns 1. */
static inline int ip_forward_refused(struct viv_host *h, viv_ip4_t dst, uint8_t ttl, int l2_bcast,
                                     viv__frame *f)
{
    if (VIV__UNLIKELY(l2_bcast || is_multicast(dst) || dst == VIV_IP4_BROADCAST ||
                      dst == VIV_IP4_ANY)) {
        ip_forward_drop_bcast(h, f);
        return 1;
    }
    if (VIV__UNLIKELY(ttl <= 1)) {
        ip_forward_drop_ttl(h, f);
        return 1;
    }
    return 0;
}

/* Forward a packet whose destination is not this host's, choosing its route; the choice is
 * kept in the forwarding cache when it may be (slot: dst's, or NULL with no cache yet). */
static void ip_forward(struct viv_host *h, const struct viv__ipv4_repr *ip,
                       const struct viv__ipv4_opts *opts, int l2_bcast, viv__fwd *slot,
                       viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    if (ip_forward_refused(h, ip->dst, ip->ttl, l2_bcast, f))
        return;
    const viv_route *r = viv__route_find(h, ip->dst, NULL);
    if (!r) {
        viv__host_drop(h, &h->st.drop_no_route, VIV_DROP_NO_ROUTE, UINT32_MAX, f);
        viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_NET, 0,
                        viv__frame_bytes(f), f->len, 0);
        viv__frame_unref(sim, f);
        return;
    }
    uint32_t iface = r->iface;
    viv__iface *out = h->ifaces[iface];
    if (!r->gateway && viv__iface_is_bcast(out, ip->dst)) {
        /* a directed broadcast: routers must not forward it */
        viv__host_drop(h, &h->st.drop_broadcast, VIV_DROP_BROADCAST, UINT32_MAX, f);
        viv__frame_unref(sim, f);
        return;
    }
    viv_ip4_t nh = r->gateway ? r->gateway : ip->dst;
    viv_ip4_t me = viv__route_src(h, r);
    if (me == VIV_IP4_ANY)
        me = ip_own_addr(h, iface);
    viv__fwd *fe = fwd_put(h, slot, ip->dst, iface, nh, me);
    ip_forward_out(h, opts, iface, nh, out->mtu, me, fe, f);
}

/* Forward by a cached decision: what ip_forward does, without the route and the checks the
 * decision already answered. */
static void ip_forward_cached(struct viv_host *h, const struct viv__ipv4_repr *ip,
                              const struct viv__ipv4_opts *opts, int l2_bcast, viv__fwd *fe,
                              viv__frame *f)
{
    if (ip_forward_refused(h, ip->dst, ip->ttl, l2_bcast, f))
        return;
    ip_forward_out(h, opts, fe->iface, fe->next_hop, fe->mtu, fe->me, fe, f);
}

void viv__ip_input(struct viv_host *h, uint32_t iface, int l2_bcast, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__ipv4_repr ip;
    /* The packet is read where it is, after the Ethernet header: f may be shared (a flood), and
     * is made this host's own (ip_take) only on the ways that change it or hand it on. */
    const uint8_t *pkt = viv__frame_bytes(f) + VIV__ETH_HDR_LEN;
    uint32_t plen = f->len - VIV__ETH_HDR_LEN;
    h->st.ip_rx++;
    if (h->fwd && VIV__LIKELY(f->csum_ok) && plen >= VIV__IPV4_HDR_LEN &&
        pkt[0] == (4u << 4 | VIV__IPV4_HDR_LEN / 4)) {
        /* A router's common case, read in place: a header of 20 bytes whose checksum is
         * known good, to a destination in the forwarding cache. What the cached path uses
         * (destination, TTL, total length) is read from the bytes; the checks are the
         * parse's for such a header, so anything else takes the full way below. */
        viv_ip4_t dst = viv__ipv4_dst(pkt);
        viv__fwd *fe = fwd_get(h, dst);
        uint32_t total = viv__ipv4_total_len(pkt);
        if (fe->dst == dst && total >= VIV__IPV4_HDR_LEN && total <= plen) {
            static const struct viv__ipv4_opts none = {0, 0};
            uint8_t ttl = viv__ipv4_ttl(pkt);
            f = ip_take(h, iface, f, pkt, total, NULL);
            if (f && !ip_forward_refused(h, dst, ttl, l2_bcast, f))
                ip_forward_out(h, &none, fe->iface, fe->next_hop, fe->mtu, fe->me, fe, f);
            return;
        }
    }
    /* A frame marked csum_ok carries a header checksummed by the stack that sent it (or
     * updated by the router that changed it): summing it again would find it good. */
    int rc = f->csum_ok ? viv__ipv4_parse_trusted(pkt, plen, &ip) : viv__ipv4_parse(pkt, plen, &ip);
    if (rc < 0) {
        if (rc == VIV__W_TRUNCATED)
            viv__host_drop_bytes(h, &h->st.drop_truncated, VIV_DROP_MALFORMED, UINT32_MAX, pkt,
                                 plen);
        else if (rc == VIV__W_CHECKSUM)
            viv__host_drop_bytes(h, &h->st.drop_checksum, VIV_DROP_CHECKSUM, UINT32_MAX, pkt, plen);
        else
            viv__host_drop_bytes(h, &h->st.drop_malformed, VIV_DROP_MALFORMED, UINT32_MAX, pkt,
                                 plen);
        viv__frame_unref(sim, f);
        return;
    }
    uint32_t iplen = (uint32_t)ip.hdr_len + ip.payload_len; /* Ethernet padding not counted */
    viv__fwd *fe = h->fwd ? fwd_get(h, ip.dst) : NULL;
    if (fe && fe->dst == ip.dst) {
        /* A destination this router forwarded before, with its routes and addresses as they
         * were: not its own, no broadcast (the cache keeps no other). */
        f = ip_take(h, iface, f, pkt, iplen, &ip);
        if (!f)
            return;
        struct viv__ipv4_opts opts = {0, 0};
        uint8_t pp;
        if (ip.opts_len &&
            viv__ipv4_opts_parse(viv__frame_bytes(f), ip.hdr_len, true, &opts, &pp) < 0) {
            ip_options_bad(h, f, pp, l2_bcast);
            return;
        }
        ip_forward_cached(h, &ip, &opts, l2_bcast, fe, f);
        return;
    }
    viv__iface *ifc = h->ifaces[iface];
    int mine = viv__host_is_addr(h, ip.dst);
    /* Only an address with the low bits of every directed broadcast of the host set
     * (bcast_low) can be one. */
    int bcast = ip.dst == VIV_IP4_BROADCAST ||
                (h->bcast_low && (ip.dst & h->bcast_low) == h->bcast_low &&
                 viv__iface_is_bcast(ifc, ip.dst));
    if (!mine && !bcast && !h->forwarding) {
        viv__host_drop_bytes(h, &h->st.drop_not_mine, VIV_DROP_NOT_MINE, UINT32_MAX, pkt, iplen);
        viv__frame_unref(sim, f);
        return;
    }
    /* Options are checked once, on arrival, for every packet delivered or forwarded (as
     * Linux does, before the TTL): a malformed list is answered with Parameter Problem. */
    struct viv__ipv4_opts opts = {0, 0};
    uint8_t pp;
    if (ip.opts_len && viv__ipv4_opts_parse(pkt, ip.hdr_len, true, &opts, &pp) < 0) {
        f = ip_take(h, iface, f, pkt, iplen, &ip);
        if (f)
            ip_options_bad(h, f, pp, l2_bcast || bcast);
        return;
    }
    if (!mine && !bcast) {
        f = ip_take(h, iface, f, pkt, iplen, &ip);
        if (f)
            ip_forward(h, &ip, &opts, l2_bcast, fe, f);
        return;
    }
    if (opts.rr || opts.ts) {
        /* The destination records itself on arrival (RFC 1122 3.2.1.8: it "MUST (if
         * possible) add the current timestamp ... before passing the option to the transport
         * layer or to ICMP"), with the address the packet was sent to (Linux does the same
         * for Record Route): an echo reply then returns the whole path, and an error quotes
         * the header as recorded. */
        f = ip_take(h, iface, f, pkt, iplen, &ip);
        if (!f)
            return;
        pkt = viv__frame_bytes(f);
        if (ip_options_record(h, f, &opts, mine ? ip.dst : ip_own_addr(h, iface),
                              l2_bcast || bcast) < 0)
            return;
    }
    ip_local(h, &ip, iface, l2_bcast || bcast, f, pkt);
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
    ip_local(h, &ip, 0, 0, f, viv__frame_bytes(f));
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

int viv__ip_route(const struct viv_host *h, viv_ip4_t src, viv_ip4_t dst, viv__ip_path *out)
{
    memset(out, 0, sizeof(*out));
    out->dst = dst;
    out->next_hop = dst;
    int iface = -1;
    out->span = 32;
    if (viv__host_is_addr(h, dst)) {
        out->local = 1;
        out->mtu = 65535;
        out->src = src != VIV_IP4_ANY ? src : dst;
        return 0;
    }
    if ((dst >> 24) == 127)
        return VIV_ENETUNREACH; /* RFC 1122 3.2.1.3 (g): 127/8 never leaves a host, and
                                   there is no loopback interface (only own addresses) */
    if (dst == VIV_IP4_BROADCAST) {
        /* The limited broadcast: the bound address's interface, or the first with one. */
        out->bcast = 1;
        iface = src != VIV_IP4_ANY ? viv__host_iface_for(h, src) : -1;
        for (uint32_t i = 0; iface < 0 && i < h->nifaces; i++)
            if (h->ifaces[i]->naddrs)
                iface = (int)i;
        if (iface < 0)
            return VIV_ENETUNREACH;
    } else if (h->bcast_low && (dst & h->bcast_low) == h->bcast_low) {
        iface = viv__host_bcast_iface(h, dst); /* only then can dst be a directed broadcast */
        out->bcast = iface >= 0;
    }
    if (iface >= 0) {
        out->iface = (uint32_t)iface;
        if (src == VIV_IP4_ANY && h->ifaces[iface]->naddrs)
            src = h->ifaces[iface]->addrs[0].ip;
    } else {
        uint8_t span;
        const viv_route *r = viv__route_find(h, dst, &span);
        if (!r)
            return VIV_ENETUNREACH;
        out->iface = r->iface;
        out->span = span;
        out->onlink = !r->gateway;
        if (r->gateway)
            out->next_hop = r->gateway;
        if (src == VIV_IP4_ANY)
            src = viv__route_src(h, r);
    }
    if (src == VIV_IP4_ANY)
        return VIV_EADDRNOTAVAIL;
    out->src = src;
    out->mtu = h->ifaces[out->iface]->mtu;
    return 0;
}

/* Push the fixed header in front of f (whose first opts_len bytes are options already in
 * place), emit it and send the packet on its path. The one place a host originates IPv4. */
static int ip_send_hdr(struct viv_host *h, viv__frame *f, const viv__ip_path *path,
                       uint8_t proto, uint8_t ttl, uint8_t tos, int df, uint8_t opts_len)
{
    viv_sim_t *sim = h->node.sim;
    uint32_t total = f->len + VIV__IPV4_HDR_LEN;
    if (total > path->mtu) {
        viv__host_drop(h, &h->st.drop_too_big, VIV_DROP_TOO_BIG, UINT32_MAX, f);
        viv__frame_unref(sim, f);
        return VIV_EMSGSIZE;
    }
    uint8_t *b = viv__frame_push(f, VIV__IPV4_HDR_LEN);
    if (!b) {
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, f);
        viv__frame_unref(sim, f);
        return VIV_ENOMEM;
    }
    uint8_t ttl_v = ttl ? ttl : h->opts.default_ttl;
    uint16_t ident = h->ip_ident;
    h->ip_ident = (uint16_t)(h->ip_ident + 1u); /* wraps, as the field does */
    /* Options, if any, are in place after the header: summed for its checksum. */
    uint64_t opt_sum = opts_len ? viv__cksum_add(0, b + VIV__IPV4_HDR_LEN, opts_len) : 0;
    viv__ipv4_write_fixed(b, 5u + opts_len / 4u, tos, (uint16_t)total, ident, df ? 0x4000u : 0u,
                          ttl_v, proto, path->src, path->dst, opt_sum);
    h->st.ip_sent++;
    if (path->local)
        return loopback_send(h, f);
    viv__arp_output(h, path->iface, path->next_hop, f);
    return 0;
}

int viv__ip_send(struct viv_host *h, viv__frame *f, const viv__ip_path *path, uint8_t proto,
                 uint8_t ttl, uint8_t tos, int df)
{
    return ip_send_hdr(h, f, path, proto, ttl, tos, df, 0);
}

int viv__ip_output(struct viv_host *h, viv__frame *f, viv_ip4_t src, viv_ip4_t dst,
                   uint8_t proto, uint8_t ttl, uint8_t tos)
{
    viv__ip_path path;
    int rc = viv__ip_route(h, src, dst, &path);
    if (rc < 0) {
        if (rc == VIV_ENETUNREACH)
            viv__host_drop(h, &h->st.drop_no_route, VIV_DROP_NO_ROUTE, UINT32_MAX, f);
        viv__frame_unref(h->node.sim, f);
        return rc;
    }
    return viv__ip_send(h, f, &path, proto, ttl, tos, 0);
}

void viv__ip_unreachable(struct viv_host *h, viv__frame *f, uint8_t code)
{
    /* The same path for forwarded and local packets: an ICMP error to the packet's source,
     * which for a local packet is this host (delivered by loopback to its transport). */
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, code, 0, viv__frame_bytes(f), f->len, 0);
    viv__frame_unref(h->node.sim, f);
}

/* ---- origination with options ---------------------------------------------------------- */

int viv__ip_send_opts(struct viv_host *h, viv__frame *f, const viv__ip_path *path, uint8_t proto,
                      uint8_t ttl, uint8_t opts_len)
{
    if (opts_len % 4 != 0 || opts_len > VIV__IPOPT_MAX_LEN || opts_len > f->len) {
        viv__frame_unref(h->node.sim, f);
        return VIV_EINVAL;
    }
    return ip_send_hdr(h, f, path, proto, ttl, 0, 0, opts_len);
}
