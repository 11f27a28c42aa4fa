/* Congestion control and the retransmission timer: slow start's exact growth per round trip
 * (RFC 5681 3.1), no growth for an application-limited sender (RFC 7661), the restart window
 * after an idle period (RFC 5681 4.1), the RTO estimator against hand-computed values and
 * its backoff doubling (RFC 6298), the algorithm chosen per socket and changed on a live
 * connection (vivarium/tcp_cc.h), and the checks on options and tunables. */
#include "tcp_test.h"

#include "l4/tcp_int.h" /* viv__tcp_newreno_ack and the algorithm's view */

#define MSS 1460u

/* Slow start with an ACK for every segment (quickack at the receiver): cwnd doubles each
 * round trip, 10 -> 20 -> 40 -> 80 -> 160 segments, and the window is full each time. The
 * link is 1 Gb/s with 1 ms each way: a round trip is about 2.02 ms, a full segment 12.3 us
 * on the wire, so round k's ACKs (10 * 2^k of them) are all back 0.2 ms to 1 ms before round
 * k + 1's first: the samples below fall in those gaps. */
static void test_tcp_cc__slow_start_doubles_per_rtt(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts co = VIV_TCP_OPTS_INIT, so = VIV_TCP_OPTS_INIT;
    co.window_scaling = so.window_scaling = 1;
    co.sndbuf_bytes = 4u << 20;
    so.rcvbuf_bytes = 4u << 20;
    so.quickack = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &co, &so, &cli, &child, NULL);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.cwnd, 10 * MSS); /* the initial window, tunables' 10 */
    assert_int_equal(ci.ssthresh, UINT32_MAX);
    assert_string_equal(ci.cc, "newreno");
    static uint8_t data[1u << 20];
    tt_pattern(data, sizeof data, 31);
    child->drain = 0; /* the data stays in the 4 MiB buffer: checked at the end */
    cli->tx = data;
    cli->ntx = sizeof data;
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_pump(cli);
    static const viv_time_t at[] = {VIV_US(3500), VIV_US(5500), VIV_US(7500), VIV_US(9700)};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(viv_sim_run_until(w.sim, t0 + at[k]), 0);
        assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
        assert_int_equal(ci.cwnd, (10u << (k + 1)) * MSS);
        assert_int_equal(ci.snd_nxt - ci.snd_una, ci.cwnd);
        assert_int_equal(ci.ssthresh, UINT32_MAX);
    }
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(viv_tcp_info_get(&ci, child->s), 0);
    assert_int_equal(ci.recv_q, sizeof data); /* all of it (later rounds overflow the
                                                 sender's 100-frame link queue: recovered) */
    tt_world_free(&w);
}

/* RFC 7661: a sender that never fills half its window does not grow it. */
static void test_tcp_cc__application_limited_does_not_grow(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.nodelay = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &o, NULL, &cli, &child, NULL);
    char buf[1000];
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(viv_tcp_send(cli->s, buf, sizeof buf), (int)sizeof buf);
        assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(10)), 0);
    }
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.bytes_acked, 20000);
    assert_int_equal(ci.cwnd, 10 * MSS);
    assert_int_equal(child->nrx, 20000);
    tt_world_free(&w);
}

/* The restart window (RFC 5681 4.1): after a bulk transfer grew cwnd, an idle period longer
 * than the RTO cuts it to the initial window when sending resumes (traced). */
static uint32_t idle_restarts;

static void count_cc(const viv_trace_record *r, void *user)
{
    tt_trace(r, user);
    if (r->kind == VIV_TRACE_TCP_CC && r->cc_event == VIV_TRACE_CC_IDLE_RESTART)
        idle_restarts++;
}

static void test_tcp_cc__idle_restart_window(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    idle_restarts = 0;
    assert_int_equal(viv_sim_trace(w.sim, count_cc, &w), 0);
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.quickack = 1;
    tt_sock *cli, *child;
    tt_establish(&w, NULL, &so, &cli, &child, NULL);
    static uint8_t data[60000];
    tt_pattern(data, sizeof data, 32);
    assert_int_equal(viv_tcp_send(cli->s, data, sizeof data), (int)sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_true(ci.cwnd > 10 * MSS);
    assert_int_equal(idle_restarts, 0);
    /* Idle for a second (RTO 200 ms), then one byte. */
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), 1);
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.cwnd, 10 * MSS);
    assert_int_equal(idle_restarts, 1);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(child->nrx, sizeof data + 1);
    tt_world_free(&w);
}

