/* An audit of the testing kit against its documentation: the physics helpers computed by
 * hand (rounding, huge values), the frame length helpers at their limits, hostile TCP options
 * and random bytes through the recorder (every decoded line must read back as an expectation
 * that matches its frame), the time grammar's limits, expectation windows at their edges, and
 * misuse of every call. */
#include "kit_test.h"

#include <stdint.h>

static const viv_mac_t MAC_1 = {{0x02, 0, 0, 0, 0, 0x01}};
static const viv_mac_t MAC_2 = {{0x02, 0, 0, 0, 0, 0x02}};

/* Two devices on one link (rate, delay), recorded on its A-to-B direction. */
typedef struct dev_world {
    viv_device_t *d1, *d2;
    viv_link_t *l;
    viv_rec_t *rec;
} dev_world;

static void dev_world_make(dev_world *w, viv_sim_t *sim, uint64_t rate, viv_time_t delay)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(viv_device_new(&w->d1, sim, 1, NULL), 0);
    assert_int_equal(viv_device_new(&w->d2, sim, 1, NULL), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = rate;
    lp.delay_ns = delay;
    assert_int_equal(
        viv_link_new(&w->l, sim, viv_device_port(w->d1, 0), viv_device_port(w->d2, 0), &lp), 0);
    assert_int_equal(viv_rec_new(&w->rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_link(w->rec, w->l, VIV_LINK_AB), 0);
}

/* Every recorded frame's decoded line, parsed back, is met by the recording (the promise of
 * viv_rec_format: "the line is a valid expectation that matches the frame"). */
static void assert_lines_read_back(viv_sim_t *sim, const viv_rec_t *rec)
{
    size_t n = viv_rec_count(rec);
    for (size_t i = 0; i < n; i++) {
        char line[512];
        int len = viv_rec_format(rec, i, line, sizeof line);
        assert_true(len > 0 && (size_t)len < sizeof line);
        viv_pattern any;
        viv_pattern_init(&any);
        viv_expect_t *ex;
        assert_int_equal(viv_expect_new(&ex, sim), 0);
        /* Skip the frames before i with "*" lines, then the decoded line itself. */
        for (size_t k = 0; k < i; k++)
            assert_int_equal(viv_expect_add(ex, &any), 0);
        if (viv_expect_parse(ex, line) != 0)
            fail_msg("frame %zu: \"%s\" does not parse: %s", i, line, viv_sim_errmsg(sim));
        char report[2048];
        if (viv_expect_check(ex, rec, 1, report, sizeof report) != 0)
            fail_msg("frame %zu: \"%s\" does not match its frame:\n%s", i, line, report);
        viv_expect_free(ex);
    }
}

/* ---- physics ------------------------------------------------------------------------------ */

/* viv_link_ser_time() against ceil((len + overhead) * 8 * 10^9 / rate) worked by hand. */
static void test_kit_audit__ser_time_by_hand(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 100000000u, VIV_MS(1));
    /* 100 Mb/s, 75 bytes + 24: 792 bits = 7920 ns; one way adds the 1 ms. */
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, 75), 7920);
    assert_int_equal(viv_link_one_way(w.l, VIV_LINK_AB, 75), 7920 + 1000000);
    /* 10 Mb/s, 1514 bytes: 1538 * 8 = 12304 bits = 1230400 ns. */
    assert_int_equal(viv_link_set_rate(w.l, VIV_LINK_AB, 10000000u), 0);
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, 1514), 1230400);
    /* 3 Gb/s, 61 bytes: 680 bits / 3 = 226.67 ns, rounded up to 227. */
    assert_int_equal(viv_link_set_rate(w.l, VIV_LINK_AB, 3000000000u), 0);
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, 61), 227);
    /* 7 Gb/s, 60 bytes: 672 bits / 7 = 96 ns exactly (no rounding up of an exact value). */
    assert_int_equal(viv_link_set_rate(w.l, VIV_LINK_AB, 7000000000u), 0);
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, 60), 96);
    /* 3 b/s, 1 byte: 200 bits = 66666666666.67 ns, rounded up. */
    assert_int_equal(viv_link_set_rate(w.l, VIV_LINK_AB, 3u), 0);
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, 1), UINT64_C(66666666667));
    /* The other direction keeps its own rate. */
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_BA, 75), 7920);
    /* Zero length: the overhead alone, 24 bytes at 100 Mb/s. */
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_BA, 0), 1920);
    /* Bad arguments. */
    assert_int_equal(viv_link_ser_time(NULL, VIV_LINK_AB, 60), VIV_TIME_NEVER);
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_BOTH, 60), VIV_TIME_NEVER);
    assert_int_equal(viv_link_one_way(w.l, (viv_link_dir)9, 60), VIV_TIME_NEVER);
    assert_int_equal(viv_path_one_way(NULL, 0, 60), 0);
    assert_int_equal(viv_path_one_way(NULL, 1, 60), VIV_TIME_NEVER);
    viv_hop bad[2] = {{w.l, VIV_LINK_BA}, {NULL, VIV_LINK_AB}};
    assert_int_equal(viv_path_one_way(bad, 2, 60), VIV_TIME_NEVER);
    viv_hop two[2] = {{w.l, VIV_LINK_BA}, {w.l, VIV_LINK_BA}};
    assert_int_equal(viv_path_one_way(two, 2, 75), 2 * (7920 + 1000000));
}

