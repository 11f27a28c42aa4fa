/* netstat: the rows of a host's sockets and their text in the style of `netstat -an` and
 * `netstat -ano`, exactly. */
#include "l4_test.h"

#include <stdio.h>

/* Host a of a pair with five UDP sockets in every state UDP has: unbound, bound to the
 * wildcard (with two datagrams waiting), bound to a specific address, connected (ephemeral
 * port), and one created then freed (gone from the list). */
typedef struct five {
    l4t_pair p;
    viv_udp_t *unbound, *dns, *mdns, *conn, *gone;
} five;

static void five_build(five *f, viv_sim_t *sim)
{
    l4t_pair_build(&f->p, sim);
    viv_host_t *a = f->p.a;
    assert_int_equal(viv_udp_new(&f->unbound, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&f->dns, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&f->gone, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&f->mdns, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&f->conn, a, NULL, NULL, NULL), 0);
    viv_sockaddr_t any53 = l4t_sa(VIV_IP4_ANY, 53), a5353 = l4t_sa(L4T_A, 5353);
    viv_sockaddr_t b9000 = l4t_sa(L4T_B, 9000), any99 = l4t_sa(VIV_IP4_ANY, 99);
    assert_int_equal(viv_udp_bind(f->dns, &any53), 0);
    assert_int_equal(viv_udp_bind(f->gone, &any99), 0);
    assert_int_equal(viv_udp_bind(f->mdns, &a5353), 0);
    assert_int_equal(viv_udp_connect(f->conn, &b9000), 0);
    viv_udp_free(f->gone);
    /* Two datagrams (12 and 30 bytes) wait on port 53. */
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, f->p.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t to53 = l4t_sa(L4T_A, 53);
    static const uint8_t d[30];
    assert_int_equal(viv_udp_sendto(tx, d, 12, &to53), 12);
    assert_int_equal(viv_udp_sendto(tx, d, 30, &to53), 30);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
}

