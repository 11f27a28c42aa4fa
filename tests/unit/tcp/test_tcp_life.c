/* The life of TCBs: the trace of timers, retransmissions and states of connections nobody
 * holds (a listener's, orphans, TIME-WAIT); SYN-ACK retries and a half-open connection
 * forgotten; sockets closed inside their own callbacks; hosts freed with connections in every
 * state; callbacks never called from inside an API call; and every allocation failing in
 * turn, which must neither crash nor leak. */
#include "tcp_test.h"

typedef struct timer_rec {
    int kind; /* VIV_TRACE_TCP_TIMER_START or _EXPIRE, or VIV_TRACE_TCP_RETRANSMIT */
    int timer;
    viv_time_t t, ns;
    uint32_t retries;
    const void *sock;
    viv_sockaddr_t local, remote;
} timer_rec;

typedef struct timers {
    tt_world *w;
    timer_rec r[256];
    size_t n;
} timers;

static void timers_trace(const viv_trace_record *r, void *user)
{
    timers *t = user;
    tt_trace(r, t->w);
    if (r->kind != VIV_TRACE_TCP_TIMER_START && r->kind != VIV_TRACE_TCP_TIMER_EXPIRE &&
        r->kind != VIV_TRACE_TCP_RETRANSMIT)
        return;
    if (t->n == 256)
        return;
    timer_rec *x = &t->r[t->n++];
    x->kind = r->kind;
    x->timer = r->timer;
    x->t = r->time;
    x->ns = r->timer_ns;
    x->retries = r->retries;
    x->sock = r->socket;
    x->local = r->local;
    x->remote = r->remote;
}

/* TIME-WAIT of an orphan is traced: its timer starts for 60 s and expires, with the
 * connection's 4-tuple. */
static void test_tcp_life__trace_time_wait_timer(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    timers tm;
    memset(&tm, 0, sizeof tm);
    tm.w = &w;
    assert_int_equal(viv_sim_trace(w.sim, timers_trace, &tm), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    const void *cs = cli->s;
    viv_sockaddr_t la;
    assert_int_equal(viv_tcp_local(&la, cli->s), 0);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run(w.sim), 0);
    viv_time_t tw = tt_state_time(&w, cs, VIV_TCP_TIME_WAIT);
    int started = 0, expired = 0;
    for (size_t i = 0; i < tm.n; i++) {
        const timer_rec *x = &tm.r[i];
        if (x->sock != cs || x->timer != VIV_TCP_TIMER_TIME_WAIT)
            continue;
        if (x->kind == VIV_TRACE_TCP_TIMER_START) {
            started++;
            assert_int_equal(x->t, tw);
            assert_int_equal(x->ns, VIV_S(60));
        } else {
            expired++;
            assert_int_equal(x->t, tw + VIV_S(60));
        }
        assert_int_equal(x->local.ip, TT_A);
        assert_int_equal(x->local.port, la.port);
        assert_int_equal(x->remote.ip, TT_B);
        assert_int_equal(x->remote.port, 80);
    }
    assert_int_equal(started, 1);
    assert_int_equal(expired, 1);
    assert_string_equal(viv_trace_kind_name(VIV_TRACE_TCP_TIMER_START), "tcp timer start");
    assert_string_equal(viv_tcp_timer_name(VIV_TCP_TIMER_TIME_WAIT), "time-wait");
    assert_string_equal(viv_tcp_timer_name((viv_tcp_timer)99), "unknown");
    tt_world_free(&w);
}

/* The client's ACKs never arrive: the server's half-open connection sends its SYN-ACK again
 * after 1, 2, 4, 8 and 16 s (five retries), then is forgotten 32 s later, silently; every
 * retransmission is traced with its count. */
