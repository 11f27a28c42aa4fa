/**
 * @file vivarium/node.h
 * @brief Nodes and their ports: what hosts, hubs, switches and devices have in common.
 *
 * @defgroup viv_node Nodes and ports
 * @brief The common face of every network element.
 *
 * Every element of a simulated network (a host or router, a hub, a switch, a program's own
 * device) is a node with numbered ports. A port is where a link plugs in: a frame a node sends
 * out of a port goes onto the link's direction away from that port, and a frame arriving on a
 * link is handed to the node behind the far port.
 *
 * Each kind of node gives its ::viv_node_t with an accessor (viv_host_node(), viv_hub_node(),
 * viv_switch_node(), viv_device_node()); the functions here work on all of them.
 *
 * A node can be switched off and on (viv_node_set_up()): while off it neither sends nor
 * receives, and frames arriving at its ports are dropped and counted.
 * @{
 */
#ifndef VIVARIUM_NODE_H
#define VIVARIUM_NODE_H

#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A network element (opaque): the common part of hosts, hubs, switches and devices. */
typedef struct viv_node viv_node_t;
/** A port of a node (opaque), where one link plugs in. */
typedef struct viv_port viv_port_t;
/** A full-duplex link between two ports (opaque); see link.h. */
typedef struct viv_link viv_link_t;

/** Counters of one port, from the port's point of view. */
typedef struct viv_port_stats_t {
    uint64_t tx_frames;      /**< frames the node handed to the link */
    uint64_t tx_bytes;       /**< their bytes (Ethernet header to payload, no FCS) */
    uint64_t rx_frames;      /**< frames delivered to the node by the link */
    uint64_t rx_bytes;       /**< their bytes */
    uint64_t drop_unplugged; /**< frames sent while no link was plugged in */
    uint64_t drop_down;      /**< frames sent or received while the node was off */
} viv_port_stats_t;

/**
 * The node's name ("h1", "sw0"...), given at creation or made up from its kind and number.
 * @param node the node.
 * @return a string owned by the node, valid while it lives; "" for NULL.
 */
VIV_API const char *viv_node_name(const viv_node_t *node);

/**
 * The number of ports of a node.
 * @param node the node.
 * @return the count; 0 for NULL.
 */
VIV_API uint32_t viv_node_port_count(const viv_node_t *node);

/**
 * A port of a node.
 * @param node the node.
 * @param index 0 .. viv_node_port_count() - 1.
 * @return the port (borrowed: valid while the node lives; a port added later, as by
 *         viv_host_add_iface(), does not move it), or NULL for a NULL node or an index out of
 *         range.
 */
VIV_API viv_port_t *viv_node_port(const viv_node_t *node, uint32_t index);

/**
 * Switch a node on or off. Switching off drops nothing already on the links; frames that reach
 * the node while it is off are dropped (counted in drop_down). A switch forgets its learned MAC
 * table when switched off; a host forgets its ARP neighbours and all its TCP state, and its
 * processes end (vivarium/process.h). Setting the state a node already has does nothing.
 * No callback runs inside the call; it may be made from a callback, even that of one of the
 * host's own sockets.
 * @param node the node.
 * @param up nonzero for on.
 * @return 0, or VIV_EINVAL for a NULL node.
 */
VIV_API int viv_node_set_up(viv_node_t *node, int up);

/**
 * Whether a node is on.
 * @param node the node.
 * @return 1 if on, 0 if off or NULL.
 */
VIV_API int viv_node_is_up(const viv_node_t *node);

/**
 * The node a port belongs to.
 * @param port the port.
 * @return the node (borrowed: it outlives the port), or NULL for a NULL port.
 */
VIV_API viv_node_t *viv_port_node(const viv_port_t *port);

/**
 * A port's number on its node.
 * @param port the port.
 * @return the index; 0 for NULL.
 */
VIV_API uint32_t viv_port_index(const viv_port_t *port);

/**
 * The link plugged into a port.
 * @param port the port.
 * @return the link (borrowed: valid until it is unplugged or freed, see link.h), or NULL
 *         if none or for a NULL port.
 */
VIV_API viv_link_t *viv_port_link(const viv_port_t *port);

/**
 * Read a port's counters: a copy, counted since the port was made (they are never reset).
 * @param[out] out receives the counters; untouched on error.
 * @param port the port.
 * @return 0, or VIV_EINVAL for a NULL out or port.
 */
VIV_API int viv_port_stats(viv_port_stats_t *out, const viv_port_t *port);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
