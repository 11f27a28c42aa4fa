/**
 * @file vivarium/tcp.h
 * @brief TCP sockets: listen, accept, connect, send/recv, shutdown, close, abort, TCP_INFO.
 *
 * @defgroup viv_tcp TCP sockets
 * @brief Connections with RFC 9293's state machine, as a kernel runs it for a program.
 *
 * **Setup.** viv_tcp_new() creates a socket on a host. A server binds it (viv_tcp_bind()),
 * listens (viv_tcp_listen()) and takes connections with viv_tcp_accept() when its callback
 * says ::VIV_EV_ACCEPTABLE; each accepted connection is a socket of its own with its own
 * callback and user pointer. A client calls viv_tcp_connect(), which returns
 * ::VIV_EINPROGRESS (the handshake takes simulated time) and is answered later by
 * ::VIV_EV_CONNECTED, or by ::VIV_EV_ERROR with the reason in viv_tcp_error()
 * (::VIV_ECONNREFUSED, ::VIV_ETIMEDOUT...).
 *
 * **Sending** copies into the socket's send buffer (`sndbuf_bytes`) and returns what fit: a
 * partial count, or ::VIV_EAGAIN when the buffer is full; ::VIV_EV_WRITABLE comes when room
 * is made again. Data is sent in segments of at most the MSS, as the peer's window and the
 * congestion window allow (slow start and congestion avoidance by the algorithm in
 * viv_tcp_opts::cc, see @ref viv_tcp_cc), repaired by fast retransmit and NewReno or SACK
 * recovery (RFC 5681, 6582, 6675) and by the retransmission timeout (RFC 6298's RTO, Karn's
 * rule). Small writes wait for the acknowledgement of data in flight (Nagle, RFC 896)
 * unless `nodelay` is set.
 *
 * **Receiving.** In-order data waits in the receive buffer (`rcvbuf_bytes`, which is also the
 * largest window the socket announces: above 65535 bytes only with window scaling);
 * viv_tcp_recv() copies it out. It returns 0 once the peer's
 * FIN has been reached (end of stream), ::VIV_EAGAIN when nothing is waiting. A program
 * that needs no copy reads the bytes where they lie with viv_tcp_peek() and takes them with
 * viv_tcp_consume().
 * ::VIV_EV_READABLE is raised whenever new data (or the FIN) arrives. Segments that arrive
 * out of order are kept within the window and reported in SACK blocks when SACK is in use
 * (see docs/tcp.md).
 *
 * **Options.** Window scaling and timestamps (RFC 7323) and SACK (RFC 2018) are offered on
 * the SYN as `window_scaling`, `timestamps` and `sack` say (the host's tunables by default:
 * all three on, as Linux), and used only when the peer offers them too; viv_tcp_info_get()
 * says what was agreed.
 *
 * **Closing.** viv_tcp_shutdown() closes one direction: ::VIV_SHUT_WR sends a FIN after the
 * data already queued (further sends fail with ::VIV_EPIPE), ::VIV_SHUT_RD makes recv return
 * 0 and discards what arrives later. viv_tcp_close() gives the handle back to the library,
 * like close(2): the connection goes on closing without the program (FIN-WAIT-1, FIN-WAIT-2,
 * LAST-ACK, TIME-WAIT for 2 MSL), still listed by netstat and holding its port, and no
 * callback is called any more. Closing with unread data, or with `linger0`, sends a reset
 * instead (RFC 1122 4.2.2.13), as does viv_tcp_abort(). A connection the peer closed stays in
 * CLOSE-WAIT for as long as the program does not close it.
 *
 * **Addresses in use.** A port is held by every socket on it, in any state (listening,
 * connected, an orphan closing, TIME-WAIT): binding a port already held fails with
 * ::VIV_EADDRINUSE, unless the new socket sets `reuse_addr` and every holder either set it
 * too or is in TIME-WAIT. A listener holds its port against everyone.
 *
 * **Stack tunables** (RTOs, MSL, retry budgets...) are set for a whole simulation
 * (viv_sim_set_tcp_tunables()) and may be overridden per host (viv_host_set_tcp_tunables()).
 * Every choice where correct stacks differ is documented in docs/tcp.md with the RFC
 * section behind it.
 *
 * **Observing.** viv_tcp_info_get() gives a snapshot in the spirit of Linux's TCP_INFO;
 * viv_host_netstat() lists every connection with its timer; the trace (vivarium/trace.h)
 * has a record for every state change, segment, retransmission and timer of every
 * connection, including those waiting in a listener's queue, orphans and TIME-WAIT.
 *
 * Callback timing: every event is delivered right after the event it happened in, at the
 * same instant (socket.h), never from inside an API call. Freeing (closing) a socket inside its own callback is allowed.
 * @{
 */
#ifndef VIVARIUM_TCP_H
#define VIVARIUM_TCP_H

