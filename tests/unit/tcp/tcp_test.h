/* Helpers shared by the TCP tests: a world of two hosts on one cable (or a device standing
 * for the peer), a trace recorder that keeps every TCP segment sent (with sequence numbers
 * relative to each side's ISS and IRS) and every state change, and a socket recorder that
 * drains what it receives and accepts what its listener offers.
 *
 * Links run at 1 Gb/s with a 1 ms delay: a frame of B bytes (padded to 60 by the host) takes
 * (B + 24) * 8 ns to serialize (link.h's formula with Ethernet's 24 bytes of overhead) and
 * arrives 1 ms after that. A SYN with its MSS option is 58 bytes (60 on the wire), a bare
 * ACK 54 (60): 672 ns each.
 *
 * The world turns SACK, timestamps and window scaling off (tt_world_build), so that the
 * state-machine tests see the plain 20-byte header their times are computed from; the
 * options have their own tests (test_tcp_options.c, test_tcp_recovery.c), which turn them
 * back on per socket. */
#ifndef VIV_TEST_TCP_H
#define VIV_TEST_TCP_H

#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TT_A VIV_IP4(10, 0, 0, 1)
#define TT_B VIV_IP4(10, 0, 0, 2)
#define TT_DELAY VIV_MS(1)
#define TT_MAXSEG 4096
#define TT_MAXST 512
#define TT_MAXSOCK 8
#define TT_RXCAP (256u * 1024u)

/* The serialization time of a frame of len bytes (padded to 60) at 1 Gb/s. */
static inline viv_time_t tt_ser(size_t len)
{
    if (len < 60)
        len = 60;
    return (viv_time_t)(len + 24) * 8;
}
/* One hop of a frame of len bytes: serialization and the 1 ms delay. */
static inline viv_time_t tt_hop(size_t len)
{
    return tt_ser(len) + TT_DELAY;
}
/* Frame length of a TCP segment: Ethernet, IPv4, TCP header with opt bytes of options. */
static inline size_t tt_frame(size_t payload, size_t opt)
{
    return 14 + 20 + 20 + opt + payload;
}

/* A segment a host's TCP sent (from the trace). */
typedef struct tt_seg {
    viv_time_t t;
    int from; /* 0: host a, 1: host b, 2: another node */
    const void *sock;
    uint8_t flags;
    uint32_t seq, ack; /* relative to the sender's ISS and IRS (raw when no socket) */
    uint32_t raw_seq, raw_ack;
    uint32_t len, win;
} tt_seg;

/* A state change (from the trace). */
typedef struct tt_st {
    viv_time_t t;
    int from;
    const void *sock;
    int old_state, state;
} tt_st;

struct tt_world;

/* What a socket's callback saw, and the data it received. */
typedef struct tt_sock {
    struct tt_world *w;
    viv_tcp_t *s;
    uint32_t calls;
    uint32_t all;     /* every event bit delivered */
    uint32_t ev[32];  /* the bits of the first 32 calls */
    viv_time_t t[32]; /* and when */
    viv_time_t t_connected, t_closed, t_error, t_eof;
    int err;          /* viv_tcp_error() read at VIV_EV_ERROR */
    int drain;        /* read everything on READABLE (default 1) */
    int eof;          /* recv returned 0 */
    int close_on_eof; /* close the socket when the stream ends */
    int closed_by_cb;
    uint8_t *rx; /* what it read (TT_RXCAP bytes) */
    size_t nrx;
    const uint8_t *tx; /* data to send as the socket allows (writer) */
    size_t ntx, sent;
    int shut_after_tx;      /* shutdown(WR) once everything is queued */
    int accept;             /* listener: accept every connection into a new slot */
    int child_close_on_eof; /* listener: what its accepted connections do */
    int child_no_drain;
    struct tt_sock *children[8]; /* listener: the connections it accepted */
    size_t nchildren;
} tt_sock;

typedef struct tt_world {
    viv_sim_t *sim;
    viv_host_t *a, *b;
    viv_link_t *link; /* port A is host a's */
    tt_seg seg[TT_MAXSEG];
    size_t nseg;
    tt_st st[TT_MAXST];
    size_t nst;
    size_t nrexmit, ntimer_start, ntimer_expire;
    tt_sock socks[TT_MAXSOCK];
    size_t nsocks;
    int in_api; /* set around API calls: a socket callback then is a bug */
} tt_world;

