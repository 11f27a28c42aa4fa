/* ICMPv4: echo, destination unreachable (fragmentation needed), time exceeded, parameter
 * problem, unknown types; truncation, short quotes, checksums. */
#include "wire_test.h"

/* Echo request, ident 0x1234, sequence 7, data "abcdefgh"; checksum 0x542f. */
static const uint8_t ICMP_ECHO_REQ[16] = {
    0x08, 0x00, 0x54, 0x2f, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
};

/* The quote of the two error messages below: a UDP datagram 10.0.0.1:40000 -> 10.9.9.9:33434
 * with TTL 1 (20 bytes of IP header and the 8 bytes of the UDP header). */
#define QUOTE_OFF 8
#define QUOTE_LEN 28

/* Destination unreachable, fragmentation needed, next-hop MTU 1400; checksum 0xd8a0. */
static const uint8_t ICMP_FRAG_NEEDED[36] = {
    0x03, 0x04, 0xd8, 0xa0, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x1c,
    0x00, 0x01, 0x00, 0x00, 0x01, 0x11, 0x9c, 0xbe, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x09, 0x09, 0x09, 0x9c, 0x40, 0x82, 0x9a, 0x00, 0x08, 0x00, 0x00,
};

/* Time exceeded in transit, same quote; checksum 0xd61c. */
static const uint8_t ICMP_TIME_EXCEEDED[36] = {
    0x0b, 0x00, 0xd6, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x1c,
    0x00, 0x01, 0x00, 0x00, 0x01, 0x11, 0x9c, 0xbe, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x09, 0x09, 0x09, 0x9c, 0x40, 0x82, 0x9a, 0x00, 0x08, 0x00, 0x00,
};

/* Timestamp request (type 13), which vivarium does not handle; checksum 0xf2f0. */
static const uint8_t ICMP_TIMESTAMP[20] = {
    0x0d, 0x00, 0xf2, 0xf0, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,
};

static void test_icmp__echo_emit_parse_round_trip(void **state)
{
    (void)state;
    struct viv__icmp_repr r;
    memset(&r, 0, sizeof r);
    r.type = VIV__ICMP_ECHO_REQUEST;
    r.ident = 0x1234;
    r.seq = 7;
    r.data = (const uint8_t *)"abcdefgh";
    r.data_len = 8;
    assert_int_equal(viv__icmp_len(&r), 16);
    uint8_t buf[16];
    assert_int_equal(viv__icmp_emit(&r, buf, 16), VIV__W_OK);
    assert_memory_equal(buf, ICMP_ECHO_REQ, 16);
    assert_int_equal(viv__icmp_emit(&r, buf, 15), VIV__W_TRUNCATED);

    uint8_t *b = wt_dup(ICMP_ECHO_REQ, 16);
    struct viv__icmp_repr p;
    assert_int_equal(viv__icmp_parse(b, 16, &p), VIV__W_OK);
    assert_int_equal(p.type, VIV__ICMP_ECHO_REQUEST);
    assert_int_equal(p.code, 0);
    assert_int_equal(p.ident, 0x1234);
    assert_int_equal(p.seq, 7);
    assert_ptr_equal(p.data, b + 8); /* borrowed from the buffer */
    assert_int_equal(p.data_len, 8);

    /* Round trip: answer it with a reply carrying the same data. */
    p.type = VIV__ICMP_ECHO_REPLY;
    uint8_t reply[16];
    assert_int_equal(viv__icmp_emit(&p, reply, viv__icmp_len(&p)), VIV__W_OK);
    struct viv__icmp_repr q;
    assert_int_equal(viv__icmp_parse(reply, 16, &q), VIV__W_OK);
    assert_int_equal(q.type, VIV__ICMP_ECHO_REPLY);
    assert_int_equal(q.ident, 0x1234);
    assert_int_equal(q.seq, 7);
    assert_memory_equal(q.data, "abcdefgh", 8);
    free(b);

    /* An echo with no data is 8 bytes. */
    r.data = NULL;
    r.data_len = 0;
    assert_int_equal(viv__icmp_emit(&r, buf, 8), VIV__W_OK);
    assert_int_equal(viv__icmp_parse(buf, 8, &q), VIV__W_OK);
    assert_int_equal(q.data_len, 0);
}