#include "socket.h"
#include "tcp_cc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A TCP socket (opaque). */
typedef struct viv_tcp viv_tcp_t;

/**
 * A TCP socket's callback.
 * @param s the socket.
 * @param events ::viv_sock_event bits.
 * @param user the pointer given to viv_tcp_new(), viv_tcp_accept() or viv_tcp_set_cb().
 */
typedef void (*viv_tcp_cb)(viv_tcp_t *s, uint32_t events, void *user);

/** Options of a TCP socket. Zero fields mean the documented default. */
typedef struct viv_tcp_opts {
    /** 1: may bind a port held by connections in TIME-WAIT, or by sockets that set it too
     *  (never one held by a listener). Default 0. */
    int reuse_addr;
    /** The largest segment to receive, announced in the MSS option, and the largest to
     *  send. Default 0: the path's MTU minus 40. Clamped to 48 .. MTU - 40. */
    uint16_t mss;
    /** Send buffer: bytes the program may queue before sends return ::VIV_EAGAIN
     *  (unacknowledged bytes included). Default 65536. */
    uint32_t sndbuf_bytes;
    /** Receive buffer: in-order data not yet read and data held out of order; also the
     *  largest window announced (at most 65535 bytes unless window scaling is in use, then
     *  the whole buffer). Default 131072 (Linux's tcp_rmem default); larger values are
     *  clamped to 16 MiB. Allocated when data first arrives. */
    uint32_t rcvbuf_bytes;
    /** 1: send small segments at once (no Nagle algorithm). Default 0. */
    int nodelay;
    /** 1: send keepalive probes on an idle connection (RFC 1122 4.2.3.6). Default 0. */
    int keepalive;
    /** Idle time before the first keepalive probe. Default 7200 s. */
    viv_time_t keepalive_idle_ns;
    /** Time between unanswered probes. Default 75 s. */
    viv_time_t keepalive_interval_ns;
    /** Unanswered probes before the connection is dropped (::VIV_ETIMEDOUT, with a reset
     *  sent to the peer, as Linux does), unless @ref user_timeout_ns is set (it decides
     *  instead, as on Linux). Default 9. */
    uint32_t keepalive_count;
    /** How long sent data may stay unacknowledged before the connection is dropped
     *  (::VIV_ETIMEDOUT), like Linux's TCP_USER_TIMEOUT: counted from the last
     *  acknowledgement of new data, or from the sending when nothing was outstanding (from
     *  the first SYN while connecting). The retransmission timer is cut short to it, so the
     *  connection ends at exactly that instant (as Linux since 4.19), unless the retry
     *  budget runs out first; the RTO's backoff is otherwise unchanged. Data that a zero
     *  window holds back, with nothing in flight, is dropped when the window has stayed shut
     *  this long from the first zero-window probe, answered or not (the probe timer cut
     *  likewise, as Linux since 5.11). With @ref keepalive it decides instead of
     *  @ref keepalive_count, as Linux: the connection ends at the first keepalive expiry at
     *  which a probe is unanswered and nothing has been received for this long. A change
     *  takes effect at once on the armed timers. Default 0: the host's retry budget alone
     *  decides (::viv_tcp_tunables.retries). */
    viv_time_t user_timeout_ns;
    /** 1: closing sends a reset and forgets the connection at once (SO_LINGER with a zero
     *  timeout). Default 0. */
    int linger0;
    /** 1: use @ref isn as the initial sequence number instead of one drawn from the host's
     *  random stream (for tests). A listener's connections use it too. Default 0. */
    int fixed_isn;
    /** The initial sequence number when @ref fixed_isn is 1. */
    uint32_t isn;
    /** The congestion-control algorithm (see @ref viv_tcp_cc), kept by pointer: it must
     *  have `on_ack` and `ssthresh` and at most ::VIV_TCP_CC_PRIV_MAX bytes of private state
     *  (else ::VIV_EINVAL). Default NULL: the host's (viv_tcp_tunables::cc), as it is when
     *  the socket connects or listens. May be changed on a live connection: the new
     *  algorithm starts afresh (private state zeroed, `init` called) with the current cwnd
     *  and ssthresh. */
    const struct viv_tcp_cc *cc;
    /** SACK (RFC 2018 blocks, RFC 6675 loss recovery): 1 offer it, -1 do not, 0 (default)
     *  as the host's viv_tcp_tunables::sack. Used only when both ends offer it. Fixed when
     *  the socket connects or listens. Other values: ::VIV_EINVAL. */
    int sack;
    /** Timestamps (RFC 7323: RTT measurement and PAWS): 1, -1 or 0 as @ref sack. With
     *  timestamps every segment carries 12 bytes of option, so a segment carries 12 bytes
     *  less data (1448 on Ethernet). The clock ticks every millisecond. */
    int timestamps;
    /** Window scaling (RFC 7323): 1, -1 or 0 as @ref sack. The shift offered is the smallest
     *  that lets the window say the whole receive buffer (2 for the default 128 KiB).
     *  Without it no window above 65535 bytes is announced or used. */
    int window_scaling;
    /** 1: acknowledge every data segment at once (no delayed ACK, like Linux's TCP_QUICKACK
     *  kept on). Default 0: an ACK at every second segment, at once for data out of order
     *  or filling a hole, else after viv_tcp_tunables::delack_ns. Takes effect at once. */
    int quickack;
} viv_tcp_opts;

