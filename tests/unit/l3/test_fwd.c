/* The router's forwarding cache (src/l3/ipv4.c): a decision kept per destination must give
 * way at once to every change that would change it. Router R has three interfaces, each
 * cabled to a recording device (A 10.0.0.2, B 10.0.1.2, C 10.0.2.2, R .1 on each); A sends
 * hand-made UDP packets at chosen instants, always two or more to each destination so that
 * the later ones are forwarded from the cache, and the tests assert where each one went:
 * which device, which link-layer destination, what TTL, or which drop counter. */
#include "l3_test.h"

#include "vivarium/node.h"

typedef struct fwd_net {
    viv_sim_t *sim;
    viv_host_t *r;
    l3t_dev a, b, c;
} fwd_net;

static void fwd_build(fwd_net *n, viv_sim_t *sim, const viv_host_opts *ropts)
{
    memset(n, 0, sizeof(*n));
    n->sim = sim;
    viv_host_opts o = ropts ? *ropts : (viv_host_opts)VIV_HOST_OPTS_INIT;
    o.name = "r";
    assert_int_equal(viv_router_new(&n->r, sim, 3, &o), 0);
    l3t_dev *d[3] = {&n->a, &n->b, &n->c};
    const char *names[3] = {"a", "b", "c"};
    for (uint32_t i = 0; i < 3; i++) {
        l3t_dev_init(d[i], sim, 10 + i, names[i]);
        d[i]->answer_arp = VIV_IP4(10, 0, i, 2);
        assert_int_equal(viv_host_add_addr(n->r, i, VIV_IP4(10, 0, i, 1), 24), 0);
        l3t_link(sim, viv_host_port(n->r, i), viv_device_port(d[i]->dev, 0), NULL);
    }
}

static void fwd_fini(fwd_net *n)
{
    l3t_dev_fini(&n->a);
    l3t_dev_fini(&n->b);
    l3t_dev_fini(&n->c);
}

/* A sends one UDP packet to dst (TTL 64) now. */
static void fwd_send(fwd_net *n, viv_ip4_t dst)
{
    uint8_t fr[64] = {0};
    viv_mac_t rmac = l3t_host_mac(n->r, 0);
    size_t k = l3t_eth(fr, &rmac, &n->a.mac, 0x0800);
    k += l3t_ip(fr + k, VIV_IP4(10, 0, 0, 2), dst, 17, 64, 8 + 4, 0);
    l3t_udp(fr + k, 1000, 2000, (const uint8_t *)"fwd!", 4);
    l3t_dev_send(&n->a, fr, sizeof fr);
}

/* Send `count` packets to dst, 1 ms apart, and run until everything settles. */
static void fwd_burst(fwd_net *n, viv_ip4_t dst, int count)
{
    for (int i = 0; i < count; i++) {
        fwd_send(n, dst);
        assert_int_equal(viv_sim_run_until(n->sim, viv_sim_now(n->sim) + VIV_MS(1)), 0);
    }
    assert_int_equal(viv_sim_run(n->sim), 0);
}

/* The IPv4 packets to dst that device d received since frame `from`: how many, each checked
 * to come from R's interface toward d, with link-layer destination mac and TTL 63. */
static size_t fwd_got(const fwd_net *n, const l3t_dev *d, size_t from, viv_ip4_t dst,
                      const viv_mac_t *mac)
{
    size_t got = 0;
    for (size_t i = from; i < d->n; i++) {
        const l3t_frame *f = &d->f[i];
        if (f->info.ethertype != 0x0800 || l3t_rd32(f->b + L3T_ETH + 16) != dst)
            continue;
        assert_memory_equal(f->b, mac->b, 6);
        assert_int_equal(f->b[L3T_ETH + 8], 63);
        assert_int_equal(l3t_cksum(f->b + L3T_ETH, 20), 0);
        got++;
    }
    (void)n;
    return got;
}

/* ARP requests device d received since frame `from` asking for tpa (broadcast or unicast). */
static size_t fwd_arp_req(const l3t_dev *d, size_t from, viv_ip4_t tpa, int unicast)
{
    size_t got = 0;
    for (size_t i = from; i < d->n; i++) {
        const l3t_frame *f = &d->f[i];
        if (f->info.ethertype == 0x0806 && f->info.arp_op == 1 && f->info.arp_tpa == tpa &&
            (f->b[0] & 1) == !unicast)
            got++;
    }
    return got;
}

