/* The receive buffer holds data in the frames it came in, in order and out of order alike
 * (tcp_int.h, viv__tcp_rxf): crafted segments from a device standing for the peer arrive in
 * every order, overlapping and duplicated, and the program reads exactly the stream; the
 * entries stay sorted and disjoint and within their bounds (an entry count, twice the
 * buffer in frame blocks), short pieces are copied, a flood of tiny out-of-order segments
 * holds no more frames than the bounds allow, and every frame goes back when read, when
 * reading is shut down, when the connection is closed or reset, and when the simulation is
 * freed (the fixture fails a test on any block not given back). */
#include "tcp_peer.h"

#define STREAM 100000
static char stream[STREAM];

/* Byte i of the peer's stream: letters, never NUL (peer_send takes a C string). */
static void stream_init(void)
{
    for (uint32_t i = 0; i < STREAM; i++)
        stream[i] = (char)('A' + (i * 7u + i / 13u) % 26u);
}

static size_t live_frames(viv_sim_t *sim)
{
    viv__frame_pool_stats ps;
    viv__frame_pool_stats_get(&ps, sim);
    return ps.live;
}

static void run(bench *b)
{
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    b->nrx = 0; /* the host's ACKs are not looked at here */
}

/* The peer sends stream bytes [off, off + len) from port sport. */
static void send_data(bench *b, uint16_t sport, uint32_t off, uint32_t len)
{
    char buf[520];
    assert_true(len < sizeof buf && off + len <= STREAM);
    memcpy(buf, stream + off, len);
    buf[len] = '\0';
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = PEER_ISN + 1 + off;
    t.ack = b->iss + 1;
    t.flags = VIV_TCP_ACK;
    t.window = 65535;
    peer_send(b, &t, buf, sport, 80, 0);
}

static void send_ctl(bench *b, uint16_t sport, uint8_t flags, uint32_t off)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = PEER_ISN + 1 + off;
    t.ack = b->iss + 1;
    t.flags = flags;
    t.window = 65535;
    peer_send(b, &t, NULL, sport, 80, 0);
}

/* A connection from the device's port sport to listener l on the host, established. */
static tt_sock *connect_from(bench *b, tt_sock *l, uint16_t sport)
{
    size_t before = l->nchildren;
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = PEER_ISN;
    t.flags = VIV_TCP_SYN;
    peer_send(b, &t, NULL, sport, 80, 0);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    assert_true(b->nrx >= 1);
    assert_int_equal(b->rx[b->nrx - 1].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    b->iss = b->rx[b->nrx - 1].t.seq;
    send_ctl(b, sport, VIV_TCP_ACK, 0);
    run(b);
    assert_int_equal(l->nchildren, before + 1);
    return l->children[before];
}

static tt_sock *listen_on(bench *b, uint32_t rcvbuf, uint16_t mss)
{
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.rcvbuf_bytes = rcvbuf;
    o.mss = mss;
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, &o, 0);
    l->accept = 1;
    l->child_no_drain = 1;
    return l;
}

/* The entries: sorted by position, disjoint, within the ring, no more than their cap, and
 * what they hold in blocks plus the room left is twice the buffer. Returns their count. */
static uint32_t check_entries(const viv_tcp_t *s)
{
    if (!s->rxf) {
        assert_int_equal(s->rxf_n, 0);
        return 0;
    }
    assert_int_equal(s->rxf_cap, viv__tcp_rxf_cap(s));
    assert_true(s->rxf_n <= s->rxf_cap);
    uint32_t prev = 0;
    uint64_t mem = 0;
    for (uint32_t i = 0; i < s->rxf_n; i++) {
        const viv__tcp_rxf *e = &s->rxf[(s->rxf_head + i) & (s->rxf_cap - 1u)];
        uint32_t lo = e->pos - s->rcv_rd;
        assert_true(e->len > 0);
        assert_true(i == 0 || lo >= prev);
        assert_true(lo + e->len <= s->rcv.cap);
        /* Its bytes are the stream's at that position. */
        assert_memory_equal(e->data, stream + s->rcv_rd + lo, e->len);
        prev = lo + e->len;
        mem += viv__frame_truesize(e->f);
    }
    assert_int_equal(mem + s->rxf_room, 2ull * s->o.rcvbuf_bytes);
    return s->rxf_n;
}

