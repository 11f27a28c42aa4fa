/* Devices and bad input: wrong arguments give a clear error and never crash; freeing a device
 * inside its own receive callback, or a link or node with frames on the wire, is safe and
 * leaks nothing. */
#include "l2_test.h"

#include <math.h>

#define GBPS UINT64_C(1000000000)
#define ETH_OVH 24u

/* Assert rc is VIV_EINVAL and the simulation says why. */
#define EXPECT_EINVAL(sim, call)                                                                   \
    do {                                                                                           \
        (sim)->errmsg[0] = '\0';                                                                   \
        assert_int_equal((call), VIV_EINVAL);                                                      \
        assert_true(viv_sim_errmsg(sim)[0] != '\0');                                               \
    } while (0)

static void test_device__sends_and_receives_on_each_port(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l2t_station hub_like, a, b;
    l2t_station_init(&hub_like, sim, 1, 3);
    l2t_station_init(&a, sim, 2, 1);
    l2t_station_init(&b, sim, 3, 1);
    assert_int_equal(viv_node_port_count(viv_device_node(hub_like.dev)), 3);
    assert_null(viv_device_port(hub_like.dev, 3));
    l2t_link(sim, l2t_port(&a, 0), viv_device_port(hub_like.dev, 0), NULL);
    l2t_link(sim, l2t_port(&b, 0), viv_device_port(hub_like.dev, 2), NULL);
    l2t_send(&a, &hub_like.mac, 64, 1);
    l2t_send(&b, &hub_like.mac, 80, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(hub_like.n, 2);
    assert_int_equal(hub_like.rx[0].port, 0);
    assert_int_equal(hub_like.rx[0].len, 64);
    assert_int_equal(hub_like.rx[1].port, 2);
    assert_int_equal(hub_like.rx[1].len, 80);
    assert_int_equal(hub_like.rx[0].info.ethertype, L2T_ETHERTYPE);
    assert_true(l2t_mac_eq(&hub_like.rx[1].info.src, &b.mac));
    /* Out of port 2 to b; port 1 has no cable. */
    uint8_t f[60];
    l2t_frame(f, sizeof f, &b.mac, &hub_like.mac, L2T_ETHERTYPE, 7);
    assert_int_equal(viv_device_send(hub_like.dev, 2, f, sizeof f), 0);
    assert_int_equal(viv_device_send(hub_like.dev, 1, f, sizeof f), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.rx[0].seq, 7);
    assert_int_equal(a.n, 0);
    assert_int_equal(l2t_pstats(viv_device_port(hub_like.dev, 1)).drop_unplugged, 1);
    /* A 14-byte frame, header only, is fine; its summary says so. */
    assert_int_equal(viv_device_send(b.dev, 0, f, 14), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(hub_like.n, 3);
    assert_int_equal(hub_like.rx[2].len, 14);
    assert_int_equal(hub_like.rx[2].info.len, 14);
    l2t_station_fini(&hub_like);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
}

static void test_device__without_callback_frames_are_counted(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_device_t *mute;
    viv_device_opts o = VIV_DEVICE_OPTS_INIT;
    o.name = "mute";
    assert_int_equal(viv_device_new(&mute, sim, 1, &o), 0);
    assert_string_equal(viv_node_name(viv_device_node(mute)), "mute");
    l2t_station a;
    l2t_station_init(&a, sim, 1, 1);
    l2t_link(sim, l2t_port(&a, 0), viv_device_port(mute, 0), NULL);
    viv_mac_t m = l2t_mac(9);
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&a, &m, 100, i);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_port_stats_t ps = l2t_pstats(viv_device_port(mute, 0));
    assert_int_equal(ps.rx_frames, 3);
    assert_int_equal(ps.rx_bytes, 300);
    assert_int_equal(l2t_frames_live(sim), 0);
    /* Made-up names are distinct. */
    viv_device_t *d1, *d2;
    assert_int_equal(viv_device_new(&d1, sim, 1, NULL), 0);
    assert_int_equal(viv_device_new(&d2, sim, 1, NULL), 0);
    assert_true(viv_node_name(viv_device_node(d1))[0] != '\0');
    assert_string_not_equal(viv_node_name(viv_device_node(d1)), viv_node_name(viv_device_node(d2)));
    l2t_station_fini(&a);
}

static viv_verdict pass(viv_link_t *l, viv_link_dir d, const uint8_t *f, size_t n,
                        const viv_frame_info *i, viv_time_t *delay, void *u)
{
    (void)l, (void)d, (void)f, (void)n, (void)i, (void)delay, (void)u;
    return VIV_VERDICT_DELIVER;
}

static void test_device__bad_arguments_give_clear_errors(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l2t_station a, b, c;
    l2t_station_init(&a, sim, 1, 2);
    l2t_station_init(&b, sim, 2, 1);
    l2t_station_init(&c, sim, 3, 1);
    viv_link_t *l = l2t_link(sim, l2t_port(&a, 0), l2t_port(&b, 0), NULL);
    viv_link_t *l2 = NULL;

    /* Plugging. */
    sim->errmsg[0] = '\0';
    assert_int_equal(viv_link_new(&l2, sim, l2t_port(&a, 0), l2t_port(&c, 0), NULL), VIV_EBUSY);
    assert_true(viv_sim_errmsg(sim)[0] != '\0');
    assert_int_equal(viv_link_new(&l2, sim, l2t_port(&c, 0), l2t_port(&b, 0), NULL), VIV_EBUSY);
    assert_null(l2);
    EXPECT_EINVAL(sim, viv_link_new(&l2, sim, l2t_port(&c, 0), l2t_port(&c, 0), NULL));
    EXPECT_EINVAL(sim, viv_link_new(NULL, sim, l2t_port(&a, 1), l2t_port(&c, 0), NULL));
    EXPECT_EINVAL(sim, viv_link_new(&l2, sim, NULL, l2t_port(&c, 0), NULL));
    EXPECT_EINVAL(sim, viv_link_new(&l2, sim, l2t_port(&c, 0), NULL, NULL));
    assert_int_equal(viv_link_new(&l2, NULL, l2t_port(&a, 1), l2t_port(&c, 0), NULL), VIV_EINVAL);
    /* Two ports of one device may be joined (a loop cable). */
    l2t_station loop;
    l2t_station_init(&loop, sim, 4, 2);
    viv_link_t *ll = l2t_link(sim, l2t_port(&loop, 0), l2t_port(&loop, 1), NULL);
    l2t_send(&loop, &loop.mac, 64, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(loop.n, 1);
    assert_int_equal(loop.rx[0].port, 1);
    viv_link_free(ll);

    /* Ports of another simulation. */
    viv_test_alloc oa;
    viv_sim_t *other = viv_test_sim_new(&oa, 2);
    viv_device_t *od;
    assert_int_equal(viv_device_new(&od, other, 1, NULL), 0);
    EXPECT_EINVAL(sim, viv_link_new(&l2, sim, l2t_port(&a, 1), viv_device_port(od, 0), NULL));
    EXPECT_EINVAL(other, viv_link_new(&l2, other, viv_device_port(od, 0), l2t_port(&c, 0), NULL));
    assert_null(viv_port_link(l2t_port(&c, 0)));
    viv_test_sim_free(other, &oa);

    /* Bad parameters. */
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    const double bad[4] = {-0.1, 1.1, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        EXPECT_EINVAL(sim, viv_link_set_loss(l, VIV_LINK_AB, bad[i]));
        lp = (viv_link_params)VIV_LINK_PARAMS_INIT;
        lp.corrupt = bad[i];
        EXPECT_EINVAL(sim, viv_link_set_params(l, VIV_LINK_BOTH, &lp));
        lp = (viv_link_params)VIV_LINK_PARAMS_INIT;
        lp.duplicate = bad[i];
        EXPECT_EINVAL(sim, viv_link_set_params(l, VIV_LINK_AB, &lp));
        lp = (viv_link_params)VIV_LINK_PARAMS_INIT;
        lp.reorder = bad[i];
        EXPECT_EINVAL(sim, viv_link_set_params(l, VIV_LINK_AB, &lp));
        lp = (viv_link_params)VIV_LINK_PARAMS_INIT;
        lp.burst.loss_bad = bad[i];
        EXPECT_EINVAL(sim, viv_link_set_params(l, VIV_LINK_AB, &lp));
        lp = (viv_link_params)VIV_LINK_PARAMS_INIT;
        lp.burst.p_bad_good = bad[i];
        EXPECT_EINVAL(sim, viv_link_new(&l2, sim, l2t_port(&a, 1), l2t_port(&c, 0), &lp));
    }
    assert_null(viv_port_link(l2t_port(&c, 0)));
    EXPECT_EINVAL(sim, viv_link_set_rate(l, VIV_LINK_AB, 0));
    EXPECT_EINVAL(sim, viv_link_set_delay(l, VIV_LINK_AB, VIV_TIME_NEVER));
    EXPECT_EINVAL(sim, viv_link_set_params(l, VIV_LINK_AB, NULL));
    /* Nothing changed through the failed calls. */
    viv_link_params got;
    assert_int_equal(viv_link_params_get(&got, l, VIV_LINK_AB), 0);
    assert_true(got.loss == 0 && got.corrupt == 0 && got.rate_bps == GBPS);
    assert_int_equal(viv_link_set_loss(l, VIV_LINK_BOTH, 1.0), 0);
    assert_int_equal(viv_link_set_loss(l, VIV_LINK_BOTH, 0.0), 0);

    /* Bad directions. */
    const int dirs[3] = {3, -1, 1000};
    for (int i = 0; i < 3; i++) {
        viv_link_dir d = (viv_link_dir)dirs[i];
        EXPECT_EINVAL(sim, viv_link_set_loss(l, d, 0.5));
        EXPECT_EINVAL(sim, viv_link_set_delay(l, d, 5));
        EXPECT_EINVAL(sim, viv_link_set_rate(l, d, 5));
        EXPECT_EINVAL(sim, viv_link_set_up(l, d, 0));
        EXPECT_EINVAL(sim, viv_link_set_params(l, d, &lp));
        EXPECT_EINVAL(sim, viv_link_params_get(&got, l, d));
        EXPECT_EINVAL(sim, viv_link_set_intercept(l, d, pass, NULL));
        viv_link_stats_t st;
        EXPECT_EINVAL(sim, viv_link_stats(&st, l, d));
        viv_frame_match m = VIV_FRAME_MATCH_INIT;
        EXPECT_EINVAL(sim, viv_link_drop_nth(l, d, &m, 1));
        assert_int_equal(viv_link_is_up(l, d), 0);
    }
    /* BOTH only where a function says so. */
    viv_link_stats_t st;
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    EXPECT_EINVAL(sim, viv_link_stats(&st, l, VIV_LINK_BOTH));
    EXPECT_EINVAL(sim, viv_link_params_get(&got, l, VIV_LINK_BOTH));
    EXPECT_EINVAL(sim, viv_link_drop_nth(l, VIV_LINK_BOTH, &m, 1));
    assert_int_equal(viv_link_is_up(l, VIV_LINK_BOTH), 0);
    EXPECT_EINVAL(sim, viv_link_drop_nth(l, VIV_LINK_AB, &m, 0));
    EXPECT_EINVAL(sim, viv_link_drop_nth(l, VIV_LINK_AB, NULL, 1));
    assert_int_equal(viv_link_is_up(l, VIV_LINK_AB), 1);

    /* Device sends. */
    uint8_t f[65536 + 16];
    l2t_frame(f, 64, &b.mac, &a.mac, L2T_ETHERTYPE, 0);
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 0, f, 13));
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 0, f, 0));
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 0, f, 65536));
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 2, f, 64));
    EXPECT_EINVAL(sim, viv_device_send(a.dev, UINT32_MAX, f, 64));
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 0, NULL, 64));
    assert_int_equal(viv_device_send(NULL, 0, f, 64), VIV_EINVAL);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(l2t_pstats(l2t_port(&a, 0)).tx_frames, 0);

    /* Constructors. */
    viv_device_t *dv = NULL;
    viv_hub_t *hb = NULL;
    viv_switch_t *sw = NULL;
    EXPECT_EINVAL(sim, viv_device_new(&dv, sim, 0, NULL));
    EXPECT_EINVAL(sim, viv_device_new(&dv, sim, 4097, NULL));
    EXPECT_EINVAL(sim, viv_device_new(NULL, sim, 1, NULL));
    EXPECT_EINVAL(sim, viv_hub_new(&hb, sim, 0, NULL));
    EXPECT_EINVAL(sim, viv_hub_new(NULL, sim, 2, NULL));
    EXPECT_EINVAL(sim, viv_switch_new(&sw, sim, 0, NULL));
    EXPECT_EINVAL(sim, viv_switch_new(&sw, sim, 4097, NULL));
    EXPECT_EINVAL(sim, viv_switch_new(NULL, sim, 2, NULL));
    assert_int_equal(viv_device_new(&dv, NULL, 1, NULL), VIV_EINVAL);
    assert_int_equal(viv_hub_new(&hb, NULL, 1, NULL), VIV_EINVAL);
    assert_int_equal(viv_switch_new(&sw, NULL, 1, NULL), VIV_EINVAL);
    assert_null(dv);
    assert_null(hb);
    assert_null(sw);

    /* NULL objects and outputs: an error or a neutral value, never a crash. */
    assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
    viv_switch_stats_t sst;
    viv_port_stats_t pst;
    char txt[8];
    EXPECT_EINVAL(sim, viv_link_stats(NULL, l, VIV_LINK_AB));
    EXPECT_EINVAL(sim, viv_link_params_get(NULL, l, VIV_LINK_AB));
    EXPECT_EINVAL(sim, viv_port_stats(NULL, l2t_port(&a, 0)));
    EXPECT_EINVAL(sim, viv_switch_stats(NULL, sw));
    EXPECT_EINVAL(sim, viv_switch_mac_table(sw, NULL, 4));
    EXPECT_EINVAL(sim, viv_switch_mac_table_text(sw, NULL, 4));
    assert_int_equal(viv_link_stats(&st, NULL, VIV_LINK_AB), VIV_EINVAL);
    assert_int_equal(viv_link_set_params(NULL, VIV_LINK_AB, &lp), VIV_EINVAL);
    assert_int_equal(viv_link_params_get(&got, NULL, VIV_LINK_AB), VIV_EINVAL);
    assert_int_equal(viv_link_set_loss(NULL, VIV_LINK_AB, 0), VIV_EINVAL);
    assert_int_equal(viv_link_set_delay(NULL, VIV_LINK_AB, 0), VIV_EINVAL);
    assert_int_equal(viv_link_set_rate(NULL, VIV_LINK_AB, 1), VIV_EINVAL);
    assert_int_equal(viv_link_set_up(NULL, VIV_LINK_AB, 1), VIV_EINVAL);
    assert_int_equal(viv_link_set_intercept(NULL, VIV_LINK_AB, pass, NULL), VIV_EINVAL);
    assert_int_equal(viv_link_drop_nth(NULL, VIV_LINK_AB, &m, 1), VIV_EINVAL);
    assert_int_equal(viv_link_is_up(NULL, VIV_LINK_AB), 0);
    assert_null(viv_link_port(NULL, 0));
    assert_null(viv_link_port(l, 2));
    assert_null(viv_link_port(l, -1));
    assert_int_equal(viv_port_stats(&pst, NULL), VIV_EINVAL);
    assert_int_equal(viv_switch_stats(&sst, NULL), VIV_EINVAL);
    assert_int_equal(viv_switch_mac_table(NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_switch_mac_table_text(NULL, txt, sizeof txt), VIV_EINVAL);
    assert_int_equal(viv_switch_set_aging(NULL, 5), VIV_EINVAL);
    assert_int_equal(viv_switch_clear(NULL), VIV_EINVAL);
    assert_int_equal(viv_node_set_up(NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_node_is_up(NULL), 0);
    assert_string_equal(viv_node_name(NULL), "");
    assert_int_equal(viv_node_port_count(NULL), 0);
    assert_null(viv_node_port(NULL, 0));
    assert_null(viv_node_port(viv_device_node(a.dev), 2));
    assert_null(viv_port_node(NULL));
    assert_int_equal(viv_port_index(NULL), 0);
    assert_null(viv_port_link(NULL));
    assert_null(viv_device_node(NULL));
    assert_null(viv_device_port(NULL, 0));
    assert_null(viv_hub_node(NULL));
    assert_null(viv_hub_port(NULL, 0));
    assert_null(viv_switch_node(NULL));
    assert_null(viv_switch_port(NULL, 0));
    assert_null(viv_switch_port(sw, 2));
    viv_frame_info fi;
    assert_int_equal(viv_frame_info_parse(NULL, f, 64), VIV_EINVAL);
    assert_int_equal(viv_frame_info_parse(&fi, NULL, 64), VIV_EINVAL);
    assert_int_equal(viv_frame_info_parse(&fi, f, 5), 0);
    assert_int_equal(fi.len, 5);
    assert_int_equal(fi.ethertype, 0);
    assert_int_equal(viv_frame_info_format(NULL, txt, sizeof txt), VIV_EINVAL);
    assert_int_equal(viv_frame_match_test(NULL, &fi), 0);
    assert_int_equal(viv_frame_match_test(&m, NULL), 0);
    viv_link_free(NULL);
    viv_device_free(NULL);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
    l2t_station_fini(&c);
    l2t_station_fini(&loop);
}

/* Free the device from inside its own receive callback, with more frames still coming. */
static void test_device__free_inside_own_callback_is_safe(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l2t_station a, b;
    l2t_station_init(&a, sim, 1, 1);
    l2t_station_init(&b, sim, 2, 1);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(5);
    lp.duplicate = 1.0; /* a copy of each frame arrives at the same instant */
    l2t_link(sim, l2t_port(&a, 0), l2t_port(&b, 0), &lp);
    b.free_on_rx = 2; /* the duplicate of the first frame frees b */
    for (uint32_t i = 0; i < 5; i++)
        l2t_send(&a, &b.mac, 500, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_null(b.dev);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.rx[0].seq, 0);
    assert_int_equal(b.rx[1].seq, 0);
    /* a's port is unplugged now; what it sends is counted and dropped. */
    assert_null(viv_port_link(l2t_port(&a, 0)));
    l2t_send(&a, &b.mac, 64, 9);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l2t_pstats(l2t_port(&a, 0)).drop_unplugged, 1);
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);

    /* The same behind a hub: c frees itself on its first frame, d gets them all. */
    viv_hub_t *hub;
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    l2t_station c, d;
    l2t_station_init(&c, sim, 3, 1);
    l2t_station_init(&d, sim, 4, 1);
    l2t_link(sim, l2t_port(&a, 0), viv_hub_port(hub, 0), NULL);
    l2t_link(sim, l2t_port(&c, 0), viv_hub_port(hub, 1), NULL);
    l2t_link(sim, l2t_port(&d, 0), viv_hub_port(hub, 2), NULL);
    c.free_on_rx = 1;
    for (uint32_t i = 0; i < 4; i++)
        l2t_send(&a, &c.mac, 200, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(d.n, 4);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
    l2t_station_fini(&c);
    l2t_station_fini(&d);
}

