/* The testing kit on a real scenario: two hosts and a switch exchanging UDP and ICMP, checked
 * with hand-written expectations (times worked out by hand from link.h's formula), with times
 * from the kit's physics helpers, and with deliberate mismatches whose reports must read
 * exactly as documented. */
#include "kit_test.h"

/* Hand-worked times at 100 Mb/s with 1 ms links, 24 bytes of overhead per frame:
 *   ARP (60 bytes):          (60 + 24) * 8 = 672 bits = 6.72 us per link
 *   query (33 bytes of UDP):  75-byte frame, 792 bits = 7.92 us
 *   answer (60 bytes):       102-byte frame, 1008 bits = 10.08 us
 *   echo (56 bytes):          98-byte frame, 976 bits = 9.76 us
 * Two links each way: ARP request and reply take 4 x 1.00672 ms = 4.02688 ms; the query and
 * its answer 2 x 1.00792 + 2 x 1.01008 = 4.036 ms. */
static const char *const udp_script = "# h1 asks h2, through the switch\n"
                                      "0 A>B ARP request\n"
                                      "+0.004026880 B>A ARP reply\n"
                                      "+0 A>B UDP 1025>53 len 33\n"
                                      "+0.004036 B>A UDP 53>1025 len 60\n";

static void test_kit__udp_hand_written(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);

    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, udp_script), 0);
    assert_int_equal(viv_expect_count(ex), 4);
    KIT_ASSERT_MET(ex, rec);
    assert_string_equal(kit_dump(rec), "0.000000000 A>B ARP request\n"
                                       "0.004026880 B>A ARP reply\n"
                                       "0.004026880 A>B UDP 1025>53 len 33\n"
                                       "0.008062880 B>A UDP 53>1025 len 60\n");
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 1), 0);
    assert_int_equal(e.dir, VIV_REC_RX);
    assert_int_equal(e.kind, VIV_REC_ARP);
    assert_string_equal(e.src, "B");
    assert_int_equal(viv_rec_frame(&e, rec, 2), 0);
    assert_int_equal(e.dir, VIV_REC_TX);
    assert_int_equal(e.len, 75);
    assert_int_equal(e.info.dport, 53);
    assert_int_equal(viv_rec_frame(&e, rec, 4), VIV_ERANGE);
    /* The one-call form: the same script, a wrong one, a bad one. */
    char report[2048];
    assert_int_equal(viv_rec_expect(rec, udp_script, report, sizeof report), 0);
    assert_string_equal(report, "");
    assert_int_equal(viv_rec_expect(rec, "A>B ARP request\nB>A ARP request\n", report,
                                    sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "B>A ARP request"));
    assert_int_equal(viv_rec_expect(rec, "A>B ARP bogus\n", report, sizeof report),
                     VIV_EINVAL);
    assert_non_null(strstr(report, "line 1, column"));
}

/* The same times, from the physics helpers and the frame-length helpers instead of by hand. */
static void test_kit__udp_times_from_physics(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);

    viv_time_t arp = kit_h1_h2(&w, viv_wire_arp_frame_len());
    viv_time_t query = kit_h1_h2(&w, viv_wire_udp_frame_len(33));
    viv_time_t answer = kit_h1_h2(&w, viv_wire_udp_frame_len(60));
    assert_int_equal(arp, 2 * (6720 + KIT_DELAY));
    assert_int_equal(viv_link_ser_time(w.l1, VIV_LINK_AB, 75), 7920);
    char text[512], t1[32], t2[32];
    snprintf(text, sizeof text,
             "A>B ARP request\n+%s B>A ARP reply\n+0 A>B UDP 1025>53 len 33\n"
             "+%s B>A UDP 53>1025 len 60\n",
             kit_secs(t1, 2 * arp), kit_secs(t2, query + answer));
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, text), 0);
    char report[2048];
    /* Running until met stops at the event that delivered the answer. */
    assert_int_equal(viv_expect_run(ex, rec, VIV_S(10), report, sizeof report), 0);
    assert_string_equal(report, "");
    assert_int_equal(viv_sim_now(sim), 2 * arp + query + answer);
    assert_int_equal(viv_sim_now(sim), 8062880);
}

