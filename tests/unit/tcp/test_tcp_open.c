/* Opening connections: the 3-way handshake on the wire with exact times, the states each
 * side goes through, refused and timed-out connects, simultaneous open, the MSS option, a
 * handshake completed by data, close in SYN-SENT, and a full backlog. */
#include "tcp_test.h"

/* The handshake: SYN at t0, SYN-ACK one hop later, ACK one more hop later; the client is
 * CONNECTED when the SYN-ACK arrives, the server's connection ACCEPTABLE when the ACK does. */
static void test_tcp_open__handshake_segments_and_times(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    viv_time_t t0 = viv_sim_now(w.sim);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.fixed_isn = 1;
    o.isn = 1000;
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, &o);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_SYN_SENT);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);

    viv_time_t syn = tt_hop(tt_frame(0, 4)); /* 58 bytes, 60 on the wire */
    viv_time_t ack = tt_hop(tt_frame(0, 0));
    char buf[2048];
    assert_string_equal(tt_segs(&w, 0, buf, sizeof buf), "a S 0:0\n"
                                                         "b S. 0:0 ack 1\n"
                                                         "a . 1:0 ack 1\n");
    assert_int_equal(w.seg[0].t, t0);
    assert_int_equal(w.seg[0].raw_seq, 1000);
    assert_int_equal(w.seg[0].win, 65535);
    assert_int_equal(w.seg[1].t, t0 + syn);
    assert_int_equal(w.seg[2].t, t0 + 2 * syn);
    assert_int_equal(cli->t_connected, t0 + 2 * syn);
    assert_int_equal(cli->ev[0], VIV_EV_CONNECTED | VIV_EV_WRITABLE);
    assert_int_equal(srv->ev[0], VIV_EV_ACCEPTABLE);
    assert_int_equal(srv->t[0], t0 + 2 * syn + ack);
    assert_int_equal(srv->nchildren, 1);
    tt_sock *child = srv->children[0];
    assert_int_equal(child->t_connected, t0 + 2 * syn + ack);
    assert_string_equal(tt_states(&w, cli->s, buf, sizeof buf), "CLOSED SYN_SENT ESTABLISHED");
    assert_string_equal(tt_states(&w, child->s, buf, sizeof buf), "LISTEN SYN_RECV ESTABLISHED");
    assert_string_equal(tt_states(&w, srv->s, buf, sizeof buf), "CLOSED LISTEN");

    viv_tcp_info ci, si;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(viv_tcp_info_get(&si, child->s), 0);
    assert_int_equal(ci.state, VIV_TCP_ESTABLISHED);
    assert_int_equal(ci.iss, 1000);
    assert_int_equal(ci.snd_una, 1001);
    assert_int_equal(ci.snd_nxt, 1001);
    assert_int_equal(ci.irs, si.iss);
    assert_int_equal(si.irs, 1000);
    assert_int_equal(si.rcv_nxt, 1001);
    assert_int_equal(ci.snd_mss, 1460);
    assert_int_equal(ci.rcv_mss, 1460);
    assert_int_equal(ci.snd_wnd, 65535);
    /* One round trip measured from the SYN: RTO = max(200 ms, SRTT + 4 RTTVAR). */
    assert_int_equal(ci.srtt_ns, 2 * syn);
    assert_int_equal(ci.rttvar_ns, syn);
    assert_int_equal(ci.rto_ns, VIV_MS(200));
    assert_int_equal(ci.timer_ns[VIV_TCP_TIMER_RTO], VIV_TIME_NEVER);

    viv_sockaddr_t la, pa;
    assert_int_equal(viv_tcp_local(&la, child->s), 0);
    assert_int_equal(viv_tcp_peer(&pa, child->s), 0);
    assert_int_equal(la.ip, TT_B);
    assert_int_equal(la.port, 80);
    assert_int_equal(pa.ip, TT_A);
    assert_int_equal(viv_tcp_local(&la, cli->s), 0);
    assert_int_equal(pa.port, la.port);
    assert_true(la.port >= 49152);
    tt_world_free(&w);
}