/** Initialiser for ::viv_tcp_opts with every default. */
#define VIV_TCP_OPTS_INIT                                                                          \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0                                    \
    }

/** TCP tunables: a simulation's (viv_sim_set_tcp_tunables(), for every host) or one host's
 *  own (viv_host_set_tcp_tunables()). Unlike option structs, every field is meaningful as
 *  given (0 included): read them, change what you want, and set them back. The defaults
 *  below are vivarium's. */
typedef struct viv_tcp_tunables {
    /** Maximum segment lifetime; TIME-WAIT lasts twice this. Default 30 s (TIME-WAIT 60 s,
     *  as Linux). */
    viv_time_t msl_ns;
    /** The retransmission timeout before any round trip is measured (and of SYNs).
     *  Default 1 s (RFC 6298 2.1). */
    viv_time_t rto_initial_ns;
    /** The smallest RTO. Default 200 ms (Linux; RFC 6298 2.4 says 1 s). */
    viv_time_t rto_min_ns;
    /** The largest RTO, backoff included. Default 120 s (Linux). */
    viv_time_t rto_max_ns;
    /** How long an acknowledgement may wait for a second segment or data to ride on.
     *  Default 40 ms (Linux's minimum); at most 500 ms (RFC 9293 3.8.6.3), else the setters
     *  return ::VIV_EINVAL. */
    viv_time_t delack_ns;
    /** Retransmissions of a SYN before connect gives up with ::VIV_ETIMEDOUT. Default 6 (Linux
     *  tcp_syn_retries: the last attempt ends 127 s after the first SYN). */
    uint32_t syn_retries;
    /** Retransmissions of a SYN-ACK before a half-open connection is forgotten. Default 5
     *  (Linux tcp_synack_retries). */
    uint32_t synack_retries;
    /** The give-up budget: retransmissions of the same data or FIN (consecutive timeouts)
     *  before the connection is dropped with ::VIV_ETIMEDOUT. Default 15 (Linux
     *  tcp_retries2). */
    uint32_t retries;
    /** How long an orphaned connection (closed by the program) waits in FIN-WAIT-2 for the
     *  peer's FIN before it is forgotten. Default 60 s (Linux tcp_fin_timeout). */
    viv_time_t fin_timeout_ns;
    /** The initial congestion window in segments (RFC 6928). Default 10. 0 means RFC 5681's
     *  rule: 2, 3 or 4 segments by the MSS. */
    uint32_t initial_window;
    /** The congestion-control algorithm of sockets that do not choose one
     *  (viv_tcp_opts::cc), taken when a socket connects or listens. Default
     *  &::viv_tcp_cc_cubic (Linux's default; viv_tcp_tunables_rfc() gives NewReno). Never
     *  NULL. */
    const struct viv_tcp_cc *cc;
    /** 1: offer SACK (RFC 2018) and use it when the peer offers it too; 0: do not. Default
     *  1 (Linux). Other values: ::VIV_EINVAL. */
    int sack;
    /** 1: offer timestamps (RFC 7323); 0: do not. Default 1 (Linux). */
    int timestamps;
    /** 1: offer window scaling (RFC 7323); 0: do not. Default 1 (Linux). */
    int window_scaling;
    /** 1: when a listener's backlog is full of connections still in their handshake, answer
     *  a new SYN with a SYN cookie (RFC 4987 3.6) and keep no state; 0: drop the SYN.
     *  Default 1 (Linux's tcp_syncookies). */
    int syncookies;
} viv_tcp_tunables;

/**
 * The RFC defaults, for experiments that must match the RFCs rather than Linux: NewReno, a
 * 1 s minimum RTO (RFC 6298 2.4), RFC 5681's initial window, delayed ACKs of 200 ms, no SACK,
 * no timestamps and no SYN cookies (window scaling stays on); the other fields as vivarium's
 * defaults.
 * @param[out] out receives them (NULL: nothing happens).
 */
VIV_API void viv_tcp_tunables_rfc(viv_tcp_tunables *out);

/** Directions for viv_tcp_shutdown(). */
typedef enum viv_tcp_shut {
    VIV_SHUT_RD = 1,  /**< no more receiving: recv returns 0, later data is discarded */
    VIV_SHUT_WR = 2,  /**< no more sending: a FIN follows the queued data */
    VIV_SHUT_RDWR = 3 /**< both */
} viv_tcp_shut;

