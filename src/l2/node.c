/* Nodes and ports: the part every kind of network element shares. */
#include <stdio.h>
#include <string.h>

#include "l2.h"
#include "vivarium/trace.h"

static void node_obj_destroy(viv__obj *o)
{
    struct viv_node *n = (struct viv_node *)o;
    /* The kind's destroy frees the kind's memory through viv__node_free. */
    n->ops->destroy(n);
}

static struct viv_port *port_new(struct viv_node *n, uint32_t index)
{
    struct viv_port *p = viv__zalloc(n->sim, sizeof(*p));
    if (p) {
        p->magic = VIV__MAGIC_PORT;
        p->node = n;
        p->index = index;
    }
    return p;
}

int viv__node_init(struct viv_node *n, viv_sim_t *sim, const viv__node_ops *ops,
                   uint32_t nports, const char *name)
{
    n->sim = sim;
    n->ops = ops;
    n->id = viv__next_id(sim);
    n->up = 1;
    if (viv__owner_new(sim, &n->owner) < 0)
        return VIV_ENOMEM;
    n->nports = 0;
    n->ports = NULL;
    /* A made-up name counts within its kind, so that adding a hub does not rename (nor
     * change the random draws of) every host made after it. */
    if (name && name[0])
        snprintf(n->name, sizeof n->name, "%s", name);
    else
        snprintf(n->name, sizeof n->name, "%s%llu", ops->kind,
                 (unsigned long long)viv__kind_next(sim, ops->kind));
    if (viv__name_key(sim, n->name, &n->key) < 0)
        return VIV_ENOMEM;
    if (nports) {
        n->ports = viv__zalloc(sim, nports * sizeof(*n->ports));
        if (!n->ports)
            return VIV_ENOMEM;
        for (uint32_t i = 0; i < nports; i++) {
            if (!(n->ports[i] = port_new(n, i))) {
                for (uint32_t k = 0; k < i; k++)
                    viv__free(sim, n->ports[k], sizeof(struct viv_port));
                viv__free(sim, n->ports, nports * sizeof(*n->ports));
                n->ports = NULL;
                return VIV_ENOMEM;
            }
        }
        n->nports = nports;
    }
    viv__obj_register(sim, &n->obj, node_obj_destroy);
    n->obj.tag = VIV__TAG_NODE;
    return 0;
}

int viv__node_add_port(struct viv_node *n)
{
    struct viv_port *p = port_new(n, n->nports);
    if (!p)
        return VIV_ENOMEM;
    struct viv_port **np = viv__realloc(n->sim, n->ports, n->nports * sizeof(*np),
                                        (n->nports + 1) * sizeof(*np));
    if (!np) {
        viv__free(n->sim, p, sizeof(*p));
        return VIV_ENOMEM;
    }
    n->ports = np;
    n->ports[n->nports] = p;
    return (int)n->nports++;
}

void viv__node_fini(struct viv_node *n)
{
    viv_sim_t *sim = n->sim;
    for (uint32_t i = 0; i < n->nports; i++) {
        struct viv_port *p = n->ports[i];
        if (p->link)
            viv_link_free(p->link);
        viv__tap_free_all(sim, &p->taps);
        p->magic = VIV__MAGIC_DEAD;
        viv__free(sim, p, sizeof(*p));
    }
    viv__free(sim, n->ports, n->nports * sizeof(*n->ports));
    n->ports = NULL;
    n->nports = 0;
    if (n->obj.next != &n->obj && n->obj.next)
        viv__obj_unregister(sim, &n->obj);
    n->obj.magic = VIV__MAGIC_DEAD; /* its kind's memory goes next */
}

void viv__node_free(struct viv_node *n, size_t size)
{
    viv_sim_t *sim = n->sim;
    viv__node_fini(n);
    viv__free(sim, n, size);
}

void viv__port_link_change(struct viv_port *p, int up)
{
    if (p->node->ops->link_change)
        p->node->ops->link_change(p->node, p, up ? 1 : 0);
}

void viv__l2_trace_frame(viv_sim_t *sim, int kind, const void *node, uint32_t port,
                         const void *link, int dir, int reason, const uint8_t *bytes,
                         uint32_t len)
{
    viv__trace_frame(sim, kind, node, port, link, dir, reason, bytes, len);
}

