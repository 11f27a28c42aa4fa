/* An audit of a host's TCP flow control and timers against RFC 9293 3.7.1 (the effective send
 * MSS), 3.8.6 (managing the window: zero-window probing, silly window avoidance, the window
 * update), RFC 1122 4.2.2.16-17 (a window that shrinks, probing zero windows) and 4.2.3.6
 * (keepalive), RFC 896 (Nagle), with crafted segments from a device standing for the peer.
 * Every segment the host sends is checked: flags, numbers, window, length and time. */
#include "tcp_peer.h"

/* One segment from the device to port 80 on the host, from PEER_PORT. */
typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win; /* said as is: 0 is a zero window */
    const char *data;
    uint16_t mss;  /* 0: none */
    uint8_t sackp; /* SACK-permitted (on a SYN) */
} seg;

/* The segment, its window as said (peer_send_as_is: 0 is a zero window). */
static void send_seg(bench *b, const seg *s)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.window = s->win;
    t.mss = s->mss;
    t.sack_permitted = s->sackp;
    peer_send_as_is(b, &t, s->data, PEER_PORT, 80, 0);
}

/* The host's TCP gives up after `retries` (a host tunable) rather than 15, and backs off
 * to 2 s at most rather than 120 s, to keep the runs short (and within the 60 s the host
 * trusts the device's ARP answer). */
static void set_retries(bench *b, uint32_t retries)
{
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b->w.a), 0);
    t.retries = retries;
    t.rto_max_ns = VIV_S(2);
    assert_int_equal(viv_host_set_tcp_tunables(b->w.a, &t), 0);
}

/* A listener on the host (options so) and a connection to it from the device (its SYN with
 * MSS mss and SACK-permitted if sackp), established by an ACK announcing window win. Returns
 * the accepted connection. */
static tt_sock *handshake(bench *b, const viv_tcp_opts *so, uint16_t mss, int sackp, uint16_t win)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, so, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 64240, NULL, mss, (uint8_t)sackp};
    send_seg(b, &syn);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b->rx[0].t.ack, PEER_ISN + 1);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, win, NULL, 0, 0};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    b->nrx = 0;
    return l->children[0];
}

/* n bytes of 'x' (n < 600). */
static const char *xs(size_t n)
{
    static char buf[600];
    assert_true(n < sizeof buf);
    memset(buf, 'x', n);
    buf[n] = 0;
    return buf;
}

/* The persist timer's interval after the k-th probe: the RTO (200 ms) doubled k times, at
 * most the maximum RTO (2 s here). */
static viv_time_t backoff(int k)
{
    viv_time_t d = VIV_MS(200) << k;
    return d > VIV_S(2) ? VIV_S(2) : d;
}

/* The next zero-window probe of connection c: due `after` from now by the persist timer, it
 * reaches the device as <SEQ=SND.UNA-1><ACK=rcv_nxt><CTL=ACK> with no data, and is answered
 * (if answer) by an ACK at SND.UNA with window 0. Returns when it was sent. */
static viv_time_t probe_cycle(bench *b, tt_sock *c, viv_time_t after, uint32_t una,
                              uint32_t rcv_nxt, int answer)
{
    viv_tcp_info ti = peer_info(c);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_PERSIST], after);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_RTO], VIV_TIME_NEVER);
    viv_time_t t = viv_sim_now(b->w.sim) + after;
    size_t i = b->nrx;
    assert_int_equal(viv_sim_run_until(b->w.sim, t + peer_hop(60)), 0);
    assert_int_equal(b->nrx, i + 1);
    peer_expect(b, i, VIV_TCP_ACK, una - 1, rcv_nxt, b->rx[i].t.window, 0);
    assert_int_equal(b->rx[i].at, t + peer_hop(60));
    if (answer) {
        seg ack = {VIV_TCP_ACK, rcv_nxt, una, 0, NULL, 0, 0};
        send_seg(b, &ack);
    }
    return t;
}

