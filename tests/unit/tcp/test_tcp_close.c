/* Closing connections: the 4-way close both ways with FIN and FIN+ACK, TIME-WAIT (its 2 MSL,
 * the port it holds, the FIN it acknowledges again), CLOSE-WAIT that lasts as long as the
 * program does not close, simultaneous close, a FIN beyond a hole, resets for unread data
 * and aborts, a late segment after LAST-ACK, a listener's unaccepted connections, half-close,
 * and a FIN nobody acknowledges. */
#include "tcp_test.h"

static const viv_time_t MSL2 = VIV_S(60);

/* The frame of a bare FIN+ACK or ACK: 54 bytes, 60 on the wire. */
static viv_time_t hop0(void)
{
    return tt_hop(tt_frame(0, 0));
}
/* A FIN sent at the same instant as an ACK waits for its serialization on the link. */
static viv_time_t q0(void)
{
    return tt_ser(60);
}

/* The client closes first: FIN, ACK, then the server's FIN (its program closes when it
 * reads the end of the stream), and the client's last ACK. The client holds TIME-WAIT for
 * 2 MSL (60 s) as an orphan, listed by netstat with its timer. */
static void test_tcp_close__client_first(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(child->nrx, 5);
    const void *cs = cli->s, *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a F. 6:0 ack 1\n"
                                                             "b . 1:0 ack 7\n"
                                                             "b F. 1:0 ack 7\n"
                                                             "a . 7:0 ack 2\n");
    assert_int_equal(w.seg[first].t, t1);
    assert_int_equal(w.seg[first + 1].t, t1 + hop0());
    assert_int_equal(w.seg[first + 2].t, t1 + hop0());
    assert_int_equal(w.seg[first + 3].t, t1 + 2 * hop0() + q0());
    assert_int_equal(child->t_eof, t1 + hop0());
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    viv_time_t tw = tt_state_time(&w, cs, VIV_TCP_TIME_WAIT);
    assert_int_equal(tw, t1 + 2 * hop0() + q0());
    assert_int_equal(tt_state_time(&w, ss, VIV_TCP_CLOSED), t1 + 3 * hop0() + q0());
    /* TIME-WAIT in netstat, with its timer. */
    char text[2048];
    assert_true(viv_host_netstat_text(w.a, VIV_NETSTAT_TIMERS, text, sizeof text) > 0);
    char want[160];
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.a, rows, 4), 1);
    assert_int_equal(rows[0].state, VIV_TCP_TIME_WAIT);
    assert_int_equal(rows[0].timer, VIV_TIMER_TIMEWAIT);
    assert_int_equal(rows[0].timer_ns, tw + MSL2 - viv_sim_now(w.sim));
    snprintf(want, sizeof want,
             "tcp        0      0 10.0.0.1:%-14u 10.0.0.2:80             "
             "TIME_WAIT   timewait (59.00/0/0)\n",
             rows[0].local.port);
    if (!strstr(text, want))
        fail_msg("%s\nwanted: %s", text, want);
    /* It ends 2 MSL after it began, and nothing is left. */
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_CLOSED), tw + MSL2);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1); /* the listener */
    assert_int_equal(cli->calls, 1); /* CONNECTED only: no callback after close */
    tt_world_free(&w);
}

/* The server closes first: the server holds TIME-WAIT, the client goes through CLOSE-WAIT
 * and LAST-ACK (its program closes when it reads the end). */
static void test_tcp_close__server_first(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    cli->close_on_eof = 1;
    const void *cs = cli->s, *ss = child->s;
    size_t first = w.nseg;
    viv_tcp_close(child->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b F. 1:0 ack 1\n"
                                                             "a . 1:0 ack 2\n"
                                                             "a F. 1:0 ack 2\n"
                                                             "b . 2:0 ack 2\n");
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 2);
    assert_int_equal(rows[1].state, VIV_TCP_TIME_WAIT);
    assert_int_equal(rows[1].local.port, 80);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1);
    tt_world_free(&w);
}

/* TIME-WAIT holds the client's address: a new bind to it fails with EADDRINUSE until 2 MSL
 * are over, unless the new socket sets reuse_addr (and then connecting to the same peer
 * again is refused: that connection still exists). */
