/* Subnets: addresses handed out lowest first, network and broadcast skipped except on /31 and
 * /32, chosen addresses respected, the interface configured (address and connected route),
 * memory in proportion to what was given, and clear errors. */
#include "l3_test.h"

static viv_subnet_t *subnet(viv_sim_t *sim, const char *cidr)
{
    viv_subnet_t *s = NULL;
    assert_int_equal(viv_subnet_new(&s, sim, cidr), 0);
    assert_non_null(s);
    return s;
}

static void test_subnet__hands_out_lowest_first_and_configures(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_subnet_t *s = subnet(sim, "10.0.1.0/24");
    viv_host_t *h[3];
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "h%d", i + 1);
        h[i] = l3t_host(sim, name, 1);
        viv_ip4_t ip = 0;
        assert_int_equal(viv_subnet_attach(&ip, s, h[i], 0), 0);
        assert_int_equal(ip, VIV_IP4(10, 0, 1, (unsigned)i + 1));
    }
    viv_ip4_t ip;
    uint8_t len;
    assert_int_equal(viv_host_addr(&ip, &len, h[2], 0), 0);
    assert_int_equal(ip, VIV_IP4(10, 0, 1, 3));
    assert_int_equal(len, 24);
    char buf[256];
    assert_string_equal(l3t_routes(h[2], buf, sizeof buf),
                        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.3\n");
    /* A router's second interface on the same subnet object gets the next address; NULL for
     * ip_out is allowed. */
    viv_host_t *r = l3t_router(sim, "r", 2);
    assert_int_equal(viv_subnet_attach(NULL, s, r, 1), 0);
    assert_int_equal(viv_host_addr(&ip, NULL, r, 1), 0);
    assert_int_equal(ip, VIV_IP4(10, 0, 1, 4));
    assert_int_equal(viv_subnet_prefix(&ip, &len, s), 0);
    assert_int_equal(ip, VIV_IP4(10, 0, 1, 0));
    assert_int_equal(len, 24);
    assert_int_equal(viv_subnet_prefix(NULL, NULL, s), 0);
    assert_int_equal(viv_subnet_broadcast(s), VIV_IP4(10, 0, 1, 255));
}

static void test_subnet__chosen_addresses_are_skipped_and_gaps_filled(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_subnet_t *s = subnet(sim, "192.168.5.0/24");
    viv_host_t *h = l3t_host(sim, "h", 8);
    assert_int_equal(viv_subnet_attach_ip(s, h, 0, VIV_IP4(192, 168, 5, 5)), 0);
    assert_int_equal(viv_subnet_attach_ip(s, h, 1, VIV_IP4(192, 168, 5, 3)), 0);
    assert_int_equal(viv_subnet_attach_ip(s, h, 2, VIV_IP4(192, 168, 5, 1)), 0);
    const unsigned want[5] = {2, 4, 6, 7, 8};
    for (int i = 0; i < 5; i++) {
        viv_ip4_t ip;
        assert_int_equal(viv_subnet_attach(&ip, s, h, 3 + (uint32_t)i), 0);
        assert_int_equal(ip, VIV_IP4(192, 168, 5, want[i]));
    }
    /* A given address cannot be given again. */
    viv_host_t *g = l3t_host(sim, "g", 1);
    assert_int_equal(viv_subnet_attach_ip(s, g, 0, VIV_IP4(192, 168, 5, 4)), VIV_EADDRINUSE);
    assert_non_null(strstr(viv_sim_errmsg(sim), "192.168.5.4 was already given"));
    assert_int_equal(viv_host_has_addr(g, VIV_IP4(192, 168, 5, 4)), 0);
}

