/* ARP (RFC 826) with a neighbour cache in the manner of Linux's NUD, simplified:
 *
 *   INCOMPLETE --reply--> REACHABLE --reachable time passes--> STALE --used--> PROBE
 *        |                    ^                                               |
 *        +--no answer after arp_attempts requests: packets dropped, entry gone |
 *                             +------------------reply------------------------+
 *
 * INCOMPLETE holds up to arp_queue packets (the oldest is dropped when a new one does not
 * fit) and sends one broadcast request per arp_retry_ns, not one per packet. STALE and PROBE
 * entries are still used to send; PROBE revalidates with unicast requests and removes the
 * entry if they go unanswered. A request's target learns the requester (creates an entry);
 * every other station only refreshes an entry it already has (RFC 826's merge flag).
 *
 * Storage. Entries are found through a hash map keyed by (interface, address): O(1) lookups
 * and insertions. Nothing is ever walked in hash order: every entry is also on a list in
 * creation order (flushes), and listings sort by (interface, address) when asked.
 *
 * Aging and the size limit. An idle entry (REACHABLE or STALE: no resolution or probe
 * running, so no packet waiting) is on the idle list. It expires max(arp_gc_stale_ns,
 * arp_reachable_ns) after its last touch (creation, last use to send, last confirmation:
 * Linux's collector, STALE and unused for gc_stale_time, "used" counting confirmations too).
 * When the cache is full, the least recently touched idle entry is evicted; with no idle
 * entry, the new entry is refused. Entries being resolved or probed are never on the idle
 * list: their retry timers (deadline timers, whose event slot is taken with the entry, so a
 * retry can never fail to be scheduled) end them.
 *
 * Touches move nothing (issue 17: moving every touched entry to the idle list's tail wrote
 * three or four other entries' lines per datagram on a host sending to several neighbours).
 * The host numbers its touches (arp_touches); an entry keeps the number and the time of its
 * last one (touch, touched). An entry that becomes idle is placed at the tail; a touch of an
 * idle entry only records itself and marks the entry ARP_IDLE_TOUCHED (touched since it was
 * placed). Call an entry's key the number of the touch it was last placed for: its touch
 * while it is ARP_IDLE_PLACED, and not stored. The list keeps one invariant: an entry's key
 * is below the touch of every entry after it. Placing at the tail keeps it (the newest touch
 * is above every key), a touch only raises a touch, a removal leaves fewer pairs. So a head
 * not touched since it was placed was touched before every other idle entry: it is the
 * least recently touched. A head touched since is placed again, for its last touch: right
 * after the first entry, walking back from the tail, touched before it (the entries walked
 * past were touched after it; the ones before that entry have keys below its touch, so
 * below the head's). A recent touch puts it at or near the tail. The heads touched since
 * they were placed are taken off together, until one was not, sorted, and placed in one
 * sweep back from the tail (arp_idle_lru): only aging and eviction need the head. The order
 * of touches is their number, not their time: touches at one instant (frequent: links have
 * equal delays) keep their order, which chooses the entry evicted and the order of the
 * removals traced at one instant.
 *
 * Expiry needs no event. arp_idle_expiry is a lower bound of every idle entry's expiry (the
 * least recently touched one's when aging last looked, or the first entry's of an empty
 * list: touches only make entries expire later, and removals keep it a lower bound): while
 * it is in the future nothing can have expired, and a comparison with no entry read says
 * so. When it passes, aging (arp_expire) finds the least recently touched entry, removes it
 * if it has expired and looks again, else takes its expiry as the new bound. Aging runs
 * whenever the cache is used or looked at, which no one can tell from a collector running
 * at the exact instant: the same entries go at the same instants, least recently touched
 * first, as when touches moved entries; and viv_sim_run() still ends when the protocol
 * activity does.
 *
 * Address conflicts (RFC 5227 section 2.4). A packet whose sender address is one of the
 * host's own, from a MAC that is none of the host's, is a conflict: counted (arp_conflicts),
 * never learned nor answered. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "l3.h"
#include "vivarium/trace.h"

static const viv_mac_t mac_bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static uint64_t arp_key64(uint32_t iface, viv_ip4_t ip)
{
    return (uint64_t)iface << 32 | ip;
}

static viv__mkey arp_key(uint32_t iface, viv_ip4_t ip)
{
    return viv__mkey_u64(arp_key64(iface, ip));
}

/* A host with one neighbour (an end host and its gateway) answers from its own struct: a
 * broadcast heard by 250 hosts whose maps are all out of the cache then costs no map read
 * (issue 17). */
