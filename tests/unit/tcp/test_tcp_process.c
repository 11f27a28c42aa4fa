/* Processes: a server process that ends still closes its connections through its host (FIN
 * where nothing was left unread, RST where data was), the close going on as an orphan; a
 * host switched off sends nothing and forgets everything, and answers the old connection
 * with a reset once switched on again. Also netstat's process column and its filter. */
#include "tcp_test.h"

/* A server process on b owns the listener; the accepted connection is the process's too. */
static tt_sock *proc_server(tt_world *w, viv_process_t **p, tt_sock **cli, tt_sock **child)
{
    assert_int_equal(viv_process_new(p, w->b, "server"), 0);
    tt_sock *l;
    tt_establish(w, NULL, NULL, cli, child, &l);
    return l;
}

static void test_tcp_process__accepted_socket_belongs_to_listener_process(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_process_t *p;
    assert_int_equal(viv_process_new(&p, w.b, "server"), 0);
    assert_int_equal(viv_process_pid(p), 1000);
    assert_string_equal(viv_process_name(p), "server");
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    assert_int_equal(viv_process_adopt_tcp(p, l->s), 0);
    assert_int_equal(viv_process_socket_count(p), 1);
    /* A socket of another host cannot be given to it. */
    viv_tcp_t *other;
    assert_int_equal(viv_tcp_new(&other, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_process_adopt_tcp(p, other), VIV_EINVAL);
    viv_tcp_close(other);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(viv_process_socket_count(p), 2);
    (void)cli;
    /* netstat -p: the process's sockets, with its pid. */
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 2);
    assert_string_equal(rows[0].process, "server");
    assert_int_equal(rows[0].pid, 1000);
    assert_string_equal(rows[1].process, "server");
    char text[1024];
    assert_true(viv_host_netstat_text(w.b, VIV_NETSTAT_PROCESS, text, sizeof text) > 0);
    assert_non_null(strstr(text, "PID/Program name"));
    assert_non_null(strstr(text, "LISTEN      1000/server"));
    /* Closing one by hand takes it from the process. */
    viv_tcp_close(l->children[0]->s);
    assert_int_equal(viv_process_socket_count(p), 1);
    viv_process_t *q;
    assert_int_equal(viv_process_new(&q, w.b, "other"), 0);
    assert_int_equal(viv_process_pid(q), 1001);
    viv_process_free(p); /* closes the listener */
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1); /* the orphan, FIN_WAIT1 */
    assert_int_equal(viv_sim_run(w.sim), 0);
    tt_world_free(&w);
}

/* Killed with nothing unread: the host sends the FIN; the client reads the end of the
 * stream; the server's side goes FIN-WAIT-1, FIN-WAIT-2 as an orphan, then TIME-WAIT when
 * the client closes, listed by netstat with no process. */
static void test_tcp_process__kill_sends_fin(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_process_t *p;
    tt_sock *cli, *child;
    proc_server(&w, &p, &cli, &child);
    assert_int_equal(viv_process_socket_count(p), 0); /* adopted nothing yet */
    tt_sock *l = &w.socks[0];
    assert_int_equal(viv_process_adopt_tcp(p, l->s), 0);
    assert_int_equal(viv_process_adopt_tcp(p, child->s), 0);
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(child->nrx, 5);
    const void *ss = child->s;
    size_t first = w.nseg;
    viv_time_t t1 = viv_sim_now(w.sim);
    assert_int_equal(viv_process_kill(p), 0);
    assert_int_equal(viv_process_status_get(p), VIV_PROCESS_KILLED);
    assert_int_equal(viv_process_socket_count(p), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b F. 1:0 ack 6\n"
                                                             "a . 6:0 ack 2\n");
    assert_int_equal(w.seg[first].t, t1);
    assert_int_equal(cli->eof, 1);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSE_WAIT);
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 1);
    assert_int_equal(rows[0].state, VIV_TCP_FIN_WAIT_2);
    assert_null(rows[0].process);
    assert_int_equal(rows[0].timer, VIV_TIMER_TIMEWAIT); /* the orphan's FIN-WAIT-2 wait */
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 1);
    assert_int_equal(rows[0].state, VIV_TCP_TIME_WAIT);
    assert_null(rows[0].process);
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 0);
    tt_world_free(&w);
}

/* Exited with data it never read: a reset, no TIME-WAIT; the client hears ECONNRESET. */
static void test_tcp_process__exit_with_unread_data_resets(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_process_t *p;
    assert_int_equal(viv_process_new(&p, w.b, "server"), 0);
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    l->child_no_drain = 1;
    assert_int_equal(viv_process_adopt_tcp(p, l->s), 0);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_process_socket_count(p), 2);
    const void *ss = l->children[0]->s;
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    size_t first = w.nseg;
    assert_int_equal(viv_process_exit(p, 3), 0);
    assert_int_equal(viv_process_exit_code(p), 3);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    char buf[1024];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "b R. 1:0 ack 6\n");
    assert_int_equal(cli->err, VIV_ECONNRESET);
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED CLOSED");
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 0);
    viv_tcp_close(cli->s);
    tt_world_free(&w);
}

