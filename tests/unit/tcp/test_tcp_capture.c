/* What TCP puts on the wire, decoded by tshark (skipped when tshark is not installed): a
 * handshake, data both ways and a 4-way close with no malformed packet, every checksum good
 * and no TCP analysis warning; over a lossy link, the only analysis notes are the
 * retransmissions (and duplicate ACKs) the losses cause. */
#include "tcp_test.h"

/* Checksums verified; HTTP off: the payload on port 80 is a byte pattern, which tshark's
 * HTTP dissector would otherwise flag as a malformed header. */
#define CHECKS "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE --disable-protocol http "

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", VIV_TEST_TMPDIR, name);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A client and a server exchange data both ways and close, the client first; the capture
 * holds both directions of the link. Returns the TCP segments sent. */
static size_t exchange(viv_sim_t *sim, const char *file, double loss)
{
    tt_world w;
    tt_world_build(&w, sim);
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, file, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(cap, w.link, VIV_LINK_BOTH), 0);
    if (loss > 0)
        assert_int_equal(viv_link_set_loss(w.link, VIV_LINK_BOTH, loss), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    static uint8_t up[30000], down[20000];
    tt_pattern(up, sizeof up, 11);
    tt_pattern(down, sizeof down, 12);
    cli->tx = up;
    cli->ntx = sizeof up;
    cli->shut_after_tx = 1;
    child->tx = down;
    child->ntx = sizeof down;
    child->close_on_eof = 1;
    tt_pump(cli);
    tt_pump(child);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(child->nrx, sizeof up);
    assert_memory_equal(child->rx, up, sizeof up);
    assert_int_equal(cli->nrx, sizeof down);
    assert_memory_equal(cli->rx, down, sizeof down);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_CLOSED);
    viv_tcp_close(cli->s);
    size_t n = w.nseg;
    viv_pcap_close(cap);
    tt_world_free(&w);
    return n;
}

static void test_tcp_capture__clean_exchange_decodes(void **state)
{
    char p[512];
    path_of(p, sizeof p, "tcp_clean.pcap");
    size_t nseg = exchange(VIV_TEST_SIM(state), p, 0);
    const char *out = viv_test_tshark(p, CHECKS "-Y tcp -T fields -e frame.number");
    if (!out)
        skip();
    assert_int_equal(count_lines(out), nseg);
    /* Nothing malformed, no checksum wrong, no warning (or worse) from any dissector or
     * from TCP's analysis. */
    out = viv_test_tshark(p, CHECKS "-Y \"_ws.malformed || _ws.expert.severity >= 0x00600000 "
                                    "|| ip.checksum.status == 0 || tcp.checksum.status == 0\"");
    assert_string_equal(out, "");
    out = viv_test_tshark(p, CHECKS "-Y \"tcp.analysis.retransmission || "
                                    "tcp.analysis.duplicate_ack || tcp.analysis.lost_segment || "
                                    "tcp.analysis.ack_lost_segment || tcp.analysis.out_of_order\"");
    assert_string_equal(out, "");
    /* The handshake and the close, as tshark reads them (relative numbers). */
    out = viv_test_tshark(p, CHECKS "-Y \"tcp.flags.syn == 1 || tcp.flags.fin == 1 || "
                                    "frame.number == 3\" -T fields -E separator=, "
                                    "-e ip.src -e tcp.flags.str -e tcp.seq -e tcp.ack");
    assert_string_equal(out, "10.0.0.1,··········S·,0,0\n"
                             "10.0.0.2,·······A··S·,0,1\n"
                             "10.0.0.1,·······A····,1,1\n"
                             "10.0.0.1,·······AP··F,29201,14601\n"
                             "10.0.0.2,·······A···F,20001,30002\n");
}

static void test_tcp_capture__lossy_exchange_only_retransmissions(void **state)
{
    char p[512];
    path_of(p, sizeof p, "tcp_lossy.pcap");
    exchange(VIV_TEST_SIM(state), p, 0.05);
    const char *out = viv_test_tshark(p, CHECKS "-Y \"_ws.malformed || "
                                                "ip.checksum.status == 0 || "
                                                "tcp.checksum.status == 0\"");
    if (!out)
        skip();
    assert_string_equal(out, "");
    /* Every analysis flag is a retransmission or what a loss causes at the receiver (a
     * duplicate ACK); nothing else. */
    out = viv_test_tshark(p, CHECKS "-Y \"tcp.analysis.flags && !tcp.analysis.retransmission "
                                    "&& !tcp.analysis.duplicate_ack && "
                                    "!tcp.analysis.spurious_retransmission && "
                                    "!tcp.analysis.window_update\"");
    assert_string_equal(out, "");
    out = viv_test_tshark(p, CHECKS "-Y tcp.analysis.retransmission -T fields -e frame.number");
    assert_true(count_lines(out) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_capture__clean_exchange_decodes),
        TT_TEST(test_tcp_capture__lossy_exchange_only_retransmissions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