static void test_subnet__small_prefixes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 4);
    viv_ip4_t ip;
    /* /30: two usable addresses, .1 and .2. */
    viv_subnet_t *s30 = subnet(sim, "10.9.0.4/30");
    assert_int_equal(viv_subnet_attach(&ip, s30, h, 0), 0);
    assert_int_equal(ip, VIV_IP4(10, 9, 0, 5));
    assert_int_equal(viv_subnet_attach(&ip, s30, h, 0), 0);
    assert_int_equal(ip, VIV_IP4(10, 9, 0, 6));
    assert_int_equal(viv_subnet_attach(&ip, s30, h, 0), VIV_EADDRNOTAVAIL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "10.9.0.4/30 is full"));
    assert_int_equal(viv_subnet_broadcast(s30), VIV_IP4(10, 9, 0, 7));
    assert_int_equal(viv_subnet_attach_ip(s30, h, 1, VIV_IP4(10, 9, 0, 7)), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "network or broadcast"));
    assert_int_equal(viv_subnet_attach_ip(s30, h, 1, VIV_IP4(10, 9, 0, 4)), VIV_EINVAL);
    /* /31: both addresses (RFC 3021), and the limited broadcast as broadcast. */
    viv_subnet_t *s31 = subnet(sim, "10.9.1.0/31");
    assert_int_equal(viv_subnet_attach(&ip, s31, h, 1), 0);
    assert_int_equal(ip, VIV_IP4(10, 9, 1, 0));
    assert_int_equal(viv_subnet_attach(&ip, s31, h, 2), 0);
    assert_int_equal(ip, VIV_IP4(10, 9, 1, 1));
    assert_int_equal(viv_subnet_attach(&ip, s31, h, 3), VIV_EADDRNOTAVAIL);
    assert_int_equal(viv_subnet_broadcast(s31), VIV_IP4_BROADCAST);
    /* /32: one address. */
    viv_subnet_t *s32 = subnet(sim, "10.9.2.7/32");
    assert_int_equal(viv_subnet_attach(&ip, s32, h, 3), 0);
    assert_int_equal(ip, VIV_IP4(10, 9, 2, 7));
    assert_int_equal(viv_subnet_attach(&ip, s32, h, 3), VIV_EADDRNOTAVAIL);
    assert_int_equal(viv_subnet_broadcast(s32), VIV_IP4_BROADCAST);
}

static void test_subnet__a_slash8_costs_what_it_gave(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    size_t before = fx->alloc.live_bytes;
    viv_subnet_t *s = subnet(sim, "10.0.0.0/8");
    size_t empty = fx->alloc.live_bytes - before;
    assert_true(empty < 256); /* no bitmap of 2^24 addresses */
    viv_host_t *h = l3t_host(sim, "h", 1);
    /* The top address, then the lowest ones. */
    assert_int_equal(viv_subnet_attach_ip(s, h, 0, VIV_IP4(10, 255, 255, 254)), 0);
    viv_ip4_t ip;
    assert_int_equal(viv_subnet_attach(&ip, s, h, 0), 0);
    assert_int_equal(ip, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(viv_subnet_broadcast(s), VIV_IP4(10, 255, 255, 255));
    /* Memory for a thousand hosts' addresses stays in the kilobytes. */
    viv_sim_t *sim2;
    viv_test_alloc a2;
    sim2 = viv_test_sim_new(&a2, 1);
    viv_subnet_t *big;
    assert_int_equal(viv_subnet_new(&big, sim2, "10.0.0.0/8"), 0);
    viv_host_t *hs[1000];
    size_t hosts_bytes = 0;
    for (int i = 0; i < 1000; i++) {
        size_t b0 = a2.live_bytes;
        hs[i] = l3t_host(sim2, NULL, 1);
        hosts_bytes += a2.live_bytes - b0;
    }
    size_t b1 = a2.live_bytes;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(viv_subnet_attach(&ip, big, hs[i], 0), 0);
        assert_int_equal(ip, VIV_IP4(10, 0, (unsigned)(i + 1) >> 8, (unsigned)(i + 1) & 255));
    }
    size_t grown = a2.live_bytes - b1; /* addresses, connected routes and the record */
    assert_true(grown < 1000 * 512);
    (void)hosts_bytes;
    viv_subnet_free(big);
    /* The addresses stay configured after the subnet object is freed. */
    assert_int_equal(viv_host_has_addr(hs[999], VIV_IP4(10, 0, 3, 232)), 1);
    viv_test_sim_free(sim2, &a2);
}

