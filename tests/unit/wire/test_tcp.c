/* TCP: emit, parse, round trip, options (Linux layout), option-walk edge cases, truncation,
 * bad data offsets, checksums; sequence-number comparisons. */
#include "wire_test.h"

#define A VIV_IP4(10, 0, 0, 1)
#define B VIV_IP4(10, 0, 0, 2)

/* SYN 10.0.0.1:40000 -> 10.0.0.2:80, seq 0x01020304, window 64240; options MSS 1460,
 * SACK-permitted, timestamps (1000, 0), NOP, window scale 7; checksum 0x948e. */
static const uint8_t TCP_SYN[40] = {
    0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x94, 0x8e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* 10.0.0.2:80 -> 10.0.0.1:40000, ACK|PSH, seq 0xfffffff0, ack 0x01020305, window 502;
 * options NOP NOP timestamps (2000, 1000), NOP NOP SACK [100,200) [300,400); payload
 * "GET /\r\n" (odd length); checksum 0x85f3. */
static const uint8_t TCP_DATA[59] = {
    0x00, 0x50, 0x9c, 0x40, 0xff, 0xff, 0xff, 0xf0, 0x01, 0x02, 0x03, 0x05, 0xd0, 0x18, 0x01,
    0xf6, 0x85, 0xf3, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x07, 0xd0, 0x00, 0x00,
    0x03, 0xe8, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x00,
    0x00, 0x01, 0x2c, 0x00, 0x00, 0x01, 0x90, 0x47, 0x45, 0x54, 0x20, 0x2f, 0x0d, 0x0a,
};

/* 10.0.0.1:1 -> 10.0.0.2:2, ACK; options: unknown kind 30 (length 6), MSS 1400, EOL, then
 * three 0xff bytes after the EOL; checksum 0x2f3b. */
static const uint8_t TCP_UNKNOWN_EOL[34] = {
    0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06,
    0x80, 0x10, 0x03, 0xe8, 0x2f, 0x3b, 0x00, 0x00, 0x1e, 0x06, 0x09, 0x09,
    0x09, 0x09, 0x02, 0x04, 0x05, 0x78, 0x00, 0xff, 0xff, 0xff,
};

static struct viv__tcp_repr syn_repr(void)
{
    struct viv__tcp_repr r;
    memset(&r, 0, sizeof r);
    r.src_port = 40000;
    r.dst_port = 80;
    r.seq = 0x01020304;
    r.flags = VIV__TCP_SYN;
    r.window = 64240;
    r.mss = 1460;
    r.sack_permitted = true;
    r.ts_present = true;
    r.tsval = 1000;
    r.wscale_present = true;
    r.wscale = 7;
    return r;
}

static struct viv__tcp_repr data_repr(void)
{
    struct viv__tcp_repr r;
    memset(&r, 0, sizeof r);
    r.src_port = 80;
    r.dst_port = 40000;
    r.seq = 0xfffffff0;
    r.ack = 0x01020305;
    r.flags = VIV__TCP_ACK | VIV__TCP_PSH;
    r.window = 502;
    r.ts_present = true;
    r.tsval = 2000;
    r.tsecr = 1000;
    r.sack_count = 2;
    r.sack[0].left = 100;
    r.sack[0].right = 200;
    r.sack[1].left = 300;
    r.sack[1].right = 400;
    r.payload_len = 7;
    return r;
}

/* A crafted segment: a 20-byte header from src 1 to dst 2 with the given options (a multiple
 * of 4 bytes), its checksum made right by the reference implementation. */
static size_t craft(uint8_t *buf, const uint8_t *opts, size_t optlen)
{
    memset(buf, 0, 20);
    buf[1] = 1;
    buf[3] = 2;
    buf[12] = (uint8_t)((20 + optlen) / 4 << 4);
    buf[13] = VIV__TCP_ACK;
    memcpy(buf + 20, opts, optlen);
    uint16_t ck = wt_ref_cksum(buf, 20 + optlen, A, B, 6);
    buf[16] = (uint8_t)(ck >> 8);
    buf[17] = (uint8_t)ck;
    return 20 + optlen;
}

static void test_tcp__emit_syn_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__tcp_repr r = syn_repr();
    assert_int_equal(viv__tcp_len(&r), 40);
    uint8_t buf[40];
    memset(buf, 0x5a, sizeof buf);
    assert_int_equal(viv__tcp_emit(&r, A, B, buf, 40), VIV__W_OK);
    assert_memory_equal(buf, TCP_SYN, 40);
    assert_int_equal(viv__tcp_emit(&r, A, B, buf, 39), VIV__W_TRUNCATED);
}

