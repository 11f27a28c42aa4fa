/* IPv4: emit, parse, round trip, options, padding, truncation, bad fields, checksums, TTL
 * decrement, fragments; options: emitted and located, every malformed list with its
 * Parameter Problem pointer, Record Route and Timestamp (flags 0, 1, 3) recorded, overflow,
 * milliseconds since midnight. */
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

/* IPV4_UDP_HDR's packet with a Record Route option of one empty slot (type 7, length 7,
 * pointer 4) and EOL: IHL 7, total length 40; checksum 0x06cf (struct.pack and a 16-bit word
 * loop, as gen_vectors.py computes its vectors). */
static const uint8_t IPV4_RR_HDR[28] = {
    0x47, 0xb9, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x06, 0xcf, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
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

/* The trusted parse (for frames whose checksums the sending stack made) skips only the
 * checksum: every other check is made in the same order, and the fields are the same. */
static void test_ipv4__trusted_parse_skips_only_the_checksum(void **state)
{
    (void)state;
    struct viv__ipv4_repr r, t;
    uint8_t b[32];
    udp_packet(b);
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_OK);
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_OK);
    assert_int_equal(t.src, r.src);
    assert_int_equal(t.dst, r.dst);
    assert_int_equal(t.proto, r.proto);
    assert_int_equal(t.ttl, r.ttl);
    assert_int_equal(t.hdr_len, r.hdr_len);
    assert_int_equal(t.payload_len, r.payload_len);
    b[8] ^= 1; /* the TTL: the checksum no longer verifies */
    assert_int_equal(viv__ipv4_parse(b, 32, &r), VIV__W_CHECKSUM);
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_OK);
    for (size_t n = 0; n < 20; n++)
        assert_int_equal(viv__ipv4_parse_trusted(b, n, &t), VIV__W_TRUNCATED);
    b[0] = 0x65;
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_MALFORMED);
    b[0] = 0x44;
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_MALFORMED);
    b[0] = 0x4f;
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_TRUNCATED);
    udp_packet(b);
    b[2] = 0;
    b[3] = 19;
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_MALFORMED);
    b[3] = 33;
    assert_int_equal(viv__ipv4_parse_trusted(b, 32, &t), VIV__W_TRUNCATED);
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

/* ---- options --------------------------------------------------------------------------- */

static void test_ipv4__emit_and_parse_with_options(void **state)
{
    (void)state;
    static const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};
    struct viv__ipv4_repr r = udp_repr();
    r.opts = rr;
    r.opts_len = 8;
    assert_int_equal(viv__ipv4_len(&r), 28);
    uint8_t buf[40];
    memset(buf, 0x77, sizeof buf);
    assert_int_equal(viv__ipv4_emit(&r, buf, 40), VIV__W_OK);
    assert_memory_equal(buf, IPV4_RR_HDR, 28);
    assert_int_equal(buf[28], 0x77); /* the payload is left alone */
    /* Options already in place are not copied over themselves. */
    r.opts = buf + 20;
    assert_int_equal(viv__ipv4_emit(&r, buf, 40), VIV__W_OK);
    assert_memory_equal(buf, IPV4_RR_HDR, 28);
    /* Parse locates them. */
    struct viv__ipv4_repr p;
    assert_int_equal(viv__ipv4_parse(buf, 40, &p), VIV__W_OK);
    assert_int_equal(p.hdr_len, 28);
    assert_int_equal(p.payload_len, 12);
    assert_ptr_equal(p.opts, buf + 20);
    assert_int_equal(p.opts_len, 8);
    /* Without options: none located. */
    uint8_t plain[32];
    udp_packet(plain);
    assert_int_equal(viv__ipv4_parse(plain, 32, &p), VIV__W_OK);
    assert_int_equal(p.opts_len, 0);
    /* Lengths that no IHL can say, the largest that one can, and a wrong buffer length. */
    r.opts = rr;
    r.opts_len = 6;
    assert_int_equal(viv__ipv4_emit(&r, buf, 38), VIV__W_MALFORMED);
    r.opts_len = 44;
    assert_int_equal(viv__ipv4_emit(&r, buf, 76), VIV__W_MALFORMED);
    uint8_t big[72] = {0}, forty[40] = {0};
    r.opts = forty;
    r.opts_len = 40;
    assert_int_equal(viv__ipv4_emit(&r, big, 72), VIV__W_OK);
    assert_int_equal(big[0], 0x4f);
    assert_int_equal(viv__cksum(big, 60), 0);
    assert_int_equal(viv__ipv4_emit(&r, big, 71), VIV__W_TRUNCATED);
}