static void test_tcp_life__synack_retries_then_forgotten(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    timers tm;
    memset(&tm, 0, sizeof tm);
    tm.w = &w;
    assert_int_equal(viv_sim_trace(w.sim, timers_trace, &tm), 0);
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN;
    for (uint32_t i = 1; i <= 6; i++) /* the third ACK and its five repetitions */
        assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    (void)cli;
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_S(100)), 0);
    viv_time_t syn_at_b = t0 + tt_hop(tt_frame(0, 4));
    static const int at[6] = {0, 1, 3, 7, 15, 31};
    size_t k = 0;
    const void *child = NULL;
    for (size_t i = 0; i < w.nseg; i++) {
        if (w.seg[i].from != 1)
            continue;
        assert_true(k < 6);
        assert_int_equal(w.seg[i].flags, VIV_TCP_SYN | VIV_TCP_ACK);
        assert_int_equal(w.seg[i].t, syn_at_b + VIV_S(at[k]));
        child = w.seg[i].sock;
        k++;
    }
    assert_int_equal(k, 6);
    size_t nre = 0;
    for (size_t i = 0; i < tm.n; i++)
        if (tm.r[i].kind == VIV_TRACE_TCP_RETRANSMIT && tm.r[i].sock == child)
            assert_int_equal(tm.r[i].retries, ++nre);
    assert_int_equal(nre, 5);
    char buf[256];
    assert_string_equal(tt_states(&w, child, buf, sizeof buf), "LISTEN SYN_RECV CLOSED");
    assert_int_equal(tt_state_time(&w, child, VIV_TCP_CLOSED), syn_at_b + VIV_S(63));
    assert_int_equal(srv->calls, 0);
    assert_int_equal(viv_host_netstat(w.b, NULL, 0), 1);
    tt_world_free(&w);
}

/* Closing a socket inside its own callback, at every kind of event: CONNECTED, READABLE, and
 * the ERROR of a refused connection. */
static int close_in_cb_calls;
static void close_in_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    (void)events;
    (void)user;
    close_in_cb_calls++;
    viv_tcp_close(s);
}

static void test_tcp_life__close_inside_own_callback(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    close_in_cb_calls = 0;
    viv_tcp_t *c1, *c2;
    assert_int_equal(viv_tcp_new(&c1, w.a, NULL, close_in_cb, NULL), 0);
    assert_int_equal(viv_tcp_new(&c2, w.a, NULL, close_in_cb, NULL), 0);
    viv_sockaddr_t p80 = tt_sa(TT_B, 80), p81 = tt_sa(TT_B, 81);
    assert_int_equal(viv_tcp_connect(c1, &p80), VIV_EINPROGRESS);
    assert_int_equal(viv_tcp_connect(c2, &p81), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(close_in_cb_calls, 2);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    assert_int_equal(srv->nchildren, 1);
    assert_true(srv->children[0]->eof);
    tt_world_free(&w);
}

/* A host freed with connections in every state: nothing is sent, nothing leaks; the peer
 * finds out only when it next sends (a reset) or when it times out. */
static void test_tcp_life__host_freed_with_connections(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *srv = tt_listen(&w, w.b, 80, NULL, 0);
    srv->accept = 1;
    tt_sock *c1 = tt_connect(&w, w.a, TT_B, 80, NULL);
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    tt_sock *c3 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->nchildren, 3);
    srv->children[0]->drain = 0;
    assert_int_equal(viv_tcp_send(c1->s, "unread", 6), 6);
    viv_tcp_close(c2->s); /* FIN-WAIT-2 on a, CLOSE-WAIT on b */
    assert_int_equal(viv_tcp_shutdown(c3->s, VIV_SHUT_WR), 0);
    tt_sock *c4 = tt_connect(&w, w.a, TT_B, 80, NULL); /* in SYN-SENT */
    (void)c4;
    assert_int_equal(viv_sim_run_for(w.sim, VIV_US(100)), 0);
    size_t n = w.nseg;
    viv_host_free(w.b);
    w.b = NULL;
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    for (size_t i = n; i < w.nseg; i++)
        assert_int_not_equal(w.seg[i].from, 1);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(600)), 0);
    tt_world_free(&w);
}

