/* TCP options: window scaling and timestamps (RFC 7323), SACK-permitted and SACK blocks
 * (RFC 2018). What a SYN offers and a SYN-ACK answers, each option refused by either end,
 * windows above 64 KiB, PAWS dropping an old segment, the round trip measured from
 * timestamps, the exact SACK blocks a receiver sends, and a transfer both ways across the
 * sequence-number wrap.
 *
 * Crafted segments come from a device standing for the peer (10.0.0.9), as in
 * test_tcp_crafted.c; the two-host world of tcp_test.h turns the options off by default, so
 * each test here asks for them per socket. */
#include "tcp_peer.h"

/* Send a segment (its repr's ports, addresses and payload length filled here). */
static void send_repr(bench *b, struct viv__tcp_repr *t, const char *data)
{
    peer_send(b, t, data, PEER_PORT, 80, 0);
}

/* A connection from the device to a listener on the host; the SYN carries the given
 * options (sack, ts with tsval, wscale when ws >= 0). Returns the accepted socket. */
static tt_sock *handshake(bench *b, const viv_tcp_opts *so, int sack, int ts, uint32_t tsval,
                          int ws)
{
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, so, 0);
    l->accept = 1;
    struct viv__tcp_repr syn;
    memset(&syn, 0, sizeof syn);
    syn.seq = PEER_ISN;
    syn.flags = VIV_TCP_SYN;
    syn.mss = 1460;
    syn.sack_permitted = sack != 0;
    syn.ts_present = ts != 0;
    syn.tsval = tsval;
    syn.wscale_present = ws >= 0;
    syn.wscale = (uint8_t)(ws >= 0 ? ws : 0);
    send_repr(b, &syn, NULL);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    b->iss = b->rx[0].t.seq;
    struct viv__tcp_repr ack;
    memset(&ack, 0, sizeof ack);
    ack.seq = PEER_ISN + 1;
    ack.ack = b->iss + 1;
    ack.flags = VIV_TCP_ACK;
    ack.window = 1000; /* scaled by ws, if on */
    ack.ts_present = ts != 0;
    ack.tsval = tsval + 1;
    ack.tsecr = b->rx[0].t.tsval;
    send_repr(b, &ack, NULL);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    return l->children[0];
}

/* The SYN-ACK answers what the SYN offered, with our own values: MSS 1460, window scale 2
 * (the 128 KiB default buffer needs a shift of 2 to be said in 16 bits), SACK-permitted,
 * and timestamps whose TSecr echoes the SYN's TSval and whose TSval is the host's clock in
 * milliseconds plus the ISS. The window of a SYN-ACK is never scaled. The peer's shift 7
 * scales the window of its ACK: 1000 << 7. */
static void test_tcp_options__synack_answers_the_offer(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1, 1, 5000, 7);
    const struct viv__tcp_repr *sa = &b.rx[0].t;
    assert_int_equal(sa->mss, 1460);
    assert_true(sa->wscale_present);
    assert_int_equal(sa->wscale, 2);
    assert_true(sa->sack_permitted);
    assert_true(sa->ts_present);
    assert_int_equal(sa->tsecr, 5000);
    viv_time_t sent = b.rx[0].at - tt_hop(74) + TT_DELAY - VIV_US(10);
    assert_int_equal(sa->tsval, (uint32_t)(sent / VIV_MS(1)) + b.iss);
    assert_int_equal(sa->window, 65535);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, c->s), 0);
    assert_int_equal(ci.sack_ok, 1);
    assert_int_equal(ci.ts_ok, 1);
    assert_int_equal(ci.snd_wscale, 7);
    assert_int_equal(ci.rcv_wscale, 2);
    assert_int_equal(ci.snd_wnd, 1000u << 7);
    assert_int_equal(ci.snd_mss, 1448); /* 1460 less the timestamp option */
    tt_world_free(&b.w);
}

/* A host connecting offers every option on its SYN (Linux's defaults): MSS, SACK-permitted,
 * timestamps with TSecr 0, window scale. A peer that answers with none gets none used. */
