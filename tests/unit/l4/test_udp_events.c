/* UDP callbacks and errors: port unreachable (ignored by unconnected sockets, reported once
 * as VIV_ECONNREFUSED by connected ones), host unreachable, callback timing and merging,
 * freeing sockets and hosts at awkward moments, bad arguments, and an application-level
 * retry schedule (DNS-like) with exact times. */
#include "l4_test.h"

/* Exact times on the pair (1 ms each way, 1 Gb/s): the ARP request and reply, then the
 * datagram, then the answer, each a small frame. */
#define ARP_RTT (2 * (VIV_MS(1) + l4t_ser_ns(60)))

/* The testing kit: a recorder on a host's port, with names for the addresses the tests use,
 * and a check of everything it recorded against an expectation script. */
static viv_rec_t *wire_rec(viv_sim_t *sim, viv_port_t *port)
{
    viv_rec_t *rec;
    assert_int_equal(viv_rec_new(&rec, sim, NULL), 0);
    assert_int_equal(viv_rec_name(rec, "a", L4T_A), 0);
    assert_int_equal(viv_rec_name(rec, "b", L4T_B), 0);
    assert_int_equal(viv_rec_name(rec, "far", L4T_FAR), 0);
    assert_int_equal(viv_rec_attach_port(rec, port), 0);
    return rec;
}

static void expect_frames(viv_rec_t *rec, const char *script)
{
    viv_expect_t *ex;
    char report[4096];
    assert_int_equal(viv_expect_new(&ex, viv_rec_sim(rec)), 0);
    if (viv_expect_parse(ex, script) != 0)
        fail_msg("%s", viv_sim_errmsg(viv_rec_sim(rec)));
    if (viv_expect_check(ex, rec, 1, report, sizeof report) != 0)
        fail_msg("%s", report);
    viv_expect_free(ex);
}

/* ---- port unreachable ------------------------------------------------------------------- */

static void test_udp__port_unreachable_is_ignored_when_unconnected(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *s, *other;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, l4t_cb, &rec), 0);
    assert_int_equal(viv_udp_new(&other, p.b, NULL, NULL, NULL), 0); /* b's UDP layer */
    viv_sockaddr_t bo = l4t_sa(VIV_IP4_ANY, 1000), closed = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_bind(other, &bo), 0);
    assert_int_equal(viv_udp_sendto(s, "hello", 5, &closed), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    /* Only the creation's WRITABLE: no error for an unconnected socket, nothing stored. */
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.events[0], VIV_EV_WRITABLE);
    assert_int_equal(viv_udp_error(s), 0);
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_host_udp_stats(&hs, p.b), 0);
    assert_int_equal(hs.rx_no_port, 1);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, p.b), 0);
    assert_int_equal(ips.icmp_errors_tx, 1);
    assert_int_equal(viv_host_ip_stats(&ips, p.a), 0);
    assert_int_equal(ips.icmp_rx, 1);
    assert_int_equal(ips.icmp_bad, 0);
    /* The socket still works. */
    viv_sockaddr_t open = l4t_sa(L4T_B, 1000);
    assert_int_equal(viv_udp_sendto(s, "again", 5, &open), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    assert_int_equal(viv_udp_peek_len(other), 5);
}

/* A connected socket learns of the port unreachable by VIV_EV_ERROR at the instant the ICMP
 * message arrives; viv_udp_error() returns it once. */
