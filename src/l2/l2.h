/* Layer 2 internals: nodes, ports, links and the taps that captures hang on ports and links.
 *
 * A node kind (host, hub, switch, device) embeds struct viv_node as its first member and gives
 * a viv__node_ops whose rx receives each frame that arrives on one of its ports. A node sends
 * with viv__port_send(), which hands the frame to the direction of the link leaving the port. */
#ifndef VIV_L2_L2_H
#define VIV_L2_L2_H

#include <string.h>

#include "core/core.h"
#include "vivarium/frame.h"
#include "vivarium/link.h"
#include "vivarium/node.h"

typedef struct viv__linkdir viv__linkdir;

/* Keep a rare or heavy path out of its caller, so that the caller's common path stays small
 * (no registers to save for work it does not do). */
#if defined(__GNUC__)
#define VIV__NOINLINE __attribute__((noinline))
#else
#define VIV__NOINLINE
#endif

/* Count one frame of len bytes in a pair of counters. gcc otherwise adds such a pair as one
 * 128-bit vector, seven instructions (building the vector {1, len}, a load, an add, a
 * store) where two adds to memory do; the empty asm between them (no instruction) keeps the
 * two apart. */
static inline void viv__count_frame(uint64_t *frames, uint64_t *bytes, uint32_t len)
{
    *frames += 1;
#if defined(__GNUC__)
    __asm__("" : "+m"(*frames));
#endif
    *bytes += len;
}

/* A tap sees frames at a port (sent and received) or on a link direction (as they start
 * transmission). Captures are taps; so could be traces. dir: 0 sent/on the wire, 1 received. */
typedef struct viv__tap {
    void (*fn)(void *ctx, viv_time_t t, const uint8_t *bytes, uint32_t len, int dir);
    void *ctx;
    struct viv__tap *next;
} viv__tap;

typedef struct viv__node_ops {
    const char *kind; /* "host", "hub", "sw", "dev": also the prefix of made-up names */
    /* A frame arrived on port p. The callee owns the reference to f. */
    void (*rx)(struct viv_node *n, struct viv_port *p, viv__frame *f);
    /* The node was switched on or off (optional). */
    void (*power)(struct viv_node *n, int up);
    /* Free the kind's own state (the node's ports are freed by viv__node_fini). */
    void (*destroy)(struct viv_node *n);
    /* Carrier at port p changed (optional): up 0 when the link direction arriving at p was
     * cut or the link was unplugged (freed, or a node it plugs into freed), 1 when that
     * direction was restored. Called synchronously from inside viv_link_set_up() and
     * viv_link_free() (and so possibly while this node is being destroyed, after its
     * destroy has freed its state), but not while viv_sim_free() takes the whole simulation
     * apart: it must not free, send or schedule anything (a trace record is fine). Switches flush the port's MAC entries; hosts, hubs and devices
     * ignore it. */
    void (*link_change)(struct viv_node *n, struct viv_port *p, int up);
} viv__node_ops;

/* What a frame sent or received touches first, so that a flood's port costs one cache line
 * more often than two (16-byte aligned): sending reads taps, out and the tx counters (bytes
 * 16..48), receiving node, taps and the rx counters (and a host the index: bytes 4..64).
 * The magic stays first (core.h's handle checks read it there). */
struct viv_port {
    uint32_t magic; /* VIV__MAGIC_PORT while its node lives (core.h's handle checks) */
    uint32_t index;
    struct viv_node *node;
    viv__tap *taps;
    viv__linkdir *out; /* the link direction leaving this port */
    viv_port_stats_t stats;
    void *owner_data; /* per-port state of the node kind (a host's interface, say) */
    struct viv_link *link;
};

/* What a frame arriving at a node reads (sim, ops, up) is last, so that a kind that embeds the
 * node first can put its own per-frame fields right after it, on the same cache lines (a
 * host receiving a flooded ARP request touches about four lines). */
struct viv_node {
    viv__obj obj;
    uint64_t id;
    uint64_t key; /* its stable key, from its name: its random streams come from it */
    char name[32];
    struct viv_port **ports; /* each port allocated on its own, so pointers stay valid */
    uint32_t nports;
    uint32_t owner; /* the owner of the node's events (timers, notifications, loopback) */
    viv_sim_t *sim;
    const viv__node_ops *ops;
    int up;
};

/* Initialise a node with nports ports and register it with the simulation. name may be NULL
 * (a name is made from the kind and the id). Returns 0 or VIV_ENOMEM. */
int viv__node_init(struct viv_node *n, viv_sim_t *sim, const viv__node_ops *ops,
                   uint32_t nports, const char *name);
/* Add one port to a node (hosts and routers grow interfaces). Returns the new port's index,
 * or VIV_ENOMEM. Existing port pointers stay valid. */
int viv__node_add_port(struct viv_node *n);
/* Unplug every link, free the ports, unregister; the caller then frees the node memory. */
void viv__node_fini(struct viv_node *n);
/* Free a node of any kind: ops->destroy then viv__node_fini, then the memory of size. */
void viv__node_free(struct viv_node *n, size_t size);

