/* Reading TCP data in place: viv_tcp_peek() gives the contiguous runs of the receive buffer
 * where they lie (in the frames the data came in, or in the ring it was copied into) and
 * viv_tcp_consume() takes them as viv_tcp_recv() would after copying.
 *
 * Crafted segments from a device standing for the peer (tests/unit/tcp/tcp_peer.h) put
 * every kind of piece in the buffer: held frames, short pieces copied into the ring, a hole
 * filled later, the ring wrapping. The runs are checked one by one (length, where they lie,
 * their bytes), through partial consumes, the end of the stream and every error. Then a
 * lossy bulk transfer between two hosts, read once with viv_tcp_recv() and once in place
 * taking the same amounts, must be the same run: the same fingerprint, the same segments. */
#include "../tcp/tcp_peer.h"

#define STREAM 8192
static char stream[STREAM];

/* Byte i of the peer's stream: letters, never NUL (peer_send takes a C string). */
static void stream_init(void)
{
    for (uint32_t i = 0; i < STREAM; i++)
        stream[i] = (char)('a' + (i * 11u + i / 7u) % 26u);
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

/* The peer sends stream bytes [off, off + len) from port sport (len <= 540). */
static void send_data(bench *b, uint16_t sport, uint32_t off, uint32_t len)
{
    char buf[544];
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

/* A listener on the host's port 80 whose connections are not drained: the test reads. */
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

/* A connection from the device's port sport to listener l, established. */
static viv_tcp_t *connect_from(bench *b, tt_sock *l, uint16_t sport)
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
    return l->children[before]->s;
}

/* Where a run lies: in the receive ring (at the position of its offset), or elsewhere (a
 * frame held). */
static int in_ring(const viv_tcp_t *s, const void *p)
{
    const uint8_t *q = p;
    return q >= s->rcv.buf && q < s->rcv.buf + s->rcv.cap;
}

static const uint8_t *ring_at(const viv_tcp_t *s, uint32_t off)
{
    return s->rcv.buf + (s->rcv.head + off) % s->rcv.cap;
}

static viv_sim_t *viv_tcp_sim_of(const viv_tcp_t *s)
{
    return s->base.sim;
}

/* The runs from the head, as expected: lengths, and whether each lies in the ring. Checks
 * each run's bytes against the stream (from stream position at), that a run in the ring is
 * where its offset says, and what follows the last run (want_after). */
static void check_runs(viv_tcp_t *s, uint32_t at, const uint32_t *len, const int *ring,
                       size_t nruns, int want_after)
{
    uint32_t off = 0;
    for (size_t i = 0; i < nruns; i++) {
        const void *p = NULL;
        assert_int_equal(viv_tcp_peek(s, &p, off), (int)len[i]);
        assert_non_null(p);
        assert_memory_equal(p, stream + at + off, len[i]);
        assert_int_equal(in_ring(s, p), ring[i]);
        if (ring[i])
            assert_ptr_equal(p, ring_at(s, off));
        /* Peeking changes nothing: the same run again. */
        const void *p2 = NULL;
        assert_int_equal(viv_tcp_peek(s, &p2, off), (int)len[i]);
        assert_ptr_equal(p2, p);
        off += len[i];
    }
    const void *p = (const void *)1;
    assert_int_equal(viv_tcp_peek(s, &p, off), want_after);
    assert_null(p);
    if (want_after == VIV_EAGAIN)
        assert_string_equal(viv_sim_errmsg(viv_tcp_sim_of(s)),
                            "viv_tcp_peek: nothing more to read yet (EAGAIN)");
    assert_int_equal(viv_tcp_peek(s, &p, off + 1), VIV_EINVAL);
}

/* Held frames, short pieces copied into the ring, a hole filled out of order, partial
 * consumes inside a frame's run and a ring piece, the ring wrapping, the end of the stream. */
static void test_tcp_view__runs_across_frames_and_ring(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 2048, 0);
    viv_tcp_t *s = connect_from(&b, l, PEER_PORT);
    size_t base = live_frames(b.w.sim);

    /* [0, 500) held, [500, 540) copied (shorter than VIV__TCP_RXF_MIN), [540, 1040) held,
     * and [1540, 2040) beyond a hole, held out of order. */
    send_data(&b, PEER_PORT, 0, 500);
    send_data(&b, PEER_PORT, 500, 40);
    send_data(&b, PEER_PORT, 540, 500);
    send_data(&b, PEER_PORT, 1540, 500);
    run(&b);
    assert_int_equal(s->rcv.len, 1040);
    assert_int_equal(live_frames(b.w.sim), base + 3);
    {
        static const uint32_t len[] = {500, 40, 500};
        static const int ring[] = {0, 1, 0};
        check_runs(s, 0, len, ring, 3, VIV_EAGAIN);
    }
    /* The hole filled: five runs, the last one the frame that waited. */
    send_data(&b, PEER_PORT, 1040, 500);
    run(&b);
    assert_int_equal(s->rcv.len, 2040);
    assert_int_equal(live_frames(b.w.sim), base + 4);
    {
        static const uint32_t len[] = {500, 40, 500, 500, 500};
        static const int ring[] = {0, 1, 0, 0, 0};
        check_runs(s, 0, len, ring, 5, VIV_EAGAIN);
    }

    /* Partial consumes: inside the first frame's run (the rest stays where it was), to its
     * end (the frame goes back), inside the ring piece. */
    const void *first = NULL, *p = NULL;
    assert_int_equal(viv_tcp_peek(s, &first, 0), 500);
    assert_int_equal(viv_tcp_consume(s, 200), 0);
    assert_int_equal(viv_tcp_peek(s, &p, 0), 300);
    assert_ptr_equal(p, (const uint8_t *)first + 200);
    assert_int_equal(live_frames(b.w.sim), base + 4);
    assert_int_equal(viv_tcp_consume(s, 300), 0);
    assert_int_equal(live_frames(b.w.sim), base + 3);
    assert_int_equal(viv_tcp_consume(s, 20), 0);
    {
        static const uint32_t len[] = {20, 500, 500, 500};
        static const int ring[] = {1, 0, 0, 0};
        check_runs(s, 520, len, ring, 4, VIV_EAGAIN);
    }
    /* More than is readable: refused, nothing taken. */
    assert_int_equal(viv_tcp_consume(s, 1521), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(b.w.sim), "viv_tcp_consume: 1521 bytes, only 1520 readable");
    assert_int_equal(s->rcv.len, 1520);
    assert_int_equal(viv_tcp_consume(s, 1520), 0);
    assert_int_equal(s->rcv.len, 0);
    assert_int_equal(s->rxf_n, 0);
    assert_int_equal(viv_tcp_peek(s, &p, 0), VIV_EAGAIN);
    assert_string_equal(viv_sim_errmsg(b.w.sim), "viv_tcp_peek: nothing to read (EAGAIN)");
    assert_null(p);
    run(&b);
    assert_int_equal(live_frames(b.w.sim), base); /* every frame back */

    /* The ring (2048 bytes) wraps inside copied data: [2040, 2080) and [2080, 2120) land at
     * ring positions 2040..2047 and 0..71: two runs. The window update sent when the 2040
     * bytes were consumed admits them. */
    assert_int_equal(s->rcv.cap, 2048);
    assert_int_equal(s->rcv.head, 2040);
    send_data(&b, PEER_PORT, 2040, 40);
    send_data(&b, PEER_PORT, 2080, 40);
    run(&b);
    assert_int_equal(s->rcv.len, 80);
    {
        static const uint32_t len[] = {8, 72};
        static const int ring[] = {1, 1};
        check_runs(s, 2040, len, ring, 2, VIV_EAGAIN);
        assert_ptr_equal(ring_at(s, 8), s->rcv.buf);
    }

    /* The FIN after them: peeking past the bytes says the stream ends there; once they are
     * consumed, peeking at 0 says it too, as recv does. */
    send_ctl(&b, PEER_PORT, VIV_TCP_FIN | VIV_TCP_ACK, 2120);
    run(&b);
    {
        static const uint32_t len[] = {8, 72};
        static const int ring[] = {1, 1};
        check_runs(s, 2040, len, ring, 2, 0);
    }
    assert_int_equal(viv_tcp_consume(s, 8), 0);
    assert_int_equal(viv_tcp_consume(s, 72), 0);
    assert_int_equal(viv_tcp_peek(s, &p, 0), 0);
    assert_int_equal(viv_tcp_recv(s, NULL, 0), 0);
    assert_int_equal(viv_tcp_consume(s, 0), 0);
    assert_int_equal(viv_tcp_consume(s, 1), VIV_EINVAL);
    tt_world_free(&b.w);
}

