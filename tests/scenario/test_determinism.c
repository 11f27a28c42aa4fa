/* Determinism: a routed network with every impairment on (loss, burst loss, jitter with
 * reordering, duplication, corruption), ARP, ping, traceroute and UDP traffic in both
 * directions. Run twice with one seed it must give the same fingerprint, the same counters
 * and the same capture bytes; another seed must give another run. The fingerprint is also
 * pinned to a golden value, so that a machine, compiler or optimisation level that computes
 * anything differently (a fused multiply-add in a random draw, say) fails here. A change to
 * the library that changes what happens must update the value, and say why. */
#include "viv_test.h"

#include <stdio.h>
#include <string.h>

typedef struct result {
    uint64_t fingerprint;
    uint64_t events;
    viv_time_t end;
    size_t pending;
    uint64_t delivered;
    viv_link_stats_t wan_ab, wan_ba;
} result;

static void sink_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    uint64_t *n = user;
    uint8_t buf[2048];
    viv_sockaddr_t from;
    if (!(ev & VIV_EV_READABLE))
        return;
    while (viv_udp_recvfrom(s, buf, sizeof buf, &from, NULL) >= 0)
        (*n)++;
}

typedef struct talker {
    viv_udp_t *s;
    viv_sockaddr_t dst;
    int left;
} talker;

static void talk(viv_sim_t *sim, void *user)
{
    talker *t = user;
    uint8_t payload[700];
    memset(payload, t->left & 0xff, sizeof payload);
    viv_udp_sendto(t->s, payload, 200 + (size_t)(t->left * 37) % 500, &t->dst);
    if (--t->left > 0)
        viv_sim_schedule_after(NULL, sim, VIV_US(700), talk, t);
}

/* What watches the run (observers), none by default. */
enum { OBS_NONE = 0, OBS_LINK_CAPTURE = 1, OBS_PORT_CAPTURE = 2, OBS_TRACE = 4 };

static void count_record(const viv_trace_record *rec, void *user)
{
    uint64_t *n = user;
    (*n)++;
    (void)rec;
}

static result run_observed(uint64_t seed, int observe)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, seed);
    viv_host_t *h1, *h2, *h3, *r1, *r2;
    viv_switch_t *sw;
    viv_hub_t *hub;
    viv_link_t *l, *wan;
    assert_int_equal(viv_host_new(&h1, sim, NULL), 0);
    assert_int_equal(viv_host_new(&h2, sim, NULL), 0);
    assert_int_equal(viv_host_new(&h3, sim, NULL), 0);
    assert_int_equal(viv_router_new(&r1, sim, 2, NULL), 0);
    assert_int_equal(viv_router_new(&r2, sim, 2, NULL), 0);
    assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    for (viv_host_t **h = (viv_host_t *[]){h1, h2, h3}, **end = h + 3; h < end; h++)
        assert_true(viv_host_add_iface(*h, NULL) >= 0);
    viv_link_params lan = VIV_LINK_PARAMS_INIT;
    lan.rate_bps = 100000000;
    lan.delay_ns = VIV_US(20);
    viv_link_params w = VIV_LINK_PARAMS_INIT;
    w.rate_bps = 10000000;
    w.delay_ns = VIV_MS(5);
    w.loss = 0.02;
    w.burst = (viv_burst_loss){0.01, 0.3, 0.0, 0.5};
    w.jitter_ns = VIV_MS(2);
    w.jitter_reorder = 1;
    w.duplicate = 0.01;
    w.corrupt = 0.01;
    w.queue_frames = 20;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(h1, 0), viv_switch_port(sw, 0), &lan),
                     0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(h2, 0), viv_switch_port(sw, 1), &lan),
                     0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(r1, 0), viv_switch_port(sw, 2), &lan),
                     0);
    assert_int_equal(viv_link_new(&wan, sim, viv_host_port(r1, 1), viv_host_port(r2, 0), &w), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(r2, 1), viv_hub_port(hub, 0), &lan), 0);
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(h3, 0), viv_hub_port(hub, 1), &lan), 0);
    viv_subnet_t *s1, *s2, *s3;
    assert_int_equal(viv_subnet_new(&s1, sim, "10.1.0.0/24"), 0);
    assert_int_equal(viv_subnet_new(&s2, sim, "10.2.0.0/30"), 0);
    assert_int_equal(viv_subnet_new(&s3, sim, "10.3.0.0/24"), 0);
    assert_int_equal(viv_subnet_attach(NULL, s1, r1, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, s1, h1, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, s1, h2, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, s2, r1, 1), 0);
    assert_int_equal(viv_subnet_attach(NULL, s2, r2, 0), 0);
    assert_int_equal(viv_subnet_attach(NULL, s3, r2, 1), 0);
    viv_ip4_t h3ip;
    assert_int_equal(viv_subnet_attach(&h3ip, s3, h3, 0), 0);
    assert_true(viv_sim_compute_routes(sim) > 0);
    viv_pcap_t *cap = NULL;
    uint64_t records = 0;
    if (observe & OBS_TRACE)
        assert_int_equal(viv_sim_trace(sim, count_record, &records), 0);
    if (observe & (OBS_LINK_CAPTURE | OBS_PORT_CAPTURE)) {
        char path[512];
        snprintf(path, sizeof path, "%s/determinism-%d.pcap", VIV_TEST_TMPDIR, observe);
        assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    }
    if (observe & OBS_LINK_CAPTURE) { /* the WAN queues frames: captured as they start */
        assert_int_equal(viv_pcap_attach_link(cap, wan, VIV_LINK_BOTH), 0);
        assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BOTH), 0);
    }
    if (observe & OBS_PORT_CAPTURE) {
        assert_int_equal(viv_pcap_attach_port(cap, viv_host_port(r1, 1)), 0);
        assert_int_equal(viv_pcap_attach_port(cap, viv_switch_port(sw, 2)), 0);
    }

    uint64_t delivered = 0;
    viv_udp_t *rx1, *rx3, *tx1, *tx3;
    viv_sockaddr_t any = {VIV_IP4_ANY, 4000};
    assert_int_equal(viv_udp_new(&rx1, h1, NULL, sink_cb, &delivered), 0);
    assert_int_equal(viv_udp_new(&rx3, h3, NULL, sink_cb, &delivered), 0);
    assert_int_equal(viv_udp_bind(rx1, &any), 0);
    assert_int_equal(viv_udp_bind(rx3, &any), 0);
    assert_int_equal(viv_udp_new(&tx1, h1, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&tx3, h3, NULL, NULL, NULL), 0);
    viv_ip4_t h1ip;
    assert_int_equal(viv_host_addr(&h1ip, NULL, h1, 0), 0);
    talker t1 = {tx1, {h3ip, 4000}, 300}, t3 = {tx3, {h1ip, 4000}, 300};
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(3), talk, &t1), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(4), talk, &t3), 0);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 20;
    po.interval_ns = VIV_MS(10);
    assert_int_equal(viv_ping_start(NULL, h2, h3ip, &po, NULL, NULL), 0);
    assert_int_equal(viv_traceroute_start(NULL, h1, h3ip, NULL, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);

    result r;
    r.fingerprint = viv_sim_fingerprint(sim);
    r.events = viv_sim_events(sim);
    r.end = viv_sim_now(sim);
    r.pending = viv_sim_pending(sim);
    if (cap)
        assert_true(viv_pcap_frames(cap) > 100);
    if (observe & OBS_TRACE)
        assert_true(records > 1000);
    r.delivered = delivered;
    viv_link_stats(&r.wan_ab, wan, VIV_LINK_AB);
    viv_link_stats(&r.wan_ba, wan, VIV_LINK_BA);
    viv_test_sim_free(sim, &a);
    return r;
}