static void test_udp__connected_port_unreachable_is_econnrefused(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_rec_t *wire = wire_rec(sim, viv_host_port(p.a, 0));
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, p.a, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t closed = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_connect(c, &closed), 0);
    assert_int_equal(viv_udp_send(c, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    /* After ARP, the datagram, then the ICMP error quoting all 33 bytes of it (RFC 1812
     * 4.3.2.3: up to 548), 1 ms and 792 ns later; the callback hears it as it arrives. */
    expect_frames(wire, "allow ARP\n0.002001344 a>b UDP 9 len 5\n"
                        "+0.002001464 b>a ICMP unreachable code 3 len 33\nnothing else until 1\n");
    assert_int_equal(rec.calls, 2);
    assert_int_equal(rec.events[0], VIV_EV_WRITABLE);
    assert_int_equal(rec.times[0], 0);
    assert_int_equal(rec.events[1], VIV_EV_ERROR);
    assert_int_equal(rec.times[1], VIV_MS(4) + 2 * 672 + 672 + 792); /* the ICMP arrival */
    assert_int_equal(viv_udp_error(c), VIV_ECONNREFUSED);
    assert_int_equal(viv_udp_error(c), 0); /* once */
    /* Cleared by reading: send works again. */
    assert_int_equal(viv_udp_send(c, "x", 1), 1);
}

static void test_udp__stored_error_is_returned_once_by_send(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t closed = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_connect(c, &closed), 0);
    assert_int_equal(viv_udp_send(c, "1", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    assert_int_equal(viv_udp_send(c, "2", 1), VIV_ECONNREFUSED);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    assert_int_equal(viv_udp_send(c, "3", 1), 1);
    assert_int_equal(viv_udp_error(c), 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, c), 0);
    assert_int_equal(st.tx_datagrams, 2); /* "2" was not sent */
    /* sendto with an explicit destination returns it as well. */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    assert_int_equal(viv_udp_sendto(c, "4", 1, &closed), VIV_ECONNREFUSED);
    assert_int_equal(viv_udp_sendto(c, "5", 1, &closed), 1);
}

static void test_udp__stored_error_is_returned_once_by_recv(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t closed = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_connect(c, &closed), 0);
    assert_int_equal(viv_udp_send(c, "1", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    char buf[8];
    assert_int_equal(viv_udp_recv(c, buf, sizeof buf), VIV_ECONNREFUSED);
    assert_int_equal(viv_udp_recv(c, buf, sizeof buf), VIV_EAGAIN);
    /* A datagram from the peer queued before the error is read after it. */
    viv_udp_t *peer;
    assert_int_equal(viv_udp_new(&peer, p.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t b9 = l4t_sa(VIV_IP4_ANY, 9), ca;
    assert_int_equal(viv_udp_bind(peer, &b9), 0);
    assert_int_equal(viv_udp_local(&ca, c), 0);
    assert_int_equal(viv_udp_sendto(peer, "data", 4, &ca), 4);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    assert_int_equal(viv_udp_recv(c, buf, sizeof buf), 4);
    assert_memory_equal(buf, "data", 4);
}

/* No ARP answer for an on-link peer: the datagram is given up after the ARP attempts, and a
 * connected socket hears VIV_EHOSTUNREACH. */
static void test_udp__connected_host_unreachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_rec_t *wire = wire_rec(sim, viv_host_port(p.a, 0));
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    rec.read_error = 1;
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, p.a, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t ghost = l4t_sa(VIV_IP4(10, 0, 0, 99), 53);
    assert_int_equal(viv_udp_connect(c, &ghost), 0);
    assert_int_equal(viv_udp_send(c, "q", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
    /* Three requests, 1 s apart, then one more interval without an answer. */
    expect_frames(wire, "0 a>10.0.0.99 ARP request\n1 a>10.0.0.99 ARP request\n"
                        "2 a>10.0.0.99 ARP request\nnothing else until 5\n");
    assert_int_equal(rec.calls, 2);
    assert_int_equal(rec.events[1], VIV_EV_ERROR);
    assert_int_equal(rec.times[1], VIV_S(3));
    assert_int_equal(rec.last_error, VIV_EHOSTUNREACH);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, p.a), 0);
    assert_int_equal(ips.arp_failed, 1);
}

/* ---- callback timing ----------------------------------------------------------------------- */

static void test_udp__callbacks_never_run_inside_api_calls(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec ra, rb;
    l4t_rec_init(&ra, sim);
    l4t_rec_init(&rb, sim);
    viv_udp_t *a, *b, *self;
    /* Every call the program makes is flagged: a callback seeing the flag fails the test. */
    ra.in_api = rb.in_api = 1;
    assert_int_equal(viv_udp_new(&a, p.a, NULL, l4t_cb, &ra), 0);
    assert_int_equal(viv_udp_new(&b, p.b, NULL, l4t_cb, &rb), 0);
    viv_sockaddr_t an = l4t_sa(VIV_IP4_ANY, 1), bn = l4t_sa(VIV_IP4_ANY, 2);
    assert_int_equal(viv_udp_bind(a, &an), 0);
    assert_int_equal(viv_udp_bind(b, &bn), 0);
    /* To the host's own address: delivered by an event, not from inside the call. */
    viv_sockaddr_t me = l4t_sa(L4T_A, 1);
    assert_int_equal(viv_udp_new(&self, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_sendto(self, "loop", 4, &me), 4);
    viv_sockaddr_t peer = l4t_sa(L4T_B, 2);
    assert_int_equal(viv_udp_sendto(a, "ab", 2, &peer), 2);
    assert_int_equal(ra.calls + rb.calls, 0);
    ra.in_api = rb.in_api = 0;
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    /* a: WRITABLE, then the loopback datagram (same instant: merged? no: the notification
     * for WRITABLE was posted before the loopback event, so it runs first). */
    assert_int_equal(ra.calls, 2);
    assert_int_equal(ra.events[0], VIV_EV_WRITABLE);
    assert_int_equal(ra.events[1], VIV_EV_READABLE);
    assert_int_equal(ra.times[1], 0);
    assert_int_equal(ra.nrx, 1);
    assert_memory_equal(ra.rx[0].bytes, "loop", 4);
    assert_int_equal(rb.calls, 2);
    assert_int_equal(rb.events[1], VIV_EV_READABLE);
    assert_int_equal(rb.times[1], ARP_RTT + VIV_MS(1) + l4t_ser_ns(l4t_udp_frame(2)));
}

typedef struct merge_ctx {
    viv_host_t *h;
    l4t_rec *rec;
    viv_udp_t *s;
} merge_ctx;

static void merge_create(viv_sim_t *sim, void *user)
{
    merge_ctx *m = user;
    (void)sim;
    m->rec->in_api = 1;
    assert_int_equal(viv_udp_new(&m->s, m->h, NULL, l4t_cb, m->rec), 0);
    viv_sockaddr_t a = l4t_sa(VIV_IP4_ANY, 7);
    assert_int_equal(viv_udp_bind(m->s, &a), 0);
    m->rec->in_api = 0;
}

/* A callback is called as soon as the event that raised its bits is over, at the same
 * instant and before any other event: two events at one instant make two calls, in their
 * order. (Bits raised by one event are merged into one call: test_tcp_open's CONNECTED |
 * WRITABLE.) */
static void test_udp__events_follow_their_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    merge_ctx m = {p.a, &rec, NULL};
    /* At 1 ms: first the socket is created (WRITABLE raised), then, in the same instant, a
     * looped-back datagram (sent at 1 ms by an event scheduled earlier) reaches it. */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    assert_int_equal(viv_sim_schedule_after(NULL, sim, 0, merge_create, &m), 0);
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t me = l4t_sa(L4T_A, 7);
    /* The send happens now, before the creating event runs; its loopback event is queued
     * after that event. */
    assert_int_equal(viv_udp_sendto(tx, "m", 1, &me), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(rec.calls, 2);
    assert_int_equal(rec.events[0], VIV_EV_WRITABLE);
    assert_int_equal(rec.events[1], VIV_EV_READABLE);
    assert_int_equal(rec.times[0], VIV_MS(1));
    assert_int_equal(rec.times[1], VIV_MS(1));
    assert_int_equal(rec.nrx, 1);
}

static void l4t_nothing(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
}

/* Callbacks the program raised outside a run (a socket made between runs) wait for the next
 * driver call: they count as pending, make viv_sim_next_time() say now, are a step of their
 * own (no event runs, none is counted), and are no event for viv_sim_events(). */
static void test_udp__callbacks_raised_outside_a_run_are_a_step(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(3)), 0);
    uint64_t events = viv_sim_events(sim);
    size_t pending = viv_sim_pending(sim);
    /* Something later is queued, so that a step that ran an event would show. */
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_MS(2), l4t_nothing, NULL), 0);
    l4t_rec ra, rb;
    l4t_rec_init(&ra, sim);
    l4t_rec_init(&rb, sim);
    viv_udp_t *a, *b;
    assert_int_equal(viv_udp_new(&a, p.a, NULL, l4t_cb, &ra), 0);
    assert_int_equal(viv_udp_new(&b, p.b, NULL, l4t_cb, &rb), 0);
    assert_int_equal(viv_sim_pending(sim), pending + 1 + 2);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(3));
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(ra.calls, 1);
    assert_int_equal(rb.calls, 1);
    assert_int_equal(ra.events[0], VIV_EV_WRITABLE);
    assert_int_equal(ra.times[0], VIV_MS(3));
    assert_int_equal(viv_sim_now(sim), VIV_MS(3));
    assert_int_equal(viv_sim_events(sim), events);
    assert_int_equal(viv_sim_pending(sim), pending + 1);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(5));
    /* The next step runs the event. */
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(5));
    assert_int_equal(viv_sim_events(sim), events + 1);
}

