/* The user timeout (viv_tcp_opts::user_timeout_ns; RFC 5482, RFC 9293 3.8.3, Linux's
 * TCP_USER_TIMEOUT) ends a connection at the very instant it runs out: the retransmission
 * timer is armed at the earlier of the RTO and what is left of the user timeout (as Linux's
 * tcp_clamp_rto_to_user_timeout, since 4.19), and so is the zero-window probe timer (Linux's
 * tcp_clamp_probe0_to_user_timeout, since 5.11). Before, it was checked only when the timer
 * expired, and the connection ended up to one backed-off RTO late. Everything else, the RTO
 * schedule (RFC 6298: doubled at each expiry) and the retry budget, is as without it.
 *
 * A device stands for the peer (tcp_peer.h) and says exactly what it is told; every segment
 * the host sends is checked with its sending time, which is its arrival at the device less
 * one hop. The minimum RTO is 200 ms (Linux's): the round trips of these runs are a few
 * microseconds, so every RTO below starts at 200 ms and doubles. */
#include "tcp_peer.h"

/* One segment from the device to the host, the window said as is (0 is a zero window).
 * Ports 0: from PEER_PORT, to 80. */
typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    const char *data;
    uint16_t mss; /* 0: none */
    uint16_t sport, dport;
} seg;

static void send_seg(bench *b, const seg *s)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.window = s->win;
    t.mss = s->mss;
    peer_send_as_is(b, &t, s->data, s->sport ? s->sport : PEER_PORT, s->dport ? s->dport : 80,
                    0);
}

/* When the host sent the i-th segment the device received: its arrival less one hop of its
 * frame (Ethernet, IPv4 and TCP headers, options, data; padded to 60 bytes). */
static viv_time_t sent_at(const bench *b, size_t i)
{
    assert_true(i < b->nrx);
    const struct viv__tcp_repr *t = &b->rx[i].t;
    size_t len = 34 + viv__tcp_len(t) + t->payload_len;
    return b->rx[i].at - peer_hop(len < 60 ? 60 : len);
}

/* The host's retry budget (a tunable; 15 by default). */
static void set_retries(bench *b, uint32_t retries)
{
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b->w.a), 0);
    t.retries = retries;
    assert_int_equal(viv_host_set_tcp_tunables(b->w.a, &t), 0);
}

/* The host connects (options o) to the device's port 80; the device completes the handshake
 * with its ISN PEER_ISN, MSS mss and window 64240, no other option. b->iss is the host's ISS;
 * the received segments are forgotten. */
static tt_sock *host_established(bench *b, const viv_tcp_opts *o, uint16_t mss)
{
    tt_sock *k = tt_sock_new(&b->w);
    assert_int_equal(viv_tcp_new(&k->s, b->w.a, o, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    b->iss = b->rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, b->iss + 1, 64240, NULL, mss, 80,
                  b->rx[0].t.src_port};
    send_seg(b, &synack);
    peer_run(b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(peer_info(k).rto_ns, VIV_MS(200));
    b->nrx = 0;
    return k;
}

/* A listener on the host (options so) and a connection to it from the device, established
 * by an ACK announcing window win. Returns the accepted connection. */
static tt_sock *host_accepted(bench *b, const viv_tcp_opts *so, uint16_t win)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, so, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 64240, NULL, 1460, 0, 0};
    send_seg(b, &syn);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, win, NULL, 0, 0, 0};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(peer_info(l->children[0]).rto_ns, VIV_MS(200));
    b->nrx = 0;
    return l->children[0];
}

/* Five bytes sent at the returned instant on connection k (the device answers nothing). */
static viv_time_t send_hello(tt_sock *k)
{
    viv_time_t t0 = viv_sim_now(k->w->sim);
    assert_int_equal(viv_tcp_send(k->s, "hello", 5), 5);
    return t0;
}

