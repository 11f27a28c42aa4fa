/* The testing kit on crafted TCP segments: two devices play a handshake and a data exchange
 * with frames built by wire.h (options included), the recorder gives sequence numbers
 * relative to each side's SYN, and expectations written as text and as C patterns check it.
 * No TCP stack is involved: a host is only ever a receiver here, and whatever it answers is
 * not depended on. */
#include "kit_test.h"

#define ISN_A 1000u
#define ISN_B 5000u
#define IP_A VIV_IP4(10, 0, 0, 1)
#define IP_B VIV_IP4(10, 0, 0, 2)

typedef struct tcp_pair {
    viv_sim_t *sim;
    viv_device_t *a, *b;
    viv_mac_t mac_a, mac_b;
    viv_link_t *link; /* a is port A */
} tcp_pair;

static void send_tcp(viv_device_t *dev, const viv_mac_t *src, const viv_mac_t *dst,
                     viv_ip4_t ip_src, viv_ip4_t ip_dst, const viv_wire_tcp *t)
{
    uint8_t frame[1600];
    viv_wire_eth eth = {*dst, *src, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = ip_src;
    ip.dst = ip_dst;
    int n = viv_wire_tcp_frame(frame, sizeof frame, &eth, &ip, t);
    assert_true(n > 0);
    assert_int_equal(viv_device_send(dev, 0, frame, (size_t)n), 0);
}

/* B: answers a SYN with a SYN-ACK, and data with an ACK carrying a SACK block. */
static void b_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                 const viv_frame_info *info, void *user)
{
    tcp_pair *p = user;
    (void)port;
    (void)frame;
    (void)len;
    if (info->ip_proto != VIV_IPPROTO_TCP)
        return;
    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 80;
    t.dport = info->sport;
    t.window = 65535;
    if (info->tcp_flags == VIV_TCP_SYN) {
        t.seq = ISN_B;
        t.ack = info->tcp_seq + 1;
        t.flags = VIV_TCP_SYN | VIV_TCP_ACK;
        t.mss = 1400;
        t.sack_ok = 1;
        t.ts_on = 1;
        t.tsval = 100;
        t.tsecr = 1;
        t.wscale_on = 1;
        t.wscale = 6;
        send_tcp(dev, &p->mac_b, &p->mac_a, IP_B, IP_A, &t);
    } else if (info->payload_len) {
        t.seq = ISN_B + 1;
        t.ack = info->tcp_seq + info->payload_len;
        t.flags = VIV_TCP_ACK;
        t.sack_count = 1;
        t.sack[0].left = ISN_A + 21;
        t.sack[0].right = ISN_A + 31;
        send_tcp(dev, &p->mac_b, &p->mac_a, IP_B, IP_A, &t);
    }
}

/* A: answers the SYN-ACK with an ACK and 10 bytes of data. */
static void a_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                 const viv_frame_info *info, void *user)
{
    tcp_pair *p = user;
    (void)port;
    (void)frame;
    (void)len;
    if (info->ip_proto != VIV_IPPROTO_TCP || info->tcp_flags != (VIV_TCP_SYN | VIV_TCP_ACK))
        return;
    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 40000;
    t.dport = 80;
    t.seq = ISN_A + 1;
    t.ack = info->tcp_seq + 1;
    t.flags = VIV_TCP_ACK;
    t.window = 65535;
    send_tcp(dev, &p->mac_a, &p->mac_b, IP_A, IP_B, &t);
    t.flags = VIV_TCP_ACK | VIV_TCP_PSH;
    t.payload = (const uint8_t *)"0123456789";
    t.payload_len = 10;
    send_tcp(dev, &p->mac_a, &p->mac_b, IP_A, IP_B, &t);
}

