/* The expectation grammar's parser: what it accepts (checked by matching against recorded
 * frames and by the canonical spelling of C patterns) and what it refuses, with the exact
 * message, line and column. */
#include "kit_test.h"

typedef struct bad_case {
    const char *text;
    const char *msg; /* viv_sim_errmsg() */
} bad_case;

static const bad_case bad[] = {
    {"A>B TPC [S]", "expectations: line 1, column 5: unknown protocol \"TPC\": expected ARP, "
                    "IP, ICMP, UDP, TCP or ETH"},
    {"TPC", "expectations: line 1, column 1: unknown protocol \"TPC\": expected ARP, IP, ICMP, "
            "UDP, TCP or ETH (or a pair of endpoints such as A>B)"},
    {"A B UDP", "expectations: line 1, column 1: unknown protocol \"A\": expected ARP, IP, ICMP, "
                "UDP, TCP or ETH (or a pair of endpoints such as A>B)"},
    {"+0.0x1 A>B UDP", "expectations: line 1, column 1: bad time \"+0.0x1\": expected seconds "
                       "such as 1.5, +0.010, +0.010~0.002, <=+1 or +10ms"},
    {"1.5.3 A>B", "expectations: line 1, column 1: bad time \"1.5.3\": expected seconds such as "
                  "1.5, +0.010, +0.010~0.002, <=+1 or +10ms"},
    {"+0.0000000001 A>B", "expectations: line 1, column 1: time \"+0.0000000001\" is finer than "
                          "a nanosecond"},
    {"+1.5ns A>B", "expectations: line 1, column 1: time \"+1.5ns\" is finer than a nanosecond"},
    {"<=+1~0.1 A>B", "expectations: line 1, column 5: a time \"<=T\" takes no tolerance"},
    {"99999999999999999999 A>B", "expectations: line 1, column 1: time "
                                 "\"99999999999999999999\" is too large"},
    {"A>B TCP [SX]", "expectations: line 1, column 11: bad TCP flag 'X' in \"SX\": use S, F, R, "
                     "P, U, E, W and . (ACK)"},
    {"A>B TCP [S", "expectations: line 1, column 9: missing ']' closing the TCP flags"},
    {"A>B TCP [S] [S.]", "expectations: line 1, column 14: the flags field is given twice"},
    {"A>B TCP 0:5(10)", "expectations: line 1, column 11: sequence end 5 is not start 0 + "
                        "length 10"},
    {"A>B TCP 0:5", "expectations: line 1, column 9: bad sequence \"0:5\": expected "
                    "START:END(LENGTH), as in 1:101(100)"},
    {"A>B TCP *:5(*)", "expectations: line 1, column 11: sequence end 5 needs a start and a "
                       "length (or write *)"},
    {"A>B TCP 0:10(10) len 11", "expectations: line 1, column 22: the length is given twice"},
    {"A>B TCP <mss 1460,foo>", "expectations: line 1, column 19: unknown TCP option \"foo\": "
                               "expected mss, wscale, sackOK, TS, sack, nop or eol"},
    {"A>B TCP <mss 1460", "expectations: line 1, column 9: missing '>' closing the TCP options"},
    {"A>B TCP <mss>", "expectations: line 1, column 10: option mss takes one number (or *)"},
    {"A>B TCP <mss 1,mss 2>", "expectations: line 1, column 16: option mss is given twice"},
    {"A>B TCP <TS val 1>", "expectations: line 1, column 10: option TS is written \"TS val N "
                           "ecr N\" (N or *)"},
    {"A>B TCP <sack 1-2>", "expectations: line 1, column 15: bad SACK block \"1-2\": expected "
                           "LEFT:RIGHT"},
    {"A>B TCP <mss 1,,nop>", "expectations: line 1, column 16: empty TCP option (two commas in "
                             "a row?)"},
    {"A>B TCP <mss 1> <mss 1>", "expectations: line 1, column 17: the TCP options are given "
                                "twice"},
    {"A>B TCP win 70000", "expectations: line 1, column 13: the window 70000 is out of range (at "
                          "most 65535)"},
    {"A>B TCP ack 1 ack 2", "expectations: line 1, column 19: the acknowledgement number is "
                            "given twice"},
    {"A>B TCP ack", "expectations: line 1, column 12: expected a number after \"ack\""},
    {"A>B TCP ack x1", "expectations: line 1, column 13: bad number \"x1\" after \"ack\""},
    {"A>B TCP bogus", "expectations: line 1, column 9: unexpected \"bogus\" in a TCP line: "
                      "expected ports (80, 1025>80), flags ([S.]), START:END(LEN), ack N, win N, "
                      "<options> or len N"},
    {"A>B UDP len", "expectations: line 1, column 12: expected a number after \"len\""},
    {"A>B UDP 70000", "expectations: line 1, column 9: bad port \"70000\": expected 0 to 65535 "
                      "or *"},
    {"A>B UDP 53>x", "expectations: line 1, column 12: bad port \"x\": expected 0 to 65535 or *"},
    {"A:53>B UDP 54>*", "expectations: line 1, column 12: the source port is given twice"},
    {"A:99999>B UDP", "expectations: line 1, column 3: bad port \"99999\": expected 0 to 65535 "
                      "or *"},
    {"A:53>B ICMP", "expectations: line 1, column 8: ports are only for UDP and TCP"},
    {"+1 A>B UDP 53 len 33 extra", "expectations: line 1, column 22: unexpected \"extra\" in a "
                                   "UDP line: expected ports (53, 1025>53) or len N"},
    {"A>B ICMP echo", "expectations: line 1, column 10: unexpected \"echo\" in an ICMP line: "
                      "expected echo-request, echo-reply, unreachable, time-exceeded, "
                      "param-problem, type N, code N, id N, seq N or len N"},
    {"A>B ICMP type 300", "expectations: line 1, column 15: the ICMP type 300 is out of range "
                          "(at most 255)"},
    {"A>B ARP len 3", "expectations: line 1, column 9: an ARP line takes no length"},
    {"A>B ETH type 0x1ffff", "expectations: line 1, column 14: the EtherType 0x1ffff is out of "
                             "range (at most 65535)"},
    {"A>B IP protocol 6", "expectations: line 1, column 8: unexpected \"protocol\" in an IP "
                          "line: expected proto N or len N"},
    {"10.0.0.300>B UDP", "expectations: line 1, column 1: bad source endpoint \"10.0.0.300\": "
                         "expected a name (A, server...), an IPv4 or MAC address, or *"},
    {"A>TCP UDP", "expectations: line 1, column 3: bad destination endpoint \"TCP\": expected "
                  "a name (A, server...), an IPv4 or MAC address, or *"},
    {"A> ", "expectations: line 1, column 4: expected the destination endpoint after '>'"},
    {"A>B FOO", "expectations: line 1, column 5: unknown protocol \"FOO\": expected ARP, IP, "
                "ICMP, UDP, TCP or ETH"},
    {"allow UDP", "expectations: line 1, column 7: expected \"allow ARP\" or \"allow nothing\""},
    {"allow ARP now", "expectations: line 1, column 11: unexpected \"now\" after the directive"},
    {"nothing until", "expectations: line 1, column 14: expected a time after \"until\""},
    {"nothing at all", "expectations: line 1, column 9: expected \"nothing else until TIME\""},
    {"nothing else until +1~0.1", "expectations: line 1, column 20: a \"nothing else until\" "
                                  "time is one instant: no *, <= or ~"},
    {"nothing else until 1 A>B", "expectations: line 1, column 22: unexpected \"A>B\" after "
                                 "the time"},
    {"A>B ARP request\n\n  B>A ARP rply\n",
     "expectations: line 3, column 11: unexpected \"rply\" in an ARP line: expected request, "
     "reply or op N"},
};

