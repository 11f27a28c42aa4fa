/* Port demultiplexing shared by the transports: which socket of one protocol on one host a
 * packet is for, which ports are in use, and which local port a socket gets.
 *
 * Every socket that holds a port embeds a viv__demux_ep and is in three places:
 *   - the port's holders: every endpoint holding the port, in any state (bound, connected,
 *     listening, an orphan waiting in TIME-WAIT), in the order they took it. A port is in
 *     use while it has a holder; bind conflicts and broadcasts walk this list.
 *   - the connection table, keyed by the full 4-tuple (local address, local port, remote
 *     address, remote port), if it is connected;
 *   - else the bound table, keyed by (local address, local port), the local address being
 *     VIV_IP4_ANY for a wildcard socket.
 * Endpoints with the same key (sockets sharing an address through reuse_addr) are chained in
 * the order they took their port, so the earliest wins a tie.
 *
 * A unicast packet is looked up in O(1): its exact 4-tuple, then (its destination address,
 * port), then (VIV_IP4_ANY, port). A connected endpoint whose local address is the wildcard
 * (UDP connected to the limited broadcast) sits between the first two. A probe that cannot
 * hit is skipped: no connection at all, no wildcard-address connection, no endpoint bound
 * to one address (the common server, bound to the wildcard, costs one probe).
 *
 * Ephemeral ports: the held ports of [49152, 65535] sit in a few inline slots while there
 * are at most VIV__EPH_FEW of them (most hosts: a million hosts with two sockets each used
 * to pay 4 KiB each for bitmaps), then in a bitmap (2 KiB) allocated when a port would not
 * fit and kept until viv__demux_fini, with a count of the held ones. The allocator finds
 * the first port not held at or after its cursor, wrapping (a few probes of the slots, or a
 * word at a time in the bitmap), and answers "none free" at once when the count says so. */
#ifndef VIV_L4_DEMUX_H
#define VIV_L4_DEMUX_H

#include <stdint.h>

#include "core/map.h"

#define VIV__EPH_FEW 4 /* held ephemeral ports kept inline before a bitmap is needed */
#include "vivarium/addr.h"

struct viv_sim;

typedef struct viv__demux_ep {
    viv_ip4_t lip, rip; /* rip, rport: 0 unless connected */
    uint16_t lport, rport;
    uint8_t reuse_addr; /* may share an overlapping address with others that also may */
    uint8_t where;      /* VIV__DEMUX_NONE, _BOUND or _CONN */
    uint8_t bound;      /* took its port by bind (holds a place in the bound table) */
    uint64_t order;     /* when it took its port */
    struct viv__demux_ep *port_next; /* the next holder of the port; NULL after the last */
    struct viv__demux_ep *port_prev; /* the previous holder; the first's is the last */
    struct viv__demux_ep *key_next;  /* the next endpoint with the same key */
} viv__demux_ep;

enum { VIV__DEMUX_NONE, VIV__DEMUX_BOUND, VIV__DEMUX_CONN };

/* viv__demux_lookup_inline's fields first (any_ep, any_port, nbound_addr, conns.len): a
 * datagram received reads those only, on one line with the transport's fields before. */
typedef struct viv__demux {
    /* The last answer of the lookup's final probe, (VIV_IP4_ANY, any_port) -> any_ep, or
     * any_ep NULL: a server's every packet asks the same, and this spares the map's hash
     * and probe. Any change of the bound or connection table (chain_insert, chain_remove)
     * forgets it, so it is always what the probe would answer. */
    struct viv__demux_ep *any_ep;
    uint16_t any_port;
    uint32_t nbound_addr; /* unconnected endpoints bound to one address (not the wildcard) */
    viv__map conns;       /* 4-tuple -> the first connected endpoint there */
    viv__map ports;       /* port -> its first holder */
    viv__map bound;       /* (local address, port) -> the first unconnected endpoint there */
    uint32_t nbound;      /* endpoints that took their port by bind, connected or not */
    uint32_t nconn_any;   /* connected endpoints whose local address is VIV_IP4_ANY */
    uint64_t order;
    uint64_t *eph_held;  /* bit i: port 49152 + i has a holder; NULL while eph_few serves */
    uint32_t eph_nheld;  /* ports of [49152, 65535] that have a holder */
    uint16_t eph_few[VIV__EPH_FEW]; /* without the bitmap: the eph_nheld held ports */
    uint16_t eph_cursor; /* where the ephemeral port search goes on, in [49152, 65535] */
} viv__demux;