/* The estimator (RFC 6298 2.2, 2.3) with a 1 ms minimum so that the formula shows: the
 * handshake's sample R0 gives SRTT = R0, RTTVAR = R0 / 2, RTO = SRTT + 4 RTTVAR; a data
 * segment of 1000 bytes (acknowledged at once: quickack) gives R1, then SRTT = (7 SRTT + R1) / 8,
 * RTTVAR = (3 RTTVAR + |SRTT - R1|) / 4. Then the peer is cut off: each timeout doubles the
 * RTO (5.5), and the retransmissions leave RTO, 2 RTO, 4 RTO, 8 RTO apart. */
static void test_tcp_cc__rto_estimator_and_backoff(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, w.sim), 0);
    t.rto_min_ns = VIV_MS(1);
    assert_int_equal(viv_sim_set_tcp_tunables(w.sim, &t), 0);
    size_t first = w.nseg;
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.quickack = 1;
    tt_sock *cli, *child;
    tt_establish(&w, NULL, &so, &cli, &child, NULL);
    /* R0: the SYN out, the SYN-ACK back (58-byte frames with the MSS option). */
    viv_time_t r0 = w.seg[first + 1].t + tt_hop(tt_frame(0, 4)) - w.seg[first].t;
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.srtt_ns, r0);
    assert_int_equal(ci.rttvar_ns, r0 / 2);
    assert_int_equal(ci.rto_ns, r0 + 4 * (r0 / 2));
    /* R1: 1000 bytes out, the ACK back at once. */
    size_t i = w.nseg;
    static uint8_t kb[1000];
    assert_int_equal(viv_tcp_send(cli->s, kb, sizeof kb), (int)sizeof kb);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(w.nseg, i + 2);
    viv_time_t r1 = w.seg[i + 1].t + tt_hop(tt_frame(0, 0)) - w.seg[i].t;
    assert_int_equal(r1, tt_hop(tt_frame(1000, 0)) + tt_hop(tt_frame(0, 0)));
    viv_time_t srtt = (7 * r0 + r1) / 8;
    viv_time_t var = (3 * (r0 / 2) + (r1 - r0)) / 4;
    viv_time_t rto = srtt + 4 * var;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.srtt_ns, srtt);
    assert_int_equal(ci.rttvar_ns, var);
    assert_int_equal(ci.rto_ns, rto);
    assert_int_equal(ci.min_rtt_ns, r0);
    /* The peer goes away; four timeouts. */
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_BOTH, 0), 0);
    i = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    assert_int_equal(viv_tcp_send(cli->s, "efgh", 4), 4);
    assert_int_equal(viv_sim_run_until(w.sim, t1 + 15 * rto + rto / 2), 0);
    assert_int_equal(w.nseg, i + 5);
    assert_int_equal(w.seg[i].t, t1);
    for (int k = 1; k <= 4; k++)
        assert_int_equal(w.seg[i + (size_t)k].t - w.seg[i + (size_t)k - 1].t, rto << (k - 1));
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.rto_ns, rto << 4);
    assert_int_equal(ci.backoff, 4);
    assert_int_equal(ci.timeouts, 4);
    assert_int_equal(ci.cwnd, MSS);          /* the loss window */
    assert_int_equal(ci.ssthresh, 2 * MSS); /* max(FlightSize / 2, 2 SMSS), set once */
    assert_int_equal(ci.in_recovery, 2);
    tt_world_free(&w);
}

/* An algorithm of our own: counts its calls and keeps a counter in its private state. */
typedef struct calls {
    int init, on_ack, ssthresh, ev[5];
} calls;
static calls mine_calls, other_calls;

static void mine_init(viv_tcp_cc_conn *c)
{
    mine_calls.init++;
    assert_non_null(c->priv);
    assert_int_equal(*(uint32_t *)c->priv, 0);
    assert_int_equal(c->ssthresh, UINT32_MAX);
    assert_int_equal(c->cwnd, 10 * MSS);
}
static void mine_on_ack(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt)
{
    (void)rtt;
    mine_calls.on_ack++;
    (*(uint32_t *)c->priv) += acked;
    c->cwnd += c->mss; /* grows whatever happens */
}
static uint32_t mine_ssthresh(viv_tcp_cc_conn *c)
{
    mine_calls.ssthresh++;
    return c->cwnd / 4;
}
static void mine_event(viv_tcp_cc_conn *c, viv_tcp_cc_event ev)
{
    (void)c;
    mine_calls.ev[ev]++;
}
static const viv_tcp_cc mine = {"mine", 16, mine_init, mine_on_ack, mine_ssthresh, mine_event};

