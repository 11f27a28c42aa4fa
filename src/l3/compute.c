/* viv_sim_compute_routes(): static routes for a whole topology by shortest paths.
 *
 * 1. Segments. Every port of every node is an element of a union-find. A link that is up in
 *    both directions joins its two ports; a hub or a switch that is on joins all its ports.
 *    Devices are opaque: their ports stay apart. Each set is one layer-2 segment.
 * 2. Attachments. Each address of each host interface whose link is up in both directions
 *    (and whose far node is on) is an attachment: (host, interface, address, prefix,
 *    segment). Attachments with the same segment and prefix form a group: the hosts of a
 *    group reach each other directly.
 * 3. Search. From each host, a breadth-first search over the bipartite graph hosts <-> groups,
 *    passing through hosts only when they forward (and are on). Each vertex carries the best
 *    first hop among all shortest paths to it: the first router's attachment and the source's
 *    attachment on the shared group, compared by (router creation order, router interface,
 *    address, source interface, address) - which is attachment index order, since
 *    attachments are numbered in that order. A FIFO queue finishes each level before the
 *    next, so a vertex's label is final when it is taken from the queue.
 * 4. Routes. For each prefix the source is not connected to, the nearest group of that prefix
 *    (ties: the better first hop) gives the way there: the first router's address, out of
 *    the source's interface; metric 100, origin VIV_ROUTE_COMPUTED. Routers, hosts on
 *    several groups and hosts with routes of their own (static, or connected to another
 *    prefix) get one route per prefix.
 * 5. Single-homed end hosts (issue 17: 10^6 hosts x 4,000 prefixes must not become 4e9
 *    routes). Every such host of a group has the same ways out, so the search runs once per
 *    group, from the group itself (the same labels: the source's attachment is the only
 *    one and does not break ties). The group's hosts get a default route via the router
 *    that most prefixes go through (ties: the lower attachment, as the search prefers) and a
 *    route for each prefix that goes elsewhere or that is contained in a prefix of the
 *    table (connected, or via another router) that would otherwise take its packets. Every
 *    reachable address is thus sent exactly where a route per prefix would send it.
 * Every host's computed routes are replaced at once, after everything else has succeeded.
 *
 * Cost: one search per router, per host with a route per prefix and per group of the
 * others, over groups and forwarding hosts only (an end host is a leaf and is never put in a
 * group's adjacency list); then O(routes) per host. 1,000,000 end hosts in 4,000 groups
 * behind one router cost 4,001 searches of 4,000 groups. Everything walks nodes in creation
 * order: the result never depends on memory addresses. */
#include <assert.h>
#include <string.h>

#include "l3.h"

#define COMPUTED_METRIC 100u
#define NONE UINT32_MAX

typedef struct att {
    uint32_t host; /* index in the host array */
    uint32_t iface;
    viv_ip4_t ip;
    viv_ip4_t net;
    uint8_t len;
    uint32_t seg; /* union-find root */
    uint32_t group;
} att;

typedef struct grp {
    viv_ip4_t net;
    uint8_t len;
    uint32_t prefix;    /* index in the prefix array */
    uint32_t fwd_first; /* into fwd_att: attachments of forwarding hosts */
    uint32_t fwd_n;
} grp;

typedef struct pfx {
    viv_ip4_t net;
    uint8_t len;
} pfx;

typedef struct ctx {
    viv_sim_t *sim;
    /* Nodes in creation order, and the first global port number of each. */
    struct viv_node **nodes;
    uint32_t nnodes;
    uint32_t *port_base;
    uint32_t nports;
    uint32_t *uf;
    /* Hosts. */
    struct viv_host **hosts;
    uint32_t nhosts;
    uint32_t *host_att_first, *host_att_n; /* each host's attachments, in att order */
    uint8_t *host_fwd;
    /* Attachments, groups, prefixes. */
    att *atts;
    uint32_t natts;
    uint32_t *by_group; /* attachment indices sorted by (segment, prefix, index); while
                           the groups are made */
    grp *groups;
    uint32_t ngroups;
    uint32_t *fwd_att;
    uint32_t nfwd;
    pfx *pfxs;
    uint32_t npfx;
    uint32_t *pfx_order;  /* prefix indices in table order: longest first, then by address */
    uint32_t *pfx_parent; /* the longest other prefix that contains each one, or NONE */
    /* Single-homed end hosts (see choose_paths): their group, or NONE for a host searched
     * from itself; and, per group, its routes (prefix, router attachment) once computed. */
    uint32_t *host_group;
    uint32_t *grp_row_first, *grp_row_n;
    uint32_t *grp_done;                  /* 1: its rows are known; 2: and a block is made */
    uint32_t *grp_block, *grp_block_iface; /* the last block of rows made, for an interface */
    struct grow {
        uint32_t pfx; /* NONE: the default route */
        uint32_t att; /* the router's attachment */
    } *grows;         /* the groups' rows */
    uint32_t ngrows, grows_cap;
    uint32_t *att_stamp, *att_count;
    /* Search state, stamped with the search number so nothing is cleared between searches. */
    uint32_t *h_stamp, *h_dist;
    uint64_t *h_label;
    uint32_t *g_stamp, *g_dist;
    uint64_t *g_label;
    uint32_t *p_stamp, *p_dist, *p_conn;
    uint64_t *p_label;
    uint32_t *queue; /* hosts as h, groups as nhosts + g */
    /* Routes found, per host. */
    viv_route *rows;
    uint32_t nrows, rows_cap;
    uint32_t *host_row_first, *host_row_n;
    /* Every scratch array, freed together at the end (and the two that grow). */
    struct {
        void *p;
        size_t size;
    } allocs[48];
    uint32_t nallocs;
} ctx;

