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
 * The cache is an array sorted by (interface, address): lookups are binary searches and
 * listings need no sort. */
#include <stdio.h>
#include <string.h>

#include "l3.h"

static const viv_mac_t mac_bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* Index of (iface, ip), or -(insert position) - 1. */
static int arp_find(const struct viv_host *h, uint32_t iface, viv_ip4_t ip)
{
    int lo = 0, hi = (int)h->narp - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const viv__arp *e = h->arp[mid];
        if (e->iface == iface && e->ip == ip)
            return mid;
        if (e->iface < iface || (e->iface == iface && e->ip < ip))
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static viv__arp *arp_create(struct viv_host *h, uint32_t iface, viv_ip4_t ip, int pos)
{
    viv_sim_t *sim = h->node.sim;
    if (h->narp == h->arp_cap) {
        uint32_t ncap = h->arp_cap ? h->arp_cap * 2 : 8;
        viv__arp **n = viv__realloc(sim, h->arp, h->arp_cap * sizeof(*n), ncap * sizeof(*n));
        if (!n)
            return NULL;
        h->arp = n;
        h->arp_cap = ncap;
    }
    viv__arp *e = viv__zalloc(sim, sizeof(*e));
    if (!e)
        return NULL;
    e->queue = viv__alloc(sim, h->opts.arp_queue * sizeof(*e->queue));
    if (!e->queue) {
        viv__free(sim, e, sizeof(*e));
        return NULL;
    }
    e->ip = ip;
    e->iface = iface;
    e->host = h;
    e->confirmed = sim->now;
    memmove(&h->arp[pos + 1], &h->arp[pos], (h->narp - (uint32_t)pos) * sizeof(*h->arp));
    h->arp[pos] = e;
    h->narp++;
    return e;
}

static void arp_timer_stop(struct viv_host *h, viv__arp *e)
{
    if (e->timer_armed) {
        viv_sim_cancel(h->node.sim, e->timer);
        e->timer_armed = 0;
    }
}

static void arp_delete(struct viv_host *h, int idx)
{
    viv_sim_t *sim = h->node.sim;
    viv__arp *e = h->arp[idx];
    arp_timer_stop(h, e);
    for (uint32_t i = 0; i < e->nqueue; i++)
        viv__frame_unref(sim, e->queue[i]);
    viv__free(sim, e->queue, h->opts.arp_queue * sizeof(*e->queue));
    viv__free(sim, e, sizeof(*e));
    memmove(&h->arp[idx], &h->arp[idx + 1], (h->narp - (uint32_t)idx - 1) * sizeof(*h->arp));
    h->narp--;
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

static void arp_timer_fire(viv_sim_t *sim, void *user);

static void arp_request(struct viv_host *h, viv__arp *e, int unicast)
{
    static const viv_mac_t zero = {{0, 0, 0, 0, 0, 0}};
    e->attempts++;
    arp_send(h, e->iface, VIV__ARP_OP_REQUEST, unicast ? &e->mac : &mac_bcast, &zero,
             request_src(h, e->iface, e->ip), e->ip);
    if (viv_sim_schedule_after(&e->timer, h->node.sim, h->opts.arp_retry_ns, arp_timer_fire,
                               e) == 0)
        e->timer_armed = 1;
}

static void arp_timer_fire(viv_sim_t *sim, void *user)
{
    viv__arp *e = user;
    struct viv_host *h = e->host;
    (void)sim;
    e->timer_armed = 0;
    if (e->attempts < h->opts.arp_attempts) {
        arp_request(h, e, e->state == VIV_ARP_PROBE);
        return;
    }
    /* Given up: the waiting packets' senders learn that the host is unreachable. */
    h->st.arp_failed++;
    viv__frame **q = e->queue;
    uint32_t n = e->nqueue;
    e->queue = NULL;
    e->nqueue = 0;
    arp_delete(h, arp_find(h, e->iface, e->ip));
    for (uint32_t i = 0; i < n; i++) {
        h->st.drop_arp++;
        viv__ip_unreachable(h, q[i], VIV__ICMP_UNREACH_HOST);
    }
    viv__free(h->node.sim, q, h->opts.arp_queue * sizeof(*q));
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
    e->confirmed = h->node.sim->now;
    e->attempts = 0;
    arp_timer_stop(h, e);
    uint32_t n = e->nqueue;
    e->nqueue = 0;
    for (uint32_t i = 0; i < n; i++)
        eth_out(h, e->iface, &e->mac, e->queue[i]);
}

void viv__arp_input(struct viv_host *h, uint32_t iface, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__arp_repr a;
    h->st.arp_rx++;
    int rc = viv__arp_parse(viv__frame_bytes(f), f->len, &a);
    viv__frame_unref(sim, f);
    if (rc < 0 || viv__mac_is_group(&a.sha)) {
        h->st.arp_bad++;
        return;
    }
    viv__iface *ifc = h->ifaces[iface];
    int for_me = 0;
    for (uint32_t k = 0; k < ifc->naddrs; k++)
        if (ifc->addrs[k].ip == a.tpa)
            for_me = 1;
    if (a.spa == VIV_IP4_ANY) { /* an address probe (RFC 5227): answer, learn nothing */
        if (for_me && a.op == VIV__ARP_OP_REQUEST)
            arp_send(h, iface, VIV__ARP_OP_REPLY, &a.sha, &a.sha, a.tpa, a.spa);
        return;
    }
    /* RFC 826: if the sender is in the table, update it (merge). */
    int idx = arp_find(h, iface, a.spa);
    if (idx >= 0) {
        arp_confirm(h, h->arp[idx], &a.sha);
    } else if (for_me) {
        /* The target learns the requester: it will most likely answer it. */
        viv__arp *e = arp_create(h, iface, a.spa, -idx - 1);
        if (e) {
            e->mac = a.sha;
            e->state = VIV_ARP_REACHABLE;
        }
    }
    if (for_me && a.op == VIV__ARP_OP_REQUEST)
        arp_send(h, iface, VIV__ARP_OP_REPLY, &a.sha, &a.sha, a.tpa, a.spa);
}

void viv__arp_output(struct viv_host *h, uint32_t iface, viv_ip4_t nh, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    viv__iface *ifc = h->ifaces[iface];
    if (nh == VIV_IP4_BROADCAST || viv__iface_is_bcast(ifc, nh)) {
        eth_out(h, iface, &mac_bcast, f);
        return;
    }
    if ((nh >> 28) == 0xe) { /* multicast: RFC 1112's mapping */
        viv_mac_t m = {{0x01, 0x00, 0x5e, (uint8_t)((nh >> 16) & 0x7f), (uint8_t)(nh >> 8),
                        (uint8_t)nh}};
        eth_out(h, iface, &m, f);
        return;
    }
    int idx = arp_find(h, iface, nh);
    viv__arp *e;
    if (idx >= 0) {
        e = h->arp[idx];
        switch (e->state) {
        case VIV_ARP_REACHABLE:
            if (sim->now - e->confirmed < h->opts.arp_reachable_ns) {
                eth_out(h, iface, &e->mac, f);
                return;
            }
            e->state = VIV_ARP_STALE;
            /* fall through - a stale entry is used and revalidated */
        case VIV_ARP_STALE:
            e->state = VIV_ARP_PROBE;
            e->attempts = 0;
            arp_request(h, e, 1);
            eth_out(h, iface, &e->mac, f);
            return;
        case VIV_ARP_PROBE:
            eth_out(h, iface, &e->mac, f);
            return;
        case VIV_ARP_INCOMPLETE:
        default:
            break;
        }
    } else {
        e = arp_create(h, iface, nh, -idx - 1);
        if (!e) {
            h->st.drop_arp++;
            viv__frame_unref(sim, f);
            return;
        }
        e->state = VIV_ARP_INCOMPLETE;
        arp_request(h, e, 0);
    }
    if (e->nqueue == h->opts.arp_queue) { /* full: the oldest packet makes room */
        h->st.drop_arp++;
        viv__frame_unref(sim, e->queue[0]);
        memmove(&e->queue[0], &e->queue[1], (e->nqueue - 1) * sizeof(*e->queue));
        e->nqueue--;
    }
    e->queue[e->nqueue++] = f;
}

void viv__arp_flush_iface(struct viv_host *h, uint32_t iface)
{
    for (uint32_t i = h->narp; i-- > 0;)
        if (h->arp[i]->iface == iface)
            arp_delete(h, (int)i);
}

void viv__arp_fini(struct viv_host *h)
{
    while (h->narp)
        arp_delete(h, (int)h->narp - 1);
    viv__free(h->node.sim, h->arp, h->arp_cap * sizeof(*h->arp));
    h->arp = NULL;
    h->arp_cap = 0;
}

/* ---- public ---------------------------------------------------------------------------- */

static viv_arp_state arp_state_now(const struct viv_host *h, const viv__arp *e)
{
    if (e->state == VIV_ARP_REACHABLE &&
        h->node.sim->now - e->confirmed >= h->opts.arp_reachable_ns)
        return VIV_ARP_STALE;
    return e->state;
}

int viv_host_arp_table(const viv_host_t *h, viv_arp_entry *rows, size_t cap)
{
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    for (uint32_t i = 0; i < h->narp && i < cap; i++) {
        const viv__arp *e = h->arp[i];
        rows[i].ip = e->ip;
        rows[i].mac = e->mac;
        rows[i].iface = e->iface;
        rows[i].state = arp_state_now(h, e);
        rows[i].age_ns = h->node.sim->now - e->confirmed;
        rows[i].queued = e->nqueue;
    }
    return (int)h->narp;
}

int viv_host_arp_table_text(const viv_host_t *h, char *buf, size_t cap)
{
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || buf, "NULL buffer with a nonzero capacity");
    viv__sb sb = {buf, cap, 0};
    for (uint32_t i = 0; i < h->narp; i++) {
        const viv__arp *e = h->arp[i];
        char ip[VIV_IP4_STRLEN], mac[VIV_MAC_STRLEN];
        viv_ip4_format(e->ip, ip, sizeof ip);
        viv_mac_format(&e->mac, mac, sizeof mac);
        if (e->state == VIV_ARP_INCOMPLETE)
            viv__sb_printf(&sb, "? (%s) at <incomplete> on %s\n", ip, h->ifaces[e->iface]->name);
        else
            viv__sb_printf(&sb, "? (%s) at %s [ether] on %s\n", ip, mac, h->ifaces[e->iface]->name);
    }
    return (int)sb.len;
}
