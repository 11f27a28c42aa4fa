/* Port demultiplexing shared by the transports (see demux.h), and the table of transports
 * every host is assembled with. */
#include "demux.h"

#include "core/core.h"
#include "l4.h"

/* The transports layer 4 provides, in protocol-number order. Each host takes a copy of
 * every entry when it is created (see viv_host_new); the sized declaration makes a table
 * longer than a host can hold a compile-time error. */
const viv__l4_proto *const viv__transports[VIV__MAX_L4 + 1] = {&viv__tcp_proto, &viv__udp_proto,
                                                               NULL};

static viv__mkey demux_conn_key(viv_ip4_t lip, uint16_t lport, viv_ip4_t rip, uint16_t rport)
{
    return viv__mkey_tuple(lip, lport, rip, rport);
}

static viv__mkey demux_bound_key(viv_ip4_t lip, uint16_t lport)
{
    return viv__mkey_tuple(lip, lport, 0, 0);
}

static viv__mkey demux_ep_key(const viv__demux_ep *ep)
{
    return ep->where == VIV__DEMUX_CONN ? demux_conn_key(ep->lip, ep->lport, ep->rip, ep->rport)
                                        : demux_bound_key(ep->lip, ep->lport);
}

static viv__map *demux_table(viv__demux *d, const viv__demux_ep *ep)
{
    return ep->where == VIV__DEMUX_CONN ? &d->conns : &d->bound;
}

void viv__demux_init(viv__demux *d, uint16_t eph_start)
{
    viv__map_init(&d->ports);
    viv__map_init(&d->bound);
    viv__map_init(&d->conns);
    d->nbound = 0;
    d->nconn_any = 0;
    d->nbound_addr = 0;
    d->any_port = 0;
    d->any_ep = NULL;
    d->order = 0;
    d->eph_held = NULL;
    d->eph_nheld = 0;
    d->eph_cursor = eph_start >= VIV__EPHEMERAL_LO ? eph_start : (uint16_t)VIV__EPHEMERAL_LO;
}

/* The ephemeral bitmap: one bit per port of [VIV__EPHEMERAL_LO, VIV__EPHEMERAL_HI]. */
#define EPH_SPAN (VIV__EPHEMERAL_HI - VIV__EPHEMERAL_LO + 1u)
#define EPH_WORDS (EPH_SPAN / 64u)
#define EPH_BYTES (EPH_WORDS * sizeof(uint64_t))

void viv__demux_fini(viv_sim_t *sim, viv__demux *d)
{
    viv__map_fini(sim, &d->ports);
    viv__map_fini(sim, &d->bound);
    viv__map_fini(sim, &d->conns);
    if (d->eph_held)
        viv__free(sim, d->eph_held, EPH_BYTES);
    d->eph_held = NULL;
    d->eph_nheld = 0;
}

/* ---- ports ----------------------------------------------------------------------------- */

viv__demux_ep *viv__demux_port_first(const viv__demux *d, uint16_t port)
{
    return viv__map_get(&d->ports, viv__mkey_u64(port));
}

int viv__demux_port_in_use(const viv__demux *d, uint16_t port)
{
    return viv__demux_port_first(d, port) != NULL;
}

static int eph_in_range(uint16_t port)
{
    return port >= VIV__EPHEMERAL_LO; /* VIV__EPHEMERAL_HI is the largest port */
}

/* Room for the ephemeral bitmap if taking port needs it. Returns 0 or VIV_ENOMEM. Called
 * after every other reservation, so that a bitmap allocated is never left behind by a
 * failure; an empty bitmap would be harmless anyway. */
static int eph_reserve(viv_sim_t *sim, viv__demux *d, uint16_t port)
{
    if (d->eph_held || !eph_in_range(port) || d->eph_nheld < VIV__EPH_FEW)
        return 0;
    uint64_t *b = viv__zalloc(sim, EPH_BYTES); /* the inline slots are full: move them */
    if (!b)
        return VIV_ENOMEM;
    for (uint32_t k = 0; k < d->eph_nheld; k++) {
        uint32_t i = (uint32_t)d->eph_few[k] - VIV__EPHEMERAL_LO;
        b[i / 64u] |= UINT64_C(1) << (i % 64u);
    }
    d->eph_held = b;
    return 0;
}

