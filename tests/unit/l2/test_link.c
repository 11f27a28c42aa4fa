/* Links: exact timing, queues, MTU, faults, parameter changes, seeded impairments and
 * intercepts, all driven through devices that send hand-built Ethernet frames. */
#include "l2_test.h"

#include <math.h>

#define GBPS UINT64_C(1000000000)
#define ETH_OVH 24u

/* Two stations A and B joined by one link (A is the link's port A). */
typedef struct pair {
    l2t_station a, b;
    viv_link_t *l;
} pair;

static void pair_init(pair *p, viv_sim_t *sim, const viv_link_params *lp)
{
    l2t_station_init(&p->a, sim, 1, 1);
    l2t_station_init(&p->b, sim, 2, 1);
    p->l = l2t_link(sim, l2t_port(&p->a, 0), l2t_port(&p->b, 0), lp);
}

static void pair_fini(pair *p)
{
    l2t_station_fini(&p->a);
    l2t_station_fini(&p->b);
}

/* ---- timing ---------------------------------------------------------------------------- */

static void test_link__arrival_time_is_exact(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static const struct {
        uint32_t bytes;
        uint64_t rate;
        viv_time_t delay;
        uint32_t overhead; /* as given to the link: 0 means the default 24 */
        uint32_t mtu;
    } cases[] = {
        {64, GBPS, 0, 0, 0},
        {1514, GBPS, 0, 0, 0},
        {100, 10000000, VIV_MS(5), 0, 0},
        {1000, 3, 0, 0, 0},
        {60, GBPS, VIV_US(1), VIV_LINK_OVERHEAD_NONE, 0},
        {18, 7, 0, VIV_LINK_OVERHEAD_NONE, 0},
        {1514, 999999937, 12345, 8, 0},
        {9014, 10 * GBPS, 100, 0, 9000},
        {65535, 100000000, VIV_MS(20), 0, 65521},
        {81, 2500000000u, 3, 1, 0},
    };
    for (size_t i = 0; i < VIV__ARRAY_LEN(cases); i++) {
        pair p;
        viv_link_params lp = VIV_LINK_PARAMS_INIT;
        lp.rate_bps = cases[i].rate;
        lp.delay_ns = cases[i].delay;
        lp.overhead_bytes = cases[i].overhead;
        lp.mtu = cases[i].mtu;
        pair_init(&p, sim, &lp);
        uint64_t ovh = cases[i].overhead == 0                        ? ETH_OVH
                       : cases[i].overhead == VIV_LINK_OVERHEAD_NONE ? 0
                                                                     : cases[i].overhead;
        viv_link_params got;
        assert_int_equal(viv_link_params_get(&got, p.l, VIV_LINK_BA), 0);
        assert_int_equal(got.rate_bps, cases[i].rate);
        assert_int_equal(got.delay_ns, cases[i].delay);
        assert_int_equal(got.queue_frames, 100);
        assert_int_equal(got.mtu, cases[i].mtu ? cases[i].mtu : 1500);
        assert_int_equal(got.overhead_bytes, cases[i].overhead ? cases[i].overhead : 24);

        /* Start at an odd instant so that nothing lines up by accident. */
        viv_time_t t0 = viv_sim_now(sim) + 1000 + i;
        assert_int_equal(viv_sim_run_until(sim, t0), 0);
        l2t_send(&p.a, &p.b.mac, cases[i].bytes, (uint32_t)i);
        assert_int_equal(viv_sim_run(sim), 0);

        viv_time_t want = t0 + l2t_ser(cases[i].bytes, ovh, cases[i].rate) + cases[i].delay;
        assert_int_equal(p.b.n, 1);
        assert_int_equal(p.a.n, 0);
        assert_int_equal(p.b.rx[0].t, want);
        assert_int_equal(p.b.rx[0].len, cases[i].bytes);
        assert_int_equal(p.b.rx[0].seq, i);
        assert_int_equal(p.b.rx[0].port, 0);
        viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
        assert_int_equal(st.tx_frames, 1);
        assert_int_equal(st.tx_bytes, cases[i].bytes);
        assert_int_equal(st.rx_frames, 1);
        assert_int_equal(st.rx_bytes, cases[i].bytes);
        pair_fini(&p);
    }
    /* Known figures, written out: 64 B at 1 Gb/s is (64 + 24) * 8 = 704 ns; 1000 B at 3 b/s
     * is ceil(8192e9 / 3) = 2730666666667 ns. */
    assert_int_equal(l2t_ser(64, 24, GBPS), 704);
    assert_int_equal(l2t_ser(1514, 24, GBPS), 12304);
    assert_int_equal(l2t_ser(1000, 24, 3), UINT64_C(2730666666667));
}

static void test_link__back_to_back_frames_serialize_in_turn(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 100000000;
    lp.delay_ns = VIV_MS(1);
    pair_init(&p, sim, &lp);
    static const uint32_t sizes[5] = {1000, 64, 1514, 200, 500};
    for (uint32_t i = 0; i < 5; i++)
        l2t_send(&p.a, &p.b.mac, sizes[i], i);
    /* The first is on the wire; the other four wait, and only they count as queued. */
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.queue_frames, 4);
    assert_int_equal(st.queue_bytes, 64 + 1514 + 200 + 500);
    assert_int_equal(st.queue_peak, 4);
    assert_int_equal(st.tx_frames, 1);

    /* A frame handed over while the transmitter is busy, and one after it idled. */
    l2t_sendev late = {&p.a, p.b.mac, 300, 5};
    l2t_sendev idle = {&p.a, p.b.mac, 300, 6};
    l2t_send_at(sim, &late, 1000);
    l2t_send_at(sim, &idle, VIV_MS(50));
    assert_int_equal(viv_sim_run(sim), 0);

    assert_int_equal(p.b.n, 7);
    viv_time_t end = 0;
    for (uint32_t i = 0; i < 5; i++) {
        end += l2t_ser(sizes[i], ETH_OVH, lp.rate_bps);
        assert_int_equal(p.b.rx[i].seq, i);
        assert_int_equal(p.b.rx[i].t, end + VIV_MS(1));
    }
    end += l2t_ser(300, ETH_OVH, lp.rate_bps);
    assert_int_equal(p.b.rx[5].seq, 5);
    assert_int_equal(p.b.rx[5].t, end + VIV_MS(1));
    assert_int_equal(p.b.rx[6].seq, 6);
    assert_int_equal(p.b.rx[6].t, VIV_MS(50) + l2t_ser(300, ETH_OVH, lp.rate_bps) + VIV_MS(1));
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.queue_frames, 0);
    assert_int_equal(st.queue_bytes, 0);
    assert_int_equal(st.queue_peak, 5);
    assert_int_equal(st.tx_frames, 7);
    assert_int_equal(st.rx_frames, 7);
    pair_fini(&p);
}

static void test_link__directions_are_independent(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 10000000;
    lp.delay_ns = VIV_US(100);
    pair_init(&p, sim, &lp);
    for (uint32_t i = 0; i < 3; i++) {
        l2t_send(&p.a, &p.b.mac, 1000, i);
        l2t_send(&p.b, &p.a.mac, 500, 10 + i);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.a.n, 3);
    assert_int_equal(p.b.n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(p.b.rx[i].seq, i);
        assert_int_equal(p.b.rx[i].t, (i + 1) * l2t_ser(1000, ETH_OVH, lp.rate_bps) + VIV_US(100));
        assert_int_equal(p.a.rx[i].seq, 10 + i);
        assert_int_equal(p.a.rx[i].t, (i + 1) * l2t_ser(500, ETH_OVH, lp.rate_bps) + VIV_US(100));
    }
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).rx_bytes, 3000);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_BA).rx_bytes, 1500);
    viv_port_stats_t pa = l2t_pstats(l2t_port(&p.a, 0));
    assert_int_equal(pa.tx_frames, 3);
    assert_int_equal(pa.tx_bytes, 3000);
    assert_int_equal(pa.rx_frames, 3);
    assert_int_equal(pa.rx_bytes, 1500);
    assert_ptr_equal(viv_link_port(p.l, 0), l2t_port(&p.a, 0));
    assert_ptr_equal(viv_link_port(p.l, 1), l2t_port(&p.b, 0));
    assert_ptr_equal(viv_port_link(l2t_port(&p.b, 0)), p.l);
    pair_fini(&p);
}

/* ---- queue ----------------------------------------------------------------------------- */

static void test_link__queue_frame_limit_drops_the_tail(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 3;
    pair_init(&p, sim, &lp);
    const viv_time_t ser = l2t_ser(1000, ETH_OVH, GBPS);
    /* Frame 0 goes on the wire, 1..3 fill the queue, 4..6 find it full. */
    for (uint32_t i = 0; i < 7; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_queue, 3);
    assert_int_equal(st.queue_frames, 3);
    assert_int_equal(st.queue_peak, 3);
    /* Once frame 0 is done, 1 is on the wire and two wait: room for exactly one more. */
    l2t_sendev e7 = {&p.a, p.b.mac, 1000, 7}, e8 = {&p.a, p.b.mac, 1000, 8};
    l2t_send_at(sim, &e7, ser + 1);
    l2t_send_at(sim, &e8, ser + 1);
    assert_int_equal(viv_sim_run(sim), 0);
    static const uint32_t want[5] = {0, 1, 2, 3, 7};
    assert_int_equal(p.b.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p.b.rx[i].seq, want[i]);
        assert_int_equal(p.b.rx[i].t, (viv_time_t)(i + 1) * ser);
    }
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_queue, 4);
    assert_int_equal(st.queue_peak, 3);
    assert_int_equal(st.tx_frames, 5);
    assert_int_equal(st.rx_frames, 5);
    /* The port handed all nine to the link. */
    assert_int_equal(l2t_pstats(l2t_port(&p.a, 0)).tx_frames, 9);
    pair_fini(&p);
}

/* A frame that finds the transmitter free leaves the queue's fields alone: the frames that
 * waited before it are forgotten when one next waits. They must not count against the
 * limits then, in frames or bytes. */
