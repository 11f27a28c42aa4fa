/* An audit of the TCP socket API and of a connection's life as a BSD-sockets program sees
 * it: error codes of misuse, what close, abort and shutdown put on the wire, soft errors from
 * ICMP, netstat's timers in each state, callbacks that close sockets, processes and hosts
 * switched off, and freeing a simulation with connections in every state. */
#include "tcp_peer.h"

/* ---- a crafted peer (the device of tcp_peer.h) ------------------------------------------ */

typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
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
    t.mss = s->mss;
    peer_send(b, &t, s->data, s->sport ? s->sport : PEER_PORT, s->dport ? s->dport : 80, 0);
}

/* The host connects to the device's port 80 and the device completes the handshake (its
 * ISN PEER_ISN); b->iss is the host's ISS. */
static tt_sock *host_established(bench *b, const viv_tcp_opts *o)
{
    tt_sock *k = tt_sock_new(&b->w);
    assert_int_equal(viv_tcp_new(&k->s, b->w.a, o, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    b->iss = b->rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, b->iss + 1, NULL, 1460, 80,
                  b->rx[0].t.src_port};
    send_seg(b, &synack);
    peer_run(b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    b->nrx = 0;
    return k;
}

/* ---- ICMP soft errors ------------------------------------------------------------------- */

/* A soft error (RFC 1122 4.2.3.9: host unreachable MUST NOT abort) is kept to be reported if
 * the connection then times out. Once the peer acknowledges data the path evidently works:
 * BSD (tcp_xmit_timer) and Linux (tcp_ack) forget the soft error then, and a later timeout
 * is a plain ETIMEDOUT, not the stale error of a transient failure. */
static void test_tcp_audit_api__soft_error_forgotten_after_progress(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.retries = 2;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = host_established(&b, NULL);
    assert_int_equal(viv_tcp_send(k->s, "abc", 3), 3);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.payload_len, 3);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_HOST, 0, b.rx[0].ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    /* The data is acknowledged: the path works. */
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b.iss + 4, NULL, 0, 80, b.rx[0].t.src_port};
    send_seg(&b, &ack);
    peer_run(&b);
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, k->s), 0);
    assert_int_equal(ti.snd_una, b.iss + 4);
    /* New data is never acknowledged: the connection gives up after 2 retransmissions. */
    assert_int_equal(viv_tcp_send(k->s, "def", 3), 3);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(30)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    tt_world_free(&b.w);
}

/* The same for an opening: host unreachable about the first SYN, then the SYN-ACK comes
 * (the path works); data later never acknowledged times out as ETIMEDOUT. */
static void test_tcp_audit_api__soft_error_forgotten_when_established(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.retries = 2;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_HOST, 0, b.rx[0].ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    b.iss = b.rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, b.iss + 1, NULL, 1460, 80,
                  b.rx[0].t.src_port};
    send_seg(&b, &synack);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_tcp_send(k->s, "def", 3), 3);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(30)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    tt_world_free(&b.w);
}

/* ---- misuse, as a BSD-sockets program meets it ----------------------------------------- */

