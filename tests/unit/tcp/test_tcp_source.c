/* Sending from a source (viv_tcp_send_source): the library asks a function for the stream's
 * bytes when it builds each segment, and keeps none of them.
 *
 * A lossy bulk transfer sent once with copies (viv_tcp_send) and once from a source giving
 * the same bytes must be the same run, segment for segment, with the same bytes received
 * (their checksums checked by the receiving stack); a source that gives its bytes in short
 * odd runs changes nothing either. The source is asked only for offsets inside the stream,
 * again for retransmissions, and the send buffer holds no memory for its bytes. Then every
 * misuse: NULL source, mixing with copies, another source, not connected, shut down, a full
 * buffer and VIV_EV_WRITABLE. */
#include "tcp_test.h"

#define BULK 250000u
static uint8_t pattern[BULK];

/* The source: pattern bytes, in runs of at most `run` bytes (0: as many as asked). */
typedef struct source {
    size_t run;
    uint64_t calls, bytes, max_end;
    uint64_t below; /* asked for offsets already asked for before (retransmissions) */
    uint64_t high;  /* the end of the highest range asked for so far */
} source;

static const void *source_fn(void *user, uint64_t off, size_t *n)
{
    source *src = user;
    assert_true(*n >= 1);
    assert_true(off + *n <= BULK); /* never beyond what was queued */
    if (src->run && *n > src->run)
        *n = src->run;
    src->calls++;
    src->bytes += *n;
    if (off < src->high)
        src->below++;
    if (off + *n > src->high)
        src->high = off + *n;
    return pattern + off;
}

static const void *other_fn(void *user, uint64_t off, size_t *n)
{
    (void)user;
    (void)n;
    return pattern + off;
}

/* The sender: queues from the source whenever there is room, then shuts down. */
typedef struct writer {
    viv_tcp_t *s;
    source *src;
    size_t queued;
    int shut;
    uint32_t writable; /* WRITABLE calls after the first EAGAIN */
    int full_seen;
} writer;

static void writer_pump(writer *wr)
{
    while (wr->queued < BULK) {
        int n = viv_tcp_send_source(wr->s, BULK - wr->queued, source_fn, wr->src);
        if (n == VIV_EAGAIN) {
            wr->full_seen = 1;
            return;
        }
        assert_true(n > 0);
        wr->queued += (size_t)n;
    }
    if (!wr->shut) {
        wr->shut = 1;
        assert_int_equal(viv_tcp_shutdown(wr->s, VIV_SHUT_WR), 0);
    }
}

static void writer_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    writer *wr = user;
    (void)s;
    if ((events & VIV_EV_WRITABLE) && wr->full_seen)
        wr->writable++;
    if (events & (VIV_EV_CONNECTED | VIV_EV_WRITABLE))
        writer_pump(wr);
}

typedef struct run_result {
    uint64_t fp;
    size_t nseg, nrexmit;
    tt_seg seg[TT_MAXSEG];
    size_t nrx;
    int eof;
    size_t heap_peak; /* the test allocator's peak, bytes */
} run_result;

/* a sends BULK pattern bytes to b over a cable losing 2% of a's frames; with src NULL by
 * copies (tt_pump), else from the source. b's listener accepts and reads everything. */
static void bulk(run_result *out, source *src, int sack)
{
    viv_test_alloc al;
    viv_sim_t *sim = viv_test_sim_new(&al, 11);
    static tt_world w;
    tt_world_lossy(&w, sim, sack, 0.02);
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    writer wr = {NULL, src, 0, 0, 0, 0};
    if (src) {
        assert_int_equal(viv_tcp_new(&wr.s, w.a, NULL, writer_cb, &wr), 0);
        viv_sockaddr_t to = tt_sa(TT_B, 80);
        assert_int_equal(viv_tcp_connect(wr.s, &to), VIV_EINPROGRESS);
    } else {
        tt_sock *k = tt_connect(&w, w.a, TT_B, 80, NULL);
        k->tx = pattern;
        k->ntx = BULK;
        k->shut_after_tx = 1;
    }
    assert_int_equal(viv_sim_run_for(sim, VIV_S(60)), 0);
    assert_int_equal(l->nchildren, 1);
    tt_sock *rx = l->children[0];
    out->nrx = rx->nrx;
    out->eof = rx->eof;
    assert_int_equal(rx->nrx, BULK);
    assert_memory_equal(rx->rx, pattern, BULK);
    out->fp = viv_sim_fingerprint(sim);
    out->nseg = w.nseg;
    out->nrexmit = w.nrexmit;
    memcpy(out->seg, w.seg, w.nseg * sizeof w.seg[0]);
    out->heap_peak = al.peak_bytes;
    if (src)
        viv_tcp_close(wr.s);
    tt_world_free(&w);
    viv_test_sim_free(sim, &al);
}

