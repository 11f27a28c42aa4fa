/* An audit of the listen backlog and SYN cookies (RFC 4987 3.6, docs/tcp.md "A full
 * backlog"), shutdown for reading, resets in the closing states, a connection to itself, and
 * the sharing of a port between listeners and connections (docs/tcp.md "Addresses in use"),
 * mostly with crafted segments from a device standing for the peer. Every reply is checked
 * to the segment. */
#include "tcp_peer.h"

/* One segment from the device's port sport to port 80 on the host. */
typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    const char *data;
    uint16_t mss;     /* 0: none */
    int offer_all;    /* SYN: SACK-permitted, timestamps and window scale 7 too */
    uint32_t sack[2]; /* one SACK block if sack[1] */
} seg;

static void send_from(bench *b, uint16_t sport, const seg *s)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.mss = s->mss;
    if (s->offer_all) {
        t.sack_permitted = true;
        t.wscale_present = true;
        t.wscale = 7;
        t.ts_present = true;
        t.tsval = 12345;
    }
    if (s->sack[1]) {
        t.sack_count = 1;
        t.sack[0].left = s->sack[0];
        t.sack[0].right = s->sack[1];
    }
    peer_send(b, &t, s->data, sport, 80, 0);
}

static void send_seg(bench *b, const seg *s)
{
    send_from(b, PEER_PORT, s);
}

static viv_tcp_info info(viv_tcp_t *s)
{
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, s), 0);
    return ti;
}

/* Check the i-th segment the host sent: flags, seq, ack, data length, and the port it went
 * to. */
static void expect(const bench *b, size_t i, uint16_t dport, uint8_t flags, uint32_t seq,
                   uint32_t ack, size_t len)
{
    assert_true(i < b->nrx);
    const struct viv__tcp_repr *t = &b->rx[i].t;
    assert_int_equal(t->dst_port, dport);
    assert_int_equal(t->flags, flags);
    assert_int_equal(t->seq, seq);
    assert_int_equal(t->ack, ack);
    assert_int_equal(t->payload_len, len);
}

/* ---- shutdown for reading ------------------------------------------------------------- */

/* A listener on the host and a connection to it from the device with SACK (no timestamps,
 * no window scaling), established and accepted. */
static tt_sock *handshake_sack(bench *b)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, NULL, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = syn.seq;
    t.flags = syn.flags;
    t.mss = syn.mss;
    t.sack_permitted = true;
    peer_send(b, &t, NULL, PEER_PORT, 80, 0);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, NULL, 0, 0, {0, 0}};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(info(l->children[0]->s).sack_ok, 1);
    b->nrx = 0;
    return l->children[0];
}

/* RFC 2018 8: data a receiver has SACKed may be discarded only in extremis, and a receiver
 * that does so reneges; docs/tcp.md promises none ("held data is never dropped later") and
 * says that after a shutdown for reading "what arrives later is acknowledged and discarded".
 * So the bytes SACKed before VIV_SHUT_RD are acknowledged once the hole before them is
 * filled, as the bytes of the hole are: the sender, which will not send SACKed data again
 * before its timer expires (RFC 6675), goes on at once. Data beyond a hole after the
 * shutdown is SACKed and acknowledged the same way. */