/* A callback that stops the run: the callbacks raised by the same event that are still to
 * come wait for the next driver call, which calls them first, at the same instant. */
typedef struct stop_ctx {
    l4t_rec rec;
    int stop_at; /* stop the run at this call (1..) */
} stop_ctx;

static void stop_cb(viv_udp_t *s, uint32_t events, void *user)
{
    stop_ctx *c = user;
    l4t_cb(s, events, &c->rec);
    if (c->rec.calls == (uint32_t)c->stop_at)
        viv_sim_stop(c->rec.sim);
}

static void test_udp__a_stop_in_a_callback_leaves_the_rest_for_the_next_run(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    stop_ctx c1 = {.stop_at = 1};
    l4t_rec r2;
    l4t_rec_init(&c1.rec, sim);
    l4t_rec_init(&r2, sim);
    viv_udp_t *s1, *s2;
    assert_int_equal(viv_udp_new(&s1, p.a, NULL, stop_cb, &c1), 0);
    assert_int_equal(viv_udp_new(&s2, p.a, NULL, l4t_cb, &r2), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(c1.rec.calls, 1); /* it stopped the run */
    assert_int_equal(r2.calls, 0);     /* raised before the stop, called after it */
    assert_int_equal(viv_sim_pending(sim) >= 1, 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.times[0], 0);
    assert_int_equal(r2.events[0], VIV_EV_WRITABLE);
}

/* READABLE is raised when the queue becomes non-empty: more datagrams arriving while the
 * program has not read do not call again. */
static void test_udp__readable_when_queue_becomes_non_empty(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_arp_warm(sim, p.a, L4T_B);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    rec.drain = 0;
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t bn = l4t_sa(VIV_IP4_ANY, 2), dst = l4t_sa(L4T_B, 2);
    assert_int_equal(viv_udp_bind(rx, &bn), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0); /* WRITABLE */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(viv_udp_sendto(tx, "d", 1, &dst), 1);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    }
    assert_int_equal(rec.calls, 2);
    assert_int_equal(rec.events[1], VIV_EV_READABLE);
    char buf[4];
    for (int i = 0; i < 3; i++)
        assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 1);
    assert_int_equal(viv_udp_sendto(tx, "d", 1, &dst), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(rec.calls, 3);
    assert_int_equal(rec.events[2], VIV_EV_READABLE);
}

