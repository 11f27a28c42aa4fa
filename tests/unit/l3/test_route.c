/* Routing tables and the route helper: longest-prefix match whatever the insertion order,
 * metric and age among equal prefixes, the listing and its text, argument errors; and
 * viv_sim_compute_routes() on small topologies (exact tables, ties, cuts, devices, switches
 * off) and on 1,000 hosts (correct and fast; the time is printed, never asserted). */
#define _POSIX_C_SOURCE 200809L
#include "l3_test.h"

#include "l3/l3.h"

#include <time.h>

/* ---- longest prefix match -------------------------------------------------------------- */

typedef struct rt_spec {
    const char *dst;
    unsigned gw; /* 192.168.0.<gw> */
} rt_spec;

static const rt_spec lpm_routes[5] = {
    {"0.0.0.0/0", 1},   {"10.0.0.0/8", 2},    {"10.1.0.0/16", 3},
    {"10.1.2.0/24", 4}, {"10.1.2.128/25", 5},
};

/* Next permutation in lexicographic order; 0 after the last. */
static int next_perm(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return 0;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return 1;
}

static void test_route__longest_prefix_in_every_insertion_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "192.168.0.9/24");
    static const struct {
        const char *dst;
        unsigned gw; /* 0: on-link */
    } q[] = {
        {"10.1.2.200", 5}, {"10.1.2.128", 5}, {"10.1.2.255", 5},    {"10.1.2.127", 4},
        {"10.1.2.0", 4},   {"10.1.3.1", 3},   {"10.1.255.255", 3},  {"10.2.0.1", 2},
        {"10.255.0.0", 2}, {"11.0.0.1", 1},   {"9.255.255.255", 1}, {"192.168.0.77", 0},
    };
    static const char *const order[6] = {"10.1.2.128/25", "192.168.0.0/24", "10.1.2.0/24",
                                         "10.1.0.0/16",   "10.0.0.0/8",     "0.0.0.0/0"};
    int perm[5] = {0, 1, 2, 3, 4};
    int perms = 0;
    do {
        for (int i = 0; i < 5; i++) {
            const rt_spec *s = &lpm_routes[perm[i]];
            viv_ip4_t dst;
            uint8_t len;
            assert_int_equal(viv_ip4_parse_prefix(&dst, &len, s->dst), 0);
            assert_int_equal(viv_host_route_add(h, dst, len, VIV_IP4(192, 168, 0, s->gw), -1, 0),
                             0);
        }
        for (size_t k = 0; k < VIV__ARRAY_LEN_T(q); k++) {
            viv_route r;
            assert_int_equal(viv_host_route_lookup(&r, h, l3t_ip4(q[k].dst)), 0);
            assert_int_equal(r.gateway, q[k].gw ? VIV_IP4(192, 168, 0, q[k].gw) : 0);
            assert_int_equal(r.iface, 0);
            assert_int_equal(r.src, VIV_IP4(192, 168, 0, 9));
        }
        viv_route rows[8];
        assert_int_equal(viv_host_routes(h, rows, 8), 6);
        for (int i = 0; i < 6; i++) {
            char text[24], ip[VIV_IP4_STRLEN];
            viv_ip4_format(rows[i].dst, ip, sizeof ip);
            snprintf(text, sizeof text, "%s/%u", ip, rows[i].prefix_len);
            assert_string_equal(text, order[i]);
        }
        for (int i = 0; i < 5; i++) {
            viv_ip4_t dst;
            uint8_t len;
            assert_int_equal(viv_ip4_parse_prefix(&dst, &len, lpm_routes[i].dst), 0);
            assert_int_equal(viv_host_route_del(h, dst, len), 1);
        }
        assert_int_equal(viv_host_routes(h, NULL, 0), 1);
        perms++;
    } while (next_perm(perm, 5));
    assert_int_equal(perms, 120);
}

static void test_route__metric_then_age_and_text(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 2);
    l3t_addr(h, 0, "192.168.0.9/24");
    l3t_addr(h, 1, "172.16.0.9/16");
    viv_ip4_t net = VIV_IP4(10, 5, 0, 0);
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 1), -1, 5), 0);
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 0, 2), -1, 1), 0);
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 3), -1, 1), 0);
    viv_route r;
    assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(10, 5, 1, 1)), 0);
    assert_int_equal(r.gateway, VIV_IP4(172, 16, 0, 2)); /* metric 1, older than .3 */
    assert_int_equal(r.iface, 1);
    assert_int_equal(r.src, VIV_IP4(172, 16, 0, 9));
    assert_int_equal(r.origin, VIV_ROUTE_STATIC);
    assert_int_equal(r.metric, 1);
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(192, 168, 0, 254)), 0);
    assert_int_equal(viv_host_route_add(h, VIV_IP4(10, 6, 0, 0), 16, 0, 1, 0), 0); /* on-link */
    char buf[1024];
    assert_string_equal(l3t_routes(h, buf, sizeof buf),
                        "192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.9\n"
                        "172.16.0.0/16 dev eth1 proto kernel scope link src 172.16.0.9\n"
                        "10.6.0.0/16 dev eth1 proto static\n"
                        "10.5.0.0/16 via 172.16.0.2 dev eth1 proto static metric 1\n"
                        "10.5.0.0/16 via 192.168.0.3 dev eth0 proto static metric 1\n"
                        "10.5.0.0/16 via 192.168.0.1 dev eth0 proto static metric 5\n"
                        "default via 192.168.0.254 dev eth0\n");
    /* Text: snprintf-like. */
    int n = viv_host_routes_text(h, NULL, 0);
    assert_int_equal(n, (int)strlen(buf));
    char small[10];
    assert_int_equal(viv_host_routes_text(h, small, sizeof small), n);
    assert_string_equal(small, "192.168.0");
    assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(10, 6, 7, 7)), 0);
    assert_int_equal(r.gateway, 0);
    assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(8, 8, 8, 8)), 0);
    assert_int_equal(r.gateway, VIV_IP4(192, 168, 0, 254));
    assert_int_equal(viv_host_route_del(h, net, 16), 3);
    assert_int_equal(viv_host_route_del(h, net, 16), 0);
    /* Connected routes are not removed by route_del. */
    assert_int_equal(viv_host_route_del(h, VIV_IP4(192, 168, 0, 0), 24), 0);
    assert_int_equal(viv_host_route_del(h, 0, 0), 1);
    assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(8, 8, 8, 8)), VIV_ENETUNREACH);
    assert_int_equal(viv_host_route_lookup(NULL, h, VIV_IP4(192, 168, 0, 1)), 0);
    /* Removing the address removes its connected route. */
    assert_int_equal(viv_host_del_addr(h, VIV_IP4(172, 16, 0, 9)), 0);
    assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(172, 16, 1, 1)), VIV_ENETUNREACH);
}