/* The port got its first holder (held 1) or lost its last (held 0). */
static void eph_mark(viv__demux *d, uint16_t port, int held)
{
    if (!eph_in_range(port))
        return;
    if (!d->eph_held) { /* the inline slots (eph_reserve made room) */
        if (held) {
            d->eph_few[d->eph_nheld++] = port;
            return;
        }
        for (uint32_t k = 0; k < d->eph_nheld; k++)
            if (d->eph_few[k] == port) {
                d->eph_few[k] = d->eph_few[--d->eph_nheld];
                return;
            }
        return;
    }
    uint32_t i = (uint32_t)port - VIV__EPHEMERAL_LO;
    uint64_t bit = UINT64_C(1) << (i % 64u);
    if (held) {
        d->eph_held[i / 64u] |= bit;
        d->eph_nheld++;
    } else {
        d->eph_held[i / 64u] &= ~bit;
        d->eph_nheld--;
    }
}

/* Without the bitmap: whether the port is in the inline slots. */
static int eph_few_held(const viv__demux *d, uint32_t port)
{
    for (uint32_t k = 0; k < d->eph_nheld; k++)
        if (d->eph_few[k] == port)
            return 1;
    return 0;
}

/* The index of the lowest set bit of a nonzero word. */
static uint32_t eph_lowest(uint64_t w)
{
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_ctzll(w);
#else
    uint32_t n = 0;
    while (!(w & 1u)) {
        w >>= 1;
        n++;
    }
    return n;
#endif
}

uint16_t viv__demux_ephemeral(viv__demux *d)
{
    uint32_t c = (uint32_t)d->eph_cursor - VIV__EPHEMERAL_LO, i;
    if (!d->eph_held) {
        /* At most VIV__EPH_FEW held: the first free one at or after c, wrapping. */
        i = c;
        while (eph_few_held(d, VIV__EPHEMERAL_LO + i))
            i = i + 1u >= EPH_SPAN ? 0 : i + 1u;
    } else if (d->eph_nheld >= EPH_SPAN) {
        return 0; /* the old scan went round once and left the cursor where it was */
    } else {
        /* The first clear bit at or after c, wrapping: the rest of c's word, the words after
         * it, then (k == EPH_WORDS) c's word again from its start. One exists. */
        uint32_t w0 = c / 64u;
        uint64_t free_bits = ~d->eph_held[w0] & (~UINT64_C(0) << (c % 64u));
        uint32_t k = 0;
        while (!free_bits) {
            k++;
            free_bits = ~d->eph_held[(w0 + k) % EPH_WORDS];
        }
        i = ((w0 + k) % EPH_WORDS) * 64u + eph_lowest(free_bits);
    }
    d->eph_cursor = (uint16_t)(i + 1u >= EPH_SPAN ? VIV__EPHEMERAL_LO : VIV__EPHEMERAL_LO + i + 1u);
    return (uint16_t)(VIV__EPHEMERAL_LO + i);
}

/* Whether a connection from (lip, port) to (rip, rport) may share port: every holder is a
 * connection that took the port when it connected (not bound, not listening, a local address
 * of its own), and none has this 4-tuple. */
static int eph_shareable(const viv__demux *d, uint16_t port, viv_ip4_t lip, viv_ip4_t rip,
                         uint16_t rport)
{
    for (const viv__demux_ep *e = viv__demux_port_first(d, port); e; e = e->port_next)
        if (e->where != VIV__DEMUX_CONN || e->bound || e->lip == VIV_IP4_ANY)
            return 0;
    return viv__map_get(&d->conns, demux_conn_key(lip, port, rip, rport)) == NULL;
}

uint16_t viv__demux_ephemeral_conn(viv__demux *d, viv_ip4_t lip, viv_ip4_t rip, uint16_t rport)
{
    uint16_t port = viv__demux_ephemeral(d);
    if (port)
        return port;
    uint32_t c = (uint32_t)d->eph_cursor - VIV__EPHEMERAL_LO;
    for (uint32_t k = 0; k < EPH_SPAN; k++) {
        uint32_t i = (c + k) % EPH_SPAN;
        if (eph_shareable(d, (uint16_t)(VIV__EPHEMERAL_LO + i), lip, rip, rport)) {
            d->eph_cursor =
                (uint16_t)(i + 1u >= EPH_SPAN ? VIV__EPHEMERAL_LO : VIV__EPHEMERAL_LO + i + 1u);
            return (uint16_t)(VIV__EPHEMERAL_LO + i);
        }
    }
    return 0;
}