/* ---- freeing at awkward moments -------------------------------------------------------- */

static void test_udp__free_inside_own_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    rec.free_on_call = 2; /* the READABLE after WRITABLE */
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.a, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t an = l4t_sa(VIV_IP4_ANY, 2), dst = l4t_sa(L4T_A, 2);
    assert_int_equal(viv_udp_bind(rx, &an), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0); /* WRITABLE */
    /* Three datagrams to the host's own address arrive in one instant, each by an event of
     * its own: the callback, right after the first, frees the socket with that datagram
     * queued; the other two find the port closed. */
    assert_int_equal(viv_udp_sendto(tx, "1", 1, &dst), 1);
    assert_int_equal(viv_udp_sendto(tx, "2", 1, &dst), 1);
    assert_int_equal(viv_udp_sendto(tx, "3", 1, &dst), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(rec.calls, 2);
    assert_int_equal(rec.events[1], VIV_EV_READABLE);
    /* The port is free again: the next datagram draws port unreachable, and the port can
     * be bound again. */
    assert_int_equal(viv_udp_sendto(tx, "4", 1, &dst), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(rec.calls, 2);
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_host_udp_stats(&hs, p.a), 0);
    assert_int_equal(hs.rx_datagrams, 4);
    assert_int_equal(hs.rx_no_port, 3);
    viv_udp_t *again;
    assert_int_equal(viv_udp_new(&again, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_bind(again, &an), 0);
    assert_int_equal(viv_host_netstat(p.a, NULL, 0), 2);
}

typedef struct kill_ctx {
    viv_udp_t *victim;
    viv_host_t *host;
    uint32_t calls;
} kill_ctx;

static void kill_other_cb(viv_udp_t *s, uint32_t events, void *user)
{
    kill_ctx *k = user;
    (void)s;
    (void)events;
    k->calls++;
    if (k->victim) {
        viv_udp_free(k->victim);
        k->victim = NULL;
    }
    if (k->host) {
        viv_host_t *h = k->host;
        k->host = NULL;
        viv_host_free(h); /* frees this very socket too */
    }
}

/* A socket freed while its notification is pending is never called. */
static void test_udp__free_with_pending_notification(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    kill_ctx k = {NULL, NULL, 0};
    viv_udp_t *killer, *victim, *early;
    assert_int_equal(viv_udp_new(&killer, p.a, NULL, kill_other_cb, &k), 0);
    assert_int_equal(viv_udp_new(&victim, p.a, NULL, l4t_cb, &rec), 0);
    k.victim = victim;
    /* Freed right after creation: its WRITABLE never comes. */
    l4t_rec rec2;
    l4t_rec_init(&rec2, sim);
    assert_int_equal(viv_udp_new(&early, p.a, NULL, l4t_cb, &rec2), 0);
    viv_udp_free(early);
    viv_udp_free(NULL); /* harmless */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(k.calls, 1);
    assert_int_equal(rec.calls, 0);
    assert_int_equal(rec2.calls, 0);
    assert_int_equal(viv_host_netstat(p.a, NULL, 0), 1);
}

/* Freeing the whole host from inside one of its sockets' callbacks. */
static void test_udp__free_host_inside_socket_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    kill_ctx k = {NULL, p.b, 0};
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *s, *sibling, *tx;
    assert_int_equal(viv_udp_new(&s, p.b, NULL, kill_other_cb, &k), 0);
    assert_int_equal(viv_udp_new(&sibling, p.b, NULL, l4t_cb, &rec), 0);
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t dst = l4t_sa(L4T_B, 2);
    assert_int_equal(viv_udp_sendto(tx, "x", 1, &dst), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    assert_int_equal(k.calls, 1);
    assert_int_equal(rec.calls, 0); /* its WRITABLE was pending: never delivered */
    /* Host a goes on: its ARP request found nobody. */
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, p.a), 0);
    assert_int_equal(ips.arp_requests, 1);
}

