/* Audit of TCP over routed paths and of its determinism: path MTU discovery through a router
 * whose next link is narrower (RFC 1191), a route that changes under a connection (to a
 * narrower interface, removed then restored), ICMP errors from real routers (a routing loop's
 * time exceeded, net unreachable: soft errors, RFC 1122 4.2.3.9), the source address of a
 * multi-homed host (the outgoing interface's, or the bound one; a wildcard listener answers
 * from the address the SYN was sent to), and that an unrelated component elsewhere changes
 * nothing in a connection's ISNs, ports and losses. */
#include "tcp_peer.h"

#include <pthread.h>

#include "vivarium/router.h"
#include "vivarium/switch.h"

#define RA VIV_IP4(10, 0, 0, 1)    /* a's eth0 */
#define RA2 VIV_IP4(10, 0, 2, 1)   /* a's eth1 (multi-homed net) */
#define RB VIV_IP4(10, 0, 1, 2)    /* b */
#define R1A VIV_IP4(10, 0, 0, 254) /* r1 on a's eth0 net */
#define R2A VIV_IP4(10, 0, 2, 254) /* r2 on a's eth1 net */
#define NB VIV_IP4(10, 0, 1, 0)    /* b's net */

static viv_host_t *rt_router(viv_sim_t *sim, const char *name)
{
    viv_host_t *r = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_router_new(&r, sim, 0, &o), 0);
    return r;
}

static void rt_iface(viv_host_t *h, uint32_t idx, viv_ip4_t ip, uint32_t mtu)
{
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    io.mtu = mtu;
    assert_int_equal(viv_host_add_iface(h, &io), (int)idx);
    assert_int_equal(viv_host_add_addr(h, idx, ip, 24), 0);
}

static viv_link_t *rt_link(viv_sim_t *sim, viv_port_t *x, viv_port_t *y)
{
    viv_link_t *l = NULL;
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = TT_DELAY;
    assert_int_equal(viv_link_new(&l, sim, x, y, &p), 0);
    return l;
}

static void rt_tunables(viv_sim_t *sim)
{
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
    t.sack = t.timestamps = t.window_scaling = 0;
    t.cc = &viv_tcp_cc_newreno;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
}

/* a (10.0.0.1) - r1 - [10.0.9.0/24, MTU mtu] - r2 - b (10.0.1.2): the narrow link is one
 * neither end is on, so only ICMP tells a about it. */
typedef struct chain {
    viv_host_t *r1, *r2;
    viv_link_t *l_a, *l_mid, *l_b;
} chain;

static void chain_build(tt_world *w, chain *c, viv_sim_t *sim, uint32_t mtu)
{
    memset(w, 0, sizeof(*w));
    memset(c, 0, sizeof(*c));
    w->sim = sim;
    w->a = tt_host(sim, "a", RA);
    w->b = tt_host(sim, "b", RB);
    c->r1 = rt_router(sim, "r1");
    c->r2 = rt_router(sim, "r2");
    rt_iface(c->r1, 0, R1A, 0);
    rt_iface(c->r1, 1, VIV_IP4(10, 0, 9, 1), mtu);
    rt_iface(c->r2, 0, VIV_IP4(10, 0, 9, 2), mtu);
    rt_iface(c->r2, 1, VIV_IP4(10, 0, 1, 254), 0);
    c->l_a = rt_link(sim, viv_host_port(w->a, 0), viv_host_port(c->r1, 0));
    c->l_mid = rt_link(sim, viv_host_port(c->r1, 1), viv_host_port(c->r2, 0));
    c->l_b = rt_link(sim, viv_host_port(c->r2, 1), viv_host_port(w->b, 0));
    assert_int_equal(viv_host_set_gateway(w->a, R1A), 0);
    assert_int_equal(viv_host_set_gateway(w->b, VIV_IP4(10, 0, 1, 254)), 0);
    assert_int_equal(viv_host_route_add(c->r1, NB, 24, VIV_IP4(10, 0, 9, 2), -1, 0), 0);
    assert_int_equal(
        viv_host_route_add(c->r2, VIV_IP4(10, 0, 0, 0), 24, VIV_IP4(10, 0, 9, 1), -1, 0), 0);
    rt_tunables(sim);
    assert_int_equal(viv_sim_trace(sim, tt_trace, w), 0);
}

/* Multi-homed a: eth0 10.0.0.1 to r1 (10.0.0.254), eth1 10.0.2.1 (MTU mtu2) to r2
 * (10.0.2.254); r1 (10.0.1.254), r2 (10.0.1.253) and b (10.0.1.2) share a switch. b's
 * gateway is r1, which reaches 10.0.2.0/24 through r2; r2 reaches 10.0.0.0/24 through r1.
 * a's route to b's net is the caller's. */
