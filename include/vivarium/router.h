/**
 * @file vivarium/router.h
 * @brief Routers, subnets, and routes computed for a whole topology.
 *
 * @defgroup viv_router Routers and subnets
 * @brief Join subnets, hand out addresses, fill routing tables.
 *
 * A router is a host with forwarding on: it decrements the TTL (updating the header checksum
 * incrementally), rewrites the Ethernet addresses, and sends the packet on by its routing
 * table. It never forwards limited broadcasts (255.255.255.255) or a directed broadcast of
 * one of its own subnets, nor multicast. A packet whose TTL would reach 0 is dropped and
 * answered with ICMP time exceeded (quoting the original header and its first 8 payload
 * bytes); a packet addressed to the router itself is accepted whatever its TTL. ICMP errors
 * are never sent about an ICMP error, a broadcast or multicast, or a fragment other than the
 * first. The source address of an ICMP error is that of the interface the error leaves by.
 *
 * A subnet object (such as "10.0.1.0/24") hands out addresses in order (.1, .2, ...) to the
 * interfaces attached to it; attaching configures the address and so the connected route.
 *
 * viv_sim_compute_routes() fills every host's table with routes to every subnet in the
 * network by shortest paths (fewest routers), as a network administrator would with static
 * routes (an end host on one subnet gets a default route); run it again after cutting a link
 * to route around the cut.
 * @{
 */
#ifndef VIVARIUM_ROUTER_H
#define VIVARIUM_ROUTER_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Create a router: a host with forwarding on and @p nifaces interfaces.
 * @param[out] out receives the router (a host).
 * @param sim the simulation.
 * @param nifaces interfaces to create (eth0...), 0..4096.
 * @param opts host options (forwarding is forced on), or NULL.
 * @return 0, or VIV_EINVAL (NULL @p out or @p sim, more than 4096 interfaces, @p opts that
 *         viv_host_new() refuses), VIV_ENOMEM; on failure nothing is created.
 */
VIV_API int viv_router_new(viv_host_t **out, viv_sim_t *sim, uint32_t nifaces,
                           const viv_host_opts *opts);

/** A subnet that hands out addresses (opaque). */
typedef struct viv_subnet viv_subnet_t;

/**
 * Create a subnet from text such as "10.0.1.0/24".
 * @param[out] out receives the subnet.
 * @param sim the simulation.
 * @param cidr the prefix (read, not kept); host bits must be zero; length 1..30 (or 31 and
 *        32 for point-to-point, whose every address is usable); wholly below 224.0.0.0.
 * @return 0, or VIV_EINVAL (NULL argument, not a prefix, host bits set, length 0, reaching
 *         into multicast or reserved space), VIV_ENOMEM.
 *
 * Ownership: the simulation owns it; viv_subnet_free() frees it earlier.
 */
VIV_API int viv_subnet_new(viv_subnet_t **out, viv_sim_t *sim, const char *cidr);

/**
 * Free a subnet object (addresses it gave stay configured). The handle is invalid afterwards.
 * @param subnet the subnet, or NULL.
 */
VIV_API void viv_subnet_free(viv_subnet_t *subnet);

/**
 * Give an interface the next free address of the subnet (lowest first, skipping the
 * network and broadcast addresses and any taken with viv_subnet_attach_ip()).
 * @param[out] ip_out receives the address, or NULL.
 * @param subnet the subnet.
 * @param host the host.
 * @param iface its interface.
 * @return 0, or VIV_EINVAL (NULL @p subnet or @p host, a host of another simulation, no
 *         such interface), VIV_EADDRNOTAVAIL (the subnet is full), VIV_EEXIST (the host
 *         already has that address), VIV_ENOSPC (the interface has 8 addresses already),
 *         VIV_ENOMEM; on failure nothing is configured or taken.
 */
VIV_API int viv_subnet_attach(viv_ip4_t *ip_out, viv_subnet_t *subnet, viv_host_t *host,
                              uint32_t iface);

/**
 * Give an interface a chosen address of the subnet.
 * @param subnet the subnet.
 * @param host the host.
 * @param iface its interface.
 * @param ip the address: inside the subnet, not its network or broadcast address, not
 *        already given.
 * @return 0, or VIV_EINVAL (as viv_subnet_attach(), or @p ip outside the subnet or its
 *         network or broadcast address), VIV_EADDRINUSE (the subnet already gave @p ip),
 *         VIV_EEXIST (the host already has it), VIV_ENOSPC (8 addresses already), VIV_ENOMEM.
 */
VIV_API int viv_subnet_attach_ip(viv_subnet_t *subnet, viv_host_t *host, uint32_t iface,
                                 viv_ip4_t ip);

/**
 * The subnet's prefix.
 * @param[out] ip_out receives the network address, or NULL.
 * @param[out] prefix_len_out receives the prefix length, or NULL.
 * @param subnet the subnet.
 * @return 0, or VIV_EINVAL (NULL @p subnet).
 */
VIV_API int viv_subnet_prefix(viv_ip4_t *ip_out, uint8_t *prefix_len_out,
                              const viv_subnet_t *subnet);

/**
 * The subnet's directed broadcast address (for /31 and /32: the limited broadcast).
 * @param subnet the subnet.
 * @return the address; 0 for NULL.
 */
VIV_API viv_ip4_t viv_subnet_broadcast(const viv_subnet_t *subnet);

/**
 * Compute static routes for every host of the simulation by shortest paths.
 *
 * Hosts are joined where their interfaces share a layer-2 segment (links, hubs and switches
 * that are up, in both directions) and an IPv4 prefix. For each host and each prefix it is
 * not connected to, the first router on a shortest path (fewest routers; ties go to the
 * router created first, then its lowest interface) is the way there. A router (forwarding
 * on), a host on several subnets, and a host whose table holds any route besides its
 * connected one get a route per prefix. Every other host (an end host on one subnet) gets a
 * default route via the router that most prefixes go through (ties as above), plus a route
 * for each prefix that goes through another router or that a wider prefix in its table
 * would otherwise take: the same next hop for every reachable prefix, from a table of a few
 * routes. A destination no prefix reaches then goes to that router (which answers net
 * unreachable) instead of failing at the host. Routes an earlier call computed are
 * replaced; connected and static routes are kept (a static route of the same prefix wins
 * by being added first at equal metric: computed routes get metric 100; a computed route
 * identical to a static one is not added).
 *
 * Only hosts with forwarding on that are switched on carry traffic onward. An interface
 * counts only while its link is up both ways and the node at the other end is on. Devices
 * (sys/device.h) are opaque: nothing is assumed to cross them. A prefix the host has an
 * address in (even on an unplugged interface) gets no computed route.
 *
 * The cost is one breadth-first search over subnets and routers per router, per host with
 * a route per prefix, and per subnet of the other hosts: 1,000,000 hosts in 4,000 switched
 * subnets behind one router take about a second.
 * @param sim the simulation.
 * @return the number of routes added, or VIV_EINVAL, VIV_ENOMEM (then no table changed).
 */
VIV_API int viv_sim_compute_routes(viv_sim_t *sim);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