static void test_tcp_audit_api__misuse_error_codes(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child, *srv;
    tt_establish(&w, NULL, NULL, &cli, &child, &srv);
    uint8_t buf[16];
    viv_tcp_t *x;
    /* A listener: no send, no recv, no shutdown, no connect; listen again sets the backlog. */
    assert_int_equal(viv_tcp_send(srv->s, "x", 1), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_recv(srv->s, buf, sizeof buf), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_shutdown(srv->s, VIV_SHUT_WR), VIV_ENOTCONN);
    viv_sockaddr_t peer = tt_sa(TT_A, 9);
    assert_int_equal(viv_tcp_connect(srv->s, &peer), VIV_EISCONN);
    assert_int_equal(viv_tcp_listen(srv->s, 7), 0);
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(w.b, rows, 4), 2);
    assert_int_equal(rows[0].send_q, 7);
    assert_int_equal(viv_tcp_accept(&x, srv->s, NULL, NULL), VIV_EAGAIN);
    /* A connection: no accept, no listen, no second connect, no second bind. */
    assert_int_equal(viv_tcp_accept(&x, cli->s, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_tcp_listen(cli->s, 0), VIV_EISCONN);
    viv_sockaddr_t b80 = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_connect(cli->s, &b80), VIV_EISCONN);
    viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 0);
    assert_int_equal(viv_tcp_bind(cli->s, &any), VIV_EINVAL);
    assert_int_equal(viv_tcp_shutdown(cli->s, 0), VIV_EINVAL);
    assert_int_equal(viv_tcp_shutdown(cli->s, 4), VIV_EINVAL);
    assert_int_equal(viv_tcp_recv(cli->s, buf, sizeof buf), VIV_EAGAIN);
    /* Connecting: a second connect is EALREADY. */
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_tcp_connect(c2->s, &b80), VIV_EALREADY);
    assert_int_equal(viv_tcp_listen(c2->s, 0), VIV_EISCONN);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    /* Half-close: EPIPE on send, the peer reads the end, its sends still flow. */
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_EPIPE);
    assert_int_equal(viv_tcp_can_send(cli->s), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(child->eof, 1);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_FIN_WAIT_2);
    assert_int_equal(viv_tcp_send(child->s, "back", 4), 4);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(cli->nrx, 4);
    /* The peer aborts: the half-closed client learns it by the reset. */
    viv_tcp_abort(child->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    assert_int_equal(cli->err, VIV_ECONNRESET);
    tt_world_free(&w);
}

/* A peer's reset on a connection whose error nobody read: send returns it once, then
 * EPIPE; recv returns 0 after that; viv_tcp_error 0. */
static void test_tcp_audit_api__reset_error_returned_once(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    assert_int_equal(viv_tcp_set_cb(cli->s, NULL, NULL), 0);
    viv_tcp_abort(child->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_ECONNRESET);
    assert_int_equal(viv_tcp_send(cli->s, "x", 1), VIV_EPIPE);
    uint8_t buf[4];
    assert_int_equal(viv_tcp_recv(cli->s, buf, sizeof buf), 0);
    assert_int_equal(viv_tcp_error(cli->s), 0);
    assert_int_equal(viv_tcp_connect(cli->s, &(viv_sockaddr_t){TT_B, 80}), VIV_EISCONN);
    viv_tcp_close(cli->s);
    tt_world_free(&w);
}

/* A host connecting to itself: listener and client on the same host, through its own
 * address. */
