/* Learning switches: learning, forwarding, flooding, filtering, moves, aging, capacity,
 * chains, power and the table listings, with exact counts at every station. */
#define _POSIX_C_SOURCE 200809L
#include "l2_test.h"

#include <stdio.h>
#include <time.h>

#define GBPS UINT64_C(1000000000)
#define ETH_OVH 24u
#define SER100 l2t_ser(100, ETH_OVH, GBPS)

/* A switch with stations s[i] on port i for i < plugged (MAC l2t_mac(i + 1)). */
typedef struct lan {
    viv_switch_t *sw;
    l2t_station s[8];
    viv_link_t *l[8];
    uint32_t plugged;
} lan;

static void lan_init(lan *n, viv_sim_t *sim, uint32_t nports, uint32_t plugged,
                     const viv_switch_opts *o, uint32_t first_id)
{
    memset(n, 0, sizeof(*n));
    assert_int_equal(viv_switch_new(&n->sw, sim, nports, o), 0);
    n->plugged = plugged;
    for (uint32_t i = 0; i < plugged; i++) {
        l2t_station_init(&n->s[i], sim, first_id + i, 1);
        n->l[i] = l2t_link(sim, l2t_port(&n->s[i], 0), viv_switch_port(n->sw, i), NULL);
    }
}

static void lan_fini(lan *n)
{
    for (uint32_t i = 0; i < n->plugged; i++)
        l2t_station_fini(&n->s[i]);
}

static viv_switch_stats_t sstats(viv_switch_t *sw)
{
    viv_switch_stats_t st;
    assert_int_equal(viv_switch_stats(&st, sw), 0);
    return st;
}

/* Assert the table is exactly these rows (MAC, port, age). */
typedef struct row {
    viv_mac_t mac;
    uint32_t port;
    viv_time_t age;
} row;

static void table_is(viv_switch_t *sw, const row *want, int n)
{
    viv_mac_entry rows[16];
    assert_int_equal(viv_switch_mac_table(sw, rows, 16), n);
    for (int i = 0; i < n; i++) {
        assert_true(l2t_mac_eq(&rows[i].mac, &want[i].mac));
        assert_int_equal(rows[i].port, want[i].port);
        assert_int_equal(rows[i].age_ns, want[i].age);
    }
}

/* Receive counts of the stations, in order. */
static void counts_are(const lan *n, const size_t *want)
{
    for (uint32_t i = 0; i < n->plugged; i++)
        assert_int_equal(n->s[i].n, want[i]);
}

static void test_switch__learns_and_forwards_to_the_one_port(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 4, 4, NULL, 1);
    l2t_sendev e0 = {&n.s[0], n.s[1].mac, 100, 0}; /* unknown yet: flooded */
    l2t_sendev e1 = {&n.s[1], n.s[0].mac, 100, 1}; /* known: port 0 alone */
    l2t_sendev e2 = {&n.s[2], n.s[1].mac, 100, 2}; /* known: port 1 alone */
    l2t_send_at(sim, &e0, 0);
    l2t_send_at(sim, &e1, VIV_US(10));
    l2t_send_at(sim, &e2, VIV_US(20));
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){1, 2, 1, 1});
    assert_int_equal(n.s[0].rx[0].seq, 1);
    assert_int_equal(n.s[0].rx[0].t, VIV_US(10) + 2 * SER100);
    assert_int_equal(n.s[1].rx[0].seq, 0);
    assert_int_equal(n.s[1].rx[1].seq, 2);
    assert_int_equal(n.s[3].rx[0].seq, 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.rx_frames, 3);
    assert_int_equal(st.flooded, 1);
    assert_int_equal(st.forwarded, 2);
    assert_int_equal(st.learned, 3);
    assert_int_equal(st.filtered, 0);
    assert_int_equal(st.moved, 0);
    assert_int_equal(st.aged, 0);
    /* Rows sorted by port, with ages from the instant each frame fully arrived. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    const row want[3] = {{n.s[0].mac, 0, VIV_S(1) - SER100},
                         {n.s[1].mac, 1, VIV_S(1) - VIV_US(10) - SER100},
                         {n.s[2].mac, 2, VIV_S(1) - VIV_US(20) - SER100}};
    table_is(n.sw, want, 3);
    /* Port counters of the switch. */
    viv_port_stats_t p3 = l2t_pstats(viv_switch_port(n.sw, 3));
    assert_int_equal(p3.tx_frames, 1);
    assert_int_equal(p3.rx_frames, 0);
    viv_port_stats_t p1 = l2t_pstats(viv_switch_port(n.sw, 1));
    assert_int_equal(p1.tx_frames, 2);
    assert_int_equal(p1.rx_frames, 1);
    /* snprintf-like counts: fewer rows than entries. */
    viv_mac_entry one[1];
    assert_int_equal(viv_switch_mac_table(n.sw, one, 1), 3);
    assert_true(l2t_mac_eq(&one[0].mac, &n.s[0].mac));
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 3);
    lan_fini(&n);
}

static void test_switch__floods_broadcast_multicast_and_unknown_unicast(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 5, 4, NULL, 1);
    /* Everyone speaks once, so every station is known. */
    for (uint32_t i = 0; i < 4; i++)
        l2t_send(&n.s[i], &n.s[(i + 1) % 4].mac, 64, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 4);
    for (uint32_t i = 0; i < 4; i++)
        l2t_station_fini(&n.s[i]);
    viv_switch_stats_t before = sstats(n.sw);

    viv_mac_t bcast = l2t_broadcast();
    viv_mac_t mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    viv_mac_t stranger = l2t_mac(77);
    l2t_send(&n.s[0], &bcast, 64, 10);
    l2t_send(&n.s[1], &mcast, 64, 11);
    l2t_send(&n.s[2], &stranger, 64, 12);
    l2t_send(&n.s[3], &n.s[2].mac, 64, 13); /* known: to station 2 alone */
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){2, 2, 3, 3});
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.flooded - before.flooded, 3);
    assert_int_equal(st.forwarded - before.forwarded, 1);
    assert_int_equal(st.learned, 4);
    /* Port 4 has no link: a flood skips it without counting. */
    viv_port_stats_t p4 = l2t_pstats(viv_switch_port(n.sw, 4));
    assert_int_equal(p4.tx_frames + p4.drop_unplugged, 0);
    /* The stranger is still unknown, and group addresses never enter the table. */
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 4);
    lan_fini(&n);
}

