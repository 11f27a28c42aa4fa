/* The routing table: a path-compressed binary trie over the prefixes for the longest-prefix
 * match, and a treap for the listing (see viv__rtab in l3.h).
 *
 * Trie. Every node is a prefix (key/len); a node's children extend it by at least one bit,
 * child[b] holding the prefixes whose bit number len is b. A node holds the routes of its
 * prefix, lowest metric first, then oldest; a node with no route is a branching node and
 * always has two children (a node is removed, or spliced out, when that stops being true),
 * so a table of n prefixes has fewer than 2n nodes: a host with a connected route and a
 * default route has two. A lookup walks down from the root while the node's prefix matches
 * the address, remembering the last node with routes: at most 33 nodes, whatever the table's
 * size. Inserting or removing a route costs that walk plus the routes of its prefix.
 *
 * Treap. The listing (viv_host_routes and its text) is in lookup order: longest prefix first,
 * then lowest metric, then oldest, across prefixes of one length. Every route is also in a
 * treap (a binary search tree on that key, heap-ordered by a hash of its insertion order, so
 * that it is balanced in expectation and deterministic), O(log n) to insert and remove and
 * walked in order by the listing, which needs no memory of its own.
 *
 * Both live in arrays named by 1-based indices (0: none), which grow by doubling. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "l3.h"

#define RT(t, i) ((t)->rts[(i) - 1])
#define ND(t, i) ((t)->nodes[(i) - 1])

static inline uint32_t rt_mask(unsigned len)
{
    return (uint32_t)(~UINT64_C(0) << (32 - len)); /* len 0..32; no branch: 0 gives 0 */
}

/* Bit number i (0: the most significant) of x; i < 32. */
static inline unsigned rt_bit(viv_ip4_t x, unsigned i)
{
    return (x >> (31 - i)) & 1u;
}

static int rt_before(const viv__rt *a, const viv__rt *b)
{
    if (a->r.prefix_len != b->r.prefix_len)
        return a->r.prefix_len > b->r.prefix_len;
    if (a->r.metric != b->r.metric)
        return a->r.metric < b->r.metric;
    return a->order < b->order;
}

/* The routes are the same route (the origin and source address aside). */
static int rt_same(const viv_route *a, const viv_route *b)
{
    return a->dst == b->dst && a->prefix_len == b->prefix_len && a->gateway == b->gateway &&
           a->metric == b->metric && a->iface == b->iface;
}

/* ---- memory ---------------------------------------------------------------------------- */

/* A capacity of at least need: doubled, from first. Routes start at 2 and nodes at 4 (two
 * nodes are reserved per insertion): a host's connected and default routes fit in the first
 * allocations, 176 bytes in all. */
static uint32_t rt_grown(uint32_t cap, uint32_t need, uint32_t first)
{
    uint32_t c = cap ? cap : first;
    while (c < need)
        c *= 2;
    return c;
}

/* Room for `routes` more routes and `nodes` more nodes. */
static int rtab_reserve(viv_sim_t *sim, viv__rtab *t, uint32_t routes, uint32_t nodes)
{
    if (t->n > UINT32_MAX / 4 - routes)
        return VIV_ENOMEM;
    if (t->rts_cap - t->n < routes) {
        uint32_t ncap = rt_grown(t->rts_cap, t->n + routes, 2);
        viv__rt *a = viv__realloc(sim, t->rts, t->rts_cap * sizeof(*a), ncap * sizeof(*a));
        if (!a)
            return VIV_ENOMEM;
        t->rts = a;
        t->rts_cap = ncap;
    }
    if (t->nodes_cap - t->nodes_n < nodes) {
        uint32_t ncap = rt_grown(t->nodes_cap, t->nodes_n + nodes, 4);
        viv__rt_node *a =
            viv__realloc(sim, t->nodes, t->nodes_cap * sizeof(*a), ncap * sizeof(*a));
        if (!a)
            return VIV_ENOMEM;
        t->nodes = a;
        t->nodes_cap = ncap;
    }
    return 0;
}

/* A free route slot (reserved beforehand). */
static uint32_t rt_slot(viv__rtab *t)
{
    uint32_t k = t->rts_free;
    if (k)
        t->rts_free = RT(t, k).next;
    else
        k = ++t->rts_used;
    assert(k <= t->rts_cap);
    return k;
}

