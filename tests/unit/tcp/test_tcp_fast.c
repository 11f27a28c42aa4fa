/* Header prediction (tcp_in.c, tcp_fast): the segments ESTABLISHED takes without the general
 * steps give exactly what the general steps give. Two kinds of proof:
 *   - scenarios (bulk transfers one way and both ways, with loss, duplication, reordering,
 *     small buffers, with and without SACK, timestamps and window scaling, NewReno and
 *     CUBIC, keepalive, quick ACKs, pauses that let each side idle, a reader that stalls
 *     until its window closes) run with the fast path on and off (viv__tcp_set_fast_path,
 *     the debugging switch): the same fingerprint, events, clock, bytes, and the same trace
 *     record by record (every frame's bytes, every segment, timer, state and window change);
 *   - the boundaries, with crafted segments from a device: which segments the fast path
 *     takes (only ACK or PSH+ACK, exactly at RCV.NXT, all of it in the window, timestamps
 *     not older than TS.Recent, no SACK blocks, a new acknowledgement or data with the same
 *     one) and which it leaves to the general steps (one byte more than the window, out of
 *     order, old data, duplicate ACKs, FIN, URG, an ACK of what was never sent or from
 *     before SND.UNA, PAWS), each script run both ways with the same answers. */
#include "tcp_peer.h"

/* ---- scenarios ------------------------------------------------------------------------- */

typedef struct variant {
    const char *name;
    double loss, dup;
    viv_time_t jitter_ns; /* with reordering */
    int sack, ts, ws;     /* viv_tcp_opts: 1 on, -1 off */
    uint32_t rcvbuf, sndbuf;
    int cubic, quickack, keepalive, both_ways;
    uint32_t bytes;
    /* Pauses: each side stops sending for pause_ns after every burst bytes (0: never), so
     * that it goes idle (RFC 5681 4.1's restart) while the other side still sends. Stall:
     * the accepting side reads nothing before stall_ns (0: reads at once), so that its
     * window closes and the sender probes it (the persist timer). */
    uint32_t burst;
    viv_time_t pause_ns, stall_ns;
} variant;

typedef struct xfer {
    viv_tcp_t *s;
    size_t sent, total, nrx;
    uint64_t rx_hash;
    int eof, wr_done, who;
    const variant *v;
    viv_sim_t *sim;
    size_t next_pause;
    int paused, stall_armed;
} xfer;

typedef struct fworld {
    viv_sim_t *sim;
    viv_host_t *a, *b;
    viv_tcp_t *l;
    const variant *v;
    xfer xa, xb;
    uint64_t *rec; /* one hash per trace record, in order */
    size_t nrec, caprec;
    size_t persist_starts, idle_restarts; /* what the pauses and stalls are for */
} fworld;

typedef struct fres {
    uint64_t fp, events, a_hash, b_hash, fast_acks, fast_data;
    size_t a_rx, b_rx;
    viv_time_t now;
    uint64_t *rec;
    size_t nrec;
    size_t persist_starts, idle_restarts;
} fres;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

#define FNV_FIELD(h, x) ((h) = fnv((h), &(x), sizeof(x)))