static void test_link__queue_forgets_started_frames_after_an_idle_spell(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 3;
    lp.queue_bytes = 3000;
    pair_init(&p, sim, &lp);
    const viv_time_t ser = l2t_ser(1000, ETH_OVH, GBPS);
    for (uint32_t i = 0; i < 4; i++) /* one on the wire, three waiting: both limits reached */
        l2t_send(&p.a, &p.b.mac, 1000, i);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.queue_frames, 3);
    assert_int_equal(st.queue_bytes, 3000);
    assert_int_equal(st.drop_queue, 0);
    /* Long after the wire went idle, the same burst again: a free transmitter, then three
     * frames that wait (none is dropped), and a fifth that finds the queue full. */
    const viv_time_t t2 = 10 * ser;
    l2t_sendev ev[5];
    for (uint32_t i = 0; i < 5; i++) {
        ev[i] = (l2t_sendev){&p.a, p.b.mac, 1000, 4 + i};
        l2t_send_at(sim, &ev[i], t2);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 8);
    for (uint32_t i = 0; i < 8; i++) {
        assert_int_equal(p.b.rx[i].seq, i);
        assert_int_equal(p.b.rx[i].t, (i < 4 ? 0 : t2) + (viv_time_t)(i % 4 + 1) * ser);
    }
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_queue, 1);
    assert_int_equal(st.queue_frames, 0);
    assert_int_equal(st.queue_bytes, 0);
    assert_int_equal(st.queue_peak, 3);
    assert_int_equal(st.tx_frames, 8);
    assert_int_equal(st.tx_bytes, 8 * 1000);
    assert_int_equal(st.rx_frames, 8);
    assert_int_equal(st.rx_bytes, 8 * 1000);
    pair_fini(&p);
}

/* A frame that finds the transmitter busy when every frame queued before it has started is
 * queued alone (queue_advance empties the queue without a walk): it must count against the
 * limits exactly as one queued behind waiting frames does. 1000-byte frames, a 1200-byte limit. */
static void test_link__queue_alone_after_the_queued_started_keeps_the_limits(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_bytes = 1200;
    pair_init(&p, sim, &lp);
    const viv_time_t ser = l2t_ser(1000, ETH_OVH, GBPS);
    l2t_send(&p.a, &p.b.mac, 1000, 0); /* on the wire */
    l2t_send(&p.a, &p.b.mac, 1000, 1); /* waits: the queue's ring is made */
    /* Just after frame 1 started: 2 waits alone (fits), 3 (600 bytes) finds 1,000 waiting
     * bytes and is dropped. Just after 2 started: 4 (1,300 bytes) is larger than the limit
     * even alone, 5 (1,100) waits alone. */
    l2t_sendev e2 = {&p.a, p.b.mac, 1000, 2}, e3 = {&p.a, p.b.mac, 600, 3};
    l2t_sendev e4 = {&p.a, p.b.mac, 1300, 4}, e5 = {&p.a, p.b.mac, 1100, 5};
    l2t_send_at(sim, &e2, ser + 1);
    l2t_send_at(sim, &e3, ser + 1);
    l2t_send_at(sim, &e4, 2 * ser + 1);
    l2t_send_at(sim, &e5, 2 * ser + 1);
    assert_int_equal(viv_sim_run_until(sim, 2 * ser + 1), 0);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.queue_frames, 1);
    assert_int_equal(st.queue_bytes, 1100);
    assert_int_equal(st.drop_queue, 2);
    assert_int_equal(st.queue_peak, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    static const uint32_t want[4] = {0, 1, 2, 5};
    const viv_time_t ser1100 = l2t_ser(1100, ETH_OVH, GBPS);
    assert_int_equal(p.b.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(p.b.rx[i].seq, want[i]);
        assert_int_equal(p.b.rx[i].t, i < 3 ? (viv_time_t)(i + 1) * ser : 3 * ser + ser1100);
    }
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_queue, 2);
    assert_int_equal(st.queue_frames, 0);
    assert_int_equal(st.queue_peak, 1);
    assert_int_equal(st.tx_frames, 4);
    assert_int_equal(st.tx_bytes, 3 * 1000 + 1100);
    assert_int_equal(st.drop_mtu, 0);
    pair_fini(&p);
}

static void test_link__queue_byte_limit(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_bytes = 2500;
    pair_init(&p, sim, &lp);
    l2t_send(&p.a, &p.b.mac, 1000, 0); /* on the wire: not counted */
    l2t_send(&p.a, &p.b.mac, 1000, 1); /* 1000 waiting */
    l2t_send(&p.a, &p.b.mac, 1000, 2); /* 2000 */
    l2t_send(&p.a, &p.b.mac, 1000, 3); /* would be 3000: dropped */
    l2t_send(&p.a, &p.b.mac, 500, 4);  /* exactly 2500: fits */
    l2t_send(&p.a, &p.b.mac, 18, 5);   /* 2518: dropped */
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.queue_bytes, 2500);
    assert_int_equal(st.queue_frames, 3);
    assert_int_equal(st.drop_queue, 2);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 4);
    static const uint32_t want[4] = {0, 1, 2, 4};
    for (int i = 0; i < 4; i++)
        assert_int_equal(p.b.rx[i].seq, want[i]);
    pair_fini(&p);
}

static void test_link__mtu_drops_oversized_frames(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_init(&p, sim, NULL);
    l2t_send(&p.a, &p.b.mac, 1515, 0); /* payload 1501 > 1500 */
    l2t_send(&p.a, &p.b.mac, 1514, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);
    assert_int_equal(p.b.rx[0].seq, 1);
    /* The refused frame never occupied the transmitter. */
    viv_time_t t1 = p.b.rx[0].t;
    assert_int_equal(t1, l2t_ser(1514, ETH_OVH, GBPS));
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_mtu, 1);
    assert_int_equal(st.tx_frames, 1);

    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.mtu = 68;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    l2t_send(&p.a, &p.b.mac, 83, 2);
    l2t_send(&p.a, &p.b.mac, 82, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 2);
    assert_int_equal(p.b.rx[1].seq, 3);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_mtu, 2);
    /* The other direction kept its default MTU. */
    l2t_send(&p.b, &p.a.mac, 1514, 4);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.a.n, 1);
    lp.mtu = 67;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), VIV_EINVAL);
    /* Regression: an MTU of UINT32_MAX was taken and wrapped (mtu + 14), so every frame was
     * dropped as oversize. MTUs past the largest IPv4 packet are refused. */
    lp.mtu = UINT32_MAX;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "MTU 4294967295 is outside 68"));
    lp.mtu = VIV_LINK_MTU_MAX + 1;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), VIV_EINVAL);
    lp.mtu = VIV_LINK_MTU_MAX;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    l2t_send(&p.a, &p.b.mac, 65535, 5);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 3);
    assert_int_equal(p.b.rx[2].seq, 5);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_mtu, 2);
    pair_fini(&p);
}

static void test_link__fifo_order_is_kept(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 1000;
    lp.delay_ns = 777;
    pair_init(&p, sim, &lp);
    viv_rng_t r;
    viv_rng_init(&r, 3, 0);
    uint32_t sizes[300];
    for (uint32_t i = 0; i < 300; i++) {
        sizes[i] = 18 + (uint32_t)viv_rng_below(&r, 1514 - 18 + 1);
        l2t_send(&p.a, &p.b.mac, sizes[i], i);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 300);
    viv_time_t end = 0;
    for (uint32_t i = 0; i < 300; i++) {
        end += l2t_ser(sizes[i], ETH_OVH, GBPS);
        assert_int_equal(p.b.rx[i].seq, i);
        assert_int_equal(p.b.rx[i].len, sizes[i]);
        assert_int_equal(p.b.rx[i].t, end + 777);
    }
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).queue_peak, 299);
    pair_fini(&p);
}

/* ---- faults ---------------------------------------------------------------------------- */

static void test_link__cut_drops_queued_in_transmission_and_in_flight(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    pair_init(&p, sim, &lp);
    const viv_time_t ser = l2t_ser(1000, ETH_OVH, GBPS);
    for (uint32_t i = 0; i < 5; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    /* Frames 0 and 1 are in flight, 2 is being transmitted, 3 and 4 wait. */
    const viv_time_t tcut = 2 * ser + 100;
    assert_int_equal(viv_sim_run_until(sim, tcut), 0);
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_link_is_up(p.l, VIV_LINK_AB), 0);
    assert_int_equal(viv_link_is_up(p.l, VIV_LINK_BA), 1);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_cut, 5);
    assert_int_equal(st.queue_frames, 0);
    assert_int_equal(st.queue_bytes, 0);
    assert_int_equal(l2t_frames_live(sim), 0);
    /* Frames handed to the cut direction are lost too; the other direction works. */
    l2t_send(&p.a, &p.b.mac, 1000, 5);
    l2t_send(&p.a, &p.b.mac, 1000, 6);
    l2t_send(&p.b, &p.a.mac, 1000, 100);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 0);
    assert_int_equal(p.a.n, 1);
    assert_int_equal(p.a.rx[0].t, tcut + ser + VIV_MS(1));
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_cut, 7);
    assert_int_equal(st.tx_frames, 3);
    assert_int_equal(st.rx_frames, 0);
    assert_int_equal(l2t_pstats(l2t_port(&p.a, 0)).tx_frames, 7);

    /* Restore: the transmitter is idle at once. */
    const viv_time_t tr = viv_sim_now(sim) + 10;
    assert_int_equal(viv_sim_run_until(sim, tr), 0);
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 1), 0);
    l2t_send(&p.a, &p.b.mac, 1000, 7);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);
    assert_int_equal(p.b.rx[0].seq, 7);
    assert_int_equal(p.b.rx[0].t, tr + ser + VIV_MS(1));

    /* A cut and an immediate restore abort the frame being sent: the next starts at once. */
    l2t_send(&p.a, &p.b.mac, 1000, 8);
    l2t_send(&p.a, &p.b.mac, 1000, 9);
    const viv_time_t t2 = viv_sim_now(sim) + ser / 2;
    assert_int_equal(viv_sim_run_until(sim, t2), 0);
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_BOTH, 0), 0);
    assert_int_equal(viv_link_is_up(p.l, VIV_LINK_BA), 0);
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_BOTH, 1), 0);
    l2t_send(&p.a, &p.b.mac, 1000, 10);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 2);
    assert_int_equal(p.b.rx[1].seq, 10);
    assert_int_equal(p.b.rx[1].t, t2 + ser + VIV_MS(1));
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_cut, 9);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_BA).drop_cut, 0);
    pair_fini(&p);
}