/* Trace records of frames sent by the switch, per port. */
typedef struct tx_seen {
    const viv_node_t *sw;
    uint32_t per_port[8];
} tx_seen;

static void tx_seen_cb(const viv_trace_record *r, void *user)
{
    tx_seen *t = user;
    if (r->kind == VIV_TRACE_FRAME_TX && r->node == t->sw && r->port < 8)
        t->per_port[r->port]++;
}

/* A flood checks the switch's state once (up, traced) and each port's own (link, taps): the
 * same counts whether or not someone watches, a trace record per port sent from when a
 * subscriber listens, the frame in a capture attached to one port, and nothing for the
 * ingress port or a port with no link. */
static void test_switch__flood_counts_traces_and_captures_per_port(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 6, 5, NULL, 1);
    viv_mac_t bcast = l2t_broadcast();
    /* 1: unwatched. */
    l2t_send(&n.s[0], &bcast, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    /* 2: a trace subscriber. */
    tx_seen seen = {viv_switch_node(n.sw), {0}};
    assert_int_equal(viv_sim_trace(sim, tx_seen_cb, &seen), 0);
    l2t_send(&n.s[1], &bcast, 100, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_sim_trace(sim, NULL, NULL), 0);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(seen.per_port[i], i < 5 && i != 1 ? 1 : 0);
    /* 3: a capture on port 3 (a tap), nobody tracing. */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VIV_TEST_TMPDIR, "switch_flood_port3.pcap");
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_port(cap, viv_switch_port(n.sw, 3)), 0);
    l2t_send(&n.s[2], &bcast, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_pcap_close(cap);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    /* The file header (24 bytes), then one record sent (16 + 100) from the flood. */
    assert_int_equal(ftell(fp), 24 + 16 + 100);
    fclose(fp);
    remove(path);
    /* Every station heard the two floods it did not send. */
    counts_are(&n, (size_t[]){2, 2, 2, 3, 3});
    for (uint32_t i = 0; i < 5; i++) {
        viv_port_stats_t p = l2t_pstats(viv_switch_port(n.sw, i));
        assert_int_equal(p.tx_frames, i < 3 ? 2 : 3);
        assert_int_equal(p.tx_bytes, (i < 3 ? 2 : 3) * 100);
        assert_int_equal(p.rx_frames, i < 3 ? 1 : 0);
        assert_int_equal(p.drop_unplugged + p.drop_down, 0);
    }
    viv_port_stats_t p5 = l2t_pstats(viv_switch_port(n.sw, 5));
    assert_int_equal(p5.tx_frames + p5.drop_unplugged, 0);
    assert_int_equal(sstats(n.sw).flooded, 3);
    lan_fini(&n);
}

static void test_switch__drops_frames_for_the_ingress_port(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    /* s0 and s1 share a hub on switch port 0; s2 is on port 1. */
    viv_switch_t *sw;
    viv_hub_t *hub;
    assert_int_equal(viv_switch_new(&sw, sim, 2, NULL), 0);
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    l2t_station s[3];
    for (uint32_t i = 0; i < 3; i++)
        l2t_station_init(&s[i], sim, i + 1, 1);
    l2t_link(sim, l2t_port(&s[0], 0), viv_hub_port(hub, 0), NULL);
    l2t_link(sim, l2t_port(&s[1], 0), viv_hub_port(hub, 1), NULL);
    l2t_link(sim, viv_hub_port(hub, 2), viv_switch_port(sw, 0), NULL);
    l2t_link(sim, l2t_port(&s[2], 0), viv_switch_port(sw, 1), NULL);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&s[1], &bcast, 64, 0); /* the switch learns s1 on port 0 */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(s[2].n, 1);
    l2t_send(&s[0], &s[1].mac, 64, 1); /* the hub delivers it; the switch must not */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(s[1].n, 1);
    assert_int_equal(s[1].rx[0].seq, 1);
    assert_int_equal(s[2].n, 1);
    viv_switch_stats_t st = sstats(sw);
    assert_int_equal(st.filtered, 1);
    assert_int_equal(st.forwarded, 0);
    assert_int_equal(st.flooded, 1);
    assert_int_equal(st.rx_frames, 2);
    assert_int_equal(l2t_pstats(viv_switch_port(sw, 1)).tx_frames, 1);
    assert_int_equal(l2t_pstats(viv_switch_port(sw, 0)).tx_frames, 0);
    /* Both stations behind port 0, sorted by MAC. */
    viv_mac_entry rows[4];
    assert_int_equal(viv_switch_mac_table(sw, rows, 4), 2);
    assert_true(l2t_mac_eq(&rows[0].mac, &s[0].mac));
    assert_true(l2t_mac_eq(&rows[1].mac, &s[1].mac));
    assert_int_equal(rows[0].port, 0);
    assert_int_equal(rows[1].port, 0);
    for (int i = 0; i < 3; i++)
        l2t_station_fini(&s[i]);
}

/* A station that moves while its old port keeps its link (it hung off a hub there) is
 * followed when it speaks from its new port: its entry moves. (Had the old port lost its
 * link, the entry would have been flushed: see the tests after this one.) */
static void test_switch__follows_a_station_that_moves(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 5, 3, NULL, 1);
    viv_hub_t *hub;
    assert_int_equal(viv_hub_new(&hub, sim, 2, NULL), 0);
    viv_link_free(n.l[0]); /* nothing learned yet: nothing to flush */
    n.l[0] = l2t_link(sim, l2t_port(&n.s[0], 0), viv_hub_port(hub, 0), NULL);
    l2t_link(sim, viv_hub_port(hub, 1), viv_switch_port(n.sw, 0), NULL);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&n.s[0], &bcast, 100, 0);
    l2t_send(&n.s[1], &bcast, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    /* Station 0 is re-cabled from the hub to port 4; port 0 keeps its link to the hub. */
    viv_link_free(n.l[0]);
    n.l[0] = l2t_link(sim, l2t_port(&n.s[0], 0), viv_switch_port(n.sw, 4), NULL);
    assert_int_equal(sstats(n.sw).flushed, 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 2);
    const viv_time_t t = viv_sim_now(sim);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.moved, 1);
    assert_int_equal(st.learned, 2);
    assert_int_equal(st.forwarded, 1);
    assert_int_equal(st.flushed, 0);
    const row want[2] = {{n.s[1].mac, 1, 0}, {n.s[0].mac, 4, viv_sim_now(sim) - t - SER100}};
    /* s1's entry is older; read ages at a fixed instant. */
    viv_mac_entry rows[4];
    assert_int_equal(viv_switch_mac_table(n.sw, rows, 4), 2);
    assert_true(l2t_mac_eq(&rows[0].mac, &want[0].mac));
    assert_int_equal(rows[0].port, 1);
    assert_true(l2t_mac_eq(&rows[1].mac, &want[1].mac));
    assert_int_equal(rows[1].port, 4);
    assert_int_equal(rows[1].age_ns, want[1].age);
    /* Frames to station 0 now go out of port 4 alone. */
    for (uint32_t i = 0; i < 3; i++)
        l2t_station_fini(&n.s[i]);
    l2t_send(&n.s[2], &n.s[0].mac, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){1, 0, 0});
    assert_int_equal(l2t_pstats(viv_switch_port(n.sw, 4)).tx_frames, 1);
    /* Port 0 carried s1's broadcast before the move, nothing after. */
    assert_int_equal(l2t_pstats(viv_switch_port(n.sw, 0)).tx_frames, 1);
    lan_fini(&n);
}

