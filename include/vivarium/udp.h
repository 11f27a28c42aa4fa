/**
 * @file vivarium/udp.h
 * @brief UDP sockets: bind, connect, sendto/recvfrom, broadcast, ICMP errors.
 *
 * @defgroup viv_udp UDP sockets
 * @brief Datagrams with their boundaries kept, as BSD sockets give them.
 *
 * **Setup.** viv_udp_new() creates a socket on a host; viv_udp_bind() gives it a local
 * address (a specific address of the host, or ::VIV_IP4_ANY) and port (0 picks an ephemeral
 * one). A second bind of a port already bound on the host fails with ::VIV_EADDRINUSE unless
 * both sockets set `reuse_addr` (then unicast goes to the most specific match, the earliest
 * bound among equals, and broadcasts to all). Sending from an unbound socket binds it to an
 * ephemeral port first. An unbound or wildcard socket sends each datagram from the address of
 * the interface its route leaves by. A socket whose bound address the host no longer has
 * sends nothing: ::VIV_EADDRNOTAVAIL. There is no loopback interface: 127.0.0.0/8 is
 * unreachable (::VIV_ENETUNREACH, never sent to a gateway, RFC 1122 3.2.1.3); a datagram to
 * one of the host's own addresses is delivered to it at the same instant.
 *
 * **Connected sockets.** viv_udp_connect() sets a default destination, fixes the local address
 * to the one the route gives (if the socket was bound to ::VIV_IP4_ANY) and makes the socket
 * receive only datagrams from that peer; connecting to NULL undoes all three. Connecting again
 * changes the peer, and a local address that connect (not bind) chose is chosen again from the
 * new route (Linux keeps the first one until a disconnect). An ICMP error about a datagram it
 * sent (port unreachable, host or network unreachable, fragmentation needed) is stored on it
 * and signalled with ::VIV_EV_ERROR; the next send or receive returns it once (port
 * unreachable becomes ::VIV_ECONNREFUSED, fragmentation needed ::VIV_EMSGSIZE), as does
 * viv_udp_error(). Unconnected sockets ignore ICMP errors, as BSD sockets do.
 *
 * **Sending** copies the data and sends at once: UDP never blocks, so a socket is always
 * writable. A datagram is one IPv4 packet (vivarium does not fragment): more than the
 * outgoing MTU minus 28 bytes fails with ::VIV_EMSGSIZE. Checksums are always sent.
 * Broadcast (255.255.255.255 or a subnet's directed broadcast) needs `broadcast` set, else
 * ::VIV_EACCES (from viv_udp_connect() too). A broadcast is not delivered back to sockets on
 * the sending host itself.
 *
 * **Per-send settings.** TTL, type of service and Don't Fragment are set at creation
 * (::viv_udp_opts) and changed at any time, as with `setsockopt`, by viv_udp_set_ttl(),
 * viv_udp_set_tos() and viv_udp_set_dont_fragment(); a change applies to the datagrams sent
 * after it, never to those already sent or queued for ARP. viv_udp_ttl(), viv_udp_tos() and
 * viv_udp_dont_fragment() read them back.
 *
 * **Don't Fragment and the path MTU** (Linux's `IP_MTU_DISCOVER` reduced to off, the
 * default, and on, which is `IP_PMTUDISC_DO`). vivarium fragments nowhere: a sender refuses
 * a datagram larger than its outgoing MTU (::VIV_EMSGSIZE, above) and a router drops a packet
 * larger than its next hop's MTU and answers ICMP fragmentation needed carrying that MTU,
 * **whatever the packet's DF bit** (a real router would fragment a packet without DF). So
 * Don't Fragment changes exactly two things: the DF bit in the IPv4 header of every datagram
 * the socket sends (what a capture shows), and whether a connected socket learns its path
 * MTU:
 * - A fragmentation-needed error about a datagram a connected socket sent is stored on it
 *   as ::VIV_EMSGSIZE and signalled with ::VIV_EV_ERROR, with DF on or off (the datagram was
 *   lost either way), as Linux reports it with `EMSGSIZE`.
 * - With DF on, the socket also remembers the next-hop MTU the error carries as its path MTU
 *   when it is lower than what it knew (the same value again renews it; an MTU of 0, as from
 *   routers older than RFC 1191, or below 68, the IPv4 minimum, is ignored). Later datagrams to the connected peer larger
 *   than the path MTU minus 28 fail at once with ::VIV_EMSGSIZE. The path MTU is the
 *   socket's own (not the host's, unlike Linux's route cache), is read with
 *   viv_udp_path_mtu(), and is forgotten when the socket connects or disconnects, when DF is
 *   turned off, and 10 minutes (simulated) after it was learned, as Linux's
 *   `ip_rt_mtu_expires` does, so that a path whose MTU grew is used again.
 * - Unconnected sockets learn nothing: they ignore ICMP errors (see **Connected sockets**).
 *
 * **Receiving.** Datagrams wait in a receive queue bounded by `rcvbuf_bytes` (see
 * **Receive buffer** below); one that does not fit is dropped and counted
 * (`rx_queue_full`). Datagrams with a bad checksum are
 * dropped and counted on the host. A datagram to a port nobody has bound draws ICMP port
 * unreachable (a host that has never had a UDP socket answers it too, and counts it in the
 * same host counters: viv_host_udp_stats()). viv_udp_recvfrom() returns one datagram per
 * call; a datagram longer than the buffer is truncated and reported with ::VIV_MSG_TRUNC.
 * Zero-length datagrams are datagrams.
 *
 * **Receive buffer.** `rcvbuf_bytes` bounds the queue in two ways, as Linux's `SO_RCVBUF`
 * does; a datagram is queued only if it keeps both:
 * - the payload bytes waiting are at most `rcvbuf_bytes` (what netstat shows as `recv_q`);
 * - the memory the waiting datagrams hold is at most twice `rcvbuf_bytes` (Linux doubles
 *   `SO_RCVBUF` to leave room for bookkeeping), and never less than eight full-size
 *   datagrams' worth (about 16 KiB), so that a small buffer still takes a few datagrams.
 *
 * A datagram's memory is its *truesize*, what it really holds: the whole frame it arrived in
 * (a datagram stays in its frame until it is read; a frame's block follows its size, from
 * 256 bytes for a minimum Ethernet frame to 2 KiB for a full 1500-byte one) plus its
 * per-datagram record: from about 280 bytes to about 2.1 KiB. A broadcast queued on several
 * sockets is charged in full to each. So the default buffer (212992) queues at most 212992
 * payload bytes and about 1,500 datagrams however short they are: datagrams nobody reads pin
 * at most 416 KiB per socket.
 *
 * Callback timing: ::VIV_EV_READABLE when the queue becomes non-empty, ::VIV_EV_ERROR when an
 * error is stored, ::VIV_EV_WRITABLE once after creation; always once the event that raised
 * them is over (socket.h), never from inside an API call. Freeing a socket inside its own callback is allowed.
 * @{
 */
