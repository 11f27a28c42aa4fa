/* Port demultiplexing shared by the transports (see demux.h), and the table of transports
 * every host is assembled with. */
#include "demux.h"

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
    d->order = 0;
    d->eph_cursor = eph_start;
}

void viv__demux_fini(viv_sim_t *sim, viv__demux *d)
{
    viv__map_fini(sim, &d->ports);
    viv__map_fini(sim, &d->bound);
    viv__map_fini(sim, &d->conns);
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

static int demux_in_use(void *ctx, uint16_t port)
{
    return viv__demux_port_in_use(ctx, port);
}

uint16_t viv__demux_ephemeral(viv__demux *d)
{
    return viv__ephemeral_port(&d->eph_cursor, demux_in_use, d);
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
        viv__map_reserve(sim, &d->bound, d->nbound + 1) < 0)
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
        if (viv__map_reserve(sim, &d->ports, d->ports.len + 1) < 0)
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

viv__demux_ep *viv__demux_lookup(const viv__demux *d, viv_ip4_t lip, uint16_t lport, viv_ip4_t rip,
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
    return viv__map_get(&d->bound, demux_bound_key(VIV_IP4_ANY, lport));
}