static void test_tcp_audit_listen__shut_rd_keeps_sacked_data_acknowledged(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake_sack(&b);
    uint32_t rn = PEER_ISN + 1, sn = b.iss + 1;
    /* 100 bytes beyond a hole of 100: a duplicate ACK with its SACK block. */
    seg beyond = {VIV_TCP_ACK, rn + 100, sn, peer_xs(100), 0, 0, {0, 0}};
    send_seg(&b, &beyond);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    expect(&b, 0, PEER_PORT, VIV_TCP_ACK, sn, rn, 0);
    assert_int_equal(b.rx[0].t.sack_count, 1);
    assert_int_equal(b.rx[0].t.sack[0].left, rn + 100);
    assert_int_equal(b.rx[0].t.sack[0].right, rn + 200);
    assert_int_equal(viv_tcp_shutdown(c->s, VIV_SHUT_RD), 0);
    assert_int_equal(viv_tcp_shutdown(c->s, VIV_SHUT_RD), 0); /* twice: nothing more */
    /* The hole is filled: everything up to rn + 200 is acknowledged, no SACK block. */
    seg hole = {VIV_TCP_ACK, rn, sn, peer_xs(100), 0, 0, {0, 0}};
    send_seg(&b, &hole);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    expect(&b, 1, PEER_PORT, VIV_TCP_ACK, sn, rn + 200, 0);
    assert_int_equal(b.rx[1].t.sack_count, 0);
    /* After the shutdown: 50 bytes beyond a hole, SACKed; the hole, then all acknowledged. */
    seg b2 = {VIV_TCP_ACK, rn + 300, sn, peer_xs(50), 0, 0, {0, 0}};
    send_seg(&b, &b2);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    expect(&b, 2, PEER_PORT, VIV_TCP_ACK, sn, rn + 200, 0);
    assert_int_equal(b.rx[2].t.sack_count, 1);
    assert_int_equal(b.rx[2].t.sack[0].left, rn + 300);
    assert_int_equal(b.rx[2].t.sack[0].right, rn + 350);
    seg h2 = {VIV_TCP_ACK, rn + 200, sn, peer_xs(100), 0, 0, {0, 0}};
    send_seg(&b, &h2);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    expect(&b, 3, PEER_PORT, VIV_TCP_ACK, sn, rn + 350, 0);
    assert_int_equal(b.rx[3].t.sack_count, 0);
    /* Nothing of it is kept, but the right edge moves by an MSS at least (receiver SWS
     * avoidance, RFC 9293 3.8.6.2.2): not yet. */
    assert_int_equal(b.rx[3].t.window, 65535 - 350);
    char buf[8];
    assert_int_equal(viv_tcp_recv(c->s, buf, sizeof buf), 0);
    assert_int_equal(c->nrx, 0);
    tt_world_free(&b.w);
}

/* ---- SYN cookies ------------------------------------------------------------------------ */

#define COOKIE_PERIOD VIV_S(64)

/* The last segment the host sent to the device's port dport (its index), or -1. */
static int last_to(const bench *b, uint16_t dport)
{
    for (size_t i = b->nrx; i-- > 0;)
        if (b->rx[i].t.dst_port == dport)
            return (int)i;
    return -1;
}

/* A listener of backlog 1 on the host, accepting, its one place taken by a half-open
 * connection from the device's port 1000 (its SYN-ACK never answered): the next SYN is
 * answered with a cookie. */
static tt_sock *full_listener(bench *b)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, NULL, 1);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, 5000, 0, NULL, 1460, 0, {0, 0}};
    send_from(b, 1000, &syn);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(peer_hstats(b).syncookies_sent, 0);
    return l;
}

/* A SYN from sport with that MSS (0: none) and every option: the cookie's SYN-ACK, checked
 * (SYN and ACK, only the MSS option, the window unscaled at 65535). Returns the cookie. */
static uint32_t get_cookie(bench *b, uint16_t sport, uint16_t mss)
{
    uint64_t sent = peer_hstats(b).syncookies_sent;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, mss, 1, {0, 0}};
    send_from(b, sport, &syn);
    peer_run(b);
    int i = last_to(b, sport);
    assert_true(i >= 0);
    const struct viv__tcp_repr *t = &b->rx[i].t;
    assert_int_equal(t->flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(t->ack, PEER_ISN + 1);
    assert_int_equal(t->window, 65535);
    assert_int_equal(t->mss, 1460);
    assert_false(t->wscale_present);
    assert_false(t->sack_permitted);
    assert_false(t->ts_present);
    assert_int_equal(peer_hstats(b).syncookies_sent, sent + 1);
    /* The top byte: the period's low 8 bits. */
    assert_int_equal(t->seq >> 24, (uint32_t)(viv_sim_now(b->w.sim) / COOKIE_PERIOD) & 0xffu);
    return t->seq;
}

