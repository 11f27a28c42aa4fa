/**
 * @file vivarium/host.h
 * @brief IP hosts: interfaces, IPv4 addresses, the routing table, the ARP cache, counters.
 *
 * @defgroup viv_host Hosts
 * @brief End systems and routers with a real IPv4 stack.
 *
 * A host is a node whose ports are network interfaces. Each interface has a MAC address
 * (deterministic, locally administered, unique in the simulation, or given), an MTU, and
 * IPv4 addresses with prefix lengths. Adding an address adds the connected route for its
 * prefix. A host with forwarding on is a router (see router.h).
 *
 * **Receiving.** A frame arriving on an interface is accepted if its destination MAC is the
 * interface's, broadcast, or multicast; others are counted (`rx_not_mine`) and dropped.
 * ARP is answered; IPv4 is checked (version, header length, total length, checksum: failures
 * are counted by cause and dropped) and delivered when its destination is one of the host's
 * addresses (on any interface), the limited broadcast, or the directed broadcast of the
 * receiving interface's subnet. Anything else is forwarded if forwarding is on, or dropped.
 *
 * **Sending.** A packet's route is the longest matching prefix of the routing table (among
 * equal prefixes, the lowest metric, then the earliest added). The source address of a
 * packet from an unbound socket is the primary (first) address of the interface the route
 * leaves by. The next hop (the gateway, or the destination itself when on-link) is resolved
 * with ARP; see viv_host_opts for the cache's timing.
 *
 * **The ARP cache** works like Linux's neighbour table (NUD), simplified. Resolving an
 * address creates an INCOMPLETE entry that holds up to `arp_queue` packets (the oldest is
 * dropped when a new one does not fit) and sends one broadcast request every `arp_retry_ns`;
 * after `arp_attempts` unanswered requests the entry is removed and each waiting packet's
 * sender gets ICMP host unreachable. An answered entry is REACHABLE for `arp_reachable_ns`
 * after its last confirmation, then STALE: still used, and the first packet sent through it
 * starts a PROBE (unicast requests, on the same schedule; unanswered, the entry is removed).
 * The target of a request learns the requester; any other station only refreshes an entry
 * it already has (RFC 826's merge).
 *
 * *Aging.* An entry that is neither used to send nor confirmed for
 * max(`arp_gc_stale_ns`, `arp_reachable_ns`) (60 s by default) is removed and counted in
 * `arp_expired`: Linux's neighbour garbage collector removes STALE entries unused for
 * `gc_stale_time`, and with the two times equal, as by default, the rule is the same.
 * Entries being resolved or probed do not age: their retries end them. A failed resolution
 * leaves nothing behind (Linux keeps a FAILED entry until the collector takes it). Aging
 * takes no simulation event: expired entries are removed whenever the cache is used or
 * looked at (listings, statistics), which is indistinguishable from a collector running at
 * the instant they expire, so a host's idle cache never keeps viv_sim_run() going.
 *
 * *Size.* The cache holds at most `arp_max_entries` entries (1024 by default, Linux's
 * `gc_thresh3`). When a new entry is needed and the cache is full, the least recently used
 * or confirmed REACHABLE or STALE entry is evicted (`arp_evicted`): such an entry holds no
 * packet, and one still needed is resolved again on its next use. If every entry is being
 * resolved or probed, nothing is evicted and the new entry is refused (`arp_refused`), as
 * Linux refuses with "neighbour table overflow" when its forced collection frees nothing: a
 * packet that needed it is dropped (`drop_arp`), a requester is not learned (its request is
 * still answered). Lookups and insertions take constant time; listings are sorted when
 * asked for (interface, then address).
 *
 * **vivarium does not fragment.** A packet larger than the outgoing interface's MTU is
 * not sent: a router drops it and returns ICMP "fragmentation needed" with the next-hop MTU;
 * a local sender gets VIV_EMSGSIZE. Received fragments are counted (`drop_fragment`) and
 * dropped.
 *
 * **IP options** (RFC 791, RFC 1122 3.2.1.8, RFC 1812 5.3.13). Packets the library sends
 * carry none, except echo replies (below). A packet a host delivers or forwards has its
 * options checked as it arrives, before its TTL: EOL ends the list, NOP is one byte, any
 * other option is skipped by its length and passed on unchanged. A malformed list (a length
 * below 2 or past the header, Record Route or Timestamp twice, a pointer below its minimum,
 * room for only part of an entry, a Timestamp overflow count that would pass 15) drops the
 * packet (`drop_malformed`) and is answered with ICMP Parameter Problem, code 0, pointing at
 * the byte at fault (RFC 1812 4.3.3.5; the pointers are Linux's). A full Record Route is no
 * error: the packet goes on unrecorded.
 * - A router forwarding a packet records its outgoing interface's address in Record Route,
 *   and in Timestamp (flag 0: the time; 1: that address and the time; 3: the time, if the
 *   next prespecified address is any of its addresses); a full Timestamp (flags 0 and 1)
 *   gets its overflow count raised.
 * - A host receiving a packet records itself the same way, with the address the packet was
 *   sent to. An echo reply carries the request's Record Route and Timestamp so recorded
 *   (RFC 1122 3.2.2.6, RFC 1812 4.3.3.6) and records the host again as it leaves: the
 *   round trip seen by the sender is the one Linux's `ping -R` shows.
 * - Timestamps are milliseconds since midnight UT, taken as simulated time modulo 24 hours
 *   (simulated time 0 is a midnight), at the instant the packet arrives.
 *
 * Header checksums are recomputed whenever options change.
 *
 * **ICMP errors** carry no options and quote as much of the offending datagram, header and
 * options included, as fits in a 576-byte IP datagram: at most 548 bytes, the whole of a
 * shorter datagram (RFC 1812 4.3.2.3 for routers; hosts do the same, as Linux does: RFC 1122
 * 3.2.2 asks for the header and at least 8 bytes).
 * @{
 */
