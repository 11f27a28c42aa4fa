/* The port demultiplexer every transport uses (src/l4/demux.c), driven directly: the lookup
 * order (exact 4-tuple, a wildcard-address connection, the local address and port, the
 * wildcard and port), ties going to the earliest bound, UDP's bind conflict rules, the
 * ephemeral allocator counting a port held in any state, and the table operations that must
 * not fail (disconnecting, removing) or must fail without a trace (binding, connecting). */
#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "l4/demux.h"
#include "l4/l4.h"

#define IP_A VIV_IP4(10, 0, 0, 1)
#define IP_B VIV_IP4(10, 0, 0, 2) /* a second local address */
#define PEER VIV_IP4(10, 0, 9, 9)
#define PEER2 VIV_IP4(10, 0, 9, 8)

enum { SPAN = 65535 - 49152 + 1 }; /* the ephemeral ports */

/* The reference: the scan the demux used before its bitmap, a walk from the cursor over
 * [49152, 65535] asking in_use of each port. */
static uint16_t ref_scan(uint16_t *cursor, int (*in_use)(void *, uint16_t), void *ctx)
{
    const uint32_t span = VIV__EPHEMERAL_HI - VIV__EPHEMERAL_LO + 1;
    for (uint32_t i = 0; i < span; i++) {
        uint16_t p = *cursor;
        *cursor = (uint16_t)(p >= VIV__EPHEMERAL_HI ? VIV__EPHEMERAL_LO : p + 1u);
        if (!in_use(ctx, p))
            return p;
    }
    return 0;
}

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

/* A small deterministic generator for the tests below (xorshift64). */
static uint32_t draw(uint64_t *s, uint32_t n)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s % n);
}

/* The reference: the scan the allocator made before it kept a bitmap, asking the test's own
 * count of each port's holders. */
static int ref_in_use(void *ctx, uint16_t port) { return ((const uint16_t *)ctx)[port] != 0; }

/* Random binds (in and out of the ephemeral range, shared through reuse_addr), connections a
 * listener accepted, ephemeral ports taken, connects, disconnects and removals, at low and
 * near-full occupancy: every port the allocator picks, and where its cursor goes, is the old
 * scan's. */