static void test_kit_parse__refusals(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        viv_expect_t *e;
        assert_int_equal(viv_expect_new(&e, sim), 0);
        int rc = viv_expect_parse(e, bad[i].text);
        if (rc != VIV_EINVAL)
            fail_msg("\"%s\" was accepted", bad[i].text);
        if (strcmp(viv_sim_errmsg(sim), bad[i].msg) != 0)
            fail_msg("\"%s\":\n  got      %s\n  expected %s", bad[i].text, viv_sim_errmsg(sim),
                     bad[i].msg);
        assert_int_equal(viv_expect_count(e), 0); /* all or nothing */
        viv_expect_free(e);
    }
}

/* Line numbers continue across calls; a refused text adds nothing, and its lines do not
 * count. */
static void test_kit_parse__line_numbers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, "# a comment\nA>B ARP request\n\n"), 0);
    assert_int_equal(viv_expect_count(ex), 1);
    assert_int_equal(viv_expect_parse(ex, "B>A ARP reply\nB>A UDP lenn 3\n"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "expectations: line 5, column 9: unexpected \"lenn\" in a UDP line: "
                        "expected ports (53, 1025>53) or len N");
    assert_int_equal(viv_expect_count(ex), 1);
    viv_pattern p;
    viv_pattern_init(&p);
    assert_int_equal(viv_expect_add(ex, &p), 0); /* line 4 */
    assert_int_equal(viv_expect_parse(ex, "A>B UDP 1 2"), VIV_EINVAL);
    assert_string_equal(viv_sim_errmsg(sim),
                        "expectations: line 5, column 11: the port is given twice");
    assert_int_equal(viv_expect_parse(ex, "  A>B UDP   # with a comment  \n"), 0);
    char text[64];
    assert_int_equal(viv_expect_text(ex, 0, text, sizeof text), 15);
    assert_string_equal(text, "A>B ARP request");
    assert_int_equal(viv_expect_text(ex, 1, text, sizeof text), 1);
    assert_string_equal(text, "*");
    assert_int_equal(viv_expect_text(ex, 2, text, sizeof text), 7);
    assert_string_equal(text, "A>B UDP");
    assert_int_equal(viv_expect_text(ex, 3, text, sizeof text), VIV_ERANGE);
    assert_int_equal(viv_expect_count(ex), 3);
    assert_int_equal(viv_expect_parse(NULL, "x"), VIV_EINVAL);
    assert_int_equal(viv_expect_parse(ex, NULL), VIV_EINVAL);
}

