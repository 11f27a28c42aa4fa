/* Hubs: every frame arriving on a port is repeated out of every other plugged-in port. */
#include "l2.h"
#include "vivarium/hub.h"

struct viv_hub {
    struct viv_node node;
};

static void hub_rx(struct viv_node *n, struct viv_port *in, viv__frame *f)
{
    /* One shared, immutable frame for every output: flooding copies no bytes. */
    for (uint32_t i = 0; i < n->nports; i++) {
        struct viv_port *p = n->ports[i];
        if (p != in && p->out)
            viv__port_send(p, viv__frame_ref(f));
    }
    viv__frame_unref(n->sim, f);
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
