/* The trace subscription: every drop carries its reason and matches the counter of the place
 * that dropped it; frames sent and received match the ports' counters; ARP, MAC-table,
 * socket and address-conflict records say what changed. */
#include "viv_test.h"

#include <stdlib.h>
#include <string.h>

#define MAXREC 4096

typedef struct log {
    viv_trace_record r[MAXREC];
    uint8_t first_byte[MAXREC];
    size_t n;
    viv_sim_t *sim;
} log_t;

static void on_rec(const viv_trace_record *rec, void *user)
{
    log_t *l = user;
    /* The callback may read the simulation: the record's time is the clock's. */
    assert_int_equal(rec->time, viv_sim_now(l->sim));
    if (l->n < MAXREC) {
        l->r[l->n] = *rec;
        l->first_byte[l->n] = rec->frame && rec->frame_len ? rec->frame[0] : 0;
        l->r[l->n].frame = NULL; /* valid during the call only */
        l->n++;
    }
}

static size_t count(const log_t *l, viv_trace_kind kind, viv_drop_reason why)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->r[i].kind == kind && (kind != VIV_TRACE_FRAME_DROP || l->r[i].reason == why))
            n++;
    return n;
}

static log_t *log_new(viv_sim_t *sim)
{
    log_t *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    l->sim = sim;
    assert_int_equal(viv_sim_trace(sim, on_rec, l), 0);
    return l;
}

/* a - r - b: two subnets joined by a router; b's side is a switch. */
typedef struct net {
    viv_host_t *a, *b, *r;
    viv_switch_t *sw;
    viv_link_t *la, *lr, *lb;
} net;

static void net_build(net *n, viv_sim_t *sim, const viv_link_params *lp_a)
{
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "a";
    assert_int_equal(viv_host_new(&n->a, sim, &ho), 0);
    ho.name = "b";
    assert_int_equal(viv_host_new(&n->b, sim, &ho), 0);
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "r";
    assert_int_equal(viv_router_new(&n->r, sim, 2, &ro), 0);
    assert_int_equal(viv_switch_new(&n->sw, sim, 2, NULL), 0);
    assert_int_equal(viv_host_add_iface(n->a, NULL), 0);
    assert_int_equal(viv_host_add_iface(n->b, NULL), 0);
    assert_int_equal(
        viv_link_new(&n->la, sim, viv_host_port(n->a, 0), viv_host_port(n->r, 0), lp_a), 0);
    assert_int_equal(
        viv_link_new(&n->lr, sim, viv_host_port(n->r, 1), viv_switch_port(n->sw, 0), NULL), 0);
    assert_int_equal(
        viv_link_new(&n->lb, sim, viv_host_port(n->b, 0), viv_switch_port(n->sw, 1), NULL), 0);
    assert_int_equal(viv_host_add_addr(n->a, 0, VIV_IP4(10, 0, 1, 2), 24), 0);
    assert_int_equal(viv_host_add_addr(n->r, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(n->r, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(n->b, 0, VIV_IP4(10, 0, 2, 2), 24), 0);
    assert_int_equal(viv_host_set_gateway(n->a, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(n->b, VIV_IP4(10, 0, 2, 1)), 0);
}

static void test_trace__frames_sent_and_received_match_the_ports(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    net n;
    net_build(&n, sim, NULL);
    log_t *l = log_new(sim);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    assert_int_equal(viv_ping_start(NULL, n.a, VIV_IP4(10, 0, 2, 2), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    uint64_t tx = 0, rx = 0;
    viv_port_t *ports[] = {viv_host_port(n.a, 0), viv_host_port(n.r, 0), viv_host_port(n.r, 1),
                           viv_switch_port(n.sw, 0), viv_switch_port(n.sw, 1),
                           viv_host_port(n.b, 0)};
    for (size_t i = 0; i < 6; i++) {
        viv_port_stats_t ps;
        assert_int_equal(viv_port_stats(&ps, ports[i]), 0);
        tx += ps.tx_frames;
        rx += ps.rx_frames;
    }
    assert_true(tx > 10);
    assert_int_equal(count(l, VIV_TRACE_FRAME_TX, 0), tx);
    assert_int_equal(count(l, VIV_TRACE_FRAME_RX, 0), rx);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, 0) + count(l, VIV_TRACE_ARP, 0) +
                         count(l, VIV_TRACE_MAC, 0) + count(l, VIV_TRACE_FRAME_TX, 0) +
                         count(l, VIV_TRACE_FRAME_RX, 0),
                     l->n);
    /* ARP: a, r and b each resolved (INCOMPLETE then REACHABLE on the asking side, REACHABLE
     * learned on the answering side); the switch learned r's and b's stations. */
    size_t incomplete = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->r[i].kind == VIV_TRACE_ARP && l->r[i].state == VIV_ARP_INCOMPLETE)
            incomplete++;
    assert_int_equal(incomplete, 2); /* a for r, r for b */
    assert_int_equal(count(l, VIV_TRACE_MAC, 0), 2);
    viv_sim_trace(sim, NULL, NULL);
    free(l);
}

/* The new user's voice packets lost in the ARP queue, not on the wire: the reason says so. */
static void test_trace__packets_lost_in_the_arp_queue_say_so(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    net n;
    net_build(&n, sim, NULL);
    log_t *l = log_new(sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, n.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t dst = {VIV_IP4(10, 0, 1, 9), 4000}; /* on a's subnet, nobody there */
    for (int i = 0; i < 5; i++)
        assert_int_equal(viv_udp_sendto(s, "voice", 5, &dst), 5);
    /* The ARP queue holds 3: the two oldest were pushed out at once, inside sendto. */
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_ARP_QUEUE), 2);
    assert_int_equal(viv_sim_run(sim), 0);
    /* Resolution failed: the three that waited are dropped for that. */
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_NO_ARP), 3);
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, n.a), 0);
    assert_int_equal(st.drop_arp, 5);
    for (size_t i = 0; i < l->n; i++)
        if (l->r[i].kind == VIV_TRACE_FRAME_DROP && l->r[i].reason == VIV_DROP_ARP_QUEUE) {
            assert_ptr_equal(l->r[i].node, viv_host_node(n.a));
            assert_int_equal(l->r[i].port, 0);
            assert_int_equal(l->first_byte[i], 0x45); /* an IPv4 packet, header first */
        }
    assert_string_equal(viv_drop_reason_name(VIV_DROP_ARP_QUEUE), "ARP queue full");
    viv_sim_trace(sim, NULL, NULL);
    free(l);
}

