/* Layer 3 internals: the host structure (interfaces, addresses, routes, ARP cache), IPv4 in
 * and out, ICMP, and the hooks through which transport protocols plug into a host.
 *
 * Upward delivery goes through viv__l4_proto handlers that layer 4 registers on a host; layer 3
 * never includes a layer-4 header. */
#ifndef VIV_L3_L3_H
#define VIV_L3_L3_H

#include "core/bytes.h"
#include "core/map.h"
#include "l2/l2.h"
#include "vivarium/host.h"
#include "vivarium/icmp.h"
#include "vivarium/router.h"
#include "vivarium/socket.h"
#include "wire/wire.h"

#define VIV__MAX_ADDRS 8 /* addresses per interface */

typedef struct viv__ifaddr {
    viv_ip4_t ip;
    uint8_t len;
} viv__ifaddr;

typedef struct viv__iface {
    struct viv_port *port;
    uint32_t index;
    uint32_t naddrs;
    viv_mac_t mac;
    uint32_t mtu;
    viv__ifaddr addrs[VIV__MAX_ADDRS];
    char name[16];
} viv__iface;

/* The routing table (route.c): a path-compressed binary trie over the prefixes, each node
 * holding the routes of its prefix in (metric, age) order, for lookup in at most 33 steps
 * whatever the table's size; and a treap of every route in listing order (longest prefix,
 * then metric, then age) for the listing. Routes and nodes live in two arrays that grow by
 * doubling, named by 1-based 32-bit indices (0: none), freed slots kept on free lists. */
typedef struct viv__rt {
    viv_route r;
    uint32_t next;        /* the next route of the same prefix, or the next free slot */
    uint32_t left, right; /* the listing treap's children */
    uint64_t order;       /* insertion order, the last tie-breaker; 0 in a free slot */
} viv__rt;

typedef struct viv__rt_node {
    viv_ip4_t key;     /* the prefix (host bits zero) */
    uint32_t child[2]; /* by the bit after the prefix; the next free slot in child[0] */
    uint32_t routes;   /* the first route of this prefix; 0 in a branching node */
    uint8_t len;
} viv__rt_node;

typedef struct viv__rtab {
    viv__rt *rts;
    uint32_t rts_used, rts_cap, rts_free; /* slots ever used, allocated, the free list */
    viv__rt_node *nodes;
    uint32_t nodes_used, nodes_cap, nodes_free, nodes_n; /* ..., live nodes */
    uint32_t root;  /* the trie's root node */
    uint32_t list;  /* the treap's root route */
    uint32_t n;     /* live routes */
    uint64_t order; /* the last order given */
} viv__rtab;

/* An ARP cache entry. Every entry is on the host's list of all entries (creation order) and
 * in its map; an idle entry (REACHABLE or STALE: no resolution or probe running, no packet
 * waiting) is also on the idle list, whose order arp.c explains.
 *
 * What using or confirming an idle entry reads and writes comes first, in 36 bytes (one or
 * two lines): a router's request heard by the 250 hosts of a LAN updates each one's entry
 * for the router (RFC 826's merge), and in a large network each line is a miss. The idle
 * list's links are not among them (a touch does not move the entry: arp.c), nor is the key
 * (ip, iface): the map and the host's one-entry key find the entry. 128 bytes. */
typedef struct viv__arp {
    viv_time_t confirmed; /* when the mapping was last confirmed (or the entry created) */
    viv_time_t touched;   /* when it was last created, used to send, or confirmed */
    uint64_t touch;       /* that touch's number (the host's arp_touches after it) */
    viv_mac_t mac;
    uint8_t idle;      /* 0: not on the idle list; else how it is placed there (arp.c) */
    uint8_t state;     /* a viv_arp_state, in a byte (the entry stays 128 bytes) */
    uint32_t attempts; /* requests sent in the current resolution or probe */
    uint32_t nqueue;   /* packets in queue */
    struct viv__arp *idle_prev, *idle_next;
    viv__frame **queue; /* INCOMPLETE only: arp_queue slots (packets waiting, head at the IP
                           header, oldest first); NULL in every other state */
    viv_ip4_t ip;
    uint32_t iface;
    viv__timer timer; /* the next request, or giving up (INCOMPLETE, PROBE) */
    struct viv_host *host;
    struct viv__arp *prev, *next; /* all entries, in creation order */
} viv__arp;

