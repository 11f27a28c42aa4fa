/* Hubs: every frame arriving on a port is repeated out of every other plugged-in port. */
#include <assert.h>

#include "l2.h"
#include "vivarium/hub.h"

struct viv_hub {
    struct viv_node node;
};

/* hub_rx's way while someone traces: port by port through viv__port_send, which reads
 * everything again for each copy (a trace callback may switch the hub off, unplug a port,
 * attach a capture or end the trace between two copies). */
static VIV__NOINLINE void hub_flood_traced(struct viv_node *n, struct viv_port *in,
                                           viv__frame *f)
{
    for (uint32_t i = 0; i < n->nports; i++) {
        struct viv_port *p = n->ports[i];
        if (p != in && p->out)
            viv__port_send(p, viv__frame_ref(f));
    }
    viv__frame_unref(n->sim, f);
}

/* hub_rx's copies out of the ports [p, end), none of them the arriving one. */
static inline void hub_send_range(struct viv_port *const *p, struct viv_port *const *end,
                                  viv__frame *f, viv_time_t now)
{
    for (; p < end; p++) {
        if (!(*p)->out)
            continue;
        if (VIV__UNLIKELY((*p)->taps != NULL)) {
            viv__port_send(*p, viv__frame_ref(f));
            continue;
        }
        viv__port_send_plain_at(*p, viv__frame_ref(f), now);
    }
}

static void hub_rx(struct viv_node *n, struct viv_port *in, viv__frame *f)
{
    viv_sim_t *sim = n->sim;
    if (VIV__UNLIKELY(viv__tracing(sim))) {
        hub_flood_traced(n, in, f);
        return;
    }
    /* Nobody traces, so nothing a copy's way runs is the user's code (captures write files
     * and recordings, a link calls nobody back while it sends): for the whole flood the hub
     * stays on (it is on, or the frame would not have arrived), its ports keep their links
     * and captures, and the clock stands still. What every copy needs is read once, here;
     * a port with a capture of its own goes by viv__port_send. The ports before the
     * arriving one (ports[in->index] is in), then those after it, so that no copy tests
     * which port it is. One shared, immutable frame for every output: flooding copies no
     * bytes. */
    struct viv_port *const *ports = n->ports;
    const viv_time_t now = sim->now;
    assert(in->index < n->nports && ports[in->index] == in);
    hub_send_range(ports, ports + in->index, f, now);
    hub_send_range(ports + in->index + 1, ports + n->nports, f, now);
    viv__frame_unref(sim, f);
}

static void hub_destroy(struct viv_node *n) { viv__node_free(n, sizeof(struct viv_hub)); }

static const viv__node_ops hub_ops = {"hub", hub_rx, NULL, hub_destroy, NULL};

int viv_hub_new(viv_hub_t **out, viv_sim_t *sim, uint32_t nports, const viv_hub_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, nports >= 1 && nports <= 4096, "a hub has 1..4096 ports");
    struct viv_hub *h = viv__zalloc(sim, sizeof(*h));
    if (!h)
        return viv__err(sim, VIV_ENOMEM, "viv_hub_new: out of memory");
    if (viv__node_init(&h->node, sim, &hub_ops, nports, opts ? opts->name : NULL) < 0) {
        viv__free(sim, h, sizeof(*h));
        return viv__err(sim, VIV_ENOMEM, "viv_hub_new: out of memory");
    }
    h->node.obj.magic = VIV__MAGIC_HUB;
    *out = h;
    return 0;
}

void viv_hub_free(viv_hub_t *hub)
{
    VIV__HANDLE(hub, HUB);
    if (hub)
        hub_destroy(&hub->node);
}

viv_node_t *viv_hub_node(viv_hub_t *hub)
{
    VIV__HANDLE(hub, HUB);
    return hub ? &hub->node : NULL;
}

viv_port_t *viv_hub_port(viv_hub_t *hub, uint32_t index)
{
    VIV__HANDLE(hub, HUB);
    return hub ? viv_node_port(&hub->node, index) : NULL;
}
