/* An audit of how a host's TCP processes arriving segments, against RFC 9293 3.10.7
 * ("SEGMENT ARRIVES"), RFC 5961 and RFC 7323, with crafted segments from a device standing
 * for the peer: segments across the window's edges (trimmed at both ends, with their FIN), the
 * zero window (only ACK, RST and a bare FIN processed), data after either side's FIN, and the
 * opening's and closing's less common paths. Every reply is checked to the segment: flags,
 * numbers, window and time. */
#include "tcp_peer.h"

/* One segment from the device to port 80 on the host, from PEER_PORT. */
typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    const char *data;
    uint16_t mss; /* 0: none */
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
    peer_send(b, &t, s->data, PEER_PORT, 80, 0);
}

/* A segment from the device's port 80 to the host's port (a connection the host opened),
 * with a window scale option if wscale >= 0. */
static void send_back(bench *b, const seg *s, uint16_t hport, int wscale)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.window = s->win;
    t.mss = s->mss;
    if (wscale >= 0) {
        t.wscale_present = true;
        t.wscale = (uint8_t)wscale;
    }
    peer_send(b, &t, s->data, 80, hport, 0);
}

/* A listener on the host (options so, its connections read nothing if no_drain) and a
 * connection to it from the device, established. Returns the accepted connection. */
static tt_sock *handshake(bench *b, const viv_tcp_opts *so, int no_drain)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, so, 0);
    l->accept = 1;
    l->child_no_drain = no_drain;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460};
    send_seg(b, &syn);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b->rx[0].t.ack, PEER_ISN + 1);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, 0, NULL, 0};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    b->nrx = 0;
    return l->children[0];
}

/* RFC 9293 3.10.7.4, first check: "If the RCV.WND is zero, no segments will be acceptable,
 * but special allowance should be made to accept valid ACKs, URGs, and RSTs", and 3.8.6.1:
 * a receiver with a zero window "must still send an acknowledgment showing its next expected
 * sequence number and current window (zero)". A zero-window probe from the peer carrying
 * one byte at RCV.NXT and an acknowledgement of the host's data: the byte is refused, the
 * ACK is answered at once with window 0, and the acknowledgement is taken (SND.UNA moves,
 * the retransmission timer stops: nothing is ever sent again). */
static void test_tcp_audit__zero_window_probe_ack_is_processed(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = {0};
    so.rcvbuf_bytes = 100;
    tt_sock *c = handshake(&b, &so, 1);
    uint32_t rn = PEER_ISN + 1;
    seg fill = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, peer_xs(100), 0};
    send_seg(&b, &fill);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(b.nrx, 1); /* the delayed ACK: the window is full */
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 100, 0, 0);
    assert_int_equal(peer_info(c).recv_q, 100);
    /* The host sends 5 bytes; the device's probe acknowledges them. */
    assert_int_equal(viv_tcp_send(c->s, "hello", 5), 5);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK | VIV_TCP_PSH, b.iss + 1, rn + 100, 0, 5);
    uint64_t unacc = peer_hstats(&b).rx_unacceptable;
    viv_time_t t0 = viv_sim_now(b.w.sim);
    seg probe = {VIV_TCP_ACK, rn + 100, b.iss + 6, 0, "y", 0};
    send_seg(&b, &probe);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_ACK, b.iss + 6, rn + 100, 0, 0);
    assert_int_equal(b.rx[2].at, t0 + peer_hop(14 + 20 + 20 + 1) + peer_hop(60));
    viv_tcp_info ti = peer_info(c);
    assert_int_equal(ti.snd_una, b.iss + 6);
    assert_int_equal(ti.send_q, 0);
    assert_int_equal(ti.rcv_nxt, rn + 100);
    assert_int_equal(ti.recv_q, 100);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_RTO], VIV_TIME_NEVER);
    assert_int_equal(peer_hstats(&b).rx_unacceptable, unacc + 1); /* the byte refused */
    /* No retransmission of the acknowledged data, ever. */
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(10)), 0);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(peer_info(c).retransmits, 0);
    tt_world_free(&b.w);
}

/* The same in a zero window for data with a FIN, and a window update on it: the data and the
 * FIN are refused (the FIN lies beyond refused data), the window the peer announces is
 * taken, and an ACK says RCV.NXT and window 0. A bare FIN at RCV.NXT is taken (docs/tcp.md,
 * as Linux). */