typedef struct dual {
    viv_host_t *r1, *r2;
    viv_switch_t *sw;
    viv_link_t *l_a0, *l_a1;
} dual;

static void dual_build(tt_world *w, dual *d, viv_sim_t *sim, uint32_t mtu2)
{
    memset(w, 0, sizeof(*w));
    memset(d, 0, sizeof(*d));
    w->sim = sim;
    w->a = tt_host(sim, "a", RA);
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    io.mtu = mtu2;
    assert_int_equal(viv_host_add_iface(w->a, &io), 1);
    assert_int_equal(viv_host_add_addr(w->a, 1, RA2, 24), 0);
    w->b = tt_host(sim, "b", RB);
    d->r1 = rt_router(sim, "r1");
    d->r2 = rt_router(sim, "r2");
    rt_iface(d->r1, 0, R1A, 0);
    rt_iface(d->r1, 1, VIV_IP4(10, 0, 1, 254), 0);
    rt_iface(d->r2, 0, R2A, mtu2);
    rt_iface(d->r2, 1, VIV_IP4(10, 0, 1, 253), 0);
    assert_int_equal(viv_switch_new(&d->sw, sim, 3, NULL), 0);
    d->l_a0 = rt_link(sim, viv_host_port(w->a, 0), viv_host_port(d->r1, 0));
    d->l_a1 = rt_link(sim, viv_host_port(w->a, 1), viv_host_port(d->r2, 0));
    rt_link(sim, viv_host_port(d->r1, 1), viv_switch_port(d->sw, 0));
    rt_link(sim, viv_host_port(d->r2, 1), viv_switch_port(d->sw, 1));
    rt_link(sim, viv_host_port(w->b, 0), viv_switch_port(d->sw, 2));
    assert_int_equal(viv_host_set_gateway(w->b, VIV_IP4(10, 0, 1, 254)), 0);
    assert_int_equal(
        viv_host_route_add(d->r1, VIV_IP4(10, 0, 2, 0), 24, VIV_IP4(10, 0, 1, 253), -1, 0), 0);
    assert_int_equal(
        viv_host_route_add(d->r2, VIV_IP4(10, 0, 0, 0), 24, VIV_IP4(10, 0, 1, 254), -1, 0), 0);
    rt_tunables(sim);
    assert_int_equal(viv_sim_trace(sim, tt_trace, w), 0);
}

static viv_tcp_info rt_info(viv_tcp_t *s)
{
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, s), 0);
    return ti;
}

static viv_ip_stats_t rt_ipst(viv_host_t *h)
{
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, h), 0);
    return st;
}

#define NDATA 20000u
static uint8_t g_data[NDATA];

/* a connects to b:80 and sends NDATA bytes; returns a's socket, *child b's. */
static tt_sock *rt_transfer_start(tt_world *w, viv_ip4_t to, tt_sock **srv)
{
    tt_pattern(g_data, sizeof g_data, 7);
    tt_sock *l = tt_listen(w, w->b, 80, NULL, 0);
    l->accept = 1;
    tt_sock *k = tt_connect(w, w->a, to, 80, NULL);
    k->tx = g_data;
    k->ntx = sizeof g_data;
    *srv = l;
    return k;
}

/* RFC 1191 through real routers: r1 cannot forward a 1500-byte segment onto the 1000-byte
 * link; it answers each with fragmentation needed (next-hop MTU 1000) and a lowers its MSS
 * to 960, sends again what was in flight in 960-byte segments, and the stream arrives whole,
 * with no timeout and no congestion response (a smaller path is not a loss of congestion). */