int viv__demux_bind_conflict(const viv__demux *d, viv_ip4_t ip, uint16_t port, int reuse_addr)
{
    for (const viv__demux_ep *o = viv__demux_port_first(d, port); o; o = o->port_next) {
        int overlap = o->lip == VIV_IP4_ANY || ip == VIV_IP4_ANY || o->lip == ip;
        if (overlap && !(o->reuse_addr && reuse_addr))
            return 1;
    }
    return 0;
}

/* Append ep to its port's holders (it is the newest). The caller reserved room for a new
 * port, so this never allocates (the map is given no simulation to allocate with). */
static void port_append(viv__demux *d, viv__demux_ep *ep)
{
    viv__mkey k = viv__mkey_u64(ep->lport);
    viv__demux_ep *first = viv__map_get(&d->ports, k);
    ep->port_next = NULL;
    if (!first) {
        ep->port_prev = ep;
        viv__map_put(NULL, &d->ports, k, ep);
        eph_mark(d, ep->lport, 1);
        return;
    }
    viv__demux_ep *last = first->port_prev;
    last->port_next = ep;
    ep->port_prev = last;
    first->port_prev = ep;
}

static void port_unlink(viv__demux *d, viv__demux_ep *ep)
{
    viv__mkey k = viv__mkey_u64(ep->lport);
    viv__demux_ep *first = viv__map_get(&d->ports, k);
    if (ep == first) {
        viv__demux_ep *next = ep->port_next;
        if (next) {
            next->port_prev = ep->port_prev;        /* the last */
            viv__map_put(NULL, &d->ports, k, next); /* a replacement: never fails */
        } else {
            viv__map_del(&d->ports, k);
            eph_mark(d, ep->lport, 0);
        }
    } else {
        ep->port_prev->port_next = ep->port_next;
        if (ep->port_next)
            ep->port_next->port_prev = ep->port_prev;
        else
            first->port_prev = ep->port_prev;
    }
    ep->port_next = ep->port_prev = NULL;
}

/* ---- keyed chains ---------------------------------------------------------------------- */

/* The counts that let a lookup skip a probe that cannot hit: connections with a wildcard
 * local address, unconnected endpoints bound to one address. in: 1 entering, 0 leaving. */
static void chain_count(viv__demux *d, const viv__demux_ep *ep, int in)
{
    uint32_t *n = NULL;
    if (ep->where == VIV__DEMUX_CONN && ep->lip == VIV_IP4_ANY)
        n = &d->nconn_any;
    else if (ep->where == VIV__DEMUX_BOUND && ep->lip != VIV_IP4_ANY)
        n = &d->nbound_addr;
    if (n)
        *n = in ? *n + 1 : *n - 1;
}

/* Insert ep under its key, after every endpoint there that took its port earlier. A new key
 * needs room the caller reserved (the maps are given no simulation to allocate with). */
static void chain_insert(viv__demux *d, viv__demux_ep *ep)
{
    d->any_ep = NULL; /* the tables change: the lookup's last answer may not hold */
    viv__map *m = demux_table(d, ep);
    viv__mkey k = demux_ep_key(ep);
    viv__demux_ep *head = viv__map_get(m, k);
    chain_count(d, ep, 1);
    if (!head || ep->order < head->order) {
        ep->key_next = head;
        viv__map_put(NULL, m, k, ep);
        return;
    }
    viv__demux_ep *p = head;
    while (p->key_next && p->key_next->order < ep->order)
        p = p->key_next;
    ep->key_next = p->key_next;
    p->key_next = ep;
}

static void chain_remove(viv__demux *d, viv__demux_ep *ep)
{
    d->any_ep = NULL; /* the tables change: the lookup's last answer may not hold */
    viv__map *m = demux_table(d, ep);
    viv__mkey k = demux_ep_key(ep);
    viv__demux_ep *head = viv__map_get(m, k);
    chain_count(d, ep, 0);
    if (head == ep) {
        if (ep->key_next)
            viv__map_put(NULL, m, k, ep->key_next); /* a replacement: never fails */
        else
            viv__map_del(m, k);
    } else {
        for (viv__demux_ep *p = head; p; p = p->key_next)
            if (p->key_next == ep) {
                p->key_next = ep->key_next;
                break;
            }
    }
    ep->key_next = NULL;
}

