/* Helpers shared by the layer-4 tests: small topologies built through the public API, and a
 * socket callback that records what it is told and everything it receives.
 *
 * Topologies use round numbers so that a test can state exact times: links run at 1 Gb/s
 * (a frame of B bytes takes (B + 24) * 8 ns to serialize, 24 being the Ethernet overhead the
 * link adds by default) with a propagation delay chosen by the test. */
#ifndef VIV_TEST_L4_H
#define VIV_TEST_L4_H

#include "viv_test.h"

#include <stdlib.h>
#include <string.h>

#define L4T_MAXCOPY 256u
#define L4T_MAXRX 512u

/* The serialization time of a frame of len bytes on a 1 Gb/s link with Ethernet overhead:
 * frames shorter than 60 bytes are padded to 60 by the sending host. */
static inline viv_time_t l4t_ser_ns(size_t len)
{
    if (len < 60)
        len = 60;
    return (viv_time_t)(len + 24) * 8;
}

/* The frame length of a UDP datagram with n payload bytes: Ethernet, IPv4, UDP headers. */
static inline size_t l4t_udp_frame(size_t n) { return 14 + 20 + 8 + n; }

static inline viv_sockaddr_t l4t_sa(viv_ip4_t ip, uint16_t port)
{
    viv_sockaddr_t a = {ip, port};
    return a;
}

/* A host with one interface and one address. */
static inline viv_host_t *l4t_host(viv_sim_t *sim, const char *name, viv_ip4_t ip,
                                   uint8_t prefix_len)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    if (ip)
        assert_int_equal(viv_host_add_addr(h, 0, ip, prefix_len), 0);
    return h;
}

/* A link with the same rate (1 Gb/s) and delay both ways. */
static inline viv_link_t *l4t_link(viv_sim_t *sim, viv_port_t *a, viv_port_t *b,
                                   viv_time_t delay_ns)
{
    viv_link_t *l = NULL;
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = delay_ns;
    assert_int_equal(viv_link_new(&l, sim, a, b, &p), 0);
    return l;
}

/* Resolve ARP between host h and dst (both ways) with one ping, so that a burst of
 * datagrams is not cut by the ARP queue (3 packets per unresolved address by default).
 * Runs the simulation for 10 ms. */