/* The device received n segments, the i-th sent at t0 + at[i], each "hello" at seq. */
static void expect_hellos(const bench *b, viv_time_t t0, const viv_time_t *at, size_t n,
                          uint32_t seq)
{
    assert_int_equal(b->nrx, n);
    for (size_t i = 0; i < n; i++) {
        peer_expect(b, i, VIV_TCP_ACK | VIV_TCP_PSH, seq, PEER_ISN + 1, b->rx[i].t.window, 5);
        assert_int_equal(sent_at(b, i), t0 + at[i]);
    }
}

/* ---- the retransmission timer ------------------------------------------------------------ */

/* The path falls silent after the handshake; user timeout 10 s; five bytes sent at t0.
 * The RTO starts at 200 ms and doubles at each expiry (RFC 6298 5.5), so the segment goes at
 * t0 and again at 0.2, 0.2 + 0.4 = 0.6, 0.6 + 0.8 = 1.4, 1.4 + 1.6 = 3.0 and 3.0 + 3.2 =
 * 6.2 s: five retransmissions. The next RTO, 6.4 s, would expire at 12.6 s, 2.6 s after the
 * user timeout (where the connection used to end); it is cut to what is left of the user
 * timeout, 10 - 6.2 = 3.8 s, and the connection ends with ETIMEDOUT at exactly t0 + 10 s,
 * sending nothing more. */
static void test_tcp_uto__silent_path_ends_at_the_user_timeout(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = VIV_S(10);
    tt_sock *k = host_established(&b, &o, 1460);
    size_t rexmit0 = b.w.nrexmit;
    viv_time_t t0 = send_hello(k);
    /* Until the last retransmission, the RTO alone: 200 ms armed at the send. */
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_MS(200));
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(6200) + VIV_MS(1)), 0);
    assert_int_equal(b.nrx, 6);
    /* The clamped RTO: 3.8 s from 6.2 s, what netstat shows (1 ms later). */
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_MS(3800) - VIV_MS(1));
    assert_int_equal(peer_info(k).backoff, 5);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(30)), 0);
    static const viv_time_t at[] = {
        0, VIV_MS(200), VIV_MS(600), VIV_MS(1400), VIV_MS(3000), VIV_MS(6200)};
    expect_hellos(&b, t0, at, 6, b.iss + 1);
    assert_int_equal(b.w.nrexmit - rexmit0, 5);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(k->t_error, t0 + VIV_S(10));
    assert_int_equal(peer_hstats(&b).timeouts, 1);
    tt_world_free(&b.w);
}

/* The user timeout against the retry budget, whichever comes first: a budget of 3 gives up
 * at the fourth expiry, after retransmissions at 0.2, 0.6 and 1.4 s, at 1.4 + 1.6 = 3.0 s.
 * Each run, in a simulation of its own (seed 1): the path silent, five bytes sent at t0,
 * user timeout uto. Returns when the connection ended (after t0) and checks the segments
 * (the three retransmissions always); *fp receives the run's fingerprint. */
static viv_time_t budget_run(viv_time_t uto, uint64_t *fp)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    bench b;
    bench_build(&b, sim);
    set_retries(&b, 3);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = uto;
    tt_sock *k = host_established(&b, &o, 1460);
    viv_time_t t0 = send_hello(k);
    assert_int_equal(viv_sim_run_until(sim, t0 + VIV_S(30)), 0);
    static const viv_time_t at[] = {0, VIV_MS(200), VIV_MS(600), VIV_MS(1400)};
    expect_hellos(&b, t0, at, 4, b.iss + 1);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    viv_time_t end = k->t_error - t0;
    *fp = viv_sim_fingerprint(sim);
    tt_world_free(&b.w);
    viv_test_sim_free(sim, &a);
    return end;
}