static void test_tcp_audit__zero_window_refuses_data_and_its_fin(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = {0};
    so.rcvbuf_bytes = 100;
    tt_sock *c = handshake(&b, &so, 1);
    uint32_t rn = PEER_ISN + 1;
    seg fill = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, peer_xs(100), 0};
    send_seg(&b, &fill);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(peer_info(c).snd_wnd, 64240);
    seg datafin = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 100, b.iss + 1, 1000, "abc", 0};
    send_seg(&b, &datafin);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 1, rn + 100, 0, 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(peer_info(c).snd_wnd, 1000);
    assert_int_equal(peer_info(c).recv_q, 100);
    seg fin = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 100, b.iss + 1, 1000, NULL, 0};
    send_seg(&b, &fin);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_ACK, b.iss + 1, rn + 101, 0, 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSE_WAIT);
    tt_world_free(&b.w);
}

/* The same for a retransmission straddling RCV.NXT in a zero window (its first bytes
 * already taken): its acknowledgement is taken, its new bytes refused, an ACK answers. */
static void test_tcp_audit__zero_window_straddling_segment_ack_is_processed(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = {0};
    so.rcvbuf_bytes = 100;
    tt_sock *c = handshake(&b, &so, 1);
    uint32_t rn = PEER_ISN + 1;
    seg fill = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, peer_xs(100), 0};
    send_seg(&b, &fill);
    assert_int_equal(viv_tcp_send(c->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 0, VIV_TCP_ACK | VIV_TCP_PSH, b.iss + 1, rn, 100, 5);
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 6, rn + 100, 0, 0);
    seg again = {VIV_TCP_ACK, rn + 90, b.iss + 6, 0, peer_xs(20), 0};
    send_seg(&b, &again);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_ACK, b.iss + 6, rn + 100, 0, 0);
    viv_tcp_info ti = peer_info(c);
    assert_int_equal(ti.snd_una, b.iss + 6);
    assert_int_equal(ti.rcv_nxt, rn + 100);
    assert_int_equal(ti.recv_q, 100);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_RTO], VIV_TIME_NEVER);
    /* Old bytes with a FIN at RCV.NXT: the FIN is taken, as a bare FIN would be. */
    seg oldfin = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 95, b.iss + 6, 0, peer_xs(5), 0};
    send_seg(&b, &oldfin);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    peer_expect(&b, 3, VIV_TCP_ACK, b.iss + 6, rn + 101, 0, 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(10)), 0);
    assert_int_equal(b.nrx, 4);
    tt_world_free(&b.w);
}

/* RFC 9293 3.10.7.4, first check: "If a segment's contents straddle the boundary between old
 * and new, only the new parts are processed." A segment starting 2 bytes before RCV.NXT,
 * with a FIN: its new bytes and its FIN are taken, and the FIN acknowledged at once. */
static void test_tcp_audit__left_edge_trimmed_fin_taken(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    seg first = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, "abcd", 0};
    send_seg(&b, &first);
    peer_run(&b);
    assert_int_equal(b.nrx, 0); /* the ACK is delayed */
    seg over = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 2, b.iss + 1, 0, "cdef", 0};
    viv_time_t t0 = viv_sim_now(b.w.sim);
    send_seg(&b, &over);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    /* The right edge has not moved: 7 bytes read are less than an MSS (receiver SWS
     * avoidance, RFC 9293 3.8.6.2.2). */
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 7, 65535 - 7, 0);
    assert_int_equal(b.rx[0].at, t0 + peer_hop(60) + peer_hop(60));
    assert_int_equal(c->nrx, 6);
    assert_memory_equal(c->rx, "abcdef", 6);
    assert_int_equal(c->eof, 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSE_WAIT);
    tt_world_free(&b.w);
}

/* "Segments with higher beginning sequence numbers ... should be held for later processing"
 * and what lies beyond the window trimmed: 30 bytes and a FIN where the window has room for
 * 20. The 20 are taken, the FIN is not (it lies beyond the window), and the ACK says
 * RCV.NXT = the right edge, window 0. */