/* The forwarding cache of a host that forwards (ipv4.c): a router's decision for a
 * destination, made once by the full path (the address checks, the longest-prefix match,
 * ARP's broadcast checks) and reused for every later packet to it while the host's
 * route_gen is unchanged. An entry exists only for an ordinary destination: not one of the
 * host's addresses, not a limited, directed (on any interface) or multicast address, with a
 * route whose next hop ARP resolves by unicast. Direct-mapped by destination, with at least
 * two slots an interface (a power of two from VIV__FWD_SLOTS_MIN to VIV__FWD_SLOTS_MAX): a
 * router's destinations grow with its interfaces, and a cache of 64 slots in front of 4,000
 * interfaces missed nearly every packet, costing more than no cache (issue 17's fan-out). */
#define VIV__FWD_SLOTS_MIN 64u
#define VIV__FWD_SLOTS_MAX 4096u
typedef struct viv__fwd {
    viv_ip4_t dst;      /* 0: an empty slot (0.0.0.0 is never forwarded) */
    uint32_t iface;     /* the outgoing interface */
    viv_ip4_t next_hop; /* the gateway, or dst */
    viv_ip4_t me;       /* the address recorded in Record Route and Timestamp options */
    uint32_t mtu;       /* the outgoing interface's */
    struct viv__arp *arp; /* the next hop's ARP entry as last used, or NULL: arp.c clears it
                             when the entry goes, so it is never stale */
} viv__fwd;

typedef struct viv__fwd_cache {
    uint64_t route_gen; /* the host's route_gen the entries were made with */
    uint32_t n;         /* slots: a power of two, chosen when the cache is made or emptied */
    uint32_t shift;     /* 32 - log2(n): a destination's slot is its hash's top bits */
    viv__fwd e[];
} viv__fwd_cache;

/* A transport protocol plugged into a host: its handlers; the host keeps its state for it.
 *
 * Layer 4 provides one constant table per transport, listed in viv__transports; every host
 * refers to each of them when it is created, with no state. The transport makes its
 * per-host state lazily, when a socket or a packet first needs it, and records it with
 * viv__host_l4_set_ctx. Every handler is called with that ctx (viv__host_l4_ctx), NULL
 * included: a transport with no state answers for itself (UDP with port unreachable, TCP
 * with a reset). A host keeps a pointer and a ctx per transport, not a copy of the table:
 * 32 bytes for the two transports, not 112, in each of 10^6 hosts (issue 17). */
typedef struct viv__l4_proto {
    uint8_t proto;
    /* A packet for this host (NULL when input_at is given). f's head is at the transport
     * header and f->len is the IP payload length. l2_bcast: it arrived as a link-layer broadcast or
     * multicast, or to a limited or directed broadcast address. Consumes f. */
    void (*input)(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                  int l2_bcast, viv__frame *f);
    /* Optional, and used instead of input when present: the same packet read in place. f may
     * be shared (a hub's or a switch's flood, heard by several hosts) and is read only: its
     * bytes, head and len are left as they are. The transport header and payload are
     * l4[0 .. l4_len), inside f's bytes, and the IP header precedes them there (ip->hdr_len
     * bytes). Consumes the reference f; a transport that keeps the bytes keeps f. */
    void (*input_at)(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                     int l2_bcast, viv__frame *f, const uint8_t *l4, uint32_t l4_len);
    /* An ICMP error about a packet this host sent: quoted is the original IP header as parsed
     * (src, dst, proto) and l4/l4_len the quoted transport bytes (at least 8). */
    void (*error)(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                  viv_ip4_t from, const struct viv__ipv4_repr *quoted, const uint8_t *l4,
                  size_t l4_len);
    /* The host is being freed. */
    void (*destroy)(void *ctx, struct viv_host *h);
    /* netstat rows of this protocol's sockets, in creation order (snprintf-like count). */
    int (*netstat)(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap);
    /* The host was switched off (up 0) or on (up 1), after its node changed state; ctx may
     * be NULL. Optional. */
    void (*power)(void *ctx, struct viv_host *h, int up);
} viv__l4_proto;