static void test_tcp_options__syn_offers_and_plain_peer(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    peer_run(&b);
    assert_int_equal(b.nrx, 1);
    const struct viv__tcp_repr *syn = &b.rx[0].t;
    assert_int_equal(syn->flags, VIV_TCP_SYN);
    assert_int_equal(syn->mss, 1460);
    assert_true(syn->sack_permitted);
    assert_true(syn->ts_present);
    assert_int_equal(syn->tsecr, 0);
    assert_true(syn->wscale_present);
    assert_int_equal(syn->wscale, 2);
    /* A SYN-ACK with only an MSS option (sent to the host's port, from port 80). */
    uint8_t buf[80];
    memset(buf, 0, sizeof buf);
    struct viv__tcp_repr sa;
    memset(&sa, 0, sizeof sa);
    sa.src_port = 80;
    sa.dst_port = syn->src_port;
    sa.seq = PEER_ISN;
    sa.ack = syn->seq + 1;
    sa.flags = VIV_TCP_SYN | VIV_TCP_ACK;
    sa.window = 1000;
    sa.mss = 1460;
    size_t tl = viv__tcp_len(&sa);
    assert_int_equal(viv__tcp_emit(&sa, PEER_IP, HOST_IP, buf + 34, tl), 0);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_TCP;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)tl;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + tl), 0);
    struct viv__eth_repr e = {b.host_mac, b.mac, VIV__ETHERTYPE_IPV4};
    viv__eth_emit(&e, buf, 60);
    assert_int_equal(viv_device_send(b.dev, 0, buf, 60), 0);
    peer_run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, k->s), 0);
    assert_int_equal(ci.sack_ok, 0);
    assert_int_equal(ci.ts_ok, 0);
    assert_int_equal(ci.snd_wscale, 0);
    assert_int_equal(ci.rcv_wscale, 0);
    assert_int_equal(ci.snd_mss, 1460);
    /* Its ACK carries no option, and the window unscaled (at most 65535). */
    assert_int_equal(b.nrx, 2);
    assert_false(b.rx[1].t.ts_present);
    assert_int_equal(b.rx[1].t.window, 65535);
    tt_world_free(&b.w);
}

/* Each option, offered or refused by either end (socket options 1 and -1): used only when
 * both offer it; the other two stay on throughout. */
static void test_tcp_options__negotiated_and_refused_each_combination(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    uint16_t port = 100;
    for (int opt = 0; opt < 3; opt++) {
        for (int c = 0; c < 2; c++) {
            for (int s = 0; s < 2; s++) {
                viv_tcp_opts co = VIV_TCP_OPTS_INIT, so = VIV_TCP_OPTS_INIT;
                co.sack = co.timestamps = co.window_scaling = 1;
                so.sack = so.timestamps = so.window_scaling = 1;
                int cv = c ? 1 : -1, sv = s ? 1 : -1;
                if (opt == 0)
                    co.sack = cv, so.sack = sv;
                else if (opt == 1)
                    co.timestamps = cv, so.timestamps = sv;
                else
                    co.window_scaling = cv, so.window_scaling = sv;
                tt_sock *l = tt_listen(&w, w.b, port, &so, 0);
                l->accept = 1;
                tt_sock *k = tt_connect(&w, w.a, TT_B, port, &co);
                assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(10)), 0);
                assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
                assert_int_equal(l->nchildren, 1);
                viv_tcp_info ci, si;
                assert_int_equal(viv_tcp_info_get(&ci, k->s), 0);
                assert_int_equal(viv_tcp_info_get(&si, l->children[0]->s), 0);
                int both = c && s;
                assert_int_equal(ci.sack_ok, opt == 0 ? both : 1);
                assert_int_equal(si.sack_ok, opt == 0 ? both : 1);
                assert_int_equal(ci.ts_ok, opt == 1 ? both : 1);
                assert_int_equal(si.ts_ok, opt == 1 ? both : 1);
                int ws = opt == 2 ? both : 1;
                assert_int_equal(ci.rcv_wscale, ws ? 2 : 0);
                assert_int_equal(ci.snd_wscale, ws ? 2 : 0);
                assert_int_equal(si.rcv_wscale, ws ? 2 : 0);
                assert_int_equal(si.snd_wscale, ws ? 2 : 0);
                assert_int_equal(ci.snd_mss, ci.ts_ok ? 1448 : 1460);
                viv_tcp_close(k->s);
                viv_tcp_close(l->children[0]->s);
                viv_tcp_close(l->s);
                tt_world_free(&w);
                port++;
            }
        }
    }
}

/* The largest flight: the highest sequence a sent past the last ACK b had sent before it. */
static uint32_t max_flight(const tt_world *w)
{
    uint32_t una = 1, best = 0;
    for (size_t i = 0; i < w->nseg; i++) {
        const tt_seg *g = &w->seg[i];
        if (g->from == 1 && (g->flags & VIV_TCP_ACK) && g->ack > una)
            una = g->ack;
        if (g->from == 0 && g->len && g->seq + g->len - una > best)
            best = g->seq + g->len - una;
    }
    return best;
}

