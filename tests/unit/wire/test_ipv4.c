/* IPv4: emit, parse, round trip, options, padding, truncation, bad fields, checksums, TTL
 * decrement, fragments. */
#include "wire_test.h"

/* 10.0.0.1 -> 10.0.0.2, DSCP 46 (EF), ECN 1, ident 0x1234, DF, TTL 64, UDP, 12 bytes of
 * payload; checksum 0x13de. */
static const uint8_t IPV4_UDP_HDR[20] = {
    0x45, 0xb9, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11,
    0x13, 0xde, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
};

/* 192.168.1.10 -> 192.168.1.20, IHL 6 (options NOP NOP NOP EOL), ident 0xbeef, MF, fragment
 * offset 185 (1480 bytes), TTL 1, ICMP, 8 bytes of payload; checksum 0x53c5. */
static const uint8_t IPV4_OPTS_PKT[32] = {
    0x46, 0x00, 0x00, 0x20, 0xbe, 0xef, 0x20, 0xb9, 0x01, 0x01, 0x53, 0xc5, 0xc0, 0xa8, 0x01, 0x0a,
    0xc0, 0xa8, 0x01, 0x14, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static struct viv__ipv4_repr udp_repr(void)
{
    struct viv__ipv4_repr r;
    memset(&r, 0, sizeof r);
    r.src = VIV_IP4(10, 0, 0, 1);
    r.dst = VIV_IP4(10, 0, 0, 2);
    r.proto = VIV__IP_PROTO_UDP;
    r.ttl = 64;
    r.dscp = 46;
    r.ecn = 1;
    r.ident = 0x1234;
    r.dont_frag = true;
    r.payload_len = 12;
    return r;
}

/* The known header followed by 12 payload bytes (the packet the header describes). */
static void udp_packet(uint8_t out[32])
{
    memcpy(out, IPV4_UDP_HDR, 20);
    for (int i = 0; i < 12; i++)
        out[20 + i] = (uint8_t)(0xa0 + i);
}

static void test_ipv4__emit_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__ipv4_repr r = udp_repr();
    assert_int_equal(viv__ipv4_len(&r), 20);
    uint8_t buf[32];
    memset(buf, 0x77, sizeof buf);
    assert_int_equal(viv__ipv4_emit(&r, buf, 32), VIV__W_OK);
    assert_memory_equal(buf, IPV4_UDP_HDR, 20);
    assert_int_equal(buf[20], 0x77);
}

static void test_ipv4__parse_known_bytes(void **state)
{
    (void)state;
    uint8_t pkt[32];
    udp_packet(pkt);
    uint8_t *b = wt_dup(pkt, 32);
    struct viv__ipv4_repr r;
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_OK);
    assert_int_equal(r.src, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(r.dst, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(r.proto, 17);
    assert_int_equal(r.ttl, 64);
    assert_int_equal(r.dscp, 46);
    assert_int_equal(r.ecn, 1);
    assert_int_equal(r.ident, 0x1234);
    assert_true(r.dont_frag);
    assert_false(r.more_frags);
    assert_int_equal(r.frag_offset, 0);
    assert_int_equal(r.hdr_len, 20);
    assert_int_equal(r.payload_len, 12);
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_WHOLE);
    free(b);
}

static void test_ipv4__parse_skips_options_and_reads_fragment_fields(void **state)
{
    (void)state;
    uint8_t *b = wt_dup(IPV4_OPTS_PKT, 32);
    struct viv__ipv4_repr r;
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_OK);
    assert_int_equal(r.hdr_len, 24);
    assert_int_equal(r.payload_len, 8);
    assert_int_equal(r.src, VIV_IP4(192, 168, 1, 10));
    assert_int_equal(r.dst, VIV_IP4(192, 168, 1, 20));
    assert_int_equal(r.proto, VIV__IP_PROTO_ICMP);
    assert_int_equal(r.ttl, 1);
    assert_int_equal(r.ident, 0xbeef);
    assert_false(r.dont_frag);
    assert_true(r.more_frags);
    assert_int_equal(r.frag_offset, 1480);
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_FRAG_LATER);
    free(b);
}