static void test_tcp_audit__right_edge_trimmed_fin_refused(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = {0};
    so.rcvbuf_bytes = 100;
    tt_sock *c = handshake(&b, &so, 1);
    uint32_t rn = PEER_ISN + 1;
    seg first = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, peer_xs(80), 0};
    send_seg(&b, &first);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(b.nrx, 1); /* delayed ACK, window 20 */
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 80, 20, 0);
    seg over = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 80, b.iss + 1, 0, peer_xs(30), 0};
    send_seg(&b, &over);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 1, rn + 100, 0, 0);
    assert_int_equal(peer_info(c).recv_q, 100);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    tt_world_free(&b.w);
}

/* Simultaneous open with window scaling (RFC 9293 3.5 figure 7, RFC 7323 2.2): the host in
 * SYN-RECEIVED takes the peer's SYN-ACK as the ACK that completes the opening; that
 * segment's window is a SYN's, which "MUST NOT be scaled". The peer's later windows are. */
static void test_tcp_audit__simultaneous_open_synack_window_not_scaled(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_SYN);
    assert_true(b.rx[0].t.wscale_present);
    uint32_t iss = b.rx[0].t.seq;
    uint16_t hport = b.rx[0].t.src_port;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 1000, NULL, 1460};
    send_back(&b, &syn, hport, 7);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(b.rx[1].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b.rx[1].t.seq, iss);
    assert_int_equal(b.rx[1].t.ack, PEER_ISN + 1);
    assert_true(b.rx[1].t.wscale_present);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_RECEIVED);
    assert_int_equal(peer_info(k).snd_wnd, 1000);
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, iss + 1, 2000, NULL, 1460};
    send_back(&b, &synack, hport, 7);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(b.nrx, 2); /* no fifth segment */
    viv_tcp_info ti = peer_info(k);
    assert_int_equal(ti.snd_wscale, 7);
    assert_int_equal(ti.snd_una, iss + 1);
    assert_int_equal(ti.snd_wnd, 2000);
    /* A later segment's window is scaled. */
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, iss + 1, 20, NULL, 0};
    send_back(&b, &ack, hport, -1);
    peer_run(&b);
    assert_int_equal(peer_info(k).snd_wnd, 20u << 7);
    viv_tcp_close(k->s);
    tt_world_free(&b.w);
}

/* The host's connections as netstat lists them: how many, and the state of the last. */
static size_t conns(bench *b, viv_tcp_state *last)
{
    viv_sock_info rows[4];
    int n = viv_host_netstat(b->w.a, rows, 4);
    assert_true(n >= 0 && n <= 4);
    if (last && n > 0)
        *last = rows[n - 1].state;
    return (size_t)n;
}

/* RFC 9293 3.10.7.4, fifth check, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
 * ESTABLISHED ... If the segment acknowledgment is not acceptable, form a reset segment
 * <SEQ=SEG.ACK><CTL=RST> and send it." The half-open connection stays; the right ACK then
 * completes it. */
static void test_tcp_audit__syn_received_bad_ack_draws_rst(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, NULL, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460};
    send_seg(&b, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    uint32_t iss = b.rx[0].t.seq, rn = PEER_ISN + 1;
    seg ahead = {VIV_TCP_ACK, rn, iss + 5, 0, NULL, 0};
    send_seg(&b, &ahead);
    seg una = {VIV_TCP_ACK, rn, iss, 0, NULL, 0};
    send_seg(&b, &una);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 1, VIV_TCP_RST, iss + 5, 0, 0, 0);
    peer_expect(&b, 2, VIV_TCP_RST, iss, 0, 0, 0);
    viv_tcp_state st;
    assert_int_equal(conns(&b, &st), 2);
    assert_int_equal(st, VIV_TCP_SYN_RECEIVED);
    assert_int_equal(l->nchildren, 0);
    seg ack = {VIV_TCP_ACK, rn, iss + 1, 0, NULL, 0};
    send_seg(&b, &ack);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(viv_tcp_state_get(l->children[0]->s), VIV_TCP_ESTABLISHED);
    tt_world_free(&b.w);
}

/* RFC 9293 3.10.7.4, second check, SYN-RECEIVED with RFC 5961 3.2: a RST in the window but
 * not at RCV.NXT draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>; at RCV.NXT, a connection
 * from a passive open "return[s] to the LISTEN state", silently. The handshake's ACK then
 * finds no connection: the listener answers <SEQ=SEG.ACK><CTL=RST>. */
