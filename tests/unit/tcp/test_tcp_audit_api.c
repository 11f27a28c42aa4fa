/* An audit of the TCP socket API and of a connection's life as a BSD-sockets program sees
 * it: error codes of misuse, what close, abort and shutdown put on the wire, soft errors from
 * ICMP, netstat's timers in each state, callbacks that close sockets, processes and hosts
 * switched off, and freeing a simulation with connections in every state. */
#include "tcp_peer.h"

/* ---- a crafted peer (the device of tcp_peer.h) ------------------------------------------ */

typedef struct seg {
    uint8_t flags;
    uint32_t seq, ack;
    const char *data;
    uint16_t mss; /* 0: none */
    uint16_t sport, dport;
} seg;

static void send_seg(bench *b, const seg *s)
{
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.mss = s->mss;
    peer_send(b, &t, s->data, s->sport ? s->sport : PEER_PORT, s->dport ? s->dport : 80, 0);
}

static void run(bench *b)
{
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
}

/* An ICMP error from the device about segment q the host sent (its IP header and the first
 * 8 bytes of TCP quoted). */
static void send_icmp(bench *b, uint8_t type, uint8_t code, const rxseg *q)
{
    uint8_t buf[128];
    memset(buf, 0, sizeof buf);
    struct viv__icmp_repr m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.code = code;
    m.data = q->ip;
    m.data_len = 28;
    size_t il = viv__icmp_len(&m);
    assert_int_equal(viv__icmp_emit(&m, buf + 34, il), 0);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_ICMP;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)il;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + il), 0);
    struct viv__eth_repr e = {b->host_mac, b->mac, VIV__ETHERTYPE_IPV4};
    viv__eth_emit(&e, buf, 34 + il);
    assert_int_equal(viv_device_send(b->dev, 0, buf, 34 + il < 60 ? 60 : 34 + il), 0);
}

/* The host connects to the device's port 80 and the device completes the handshake (its
 * ISN PEER_ISN); b->iss is the host's ISS. */
static tt_sock *host_established(bench *b, const viv_tcp_opts *o)
{
    tt_sock *k = tt_sock_new(&b->w);
    assert_int_equal(viv_tcp_new(&k->s, b->w.a, o, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    run(b);
    assert_int_equal(b->nrx, 1);
    b->iss = b->rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, b->iss + 1, NULL, 1460, 80,
                  b->rx[0].t.src_port};
    send_seg(b, &synack);
    run(b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    b->nrx = 0;
    return k;
}

/* ---- ICMP soft errors ------------------------------------------------------------------- */

/* A soft error (RFC 1122 4.2.3.9: host unreachable MUST NOT abort) is kept to be reported if
 * the connection then times out. Once the peer acknowledges data the path evidently works:
 * BSD (tcp_xmit_timer) and Linux (tcp_ack) forget the soft error then, and a later timeout
 * is a plain ETIMEDOUT, not the stale error of a transient failure. */
static void test_tcp_audit_api__soft_error_forgotten_after_progress(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.retries = 2;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = host_established(&b, NULL);
    assert_int_equal(viv_tcp_send(k->s, "abc", 3), 3);
    run(&b);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t.payload_len, 3);
    send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_HOST, &b.rx[0]);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    /* The data is acknowledged: the path works. */
    seg ack = {VIV_TCP_ACK, PEER_ISN + 1, b.iss + 4, NULL, 0, 80, b.rx[0].t.src_port};
    send_seg(&b, &ack);
    run(&b);
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, k->s), 0);
    assert_int_equal(ti.snd_una, b.iss + 4);
    /* New data is never acknowledged: the connection gives up after 2 retransmissions. */
    assert_int_equal(viv_tcp_send(k->s, "def", 3), 3);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(30)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    tt_world_free(&b.w);
}

/* The same for an opening: host unreachable about the first SYN, then the SYN-ACK comes
 * (the path works); data later never acknowledged times out as ETIMEDOUT. */
static void test_tcp_audit_api__soft_error_forgotten_when_established(void **state)
{
    bench b;
    bench_build(&b, VIV_TEST_SIM(state));
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, b.w.a), 0);
    t.retries = 2;
    assert_int_equal(viv_host_set_tcp_tunables(b.w.a, &t), 0);
    tt_sock *k = tt_sock_new(&b.w);
    assert_int_equal(viv_tcp_new(&k->s, b.w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    run(&b);
    assert_int_equal(b.nrx, 1);
    send_icmp(&b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_HOST, &b.rx[0]);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    b.iss = b.rx[0].t.seq;
    seg synack = {VIV_TCP_SYN | VIV_TCP_ACK, PEER_ISN, b.iss + 1, NULL, 1460, 80,
                  b.rx[0].t.src_port};
    send_seg(&b, &synack);
    run(&b);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_tcp_send(k->s, "def", 3), 3);
    assert_int_equal(viv_sim_run_for(b.w.sim, VIV_S(30)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    tt_world_free(&b.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_api__soft_error_forgotten_after_progress),
        TT_TEST(test_tcp_audit_api__soft_error_forgotten_when_established),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