/* A 1 MiB receive buffer with window scaling: the shift is 5 (65535 << 4 falls short of
 * 1 MiB), the window announced once the reader has drained covers the buffer (to within
 * an MSS, in units of 32 bytes), and a bulk transfer keeps more than 64 KiB in flight. Without scaling on one end, the
 * window stops at 65535 and so does the flight. */
static void scaled_run(viv_sim_t *sim, int ws, uint32_t *snd_wnd, uint32_t *flight)
{
    tt_world w;
    tt_world_build(&w, sim);
    viv_tcp_opts co = VIV_TCP_OPTS_INIT, so = VIV_TCP_OPTS_INIT;
    co.window_scaling = 1;
    co.sndbuf_bytes = 1u << 20;
    so.window_scaling = ws;
    so.rcvbuf_bytes = 1u << 20;
    so.quickack = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &co, &so, &cli, &child, NULL);
    viv_tcp_info si;
    assert_int_equal(viv_tcp_info_get(&si, child->s), 0);
    assert_int_equal(si.rcv_wscale, ws > 0 ? 5 : 0);
    static uint8_t data[200000];
    tt_pattern(data, sizeof data, 11);
    cli->tx = data;
    cli->ntx = sizeof data;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    *flight = max_flight(&w);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    *snd_wnd = ci.snd_wnd;
    tt_world_free(&w);
}

static void test_tcp_options__scaled_window_above_64k(void **state)
{
    uint32_t wnd, flight;
    scaled_run(VIV_TEST_SIM(state), 1, &wnd, &flight);
    /* in units of 2^5, within one MSS of the buffer (receiver SWS avoidance) */
    assert_int_equal(wnd % 32, 0);
    assert_true(wnd > (1u << 20) - 1460 && wnd <= 1u << 20);
    assert_true(flight > 65535);
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    scaled_run(sim, -1, &wnd, &flight);
    viv_test_sim_free(sim, &a);
    assert_true(wnd > 65535 - 1460 && wnd <= 65535);
    assert_true(flight <= 65535);
}

/* PAWS (RFC 7323 5.3): once a segment with TSval 2000 is taken, a segment at RCV.NXT with
 * TSval 1500 is an old duplicate: dropped, answered with an ACK that echoes 2000 and does
 * not move, counted as unacceptable. A later TSval is taken again. */
static void test_tcp_options__paws_drops_an_old_segment(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.quickack = 1;
    tt_sock *c = handshake(&b, &so, 0, 1, 1000, -1);
    b.nrx = 0;
    struct viv__tcp_repr d;
    memset(&d, 0, sizeof d);
    d.seq = PEER_ISN + 1;
    d.ack = b.iss + 1;
    d.flags = VIV_TCP_ACK | VIV_TCP_PSH;
    d.ts_present = true;
    d.tsval = 2000;
    send_repr(&b, &d, "hello");
    peer_run(&b);
    assert_int_equal(c->nrx, 5);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.ack, PEER_ISN + 6);
    assert_int_equal(b.rx[0].t.tsecr, 2000);
    viv_tcp_host_stats st0;
    assert_int_equal(viv_host_tcp_stats(&st0, b.w.a), 0);
    d.seq = PEER_ISN + 6;
    d.tsval = 1500;
    send_repr(&b, &d, "stale");
    peer_run(&b);
    assert_int_equal(c->nrx, 5); /* dropped */
    assert_int_equal(b.nrx, 2);
    assert_int_equal(b.rx[1].t.ack, PEER_ISN + 6);
    assert_int_equal(b.rx[1].t.tsecr, 2000);
    viv_tcp_host_stats st1;
    assert_int_equal(viv_host_tcp_stats(&st1, b.w.a), 0);
    assert_int_equal(st1.rx_unacceptable, st0.rx_unacceptable + 1);
    d.tsval = 2001;
    send_repr(&b, &d, "fresh");
    peer_run(&b);
    assert_int_equal(c->nrx, 10);
    assert_memory_equal(c->rx, "hellofresh", 10);
    assert_int_equal(b.rx[2].t.tsecr, 2001);
    tt_world_free(&b.w);
}

/* Timestamps are on every segment but resets (RFC 7323 3.2): a keepalive probe too. */
static void test_tcp_options__keepalive_probe_carries_timestamps(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.keepalive = 1;
    so.keepalive_idle_ns = VIV_S(1);
    handshake(&b, &so, 0, 1, 3000, -1);
    b.nrx = 0;
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_MS(1100)), 0);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.seq, b.iss); /* SND.UNA - 1 */
    assert_true(b.rx[0].t.ts_present);
    assert_int_equal(b.rx[0].t.tsecr, 3001);
    tt_world_free(&b.w);
}

