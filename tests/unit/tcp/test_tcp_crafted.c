/* A host's TCP against crafted segments from a device standing for its peer (10.0.0.9):
 * RFC 5961's checks (a RST resets only at exactly RCV.NXT, in the window it draws a challenge
 * ACK, outside it is ignored; a SYN in a synchronized state draws a challenge ACK; an ACK of
 * something never sent draws an ACK), no reset ever answers a reset, half-open discovery when
 * the peer restarts, SYNs and RSTs in TIME-WAIT, the MSS option absent or absurd, and
 * malformed segments (bad checksum, data offset, options, truncated), which are counted and
 * never crash. */
#include "tcp_peer.h"

/* One segment from the device: to dport on the host, from PEER_PORT. */
typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    const char *data;
    uint16_t mss;          /* 0: none */
    int corrupt;           /* flip a bit of the checksum */
    uint16_t sport, dport; /* 0: defaults */
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
    peer_send(b, &t, s->data, s->sport ? s->sport : PEER_PORT, s->dport ? s->dport : 80,
              s->corrupt);
}

/* A raw TCP header and payload (len bytes) from the device, with its checksum computed
 * (fix_csum) or left as given. */
static void send_raw_tcp(bench *b, uint8_t *tcp, size_t len, int fix_csum)
{
    uint8_t buf[512];
    memset(buf, 0, sizeof buf);
    if (fix_csum) {
        viv_wr16be(tcp + 16, 0);
        uint64_t acc = viv__cksum_pseudo(PEER_IP, HOST_IP, VIV__IP_PROTO_TCP, (uint16_t)len);
        viv_wr16be(tcp + 16, viv__cksum_finish(viv__cksum_add(acc, tcp, len)));
    }
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

/* The host connects to the device (port 80); the device has not answered yet. */
static tt_sock *host_connect(bench *b, const viv_tcp_opts *o)
{
    tt_sock *k = tt_sock_new(&b->w);
    assert_int_equal(viv_tcp_new(&k->s, b->w.a, o, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN);
    return k;
}

/* A listener on the host and a connection to it from the device, established; data the
 * host sends is acknowledged by the caller. Returns the accepted connection's recorder. */
static tt_sock *handshake(bench *b, const viv_tcp_opts *so, uint16_t mss)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, so, 0);
    l->accept = 1;
    seg syn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, mss, 0, 0, 0};
    send_seg(b, &syn);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b->rx[0].t.ack, PEER_ISN + 1);
    b->iss = b->rx[0].t.seq;
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b->iss + 1, 0, NULL, 0, 0, 0, 0};
    send_seg(b, &ack);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    b->nrx = 0;
    return l->children[0];
}

/* RFC 5961 3.2: a RST exactly at RCV.NXT resets; one elsewhere in the window draws a
 * challenge ACK (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>) and changes nothing; one outside the
 * window is dropped in silence. No reset is ever sent in answer to a reset. */
static void test_tcp_crafted__rst_checks(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460);
    uint32_t rn = PEER_ISN + 1;
    seg in_win = {VIV_TCP_RST, rn + 100, 0, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &in_win);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_ACK);
    assert_int_equal(b.rx[0].t.seq, b.iss + 1);
    assert_int_equal(b.rx[0].t.ack, rn);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(peer_hstats(&b).challenge_acks, 1);

    seg out = {VIV_TCP_RST, rn + 70000, 0, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &out);
    seg before = {VIV_TCP_RST | VIV_TCP_ACK, rn - 1, b.iss + 1, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &before);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);

    seg exact = {VIV_TCP_RST, rn, 0, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &exact);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSED);
    assert_int_equal(c->err, VIV_ECONNRESET);
    assert_int_equal(peer_hstats(&b).estab_resets, 1);
    /* The connection is gone: a RST for it now goes to the listener, which ignores it;
     * with no listener, it is discarded. Never answered. */
    send_seg(&b, &exact);
    seg other = {VIV_TCP_RST, rn, 0, 0, NULL, 0, 0, 0, 81};
    send_seg(&b, &other);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(peer_hstats(&b).rx_rst_closed, 1);
    viv_tcp_close(c->s);
    tt_world_free(&b.w);
}

