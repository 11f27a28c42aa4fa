/* Issue 17's scale work in layer 3: the address index that makes "is this one of my
 * addresses" and "is this a directed broadcast of mine" O(1) on a router with thousands of
 * interfaces (checked against a plain scan through additions and removals), a router with
 * 4,000 interfaces forwarding correctly, and viv_sim_compute_routes() giving single-homed
 * hosts a default route plus only the exceptions (exact tables, nested prefixes, hosts with
 * routes of their own keep per-prefix routes). */
#include "l3_test.h"

#include "l3/l3.h"

/* ---- the address index ----------------------------------------------------------------- */

/* The reference: what a scan of the interfaces in order finds. */
static int ref_addr_iface(viv_host_t *h, viv_ip4_t ip)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++)
            if (h->ifaces[i]->addrs[k].ip == ip)
                return (int)i;
    return -1;
}

static int ref_bcast_iface(viv_host_t *h, viv_ip4_t ip)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (viv__iface_is_bcast(h->ifaces[i], ip))
            return (int)i;
    return -1;
}

/* Every address and broadcast address the host has had, and their neighbours, agree with
 * the scan. */
static void check_index(viv_host_t *h, const viv_ip4_t *probes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int d = -1; d <= 1; d++) {
            viv_ip4_t ip = probes[i] + (viv_ip4_t)d;
            assert_int_equal(viv__host_addr_iface(h, ip), ref_addr_iface(h, ip));
            assert_int_equal(viv__host_bcast_iface(h, ip), ref_bcast_iface(h, ip));
            assert_int_equal(viv_host_has_addr(h, ip), ref_addr_iface(h, ip) >= 0);
        }
}

static void test_scale__address_index_agrees_with_a_scan(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *r = l3t_router(sim, "r", 12);
    viv_ip4_t probes[64];
    size_t np = 0;
    /* One address: the scan; from the fifth on: the index (VIV__ADDR_SCAN is 4). */
    static const char *const cidrs[][2] = {
        {"0", "10.0.0.1/24"},    {"1", "10.0.1.1/24"},     {"2", "10.0.2.1/24"},
        {"3", "192.168.0.1/31"}, {"4", "172.16.0.1/32"},   {"5", "10.0.5.1/24"},
        {"6", "10.0.5.2/24"}, /* the same subnet on another interface */
        {"6", "10.0.6.1/16"}, /* a wider prefix: broadcast 10.0.255.255 */
        {"7", "10.0.7.1/24"},    {"7", "10.0.7.9/24"},     {"2", "10.0.5.3/24"},
        {"11", "10.11.0.1/8"},
    };
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(cidrs); i++) {
        uint32_t iface = (uint32_t)atoi(cidrs[i][0]);
        l3t_addr(r, iface, cidrs[i][1]);
        char ip[32];
        snprintf(ip, sizeof ip, "%s", cidrs[i][1]);
        *strchr(ip, '/') = 0;
        unsigned len = (unsigned)atoi(strchr(cidrs[i][1], '/') + 1);
        viv_ip4_t a = l3t_ip4(ip), m = viv_ip4_mask((uint8_t)len);
        probes[np++] = a;
        probes[np++] = (a & m) | ~m;
        check_index(r, probes, np);
        assert_int_equal(r->addr_index.cap != 0, r->naddrs > VIV__ADDR_SCAN);
    }
    /* The subnet 10.0.5.0/24 is on interfaces 2, 5 and 6: its broadcast belongs to the
     * first, and moves on as addresses go. */
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 5, 255)), 2);
    assert_int_equal(viv_host_del_addr(r, VIV_IP4(10, 0, 5, 3)), 0);
    check_index(r, probes, np);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 5, 255)), 5);
    assert_int_equal(viv_host_del_addr(r, VIV_IP4(10, 0, 5, 1)), 0);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 5, 255)), 6);
    /* Two addresses of one subnet on one interface: the broadcast stays while one does. */
    assert_int_equal(viv_host_del_addr(r, VIV_IP4(10, 0, 7, 1)), 0);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 7, 255)), 7);
    assert_int_equal(viv_host_del_addr(r, VIV_IP4(10, 0, 7, 9)), 0);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 7, 255)), -1);
    check_index(r, probes, np);
    /* Down below the threshold, the index stays and still agrees; and back up. */
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(cidrs); i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "%s", cidrs[i][1]);
        *strchr(ip, '/') = 0;
        viv_host_del_addr(r, l3t_ip4(ip)); /* some are gone already */
        check_index(r, probes, np);
    }
    assert_int_equal(r->naddrs, 0);
    l3t_addr(r, 3, "10.0.3.1/24");
    probes[np++] = VIV_IP4(10, 0, 3, 1);
    probes[np++] = VIV_IP4(10, 0, 3, 255);
    check_index(r, probes, np);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 3, 255)), 3);
    assert_int_equal(viv__host_bcast_iface(r, 0), -1);
}