/* Freeing a host with bound sockets, queued datagrams, pending notifications and frames on
 * the way to it leaks nothing (the fixture's teardown checks) and the rest runs on. */
static void test_udp__free_host_with_sockets_and_queued_data(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_arp_warm(sim, p.a, L4T_B);
    viv_udp_t *tx, *rx[3];
    l4t_rec rec[3];
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    for (int i = 0; i < 3; i++) {
        l4t_rec_init(&rec[i], sim);
        rec[i].drain = 0;
        assert_int_equal(viv_udp_new(&rx[i], p.b, NULL, l4t_cb, &rec[i]), 0);
        viv_sockaddr_t a = l4t_sa(VIV_IP4_ANY, (uint16_t)(100 + i));
        assert_int_equal(viv_udp_bind(rx[i], &a), 0);
    }
    for (int i = 0; i < 3; i++) {
        viv_sockaddr_t d = l4t_sa(L4T_B, (uint16_t)(100 + i));
        for (int k = 0; k < 4; k++)
            assert_int_equal(viv_udp_sendto(tx, "queued", 6, &d), 6);
    }
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(viv_udp_peek_len(rx[2]), 6);
    /* One more socket, and a datagram to it: step the simulation until the datagram is
     * queued (the step that queues it delivers its READABLE too). Another datagram is then
     * still on the wire. A last socket is made then: its WRITABLE is pending when the host
     * goes. */
    viv_udp_t *late;
    l4t_rec rlate;
    l4t_rec_init(&rlate, sim);
    rlate.drain = 0;
    assert_int_equal(viv_udp_new(&late, p.b, NULL, l4t_cb, &rlate), 0);
    viv_sockaddr_t a103 = l4t_sa(VIV_IP4_ANY, 103), d103 = l4t_sa(L4T_B, 103);
    assert_int_equal(viv_udp_bind(late, &a103), 0);
    assert_int_equal(viv_udp_sendto(tx, "flight", 6, &d103), 6);
    assert_int_equal(viv_udp_sendto(tx, "flight", 6, &d103), 6);
    while (viv_udp_peek_len(late) < 0)
        assert_int_equal(viv_sim_step(sim), 1);
    viv_udp_t *last;
    l4t_rec rlast;
    l4t_rec_init(&rlast, sim);
    assert_int_equal(viv_udp_new(&last, p.b, NULL, l4t_cb, &rlast), 0);
    assert_int_equal(viv_sim_pending(sim) > 0, 1);
    viv_host_free(p.b);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, tx), 0);
    assert_int_equal(st.tx_datagrams, 14);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rec[i].calls, 2); /* WRITABLE, READABLE; nothing after the free */
    assert_int_equal(rlate.calls, 2);      /* WRITABLE, READABLE */
    assert_int_equal(rlast.calls, 0);      /* its pending WRITABLE never came */
}