static void test_route__bad_arguments(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "192.168.0.9/24");
    assert_int_equal(viv_host_route_add(h, 0, 33, VIV_IP4(192, 168, 0, 1), -1, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "prefix length above 32"));
    assert_int_equal(viv_host_route_add(h, 0, 0, VIV_IP4(192, 168, 0, 1), 3, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "no such interface"));
    assert_int_equal(viv_host_route_add(h, 0, 0, VIV_IP4(10, 0, 0, 1), -1, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "gateway is on no connected subnet of h"));
    assert_int_equal(viv_host_route_add(h, VIV_IP4(10, 0, 0, 0), 8, 0, -1, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "an on-link route needs an interface"));
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(192, 168, 0, 1)), 0);
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(192, 168, 0, 1)), VIV_EEXIST);
    assert_non_null(strstr(viv_sim_errmsg(sim), "the route exists"));
    assert_int_equal(viv_host_route_add(NULL, 0, 0, 1, 0, 0), VIV_EINVAL);
    assert_int_equal(viv_host_route_del(h, 0, 33), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_host_route_del: prefix length above 32"));
    assert_int_equal(viv_host_route_del(NULL, 0, 0), VIV_EINVAL);
    assert_int_equal(viv_host_route_lookup(NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_host_routes(NULL, NULL, 0), VIV_EINVAL);
    viv_route rows[1];
    assert_int_equal(viv_host_routes(h, NULL, 1), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "NULL rows"));
    assert_int_equal(viv_host_routes_text(h, NULL, 5), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "NULL buffer"));
    viv_ip4_t ip;
    assert_int_equal(viv_host_addr(&ip, NULL, h, 4), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_host_addr: no such interface"));
    assert_int_equal(viv_host_addr(NULL, NULL, h, 0), VIV_EINVAL);
    viv_host_t *bare = l3t_host(sim, "bare", 1);
    assert_int_equal(viv_host_addr(&ip, NULL, bare, 0), VIV_ENOENT);
    assert_non_null(strstr(viv_sim_errmsg(sim), "eth0 has no address"));
    assert_int_equal(viv_host_routes(h, rows, 1), 2);
    assert_int_equal(viv_host_routes_text(NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_sim_compute_routes(NULL), VIV_EINVAL);
    /* Addresses. */
    assert_int_equal(viv_host_add_addr(h, 1, VIV_IP4(10, 0, 0, 1), 24), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "no such interface"));
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 1), 33), VIV_EINVAL);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(224, 0, 0, 1), 24), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "not a unicast address"));
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 255), 24), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "network or broadcast"));
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 0), 24), VIV_EINVAL);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(192, 168, 0, 9), 24), VIV_EEXIST);
    assert_int_equal(viv_host_del_addr(h, VIV_IP4(1, 2, 3, 4)), VIV_ENOENT);
    assert_non_null(strstr(viv_sim_errmsg(sim), "no such address"));
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    io.mtu = 67;
    assert_int_equal(viv_host_add_iface(h, &io), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "MTU"));
    io.mtu = 0;
    io.mac.b[0] = 1;
    assert_int_equal(viv_host_add_iface(h, &io), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "unicast"));
    viv_host_t *r = NULL;
    assert_int_equal(viv_router_new(&r, sim, 5000, NULL), VIV_EINVAL);
    assert_null(r);
    assert_non_null(strstr(viv_sim_errmsg(sim), "4096"));
}

/* A gateway is a neighbour: a unicast address on a connected prefix of the route's interface,
 * not the host's own, not a network or broadcast address; interfaces are indexes or -1. */
static void test_route__gateway_must_be_a_neighbour(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 2);
    l3t_addr(h, 0, "192.168.0.9/24");
    l3t_addr(h, 1, "172.16.0.9/16");
    viv_ip4_t net = VIV_IP4(10, 5, 0, 0);
    /* Interfaces below -1 were taken as -1. */
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 1), -2, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_host_route_add: interface below -1"));
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 1), INT32_MIN, 0),
                     VIV_EINVAL);
    /* Broadcast, multicast and reserved gateways, with or without an interface. */
    static const viv_ip4_t not_unicast[] = {VIV_IP4(255, 255, 255, 255), VIV_IP4(224, 0, 0, 1),
                                            VIV_IP4(239, 1, 2, 3), VIV_IP4(240, 0, 0, 1)};
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(not_unicast); i++) {
        for (int ifc = -1; ifc <= 0; ifc++) {
            assert_int_equal(viv_host_route_add(h, net, 16, not_unicast[i], ifc, 0), VIV_EINVAL);
            assert_non_null(strstr(viv_sim_errmsg(sim), "is not a unicast address"));
        }
    }
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(224, 0, 0, 1), -1, 0), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "viv_host_route_add: gateway 224.0.0.1 is not a unicast address");
    /* The directed broadcast and the network address of a connected subnet. */
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 255), -1, 0), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "viv_host_route_add: gateway 192.168.0.255 on h/eth0 is the broadcast "
                        "address of a connected subnet");
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 255, 255), 1, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "broadcast address of a connected subnet"));
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 0), 0, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "network address of a connected subnet"));
    /* The host's own addresses, on either interface. */
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 9), -1, 0), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_host_route_add: gateway 192.168.0.9 on "
                                             "h/eth0 is an address of the host itself");
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 0, 9), 0, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "an address of the host itself"));
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(172, 16, 0, 9)), VIV_EINVAL);
    /* A gateway on another interface's subnet than the one chosen, or on none. */
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 0, 1), 0, 0), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_host_route_add: gateway 172.16.0.1 on h/eth0 "
                                             "is on no connected subnet of the interface");
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(8, 8, 8, 8), 1, 0), VIV_EINVAL);
    /* 0.0.0.0: on-link with an interface; meaningless as a gateway to follow. */
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4_ANY), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_host_set_gateway: 0.0.0.0 is not a gateway");
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4_ANY, -1, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "an on-link route needs an interface"));
    assert_int_equal(viv_host_routes(h, NULL, 0), 2); /* nothing was added */
    /* What stays allowed: neighbours, with the interface given or found, and on-link routes;
     * /31 has no network or broadcast address. */
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(192, 168, 0, 1), 0, 0), 0);
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 0, 1), -1, 1), 0);
    assert_int_equal(viv_host_route_add(h, net, 16, VIV_IP4(172, 16, 255, 254), 1, 2), 0);
    assert_int_equal(viv_host_route_add(h, VIV_IP4(10, 6, 0, 0), 16, VIV_IP4_ANY, 1, 0), 0);
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(192, 168, 0, 254)), 0);
    viv_host_t *p2p = l3t_host(sim, "p2p", 1);
    l3t_addr(p2p, 0, "10.9.9.0/31");
    assert_int_equal(viv_host_set_gateway(p2p, VIV_IP4(10, 9, 9, 1)), 0);
    assert_int_equal(viv_host_routes(h, NULL, 0), 7);
}