/* The whole table, at most 8 rows. */
static int rows_now(viv_switch_t *sw, viv_mac_entry *rows)
{
    int n = viv_switch_mac_table(sw, rows, 8);
    assert_true(n >= 0 && n <= 8);
    return n;
}

static void row_eq(const viv_mac_entry *a, const viv_mac_entry *b)
{
    assert_true(l2t_mac_eq(&a->mac, &b->mac));
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->age_ns, b->age_ns);
}

/* A station re-cabled from port 1 to port 3: unplugging its link flushes its entry at once,
 * so the next frame to it is flooded and reaches it on port 3, instead of being forwarded
 * into port 1, which has no link any more (it would have been counted in port 1's
 * drop_unplugged and lost). Exact frame counts on every port. */
static void test_switch__recabled_station_is_flooded_to_not_sent_into_its_dead_port(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 4, 3, NULL, 1); /* s0, s1, s2 on ports 0, 1, 2; port 3 free */
    viv_mac_t bcast = l2t_broadcast();
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&n.s[i], &bcast, 100, i);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_mac_entry before[8], after[8];
    assert_int_equal(rows_now(n.sw, before), 3);
    for (uint32_t i = 0; i < 3; i++)
        l2t_station_fini(&n.s[i]); /* forget what they received so far */

    /* The move: unplugged from port 1 (its entry goes now), plugged into port 3. */
    viv_link_free(n.l[1]);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.flushed, 1);
    assert_int_equal(rows_now(n.sw, after), 2);
    row_eq(&after[0], &before[0]); /* s0 and s2 untouched, ages included */
    row_eq(&after[1], &before[2]);
    n.l[1] = l2t_link(sim, l2t_port(&n.s[1], 0), viv_switch_port(n.sw, 3), NULL);

    /* Right after the move s0 sends to s1: unknown, so flooded out of ports 2 and 3 (port 1
     * has no link: skipped). */
    l2t_send(&n.s[0], &n.s[1].mac, 100, 10);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 1, 1});
    assert_int_equal(n.s[1].rx[0].seq, 10);
    assert_int_equal(n.s[2].rx[0].seq, 10);
    /* s1 answers: learned on port 3 (new, not moved), forwarded to port 0 alone. */
    l2t_send(&n.s[1], &n.s[0].mac, 100, 11);
    assert_int_equal(viv_sim_run(sim), 0);
    /* And from then on frames to s1 go out of port 3 alone. */
    l2t_send(&n.s[0], &n.s[1].mac, 100, 12);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){1, 2, 1});
    assert_int_equal(n.s[0].rx[0].seq, 11);
    assert_int_equal(n.s[1].rx[1].seq, 12);

    /* Every port: 2 broadcasts each before the move, then 11 on port 0, 10 on port 2, 10
     * and 12 on port 3; nothing sent into port 1 after the move, nothing dropped there. */
    const uint64_t tx[4] = {3, 2, 3, 2};
    for (uint32_t p = 0; p < 4; p++) {
        viv_port_stats_t ps = l2t_pstats(viv_switch_port(n.sw, p));
        assert_int_equal(ps.tx_frames, tx[p]);
        assert_int_equal(ps.drop_unplugged, 0);
    }
    st = sstats(n.sw);
    assert_int_equal(st.rx_frames, 6);
    assert_int_equal(st.flooded, 4);
    assert_int_equal(st.forwarded, 2);
    assert_int_equal(st.learned, 4);
    assert_int_equal(st.moved, 0);
    assert_int_equal(st.flushed, 1);
    assert_int_equal(st.aged, 0);
    assert_int_equal(rows_now(n.sw, after), 3);
    assert_true(l2t_mac_eq(&after[2].mac, &n.s[1].mac));
    assert_int_equal(after[2].port, 3);
    lan_fini(&n);
}

/* Cutting a link forgets the stations of its switch port (only those: the other entries keep
 * their ports and ages); restoring it brings nothing back, and the station is learned again
 * when it speaks. Freeing the node at the other end of a link flushes its port too. */
static void test_switch__cut_forgets_the_port_and_restore_brings_nothing_back(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 4, 4, NULL, 1);
    viv_mac_t bcast = l2t_broadcast();
    l2t_sendev e[4];
    for (uint32_t i = 0; i < 4; i++) { /* at different times: different ages */
        e[i] = (l2t_sendev){&n.s[i], bcast, 100, i};
        l2t_send_at(sim, &e[i], VIV_MS(i));
    }
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(10)), 0);
    viv_mac_entry before[8], after[8];
    assert_int_equal(rows_now(n.sw, before), 4);
    for (uint32_t i = 0; i < 4; i++)
        l2t_station_fini(&n.s[i]);

    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BOTH, 0), 0);
    assert_int_equal(sstats(n.sw).flushed, 1);
    assert_int_equal(rows_now(n.sw, after), 3);
    row_eq(&after[0], &before[0]);
    row_eq(&after[1], &before[2]);
    row_eq(&after[2], &before[3]);
    /* While cut, a frame to s1 is flooded; its copy for s1 is lost on the cut. */
    l2t_send(&n.s[0], &n.s[1].mac, 100, 10);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 0, 1, 1});
    assert_int_equal(l2t_lstats(n.l[1], VIV_LINK_BA).drop_cut, 1);

    /* Restored: the entry does not come back; frames to s1 are flooded until it speaks. */
    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BOTH, 1), 0);
    assert_int_equal(rows_now(n.sw, after), 3);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 11);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 1, 2, 2});
    l2t_send(&n.s[1], &n.s[0].mac, 100, 12);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){1, 1, 2, 2});
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.flooded, 6);
    assert_int_equal(st.forwarded, 1);
    assert_int_equal(st.learned, 5);
    assert_int_equal(st.moved, 0);
    assert_int_equal(st.flushed, 1);
    assert_int_equal(rows_now(n.sw, after), 4);
    assert_int_equal(after[1].port, 1);
    assert_true(l2t_mac_eq(&after[1].mac, &n.s[1].mac));

    /* The station at port 3 is freed, with its link: port 3 is flushed. */
    viv_device_free(n.s[3].dev);
    n.s[3].dev = NULL;
    st = sstats(n.sw);
    assert_int_equal(st.flushed, 2);
    assert_int_equal(rows_now(n.sw, after), 3);
    assert_int_equal(after[2].port, 2);
    lan_fini(&n);
}

