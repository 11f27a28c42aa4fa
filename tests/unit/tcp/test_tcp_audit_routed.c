/* Audit of TCP over routed paths and of its determinism: path MTU discovery through a router
 * whose next link is narrower (RFC 1191), a route that changes under a connection (to a
 * narrower interface, removed then restored), ICMP errors from real routers (a routing loop's
 * time exceeded, net unreachable: soft errors, RFC 1122 4.2.3.9), the source address of a
 * multi-homed host (the outgoing interface's, or the bound one; a wildcard listener answers
 * from the address the SYN was sent to), and that an unrelated component elsewhere changes
 * nothing in a connection's ISNs, ports and losses. */
#include "tcp_test.h"

#include "vivarium/router.h"
#include "vivarium/switch.h"

#define RA VIV_IP4(10, 0, 0, 1)   /* a's eth0 */
#define RA2 VIV_IP4(10, 0, 2, 1)  /* a's eth1 (multi-homed net) */
#define RB VIV_IP4(10, 0, 1, 2)   /* b */
#define R1A VIV_IP4(10, 0, 0, 254) /* r1 on a's eth0 net */
#define R2A VIV_IP4(10, 0, 2, 254) /* r2 on a's eth1 net */
#define NB VIV_IP4(10, 0, 1, 0)   /* b's net */

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
    assert_int_equal(viv_host_route_add(c->r2, VIV_IP4(10, 0, 0, 0), 24, VIV_IP4(10, 0, 9, 1), -1, 0),
                     0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_routed__pmtud_through_routers),
        TT_TEST(test_tcp_audit_routed__route_change_to_narrower_iface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
