/* Loss recovery, segment by segment: fast retransmit on the third duplicate ACK and not
 * before (RFC 5681 3.2, with RFC 3042's limited transmit on the first two), NewReno's
 * partial ACK retransmitting the next hole at once (RFC 6582), SACK recovery retransmitting
 * exactly the holes within one round trip (RFC 6675), a timeout ending recovery, and a
 * chaos run: 10 MB both ways at once through loss, duplication, reordering and corruption on
 * several seeds, delivered exactly once and in order.
 *
 * The client's ISS is fixed at 0, so its segment k (MSS 1460, from 0) starts at sequence
 * number 1 + 1460 k; the intercept drops the first transmission of chosen segments. */
#include "tcp_test.h"

#define MSS 1460u
#define SEGSEQ(k) (1u + MSS * (uint32_t)(k))

typedef struct dropper {
    uint32_t seq[16];
    uint8_t done[16];
    size_t n;
    uint32_t dropped;
} dropper;

static viv_verdict drop_first(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                              const viv_frame_info *info, viv_time_t *delay_ns, void *user)
{
    dropper *d = user;
    (void)link, (void)dir, (void)frame, (void)len, (void)delay_ns;
    if (info->ip_proto != VIV_IPPROTO_TCP || info->payload_len == 0)
        return VIV_VERDICT_DELIVER;
    for (size_t i = 0; i < d->n; i++) {
        if (!d->done[i] && info->tcp_seq == d->seq[i]) {
            d->done[i] = 1;
            d->dropped++;
            return VIV_VERDICT_DROP;
        }
    }
    return VIV_VERDICT_DELIVER;
}

/* Trace records about congestion control, beside tt_trace's. */
typedef struct cc_log {
    tt_world *w;
    uint32_t ev[8];
    viv_time_t t_enter, t_exit;
    uint32_t cwnd_enter, ssthresh_enter;
} cc_log;

static void cc_trace(const viv_trace_record *r, void *user)
{
    cc_log *c = user;
    tt_trace(r, c->w);
    if (r->kind != VIV_TRACE_TCP_CC || tt_from(c->w, r->node) != 0)
        return;
    assert_true(r->cc_event >= 0 && r->cc_event < 8);
    c->ev[r->cc_event]++;
    if (r->cc_event == VIV_TRACE_CC_RECOVERY_ENTER && !c->t_enter) {
        c->t_enter = r->time;
        c->cwnd_enter = r->cwnd;
        c->ssthresh_enter = r->ssthresh;
    }
    if (r->cc_event == VIV_TRACE_CC_RECOVERY_EXIT)
        c->t_exit = r->time;
}

/* A connection a -> b with a fixed ISS of 0 on both sides; the receiver b drains. */
static void setup(tt_world *w, cc_log *log, int sack, int ts, tt_sock **cli, tt_sock **child)
{
    tt_world_build(w, w->sim);
    memset(log, 0, sizeof(*log));
    log->w = w;
    assert_int_equal(viv_sim_trace(w->sim, cc_trace, log), 0);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.fixed_isn = 1;
    o.isn = 0;
    o.sack = sack;
    o.timestamps = ts;
    o.sndbuf_bytes = 1u << 20;
    tt_establish(w, &o, &o, cli, child, NULL);
}

static void send_bytes(tt_sock *k, const uint8_t *data, size_t n)
{
    k->tx = data;
    k->ntx = n;
    tt_pump(k);
}

/* The index of the first segment from `from` matching seq (relative) and len, at or after
 * index i0; w->nseg if none. */
static size_t find_seg(const tt_world *w, size_t i0, int from, uint32_t seq, int data)
{
    for (size_t i = i0; i < w->nseg; i++)
        if (w->seg[i].from == from && w->seg[i].seq == seq && (data ? w->seg[i].len > 0 : 1))
            return i;
    return w->nseg;
}

/* The n-th (from 1) ACK from b acknowledging exactly ack with no data, or w->nseg. */
static size_t find_ack(const tt_world *w, uint32_t ack, int n)
{
    for (size_t i = 0; i < w->nseg; i++)
        if (w->seg[i].from == 1 && w->seg[i].len == 0 && w->seg[i].ack == ack && --n == 0)
            return i;
    return w->nseg;
}

/* Segment 2 of the first flight is lost. The receiver answers each later segment with a
 * duplicate ACK at once; the first two let one new segment out each (limited transmit), the
 * third retransmits segment 2 at the instant it arrives, and nothing is retransmitted before
 * it. */