static void f_trace(const viv_trace_record *r, void *user)
{
    fworld *w = user;
    uint64_t h = 0xcbf29ce484222325ull;
    int node = !r->node                         ? -1
               : r->node == viv_host_node(w->a) ? 0
               : r->node == viv_host_node(w->b) ? 1
                                                : 2;
    int kind = (int)r->kind;
    FNV_FIELD(h, r->time);
    FNV_FIELD(h, kind);
    FNV_FIELD(h, node);
    FNV_FIELD(h, r->port);
    FNV_FIELD(h, r->reason);
    FNV_FIELD(h, r->events);
    FNV_FIELD(h, r->state);
    FNV_FIELD(h, r->old_state);
    FNV_FIELD(h, r->tcp_flags);
    FNV_FIELD(h, r->seq);
    FNV_FIELD(h, r->ack);
    FNV_FIELD(h, r->seg_len);
    FNV_FIELD(h, r->window);
    FNV_FIELD(h, r->timer);
    FNV_FIELD(h, r->timer_ns);
    FNV_FIELD(h, r->retries);
    FNV_FIELD(h, r->cc_event);
    FNV_FIELD(h, r->cwnd);
    FNV_FIELD(h, r->ssthresh);
    FNV_FIELD(h, r->in_flight);
    if (r->frame)
        h = fnv(h, r->frame, r->frame_len);
    w->persist_starts += r->kind == VIV_TRACE_TCP_TIMER_START && r->timer == VIV_TCP_TIMER_PERSIST;
    w->idle_restarts += r->kind == VIV_TRACE_TCP_CC && r->cc_event == VIV_TRACE_CC_IDLE_RESTART;
    if (w->nrec == w->caprec) {
        w->caprec = w->caprec ? 2 * w->caprec : 4096;
        w->rec = realloc(w->rec, w->caprec * sizeof(*w->rec));
        assert_non_null(w->rec);
    }
    w->rec[w->nrec++] = h;
}

static uint8_t f_pat(int who, size_t i)
{
    return (uint8_t)(who * 31 + i * 7 + (i >> 10));
}

static void f_pump(xfer *x);

static void f_resume(viv_sim_t *sim, void *user)
{
    xfer *x = user;
    (void)sim;
    x->paused = 0;
    f_pump(x);
}

static void f_pump(xfer *x)
{
    uint8_t buf[3000];
    while (x->s && x->sent < x->total) {
        if (x->paused)
            return;
        size_t n = x->total - x->sent;
        if (x->v->burst) {
            if (x->sent == x->next_pause) {
                x->paused = 1;
                x->next_pause += x->v->burst;
                assert_int_equal(viv_sim_schedule_after(NULL, x->sim, x->v->pause_ns, f_resume, x),
                                 0);
                return;
            }
            if (n > x->next_pause - x->sent)
                n = x->next_pause - x->sent;
        }
        if (n > sizeof buf)
            n = sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = f_pat(x->who, x->sent + i);
        int r = viv_tcp_send(x->s, buf, n);
        if (r <= 0)
            return;
        x->sent += (size_t)r;
    }
    if (x->total == 0 && !x->eof)
        return; /* the receiving end of a one-way transfer closes after it */
    if (x->s && x->sent == x->total && !x->wr_done) {
        x->wr_done = 1;
        viv_tcp_shutdown(x->s, VIV_SHUT_WR);
    }
}

static void f_cb(viv_tcp_t *s, uint32_t ev, void *user);

static void f_unstall(viv_sim_t *sim, void *user)
{
    xfer *x = user;
    (void)sim;
    if (x->s)
        f_cb(x->s, VIV_EV_READABLE, x);
}

static void f_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    xfer *x = user;
    (void)s;
    if (ev & VIV_EV_ERROR) {
        viv_tcp_close(x->s);
        x->s = NULL;
        return;
    }
    if ((ev & VIV_EV_READABLE) && x->who == 2 && viv_sim_now(x->sim) < x->v->stall_ns) {
        if (!x->stall_armed) { /* the accepting side reads nothing until stall_ns */
            x->stall_armed = 1;
            assert_int_equal(viv_sim_schedule_at(NULL, x->sim, x->v->stall_ns, f_unstall, x), 0);
        }
        ev &= ~(uint32_t)VIV_EV_READABLE;
    }
    if (ev & VIV_EV_READABLE) {
        uint8_t buf[1000]; /* less than a segment: reads leave frames partly read */
        int n;
        while ((n = viv_tcp_recv(x->s, buf, sizeof buf)) > 0) {
            x->rx_hash = fnv(x->rx_hash, buf, (size_t)n);
            x->nrx += (size_t)n;
        }
        if (n == 0)
            x->eof = 1;
    }
    if (ev & (VIV_EV_CONNECTED | VIV_EV_WRITABLE) || x->eof)
        f_pump(x);
    if (x->s && x->eof && x->wr_done) {
        viv_tcp_close(x->s);
        x->s = NULL;
    }
}