/* The round trip from timestamps (RFC 7323 4): two full segments draw an ACK at once; its
 * TSecr is the first segment's TSval, so the sample is the difference of the millisecond
 * clock between that segment's departure and the ACK's arrival. SRTT and RTTVAR follow
 * RFC 6298 2.3 from the handshake's sample. */
static void test_tcp_options__timestamps_rtt(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.timestamps = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &o, &o, &cli, &child, NULL);
    viv_tcp_info before;
    assert_int_equal(viv_tcp_info_get(&before, cli->s), 0);
    assert_int_equal(before.ts_ok, 1);
    assert_int_equal(before.snd_mss, 1448);
    size_t first = w.nseg;
    static uint8_t data[2 * 1448];
    tt_pattern(data, sizeof data, 12);
    assert_int_equal(viv_tcp_send(cli->s, data, sizeof data), (int)sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    assert_int_equal(child->nrx, sizeof data);
    char buf[256];
    assert_string_equal(tt_segs(&w, first, buf, sizeof buf), "a . 1:1448 ack 1\n"
                                                             "a P. 1449:1448 ack 1\n"
                                                             "b . 1:0 ack 2897\n");
    viv_time_t sent = w.seg[first].t;
    viv_time_t back = w.seg[first + 2].t + tt_hop(tt_frame(0, 12));
    viv_time_t r = (back / VIV_MS(1) - sent / VIV_MS(1)) * VIV_MS(1);
    viv_tcp_info after;
    assert_int_equal(viv_tcp_info_get(&after, cli->s), 0);
    viv_time_t s0 = before.srtt_ns, v0 = before.rttvar_ns;
    viv_time_t diff = s0 > r ? s0 - r : r - s0;
    assert_int_equal(after.srtt_ns, (7 * s0 + r) / 8);
    assert_int_equal(after.rttvar_ns, (3 * v0 + diff) / 4);
    assert_int_equal(after.min_rtt_ns, r < s0 ? r : s0);
    tt_world_free(&w);
}

/* The blocks a receiver sends (RFC 2018 4), SACK on and no timestamps (room for 4): each
 * segment beyond the hole is acknowledged at once; the first block holds the segment just
 * received, then the blocks of the previous option most recent first; a segment joining two
 * blocks gives the joined range first; one filling the hole moves the ACK and the rest stay
 * reported. */
static void test_tcp_options__sack_blocks_from_receiver(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = handshake(&b, NULL, 1, 0, 0, -1);
    b.nrx = 0;
    static const struct {
        uint32_t off; /* from PEER_ISN + 1, 100 bytes each */
        uint32_t ack; /* expected, from PEER_ISN + 1 */
        uint8_t n;
        uint32_t blk[4][2];
    } steps[] = {
        {100, 0, 1, {{100, 200}}},
        {300, 0, 2, {{300, 400}, {100, 200}}},
        {500, 0, 3, {{500, 600}, {300, 400}, {100, 200}}},
        {700, 0, 4, {{700, 800}, {500, 600}, {300, 400}, {100, 200}}},
        {900, 0, 4, {{900, 1000}, {700, 800}, {500, 600}, {300, 400}}},
        {200, 0, 4, {{100, 400}, {900, 1000}, {700, 800}, {500, 600}}},
        {0, 400, 3, {{900, 1000}, {700, 800}, {500, 600}}},
        {600, 400, 2, {{500, 800}, {900, 1000}}},
    };
    static char payload[101];
    memset(payload, 'x', 100);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct viv__tcp_repr d;
        memset(&d, 0, sizeof d);
        d.seq = PEER_ISN + 1 + steps[i].off;
        d.ack = b.iss + 1;
        d.flags = VIV_TCP_ACK;
        viv_time_t t = viv_sim_now(b.w.sim);
        send_repr(&b, &d, payload);
        peer_run(&b);
        assert_int_equal(b.nrx, i + 1);
        const rxseg *r = &b.rx[i];
        assert_int_equal(r->t.ack, PEER_ISN + 1 + steps[i].ack);
        /* at once: one hop each way (a 154-byte segment in, a bare ACK with options out) */
        assert_int_equal(r->at, t + tt_hop(154) + tt_hop(tt_frame(0, 4 + 8 * steps[i].n)) -
                                    2 * TT_DELAY + 2 * VIV_US(10));
        assert_int_equal(r->t.sack_count, steps[i].n);
        for (unsigned k = 0; k < steps[i].n; k++) {
            assert_int_equal(r->t.sack[k].left, PEER_ISN + 1 + steps[i].blk[k][0]);
            assert_int_equal(r->t.sack[k].right, PEER_ISN + 1 + steps[i].blk[k][1]);
        }
    }
    assert_int_equal(c->nrx, 400);
    tt_world_free(&b.w);
}