/* A time too large for the clock saturates at VIV_TIME_MAX: it never wraps to a small time,
 * and never reads as VIV_TIME_NEVER ("bad arguments"). */
static void test_kit_audit__ser_time_huge(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1u, VIV_MS(1));
    /* 1 b/s: (2^32 - 1 + 24) * 8 bits are 3.4e19 ns, past the clock's 1.8e19. */
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, UINT32_MAX), VIV_TIME_MAX);
    assert_int_equal(viv_link_one_way(w.l, VIV_LINK_AB, UINT32_MAX), VIV_TIME_MAX);
    /* Just below: 2^61 bits would not fit either way; (2^31 - 24) * 8 bits fits. */
    assert_int_equal(viv_link_ser_time(w.l, VIV_LINK_AB, (UINT32_C(1) << 31) - 24),
                     UINT64_C(17179869184000000000));
    viv_hop hops[2] = {{w.l, VIV_LINK_AB}, {w.l, VIV_LINK_AB}};
    assert_int_equal(viv_path_one_way(hops, 2, (UINT32_C(1) << 31) - 24), VIV_TIME_MAX);
}

/* ---- frame lengths ------------------------------------------------------------------------ */

static void test_kit_audit__frame_lengths(void **state)
{
    (void)state;
    assert_int_equal(viv_wire_udp_frame_len(0), 60);
    assert_int_equal(viv_wire_udp_frame_len(18), 60);
    assert_int_equal(viv_wire_udp_frame_len(19), 61);
    assert_int_equal(viv_wire_udp_frame_len(33), 75);
    assert_int_equal(viv_wire_tcp_frame_len(0, 0), 60);
    assert_int_equal(viv_wire_tcp_frame_len(6, 0), 60);
    assert_int_equal(viv_wire_tcp_frame_len(7, 0), 61);
    assert_int_equal(viv_wire_tcp_frame_len(1448, 12), 1514);
    assert_int_equal(viv_wire_icmp_echo_frame_len(56), 98);
    assert_int_equal(viv_wire_icmp_echo_frame_len(0), 60);
    assert_int_equal(viv_wire_icmp_error_frame_len(20), 14 + 20 + 8 + 20);
    assert_int_equal(viv_wire_icmp_error_frame_len(548), 590);
    assert_int_equal(viv_wire_icmp_error_frame_len(1500), 590);
    assert_int_equal(viv_wire_arp_frame_len(), 60);
    /* Huge lengths saturate at UINT32_MAX rather than wrap to a small frame. */
    assert_int_equal(viv_wire_udp_frame_len(UINT32_MAX), UINT32_MAX);
    assert_int_equal(viv_wire_udp_frame_len(SIZE_MAX), UINT32_MAX);
    assert_int_equal(viv_wire_udp_frame_len(SIZE_MAX - 20), UINT32_MAX);
    assert_int_equal(viv_wire_tcp_frame_len(SIZE_MAX, 0), UINT32_MAX);
    assert_int_equal(viv_wire_tcp_frame_len(0, SIZE_MAX), UINT32_MAX);
    assert_int_equal(viv_wire_tcp_frame_len(SIZE_MAX, SIZE_MAX), UINT32_MAX);
    assert_int_equal(viv_wire_icmp_echo_frame_len(SIZE_MAX), UINT32_MAX);
    assert_int_equal(viv_wire_icmp_error_frame_len(SIZE_MAX), 590);
}

/* ---- the time grammar --------------------------------------------------------------------- */