static void test_tcp_recovery__third_dupack_and_nothing_earlier(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, -1, -1, &cli, &child);
    dropper d = {{SEGSEQ(2)}, {0}, 1, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[20 * MSS];
    tt_pattern(data, sizeof data, 3);
    size_t first = w.nseg;
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    assert_int_equal(w.nrexmit, 1);
    /* The ACK of segments 0 and 1, then a duplicate for each of segments 3 to 9. */
    size_t a2 = find_ack(&w, SEGSEQ(2), 1);
    size_t d1 = find_ack(&w, SEGSEQ(2), 2), d2 = find_ack(&w, SEGSEQ(2), 3);
    size_t d3 = find_ack(&w, SEGSEQ(2), 4);
    assert_true(a2 < d1 && d1 < d2 && d2 < d3 && d3 < w.nseg);
    viv_time_t hop = tt_hop(tt_frame(0, 0));
    /* The retransmission: exactly when the third duplicate arrives. */
    size_t orig = find_seg(&w, first, 0, SEGSEQ(2), 1);
    size_t rx = find_seg(&w, orig + 1, 0, SEGSEQ(2), 1);
    assert_true(rx < w.nseg);
    assert_int_equal(w.seg[rx].t, w.seg[d3].t + hop);
    assert_int_equal(log.t_enter, w.seg[d3].t + hop);
    /* Limited transmit: segments 13 and 14 leave at the first and second duplicate. The ACK
     * of 0-1 had opened cwnd to 11 segments (slow start), letting 10-12 out. */
    assert_int_equal(w.seg[find_seg(&w, first, 0, SEGSEQ(13), 1)].t, w.seg[d1].t + hop);
    assert_int_equal(w.seg[find_seg(&w, first, 0, SEGSEQ(14), 1)].t, w.seg[d2].t + hop);
    /* RFC 5681 3.2: ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS. 13 segments are
     * in flight (2 to 14), but "additional data sent in limited transmit MUST NOT be
     * included" (step 2): 11 segments / 2. (It was 13 / 2 until the audit of test_tcp_audit_cc
     * found limited transmit counted.) */
    assert_int_equal(log.ssthresh_enter, 11 * MSS / 2);
    assert_int_equal(log.cwnd_enter, 11 * MSS / 2 + 3 * MSS);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_ENTER], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_EXIT], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_TIMEOUT], 0);
    /* Without SACK every duplicate after the third inflates cwnd by one segment, and each
     * inflation is a record: segments 3 to 14 gave twelve duplicates, the third entered
     * recovery, the other nine inflated. */
    assert_int_equal(log.ev[VIV_TRACE_CC_INFLATE], 9);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.timeouts, 0);
    assert_int_equal(ci.dup_acks, 12); /* one for each of segments 3 to 14 */
    assert_int_equal(ci.in_recovery, 0);
    assert_int_equal(ci.ssthresh, 11 * MSS / 2);
    tt_world_free(&w);
}

/* Two duplicate ACKs are not enough: with five segments in flight and the second lost, the
 * third segment is acknowledged at once (out of order: it also acknowledges the first), the
 * fourth and fifth draw two duplicates, nothing is left for limited transmit, and the loss
 * is repaired by the timeout. */
static void test_tcp_recovery__two_dupacks_do_not_retransmit(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, -1, -1, &cli, &child);
    dropper d = {{SEGSEQ(1)}, {0}, 1, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[5 * MSS];
    tt_pattern(data, sizeof data, 4);
    size_t first = w.nseg;
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_int_equal(find_ack(&w, SEGSEQ(1), 4), w.nseg); /* one ACK, two duplicates */
    assert_true(find_ack(&w, SEGSEQ(1), 3) < w.nseg);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 0);
    assert_int_equal(ci.timeouts, 1);
    assert_int_equal(ci.dup_acks, 2);
    size_t orig = find_seg(&w, first, 0, SEGSEQ(1), 1);
    size_t rx = find_seg(&w, orig + 1, 0, SEGSEQ(1), 1);
    /* The RTO (200 ms), restarted by the ACK of segment 0 (RFC 6298 5.3). */
    size_t ack0 = find_ack(&w, SEGSEQ(1), 1);
    assert_int_equal(w.seg[rx].t, w.seg[ack0].t + tt_hop(tt_frame(0, 0)) + VIV_MS(200));
    assert_int_equal(log.ev[VIV_TRACE_CC_TIMEOUT], 1);
    /* After the timeout: ssthresh = max(FlightSize / 2, 2 SMSS) with 4 segments in flight,
     * cwnd one segment, then slow start again. */
    assert_int_equal(ci.ssthresh, 2 * MSS);
    tt_world_free(&w);
}

