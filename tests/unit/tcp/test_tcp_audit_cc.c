/* An audit of loss recovery and congestion control against RFC 5681, RFC 6582 and RFC 6675,
 * with crafted ACKs from a device standing for the peer: the host's connection sends data in
 * segments of 100 bytes (the device's SYN says MSS 100), and every segment it sends is checked
 * as the duplicate ACKs and SACK blocks come in, one at a time. NewReno, no timestamps, no
 * window scaling; SACK as each test says. */
#include "tcp_peer.h"

#define SMSS 100u

/* A listener on the host and a connection to it from the device (SYN with MSS 100 and
 * SACK-permitted if sack), established; the accepted connection is returned with nothing
 * received yet. */
static tt_sock *open_conn(bench *b, int sack)
{
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.cc = &viv_tcp_cc_newreno;
    o.sack = sack ? 1 : -1;
    o.timestamps = -1;
    o.window_scaling = -1;
    o.nodelay = 1;
    tt_sock *l = tt_listen(&b->w, b->w.a, 80, &o, 0);
    l->accept = 1;
    struct viv__tcp_repr syn;
    memset(&syn, 0, sizeof syn);
    syn.seq = PEER_ISN;
    syn.flags = VIV_TCP_SYN;
    syn.mss = SMSS;
    syn.sack_permitted = sack != 0;
    peer_send(b, &syn, NULL, PEER_PORT, 80, 0);
    peer_run(b);
    assert_int_equal(b->nrx, 1);
    assert_int_equal(b->rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    assert_int_equal(b->rx[0].t.sack_permitted, sack != 0);
    b->iss = b->rx[0].t.seq;
    struct viv__tcp_repr ack;
    memset(&ack, 0, sizeof ack);
    ack.seq = PEER_ISN + 1;
    ack.ack = b->iss + 1;
    ack.flags = VIV_TCP_ACK;
    peer_send(b, &ack, NULL, PEER_PORT, 80, 0);
    peer_run(b);
    assert_int_equal(l->nchildren, 1);
    b->nrx = 0;
    return l->children[0];
}

/* The host's segment k (from 0) starts at iss + 1 + 100 k. */
static uint32_t segseq(const bench *b, uint32_t k)
{
    return b->iss + 1 + SMSS * k;
}

/* An ACK from the device: cumulative ack, and SACK blocks [sk[2i], sk[2i+1]) as segment
 * indexes (nsk blocks). The window is the same 64240 every time, so that an ACK of nothing
 * new is a duplicate (RFC 5681 2). */
static void ack_sack(bench *b, uint32_t ack, const uint32_t *sk, unsigned nsk)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = PEER_ISN + 1;
    t.ack = ack;
    t.flags = VIV_TCP_ACK;
    t.sack_count = (uint8_t)nsk;
    for (unsigned i = 0; i < nsk; i++) {
        t.sack[i].left = segseq(b, sk[2 * i]);
        t.sack[i].right = segseq(b, sk[2 * i + 1]);
    }
    peer_send(b, &t, NULL, PEER_PORT, 80, 0);
    peer_run(b);
}

/* The host's data: n bytes queued at once. */
static void send_data(tt_sock *k, size_t n)
{
    static uint8_t data[8192];
    assert_true(n <= sizeof data);
    tt_pattern(data, n, 11);
    k->tx = data;
    k->ntx = n;
    tt_pump(k);
}

/* The i-th segment the device received is data at segment index k, SMSS bytes long. */
static void expect_seg(const bench *b, size_t i, uint32_t k)
{
    assert_true(i < b->nrx);
    assert_int_equal(b->rx[i].t.seq, segseq(b, k));
    assert_int_equal(b->rx[i].t.payload_len, SMSS);
}

/* RFC 5681 3.2 step 2: "When [RFC3042] is in use, additional data sent in limited transmit
 * MUST NOT be included in this calculation" (ssthresh = max(FlightSize / 2, 2 SMSS)). Ten
 * segments (the initial window) are in flight and the first is lost; the first two
 * duplicates each let one new segment out (limited transmit, segments 10 and 11), the third
 * retransmits segment 0. FlightSize is then 12 segments, of which 2 went by limited
 * transmit: ssthresh = 10 / 2 = 5 segments, cwnd = 5 + 3 = 8. */
static void test_tcp_audit_cc__limited_transmit_not_in_flightsize(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = open_conn(&b, 0);
    send_data(c, 20 * SMSS);
    peer_run(&b);
    assert_int_equal(b.nrx, 10);
    for (uint32_t k = 0; k < 10; k++)
        expect_seg(&b, k, k);
    ack_sack(&b, segseq(&b, 0), NULL, 0);
    assert_int_equal(b.nrx, 11);
    expect_seg(&b, 10, 10);
    ack_sack(&b, segseq(&b, 0), NULL, 0);
    assert_int_equal(b.nrx, 12);
    expect_seg(&b, 11, 11);
    ack_sack(&b, segseq(&b, 0), NULL, 0);
    assert_int_equal(b.nrx, 13);
    expect_seg(&b, 12, 0); /* the fast retransmission, and nothing else: cwnd 8 < 12 */
    viv_tcp_info ci = peer_info(c);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.ssthresh, 5 * SMSS);
    assert_int_equal(ci.cwnd, 8 * SMSS);
    tt_world_free(&b.w);
}

