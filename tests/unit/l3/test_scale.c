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

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_scale__address_index_agrees_with_a_scan),
        T(test_scale__address_index_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