/* A user timeout longer than the whole retry budget (60 s against 3.0 s) changes nothing:
 * the same retransmissions, the same end at 3.0 s, the same run to the fingerprint (every
 * event at the same instant: no timer armed otherwise) as without a user timeout. So does
 * one that runs out just as the budget does (3.0 s: the last RTO, 1.6 s from 1.4 s, is not
 * cut, and both end the connection at its expiry). One that runs out 100 ms earlier (2.9 s)
 * cuts the last RTO to 1.5 s and ends the connection at exactly 2.9 s. */
static void test_tcp_uto__retry_budget_or_user_timeout_whichever_first(void **state)
{
    (void)state;
    uint64_t fp_none, fp;
    assert_int_equal(budget_run(0, &fp_none), VIV_MS(3000));
    assert_int_equal(budget_run(VIV_S(60), &fp), VIV_MS(3000));
    assert_int_equal(fp, fp_none);
    assert_int_equal(budget_run(VIV_MS(3000), &fp), VIV_MS(3000));
    assert_int_equal(fp, fp_none);
    assert_int_equal(budget_run(VIV_MS(2900), &fp), VIV_MS(2900));
    assert_int_not_equal(fp, fp_none);
}

/* RFC 9293 3.10.8 holds the user timeout in SYN-SENT too (as Linux): user timeout 2 s, the
 * device never answers. The SYN goes at tc and again at tc + 1 s (the initial RTO, 1 s,
 * RFC 6298 2.1); the next RTO, 2 s, would expire at 3 s (where the opening used to fail); it
 * is cut to 1 s, and the connect fails with ETIMEDOUT at exactly tc + 2 s. */
static void test_tcp_uto__opening_ends_at_the_user_timeout(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = VIV_S(2);
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, &o, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    viv_time_t tc = viv_sim_now(b.w.sim);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_until(b.w.sim, tc + VIV_S(1) + VIV_MS(1)), 0);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_S(1) - VIV_MS(1));
    assert_int_equal(viv_sim_run_until(b.w.sim, tc + VIV_S(10)), 0);
    assert_int_equal(b.nrx, 2);
    uint32_t iss = b.rx[0].t.seq;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(b.rx[i].t.flags, VIV_TCP_SYN);
        assert_int_equal(b.rx[i].t.seq, iss);
        assert_int_equal(sent_at(&b, i), tc + (viv_time_t)i * VIV_S(1));
    }
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(k->t_error, tc + VIV_S(2));
    assert_int_equal(peer_hstats(&b).attempt_fails, 1);
    tt_world_free(&b.w);
}

/* The user timeout counts from the oldest unacknowledged byte's first sending (una_since):
 * an acknowledgement of new data starts it again. When the timer was cut short by the old
 * count and a partial ACK of NewReno recovery (RFC 6582 3.2 step 5) moved it on without
 * restarting the timer, the cut expiry finds the user timeout not run out: it retransmits
 * nothing and the timer goes on to the RTO's own deadline, so the user timeout never adds a
 * retransmission. MSS 536, no SACK; user timeout 160 ms, RTO 200 ms. Five segments at T0;
 * three duplicate ACKs: the first is retransmitted (fast retransmit); at T1 a partial ACK
 * (the first: it restarts the timer, cut to T1 + 160 ms, the RTO's T1 + 200 ms kept) and the
 * second is retransmitted; at T2 = T1 + 50 ms a second partial ACK (the timer kept, RFC
 * 6582's impatient variant), the user timeout now counting from T2, and the third is
 * retransmitted. The device then falls silent. At T1 + 160 ms nothing goes (the user
 * timeout has 50 ms left); at T1 + 200 ms the RTO expires and the third segment goes again
 * (go-back-N, cwnd one segment); the next RTO, 400 ms, is cut to the 10 ms left: ETIMEDOUT
 * at T2 + 160 ms = T1 + 210 ms. (Before, at T1 + 600 ms, an RTO later.) */