/* A header of 20 + n bytes (n a multiple of 4) with the given options and a valid checksum. */
static size_t opt_hdr(uint8_t *b, const uint8_t *opts, size_t n)
{
    memcpy(b, IPV4_UDP_HDR, 20);
    b[0] = (uint8_t)(0x40 | (20 + n) / 4);
    b[2] = 0;
    b[3] = (uint8_t)(20 + n + 12);
    memcpy(b + 20, opts, n);
    b[10] = b[11] = 0;
    uint16_t ck = wt_ref_cksum(b, 20 + n, 0, 0, 0);
    b[10] = (uint8_t)(ck >> 8);
    b[11] = (uint8_t)ck;
    return 20 + n;
}

static void test_ipv4__options_parse_locates_rr_and_ts(void **state)
{
    (void)state;
    /* NOP, a Router Alert (unknown here: skipped by its length), RR with two slots, NOP, TS
     * with one slot, EOL, then bytes after EOL that are not read. */
    static const uint8_t o[32] = {
        1,    0x94, 4, 0, 0, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, /* */
        1,    68,   8, 5, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, /* */
    };
    uint8_t o2[32];
    memcpy(o2, o, 32);
    o2[25] = 0;    /* EOL */
    o2[26] = 0x99; /* after EOL: garbage that would be a bad option */
    uint8_t b[60];
    size_t hl = opt_hdr(b, o2, 32);
    struct viv__ipv4_opts out;
    uint8_t pp = 0xee;
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &out, &pp), VIV__W_OK);
    assert_int_equal(out.rr, 25);
    assert_int_equal(out.ts, 37);
    assert_int_equal(pp, 0xee); /* untouched on success */
    /* Options running to the very end of the header, no EOL. */
    static const uint8_t full[12] = {7, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 1};
    hl = opt_hdr(b, full, 12);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &out, &pp), VIV__W_OK);
    assert_int_equal(out.rr, 20); /* full (pointer 12 > length 11): not an error */
    assert_int_equal(out.ts, 0);
    /* Only NOPs, only EOL, none. */
    static const uint8_t nops[4] = {1, 1, 1, 1}, eol[4] = {0, 0, 0, 0};
    hl = opt_hdr(b, nops, 4);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &out, &pp), VIV__W_OK);
    assert_int_equal(out.rr + out.ts, 0);
    hl = opt_hdr(b, eol, 4);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &out, &pp), VIV__W_OK);
    assert_int_equal(viv__ipv4_opts_parse(IPV4_UDP_HDR, 20, true, &out, &pp), VIV__W_OK);
    assert_int_equal(out.rr + out.ts, 0);
    /* Full Timestamps are fine: flag 3 whatever its overflow count, flag 0 below 15; and a
     * flag RFC 791 does not define. */
    static const uint8_t ts3[8] = {68, 8, 9, 0xf3, 10, 0, 0, 1};
    static const uint8_t ts0[8] = {68, 8, 9, 0xe0, 0, 0, 0, 0};
    static const uint8_t ts2[8] = {68, 8, 5, 0x02, 0, 0, 0, 0};
    const uint8_t *ok[3] = {ts3, ts0, ts2};
    for (int k = 0; k < 3; k++) {
        hl = opt_hdr(b, ok[k], 8);
        assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &out, &pp), VIV__W_OK);
        assert_int_equal(out.ts, 20);
    }
}