/* A frame a port cannot send: its node is off, or nothing is plugged in. */
static VIV__NOINLINE void port_drop(struct viv_port *p, viv__frame *f)
{
    viv_sim_t *sim = p->node->sim;
    viv_drop_reason why = !p->node->up ? VIV_DROP_NODE_DOWN : VIV_DROP_UNPLUGGED;
    if (why == VIV_DROP_NODE_DOWN)
        p->stats.drop_down++;
    else
        p->stats.drop_unplugged++;
    if (viv__tracing(sim))
        viv__trace_frame(sim, VIV_TRACE_FRAME_DROP, p->node, p->index, NULL, 0, why,
                         viv__frame_bytes(f), f->len);
    viv__frame_unref(sim, f);
}

/* viv__port_send's way for a frame someone watches (a trace subscriber, a capture on the
 * port): out of line, so that the common way calls nothing but the link and saves no
 * registers. */
static VIV__NOINLINE void port_send_watched(struct viv_port *p, viv__frame *f)
{
    viv_sim_t *sim = p->node->sim;
    if (viv__tracing(sim))
        viv__l2_trace_frame(sim, VIV_TRACE_FRAME_TX, p->node, p->index, NULL, 0, 0,
                            viv__frame_bytes(f), f->len);
    if (p->taps)
        viv__tap_run(p->taps, sim->now, f, 0);
    viv__linkdir_send(p->out, f);
}

void viv__port_send(struct viv_port *p, viv__frame *f)
{
    if (VIV__UNLIKELY(!p->node->up || !p->out)) {
        port_drop(p, f);
        return;
    }
    if (VIV__UNLIKELY(viv__tracing(p->node->sim) || p->taps)) {
        viv__count_frame(&p->stats.tx_frames, &p->stats.tx_bytes, f->len);
        port_send_watched(p, f);
        return;
    }
    viv__port_send_plain(p, f);
}

int viv__tap_add(viv_sim_t *sim, viv__tap **list,
                 void (*fn)(void *, viv_time_t, const uint8_t *, uint32_t, int), void *ctx)
{
    viv__tap *t = viv__alloc(sim, sizeof(*t));
    if (!t)
        return VIV_ENOMEM;
    t->fn = fn;
    t->ctx = ctx;
    t->next = NULL;
    while (*list) /* keep the order taps were added in */
        list = &(*list)->next;
    *list = t;
    return 0;
}

void viv__tap_remove(viv_sim_t *sim, viv__tap **list, void *ctx)
{
    while (*list) {
        viv__tap *t = *list;
        if (t->ctx == ctx) {
            *list = t->next;
            viv__free(sim, t, sizeof(*t));
        } else {
            list = &t->next;
        }
    }
}

void viv__tap_free_all(viv_sim_t *sim, viv__tap **list)
{
    while (*list) {
        viv__tap *t = *list;
        *list = t->next;
        viv__free(sim, t, sizeof(*t));
    }
}

viv_mac_t viv__mac_from_id(uint64_t id)
{
    viv_mac_t m = {{0x02, 0x00, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8),
                    (uint8_t)id}};
    return m;
}

/* ---- public ---------------------------------------------------------------------------- */

const char *viv_node_name(const viv_node_t *node)
{
    VIV__HANDLE(node, NODE);
    return node ? node->name : "";
}

uint32_t viv_node_port_count(const viv_node_t *node)
{
    VIV__HANDLE(node, NODE);
    return node ? node->nports : 0;
}

viv_port_t *viv_node_port(const viv_node_t *node, uint32_t index)
{
    VIV__HANDLE(node, NODE);
    if (!node || index >= node->nports)
        return NULL;
    return node->ports[index];
}

int viv_node_set_up(viv_node_t *node, int up)
{
    VIV__HANDLE(node, NODE);
    if (!node)
        return VIV_EINVAL;
    up = up ? 1 : 0;
    if (node->up != up) {
        node->up = up;
        if (node->ops->power)
            node->ops->power(node, up);
    }
    return 0;
}

int viv_node_is_up(const viv_node_t *node)
{
    VIV__HANDLE(node, NODE);
    return node ? node->up : 0;
}

viv_node_t *viv_port_node(const viv_port_t *port)
{
    VIV__HANDLE(port, PORT);
    return port ? port->node : NULL;
}

uint32_t viv_port_index(const viv_port_t *port)
{
    VIV__HANDLE(port, PORT);
    return port ? port->index : 0;
}

viv_link_t *viv_port_link(const viv_port_t *port)
{
    VIV__HANDLE(port, PORT);
    return port ? port->link : NULL;
}

int viv_port_stats(viv_port_stats_t *out, const viv_port_t *port)
{
    VIV__HANDLE(port, PORT);
    if (!out || !port)
        return port ? viv__err(port->node->sim, VIV_EINVAL, "viv_port_stats: NULL out")
                    : VIV_EINVAL;
    *out = port->stats;
    return 0;
}