static void test_tcp_uto__partial_ack_moves_the_user_timeout_on(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = VIV_MS(160);
    tt_sock *k = host_established(&b, &o, 536);
    assert_int_equal(peer_info(k).snd_mss, 536);
    assert_int_equal(peer_info(k).sack_ok, 0);
    static uint8_t data[5 * 536];
    memset(data, 'd', sizeof data);
    viv_time_t t0 = viv_sim_now(b.w.sim);
    assert_int_equal(viv_tcp_send(k->s, data, sizeof data), (int)sizeof data);
    peer_run(&b);
    assert_int_equal(b.nrx, 5);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1, port = b.rx[0].t.src_port;
    assert_int_equal(sent_at(&b, 0), t0); /* the others queued behind it on the cable */
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(b.rx[i].t.seq, una + 536 * (uint32_t)i);
    seg dup = {VIV_TCP_ACK, rn, una, 64240, NULL, 0, 80, (uint16_t)port};
    for (int i = 0; i < 3; i++)
        send_seg(&b, &dup);
    peer_run(&b);
    assert_int_equal(b.nrx, 6); /* fast retransmit of the first */
    assert_int_equal(b.rx[5].t.seq, una);
    seg p1 = {VIV_TCP_ACK, rn, una + 536, 64240, NULL, 0, 80, (uint16_t)port};
    send_seg(&b, &p1);
    peer_run(&b);
    assert_int_equal(b.nrx, 7); /* the second, at T1 */
    assert_int_equal(b.rx[6].t.seq, una + 536);
    viv_time_t t1 = sent_at(&b, 6);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO],
                     t1 + VIV_MS(160) - viv_sim_now(b.w.sim));
    assert_int_equal(viv_sim_run_until(b.w.sim, t1 + VIV_MS(50) - peer_hop(60)), 0);
    seg p2 = {VIV_TCP_ACK, rn, una + 2 * 536, 64240, NULL, 0, 80, (uint16_t)port};
    send_seg(&b, &p2);
    peer_run(&b);
    assert_int_equal(b.nrx, 8); /* the third, at T2 */
    assert_int_equal(b.rx[7].t.seq, una + 2 * 536);
    viv_time_t t2 = sent_at(&b, 7);
    assert_int_equal(t2, t1 + VIV_MS(50));
    assert_int_equal(viv_sim_run_until(b.w.sim, t1 + VIV_S(5)), 0);
    assert_int_equal(b.nrx, 9);
    assert_int_equal(b.rx[8].t.seq, una + 2 * 536);
    assert_int_equal(b.rx[8].t.payload_len, 536);
    assert_int_equal(sent_at(&b, 8), t1 + VIV_MS(200));
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(k->t_error, t2 + VIV_MS(160));
    tt_world_free(&b.w);
}

/* viv_tcp_set_opts: a new user timeout takes effect at once on the armed timer. User timeout
 * 10 s, the path silent, five bytes at t0: retransmissions at 0.2 .. 6.2 s as above, the
 * timer cut to 10 s. At 7 s the program raises the user timeout to 60 s: the timer goes
 * back to the RTO's own deadline, 12.6 s. At 8 s it lowers it to 9 s: the timer is cut to
 * 9 s, and the connection ends with ETIMEDOUT at exactly t0 + 9 s, with the five
 * retransmissions only. */
static void test_tcp_uto__set_opts_moves_the_armed_timer(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = VIV_S(10);
    tt_sock *k = host_established(&b, &o, 1460);
    viv_time_t t0 = send_hello(k);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(7)), 0);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_S(3));
    o.user_timeout_ns = VIV_S(60);
    assert_int_equal(viv_tcp_set_opts(k->s, &o), 0);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_MS(5600));
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(8)), 0);
    o.user_timeout_ns = VIV_S(9);
    assert_int_equal(viv_tcp_set_opts(k->s, &o), 0);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], VIV_S(1));
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(30)), 0);
    static const viv_time_t at[] = {
        0, VIV_MS(200), VIV_MS(600), VIV_MS(1400), VIV_MS(3000), VIV_MS(6200)};
    expect_hellos(&b, t0, at, 6, b.iss + 1);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(k->t_error, t0 + VIV_S(9));
    tt_world_free(&b.w);
}