/* ---- helpers --------------------------------------------------------------------------- */

/* Zeroed scratch memory for n elements, freed by ctx_free(). Sets *fail on failure. */
static void *ctx_alloc(ctx *c, size_t n, size_t size, int *fail)
{
    size_t bytes = (n ? n : 1) * size;
    void *p = c->nallocs < VIV__ARRAY_LEN(c->allocs) ? viv__zalloc(c->sim, bytes) : NULL;
    if (!p) {
        *fail = 1;
        return NULL;
    }
    c->allocs[c->nallocs].p = p;
    c->allocs[c->nallocs++].size = bytes;
    return p;
}

/* Free scratch memory early (the peak of a 10^6-host computation counts). */
static void ctx_release(ctx *c, void *p)
{
    for (uint32_t i = 0; i < c->nallocs; i++)
        if (c->allocs[i].p == p) {
            viv__free(c->sim, p, c->allocs[i].size);
            c->allocs[i] = c->allocs[--c->nallocs];
            return;
        }
}

/* Shrink scratch memory to n elements (n at least 1); on failure it stays as it was. */
static void *ctx_shrink(ctx *c, void *p, size_t n, size_t size)
{
    size_t bytes = (n ? n : 1) * size;
    for (uint32_t i = 0; i < c->nallocs; i++)
        if (c->allocs[i].p == p) {
            if (bytes >= c->allocs[i].size)
                return p;
            void *q = viv__realloc(c->sim, p, c->allocs[i].size, bytes);
            if (!q)
                return p;
            c->allocs[i].p = q;
            c->allocs[i].size = bytes;
            return q;
        }
    return p;
}

static uint32_t uf_find(uint32_t *uf, uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]]; /* path halving */
        x = uf[x];
    }
    return x;
}

static void uf_union(uint32_t *uf, uint32_t a, uint32_t b)
{
    a = uf_find(uf, a);
    b = uf_find(uf, b);
    /* The smaller number becomes the root: deterministic whatever the order of unions. */
    if (a < b)
        uf[b] = a;
    else if (b < a)
        uf[a] = b;
}

/* The index of a node in creation order, found by its id (ids grow with creation). */
static uint32_t node_index(const ctx *c, const struct viv_node *n)
{
    uint32_t lo = 0, hi = c->nnodes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->nodes[mid]->id < n->id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nnodes && c->nodes[lo] == n ? lo : NONE;
}

static uint32_t port_global(const ctx *c, const struct viv_port *p)
{
    uint32_t ni = node_index(c, p->node);
    return ni == NONE ? NONE : c->port_base[ni] + p->index;
}

/* The port at the other end of p's link, when the link is up both ways; else NULL. */
static struct viv_port *port_peer_live(struct viv_port *p)
{
    viv_link_t *l = p->link;
    if (!l || !viv_link_is_up(l, VIV_LINK_AB) || !viv_link_is_up(l, VIV_LINK_BA))
        return NULL;
    viv_port_t *a = viv_link_port(l, 0), *b = viv_link_port(l, 1);
    return a == p ? b : a;
}

static int kind_is(const struct viv_node *n, const char *kind)
{
    return strcmp(n->ops->kind, kind) == 0;
}

/* Hubs and learning switches join all their ports. (Switches name their kind "sw"; l2.h's
 * comment says "switch": both are accepted.) */
static int kind_is_bridge(const struct viv_node *n)
{
    return kind_is(n, "hub") || kind_is(n, "sw") || kind_is(n, "switch");
}