/* RFC 1122 4.2.2.17: "As long as the receiving TCP continues to send acknowledgments in
 * response to the probe segments, the sending TCP MUST allow the connection to stay open"; RFC
 * 9293 3.8.6.1: the probes' interval grows exponentially. With a budget of 3, eight probes
 * answered by a zero window keep the connection (the interval doubling from the RTO, 200 ms,
 * regardless of the answers, up to the maximum RTO); then three unanswered probes, and at the
 * next expiry the connection ends with ETIMEDOUT (docs/tcp.md: "given up after `retries`
 * unanswered probes, never while they are answered"). Before, answered probes counted too, and
 * the fourth expiry ended the connection the peer was keeping open. */
static void test_tcp_audit_flow__answered_zero_window_probes_never_give_up(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    set_retries(&b, 3);
    tt_sock *c = handshake(&b, NULL, 1460, 0, 0);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    assert_int_equal(peer_info(c).snd_wnd, 0);
    assert_int_equal(peer_info(c).rto_ns, VIV_MS(200));
    assert_int_equal(viv_tcp_send(c->s, "hello", 5), 5);
    peer_run(&b);
    assert_int_equal(b.nrx, 0); /* nothing fits a zero window */
    viv_time_t d = VIV_MS(200) - VIV_MS(10);
    for (int k = 0; k < 8; k++) {
        viv_time_t t = probe_cycle(&b, c, d, una, rn, 1);
        d = t + backoff(k + 1) - viv_sim_now(b.w.sim);
    }
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(c->t_error, VIV_TIME_NEVER);
    /* The peer falls silent: three probes go unanswered, then the connection ends. */
    viv_time_t t = 0;
    for (int k = 8; k < 11; k++) {
        t = probe_cycle(&b, c, d, una, rn, 0);
        d = t + backoff(k + 1) - viv_sim_now(b.w.sim);
    }
    assert_int_equal(viv_sim_run_for(b.w.sim, d + VIV_MS(1)), 0);
    assert_int_equal(c->err, VIV_ETIMEDOUT);
    assert_int_equal(c->t_error, viv_sim_now(b.w.sim) - VIV_MS(1));
    assert_int_equal(b.nrx, 11);
    tt_world_free(&b.w);
}

/* RFC 1122 4.2.2.16: a window that shrinks to zero under data in flight. "The sender ...
 * SHOULD NOT time out the connection if data beyond the right window edge is not
 * acknowledged. If the window shrinks to zero, the TCP MUST probe it in the standard way."
 * Five bytes go out; the peer's answer refuses them and says window 0. The retransmission
 * timer's expiry (200 ms) finds nothing it may send: from then the persist timer probes the
 * window, and while the peer answers the connection stays, whatever the retransmission
 * budget (3 here; before, the timer kept expiring, and the fourth expiry ended the
 * connection with ETIMEDOUT). When the window opens, the bytes go again at once. */
