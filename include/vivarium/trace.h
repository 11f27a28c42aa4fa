/**
 * @file vivarium/trace.h
 * @brief One trace subscription per simulation: typed records of what happens, as it happens.
 *
 * @defgroup viv_trace Trace records
 * @brief Frames sent, received and dropped (with the reason), table changes, socket events.
 *
 * A program subscribes with viv_sim_trace() and receives one ::viv_trace_record for every
 * fact of the kinds below, at the instant it happens. Captures (pcap), netstat, the ARP,
 * route and MAC tables and the counters are views of the same facts; the trace is the one
 * that says *why* a frame did not arrive: a voice packet lost in the ARP queue and one lost
 * on the wire look the same in a counter of the receiver, not in the trace.
 *
 * **Costs nothing when off.** With no subscription, each place that could trace tests one
 * pointer. **Observing does not change the run**: a subscription changes no event, no
 * random draw and no fingerprint.
 *
 * **Callback timing.** Unlike socket callbacks, the trace callback is called synchronously,
 * from inside the library, at the moment the fact happens, including from inside an API call
 * of the program (a viv_udp_sendto() that fills a queue is traced inside that call). It must
 * treat the simulation as read-only: it may read clocks, counters and tables (viv_sim_now(),
 * viv_node_name(), viv_link_stats()...), and must not create, free, send, schedule, cut or
 * run anything. The record and the bytes it points to are valid during the call only.
 *
 * @code
 * static void on_trace(const viv_trace_record *r, void *user)
 * {
 *     if (r->kind == VIV_TRACE_FRAME_DROP)
 *         printf("%.6f %s dropped a frame: %s\n", r->time / 1e9,
 *                r->node ? viv_node_name(r->node) : "a link", viv_drop_reason_name(r->reason));
 * }
 * ...
 * viv_sim_trace(sim, on_trace, NULL);
 * @endcode
 * @{
 */
#ifndef VIVARIUM_TRACE_H
#define VIVARIUM_TRACE_H

#include "addr.h"
#include "link.h"
#include "node.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a trace record tells. */
typedef enum viv_trace_kind {
    /** A node handed a frame to the link on one of its ports (`node`, `port`, `frame`). */
    VIV_TRACE_FRAME_TX = 1,
    /** A link delivered a frame to a port (`node`, `port`, `frame`). */
    VIV_TRACE_FRAME_RX = 2,
    /** A frame (or a packet waiting for one) was dropped: `reason` says why; where, by
     *  `link` and `dir` (on a link) or `node` and `port` (in a node). */
    VIV_TRACE_FRAME_DROP = 3,
    /** An ARP cache entry of a host was created, confirmed, changed state or removed
     *  (`node`, `port` the interface, `ip`, `mac`, `state` a ::viv_arp_state, or -1 when the
     *  entry is removed). */
    VIV_TRACE_ARP = 4,
    /** A switch learned, moved or forgot a station (`node`, `port` its port, or UINT32_MAX
     *  when forgotten, `mac`). */
    VIV_TRACE_MAC = 5,
    /** Events were raised on a socket (`node` its host, `socket`, `events` the bits). */
    VIV_TRACE_SOCKET = 6,
    /** A host's ARP saw one of the host's own addresses (`ip`) claimed by another station
     *  (`mac`) on interface `port`: two hosts have the same address (RFC 5227). */
    VIV_TRACE_ADDR_CONFLICT = 7,
    /** A TCP connection changed state (`node`, `socket`, `local`, `remote`, `state` the
     *  ::viv_tcp_state entered, `old_state` the one left). Listeners' connections, orphans
     *  and TIME-WAIT included. */
    VIV_TRACE_TCP_STATE = 8,
    /** A host's TCP sent a segment (`node`, `socket` or NULL for a host with no socket,
     *  `local`, `remote`, `tcp_flags`, `seq`, `ack`, `seg_len`, `window`, `iss`, `irs`). */
    VIV_TRACE_TCP_SEG_TX = 9,
    /** A segment arrived at a host's TCP, checksum and header good (fields as
     *  ::VIV_TRACE_TCP_SEG_TX; `socket` is the one it went to: a connection, a listener, or
     *  NULL). */
    VIV_TRACE_TCP_SEG_RX = 10,
    /** A connection retransmitted (`socket`, `local`, `remote`, `timer` the
     *  ::viv_tcp_timer that expired, `retries` its consecutive expiries, `seq`, `seg_len`,
     *  `tcp_flags` of the segment). */
    VIV_TRACE_TCP_RETRANSMIT = 11,
    /** A connection's timer was started or moved (`socket`, `local`, `remote`, `timer`,
     *  `timer_ns` the time until it expires). */
    VIV_TRACE_TCP_TIMER_START = 12,
    /** A connection's timer expired (`socket`, `local`, `remote`, `timer`, `retries`). */
    VIV_TRACE_TCP_TIMER_EXPIRE = 13,
    /** Congestion control changed a connection's state (`socket`, `local`, `remote`,
     *  `cc_event` what happened, `cwnd`, `ssthresh`, `in_flight` after the change): every
     *  ssthresh change, recovery entry and exit, partial ACK, timeout and idle restart, cwnd
     *  growth by the algorithm (::VIV_TRACE_CC_GROW) and NewReno's inflation on a duplicate
     *  ACK (::VIV_TRACE_CC_INFLATE): every change of cwnd. */
    VIV_TRACE_TCP_CC = 14
} viv_trace_kind;