#ifndef VIVARIUM_HOST_H
#define VIVARIUM_HOST_H

#include "addr.h"
#include "node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An IP host or router (opaque). */
typedef struct viv_host viv_host_t;

/** Options for viv_host_new(). Zero fields mean defaults. */
typedef struct viv_host_opts {
    const char *name;           /**< node name (copied); NULL makes one up ("host3") */
    int forwarding;             /**< 1 to forward packets (a router); default 0 */
    uint8_t default_ttl;        /**< TTL of packets the host originates; default 64 */
    viv_time_t arp_reachable_ns; /**< how long a resolved ARP entry is trusted; default 60 s */
    viv_time_t arp_retry_ns;    /**< interval between ARP requests; default 1 s */
    uint32_t arp_attempts;      /**< requests sent before giving up; default 3 */
    uint32_t arp_queue;         /**< packets held per unresolved address; default 3 */
    uint32_t arp_max_entries;   /**< ARP cache size (Linux's gc_thresh3); default 1024;
                                     UINT32_MAX for no limit */
    viv_time_t arp_gc_stale_ns; /**< an ARP entry unused this long (and STALE) is removed
                                     (Linux's gc_stale_time); default 60 s;
                                     ::VIV_TIME_NEVER: never */
} viv_host_opts;

/** Initialiser for ::viv_host_opts with every default. */
#define VIV_HOST_OPTS_INIT {NULL, 0, 0, 0, 0, 0, 0, 0, 0}

/** Options for viv_host_add_iface(). Zero fields mean defaults. */
typedef struct viv_iface_opts {
    const char *name; /**< interface name (copied); default "eth0", "eth1"... */
    viv_mac_t mac;    /**< MAC address; all zero: 02:00:xx:xx:xx:xx, unique in the simulation */
    uint32_t mtu;     /**< largest IP packet; default 1500 */
} viv_iface_opts;

/** Initialiser for ::viv_iface_opts with every default. */
#define VIV_IFACE_OPTS_INIT {NULL, {{0, 0, 0, 0, 0, 0}}, 0}

/** Where a route came from. */
typedef enum viv_route_origin {
    VIV_ROUTE_CONNECTED = 0, /**< added with an interface address */
    VIV_ROUTE_STATIC = 1,    /**< added by the program */
    VIV_ROUTE_COMPUTED = 2   /**< added by viv_sim_compute_routes() */
} viv_route_origin;

/** One route. */
typedef struct viv_route {
    viv_ip4_t dst;           /**< destination prefix (host bits zero) */
    uint8_t prefix_len;      /**< 0..32 */
    viv_ip4_t gateway;       /**< next hop, or ::VIV_IP4_ANY when on-link */
    uint32_t iface;          /**< outgoing interface */
    uint32_t metric;         /**< lower wins among equal prefixes */
    viv_route_origin origin; /**< where it came from */
    viv_ip4_t src;           /**< the source address packets on this route get */
} viv_route;