/* The transports a host can have: viv__transports' two (TCP, UDP), which a third would not
 * fit (its initialiser would not compile). No more than that: the host keeps one entry each
 * on its datagram lines (struct viv_host). */
#define VIV__MAX_L4 2

/* Every transport, NULL-terminated: defined by layer 4 (src/l4/demux.c), read only by host
 * creation. A table rather than a registration call: data, so host creation cannot fail on
 * it and layer 3 calls no layer-4 function; the one list of transports is in one place. */
extern const viv__l4_proto *const viv__transports[VIV__MAX_L4 + 1];

/* Something the host owns and frees with itself (pings, traceroutes). */
typedef struct viv__hostobj {
    uint32_t magic; /* first: VIV__MAGIC_HOSTOBJ while live (core.h's handle checks) */
    struct viv__hostobj *prev, *next;
    void (*destroy)(struct viv__hostobj *o);
} viv__hostobj;

/* ICMP echo users (ping, traceroute) see replies and errors by identifier: the host keeps
 * them in a table by identifier (struct viv__echo_table, icmp.c). */
typedef struct viv__echo_user {
    uint16_t ident;
    void *ctx;
    void (*reply)(void *ctx, const struct viv__ipv4_repr *ip, const struct viv__icmp_repr *icmp,
                  size_t icmp_len);
    void (*error)(void *ctx, const struct viv__ipv4_repr *ip, const struct viv__icmp_repr *icmp,
                  size_t icmp_len, uint16_t quoted_seq);
} viv__echo_user;
struct viv__echo_table;

/* The host's options (viv_host_opts), defaults resolved (viv_host_new), by the same names, in
 * two parts: what a datagram reads (the sender's TTL, ARP's reachable time, and its stale
 * time when aging's turn comes) on the host's datagram lines, and what only a resolution
 * reads after them. The name is not kept; forwarding is the host's own field. */
typedef struct viv__host_opts {
    uint8_t default_ttl;
    viv_time_t arp_reachable_ns;
    viv_time_t arp_gc_stale_ns;
} viv__host_opts;
typedef struct viv__host_arp_limits {
    viv_time_t arp_retry_ns;
    uint32_t arp_attempts;
    uint32_t arp_queue;
    uint32_t arp_max_entries;
} viv__host_arp_limits;

/* A host's counters: viv_ip_stats_t's, by the same names, in the order a datagram's path
 * counts them (its first line: a reception's frame and packet, a delivery, a packet sent,
 * and the ARP packet a flood's merge counts), the others after. viv_host_ip_stats copies
 * them by name; the assertion after the list checks that it names every field. */
#define VIV__IP_COUNTERS(X)                                                                   \
    X(rx_frames) X(arp_rx) X(ip_rx) X(ip_delivered) X(ip_sent) X(rx_not_mine) X(rx_bad_frame) \
    X(arp_bad) X(arp_requests) X(arp_replies) X(arp_failed) X(arp_expired) X(arp_evicted)     \
    X(arp_refused) X(ip_forwarded) X(drop_truncated) X(drop_malformed) X(drop_checksum)       \
    X(drop_not_mine) X(drop_ttl) X(drop_no_route) X(drop_fragment) X(drop_too_big)            \
    X(drop_broadcast) X(drop_arp) X(drop_proto) X(drop_nomem) X(icmp_rx) X(icmp_bad)          \
    X(icmp_tx) X(icmp_errors_tx) X(arp_conflicts)
typedef struct viv__ip_counters {
#define VIV__IP_COUNTER_FIELD(name) uint64_t name;
    VIV__IP_COUNTERS(VIV__IP_COUNTER_FIELD)
#undef VIV__IP_COUNTER_FIELD
} viv__ip_counters;
_Static_assert(sizeof(viv__ip_counters) == sizeof(viv_ip_stats_t),
               "VIV__IP_COUNTERS names every field of viv_ip_stats_t");

/* A flood's reception touches, in each of the 250 hosts of a LAN, the lines these fields are
 * on, and in a large network each is a miss (docs/performance.md): so the fields a flooded
 * ARP packet reads and writes when it concerns others (viv__arp_heard: its counter, the
 * address test, aging, the single neighbour) come first, right after the node's own (sim,
 * ops, up, last in struct viv_node): 72 bytes from the node's sim, on two lines wherever
 * the allocator puts the host (16-byte aligned). */