static void test_link__node_off_drops_what_reaches_it_and_what_it_sends(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    pair_init(&p, sim, &lp);
    viv_node_t *nb = viv_device_node(p.b.dev);
    assert_int_equal(viv_node_is_up(nb), 1);
    assert_int_equal(viv_node_set_up(nb, 0), 0);
    assert_int_equal(viv_node_is_up(nb), 0);
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&p.a, &p.b.mac, 100, i);
    l2t_send(&p.b, &p.a.mac, 100, 50);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 0);
    assert_int_equal(p.a.n, 0);
    viv_port_stats_t pb = l2t_pstats(l2t_port(&p.b, 0));
    assert_int_equal(pb.drop_down, 4);
    assert_int_equal(pb.rx_frames, 0);
    assert_int_equal(pb.tx_frames, 0);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_BA).tx_frames, 0);

    /* Off and on again while a frame is on the wire: the frame is not lost. */
    assert_int_equal(viv_node_set_up(nb, 1), 0);
    const viv_time_t t0 = viv_sim_now(sim);
    l2t_send(&p.a, &p.b.mac, 100, 3);
    assert_int_equal(viv_sim_run_until(sim, t0 + VIV_US(10)), 0);
    assert_int_equal(viv_node_set_up(nb, 0), 0);
    assert_int_equal(viv_node_set_up(nb, 1), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);
    assert_int_equal(p.b.rx[0].seq, 3);
    assert_int_equal(p.b.rx[0].t, t0 + l2t_ser(100, ETH_OVH, GBPS) + VIV_MS(1));
    assert_int_equal(l2t_pstats(l2t_port(&p.b, 0)).drop_down, 4);
    /* The sender switched off: nothing leaves it. */
    assert_int_equal(viv_node_set_up(viv_device_node(p.a.dev), 0), 0);
    l2t_send(&p.a, &p.b.mac, 100, 4);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);
    assert_int_equal(l2t_pstats(l2t_port(&p.a, 0)).drop_down, 1);
    assert_int_equal(l2t_pstats(l2t_port(&p.a, 0)).tx_frames, 4);
    pair_fini(&p);
}

static void test_link__parameter_changes_apply_to_later_frames(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_init(&p, sim, NULL);
    l2t_send(&p.a, &p.b.mac, 1000, 0);
    l2t_send(&p.a, &p.b.mac, 1000, 1);
    assert_int_equal(viv_sim_run_until(sim, 100), 0);
    assert_int_equal(viv_link_set_rate(p.l, VIV_LINK_AB, 100000000), 0);
    assert_int_equal(viv_link_set_delay(p.l, VIV_LINK_BOTH, VIV_MS(2)), 0);
    l2t_sendev back = {&p.b, p.a.mac, 1000, 2};
    l2t_send_at(sim, &back, 200);
    assert_int_equal(viv_sim_run(sim), 0);
    const viv_time_t ser_fast = l2t_ser(1000, ETH_OVH, GBPS);
    const viv_time_t ser_slow = l2t_ser(1000, ETH_OVH, 100000000);
    (void)ser_slow;
    assert_int_equal(p.b.n, 2);
    /* Both frames were handed over before the change: as in Linux netem, a frame's timing
     * is fixed when it is handed to the link, so both keep the old rate and delay. */
    assert_int_equal(p.b.rx[0].t, ser_fast);
    assert_int_equal(p.b.rx[1].t, 2 * ser_fast);
    /* A frame handed over after the change gets the new rate and delay. */
    l2t_sendev later = {&p.a, p.b.mac, 1000, 3};
    const viv_time_t t3 = viv_sim_now(sim) + 1000;
    l2t_send_at(sim, &later, t3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 3);
    assert_int_equal(p.b.rx[2].t, t3 + ser_slow + VIV_MS(2));
    /* The other direction got the delay but kept its rate. */
    assert_int_equal(p.a.n, 1);
    assert_int_equal(p.a.rx[0].t, 200 + ser_fast + VIV_MS(2));
    viv_link_params got;
    assert_int_equal(viv_link_params_get(&got, p.l, VIV_LINK_AB), 0);
    assert_int_equal(got.rate_bps, 100000000);
    assert_int_equal(got.delay_ns, VIV_MS(2));
    assert_int_equal(viv_link_params_get(&got, p.l, VIV_LINK_BA), 0);
    assert_int_equal(got.rate_bps, GBPS);

    /* A whole parameter set, with zero fields going back to their defaults. */
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 1;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    assert_int_equal(viv_link_params_get(&got, p.l, VIV_LINK_AB), 0);
    assert_int_equal(got.rate_bps, GBPS);
    assert_int_equal(got.delay_ns, 0);
    assert_int_equal(got.queue_frames, 1);
    for (uint32_t i = 0; i < 4; i++)
        l2t_send(&p.a, &p.b.mac, 100, 10 + i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 5); /* 3 before, 2 of these 4 */
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_queue, 2);
    pair_fini(&p);
}

/* ---- impairments ----------------------------------------------------------------------- */

/* Send n frames of len bytes from A at time 0 (the queue is made big enough), run, and mark
 * in got[] how many copies of each arrived. */
static void blast(viv_sim_t *sim, pair *p, uint32_t n, size_t len, uint8_t *got)
{
    for (uint32_t i = 0; i < n; i++)
        l2t_send(&p->a, &p->b.mac, len, i);
    assert_int_equal(viv_sim_run(sim), 0);
    memset(got, 0, n);
    /* A frame whose sequence number was corrupted counts for none. */
    for (size_t k = 0; k < p->b.n; k++)
        if (p->b.rx[k].seq < n)
            got[p->b.rx[k].seq]++;
}

/* A direction whose parameters draw nothing sends a frame straight to its arrival; every
 * way of changing them (viv_link_set_loss, viv_link_set_params) turns the draws on and off
 * for the frames handed over afterwards. */
static void test_link__impairments_turn_on_and_off_with_each_setter(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 100;
    pair_init(&p, sim, &lp);
    static uint8_t got[20];
    blast(sim, &p, 20, 64, got);
    assert_int_equal(p.b.n, 20);
    assert_int_equal(viv_link_set_loss(p.l, VIV_LINK_AB, 1.0), 0);
    p.b.n = 0;
    blast(sim, &p, 20, 64, got);
    assert_int_equal(p.b.n, 0);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_loss, 20);
    assert_int_equal(viv_link_set_loss(p.l, VIV_LINK_AB, 0.0), 0);
    blast(sim, &p, 20, 64, got);
    assert_int_equal(p.b.n, 20);
    /* Whole parameter sets: duplication on, then nothing again. */
    lp.duplicate = 1.0;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    p.b.n = 0;
    blast(sim, &p, 20, 64, got);
    assert_int_equal(p.b.n, 40);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).duplicated, 20);
    lp.duplicate = 0;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    p.b.n = 0;
    blast(sim, &p, 20, 64, got);
    assert_int_equal(p.b.n, 20);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).duplicated, 20);
    pair_fini(&p);
}

static void test_link__loss_rate_within_bounds(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 10000;
    lp.loss = 0.1;
    pair_init(&p, sim, &lp);
    static uint8_t got[10000];
    blast(sim, &p, 10000, 64, got);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    uint32_t lost = 0;
    for (int i = 0; i < 10000; i++)
        lost += got[i] == 0;
    assert_int_equal(st.drop_loss, lost);
    assert_int_equal(st.rx_frames + lost, 10000);
    /* A lost frame still occupied the transmitter. */
    assert_int_equal(st.tx_frames, 10000);
    print_message("loss p=0.1: %u of 10000 lost\n", lost);
    /* Mean 1000, standard deviation sqrt(10000 * 0.1 * 0.9) = 30. */
    assert_in_range(lost, 1000 - 4 * 30, 1000 + 4 * 30);
    /* The other direction has no loss. */
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_BA).drop_loss, 0);
    pair_fini(&p);
}

/* One run of a richly impaired link: which frames were lost, and the fingerprint. */
static uint64_t impaired_run(uint64_t seed, uint8_t *got, uint32_t n)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, seed);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = n;
    lp.loss = 0.1;
    lp.duplicate = 0.05;
    lp.corrupt = 0.05;
    lp.jitter_ns = VIV_US(3);
    lp.jitter_reorder = 1;
    lp.delay_ns = VIV_US(5);
    lp.burst.p_good_bad = 0.01;
    lp.burst.p_bad_good = 0.3;
    lp.burst.loss_bad = 0.9;
    pair_init(&p, sim, &lp);
    blast(sim, &p, n, 100, got);
    uint64_t fp = viv_sim_fingerprint(sim);
    pair_fini(&p);
    viv_test_sim_free(sim, &a);
    return fp;
}

static void test_link__impairments_are_deterministic_per_seed(void **state)
{
    (void)state;
    enum { N = 2000 };
    static uint8_t g1[N], g2[N], g3[N];
    uint64_t f1 = impaired_run(5, g1, N);
    uint64_t f2 = impaired_run(5, g2, N);
    uint64_t f3 = impaired_run(6, g3, N);
    assert_int_equal(f1, f2);
    assert_memory_equal(g1, g2, N);
    assert_int_not_equal(f1, f3);
    assert_memory_not_equal(g1, g3, N);
    uint32_t lost = 0;
    for (int i = 0; i < N; i++)
        lost += g1[i] == 0;
    assert_true(lost > 100 && lost < 400);
}

/* Long-run loss rate and mean loss-burst length of Gilbert-Elliott loss. */
static void ge_measure(viv_sim_t *sim, const viv_burst_loss *b, uint32_t n, double *rate,
                       double *mean_burst, uint64_t *drop_burst)
{
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = n;
    lp.burst = *b;
    pair_init(&p, sim, &lp);
    uint8_t *got = malloc(n);
    assert_non_null(got);
    blast(sim, &p, n, 18, got);
    uint32_t lost = 0, bursts = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!got[i]) {
            lost++;
            if (i == 0 || got[i - 1])
                bursts++;
        }
    }
    free(got);
    *rate = (double)lost / n;
    *mean_burst = bursts ? (double)lost / bursts : 0;
    *drop_burst = l2t_lstats(p.l, VIV_LINK_AB).drop_burst;
    assert_int_equal(*drop_burst, lost);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_loss, 0);
    pair_fini(&p);
}

