/* Hubs: every frame arriving on a port goes out of every other plugged-in port, unchanged,
 * with exact counts at every port and exact timing through the repeater. */
#include "l2_test.h"

#include <stdio.h>

#define GBPS UINT64_C(1000000000)
#define ETH_OVH 24u

/* A hub with n ports, stations s[i] plugged into port i for i < plugged. */
typedef struct star {
    viv_hub_t *hub;
    l2t_station s[8];
    viv_link_t *l[8];
    uint32_t plugged;
} star;

static void star_init(star *st, viv_sim_t *sim, uint32_t nports, uint32_t plugged,
                      const viv_link_params *lp)
{
    memset(st, 0, sizeof(*st));
    viv_hub_opts o = VIV_HUB_OPTS_INIT;
    o.name = "hub0";
    assert_int_equal(viv_hub_new(&st->hub, sim, nports, &o), 0);
    st->plugged = plugged;
    for (uint32_t i = 0; i < plugged; i++) {
        l2t_station_init(&st->s[i], sim, i + 1, 1);
        /* Station is port A of its link, the hub port B. */
        st->l[i] = l2t_link(sim, l2t_port(&st->s[i], 0), viv_hub_port(st->hub, i), lp);
    }
}

static void star_fini(star *st)
{
    for (uint32_t i = 0; i < st->plugged; i++)
        l2t_station_fini(&st->s[i]);
}

/* The testing kit: a recorder on each station's port (what it sends and receives), every
 * station's MAC named s0, s1... */
static void star_recorders(star *st, viv_sim_t *sim, viv_rec_t **rec)
{
    for (uint32_t i = 0; i < st->plugged; i++) {
        assert_int_equal(viv_rec_new(&rec[i], sim, NULL), 0);
        for (uint32_t j = 0; j < st->plugged; j++) {
            char name[16];
            snprintf(name, sizeof name, "s%u", j);
            assert_int_equal(viv_rec_name_mac(rec[i], name, &st->s[j].mac), 0);
        }
        assert_int_equal(viv_rec_attach_port(rec[i], l2t_port(&st->s[i], 0)), 0);
    }
}

/* Check everything a recorder holds against an expectation script. */
static void expect_frames(viv_rec_t *rec, const char *script)
{
    viv_expect_t *ex;
    char report[4096];
    assert_int_equal(viv_expect_new(&ex, viv_rec_sim(rec)), 0);
    if (viv_expect_parse(ex, script) != 0)
        fail_msg("%s", viv_sim_errmsg(viv_rec_sim(rec)));
    if (viv_expect_check(ex, rec, 1, report, sizeof report) != 0)
        fail_msg("%s", report);
    viv_expect_free(ex);
}