/* Every constructor and every call with a required out pointer refuses NULL with VIV_EINVAL
 * and creates nothing; outs documented as optional take NULL. */
static void test_route__null_out_is_einval(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "10.0.0.1/24");
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
    viv_subnet_t *sub;
    assert_int_equal(viv_subnet_new(&sub, sim, "10.0.0.0/24"), 0);
    viv_ping_t *ping;
    assert_int_equal(viv_ping_start(&ping, h, VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/null_out.pcap", VIV_TEST_TMPDIR);
    remove(path);
    const size_t live = fx->alloc.live_bytes;
    const size_t pending = viv_sim_pending(sim);

    assert_int_equal(viv_router_new(NULL, sim, 1, NULL), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_router_new: NULL out");
    assert_int_equal(viv_router_new(NULL, sim, 0, NULL), VIV_EINVAL);
    assert_int_equal(viv_router_new(NULL, NULL, 1, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_new(NULL, sim, NULL), VIV_EINVAL);
    assert_int_equal(viv_hub_new(NULL, sim, 2, NULL), VIV_EINVAL);
    assert_int_equal(viv_switch_new(NULL, sim, 2, NULL), VIV_EINVAL);
    assert_int_equal(viv_device_new(NULL, sim, 1, NULL), VIV_EINVAL);
    assert_int_equal(viv_subnet_new(NULL, sim, "10.1.0.0/16"), VIV_EINVAL);
    assert_int_equal(viv_pcap_open(NULL, sim, path, NULL), VIV_EINVAL);
    assert_null(fopen(path, "rb")); /* refused before the file was made */
    assert_int_equal(viv_link_new(NULL, sim, viv_host_port(h, 0), viv_switch_port(sw, 0), NULL),
                     VIV_EINVAL);
    assert_int_equal(viv_udp_new(NULL, h, NULL, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_new(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_mac(NULL, h, 0), VIV_EINVAL);
    assert_int_equal(viv_host_addr(NULL, NULL, h, 0), VIV_EINVAL);
    assert_int_equal(viv_host_ip_stats(NULL, h), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_host_ip_stats: NULL out");
    assert_int_equal(viv_switch_stats(NULL, sw), VIV_EINVAL);
    assert_int_equal(viv_port_stats(NULL, viv_switch_port(sw, 1)), VIV_EINVAL);
    assert_int_equal(viv_ping_stats(NULL, ping), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_ping_stats: NULL out");
    /* Nothing was made: no memory, no event. */
    assert_int_equal(fx->alloc.live_bytes, live);
    assert_int_equal(viv_sim_pending(sim), pending);

    /* Outputs documented as optional. */
    assert_int_equal(viv_host_route_lookup(NULL, h, VIV_IP4(10, 0, 0, 7)), 0);
    assert_int_equal(viv_subnet_prefix(NULL, NULL, sub), 0);
    viv_host_t *h2 = l3t_host(sim, "h2", 1);
    assert_int_equal(viv_subnet_attach(NULL, sub, h2, 0), 0);
    assert_int_equal(viv_host_addr(&(viv_ip4_t){0}, NULL, h2, 0), 0);
    assert_int_equal(viv_ping_start(NULL, h, VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL), 0);
    assert_int_equal(viv_traceroute_start(NULL, h, VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
}

/* Text printers with nothing (or only a header) to print: snprintf-like, so the buffer holds
 * a terminated string, and cap 0 with no buffer gives the length. */
static void test_route__text_printers_with_nothing_to_print(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1); /* no address: no route, no neighbour */
    viv_switch_t *sw;
    viv_switch_opts so = VIV_SWITCH_OPTS_INIT;
    so.name = "sw";
    assert_int_equal(viv_switch_new(&sw, sim, 2, &so), 0);
    static const char mac_empty[] = "          Mac Address Table (sw)\n"
                                    "-------------------------------------------\n"
                                    "Mac Address          Type       Port   Age(s)\n"
                                    "-----------------    -------    ----   ------\n"
                                    "Total Mac Addresses for this criterion: 0\n";
    static const char netstat_empty[] =
        "Active Internet connections (servers and established)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n";
    char buf[512];
    for (int which = 0; which < 4; which++) {
        const char *want = which == 2 ? mac_empty : which == 3 ? netstat_empty : "";
        int n0, n;
        memset(buf, 'X', sizeof buf);
        switch (which) {
        case 0:
            n0 = viv_host_routes_text(h, NULL, 0);
            n = viv_host_routes_text(h, buf, sizeof buf);
            break;
        case 1:
            n0 = viv_host_arp_table_text(h, NULL, 0);
            n = viv_host_arp_table_text(h, buf, sizeof buf);
            break;
        case 2:
            n0 = viv_switch_mac_table_text(sw, NULL, 0);
            n = viv_switch_mac_table_text(sw, buf, sizeof buf);
            break;
        default:
            n0 = viv_host_netstat_text(h, 0, NULL, 0);
            n = viv_host_netstat_text(h, 0, buf, sizeof buf);
            break;
        }
        assert_int_equal(n0, (int)strlen(want));
        assert_int_equal(n, n0);
        assert_string_equal(buf, want);
        /* One byte of room: just the terminator. */
        memset(buf, 'X', sizeof buf);
        switch (which) {
        case 0:
            n = viv_host_routes_text(h, buf, 1);
            break;
        case 1:
            n = viv_host_arp_table_text(h, buf, 1);
            break;
        case 2:
            n = viv_switch_mac_table_text(sw, buf, 1);
            break;
        default:
            n = viv_host_netstat_text(h, 0, buf, 1);
            break;
        }
        assert_int_equal(n, n0);
        assert_int_equal(buf[0], '\0');
        assert_int_equal(buf[1], 'X');
    }
}

/* viv_sim_compute_routes() with no host, with only a switch, and with hosts that have nothing
 * to route (no computed route at all: the table of found routes is never allocated). */
static void test_route__compute_with_nothing_to_compute(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    assert_int_equal(viv_sim_compute_routes(sim), 0);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 4, NULL), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 0);
    viv_host_t *lone = l3t_host(sim, "lone", 1);
    assert_int_equal(viv_sim_compute_routes(sim), 0);
    l3t_addr(lone, 0, "10.0.0.1/24");
    viv_host_t *peer = l3t_host(sim, "peer", 1);
    l3t_addr(peer, 0, "10.0.0.2/24");
    l3t_link(sim, viv_host_port(lone, 0), viv_switch_port(sw, 0), NULL);
    l3t_link(sim, viv_host_port(peer, 0), viv_switch_port(sw, 1), NULL);
    assert_int_equal(viv_sim_compute_routes(sim), 0);
    assert_int_equal(viv_host_routes(lone, NULL, 0), 1);
    assert_int_equal(viv_host_routes(peer, NULL, 0), 1);
}

/* ---- the route helper: a small topology ------------------------------------------------ */

/* hA1, hA2 on a hub (10.0.1.0/24) with r1; r1 -- r2 on 10.0.12.0/30; r2 on a switch
 * (10.0.3.0/24) with hC1. */
typedef struct small {
    viv_host_t *hA1, *hA2, *r1, *r2, *hC1;
    viv_hub_t *hub;
    viv_switch_t *sw;
    viv_link_t *l12;
} small;

static void small_build(small *t, viv_sim_t *sim)
{
    t->hA1 = l3t_host(sim, "hA1", 1);
    t->hA2 = l3t_host(sim, "hA2", 1);
    assert_int_equal(viv_hub_new(&t->hub, sim, 4, NULL), 0);
    t->r1 = l3t_router(sim, "r1", 2);
    t->r2 = l3t_router(sim, "r2", 2);
    assert_int_equal(viv_switch_new(&t->sw, sim, 4, NULL), 0);
    t->hC1 = l3t_host(sim, "hC1", 1);
    viv_subnet_t *a, *p2p, *c;
    assert_int_equal(viv_subnet_new(&a, sim, "10.0.1.0/24"), 0);
    assert_int_equal(viv_subnet_new(&p2p, sim, "10.0.12.0/30"), 0);
    assert_int_equal(viv_subnet_new(&c, sim, "10.0.3.0/24"), 0);
    assert_int_equal(viv_subnet_attach(NULL, a, t->r1, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, a, t->hA1, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, a, t->hA2, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, p2p, t->r1, 1), 0);
    assert_int_equal(viv_subnet_attach(NULL, p2p, t->r2, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, c, t->r2, 1), 0);
    assert_int_equal(viv_subnet_attach(NULL, c, t->hC1, 0), 0);
    l3t_link(sim, viv_host_port(t->hA1, 0), viv_hub_port(t->hub, 0), NULL);
    l3t_link(sim, viv_host_port(t->hA2, 0), viv_hub_port(t->hub, 1), NULL);
    l3t_link(sim, viv_host_port(t->r1, 0), viv_hub_port(t->hub, 2), NULL);
    t->l12 = l3t_link(sim, viv_host_port(t->r1, 1), viv_host_port(t->r2, 0), NULL);
    l3t_link(sim, viv_host_port(t->r2, 1), viv_switch_port(t->sw, 0), NULL);
    l3t_link(sim, viv_host_port(t->hC1, 0), viv_switch_port(t->sw, 1), NULL);
}

/* End hosts on one subnet get a default route via their router (issue 17: not a route per
 * prefix); routers get a route per prefix. */
static const char small_hA1[] = "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.2\n"
                                "default via 10.0.1.1 dev eth0 proto vivarium metric 100\n";
static const char small_r1[] = "10.0.12.0/30 dev eth1 proto kernel scope link src 10.0.12.1\n"
                               "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1\n"
                               "10.0.3.0/24 via 10.0.12.2 dev eth1 proto vivarium metric 100\n";
static const char small_r2[] = "10.0.12.0/30 dev eth0 proto kernel scope link src 10.0.12.2\n"
                               "10.0.3.0/24 dev eth1 proto kernel scope link src 10.0.3.1\n"
                               "10.0.1.0/24 via 10.0.12.1 dev eth0 proto vivarium metric 100\n";
static const char small_hC1[] = "10.0.3.0/24 dev eth0 proto kernel scope link src 10.0.3.2\n"
                                "default via 10.0.3.1 dev eth0 proto vivarium metric 100\n";

static void test_route__compute_small_topology_exact_tables(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    small t;
    small_build(&t, sim);
    char buf[1024];
    assert_int_equal(viv_sim_compute_routes(sim), 5);
    assert_string_equal(l3t_routes(t.hA1, buf, sizeof buf), small_hA1);
    assert_string_equal(l3t_routes(t.r1, buf, sizeof buf), small_r1);
    assert_string_equal(l3t_routes(t.r2, buf, sizeof buf), small_r2);
    assert_string_equal(l3t_routes(t.hC1, buf, sizeof buf), small_hC1);
    viv_route r;
    assert_int_equal(viv_host_route_lookup(&r, t.hA2, VIV_IP4(10, 0, 3, 2)), 0);
    assert_int_equal(r.gateway, VIV_IP4(10, 0, 1, 1));
    assert_int_equal(r.origin, VIV_ROUTE_COMPUTED);
    assert_int_equal(r.metric, 100);
    assert_int_equal(r.src, VIV_IP4(10, 0, 1, 3));
    /* Again: the computed routes are replaced, not doubled. */
    assert_int_equal(viv_sim_compute_routes(sim), 5);
    assert_string_equal(l3t_routes(t.hA1, buf, sizeof buf), small_hA1);
    assert_string_equal(l3t_routes(t.hC1, buf, sizeof buf), small_hC1);
    /* A static route equal to a computed one is kept, and the computed one is not added; a
     * static default route stays. A host with routes of its own gets a route per prefix
     * (a computed default route could change what its own routes mean). */
    assert_int_equal(
        viv_host_route_add(t.hA2, VIV_IP4(10, 0, 3, 0), 24, VIV_IP4(10, 0, 1, 1), -1, 100), 0);
    assert_int_equal(viv_host_set_gateway(t.hC1, VIV_IP4(10, 0, 3, 1)), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 6);
    assert_string_equal(l3t_routes(t.hA2, buf, sizeof buf),
                        "10.0.12.0/30 via 10.0.1.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.3\n"
                        "10.0.3.0/24 via 10.0.1.1 dev eth0 proto static metric 100\n");
    assert_string_equal(l3t_routes(t.hC1, buf, sizeof buf),
                        "10.0.12.0/30 via 10.0.3.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.3.0/24 dev eth0 proto kernel scope link src 10.0.3.2\n"
                        "10.0.1.0/24 via 10.0.3.1 dev eth0 proto vivarium metric 100\n"
                        "default via 10.0.3.1 dev eth0\n");
    /* And the routes carry packets end to end. */
    l3t_pings log;
    l3t_ping(t.hA1, VIV_IP4(10, 0, 3, 2), 2, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    assert_int_equal(log.r[1].event, VIV_PING_REPLY);
    assert_int_equal(log.r[1].ttl, 62);
    /* Cut r1 -- r2: nothing crosses any more, so the routes through it go. */
    assert_int_equal(viv_link_set_up(t.l12, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 0);
    assert_string_equal(l3t_routes(t.hA1, buf, sizeof buf),
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.2\n");
    assert_int_equal(viv_link_set_up(t.l12, VIV_LINK_AB, 1), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 6);
    assert_string_equal(l3t_routes(t.hA1, buf, sizeof buf), small_hA1);
    /* A switch that is off joins nothing: hC1 is cut off from r2. */
    assert_int_equal(viv_node_set_up(viv_switch_node(t.sw), 0), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 3); /* hA1 (default), hA2: 12/30; r2 */
    assert_string_equal(l3t_routes(t.r1, buf, sizeof buf),
                        "10.0.12.0/30 dev eth1 proto kernel scope link src 10.0.12.1\n"
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1\n");
}

/* A triangle of routers, each with a LAN; cutting one side routes around it. */
static void test_route__compute_routes_around_a_cut(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *r[3], *h[3];
    viv_link_t *side[3]; /* side[i] joins r[i] and r[(i + 1) % 3] */
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "r%d", i + 1);
        r[i] = l3t_router(sim, name, 3);
    }
    for (int i = 0; i < 3; i++) {
        char name[8], cidr[24];
        snprintf(name, sizeof name, "h%d", i + 1);
        h[i] = l3t_host(sim, name, 1);
        snprintf(cidr, sizeof cidr, "10.0.%d.1/24", i + 1);
        l3t_addr(r[i], 0, cidr);
        snprintf(cidr, sizeof cidr, "10.0.%d.2/24", i + 1);
        l3t_addr(h[i], 0, cidr);
        l3t_link(sim, viv_host_port(r[i], 0), viv_host_port(h[i], 0), NULL);
    }
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3;
        char cidr[24];
        /* Side i: 10.1.i.0/30, r[i] .1 on eth1, r[j] .2 on eth2. */
        snprintf(cidr, sizeof cidr, "10.1.%d.1/30", i);
        l3t_addr(r[i], 1, cidr);
        snprintf(cidr, sizeof cidr, "10.1.%d.2/30", i);
        l3t_addr(r[j], 2, cidr);
        side[i] = l3t_link(sim, viv_host_port(r[i], 1), viv_host_port(r[j], 2), NULL);
    }
    assert_true(viv_sim_compute_routes(sim) > 0);
    viv_route rt;
    /* r1 reaches h2's LAN directly over side 0 (r1 eth1 -- r2 eth2). */
    assert_int_equal(viv_host_route_lookup(&rt, r[0], VIV_IP4(10, 0, 2, 2)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 1, 0, 2));
    assert_int_equal(rt.iface, 1);
    /* Side 2 (r3 -- r1) is one hop from r1 too; side 1 (r2 -- r3) two. r1 to 10.1.1.0/30: r2
     * and r3 are both one router away; r2 was created first. */
    assert_int_equal(viv_host_route_lookup(&rt, r[0], VIV_IP4(10, 1, 1, 1)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 1, 0, 2));
    /* Cut side 0 in one direction only: a link must be up both ways to count. */
    assert_int_equal(viv_link_set_up(side[0], VIV_LINK_BA, 0), 0);
    assert_true(viv_sim_compute_routes(sim) > 0);
    assert_int_equal(viv_host_route_lookup(&rt, r[0], VIV_IP4(10, 0, 2, 2)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 1, 2, 1)); /* via r3 (its eth1 on side 2) */
    assert_int_equal(rt.iface, 2);
    assert_int_equal(viv_host_route_lookup(&rt, r[1], VIV_IP4(10, 0, 1, 2)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 1, 1, 2)); /* r2 -> r3 */
    /* Pings from h1 to h2 go h1 r1 r3 r2 h2: TTL 64 - 3 on arrival, and back the same way. */
    l3t_pings log;
    l3t_ping(h[0], VIV_IP4(10, 0, 2, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    assert_int_equal(log.r[0].ttl, 61);
    viv_ip_stats_t s3 = l3t_stats(r[2]);
    assert_int_equal(s3.ip_forwarded, 2);
    /* Restored: back to the direct side. */
    assert_int_equal(viv_link_set_up(side[0], VIV_LINK_BA, 1), 0);
    assert_true(viv_sim_compute_routes(sim) > 0);
    assert_int_equal(viv_host_route_lookup(&rt, r[0], VIV_IP4(10, 0, 2, 2)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 1, 0, 2));
}

/* Ties: among routers equally far, the one created first; then its lowest interface. */
static void test_route__compute_ties(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    viv_host_t *rb = l3t_router(sim, "rb", 2); /* created first, higher address */
    viv_host_t *ra = l3t_router(sim, "ra", 2);
    viv_switch_t *lan, *far;
    assert_int_equal(viv_switch_new(&lan, sim, 4, NULL), 0);
    assert_int_equal(viv_switch_new(&far, sim, 4, NULL), 0);
    l3t_addr(h, 0, "10.0.1.100/24");
    l3t_addr(ra, 0, "10.0.1.1/24");
    l3t_addr(rb, 0, "10.0.1.2/24");
    l3t_addr(ra, 1, "10.0.9.1/24");
    l3t_addr(rb, 1, "10.0.9.2/24");
    l3t_link(sim, viv_host_port(h, 0), viv_switch_port(lan, 0), NULL);
    l3t_link(sim, viv_host_port(ra, 0), viv_switch_port(lan, 1), NULL);
    l3t_link(sim, viv_host_port(rb, 0), viv_switch_port(lan, 2), NULL);
    l3t_link(sim, viv_host_port(ra, 1), viv_switch_port(far, 0), NULL);
    l3t_link(sim, viv_host_port(rb, 1), viv_switch_port(far, 1), NULL);
    assert_int_equal(viv_sim_compute_routes(sim), 1);
    viv_route rt;
    assert_int_equal(viv_host_route_lookup(&rt, h, VIV_IP4(10, 0, 9, 50)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 0, 1, 2));

    /* One router with two interfaces on the same LAN: the lower interface's address. */
    viv_test_alloc a2;
    viv_sim_t *s2 = viv_test_sim_new(&a2, 1);
    viv_host_t *h2 = l3t_host(s2, "h", 1);
    viv_host_t *rc = l3t_router(s2, "rc", 3);
    viv_switch_t *sw, *sw2;
    assert_int_equal(viv_switch_new(&sw, s2, 4, NULL), 0);
    assert_int_equal(viv_switch_new(&sw2, s2, 4, NULL), 0);
    l3t_addr(h2, 0, "10.0.1.100/24");
    l3t_addr(rc, 0, "10.0.1.20/24");
    l3t_addr(rc, 1, "10.0.1.9/24");
    l3t_addr(rc, 2, "10.0.9.1/24");
    l3t_link(s2, viv_host_port(h2, 0), viv_switch_port(sw, 0), NULL);
    l3t_link(s2, viv_host_port(rc, 1), viv_switch_port(sw, 1), NULL);
    l3t_link(s2, viv_host_port(rc, 0), viv_switch_port(sw, 2), NULL);
    l3t_link(s2, viv_host_port(rc, 2), viv_switch_port(sw2, 0), NULL);
    assert_int_equal(viv_sim_compute_routes(s2), 1);
    assert_int_equal(viv_host_route_lookup(&rt, h2, VIV_IP4(10, 0, 9, 50)), 0);
    assert_int_equal(rt.gateway, VIV_IP4(10, 0, 1, 20));
    viv_test_sim_free(s2, &a2);
}

/* Devices are opaque: a path through one is no path. End hosts never forward. */
static void test_route__compute_stops_at_devices_and_end_hosts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1);
    viv_host_t *r = l3t_router(sim, "r", 3);
    viv_host_t *m = l3t_host(sim, "m", 2); /* multi-homed, not forwarding */
    viv_host_t *h2 = l3t_host(sim, "h2", 1);
    viv_device_t *dev;
    assert_int_equal(viv_device_new(&dev, sim, 2, NULL), 0);
    viv_host_t *r2 = l3t_router(sim, "r2", 2);
    viv_host_t *h5 = l3t_host(sim, "h5", 1);
    l3t_addr(h1, 0, "10.0.1.2/24");
    l3t_addr(r, 0, "10.0.1.1/24");
    l3t_addr(r, 1, "10.0.2.1/24");
    l3t_addr(m, 0, "10.0.2.2/24");
    l3t_addr(m, 1, "10.0.3.1/24");
    l3t_addr(h2, 0, "10.0.3.2/24");
    l3t_addr(r, 2, "10.0.4.1/24");
    l3t_addr(r2, 0, "10.0.4.2/24");
    l3t_addr(r2, 1, "10.0.5.1/24");
    l3t_addr(h5, 0, "10.0.5.2/24");
    l3t_link(sim, viv_host_port(h1, 0), viv_host_port(r, 0), NULL);
    l3t_link(sim, viv_host_port(r, 1), viv_host_port(m, 0), NULL);
    l3t_link(sim, viv_host_port(m, 1), viv_host_port(h2, 0), NULL);
    /* r -- device -- r2: the device could be anything, so r and r2 share no segment. */
    l3t_link(sim, viv_host_port(r, 2), viv_device_port(dev, 0), NULL);
    l3t_link(sim, viv_device_port(dev, 1), viv_host_port(r2, 0), NULL);
    l3t_link(sim, viv_host_port(r2, 1), viv_host_port(h5, 0), NULL);
    /* h1: 10.0.2/24 and 10.0.4/24 via r; m: 10.0.1/24 and 10.0.4/24 via r; h5: 10.0.4/24 via
     * r2. Nothing crosses m (an end host) or the device. */
    assert_int_equal(viv_sim_compute_routes(sim), 4); /* m, on two subnets: per prefix */
    char buf[1024];
    assert_string_equal(l3t_routes(h1, buf, sizeof buf),
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.2\n"
                        "default via 10.0.1.1 dev eth0 proto vivarium metric 100\n");
    assert_string_equal(l3t_routes(m, buf, sizeof buf),
                        "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.2\n"
                        "10.0.3.0/24 dev eth1 proto kernel scope link src 10.0.3.1\n"
                        "10.0.1.0/24 via 10.0.2.1 dev eth0 proto vivarium metric 100\n"
                        "10.0.4.0/24 via 10.0.2.1 dev eth0 proto vivarium metric 100\n");
    assert_int_equal(viv_host_routes(h2, NULL, 0), 1);
    assert_int_equal(viv_host_routes(r2, NULL, 0), 2);
    assert_string_equal(l3t_routes(h5, buf, sizeof buf),
                        "10.0.5.0/24 dev eth0 proto kernel scope link src 10.0.5.2\n"
                        "default via 10.0.5.1 dev eth0 proto vivarium metric 100\n");
    /* m starts forwarding: now h1, r and h2 reach across it. */
    assert_int_equal(viv_host_set_forwarding(m, 1), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 6);
    assert_string_equal(l3t_routes(h2, buf, sizeof buf),
                        "10.0.3.0/24 dev eth0 proto kernel scope link src 10.0.3.2\n"
                        "default via 10.0.3.1 dev eth0 proto vivarium metric 100\n");
    assert_string_equal(l3t_routes(r, buf, sizeof buf),
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1\n"
                        "10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.1\n"
                        "10.0.4.0/24 dev eth2 proto kernel scope link src 10.0.4.1\n"
                        "10.0.3.0/24 via 10.0.2.2 dev eth1 proto vivarium metric 100\n");
    /* A node that is off joins nothing: r's eth1 and h2's eth0 face it, so they lead
     * nowhere. What is left: h1 -> 10.0.4.0/24 via r, h5 -> 10.0.4.0/24 via r2. */
    assert_int_equal(viv_node_set_up(viv_host_node(m), 0), 0);
    assert_int_equal(viv_sim_compute_routes(sim), 2);
    assert_string_equal(l3t_routes(h1, buf, sizeof buf),
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.2\n"
                        "default via 10.0.1.1 dev eth0 proto vivarium metric 100\n");
}

/* ---- 1,000 hosts ----------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_route__compute_thousand_hosts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { NSUB = 10, NPER = 100 };
    viv_host_t *core = l3t_router(sim, "core", NSUB);
    viv_host_t *hosts[NSUB][NPER];
    for (int k = 0; k < NSUB; k++) {
        viv_switch_t *sw;
        assert_int_equal(viv_switch_new(&sw, sim, NPER + 1, NULL), 0);
        char cidr[24];
        snprintf(cidr, sizeof cidr, "10.0.%d.0/24", k);
        viv_subnet_t *s;
        assert_int_equal(viv_subnet_new(&s, sim, cidr), 0);
        assert_int_equal(viv_subnet_attach(NULL, s, core, (uint32_t)k), 0);
        l3t_link(sim, viv_host_port(core, (uint32_t)k), viv_switch_port(sw, 0), NULL);
        for (int i = 0; i < NPER; i++) {
            hosts[k][i] = l3t_host(sim, NULL, 1);
            assert_int_equal(viv_subnet_attach(NULL, s, hosts[k][i], 0), 0);
            l3t_link(sim, viv_host_port(hosts[k][i], 0), viv_switch_port(sw, (uint32_t)i + 1),
                     NULL);
        }
    }
    double t0 = now_s();
    int n = viv_sim_compute_routes(sim);
    double t1 = now_s();
    assert_int_equal(n, NSUB * NPER); /* a default route each; the core is connected */
    n = viv_sim_compute_routes(sim);
    double t2 = now_s();
    assert_int_equal(n, NSUB * NPER);
    printf("compute_routes, %d hosts + 1 router: %.3f ms (first), %.3f ms (again)\n", NSUB * NPER,
           (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    char buf[2048];
    assert_string_equal(l3t_routes(hosts[3][41], buf, sizeof buf),
                        "10.0.3.0/24 dev eth0 proto kernel scope link src 10.0.3.43\n"
                        "default via 10.0.3.1 dev eth0 proto vivarium metric 100\n");
    assert_int_equal(viv_host_routes(core, NULL, 0), NSUB);
    /* A few pings across. */
    l3t_pings logs[3];
    l3t_ping(hosts[0][0], VIV_IP4(10, 0, 9, 101), 2, 0, &logs[0]);
    l3t_ping(hosts[5][50], VIV_IP4(10, 0, 2, 7), 2, 0, &logs[1]);
    l3t_ping(hosts[9][99], VIV_IP4(10, 0, 0, 2), 2, 0, &logs[2]);
    assert_int_equal(viv_sim_run(sim), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(logs[i].n, 2);
        assert_int_equal(logs[i].r[0].event, VIV_PING_REPLY);
        assert_int_equal(logs[i].r[1].event, VIV_PING_REPLY);
        assert_int_equal(logs[i].r[1].ttl, 63);
    }
}

/* ---- the table against a linear scan ---------------------------------------------------- */

/* A reference table as the array kept in lookup order (the implementation before the trie). */
typedef struct ref_rt {
    viv_ip4_t dst;
    uint8_t len;
    uint32_t metric, gw, order;
} ref_rt;

static int ref_before(const ref_rt *a, const ref_rt *b)
{
    if (a->len != b->len)
        return a->len > b->len;
    if (a->metric != b->metric)
        return a->metric < b->metric;
    return a->order < b->order;
}

/* Random static routes added and prefixes deleted (nested, overlapping, /0 to /32, equal
 * prefixes with several metrics): after every change, lookups of random and boundary
 * addresses and the whole listing match a sorted array scanned from the front. */
static void test_route__churn_matches_a_linear_scan(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "192.168.0.9/24");
    enum { CAP = 400 };
    static ref_rt ref[CAP];
    uint32_t n = 1, order = 1;
    ref[0] = (ref_rt){VIV_IP4(192, 168, 0, 0), 24, 0, 0, 0};
    uint64_t x = 88172645463325252u;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    static viv_route rows[CAP];
    for (int step = 0; step < 3000; step++) {
        uint32_t pick = (uint32_t)(RND() % 8);
        /* Prefixes from a small pool so that they nest and repeat. */
        uint8_t len = (uint8_t)(RND() % 33);
        viv_ip4_t dst = (VIV_IP4(10, 0, 0, 0) | (uint32_t)(RND() & 0x00030303u)) &
                        (len ? ~0u << (32 - len) : 0);
        if (pick < 6 && n < CAP) {
            uint32_t metric = (uint32_t)(RND() % 3), gw = 1 + (uint32_t)(RND() % 3);
            int rc = viv_host_route_add(h, dst, len, VIV_IP4(192, 168, 0, gw), 0, metric);
            int dup = 0;
            for (uint32_t i = 0; i < n; i++)
                dup |= ref[i].dst == dst && ref[i].len == len && ref[i].metric == metric &&
                       ref[i].gw == gw;
            if (dup) {
                assert_int_equal(rc, VIV_EEXIST);
            } else {
                assert_int_equal(rc, 0);
                ref_rt e = {dst, len, metric, gw, order++};
                uint32_t i = n++;
                while (i > 0 && ref_before(&e, &ref[i - 1])) {
                    ref[i] = ref[i - 1];
                    i--;
                }
                ref[i] = e;
            }
        } else {
            uint32_t w = 0, removed = 0;
            for (uint32_t i = 0; i < n; i++) {
                if (ref[i].gw && ref[i].dst == dst && ref[i].len == len)
                    removed++;
                else
                    ref[w++] = ref[i];
            }
            n = w;
            assert_int_equal(viv_host_route_del(h, dst, len), (int)removed);
        }
        assert_int_equal(viv_host_routes(h, rows, CAP), (int)n);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(rows[i].dst, ref[i].dst);
            assert_int_equal(rows[i].prefix_len, ref[i].len);
            assert_int_equal(rows[i].metric, ref[i].metric);
            assert_int_equal(rows[i].gateway, ref[i].gw ? VIV_IP4(192, 168, 0, ref[i].gw) : 0);
        }
        for (int q = 0; q < 16; q++) {
            viv_ip4_t a = q < 8 ? (VIV_IP4(10, 0, 0, 0) | (uint32_t)(RND() & 0x00030303u))
                                : (viv_ip4_t)RND();
            uint32_t i = 0;
            while (i < n && ((a ^ ref[i].dst) & (ref[i].len ? ~0u << (32 - ref[i].len) : 0)))
                i++;
            viv_route r;
            int rc = viv_host_route_lookup(&r, h, a);
            if (i == n) {
                assert_int_equal(rc, VIV_ENETUNREACH);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(r.dst, ref[i].dst);
            assert_int_equal(r.prefix_len, ref[i].len);
            assert_int_equal(r.metric, ref[i].metric);
            assert_int_equal(r.gateway, ref[i].gw ? VIV_IP4(192, 168, 0, ref[i].gw) : 0);
        }
    }
#undef RND
}

/* Lookup walks at most 33 trie nodes and insertion is logarithmic: 100,000 routes go in and
 * out quickly (timed, never asserted), and a host with its connected and default routes
 * costs a few hundred bytes of table. */
static void test_route__large_table_and_small_host(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    size_t b0 = fx->alloc.live_bytes;
    viv_host_t *lone = l3t_host(sim, "lone", 1);
    size_t b1 = fx->alloc.live_bytes;
    l3t_addr(lone, 0, "10.0.0.5/24");
    assert_int_equal(viv_host_set_gateway(lone, VIV_IP4(10, 0, 0, 1)), 0);
    size_t table = fx->alloc.live_bytes - b1;
    assert_true(table <= 384);
    (void)b0;
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "192.168.0.9/24");
    enum { N = 100000 };
    double t0 = now_s();
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(viv_host_route_add(h, VIV_IP4(10, 0, 0, 0) + (i << 8), 24,
                                            VIV_IP4(192, 168, 0, 1 + i % 3), 0, i % 5),
                         0);
    double t1 = now_s();
    assert_int_equal(viv_host_routes(h, NULL, 0), N + 1);
    for (uint32_t i = 0; i < N; i += 997) {
        viv_route r;
        assert_int_equal(viv_host_route_lookup(&r, h, VIV_IP4(10, 0, 0, 77) + (i << 8)), 0);
        assert_int_equal(r.dst, VIV_IP4(10, 0, 0, 0) + (i << 8));
        assert_int_equal(r.gateway, VIV_IP4(192, 168, 0, 1 + i % 3));
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(viv_host_route_del(h, VIV_IP4(10, 0, 0, 0) + (i << 8), 24), 1);
    double t2 = now_s();
    assert_int_equal(viv_host_routes(h, NULL, 0), 1);
    assert_int_equal(viv_host_route_lookup(NULL, h, VIV_IP4(10, 0, 1, 1)), VIV_ENETUNREACH);
    printf("100,000 routes: %.3f us per insertion, %.3f us per removal\n",
           (t1 - t0) * 1e6 / N, (t2 - t1) * 1e6 / N);
}

/* ---- the one route choice (viv__ip_route) ---------------------------------------------- */

/* What a transport asks layer 3 once: interface, next hop, source address and MTU. */
static void test_route__one_route_choice(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    io.mtu = 9000;
    assert_int_equal(viv_host_add_iface(h, &io), 1);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(h, 1, VIV_IP4(10, 9, 0, 1), 16), 0);
    assert_int_equal(viv_host_add_addr(h, 1, VIV_IP4(10, 9, 7, 7), 16), 0);
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(10, 9, 0, 254)), 0);
    viv__ip_path p;
    /* On-link: the destination is the next hop, the interface's primary address the
     * source, its MTU the path's. */
    assert_int_equal(viv__ip_route(h, VIV_IP4_ANY, VIV_IP4(10, 0, 0, 5), &p), 0);
    assert_int_equal(p.iface, 0);
    assert_int_equal(p.next_hop, VIV_IP4(10, 0, 0, 5));
    assert_int_equal(p.src, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(p.mtu, 1500);
    assert_false(p.local || p.bcast);
    /* Through the default gateway, on the 9000-byte interface. */
    assert_int_equal(viv__ip_route(h, VIV_IP4_ANY, VIV_IP4(192, 0, 2, 1), &p), 0);
    assert_int_equal(p.iface, 1);
    assert_int_equal(p.next_hop, VIV_IP4(10, 9, 0, 254));
    assert_int_equal(p.src, VIV_IP4(10, 9, 0, 1));
    assert_int_equal(p.mtu, 9000);
    /* A bound source is kept. */
    assert_int_equal(viv__ip_route(h, VIV_IP4(10, 9, 7, 7), VIV_IP4(192, 0, 2, 1), &p), 0);
    assert_int_equal(p.src, VIV_IP4(10, 9, 7, 7));
    /* Local: loopback, any size up to the IPv4 maximum. */
    assert_int_equal(viv__ip_route(h, VIV_IP4_ANY, VIV_IP4(10, 9, 7, 7), &p), 0);
    assert_true(p.local);
    assert_int_equal(p.src, VIV_IP4(10, 9, 7, 7));
    assert_int_equal(p.mtu, 65535);
    /* Broadcasts: limited (by the bound address's interface), directed (by its subnet's),
     * never through the gateway. */
    assert_int_equal(viv__ip_route(h, VIV_IP4(10, 9, 0, 1), VIV_IP4_BROADCAST, &p), 0);
    assert_true(p.bcast);
    assert_int_equal(p.iface, 1);
    assert_int_equal(p.next_hop, VIV_IP4_BROADCAST);
    assert_int_equal(viv__ip_route(h, VIV_IP4_ANY, VIV_IP4(10, 0, 0, 255), &p), 0);
    assert_true(p.bcast);
    assert_int_equal(p.iface, 0);
    assert_int_equal(p.next_hop, VIV_IP4(10, 0, 0, 255));
    assert_int_equal(p.src, VIV_IP4(10, 0, 0, 1));
    /* No route. */
    viv_host_t *lone;
    assert_int_equal(viv_host_new(&lone, sim, NULL), 0);
    assert_int_equal(viv__ip_route(lone, VIV_IP4_ANY, VIV_IP4(192, 0, 2, 1), &p),
                     VIV_ENETUNREACH);
    assert_int_equal(viv__ip_route(lone, VIV_IP4_ANY, VIV_IP4_BROADCAST, &p), VIV_ENETUNREACH);
    assert_true(p.bcast);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_route__longest_prefix_in_every_insertion_order),
        T(test_route__one_route_choice),
        T(test_route__metric_then_age_and_text),
        T(test_route__bad_arguments),
        T(test_route__gateway_must_be_a_neighbour),
        T(test_route__null_out_is_einval),
        T(test_route__text_printers_with_nothing_to_print),
        T(test_route__compute_with_nothing_to_compute),
        T(test_route__compute_small_topology_exact_tables),
        T(test_route__compute_routes_around_a_cut),
        T(test_route__compute_ties),
        T(test_route__compute_stops_at_devices_and_end_hosts),
        T(test_route__compute_thousand_hosts),
        T(test_route__churn_matches_a_linear_scan),
        T(test_route__large_table_and_small_host),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