/* Routes added and removed: no route, a route, a more specific one, each removed again. */
static void test_fwd__route_added_and_removed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    viv_ip4_t dst = VIV_IP4(192, 168, 5, 5);
    fwd_burst(&n, dst, 2);
    viv_ip_stats_t st = l3t_stats(n.r);
    assert_int_equal(st.drop_no_route, 2);
    assert_int_equal(st.ip_forwarded, 0);

    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(192, 168, 5, 0), 24, VIV_IP4(10, 0, 1, 2), -1, 0), 0);
    size_t b0 = n.b.n, c0 = n.c.n;
    fwd_burst(&n, dst, 3);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 3);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 0);

    /* A more specific route takes over at once. */
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(192, 168, 5, 0), 25, VIV_IP4(10, 0, 2, 2), -1, 0), 0);
    b0 = n.b.n;
    c0 = n.c.n;
    fwd_burst(&n, dst, 3);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 0);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 3);

    /* Removed: back to the /24. */
    assert_int_equal(viv_host_route_del(n.r, VIV_IP4(192, 168, 5, 0), 25), 1);
    b0 = n.b.n;
    c0 = n.c.n;
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 2);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 0);

    /* No route left: net unreachable again, to A. */
    assert_int_equal(viv_host_route_del(n.r, VIV_IP4(192, 168, 5, 0), 24), 1);
    b0 = n.b.n;
    size_t a0 = n.a.n;
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 0);
    st = l3t_stats(n.r);
    assert_int_equal(st.drop_no_route, 4);
    assert_int_equal(st.ip_forwarded, 8);
    size_t unreach = 0;
    for (size_t i = a0; i < n.a.n; i++)
        unreach += n.a.f[i].info.ethertype == 0x0800 && n.a.f[i].info.icmp_type == 3 &&
                   n.a.f[i].info.icmp_code == 0;
    assert_int_equal(unreach, 2);
    fwd_fini(&n);
}

/* Addresses added and removed: a destination that becomes the router's own is delivered,
 * one that becomes a directed broadcast of a new subnet is dropped, and one that the new
 * subnet's connected route captures goes on-link, resolved on the new interface. */
static void test_fwd__address_changes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(172, 16, 0, 0), 16, VIV_IP4(10, 0, 1, 2), -1, 0), 0);
    viv_ip4_t own = VIV_IP4(172, 16, 0, 1), bc = VIV_IP4(172, 16, 9, 255),
              onl = VIV_IP4(172, 16, 9, 7);
    fwd_burst(&n, own, 2);
    fwd_burst(&n, bc, 2);
    fwd_burst(&n, onl, 2);
    assert_int_equal(fwd_got(&n, &n.b, 0, own, &n.b.mac), 2);
    assert_int_equal(fwd_got(&n, &n.b, 0, bc, &n.b.mac), 2);
    assert_int_equal(fwd_got(&n, &n.b, 0, onl, &n.b.mac), 2);
    viv_ip_stats_t st0 = l3t_stats(n.r);
    assert_int_equal(st0.ip_forwarded, 6);

    /* 172.16.0.1/32 on C's interface: now the router's own address. */
    assert_int_equal(viv_host_add_addr(n.r, 2, own, 32), 0);
    size_t b0 = n.b.n;
    fwd_burst(&n, own, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, own, &n.b.mac), 0);
    viv_ip_stats_t st = l3t_stats(n.r);
    assert_int_equal(st.ip_delivered - st0.ip_delivered, 2);
    assert_int_equal(st.ip_forwarded, 6);

    /* 172.16.9.1/24 on C's interface: 172.16.9.255 is its broadcast, 172.16.9.7 on-link. */
    assert_int_equal(viv_host_add_addr(n.r, 2, VIV_IP4(172, 16, 9, 1), 24), 0);
    b0 = n.b.n;
    size_t c0 = n.c.n;
    fwd_burst(&n, bc, 2);
    fwd_burst(&n, onl, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, bc, &n.b.mac), 0);
    assert_int_equal(fwd_got(&n, &n.b, b0, onl, &n.b.mac), 0);
    assert_int_equal(fwd_got(&n, &n.c, c0, bc, &n.c.mac), 0);
    assert_int_equal(fwd_arp_req(&n.c, c0, onl, 0), 3); /* nobody answers for .7 */
    st = l3t_stats(n.r);
    assert_int_equal(st.drop_broadcast - st0.drop_broadcast, 2);

    /* Both removed: everything goes to B again, from the cache once more. */
    assert_int_equal(viv_host_del_addr(n.r, own), 0);
    assert_int_equal(viv_host_del_addr(n.r, VIV_IP4(172, 16, 9, 1)), 0);
    b0 = n.b.n;
    fwd_burst(&n, own, 2);
    fwd_burst(&n, bc, 2);
    fwd_burst(&n, onl, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, own, &n.b.mac), 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, bc, &n.b.mac), 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, onl, &n.b.mac), 2);
    fwd_fini(&n);
}

