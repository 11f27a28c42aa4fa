/**
 * @file vivarium/tcp_cc.h
 * @brief TCP congestion control: the interface an algorithm implements, and the two that
 *        ship (NewReno, CUBIC).
 *
 * @defgroup viv_tcp_cc TCP congestion control
 * @{
 *
 * **Who does what.** TCP itself detects loss and runs loss recovery: fast retransmit on the
 * third duplicate ACK (or when SACK says a segment is lost, RFC 6675), NewReno's fast recovery
 * (RFC 6582) or SACK-based recovery, and the retransmission timeout (RFC 6298). The algorithm
 * decides only how the congestion window grows when new data is acknowledged outside loss
 * recovery (viv_tcp_cc::on_ack) and how far it falls when a loss is detected
 * (viv_tcp_cc::ssthresh). On entering recovery TCP sets `ssthresh` to what the algorithm
 * returns and `cwnd` to `ssthresh` (RFC 5681 3.2, RFC 6675 5); on leaving it, `cwnd` is
 * `ssthresh`; on a timeout, `ssthresh` comes from the algorithm and `cwnd` becomes one
 * segment (the loss window, RFC 5681 3.1). Each such change is a trace record
 * (::VIV_TRACE_TCP_CC).
 *
 * **Writing one.** Fill a ::viv_tcp_cc with static storage duration (TCP keeps the pointer for
 * the connection's life) and give it to a socket in viv_tcp_opts::cc, or to every socket of a
 * host in viv_tcp_tunables::cc. Hooks run inside TCP's processing of a segment or timer, at
 * the simulated instant in viv_tcp_cc_conn::now; they must not call back into the socket API,
 * and must be deterministic (draw no randomness of their own). viv_tcp_cc_slow_start() and
 * viv_tcp_cc_reno_avoid() are the RFC 5681 building blocks.
 */
#ifndef VIVARIUM_TCP_CC_H
#define VIVARIUM_TCP_CC_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The most private state an algorithm may ask for (viv_tcp_cc::priv_size). */
#define VIV_TCP_CC_PRIV_MAX 128u

/** What an algorithm sees of its connection. Fields marked "may change" are the outputs. */
typedef struct viv_tcp_cc_conn {
    /** Congestion window in bytes (RFC 5681 cwnd). on_ack may change it; TCP keeps it at
     *  least one segment. */
    uint32_t cwnd;
    /** Slow-start threshold in bytes; UINT32_MAX until the first loss. on_ack may change
     *  it (rarely needed). */
    uint32_t ssthresh;
    /** The sender's maximum segment size (SMSS), bytes of data per segment. */
    uint32_t mss;
    /** Bytes sent and not yet acknowledged, SACKed or deemed lost (RFC 6675 "pipe"; RFC
     *  5681 FlightSize when SACK is off). Before the ACK being processed took effect in
     *  on_ack; in ssthresh, FlightSize at the moment of the loss, SACK or not, less what
     *  limited transmit sent (RFC 5681 3.2 step 2). */
    uint32_t in_flight;
    /** 1 when the window, not the program or the receiver, limited sending over the last
     *  round trip (RFC 7661): an algorithm should grow cwnd only then. */
    uint8_t cwnd_limited;
    /** Scratch for viv_tcp_cc_reno_avoid(): bytes acknowledged towards the next segment of
     *  growth (RFC 5681 3.1's byte counting). Zeroed by TCP with the state. */
    uint32_t ca_acked;
    /** The current simulated time. */
    viv_time_t now;
    /** Smoothed round-trip time (RFC 6298 SRTT), 0 before the first sample. */
    viv_time_t srtt_ns;
    /** The smallest round-trip sample seen, 0 before the first. */
    viv_time_t min_rtt_ns;
    /** The algorithm's own state: viv_tcp_cc::priv_size bytes, 16-byte aligned, zeroed before
     *  init; owned by TCP and freed with the connection (NULL if priv_size is 0). */
    void *priv;
} viv_tcp_cc_conn;