#ifndef VIVARIUM_UDP_H
#define VIVARIUM_UDP_H

#include "socket.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A UDP socket (opaque). */
typedef struct viv_udp viv_udp_t;

/**
 * A UDP socket's callback.
 * @param s the socket.
 * @param events ::viv_sock_event bits.
 * @param user the pointer given to viv_udp_new().
 */
typedef void (*viv_udp_cb)(viv_udp_t *s, uint32_t events, void *user);

/** Options for viv_udp_new(). Zero fields mean defaults. */
typedef struct viv_udp_opts {
    /** Receive buffer limit, default 212992: the queue holds at most this many payload
     *  bytes, and at most twice this much memory counted as each datagram's truesize (never
     *  less than eight full-size datagrams' worth); see **Receive buffer** in @ref viv_udp. */
    uint32_t rcvbuf_bytes;
    int reuse_addr;        /**< 1: share a bound port with other reuse_addr sockets */
    int broadcast;         /**< 1: allowed to send to broadcast addresses */
    uint8_t ttl;           /**< TTL of sent datagrams; default the host's */
    uint8_t tos;           /**< type-of-service byte (DSCP and ECN); default 0 */
    int dont_fragment;     /**< 1: send with Don't Fragment and learn the path MTU (see
                                **Don't Fragment and the path MTU** in @ref viv_udp);
                                default 0; anything but 0 and 1 is ::VIV_EINVAL */
} viv_udp_opts;

/** Initialiser for ::viv_udp_opts with every default. */
#define VIV_UDP_OPTS_INIT {0, 0, 0, 0, 0, 0}