/* RFC 5961 4.2 and 5.2: a SYN on an established connection draws a challenge ACK; an ACK of
 * data never sent draws an ACK and is dropped; an ACK from too far back is dropped with an
 * ACK. None of them changes the connection. */
static void test_tcp_crafted__syn_and_bad_acks_draw_acks(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460);
    uint32_t rn = PEER_ISN + 1;
    seg syn = {VIV_TCP_SYN, 5000, 0, 0, NULL, 1460, 0, 0, 0};
    send_seg(&b, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_ACK);
    assert_int_equal(b.rx[0].t.ack, rn);
    seg future = {VIV_TCP_ACK, rn, b.iss + 1000, 0, "zz", 0, 0, 0, 0};
    send_seg(&b, &future);
    peer_run(&b);
    assert_int_equal(b.nrx, 2);
    assert_int_equal(b.rx[1].t.ack, rn); /* the data was not taken */
    assert_int_equal(c->nrx, 0);
    seg old = {VIV_TCP_ACK, rn, b.iss - 100000, 0, "zz", 0, 0, 0, 0};
    send_seg(&b, &old);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[2].t.ack, rn);
    assert_int_equal(c->nrx, 0);
    assert_int_equal(peer_hstats(&b).challenge_acks, 2);
    /* A segment outside the window gets an ACK too (RFC 9293 3.10.7.4, first). */
    seg outside = {VIV_TCP_ACK, rn + 100000, b.iss + 1, 0, "zz", 0, 0, 0, 0};
    send_seg(&b, &outside);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    assert_int_equal(peer_hstats(&b).rx_unacceptable, 1);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_ESTABLISHED);
    /* And a good one is taken. */
    seg good = {VIV_TCP_ACK | VIV_TCP_PSH, rn, b.iss + 1, 0, "hi", 0, 0, 0, 0};
    send_seg(&b, &good);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(100)), 0);
    assert_int_equal(c->nrx, 2);
    assert_int_equal(b.nrx, 5); /* its ACK, delayed by 40 ms */
    assert_int_equal(b.rx[4].t.ack, rn + 2);
    tt_world_free(&b.w);
}

/* Half-open discovery: the peer restarted and opens again from the same port. The host
 * answers the new SYN with a challenge ACK; the peer, which has no connection, answers that
 * with a RST at exactly the host's RCV.NXT (<SEQ=SEG.ACK>), and the host's connection is
 * reset. */
static void test_tcp_crafted__half_open_discovery(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460);
    seg syn = {VIV_TCP_SYN, 777777, 0, 0, NULL, 1460, 0, 0, 0};
    send_seg(&b, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    const struct viv__tcp_repr *ca = &b.rx[0].t;
    assert_int_equal(ca->flags, VIV_TCP_ACK);
    /* What the restarted peer's CLOSED state answers to that ACK. */
    struct viv__tcp_repr in = *ca, rst;
    in.src_port = ca->src_port;
    assert_int_equal(viv__tcp_closed_reply(&in, &rst), 0);
    assert_int_equal(rst.flags, VIV_TCP_RST);
    seg r = {rst.flags, rst.seq, rst.ack, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &r);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(c->s), VIV_TCP_CLOSED);
    assert_int_equal(c->err, VIV_ECONNRESET);
    /* The peer's SYN, sent again, now opens a new connection. */
    b.nrx = 0;
    send_seg(&b, &syn);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b.rx[0].t.ack, 777778);
    tt_world_free(&b.w);
}

/* TIME-WAIT on the host (it closed first): a RST at exactly RCV.NXT ends it; a SYN beyond
 * the old connection's numbers, with a listener on the port, opens a new connection whose
 * ISS is 65537 past the old SND.NXT (Linux's rule); an old SYN only draws an ACK. */