static inline int tt_from(const tt_world *w, const viv_node_t *n)
{
    if (n == viv_host_node(w->a))
        return 0;
    if (w->b && n == viv_host_node(w->b))
        return 1;
    return 2;
}

static inline void tt_trace(const viv_trace_record *r, void *user)
{
    tt_world *w = user;
    switch (r->kind) {
    case VIV_TRACE_TCP_SEG_TX: {
        assert_true(w->nseg < TT_MAXSEG);
        tt_seg *g = &w->seg[w->nseg++];
        g->t = r->time;
        g->from = tt_from(w, r->node);
        g->sock = r->socket;
        g->flags = r->tcp_flags;
        g->raw_seq = r->seq;
        g->raw_ack = r->ack;
        g->seq = r->socket ? r->seq - r->iss : r->seq;
        g->ack = r->socket && (r->tcp_flags & VIV_TCP_ACK) ? r->ack - r->irs : r->ack;
        g->len = r->seg_len;
        g->win = r->window;
        break;
    }
    case VIV_TRACE_TCP_STATE: {
        assert_true(w->nst < TT_MAXST);
        tt_st *s = &w->st[w->nst++];
        s->t = r->time;
        s->from = tt_from(w, r->node);
        s->sock = r->socket;
        s->old_state = r->old_state;
        s->state = r->state;
        break;
    }
    case VIV_TRACE_TCP_RETRANSMIT:
        w->nrexmit++;
        break;
    case VIV_TRACE_TCP_TIMER_START:
        w->ntimer_start++;
        break;
    case VIV_TRACE_TCP_TIMER_EXPIRE:
        w->ntimer_expire++;
        break;
    default:
        break;
    }
}

static inline void tt_sock_cb(viv_tcp_t *s, uint32_t events, void *user);

/* A recorder slot for socket s (NULL: filled later by accept). */
static inline tt_sock *tt_sock_new(tt_world *w)
{
    assert_true(w->nsocks < TT_MAXSOCK);
    tt_sock *k = &w->socks[w->nsocks++];
    memset(k, 0, sizeof(*k));
    k->w = w;
    k->drain = 1;
    k->rx = calloc(1, TT_RXCAP);
    assert_non_null(k->rx);
    k->t_connected = k->t_closed = k->t_error = k->t_eof = VIV_TIME_NEVER;
    return k;
}

static inline void tt_pump(tt_sock *k)
{
    while (k->tx && k->sent < k->ntx) {
        int n = viv_tcp_send(k->s, k->tx + k->sent, k->ntx - k->sent);
        if (n <= 0)
            break;
        k->sent += (size_t)n;
    }
    if (k->tx && k->sent == k->ntx && k->shut_after_tx == 1) {
        k->shut_after_tx = 2;
        assert_int_equal(viv_tcp_shutdown(k->s, VIV_SHUT_WR), 0);
    }
}