/** Counters of a UDP socket. */
typedef struct viv_udp_stats_t {
    uint64_t tx_datagrams;  /**< datagrams sent */
    uint64_t tx_bytes;      /**< their payload bytes */
    uint64_t rx_datagrams;  /**< datagrams queued for the application */
    uint64_t rx_bytes;      /**< their payload bytes */
    uint64_t rx_queue_full; /**< datagrams dropped: the receive buffer was full (payload
                                 or memory bound) */
    uint64_t rx_truncated;  /**< datagrams cut short by a small receive buffer */
    uint64_t rx_nomem;      /**< datagrams dropped because memory for their record ran out
                                 (the allocator failed) */
} viv_udp_stats_t;

/** Host-wide UDP counters. */
typedef struct viv_udp_host_stats {
    uint64_t rx_datagrams;  /**< datagrams received by the host */
    uint64_t rx_bad;        /**< malformed (bad length) */
    uint64_t rx_checksum;   /**< bad checksum */
    uint64_t rx_no_port;    /**< for a port nobody has bound (answered with port unreachable) */
    uint64_t rx_filtered;   /**< refused by every matching connected socket (wrong peer) */
    uint64_t tx_datagrams;  /**< datagrams sent by the host */
} viv_udp_host_stats_t;

/**
 * Create a UDP socket on a host.
 * @param[out] out receives the socket.
 * @param host the host.
 * @param opts options, or NULL.
 * @param cb the callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL (NULL host or out, `dont_fragment` not 0 or 1), VIV_ENOMEM.
 *
 * Ownership: the host owns the socket; viv_udp_free() closes it earlier.
 */
VIV_API int viv_udp_new(viv_udp_t **out, viv_host_t *host, const viv_udp_opts *opts,
                        viv_udp_cb cb, void *user);

/**
 * Give the socket a callback (or take it away with NULL). Events raised while the socket had
 * none are kept, not dropped: they are delivered at the current instant once a callback is
 * set (when the current event is over, or when the next run or step starts) (a socket made without one and given one later still hears of the
 * datagrams that arrived meanwhile).
 * @param s the socket.
 * @param cb the callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL.
 *
 * Callback timing: never from inside this call.
 */
VIV_API int viv_udp_set_cb(viv_udp_t *s, viv_udp_cb cb, void *user);

/**
 * Close and free a socket; queued datagrams are discarded, no callback follows. Safe inside
 * its own callback.
 * @param s the socket, or NULL.
 */
VIV_API void viv_udp_free(viv_udp_t *s);

/**
 * Bind to a local address and port.
 * @param s the socket.
 * @param addr the address (::VIV_IP4_ANY or one of the host's) and port (0: ephemeral).
 * @return 0, or VIV_EINVAL (already bound, NULL), VIV_EADDRNOTAVAIL (not the host's address),
 *         VIV_EADDRINUSE (the port is in use, or port 0 and no ephemeral port is free, as
 *         Linux's bind() says), VIV_ENOMEM. (A send or connect that binds an unbound socket
 *         says VIV_EAGAIN when no ephemeral port is free, as Linux does.)
 */
VIV_API int viv_udp_bind(viv_udp_t *s, const viv_sockaddr_t *addr);

/**
 * Set the default destination and receive only from it; NULL disconnects. Binds to an
 * ephemeral port first if needed.
 * @param s the socket.
 * @param peer the peer (address not 0.0.0.0, port not 0), or NULL; copied.
 * @return 0, or VIV_EINVAL (NULL @p s, a peer with address 0.0.0.0 or port 0),
 *         VIV_ENETUNREACH (no route, or 127.0.0.0/8), VIV_EADDRNOTAVAIL (no source address
 *         for the route), VIV_EACCES (a broadcast peer without the broadcast option),
 *         VIV_EAGAIN (no ephemeral port free), VIV_ENOMEM. Connecting or disconnecting
 *         clears a stored error.
 */
VIV_API int viv_udp_connect(viv_udp_t *s, const viv_sockaddr_t *peer);