static void test_tcp__emit_data_segment_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__tcp_repr r = data_repr();
    assert_int_equal(viv__tcp_len(&r), 52);
    uint8_t buf[59];
    memset(buf, 0x5a, 52);
    memcpy(buf + 52, "GET /\r\n", 7);
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 59), VIV__W_OK);
    assert_memory_equal(buf, TCP_DATA, 59);
}

static void test_tcp__parse_syn(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(TCP_SYN, 40);
    struct viv__tcp_repr r;
    assert_int_equal(viv__tcp_parse(b, 40, A, B, &r), VIV__W_OK);
    assert_int_equal(r.src_port, 40000);
    assert_int_equal(r.dst_port, 80);
    assert_int_equal(r.seq, 0x01020304);
    assert_int_equal(r.ack, 0);
    assert_int_equal(r.flags, VIV__TCP_SYN);
    assert_int_equal(r.window, 64240);
    assert_int_equal(r.urgent, 0);
    assert_int_equal(r.mss, 1460);
    assert_true(r.sack_permitted);
    assert_true(r.ts_present);
    assert_int_equal(r.tsval, 1000);
    assert_int_equal(r.tsecr, 0);
    assert_true(r.wscale_present);
    assert_int_equal(r.wscale, 7);
    assert_int_equal(r.sack_count, 0);
    assert_int_equal(r.payload_off, 40);
    assert_int_equal(r.payload_len, 0);
    assert_int_equal(viv__tcp_parse(b, 40, A, VIV_IP4(10, 0, 0, 3), &r), VIV__W_CHECKSUM);
    free(b);
}

static void test_tcp__parse_data_segment(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(TCP_DATA, 59);
    struct viv__tcp_repr r;
    assert_int_equal(viv__tcp_parse(b, 59, B, A, &r), VIV__W_OK);
    assert_int_equal(r.seq, 0xfffffff0);
    assert_int_equal(r.ack, 0x01020305);
    assert_int_equal(r.flags, VIV__TCP_ACK | VIV__TCP_PSH);
    assert_int_equal(r.window, 502);
    assert_int_equal(r.mss, 0);
    assert_false(r.sack_permitted);
    assert_false(r.wscale_present);
    assert_true(r.ts_present);
    assert_int_equal(r.tsval, 2000);
    assert_int_equal(r.tsecr, 1000);
    assert_int_equal(r.sack_count, 2);
    assert_int_equal(r.sack[0].left, 100);
    assert_int_equal(r.sack[0].right, 200);
    assert_int_equal(r.sack[1].left, 300);
    assert_int_equal(r.sack[1].right, 400);
    assert_int_equal(r.payload_off, 52);
    assert_int_equal(r.payload_len, 7);
    assert_memory_equal(b + r.payload_off, "GET /\r\n", 7);
    free(b);
}