static void pair_make(tcp_pair *p, viv_sim_t *sim)
{
    memset(p, 0, sizeof(*p));
    p->sim = sim;
    p->mac_a = (viv_mac_t){{0x02, 0, 0, 0, 0, 0x0a}};
    p->mac_b = (viv_mac_t){{0x02, 0, 0, 0, 0, 0x0b}};
    viv_device_opts o = VIV_DEVICE_OPTS_INIT;
    o.name = "a";
    o.rx = a_rx;
    o.user = p;
    assert_int_equal(viv_device_new(&p->a, sim, 1, &o), 0);
    o.name = "b";
    o.rx = b_rx;
    assert_int_equal(viv_device_new(&p->b, sim, 1, &o), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(500);
    assert_int_equal(
        viv_link_new(&p->link, sim, viv_device_port(p->a, 0), viv_device_port(p->b, 0), &lp), 0);
}

static void syn(tcp_pair *p)
{
    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 40000;
    t.dport = 80;
    t.seq = ISN_A;
    t.flags = VIV_TCP_SYN;
    t.window = 65535;
    t.mss = 1460;
    t.sack_ok = 1;
    t.ts_on = 1;
    t.tsval = 1;
    t.wscale_on = 1;
    t.wscale = 7;
    send_tcp(p->a, &p->mac_a, &p->mac_b, IP_A, IP_B, &t);
}

/* Hand-worked at 1 Gb/s with 0.5 ms links: a SYN with 20 bytes of options is a 74-byte frame,
 * (74 + 24) * 8 = 784 ns; the SYN-ACK too: the SYN-ACK is at A 2 x 500.784 us after the SYN.
 * A's ACK (60 bytes, padded) and data (64 bytes) leave at once; the data waits 672 ns for
 * the ACK, takes 704 ns, and B's ACK with a SACK block (66 bytes, 720 ns) is back at A
 * 672 + 704 + 500000 + 720 + 500000 = 1002.096 us after the SYN-ACK. */
static const char *const handshake =
    "0 A>B TCP 40000>80 [S] 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"
    "+0.001001568 B>A TCP 80>40000 [S.] 0:0(0) ack 1 win 65535 "
    "<mss 1400,sackOK,TS val 100 ecr 1,nop,wscale 6>\n"
    "+0 A>B TCP [.] 1:1(0) ack 1 win 65535 <>\n"
    "+0 A>B TCP [P.] 1:11(10) ack 1 win 65535\n"
    "+0.001002096 B>A TCP . 1:1(0) ack 11 win 65535 <sack 21:31>\n"
    "nothing else until +1\n";

static void test_kit_tcp__handshake_text(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tcp_pair p;
    pair_make(&p, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_device_port(p.a, 0)), 0);
    syn(&p);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, handshake), 0);
    char report[4096];
    if (viv_expect_run(ex, rec, VIV_S(5), report, sizeof report) != 0)
        fail_msg("%s\nrecorded:\n%s", report, kit_dump(rec));
    assert_string_equal(kit_dump(rec),
                        "0.000000000 A>B TCP 40000>80 [S] 0:0(0) win 65535 "
                        "<mss 1460,sackOK,TS val 1 ecr 0,wscale 7>\n"
                        "0.001001568 B>A TCP 80>40000 [S.] 0:0(0) ack 1 win 65535 "
                        "<mss 1400,sackOK,TS val 100 ecr 1,wscale 6>\n"
                        "0.001001568 A>B TCP 40000>80 [.] 1:1(0) ack 1 win 65535\n"
                        "0.001001568 A>B TCP 40000>80 [P.] 1:11(10) ack 1 win 65535\n"
                        "0.002003664 B>A TCP 80>40000 [.] 1:1(0) ack 11 win 65535 "
                        "<sack 21:31>\n");
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 1), 0);
    assert_int_equal(e.seq_relative, 1);
    assert_int_equal(e.ack_relative, 1);
    assert_int_equal(e.info.tcp_seq, ISN_B);
    assert_int_equal(e.mss, 1400);
    assert_int_equal(e.wscale, 6);
    assert_int_equal(e.len, 74);
    assert_int_equal(viv_rec_frame(&e, rec, 2), 0);
    assert_int_equal(e.len, 60); /* padded */
    assert_int_equal(e.wscale, -1);
    assert_int_equal(viv_rec_frame(&e, rec, 4), 0);
    assert_int_equal(e.sack_count, 1);
    assert_int_equal(e.sack[0][0], 21);
    assert_int_equal(e.sack[0][1], 31);

    /* The same times from the physics helpers. */
    viv_time_t syn_rt = 2 * viv_link_one_way(p.link, VIV_LINK_AB, viv_wire_tcp_frame_len(0, 20));
    assert_int_equal(syn_rt, 1001568);
    assert_int_equal(viv_wire_tcp_frame_len(0, 0), 60);
    assert_int_equal(viv_wire_tcp_frame_len(10, 0), 64);
    assert_int_equal(viv_wire_tcp_frame_len(0, 12), 66);
}

