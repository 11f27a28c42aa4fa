/* Hostile ingress into TCP: see tcp_ingress.h for what the targets check.
 *
 * The world. Hosts S (10.0.0.1) and P (10.0.0.2) and a hostile device D (10.0.0.9, which
 * answers ARP for itself) on one learning switch. S listens on port 80; P opens connections
 * to it from ports 5000 + k, one per state to reach (enum conn_kind). An intercept on the
 * direction P -> switch decides per connection (by P's port) what of P's frames reaches S:
 * everything, nothing (a frozen connection: S's segments still reach P, P's answers are
 * lost), only the first (the SYN: S is left in SYN-RECEIVED), everything but the next data
 * segment (S is left with a hole and data beyond it), or everything up to P's FIN (a
 * simultaneous close is left in CLOSING). Once every state is reached (checked), every
 * connection is frozen, so that what S receives from then on comes from D only.
 *
 * Input of viv_fuzz_tcp_states: byte 0 chooses the TCP options both hosts offer (bit 0
 * timestamps, bit 1 SACK, bit 2 window scaling); then frames, each
 *   [ctl][sel][sel2][len: 2 bytes, big-endian][len bytes]
 * ctl bit 0: destination MAC S's and source MAC D's; bit 1: IPv4 total length and header
 * checksum fixed; bit 2: TCP checksum fixed; bit 3: addressed to one of S's connections
 * (sel & 15 picks it: the established one, each closing state, the half-open one, the
 * SYN-SENT one, or the listener); bit 4: sequence number set to a window edge (sel >> 4); bit 5:
 * acknowledgment number set to an edge (sel2 & 15); bit 6: sent twice; bit 7: instead of the bytes,
 * an ICMP error about connection sel & 15 (see states_icmp). sel2 >> 4 picks the simulated time
 * that passes after it.
 *
 * Input of viv_fuzz_tcp_conn: byte 0 as above; then segments, each
 *   [flags][seq sel][ack sel][window sel][length sel][options sel][time sel][option bytes]
 * where a selector's low 4 bits pick an edge and its high 4 bits a signed offset from it.
 *
 * The input's frames are sent four times over (the same hostile shape each time, but each
 * time re-addressed to the connections' numbers of the moment), with a settling time, the
 * reading of every socket and a sample of the live bytes after each pass. */
#include "tcp_ingress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vivarium.h>

int viv_fuzz_tcp_failures;
int viv_fuzz_tcp_abort;
int viv_fuzz_tcp_verbose;
viv_fuzz_tcp_depth viv_fuzz_tcp_reached;

#define S_IP VIV_IP4(10, 0, 0, 1)
#define P_IP VIV_IP4(10, 0, 0, 2)
#define D_IP VIV_IP4(10, 0, 0, 9)
#define LPORT 80
#define PPORT 5000
#define BACKLOG 12
#define PASSES 4
#define FRAMES_PER_PASS 32
#define FRAME_CAP 1600
#define MAXTRACK 128
#define MAXINJ (PASSES * FRAMES_PER_PASS * 2 + 8)
#define ARENA (MAXINJ * FRAME_CAP)
#define SETTLE VIV_MS(300)

/* S's connections: all but the last two accepted from P's connects (P's port PPORT + k); the
 * half-open one is in S's accept queue; S opens the SYN-SENT one itself, from port SPORT to
 * a listener of P on port PPORT + C_SYNSENT, whose SYN-ACKs the intercept drops. */
enum conn_kind { C_EST, C_FW1, C_FW2, C_CW, C_CLOSING, C_LAST_ACK, C_TW, C_HALF, C_SYNSENT, NCONN };
#define SPORT 8080
static const char *const conn_name[NCONN] = {"ESTABLISHED", "FIN-WAIT-1",   "FIN-WAIT-2",
                                             "CLOSE-WAIT",  "CLOSING",      "LAST-ACK",
                                             "TIME-WAIT",   "SYN-RECEIVED", "SYN-SENT"};
static const viv_tcp_state conn_state[NCONN] = {
    VIV_TCP_ESTABLISHED, VIV_TCP_FIN_WAIT_1,   VIV_TCP_FIN_WAIT_2,
    VIV_TCP_CLOSE_WAIT,  VIV_TCP_CLOSING,      VIV_TCP_LAST_ACK,
    VIV_TCP_TIME_WAIT,   VIV_TCP_SYN_RECEIVED, VIV_TCP_SYN_SENT};

/* What the intercept lets through of one connection's frames from P. */
enum mode { M_PASS, M_DROP, M_FIRST, M_DROP_DATA, M_UNTIL_FIN };

typedef struct conn {
    viv_tcp_t *p, *s;        /* P's socket and S's (accepted; NULL for the half-open one) */
    uint32_t p_irs, s_irs;   /* the peer's ISN as each side saw it */
    uint64_t p_sent, s_sent; /* pattern bytes each side queued */
    uint64_t p_read, s_read; /* bytes each side read */
    int mode, passed;
} conn;

/* A frame of the hostile device that parses as TCP: its bytes may be read by a socket. */
typedef struct inj {
    viv_ip4_t src, dst;
    uint16_t sport, dport;
    uint32_t seq; /* of the first payload byte */
    uint32_t off, len;
} inj;

typedef struct trk {
    const void *sock;
    int state;
} trk;

typedef struct world {
    viv_sim_t *sim;
    size_t live;
    viv_host_t *S, *P;
    viv_device_t *D;
    viv_switch_t *sw;
    viv_mac_t smac, pmac, dmac;
    viv_tcp_t *L;
    uint32_t built; /* the connections made (a bit per conn_kind) */
    conn c[NCONN];
    /* S's half-open connection, known from the trace only. */
    uint32_t half_iss, half_seq, half_ack, half_win;
    int half_seen;
    trk trk[MAXTRACK];
    int ntrk;
    int hostile; /* the hostile phase has begun */
    /* The last segment S's TCP took in (to tell a reset that closes a connection). */
    const void *rx_sock;
    viv_time_t rx_time;
    uint8_t rx_flags;
    uint64_t changes, rst_closed, in_window, to_conn, injected_read;
    uint64_t edges[11][11];
    inj inj[MAXINJ];
    int ninj;
    size_t narena;
    uint8_t arena[ARENA];
    uint8_t buf[70000];
} world;

/* ---- failures ---------------------------------------------------------------------------- */

static void failf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void failf(const char *fmt, ...)
{
    viv_fuzz_tcp_failures++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tcp fuzz invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (viv_fuzz_tcp_abort)
        abort();
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            failf("%s:%d: %s", __FILE__, __LINE__, #cond);                                         \
    } while (0)

/* ---- the counting allocator -------------------------------------------------------------- */

static void *count_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    world *w = ud;
    if (new_size == 0) {
        if (ptr)
            w->live -= old_size;
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p)
        w->live += new_size - (ptr ? old_size : 0);
    return p;
}

