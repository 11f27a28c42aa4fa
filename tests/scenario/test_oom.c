/* Out-of-memory sweep: a whole scenario (hosts, a router, a hub, a switch, links, a capture,
 * UDP sockets, a ping and a traceroute, traffic) is run again and again with the Nth
 * allocation failing, for every N up to the number of allocations a clean run makes, and
 * once more with every allocation after the Nth failing. Every public call must either
 * succeed or fail with VIV_ENOMEM; the simulation must run on; and freeing it must leave no
 * byte allocated. */
#include "viv_test.h"

#include <stdio.h>
#include <string.h>

typedef struct run {
    int enomem;  /* calls that failed with ENOMEM */
    int other;   /* calls that failed otherwise (must stay 0) */
} run;

static void check(run *r, int rc, const char *what)
{
    if (rc >= 0)
        return;
    if (rc == VIV_ENOMEM)
        r->enomem++;
    else {
        r->other++;
        fprintf(stderr, "%s: %s\n", what, viv_err_name(rc));
    }
}

#define CALL(r, expr) check((r), (expr), #expr)

static void echo_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    (void)user;
    uint8_t buf[256];
    viv_sockaddr_t from;
    int n;
    if (ev & VIV_EV_READABLE)
        while ((n = viv_udp_recvfrom(s, buf, sizeof buf, &from, NULL)) >= 0)
            viv_udp_sendto(s, buf, (size_t)n, &from);
}

static void scenario(viv_sim_t *sim, run *r, const char *pcap_path)
{
    viv_host_t *a = NULL, *b = NULL, *c = NULL, *rt = NULL;
    viv_hub_t *hub = NULL;
    viv_switch_t *sw = NULL;
    CALL(r, viv_host_new(&a, sim, NULL));
    CALL(r, viv_host_new(&b, sim, NULL));
    CALL(r, viv_host_new(&c, sim, NULL));
    CALL(r, viv_router_new(&rt, sim, 2, NULL));
    CALL(r, viv_hub_new(&hub, sim, 3, NULL));
    CALL(r, viv_switch_new(&sw, sim, 3, NULL));
    if (!a || !b || !c || !rt || !hub || !sw)
        return;
    CALL(r, viv_host_add_iface(a, NULL));
    CALL(r, viv_host_add_iface(b, NULL));
    CALL(r, viv_host_add_iface(c, NULL));
    if (viv_host_iface_count(a) < 1 || viv_host_iface_count(b) < 1 ||
        viv_host_iface_count(c) < 1 || viv_host_iface_count(rt) < 2)
        return;
    viv_link_t *l = NULL;
    CALL(r, viv_link_new(&l, sim, viv_host_port(a, 0), viv_hub_port(hub, 0), NULL));
    CALL(r, viv_link_new(&l, sim, viv_host_port(c, 0), viv_hub_port(hub, 1), NULL));
    CALL(r, viv_link_new(&l, sim, viv_host_port(rt, 0), viv_hub_port(hub, 2), NULL));
    CALL(r, viv_link_new(&l, sim, viv_host_port(rt, 1), viv_switch_port(sw, 0), NULL));
    CALL(r, viv_link_new(&l, sim, viv_host_port(b, 0), viv_switch_port(sw, 1), NULL));
    int rc_a = viv_host_add_addr(a, 0, VIV_IP4(10, 0, 1, 2), 24);
    int rc_b = viv_host_add_addr(b, 0, VIV_IP4(10, 0, 2, 2), 24);
    check(r, rc_a, "add_addr a");
    check(r, rc_b, "add_addr b");
    CALL(r, viv_host_add_addr(c, 0, VIV_IP4(10, 0, 1, 3), 24));
    CALL(r, viv_host_add_addr(rt, 0, VIV_IP4(10, 0, 1, 1), 24));
    CALL(r, viv_host_add_addr(rt, 1, VIV_IP4(10, 0, 2, 1), 24));
    /* A gateway must be on a connected subnet: only once the address is there. */
    if (rc_a == 0)
        CALL(r, viv_host_set_gateway(a, VIV_IP4(10, 0, 1, 1)));
    if (rc_b == 0)
        CALL(r, viv_host_set_gateway(b, VIV_IP4(10, 0, 2, 1)));
    viv_pcap_t *cap = NULL;
    CALL(r, viv_pcap_open(&cap, sim, pcap_path, NULL));
    if (cap)
        CALL(r, viv_pcap_attach_port(cap, viv_host_port(a, 0)));
    viv_udp_t *srv = NULL, *cli = NULL;
    CALL(r, viv_udp_new(&srv, b, NULL, echo_cb, NULL));
    CALL(r, viv_udp_new(&cli, a, NULL, NULL, NULL));
    viv_sockaddr_t any = {VIV_IP4_ANY, 7}, dst = {VIV_IP4(10, 0, 2, 2), 7};
    if (srv)
        CALL(r, viv_udp_bind(srv, &any));
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 2;
    po.interval_ns = VIV_MS(5);
    CALL(r, viv_ping_start(NULL, a, VIV_IP4(10, 0, 2, 2), &po, NULL, NULL));
    CALL(r, viv_traceroute_start(NULL, c, VIV_IP4(10, 0, 2, 2), NULL, NULL, NULL));
    for (int i = 0; i < 3; i++) {
        if (cli) {
            /* With no address (its configuration failed) a send has no route. */
            int n = viv_udp_sendto(cli, "ping", 4, &dst);
            check(r, n == VIV_ENETUNREACH && rc_a < 0 ? 0 : n, "viv_udp_sendto");
        }
        CALL(r, viv_sim_run_for(sim, VIV_MS(20)));
    }
    char text[4096];
    CALL(r, viv_host_netstat_text(a, VIV_NETSTAT_TIMERS, text, sizeof text));
    CALL(r, viv_switch_mac_table_text(sw, text, sizeof text));
    CALL(r, viv_host_arp_table_text(rt, text, sizeof text));
    CALL(r, viv_sim_run_for(sim, VIV_S(5)));
}