/* NewReno (RFC 6582): segments 2 and 5 are lost. The third duplicate retransmits 2; its
 * ACK is partial (it stops at 5), and 5 is retransmitted at the instant that ACK arrives,
 * without waiting for more duplicates or the timer. The ACK of 5 covers the recovery
 * point: recovery ends with cwnd = ssthresh. */
static void test_tcp_recovery__partial_ack_retransmits_next_hole(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, -1, -1, &cli, &child);
    dropper d = {{SEGSEQ(2), SEGSEQ(5)}, {0}, 2, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[20 * MSS];
    tt_pattern(data, sizeof data, 5);
    size_t first = w.nseg;
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    assert_int_equal(w.nrexmit, 2);
    viv_time_t hop = tt_hop(tt_frame(0, 0));
    size_t o5 = find_seg(&w, first, 0, SEGSEQ(5), 1);
    size_t r5 = find_seg(&w, o5 + 1, 0, SEGSEQ(5), 1);
    size_t partial = find_ack(&w, SEGSEQ(5), 1);
    assert_true(r5 < w.nseg && partial < w.nseg);
    assert_int_equal(w.seg[r5].t, w.seg[partial].t + hop);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_ENTER], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_PARTIAL_ACK], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_EXIT], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_TIMEOUT], 0);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.timeouts, 0);
    tt_world_free(&w);
}

/* SACK (RFC 6675): segments 2, 5 and 8 are lost. With SACK both ways, recovery starts at
 * the third duplicate and retransmits exactly the three holes, each once, all before the
 * first retransmission can even be acknowledged (one round trip: 2 ms here); no timeout. */
static void test_tcp_recovery__sack_retransmits_exactly_the_holes(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, 1, -1, &cli, &child);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.sack_ok, 1);
    dropper d = {{SEGSEQ(2), SEGSEQ(5), SEGSEQ(8)}, {0}, 3, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[24 * MSS];
    tt_pattern(data, sizeof data, 6);
    size_t first = w.nseg;
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(2)), 0);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    assert_int_equal(w.nrexmit, 3);
    uint32_t holes[3] = {SEGSEQ(2), SEGSEQ(5), SEGSEQ(8)};
    for (int k = 0; k < 3; k++) {
        size_t o = find_seg(&w, first, 0, holes[k], 1);
        size_t r = find_seg(&w, o + 1, 0, holes[k], 1);
        assert_true(r < w.nseg);
        assert_int_equal(w.seg[r].len, MSS);
        assert_true(w.seg[r].t >= log.t_enter);
        assert_true(w.seg[r].t < log.t_enter + VIV_MS(2));
        assert_int_equal(find_seg(&w, r + 1, 0, holes[k], 1), w.nseg); /* once */
    }
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.timeouts, 0);
    assert_int_equal(ci.sacked_bytes, 0);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_EXIT], 1);
    tt_world_free(&w);
}

/* A timeout during recovery ends it: everything after the first hole is lost too, so no
 * duplicate comes for the retransmission; the timer fires, cwnd falls to one segment,
 * recovery (1) gives way to timeout recovery (2), and go-back-N finishes the transfer. */
static void test_tcp_recovery__timeout_ends_recovery(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, -1, -1, &cli, &child);
    /* 2 is lost, then its fast retransmission too. */
    dropper d = {{SEGSEQ(2), SEGSEQ(2)}, {0}, 2, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[12 * MSS];
    tt_pattern(data, sizeof data, 7);
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(3)), 0);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.timeouts, 1);
    assert_int_equal(ci.in_recovery, 0);
    assert_int_equal(log.ev[VIV_TRACE_CC_RECOVERY_ENTER], 1);
    assert_int_equal(log.ev[VIV_TRACE_CC_TIMEOUT], 1);
    /* ssthresh was set once, at the fast retransmit: the timeout of the same data in the
     * same loss event recomputes it from the flight then (RFC 5681 (4)). */
    assert_true(ci.ssthresh >= 2 * MSS);
    tt_world_free(&w);
}