static void test_tcp__round_trip_option_combinations(void **state)
{
    (void)state;
    /* Every subset of {MSS, window scale, SACK-permitted, timestamps} and 0..3 SACK blocks,
     * where the options fit. */
    for (unsigned mask = 0; mask < 16; mask++) {
        for (unsigned nsack = 0; nsack <= 4; nsack++) {
            struct viv__tcp_repr r, p;
            memset(&r, 0, sizeof r);
            r.src_port = 65535;
            r.dst_port = 1;
            r.seq = 0x80000000u + mask;
            r.ack = 0xffffffffu - nsack;
            r.flags = (uint8_t)(0xff - mask);
            r.window = 0xffff;
            r.urgent = 0x1234;
            r.mss = mask & 1 ? 536 : 0;
            r.wscale_present = (mask & 2) != 0;
            r.wscale = 14;
            r.sack_permitted = (mask & 4) != 0;
            r.ts_present = (mask & 8) != 0;
            r.tsval = 0xdeadbeef;
            r.tsecr = 0xcafef00d;
            r.sack_count = (uint8_t)nsack;
            for (unsigned i = 0; i < nsack; i++) {
                r.sack[i].left = 1000 * i;
                r.sack[i].right = 1000 * i + 500;
            }
            r.payload_len = 3;
            size_t hl = viv__tcp_len(&r);
            assert_int_equal(hl % 4, 0);
            uint8_t buf[80];
            if (hl > 60) {
                assert_int_equal(viv__tcp_emit(&r, A, B, buf, hl + 3), VIV__W_MALFORMED);
                continue;
            }
            memcpy(buf + hl, "xyz", 3);
            assert_int_equal(viv__tcp_emit(&r, A, B, buf, hl + 3), VIV__W_OK);
            assert_int_equal(wt_ref_cksum(buf, hl + 3, A, B, 6), 0);
            assert_int_equal(viv__tcp_parse(buf, hl + 3, A, B, &p), VIV__W_OK);
            assert_int_equal(p.src_port, r.src_port);
            assert_int_equal(p.dst_port, r.dst_port);
            assert_int_equal(p.seq, r.seq);
            assert_int_equal(p.ack, r.ack);
            assert_int_equal(p.flags, r.flags);
            assert_int_equal(p.window, r.window);
            assert_int_equal(p.urgent, r.urgent);
            assert_int_equal(p.mss, r.mss);
            assert_int_equal(p.wscale_present, r.wscale_present);
            if (r.wscale_present)
                assert_int_equal(p.wscale, 14);
            assert_int_equal(p.sack_permitted, r.sack_permitted);
            assert_int_equal(p.ts_present, r.ts_present);
            if (r.ts_present) {
                assert_int_equal(p.tsval, r.tsval);
                assert_int_equal(p.tsecr, r.tsecr);
            }
            assert_int_equal(p.sack_count, nsack);
            for (unsigned i = 0; i < nsack; i++) {
                assert_int_equal(p.sack[i].left, r.sack[i].left);
                assert_int_equal(p.sack[i].right, r.sack[i].right);
            }
            assert_int_equal(p.payload_off, hl);
            assert_int_equal(p.payload_len, 3);
        }
    }
}

static void test_tcp__unknown_option_skipped_and_eol_stops_the_walk(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(TCP_UNKNOWN_EOL, 34);
    struct viv__tcp_repr r;
    assert_int_equal(viv__tcp_parse(b, 34, A, B, &r), VIV__W_OK);
    assert_int_equal(r.mss, 1400);
    assert_int_equal(r.payload_off, 32);
    assert_int_equal(r.payload_len, 2); /* two of the 0xff bytes are payload */
    free(b);

    /* EOL first: the MSS after it is never read. */
    uint8_t seg[60];
    const uint8_t eol_first[] = {0, 2, 4, 5, 0xb4, 0, 0, 0};
    size_t n = craft(seg, eol_first, sizeof eol_first);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
    assert_int_equal(r.mss, 0);
    /* EOL in the middle, garbage after it (a bad length that must not be looked at). */
    const uint8_t eol_mid[] = {2, 4, 5, 0xb4, 1, 0, 8, 0};
    n = craft(seg, eol_mid, sizeof eol_mid);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
    assert_int_equal(r.mss, 1460);
    assert_false(r.ts_present);
    /* Only NOPs, and the walk ends at the header end without an EOL. */
    const uint8_t nops[] = {1, 1, 1, 1, 1, 1, 1, 1};
    n = craft(seg, nops, sizeof nops);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
    /* An unknown option that exactly fills the option space. */
    const uint8_t fill[] = {99, 8, 1, 2, 3, 4, 5, 6};
    n = craft(seg, fill, sizeof fill);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
}

