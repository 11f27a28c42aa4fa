/**
 * @file vivarium/socket.h
 * @brief What UDP and TCP sockets share: event bits, the callback rule, netstat.
 *
 * @defgroup viv_socket Sockets
 * @brief BSD-shaped, non-blocking sockets for an event-driven simulation.
 *
 * Sockets live on a host. Each has one callback that receives event bits (::viv_sock_event)
 * and a user pointer. The library never calls a socket's callback from inside the code that
 * raised the bits (an API call, a frame's arrival): it calls it as soon as the event that
 * raised them is over, at the same simulated instant and before any other event (bits the
 * program raises outside a run, say by creating a socket, when the next viv_sim_run() or
 * viv_sim_step() starts). Bits raised by one event are merged into one call; sockets are
 * called in the order their first bit was raised. A notification is no event of its own: it
 * is not counted by viv_sim_events() and leaves the fingerprint as it is. Data is pulled with recv calls into the caller's
 * buffer, and pushed with send calls that copy. Errors are `VIV_E*` codes named after their
 * POSIX counterparts: ::VIV_EADDRINUSE, ::VIV_ECONNREFUSED, ::VIV_ENOTCONN, ::VIV_EAGAIN
 * (would block)...
 *
 * **Ephemeral ports** are taken from 49152..65535 (IANA's dynamic range): each host starts at
 * a point drawn from its random stream and goes up, wrapping, skipping ports in use. The same
 * program and seed give the same ports.
 *
 * **netstat.** viv_host_netstat() lists every socket of a host (UDP and TCP, listening and
 * TIME-WAIT included) with its addresses, state, queues and timers; viv_host_netstat_text()
 * prints it like `netstat -an` (with ::VIV_NETSTAT_TIMERS, like `netstat -ano`).
 * @{
 */
#ifndef VIVARIUM_SOCKET_H
#define VIVARIUM_SOCKET_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Event bits passed to socket callbacks. */
typedef enum viv_sock_event {
    VIV_EV_READABLE = 1u << 0,   /**< data (or a FIN) can be received */
    VIV_EV_WRITABLE = 1u << 1,   /**< data can be sent */
    VIV_EV_CONNECTED = 1u << 2,  /**< a connection was established */
    VIV_EV_ACCEPTABLE = 1u << 3, /**< a listening socket has a connection to accept */
    VIV_EV_CLOSED = 1u << 4,     /**< the connection is fully closed */
    VIV_EV_ERROR = 1u << 5       /**< an asynchronous error is pending (read it) */
} viv_sock_event;

/** Flags reported by receive calls. */
typedef enum viv_msg_flag {
    VIV_MSG_TRUNC = 1u << 0 /**< the datagram was longer than the buffer; the rest is lost */
} viv_msg_flag;

/** Transport protocol of a socket. */
typedef enum viv_sock_proto {
    VIV_SOCK_TCP = 6, /**< TCP */
    VIV_SOCK_UDP = 17 /**< UDP */
} viv_sock_proto;

/** TCP connection states (RFC 9293), also used to describe UDP sockets in netstat. */
typedef enum viv_tcp_state {
    VIV_TCP_CLOSED = 0,      /**< no connection */
    VIV_TCP_LISTEN = 1,      /**< waiting for connection requests */
    VIV_TCP_SYN_SENT = 2,    /**< SYN sent, waiting for SYN+ACK */
    VIV_TCP_SYN_RECEIVED = 3, /**< SYN received and answered, waiting for ACK */
    VIV_TCP_ESTABLISHED = 4, /**< open; UDP: connected */
    VIV_TCP_FIN_WAIT_1 = 5,  /**< closed by us, FIN sent */
    VIV_TCP_FIN_WAIT_2 = 6,  /**< our FIN acknowledged, waiting for the peer's */
    VIV_TCP_CLOSE_WAIT = 7,  /**< the peer closed; waiting for the application to close */
    VIV_TCP_CLOSING = 8,     /**< both closed at once, waiting for the ACK of our FIN */
    VIV_TCP_LAST_ACK = 9,    /**< the peer closed first, we closed, waiting for the last ACK */
    VIV_TCP_TIME_WAIT = 10   /**< waiting 2 MSL before the address can be reused */
} viv_tcp_state;

/** The kind of timer netstat shows for a socket (netstat -o's "Timer" column). */
typedef enum viv_sock_timer {
    VIV_TIMER_OFF = 0,       /**< no timer running */
    VIV_TIMER_ON = 1,        /**< retransmission (or another protocol timer) */
    VIV_TIMER_KEEPALIVE = 2, /**< keepalive */
    VIV_TIMER_TIMEWAIT = 3,  /**< TIME-WAIT */
    VIV_TIMER_PROBE = 4      /**< zero-window probe (TCP's persist timer) */
} viv_sock_timer;