static void test_kit_audit__time_too_large(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    /* 18446744073709551619 s: its digits overflow 64 bits (to 3); it must not read as 3 s. */
    assert_int_equal(viv_expect_parse(ex, "18446744073709551619 A>B"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "expectations: line 1, column 1: time "
                                             "\"18446744073709551619\" is too large");
    assert_int_equal(viv_expect_parse(ex, "+1~18446744073709551616ns A>B"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "expectations: line 1, column 1: time "
                                             "\"+1~18446744073709551616ns\" is too large");
    assert_int_equal(viv_expect_parse(ex, "nothing else until 18446744073709551615"), VIV_EINVAL);
    assert_int_equal(viv_expect_count(ex), 0);
    /* The largest time there is, in nanoseconds, and in seconds. */
    assert_int_equal(viv_expect_parse(ex, "18446744073709551614ns A>B"), 0);
    assert_int_equal(viv_expect_parse(ex, "18446744073.709551614 A>B"), 0);
    assert_int_equal(viv_expect_parse(ex, "18446744073709551615ns A>B"), VIV_EINVAL);
    assert_int_equal(viv_expect_count(ex), 2);
}

/* ---- hostile TCP options through the recorder --------------------------------------------- */

typedef struct opt_case {
    uint8_t opts[40];
    uint8_t len;
    int bad;        /* opts_bad */
    uint16_t mss;
    int wscale;
    int sack_ok, ts;
    uint32_t sack_count;
    const char *line; /* the decoded line after the time */
} opt_case;

static const opt_case opt_cases[] = {
    /* An unknown option is skipped by its length, the others still read. */
    {{30, 4, 0, 0, 2, 4, 0x05, 0xb4}, 8, 0, 1460, -1, 0, 0, 0,
     "A>B TCP 1>2 [S] 0:0(0) win 100 <mss 1460>"},
    /* NOPs and EOL only: no option. */
    {{1, 1, 1, 0}, 4, 0, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* After EOL, anything. */
    {{0, 2, 4, 5}, 4, 0, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* An MSS option of the wrong length. */
    {{2, 3, 5, 1}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* Lengths 0 and 1, and one past the header. */
    {{30, 0, 0, 0}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    {{30, 1, 0, 0}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    {{1, 1, 2, 8}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* A kind with no room for its length byte. */
    {{1, 1, 1, 2}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* SACK with no block, and with a part of one. */
    {{1, 1, 5, 2}, 4, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    {{5, 6, 0, 0, 0, 1, 0, 0}, 8, 1, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* A window scale over 14 is read as sent. */
    {{1, 3, 3, 15}, 4, 0, 0, 15, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100 <wscale 15>"},
    /* Everything, in an unusual order. */
    {{3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 2, 4, 0x02, 0x18, 1},
     20, 0, 536, 7, 1, 1, 0, "A>B TCP 1>2 [S] 0:0(0) win 100 <mss 536,sackOK,TS val 5 ecr 6,"
                             "wscale 7>"},
    /* An MSS option of 0 (RFC 9293 has no such MSS): it reads as absent, as documented. */
    {{2, 4, 0, 0}, 4, 0, 0, -1, 0, 0, 0, "A>B TCP 1>2 [S] 0:0(0) win 100"},
    /* Four SACK blocks (absolute: no SYN from the other side). */
    {{1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6,
      0, 0, 0, 7, 0, 0, 0, 8},
     36, 0, 0, -1, 0, 0, 4, "A>B TCP 1>2 [S] 0:0(0) win 100 <sack 1:2 3:4 5:6 7:8>"},
};

static void test_kit_audit__tcp_options_hostile(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 100000000u, 0);
    viv_wire_eth eth = {MAC_2, MAC_1, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    size_t n = sizeof opt_cases / sizeof opt_cases[0];
    for (size_t k = 0; k < n; k++) {
        viv_wire_tcp t;
        memset(&t, 0, sizeof t);
        t.sport = 1;
        t.dport = 2;
        t.flags = VIV_TCP_SYN;
        t.window = 100;
        t.raw_opts = opt_cases[k].opts;
        t.raw_opts_len = opt_cases[k].len;
        uint8_t f[200];
        int len = viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &t);
        assert_true(len > 0);
        assert_int_equal(viv_device_send(w.d1, 0, f, (size_t)len), 0);
        assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_MS(1)), 0);
        /* Each segment comes from its own ISN: clear so that 0:0(0) holds for all. */
        assert_int_equal(viv_rec_count(w.rec), 1);
        viv_rec_entry e;
        assert_int_equal(viv_rec_frame(&e, w.rec, 0), 0);
        const opt_case *c = &opt_cases[k];
        if (e.opts_bad != c->bad || e.mss != c->mss || e.wscale != c->wscale ||
            e.sack_ok != c->sack_ok || e.ts != c->ts || e.sack_count != c->sack_count)
            fail_msg("case %zu: opts_bad %d mss %u wscale %d sack_ok %d ts %d sack %u", k,
                     e.opts_bad, e.mss, e.wscale, e.sack_ok, e.ts, e.sack_count);
        char line[256];
        assert_true(viv_rec_format(w.rec, 0, line, sizeof line) > 0);
        const char *sp = strchr(line, ' ');
        assert_non_null(sp);
        assert_string_equal(sp + 1, c->line);
        assert_lines_read_back(sim, w.rec);
        /* Options asked of a segment whose options are malformed: the reason says so. */
        char report[1024];
        int rc = viv_rec_expect(w.rec, "A>B TCP <>", report, sizeof report);
        if (c->bad) {
            assert_int_equal(rc, VIV_CHECK_FAILED);
            assert_non_null(strstr(report, "  why: TCP options malformed\n"));
        }
        viv_rec_clear(w.rec);
    }
}

/* SACK blocks are relative to the other side's first SYN, as the acknowledgement is. */
static void test_kit_audit__sack_relative(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 100000000u, 0);
    assert_int_equal(viv_rec_attach_link(w.rec, w.l, VIV_LINK_BA), 0);
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    viv_wire_ip pi = ip;
    pi.src = ip.dst;
    pi.dst = ip.src;
    viv_wire_eth eth = {MAC_2, MAC_1, 0, 0}, peth = {MAC_1, MAC_2, 0, 0};
    viv_wire_tcp syn;
    memset(&syn, 0, sizeof syn);
    syn.sport = 1025;
    syn.dport = 80;
    syn.seq = 0xfffffff0u; /* wraps past 2^32 in the blocks */
    syn.flags = VIV_TCP_SYN;
    syn.window = 1000;
    syn.mss = 1460;
    syn.sack_ok = 1;
    viv_wire_tcp sa = syn;
    sa.sport = 80;
    sa.dport = 1025;
    sa.seq = 5000;
    sa.ack = 0xfffffff1u;
    sa.flags = VIV_TCP_SYN | VIV_TCP_ACK;
    viv_wire_tcp ack;
    memset(&ack, 0, sizeof ack);
    ack.sport = 80;
    ack.dport = 1025;
    ack.seq = 5001;
    ack.ack = 0xfffffff1u;
    ack.flags = VIV_TCP_ACK;
    ack.window = 1000;
    ack.sack_count = 2;
    ack.sack[0] = (viv_wire_sack){0xfffffff1u + 100, 0xfffffff1u + 200};
    ack.sack[1] = (viv_wire_sack){0xfffffff1u + 300, 0xfffffff1u + 400};
    uint8_t f[200];
    int n = viv_wire_tcp_frame(f, sizeof f, &eth, &ip, &syn);
    assert_int_equal(viv_device_send(w.d1, 0, f, (size_t)n), 0);
    n = viv_wire_tcp_frame(f, sizeof f, &peth, &pi, &sa);
    assert_int_equal(viv_device_send(w.d2, 0, f, (size_t)n), 0);
    n = viv_wire_tcp_frame(f, sizeof f, &peth, &pi, &ack);
    assert_int_equal(viv_device_send(w.d2, 0, f, (size_t)n), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    assert_int_equal(viv_rec_count(w.rec), 3);
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, w.rec, 2), 0);
    assert_int_equal(e.ack_relative, 1);
    assert_int_equal(e.seq_relative, 1);
    assert_int_equal(e.seq, 1);
    assert_int_equal(e.ack, 1);
    assert_int_equal(e.sack_count, 2);
    assert_int_equal(e.sack[0][0], 101);
    assert_int_equal(e.sack[0][1], 201);
    assert_int_equal(e.sack[1][0], 301);
    assert_int_equal(e.sack[1][1], 401);
    char report[2048];
    assert_int_equal(viv_rec_expect(w.rec,
                                    "A>B TCP 1025>80 [S] 0:0(0) win 1000 <mss 1460,sackOK>\n"
                                    "B>A TCP 80>1025 [S.] 0:0(0) ack 1 <mss 1460,sackOK>\n"
                                    "B>A TCP [.] 1:1(0) ack 1 <sack 101:201 301:401>\n",
                                    report, sizeof report),
                     0);
    /* One block wrong: reported with both lists. */
    assert_int_equal(viv_rec_expect(w.rec, "*\n*\nB>A TCP <sack 101:201 301:402>", report,
                                    sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(
        strstr(report, "  why: SACK blocks 101:201 301:401, expected 101:201 301:402\n"));
    assert_lines_read_back(sim, w.rec);
}

/* ---- random and truncated bytes through the recorder ------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_kit_audit__random_frames(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1000000000u, 0);
    /* Good frames of every kind, to cut and to corrupt. */
    uint8_t good[6][200];
    int glen[6];
    viv_wire_eth eth = {MAC_2, MAC_1, 0, 0};
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = VIV_IP4(10, 0, 0, 1);
    ip.dst = VIV_IP4(10, 0, 0, 2);
    viv_wire_tcp t;
    memset(&t, 0, sizeof t);
    t.sport = 1;
    t.dport = 2;
    t.flags = VIV_TCP_SYN | VIV_TCP_ACK;
    t.mss = 1460;
    t.ts_on = 1;
    t.sack_ok = 1;
    t.wscale_on = 1;
    t.wscale = 7;
    t.payload_len = 10;
    glen[0] = viv_wire_tcp_frame(good[0], 200, &eth, &ip, &t);
    viv_wire_udp u;
    memset(&u, 0, sizeof u);
    u.sport = 53;
    u.dport = 9;
    u.payload_len = 30;
    glen[1] = viv_wire_udp_frame(good[1], 200, &eth, &ip, &u);
    viv_wire_icmp m;
    memset(&m, 0, sizeof m);
    m.type = 8;
    m.id = 3;
    m.seq = 4;
    m.data_len = 20;
    glen[2] = viv_wire_icmp_frame(good[2], 200, &eth, &ip, &m);
    viv_wire_arp a = {1, MAC_1, ip.src, {{0}}, ip.dst};
    glen[3] = viv_wire_arp_frame(good[3], 200, &eth, &a);
    m.type = 3;
    m.code = 3;
    glen[4] = viv_wire_icmp_frame(good[4], 200, &eth, &ip, &m);
    ip.frag_offset = 8;
    glen[5] = viv_wire_udp_frame(good[5], 200, &eth, &ip, &u);
    for (int k = 0; k < 6; k++)
        assert_true(glen[k] > 0);

    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 400; round++) {
        uint8_t f[200];
        size_t len;
        int kind = round % 4;
        const uint8_t *g = good[(round / 4) % 6];
        size_t gl = (size_t)glen[(round / 4) % 6];
        if (kind == 0) { /* random bytes, random length */
            len = (size_t)(rnd(&seed) % 120);
            for (size_t i = 0; i < len; i++)
                f[i] = (uint8_t)rnd(&seed);
            if (len >= 14 && rnd(&seed) % 2) /* IPv4 EtherType and version, often */
                f[12] = 8, f[13] = 0, f[14] = 0x45;
        } else if (kind == 1) { /* a good frame cut short */
            len = (size_t)(rnd(&seed) % (gl + 1));
            memcpy(f, g, len);
        } else { /* a good frame with bytes changed */
            len = gl;
            memcpy(f, g, len);
            int flips = 1 + (int)(rnd(&seed) % 4);
            for (int i = 0; i < flips; i++)
                f[14 + rnd(&seed) % (len - 14)] = (uint8_t)rnd(&seed);
        }
        assert_int_equal(viv_device_send_raw(w.d1, 0, f, len), 0);
        assert_int_equal(viv_sim_run_until(sim, viv_sim_now(sim) + VIV_US(10)), 0);
        if (viv_rec_count(w.rec) >= 40) {
            assert_lines_read_back(sim, w.rec);
            viv_rec_clear(w.rec);
        }
    }
    assert_lines_read_back(sim, w.rec);
}

/* ---- recording order, times and directions ----------------------------------------------- */

/* Three frames back to back from d1, recorded at d1's port (sent), on the link (as each
 * starts), and at d2's port (received): the times worked by hand, in time order. */
static void test_kit_audit__record_times(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 100000000u, VIV_MS(1)); /* where 0: the link A to B */
    assert_int_equal(viv_rec_attach_port(w.rec, viv_device_port(w.d1, 0)), 0); /* where 1 */
    assert_int_equal(viv_rec_attach_port(w.rec, viv_device_port(w.d2, 0)), 0); /* where 2 */
    assert_int_equal(viv_rec_attach_port(w.rec, viv_device_port(w.d2, 0)), VIV_EEXIST);
    assert_int_equal(viv_rec_attach_link(w.rec, w.l, VIV_LINK_BOTH), VIV_EEXIST);
    uint8_t f[100] = {0};
    memcpy(f, MAC_2.b, 6);
    memcpy(f + 6, MAC_1.b, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(5)), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(viv_device_send(w.d1, 0, f, sizeof f), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    /* 100 bytes + 24 at 100 Mb/s: 9920 ns each. */
    viv_time_t t0 = VIV_MS(5), ser = 9920, d = VIV_MS(1);
    struct {
        viv_rec_dir dir;
        uint32_t where;
        viv_time_t t;
    } want[9] = {{VIV_REC_TX, 1, t0},
                 {VIV_REC_TX, 1, t0},
                 {VIV_REC_TX, 1, t0},
                 {VIV_REC_AB, 0, t0},
                 {VIV_REC_AB, 0, t0 + ser},
                 {VIV_REC_AB, 0, t0 + 2 * ser},
                 {VIV_REC_RX, 2, t0 + ser + d},
                 {VIV_REC_RX, 2, t0 + 2 * ser + d},
                 {VIV_REC_RX, 2, t0 + 3 * ser + d}};
    assert_int_equal(viv_rec_count(w.rec), 9);
    /* Per attachment, in order; overall, times never go back. */
    size_t next[3] = {3, 0, 6};
    viv_time_t last = 0;
    for (size_t i = 0; i < 9; i++) {
        viv_rec_entry e;
        assert_int_equal(viv_rec_frame(&e, w.rec, i), 0);
        assert_true(e.time >= last);
        last = e.time;
        assert_true(e.where < 3);
        size_t j = next[e.where]++;
        assert_int_equal(e.dir, want[j].dir);
        assert_int_equal(e.where, want[j].where);
        assert_int_equal(e.time, want[j].t);
        assert_int_equal(e.len, 100);
        assert_int_equal(e.caplen, 100);
        assert_int_equal(e.kind, VIV_REC_ETH);
        assert_memory_equal(e.bytes, f, 100);
    }
    assert_lines_read_back(sim, w.rec);
}

/* ---- expectation windows at their edges ---------------------------------------------------- */

/* A frame every 10 us from 1 ms: the windows' first and last instants are inside. */
static void test_kit_audit__time_windows(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1000000000u, VIV_US(5));
    uint8_t f[60] = {0};
    memcpy(f, MAC_2.b, 6);
    memcpy(f + 6, MAC_1.b, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(viv_sim_run_until(sim, VIV_MS(1) + (viv_time_t)k * VIV_US(10)), 0);
        assert_int_equal(viv_device_send(w.d1, 0, f, sizeof f), 0);
    }
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    char report[2048];
    /* Exactly; at the edges of a tolerance; at the latest, just in time. */
    assert_int_equal(viv_rec_expect(w.rec, "0.001 ETH\n+10us ETH\n+10us ETH", report, sizeof report),
                     0);
    assert_int_equal(
        viv_rec_expect(w.rec, "+0.0011~100us ETH\n+11us~1us ETH\n+9us~1us ETH", report,
                       sizeof report),
        0);
    assert_int_equal(viv_rec_expect(w.rec, "<=0.001 ETH\n<=+10us ETH\n<=0.00102 ETH", report,
                                    sizeof report),
                     0);
    /* One nanosecond out, each way. */
    assert_int_equal(viv_rec_expect(w.rec, "0.001 ETH\n+10001ns ETH", report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_string_equal(report, "expectation not met: line 2: +10001ns ETH\n"
                                "  why: time 0.001010000, expected 0.001010001\n"
                                "  simulated time: 1.000000000\n"
                                "  previous match: line 1 at 0.001000000\n"
                                "  came instead:\n"
                                "    0.001010000 A>B ETH type 0x88b5 len 60\n"
                                "    0.001020000 A>B ETH type 0x88b5 len 60\n");
    assert_int_equal(viv_rec_expect(w.rec, "* ETH\n+11us~999ns ETH", report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: time 0.001010000, expected 0.001010001 to "
                                   "0.001011999\n"));
    assert_int_equal(viv_rec_expect(w.rec, "<=999999ns ETH", report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: time 0.001000000, expected at or before "
                                   "0.000999999\n"));
    /* "nothing else until" the instant of the next frame is met; a nanosecond later not. */
    assert_int_equal(viv_rec_expect(w.rec, "ETH\nnothing else until +10us\nETH", report,
                                    sizeof report),
                     0);
    assert_int_equal(viv_rec_expect(w.rec, "ETH\nnothing else until +10001ns\nETH", report,
                                    sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: a frame came at 0.001010000, before 0.001010001\n"));
    /* More frames than expected after the last line are not checked; fewer fail. */
    assert_int_equal(viv_rec_expect(w.rec, "ETH", report, sizeof report), 0);
    assert_int_equal(viv_rec_expect(w.rec, "ETH\nETH\nETH\nETH", report, sizeof report),
                     VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: no frame came\n"));
    assert_non_null(strstr(report, "  came instead: nothing\n"));
}

/* A check that is not final: pending while a window is open, failed once it closed. */
static void test_kit_audit__pending_then_failed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1000000000u, 0);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "<=+1ms ETH"), 0);
    char report[1024];
    assert_int_equal(viv_expect_check(ex, w.rec, 0, report, sizeof report), VIV_CHECK_PENDING);
    assert_string_equal(report, "expectation pending: line 1: <=+1ms ETH\n"
                                "  why: no frame yet\n"
                                "  simulated time: 0.000000000\n"
                                "  previous match: none (recording started at 0.000000000)\n"
                                "  came instead: nothing\n");
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    assert_int_equal(viv_expect_check(ex, w.rec, 0, report, sizeof report), VIV_CHECK_PENDING);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1) + 1), 0);
    assert_int_equal(viv_expect_check(ex, w.rec, 0, report, sizeof report), VIV_CHECK_FAILED);
    assert_non_null(strstr(report, "  why: no frame came by 0.001000000\n"));
    /* A report cut to fit stays a string. */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(viv_expect_check(ex, w.rec, 1, small, sizeof small), VIV_CHECK_FAILED);
    assert_string_equal(small, "expecta");
    assert_int_equal(viv_expect_check(ex, w.rec, 1, NULL, 0), VIV_CHECK_FAILED);
    /* viv_expect_run with a deadline in the past, or NULL things. */
    assert_int_equal(viv_expect_run(ex, w.rec, 0, report, sizeof report), VIV_EINVAL);
    assert_int_equal(viv_expect_run(ex, NULL, VIV_S(1), report, sizeof report), VIV_EINVAL);
    assert_int_equal(viv_expect_run(NULL, w.rec, VIV_S(1), report, sizeof report), VIV_EINVAL);
    assert_int_equal(viv_expect_run(ex, w.rec, VIV_S(1), NULL, 5), VIV_EINVAL);
}

/* ---- misuse ----------------------------------------------------------------------------- */

static int true_pred(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
    return 1;
}

typedef struct cb_ctx {
    viv_rec_t *rec;
    viv_expect_t *ex;
    int rc[4];
    int called;
} cb_ctx;

static void in_callback(viv_sim_t *sim, void *user)
{
    cb_ctx *c = user;
    c->called = 1;
    char report[64];
    c->rc[0] = viv_run_until(sim, VIV_S(2), true_pred, NULL);
    c->rc[1] = viv_rec_wait_text(c->rec, "ETH", VIV_S(2), NULL);
    c->rc[2] = viv_expect_run(c->ex, c->rec, VIV_S(2), report, sizeof report);
    viv_pattern p;
    viv_pattern_init(&p);
    c->rc[3] = viv_rec_wait(c->rec, &p, VIV_S(2), NULL);
}

static void test_kit_audit__misuse(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1000000000u, 0);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "ETH"), 0);

    /* The drivers refuse to run from a callback. */
    cb_ctx c = {w.rec, ex, {0, 0, 0, 0}, 0};
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_MS(1), in_callback, &c), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(2)), 0);
    assert_int_equal(c.called, 1);
    for (int k = 0; k < 4; k++)
        assert_int_equal(c.rc[k], VIV_ESTATE);

    /* Deadlines, NULL predicate. */
    assert_int_equal(viv_run_until(sim, VIV_MS(1), true_pred, NULL), VIV_EINVAL);
    assert_int_equal(viv_run_until(sim, VIV_S(1), NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_run_until(NULL, VIV_S(1), true_pred, NULL), VIV_EINVAL);
    assert_int_equal(viv_run_until(sim, VIV_S(1), true_pred, NULL), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(2));

    /* Reading out of range. */
    viv_rec_entry e;
    assert_int_equal(viv_rec_frame(&e, w.rec, 0), VIV_ERANGE);
    assert_string_equal(viv_sim_errmsg(sim), "viv_rec_frame: frame 0 of 0");
    assert_int_equal(viv_rec_frame(NULL, w.rec, 0), VIV_EINVAL);
    assert_int_equal(viv_rec_frame(&e, NULL, 0), VIV_EINVAL);
    char buf[64];
    assert_int_equal(viv_rec_format(w.rec, 0, buf, sizeof buf), VIV_ERANGE);
    assert_int_equal(viv_rec_format(w.rec, 0, NULL, 3), VIV_EINVAL);
    assert_int_equal(viv_rec_text(w.rec, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    viv_trace_record tr;
    assert_int_equal(viv_rec_trace_get(&tr, w.rec, 0), VIV_ERANGE);
    viv_pattern p;
    viv_pattern_init(&p);
    assert_int_equal(viv_rec_match(w.rec, 0, &p), VIV_ERANGE);
    assert_int_equal(viv_expect_text(ex, 1, buf, sizeof buf), VIV_ERANGE);
    assert_int_equal(viv_expect_text(ex, 0, buf, sizeof buf), 3);
    assert_string_equal(buf, "ETH");
    assert_int_equal(viv_expect_text(ex, 0, NULL, 0), 3);

    /* Names. */
    char longname[40];
    memset(longname, 'a', sizeof longname);
    longname[32] = 0;
    assert_int_equal(viv_rec_name(w.rec, longname, VIV_IP4(1, 2, 3, 4)), VIV_EINVAL);
    longname[31] = 0;
    assert_int_equal(viv_rec_name(w.rec, longname, VIV_IP4(1, 2, 3, 4)), 0);
    assert_int_equal(viv_rec_name(w.rec, "", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, "9a", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, "-a", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, "a b", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, "Tcp", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, "allow", VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, NULL, VIV_IP4(1, 2, 3, 5)), VIV_EINVAL);
    assert_int_equal(viv_rec_name(w.rec, longname, VIV_IP4(1, 2, 3, 5)), VIV_EEXIST);
    assert_int_equal(viv_rec_name(w.rec, "_x-1", VIV_IP4(1, 2, 3, 5)), 0);
    assert_int_equal(viv_rec_name_mac(w.rec, "_x-1", &MAC_1), VIV_EEXIST);
    assert_int_equal(viv_rec_name_mac(w.rec, "m", NULL), VIV_EINVAL);

    /* Traces: once per recorder. */
    assert_int_equal(viv_rec_trace(w.rec, NULL, NULL, 0), 0);
    assert_int_equal(viv_rec_trace(w.rec, NULL, NULL, 0), VIV_EBUSY);
    assert_int_equal(viv_rec_trace(NULL, NULL, NULL, 0), VIV_EINVAL);

    /* Another simulation's recorder. */
    viv_test_alloc a2;
    viv_sim_t *sim2 = viv_test_sim_new(&a2, 2);
    viv_rec_t *r2;
    assert_int_equal(viv_rec_new(&r2, sim2, NULL), 0);
    char report[256];
    assert_int_equal(viv_expect_check(ex, r2, 1, report, sizeof report), VIV_EINVAL);
    assert_int_equal(viv_rec_attach_port(r2, viv_device_port(w.d1, 0)), VIV_EINVAL);
    assert_int_equal(viv_rec_attach_link(r2, w.l, VIV_LINK_AB), VIV_EINVAL);
    viv_test_sim_free(sim2, &a2);

    /* One-line waits: no newline, no directive. */
    assert_int_equal(viv_rec_wait_text(w.rec, "ETH\nETH", VIV_S(3), NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_wait_text(w.rec, "allow ARP", VIV_S(3), NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_wait_text(w.rec, "", VIV_S(3), NULL), VIV_EINVAL);
    assert_int_equal(viv_rec_wait_text(w.rec, "nothing else until 5", VIV_S(3), NULL),
                     VIV_EINVAL);
    p.kind = VIV_PATTERN_QUIET;
    p.when = VIV_WHEN_BY;
    p.time_ns = VIV_S(5);
    assert_int_equal(viv_rec_wait(w.rec, &p, VIV_S(3), NULL), VIV_EINVAL);
    /* A wait that times out leaves the clock at the deadline. */
    size_t idx = 77;
    assert_int_equal(viv_rec_wait_text(w.rec, "ETH", VIV_S(3), &idx), 0);
    assert_int_equal(idx, 77);
    assert_int_equal(viv_sim_now(sim), VIV_S(3));

    /* viv_rec_expect: a bad script's message in the report. */
    assert_int_equal(viv_rec_expect(w.rec, "ETH bogus", report, sizeof report), VIV_EINVAL);
    assert_string_equal(report, "expectations: line 1, column 5: unexpected \"bogus\" in an ETH "
                                "line: expected type N or len N");
    assert_int_equal(viv_rec_expect(w.rec, "", report, sizeof report), 0);
    assert_string_equal(report, "");
    assert_int_equal(viv_rec_expect(w.rec, "ETH", NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_rec_expect(NULL, "ETH", NULL, 0), VIV_EINVAL);

    /* "mss 0" can match no segment (an MSS option of 0 reads as absent): refused, saying so,
     * in the text form and the C form. */
    assert_int_equal(viv_expect_parse(ex, "TCP <mss 0>"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "expectations: line 2, column 10: an MSS of 0 matches nothing: an MSS "
                        "option of 0 reads as absent (write <> or leave mss out)");
    viv_pattern_init(&p);
    p.proto = VIV_PROTO_TCP;
    p.mss = 0;
    assert_int_equal(viv_expect_add(ex, &p), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_expect_add: a TCP option field is out of range");

    /* Patterns the C form refuses. */
    viv_pattern_init(&p);
    p.ack = 1;
    assert_int_equal(viv_expect_add(ex, &p), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim), "viv_expect_add: TCP fields need the protocol TCP");
    viv_pattern_init(&p);
    p.proto = VIV_PROTO_TCP;
    p.sack_count = 5;
    assert_int_equal(viv_expect_add(ex, &p), VIV_EINVAL);
    viv_pattern_init(&p);
    p.src = "A:80";
    assert_int_equal(viv_expect_add(ex, &p), VIV_EINVAL);
    viv_pattern_init(&p);
    p.proto = (viv_proto)7;
    assert_int_equal(viv_expect_add(ex, &p), VIV_EINVAL);
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    assert_int_equal(viv_expect_count(ex), 1);
    viv_pattern_init(&p);
    assert_int_equal(viv_pattern_format(&p, NULL, 0), 1);
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), 1);
    assert_string_equal(buf, "*");
}

static void send_later(viv_sim_t *sim, void *user)
{
    (void)sim;
    uint8_t f[60] = {0};
    memcpy(f, MAC_2.b, 6);
    memcpy(f + 6, MAC_1.b, 6);
    f[12] = 0x88;
    f[13] = 0xb6;
    assert_int_equal(viv_device_send(user, 0, f, sizeof f), 0);
}

/* viv_rec_wait: a relative time counts from the call; the index is of the frame found. */
static void test_kit_audit__wait_relative(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    dev_world w;
    dev_world_make(&w, sim, 1000000000u, 0);
    uint8_t f[60] = {0};
    memcpy(f, MAC_2.b, 6);
    memcpy(f + 6, MAC_1.b, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    assert_int_equal(viv_device_send(w.d1, 0, f, sizeof f), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(2)), 0);
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_MS(3), send_later, w.d1), 0);
    size_t idx = 99;
    /* Due 3 ms after the call (at 5 ms), not 3 ms after the recorder's start. */
    assert_int_equal(viv_rec_wait_text(w.rec, "+3ms ETH", VIV_S(1), &idx), 1);
    assert_int_equal(idx, 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(5));
    /* The frame recorded before the call is not looked at. */
    assert_int_equal(viv_rec_wait_text(w.rec, "ETH", VIV_MS(6), &idx), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(6));
}

/* Line numbers: an empty text and a text ending with a newline. */
static void test_kit_audit__line_numbers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "ETH\n"), 0);
    assert_int_equal(viv_expect_parse(ex, "ETH\n\n"), 0);
    assert_int_equal(viv_expect_parse(ex, "bogus"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "expectations: line 4, column 1: unknown protocol \"bogus\": expected ARP, "
                        "IP, ICMP, UDP, TCP or ETH (or a pair of endpoints such as A>B)");
    assert_int_equal(viv_expect_count(ex), 2);
}