/* The index's allocation failing leaves the host as it was. */
static void test_scale__address_index_out_of_memory(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    viv_host_t *r = l3t_router(sim, "r", 8);
    for (uint32_t i = 0; i < VIV__ADDR_SCAN; i++)
        assert_int_equal(viv_host_add_addr(r, i, VIV_IP4(10, 0, i, 1), 24), 0);
    fx->alloc.fail_at = fx->alloc.calls + 1;
    assert_int_equal(viv_host_add_addr(r, 5, VIV_IP4(10, 0, 5, 1), 24), VIV_ENOMEM);
    fx->alloc.fail_at = 0;
    assert_int_equal(r->naddrs, VIV__ADDR_SCAN);
    assert_false(viv_host_has_addr(r, VIV_IP4(10, 0, 5, 1)));
    viv_route rt;
    assert_int_equal(viv_host_route_lookup(&rt, r, VIV_IP4(10, 0, 5, 9)), VIV_ENETUNREACH);
    assert_int_equal(viv_host_add_addr(r, 5, VIV_IP4(10, 0, 5, 1), 24), 0);
    assert_int_equal(viv__host_addr_iface(r, VIV_IP4(10, 0, 5, 1)), 5);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 0, 5, 255)), 5);
}

/* ---- a router with 4,000 interfaces ---------------------------------------------------- */

/* Hosts on interfaces 0, 1,999 and 3,999 of a 4,000-interface router ping each other and the
 * router's far addresses; a directed broadcast of one of its subnets is not forwarded. */
static void test_scale__router_with_4000_interfaces(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 4000 };
    viv_host_t *r = l3t_router(sim, "r", N);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(viv_host_add_addr(r, i, VIV_IP4(10, i >> 8, i & 255, 1), 24), 0);
    assert_true(r->addr_index.cap != 0);
    static const uint32_t at[3] = {0, 1999, 3999};
    viv_host_t *h[3];
    for (int k = 0; k < 3; k++) {
        uint32_t i = at[k];
        h[k] = l3t_host(sim, NULL, 1);
        assert_int_equal(viv_host_add_addr(h[k], 0, VIV_IP4(10, i >> 8, i & 255, 2), 24), 0);
        assert_int_equal(viv_host_set_gateway(h[k], VIV_IP4(10, i >> 8, i & 255, 1)), 0);
        l3t_link(sim, viv_host_port(h[k], 0), viv_host_port(r, i), NULL);
    }
    assert_int_equal(viv__host_addr_iface(r, VIV_IP4(10, 15, 159, 1)), 3999);
    assert_int_equal(viv__host_bcast_iface(r, VIV_IP4(10, 7, 207, 255)), 1999);
    l3t_pings a, b, c, d;
    l3t_ping(h[0], VIV_IP4(10, 15, 159, 2), 2, 0, &a);  /* to h[2] */
    l3t_ping(h[2], VIV_IP4(10, 7, 207, 2), 2, 0, &b);   /* to h[1] */
    l3t_ping(h[1], VIV_IP4(10, 10, 0, 1), 1, 0, &c);    /* the router, far side */
    l3t_ping(h[0], VIV_IP4(10, 7, 207, 255), 1, 0, &d); /* h[1]'s subnet broadcast */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.r[1].event, VIV_PING_REPLY);
    assert_int_equal(a.r[1].ttl, 63);
    assert_int_equal(b.r[1].event, VIV_PING_REPLY);
    assert_int_equal(c.r[0].event, VIV_PING_REPLY);
    assert_int_equal(c.r[0].ttl, 64);
    assert_int_equal(l3t_stats(r).ip_forwarded, 8);
    assert_int_equal(l3t_stats(r).drop_broadcast, 1);
    /* b's two requests and c's reply, and not d's broadcast */
    assert_int_equal(l3t_stats(h[1]).ip_rx, 3);
}