static viv__arp *arp_lookup(const struct viv_host *h, uint32_t iface, viv_ip4_t ip)
{
    if (h->narp <= 1)
        return h->narp && h->arp_one_key == arp_key64(iface, ip) ? h->arp_first : NULL;
    return viv__map_get(&h->arp_map, arp_key(iface, ip));
}

/* The number of entries changed: keep arp_one_key, and arp_keys (l3.h), rebuilt from the
 * (at most VIV__ARP_KEYS_MAX) entries of a small table, so that a removed entry's bit goes
 * too; a larger table sets every bit (its map answers). */
static void arp_count_changed(struct viv_host *h)
{
    if (h->narp == 1)
        h->arp_one_key = arp_key64(h->arp_first->iface, h->arp_first->ip);
    uint32_t keys = UINT32_MAX;
    if (h->narp <= VIV__ARP_KEYS_MAX) {
        keys = 0;
        for (const viv__arp *e = h->arp_first; e; e = e->next)
            keys |= viv__addr_bit(e->ip);
    }
    h->arp_keys = keys;
}

/* ---- aging ----------------------------------------------------------------------------- */

/* When an idle entry expires; VIV_TIME_NEVER if it never does. */
static viv_time_t arp_expiry(const struct viv_host *h, const viv__arp *e)
{
    viv_time_t age = h->opts.arp_gc_stale_ns; /* max(gc_stale, reachable): host.c keeps it so */
    if (age >= VIV_TIME_NEVER - e->touched)
        return VIV_TIME_NEVER;
    return e->touched + age;
}

static void arp_delete(struct viv_host *h, viv__arp *e);

_Static_assert(sizeof(viv__arp) <= 128, "an ARP entry stays within 128 bytes (l3.h)");

/* e->idle of an entry on the idle list (0: not on it): placed for its last touch, or touched
 * since it was placed. */
enum { ARP_IDLE_PLACED = 1, ARP_IDLE_TOUCHED = 2 };

/* Sort n entries linked by idle_next (the rest of the chain is cut off) by touch, the most
 * recent first: a merge sort, O(n log n) however they came. */
static viv__arp *arp_idle_sort(viv__arp *l, size_t n)
{
    if (n <= 1) {
        if (l)
            l->idle_next = NULL;
        return l;
    }
    viv__arp *mid = l;
    for (size_t i = 1; i < n / 2; i++)
        mid = mid->idle_next;
    viv__arp *r = mid->idle_next;
    mid->idle_next = NULL;
    viv__arp *a = arp_idle_sort(l, n / 2), *b = arp_idle_sort(r, n - n / 2), *out, **tail = &out;
    while (a && b) {
        viv__arp **m = a->touch > b->touch ? &a : &b;
        *tail = *m;
        tail = &(*m)->idle_next;
        *m = (*m)->idle_next;
    }
    *tail = a ? a : b;
    return out;
}

/* The least recently touched idle entry (NULL: none), made the head of the idle list. The
 * heads touched since they were placed are taken off until the head was not (or none is
 * left), sorted by their last touches, and placed again for them in one sweep back from the
 * tail: each right after the first entry touched before it, the most recent first (the next
 * one's place is at or before that one's). One by one, each with its own walk, heads touched
 * in an order unlike their list's cost a walk of about half the list each (quadratic: a
 * thousand neighbours used at random, each about once a minute). */
