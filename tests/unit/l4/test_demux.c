/* The port demultiplexer every transport uses (src/l4/demux.c), driven directly: the lookup
 * order (exact 4-tuple, a wildcard-address connection, the local address and port, the
 * wildcard and port), ties going to the earliest bound, UDP's bind conflict rules, the
 * ephemeral allocator counting a port held in any state, and the table operations that must
 * not fail (disconnecting, removing) or must fail without a trace (binding, connecting). */
#include "viv_test.h"

#include <string.h>

#include "l4/demux.h"
#include "l4/l4.h"

#define IP_A VIV_IP4(10, 0, 0, 1)
#define IP_B VIV_IP4(10, 0, 0, 2) /* a second local address */
#define PEER VIV_IP4(10, 0, 9, 9)
#define PEER2 VIV_IP4(10, 0, 9, 8)

static viv_test_alloc *test_alloc(void **state) { return &((viv_test_fixture *)*state)->alloc; }

/* The holders of a port, in order, as indexes into eps (-1 ends). */
static void port_holders(const viv__demux *d, uint16_t port, const viv__demux_ep *eps,
                         int *out, int cap)
{
    int n = 0;
    for (const viv__demux_ep *e = viv__demux_port_first(d, port); e; e = e->port_next) {
        assert_true(n < cap - 1);
        out[n++] = (int)(e - eps);
    }
    out[n] = -1;
}

static void test_demux__lookup_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    viv__demux_ep ep[5];
    memset(ep, 0, sizeof ep);
    /* ep0: *:53; ep1: A:53; ep2: A:53 connected to PEER:7; ep3: *:53 connected (wildcard
     * local address) to PEER2:7. All may share (reuse_addr). */
    for (int i = 0; i < 4; i++)
        assert_int_equal(viv__demux_bind(sim, &d, &ep[i], (i == 1 || i == 2) ? IP_A : 0, 53, 1),
                         0);
    assert_int_equal(viv__demux_connect(sim, &d, &ep[2], IP_A, 0, PEER, 7), 0);
    assert_int_equal(viv__demux_connect(sim, &d, &ep[3], VIV_IP4_ANY, 0, PEER2, 7), 0);
    assert_int_equal(d.nconn_any, 1);
    assert_int_equal(d.nbound_addr, 1); /* ep1; ep2 is connected */
    /* The exact 4-tuple first. */
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 7), &ep[2]);
    /* Another source port: not the connection; the address-bound socket. */
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 8), &ep[1]);
    /* The wildcard-address connection, before the bound sockets. */
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER2, 7), &ep[3]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 53, PEER2, 7), &ep[3]);
    /* Another local address: the wildcard socket. */
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 53, PEER, 7), &ep[0]);
    /* Another port: nobody. */
    assert_null(viv__demux_lookup(&d, IP_A, 54, PEER, 7));
    /* Take them away one by one: the next in line answers. */
    viv__demux_remove(&d, &ep[2]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 7), &ep[1]);
    viv__demux_remove(&d, &ep[1]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 7), &ep[0]);
    viv__demux_remove(&d, &ep[3]);
    assert_int_equal(d.nconn_any, 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER2, 7), &ep[0]);
    viv__demux_remove(&d, &ep[0]);
    assert_null(viv__demux_lookup(&d, IP_A, 53, PEER, 7));
    assert_false(viv__demux_port_in_use(&d, 53));
    assert_int_equal(d.ports.len + d.bound.len + d.conns.len, 0);
    assert_int_equal(d.nbound + d.nbound_addr + d.nconn_any, 0);
    viv__demux_fini(sim, &d);
}

/* Endpoints sharing a key: the earliest bound wins, whatever the order they connected or
 * disconnected in; the port's holders stay in bind order through every change. */
static void test_demux__ties_go_to_the_earliest_bound(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    viv__demux_ep ep[4];
    memset(ep, 0, sizeof ep);
    for (int i = 0; i < 4; i++)
        assert_int_equal(viv__demux_bind(sim, &d, &ep[i], VIV_IP4_ANY, 5000, 1), 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 1), &ep[0]);
    /* Connected in reverse order to the same peer: ep1 (bound before ep3) wins. */
    assert_int_equal(viv__demux_connect(sim, &d, &ep[3], IP_A, 0, PEER, 1), 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 1), &ep[3]);
    assert_int_equal(viv__demux_connect(sim, &d, &ep[1], IP_A, 0, PEER, 1), 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 1), &ep[1]);
    /* The unconnected: ep0 first, then ep2. */
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 2), &ep[0]);
    viv__demux_remove(&d, &ep[0]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 2), &ep[2]);
    /* ep1 disconnects: back among the unconnected, before ep2. */
    viv__demux_disconnect(&d, &ep[1], VIV_IP4_ANY);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 2), &ep[1]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 1), &ep[3]);
    int order[8];
    port_holders(&d, 5000, ep, order, 8);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 3);
    assert_int_equal(order[3], -1);
    /* Reconnecting re-keys: the old 4-tuple is gone. */
    assert_int_equal(viv__demux_connect(sim, &d, &ep[3], IP_A, 0, PEER2, 9), 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER, 1), &ep[1]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 5000, PEER2, 9), &ep[3]);
    assert_int_equal(d.conns.len, 1);
    for (int i = 1; i < 4; i++)
        viv__demux_remove(&d, &ep[i]);
    viv__demux_remove(&d, &ep[1]); /* already out: nothing */
    assert_int_equal(d.ports.len + d.bound.len + d.conns.len, 0);
    viv__demux_fini(sim, &d);
}