/* Read everything readable in chunks of chunk bytes; compare with the stream at *at. */
static size_t read_check(tt_sock *k, uint32_t *at, size_t chunk)
{
    static uint8_t buf[STREAM];
    size_t total = 0;
    for (;;) {
        int n = viv_tcp_recv(k->s, buf, chunk);
        if (n == VIV_EAGAIN)
            return total;
        assert_true(n > 0);
        assert_memory_equal(buf, stream + *at, (size_t)n);
        *at += (uint32_t)n;
        total += (size_t)n;
    }
}

/* Eight segments of 200 bytes in four orders: whatever the order, each is held in its
 * frame (out of order or in order), the program reads the stream exactly, and the frames
 * go back as it reads. */
static void test_tcp_ooo__holes_filled_in_any_order(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 0);
    static const int orders[4][8] = {{7, 5, 3, 1, 6, 4, 2, 0},
                                     {1, 2, 3, 4, 5, 6, 7, 0},
                                     {3, 0, 7, 1, 2, 6, 5, 4},
                                     {0, 2, 1, 4, 3, 6, 5, 7}};
    size_t base = live_frames(b.w.sim);
    for (int o = 0; o < 4; o++) {
        uint16_t port = (uint16_t)(PEER_PORT + o);
        tt_sock *k = connect_from(&b, l, port);
        viv_tcp_host_stats st0;
        assert_int_equal(viv_host_tcp_stats(&st0, b.w.a), 0);
        for (int i = 0; i < 8; i++) {
            send_data(&b, port, (uint32_t)orders[o][i] * 200u, 200);
            run(&b);
            assert_int_equal(check_entries(k->s), (uint32_t)i + 1);
        }
        assert_int_equal(k->s->rcv.len, 1600);
        assert_int_equal(k->s->nooo, 0);
        assert_int_equal(live_frames(b.w.sim), base + 8);
        viv_tcp_host_stats st;
        assert_int_equal(viv_host_tcp_stats(&st, b.w.a), 0);
        /* Out of order: every segment that did not start at RCV.NXT when it came. */
        int got[8] = {0}, nxt = 0, ooo = 0;
        for (int i = 0; i < 8; i++) {
            ooo += orders[o][i] != nxt;
            got[orders[o][i]] = 1;
            while (nxt < 8 && got[nxt])
                nxt++;
        }
        assert_int_equal(st.rx_ooo - st0.rx_ooo, (uint64_t)ooo);
        uint32_t at = 0;
        assert_int_equal(read_check(k, &at, 333), 1600);
        assert_int_equal(at, 1600);
        assert_int_equal(check_entries(k->s), 0);
        assert_int_equal(live_frames(b.w.sim), base);
    }
    tt_world_free(&b.w);
}

/* Duplicates and overlaps: a segment fills only the positions nobody holds, each piece of
 * at least VIV__TCP_RXF_MIN bytes in its frame and shorter ones copied into the ring, and
 * the bytes read are the stream's. */