/* Every malformed list, and the Parameter Problem pointer it gets (as Linux gives). */
static void test_ipv4__options_parse_errors_point_at_the_byte(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t opts[12];
        size_t n;
        uint8_t pp;
    } cases[] = {
        {"type byte last, no length", {1, 1, 1, 7}, 4, 23},
        {"length 0", {0x94, 0, 0, 0}, 4, 20},
        {"length 1", {1, 0x94, 1, 0}, 4, 21},
        {"length past the header", {1, 0x94, 4, 0}, 4, 21},
        {"RR past the header", {7, 9, 4, 0, 0, 0, 0, 0}, 8, 20},
        {"second RR", {7, 3, 4, 7, 3, 4, 0, 0}, 8, 23},
        {"RR length 2", {7, 2, 0, 0}, 4, 21},
        {"RR pointer 3", {7, 7, 3, 0, 0, 0, 0, 0}, 8, 22},
        {"RR room for 3 bytes", {7, 6, 4, 0, 0, 0, 0, 0}, 8, 22},
        {"RR pointer 5 in length 7", {7, 7, 5, 0, 0, 0, 0, 0}, 8, 22},
        {"second TS", {68, 4, 5, 0, 68, 4, 5, 0}, 8, 24},
        {"TS length 3", {68, 3, 5, 0}, 4, 21},
        {"TS pointer 4", {68, 8, 4, 0, 0, 0, 0, 0}, 8, 22},
        {"TS flag 0, room for 3 bytes", {68, 7, 5, 0, 0, 0, 0, 0}, 8, 22},
        {"TS flag 1, room for 4 bytes", {68, 8, 5, 1, 0, 0, 0, 0}, 8, 22},
        {"TS flag 3, room for 4 of 8", {68, 12, 9, 3, 0, 0, 0, 0, 0, 0, 0, 0}, 12, 22},
        {"TS full, overflow 15", {68, 8, 9, 0xf1, 0, 0, 0, 0}, 8, 23},
        {"TS after NOPs, length 2", {1, 1, 68, 2}, 4, 23},
    };
    uint8_t b[60];
    for (size_t k = 0; k < WT_LEN(cases); k++) {
        size_t hl = opt_hdr(b, cases[k].opts, cases[k].n);
        struct viv__ipv4_opts out;
        uint8_t pp = 0;
        int rc = viv__ipv4_opts_parse(b, hl, true, &out, &pp);
        if (rc != VIV__W_MALFORMED || pp != cases[k].pp)
            fail_msg("%s: rc %d pointer %u, want %u", cases[k].what, rc, pp, cases[k].pp);
    }
}

static bool is_ten(const void *ctx, viv_ip4_t ip)
{
    (void)ctx;
    return (ip >> 24) == 10;
}

static void test_ipv4__options_stamp_record_route(void **state)
{
    (void)state;
    /* Two slots, then full. */
    static const uint8_t rr[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    uint8_t b[60], pp;
    size_t hl = opt_hdr(b, rr, 12);
    struct viv__ipv4_opts o;
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &o, &pp), VIV__W_OK);
    struct viv__ipv4_stamp s = {VIV_IP4(10, 0, 1, 1), 0, is_ten, NULL, true};
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    s.addr = VIV_IP4(192, 168, 7, 9);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    static const uint8_t want[12] = {7, 11, 12, 10, 0, 1, 1, 192, 168, 7, 9, 0};
    assert_memory_equal(b + 20, want, 12);
    s.addr = VIV_IP4(1, 2, 3, 4);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK); /* full: unchanged */
    assert_memory_equal(b + 20, want, 12);
    /* The checksum is the caller's: stale until fixed. */
    assert_true(viv__cksum(b, hl) != 0);
    viv__ipv4_fix_cksum(b);
    assert_int_equal(viv__cksum(b, hl), 0);
    /* Room for part of an address (possible only in bytes that were not checked): an error,
     * and nothing changes. */
    static const uint8_t part[8] = {7, 6, 4, 0, 0, 0, 0, 0};
    hl = opt_hdr(b, part, 8);
    o.rr = 20;
    o.ts = 0;
    uint8_t before[28];
    memcpy(before, b, 28);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_MALFORMED);
    assert_int_equal(pp, 22);
    assert_memory_equal(b, before, 28);
    /* A pointer below the first slot: never written before the option. */
    b[21] = 7;
    for (uint8_t ptr = 0; ptr < 4; ptr++) {
        b[22] = ptr;
        memcpy(before, b, 28);
        assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_MALFORMED);
        assert_memory_equal(b, before, 28);
    }
    o.rr = 0;
    o.ts = 20;
    b[20] = 68;
    b[21] = 8;
    for (uint8_t ptr = 0; ptr < 5; ptr++) {
        b[22] = ptr;
        memcpy(before, b, 28);
        assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_MALFORMED);
        assert_memory_equal(b, before, 28);
    }
}

