/* UDP: emit, parse, round trip, zero checksums, padding, truncation, bad lengths, checksums. */
#include "wire_test.h"

#define SRC VIV_IP4(10, 0, 0, 1)
#define DST VIV_IP4(10, 0, 0, 2)

/* 10.0.0.1:5000 -> 10.0.0.2:53, payload "hello" (odd length); checksum 0x9442. */
static const uint8_t UDP_HELLO[13] = {
    0x13, 0x88, 0x00, 0x35, 0x00, 0x0d, 0x94, 0x42, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* 10.0.0.1:7 -> 10.0.0.2:7 with a payload word chosen so that the checksum computes to 0,
 * which is sent as 0xffff. */
static const uint8_t UDP_CKSUM_ZERO[10] = {
    0x00, 0x07, 0x00, 0x07, 0x00, 0x0a, 0xff, 0xff, 0xeb, 0xc9,
};

static void test_udp__emit_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__udp_repr r = {5000, 53, 5};
    assert_int_equal(viv__udp_len(&r), 8);
    uint8_t buf[13];
    memset(buf, 0xcc, 8);
    memcpy(buf + 8, "hello", 5);
    assert_int_equal(viv__udp_emit(&r, SRC, DST, buf, 13), VIV__W_OK);
    assert_memory_equal(buf, UDP_HELLO, 13);
    assert_int_equal(viv__udp_emit(&r, SRC, DST, buf, 12), VIV__W_TRUNCATED);
    assert_int_equal(viv__udp_emit(&r, SRC, DST, buf, 14), VIV__W_TRUNCATED);
}

static void test_udp__parse_known_bytes(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(UDP_HELLO, 13);
    struct viv__udp_repr r;
    assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_OK);
    assert_int_equal(r.src_port, 5000);
    assert_int_equal(r.dst_port, 53);
    assert_int_equal(r.payload_len, 5);
    /* The pseudo-header counts: the same bytes between other addresses fail. */
    assert_int_equal(viv__udp_parse(b, 13, SRC, VIV_IP4(10, 0, 0, 3), &r), VIV__W_CHECKSUM);
    assert_int_equal(viv__udp_parse(b, 13, DST, SRC, &r), VIV__W_OK); /* the sum commutes */
    free(b);
}

static void test_udp__round_trip(void **state)
{
    (void)state;
    uint8_t buf[8 + 300];
    for (size_t i = 0; i < 300; i++)
        buf[8 + i] = (uint8_t)(i * 7 + 3);
    for (uint16_t plen = 0; plen <= 300; plen += 13) {
        struct viv__udp_repr r = {(uint16_t)(1000 + plen), 65535, plen}, p;
        assert_int_equal(viv__udp_emit(&r, SRC, DST, buf, 8u + plen), VIV__W_OK);
        assert_int_equal(wt_ref_cksum(buf, 8u + plen, SRC, DST, 17), 0);
        assert_int_equal(viv__udp_parse(buf, 8u + plen, SRC, DST, &p), VIV__W_OK);
        assert_int_equal(p.src_port, r.src_port);
        assert_int_equal(p.dst_port, 65535);
        assert_int_equal(p.payload_len, plen);
        /* The same bytes from a payload copied and summed in one pass. */
        uint8_t c[8 + 300];
        uint64_t sum = viv__cksum_copy(0, c + 8, buf + 8, plen, 0);
        assert_int_equal(viv__udp_emit_sum(&r, SRC, DST, c, 8u + plen, sum), VIV__W_OK);
        assert_memory_equal(c, buf, 8u + plen);
    }
}