/* UDP's rules, kept from before the demux: addresses overlap when equal or either is the
 * wildcard; overlapping is refused unless both allow reuse_addr; a holder's address is its
 * current one (connect may have chosen it). */
static void test_demux__bind_conflicts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    viv__demux_ep a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_false(viv__demux_bind_conflict(&d, IP_A, 80, 0));
    assert_int_equal(viv__demux_bind(sim, &d, &a, IP_A, 80, 0), 0);
    assert_true(viv__demux_bind_conflict(&d, IP_A, 80, 0));
    assert_true(viv__demux_bind_conflict(&d, IP_A, 80, 1)); /* a does not allow it */
    assert_true(viv__demux_bind_conflict(&d, VIV_IP4_ANY, 80, 0));
    assert_false(viv__demux_bind_conflict(&d, IP_B, 80, 0));
    assert_false(viv__demux_bind_conflict(&d, IP_A, 81, 0));
    viv__demux_remove(&d, &a);
    assert_int_equal(viv__demux_bind(sim, &d, &a, VIV_IP4_ANY, 80, 1), 0);
    assert_true(viv__demux_bind_conflict(&d, IP_B, 80, 0));
    assert_false(viv__demux_bind_conflict(&d, IP_B, 80, 1));
    /* Connected from the wildcard, a's address is now IP_A: IP_B no longer overlaps. */
    assert_int_equal(viv__demux_connect(sim, &d, &a, IP_A, 0, PEER, 1), 0);
    assert_false(viv__demux_bind_conflict(&d, IP_B, 80, 0));
    assert_true(viv__demux_bind_conflict(&d, IP_A, 80, 0));
    /* A connection a listener accepted holds the port too. */
    assert_int_equal(viv__demux_connect(sim, &d, &b, IP_B, 80, PEER2, 2), 0);
    assert_true(viv__demux_bind_conflict(&d, IP_B, 80, 0));
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 80, PEER2, 2), &b);
    assert_int_equal(d.nbound, 1); /* b never bound */
    viv__demux_remove(&d, &a);
    viv__demux_remove(&d, &b);
    viv__demux_fini(sim, &d);
}

/* The ephemeral allocator goes on from its cursor, wraps from 65535 to 49152, and skips a
 * port while any endpoint holds it: bound, connected, or holding it without a bind (an
 * accepted connection, or later an orphan in TIME-WAIT). */
static void test_demux__ephemeral_ports_held_in_any_state(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 65533);
    viv__demux_ep a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    assert_int_equal(viv__demux_bind(sim, &d, &a, IP_A, 65534, 0), 0); /* bound */
    assert_int_equal(viv__demux_bind(sim, &d, &b, VIV_IP4_ANY, 49152, 0), 0);
    assert_int_equal(viv__demux_connect(sim, &d, &b, IP_A, 0, PEER, 1), 0); /* connected */
    assert_int_equal(viv__demux_connect(sim, &d, &c, IP_B, 49153, PEER, 2), 0); /* accepted */
    assert_int_equal(viv__demux_ephemeral(&d), 65533);
    assert_int_equal(viv__demux_ephemeral(&d), 65535); /* 65534 is held */
    assert_int_equal(viv__demux_ephemeral(&d), 49154); /* wrapped; 49152-3 are held */
    viv__demux_remove(&d, &c);
    assert_int_equal(viv__demux_ephemeral(&d), 49155); /* the cursor goes on */
    viv__demux_remove(&d, &a);
    viv__demux_remove(&d, &b);
    viv__demux_fini(sim, &d);
}

/* Every port held: the allocator says so (0) instead of looping. */
static void test_demux__ephemeral_ports_run_out(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { SPAN = 65535 - 49152 + 1 };
    static viv__demux_ep ep[SPAN];
    memset(ep, 0, sizeof ep);
    viv__demux d;
    viv__demux_init(&d, 60000);
    for (uint32_t i = 0; i < SPAN; i++) {
        uint16_t p = viv__demux_ephemeral(&d);
        assert_int_equal(p, 49152 + (60000 - 49152 + i) % SPAN);
        assert_int_equal(viv__demux_bind(sim, &d, &ep[i], VIV_IP4_ANY, p, 0), 0);
    }
    assert_int_equal(viv__demux_ephemeral(&d), 0);
    viv__demux_remove(&d, &ep[100]);
    assert_int_equal(viv__demux_ephemeral(&d), 49152 + (60000 - 49152 + 100) % SPAN);
    viv__demux_fini(sim, &d);
}

