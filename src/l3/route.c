/* The routing table: an array kept in lookup order (longest prefix first, then lowest metric,
 * then oldest), so the first match of a scan is the longest-prefix match whatever order the
 * routes were added in. Hosts have a handful of routes; a router of a large topology a few
 * dozen: a scan beats a trie at these sizes and keeps the listing trivial. */
#include <stdio.h>
#include <string.h>

#include "l3.h"

static int rt_before(const viv__rt *a, const viv__rt *b)
{
    if (a->r.prefix_len != b->r.prefix_len)
        return a->r.prefix_len > b->r.prefix_len;
    if (a->r.metric != b->r.metric)
        return a->r.metric < b->r.metric;
    return a->order < b->order;
}

int viv__route_insert(struct viv_host *h, const viv_route *r)
{
    for (uint32_t i = 0; i < h->nroutes; i++) {
        const viv_route *o = &h->routes[i].r;
        if (o->dst == r->dst && o->prefix_len == r->prefix_len && o->gateway == r->gateway &&
            o->metric == r->metric && o->iface == r->iface)
            return VIV_EEXIST;
    }
    if (h->nroutes == h->routes_cap) {
        uint32_t ncap = h->routes_cap ? h->routes_cap * 2 : 8;
        viv__rt *n = viv__realloc(h->node.sim, h->routes, h->routes_cap * sizeof(*n),
                                  ncap * sizeof(*n));
        if (!n)
            return VIV_ENOMEM;
        h->routes = n;
        h->routes_cap = ncap;
    }
    viv__rt e = {*r, ++h->route_order};
    uint32_t i = h->nroutes;
    while (i > 0 && rt_before(&e, &h->routes[i - 1])) {
        h->routes[i] = h->routes[i - 1];
        i--;
    }
    h->routes[i] = e;
    h->nroutes++;
    return 0;
}

int viv__route_remove_if(struct viv_host *h, int (*pred)(const viv_route *, const void *),
                         const void *arg)
{
    uint32_t w = 0, removed = 0;
    for (uint32_t i = 0; i < h->nroutes; i++) {
        if (pred(&h->routes[i].r, arg))
            removed++;
        else
            h->routes[w++] = h->routes[i];
    }
    h->nroutes = w;
    return (int)removed;
}

/* Whether a route equals (prefix, gateway, metric, interface) a route that is not computed.
 * Hosts have a handful of such routes; computed ones are skipped. */
static int route_same_as_kept(const struct viv_host *h, const viv_route *r)
{
    for (uint32_t k = 0; k < h->nroutes; k++) {
        const viv_route *o = &h->routes[k].r;
        if (o->origin != VIV_ROUTE_COMPUTED && o->dst == r->dst &&
            o->prefix_len == r->prefix_len && o->gateway == r->gateway &&
            o->metric == r->metric && o->iface == r->iface)
            return 1;
    }
    return 0;
}

/* Replacing the computed routes of a host is split in two: the new table is built aside
 * (which may fail for memory), then installed (which cannot), so that viv_sim_compute_routes()
 * changes every host or none. rows are in table order (longest prefix first, then metric). */
int viv__route_plan_computed(const struct viv_host *h, const viv_route *rows, uint32_t n,
                             viv__rt_plan *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t kept = 0;
    for (uint32_t i = 0; i < h->nroutes; i++)
        kept += h->routes[i].r.origin != VIV_ROUTE_COMPUTED;
    uint32_t cap = kept + n < 8 ? 8 : kept + n;
    viv__rt *arr = viv__alloc(h->node.sim, cap * sizeof(*arr));
    if (!arr)
        return VIV_ENOMEM;
    /* Merge the kept routes (already in order) with the new ones (in order, and younger than
     * every kept route). A new route identical to a kept one is left out. */
    uint32_t i = 0, j = 0, w = 0, added = 0;
    uint64_t order = h->route_order;
    for (;;) {
        while (i < h->nroutes && h->routes[i].r.origin == VIV_ROUTE_COMPUTED)
            i++;
        while (j < n && route_same_as_kept(h, &rows[j]))
            j++;
        if (i == h->nroutes && j == n)
            break;
        viv__rt cand = {{0}, 0};
        if (j < n) {
            cand.r = rows[j];
            cand.order = order + 1;
        }
        if (j == n || (i < h->nroutes && rt_before(&h->routes[i], &cand))) {
            arr[w++] = h->routes[i++];
        } else {
            arr[w++] = cand;
            order++;
            added++;
            j++;
        }
    }
    out->routes = arr;
    out->n = w;
    out->cap = cap;
    out->added = added;
    out->order = order;
    return 0;
}

