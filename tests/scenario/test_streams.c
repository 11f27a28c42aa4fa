/* Stable random streams (rng.h's promise): a component's draws come from its name, never
 * from how many other components exist, so adding one does not change the draws of the
 * others; and each consumer within a host has its own stream. */
#include "viv_test.h"

#include <string.h>

/* What a run of the lossy pair says about the draws: losses on the way a -> b, the
 * jitter-shaped arrival times folded together, and a's first ephemeral port. */
typedef struct outcome {
    uint64_t lost;
    uint64_t arrivals; /* a hash of the arrival times */
    uint16_t port;
} outcome;

typedef struct rx {
    uint64_t h;
    viv_sim_t *sim;
} rx;

static void on_rx(viv_udp_t *s, uint32_t ev, void *user)
{
    rx *r = user;
    uint8_t buf[64];
    if (ev & VIV_EV_READABLE)
        while (viv_udp_recvfrom(s, buf, sizeof buf, NULL, NULL) >= 0)
            r->h = r->h * 1000003u ^ viv_sim_now(r->sim);
}

enum {
    EXTRA_NONE = 0,
    EXTRA_HOSTS_FIRST = 1,   /* two unconnected hosts made before the pair */
    EXTRA_SWITCH_FIRST = 2,  /* a switch and a hub made before the pair */
    EXTRA_AFTER = 4,         /* hosts, a switch and a link made after the pair */
    EXTRA_PING_FIRST = 8,    /* a pings b before binding (draws from a's IP stream) */
};

/* a and b (named if `named`) joined by a link with loss and jitter. */
static outcome run(int named, int extra)
{
    viv_test_alloc al;
    viv_sim_t *sim = viv_test_sim_new(&al, 42);
    viv_host_t *x;
    viv_switch_t *sw;
    viv_hub_t *hub;
    if (extra & EXTRA_HOSTS_FIRST) {
        assert_int_equal(viv_host_new(&x, sim, NULL), 0);
        assert_int_equal(viv_host_new(&x, sim, NULL), 0);
    }
    if (extra & EXTRA_SWITCH_FIRST) {
        assert_int_equal(viv_switch_new(&sw, sim, 4, NULL), 0);
        assert_int_equal(viv_hub_new(&hub, sim, 4, NULL), 0);
    }
    viv_host_opts oa = VIV_HOST_OPTS_INIT, ob = VIV_HOST_OPTS_INIT;
    if (named) {
        oa.name = "alice";
        ob.name = "bob";
    }
    viv_host_t *a, *b;
    assert_int_equal(viv_host_new(&a, sim, &oa), 0);
    assert_int_equal(viv_host_new(&b, sim, &ob), 0);
    assert_int_equal(viv_host_add_iface(a, NULL), 0);
    assert_int_equal(viv_host_add_iface(b, NULL), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.loss = 0.15;
    lp.jitter_ns = VIV_US(300);
    lp.jitter_reorder = 1;
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &lp), 0);
    assert_int_equal(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    if (extra & EXTRA_AFTER) {
        viv_host_t *y, *z;
        viv_link_t *l2;
        assert_int_equal(viv_host_new(&y, sim, NULL), 0);
        assert_int_equal(viv_host_new(&z, sim, NULL), 0);
        assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
        assert_int_equal(viv_host_add_iface(y, NULL), 0);
        assert_int_equal(viv_link_new(&l2, sim, viv_host_port(y, 0), viv_switch_port(sw, 0), &lp),
                         0);
    }
    if (extra & EXTRA_PING_FIRST) {
        viv_ping_opts po = VIV_PING_OPTS_INIT;
        po.count = 1;
        assert_int_equal(viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);
        assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
        /* The link's stream moved on with the ping's frames: measure from a fresh link. */
        viv_link_free(l);
        assert_int_equal(
            viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &lp), 0);
    }
    rx r = {0, sim};
    viv_udp_t *sa, *sb;
    assert_int_equal(viv_udp_new(&sa, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&sb, b, NULL, on_rx, &r), 0);
    viv_sockaddr_t any0 = {VIV_IP4_ANY, 0}, bport = {VIV_IP4_ANY, 5000};
    assert_int_equal(viv_udp_bind(sa, &any0), 0);
    assert_int_equal(viv_udp_bind(sb, &bport), 0);
    viv_sockaddr_t local;
    assert_int_equal(viv_udp_local(&local, sa), 0);
    /* Resolve first (ARP frames take draws too, the same in every variant). */
    viv_sockaddr_t dst = {VIV_IP4(10, 0, 0, 2), 5000};
    for (int i = 0; i < 400; i++) {
        assert_int_equal(viv_udp_sendto(sa, "x", 1, &dst), 1);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    }
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    viv_link_stats_t st;
    assert_int_equal(viv_link_stats(&st, l, VIV_LINK_AB), 0);
    outcome o = {st.drop_loss, r.h, local.port};
    viv_test_sim_free(sim, &al);
    return o;
}