static void test_tcp_close__time_wait_holds_the_port(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    srv->child_close_on_eof = 1;
    tt_sock *cli = tt_sock_new(&w);
    assert_int_equal(viv_tcp_new(&cli->s, w.a, NULL, tt_sock_cb, cli), 0);
    viv_sockaddr_t mine = tt_sa(TT_A, 5555), peer = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_bind(cli->s, &mine), 0);
    assert_int_equal(viv_tcp_connect(cli->s, &peer), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    const void *cs = cli->s;
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_time_t tw = tt_state_time(&w, cs, VIV_TCP_TIME_WAIT);
    assert_int_not_equal(tw, VIV_TIME_NEVER);

    viv_tcp_t *n1, *n2, *n3;
    assert_int_equal(viv_tcp_new(&n1, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(n1, &mine), VIV_EADDRINUSE);
    viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 5555);
    assert_int_equal(viv_tcp_bind(n1, &any), VIV_EADDRINUSE);
    viv_tcp_opts ro = VIV_TCP_OPTS_INIT;
    ro.reuse_addr = 1;
    assert_int_equal(viv_tcp_new(&n2, w.a, &ro, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(n2, &mine), 0);
    assert_int_equal(viv_tcp_connect(n2, &peer), VIV_EADDRINUSE);
    viv_tcp_close(n2);

    /* One nanosecond before the end: still held. At the end: free. */
    assert_int_equal(viv_sim_run_until(w.sim, tw + MSL2 - 1), 0);
    assert_int_equal(viv_tcp_bind(n1, &mine), VIV_EADDRINUSE);
    assert_int_equal(viv_sim_run_until(w.sim, tw + MSL2), 0);
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_CLOSED), tw + MSL2);
    assert_int_equal(viv_tcp_bind(n1, &mine), 0);
    assert_int_equal(viv_tcp_connect(n1, &peer), VIV_EINPROGRESS);
    viv_tcp_close(n1);

    /* A shorter MSL (per host) shortens TIME-WAIT. */
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    t.msl_ns = VIV_S(1);
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(500)), 0);
    assert_int_equal(viv_tcp_new(&n3, w.a, NULL, NULL, NULL), 0);
    size_t nst = w.nst;
    tt_sock *c2 = tt_sock_new(&w);
    c2->s = n3;
    assert_int_equal(viv_tcp_set_cb(n3, tt_sock_cb, c2), 0);
    assert_int_equal(viv_tcp_connect(n3, &peer), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_tcp_close(n3);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_time_t tw2 = VIV_TIME_NEVER, end2 = VIV_TIME_NEVER;
    for (size_t i = nst; i < w.nst; i++)
        if (w.st[i].sock == (const void *)n3 && w.st[i].state == VIV_TCP_TIME_WAIT)
            tw2 = w.st[i].t;
    assert_int_not_equal(tw2, VIV_TIME_NEVER);
    assert_int_equal(viv_sim_run(w.sim), 0);
    for (size_t i = nst; i < w.nst; i++)
        if (w.st[i].sock == (const void *)n3 && w.st[i].state == VIV_TCP_CLOSED)
            end2 = w.st[i].t;
    assert_int_equal(end2, tw2 + VIV_S(2));
    tt_world_free(&w);
}

/* The client's last ACK is lost: the server retransmits its FIN from LAST-ACK after its RTO
 * (200 ms); the client, in TIME-WAIT, acknowledges it again and starts its 2 MSL over, so
 * TIME-WAIT lasts longer than 60 s. */
static void test_tcp_close__lost_last_ack_reacked_in_time_wait(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    /* The a->b bare ACKs: the handshake's third, then the last ACK of the close. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN | VIV_TCP_FIN | VIV_TCP_RST | VIV_TCP_PSH;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 2), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    const void *cs = cli->s, *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a F. 1:0 ack 1\n"
                                                             "b . 1:0 ack 2\n"
                                                             "b F. 1:0 ack 2\n"
                                                             "a . 2:0 ack 2\n" /* lost */
                                                             "b F. 1:0 ack 2\n"
                                                             "a . 2:0 ack 2\n");
    viv_time_t fin = t1 + hop0();
    assert_int_equal(w.seg[first + 4].t, fin + VIV_MS(200));
    assert_int_equal(w.nrexmit, 1);
    viv_time_t tw = tt_state_time(&w, cs, VIV_TCP_TIME_WAIT);
    assert_int_equal(tw, fin + hop0() + q0());
    viv_time_t again = fin + VIV_MS(200) + hop0(); /* the second FIN arrives */
    assert_int_equal(w.seg[first + 5].t, again);
    assert_int_equal(tt_state_time(&w, ss, VIV_TCP_CLOSED), again + hop0());
    assert_int_equal(viv_sim_run(w.sim), 0);
    viv_time_t end = tt_state_time(&w, cs, VIV_TCP_CLOSED);
    assert_int_equal(end, again + MSL2);
    assert_true(end - tw > MSL2);
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    tt_world_free(&w);
}

