/* Frame builders (wire.h): the bytes, checked field by field and with a checksum written
 * here (RFC 1071), independently of the library; the overrides; the errors; the frame
 * lengths; and real hosts receiving what the builders make. */
#include "kit_test.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The one's complement sum of n bytes plus a starting sum, folded: 0xffff when a filled-in
 * checksum verifies. */
static uint16_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Whether the transport checksum of an IPv4 packet at ip (20-byte header) verifies. */
static int l4_ok(const uint8_t *ip, size_t l4len)
{
    uint32_t pseudo =
        rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) + rd16(ip + 18) + ip[9] + (uint32_t)l4len;
    return sum16(pseudo, ip + 20, l4len) == 0xffff;
}

static const viv_mac_t MAC_A = {{0x02, 0, 0, 0, 0, 0x0a}};
static const viv_mac_t MAC_B = {{0x02, 0, 0, 0, 0, 0x0b}};

static void test_kit_wire__udp(void **state)
{
    (void)state;
    uint8_t f[256];
    memset(f, 0xee, sizeof f);
    viv_wire_eth eth = {MAC_B, MAC_A, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    ip.id = 0x1234;
    ip.df = 1;
    viv_wire_udp u;
    memset(&u, 0, sizeof u);
    u.sport = 1025;
    u.dport = 53;
    u.payload = (const uint8_t *)"hello";
    u.payload_len = 5;
    assert_int_equal(viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u), 60);
    assert_memory_equal(f, MAC_B.b, 6);
    assert_memory_equal(f + 6, MAC_A.b, 6);
    assert_int_equal(rd16(f + 12), 0x0800);
    const uint8_t *p = f + 14;
    assert_int_equal(p[0], 0x45);
    assert_int_equal(rd16(p + 2), 33);
    assert_int_equal(rd16(p + 4), 0x1234);
    assert_int_equal(rd16(p + 6), 0x4000);
    assert_int_equal(p[8], 64);
    assert_int_equal(p[9], 17);
    assert_int_equal(sum16(0, p, 20), 0xffff);
    assert_int_equal(rd16(p + 20), 1025);
    assert_int_equal(rd16(p + 22), 53);
    assert_int_equal(rd16(p + 24), 13);
    assert_true(l4_ok(p, 13));
    assert_memory_equal(p + 28, "hello", 5);
    for (int i = 47; i < 60; i++)
        assert_int_equal(f[i], 0); /* padding */
    assert_int_equal(f[60], 0xee); /* nothing written past the frame */
    /* No Ethernet header: the packet alone, unpadded. */
    assert_int_equal(viv_wire_udp_frame(f, sizeof f, NULL, &ip, &u), 33);
    assert_int_equal(f[0], 0x45);
    /* A payload of zeros when none is given. */
    u.payload = NULL;
    u.payload_len = 100;
    assert_int_equal(viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u), 142);
    assert_int_equal(viv_wire_udp_frame_len(100), 142);
    assert_int_equal(viv_wire_udp_frame_len(5), 60);
    assert_true(l4_ok(f + 14, 108));
}

