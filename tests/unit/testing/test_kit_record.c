/* Recorders: names, snapshots, bounds, clearing, trace records (one subscription, chained),
 * and freeing in any order; and the drivers: running until a predicate or a frame, a
 * frame waiting in a link's queue, fingerprints, a scenario run twice (in two threads). */
#include "kit_test.h"

static void test_kit_rec__names(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec, *plain;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_name(rec, "server", VIV_IP4(10, 0, 0, 2)), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), VIV_EEXIST);
    assert_string_equal(viv_sim_errmsg(sim), "recorder already attached there");
    viv_rec_opts o = VIV_REC_OPTS_INIT;
    o.no_auto_names = 1;
    o.snaplen = 20;
    assert_int_equal(viv_rec_new(&plain, sim, &o), 0);
    assert_int_equal(viv_rec_attach_port(plain, viv_host_port(w.h2, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    /* An automatic name for the endpoint not named; addresses without automatic names. */
    assert_string_equal(kit_dump(rec), "0.000000000 A>server ARP request\n"
                                       "0.004026880 server>A ARP reply\n"
                                       "0.004026880 A>server UDP 1025>53 len 33\n"
                                       "0.008062880 server>A UDP 53>1025 len 60\n");
    assert_string_equal(kit_dump(plain), "0.002013440 10.0.0.1>10.0.0.2 ARP request\n"
                                         "0.002013440 10.0.0.2>10.0.0.1 ARP reply\n"
                                         "0.006042720 10.0.0.1>10.0.0.2 UDP 1025>53 len 33\n"
                                         "0.006042720 10.0.0.2>10.0.0.1 UDP 53>1025 len 60\n");
    /* A name given later renames the frames already recorded. */
    assert_int_equal(viv_rec_name(rec, "client", VIV_IP4(10, 0, 0, 1)), 0);
    char line[128];
    assert_int_equal(viv_rec_format(rec, 0, line, sizeof line), 37);
    assert_string_equal(line, "0.000000000 client>server ARP request");
    assert_int_equal(viv_rec_format(rec, 4, line, sizeof line), VIV_ERANGE);
    assert_int_equal(viv_rec_name(plain, "h-1_x", VIV_IP4(10, 0, 0, 1)), 0);
    assert_int_equal(viv_rec_format(plain, 0, line, sizeof line), 38);
    assert_string_equal(line, "0.002013440 h-1_x>10.0.0.2 ARP request");
    /* Refused names. */
    assert_int_equal(viv_rec_name(rec, "server", VIV_IP4(10, 0, 0, 3)), VIV_EEXIST);
    assert_string_equal(viv_sim_errmsg(sim), "viv_rec_name: the name server is already "
                                             "10.0.0.2's");
    assert_int_equal(viv_rec_name(rec, "1st", VIV_IP4(10, 0, 0, 3)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(rec, "a b", VIV_IP4(10, 0, 0, 3)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(rec, "", VIV_IP4(10, 0, 0, 3)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(rec, "abcdefghijabcdefghijabcdefghijab", 3), VIV_EINVAL);
    assert_int_equal(viv_rec_name(rec, "udp", VIV_IP4(10, 0, 0, 3)), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_rec_name: \"udp\" is a keyword");
    assert_int_equal(viv_rec_name(rec, NULL, 3), VIV_EINVAL);
    assert_int_equal(viv_rec_name(NULL, "x", 3), VIV_EINVAL);
    /* The snapshot keeps 20 bytes; the decoding saw the whole frame. */
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, plain, 2), 0);
    assert_int_equal(e.caplen, 20);
    assert_int_equal(e.len, 75);
    assert_int_equal(e.info.payload_len, 33);
    assert_int_equal(e.bytes[12], 0x08);
    assert_int_equal(viv_rec_frame(&e, rec, 2), 0);
    assert_int_equal(e.caplen, 75);
    assert_string_equal(e.src, "client");
}

/* Frames that are neither ARP nor IPv4 have MAC endpoints. */
static void test_kit_rec__mac_endpoints(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_device_t *a, *b;
    assert_int_equal(viv_device_new(&a, sim, 1, NULL), 0);
    assert_int_equal(viv_device_new(&b, sim, 1, NULL), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_device_port(a, 0), viv_device_port(b, 0), NULL), 0);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    viv_mac_t ma = {{0x02, 0, 0, 0, 0, 1}}, mb = {{0x02, 0, 0, 0, 0, 2}};
    assert_int_equal(viv_rec_name_mac(rec, "bridge", &mb), 0);
    assert_int_equal(viv_rec_attach_link(rec, l, VIV_LINK_BOTH), 0);
    assert_int_equal(viv_rec_attach_link(rec, l, VIV_LINK_BA), VIV_EEXIST);
    uint8_t f[64];
    viv_wire_eth eth = {mb, ma, 0x88b5, 0};
    int n = viv_wire_eth_frame(f, sizeof f, &eth, (const uint8_t *)"x", 1);
    assert_int_equal(viv_device_send(a, 0, f, (size_t)n), 0);
    eth = (viv_wire_eth){ma, mb, 0x88b6, 1};
    n = viv_wire_eth_frame(f, sizeof f, &eth, NULL, 4);
    assert_int_equal(viv_device_send(b, 0, f, (size_t)n), 0);
    assert_int_equal(viv_device_send_raw(a, 0, f, 5), 0); /* a runt */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_string_equal(kit_dump(rec), "0.000000000 A>bridge ETH type 0x88b5 len 60\n"
                                       "0.000000000 bridge>A ETH type 0x88b6 len 18\n"
                                       "0.000000672 B>B ETH type 0x0000 len 5\n");
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 1), 0);
    assert_int_equal(e.dir, VIV_REC_BA);
    assert_int_equal(e.where, 1);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, kit_dump(rec)), 0);
    assert_int_equal(viv_expect_parse(ex, "nothing else until 1"), 0);
    KIT_ASSERT_MET(ex, rec);
}

