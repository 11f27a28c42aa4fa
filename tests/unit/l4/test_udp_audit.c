/* UDP API audit: what a user of BSD/Linux UDP sockets expects and what udp.h promises, in the
 * corners the other UDP tests leave: the source address on a multi-homed host (unbound,
 * connected, reconnected), an address removed under a bound socket, 127.0.0.0/8 (no
 * loopback interface), port unreachable on a socket connected to its own host, sendto to
 * another destination on a connected socket, zero-length datagrams, a port freed with data
 * queued, and netstat's rows for connected sockets. */
#include "l4_test.h"

/* Host m with two interfaces, 10.0.0.1/24 (eth0, cable to b = 10.0.0.2) and 10.0.1.1/24
 * (eth1, cable to c = 10.0.1.2); 10 us each way. */
typedef struct mh {
    viv_host_t *m, *b, *c;
} mh;

#define MH_M0 VIV_IP4(10, 0, 0, 1)
#define MH_M1 VIV_IP4(10, 0, 1, 1)
#define MH_B VIV_IP4(10, 0, 0, 2)
#define MH_C VIV_IP4(10, 0, 1, 2)

static void mh_build(mh *t, viv_sim_t *sim)
{
    t->m = l4t_host(sim, "m", MH_M0, 24);
    assert_int_equal(viv_host_add_iface(t->m, NULL), 1);
    assert_int_equal(viv_host_add_addr(t->m, 1, MH_M1, 24), 0);
    t->b = l4t_host(sim, "b", MH_B, 24);
    t->c = l4t_host(sim, "c", MH_C, 24);
    l4t_link(sim, viv_host_port(t->m, 0), viv_host_port(t->b, 0), VIV_US(10));
    l4t_link(sim, viv_host_port(t->m, 1), viv_host_port(t->c, 0), VIV_US(10));
}

/* A socket on h bound to 0.0.0.0:port, recording into r. */
static viv_udp_t *listener(viv_host_t *h, uint16_t port, l4t_rec *r)
{
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, h, NULL, l4t_cb, r), 0);
    viv_sockaddr_t a = l4t_sa(VIV_IP4_ANY, port);
    assert_int_equal(viv_udp_bind(s, &a), 0);
    return s;
}

/* ---- the source address on a multi-homed host ---------------------------------------- */

/* An unbound (so wildcard) socket takes its source address from the outgoing interface of
 * each datagram, with one port for all. */
static void test_udp_audit__unbound_source_follows_the_outgoing_interface(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    mh t;
    mh_build(&t, sim);
    l4t_rec rb, rc;
    l4t_rec_init(&rb, sim);
    l4t_rec_init(&rc, sim);
    listener(t.b, 7, &rb);
    listener(t.c, 7, &rc);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, t.m, NULL, NULL, NULL), 0);
    viv_sockaddr_t to_b = l4t_sa(MH_B, 7), to_c = l4t_sa(MH_C, 7), local;
    assert_int_equal(viv_udp_sendto(s, "b", 1, &to_b), 1);
    assert_int_equal(viv_udp_sendto(s, "c", 1, &to_c), 1);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, VIV_IP4_ANY);
    assert_true(local.port >= 49152);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rb.nrx, 1);
    assert_int_equal(rc.nrx, 1);
    assert_int_equal(rb.rx[0].from.ip, MH_M0);
    assert_int_equal(rb.rx[0].from.port, local.port);
    assert_int_equal(rc.rx[0].from.ip, MH_M1);
    assert_int_equal(rc.rx[0].from.port, local.port);
}

/* udp.h: connecting "fixes the local address to the one the route gives (if the socket was
 * bound to VIV_IP4_ANY)". Connecting again to a peer behind the other interface must take
 * that interface's address (the first connect chose the old one, not the program), else
 * the datagrams leave eth1 with eth0's address and the peer's answers, to that address,
 * never come back through the filter. */