/* The server's program reads the end of the stream and never closes: its connection stays in
 * CLOSE-WAIT for an hour (and more), with no timer and no segment; the client, an orphan in
 * FIN-WAIT-2, is forgotten after 60 s. When the server closes at last, its FIN finds no
 * connection and draws a reset. */
static void test_tcp_close__close_wait_for_an_hour(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    const void *cs = cli->s;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(3600)), 0);
    assert_int_equal(viv_sim_now(w.sim), t1 + VIV_S(3600));
    assert_int_equal(child->eof, 1);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_CLOSE_WAIT);
    char buf[1024];
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 CLOSED");
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_CLOSED),
                     tt_state_time(&w, cs, VIV_TCP_FIN_WAIT_2) + VIV_S(60));
    char text[1024];
    assert_true(viv_host_netstat_text(w.b, VIV_NETSTAT_TIMERS, text, sizeof text) > 0);
    assert_non_null(strstr(text, "CLOSE_WAIT  off (0.00/0/0)"));
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    size_t n = w.nseg;
    assert_int_equal(viv_sim_pending(w.sim), 0); /* nothing scheduled at all */
    viv_tcp_close(child->s);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(w.nseg - n, 2);
    assert_int_equal(w.seg[n].flags, VIV_TCP_FIN | VIV_TCP_ACK);
    assert_null(w.seg[n + 1].sock); /* host a forgot the connection */
    assert_int_equal(w.seg[n + 1].flags, VIV_TCP_RST);
    assert_int_equal(w.seg[n + 1].raw_seq, w.seg[n].raw_ack);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1);
    tt_world_free(&w);
}

/* Both close at the same instant: the FINs cross, both go through CLOSING and both hold
 * TIME-WAIT. */
static void test_tcp_close__simultaneous_close(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    const void *cs = cli->s, *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    viv_tcp_close(child->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a F. 1:0 ack 1\n"
                                                             "b F. 1:0 ack 1\n"
                                                             "b . 2:0 ack 2\n"
                                                             "a . 2:0 ack 2\n");
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED FIN_WAIT1 CLOSING TIME_WAIT");
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 CLOSING TIME_WAIT");
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_TIME_WAIT), t1 + 2 * hop0());
    assert_int_equal(tt_state_time(&w, ss, VIV_TCP_TIME_WAIT), t1 + 2 * hop0());
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 1);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 2);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_CLOSED), t1 + 2 * hop0() + MSL2);
    assert_int_equal(tt_state_time(&w, ss, VIV_TCP_CLOSED), t1 + 2 * hop0() + MSL2);
    tt_world_free(&w);
}

/* A FIN that arrives before data that was lost takes effect only once the hole is filled:
 * the server stays ESTABLISHED until the retransmission comes, then reads everything in
 * order, then the end. */
static void test_tcp_close__fin_beyond_a_hole(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_PSH;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.nodelay = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &o, NULL, &cli, &child, NULL);
    const void *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    assert_int_equal(viv_tcp_send(cli->s, "AAAA", 4), 4);
    assert_int_equal(viv_tcp_send(cli->s, "BBBB", 4), 4);
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_sim_run_until(w.sim, t1 + VIV_MS(150)), 0);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(child->nrx, 0);
    assert_int_equal(child->eof, 0);
    assert_int_equal(viv_sim_run_until(w.sim, t1 + VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf),
                        "a P. 1:4 ack 1\n" /* lost */
                        "a P. 5:4 ack 1\n"
                        "a F. 9:0 ack 1\n"
                        "b . 1:0 ack 1\n" /* duplicate ACKs: the hole */
                        "b . 1:0 ack 1\n"
                        "a FP. 1:8 ack 1\n" /* the timeout: sent again from the hole */
                        "b . 1:0 ack 10\n");
    viv_time_t rexmit = w.seg[first + 5].t;
    assert_int_equal(rexmit, t1 + VIV_MS(200));
    viv_time_t fill = rexmit + tt_hop(tt_frame(8, 0));
    assert_int_equal(tt_state_time(&w, ss, VIV_TCP_CLOSE_WAIT), fill);
    assert_int_equal(child->nrx, 8);
    assert_memory_equal(child->rx, "AAAABBBB", 8);
    assert_int_equal(child->eof, 1);
    assert_int_equal(child->t_eof, fill);
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, w.b), 0);
    assert_int_equal(st.rx_ooo, 1);
    tt_world_free(&w);
}