static void test_demux__ephemeral_matches_the_scan(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { NEP = SPAN + 64 };
    static viv__demux_ep ep[NEP];
    static uint16_t holders[65536];
    static uint32_t live[NEP];
    static const uint32_t fills[] = {40, SPAN / 2, SPAN - 300, SPAN - 3, SPAN + 40};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    uint32_t ran_out = 0;
    for (uint32_t round = 0; round < 5; round++) {
        memset(ep, 0, sizeof ep);
        memset(holders, 0, sizeof holders);
        uint32_t nlive = 0, target = fills[round];
        uint16_t start = (uint16_t)(49152 + draw(&seed, SPAN));
        if (round == 4)
            start = 65535;
        uint16_t ref_cursor = start;
        viv__demux d;
        viv__demux_init(&d, start);
        /* live[] is a permutation of the endpoints: the first nlive hold a port. */
        for (uint32_t i = 0; i < NEP; i++)
            live[i] = i;
        if (round == 4) {
            /* Take the whole range first: what follows runs out, and frees one port here
             * and there for the search to find. */
            for (uint16_t p; (p = viv__demux_ephemeral(&d)) != 0; nlive++) {
                assert_int_equal(p, ref_scan(&ref_cursor, ref_in_use, holders));
                assert_int_equal(viv__demux_bind(sim, &d, &ep[nlive], VIV_IP4_ANY, p, 0), 0);
                holders[p]++;
            }
            assert_int_equal(nlive, SPAN);
            assert_int_equal(d.eph_cursor, ref_cursor);
        }
        for (uint32_t step = 0; step < 60000; step++) {
            uint32_t op = draw(&seed, 100);
            int grow = nlive < target;
            if (nlive && (!grow ? op < 60 : op < 15)) {
                /* Release: remove, or (a bound, connected one) disconnect first. */
                uint32_t k = draw(&seed, nlive);
                viv__demux_ep *e = &ep[live[k]];
                if (e->where == VIV__DEMUX_CONN && e->bound && op % 2) {
                    viv__demux_disconnect(&d, e, VIV_IP4_ANY);
                } else {
                    holders[e->lport]--;
                    viv__demux_remove(&d, e);
                    uint32_t t = live[k];
                    live[k] = live[nlive - 1];
                    live[nlive - 1] = t;
                    nlive--;
                }
            } else if (nlive && op < 25) {
                /* Connect a bound one: it keeps its port. */
                viv__demux_ep *e = &ep[live[draw(&seed, nlive)]];
                if (e->where == VIV__DEMUX_BOUND)
                    assert_int_equal(viv__demux_connect(sim, &d, e, IP_A, 0, PEER,
                                                        (uint16_t)(1 + draw(&seed, 60000))),
                                     0);
            } else if (nlive < NEP) {
                viv__demux_ep *e = &ep[live[nlive]];
                uint16_t port;
                if (op < 70) {
                    /* An ephemeral port, as a bind or connect with port 0 takes one. */
                    port = viv__demux_ephemeral(&d);
                    uint16_t want = ref_scan(&ref_cursor, ref_in_use, holders);
                    assert_int_equal(port, want);
                    assert_int_equal(d.eph_cursor, ref_cursor);
                    if (!port) {
                        ran_out++;
                        continue;
                    }
                } else if (op < 80) {
                    port = (uint16_t)(1 + draw(&seed, 49151)); /* below the range */
                } else {
                    port = (uint16_t)(49152 + draw(&seed, SPAN)); /* anywhere in it */
                }
                if (op % 3 == 0) {
                    /* A connection a listener accepted: may share the port. */
                    assert_int_equal(viv__demux_connect(sim, &d, e, IP_B, port, PEER2,
                                                        (uint16_t)(1 + draw(&seed, 60000))),
                                     0);
                } else {
                    if (viv__demux_bind_conflict(&d, VIV_IP4_ANY, port, 1))
                        continue;
                    assert_int_equal(viv__demux_bind(sim, &d, e, VIV_IP4_ANY, port, 1), 0);
                }
                holders[port]++;
                nlive++;
            }
        }
        /* Whatever is left, and a last look with nothing held. */
        uint16_t p = viv__demux_ephemeral(&d);
        assert_int_equal(p, ref_scan(&ref_cursor, ref_in_use, holders));
        for (uint32_t i = 0; i < nlive; i++)
            viv__demux_remove(&d, &ep[live[i]]);
        memset(holders, 0, sizeof holders);
        p = viv__demux_ephemeral(&d);
        assert_int_equal(p, ref_scan(&ref_cursor, ref_in_use, holders));
        assert_int_equal(d.ports.len, 0);
        assert_int_equal(d.eph_nheld, 0);
        viv__demux_fini(sim, &d);
    }
    assert_true(ran_out > 0); /* the last round holds every port at times */
}

/* The ephemeral range costs nothing until more than VIV__EPH_FEW of its ports are held: the
 * first ones sit in the demux's inline slots (no allocation), and the search skips them.
 * Taking the next one allocates the bitmap; that fails with VIV_ENOMEM at any allocation and
 * leaves nothing held and no bitmap. */