/* ---- computed routes: a default route and the exceptions ------------------------------- */

/* One LAN 10.0.0.0/16 with end hosts h, h2 (h2 with a static route of its own) and two
 * routers: rA leads to 10.1.0.0/24, 10.2.5.0/24, 10.0.9.0/24 (inside the LAN's own prefix)
 * and 10.3.0.0/24; rB to 10.2.0.0/16 (which contains 10.2.5.0/24). */
static void test_scale__computed_default_route_and_exceptions(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1), *h2 = l3t_host(sim, "h2", 1);
    viv_host_t *ra = l3t_router(sim, "rA", 5), *rb = l3t_router(sim, "rB", 2);
    viv_switch_t *lan;
    assert_int_equal(viv_switch_new(&lan, sim, 4, NULL), 0);
    l3t_addr(h, 0, "10.0.0.10/16");
    l3t_addr(h2, 0, "10.0.0.11/16");
    l3t_addr(ra, 0, "10.0.0.1/16");
    l3t_addr(rb, 0, "10.0.0.2/16");
    l3t_link(sim, viv_host_port(h, 0), viv_switch_port(lan, 0), NULL);
    l3t_link(sim, viv_host_port(h2, 0), viv_switch_port(lan, 1), NULL);
    l3t_link(sim, viv_host_port(ra, 0), viv_switch_port(lan, 2), NULL);
    l3t_link(sim, viv_host_port(rb, 0), viv_switch_port(lan, 3), NULL);
    static const char *const far_a[4] = {"10.1.0.1/24", "10.2.5.1/24", "10.0.9.1/24",
                                         "10.3.0.1/24"};
    for (uint32_t i = 0; i < 4; i++) {
        viv_switch_t *sw;
        assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
        l3t_addr(ra, i + 1, far_a[i]);
        l3t_link(sim, viv_host_port(ra, i + 1), viv_switch_port(sw, 0), NULL);
    }
    viv_switch_t *swb;
    assert_int_equal(viv_switch_new(&swb, sim, 2, NULL), 0);
    l3t_addr(rb, 1, "10.2.0.1/16");
    l3t_link(sim, viv_host_port(rb, 1), viv_switch_port(swb, 0), NULL);
    assert_int_equal(viv_host_route_add(h2, VIV_IP4(192, 168, 0, 0), 16, VIV_IP4(10, 0, 0, 2), -1, 0),
                     0);
    /* h: 4 (a default route, rB's prefix and two of rA's that the default cannot cover),
     * h2: 5 (one per prefix), rA: 1, rB: 4. */
    assert_int_equal(viv_sim_compute_routes(sim), 14);
    char buf[1024];
    /* 10.2.5.0/24 stays: without it, 10.2.0.0/16 via rB would take its packets; 10.0.9.0/24
     * too, or the connected 10.0.0.0/16 would. */
    assert_string_equal(l3t_routes(h, buf, sizeof buf),
                        "10.0.9.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.2.5.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.10\n"
                        "10.2.0.0/16 via 10.0.0.2 dev eth0 proto vivarium metric 100\n"
                        "default via 10.0.0.1 dev eth0 proto vivarium metric 100\n");
    assert_string_equal(l3t_routes(h2, buf, sizeof buf),
                        "10.0.9.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.1.0.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.2.5.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.3.0.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.11\n"
                        "192.168.0.0/16 via 10.0.0.2 dev eth0 proto static\n"
                        "10.2.0.0/16 via 10.0.0.2 dev eth0 proto vivarium metric 100\n");
    /* Every address of every prefix goes where a route per prefix would send it. */
    static const struct {
        viv_ip4_t dst, gw;
    } want[] = {
        {VIV_IP4(10, 1, 0, 9), VIV_IP4(10, 0, 0, 1)},  {VIV_IP4(10, 2, 5, 9), VIV_IP4(10, 0, 0, 1)},
        {VIV_IP4(10, 2, 6, 9), VIV_IP4(10, 0, 0, 2)},  {VIV_IP4(10, 0, 9, 9), VIV_IP4(10, 0, 0, 1)},
        {VIV_IP4(10, 0, 8, 9), 0},                     {VIV_IP4(10, 3, 0, 9), VIV_IP4(10, 0, 0, 1)},
    };
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(want); i++) {
        viv_route r1, r2;
        assert_int_equal(viv_host_route_lookup(&r1, h, want[i].dst), 0);
        assert_int_equal(viv_host_route_lookup(&r2, h2, want[i].dst), 0);
        assert_int_equal(r1.gateway, want[i].gw);
        assert_int_equal(r2.gateway, want[i].gw);
    }
    /* Routers keep a route per prefix. */
    assert_string_equal(l3t_routes(rb, buf, sizeof buf),
                        "10.0.9.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.1.0.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.2.5.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.3.0.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.2\n"
                        "10.2.0.0/16 dev eth1 proto kernel scope link src 10.2.0.1\n");
    /* rA goes off: rB's prefix is all that is left, and becomes h's default route. */
    assert_int_equal(viv_node_set_up(viv_host_node(ra), 0), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 3); /* h: default; h2, rA: 10.2.0.0/16 */
    assert_string_equal(l3t_routes(h, buf, sizeof buf),
                        "10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.10\n"
                        "default via 10.0.0.2 dev eth0 proto vivarium metric 100\n");
}