/** States of an ARP cache entry. */
typedef enum viv_arp_state {
    VIV_ARP_INCOMPLETE = 0, /**< a request is out, packets wait */
    VIV_ARP_REACHABLE = 1,  /**< resolved and recently confirmed */
    VIV_ARP_STALE = 2,      /**< resolved long ago: still used, revalidated on next use */
    VIV_ARP_PROBE = 3       /**< a unicast request is revalidating it */
} viv_arp_state;

/** One ARP cache entry. */
typedef struct viv_arp_entry {
    viv_ip4_t ip;        /**< the neighbour's address */
    viv_mac_t mac;       /**< its MAC (zero while incomplete) */
    uint32_t iface;      /**< the interface it is reached on */
    viv_arp_state state; /**< the state */
    viv_time_t age_ns;   /**< time since it was last confirmed (or created) */
    uint32_t queued;     /**< packets waiting for it */
} viv_arp_entry;

/** Counters of a host's link, ARP, IPv4 and ICMP layers. */
typedef struct viv_ip_stats {
    uint64_t rx_frames;       /**< frames received on all interfaces */
    uint64_t rx_not_mine;     /**< frames for another MAC, dropped */
    uint64_t rx_bad_frame;    /**< frames too short or of an unsupported EtherType */
    uint64_t arp_rx;          /**< ARP packets received */
    uint64_t arp_bad;         /**< malformed or unsupported ARP packets */
    uint64_t arp_requests;    /**< ARP requests sent */
    uint64_t arp_replies;     /**< ARP replies sent */
    uint64_t arp_failed;      /**< resolutions that gave up */
    uint64_t arp_expired;     /**< entries removed after going unused (aging) */
    uint64_t arp_evicted;     /**< entries removed to make room: the cache was full */
    uint64_t arp_refused;     /**< new entries refused: the cache was full of entries being
                                   resolved or probed */
    uint64_t ip_rx;           /**< IPv4 packets received */
    uint64_t ip_delivered;    /**< delivered to the host itself */
    uint64_t ip_forwarded;    /**< forwarded */
    uint64_t ip_sent;         /**< originated by the host */
    uint64_t drop_truncated;  /**< shorter than their headers say */
    uint64_t drop_malformed;  /**< bad version, header length, total length or options */
    uint64_t drop_checksum;   /**< bad header checksum */
    uint64_t drop_not_mine;   /**< not for this host and not forwarded */
    uint64_t drop_ttl;        /**< TTL expired in transit */
    uint64_t drop_no_route;   /**< no route to the destination */
    uint64_t drop_fragment;   /**< fragments (no reassembly) */
    uint64_t drop_too_big;    /**< larger than the outgoing MTU */
    uint64_t drop_broadcast;  /**< broadcasts a router must not forward */
    uint64_t drop_arp;        /**< given up after failed ARP, the ARP queue was full, or
                                   the ARP cache refused the entry */
    uint64_t drop_proto;      /**< for an unknown protocol */
    uint64_t drop_nomem;      /**< dropped because memory ran out (the allocator failed) */
    uint64_t icmp_rx;         /**< ICMP messages received */
    uint64_t icmp_bad;        /**< ICMP messages malformed or with a bad checksum */
    uint64_t icmp_tx;         /**< ICMP messages sent */
    uint64_t icmp_errors_tx;  /**< ICMP error messages sent (part of icmp_tx) */
    uint64_t arp_conflicts;   /**< ARP packets (requests or replies) received with one of
                                   the host's own addresses as the sender address and a
                                   sender MAC that is none of the host's: another station
                                   uses the address (RFC 5227 section 2.4, ongoing conflict
                                   detection). Such a packet is neither learned nor
                                   answered, as Linux drops it as a martian source; the host
                                   keeps its address and does not defend it. Only packets
                                   that reach the host are seen: two stations answering one
                                   request send their replies to the requester, not to
                                   each other, so a duplicate address shows here once one
                                   of them broadcasts a request. The host's own ARP packets
                                   heard again (a loop, two interfaces on one LAN) are
                                   ignored and not counted. */
} viv_ip_stats_t;

/**
 * Create a host with no interfaces.
 * @param[out] out receives the host.
 * @param sim the simulation.
 * @param opts options, or NULL.
 * @return 0, or VIV_EINVAL, VIV_ENOMEM.
 *
 * Ownership: the simulation owns the host; viv_host_free() frees it earlier, with its
 * sockets and the links plugged into it.
 */