static void same_run(source *src, int sack)
{
    static run_result a, b;
    bulk(&a, NULL, sack);
    bulk(&b, src, sack);
    assert_true(a.nrexmit > 0); /* losses: the source is asked again */
    assert_int_equal(a.nrexmit, b.nrexmit);
    tt_same_segs(a.seg, a.nseg, b.seg, b.nseg);
    assert_int_equal(a.fp, b.fp);
    assert_true(b.eof);
    /* Every byte asked for at least once, retransmissions asked again. */
    assert_int_equal(src->high, BULK);
    assert_true(src->below > 0);
    assert_true(src->bytes > BULK);
    /* The copies' send buffer (sndbuf_bytes) is memory the source's socket never takes. */
    assert_true(b.heap_peak < a.heap_peak);
}

static void test_tcp_source__same_run_as_copies(void **state)
{
    (void)state;
    tt_pattern(pattern, BULK, 5);
    source src = {0};
    same_run(&src, 0);
}

/* A source that gives 7 bytes at a time: the segment is put together from 7-byte runs at
 * odd offsets, summed for the checksum as it goes (the receiver checks every segment). */
static void test_tcp_source__short_odd_runs_with_sack(void **state)
{
    (void)state;
    tt_pattern(pattern, BULK, 6);
    source src = {.run = 7};
    same_run(&src, 1);
    assert_true(src.calls > BULK / 7);
}

static void test_tcp_source__misuse(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static tt_world w;
    tt_world_build(&w, sim);
    tt_pattern(pattern, BULK, 7);
    source src = {0};
    viv_tcp_t *s;
    assert_int_equal(viv_tcp_new(&s, w.a, NULL, NULL, NULL), 0);
    /* Not connected. */
    assert_int_equal(viv_tcp_send_source(s, 10, source_fn, &src), VIV_ENOTCONN);
    assert_int_equal(viv_tcp_send_source(s, 10, NULL, &src), VIV_EINVAL);
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    l->child_no_drain = 1; /* b reads nothing: a's buffer fills */
    viv_sockaddr_t to = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_connect(s, &to), VIV_EINPROGRESS);
    /* Queued before the connection is up: sent once it is. */
    assert_int_equal(viv_tcp_send_source(s, 1000, source_fn, &src), 1000);
    assert_int_equal(viv_tcp_send(s, "x", 1), VIV_EINVAL); /* no copies on a source's socket */
    assert_int_equal(viv_tcp_send_source(s, 10, other_fn, &src), VIV_EINVAL);
    assert_int_equal(viv_tcp_send_source(s, 10, source_fn, NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(50)), 0);
    assert_int_equal(l->nchildren, 1);
    viv_tcp_info info;
    assert_int_equal(viv_tcp_info_get(&info, s), 0);
    assert_int_equal(info.bytes_acked, 1000);
    /* Fill the send buffer (the peer reads nothing, so its window closes too). */
    size_t total = 1000;
    int n;
    while ((n = viv_tcp_send_source(s, BULK - total, source_fn, &src)) > 0) {
        total += (size_t)n;
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    }
    assert_int_equal(n, VIV_EAGAIN);
    assert_int_equal(viv_tcp_can_send(s), 0);
    assert_true(total < BULK);
    /* The source gave exactly the bytes the peer holds, in order. */
    tt_sock *rx = l->children[0];
    uint8_t buf[4096];
    size_t got = 0;
    int r;
    while ((r = viv_tcp_recv(rx->s, buf, sizeof buf)) > 0) {
        assert_memory_equal(buf, pattern + got, (size_t)r);
        got += (size_t)r;
    }
    assert_true(got > 1000);
    /* Shut down: no more bytes. */
    assert_int_equal(viv_tcp_shutdown(s, VIV_SHUT_WR), 0);
    assert_int_equal(viv_tcp_send_source(s, 10, source_fn, &src), VIV_EPIPE);

    /* A socket that sent copies cannot send from a source. */
    viv_tcp_t *c;
    assert_int_equal(viv_tcp_new(&c, w.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_connect(c, &to), VIV_EINPROGRESS);
    assert_int_equal(viv_tcp_send(c, "copy", 4), 4);
    assert_int_equal(viv_tcp_send_source(c, 10, source_fn, &src), VIV_EINVAL);
    viv_tcp_abort(c);
    viv_tcp_abort(s);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(50)), 0);
    tt_world_free(&w);
}

/* A full buffer, then room: VIV_EV_WRITABLE, and the writer goes on to the end. */
static void test_tcp_source__writable_when_room_returns(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static tt_world w;
    tt_world_build(&w, sim);
    tt_pattern(pattern, BULK, 8);
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    source src = {0};
    writer wr = {NULL, &src, 0, 0, 0, 0};
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.sndbuf_bytes = 8192; /* fills at once */
    assert_int_equal(viv_tcp_new(&wr.s, w.a, &o, writer_cb, &wr), 0);
    viv_sockaddr_t to = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_connect(wr.s, &to), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);
    assert_true(wr.full_seen);
    assert_true(wr.writable > 0);
    assert_int_equal(wr.queued, BULK);
    tt_sock *rx = l->children[0];
    assert_int_equal(rx->nrx, BULK);
    assert_memory_equal(rx->rx, pattern, BULK);
    assert_true(rx->eof);
    viv_tcp_close(wr.s);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_source__same_run_as_copies),
        cmocka_unit_test(test_tcp_source__short_odd_runs_with_sack),
        TT_TEST(test_tcp_source__misuse),
        TT_TEST(test_tcp_source__writable_when_room_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