static void test_tcp_audit_routed__pmtud_through_routers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    chain c;
    chain_build(&w, &c, sim, 1000);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
    assert_int_equal(l->nchildren, 1);
    tt_sock *ch = l->children[0];
    assert_int_equal(ch->nrx, NDATA);
    assert_memory_equal(ch->rx, g_data, NDATA);
    viv_tcp_info ti = rt_info(k->s);
    assert_int_equal(ti.snd_mss, 960);
    assert_int_equal(ti.timeouts, 0);
    assert_int_equal(ti.fast_retransmits, 0);
    assert_int_equal(ti.ssthresh, UINT32_MAX);
    /* b announced 1460 (its own link is 1500): a's first flight is ten 1460-byte segments
     * (IW 10), each refused by r1; every data segment after them is at most 960. */
    size_t ndata = 0;
    for (size_t i = 0; i < w.nseg; i++) {
        const tt_seg *g = &w.seg[i];
        if (g->from != 0 || g->len == 0)
            continue;
        if (ndata < 10)
            assert_int_equal(g->len, 1460);
        else
            assert_true(g->len <= 960);
        ndata++;
    }
    viv_ip_stats_t r1 = rt_ipst(c.r1);
    assert_int_equal(r1.drop_too_big, 10);
    assert_int_equal(r1.icmp_errors_tx, 10);
    assert_int_equal(rt_ipst(c.r2).drop_too_big, 0);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* A route change moves an established connection onto a narrower interface (eth1, MTU
 * 1000). The connection keeps its source address (10.0.0.1: RFC 9293 3.9.1.1, the 4-tuple
 * names the connection) and its segments must fit the new interface: a host knows its own
 * interface's MTU without ICMP (RFC 1191 3: the PMTU starts at the first hop's MTU, and is
 * never above it), so the stream goes on in segments of at most 960 bytes. */
static void test_tcp_audit_routed__route_change_to_narrower_iface(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    dual d;
    dual_build(&w, &d, sim, 1000);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R1A, -1, 0), 0);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    /* established, and the first flight (IW 10 at b's 1460 MSS) received */
    while (l->nchildren == 0 || l->children[0]->nrx == 0)
        assert_int_equal(viv_sim_run_for(sim, VIV_US(100)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    tt_sock *ch = l->children[0];
    assert_true(ch->nrx > 0 && ch->nrx < NDATA);
    size_t before = w.nseg;
    assert_int_equal(viv_host_route_del(w.a, NB, 24), 1);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R2A, -1, 0), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
    assert_int_equal(ch->nrx, NDATA);
    assert_memory_equal(ch->rx, g_data, NDATA);
    assert_int_equal(viv_tcp_error(k->s), 0);
    viv_sockaddr_t la, pa;
    assert_int_equal(viv_tcp_local(&la, k->s), 0);
    assert_int_equal(la.ip, RA);
    assert_int_equal(viv_tcp_peer(&pa, ch->s), 0);
    assert_int_equal(pa.ip, RA);
    assert_int_equal(l->nchildren, 1);
    for (size_t i = before; i < w.nseg; i++)
        if (w.seg[i].from == 0)
            assert_true(w.seg[i].len <= 960);
    assert_int_equal(rt_ipst(w.a).drop_too_big, 0);
    assert_int_equal(rt_info(k->s).snd_mss, 960);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* A multi-homed host connecting without bind takes the address of the interface its route to
 * the peer leaves by (RFC 1122 3.3.4.3, RFC 1812 4.2.2.12's rule for a host): 10.0.2.1 on
 * eth1, not the first interface's 10.0.0.1; b sees that address, and the stream (out by r2,
 * back by r1: an asymmetric path) arrives whole. */
static void test_tcp_audit_routed__multihomed_source_from_route(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    dual d;
    dual_build(&w, &d, sim, 0);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R2A, -1, 0), 0);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    viv_sockaddr_t la, pa;
    assert_int_equal(viv_tcp_local(&la, k->s), 0);
    assert_int_equal(la.ip, RA2);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_int_equal(l->nchildren, 1);
    tt_sock *ch = l->children[0];
    assert_int_equal(ch->nrx, NDATA);
    assert_memory_equal(ch->rx, g_data, NDATA);
    assert_int_equal(viv_tcp_peer(&pa, ch->s), 0);
    assert_int_equal(pa.ip, RA2);
    assert_int_equal(pa.port, la.port);
    assert_int_equal(viv_tcp_local(&la, ch->s), 0);
    assert_int_equal(la.ip, RB);
    assert_int_equal(rt_ipst(d.r2).ip_forwarded, 24); /* out by r2 (the run's exact count) */
    assert_int_equal(rt_info(k->s).timeouts, 0);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* Bound to eth0's address, connected through a route by eth1: the source stays the bound
 * address (RFC 1122 3.3.4.2: a host may send from any of its addresses by any interface);
 * b answers it through r1, the stream arrives, and the SYN left by r2. */