/* ---- byte helpers ------------------------------------------------------------------------ */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v);
}

static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}
static uint16_t csum_fin(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* The byte a peer sends at offset o of connection k's stream (dir 0: P to S, 1: S to P):
 * not periodic, so that a byte delivered at the wrong offset is seen. */
static uint8_t pat(int dir, int k, uint64_t o)
{
    uint32_t x = (uint32_t)o * 0x9e3779b1u ^ (uint32_t)(o >> 32) ^ (uint32_t)k * 0x85ebca77u ^
                 (uint32_t)dir * 0xc2b2ae3du;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    return (uint8_t)(x >> 24);
}

/* ---- the state diagram ------------------------------------------------------------------- */

/* RFC 9293 figure 5 and section 3.10: the edges a connection may take, besides any state
 * to CLOSED (reset, abort, timeout, a host switched off). */
static int edge_ok(int from, int to)
{
    if (from < 0 || from > 10 || to < 0 || to > 10 || from == to)
        return 0;
    if (to == VIV_TCP_CLOSED)
        return 1;
    switch (from) {
    case VIV_TCP_CLOSED:
        return to == VIV_TCP_LISTEN || to == VIV_TCP_SYN_SENT;
    case VIV_TCP_LISTEN: /* a connection a listener makes starts here (docs/tcp.md) */
        return to == VIV_TCP_SYN_RECEIVED || to == VIV_TCP_SYN_SENT;
    case VIV_TCP_SYN_SENT:
        return to == VIV_TCP_SYN_RECEIVED || to == VIV_TCP_ESTABLISHED;
    case VIV_TCP_SYN_RECEIVED: /* 3.10.7.4: a FIN in SYN-RECEIVED enters CLOSE-WAIT */
        return to == VIV_TCP_ESTABLISHED || to == VIV_TCP_FIN_WAIT_1 || to == VIV_TCP_CLOSE_WAIT ||
               to == VIV_TCP_LISTEN;
    case VIV_TCP_ESTABLISHED:
        return to == VIV_TCP_FIN_WAIT_1 || to == VIV_TCP_CLOSE_WAIT;
    case VIV_TCP_FIN_WAIT_1: /* 3.10.7.4: a FIN that also acknowledges ours: TIME-WAIT */
        return to == VIV_TCP_FIN_WAIT_2 || to == VIV_TCP_CLOSING || to == VIV_TCP_TIME_WAIT;
    case VIV_TCP_FIN_WAIT_2:
        return to == VIV_TCP_TIME_WAIT;
    case VIV_TCP_CLOSE_WAIT:
        return to == VIV_TCP_LAST_ACK;
    case VIV_TCP_CLOSING:
        return to == VIV_TCP_TIME_WAIT;
    default: /* LAST-ACK and TIME-WAIT only end */
        return 0;
    }
}

static trk *trk_find(world *w, const void *sock)
{
    for (int i = 0; i < w->ntrk; i++)
        if (w->trk[i].sock == sock)
            return &w->trk[i];
    return NULL;
}

static void on_state(world *w, const viv_trace_record *r)
{
    if (!edge_ok(r->old_state, r->state))
        failf("a connection of %s went from state %d to %d, an edge outside RFC 9293's diagram",
              viv_node_name(r->node), r->old_state, r->state);
    /* Continuity: a connection leaves the state it entered last. A connection we have not
     * seen starts CLOSED (or LISTEN: a listener's). Memory may serve a later socket once the
     * connection is CLOSED, so a CLOSED one is forgotten. */
    trk *t = trk_find(w, r->socket);
    int was = t ? t->state : -1;
    if (t && was != r->old_state)
        failf("a connection of %s left state %d, but it was in %d", viv_node_name(r->node),
              r->old_state, was);
    if (!t && r->old_state != VIV_TCP_CLOSED && r->old_state != VIV_TCP_LISTEN)
        failf("a connection of %s first seen leaving state %d", viv_node_name(r->node),
              r->old_state);
    if (r->state == VIV_TCP_CLOSED) {
        if (t)
            *t = w->trk[--w->ntrk];
    } else if (t) {
        t->state = r->state;
    } else if (w->ntrk < MAXTRACK) {
        w->trk[w->ntrk].sock = r->socket;
        w->trk[w->ntrk++].state = r->state;
    } else {
        failf("more than %d connections at once", MAXTRACK);
    }
    if (w->hostile && r->node == viv_host_node(w->S)) {
        w->changes++;
        w->edges[r->old_state][r->state]++;
        if (r->state == VIV_TCP_CLOSED && r->socket == w->rx_sock && r->time == w->rx_time &&
            (w->rx_flags & VIV_TCP_RST))
            w->rst_closed++; /* a reset it just took in closed it */
    }
}

static void on_trace(const viv_trace_record *r, void *user)
{
    world *w = user;
    if (r->kind == VIV_TRACE_TCP_STATE) {
        on_state(w, r);
        return;
    }
    if (r->node != viv_host_node(w->S))
        return;
    if (r->kind == VIV_TRACE_TCP_SEG_TX && r->remote.ip == P_IP &&
        r->remote.port == PPORT + C_HALF && r->local.port == LPORT) {
        w->half_seen = 1; /* what S's half-open connection sends: its numbers */
        w->half_iss = r->iss;
        w->half_seq = r->seq;
        w->half_ack = r->ack;
        w->half_win = r->window;
    }
    if (r->kind == VIV_TRACE_TCP_SEG_RX) {
        w->rx_sock = r->socket;
        w->rx_time = r->time;
        w->rx_flags = r->tcp_flags;
    }
    if (r->kind == VIV_TRACE_TCP_SEG_RX && w->hostile && r->socket && r->socket != w->L) {
        w->to_conn++;
        /* In the window of one of our connections? (The trace callback may read the
         * connections the program holds.) */
        for (int k = 0; k < NCONN; k++) {
            if (!w->c[k].s || r->socket != w->c[k].s)
                continue;
            viv_tcp_info in;
            if (viv_tcp_info_get(&in, w->c[k].s) == 0 && in.state >= VIV_TCP_SYN_RECEIVED &&
                (r->seq - in.rcv_nxt < in.rcv_wnd || (in.rcv_wnd == 0 && r->seq == in.rcv_nxt)))
                w->in_window++;
        }
    }
}

/* ---- reading, with the byte check -------------------------------------------------------- */

/* Whether byte b at sequence number q of the connection from src to dst was sent by the
 * hostile device. */
static int injected(const world *w, viv_sockaddr_t src, viv_sockaddr_t dst, uint32_t q, uint8_t b)
{
    for (int i = w->ninj - 1; i >= 0; i--) {
        const inj *j = &w->inj[i];
        if (j->src == src.ip && j->dst == dst.ip && j->sport == src.port && j->dport == dst.port &&
            q - j->seq < j->len && w->arena[j->off + (q - j->seq)] == b)
            return 1;
    }
    return 0;
}

static int read_rc_ok(int rc)
{
    return rc >= 0 || rc == VIV_EAGAIN || rc == VIV_ENOTCONN || rc == VIV_ECONNRESET ||
           rc == VIV_ETIMEDOUT || rc == VIV_ECONNREFUSED || rc == VIV_EHOSTUNREACH ||
           rc == VIV_ENETUNREACH || rc == VIV_ECONNABORTED;
}

/* Read everything s has; each byte must be the peer's pattern (dir, k) at its offset, or a
 * byte the device injected at its sequence number. */
static void drain(world *w, viv_tcp_t *s, int dir, int k, uint64_t *nread)
{
    viv_sockaddr_t local, remote;
    viv_tcp_info in;
    if (viv_tcp_local(&local, s) != 0 || viv_tcp_peer(&remote, s) != 0 ||
        viv_tcp_info_get(&in, s) != 0)
        return;
    uint32_t irs = in.irs; /* (the SYN-SENT connection learns it from the device) */
    for (int guard = 0; guard < 64; guard++) {
        int n = viv_tcp_recv(s, w->buf, sizeof w->buf);
        if (!read_rc_ok(n))
            failf("viv_tcp_recv returned %d (%s), which tcp.h does not list", n, viv_err_name(n));
        if (n <= 0)
            return;
        if ((size_t)n > sizeof w->buf)
            failf("viv_tcp_recv copied %d bytes into %zu", n, sizeof w->buf);
        for (int i = 0; i < n; i++) {
            uint64_t o = *nread + (uint64_t)i;
            uint32_t q = irs + 1 + (uint32_t)o;
            uint8_t b = w->buf[i];
            if (b == pat(dir, k, o))
                continue;
            if (injected(w, remote, local, q, b)) {
                w->injected_read++;
                continue;
            }
            failf("connection %d (%s): byte %llu read (sequence %u) is %#x: neither what the "
                  "peer sent there (%#x) nor anything injected there",
                  k, dir ? "P reading" : "S reading", (unsigned long long)o, q, b, pat(dir, k, o));
            return;
        }
        *nread += (uint64_t)n;
    }
}

static void drain_all(world *w)
{
    for (int k = 0; k < NCONN; k++) {
        conn *c = &w->c[k];
        if (c->s)
            drain(w, c->s, 0, k, &c->s_read);
        if (c->p)
            drain(w, c->p, 1, k, &c->p_read);
    }
}

/* ---- sockets ----------------------------------------------------------------------------- */

static void p_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    world *w = user;
    if (events & ~0x3fu)
        failf("a TCP callback got events %#x", events);
    for (int k = 0; k < NCONN; k++)
        if (w->c[k].p == s && (events & VIV_EV_READABLE) && w->c[k].p_irs)
            drain(w, s, 1, k, &w->c[k].p_read);
    if (events & VIV_EV_ERROR) {
        int e = viv_tcp_error(s);
        CHECK(e <= 0);
    }
}