static void test_tcp__bad_options_are_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t opts[12];
        size_t len;
    } cases[] = {
        {"zero-length unknown option", {30, 0, 1, 1}, 4},
        {"length-1 unknown option", {30, 1, 1, 1}, 4},
        {"zero-length MSS", {2, 0, 1, 1}, 4},
        {"unknown option running past the header", {1, 30, 6, 1}, 4},
        {"unknown option running past the header by one", {30, 5, 0, 0}, 4},
        {"MSS running past the header", {1, 1, 2, 4}, 4},
        {"length byte past the header", {1, 1, 1, 30}, 4},
        {"MSS of length 3", {2, 3, 5, 1}, 4},
        {"MSS of length 5", {2, 5, 5, 0xb4, 0, 0, 0, 0}, 8},
        {"window scale of length 4", {3, 4, 7, 1}, 4},
        {"window scale of length 2", {3, 2, 1, 1}, 4},
        {"SACK-permitted of length 3", {4, 3, 0, 1}, 4},
        {"timestamps of length 8", {8, 8, 0, 0, 0, 1, 0, 0}, 8},
        {"timestamps of length 12", {8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, 12},
        {"SACK with no block", {5, 2, 1, 1}, 4},
        {"SACK of length 9", {5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, 12},
        {"SACK of length 11", {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, 12},
    };
    for (size_t i = 0; i < WT_LEN(cases); i++) {
        uint8_t seg[60];
        size_t n = craft(seg, cases[i].opts, cases[i].len);
        uint8_t *b = wt_dup(seg, n);
        struct viv__tcp_repr r;
        int rc = viv__tcp_parse(b, n, A, B, &r);
        if (rc != VIV__W_MALFORMED)
            fail_msg("%s: got %d", cases[i].what, rc);
        free(b);
    }
    /* Five SACK blocks cannot fit (42 bytes); the parser caps at four. */
    uint8_t seg[60];
    uint8_t four[36] = {1, 1, 5, 34};
    size_t n = craft(seg, four, sizeof four);
    struct viv__tcp_repr r;
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
    assert_int_equal(r.sack_count, 4);
}

static void test_tcp__truncated_at_every_length(void **state)
{
    (void)state;
    struct viv__tcp_repr r;
    for (size_t n = 0; n < 40; n++) {
        uint8_t *b = wt_dup(TCP_SYN, n);
        assert_int_equal(viv__tcp_parse(b, n, A, B, &r), VIV__W_TRUNCATED);
        free(b);
    }
    for (size_t n = 0; n < 59; n++) {
        uint8_t *b = wt_dup(TCP_DATA, n);
        int rc = viv__tcp_parse(b, n, B, A, &r);
        /* Up to the header end the header is cut; past it the payload is, and the checksum
         * (which covers the length in the pseudo-header) catches it. */
        assert_int_equal(rc, n < 52 ? VIV__W_TRUNCATED : VIV__W_CHECKSUM);
        free(b);
    }
}

static void test_tcp__bad_data_offsets(void **state)
{
    (void)state;
    struct viv__tcp_repr r;
    uint8_t b[40];
    for (uint8_t doff = 0; doff < 5; doff++) {
        memcpy(b, TCP_SYN, 40);
        b[12] = (uint8_t)(doff << 4);
        assert_int_equal(viv__tcp_parse(b, 40, A, B, &r), VIV__W_MALFORMED);
    }
    for (uint8_t doff = 11; doff < 16; doff++) {
        memcpy(b, TCP_SYN, 40);
        b[12] = (uint8_t)(doff << 4);
        assert_int_equal(viv__tcp_parse(b, 40, A, B, &r), VIV__W_TRUNCATED);
    }
    memcpy(b, TCP_SYN, 40);
    b[12] = 9 << 4; /* within the buffer, but the checksum no longer matches */
    assert_int_equal(viv__tcp_parse(b, 40, A, B, &r), VIV__W_CHECKSUM);
}

static void test_tcp__flipped_bit_fails_the_checksum(void **state)
{
    (void)state;
    struct viv__tcp_repr r;
    for (size_t at = 0; at < 59; at++) {
        if (at == 12)
            continue; /* the data offset fails earlier checks */
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b[59];
            memcpy(b, TCP_DATA, 59);
            b[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(viv__tcp_parse(b, 59, B, A, &r), VIV__W_CHECKSUM);
        }
    }
}

/* The trusted parse (a frame marked csum_ok) skips the checksum and nothing else: the same
 * repr as the full parse, the same answers for every bad length, data offset and option
 * list, and a segment whose checksum is wrong is read as it is. */
static void test_tcp__trusted_parse_skips_only_the_checksum(void **state)
{
    (void)state;
    struct viv__tcp_repr r, t;
    uint8_t b[59];
    memcpy(b, TCP_DATA, 59);
    assert_int_equal(viv__tcp_parse(b, 59, B, A, &r), VIV__W_OK);
    memset(&t, 0xa5, sizeof t);
    assert_int_equal(viv__tcp_parse_trusted(b, 59, &t), VIV__W_OK);
    assert_int_equal(t.src_port, r.src_port);
    assert_int_equal(t.dst_port, r.dst_port);
    assert_int_equal(t.seq, r.seq);
    assert_int_equal(t.ack, r.ack);
    assert_int_equal(t.flags, r.flags);
    assert_int_equal(t.window, r.window);
    assert_int_equal(t.urgent, r.urgent);
    assert_int_equal(t.mss, r.mss);
    assert_int_equal(t.wscale_present, r.wscale_present);
    assert_int_equal(t.wscale, r.wscale);
    assert_int_equal(t.sack_permitted, r.sack_permitted);
    assert_int_equal(t.sack_count, r.sack_count);
    for (unsigned i = 0; i < r.sack_count; i++) {
        assert_int_equal(t.sack[i].left, r.sack[i].left);
        assert_int_equal(t.sack[i].right, r.sack[i].right);
    }
    assert_int_equal(t.ts_present, r.ts_present);
    assert_int_equal(t.tsval, r.tsval);
    assert_int_equal(t.tsecr, r.tsecr);
    assert_int_equal(t.payload_off, r.payload_off);
    assert_int_equal(t.payload_len, r.payload_len);
    /* A wrong checksum is not looked at: the full parse rejects it, the trusted one not. */
    b[16] ^= 0x01;
    assert_int_equal(viv__tcp_parse(b, 59, B, A, &r), VIV__W_CHECKSUM);
    assert_int_equal(viv__tcp_parse_trusted(b, 59, &t), VIV__W_OK);
    /* Every other check stays, in the same order. */
    for (size_t n = 0; n < 52; n++)
        assert_int_equal(viv__tcp_parse_trusted(b, n, &t), VIV__W_TRUNCATED);
    for (uint8_t doff = 0; doff < 5; doff++) {
        memcpy(b, TCP_SYN, 40);
        b[12] = (uint8_t)(doff << 4);
        assert_int_equal(viv__tcp_parse_trusted(b, 40, &t), VIV__W_MALFORMED);
    }
    for (uint8_t doff = 11; doff < 16; doff++) {
        memcpy(b, TCP_SYN, 40);
        b[12] = (uint8_t)(doff << 4);
        assert_int_equal(viv__tcp_parse_trusted(b, 40, &t), VIV__W_TRUNCATED);
    }
    uint8_t seg[60];
    static const uint8_t bad_mss[4] = {2, 3, 5, 1};
    size_t n = craft(seg, bad_mss, sizeof bad_mss);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &t), VIV__W_MALFORMED);
    assert_int_equal(viv__tcp_parse_trusted(seg, n, &t), VIV__W_MALFORMED);
}