static inline void tt_sock_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    tt_sock *k = user;
    tt_world *w = k->w;
    viv_time_t now = viv_sim_now(w->sim);
    assert_false(w->in_api);
    assert_int_not_equal(events, 0);
    assert_ptr_equal(s, k->s);
    if (k->calls < 32) {
        k->ev[k->calls] = events;
        k->t[k->calls] = now;
    }
    k->calls++;
    k->all |= events;
    if ((events & VIV_EV_CONNECTED) && k->t_connected == VIV_TIME_NEVER)
        k->t_connected = now;
    if (events & VIV_EV_CLOSED)
        k->t_closed = now;
    if (events & VIV_EV_ERROR) {
        k->t_error = now;
        k->err = viv_tcp_error(s);
    }
    if ((events & VIV_EV_ACCEPTABLE) && k->accept) {
        for (;;) {
            tt_sock *c = tt_sock_new(w);
            c->close_on_eof = k->child_close_on_eof;
            c->drain = !k->child_no_drain;
            if (viv_tcp_accept(&c->s, s, tt_sock_cb, c) < 0) {
                free(c->rx);
                w->nsocks--;
                break;
            }
            assert_true(k->nchildren < 8);
            k->children[k->nchildren++] = c;
        }
    }
    if ((events & VIV_EV_READABLE) && k->drain) {
        for (;;) {
            uint8_t buf[4096];
            int n = viv_tcp_recv(s, buf, sizeof buf);
            if (n > 0) {
                assert_true(k->nrx + (size_t)n <= TT_RXCAP);
                memcpy(k->rx + k->nrx, buf, (size_t)n);
                k->nrx += (size_t)n;
                continue;
            }
            if (n == 0 && !k->eof) {
                k->eof = 1;
                k->t_eof = now;
                if (k->close_on_eof) {
                    k->closed_by_cb = 1;
                    viv_tcp_close(s);
                    return;
                }
            }
            break;
        }
    }
    if (events & (VIV_EV_WRITABLE | VIV_EV_CONNECTED))
        tt_pump(k);
}

/* Resolve ARP both ways with one ping (10 ms). */
static inline void tt_arp_warm(viv_sim_t *sim, viv_host_t *h, viv_ip4_t dst)
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

static inline viv_host_t *tt_host(viv_sim_t *sim, const char *name, viv_ip4_t ip)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, ip, 24), 0);
    return h;
}

/* Two hosts a (10.0.0.1) and b (10.0.0.2) on one cable, ARP resolved; the clock is then at
 * 10 ms. No SACK, timestamps or window scaling unless a socket asks. The trace is on. */
static inline void tt_world_build(tt_world *w, viv_sim_t *sim)
{
    memset(w, 0, sizeof(*w));
    w->sim = sim;
    w->a = tt_host(sim, "a", TT_A);
    w->b = tt_host(sim, "b", TT_B);
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = TT_DELAY;
    assert_int_equal(
        viv_link_new(&w->link, sim, viv_host_port(w->a, 0), viv_host_port(w->b, 0), &p), 0);
    tt_arp_warm(sim, w->a, TT_B);
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
    /* The segment-by-segment tests check RFC 5681 and RFC 6582 (NewReno) without options;
     * tests of the options and of CUBIC turn them on themselves. */
    t.sack = t.timestamps = t.window_scaling = 0;
    t.cc = &viv_tcp_cc_newreno;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    assert_int_equal(viv_sim_trace(sim, tt_trace, w), 0);
}

/* tt_world_build, with SACK on or off and a lossy a-to-b direction (the bulk transfers that
 * compare two ways of sending or reading). */
static inline void tt_world_lossy(tt_world *w, viv_sim_t *sim, int sack, double loss_ab)
{
    tt_world_build(w, sim);
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
    t.sack = sack;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    assert_int_equal(viv_link_set_loss(w->link, VIV_LINK_AB, loss_ab), 0);
}

static inline void tt_world_free(tt_world *w)
{
    for (size_t i = 0; i < w->nsocks; i++)
        free(w->socks[i].rx);
    w->nsocks = 0;
}

static inline viv_sockaddr_t tt_sa(viv_ip4_t ip, uint16_t port)
{
    viv_sockaddr_t a = {ip, port};
    return a;
}

/* A listener on b:port; accepted connections go to recorder slots from the next one. */
static inline tt_sock *tt_listen(tt_world *w, viv_host_t *h, uint16_t port, const viv_tcp_opts *o,
                                 uint32_t backlog)
{
    tt_sock *k = tt_sock_new(w);
    assert_int_equal(viv_tcp_new(&k->s, h, o, tt_sock_cb, k), 0);
    viv_sockaddr_t sa = tt_sa(VIV_IP4_ANY, port);
    assert_int_equal(viv_tcp_bind(k->s, &sa), 0);
    assert_int_equal(viv_tcp_listen(k->s, backlog), 0);
    return k;
}