/** A connection's timers (in ::viv_tcp_info and the trace). A timer whose deadline would
 *  fall after ::VIV_TIME_MAX is not started (its remaining time is ::VIV_TIME_NEVER): near
 *  the end of time a keepalive, a retransmission or TIME-WAIT's end never comes, and
 *  viv_sim_run() returns when the segments stop. */
typedef enum viv_tcp_timer {
    VIV_TCP_TIMER_RTO = 0,        /**< retransmission (of a SYN, SYN-ACK, data or FIN) */
    VIV_TCP_TIMER_DELACK = 1,     /**< a delayed acknowledgement */
    VIV_TCP_TIMER_PERSIST = 2,    /**< zero-window probe */
    VIV_TCP_TIMER_KEEPALIVE = 3,  /**< keepalive probe */
    VIV_TCP_TIMER_FIN_WAIT_2 = 4, /**< an orphan's wait for the peer's FIN */
    VIV_TCP_TIMER_TIME_WAIT = 5,  /**< the end of TIME-WAIT */
    VIV_TCP_TIMER_COUNT = 6       /**< how many kinds there are */
} viv_tcp_timer;

/** A snapshot of a connection, in the spirit of Linux's TCP_INFO. Sequence numbers are
 *  absolute (subtract `iss` or `irs` for relative ones). */
typedef struct viv_tcp_info {
    viv_tcp_state state;     /**< the state */
    uint32_t iss;            /**< initial send sequence number */
    uint32_t irs;            /**< initial receive sequence number (0 before the peer's SYN) */
    uint32_t snd_una;        /**< oldest unacknowledged sequence number */
    uint32_t snd_nxt;        /**< next sequence number to send */
    uint32_t snd_wnd;        /**< the peer's window */
    uint32_t rcv_nxt;        /**< next sequence number expected */
    uint32_t rcv_wnd;        /**< the window announced */
    uint32_t snd_mss;        /**< the largest segment sent */
    uint32_t rcv_mss;        /**< the MSS announced */
    uint32_t cwnd;           /**< congestion window, bytes */
    uint32_t ssthresh;       /**< slow-start threshold, bytes (UINT32_MAX: none yet) */
    uint32_t in_flight;      /**< bytes in flight: RFC 6675 pipe with SACK, else SND.MAX -
                                  SND.UNA (RFC 5681 FlightSize) */
    const char *cc;          /**< the congestion-control algorithm's name (static string) */
    uint8_t sack_ok;         /**< SACK is in use (both ends offered it) */
    uint8_t ts_ok;           /**< timestamps are in use */
    uint8_t snd_wscale;      /**< the peer's window scale (shift), 0 without scaling */
    uint8_t rcv_wscale;      /**< our window scale, 0 without scaling */
    uint8_t in_recovery;     /**< in fast recovery (1) or recovering from a timeout (2) */
    uint32_t sacked_bytes;   /**< bytes the peer SACKed above SND.UNA */
    uint64_t fast_retransmits; /**< losses repaired by fast retransmit (recovery entries) */
    uint64_t timeouts;       /**< retransmission timer expiries over the connection's life */
    uint64_t dup_acks;       /**< duplicate ACKs received */
    viv_time_t min_rtt_ns;   /**< the smallest round-trip sample (0 before one) */
    viv_time_t rto_ns;       /**< the retransmission timeout, backoff included */
    viv_time_t srtt_ns;      /**< smoothed round-trip time (0 before a measurement) */
    viv_time_t rttvar_ns;    /**< round-trip time variation */
    uint32_t backoff;        /**< consecutive expiries of the running timer (retries) */
    uint64_t retransmits;    /**< segments retransmitted over the connection's life */
    uint64_t segs_out;       /**< segments sent */
    uint64_t segs_in;        /**< segments received */
    uint64_t bytes_sent;     /**< data bytes sent, retransmissions included */
    uint64_t bytes_acked;    /**< data bytes the peer acknowledged */
    uint64_t bytes_received; /**< data bytes received in order */
    uint32_t send_q;         /**< bytes queued and not yet acknowledged */
    uint32_t recv_q;         /**< bytes received and not yet read */
    /** Remaining time of each timer (indexed by ::viv_tcp_timer), ::VIV_TIME_NEVER for those
     *  not running. */
    viv_time_t timer_ns[VIV_TCP_TIMER_COUNT];
} viv_tcp_info;