/* Timestamps alone (NOP, NOP, TS: every synchronized segment's options) are read without
 * the option walk; the same bytes in another order, or a near miss, take the walk and give
 * what it gives. */
static void test_tcp__timestamps_alone(void **state)
{
    (void)state;
    struct viv__tcp_repr r;
    uint8_t seg[60];
    static const uint8_t nop_nop_ts[12] = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0xfe, 0xdc, 0xba, 0x98};
    static const uint8_t ts_nop_nop[12] = {8, 10, 0, 0, 0x12, 0x34, 0xfe, 0xdc, 0xba, 0x98, 1, 1};
    static const uint8_t ts_eol[12] = {8, 10, 0, 0, 0x12, 0x34, 0xfe, 0xdc, 0xba, 0x98, 0, 0};
    static const uint8_t ts_len_11[12] = {1, 1, 8, 11, 0, 0, 0x12, 0x34, 0xfe, 0xdc, 0xba, 0x98};
    static const uint8_t mss_then[12] = {2, 4, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 0};
    const uint8_t *ok[3] = {nop_nop_ts, ts_nop_nop, ts_eol};
    for (int i = 0; i < 3; i++) {
        size_t n = craft(seg, ok[i], 12);
        memset(&r, 0xa5, sizeof r);
        assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
        assert_true(r.ts_present);
        assert_int_equal(r.tsval, 0x1234);
        assert_int_equal(r.tsecr, 0xfedcba98);
        assert_int_equal(r.mss, 0);
        assert_false(r.wscale_present);
        assert_int_equal(r.wscale, 0);
        assert_false(r.sack_permitted);
        assert_int_equal(r.sack_count, 0);
        assert_int_equal(r.payload_off, 32);
        assert_int_equal(r.payload_len, 0);
        memset(&r, 0x5a, sizeof r);
        assert_int_equal(viv__tcp_parse_trusted(seg, n, &r), VIV__W_OK);
        assert_true(r.ts_present);
        assert_int_equal(r.tsval, 0x1234);
        assert_int_equal(r.tsecr, 0xfedcba98);
    }
    size_t n = craft(seg, ts_len_11, 12);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_MALFORMED);
    n = craft(seg, mss_then, 12);
    assert_int_equal(viv__tcp_parse(seg, n, A, B, &r), VIV__W_OK);
    assert_false(r.ts_present);
    assert_int_equal(r.tsval, 0);
    assert_int_equal(r.tsecr, 0);
    assert_int_equal(r.mss, 1460);
    /* What emit writes for a segment with timestamps alone is that layout. */
    struct viv__tcp_repr e;
    memset(&e, 0, sizeof e);
    e.src_port = 1;
    e.dst_port = 2;
    e.flags = VIV__TCP_ACK;
    e.ts_present = true;
    e.tsval = 7;
    e.tsecr = 9;
    assert_int_equal(viv__tcp_len(&e), 32);
    assert_int_equal(viv__tcp_emit(&e, A, B, seg, 32), VIV__W_OK);
    assert_memory_equal(seg + 20, "\x01\x01\x08\x0a", 4);
    assert_int_equal(viv__tcp_parse(seg, 32, A, B, &r), VIV__W_OK);
    assert_int_equal(r.tsval, 7);
    assert_int_equal(r.tsecr, 9);
}