/* viv__trace_frame, out of line: the frame path's functions then keep no room for a trace
 * record on their stack nor registers for its arguments, which they paid on every frame. */
VIV__NOINLINE void viv__l2_trace_frame(viv_sim_t *sim, int kind, const void *node, uint32_t port,
                                       const void *link, int dir, int reason,
                                       const uint8_t *bytes, uint32_t len);

/* Send a frame out of a port; consumes the reference. Counts and drops when the node is off,
 * the port is unplugged, or the link direction refuses it. */
void viv__port_send(struct viv_port *p, viv__frame *f);

/* Tell port p's node that carrier at p was lost (up 0) or came back (1): see
 * viv__node_ops.link_change. Links call it on every change of the direction arriving at p. */
void viv__port_link_change(struct viv_port *p, int up);

/* The serialisation time of a frame of len bytes with parameters p (link.h's formula; zero
 * rate and overhead mean their defaults): what links use, and the testing kit too. */
viv_time_t viv__link_ser_time(const viv_link_params *p, uint32_t len);

/* A flood sends out of many ports in a row, each of whose structures is a cache miss in a
 * large network: ask for a port's lines some ports ahead (the pointers and tx counters),
 * and for the per-frame lines of the direction leaving it (its first VIV__LINKDIR_HOT bytes,
 * where link.c keeps them) once the port has arrived. Hints only: nothing changes. */
#define VIV__LINKDIR_HOT 148
static inline void viv__port_prefetch(const struct viv_port *p)
{
    VIV__PREFETCH((const char *)p + 16);
    VIV__PREFETCH((const char *)p + 47);
}
static inline void viv__port_prefetch_out(const struct viv_port *p)
{
    const char *d = (const char *)p->out;
    if (d) {
        VIV__PREFETCH(d);
        VIV__PREFETCH(d + 64);
        VIV__PREFETCH(d + 128);
        VIV__PREFETCH(d + VIV__LINKDIR_HOT - 1);
    }
}

/* The offset of a direction's owner (link.c checks it): the owner's fingerprint entry,
 * sim->own[owner], is another line each send folds into, asked for once the direction's
 * first lines have come (viv__port_prefetch_out, a few ports before). */
#define VIV__LINKDIR_OWNER 108
static inline void viv__port_prefetch_owner(const viv_sim_t *sim, const struct viv_port *p)
{
    const char *d = (const char *)p->out;
    if (d) {
        uint32_t owner;
        memcpy(&owner, d + VIV__LINKDIR_OWNER, sizeof owner);
        VIV__PREFETCH(&sim->own[owner]);
    }
}

/* Hand a frame to a link direction (the port's out); consumes the reference. */
void viv__linkdir_send(viv__linkdir *d, viv__frame *f);
/* The same, for a caller that read the clock already (now must be the simulation's now): a
 * flood hands one frame to many directions at one instant. */
void viv__linkdir_send_at(viv__linkdir *d, viv__frame *f, viv_time_t now);

/* viv__port_send's common way, for a port whose node is up and nobody traces, that has a
 * link (out) and no taps: the port counts the frame and hands it to the direction leaving
 * it. Consumes f. (A switch's flood checks the node once, then takes this port by port.) */
static inline void viv__port_send_plain(struct viv_port *p, viv__frame *f)
{
    viv__count_frame(&p->stats.tx_frames, &p->stats.tx_bytes, f->len);
    viv__linkdir_send(p->out, f);
}

/* The same for a caller that read the clock once for many ports (a hub's flood). */
static inline void viv__port_send_plain_at(struct viv_port *p, viv__frame *f, viv_time_t now)
{
    viv__count_frame(&p->stats.tx_frames, &p->stats.tx_bytes, f->len);
    viv__linkdir_send_at(p->out, f, now);
}

/* Taps. */
int viv__tap_add(viv_sim_t *sim, viv__tap **list, void (*fn)(void *, viv_time_t, const uint8_t *,
                                                               uint32_t, int),
                 void *ctx);
void viv__tap_remove(viv_sim_t *sim, viv__tap **list, void *ctx);
void viv__tap_free_all(viv_sim_t *sim, viv__tap **list);
static inline void viv__tap_run(const viv__tap *t, viv_time_t now, const viv__frame *f, int dir)
{
    for (; t; t = t->next)
        t->fn(t->ctx, now, f->data + f->head, f->len, dir);
}
/* Link direction taps (captures on a link). */
viv__tap **viv__link_taps(struct viv_link *l, viv_link_dir dir);

/* Deterministic locally administered unicast MAC 02:00:xx:xx:xx:xx from a simulation-unique
 * number. */
viv_mac_t viv__mac_from_id(uint64_t id);
static inline int viv__mac_is_group(const viv_mac_t *m) { return m->b[0] & 1; }
/* Two loads and compares (4 and 2 bytes) rather than six byte compares: made-up MACs differ
 * in their last bytes, so a byte-wise test read all six on every frame a host filters. */
static inline int viv__mac_eq(const viv_mac_t *a, const viv_mac_t *b)
{
    return memcmp(a->b, b->b, 6) == 0;
}

#endif