static void test_tcp_audit_api__connect_to_own_address(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&w, w.a, 80, NULL, 0);
    l->accept = 1;
    tt_sock *k = tt_connect(&w, w.a, TT_A, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(viv_tcp_send(k->s, "ping", 4), 4);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(l->children[0]->nrx, 4);
    /* No listener on port 81: refused. */
    tt_sock *r = tt_connect(&w, w.a, TT_A, 81, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(r->err, VIV_ECONNREFUSED);
    tt_world_free(&w);
}

/* Every ephemeral port in use: bind to port 0 and listen say VIV_EADDRINUSE and connect
 * VIV_EADDRNOTAVAIL, as Linux's bind(), listen() and connect() do; one port given back is
 * taken again. */
static void test_tcp_audit_api__ephemeral_exhaustion(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    enum { N = 65535 - 49152 + 1 };
    viv_tcp_t **s = calloc(N, sizeof *s);
    assert_non_null(s);
    viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(viv_tcp_new(&s[i], w.a, NULL, NULL, NULL), 0);
        assert_int_equal(viv_tcp_bind(s[i], &any), 0);
    }
    viv_tcp_t *x, *y;
    assert_int_equal(viv_tcp_new(&x, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(x, &any), VIV_EADDRINUSE);
    assert_string_equal(viv_sim_errmsg(w.sim), "viv_tcp_bind: no ephemeral port is free");
    assert_int_equal(viv_tcp_new(&y, w.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t b80 = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_connect(y, &b80), VIV_EADDRNOTAVAIL);
    assert_string_equal(viv_sim_errmsg(w.sim), "viv_tcp_connect: no ephemeral port is free");
    assert_int_equal(viv_tcp_listen(y, 0), VIV_EADDRINUSE);
    assert_string_equal(viv_sim_errmsg(w.sim), "viv_tcp_listen: no ephemeral port is free");
    viv_sockaddr_t freed;
    assert_int_equal(viv_tcp_local(&freed, s[100]), 0);
    viv_tcp_close(s[100]);
    assert_int_equal(viv_tcp_bind(x, &any), 0);
    viv_sockaddr_t got;
    assert_int_equal(viv_tcp_local(&got, x), 0);
    assert_int_equal(got.port, freed.port);
    for (int i = 0; i < N; i++)
        if (i != 100)
            viv_tcp_close(s[i]);
    viv_tcp_close(x);
    viv_tcp_close(y);
    free(s);
    tt_world_free(&w);
}

/* Connections share ephemeral ports as Linux's connect() does. One port is held by a bind to
 * port 0, every other one by a connection to B:80. Then a connection to B:81 still gets a
 * port: the next from the cursor (back at the first port given, the bound one, which is
 * never shared) is the first connection's; another to B:80 finds none (VIV_EADDRNOTAVAIL),
 * nor does a bind to port 0 (VIV_EADDRINUSE). B listens on 81 only: the shared port's
 * segments reach the right connection by their 4-tuple, the one to 81 is established and
 * the first connection to 80 refused. */
static void test_tcp_audit_api__connect_shares_ephemeral_ports(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    assert_int_equal(viv_sim_trace(w.sim, NULL, NULL), 0); /* 16,384 openings: not recorded */
    enum { N = 65535 - 49152 + 1 };
    tt_listen(&w, w.b, 81, NULL, 0)->accept = 1;
    viv_tcp_t *held, *x, *y, **s = calloc(N, sizeof *s);
    assert_non_null(s);
    viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 0), b80 = tt_sa(TT_B, 80), got;
    assert_int_equal(viv_tcp_new(&held, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(held, &any), 0);
    viv_sockaddr_t bound;
    assert_int_equal(viv_tcp_local(&bound, held), 0);
    for (int i = 0; i < N - 1; i++) {
        assert_int_equal(viv_tcp_new(&s[i], w.a, NULL, NULL, NULL), 0);
        assert_int_equal(viv_tcp_connect(s[i], &b80), VIV_EINPROGRESS);
    }
    assert_int_equal(viv_tcp_new(&x, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_connect(x, &b80), VIV_EADDRNOTAVAIL);
    assert_int_equal(viv_tcp_new(&y, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(y, &any), VIV_EADDRINUSE);
    tt_sock *k = tt_connect(&w, w.a, TT_B, 81, NULL);
    viv_sockaddr_t first;
    assert_int_equal(viv_tcp_local(&got, k->s), 0);
    assert_int_equal(viv_tcp_local(&first, s[0]), 0);
    assert_int_not_equal(got.port, bound.port);
    assert_int_equal(got.port, first.port);
    /* A port held by a bind is never shared, even to a new peer. */
    assert_int_equal(viv_tcp_local(&got, s[N - 2]), 0);
    assert_int_equal(got.port, bound.port == 65535 ? 65534 : (bound.port == 49152 ? 65535
                                                                         : bound.port - 1));
    /* The cable's queue dropped most of the 16,385 SYNs: only s[0] and k stay, to send theirs
     * again at the RTO. */
    for (int i = 1; i < N - 1; i++)
        viv_tcp_abort(s[i]);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(5)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_tcp_state_get(s[0]), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_error(s[0]), VIV_ECONNREFUSED);
    viv_tcp_abort(s[0]);
    viv_tcp_close(held);
    viv_tcp_close(x);
    viv_tcp_close(y);
    free(s);
    tt_world_free(&w);
}

/* ---- freeing a simulation with connections in every state ------------------------------ */

typedef struct acc {
    viv_tcp_t *c[16];
    int n;
} acc;

/* A listener's callback that accepts everything, the connections given no callback. */
static void acc_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    acc *a = user;
    if (!(events & VIV_EV_ACCEPTABLE))
        return;
    viv_tcp_t *c;
    while (viv_tcp_accept(&c, s, NULL, NULL) == 0) {
        assert_true(a->n < 16);
        a->c[a->n++] = c;
    }
}

static viv_tcp_t *cli_new(tt_world *w, uint16_t port, const viv_tcp_opts *o)
{
    viv_tcp_t *s;
    assert_int_equal(viv_tcp_new(&s, w->a, o, NULL, NULL), 0);
    viv_sockaddr_t p = tt_sa(TT_B, port);
    assert_int_equal(viv_tcp_connect(s, &p), VIV_EINPROGRESS);
    return s;
}

static void drain(viv_tcp_t *s)
{
    uint8_t buf[4096];
    while (viv_tcp_recv(s, buf, sizeof buf) > 0)
        ;
}

static const void *src_fn(void *user, uint64_t off, size_t *n)
{
    static const uint8_t zeros[4096];
    (void)user;
    (void)off;
    if (*n > sizeof zeros)
        *n = sizeof zeros;
    return zeros;
}

/* Every state at once on both hosts, owned by the program, by processes, by nobody (orphans,
 * connections nobody accepted), then the simulation is freed as it stands: the fixture
 * fails the test on any leak. */
static void test_tcp_audit_api__free_with_every_state(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    acc a = {{0}, 0};
    viv_tcp_t *l, *l2;
    assert_int_equal(viv_tcp_new(&l, w.b, NULL, acc_cb, &a), 0);
    viv_sockaddr_t p80 = tt_sa(VIV_IP4_ANY, 80), p81 = tt_sa(VIV_IP4_ANY, 81);
    assert_int_equal(viv_tcp_bind(l, &p80), 0);
    assert_int_equal(viv_tcp_listen(l, 0), 0);
    assert_int_equal(viv_tcp_new(&l2, w.b, NULL, NULL, NULL), 0); /* nobody accepts */
    assert_int_equal(viv_tcp_bind(l2, &p81), 0);
    assert_int_equal(viv_tcp_listen(l2, 0), 0);
    viv_process_t *pa, *pb;
    assert_int_equal(viv_process_new(&pa, w.a, "client"), 0);
    assert_int_equal(viv_process_new(&pb, w.b, "server"), 0);

    /* A connection to l2 established and never accepted. */
    viv_tcp_t *unacc = cli_new(&w, 81, NULL);
    assert_int_equal(viv_tcp_send(unacc, "unread", 6), 6);

    viv_tcp_t *c[12];
    for (int i = 0; i < 12; i++)
        c[i] = cli_new(&w, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(a.n, 12);
    assert_int_equal(viv_process_adopt_tcp(pa, c[0]), 0);
    assert_int_equal(viv_process_adopt_tcp(pb, a.c[0]), 0);
    assert_int_equal(viv_process_adopt_tcp(pb, l), 0);
    /* 1: unread data both ways; 2: FIN-WAIT-2 orphan / CLOSE-WAIT; 3: TIME-WAIT orphan;
     * 4: TIME-WAIT held; 5: reset, CLOSED held; 6: LAST-ACK done, CLOSED held; 7: a source
     * sending into a receiver that does not read (persist); 8, 9: later. */
    assert_int_equal(viv_tcp_send(c[1], "to b", 4), 4);
    assert_int_equal(viv_tcp_send(a.c[1], "to a", 4), 4);
    viv_tcp_close(c[2]);
    viv_tcp_close(c[3]);
    assert_int_equal(viv_tcp_shutdown(c[4], VIV_SHUT_WR), 0);
    viv_tcp_abort(a.c[5]);
    assert_int_equal(viv_tcp_shutdown(c[6], VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_send_source(c[7], 1u << 20, src_fn, NULL), 65536);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    drain(a.c[3]);
    viv_tcp_close(a.c[3]);
    drain(a.c[4]);
    viv_tcp_close(a.c[4]);
    drain(a.c[6]);
    assert_int_equal(viv_tcp_shutdown(a.c[6], VIV_SHUT_WR), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(viv_tcp_state_get(a.c[2]), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(viv_tcp_state_get(c[4]), VIV_TCP_TIME_WAIT);
    assert_int_equal(viv_tcp_state_get(c[5]), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_state_get(a.c[6]), VIV_TCP_CLOSED);
    assert_int_equal(viv_tcp_state_get(c[6]), VIV_TCP_TIME_WAIT);
    for (int i = 0; i < 2; i++) { /* fill the receiver's 128 KiB */
        assert_true(viv_tcp_send_source(c[7], 1u << 20, src_fn, NULL) > 0);
        assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    }
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, c[7]), 0);
    assert_int_not_equal(ti.timer_ns[VIV_TCP_TIMER_PERSIST], VIV_TIME_NEVER);
    /* 8: FIN-WAIT-1 orphan, 9: FIN-WAIT-1 held, 10: LAST-ACK orphan on b, 11: a killed
     * process's connection. */
    assert_int_equal(viv_tcp_shutdown(c[10], VIV_SHUT_WR), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(a.c[10]), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(viv_process_adopt_tcp(pa, c[11]), 0);
    /* A connection to l2 whose third ACK is lost: SYN-RECEIVED on b. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN;
    assert_int_equal(viv_link_drop_nth(w.link, VIV_LINK_AB, &m, 1), 0);
    viv_tcp_t *half = cli_new(&w, 81, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(10)), 0);
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    viv_tcp_close(c[8]);
    assert_int_equal(viv_tcp_shutdown(c[9], VIV_SHUT_WR), 0);
    viv_tcp_close(a.c[10]);
    assert_int_equal(viv_process_kill(pa), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(c[9]), VIV_TCP_FIN_WAIT_1);
    viv_sock_info rows[64];
    int na = viv_host_netstat(w.a, rows, 64);
    uint32_t seen = 0;
    for (int i = 0; i < na; i++)
        seen |= 1u << rows[i].state;
    int nb = viv_host_netstat(w.b, rows, 64);
    for (int i = 0; i < nb; i++)
        seen |= 1u << rows[i].state;
    /* Every state but CLOSED (never listed) and CLOSING, SYN-SENT added now. */
    viv_tcp_t *syn;
    assert_int_equal(viv_tcp_new(&syn, w.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t nobody = tt_sa(VIV_IP4(10, 0, 0, 3), 80);
    assert_int_equal(viv_tcp_connect(syn, &nobody), VIV_EINPROGRESS);
    seen |= 1u << viv_tcp_state_get(syn);
    assert_int_equal(seen, (1u << 11) - 1 - (1u << VIV_TCP_CLOSED) - (1u << VIV_TCP_CLOSING));
    (void)half;
    tt_world_free(&w);
}

/* ---- callbacks -------------------------------------------------------------------------- */

typedef struct cbk {
    viv_tcp_t *self, *other;
    viv_host_t *host;
    viv_process_t *proc;
    int what; /* 1: close the other socket, 2: free the host, 3: kill the process */
    uint32_t calls, ev;
} cbk;

static void cbk_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    cbk *k = user;
    assert_ptr_equal(s, k->self);
    k->calls++;
    k->ev |= events;
    if (!(events & VIV_EV_READABLE))
        return;
    if (k->what == 1 && k->other) {
        viv_tcp_close(k->other);
        k->other = NULL;
    } else if (k->what == 2 && k->host) {
        viv_host_t *h = k->host;
        k->host = NULL;
        viv_host_free(h);
    } else if (k->what == 3 && k->proc) {
        viv_process_t *p = k->proc;
        k->proc = NULL;
        assert_int_equal(viv_process_kill(p), 0);
    }
}

/* Two connections on host a get data in the same instant (one segment each, sent together
 * by b): the first callback closes the other socket, frees their host, or kills the process
 * owning both. The second socket's callback is never called, and nothing leaks. */
static void test_tcp_audit_api__callback_closes_others(void **state)
{
    for (int what = 1; what <= 3; what++) {
        viv_test_alloc al;
        viv_sim_t *sim = viv_test_sim_new(&al, 1);
        tt_world w;
        tt_world_build(&w, sim);
        acc a = {{0}, 0};
        viv_tcp_t *l;
        assert_int_equal(viv_tcp_new(&l, w.b, NULL, acc_cb, &a), 0);
        viv_sockaddr_t p80 = tt_sa(VIV_IP4_ANY, 80);
        assert_int_equal(viv_tcp_bind(l, &p80), 0);
        assert_int_equal(viv_tcp_listen(l, 0), 0);
        cbk k1 = {0}, k2 = {0};
        viv_tcp_t *c1, *c2;
        viv_sockaddr_t b80 = tt_sa(TT_B, 80);
        assert_int_equal(viv_tcp_new(&c1, w.a, NULL, cbk_cb, &k1), 0);
        assert_int_equal(viv_tcp_new(&c2, w.a, NULL, cbk_cb, &k2), 0);
        k1.self = c1;
        k2.self = c2;
        assert_int_equal(viv_tcp_connect(c1, &b80), VIV_EINPROGRESS);
        assert_int_equal(viv_tcp_connect(c2, &b80), VIV_EINPROGRESS);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
        assert_int_equal(a.n, 2);
        assert_int_equal(k1.calls, 1);
        assert_int_equal(k2.calls, 1);
        k1.what = what;
        k1.other = c2;
        k1.host = w.a;
        viv_process_t *p = NULL;
        if (what == 3) {
            assert_int_equal(viv_process_new(&p, w.a, "app"), 0);
            assert_int_equal(viv_process_adopt_tcp(p, c1), 0);
            assert_int_equal(viv_process_adopt_tcp(p, c2), 0);
            k1.proc = p;
        }
        assert_int_equal(viv_tcp_send(a.c[0], "x", 1), 1);
        assert_int_equal(viv_tcp_send(a.c[1], "y", 1), 1);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
        assert_int_equal(k1.calls, 2);
        assert_int_equal(k1.ev, VIV_EV_CONNECTED | VIV_EV_WRITABLE | VIV_EV_READABLE);
        assert_int_equal(k2.calls, 1);
        if (what == 1) { /* c2 had "y" unread: closing it sent a reset */
            assert_int_equal(viv_tcp_state_get(a.c[1]), VIV_TCP_CLOSED);
            viv_tcp_close(c1);
        }
        if (what != 2)
            assert_int_equal(viv_sim_run_for(sim, VIV_S(120)), 0);
        viv_test_sim_free(sim, &al);
        tt_world_free(&w);
    }
}

/* ---- the end of a connection the program holds, and netstat's timers -------------------- */

/* A row of host h for local or remote port `port` (the first found). */
static viv_sock_info row_of(viv_host_t *h, uint16_t port)
{
    viv_sock_info rows[16];
    int n = viv_host_netstat(h, rows, 16);
    assert_true(n >= 0 && n <= 16);
    for (int i = 0; i < n; i++)
        if (rows[i].proto == VIV_SOCK_TCP &&
            (rows[i].local.port == port || rows[i].remote.port == port) &&
            rows[i].state != VIV_TCP_LISTEN)
            return rows[i];
    fail_msg("no row for port %u", port);
    return rows[0];
}

/* A program that shuts down its sending side and holds the socket: FIN-WAIT-2 has no timer
 * while it holds it (netstat "off"); the peer's FIN takes it to TIME-WAIT, shown with its
 * remaining time; VIV_EV_CLOSED comes once, exactly 2 MSL later, with no error. The peer,
 * which shut down in CLOSE-WAIT and held its socket, had VIV_EV_CLOSED once when the last
 * ACK came. Closing a held FIN-WAIT-2 starts the orphan's fin_timeout from then. */
static void test_tcp_audit_api__held_to_the_end(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    viv_sockaddr_t me;
    assert_int_equal(viv_tcp_local(&me, cli->s), 0);
    assert_int_equal(viv_tcp_shutdown(cli->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_FIN_WAIT_2);
    viv_sock_info r = row_of(w.a, me.port);
    assert_int_equal(r.state, VIV_TCP_FIN_WAIT_2);
    assert_int_equal(r.timer, VIV_TIMER_OFF);
    r = row_of(w.b, me.port);
    assert_int_equal(r.state, VIV_TCP_CLOSE_WAIT);
    assert_int_equal(r.timer, VIV_TIMER_OFF);
    uint32_t ccalls = cli->calls, kcalls = child->calls;
    assert_int_equal(viv_tcp_shutdown(child->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_LAST_ACK);
    r = row_of(w.b, me.port);
    assert_int_equal(r.timer, VIV_TIMER_ON);
    assert_int_equal(r.timer_ns, VIV_MS(200)); /* b timed its SYN-ACK: the minimum RTO */
    viv_time_t t0 = viv_sim_now(w.sim);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    viv_time_t tw = tt_state_time(&w, cli->s, VIV_TCP_TIME_WAIT);
    /* Three hops: b's ARP entry for a expired in the 100 s idle (request, reply, FIN). */
    assert_int_equal(tw, t0 + 3 * tt_hop(60));
    assert_int_equal(child->calls, kcalls + 1);
    assert_int_equal(child->ev[kcalls], VIV_EV_CLOSED);
    assert_int_equal(child->t_closed, tw + tt_hop(60));
    assert_int_equal(child->err, 0);
    assert_int_equal(viv_tcp_state_get(child->s), VIV_TCP_CLOSED);
    /* The client read the end of the stream when the FIN came. */
    assert_int_equal(cli->calls, ccalls + 1);
    assert_int_equal(cli->ev[ccalls], VIV_EV_READABLE);
    r = row_of(w.a, me.port);
    assert_int_equal(r.state, VIV_TCP_TIME_WAIT);
    assert_int_equal(r.timer, VIV_TIMER_TIMEWAIT);
    assert_int_equal(r.timer_ns, tw + VIV_S(60) - viv_sim_now(w.sim));
    assert_int_equal(viv_sim_run_until(w.sim, tw + VIV_S(60) - 1), 0);
    assert_int_equal(cli->calls, ccalls + 1);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(100)), 0);
    assert_int_equal(cli->calls, ccalls + 2);
    assert_int_equal(cli->ev[ccalls + 1], VIV_EV_CLOSED);
    assert_int_equal(cli->t_closed, tw + VIV_S(60));
    assert_int_equal(cli->err, 0);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 0);
    /* The port is free again: bind it without reuse_addr. */
    viv_tcp_t *n;
    assert_int_equal(viv_tcp_new(&n, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(n, &me), 0);
    viv_tcp_close(n);

    /* Again, closing a held FIN-WAIT-2 500 s in: the orphan waits 60 s from then. */
    tt_sock *c2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_local(&me, c2->s), 0);
    assert_int_equal(viv_tcp_shutdown(c2->s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(500)), 0);
    const void *c2s = c2->s;
    viv_time_t tc = viv_sim_now(w.sim);
    viv_tcp_close(c2->s);
    r = row_of(w.a, me.port);
    assert_int_equal(r.state, VIV_TCP_FIN_WAIT_2);
    assert_int_equal(r.timer, VIV_TIMER_TIMEWAIT);
    assert_int_equal(r.timer_ns, VIV_S(60));
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(100)), 0);
    assert_int_equal(tt_state_time(&w, c2s, VIV_TCP_CLOSED), tc + VIV_S(60));
    tt_world_free(&w);
}

/* SYN-SENT in netstat: the retransmission timer with the retries so far and the time left
 * (SYNs at 0, 1, 3 s: at 3.5 s, two retries, 3.5 s left of the 4 s RTO); the host's own
 * trace says the same. */
static void test_tcp_audit_api__netstat_syn_sent_timer(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_AB, 0), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    tt_sock *k = tt_connect(&w, w.a, TT_B, 80, NULL);
    viv_sockaddr_t me;
    assert_int_equal(viv_tcp_local(&me, k->s), 0);
    assert_int_equal(viv_sim_run_until(w.sim, t0 + VIV_MS(3500)), 0);
    viv_sock_info r = row_of(w.a, me.port);
    assert_int_equal(r.state, VIV_TCP_SYN_SENT);
    assert_int_equal(r.timer, VIV_TIMER_ON);
    assert_int_equal(r.retries, 2);
    assert_int_equal(r.timer_ns, VIV_MS(3500));
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, k->s), 0);
    assert_int_equal(ti.timer_ns[VIV_TCP_TIMER_RTO], VIV_MS(3500));
    assert_int_equal(ti.backoff, 2);
    tt_world_free(&w);
}