/* A port's carrier is the direction arriving at it. Cutting only the direction leaving the
 * switch port keeps the entry (frames forwarded to it are lost on the cut); cutting the
 * direction into the port flushes it, once however often it is cut. */
static void test_switch__only_the_direction_into_the_port_is_its_carrier(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 3, 3, NULL, 1); /* links: AB is station to switch, BA switch to station */
    viv_mac_t bcast = l2t_broadcast();
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&n.s[i], &bcast, 100, i);
    assert_int_equal(viv_sim_run(sim), 0);
    for (uint32_t i = 0; i < 3; i++)
        l2t_station_fini(&n.s[i]);

    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BA, 0), 0);
    assert_int_equal(sstats(n.sw).flushed, 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 3);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 10); /* forwarded into the cut direction */
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 0, 0});
    assert_int_equal(l2t_lstats(n.l[1], VIV_LINK_BA).drop_cut, 1);
    assert_int_equal(sstats(n.sw).forwarded, 1);
    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BA, 1), 0);

    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_AB, 0), 0);   /* already down */
    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BOTH, 0), 0); /* BA: s1's side */
    assert_int_equal(viv_link_set_up(n.l[1], VIV_LINK_BA, 1), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.flushed, 1);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 2);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 11); /* flooded: s1 gets it over BA */
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 1, 1});
    st = sstats(n.sw);
    assert_int_equal(st.flooded, 4);
    assert_int_equal(st.forwarded, 1);
    lan_fini(&n);
}

/* An entry past its aging time was already gone for every observer (and counted in aged):
 * a flush that removes it does not count it again as flushed. */
static void test_switch__flush_counts_an_expired_entry_as_aged_once(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.aging_ns = VIV_S(1);
    lan_init(&n, sim, 2, 2, &o, 1);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&n.s[0], &bcast, 100, 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    l2t_send(&n.s[1], &bcast, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.aged, 1); /* s0 expired lazily: still in the slots */
    viv_link_free(n.l[0]);
    viv_link_free(n.l[1]);
    st = sstats(n.sw);
    assert_int_equal(st.aged, 1);
    assert_int_equal(st.flushed, 1);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    lan_fini(&n);
}

static void test_switch__aging_is_refreshed_only_by_frames_from_the_station(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.aging_ns = VIV_S(1);
    lan_init(&n, sim, 4, 4, &o, 1);
    viv_mac_t bcast = l2t_broadcast();
    /* s0 speaks at 0 (learned at SER100). s1 then sends *to* s0 at 0.5 s and 0.9 s: those
     * frames do not refresh s0's entry. s1 speaks, so its own entry is refreshed. */
    l2t_sendev a = {&n.s[0], bcast, 100, 0};
    l2t_sendev b1 = {&n.s[1], n.s[0].mac, 100, 1};
    l2t_sendev b2 = {&n.s[1], n.s[0].mac, 100, 2};
    l2t_send_at(sim, &a, 0);
    l2t_send_at(sim, &b1, VIV_MS(500));
    l2t_send_at(sim, &b2, VIV_MS(900));
    assert_int_equal(viv_sim_run_until(sim, SER100 + VIV_S(1) - 1), 0);
    row want1[2] = {{n.s[0].mac, 0, VIV_S(1) - 1},
                    {n.s[1].mac, 1, SER100 + VIV_S(1) - 1 - VIV_MS(900) - SER100}};
    table_is(n.sw, want1, 2);
    assert_int_equal(sstats(n.sw).aged, 0);
    /* One nanosecond later s0's entry is gone; s1's (refreshed at 0.9 s) stays. */
    assert_int_equal(viv_sim_run_until(sim, SER100 + VIV_S(1)), 0);
    row want2[1] = {{n.s[1].mac, 1, VIV_S(1) - VIV_MS(900)}};
    table_is(n.sw, want2, 1);
    assert_int_equal(sstats(n.sw).aged, 1);
    /* The forwarded frames to s0 went to port 0 alone; now s0 is unknown: flooded. */
    assert_int_equal(n.s[2].n, 1);
    assert_int_equal(n.s[3].n, 1);
    l2t_send(&n.s[1], &n.s[0].mac, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(n.s[0].n, 3);
    assert_int_equal(n.s[2].n, 2);
    assert_int_equal(n.s[3].n, 2);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.aged, 1);
    assert_int_equal(st.forwarded, 2);
    assert_int_equal(st.flooded, 2);
    /* s1's entry was refreshed when its last frame reached the switch (one hop before it
     * reached the stations, which is now): it lives exactly one aging time from then. */
    const viv_time_t seen = viv_sim_now(sim) - SER100;
    assert_int_equal(viv_sim_run_until(sim, seen + VIV_S(1) - 1), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 1);
    assert_int_equal(viv_sim_run_until(sim, seen + VIV_S(1)), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    assert_int_equal(sstats(n.sw).aged, 2);
    /* A station seen again after aging is learned anew. */
    l2t_send(&n.s[0], &bcast, 100, 4);
    assert_int_equal(viv_sim_run(sim), 0);
    st = sstats(n.sw);
    assert_int_equal(st.learned, 3);
    assert_int_equal(st.aged, 2);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 1);
    lan_fini(&n);
}