/* What the grammar accepts, checked by matching: a recording of one exchange against lines
 * that must be met and lines that must fail. */
static void test_kit_parse__accepted_forms(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    kit_world w;
    kit_world_make(&w, sim);
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_attach_port(rec, viv_host_port(w.h1, 0)), 0);
    kit_query(&w, 33);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    /* The four frames: ARP request at 0, ARP reply and query at 4.02688 ms, answer at
     * 8.06288 ms. */
    static const char *const met[] = {
        "ARP\nARP\nUDP\nUDP",
        "* \n *\n*\n*",
        "0 A > B ARP op 1\n4026880ns B>A ARP reply\n+0ns A > B UDP 1025 > 53\n+4.036ms B>A UDP",
        "<=0 A>B ARP\n<=+4.03ms *>A ARP\n<=+0 A>B UDP 53\n+4036us~1ns B>A UDP *>1025 len 60",
        "0~0 A>B ETH type 0x0806 len 60\n*>* ETH type 2054\n*>* ip len 41\nB>A Ip",
        ("0.000 10.0.0.1>10.0.0.2 ARP\n10.0.0.2>10.0.0.1 ARP\nA:1025>B:53 UDP\n"
         "B:*>A:1025 UDP len 60"),
        "allow ARP\nA>B UDP 1025>53\n0.00806288 B>A UDP",
        "\n\n# only comments and blanks around\nallow ARP\n  UDP\t len\t33   \n  UDP #end\n",
        "allow ARP\nA>B udp 1025>53 LEN 33\nB>A UDP\nnothing else until +10",
    };
    for (size_t i = 0; i < sizeof met / sizeof met[0]; i++) {
        viv_expect_t *ex;
        assert_int_equal(viv_expect_new(&ex, sim), 0);
        if (viv_expect_parse(ex, met[i]) != 0)
            fail_msg("refused:\n%s\n%s", met[i], viv_sim_errmsg(sim));
        char report[2048];
        if (viv_expect_check(ex, rec, 1, report, sizeof report) != 0)
            fail_msg("not met:\n%s\n%s", met[i], report);
        viv_expect_free(ex);
    }
    static const char *const not_met[] = {
        "1 A>B ARP",
        "ARP\nARP\nUDP 54",
        "ARP\nARP\nUDP\nUDP len 59",
        "*>B ARP reply",
        "ETH type 0x0800",
        "ARP\nARP\nUDP\nnothing else until +0.004037",
        "ARP\nARP\nUDP\nUDP\nICMP",
        "ARP\nARP\nA>B IP proto 6",
    };
    for (size_t i = 0; i < sizeof not_met / sizeof not_met[0]; i++) {
        viv_expect_t *ex;
        assert_int_equal(viv_expect_new(&ex, sim), 0);
        if (viv_expect_parse(ex, not_met[i]) != 0)
            fail_msg("refused:\n%s\n%s", not_met[i], viv_sim_errmsg(sim));
        if (viv_expect_check(ex, rec, 1, NULL, 0) != VIV_CHECK_FAILED)
            fail_msg("met, but should not be:\n%s", not_met[i]);
        viv_expect_free(ex);
    }
}