struct viv_host {
    struct viv_node node;
    /* The host's address when it has exactly one (most hosts), else 0 (never an address):
     * with it, "is this one of mine" is one comparison and exact. */
    viv_ip4_t addr_one;
    /* Bit (ip * K) >> 27 is set for each address ip of the host (viv__addr_bit): an address
     * whose bit is clear is not the host's, with no scan and no index probe (ARP traffic
     * heard from a LAN, forwarded packets). */
    uint32_t addr_bloom;
    uint32_t narp;
    /* Bit viv__addr_bit(ip) of each entry's address while the table holds at most
     * VIV__ARP_KEYS_MAX entries, every bit above (arp.c): a sender whose bit is clear has no
     * entry, and a small table answers that without its map. */
    uint32_t arp_keys;
    /* No idle entry expires before this (VIV_TIME_NEVER: none ever does): aging checks it
     * without reading an entry (arp.c). */
    viv_time_t arp_idle_expiry;
    uint64_t arp_one_key; /* with narp == 1, arp_first's key: the lookups of a host with one
                             neighbour (its gateway) read neither the map nor the entry */
    viv__arp *arp_first; /* every entry, in creation order, to arp_last */
    /* ARP packets viv__arp_heard took: each counts in st.rx_frames and st.arp_rx too
     * (viv_host_ip_stats adds it to both), one increment on the host's first lines. */
    uint64_t arp_heard;
    /* Touches of entries so far (arp.c: their numbers order the idle list): here, after the
     * fields above, so that a merge into the only entry (a host hearing its gateway ask for
     * another, about a sixth of a LAN's flooded ARP packets) counts it on the lines it has
     * already (three times in four: the host is 16-byte aligned), not one more. */
    uint64_t arp_touches;
    /* The idle list (arp.c): its head is what aging reads after arp_idle_expiry when that
     * passes; its tail, which only the placing of an entry and aging need, is further down
     * (arp_idle_last). */
    viv__arp *arp_idle_first;
    /* What a host's every datagram reads and counts, sent or received (viv_bench lan: the
     * socket's path check, the IPv4 header, ARP's lookup, the interface; the address and
     * broadcast tests, the forwarding test and the transport on reception), in the order
     * of use and on as few lines as the fields take: here, after the flood's fields, they
     * were spread over nine lines of the host (docs/performance.md, wip/lanhost). */
    viv__iface **ifaces;  /* &iface0_slot while there is at most one */
    viv__iface *iface0_slot;
    viv__fwd_cache *fwd; /* made at the first packet forwarded; freed when forwarding stops */
    /* Counts every change of the routes or the addresses (viv__route_changed): a path chosen
     * by viv__ip_route stays valid while it is unchanged, so sockets may keep theirs. */
    uint64_t route_gen;
    viv__map arp_map; /* iface << 32 | ip -> viv__arp: every entry while there are two or
                         more (arp.c), none before */
    /* The low bits every directed broadcast address of the host has set (the host part of
     * its longest prefix up to /30), 0 if it has none: viv__ip_route asks the broadcast
     * index only for destinations that pass this (host.c keeps it). */
    viv_ip4_t bcast_low;
    uint8_t forwarding;
    uint8_t nl4; /* transports in l4 (at most VIV__MAX_L4) */
    uint16_t ip_ident;
    /* The transports (viv__transports) and this host's state for each (NULL: none yet): a
     * reception reads the entries up to its transport's, and that one's state. */
    const viv__l4_proto *l4[VIV__MAX_L4];
    void *l4_ctx[VIV__MAX_L4];
    /* The options a datagram reads, before the counters: a merge into the only entry
     * (arp_touches' comment) counts st.rx_frames and st.arp_rx, which follow them, and reads
     * opts.arp_gc_stale_ns when aging's turn comes (24 bytes from the first to the last). */
    viv__host_opts opts;
    viv__ip_counters st; /* the datagram's counters first (viv__ip_counters) */
    viv__iface iface0; /* the first interface, in the host (host.c) */
    viv__host_arp_limits arp_lim;
    uint32_t nifaces, ifaces_cap;
    uint32_t naddrs; /* addresses on all interfaces */
    uint16_t next_echo_ident;
    /* The address index (host.c): each address of the host (key {0, ip}) and each directed
     * broadcast address of its subnets (key {1, ip}) -> the first interface with it, plus 1.
     * Kept only once the host has more than VIV__ADDR_SCAN addresses (cap 0 before): below
     * that a scan of the interfaces is as fast and a host pays no memory for it. */
    viv__map addr_index;
    viv__rtab rt; /* the routing table (route.c) */
    viv__arp *arp_last;
    viv__arp *arp_idle_last; /* the idle list's tail (arp_idle_first) */
    viv__hostobj objs; /* sentinel */
    struct viv__echo_table *echo; /* the echo users by identifier; NULL while none */
    viv_rng_t rng;
};