static void test_udp_audit__reconnect_takes_the_new_routes_source(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    mh t;
    mh_build(&t, sim);
    l4t_rec rb, rc, rs;
    l4t_rec_init(&rb, sim);
    l4t_rec_init(&rc, sim);
    l4t_rec_init(&rs, sim);
    viv_udp_t *sb = listener(t.b, 7, &rb), *sc = listener(t.c, 7, &rc);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, t.m, NULL, l4t_cb, &rs), 0);
    viv_sockaddr_t to_b = l4t_sa(MH_B, 7), to_c = l4t_sa(MH_C, 7), local, peer;
    assert_int_equal(viv_udp_connect(s, &to_b), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, MH_M0);
    const uint16_t port = local.port;
    assert_int_equal(viv_udp_connect(s, &to_c), 0);
    assert_int_equal(viv_udp_peer(&peer, s), 0);
    assert_int_equal(peer.ip, MH_C);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, MH_M1);
    assert_int_equal(local.port, port);
    assert_int_equal(viv_udp_send(s, "q", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rb.nrx, 0);
    assert_int_equal(rc.nrx, 1);
    assert_int_equal(rc.rx[0].from.ip, MH_M1);
    /* The answer comes back; the old peer is filtered now. */
    viv_sockaddr_t back = l4t_sa(MH_M1, port), back0 = l4t_sa(MH_M0, port);
    assert_int_equal(viv_udp_sendto(sc, "a", 1, &back), 1);
    assert_int_equal(viv_udp_sendto(sb, "x", 1, &back0), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rs.nrx, 1);
    assert_int_equal(rs.rx[0].from.ip, MH_C);
    assert_memory_equal(rs.rx[0].bytes, "a", 1);
    /* Disconnecting still gives the wildcard back: connect chose the address. */
    assert_int_equal(viv_udp_connect(s, NULL), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, VIV_IP4_ANY);
    assert_int_equal(local.port, port);
}

/* A socket the program bound to one address keeps it through any connect (BSD, Linux). */
static void test_udp_audit__connect_keeps_an_address_the_program_bound(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    mh t;
    mh_build(&t, sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, t.m, NULL, NULL, NULL), 0);
    viv_sockaddr_t a = l4t_sa(MH_M0, 4000), to_b = l4t_sa(MH_B, 7), to_c = l4t_sa(MH_C, 7);
    viv_sockaddr_t local;
    assert_int_equal(viv_udp_bind(s, &a), 0);
    assert_int_equal(viv_udp_connect(s, &to_b), 0);
    assert_int_equal(viv_udp_connect(s, &to_c), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, MH_M0);
    assert_int_equal(viv_udp_connect(s, NULL), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, MH_M0);
    assert_int_equal(local.port, 4000);
}

/* ---- addresses the host does not have --------------------------------------------------- */

/* The host loses the address a socket is bound to: a datagram must not leave with a source
 * address the host no longer owns (Linux's route lookup refuses such a source); it fails
 * with VIV_EADDRNOTAVAIL and sends nothing, and works again once the address is back. */
static void test_udp_audit__send_from_a_removed_address_fails(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    const viv_ip4_t extra = VIV_IP4(10, 0, 0, 11);
    assert_int_equal(viv_host_add_addr(p.a, 0, extra, 24), 0);
    l4t_rec rb;
    l4t_rec_init(&rb, sim);
    listener(p.b, 7, &rb);
    viv_udp_t *s, *c;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&c, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t a = l4t_sa(extra, 4000), a2 = l4t_sa(extra, 4001), dst = l4t_sa(L4T_B, 7);
    assert_int_equal(viv_udp_bind(s, &a), 0);
    assert_int_equal(viv_udp_bind(c, &a2), 0);
    assert_int_equal(viv_udp_connect(c, &dst), 0);
    assert_int_equal(viv_udp_sendto(s, "1", 1, &dst), 1); /* the path is cached */
    assert_int_equal(viv_host_del_addr(p.a, extra), 0);
    assert_int_equal(viv_udp_sendto(s, "2", 1, &dst), VIV_EADDRNOTAVAIL);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    assert_int_equal(viv_udp_send(c, "3", 1), VIV_EADDRNOTAVAIL);
    assert_int_equal(viv_udp_path_mtu(c), VIV_EADDRNOTAVAIL);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, s), 0);
    assert_int_equal(st.tx_datagrams, 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rb.nrx, 1);
    assert_int_equal(rb.rx[0].from.ip, extra);
    /* Back again: sending works again. */
    assert_int_equal(viv_host_add_addr(p.a, 0, extra, 24), 0);
    assert_int_equal(viv_udp_sendto(s, "4", 1, &dst), 1);
    assert_int_equal(viv_udp_send(c, "5", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rb.nrx, 3);
    assert_memory_equal(rb.rx[1].bytes, "4", 1);
    assert_memory_equal(rb.rx[2].bytes, "5", 1);
}

/* 127.0.0.0/8 never appears outside a host (RFC 1122 3.2.1.3 (g)). vivarium has no loopback
 * interface: with a default route, a datagram to 127.0.0.1 must not be handed to the
 * gateway; it fails with VIV_ENETUNREACH (as with no route), and so does connect. */