/* A SYN to a port nobody listens on draws RST+ACK; the client hears ECONNREFUSED when it
 * arrives, and its connection is CLOSED. */
static void test_tcp_open__refused(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 81, NULL);
    assert_int_equal(viv_sim_run(w.sim), 0);
    char buf[1024];
    assert_int_equal(w.nseg, 2);
    assert_int_equal(w.seg[0].flags, VIV_TCP_SYN);
    assert_null(w.seg[1].sock); /* host b has no socket for it: numbers are raw */
    assert_int_equal(w.seg[1].flags, VIV_TCP_RST | VIV_TCP_ACK);
    assert_int_equal(w.seg[1].raw_seq, 0);
    assert_int_equal(w.seg[1].raw_ack, w.seg[0].raw_seq + 1);
    viv_time_t hop = tt_hop(tt_frame(0, 4));
    assert_int_equal(cli->t_error, t0 + hop + tt_hop(tt_frame(0, 0)));
    assert_int_equal(cli->err, VIV_ECONNREFUSED);
    assert_int_equal(cli->ev[0], VIV_EV_ERROR | VIV_EV_CLOSED);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    assert_string_equal(tt_states(&w, cli->s, buf, sizeof buf), "CLOSED SYN_SENT CLOSED");
    /* Once the error is read, the socket says it is over. */
    assert_int_equal(viv_tcp_error(cli->s), 0);
    uint8_t b1[4];
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_EPIPE);
    assert_int_equal(viv_tcp_recv(cli->s, b1, sizeof b1), 0);
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, w.a), 0);
    assert_int_equal(st.active_opens, 1);
    assert_int_equal(st.attempt_fails, 1);
    assert_int_equal(viv_host_tcp_stats(&st, w.b), 0);
    assert_int_equal(st.rx_no_socket, 1);
    assert_int_equal(st.tx_rst, 1);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    tt_world_free(&w);
}

/* A SYN nobody answers is sent again after 1, 2, 4, 8, 16 and 32 s (six retries, Linux's
 * default), and connect gives up with ETIMEDOUT 64 s after the last: 127 s in all. */
static void test_tcp_open__syn_retries_then_etimedout(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_S(4)), 0);
    /* Two retransmissions so far, the third due at t0 + 7 s. */
    char text[1024];
    assert_true(viv_host_netstat_text(w.a, VIV_NETSTAT_TIMERS, text, sizeof text) > 0);
    assert_non_null(strstr(text, "SYN_SENT    on (3.00/2/0)"));
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(w.nseg, 7);
    static const int at[7] = {0, 1, 3, 7, 15, 31, 63};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(w.seg[i].flags, VIV_TCP_SYN);
        assert_int_equal(w.seg[i].seq, 0);
        assert_int_equal(w.seg[i].t, t0 + VIV_S(at[i]));
    }
    assert_int_equal(w.nrexmit, 6);
    assert_int_equal(cli->t_error, t0 + VIV_S(127));
    assert_int_equal(cli->err, VIV_ETIMEDOUT);
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, cli->s), 0);
    assert_int_equal(ti.retransmits, 6);
    assert_int_equal(ti.state, VIV_TCP_CLOSED);
    tt_world_free(&w);
}

/* The budget is a tunable: two retries, then ETIMEDOUT after 1 + 2 + 4 s. */
static void test_tcp_open__syn_retry_budget_tunable(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    assert_int_equal(t.syn_retries, 6);
    assert_int_equal(t.msl_ns, VIV_S(30));
    t.syn_retries = 2;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(w.nseg, 3);
    assert_int_equal(cli->t_error, t0 + VIV_S(7));
    assert_int_equal(cli->err, VIV_ETIMEDOUT);
    t.rto_min_ns = 0;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), VIV_EINVAL);
    tt_world_free(&w);
}