static void test_tcp__emit_rejects_bad_lengths(void **state)
{
    (void)state;
    struct viv__tcp_repr r = data_repr();
    uint8_t buf[80];
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 58), VIV__W_TRUNCATED);
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 60), VIV__W_TRUNCATED);
    r.sack_count = 4; /* with timestamps: 12 + 36 = 48 option bytes */
    assert_int_equal(viv__tcp_len(&r), 68);
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 75), VIV__W_MALFORMED);
    r.ts_present = false; /* 4 blocks alone fit */
    assert_int_equal(viv__tcp_len(&r), 56);
    memcpy(buf + 56, "GET /\r\n", 7);
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 63), VIV__W_OK);
    r.sack_count = 5;
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, viv__tcp_len(&r) + 7), VIV__W_MALFORMED);
    r.sack_count = 0;
    r.payload_len = 65516; /* 20 + 65516 > 65535 */
    assert_int_equal(viv__tcp_emit(&r, B, A, buf, 65536), VIV__W_MALFORMED);
}

/* A segment written from a prebuilt header is byte for byte what emit writes: with and
 * without timestamps, payloads of odd and even lengths (none to 1448 bytes) of zeros, ones
 * and a pattern, and field values at their extremes. */
static void test_tcp__prebuilt_header_emits_the_same_bytes(void **state)
{
    (void)state;
    static uint8_t a[1600], b[1600];
    static const uint32_t words[] = {0, 1, 0xffff, 0x10000, 0x7fffffffu, 0xfffffff0u, 0xffffffffu};
    static const size_t lens[] = {0, 1, 2, 7, 64, 1447, 1448};
    static const uint8_t flags[] = {VIV__TCP_ACK, VIV__TCP_ACK | VIV__TCP_PSH,
                                    VIV__TCP_ACK | VIV__TCP_FIN | VIV__TCP_PSH};
    unsigned n = 0;
    for (int ts = 0; ts < 2; ts++) {
        viv__tcp_tpl t;
        viv__tcp_tpl_init(&t, B, 80, A, 40000, ts);
        assert_int_equal(t.len, ts ? 32 : 20);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            for (size_t wi = 0; wi < sizeof words / sizeof words[0]; wi++) {
                for (int fill = 0; fill < 3; fill++) {
                    struct viv__tcp_repr r;
                    memset(&r, 0, sizeof r);
                    r.src_port = 80;
                    r.dst_port = 40000;
                    r.seq = words[wi];
                    r.ack = words[(wi + 3) % 7];
                    r.flags = flags[(wi + li) % 3];
                    r.window = (uint16_t)words[(wi + 5) % 7];
                    r.ts_present = ts;
                    r.tsval = ts ? words[(wi + 1) % 7] : 0;
                    r.tsecr = ts ? words[(wi + 2) % 7] : 0;
                    r.payload_len = lens[li];
                    size_t hl = viv__tcp_len(&r), len = hl + lens[li];
                    assert_int_equal(hl, t.len);
                    /* Payload: zeros, all ones, or a pattern. */
                    for (size_t i = 0; i < lens[li]; i++)
                        a[hl + i] = fill == 0 ? 0 : fill == 1 ? 0xff : (uint8_t)(i * 7 + wi);
                    memcpy(b + hl, a + hl, lens[li]);
                    memset(a, 0x5a, hl);
                    memset(b, 0xa5, hl);
                    assert_int_equal(viv__tcp_emit(&r, B, A, a, len), VIV__W_OK);
                    viv__tcp_tpl_emit(&t, &r, b);
                    assert_memory_equal(a, b, len);
                    /* And from a payload copied and summed in one pass. */
                    memset(b, 0x3c, len);
                    uint64_t sum = viv__cksum_copy(0, b + hl, a + hl, lens[li], 0);
                    viv__tcp_tpl_emit_sum(&t, &r, b, sum);
                    assert_memory_equal(a, b, len);
                    n++;
                }
            }
        }
    }
    assert_int_equal(n, 2 * 7 * 7 * 3);
}