static uint64_t clean_run_allocations(const char *path)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 3);
    run r = {0, 0};
    scenario(sim, &r, path);
    assert_int_equal(r.enomem, 0);
    assert_int_equal(r.other, 0);
    uint64_t calls = a.calls;
    viv_test_sim_free(sim, &a);
    return calls;
}

static void sweep(int fail_all_after)
{
    char path[512];
    snprintf(path, sizeof path, "%s/oom.pcap", VIV_TEST_TMPDIR);
    uint64_t total = clean_run_allocations(path);
    assert_true(total > 50);
    print_message("clean run: %llu allocations\n", (unsigned long long)total);
    for (uint64_t n = 2; n <= total + 1; n++) { /* allocation 1 is the simulation itself */
        viv_test_alloc a;
        memset(&a, 0, sizeof a);
        a.fail_at = n;
        a.fail_all_after = fail_all_after;
        viv_sim_opts o = VIV_SIM_OPTS_INIT;
        o.seed = 3;
        o.alloc = viv_test_alloc_fn;
        o.alloc_ud = &a;
        viv_sim_t *sim = NULL;
        assert_int_equal(viv_sim_new(&sim, &o), 0);
        run r = {0, 0};
        scenario(sim, &r, path);
        if (r.other)
            fail_msg("allocation %llu failing gave a non-ENOMEM error",
                     (unsigned long long)n);
        viv_sim_free(sim);
        if (a.live_blocks || a.live_bytes)
            fail_msg("allocation %llu failing leaked %zu blocks (%zu bytes)",
                     (unsigned long long)n, a.live_blocks, a.live_bytes);
    }
}

static void test_oom__each_single_failure(void **state)
{
    (void)state;
    sweep(0);
}

static void test_oom__every_failure_after_n(void **state)
{
    (void)state;
    sweep(1);
}

/* ---- convergence: after a failure, the network recovers --------------------------------
 *
 * Hosts A (behind a hub) and B (behind a switch), a router between them, a UDP echo server
 * on B. Traffic runs with one allocation failing (each in turn); then, with memory back,
 * three more datagrams are sent. A failure may cost the datagrams of its moment (each
 * counted, or refused with VIV_ENOMEM), but never wedges anything: every later datagram
 * is echoed, every datagram the server's socket received is signalled and read. */