/* The canonical spelling of C patterns (viv_pattern_format), which parses back. */
static void test_kit_parse__canonical_text(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char buf[256];
    viv_pattern p;

    viv_pattern_init(&p);
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), 1);
    assert_string_equal(buf, "*");

    p.when = VIV_WHEN_BY;
    p.time_rel = 1;
    p.time_ns = VIV_S(1) + VIV_MS(250);
    p.dst = "10.0.0.9";
    p.proto = VIV_PROTO_ICMP;
    p.icmp_type = 3;
    p.icmp_code = 3;
    p.len = 36;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "<=+1.25 *>10.0.0.9 ICMP unreachable code 3 len 36");

    viv_pattern_init(&p);
    p.proto = VIV_PROTO_ICMP;
    p.icmp_type = 42;
    p.icmp_id = 7;
    p.icmp_seq = 1;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "ICMP type 42 id 7 seq 1");

    viv_pattern_init(&p);
    p.when = VIV_WHEN_AT;
    p.time_ns = 5;
    p.tol_ns = VIV_MS(2);
    p.src = "02:00:00:00:00:01";
    p.proto = VIV_PROTO_ETH;
    p.ethertype = 0x88b5;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "0.000000005~0.002 02:00:00:00:00:01>* ETH type 0x88b5");

    viv_pattern_init(&p);
    p.proto = VIV_PROTO_TCP;
    p.sport = 1;
    p.port = 80;
    p.tcp_flags = 0;
    p.seq = 4294967295;
    p.len = 2;
    p.ack = 0;
    p.win = 0;
    p.sack_count = 2;
    p.sack[0][0] = 1;
    p.sack[0][1] = 2;
    p.sack[1][0] = 3;
    p.sack[1][1] = 4;
    p.mss = VIV_ABSENT;
    p.wscale = VIV_ABSENT;
    p.sack_ok = VIV_ABSENT;
    p.ts = 1;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "TCP 1>* 80 [none] 4294967295:1(2) ack 0 win 0 <TS val * ecr *,sack "
                             "1:2 3:4>");
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    assert_int_equal(viv_expect_parse(ex, buf), 0);

    viv_pattern_init(&p);
    p.proto = VIV_PROTO_TCP;
    p.seq = 3;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "TCP 3:*(*)");
    assert_int_equal(viv_expect_parse(ex, buf), 0);

    viv_pattern_init(&p);
    p.proto = VIV_PROTO_ARP;
    p.arp_op = 9;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "ARP op 9");
    p.arp_op = 2;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "ARP reply");

    viv_pattern_init(&p);
    p.proto = VIV_PROTO_IP;
    p.ip_proto = 89;
    p.when = VIV_WHEN_AT;
    p.time_rel = 1;
    viv_pattern_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "+0 IP proto 89");

    /* What a pattern cannot be. */
    viv_pattern_init(&p);
    p.ack = 1;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    viv_pattern_init(&p);
    p.kind = VIV_PATTERN_QUIET;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    p.when = VIV_WHEN_AT;
    p.proto = VIV_PROTO_UDP;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    viv_pattern_init(&p);
    p.proto = VIV_PROTO_ARP;
    p.len = 3;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    viv_pattern_init(&p);
    p.proto = VIV_PROTO_TCP;
    p.ts_val = 3;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    p.ts = 1;
    p.sack_count = 5;
    assert_int_equal(viv_pattern_format(&p, buf, sizeof buf), VIV_EINVAL);
    assert_int_equal(viv_pattern_format(NULL, buf, sizeof buf), VIV_EINVAL);
    viv_pattern_init(NULL);
}