/* RFC 4987 3.6 and docs/tcp.md: the cookie carries the largest of 536, 1220, 1440, 1460 not
 * above the peer's MSS (536 without the option). Its ACK (with data) makes a connection
 * without window scaling, SACK or timestamps whatever the SYN offered, ISS the cookie, IRS
 * the SYN's number, the windows those of the handshake; the data is delivered and
 * acknowledged from ISS + 1. */
static void test_tcp_audit_listen__cookie_carries_the_mss(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = full_listener(&b);
    static const uint16_t peer[] = {0, 1219, 1220, 1439, 1440, 9000};
    static const uint16_t got[] = {536, 536, 1220, 1220, 1440, 1460};
    for (size_t k = 0; k < sizeof peer / sizeof peer[0]; k++) {
        uint16_t sport = (uint16_t)(2000 + k);
        uint32_t cookie = get_cookie(&b, sport, peer[k]);
        seg ack = {VIV_TCP_ACK | VIV_TCP_PSH, PEER_ISN + 1, cookie + 1, "hello", 0, 0, {0, 0}};
        send_from(&b, sport, &ack);
        peer_run(&b);
        assert_int_equal(l->nchildren, k + 1);
        tt_sock *c = l->children[k];
        viv_tcp_info ti = info(c->s);
        assert_int_equal(ti.state, VIV_TCP_ESTABLISHED);
        assert_int_equal(ti.snd_mss, got[k]);
        assert_int_equal(ti.rcv_mss, 1460);
        assert_int_equal(ti.sack_ok, 0);
        assert_int_equal(ti.ts_ok, 0);
        assert_int_equal(ti.snd_wscale, 0);
        assert_int_equal(ti.rcv_wscale, 0);
        assert_int_equal(ti.snd_wnd, 64240); /* the ACK's window, unscaled */
        assert_int_equal(c->nrx, 5);
        assert_memory_equal(c->rx, "hello", 5);
        /* The data is acknowledged (delayed: 40 ms) from the cookie's ISS. */
        assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(40)), 0);
        int i = last_to(&b, sport);
        expect(&b, (size_t)i, sport, VIV_TCP_ACK, cookie + 1, PEER_ISN + 6, 0);
        /* 5 bytes read, the right edge not moved for them (receiver SWS avoidance). */
        assert_int_equal(b.rx[i].t.window, 65530);
    }
    viv_tcp_host_stats st = peer_hstats(&b);
    assert_int_equal(st.syncookies_recv, sizeof peer / sizeof peer[0]);
    assert_int_equal(st.syncookies_failed, 0);
    tt_world_free(&b.w);
}

/* A cookie is good in the period it was made (64 s) and the next, for its own 4-tuple and
 * the peer's ISN: an ACK with another cookie, from another port, with another sequence
 * number, or two periods late finds no connection and draws <SEQ=SEG.ACK><CTL=RST>
 * (RFC 9293 3.10.7.2), counted as failed. */