static void test_tcp_audit__syn_received_rst_returns_to_listen(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, NULL, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460};
    send_seg(&b, &syn);
    peer_run(&b);
    uint32_t iss = b.rx[0].t.seq, rn = PEER_ISN + 1;
    seg near = {VIV_TCP_RST, rn + 5, 0, 0, NULL, 0};
    send_seg(&b, &near);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, iss + 1, rn, 65535, 0);
    assert_int_equal(conns(&b, NULL), 2);
    seg exact = {VIV_TCP_RST, rn, 0, 0, NULL, 0};
    send_seg(&b, &exact);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    viv_tcp_state st;
    assert_int_equal(conns(&b, &st), 1);
    assert_int_equal(st, VIV_TCP_LISTEN);
    seg ack = {VIV_TCP_ACK, rn, iss + 1, 0, NULL, 0};
    send_seg(&b, &ack);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_RST, iss + 1, 0, 0, 0);
    assert_int_equal(l->nchildren, 0);
    tt_world_free(&b.w);
}

/* RFC 9293 3.10.7.3, SYN-SENT: an ACK with SEG.ACK =< ISS or > SND.NXT draws
 * <SEQ=SEG.ACK><CTL=RST> unless it is a reset (dropped); a RST without an ACK is dropped; a
 * RST whose ACK is acceptable refuses the connection. Nothing else changes the state. */
static void test_tcp_audit__syn_sent_checks(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    uint32_t iss = b.rx[0].t.seq;
    uint16_t hport = b.rx[0].t.src_port;
    seg rst = {VIV_TCP_RST, 5000, 0, 0, NULL, 0};
    send_back(&b, &rst, hport, -1);
    seg rst_old = {VIV_TCP_RST | VIV_TCP_ACK, 5000, iss, 0, NULL, 0};
    send_back(&b, &rst_old, hport, -1);
    seg rst_ahead = {VIV_TCP_RST | VIV_TCP_ACK, 5000, iss + 2, 0, NULL, 0};
    send_back(&b, &rst_ahead, hport, -1);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    seg ahead = {VIV_TCP_ACK, 5000, iss + 2, 0, NULL, 0};
    send_back(&b, &ahead, hport, -1);
    seg synack_old = {VIV_TCP_SYN | VIV_TCP_ACK, 5000, iss, 0, NULL, 1460};
    send_back(&b, &synack_old, hport, -1);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 1, VIV_TCP_RST, iss + 2, 0, 0, 0);
    peer_expect(&b, 2, VIV_TCP_RST, iss, 0, 0, 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    /* A bare ACK that is acceptable, without SYN or RST: "fifth, ... drop the segment". */
    seg bare = {VIV_TCP_ACK, 5000, iss + 1, 0, NULL, 0};
    send_back(&b, &bare, hport, -1);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    seg refuse = {VIV_TCP_RST | VIV_TCP_ACK, 0, iss + 1, 0, NULL, 0};
    send_back(&b, &refuse, hport, -1);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ECONNREFUSED);
    viv_tcp_close(k->s);
    tt_world_free(&b.w);
}

/* Data after the peer's FIN (CLOSE-WAIT): "This should not occur since a FIN has been
 * received from the remote side. Ignore the segment text." Its ACK is still processed
 * (fifth check), and nothing is sent in answer. */
static void test_tcp_audit__data_after_their_fin_ignored(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    seg fin = {VIV_TCP_ACK | VIV_TCP_FIN, rn, b.iss + 1, 0, NULL, 0};
    send_seg(&b, &fin);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    /* The FIN takes a number of the window too: its right edge has not moved. */
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 1, 65535 - 1, 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(c->eof, 1);
    assert_int_equal(viv_tcp_send(c->s, "hi", 2), 2);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK | VIV_TCP_PSH, b.iss + 1, rn + 1, 65535 - 1, 2);
    seg late = {VIV_TCP_ACK, rn + 1, b.iss + 3, 0, "late", 0};
    send_seg(&b, &late);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(500)), 0);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(c->nrx, 0);
    viv_tcp_info ti = peer_info(c);
    assert_int_equal(ti.snd_una, b.iss + 3);
    assert_int_equal(ti.rcv_nxt, rn + 1);
    assert_int_equal(ti.state, VIV_TCP_CLOSE_WAIT);
    tt_world_free(&b.w);
}