static void test_tcp_audit_flow__window_shrunk_to_zero_is_probed_not_timed_out(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    set_retries(&b, 3);
    tt_sock *c = handshake(&b, NULL, 1460, 0, 1000);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    viv_time_t t0 = viv_sim_now(b.w.sim);
    assert_int_equal(viv_tcp_send(c->s, "hello", 5), 5);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK | VIV_TCP_PSH, una, rn, b.rx[0].t.window, 5);
    seg shut = {VIV_TCP_ACK, rn, una, 0, NULL, 0, 0};
    send_seg(&b, &shut);
    peer_run(&b);
    assert_int_equal(peer_info(c).snd_wnd, 0);
    /* The retransmission timer expires at t0 + 200 ms: nothing is sent (window 0), and the
     * persist timer takes over with the backed-off RTO (400 ms). */
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(200)), 0);
    assert_int_equal(b.nrx, 1);
    viv_tcp_info ti = peer_info(c);
    assert_int_equal(ti.timeouts, 1);
    assert_int_equal(ti.snd_nxt, una);
    viv_time_t d = VIV_MS(400);
    for (int k = 0; k < 8; k++) {
        viv_time_t t = probe_cycle(&b, c, d, una, rn, 1);
        d = t + backoff(k + 1) - viv_sim_now(b.w.sim);
    }
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(c->t_error, VIV_TIME_NEVER);
    assert_int_equal(b.nrx, 9);
    assert_int_equal(peer_info(c).timeouts, 1);
    /* The window opens: the five bytes go again at once, and their ACK ends it. */
    peer_run(&b);
    viv_time_t t1 = viv_sim_now(b.w.sim);
    seg open = {VIV_TCP_ACK, rn, una, 1000, NULL, 0, 0};
    send_seg(&b, &open);
    peer_run(&b);
    assert_int_equal(b.nrx, 10);
    peer_expect(&b, 9, VIV_TCP_ACK | VIV_TCP_PSH, una, rn, b.rx[9].t.window, 5);
    assert_int_equal(b.rx[9].at, t1 + peer_hop(60) + peer_hop(60));
    seg ack = {VIV_TCP_ACK, rn, una + 5, 1000, NULL, 0, 0};
    send_seg(&b, &ack);
    peer_run(&b);
    ti = peer_info(c);
    assert_int_equal(ti.snd_una, una + 5);
    assert_int_equal(ti.send_q, 0);
    assert_int_equal(ti.backoff, 0);
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        if (k != VIV_TCP_TIMER_DELACK)
            assert_int_equal(ti.timer_ns[k], VIV_TIME_NEVER);
    tt_world_free(&b.w);
}

/* The user timeout (RFC 5482, RFC 9293 3.8.3) still holds for data a window shrunk to zero
 * refused: five bytes sent at t0 with a 1 s user timeout; the window shuts, the
 * retransmission timer expires at 200 ms and the persist timer probes at 600 ms (answered);
 * its next expiry, at 1000 ms, finds the bytes unacknowledged for 1 s and ends the
 * connection with ETIMEDOUT, sending nothing more. */
static void test_tcp_audit_flow__user_timeout_holds_in_a_shrunk_window(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.user_timeout_ns = VIV_S(1);
    tt_sock *c = handshake(&b, &so, 1460, 0, 1000);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    viv_time_t t0 = viv_sim_now(b.w.sim);
    assert_int_equal(viv_tcp_send(c->s, "hello", 5), 5);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    seg shut = {VIV_TCP_ACK, rn, una, 0, NULL, 0, 0};
    send_seg(&b, &shut);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_MS(200)), 0);
    probe_cycle(&b, c, VIV_MS(400), una, rn, 1);
    assert_int_equal(viv_sim_run_until(b.w.sim, t0 + VIV_S(10)), 0);
    assert_int_equal(c->err, VIV_ETIMEDOUT);
    assert_int_equal(c->t_error, t0 + VIV_MS(1000));
    assert_int_equal(b.nrx, 2);
    tt_world_free(&b.w);
}

/* RFC 9293 3.7.1 (MUST-16): a segment is never larger than Eff.snd.MSS = min(SendMSS + 20,
 * MMS_S) - TCPhdrsize, TCPhdrsize counting "any options", and RFC 6691: "the sender MUST
 * reduce the TCP data length to account for any IP or TCP options that it is including".
 * The peer announces MSS 536 (its own limit, below the 1500-byte path) and SACK. The host
 * holds a segment of the peer's data beyond a hole, so its ACKs carry a SACK block (12
 * bytes). A full segment of data (536 bytes) leaves no room for it: it goes without the
 * block (before, it carried it, 568 bytes of TCP for a peer that takes 556). A short segment
 * has room, and carries it. */