/* A bounded recorder counts what it could not keep, and a check that reaches it says so;
 * clearing starts over from now. */
static void test_kit_rec__bounds_and_clear(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    viv_rec_opts o = VIV_REC_OPTS_INIT;
    o.max_frames = 3;
    assert_int_equal(viv_rec_new(&rec, sim, &o), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(viv_rec_count(rec), 3);
    assert_int_equal(viv_rec_overflow(rec), 1);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "ARP\nARP\nUDP\nUDP\n"), 0);
    char report[1024];
    assert_int_equal(viv_expect_check(ex, rec, 0, report, sizeof report), VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 4: UDP\n"
                                "  why: the recorder is full: 1 frames were not kept\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 3 at 0.004026880\n"
                                "  came instead: nothing\n");
    viv_rec_clear(rec);
    assert_int_equal(viv_rec_count(rec), 0);
    assert_int_equal(viv_rec_overflow(rec), 0);
    assert_int_equal(viv_rec_start(rec), VIV_S(1));
    kit_query(&w, 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    viv_expect_t *ex2;
    assert_int_equal(viv_expect_new(&ex2, sim), 0);
    assert_int_equal(viv_expect_parse(ex2, "+0 A>B UDP len 10\n+0.0040336 B>A UDP len 60"), 0);
    KIT_ASSERT_MET(ex2, rec);
    viv_rec_clear(NULL);
    assert_int_equal(viv_rec_count(NULL), 0);
    viv_rec_opts big = VIV_REC_OPTS_INIT;
    big.snaplen = 131073;
    viv_rec_t *r2 = NULL;
    assert_int_equal(viv_rec_new(&r2, sim, &big), VIV_EINVAL);
    assert_null(r2);
    assert_int_equal(viv_rec_new(NULL, sim, NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_new(&r2, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_attach_port(rec, NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_attach_link(rec, w.l1, (viv_link_dir)7), VIV_EINVAL);
}

/* A program's own subscriber keeps receiving every record while recorders take the
 * subscription and pass records on; recorders freed in any order hand it back. */
typedef struct counter {
    int n;
} counter;
static void count_cb(const viv_trace_record *r, void *user)
{
    (void)r;
    ((counter *)user)->n++;
}

static void test_kit_rec__traces(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    static counter c; /* static: a failing assertion must not leave it dangling */
    c.n = 0;
    assert_int_equal(viv_sim_trace(sim, count_cb, &c), 0);
    viv_rec_t *drops, *all;
    assert_int_equal(viv_rec_new(&drops, sim, NULL), 0);
    assert_int_equal(viv_rec_trace(drops, viv_host_node(w.h2), NULL, 1u << VIV_TRACE_FRAME_DROP),
                     0);
    assert_int_equal(viv_rec_trace(drops, NULL, NULL, 0), VIV_EBUSY);
    assert_int_equal(viv_rec_new(&all, sim, NULL), 0);
    assert_int_equal(viv_rec_trace(all, NULL, NULL, 0), 0);
    /* h2 is off: the ARP request for it is dropped there. */
    assert_int_equal(viv_node_set_up(viv_host_node(w.h2), 0), 0);
    uint8_t q[10] = {0};
    viv_sockaddr_t to = {VIV_IP4(10, 0, 0, 2), 54};
    assert_int_equal(viv_udp_sendto(w.cli, q, sizeof q, &to), 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_true(c.n > 3);
    assert_int_equal((size_t)c.n, viv_rec_trace_count(all));
    assert_int_equal(viv_rec_trace_count(drops), 1);
    viv_trace_record t;
    assert_int_equal(viv_rec_trace_get(&t, drops, 0), 0);
    assert_int_equal(t.kind, VIV_TRACE_FRAME_DROP);
    assert_int_equal(t.reason, VIV_DROP_NODE_DOWN);
    assert_int_equal(t.frame_len, 60);
    assert_ptr_equal(t.node, viv_host_node(w.h2));
    assert_non_null(t.frame);
    assert_int_equal(viv_rec_trace_get(&t, drops, 1), VIV_ERANGE);
    /* Free the recorder in the middle of the chain, then the first; the program's subscriber
     * goes on receiving every record. */
    viv_rec_free(drops);
    int before = c.n;
    assert_int_equal(viv_udp_sendto(w.cli, q, sizeof q, &to), 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    assert_int_equal((size_t)c.n, viv_rec_trace_count(all));
    assert_true(c.n > before);
    viv_rec_free(all);
    before = c.n;
    assert_int_equal(viv_udp_sendto(w.cli, q, sizeof q, &to), 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(3)), 0);
    assert_true(c.n > before);
    /* A later subscription replaces the chain: the recorder records no more. */
    viv_rec_t *r3;
    assert_int_equal(viv_rec_new(&r3, sim, NULL), 0);
    assert_int_equal(viv_rec_trace(r3, NULL, NULL, 0), 0);
    assert_int_equal(viv_sim_trace(sim, count_cb, &c), 0);
    assert_int_equal(viv_udp_sendto(w.cli, q, sizeof q, &to), 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(4)), 0);
    assert_int_equal(viv_rec_trace_count(r3), 0);
    viv_rec_free(r3); /* leaves the program's subscription alone */
    before = c.n;
    assert_int_equal(viv_udp_sendto(w.cli, q, sizeof q, &to), 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(5)), 0);
    assert_true(c.n > before);
}

/* Recorders outliving what they record, and the other way round. */
static void test_kit_rec__free_orders(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *r1, *r2;
    assert_int_equal(viv_rec_new(&r1, sim, NULL), 0);
    assert_int_equal(viv_rec_new(&r2, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(r1, viv_host_port(w.h1, 0)), 0);
    assert_int_equal(viv_rec_attach_link(r1, w.l2, VIV_LINK_BOTH), 0);
    assert_int_equal(viv_rec_attach_port(r2, viv_switch_port(w.sw, 1)), 0);
    assert_int_equal(viv_rec_trace(r1, NULL, NULL, 0), 0);
    assert_int_equal(viv_rec_trace(r2, NULL, NULL, 0), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(5)), 0);
    viv_host_free(w.h2); /* takes link l2 and its taps with it */
    viv_host_free(w.h1);
    size_t n = viv_rec_count(r1);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(viv_rec_count(r1), n);
    viv_rec_free(r1);
    viv_rec_free(NULL);
    /* r2 is left for viv_sim_free, with its tap and its subscription. */
}

/* ---- running until ------------------------------------------------------------------------ */

static int answered(viv_sim_t *sim, void *user)
{
    (void)sim;
    return ((kit_world *)user)->answered > 0;
}

static int never(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
    return 0;
}

static void call_run_until(viv_sim_t *sim, void *user)
{
    *(int *)user = viv_run_until(sim, VIV_S(9), never, NULL);
}

static void test_kit_run__until(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    kit_query(&w, 33);
    /* The server answers when the query arrives: 4.02688 ms of ARP and 2.01584 ms of query. */
    assert_int_equal(viv_run_until(sim, VIV_S(1), answered, &w), 1);
    assert_int_equal(viv_sim_now(sim), 6042720);
    assert_int_equal(viv_run_until(sim, VIV_S(1), answered, &w), 1); /* holds: no event */
    assert_int_equal(viv_sim_now(sim), 6042720);
    assert_int_equal(viv_run_until(sim, VIV_S(1), never, NULL), 0);
    assert_int_equal(viv_sim_now(sim), VIV_S(1));
    uint64_t events = viv_sim_events(sim);
    assert_int_equal(viv_run_until(sim, VIV_TIME_NEVER, never, NULL), 0);
    assert_int_equal(viv_sim_now(sim), VIV_S(1)); /* nothing was left to run */
    assert_int_equal(viv_sim_events(sim), events);
    assert_int_equal(viv_run_until(sim, VIV_MS(5), never, NULL), VIV_EINVAL);
    assert_int_equal(viv_run_until(sim, VIV_S(2), NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_run_until(NULL, VIV_S(2), never, NULL), VIV_EINVAL);
    int inner = 0;
    assert_int_equal(viv_sim_schedule_after(NULL, sim, 0, call_run_until, &inner), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(inner, VIV_ESTATE);
}

/* A socket callback raised outside a run (a new socket's WRITABLE) that stops the run: the
 * kit's drivers step, and a step pays no heed to a stop, so viv_run_until still runs to its
 * deadline. It used to leave that callback to its closing viv_sim_run_until when no event
 * was due, whose stop left the clock at 0 and the answer "the deadline passed" (the API
 * fuzzer's finding q). */
typedef struct stopper {
    viv_sim_t *sim;
    int calls;
} stopper;

static void stop_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    (void)s;
    (void)ev;
    stopper *k = user;
    k->calls++;
    viv_sim_stop(k->sim);
}

static void test_kit_run__until_a_callback_stops(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    stopper k = {sim, 0};
    viv_udp_t *u;
    assert_int_equal(viv_udp_new(&u, h, NULL, stop_cb, &k), 0);
    assert_int_equal(viv_run_until(sim, VIV_S(1), never, NULL), 0);
    assert_int_equal(k.calls, 1);
    assert_int_equal(viv_sim_now(sim), VIV_S(1));
    viv_udp_free(u);
}

/* Waiting for a frame, and a frame that waits in a link's queue: it is recorded when its
 * transmission starts (an observer's event), and running until it stops there without
 * running the first frame's arrival, which is later. */
static void test_kit_run__wait_and_queued_frames(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_device_t *a, *b;
    assert_int_equal(viv_device_new(&a, sim, 1, NULL), 0);
    assert_int_equal(viv_device_new(&b, sim, 1, NULL), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000;
    lp.delay_ns = VIV_MS(10);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_device_port(a, 0), viv_device_port(b, 0), &lp), 0);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(rec, l, VIV_LINK_AB), 0);
    uint8_t f[100] = {0};
    viv_wire_eth eth = {{{2, 0, 0, 0, 0, 2}}, {{2, 0, 0, 0, 0, 1}}, 0x88b5, 0};
    assert_int_equal(viv_wire_eth_frame(f, sizeof f, &eth, NULL, 86), 100);
    assert_int_equal(viv_device_send(a, 0, f, sizeof f), 0);
    assert_int_equal(viv_device_send(a, 0, f, sizeof f), 0);
    assert_int_equal(viv_rec_count(rec), 1);
    size_t idx = 99;
    assert_int_equal(viv_rec_wait_text(rec, "A>B ETH len 100", VIV_MS(5), &idx), 1);
    assert_int_equal(idx, 1);
    assert_int_equal(viv_sim_now(sim), viv_link_ser_time(l, VIV_LINK_AB, 100));
    assert_int_equal(viv_sim_now(sim), 992000);
    assert_int_equal(viv_sim_events(sim), 0);
    /* Nothing more on that direction: the deadline passes, before the first arrival. */
    assert_int_equal(viv_rec_wait_text(rec, "ETH", VIV_MS(5), &idx), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(5));
    assert_int_equal(viv_sim_events(sim), 0);
    viv_pattern p;
    viv_pattern_init(&p);
    p.proto = VIV_PROTO_ETH;
    p.when = VIV_WHEN_BY;
    p.time_rel = 1;
    p.time_ns = VIV_MS(1);
    assert_int_equal(viv_device_send(a, 0, f, sizeof f), 0); /* recorded at once */
    assert_int_equal(viv_rec_wait(rec, &p, VIV_S(1), &idx), 0);
    assert_int_equal(viv_sim_now(sim), VIV_S(1));
    assert_int_equal(viv_rec_wait_text(rec, "A>B ETH len", VIV_S(2), &idx), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_rec_wait_text: column 12: expected a number "
                                             "after \"len\"");
    assert_int_equal(viv_rec_wait_text(rec, "allow ARP", VIV_S(2), &idx), VIV_EINVAL);
    assert_int_equal(viv_rec_wait_text(rec, "ETH\nETH", VIV_S(2), &idx), VIV_EINVAL);
    assert_int_equal(viv_rec_wait_text(rec, "nothing else until 3", VIV_S(2), &idx), VIV_EINVAL);
}

/* ---- fingerprints ------------------------------------------------------------------------- */

static int scenario(viv_sim_t *sim, int run, void *user)
{
    int *vary = user;
    kit_world w;
    kit_world_make(&w, sim);
    viv_link_set_loss(w.l1, VIV_LINK_BOTH, 0.3);
    for (int i = 0; i < 10; i++)
        kit_query(&w, 40);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    if (vary && *vary == 1 && run == 1)
        kit_query(&w, 41);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(5)), 0);
    return vary && *vary == 2 ? 1 : 0;
}