/* Data after our FIN (FIN-WAIT-1, the program having shut down writing only): "ESTABLISHED
 * STATE, FIN-WAIT-1 STATE, FIN-WAIT-2 STATE: ... deliver the segment text". The peer's
 * FIN with the ACK of ours then leads to TIME-WAIT. */
static void test_tcp_audit__data_after_our_fin_taken(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    assert_int_equal(viv_tcp_shutdown(c->s, VIV_SHUT_WR), 0);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK | VIV_TCP_FIN, b.iss + 1, rn, 65535, 0);
    seg d1 = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, "ab", 0};
    seg d2 = {VIV_TCP_ACK | VIV_TCP_PSH, rn + 2, b.iss + 1, 0, "cd", 0};
    send_seg(&b, &d1);
    send_seg(&b, &d2);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_FIN_WAIT_1);
    assert_int_equal(c->nrx, 4);
    assert_memory_equal(c->rx, "abcd", 4);
    assert_int_equal(b.nrx, 2); /* the second segment is acknowledged at once */
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 2, rn + 4, 65535 - 4, 0);
    seg finack = {VIV_TCP_ACK | VIV_TCP_FIN, rn + 4, b.iss + 2, 0, "e", 0};
    send_seg(&b, &finack);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_ACK, b.iss + 2, rn + 6, 65535 - 6, 0);
    assert_int_equal(c->nrx, 5);
    assert_int_equal(c->eof, 1);
    char buf[256];
    /* The fifth check (our FIN acknowledged: FIN-WAIT-2), then the eighth (TIME-WAIT). */
    assert_string_equal(tt_states(&b.w, c->s, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    tt_world_free(&b.w);
}

/* A segment to port 80 with a timestamps option. */
static void send_ts(bench *b, const seg *s, uint32_t tsval, uint32_t tsecr)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.window = s->win;
    t.mss = s->mss;
    t.ts_present = true;
    t.tsval = tsval;
    t.tsecr = tsecr;
    peer_send(b, &t, s->data, PEER_PORT, 80, 0);
}

/* The handshake with timestamps (the peer's clock at 100, 101). */
static tt_sock *handshake_ts(bench *b)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, NULL, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460};
    send_ts(b, &syn, 100, 0);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_true(b->rx[0].t.ts_present);
    assert_int_equal(b->rx[0].t.tsecr, 100);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, 0, NULL, 0};
    send_ts(b, &ack, 101, b->rx[0].t.tsval);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(peer_info(l->children[0]).ts_ok, 1);
    b->nrx = 0;
    return l->children[0];
}

/* RFC 7323 4.3 and 5.3 R3: TS.Recent takes SEG.TSval only from a segment with SEG.SEQ =<
 * Last.ACK.sent. Two segments in order under one delayed ACK: the ACK echoes the first's
 * TSval (200, not 300). A segment beyond a hole: its duplicate ACK echoes the last in-order
 * segment's (still 200). The segment filling the hole: its TSval (500) is echoed. */
static void test_tcp_audit__timestamp_echo_rules(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake_ts(&b);
    uint32_t rn = PEER_ISN + 1;
    seg a = {VIV_TCP_ACK, rn, b.iss + 1, 0, "aaaa", 0};
    seg bb = {VIV_TCP_ACK, rn + 4, b.iss + 1, 0, "bbbb", 0};
    send_ts(&b, &a, 200, 0);
    send_ts(&b, &bb, 300, 0);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 8, b.rx[0].t.window, 0);
    assert_int_equal(b.rx[0].t.tsecr, 200);
    seg d = {VIV_TCP_ACK, rn + 12, b.iss + 1, 0, "dddd", 0};
    send_ts(&b, &d, 400, 0);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(b.rx[1].t.ack, rn + 8);
    assert_int_equal(b.rx[1].t.tsecr, 200);
    seg cc = {VIV_TCP_ACK, rn + 8, b.iss + 1, 0, "cccc", 0};
    send_ts(&b, &cc, 500, 0);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[2].t.ack, rn + 16);
    assert_int_equal(b.rx[2].t.tsecr, 500);
    assert_int_equal(c->nrx, 16);
    assert_memory_equal(c->rx, "aaaabbbbccccdddd", 16);
    tt_world_free(&b.w);
}

