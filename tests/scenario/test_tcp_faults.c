/* The TCP fault matrix (issue 19): one connection's whole life, with one fault in one phase.
 *
 * The life: a client (10.0.0.1) connects to a server process (10.0.0.2:80), sends C_BYTES
 * and shuts its sending side; the server reads to the end of the stream, answers with
 * S_BYTES and closes; the client reads to the end and closes. The client sends its FIN
 * first, so TIME-WAIT belongs to it.
 *
 * The phases are segments as they cross the cable: the SYN, the SYN-ACK, the handshake's
 * ACK, the first data segment, a retransmission (the first data segment is lost, and then
 * its first retransmission), each FIN, and the last ACK. The faults: drop the phase's
 * segment, delay it past the RTO, duplicate it, cut the cable when it passes (for less, or
 * for more, than the user timeout), switch the server off and on (all its state lost), or
 * end the server's process. Each case is one row of a table built from the two lists: a new
 * phase or fault is one line.
 *
 * Every case checks what holds whatever the fault: the bytes each side read are a prefix of
 * what the other sent (exactly once, in order); every state change of every connection is
 * an edge of RFC 9293's diagram (figure 5, with the edges the RFC's text adds: resets,
 * timeouts, aborts); TIME-WAIT is entered only by a side that sent its FIN before the
 * peer's FIN reached it; the simulation ends with every connection gone and no byte
 * leaked. Then the outcome the RFCs give for that case: recovered (every byte both ways, no
 * error), or the error each side's program saw. */
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C_IP VIV_IP4(10, 0, 0, 1)
#define S_IP VIV_IP4(10, 0, 0, 2)
#define C_BYTES 30000u
#define S_BYTES 20000u
#define USER_TIMEOUT VIV_S(10)
#define DELAY_PAST_RTO VIV_MS(1500) /* the initial RTO is 1 s, the minimum 200 ms */
#define CUT_SHORT VIV_S(3)
#define CUT_LONG VIV_S(40)
#define POWER_OFF_FOR VIV_S(3)
#define END_BY VIV_S(2000)

typedef enum phase {
    PH_SYN,
    PH_SYNACK,
    PH_HSACK,
    PH_DATA1,
    PH_RETX,
    PH_FIN1,
    PH_FIN2,
    PH_LASTACK,
    PH_COUNT
} phase;

static const char *const phase_name[PH_COUNT] = {
    "SYN",        "SYN-ACK",    "handshake ACK", "first data", "a retransmission",
    "client FIN", "server FIN", "last ACK",
};

typedef enum fault {
    FT_DROP,
    FT_DELAY,
    FT_DUP,
    FT_CUT_SHORT,
    FT_CUT_LONG,
    FT_POWER,
    FT_KILL,
    FT_COUNT
} fault;

static const char *const fault_name[FT_COUNT] = {
    "drop",
    "delay past the RTO",
    "duplicate",
    "cut < user timeout",
    "cut > user timeout",
    "server off and on",
    "server process ended",
};

/* What the programs see at the end. */
typedef struct outcome {
    int c_full, s_full; /* the client read all S_BYTES, the server all C_BYTES */
    int c_err, s_err;   /* the error each program read (0: none) */
    int c_left, s_left; /* connections still open at the end (half-open: never told) */
} outcome;

/* ---- one run ------------------------------------------------------------------------------ */

typedef struct world world;

typedef struct side {
    world *w;
    viv_tcp_t *s; /* held by the program (NULL once closed) */
    size_t sent;  /* bytes queued */
    size_t total; /* bytes to send */
    uint8_t rx[C_BYTES > S_BYTES ? C_BYTES : S_BYTES];
    size_t nrx;
    int eof, err;
} side;

struct world {
    viv_sim_t *sim;
    viv_host_t *c, *srv;
    viv_link_t *link;
    viv_process_t *proc;
    viv_tcp_t *listener;
    side cli, child;
    fault f;
    phase p;
    int fired; /* the fault was applied */
    int debug; /* print every segment (VIV_FAULT_DEBUG=fault,phase) */
    /* what the cable saw */
    int syn_seen, synack_seen, hsack_seen, data1_seen, fin1_seen, fin2_seen, lastack_seen;
    uint32_t data1_seq;
    int data1_dropped, retx_dropped;
    int first_fin_from; /* 0 none yet, 1 client, 2 server */
    /* from the trace */
    int bad_edge;
    char bad[160];
    int tw_client, tw_server;
    int fin_sent_first[2]; /* [0] client, [1] server: it sent a FIN before receiving one */
    int fin_rcvd[2];
};