/* A deliberate mismatch: the report, exactly as documented. */
static void test_kit__mismatch_report(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);

    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "A>B ARP request\n"
                                          "B>A ARP reply\n"
                                          "A>B UDP 1025>53 len 33   # the query\n"
                                          "+0.004036 B>A UDP 53 len 61\n"),
                     0);
    char report[2048];
    assert_int_equal(viv_expect_check(ex, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 4: +0.004036 B>A UDP 53 len 61\n"
                                "  why: len 60, expected 61\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 3 at 0.004026880\n"
                                "  came instead:\n"
                                "    0.008062880 B>A UDP 53>1025 len 60\n");

    /* The wrong time, with a tolerance. */
    viv_expect_t *ex2;
    assert_int_equal(viv_expect_new(&ex2, sim), 0);
    assert_int_equal(viv_expect_parse(ex2, "allow ARP\nA>B UDP\n+0.004~0.00001 B>A UDP\n"), 0);
    assert_int_equal(viv_expect_check(ex2, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 3: +0.004~0.00001 B>A UDP\n"
                                "  why: time 0.008062880, expected 0.008016880 to 0.008036880\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 2 at 0.004026880\n"
                                "  came instead:\n"
                                "    0.008062880 B>A UDP 53>1025 len 60\n");

    /* A frame that never came, and the first line failing (no previous match). */
    viv_expect_t *ex3;
    assert_int_equal(viv_expect_new(&ex3, sim), 0);
    assert_int_equal(viv_expect_parse(ex3, "A>B UDP\n"), 0);
    assert_int_equal(viv_expect_check(ex3, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 1: A>B UDP\n"
                                "  why: protocol ARP, expected UDP\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: none (recording started at 0.000000000)\n"
                                "  came instead:\n"
                                "    0.000000000 A>B ARP request\n"
                                "    0.004026880 B>A ARP reply\n"
                                "    0.004026880 A>B UDP 1025>53 len 33\n"
                                "    0.008062880 B>A UDP 53>1025 len 60\n");
    viv_expect_free(ex2);
    viv_expect_t *ex4;
    assert_int_equal(viv_expect_new(&ex4, sim), 0);
    assert_int_equal(viv_expect_parse(ex4, "allow ARP\nA>B UDP\nB>A UDP\n<=+2 A>B UDP\n"), 0);
    assert_int_equal(viv_expect_check(ex4, rec, 0, report, sizeof report), VIV_CHECK_PENDING);
    assert_string_equal(report, "expectation pending: line 4: <=+2 A>B UDP\n"
                                "  why: no frame yet\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 3 at 0.008062880\n"
                                "  came instead: nothing\n");
    assert_int_equal(viv_expect_check(ex4, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 4: <=+2 A>B UDP\n"
                                "  why: no frame came by 2.008062880\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 3 at 0.008062880\n"
                                "  came instead: nothing\n");
    /* Running: the window closes at 2.008062880, so the run fails as soon as the clock is
     * past it, well before the deadline. */
    assert_int_equal(viv_expect_run(ex4, rec, VIV_S(5), report, sizeof report), VIV_CHECK_FAILED);
    assert_int_equal(viv_sim_now(sim), VIV_S(5));
    assert_non_null(strstr(report, "  why: no frame came by 2.008062880\n"));
    /* A report cut to a small buffer stays a terminated string. */
    char small[16];
    assert_int_equal(viv_expect_check(ex4, rec, 1, small, sizeof small), VIV_CHECK_FAILED);
    assert_string_equal(small, "expectation not");
    assert_int_equal(viv_expect_check(ex4, rec, 1, NULL, 0), VIV_CHECK_FAILED);
}

/* A run that fails stops at the event that brought the offending frame. */
static void test_kit__run_stops_at_the_mismatch(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "A>B ARP request\nB>A ARP reply\nA>B UDP len 34\n"), 0);
    char report[2048];
    assert_int_equal(viv_expect_run(ex, rec, VIV_S(1), report, sizeof report), VIV_CHECK_FAILED);
    assert_int_equal(viv_sim_now(sim), 4026880);
    assert_string_equal(report, "expectation not met: line 3: A>B UDP len 34\n"
                                "  why: len 33, expected 34\n"
                                "  simulated time: 0.004026880\n"
                                "  previous match: line 2 at 0.004026880\n"
                                "  came instead:\n"
                                "    0.004026880 A>B UDP 1025>53 len 33\n");
}

/* "allow ARP" lets ARP frames come between the frames expected; without it they fail. */
static void test_kit__allow_arp(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "allow ARP\n"
                                          "A>B UDP 1025>53 len 33\n"
                                          "allow nothing\n"
                                          "+0.004036 B>A UDP 53>1025 len 60\n"),
                     0);
    KIT_ASSERT_MET(ex, rec);
    viv_expect_t *strict;
    assert_int_equal(viv_expect_new(&strict, sim), 0);
    assert_int_equal(viv_expect_parse(strict, "A>B UDP 1025>53 len 33\n"), 0);
    char report[2048];
    assert_int_equal(viv_expect_check(strict, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: protocol ARP, expected UDP\n"));
}

/* "nothing else until": a frame before the time fails; none passes once the clock is there. */
static void test_kit__nothing_else_until(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, udp_script), 0);
    assert_int_equal(viv_expect_parse(ex, "nothing else until +1\n"), 0);
    char report[2048];
    /* Met only once the clock has passed 1 s after the answer: the simulation is idle after
     * the answer, so the run goes to its deadline. */
    assert_int_equal(viv_expect_run(ex, rec, VIV_S(3), report, sizeof report), 0);
    assert_int_equal(viv_sim_now(sim), VIV_S(3));

    /* A ping at 3 s breaks "nothing else until +1" after a frame expected at 3 s. */
    viv_rec_clear(rec);
    assert_int_equal(viv_rec_start(rec), VIV_S(3));
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    assert_int_equal(viv_ping_start(NULL, w.h1, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);
    kit_query(&w, 33);
    viv_expect_t *ex2;
    assert_int_equal(viv_expect_new(&ex2, sim), 0);
    assert_int_equal(viv_expect_parse(ex2, "+0 A>B UDP 1025>53 len 33\nnothing else until "
                                           "+0.001\n"),
                     0);
    assert_int_equal(viv_expect_run(ex2, rec, VIV_S(4), report, sizeof report), VIV_CHECK_FAILED);
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 1), 0); /* the echo request: its id is drawn */
    char want[1024];
    snprintf(want, sizeof want,
             "expectation not met: line 2: nothing else until +0.001\n"
             "  why: a frame came at 3.000000000, before 3.001000000\n"
             "  simulated time: 3.000000000\n"
             "  previous match: line 1 at 3.000000000\n"
             "  came instead:\n"
             "    3.000000000 A>B ICMP echo-request id %u seq 1 len 56\n",
             e.icmp_id);
    assert_string_equal(report, want);
}