static void rt_slot_free(viv__rtab *t, uint32_t k)
{
    RT(t, k).order = 0;
    RT(t, k).next = t->rts_free;
    t->rts_free = k;
}

static uint32_t node_new(viv__rtab *t, viv_ip4_t key, uint8_t len)
{
    uint32_t i = t->nodes_free;
    if (i)
        t->nodes_free = ND(t, i).child[0];
    else
        i = ++t->nodes_used;
    assert(i <= t->nodes_cap);
    t->nodes_n++;
    ND(t, i) = (viv__rt_node){key & rt_mask(len), {0, 0}, 0, len};
    return i;
}

static void node_free(viv__rtab *t, uint32_t i)
{
    ND(t, i).child[0] = t->nodes_free;
    t->nodes_free = i;
    t->nodes_n--;
}

/* ---- trie ------------------------------------------------------------------------------ */

/* The node of prefix key/len (key masked), or 0. */
static uint32_t trie_find(const viv__rtab *t, viv_ip4_t key, uint8_t len)
{
    uint32_t i = t->root;
    while (i) {
        const viv__rt_node *n = &ND(t, i);
        if (n->len > len || ((key ^ n->key) & rt_mask(n->len)))
            return 0;
        if (n->len == len)
            return i;
        i = n->child[rt_bit(key, n->len)];
    }
    return 0;
}

/* The node of prefix key/len (key masked), made if missing: needs two free node slots. */
static uint32_t trie_make(viv__rtab *t, viv_ip4_t key, uint8_t len)
{
    uint32_t *slot = &t->root;
    for (;;) {
        uint32_t i = *slot;
        if (!i) {
            uint32_t j = node_new(t, key, len);
            *slot = j;
            return j;
        }
        viv__rt_node *n = &ND(t, i);
        uint32_t diff = key ^ n->key;
        unsigned common = diff ? (unsigned)__builtin_clz(diff) : 32;
        if (common > n->len)
            common = n->len;
        if (common > len)
            common = len;
        if (common == n->len) {
            if (n->len == len)
                return i;
            slot = &n->child[rt_bit(key, n->len)];
            continue;
        }
        /* The new prefix leaves n's path above n: it becomes n's parent, or a new branching
         * node at their first differing bit parents both. */
        viv_ip4_t nkey = n->key;
        if (common == len) {
            uint32_t j = node_new(t, key, len);
            ND(t, j).child[rt_bit(nkey, len)] = i;
            *slot = j;
            return j;
        }
        uint32_t g = node_new(t, key, (uint8_t)common);
        uint32_t j = node_new(t, key, len);
        ND(t, g).child[rt_bit(nkey, common)] = i;
        ND(t, g).child[rt_bit(key, common)] = j;
        *slot = g;
        return j;
    }
}

/* The node of key/len (which exists) has lost its last route: remove it, or splice it out,
 * unless it still branches; a branching parent left with one child is spliced out too. */
static void trie_prune(viv__rtab *t, viv_ip4_t key, uint8_t len)
{
    uint32_t *slot = &t->root, *pslot = NULL;
    uint32_t i = *slot, p = 0;
    while (ND(t, i).len != len) {
        pslot = slot;
        p = i;
        slot = &ND(t, i).child[rt_bit(key, ND(t, i).len)];
        i = *slot;
    }
    viv__rt_node *n = &ND(t, i);
    if (n->routes || (n->child[0] && n->child[1]))
        return;
    uint32_t c = n->child[0] | n->child[1];
    *slot = c;
    node_free(t, i);
    if (!c && p && !ND(t, p).routes) {
        viv__rt_node *pn = &ND(t, p);
        *pslot = pn->child[0] | pn->child[1];
        node_free(t, p);
    }
}

/* ---- treap ----------------------------------------------------------------------------- */

static uint32_t treap_pri(const viv__rt *e)
{
    uint64_t x = e->order * UINT64_C(0x9e3779b97f4a7c15);
    x ^= x >> 31;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    return (uint32_t)(x >> 32);
}

/* Split tree i into the routes before route k and the others. */
static void treap_split(viv__rtab *t, uint32_t i, uint32_t k, uint32_t *l, uint32_t *r)
{
    while (i) {
        if (rt_before(&RT(t, i), &RT(t, k))) {
            *l = i;
            l = &RT(t, i).right;
            i = RT(t, i).right;
        } else {
            *r = i;
            r = &RT(t, i).left;
            i = RT(t, i).left;
        }
    }
    *l = *r = 0;
}