typedef struct conv {
    int echoes_late;   /* echoes of the datagrams sent after the failure phase */
    uint64_t srv_read; /* datagrams the server read */
} conv;

static void conv_srv_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    conv *c = user;
    uint8_t buf[64];
    viv_sockaddr_t from;
    int n;
    if (ev & VIV_EV_READABLE)
        while ((n = viv_udp_recvfrom(s, buf, sizeof buf, &from, NULL)) >= 0) {
            c->srv_read++;
            viv_udp_sendto(s, buf, (size_t)n, &from);
        }
}

static void conv_cli_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    conv *c = user;
    uint8_t buf[64];
    int n;
    if (ev & VIV_EV_READABLE)
        while ((n = viv_udp_recvfrom(s, buf, sizeof buf, NULL, NULL)) >= 0)
            if (n == 4 && memcmp(buf, "late", 4) == 0)
                c->echoes_late++;
}

typedef struct conv_world {
    viv_udp_t *srv, *cli;
    viv_host_t *b;
} conv_world;

static void conv_build(viv_sim_t *sim, conv *c, conv_world *w)
{
    viv_host_t *a, *rt;
    viv_hub_t *hub;
    viv_switch_t *sw;
    viv_link_t *l;
    assert_int_equal(viv_host_new(&a, sim, NULL), 0);
    assert_int_equal(viv_host_new(&w->b, sim, NULL), 0);
    assert_int_equal(viv_router_new(&rt, sim, 2, NULL), 0);
    assert_int_equal(viv_hub_new(&hub, sim, 2, NULL), 0);
    assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
    assert_int_equal(viv_host_add_iface(a, NULL), 0);
    assert_int_equal(viv_host_add_iface(w->b, NULL), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_hub_port(hub, 0), NULL), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(rt, 0), viv_hub_port(hub, 1), NULL), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(rt, 1), viv_switch_port(sw, 0), NULL),
                     0);
    assert_int_equal(
        viv_link_new(&l, sim, viv_host_port(w->b, 0), viv_switch_port(sw, 1), NULL), 0);
    assert_int_equal(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 1, 2), 24), 0);
    assert_int_equal(viv_host_add_addr(w->b, 0, VIV_IP4(10, 0, 2, 2), 24), 0);
    assert_int_equal(viv_host_add_addr(rt, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(rt, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_set_gateway(a, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(w->b, VIV_IP4(10, 0, 2, 1)), 0);
    assert_int_equal(viv_udp_new(&w->srv, w->b, NULL, conv_srv_cb, c), 0);
    assert_int_equal(viv_udp_new(&w->cli, a, NULL, conv_cli_cb, c), 0);
    viv_sockaddr_t any = {VIV_IP4_ANY, 7};
    assert_int_equal(viv_udp_bind(w->srv, &any), 0);
}

/* The failure phase: a burst of datagrams (sends may be refused), and time for whatever
 * was lost to be given up (ARP gives up after its retries). */
static void conv_traffic(viv_sim_t *sim, conv_world *w)
{
    viv_sockaddr_t dst = {VIV_IP4(10, 0, 2, 2), 7};
    int n = viv_udp_sendto(w->cli, "first", 5, &dst); /* resolves the path */
    assert_true(n == 5 || n == VIV_ENOMEM);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    for (int i = 0; i < 12; i++) {
        n = viv_udp_sendto(w->cli, "early", 5, &dst);
        assert_true(n == 5 || n == VIV_ENOMEM);
        if (i % 4 == 3)
            assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    }
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);
}

static void test_oom__traffic_converges_after_a_failure(void **state)
{
    (void)state;
    /* Allocations the failure phase makes in a clean run. */
    uint64_t traffic_calls;
    {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 5);
        conv c = {0, 0};
        conv_world w;
        conv_build(sim, &c, &w);
        uint64_t c0 = a.calls;
        conv_traffic(sim, &w);
        traffic_calls = a.calls - c0;
        assert_int_equal(c.srv_read, 13);
        viv_test_sim_free(sim, &a);
    }
    assert_true(traffic_calls > 10);
    print_message("failure phase: %llu allocations\n", (unsigned long long)traffic_calls);
    for (uint64_t n = 1; n <= traffic_calls; n++) {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 5);
        conv c = {0, 0};
        conv_world w;
        conv_build(sim, &c, &w);
        a.fail_at = a.calls + n;
        conv_traffic(sim, &w);
        a.fail_at = 0;
        if (a.failures != 1)
            fail_msg("allocation %llu of the failure phase was not made",
                     (unsigned long long)n);
        /* Memory is back: the next sends work and every datagram is signalled. */
        viv_sockaddr_t dst = {VIV_IP4(10, 0, 2, 2), 7};
        for (int i = 0; i < 3; i++) {
            assert_int_equal(viv_udp_sendto(w.cli, "late", 4, &dst), 4);
            assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
        }
        assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
        if (c.echoes_late != 3)
            fail_msg("allocation %llu failing: %d of 3 later datagrams came back",
                     (unsigned long long)n, c.echoes_late);
        viv_udp_stats_t st;
        assert_int_equal(viv_udp_stats(&st, w.srv), 0);
        if (c.srv_read != st.rx_datagrams)
            fail_msg("allocation %llu failing: the server received %llu datagrams but was "
                     "told of %llu",
                     (unsigned long long)n, (unsigned long long)st.rx_datagrams,
                     (unsigned long long)c.srv_read);
        viv_test_sim_free(sim, &a);
    }
}

