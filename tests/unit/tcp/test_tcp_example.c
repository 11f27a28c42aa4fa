/* examples/tcp_close.c run as a program: it prints the same thing and writes the same
 * capture on every run, what it prints shows each step of the close, and its capture decodes
 * in tshark with no malformed packet, good checksums, no warning, and as TCP analysis notes
 * only the retransmissions (and the duplicate ACK) the example causes on purpose (skipped
 * when tshark is not installed).
 *
 * examples/tcp_bulk.c run as a program: bad arguments refused with exit status 2; what it
 * prints agrees with itself (goodput = bytes * 8 / completion, Jain's index and the shares
 * from the throughputs) and with its CSV files (timeouts and recoveries in the trace's
 * records, plausible samples); without gnuplot it says so and writes the CSV only. */
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
    /* 6: a host switched off: the client learns only by its timeout, the user timeout's
     * 10 s after its send at 3807 s exactly (the sixth RTO cut from 6.4 s to 3.8 s). */
    assert_non_null(strstr(out, "  3817.000 s  client gives up after 5 retransmissions: "
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

/* ---- tcp_bulk --------------------------------------------------------------------------- */

#ifdef VIV_TCP_BULK
#include <sys/wait.h>

/* Run tcp_bulk with args (stdout and stderr into out); returns its exit status. */
static int bulk(const char *env, const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s 2>&1", VIV_TEST_TMPDIR, env, VIV_TCP_BULK,
             args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* The number after the first occurrence of key in s. */
static double after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

/* Bad arguments: a message and exit status 2, never a run (nor a crash). A fraction where a
 * count is wanted, or an option of the other mode, used to be taken silently. */
static void test_tcp_example__tcp_bulk_bad_arguments(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"--bogus 1", "unknown option"},
        {"--loss", "lacks its value"},
        {"--loss 0.7", "--loss wants a number from 0 to 0.5"},
        {"--loss x", "--loss wants a number"},
        {"--cc vegas", "unknown algorithm"},
        {"--flows 3", "--flows wants a number from 1 to 2"},
        {"--flows 1.5", "--flows wants a whole number"},
        {"--bytes 1000.5", "--bytes wants a whole number"},
        {"--buf 33554432", "--buf wants a number from 1024 to 16777216"},
        {"--cc2 cubic", "--cc2 is for two flows"},
        {"--seconds 5", "--seconds is for two flows"},
        {"--flows 2 --bytes 1000", "--bytes is for one flow"},
        {"--flows 2 --seconds 5 --warmup 5", "--warmup must be shorter"},
        {"--out ''", "--out must be a non-empty name"},
    };
    static char out[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = bulk("", bad[i][0], out, sizeof out);
        if (rc != 2 || !strstr(out, bad[i][1]))
            fail_msg("tcp_bulk %s: exit %d, printed '%s'", bad[i][0], rc, out);
        assert_null(strstr(out, "path:")); /* nothing ran */
    }
}

/* One flow at 1% loss: the figures printed agree with each other and with the CSV files. */
static void test_tcp_example__tcp_bulk_one_flow(void **state)
{
    (void)state;
    static char out[8192];
    assert_int_equal(bulk("", "--bytes 2000000 --loss 0.01 --no-plot --out tcp_bulk_check", out,
                          sizeof out),
                     0);
    double secs = after(out, "completion       "), mbps = after(out, "goodput          ");
    assert_true(secs > 0);
    char want[32], got[32];
    snprintf(want, sizeof want, "%.4f", 2000000.0 * 8 / secs / 1e6);
    snprintf(got, sizeof got, "%.4f", mbps);
    assert_string_equal(got, want);
    unsigned long long timeouts = (unsigned long long)after(out, "timeouts         ");
    unsigned long long recoveries = (unsigned long long)after(out, "fast recoveries  ");
    assert_non_null(strstr(out, "delivered        2000000 bytes, every one as sent"));
    assert_non_null(strstr(out, "plots: not drawn (--no-plot)"));

    char path[600], line[512];
    snprintf(path, sizeof path, "%s/tcp_bulk_check_cc.csv", VIV_TEST_TMPDIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "time_s,flow,event,cwnd,ssthresh,in_flight\n");
    unsigned long long n_timeout = 0, n_recovery = 0;
    while (fgets(line, sizeof line, f)) {
        n_timeout += strstr(line, ",timeout,") != NULL;
        n_recovery += strstr(line, ",recovery,") != NULL;
    }
    fclose(f);
    assert_true(recoveries > 0);
    assert_int_equal(n_timeout, timeouts);
    assert_int_equal(n_recovery, recoveries);

    /* Samples every 10 ms from the connect; cwnd never 0; the RTO within [200 ms, 120 s];
     * SRTT, once measured, at least the 40 ms path and at most that plus a full queue and a
     * delayed ACK; bytes read growing to at most the transfer. */
    snprintf(path, sizeof path, "%s/tcp_bulk_check.csv", VIV_TEST_TMPDIR);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "time_s,cwnd1,ssthresh1,in_flight1,srtt1_ms,rto1_ms,delivered1\n");
    double t_prev = 0.09, srtt_max = 0;
    unsigned long long read_prev = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        double t, srtt, rto;
        unsigned cwnd, in_flight;
        unsigned long long rd;
        char ssthresh[32] = "";
        if (sscanf(line, "%lf,%u,%31[0-9],%u,%lf,%lf,%llu", &t, &cwnd, ssthresh, &in_flight,
                   &srtt, &rto, &rd) != 7)
            assert_int_equal(sscanf(line, "%lf,%u,,%u,%lf,%lf,%llu", &t, &cwnd, &in_flight,
                                    &srtt, &rto, &rd),
                             6);
        assert_true(t > t_prev + 0.0099 && t < t_prev + 0.0101);
        assert_true(cwnd > 0);
        assert_true(rto >= 200 && rto <= 120000);
        assert_true(srtt == 0 || (srtt >= 40 && srtt <= 40 + 100 * 1.2112 + 40));
        assert_true(rd >= read_prev && rd <= 2000000);
        srtt_max = srtt > srtt_max ? srtt : srtt_max;
        t_prev = t;
        read_prev = rd;
        rows++;
    }
    fclose(f);
    assert_true(srtt_max > 0);
    assert_true(rows == (unsigned long long)after(out, "wrote tcp_bulk_check.csv ("));
    assert_true(t_prev <= 0.1 + secs);
}