/** A host's TCP counters. */
typedef struct viv_tcp_host_stats {
    uint64_t rx_segments;      /**< segments delivered to TCP by IPv4 */
    uint64_t rx_checksum;      /**< dropped: bad checksum */
    uint64_t rx_bad;           /**< dropped: truncated header, bad data offset or options */
    uint64_t rx_broadcast;     /**< dropped: to or from a broadcast or multicast address */
    uint64_t rx_no_socket;     /**< for no socket (answered with a reset unless a reset) */
    uint64_t rx_rst_closed;    /**< resets for no socket: discarded */
    uint64_t rx_unacceptable;  /**< outside the receive window (answered with an ACK) */
    uint64_t rx_ooo;           /**< data segments kept out of order */
    uint64_t rx_ooo_dropped;   /**< out-of-order segments dropped (no room to keep them) */
    uint64_t challenge_acks;   /**< challenge ACKs sent (RFC 5961) */
    uint64_t listen_overflows; /**< SYNs dropped: the listener's backlog was full of
                                    connections waiting for viv_tcp_accept() */
    uint64_t syncookies_sent;  /**< SYN-ACKs with a cookie: the backlog was full */
    uint64_t syncookies_recv;  /**< connections made from a valid cookie */
    uint64_t syncookies_failed; /**< ACKs to a listener whose cookie was not valid (answered
                                     with a reset) */
    uint64_t tx_segments;      /**< segments sent */
    uint64_t tx_rst;           /**< resets sent */
    uint64_t tx_failed;        /**< segments that could not be sent (no route, no memory) */
    uint64_t retransmits;      /**< segments retransmitted */
    uint64_t active_opens;     /**< connects (SYN-SENT) */
    uint64_t passive_opens;    /**< connections a listener created (SYN-RECEIVED) */
    uint64_t attempt_fails;    /**< openings that failed (refused, timed out, reset) */
    uint64_t estab_resets;     /**< connections reset from ESTABLISHED or CLOSE-WAIT */
    uint64_t timeouts;         /**< connections dropped for want of an acknowledgement */
} viv_tcp_host_stats;

/**
 * Create a TCP socket on a host.
 * @param[out] out receives the socket.
 * @param host the host.
 * @param opts options (copied), or NULL for the defaults.
 * @param cb the callback, or NULL (events are then kept until one is set).
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL (NULL, `reuse_addr` not 0 or 1, `sack`, `timestamps` or
 *         `window_scaling` not -1, 0 or 1, `cc` without its required hooks), VIV_ENOMEM.
 *
 * Ownership: the host owns the socket; viv_tcp_close() gives the handle back.
 * Callback timing: ::VIV_EV_WRITABLE is not raised before the socket is connected.
 */
VIV_API int viv_tcp_new(viv_tcp_t **out, viv_host_t *host, const viv_tcp_opts *opts, viv_tcp_cb cb,
                        void *user);

/**
 * Give the socket a callback (or take it away with NULL). Events raised meanwhile are kept
 * and delivered once a callback is set.
 * @param s the socket.
 * @param cb the callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL.
 *
 * Callback timing: never from inside this call.
 */
VIV_API int viv_tcp_set_cb(viv_tcp_t *s, viv_tcp_cb cb, void *user);

/**
 * Change a socket's options. `keepalive*`, `nodelay`, `quickack`, `user_timeout_ns`,
 * `linger0` and `cc` take effect at once (a new `cc` starts afresh on a live connection);
 * `reuse_addr` at the next bind; `sack`, `timestamps` and `window_scaling` are offered on
 * the SYN, so changing them after connect or listen changes nothing; `mss`, the buffer
 * sizes and the initial sequence number only before connect or listen.
 * @param s the socket.
 * @param opts the options (copied; zero fields: defaults).
 * @return 0, or VIV_EINVAL (as viv_tcp_new()), VIV_ESTATE (`mss`, a buffer size or the ISN
 *         changed after connect or listen).
 */
VIV_API int viv_tcp_set_opts(viv_tcp_t *s, const viv_tcp_opts *opts);

/**
 * Read a socket's options, defaults filled in.
 * @param[out] out receives them.
 * @param s the socket.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_tcp_opts_get(viv_tcp_opts *out, const viv_tcp_t *s);

/**
 * Bind to a local address and port.
 * @param s the socket.
 * @param addr the address (::VIV_IP4_ANY or one of the host's) and port (0: ephemeral).
 * @return 0, or VIV_EINVAL (NULL, already bound or connected), VIV_EADDRNOTAVAIL,
 *         VIV_EADDRINUSE (see **Addresses in use** above; also port 0 when no ephemeral port
 *         is free, as Linux's bind() says).
 */
VIV_API int viv_tcp_bind(viv_tcp_t *s, const viv_sockaddr_t *addr);