/* A client on h connecting to ip:port (EINPROGRESS checked). */
static inline tt_sock *tt_connect(tt_world *w, viv_host_t *h, viv_ip4_t ip, uint16_t port,
                                  const viv_tcp_opts *o)
{
    tt_sock *k = tt_sock_new(w);
    assert_int_equal(viv_tcp_new(&k->s, h, o, tt_sock_cb, k), 0);
    viv_sockaddr_t sa = tt_sa(ip, port);
    w->in_api = 1;
    assert_int_equal(viv_tcp_connect(k->s, &sa), VIV_EINPROGRESS);
    w->in_api = 0;
    return k;
}

/* A connection from a (client) to b:80 (listener srv, accepted as *child), established;
 * the clock has moved 100 ms. */
static inline void tt_establish(tt_world *w, const viv_tcp_opts *co, const viv_tcp_opts *so,
                                tt_sock **cli, tt_sock **child, tt_sock **srv)
{
    tt_sock *l = tt_listen(w, w->b, 80, so, 0);
    l->accept = 1;
    tt_sock *k = tt_connect(w, w->a, TT_B, 80, co);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_state_get(k->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(l->nchildren, 1);
    *cli = k;
    *child = l->children[0];
    if (srv)
        *srv = l;
}

/* The time of the index-th change of sock into state (VIV_TIME_NEVER if none). */
static inline viv_time_t tt_state_time(const tt_world *w, const void *sock, int state)
{
    for (size_t i = 0; i < w->nst; i++)
        if (w->st[i].sock == sock && w->st[i].state == state)
            return w->st[i].t;
    return VIV_TIME_NEVER;
}

/* The state sequence of one socket from the trace, as names joined by spaces, starting with
 * the first state it left. */
static inline const char *tt_states(const tt_world *w, const void *sock, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    int first = 1;
    for (size_t i = 0; i < w->nst; i++) {
        const tt_st *s = &w->st[i];
        if (s->sock != sock)
            continue;
        if (first) {
            n += (size_t)snprintf(buf + n, cap - n, "%s",
                                  viv_tcp_state_name((viv_tcp_state)s->old_state));
            first = 0;
        }
        n += (size_t)snprintf(buf + n, cap - n, " %s", viv_tcp_state_name((viv_tcp_state)s->state));
        assert_true(n < cap);
    }
    return buf;
}

/* Segments as one line each: "<from> <flags> <seq>:<len> ack <ack>", flags in tcpdump's
 * letters (S F R P, '.' for ACK). */
static inline void tt_flags_text(uint8_t f, char *out)
{
    size_t n = 0;
    if (f & VIV_TCP_SYN)
        out[n++] = 'S';
    if (f & VIV_TCP_FIN)
        out[n++] = 'F';
    if (f & VIV_TCP_RST)
        out[n++] = 'R';
    if (f & VIV_TCP_PSH)
        out[n++] = 'P';
    if (f & VIV_TCP_ACK)
        out[n++] = '.';
    out[n] = 0;
}

static inline const char *tt_segs(const tt_world *w, size_t from_index, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = from_index; i < w->nseg; i++) {
        const tt_seg *g = &w->seg[i];
        char f[8];
        tt_flags_text(g->flags, f);
        n += (size_t)snprintf(buf + n, cap - n, "%c %s %u:%u", "abx"[g->from], f, g -> seq,
                              g -> len);
        if (g->flags & VIV_TCP_ACK)
            n += (size_t)snprintf(buf + n, cap - n, " ack %u", g->ack);
        n += (size_t)snprintf(buf + n, cap - n, "\n");
        assert_true(n < cap);
    }
    return buf;
}

/* Two runs sent the same segments: the same count, and each at the same time, from the
 * same host, with the same flags, numbers (relative), length and window. */
static inline void tt_same_segs(const tt_seg *a, size_t na, const tt_seg *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        const tt_seg *x = &a[i], *y = &b[i];
        assert_int_equal(x->t, y->t);
        assert_int_equal(x->from, y->from);
        assert_int_equal(x->flags, y->flags);
        assert_int_equal(x->seq, y->seq);
        assert_int_equal(x->ack, y->ack);
        assert_int_equal(x->len, y->len);
        assert_int_equal(x->win, y->win);
    }
}

/* A deterministic byte pattern. */
static inline void tt_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

#define TT_TEST(name)                                                                              \
    cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

#endif