static void test_tcp_crafted__syn_and_rst_in_time_wait(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460);
    const void *cs = c->s;
    viv_tcp_close(c->s);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_FIN | VIV_TCP_ACK);
    uint32_t rn = PEER_ISN + 1;
    seg finack = {VIV_TCP_FIN | VIV_TCP_ACK, rn, b.iss + 2, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &finack);
    peer_run(&b);
    assert_int_equal(b.nrx, 2); /* the last ACK */
    assert_int_equal(b.rx[1].t.ack, rn + 1);
    char buf[512];
    assert_string_equal(tt_states(&b.w, cs, buf, sizeof buf),
                        "LISTEN SYN_RECV ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
    /* An old SYN: an ACK. */
    seg oldsyn = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460, 0, 0, 0};
    send_seg(&b, &oldsyn);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[2].t.flags, VIV_TCP_ACK);
    assert_int_equal(b.rx[2].t.ack, rn + 1);
    /* The FIN again: acknowledged, and TIME-WAIT starts over. */
    viv_time_t t_again = viv_sim_now(b.w.sim);
    send_seg(&b, &finack);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    viv_sock_info rows[3];
    assert_int_equal(viv_host_netstat(b.w.a, rows, 3), 2);
    assert_int_equal(rows[1].state, VIV_TCP_TIME_WAIT);
    assert_int_equal(rows[1].timer_ns,
                     t_again + VIV_US(10) + tt_ser(60) + VIV_S(60) - viv_sim_now(b.w.sim));
    /* A new SYN beyond the old numbers: a new connection. */
    seg newsyn = {VIV_TCP_SYN, rn + 100000, 0, 0, NULL, 1460, 0, 0, 0};
    send_seg(&b, &newsyn);
    peer_run(&b);
    assert_int_equal(b.nrx, 5);
    assert_int_equal(b.rx[4].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b.rx[4].t.seq, b.iss + 2 + 65537);
    assert_int_equal(b.rx[4].t.ack, rn + 100001);
    assert_int_equal(viv_host_netstat(b.w.a, rows, 3), 2);
    assert_int_equal(rows[1].state, VIV_TCP_SYN_RECEIVED);
    tt_world_free(&b.w);
}

static void test_tcp_crafted__rst_ends_time_wait(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1460);
    viv_tcp_close(c->s);
    peer_run(&b);
    uint32_t rn = PEER_ISN + 1;
    seg finack = {VIV_TCP_FIN | VIV_TCP_ACK, rn, b.iss + 2, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &finack);
    peer_run(&b);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 2);
    seg inwin = {VIV_TCP_RST, rn + 1000, 0, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &inwin);
    peer_run(&b);
    assert_int_equal(b.nrx, 3); /* a challenge ACK */
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 2);
    seg exact = {VIV_TCP_RST, rn + 1, 0, 0, NULL, 0, 0, 0, 0};
    send_seg(&b, &exact);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 1); /* the listener */
    tt_world_free(&b.w);
}

/* The MSS option: without one the host sends 536-byte segments (RFC 9293 3.7.1); an absurdly
 * small one is raised to 48, a huge one limited by the host's own MTU. */
static void test_tcp_crafted__mss_absent_or_absurd(void **state)
{
    static const struct {
        uint16_t given, used;
    } cases[] = {{0, 536}, {1, 48}, {65535, 1460}, {1000, 1000}};
    for (size_t i = 0; i < VIV__ARRAY_LEN(cases); i++) {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 1);
        bench b;
        bench_build(&b, sim);
        tt_sock *c = handshake(&b, NULL, cases[i].given);
        viv_tcp_info ti;
        assert_int_equal(viv_tcp_info_get(&ti, c->s), 0);
        assert_int_equal(ti.snd_mss, cases[i].used);
        assert_int_equal(ti.rcv_mss, 1460);
        static uint8_t data[2000];
        assert_int_equal(viv_tcp_send(c->s, data, sizeof data), (int)sizeof data);
        peer_run(&b);
        assert_true(b.nrx >= 1);
        assert_int_equal(b.rx[0].t.payload_len, cases[i].used);
        tt_world_free(&b.w);
        viv_test_sim_free(sim, &a);
    }
    (void)state;
}