static void test_tcp_ooo__overlaps_and_duplicates(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 0);
    size_t base = live_frames(b.w.sim);
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    viv_tcp_t *s = k->s;
    static const struct {
        uint32_t off, len;
        uint32_t entries; /* after it */
        uint32_t frames;  /* frames held after it */
    } steps[] = {
        {400, 200, 1, 1},  /* [400, 600) held */
        {400, 200, 1, 1},  /* a duplicate: nothing new */
        {500, 300, 2, 2},  /* [600, 800) of it held */
        {300, 150, 3, 3},  /* [300, 400) of it held */
        {350, 350, 3, 3},  /* covered already */
        {820, 80, 4, 4},   /* [820, 900) held */
        {790, 40, 4, 4},   /* [800, 820): 20 bytes, copied */
        {1000, 100, 5, 5}, /* [1000, 1100) */
        {1200, 100, 6, 6}, /* [1200, 1300) */
        {950, 400, 7, 7},  /* [950, 1000) and [1300, 1350) copied, [1100, 1200) held */
        {900, 50, 7, 7},   /* [900, 950): copied */
        {0, 310, 8, 8},    /* in order: [0, 300) held, and everything to 1350 is in order */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        send_data(&b, PEER_PORT, steps[i].off, steps[i].len);
        run(&b);
        assert_int_equal(check_entries(s), steps[i].entries);
        assert_int_equal(live_frames(b.w.sim), base + steps[i].frames);
    }
    assert_int_equal(s->rcv.len, 1350);
    assert_int_equal(s->nooo, 0);
    /* A retransmission of what was read and what is held: nothing changes. */
    send_data(&b, PEER_PORT, 0, 500);
    run(&b);
    assert_int_equal(check_entries(s), 8);
    assert_int_equal(s->rcv.len, 1350);
    uint32_t at = 0;
    assert_int_equal(read_check(k, &at, 97), 1350);
    assert_int_equal(check_entries(s), 0);
    assert_int_equal(live_frames(b.w.sim), base);
    tt_world_free(&b.w);
}

/* Reads while out-of-order frames are held: the in-order bytes are read (part of an entry,
 * then the rest), the entries beyond the hole stay; the hole filled, the rest reads. */
static void test_tcp_ooo__read_while_held(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 0);
    size_t base = live_frames(b.w.sim);
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    viv_tcp_t *s = k->s;
    send_data(&b, PEER_PORT, 0, 300);
    send_data(&b, PEER_PORT, 600, 300);
    send_data(&b, PEER_PORT, 1200, 300);
    run(&b);
    assert_int_equal(check_entries(s), 3);
    uint8_t buf[1500];
    assert_int_equal(viv_tcp_recv(s, buf, 100), 100);
    assert_memory_equal(buf, stream, 100);
    assert_int_equal(check_entries(s), 3); /* the first entry, 200 bytes left */
    assert_int_equal(viv_tcp_recv(s, buf, sizeof buf), 200);
    assert_memory_equal(buf, stream + 100, 200);
    assert_int_equal(check_entries(s), 2);
    assert_int_equal(live_frames(b.w.sim), base + 2);
    assert_int_equal(viv_tcp_recv(s, buf, sizeof buf), VIV_EAGAIN);
    send_data(&b, PEER_PORT, 300, 300); /* the first hole */
    run(&b);
    assert_int_equal(check_entries(s), 3);
    assert_int_equal(s->rcv.len, 600);
    uint32_t at = 300;
    assert_int_equal(read_check(k, &at, 250), 600);
    assert_int_equal(check_entries(s), 1); /* [1200, 1500), beyond the second hole */
    send_data(&b, PEER_PORT, 900, 300);
    run(&b);
    assert_int_equal(read_check(k, &at, 4096), 600);
    assert_int_equal(at, 1500);
    assert_int_equal(check_entries(s), 0);
    assert_int_equal(live_frames(b.w.sim), base);
    tt_world_free(&b.w);
}

/* Frames held beyond a hole go back when reading is shut down, when the program closes
 * the connection, when the peer resets it, and when the simulation is freed. */