/* After a timeout, go-back-N skips what the peer SACKed (RFC 6675 5.1). Segments 2 and 6
 * are lost, and so are their retransmissions in recovery (2 at the third duplicate, 6 by
 * NextSeg as soon as it is deemed lost). No rescue retransmission: rule 4 waits for an ACK
 * beyond the first retransmission (RescueRxt, step 4.3), and none comes (until the audit of
 * test_tcp_audit_cc, 11 was rescued at once, before its own first transmission could be
 * SACKed). No ACK comes back for the holes, so the timer fires. Segment 2 goes again; its
 * ACK stops at 6, which goes next with cwnd at two segments, and segments 7 to 11, SACKed by
 * then, are not sent again although cwnd would allow one of them. */
static void test_tcp_recovery__sack_go_back_n_skips_sacked(void **state)
{
    tt_world w;
    w.sim = VIV_TEST_SIM(state);
    cc_log log;
    tt_sock *cli, *child;
    setup(&w, &log, 1, -1, &cli, &child);
    dropper d = {{SEGSEQ(2), SEGSEQ(2), SEGSEQ(6), SEGSEQ(6)}, {0}, 4, 0};
    assert_int_equal(viv_link_set_intercept(w.link, VIV_LINK_AB, drop_first, &d), 0);
    static uint8_t data[12 * MSS];
    tt_pattern(data, sizeof data, 8);
    size_t first = w.nseg;
    send_bytes(cli, data, sizeof data);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(3)), 0);
    assert_int_equal(d.dropped, 4);
    assert_int_equal(child->nrx, sizeof data);
    assert_memory_equal(child->rx, data, sizeof data);
    /* Every segment sent from a, in order: the 12 originals, then the retransmissions. */
    char got[1024];
    size_t n = 0;
    for (size_t i = first; i < w.nseg; i++)
        if (w.seg[i].from == 0 && w.seg[i].len)
            n += (size_t)snprintf(got + n, sizeof got - n, "%u ", (w.seg[i].seq - 1) / MSS);
    assert_string_equal(got, "0 1 2 3 4 5 6 7 8 9 10 11 2 6 2 6 ");
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, cli->s), 0);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.timeouts, 1);
    assert_int_equal(ci.retransmits, 4);
    tt_world_free(&w);
}

/* ---- chaos ----------------------------------------------------------------------------- */

/* Issue 18's size: 10 MB each way (1.5 MiB until session 12). */
#define CHAOS_BYTES 10000000u

typedef struct chaos_end {
    viv_tcp_t *s;
    const uint8_t *tx;
    size_t sent;
    uint8_t *rx;
    size_t nrx;
    int eof, bad;
} chaos_end;

static chaos_end chaos_cli, chaos_srv;
static viv_tcp_t *chaos_listener;

static void chaos_io(chaos_end *e, viv_tcp_t *s, uint32_t ev)
{
    if (ev & VIV_EV_READABLE) {
        for (;;) {
            uint8_t buf[8192];
            int n = viv_tcp_recv(s, buf, sizeof buf);
            if (n > 0) {
                if (e->nrx + (size_t)n > CHAOS_BYTES)
                    e->bad = 1;
                else
                    memcpy(e->rx + e->nrx, buf, (size_t)n);
                e->nrx += (size_t)n;
                continue;
            }
            if (n == 0)
                e->eof = 1;
            break;
        }
    }
    if (ev & (VIV_EV_WRITABLE | VIV_EV_CONNECTED)) {
        while (e->sent < CHAOS_BYTES) {
            int n = viv_tcp_send(s, e->tx + e->sent, CHAOS_BYTES - e->sent);
            if (n <= 0)
                break;
            e->sent += (size_t)n;
        }
        if (e->sent == CHAOS_BYTES)
            viv_tcp_shutdown(s, VIV_SHUT_WR);
    }
}

static void chaos_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    chaos_io(user, s, ev);
}

static void chaos_listen_cb(viv_tcp_t *l, uint32_t ev, void *user)
{
    (void)user;
    if ((ev & VIV_EV_ACCEPTABLE) && !chaos_srv.s) {
        assert_int_equal(viv_tcp_accept(&chaos_srv.s, l, chaos_cb, &chaos_srv), 0);
        chaos_io(&chaos_srv, chaos_srv.s, VIV_EV_WRITABLE);
    }
}