static void test_switch__set_aging_applies_at_once_and_never_revives(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.aging_ns = VIV_S(1);
    lan_init(&n, sim, 3, 3, &o, 1);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&n.s[0], &bcast, 100, 0);
    l2t_sendev later = {&n.s[1], bcast, 100, 1};
    l2t_send_at(sim, &later, VIV_MS(1500));
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    /* s0 expired at 1 s + ser; s1, seen at 1.5 s + ser, is live. */
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 1);
    assert_int_equal(viv_switch_set_aging(n.sw, VIV_S(10)), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 1);
    assert_int_equal(sstats(n.sw).aged, 1);
    /* A shorter time removes s1 (age 0.5 s - ser) at once. */
    assert_int_equal(viv_switch_set_aging(n.sw, VIV_MS(400)), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    assert_int_equal(sstats(n.sw).aged, 2);
    assert_int_equal(viv_switch_set_aging(n.sw, 0), VIV_EINVAL);
    assert_true(viv_sim_errmsg(sim)[0] != '\0');
    lan_fini(&n);
}

static void test_switch__group_sources_are_never_learned(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 3, 3, NULL, 1);
    uint8_t f[64];
    viv_mac_t msrc = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x05}};
    viv_mac_t bsrc = l2t_broadcast();
    l2t_frame(f, sizeof f, &n.s[1].mac, &msrc, L2T_ETHERTYPE, 0);
    assert_int_equal(viv_device_send(n.s[0].dev, 0, f, sizeof f), 0);
    l2t_frame(f, sizeof f, &n.s[1].mac, &bsrc, L2T_ETHERTYPE, 1);
    assert_int_equal(viv_device_send(n.s[0].dev, 0, f, sizeof f), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.learned, 0);
    assert_int_equal(st.learn_full, 0);
    assert_int_equal(st.flooded, 2);
    counts_are(&n, (size_t[]){0, 2, 2});
    lan_fini(&n);
}

static void test_switch__full_table_learns_nothing_new(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.capacity = 2;
    o.aging_ns = VIV_S(1);
    lan_init(&n, sim, 4, 4, &o, 1);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&n.s[0], &bcast, 100, 0);
    l2t_send(&n.s[1], &bcast, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    l2t_send(&n.s[2], &bcast, 100, 2); /* the table is full */
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.learned, 2);
    assert_int_equal(st.learn_full, 1);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 2);
    for (uint32_t i = 0; i < 4; i++)
        l2t_station_fini(&n.s[i]);
    /* Frames to the unlearned station keep being flooded. */
    l2t_send(&n.s[0], &n.s[2].mac, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    counts_are(&n, (size_t[]){0, 1, 1, 1});
    assert_int_equal(sstats(n.sw).flooded, 4);
    /* Once s1's entry has expired, there is room: an expired entry is purged for s2. */
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(600)), 0);
    l2t_send(&n.s[0], &bcast, 100, 4); /* refresh s0 only */
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(600)), 0);
    l2t_send(&n.s[2], &bcast, 100, 5);
    assert_int_equal(viv_sim_run(sim), 0);
    st = sstats(n.sw);
    assert_int_equal(st.learned, 3);
    assert_int_equal(st.learn_full, 1);
    assert_int_equal(st.aged, 1);
    viv_mac_entry rows[4];
    assert_int_equal(viv_switch_mac_table(n.sw, rows, 4), 2);
    assert_true(l2t_mac_eq(&rows[0].mac, &n.s[0].mac));
    assert_true(l2t_mac_eq(&rows[1].mac, &n.s[2].mac));
    assert_int_equal(rows[1].port, 2);
    lan_fini(&n);
}

static void test_switch__two_switches_in_a_chain(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan a, b;
    lan_init(&a, sim, 3, 2, NULL, 1); /* s0 = 02:..:01, s1 = 02:..:02 */
    lan_init(&b, sim, 3, 2, NULL, 3); /* s2 = 02:..:03, s3 = 02:..:04 */
    l2t_link(sim, viv_switch_port(a.sw, 2), viv_switch_port(b.sw, 2), NULL);
    l2t_sendev e0 = {&a.s[0], b.s[1].mac, 100, 0}; /* unknown everywhere: flooded twice */
    l2t_sendev e1 = {&b.s[1], a.s[0].mac, 100, 1}; /* known on both: forwarded twice */
    l2t_sendev e2 = {&a.s[1], b.s[1].mac, 100, 2}; /* known on both: forwarded twice */
    l2t_send_at(sim, &e0, 0);
    l2t_send_at(sim, &e1, VIV_US(10));
    l2t_send_at(sim, &e2, VIV_US(20));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.s[0].n, 1);
    assert_int_equal(a.s[0].rx[0].t, VIV_US(10) + 3 * SER100);
    assert_int_equal(a.s[1].n, 1);
    assert_int_equal(b.s[0].n, 1);
    assert_int_equal(b.s[1].n, 2);
    assert_int_equal(b.s[1].rx[0].t, 3 * SER100);
    viv_switch_stats_t sa = sstats(a.sw), sb = sstats(b.sw);
    assert_int_equal(sa.rx_frames, 3);
    assert_int_equal(sa.flooded, 1);
    assert_int_equal(sa.forwarded, 2);
    assert_int_equal(sa.learned, 3);
    assert_int_equal(sb.rx_frames, 3);
    assert_int_equal(sb.flooded, 1);
    assert_int_equal(sb.forwarded, 2);
    assert_int_equal(sb.learned, 3);
    viv_mac_entry r[4];
    assert_int_equal(viv_switch_mac_table(a.sw, r, 4), 3);
    assert_true(l2t_mac_eq(&r[0].mac, &a.s[0].mac) && r[0].port == 0);
    assert_true(l2t_mac_eq(&r[1].mac, &a.s[1].mac) && r[1].port == 1);
    assert_true(l2t_mac_eq(&r[2].mac, &b.s[1].mac) && r[2].port == 2);
    assert_int_equal(viv_switch_mac_table(b.sw, r, 4), 3);
    assert_true(l2t_mac_eq(&r[0].mac, &b.s[1].mac) && r[0].port == 1);
    assert_true(l2t_mac_eq(&r[1].mac, &a.s[0].mac) && r[1].port == 2);
    assert_true(l2t_mac_eq(&r[2].mac, &a.s[1].mac) && r[2].port == 2);
    lan_fini(&a);
    lan_fini(&b);
}