static void test_tcp_audit_listen__cookie_validation(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = full_listener(&b);
    viv_time_t made = viv_sim_now(b.w.sim);
    uint32_t c1 = get_cookie(&b, 2001, 1460);
    uint32_t c2 = get_cookie(&b, 2002, 1460);
    assert_int_equal(made / COOKIE_PERIOD, viv_sim_now(b.w.sim) / COOKIE_PERIOD);
    size_t n = b.nrx;
    /* Wrong cookie (one that a slip of the MSS index cannot explain). */
    seg bad = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1 + 0x100, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &bad);
    /* Another port's cookie, and the right cookie with another ISN. */
    seg other = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2003, &other);
    seg isn = {VIV_TCP_ACK, PEER_ISN + 2, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &isn);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 3);
    expect(&b, n, 2001, VIV_TCP_RST, c1 + 1 + 0x100, 0, 0);
    expect(&b, n + 1, 2003, VIV_TCP_RST, c1 + 1, 0, 0);
    expect(&b, n + 2, 2001, VIV_TCP_RST, c1 + 1, 0, 0);
    assert_int_equal(peer_hstats(&b).syncookies_failed, 3);
    assert_int_equal(l->nchildren, 0);
    /* Arriving in the last microseconds of the next period: still good. */
    viv_time_t end = (made / COOKIE_PERIOD + 2) * COOKIE_PERIOD;
    assert_int_equal(viv_sim_run_until(b.w.sim, end - VIV_US(20)), 0);
    /* (The half-open connection from port 1000 is gone by now: its backlog place free.) */
    seg ok = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &ok);
    assert_int_equal(viv_sim_run_until(b.w.sim, end), 0);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(peer_hstats(&b).syncookies_recv, 1);
    /* Two periods on: stale. */
    n = b.nrx;
    seg late = {VIV_TCP_ACK, PEER_ISN + 1, c2 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2002, &late);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, 2002, VIV_TCP_RST, c2 + 1, 0, 0);
    assert_int_equal(peer_hstats(&b).syncookies_failed, 4);
    assert_int_equal(l->nchildren, 1);
    tt_world_free(&b.w);
}

/* A cookie's ACK after the listener is closed: no socket (RFC 9293 3.10.7.1), a reset, not
 * counted as a failed cookie. */
static void test_tcp_audit_listen__cookie_ack_to_a_closed_listener(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = full_listener(&b);
    uint32_t c1 = get_cookie(&b, 2001, 1460);
    size_t n = b.nrx;
    viv_tcp_close(l->s);
    /* The half-open connection is reset (docs/tcp.md). */
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, 1000, VIV_TCP_RST | VIV_TCP_ACK, b.rx[0].t.seq + 1, 5001, 0);
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &ack);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 2);
    expect(&b, n + 1, 2001, VIV_TCP_RST, c1 + 1, 0, 0);
    viv_tcp_host_stats st = peer_hstats(&b);
    assert_int_equal(st.syncookies_failed, 0);
    assert_int_equal(st.syncookies_recv, 0);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 0);
    tt_world_free(&b.w);
}

/* ---- a connection to itself ------------------------------------------------------------- */

/* RFC 9293 3.5: a socket bound to an address and port that connects to that same address and
 * port meets its own SYN in SYN-SENT: a simultaneous open with itself (SYN-RECEIVED, its
 * SYN-ACK then taken as the ACK that completes it, docs/tcp.md): two segments, and what it
 * sends it reads. */
