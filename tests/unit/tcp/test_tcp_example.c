/* examples/tcp_close.c run as a program: it prints the same thing and writes the same
 * capture on every run, what it prints shows each step of the close, and its capture decodes
 * in tshark with no malformed packet, good checksums, no warning, and as TCP analysis notes
 * only the retransmissions (and the duplicate ACK) the example causes on purpose (skipped
 * when tshark is not installed). */
#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKS "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "

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

/* The whole file into buf; returns its length. */
static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    assert_true(n < cap);
    fclose(f);
    return n;
}

static void test_tcp_example__tcp_close(void **state)
{
    (void)state;
    char pcap[512], cmd[1200];
    snprintf(pcap, sizeof pcap, "%s/tcp_close_example.pcap", VIV_TEST_TMPDIR);
    snprintf(cmd, sizeof cmd, "'%s' '%s'", VIV_TCP_CLOSE, pcap);
    static char out[65536], again[65536];
    static unsigned char cap1[65536], cap2[65536];
    run(cmd, out, sizeof out);
    size_t n1 = slurp(pcap, cap1, sizeof cap1);
    run(cmd, again, sizeof again);
    size_t n2 = slurp(pcap, cap2, sizeof cap2);
    assert_string_equal(out, again); /* deterministic, output and capture */
    assert_int_equal(n1, n2);
    assert_memory_equal(cap1, cap2, n1);

    /* 1: FIN_WAIT_2 and CLOSE_WAIT while the server has not closed, then TIME_WAIT counting
     * down. */
    assert_non_null(strstr(out, "10.0.1.2:40000          10.0.2.2:7000           FIN_WAIT2   "
                                "timewait (59.00/0/0)"));
    assert_non_null(strstr(out, "10.0.2.2:7000           10.0.1.2:40000          CLOSE_WAIT  "
                                "off (0.00/0/0)"));
    assert_non_null(strstr(out, "10.0.1.2:40000          10.0.2.2:7000           TIME_WAIT   "
                                "timewait (59.00/0/0)"));
    assert_non_null(strstr(out, "10.0.1.2:40000          10.0.2.2:7000           TIME_WAIT   "
                                "timewait (29.00/0/0)"));
    assert_non_null(strstr(out, "   3.008028  TIME_WAIT    |"));
    /* 2: the address held, reuse_addr, and free after 2 MSL. */
    assert_non_null(strstr(out, "     4.000 s  bind 10.0.1.2:40000: address already in use\n"));
    assert_non_null(strstr(out, "     4.000 s  bind 10.0.1.2:40000 with reuse_addr: ok\n"));
    assert_non_null(strstr(out, "    64.000 s  bind 10.0.1.2:40000: ok\n"));
    /* 3: the last ACK lost; TIME_WAIT restarted by the second FIN, 0.2 s later. */
    assert_non_null(strstr(out, "the drop rule took 1 frame"));
    assert_non_null(strstr(out, "   127.208 s  client: connection closed\n"));
    /* 4: the killed server's OS closes with a FIN; the orphan has no process. */
    assert_non_null(strstr(out, "   201.004 s  client reads end of stream: the server closed\n"));
    assert_non_null(strstr(out, "FIN_WAIT2   -                   timewait"));
    assert_non_null(strstr(out, "TIME_WAIT   -                   timewait"));
    /* 5: CLOSE_WAIT for an hour. */
    assert_non_null(strstr(out, "netstat on the server, an hour later:\n"
                                "    Active Internet connections (servers and established)\n"
                                "    Proto Recv-Q Send-Q Local Address           Foreign "
                                "Address         State       Timer\n"
                                "    tcp        0      0 10.0.2.2:7000           10.0.1.2:40003"
                                "          CLOSE_WAIT  off (0.00/0/0)\n"));
    /* 6: a host switched off: the client learns only by its timeout. */
    assert_non_null(strstr(out, "  3819.600 s  client gives up after 5 retransmissions: "
                                "connection timed out\n"));

    const char *t = viv_test_tshark(pcap, CHECKS "-Y tcp -T fields -e frame.number");
    if (!t)
        skip();
    assert_int_equal(count(t, "\n"), 52);
    /* Nothing malformed, no checksum wrong, no warning or error from any dissector. */
    t = viv_test_tshark(pcap, CHECKS "-Y \"_ws.malformed || ip.checksum.status == 0 || "
                                     "tcp.checksum.status == 0 || "
                                     "(_ws.expert.severity >= 0x00600000 && "
                                     "!tcp.analysis.retransmission && "
                                     "!tcp.analysis.fast_retransmission && "
                                     "!tcp.analysis.duplicate_ack)\"");
    assert_string_equal(t, "");
    /* TCP's analysis flags only what the example causes: the server's FIN sent again after
     * the lost ACK (and the client's second ACK of it), and the data the client sends again
     * to the host switched off. */
    t = viv_test_tshark(pcap, CHECKS "-Y \"tcp.analysis.flags && !tcp.analysis.retransmission "
                                     "&& !tcp.analysis.duplicate_ack\"");
    assert_string_equal(t, "");
    t = viv_test_tshark(pcap, CHECKS "-Y tcp.analysis.retransmission -T fields -E separator=, "
                                     "-e tcp.srcport -e tcp.dstport -e tcp.flags.fin");
    assert_string_equal(t, "7000,40001,1\n"
                           "40004,7000,0\n"
                           "40004,7000,0\n"
                           "40004,7000,0\n"
                           "40004,7000,0\n"
                           "40004,7000,0\n");
    t = viv_test_tshark(pcap, CHECKS "-Y tcp.analysis.duplicate_ack -T fields -E separator=, "
                                     "-e tcp.srcport -e tcp.dstport");
    assert_string_equal(t, "40001,7000\n");
    /* Every FIN, relative numbers: the killed server's OS closes with a FIN, no reset
     * anywhere. */
    t = viv_test_tshark(pcap, CHECKS "-Y \"tcp.flags.fin == 1 || tcp.flags.reset == 1\" "
                                     "-T fields -E separator=, -e ip.src -e tcp.srcport "
                                     "-e tcp.dstport -e tcp.seq -e tcp.ack");
    assert_string_equal(t, "10.0.1.2,40000,7000,6,6\n"
                           "10.0.2.2,7000,40000,6,7\n"
                           "10.0.1.2,40001,7000,6,6\n"
                           "10.0.2.2,7000,40001,6,7\n"
                           "10.0.2.2,7000,40001,6,7\n"
                           "10.0.2.2,7001,40002,14,14\n"
                           "10.0.1.2,40002,7001,14,15\n"
                           "10.0.1.2,40003,7000,4,4\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_example__tcp_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
