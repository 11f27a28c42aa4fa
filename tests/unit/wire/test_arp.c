/* ARP: emit, parse, round trip, truncation, unsupported formats, bad operations. */
#include "wire_test.h"

/* Who has 10.0.0.2? Tell 10.0.0.1 (02:00:00:00:00:01). */
static const uint8_t ARP_REQUEST[28] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

static struct viv__arp_repr request(void)
{
    struct viv__arp_repr r = {VIV__ARP_OP_REQUEST, WT_MAC(2, 0, 0, 0, 0, 1), VIV_IP4(10, 0, 0, 1),
                              WT_MAC(0, 0, 0, 0, 0, 0), VIV_IP4(10, 0, 0, 2)};
    return r;
}

static void test_arp__emit_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__arp_repr r = request();
    assert_int_equal(viv__arp_len(&r), 28);
    uint8_t buf[28];
    assert_int_equal(viv__arp_emit(&r, buf, sizeof buf), VIV__W_OK);
    assert_memory_equal(buf, ARP_REQUEST, 28);
    assert_int_equal(viv__arp_emit(&r, buf, 27), VIV__W_TRUNCATED);
}

static void test_arp__parse_known_bytes(void **state)
{
    (void)state;
    struct viv__arp_repr r, want = request();
    uint8_t *b = wt_dup(ARP_REQUEST, 28);
    assert_int_equal(viv__arp_parse(b, 28, &r), VIV__W_OK);
    assert_int_equal(r.op, VIV__ARP_OP_REQUEST);
    assert_memory_equal(r.sha.b, want.sha.b, 6);
    assert_int_equal(r.spa, VIV_IP4(10, 0, 0, 1));
    assert_memory_equal(r.tha.b, want.tha.b, 6);
    assert_int_equal(r.tpa, VIV_IP4(10, 0, 0, 2));
    free(b);
}

static void test_arp__round_trip_reply_with_padding(void **state)
{
    (void)state;
    struct viv__arp_repr r = {VIV__ARP_OP_REPLY, WT_MAC(2, 0, 0, 0, 0, 2), VIV_IP4(10, 0, 0, 2),
                              WT_MAC(2, 0, 0, 0, 0, 1), VIV_IP4(10, 0, 0, 1)},
                         p;
    uint8_t buf[46] = {0}; /* the payload of a minimum frame: 18 bytes of padding follow */
    assert_int_equal(viv__arp_emit(&r, buf, 28), VIV__W_OK);
    assert_int_equal(viv__arp_parse(buf, sizeof buf, &p), VIV__W_OK);
    assert_int_equal(p.op, VIV__ARP_OP_REPLY);
    assert_memory_equal(p.sha.b, r.sha.b, 6);
    assert_memory_equal(p.tha.b, r.tha.b, 6);
    assert_int_equal(p.spa, r.spa);
    assert_int_equal(p.tpa, r.tpa);
}

static void test_arp__truncated_at_every_length(void **state)
{
    (void)state;
    struct viv__arp_repr r;
    for (size_t n = 0; n < 28; n++) {
        uint8_t *b = wt_dup(ARP_REQUEST, n);
        assert_int_equal(viv__arp_parse(b, n, &r), VIV__W_TRUNCATED);
        free(b);
    }
}

static void test_arp__other_formats_unsupported_bad_op_malformed(void **state)
{
    (void)state;
    struct viv__arp_repr r;
    /* Byte offset and value that make it another format: htype, ptype, hlen, plen. */
    static const struct {
        size_t at;
        uint8_t v;
    } bad[] = {{1, 6}, {0, 1}, {2, 0x86}, {3, 0x01}, {4, 8}, {5, 16}};
    for (size_t i = 0; i < WT_LEN(bad); i++) {
        uint8_t b[28];
        memcpy(b, ARP_REQUEST, 28);
        b[bad[i].at] = bad[i].v;
        assert_int_equal(viv__arp_parse(b, 28, &r), VIV__W_UNSUPPORTED);
    }
    const uint16_t ops[] = {0, 3, 4, 0x100, 0xffff};
    for (size_t i = 0; i < WT_LEN(ops); i++) {
        uint8_t b[28];
        memcpy(b, ARP_REQUEST, 28);
        b[6] = (uint8_t)(ops[i] >> 8);
        b[7] = (uint8_t)ops[i];
        assert_int_equal(viv__arp_parse(b, 28, &r), VIV__W_MALFORMED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp__emit_matches_known_bytes),
        cmocka_unit_test(test_arp__parse_known_bytes),
        cmocka_unit_test(test_arp__round_trip_reply_with_padding),
        cmocka_unit_test(test_arp__truncated_at_every_length),
        cmocka_unit_test(test_arp__other_formats_unsupported_bad_op_malformed),
    };
    return cmocka_run_group_tests_name("wire/arp", tests, NULL, NULL);
}
