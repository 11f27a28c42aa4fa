/**
 * @file vivarium/link.h
 * @brief Full-duplex links: rate, delay, drop-tail queue, MTU, impairments, faults, intercepts.
 *
 * @defgroup viv_link Links
 * @brief The cables between ports.
 *
 * A link joins port A and port B. It has two independent directions, ::VIV_LINK_AB (frames
 * sent by A's node) and ::VIV_LINK_BA, each with its own ::viv_link_params, queue, counters
 * and state.
 *
 * **Timing.** Each direction has one transmitter. A frame of B bytes handed to an idle
 * transmitter at time t starts at t, occupies it for the serialization time
 * `ceil((B + overhead_bytes) * 8 * 10^9 / rate_bps)` ns, and arrives at the far port that long
 * after t plus `delay_ns` (plus jitter, if set). B counts the frame from the Ethernet header
 * to the end of the payload; `overhead_bytes` stands for what the medium adds (Ethernet:
 * 7 bytes preamble + 1 start delimiter + 4 FCS + 12 inter-frame gap = 24 bytes, the default).
 * Padding short frames to the Ethernet minimum is the sender's job (hosts do it).
 * Frames wait in a FIFO drop-tail queue while the transmitter is busy; a frame that finds
 * the queue full (`queue_frames` waiting frames, or `queue_bytes` waiting bytes) is dropped
 * and counted. The frame being transmitted is not in the queue. A frame whose payload (what
 * follows the 14-byte Ethernet header) exceeds `mtu` is refused as it is handed to the link,
 * like a NIC refusing an oversized frame: counted in `drop_mtu`, it never waits in the queue
 * or occupies the transmitter. The MTU is a link's only rule on length (it stands for the
 * NICs at both ends): a frame shorter than an Ethernet header, which only
 * viv_device_send_raw() makes, is carried like any other (hosts and switches count and drop
 * it; hubs repeat it).
 *
 * **A frame's timing and fate are fixed when it is handed to the link**, as in Linux's netem:
 * the queue is FIFO and the transmitter exact, so its start, its end and its arrival are
 * known then. The impairments are drawn at that moment from the direction's own seeded
 * stream, in this order:
 * 1. independent loss: one draw;
 * 2. Gilbert-Elliott burst loss, only while `burst.p_good_bad` > 0: the state moves first
 *    (one draw), then the loss of the new state applies (one draw);
 * 3. corruption: one draw; if it hits and the frame has a byte in the corruption range
 *    (`corrupt_offset`, `corrupt_len`), a second draw picks one bit of that range, which is
 *    flipped in a private copy of the frame, so checksums catch it;
 * 4. duplication: one draw; a second copy arrives `duplicate_delay_ns` after the frame;
 * 5. jitter, only while `jitter_ns` > 0: one draw;
 * 6. reordering: one draw.
 *
 * A probability of 0 draws nothing from the stream (nor does 1), and a lost frame takes no
 * draw after the one that lost it. `duplicate_delay_ns` and the delays take no draw, so they
 * never change which frames are lost, duplicated or corrupted; the corruption range decides
 * only which bit a corrupted frame gets (a frame with no byte in it takes no draw for the
 * bit). With the fields added last at their defaults (`duplicate_delay_ns` 0, the whole
 * frame as corruption range) a run is exactly what it was before they existed. A lost frame
 * still occupies the transmitter. With `jitter_reorder` 0 a frame never arrives before the
 * frame sent ahead of it (it is held back to that frame's arrival, which stays within its
 * own jitter range); the reorder impairment adds `reorder_delay_ns` on top, so later frames
 * overtake the held one. A duplicate's copy arrives `duplicate_delay_ns` after its frame
 * (jitter and reordering included); a late copy holds no later frame back. With
 * `duplicate_delay_ns` 0 the copy arrives at the same instant, just before its frame.
 * Parameters may be changed while the simulation runs; a change applies to frames handed to
 * the link afterwards (frames already waiting, in transmission or in flight keep the timing
 * they were given). Counters of transmission (`tx_frames`, `tx_bytes`) count a waiting frame
 * once its transmission has started; a capture on a link sees each frame at the instant its
 * transmission starts.
 *
 * **Faults.** viv_link_set_up() cuts or restores a direction (or both). Cutting drops every
 * frame waiting in the queue, in transmission and in flight (counted in `drop_cut`); frames
 * handed to a cut direction are dropped too.
 *
 * **Intercepts.** A program can see every frame at the instant it would arrive at the far
 * port and decide its fate (::viv_intercept_cb); viv_link_drop_nth() covers the common test
 * case "drop the Nth frame that matches".
 * @{
 */