static uint8_t pattern(int who, size_t i)
{
    return (uint8_t)(who * 101 + i * 7 + (i >> 8));
}

static void side_pump(side *k, int who)
{
    uint8_t buf[4096];
    while (k->s && k->sent < k->total) {
        size_t n = k->total - k->sent;
        if (n > sizeof buf)
            n = sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(who, k->sent + i);
        int r = viv_tcp_send(k->s, buf, n);
        if (r <= 0)
            return;
        k->sent += (size_t)r;
    }
}

static void side_drain(side *k)
{
    for (;;) {
        uint8_t buf[4096];
        int n = viv_tcp_recv(k->s, buf, sizeof buf);
        if (n > 0) {
            assert_true(k->nrx + (size_t)n <= sizeof k->rx);
            memcpy(k->rx + k->nrx, buf, (size_t)n);
            k->nrx += (size_t)n;
            continue;
        }
        if (n == 0)
            k->eof = 1;
        return;
    }
}

static void side_close(side *k)
{
    if (k->s) {
        viv_tcp_close(k->s);
        k->s = NULL;
    }
}

static void client_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    side *k = user;
    (void)s;
    if (ev & VIV_EV_ERROR) {
        k->err = viv_tcp_error(k->s);
        side_close(k);
        return;
    }
    if (ev & (VIV_EV_CONNECTED | VIV_EV_WRITABLE)) {
        side_pump(k, 0);
        if (k->sent == k->total)
            viv_tcp_shutdown(k->s, VIV_SHUT_WR);
    }
    if (ev & VIV_EV_READABLE) {
        side_drain(k);
        if (k->eof)
            side_close(k);
    }
}

static void child_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    side *k = user;
    (void)s;
    if (ev & VIV_EV_ERROR) {
        k->err = viv_tcp_error(k->s);
        side_close(k);
        return;
    }
    if (ev & VIV_EV_READABLE) {
        side_drain(k);
        if (k->eof) {
            side_pump(k, 1); /* S_BYTES fit in the send buffer */
            assert_int_equal(k->sent, k->total);
            side_close(k); /* the FIN follows the data */
            return;
        }
    }
}

static void listener_cb(viv_tcp_t *l, uint32_t ev, void *user)
{
    world *w = user;
    if (!(ev & VIV_EV_ACCEPTABLE))
        return;
    viv_tcp_t *s;
    while (viv_tcp_accept(&s, l, child_cb, &w->child) == 0) {
        assert_null(w->child.s); /* one connection only */
        w->child.s = s;
        assert_int_equal(viv_process_adopt_tcp(w->proc, s), 0);
    }
}

/* RFC 9293 figure 5, with the edges its text adds (a reset or an abort ends any synchronized
 * state, a timeout ends any state that waits for an acknowledgement). */
static int edge_ok(int from, int to, int child)
{
    switch (from) {
    case VIV_TCP_CLOSED:
        return to == VIV_TCP_SYN_SENT || to == VIV_TCP_LISTEN ||
               (child && to == VIV_TCP_SYN_RECEIVED);
    case VIV_TCP_LISTEN:
        return to == VIV_TCP_SYN_RECEIVED || to == VIV_TCP_CLOSED || to == VIV_TCP_SYN_SENT;
    case VIV_TCP_SYN_SENT:
        return to == VIV_TCP_ESTABLISHED || to == VIV_TCP_SYN_RECEIVED || to == VIV_TCP_CLOSED;
    case VIV_TCP_SYN_RECEIVED:
        return to == VIV_TCP_ESTABLISHED || to == VIV_TCP_FIN_WAIT_1 || to == VIV_TCP_CLOSED ||
               to == VIV_TCP_LISTEN || to == VIV_TCP_CLOSE_WAIT;
    case VIV_TCP_ESTABLISHED:
        return to == VIV_TCP_FIN_WAIT_1 || to == VIV_TCP_CLOSE_WAIT || to == VIV_TCP_CLOSED;
    case VIV_TCP_FIN_WAIT_1:
        return to == VIV_TCP_FIN_WAIT_2 || to == VIV_TCP_CLOSING || to == VIV_TCP_TIME_WAIT ||
               to == VIV_TCP_CLOSED;
    case VIV_TCP_FIN_WAIT_2:
        return to == VIV_TCP_TIME_WAIT || to == VIV_TCP_CLOSED;
    case VIV_TCP_CLOSE_WAIT:
        return to == VIV_TCP_LAST_ACK || to == VIV_TCP_CLOSED;
    case VIV_TCP_CLOSING:
        return to == VIV_TCP_TIME_WAIT || to == VIV_TCP_CLOSED;
    case VIV_TCP_LAST_ACK:
        return to == VIV_TCP_CLOSED;
    case VIV_TCP_TIME_WAIT:
        return to == VIV_TCP_CLOSED;
    }
    return 0;
}