/* The simulation's tunables apply to every host without its own, made before or after; a
 * host's own override them, and NULL gives them back. */
static void test_tcp_open__sim_tunables(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = tt_host(sim, "h1", TT_A);
    viv_tcp_tunables t, r;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
    assert_int_equal(t.msl_ns, VIV_S(30));
    assert_int_equal(t.rto_min_ns, VIV_MS(200));
    assert_int_equal(t.syn_retries, 6);
    assert_int_equal(t.retries, 15);
    assert_int_equal(t.fin_timeout_ns, VIV_S(60));
    assert_int_equal(t.initial_window, 10);
    t.msl_ns = VIV_S(5);
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    viv_host_t *h2 = tt_host(sim, "h2", TT_B);
    assert_int_equal(viv_host_tcp_tunables_get(&r, h1), 0);
    assert_int_equal(r.msl_ns, VIV_S(5));
    assert_int_equal(viv_host_tcp_tunables_get(&r, h2), 0);
    assert_int_equal(r.msl_ns, VIV_S(5));
    viv_tcp_tunables own = t;
    own.msl_ns = VIV_S(1);
    assert_int_equal(viv_host_set_tcp_tunables(h2, &own), 0);
    t.msl_ns = VIV_S(7);
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    assert_int_equal(viv_host_tcp_tunables_get(&r, h1), 0);
    assert_int_equal(r.msl_ns, VIV_S(7));
    assert_int_equal(viv_host_tcp_tunables_get(&r, h2), 0);
    assert_int_equal(r.msl_ns, VIV_S(1));
    assert_int_equal(viv_host_set_tcp_tunables(h2, NULL), 0);
    assert_int_equal(viv_host_tcp_tunables_get(&r, h2), 0);
    assert_int_equal(r.msl_ns, VIV_S(7));
    assert_int_equal(viv_sim_set_tcp_tunables(sim, NULL), 0);
    assert_int_equal(viv_host_tcp_tunables_get(&r, h2), 0);
    assert_int_equal(r.msl_ns, VIV_S(30));
    t.initial_window = 65536;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), VIV_EINVAL);
    t.initial_window = 0; /* RFC 5681's rule */
    t.cc = NULL;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), VIV_EINVAL);
    t.cc = &viv_tcp_cc_newreno;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    viv_tcp_tunables rfc;
    viv_tcp_tunables_rfc(&rfc);
    assert_int_equal(rfc.rto_min_ns, VIV_S(1));
    assert_int_equal(rfc.initial_window, 0);
    assert_ptr_equal(rfc.cc, &viv_tcp_cc_newreno);
    assert_int_equal(rfc.sack, 0);
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &rfc), 0);
    t.rto_initial_ns = VIV_MS(100); /* below the minimum */
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), VIV_EINVAL);
    assert_int_equal(viv_sim_set_tcp_tunables(NULL, &t), VIV_EINVAL);
}

/* Both ends connect to each other at the same instant: SYN, SYN, then SYN-ACK, SYN-ACK, and
 * both are ESTABLISHED through SYN-RECEIVED, with no third segment. */