static void test_link__burst_loss_matches_its_model(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 20000 };
    /* Loss only in the bad state: losses come in runs of the bad state's length. */
    viv_burst_loss b = {0.05, 0.25, 0.0, 1.0};
    double rate, burst;
    uint64_t drops;
    ge_measure(sim, &b, N, &rate, &burst, &drops);
    print_message("burst loss: rate %.4f (model 0.1667), mean burst %.3f (model 4)\n", rate, burst);
    /* Stationary bad share 0.05 / 0.3 = 1/6. Losses are correlated (the chain's second
     * eigenvalue is 0.7), so the variance is (1 + 0.7) / (1 - 0.7) times the binomial one:
     * standard deviation sqrt(20000 * (1/6) * (5/6) * 5.67) / 20000 = 0.0063. */
    assert_true(fabs(rate - 1.0 / 6) < 4 * 0.0063);
    /* Runs are geometric with mean 1 / 0.25 = 4 and standard deviation 3.46; about 830
     * runs give the mean a standard deviation of 0.12. */
    assert_true(fabs(burst - 4.0) < 4 * 0.12);

    /* Loss in both states: 1/6 * 0.5 + 5/6 * 0.02 = 0.1 */
    viv_burst_loss b2 = {0.05, 0.25, 0.02, 0.5};
    ge_measure(sim, &b2, N, &rate, &burst, &drops);
    print_message("burst loss, both states lossy: rate %.4f (model 0.1)\n", rate);
    assert_true(fabs(rate - 0.1) < 4 * 0.006);
}

static void test_link__duplication_rate_and_copies(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 5000 };
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = N;
    lp.duplicate = 0.2;
    lp.delay_ns = 50;
    pair_init(&p, sim, &lp);
    static uint8_t got[N];
    blast(sim, &p, N, 64, got);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    uint32_t twice = 0;
    for (int i = 0; i < N; i++) {
        assert_in_range(got[i], 1, 2);
        twice += got[i] == 2;
    }
    assert_int_equal(st.duplicated, twice);
    assert_int_equal(st.rx_frames, N + twice);
    assert_int_equal(p.b.n, N + twice);
    /* Mean 1000, standard deviation sqrt(5000 * 0.2 * 0.8) = 28.3. */
    assert_in_range(twice, 1000 - 114, 1000 + 114);
    /* A copy follows its original at the same instant, byte for byte. */
    const viv_time_t ser = l2t_ser(64, ETH_OVH, GBPS);
    for (size_t k = 0; k < p.b.n; k++) {
        const l2t_rx *r = &p.b.rx[k];
        assert_int_equal(r->t, (viv_time_t)(r->seq + 1) * ser + 50);
        if (k > 0 && p.b.rx[k - 1].seq == r->seq)
            assert_memory_equal(p.b.rx[k - 1].bytes, r->bytes, 64);
        else if (k > 0)
            assert_int_equal(p.b.rx[k - 1].seq + 1, r->seq);
    }
    pair_fini(&p);
}

/* The number of bits in which a received frame differs from what was sent. */
static int bits_flipped(const l2t_rx *r, const viv_mac_t *dst, const viv_mac_t *src, uint32_t seq)
{
    uint8_t want[L2T_MAXCOPY];
    assert_true(r->len <= L2T_MAXCOPY);
    l2t_frame(want, r->len, dst, src, L2T_ETHERTYPE, seq);
    int n = 0;
    for (uint32_t i = 0; i < r->len; i++)
        for (uint8_t x = want[i] ^ r->bytes[i]; x; x &= (uint8_t)(x - 1))
            n++;
    return n;
}

static void test_link__corruption_flips_exactly_one_bit(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 5000;
    lp.corrupt = 1.0;
    pair_init(&p, sim, &lp);
    static uint8_t got[4000];
    blast(sim, &p, 300, 64, got);
    assert_int_equal(p.b.n, 300);
    int hit_header = 0;
    for (size_t k = 0; k < p.b.n; k++) {
        /* The sequence number itself may be the flipped bit: use the arrival order. */
        assert_int_equal(bits_flipped(&p.b.rx[k], &p.b.mac, &p.a.mac, (uint32_t)k), 1);
        hit_header += memcmp(p.b.rx[k].bytes, p.b.mac.b, 6) != 0 ||
                      memcmp(p.b.rx[k].bytes + 6, p.a.mac.b, 6) != 0;
    }
    /* The bit is drawn over the whole frame, headers included (300 * 12/64 = 56 expected). */
    assert_true(hit_header > 20 && hit_header < 100);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).corrupted, 300);

    /* At probability 0.25 the count is binomial; each corrupted frame differs by one bit. */
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB,
                                         &(viv_link_params){.queue_frames = 5000, .corrupt = 0.25}),
                     0);
    l2t_station_fini(&p.b);
    blast(sim, &p, 4000, 64, got);
    assert_int_equal(p.b.n, 4000);
    uint32_t bad = 0;
    for (size_t k = 0; k < p.b.n; k++) {
        int f = bits_flipped(&p.b.rx[k], &p.b.mac, &p.a.mac, (uint32_t)k);
        assert_in_range(f, 0, 1);
        bad += (uint32_t)f;
    }
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).corrupted, 300 + bad);
    /* Mean 1000, standard deviation 27.4. */
    assert_in_range(bad, 1000 - 110, 1000 + 110);
    pair_fini(&p);
}

/* ---- duplication delay and corruption ranges ------------------------------------------- */

/* Send n frames of len bytes from A through a link with lp, in a simulation of its own (seed
 * 7), and run it: the receiver's log (the caller frees it) and the link's A-to-B counters. */
static l2t_rx *own_run(const viv_link_params *lp, uint32_t n, size_t len, size_t *nrx,
                       viv_link_stats_t *st)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 7);
    pair p;
    pair_init(&p, sim, lp);
    for (uint32_t i = 0; i < n; i++)
        l2t_send(&p.a, &p.b.mac, len, i);
    assert_int_equal(viv_sim_run(sim), 0);
    *st = l2t_lstats(p.l, VIV_LINK_AB);
    l2t_rx *rx = p.b.rx;
    *nrx = p.b.n;
    p.b.rx = NULL; /* the log is the caller's now */
    pair_fini(&p);
    viv_test_sim_free(sim, &a);
    return rx;
}

/* The counters that the draws decide: equal when two runs took the same draws. */
static void assert_same_fates(const viv_link_stats_t *x, const viv_link_stats_t *y)
{
    assert_int_equal(x->tx_frames, y->tx_frames);
    assert_int_equal(x->rx_frames, y->rx_frames);
    assert_int_equal(x->drop_loss, y->drop_loss);
    assert_int_equal(x->corrupted, y->corrupted);
    assert_int_equal(x->corrupt_skipped, y->corrupt_skipped);
    assert_int_equal(x->duplicated, y->duplicated);
    assert_int_equal(x->reordered, y->reordered);
}

/* For each sequence number, the log index of its first and second arrival (UINT32_MAX if
 * none) and its number of arrivals. */
static void index_arrivals(const l2t_rx *rx, size_t n, uint32_t nseq, uint32_t (*at)[2],
                           uint8_t *count)
{
    for (uint32_t s = 0; s < nseq; s++)
        at[s][0] = at[s][1] = UINT32_MAX, count[s] = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t s = rx[k].seq;
        assert_true(s < nseq);
        assert_true(count[s] < 2);
        at[s][count[s]++] = (uint32_t)k;
    }
}

static void test_link__duplicate_delay_moves_only_the_copy(void **state)
{
    (void)state;
    enum { N = 2000 };
    const viv_time_t dd = VIV_US(30);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = N;
    lp.delay_ns = VIV_US(5);
    lp.loss = 0.05;
    lp.duplicate = 0.2;
    lp.corrupt = 0.05;
    lp.corrupt_offset = 18; /* past the sequence number, so every arrival names its frame */
    lp.jitter_ns = VIV_US(2); /* jitter_reorder 0: frames stay in order */
    size_t n0, n1;
    viv_link_stats_t s0, s1;
    l2t_rx *r0 = own_run(&lp, N, 100, &n0, &s0);
    lp.duplicate_delay_ns = dd;
    l2t_rx *r1 = own_run(&lp, N, 100, &n1, &s1);
    viv_link_params got;
    /* The same draws: the same frames lost, duplicated and corrupted. */
    assert_int_equal(n0, n1);
    assert_same_fates(&s0, &s1);
    print_message("duplicate delay: %llu copies of %u frames, %llu lost\n",
                  (unsigned long long)s1.duplicated, (unsigned)N,
                  (unsigned long long)s1.drop_loss);
    /* 0.95 * 2000 * 0.2 = 380 copies expected, standard deviation about 18. */
    assert_in_range(s1.duplicated, 380 - 4 * 18, 380 + 4 * 18);
    static uint32_t at0[N][2], at1[N][2];
    static uint8_t c0[N], c1[N];
    index_arrivals(r0, n0, N, at0, c0);
    index_arrivals(r1, n1, N, at1, c1);
    uint32_t copies = 0;
    viv_time_t last = 0;
    for (uint32_t s = 0; s < N; s++) {
        assert_int_equal(c0[s], c1[s]);
        if (!c1[s])
            continue;
        /* The original keeps its arrival (a late copy holds no later frame back), and the
         * originals still arrive in order. */
        const l2t_rx *o = &r1[at1[s][0]];
        assert_int_equal(o->t, r0[at0[s][0]].t);
        assert_true(o->t >= last);
        last = o->t;
        assert_memory_equal(o->bytes, r0[at0[s][0]].bytes, 100);
        if (c1[s] == 2) {
            /* Without the delay the copy came at the same instant; with it, exactly dd
             * later, byte for byte the same frame. */
            assert_int_equal(r0[at0[s][1]].t, r0[at0[s][0]].t);
            const l2t_rx *c = &r1[at1[s][1]];
            assert_int_equal(c->t, o->t + dd);
            assert_memory_equal(c->bytes, o->bytes, 100);
            copies++;
        }
    }
    assert_int_equal(copies, s1.duplicated);
    free(r0);
    free(r1);

    /* The parameter reads back; an infinite one is refused. */
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    pair p;
    pair_init(&p, sim, &lp);
    assert_int_equal(viv_link_params_get(&got, p.l, VIV_LINK_AB), 0);
    assert_int_equal(got.duplicate_delay_ns, dd);
    lp.duplicate_delay_ns = VIV_TIME_NEVER;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "infinite delay"));
    pair_fini(&p);
    viv_test_sim_free(sim, &a);
}