/* ---- bad input --------------------------------------------------------------------------- */

static void test_udp__bad_arguments_fail_clearly_and_lose_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_arp_warm(sim, p.a, L4T_B);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t bn = l4t_sa(VIV_IP4_ANY, 2), dst = l4t_sa(L4T_B, 2);
    assert_int_equal(viv_udp_bind(rx, &bn), 0);
    viv_sockaddr_t port0 = l4t_sa(L4T_B, 0), ip0 = l4t_sa(VIV_IP4_ANY, 2);
    uint8_t buf[8];
    int good = 0;
    /* Each bad call fails with its code and a message; each good one in between counts. */
#define BAD(call, code)                                                                    \
    do {                                                                                   \
        assert_int_equal((call), (code));                                                  \
        assert_string_not_equal(viv_sim_errmsg(sim), "");                                  \
        assert_int_equal(viv_udp_sendto(tx, &good, sizeof good, &dst), sizeof good);       \
        good++;                                                                            \
    } while (0)
    BAD(viv_udp_send(tx, "x", 1), VIV_ENOTCONN);
    BAD(viv_udp_sendto(tx, NULL, 5, &dst), VIV_EINVAL);
    BAD(viv_udp_sendto(tx, "x", 1, &port0), VIV_EINVAL);
    BAD(viv_udp_sendto(tx, "x", 1, &ip0), VIV_EINVAL);
    BAD(viv_udp_recvfrom(rx, NULL, 5, NULL, NULL), VIV_EINVAL);
    BAD(viv_udp_bind(rx, NULL), VIV_EINVAL);
    BAD(viv_udp_connect(tx, &port0), VIV_EINVAL);
    BAD(viv_udp_new(NULL, p.a, NULL, NULL, NULL), VIV_EINVAL);
#undef BAD
    /* Calls on no socket at all: VIV_EINVAL, no simulation to leave a message in. */
    assert_int_equal(viv_udp_sendto(NULL, "x", 1, &dst), VIV_EINVAL);
    assert_int_equal(viv_udp_send(NULL, "x", 1), VIV_EINVAL);
    assert_int_equal(viv_udp_recv(NULL, buf, sizeof buf), VIV_EINVAL);
    assert_int_equal(viv_udp_recvfrom(NULL, buf, sizeof buf, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_peek_len(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_error(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_bind(NULL, &dst), VIV_EINVAL);
    assert_int_equal(viv_udp_local(NULL, tx), VIV_EINVAL);
    assert_int_equal(viv_udp_local(&dst, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_peer(NULL, tx), VIV_EINVAL);
    assert_int_equal(viv_udp_stats(NULL, tx), VIV_EINVAL);
    assert_int_equal(viv_udp_stats((viv_udp_stats_t *)buf, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_udp_stats(NULL, p.a), VIV_EINVAL);
    viv_udp_t *none = (viv_udp_t *)&rec;
    assert_int_equal(viv_udp_new(&none, NULL, NULL, NULL, NULL), VIV_EINVAL);
    assert_ptr_equal(none, (viv_udp_t *)&rec); /* untouched */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    /* Every good datagram arrived, once, in order. */
    assert_int_equal(rec.nrx, (uint32_t)good);
    for (int i = 0; i < good; i++) {
        int v;
        memcpy(&v, rec.rx[i].bytes, sizeof v);
        assert_int_equal(v, i);
    }
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, tx), 0);
    assert_int_equal(st.tx_datagrams, (uint64_t)good);
}

/* ---- a DNS-like retry schedule ------------------------------------------------------------- */

typedef struct resolver {
    viv_sim_t *sim;
    viv_udp_t *s;
    viv_sockaddr_t server;
    viv_event_id timer;
    viv_time_t timeout;
    int attempts;
} resolver;

static void resolver_send(resolver *r)
{
    uint8_t q[2] = {'Q', (uint8_t)r->attempts};
    r->attempts++;
    assert_int_equal(viv_udp_sendto(r->s, q, sizeof q, &r->server), 2);
}

static void resolver_timeout(viv_sim_t *sim, void *user)
{
    resolver *r = user;
    (void)sim;
    if (r->attempts >= 4)
        return;
    resolver_send(r);
    r->timeout *= 2; /* exponential backoff */
    assert_int_equal(viv_sim_schedule_after(&r->timer, r->sim, r->timeout, resolver_timeout, r),
                     0);
}

static void resolver_cb(viv_udp_t *s, uint32_t events, void *user)
{
    resolver *r = user;
    uint8_t a[8];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, a, sizeof a) == 2)
        viv_sim_cancel(r->sim, r->timer);
}