/* No callback from inside an API call: every call that changes something (connect, send,
 * shutdown, close of another socket, accept) runs with in_api set, and the recorders assert
 * it is clear. */
static void test_tcp_life__no_callback_inside_api(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    w.in_api = 1;
    assert_int_equal(viv_tcp_send(cli->s, "abc", 3), 3);
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    uint8_t b[8];
    assert_int_equal(viv_tcp_recv(cli->s, b, sizeof b), VIV_EAGAIN);
    viv_tcp_abort(child->s);
    w.in_api = 0;
    assert_int_equal(viv_sim_run(w.sim), 0);
    assert_int_equal(cli->err, VIV_ECONNRESET);
    tt_world_free(&w);
}

/* The scenario the allocation sweep runs: open, exchange, close both ways. Every call may
 * fail for want of memory; none may crash, and nothing may leak. */
static void oom_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    (void)user;
    uint8_t buf[512];
    if (events & VIV_EV_ACCEPTABLE) {
        viv_tcp_t *c;
        while (viv_tcp_accept(&c, s, oom_cb, NULL) == 0)
            (void)viv_tcp_send(c, "welcome", 7);
    }
    if (events & VIV_EV_ERROR) {
        viv_tcp_close(s);
        return;
    }
    if (events & VIV_EV_CONNECTED) {
        memset(buf, 'x', sizeof buf);
        (void)viv_tcp_send(s, buf, sizeof buf);
        (void)viv_tcp_shutdown(s, VIV_SHUT_WR);
    }
    if (events & VIV_EV_READABLE) {
        int n;
        while ((n = viv_tcp_recv(s, buf, sizeof buf)) > 0)
            ;
        if (n == 0)
            viv_tcp_close(s);
    }
}

static void oom_scenario(viv_sim_t *sim, viv_host_t *a, viv_host_t *b)
{
    viv_tcp_t *l = NULL, *c = NULL;
    if (viv_tcp_new(&l, b, NULL, oom_cb, NULL) == 0) {
        viv_sockaddr_t sa = tt_sa(VIV_IP4_ANY, 80);
        (void)viv_tcp_bind(l, &sa);
        (void)viv_tcp_listen(l, 4);
    }
    for (int i = 0; i < 3; i++)
        if (viv_tcp_new(&c, a, NULL, oom_cb, NULL) == 0) {
            viv_sockaddr_t p = tt_sa(TT_B, 80);
            if (viv_tcp_connect(c, &p) != VIV_EINPROGRESS)
                viv_tcp_close(c);
        }
    (void)viv_sim_run_for(sim, VIV_S(200));
}

static void test_tcp_life__every_allocation_failing(void **state)
{
    (void)state;
    uint64_t total = 0;
    for (uint64_t k = 1, all = 0; all < 2; k++) {
        viv_test_alloc al;
        viv_sim_t *sim = viv_test_sim_new(&al, 3);
        viv_host_t *a = tt_host(sim, "a", TT_A), *b = tt_host(sim, "b", TT_B);
        viv_link_params p = VIV_LINK_PARAMS_INIT;
        p.delay_ns = TT_DELAY;
        viv_link_t *l;
        assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &p), 0);
        uint64_t base = al.calls;
        al.fail_at = base + k;
        al.fail_all_after = (int)all; /* the second sweep: nothing succeeds after the first */
        oom_scenario(sim, a, b);
        uint64_t used = al.calls - base;
        al.fail_at = 0;
        al.fail_all_after = 0;
        viv_test_sim_free(sim, &al);
        if (k > used) { /* the scenario ran to its end without reaching the failure */
            total = used;
            all++;
            k = 0;
        }
    }
    assert_true(total > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_life__trace_time_wait_timer),
        TT_TEST(test_tcp_life__synack_retries_then_forgotten),
        TT_TEST(test_tcp_life__close_inside_own_callback),
        TT_TEST(test_tcp_life__host_freed_with_connections),
        TT_TEST(test_tcp_life__no_callback_inside_api),
        TT_TEST(test_tcp_life__every_allocation_failing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