/**
 * Listen for connections. An unbound socket is bound to an ephemeral port first.
 * @param s the socket.
 * @param backlog how many connections may wait for viv_tcp_accept(), established or still
 *        in their handshake; 0 means 128. When that many wait and some are still in their
 *        handshake, a new SYN is answered with a SYN cookie and no state is kept (RFC 4987
 *        3.6, as Linux: a SYN flood does not lock legitimate clients out; see docs/tcp.md
 *        and ::viv_tcp_tunables.syncookies); the connection is made when the client's ACK
 *        comes back with the cookie. When all of them are established and waiting for
 *        viv_tcp_accept(), the SYN (or the cookie's ACK) is dropped (counted in
 *        `listen_overflows`) and the client retransmits as after a loss.
 * @return 0, or VIV_EINVAL, VIV_EISCONN (connected), VIV_EADDRINUSE (another listener on the
 *         port; or unbound, and no ephemeral port is free, as Linux's listen() says),
 *         VIV_ENOMEM.
 *
 * Callback timing: ::VIV_EV_ACCEPTABLE, after the event that made a connection ready.
 */
VIV_API int viv_tcp_listen(viv_tcp_t *s, uint32_t backlog);

/**
 * Take the oldest established connection from a listener's queue.
 * @param[out] out receives the new socket.
 * @param listener the listening socket.
 * @param cb the new socket's callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EAGAIN (none waiting), VIV_EINVAL (not listening).
 *
 * Ownership: the program holds the new socket like one from viv_tcp_new(). Callback
 * timing: events the connection raised while it waited (::VIV_EV_CONNECTED,
 * ::VIV_EV_READABLE...) are delivered to @p cb when the current event is over (or, called
 * outside a run, when the next run or step starts), at the current instant.
 */
VIV_API int viv_tcp_accept(viv_tcp_t **out, viv_tcp_t *listener, viv_tcp_cb cb, void *user);

/**
 * Open a connection (send a SYN). Binds to an ephemeral port first if needed; the source
 * address and the MSS come from the route to @p peer, chosen once.
 * @param s the socket.
 * @param peer the peer's address (not 0.0.0.0) and port (not 0).
 * @return VIV_EINPROGRESS (the handshake has started), or VIV_EINVAL, VIV_EALREADY (already
 *         connecting), VIV_EISCONN (connected, or listening), VIV_ENETUNREACH (no route),
 *         VIV_EADDRNOTAVAIL (no source address: the route leaves by an interface with no
 *         address; or unbound, and no ephemeral port is free, as Linux's connect() says),
 *         VIV_EADDRINUSE (that connection exists already).
 *
 * Callback timing: later, ::VIV_EV_CONNECTED (with ::VIV_EV_WRITABLE), or ::VIV_EV_ERROR with
 * VIV_ECONNREFUSED, VIV_ETIMEDOUT, VIV_ECONNRESET, or VIV_EHOSTUNREACH or VIV_ENETUNREACH
 * (an ICMP soft error reported instead of the timeout) in viv_tcp_error().
 */
VIV_API int viv_tcp_connect(viv_tcp_t *s, const viv_sockaddr_t *peer);

/**
 * Queue data for sending (copied). Data queued before the connection is established is
 * sent once it is.
 * @param s the socket.
 * @param buf the data (may be NULL when @p len is 0).
 * @param len its length.
 * @return the bytes queued (at most @p len; fewer when the send buffer fills), or
 *         VIV_EAGAIN (the buffer is full), VIV_ENOTCONN (never connected, or listening),
 *         VIV_EPIPE (the sending side is shut down or the connection is over), a pending
 *         error (returned once: VIV_ECONNRESET, VIV_ETIMEDOUT...), VIV_EINVAL (NULL, a
 *         NULL @p buf with @p len above 0, a socket that sends from a source:
 *         viv_tcp_send_source()), VIV_ENOMEM.
 *
 * Callback timing: ::VIV_EV_WRITABLE when room is made after a send fell short.
 */
VIV_API int viv_tcp_send(viv_tcp_t *s, const void *buf, size_t len);

/**
 * Where the bytes of a socket that sends from a source lie (viv_tcp_send_source()): the
 * function returns a pointer to the byte at offset @p off of the stream (0: the first byte
 * the socket sends) and stores in @p *n how many bytes follow it contiguously, from 1 up to
 * the @p *n it was given. The same offset must always give the same bytes: a retransmission
 * asks for them again.
 * @param user the pointer given to viv_tcp_send_source().
 * @param off the offset in the stream.
 * @param[in,out] n in: the bytes wanted (at least 1); out: the bytes available at the
 *                pointer (1 to the bytes wanted).
 * @return a pointer to the byte at @p off.
 *
 * Callback timing: called by the library whenever it builds a segment carrying the stream's
 * bytes (from inside viv_tcp_send_source() itself, from a segment's arrival, from a timer).
 * It must not call the library.
 */
typedef const void *(*viv_tcp_source_fn)(void *user, uint64_t off, size_t *n);