/* ---- binding and connecting ------------------------------------------------------------ */

int viv__demux_bind(viv_sim_t *sim, viv__demux *d, viv__demux_ep *ep, viv_ip4_t ip, uint16_t port,
                    int reuse_addr)
{
    /* Room first, so that nothing below can fail: a new port, and a place in the bound table
     * kept for as long as the endpoint is bound, connected or not (disconnecting returns it
     * there and must not fail). */
    if (viv__map_reserve(sim, &d->ports, d->ports.len + 1) < 0 ||
        viv__map_reserve(sim, &d->bound, d->nbound + 1) < 0 || eph_reserve(sim, d, port) < 0)
        return VIV_ENOMEM;
    ep->lip = ip;
    ep->lport = port;
    ep->rip = VIV_IP4_ANY;
    ep->rport = 0;
    ep->reuse_addr = reuse_addr ? 1 : 0;
    ep->where = VIV__DEMUX_BOUND;
    ep->bound = 1;
    ep->order = ++d->order;
    d->nbound++;
    port_append(d, ep);
    chain_insert(d, ep);
    return 0;
}

int viv__demux_connect(viv_sim_t *sim, viv__demux *d, viv__demux_ep *ep, viv_ip4_t lip,
                       uint16_t lport, viv_ip4_t rip, uint16_t rport)
{
    uint32_t need = d->conns.len + (ep->where == VIV__DEMUX_CONN ? 0 : 1);
    if (viv__map_reserve(sim, &d->conns, need) < 0)
        return VIV_ENOMEM;
    if (ep->where == VIV__DEMUX_NONE) {
        if (viv__map_reserve(sim, &d->ports, d->ports.len + 1) < 0 ||
            eph_reserve(sim, d, lport) < 0)
            return VIV_ENOMEM;
        ep->lport = lport;
        ep->reuse_addr = 0;
        ep->bound = 0;
        ep->order = ++d->order;
        port_append(d, ep);
    } else {
        chain_remove(d, ep);
    }
    ep->lip = lip;
    ep->rip = rip;
    ep->rport = rport;
    ep->where = VIV__DEMUX_CONN;
    chain_insert(d, ep);
    return 0;
}

void viv__demux_disconnect(viv__demux *d, viv__demux_ep *ep, viv_ip4_t lip)
{
    if (ep->where != VIV__DEMUX_CONN || !ep->bound)
        return;
    chain_remove(d, ep);
    ep->lip = lip;
    ep->rip = VIV_IP4_ANY;
    ep->rport = 0;
    ep->where = VIV__DEMUX_BOUND;
    chain_insert(d, ep); /* into the place binding kept */
}

void viv__demux_remove(viv__demux *d, viv__demux_ep *ep)
{
    if (ep->where == VIV__DEMUX_NONE)
        return;
    chain_remove(d, ep);
    if (ep->bound)
        d->nbound--;
    port_unlink(d, ep);
    ep->where = VIV__DEMUX_NONE;
    ep->bound = 0;
}

/* ---- lookup ---------------------------------------------------------------------------- */

viv__demux_ep *viv__demux_lookup(viv__demux *d, viv_ip4_t lip, uint16_t lport, viv_ip4_t rip,
                                 uint16_t rport)
{
    viv__demux_ep *ep;
    if (d->conns.len) {
        if ((ep = viv__map_get(&d->conns, demux_conn_key(lip, lport, rip, rport))))
            return ep;
        if (d->nconn_any &&
            (ep = viv__map_get(&d->conns, demux_conn_key(VIV_IP4_ANY, lport, rip, rport))))
            return ep;
    }
    if (d->nbound_addr && (ep = viv__map_get(&d->bound, demux_bound_key(lip, lport))))
        return ep;
    if (d->any_ep && d->any_port == lport)
        return d->any_ep;
    ep = viv__map_get(&d->bound, demux_bound_key(VIV_IP4_ANY, lport));
    if (ep) {
        d->any_port = lport;
        d->any_ep = ep;
    }
    return ep;
}