static void test_tcp_audit_routed__bound_addr_other_iface(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    dual d;
    dual_build(&w, &d, sim, 0);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R2A, -1, 0), 0);
    tt_pattern(g_data, sizeof g_data, 9);
    tt_sock *l = tt_listen(&w, w.b, 80, NULL, 0);
    l->accept = 1;
    tt_sock *k = tt_sock_new(&w);
    assert_int_equal(viv_tcp_new(&k->s, w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t ba = tt_sa(RA, 0);
    assert_int_equal(viv_tcp_bind(k->s, &ba), 0);
    viv_sockaddr_t to = tt_sa(RB, 80);
    assert_int_equal(viv_tcp_connect(k->s, &to), VIV_EINPROGRESS);
    k->tx = g_data;
    k->ntx = sizeof g_data;
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_int_equal(l->nchildren, 1);
    tt_sock *ch = l->children[0];
    assert_int_equal(ch->nrx, NDATA);
    assert_memory_equal(ch->rx, g_data, NDATA);
    viv_sockaddr_t la, pa;
    assert_int_equal(viv_tcp_local(&la, k->s), 0);
    assert_int_equal(la.ip, RA);
    assert_int_equal(viv_tcp_peer(&pa, ch->s), 0);
    assert_int_equal(pa.ip, RA);
    assert_int_equal(pa.port, la.port);
    /* every segment a sent went by r2 (r1 forwarded b's only) */
    assert_int_equal(rt_ipst(d.r1).ip_forwarded + rt_ipst(d.r2).ip_forwarded,
                     rt_ipst(w.a).ip_sent + rt_ipst(w.b).ip_sent);
    assert_int_equal(rt_ipst(d.r2).ip_forwarded, rt_ipst(w.a).ip_sent);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* A listener on the wildcard answers from the address the SYN was sent to (RFC 9293 3.10.7.2:
 * the connection's local address is the SYN's destination), 10.0.2.1 on eth1, though a's
 * route back to b leaves by eth0 (10.0.0.1). */
static void test_tcp_audit_routed__wildcard_listener_answers_from_syn_dst(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    dual d;
    dual_build(&w, &d, sim, 0);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R1A, -1, 0), 0);
    tt_sock *l = tt_listen(&w, w.a, 80, NULL, 0);
    l->accept = 1;
    tt_sock *k = tt_connect(&w, w.b, RA2, 80, NULL);
    static const char msg[] = "to eth1";
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(l->nchildren, 1);
    tt_sock *ch = l->children[0];
    assert_int_equal(viv_tcp_send(k->s, msg, sizeof msg), (int)sizeof msg);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(ch->nrx, sizeof msg);
    viv_sockaddr_t la;
    assert_int_equal(viv_tcp_local(&la, ch->s), 0);
    assert_int_equal(la.ip, RA2);
    assert_int_equal(la.port, 80);
    /* one SYN, no retransmission: the SYN-ACK came from the right address at once */
    assert_int_equal(rt_info(k->s).retransmits, 0);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* The route to the peer removed mid-transfer (sends fail locally: no route), then restored
 * 2 s later: the connection neither fails nor changes its address, and the stream completes
 * (RFC 1122 4.2.3.5: only R2 ends a connection). */
static void test_tcp_audit_routed__route_removed_then_restored(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    dual d;
    dual_build(&w, &d, sim, 0);
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R1A, -1, 0), 0);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    while (l->nchildren == 0 || l->children[0]->nrx == 0)
        assert_int_equal(viv_sim_run_for(sim, VIV_US(100)), 0);
    tt_sock *ch = l->children[0];
    assert_int_equal(viv_host_route_del(w.a, NB, 24), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_true(ch->nrx < NDATA);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(rt_ipst(w.a).drop_no_route, 7); /* refused at a in the 2 s (exact) */
    assert_int_equal(viv_host_route_add(w.a, NB, 24, R1A, -1, 0), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(60)), 0);
    assert_int_equal(ch->nrx, NDATA);
    assert_memory_equal(ch->rx, g_data, NDATA);
    assert_int_equal(viv_tcp_error(k->s), 0);
    viv_sockaddr_t la;
    assert_int_equal(viv_tcp_local(&la, k->s), 0);
    assert_int_equal(la.ip, RA);
    assert_int_equal(l->nchildren, 1);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* A routing loop between r1 and r2 for 10.0.5.0/24: the SYN circles until its TTL runs out
 * and a router answers time exceeded: a soft error (RFC 1122 4.2.3.9, MUST NOT abort), the
 * SYN is retried, and connect reports EHOSTUNREACH instead of ETIMEDOUT when it gives up
 * (1 retry: at 3 s). */