#ifndef VIVARIUM_LINK_H
#define VIVARIUM_LINK_H

#include "frame.h"
#include "node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A direction of a link. */
typedef enum viv_link_dir {
    VIV_LINK_AB = 0,  /**< from port A to port B */
    VIV_LINK_BA = 1,  /**< from port B to port A */
    VIV_LINK_BOTH = 2 /**< both directions (only where a function says so) */
} viv_link_dir;

/** ::viv_link_params.overhead_bytes value meaning "no per-frame overhead at all". */
#define VIV_LINK_OVERHEAD_NONE UINT32_MAX
/** The smallest link MTU: IPv4's minimum (RFC 791). */
#define VIV_LINK_MTU_MIN 68u
/** The largest link MTU: the largest IPv4 packet. Past standard Ethernet (1500) and jumbo
 *  frames (9000), for experiments; a larger MTU could carry nothing IPv4 can send. */
#define VIV_LINK_MTU_MAX 65535u

/** Gilbert-Elliott two-state burst loss. Off while `p_good_bad` is 0. */
typedef struct viv_burst_loss {
    double p_good_bad; /**< per frame, probability of moving from the good to the bad state */
    double p_bad_good; /**< per frame, probability of moving from the bad to the good state */
    double loss_good;  /**< loss probability in the good state */
    double loss_bad;   /**< loss probability in the bad state */
} viv_burst_loss;

/** The parameters of one direction. Zero fields mean the documented default. */
typedef struct viv_link_params {
    uint64_t rate_bps;         /**< bit rate; default 1,000,000,000 */
    viv_time_t delay_ns;       /**< propagation delay; default 0 */
    uint32_t queue_frames;     /**< queue limit in frames; default 100 */
    uint64_t queue_bytes;      /**< queue limit in bytes; default none */
    uint32_t mtu;              /**< largest payload after the Ethernet header, from
                                    ::VIV_LINK_MTU_MIN to ::VIV_LINK_MTU_MAX; default 1500 */
    uint32_t overhead_bytes;   /**< per-frame medium overhead; default 24 (Ethernet) */
    double loss;               /**< independent loss probability, 0..1 */
    viv_burst_loss burst;      /**< burst loss, off by default */
    double corrupt;            /**< probability of flipping one bit of a frame */
    double duplicate;          /**< probability of delivering a frame twice */
    viv_time_t jitter_ns;      /**< extra delay drawn uniformly from [0, jitter_ns] */
    int jitter_reorder;        /**< 0: jitter keeps frames in order; 1: it may reorder them */
    double reorder;            /**< probability of holding a frame back by reorder_delay_ns */
    viv_time_t reorder_delay_ns; /**< how long a reordered frame is held back */
    viv_time_t duplicate_delay_ns; /**< how long after its frame a duplicate's copy arrives;
                                        default 0, the same instant */
    uint32_t corrupt_offset;   /**< the first byte of the corruption range, counted from the
                                    first byte of the Ethernet header; default 0 */
    uint32_t corrupt_len;      /**< the corruption range's length in bytes; default 0, up to
                                    the end of the frame. The range is cut at the frame's end;
                                    a frame that ends at or before `corrupt_offset` is left
                                    intact (counted in `corrupt_skipped`). Used by the
                                    `corrupt` impairment and by ::VIV_VERDICT_CORRUPT. */
} viv_link_params;

/** Initialiser for ::viv_link_params with every default. */
#define VIV_LINK_PARAMS_INIT {0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0}, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/** Counters of one direction of a link. */
typedef struct viv_link_stats_t {
    uint64_t tx_frames;      /**< frames that started transmission */
    uint64_t tx_bytes;       /**< their bytes */
    uint64_t rx_frames;      /**< frames delivered to the far port (duplicates included) */
    uint64_t rx_bytes;       /**< their bytes */
    uint64_t drop_queue;     /**< dropped because the queue was full */
    uint64_t drop_mtu;       /**< dropped because the payload exceeded the MTU */
    uint64_t drop_loss;      /**< lost by independent loss */
    uint64_t drop_burst;     /**< lost by burst loss */
    uint64_t drop_cut;       /**< lost to a cut: queued, in flight, or sent while cut */
    uint64_t drop_intercept; /**< dropped by an intercept or a drop rule */
    uint64_t drop_nomem;     /**< dropped because memory for it ran out (the allocator
                                  failed): a frame is never lost without a count */
    uint64_t corrupted;      /**< frames with a bit flipped */
    uint64_t corrupt_skipped; /**< frames chosen for corruption (by the impairment or an
                                   intercept) with no byte in the corruption range: left
                                   intact and delivered */
    uint64_t duplicated;     /**< extra copies made */
    uint64_t reordered;      /**< frames held back by the reorder impairment */
    uint32_t queue_frames;   /**< frames waiting now */
    uint64_t queue_bytes;    /**< bytes waiting now */
    uint32_t queue_peak;     /**< most frames ever waiting */
} viv_link_stats_t;