static void test_udp__computed_zero_is_sent_as_ffff(void **state)
{
    (void)state;
    struct viv__udp_repr r = {7, 7, 2}, p;
    uint8_t buf[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0xeb, 0xc9};
    assert_int_equal(viv__udp_emit(&r, SRC, DST, buf, 10), VIV__W_OK);
    assert_memory_equal(buf, UDP_CKSUM_ZERO, 10);
    uint8_t c[10];
    uint64_t sum = viv__cksum_copy(0, c + 8, buf + 8, 2, 0);
    assert_int_equal(viv__udp_emit_sum(&r, SRC, DST, c, 10, sum), VIV__W_OK);
    assert_memory_equal(c, UDP_CKSUM_ZERO, 10);
    assert_int_equal(viv__udp_parse(buf, 10, SRC, DST, &p), VIV__W_OK);
}

static void test_udp__zero_checksum_means_none(void **state)
{
    (void)state;
    uint8_t b[13];
    memcpy(b, UDP_HELLO, 13);
    b[6] = b[7] = 0;
    b[12] ^= 0xff; /* not checked */
    struct viv__udp_repr r;
    assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_OK);
    assert_int_equal(r.payload_len, 5);
}

static void test_udp__bytes_past_the_length_field_are_ignored(void **state)
{
    (void)state;
    uint8_t pkt[20];
    memset(pkt, 0xab, sizeof pkt);
    memcpy(pkt, UDP_HELLO, 13);
    uint8_t *b = wt_dup(pkt, sizeof pkt);
    struct viv__udp_repr r;
    assert_int_equal(viv__udp_parse(b, sizeof pkt, SRC, DST, &r), VIV__W_OK);
    assert_int_equal(r.payload_len, 5);
    free(b);
}

static void test_udp__truncated_at_every_length(void **state)
{
    (void)state;
    struct viv__udp_repr r;
    for (size_t n = 0; n < 13; n++) {
        uint8_t *b = wt_dup(UDP_HELLO, n);
        assert_int_equal(viv__udp_parse(b, n, SRC, DST, &r), VIV__W_TRUNCATED);
        free(b);
    }
}

static void test_udp__bad_length_fields(void **state)
{
    (void)state;
    struct viv__udp_repr r;
    uint8_t b[13];
    for (uint16_t ulen = 0; ulen < 8; ulen++) {
        memcpy(b, UDP_HELLO, 13);
        b[4] = 0;
        b[5] = (uint8_t)ulen;
        assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_MALFORMED);
    }
    memcpy(b, UDP_HELLO, 13);
    b[5] = 14;
    assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_TRUNCATED);
    b[4] = 0xff;
    assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_TRUNCATED);
    b[4] = 0;
    b[5] = 12; /* shorter but valid length: the checksum then fails */
    assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_CHECKSUM);
    /* Emit refuses a datagram too long for the length field. */
    struct viv__udp_repr big = {1, 2, 65528};
    assert_int_equal(viv__udp_emit(&big, SRC, DST, b, 65536), VIV__W_MALFORMED);
}

static void test_udp__flipped_bit_fails_the_checksum(void **state)
{
    (void)state;
    struct viv__udp_repr r;
    for (size_t at = 0; at < 13; at++) {
        if (at == 4 || at == 5)
            continue; /* the length field fails earlier checks */
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b[13];
            memcpy(b, UDP_HELLO, 13);
            b[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(viv__udp_parse(b, 13, SRC, DST, &r), VIV__W_CHECKSUM);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp__emit_matches_known_bytes),
        cmocka_unit_test(test_udp__parse_known_bytes),
        cmocka_unit_test(test_udp__round_trip),
        cmocka_unit_test(test_udp__computed_zero_is_sent_as_ffff),
        cmocka_unit_test(test_udp__zero_checksum_means_none),
        cmocka_unit_test(test_udp__bytes_past_the_length_field_are_ignored),
        cmocka_unit_test(test_udp__truncated_at_every_length),
        cmocka_unit_test(test_udp__bad_length_fields),
        cmocka_unit_test(test_udp__flipped_bit_fails_the_checksum),
    };
    return cmocka_run_group_tests_name("wire/udp", tests, NULL, NULL);
}