static void test_tcp_audit_routed__routing_loop_time_exceeded_is_soft(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    chain c;
    chain_build(&w, &c, sim, 0);
    assert_int_equal(
        viv_host_route_add(c.r1, VIV_IP4(10, 0, 5, 0), 24, VIV_IP4(10, 0, 9, 2), -1, 0), 0);
    assert_int_equal(
        viv_host_route_add(c.r2, VIV_IP4(10, 0, 5, 0), 24, VIV_IP4(10, 0, 9, 1), -1, 0), 0);
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    t.syn_retries = 1;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    viv_time_t t0 = viv_sim_now(sim);
    tt_sock *k = tt_connect(&w, w.a, VIV_IP4(10, 0, 5, 5), 80, NULL);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(500)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_SYN_SENT);
    assert_int_equal(rt_ipst(w.a).icmp_rx, 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_EHOSTUNREACH);
    assert_int_equal(k->t_error - t0, VIV_S(3));
    assert_int_equal(rt_ipst(w.a).icmp_rx, 2);
    tt_world_free(&w);
}

/* Net unreachable from r1 (its route to b's net removed for 2 s) during an established
 * transfer: a soft error only; the route back, the stream completes and the error is
 * forgotten (an ACK of new data shows the path works): viv_tcp_error 0. */
static void test_tcp_audit_routed__net_unreachable_midstream_is_soft(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    chain c;
    chain_build(&w, &c, sim, 0);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    while (l->nchildren == 0 || l->children[0]->nrx == 0)
        assert_int_equal(viv_sim_run_for(sim, VIV_US(100)), 0);
    tt_sock *ch = l->children[0];
    assert_int_equal(viv_host_route_del(c.r1, NB, 24), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_int_equal(rt_ipst(c.r1).icmp_errors_tx, 7); /* from r1 in the 2 s (exact) */
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_host_route_add(c.r1, NB, 24, VIV_IP4(10, 0, 9, 2), -1, 0), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(60)), 0);
    assert_int_equal(ch->nrx, NDATA);
    assert_int_equal(viv_tcp_error(k->s), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    viv_tcp_close(k->s);
    viv_tcp_close(ch->s);
    viv_tcp_close(l->s);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&w);
}

/* ---- determinism ------------------------------------------------------------------------ */

/* The a-b connection of a run, from the trace: every segment either host sent (time, side,
 * flags, absolute seq and ack, length, ports) and every retransmission. */
#define DET_MAX 3000
typedef struct det_seg {
    viv_time_t t;
    int side;
    uint8_t flags;
    uint32_t seq, ack, len;
    uint16_t lport, rport;
} det_seg;

typedef struct det_run {
    viv_test_alloc al;
    viv_sim_t *sim;
    tt_world *w; /* its sockets; its trace is ours */
    viv_node_t *na, *nb;
    det_seg seg[DET_MAX];
    size_t n;
    uint64_t fp;
} det_run;

static void det_trace(const viv_trace_record *r, void *user)
{
    det_run *d = user;
    if (r->kind != VIV_TRACE_TCP_SEG_TX || (r->node != d->na && r->node != d->nb))
        return;
    assert_true(d->n < DET_MAX);
    det_seg *g = &d->seg[d->n++];
    g->t = r->time;
    g->side = r->node == d->na;
    g->flags = r->tcp_flags;
    g->seq = r->seq;
    g->ack = r->ack;
    g->len = r->seg_len;
    g->lport = r->local.port;
    g->rport = r->remote.port;
}

static uint8_t g_big[200000];

static void det_host_pair(viv_sim_t *sim, const char *n1, const char *n2, viv_host_t **h1,
                          viv_host_t **h2, double loss)
{
    *h1 = tt_host(sim, n1, TT_A);
    *h2 = tt_host(sim, n2, TT_B);
    viv_link_t *l = rt_link(sim, viv_host_port(*h1, 0), viv_host_port(*h2, 0));
    assert_int_equal(viv_link_set_loss(l, VIV_LINK_AB, loss), 0);
    assert_int_equal(viv_link_set_loss(l, VIV_LINK_BA, loss), 0);
}

/* a sends 200 kB to b over a link losing 2% each way. extra: another pair (y, z) made
 * first, with a lossy link and a TCP transfer of its own, and a UDP socket on a bound to an
 * ephemeral port before the connection: nothing of theirs may change a-b's ISNs, ports,
 * losses or times. */