/* Binding and connecting fail with VIV_ENOMEM and leave every table as it was; once bound,
 * connecting to a peer and disconnecting again need no memory for the return trip. */
static void test_demux__failures_change_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = test_alloc(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    viv__demux_ep a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    al->fail_at = al->calls + 1;
    al->fail_all_after = 1;
    assert_int_equal(viv__demux_bind(sim, &d, &a, IP_A, 7, 0), VIV_ENOMEM);
    assert_int_equal(a.where, VIV__DEMUX_NONE);
    assert_false(viv__demux_port_in_use(&d, 7));
    assert_int_equal(viv__demux_connect(sim, &d, &b, IP_A, 8, PEER, 1), VIV_ENOMEM);
    assert_false(viv__demux_port_in_use(&d, 8));
    assert_int_equal(d.nbound + d.conns.len, 0);
    al->fail_at = 0;
    al->fail_all_after = 0;
    assert_int_equal(viv__demux_bind(sim, &d, &a, IP_A, 7, 0), 0);
    /* The connection table has no room yet: connecting fails and a stays bound. */
    al->fail_at = al->calls + 1;
    al->fail_all_after = 1;
    assert_int_equal(viv__demux_connect(sim, &d, &a, IP_A, 0, PEER, 1), VIV_ENOMEM);
    assert_int_equal(a.where, VIV__DEMUX_BOUND);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 7, PEER, 1), &a);
    al->fail_at = 0;
    al->fail_all_after = 0;
    assert_int_equal(viv__demux_connect(sim, &d, &a, IP_A, 0, PEER, 1), 0);
    /* From here on nothing may allocate: disconnect, reconnect, disconnect, remove. */
    al->fail_at = al->calls + 1;
    al->fail_all_after = 1;
    viv__demux_disconnect(&d, &a, IP_A);
    assert_int_equal(a.where, VIV__DEMUX_BOUND);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 7, PEER2, 5), &a);
    assert_int_equal(viv__demux_connect(sim, &d, &a, IP_A, 0, PEER2, 5), 0);
    viv__demux_disconnect(&d, &a, VIV_IP4_ANY);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 7, PEER2, 5), &a);
    viv__demux_remove(&d, &a);
    assert_int_equal(al->failures, 3); /* only the three refused above */
    al->fail_at = 0;
    al->fail_all_after = 0;
    viv__demux_fini(sim, &d);
}

/* Many sockets bound to one port and removed from the front, middle and back: the holders'
 * list stays in bind order and the port is free once the last has gone. */
static void test_demux__port_holders_keep_bind_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    viv__demux_ep ep[6];
    memset(ep, 0, sizeof ep);
    for (int i = 0; i < 6; i++)
        assert_int_equal(viv__demux_bind(sim, &d, &ep[i], i % 2 ? IP_A : VIV_IP4_ANY, 9, 1), 0);
    viv__demux_remove(&d, &ep[0]); /* the first */
    viv__demux_remove(&d, &ep[5]); /* the last */
    viv__demux_remove(&d, &ep[2]); /* one in the middle */
    int order[8];
    port_holders(&d, 9, ep, order, 8);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 4);
    assert_int_equal(order[3], -1);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 9, PEER, 1), &ep[1]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 9, PEER, 1), &ep[4]);
    assert_int_equal(viv__demux_bind(sim, &d, &ep[0], VIV_IP4_ANY, 9, 1), 0); /* again: last */
    port_holders(&d, 9, ep, order, 8);
    assert_int_equal(order[3], 0);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 9, PEER, 1), &ep[4]);
    for (int i = 0; i < 5; i++)
        viv__demux_remove(&d, &ep[i]);
    assert_false(viv__demux_port_in_use(&d, 9));
    viv__demux_fini(sim, &d);
}

/* Every host has both transports from its creation, with no state until one is needed. */
static void test_demux__hosts_have_every_transport(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    const viv__l4_proto *tcp = viv__host_l4(h, VIV__IP_PROTO_TCP);
    const viv__l4_proto *udp = viv__host_l4(h, VIV__IP_PROTO_UDP);
    assert_non_null(tcp);
    assert_non_null(udp);
    assert_null(tcp->ctx);
    assert_null(udp->ctx);
    assert_null(viv__host_l4(h, 99));
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, h, NULL, NULL, NULL), 0);
    assert_non_null(udp->ctx);
    assert_null(tcp->ctx);
    assert_int_equal(viv_host_netstat(h, NULL, 0), 1);
    viv_host_free(h);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_demux__lookup_order),
        T(test_demux__ties_go_to_the_earliest_bound),
        T(test_demux__bind_conflicts),
        T(test_demux__ephemeral_ports_held_in_any_state),
        T(test_demux__ephemeral_ports_run_out),
        T(test_demux__failures_change_nothing),
        T(test_demux__port_holders_keep_bind_order),
        T(test_demux__hosts_have_every_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