static void f_opts(const variant *v, viv_tcp_opts *o)
{
    *o = (viv_tcp_opts)VIV_TCP_OPTS_INIT;
    o->sack = v->sack;
    o->timestamps = v->ts;
    o->window_scaling = v->ws;
    o->rcvbuf_bytes = v->rcvbuf;
    o->sndbuf_bytes = v->sndbuf;
    o->cc = v->cubic ? &viv_tcp_cc_cubic : &viv_tcp_cc_newreno;
    o->quickack = v->quickack;
    o->keepalive = v->keepalive;
    o->keepalive_idle_ns = VIV_MS(300);
    o->keepalive_interval_ns = VIV_MS(100);
}

static void f_accept(viv_tcp_t *l, uint32_t ev, void *user)
{
    fworld *w = user;
    viv_tcp_t *s;
    if ((ev & VIV_EV_ACCEPTABLE) && viv_tcp_accept(&s, l, f_cb, &w->xb) == 0) {
        w->xb.s = s;
        f_pump(&w->xb);
    }
}

static viv_host_t *f_host(viv_sim_t *sim, const char *name, viv_ip4_t ip)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, ip, 24), 0);
    return h;
}

static fres f_run(const variant *v, int fast)
{
    viv_test_alloc al;
    viv_sim_t *sim = viv_test_sim_new(&al, 11);
    fworld *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->sim = sim;
    w->v = v;
    w->a = f_host(sim, "a", TT_A);
    w->b = f_host(sim, "b", TT_B);
    assert_int_equal(viv__tcp_set_fast_path(w->a, fast), 0);
    assert_int_equal(viv__tcp_set_fast_path(w->b, fast), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 20000000;
    lp.delay_ns = VIV_MS(4);
    lp.loss = v->loss;
    lp.duplicate = v->dup;
    lp.jitter_ns = v->jitter_ns;
    lp.jitter_reorder = v->jitter_ns != 0;
    viv_link_t *link;
    assert_int_equal(viv_link_new(&link, sim, viv_host_port(w->a, 0), viv_host_port(w->b, 0), &lp),
                     0);
    assert_int_equal(viv_sim_trace(sim, f_trace, w), 0);

    viv_tcp_opts o;
    f_opts(v, &o);
    viv_sockaddr_t any = {VIV_IP4_ANY, 5001}, to = {TT_B, 5001};
    assert_int_equal(viv_tcp_new(&w->l, w->b, &o, f_accept, w), 0);
    assert_int_equal(viv_tcp_bind(w->l, &any), 0);
    assert_int_equal(viv_tcp_listen(w->l, 4), 0);
    w->xa.who = 1;
    w->xa.total = v->bytes;
    w->xa.v = w->xb.v = v;
    w->xa.sim = w->xb.sim = sim;
    w->xa.next_pause = w->xb.next_pause = v->burst;
    w->xb.who = 2;
    w->xb.total = v->both_ways ? v->bytes : 0;
    assert_int_equal(viv_tcp_new(&w->xa.s, w->a, &o, f_cb, &w->xa), 0);
    assert_int_equal(viv_tcp_connect(w->xa.s, &to), VIV_EINPROGRESS);
    /* Long enough for the transfers, the closes, keepalives and TIME-WAIT. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(100)), 0);

    fres r;
    memset(&r, 0, sizeof r);
    r.fp = viv_sim_fingerprint(sim);
    r.events = viv_sim_events(sim);
    r.now = viv_sim_now(sim);
    r.a_hash = w->xa.rx_hash;
    r.b_hash = w->xb.rx_hash;
    r.a_rx = w->xa.nrx;
    r.b_rx = w->xb.nrx;
    const viv__tcp_host *ta = viv__tcp_host_get(w->a, 0), *tb = viv__tcp_host_get(w->b, 0);
    r.fast_acks = ta->fast_acks + tb->fast_acks;
    r.fast_data = ta->fast_data + tb->fast_data;
    assert_int_equal(viv_sim_trace(sim, NULL, NULL), 0);
    r.rec = w->rec;
    r.nrec = w->nrec;
    r.persist_starts = w->persist_starts;
    r.idle_restarts = w->idle_restarts;
    if (w->xa.s)
        viv_tcp_close(w->xa.s);
    if (w->xb.s)
        viv_tcp_close(w->xb.s);
    viv_tcp_close(w->l);
    free(w);
    viv_test_sim_free(sim, &al);
    return r;
}

static void f_compare(const variant *v)
{
    fres on = f_run(v, 1), off = f_run(v, 0);
    print_message("%-22s fingerprint %016llx, %llu events, %zu records; fast path: %llu ACKs, "
                  "%llu with data; %zu idle restarts, %zu persist starts\n",
                  v->name, (unsigned long long)on.fp, (unsigned long long)on.events, on.nrec,
                  (unsigned long long)on.fast_acks, (unsigned long long)on.fast_data,
                  on.idle_restarts, on.persist_starts);
    /* Both transfers complete, byte for byte. */
    assert_int_equal(on.b_rx, v->bytes);
    assert_int_equal(on.a_rx, v->both_ways ? v->bytes : 0);
    /* The fast path ran (ACKs always; data whenever it flows both ways or arrives in
     * order) and the switch really turns it off. */
    assert_true(on.fast_acks > 0);
    assert_true(on.fast_data > 0);
    assert_int_equal(off.fast_acks, 0);
    assert_int_equal(off.fast_data, 0);
    /* The pauses make a sender restart after idling, the stalls make one probe a closed
     * window. */
    if (v->pause_ns)
        assert_true(on.idle_restarts > 0);
    if (v->stall_ns)
        assert_true(on.persist_starts > 0);
    assert_int_equal(on.idle_restarts, off.idle_restarts);
    assert_int_equal(on.persist_starts, off.persist_starts);
    /* The same run. */
    size_t first = 0;
    while (first < on.nrec && first < off.nrec && on.rec[first] == off.rec[first])
        first++;
    if (first != on.nrec || on.nrec != off.nrec)
        print_message("the trace differs at record %zu (%zu and %zu records)\n", first, on.nrec,
                      off.nrec);
    assert_int_equal(on.nrec, off.nrec);
    assert_int_equal(first, on.nrec);
    assert_true(on.fp == off.fp);
    assert_int_equal(on.events, off.events);
    assert_int_equal(on.now, off.now);
    assert_true(on.a_hash == off.a_hash);
    assert_true(on.b_hash == off.b_hash);
    free(on.rec);
    free(off.rec);
}

static void test_tcp_fast__scenarios_run_the_same_both_ways(void **state)
{
    (void)state;
    static const variant vs[] = {
        /* name, loss, dup, jitter, sack, ts, ws, rcvbuf, sndbuf, cubic, quickack, keepalive,
         * both ways, bytes, burst, pause, stall */
        {"clean one way", 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 400000, 0, 0, 0},
        {"clean both ways", 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 300000, 0, 0, 0},
        {"lossy, SACK, TS", 0.02, 0.01, VIV_US(300), 1, 1, 1, 0, 0, 0, 0, 0, 1, 300000, 0, 0, 0},
        {"lossy, no options", 0.02, 0.01, VIV_US(300), -1, -1, -1, 0, 0, 0, 0, 0, 1, 300000, 0, 0,
         0},
        {"lossy, SACK only", 0.03, 0, 0, 1, -1, -1, 0, 0, 1, 0, 0, 1, 200000, 0, 0, 0},
        {"lossy, TS only", 0.03, 0, VIV_US(200), -1, 1, 1, 0, 0, 1, 0, 0, 0, 300000, 0, 0, 0},
        {"small buffers", 0.01, 0, 0, 1, 1, -1, 3000, 4000, 0, 0, 0, 1, 100000, 0, 0, 0},
        {"quick ACKs, keepalive", 0.01, 0.02, VIV_US(100), 1, 1, 1, 0, 0, 1, 1, 1, 1, 200000, 0, 0,
         0},
        /* Idle periods both ways (the sender's restart window, also on a side whose data
         * is all acknowledged when the other side's segments arrive), and a receiver whose
         * closed window the sender probes: what decides whether header prediction may skip
         * output. */
        {"pauses both ways", 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 120000, 15000, VIV_MS(600), 0},
        {"pauses, lossy, CUBIC", 0.02, 0, VIV_US(200), 1, 1, 1, 0, 0, 1, 0, 0, 1, 120000, 9000,
         VIV_MS(450), 0},
        {"receiver stalls", 0, 0, 0, 1, 1, 1, 9000, 12000, 0, 0, 0, 1, 80000, 0, 0, VIV_S(3)},
        {"stalls, no options", 0.01, 0, 0, -1, -1, -1, 6000, 8000, 0, 0, 0, 0, 60000, 0, 0,
         VIV_S(2)},
    };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        f_compare(&vs[i]);
}

/* ---- boundaries ------------------------------------------------------------------------ */

/* One crafted segment from the device to port 80: flags, sequence and acknowledgement
 * numbers relative to the peer's ISN and the host's ISS, payload bytes, the window (0: the
 * default), a timestamp (tsval 0: no option), and which path must take it. */
typedef struct fseg {
    uint8_t flags;
    int32_t seq, ack; /* relative; seq INT32_MIN: at RCV.NXT; ack INT32_MIN: at SND.UNA */
    uint16_t len, win;
    uint32_t tsval;
    int fast; /* 1 fast (with data or a new ACK), 0 the general steps */
} fseg;

#define AT_NXT INT32_MIN
#define AT_UNA INT32_MIN
#define LEN_WND 0xffffu  /* len: exactly the window the host announced */
#define LEN_WND1 0xfffeu /* len: one byte more */

typedef struct bres {
    rxseg rx[MAXRX];
    size_t nrx;
    tt_seg seg[64];
    size_t nseg;
    viv_tcp_host_stats st;
} bres;

static void b_send(bench *b, const fseg *f, viv_tcp_t *s)
{
    char buf[520];
    uint32_t rwnd = s->rcv_adv - s->rcv_nxt;
    uint32_t len = f->len == LEN_WND ? rwnd : f->len == LEN_WND1 ? rwnd + 1 : f->len;
    assert_true(len > 0 || f->len == 0);
    assert_true(len < sizeof buf);
    for (uint32_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (s->rcv_nxt + i) % 26);
    buf[len] = 0;
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.flags = f->flags;
    t.seq = f->seq == AT_NXT ? s->rcv_nxt : PEER_ISN + (uint32_t)f->seq;
    t.ack = f->ack == AT_UNA ? s->snd_una : b->iss + (uint32_t)f->ack;
    t.window = f->win ? f->win : 8000;
    if (f->tsval) {
        t.ts_present = true;
        t.tsval = f->tsval;
        t.tsecr = s->ts_off;
    }
    peer_send(b, &t, len ? buf : NULL, PEER_PORT, 80, 0);
}

/* The connection from the device (SYN with timestamps if ts), then the script; each segment
 * is checked to take the path it says (fast: the host's counters move), and what the host
 * sent, its trace of segments and its counters are returned. */
static void b_script(bres *out, int fast, int ts, const fseg *script, size_t n, uint32_t host_sends)
{
    viv_test_alloc al;
    viv_sim_t *sim = viv_test_sim_new(&al, 3);
    bench b;
    bench_build(&b, sim);
    assert_int_equal(viv__tcp_set_fast_path(b.w.a, fast), 0);
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.rcvbuf_bytes = 400; /* a window the segments can fill */
    so.timestamps = ts ? 1 : -1;
    so.fixed_isn = 1;
    so.isn = 5000;
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, &so, 0);
    l->accept = 1;
    struct viv__tcp_repr syn;
    memset(&syn, 0, sizeof syn);
    syn.flags = VIV_TCP_SYN;
    syn.seq = PEER_ISN;
    syn.mss = 1460;
    syn.ts_present = ts;
    syn.tsval = ts ? 100 : 0;
    peer_send(&b, &syn, NULL, PEER_PORT, 80, 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(b.nrx, 1);
    b.iss = b.rx[0].t.seq;
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.flags = VIV_TCP_ACK;
    t.seq = PEER_ISN + 1;
    t.ack = b.iss + 1;
    t.window = 8000;
    t.ts_present = ts;
    t.tsval = ts ? 101 : 0;
    t.tsecr = b.rx[0].t.tsval;
    peer_send(&b, &t, NULL, PEER_PORT, 80, 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(l->nchildren, 1);
    tt_sock *c = l->children[0];
    viv_tcp_t *s = c->s;
    assert_int_equal(viv_tcp_state_get(s), VIV_TCP_ESTABLISHED);
    if (host_sends) { /* data for the peer's ACKs to acknowledge */
        static uint8_t tx[400];
        assert_true(host_sends <= sizeof tx);
        assert_int_equal(viv_tcp_send(s, tx, host_sends), (int)host_sends);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    }
    const viv__tcp_host *th = viv__tcp_host_get(b.w.a, 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t before = th->fast_acks + th->fast_data;
        b_send(&b, &script[i], s);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
        uint64_t took = th->fast_acks + th->fast_data - before;
        if (took != (uint64_t)(fast && script[i].fast))
            print_message("segment %zu: fast path %s\n", i, took ? "took it" : "did not");
        assert_int_equal(took, (uint64_t)(fast && script[i].fast));
    }
    memset(out, 0, sizeof *out);
    memcpy(out->rx, b.rx, sizeof b.rx);
    out->nrx = b.nrx;
    out->nseg = b.w.nseg < 64 ? b.w.nseg : 64;
    memcpy(out->seg, b.w.seg, out->nseg * sizeof(out->seg[0]));
    assert_int_equal(viv_host_tcp_stats(&out->st, b.w.a), 0);
    tt_world_free(&b.w);
    viv_test_sim_free(sim, &al);
}

static void b_compare(int ts, const fseg *script, size_t n, uint32_t host_sends)
{
    bres *on = calloc(2, sizeof *on), *off = on + 1;
    assert_non_null(on);
    b_script(on, 1, ts, script, n, host_sends);
    b_script(off, 0, ts, script, n, host_sends);
    assert_int_equal(on->nrx, off->nrx);
    for (size_t i = 0; i < on->nrx; i++) {
        const rxseg *x = &on->rx[i], *y = &off->rx[i];
        assert_int_equal(x->t.flags, y->t.flags);
        assert_int_equal(x->t.seq - on->rx[0].t.seq, y->t.seq - off->rx[0].t.seq);
        assert_int_equal(x->t.ack, y->t.ack);
        assert_int_equal(x->t.window, y->t.window);
        assert_int_equal(x->t.payload_len, y->t.payload_len);
        assert_int_equal(x->t.ts_present, y->t.ts_present);
        assert_int_equal(x->t.tsecr, y->t.tsecr);
        assert_int_equal(x->t.sack_count, y->t.sack_count);
        assert_memory_equal(x->data, y->data, sizeof x->data);
        assert_int_equal(x->at - on->rx[0].at, y->at - off->rx[0].at);
    }
    assert_int_equal(on->nseg, off->nseg);
    for (size_t i = 0; i < on->nseg; i++) {
        assert_int_equal(on->seg[i].flags, off->seg[i].flags);
        assert_int_equal(on->seg[i].seq, off->seg[i].seq);
        assert_int_equal(on->seg[i].ack, off->seg[i].ack);
        assert_int_equal(on->seg[i].len, off->seg[i].len);
        assert_int_equal(on->seg[i].win, off->seg[i].win);
    }
    assert_memory_equal(&on->st, &off->st, sizeof on->st);
    free(on);
}

/* Without timestamps: data at RCV.NXT is taken (PSH too, filling the window exactly, with
 * a changed window), and everything else is left to the general steps. The host's window
 * is at most 400 bytes (its buffer) and the program reads all it gets at once. */
static void test_tcp_fast__data_boundaries(void **state)
{
    static const fseg script[] = {
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 0, 1},               /* in order */
        {VIV_TCP_ACK | VIV_TCP_PSH, AT_NXT, AT_UNA, 100, 0, 0, 1}, /* PSH too */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 50, 9000, 0, 1},             /* a new window */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, LEN_WND, 0, 0, 1},           /* the whole window */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, LEN_WND1, 0, 0, 0},          /* one byte beyond */
        {VIV_TCP_ACK, 1, AT_UNA, 100, 0, 0, 0},                    /* old data */
        {VIV_TCP_ACK, 5000, AT_UNA, 100, 0, 0, 0},                 /* out of order */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 0, 0, 0, 0},                 /* a bare ACK, no news */
        {VIV_TCP_ACK | VIV_TCP_URG, AT_NXT, AT_UNA, 10, 0, 0, 0},  /* URG */
        {VIV_TCP_ACK, AT_NXT, 2, 10, 0, 0, 0},                     /* acknowledges too much */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 10, 0, 0, 1},                /* in order again */
        {VIV_TCP_ACK | VIV_TCP_FIN, AT_NXT, AT_UNA, 10, 0, 0, 0},  /* FIN */
    };
    (void)state;
    b_compare(0, script, sizeof script / sizeof script[0], 0);
}