static viv__arp *arp_idle_lru(struct viv_host *h)
{
    viv__arp *e = h->arp_idle_first;
    if (!e || e->idle == ARP_IDLE_PLACED)
        return e;
    viv__arp *batch = NULL;
    size_t n = 0;
    while ((e = h->arp_idle_first) && e->idle == ARP_IDLE_TOUCHED) {
        h->arp_idle_first = e->idle_next;
        e->idle = ARP_IDLE_PLACED;
        e->idle_next = batch;
        batch = e;
        n++;
    }
    if (h->arp_idle_first)
        h->arp_idle_first->idle_prev = NULL;
    else
        h->arp_idle_last = NULL;
    batch = arp_idle_sort(batch, n);
    viv__arp *p = h->arp_idle_last;
    while (batch) {
        e = batch;
        batch = e->idle_next;
        while (p && p->touch > e->touch)
            p = p->idle_prev;
        e->idle_prev = p;
        e->idle_next = p ? p->idle_next : h->arp_idle_first;
        if (p)
            p->idle_next = e;
        else
            h->arp_idle_first = e;
        if (e->idle_next)
            e->idle_next->idle_prev = e;
        else
            h->arp_idle_last = e;
    }
    return h->arp_idle_first;
}

/* Remove the idle entries that have expired by now, least recently touched first; leave
 * arp_idle_expiry at the first remaining one's expiry. */
static void arp_expire(struct viv_host *h)
{
    viv_time_t now = h->node.sim->now;
    while (h->arp_idle_expiry <= now) { /* something may have expired */
        viv__arp *e = arp_idle_lru(h);
        h->arp_idle_expiry = e ? arp_expiry(h, e) : VIV_TIME_NEVER;
        if (h->arp_idle_expiry > now)
            return;
        h->st.arp_expired++;
        arp_delete(h, e); /* the bound stays: the next head expires no earlier */
    }
}

void viv__arp_expire(struct viv_host *h) { arp_expire(h); }

static void arp_idle_unlink(struct viv_host *h, viv__arp *e)
{
    if (!e->idle)
        return;
    if (e->idle_prev)
        e->idle_prev->idle_next = e->idle_next;
    else
        h->arp_idle_first = e->idle_next;
    if (e->idle_next)
        e->idle_next->idle_prev = e->idle_prev;
    else
        h->arp_idle_last = e->idle_prev;
    e->idle_prev = e->idle_next = NULL;
    e->idle = 0;
    /* The bound holds for the entries left (none expires earlier for e's going), and an
     * empty list has none. */
    if (!h->arp_idle_first)
        h->arp_idle_expiry = VIV_TIME_NEVER;
}

/* The entry was touched now (created, used or confirmed) and is idle from now on. An idle
 * one stays where it is: aging and eviction find the touch when it reaches the head. */
static void arp_touch_idle(struct viv_host *h, viv__arp *e)
{
    e->touched = h->node.sim->now;
    e->touch = ++h->arp_touches;
    if (e->idle) {
        e->idle = ARP_IDLE_TOUCHED;
        return;
    }
    e->idle = ARP_IDLE_PLACED;
    e->idle_next = NULL;
    e->idle_prev = h->arp_idle_last;
    if (h->arp_idle_last) {
        h->arp_idle_last->idle_next = e; /* it expires last: the bound holds */
    } else {
        h->arp_idle_first = e;
        h->arp_idle_expiry = arp_expiry(h, e);
    }
    h->arp_idle_last = e;
}

/* ---- entries --------------------------------------------------------------------------- */

static void arp_queue_free(struct viv_host *h, viv__arp *e)
{
    viv_sim_t *sim = h->node.sim;
    for (uint32_t i = 0; i < e->nqueue; i++)
        viv__frame_unref(sim, e->queue[i]);
    if (e->queue)
        viv__free(sim, e->queue, h->arp_lim.arp_queue * sizeof(*e->queue));
    e->queue = NULL;
    e->nqueue = 0;
}

/* Trace an entry's new state (-1: removed). */
static void arp_trace(struct viv_host *h, const viv__arp *e, int state)
{
    viv_sim_t *sim = h->node.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_ARP);
    r.node = &h->node;
    r.port = e->iface;
    r.ip = e->ip;
    r.mac = e->mac;
    r.state = state;
    viv__trace_emit(sim, &r);
}

/* The entry is going: no slot may name it (viv__arp_output_slot). Only a host that forwards
 * has slots; removals are rare (aging, eviction, failure, flush), and a walk of the
 * forwarding cache at each is what keeps the lookup of a cached next hop to one load. */
static void arp_forget_slots(struct viv_host *h, const viv__arp *e)
{
    viv__fwd_cache *c = h->fwd;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].arp == e)
            c->e[i].arp = NULL;
}