static void test_trace__every_link_drop_has_its_reason(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000; /* slow: a burst fills the queue */
    lp.queue_frames = 2;
    net n;
    net_build(&n, sim, &lp);
    /* Resolve first, untraced. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    assert_int_equal(viv_ping_start(NULL, n.a, VIV_IP4(10, 0, 2, 2), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    log_t *l = log_new(sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, n.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t dst = {VIV_IP4(10, 0, 2, 2), 4000};
    for (int i = 0; i < 10; i++) /* one transmits, two wait, seven find the queue full */
        assert_int_equal(viv_udp_sendto(s, "x", 1, &dst), 1);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_link_stats_t ls;
    assert_int_equal(viv_link_stats(&ls, n.la, VIV_LINK_AB), 0);
    assert_int_equal(ls.drop_queue, 7);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_QUEUE_FULL), 7);
    /* b has no socket on the port: port unreachable, traced at b. */
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_NO_PORT), 3);
    /* Loss, then a cut. */
    assert_int_equal(viv_link_set_loss(n.la, VIV_LINK_AB, 1.0), 0);
    assert_int_equal(viv_udp_sendto(s, "x", 1, &dst), 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_LOSS), 1);
    assert_int_equal(viv_link_set_up(n.la, VIV_LINK_AB, 0), 0);
    assert_int_equal(viv_udp_sendto(s, "x", 1, &dst), 1);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_CUT), 1);
    for (size_t i = 0; i < l->n; i++)
        if (l->r[i].kind == VIV_TRACE_FRAME_DROP && l->r[i].reason == VIV_DROP_CUT) {
            assert_ptr_equal(l->r[i].link, n.la);
            assert_int_equal(l->r[i].dir, VIV_LINK_AB);
            assert_null(l->r[i].node);
        }
    /* A node switched off drops what reaches it. */
    assert_int_equal(viv_link_set_up(n.la, VIV_LINK_AB, 1), 0);
    assert_int_equal(viv_link_set_loss(n.la, VIV_LINK_AB, 0.0), 0);
    assert_int_equal(viv_node_set_up(viv_host_node(n.r), 0), 0);
    assert_int_equal(viv_udp_sendto(s, "x", 1, &dst), 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_NODE_DOWN), 1);
    viv_sim_trace(sim, NULL, NULL);
    free(l);
}

static void test_trace__router_drops_and_socket_events(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    net n;
    net_build(&n, sim, NULL);
    log_t *l = log_new(sim);
    viv_udp_opts uo = VIV_UDP_OPTS_INIT;
    uo.ttl = 1;
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, n.a, &uo, NULL, NULL), 0);
    viv_sockaddr_t dst = {VIV_IP4(10, 0, 2, 2), 4000};
    assert_int_equal(viv_udp_sendto(s, "x", 1, &dst), 1);
    viv_sockaddr_t nowhere = {VIV_IP4(192, 0, 2, 1), 4000};
    viv_udp_t *s2;
    assert_int_equal(viv_udp_new(&s2, n.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_sendto(s2, "x", 1, &nowhere), 1); /* the router has no route */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_TTL), 1);
    assert_int_equal(count(l, VIV_TRACE_FRAME_DROP, VIV_DROP_NO_ROUTE), 1);
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, n.r), 0);
    assert_int_equal(st.drop_ttl, 1);
    assert_int_equal(st.drop_no_route, 1);
    /* Socket events: WRITABLE at creation for both. */
    size_t sock = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->r[i].kind == VIV_TRACE_SOCKET) {
            assert_true(l->r[i].socket == s || l->r[i].socket == s2);
            assert_ptr_equal(l->r[i].node, viv_host_node(n.a));
            sock++;
        }
    assert_int_equal(sock, 2);
    assert_string_equal(viv_trace_kind_name(VIV_TRACE_SOCKET), "socket");
    assert_string_equal(viv_drop_reason_name((viv_drop_reason)999), "unknown");
    assert_int_equal(viv_sim_trace(NULL, on_rec, NULL), VIV_EINVAL);
    viv_sim_trace(sim, NULL, NULL);
    free(l);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_trace__frames_sent_and_received_match_the_ports),
        T(test_trace__packets_lost_in_the_arp_queue_say_so),
        T(test_trace__every_link_drop_has_its_reason),
        T(test_trace__router_drops_and_socket_events),
    };
#undef T
    return cmocka_run_group_tests_name("trace/trace", tests, NULL, NULL);
}