/* Peeking at the pieces of a buffer with many frames held finds each one (the entries are
 * searched, not scanned from the head). */
static void test_tcp_view__many_entries(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *l = listen_on(&b, 8192, 100); /* room for 64 entries and 32 holes */
    viv_tcp_t *s = connect_from(&b, l, PEER_PORT);
    /* 80-byte segments, every other one out of order first, then the others: 64 frames. */
    for (uint32_t i = 1; i < 64; i += 2)
        send_data(&b, PEER_PORT, i * 80u, 80);
    run(&b);
    for (uint32_t i = 0; i < 64; i += 2)
        send_data(&b, PEER_PORT, i * 80u, 80);
    run(&b);
    assert_int_equal(s->rcv.len, 64 * 80);
    assert_int_equal(s->rxf_n, 64);
    for (uint32_t i = 64; i-- > 0;) { /* from the tail: each found where it is */
        const void *p = NULL;
        assert_int_equal(viv_tcp_peek(s, &p, i * 80u + 30u), 50);
        assert_ptr_equal(p, s->rxf[(s->rxf_head + i) & (s->rxf_cap - 1u)].data + 30);
        assert_memory_equal(p, stream + i * 80u + 30u, 50);
    }
    assert_int_equal(viv_tcp_consume(s, 64 * 80), 0);
    assert_int_equal(s->rxf_n, 0);
    tt_world_free(&b.w);
}

