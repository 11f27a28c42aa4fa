/* The UDP examples, run as programs. dns_query's capture must decode in tshark as DNS, with
 * no malformed packet, good checksums, and exactly the queries and answers the example
 * printed (skipped when tshark is not installed). voice_stream must print the same thing
 * on every run. */
#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKS "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Run a command; its standard output goes to out (NUL-terminated). It must exit with 0. */
static void run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    assert_int_equal(pclose(p), 0);
}

static void test_udp_examples__dns_capture_decodes_as_dns(void **state)
{
    (void)state;
    char pcap[512], cmd[1200];
    snprintf(pcap, sizeof pcap, "%s/dns_example.pcap", VIV_TEST_TMPDIR);
    snprintf(cmd, sizeof cmd, "'%s' '%s'", VIV_DNS_QUERY, pcap);
    static char out[16384], again[16384];
    run(cmd, out, sizeof out);
    run(cmd, again, sizeof again);
    assert_string_equal(out, again); /* deterministic */
    /* What the example says happened (seed 7): 10 queries, 4 answers at the client. */
    assert_int_equal(count(out, "  query "), 10);
    assert_int_equal(count(out, "  answer "), 4);
    assert_int_equal(count(out, "  give up "), 2);
    assert_non_null(strstr(out, "6 names: 4 answered, 2 given up, 10 queries sent\n"));

    const char *t = viv_test_tshark(pcap, CHECKS "-Y dns -T fields -e frame.number");
    if (!t)
        skip();
    assert_int_equal(count(t, "\n"), 14); /* every UDP frame is DNS; the 2 others are ARP */
    t = viv_test_tshark(pcap, "-T fields -e frame.number");
    assert_int_equal(count(t, "\n"), 16);
    /* Nothing malformed, every checksum good; the only warnings are Wireshark noticing the
     * retransmitted queries, which is the point of the example. */
    t = viv_test_tshark(pcap, CHECKS "-Y \"_ws.malformed || ip.checksum.status == 0 || "
                                     "udp.checksum.status == 0 || "
                                     "(_ws.expert.severity >= 0x00600000 && "
                                     "!dns.retransmission)\"");
    assert_string_equal(t, "");
    t = viv_test_tshark(pcap, "-Y dns.retransmission -T fields -e frame.number");
    assert_int_equal(count(t, "\n"), 4); /* 10 queries for 6 names */

    /* The queries: id, name, no answers. */
    t = viv_test_tshark(pcap, "-Y \"dns.flags.response == 0\" -T fields -E separator=, "
                              "-e dns.id -e dns.flags.opcode -e dns.qry.name -e dns.qry.type "
                              "-e dns.qry.class -e dns.count.queries -e dns.count.answers");
    assert_string_equal(t, "0x767c,0,www.example.com,1,0x0001,1,0\n"
                           "0x767c,0,www.example.com,1,0x0001,1,0\n"
                           "0x767c,0,www.example.com,1,0x0001,1,0\n"
                           "0x4a59,0,mail.example.com,1,0x0001,1,0\n"
                           "0x8c3f,0,nosuch.example.com,1,0x0001,1,0\n"
                           "0xc8f2,0,printer.lan.example.com,1,0x0001,1,0\n"
                           "0xdc5b,0,ftp.example.com,1,0x0001,1,0\n"
                           "0x4b2c,0,news.example.com,1,0x0001,1,0\n"
                           "0x4b2c,0,news.example.com,1,0x0001,1,0\n"
                           "0x4b2c,0,news.example.com,1,0x0001,1,0\n");
    /* The responses that reached the client: rcode, the answer's name (a compression
     * pointer, so the message is exactly 16 bytes longer than the query: 2-byte name,
     * type, class, TTL, RDLENGTH, 4-byte address), address and TTL. */
    t = viv_test_tshark(pcap, "-Y \"dns.flags.response == 1\" -T fields -E separator=, "
                              "-e dns.id -e dns.flags.rcode -e dns.qry.name "
                              "-e dns.count.answers -e dns.resp.name -e dns.resp.type "
                              "-e dns.resp.len -e dns.a -e dns.resp.ttl -e udp.length");
    assert_string_equal(t, "0x4a59,0,mail.example.com,1,mail.example.com,1,4,93.184.216.25,300,58\n"
                           "0x8c3f,3,nosuch.example.com,0,,,,,,44\n"
                           "0xc8f2,0,printer.lan.example.com,1,printer.lan.example.com,1,4,"
                           "192.168.7.9,300,65\n"
                           "0xdc5b,0,ftp.example.com,1,ftp.example.com,1,4,93.184.216.21,300,57\n");
    /* The same query was 42 UDP bytes (8 + 12 + 18 for the name + 4): 58 - 42 = 16. */
    t = viv_test_tshark(pcap, "-Y \"dns.id == 0x4a59\" -T fields -e udp.length");
    assert_string_equal(t, "42\n58\n");
}

static void test_udp_examples__voice_stream_is_deterministic(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s'", VIV_VOICE_STREAM);
    static char out[16384], again[16384];
    run(cmd, out, sizeof out);
    run(cmd, again, sizeof again);
    assert_string_equal(out, again);
    /* The figures of seed 2024. With jitter uniform in 0..50 ms, E|D| is 50/3 ms: RFC 3550's
     * estimator hovers around 16.7 ms. */
    assert_non_null(strstr(out, "sent 500, received 489 (11 lost in the network)"));
    assert_non_null(strstr(out, "interarrival jitter (RFC 3550): 136.2 timestamp units = "
                                "17.02 ms\n"));
    assert_non_null(strstr(out, "  60 ms    11 ( 2.2%)       0 ( 0.0%)     11 ( 2.2%)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_examples__dns_capture_decodes_as_dns),
        cmocka_unit_test(test_udp_examples__voice_stream_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