static void test_tcp_ooo__frames_back_at_the_end(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 0);
    size_t base = live_frames(b.w.sim);

    /* Shut down for reading: in-order and out-of-order frames go back at once. */
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    send_data(&b, PEER_PORT, 0, 200);
    send_data(&b, PEER_PORT, 400, 200);
    send_data(&b, PEER_PORT, 800, 200);
    run(&b);
    assert_int_equal(check_entries(k->s), 3);
    assert_int_equal(live_frames(b.w.sim), base + 3);
    assert_int_equal(viv_tcp_shutdown(k->s, VIV_SHUT_RD), 0);
    assert_int_equal(check_entries(k->s), 0);
    run(&b);
    assert_int_equal(live_frames(b.w.sim), base);

    /* Closed by the program with data unread and held out of order: a reset, frames back. */
    k = connect_from(&b, l, PEER_PORT + 1);
    send_data(&b, PEER_PORT + 1, 0, 200);
    send_data(&b, PEER_PORT + 1, 400, 200);
    run(&b);
    assert_int_equal(live_frames(b.w.sim), base + 2);
    viv_tcp_close(k->s);
    run(&b);
    assert_int_equal(live_frames(b.w.sim), base);

    /* Reset by the peer with frames held out of order (and none in order). */
    k = connect_from(&b, l, PEER_PORT + 2);
    send_data(&b, PEER_PORT + 2, 300, 200);
    send_data(&b, PEER_PORT + 2, 700, 200);
    run(&b);
    assert_int_equal(check_entries(k->s), 2);
    assert_int_equal(live_frames(b.w.sim), base + 2);
    send_ctl(&b, PEER_PORT + 2, VIV_TCP_RST, 0);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(live_frames(b.w.sim), base);

    /* The peer's FIN with frames held in order (unread) and beyond a hole: the FIN waits
     * for the hole; the program reads everything, then the end of the stream. */
    k = connect_from(&b, l, PEER_PORT + 3);
    send_data(&b, PEER_PORT + 3, 0, 200);
    send_data(&b, PEER_PORT + 3, 400, 200);
    send_ctl(&b, PEER_PORT + 3, VIV_TCP_FIN | VIV_TCP_ACK, 600);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    send_data(&b, PEER_PORT + 3, 200, 200);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSE_WAIT);
    assert_int_equal(check_entries(k->s), 3);
    static uint8_t buf[1000];
    assert_int_equal(viv_tcp_recv(k->s, buf, sizeof buf), 600);
    assert_memory_equal(buf, stream, 600);
    assert_int_equal(viv_tcp_recv(k->s, buf, sizeof buf), 0); /* the end of the stream */
    assert_int_equal(check_entries(k->s), 0);
    assert_int_equal(live_frames(b.w.sim), base);
    tt_world_free(&b.w);
}

/* Left held at the end: the simulation is freed with frames held in order and out of
 * order on an established connection (the fixture checks every block comes back). */
static void test_tcp_ooo__sim_free_with_frames_held(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 0);
    size_t base = live_frames(b.w.sim);
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    send_data(&b, PEER_PORT, 0, 200);
    send_data(&b, PEER_PORT, 400, 200);
    send_data(&b, PEER_PORT, 900, 20); /* copied */
    run(&b);
    assert_int_equal(check_entries(k->s), 2);
    assert_int_equal(live_frames(b.w.sim), base + 2);
    tt_world_free(&b.w);
}

/* Send n segments of len bytes from stream offset off, every step bytes, in batches (the
 * device keeps at most MAXRX of the host's ACKs). */
static void flood(bench *b, uint32_t off, uint32_t len, uint32_t step, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        send_data(b, PEER_PORT, off + i * step, len);
        if (i % 40 == 39)
            run(b);
    }
    run(b);
}

/* A flood of tiny out-of-order segments: segments under VIV__TCP_RXF_MIN bytes are copied;
 * longer ones are held up to the entry count, then copied. Every byte reads back exactly. */
