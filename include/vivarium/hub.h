/**
 * @file vivarium/hub.h
 * @brief Hubs: repeat every frame out of every other port.
 *
 * @defgroup viv_hub Hubs
 * @brief A repeater: no learning, no filtering.
 *
 * Every frame that arrives on a port of a hub is sent, unchanged, out of every other port
 * that has a link, whatever its destination. The medium model is a collision-free repeater:
 * each output port has its own transmitter and queue (those of the link plugged into it),
 * so two frames arriving at once are both repeated, one after the other where they share an
 * output. A frame is repeated the instant it has fully arrived (the hub adds no delay of its
 * own). A shared half-duplex medium with collisions is not modelled.
 * @{
 */
#ifndef VIVARIUM_HUB_H
#define VIVARIUM_HUB_H

#include "node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A hub (opaque). */
typedef struct viv_hub viv_hub_t;

/** Options for viv_hub_new(). */
typedef struct viv_hub_opts {
    const char *name; /**< node name (copied); NULL makes one up */
} viv_hub_opts;

/** Initialiser for ::viv_hub_opts with every default. */
#define VIV_HUB_OPTS_INIT {NULL}

/**
 * Create a hub.
 * @param[out] out receives the hub.
 * @param sim the simulation.
 * @param nports number of ports, 1..4096.
 * @param opts options (read, not kept), or NULL.
 * @return 0, or VIV_EINVAL (NULL @p out or @p sim, @p nports out of range), VIV_ENOMEM; on
 *         failure nothing is created.
 *
 * Ownership: the simulation owns the hub; viv_hub_free() frees it earlier (and the links
 * plugged into it).
 */
VIV_API int viv_hub_new(viv_hub_t **out, viv_sim_t *sim, uint32_t nports,
                        const viv_hub_opts *opts);

/**
 * Free a hub and the links plugged into it. Its handle, its node's and its ports' are
 * invalid afterwards.
 * @param hub the hub, or NULL.
 */
VIV_API void viv_hub_free(viv_hub_t *hub);

/**
 * The hub as a node.
 * @param hub the hub.
 * @return the node (borrowed, valid as long as the hub), or NULL for NULL.
 */
VIV_API viv_node_t *viv_hub_node(viv_hub_t *hub);

/**
 * A port of the hub: viv_node_port(viv_hub_node(hub), index).
 * @param hub the hub.
 * @param index the port number.
 * @return the port (borrowed, valid as long as the hub), or NULL for NULL or no such port.
 */
VIV_API viv_port_t *viv_hub_port(viv_hub_t *hub, uint32_t index);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