/* ICMP: a ping's echo and reply, their times from the physics. */
static void test_kit__ping(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_name(rec, "pinger", VIV_IP4(10, 0, 0, 1)), 0);
    assert_int_equal(viv_rec_name(rec, "target", VIV_IP4(10, 0, 0, 2)), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h2, 0)), 0);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 2;
    assert_int_equal(viv_ping_start(NULL, w.h1, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);

    /* At h2: the request arrives two links after it left h1 (after the ARP exchange), the
     * reply leaves at once; the second request comes 1 s after the first left. */
    viv_time_t arp = kit_h1_h2(&w, viv_wire_arp_frame_len());
    viv_time_t echo = kit_h1_h2(&w, viv_wire_icmp_echo_frame_len(56));
    assert_int_equal(viv_wire_icmp_echo_frame_len(56), 98);
    assert_int_equal(echo, 2 * (9760 + KIT_DELAY));
    char text[1024], t1[32], t2[32], t3[32];
    snprintf(text, sizeof text,
             "pinger>target ARP request\n"
             "+0 target>pinger ARP reply\n"
             "%s pinger>target ICMP echo-request seq 1 len 56\n"
             "+0 target>pinger ICMP echo-reply seq 1 len 56\n"
             "%s pinger>target ICMP echo-request seq 2 len 56\n"
             "+0 target>pinger ICMP echo-reply code 0 seq 2 len 56\n"
             "nothing else until %s\n",
             kit_secs(t1, 2 * arp + echo), kit_secs(t2, VIV_S(1) + echo), kit_secs(t3, VIV_S(5)));
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, text), 0);
    char report[2048];
    if (viv_expect_run(ex, rec, VIV_S(6), report, sizeof report) != 0)
        fail_msg("%s\nrecorded:\n%s", report, kit_dump(rec));
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 2), 0);
    assert_string_equal(e.src, "pinger");
    assert_int_equal(e.icmp_seq, 1);
    assert_int_equal(e.info.icmp_type, 8);
    /* By address rather than by name. */
    viv_expect_t *ex2;
    assert_int_equal(viv_expect_new(&ex2, sim), 0);
    assert_int_equal(viv_expect_parse(ex2, "allow ARP\n10.0.0.1>10.0.0.2 ICMP echo-request\n"
                                           "10.0.0.2>* ICMP echo-reply\n"),
                     0);
    KIT_ASSERT_MET(ex2, rec);
}