/* The errors: not connected (a new socket, a listener), bad arguments, a pending error
 * after the bytes readable (reported, taken only once they are read), shutdown for reading. */
static void test_tcp_view__errors(void **state)
{
    stream_init();
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_sim_t *sim = b.w.sim;
    tt_sock *l = listen_on(&b, 4096, 0);
    const void *p = (const void *)1;

    viv_tcp_t *fresh;
    assert_int_equal(viv_tcp_new(&fresh, b.w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_peek(fresh, &p, 0), VIV_ENOTCONN);
    assert_null(p);
    assert_string_equal(viv_sim_errmsg(sim), "viv_tcp_peek: the socket is not connected");
    assert_int_equal(viv_tcp_peek(fresh, &p, 1), VIV_EINVAL);
    assert_int_equal(viv_tcp_consume(fresh, 0), 0);
    assert_int_equal(viv_tcp_consume(fresh, 1), VIV_EINVAL);
    assert_int_equal(viv_tcp_peek(l->s, &p, 0), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_peek(l->s, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_tcp_peek(NULL, &p, 0), VIV_EINVAL);
    assert_int_equal(viv_tcp_consume(NULL, 0), VIV_EINVAL);
    viv_tcp_close(fresh);

    /* Data, then a reset: the data first, the error after it (peeking past the data reports
     * it and leaves it), then the error once, then 0, as viv_tcp_recv on a twin connection
     * answers. */
    viv_tcp_t *s = connect_from(&b, l, PEER_PORT);
    assert_int_equal(viv_tcp_set_cb(s, NULL, NULL), 0); /* the error stays pending */
    send_data(&b, PEER_PORT, 0, 100);
    send_ctl(&b, PEER_PORT, VIV_TCP_RST, 100);
    run(&b);
    viv_tcp_t *twin = connect_from(&b, l, PEER_PORT + 1); /* b.iss: now the twin's */
    assert_int_equal(viv_tcp_set_cb(twin, NULL, NULL), 0);
    send_data(&b, PEER_PORT + 1, 0, 100);
    send_ctl(&b, PEER_PORT + 1, VIV_TCP_RST, 100);
    run(&b);
    assert_int_equal(viv_tcp_peek(s, &p, 0), 100);
    assert_memory_equal(p, stream, 100);
    assert_int_equal(viv_tcp_peek(s, &p, 100), VIV_ECONNRESET);
    assert_int_equal(viv_tcp_peek(s, &p, 100), VIV_ECONNRESET);
    assert_int_equal(viv_tcp_consume(s, 100), 0);
    assert_int_equal(viv_tcp_peek(s, &p, 0), VIV_ECONNRESET);
    assert_string_equal(viv_sim_errmsg(sim), "viv_tcp_peek: pending error");
    assert_int_equal(viv_tcp_peek(s, &p, 0), 0);
    char buf[200];
    assert_int_equal(viv_tcp_recv(twin, buf, sizeof buf), 100);
    assert_int_equal(viv_tcp_recv(twin, buf, sizeof buf), VIV_ECONNRESET);
    assert_int_equal(viv_tcp_recv(twin, buf, sizeof buf), 0);

    /* Shut down for reading: what was there is discarded, peeking says end of stream. */
    viv_tcp_t *r = connect_from(&b, l, PEER_PORT + 2);
    send_data(&b, PEER_PORT + 2, 0, 100);
    run(&b);
    assert_int_equal(viv_tcp_peek(r, &p, 0), 100);
    assert_int_equal(viv_tcp_shutdown(r, VIV_SHUT_RD), 0);
    assert_int_equal(viv_tcp_peek(r, &p, 0), 0);
    assert_int_equal(viv_tcp_consume(r, 1), VIV_EINVAL);
    tt_world_free(&b.w);
}

/* ---- the same run, read either way ------------------------------------------------------ */

#define BULK 400000u

/* h b's reader: copies with viv_tcp_recv into a chunk-sized buffer, or reads in place the
 * runs up to chunk bytes and consumes them at once. Keeps everything it read. */
typedef struct reader {
    viv_sim_t *sim;
    viv_tcp_t *s;
    int peek;
    size_t chunk;
    uint8_t *got;
    size_t n;
    int eof;
    viv_time_t eof_at;
    uint64_t calls, runs, cut; /* consumes (or recvs), runs peeked, runs cut by chunk */
} reader;

static void reader_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    reader *r = user;
    if (!(events & VIV_EV_READABLE))
        return;
    int n;
    if (r->peek) {
        for (;;) {
            size_t got = 0;
            const void *p;
            while (got < r->chunk && (n = viv_tcp_peek(s, &p, got)) > 0) {
                size_t len = (size_t)n < r->chunk - got ? (size_t)n : r->chunk - got;
                r->cut += len < (size_t)n;
                assert_true(r->n + got + len <= BULK);
                memcpy(r->got + r->n + got, p, len);
                got += len;
                r->runs++;
            }
            if (got == 0)
                break;
            assert_int_equal(viv_tcp_consume(s, got), 0);
            r->n += got;
            r->calls++;
        }
    } else {
        static uint8_t buf[65536];
        assert_true(r->chunk <= sizeof buf);
        while ((n = viv_tcp_recv(s, buf, r->chunk)) > 0) {
            assert_true(r->n + (size_t)n <= BULK);
            memcpy(r->got + r->n, buf, (size_t)n);
            r->n += (size_t)n;
            r->calls++;
        }
    }
    if (n == 0 && !r->eof) {
        r->eof = 1;
        r->eof_at = viv_sim_now(r->sim);
    } else {
        assert_int_equal(n, VIV_EAGAIN);
    }
}

static void listener_cb(viv_tcp_t *l, uint32_t events, void *user)
{
    reader *r = user;
    if ((events & VIV_EV_ACCEPTABLE) && !r->s)
        assert_int_equal(viv_tcp_accept(&r->s, l, reader_cb, r), 0);
}

typedef struct bulk_result {
    uint64_t fp;
    size_t nseg, nrexmit;
    tt_seg seg[TT_MAXSEG];
    reader r;
} bulk_result;

/* a sends BULK bytes to b over a link losing 2% of a's frames; b reads them one way. */
static void bulk_run(bulk_result *out, int peek, size_t chunk, int sack, uint8_t *pattern)
{
    viv_test_alloc al;
    viv_sim_t *sim = viv_test_sim_new(&al, 7);
    static tt_world w;
    tt_world_lossy(&w, sim, sack, 0.02);

    memset(&out->r, 0, sizeof out->r);
    out->r.sim = sim;
    out->r.peek = peek;
    out->r.chunk = chunk;
    out->r.got = calloc(1, BULK);
    assert_non_null(out->r.got);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.rcvbuf_bytes = 16384; /* small: window updates matter */
    viv_tcp_t *lst;
    assert_int_equal(viv_tcp_new(&lst, w.b, &o, listener_cb, &out->r), 0);
    viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 80);
    assert_int_equal(viv_tcp_bind(lst, &any), 0);
    assert_int_equal(viv_tcp_listen(lst, 0), 0);
    tt_sock *k = tt_connect(&w, w.a, TT_B, 80, NULL);
    k->tx = pattern;
    k->ntx = BULK;
    k->shut_after_tx = 1;
    assert_int_equal(viv_sim_run_for(sim, VIV_S(60)), 0);

    assert_true(out->r.eof);
    assert_int_equal(out->r.n, BULK);
    assert_memory_equal(out->r.got, pattern, BULK);
    out->fp = viv_sim_fingerprint(sim);
    out->nseg = w.nseg;
    out->nrexmit = w.nrexmit;
    memcpy(out->seg, w.seg, w.nseg * sizeof w.seg[0]);
    free(out->r.got);
    out->r.got = NULL;
    tt_world_free(&w);
    viv_tcp_close(lst);
    viv_test_sim_free(sim, &al);
}