/**
 * Queue @p len more bytes of the stream for sending without copying them (sendfile(2)'s
 * way, or ns-3's BulkSend, but with real bytes): the library asks @p fn for them when it
 * builds each segment, and copies them into the frame while it sums them for the checksum.
 * The send buffer counts them as viv_tcp_send() counts copied bytes (`sndbuf_bytes`), but
 * holds no memory for them. A socket sends from a source or from copies, not both; every
 * call must give the same @p fn and @p user.
 * @param s the socket.
 * @param len the bytes to queue.
 * @param fn where the bytes lie (::viv_tcp_source_fn).
 * @param user passed to @p fn.
 * @return the bytes queued (at most @p len; fewer when the send buffer fills), or
 *         viv_tcp_send()'s errors, or VIV_EINVAL (NULL @p fn, a socket that sent copies, or
 *         another @p fn or @p user than before).
 *
 * Ownership: @p fn and what @p user points at must last as long as the connection may send:
 * after viv_tcp_close() too, while the connection delivers what was queued (a program that
 * cannot promise it aborts instead). Callback timing: ::VIV_EV_WRITABLE as for viv_tcp_send();
 * @p fn as ::viv_tcp_source_fn says.
 */
VIV_API int viv_tcp_send_source(viv_tcp_t *s, size_t len, viv_tcp_source_fn fn, void *user);

/**
 * Copy received data out of the receive buffer.
 * @param s the socket.
 * @param buf where to copy (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the bytes copied, 0 at the end of the stream (the peer's FIN, or after
 *         ::VIV_SHUT_RD), or VIV_EAGAIN (nothing yet), VIV_ENOTCONN (never connected), a
 *         pending error (returned once: VIV_ECONNRESET...).
 */
VIV_API int viv_tcp_recv(viv_tcp_t *s, void *buf, size_t cap);

/**
 * Read received data in place: where the contiguous run of bytes that starts @p off bytes
 * from the head of the receive buffer is, and how long it is. Nothing is taken: the same
 * call gives the same run until viv_tcp_consume() takes bytes. The buffer keeps data in the
 * frames it arrived in or in a ring, so the bytes readable now may come in several runs: a
 * program walks them with @p off = 0, then the first run's length, and so on, and takes
 * what it has read with one viv_tcp_consume(). Taking the same amounts as viv_tcp_recv()
 * would copy gives the same run of the simulation, segment for segment (the window updates
 * follow what each call takes).
 * @param s the socket.
 * @param[out] data receives a pointer to the run's first byte (NULL unless a run is
 *             returned).
 * @param off where the run starts: bytes from the head of the readable data, at most their
 *        count.
 * @return the run's length (> 0). When @p off is the count of readable bytes (0 when there
 *         are none), what follows them: 0 at the end of the stream (the peer's FIN, or
 *         ::VIV_SHUT_RD), VIV_EAGAIN (nothing more yet), a pending error (VIV_ECONNRESET...)
 *         and, with nothing readable, VIV_ENOTCONN (never connected): viv_tcp_recv()'s
 *         answers. A pending error is taken (returned once, as by viv_tcp_recv()) only when
 *         nothing is readable; after readable bytes it is reported and left for later.
 *         VIV_EINVAL when @p off is beyond the readable bytes.
 *
 * Ownership: the bytes belong to the socket and are read-only. The pointer stays valid
 * until the next viv_tcp_consume(), viv_tcp_recv(), viv_tcp_send(), viv_tcp_shutdown(),
 * viv_tcp_close() or viv_tcp_abort() on this socket, or until the simulation runs on
 * (the connection may be torn down meanwhile): read the bytes inside the callback or the
 * stretch of code that peeked. Callback timing: none; it calls nothing and sends nothing.
 */
VIV_API int viv_tcp_peek(viv_tcp_t *s, const void **data, size_t off);

/**
 * Take @p n bytes from the head of the receive buffer, read in place with viv_tcp_peek():
 * exactly what viv_tcp_recv() does once it has copied them (the room made is announced to
 * the peer when receiver SWS avoidance allows it, the counters move alike), without the
 * copy.
 * @param s the socket.
 * @param n the bytes to take, at most the count readable (0 takes nothing, and behaves as
 *        viv_tcp_recv() with a 0-byte buffer).
 * @return 0, or VIV_EINVAL (more than is readable; nothing is taken).
 *
 * Ownership: pointers from viv_tcp_peek() are invalid after it. Callback timing: none is
 * called from inside it; the window update it may send is answered later, like recv's.
 */
VIV_API int viv_tcp_consume(viv_tcp_t *s, size_t n);

/**
 * Shut down one direction, or both.
 * @param s the socket.
 * @param how ::VIV_SHUT_RD, ::VIV_SHUT_WR or ::VIV_SHUT_RDWR.
 * @return 0, or VIV_EINVAL, VIV_ENOTCONN (not connected or connecting).
 */
VIV_API int viv_tcp_shutdown(viv_tcp_t *s, int how);