/* Mismatches on TCP fields, with the report's "why". */
static void test_kit_tcp__mismatches(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tcp_pair p;
    pair_make(&p, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_device_port(p.a, 0)), 0);
    syn(&p);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    static const struct {
        const char *line, *why;
    } cases[] = {
        {"A>B TCP [S.]", "flags [S], expected [S.]"},
        {"A>B TCP [S] 1:1(0)", "seq 0, expected 1"},
        {"A>B TCP [S] win 1024", "win 65535, expected 1024"},
        {"A>B TCP <mss 1460>", "option wscale present, expected none"},
        {"A>B TCP <mss 536,sackOK,TS val * ecr *,wscale 7>", "mss 1460, expected 536"},
        {"A>B TCP <mss *,sackOK,TS val 2 ecr *,wscale 7>", "TS val 1, expected 2"},
        {"A>B TCP ack 1", "no ACK flag, expected ack 1"},
        {"A>B TCP 40000>81", "destination port 80, expected 81"},
        {"A>B TCP 81", "ports 40000>80, expected 81 on either side"},
        {"B>A TCP", "source A, expected B"},
        {"A>10.0.0.3 TCP", "destination 10.0.0.2, expected 10.0.0.3"},
        {"A>B UDP", "protocol TCP, expected UDP"},
        {"A>B TCP len 1", "len 0, expected 1"},
        {"A>B TCP <sack 1:2>", "option mss present, expected none"},
        {"A>B TCP <mss *,sackOK *,TS *,wscale *,sack 1:2>", "SACK blocks none, expected 1:2"},
        {"02:00:00:00:00:0a>02:00:00:00:00:0c TCP",
         "destination 02:00:00:00:00:0b, expected 02:00:00:00:00:0c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        viv_expect_t *ex;
        assert_int_equal(viv_expect_new(&ex, sim), 0);
        assert_int_equal(viv_expect_parse(ex, cases[i].line), 0);
        char report[2048], want[256];
        assert_int_equal(viv_expect_check(ex, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
        snprintf(want, sizeof want, "  why: %s\n", cases[i].why);
        if (!strstr(report, want))
            fail_msg("line \"%s\": expected \"%s\" in:\n%s", cases[i].line, cases[i].why, report);
        viv_expect_free(ex);
    }
}

/* The same expectations built in C. */
static void test_kit_tcp__c_form(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tcp_pair p;
    pair_make(&p, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_name(rec, "client", IP_A), 0);
    assert_int_equal(viv_rec_name(rec, "server", IP_B), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_device_port(p.a, 0)), 0);
    syn(&p);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);

    viv_pattern s;
    viv_pattern_init(&s);
    s.when = VIV_WHEN_AT;
    s.src = "client";
    s.dst = "server";
    s.proto = VIV_PROTO_TCP;
    s.tcp_flags = VIV_TCP_SYN;
    s.seq = 0;
    s.len = 0;
    s.mss = 1460;
    s.wscale = 7;
    s.sack_ok = 1;
    s.ts = 1;
    s.ts_val = 1;
    s.sack_count = 0;
    assert_int_equal(viv_expect_add(ex, &s), 0);

    viv_pattern sa;
    viv_pattern_init(&sa);
    sa.when = VIV_WHEN_AT;
    sa.time_rel = 1;
    sa.time_ns = 1001568;
    sa.tol_ns = VIV_US(1);
    sa.src = "server";
    sa.proto = VIV_PROTO_TCP;
    sa.tcp_flags = VIV_TCP_SYN | VIV_TCP_ACK;
    sa.ack = 1;
    sa.mss = 1400;
    assert_int_equal(viv_expect_add(ex, &sa), 0);

    viv_pattern d;
    viv_pattern_init(&d);
    d.allow_arp = 1;
    d.src = "client";
    d.proto = VIV_PROTO_TCP;
    d.tcp_flags = VIV_TCP_ACK;
    d.mss = VIV_ABSENT;
    assert_int_equal(viv_expect_add(ex, &d), 0);
    d.tcp_flags = VIV_TCP_ACK | VIV_TCP_PSH;
    d.seq = 1;
    d.len = 10;
    assert_int_equal(viv_expect_add(ex, &d), 0);

    viv_pattern q;
    viv_pattern_init(&q);
    q.kind = VIV_PATTERN_QUIET;
    q.when = VIV_WHEN_AT;
    q.time_rel = 1;
    q.time_ns = VIV_US(500);
    assert_int_equal(viv_expect_add(ex, &q), 0);
    assert_int_equal(viv_expect_count(ex), 5);

    char text[256];
    static const char *const canon[] = {
        "0 client>server TCP [S] 0:0(0) <mss 1460,sackOK,TS val 1 ecr *,wscale 7>",
        "+0.001001568~0.000001 server>* TCP [S.] ack 1 <mss 1400,sackOK *,TS *,wscale *,sack *>",
        "client>* TCP [.] <sackOK *,TS *,wscale *,sack *>",
        "client>* TCP [P.] 1:11(10) <sackOK *,TS *,wscale *,sack *>",
        "nothing else until +0.0005",
    };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(viv_expect_text(ex, i, text, sizeof text), (int)strlen(canon[i]));
        assert_string_equal(text, canon[i]);
    }
    char report[2048];
    if (viv_expect_run(ex, rec, VIV_S(1), report, sizeof report) != 0)
        fail_msg("%s\nrecorded:\n%s", report, kit_dump(rec));
    /* The canonical spellings read back as the same expectations. */
    viv_expect_t *back;
    assert_int_equal(viv_expect_new(&back, sim), 0);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(viv_expect_parse(back, canon[i]), 0);
    KIT_ASSERT_MET(back, rec);

    /* Single frames: match and wait. */
    assert_int_equal(viv_rec_match(rec, 0, &s), 1);
    assert_int_equal(viv_rec_match(rec, 1, &s), 0);
    assert_int_equal(viv_rec_match(rec, 9, &s), VIV_ERANGE);
    assert_int_equal(viv_rec_match(rec, 0, &q), VIV_EINVAL);
    viv_pattern bad = s;
    bad.src = "no such thing!";
    assert_int_equal(viv_expect_add(ex, &bad), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "viv_expect_add: bad source endpoint \"no such thing!\": expected a "
                        "name, an IPv4 or MAC address, or *");
    bad = s;
    bad.proto = VIV_PROTO_UDP;
    assert_int_equal(viv_expect_add(ex, &bad), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_expect_add: TCP fields need the protocol TCP");
    viv_pattern_init(&bad);
    bad.sport = 70000;
    bad.proto = VIV_PROTO_UDP;
    assert_int_equal(viv_expect_add(ex, &bad), VIV_EINVAL);
    assert_int_equal(viv_expect_count(ex), 5);
}