/** What an intercept decides for a frame. */
typedef enum viv_verdict {
    VIV_VERDICT_DELIVER = 0,   /**< deliver it now */
    VIV_VERDICT_DROP = 1,      /**< drop it (counted in drop_intercept) */
    VIV_VERDICT_DELAY = 2,     /**< deliver it after *delay_ns more, without asking again */
    VIV_VERDICT_DUPLICATE = 3, /**< deliver it now, and a second copy *delay_ns later (0:
                                    right after, at the same instant), without asking again */
    VIV_VERDICT_CORRUPT = 4    /**< flip one random bit within the direction's corruption
                                    range (::viv_link_params.corrupt_offset and
                                    ::viv_link_params.corrupt_len), then deliver it */
} viv_verdict;

/**
 * An intercept: sees each frame of a direction at the instant it would arrive.
 * @param link the link.
 * @param dir the direction.
 * @param frame the frame's bytes (read-only, valid during the call).
 * @param len their count.
 * @param info the parsed summary.
 * @param[out] delay_ns for ::VIV_VERDICT_DELAY, how much longer to hold the frame; for
 *        ::VIV_VERDICT_DUPLICATE, how long after the frame its copy arrives. It is 0 when the
 *        intercept is called.
 * @param user the pointer given to viv_link_set_intercept().
 * @return the verdict.
 *
 * Callback timing: called from the link's arrival event, never from an API call. It may call
 * any API, including viv_link_set_intercept(), viv_link_set_up() and viv_link_free() on this
 * link (or free a node the link plugs into). If it cuts the frame's direction, the frame is
 * dropped whatever the verdict (counted in drop_cut); if it frees the link, the frame is
 * dropped with it.
 */
typedef viv_verdict (*viv_intercept_cb)(viv_link_t *link, viv_link_dir dir,
                                         const uint8_t *frame, size_t len,
                                         const viv_frame_info *info, viv_time_t *delay_ns,
                                         void *user);

/** Which frames a drop rule counts. Zero fields match anything. */
typedef struct viv_frame_match {
    uint16_t ethertype;     /**< EtherType */
    uint8_t ip_proto;       /**< IPv4 protocol */
    viv_ip4_t ip_src;       /**< IPv4 source */
    viv_ip4_t ip_dst;       /**< IPv4 destination */
    uint16_t sport;         /**< UDP/TCP source port */
    uint16_t dport;         /**< UDP/TCP destination port */
    uint8_t tcp_flags_set;  /**< TCP flags that must all be set */
    uint8_t tcp_flags_clear; /**< TCP flags that must all be clear */
} viv_frame_match;

/** Initialiser for ::viv_frame_match matching every frame. */
#define VIV_FRAME_MATCH_INIT {0, 0, 0, 0, 0, 0, 0, 0}

/**
 * Whether a frame summary satisfies a match.
 * @param m the match.
 * @param info the summary.
 * @return 1 or 0 (0 for NULL arguments).
 */
VIV_API int viv_frame_match_test(const viv_frame_match *m, const viv_frame_info *info);

/**
 * Plug a new link between two free ports.
 * @param[out] out receives the link.
 * @param sim the simulation.
 * @param a port A.
 * @param b port B (of another node, or another port of the same node).
 * @param params the parameters of both directions, or NULL for the defaults.
 * @return 0, or VIV_EINVAL (NULL, the same port twice, ports of another simulation, bad
 *         parameters), VIV_EBUSY (a port already has a link), VIV_ENOMEM.
 *
 * Ownership: the simulation owns the link; viv_link_free() unplugs it earlier.
 */
VIV_API int viv_link_new(viv_link_t **out, viv_sim_t *sim, viv_port_t *a, viv_port_t *b,
                         const viv_link_params *params);

/**
 * Unplug and free a link. Frames waiting, in transmission and in flight on it are dropped;
 * its drop rules and captures go with it, and its intercepts are never called again. The
 * ports it leaves lose carrier, as for a cut. Safe inside the link's own intercept (see
 * ::viv_intercept_cb).
 * @param link the link, or NULL (nothing happens).
 *
 * Ownership: @p link is invalid afterwards. Freeing a node frees the links plugged into it.
 */
VIV_API void viv_link_free(viv_link_t *link);

