/* TCP data segments copied from the send buffer and summed for the checksum in one pass
 * (tcp_out.c, viv__cksum_copy): the host sends to a device standing for its peer, which
 * verifies every segment's checksum (tcp_peer.h), while the send buffer's ring wraps inside
 * segments at odd and even offsets. */
#include "tcp_peer.h"

static void run(bench *b)
{
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
}

static void send_ack(bench *b, uint32_t ack)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = PEER_ISN + 1;
    t.ack = ack;
    t.flags = VIV_TCP_ACK;
    peer_send(b, &t, NULL, PEER_PORT, 80, 0);
}

/* A 4,096-byte send buffer and writes of 1 to 1,000 bytes (MSS 1,000), each acknowledged
 * before the next, so that every write is one segment starting where the last ended: the
 * ring wraps inside many of them, at odd and even offsets of their payload, and the pieces
 * on either side of the wrap reach both the scalar and the vector sums. Every segment
 * verifies (the device parses it with its checksum), carries the bytes written, and the
 * wraps are counted from the ring itself. */
static void test_tcp_send_cksum__segments_across_the_ring_wrap(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.sndbuf_bytes = 4096;
    tt_sock *l = tt_listen(&b.w, b.w.a, 80, &so, 0);
    l->accept = 1;
    struct viv__tcp_repr syn;
    memset(&syn, 0, sizeof syn);
    syn.seq = PEER_ISN;
    syn.flags = VIV_TCP_SYN;
    syn.mss = 1000;
    peer_send(&b, &syn, NULL, PEER_PORT, 80, 0);
    run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.flags, VIV_TCP_SYN | VIV_TCP_ACK);
    b.iss = b.rx[0].t.seq;
    send_ack(&b, b.iss + 1);
    run(&b);
    assert_int_equal(l->nchildren, 1);
    viv_tcp_t *s = l->children[0]->s;
    b.nrx = 0;

    static uint8_t pat[1024 + 16];
    for (size_t i = 0; i < sizeof pat; i++)
        pat[i] = (uint8_t)(i * 131 + 7);
    static const uint32_t sizes[] = {777, 1000, 333, 999, 1, 258, 511, 1000, 64, 901};
    uint32_t sent = 0, wraps = 0, odd_wraps = 0, big_sides = 0;
    for (int round = 0; round < 150; round++) {
        uint32_t n = sizes[round % 10];
        const uint8_t *data = pat + round % 13;
        assert_int_equal(viv_tcp_send(s, data, n), (int)n);
        /* Where the segment's bytes sit in the ring (everything before is acknowledged). */
        uint32_t pos = s->snd.head, cap = s->snd.cap;
        assert_int_equal(cap, 4096);
        if (pos + n > cap) {
            wraps++;
            odd_wraps += (cap - pos) % 2;
            big_sides += cap - pos >= 256 && n - (cap - pos) >= 256;
        }
        run(&b);
        assert_int_equal(b.nrx, 1); /* checksum verified by the device */
        assert_int_equal(b.rx[0].t.seq, b.iss + 1 + sent);
        assert_int_equal(b.rx[0].t.payload_len, n);
        assert_memory_equal(b.rx[0].data, data, n < 64 ? n : 64);
        sent += n;
        send_ack(&b, b.iss + 1 + sent);
        run(&b);
        b.nrx = 0;
    }
    viv_tcp_info info;
    assert_int_equal(viv_tcp_info_get(&info, s), 0);
    assert_int_equal(info.retransmits, 0);
    /* 150 writes of 5,844 bytes a ten: 21 wraps, 11 of them at an odd offset, 7 with 256
     * bytes or more on both sides. */
    assert_int_equal(wraps, 21);
    assert_int_equal(odd_wraps, 11);
    assert_int_equal(big_sides, 7);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_send_cksum__segments_across_the_ring_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
