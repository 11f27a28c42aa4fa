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

static void run(bench *b)
{
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
}

static viv_tcp_host_stats hstats(bench *b)
{
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, b->w.a), 0);
    return st;
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

/* n bytes of 'x' (n < 512). */
static const char *xs(size_t n)
{
    static char buf[512];
    assert_true(n < sizeof buf);
    memset(buf, 'x', n);
    buf[n] = 0;
    return buf;
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
    run(b);
    assert_int_equal(b->nrx, 1);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, NULL, 0, 0, {0, 0}};
    send_seg(b, &ack);
    run(b);
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
    seg beyond = {VIV_TCP_ACK, rn + 100, sn, xs(100), 0, 0, {0, 0}};
    send_seg(&b, &beyond);
    run(&b);
    assert_int_equal(b.nrx, 1);
    expect(&b, 0, PEER_PORT, VIV_TCP_ACK, sn, rn, 0);
    assert_int_equal(b.rx[0].t.sack_count, 1);
    assert_int_equal(b.rx[0].t.sack[0].left, rn + 100);
    assert_int_equal(b.rx[0].t.sack[0].right, rn + 200);
    assert_int_equal(viv_tcp_shutdown(c->s, VIV_SHUT_RD), 0);
    assert_int_equal(viv_tcp_shutdown(c->s, VIV_SHUT_RD), 0); /* twice: nothing more */
    /* The hole is filled: everything up to rn + 200 is acknowledged, no SACK block. */
    seg hole = {VIV_TCP_ACK, rn, sn, xs(100), 0, 0, {0, 0}};
    send_seg(&b, &hole);
    run(&b);
    assert_int_equal(b.nrx, 2);
    expect(&b, 1, PEER_PORT, VIV_TCP_ACK, sn, rn + 200, 0);
    assert_int_equal(b.rx[1].t.sack_count, 0);
    /* After the shutdown: 50 bytes beyond a hole, SACKed; the hole, then all acknowledged. */
    seg b2 = {VIV_TCP_ACK, rn + 300, sn, xs(50), 0, 0, {0, 0}};
    send_seg(&b, &b2);
    run(&b);
    assert_int_equal(b.nrx, 3);
    expect(&b, 2, PEER_PORT, VIV_TCP_ACK, sn, rn + 200, 0);
    assert_int_equal(b.rx[2].t.sack_count, 1);
    assert_int_equal(b.rx[2].t.sack[0].left, rn + 300);
    assert_int_equal(b.rx[2].t.sack[0].right, rn + 350);
    seg h2 = {VIV_TCP_ACK, rn + 200, sn, xs(100), 0, 0, {0, 0}};
    send_seg(&b, &h2);
    run(&b);
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
    run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(hstats(b).syncookies_sent, 0);
    return l;
}

/* A SYN from sport with that MSS (0: none) and every option: the cookie's SYN-ACK, checked
 * (SYN and ACK, only the MSS option, the window unscaled at 65535). Returns the cookie. */
static uint32_t get_cookie(bench *b, uint16_t sport, uint16_t mss)
{
    uint64_t sent = hstats(b).syncookies_sent;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, NULL, mss, 1, {0, 0}};
    send_from(b, sport, &syn);
    run(b);
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
    assert_int_equal(hstats(b).syncookies_sent, sent + 1);
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
        run(&b);
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
    viv_tcp_host_stats st = hstats(&b);
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
    run(&b);
    assert_int_equal(b.nrx, n + 3);
    expect(&b, n, 2001, VIV_TCP_RST, c1 + 1 + 0x100, 0, 0);
    expect(&b, n + 1, 2003, VIV_TCP_RST, c1 + 1, 0, 0);
    expect(&b, n + 2, 2001, VIV_TCP_RST, c1 + 1, 0, 0);
    assert_int_equal(hstats(&b).syncookies_failed, 3);
    assert_int_equal(l->nchildren, 0);
    /* Arriving in the last microseconds of the next period: still good. */
    viv_time_t end = (made / COOKIE_PERIOD + 2) * COOKIE_PERIOD;
    assert_int_equal(viv_sim_run_until(b.w.sim, end - VIV_US(20)), 0);
    /* (The half-open connection from port 1000 is gone by now: its backlog place free.) */
    seg ok = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &ok);
    assert_int_equal(viv_sim_run_until(b.w.sim, end), 0);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(hstats(&b).syncookies_recv, 1);
    /* Two periods on: stale. */
    n = b.nrx;
    seg late = {VIV_TCP_ACK, PEER_ISN + 1, c2 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2002, &late);
    run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, 2002, VIV_TCP_RST, c2 + 1, 0, 0);
    assert_int_equal(hstats(&b).syncookies_failed, 4);
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
    run(&b);
    assert_int_equal(b.nrx, n + 1);
    expect(&b, n, 1000, VIV_TCP_RST | VIV_TCP_ACK, b.rx[0].t.seq + 1, 5001, 0);
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, c1 + 1, NULL, 0, 0, {0, 0}};
    send_from(&b, 2001, &ack);
    run(&b);
    assert_int_equal(b.nrx, n + 2);
    expect(&b, n + 1, 2001, VIV_TCP_RST, c1 + 1, 0, 0);
    viv_tcp_host_stats st = hstats(&b);
    assert_int_equal(st.syncookies_failed, 0);
    assert_int_equal(st.syncookies_recv, 0);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 0);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_listen__shut_rd_keeps_sacked_data_acknowledged),
        TT_TEST(test_tcp_audit_listen__cookie_carries_the_mss),
        TT_TEST(test_tcp_audit_listen__cookie_validation),
        TT_TEST(test_tcp_audit_listen__cookie_ack_to_a_closed_listener),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