static void test_ipv4__round_trip(void **state)
{
    (void)state;
    struct viv__ipv4_repr r = udp_repr(), p;
    r.dont_frag = false;
    r.more_frags = true;
    r.frag_offset = 8 * 0x1fff; /* the largest offset */
    r.ident = 0xffff;
    r.dscp = 63;
    r.ecn = 3;
    r.ttl = 255;
    r.proto = VIV__IP_PROTO_TCP;
    r.src = VIV_IP4(255, 255, 255, 255);
    r.dst = VIV_IP4(0, 0, 0, 0);
    uint8_t buf[32] = {0};
    assert_int_equal(viv__ipv4_emit(&r, buf, 32), VIV__W_OK);
    assert_int_equal(viv__ipv4_parse(buf, 32, &p), VIV__W_OK);
    assert_int_equal(p.src, r.src);
    assert_int_equal(p.dst, r.dst);
    assert_int_equal(p.proto, r.proto);
    assert_int_equal(p.ttl, r.ttl);
    assert_int_equal(p.dscp, r.dscp);
    assert_int_equal(p.ecn, r.ecn);
    assert_int_equal(p.ident, r.ident);
    assert_int_equal(p.dont_frag, r.dont_frag);
    assert_int_equal(p.more_frags, r.more_frags);
    assert_int_equal(p.frag_offset, r.frag_offset);
    assert_int_equal(p.payload_len, 12);
    assert_int_equal(p.hdr_len, 20);
}

static void test_ipv4__trailing_padding_is_ignored(void **state)
{
    (void)state;
    uint8_t pkt[46];
    memset(pkt, 0, sizeof pkt);
    udp_packet(pkt);
    uint8_t *b = wt_dup(pkt, sizeof pkt);
    struct viv__ipv4_repr r;
    assert_int_equal(viv__ipv4_parse(b, sizeof pkt, &r), VIV__W_OK);
    assert_int_equal(r.payload_len, 12);
    free(b);
}

static void test_ipv4__truncated_at_every_length(void **state)
{
    (void)state;
    uint8_t pkt[32];
    udp_packet(pkt);
    struct viv__ipv4_repr r;
    for (size_t n = 0; n < 32; n++) {
        uint8_t *b = wt_dup(pkt, n);
        assert_int_equal(viv__ipv4_parse(b, n, &r), VIV__W_TRUNCATED);
        free(b);
        b = wt_dup(IPV4_OPTS_PKT, n); /* n 20..23: the options are cut */
        assert_int_equal(viv__ipv4_parse(b, n, &r), VIV__W_TRUNCATED);
        free(b);
    }
}

static void test_ipv4__bad_fields_in_check_order(void **state)
{
    (void)state;
    struct viv__ipv4_repr r;
    uint8_t b[32];
    udp_packet(b);
    b[0] = 0x65; /* version 6 */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_MALFORMED);
    b[0] = 0x44; /* IHL 4 */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_MALFORMED);
    b[0] = 0x40; /* IHL 0 */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_MALFORMED);
    b[0] = 0x4f; /* IHL 15: 60 bytes, more than the buffer */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_TRUNCATED);
    udp_packet(b);
    b[2] = 0;
    b[3] = 19; /* total length shorter than the header */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_MALFORMED);
    b[3] = 33; /* total length longer than the buffer */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_TRUNCATED);
    b[3] = 20; /* an empty payload is fine, but the checksum now is wrong */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_CHECKSUM);
}

static void test_ipv4__any_flipped_header_bit_fails_the_checksum(void **state)
{
    (void)state;
    struct viv__ipv4_repr r;
    uint8_t b[32];
    /* Not byte 0 (version, IHL) nor 2-3 (total length): those fail earlier checks. */
    for (size_t at = 4; at < 20; at++) {
        for (int bit = 0; bit < 8; bit++) {
            udp_packet(b);
            b[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_CHECKSUM);
        }
    }
    udp_packet(b);
    b[1] ^= 0x80;
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_CHECKSUM);
    udp_packet(b);
    b[25] ^= 0xff; /* the payload is not covered by the header checksum */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_OK);
}