static void test_ipv4__options_stamp_timestamp_flags(void **state)
{
    (void)state;
    const uint64_t t = UINT64_C(86400000) * 1000000 * 3 + UINT64_C(45296789) * 1000000 + 999999;
    const uint32_t ms = 45296789; /* 12:34:56.789 on day 4 */
    assert_int_equal(viv__ipv4_ts_ms(t), ms);
    uint8_t b[60], pp;
    struct viv__ipv4_opts o;
    struct viv__ipv4_stamp s = {VIV_IP4(10, 0, 1, 1), t, is_ten, NULL, true};
    /* Flag 0: times only; one slot, then full: the overflow count goes up. */
    static const uint8_t f0[8] = {68, 8, 5, 0x00, 0, 0, 0, 0};
    size_t hl = opt_hdr(b, f0, 8);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &o, &pp), VIV__W_OK);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    static const uint8_t w0[8] = {68, 8, 9, 0x00, 0x02, 0xb3, 0x2c, 0x95};
    assert_memory_equal(b + 20, w0, 8);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    assert_int_equal(b[23], 0x10);
    s.count_overflow = false; /* an echo reply leaving: not counted */
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    assert_int_equal(b[23], 0x10);
    s.count_overflow = true;
    b[23] = 0xf0; /* the count would overflow itself */
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_MALFORMED);
    assert_int_equal(pp, 23);
    assert_int_equal(b[23], 0xf0);
    /* Flag 1: address and time. */
    static const uint8_t f1[12] = {68, 12, 5, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
    hl = opt_hdr(b, f1, 12);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &o, &pp), VIV__W_OK);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    static const uint8_t w1[12] = {68, 12, 13, 0x01, 10, 0, 1, 1, 0x02, 0xb3, 0x2c, 0x95};
    assert_memory_equal(b + 20, w1, 12);
    /* Flag 3: only the next prespecified address registers, with its time after it. */
    static const uint8_t f3[20] = {68, 20, 5, 0x03, 192, 0, 2, 1, 0, 0, 0, 0,
                                   10, 9, 9, 9, 0, 0, 0, 0};
    hl = opt_hdr(b, f3, 20);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &o, &pp), VIV__W_OK);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK); /* 192.0.2.1: not it */
    assert_memory_equal(b + 20, f3, 20);
    uint8_t w3[20];
    memcpy(w3, f3, 20);
    w3[2] = 13;
    w3[8] = 0x02; /* what it becomes once the first address is a 10/8 one (below) */
    w3[9] = 0xb3;
    w3[10] = 0x2c;
    w3[11] = 0x95;
    s.is_mine = NULL; /* no predicate: nothing is mine */
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    assert_memory_equal(b + 20, f3, 20);
    b[24] = 10; /* make the first address a 10/8 one */
    w3[4] = 10;
    s.is_mine = is_ten;
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    assert_memory_equal(b + 20, w3, 20);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK); /* 10.9.9.9: mine */
    assert_int_equal(b[22], 21);
    assert_int_equal(b[23], 0x03);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK); /* full: flag 3 */
    assert_int_equal(b[23], 0x03);                                      /* counts nothing */
    /* An undefined flag: nothing recorded while there is room. */
    static const uint8_t f5[8] = {68, 8, 5, 0x05, 0, 0, 0, 0};
    hl = opt_hdr(b, f5, 8);
    assert_int_equal(viv__ipv4_opts_parse(b, hl, true, &o, &pp), VIV__W_OK);
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
    assert_memory_equal(b + 20, f5, 8);
    /* Room for half an entry: an error, and neither option changes (RR is checked too). */
    static const uint8_t both[16] = {7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0x01, 0, 0, 0, 0, 0};
    hl = opt_hdr(b, both, 16);
    o.rr = 20;
    o.ts = 27;
    assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_MALFORMED);
    assert_int_equal(pp, 29);
    assert_memory_equal(b + 20, both, 16);
}