static void test_tcp_open__simultaneous_open(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *ka = tt_sock_new(&w), *kb = tt_sock_new(&w);
    assert_int_equal(viv_tcp_new(&ka->s, w.a, NULL, tt_sock_cb, ka), 0);
    assert_int_equal(viv_tcp_new(&kb->s, w.b, NULL, tt_sock_cb, kb), 0);
    viv_sockaddr_t pa = tt_sa(TT_A, 5000), pb = tt_sa(TT_B, 6000);
    assert_int_equal(viv_tcp_bind(ka->s, &pa), 0);
    assert_int_equal(viv_tcp_bind(kb->s, &pb), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    assert_int_equal(viv_tcp_connect(ka->s, &pb), VIV_EINPROGRESS);
    assert_int_equal(viv_tcp_connect(kb->s, &pa), VIV_EINPROGRESS);
    assert_int_equal(viv_tcp_connect(kb->s, &pa), VIV_EALREADY);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, 0, buf, sizeof buf), "a S 0:0\n"
                                                         "b S 0:0\n"
                                                         "b S. 0:0 ack 1\n"
                                                         "a S. 0:0 ack 1\n");
    viv_time_t hop = tt_hop(tt_frame(0, 4));
    assert_int_equal(ka->t_connected, t0 + 2 * hop);
    assert_int_equal(kb->t_connected, t0 + 2 * hop);
    assert_string_equal(tt_states(&w, ka->s, buf, sizeof buf),
                        "CLOSED SYN_SENT SYN_RECV ESTABLISHED");
    assert_string_equal(tt_states(&w, kb->s, buf, sizeof buf),
                        "CLOSED SYN_SENT SYN_RECV ESTABLISHED");
    assert_int_equal(viv_tcp_connect(ka->s, &pb), VIV_EISCONN);
    /* Data flows both ways. */
    assert_int_equal(viv_tcp_send(ka->s, "ping", 4), 4);
    assert_int_equal(viv_tcp_send(kb->s, "pong", 4), 4);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(kb->nrx, 4);
    assert_memory_equal(kb->rx, "ping", 4);
    assert_int_equal(ka->nrx, 4);
    assert_memory_equal(ka->rx, "pong", 4);
    tt_world_free(&w);
}

/* The MSS option: each side announces its own (MTU - 40, or the option) and sends segments
 * no larger than the smaller of the two. */
static void test_tcp_open__mss_option_honoured(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.mss = 1000;
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, &o);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->nchildren, 1);
    tt_sock *child = srv->children[0];
    viv_tcp_info ci, si;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(viv_tcp_info_get(&si, child->s), 0);
    assert_int_equal(ci.rcv_mss, 1000);
    assert_int_equal(ci.snd_mss, 1000);
    assert_int_equal(si.rcv_mss, 1460);
    assert_int_equal(si.snd_mss, 1000);
    static uint8_t data[2500];
    tt_pattern(data, sizeof data, 7);
    size_t first = w.nseg;
    assert_int_equal(viv_tcp_send(child->s, data, sizeof data), (int)sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b . 1:1000 ack 1\n"
                                                             "b . 1001:1000 ack 1\n"
                                                             "b P. 2001:500 ack 1\n"
                                                             "a . 1:0 ack 2001\n"
                                                             "a . 1:0 ack 2501\n");
    assert_int_equal(cli->nrx, sizeof data);
    assert_memory_equal(cli->rx, data, sizeof data);
    tt_world_free(&w);
}

/* The third ACK of the handshake is lost: the client's first data segment completes it. */
static void test_tcp_open__third_ack_lost_data_completes(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(srv->nchildren, 0); /* the server's side is still in SYN-RECEIVED */
    assert_int_equal(srv->calls, 0);
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    viv_time_t tdata = viv_sim_now(w.sim);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_MS(500)), 0);
    assert_int_equal(srv->nchildren, 1);
    tt_sock *child = srv->children[0];
    assert_int_equal(child->nrx, 5);
    assert_memory_equal(child->rx, "hello", 5);
    viv_time_t arrive = tdata + tt_hop(tt_frame(5, 0));
    assert_int_equal(srv->t[0], arrive);
    assert_string_equal(tt_states(&w, child->s, (char[256]){0}, 256),
                        "LISTEN SYN_RECV ESTABLISHED");
    for (size_t i = 0; i < w.nst; i++)
        if (w.st[i].sock == child->s && w.st[i].state == VIV_TCP_ESTABLISHED)
            assert_int_equal(w.st[i].t, arrive);
    /* No SYN-ACK was retransmitted: the data came before the server's timer (1 s). */
    assert_int_equal(w.nrexmit, 0);
    tt_world_free(&w);
}

