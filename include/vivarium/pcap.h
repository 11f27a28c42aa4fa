/**
 * @file vivarium/pcap.h
 * @brief Packet captures: write frames to a pcap file that Wireshark and tshark read.
 *
 * @defgroup viv_pcap Packet captures
 * @brief Record Ethernet frames, with their simulated times, in a pcap file.
 *
 * A capture is a file in the classic pcap format with nanosecond timestamps (magic number
 * `0xa1b23c4d`, version 2.4, link type 1: Ethernet). Every field is written little-endian,
 * so the same simulation gives the same file, byte for byte, on every machine. A frame's
 * timestamp is its simulated time: nanoseconds since the start of the simulation, shown by
 * Wireshark as a date in January 1970.
 *
 * **Opening and writing.** viv_pcap_open() creates (or truncates) the file and writes the
 * file header; viv_pcap_write() appends one frame. Frames longer than the snapshot length
 * are cut to it, and the file records their original length. Writes are buffered;
 * viv_pcap_flush() pushes them to the file, and viv_pcap_close() flushes and closes it.
 *
 * **Ownership.** A capture belongs to the simulation it was opened in: viv_sim_free() closes
 * every capture the program left open, so the file is complete either way.
 *
 * **Errors.** A failure to create or write the file returns `VIV_EIO` with a message naming
 * the file (viv_sim_errmsg()). After a write error the capture stays in error: later writes
 * and flushes return `VIV_EIO` too.
 *
 * @code
 * viv_pcap_t *cap;
 * if (viv_pcap_open(&cap, sim, "run.pcap", NULL) < 0)
 *     fprintf(stderr, "%s\n", viv_sim_errmsg(sim));
 * viv_pcap_write(cap, viv_sim_now(sim), frame, frame_len);
 * viv_pcap_close(cap);
 * @endcode
 * @{
 */
#ifndef VIVARIUM_PCAP_H
#define VIVARIUM_PCAP_H

#include "common.h"
#include "link.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A capture file being written (opaque). */
typedef struct viv_pcap viv_pcap_t;

/** The snapshot length used when ::viv_pcap_opts::snaplen is 0. */
#define VIV_PCAP_SNAPLEN_DEFAULT 65535u
/** The largest snapshot length accepted (Wireshark's limit for pcap files). */
#define VIV_PCAP_SNAPLEN_MAX 262144u

/** Options for viv_pcap_open(). All-zero fields mean the defaults. */
typedef struct viv_pcap_opts {
    /** Bytes kept of each frame, 1 .. ::VIV_PCAP_SNAPLEN_MAX; 0 means
     *  ::VIV_PCAP_SNAPLEN_DEFAULT. */
    uint32_t snaplen;
} viv_pcap_opts;

/** Initialiser for ::viv_pcap_opts with every default. */
#define VIV_PCAP_OPTS_INIT {0}

/**
 * Create a capture file and write its header.
 * @param[out] out receives the capture; untouched on failure.
 * @param sim the simulation that will own the capture.
 * @param path the file to create; an existing file is truncated. The path is copied.
 * @param opts the options, or NULL for the defaults.
 * @return 0, or VIV_EINVAL (NULL @p out, @p sim or @p path; snapshot length too large),
 *         VIV_EIO (the file cannot be created or written), VIV_ENOMEM.
 *
 * Ownership: the capture belongs to @p sim. Close it with viv_pcap_close(), or let
 * viv_sim_free() close it.
 */
VIV_API int viv_pcap_open(viv_pcap_t **out, viv_sim_t *sim, const char *path,
                          const viv_pcap_opts *opts);

/**
 * Append one frame to the capture.
 * @param cap the capture.
 * @param t the frame's timestamp in simulated nanoseconds (usually viv_sim_now()); times
 *          need not increase. It must be below 2^32 seconds.
 * @param frame the frame's bytes, from the first byte of the Ethernet header; copied.
 * @param len the frame's length; the first snapshot-length bytes are written, and @p len
 *            is recorded as the original length.
 * @return 0, or VIV_EINVAL (NULL @p cap, NULL @p frame with a nonzero @p len, @p len of
 *         2^32 bytes or more), VIV_ERANGE (@p t too large), VIV_EIO (a write failed now or
 *         earlier).
 *
 * The frame may be written to the file later (buffering); see viv_pcap_flush().
 */
VIV_API int viv_pcap_write(viv_pcap_t *cap, viv_time_t t, const uint8_t *frame, size_t len);

/**
 * How many frames the capture has recorded.
 * @param cap the capture.
 * @return the number of frames written so far; 0 if @p cap is NULL.
 */
VIV_API uint64_t viv_pcap_frames(const viv_pcap_t *cap);

/**
 * Push buffered frames to the file.
 * @param cap the capture.
 * @return 0, or VIV_EINVAL (NULL @p cap), VIV_EIO (a write failed now or earlier).
 */
VIV_API int viv_pcap_flush(viv_pcap_t *cap);

/**
 * Flush and close the capture file, and free the capture.
 * @param cap the capture, or NULL (nothing happens).
 *
 * An error while flushing is lost here; call viv_pcap_flush() first to see it.
 * Ownership: @p cap is invalid afterwards.
 */
VIV_API void viv_pcap_close(viv_pcap_t *cap);

/**
 * Record every frame a port sends (when it hands it to the link) and receives (when it
 * arrives), like tcpdump on an interface. A capture may be attached to several ports and
 * links; it is detached from all of them when closed.
 * @param cap the capture.
 * @param port the port (of any node: a host's interface, a switch port...).
 * @return 0, or VIV_EINVAL (NULL, another simulation's port), VIV_EEXIST (already attached
 *         there), VIV_ENOMEM.
 *
 * The port writes into the capture synchronously, as the frame is sent or arrives; a frame
 * whose time is 2^32 seconds or more is not recorded (the format cannot hold it), and a
 * capture in error records nothing more. Closing the capture or freeing the port's node
 * detaches it.
 */
VIV_API int viv_pcap_attach_port(viv_pcap_t *cap, viv_port_t *port);

/**
 * Record every frame that starts transmission on a link direction (or both), as a tap on
 * the cable would see it, lost frames included.
 * @param cap the capture.
 * @param link the link.
 * @param dir ::VIV_LINK_AB, ::VIV_LINK_BA or ::VIV_LINK_BOTH.
 * @return 0, or VIV_EINVAL (NULL @p cap or @p link, a bad direction, another simulation's
 *         link), VIV_EEXIST (already attached to the direction, or to one of the two with
 *         ::VIV_LINK_BOTH), VIV_ENOMEM. A failing call attaches nothing.
 *
 * A frame whose time is 2^32 seconds or more is not recorded (the format cannot hold it).
 * Closing the capture or freeing the link detaches it.
 */
VIV_API int viv_pcap_attach_link(viv_pcap_t *cap, viv_link_t *link, viv_link_dir dir);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