/* Seeded mutations of valid lines (bytes flipped, cut, duplicated, grammar characters put in)
 * never crash the parser (the sanitizer builds run this too), and every refusal names a
 * line and a column within the line. */
static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_kit_parse__mutations(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static const char *const seeds[] = {
        "+0.010 A>B TCP [S.] 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>",
        "B>A UDP 53 len 33",
        "<=+1~0 10.0.0.1:53>02:00:00:00:00:01 ICMP echo-reply code 0 id 1 seq 2 len 3",
        "nothing else until +1ms",
        "allow ARP",
        "1.5 *>* ETH type 0x0800 len 60 # c",
        "A>B TCP 1>2 P. *:*(*) <sack 1:2 3:4,TS *,mss *>",
    };
    static const char grammar[] = "<>[]():,.~+*#=\t 0123456789ABSFRPUEW";
    viv_expect_t *ex;
    assert_int_equal(viv_expect_new(&ex, sim), 0);
    uint64_t rng = 0x9e3779b97f4a7c15u;
    char line[160];
    size_t accepted = 0, refused = 0;
    for (int round = 0; round < 20000; round++) {
        const char *seed = seeds[xs(&rng) % (sizeof seeds / sizeof seeds[0])];
        size_t n = strlen(seed);
        memcpy(line, seed, n);
        int edits = 1 + (int)(xs(&rng) % 4);
        for (int k = 0; k < edits && n > 0; k++) {
            size_t at = (size_t)(xs(&rng) % n);
            switch (xs(&rng) % 4) {
            case 0:
                line[at] = (char)(1 + xs(&rng) % 255);
                break;
            case 1:
                line[at] = grammar[xs(&rng) % (sizeof grammar - 1)];
                break;
            case 2:
                n = at;
                break;
            default:
                if (n + 1 < sizeof line) {
                    memmove(line + at + 1, line + at, n - at);
                    line[at] = grammar[xs(&rng) % (sizeof grammar - 1)];
                    n++;
                }
                break;
            }
        }
        line[n] = 0;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        size_t before = viv_expect_count(ex);
        int rc = viv_expect_parse(ex, line);
        if (rc == 0) {
            accepted++;
            if (viv_expect_count(ex) > before) {
                char text[200];
                assert_true(viv_expect_text(ex, before, text, sizeof text) >= 0);
            }
        } else {
            refused++;
            assert_int_equal(rc, VIV_EINVAL);
            assert_int_equal(viv_expect_count(ex), before);
            const char *m = viv_sim_errmsg(sim);
            unsigned ln, col;
            if (sscanf(m, "expectations: line %u, column %u: ", &ln, &col) != 2)
                fail_msg("\"%s\": %s", line, m);
            assert_true(col >= 1 && col <= strlen(line) + 1);
        }
        if (viv_expect_count(ex) > 1000) { /* keep the list small */
            viv_expect_free(ex);
            assert_int_equal(viv_expect_new(&ex, sim), 0);
        }
    }
    assert_true(accepted > 1000 && refused > 1000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_kit_parse__refusals),       T(test_kit_parse__line_numbers),
        T(test_kit_parse__accepted_forms), T(test_kit_parse__canonical_text),
        T(test_kit_parse__mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