static void arp_delete(struct viv_host *h, viv__arp *e)
{
    if (h->fwd)
        arp_forget_slots(h, e);
    arp_trace(h, e, -1);
    viv__timer_fini(&e->timer);
    arp_idle_unlink(h, e);
    arp_queue_free(h, e);
    viv__map_del(&h->arp_map, arp_key(e->iface, e->ip));
    if (e->prev)
        e->prev->next = e->next;
    else
        h->arp_first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        h->arp_last = e->prev;
    h->narp--;
    arp_count_changed(h);
    viv__free(h->node.sim, e, sizeof(*e));
}

static void arp_timer_fire(viv__timer *t);

/* A new entry for (iface, ip), not yet in any state list. When the cache is full the least
 * recently touched idle entry makes room; with none, the entry is refused (NULL, counted in
 * arp_refused). NULL too when memory runs out (counted in drop_nomem by the caller). */
static viv__arp *arp_create(struct viv_host *h, uint32_t iface, viv_ip4_t ip)
{
    viv_sim_t *sim = h->node.sim;
    if (h->narp >= h->arp_lim.arp_max_entries) {
        viv__arp *victim = arp_idle_lru(h);
        if (!victim) {
            h->st.arp_refused++;
            return NULL;
        }
        h->st.arp_evicted++;
        arp_delete(h, victim);
    }
    viv__arp *e = viv__zalloc(sim, sizeof(*e));
    if (!e)
        return NULL;
    if (viv__timer_init(&e->timer, sim, h->node.owner, arp_timer_fire) < 0) {
        viv__free(sim, e, sizeof(*e));
        return NULL;
    }
    /* The map holds every entry once there are two or more; one alone is found from the
     * host (arp_lookup), and a host with one neighbour has no map. */
    if (h->narp >= 1) {
        if (viv__map_reserve(sim, &h->arp_map, h->narp + 1) < 0) {
            viv__timer_fini(&e->timer);
            viv__free(sim, e, sizeof(*e));
            return NULL;
        }
        if (h->narp == 1) /* may be there already: then this replaces it with itself */
            (void)viv__map_put(sim, &h->arp_map, arp_key(h->arp_first->iface, h->arp_first->ip),
                               h->arp_first);
        (void)viv__map_put(sim, &h->arp_map, arp_key(iface, ip), e);
    }
    e->ip = ip;
    e->iface = iface;
    e->host = h;
    e->confirmed = e->touched = sim->now;
    e->prev = h->arp_last;
    if (h->arp_last)
        h->arp_last->next = e;
    else
        h->arp_first = e;
    h->arp_last = e;
    h->narp++;
    arp_count_changed(h);
    return e;
}

static void arp_send(struct viv_host *h, uint32_t iface, uint16_t op, const viv_mac_t *eth_dst,
                     const viv_mac_t *tha, viv_ip4_t spa, viv_ip4_t tpa)
{
    viv__iface *ifc = h->ifaces[iface];
    viv__frame *f = viv__frame_new(h->node.sim, VIV__FRAME_HEADROOM, VIV__ARP_LEN);
    if (!f)
        return;
    struct viv__arp_repr a = {op, ifc->mac, spa, *tha, tpa};
    viv__arp_emit(&a, viv__frame_bytes(f), VIV__ARP_LEN);
    if (op == VIV__ARP_OP_REQUEST)
        h->st.arp_requests++;
    else
        h->st.arp_replies++;
    viv__host_eth_send(h, iface, eth_dst, VIV__ETHERTYPE_ARP, f);
}

/* The address a request to ip is sent from: one in the same prefix, else the primary. */
static viv_ip4_t request_src(const struct viv_host *h, uint32_t iface, viv_ip4_t ip)
{
    const viv__iface *ifc = h->ifaces[iface];
    for (uint32_t k = 0; k < ifc->naddrs; k++) {
        viv_ip4_t m = viv_ip4_mask(ifc->addrs[k].len);
        if ((ifc->addrs[k].ip & m) == (ip & m))
            return ifc->addrs[k].ip;
    }
    return ifc->naddrs ? ifc->addrs[0].ip : VIV_IP4_ANY;
}