static void test_tcp_audit_listen__self_connect(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&w);
    assert_int_equal(viv_tcp_new(&k->s, w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t me = tt_sa(TT_A, 5000);
    assert_int_equal(viv_tcp_bind(k->s, &me), 0);
    viv_time_t t0 = viv_sim_now(w.sim);
    assert_int_equal(viv_tcp_connect(k->s, &me), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(10)), 0);
    char buf[256];
    assert_string_equal(tt_states(&w, k->s, buf, sizeof buf),
                        "CLOSED SYN_SENT SYN_RECV ESTABLISHED");
    assert_string_equal(tt_segs(&w, 0, buf, sizeof buf), "a S 0:0\n"
                                                         "a S. 0:0 ack 1\n");
    assert_int_equal(k->t_connected, w.seg[1].t);
    assert_true(k->t_connected >= t0);
    assert_int_equal(viv_tcp_send(k->s, "ping", 4), 4);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(k->nrx, 4);
    assert_memory_equal(k->rx, "ping", 4);
    assert_int_equal(viv_host_netstat(w.a, NULL, 0), 1);
    viv_sockaddr_t peer;
    assert_int_equal(viv_tcp_peer(&peer, k->s), 0);
    assert_int_equal(peer.ip, TT_A);
    assert_int_equal(peer.port, 5000);
    /* Its close: FIN-WAIT-1 meets its own FIN (CLOSING), then its own ACK: TIME-WAIT. */
    viv_tcp_close(k->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_sock_info row;
    assert_int_equal(viv_host_netstat(w.a, &row, 1), 1);
    assert_int_equal(row.state, VIV_TCP_TIME_WAIT);
    tt_world_free(&w);
}

/* ---- resets in the closing states -------------------------------------------------------- */

/* A connection from the device, established, the program holding it; the device's FIN then
 * puts it in CLOSE-WAIT. */
static tt_sock *to_close_wait(bench *b)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, NULL, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
    send_seg(b, &syn);
    peer_run(b);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK | VIV_TCP_FIN, PEER_ISN + 1, b->iss + 1, NULL, 0, 0, {0, 0}};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(viv_tcp_state_get(l->children[0]->s), VIV_TCP_CLOSE_WAIT);
    return l->children[0];
}

/* RFC 9293 3.10.7.4 second check: a RST at RCV.NXT in CLOSE-WAIT (the program holding the
 * socket) resets it ("connection reset", counted in estab_resets); in LAST-ACK it ends it,
 * reported as ECONNRESET as Linux does (tcp_reset), not counted. Nothing is sent either
 * time; a RST elsewhere in the window draws a challenge ACK (RFC 5961 3.2). */
static void test_tcp_audit_listen__rst_in_close_wait_and_last_ack(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = to_close_wait(&b);
    uint32_t rn = PEER_ISN + 2;
    size_t n = b.nrx;
    seg near = {VIV_TCP_RST, rn + 1, 0, NULL, 0, 0, {0, 0}};
    send_seg(&b, &near);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, PEER_PORT, VIV_TCP_ACK, b.iss + 1, rn, 0);
    seg rst = {VIV_TCP_RST, rn, 0, NULL, 0, 0, {0, 0}};
    send_seg(&b, &rst);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSED);
    assert_int_equal(c->err, VIV_ECONNRESET);
    assert_int_equal(peer_hstats(&b).estab_resets, 1);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 1); /* the listener */
    char x;
    assert_int_equal(viv_tcp_recv(c->s, &x, 1), 0);
    viv_tcp_close(c->s);

    /* Another connection (port PEER_PORT + 1): CLOSE-WAIT, the program's FIN: LAST-ACK. */
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
    send_from(&b, PEER_PORT + 1, &syn);
    peer_run(&b);
    uint32_t iss2 = b.rx[b.nrx - 1].t.seq;
    seg ackfin = {VIV_TCP_ACK | VIV_TCP_FIN, PEER_ISN + 1, iss2 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, PEER_PORT + 1, &ackfin);
    peer_run(&b);
    tt_sock *l = &b.w.socks[0];
    assert_int_equal(l->nchildren, 2);
    tt_sock *c2 = l->children[1];
    n = b.nrx;
    assert_int_equal(viv_tcp_shutdown(c2->s, VIV_SHUT_WR), 0);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, PEER_PORT + 1, VIV_TCP_FIN | VIV_TCP_ACK, iss2 + 1, rn, 0);
    assert_int_equal(viv_tcp_state_get(c2->s), VIV_TCP_LAST_ACK);
    send_from(&b, PEER_PORT + 1, &rst);
    peer_run(&b);
    assert_int_equal(b.nrx, n + 1);
    assert_int_equal(viv_tcp_state_get(c2->s), VIV_TCP_CLOSED);
    assert_int_equal(c2->err, VIV_ECONNRESET);
    assert_int_equal(peer_hstats(&b).estab_resets, 1);
    /* Its FIN is not sent again: the timer went with the connection. */
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(5)), 0);
    assert_int_equal(b.nrx, n + 1);
    tt_world_free(&b.w);
}