static void test_device__free_link_or_node_with_frames_on_the_wire(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(100);
    lp.duplicate = 0.5;
    lp.reorder = 0.3;
    lp.reorder_delay_ns = VIV_US(10);
    l2t_station a, b;
    l2t_station_init(&a, sim, 1, 1);
    l2t_station_init(&b, sim, 2, 1);
    viv_link_t *l = l2t_link(sim, l2t_port(&a, 0), l2t_port(&b, 0), &lp);
    for (uint32_t i = 0; i < 30; i++) {
        l2t_send(&a, &b.mac, 1000, i);
        l2t_send(&b, &a.mac, 1000, i);
    }
    assert_int_equal(viv_sim_run_until(sim, VIV_US(120)), 0);
    /* Frames are queued, in transmission and in flight in both directions. */
    viv_link_stats_t st = l2t_lstats(l, VIV_LINK_AB);
    assert_true(st.queue_frames > 0 && st.tx_frames > 2);
    assert_true(l2t_frames_live(sim) > 20);
    viv_link_free(l);
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    const size_t na = a.n, nb = b.n;
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.n, na);
    assert_int_equal(b.n, nb);

    /* A node freed with frames toward it and from it: its links go with it. */
    l = l2t_link(sim, l2t_port(&a, 0), l2t_port(&b, 0), &lp);
    for (uint32_t i = 0; i < 30; i++) {
        l2t_send(&a, &b.mac, 1000, i);
        l2t_send(&b, &a.mac, 1000, i);
    }
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_US(120)), 0);
    viv_device_free(b.dev);
    b.dev = NULL;
    assert_null(viv_port_link(l2t_port(&a, 0)));
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);

    /* And one left for viv_sim_free (the fixture's teardown checks for leaks). */
    l2t_station c;
    l2t_station_init(&c, sim, 3, 1);
    l2t_link(sim, l2t_port(&a, 0), l2t_port(&c, 0), &lp);
    for (uint32_t i = 0; i < 30; i++)
        l2t_send(&a, &c.mac, 1000, i);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_US(120)), 0);
    assert_true(l2t_frames_live(sim) > 0);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
    l2t_station_fini(&c);
}