static void test_ipv4__emit_rejects_wrong_lengths(void **state)
{
    (void)state;
    struct viv__ipv4_repr r = udp_repr();
    uint8_t buf[40];
    assert_int_equal(viv__ipv4_emit(&r, buf, 31), VIV__W_TRUNCATED);
    assert_int_equal(viv__ipv4_emit(&r, buf, 33), VIV__W_TRUNCATED);
    assert_int_equal(viv__ipv4_emit(&r, buf, 20), VIV__W_TRUNCATED);
    r.payload_len = 65515; /* total 65535: the largest packet */
    assert_int_equal(viv__ipv4_emit(&r, buf, 20), VIV__W_TRUNCATED);
    r.payload_len = 65516;
    assert_int_equal(viv__ipv4_emit(&r, buf, 65536), VIV__W_MALFORMED);
}

static void test_ipv4__dec_ttl_updates_the_checksum_incrementally(void **state)
{
    (void)state;
    uint8_t b[32], ref[20];
    struct viv__ipv4_repr r;
    for (int proto = 0; proto < 256; proto += 17) {
        udp_packet(b);
        struct viv__ipv4_repr e = udp_repr();
        e.ttl = 255;
        e.proto = (uint8_t)proto;
        assert_int_equal(viv__ipv4_emit(&e, b, 32), VIV__W_OK);
        for (int ttl = 254; ttl >= 0; ttl--) {
            assert_int_equal(viv__ipv4_dec_ttl(b), ttl);
            assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_OK);
            assert_int_equal(r.ttl, ttl);
            /* The same bytes as a header emitted from scratch with this TTL. */
            e.ttl = (uint8_t)ttl;
            uint8_t fresh[32];
            assert_int_equal(viv__ipv4_emit(&e, fresh, 32), VIV__W_OK);
            memcpy(ref, fresh, 20);
            assert_memory_equal(b, ref, 20);
        }
        uint8_t before[20];
        memcpy(before, b, 20);
        assert_int_equal(viv__ipv4_dec_ttl(b), 0); /* TTL 0 stays */
        assert_memory_equal(b, before, 20);
    }
    /* A header with options, decremented in place. */
    uint8_t o[32];
    memcpy(o, IPV4_OPTS_PKT, 32);
    o[8] = 200;
    o[10] = o[11] = 0;
    uint16_t ck = viv__cksum(o, 24);
    o[10] = (uint8_t)(ck >> 8);
    o[11] = (uint8_t)ck;
    assert_int_equal(viv__ipv4_dec_ttl(o), 199);
    assert_int_equal(viv__cksum(o, 24), 0);
}

static void test_ipv4__fragment_kind(void **state)
{
    (void)state;
    struct viv__ipv4_repr r = udp_repr();
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_WHOLE);
    r.more_frags = true;
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_FRAG_FIRST);
    r.frag_offset = 8;
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_FRAG_LATER);
    r.more_frags = false; /* the last fragment */
    assert_int_equal(viv__ipv4_frag_kind(&r), VIV__IPV4_FRAG_LATER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4__emit_matches_known_bytes),
        cmocka_unit_test(test_ipv4__parse_known_bytes),
        cmocka_unit_test(test_ipv4__parse_skips_options_and_reads_fragment_fields),
        cmocka_unit_test(test_ipv4__round_trip),
        cmocka_unit_test(test_ipv4__trailing_padding_is_ignored),
        cmocka_unit_test(test_ipv4__truncated_at_every_length),
        cmocka_unit_test(test_ipv4__bad_fields_in_check_order),
        cmocka_unit_test(test_ipv4__any_flipped_header_bit_fails_the_checksum),
        cmocka_unit_test(test_ipv4__emit_rejects_wrong_lengths),
        cmocka_unit_test(test_ipv4__dec_ttl_updates_the_checksum_incrementally),
        cmocka_unit_test(test_ipv4__fragment_kind),
    };
    return cmocka_run_group_tests_name("wire/ipv4", tests, NULL, NULL);
}