static int pfx_cmp(viv_ip4_t an, uint8_t al, viv_ip4_t bn, uint8_t bl)
{
    if (an != bn)
        return an < bn ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

static uint32_t pfx_find(const ctx *c, viv_ip4_t net, uint8_t len)
{
    uint32_t lo = 0, hi = c->npfx;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pfx_cmp(c->pfxs[mid].net, c->pfxs[mid].len, net, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->npfx && c->pfxs[lo].net == net && c->pfxs[lo].len == len ? lo : NONE;
}

/* Sort an index array with a comparison on attachments: a bottom-up merge sort (stable, so
 * the result is fully determined; no libc qsort, whose allocation is outside the hook). */
static int att_group_cmp(const ctx *c, uint32_t x, uint32_t y)
{
    const att *a = &c->atts[x], *b = &c->atts[y];
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    int r = pfx_cmp(a->net, a->len, b->net, b->len);
    if (r)
        return r;
    return x < y ? -1 : x > y;
}

static int att_pfx_cmp(const ctx *c, uint32_t x, uint32_t y)
{
    const att *a = &c->atts[x], *b = &c->atts[y];
    int r = pfx_cmp(a->net, a->len, b->net, b->len);
    if (r)
        return r;
    return x < y ? -1 : x > y;
}

static void merge_sort(const ctx *c, uint32_t *v, uint32_t *tmp, uint32_t n,
                       int (*cmp)(const ctx *, uint32_t, uint32_t))
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp(c, v[i], v[j]) <= 0 ? v[i++] : v[j++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof(*v));
        if (width > UINT32_MAX / 2)
            break;
    }
}

/* ---- building the graph ---------------------------------------------------------------- */

static int build_nodes(ctx *c)
{
    int fail = 0;
    viv_sim_t *sim = c->sim;
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->tag != VIV__TAG_NODE)
            continue;
        struct viv_node *n = (struct viv_node *)o;
        c->nnodes++;
        c->nports += n->nports;
        if (kind_is(n, "host"))
            c->nhosts++;
    }
    c->nodes = ctx_alloc(c, c->nnodes, sizeof(*c->nodes), &fail);
    c->port_base = ctx_alloc(c, c->nnodes, sizeof(*c->port_base), &fail);
    c->uf = ctx_alloc(c, c->nports, sizeof(*c->uf), &fail);
    c->hosts = ctx_alloc(c, c->nhosts, sizeof(*c->hosts), &fail);
    if (fail)
        return VIV_ENOMEM;
    uint32_t i = 0, h = 0, base = 0;
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->tag != VIV__TAG_NODE)
            continue;
        struct viv_node *n = (struct viv_node *)o;
        c->nodes[i] = n;
        c->port_base[i++] = base;
        base += n->nports;
        if (kind_is(n, "host"))
            c->hosts[h++] = (struct viv_host *)n;
    }
    for (uint32_t k = 0; k < c->nports; k++)
        c->uf[k] = k;
    return 0;
}

static void build_segments(ctx *c)
{
    for (uint32_t i = 0; i < c->nnodes; i++) {
        struct viv_node *n = c->nodes[i];
        uint32_t base = c->port_base[i];
        /* A hub or switch that is on joins its ports into one segment. */
        if (n->up && kind_is_bridge(n))
            for (uint32_t p = 1; p < n->nports; p++)
                uf_union(c->uf, base, base + p);
        /* A link that is up both ways joins its two ports (seen from port A only). */
        for (uint32_t p = 0; p < n->nports; p++) {
            struct viv_port *port = n->ports[p];
            struct viv_port *peer = port_peer_live(port);
            if (!peer || viv_link_port(port->link, 0) != port)
                continue;
            uint32_t g = port_global(c, peer);
            if (g != NONE)
                uf_union(c->uf, base + p, g);
        }
    }
}

static int build_attachments(ctx *c)
{
    int fail = 0;
    uint32_t total = 0;
    for (uint32_t h = 0; h < c->nhosts; h++)
        for (uint32_t i = 0; i < c->hosts[h]->nifaces; i++)
            total += c->hosts[h]->ifaces[i]->naddrs;
    c->atts = ctx_alloc(c, total, sizeof(*c->atts), &fail);
    c->host_att_first = ctx_alloc(c, c->nhosts, sizeof(uint32_t), &fail);
    c->host_att_n = ctx_alloc(c, c->nhosts, sizeof(uint32_t), &fail);
    c->host_fwd = ctx_alloc(c, c->nhosts, sizeof(uint8_t), &fail);
    if (fail)
        return VIV_ENOMEM;
    for (uint32_t h = 0; h < c->nhosts; h++) {
        struct viv_host *host = c->hosts[h];
        c->host_att_first[h] = c->natts;
        c->host_fwd[h] = host->forwarding && host->node.up;
        for (uint32_t i = 0; i < host->nifaces; i++) {
            viv__iface *ifc = host->ifaces[i];
            struct viv_port *peer = port_peer_live(ifc->port);
            if (!peer || !peer->node->up)
                continue; /* unplugged, cut, or facing a node that is off */
            uint32_t seg = uf_find(c->uf, port_global(c, ifc->port));
            for (uint32_t k = 0; k < ifc->naddrs; k++) {
                att *a = &c->atts[c->natts++];
                a->host = h;
                a->iface = i;
                a->ip = ifc->addrs[k].ip;
                a->len = ifc->addrs[k].len;
                a->net = a->ip & viv_ip4_mask(a->len);
                a->seg = seg;
            }
        }
        c->host_att_n[h] = c->natts - c->host_att_first[h];
    }
    return 0;
}