/* A user timeout set when it has already run out (the data unacknowledged for 7 s, the user
 * timeout lowered to 5 s) ends the connection one tick (1 ns) later: no timer is armed in
 * the past (Linux arms it one jiffy ahead), and the program's call reports nothing itself. */
static void test_tcp_uto__set_opts_already_run_out(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = VIV_S(10);
    tt_sock *k = host_established(&b, &o, 1460);
    viv_time_t t0 = send_hello(k);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(7)), 0);
    o.user_timeout_ns = VIV_S(5);
    assert_int_equal(viv_tcp_set_opts(k->s, &o), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(peer_info(k).timer_ns[VIV_TCP_TIMER_RTO], 1);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(30)), 0);
    assert_int_equal(b.nrx, 6);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(k->t_error, t0 + VIV_S(7) + 1);
    tt_world_free(&b.w);
}

/* ---- the zero-window probe timer ---------------------------------------------------------- */

/* The next zero-window probe of connection k: due `after` from now, it reaches the device as
 * <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK> with no data, and is answered (if answer) by an ACK
 * at SND.UNA with window 0. Returns when it was sent. */
static viv_time_t probe_cycle(bench *b, tt_sock *k, viv_time_t after, uint32_t una, int answer)
{
    viv_tcp_info ti = peer_info(k);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_PERSIST], after);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_RTO], VIV_TIME_NEVER);
    viv_time_t t = viv_sim_now(b->w.sim) + after;
    size_t i = b->nrx;
    assert_int_equal(viv_sim_run_until(b->w.sim, t + peer_hop(60)), 0);
    assert_int_equal(b->nrx, i + 1);
    peer_expect(b, i, VIV_TCP_ACK, una - 1, PEER_ISN + 1, b->rx[i].t.window, 0);
    assert_int_equal(sent_at(b, i), t);
    if (answer) {
        seg ack = {VIV_TCP_ACK, PEER_ISN + 1, una, 0, NULL, 0, 0, 0};
        send_seg(b, &ack);
    }
    return t;
}

/* Data held back by a zero window whose probes are answered (RFC 1122 4.2.2.17 keeps such a
 * connection open without a user timeout: test_tcp_audit_flow). With a user timeout, Linux
 * (since 5.11: tcp_probe_timer, icsk_probes_tstamp) ends it when the window has stayed shut
 * for the user timeout counted from the first probe, answered or not, and cuts the probe
 * interval to what is left. User timeout 1 s, window 0 from the handshake, five bytes at t0:
 * the persist timer, armed at the RTO (200 ms), probes at 0.2 s (the count starts); the
 * interval doubles, 0.4 s: a probe at 0.6 s; the next, 0.8 s, would come at 1.4 s, and is
 * cut to the 0.6 s left: ETIMEDOUT at exactly t0 + 0.2 + 1 = t0 + 1.2 s, with two probes. */
static void test_tcp_uto__zero_window_ends_at_the_user_timeout(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.user_timeout_ns = VIV_S(1);
    tt_sock *c = host_accepted(&b, &so, 0);
    uint32_t una = b.iss + 1;
    assert_int_equal(peer_info(c).snd_wnd, 0);
    viv_time_t t0 = send_hello(c);
    assert_int_equal(probe_cycle(&b, c, VIV_MS(200), una, 1), t0 + VIV_MS(200));
    viv_time_t d = t0 + VIV_MS(600) - viv_sim_now(b.w.sim);
    assert_int_equal(probe_cycle(&b, c, d, una, 1), t0 + VIV_MS(600));
    assert_int_equal(peer_info(c).timer_ns[VIV_TCP_TIMER_PERSIST],
                     t0 + VIV_MS(1200) - viv_sim_now(b.w.sim));
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(10)), 0);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(c->err, VIV_ETIMEDOUT);
    assert_int_equal(c->t_error, t0 + VIV_MS(1200));
    tt_world_free(&b.w);
}