void viv__route_plan_commit(struct viv_host *h, viv__rt_plan *p)
{
    viv__free(h->node.sim, h->routes, h->routes_cap * sizeof(*h->routes));
    h->routes = p->routes;
    h->nroutes = p->n;
    h->routes_cap = p->cap;
    h->route_order = p->order;
    p->routes = NULL;
}

void viv__route_plan_discard(struct viv_host *h, viv__rt_plan *p)
{
    viv__free(h->node.sim, p->routes, p->cap * sizeof(*p->routes));
    p->routes = NULL;
}

void viv__route_fini(struct viv_host *h)
{
    viv__free(h->node.sim, h->routes, h->routes_cap * sizeof(*h->routes));
    h->routes = NULL;
    h->nroutes = h->routes_cap = 0;
}

/* The source address of a route: the primary address of its interface, preferring one in
 * the same prefix as the gateway. */
static viv_ip4_t route_src(const struct viv_host *h, const viv_route *r)
{
    const viv__iface *ifc = viv__host_iface(h, r->iface);
    if (!ifc || !ifc->naddrs)
        return VIV_IP4_ANY;
    viv_ip4_t target = r->gateway ? r->gateway : r->dst;
    for (uint32_t k = 0; k < ifc->naddrs; k++) {
        viv_ip4_t m = viv_ip4_mask(ifc->addrs[k].len);
        if ((ifc->addrs[k].ip & m) == (target & m))
            return ifc->addrs[k].ip;
    }
    return ifc->addrs[0].ip;
}

int viv__route_lookup(const struct viv_host *h, viv_ip4_t dst, viv_route *out)
{
    for (uint32_t i = 0; i < h->nroutes; i++) {
        const viv_route *r = &h->routes[i].r;
        if (((dst ^ r->dst) & viv_ip4_mask(r->prefix_len)) == 0) {
            if (out) {
                *out = *r;
                out->src = route_src(h, r);
            }
            return 0;
        }
    }
    return VIV_ENETUNREACH;
}

/* ---- public ---------------------------------------------------------------------------- */

/* Why gateway cannot be the next hop of a route out of interface ifc (NULL if it can): it
 * must be a unicast address on one of the interface's connected prefixes, not the host's own
 * address, nor the network or broadcast address of such a prefix. */
static const char *gateway_refusal(const struct viv_host *h, const viv__iface *ifc,
                                   viv_ip4_t gateway)
{
    if (viv_host_has_addr(h, gateway))
        return "is an address of the host itself";
    int connected = 0;
    for (uint32_t k = 0; k < ifc->naddrs; k++) {
        const viv__ifaddr *a = &ifc->addrs[k];
        viv_ip4_t m = viv_ip4_mask(a->len);
        if ((gateway & m) != (a->ip & m))
            continue;
        /* The network and broadcast addresses of a prefix up to /30 name no neighbour
         * (viv_host_add_addr refuses them as addresses for the same reason). */
        if (a->len <= 30 && (gateway & ~m) == ~m)
            return "is the broadcast address of a connected subnet";
        if (a->len <= 30 && (gateway & ~m) == 0)
            return "is the network address of a connected subnet";
        connected = 1;
    }
    return connected ? NULL : "is on no connected subnet of the interface";
}

