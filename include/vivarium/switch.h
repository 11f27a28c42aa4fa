/**
 * @file vivarium/switch.h
 * @brief Learning switches: MAC learning with aging, forwarding, flooding and filtering.
 *
 * @defgroup viv_switch Learning switches
 * @brief A transparent bridge (IEEE 802.1D learning and forwarding, no spanning tree).
 *
 * A switch is store-and-forward with one output queue per port (the queue of the link
 * plugged into the port). For each frame arriving on port p:
 * - **Learning.** If the source MAC is unicast, the table now says "source is on p, seen
 *   now" (a station that moved is followed). Group (multicast/broadcast) sources are never
 *   learned. Only frames *from* a station refresh its entry.
 * - **Forwarding.** A unicast destination found in the table on port q != p goes out of q
 *   alone; found on p itself, the frame is dropped (filtered). Broadcast, multicast and
 *   unknown unicast destinations are flooded out of every port except p.
 * - **Aging.** An entry not refreshed for the aging time (default 300 s) is removed at that
 *   instant (`now - last seen >= aging`): it no longer forwards, no longer appears in the
 *   table and is counted in `aged`. Frames *to* a station do not refresh its entry.
 * - **Capacity.** The table holds at most `capacity` entries (default 8192). When it is full,
 *   expired entries are purged first; if none is expired, the new address is not learned
 *   (frames to it keep being flooded) and `learn_full` counts it.
 * - **Link state.** A port loses carrier when the link direction arriving at it is cut
 *   (viv_link_set_up()) or its link is unplugged (viv_link_free(), or the node at the other
 *   end freed). At that instant the switch forgets every station learned on the port, as
 *   IEEE 802.1D flushes a port's dynamic entries when the port goes down, and counts them
 *   in `flushed`. Frames to those stations are flooded until they speak again, so a station
 *   re-cabled to another port is reached at once, not sent into its dead port. Restoring
 *   the direction brings nothing back. Cutting only the direction leaving the port (switch
 *   to station) is not seen, as a PHY senses only the carrier it receives: the entries stay
 *   and frames forwarded to them are lost on the cut (the link's `drop_cut`). Hosts do not
 *   react to carrier: their ARP entries on the interface stay, and age or fail their probes
 *   as usual.
 * Switching the node off clears its table.
 * @{
 */
#ifndef VIVARIUM_SWITCH_H
#define VIVARIUM_SWITCH_H

#include "addr.h"
#include "node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A learning switch (opaque). */
typedef struct viv_switch viv_switch_t;

/** Options for viv_switch_new(). Zero fields mean defaults. */
typedef struct viv_switch_opts {
    const char *name;     /**< node name (copied); NULL makes one up */
    viv_time_t aging_ns;  /**< aging time; default 300 s */
    uint32_t capacity;    /**< MAC table entries, at most 2^24; default 8192 */
} viv_switch_opts;

/** Initialiser for ::viv_switch_opts with every default. */
#define VIV_SWITCH_OPTS_INIT {NULL, 0, 0}

/** One row of the MAC table. */
typedef struct viv_mac_entry {
    viv_mac_t mac;    /**< the station */
    uint32_t port;    /**< the port it was last seen on */
    viv_time_t age_ns; /**< time since a frame from it was last seen */
} viv_mac_entry;

/** Counters of a switch. */
typedef struct viv_switch_stats_t {
    uint64_t rx_frames;  /**< frames received on all ports */
    uint64_t forwarded;  /**< frames sent out of one known port */
    uint64_t flooded;    /**< frames flooded (broadcast, multicast, unknown unicast) */
    uint64_t filtered;   /**< frames dropped: destination on the ingress port */
    uint64_t learned;    /**< new table entries */
    uint64_t moved;      /**< entries whose port changed */
    uint64_t aged;       /**< entries removed by aging (including by viv_switch_set_aging()) */
    uint64_t learn_full; /**< addresses not learned because the table was full */
    uint64_t rx_bad_frame; /**< frames shorter than an Ethernet header (14 bytes), dropped
                                (counted in rx_frames too) */
    uint64_t flushed;    /**< entries removed because their port lost carrier (the link
                              direction arriving at it was cut, or its link unplugged) */
} viv_switch_stats_t;

/**
 * Create a switch.
 * @param[out] out receives the switch.
 * @param sim the simulation.
 * @param nports number of ports, 1..4096.
 * @param opts options (read, not kept), or NULL.
 * @return 0, or VIV_EINVAL (NULL @p out or @p sim, @p nports out of range, a capacity above
 *         2^24), VIV_ENOMEM; on failure nothing is created.
 *
 * Ownership: the simulation owns the switch; viv_switch_free() frees it earlier.
 */
VIV_API int viv_switch_new(viv_switch_t **out, viv_sim_t *sim, uint32_t nports,
                           const viv_switch_opts *opts);

/**
 * Free a switch and the links plugged into it. Its handle, its node's and its ports' are
 * invalid afterwards.
 * @param sw the switch, or NULL.
 */
VIV_API void viv_switch_free(viv_switch_t *sw);

/**
 * The switch as a node.
 * @param sw the switch.
 * @return the node (borrowed, valid as long as the switch), or NULL for NULL.
 */
VIV_API viv_node_t *viv_switch_node(viv_switch_t *sw);

/**
 * A port of the switch.
 * @param sw the switch.
 * @param index the port number.
 * @return the port (borrowed, valid as long as the switch), or NULL for NULL or no such port.
 */
VIV_API viv_port_t *viv_switch_port(viv_switch_t *sw, uint32_t index);

/**
 * Set the aging time. It applies at once to every entry: a shorter time removes entries now
 * older than it; entries already removed under the old time stay removed.
 * @param sw the switch.
 * @param aging_ns the aging time, > 0.
 * @return 0, or VIV_EINVAL (NULL @p sw, zero @p aging_ns).
 */
VIV_API int viv_switch_set_aging(viv_switch_t *sw, viv_time_t aging_ns);

/**
 * The live (not expired) MAC table entries, sorted by port, then MAC.
 * @param sw the switch.
 * @param rows where to write up to @p cap rows (may be NULL when @p cap is 0).
 * @param cap capacity of @p rows.
 * @return the number of live entries, which may exceed @p cap (snprintf-like), or
 *         VIV_EINVAL (NULL @p sw, NULL @p rows with a nonzero @p cap), VIV_ENOMEM.
 */
VIV_API int viv_switch_mac_table(const viv_switch_t *sw, viv_mac_entry *rows, size_t cap);

/**
 * The MAC table as text in the style of a switch's `show mac address-table`:
 * a header, one line per entry (`MAC  port  age`), and a total line.
 * @param sw the switch.
 * @param buf the buffer (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the length of the whole text (snprintf-like; a nonzero @p cap gets a terminated
 *         string), or VIV_EINVAL (NULL @p sw, NULL @p buf with a nonzero @p cap), VIV_ENOMEM.
 */
VIV_API int viv_switch_mac_table_text(const viv_switch_t *sw, char *buf, size_t cap);

/**
 * Forget every learned entry (live ones are counted neither as aged nor as flushed).
 * @param sw the switch.
 * @return 0, or VIV_EINVAL (NULL @p sw).
 */
VIV_API int viv_switch_clear(viv_switch_t *sw);

/**
 * Read the switch's counters.
 * @param[out] out receives them.
 * @param sw the switch.
 * @return 0, or VIV_EINVAL (NULL @p out or @p sw).
 */
VIV_API int viv_switch_stats(viv_switch_stats_t *out, const viv_switch_t *sw);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