static void test_icmp__frag_needed_carries_the_mtu_and_quote(void **state)
{
    (void)state;
    struct viv__icmp_repr r;
    memset(&r, 0, sizeof r);
    r.type = VIV__ICMP_DEST_UNREACH;
    r.code = VIV__ICMP_UNREACH_FRAG_NEEDED;
    r.next_hop_mtu = 1400;
    r.data = ICMP_FRAG_NEEDED + QUOTE_OFF;
    r.data_len = QUOTE_LEN;
    uint8_t buf[36];
    assert_int_equal(viv__icmp_len(&r), 36);
    assert_int_equal(viv__icmp_emit(&r, buf, 36), VIV__W_OK);
    assert_memory_equal(buf, ICMP_FRAG_NEEDED, 36);

    uint8_t *b = wt_dup(ICMP_FRAG_NEEDED, 36);
    struct viv__icmp_repr p;
    assert_int_equal(viv__icmp_parse(b, 36, &p), VIV__W_OK);
    assert_int_equal(p.type, VIV__ICMP_DEST_UNREACH);
    assert_int_equal(p.code, 4);
    assert_int_equal(p.next_hop_mtu, 1400);
    assert_ptr_equal(p.data, b + QUOTE_OFF);
    assert_int_equal(p.data_len, QUOTE_LEN);
    free(b);

    /* Port unreachable: the MTU field is not written nor read. */
    r.code = VIV__ICMP_UNREACH_PORT;
    assert_int_equal(viv__icmp_emit(&r, buf, 36), VIV__W_OK);
    assert_int_equal(buf[6], 0);
    assert_int_equal(buf[7], 0);
    assert_int_equal(viv__icmp_parse(buf, 36, &p), VIV__W_OK);
    assert_int_equal(p.code, 3);
    assert_int_equal(p.next_hop_mtu, 0);
}

static void test_icmp__time_exceeded(void **state)
{
    (void)state;
    struct viv__icmp_repr r;
    memset(&r, 0, sizeof r);
    r.type = VIV__ICMP_TIME_EXCEEDED;
    r.code = VIV__ICMP_EXC_TTL;
    r.data = ICMP_TIME_EXCEEDED + QUOTE_OFF;
    r.data_len = QUOTE_LEN;
    uint8_t buf[36];
    assert_int_equal(viv__icmp_emit(&r, buf, 36), VIV__W_OK);
    assert_memory_equal(buf, ICMP_TIME_EXCEEDED, 36);
    struct viv__icmp_repr p;
    uint8_t *b = wt_dup(ICMP_TIME_EXCEEDED, 36);
    assert_int_equal(viv__icmp_parse(b, 36, &p), VIV__W_OK);
    assert_int_equal(p.type, 11);
    assert_int_equal(p.code, 0);
    assert_int_equal(p.data_len, QUOTE_LEN);
    assert_memory_equal(p.data, ICMP_TIME_EXCEEDED + QUOTE_OFF, QUOTE_LEN);
    free(b);
}

/* Parameter problem, pointer 22 (the pointer byte of a Record Route option with pointer 2),
 * quoting 10.0.0.7 -> 10.0.0.1 (IHL 6, the option and padding) and the 8 bytes of an echo
 * header; checksum 0xddff (struct.pack and a 16-bit word loop, as gen_vectors.py does). */
static const uint8_t ICMP_PARAM_PROBLEM[40] = {
    0x0c, 0x00, 0xdd, 0xff, 0x16, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x20, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x01, 0x5c, 0xd2, 0x0a, 0x00, 0x00, 0x07, 0x0a, 0x00, 0x00, 0x01,
    0x07, 0x03, 0x02, 0x00, 0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
};

static void test_icmp__parameter_problem_carries_the_pointer(void **state)
{
    (void)state;
    struct viv__icmp_repr r;
    memset(&r, 0, sizeof r);
    r.type = VIV__ICMP_PARAM_PROBLEM;
    r.code = VIV__ICMP_PARAM_POINTER;
    r.pointer = 22;
    r.next_hop_mtu = 1400; /* not this type's: not written */
    r.data = ICMP_PARAM_PROBLEM + 8;
    r.data_len = 32;
    assert_int_equal(viv__icmp_len(&r), 40);
    uint8_t buf[40];
    memset(buf, 0x55, sizeof buf);
    assert_int_equal(viv__icmp_emit(&r, buf, 40), VIV__W_OK);
    assert_memory_equal(buf, ICMP_PARAM_PROBLEM, 40);
    uint8_t *b = wt_dup(ICMP_PARAM_PROBLEM, 40);
    struct viv__icmp_repr p;
    assert_int_equal(viv__icmp_parse(b, 40, &p), VIV__W_OK);
    assert_int_equal(p.type, 12);
    assert_int_equal(p.code, 0);
    assert_int_equal(p.pointer, 22);
    assert_int_equal(p.next_hop_mtu, 0);
    assert_ptr_equal(p.data, b + 8);
    assert_int_equal(p.data_len, 32);
    free(b);
    /* Other types read no pointer. */
    b = wt_dup(ICMP_TIME_EXCEEDED, 36);
    assert_int_equal(viv__icmp_parse(b, 36, &p), VIV__W_OK);
    assert_int_equal(p.pointer, 0);
    free(b);
    /* Its quote must hold 28 bytes too. */
    r.data_len = 27;
    assert_int_equal(viv__icmp_emit(&r, buf, 35), VIV__W_OK);
    assert_int_equal(viv__icmp_parse(buf, 35, &p), VIV__W_MALFORMED);
    /* The error types, which no error is ever sent about. */
    for (int t = 0; t < 256; t++) {
        bool err = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
        assert_int_equal(viv__icmp_is_error((uint8_t)t), err);
    }
    assert_int_equal(VIV__ICMP_MAX_QUOTE, 548);
}