/* A connection in the accept queue reset by the peer before the program accepts it: accept
 * still returns it (as Linux does), CLOSED, its callback hearing ERROR and CLOSED at once,
 * its error ECONNRESET. */
static void test_tcp_audit_listen__reset_before_accept(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, NULL, 0);
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
    send_seg(&b, &syn);
    peer_run(&b);
    b.iss = b.rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b.iss + 1, NULL, 0, 0, {0, 0}};
    send_seg(&b, &ack);
    peer_run(&b);
    assert_int_equal(l->all, VIV_EV_ACCEPTABLE);
    seg rst = {VIV_TCP_RST, PEER_ISN + 1, 0, NULL, 0, 0, {0, 0}};
    send_seg(&b, &rst);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    viv_sock_info rows[2];
    assert_int_equal(viv_host_netstat(b.w.a, rows, 2), 1);
    assert_int_equal(rows[0].recv_q, 1); /* still in the accept queue */
    tt_sock *c = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_accept(&c->s, l->s, tt_sock_cb, c), 0);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSED);
    peer_run(&b);
    assert_int_equal(c->all & (VIV_EV_ERROR | VIV_EV_CLOSED), VIV_EV_ERROR | VIV_EV_CLOSED);
    assert_int_equal(c->err, VIV_ECONNRESET);
    assert_int_equal(viv_tcp_send(c->s, "x", 1), VIV_EPIPE); /* the error was taken */
    viv_tcp_close(c->s);
    viv_tcp_close(l->s);
    tt_world_free(&b.w);
}

/* ---- the backlog ------------------------------------------------------------------------ */

/* A backlog full of established connections nobody accepted drops a SYN, silently and
 * counted (docs/tcp.md); listen again with a larger backlog lets the client's SYN in at
 * once, with a SYN-ACK of its own (no cookie). A smaller backlog than the connections
 * waiting drops none of them. */
static void test_tcp_audit_listen__backlog_changed_while_waiting(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, NULL, 2);
    for (uint16_t p = 1000; p < 1002; p++) {
        seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
        send_from(&b, p, &syn);
        peer_run(&b);
        seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b.rx[b.nrx - 1].t.seq + 1, NULL, 0, 0, {0, 0}};
        send_from(&b, p, &ack);
        peer_run(&b);
    }
    assert_int_equal(b.nrx, 2);
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, 1460, 0, {0, 0}};
    send_from(&b, 1002, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(peer_hstats(&b).listen_overflows, 1);
    assert_int_equal(peer_hstats(&b).syncookies_sent, 0);
    assert_int_equal(viv_tcp_listen(l->s, 3), 0);
    send_from(&b, 1002, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    expect(&b, 2, 1002, VIV_TCP_SYN | VIV_TCP_ACK, b.rx[2].t.seq, PEER_ISN + 1, 0);
    assert_int_equal(peer_hstats(&b).syncookies_sent, 0);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 4); /* SYN-RECEIVED kept: no cookie */
    /* Down to 1 with three waiting: all three stay; nothing more gets in. */
    assert_int_equal(viv_tcp_listen(l->s, 1), 0);
    send_from(&b, 1003, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 4); /* a cookie: one of them is still in its handshake */
    assert_int_equal(peer_hstats(&b).syncookies_sent, 1);
    tt_world_free(&b.w);
}

/* ---- sharing a port ----------------------------------------------------------------------- */

/* docs/tcp.md "Addresses in use": a listener blocks every other bind and listen on its port,
 * reuse_addr or not; a connection it made holds the port as the listener did (with its
 * reuse_addr), so once the listener is closed a new listener on the port needs reuse_addr on
 * both; a specific address and the wildcard overlap. */