static void on_trace(const viv_trace_record *r, void *user)
{
    world *w = user;
    if (r->kind != VIV_TRACE_TCP_STATE || r->remote.port == 0)
        return; /* connections only, not the listener */
    int who = r->node == viv_host_node(w->c) ? 0 : 1;
    if (!edge_ok(r->old_state, r->state, who == 1) && !w->bad_edge) {
        w->bad_edge = 1;
        snprintf(w->bad, sizeof w->bad, "%s: %s -> %s", who ? "server" : "client",
                 viv_tcp_state_name(r->old_state), viv_tcp_state_name(r->state));
    }
    if (r->state == VIV_TCP_FIN_WAIT_1 && !w->fin_rcvd[who])
        w->fin_sent_first[who] = 1;
    if (r->state == VIV_TCP_CLOSE_WAIT || r->state == VIV_TCP_CLOSING ||
        r->state == VIV_TCP_TIME_WAIT)
        w->fin_rcvd[who] = 1;
    if (r->state == VIV_TCP_TIME_WAIT) {
        if (who)
            w->tw_server = 1;
        else
            w->tw_client = 1;
    }
}

static void restore_link(viv_sim_t *sim, void *user)
{
    (void)sim;
    world *w = user;
    viv_link_set_up(w->link, VIV_LINK_BOTH, 1);
}

static void power_on(viv_sim_t *sim, void *user)
{
    (void)sim;
    world *w = user;
    viv_node_set_up(viv_host_node(w->srv), 1);
}

/* Apply a fault that is not about the segment itself. */
static void fire_event_fault(world *w)
{
    switch (w->f) {
    case FT_CUT_SHORT:
    case FT_CUT_LONG:
        assert_int_equal(viv_link_set_up(w->link, VIV_LINK_BOTH, 0), 0);
        assert_int_equal(viv_sim_schedule_after(NULL, w->sim,
                                                w->f == FT_CUT_SHORT ? CUT_SHORT : CUT_LONG,
                                                restore_link, w),
                         0);
        break;
    case FT_POWER:
        assert_int_equal(viv_node_set_up(viv_host_node(w->srv), 0), 0);
        w->listener = NULL; /* its state is lost with the power */
        w->child.s = NULL;
        assert_int_equal(viv_sim_schedule_after(NULL, w->sim, POWER_OFF_FOR, power_on, w), 0);
        break;
    case FT_KILL:
        assert_int_equal(viv_process_kill(w->proc), 0);
        w->listener = NULL; /* the host closed them */
        w->child.s = NULL;
        break;
    default:
        break;
    }
}