/* ---- host.c ---------------------------------------------------------------------------- */
viv__iface *viv__host_iface(const struct viv_host *h, uint32_t i);
/* The interface (index) with a connected prefix containing ip, or -1. */
int viv__host_iface_for(const struct viv_host *h, viv_ip4_t ip);
/* Whether ip is the directed broadcast of a subnet on interface ifc. */
int viv__iface_is_bcast(const viv__iface *ifc, viv_ip4_t ip);
/* The bit of addr_bloom that address ip sets. */
static inline uint32_t viv__addr_bit(viv_ip4_t ip)
{
    return UINT32_C(1) << ((uint32_t)(ip * UINT32_C(0x9e3779b1)) >> 27);
}
/* Hosts with more addresses than this keep an address index (see struct viv_host). */
#define VIV__ADDR_SCAN 4
/* The interface that has address ip, or -1: O(1) whatever the number of interfaces. */
int viv__host_addr_iface(const struct viv_host *h, viv_ip4_t ip);
/* Whether ip is one of the host's addresses (viv__host_addr_iface(h, ip) >= 0), answered in
 * line for a host with one address (addr_one): every datagram a host sends (the socket's
 * path check) and receives (the destination check) asks it. */
static inline int viv__host_is_addr(const struct viv_host *h, viv_ip4_t ip)
{
    return h->addr_one ? ip == h->addr_one : viv__host_addr_iface(h, ip) >= 0;
}
/* The first interface on one of whose subnets ip is the directed broadcast address, or -1:
 * O(1) whatever the number of interfaces. */
int viv__host_bcast_iface(const struct viv_host *h, viv_ip4_t ip);
/* The transport for proto (NULL if none). */
const viv__l4_proto *viv__host_l4(const struct viv_host *h, uint8_t proto);
/* The host's state for transport proto (NULL if none, or not made yet). */
void *viv__host_l4_ctx(const struct viv_host *h, uint8_t proto);
/* Record a transport's per-host state (made lazily; see viv__l4_proto). */
void viv__host_l4_set_ctx(struct viv_host *h, uint8_t proto, void *ctx);
void viv__hostobj_add(struct viv_host *h, viv__hostobj *o, void (*destroy)(viv__hostobj *));
void viv__hostobj_remove(viv__hostobj *o);
/* Put an Ethernet header in front of f (head at the L3 header), pad and send. Consumes f. */
void viv__host_eth_send(struct viv_host *h, uint32_t iface, const viv_mac_t *dst,
                        uint16_t ethertype, viv__frame *f);

/* ---- route.c --------------------------------------------------------------------------- */
/* The host's routes or addresses changed: every path chosen before is stale (route_gen). */
void viv__route_changed(struct viv_host *h);
/* Longest-prefix match; fills *out (with src). Returns 0 or VIV_ENETUNREACH. */
int viv__route_lookup(const struct viv_host *h, viv_ip4_t dst, viv_route *out);
/* The same without a copy: the route in the table (valid until the table changes), or NULL;
 * its source address is viv__route_src's. *span (if not NULL) receives the route's prefix
 * length when no more specific route lies under it (every address of the prefix gets this
 * route), else 32. */
const viv_route *viv__route_find(const struct viv_host *h, viv_ip4_t dst, uint8_t *span);
viv_ip4_t viv__route_src(const struct viv_host *h, const viv_route *r);
int viv__route_insert(struct viv_host *h, const viv_route *r);
/* Remove routes matching the predicate; returns how many. */
int viv__route_remove_if(struct viv_host *h, int (*pred)(const viv_route *r, const void *arg),
                         const void *arg);