static void other_init(viv_tcp_cc_conn *c)
{
    other_calls.init++;
    assert_int_equal(*(uint32_t *)c->priv, 0); /* zeroed again on a change */
}
static void other_on_ack(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt)
{
    (void)c, (void)acked, (void)rtt;
    other_calls.on_ack++;
}
static const viv_tcp_cc other = {"other", 8, other_init, other_on_ack, mine_ssthresh, NULL};

/* The host's algorithm (tunables) serves sockets that choose none; a socket's own choice
 * wins; changing it on a live connection starts the new algorithm afresh (init again, its
 * private state zeroed). */
static void test_tcp_cc__per_socket_choice_and_live_change(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    memset(&mine_calls, 0, sizeof mine_calls);
    memset(&other_calls, 0, sizeof other_calls);
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    t.cc = &mine;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    assert_int_equal(mine_calls.init, 1);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_string_equal(ci.cc, "mine");
    assert_int_equal(viv_tcp_info_get(&ci, child->s), 0);
    assert_string_equal(ci.cc, "newreno"); /* host b keeps the world's (tcp_test.h) */
    static uint8_t data[30000];
    tt_pattern(data, sizeof data, 33);
    cli->tx = data;
    cli->ntx = sizeof data;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(200)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_true(mine_calls.on_ack > 0);
    assert_int_equal(mine_calls.ssthresh, 0);
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.cwnd, 10 * MSS + (uint32_t)mine_calls.on_ack * MSS);
    /* Changed live. */
    viv_tcp_opts o;
    assert_int_equal(viv_tcp_opts_get(&o, cli->s), 0);
    o.cc = &other;
    assert_int_equal(viv_tcp_set_opts(cli->s, &o), 0);
    assert_int_equal(other_calls.init, 1);
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_string_equal(ci.cc, "other");
    cli->sent = 0;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(200)), 0);
    assert_int_equal(child->nrx, 2 * sizeof data);
    assert_true(other_calls.on_ack > 0);
    /* Setting the same one again changes nothing. */
    assert_int_equal(viv_tcp_set_opts(cli->s, &o), 0);
    assert_int_equal(other_calls.init, 1);
    /* An algorithm without its required hooks is refused. */
    static const viv_tcp_cc broken = {"broken", 0, NULL, NULL, mine_ssthresh, NULL};
    o.cc = &broken;
    assert_int_equal(viv_tcp_set_opts(cli->s, &o), VIV_EINVAL);
    tt_world_free(&w);
}

/* The hooks at a loss: segment 2 of 20 is lost (the client's ISS is 0, so it starts at 1 +
 * 2 * 1460). At the third duplicate ACK the algorithm's ssthresh() is asked once, with
 * FlightSize (13 segments: see test_tcp_recovery.c) and the cwnd before the loss; TCP
 * keeps its answer (raised to two segments when lower), sets cwnd = ssthresh + 3 SMSS, and
 * tells the algorithm RECOVERY_ENTER, then RECOVERY_EXIT with cwnd = ssthresh. */
static uint32_t loss_in_flight, loss_cwnd;
static int loss_events[5];

static uint32_t quarter_ssthresh(viv_tcp_cc_conn *c)
{
    loss_in_flight = c->in_flight;
    loss_cwnd = c->cwnd;
    return c->cwnd / 4;
}
static void count_event(viv_tcp_cc_conn *c, viv_tcp_cc_event ev)
{
    loss_events[ev]++;
    if (ev == VIV_TCP_CC_EV_RECOVERY_EXIT)
        assert_int_equal(c->cwnd, c->ssthresh);
}
static void reno_on_ack(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt)
{
    viv_tcp_cc_newreno.on_ack(c, acked, rtt);
}
static const viv_tcp_cc quarter = {"quarter", 0, NULL, reno_on_ack, quarter_ssthresh,
                                   count_event};

static viv_verdict drop_seg2_once(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                  size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                                  void *user)
{
    int *done = user;
    (void)link, (void)dir, (void)frame, (void)len, (void)delay_ns;
    if (!*done && info->payload_len && info->tcp_seq == 1 + 2 * MSS) {
        *done = 1;
        return VIV_VERDICT_DROP;
    }
    return VIV_VERDICT_DELIVER;
}

