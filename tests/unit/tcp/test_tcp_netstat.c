/* TCP in netstat: every connection of a host (listening, established with data waiting,
 * CLOSE-WAIT, an orphan in FIN-WAIT-2, TIME-WAIT) with its queues and its timer, as rows and
 * as `netstat -ano` text; connections a listener made before anyone accepted them are
 * listed too. */
#include "tcp_test.h"

/* A client bound to 10.0.0.1:port connecting to b:80. */
static tt_sock *client(tt_world *w, uint16_t port)
{
    tt_sock *k = tt_sock_new(w);
    assert_int_equal(viv_tcp_new(&k->s, w->a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t me = tt_sa(TT_A, port), peer = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_bind(k->s, &me), 0);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    return k;
}

static void test_tcp_netstat__rows_and_text(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    tt_sock *c1 = client(&w, 40001), *c2 = client(&w, 40002), *c3 = client(&w, 40003);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->nchildren, 3);
    srv->children[0]->drain = 0;
    srv->children[2]->close_on_eof = 1;
    assert_int_equal(viv_tcp_send(c1->s, "12345", 5), 5);
    viv_tcp_close(c2->s);
    viv_tcp_close(c3->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);

    char text[4096];
    int n = viv_host_netstat_text(w.a, VIV_NETSTAT_TIMERS, text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_string_equal(
        text,
        "Active Internet connections (servers and established)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       Timer\n"
        "tcp        0      0 10.0.0.1:40001          10.0.0.2:80             ESTABLISHED off "
        "(0.00/0/0)\n"
        "tcp        0      0 10.0.0.1:40002          10.0.0.2:80             FIN_WAIT2   timewait "
        "(59.00/0/0)\n"
        "tcp        0      0 10.0.0.1:40003          10.0.0.2:80             TIME_WAIT   timewait "
        "(59.00/0/0)\n");
    n = viv_host_netstat_text(w.b, VIV_NETSTAT_TIMERS, text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_string_equal(
        text,
        "Active Internet connections (servers and established)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       Timer\n"
        "tcp        0    128 0.0.0.0:80              0.0.0.0:*               LISTEN      off "
        "(0.00/0/0)\n"
        "tcp        5      0 10.0.0.2:80             10.0.0.1:40001          ESTABLISHED off "
        "(0.00/0/0)\n"
        "tcp        0      0 10.0.0.2:80             10.0.0.1:40002          CLOSE_WAIT  off "
        "(0.00/0/0)\n");
    n = viv_host_netstat_text(w.b, 0, text, sizeof text);
    assert_string_equal(
        text, "Active Internet connections (servers and established)\n"
              "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
              "tcp        0    128 0.0.0.0:80              0.0.0.0:*               LISTEN     \n"
              "tcp        5      0 10.0.0.2:80             10.0.0.1:40001          ESTABLISHED\n"
              "tcp        0      0 10.0.0.2:80             10.0.0.1:40002          CLOSE_WAIT \n");

    /* The rows behind the text. */
    viv_sock_info rows[8];
    assert_int_equal(viv_host_netstat(w.a, rows, 8), 3);
    viv_time_t now = viv_sim_now(w.sim);
    viv_time_t fw2 = tt_state_time(&w, c2->s, VIV_TCP_FIN_WAIT_2);
    viv_time_t tw = tt_state_time(&w, c3->s, VIV_TCP_TIME_WAIT);
    assert_int_equal(rows[1].state, VIV_TCP_FIN_WAIT_2);
    assert_string_equal(rows[1].state_name, "FIN_WAIT2");
    assert_int_equal(rows[1].timer, VIV_TIMER_TIMEWAIT);
    assert_int_equal(rows[1].timer_ns, fw2 + VIV_S(60) - now);
    assert_int_equal(rows[2].timer_ns, tw + VIV_S(60) - now);
    assert_int_equal(rows[2].proto, VIV_SOCK_TCP);
    /* Data in flight: the retransmission timer, and the bytes not yet acknowledged. */
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_tcp_send(c1->s, "abc", 3), 3);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(300)), 0);
    assert_int_equal(viv_host_netstat(w.a, rows, 8), 3);
    assert_int_equal(rows[0].send_q, 3);
    assert_int_equal(rows[0].timer, VIV_TIMER_ON);
    assert_int_equal(rows[0].retries, 1);
    assert_int_equal(rows[0].timer_ns, VIV_MS(400) - VIV_MS(100));
    /* A small capacity still counts every row. */
    assert_int_equal(viv_host_netstat(w.a, rows, 1), 3);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 3);
    tt_world_free(&w);
}

/* Connections a listener made and nobody accepted yet are in netstat (and in the trace):
 * SYN-RECEIVED while the third ACK is missing, then ESTABLISHED; the listener's Recv-Q
 * counts the established ones. UDP rows come after TCP's. */
static void test_tcp_netstat__unaccepted_connections_listed(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 5);
    viv_udp_t *u;
    assert_int_equal(viv_udp_new(&u, w.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t ua = tt_sa(VIV_IP4_ANY, 53);
    assert_int_equal(viv_udp_bind(u, &ua), 0);
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    tt_sock *c = client(&w, 40001);
    (void)c;
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 1), 0);
    /* The SYN was lost; the second one (1 s later) gets through, but not its ACK. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(1100)), 0);
    viv_sock_info rows[8];
    assert_int_equal(viv_host_netstat(w.b, rows, 8), 3);
    assert_int_equal(rows[0].state, VIV_TCP_LISTEN);
    assert_int_equal(rows[0].recv_q, 0);
    assert_int_equal(rows[0].send_q, 5);
    assert_int_equal(rows[1].state, VIV_TCP_SYN_RECEIVED);
    assert_int_equal(rows[1].timer, VIV_TIMER_ON); /* the SYN-ACK's retransmission */
    assert_int_equal(rows[2].proto, VIV_SOCK_UDP);
    /* The client sends data: that completes the handshake. */
    assert_int_equal(viv_tcp_send(c->s, "x", 1), 1);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_host_netstat(w.b, rows, 8), 3);
    assert_int_equal(rows[0].recv_q, 1); /* one connection waiting for accept */
    assert_int_equal(rows[1].state, VIV_TCP_ESTABLISHED);
    assert_int_equal(rows[1].recv_q, 1); /* its byte, unread */
    assert_true(srv->all & VIV_EV_ACCEPTABLE);
    viv_udp_free(u);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_netstat__rows_and_text),
        TT_TEST(test_tcp_netstat__unaccepted_connections_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