/* The next hop's ARP entry ages out (unused for a minute): the next packet resolves again,
 * then is forwarded; the cached entry must not be used after it is gone. */
static void test_fwd__arp_entry_expired(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    viv_ip4_t dst = VIV_IP4(10, 0, 1, 2);
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_arp_req(&n.b, 0, dst, 0), 1);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_S(61)), 0);
    size_t b0 = n.b.n;
    fwd_burst(&n, dst, 2);
    assert_int_equal(l3t_stats(n.r).arp_expired, 1);
    assert_int_equal(fwd_arp_req(&n.b, b0, dst, 0), 1);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 2);
    /* The request came first; the packet waited for the reply. */
    assert_int_equal(n.b.f[b0].info.ethertype, 0x0806);
    fwd_fini(&n);
}

/* The next hop's MAC changes (its reply from a new card): the next packet goes to it. */
static void test_fwd__arp_entry_changed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    viv_ip4_t dst = VIV_IP4(10, 0, 1, 2);
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.b, 0, dst, &n.b.mac), 2);
    /* B announces 10.0.1.2 at a new MAC (a request for the router: RFC 826's merge). */
    viv_mac_t nm = l3t_mac(77), rmac = l3t_host_mac(n.r, 1), bc = l3t_bcast_mac(), zero = {{0}};
    uint8_t fr[60] = {0};
    size_t k = l3t_eth(fr, &bc, &nm, 0x0806);
    l3t_arp(fr + k, 1, &nm, dst, &zero, VIV_IP4(10, 0, 1, 1));
    l3t_dev_send(&n.b, fr, sizeof fr);
    assert_int_equal(viv_sim_run(sim), 0);
    (void)rmac;
    size_t b0 = n.b.n;
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &nm), 2);
    fwd_fini(&n);
}

/* A reachable time that runs out: the entry goes STALE, the next packet uses it and probes
 * (unicast), as without the cache. */
static void test_fwd__arp_entry_stale_probes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.arp_reachable_ns = VIV_S(1);
    fwd_net n;
    fwd_build(&n, sim, &o);
    viv_ip4_t dst = VIV_IP4(10, 0, 1, 2);
    fwd_burst(&n, dst, 2);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_S(2)), 0);
    size_t b0 = n.b.n;
    fwd_burst(&n, dst, 3);
    assert_int_equal(fwd_got(&n, &n.b, b0, dst, &n.b.mac), 3);
    assert_int_equal(fwd_arp_req(&n.b, b0, dst, 1), 1); /* one probe, then REACHABLE again */
    assert_int_equal(fwd_arp_req(&n.b, b0, dst, 0), 0);
    /* The packet went out with the probe, before the answer. */
    assert_int_equal(n.b.f[b0].info.ethertype, 0x0806);
    assert_int_equal(n.b.f[b0 + 1].info.ethertype, 0x0800);
    fwd_fini(&n);
}