/**
 * Send one datagram (the data is copied).
 * @param s the socket.
 * @param buf the data (may be NULL when @p len is 0).
 * @param len its length, 0 .. 65507 (and within the path MTU).
 * @param dst the destination, or NULL for the connected peer.
 * @return @p len, or VIV_EINVAL (NULL @p s, NULL @p buf with a nonzero @p len, a
 *         destination with address 0.0.0.0 or port 0), VIV_ENOTCONN (NULL @p dst on an
 *         unconnected socket), VIV_EMSGSIZE (above 65507, above the outgoing MTU, or with
 *         Don't Fragment above the path MTU learned for the connected peer), VIV_ENETUNREACH
 *         (no route, or 127.0.0.0/8), VIV_EADDRNOTAVAIL (no source address for the route, or
 *         the host no longer has the bound address), VIV_EACCES (broadcast not allowed),
 *         VIV_EAGAIN (unbound, and no ephemeral port free), VIV_ECONNREFUSED and the other
 *         stored errors of a connected socket (returned once, see viv_udp_error()),
 *         VIV_ENOMEM.
 */
VIV_API int viv_udp_sendto(viv_udp_t *s, const void *buf, size_t len,
                           const viv_sockaddr_t *dst);

/**
 * Send one datagram to the connected peer: viv_udp_sendto(s, buf, len, NULL).
 * @param s the socket.
 * @param buf the data.
 * @param len its length.
 * @return as viv_udp_sendto().
 */
VIV_API int viv_udp_send(viv_udp_t *s, const void *buf, size_t len);

/**
 * Receive one datagram.
 * @param s the socket.
 * @param buf where to copy it (may be NULL when @p cap is 0).
 * @param cap the buffer's size; a longer datagram is truncated.
 * @param[out] from receives the sender, or NULL.
 * @param[out] flags receives ::viv_msg_flag bits (::VIV_MSG_TRUNC), or NULL.
 * @return the bytes copied, or VIV_EAGAIN (nothing queued), VIV_EINVAL (NULL @p s, NULL
 *         @p buf with a nonzero @p cap), VIV_ECONNREFUSED or another stored error of a
 *         connected socket (returned once, before any queued datagram; see viv_udp_error()).
 */
VIV_API int viv_udp_recvfrom(viv_udp_t *s, void *buf, size_t cap, viv_sockaddr_t *from,
                             uint32_t *flags);

/**
 * Receive one datagram: viv_udp_recvfrom(s, buf, cap, NULL, NULL).
 * @param s the socket.
 * @param buf where to copy it.
 * @param cap its size.
 * @return as viv_udp_recvfrom().
 */
VIV_API int viv_udp_recv(viv_udp_t *s, void *buf, size_t cap);

/**
 * The length of the next queued datagram, without receiving it.
 * @param s the socket.
 * @return the length, or VIV_EAGAIN (nothing queued), VIV_EINVAL. A stored error is not
 *         reported here (see viv_udp_peek()).
 */
VIV_API int viv_udp_peek_len(const viv_udp_t *s);

/**
 * The next queued datagram, read in place: no copy, and it stays queued. Together with
 * viv_udp_discard() this reads datagrams without copying them, as lwIP's raw API or smoltcp
 * let a program do.
 * @param s the socket.
 * @param[out] data receives a pointer to the datagram's payload (NULL when none is queued).
 *             The bytes belong to the socket and are read-only; the pointer stays valid while
 *             the datagram is queued, that is until it is received (viv_udp_recvfrom(),
 *             viv_udp_recv()) or discarded (viv_udp_discard()), or the socket is closed.
 *             Arrivals meanwhile queue behind it and do not move it.
 * @param[out] from receives the sender, or NULL.
 * @return the payload's length (0 for an empty datagram), or VIV_EAGAIN (nothing queued),
 *         VIV_EINVAL (a NULL socket or @p data). A stored error is not reported here: the
 *         next viv_udp_recvfrom() or viv_udp_discard() returns it.
 *
 * Callback timing: none; it calls nothing.
 */
VIV_API int viv_udp_peek(const viv_udp_t *s, const void **data, viv_sockaddr_t *from);

/**
 * Drop the next queued datagram without copying it: what viv_udp_recvfrom() does with it,
 * minus the copy (it is not counted as truncated). A sink that only counts datagrams, as
 * ns-3's sinks do, needs nothing more.
 * @param s the socket.
 * @return the dropped datagram's length, or VIV_EAGAIN (nothing queued), VIV_EINVAL,
 *         VIV_ECONNREFUSED or another stored error (returned once, as by
 *         viv_udp_recvfrom()).
 *
 * Callback timing: none; it calls nothing.
 */