static void test_kit_wire__tcp_options(void **state)
{
    (void)state;
    uint8_t f[256];
    viv_wire_eth eth = {MAC_B, MAC_A, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 40000;
    t.dport = 80;
    t.seq = 0x01020304;
    t.ack = 0;
    t.flags = VIV_TCP_SYN;
    t.window = 65535;
    t.mss = 1460;
    t.sack_ok = 1;
    t.ts_on = 1;
    t.tsval = 0x11223344;
    t.tsecr = 0;
    t.wscale_on = 1;
    t.wscale = 7;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), 74);
    const uint8_t *s = f + 34;
    assert_int_equal(rd16(s), 40000);
    assert_int_equal(rd32(s + 4), 0x01020304);
    assert_int_equal(s[12] >> 4, 10);
    assert_int_equal(s[13], VIV_TCP_SYN);
    assert_int_equal(rd16(s + 14), 65535);
    /* Linux's layout: MSS; SACK-permitted with timestamps; NOP and window scale. */
    static const uint8_t opts[20] = {2,    4,    0x05, 0xb4, 4, 2, 8, 10, 0x11, 0x22,
                                     0x33, 0x44, 0,    0,    0, 0, 1, 3,  3,    7};
    assert_memory_equal(s + 20, opts, 20);
    assert_true(l4_ok(f + 14, 40));
    assert_int_equal(viv_wire_tcp_frame_len(0, 20), 74);

    /* SACK blocks, data, the data offset overridden (the checksum still good), the
     * checksum overridden. */
    memset(&t, 0, sizeof t);
    t.flags = VIV_TCP_ACK;
    t.sack_count = 2;
    t.sack[0] = (viv_wire_sack){100, 200};
    t.sack[1] = (viv_wire_sack){300, 400};
    t.payload = (const uint8_t *)"abc";
    t.payload_len = 3;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), 14 + 20 + 40 + 3);
    assert_int_equal(s[12] >> 4, 10);
    static const uint8_t sack[20] = {1, 1,   5, 18, 0, 0,  0, 100, 0, 0,
                                     0, 200, 0, 0,  1, 44, 0, 0,   1, 144};
    assert_memory_equal(s + 20, sack, 20);
    assert_memory_equal(s + 40, "abc", 3);
    assert_true(l4_ok(f + 14, 43));
    t.set = VIV_WIRE_HDRLEN;
    t.hdr_len = 4; /* below the minimum of 5 */
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), 77);
    assert_int_equal(s[12] >> 4, 4);
    assert_true(l4_ok(f + 14, 43));
    t.set |= VIV_WIRE_CKSUM;
    t.cksum = 0xbeef;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), 77);
    assert_int_equal(rd16(s + 16), 0xbeef);
    assert_int_equal(s[12] >> 4, 4);

    /* Raw options in place of the structured ones. */
    static const uint8_t raw[8] = {1, 1, 8, 2, 0, 0, 0, 0};
    memset(&t, 0, sizeof t);
    t.raw_opts = raw;
    t.raw_opts_len = 8;
    t.mss = 1000; /* ignored */
    t.payload = (const uint8_t *)"z";
    t.payload_len = 1;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), 14 + 20 + 28 + 1);
    assert_int_equal(s[12] >> 4, 7);
    assert_memory_equal(s + 20, raw, 8);
    assert_int_equal(s[28], 'z');
    assert_true(l4_ok(f + 14, 29));
    t.raw_opts_len = 6;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), VIV_EINVAL);
    memset(&t, 0, sizeof t);
    t.sack_count = 5;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), VIV_EINVAL);
    t.sack_count = 4;
    t.mss = 1; /* 4 + 34 bytes of SACK (with NOPs): over 40 */
    t.ts_on = 1;
    assert_int_equal(viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t), VIV_EINVAL);
}