static void test_tcp_cc__algorithm_hooks_at_a_loss(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    memset(loss_events, 0, sizeof loss_events);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.fixed_isn = 1;
    o.isn = 0;
    o.cc = &quarter;
    tt_sock *cli, *child;
    tt_establish(&w, &o, NULL, &cli, &child, NULL);
    int done = 0;
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_seg2_once, &done), 0);
    static uint8_t data[20 * MSS];
    tt_pattern(data, sizeof data, 34);
    cli->tx = data;
    cli->ntx = sizeof data;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(child->nrx, sizeof data);
    /* 13 segments in flight, the last two sent by limited transmit: RFC 5681 3.2 step 2
     * keeps those out of the FlightSize the algorithm sees (13 before test_tcp_audit_cc). */
    assert_int_equal(loss_in_flight, 11 * MSS);
    assert_int_equal(loss_cwnd, 11 * MSS); /* grown once, by the ACK of segments 0-1 */
    assert_int_equal(loss_events[VIV_TCP_CC_EV_RECOVERY_ENTER], 1);
    assert_int_equal(loss_events[VIV_TCP_CC_EV_RECOVERY_EXIT], 1);
    assert_int_equal(loss_events[VIV_TCP_CC_EV_TIMEOUT], 0);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.ssthresh, 11 * MSS / 4);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_string_equal(ci.cc, "quarter");
    tt_world_free(&w);
}

/* Options and tunables outside their ranges are refused. */
static void test_tcp_cc__bad_options_and_tunables(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    viv_tcp_t *s = NULL;
    o.sack = 2;
    assert_int_equal(viv_tcp_new(&s, w.a, &o, NULL, NULL), VIV_EINVAL);
    o.sack = 0;
    o.timestamps = -2;
    assert_int_equal(viv_tcp_new(&s, w.a, &o, NULL, NULL), VIV_EINVAL);
    o.timestamps = 0;
    o.window_scaling = 5;
    assert_int_equal(viv_tcp_new(&s, w.a, &o, NULL, NULL), VIV_EINVAL);
    o.window_scaling = -1;
    o.rcvbuf_bytes = 1u << 30; /* clamped to 16 MiB */
    assert_int_equal(viv_tcp_new(&s, w.a, &o, NULL, NULL), 0);
    viv_tcp_opts got;
    assert_int_equal(viv_tcp_opts_get(&got, s), 0);
    assert_int_equal(got.rcvbuf_bytes, 16u << 20);
    viv_tcp_close(s);
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, w.sim), 0);
    viv_tcp_tunables bad = t;
    bad.delack_ns = VIV_MS(501); /* RFC 9293 3.8.6.3: never over 500 ms */
    assert_int_equal(viv_sim_set_tcp_tunables(w.sim, &bad), VIV_EINVAL);
    bad = t;
    bad.delack_ns = VIV_MS(500);
    assert_int_equal(viv_sim_set_tcp_tunables(w.sim, &bad), 0);
    bad = t;
    bad.sack = 2;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &bad), VIV_EINVAL);
    bad = t;
    bad.timestamps = -1;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &bad), VIV_EINVAL);
    /* vivarium's defaults: SACK, timestamps and window scaling on, CUBIC (as Linux), initial
     * window 10. */
    assert_int_equal(viv_sim_set_tcp_tunables(w.sim, NULL), 0);
    assert_int_equal(viv_sim_tcp_tunables_get(&t, w.sim), 0);
    assert_int_equal(t.sack, 1);
    assert_int_equal(t.timestamps, 1);
    assert_int_equal(t.window_scaling, 1);
    assert_ptr_equal(t.cc, &viv_tcp_cc_cubic);
    assert_int_equal(t.initial_window, 10);
    tt_world_free(&w);
}

/* ---- two flows through one bottleneck ------------------------------------------------ */

static uint64_t fair_rx[2];
static int fair_idx[2] = {0, 1};
static int fair_accepted;
static uint8_t fair_buf[65536];

static void fair_sender(viv_tcp_t *s, uint32_t ev, void *user)
{
    (void)user;
    if (ev & (VIV_EV_CONNECTED | VIV_EV_WRITABLE))
        while (viv_tcp_send(s, fair_buf, sizeof fair_buf) > 0) {
        }
}