VIV_API int viv_udp_discard(viv_udp_t *s);

/**
 * Read and clear the stored asynchronous error (like SO_ERROR).
 * @param s the socket.
 * @return 0 if none, else the error (VIV_ECONNREFUSED, VIV_EHOSTUNREACH, VIV_ENETUNREACH,
 *         VIV_EMSGSIZE); VIV_EINVAL for NULL.
 */
VIV_API int viv_udp_error(viv_udp_t *s);

/**
 * The socket's local address.
 * @param[out] out receives it (0.0.0.0:0 when unbound).
 * @param s the socket.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_udp_local(viv_sockaddr_t *out, const viv_udp_t *s);

/**
 * The connected peer.
 * @param[out] out receives it.
 * @param s the socket.
 * @return 0, or VIV_ENOTCONN, VIV_EINVAL.
 */
VIV_API int viv_udp_peer(viv_sockaddr_t *out, const viv_udp_t *s);

/**
 * Set the TTL of the datagrams sent from now on (`IP_TTL`).
 * @param s the socket.
 * @param ttl 1 .. 255, or 0 for the host's default (viv_host_opts::default_ttl).
 * @return 0, or VIV_EINVAL (NULL socket, @p ttl outside 0 .. 255; the setting is unchanged).
 */
VIV_API int viv_udp_set_ttl(viv_udp_t *s, int ttl);

/**
 * The TTL the socket's next datagram will carry.
 * @param s the socket.
 * @return 1 .. 255 (the host's default when none was set), or VIV_EINVAL.
 */
VIV_API int viv_udp_ttl(const viv_udp_t *s);

/**
 * Set the type-of-service byte of the datagrams sent from now on (`IP_TOS`): DSCP in the six
 * high bits, ECN in the two low ones, sent as given.
 * @param s the socket.
 * @param tos 0 .. 255.
 * @return 0, or VIV_EINVAL (NULL socket, @p tos outside 0 .. 255; the setting is unchanged).
 */
VIV_API int viv_udp_set_tos(viv_udp_t *s, int tos);

/**
 * The type-of-service byte of the socket's next datagram.
 * @param s the socket.
 * @return 0 .. 255, or VIV_EINVAL.
 */
VIV_API int viv_udp_tos(const viv_udp_t *s);

/**
 * Turn Don't Fragment on or off for the datagrams sent from now on (`IP_MTU_DISCOVER` with
 * `IP_PMTUDISC_DO` or `IP_PMTUDISC_DONT`). Turning it off forgets a learned path MTU. See
 * **Don't Fragment and the path MTU** in @ref viv_udp for all it changes (the header bit, and
 * the path MTU learned by a connected socket) and does not (no router fragments).
 * @param s the socket.
 * @param on 1 or 0.
 * @return 0, or VIV_EINVAL (NULL socket, @p on neither 0 nor 1; the setting is unchanged).
 */
VIV_API int viv_udp_set_dont_fragment(viv_udp_t *s, int on);

/**
 * Whether the socket sends with Don't Fragment.
 * @param s the socket.
 * @return 1 or 0, or VIV_EINVAL.
 */
VIV_API int viv_udp_dont_fragment(const viv_udp_t *s);

/**
 * The path MTU to the connected peer (`IP_MTU`): the largest IP packet the socket may send
 * to it, so datagrams of up to this minus 28 bytes. It is the MTU of the interface the route
 * gives (65535 to one of the host's own addresses), or, with Don't Fragment on, the lower
 * MTU learned from a fragmentation-needed error in the last 10 minutes.
 * @param s the socket.
 * @return the path MTU (68 .. 65535), or VIV_ENOTCONN (not connected), VIV_ENETUNREACH (no
 *         route to the peer now), VIV_EADDRNOTAVAIL (no source address for it), VIV_EINVAL.
 */
VIV_API int viv_udp_path_mtu(const viv_udp_t *s);

/**
 * Read a socket's counters.
 * @param[out] out receives them.
 * @param s the socket.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_udp_stats(viv_udp_stats_t *out, const viv_udp_t *s);

/**
 * Read a host's UDP counters.
 * @param[out] out receives them.
 * @param host the host.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_host_udp_stats(viv_udp_host_stats_t *out, const viv_host_t *host);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