static void det_setup(det_run *d, int extra)
{
    memset(d, 0, sizeof(*d));
    d->sim = viv_test_sim_new(&d->al, 77);
    d->w = calloc(1, sizeof(tt_world));
    assert_non_null(d->w);
    tt_world *w = d->w;
    w->sim = d->sim;
    viv_host_t *y = NULL, *z = NULL;
    if (extra)
        det_host_pair(d->sim, "y", "z", &y, &z, 0.05);
    det_host_pair(d->sim, "a", "b", &w->a, &w->b, 0.02);
    rt_tunables(d->sim);
    d->na = viv_host_node(w->a);
    d->nb = viv_host_node(w->b);
    assert_int_equal(viv_sim_trace(d->sim, det_trace, d), 0);
    if (extra) {
        tt_sock *zl = tt_listen(w, z, 80, NULL, 0);
        zl->accept = 1;
        tt_sock *yk = tt_connect(w, y, TT_B, 80, NULL);
        yk->tx = g_big;
        yk->ntx = 50000;
        viv_udp_t *u;
        assert_int_equal(viv_udp_new(&u, w->a, NULL, NULL, NULL), 0);
        viv_sockaddr_t any = tt_sa(VIV_IP4_ANY, 0);
        assert_int_equal(viv_udp_bind(u, &any), 0);
    }
    tt_sock *l = tt_listen(w, w->b, 80, NULL, 0);
    l->accept = 1;
    tt_sock *k = tt_connect(w, w->a, TT_B, 80, NULL);
    k->tx = g_big;
    k->ntx = sizeof g_big;
    k->shut_after_tx = 1;
}

static void det_finish(det_run *d)
{
    d->fp = viv_sim_fingerprint(d->sim);
    tt_world_free(d->w);
    free(d->w);
    viv_test_sim_free(d->sim, &d->al);
}

/* The stream, written before any run (threads then only read it). */
static void det_data(void)
{
    tt_pattern(g_big, sizeof g_big, 3);
}

static void det_whole(det_run *d, int extra)
{
    det_setup(d, extra);
    assert_int_equal(viv_sim_run_for(d->sim, VIV_S(120)), 0);
    det_finish(d);
}

static void det_same_conn(const det_run *x, const det_run *y)
{
    assert_true(x->n > 200);
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        assert_int_equal(x->seg[i].t, y->seg[i].t);
        assert_int_equal(x->seg[i].side, y->seg[i].side);
        assert_int_equal(x->seg[i].flags, y->seg[i].flags);
        assert_int_equal(x->seg[i].seq, y->seg[i].seq);
        assert_int_equal(x->seg[i].ack, y->seg[i].ack);
        assert_int_equal(x->seg[i].len, y->seg[i].len);
        assert_int_equal(x->seg[i].lport, y->seg[i].lport);
        assert_int_equal(x->seg[i].rport, y->seg[i].rport);
    }
}

/* An unrelated pair with a TCP transfer of its own, made before, and a UDP socket on a with
 * an ephemeral port: a-b's ISNs, ephemeral port, losses (2% each way) and every segment's
 * time are the same (design.md, random streams: a component's draws come from its name). */