/**
 * Set the parameters of one or both directions.
 * @param link the link.
 * @param dir ::VIV_LINK_AB, ::VIV_LINK_BA or ::VIV_LINK_BOTH.
 * @param params the parameters (zero fields: defaults); copied.
 * @return 0, or VIV_EINVAL (probabilities outside 0..1, a delay of ::VIV_TIME_NEVER, an MTU
 *         outside ::VIV_LINK_MTU_MIN .. ::VIV_LINK_MTU_MAX, bad direction, NULL); nothing
 *         changes then.
 */
VIV_API int viv_link_set_params(viv_link_t *link, viv_link_dir dir,
                                const viv_link_params *params);

/**
 * Read the parameters of one direction, with defaults filled in.
 * @param[out] out receives them.
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @return 0, or VIV_EINVAL (NULL, another direction).
 */
VIV_API int viv_link_params_get(viv_link_params *out, const viv_link_t *link, viv_link_dir dir);

/**
 * Set the independent loss probability of one or both directions.
 * @param link the link.
 * @param dir a direction or ::VIV_LINK_BOTH.
 * @param loss 0..1.
 * @return 0, or VIV_EINVAL (NULL, bad direction, @p loss outside 0..1).
 */
VIV_API int viv_link_set_loss(viv_link_t *link, viv_link_dir dir, double loss);

/**
 * Set the propagation delay of one or both directions.
 * @param link the link.
 * @param dir a direction or ::VIV_LINK_BOTH.
 * @param delay_ns the delay.
 * @return 0, or VIV_EINVAL (NULL, bad direction, @p delay_ns of ::VIV_TIME_NEVER).
 */
VIV_API int viv_link_set_delay(viv_link_t *link, viv_link_dir dir, viv_time_t delay_ns);

/**
 * Set the rate of one or both directions.
 * @param link the link.
 * @param dir a direction or ::VIV_LINK_BOTH.
 * @param rate_bps bits per second, > 0.
 * @return 0, or VIV_EINVAL (NULL, bad direction, 0 rate).
 */
VIV_API int viv_link_set_rate(viv_link_t *link, viv_link_dir dir, uint64_t rate_bps);

/**
 * Cut or restore one or both directions. Cutting drops what is queued, in transmission and
 * in flight (counted in drop_cut).
 * @param link the link.
 * @param dir a direction or ::VIV_LINK_BOTH.
 * @param up 0 to cut, 1 (or any other value) to restore.
 * @return 0, or VIV_EINVAL (NULL, bad direction).
 *
 * The port a direction arrives at loses carrier when it is cut and regains it when it is
 * restored: a switch forgets the stations it learned on a port that lost carrier, inside
 * this call. Hosts and hubs take no notice.
 */
VIV_API int viv_link_set_up(viv_link_t *link, viv_link_dir dir, int up);

/**
 * Whether a direction is up.
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @return 1 or 0 (0 for bad arguments).
 */
VIV_API int viv_link_is_up(const viv_link_t *link, viv_link_dir dir);

/**
 * Read the counters of one direction.
 * @param[out] out receives them.
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @return 0, or VIV_EINVAL (NULL, another direction).
 */
VIV_API int viv_link_stats(viv_link_stats_t *out, const viv_link_t *link, viv_link_dir dir);

/**
 * One of the link's ports.
 * @param link the link.
 * @param which 0 for A, 1 for B.
 * @return the port (borrowed), or NULL.
 */
VIV_API viv_port_t *viv_link_port(const viv_link_t *link, int which);

/**
 * Install (or remove, with NULL @p cb) the intercept of one or both directions.
 * @param link the link.
 * @param dir a direction or ::VIV_LINK_BOTH.
 * @param cb the intercept, or NULL.
 * @param user passed to @p cb; vivarium never reads or frees it.
 * @return 0, or VIV_EINVAL (NULL @p link, bad direction).
 *
 * Callback timing: never from inside this call. The new intercept sees the frames that
 * arrive from now on; the one it replaces is never called again.
 */
VIV_API int viv_link_set_intercept(viv_link_t *link, viv_link_dir dir, viv_intercept_cb cb,
                                   void *user);

/**
 * Drop the @p nth frame (counting from 1) of a direction that matches @p match, once. Rules
 * are checked at arrival, before the intercept, in the order they were added; a frame that a
 * rule counts but does not drop goes on to the next rule.
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @param match which frames count (copied).
 * @param nth 1 for the first matching frame, 2 for the second...
 * @return 0, or VIV_EINVAL (NULL, nth 0), VIV_ENOMEM.
 */
VIV_API int viv_link_drop_nth(viv_link_t *link, viv_link_dir dir, const viv_frame_match *match,
                              uint32_t nth);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
