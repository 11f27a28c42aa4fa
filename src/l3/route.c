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

int viv_host_route_add(viv_host_t *h, viv_ip4_t dst, uint8_t prefix_len, viv_ip4_t gateway,
                       int iface, uint32_t metric)
{
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, prefix_len <= 32, "prefix length above 32");
    if (iface < 0) {
        VIV__CHECK(sim, gateway != VIV_IP4_ANY, "an on-link route needs an interface");
        iface = viv__host_iface_for(h, gateway);
        if (iface < 0)
            return viv__err(sim, VIV_EINVAL,
                            "viv_host_route_add: gateway is on no connected subnet of %s",
                            h->node.name);
    }
    VIV__CHECK(sim, (uint32_t)iface < h->nifaces, "no such interface");
    viv_route r = {dst & viv_ip4_mask(prefix_len), prefix_len, gateway, (uint32_t)iface,
                   metric, VIV_ROUTE_STATIC, 0};
    int rc = viv__route_insert(h, &r);
    if (rc == VIV_EEXIST)
        return viv__err(sim, rc, "viv_host_route_add: the route exists");
    if (rc < 0)
        return viv__err(sim, rc, "viv_host_route_add: out of memory");
    return 0;
}

int viv_host_set_gateway(viv_host_t *h, viv_ip4_t gateway)
{
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
    if (!h || prefix_len > 32)
        return VIV_EINVAL;
    prefix_arg p = {dst & viv_ip4_mask(prefix_len), prefix_len};
    return viv__route_remove_if(h, is_prefix_noconn, &p);
}

int viv_host_route_lookup(viv_route *out, const viv_host_t *h, viv_ip4_t dst)
{
    if (!h)
        return VIV_EINVAL;
    return viv__route_lookup(h, dst, out);
}

int viv_host_routes(const viv_host_t *h, viv_route *rows, size_t cap)
{
    if (!h || (cap && !rows))
        return VIV_EINVAL;
    for (uint32_t i = 0; i < h->nroutes && i < cap; i++) {
        rows[i] = h->routes[i].r;
        rows[i].src = route_src(h, &rows[i]);
    }
    return (int)h->nroutes;
}

int viv_host_routes_text(const viv_host_t *h, char *buf, size_t cap)
{
    if (!h || (cap && !buf))
        return VIV_EINVAL;
    size_t len = 0;
#define PUT(...)                                                                           \
    do {                                                                                   \
        int n_ = snprintf(buf ? buf + (len < cap ? len : cap) : NULL,                      \
                          len < cap ? cap - len : 0, __VA_ARGS__);                         \
        if (n_ > 0)                                                                        \
            len += (size_t)n_;                                                             \
    } while (0)
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
    return (int)len;
}