static void arp_request(struct viv_host *h, viv__arp *e, int unicast)
{
    static const viv_mac_t zero = {{0, 0, 0, 0, 0, 0}};
    e->attempts++;
    arp_send(h, e->iface, VIV__ARP_OP_REQUEST, unicast ? &e->mac : &mac_bcast, &zero,
             request_src(h, e->iface, e->ip), e->ip);
    viv__timer_set(&e->timer, viv__time_add(h->node.sim->now, h->arp_lim.arp_retry_ns));
}

static void arp_timer_fire(viv__timer *t)
{
    viv__arp *e = (viv__arp *)((char *)t - offsetof(viv__arp, timer));
    struct viv_host *h = e->host;
    if (e->attempts < h->arp_lim.arp_attempts) {
        arp_request(h, e, e->state == VIV_ARP_PROBE);
        return;
    }
    /* Given up: the waiting packets' senders learn that the host is unreachable. */
    h->st.arp_failed++;
    viv__frame **q = e->queue;
    uint32_t n = e->nqueue;
    uint32_t e_iface = e->iface;
    e->queue = NULL;
    e->nqueue = 0;
    arp_delete(h, e);
    for (uint32_t i = 0; i < n; i++) {
        viv__host_drop(h, &h->st.drop_arp, VIV_DROP_NO_ARP, e_iface, q[i]);
        viv__ip_unreachable(h, q[i], VIV__ICMP_UNREACH_HOST);
    }
    viv__free(h->node.sim, q, h->arp_lim.arp_queue * sizeof(*q));
}

static void eth_out(struct viv_host *h, uint32_t iface, const viv_mac_t *mac, viv__frame *f)
{
    viv__host_eth_send(h, iface, mac, VIV__ETHERTYPE_IPV4, f);
}

/* A mapping was confirmed: send what waited. */
static void arp_confirm(struct viv_host *h, viv__arp *e, const viv_mac_t *mac)
{
    e->mac = *mac;
    e->state = VIV_ARP_REACHABLE;
    arp_trace(h, e, VIV_ARP_REACHABLE);
    e->confirmed = h->node.sim->now;
    e->attempts = 0;
    if (e->idle) {
        /* Idle already (a neighbour heard again): no retry to stop, no packet waiting, and
         * the timer and the queue are on the entry's colder lines. */
        assert(!viv__timer_running(&e->timer) && !e->queue && !e->nqueue);
        arp_touch_idle(h, e);
        return;
    }
    viv__timer_stop(&e->timer);
    arp_touch_idle(h, e);
    viv__frame **q = e->queue;
    uint32_t n = e->nqueue;
    e->queue = NULL;
    e->nqueue = 0;
    for (uint32_t i = 0; i < n; i++)
        eth_out(h, e->iface, &e->mac, q[i]);
    if (q)
        viv__free(h->node.sim, q, h->arp_lim.arp_queue * sizeof(*q));
}

/* Whether mac is the MAC of one of the host's interfaces. */
static int host_has_mac(const struct viv_host *h, const viv_mac_t *mac)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (viv__mac_eq(&h->ifaces[i]->mac, mac))
            return 1;
    return 0;
}

/* RFC 5227 section 2.4, ongoing address conflict detection: an ARP packet heard on
 * interface iface claims one of the host's own addresses (ip) for another station (mac).
 * Linux drops such a packet as a martian source (its sender address is local); vivarium too
 * learns nothing from it and answers nothing, keeps the address and does not defend it
 * (RFC 5227's third choice, without the announcement). The one place a conflict is seen:
 * its trace record belongs here. */
static void arp_conflict(struct viv_host *h, uint32_t iface, viv_ip4_t ip, const viv_mac_t *mac)
{
    h->st.arp_conflicts++;
    viv_sim_t *sim = h->node.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_ADDR_CONFLICT);
    r.node = &h->node;
    r.port = iface;
    r.ip = ip;
    r.mac = *mac;
    viv__trace_emit(sim, &r);
}