static viv_verdict intercept(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                             const viv_frame_info *fi, viv_time_t *delay_ns, void *user)
{
    (void)link;
    (void)frame;
    (void)len;
    world *w = user;
    if (!fi->has_ip || fi->ip_proto != 6)
        return VIV_VERDICT_DELIVER;
    if (w->debug) {
        char line[160];
        viv_frame_info_format(fi, line, sizeof line);
        printf("  %10.6f %s\n", (double)viv_sim_now(w->sim) / 1e9, line);
    }
    int from_client = dir == VIV_LINK_AB;
    uint8_t fl = fi->tcp_flags;
    int syn = (fl & 0x02) != 0, ack = (fl & 0x10) != 0, fin = (fl & 0x01) != 0;
    int rst = (fl & 0x04) != 0;
    phase hit = PH_COUNT;
    if (rst)
        return VIV_VERDICT_DELIVER;
    if (from_client && syn && !ack && !w->syn_seen) {
        w->syn_seen = 1;
        hit = PH_SYN;
    } else if (!from_client && syn && ack && !w->synack_seen) {
        w->synack_seen = 1;
        hit = PH_SYNACK;
    } else if (from_client && !syn && w->synack_seen && !w->hsack_seen) {
        w->hsack_seen = 1;
        hit = PH_HSACK;
    }
    if (hit == PH_COUNT && from_client && fi->payload_len > 0 && !syn) {
        if (!w->data1_seen) {
            w->data1_seen = 1;
            w->data1_seq = fi->tcp_seq;
            hit = PH_DATA1;
        } else if (fi->tcp_seq == w->data1_seq && w->data1_dropped && !w->retx_dropped) {
            w->retx_dropped = 1;
            hit = PH_RETX;
        }
    }
    if (hit == PH_COUNT && fin) {
        if (!w->first_fin_from)
            w->first_fin_from = from_client ? 1 : 2;
        if (from_client && !w->fin1_seen) {
            w->fin1_seen = 1;
            hit = PH_FIN1;
        } else if (!from_client && !w->fin2_seen) {
            w->fin2_seen = 1;
            hit = PH_FIN2;
        }
    } else if (hit == PH_COUNT && from_client && w->fin2_seen && !w->lastack_seen) {
        w->lastack_seen = 1;
        hit = PH_LASTACK;
    }
    /* "A retransmission": the first data segment is lost, then its first retransmission. */
    if (w->p == PH_RETX && hit == PH_DATA1) {
        w->data1_dropped = 1;
        return VIV_VERDICT_DROP;
    }
    if (hit != w->p || w->fired)
        return VIV_VERDICT_DELIVER;
    w->fired = 1;
    switch (w->f) {
    case FT_DROP:
        return VIV_VERDICT_DROP;
    case FT_DELAY:
        *delay_ns = DELAY_PAST_RTO;
        return VIV_VERDICT_DELAY;
    case FT_DUP:
        *delay_ns = VIV_MS(5);
        return VIV_VERDICT_DUPLICATE;
    default:
        fire_event_fault(w);
        return VIV_VERDICT_DELIVER;
    }
}

static viv_host_t *mkhost(viv_sim_t *sim, const char *name, viv_ip4_t ip)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, ip, 24), 0);
    return h;
}

/* TCP connections (not listeners) a host still has. */
static int live_connections(viv_host_t *h)
{
    viv_sock_info rows[8];
    int n = viv_host_netstat(h, rows, 8);
    assert_true(n >= 0 && n <= 8);
    int live = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].proto == VIV_SOCK_TCP && rows[i].state != VIV_TCP_LISTEN &&
            rows[i].state != VIV_TCP_CLOSED)
            live++;
    return live;
}