/* Switched off and on (its neighbours flushed), and forwarding turned off and on. */
static void test_fwd__flushed_and_forwarding_off(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    viv_ip4_t dst = VIV_IP4(10, 0, 2, 2);
    fwd_burst(&n, dst, 2);
    assert_int_equal(viv_node_set_up(viv_host_node(n.r), 0), 0);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(5)), 0);
    assert_int_equal(viv_host_arp_table(n.r, NULL, 0), 0);
    assert_int_equal(viv_node_set_up(viv_host_node(n.r), 1), 0);
    size_t c0 = n.c.n;
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_arp_req(&n.c, c0, dst, 0), 1);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 2);

    assert_int_equal(viv_host_set_forwarding(n.r, 0), 0);
    c0 = n.c.n;
    viv_ip_stats_t st0 = l3t_stats(n.r);
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 0);
    assert_int_equal(l3t_stats(n.r).drop_not_mine - st0.drop_not_mine, 2);
    assert_int_equal(viv_host_set_forwarding(n.r, 1), 0);
    fwd_burst(&n, dst, 2);
    assert_int_equal(fwd_got(&n, &n.c, c0, dst, &n.c.mac), 2);
    fwd_fini(&n);
}

/* The cache keeps two slots an interface: a router that gains interfaces gets a larger
 * cache at its next change of routes (the old one's decisions go with it), and what the
 * larger one keeps gives way to changes as before: a power cycle empties the ARP table,
 * whose removals walk the new cache's slots, and the next packets resolve again. */
static void test_fwd__cache_grows_with_interfaces(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(172, 16, 0, 0), 16, VIV_IP4(10, 0, 1, 2), -1, 0), 0);
    fwd_burst(&n, VIV_IP4(172, 16, 0, 2), 2); /* the cache is made: 64 slots for 3 interfaces */
    for (int i = 0; i < 60; i++)
        assert_true(viv_host_add_iface(n.r, NULL) >= 0);
    /* 63 interfaces want 128 slots: the route added makes the cache anew. */
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(172, 17, 0, 0), 16, VIV_IP4(10, 0, 2, 2), -1, 0), 0);
    fwd_burst(&n, VIV_IP4(10, 0, 2, 2), 1); /* C resolved first */
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < 200; i++) {
            fwd_send(&n, VIV_IP4(172, 16 + (i & 1), 1, i));
            assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_US(200)), 0);
        }
    assert_int_equal(viv_sim_run(sim), 0);
    size_t tob = 0, toc = 0;
    for (uint32_t i = 0; i < 200; i++) {
        viv_ip4_t d = VIV_IP4(172, 16 + (i & 1), 1, i);
        tob += fwd_got(&n, &n.b, 0, d, &n.b.mac);
        toc += fwd_got(&n, &n.c, 0, d, &n.c.mac);
    }
    assert_int_equal(tob, 200);
    assert_int_equal(toc, 200);
    assert_int_equal(l3t_stats(n.r).ip_forwarded, 2 + 1 + 400);

    /* Off and on: the ARP table empties (each removal walks the 128 slots); a cached
     * destination resolves its next hop again before its packets go on. */
    assert_int_equal(viv_node_set_up(viv_host_node(n.r), 0), 0);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(5)), 0);
    assert_int_equal(viv_host_arp_table(n.r, NULL, 0), 0);
    assert_int_equal(viv_node_set_up(viv_host_node(n.r), 1), 0);
    size_t b0 = n.b.n;
    fwd_burst(&n, VIV_IP4(172, 16, 1, 0), 2);
    assert_int_equal(fwd_arp_req(&n.b, b0, VIV_IP4(10, 0, 1, 2), 0), 1);
    assert_int_equal(fwd_got(&n, &n.b, b0, VIV_IP4(172, 16, 1, 0), &n.b.mac), 2);
    fwd_fini(&n);
}

/* Many destinations sharing the cache's slots, the last with options (Record Route: the
 * router's outgoing address), and packets no cache may answer (TTL 1, a broadcast). */