void viv__arp_input(struct viv_host *h, uint32_t iface, const uint8_t *pkt, uint32_t len)
{
    h->st.arp_rx++;
    arp_expire(h);
    /* Checked and read in place: most packets a host hears are requests flooded to a whole
     * LAN for another station, which need only the two addresses (and the sender's MAC when
     * it is a neighbour to refresh or a conflict). */
    int op = viv__arp_check(pkt, len);
    if (op < 0 || (pkt[VIV__ARP_OFF_SHA] & 1)) { /* a group sender MAC is malformed too */
        viv__host_drop_bytes(h, &h->st.arp_bad, VIV_DROP_MALFORMED, iface, pkt, len);
        return;
    }
    viv_ip4_t spa = viv_rd32be(pkt + VIV__ARP_OFF_SPA);
    viv_ip4_t tpa = viv_rd32be(pkt + VIV__ARP_OFF_TPA);
    viv_mac_t sha;
    int for_me = 0;
    if (h->addr_bloom & viv__addr_bit(tpa)) { /* else none of the host's: not the interface's */
        const viv__iface *ifc = h->ifaces[iface];
        for (uint32_t k = 0; k < ifc->naddrs; k++)
            if (ifc->addrs[k].ip == tpa)
                for_me = 1;
    }
    if (spa == VIV_IP4_ANY) { /* an address probe (RFC 5227): answer, learn nothing */
        if (for_me && op == VIV__ARP_OP_REQUEST) {
            memcpy(sha.b, pkt + VIV__ARP_OFF_SHA, 6);
            arp_send(h, iface, VIV__ARP_OP_REPLY, &sha, &sha, tpa, spa);
        }
        return;
    }
    if (viv__host_addr_iface(h, spa) >= 0) {
        /* The sender claims one of the host's own addresses: another station's claim, or
         * the host's own packet heard again (a loop, or two interfaces on one LAN). Neither
         * is learned (it would put the host's own address in its cache) nor answered. */
        memcpy(sha.b, pkt + VIV__ARP_OFF_SHA, 6);
        if (!host_has_mac(h, &sha))
            arp_conflict(h, iface, spa, &sha);
        return;
    }
    /* RFC 826: if the sender is in the table, update it (merge). A bystander (not the
     * target) with no entry for the sender is done here. */
    viv__arp *e = arp_lookup(h, iface, spa);
    if (!e && !for_me)
        return;
    memcpy(sha.b, pkt + VIV__ARP_OFF_SHA, 6);
    if (e) {
        arp_confirm(h, e, &sha);
    } else {
        /* The target learns the requester: it will most likely answer it. A full cache may
         * refuse it; the request is answered all the same. */
        e = arp_create(h, iface, spa);
        if (e) {
            e->mac = sha;
            e->state = VIV_ARP_REACHABLE;
            arp_trace(h, e, VIV_ARP_REACHABLE);
            arp_touch_idle(h, e);
        }
    }
    if (for_me && op == VIV__ARP_OP_REQUEST)
        arp_send(h, iface, VIV__ARP_OP_REPLY, &sha, &sha, tpa, spa);
}

/* A unicast next hop: the cache's state machine. slot (may be NULL) receives nh's entry. */
static void arp_output_unicast(struct viv_host *h, uint32_t iface, viv_ip4_t nh, viv__arp **slot,
                               viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    arp_expire(h);
    viv__arp *e = arp_lookup(h, iface, nh);
    if (e) {
        if (slot)
            *slot = e;
        switch (e->state) {
        case VIV_ARP_REACHABLE:
            if (sim->now - e->confirmed < h->opts.arp_reachable_ns) {
                arp_touch_idle(h, e);
                eth_out(h, iface, &e->mac, f);
                return;
            }
            e->state = VIV_ARP_STALE;
            /* fall through - a stale entry is used and revalidated */
        case VIV_ARP_STALE:
            e->state = VIV_ARP_PROBE;
            arp_trace(h, e, VIV_ARP_PROBE);
            e->attempts = 0;
            e->touched = sim->now;
            arp_idle_unlink(h, e); /* its probe ends it or confirms it */
            arp_request(h, e, 1);
            eth_out(h, iface, &e->mac, f);
            return;
        case VIV_ARP_PROBE:
            e->touched = sim->now;
            eth_out(h, iface, &e->mac, f);
            return;
        case VIV_ARP_INCOMPLETE:
        default:
            break;
        }
    } else {
        uint64_t refused = h->st.arp_refused;
        e = arp_create(h, iface, nh);
        if (e) {
            e->queue = viv__alloc(sim, h->arp_lim.arp_queue * sizeof(*e->queue));
            if (!e->queue) {
                arp_delete(h, e);
                e = NULL;
            }
        }
        if (!e) {
            if (h->st.arp_refused != refused) /* the cache is full of entries resolving */
                viv__host_drop(h, &h->st.drop_arp, VIV_DROP_TABLE_FULL, iface, f);
            else
                viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, iface, f);
            viv__frame_unref(sim, f);
            return;
        }
        if (slot)
            *slot = e;
        e->state = VIV_ARP_INCOMPLETE;
        arp_trace(h, e, VIV_ARP_INCOMPLETE);
        arp_request(h, e, 0);
    }
    if (e->nqueue == h->arp_lim.arp_queue) { /* full: the oldest packet makes room */
        viv__host_drop(h, &h->st.drop_arp, VIV_DROP_ARP_QUEUE, iface, e->queue[0]);
        viv__frame_unref(sim, e->queue[0]);
        memmove(&e->queue[0], &e->queue[1], (e->nqueue - 1) * sizeof(*e->queue));
        e->nqueue--;
    }
    e->queue[e->nqueue++] = f;
}