static void test_demux__ephemeral_bitmap_lazy_and_failures(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = test_alloc(state);
    viv__demux d;
    viv__demux_init(&d, 65535);
    viv__demux_ep a, b, c, few[VIV__EPH_FEW];
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    memset(few, 0, sizeof few);
    assert_int_equal(viv__demux_bind(sim, &d, &a, IP_A, 7, 0), 0); /* below the range */
    assert_int_equal(viv__demux_connect(sim, &d, &b, IP_A, 49151, PEER, 1), 0);
    assert_null(d.eph_held);
    size_t bytes = al->live_bytes;
    assert_int_equal(viv__demux_ephemeral(&d), 65535);
    assert_int_equal(viv__demux_ephemeral(&d), 49152);
    assert_int_equal(al->live_bytes, bytes);
    /* Four ports of the range held: inline, and the search steps over them (49153, 49154
     * taken; the cursor is at 49153). */
    for (uint32_t i = 0; i < VIV__EPH_FEW; i++)
        assert_int_equal(viv__demux_bind(sim, &d, &few[i], VIV_IP4_ANY, (uint16_t)(49153 + i), 0),
                         0);
    assert_null(d.eph_held);
    assert_int_equal(d.eph_nheld, VIV__EPH_FEW);
    assert_int_equal(viv__demux_ephemeral(&d), 49153 + VIV__EPH_FEW);
    /* The fifth: every allocation it makes fails in turn, then it succeeds. */
    int rc;
    const uint16_t fifth = 50000;
    for (uint64_t k = 1;; k++) {
        al->fail_at = al->calls + k;
        al->fail_all_after = 1;
        rc = viv__demux_bind(sim, &d, &c, VIV_IP4_ANY, fifth, 0);
        al->fail_at = 0;
        al->fail_all_after = 0;
        if (rc == 0)
            break;
        assert_int_equal(rc, VIV_ENOMEM);
        assert_int_equal(c.where, VIV__DEMUX_NONE);
        assert_null(d.eph_held);
        assert_int_equal(d.eph_nheld, VIV__EPH_FEW);
        assert_false(viv__demux_port_in_use(&d, fifth));
        assert_true(k < 10);
    }
    assert_non_null(d.eph_held);
    assert_int_equal(d.eph_nheld, VIV__EPH_FEW + 1);
    /* The bitmap holds the inline ports too: the search still steps over all of them. */
    d.eph_cursor = 49153;
    assert_int_equal(viv__demux_ephemeral(&d), 49153 + VIV__EPH_FEW);
    d.eph_cursor = fifth;
    assert_int_equal(viv__demux_ephemeral(&d), fifth + 1);
    viv__demux_remove(&d, &c);
    for (uint32_t i = 0; i < VIV__EPH_FEW; i++)
        viv__demux_remove(&d, &few[i]);
    assert_int_equal(d.eph_nheld, 0);
    viv__demux_remove(&d, &a);
    viv__demux_remove(&d, &b);
    viv__demux_fini(sim, &d);
    /* A connection a listener accepted on a port of the range: inline, no allocation but
     * the connection table's. */
    viv__demux_init(&d, 50000);
    assert_int_equal(viv__demux_connect(sim, &d, &c, IP_A, 50000, PEER, 2), 0);
    assert_null(d.eph_held);
    assert_int_equal(d.eph_nheld, 1);
    assert_int_equal(viv__demux_ephemeral(&d), 50001);
    viv__demux_remove(&d, &c);
    assert_int_equal(d.eph_nheld, 0);
    viv__demux_fini(sim, &d);
}

/* With every port of the range held, 30,000 allocations fail (0) and leave the cursor where
 * it was; the time they take is printed, never asserted. */
static void test_demux__ephemeral_full_range_fails_fast(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static viv__demux_ep ep[SPAN];
    memset(ep, 0, sizeof ep);
    viv__demux d;
    viv__demux_init(&d, 52000);
    for (uint32_t i = 0; i < SPAN; i++)
        assert_int_equal(viv__demux_bind(sim, &d, &ep[i], VIV_IP4_ANY, (uint16_t)(49152 + i), 0),
                         0);
    struct timespec t0, t1;
    uint32_t failed = 0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (uint32_t i = 0; i < 30000; i++)
        failed += viv__demux_ephemeral(&d) == 0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    printf("# 30000 failing ephemeral allocations, every port held: %.3f ms of CPU\n",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_int_equal(failed, 30000);
    assert_int_equal(d.eph_cursor, 52000);
    /* The one free port just before the cursor (in the same 64-port word): found by going
     * all the way round. */
    viv__demux_remove(&d, &ep[51999 - 49152]);
    assert_int_equal(viv__demux_ephemeral(&d), 51999);
    assert_int_equal(d.eph_cursor, 52000);
    assert_int_equal(viv__demux_bind(sim, &d, &ep[51999 - 49152], VIV_IP4_ANY, 51999, 0), 0);
    viv__demux_remove(&d, &ep[SPAN - 1]); /* 65535 */
    assert_int_equal(viv__demux_ephemeral(&d), 65535);
    assert_int_equal(d.eph_cursor, 49152);
    assert_int_equal(viv__demux_bind(sim, &d, &ep[SPAN - 1], VIV_IP4_ANY, 65535, 0), 0);
    assert_int_equal(viv__demux_ephemeral(&d), 0);
    assert_int_equal(d.eph_cursor, 49152);
    for (uint32_t i = 0; i < SPAN; i++)
        viv__demux_remove(&d, &ep[i]);
    assert_int_equal(viv__demux_ephemeral(&d), 49152);
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
    assert_null(viv__host_l4_ctx(h, VIV__IP_PROTO_TCP));
    assert_null(viv__host_l4_ctx(h, VIV__IP_PROTO_UDP));
    assert_null(viv__host_l4(h, 99));
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, h, NULL, NULL, NULL), 0);
    assert_non_null(viv__host_l4_ctx(h, VIV__IP_PROTO_UDP));
    assert_null(viv__host_l4_ctx(h, VIV__IP_PROTO_TCP));
    assert_int_equal(viv_host_netstat(h, NULL, 0), 1);
    viv_host_free(h);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