static void test_subnet__free_and_sim_teardown(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_subnet_free(NULL);
    viv_subnet_t *s = subnet(sim, "10.1.0.0/16");
    viv_host_t *h = l3t_host(sim, "h", 1);
    assert_int_equal(viv_subnet_attach(NULL, s, h, 0), 0);
    viv_subnet_free(s);
    assert_int_equal(viv_host_has_addr(h, VIV_IP4(10, 1, 0, 1)), 1);
    /* One left for viv_sim_free (the fixture checks for leaks), and a host freed before it. */
    s = subnet(sim, "10.2.0.0/16");
    assert_int_equal(viv_subnet_attach(NULL, s, h, 0), 0);
    viv_host_free(h);
}

static void test_subnet__bad_arguments(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_subnet_t *s = NULL;
    const char *bad[] = {
        "10.0.1.0",    "10.0.1.0/33", "10.0.1/24",    "x",           "",
        "10.0.1.1/24", "10.0.0.0/0",  "224.0.0.0/24", "200.0.0.0/3", "255.255.255.255/32"};
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(bad); i++) {
        assert_int_equal(viv_subnet_new(&s, sim, bad[i]), VIV_EINVAL);
        assert_true(strlen(viv_sim_errmsg(sim)) > 0);
    }
    assert_int_equal(viv_subnet_new(&s, sim, "10.0.1.1/24"), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "host bits"));
    assert_int_equal(viv_subnet_new(&s, sim, "224.0.0.0/24"), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "multicast"));
    assert_int_equal(viv_subnet_new(NULL, sim, "10.0.0.0/24"), VIV_EINVAL);
    assert_int_equal(viv_subnet_new(&s, sim, NULL), VIV_EINVAL);
    assert_int_equal(viv_subnet_new(&s, NULL, "10.0.0.0/24"), VIV_EINVAL);
    s = subnet(sim, "10.0.1.0/24");
    viv_host_t *h = l3t_host(sim, "h", 1);
    assert_int_equal(viv_subnet_attach(NULL, s, h, 1), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "h has no interface 1"));
    assert_int_equal(viv_subnet_attach(NULL, s, NULL, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "NULL host"));
    assert_int_equal(viv_subnet_attach(NULL, NULL, h, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "NULL subnet"));
    assert_int_equal(viv_subnet_attach(NULL, NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_subnet_attach_ip(NULL, NULL, 0, 0), VIV_EINVAL);
    assert_int_equal(viv_subnet_attach_ip(s, h, 0, VIV_IP4(10, 0, 2, 1)), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "10.0.2.1 is outside the subnet"));
    assert_int_equal(viv_subnet_prefix(NULL, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_subnet_broadcast(NULL), 0);
    /* A host of another simulation. */
    viv_test_alloc a2;
    viv_sim_t *sim2 = viv_test_sim_new(&a2, 2);
    viv_host_t *other = l3t_host(sim2, "o", 1);
    assert_int_equal(viv_subnet_attach(NULL, s, other, 0), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "another simulation"));
    viv_test_sim_free(sim2, &a2);
    /* The host already has the address: EEXIST, and the address is not recorded as given. */
    l3t_addr(h, 0, "10.0.1.1/24");
    assert_int_equal(viv_subnet_attach(NULL, s, h, 0), VIV_EEXIST);
    assert_int_equal(viv_subnet_attach_ip(s, h, 0, VIV_IP4(10, 0, 1, 1)), VIV_EEXIST);
    viv_host_t *g = l3t_host(sim, "g", 1);
    assert_int_equal(viv_subnet_attach_ip(s, g, 0, VIV_IP4(10, 0, 1, 1)), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_subnet__hands_out_lowest_first_and_configures),
        T(test_subnet__chosen_addresses_are_skipped_and_gaps_filled),
        T(test_subnet__small_prefixes),
        T(test_subnet__a_slash8_costs_what_it_gave),
        T(test_subnet__free_and_sim_teardown),
        T(test_subnet__bad_arguments),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