/* RFC 7323 5.3 R1: PAWS drops a segment with an old TSval "and the RST bit is not set": a
 * reset at RCV.NXT with an old TSval still resets (RFC 7323 5.2: resets are acceptable
 * whatever their timestamp). */
static void test_tcp_audit__paws_spares_a_reset(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake_ts(&b);
    uint32_t rn = PEER_ISN + 1;
    seg a = {VIV_TCP_ACK, rn, b.iss + 1, 0, NULL, 0};
    send_ts(&b, &a, 50, 0); /* old: dropped, with an ACK */
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn, b.rx[0].t.window, 0);
    assert_int_equal(b.rx[0].t.tsecr, 101);
    seg r = {VIV_TCP_RST, rn, 0, 0, NULL, 0};
    send_ts(&b, &r, 50, 0);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSED);
    assert_int_equal(c->err, VIV_ECONNRESET);
    tt_world_free(&b.w);
}

/* The URG flag: urgent data is not supported (docs/tcp.md), so the flag and pointer are
 * ignored and the bytes are delivered in line, in order, and acknowledged as any. */
static void test_tcp_audit__urg_data_in_line(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = rn;
    t.ack = b.iss + 1;
    t.flags = VIV_TCP_ACK | VIV_TCP_URG | VIV_TCP_PSH;
    t.urgent = 2;
    peer_send(&b, &t, "abc", PEER_PORT, 80, 0);
    memset(&t, 0, sizeof t);
    t.seq = rn + 3;
    t.ack = b.iss + 1;
    t.flags = VIV_TCP_ACK | VIV_TCP_URG;
    t.urgent = 60000; /* beyond the data: no matter */
    peer_send(&b, &t, "def", PEER_PORT, 80, 0);
    peer_run(&b);
    assert_int_equal(c->nrx, 6);
    assert_memory_equal(c->rx, "abcdef", 6);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 6, 65535 - 6, 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    tt_world_free(&b.w);
}

/* RFC 5961 4.2 (RFC 9293 3.10.7.4, fourth check): "If the SYN bit is set, irrespective of
 * the sequence number, TCP endpoints MUST send a 'challenge ACK'" and drop the segment. A
 * SYN one before RCV.NXT carrying data that reaches into the window passes the first check;
 * its SYN must not be trimmed off like an old byte (its data would be taken, or, without
 * ACK, the segment dropped unanswered). */
static void test_tcp_audit__straddling_syn_draws_challenge_ack(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    uint64_t ch = peer_hstats(&b).challenge_acks;
    seg syn = {VIV_TCP_SYN, rn - 1, 0, 0, "abcd", 1460};
    send_seg(&b, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn, 65535, 0);
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, rn - 1, b.iss + 1, 0, "abcd", 1460};
    send_seg(&b, &synack);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 1, rn, 65535, 0);
    assert_int_equal(peer_hstats(&b).challenge_acks, ch + 2);
    assert_int_equal(c->nrx, 0);
    assert_int_equal(peer_info(c).rcv_nxt, rn);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    tt_world_free(&b.w);
}

/* A raw TCP segment (header of hlen bytes with its options, then data) from the device's
 * PEER_PORT to port 80: seq, ack, ACK|PSH, window 64240, checksum computed. */