void viv__route_fini(struct viv_host *h);
/* Whether every route of the host that viv_sim_compute_routes() did not add is a connected
 * route of prefix net/len. */
int viv__route_only_connected(const struct viv_host *h, viv_ip4_t net, uint8_t len);
/* Replacing a host's computed routes, in two steps so that it changes every host or none:
 * the plan reserves all the memory the replacement needs (which may fail), the commit then
 * replaces (which cannot). */
typedef struct viv__rt_plan {
    const viv_route *rows; /* the caller's, until commit or discard */
    uint32_t nrows;
    uint32_t added;        /* rows that are not identical to a kept (non-computed) route */
    viv__rt *rts;          /* larger arrays to move the table into, or NULL */
    uint32_t rts_cap;
    viv__rt_node *nodes;
    uint32_t nodes_cap;
} viv__rt_plan;
/* rows: the new computed routes (any order; equal keys keep their order), which must stay
 * valid and unchanged, like the host's other routes, until commit or discard. Returns 0 or
 * VIV_ENOMEM. */
int viv__route_plan_computed(const struct viv_host *h, const viv_route *rows, uint32_t n,
                             viv__rt_plan *out);
void viv__route_plan_commit(struct viv_host *h, viv__rt_plan *p);
void viv__route_plan_discard(struct viv_host *h, viv__rt_plan *p);


/* Count a packet or frame the host drops in *counter (one of its viv_ip_stats fields) and
 * trace it with its reason (a viv_drop_reason). f may be NULL (nothing was built yet); the
 * caller still releases f. iface: the interface it came in by or was to leave by, or
 * UINT32_MAX. */
void viv__host_drop(struct viv_host *h, uint64_t *counter, int reason, uint32_t iface,
                    const viv__frame *f);
/* The same for a packet given as bytes (pkt, len). */
void viv__host_drop_bytes(struct viv_host *h, uint64_t *counter, int reason, uint32_t iface,
                          const uint8_t *pkt, uint32_t len);

/* ---- arp.c ----------------------------------------------------------------------------- */
/* An ARP packet (pkt: len bytes from the ARP header) that came in on iface. It only reads
 * the bytes, so a flooded frame needs no private copy; the caller keeps the frame. */
void viv__arp_input(struct viv_host *h, uint32_t iface, const uint8_t *pkt, uint32_t len);
/* The common ARP packet of a large network: a request flooded to a LAN by one station for
 * another, heard by every other host of the LAN. Takes an ARP packet heard on iface (pkt: len
 * bytes from the ARP header) when it concerns neither the host's addresses (as target or
 * sender), aging has no entry to remove now, and the sender is not in the table, so that
 * viv__arp_input would discard it (RFC 826). Does what viv__arp_input does, counts it
 * (arp_heard), and returns 1; returns 0, having changed nothing, for every other packet
 * (viv__arp_input's: a sender in the table is merged there, RFC 826's merge, as when a
 * host's gateway asks for another host). It reads the host's first lines (struct viv_host)
 * only: not the interface, not the table, and calls nothing. */
/* A table with at most this many entries keeps arp_keys exact (struct viv_host). */
#define VIV__ARP_KEYS_MAX 8
static inline int viv__arp_heard(struct viv_host *h, uint32_t iface, const uint8_t *pkt,
                                 uint32_t len)
{
    viv_sim_t *sim = h->node.sim;
    viv_time_t now = sim->now;
    if (h->arp_idle_expiry <= now || len < VIV__ARP_LEN)
        return 0; /* aging's turn first: viv__arp_input expires, and traces it */
    /* viv__arp_check's tests on one word (hardware type 1, IPv4, lengths 6 and 4, operation
     * 1 or 2: minus one, 0 or 1) and a unicast sender MAC. */
    uint64_t w = viv_rd64be(pkt);
    if (((w - 1) & ~UINT64_C(1)) != UINT64_C(0x0001080006040000) ||
        (pkt[VIV__ARP_OFF_SHA] & 1))
        return 0;
    viv_ip4_t spa = viv_rd32be(pkt + VIV__ARP_OFF_SPA);
    viv_ip4_t tpa = viv_rd32be(pkt + VIV__ARP_OFF_TPA);
    /* Neither address may be the host's (a target it answers, a sender in conflict). */
    if (h->addr_one ? spa == h->addr_one || tpa == h->addr_one
                    : (h->addr_bloom & (viv__addr_bit(spa) | viv__addr_bit(tpa))) != 0)
        return 0;
    uint64_t key = (uint64_t)iface << 32 | spa;
    if (h->narp > 1) {
        /* A sender whose bit is clear has no entry: nothing to merge. */
        if (h->arp_keys & viv__addr_bit(spa))
            return 0; /* the sender may be in the table: viv__arp_input looks */
    } else if (h->narp == 1 && h->arp_one_key == key) {
        return 0; /* the only entry's: viv__arp_input merges */
    }
    h->arp_heard++;
    return 1;
}