static void test_switch__off_clears_the_table_and_drops(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 3, 3, NULL, 1);
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&n.s[0], &bcast, 100, 0);
    l2t_send(&n.s[1], &bcast, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 2);
    viv_node_t *node = viv_switch_node(n.sw);
    assert_int_equal(viv_node_set_up(node, 0), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(n.s[1].n, 1);
    assert_int_equal(l2t_pstats(viv_switch_port(n.sw, 0)).drop_down, 1);
    assert_int_equal(sstats(n.sw).rx_frames, 2);
    /* On again: the table starts empty, so a frame to s1 is flooded. */
    assert_int_equal(viv_node_set_up(node, 1), 0);
    l2t_send(&n.s[0], &n.s[1].mac, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(n.s[1].n, 2);
    assert_int_equal(n.s[2].n, 3);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 1);
    /* viv_switch_clear forgets too. */
    assert_int_equal(viv_switch_clear(n.sw), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), 0);
    lan_fini(&n);
}

static void test_switch__text_table(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.name = "core1";
    lan_init(&n, sim, 12, 3, &o, 1);
    viv_link_free(n.l[2]);
    n.l[2] = l2t_link(sim, l2t_port(&n.s[2], 0), viv_switch_port(n.sw, 11), NULL);
    viv_mac_t bcast = l2t_broadcast();
    l2t_sendev e[3] = {
        {&n.s[2], bcast, 100, 0}, {&n.s[0], bcast, 100, 1}, {&n.s[1], bcast, 100, 2}};
    l2t_send_at(sim, &e[0], 0);
    l2t_send_at(sim, &e[1], VIV_S(2));
    l2t_send_at(sim, &e[2], VIV_S(5));
    assert_int_equal(viv_sim_run_until(sim, VIV_S(70)), 0);
    char buf[1024];
    int len = viv_switch_mac_table_text(n.sw, buf, sizeof buf);
    const char *want = "          Mac Address Table (core1)\n"
                       "-------------------------------------------\n"
                       "Mac Address          Type       Port   Age(s)\n"
                       "-----------------    -------    ----   ------\n"
                       "02:00:00:00:00:01    DYNAMIC       0       67\n"
                       "02:00:00:00:00:02    DYNAMIC       1       64\n"
                       "02:00:00:00:00:03    DYNAMIC      11       69\n"
                       "Total Mac Addresses for this criterion: 3\n";
    assert_string_equal(buf, want);
    assert_int_equal(len, (int)strlen(want));
    /* snprintf-like: the full length whatever the capacity, truncated and terminated. */
    assert_int_equal(viv_switch_mac_table_text(n.sw, NULL, 0), len);
    char small[20];
    assert_int_equal(viv_switch_mac_table_text(n.sw, small, sizeof small), len);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, want, sizeof small - 1);
    /* An empty table. */
    assert_int_equal(viv_switch_clear(n.sw), 0);
    len = viv_switch_mac_table_text(n.sw, buf, sizeof buf);
    assert_int_equal(len, (int)strlen(buf));
    assert_non_null(strstr(buf, "Total Mac Addresses for this criterion: 0\n"));
    assert_null(strstr(buf, "DYNAMIC"));
    lan_fini(&n);
}

/* Send one frame from port 0 of `from` with source MAC 02:00:00:01:hi:lo for each i. */
static void speak_as(l2t_station *from, const uint32_t *ids, uint32_t n)
{
    viv_mac_t bcast = l2t_broadcast();
    uint8_t f[64];
    for (uint32_t k = 0; k < n; k++) {
        viv_mac_t src = l2t_mac(0x10000 + ids[k]);
        l2t_frame(f, sizeof f, &bcast, &src, L2T_ETHERTYPE, ids[k]);
        assert_int_equal(viv_device_send(from->dev, 0, f, sizeof f), 0);
    }
}