static int build_groups(ctx *c)
{
    int fail = 0;
    uint32_t n = c->natts;
    c->by_group = ctx_alloc(c, n, sizeof(uint32_t), &fail);
    uint32_t *tmp = ctx_alloc(c, n, sizeof(uint32_t), &fail);
    uint32_t *by_pfx = ctx_alloc(c, n, sizeof(uint32_t), &fail);
    c->fwd_att = ctx_alloc(c, n, sizeof(uint32_t), &fail);
    c->groups = ctx_alloc(c, n, sizeof(grp), &fail);
    c->pfxs = ctx_alloc(c, n, sizeof(pfx), &fail);
    if (fail)
        return VIV_ENOMEM;
    /* Prefixes: the distinct (net, len) of all attachments, sorted. */
    for (uint32_t i = 0; i < n; i++)
        by_pfx[i] = i;
    merge_sort(c, by_pfx, tmp, n, att_pfx_cmp);
    for (uint32_t i = 0; i < n; i++) {
        const att *a = &c->atts[by_pfx[i]];
        if (!c->npfx || c->pfxs[c->npfx - 1].net != a->net || c->pfxs[c->npfx - 1].len != a->len)
            c->pfxs[c->npfx++] = (pfx){a->net, a->len};
    }
    /* Groups: runs of equal (segment, prefix). Each group lists its forwarding members. */
    for (uint32_t i = 0; i < n; i++)
        c->by_group[i] = i;
    merge_sort(c, c->by_group, tmp, n, att_group_cmp);
    for (uint32_t i = 0; i < n; i++) {
        att *a = &c->atts[c->by_group[i]];
        const att *prev = i ? &c->atts[c->by_group[i - 1]] : NULL;
        if (!prev || prev->seg != a->seg || prev->net != a->net || prev->len != a->len) {
            grp *g = &c->groups[c->ngroups++];
            g->net = a->net;
            g->len = a->len;
            g->prefix = pfx_find(c, a->net, a->len);
            g->fwd_first = c->nfwd;
        }
        a->group = c->ngroups - 1;
        if (c->host_fwd[a->host]) {
            c->fwd_att[c->nfwd++] = c->by_group[i];
            c->groups[c->ngroups - 1].fwd_n++;
        }
    }
    /* The sorts' arrays are done with, and the others were sized for the worst case. */
    ctx_release(c, tmp);
    ctx_release(c, by_pfx);
    ctx_release(c, c->by_group);
    c->by_group = NULL;
    c->groups = ctx_shrink(c, c->groups, c->ngroups, sizeof(grp));
    c->pfxs = ctx_shrink(c, c->pfxs, c->npfx, sizeof(pfx));
    c->fwd_att = ctx_shrink(c, c->fwd_att, c->nfwd, sizeof(uint32_t));
    return 0;
}

/* ---- the searches ---------------------------------------------------------------------- */

/* A first hop as one comparable number: the router's attachment, then the source's. Label 0
 * means "directly connected". */
static uint64_t hop_label(uint32_t router_att, uint32_t src_att)
{
    return ((uint64_t)router_att + 1) << 32 | src_att;
}

static int row_push(ctx *c, const viv_route *r)
{
    if (c->nrows == c->rows_cap) {
        uint32_t ncap = c->rows_cap ? c->rows_cap * 2 : 256;
        viv_route *n = viv__realloc(c->sim, c->rows, c->rows_cap * sizeof(*n), ncap * sizeof(*n));
        if (!n)
            return VIV_ENOMEM;
        c->rows = n;
        c->rows_cap = ncap;
    }
    c->rows[c->nrows++] = *r;
    return 0;
}

/* Level 1 of a search from host s: its own groups, each labelled with the source's (lowest)
 * attachment on it, for the labels of the routers found through it. Returns the queue's
 * length. */