/* Closing a socket in SYN-SENT forgets it without a segment; the SYN-ACK that comes later
 * finds no connection and draws a reset, which sends the server's half-open connection
 * back to LISTEN: nobody ever hears of it. */
static void test_tcp_open__close_in_syn_sent(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    const void *cs = cli->s;
    viv_tcp_close(cli->s);
    char buf[1024];
    /* (Checked now: the socket's memory may serve a later one.) */
    assert_string_equal(tt_states(&w, cs, buf, sizeof buf), "CLOSED SYN_SENT CLOSED");
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(w.nseg, 3);
    assert_int_equal(w.seg[1].flags, VIV_TCP_SYN | VIV_TCP_ACK);
    /* Host a no longer has the connection: <SEQ=SEG.ACK><CTL=RST>. */
    assert_null(w.seg[2].sock);
    assert_int_equal(w.seg[2].flags, VIV_TCP_RST);
    assert_int_equal(w.seg[2].raw_seq, w.seg[1].raw_ack);
    assert_int_equal(srv->calls, 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1); /* the listener alone */
    assert_int_equal(cli->calls, 0);
    tt_world_free(&w);
}

/* A listener with a backlog of 1 whose program does not accept. The second SYN finds the
 * backlog full of a connection still in its handshake: it is answered with a SYN cookie
 * (RFC 4987 3.6) and nothing is kept. Its client is established on its side, but by the time
 * its ACK returns the cookie the first connection waits in the accept queue, which is full:
 * the ACK is dropped (counted). Once the first connection is accepted, the second client's
 * data brings the cookie back again and makes the connection. With SYN cookies off, the
 * second SYN is dropped and the client sends it again 1 s later. */
static void test_tcp_open__full_backlog_syn_cookie(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 1);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *c1 = tt_connect(&w, w.a, TT_B, 80, NULL);
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_MS(500)), 0);
    assert_int_not_equal(c1->t_connected, VIV_TIME_NEVER);
    assert_int_not_equal(c2->t_connected, VIV_TIME_NEVER); /* by the cookie's SYN-ACK */
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, w.b), 0);
    assert_int_equal(st.syncookies_sent, 1);
    assert_int_equal(st.syncookies_recv, 0);
    assert_int_equal(st.listen_overflows, 1); /* the cookie's ACK: the accept queue is full */
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 2);
    assert_int_equal(rows[0].state, VIV_TCP_LISTEN);
    assert_int_equal(rows[0].recv_q, 1); /* the accept queue */
    assert_int_equal(rows[0].send_q, 1); /* the backlog */
    viv_tcp_t *a1;
    assert_int_equal(viv_tcp_accept(&a1, srv->s, NULL, NULL), 0);
    assert_int_equal(viv_tcp_accept(&a1, srv->s, NULL, NULL), VIV_EAGAIN);
    assert_int_equal(viv_tcp_send(c2->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_S(2)), 0);
    assert_int_equal(viv_host_tcp_stats(&st, w.b), 0);
    assert_int_equal(st.syncookies_recv, 1);
    assert_int_equal(viv_tcp_accept(&a1, srv->s, NULL, NULL), 0);
    char buf[8];
    assert_int_equal(viv_tcp_recv(a1, buf, sizeof buf), 5);
    assert_memory_equal(buf, "hello", 5);
    viv_tcp_info ai;
    assert_int_equal(viv_tcp_info_get(&ai, a1), 0);
    assert_int_equal(ai.state, VIV_TCP_ESTABLISHED);
    assert_int_equal(ai.rcv_mss, 1460);
    assert_int_equal(ai.snd_mss, 1460); /* the MSS the cookie carried */
    tt_world_free(&w);
}

/* The same with SYN cookies off: the second SYN is dropped (counted); the client sends it
 * again 1 s later, and once the first connection is accepted, that one gets in. */