/* RFC 6675 5 step (4.3): the first retransmission sets HighRxt and RescueRxt "to prevent
 * repeated retransmission of the same data or a premature rescue retransmission", and rule
 * (4) applies only once HighACK > RescueRxt. Four segments and no more data: the first is
 * lost, the other three SACKed one by one. The third duplicate retransmits segment 0, and
 * only it: cwnd (2 segments) less pipe (the retransmission) leaves room for one segment, and
 * nothing qualifies for it: not segment 0 a second time as a rescue. */
static void test_tcp_audit_cc__no_rescue_of_the_first_retransmission(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = open_conn(&b, 1);
    send_data(c, 4 * SMSS);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    const uint32_t s1[] = {1, 2}, s2[] = {1, 3}, s3[] = {1, 4};
    ack_sack(&b, segseq(&b, 0), s1, 1);
    ack_sack(&b, segseq(&b, 0), s2, 1);
    assert_int_equal(b.nrx, 4);
    ack_sack(&b, segseq(&b, 0), s3, 1);
    assert_int_equal(b.nrx, 5);
    expect_seg(&b, 4, 0);
    viv_tcp_info ci = peer_info(c);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.retransmits, 1);
    assert_int_equal(ci.ssthresh, 2 * SMSS);
    assert_int_equal(ci.cwnd, 2 * SMSS);
    /* Its ACK covers everything: recovery is over, nothing more is sent. */
    ack_sack(&b, segseq(&b, 4), NULL, 0);
    assert_int_equal(b.nrx, 5);
    ci = peer_info(c);
    assert_int_equal(ci.in_recovery, 0);
    assert_int_equal(ci.retransmits, 1);
    tt_world_free(&b.w);
}

/* The rescue retransmission (RFC 6675 NextSeg rule 4) once it is due: six segments, the
 * first and the last lost (a tail loss with no new data to send). Segments 1 to 4 are
 * SACKed; the third duplicate retransmits segment 0, and the rescue waits (HighACK is not
 * above RescueRxt). The ACK of the retransmission is partial (up to segment 5): now rule 4
 * sends the highest unSACKed segment, 5, at the instant that ACK arrives, once. */
static void test_tcp_audit_cc__rescue_after_the_partial_ack(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = open_conn(&b, 1);
    send_data(c, 6 * SMSS);
    peer_run(&b);
    assert_int_equal(b.nrx, 6);
    const uint32_t s1[] = {1, 2}, s2[] = {1, 3}, s3[] = {1, 4}, s4[] = {1, 5};
    ack_sack(&b, segseq(&b, 0), s1, 1);
    ack_sack(&b, segseq(&b, 0), s2, 1);
    ack_sack(&b, segseq(&b, 0), s3, 1);
    assert_int_equal(b.nrx, 7);
    expect_seg(&b, 6, 0);
    ack_sack(&b, segseq(&b, 0), s4, 1);
    assert_int_equal(b.nrx, 7); /* no rescue yet */
    viv_time_t t0 = viv_sim_now(b.w.sim);
    ack_sack(&b, segseq(&b, 5), NULL, 0); /* partial: recover is the end of segment 5 */
    assert_int_equal(b.nrx, 8);
    expect_seg(&b, 7, 5);
    /* Sent as the partial ACK (a 60-byte frame) arrived: one hop after it left. */
    assert_int_equal(b.rx[7].at, t0 + tt_ser(60) + tt_ser(154) + 2 * VIV_US(10));
    viv_tcp_info ci = peer_info(c);
    assert_int_equal(ci.retransmits, 2);
    assert_int_equal(ci.in_recovery, 1);
    ack_sack(&b, segseq(&b, 6), NULL, 0);
    assert_int_equal(b.nrx, 8);
    ci = peer_info(c);
    assert_int_equal(ci.in_recovery, 0);
    assert_int_equal(ci.timeouts, 0);
    tt_world_free(&b.w);
}

/* RFC 6582 3.2 step 2 compares SND.UNA with recover, modulo 2^32. recover is set at each
 * loss (and to the ISS at the start); a connection that then sends 2 GiB without a loss has
 * SND.UNA more than 2^31 beyond it, where the comparison says "before". The state is made
 * here by moving recover back by 2^31 + 1 (as after 2 GiB sent loss-free since it was set;
 * sending them would take minutes): the third duplicate ACK must still retransmit. */
static void test_tcp_audit_cc__fast_retransmit_after_2gib_without_loss(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    tt_sock *c = open_conn(&b, 0);
    send_data(c, 4 * SMSS);
    peer_run(&b);
    assert_int_equal(b.nrx, 4);
    c->s->recover = c->s->snd_una - 0x80000001u;
    for (int i = 0; i < 3; i++)
        ack_sack(&b, segseq(&b, 0), NULL, 0);
    assert_int_equal(b.nrx, 5);
    expect_seg(&b, 4, 0);
    viv_tcp_info ci = peer_info(c);
    assert_int_equal(ci.fast_retransmits, 1);
    assert_int_equal(ci.in_recovery, 1);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_cc__limited_transmit_not_in_flightsize),
        TT_TEST(test_tcp_audit_cc__no_rescue_of_the_first_retransmission),
        TT_TEST(test_tcp_audit_cc__rescue_after_the_partial_ack),
        TT_TEST(test_tcp_audit_cc__fast_retransmit_after_2gib_without_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