static uint32_t search_start_host(ctx *c, uint32_t s, uint32_t stamp)
{
    uint32_t qt = 0;
    c->h_stamp[s] = stamp;
    c->h_dist[s] = 0;
    for (uint32_t k = 0; k < c->host_att_n[s]; k++) {
        uint32_t ai = c->host_att_first[s] + k;
        uint32_t g = c->atts[ai].group;
        if (c->g_stamp[g] == stamp)
            continue;
        c->g_stamp[g] = stamp;
        c->g_dist[g] = 1;
        c->g_label[g] = ai;
        c->queue[qt++] = c->nhosts + g;
    }
    return qt;
}

/* The breadth-first search from the level-1 groups already queued (qt of them): every group
 * and forwarding host reached, with its distance and best first hop. The source (s, or NONE
 * for a search from a group) is never passed through. Returns the queue's length. */
static uint32_t search_run(ctx *c, uint32_t s, uint32_t stamp, uint32_t qt)
{
    uint32_t qh = 0;
    const uint32_t H = c->nhosts;
    while (qh < qt) {
        uint32_t v = c->queue[qh++];
        if (v >= H) {
            uint32_t g = v - H;
            const grp *gr = &c->groups[g];
            uint32_t d = c->g_dist[g];
            for (uint32_t k = 0; k < gr->fwd_n; k++) {
                uint32_t ai = c->fwd_att[gr->fwd_first + k];
                uint32_t r = c->atts[ai].host;
                if (r == s)
                    continue;
                uint64_t lab = d == 1 ? hop_label(ai, (uint32_t)c->g_label[g]) : c->g_label[g];
                if (c->h_stamp[r] != stamp) {
                    c->h_stamp[r] = stamp;
                    c->h_dist[r] = d + 1;
                    c->h_label[r] = lab;
                    c->queue[qt++] = r;
                } else if (c->h_dist[r] == d + 1 && lab < c->h_label[r]) {
                    c->h_label[r] = lab;
                }
            }
        } else {
            uint32_t r = v;
            uint32_t d = c->h_dist[r];
            for (uint32_t k = 0; k < c->host_att_n[r]; k++) {
                uint32_t g = c->atts[c->host_att_first[r] + k].group;
                if (c->g_stamp[g] != stamp) {
                    c->g_stamp[g] = stamp;
                    c->g_dist[g] = d + 1;
                    c->g_label[g] = c->h_label[r];
                    c->queue[qt++] = H + g;
                } else if (c->g_dist[g] == d + 1 && c->h_label[r] < c->g_label[g]) {
                    c->g_label[g] = c->h_label[r];
                }
            }
        }
    }
    return qt;
}

/* After a search: the nearest group of each prefix not marked connected (p_conn == stamp),
 * ties to the better first hop, in p_stamp/p_dist/p_label. The queue holds every group
 * reached, in order of distance. */
static void search_prefixes(ctx *c, uint32_t stamp, uint32_t qt)
{
    const uint32_t H = c->nhosts;
    for (uint32_t q = 0; q < qt; q++) {
        if (c->queue[q] < H)
            continue;
        uint32_t g = c->queue[q] - H;
        uint32_t p = c->groups[g].prefix;
        if (c->g_dist[g] < 3 || c->p_conn[p] == stamp)
            continue;
        if (c->p_stamp[p] != stamp || c->g_dist[g] < c->p_dist[p] ||
            (c->g_dist[g] == c->p_dist[p] && c->g_label[g] < c->p_label[p])) {
            c->p_stamp[p] = stamp;
            c->p_dist[p] = c->g_dist[g];
            c->p_label[p] = c->g_label[g];
        }
    }
}

/* Search from host s and append its routes to c->rows, in table order: one per prefix. */
static int search_from(ctx *c, uint32_t s, uint32_t stamp)
{
    uint32_t qt = search_run(c, s, stamp, search_start_host(c, s, stamp));
    /* The prefixes the source is connected to (by any address, even on a cut interface) get
     * no route. */
    const struct viv_host *sh = c->hosts[s];
    for (uint32_t i = 0; i < sh->nifaces; i++)
        for (uint32_t k = 0; k < sh->ifaces[i]->naddrs; k++) {
            const viv__ifaddr *a = &sh->ifaces[i]->addrs[k];
            uint32_t p = pfx_find(c, a->ip & viv_ip4_mask(a->len), a->len);
            if (p != NONE)
                c->p_conn[p] = stamp;
        }
    search_prefixes(c, stamp, qt);
    c->host_row_first[s] = c->nrows;
    for (uint32_t o = 0; o < c->npfx; o++) {
        uint32_t p = c->pfx_order[o];
        if (c->p_stamp[p] != stamp)
            continue;
        uint32_t router_att = (uint32_t)(c->p_label[p] >> 32) - 1;
        uint32_t src_att = (uint32_t)c->p_label[p];
        viv_route r = {c->pfxs[p].net,       c->pfxs[p].len,   c->atts[router_att].ip,
                       c->atts[src_att].iface, COMPUTED_METRIC, VIV_ROUTE_COMPUTED,
                       0};
        if (row_push(c, &r) < 0)
            return VIV_ENOMEM;
    }
    c->host_row_n[s] = c->nrows - c->host_row_first[s];
    return 0;
}