/* ---- raw injection: runts, empty frames and giants ------------------------------------- */

/* Send len raw bytes (a test frame to dst, cut or extended with a pattern) from s's port 0. */
static void raw_send(l2t_station *s, const viv_mac_t *dst, size_t len, uint32_t seq)
{
    uint8_t *buf = malloc(len > 18 ? len : 18);
    assert_non_null(buf);
    l2t_frame(buf, len > 18 ? len : 18, dst, &s->mac, L2T_ETHERTYPE, seq);
    assert_int_equal(viv_device_send_raw(s->dev, 0, buf, len), 0);
    free(buf);
}

static void test_device__send_raw_sends_any_length(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l2t_station a, b;
    l2t_station_init(&a, sim, 1, 1);
    l2t_station_init(&b, sim, 2, 1);
    viv_link_t *l = l2t_link(sim, l2t_port(&a, 0), l2t_port(&b, 0), NULL);
    /* Every length from 0 to 13, and an empty frame with no buffer at all. */
    for (uint32_t len = 0; len < 14; len++)
        raw_send(&a, &b.mac, len, len);
    assert_int_equal(viv_device_send_raw(a.dev, 0, NULL, 0), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 15);
    uint8_t want[18];
    l2t_frame(want, sizeof want, &b.mac, &a.mac, L2T_ETHERTYPE, 0);
    viv_time_t t = 0;
    for (uint32_t k = 0; k < 15; k++) {
        const l2t_rx *r = &b.rx[k];
        const uint32_t len = k < 14 ? k : 0;
        assert_int_equal(r->len, len);
        assert_memory_equal(r->bytes, want, len); /* the first 14 bytes do not hold seq */
        assert_int_equal(r->info.len, len);
        assert_int_equal(r->info.ethertype, 0);
        /* A runt occupies the wire for its bytes plus the medium's overhead. */
        t += l2t_ser(len, ETH_OVH, GBPS);
        assert_int_equal(r->t, t);
    }
    viv_link_stats_t st = l2t_lstats(l, VIV_LINK_AB);
    assert_int_equal(st.tx_frames, 15);
    assert_int_equal(st.rx_frames, 15);
    assert_int_equal(st.rx_bytes, 13 * 14 / 2);
    viv_port_stats_t ps = l2t_pstats(l2t_port(&a, 0));
    assert_int_equal(ps.tx_frames, 15);
    assert_int_equal(ps.tx_bytes, 13 * 14 / 2);

    /* Giants: the link's MTU still rules. A default link takes 1514 bytes, no more. */
    raw_send(&a, &b.mac, 1514, 100);
    raw_send(&a, &b.mac, 1515, 101);
    raw_send(&a, &b.mac, 65549, 102);
    raw_send(&a, &b.mac, VIV_DEVICE_RAW_MAX, 103);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 16);
    assert_int_equal(b.rx[15].seq, 100);
    assert_int_equal(l2t_lstats(l, VIV_LINK_AB).drop_mtu, 3);
    /* At the largest MTU, a frame of 65535 + 14 bytes goes through; one byte more does not. */
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.mtu = VIV_LINK_MTU_MAX;
    assert_int_equal(viv_link_set_params(l, VIV_LINK_AB, &lp), 0);
    raw_send(&a, &b.mac, VIV_LINK_MTU_MAX + 14, 104);
    raw_send(&a, &b.mac, VIV_LINK_MTU_MAX + 15, 105);
    raw_send(&a, &b.mac, VIV_DEVICE_RAW_MAX, 106);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 17);
    assert_int_equal(b.rx[16].seq, 104);
    assert_int_equal(b.rx[16].len, VIV_LINK_MTU_MAX + 14);
    assert_int_equal(l2t_lstats(l, VIV_LINK_AB).drop_mtu, 5);

    /* Bad arguments. */
    uint8_t f[64];
    l2t_frame(f, sizeof f, &b.mac, &a.mac, L2T_ETHERTYPE, 0);
    EXPECT_EINVAL(sim, viv_device_send_raw(a.dev, 0, NULL, 1));
    EXPECT_EINVAL(sim, viv_device_send_raw(a.dev, 1, f, 5));
    EXPECT_EINVAL(sim, viv_device_send_raw(a.dev, UINT32_MAX, NULL, 0));
    assert_int_equal(viv_device_send_raw(NULL, 0, f, 5), VIV_EINVAL);
    static uint8_t big[VIV_DEVICE_RAW_MAX + 1];
    EXPECT_EINVAL(sim, viv_device_send_raw(a.dev, 0, big, sizeof big));
    assert_non_null(strstr(viv_sim_errmsg(sim), "at most 131072"));
    EXPECT_EINVAL(sim, viv_device_send_raw(a.dev, 0, big, SIZE_MAX));
    /* viv_device_send keeps its rule, and says where to go instead. */
    EXPECT_EINVAL(sim, viv_device_send(a.dev, 0, f, 13));
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_device_send_raw"));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 17);
    assert_int_equal(l2t_pstats(l2t_port(&a, 0)).tx_frames, 15 + 7);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
}