static void fair_reader(viv_tcp_t *s, uint32_t ev, void *user)
{
    int *i = user;
    if (ev & VIV_EV_READABLE)
        for (int n; (n = viv_tcp_recv(s, fair_buf, sizeof fair_buf)) > 0;)
            fair_rx[*i] += (uint64_t)n;
}

static void fair_listener(viv_tcp_t *l, uint32_t ev, void *user)
{
    (void)user;
    viv_tcp_t *c;
    while ((ev & VIV_EV_ACCEPTABLE) && fair_accepted < 2 &&
           viv_tcp_accept(&c, l, fair_reader, &fair_idx[fair_accepted]) == 0)
        fair_accepted++;
}

/* Issue 18's path (h1 - r1 - r2 - h2: 100 Mbit/s 5 ms access links, a 10 Mbit/s 10 ms
 * bottleneck with a 100-frame queue) with two identical NewReno flows from h1 to h2: over
 * the 30 s after a 5 s start, each gets within 10% of half the bottleneck's goodput. */
static void test_tcp_cc__two_flows_share_fairly(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = tt_host(sim, "h1", VIV_IP4(10, 0, 1, 2));
    viv_host_t *h2 = tt_host(sim, "h2", VIV_IP4(10, 0, 2, 2));
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    viv_host_t *r1, *r2;
    ho.name = "r1";
    assert_int_equal(viv_router_new(&r1, sim, 2, &ho), 0);
    ho.name = "r2";
    assert_int_equal(viv_router_new(&r2, sim, 2, &ho), 0);
    assert_int_equal(viv_host_add_addr(r1, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(r1, 1, VIV_IP4(10, 0, 12, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(r2, 0, VIV_IP4(10, 0, 12, 2), 24), 0);
    assert_int_equal(viv_host_add_addr(r2, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_set_gateway(h1, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(h2, VIV_IP4(10, 0, 2, 1)), 0);
    assert_int_equal(viv_host_route_add(r1, VIV_IP4(10, 0, 2, 0), 24, VIV_IP4(10, 0, 12, 2), -1, 0),
                     0);
    assert_int_equal(viv_host_route_add(r2, VIV_IP4(10, 0, 1, 0), 24, VIV_IP4(10, 0, 12, 1), -1, 0),
                     0);
    viv_link_params acc = VIV_LINK_PARAMS_INIT, bot = VIV_LINK_PARAMS_INIT;
    acc.rate_bps = 100000000;
    acc.delay_ns = VIV_MS(5);
    bot.rate_bps = 10000000;
    bot.delay_ns = VIV_MS(10);
    bot.queue_frames = 100;
    viv_link_t *l1, *l2, *l3;
    assert_int_equal(viv_link_new(&l1, sim, viv_host_port(h1, 0), viv_host_port(r1, 0), &acc), 0);
    assert_int_equal(viv_link_new(&l2, sim, viv_host_port(r1, 1), viv_host_port(r2, 0), &bot), 0);
    assert_int_equal(viv_link_new(&l3, sim, viv_host_port(r2, 1), viv_host_port(h2, 0), &acc), 0);
    fair_rx[0] = fair_rx[1] = 0;
    fair_accepted = 0;
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.sndbuf_bytes = 1u << 20;
    o.rcvbuf_bytes = 1u << 20;
    o.cc = &viv_tcp_cc_newreno;
    viv_tcp_t *l, *c[2];
    assert_int_equal(viv_tcp_new(&l, h2, &o, fair_listener, NULL), 0);
    viv_sockaddr_t la = tt_sa(VIV_IP4_ANY, 5001), pa = tt_sa(VIV_IP4(10, 0, 2, 2), 5001);
    assert_int_equal(viv_tcp_bind(l, &la), 0);
    assert_int_equal(viv_tcp_listen(l, 0), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(viv_tcp_new(&c[i], h1, &o, fair_sender, NULL), 0);
        assert_int_equal(viv_tcp_connect(c[i], &pa), VIV_EINPROGRESS);
    }
    assert_int_equal(viv_sim_run_until(sim, VIV_S(5)), 0);
    assert_int_equal(fair_accepted, 2);
    uint64_t b0 = fair_rx[0], b1 = fair_rx[1];
    assert_int_equal(viv_sim_run_until(sim, VIV_S(35)), 0);
    double g0 = (double)(fair_rx[0] - b0), g1 = (double)(fair_rx[1] - b1);
    double half = (g0 + g1) / 2;
    assert_true(g0 > 0.9 * half && g0 < 1.1 * half);
    assert_true(g1 > 0.9 * half && g1 < 1.1 * half);
    assert_true((g0 + g1) * 8 / 30 > 9.0e6); /* and together they fill the bottleneck */
    viv_tcp_close(c[0]);
    viv_tcp_close(c[1]);
    viv_tcp_close(l);
}

/* NewReno's direct path (viv__tcp_newreno_ack, taken on every ACK of a NewReno connection)
 * gives exactly what the table's on_ack gives through the view and back, on a grid of
 * windows, thresholds, counts and acknowledgements around every boundary: slow start
 * reaching ssthresh in the middle of an ACK, a stretch ACK, byte counting wrapping over
 * cwnd, growth near UINT32_MAX, the 2^30 and one-segment clamps, and an application-limited
 * sender. */
static void test_tcp_cc__newreno_direct_path_equals_the_hook(void **state)
{
    const uint32_t m = 1448u;
    const uint32_t cw[] = {1u,        m - 1u,          m,
                           2u * m,    10u * m,         65535u,
                           100000u,   (1u << 30) - m,  (1u << 30) - 1u,
                           1u << 30,  (1u << 30) + 7u, UINT32_MAX - m,
                           UINT32_MAX};
    const uint32_t ssd[] = {0u, 1u, m, UINT32_MAX}; /* ssthresh = cwnd + d (wrapping: below) */
    const uint32_t ack[] = {0u, 1u, m - 1u, m, 2u * m, 3u * m, 100000u, 1u << 31};
    const uint32_t caf[] = {0u, 1u, 2u}; /* ca_acked: 0, cwnd - 1, cwnd / 2 */
    const uint32_t flf[] = {0u, 1u, 2u}; /* cl_max: 0 (limited), cwnd / 2, cwnd */
    static struct viv_tcp a, b;
    uint64_t cases = 0, grew = 0;
    for (size_t i = 0; i < sizeof cw / sizeof cw[0]; i++)
        for (size_t j = 0; j < sizeof ssd / sizeof ssd[0]; j++)
            for (size_t k = 0; k < sizeof ack / sizeof ack[0]; k++)
                for (size_t q = 0; q < sizeof caf / sizeof caf[0]; q++)
                    for (size_t r = 0; r < sizeof flf / sizeof flf[0]; r++) {
                        memset(&a, 0, sizeof a);
                        a.base.sim = VIV_TEST_SIM(state);
                        a.cc = &viv_tcp_cc_newreno;
                        a.smss = (uint16_t)m;
                        a.cwnd = cw[i];
                        a.ssthresh = ssd[j] == UINT32_MAX ? UINT32_MAX
                                     : ssd[j] == 0u       ? cw[i] / 2u
                                                          : cw[i] + ssd[j];
                        a.ca_acked = caf[q] == 0u ? 0u : caf[q] == 1u ? cw[i] - 1u : cw[i] / 2u;
                        a.cl_max = flf[r] == 0u ? 0u : flf[r] == 1u ? cw[i] / 2u : cw[i];
                        a.cl_prev = a.cl_max / 3u;
                        b = a;
                        viv_tcp_cc_conn c;
                        viv__tcp_cc_view(&b, &c, 12345u);
                        viv_tcp_cc_newreno.on_ack(&c, ack[k], VIV_MS(20));
                        viv__tcp_cc_unview(&b, &c);
                        viv__tcp_newreno_ack(&a, ack[k]);
                        assert_int_equal(a.cwnd, b.cwnd);
                        assert_int_equal(a.ssthresh, b.ssthresh);
                        assert_int_equal(a.ca_acked, b.ca_acked);
                        cases++;
                        grew += a.cwnd != cw[i];
                    }
    assert_int_equal(cases, 13u * 4u * 8u * 3u * 3u);
    assert_true(grew > 100u); /* the grid does reach the growth paths */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_cc__slow_start_doubles_per_rtt),
        TT_TEST(test_tcp_cc__application_limited_does_not_grow),
        TT_TEST(test_tcp_cc__idle_restart_window),
        TT_TEST(test_tcp_cc__rto_estimator_and_backoff),
        TT_TEST(test_tcp_cc__per_socket_choice_and_live_change),
        TT_TEST(test_tcp_cc__algorithm_hooks_at_a_loss),
        TT_TEST(test_tcp_cc__bad_options_and_tunables),
        TT_TEST(test_tcp_cc__two_flows_share_fairly),
        TT_TEST(test_tcp_cc__newreno_direct_path_equals_the_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