/* Send an IP packet (f's head at the IP header) to next hop nh on iface: resolves nh, queues
 * while resolving. Consumes f. */
void viv__arp_output(struct viv_host *h, uint32_t iface, viv_ip4_t nh, viv__frame *f);
/* The same for a unicast next hop (nh is neither a broadcast nor a multicast address on
 * iface) whose entry the caller keeps in *slot (NULL at first): the entry known to be
 * REACHABLE is used without a lookup, and *slot is set to nh's entry whenever one is found
 * or made. arp.c clears every slot that names an entry it removes (the forwarding cache's
 * only, today). Same frames, states, aging and counters as viv__arp_output. */
void viv__arp_output_slot(struct viv_host *h, uint32_t iface, viv_ip4_t nh,
                          struct viv__arp **slot, viv__frame *f);
void viv__arp_fini(struct viv_host *h);
/* Remove the entries that have aged out by now (aging needs no event: see arp.c). */
void viv__arp_expire(struct viv_host *h);
void viv__arp_flush_iface(struct viv_host *h, uint32_t iface);

/* ---- ipv4.c ---------------------------------------------------------------------------- */
/* An IPv4 packet that came in on iface: f's head is at its Ethernet header (14 bytes, already
 * checked). f may be shared (a flood): the packet is read in place, and the frame is made
 * the host's own (a copy only if someone else still holds it) only where it must change or
 * be handed on with its head moved. Consumes f. */
void viv__ip_input(struct viv_host *h, uint32_t iface, int l2_bcast, viv__frame *f);
/* Free the forwarding cache (the host is going, or stops forwarding); NULL is fine. */
void viv__ip_fwd_free(struct viv_host *h);
/* The one route choice of layer 3: everything about the way a packet from this host to dst
 * takes, decided once by the transport (TCP fixes it at connect for its source address and
 * MSS) and carried down, so that the frame path only goes down. */
typedef struct viv__ip_path {
    viv_ip4_t src;      /* the source address: the bound one, or the outgoing interface's */
    viv_ip4_t dst;
    viv_ip4_t next_hop; /* what ARP resolves: the gateway, or dst itself (on-link, broadcast) */
    uint32_t iface;     /* the outgoing interface (0 for a local destination) */
    uint32_t mtu;       /* the largest IP packet that may leave: the interface's MTU, 65535
                           for a local destination */
    uint8_t local;      /* dst is one of the host's own addresses: delivered by loopback */
    uint8_t bcast;      /* dst is the limited broadcast or an interface's directed one */
    uint8_t onlink;     /* the route has no gateway: next_hop is dst */
    uint8_t span;       /* the same choice holds for every ordinary destination in dst's
                           /span (its route is a leaf of the table: nothing more specific
                           under it); 32: for dst alone (viv__ip_path_reuse) */
} viv__ip_path;

/* Choose the path from src (one of the host's addresses, or VIV_IP4_ANY to choose it) to dst.
 * A limited broadcast leaves by src's interface, else the first interface with an address;
 * a directed broadcast by its subnet's interface; anything else by the longest-prefix
 * route. Returns 0, VIV_ENETUNREACH (no route, no interface) or VIV_EADDRNOTAVAIL (no
 * source address). Counts nothing: a caller that drops for it counts. */