/* Closing with data received and not read sends a reset, not a FIN (RFC 1122 4.2.2.13):
 * the client hears ECONNRESET; neither side waits in TIME-WAIT. */
static void test_tcp_close__unread_data_resets(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->drain = 0;
    assert_int_equal(viv_tcp_send(cli->s, "unread", 6), 6);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    const void *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(child->s);
    assert_int_equal(viv_sim_run(w.sim), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b R. 1:0 ack 7\n");
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf), "LISTEN SYN_RECV ESTABLISHED CLOSED");
    assert_int_equal(cli->err, VIV_ECONNRESET);
    assert_int_equal(cli->t_error, t1 + hop0());
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_EPIPE);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1);
    tt_world_free(&w);
}

/* Abort: a reset at once, no FIN and no TIME-WAIT; linger 0 does the same on close. */
static void test_tcp_close__abort_and_linger0(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    const void *cs = cli->s;
    size_t first = w.nseg;
    viv_tcp_abort(cli->s);
    char buf[1024];
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf), "CLOSED SYN_SENT ESTABLISHED CLOSED");
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a R. 1:0 ack 1\n");
    assert_int_equal(child->err, VIV_ECONNRESET);

    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.linger0 = 1;
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, &o);
    (void)c2;
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    first = w.nseg;
    viv_tcp_close(c2->s);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a R. 1:0 ack 1\n");
    tt_world_free(&w);
}

/* Intercept: a copy of the client's FIN arrives again 500 ms later. */
static viv_verdict dup_fin(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                           const viv_frame_info *info, viv_time_t *delay_ns, void *user)
{
    int *done = user;
    (void)link;
    (void)dir;
    (void)frame;
    (void)len;
    if (*done || !(info->tcp_flags & VIV_TCP_FIN))
        return VIV_VERDICT_DELIVER;
    *done = 1;
    *delay_ns = VIV_MS(500);
    return VIV_VERDICT_DUPLICATE;
}

/* After LAST-ACK the connection is gone: a late copy of the client's FIN draws a reset from
 * the server's host. The client, in TIME-WAIT, takes no harm: that reset is not at its
 * RCV.NXT and is outside its window. */
static void test_tcp_close__late_segment_after_last_ack_draws_rst(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    int done = 0;
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, dup_fin, &done), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    const void *cs = cli->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_int_equal(w.nseg - first, 5);
    const tt_seg *r = &w.seg[first + 4];
    assert_null(r->sock);
    assert_int_equal(r->from, 1);
    assert_int_equal(r->flags, VIV_TCP_RST);
    assert_int_equal(r->t, t1 + hop0() + VIV_MS(500));
    assert_int_equal(r->raw_seq, w.seg[first].raw_ack); /* <SEQ=SEG.ACK> of the copy */
    assert_int_equal(viv_tcp_state_get(NULL), VIV_TCP_CLOSED);
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    viv_sock_info rows[2];
    assert_int_equal(viv_host_netstat(w.a, rows, 2), 1);
    assert_int_equal(rows[0].state, VIV_TCP_TIME_WAIT);
    assert_int_equal(viv_sim_run(w.sim), 0);
    tt_world_free(&w);
}

/* A listener closed with connections nobody accepted resets them all: the established one
 * and the one still in its handshake. */