static void server_cb(viv_udp_t *s, uint32_t events, void *user)
{
    (void)user;
    uint8_t q[8];
    viv_sockaddr_t from;
    if (!(events & VIV_EV_READABLE))
        return;
    int n;
    while ((n = viv_udp_recvfrom(s, q, sizeof q, &from, NULL)) == 2) {
        q[0] = 'A';
        assert_int_equal(viv_udp_sendto(s, q, 2, &from), 2);
    }
}

/* A query across a router, the first copy dropped on the router-to-server link: the
 * application retries after its 1 s timeout and the second copy is answered. */
static void test_udp__dns_like_retry_after_drop(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_lan lan;
    l4t_lan_build(&lan, sim, 1);
    viv_rec_t *wire = wire_rec(sim, viv_host_port(lan.h[0], 0));
    assert_int_equal(viv_rec_name(wire, "h1", L4T_LAN_IP(0)), 0);
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = 17;
    m.dport = 53;
    assert_int_equal(viv_link_drop_nth(lan.far_link, VIV_LINK_AB, &m, 1), 0);
    viv_udp_t *srv;
    assert_int_equal(viv_udp_new(&srv, lan.far, NULL, server_cb, NULL), 0);
    viv_sockaddr_t s53 = l4t_sa(VIV_IP4_ANY, 53);
    assert_int_equal(viv_udp_bind(srv, &s53), 0);
    resolver r;
    memset(&r, 0, sizeof r);
    r.sim = sim;
    r.server = l4t_sa(L4T_FAR, 53);
    r.timeout = VIV_S(1);
    assert_int_equal(viv_udp_new(&r.s, lan.h[0], NULL, resolver_cb, &r), 0);
    resolver_send(&r);
    assert_int_equal(viv_sim_schedule_after(&r.timer, sim, r.timeout, resolver_timeout, &r), 0);
    r.timeout *= 2;
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);

    /* Two copies, the second at 1 s; its answer over six hops of 10 us (60-byte frames) with
     * every address resolved; nothing after: the answer cancelled the third attempt. */
    expect_frames(wire, "allow ARP\nh1>far UDP 53 len 2\n1 h1>far UDP 53 len 2\n"
                        "+0.000064032 far>h1 UDP 53 len 2\nnothing else until 10\n");
    viv_link_stats_t ls;
    assert_int_equal(viv_link_stats(&ls, lan.far_link, VIV_LINK_AB), 0);
    assert_int_equal(ls.drop_intercept, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_udp__port_unreachable_is_ignored_when_unconnected),
        T(test_udp__connected_port_unreachable_is_econnrefused),
        T(test_udp__stored_error_is_returned_once_by_send),
        T(test_udp__stored_error_is_returned_once_by_recv),
        T(test_udp__connected_host_unreachable),
        T(test_udp__callbacks_never_run_inside_api_calls),
        T(test_udp__events_follow_their_event),
        T(test_udp__callbacks_raised_outside_a_run_are_a_step),
        T(test_udp__a_stop_in_a_callback_leaves_the_rest_for_the_next_run),
        T(test_udp__readable_when_queue_becomes_non_empty),
        T(test_udp__free_inside_own_callback),
        T(test_udp__free_with_pending_notification),
        T(test_udp__free_host_inside_socket_callback),
        T(test_udp__free_host_with_sockets_and_queued_data),
        T(test_udp__bad_arguments_fail_clearly_and_lose_nothing),
        T(test_udp__dns_like_retry_after_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