static void test_udp_audit__loopback_net_never_leaves_the_host(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    assert_int_equal(viv_host_set_gateway(p.a, L4T_B), 0);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t lo = l4t_sa(VIV_IP4(127, 0, 0, 1), 7), lo2 = l4t_sa(VIV_IP4(127, 1, 2, 3), 7);
    assert_int_equal(viv_udp_sendto(s, "x", 1, &lo), VIV_ENETUNREACH);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    assert_int_equal(viv_udp_sendto(s, "x", 1, &lo2), VIV_ENETUNREACH);
    assert_int_equal(viv_udp_connect(s, &lo), VIV_ENETUNREACH);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_port_stats_t ps;
    assert_int_equal(viv_port_stats(&ps, viv_host_port(p.a, 0)), 0);
    assert_int_equal(ps.tx_frames, 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, s), 0);
    assert_int_equal(st.tx_datagrams, 0);
}

/* ---- the host's own address ------------------------------------------------------------- */

/* A socket connected to its own host's address with nobody on the port: the host answers
 * itself with port unreachable, and the next call returns VIV_ECONNREFUSED once, as Linux
 * does over loopback. With a listener there, datagrams arrive with the address as sender,
 * at the same instant. */
static void test_udp_audit__connected_to_own_address(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rs;
    l4t_rec_init(&rs, sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, l4t_cb, &rs), 0);
    viv_sockaddr_t me = l4t_sa(L4T_A, 9), local;
    assert_int_equal(viv_udp_connect(s, &me), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(local.ip, L4T_A);
    assert_int_equal(viv_udp_path_mtu(s), 65535);
    const viv_time_t t0 = viv_sim_now(sim);
    assert_int_equal(viv_udp_send(s, "q", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(rs.calls, 2); /* writable (creation), then the error */
    assert_int_equal(rs.events[0], VIV_EV_WRITABLE);
    assert_int_equal(rs.events[1], VIV_EV_ERROR);
    assert_int_equal(rs.times[1], t0);
    assert_int_equal(viv_udp_send(s, "q", 1), VIV_ECONNREFUSED);
    assert_int_equal(viv_udp_error(s), 0);
    /* Now with a listener: delivered at once, from the socket's own address and port. */
    l4t_rec rl;
    l4t_rec_init(&rl, sim);
    listener(p.a, 9, &rl);
    assert_int_equal(viv_udp_send(s, "", 0), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(rl.nrx, 1);
    assert_int_equal(rl.rx[0].len, 0);
    assert_int_equal(rl.rx[0].flags, 0);
    assert_int_equal(rl.rx[0].from.ip, L4T_A);
    assert_int_equal(rl.rx[0].from.port, local.port);
    assert_int_equal(rl.rx[0].t, t0 + VIV_MS(1));
    assert_int_equal(viv_udp_error(s), 0);
}

/* ---- connected sockets ------------------------------------------------------------------ */

/* sendto with an address on a connected socket goes there (Linux; BSD says EISCONN), and
 * leaves the connection as it was: the answer from that address is filtered. */
static void test_udp_audit__sendto_elsewhere_on_a_connected_socket(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_lan lan;
    l4t_lan_build(&lan, sim, 3);
    l4t_rec r1, r2, rs;
    l4t_rec_init(&r1, sim);
    l4t_rec_init(&r2, sim);
    l4t_rec_init(&rs, sim);
    viv_udp_t *s1 = listener(lan.h[1], 7, &r1), *s2 = listener(lan.h[2], 7, &r2);
    (void)s1;
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, lan.h[0], NULL, l4t_cb, &rs), 0);
    viv_sockaddr_t p1 = l4t_sa(L4T_LAN_IP(1), 7), p2 = l4t_sa(L4T_LAN_IP(2), 7), peer, local;
    assert_int_equal(viv_udp_connect(s, &p1), 0);
    assert_int_equal(viv_udp_sendto(s, "two", 3, &p2), 3);
    assert_int_equal(viv_udp_peer(&peer, s), 0);
    assert_int_equal(peer.ip, L4T_LAN_IP(1));
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(r1.nrx, 0);
    assert_int_equal(r2.nrx, 1);
    assert_int_equal(viv_udp_local(&local, s), 0);
    assert_int_equal(viv_udp_sendto(s2, "ans", 3, &local), 3);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rs.nrx, 0);
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_host_udp_stats(&hs, lan.h[0]), 0);
    assert_int_equal(hs.rx_filtered, 1);
    assert_int_equal(hs.rx_no_port, 1);
}

