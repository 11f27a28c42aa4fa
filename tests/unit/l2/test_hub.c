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

/* One run: station 0 floods a 100-byte broadcast through a 4-port hub; the hub's wire to
 * station `bad` (none if 0) flips one bit within bytes 20..27. What each station got goes to
 * got[i] (the frame's first 100 bytes); returns the run's fingerprint. */
static uint64_t flood_once(uint32_t bad, uint8_t got[4][100])
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 5);
    star st;
    star_init(&st, sim, 4, 4, NULL);
    if (bad) {
        viv_link_params lp = VIV_LINK_PARAMS_INIT;
        lp.corrupt = 1.0;
        lp.corrupt_offset = 20;
        lp.corrupt_len = 8;
        /* The station is end A of its link: the hub sends on B to A. */
        assert_int_equal(viv_link_set_params(st.l[bad], VIV_LINK_BA, &lp), 0);
    }
    viv_mac_t bc = l2t_broadcast();
    l2t_send(&st.s[0], &bc, 100, 7);
    viv_sim_run(sim);
    memset(got, 0, 4 * 100);
    for (uint32_t i = 1; i < 4; i++) {
        assert_int_equal(st.s[i].n, 1);
        assert_int_equal(st.s[i].rx[0].len, 100);
        memcpy(got[i], st.s[i].rx[0].bytes, 100);
    }
    assert_int_equal(st.s[0].n, 0);
    if (bad)
        assert_int_equal(l2t_lstats(st.l[bad], VIV_LINK_BA).corrupted, 1);
    uint64_t fp = viv_sim_fingerprint(sim);
    star_fini(&st);
    viv_test_sim_free(sim, &a);
    return fp;
}

/* A flooded frame is one shared frame, digested for the fingerprint once (issue 17). A wire
 * that corrupts it changes a private copy: every other wire carries, and folds into the
 * fingerprint, the bytes that were sent. The corrupting wire folds the frame as it started
 * on that wire (the fingerprint takes frames at the start of transmission), so with nothing
 * transmitted after it the run's fingerprint is the clean run's. */
static void test_hub__a_wire_corrupting_a_flood_changes_only_its_own_copy(void **state)
{
    (void)state;
    uint8_t sent[100], clean[4][100], got[4][100];
    viv_mac_t bc = l2t_broadcast(), src = l2t_mac(1);
    l2t_frame(sent, sizeof sent, &bc, &src, L2T_ETHERTYPE, 7);
    uint64_t fp_clean = flood_once(0, clean);
    for (uint32_t i = 1; i < 4; i++)
        assert_memory_equal(clean[i], sent, sizeof sent);
    for (uint32_t bad = 1; bad < 4; bad++) {
        uint64_t fp = flood_once(bad, got);
        assert_true(fp == fp_clean);
        for (uint32_t i = 1; i < 4; i++) {
            if (i != bad) {
                assert_memory_equal(got[i], sent, sizeof sent);
                continue;
            }
            int flipped = 0;
            for (size_t k = 0; k < sizeof sent; k++) {
                uint8_t x = (uint8_t)(got[i][k] ^ sent[k]);
                if (x) {
                    assert_true(k >= 20 && k < 28);
                    assert_true((x & (x - 1)) == 0); /* one bit */
                    flipped++;
                }
            }
            assert_int_equal(flipped, 1);
        }
    }
}

/* ---- a hub of mixed ports --------------------------------------------------------------- */

/* What a trace subscriber saw: records by kind (frames sent, received, dropped). */
typedef struct trace_tally {
    uint64_t n[3];
    uint64_t hash;
} trace_tally;

static void tally_cb(const viv_trace_record *r, void *user)
{
    trace_tally *t = user;
    if (r->kind == VIV_TRACE_FRAME_TX)
        t->n[0]++;
    else if (r->kind == VIV_TRACE_FRAME_RX)
        t->n[1]++;
    else if (r->kind == VIV_TRACE_FRAME_DROP)
        t->n[2]++;
    t->hash = (t->hash ^ r->time ^ (uint64_t)r->kind << 56) * UINT64_C(0x100000001b3);
}

/* FNV-1a over a station's receptions: time, sequence number, length, in order. */
static uint64_t rx_hash(const l2t_station *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t v[3] = {s->rx[i].t, s->rx[i].seq, s->rx[i].len};
        for (int k = 0; k < 3; k++)
            h = (h ^ v[k]) * UINT64_C(0x100000001b3);
    }
    return h;
}

/* A hub whose ports differ (issue 17's hub work must leave each port's way as it was): plain
 * wires; a lossy, jittered wire (port 1); a capture on a wire (port 2) and on a hub port
 * (port 3) from the start; a capture on port 4's wire attached mid-run and removed later; a
 * two-frame queue (port 5); an unplugged port (6); a trace subscriber for a while. Bursts
 * from several stations keep the hub's outputs queueing. Pinned: each station's receptions
 * (count and a hash of times, sequence numbers and lengths), the drops, the captures' and
 * the trace's counts and the run's fingerprint, as the code before the hub work
 * (main 3daa746) computed them. */