static void send_raw(bench *b, uint32_t seq, uint32_t ack, const uint8_t *opt, size_t optlen,
                     const char *data)
{
    uint8_t tcp[128];
    size_t hlen = 20 + optlen, n = strlen(data);
    assert_true(optlen % 4 == 0 && hlen + n <= sizeof tcp);
    memset(tcp, 0, sizeof tcp);
    viv_wr16be(tcp, PEER_PORT);
    viv_wr16be(tcp + 2, 80);
    viv_wr32be(tcp + 4, seq);
    viv_wr32be(tcp + 8, ack);
    tcp[12] = (uint8_t)(hlen / 4) << 4;
    tcp[13] = VIV_TCP_ACK | VIV_TCP_PSH;
    viv_wr16be(tcp + 14, 64240);
    memcpy(tcp + 20, opt, optlen);
    memcpy(tcp + hlen, data, n);
    size_t len = hlen + n;
    uint64_t acc = viv__cksum_pseudo(PEER_IP, HOST_IP, VIV__IP_PROTO_TCP, (uint16_t)len);
    viv_wr16be(tcp + 16, viv__cksum_finish(viv__cksum_add(acc, tcp, len)));
    uint8_t buf[256];
    memset(buf, 0, sizeof buf);
    memcpy(buf + 34, tcp, len);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_TCP;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)len;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + len), 0);
    struct viv__eth_repr e = {b->host_mac, b->mac, VIV__ETHERTYPE_IPV4};
    size_t flen = 34 + len < 60 ? 60 : 34 + len;
    viv__eth_emit(&e, buf, flen);
    assert_int_equal(viv_device_send(b->dev, 0, buf, flen), 0);
}

/* Options of a bad length on an established connection (RFC 9293 3.1, MUST-7: "be prepared
 * to handle an illegal option length"): the segment is dropped and counted (docs/tcp.md),
 * never answered, the connection unchanged. An unknown option of a good length is skipped
 * and the segment taken. */
static void test_tcp_audit__bad_option_lengths_on_a_connection(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    uint32_t rn = PEER_ISN + 1;
    static const uint8_t ts8[8] = {1, 1, 8, 8, 0, 0, 0, 1};        /* timestamps, length 8 */
    static const uint8_t sack9[12] = {5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}; /* SACK, 9 */
    static const uint8_t zero[4] = {0x55, 0, 1, 1};                  /* a zero length */
    static const uint8_t past[4] = {1, 0x55, 4, 0};                  /* past the header */
    static const uint8_t mss3[4] = {2, 3, 5, 0};                     /* MSS, length 3 */
    uint64_t bad = peer_hstats(&b).rx_bad, segs = peer_info(c).segs_in;
    send_raw(&b, rn, b.iss + 1, ts8, sizeof ts8, "aa");
    send_raw(&b, rn, b.iss + 1, sack9, sizeof sack9, "aa");
    send_raw(&b, rn, b.iss + 1, zero, sizeof zero, "aa");
    send_raw(&b, rn, b.iss + 1, past, sizeof past, "aa");
    send_raw(&b, rn, b.iss + 1, mss3, sizeof mss3, "aa");
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(peer_hstats(&b).rx_bad, bad + 5);
    assert_int_equal(b.nrx, 0);
    assert_int_equal(c->nrx, 0);
    assert_int_equal(peer_info(c).segs_in, segs);
    static const uint8_t unknown[8] = {0x55, 6, 1, 2, 3, 4, 1, 0}; /* kind 0x55, NOP, EOL */
    send_raw(&b, rn, b.iss + 1, unknown, sizeof unknown, "ok");
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(c->nrx, 2);
    assert_memory_equal(c->rx, "ok", 2);
    assert_int_equal(b.nrx, 1); /* the delayed ACK */
    peer_expect(&b, 0, VIV_TCP_ACK, b.iss + 1, rn + 2, 65535 - 2, 0);
    tt_world_free(&b.w);
}

/* RFC 9293 3.10.7.3: data and a FIN on the SYN-ACK: "Continue processing at the sixth step":
 * the data is delivered, the FIN taken (CLOSE-WAIT), and one ACK covers both at once. */