static void test_switch__large_table_survives_purges(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 500 };
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.capacity = N;
    o.aging_ns = VIV_S(1);
    lan_init(&n, sim, 2, 2, &o, 1);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 2 * N;
    assert_int_equal(viv_link_set_params(n.l[0], VIV_LINK_BOTH, &lp), 0);
    assert_int_equal(viv_link_set_params(n.l[1], VIV_LINK_BOTH, &lp), 0);
    static uint32_t ids[N];
    for (uint32_t i = 0; i < N; i++)
        ids[i] = i;
    speak_as(&n.s[0], ids, N);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_switch_mac_table(n.sw, NULL, 0), N);
    /* Refresh the even ones; the odd ones expire; then N/2 new stations arrive and take the
     * room the purge makes (many deletions in the middle of probe chains). */
    uint32_t even[N / 2], fresh[N / 2];
    for (uint32_t i = 0; i < N / 2; i++) {
        even[i] = 2 * i;
        fresh[i] = N + i;
    }
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(600)), 0);
    speak_as(&n.s[0], even, N / 2);
    assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(600)), 0);
    speak_as(&n.s[0], fresh, N / 2);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.learned, N + N / 2);
    assert_int_equal(st.aged, N / 2);
    assert_int_equal(st.learn_full, 0);
    static viv_mac_entry rows[N + 10];
    assert_int_equal(viv_switch_mac_table(n.sw, rows, N + 10), N);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t want = i < N / 2 ? 2 * i : N + (i - N / 2);
        viv_mac_t m = l2t_mac(0x10000 + want);
        assert_true(l2t_mac_eq(&rows[i].mac, &m));
        assert_int_equal(rows[i].port, 0);
    }
    /* Every listed station is found: a frame to each is forwarded, never flooded. */
    const uint64_t flooded = st.flooded;
    uint8_t f[64];
    for (uint32_t i = 0; i < N; i++) {
        l2t_frame(f, sizeof f, &rows[i].mac, &n.s[1].mac, L2T_ETHERTYPE, i);
        assert_int_equal(viv_device_send(n.s[1].dev, 0, f, sizeof f), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    st = sstats(n.sw);
    assert_int_equal(st.flooded, flooded);
    assert_int_equal(st.forwarded, N);
    lan_fini(&n);
}

/* A large table spread over four ports and learned in a scrambled order is listed by port,
 * then MAC, and a partial listing is the start of the whole one. The listing used to be an
 * insertion sort, quadratic in the table size (200,000 entries: 26 s); its time is printed,
 * never asserted. */
static void test_switch__large_table_lists_by_port_then_mac(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { P = 4, N = 40000, BATCH = 250 };
    lan n;
    viv_switch_opts o = VIV_SWITCH_OPTS_INIT;
    o.capacity = N;
    lan_init(&n, sim, P, P, &o, 1);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = BATCH;
    for (uint32_t p = 0; p < P; p++)
        assert_int_equal(viv_link_set_params(n.l[p], VIV_LINK_BOTH, &lp), 0);
    /* Station k % P speaks as MAC 02:00:00:1x:xx:xx (0x100000 + k), k in a scrambled order
     * (7919 is prime to N). Each frame is addressed to its own source: learned first, then
     * filtered, so nothing is flooded. */
    uint8_t f[64];
    for (uint32_t i = 0; i < N; i++) {
        uint32_t k = (uint32_t)(((uint64_t)i * 7919u) % N);
        viv_mac_t m = l2t_mac(0x100000 + k);
        l2t_frame(f, sizeof f, &m, &m, L2T_ETHERTYPE, k);
        assert_int_equal(viv_device_send(n.s[k % P].dev, 0, f, sizeof f), 0);
        if (i % BATCH == BATCH - 1)
            assert_int_equal(viv_sim_run(sim), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    viv_switch_stats_t st = sstats(n.sw);
    assert_int_equal(st.learned, N);
    assert_int_equal(st.filtered, N);
    assert_int_equal(st.flooded, 0);
    viv_mac_entry *rows = malloc(N * sizeof(*rows));
    assert_non_null(rows);
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    assert_int_equal(viv_switch_mac_table(n.sw, rows, N), N);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    printf("# listing %d MAC table entries: %.1f ms of CPU\n", N,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t port = i / (N / P), k = (i % (N / P)) * P + port;
        viv_mac_t m = l2t_mac(0x100000 + k);
        assert_int_equal(rows[i].port, port);
        assert_true(l2t_mac_eq(&rows[i].mac, &m));
    }
    viv_mac_entry part[7];
    assert_int_equal(viv_switch_mac_table(n.sw, part, 7), N);
    for (uint32_t i = 0; i < 7; i++) {
        assert_int_equal(part[i].port, rows[i].port);
        assert_true(l2t_mac_eq(&part[i].mac, &rows[i].mac));
    }
    free(rows);
    lan_fini(&n);
}

/* A flood: station `from` sends a broadcast with sequence number seq; every station in
 * `want` (count of them) receives it once, at the same instant, and nobody else does
 * (stations[] of total entries). */
static void flood_once(viv_sim_t *sim, l2t_station *st, uint32_t total, uint32_t from,
                       uint32_t seq, const uint32_t *want, uint32_t count)
{
    size_t before[16];
    assert_true(total <= 16);
    for (uint32_t i = 0; i < total; i++)
        before[i] = st[i].n;
    viv_mac_t bcast = l2t_broadcast();
    viv_time_t t0 = viv_sim_now(sim);
    l2t_send(&st[from], &bcast, 100, seq);
    assert_int_equal(viv_sim_run(sim), 0);
    for (uint32_t i = 0; i < total; i++) {
        int wanted = 0;
        for (uint32_t k = 0; k < count; k++)
            wanted |= want[k] == i;
        assert_int_equal(st[i].n, before[i] + (size_t)wanted);
        if (wanted) {
            assert_int_equal(st[i].rx[st[i].n - 1].seq, seq);
            assert_int_equal(st[i].rx[st[i].n - 1].t, t0 + 2 * SER100);
        }
    }
}

/* A flood after every way a port's peer can change reaches exactly the stations plugged in
 * then, each once, at the same instant. Twelve ports, so that the flood's loop with
 * look-ahead and its last four ports both see changed peers: a station freed with its link
 * (carrier lost), a link freed and another station plugged in its place (perhaps at the old
 * link's address), a port that never flooded before, and a link whose direction into the
 * switch was cut and that flooded while cut, then freed (no carrier to lose: the switch is
 * not told) with a new station plugged in its place. */
static void test_switch__flood_reaches_the_peers_plugged_in_now(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { P = 12 };
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, P, NULL), 0);
    l2t_station s[P + 3];
    viv_link_t *l[P];
    for (uint32_t i = 0; i < P + 3; i++)
        l2t_station_init(&s[i], sim, i + 1, 1);
    for (uint32_t i = 0; i < P - 1; i++) /* port 11 stays free for now */
        l[i] = l2t_link(sim, l2t_port(&s[i], 0), viv_switch_port(sw, i), NULL);
    flood_once(sim, s, P + 3, 0, 1, (const uint32_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10);

    /* Port 5: its station freed (its link with it). Port 7: the link freed, station 12
     * plugged in (perhaps at the old link's address). Port 10: cut into the switch (the way
     * out still carries the flood). Port 11: station 13, for the first time. */
    viv_device_free(s[5].dev);
    s[5].dev = NULL;
    viv_link_free(l[7]);
    l[7] = l2t_link(sim, l2t_port(&s[12], 0), viv_switch_port(sw, 7), NULL);
    assert_int_equal(viv_link_set_up(l[10], VIV_LINK_AB, 0), 0);
    l[11] = l2t_link(sim, l2t_port(&s[13], 0), viv_switch_port(sw, 11), NULL);
    flood_once(sim, s, P + 3, 3, 2, (const uint32_t[]){0, 1, 2, 4, 6, 8, 9, 10, 12, 13}, 10);

    /* Port 10's link freed and station 14 plugged in its place. */
    viv_link_free(l[10]);
    l[10] = l2t_link(sim, l2t_port(&s[14], 0), viv_switch_port(sw, 10), NULL);
    flood_once(sim, s, P + 3, 3, 3, (const uint32_t[]){0, 1, 2, 4, 6, 8, 9, 12, 13, 14}, 10);

    /* Ports: the first flood out of 1..10, the other two out of every port with a link but
     * 3 (port 5 has none: skipped, not counted). */
    const uint64_t tx[P] = {2, 3, 3, 1, 3, 1, 3, 3, 3, 3, 3, 2};
    for (uint32_t p = 0; p < P; p++) {
        viv_port_stats_t ps = l2t_pstats(viv_switch_port(sw, p));
        assert_int_equal(ps.tx_frames, tx[p]);
        assert_int_equal(ps.drop_unplugged, 0);
    }
    viv_switch_stats_t st = sstats(sw);
    assert_int_equal(st.flooded, 3);
    assert_int_equal(st.rx_frames, 3);
    for (uint32_t i = 0; i < P + 3; i++)
        l2t_station_fini(&s[i]);
}

static void test_switch__free_with_frames_in_flight_leaks_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan n;
    lan_init(&n, sim, 3, 3, NULL, 1);
    viv_mac_t bcast = l2t_broadcast();
    for (uint32_t i = 0; i < 20; i++)
        l2t_send(&n.s[0], &bcast, 1000, i);
    assert_int_equal(viv_sim_run_until(sim, VIV_US(50)), 0);
    assert_true(n.s[1].n > 0 && n.s[1].n < 20);
    viv_switch_free(n.sw);
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    viv_switch_free(NULL);
    lan_fini(&n);
}

/* One run: station 1 sends a 100-byte frame through a switch to station 2, on a first wire
 * that flips one bit within bytes 20..27 if `bad`. What station 2 got goes to got; returns
 * the run's fingerprint. */
static uint64_t relay_once(int bad, uint8_t got[100])
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 5);
    lan n;
    lan_init(&n, sim, 2, 2, NULL, 1);
    if (bad) {
        viv_link_params lp = VIV_LINK_PARAMS_INIT;
        lp.corrupt = 1.0;
        lp.corrupt_offset = 20;
        lp.corrupt_len = 8;
        assert_int_equal(viv_link_set_params(n.l[0], VIV_LINK_AB, &lp), 0);
    }
    l2t_send(&n.s[0], &n.s[1].mac, 100, 7);
    viv_sim_run(sim);
    assert_int_equal(n.s[1].n, 1);
    memcpy(got, n.s[1].rx[0].bytes, 100);
    uint64_t fp = viv_sim_fingerprint(sim);
    lan_fini(&n);
    viv_test_sim_free(sim, &a);
    return fp;
}