static void test_hub__repeats_to_every_other_port_unchanged(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star st;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = 500;
    star_init(&st, sim, 4, 4, &lp);
    viv_rec_t *rec[4];
    star_recorders(&st, sim, rec);
    assert_string_equal(viv_node_name(viv_hub_node(st.hub)), "hub0");
    assert_int_equal(viv_node_port_count(viv_hub_node(st.hub)), 4);
    assert_ptr_equal(viv_port_node(viv_hub_port(st.hub, 2)), viv_hub_node(st.hub));
    assert_int_equal(viv_port_index(viv_hub_port(st.hub, 2)), 2);
    /* Station 0 sends to station 1, to a stranger and to broadcast: a hub ignores all that. */
    viv_mac_t stranger = l2t_mac(99), bcast = l2t_broadcast();
    l2t_send(&st.s[0], &st.s[1].mac, 100, 0);
    l2t_send(&st.s[0], &stranger, 100, 1);
    l2t_send(&st.s[0], &bcast, 100, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    /* Each station's recording is exactly this (what it sent and received). A 100-byte frame
     * takes 992 ns at 1 Gb/s, plus 500 ns of delay; two hops, and on the second the three
     * frames leave one after another: 2984, 3976, 4968 ns. */
    expect_frames(rec[0], "0 s0>s1 ETH type 0x88b5 len 100\n"
                          "0 s0>02:00:00:00:00:63 ETH type 0x88b5 len 100\n"
                          "0 s0>ff:ff:ff:ff:ff:ff ETH type 0x88b5 len 100\n"
                          "nothing else until 1\n");
    for (int k = 1; k < 4; k++) {
        expect_frames(rec[k], "2984ns s0>s1 ETH type 0x88b5 len 100\n"
                              "3976ns s0>02:00:00:00:00:63 ETH type 0x88b5 len 100\n"
                              "4968ns s0>ff:ff:ff:ff:ff:ff ETH type 0x88b5 len 100\n"
                              "nothing else until 1\n");
        for (uint32_t i = 0; i < 3; i++) { /* unchanged, byte for byte */
            viv_rec_entry e;
            assert_int_equal(viv_rec_frame(&e, rec[k], i), 0);
            uint8_t want[100];
            l2t_frame(want, 100, i == 0 ? &st.s[1].mac : i == 1 ? &stranger : &bcast,
                      &st.s[0].mac, L2T_ETHERTYPE, i);
            assert_memory_equal(e.bytes, want, 100);
        }
    }
    viv_port_stats_t hp = l2t_pstats(viv_hub_port(st.hub, 0));
    assert_int_equal(hp.rx_frames, 3);
    assert_int_equal(hp.rx_bytes, 300);
    assert_int_equal(hp.tx_frames, 0);
    for (uint32_t k = 1; k < 4; k++) {
        hp = l2t_pstats(viv_hub_port(st.hub, k));
        assert_int_equal(hp.rx_frames, 0);
        assert_int_equal(hp.tx_frames, 3);
        assert_int_equal(hp.tx_bytes, 300);
        assert_int_equal(hp.drop_unplugged, 0);
    }
    star_fini(&st);
}

static void test_hub__unplugged_ports_are_skipped(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star st;
    star_init(&st, sim, 6, 3, NULL);
    /* Ports 3, 4, 5 have no link. Unplug port 1 too, leaving 0 and 2. */
    viv_link_free(st.l[1]);
    assert_null(viv_port_link(viv_hub_port(st.hub, 1)));
    for (uint32_t i = 0; i < 5; i++)
        l2t_send(&st.s[0], &st.s[2].mac, 64, i);
    l2t_send(&st.s[1], &st.s[2].mac, 64, 99); /* its cable is gone */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(st.s[2].n, 5);
    assert_int_equal(st.s[1].n, 0);
    assert_int_equal(l2t_pstats(l2t_port(&st.s[1], 0)).drop_unplugged, 1);
    for (uint32_t k = 1; k < 6; k++) {
        viv_port_stats_t hp = l2t_pstats(viv_hub_port(st.hub, k));
        assert_int_equal(hp.tx_frames, k == 2 ? 5 : 0);
        /* The hub only repeats out of plugged ports: nothing counts as unplugged. */
        assert_int_equal(hp.drop_unplugged, 0);
    }
    /* A hub with a single port repeats to nobody. */
    viv_hub_t *h1;
    assert_int_equal(viv_hub_new(&h1, sim, 1, NULL), 0);
    l2t_station lone;
    l2t_station_init(&lone, sim, 50, 1);
    l2t_link(sim, l2t_port(&lone, 0), viv_hub_port(h1, 0), NULL);
    l2t_send(&lone, &st.s[0].mac, 64, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(lone.n, 0);
    assert_int_equal(l2t_pstats(viv_hub_port(h1, 0)).rx_frames, 1);
    assert_int_equal(l2t_frames_live(sim), 0);
    l2t_station_fini(&lone);
    star_fini(&st);
}

static void test_hub__two_frames_arriving_together_are_both_repeated(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star st;
    star_init(&st, sim, 3, 3, NULL);
    viv_rec_t *rec[3];
    star_recorders(&st, sim, rec);
    l2t_send(&st.s[0], &st.s[2].mac, 200, 0);
    l2t_send(&st.s[1], &st.s[2].mac, 200, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    /* A 200-byte frame takes 1792 ns at 1 Gb/s. Both arrive at the hub at 1792 ns; toward
     * station 2 they share one output, so the second waits for the first. Stations 0 and 1
     * each get the other's frame. */
    expect_frames(rec[2], "3584ns s0>s2 ETH len 200\n"
                          "5376ns s1>s2 ETH len 200\n"
                          "nothing else until 1\n");
    expect_frames(rec[0], "0 s0>s2 ETH len 200\n"
                          "3584ns s1>s2 ETH len 200\n"
                          "nothing else until 1\n");
    expect_frames(rec[1], "0 s1>s2 ETH len 200\n"
                          "3584ns s0>s2 ETH len 200\n"
                          "nothing else until 1\n");
    assert_int_equal(l2t_lstats(st.l[2], VIV_LINK_BA).queue_peak, 1);
    star_fini(&st);
}

static void test_hub__off_drops_and_chained_hubs_repeat(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star a, b;
    star_init(&a, sim, 3, 2, NULL);
    star_init(&b, sim, 3, 2, NULL);
    l2t_link(sim, viv_hub_port(a.hub, 2), viv_hub_port(b.hub, 2), NULL);
    /* Four stations, two hubs: every frame reaches the three others. */
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&a.s[0], &bcast, 64, 0);
    l2t_send(&b.s[1], &a.s[0].mac, 64, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.s[0].n, 1);
    assert_int_equal(a.s[1].n, 2);
    assert_int_equal(b.s[0].n, 2);
    assert_int_equal(b.s[1].n, 1);
    assert_int_equal(l2t_pstats(viv_hub_port(a.hub, 2)).tx_frames, 1);
    assert_int_equal(l2t_pstats(viv_hub_port(a.hub, 2)).rx_frames, 1);
    /* Hub b off: what reaches it is dropped and counted, nothing is repeated. */
    assert_int_equal(viv_node_set_up(viv_hub_node(b.hub), 0), 0);
    l2t_send(&a.s[0], &bcast, 64, 2);
    l2t_send(&b.s[0], &bcast, 64, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.s[1].n, 3);
    assert_int_equal(b.s[0].n, 2);
    assert_int_equal(b.s[1].n, 1);
    assert_int_equal(l2t_pstats(viv_hub_port(b.hub, 2)).drop_down, 1);
    assert_int_equal(l2t_pstats(viv_hub_port(b.hub, 0)).drop_down, 1);
    star_fini(&a);
    star_fini(&b);
}

static void test_hub__free_with_frames_in_flight_leaks_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star st;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    star_init(&st, sim, 4, 4, &lp);
    viv_mac_t bcast = l2t_broadcast();
    for (uint32_t i = 0; i < 10; i++)
        l2t_send(&st.s[0], &bcast, 1000, i);
    /* Some frames reached the hub and are on their way out, others are still coming in. */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1) + VIV_US(30)), 0);
    assert_true(l2t_frames_live(sim) > 0);
    viv_hub_free(st.hub);
    assert_null(viv_port_link(l2t_port(&st.s[0], 0)));
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    for (int k = 1; k < 4; k++)
        assert_int_equal(st.s[k].n, 0);
    viv_hub_free(NULL);
    star_fini(&st);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hub__repeats_to_every_other_port_unchanged),
        T(test_hub__unplugged_ports_are_skipped),
        T(test_hub__two_frames_arriving_together_are_both_repeated),
        T(test_hub__off_drops_and_chained_hubs_repeat),
        T(test_hub__free_with_frames_in_flight_leaks_nothing),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