static void test_tcp_audit__synack_with_data_and_fin(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    uint32_t iss = b.rx[0].t.seq;
    uint16_t hport = b.rx[0].t.src_port;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK | VIV_TCP_FIN, 7000, iss + 1, 0, "data", 1460};
    send_back(&b, &synack, hport, -1);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, iss + 1, 7000 + 1 + 4 + 1, 65535 - 5, 0);
    assert_int_equal(k->nrx, 4);
    assert_memory_equal(k->rx, "data", 4);
    assert_int_equal(k->eof, 1);
    char buf[256];
    assert_string_equal(tt_states(&b.w, k->s, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED CLOSE_WAIT");
    viv_tcp_close(k->s);
    tt_world_free(&b.w);
}

/* Simultaneous close (RFC 9293 3.6 figure 13): the FINs cross. In FIN-WAIT-1 the peer's FIN,
 * not acknowledging ours, leads to CLOSING with an ACK <SEQ=SND.NXT><ACK=RCV.NXT> at once;
 * the ACK of our FIN to TIME-WAIT (2 MSL = 60 s). There, the peer's FIN sent again is
 * acknowledged with the same ACK and the 2 MSL start over (eighth check, TIME-WAIT). */
static void test_tcp_audit__simultaneous_close_and_time_wait(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 0);
    const void *cs = c->s;
    uint32_t rn = PEER_ISN + 1;
    viv_tcp_close(c->s);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_expect(&b, 0, VIV_TCP_ACK | VIV_TCP_FIN, b.iss + 1, rn, 65535, 0);
    seg fin = {VIV_TCP_ACK | VIV_TCP_FIN, rn, b.iss + 1, 0, NULL, 0};
    viv_time_t t0 = viv_sim_now(b.w.sim);
    send_seg(&b, &fin);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    peer_expect(&b, 1, VIV_TCP_ACK, b.iss + 2, rn + 1, 65535 - 1, 0);
    assert_int_equal(b.rx[1].at, t0 + peer_hop(60) + peer_hop(60));
    viv_tcp_state st;
    assert_int_equal(conns(&b, &st), 2);
    assert_int_equal(st, VIV_TCP_CLOSING);
    seg ack = {VIV_TCP_ACK, rn + 1, b.iss + 2, 0, NULL, 0};
    send_seg(&b, &ack);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(conns(&b, &st), 2);
    assert_int_equal(st, VIV_TCP_TIME_WAIT);
    char buf[256];
    assert_string_equal(tt_states(&b.w, cs, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 CLOSING TIME_WAIT");
    viv_time_t t_tw = tt_state_time(&b.w, cs, VIV_TCP_TIME_WAIT);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(30)), 0);
    viv_time_t t1 = viv_sim_now(b.w.sim);
    send_seg(&b, &fin);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    peer_expect(&b, 2, VIV_TCP_ACK, b.iss + 2, rn + 1, b.rx[2].t.window, 0);
    assert_int_equal(b.rx[2].at, t1 + peer_hop(60) + peer_hop(60));
    viv_sock_info rows[2];
    assert_int_equal(viv_host_netstat(b.w.a, rows, 2), 2);
    assert_int_equal(rows[1].timer_ns, t1 + peer_hop(60) + VIV_S(60) - viv_sim_now(b.w.sim));
    /* Gone 60 s after the FIN sent again, not 60 s after TIME-WAIT began. */
    assert_int_equal(viv_sim_run_for(b.w.sim, t_tw + VIV_S(60) - viv_sim_now(b.w.sim) + 1), 0);
    assert_int_equal(conns(&b, NULL), 2);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(31)), 0);
    assert_int_equal(conns(&b, NULL), 1);
    assert_int_equal(b.nrx, 3);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit__zero_window_probe_ack_is_processed),
        TT_TEST(test_tcp_audit__zero_window_refuses_data_and_its_fin),
        TT_TEST(test_tcp_audit__zero_window_straddling_segment_ack_is_processed),
        TT_TEST(test_tcp_audit__left_edge_trimmed_fin_taken),
        TT_TEST(test_tcp_audit__right_edge_trimmed_fin_refused),
        TT_TEST(test_tcp_audit__simultaneous_open_synack_window_not_scaled),
        TT_TEST(test_tcp_audit__syn_received_bad_ack_draws_rst),
        TT_TEST(test_tcp_audit__syn_received_rst_returns_to_listen),
        TT_TEST(test_tcp_audit__syn_sent_checks),
        TT_TEST(test_tcp_audit__data_after_their_fin_ignored),
        TT_TEST(test_tcp_audit__data_after_our_fin_taken),
        TT_TEST(test_tcp_audit__timestamp_echo_rules),
        TT_TEST(test_tcp_audit__paws_spares_a_reset),
        TT_TEST(test_tcp_audit__urg_data_in_line),
        TT_TEST(test_tcp_audit__straddling_syn_draws_challenge_ack),
        TT_TEST(test_tcp_audit__bad_option_lengths_on_a_connection),
        TT_TEST(test_tcp_audit__synack_with_data_and_fin),
        TT_TEST(test_tcp_audit__simultaneous_close_and_time_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