/* Two flows: shares and Jain's index (sum x)^2 / (n sum x^2) from the throughputs printed. */
static void test_tcp_example__tcp_bulk_two_flows(void **state)
{
    (void)state;
    static char out[8192];
    assert_int_equal(bulk("",
                          "--flows 2 --cc2 cubic --seconds 6 --warmup 2 --no-plot "
                          "--out tcp_bulk_check2",
                          out, sizeof out),
                     0);
    const char *f1 = strstr(out, "flow 1 (newreno)"), *f2 = strstr(out, "flow 2 (cubic  )");
    assert_non_null(f1);
    assert_non_null(f2);
    double x1 = after(f1, ")"), x2 = after(f2, ")");
    double s1 = after(f1, "share"), s2 = after(f2, "share");
    double sum = x1 + x2, jain = after(out, "Jain's fairness index");
    assert_true(x1 > 0 && x2 > 0 && sum <= 10);
    assert_true(s1 + s2 > 99.85 && s1 + s2 < 100.15);
    assert_true(s1 > 100 * x1 / sum - 0.051 && s1 < 100 * x1 / sum + 0.051);
    double j = sum * sum / (2 * (x1 * x1 + x2 * x2));
    assert_true(jain > j - 0.0006 && jain < j + 0.0006);
    assert_true(jain >= 0.5 && jain <= 1);
    assert_true(after(out, "together") > sum - 0.0002 && after(out, "together") < sum + 0.0002);
}

/* Without gnuplot on the PATH: said, and only the CSV files written. */
static void test_tcp_example__tcp_bulk_without_gnuplot(void **state)
{
    (void)state;
    static char out[8192];
    char gp[600];
    snprintf(gp, sizeof gp, "%s/tcp_bulk_nogp.gp", VIV_TEST_TMPDIR);
    remove(gp);
    assert_int_equal(bulk("PATH=/nonexistent", "--bytes 100000 --out tcp_bulk_nogp", out,
                          sizeof out),
                     0);
    assert_non_null(strstr(out, "plots: gnuplot is not installed; the CSV files are all there "
                                "is\n"));
    FILE *f = fopen(gp, "r");
    assert_null(f);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_example__tcp_close),
#ifdef VIV_TCP_BULK
        cmocka_unit_test(test_tcp_example__tcp_bulk_bad_arguments),
        cmocka_unit_test(test_tcp_example__tcp_bulk_one_flow),
        cmocka_unit_test(test_tcp_example__tcp_bulk_two_flows),
        cmocka_unit_test(test_tcp_example__tcp_bulk_without_gnuplot),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