/* ---- closing -------------------------------------------------------------------------- */

/* Freeing a socket with datagrams queued drops them: a new socket on the same port hears
 * only what arrives after it, and the host's records are all given back (the fixture checks
 * for leaks). */
static void test_udp_audit__a_port_freed_with_data_queued_starts_empty(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec r1, r2;
    l4t_rec_init(&r1, sim);
    l4t_rec_init(&r2, sim);
    r1.drain = 0;
    viv_udp_t *rx = listener(p.b, 7, &r1);
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t dst = l4t_sa(L4T_B, 7);
    assert_int_equal(viv_udp_sendto(tx, "old", 3, &dst), 3);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_peek_len(rx), 3);
    const uint32_t calls = r1.calls;
    viv_udp_free(rx);
    listener(p.b, 7, &r2);
    assert_int_equal(viv_udp_sendto(tx, "new", 3, &dst), 3);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(r1.calls, calls);
    assert_int_equal(r2.nrx, 1);
    assert_memory_equal(r2.rx[0].bytes, "new", 3);
}

/* ---- netstat ------------------------------------------------------------------------------- */

/* netstat of a socket connected on a multi-homed host shows the address connect chose, the
 * peer, ESTABLISHED and the payload bytes waiting; after a reconnect, the new ones. */
static void test_udp_audit__netstat_rows_follow_connect(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    mh t;
    mh_build(&t, sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, t.m, NULL, NULL, NULL), 0);
    viv_sockaddr_t to_b = l4t_sa(MH_B, 7), to_c = l4t_sa(MH_C, 7), local;
    assert_int_equal(viv_udp_connect(s, &to_b), 0);
    assert_int_equal(viv_udp_local(&local, s), 0);
    viv_sock_info row;
    assert_int_equal(viv_host_netstat(t.m, &row, 1), 1);
    assert_int_equal(row.proto, VIV_SOCK_UDP);
    assert_int_equal(row.local.ip, MH_M0);
    assert_int_equal(row.local.port, local.port);
    assert_int_equal(row.remote.ip, MH_B);
    assert_int_equal(row.remote.port, 7);
    assert_int_equal(row.state, VIV_TCP_ESTABLISHED);
    assert_string_equal(row.state_name, "ESTABLISHED");
    assert_int_equal(viv_udp_connect(s, &to_c), 0);
    /* c answers: 5 bytes wait. */
    viv_udp_t *tc;
    assert_int_equal(viv_udp_new(&tc, t.c, NULL, NULL, NULL), 0);
    viv_sockaddr_t c7 = l4t_sa(VIV_IP4_ANY, 7), back = l4t_sa(MH_M1, local.port);
    assert_int_equal(viv_udp_bind(tc, &c7), 0);
    assert_int_equal(viv_udp_sendto(tc, "hello", 5, &back), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_host_netstat(t.m, &row, 1), 1);
    assert_int_equal(row.local.ip, MH_M1);
    assert_int_equal(row.remote.ip, MH_C);
    assert_int_equal(row.recv_q, 5);
    assert_int_equal(row.send_q, 0);
    assert_int_equal(viv_udp_connect(s, NULL), 0);
    assert_int_equal(viv_host_netstat(t.m, &row, 1), 1);
    assert_int_equal(row.local.ip, VIV_IP4_ANY);
    assert_int_equal(row.remote.ip, VIV_IP4_ANY);
    assert_int_equal(row.remote.port, 0);
    assert_int_equal(row.state, VIV_TCP_CLOSED);
    assert_string_equal(row.state_name, "");
    assert_int_equal(row.recv_q, 5);
}

#define T(f) cmocka_unit_test_setup_teardown(f, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_udp_audit__unbound_source_follows_the_outgoing_interface),
        T(test_udp_audit__reconnect_takes_the_new_routes_source),
        T(test_udp_audit__connect_keeps_an_address_the_program_bound),
        T(test_udp_audit__send_from_a_removed_address_fails),
        T(test_udp_audit__loopback_net_never_leaves_the_host),
        T(test_udp_audit__connected_to_own_address),
        T(test_udp_audit__sendto_elsewhere_on_a_connected_socket),
        T(test_udp_audit__a_port_freed_with_data_queued_starts_empty),
        T(test_udp_audit__netstat_rows_follow_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