/* Run one case; returns what the programs saw. */
static outcome run_case(fault f, phase p, uint64_t seed, world *w)
{
    viv_test_alloc a;
    memset(w, 0, sizeof *w);
    const char *dbg = getenv("VIV_FAULT_DEBUG");
    int df = -1, dp = -1;
    if (dbg && sscanf(dbg, "%d,%d", &df, &dp) == 2 && df == (int)f && dp == (int)p)
        w->debug = 1;
    w->f = f;
    w->p = p;
    w->sim = viv_test_sim_new(&a, seed);
    w->c = mkhost(w->sim, "client", C_IP);
    w->srv = mkhost(w->sim, "server", S_IP);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    lp.rate_bps = 100000000;
    assert_int_equal(
        viv_link_new(&w->link, w->sim, viv_host_port(w->c, 0), viv_host_port(w->srv, 0), &lp), 0);
    assert_int_equal(viv_link_set_intercept(w->link, VIV_LINK_BOTH, intercept, w), 0);
    assert_int_equal(viv_sim_trace(w->sim, on_trace, w), 0);

    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.user_timeout_ns = USER_TIMEOUT;
    assert_int_equal(viv_process_new(&w->proc, w->srv, "httpd"), 0);
    assert_int_equal(viv_tcp_new(&w->listener, w->srv, &o, listener_cb, w), 0);
    viv_sockaddr_t any = {VIV_IP4_ANY, 80};
    assert_int_equal(viv_tcp_bind(w->listener, &any), 0);
    assert_int_equal(viv_tcp_listen(w->listener, 4), 0);
    assert_int_equal(viv_process_adopt_tcp(w->proc, w->listener), 0);

    w->cli.w = w;
    w->cli.total = C_BYTES;
    w->child.w = w;
    w->child.total = S_BYTES;
    assert_int_equal(viv_tcp_new(&w->cli.s, w->c, &o, client_cb, &w->cli), 0);
    viv_sockaddr_t to = {S_IP, 80};
    assert_int_equal(viv_tcp_connect(w->cli.s, &to), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run_until(w->sim, END_BY), 0);

    outcome o_ = {0, 0, 0, 0, 0, 0};
    o_.c_full = w->cli.nrx == S_BYTES;
    o_.s_full = w->child.nrx == C_BYTES;
    o_.c_err = w->cli.err;
    o_.s_err = w->child.err;
    /* Exactly once, in order: what was read is a prefix of what was sent. */
    for (size_t i = 0; i < w->cli.nrx; i++)
        if (w->cli.rx[i] != pattern(1, i))
            fail_msg("client read a wrong byte at %zu", i);
    for (size_t i = 0; i < w->child.nrx; i++)
        if (w->child.rx[i] != pattern(0, i))
            fail_msg("server read a wrong byte at %zu", i);
    if (w->bad_edge)
        fail_msg("%s / %s: a state change outside RFC 9293's diagram: %s", fault_name[f],
                 phase_name[p], w->bad);
    if (w->tw_client && !w->fin_sent_first[0])
        fail_msg("%s / %s: client in TIME-WAIT without sending its FIN first", fault_name[f],
                 phase_name[p]);
    if (w->tw_server && !w->fin_sent_first[1])
        fail_msg("%s / %s: server in TIME-WAIT without sending its FIN first", fault_name[f],
                 phase_name[p]);
    /* What is left: a connection one side could not know was dead (no keepalive). */
    o_.c_left = live_connections(w->c);
    o_.s_left = live_connections(w->srv);
    if (w->listener)
        viv_tcp_close(w->listener);
    if (w->cli.s)
        viv_tcp_close(w->cli.s);
    if (w->child.s)
        viv_tcp_close(w->child.s);
    viv_test_sim_free(w->sim, &a);
    return o_;
}

/* ---- the expected outcomes ---------------------------------------------------------------- */

#define OK_ALL                                                                                     \
    {                                                                                              \
        1, 1, 0, 0, 0, 0                                                                           \
    }

/* The cases whose outcome is not "recovered". Every drop, delay, duplicate and short cut
 * recovers (RFC 9293 3.8.1, RFC 6298); the rest is below, each with the rule behind it. */
typedef struct expect_row {
    fault f;
    phase p;
    outcome want; /* c_full, s_full, c_err, s_err, c_left, s_left */
    const char *why;
} expect_row;