/* Insert route k: down to the first route of lower priority, which k's split replaces. */
static void treap_insert(viv__rtab *t, uint32_t k)
{
    uint32_t *slot = &t->list;
    uint32_t pk = treap_pri(&RT(t, k));
    while (*slot && treap_pri(&RT(t, *slot)) >= pk)
        slot = rt_before(&RT(t, k), &RT(t, *slot)) ? &RT(t, *slot).left : &RT(t, *slot).right;
    treap_split(t, *slot, k, &RT(t, k).left, &RT(t, k).right);
    *slot = k;
}

static uint32_t treap_merge(viv__rtab *t, uint32_t a, uint32_t b)
{
    uint32_t root = 0, *slot = &root;
    while (a && b) {
        if (treap_pri(&RT(t, a)) >= treap_pri(&RT(t, b))) {
            *slot = a;
            slot = &RT(t, a).right;
            a = RT(t, a).right;
        } else {
            *slot = b;
            slot = &RT(t, b).left;
            b = RT(t, b).left;
        }
    }
    *slot = a ? a : b;
    return root;
}

static void treap_erase(viv__rtab *t, uint32_t k)
{
    uint32_t *slot = &t->list;
    while (*slot != k) {
        assert(*slot);
        slot = rt_before(&RT(t, k), &RT(t, *slot)) ? &RT(t, *slot).left : &RT(t, *slot).right;
    }
    *slot = treap_merge(t, RT(t, k).left, RT(t, k).right);
}

/* ---- table ----------------------------------------------------------------------------- */

/* Add a route (room reserved: one route, two nodes), the youngest. */
static void rtab_put(viv__rtab *t, const viv_route *r)
{
    uint32_t ni = trie_make(t, r->dst & rt_mask(r->prefix_len), r->prefix_len);
    uint32_t k = rt_slot(t);
    viv__rt *e = &RT(t, k);
    e->r = *r;
    e->order = ++t->order;
    e->left = e->right = 0;
    uint32_t *pp = &ND(t, ni).routes;
    while (*pp && RT(t, *pp).r.metric <= r->metric)
        pp = &RT(t, *pp).next;
    e->next = *pp;
    *pp = k;
    treap_insert(t, k);
    t->n++;
}

/* Remove the routes of node ni that pred selects; returns how many. */
static int node_remove_if(viv__rtab *t, uint32_t ni,
                          int (*pred)(const viv_route *r, const void *arg), const void *arg)
{
    viv_ip4_t key = ND(t, ni).key;
    uint8_t len = ND(t, ni).len;
    int removed = 0;
    uint32_t *pp = &ND(t, ni).routes;
    while (*pp) {
        uint32_t k = *pp;
        if (pred(&RT(t, k).r, arg)) {
            *pp = RT(t, k).next;
            treap_erase(t, k);
            rt_slot_free(t, k);
            t->n--;
            removed++;
        } else {
            pp = &RT(t, k).next;
        }
    }
    if (removed && !ND(t, ni).routes)
        trie_prune(t, key, len);
    return removed;
}

static int is_route(const viv_route *r, const void *arg)
{
    return r == arg;
}

/* The route identical to r (index, 0 if none): any (computed < 0), a computed one
 * (computed 1) or one that is not (computed 0). */
static uint32_t rtab_find_same(const viv__rtab *t, const viv_route *r, int computed)
{
    uint32_t ni = trie_find(t, r->dst & rt_mask(r->prefix_len), r->prefix_len);
    for (uint32_t k = ni ? ND(t, ni).routes : 0; k; k = RT(t, k).next) {
        const viv__rt *e = &RT(t, k);
        if (rt_same(&e->r, r) &&
            (computed < 0 || (e->r.origin == VIV_ROUTE_COMPUTED) == (computed == 1)))
            return k;
    }
    return 0;
}

void viv__route_changed(struct viv_host *h) { h->route_gen++; }

int viv__route_insert(struct viv_host *h, const viv_route *r)
{
    viv__rtab *t = &h->rt;
    if (rtab_find_same(t, r, -1))
        return VIV_EEXIST;
    int known = trie_find(t, r->dst & rt_mask(r->prefix_len), r->prefix_len) != 0;
    if (rtab_reserve(h->node.sim, t, 1, known ? 0 : 2) < 0)
        return VIV_ENOMEM;
    rtab_put(t, r);
    viv__route_changed(h);
    return 0;
}