/* Random option lists, in buffers of exactly the header's length (AddressSanitizer sees any
 * stray byte): parse never reads past the header and points inside it; what it accepts,
 * stamping (as on arrival) never refuses, never writes outside the options it records into,
 * and moves their pointers by whole entries. */
static void test_ipv4__options_random_lists_stay_in_bounds(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 4 * (1 + iter % 10);
        uint8_t opts[40];
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            uint8_t v = (uint8_t)(x >> 56);
            /* Favour the interesting bytes: types 0, 1, 7, 68, small lengths and pointers. */
            static const uint8_t pick[8] = {0, 1, 7, 68, 4, 5, 8, 12};
            opts[i] = (x >> 33) % 3 ? pick[v % 8] + (uint8_t)((x >> 40) % 3) : v;
        }
        uint8_t full[60];
        size_t hl = opt_hdr(full, opts, n);
        uint8_t *b = wt_dup(full, hl);
        struct viv__ipv4_opts o;
        uint8_t pp = 0;
        if (viv__ipv4_opts_parse(b, hl, true, &o, &pp) == VIV__W_OK) {
            accepted++;
            struct viv__ipv4_stamp s = {VIV_IP4(10, 1, 2, 3), x, is_ten, NULL, true};
            uint8_t before[60];
            memcpy(before, b, hl);
            assert_int_equal(viv__ipv4_opts_stamp(b, &o, &s, &pp), VIV__W_OK);
            for (size_t i = 0; i < hl; i++) {
                bool in_rr = o.rr && i >= o.rr && i < o.rr + (size_t)b[o.rr + 1];
                bool in_ts = o.ts && i >= o.ts && i < o.ts + (size_t)b[o.ts + 1];
                if (!in_rr && !in_ts)
                    assert_int_equal(b[i], before[i]);
            }
            if (o.rr)
                assert_true(b[o.rr + 2] == before[o.rr + 2] ||
                            b[o.rr + 2] == before[o.rr + 2] + 4);
            if (o.ts)
                assert_true(b[o.ts + 2] == before[o.ts + 2] ||
                            b[o.ts + 2] == before[o.ts + 2] + 4 ||
                            b[o.ts + 2] == before[o.ts + 2] + 8);
        } else {
            assert_true(pp >= 20 && pp < hl);
        }
        free(b);
    }
    assert_true(accepted > 1000);
}

static void test_ipv4__timestamp_is_ms_since_midnight(void **state)
{
    (void)state;
    const uint64_t ms = 1000000, day = UINT64_C(86400000) * ms;
    assert_int_equal(viv__ipv4_ts_ms(0), 0);
    assert_int_equal(viv__ipv4_ts_ms(ms - 1), 0);
    assert_int_equal(viv__ipv4_ts_ms(ms), 1);
    assert_int_equal(viv__ipv4_ts_ms(day - 1), 86399999);
    assert_int_equal(viv__ipv4_ts_ms(day), 0);
    assert_int_equal(viv__ipv4_ts_ms(day + 5 * ms), 5);
    assert_int_equal(viv__ipv4_ts_ms(UINT64_MAX), (UINT64_MAX / ms) % 86400000u);
    /* Never the non-standard high bit. */
    assert_true(viv__ipv4_ts_ms(day - 1) < UINT32_C(0x80000000));
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
        cmocka_unit_test(test_ipv4__trusted_parse_skips_only_the_checksum),
        cmocka_unit_test(test_ipv4__emit_rejects_wrong_lengths),
        cmocka_unit_test(test_ipv4__dec_ttl_updates_the_checksum_incrementally),
        cmocka_unit_test(test_ipv4__fragment_kind),
        cmocka_unit_test(test_ipv4__emit_and_parse_with_options),
        cmocka_unit_test(test_ipv4__options_parse_locates_rr_and_ts),
        cmocka_unit_test(test_ipv4__options_parse_errors_point_at_the_byte),
        cmocka_unit_test(test_ipv4__options_stamp_record_route),
        cmocka_unit_test(test_ipv4__options_stamp_timestamp_flags),
        cmocka_unit_test(test_ipv4__options_random_lists_stay_in_bounds),
        cmocka_unit_test(test_ipv4__timestamp_is_ms_since_midnight),
    };
    return cmocka_run_group_tests_name("wire/ipv4", tests, NULL, NULL);
}