/* The host has 300 bytes in flight: new acknowledgements are taken, alone or on data; a
 * duplicate ACK, one from before SND.UNA and one beyond SND.MAX are not. */
static void test_tcp_fast__ack_boundaries(void **state)
{
    static const fseg script[] = {
        {VIV_TCP_ACK, 1, 101, 0, 0, 0, 1},    /* new: 100 of 300 */
        {VIV_TCP_ACK, 1, 101, 0, 0, 0, 0},    /* a duplicate */
        {VIV_TCP_ACK, 1, 51, 0, 0, 0, 0},     /* from before SND.UNA */
        {VIV_TCP_ACK, 1, 51, 20, 0, 0, 0},    /* on data */
        {VIV_TCP_ACK, 21, 302, 0, 0, 0, 0},   /* beyond SND.MAX */
        {VIV_TCP_ACK, 21, 201, 20, 0, 0, 1},  /* new, on data */
        {VIV_TCP_ACK, 41, 201, 20, 0, 0, 1},  /* data, the same ACK */
        {VIV_TCP_ACK, 61, 301, 0, 0, 0, 1},   /* everything */
        {VIV_TCP_ACK, 61, 301, 0, 100, 0, 0}, /* a window update alone */
    };
    (void)state;
    b_compare(0, script, sizeof script / sizeof script[0], 300);
}

/* With timestamps: a timestamp equal to TS.Recent or newer is taken, an older one is PAWS's
 * (an ACK, the segment dropped), a segment without the option goes the general way. */
static void test_tcp_fast__timestamp_boundaries(void **state)
{
    static const fseg script[] = {
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 101, 1}, /* equal to TS.Recent */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 150, 1}, /* newer */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 149, 1}, /* older than the last, not TS.Recent */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 100, 0}, /* older than TS.Recent: PAWS */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 0, 0},   /* no timestamps */
        {VIV_TCP_ACK, AT_NXT, AT_UNA, 100, 0, 160, 1}, /* newer again */
    };
    (void)state;
    b_compare(1, script, sizeof script / sizeof script[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_fast__scenarios_run_the_same_both_ways),
        TT_TEST(test_tcp_fast__data_boundaries),
        TT_TEST(test_tcp_fast__ack_boundaries),
        TT_TEST(test_tcp_fast__timestamp_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