static inline void l4t_arp_warm(viv_sim_t *sim, viv_host_t *h, viv_ip4_t dst)
{
    viv_ping_t *ping;
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    assert_int_equal(viv_ping_start(&ping, h, dst, &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_ping_stats_t st;
    assert_int_equal(viv_ping_stats(&st, ping), 0);
    assert_int_equal(st.received, 1);
    viv_ping_free(ping);
}

/* Two hosts on one cable: a = 10.0.0.1/24, b = 10.0.0.2/24, 1 ms each way. */
typedef struct l4t_pair {
    viv_host_t *a, *b;
    viv_link_t *link; /* A side is a */
} l4t_pair;

#define L4T_A VIV_IP4(10, 0, 0, 1)
#define L4T_B VIV_IP4(10, 0, 0, 2)

static inline void l4t_pair_build(l4t_pair *p, viv_sim_t *sim)
{
    p->a = l4t_host(sim, "a", L4T_A, 24);
    p->b = l4t_host(sim, "b", L4T_B, 24);
    p->link = l4t_link(sim, viv_host_port(p->a, 0), viv_host_port(p->b, 0), VIV_MS(1));
}

/* A LAN: n hosts (10.0.0.1 .. 10.0.0.n /24) on a switch, and a router on the switch's last
 * port (10.0.0.254 on eth0, 10.0.9.1/24 on eth1) with a host behind it (10.0.9.2). Every
 * link has a 10 us delay. */
#define L4T_LAN_MAX 4
typedef struct l4t_lan {
    viv_host_t *h[L4T_LAN_MAX];
    uint32_t n;
    viv_switch_t *sw;
    viv_host_t *r;      /* the router */
    viv_host_t *far;    /* the host behind it */
    viv_link_t *far_link;
} l4t_lan;

#define L4T_LAN_IP(i) VIV_IP4(10, 0, 0, (i) + 1)
#define L4T_LAN_BCAST VIV_IP4(10, 0, 0, 255)
#define L4T_ROUTER VIV_IP4(10, 0, 0, 254)
#define L4T_FAR VIV_IP4(10, 0, 9, 2)

static inline void l4t_lan_build(l4t_lan *l, viv_sim_t *sim, uint32_t n)
{
    static const char *const names[L4T_LAN_MAX] = {"h1", "h2", "h3", "h4"};
    assert_true(n <= L4T_LAN_MAX);
    l->n = n;
    assert_int_equal(viv_switch_new(&l->sw, sim, n + 1, NULL), 0);
    for (uint32_t i = 0; i < n; i++) {
        l->h[i] = l4t_host(sim, names[i], L4T_LAN_IP(i), 24);
        l4t_link(sim, viv_host_port(l->h[i], 0), viv_switch_port(l->sw, i), VIV_US(10));
        assert_int_equal(viv_host_set_gateway(l->h[i], L4T_ROUTER), 0);
    }
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "r";
    assert_int_equal(viv_router_new(&l->r, sim, 2, &ro), 0);
    assert_int_equal(viv_host_add_addr(l->r, 0, L4T_ROUTER, 24), 0);
    assert_int_equal(viv_host_add_addr(l->r, 1, VIV_IP4(10, 0, 9, 1), 24), 0);
    l4t_link(sim, viv_host_port(l->r, 0), viv_switch_port(l->sw, n), VIV_US(10));
    l->far = l4t_host(sim, "far", L4T_FAR, 24);
    l->far_link = l4t_link(sim, viv_host_port(l->r, 1), viv_host_port(l->far, 0), VIV_US(10));
    assert_int_equal(viv_host_set_gateway(l->far, VIV_IP4(10, 0, 9, 1)), 0);
}

/* One datagram a recorder received. */
typedef struct l4t_dgram {
    int len;                 /* what recvfrom returned */
    uint32_t flags;
    viv_sockaddr_t from;
    viv_time_t t;
    uint8_t bytes[L4T_MAXCOPY];
} l4t_dgram;

/* What a socket's callback was told, and what it received. */
typedef struct l4t_rec {
    viv_sim_t *sim;
    uint32_t calls;          /* callback invocations */
    uint32_t events[16];     /* the event bits of the first 16 calls */
    viv_time_t times[16];    /* and when they came */
    uint32_t all_events;     /* every bit ever delivered */
    int in_api;              /* set by the test around API calls: a callback then is a bug */
    int drain;               /* receive every queued datagram on VIV_EV_READABLE */
    size_t bufcap;           /* the receive buffer size used when draining (default 256) */
    int free_on_call;        /* free the socket inside the callback at this call (1..) */
    int last_error;          /* viv_udp_error() read on VIV_EV_ERROR */
    int read_error;          /* whether to read it */
    int recv_error;          /* a negative code recvfrom returned while draining */
    l4t_dgram rx[L4T_MAXRX];
    uint32_t nrx;
} l4t_rec;

static inline void l4t_rec_init(l4t_rec *r, viv_sim_t *sim)
{
    memset(r, 0, sizeof(*r));
    r->sim = sim;
    r->drain = 1;
}

static inline void l4t_cb(viv_udp_t *s, uint32_t events, void *user)
{
    l4t_rec *r = user;
    assert_false(r->in_api); /* never from inside an API call */
    assert_int_not_equal(events, 0);
    if (r->calls < 16) {
        r->events[r->calls] = events;
        r->times[r->calls] = viv_sim_now(r->sim);
    }
    r->calls++;
    r->all_events |= events;
    if (r->free_on_call && r->calls == (uint32_t)r->free_on_call) {
        viv_udp_free(s);
        return;
    }
    if ((events & VIV_EV_ERROR) && r->read_error)
        r->last_error = viv_udp_error(s);
    if ((events & VIV_EV_READABLE) && r->drain) {
        size_t cap = r->bufcap ? r->bufcap : L4T_MAXCOPY;
        assert_true(cap <= L4T_MAXCOPY);
        for (;;) {
            assert_true(r->nrx < L4T_MAXRX);
            l4t_dgram *d = &r->rx[r->nrx];
            memset(d, 0, sizeof(*d));
            d->len = viv_udp_recvfrom(s, d->bytes, cap, &d->from, &d->flags);
            if (d->len < 0) {
                if (d->len != VIV_EAGAIN)
                    r->recv_error = d->len; /* a stored error, returned once */
                break;
            }
            d->t = viv_sim_now(r->sim);
            r->nrx++;
        }
    }
}

#endif