int viv_host_route_add(viv_host_t *h, viv_ip4_t dst, uint8_t prefix_len, viv_ip4_t gateway,
                       int iface, uint32_t metric)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, prefix_len <= 32, "prefix length above 32");
    VIV__CHECK(sim, iface >= -1, "interface below -1 (an index, or -1 to follow the gateway)");
    char gw[VIV_IP4_STRLEN];
    viv_ip4_format(gateway, gw, sizeof gw);
    /* 224/4 is multicast, 240/4 reserved (255.255.255.255 among them): no next hop there. */
    if (gateway >= VIV_IP4(224, 0, 0, 0))
        return viv__err(sim, VIV_EINVAL,
                        "viv_host_route_add: gateway %s is not a unicast address", gw);
    if (iface < 0) {
        VIV__CHECK(sim, gateway != VIV_IP4_ANY, "an on-link route needs an interface");
        iface = viv__host_iface_for(h, gateway);
        if (iface < 0)
            return viv__err(sim, VIV_EINVAL,
                            "viv_host_route_add: gateway is on no connected subnet of %s",
                            h->node.name);
    }
    VIV__CHECK(sim, (uint32_t)iface < h->nifaces, "no such interface");
    if (gateway != VIV_IP4_ANY) {
        const char *why = gateway_refusal(h, h->ifaces[iface], gateway);
        if (why)
            return viv__err(sim, VIV_EINVAL, "viv_host_route_add: gateway %s on %s/%s %s", gw,
                            h->node.name, h->ifaces[iface]->name, why);
    }
    viv_route r = {dst & viv_ip4_mask(prefix_len), prefix_len, gateway, (uint32_t)iface,
                   metric, VIV_ROUTE_STATIC, 0};
    /* The same route computed by viv_sim_compute_routes() becomes the program's own: static,
     * so that the next computation keeps it. */
    for (uint32_t i = 0; i < h->nroutes; i++) {
        viv_route *o = &h->routes[i].r;
        if (o->origin == VIV_ROUTE_COMPUTED && o->dst == r.dst &&
            o->prefix_len == r.prefix_len && o->gateway == r.gateway && o->metric == r.metric &&
            o->iface == r.iface) {
            o->origin = VIV_ROUTE_STATIC;
            return 0;
        }
    }
    int rc = viv__route_insert(h, &r);
    if (rc == VIV_EEXIST)
        return viv__err(sim, rc, "viv_host_route_add: the route exists");
    if (rc < 0)
        return viv__err(sim, rc, "viv_host_route_add: out of memory");
    return 0;
}

int viv_host_set_gateway(viv_host_t *h, viv_ip4_t gateway)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, gateway != VIV_IP4_ANY, "0.0.0.0 is not a gateway");
    return viv_host_route_add(h, VIV_IP4_ANY, 0, gateway, -1, 0);
}

typedef struct prefix_arg {
    viv_ip4_t dst;
    uint8_t len;
} prefix_arg;

static int is_prefix_noconn(const viv_route *r, const void *arg)
{
    const prefix_arg *p = arg;
    return r->origin != VIV_ROUTE_CONNECTED && r->dst == p->dst && r->prefix_len == p->len;
}

int viv_host_route_del(viv_host_t *h, viv_ip4_t dst, uint8_t prefix_len)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, prefix_len <= 32, "prefix length above 32");
    prefix_arg p = {dst & viv_ip4_mask(prefix_len), prefix_len};
    return viv__route_remove_if(h, is_prefix_noconn, &p);
}

int viv_host_route_lookup(viv_route *out, const viv_host_t *h, viv_ip4_t dst)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    return viv__route_lookup(h, dst, out);
}

int viv_host_routes(const viv_host_t *h, viv_route *rows, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    for (uint32_t i = 0; i < h->nroutes && i < cap; i++) {
        rows[i] = h->routes[i].r;
        rows[i].src = route_src(h, &rows[i]);
    }
    return (int)h->nroutes;
}

int viv_host_routes_text(const viv_host_t *h, char *buf, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || buf, "NULL buffer with a nonzero capacity");
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
#define PUT(...) viv__sb_printf(&sb, __VA_ARGS__)
    for (uint32_t i = 0; i < h->nroutes; i++) {
        const viv_route *r = &h->routes[i].r;
        char d[VIV_IP4_STRLEN], g[VIV_IP4_STRLEN], s[VIV_IP4_STRLEN];
        viv_ip4_format(r->dst, d, sizeof d);
        viv_ip4_format(r->gateway, g, sizeof g);
        viv_ip4_format(route_src(h, r), s, sizeof s);
        const char *dev = h->ifaces[r->iface]->name;
        if (r->prefix_len == 0 && r->dst == 0)
            PUT("default");
        else
            PUT("%s/%u", d, r->prefix_len);
        if (r->gateway)
            PUT(" via %s", g);
        PUT(" dev %s", dev);
        if (r->origin == VIV_ROUTE_CONNECTED)
            PUT(" proto kernel scope link src %s", s);
        else if (r->origin == VIV_ROUTE_COMPUTED)
            PUT(" proto vivarium");
        else if (r->prefix_len != 0 || r->dst != 0)
            PUT(" proto static");
        if (r->metric)
            PUT(" metric %u", r->metric);
        PUT("\n");
    }
#undef PUT
    return (int)sb.len;
}