/* Malformed segments are counted and dropped, never answered, and never crash: a bad
 * checksum, a data offset below 5 or past the end, a segment shorter than a header, and
 * options that run past the header, loop on a zero length, or have the wrong length. */
static void test_tcp_crafted__malformed_segments(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, NULL, 0);
    (void)l;
    seg bad = {VIV_TCP_SYN, PEER_ISN, 0, 0, NULL, 1460, 1, 0, 0};
    send_seg(&b, &bad);
    peer_run(&b);
    viv_tcp_host_stats st = peer_hstats(&b);
    assert_int_equal(st.rx_checksum, 1);

    uint8_t t[64];
    /* A valid SYN header to start from (20 bytes + options). */
    static const uint8_t base[20] = {0x9c, 0x40, 0x00, 0x50, 0,    0,    0x03, 0xe8, 0, 0,
                                     0,    0,    0x50, 0x02, 0xfa, 0xf0, 0,    0,    0, 0};
    /* data offset 4 */
    memcpy(t, base, 20);
    t[12] = 0x40;
    send_raw_tcp(&b, t, 20, 1);
    /* data offset 15 in a 20-byte segment */
    memcpy(t, base, 20);
    t[12] = 0xf0;
    send_raw_tcp(&b, t, 20, 1);
    /* 12 bytes: shorter than a header */
    memcpy(t, base, 20);
    send_raw_tcp(&b, t, 12, 1);
    /* options: MSS with a length of 3 */
    memcpy(t, base, 20);
    t[12] = 0x60;
    t[20] = 2, t[21] = 3, t[22] = 5, t[23] = 0xb4;
    send_raw_tcp(&b, t, 24, 1);
    /* options: a zero length (would loop for ever) */
    t[20] = 0x55, t[21] = 0, t[22] = 0, t[23] = 0;
    send_raw_tcp(&b, t, 24, 1);
    /* options: a length running past the header */
    t[20] = 0x55, t[21] = 9, t[22] = 0, t[23] = 0;
    send_raw_tcp(&b, t, 24, 1);
    /* options: a kind with its length byte past the header */
    t[20] = 1, t[21] = 1, t[22] = 1, t[23] = 0x55;
    send_raw_tcp(&b, t, 24, 1);
    peer_run(&b);
    st = peer_hstats(&b);
    assert_int_equal(st.rx_bad, 7);
    assert_int_equal(st.rx_segments, 8);
    assert_int_equal(b.nrx, 0);
    assert_int_equal(viv_host_netstat(b.w.a, NULL, 0), 1);
    /* Unknown options are skipped, NOPs too, and EOL ends the list: this SYN is fine. */
    t[20] = 1, t[21] = 0x55, t[22] = 2, t[23] = 0;
    send_raw_tcp(&b, t, 24, 1);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);

    /* A fuzz of flags and numbers against the half-open connection and a port nobody has:
     * whatever comes, the host stays sane and answers at most one segment per segment. */
    viv_rng_t r;
    viv_rng_init(&r, 99, 0);
    for (int i = 0; i < 2000; i++) {
        seg f = {(uint8_t)viv_rng_u64(&r),
                 (uint32_t)viv_rng_u64(&r),
                 (uint32_t)viv_rng_u64(&r),
                 (uint16_t)viv_rng_u64(&r),
                 (i & 1) ? "x" : NULL,
                 0,
                 (i % 7) == 0,
                 0,
                 (uint16_t)((i & 2) ? 80 : 81)};
        if (i % 3 == 0) { /* near the real numbers */
            f.seq = PEER_ISN + (uint32_t)(viv_rng_u64(&r) % 5);
            f.ack = b.rx[0].t.seq + (uint32_t)(viv_rng_u64(&r) % 5);
        }
        size_t before = b.nrx;
        send_seg(&b, &f);
        assert_int_equal(viv_sim_run_for(b.w.sim, VIV_US(100)), 0);
        assert_true(b.nrx - before <= 1);
        b.nrx = before < MAXRX - 2 ? b.nrx : 1;
    }
    assert_int_equal(viv_sim_run(b.w.sim), 0);
    tt_world_free(&b.w);
}