/* Regression (hardening issue, defect 6a): an ARP resolution whose retry could not be
 * scheduled stayed INCOMPLETE for ever, its packets queued, sendto having succeeded. Retries
 * are deadline timers taken with the entry now: with every allocation failing once the
 * entry exists, the resolution still retries (its requests take frames from the pool) and
 * gives up on time, leaving nothing behind; with memory back, the next send works. */
static void test_oom__arp_resolution_never_wedges(void **state)
{
    (void)state;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 9);
    viv_host_t *ha, *hb;
    viv_link_t *l;
    assert_int_equal(viv_host_new(&ha, sim, NULL), 0);
    assert_int_equal(viv_host_new(&hb, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(ha, NULL), 0);
    assert_int_equal(viv_host_add_iface(hb, NULL), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(ha, 0), viv_host_port(hb, 0), NULL), 0);
    assert_int_equal(viv_host_add_addr(ha, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(hb, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    conv c = {0, 0};
    viv_udp_t *srv, *cli;
    assert_int_equal(viv_udp_new(&srv, hb, NULL, conv_srv_cb, &c), 0);
    assert_int_equal(viv_udp_new(&cli, ha, NULL, conv_cli_cb, &c), 0);
    viv_sockaddr_t any = {VIV_IP4_ANY, 7}, dst = {VIV_IP4(10, 0, 0, 2), 7};
    assert_int_equal(viv_udp_bind(srv, &any), 0);
    assert_int_equal(viv_udp_bind(cli, &any), 0);
    assert_int_equal(viv_node_set_up(viv_host_node(hb), 0), 0); /* nobody answers ARP */
    assert_int_equal(viv_udp_sendto(cli, "late", 4, &dst), 4);
    a.fail_at = a.calls + 1;
    a.fail_all_after = 1;
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);
    a.fail_at = 0;
    a.fail_all_after = 0;
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, ha), 0);
    assert_int_equal(st.arp_failed, 1);             /* gave up, on time */
    assert_int_equal(st.arp_requests, 3);           /* every retry ran (attempts: 3) */
    assert_int_equal(viv_host_arp_table(ha, NULL, 0), 0); /* nothing left INCOMPLETE */
    assert_int_equal(viv_sim_pending(sim), 0);
    /* Memory is back, and so is b: the next send works. */
    assert_int_equal(viv_node_set_up(viv_host_node(hb), 1), 0);
    assert_int_equal(viv_udp_sendto(cli, "late", 4, &dst), 4);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(c.srv_read, 1);
    assert_int_equal(c.echoes_late, 1);
    viv_test_sim_free(sim, &a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom__each_single_failure),
        cmocka_unit_test(test_oom__every_failure_after_n),
        cmocka_unit_test(test_oom__traffic_converges_after_a_failure),
        cmocka_unit_test(test_oom__arp_resolution_never_wedges),
    };
    return cmocka_run_group_tests_name("scenario/oom", tests, NULL, NULL);
}