int viv__ip_route(const struct viv_host *h, viv_ip4_t src, viv_ip4_t dst, viv__ip_path *out);
/* A path p that viv__ip_route chose (from the same source, with the host's route_gen
 * unchanged since) answered again for another destination dst when the answer is the same:
 * dst in p's span, and neither one of the host's addresses nor possibly a broadcast. Fills
 * *out and returns 0, or returns -1 (ask viv__ip_route). A socket sending to many peers of
 * one subnet chooses its route once. */
static inline int viv__ip_path_reuse(const struct viv_host *h, const viv__ip_path *p,
                                     viv_ip4_t dst, viv__ip_path *out)
{
    if (p->span >= 32 || p->local || p->bcast || dst == VIV_IP4_BROADCAST)
        return -1;
    if (p->span && ((dst ^ p->dst) >> (32u - p->span)))
        return -1;
    if (h->bcast_low && (dst & h->bcast_low) == h->bcast_low)
        return -1; /* perhaps a directed broadcast */
    if (viv__host_is_addr(h, dst))
        return -1; /* local */
    *out = *p;
    out->dst = dst;
    if (p->onlink)
        out->next_hop = dst;
    return 0;
}
/* Send a packet on a chosen path: f's head is at the transport header (or ICMP message)
 * and f->len is the IP payload; the IPv4 header is pushed here. df sets Don't Fragment.
 * Consumes f. Returns 0 (sent or waiting for ARP), VIV_EMSGSIZE (larger than path->mtu),
 * VIV_ENOMEM. */
int viv__ip_send(struct viv_host *h, viv__frame *f, const viv__ip_path *path, uint8_t proto,
                 uint8_t ttl, uint8_t tos, int df);
/* viv__ip_route then viv__ip_send, for ICMP and ping (no socket to keep a path in); DF is
 * off. Consumes f. Returns what they return; a packet with no route is counted in
 * drop_no_route. */
int viv__ip_output(struct viv_host *h, viv__frame *f, viv_ip4_t src, viv_ip4_t dst,
                   uint8_t proto, uint8_t ttl, uint8_t tos);
/* viv__ip_send for a packet carrying IP options (an echo reply returning a request's Record
 * Route and Timestamp): f's head is at the options, opts_len bytes (a multiple of 4, at most
 * 40), followed by the payload; the 20-byte fixed header is pushed in front. TOS 0, DF off.
 * Consumes f. Returns as viv__ip_send, or VIV_EINVAL for a bad opts_len. */
int viv__ip_send_opts(struct viv_host *h, viv__frame *f, const viv__ip_path *path, uint8_t proto,
                      uint8_t ttl, uint8_t opts_len);
/* An IP packet given up by ARP (head at the IP header): count it and send host unreachable
 * to its source (or to the local transport). Consumes f. */
void viv__ip_unreachable(struct viv_host *h, viv__frame *f, uint8_t code);

/* ---- icmp.c ---------------------------------------------------------------------------- */
void viv__icmp_input(struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                     int l2_bcast, viv__frame *f);
/* Send an ICMP error about the packet pkt (an IPv4 packet, pkt_len bytes from its header),
 * applying RFC 1122/1812's rules on when not to. l2_bcast: pkt arrived as a link-layer
 * broadcast. mtu: the next-hop MTU of fragmentation needed; for parameter problem, the
 * pointer. The quote is as much of pkt as fits in a 576-byte datagram. */
void viv__icmp_error(struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                     const uint8_t *pkt, size_t pkt_len, int l2_bcast);
/* Join the host's echo users under the host's choice of identifier: the first from its
 * counter on (wrapping) that is not in use; the counter then follows it. Returns 0,
 * VIV_EAGAIN (all 65,536 identifiers in use) or VIV_ENOMEM; on failure nothing changed. */
int viv__echo_user_add(struct viv_host *h, viv__echo_user *u);
/* Join under identifier ident (the program's choice). Returns 0, VIV_EADDRINUSE (another
 * user has it) or VIV_ENOMEM; on failure nothing changed. */
int viv__echo_user_claim(struct viv_host *h, viv__echo_user *u, uint16_t ident);
/* Leave (u joined, or a user that never joined: nothing happens). Never fails. */
void viv__echo_user_remove(struct viv_host *h, viv__echo_user *u);

#endif