static void test_tcp_open__full_backlog_drops_syn(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.b), 0);
    t.syncookies = 0;
    assert_int_equal(viv_host_set_tcp_tunables(w.b, &t), 0);
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 1);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *c1 = tt_connect(&w, w.a, TT_B, 80, NULL);
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_MS(500)), 0);
    assert_int_not_equal(c1->t_connected, VIV_TIME_NEVER);
    assert_int_equal(c2->t_connected, VIV_TIME_NEVER);
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, w.b), 0);
    assert_int_equal(st.listen_overflows, 1);
    assert_int_equal(st.syncookies_sent, 0);
    viv_tcp_t *a1;
    assert_int_equal(viv_tcp_accept(&a1, srv->s, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_S(2)), 0);
    assert_int_equal(c2->t_connected, t0 + VIV_S(1) + 2 * tt_hop(tt_frame(0, 4)));
    tt_world_free(&w);
}

/* Calls in the wrong state. */
static void test_tcp_open__errors(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_t *s;
    assert_int_equal(viv_tcp_new(&s, w.a, NULL, NULL, NULL), 0);
    uint8_t b[8];
    assert_int_equal(viv_tcp_send(s, "x", 1), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_recv(s, b, sizeof b), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_shutdown(s, VIV_SHUT_WR), VIV_ENOTCONN);
    viv_sockaddr_t p;
    assert_int_equal(viv_tcp_peer(&p, s), VIV_ENOTCONN);
    viv_sockaddr_t far = tt_sa(VIV_IP4(192, 168, 1, 1), 80);
    assert_int_equal(viv_tcp_connect(s, &far), VIV_ENETUNREACH);
    viv_sockaddr_t bc = tt_sa(VIV_IP4(10, 0, 0, 255), 80);
    assert_int_equal(viv_tcp_connect(s, &bc), VIV_ENETUNREACH);
    viv_sockaddr_t bad = tt_sa(TT_B, 0);
    assert_int_equal(viv_tcp_connect(s, &bad), VIV_EINVAL);
    viv_tcp_t *l;
    assert_int_equal(viv_tcp_new(&l, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_listen(l, 0), 0);
    viv_sockaddr_t any = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_connect(l, &any), VIV_EISCONN);
    assert_int_equal(viv_tcp_accept(&s, l, NULL, NULL), VIV_EAGAIN);
    assert_int_equal(viv_tcp_shutdown(l, VIV_SHUT_RD), VIV_ENOTCONN);
    viv_sockaddr_t la;
    assert_int_equal(viv_tcp_local(&la, l), 0);
    assert_true(la.port >= 49152); /* listen bound it to an ephemeral port */
    viv_tcp_t *x;
    assert_int_equal(viv_tcp_new(&x, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_accept(&s, x, NULL, NULL), VIV_EINVAL);
    viv_sockaddr_t other = tt_sa(TT_B, 1);
    assert_int_equal(viv_tcp_bind(x, &other), VIV_EADDRNOTAVAIL);
    assert_int_equal(viv_tcp_error(NULL), VIV_EINVAL);
    assert_int_equal(viv_tcp_state_get(NULL), VIV_TCP_CLOSED);
    viv_tcp_close(NULL);
    viv_tcp_abort(NULL);
    viv_tcp_close(s);
    viv_tcp_close(l);
    viv_tcp_close(x);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_open__handshake_segments_and_times),
        TT_TEST(test_tcp_open__refused),
        TT_TEST(test_tcp_open__syn_retries_then_etimedout),
        TT_TEST(test_tcp_open__syn_retry_budget_tunable),
        TT_TEST(test_tcp_open__sim_tunables),
        TT_TEST(test_tcp_open__simultaneous_open),
        TT_TEST(test_tcp_open__mss_option_honoured),
        TT_TEST(test_tcp_open__third_ack_lost_data_completes),
        TT_TEST(test_tcp_open__close_in_syn_sent),
        TT_TEST(test_tcp_open__full_backlog_syn_cookie),
        TT_TEST(test_tcp_open__full_backlog_drops_syn),
        TT_TEST(test_tcp_open__errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