/* ---- single-homed end hosts: a default route and the exceptions -------------------------- */

/* Which hosts take their routes from their group rather than from a search of their own: a
 * host that does not forward, whose live attachments are all in one group, and whose table
 * holds nothing but connected routes of that group's prefix (a static route, a route of
 * another prefix, or a default route of the program's own would make a default route of
 * ours change what its table means). Every such host of a group gets the same routes, out
 * of its own interface: computed once per group. */
static int choose_paths(ctx *c)
{
    int fail = 0;
    c->host_group = ctx_alloc(c, c->nhosts, sizeof(uint32_t), &fail);
    if (fail)
        return VIV_ENOMEM;
    for (uint32_t h = 0; h < c->nhosts; h++) {
        const struct viv_host *host = c->hosts[h];
        uint32_t n = c->host_att_n[h], first = c->host_att_first[h];
        c->host_group[h] = NONE;
        if (host->forwarding || n == 0)
            continue;
        uint32_t g = c->atts[first].group;
        int one = 1;
        for (uint32_t k = 1; k < n; k++)
            one &= c->atts[first + k].group == g;
        if (one && viv__route_only_connected(host, c->groups[g].net, c->groups[g].len))
            c->host_group[h] = g;
    }
    return 0;
}

static int grow_push(ctx *c, uint32_t p, uint32_t router_att)
{
    if (c->ngrows == c->grows_cap) {
        uint32_t ncap = c->grows_cap ? c->grows_cap * 2 : 256;
        struct grow *a =
            viv__realloc(c->sim, c->grows, c->grows_cap * sizeof(*a), ncap * sizeof(*a));
        if (!a)
            return VIV_ENOMEM;
        c->grows = a;
        c->grows_cap = ncap;
    }
    c->grows[c->ngrows].pfx = p;
    c->grows[c->ngrows++].att = router_att;
    return 0;
}

/* Whether prefix p may go by the default route via router attachment gw: every prefix that
 * contains it and is in the table goes via gw too (a connected one, or one via another
 * router, would take p's packets if p's own route went). */
static int covered_by_default(const ctx *c, uint32_t p, uint32_t gw, uint32_t stamp)
{
    for (uint32_t q = c->pfx_parent[p]; q != NONE; q = c->pfx_parent[q]) {
        if (c->p_conn[q] == stamp)
            return 0;
        if (c->p_stamp[q] == stamp && (uint32_t)(c->p_label[q] >> 32) - 1 != gw)
            return 0;
    }
    return 1;
}

/* The routes of group g's single-homed hosts: search from the group itself, then a default
 * route via the router that most prefixes go through (ties: the router a search would
 * prefer), and a route for every other prefix, in table order. */
static int group_rows(ctx *c, uint32_t g, uint32_t stamp)
{
    c->grp_done[g] = 1;
    c->grp_row_first[g] = c->ngrows;
    c->g_stamp[g] = stamp;
    c->g_dist[g] = 1;
    c->g_label[g] = 0;
    c->queue[0] = c->nhosts + g;
    uint32_t qt = search_run(c, NONE, stamp, 1);
    c->p_conn[c->groups[g].prefix] = stamp;
    search_prefixes(c, stamp, qt);
    /* The gateway: count the prefixes per router attachment. */
    uint32_t gw = NONE, best = 0;
    for (uint32_t p = 0; p < c->npfx; p++) {
        if (c->p_stamp[p] != stamp)
            continue;
        uint32_t a = (uint32_t)(c->p_label[p] >> 32) - 1;
        if (c->att_stamp[a] != stamp) {
            c->att_stamp[a] = stamp;
            c->att_count[a] = 0;
        }
        uint32_t n = ++c->att_count[a];
        if (n > best || (n == best && a < gw)) {
            best = n;
            gw = a;
        }
    }
    if (gw == NONE) {
        c->grp_row_n[g] = 0;
        return 0;
    }
    if (grow_push(c, NONE, gw) < 0)
        return VIV_ENOMEM;
    for (uint32_t o = 0; o < c->npfx; o++) {
        uint32_t p = c->pfx_order[o];
        if (c->p_stamp[p] != stamp)
            continue;
        uint32_t a = (uint32_t)(c->p_label[p] >> 32) - 1;
        if (a == gw && covered_by_default(c, p, gw, stamp))
            continue;
        if (grow_push(c, p, a) < 0)
            return VIV_ENOMEM;
    }
    c->grp_row_n[g] = c->ngrows - c->grp_row_first[g];
    return 0;
}