int viv__route_remove_if(struct viv_host *h, int (*pred)(const viv_route *, const void *),
                         const void *arg)
{
    viv__rtab *t = &h->rt;
    int removed = 0;
    for (uint32_t k = 1; k <= t->rts_used; k++) {
        viv__rt *e = &RT(t, k);
        if (!e->order || !pred(&e->r, arg))
            continue;
        uint32_t ni = trie_find(t, e->r.dst & rt_mask(e->r.prefix_len), e->r.prefix_len);
        assert(ni);
        removed += node_remove_if(t, ni, is_route, &e->r);
    }
    if (removed)
        viv__route_changed(h);
    return removed;
}

int viv__route_only_connected(const struct viv_host *h, viv_ip4_t net, uint8_t len)
{
    const viv__rtab *t = &h->rt;
    for (uint32_t k = 1; k <= t->rts_used; k++) {
        const viv__rt *e = &RT(t, k);
        if (!e->order || e->r.origin == VIV_ROUTE_COMPUTED)
            continue;
        if (e->r.origin != VIV_ROUTE_CONNECTED || e->r.dst != net || e->r.prefix_len != len)
            return 0;
    }
    return 1;
}

/* Whether a route equals (prefix, gateway, metric, interface) a route that is not computed. */
static int route_same_as_kept(const viv__rtab *t, const viv_route *r)
{
    return rtab_find_same(t, r, 0) != 0;
}

int viv__route_plan_computed(const struct viv_host *h, const viv_route *rows, uint32_t n,
                             viv__rt_plan *out)
{
    const viv__rtab *t = &h->rt;
    memset(out, 0, sizeof(*out));
    uint32_t kept = 0, added = 0;
    for (uint32_t k = 1; k <= t->rts_used; k++)
        kept += RT(t, k).order && RT(t, k).r.origin != VIV_ROUTE_COMPUTED;
    for (uint32_t j = 0; j < n; j++)
        added += !route_same_as_kept(t, &rows[j]);
    out->rows = rows;
    out->nrows = n;
    out->added = added;
    /* After the computed routes go, at most kept + added routes, and fewer than twice as
     * many nodes, are live at any time. */
    if (kept + (uint64_t)added > UINT32_MAX / 4)
        return VIV_ENOMEM;
    uint32_t need = kept + added;
    if (t->rts_cap < need) {
        out->rts_cap = rt_grown(t->rts_cap, need, 2);
        out->rts = viv__alloc(h->node.sim, out->rts_cap * sizeof(*out->rts));
        if (!out->rts)
            return VIV_ENOMEM;
    }
    if (t->nodes_cap < 2 * need) {
        out->nodes_cap = rt_grown(t->nodes_cap, 2 * need, 4);
        out->nodes = viv__alloc(h->node.sim, out->nodes_cap * sizeof(*out->nodes));
        if (!out->nodes) {
            viv__route_plan_discard((struct viv_host *)h, out);
            return VIV_ENOMEM;
        }
    }
    return 0;
}

void viv__route_plan_commit(struct viv_host *h, viv__rt_plan *p)
{
    viv__rtab *t = &h->rt;
    viv_sim_t *sim = h->node.sim;
    if (p->rts) {
        if (t->rts_used)
            memcpy(p->rts, t->rts, t->rts_used * sizeof(*t->rts));
        viv__free(sim, t->rts, t->rts_cap * sizeof(*t->rts));
        t->rts = p->rts;
        t->rts_cap = p->rts_cap;
        p->rts = NULL;
    }
    if (p->nodes) {
        if (t->nodes_used)
            memcpy(p->nodes, t->nodes, t->nodes_used * sizeof(*t->nodes));
        viv__free(sim, t->nodes, t->nodes_cap * sizeof(*t->nodes));
        t->nodes = p->nodes;
        t->nodes_cap = p->nodes_cap;
        p->nodes = NULL;
    }
    for (uint32_t k = 1; k <= t->rts_used; k++) {
        viv__rt *e = &RT(t, k);
        if (!e->order || e->r.origin != VIV_ROUTE_COMPUTED)
            continue;
        uint32_t ni = trie_find(t, e->r.dst & rt_mask(e->r.prefix_len), e->r.prefix_len);
        node_remove_if(t, ni, is_route, &e->r);
    }
    for (uint32_t j = 0; j < p->nrows; j++)
        if (!route_same_as_kept(t, &p->rows[j]))
            rtab_put(t, &p->rows[j]);
    p->rows = NULL;
    viv__route_changed(h);
}