/* ---- a host with one neighbour has no ARP map ------------------------------------------ */

/* h talks to one neighbour: found from the host, no map. A second and a third go in the map
 * (the first with them); as they age out, lookups still find each one that is left. */
static void test_scale__arp_one_neighbour_without_a_map(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 4, NULL), 0);
    viv_host_t *hs[4];
    for (int i = 0; i < 4; i++) {
        char cidr[24];
        hs[i] = l3t_host(sim, NULL, 1);
        snprintf(cidr, sizeof cidr, "10.0.0.%d/24", i + 1);
        l3t_addr(hs[i], 0, cidr);
        l3t_link(sim, viv_host_port(hs[i], 0), viv_switch_port(sw, (uint32_t)i), NULL);
    }
    viv_host_t *h = hs[0];
    l3t_pings a, b, c;
    l3t_ping(h, VIV_IP4(10, 0, 0, 2), 2, 0, &a);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(3)), 0);
    assert_int_equal(a.r[1].event, VIV_PING_REPLY);
    assert_int_equal(h->narp, 1);
    assert_int_equal(h->arp_map.cap, 0);
    assert_int_equal(hs[1]->arp_map.cap, 0); /* it learnt h from the request */
    /* A second neighbour 30 s later, a third 30 s after that. */
    assert_int_equal(viv_sim_run_for(sim, VIV_S(27)), 0);
    l3t_ping(h, VIV_IP4(10, 0, 0, 3), 1, 0, &b);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(30)), 0);
    l3t_ping(h, VIV_IP4(10, 0, 0, 4), 1, 0, &c);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(b.r[0].event, VIV_PING_REPLY);
    assert_int_equal(c.r[0].event, VIV_PING_REPLY);
    assert_int_equal(h->narp, 3);
    assert_int_equal(h->arp_map.len, 3);
    /* 10.0.0.2 ages out at 62 s, 10.0.0.3 at 92 s: one left, looked up from the host. */
    assert_int_equal(viv_sim_run_for(sim, VIV_S(35)), 0);
    viv_arp_entry rows[4];
    assert_int_equal(viv_host_arp_table(h, rows, 4), 1);
    assert_int_equal(rows[0].ip, VIV_IP4(10, 0, 0, 4));
    assert_int_equal(h->arp_map.len, 1);
    l3t_pings d;
    l3t_ping(h, VIV_IP4(10, 0, 0, 4), 1, 0, &d);
    uint64_t requests = l3t_stats(h).arp_requests;
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(d.r[0].event, VIV_PING_REPLY);
    assert_int_equal(l3t_stats(h).arp_requests, requests); /* found: no request */
    /* And a new second neighbour joins the map with it. */
    l3t_pings e;
    l3t_ping(h, VIV_IP4(10, 0, 0, 2), 1, 0, &e);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(e.r[0].event, VIV_PING_REPLY);
    assert_int_equal(h->narp, 2);
    assert_int_equal(h->arp_map.len, 2);
    assert_int_equal(viv_host_arp_table(h, rows, 4), 2);
}

