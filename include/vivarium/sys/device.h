/**
 * @file vivarium/sys/device.h
 * @brief A program's own network element: raw frames in and out of its ports.
 *
 * @defgroup viv_device Custom devices
 * @brief Bring your own layer-2 or layer-3 logic into the simulated network.
 *
 * A device is a node whose behaviour is the program's: vivarium hands it every frame that
 * arrives on one of its ports through a callback, and the program sends raw frames out of
 * its ports with viv_device_send(). With viv_sim_schedule_after() it can run timers. This is
 * how a program unit-tests its own protocol logic (a bridge, a custom routing protocol, a
 * firewall) inside a simulated network of real hosts and switches. viv_device_send_raw()
 * sends any bytes at all (runts, empty frames, giants), to test how the network copes with
 * malformed frames.
 * @{
 */
#ifndef VIVARIUM_SYS_DEVICE_H
#define VIVARIUM_SYS_DEVICE_H

#include "../frame.h"
#include "../node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A program-defined device (opaque). */
typedef struct viv_device viv_device_t;

/**
 * Receives each frame arriving on a port of the device.
 * @param dev the device.
 * @param port the port number it arrived on.
 * @param frame the frame's bytes, Ethernet header first (read-only, valid during the call).
 * @param len their count.
 * @param info the frame's parsed summary.
 * @param user the pointer from ::viv_device_opts.
 *
 * Callback timing: called from the link's arrival event, never from an API call. It may call
 * any API, viv_device_send() and viv_device_free() on this device included.
 */
typedef void (*viv_device_rx_cb)(viv_device_t *dev, uint32_t port, const uint8_t *frame,
                                 size_t len, const viv_frame_info *info, void *user);

/** Options for viv_device_new(). */
typedef struct viv_device_opts {
    const char *name;     /**< node name (copied); NULL makes one up */
    viv_device_rx_cb rx;  /**< receive callback; NULL drops what arrives (still counted) */
    void *user;           /**< passed to @ref rx */
} viv_device_opts;

/** Initialiser for ::viv_device_opts with every default. */
#define VIV_DEVICE_OPTS_INIT {NULL, NULL, NULL}

/**
 * Create a device.
 * @param[out] out receives the device.
 * @param sim the simulation.
 * @param nports number of ports, 1..4096.
 * @param opts options, or NULL.
 * @return 0, or VIV_EINVAL, VIV_ENOMEM.
 *
 * Ownership: the simulation owns the device; viv_device_free() frees it earlier.
 */
VIV_API int viv_device_new(viv_device_t **out, viv_sim_t *sim, uint32_t nports,
                           const viv_device_opts *opts);

/**
 * Free a device and the links plugged into it. Safe inside its own receive callback.
 * @param dev the device, or NULL.
 */
VIV_API void viv_device_free(viv_device_t *dev);

/**
 * The device as a node.
 * @param dev the device.
 * @return the node (borrowed), or NULL.
 */
VIV_API viv_node_t *viv_device_node(viv_device_t *dev);

/**
 * A port of the device.
 * @param dev the device.
 * @param index the port number.
 * @return the port (borrowed), or NULL.
 */
VIV_API viv_port_t *viv_device_port(viv_device_t *dev, uint32_t index);

/** The longest frame viv_device_send_raw() takes: 128 KiB, twice the largest frame a link
 *  carries (::VIV_LINK_MTU_MAX + 14), so that a test can also send frames no link accepts. */
#define VIV_DEVICE_RAW_MAX 131072u

/**
 * Send a raw frame out of a port. The bytes are copied; the frame goes onto the link at once
 * (or waits in its queue).
 * @param dev the device.
 * @param port the port number.
 * @param frame the frame, Ethernet header first, no FCS.
 * @param len its length: at least 14 (an Ethernet header), at most 65535.
 * @return 0 (also when the link then drops it: see the counters), or VIV_EINVAL (bad port,
 *         NULL, @p len out of range), VIV_ENOMEM.
 *
 * To send what no Ethernet NIC would (runts, empty frames, giants), use
 * viv_device_send_raw().
 */
VIV_API int viv_device_send(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len);

/**
 * Send any bytes out of a port, as a frame: for testing how the rest of the network handles
 * malformed frames. Like viv_device_send() but with no rule on the length: empty frames and
 * runts (under 14 bytes, so without a whole Ethernet header) are sent as they are, and so are
 * frames up to ::VIV_DEVICE_RAW_MAX bytes. Nothing is padded or checked.
 * @param dev the device.
 * @param port the port number.
 * @param frame the bytes; may be NULL when @p len is 0.
 * @param len their count, 0 to ::VIV_DEVICE_RAW_MAX.
 * @return 0 (also when the link then drops the frame: see the counters), or VIV_EINVAL (bad
 *         port, NULL, @p len over ::VIV_DEVICE_RAW_MAX), VIV_ENOMEM.
 *
 * The link still applies its own rules: a frame longer than its MTU allows (more than `mtu`
 * bytes after the first 14) is refused and counted in the link's `drop_mtu`, as a NIC would
 * refuse it; raise the link's MTU (up to ::VIV_LINK_MTU_MAX) to carry giants to a receiver.
 * A frame shorter than 14 bytes has no payload and passes every MTU. Receivers count and drop
 * what they cannot parse: a host in `rx_bad_frame` (::viv_ip_stats_t), a switch in
 * `rx_bad_frame` (::viv_switch_stats_t); a hub repeats every frame whatever its length.
 */
VIV_API int viv_device_send_raw(viv_device_t *dev, uint32_t port, const uint8_t *frame,
                                size_t len);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