/* Where a received frame differs from the frame sent with sequence number seq: the number of
 * flipped bits, and the position (byte * 8 + bit) of the last one. */
static int flip_at(const l2t_rx *r, const viv_mac_t *dst, const viv_mac_t *src, uint32_t seq,
                   uint32_t *pos)
{
    uint8_t want[L2T_MAXCOPY];
    assert_true(r->len <= L2T_MAXCOPY);
    l2t_frame(want, r->len, dst, src, L2T_ETHERTYPE, seq);
    int n = 0;
    for (uint32_t i = 0; i < r->len; i++) {
        uint8_t x = want[i] ^ r->bytes[i];
        for (uint32_t b = 0; b < 8; b++) {
            if (x >> b & 1) {
                n++;
                *pos = i * 8 + b;
            }
        }
    }
    return n;
}

static void test_link__corruption_flips_only_inside_its_range(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 2000 };
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = N;
    lp.corrupt = 1.0;
    lp.corrupt_offset = 20;
    lp.corrupt_len = 10;
    pair_init(&p, sim, &lp);
    for (uint32_t i = 0; i < N; i++)
        l2t_send(&p.a, &p.b.mac, 64, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, N);
    /* Every frame has exactly one bit flipped, in bytes 20..29; the headers and the sequence
     * number are intact. */
    uint32_t per_bit[80] = {0}, per_byte[10] = {0};
    for (uint32_t k = 0; k < N; k++) {
        const l2t_rx *r = &p.b.rx[k];
        assert_int_equal(r->seq, k);
        uint32_t pos = 0;
        assert_int_equal(flip_at(r, &p.b.mac, &p.a.mac, k, &pos), 1);
        assert_in_range(pos, 20 * 8, 30 * 8 - 1);
        per_bit[pos - 160]++;
        per_byte[(pos - 160) / 8]++;
    }
    /* Uniform over the range: each byte 200 expected (standard deviation 13.4), each of the
     * 80 bits 25 (standard deviation 4.97). */
    for (int i = 0; i < 10; i++)
        assert_in_range(per_byte[i], 200 - 54, 200 + 54);
    for (int i = 0; i < 80; i++)
        assert_in_range(per_bit[i], 25 - 20, 25 + 20);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.corrupted, N);
    assert_int_equal(st.corrupt_skipped, 0);

    /* A range past the frame's end is cut there: bytes 60..63 of 64-byte frames. */
    lp.corrupt_offset = 60;
    lp.corrupt_len = 100;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &lp), 0);
    l2t_station_fini(&p.b);
    for (uint32_t i = 0; i < N; i++)
        l2t_send(&p.a, &p.b.mac, 64, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, N);
    uint32_t tail[4] = {0};
    for (uint32_t k = 0; k < N; k++) {
        uint32_t pos = 0;
        assert_int_equal(flip_at(&p.b.rx[k], &p.b.mac, &p.a.mac, k, &pos), 1);
        assert_in_range(pos, 60 * 8, 64 * 8 - 1);
        tail[pos / 8 - 60]++;
    }
    /* 500 each expected, standard deviation 19.4. */
    for (int i = 0; i < 4; i++)
        assert_in_range(tail[i], 500 - 78, 500 + 78);

    /* A frame that ends at or before the range's first byte is left intact and counted; one
     * byte more, and that byte takes the flip. */
    l2t_station_fini(&p.b);
    for (uint32_t i = 0; i < 300; i++)
        l2t_send(&p.a, &p.b.mac, 60 + i % 2, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 300);
    for (uint32_t k = 0; k < 300; k++) {
        uint32_t pos = 0;
        int n = flip_at(&p.b.rx[k], &p.b.mac, &p.a.mac, k, &pos);
        assert_int_equal(n, (int)(k % 2));
        if (n)
            assert_in_range(pos, 60 * 8, 61 * 8 - 1);
    }
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.corrupted, 2 * N + 150);
    assert_int_equal(st.corrupt_skipped, 150);
    assert_int_equal(st.rx_frames, 2 * N + 300);
    pair_fini(&p);
}

/* Equal logs: the same frames, at the same instants, with the same bytes. */
static void assert_same_log(const l2t_rx *x, const l2t_rx *y, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(x[k].t, y[k].t);
        assert_int_equal(x[k].len, y[k].len);
        assert_memory_equal(x[k].bytes, y[k].bytes, x[k].len);
    }
}

/* The corruption range decides which bit a corrupted frame gets, never which frames are lost,
 * duplicated, corrupted, jittered or reordered; the whole frame spelled out is the default. */
static void test_link__corruption_range_changes_only_the_bit(void **state)
{
    (void)state;
    enum { N = 2000 };
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = N;
    lp.delay_ns = VIV_US(5);
    lp.loss = 0.1;
    lp.duplicate = 0.1;
    lp.corrupt = 0.3;
    lp.jitter_ns = VIV_US(1);
    lp.jitter_reorder = 1;
    lp.reorder = 0.05;
    lp.reorder_delay_ns = VIV_US(3);
    size_t nd, nw, nb, np;
    viv_link_stats_t sd, sw, sb, sp;
    l2t_rx *rd = own_run(&lp, N, 64, &nd, &sd); /* the default range */
    lp.corrupt_len = 64;
    l2t_rx *rw = own_run(&lp, N, 64, &nw, &sw); /* the whole frame, spelled out */
    lp.corrupt_len = 1000;
    l2t_rx *rb = own_run(&lp, N, 64, &nb, &sb); /* longer than the frame */
    lp.corrupt_offset = 18;
    lp.corrupt_len = 0;
    l2t_rx *rp = own_run(&lp, N, 64, &np, &sp); /* the payload after the sequence number */
    assert_true(sd.corrupted > 400);
    assert_int_equal(nd, nw);
    assert_int_equal(nd, nb);
    assert_int_equal(nd, np);
    assert_same_fates(&sd, &sw);
    assert_same_fates(&sd, &sb);
    assert_same_fates(&sd, &sp);
    assert_same_log(rd, rw, nd);
    assert_same_log(rd, rb, nd);
    /* The payload run corrupted the same arrivals, at the same instants; the sequence number
     * is intact there, so it names the frame of both. */
    const viv_mac_t ma = l2t_mac(1), mb = l2t_mac(2);
    uint32_t bad = 0;
    for (size_t k = 0; k < nd; k++) {
        assert_int_equal(rd[k].t, rp[k].t);
        uint32_t pos = 0;
        int fd = bits_flipped(&rd[k], &mb, &ma, rp[k].seq);
        int fp = flip_at(&rp[k], &mb, &ma, rp[k].seq, &pos);
        assert_int_equal(fd, fp);
        if (fp)
            assert_true(pos >= 18 * 8);
        bad += (uint32_t)fp;
    }
    /* Duplicates share their original's corrupted bytes: count arrivals, not frames. */
    assert_true(bad >= sp.corrupted);
    free(rd);
    free(rw);
    free(rb);
    free(rp);
}

static viv_verdict corrupt_all(viv_link_t *l, viv_link_dir d, const uint8_t *f, size_t n,
                               const viv_frame_info *i, viv_time_t *delay, void *u)
{
    (void)l, (void)d, (void)f, (void)n, (void)i, (void)delay, (void)u;
    return VIV_VERDICT_CORRUPT;
}

static void test_link__corrupt_verdict_uses_the_range(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.queue_frames = 1000;
    lp.corrupt_offset = 30; /* no corrupt impairment: only the intercept corrupts */
    lp.corrupt_len = 4;
    pair_init(&p, sim, &lp);
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, corrupt_all, NULL), 0);
    for (uint32_t i = 0; i < 400; i++)
        l2t_send(&p.a, &p.b.mac, i % 4 ? 64 : 30, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 400);
    uint32_t per_byte[4] = {0};
    for (uint32_t k = 0; k < 400; k++) {
        uint32_t pos = 0;
        int n = flip_at(&p.b.rx[k], &p.b.mac, &p.a.mac, k, &pos);
        if (k % 4 == 0) {
            assert_int_equal(n, 0); /* 30 bytes end where the range starts */
            continue;
        }
        assert_int_equal(n, 1);
        assert_in_range(pos, 30 * 8, 34 * 8 - 1);
        per_byte[pos / 8 - 30]++;
    }
    for (int i = 0; i < 4; i++)
        assert_true(per_byte[i] > 40);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.corrupted, 300);
    assert_int_equal(st.corrupt_skipped, 100);
    pair_fini(&p);
}

/* Duplicate frame 0 at once and frame 1 with its copy 7 us later. */
static viv_verdict dup_later(viv_link_t *l, viv_link_dir d, const uint8_t *f, size_t n,
                             const viv_frame_info *i, viv_time_t *delay, void *u)
{
    (void)l, (void)d, (void)n, (void)i;
    ++*(uint32_t *)u;
    assert_int_equal(*delay, 0);
    switch (f[17]) {
    case 0:
        return VIV_VERDICT_DUPLICATE;
    case 1:
        *delay = 7000;
        return VIV_VERDICT_DUPLICATE;
    default:
        return VIV_VERDICT_DELIVER;
    }
}

static void test_link__duplicate_verdict_may_delay_the_copy(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    pair_init(&p, sim, &lp);
    uint32_t calls = 0;
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, dup_later, &calls), 0);
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&p.a, &p.b.mac, 100, i);
    assert_int_equal(viv_sim_run(sim), 0);
    const viv_time_t ser = l2t_ser(100, ETH_OVH, GBPS);
#define ARR(i) ((viv_time_t)((i) + 1) * ser + VIV_MS(1))
    /* Copies are not asked about again. */
    assert_int_equal(calls, 3);
    static const uint32_t seqs[5] = {0, 0, 1, 2, 1};
    const viv_time_t times[5] = {ARR(0), ARR(0), ARR(1), ARR(2), ARR(1) + 7000};
    assert_int_equal(p.b.n, 5);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(p.b.rx[k].seq, seqs[k]);
        assert_int_equal(p.b.rx[k].t, times[k]);
    }