/** What a ::VIV_TRACE_TCP_CC record says (its `cc_event`). */
typedef enum viv_trace_cc_event {
    VIV_TRACE_CC_GROW = 0,           /**< the algorithm grew cwnd on an ACK */
    VIV_TRACE_CC_RECOVERY_ENTER = 1, /**< fast retransmit: recovery begins */
    VIV_TRACE_CC_RECOVERY_EXIT = 2,  /**< recovery ends (cwnd = ssthresh) */
    /** retransmission timeout (cwnd = one segment); also at the establishment of a
     *  connection whose SYN or SYN-ACK timed out (RFC 5681 3.1's initial window of one
     *  segment) */
    VIV_TRACE_CC_TIMEOUT = 3,
    VIV_TRACE_CC_IDLE_RESTART = 4,   /**< cwnd cut to the restart window after idling */
    VIV_TRACE_CC_PARTIAL_ACK = 5,    /**< a partial ACK in recovery: the next hole is sent */
    /** a duplicate ACK in NewReno's recovery without SACK inflated cwnd by one segment (RFC
     *  5681 3.2 step 4) */
    VIV_TRACE_CC_INFLATE = 6
} viv_trace_cc_event;

/** Why a frame or packet was dropped. Each reason is also counted in the statistics of the
 *  place that dropped it (the field named in its description). */
typedef enum viv_drop_reason {
    VIV_DROP_QUEUE_FULL = 1,   /**< a link's queue was full (link drop_queue) */
    VIV_DROP_LOSS = 2,         /**< lost by a link's independent loss (drop_loss) */
    VIV_DROP_BURST_LOSS = 3,   /**< lost by a link's burst loss (drop_burst) */
    VIV_DROP_CUT = 4,          /**< the link direction was cut (drop_cut) */
    VIV_DROP_MTU = 5,          /**< larger than the link's MTU (drop_mtu) */
    VIV_DROP_INTERCEPT = 6,    /**< an intercept or drop rule dropped it (drop_intercept) */
    VIV_DROP_NO_MEMORY = 7,    /**< memory ran out on its way (drop_nomem) */
    VIV_DROP_NODE_DOWN = 8,    /**< the node was switched off (port drop_down) */
    VIV_DROP_UNPLUGGED = 9,    /**< sent from a port with no link (port drop_unplugged) */
    VIV_DROP_NOT_MINE = 10,    /**< for another MAC or address, not forwarded */
    VIV_DROP_BAD_FRAME = 11,   /**< too short, or an unsupported EtherType (rx_bad_frame) */
    VIV_DROP_MALFORMED = 12,   /**< a header is malformed or truncated */
    VIV_DROP_CHECKSUM = 13,    /**< a checksum is wrong */
    VIV_DROP_TTL = 14,         /**< TTL expired in transit (drop_ttl) */
    VIV_DROP_NO_ROUTE = 15,    /**< no route to the destination (drop_no_route) */
    VIV_DROP_NO_ARP = 16,      /**< the next hop did not answer ARP (drop_arp) */
    VIV_DROP_ARP_QUEUE = 17,   /**< pushed out of the queue of packets waiting for ARP
                                    (drop_arp) */
    VIV_DROP_TOO_BIG = 18,     /**< larger than the outgoing MTU (drop_too_big) */
    VIV_DROP_FRAGMENT = 19,    /**< a fragment: vivarium does not reassemble */
    VIV_DROP_BROADCAST = 20,   /**< a broadcast a router must not forward */
    VIV_DROP_NO_PROTOCOL = 21, /**< for a protocol the host does not run (drop_proto) */
    VIV_DROP_NO_PORT = 22,     /**< for a port no socket is bound to */
    VIV_DROP_RX_QUEUE_FULL = 23, /**< a socket's receive queue was full */
    VIV_DROP_FILTERED = 24,    /**< a switch filtered it (its destination is on the port it
                                    came from) */
    VIV_DROP_TABLE_FULL = 25   /**< a table it needed was full (the ARP cache full of
                                    entries being resolved: drop_arp) */
} viv_drop_reason;