/* A device injects segments into a host; only the link direction away from the device is
 * recorded, so whatever the host answers (or not) does not matter. */
static void test_kit_tcp__into_a_host(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_device_t *dev;
    assert_int_equal(viv_device_new(&dev, sim, 1, NULL), 0);
    viv_host_t *h;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "h";
    assert_int_equal(viv_host_new(&h, sim, &ho), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, IP_B, 24), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_device_port(dev, 0), viv_host_port(h, 0), NULL), 0);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(rec, l, VIV_LINK_AB), 0);
    assert_int_equal(viv_rec_attach_link(rec, l, VIV_LINK_AB), VIV_EEXIST);
    viv_mac_t dmac = {{0x02, 0, 0, 0, 0, 0x0d}}, hmac;
    assert_int_equal(viv_host_mac(&hmac, h, 0), 0);

    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 40000;
    t.dport = 80;
    t.seq = 7;
    t.flags = VIV_TCP_SYN;
    t.window = 1024;
    t.mss = 536;
    send_tcp(dev, &dmac, &hmac, IP_A, IP_B, &t);
    /* A bad checksum: still decoded, options included. */
    t.set = VIV_WIRE_CKSUM;
    t.cksum = 0xdead;
    send_tcp(dev, &dmac, &hmac, IP_A, IP_B, &t);
    /* Malformed options (a length byte of 1). */
    static const uint8_t junk[4] = {2, 1, 0, 0};
    t.set = 0;
    t.raw_opts = junk;
    t.raw_opts_len = 4;
    t.flags = VIV_TCP_ACK;
    t.seq = 8;
    send_tcp(dev, &dmac, &hmac, IP_A, IP_B, &t);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);

    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "A>B TCP 40000>80 [S] 0:0(0) win 1024 <mss 536>\n"
                                          "+0.000000672 A>B TCP [S] 0:0(0) win 1024 <mss 536>\n"
                                          "A>B TCP [.] 1:1(0) ack 0 win 1024\n"),
                     0);
    KIT_ASSERT_MET(ex, rec);
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, rec, 2), 0);
    assert_int_equal(e.opts_bad, 1);
    assert_int_equal(e.ack_relative, 0); /* the host's SYN was never seen */
    viv_expect_t *ex2;
    assert_int_equal(viv_expect_new(&ex2, sim), 0);
    assert_int_equal(viv_expect_parse(ex2, "A>B TCP\nA>B TCP\nA>B TCP <>\n"), 0);
    char report[2048];
    assert_int_equal(viv_expect_check(ex2, rec, 1, report, sizeof report), VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: TCP options malformed\n"));
    assert_int_equal(viv_rec_count(rec), 3);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit_tcp__handshake_text),
        T(test_kit_tcp__mismatches),
        T(test_kit_tcp__c_form),
        T(test_kit_tcp__into_a_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