static void test_icmp__unknown_type_returns_raw_body(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(ICMP_TIMESTAMP, 20);
    struct viv__icmp_repr p;
    assert_int_equal(viv__icmp_parse(b, 20, &p), VIV__W_UNSUPPORTED);
    assert_int_equal(p.type, 13);
    assert_int_equal(p.code, 0);
    assert_ptr_equal(p.data, b + 4);
    assert_int_equal(p.data_len, 16);
    /* Round trip: emitting it again gives the same bytes. */
    assert_int_equal(viv__icmp_len(&p), 20);
    uint8_t out[20];
    assert_int_equal(viv__icmp_emit(&p, out, 20), VIV__W_OK);
    assert_memory_equal(out, ICMP_TIMESTAMP, 20);
    /* The checksum is still checked first. */
    b[19] ^= 1;
    assert_int_equal(viv__icmp_parse(b, 20, &p), VIV__W_CHECKSUM);
    free(b);
}

static void test_icmp__truncated_at_every_length(void **state)
{
    (void)state;
    struct viv__icmp_repr p;
    for (size_t n = 0; n < 8; n++) {
        uint8_t *b = wt_dup(ICMP_ECHO_REQ, n);
        assert_int_equal(viv__icmp_parse(b, n, &p), VIV__W_TRUNCATED);
        free(b);
    }
    /* Cutting the echo data or an error's quote breaks the checksum (each cut drops a
     * nonzero word, or a lone nonzero byte). */
    for (size_t n = 8; n < 16; n++) {
        uint8_t *b = wt_dup(ICMP_ECHO_REQ, n);
        assert_int_equal(viv__icmp_parse(b, n, &p), VIV__W_CHECKSUM);
        free(b);
    }
}

static void test_icmp__short_quote_is_malformed(void **state)
{
    (void)state;
    /* A valid checksum over an error message whose quote is shorter than 28 bytes. */
    for (size_t qlen = 0; qlen < QUOTE_LEN; qlen++) {
        struct viv__icmp_repr r;
        memset(&r, 0, sizeof r);
        r.type = qlen % 2 ? VIV__ICMP_TIME_EXCEEDED : VIV__ICMP_DEST_UNREACH;
        r.code = 1;
        r.data = ICMP_FRAG_NEEDED + QUOTE_OFF;
        r.data_len = qlen;
        uint8_t buf[36];
        assert_int_equal(viv__icmp_emit(&r, buf, 8 + qlen), VIV__W_OK);
        uint8_t *b = wt_dup(buf, 8 + qlen);
        struct viv__icmp_repr p;
        assert_int_equal(viv__icmp_parse(b, 8 + qlen, &p), VIV__W_MALFORMED);
        free(b);
    }
}

static void test_icmp__flipped_bit_fails_the_checksum(void **state)
{
    (void)state;
    struct viv__icmp_repr p;
    for (size_t at = 0; at < 36; at++) {
        uint8_t b[36];
        memcpy(b, ICMP_FRAG_NEEDED, 36);
        b[at] ^= 0x10;
        assert_int_equal(viv__icmp_parse(b, 36, &p), VIV__W_CHECKSUM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmp__echo_emit_parse_round_trip),
        cmocka_unit_test(test_icmp__frag_needed_carries_the_mtu_and_quote),
        cmocka_unit_test(test_icmp__time_exceeded),
        cmocka_unit_test(test_icmp__parameter_problem_carries_the_pointer),
        cmocka_unit_test(test_icmp__unknown_type_returns_raw_body),
        cmocka_unit_test(test_icmp__truncated_at_every_length),
        cmocka_unit_test(test_icmp__short_quote_is_malformed),
        cmocka_unit_test(test_icmp__flipped_bit_fails_the_checksum),
    };
    return cmocka_run_group_tests_name("wire/icmp", tests, NULL, NULL);
}