void viv__arp_output(struct viv_host *h, uint32_t iface, viv_ip4_t nh, viv__frame *f)
{
    /* Broadcast and multicast next hops: only addresses of class D or E, or with the low bits
     * every directed broadcast of the host has set (bcast_low), can be one. */
    if (VIV__UNLIKELY((nh >> 28) >= 0xe ||
                      (h->bcast_low && (nh & h->bcast_low) == h->bcast_low))) {
        if (nh == VIV_IP4_BROADCAST || (h->bcast_low && (nh & h->bcast_low) == h->bcast_low &&
                                        viv__iface_is_bcast(h->ifaces[iface], nh))) {
            eth_out(h, iface, &mac_bcast, f);
            return;
        }
        if ((nh >> 28) == 0xe) { /* multicast: RFC 1112's mapping */
            viv_mac_t m = {{0x01, 0x00, 0x5e, (uint8_t)((nh >> 16) & 0x7f), (uint8_t)(nh >> 8),
                            (uint8_t)nh}};
            eth_out(h, iface, &m, f);
            return;
        }
    }
    /* The common case in line: nothing to age now, and an entry REACHABLE and fresh (as
     * arp_output_unicast would find it, and do the same); the rest, with its larger
     * frame, out of line. */
    viv_time_t now = h->node.sim->now;
    if (VIV__LIKELY(h->arp_idle_expiry > now)) {
        viv__arp *e = arp_lookup(h, iface, nh);
        if (e && e->state == VIV_ARP_REACHABLE && now - e->confirmed < h->opts.arp_reachable_ns) {
            arp_touch_idle(h, e);
            eth_out(h, iface, &e->mac, f);
            return;
        }
    }
    arp_output_unicast(h, iface, nh, NULL, f);
}

void viv__arp_output_slot(struct viv_host *h, uint32_t iface, viv_ip4_t nh, viv__arp **slot,
                          viv__frame *f)
{
    arp_expire(h); /* first: it may remove *slot's entry, and clears the slot then */
    viv__arp *e = *slot;
    if (e && e->state == VIV_ARP_REACHABLE &&
        h->node.sim->now - e->confirmed < h->opts.arp_reachable_ns) {
        arp_touch_idle(h, e);
        eth_out(h, iface, &e->mac, f);
        return;
    }
    arp_output_unicast(h, iface, nh, slot, f);
}

void viv__arp_flush_iface(struct viv_host *h, uint32_t iface)
{
    for (viv__arp *e = h->arp_first, *next; e; e = next) {
        next = e->next;
        if (e->iface == iface)
            arp_delete(h, e);
    }
}

void viv__arp_fini(struct viv_host *h)
{
    while (h->arp_last)
        arp_delete(h, h->arp_last);
    viv__map_fini(h->node.sim, &h->arp_map);
}

/* ---- public ---------------------------------------------------------------------------- */

static int arp_less(const viv__arp *a, const viv__arp *b)
{
    return a->iface != b->iface ? a->iface < b->iface : a->ip < b->ip;
}

