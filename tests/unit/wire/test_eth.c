/* Ethernet II: emit, parse, round trip, truncation, tags, padding. */
#include "wire_test.h"

/* 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4. */
static const uint8_t ETH_IPV4[14] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
};

static void test_eth__emit_matches_known_bytes(void **state)
{
    (void)state;
    struct viv__eth_repr r = {WT_MAC(2, 0, 0, 0, 0, 2), WT_MAC(2, 0, 0, 0, 0, 1),
                              VIV__ETHERTYPE_IPV4};
    assert_int_equal(viv__eth_len(&r), 14);
    uint8_t buf[20];
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(viv__eth_emit(&r, buf, sizeof buf), VIV__W_OK);
    assert_memory_equal(buf, ETH_IPV4, 14);
    assert_int_equal(buf[14], 0xee); /* the payload is untouched */
    assert_int_equal(viv__eth_emit(&r, buf, 14), VIV__W_OK);
    assert_int_equal(viv__eth_emit(&r, buf, 13), VIV__W_TRUNCATED);
}

static void test_eth__parse_known_bytes(void **state)
{
    (void)state;
    struct viv__eth_repr r;
    uint8_t *b = wt_dup(ETH_IPV4, sizeof ETH_IPV4);
    assert_int_equal(viv__eth_parse(b, sizeof ETH_IPV4, &r), VIV__W_OK);
    viv_mac_t dst = WT_MAC(2, 0, 0, 0, 0, 2), src = WT_MAC(2, 0, 0, 0, 0, 1);
    assert_memory_equal(r.dst.b, dst.b, 6);
    assert_memory_equal(r.src.b, src.b, 6);
    assert_int_equal(r.ethertype, VIV__ETHERTYPE_IPV4);
    free(b);
}

static void test_eth__round_trip(void **state)
{
    (void)state;
    struct viv__eth_repr r = {WT_MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
                              WT_MAC(0x02, 0xab, 0xcd, 0xef, 0x01, 0x23), VIV__ETHERTYPE_ARP},
                         p;
    uint8_t buf[60] = {0};
    assert_int_equal(viv__eth_emit(&r, buf, sizeof buf), VIV__W_OK);
    assert_int_equal(viv__eth_parse(buf, sizeof buf, &p), VIV__W_OK);
    assert_memory_equal(&p.dst, &r.dst, 6);
    assert_memory_equal(&p.src, &r.src, 6);
    assert_int_equal(p.ethertype, VIV__ETHERTYPE_ARP);
}

static void test_eth__truncated_at_every_length(void **state)
{
    (void)state;
    struct viv__eth_repr r;
    for (size_t n = 0; n < 14; n++) {
        uint8_t *b = wt_dup(ETH_IPV4, n);
        assert_int_equal(viv__eth_parse(b, n, &r), VIV__W_TRUNCATED);
        free(b);
    }
}

static void test_eth__vlan_tags_and_8023_lengths_are_unsupported(void **state)
{
    (void)state;
    struct viv__eth_repr r;
    uint8_t b[18];
    memcpy(b, ETH_IPV4, 14);
    b[12] = 0x81; /* 802.1Q */
    b[13] = 0x00;
    assert_int_equal(viv__eth_parse(b, sizeof b, &r), VIV__W_UNSUPPORTED);
    b[12] = 0x88; /* 802.1ad */
    b[13] = 0xa8;
    assert_int_equal(viv__eth_parse(b, sizeof b, &r), VIV__W_UNSUPPORTED);
    b[12] = 0x05; /* 1500: an 802.3 length field */
    b[13] = 0xdc;
    assert_int_equal(viv__eth_parse(b, sizeof b, &r), VIV__W_UNSUPPORTED);
    b[12] = 0x06; /* 0x0600 is the first ethertype */
    b[13] = 0x00;
    assert_int_equal(viv__eth_parse(b, sizeof b, &r), VIV__W_OK);
}

static void test_eth__padding_reaches_the_minimum_frame(void **state)
{
    (void)state;
    assert_int_equal(viv__eth_pad_len(0), 46);
    assert_int_equal(viv__eth_pad_len(28), 18); /* an ARP packet */
    assert_int_equal(viv__eth_pad_len(45), 1);
    assert_int_equal(viv__eth_pad_len(46), 0);
    assert_int_equal(viv__eth_pad_len(1500), 0);
    assert_int_equal(14 + 28 + viv__eth_pad_len(28), VIV__ETH_MIN_FRAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth__emit_matches_known_bytes),
        cmocka_unit_test(test_eth__parse_known_bytes),
        cmocka_unit_test(test_eth__round_trip),
        cmocka_unit_test(test_eth__truncated_at_every_length),
        cmocka_unit_test(test_eth__vlan_tags_and_8023_lengths_are_unsupported),
        cmocka_unit_test(test_eth__padding_reaches_the_minimum_frame),
    };
    return cmocka_run_group_tests_name("wire/eth", tests, NULL, NULL);
}