static void test_tcp_audit_routed__unrelated_components_change_nothing(void **state)
{
    (void)state;
    det_data();
    det_run *x = calloc(1, sizeof *x), *y = calloc(1, sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    det_whole(x, 0);
    det_whole(y, 1);
    det_same_conn(x, y);
    /* some segments were lost and sent again: the loss draws were compared too */
    size_t rexmit = 0;
    for (size_t i = 1; i < x->n; i++)
        for (size_t j = 0; j < i && x->seg[i].side && x->seg[i].len; j++)
            if (x->seg[j].side && x->seg[j].seq == x->seg[i].seq && x->seg[j].len) {
                rexmit++;
                break;
            }
    assert_true(rexmit >= 3);
    free(x);
    free(y);
}

/* The same program twice, and two simulations stepped in turn in one process: the same
 * fingerprints and connections (no global state). */
static void test_tcp_audit_routed__interleaved_simulations_identical(void **state)
{
    (void)state;
    det_data();
    det_run *x = calloc(1, sizeof *x), *y = calloc(1, sizeof *y);
    det_run *p = calloc(1, sizeof *p), *q = calloc(1, sizeof *q);
    assert_true(x && y && p && q);
    det_whole(x, 1);
    det_whole(y, 1);
    assert_int_equal(x->fp, y->fp);
    det_same_conn(x, y);
    det_whole(p, 0);
    det_setup(q, 0);
    det_run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    det_setup(r, 1);
    viv_time_t end_q = viv_sim_now(q->sim) + VIV_S(120), end_r = viv_sim_now(r->sim) + VIV_S(120);
    int more_q = 1, more_r = 1;
    while (more_q || more_r) {
        if (more_q) {
            viv_time_t nt = viv_sim_next_time(q->sim);
            if (nt == VIV_TIME_NEVER || nt > end_q)
                more_q = 0;
            else
                assert_int_equal(viv_sim_step(q->sim), 1);
        }
        if (more_r) {
            viv_time_t nt = viv_sim_next_time(r->sim);
            if (nt == VIV_TIME_NEVER || nt > end_r)
                more_r = 0;
            else
                assert_int_equal(viv_sim_step(r->sim), 1);
        }
    }
    assert_int_equal(viv_sim_run_until(q->sim, end_q), 0);
    assert_int_equal(viv_sim_run_until(r->sim, end_r), 0);
    det_finish(q);
    det_finish(r);
    assert_int_equal(q->fp, p->fp);
    det_same_conn(q, p);
    assert_int_equal(r->fp, x->fp);
    det_same_conn(r, x);
    free(x);
    free(y);
    free(p);
    free(q);
    free(r);
}

static void *det_thread(void *arg)
{
    det_whole(arg, 1);
    return NULL;
}

/* Two simulations of the same program in two threads at once: each gives what one alone
 * gives (nothing shared between simulations). */
static void test_tcp_audit_routed__simulations_in_threads_identical(void **state)
{
    (void)state;
    det_data();
    det_run *x = calloc(1, sizeof *x), *p = calloc(1, sizeof *p), *q = calloc(1, sizeof *q);
    assert_true(x && p && q);
    det_whole(x, 1);
    pthread_t tp, tq;
    assert_int_equal(pthread_create(&tp, NULL, det_thread, p), 0);
    assert_int_equal(pthread_create(&tq, NULL, det_thread, q), 0);
    assert_int_equal(pthread_join(tp, NULL), 0);
    assert_int_equal(pthread_join(tq, NULL), 0);
    assert_int_equal(p->fp, x->fp);
    assert_int_equal(q->fp, x->fp);
    det_same_conn(p, x);
    det_same_conn(q, x);
    free(x);
    free(p);
    free(q);
}

/* ---- forged fragmentation needed ------------------------------------------------------- */

/* A fragmentation needed from the device (10.0.0.9) quoting the IPv4 header and first 8 bytes
 * of q, with its sequence number replaced by seq and its destination port by dport (0: as
 * sent). */
static void fn_send(bench *b, const rxseg *q, uint32_t seq, uint16_t dport, uint16_t mtu)
{
    uint8_t quote[28];
    memcpy(quote, q->ip, sizeof quote);
    viv_wr32be(quote + 20 + 4, seq);
    if (dport)
        viv_wr16be(quote + 20 + 2, dport);
    peer_send_icmp(b, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_FRAG_NEEDED, mtu, quote,
                   sizeof quote);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
}

/* RFC 5927 4.1 and RFC 1191: a fragmentation needed is believed only about a segment in
 * flight (SND.UNA <= seq < SND.MAX) of this connection, and only to lower the path MTU, never
 * below 68; anything else changes neither the MSS nor sends a segment. A believed one (576)
 * sends what is in flight again in 536-byte segments. */
static void test_tcp_audit_routed__forged_frag_needed_ignored(void **state)
{
    bench *b = calloc(1, sizeof *b);
    assert_non_null(b);
    bench_build(b, VIV_TEST_SIM(state));
    tt_sock *k = tt_sock_new(&b->w);
    assert_int_equal(viv_tcp_new(&k->s, b->w.a, NULL, tt_sock_cb, k), 0);
    viv_sockaddr_t peer = tt_sa(PEER_IP, 80);
    assert_int_equal(viv_tcp_connect(k->s, &peer), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    assert_int_equal(b->nrx, 1);
    uint32_t iss = b->rx[0].t.seq;
    struct viv__tcp_repr sa;
    memset(&sa, 0, sizeof sa);
    sa.seq = 9000;
    sa.ack = iss + 1;
    sa.flags = VIV__TCP_SYN | VIV__TCP_ACK;
    sa.mss = 1460;
    peer_send(b, &sa, NULL, 80, b->rx[0].t.src_port, 0);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    b->nrx = 0;
    static uint8_t data[3000];
    assert_int_equal(viv_tcp_send(k->s, data, sizeof data), (int)sizeof data);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    assert_int_equal(b->nrx, 3);
    const rxseg q = b->rx[0];
    fn_send(b, &q, iss + 1 + 3000, 0, 1000); /* SND.MAX: never sent */
    fn_send(b, &q, iss, 0, 1000);            /* the SYN, acknowledged */
    fn_send(b, &q, iss + 1 + 3000 + 100000, 0, 1000);
    fn_send(b, &q, iss + 1, 81, 1000); /* another connection's port */
    fn_send(b, &q, iss + 1, 0, 1500);  /* not lower */
    fn_send(b, &q, iss + 1, 0, 9000);
    fn_send(b, &q, iss + 1, 0, 67); /* below RFC 791's 68 */
    fn_send(b, &q, iss + 1, 0, 0);
    assert_int_equal(b->nrx, 3);
    assert_int_equal(rt_info(k->s).snd_mss, 1460);
    fn_send(b, &q, iss + 1 + 1460, 0, 576); /* the second segment: in flight */
    assert_int_equal(rt_info(k->s).snd_mss, 536);
    assert_int_equal(b->nrx, 3 + 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(b->rx[3 + i].t.seq, iss + 1 + 536 * i);
        assert_int_equal(b->rx[3 + i].t.payload_len, i < 5 ? 536 : 3000 - 5 * 536);
    }
    /* everything acknowledged: an error about the first segment is about the past */
    struct viv__tcp_repr ack;
    memset(&ack, 0, sizeof ack);
    ack.seq = 9001;
    ack.ack = iss + 1 + 3000;
    ack.flags = VIV__TCP_ACK;
    peer_send(b, &ack, NULL, 80, q.t.src_port, 0);
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
    size_t n = b->nrx;
    fn_send(b, &q, iss + 1, 0, 300);
    assert_int_equal(rt_info(k->s).snd_mss, 536);
    assert_int_equal(b->nrx, n);
    tt_world_free(&b->w);
    free(b);
}

static viv_verdict drop_icmp(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                             const viv_frame_info *info, viv_time_t *delay_ns, void *user)
{
    (void)link, (void)dir, (void)frame, (void)len, (void)delay_ns;
    size_t *n = user;
    if (info->ethertype == 0x0800 && info->ip_proto == 1) {
        (*n)++;
        return VIV_VERDICT_DROP;
    }
    return VIV_VERDICT_DELIVER;
}

/* A PMTU black hole (r1's fragmentation needed lost on the way back): PLPMTUD (RFC 4821) is
 * not done (docs/tcp.md), so the MSS stays 1460, every retransmission is refused by r1, and
 * the connection times out after its `retries` (3 here) with nothing delivered. */
static void test_tcp_audit_routed__pmtu_black_hole_times_out(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world w;
    chain c;
    chain_build(&w, &c, sim, 1000);
    size_t dropped = 0;
    assert_int_equal(viv_link_set_intercept(c.l_a, VIV_LINK_BA, drop_icmp, &dropped), 0);
    viv_tcp_tunables t;
    assert_int_equal(viv_host_tcp_tunables_get(&t, w.a), 0);
    t.retries = 3;
    assert_int_equal(viv_host_set_tcp_tunables(w.a, &t), 0);
    tt_sock *l;
    tt_sock *k = rt_transfer_start(&w, RB, &l);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(60)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_CLOSED);
    assert_int_equal(k->err, VIV_ETIMEDOUT);
    assert_int_equal(l->nchildren, 1);
    assert_int_equal(l->children[0]->nrx, 0);
    /* the first flight (10) and three retransmissions of the first segment: all refused */
    assert_int_equal(rt_ipst(c.r1).drop_too_big, 13);
    assert_int_equal(dropped, 13);
    assert_int_equal(rt_info(k->s).snd_mss, 1460);
    tt_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_routed__pmtud_through_routers),
        TT_TEST(test_tcp_audit_routed__forged_frag_needed_ignored),
        TT_TEST(test_tcp_audit_routed__pmtu_black_hole_times_out),
        TT_TEST(test_tcp_audit_routed__route_change_to_narrower_iface),
        TT_TEST(test_tcp_audit_routed__multihomed_source_from_route),
        TT_TEST(test_tcp_audit_routed__bound_addr_other_iface),
        TT_TEST(test_tcp_audit_routed__wildcard_listener_answers_from_syn_dst),
        TT_TEST(test_tcp_audit_routed__route_removed_then_restored),
        TT_TEST(test_tcp_audit_routed__routing_loop_time_exceeded_is_soft),
        TT_TEST(test_tcp_audit_routed__net_unreachable_midstream_is_soft),
        TT_TEST(test_tcp_audit_routed__unrelated_components_change_nothing),
        TT_TEST(test_tcp_audit_routed__interleaved_simulations_identical),
        TT_TEST(test_tcp_audit_routed__simulations_in_threads_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