static void test_tcp_ooo__tiny_flood_stays_bounded(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));

    /* 10-byte segments beyond a hole: copied, no frame held. */
    tt_sock *l = listen_on(&b, 65536, 0);
    size_t base = live_frames(b.w.sim);
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    viv_tcp_t *s = k->s;
    flood(&b, 100, 10, 10, 200);
    assert_int_equal(check_entries(s), 0);
    assert_int_equal(live_frames(b.w.sim), base);
    /* 64-byte segments behind them: held until the entry count (128: 65536 / 1460 * 2 + 8,
     * to a power of two), the rest copied. */
    flood(&b, 2100, 64, 64, 300);
    assert_int_equal(viv__tcp_rxf_cap(s), 128);
    assert_int_equal(check_entries(s), 128);
    assert_int_equal(live_frames(b.w.sim), base + 128);
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, b.w.a), 0);
    assert_int_equal(st.rx_ooo_dropped, 0);
    assert_int_equal(s->nooo, 1);
    send_data(&b, PEER_PORT, 0, 100); /* the hole */
    run(&b);
    assert_int_equal(s->rcv.len, 2100 + 300 * 64);
    uint32_t at = 0;
    assert_int_equal(read_check(k, &at, 5000), 2100 + 300 * 64);
    assert_int_equal(check_entries(s), 0);
    run(&b); /* the window updates the reads sent */
    assert_int_equal(live_frames(b.w.sim), base);
    tt_world_free(&b.w);
}

/* An MSS of 100: the count would allow 2,048 entries; the blocks bound them (256-byte
 * blocks against 2 x 65,536 bytes: 512 frames), the rest is copied. Then segments beyond
 * too many holes. */
static void test_tcp_ooo__tiny_flood_bounded_by_blocks(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 65536, 100);
    size_t base = live_frames(b.w.sim);
    tt_sock *k = connect_from(&b, l, PEER_PORT);
    viv_tcp_t *s = k->s;
    viv_tcp_host_stats st;
    uint32_t at;
    flood(&b, 100, 64, 64, 700);
    assert_int_equal(viv__tcp_rxf_cap(s), 2048);
    uint32_t held = check_entries(s);
    size_t block = viv__frame_truesize(s->rxf[s->rxf_head].f);
    assert_int_equal(block, 256);
    assert_int_equal(held, 2u * 65536 / 256);
    assert_true(s->rxf_room < block);
    assert_int_equal(live_frames(b.w.sim), base + held);
    send_data(&b, PEER_PORT, 0, 100);
    run(&b);
    at = 0;
    assert_int_equal(read_check(k, &at, 65536), 100 + 700 * 64);
    run(&b); /* the window update the read sent */
    assert_int_equal(live_frames(b.w.sim), base);

    /* Beyond too many holes (every other 64-byte slot): the out-of-order ranges are
     * bounded (65,536 / (2 x 100) + 2 = 329 here), the segments beyond them dropped and
     * counted, and every range kept is held in its frame. */
    viv_tcp_host_stats st0;
    assert_int_equal(viv_host_tcp_stats(&st0, b.w.a), 0);
    uint32_t next = 100 + 700 * 64;
    flood(&b, next + 64, 64, 128, 400);
    assert_int_equal(viv_host_tcp_stats(&st, b.w.a), 0);
    assert_int_equal(s->nooo, s->ooo_cap);
    assert_int_equal(st.rx_ooo_dropped - st0.rx_ooo_dropped, 400 - s->ooo_cap);
    assert_int_equal(check_entries(s), s->ooo_cap);
    assert_int_equal(live_frames(b.w.sim), base + s->ooo_cap);
    tt_world_free(&b.w); /* held at the end: the fixture checks they go back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_ooo__holes_filled_in_any_order),
        TT_TEST(test_tcp_ooo__overlaps_and_duplicates),
        TT_TEST(test_tcp_ooo__read_while_held),
        TT_TEST(test_tcp_ooo__frames_back_at_the_end),
        TT_TEST(test_tcp_ooo__sim_free_with_frames_held),
        TT_TEST(test_tcp_ooo__tiny_flood_stays_bounded),
        TT_TEST(test_tcp_ooo__tiny_flood_bounded_by_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