/** What happened to a connection (viv_tcp_cc::on_event). */
typedef enum viv_tcp_cc_event {
    /** Loss detected by duplicate ACKs or SACK: fast retransmit, recovery begins. ssthresh
     *  and cwnd are already set. */
    VIV_TCP_CC_EV_RECOVERY_ENTER = 1,
    /** The ACK that covers the recovery point arrived: recovery is over, cwnd = ssthresh. */
    VIV_TCP_CC_EV_RECOVERY_EXIT = 2,
    /** The retransmission timer expired: ssthresh is set, cwnd is one segment. */
    VIV_TCP_CC_EV_TIMEOUT = 3,
    /** Sending resumes after an idle period longer than the RTO: cwnd was cut to the
     *  restart window (RFC 5681 4.1). */
    VIV_TCP_CC_EV_IDLE_RESTART = 4
} viv_tcp_cc_event;

/** A congestion-control algorithm: a table of functions. */
typedef struct viv_tcp_cc {
    /** Short name ("newreno", "cubic"), shown by viv_tcp_info_get() and in traces. */
    const char *name;
    /** Bytes of private state per connection (viv_tcp_cc_conn::priv), at most
     *  ::VIV_TCP_CC_PRIV_MAX. */
    uint32_t priv_size;
    /** Optional. Called once when the connection is established (cwnd is the initial window,
     *  ssthresh UINT32_MAX), and again if the algorithm is changed on a live connection. */
    void (*init)(viv_tcp_cc_conn *c);
    /** Required. An ACK acknowledged @p acked new bytes while not in loss recovery: grow
     *  cwnd. @p rtt_ns is the round-trip sample this ACK gave (0: none). */
    void (*on_ack)(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt_ns);
    /** Required. A loss was detected (fast retransmit or timeout): return the new ssthresh
     *  in bytes (TCP raises it to at least two segments). cwnd and in_flight are still the
     *  values before the loss. */
    uint32_t (*ssthresh)(viv_tcp_cc_conn *c);
    /** Optional. Something the algorithm may want to know (::viv_tcp_cc_event). */
    void (*on_event)(viv_tcp_cc_conn *c, viv_tcp_cc_event ev);
} viv_tcp_cc;

/** NewReno (RFC 5681 growth; ssthresh = max(FlightSize / 2, 2 SMSS)). */
VIV_API extern const viv_tcp_cc viv_tcp_cc_newreno;
/** CUBIC (RFC 9438, with its Reno-friendly region and fast convergence) as Linux runs it:
 *  the Reno-friendly estimate grows with alpha_cubic = 3(1 - beta)/(1 + beta) throughout. */
VIV_API extern const viv_tcp_cc viv_tcp_cc_cubic;
/** CUBIC with RFC 9438 4.3's SHOULD as well: alpha_cubic becomes 1 once the Reno-friendly
 *  estimate reaches the window of the last loss (more aggressive than Linux). */
VIV_API extern const viv_tcp_cc viv_tcp_cc_cubic_rfc9438;

/**
 * A shipped algorithm by name.
 * @param name "newreno" (also "reno"), "cubic" or "cubic-rfc9438".
 * @return the algorithm, or NULL if the name is unknown or NULL.
 */
VIV_API const viv_tcp_cc *viv_tcp_cc_find(const char *name);

/**
 * Slow start (RFC 5681 3.1): cwnd grows by min(@p acked, SMSS) while below ssthresh, never
 * past it.
 * @param c the connection.
 * @param acked bytes newly acknowledged.
 * @return the bytes of @p acked not used because cwnd reached ssthresh (0 while in slow
 *         start): give them to congestion avoidance.
 */
VIV_API uint32_t viv_tcp_cc_slow_start(viv_tcp_cc_conn *c, uint32_t acked);

/**
 * Congestion avoidance (RFC 5681 3.1, byte counting): cwnd grows by one SMSS for every cwnd
 * bytes acknowledged, using viv_tcp_cc_conn::ca_acked as the counter.
 * @param c the connection.
 * @param acked bytes newly acknowledged.
 */
VIV_API void viv_tcp_cc_reno_avoid(viv_tcp_cc_conn *c, uint32_t acked);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