#undef ARR
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.duplicated, 2);
    assert_int_equal(st.rx_frames, 5);
    pair_fini(&p);
}

/* A host with one interface at 10.0.0.n/24. */
static viv_host_t *ip_host(viv_sim_t *sim, const char *name, uint8_t n)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, n), 24), 0);
    return h;
}

/* Corrupting only what follows the UDP and ICMP headers leaves every header intact: the
 * frames reach the transport, whose checksum catches each one. */
static void test_link__payload_corruption_is_caught_by_transport_checksums(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 20 };
    viv_host_t *h1 = ip_host(sim, "h1", 1), *h2 = ip_host(sim, "h2", 2);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.corrupt = 1.0;
    lp.corrupt_offset = 14 + 20 + 8; /* Ethernet, IPv4 and UDP (or ICMP echo) headers */
    viv_link_t *l = l2t_link(sim, viv_host_port(h1, 0), viv_host_port(h2, 0), &lp);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, h1, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, h2, NULL, NULL, NULL), 0);
    viv_sockaddr_t at = {VIV_IP4(10, 0, 0, 2), 7};
    assert_int_equal(viv_udp_bind(rx, &at), 0);
    uint8_t data[100];
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)i;
    /* One datagram first, so that the rest do not wait for ARP (which holds only three). */
    for (int i = 0; i < N; i++) {
        assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &at), (int)sizeof data);
        if (i == 0)
            assert_int_equal(viv_sim_run(sim), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    viv_udp_host_stats_t us;
    assert_int_equal(viv_host_udp_stats(&us, h2), 0);
    assert_int_equal(us.rx_checksum, N);
    assert_int_equal(us.rx_bad, 0);
    viv_udp_stats_t ss;
    assert_int_equal(viv_udp_stats(&ss, rx), 0);
    assert_int_equal(ss.rx_datagrams, 0);
    viv_ip_stats_t is;
    assert_int_equal(viv_host_ip_stats(&is, h2), 0);
    assert_int_equal(is.ip_rx, N);
    assert_int_equal(is.drop_checksum, 0);
    assert_int_equal(is.drop_malformed, 0);
    assert_int_equal(is.drop_truncated, 0);
    assert_int_equal(is.rx_bad_frame, 0);
    assert_int_equal(is.arp_bad, 0);
    /* Every frame had a byte in the range (the ARP request's are its padding). */
    viv_link_stats_t st = l2t_lstats(l, VIV_LINK_AB);
    assert_int_equal(st.corrupted, st.tx_frames);
    assert_int_equal(st.corrupted, N + 1);
    assert_int_equal(st.corrupt_skipped, 0);

    /* Echo requests: the ICMP checksum catches each one, and none is answered. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 5;
    po.interval_ns = VIV_MS(1);
    po.timeout_ns = VIV_MS(1);
    viv_ping_t *ping;
    assert_int_equal(viv_ping_start(&ping, h1, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_host_ip_stats(&is, h2), 0);
    assert_int_equal(is.icmp_bad, 5);
    assert_int_equal(is.icmp_tx, 0);
    assert_int_equal(is.drop_checksum, 0);
    viv_ping_stats_t ps;
    assert_int_equal(viv_ping_stats(&ps, ping), 0);
    assert_int_equal(ps.sent, 5);
    assert_int_equal(ps.received, 0);
    assert_int_equal(l2t_lstats(l, VIV_LINK_AB).corrupted, N + 1 + 5);
}

/* n frames of 64 bytes, one every `gap` ns from t0. */
typedef struct ticker {
    l2t_station *s;
    viv_mac_t dst;
    uint32_t n, sent;
    viv_time_t gap;
} ticker;

static void tick(viv_sim_t *sim, void *user)
{
    ticker *k = user;
    l2t_send(k->s, &k->dst, 64, k->sent++);
    if (k->sent < k->n)
        assert_int_equal(viv_sim_schedule_after(NULL, sim, k->gap, tick, k), 0);
}

static void run_ticker(viv_sim_t *sim, pair *p, uint32_t n, viv_time_t gap)
{
    ticker k = {&p->a, p->b.mac, n, 0, gap};
    assert_int_equal(viv_sim_schedule_after(NULL, sim, 0, tick, &k), 0);
    assert_int_equal(viv_sim_run(sim), 0);
}

static void test_link__jitter_stays_in_range_and_keeps_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    for (int reorder = 0; reorder <= 1; reorder++) {
        pair p;
        viv_link_params lp = VIV_LINK_PARAMS_INIT;
        lp.delay_ns = VIV_US(10);
        lp.jitter_ns = VIV_US(5);
        lp.jitter_reorder = reorder;
        pair_init(&p, sim, &lp);
        const viv_time_t t0 = viv_sim_now(sim);
        run_ticker(sim, &p, 2000, 1000);
        assert_int_equal(p.b.n, 2000);
        const viv_time_t ser = l2t_ser(64, ETH_OVH, GBPS);
        viv_time_t max_extra = 0;
        uint32_t inversions = 0, nonzero = 0;
        for (size_t k = 0; k < p.b.n; k++) {
            const l2t_rx *r = &p.b.rx[k];
            viv_time_t base = t0 + (viv_time_t)r->seq * 1000 + ser + VIV_US(10);
            assert_true(r->t >= base);
            viv_time_t extra = r->t - base;
            assert_true(extra <= VIV_US(5));
            if (extra > max_extra)
                max_extra = extra;
            nonzero += extra > 0;
            if (k > 0 && p.b.rx[k - 1].seq > r->seq)
                inversions++;
            if (k > 0)
                assert_true(p.b.rx[k - 1].t <= r->t);
        }
        assert_true(nonzero > 1900);
        assert_true(max_extra > VIV_US(4));
        if (reorder)
            assert_true(inversions > 100);
        else
            assert_int_equal(inversions, 0);
        assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).reordered, 0);
        pair_fini(&p);
    }
}

/* Jitter that keeps order, switched on while frames launched plain are in flight: a new
 * frame is held behind the latest of them (launched under another delay than the latest
 * one), and not behind frames that already arrived. */
static void jitter_switched_on(viv_sim_t *sim, double loss)
{
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(10);
    lp.loss = loss;
    pair_init(&p, sim, &lp);
    const viv_time_t ser = l2t_ser(100, ETH_OVH, GBPS);
    l2t_send(&p.a, &p.b.mac, 100, 0); /* due at 10 ms + ser */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    assert_int_equal(viv_link_set_delay(p.l, VIV_LINK_AB, VIV_MS(5)), 0); /* still plain */
    l2t_send(&p.a, &p.b.mac, 100, 1); /* due at 6 ms + ser */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(2)), 0);
    viv_link_params j;
    assert_int_equal(viv_link_params_get(&j, p.l, VIV_LINK_AB), 0);
    j.delay_ns = VIV_MS(1);
    j.jitter_ns = 1;
    assert_int_equal(viv_link_set_params(p.l, VIV_LINK_AB, &j), 0);
    l2t_send(&p.a, &p.b.mac, 100, 2); /* 3 ms + ser at most: held to 10 ms + ser */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(20)), 0);
    l2t_send(&p.a, &p.b.mac, 100, 3); /* everything arrived: nothing holds it */
    assert_int_equal(viv_sim_run(sim), 0);
    static const uint32_t want[4] = {1, 0, 2, 3};
    assert_int_equal(p.b.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p.b.rx[i].seq, want[i]);
    assert_int_equal(p.b.rx[0].t, VIV_MS(6) + ser);
    assert_int_equal(p.b.rx[1].t, VIV_MS(10) + ser);
    assert_int_equal(p.b.rx[2].t, VIV_MS(10) + ser);
    assert_in_range(p.b.rx[3].t, VIV_MS(21) + ser, VIV_MS(21) + ser + 1);
    pair_fini(&p);
}

static void test_link__jitter_switched_on_holds_frames_behind_plain_ones_in_flight(void **state)
{
    jitter_switched_on(VIV_TEST_SIM(state), 0);
}

/* The same from a direction that drew a loss rate alone (on the common way, its frames
 * launched as plain ones): they hold the new frame back too. The rate loses none of them. */
static void test_link__jitter_switched_on_after_a_loss_rate_alone(void **state)
{
    jitter_switched_on(VIV_TEST_SIM(state), 1e-12);
}

static void test_link__cut_frames_hold_back_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(10);
    lp.jitter_ns = VIV_US(1);
    pair_init(&p, sim, &lp);
    l2t_send(&p.a, &p.b.mac, 100, 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    /* The frame in flight is lost to the cut; on a shorter path a new frame must not wait
     * for it as if it were still ahead. */
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_link_set_delay(p.l, VIV_LINK_AB, VIV_MS(1)), 0);
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 1), 0);
    l2t_send(&p.a, &p.b.mac, 100, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);
    assert_int_equal(p.b.rx[0].seq, 1);
    const viv_time_t base = VIV_MS(1) + l2t_ser(100, ETH_OVH, GBPS) + VIV_MS(1);
    assert_in_range(p.b.rx[0].t, base, base + VIV_US(1));
    pair_fini(&p);
}

static void test_link__huge_delays_saturate_instead_of_wrapping(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_TIME_NEVER - 2;
    lp.jitter_ns = VIV_S(1);
    pair_init(&p, sim, &lp);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    l2t_send(&p.a, &p.b.mac, 100, 0);
    /* The frame is on its way, due at the end of time: one pending arrival, not a lost one. */
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(3600)), 0);
    assert_int_equal(p.b.n, 0);
    assert_int_equal(viv_sim_pending(sim), 1);
    viv_link_free(p.l);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(l2t_frames_live(sim), 0);
    pair_fini(&p);
}

/* Regression (hardening issue, defect 2): at the end of time a link's arithmetic wrapped and
 * a frame vanished with no drop counted (tx=3, rx=2). Arrivals past the last instant now
 * saturate there, and every frame is delivered or counted. */