static void test_kit_wire__ip_icmp_arp_eth(void **state)
{
    (void)state;
    uint8_t f[700];
    viv_wire_eth eth = {MAC_B, MAC_A, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(192, 168, 1, 1);
    ip.dst = VIV_IP4(192, 168, 1, 2);
    ip.ttl = 3;
    ip.tos = 0xb8;
    static const uint8_t ipopts[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
    ip.opts = ipopts;
    ip.opts_len = 4;
    viv_wire_icmp m;
    memset(&m, 0, sizeof m);
    m.type = 8;
    m.id = 0x4242;
    m.seq = 7;
    m.data_len = 56;
    assert_int_equal(viv_wire_icmp_frame(f, sizeof f, &eth, &ip, &m), 14 + 24 + 64);
    const uint8_t *p = f + 14;
    assert_int_equal(p[0], 0x46);
    assert_int_equal(p[1], 0xb8);
    assert_int_equal(p[8], 3);
    assert_int_equal(p[9], 1);
    assert_memory_equal(p + 20, ipopts, 4);
    assert_int_equal(sum16(0, p, 24), 0xffff);
    assert_int_equal(p[24], 8);
    assert_int_equal(rd16(p + 28), 0x4242);
    assert_int_equal(rd16(p + 30), 7);
    assert_int_equal(sum16(0, p + 24, 64), 0xffff);
    /* An error quoting a packet. */
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(192, 168, 1, 1);
    ip.dst = VIV_IP4(192, 168, 1, 2);
    m.type = 3;
    m.code = 4;
    m.mtu = 1400;
    m.data = f + 14; /* any 28 bytes */
    m.data_len = 28;
    uint8_t g[128];
    assert_int_equal(viv_wire_icmp_frame(g, sizeof g, &eth, &ip, &m), 14 + 20 + 36);
    assert_int_equal(rd16(g + 34 + 6), 1400);
    assert_memory_equal(g + 34 + 8, f + 14, 28);
    assert_int_equal(sum16(0, g + 34, 36), 0xffff);
    m.set = VIV_WIRE_CKSUM;
    m.cksum = 1;
    assert_int_equal(viv_wire_icmp_frame(g, sizeof g, &eth, &ip, &m), 70);
    assert_int_equal(rd16(g + 36), 1);
    assert_int_equal(viv_wire_icmp_error_frame_len(28), 70);
    assert_int_equal(viv_wire_icmp_error_frame_len(1500), 14 + 576);
    assert_int_equal(viv_wire_icmp_echo_frame_len(0), 60);

    /* IPv4 overrides: version, IHL, total length, TTL 0, checksum. */
    ip.set = VIV_WIRE_TTL | VIV_WIRE_VERSION | VIV_WIRE_LEN;
    ip.ttl = 0;
    ip.version = 6;
    ip.length = 1000;
    ip.proto = 99;
    assert_int_equal(viv_wire_ip_frame(g, sizeof g, &eth, &ip, (const uint8_t *)"xy", 2), 60);
    assert_int_equal(g[14], 0x65);
    assert_int_equal(rd16(g + 16), 1000);
    assert_int_equal(g[22], 0);
    assert_int_equal(g[23], 99);
    assert_int_equal(sum16(0, g + 14, 20), 0xffff);
    ip.set = VIV_WIRE_HDRLEN | VIV_WIRE_CKSUM;
    ip.hdr_len = 15;
    ip.cksum = 0;
    assert_int_equal(viv_wire_ip_frame(g, sizeof g, &eth, &ip, NULL, 0), 60);
    assert_int_equal(g[14], 0x4f);
    assert_int_equal(rd16(g + 24), 0);
    ip.set = 0;
    ip.frag_offset = 12;
    assert_int_equal(viv_wire_ip_frame(g, sizeof g, &eth, &ip, NULL, 0), VIV_EINVAL);
    ip.frag_offset = 16;
    ip.mf = 1;
    assert_int_equal(viv_wire_ip_frame(g, sizeof g, &eth, &ip, NULL, 0), 60);
    assert_int_equal(rd16(g + 20), 0x2002);
    ip.frag_offset = 0;
    ip.opts_len = 3;
    ip.opts = ipopts;
    assert_int_equal(viv_wire_ip_frame(g, sizeof g, &eth, &ip, NULL, 0), VIV_EINVAL);

    /* ARP, with and without Ethernet. */
    viv_wire_arp a = {1, MAC_A, VIV_IP4(10, 0, 0, 1), {{0}}, VIV_IP4(10, 0, 0, 2)};
    viv_wire_eth bc = {{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, MAC_A, 0, 0};
    assert_int_equal(viv_wire_arp_frame(g, sizeof g, &bc, &a), 60);
    assert_int_equal(viv_wire_arp_frame_len(), 60);
    assert_int_equal(rd16(g + 12), 0x0806);
    static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    assert_memory_equal(g + 14, arp_hdr, 8);
    assert_memory_equal(g + 22, MAC_A.b, 6);
    assert_int_equal(rd32(g + 28), VIV_IP4(10, 0, 0, 1));
    assert_int_equal(rd32(g + 38), VIV_IP4(10, 0, 0, 2));
    assert_int_equal(viv_wire_arp_frame(g, sizeof g, NULL, &a), 28);
    bc.no_pad = 1;
    assert_int_equal(viv_wire_arp_frame(g, sizeof g, &bc, &a), 42);

    /* Any payload behind an Ethernet header, its EtherType as given. */
    viv_wire_eth x = {MAC_B, MAC_A, 0x88b5, 0};
    assert_int_equal(viv_wire_eth_frame(g, sizeof g, &x, (const uint8_t *)"hi", 2), 60);
    assert_int_equal(rd16(g + 12), 0x88b5);
    assert_memory_equal(g + 14, "hi", 2);

    /* Room and arguments. */
    assert_int_equal(viv_wire_eth_frame(g, 59, &x, NULL, 0), VIV_ENOSPC);
    assert_int_equal(viv_wire_arp_frame(g, 27, NULL, &a), VIV_ENOSPC);
    assert_int_equal(viv_wire_eth_frame(NULL, 60, &x, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_wire_udp_frame(g, sizeof g, &x, NULL, NULL), VIV_EINVAL);
    viv_wire_udp big;
    memset(&big, 0, sizeof big);
    big.payload_len = 65535 - 28 + 1;
    assert_int_equal(viv_wire_udp_frame(g, sizeof g, &x, &ip, &big), VIV_EINVAL);
}

static void host_rx_count(viv_udp_t *s, uint32_t ev, void *user)
{
    int *n = user;
    uint8_t b[64];
    if (ev & VIV_EV_READABLE)
        while (viv_udp_recv(s, b, sizeof b) >= 0)
            (*n)++;
}

/* A host takes what the builders make: a UDP datagram is delivered, an echo request
 * answered; a bad UDP checksum, a bad IPv4 checksum and a bad IHL are counted and dropped. */
static void test_kit_wire__a_host_receives(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_device_t *dev;
    assert_int_equal(viv_device_new(&dev, sim, 1, NULL), 0);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_device_port(dev, 0), viv_host_port(h, 0), NULL), 0);
    int got = 0;
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, h, NULL, host_rx_count, &got), 0);
    viv_sockaddr_t a = {0, 53};
    assert_int_equal(viv_udp_bind(s, &a), 0);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(h, 0)), 0);

    viv_mac_t hmac;
    assert_int_equal(viv_host_mac(&hmac, h, 0), 0);
    uint8_t f[200];
    viv_wire_eth eth = {hmac, MAC_A, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    viv_wire_udp u;
    memset(&u, 0, sizeof u);
    u.sport = 1000;
    u.dport = 53;
    u.payload_len = 20;
    int n = viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    u.set = VIV_WIRE_CKSUM;
    u.cksum = 0x0bad;
    n = viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    u.cksum = 0; /* "no checksum": accepted */
    n = viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    u.set = 0;
    ip.set = VIV_WIRE_CKSUM;
    ip.cksum = 0x0bad;
    n = viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    ip.set = VIV_WIRE_HDRLEN;
    ip.hdr_len = 4;
    n = viv_wire_udp_frame(f, sizeof f, &eth, &ip, &u);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    ip.set = 0;
    viv_wire_icmp m;
    memset(&m, 0, sizeof m);
    m.type = 8;
    m.id = 9;
    m.seq = 1;
    m.data_len = 56;
    n = viv_wire_icmp_frame(f, sizeof f, &eth, &ip, &m);
    assert_int_equal(viv_device_send(dev, 0, f, (size_t)n), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);

    assert_int_equal(got, 2);
    viv_udp_host_stats_t us;
    assert_int_equal(viv_host_udp_stats(&us, h), 0);
    assert_int_equal(us.rx_checksum, 1);
    viv_ip_stats_t is;
    assert_int_equal(viv_host_ip_stats(&is, h), 0);
    assert_int_equal(is.drop_checksum, 1);
    assert_int_equal(is.drop_malformed, 1);
    /* The host answered the echo request (after asking who 10.0.0.1 is: nobody answers, so
     * only the request is expected, with ARP allowed around it). */
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "A>B UDP 1000>53 len 20\n"
                                          "A>B UDP 1000>53 len 20\n"
                                          "A>B UDP 1000>53 len 20\n"
                                          "A>B UDP 1000>53 len 20\n"
                                          "02:00:00:00:00:0a>* ETH type 0x0800 len 62\n"
                                          "A>B ICMP echo-request id 9 seq 1 len 56\n"
                                          "allow ARP\n"
                                          "B>A ARP request\n"),
                     0);
    KIT_ASSERT_MET(ex, rec);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit_wire__udp),
        T(test_kit_wire__tcp_options),
        T(test_kit_wire__ip_icmp_arp_eth),
        T(test_kit_wire__a_host_receives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