/* One run on a seed: returns the fingerprint. */
static uint64_t chaos_run(uint64_t seed, int sack, int ts, uint32_t isn)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, seed);
    viv_host_t *ha = tt_host(sim, "a", TT_A), *hb = tt_host(sim, "b", TT_B);
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 100000000;
    p.delay_ns = VIV_MS(2);
    p.queue_frames = 200;
    p.loss = 0.02;
    p.duplicate = 0.01;
    p.corrupt = 0.01;
    p.reorder = 0.02;
    p.reorder_delay_ns = VIV_US(300);
    viv_link_t *link;
    assert_int_equal(viv_link_new(&link, sim, viv_host_port(ha, 0), viv_host_port(hb, 0), &p), 0);
    static uint8_t up[CHAOS_BYTES], down[CHAOS_BYTES], rx_up[CHAOS_BYTES], rx_down[CHAOS_BYTES];
    tt_pattern(up, sizeof up, (uint32_t)seed);
    tt_pattern(down, sizeof down, (uint32_t)seed + 100);
    memset(&chaos_cli, 0, sizeof chaos_cli);
    memset(&chaos_srv, 0, sizeof chaos_srv);
    chaos_cli.tx = up;
    chaos_cli.rx = rx_down;
    chaos_srv.tx = down;
    chaos_srv.rx = rx_up;
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.sack = sack;
    o.timestamps = ts;
    o.sndbuf_bytes = 256u * 1024u;
    o.rcvbuf_bytes = 256u * 1024u;
    o.fixed_isn = 1;
    o.isn = isn;
    assert_int_equal(viv_tcp_new(&chaos_listener, hb, &o, chaos_listen_cb, NULL), 0);
    viv_sockaddr_t la = tt_sa(VIV_IP4_ANY, 80), pa = tt_sa(TT_B, 80);
    assert_int_equal(viv_tcp_bind(chaos_listener, &la), 0);
    assert_int_equal(viv_tcp_listen(chaos_listener, 0), 0);
    assert_int_equal(viv_tcp_new(&chaos_cli.s, ha, &o, chaos_cb, &chaos_cli), 0);
    assert_int_equal(viv_tcp_connect(chaos_cli.s, &pa), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(120)), 0);
    /* Exactly once, in order, both ways, and both streams ended. */
    assert_int_equal(chaos_cli.bad, 0);
    assert_int_equal(chaos_srv.bad, 0);
    assert_int_equal(chaos_srv.nrx, CHAOS_BYTES);
    assert_int_equal(chaos_cli.nrx, CHAOS_BYTES);
    assert_memory_equal(rx_up, up, CHAOS_BYTES);
    assert_memory_equal(rx_down, down, CHAOS_BYTES);
    assert_int_equal(chaos_cli.eof, 1);
    assert_int_equal(chaos_srv.eof, 1);
    viv_tcp_info ci;
    assert_int_equal(viv_tcp_info_get(&ci, chaos_cli.s), 0);
    assert_true(ci.retransmits > 0);
    viv_link_stats_t ls;
    assert_int_equal(viv_link_stats(&ls, link, VIV_LINK_AB), 0);
    assert_true(ls.drop_loss > 0);
    uint64_t fp = viv_sim_fingerprint(sim);
    viv_tcp_close(chaos_cli.s);
    viv_tcp_close(chaos_srv.s);
    viv_tcp_close(chaos_listener);
    viv_test_sim_free(sim, &a);
    return fp;
}

static void test_tcp_recovery__chaos_both_ways(void **state)
{
    (void)state;
    /* SACK and timestamps (Linux's defaults), NewReno alone, and a sequence space that
     * wraps during the transfer; each twice with the same fingerprint. */
    static const struct {
        uint64_t seed;
        int sack, ts;
        uint32_t isn;
    } runs[] = {
        {1, 1, 1, 7},
        {2, 1, 1, 0xfff00000u},
        {3, -1, -1, 12345},
        {4, 1, -1, 0xffffff00u},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        uint64_t f1 = chaos_run(runs[i].seed, runs[i].sack, runs[i].ts, runs[i].isn);
        uint64_t f2 = chaos_run(runs[i].seed, runs[i].sack, runs[i].ts, runs[i].isn);
        assert_int_equal(f1, f2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_recovery__third_dupack_and_nothing_earlier),
        TT_TEST(test_tcp_recovery__two_dupacks_do_not_retransmit),
        TT_TEST(test_tcp_recovery__partial_ack_retransmits_next_hole),
        TT_TEST(test_tcp_recovery__sack_retransmits_exactly_the_holes),
        TT_TEST(test_tcp_recovery__timeout_ends_recovery),
        TT_TEST(test_tcp_recovery__sack_go_back_n_skips_sacked),
        TT_TEST(test_tcp_recovery__chaos_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