static void test_link__frames_at_the_end_of_time_arrive_or_are_counted(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(5);
    pair_init(&p, sim, &lp);
    assert_int_equal(viv_sim_run_until(sim, VIV_TIME_MAX - VIV_US(20)), 0);
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    assert_int_equal(viv_sim_run_until(sim, VIV_TIME_NEVER), 0);
    assert_int_equal(p.b.n, 3);
    /* The first arrives on time; the others would be past the end and arrive at it, in
     * order. */
    assert_int_equal(p.b.rx[0].t, VIV_TIME_MAX - VIV_US(20) + l2t_ser(1000, ETH_OVH, GBPS) +
                                      VIV_US(5));
    assert_int_equal(p.b.rx[2].t, VIV_TIME_MAX);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(p.b.rx[i].seq, i);
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.tx_frames, 3);
    assert_int_equal(st.rx_frames, 3);
    /* At the last instant itself, frames still go through, never back in time. */
    assert_int_equal(viv_sim_now(sim), VIV_TIME_MAX);
    l2t_send(&p.a, &p.b.mac, 100, 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 4);
    assert_int_equal(p.b.rx[3].t, VIV_TIME_MAX);
    st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.tx_frames, 4);
    assert_int_equal(st.rx_frames, 4);
    assert_int_equal(st.drop_nomem, 0);
    pair_fini(&p);
}

/* Regression (hardening issue, defect 6): a frame that could not go on for want of memory
 * vanished with no drop counted. */
static void test_link__frames_lost_to_no_memory_are_counted(void **state)
{
    (void)state;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    pair p;
    pair_init(&p, sim, NULL);
    uint32_t sent = 0;
    uint64_t handed = 0;
    /* Fail every allocation from the Nth on, for growing N: every frame handed to the link
     * is either delivered or counted, whatever failed on its way. */
    for (uint64_t n = 1; n < 40; n++) {
        a.fail_at = a.calls + n;
        a.fail_all_after = 1;
        for (int i = 0; i < 4; i++) {
            uint8_t buf[200];
            l2t_frame(buf, sizeof buf, &p.b.mac, &p.a.mac, L2T_ETHERTYPE, sent++);
            int rc = viv_device_send(p.a.dev, 0, buf, sizeof buf);
            assert_true(rc == 0 || rc == VIV_ENOMEM);
            handed += rc == 0;
        }
        viv_sim_run(sim);
        a.fail_at = 0;
        a.fail_all_after = 0;
    }
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_true(st.drop_nomem > 0);
    assert_int_equal(handed, st.rx_frames + st.drop_nomem + st.drop_queue);
    assert_true(handed < sent); /* the others were refused with VIV_ENOMEM, not lost */
    assert_int_equal((uint64_t)p.b.n, st.rx_frames);
    pair_fini(&p);
    viv_test_sim_free(sim, &a);
}

/* The seqs of the frames a cut drops, in the order the trace reports them. */
typedef struct cutlog {
    uint32_t n;
    uint32_t seq[64];
} cutlog;

static void on_cut_trace(const viv_trace_record *r, void *user)
{
    cutlog *c = user;
    if (r->kind != VIV_TRACE_FRAME_DROP || r->reason != VIV_DROP_CUT || c->n >= 64)
        return;
    c->seq[c->n++] = (uint32_t)r->frame[14] << 24 | (uint32_t)r->frame[15] << 16 |
                     (uint32_t)r->frame[16] << 8 | r->frame[17];
}

/* Frames in flight on a direction arriving out of order (jitter that may reorder), some
 * already arrived and their entries reused: a cut drops the rest in the order they were
 * sent, whatever order they would have arrived in. */
static void test_link__cut_drops_in_flight_frames_in_launch_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(200);
    lp.jitter_ns = VIV_US(400);
    lp.jitter_reorder = 1;
    pair_init(&p, sim, &lp);
    static l2t_sendev ev[40];
    for (uint32_t i = 0; i < 40; i++) {
        ev[i] = (l2t_sendev){&p.a, p.b.mac, 100, i};
        l2t_send_at(sim, &ev[i], VIV_US(50) * i);
    }
    cutlog c = {0};
    assert_int_equal(viv_sim_trace(sim, on_cut_trace, &c), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_US(1000)), 0);
    uint32_t arrived = (uint32_t)p.b.n;
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_sim_trace(sim, NULL, NULL), 0);
    /* Sent by 1 ms: frames 0..20; some arrived out of order, the rest were cut. */
    assert_true(arrived > 2 && arrived < 21);
    assert_int_equal(c.n, 21 - arrived);
    uint32_t inversions = 0;
    for (size_t k = 1; k < p.b.n; k++)
        inversions += p.b.rx[k - 1].seq > p.b.rx[k].seq;
    assert_true(inversions > 0);
    for (uint32_t k = 1; k < c.n; k++)
        assert_true(c.seq[k - 1] < c.seq[k]);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l2t_frames_live(sim), 0);
    pair_fini(&p);
}

static void test_link__reorder_lets_later_frames_overtake(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(10);
    lp.reorder = 0.1;
    lp.reorder_delay_ns = VIV_US(20);
    pair_init(&p, sim, &lp);
    run_ticker(sim, &p, 2000, 1000);
    assert_int_equal(p.b.n, 2000);
    const viv_time_t ser = l2t_ser(64, ETH_OVH, GBPS);
    uint32_t held = 0, inversions = 0;
    for (size_t k = 0; k < p.b.n; k++) {
        const l2t_rx *r = &p.b.rx[k];
        viv_time_t base = (viv_time_t)r->seq * 1000 + ser + VIV_US(10);
        /* Either on time or exactly reorder_delay late. */
        if (r->t != base) {
            assert_int_equal(r->t, base + VIV_US(20));
            held++;
        }
        if (k > 0 && p.b.rx[k - 1].seq > r->seq)
            inversions++;
    }
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).reordered, held);
    assert_in_range(held, 200 - 54, 200 + 54);
    assert_true(inversions >= held / 2);
    pair_fini(&p);
}

/* ---- intercepts and drop rules --------------------------------------------------------- */

typedef struct icept {
    viv_sim_t *sim;
    uint32_t calls;
    viv_time_t t[32];
    uint32_t seq[32];
    viv_frame_info info[32];
    viv_link_dir dir[32];
    viv_link_t *link;
    int action; /* 0: verdicts by sequence number; 1: cut the link; 2: free the link;
                   3: free the receiving device */
    l2t_station *victim;
} icept;

static viv_verdict on_intercept(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                                void *user)
{
    icept *ic = user;
    assert_ptr_equal(link, ic->link);
    assert_int_equal(info->len, len);
    uint32_t seq = (uint32_t)frame[14] << 24 | (uint32_t)frame[15] << 16 |
                   (uint32_t)frame[16] << 8 | frame[17];
    if (ic->calls < 32) {
        ic->t[ic->calls] = viv_sim_now(ic->sim);
        ic->seq[ic->calls] = seq;
        ic->info[ic->calls] = *info;
        ic->dir[ic->calls] = dir;
    }
    ic->calls++;
    if (ic->action == 1) {
        assert_int_equal(viv_link_set_up(link, VIV_LINK_BOTH, 0), 0);
        return VIV_VERDICT_DELIVER;
    }
    if (ic->action == 2) {
        viv_link_free(link);
        return VIV_VERDICT_DELAY;
    }
    if (ic->action == 3) {
        viv_device_free(ic->victim->dev);
        ic->victim->dev = NULL;
        return VIV_VERDICT_DUPLICATE;
    }
    switch (seq) {
    case 1:
        return VIV_VERDICT_DROP;
    case 2:
        *delay_ns = 5000;
        return VIV_VERDICT_DELAY;
    case 3:
        return VIV_VERDICT_DUPLICATE;
    case 4:
        return VIV_VERDICT_CORRUPT;
    default:
        return VIV_VERDICT_DELIVER;
    }
}

/* An IPv4/UDP frame: 14 + 20 + 8 + 10 bytes (checksums left zero: nothing verifies them
 * here). Read as a test frame, its "sequence number" is the first IPv4 word. */
static size_t udp_frame(uint8_t *b, const viv_mac_t *dst, const viv_mac_t *src, uint16_t dport)
{
    memset(b, 0, 52);
    memcpy(b, dst->b, 6);
    memcpy(b + 6, src->b, 6);
    b[12] = 0x08;
    b[13] = 0x00;
    uint8_t *ip = b + 14;
    ip[0] = 0x45;
    ip[3] = 38; /* total length */
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
    ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 2;
    uint8_t *u = ip + 20;
    u[0] = 1234 >> 8, u[1] = 1234 & 0xff;
    u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
    u[5] = 18;
    return 52;
}

static void test_link__intercept_sees_frames_at_arrival(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(7);
    pair_init(&p, sim, &lp);
    icept ic = {.sim = sim, .link = p.l};
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_BA, on_intercept, &ic), 0);
    uint8_t f[52];
    udp_frame(f, &p.a.mac, &p.b.mac, 53);
    assert_int_equal(viv_device_send(p.b.dev, 0, f, sizeof f), 0);
    l2t_send(&p.a, &p.b.mac, 100, 9); /* the other direction is not intercepted */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(ic.calls, 1);
    assert_int_equal(ic.dir[0], VIV_LINK_BA);
    const viv_time_t arr = l2t_ser(52, ETH_OVH, GBPS) + VIV_US(7);
    assert_int_equal(ic.t[0], arr);
    assert_int_equal(p.a.n, 1);
    assert_int_equal(p.a.rx[0].t, arr);
    const viv_frame_info *i = &ic.info[0];
    assert_int_equal(i->len, 52);
    assert_true(l2t_mac_eq(&i->dst, &p.a.mac));
    assert_true(l2t_mac_eq(&i->src, &p.b.mac));
    assert_int_equal(i->ethertype, VIV_ETHERTYPE_IPV4);
    assert_int_equal(i->has_ip, 1);
    assert_int_equal(i->ip_proto, VIV_IPPROTO_UDP);
    assert_int_equal(i->ip_ttl, 64);
    assert_int_equal(i->ip_src, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(i->ip_dst, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(i->sport, 1234);
    assert_int_equal(i->dport, 53);
    assert_int_equal(i->payload_len, 10);
    /* The device got the same summary. */
    assert_memory_equal(&p.a.rx[0].info, i, sizeof(*i));
    /* Removing the intercept. */
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_BOTH, NULL, NULL), 0);
    assert_int_equal(viv_device_send(p.b.dev, 0, f, sizeof f), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(ic.calls, 1);
    assert_int_equal(p.a.n, 2);
    pair_fini(&p);
}