/* Host s's rows from its group's (computed now if not yet), out of its own interface. */
static int rows_from_group(ctx *c, uint32_t s, uint32_t stamp)
{
    uint32_t g = c->host_group[s];
    if (!c->grp_done[g] && group_rows(c, g, stamp) < 0)
        return VIV_ENOMEM;
    /* The source's lowest attachment on the group: its interface carries the routes. Hosts
     * of the group on the same interface number share one block of rows (read-only until
     * installed): 250 hosts of a subnet cost one block, not 250. */
    uint32_t iface = c->atts[c->host_att_first[s]].iface;
    if (c->grp_done[g] == 2 && c->grp_block_iface[g] == iface) {
        c->host_row_first[s] = c->grp_block[g];
        c->host_row_n[s] = c->grp_row_n[g];
        return 0;
    }
    c->host_row_first[s] = c->nrows;
    for (uint32_t k = 0; k < c->grp_row_n[g]; k++) {
        uint32_t p = c->grows[c->grp_row_first[g] + k].pfx;
        uint32_t a = c->grows[c->grp_row_first[g] + k].att;
        viv_route r = {p == NONE ? VIV_IP4_ANY : c->pfxs[p].net,
                       p == NONE ? 0 : c->pfxs[p].len,
                       c->atts[a].ip,
                       iface,
                       COMPUTED_METRIC,
                       VIV_ROUTE_COMPUTED,
                       0};
        if (row_push(c, &r) < 0)
            return VIV_ENOMEM;
    }
    c->host_row_n[s] = c->nrows - c->host_row_first[s];
    c->grp_done[g] = 2;
    c->grp_block[g] = c->host_row_first[s];
    c->grp_block_iface[g] = iface;
    return 0;
}

/* Prefixes in table order, and each one's nearest container (prefixes sorted by (address,
 * length) put a prefix's containers before it, nearest last: a stack finds them). */
static int prefix_tree(ctx *c)
{
    int fail = 0;
    uint32_t P = c->npfx;
    c->pfx_order = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    c->pfx_parent = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    uint32_t *stack = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    uint32_t *count = ctx_alloc(c, 34, sizeof(uint32_t), &fail);
    if (fail)
        return VIV_ENOMEM;
    uint32_t top = 0;
    for (uint32_t p = 0; p < P; p++) {
        const pfx *x = &c->pfxs[p];
        while (top && (c->pfxs[stack[top - 1]].len >= x->len ||
                       (x->net & viv_ip4_mask(c->pfxs[stack[top - 1]].len)) !=
                           c->pfxs[stack[top - 1]].net))
            top--;
        c->pfx_parent[p] = top ? stack[top - 1] : NONE;
        stack[top++] = p;
    }
    /* Table order: by length, longest first (a counting sort, stable: by address within). */
    for (uint32_t p = 0; p < P; p++)
        count[32 - c->pfxs[p].len + 1]++;
    for (uint32_t k = 1; k < 34; k++)
        count[k] += count[k - 1];
    for (uint32_t p = 0; p < P; p++)
        c->pfx_order[count[32 - c->pfxs[p].len]++] = p;
    return 0;
}

static int search_all(ctx *c)
{
    int fail = 0;
    uint32_t H = c->nhosts, G = c->ngroups, P = c->npfx;
    c->h_stamp = ctx_alloc(c, H, sizeof(uint32_t), &fail);
    c->h_dist = ctx_alloc(c, H, sizeof(uint32_t), &fail);
    c->h_label = ctx_alloc(c, H, sizeof(uint64_t), &fail);
    c->g_stamp = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->g_dist = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->g_label = ctx_alloc(c, G, sizeof(uint64_t), &fail);
    c->p_stamp = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    c->p_dist = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    c->p_conn = ctx_alloc(c, P, sizeof(uint32_t), &fail);
    c->p_label = ctx_alloc(c, P, sizeof(uint64_t), &fail);
    c->queue = ctx_alloc(c, H + G, sizeof(uint32_t), &fail);
    c->host_row_first = ctx_alloc(c, H, sizeof(uint32_t), &fail);
    c->host_row_n = ctx_alloc(c, H, sizeof(uint32_t), &fail);
    c->grp_row_first = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->grp_row_n = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->grp_done = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->grp_block = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->grp_block_iface = ctx_alloc(c, G, sizeof(uint32_t), &fail);
    c->att_stamp = ctx_alloc(c, c->natts, sizeof(uint32_t), &fail);
    c->att_count = ctx_alloc(c, c->natts, sizeof(uint32_t), &fail);
    if (fail || prefix_tree(c) < 0 || choose_paths(c) < 0)
        return VIV_ENOMEM;
    /* One stamp per search: hosts searched from themselves, then groups. */
    uint32_t stamp = 0;
    for (uint32_t s = 0; s < H; s++) {
        ++stamp;
        if (c->host_group[s] == NONE ? search_from(c, s, stamp) < 0
                                     : rows_from_group(c, s, stamp) < 0)
            return VIV_ENOMEM;
    }
    return 0;
}