/* ICMP network unreachable about our SYN is soft (RFC 1122 4.2.3.9): the SYNs go on, and the
 * connect that gives up reports it: VIV_EV_ERROR with VIV_ENETUNREACH (tcp.h's list). */
static void test_tcp_audit_api__connect_fails_with_enetunreach(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.syn_retries = 1;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_NET, 0, b.rx[0].ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(5)), 0);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(k->all, VIV_EV_ERROR | VIV_EV_CLOSED);
    assert_int_equal(k->err, VIV_ENETUNREACH);
    tt_world_free(&b.w);
}

/* A host switched off with a connection its program holds, unread data in it: the handle
 * stays, CLOSED, no callback; recv returns VIV_ECONNABORTED once (viv_tcp_error's list),
 * then 0; send VIV_EPIPE; no timer runs; the port is free. */
static void test_tcp_audit_api__power_off_held_connection(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    cli->drain = 0;
    assert_int_equal(viv_tcp_send(child->s, "x", 1), 1);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_sockaddr_t me;
    assert_int_equal(viv_tcp_local(&me, cli->s), 0);
    uint32_t calls = cli->calls;
    size_t first = w.nseg;
    assert_int_equal(viv_node_set_up(viv_host_node(w.a), 0), 0);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(cli->calls, calls);
    assert_int_equal(w.nseg, first);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, cli->s), 0);
    assert_int_equal(ti.recv_q, 0);
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        assert_int_equal(ti.timer_ns[k], VIV_TIME_NEVER);
    uint8_t buf[8];
    assert_int_equal(viv_tcp_recv(cli->s, buf, sizeof buf), VIV_ECONNABORTED);
    assert_int_equal(viv_tcp_recv(cli->s, buf, sizeof buf), 0);
    assert_int_equal(viv_tcp_send(cli->s, "y", 1), VIV_EPIPE);
    viv_tcp_t *n;
    assert_int_equal(viv_tcp_new(&n, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(n, &me), 0);
    viv_tcp_close(n);
    viv_tcp_close(cli->s);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_api__soft_error_forgotten_after_progress),
        TT_TEST(test_tcp_audit_api__soft_error_forgotten_when_established),
        TT_TEST(test_tcp_audit_api__misuse_error_codes),
        TT_TEST(test_tcp_audit_api__reset_error_returned_once),
        TT_TEST(test_tcp_audit_api__connect_to_own_address),
        TT_TEST(test_tcp_audit_api__ephemeral_exhaustion),
        TT_TEST(test_tcp_audit_api__connect_shares_ephemeral_ports),
        TT_TEST(test_tcp_audit_api__free_with_every_state),
        TT_TEST(test_tcp_audit_api__callback_closes_others),
        TT_TEST(test_tcp_audit_api__held_to_the_end),
        TT_TEST(test_tcp_audit_api__netstat_syn_sent_timer),
        TT_TEST(test_tcp_audit_api__connect_fails_with_enetunreach),
        TT_TEST(test_tcp_audit_api__power_off_held_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