static void test_link__intercept_verdicts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    pair_init(&p, sim, &lp);
    icept ic = {.sim = sim, .link = p.l};
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, on_intercept, &ic), 0);
    for (uint32_t i = 0; i < 6; i++)
        l2t_send(&p.a, &p.b.mac, 100, i);
    assert_int_equal(viv_sim_run(sim), 0);
    const viv_time_t ser = l2t_ser(100, ETH_OVH, GBPS);
#define ARR(i) ((viv_time_t)((i) + 1) * ser + VIV_MS(1))
    /* Asked once per frame: neither the delayed frame nor the copy is asked again. */
    assert_int_equal(ic.calls, 6);
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(ic.seq[i], i);
        assert_int_equal(ic.t[i], ARR(i));
    }
    /* Frame 1 dropped, 2 held 5 us (behind 5), 3 twice, 4 with one bit flipped. */
    static const uint32_t seqs[6] = {0, 3, 3, 4, 5, 2};
    const viv_time_t times[6] = {ARR(0), ARR(3), ARR(3), ARR(4), ARR(5), ARR(2) + 5000};
    assert_int_equal(p.b.n, 6);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(p.b.rx[k].t, times[k]);
        assert_int_equal(bits_flipped(&p.b.rx[k], &p.b.mac, &p.a.mac, seqs[k]), k == 3);
    }
    viv_link_stats_t st = l2t_lstats(p.l, VIV_LINK_AB);
    assert_int_equal(st.drop_intercept, 1);
    assert_int_equal(st.duplicated, 1);
    assert_int_equal(st.corrupted, 1);
    assert_int_equal(st.rx_frames, 6);
    assert_int_equal(st.tx_frames, 6);
#undef ARR
    pair_fini(&p);
}

static void test_link__intercept_may_cut_or_free_its_link(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(1);
    pair_init(&p, sim, &lp);
    icept ic = {.sim = sim, .link = p.l, .action = 1};
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, on_intercept, &ic), 0);
    for (uint32_t i = 0; i < 4; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    assert_int_equal(viv_sim_run(sim), 0);
    /* The first frame's arrival cut the link: that frame and the three behind it are lost. */
    assert_int_equal(ic.calls, 1);
    assert_int_equal(p.b.n, 0);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_cut, 4);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).rx_frames, 0);
    assert_int_equal(l2t_frames_live(sim), 0);

    /* An intercept that frees the link it is called for. */
    assert_int_equal(viv_link_set_up(p.l, VIV_LINK_AB, 1), 0);
    ic.action = 2;
    ic.calls = 0;
    for (uint32_t i = 0; i < 4; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(ic.calls, 1);
    assert_int_equal(p.b.n, 0);
    assert_null(viv_port_link(l2t_port(&p.a, 0)));
    assert_null(viv_port_link(l2t_port(&p.b, 0)));
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    /* The ports are free again. */
    viv_link_t *l2 = l2t_link(sim, l2t_port(&p.a, 0), l2t_port(&p.b, 0), NULL);
    l2t_send(&p.a, &p.b.mac, 100, 50);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 1);

    /* An intercept that frees the device the frame is going to (and so the link). */
    icept ic2 = {.sim = sim, .link = l2, .action = 3, .victim = &p.b};
    assert_int_equal(viv_link_set_intercept(l2, VIV_LINK_AB, on_intercept, &ic2), 0);
    for (uint32_t i = 0; i < 3; i++)
        l2t_send(&p.a, &p.b.mac, 1000, i);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(ic2.calls, 1);
    assert_null(p.b.dev);
    assert_int_equal(p.b.n, 1);
    assert_null(viv_port_link(l2t_port(&p.a, 0)));
    assert_int_equal(l2t_frames_live(sim), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    pair_fini(&p);
}

/* A drop rule outlives an intercept set and removed on its direction: arrivals still go by
 * the rule (the direction's one flag for both is kept from both). */
static void test_link__drop_rule_holds_after_intercept_removed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_init(&p, sim, NULL);
    viv_frame_match all = VIV_FRAME_MATCH_INIT;
    assert_int_equal(viv_link_drop_nth(p.l, VIV_LINK_AB, &all, 2), 0);
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, corrupt_all, NULL), 0);
    assert_int_equal(viv_link_set_intercept(p.l, VIV_LINK_AB, NULL, NULL), 0);
    uint8_t f[100];
    for (uint32_t i = 0; i < 3; i++) {
        l2t_frame(f, sizeof f, &p.b.mac, &p.a.mac, 0x88b5, i);
        assert_int_equal(viv_device_send(p.a.dev, 0, f, sizeof f), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 2);
    assert_int_equal(p.b.rx[0].seq, 0);
    assert_int_equal(p.b.rx[1].seq, 2);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_intercept, 1);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).corrupted, 0);
    pair_fini(&p);
}

static void test_link__drop_nth_drops_exactly_that_frame(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_init(&p, sim, NULL);
    /* Rule 1: the 3rd frame of EtherType 0x88b6. Rule 2: the 4th frame reaching it. */
    viv_frame_match m1 = VIV_FRAME_MATCH_INIT;
    m1.ethertype = 0x88b6;
    viv_frame_match all = VIV_FRAME_MATCH_INIT;
    assert_int_equal(viv_link_drop_nth(p.l, VIV_LINK_AB, &m1, 3), 0);
    assert_int_equal(viv_link_drop_nth(p.l, VIV_LINK_AB, &all, 4), 0);
    /* A rule on the other direction does not see these frames. */
    assert_int_equal(viv_link_drop_nth(p.l, VIV_LINK_BA, &all, 1), 0);
    uint8_t f[100];
    for (uint32_t i = 0; i < 12; i++) {
        l2t_frame(f, sizeof f, &p.b.mac, &p.a.mac, i % 2 ? 0x88b6 : 0x88b5, i);
        assert_int_equal(viv_device_send(p.a.dev, 0, f, sizeof f), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    /* Seq 3 is counted by rule 1 (its 2nd) and dropped by rule 2 (its 4th); seq 5 is rule 1's
     * 3rd. Each rule fires once. */
    assert_int_equal(p.b.n, 10);
    uint32_t k = 0;
    for (uint32_t i = 0; i < 12; i++) {
        if (i == 3 || i == 5)
            continue;
        assert_int_equal(p.b.rx[k++].seq, i);
    }
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_intercept, 2);

    /* Matching on IPv4 and UDP fields: the 2nd UDP frame to port 53 only. */
    viv_frame_match m3 = VIV_FRAME_MATCH_INIT;
    m3.ip_proto = VIV_IPPROTO_UDP;
    m3.dport = 53;
    m3.ip_dst = VIV_IP4(10, 0, 0, 2);
    assert_int_equal(viv_link_drop_nth(p.l, VIV_LINK_AB, &m3, 2), 0);
    static const uint16_t ports[6] = {53, 80, 80, 53, 53, 53};
    for (uint32_t i = 0; i < 6; i++) {
        udp_frame(f, &p.b.mac, &p.a.mac, ports[i]);
        f[19] = (uint8_t)(100 + i); /* the IPv4 identification's low byte tags it */
        assert_int_equal(viv_device_send(p.a.dev, 0, f, 52), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.b.n, 15);
    static const uint8_t left[5] = {100, 101, 102, 104, 105};
    for (int i = 0; i < 5; i++)
        assert_int_equal(p.b.rx[10 + i].bytes[19], left[i]);
    assert_int_equal(l2t_lstats(p.l, VIV_LINK_AB).drop_intercept, 3);
    /* The BA rule drops the first frame it sees, then nothing. */
    l2t_send(&p.b, &p.a.mac, 64, 0);
    l2t_send(&p.b, &p.a.mac, 64, 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(p.a.n, 1);
    assert_int_equal(p.a.rx[0].seq, 1);
    pair_fini(&p);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_link__arrival_time_is_exact),
        T(test_link__back_to_back_frames_serialize_in_turn),
        T(test_link__directions_are_independent),
        T(test_link__queue_frame_limit_drops_the_tail),
        T(test_link__queue_forgets_started_frames_after_an_idle_spell),
        T(test_link__queue_alone_after_the_queued_started_keeps_the_limits),
        T(test_link__queue_byte_limit),
        T(test_link__mtu_drops_oversized_frames),
        T(test_link__fifo_order_is_kept),
        T(test_link__cut_drops_queued_in_transmission_and_in_flight),
        T(test_link__node_off_drops_what_reaches_it_and_what_it_sends),
        T(test_link__parameter_changes_apply_to_later_frames),
        T(test_link__impairments_turn_on_and_off_with_each_setter),
        T(test_link__loss_rate_within_bounds),
        T(test_link__impairments_are_deterministic_per_seed),
        T(test_link__burst_loss_matches_its_model),
        T(test_link__duplication_rate_and_copies),
        T(test_link__corruption_flips_exactly_one_bit),
        T(test_link__duplicate_delay_moves_only_the_copy),
        T(test_link__corruption_flips_only_inside_its_range),
        T(test_link__corruption_range_changes_only_the_bit),
        T(test_link__corrupt_verdict_uses_the_range),
        T(test_link__duplicate_verdict_may_delay_the_copy),
        T(test_link__payload_corruption_is_caught_by_transport_checksums),
        T(test_link__jitter_stays_in_range_and_keeps_order),
        T(test_link__jitter_switched_on_holds_frames_behind_plain_ones_in_flight),
        T(test_link__jitter_switched_on_after_a_loss_rate_alone),
        T(test_link__cut_frames_hold_back_nothing),
        T(test_link__huge_delays_saturate_instead_of_wrapping),
        T(test_link__frames_at_the_end_of_time_arrive_or_are_counted),
        T(test_link__frames_lost_to_no_memory_are_counted),
        T(test_link__cut_drops_in_flight_frames_in_launch_order),
        T(test_link__reorder_lets_later_frames_overtake),
        T(test_link__intercept_sees_frames_at_arrival),
        T(test_link__intercept_verdicts),
        T(test_link__intercept_may_cut_or_free_its_link),
        T(test_link__drop_nth_drops_exactly_that_frame),
        T(test_link__drop_rule_holds_after_intercept_removed),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
