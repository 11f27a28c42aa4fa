/* The ladder diagram of a handshake, a little data and the 4-way close (client first), and
 * a lost segment drawn with an X. The recorder chains to the test's own trace callback. */
#include "tcp_test.h"

static void test_tcp_ladder__handshake_data_close(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_ladder_t *lad;
    assert_int_equal(viv_ladder_new(&lad, w.sim, viv_host_node(w.a), viv_host_node(w.b), 80), 0);
    viv_tcp_opts co = VIV_TCP_OPTS_INIT;
    co.fixed_isn = 1;
    co.isn = 1000;
    tt_sock *cli, *child;
    tt_establish(&w, &co, NULL, &cli, &child, NULL);
    child->close_on_eof = 1;
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(100)), 0);
    viv_tcp_close(cli->s);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(1)), 0);
    /* The chained trace callback still saw everything. */
    assert_true(w.nseg >= 9);
    char text[8192];
    int n = viv_ladder_text(lad, text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_string_equal(text,
        "      time  a                                                     b\n"
        "   0.010000               |                                        | LISTEN\n"
        "   0.010000  SYN_SENT     |                                        |\n"
        "   0.010000               |---- SYN seq=0 len=0 ------------------>|\n"
        "   0.011000               |                                        | SYN_RECV\n"
        "   0.011000               |<--- SYN,ACK seq=0 ack=1 len=0 ---------|\n"
        "   0.012001  ESTABLISHED  |                                        |\n"
        "   0.012001               |---- ACK seq=1 ack=1 len=0 ------------>|\n"
        "   0.013002               |                                        | ESTABLISHED\n"
        "   0.110000               |---- PSH,ACK seq=1 ack=1 len=5 -------->|\n"
        "   0.151000               |<--- ACK seq=1 ack=6 len=0 -------------|\n"
        "   0.210000  FIN_WAIT1    |                                        |\n"
        "   0.210000               |---- FIN,ACK seq=6 ack=1 len=0 -------->|\n"
        "   0.211000               |                                        | CLOSE_WAIT\n"
        "   0.211000               |<--- ACK seq=1 ack=7 len=0 -------------|\n"
        "   0.211000               |                                        | LAST_ACK\n"
        "   0.211000               |<--- FIN,ACK seq=1 ack=7 len=0 ---------|\n"
        "   0.212001  FIN_WAIT2    |                                        |\n"
        "   0.212002  TIME_WAIT    |                                        |\n"
        "   0.212002               |---- ACK seq=7 ack=2 len=0 ------------>|\n"
        "   0.213002               |                                        | CLOSED\n");
    assert_int_equal(viv_ladder_text(lad, NULL, 0), n);
    assert_int_equal(viv_ladder_overflow(lad), 0);
    viv_ladder_free(lad);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_ladder__handshake_data_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