static void same_run(size_t chunk, int sack)
{
    static uint8_t pattern[BULK];
    tt_pattern(pattern, BULK, 3);
    static bulk_result a, b;
    bulk_run(&a, 0, chunk, sack, pattern);
    bulk_run(&b, 1, chunk, sack, pattern);
    assert_true(a.nrexmit > 0); /* losses, so holes filled out of order */
    assert_int_equal(a.nrexmit, b.nrexmit);
    tt_same_segs(a.seg, a.nseg, b.seg, b.nseg);
    assert_int_equal(a.fp, b.fp);
    assert_int_equal(a.r.eof_at, b.r.eof_at);
    /* The same amounts taken, in several runs at a time after a hole was filled. */
    assert_int_equal(a.r.calls, b.r.calls);
    assert_true(b.r.runs > b.r.calls);
}

/* A chunk that cuts runs (1000 bytes, segments of 1460): consumes end inside a run. */
static void test_tcp_view__same_run_as_recv_small_chunks(void **state)
{
    (void)state;
    same_run(1000, 0);
}

/* Large chunks with SACK: after a hole is filled, one consume takes many runs. */
static void test_tcp_view__same_run_as_recv_sack(void **state)
{
    (void)state;
    same_run(65536, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_view__runs_across_frames_and_ring),
        TT_TEST(test_tcp_view__many_entries),
        TT_TEST(test_tcp_view__errors),
        TT_TEST(test_tcp_view__same_run_as_recv_small_chunks),
        TT_TEST(test_tcp_view__same_run_as_recv_sack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