static void test_tcp_audit_flow__sack_blocks_within_the_peers_mss(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 536, 1, 64240);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    assert_int_equal(peer_info(c).sack_ok, 1);
    assert_int_equal(peer_info(c).ts_ok, 0);
    assert_int_equal(peer_info(c).snd_mss, 536);
    seg ooo = {VIV_TCP_ACK, rn + 100, una, 64240, xs(50), 0, 0};
    send_seg(&b, &ooo);
    peer_run(&b);
    assert_int_equal(b.nrx, 1); /* a duplicate ACK at once, with the block */
    peer_expect(&b, 0, VIV_TCP_ACK, una, rn, b.rx[0].t.window, 0);
    assert_int_equal(b.rx[0].t.sack_count, 1);
    assert_int_equal(b.rx[0].t.sack[0].left, rn + 100);
    assert_int_equal(b.rx[0].t.sack[0].right, rn + 150);
    static uint8_t data[600];
    memset(data, 'd', sizeof data);
    assert_int_equal(viv_tcp_send(c->s, data, sizeof data), (int)sizeof data);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 1, VIV_TCP_ACK, una, rn, b.rx[1].t.window, 536);
    assert_int_equal(b.rx[1].t.sack_count, 0);
    assert_true(viv__tcp_len(&b.rx[1].t) + b.rx[1].t.payload_len <= 536 + 20);
    peer_expect(&b, 2, VIV_TCP_ACK | VIV_TCP_PSH, una + 536, rn, b.rx[2].t.window, 64);
    assert_int_equal(b.rx[2].t.sack_count, 1);
    assert_int_equal(b.rx[2].t.sack[0].left, rn + 100);
    tt_world_free(&b.w);
}

/* Nagle with Minshall's refinement (RFC 896, RFC 9293 3.7.4, docs/tcp.md): a short segment
 * waits only while an earlier short one is unacknowledged, which the sender tells by the
 * end of the last short segment sent (snd_sml) being beyond SND.UNA. After 2 GiB of
 * full-sized segments with no short one, that end would lie more than 2^31 behind SND.UNA,
 * where a sequence comparison takes it as ahead. The state is made here by setting it 2^31 -
 * 1 bytes behind (the run that reaches it sends 2 GiB); a full segment's ACK then moves
 * SND.UNA 1460 further. Then 1460 + 100 bytes: the full segment and the short one leave
 * together (no short segment is outstanding). Before, the 100 bytes waited for the full
 * segment's ACK, over 2 GiB of every 4. */
static void test_tcp_audit_flow__nagle_after_2gib_of_full_segments(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460, 0, 64240);
    uint32_t una = b.iss + 1, rn = PEER_ISN + 1;
    assert_int_equal(peer_info(c).snd_mss, 1460);
    static uint8_t data[1560];
    memset(data, 'n', sizeof data);
    assert_int_equal(viv_tcp_send(c->s, data, 1460), 1460);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK | VIV_TCP_PSH, una, rn, b.rx[0].t.window, 1460);
    c->s->snd_sml = una - 0x7fffffffu; /* the last short segment ended 2^31 - 1 bytes ago */
    seg ack = {VIV_TCP_ACK, rn, una + 1460, 64240, NULL, 0, 0};
    send_seg(&b, &ack);
    peer_run(&b);
    assert_int_equal(peer_info(c).snd_una, una + 1460);
    viv_time_t t1 = viv_sim_now(b.w.sim);
    assert_int_equal(viv_tcp_send(c->s, data, sizeof data), (int)sizeof data);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 1, VIV_TCP_ACK, una + 1460, rn, b.rx[1].t.window, 1460);
    peer_expect(&b, 2, VIV_TCP_ACK | VIV_TCP_PSH, una + 2920, rn, b.rx[2].t.window, 100);
    assert_int_equal(b.rx[2].at, t1 + tt_ser(1514) + tt_ser(154) + VIV_US(10));
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_flow__answered_zero_window_probes_never_give_up),
        TT_TEST(test_tcp_audit_flow__window_shrunk_to_zero_is_probed_not_timed_out),
        TT_TEST(test_tcp_audit_flow__user_timeout_holds_in_a_shrunk_window),
        TT_TEST(test_tcp_audit_flow__sack_blocks_within_the_peers_mss),
        TT_TEST(test_tcp_audit_flow__nagle_after_2gib_of_full_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