static void test_tcp_audit_listen__port_shared_with_connections(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts ro = VIV_TCP_OPTS_INIT;
    ro.reuse_addr = 1;
    /* A server with reuse_addr on b:80 and a connection it made. */
    tt_sock *srv = tt_listen(&w, w.b, 80, &ro, 0);
    srv->accept = 1;
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->nchildren, 1);
    viv_tcp_t *x, *y;
    viv_sockaddr_t any80 = tt_sa(VIV_IP4_ANY, 80), b80 = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_new(&x, w.b, &ro, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(x, &any80), VIV_EADDRINUSE); /* the listener */
    assert_int_equal(viv_tcp_bind(x, &b80), VIV_EADDRINUSE);
    viv_tcp_close(srv->s);
    /* The established connection alone: reuse_addr on both lets a new listener in. */
    assert_int_equal(viv_tcp_bind(x, &b80), 0);
    assert_int_equal(viv_tcp_listen(x, 0), 0);
    assert_int_equal(viv_tcp_new(&y, w.b, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(y, &any80), VIV_EADDRINUSE);
    viv_tcp_close(y);
    /* The connection still works on the shared port, and a new client reaches x. */
    assert_int_equal(viv_tcp_send(cli->s, "abc", 3), 3);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(srv->children[0]->nrx, 3);
    tt_sock *cli2 = tt_connect(&w, w.a, TT_B, 80, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(cli2->s), VIV_TCP_ESTABLISHED);
    viv_tcp_t *acc;
    assert_int_equal(viv_tcp_accept(&acc, x, NULL, NULL), 0);
    viv_tcp_close(acc);
    viv_tcp_close(x);

    /* Without reuse_addr on the server, its connection keeps a new listener out. */
    tt_sock *s2 = tt_listen(&w, w.b, 81, NULL, 0);
    s2->accept = 1;
    tt_connect(&w, w.a, TT_B, 81, NULL);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(s2->nchildren, 1);
    viv_tcp_close(s2->s);
    viv_sockaddr_t any81 = tt_sa(VIV_IP4_ANY, 81);
    assert_int_equal(viv_tcp_new(&y, w.b, &ro, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(y, &any81), VIV_EADDRINUSE);
    viv_tcp_close(y);

    /* A specific address and the wildcard, neither listening: both need reuse_addr; then
     * only one of them may listen. */
    viv_tcp_t *p, *q, *r;
    viv_sockaddr_t any90 = tt_sa(VIV_IP4_ANY, 90), b90 = tt_sa(TT_B, 90);
    assert_int_equal(viv_tcp_new(&p, w.b, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_new(&q, w.b, &ro, NULL, NULL), 0);
    assert_int_equal(viv_tcp_new(&r, w.b, &ro, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(q, &b90), 0);
    assert_int_equal(viv_tcp_bind(p, &any90), VIV_EADDRINUSE);
    assert_int_equal(viv_tcp_bind(r, &any90), 0);
    assert_int_equal(viv_tcp_listen(r, 0), 0);
    assert_int_equal(viv_tcp_listen(q, 0), VIV_EADDRINUSE);
    viv_tcp_close(p);
    viv_tcp_close(q);
    viv_tcp_close(r);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_listen__shut_rd_keeps_sacked_data_acknowledged),
        TT_TEST(test_tcp_audit_listen__cookie_carries_the_mss),
        TT_TEST(test_tcp_audit_listen__cookie_validation),
        TT_TEST(test_tcp_audit_listen__cookie_ack_to_a_closed_listener),
        TT_TEST(test_tcp_audit_listen__self_connect),
        TT_TEST(test_tcp_audit_listen__rst_in_close_wait_and_last_ack),
        TT_TEST(test_tcp_audit_listen__reset_before_accept),
        TT_TEST(test_tcp_audit_listen__backlog_changed_while_waiting),
        TT_TEST(test_tcp_audit_listen__port_shared_with_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