static void test_tcp_close__listener_close_resets_unaccepted(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    tt_sock *c1 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    /* The second client's third ACK is lost: its server side stays in SYN-RECEIVED. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->all, VIV_EV_ACCEPTABLE);
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 3);
    assert_int_equal(rows[1].state, VIV_TCP_ESTABLISHED);
    assert_int_equal(rows[2].state, VIV_TCP_SYN_RECEIVED);
    size_t first = w.nseg;
    viv_tcp_close(srv->s);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b R. 1:0 ack 1\n"
                                                             "b R. 1:0 ack 1\n");
    assert_int_equal(c1->err, VIV_ECONNRESET);
    assert_int_equal(c2->err, VIV_ECONNRESET);
    tt_world_free(&w);
}

/* Half-close: the client shuts down its sending side; it can no longer send (EPIPE) and
 * still receives everything the server sends, then the server's FIN. The client's program
 * holds its socket through TIME-WAIT and hears CLOSED at its end. */
static void test_tcp_close__half_close(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_EPIPE);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_FIN_WAIT_2);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(child->eof, 1);
    static uint8_t data[10000];
    tt_pattern(data, sizeof data, 3);
    assert_int_equal(viv_tcp_send(child->s, data, sizeof data), (int)sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(cli->nrx, sizeof data);
    assert_memory_equal(cli->rx, data, sizeof data);
    assert_int_equal(cli->eof, 0);
    viv_tcp_close(child->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(cli->eof, 1);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_TIME_WAIT);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    assert_true(cli->all & VIV_EV_CLOSED);
    assert_int_equal(cli->err, 0);
    viv_tcp_close(cli->s);
    tt_world_free(&w);
}

/* A FIN nobody acknowledges is retransmitted with exponential backoff, and the connection is
 * given up after the retry budget (3 here): RTO 200 ms, then 400, 800, 1600. */
static void test_tcp_close__fin_retransmitted_then_given_up(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    t.retries = 3;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    const void *cs = cli->s;
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_until(w.sim, t1 + VIV_MS(700)), 0);
    char text[1024];
    assert_true(viv_host_netstat_text(w.a, VIV_NETSTAT_TIMERS, text, sizeof text) > 0);
    assert_non_null(strstr(text, "FIN_WAIT1   on (0.70/2/0)"));
    assert_int_equal(viv_sim_run_until(w.sim, t1 + VIV_S(10)), 0);
    assert_int_equal(w.nseg - first, 4);
    static const viv_time_t at[4] = {0, VIV_MS(200), VIV_MS(600), VIV_MS(1400)};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w.seg[first + (size_t)i].flags, VIV_TCP_FIN | VIV_TCP_ACK);
        assert_int_equal(w.seg[first + (size_t)i].t, t1 + at[i]);
    }
    assert_int_equal(tt_state_time(&w, cs, VIV_TCP_CLOSED), t1 + VIV_MS(3000));
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, w.a), 0);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    tt_world_free(&w);
}

/* New data for a connection the program has closed: nobody will read it, so the host says
 * so with a reset (RFC 1122 4.2.2.13) and forgets the connection; the sender hears
 * ECONNRESET. */
static void test_tcp_close__data_after_close_draws_rst(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    const void *cs = cli->s;
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_CLOSE_WAIT);
    size_t first = w.nseg;
    assert_int_equal(viv_tcp_send(child->s, "late", 4), 4);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    char buf[512];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b P. 1:4 ack 2\n"
                                                             "a R. 2:0 ack 1\n");
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf),
                        "CLOSED SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 CLOSED");
    assert_int_equal(child->err, VIV_ECONNRESET);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_close__client_first),
        TT_TEST(test_tcp_close__server_first),
        TT_TEST(test_tcp_close__time_wait_holds_the_port),
        TT_TEST(test_tcp_close__lost_last_ack_reacked_in_time_wait),
        TT_TEST(test_tcp_close__close_wait_for_an_hour),
        TT_TEST(test_tcp_close__simultaneous_close),
        TT_TEST(test_tcp_close__fin_beyond_a_hole),
        TT_TEST(test_tcp_close__unread_data_resets),
        TT_TEST(test_tcp_close__abort_and_linger0),
        TT_TEST(test_tcp_close__late_segment_after_last_ack_draws_rst),
        TT_TEST(test_tcp_close__listener_close_resets_unaccepted),
        TT_TEST(test_tcp_close__half_close),
        TT_TEST(test_tcp_close__fin_retransmitted_then_given_up),
        TT_TEST(test_tcp_close__data_after_close_draws_rst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