/* Switched off: not a segment; everything forgotten, processes ended, a handle the host
 * held reports ECONNABORTED. The client's data is retransmitted into the void; once b is
 * on again, the next retransmission draws a reset. */
static void test_tcp_process__power_off_sends_nothing_then_rst(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_process_t *p;
    tt_sock *cli, *child;
    tt_sock *l = proc_server(&w, &p, &cli, &child);
    assert_int_equal(viv_process_adopt_tcp(p, child->s), 0);
    const void *ss = child->s;
    size_t first = w.nseg;
    assert_int_equal(viv_node_set_up(viv_host_node(w.b), 0), 0);
    assert_int_equal(viv_process_status_get(p), VIV_PROCESS_POWER_LOST);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 0);
    /* The listener was the host's: its handle stays, CLOSED, with ECONNABORTED. */
    assert_int_equal(viv_tcp_state_get(l->s), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_error(l->s), VIV_ECONNABORTED);
    char buf[1024];
    assert_string_equal(tt_states(&w, ss, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED CLOSED");
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(5)), 0);
    /* The data and its retransmissions (RTO 200 ms, doubling: at 0.2, 0.6, 1.4 and 3 s),
     * nothing from b. */
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a P. 1:5 ack 1\n"
                                                             "a P. 1:5 ack 1\n"
                                                             "a P. 1:5 ack 1\n"
                                                             "a P. 1:5 ack 1\n"
                                                             "a P. 1:5 ack 1\n");
    assert_int_equal(w.seg[first + 4].t - w.seg[first].t, VIV_MS(3000));
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_node_set_up(viv_host_node(w.b), 1), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(5)), 0);
    assert_int_equal(cli->err, VIV_ECONNRESET);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    const tt_seg *last = &w.seg[w.nseg - 1];
    assert_int_equal(last->from, 1);
    assert_true(last->flags & VIV_TCP_RST);
    assert_null(last->sock);
    viv_tcp_close(cli->s);
    viv_tcp_close(l->s);
    tt_world_free(&w);
}

/* netstat -a -n | grep TIME_WAIT | grep 80: the filter, as rows and as text. */
static void test_tcp_process__netstat_filter(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    viv_sockaddr_t la;
    assert_int_equal(viv_tcp_local(&la, cli->s), 0);
    tt_sock *cli2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    viv_udp_t *u;
    assert_int_equal(viv_udp_new(&u, w.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t ua = tt_sa(VIV_IP4_ANY, 80);
    assert_int_equal(viv_udp_bind(u, &ua), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    viv_sock_info rows[8];
    assert_int_equal(viv_host_netstat(w.a, rows, 8), 3);
    viv_netstat_filter f = VIV_NETSTAT_FILTER_INIT;
    f.port = 80;
    f.states = VIV_NETSTAT_STATE(VIV_TCP_TIME_WAIT);
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, rows, 8), 1);
    assert_int_equal(rows[0].local.port, la.port);
    assert_int_equal(rows[0].state, VIV_TCP_TIME_WAIT);
    f.states = 0;
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, rows, 8), 3); /* the UDP one too */
    f.proto = VIV_SOCK_TCP;
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, NULL, 0), 2);
    f = (viv_netstat_filter)VIV_NETSTAT_FILTER_INIT;
    f.local_port = 80;
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, rows, 8), 1);
    assert_int_equal(rows[0].proto, VIV_SOCK_UDP);
    f = (viv_netstat_filter)VIV_NETSTAT_FILTER_INIT;
    f.remote_port = 80;
    f.states = VIV_NETSTAT_STATE(VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, rows, 1), 1);
    assert_int_equal(rows[0].proto, VIV_SOCK_TCP);
    f.states = VIV_NETSTAT_STATE(VIV_TCP_TIME_WAIT);
    char text[1024], want[256];
    int n = viv_host_netstat_text_filtered(w.a, 0, &f, text, sizeof text);
    assert_true(n > 0);
    snprintf(want, sizeof want,
             "Active Internet connections (servers and established)\n"
             "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
             "tcp        0      0 10.0.0.1:%-14u 10.0.0.2:80             TIME_WAIT  \n",
             la.port);
    assert_string_equal(text, want);
    assert_int_equal(viv_host_netstat_filtered(NULL, &f, rows, 1), VIV_EINVAL);
    assert_int_equal(viv_host_netstat_filtered(w.a, &f, NULL, 1), VIV_EINVAL);
    viv_udp_free(u);
    viv_tcp_close(cli2->s);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_process__accepted_socket_belongs_to_listener_process),
        TT_TEST(test_tcp_process__kill_sends_fin),
        TT_TEST(test_tcp_process__exit_with_unread_data_resets),
        TT_TEST(test_tcp_process__power_off_sends_nothing_then_rst),
        TT_TEST(test_tcp_process__netstat_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