/* ---- computed routes under allocation failures ----------------------------------------- */

/* Two LANs behind a router, one end host with a static route (a route per prefix, and its
 * table must grow), and hosts that take a default route: every allocation the computation
 * makes fails in turn; each failure leaves every table as it was, and nothing leaks. */
static void test_scale__compute_routes_all_or_nothing(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    viv_host_t *r = l3t_router(sim, "r", 3);
    viv_host_t *h[6];
    for (int k = 0; k < 3; k++) {
        viv_switch_t *sw;
        assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
        char cidr[24];
        snprintf(cidr, sizeof cidr, "10.0.%d.1/24", k);
        l3t_addr(r, (uint32_t)k, cidr);
        l3t_link(sim, viv_host_port(r, (uint32_t)k), viv_switch_port(sw, 0), NULL);
        for (int i = 0; i < 2; i++) {
            viv_host_t *x = h[2 * k + i] = l3t_host(sim, NULL, 1);
            snprintf(cidr, sizeof cidr, "10.0.%d.%d/24", k, 10 + i);
            l3t_addr(x, 0, cidr);
            l3t_link(sim, viv_host_port(x, 0), viv_switch_port(sw, (uint32_t)i + 1), NULL);
        }
    }
    assert_int_equal(viv_host_route_add(h[0], VIV_IP4(172, 16, 0, 0), 12, VIV_IP4(10, 0, 0, 11),
                                        -1, 0),
                     0);
    char before[7][512], after[512];
    viv_host_t *all[7] = {r, h[0], h[1], h[2], h[3], h[4], h[5]};
    int failures = 0;
    for (uint64_t n = 1;; n++) {
        for (int i = 0; i < 7; i++)
            l3t_routes(all[i], before[i], sizeof before[i]);
        uint64_t calls = fx->alloc.calls;
        fx->alloc.fail_at = calls + n;
        int rc = viv_sim_compute_routes(sim);
        fx->alloc.fail_at = 0;
        if (rc >= 0) {
            /* Done once the computation makes fewer than n allocations; a failure it can
             * absorb (shrinking scratch memory) must not change the result. */
            assert_int_equal(rc, 2 + 5); /* h[0]: per prefix; the other five: a default */
            if (fx->alloc.calls - calls < n)
                break;
            continue;
        }
        assert_int_equal(rc, VIV_ENOMEM);
        failures++;
        for (int i = 0; i < 7; i++)
            assert_string_equal(l3t_routes(all[i], after, sizeof after), before[i]);
    }
    assert_true(failures > 20);
    assert_string_equal(l3t_routes(h[0], after, sizeof after),
                        "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.10\n"
                        "10.0.1.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.2.0/24 via 10.0.0.1 dev eth0 proto vivarium metric 100\n"
                        "172.16.0.0/12 via 10.0.0.11 dev eth0 proto static\n");
    assert_string_equal(l3t_routes(h[5], after, sizeof after),
                        "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.11\n"
                        "default via 10.0.2.1 dev eth0 proto vivarium metric 100\n");
}