#define TMO VIV_ETIMEDOUT
#define RST VIV_ECONNRESET
#define REF VIV_ECONNREFUSED
static const expect_row rows[] = {
    /* The cable is cut for longer than the user timeout (10 s on both sides). */
    {FT_CUT_LONG,
     PH_SYN,
     {0, 0, TMO, 0, 0, 0},
     "the user timeout ends an opening too (RFC 9293 3.10.8; Linux the same)"},
    {FT_CUT_LONG,
     PH_SYNACK,
     {0, 0, TMO, 0, 0, 0},
     "client: user timeout; server: the half-open connection is forgotten after its SYN-ACK "
     "retries, unseen by the program"},
    {FT_CUT_LONG,
     PH_HSACK,
     {0, 0, TMO, 0, 0, 0},
     "client: its data stays unacknowledged past the user timeout; server: as above"},
    {FT_CUT_LONG,
     PH_DATA1,
     {0, 0, TMO, 0, 0, 1},
     "client: user timeout; server: a half-open connection it cannot know of, having nothing "
     "to send (RFC 9293 3.5.2; no keepalive)"},
    {FT_CUT_LONG, PH_RETX, {0, 0, TMO, 0, 0, 1}, "as for the first data segment"},
    {FT_CUT_LONG,
     PH_FIN1,
     {0, 0, TMO, 0, 0, 1},
     "the FIN carried the last 1,084 bytes: the server read the rest and waits half-open"},
    {FT_CUT_LONG,
     PH_FIN2,
     {0, 1, 0, 0, 1, 0},
     "client: FIN-WAIT-2 held by its program waits for ever (RFC 9293 has no timer; Linux "
     "times out orphans only); server: its closed connection gives up unseen"},
    /* The server is switched off for 3 s: all its TCP state is lost. */
    {FT_POWER,
     PH_SYN,
     {0, 0, REF, 0, 0, 0},
     "the listener is gone: the retransmitted SYN draws a reset (RFC 9293 3.10.7.1)"},
    {FT_POWER,
     PH_SYNACK,
     {0, 0, RST, 0, 0, 0},
     "the client's next segment reaches a host with no connection: reset (3.10.7.1)"},
    {FT_POWER, PH_HSACK, {0, 0, RST, 0, 0, 0}, "as above"},
    {FT_POWER, PH_DATA1, {0, 0, RST, 0, 0, 0}, "as above"},
    {FT_POWER, PH_RETX, {0, 0, RST, 0, 0, 0}, "as above"},
    {FT_POWER,
     PH_FIN1,
     {0, 0, RST, 0, 0, 0},
     "as above; the server's program had read all but the FIN's segment"},
    /* The server's process ends: the host closes its sockets. */
    {FT_KILL, PH_SYN, {0, 0, REF, 0, 0, 0}, "no listener: the SYN draws a reset"},
    {FT_KILL,
     PH_SYNACK,
     {0, 0, RST, 0, 0, 0},
     "closing a listener resets the connections nobody accepted (RFC 9293 3.10.4)"},
    {FT_KILL, PH_HSACK, {0, 0, RST, 0, 0, 0}, "as above"},
    {FT_KILL,
     PH_DATA1,
     {0, 0, 0, 0, 0, 0},
     "the accepted connection closes with a FIN: the client reads the end of the stream and "
     "closes; data reaching the closed server draws a reset (RFC 1122 4.2.2.13)"},
    {FT_KILL, PH_RETX, {0, 0, 0, 0, 0, 0}, "as above"},
    {FT_KILL,
     PH_FIN1,
     {0, 0, 0, 0, 0, 0},
     "as above, after the server read all but the FIN's segment"},
};

static outcome expected(fault f, phase p, const char **why)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].f == f && rows[i].p == p) {
            *why = rows[i].why;
            return rows[i].want;
        }
    *why = "one fault is repaired by retransmission (RFC 9293 3.8.1, RFC 6298)";
    outcome all = OK_ALL;
    return all;
}

static world W;

static void test_tcp_faults__matrix(void **state)
{
    (void)state;
    int failures = 0;
    for (uint64_t seed = 1; seed <= 2; seed++)
        for (int f = 0; f < FT_COUNT; f++) {
            for (int p = 0; p < PH_COUNT; p++) {
                const char *why;
                outcome want = expected((fault)f, (phase)p, &why);
                outcome got = run_case((fault)f, (phase)p, seed, &W);
                int match = got.c_full == want.c_full && got.s_full == want.s_full &&
                            got.c_err == want.c_err && got.s_err == want.s_err &&
                            got.c_left == want.c_left && got.s_left == want.s_left;
                printf(
                    "%-22s %-17s fired=%d client %5zu B err %-15s server %5zu B err %-15s tw c%d "
                    "s%d left c%d s%d %s\n",
                    fault_name[f], phase_name[p], W.fired, W.cli.nrx, viv_err_name(got.c_err),
                    W.child.nrx, viv_err_name(got.s_err), W.tw_client, W.tw_server, got.c_left,
                    got.s_left, match ? "" : "  <-- unexpected");
                if (!match) {
                    printf("    expected: client %s %s, server %s %s, left c%d s%d (%s)\n",
                           want.c_full ? "all" : "part", viv_err_name(want.c_err),
                           want.s_full ? "all" : "part", viv_err_name(want.s_err), want.c_left,
                           want.s_left, why);
                    failures++;
                }
                /* A recovered life closes as drawn: the client, which sent its FIN first, goes
                 * through TIME-WAIT; the server never does. */
                if (want.c_full && want.s_full && !want.c_err && !want.s_err &&
                    (!W.tw_client || W.tw_server)) {
                    printf("    TIME-WAIT on the wrong side\n");
                    failures++;
                }
            }
        }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_faults__matrix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