/* Every decoded line is an expectation that matches its frame: the whole recording, read
 * back as a script, is met. */
static void test_kit__decoded_lines_read_back(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(rec, w.l1, VIV_LINK_BOTH), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h2, 0)), 0);
    kit_query(&w, 33);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    assert_int_equal(viv_ping_start(NULL, w.h1, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);
    kit_query(&w, 500);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    assert_true(viv_rec_count(rec) >= 12);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, kit_dump(rec)), 0);
    assert_int_equal(viv_expect_count(ex), viv_rec_count(rec));
    KIT_ASSERT_MET(ex, rec);
    /* Where each frame was recorded: the link's two directions, then h2's port. */
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 0), 0);
    assert_int_equal(e.dir, VIV_REC_AB);
    assert_int_equal(e.where, 0);
    int seen_ba = 0, seen_rx = 0;
    for (size_t i = 0; i < viv_rec_count(rec); i++) {
        assert_int_equal(viv_rec_frame(&e, rec, i), 0);
        if (e.dir == VIV_REC_BA) {
            seen_ba = 1;
            assert_int_equal(e.where, 1);
        }
        if (e.dir == VIV_REC_RX) {
            seen_rx = 1;
            assert_int_equal(e.where, 2);
        }
    }
    assert_true(seen_ba && seen_rx);
}

/* Recording changes nothing: the same scenario with and without recorders (ports, link
 * directions, traces) has the same fingerprint, event count and clock. */
static int scenario_recorded(viv_sim_t *sim, int run, void *user)
{
    (void)user;
    kit_world w;
    kit_world_make(&w, sim);
    if (run == 1) {
        viv_rec_t *rec, *rec2;
        assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
        assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
        assert_int_equal(viv_rec_attach_link(rec, w.l2, VIV_LINK_BOTH), 0);
        assert_int_equal(viv_rec_trace(rec, NULL, NULL, 0), 0);
        assert_int_equal(viv_rec_new(&rec2, sim, NULL), 0);
        assert_int_equal(viv_rec_attach_link(rec2, w.l1, VIV_LINK_AB), 0);
    }
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000; /* slow: frames wait in the queue (captured from observer events) */
    lp.delay_ns = KIT_DELAY;
    lp.loss = 0.2;
    assert_int_equal(viv_link_set_params(w.l1, VIV_LINK_BOTH, &lp), 0);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    assert_int_equal(viv_ping_start(NULL, w.h1, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(100)), 0);
    for (int i = 0; i < 20; i++) /* a burst: most of it waits in h1's link queue */
        kit_query(&w, 100 + (size_t)i);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(10)), 0);
    return 0;
}

static void test_kit__recording_changes_nothing(void **state)
{
    (void)state;
    viv_test_alloc a[2];
    memset(a, 0, sizeof a);
    viv_repeat_opts o = VIV_REPEAT_OPTS_INIT;
    o.seed = 7;
    o.alloc = viv_test_alloc_fn;
    o.alloc_ud[0] = &a[0];
    o.alloc_ud[1] = &a[1];
    viv_repeat_result res;
    char report[1024];
    int rc = viv_scenario_repeat(&res, scenario_recorded, NULL, &o, report, sizeof report);
    if (rc != 0)
        fail_msg("%s", report);
    assert_true(res.run[0].events > 60);
    assert_int_equal(res.threaded, 0);
    assert_int_equal(a[0].live_bytes, 0);
    assert_int_equal(a[1].live_bytes, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit__udp_hand_written),
        T(test_kit__udp_times_from_physics),
        T(test_kit__mismatch_report),
        T(test_kit__run_stops_at_the_mismatch),
        T(test_kit__allow_arp),
        T(test_kit__nothing_else_until),
        T(test_kit__ping),
        T(test_kit__decoded_lines_read_back),
        T(test_kit__recording_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