/* A recorder whose trace subscription the program took back (viv_sim_trace) records no
 * traces; it may subscribe again, and then records and passes records on. */
typedef struct tcount {
    int n;
} tcount;
static void tcount_cb(const viv_trace_record *r, void *user)
{
    (void)r;
    ((tcount *)user)->n++;
}

static void test_kit_audit__trace_again(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec, *rec2;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_new(&rec2, sim, NULL), 0);
    assert_int_equal(viv_rec_trace(rec, NULL, NULL, 0), 0);
    assert_int_equal(viv_rec_trace(rec2, NULL, NULL, 0), 0);
    /* Still in the chain (behind rec2): busy. */
    assert_int_equal(viv_rec_trace(rec, NULL, NULL, 0), VIV_EBUSY);
    tcount mine = {0};
    assert_int_equal(viv_sim_trace(sim, tcount_cb, &mine), 0);
    kit_query(&w, 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_true(mine.n > 0);
    assert_int_equal(viv_rec_trace_count(rec), 0);
    assert_int_equal(viv_rec_trace_count(rec2), 0);
    /* Out of the chain: it subscribes again, in front of the program's subscriber. */
    assert_int_equal(viv_rec_trace(rec, NULL, NULL, 0), 0);
    assert_int_equal(viv_rec_trace(rec, NULL, NULL, 0), VIV_EBUSY);
    int before = mine.n;
    kit_query(&w, 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    assert_true(viv_rec_trace_count(rec) > 0);
    assert_int_equal((size_t)(mine.n - before), viv_rec_trace_count(rec));
    assert_int_equal(viv_rec_trace_count(rec2), 0);
    /* Freed in either order, the program's subscriber is handed back. */
    viv_rec_free(rec2);
    viv_rec_free(rec);
    before = mine.n;
    kit_query(&w, 10);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(3)), 0);
    assert_true(mine.n > before);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit_audit__ser_time_by_hand),
        T(test_kit_audit__ser_time_huge),
        T(test_kit_audit__frame_lengths),
        T(test_kit_audit__time_too_large),
        T(test_kit_audit__tcp_options_hostile),
        T(test_kit_audit__sack_relative),
        T(test_kit_audit__random_frames),
        T(test_kit_audit__record_times),
        T(test_kit_audit__time_windows),
        T(test_kit_audit__pending_then_failed),
        T(test_kit_audit__misuse),
        T(test_kit_audit__wait_relative),
        T(test_kit_audit__line_numbers),
        T(test_kit_audit__trace_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