/** One row of netstat. */
typedef struct viv_sock_info {
    viv_sock_proto proto;   /**< TCP or UDP */
    viv_sockaddr_t local;   /**< local address and port (0.0.0.0 when unbound to one) */
    viv_sockaddr_t remote;  /**< peer, or 0.0.0.0:0 */
    viv_tcp_state state;    /**< TCP state; UDP: CLOSED, or ESTABLISHED when connected */
    const char *state_name; /**< "LISTEN", "ESTABLISHED"...; "" for unconnected UDP */
    uint32_t recv_q;        /**< bytes received and not yet read by the application; for a
                                 listening socket, connections waiting to be accepted */
    uint32_t send_q;        /**< bytes sent by the application and not yet acknowledged
                                 (0 for UDP); for a listening socket, its backlog */
    viv_sock_timer timer;   /**< the running timer */
    viv_time_t timer_ns;    /**< its remaining time */
    uint32_t retries;       /**< retransmissions of the running timer, or its unanswered
                                 probes (keepalive, zero-window) */
    const char *process;    /**< the name of the process that owns it (vivarium/process.h),
                                 NULL for a socket of the host and for an orphan closing
                                 without its application; valid until the process is freed */
    uint32_t pid;           /**< that process's id, 0 if none */
} viv_sock_info;

/** Flags for viv_host_netstat_text(). */
typedef enum viv_netstat_flag {
    VIV_NETSTAT_TIMERS = 1u << 0, /**< add the Timer column, like `netstat -o` */
    VIV_NETSTAT_PROCESS = 1u << 1 /**< add the PID/Program name column, like `netstat -p`
                                       ("-" for the host's sockets and orphans) */
} viv_netstat_flag;

/** The bit of a state in viv_netstat_filter::states. */
#define VIV_NETSTAT_STATE(state) (1u << (unsigned)(state))

/** Which rows a filtered netstat keeps: every field set must match (zero: any). The
 *  seed's `netstat -a -n | grep TIME_WAIT | grep 8888` is `{.port = 8888, .states =
 *  VIV_NETSTAT_STATE(VIV_TCP_TIME_WAIT)}`. */
typedef struct viv_netstat_filter {
    viv_sock_proto proto; /**< ::VIV_SOCK_TCP or ::VIV_SOCK_UDP; 0: both */
    uint16_t local_port;  /**< the local port; 0: any */
    uint16_t remote_port; /**< the foreign port; 0: any */
    uint16_t port;        /**< the local or the foreign port; 0: any */
    uint32_t states;      /**< ::VIV_NETSTAT_STATE bits of the states kept (UDP sockets are
                               CLOSED, or ESTABLISHED when connected); 0: any */
} viv_netstat_filter;

/** A filter that keeps every row. */
#define VIV_NETSTAT_FILTER_INIT {(viv_sock_proto)0, 0, 0, 0, 0}

/**
 * List every socket of a host: TCP first, then UDP; within each, in creation order. A TCP
 * socket in CLOSED (neither listening nor connecting yet, or fully closed) has no row, as in
 * the kernel's tables. The rows are a snapshot copied into @p rows; their `state_name` is
 * static, their `process` as documented in ::viv_sock_info. Calls no callback; may be called
 * from one.
 * @param host the host.
 * @param rows where to write up to @p cap rows (may be NULL when @p cap is 0).
 * @param cap capacity of @p rows.
 * @return the number of sockets, which may exceed @p cap, or VIV_EINVAL (NULL @p host, NULL
 *         @p rows with a nonzero @p cap).
 */
VIV_API int viv_host_netstat(const viv_host_t *host, viv_sock_info *rows, size_t cap);

/**
 * Print a host's sockets like `netstat -an` (or `-ano` with ::VIV_NETSTAT_TIMERS): the rows of
 * viv_host_netstat() after two header lines. Like snprintf, a nonzero @p cap gets a
 * terminated string, cut if it does not fit; unknown @p flags bits are ignored. A process
 * name is cut to 31 characters.
 * @param host the host.
 * @param flags ::viv_netstat_flag bits.
 * @param buf the buffer (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the length of the whole text (snprintf-like), or VIV_EINVAL (NULL @p host, NULL
 *         @p buf with a nonzero @p cap), VIV_ENOMEM.
 */
VIV_API int viv_host_netstat_text(const viv_host_t *host, uint32_t flags, char *buf,
                                  size_t cap);

/**
 * viv_host_netstat() keeping only the rows that @p filter matches, in the same order.
 * @param host the host.
 * @param filter the filter (NULL keeps every row).
 * @param rows where to write up to @p cap rows (may be NULL when @p cap is 0).
 * @param cap capacity of @p rows.
 * @return the number of matching sockets, which may exceed @p cap, VIV_EINVAL (as
 *         viv_host_netstat()), or VIV_ENOMEM.
 */
VIV_API int viv_host_netstat_filtered(const viv_host_t *host, const viv_netstat_filter *filter,
                                      viv_sock_info *rows, size_t cap);

/**
 * viv_host_netstat_text() printing only the rows that @p filter matches; the two header lines
 * are printed whatever the filter.
 * @param host the host.
 * @param flags ::viv_netstat_flag bits.
 * @param filter the filter (NULL keeps every row).
 * @param buf the buffer (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the length of the whole text (snprintf-like), VIV_EINVAL, or VIV_ENOMEM.
 */
VIV_API int viv_host_netstat_text_filtered(const viv_host_t *host, uint32_t flags,
                                           const viv_netstat_filter *filter, char *buf,
                                           size_t cap);

/**
 * The name of a TCP state as netstat prints it ("ESTABLISHED", "TIME_WAIT"...).
 * @param state the state.
 * @return a static string; "UNKNOWN" for a value out of range.
 */
VIV_API const char *viv_tcp_state_name(viv_tcp_state state);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
