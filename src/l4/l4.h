/* Layer 4 internals: what UDP and TCP sockets share. A socket's events are posted, never
 * delivered from inside the API call that raised them; a socket's life may outlast the
 * program's handle (an orphan the protocol ends); a socket freed inside its own callback is
 * reclaimed after the event. */
#ifndef VIV_L4_L4_H
#define VIV_L4_L4_H

#include "core/map.h"
#include "demux.h"
#include "l3/l3.h"
#include "vivarium/socket.h"

/* The transports' handler tables (viv__transports, l3.h, lists them). Each host has a copy
 * with its own per-host state in ctx: NULL until a socket or a packet first needs it. */
extern const viv__l4_proto viv__udp_proto;
extern const viv__l4_proto viv__tcp_proto;

/* TCP's counters of one host, kept by the transport whether or not it has a socket. Internal
 * until the TCP socket API exposes them. */
typedef struct viv__tcp_host_stats {
    uint64_t rx_segments;  /* segments delivered to TCP by IPv4 */
    uint64_t rx_checksum;  /* dropped: bad checksum */
    uint64_t rx_bad;       /* dropped: truncated or malformed header */
    uint64_t rx_broadcast; /* dropped: sent to or from a broadcast or multicast address */
    uint64_t rx_no_socket; /* for no socket (the CLOSED state of RFC 9293 3.10.7.1) */
    uint64_t rx_rst_closed; /* resets for no socket: discarded, never answered */
    uint64_t tx_rst;       /* resets sent */
    uint64_t tx_failed;    /* resets that could not be sent (no route, no memory) */
} viv__tcp_host_stats;

/* A host's TCP counters; all zero if TCP never saw a packet there. */
void viv__tcp_host_stats_get(viv__tcp_host_stats *out, const struct viv_host *h);

struct viv__sock;

/* What a transport tells the socket layer about its sockets. */
typedef struct viv__sock_ops {
    uint8_t proto; /* VIV__IP_PROTO_UDP, VIV__IP_PROTO_TCP */
    /* Deliver events to the program's callback (called only while the program holds the
     * handle and gave a callback). */
    void (*deliver)(struct viv__sock *s, uint32_t events);
    /* The program let go of its handle (freed or closed it), or its process ended. Return
     * 1 if the socket can go now (UDP); 0 if the protocol keeps it as an orphan (a TCP
     * connection still closing: FIN-WAIT, LAST-ACK, TIME-WAIT, listed in netstat and
     * holding its port) and will end it itself with viv__sock_release(). */
    int (*orphan)(struct viv__sock *s);
    /* Free the socket's memory. It is already out of every table and its timers stopped;
     * the host may be gone. */
    void (*release)(struct viv__sock *s);
} viv__sock_ops;

/* The shared part of every socket, embedded FIRST in each socket type (so that the public
 * handle and its viv__sock have the same address: trace records rely on it).
 *
 * Lifetime. A socket lives from its creation until its PROTOCOL releases it, which may be
 * long after the program let go of the handle: the handle and the socket are two things.
 *   - handle: the program holds the handle (until viv_*_free / close). Without it, no
 *     callback is ever called again, and the socket is an orphan that the protocol ends.
 *   - has_cb: the program gave a callback. Events raised before (a child connection waiting
 *     in a listener's accept queue) are kept in `pending` and delivered once it does.
 *   - dead: released by the protocol: out of every table, memory released once the current
 *     event is over (viv__zombie), so a socket freed inside its own callback is safe. */
typedef struct viv__sock {
    uint32_t magic; /* first: VIV__MAGIC_UDP/TCP while the program holds the handle (core.h) */
    /* Beside magic, in what was a hole: a send checks them with the handle, on one line. */
    uint8_t handle;
    uint8_t has_cb;
    uint8_t dead;
    const viv__sock_ops *ops;
    struct viv_host *h; /* NULL once the host is freed (the socket may outlive it briefly) */
    viv_sim_t *sim;
    viv_sockaddr_t local;  /* the local address and port (0.0.0.0:0 until bound) */
    viv_sockaddr_t remote; /* the peer (0.0.0.0:0 unless connected) */
    int state;             /* a viv_tcp_state (UDP: CLOSED, or ESTABLISHED when connected) */
    uint32_t pending;      /* event bits raised and not yet delivered */
    /* Delivers the pending bits once the event that raised them is over (core.h's viv__post:
     * no event of its own, so raising can never fail for want of memory). */
    viv__post notify;
    viv__zombie z;
    struct viv__sock *prev, *next; /* the host's sockets of this protocol, in creation order */
    /* The process that owns it (process.c), NULL for the host's own; its list of them. */
    struct viv_process *proc;
    struct viv__sock *pprev, *pnext;
    struct viv__sock_list *list; /* the list viv__sock_init put it on */
} viv__sock;

/* A host's list of sockets of one protocol (kept by the transport's per-host state). */
typedef struct viv__sock_list {
    viv__sock *first, *last;
} viv__sock_list;

/* Make s (zeroed by the caller) a socket of host h, held by the program, on list. has_cb:
 * the program gave a callback. VIV_ENOMEM (with a message) if the notification timer
 * cannot be had; the socket then holds nothing and is on no list. */
int viv__sock_init(viv__sock *s, struct viv_host *h, const viv__sock_ops *ops,
                   viv__sock_list *list, int has_cb);
/* Raise event bits: delivered by an event at the current instant, once the program holds a
 * callback; kept until then. Never fails. Nothing is raised on a dead socket or an orphan. */
void viv__sock_raise(viv__sock *s, uint32_t events);
/* The program gave (or took away) its callback: events kept meanwhile are now delivered. */
void viv__sock_set_cb(viv__sock *s, int has_cb);
/* The program let go of the handle: no callback from now on; the protocol's orphan() says
 * whether the socket goes now. The protocol must have taken it out of its own tables
 * first if it goes (orphan() returning 1 means: done, release it). */
void viv__sock_let_go(viv__sock *s, viv__sock_list *list);
/* The same, on the list s was made on (a process ending). */
void viv__sock_let_go_owned(viv__sock *s);
/* The protocol is done with s (already out of its tables): off the list, timers stopped,
 * memory released once the current event is over. */
void viv__sock_release(viv__sock *s, viv__sock_list *list);

/* Processes (process.c). s leaves its process's list (the program or the protocol let go
 * of it). */
void viv__process_forget(viv__sock *s);
/* A connection accepted from listener l belongs to l's process. */
void viv__process_inherit(viv__sock *child, const viv__sock *l);
/* The host lost power: every process on it ends, without a segment (the transports have
 * already dropped their state). */
void viv__process_power_lost(struct viv_host *h);
/* For netstat: the name and pid of the process that owns s (NULL, pid 0: none). */
const char *viv__process_of(const viv__sock *s, uint32_t *pid);

/* A host's starting point for ephemeral ports of one protocol, from the host's stream for
 * that protocol (sub: VIV__RNG_SUB_UDP_PORTS, VIV__RNG_SUB_TCP_PORTS). */
uint16_t viv__ephemeral_start(struct viv_host *h, uint32_t sub);

#define VIV__EPHEMERAL_LO 49152u
#define VIV__EPHEMERAL_HI 65535u

#endif