/* A device plugged into a host: the host's interface MAC and the link. */
static viv_host_t *host_behind(viv_sim_t *sim, l2t_station *dev, viv_mac_t *mac,
                               const viv_link_params *lp, viv_link_t **l)
{
    viv_host_t *h = NULL;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    assert_int_equal(viv_host_mac(mac, h, 0), 0);
    *l = l2t_link(sim, l2t_port(dev, 0), viv_host_port(h, 0), lp);
    return h;
}

static viv_ip_stats_t ipstats(const viv_host_t *h)
{
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, h), 0);
    return st;
}

static void test_device__host_counts_and_drops_runts_and_giants(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l2t_station a;
    l2t_station_init(&a, sim, 1, 1);
    viv_mac_t hm;
    viv_link_t *l;
    viv_host_t *h = host_behind(sim, &a, &hm, NULL, &l);
    /* 0 to 13 bytes: no Ethernet header, counted as bad frames. */
    for (uint32_t len = 0; len < 14; len++)
        raw_send(&a, &hm, len, len);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_ip_stats_t st = ipstats(h);
    assert_int_equal(st.rx_frames, 14);
    assert_int_equal(st.rx_bad_frame, 14);
    assert_int_equal(st.ip_rx, 0);
    assert_int_equal(l2t_pstats(viv_host_port(h, 0)).rx_frames, 14);
    assert_int_equal(a.n, 0); /* nothing answered */

    /* A header and no more, with IPv4's EtherType, and 19 bytes of IPv4: both truncated. */
    uint8_t f[64] = {0};
    memcpy(f, hm.b, 6);
    memcpy(f + 6, a.mac.b, 6);
    f[12] = 0x08;
    assert_int_equal(viv_device_send_raw(a.dev, 0, f, 14), 0);
    assert_int_equal(viv_device_send_raw(a.dev, 0, f, 33), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    st = ipstats(h);
    assert_int_equal(st.rx_frames, 16);
    assert_int_equal(st.rx_bad_frame, 14);
    assert_int_equal(st.ip_rx, 2);
    assert_int_equal(st.drop_truncated, 2);
    assert_int_equal(st.drop_malformed, 0);
    assert_int_equal(st.ip_delivered, 0);

    /* Giants: refused by the link at its MTU, never seen by the host. */
    raw_send(&a, &hm, 1515, 1);
    raw_send(&a, &hm, 65549, 2);
    raw_send(&a, &hm, VIV_DEVICE_RAW_MAX, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l2t_lstats(l, VIV_LINK_AB).drop_mtu, 3);
    assert_int_equal(ipstats(h).rx_frames, 16);
    /* Through a link of the largest MTU they reach the host, which reads the headers: a
     * 65549-byte frame of an unknown EtherType is a bad frame, and one of IPv4 whose
     * header is zeros is malformed. */
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.mtu = VIV_LINK_MTU_MAX;
    assert_int_equal(viv_link_set_params(l, VIV_LINK_AB, &lp), 0);
    raw_send(&a, &hm, VIV_LINK_MTU_MAX + 14, 4);
    static uint8_t giant[VIV_LINK_MTU_MAX + 14];
    memcpy(giant, f, 14);
    assert_int_equal(viv_device_send_raw(a.dev, 0, giant, sizeof giant), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    st = ipstats(h);
    assert_int_equal(st.rx_frames, 18);
    assert_int_equal(st.rx_bad_frame, 15);
    assert_int_equal(st.ip_rx, 3);
    assert_int_equal(st.drop_truncated, 2);
    assert_int_equal(st.drop_malformed, 1);
    assert_int_equal(st.ip_delivered, 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&a);
}

/* A node with three ports (port 0 to station a, 1 to b, 2 to c); frames reach b and c only
 * by the node. The links out of the node (to b and c) keep the default MTU; the link into
 * it takes the largest. */
static void plug_three(viv_sim_t *sim, viv_node_t *n, l2t_station *a, l2t_station *b,
                       l2t_station *c, viv_link_t **in)
{
    viv_link_params big = VIV_LINK_PARAMS_INIT;
    big.mtu = VIV_LINK_MTU_MAX;
    l2t_station_init(a, sim, 1, 1);
    l2t_station_init(b, sim, 2, 1);
    l2t_station_init(c, sim, 3, 1);
    *in = l2t_link(sim, l2t_port(a, 0), viv_node_port(n, 0), &big);
    l2t_link(sim, l2t_port(b, 0), viv_node_port(n, 1), NULL);
    l2t_link(sim, l2t_port(c, 0), viv_node_port(n, 2), NULL);
}

static void test_device__switch_counts_and_drops_runts_and_giants(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
    l2t_station a, b, c;
    viv_link_t *in;
    plug_three(sim, viv_switch_node(sw), &a, &b, &c, &in);
    for (uint32_t len = 0; len < 14; len++)
        raw_send(&a, &b.mac, len, len);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st;
    assert_int_equal(viv_switch_stats(&st, sw), 0);
    assert_int_equal(st.rx_frames, 14);
    assert_int_equal(st.rx_bad_frame, 14);
    assert_int_equal(st.forwarded + st.flooded + st.filtered, 0);
    assert_int_equal(st.learned, 0); /* a runt teaches nothing, not even a whole source MAC */
    assert_int_equal(b.n + c.n, 0);
    viv_mac_entry rows[4];
    assert_int_equal(viv_switch_mac_table(sw, rows, 4), 0);

    /* A header and no more is a frame: it is learned and flooded. */
    raw_send(&a, &b.mac, 14, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(c.n, 1);
    assert_int_equal(b.rx[0].len, 14);

    /* Giants: taken in through the big link, flooded, refused by both small ones. */
    raw_send(&a, &b.mac, 9014, 1);
    raw_send(&a, &b.mac, VIV_LINK_MTU_MAX + 14, 2);
    raw_send(&a, &b.mac, VIV_LINK_MTU_MAX + 15, 3); /* too big even for the link in */
    raw_send(&a, &b.mac, 1514, 4);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l2t_lstats(in, VIV_LINK_AB).drop_mtu, 1);
    assert_int_equal(viv_switch_stats(&st, sw), 0);
    assert_int_equal(st.rx_frames, 18);
    assert_int_equal(st.rx_bad_frame, 14);
    assert_int_equal(st.flooded, 4);
    viv_link_t *lb = viv_port_link(l2t_port(&b, 0)), *lc = viv_port_link(l2t_port(&c, 0));
    /* Those links have the station at their port A: the switch sends B to A. */
    assert_int_equal(l2t_lstats(lb, VIV_LINK_BA).drop_mtu, 2);
    assert_int_equal(l2t_lstats(lc, VIV_LINK_BA).drop_mtu, 2);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.rx[1].seq, 4);
    assert_int_equal(c.n, 2);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
    l2t_station_fini(&c);
}

static void test_device__hub_repeats_runts_and_giants_within_the_mtu(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_hub_t *hub;
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    l2t_station a, b, c;
    viv_link_t *in;
    plug_three(sim, viv_hub_node(hub), &a, &b, &c, &in);
    /* A repeater repeats bits, whatever they are: every runt reaches both other ports. */
    for (uint32_t len = 0; len < 14; len++)
        raw_send(&a, &b.mac, len, len);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.n, 14);
    assert_int_equal(c.n, 14);
    uint8_t want[18];
    l2t_frame(want, sizeof want, &b.mac, &a.mac, L2T_ETHERTYPE, 0);
    for (uint32_t k = 0; k < 14; k++) {
        assert_int_equal(b.rx[k].len, k);
        assert_int_equal(c.rx[k].len, k);
        assert_memory_equal(b.rx[k].bytes, want, k);
        assert_memory_equal(c.rx[k].bytes, want, k);
    }
    assert_int_equal(l2t_pstats(viv_hub_port(hub, 0)).rx_frames, 14);
    assert_int_equal(l2t_pstats(viv_hub_port(hub, 1)).tx_frames, 14);
    assert_int_equal(l2t_pstats(viv_hub_port(hub, 2)).tx_frames, 14);

    /* Giants: repeated out of both ports, where the links refuse them. */
    raw_send(&a, &b.mac, 9014, 1);
    raw_send(&a, &b.mac, VIV_LINK_MTU_MAX + 15, 2);
    raw_send(&a, &b.mac, 1514, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l2t_lstats(in, VIV_LINK_AB).drop_mtu, 1);
    viv_link_t *lb = viv_port_link(l2t_port(&b, 0)), *lc = viv_port_link(l2t_port(&c, 0));
    assert_int_equal(l2t_lstats(lb, VIV_LINK_BA).drop_mtu, 1);
    assert_int_equal(l2t_lstats(lc, VIV_LINK_BA).drop_mtu, 1);
    assert_int_equal(b.n, 15);
    assert_int_equal(b.rx[14].seq, 3);
    assert_int_equal(c.n, 15);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&a);
    l2t_station_fini(&b);
    l2t_station_fini(&c);
}