static void test_netstat__rows(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    five f;
    five_build(&f, sim);
    viv_sock_info rows[8];
    memset(rows, 0xa5, sizeof rows);
    assert_int_equal(viv_host_netstat(f.p.a, rows, 8), 4);
    /* Creation order; every UDP row has no send queue and no timer. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rows[i].proto, VIV_SOCK_UDP);
        assert_int_equal(rows[i].send_q, 0);
        assert_int_equal(rows[i].timer, VIV_TIMER_OFF);
        assert_int_equal(rows[i].timer_ns, 0);
        assert_int_equal(rows[i].retries, 0);
    }
    assert_int_equal(rows[0].local.ip, 0);
    assert_int_equal(rows[0].local.port, 0);
    assert_int_equal(rows[0].state, VIV_TCP_CLOSED);
    assert_string_equal(rows[0].state_name, "");
    assert_int_equal(rows[1].local.port, 53);
    assert_int_equal(rows[1].local.ip, VIV_IP4_ANY);
    assert_int_equal(rows[1].recv_q, 42);
    assert_int_equal(rows[1].remote.ip, 0);
    assert_int_equal(rows[1].remote.port, 0);
    assert_int_equal(rows[2].local.ip, L4T_A);
    assert_int_equal(rows[2].local.port, 5353);
    assert_int_equal(rows[2].recv_q, 0);
    assert_int_equal(rows[3].local.ip, L4T_A); /* fixed by connect */
    assert_int_equal(rows[3].local.port, 58230);
    assert_int_equal(rows[3].remote.ip, L4T_B);
    assert_int_equal(rows[3].remote.port, 9000);
    assert_int_equal(rows[3].state, VIV_TCP_ESTABLISHED);
    assert_string_equal(rows[3].state_name, "ESTABLISHED");

    /* snprintf-like: the total comes back whatever the capacity. */
    viv_sock_info two[2];
    assert_int_equal(viv_host_netstat(f.p.a, two, 2), 4);
    assert_int_equal(two[1].local.port, 53);
    assert_int_equal(viv_host_netstat(f.p.a, NULL, 0), 4);
    assert_int_equal(viv_host_netstat(f.p.a, NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_host_netstat(NULL, rows, 8), VIV_EINVAL);
    /* Host b has one socket (the sender, bound by its first send); the router-less pair has
     * no other host. A host that never had a socket lists nothing. */
    assert_int_equal(viv_host_netstat(f.p.b, rows, 8), 1);
    assert_int_equal(rows[0].local.ip, VIV_IP4_ANY);
    viv_host_t *lonely = l4t_host(sim, "lonely", VIV_IP4(10, 9, 9, 9), 24);
    assert_int_equal(viv_host_netstat(lonely, rows, 8), 0);
}

static const char expect_an[] =
    "Active Internet connections (servers and established)\n"
    "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
    "udp        0      0 0.0.0.0:*               0.0.0.0:*                          \n"
    "udp       42      0 0.0.0.0:53              0.0.0.0:*                          \n"
    "udp        0      0 10.0.0.1:5353           0.0.0.0:*                          \n"
    "udp        0      0 10.0.0.1:58230          10.0.0.2:9000           ESTABLISHED\n";

static const char expect_ano[] =
    "Active Internet connections (servers and established)\n"
    "Proto Recv-Q Send-Q Local Address           Foreign Address         State       Timer\n"
    "udp        0      0 0.0.0.0:*               0.0.0.0:*                           "
    "off (0.00/0/0)\n"
    "udp       42      0 0.0.0.0:53              0.0.0.0:*                           "
    "off (0.00/0/0)\n"
    "udp        0      0 10.0.0.1:5353           0.0.0.0:*                           "
    "off (0.00/0/0)\n"
    "udp        0      0 10.0.0.1:58230          10.0.0.2:9000           ESTABLISHED "
    "off (0.00/0/0)\n";

static void test_netstat__text_an_and_ano(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    five f;
    five_build(&f, sim);
    char buf[2048];
    int n = viv_host_netstat_text(f.p.a, 0, buf, sizeof buf);
    assert_string_equal(buf, expect_an);
    assert_int_equal(n, (int)strlen(expect_an));
    n = viv_host_netstat_text(f.p.a, VIV_NETSTAT_TIMERS, buf, sizeof buf);
    assert_string_equal(buf, expect_ano);
    assert_int_equal(n, (int)strlen(expect_ano));

    /* Reading the queue empties Recv-Q. */
    uint8_t d[64];
    assert_int_equal(viv_udp_recv(f.dns, d, sizeof d), 12);
    viv_host_netstat_text(f.p.a, 0, buf, sizeof buf);
    assert_non_null(strstr(buf, "udp       30      0 0.0.0.0:53 "));
}

static void test_netstat__text_is_snprintf_like(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    five f;
    five_build(&f, sim);
    const int full = (int)strlen(expect_an);
    char small[20];
    memset(small, 'x', sizeof small);
    assert_int_equal(viv_host_netstat_text(f.p.a, 0, small, sizeof small), full);
    assert_int_equal(small[19], '\0');
    assert_memory_equal(small, expect_an, 19);
    assert_int_equal(viv_host_netstat_text(f.p.a, 0, NULL, 0), full);
    assert_int_equal(viv_host_netstat_text(f.p.a, 0, NULL, 5), VIV_EINVAL);
    assert_int_equal(viv_host_netstat_text(NULL, 0, small, sizeof small), VIV_EINVAL);
    /* Every length from 0 to the whole: the prefix is right and terminated. */
    char *buf = malloc((size_t)full + 1);
    assert_non_null(buf);
    for (int cap = 1; cap <= full + 1; cap++) {
        memset(buf, 'x', (size_t)full + 1);
        assert_int_equal(viv_host_netstat_text(f.p.a, 0, buf, (size_t)cap), full);
        assert_int_equal(buf[cap - 1], '\0');
        assert_memory_equal(buf, expect_an, (size_t)cap - 1);
    }
    free(buf);
    /* A host without sockets prints the two header lines. */
    viv_host_t *lonely = l4t_host(sim, "lonely", VIV_IP4(10, 9, 9, 9), 24);
    char hb[256];
    viv_host_netstat_text(lonely, 0, hb, sizeof hb);
    assert_string_equal(hb, "Active Internet connections (servers and established)\n"
                            "Proto Recv-Q Send-Q Local Address           Foreign Address    "
                            "     State      \n");
}

static void test_netstat__state_names(void **state)
{
    (void)state;
    static const char *const names[] = {"CLOSED",     "LISTEN",    "SYN_SENT",   "SYN_RECV",
                                        "ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT",
                                        "CLOSING",    "LAST_ACK",  "TIME_WAIT"};
    for (int i = 0; i <= VIV_TCP_TIME_WAIT; i++)
        assert_string_equal(viv_tcp_state_name((viv_tcp_state)i), names[i]);
    assert_string_equal(viv_tcp_state_name((viv_tcp_state)11), "UNKNOWN");
    assert_string_equal(viv_tcp_state_name((viv_tcp_state)-1), "UNKNOWN");
}

/* The longest address and port (21 characters) fit the 23-character columns. */
static void test_netstat__longest_addresses_fit_the_columns(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *a = l4t_host(sim, "a", VIV_IP4(192, 168, 100, 200), 16);
    viv_host_t *b = l4t_host(sim, "b", VIV_IP4(192, 168, 200, 100), 16);
    l4t_link(sim, viv_host_port(a, 0), viv_host_port(b, 0), VIV_US(1));
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, a, NULL, NULL, NULL), 0);
    viv_sockaddr_t me = l4t_sa(VIV_IP4(192, 168, 100, 200), 65535);
    viv_sockaddr_t peer = l4t_sa(VIV_IP4(192, 168, 200, 100), 65534);
    assert_int_equal(viv_udp_bind(s, &me), 0);
    assert_int_equal(viv_udp_connect(s, &peer), 0);
    char buf[512];
    viv_host_netstat_text(a, 0, buf, sizeof buf);
    const char *row = strchr(strchr(buf, '\n') + 1, '\n') + 1;
    assert_string_equal(row, "udp        0      0 192.168.100.200:65535   192.168.200.100:65534   "
                             "ESTABLISHED\n");
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_netstat__rows),
        T(test_netstat__text_an_and_ano),
        T(test_netstat__text_is_snprintf_like),
        T(test_netstat__state_names),
        T(test_netstat__longest_addresses_fit_the_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