static void arp_sift(viv__arp **v, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && arp_less(v[c], v[c + 1]))
            c++;
        if (!arp_less(v[i], v[c]))
            return;
        viv__arp *t = v[i];
        v[i] = v[c];
        v[c] = t;
        i = c;
    }
}

/* Heapsort by (iface, ip): in place, O(n log n), and (the keys being distinct) one result
 * whatever the order the entries came in. */
static void arp_sort(viv__arp **v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        arp_sift(v, i, n);
    for (size_t end = n; end-- > 1;) {
        viv__arp *t = v[0];
        v[0] = v[end];
        v[end] = t;
        arp_sift(v, 0, end);
    }
}

#define ARP_SMALL 64u

/* The entries sorted by (iface, ip), in small (ARP_SMALL slots) or in an array to give back
 * with arp_sorted_free. Returns 0 or VIV_ENOMEM. */
static int arp_sorted(const struct viv_host *h, viv__arp **small, viv__arp ***out)
{
    viv__arp **v = small;
    if (h->narp > ARP_SMALL) {
        v = viv__alloc(h->node.sim, (size_t)h->narp * sizeof(*v));
        if (!v)
            return VIV_ENOMEM;
    }
    size_t n = 0;
    for (viv__arp *e = h->arp_first; e; e = e->next)
        v[n++] = e;
    arp_sort(v, n);
    *out = v;
    return 0;
}

static void arp_sorted_free(const struct viv_host *h, viv__arp **small, viv__arp **v)
{
    if (v != small)
        viv__free(h->node.sim, v, (size_t)h->narp * sizeof(*v));
}

static viv_arp_state arp_state_now(const struct viv_host *h, const viv__arp *e)
{
    if (e->state == VIV_ARP_REACHABLE &&
        h->node.sim->now - e->confirmed >= h->opts.arp_reachable_ns)
        return VIV_ARP_STALE;
    return (viv_arp_state)e->state;
}

int viv_host_arp_table(const viv_host_t *h, viv_arp_entry *rows, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    /* Expired entries are gone, whether or not the cache was used since. */
    arp_expire((struct viv_host *)h);
    if (!cap)
        return (int)h->narp;
    viv__arp *small[ARP_SMALL], **v;
    if (arp_sorted(h, small, &v) < 0)
        return viv__err(h->node.sim, VIV_ENOMEM, "viv_host_arp_table: out of memory");
    for (uint32_t i = 0; i < h->narp && i < cap; i++) {
        const viv__arp *e = v[i];
        rows[i].ip = e->ip;
        rows[i].mac = e->mac;
        rows[i].iface = e->iface;
        rows[i].state = arp_state_now(h, e);
        rows[i].age_ns = h->node.sim->now - e->confirmed;
        rows[i].queued = e->nqueue;
    }
    arp_sorted_free(h, small, v);
    return (int)h->narp;
}

int viv_host_arp_table_text(const viv_host_t *h, char *buf, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || buf, "NULL buffer with a nonzero capacity");
    arp_expire((struct viv_host *)h);
    viv__arp *small[ARP_SMALL], **v;
    if (arp_sorted(h, small, &v) < 0)
        return viv__err(h->node.sim, VIV_ENOMEM, "viv_host_arp_table_text: out of memory");
    /* viv__sb writes nothing (so no NUL) when nothing is printed: an empty text must still
     * be a string. */
    if (cap)
        buf[0] = '\0';
    viv__sb sb = {buf, cap, 0};
    for (uint32_t i = 0; i < h->narp; i++) {
        const viv__arp *e = v[i];
        char ip[VIV_IP4_STRLEN], mac[VIV_MAC_STRLEN];
        viv_ip4_format(e->ip, ip, sizeof ip);
        viv_mac_format(&e->mac, mac, sizeof mac);
        if (e->state == VIV_ARP_INCOMPLETE)
            viv__sb_printf(&sb, "? (%s) at <incomplete> on %s\n", ip, h->ifaces[e->iface]->name);
        else
            viv__sb_printf(&sb, "? (%s) at %s [ether] on %s\n", ip, mac, h->ifaces[e->iface]->name);
    }
    arp_sorted_free(h, small, v);
    return (int)sb.len;
}