/* eph_start: the first ephemeral port to try (viv__ephemeral_start); one outside
 * [49152, 65535] counts as 49152. Allocates nothing. */
void viv__demux_init(viv__demux *d, uint16_t eph_start);
/* Free the tables (the endpoints belong to their sockets). */
void viv__demux_fini(struct viv_sim *sim, viv__demux *d);

/* Whether binding (ip, port) conflicts with a holder of the port: their addresses overlap
 * (equal, or either is VIV_IP4_ANY) and not both allow reuse_addr. A holder's address is
 * its current local address (for a socket connected after a wildcard bind, the one connect
 * chose). */
int viv__demux_bind_conflict(const viv__demux *d, viv_ip4_t ip, uint16_t port, int reuse_addr);
/* Whether any endpoint, in any state, holds port. */
int viv__demux_port_in_use(const viv__demux *d, uint16_t port);
/* The next port of [49152, 65535] from the cursor on that no endpoint holds, wrapping from
 * 65535 to 49152, or 0 if every one is held (in O(1); the cursor stays). The cursor moves
 * past the port returned: the first free port a walk from the cursor would meet, found in
 * O(range / 64) at worst. Never allocates. */
uint16_t viv__demux_ephemeral(viv__demux *d);

/* The port a connection from lip to (rip, rport) takes when it connects unbound: the next
 * free one, as viv__demux_ephemeral; when every port is held, the next (from the cursor,
 * which moves past it) that only such connections hold and where this 4-tuple is free, as
 * Linux's connect() shares ports among connections to different peers (a port held by a
 * bind or a listener is never shared). 0 if none: then O(range) probes. Never allocates. */
uint16_t viv__demux_ephemeral_conn(viv__demux *d, viv_ip4_t lip, viv_ip4_t rip, uint16_t rport);
/* Bind an endpoint that holds nothing to (ip, port), with reuse_addr as given; conflicts are
 * the caller's to check first. Returns 0 or VIV_ENOMEM (nothing changed). The first port of
 * [49152, 65535] taken on this demux also allocates its ephemeral bitmap. */
int viv__demux_bind(struct viv_sim *sim, viv__demux *d, viv__demux_ep *ep, viv_ip4_t ip,
                    uint16_t port, int reuse_addr);
/* Connect an endpoint to (rip, rport) with local address lip: a bound or connected endpoint
 * keeps its port (lport is ignored) and moves to the connection table under its new key; one
 * that holds nothing (a connection a listener accepted) takes lport. Returns 0 or
 * VIV_ENOMEM (nothing changed; as for viv__demux_bind, the first port of the ephemeral range
 * allocates the bitmap). */
int viv__demux_connect(struct viv_sim *sim, viv__demux *d, viv__demux_ep *ep, viv_ip4_t lip,
                       uint16_t lport, viv_ip4_t rip, uint16_t rport);
/* A connected endpoint that was bound goes back to the bound table with local address lip.
 * Never fails: binding kept its place there. */
void viv__demux_disconnect(viv__demux *d, viv__demux_ep *ep, viv_ip4_t lip);
/* Take an endpoint out of every table; it holds its port no more. No-op if it holds none. */
void viv__demux_remove(viv__demux *d, viv__demux_ep *ep);

/* The endpoint a unicast packet from (rip, rport) to (lip, lport) is for, or NULL: the
 * exact 4-tuple, a wildcard-address connection, (lip, lport), (VIV_IP4_ANY, lport). Not
 * const: the last answer of the final probe is kept (any_ep). */
viv__demux_ep *viv__demux_lookup(viv__demux *d, viv_ip4_t lip, uint16_t lport, viv_ip4_t rip,
                                 uint16_t rport);
/* viv__demux_lookup, with its most common answer given in line: no connection, no
 * address-bound endpoint, and the wildcard answer for lport kept (any_ep). For the
 * transport whose every datagram looks (UDP): the call is for the other cases. */
static inline viv__demux_ep *viv__demux_lookup_inline(viv__demux *d, viv_ip4_t lip,
                                                      uint16_t lport, viv_ip4_t rip,
                                                      uint16_t rport)
{
    if (!d->conns.len && !d->nbound_addr && d->any_ep && d->any_port == lport)
        return d->any_ep;
    return viv__demux_lookup(d, lip, lport, rip, rport);
}
/* The first holder of port (follow port_next), or NULL. */
viv__demux_ep *viv__demux_port_first(const viv__demux *d, uint16_t port);

#endif