void viv__route_plan_discard(struct viv_host *h, viv__rt_plan *p)
{
    viv__free(h->node.sim, p->rts, p->rts_cap * sizeof(*p->rts));
    viv__free(h->node.sim, p->nodes, p->nodes_cap * sizeof(*p->nodes));
    p->rts = NULL;
    p->nodes = NULL;
    p->rows = NULL;
}

void viv__route_fini(struct viv_host *h)
{
    viv__rtab *t = &h->rt;
    viv__free(h->node.sim, t->rts, t->rts_cap * sizeof(*t->rts));
    viv__free(h->node.sim, t->nodes, t->nodes_cap * sizeof(*t->nodes));
    memset(t, 0, sizeof(*t));
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
        viv_ip4_t m = rt_mask(ifc->addrs[k].len);
        if ((ifc->addrs[k].ip & m) == (target & m))
            return ifc->addrs[k].ip;
    }
    return ifc->addrs[0].ip;
}

const viv_route *viv__route_find(const struct viv_host *h, viv_ip4_t dst, uint8_t *span)
{
    const viv__rtab *t = &h->rt;
    uint32_t i = t->root, best = 0, best_node = 0;
    while (i) {
        const viv__rt_node *n = &ND(t, i);
        if ((dst ^ n->key) & rt_mask(n->len))
            break;
        if (n->routes) {
            best = n->routes;
            best_node = i;
        }
        if (n->len == 32)
            break;
        i = n->child[rt_bit(dst, n->len)];
    }
    if (span) {
        const viv__rt_node *b = best_node ? &ND(t, best_node) : NULL;
        *span = b && !b->child[0] && !b->child[1] ? (uint8_t)b->len : 32;
    }
    return best ? &RT(t, best).r : NULL;
}

viv_ip4_t viv__route_src(const struct viv_host *h, const viv_route *r)
{
    return route_src(h, r);
}

int viv__route_lookup(const struct viv_host *h, viv_ip4_t dst, viv_route *out)
{
    const viv_route *r = viv__route_find(h, dst, NULL);
    if (!r)
        return VIV_ENETUNREACH;
    if (out) {
        *out = *r;
        out->src = route_src(h, r);
    }
    return 0;
}

/* Visit every route in listing order (the treap in order). */
typedef void (*rt_visit_fn)(const struct viv_host *h, const viv_route *r, void *ctx);

static void rt_walk(const struct viv_host *h, uint32_t i, rt_visit_fn fn, void *ctx)
{
    while (i) {
        rt_walk(h, RT(&h->rt, i).left, fn, ctx);
        fn(h, &RT(&h->rt, i).r, ctx);
        i = RT(&h->rt, i).right;
    }
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
    uint32_t same = rtab_find_same(&h->rt, &r, 1);
    if (same) {
        RT(&h->rt, same).r.origin = VIV_ROUTE_STATIC;
        return 0;
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
    uint32_t ni = trie_find(&h->rt, p.dst, p.len);
    int removed = ni ? node_remove_if(&h->rt, ni, is_prefix_noconn, &p) : 0;
    if (removed)
        viv__route_changed(h);
    return removed;
}

int viv_host_route_lookup(viv_route *out, const viv_host_t *h, viv_ip4_t dst)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    return viv__route_lookup(h, dst, out);
}

typedef struct routes_rows {
    viv_route *rows;
    size_t cap, n;
} routes_rows;

static void routes_row(const struct viv_host *h, const viv_route *r, void *ctx)
{
    routes_rows *c = ctx;
    if (c->n < c->cap) {
        c->rows[c->n] = *r;
        c->rows[c->n].src = route_src(h, r);
    }
    c->n++;
}

static void routes_line(const struct viv_host *h, const viv_route *r, void *ctx)
{
    viv__sb *sb = ctx;
#define PUT(...) viv__sb_printf(sb, __VA_ARGS__)
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
#undef PUT
}

int viv_host_routes(const viv_host_t *h, viv_route *rows, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    routes_rows c = {rows, cap, 0};
    rt_walk(h, h->rt.list, routes_row, &c);
    return (int)h->rt.n;
}

int viv_host_routes_text(const viv_host_t *h, char *buf, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || buf, "NULL buffer with a nonzero capacity");
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    rt_walk(h, h->rt.list, routes_line, &sb);
    return (int)sb.len;
}