/**
 * Close the socket and give the handle back (close(2)). A listener resets the connections
 * nobody accepted. A connection sends its FIN after the data already queued and goes on
 * closing without the program (FIN-WAIT, LAST-ACK, TIME-WAIT: still in netstat, still
 * holding its port); with data received and not read, or `linger0`, it sends a reset
 * instead. In SYN-SENT it is simply forgotten. No callback follows.
 * @param s the socket, or NULL (nothing happens).
 *
 * Safe inside the socket's own callback.
 */
VIV_API void viv_tcp_close(viv_tcp_t *s);

/**
 * Reset the connection (if it is synchronized, a RST is sent), forget it at once (no
 * TIME-WAIT), and give the handle back. No callback follows.
 * @param s the socket, or NULL (nothing happens).
 *
 * Safe inside the socket's own callback.
 */
VIV_API void viv_tcp_abort(viv_tcp_t *s);

/**
 * Read and clear the pending asynchronous error (like SO_ERROR).
 * @param s the socket.
 * @return 0 if none, else VIV_ECONNREFUSED, VIV_ECONNRESET, VIV_ETIMEDOUT, VIV_EHOSTUNREACH,
 *         VIV_ENETUNREACH, VIV_ECONNABORTED (the host was switched off, vivarium/process.h);
 *         VIV_EINVAL for NULL.
 */
VIV_API int viv_tcp_error(viv_tcp_t *s);

/**
 * The socket's local address.
 * @param[out] out receives it (0.0.0.0:0 when unbound).
 * @param s the socket.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_tcp_local(viv_sockaddr_t *out, const viv_tcp_t *s);

/**
 * The peer's address.
 * @param[out] out receives it.
 * @param s the socket.
 * @return 0, or VIV_ENOTCONN (no peer), VIV_EINVAL.
 */
VIV_API int viv_tcp_peer(viv_sockaddr_t *out, const viv_tcp_t *s);

/**
 * The socket's state.
 * @param s the socket.
 * @return the ::viv_tcp_state (::VIV_TCP_CLOSED for NULL).
 */
VIV_API viv_tcp_state viv_tcp_state_get(const viv_tcp_t *s);

/**
 * Whether a send would queue at least one byte now.
 * @param s the socket.
 * @return 1 or 0 (0 for NULL).
 */
VIV_API int viv_tcp_can_send(const viv_tcp_t *s);

/**
 * A snapshot of the connection.
 * @param[out] out receives it.
 * @param s the socket.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_tcp_info_get(viv_tcp_info *out, const viv_tcp_t *s);

/**
 * Read the TCP tunables in force on a host: its own if it has them, else the simulation's.
 * @param[out] out receives them.
 * @param host the host.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_host_tcp_tunables_get(viv_tcp_tunables *out, const viv_host_t *host);

/**
 * Give a host its own TCP tunables, or (NULL) make it follow the simulation's again. Timers
 * already running keep their deadlines; what they do next follows the new values.
 * @param host the host.
 * @param t the tunables (copied), or NULL.
 * @return 0, or VIV_EINVAL (`rto_min_ns` 0, the RTOs not ordered min <= initial <= max,
 *         `initial_window` above 65535, `delack_ns` above 500 ms, `sack`, `timestamps`,
 *         `window_scaling` or `syncookies` not 0 or 1, `cc` NULL, without its required hooks
 *         or asking for more than ::VIV_TCP_CC_PRIV_MAX bytes, `msl_ns`, `rto_max_ns` or
 *         `fin_timeout_ns` above ::VIV_TIME_MAX / 8, about 73 years), VIV_ENOMEM.
 */
VIV_API int viv_host_set_tcp_tunables(viv_host_t *host, const viv_tcp_tunables *t);

/**
 * Read the simulation's TCP tunables: what every host without its own uses (vivarium's
 * defaults, documented in ::viv_tcp_tunables, until viv_sim_set_tcp_tunables()).
 * @param[out] out receives them.
 * @param sim the simulation.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_sim_tcp_tunables_get(viv_tcp_tunables *out, const viv_sim_t *sim);

/**
 * Set the simulation's TCP tunables, for every host that has none of its own (whether it
 * exists already or is made later), or (NULL) go back to vivarium's defaults.
 * @param sim the simulation.
 * @param t the tunables (copied), or NULL.
 * @return 0, or VIV_EINVAL (as viv_host_set_tcp_tunables()), VIV_ENOMEM.
 */
VIV_API int viv_sim_set_tcp_tunables(viv_sim_t *sim, const viv_tcp_tunables *t);

/**
 * Read a host's TCP counters.
 * @param[out] out receives them.
 * @param host the host.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_host_tcp_stats(viv_tcp_host_stats *out, const viv_host_t *host);

/**
 * The name of a TCP timer ("retransmission", "delayed ack", "persist", "keepalive",
 * "fin-wait-2", "time-wait").
 * @param timer the timer.
 * @return a static string; "unknown" for a value out of range.
 */
VIV_API const char *viv_tcp_timer_name(viv_tcp_timer timer);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