static void test_kit_run__fingerprints(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    uint64_t fp = viv_sim_fingerprint(sim);
    assert_int_equal(viv_fingerprint_check(sim, fp, NULL, 0), 0);
    char report[512], want[512];
    assert_int_equal(viv_fingerprint_check(sim, 1, report, sizeof report), VIV_CHECK_FAILED);
    snprintf(want, sizeof want,
             "fingerprint 0x%016llx, expected 0x0000000000000001 (simulated time 1.000000000, "
             "%llu events)",
             (unsigned long long)fp, (unsigned long long)viv_sim_events(sim));
    assert_string_equal(report, want);
    assert_int_equal(viv_fingerprint_check(NULL, 1, NULL, 0), VIV_EINVAL);

    /* Twice, one after the other and in two threads, each with its own counting allocator. */
    viv_test_alloc al[2];
    memset(al, 0, sizeof al);
    viv_repeat_opts o = VIV_REPEAT_OPTS_INIT;
    o.seed = 42;
    o.alloc = viv_test_alloc_fn;
    o.alloc_ud[0] = &al[0];
    o.alloc_ud[1] = &al[1];
    viv_repeat_result res;
    int vary = 0;
    assert_int_equal(viv_scenario_repeat(&res, scenario, &vary, &o, report, sizeof report), 0);
    assert_int_equal(res.threaded, 0);
    assert_int_equal(res.run[0].fingerprint, res.run[1].fingerprint);
    assert_true(res.run[0].events > 5);
    assert_int_equal(res.run[0].now, VIV_S(5));
    o.threads = 1;
    viv_repeat_result res2;
    assert_int_equal(viv_scenario_repeat(&res2, scenario, &vary, &o, report, sizeof report), 0);
    assert_int_equal(res2.run[1].fingerprint, res.run[0].fingerprint);
#if defined(__linux__)
    assert_int_equal(res2.threaded, 1); /* glibc has threads built in */
#endif
    assert_int_equal(al[0].live_bytes, 0);
    assert_int_equal(al[1].live_bytes, 0);

    /* A run that differs, and one that returns an error. */
    vary = 1;
    assert_int_equal(viv_scenario_repeat(&res, scenario, &vary, &o, report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_int_not_equal(res.run[0].fingerprint, res.run[1].fingerprint);
    char line0[160], line1[160];
    snprintf(line0, sizeof line0,
             "  run 0: returned 0, fingerprint 0x%016llx, %llu events, clock 5.000000000\n",
             (unsigned long long)res.run[0].fingerprint, (unsigned long long)res.run[0].events);
    snprintf(line1, sizeof line1,
             "  run 1: returned 0, fingerprint 0x%016llx, %llu events, clock 5.000000000\n",
             (unsigned long long)res.run[1].fingerprint, (unsigned long long)res.run[1].events);
    snprintf(want, sizeof want, "the two runs differ (%s)\n%s%s",
             res.threaded ? "in two threads" : "one after the other", line0, line1);
    assert_string_equal(report, want);
    vary = 2;
    o.threads = 0;
    assert_int_equal(viv_scenario_repeat(&res, scenario, &vary, &o, report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "the scenario returned an error (one after the other)\n"));
    assert_int_equal(viv_scenario_repeat(NULL, scenario, NULL, NULL, NULL, 0), 0);
    assert_int_equal(viv_scenario_repeat(NULL, NULL, NULL, NULL, NULL, 0), VIV_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit_rec__names),
        T(test_kit_rec__mac_endpoints),
        T(test_kit_rec__bounds_and_clear),
        T(test_kit_rec__traces),
        T(test_kit_rec__free_orders),
        T(test_kit_run__until),
        T(test_kit_run__until_a_callback_stops),
        T(test_kit_run__wait_and_queued_frames),
        T(test_kit_run__fingerprints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