/* A window that opens ends the count (Linux resets icsk_probes_tstamp when an ACK opens a
 * usable window); the next time it stays shut, the user timeout counts from that episode's
 * first probe. User timeout 1 s, window 0: five bytes at t0, a probe at 0.2 s (answered: 0);
 * at 0.5 s the device opens the window (1000): the bytes go at once, and are acknowledged
 * with the window shut again. Five more bytes at t1 = t0 + 0.7 s: probes at t1 + 0.2 and
 * t1 + 0.6 s, ETIMEDOUT at exactly t1 + 1.2 s (not at t0 + 1.2 s, a second after the first
 * episode's probe). */
static void test_tcp_uto__zero_window_count_starts_again(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.user_timeout_ns = VIV_S(1);
    tt_sock *c = host_accepted(&b, &so, 0);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    viv_time_t t0 = send_hello(c);
    probe_cycle(&b, c, VIV_MS(200), una, 1);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(500)), 0);
    seg open = {VIV_TCP_ACK, rn, una, 1000, NULL, 0, 0, 0};
    send_seg(&b, &open);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK | VIV_TCP_PSH, una, rn, b.rx[1].t.window, 5);
    assert_int_equal(sent_at(&b, 1), t0 + VIV_MS(500) + peer_hop(60));
    seg shut = {VIV_TCP_ACK, rn, una + 5, 0, NULL, 0, 0, 0};
    send_seg(&b, &shut);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(700)), 0);
    assert_int_equal(peer_info(c).snd_una, una + 5);
    assert_int_equal(peer_info(c).snd_wnd, 0);
    viv_time_t t1 = send_hello(c);
    assert_int_equal(probe_cycle(&b, c, VIV_MS(200), una + 5, 1), t1 + VIV_MS(200));
    viv_time_t d = t1 + VIV_MS(600) - viv_sim_now(b.w.sim);
    assert_int_equal(probe_cycle(&b, c, d, una + 5, 1), t1 + VIV_MS(600));
    assert_int_equal(viv_sim_run_until(b.w.sim, t1 + VIV_S(10)), 0);
    assert_int_equal(b.nrx, 4);
    assert_int_equal(c->err, VIV_ETIMEDOUT);
    assert_int_equal(c->t_error, t1 + VIV_MS(1200));
    tt_world_free(&b.w);
}

/* Data in flight when the window shrinks to zero (RFC 1122 4.2.2.16): the user timeout counts
 * from the data's sending, as for a retransmission (Linux counts from retrans_stamp there),
 * and the persist timer that probes the window is cut to it. User timeout 1.1 s; five bytes
 * at t0, the window shut under them. The RTO expires at 0.2 s and hands over to the persist
 * timer (armed at the backed-off RTO, 0.4 s): probes at 0.6 s and 1.0 s (the interval
 * 0.4 s), answered; the next, 0.8 s, would come at 1.8 s (where the connection used to end)
 * and is cut to the 0.1 s left: ETIMEDOUT at exactly t0 + 1.1 s. */
static void test_tcp_uto__shrunk_window_ends_at_the_user_timeout(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.user_timeout_ns = VIV_MS(1100);
    tt_sock *c = host_accepted(&b, &so, 1000);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    viv_time_t t0 = send_hello(c);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    seg shut = {VIV_TCP_ACK, rn, una, 0, NULL, 0, 0, 0};
    send_seg(&b, &shut);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(200)), 0);
    assert_int_equal(probe_cycle(&b, c, VIV_MS(400), una, 1), t0 + VIV_MS(600));
    viv_time_t d = t0 + VIV_MS(1000) - viv_sim_now(b.w.sim);
    assert_int_equal(probe_cycle(&b, c, d, una, 1), t0 + VIV_MS(1000));
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(10)), 0);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(c->err, VIV_ETIMEDOUT);
    assert_int_equal(c->t_error, t0 + VIV_MS(1100));
    tt_world_free(&b.w);
}