/* ---- a path chosen once serves a prefix --------------------------------------------------- */

/* viv__ip_path_reuse must answer exactly as viv__ip_route, or decline: a router with
 * addresses on several prefixes (a /24, a /30, a /31, a /32), static routes nested inside
 * one another and a default, and 20,000 destinations drawn near every prefix's edges, each
 * tried against a path chosen for another destination. */
static void test_scale__path_reuse_answers_as_a_fresh_choice(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *r;
    assert_int_equal(viv_router_new(&r, sim, 4, NULL), 0);
    assert_int_equal(viv_host_add_addr(r, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(r, 1, VIV_IP4(10, 0, 1, 1), 30), 0);
    assert_int_equal(viv_host_add_addr(r, 2, VIV_IP4(10, 0, 2, 0), 31), 0);
    assert_int_equal(viv_host_add_addr(r, 3, VIV_IP4(10, 0, 3, 9), 32), 0);
    assert_int_equal(viv_host_route_add(r, VIV_IP4(172, 16, 0, 0), 12, VIV_IP4(10, 0, 0, 2), -1, 0), 0);
    assert_int_equal(viv_host_route_add(r, VIV_IP4(172, 16, 5, 0), 24, VIV_IP4(10, 0, 1, 2), -1, 0), 0);
    assert_int_equal(viv_host_route_add(r, VIV_IP4(172, 16, 5, 128), 25, VIV_IP4(10, 0, 0, 3), -1, 0), 0);
    assert_int_equal(viv_host_route_add(r, VIV_IP4(192, 168, 0, 0), 16, VIV_IP4(10, 0, 0, 4), -1, 0), 0);
    assert_int_equal(viv_host_set_gateway(r, VIV_IP4(10, 0, 0, 254)), 0);
    static const viv_ip4_t bases[] = {
        VIV_IP4(10, 0, 0, 0),    VIV_IP4(10, 0, 1, 0),   VIV_IP4(10, 0, 2, 0),
        VIV_IP4(10, 0, 3, 9),    VIV_IP4(172, 16, 0, 0), VIV_IP4(172, 16, 5, 0),
        VIV_IP4(172, 16, 5, 128), VIV_IP4(192, 168, 0, 0), VIV_IP4(8, 8, 8, 8),
        VIV_IP4(255, 255, 255, 255),
    };
    uint64_t x = 88172645463325252ull;
    int reused = 0;
    for (int n = 0; n < 20000; n++) {
        viv_ip4_t d[2];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        viv_ip4_t base = bases[(x >> 8) % (sizeof bases / sizeof bases[0])];
        for (int j = 0; j < 2; j++) { /* two near one base (or far, one time in four) */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint32_t spread = (uint32_t)(x >> 40) % 4 == 0 ? 0xffffffu : 0x1ffu;
            d[j] = base + (uint32_t)((x >> 20) & spread) - (spread == 0x1ffu ? 0x100u : 0);
        }
        viv_ip4_t src = (n & 1) ? VIV_IP4_ANY : VIV_IP4(10, 0, 0, 1);
        viv__ip_path p, fresh, again;
        if (viv__ip_route(r, src, d[0], &p) < 0)
            continue;
        int rf = viv__ip_route(r, src, d[1], &fresh);
        if (viv__ip_path_reuse(r, &p, d[1], &again) == 0) {
            reused++;
            assert_int_equal(rf, 0);
            assert_memory_equal(&again, &fresh, sizeof fresh);
        }
    }
    print_message("reused %d of 20000\n", reused);
    assert_true(reused > 500); /* it does serve (731 here) */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_scale__address_index_agrees_with_a_scan),
        T(test_scale__address_index_out_of_memory),
        T(test_scale__router_with_4000_interfaces),
        T(test_scale__computed_default_route_and_exceptions),
        T(test_scale__arp_one_neighbour_without_a_map),
        T(test_scale__compute_routes_all_or_nothing),
        T(test_scale__path_reuse_answers_as_a_fresh_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