static void test_hub__mixed_ports_keep_their_counts_and_times(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    star st;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 100000000;
    lp.delay_ns = VIV_US(1);
    star_init(&st, sim, 7, 6, &lp);
    viv_link_params imp = lp, shortq = lp;
    imp.loss = 0.25;
    imp.jitter_ns = VIV_US(3);
    shortq.queue_frames = 2;
    /* Each station is end A of its link: the hub sends on B to A. */
    assert_int_equal(viv_link_set_params(st.l[1], VIV_LINK_BA, &imp), 0);
    assert_int_equal(viv_link_set_params(st.l[5], VIV_LINK_BA, &shortq), 0);
    viv_rec_t *rl2, *rp3, *rl4;
    assert_int_equal(viv_rec_new(&rl2, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(rl2, st.l[2], VIV_LINK_BA), 0);
    assert_int_equal(viv_rec_new(&rp3, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rp3, viv_hub_port(st.hub, 3)), 0);
    /* Ten rounds 300 us apart: station r % 6 sends three frames to the next, station
     * (r + 4) % 6 two to the one after it 5 us later, and station (r + 2) % 6 a broadcast
     * 10 us later. */
    static const size_t lens[3] = {1000, 400, 1500};
    l2t_sendev ev[60];
    viv_mac_t bcast = l2t_broadcast();
    for (uint32_t r = 0; r < 10; r++) {
        l2t_sendev *e = &ev[r * 6];
        l2t_station *a = &st.s[r % 6], *b = &st.s[(r + 2) % 6], *c = &st.s[(r + 4) % 6];
        for (uint32_t k = 0; k < 3; k++) {
            e[k] = (l2t_sendev){a, st.s[(r + 1) % 6].mac, lens[k], r * 6 + k};
            l2t_send_at(sim, &e[k], r * VIV_US(300));
        }
        for (uint32_t k = 3; k < 5; k++) {
            e[k] = (l2t_sendev){c, st.s[(r + 5) % 6].mac, 700, r * 6 + k};
            l2t_send_at(sim, &e[k], r * VIV_US(300) + VIV_US(5));
        }
        e[5] = (l2t_sendev){b, bcast, 200, r * 6 + 5};
        l2t_send_at(sim, &e[5], r * VIV_US(300) + VIV_US(10));
    }
    trace_tally tr = {{0, 0, 0}, 0};
    assert_int_equal(viv_sim_run_until(sim, VIV_US(650)), 0);
    assert_int_equal(viv_sim_trace(sim, tally_cb, &tr), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_US(1250)), 0);
    assert_int_equal(viv_sim_trace(sim, NULL, NULL), 0);
    assert_int_equal(viv_rec_new(&rl4, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(rl4, st.l[4], VIV_LINK_BA), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_US(2150)), 0);
    size_t n4 = viv_rec_count(rl4);
    viv_rec_free(rl4);
    assert_int_equal(viv_sim_run(sim), 0);

    static const size_t want_n[6] = {49, 37, 50, 50, 51, 44};
    static const uint64_t want[6] = {
        UINT64_C(0x16814ddce33d47ca), UINT64_C(0xf3a33038710d88ce), UINT64_C(0x3215962952a13ce8),
        UINT64_C(0xd585647b45038c4c), UINT64_C(0xa53da694d05be3be), UINT64_C(0x1dc367e4cdf88328),
    };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(st.s[i].n, want_n[i]);
        assert_true(rx_hash(&st.s[i]) == want[i]);
    }
    viv_link_stats_t s1 = l2t_lstats(st.l[1], VIV_LINK_BA), s5 = l2t_lstats(st.l[5], VIV_LINK_BA);
    assert_int_equal(s1.drop_loss, 12);
    assert_int_equal(s5.drop_queue, 7);
    assert_int_equal(s5.queue_peak, 2);
    assert_int_equal(viv_rec_count(rl2), 50);
    assert_int_equal(viv_rec_count(rp3), 60); /* port 3 sent 50 and received its 10 */
    assert_int_equal(n4, 12);
    assert_int_equal(tr.n[0], 72);
    assert_int_equal(tr.n[1], 65);
    assert_int_equal(tr.n[2], 5);
    assert_true(tr.hash == UINT64_C(0xd641e88f737720e1));
    assert_true(viv_sim_fingerprint(sim) == UINT64_C(0x4e419f68fe0b84ba));
    assert_int_equal(l2t_frames_live(sim), 0);
    viv_rec_free(rl2);
    viv_rec_free(rp3);
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
        T(test_hub__a_wire_corrupting_a_flood_changes_only_its_own_copy),
        T(test_hub__mixed_ports_keep_their_counts_and_times),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