/* A scaled window's right edge never falls back (RFC 9293 3.8.6, SHLD-14), though RCV.NXT
 * moves by 99 bytes at a time, off the grid of the shift's 4-byte units: each window is
 * said rounded up, so ACK + (window << 2) only grows. Rounded down, as it was, the edge
 * fell back by 1 to 3 bytes at most ACKs. The reader takes everything as it comes, so the
 * window stays the 128 KiB buffer, to within the receiver's SWS avoidance (one MSS), the
 * segment not read yet and one unit; the data is delivered whole. */
static void test_tcp_options__scaled_window_edge_never_falls_back(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.window_scaling = 1;
    so.quickack = 1; /* an ACK for every segment */
    tt_sock *c = handshake(&b, &so, 0, 0, 0, 0);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, c->s), 0);
    assert_int_equal(ci.rcv_wscale, 2);
    b.nrx = 0;
    static char payload[100];
    memset(payload, 'y', 99);
    uint32_t last_edge = 0;
    int n = 40;
    for (int i = 0; i < n; i++) {
        struct viv__tcp_repr d;
        memset(&d, 0, sizeof d);
        d.seq = PEER_ISN + 1 + 99u * (uint32_t)i;
        d.ack = b.iss + 1;
        d.flags = VIV_TCP_ACK;
        d.window = 1000;
        send_repr(&b, &d, payload);
        peer_run(&b);
        assert_int_equal(b.nrx, (size_t)i + 1);
        const rxseg *r = &b.rx[i];
        assert_int_equal(r->t.ack, PEER_ISN + 1 + 99u * ((uint32_t)i + 1));
        uint32_t wnd = (uint32_t)r->t.window << 2;
        uint32_t edge = r->t.ack + wnd;
        if (i)
            assert_true(viv__seq_ge(edge, last_edge));
        /* at most the buffer (the ring's 3 bytes beyond it hold no whole unit); at least
         * the buffer less the segment not read yet when the ACK leaves, less what SWS
         * avoidance holds back (under one MSS), less the unit's rounding */
        assert_true(wnd <= (128u << 10) && wnd > (128u << 10) - 99 - 1460 - 4);
        last_edge = edge;
    }
    assert_int_equal(c->nrx, 99 * n);
    tt_world_free(&b.w);
}

/* Data both ways at once across the wrap of the sequence space: both ISNs are a few
 * segments below 2^32. Every byte arrives once and in order, with the options on. */
static void test_tcp_options__wraparound_both_ways(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.fixed_isn = 1;
    o.isn = 0xffffffffu - 5000u;
    o.sack = o.timestamps = o.window_scaling = 1;
    tt_sock *cli, *child;
    tt_establish(&w, &o, &o, &cli, &child, NULL);
    static uint8_t up[150000], down[150000];
    tt_pattern(up, sizeof up, 21);
    tt_pattern(down, sizeof down, 22);
    cli->tx = up;
    cli->ntx = sizeof up;
    child->tx = down;
    child->ntx = sizeof down;
    tt_pump(cli);
    tt_pump(child);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(child->nrx, sizeof up);
    assert_memory_equal(child->rx, up, sizeof up);
    assert_int_equal(cli->nrx, sizeof down);
    assert_memory_equal(cli->rx, down, sizeof down);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.snd_una, (uint32_t)(o.isn + 1u + (uint32_t)sizeof up)); /* wrapped */
    assert_true(ci.snd_una < ci.iss);
    assert_int_equal(ci.rcv_nxt, (uint32_t)(o.isn + 1u + (uint32_t)sizeof down));
    assert_int_equal(w.nrexmit, 0);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_options__synack_answers_the_offer),
        TT_TEST(test_tcp_options__syn_offers_and_plain_peer),
        TT_TEST(test_tcp_options__negotiated_and_refused_each_combination),
        TT_TEST(test_tcp_options__scaled_window_above_64k),
        TT_TEST(test_tcp_options__paws_drops_an_old_segment),
        TT_TEST(test_tcp_options__keepalive_probe_carries_timestamps),
        TT_TEST(test_tcp_options__timestamps_rtt),
        TT_TEST(test_tcp_options__sack_blocks_from_receiver),
        TT_TEST(test_tcp_options__scaled_window_edge_never_falls_back),
        TT_TEST(test_tcp_options__wraparound_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