/* Out of memory at every allocation of a small scenario: errors, never crashes or leaks. */
static void test_device__out_of_memory_is_clean(void **state)
{
    (void)state;
    for (uint64_t n = 1; n < 200; n++) {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 1);
        a.fail_at = a.calls + n;
        a.fail_all_after = 1;
        viv_device_t *d1 = NULL, *d2 = NULL;
        viv_switch_t *sw = NULL;
        viv_link_t *l1 = NULL, *l2 = NULL;
        int rc = viv_device_new(&d1, sim, 1, NULL);
        if (rc == 0)
            rc = viv_device_new(&d2, sim, 1, NULL);
        if (rc == 0)
            rc = viv_switch_new(&sw, sim, 2, NULL);
        if (rc == 0)
            rc = viv_link_new(&l1, sim, viv_device_port(d1, 0), viv_switch_port(sw, 0), NULL);
        if (rc == 0)
            rc = viv_link_new(&l2, sim, viv_device_port(d2, 0), viv_switch_port(sw, 1), NULL);
        if (rc == 0) {
            uint8_t f[100];
            viv_mac_t m1 = l2t_mac(1), m2 = l2t_mac(2);
            l2t_frame(f, sizeof f, &m2, &m1, L2T_ETHERTYPE, 0);
            for (int i = 0; i < 5 && rc == 0; i++)
                rc = viv_device_send(d1, 0, f, sizeof f);
            if (rc == 0)
                rc = viv_sim_run(sim);
            if (rc == 0) {
                viv_mac_entry rows[4];
                rc = viv_switch_mac_table(sw, rows, 4);
                rc = rc >= 0 ? 0 : rc;
            }
        }
        assert_true(rc == 0 || rc == VIV_ENOMEM);
        if (rc == VIV_ENOMEM)
            assert_true(viv_sim_errmsg(sim)[0] != '\0');
        viv_test_sim_free(sim, &a);
        if (a.failures == 0)
            break; /* the whole scenario ran without hitting the failure */
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_device__sends_and_receives_on_each_port),
        T(test_device__without_callback_frames_are_counted),
        T(test_device__bad_arguments_give_clear_errors),
        T(test_device__free_inside_own_callback_is_safe),
        T(test_device__free_link_or_node_with_frames_on_the_wire),
        T(test_device__out_of_memory_is_clean),
        T(test_device__send_raw_sends_any_length),
        T(test_device__host_counts_and_drops_runts_and_giants),
        T(test_device__switch_counts_and_drops_runts_and_giants),
        T(test_device__hub_repeats_runts_and_giants_within_the_mtu),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