static void test_tcp__seq_comparisons_wrap(void **state)
{
    (void)state;
    assert_true(viv__seq_lt(1, 2));
    assert_false(viv__seq_lt(2, 2));
    assert_true(viv__seq_le(2, 2));
    assert_true(viv__seq_lt(0xfffffff0u, 0x10)); /* across the wrap */
    assert_true(viv__seq_gt(0x10, 0xfffffff0u));
    assert_true(viv__seq_ge(0x10, 0x10));
    assert_false(viv__seq_ge(0xfffffff0u, 0x10));
    assert_true(viv__seq_lt(0, 0x7fffffffu));
    assert_false(viv__seq_lt(0, 0x80000001u)); /* more than half the space ahead: behind */
    assert_true(viv__seq_between(0xfffffff0u, 0, 0x10));
    assert_true(viv__seq_between(5, 5, 5));
    assert_false(viv__seq_between(0xfffffff0u, 0x11, 0x10));
    assert_false(viv__seq_between(0xfffffff0u, 0xffffffefu, 0x10));
    assert_int_equal(viv__seq_diff(3, 0xfffffffeu), 5);
    assert_int_equal(viv__seq_diff(0xfffffffeu, 3), -5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp__emit_syn_matches_known_bytes),
        cmocka_unit_test(test_tcp__emit_data_segment_matches_known_bytes),
        cmocka_unit_test(test_tcp__parse_syn),
        cmocka_unit_test(test_tcp__parse_data_segment),
        cmocka_unit_test(test_tcp__round_trip_option_combinations),
        cmocka_unit_test(test_tcp__unknown_option_skipped_and_eol_stops_the_walk),
        cmocka_unit_test(test_tcp__bad_options_are_malformed),
        cmocka_unit_test(test_tcp__truncated_at_every_length),
        cmocka_unit_test(test_tcp__bad_data_offsets),
        cmocka_unit_test(test_tcp__flipped_bit_fails_the_checksum),
        cmocka_unit_test(test_tcp__trusted_parse_skips_only_the_checksum),
        cmocka_unit_test(test_tcp__timestamps_alone),
        cmocka_unit_test(test_tcp__emit_rejects_bad_lengths),
        cmocka_unit_test(test_tcp__prebuilt_header_emits_the_same_bytes),
        cmocka_unit_test(test_tcp__seq_comparisons_wrap),
    };
    return cmocka_run_group_tests_name("wire/tcp", tests, NULL, NULL);
}