/* The lookup's last answer for (VIV_IP4_ANY, port) (any_ep) is kept, and every change of
 * the tables forgets it: after each of 3,000 random binds, connects, disconnects and
 * removes, every lookup, asked twice (the second from what the first kept) and by the
 * inline form, answers what the maps alone answer (a copy of the demux with nothing
 * kept). */
static void test_demux__kept_answer_is_the_maps(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__demux d;
    viv__demux_init(&d, 50000);
    enum { NEP = 6 };
    viv__demux_ep ep[NEP];
    memset(ep, 0, sizeof ep);
    /* A server's common case first: one wildcard socket, asked again and again. */
    assert_int_equal(viv__demux_bind(sim, &d, &ep[0], VIV_IP4_ANY, 53, 1), 0);
    assert_null(d.any_ep);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 7), &ep[0]);
    assert_ptr_equal(d.any_ep, &ep[0]);
    assert_int_equal(d.any_port, 53);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 53, PEER2, 9), &ep[0]);
    assert_null(viv__demux_lookup(&d, IP_A, 54, PEER, 7)); /* another port: the map says no */
    assert_ptr_equal(d.any_ep, &ep[0]);                     /* and nothing new is kept */
    /* An address-bound socket answers before the kept wildcard one. */
    assert_int_equal(viv__demux_bind(sim, &d, &ep[1], IP_A, 53, 1), 0);
    assert_null(d.any_ep);
    assert_ptr_equal(viv__demux_lookup(&d, IP_A, 53, PEER, 7), &ep[1]);
    assert_ptr_equal(viv__demux_lookup(&d, IP_B, 53, PEER, 7), &ep[0]);
    viv__demux_remove(&d, &ep[1]);
    viv__demux_remove(&d, &ep[0]);
    assert_null(d.any_ep);
    assert_null(viv__demux_lookup(&d, IP_B, 53, PEER, 7));
    static const viv_ip4_t lips[] = {IP_A, IP_B};
    static const viv_ip4_t rips[] = {PEER, PEER2};
    uint64_t x = 88172645463325252u;
    for (int step = 0; step < 3000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        viv__demux_ep *e = &ep[x % NEP];
        uint32_t r = (uint32_t)(x >> 32);
        uint16_t port = (uint16_t)(53 + (r & 1));
        viv_ip4_t addr = (r & 2) ? IP_A : VIV_IP4_ANY;
        if (e->where == VIV__DEMUX_NONE) {
            assert_int_equal(viv__demux_bind(sim, &d, e, addr, port, 1), 0);
        } else if ((r >> 2) % 3 == 0) {
            uint16_t rport = (uint16_t)(7 + ((r >> 5) & 1));
            assert_int_equal(viv__demux_connect(sim, &d, e, addr, 0, rips[(r >> 4) & 1], rport), 0);
        } else if ((r >> 2) % 3 == 1) {
            viv__demux_disconnect(&d, e, addr);
        } else {
            viv__demux_remove(&d, e);
        }
        for (int q = 0; q < 16; q++) {
            viv_ip4_t lip = lips[q & 1], rip = rips[(q >> 1) & 1];
            uint16_t lport = (uint16_t)(53 + ((q >> 2) & 1)), rport = (uint16_t)(7 + (q >> 3));
            viv__demux ref = d;
            ref.any_ep = NULL;
            viv__demux_ep *want = viv__demux_lookup(&ref, lip, lport, rip, rport);
            assert_ptr_equal(viv__demux_lookup(&d, lip, lport, rip, rport), want);
            assert_ptr_equal(viv__demux_lookup(&d, lip, lport, rip, rport), want);
            assert_ptr_equal(viv__demux_lookup_inline(&d, lip, lport, rip, rport), want);
        }
    }
    for (int i = 0; i < NEP; i++)
        viv__demux_remove(&d, &ep[i]);
    assert_null(d.any_ep);
    assert_int_equal(d.ports.len + d.bound.len + d.conns.len, 0);
    viv__demux_fini(sim, &d);
}

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
        T(test_demux__ephemeral_matches_the_scan),
        T(test_demux__ephemeral_full_range_fails_fast),
        T(test_demux__ephemeral_bitmap_lazy_and_failures),
        T(test_demux__hosts_have_every_transport),
        T(test_demux__kept_answer_is_the_maps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