VIV_API int viv_host_new(viv_host_t **out, viv_sim_t *sim, const viv_host_opts *opts);

/**
 * Free a host, its sockets, pings and the links plugged into it.
 * @param host the host, or NULL.
 */
VIV_API void viv_host_free(viv_host_t *host);

/**
 * The host as a node.
 * @param host the host.
 * @return the node (borrowed), or NULL.
 */
VIV_API viv_node_t *viv_host_node(viv_host_t *host);

/**
 * The simulation a host belongs to.
 * @param host the host.
 * @return the simulation, or NULL.
 */
VIV_API viv_sim_t *viv_host_sim(const viv_host_t *host);

/**
 * Add a network interface (and so a port).
 * @param host the host.
 * @param opts options, or NULL.
 * @return the new interface's index (0, 1, ...), or VIV_EINVAL (NULL @p host, MTU below 68
 *         or above 65535, a group (multicast) MAC), VIV_ENOMEM.
 */
VIV_API int viv_host_add_iface(viv_host_t *host, const viv_iface_opts *opts);

/**
 * The number of interfaces.
 * @param host the host.
 * @return the count; 0 for NULL.
 */
VIV_API uint32_t viv_host_iface_count(const viv_host_t *host);

/**
 * The port of an interface, to plug a link into.
 * @param host the host.
 * @param iface the interface index.
 * @return the port (borrowed), or NULL.
 */
VIV_API viv_port_t *viv_host_port(viv_host_t *host, uint32_t iface);

/**
 * The MAC address of an interface.
 * @param[out] out receives it.
 * @param host the host.
 * @param iface the interface index.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_host_mac(viv_mac_t *out, const viv_host_t *host, uint32_t iface);

/**
 * The name of an interface ("eth0").
 * @param host the host.
 * @param iface the interface index.
 * @return the name (owned by the host), or "" for bad arguments.
 */
VIV_API const char *viv_host_iface_name(const viv_host_t *host, uint32_t iface);

/**
 * Give an interface an IPv4 address, and add the connected route of its prefix.
 * @param host the host.
 * @param iface the interface index.
 * @param ip the address (not 0.0.0.0, not broadcast or multicast).
 * @param prefix_len 0..32 (32 and 31 are allowed: point-to-point).
 * @return 0, or VIV_EINVAL (NULL, no such interface, @p prefix_len above 32, not a unicast
 *         address, the network or broadcast address of a prefix up to /30), VIV_EEXIST (the
 *         host already has this address), VIV_ENOSPC (the interface has 8 addresses
 *         already), VIV_ENOMEM.
 */
VIV_API int viv_host_add_addr(viv_host_t *host, uint32_t iface, viv_ip4_t ip,
                              uint8_t prefix_len);

/**
 * Remove an address and its connected route (if no other address of the same prefix
 * remains on the interface).
 * @param host the host.
 * @param ip the address.
 * @return 0, or VIV_EINVAL, VIV_ENOENT.
 */
VIV_API int viv_host_del_addr(viv_host_t *host, viv_ip4_t ip);

/**
 * The primary (first) address of an interface.
 * @param[out] out receives it.
 * @param[out] prefix_len_out receives its prefix length, or NULL.
 * @param host the host.
 * @param iface the interface index.
 * @return 0, or VIV_EINVAL, VIV_ENOENT (no address).
 */
VIV_API int viv_host_addr(viv_ip4_t *out, uint8_t *prefix_len_out, const viv_host_t *host,
                          uint32_t iface);

/**
 * Whether the host has this address on any interface.
 * @param host the host.
 * @param ip the address.
 * @return 1 or 0.
 */
VIV_API int viv_host_has_addr(const viv_host_t *host, viv_ip4_t ip);

/**
 * Turn forwarding on (a router) or off (an end host).
 * @param host the host.
 * @param on 0 for off, anything else for on.
 * @return 0, or VIV_EINVAL (NULL @p host).
 */
VIV_API int viv_host_set_forwarding(viv_host_t *host, int on);