/* ---- keepalive ------------------------------------------------------------------------------ */

/* Keepalive (idle 10 s, interval 5 s, 3 probes) on a connection whose peer falls silent once
 * it is established at tc, with user timeout uto. Returns when it ended, after tc, and the
 * probes sent, each checked: <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>, at tc + 10 s, + 15 s...;
 * then the reset the connection sends as it gives up (Linux's tcp_send_active_reset),
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, at that instant. */
static viv_time_t keepalive_run(void **state, viv_time_t uto, size_t *nprobes)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.keepalive = 1;
    o.keepalive_idle_ns = VIV_S(10);
    o.keepalive_interval_ns = VIV_S(5);
    o.keepalive_count = 3;
    o.user_timeout_ns = uto;
    tt_sock *k = host_established(&b, &o, 1460);
    viv_time_t tc = k->t_connected;
    assert_int_equal(viv_sim_run_until(b.w.sim, tc + VIV_S(100)), 0);
    assert_true(b.nrx >= 1);
    size_t n = b.nrx - 1;
    for (size_t i = 0; i < n; i++) {
        peer_expect(&b, i, VIV_TCP_ACK, b.iss, PEER_ISN + 1, b.rx[i].t.window, 0);
        assert_int_equal(sent_at(&b, i), tc + VIV_S(10) + (viv_time_t)i * VIV_S(5));
    }
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    peer_expect(&b, n, VIV_TCP_RST | VIV_TCP_ACK, b.iss + 1, PEER_ISN + 1, 0, 0);
    assert_int_equal(sent_at(&b, n), k->t_error);
    viv_time_t end = k->t_error - tc;
    *nprobes = n;
    tt_world_free(&b.w);
    return end;
}

/* Without a user timeout, keepalive gives up after its 3 unanswered probes (10, 15, 20 s), at
 * the next expiry: 25 s. With one, Linux lets the user timeout decide instead of the count
 * (tcp(7): TCP_USER_TIMEOUT "will override keepalive to determine when to close a connection
 * due to keepalive failure"; tcp_keepalive_timer): the connection ends at the first keepalive
 * expiry at which a probe has gone unanswered and nothing has arrived for the user timeout.
 * Linux does not cut the keepalive interval to it: 12 s ends the connection at the second
 * expiry, 15 s, after one probe; 30 s, longer than the count's budget, lets a fourth probe go
 * (25 s) and ends it at 30 s. (Before, the user timeout did nothing here: 25 s.) */
static void test_tcp_uto__keepalive_user_timeout_instead_of_the_count(void **state)
{
    size_t n;
    assert_int_equal(keepalive_run(state, 0, &n), VIV_S(25));
    assert_int_equal(n, 3);
    assert_int_equal(keepalive_run(state, VIV_S(12), &n), VIV_S(15));
    assert_int_equal(n, 1);
    assert_int_equal(keepalive_run(state, VIV_S(30), &n), VIV_S(30));
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_uto__silent_path_ends_at_the_user_timeout),
        TT_TEST(test_tcp_uto__retry_budget_or_user_timeout_whichever_first),
        TT_TEST(test_tcp_uto__opening_ends_at_the_user_timeout),
        TT_TEST(test_tcp_uto__partial_ack_moves_the_user_timeout_on),
        TT_TEST(test_tcp_uto__set_opts_moves_the_armed_timer),
        TT_TEST(test_tcp_uto__set_opts_already_run_out),
        TT_TEST(test_tcp_uto__zero_window_ends_at_the_user_timeout),
        TT_TEST(test_tcp_uto__zero_window_count_starts_again),
        TT_TEST(test_tcp_uto__shrunk_window_ends_at_the_user_timeout),
        TT_TEST(test_tcp_uto__keepalive_user_timeout_instead_of_the_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