/* A frame corrupted on its way to the switch (in place: the wire is its only holder) has
 * changed when the switch sends it on: the second wire folds the corrupted bytes into the
 * fingerprint, not the digest the frame was given on the first wire (issue 17: a frame's
 * digest is kept while the frame stays as it is, and corruption forgets it). */
static void test_switch__a_frame_corrupted_on_the_way_in_is_digested_again(void **state)
{
    (void)state;
    uint8_t clean[100], got[100];
    uint64_t fp_clean = relay_once(0, clean);
    uint64_t fp_bad = relay_once(1, got);
    int diff = 0;
    for (size_t k = 0; k < sizeof got; k++)
        diff += got[k] != clean[k];
    assert_int_equal(diff, 1);
    assert_true(fp_bad != fp_clean);
}

/* A station of the look-ahead test: on its first frame it unplugs another station's link. */
typedef struct ahead_station {
    l2t_station s; /* first: l2t_on_rx's user */
    viv_link_t *link;
    struct ahead_station *victim;
} ahead_station;

static void ahead_on_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                        const viv_frame_info *info, void *user)
{
    ahead_station *a = user;
    l2t_on_rx(dev, port, frame, len, info, &a->s);
    if (a->victim && a->victim->link) {
        viv_link_free(a->victim->link);
        a->victim->link = NULL;
    }
}

/* A flood's arrivals at one instant look ahead at the next ones (the queue's window,
 * link.c's arrive_ahead), reading their entries, directions, ports and nodes. Receivers that
 * unplug other stations in the middle of the flood free a link whose arrival ran already
 * (an earlier station: the window goes on past its slot) and cancel arrivals the window has
 * looked at (the very next station) or not (one far ahead): every other station still gets the
 * frame once, at the same instant, in port order, and nothing leaks (the sanitizers' run
 * catches a read of a freed direction). */
static void test_switch__flood_look_ahead_survives_links_freed_mid_flood(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 48 };
    sim->q.ahead_min_owners = 0; /* look ahead in this small network too */
    viv_switch_t *sw = NULL;
    assert_int_equal(viv_switch_new(&sw, sim, N, NULL), 0);
    ahead_station *st = calloc(N, sizeof(*st));
    assert_non_null(st);
    for (uint32_t i = 0; i < N; i++) {
        l2t_station_init(&st[i].s, sim, 100 + i, 1);
        viv_device_free(st[i].s.dev); /* made again with this test's callback */
        viv_device_opts o = VIV_DEVICE_OPTS_INIT;
        o.rx = ahead_on_rx;
        o.user = &st[i];
        assert_int_equal(viv_device_new(&st[i].s.dev, sim, 1, &o), 0);
        st[i].link = l2t_link(sim, l2t_port(&st[i].s, 0), viv_switch_port(sw, i), NULL);
    }
    st[8].victim = &st[2];   /* behind: its arrival ran, the window goes on past it */
    st[14].victim = &st[15]; /* the very next arrival, in the window: the window stops */
    st[20].victim = &st[40]; /* far ahead */
    viv_mac_t bcast = l2t_broadcast();
    l2t_send(&st[0].s, &bcast, 64, 7);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_time_t t = 0;
    for (uint32_t i = 1; i < N; i++) {
        int lost = i == 15 || i == 40;
        assert_int_equal(st[i].s.n, lost ? 0 : 1);
        if (lost)
            continue;
        assert_int_equal(st[i].s.rx[0].seq, 7);
        if (t == 0)
            t = st[i].s.rx[0].t;
        assert_int_equal(st[i].s.rx[0].t, t); /* one instant */
    }
    assert_int_equal(st[0].s.n, 0);
    assert_int_equal(sstats(sw).flooded, 1);
    assert_int_equal(l2t_frames_live(sim), 0);
    for (uint32_t i = 0; i < N; i++)
        l2t_station_fini(&st[i].s);
    free(st);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_switch__learns_and_forwards_to_the_one_port),
        T(test_switch__floods_broadcast_multicast_and_unknown_unicast),
        T(test_switch__flood_counts_traces_and_captures_per_port),
        T(test_switch__drops_frames_for_the_ingress_port),
        T(test_switch__follows_a_station_that_moves),
        T(test_switch__recabled_station_is_flooded_to_not_sent_into_its_dead_port),
        T(test_switch__cut_forgets_the_port_and_restore_brings_nothing_back),
        T(test_switch__only_the_direction_into_the_port_is_its_carrier),
        T(test_switch__flush_counts_an_expired_entry_as_aged_once),
        T(test_switch__aging_is_refreshed_only_by_frames_from_the_station),
        T(test_switch__set_aging_applies_at_once_and_never_revives),
        T(test_switch__group_sources_are_never_learned),
        T(test_switch__full_table_learns_nothing_new),
        T(test_switch__two_switches_in_a_chain),
        T(test_switch__off_clears_the_table_and_drops),
        T(test_switch__text_table),
        T(test_switch__large_table_survives_purges),
        T(test_switch__large_table_lists_by_port_then_mac),
        T(test_switch__flood_reaches_the_peers_plugged_in_now),
        T(test_switch__free_with_frames_in_flight_leaks_nothing),
        T(test_switch__a_frame_corrupted_on_the_way_in_is_digested_again),
        T(test_switch__flood_look_ahead_survives_links_freed_mid_flood),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