static void s_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    (void)s;
    (void)user;
    if (events & ~0x3fu)
        failf("a TCP callback got events %#x", events);
}

/* Queue n pattern bytes on one side of connection k. */
static void send_pat(world *w, int k, int dir, size_t n)
{
    conn *c = &w->c[k];
    viv_tcp_t *s = dir ? c->s : c->p;
    uint64_t *sent = dir ? &c->s_sent : &c->p_sent;
    if (n > sizeof w->buf)
        n = sizeof w->buf;
    for (size_t i = 0; i < n; i++)
        w->buf[i] = pat(dir, k, *sent + i);
    int rc = viv_tcp_send(s, w->buf, n);
    CHECK(rc == (int)n);
    if (rc > 0)
        *sent += (uint64_t)rc;
}

static viv_verdict p_intercept(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                               const viv_frame_info *info, viv_time_t *delay_ns, void *user)
{
    (void)link;
    (void)dir;
    (void)frame;
    (void)len;
    (void)delay_ns;
    world *w = user;
    if (!info->has_ip || info->ip_proto != 6 || info->sport < PPORT || info->sport >= PPORT + NCONN)
        return VIV_VERDICT_DELIVER;
    conn *c = &w->c[info->sport - PPORT];
    switch (c->mode) {
    case M_DROP:
        return VIV_VERDICT_DROP;
    case M_FIRST:
        return c->passed++ ? VIV_VERDICT_DROP : VIV_VERDICT_DELIVER;
    case M_DROP_DATA:
        if (info->payload_len) {
            c->mode = M_PASS;
            return VIV_VERDICT_DROP;
        }
        return VIV_VERDICT_DELIVER;
    case M_UNTIL_FIN:
        if (info->tcp_flags & VIV_TCP_FIN)
            c->mode = M_DROP;
        return VIV_VERDICT_DELIVER;
    default:
        return VIV_VERDICT_DELIVER;
    }
}

/* The device: answers ARP for its own address, drops the rest. */
static void d_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                 const viv_frame_info *info, void *user)
{
    world *w = user;
    (void)frame;
    (void)len;
    if (info->arp_op != 1 || info->arp_tpa != D_IP)
        return;
    viv_wire_eth e;
    memset(&e, 0, sizeof e);
    e.dst = info->src;
    e.src = w->dmac;
    viv_wire_arp a;
    memset(&a, 0, sizeof a);
    a.op = 2;
    a.sha = w->dmac;
    a.spa = D_IP;
    a.tha = info->src;
    a.tpa = info->arp_spa;
    uint8_t f[64];
    int n = viv_wire_arp_frame(f, sizeof f, &e, &a);
    if (n > 0)
        CHECK(viv_device_send(dev, port, f, (size_t)n) == 0);
}

/* ---- the world --------------------------------------------------------------------------- */

static void run(world *w, viv_time_t d)
{
    CHECK(viv_sim_run_for(w->sim, d) == 0);
}

static void world_free(world *w)
{
    if (w->sim)
        viv_sim_free(w->sim);
    w->sim = NULL;
    if (w->live)
        failf("%zu bytes still allocated after viv_sim_free", w->live);
    free(w);
}

static viv_tcp_state st(viv_tcp_t *s)
{
    return viv_tcp_state_get(s);
}