/* ICMP port unreachable about the SYN: a hard error, connect fails with ECONNREFUSED (RFC
 * 1122 4.2.3.9). An error quoting a sequence number not in flight is not believed. */
static void test_tcp_crafted__icmp_port_unreachable_refuses(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = host_connect(&b, NULL);
    rxseg bogus = b.rx[0];
    viv_wr32be(bogus.ip + 20 + 4, b.rx[0].t.seq + 1000); /* a number never sent */
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_PORT, 0, bogus.ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_PORT, 0, b.rx[0].ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ECONNREFUSED);
    tt_world_free(&b.w);
}

/* Host unreachable is a soft error (RFC 1122 4.2.3.9): the SYN is still retried, and when
 * connect gives up it reports that error rather than a bare timeout. */
static void test_tcp_crafted__icmp_host_unreachable_is_soft(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.syn_retries = 1;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = host_connect(&b, NULL);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_HOST, 0, b.rx[0].ip, 28);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(5)), 0);
    assert_int_equal(b.nrx, 2); /* the SYN and its one retry */
    assert_int_equal(k->err, VIV_EHOSTUNREACH);
    tt_world_free(&b.w);
}

/* Fragmentation needed (our segments carry DF): the path MTU and the MSS shrink, and what
 * was in flight is sent again in smaller segments (RFC 1191). */
static void test_tcp_crafted__icmp_frag_needed_shrinks_mss(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = host_connect(&b, NULL);
    uint32_t iss = b.rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, 9000, iss + 1, 0, NULL, 1460, 0, 80, 0};
    synack.dport = b.rx[0].t.src_port;
    send_seg(&b, &synack);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    b.nrx = 0;
    static uint8_t data[3000];
    assert_int_equal(viv_tcp_send(k->s, data, sizeof data), (int)sizeof data);
    peer_run(&b);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[0].t.payload_len, 1460);
    peer_send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_FRAG_NEEDED, 1000, b.rx[0].ip, 28);
    peer_run(&b);
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, k->s), 0);
    assert_int_equal(ti.snd_mss, 960);
    assert_int_equal(b.nrx, 7); /* everything in flight, again: 960 + 960 + 960 + 120 */
    assert_int_equal(b.rx[3].t.seq, iss + 1);
    assert_int_equal(b.rx[3].t.payload_len, 960);
    assert_int_equal(b.rx[6].t.seq, iss + 1 + 2880);
    assert_int_equal(b.rx[6].t.payload_len, 120);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_crafted__rst_checks),
        TT_TEST(test_tcp_crafted__syn_and_bad_acks_draw_acks),
        TT_TEST(test_tcp_crafted__half_open_discovery),
        TT_TEST(test_tcp_crafted__syn_and_rst_in_time_wait),
        TT_TEST(test_tcp_crafted__rst_ends_time_wait),
        TT_TEST(test_tcp_crafted__mss_absent_or_absurd),
        TT_TEST(test_tcp_crafted__malformed_segments),
        TT_TEST(test_tcp_crafted__icmp_port_unreachable_refuses),
        TT_TEST(test_tcp_crafted__icmp_host_unreachable_is_soft),
        TT_TEST(test_tcp_crafted__icmp_frag_needed_shrinks_mss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