static void test_fwd__many_destinations_and_checks_per_packet(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    fwd_net n;
    fwd_build(&n, sim, NULL);
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(172, 16, 0, 0), 16, VIV_IP4(10, 0, 1, 2), -1, 0), 0);
    assert_int_equal(
        viv_host_route_add(n.r, VIV_IP4(172, 17, 0, 0), 16, VIV_IP4(10, 0, 2, 2), -1, 0), 0);
    /* Both next hops resolved first: packets waiting for ARP would be dropped past three. */
    fwd_burst(&n, VIV_IP4(10, 0, 1, 2), 1);
    fwd_burst(&n, VIV_IP4(10, 0, 2, 2), 1);
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < 300; i++) {
            fwd_send(&n, VIV_IP4(172, 16 + (i & 1), i >> 8, i & 255));
            assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_US(200)), 0);
        }
    assert_int_equal(viv_sim_run(sim), 0);
    size_t tob = 0, toc = 0;
    for (uint32_t i = 0; i < 300; i++) {
        viv_ip4_t d = VIV_IP4(172, 16 + (i & 1), i >> 8, i & 255);
        tob += fwd_got(&n, &n.b, 0, d, &n.b.mac);
        toc += fwd_got(&n, &n.c, 0, d, &n.c.mac);
    }
    assert_int_equal(tob, 300);
    assert_int_equal(toc, 300);
    assert_int_equal(l3t_stats(n.r).ip_forwarded, 602);

    /* TTL 1 to a cached destination: time exceeded, whatever the cache holds. */
    uint8_t fr[64] = {0};
    viv_mac_t rmac = l3t_host_mac(n.r, 0);
    size_t k = l3t_eth(fr, &rmac, &n.a.mac, 0x0800);
    k += l3t_ip(fr + k, VIV_IP4(10, 0, 0, 2), VIV_IP4(172, 16, 0, 2), 17, 1, 12, 0);
    l3t_udp(fr + k, 1000, 2000, (const uint8_t *)"ttl1", 4);
    l3t_dev_send(&n.a, fr, sizeof fr);
    /* The same destination in a link-layer broadcast: never forwarded. */
    viv_mac_t bc = l3t_bcast_mac();
    memcpy(fr, bc.b, 6);
    fr[L3T_ETH + 8] = 64;
    l3t_ip_fix(fr + L3T_ETH);
    l3t_dev_send(&n.a, fr, sizeof fr);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_ip_stats_t st = l3t_stats(n.r);
    assert_int_equal(st.drop_ttl, 1);
    assert_int_equal(st.drop_broadcast, 1);
    assert_int_equal(st.ip_forwarded, 602);

    /* Record Route through the cache: the router writes its outgoing address (10.0.1.1). */
    uint8_t rr[80] = {0};
    k = l3t_eth(rr, &rmac, &n.a.mac, 0x0800);
    uint8_t *ip = rr + k;
    l3t_ip(ip, VIV_IP4(10, 0, 0, 2), VIV_IP4(172, 16, 0, 2), 17, 64, 12 + 12, 0);
    ip[0] = 0x48; /* IHL 8: 12 bytes of options, the UDP datagram after them */
    l3t_wr16(ip + 2, (uint16_t)(32 + 12));
    ip[20] = 7;  /* Record Route */
    ip[21] = 11; /* two slots */
    ip[22] = 4;  /* pointer: the first slot */
    ip[31] = 0;  /* EOL */
    l3t_udp(ip + 32, 1000, 2000, (const uint8_t *)"rrrr", 4);
    l3t_ip_fix(ip);
    size_t b0 = n.b.n;
    for (int i = 0; i < 2; i++) { /* the first may refill the slot; the second is cached */
        l3t_dev_send(&n.a, rr, 60);
        assert_int_equal(viv_sim_run(sim), 0);
        assert_int_equal(n.b.n, b0 + 1 + (size_t)i);
        const uint8_t *got = n.b.f[b0 + (size_t)i].b + L3T_ETH;
        assert_int_equal(got[8], 63);
        assert_int_equal(got[22], 8);
        assert_int_equal(l3t_rd32(got + 23), VIV_IP4(10, 0, 1, 1));
        assert_int_equal(l3t_rd32(got + 27), 0);
        assert_int_equal(l3t_cksum(got, 32), 0);
    }
    fwd_fini(&n);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_fwd__route_added_and_removed),
        T(test_fwd__address_changes),
        T(test_fwd__arp_entry_expired),
        T(test_fwd__arp_entry_changed),
        T(test_fwd__arp_entry_stale_probes),
        T(test_fwd__flushed_and_forwarding_off),
        T(test_fwd__cache_grows_with_interfaces),
        T(test_fwd__many_destinations_and_checks_per_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