static void same(outcome x, outcome y)
{
    assert_int_equal(x.lost, y.lost);
    assert_int_equal(x.arrivals, y.arrivals);
    assert_int_equal(x.port, y.port);
}

static void test_streams__named_components_keep_their_draws(void **state)
{
    (void)state;
    outcome base = run(1, EXTRA_NONE);
    assert_true(base.lost > 30 && base.lost < 100); /* 15% of about 400 */
    /* Whatever else exists, before or after: the same losses, arrivals and port. */
    same(base, run(1, EXTRA_HOSTS_FIRST));
    same(base, run(1, EXTRA_SWITCH_FIRST));
    same(base, run(1, EXTRA_AFTER));
    same(base, run(1, EXTRA_HOSTS_FIRST | EXTRA_SWITCH_FIRST | EXTRA_AFTER));
}

static void test_streams__unnamed_components_count_within_their_kind(void **state)
{
    (void)state;
    /* Made-up names count within their kind: other kinds made first, or anything made
     * after, change nothing; more hosts made first do rename the pair (name them to keep
     * their draws, as the test above does). */
    outcome base = run(0, EXTRA_NONE);
    same(base, run(0, EXTRA_SWITCH_FIRST));
    same(base, run(0, EXTRA_AFTER));
    outcome shifted = run(0, EXTRA_HOSTS_FIRST);
    assert_true(shifted.lost != base.lost || shifted.arrivals != base.arrivals ||
                shifted.port != base.port);
}

static void test_streams__consumers_within_a_host_do_not_shift_each_other(void **state)
{
    (void)state;
    /* A ping (IPv4 identification, echo identifier: a's IP stream) before binding leaves
     * the ephemeral port (a's UDP port stream) where it was. */
    outcome base = run(1, EXTRA_NONE);
    outcome pinged = run(1, EXTRA_PING_FIRST);
    assert_int_equal(pinged.port, base.port);
    /* Different seeds give different ports (the port does come from the seed). */
    assert_true(base.port >= 49152);
}

static void test_streams__names_given_twice_get_distinct_streams(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "twin";
    viv_host_t *h[3];
    viv_sockaddr_t any0 = {VIV_IP4_ANY, 0}, got;
    uint16_t port[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(viv_host_new(&h[i], sim, &o), 0);
        viv_udp_t *s;
        assert_int_equal(viv_udp_new(&s, h[i], NULL, NULL, NULL), 0);
        assert_int_equal(viv_udp_bind(s, &any0), 0);
        assert_int_equal(viv_udp_local(&got, s), 0);
        port[i] = got.port;
    }
    assert_true(port[0] != port[1] && port[1] != port[2] && port[0] != port[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams__named_components_keep_their_draws),
        cmocka_unit_test(test_streams__unnamed_components_count_within_their_kind),
        cmocka_unit_test(test_streams__consumers_within_a_host_do_not_shift_each_other),
        cmocka_unit_test_setup_teardown(test_streams__names_given_twice_get_distinct_streams,
                                        viv_test_sim_setup, viv_test_sim_teardown),
    };
    return cmocka_run_group_tests_name("scenario/streams", tests, NULL, NULL);
}