/* Build the world with the connections of mask (bits of conn_kind) in their states; profile:
 * bit 0 timestamps, bit 1 SACK, bit 2 window scaling. NULL if it could not be built (a
 * failure is counted). */
static world *world_new(uint32_t mask, uint8_t profile)
{
    world *w = calloc(1, sizeof(world));
    if (!w)
        return NULL;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 19;
    so.alloc = count_alloc;
    so.alloc_ud = w;
    if (viv_sim_new(&w->sim, &so) != 0) {
        failf("viv_sim_new failed");
        free(w);
        return NULL;
    }
    viv_tcp_tunables tun;
    CHECK(viv_sim_tcp_tunables_get(&tun, w->sim) == 0);
    tun.timestamps = profile & 1;
    tun.sack = (profile >> 1) & 1;
    tun.window_scaling = (profile >> 2) & 1;
    CHECK(viv_sim_set_tcp_tunables(w->sim, &tun) == 0);
    CHECK(viv_sim_trace(w->sim, on_trace, w) == 0);

    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "S";
    viv_host_opts po = VIV_HOST_OPTS_INIT;
    po.name = "P";
    viv_device_opts dopts = VIV_DEVICE_OPTS_INIT;
    dopts.name = "D";
    dopts.rx = d_rx;
    dopts.user = w;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(10);
    lp.queue_frames = 1000;
    viv_link_t *ls, *lpl, *ld;
    if (viv_host_new(&w->S, w->sim, &ho) != 0 || viv_host_add_iface(w->S, NULL) < 0 ||
        viv_host_new(&w->P, w->sim, &po) != 0 || viv_host_add_iface(w->P, NULL) < 0 ||
        viv_device_new(&w->D, w->sim, 1, &dopts) != 0 ||
        viv_switch_new(&w->sw, w->sim, 3, NULL) != 0 ||
        viv_link_new(&ls, w->sim, viv_host_port(w->S, 0), viv_switch_port(w->sw, 0), &lp) != 0 ||
        viv_link_new(&lpl, w->sim, viv_host_port(w->P, 0), viv_switch_port(w->sw, 1), &lp) != 0 ||
        viv_link_new(&ld, w->sim, viv_device_port(w->D, 0), viv_switch_port(w->sw, 2), &lp) != 0 ||
        viv_host_add_addr(w->S, 0, S_IP, 24) != 0 || viv_host_add_addr(w->P, 0, P_IP, 24) != 0 ||
        viv_link_set_intercept(lpl, VIV_LINK_AB, p_intercept, w) != 0) {
        failf("the world could not be built");
        world_free(w);
        return NULL;
    }
    viv_host_mac(&w->smac, w->S, 0);
    viv_host_mac(&w->pmac, w->P, 0);
    w->dmac = (viv_mac_t){{0x02, 0, 0, 0, 0, 0x09}};

    /* S listens; P connects once per connection wanted, from port 5000 + k. */
    viv_tcp_opts so_ = VIV_TCP_OPTS_INIT;
    so_.quickack = 1;
    viv_sockaddr_t any80 = {VIV_IP4_ANY, LPORT}, s80 = {S_IP, LPORT};
    CHECK(viv_tcp_new(&w->L, w->S, &so_, s_cb, w) == 0);
    CHECK(viv_tcp_bind(w->L, &any80) == 0);
    CHECK(viv_tcp_listen(w->L, BACKLOG) == 0);
    viv_tcp_opts po_ = VIV_TCP_OPTS_INIT;
    po_.nodelay = 1;
    po_.quickack = 1;
    for (int k = 0; k < C_SYNSENT; k++) {
        if (!(mask >> k & 1))
            continue;
        conn *c = &w->c[k];
        viv_sockaddr_t me = {VIV_IP4_ANY, (uint16_t)(PPORT + k)};
        CHECK(viv_tcp_new(&c->p, w->P, &po_, p_cb, w) == 0);
        CHECK(viv_tcp_bind(c->p, &me) == 0);
        c->mode = k == C_HALF ? M_FIRST : M_PASS;
        CHECK(viv_tcp_connect(c->p, &s80) == VIV_EINPROGRESS);
        run(w, VIV_US(100));
    }
    run(w, VIV_MS(5));
    viv_tcp_t *a;
    while (viv_tcp_accept(&a, w->L, s_cb, w) == 0) {
        viv_sockaddr_t peer;
        CHECK(viv_tcp_peer(&peer, a) == 0);
        int k = peer.port - PPORT;
        if (k < 0 || k >= NCONN || w->c[k].s) {
            failf("accepted an unexpected connection from port %u", peer.port);
            viv_tcp_abort(a);
            continue;
        }
        w->c[k].s = a;
    }
    if (mask >> C_SYNSENT & 1) { /* S opens one to P, whose answers are lost */
        conn *c = &w->c[C_SYNSENT];
        viv_sockaddr_t pl = {VIV_IP4_ANY, PPORT + C_SYNSENT}, pp = {P_IP, PPORT + C_SYNSENT};
        viv_sockaddr_t me = {VIV_IP4_ANY, SPORT};
        CHECK(viv_tcp_new(&c->p, w->P, &po_, p_cb, w) == 0);
        CHECK(viv_tcp_bind(c->p, &pl) == 0);
        CHECK(viv_tcp_listen(c->p, 1) == 0);
        c->mode = M_DROP;
        CHECK(viv_tcp_new(&c->s, w->S, &so_, s_cb, w) == 0);
        CHECK(viv_tcp_bind(c->s, &me) == 0);
        CHECK(viv_tcp_connect(c->s, &pp) == VIV_EINPROGRESS);
        run(w, VIV_MS(1));
    }
    w->built = mask;
    for (int k = 0; k < C_SYNSENT; k++) {
        conn *c = &w->c[k];
        viv_tcp_info in;
        if (c->p && viv_tcp_info_get(&in, c->p) == 0)
            c->p_irs = in.irs;
        if (c->s && viv_tcp_info_get(&in, c->s) == 0)
            c->s_irs = in.irs;
        if (c->s) { /* data both ways, left unread on S */
            send_pat(w, k, 0, 3000);
            send_pat(w, k, 1, 3000);
        }
    }
    run(w, VIV_MS(5));

    if (mask >> C_EST & 1 && w->c[C_EST].s) {
        /* A hole: P's next data segment is lost, the one after it is kept out of order. */
        w->c[C_EST].mode = M_DROP_DATA;
        send_pat(w, C_EST, 0, 2000);
        run(w, VIV_MS(1));
        w->c[C_EST].mode = M_DROP;
        send_pat(w, C_EST, 1, 2000); /* in flight: P's ACKs are lost */
        send_pat(w, C_EST, 0, 500);  /* in flight: lost */
        run(w, VIV_MS(1));
    }
    if (mask >> C_FW1 & 1 && w->c[C_FW1].s) {
        w->c[C_FW1].mode = M_DROP;
        CHECK(viv_tcp_shutdown(w->c[C_FW1].s, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    if (mask >> C_FW2 & 1 && w->c[C_FW2].s) {
        CHECK(viv_tcp_shutdown(w->c[C_FW2].s, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    if (mask >> C_CW & 1 && w->c[C_CW].s) {
        CHECK(viv_tcp_shutdown(w->c[C_CW].p, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    if (mask >> C_CLOSING & 1 && w->c[C_CLOSING].s) {
        /* Both FINs cross; P's ACK of S's FIN is lost. */
        w->c[C_CLOSING].mode = M_UNTIL_FIN;
        CHECK(viv_tcp_shutdown(w->c[C_CLOSING].s, VIV_SHUT_WR) == 0);
        CHECK(viv_tcp_shutdown(w->c[C_CLOSING].p, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    if (mask >> C_LAST_ACK & 1 && w->c[C_LAST_ACK].s) {
        CHECK(viv_tcp_shutdown(w->c[C_LAST_ACK].p, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
        w->c[C_LAST_ACK].mode = M_DROP;
        CHECK(viv_tcp_shutdown(w->c[C_LAST_ACK].s, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    if (mask >> C_TW & 1 && w->c[C_TW].s) {
        CHECK(viv_tcp_shutdown(w->c[C_TW].s, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
        CHECK(viv_tcp_shutdown(w->c[C_TW].p, VIV_SHUT_WR) == 0);
        run(w, VIV_MS(1));
    }
    /* Everything is frozen: from now on S hears only the device. */
    for (int k = 0; k < NCONN; k++)
        w->c[k].mode = M_DROP;

    /* Warm the frame pool and the event table (more than 64 frames at once: frames queued
     * on the device's link, to the device itself, which the switch filters), so that the
     * growth measured later is the stack's, not the pools' first use. */
    uint8_t f[64];
    viv_wire_eth e;
    memset(&e, 0, sizeof e);
    e.dst = w->dmac;
    e.src = w->dmac;
    e.ethertype = 0x88b5; /* local experimental */
    int n = viv_wire_eth_frame(f, sizeof f, &e, NULL, 0);
    for (int i = 0; i < 80 && n > 0; i++)
        CHECK(viv_device_send(w->D, 0, f, (size_t)n) == 0);
    run(w, VIV_MS(1));

    /* Every state is reached, and the established connection has what it should. */
    int bad = 0;
    for (int k = 0; k < NCONN; k++) {
        if (!(mask >> k & 1))
            continue;
        if (k == C_HALF) {
            viv_sock_info rows[32];
            int nr = viv_host_netstat(w->S, rows, 32);
            int found = 0;
            for (int i = 0; i < nr && i < 32; i++)
                found |= rows[i].proto == VIV_SOCK_TCP && rows[i].state == VIV_TCP_SYN_RECEIVED;
            if (!found || !w->half_seen) {
                failf("S has no SYN-RECEIVED connection");
                bad = 1;
            }
            continue;
        }
        if (!w->c[k].s || st(w->c[k].s) != conn_state[k]) {
            failf("S's %s connection is in state %d", conn_name[k],
                  w->c[k].s ? (int)st(w->c[k].s) : -1);
            bad = 1;
        }
    }
    if (st(w->L) != VIV_TCP_LISTEN) {
        failf("S's listener is in state %d", st(w->L));
        bad = 1;
    }
    if (mask >> C_EST & 1 && w->c[C_EST].s) {
        viv_tcp_info si, pi;
        viv_tcp_host_stats hs;
        CHECK(viv_tcp_info_get(&si, w->c[C_EST].s) == 0 &&
              viv_tcp_info_get(&pi, w->c[C_EST].p) == 0 && viv_host_tcp_stats(&hs, w->S) == 0);
        if (si.snd_una == si.snd_nxt || pi.snd_una == pi.snd_nxt || si.recv_q == 0 ||
            hs.rx_ooo == 0) {
            failf("S's established connection lacks data in flight both ways, unread data or "
                  "a hole (S: una %u nxt %u recv_q %u; P: una %u nxt %u; ooo %llu)",
                  si.snd_una, si.snd_nxt, si.recv_q, pi.snd_una, pi.snd_nxt,
                  (unsigned long long)hs.rx_ooo);
            bad = 1;
        }
    }
    if (bad) {
        world_free(w);
        return NULL;
    }
    return w;
}

/* ---- the hostile phase ------------------------------------------------------------------- */

static const viv_time_t steps[16] = {
    0,          0,           1,        VIV_US(1), VIV_US(10), VIV_US(100), VIV_MS(1),   VIV_MS(10),
    VIV_MS(40), VIV_MS(200), VIV_S(1), VIV_S(3),  0,          VIV_US(10),  VIV_US(100), VIV_MS(1)};

/* A connection's numbers as S has them, and its 4-tuple. */
typedef struct target {
    viv_sockaddr_t remote, local;
    uint32_t rcv_nxt, rcv_wnd, snd_una, snd_nxt, iss, irs, snd_wnd;
} target;

/* Target t (of the connections of the world, then the half-open one, then the listener). */
static void target_get(world *w, unsigned t, target *out, viv_sockaddr_t from)
{
    memset(out, 0, sizeof *out);
    unsigned k = t % (NCONN + 1);
    out->local = (viv_sockaddr_t){S_IP, k == C_SYNSENT ? SPORT : LPORT};
    if (k < NCONN && k != C_HALF && w->c[k].s) {
        viv_tcp_info in;
        if (viv_tcp_info_get(&in, w->c[k].s) == 0) {
            out->rcv_nxt = in.rcv_nxt;
            out->rcv_wnd = in.rcv_wnd;
            out->snd_una = in.snd_una;
            out->snd_nxt = in.snd_nxt;
            out->iss = in.iss;
            out->irs = in.irs;
            out->snd_wnd = in.snd_wnd;
        }
        out->remote = (viv_sockaddr_t){P_IP, (uint16_t)(PPORT + k)};
    } else if (k == C_HALF || (k < NCONN && !w->c[k].s)) {
        out->remote = (viv_sockaddr_t){P_IP, (uint16_t)(PPORT + k)};
        out->rcv_nxt = w->half_ack;
        out->rcv_wnd = w->half_win;
        out->snd_una = w->half_iss;
        out->snd_nxt = w->half_iss + 1;
        out->iss = w->half_iss;
        out->irs = w->half_ack - 1;
        out->snd_wnd = 65535;
    } else { /* the listener: a new connection from wherever the frame says */
        out->remote = from;
    }
}

static uint32_t seq_edge(const target *t, unsigned e, uint32_t keep)
{
    uint32_t n = t->rcv_nxt, wnd = t->rcv_wnd;
    switch (e & 15) {
    case 0:
        return n;
    case 1:
        return n + wnd;
    case 2:
        return n - 1;
    case 3:
        return n + 1;
    case 4:
        return n + wnd - 1;
    case 5:
        return n + wnd + 1;
    case 6:
        return n - 0x80000000u;
    case 7:
        return n + 0x80000000u;
    case 8:
        return n - wnd;
    case 9:
        return keep;
    case 10:
        return n + 2;
    case 11:
        return n - 2;
    case 12:
        return t->irs;
    case 13:
        return t->irs + 1;
    case 14:
        return n + wnd / 2;
    default:
        return n + (keep & 0xfff);
    }
}

static uint32_t ack_edge(const target *t, unsigned e, uint32_t keep)
{
    uint32_t u = t->snd_una, x = t->snd_nxt;
    switch (e & 15) {
    case 0:
        return u;
    case 1:
        return x;
    case 2:
        return u - 1;
    case 3:
        return x + 1;
    case 4:
        return u - 0x80000000u;
    case 5:
        return x + 0x80000000u;
    case 6:
        return u - (t->snd_wnd > 65535 ? t->snd_wnd : 65535) - 1; /* older than allowed */
    case 7:
        return keep;
    case 8:
        return t->iss;
    case 9:
        return t->iss + 1;
    case 10:
        return x - 1;
    case 11:
        return u + 1;
    case 12:
        return x + 2;
    case 13:
        return u - 2;
    case 14:
        return u + (x - u) / 2;
    default:
        return x + (keep & 0xfff);
    }
}

/* Log a frame about to be sent, if it parses as IPv4 and TCP: its payload may be read. */
static void log_frame(world *w, const uint8_t *f, size_t len)
{
    if (len < 14 + 20 || rd16(f + 12) != 0x0800 || (f[14] >> 4) != 4 || f[23] != 6)
        return;
    size_t ihl = (size_t)(f[14] & 15) * 4, total = rd16(f + 16);
    if (ihl < 20 || total < ihl || 14 + total > len || total - ihl < 20)
        return;
    const uint8_t *t = f + 14 + ihl;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > total - ihl)
        return;
    size_t plen = total - ihl - doff;
    if (!plen || w->ninj >= MAXINJ || w->narena + plen > ARENA)
        return;
    inj *j = &w->inj[w->ninj++];
    j->src = rd32(f + 26);
    j->dst = rd32(f + 30);
    j->sport = rd16(t);
    j->dport = rd16(t + 2);
    j->seq = rd32(t + 4) + ((t[13] & VIV_TCP_SYN) ? 1u : 0u);
    j->off = (uint32_t)w->narena;
    j->len = (uint32_t)plen;
    memcpy(w->arena + w->narena, t + doff, plen);
    w->narena += plen;
}

static void send_frame(world *w, const uint8_t *f, size_t len, int twice)
{
    log_frame(w, f, len);
    for (int i = 0; i <= twice; i++) {
        int rc = viv_device_send(w->D, 0, f, len);
        if (len >= 14)
            CHECK(rc == 0);
        else
            CHECK(rc == VIV_EINVAL);
        viv_fuzz_tcp_reached.frames++;
    }
}

static uint32_t ack_edge(const target *t, unsigned e, uint32_t keep);

/* An ICMP error about one of S's connections (ctl bit 7): it quotes a segment S would send
 * on it, with a sequence number at an edge of what S has in flight (sel2 & 15). bytes[0]
 * picks the type (unreachable, time exceeded, parameter problem, source quench) and the
 * sender (the peer, or the device), bytes[1] the code, bytes[2..3] a next-hop MTU. */
static void states_icmp(world *w, uint8_t sel, uint8_t sel2, const uint8_t *bytes, size_t len)
{
    static const uint8_t types[4] = {3, 11, 12, 4};
    uint8_t b0 = len > 0 ? bytes[0] : 0, b1 = len > 1 ? bytes[1] : 0;
    uint16_t mtu = len > 3 ? rd16(bytes + 2) : 576;
    target t;
    viv_sockaddr_t none = {D_IP, 6000};
    target_get(w, sel & 15, &t, none);
    viv_wire_ip qip;
    memset(&qip, 0, sizeof qip);
    qip.src = t.local.ip;
    qip.dst = t.remote.ip;
    viv_wire_tcp qt;
    memset(&qt, 0, sizeof qt);
    qt.sport = t.local.port;
    qt.dport = t.remote.port;
    qt.seq = ack_edge(&t, sel2 & 15, t.snd_una);
    qt.ack = t.rcv_nxt;
    qt.flags = VIV_TCP_ACK;
    qt.payload_len = (b0 >> 4) * 100u;
    uint8_t quote[FRAME_CAP];
    int ql = viv_wire_tcp_frame(quote, sizeof quote, NULL, &qip, &qt);
    if (ql <= 0)
        return;
    viv_wire_icmp m;
    memset(&m, 0, sizeof m);
    m.type = types[b0 & 3];
    m.code = (uint8_t)(b1 % 16);
    m.mtu = mtu;
    m.pointer = b1;
    m.data = quote;
    m.data_len = (b0 & 8) ? 28 : (size_t)ql; /* the header and 8 bytes, or all of it */
    viv_wire_eth e;
    memset(&e, 0, sizeof e);
    e.dst = w->smac;
    e.src = w->dmac;
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = (b0 & 4) ? D_IP : t.remote.ip;
    ip.dst = S_IP;
    uint8_t f[FRAME_CAP + 64];
    int n = viv_wire_icmp_frame(f, sizeof f, &e, &ip, &m);
    if (viv_fuzz_tcp_verbose)
        fprintf(stderr, "  icmp type %u code %u about target %u, seq %u, mtu %u\n", m.type, m.code,
                sel & 15, qt.seq, mtu);
    if (n > 0)
        send_frame(w, f, (size_t)n, 0);
}

/* One hostile frame of viv_fuzz_tcp_states (see the top of this file). */
static void states_frame(world *w, uint8_t ctl, uint8_t sel, uint8_t sel2, const uint8_t *bytes,
                         size_t len)
{
    if (ctl & 0x80) {
        states_icmp(w, sel, sel2, bytes, len);
        return;
    }
    uint8_t f[FRAME_CAP];
    if (len > sizeof f)
        len = sizeof f;
    memcpy(f, bytes, len);
    if ((ctl & 1) && len >= 14) {
        memcpy(f, w->smac.b, 6);
        memcpy(f + 6, w->dmac.b, 6);
    }
    size_t ihl = len >= 15 ? (size_t)(f[14] & 15) * 4 : 0;
    if ((ctl & 8) && len >= 14 + 20 + 20) {
        wr16(f + 12, 0x0800);
        if ((f[14] >> 4) != 4 || ihl < 20 || 14 + ihl + 20 > len) {
            f[14] = 0x45;
            ihl = 20;
        }
        f[23] = 6;
        viv_sockaddr_t from = {rd32(f + 26), rd16(f + 14 + ihl)};
        target t;
        target_get(w, sel & 15, &t, from);
        wr32(f + 26, t.remote.ip);
        wr32(f + 30, t.local.ip);
        wr16(f + 14 + ihl, t.remote.port);
        wr16(f + 14 + ihl + 2, t.local.port);
        uint8_t *th = f + 14 + ihl;
        if (ctl & 0x10)
            wr32(th + 4, seq_edge(&t, sel >> 4, rd32(th + 4)));
        if (ctl & 0x20)
            wr32(th + 8, ack_edge(&t, sel2 & 15, rd32(th + 8)));
    }
    if ((ctl & 2) && len >= 14 + 20 && (f[14] >> 4) == 4) {
        ihl = (size_t)(f[14] & 15) * 4;
        if (ihl >= 20 && 14 + ihl <= len && len - 14 <= 65535) {
            wr16(f + 16, (uint32_t)(len - 14));
            wr16(f + 24, 0);
            wr16(f + 24, csum_fin(csum_add(0, f + 14, ihl)));
        }
    }
    if ((ctl & 4) && len >= 14 + 20 && (f[14] >> 4) == 4 && f[23] == 6) {
        ihl = (size_t)(f[14] & 15) * 4;
        size_t total = rd16(f + 16);
        if (ihl >= 20 && total >= ihl + 18 && 14 + total <= len) {
            size_t tl = total - ihl;
            uint8_t *th = f + 14 + ihl;
            wr16(th + 16, 0);
            uint8_t ph[12];
            memcpy(ph, f + 26, 8);
            ph[8] = 0;
            ph[9] = 6;
            wr16(ph + 10, (uint32_t)tl);
            wr16(th + 16, csum_fin(csum_add(csum_add(0, ph, 12), th, tl)));
        }
    }
    if (viv_fuzz_tcp_verbose)
        fprintf(stderr, "  frame ctl %#x sel %#x sel2 %#x len %zu (%zu bytes live before it)\n",
                ctl, sel, sel2, len, w->live);
    send_frame(w, f, len, (ctl >> 6) & 1);
}

/* One segment of viv_fuzz_tcp_conn; returns the bytes of input it used. */
static size_t conn_segment(world *w, const uint8_t *in, size_t n, viv_time_t *dt)
{
    uint8_t b[7] = {0};
    size_t used = n < 7 ? n : 7;
    memcpy(b, in, used);
    target t;
    viv_sockaddr_t none = {0, 0};
    target_get(w, C_EST, &t, none);
    static const uint16_t wins[16] = {0,     1,     2,     535,   536,   1460, 2920, 8192,
                                      16384, 32767, 32768, 65534, 65535, 4096, 100,  29200};
    static const uint32_t lens[16] = {0,   0,    0,    1,    2,    7, 100, 535,
                                      536, 1000, 1448, 1460, 1461, 0, 0,   0};
    viv_wire_tcp tcp;
    memset(&tcp, 0, sizeof tcp);
    tcp.sport = t.remote.port;
    tcp.dport = t.local.port;
    tcp.flags = b[0];
    tcp.seq = seq_edge(&t, b[1] & 15, t.rcv_nxt) + (uint32_t)(int32_t)((int8_t)b[1] >> 4);
    tcp.ack = ack_edge(&t, b[2] & 15, t.snd_una) + (uint32_t)(int32_t)((int8_t)b[2] >> 4);
    tcp.window = wins[b[3] & 15];
    uint32_t plen = lens[b[4] & 15];
    if ((b[4] & 15) == 13)
        plen = t.rcv_wnd < 1460 ? t.rcv_wnd : 1460; /* exactly what fits */
    else if ((b[4] & 15) == 14)
        plen = t.rcv_wnd + 1 < 1460 ? t.rcv_wnd + 1 : 1460;
    else if ((b[4] & 15) == 15)
        plen = b[4] >> 4;
    uint8_t payload[1500];
    for (uint32_t i = 0; i < plen; i++)
        payload[i] = (uint8_t)(0xa5 ^ (i * 7) ^ b[4]);
    tcp.payload = payload;
    tcp.payload_len = plen;
    /* Options: none, the structured ones, raw bytes from the input, or an MSS alone. */
    uint8_t opts[40];
    const uint8_t *rest = in + used;
    size_t nrest = n - used;
    switch (b[5] & 3) {
    case 1:
        tcp.mss = (uint16_t)(nrest >= 2 ? rd16(rest) : 536);
        tcp.wscale_on = (b[5] >> 2) & 1;
        tcp.wscale = (uint8_t)(b[5] >> 4);
        tcp.sack_ok = (b[5] >> 3) & 1;
        tcp.ts_on = (b[5] >> 4) & 1;
        tcp.tsval = nrest >= 6 ? rd32(rest + 2) : 1;
        tcp.tsecr = 0;
        tcp.sack_count = (uint8_t)((b[5] >> 5) & 3);
        for (int i = 0; i < tcp.sack_count; i++) {
            tcp.sack[i].left = t.snd_una + (uint32_t)i * 1000u;
            tcp.sack[i].right =
                t.snd_una + (uint32_t)i * 1000u + 500u + (b[5] & 0x80 ? 0x80000000u : 0);
        }
        if (!(b[0] & VIV_TCP_SYN)) { /* options a SYN only carries are odd elsewhere, */
            tcp.mss = (b[5] & 0x40) ? tcp.mss : 0; /* but allowed */
        }
        used += nrest >= 6 ? 6 : nrest;
        break;
    case 2: {
        size_t ol = (size_t)((b[5] >> 2) & 15) * 4;
        if (ol > 40)
            ol = 40;
        if (ol > nrest)
            ol = nrest & ~(size_t)3;
        memcpy(opts, rest, ol);
        tcp.raw_opts = opts;
        tcp.raw_opts_len = (uint8_t)ol;
        used += ol;
        break;
    }
    case 3:
        tcp.mss = (uint16_t)(b[5] << 4);
        break;
    default:
        break;
    }
    viv_wire_eth e;
    memset(&e, 0, sizeof e);
    e.dst = w->smac;
    e.src = w->dmac;
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = t.remote.ip;
    ip.dst = t.local.ip;
    uint8_t f[FRAME_CAP];
    int len = viv_wire_tcp_frame(f, sizeof f, &e, &ip, &tcp);
    if (len < 0) { /* options the builder refuses: none then */
        tcp.raw_opts = NULL;
        tcp.raw_opts_len = 0;
        tcp.sack_count = 0;
        len = viv_wire_tcp_frame(f, sizeof f, &e, &ip, &tcp);
    }
    CHECK(len > 0);
    if (len > 0 && (b[6] & 0x80)) /* a bad checksum, now and then */
        f[14 + 20 + 16] ^= 0x40;
    if (viv_fuzz_tcp_verbose)
        fprintf(stderr,
                "  segment flags %#x seq %u (rcv_nxt %u wnd %u) ack %u (una %u nxt %u) "
                "win %u len %u\n",
                tcp.flags, tcp.seq, t.rcv_nxt, t.rcv_wnd, tcp.ack, t.snd_una, t.snd_nxt, tcp.window,
                plen);
    if (len > 0)
        send_frame(w, f, (size_t)len, (b[6] >> 6) & 1);
    *dt = steps[b[6] & 15];
    return used;
}

/* ---- a run ------------------------------------------------------------------------------- */

typedef struct mark {
    viv_tcp_host_stats st;
} mark;

static void account(world *w, const viv_tcp_host_stats *a, const viv_tcp_host_stats *b)
{
    viv_fuzz_tcp_depth *d = &viv_fuzz_tcp_reached;
    d->runs++;
    d->rx_segments += b->rx_segments - a->rx_segments;
    d->unacceptable += b->rx_unacceptable - a->rx_unacceptable;
    d->challenge_acks += b->challenge_acks - a->challenge_acks;
    d->ooo += b->rx_ooo - a->rx_ooo;
    d->no_socket += b->rx_no_socket - a->rx_no_socket;
    d->bad += (b->rx_bad - a->rx_bad) + (b->rx_checksum - a->rx_checksum);
    d->passive_opens += b->passive_opens - a->passive_opens;
    d->to_connection += w->to_conn;
    d->in_window += w->in_window;
    d->rst_accepted += w->rst_closed;
    d->injected_read += w->injected_read;
    d->state_changes += w->changes;
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 11; j++)
            d->edges[i][j] += w->edges[i][j];
}

/* The part common to both targets: passes over the input, with the checks between them. */
typedef void (*pass_fn)(world *w, const uint8_t *data, size_t size);

static void run_target(uint32_t mask, const uint8_t *data, size_t size, pass_fn pass)
{
    uint8_t profile = size ? data[0] : 0;
    world *w = world_new(mask, profile);
    if (!w)
        return;
    viv_tcp_host_stats a, b;
    viv_ip_stats_t ia, ib;
    CHECK(viv_host_tcp_stats(&a, w->S) == 0 && viv_host_ip_stats(&ia, w->S) == 0);
    w->hostile = 1;
    size_t live[PASSES];
    for (int p = 0; p < PASSES; p++) {
        pass(w, size ? data + 1 : data, size ? size - 1 : 0);
        run(w, SETTLE);
        drain_all(w);
        live[p] = w->live;
        if (viv_fuzz_tcp_verbose) {
            fprintf(stderr, "after pass %d: %zu bytes live\n", p + 1, w->live);
            viv_sock_info rows[64];
            int nr = viv_host_netstat(w->S, rows, 64);
            for (int i = 0; i < nr && i < 64; i++)
                fprintf(stderr, "  %u -> %u:%u %s recv_q %u send_q %u\n", rows[i].local.port,
                        rows[i].remote.ip & 255, rows[i].remote.port, rows[i].state_name,
                        rows[i].recv_q, rows[i].send_q);
        }
    }
    /* Growth with the frames: the last two passes may not add more than a small bound (a
     * growth of g a pass adds 2g there); a buffer or two taken once (a connection the
     * device opened getting its receive buffer) may come in any pass. */
    uint64_t g = live[3] > live[1] ? live[3] - live[1] : 0;
    uint64_t g1 = live[3] > live[0] ? live[3] - live[0] : 0;
    if (g > viv_fuzz_tcp_reached.growth_max)
        viv_fuzz_tcp_reached.growth_max = g;
    if (g1 > viv_fuzz_tcp_reached.growth_once_max)
        viv_fuzz_tcp_reached.growth_once_max = g1;
    if (g > VIV_FUZZ_TCP_SLACK || g1 > VIV_FUZZ_TCP_SLACK_ONCE)
        failf("memory grew with the frames: %zu, %zu, %zu, %zu bytes live after passes 1 to 4",
              live[0], live[1], live[2], live[3]);
    CHECK(viv_sim_pending(w->sim) < 1000);
    CHECK(viv_host_tcp_stats(&b, w->S) == 0 && viv_host_ip_stats(&ib, w->S) == 0);
    account(w, &a, &b);
    viv_fuzz_tcp_reached.icmp_rx += ib.icmp_rx - ia.icmp_rx;
    /* The program lets go of everything: closing, aborting. */
    for (int k = 0; k < NCONN; k++) {
        if (k & 1) {
            viv_tcp_close(w->c[k].s);
            viv_tcp_abort(w->c[k].p);
        } else {
            viv_tcp_abort(w->c[k].s);
            viv_tcp_close(w->c[k].p);
        }
    }
    viv_tcp_close(w->L);
    run(w, VIV_S(1));
    world_free(w);
}

static void states_pass(world *w, const uint8_t *data, size_t size)
{
    size_t i = 0;
    int frames = 0;
    while (i + 5 <= size && frames < FRAMES_PER_PASS) {
        uint8_t ctl = data[i], sel = data[i + 1], sel2 = data[i + 2];
        size_t len = (size_t)data[i + 3] << 8 | data[i + 4];
        i += 5;
        if (len > size - i)
            len = size - i;
        states_frame(w, ctl, sel, sel2, data + i, len);
        i += len;
        run(w, steps[sel2 >> 4]);
        frames++;
    }
}

static void conn_pass(world *w, const uint8_t *data, size_t size)
{
    size_t i = 0;
    int frames = 0;
    while (i < size && frames < FRAMES_PER_PASS) {
        viv_time_t dt = 0;
        i += conn_segment(w, data + i, size - i, &dt);
        run(w, dt);
        frames++;
    }
}

void viv_fuzz_tcp_states(const uint8_t *data, size_t size)
{
    run_target((1u << NCONN) - 1, data, size, states_pass);
}

void viv_fuzz_tcp_conn(const uint8_t *data, size_t size)
{
    run_target(1u << C_EST, data, size, conn_pass);
}