/**
 * Add a static route.
 * @param host the host.
 * @param dst the destination prefix (host bits are cleared).
 * @param prefix_len 0..32 (0 with @p dst 0.0.0.0 is the default route).
 * @param gateway the next hop, or ::VIV_IP4_ANY for an on-link route. A next hop is a
 *        neighbour: a unicast address inside a connected prefix of the outgoing interface
 *        (as for -1 below), not one of the host's own addresses, nor the network or directed
 *        broadcast address of that prefix (prefixes up to /30).
 * @param iface the outgoing interface, or -1 to take the interface of the connected route
 *        that reaches @p gateway (-1 needs a gateway).
 * @param metric lower wins among routes of the same prefix.
 * @return 0, or VIV_EINVAL (bad prefix, an interface that does not exist or is below -1, a
 *         gateway that is not a neighbour as above, including a multicast, reserved or
 *         limited broadcast address; -1 with ::VIV_IP4_ANY), VIV_EEXIST (a static or
 *         connected route with the same prefix, gateway, interface and metric), VIV_ENOMEM.
 *
 * A route that viv_sim_compute_routes() added and that is identical to this one becomes
 * static (it keeps its place in the table), so later computations keep it.
 */
VIV_API int viv_host_route_add(viv_host_t *host, viv_ip4_t dst, uint8_t prefix_len,
                               viv_ip4_t gateway, int iface, uint32_t metric);

/**
 * Add the default route via a gateway: viv_host_route_add(host, 0, 0, gateway, -1, 0).
 * @param host the host.
 * @param gateway the gateway, a neighbour on a connected subnet (not 0.0.0.0).
 * @return as viv_host_route_add().
 */
VIV_API int viv_host_set_gateway(viv_host_t *host, viv_ip4_t gateway);

/**
 * Remove the routes of a prefix (all gateways and metrics) that are not connected routes.
 * @param host the host.
 * @param dst the prefix.
 * @param prefix_len its length.
 * @return the number removed (0 if none), or VIV_EINVAL.
 */
VIV_API int viv_host_route_del(viv_host_t *host, viv_ip4_t dst, uint8_t prefix_len);

/**
 * Look up the route a packet to @p dst would take.
 * @param[out] out receives the route (with its source address), or NULL.
 * @param host the host.
 * @param dst the destination.
 * @return 0, or VIV_ENETUNREACH (no route), VIV_EINVAL.
 */
VIV_API int viv_host_route_lookup(viv_route *out, const viv_host_t *host, viv_ip4_t dst);

/**
 * The routing table, in lookup order (longest prefix first, then metric, then age).
 * @param host the host.
 * @param rows where to write up to @p cap rows (may be NULL when @p cap is 0).
 * @param cap capacity of @p rows.
 * @return the number of routes, which may exceed @p cap, or VIV_EINVAL.
 */
VIV_API int viv_host_routes(const viv_host_t *host, viv_route *rows, size_t cap);

/**
 * The routing table as text in the style of `ip route`, one line per route:
 * `default via 10.0.1.1 dev eth0`, `10.0.1.0/24 dev eth0 proto kernel scope link src
 * 10.0.1.7`, `10.0.2.0/24 via 10.0.1.1 dev eth0 proto static metric 5`.
 * @param host the host.
 * @param buf the buffer (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the length of the whole text (snprintf-like), or VIV_EINVAL.
 */
VIV_API int viv_host_routes_text(const viv_host_t *host, char *buf, size_t cap);

/**
 * The ARP cache, sorted by interface then address.
 * @param host the host.
 * @param rows where to write up to @p cap rows (may be NULL when @p cap is 0).
 * @param cap capacity of @p rows.
 * @return the number of entries, which may exceed @p cap, or VIV_EINVAL, VIV_ENOMEM (a
 *         cache of more than 64 entries is sorted in a temporary array).
 */
VIV_API int viv_host_arp_table(const viv_host_t *host, viv_arp_entry *rows, size_t cap);

/**
 * The ARP cache as text in the style of `arp -an`:
 * `? (10.0.1.1) at 02:00:00:00:00:03 [ether] on eth0`, or `at <incomplete>`, sorted as
 * viv_host_arp_table(). Like snprintf, it writes at most @p cap bytes, always
 * NUL-terminated when @p cap is not 0 (an empty cache gives the empty string).
 * @param host the host.
 * @param buf the buffer (may be NULL when @p cap is 0).
 * @param cap its size.
 * @return the length of the whole text (snprintf-like), or VIV_EINVAL, VIV_ENOMEM (as
 *         viv_host_arp_table()).
 */
VIV_API int viv_host_arp_table_text(const viv_host_t *host, char *buf, size_t cap);

/**
 * Read the host's counters.
 * @param[out] out receives them.
 * @param host the host.
 * @return 0, or VIV_EINVAL.
 */
VIV_API int viv_host_ip_stats(viv_ip_stats_t *out, const viv_host_t *host);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
