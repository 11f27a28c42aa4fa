/* Captures on ports and links: a capture is a tap. Closing a capture walks the simulation's
 * nodes and links and removes its taps (closing is rare; taps run on every frame). */
#include "l2.h"
#include "trace/pcap.h"

static int tap_has(const viv__tap *t, const void *ctx)
{
    for (; t; t = t->next)
        if (t->ctx == ctx)
            return 1;
    return 0;
}

static void untap_all(viv_sim_t *sim, void *cap)
{
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->tag == VIV__TAG_NODE) {
            struct viv_node *n = (struct viv_node *)o;
            for (uint32_t i = 0; i < n->nports; i++)
                viv__tap_remove(sim, &n->ports[i]->taps, cap);
        } else if (o->tag == VIV__TAG_LINK) {
            struct viv_link *l = (struct viv_link *)o;
            viv__tap_remove(sim, viv__link_taps(l, VIV_LINK_AB), cap);
            viv__tap_remove(sim, viv__link_taps(l, VIV_LINK_BA), cap);
        }
    }
}

static int attach(viv_pcap_t *cap, viv__tap **list)
{
    viv_sim_t *sim = viv__pcap_sim(cap);
    if (tap_has(*list, cap))
        return viv__err(sim, VIV_EEXIST, "capture already attached there");
    if (viv__tap_add(sim, list, viv__pcap_tap, cap) < 0)
        return viv__err(sim, VIV_ENOMEM, "capture attach: out of memory");
    viv__pcap_set_detach(cap, untap_all);
    return 0;
}

int viv_pcap_attach_port(viv_pcap_t *cap, viv_port_t *port)
{
    VIV__HANDLE(cap, CAPTURE);
    VIV__HANDLE(port, PORT);
    if (!cap)
        return VIV_EINVAL;
    viv_sim_t *sim = viv__pcap_sim(cap);
    VIV__CHECK(sim, port != NULL, "NULL port");
    VIV__CHECK(sim, port->node->sim == sim, "port of another simulation");
    return attach(cap, &port->taps);
}

int viv_pcap_attach_link(viv_pcap_t *cap, viv_link_t *link, viv_link_dir dir)
{
    VIV__HANDLE(cap, CAPTURE);
    VIV__HANDLE(link, LINK);
    if (!cap)
        return VIV_EINVAL;
    viv_sim_t *sim = viv__pcap_sim(cap);
    VIV__CHECK(sim, link != NULL, "NULL link");
    VIV__CHECK(sim, (unsigned)dir <= 2, "bad link direction");
    VIV__CHECK(sim, viv_link_port(link, 0)->node->sim == sim, "link of another simulation");
    /* All or nothing: both directions are checked before either is attached, and the first
     * is detached again if the second runs out of memory. */
    for (int d = 0; d < 2; d++)
        if ((dir == VIV_LINK_BOTH || (int)dir == d) &&
            tap_has(*viv__link_taps(link, (viv_link_dir)d), cap))
            return viv__err(sim, VIV_EEXIST, "capture already attached there");
    for (int d = 0; d < 2; d++) {
        if (dir != VIV_LINK_BOTH && (int)dir != d)
            continue;
        int rc = attach(cap, viv__link_taps(link, (viv_link_dir)d));
        if (rc < 0) {
            if (d == 1 && dir == VIV_LINK_BOTH)
                viv__tap_remove(sim, viv__link_taps(link, VIV_LINK_AB), cap);
            return rc;
        }
    }
    return 0;
}