/* ---- installing ------------------------------------------------------------------------ */

/* Replace every host's computed routes, all or none. The plans that take memory (tables
 * that must grow) are made first and kept; a host whose table has room needs no memory and
 * its plan is made again at commit (nothing changes its table in between), so that 10^6
 * hosts cost no 10^6 plans at once. */
typedef struct grow_plan {
    uint32_t host;
    viv__rt_plan p;
} grow_plan;

static const viv_route *host_rows(const ctx *c, uint32_t h)
{
    /* NULL while the host has no computed route: no pointer arithmetic on c->rows then. */
    return c->host_row_n[h] ? c->rows + c->host_row_first[h] : NULL;
}

static int install(ctx *c, int *added)
{
    grow_plan *gp = NULL;
    uint32_t ngp = 0, gp_cap = 0;
    int rc = 0;
    for (uint32_t h = 0; h < c->nhosts && rc == 0; h++) {
        viv__rt_plan p;
        if (viv__route_plan_computed(c->hosts[h], host_rows(c, h), c->host_row_n[h], &p) < 0) {
            rc = VIV_ENOMEM;
            break;
        }
        if (!p.rts && !p.nodes)
            continue;
        if (ngp == gp_cap) {
            uint32_t ncap = gp_cap ? gp_cap * 2 : 64;
            grow_plan *n = viv__realloc(c->sim, gp, gp_cap * sizeof(*n), ncap * sizeof(*n));
            if (!n) {
                viv__route_plan_discard(c->hosts[h], &p);
                rc = VIV_ENOMEM;
                break;
            }
            gp = n;
            gp_cap = ncap;
        }
        gp[ngp].host = h;
        gp[ngp++].p = p;
    }
    if (rc == 0) {
        *added = 0;
        uint32_t j = 0;
        for (uint32_t h = 0; h < c->nhosts; h++) {
            viv__rt_plan p, *pp = &p;
            if (j < ngp && gp[j].host == h) {
                pp = &gp[j++].p;
            } else {
                int again = viv__route_plan_computed(c->hosts[h], host_rows(c, h),
                                                     c->host_row_n[h], &p);
                (void)again;
                assert(again == 0 && !p.rts && !p.nodes); /* the table has room */
            }
            *added += (int)pp->added;
            viv__route_plan_commit(c->hosts[h], pp);
        }
    } else {
        for (uint32_t k = 0; k < ngp; k++)
            viv__route_plan_discard(c->hosts[gp[k].host], &gp[k].p);
    }
    viv__free(c->sim, gp, gp_cap * sizeof(*gp));
    return rc;
}

static void ctx_free(ctx *c)
{
    for (uint32_t i = c->nallocs; i-- > 0;)
        viv__free(c->sim, c->allocs[i].p, c->allocs[i].size);
    viv__free(c->sim, c->rows, c->rows_cap * sizeof(*c->rows));
    viv__free(c->sim, c->grows, c->grows_cap * sizeof(*c->grows));
}

int viv_sim_compute_routes(viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    ctx c;
    memset(&c, 0, sizeof c);
    c.sim = sim;
    int rc = build_nodes(&c);
    if (rc == 0) {
        build_segments(&c);
        rc = build_attachments(&c);
    }
    if (rc == 0) {
        /* The segments are known: the port numbering and the union-find go. */
        ctx_release(&c, c.uf);
        ctx_release(&c, c.port_base);
        ctx_release(&c, c.nodes);
        c.uf = c.port_base = NULL;
        c.nodes = NULL;
        rc = build_groups(&c);
    }
    if (rc == 0)
        rc = search_all(&c);
    int added = 0;
    if (rc == 0)
        rc = install(&c, &added);
    ctx_free(&c);
    if (rc < 0)
        return viv__err(sim, rc, "viv_sim_compute_routes: out of memory");
    return added;
}