static result run(uint64_t seed) { return run_observed(seed, OBS_NONE); }

/* The fingerprint of run(1). */
#define GOLDEN_FINGERPRINT UINT64_C(0xd37db56af056ce63)

static void test_determinism__same_seed_same_run_everywhere(void **state)
{
    (void)state;
    result a = run(1), b = run(1), c = run(2);
    print_message("seed 1: fingerprint %016llx, %llu events, %llu datagrams delivered, wan "
                  "lost %llu+%llu burst %llu dup %llu corrupt %llu\n",
                  (unsigned long long)a.fingerprint, (unsigned long long)a.events,
                  (unsigned long long)a.delivered, (unsigned long long)a.wan_ab.drop_loss,
                  (unsigned long long)a.wan_ba.drop_loss,
                  (unsigned long long)(a.wan_ab.drop_burst + a.wan_ba.drop_burst),
                  (unsigned long long)(a.wan_ab.duplicated + a.wan_ba.duplicated),
                  (unsigned long long)(a.wan_ab.corrupted + a.wan_ba.corrupted));
    /* Every impairment fired, so the run exercises every random draw. */
    assert_true(a.wan_ab.drop_loss + a.wan_ba.drop_loss > 0);
    assert_true(a.wan_ab.drop_burst + a.wan_ba.drop_burst > 0);
    assert_true(a.wan_ab.duplicated + a.wan_ba.duplicated > 0);
    assert_true(a.wan_ab.corrupted + a.wan_ba.corrupted > 0);
    assert_true(a.wan_ab.reordered + a.wan_ba.reordered == 0); /* not configured */
    assert_true(a.delivered > 400);
    /* The same seed: the same run. */
    assert_true(a.fingerprint == b.fingerprint);
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.delivered, b.delivered);
    assert_memory_equal(&a.wan_ab, &b.wan_ab, sizeof a.wan_ab);
    assert_memory_equal(&a.wan_ba, &b.wan_ba, sizeof a.wan_ba);
    /* Another seed: another run. */
    assert_true(a.fingerprint != c.fingerprint);
    /* And the same run on every machine. */
    assert_true(a.fingerprint == GOLDEN_FINGERPRINT);
}

/* Observing must not change the run: with captures on links (which see queued frames when
 * their transmission starts, from observer events) and on ports, and a trace subscription,
 * alone and together, the events, the clock and the fingerprint are exactly those of the
 * run nobody watched. (A link capture used to add
 * events of its own: 773 events against 747.) */
static void test_determinism__observers_leave_the_run_as_it_is(void **state)
{
    (void)state;
    result plain = run(1);
    for (int obs = 1; obs <= (OBS_LINK_CAPTURE | OBS_PORT_CAPTURE | OBS_TRACE); obs++) {
        result o = run_observed(1, obs);
        assert_true(o.fingerprint == plain.fingerprint);
        assert_int_equal(o.events, plain.events);
        assert_int_equal(o.end, plain.end);
        assert_int_equal(o.pending, plain.pending);
        assert_int_equal(o.delivered, plain.delivered);
        assert_memory_equal(&o.wan_ab, &plain.wan_ab, sizeof o.wan_ab);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism__same_seed_same_run_everywhere),
        cmocka_unit_test(test_determinism__observers_leave_the_run_as_it_is),
    };
    return cmocka_run_group_tests_name("scenario/determinism", tests, NULL, NULL);
}