/** One fact. Fields a kind does not use are zero (NULL, UINT32_MAX for `port`). */
typedef struct viv_trace_record {
    viv_time_t time;         /**< when (viv_sim_now()) */
    viv_trace_kind kind;     /**< what */
    const viv_node_t *node;  /**< the node it happened in, or NULL */
    uint32_t port;           /**< the node's port (or interface), UINT32_MAX if none */
    const viv_link_t *link;  /**< the link it happened on, or NULL */
    viv_link_dir dir;        /**< the link's direction (with `link`) */
    viv_drop_reason reason;  /**< why (::VIV_TRACE_FRAME_DROP) */
    const uint8_t *frame;    /**< the frame's bytes from its Ethernet header, or (for a
                                  packet dropped before it had one) from its IPv4 header;
                                  NULL if none; valid during the callback only */
    uint32_t frame_len;      /**< their length */
    const void *socket;      /**< the socket (a ::viv_udp_t or ::viv_tcp_t pointer), or NULL */
    uint32_t events;         /**< ::VIV_TRACE_SOCKET: the ::viv_sock_event bits */
    viv_ip4_t ip;            /**< ARP and conflicts: the address */
    viv_mac_t mac;           /**< ARP, MAC table and conflicts: the station */
    int state;               /**< ::VIV_TRACE_ARP: the new ::viv_arp_state, -1 if removed;
                                  ::VIV_TRACE_TCP_STATE: the ::viv_tcp_state entered */
    /* Fields added with TCP (the kinds VIV_TRACE_TCP_*). The connection is `socket` (a
     * ::viv_tcp_t pointer) on the host `node`. */
    viv_sockaddr_t local;    /**< TCP: the connection's local address and port */
    viv_sockaddr_t remote;   /**< TCP: its peer (0.0.0.0:0 for a listener) */
    int old_state;           /**< ::VIV_TRACE_TCP_STATE: the ::viv_tcp_state left */
    uint8_t tcp_flags;       /**< TCP segments: the flags (::viv_tcp_flag bits) */
    uint32_t seq;            /**< TCP segments: the sequence number (absolute) */
    uint32_t ack;            /**< TCP segments: the acknowledgment number (absolute) */
    uint32_t seg_len;        /**< TCP segments: payload bytes (SYN and FIN not counted) */
    uint32_t window;         /**< TCP segments: the window field */
    uint32_t iss;            /**< TCP segments: the connection's initial send sequence
                                  number, so that `seq - iss` (sent) is relative; 0 without
                                  a connection */
    uint32_t irs;            /**< TCP segments: its initial receive sequence number (0
                                  before the peer's SYN): `ack - irs` (sent) is relative */
    int timer;               /**< TCP timers and retransmissions: a ::viv_tcp_timer */
    viv_time_t timer_ns;     /**< ::VIV_TRACE_TCP_TIMER_START: time until the expiry */
    uint32_t retries;        /**< TCP retransmissions and expiries: consecutive expiries of
                                  that timer so far */
    int cc_event;            /**< ::VIV_TRACE_TCP_CC: a ::viv_trace_cc_event */
    uint32_t cwnd;           /**< ::VIV_TRACE_TCP_CC: the congestion window, bytes */
    uint32_t ssthresh;       /**< ::VIV_TRACE_TCP_CC: the slow-start threshold, bytes */
    uint32_t in_flight;      /**< ::VIV_TRACE_TCP_CC: bytes in flight (RFC 6675 pipe) */
} viv_trace_record;

/**
 * Called with each record. See the file's description for its timing and its limits.
 * @param rec the record (valid during the call only).
 * @param user the pointer given to viv_sim_trace().
 */
typedef void (*viv_trace_cb)(const viv_trace_record *rec, void *user);

/**
 * Subscribe to the simulation's trace, replacing any earlier subscription.
 * @param sim the simulation.
 * @param cb the callback; NULL ends the subscription.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL (NULL @p sim).
 *
 * viv_sim_free() ends the subscription first: nothing is traced while the simulation is
 * taken apart, so @p user may point at memory that is gone by then.
 */
VIV_API int viv_sim_trace(viv_sim_t *sim, viv_trace_cb cb, void *user);

/**
 * The name of a drop reason, such as "queue full".
 * @param reason the reason.
 * @return a static string; "unknown" for a value that is not a reason.
 */
VIV_API const char *viv_drop_reason_name(viv_drop_reason reason);

/**
 * The name of a trace kind, such as "drop".
 * @param kind the kind.
 * @return a static string; "unknown" for a value that is not a kind.
 */
VIV_API const char *viv_trace_kind_name(viv_trace_kind kind);

#ifdef __cplusplus
}
#endif

/** @} */
#endif
