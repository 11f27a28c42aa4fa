/* TCP: the transport's per-host state, the life of a TCB (creation, state changes, the end
 * of a connection, orphans), the socket API and the netstat rows.
 *
 * Every host has TCP from its creation (viv__transports): its state (counters, tunables, the
 * demux its sockets are in, the ISN stream) is made when a socket or a segment first needs
 * it. The state machine is in tcp_in.c, segments out in tcp_out.c, timers in tcp_timer.c
 * (see tcp_int.h for how they share a TCB). */
#include <stddef.h>
#include <string.h>

#include "tcp_int.h"

static void tcp_host_destroy(void *ctx, struct viv_host *h);
static void tcp_host_power(void *ctx, struct viv_host *h, int up);
static int tcp_netstat(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap);

const viv__l4_proto viv__tcp_proto = {
    .proto = VIV__IP_PROTO_TCP,
    .input = viv__tcp_input,
    .error = viv__tcp_icmp_error,
    .destroy = tcp_host_destroy,
    .netstat = tcp_netstat,
    .power = tcp_host_power,
};

/* ---- per-host state -------------------------------------------------------------------- */

const viv_tcp_tunables viv__tcp_builtin_tunables = {
    VIV_S(30),         /* msl_ns: TIME-WAIT is 60 s, as Linux's */
    VIV_S(1),          /* rto_initial_ns: RFC 6298 2.1 */
    VIV_MS(200),       /* rto_min_ns: Linux's TCP_RTO_MIN */
    VIV_S(120),        /* rto_max_ns: Linux's TCP_RTO_MAX */
    VIV_MS(40),        /* delack_ns: Linux's TCP_DELACK_MIN */
    6,                 /* syn_retries: Linux's tcp_syn_retries */
    5,                 /* synack_retries: Linux's tcp_synack_retries */
    15,                /* retries: Linux's tcp_retries2 */
    VIV_S(60),         /* fin_timeout_ns: Linux's tcp_fin_timeout */
    10,                /* initial_window: RFC 6928 */
    &viv_tcp_cc_cubic, /* cc: Linux's default */
    1,                 /* sack: Linux */
    1,                 /* timestamps: Linux */
    1,                 /* window_scaling: Linux */
    1,                 /* syncookies: Linux's tcp_syncookies */
};

viv__tcp_host *viv__tcp_host_get(struct viv_host *h, int create)
{
    const viv__l4_proto *p = viv__host_l4(h, VIV__IP_PROTO_TCP);
    void *ctx = viv__host_l4_ctx(h, VIV__IP_PROTO_TCP);
    if (!p || ctx || !create)
        return ctx;
    viv_sim_t *sim = h->node.sim;
    viv__tcp_host *th = viv__zalloc(sim, sizeof(*th));
    if (!th)
        return NULL;
    th->h = h;
    viv__demux_init(&th->dm, viv__ephemeral_start(h, VIV__RNG_SUB_TCP_PORTS));
    /* The host's own ISN stream: connections draw in the order they open, and no other
     * consumer of the host's randomness shifts them. */
    viv__rng_component(&th->isn_rng, sim, VIV__RNG_HOST, h->node.key, VIV__RNG_SUB_TCP_ISN);
    viv__host_l4_set_ctx(h, VIV__IP_PROTO_TCP, th);
    return th;
}

void viv__tcp_host_stats_get(viv__tcp_host_stats *out, const struct viv_host *h)
{
    const viv__tcp_host *th = viv__tcp_host_get((struct viv_host *)h, 0);
    memset(out, 0, sizeof(*out));
    if (!th)
        return;
    out->rx_segments = th->st.rx_segments;
    out->rx_checksum = th->st.rx_checksum;
    out->rx_bad = th->st.rx_bad;
    out->rx_broadcast = th->st.rx_broadcast;
    out->rx_no_socket = th->st.rx_no_socket;
    out->rx_rst_closed = th->st.rx_rst_closed;
    out->tx_rst = th->st.tx_rst;
    out->tx_failed = th->st.tx_failed;
}

/* ---- tracing --------------------------------------------------------------------------- */

void viv__tcp_trace_init(viv_trace_record *r, int kind, const viv_tcp_t *s)
{
    viv__trace_init(r, kind);
    r->node = s->base.h ? (const viv_node_t *)&s->base.h->node : NULL;
    r->socket = s;
    r->local = s->base.local;
    r->remote = s->base.remote;
}

void viv__tcp_trace_seg(viv__tcp_host *th, const viv_tcp_t *s, int kind,
                        const struct viv__tcp_repr *seg, viv_ip4_t src, viv_ip4_t dst)
{
    viv_trace_record r;
    viv__trace_init(&r, kind);
    r.node = &th->h->node;
    r.socket = s;
    viv_sockaddr_t a = {src, seg->src_port}, b = {dst, seg->dst_port};
    r.local = kind == VIV_TRACE_TCP_SEG_TX ? a : b;
    r.remote = kind == VIV_TRACE_TCP_SEG_TX ? b : a;
    r.tcp_flags = seg->flags;
    r.seq = seg->seq;
    r.ack = seg->ack;
    r.seg_len = (uint32_t)seg->payload_len;
    r.window = seg->window;
    if (s) {
        r.iss = s->iss;
        r.irs = s->irs;
    }
    viv__trace_emit(th->h->node.sim, &r);
}

/* ---- TCB life -------------------------------------------------------------------------- */

void viv__tcp_set_state(viv_tcp_t *s, viv_tcp_state st)
{
    viv_tcp_state old = viv__tcp_st(s);
    if (old == st)
        return;
    s->base.state = (int)st;
    if (VIV__UNLIKELY(viv__tracing(s->base.sim))) {
        viv_trace_record r;
        viv__tcp_trace_init(&r, VIV_TRACE_TCP_STATE, s);
        r.state = (int)st;
        r.old_state = (int)old;
        viv__trace_emit(s->base.sim, &r);
    }
    viv__tcp_keepalive_reset(s);
}

uint32_t viv__tcp_isn(viv_tcp_t *s)
{
    if (s->o.fixed_isn)
        return s->o.isn;
    return (uint32_t)viv_rng_u64(&s->th->isn_rng);
}

uint32_t viv__tcp_iw(const viv_tcp_t *s)
{
    uint32_t iw = viv__tcp_tun(s->th)->initial_window;
    if (iw == 0) /* RFC 5681 3.1: by the SMSS */
        iw = s->smss > 2190 ? 2 : s->smss > 1095 ? 3 : 4;
    uint64_t b = (uint64_t)iw * s->smss;
    return b > (1u << 30) ? 1u << 30 : (uint32_t)b;
}

void viv__tcp_set_mss(viv_tcp_t *s, uint16_t peer_mss)
{
    uint32_t mtu_mss = s->path_mtu > 40 + VIV__TCP_MSS_MIN ? s->path_mtu - 40 : VIV__TCP_MSS_MIN;
    if (mtu_mss > 65535u)
        mtu_mss = 65535u;
    uint32_t rmss = s->o.mss ? s->o.mss : mtu_mss;
    if (rmss > mtu_mss)
        rmss = mtu_mss;
    if (rmss < VIV__TCP_MSS_MIN)
        rmss = VIV__TCP_MSS_MIN;
    s->rmss = (uint16_t)rmss;
    /* What we send: the peer's MSS (536 without the option, RFC 9293 3.7.1), no more than
     * our own path and option allow, and never less than VIV__TCP_MSS_MIN: an absurdly small
     * MSS would have us send a segment per byte. */
    uint32_t smss = peer_mss ? peer_mss : VIV__TCP_MSS_DEFAULT;
    if (smss > rmss)
        smss = rmss;
    /* The MSS counts no options (RFC 6691): with timestamps on every segment, the data of a
     * segment is 12 bytes less (Linux's 1448 on Ethernet). */
    if (s->ts_ok)
        smss -= 12;
    if (smss < VIV__TCP_MSS_MIN)
        smss = VIV__TCP_MSS_MIN;
    s->smss = (uint16_t)smss;
    s->cwnd = viv__tcp_iw(s);
}

/* One offer: the socket's choice (1, -1), else the host's. */
static uint8_t tcp_offer(int opt, int tun)
{
    return opt ? opt > 0 : tun != 0;
}

void viv__tcp_resolve_offers(viv_tcp_t *s)
{
    const viv_tcp_tunables *t = viv__tcp_tun(s->th);
    s->want_ws = tcp_offer(s->o.window_scaling, t->window_scaling);
    s->want_ts = tcp_offer(s->o.timestamps, t->timestamps);
    s->want_sack = tcp_offer(s->o.sack, t->sack);
    /* Our shift: the smallest that lets the field say the whole buffer (RFC 7323 2.3). */
    uint8_t sh = 0;
    while (sh < VIV__TCP_WSCALE_MAX && ((uint64_t)VIV__TCP_WIN_MAX << sh) < s->o.rcvbuf_bytes)
        sh++;
    s->rcv_wscale = s->want_ws ? sh : 0;
    s->cc = s->o.cc ? s->o.cc : t->cc;
}

/* ---- congestion control ---------------------------------------------------------------- */

uint32_t viv__tcp_in_flight(const viv_tcp_t *s)
{
    if (s->sack_ok && viv__tcp_synchronized(viv__tcp_st(s))) {
        /* With nothing SACKed and outside fast recovery (HighRxt is SND.UNA), the pipe is
         * FlightSize: what viv__sb_pipe gives, without the call. */
        if ((!s->sb || !s->sb->n) && s->in_recovery != 1)
            return viv__seq_lt(s->snd_max, s->snd_una) ? 0 : s->snd_max - s->snd_una;
        return viv__sb_pipe(viv__tcp_sbr(s), s->snd_una, s->snd_max,
                            s->in_recovery == 1 ? s->high_rxt : s->snd_una, s->smss,
                            VIV__TCP_DUPTHRESH);
    }
    return s->snd_max - s->snd_una;
}

void viv__tcp_cc_view(viv_tcp_t *s, viv_tcp_cc_conn *c, uint32_t in_flight)
{
    /* Every field is set (no memset of the whole: only padding would differ). */
    c->cwnd = s->cwnd;
    c->ssthresh = s->ssthresh;
    c->mss = s->smss;
    c->in_flight = in_flight;
    c->cwnd_limited = viv__tcp_cwnd_limited(s);
    c->ca_acked = s->ca_acked;
    c->now = s->base.sim->now;
    c->srtt_ns = s->have_rtt ? s->srtt : 0;
    c->min_rtt_ns = s->min_rtt;
    c->priv = s->cc->priv_size ? s->cc_priv.b : NULL;
}

void viv__tcp_cc_unview(viv_tcp_t *s, const viv_tcp_cc_conn *c)
{
    s->cwnd = c->cwnd < s->smss ? s->smss : c->cwnd;
    if (s->cwnd > (1u << 30))
        s->cwnd = 1u << 30;
    s->ssthresh = c->ssthresh;
    s->ca_acked = c->ca_acked;
}

void viv__tcp_cc_init(viv_tcp_t *s)
{
    memset(&s->cc_priv, 0, sizeof(s->cc_priv));
    s->ca_acked = 0;
    if (s->cc->init) {
        viv_tcp_cc_conn c;
        viv__tcp_cc_view(s, &c, viv__tcp_in_flight(s));
        s->cc->init(&c);
        viv__tcp_cc_unview(s, &c);
    }
}

void viv__tcp_cc_loss(viv_tcp_t *s, uint32_t in_flight)
{
    viv_tcp_cc_conn c;
    viv__tcp_cc_view(s, &c, in_flight);
    uint32_t th = s->cc->ssthresh(&c);
    viv__tcp_cc_unview(s, &c);
    s->ssthresh = th < 2u * s->smss ? 2u * s->smss : th;
}

void viv__tcp_cc_trace(viv_tcp_t *s, int ev)
{
    viv_sim_t *sim = s->base.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__tcp_trace_init(&r, VIV_TRACE_TCP_CC, s);
    r.cc_event = ev;
    r.cwnd = s->cwnd;
    r.ssthresh = s->ssthresh;
    r.in_flight = viv__tcp_in_flight(s);
    r.iss = s->iss;
    r.irs = s->irs;
    viv__trace_emit(sim, &r);
}

/* Out of the listener's queue it is in. */
static void tcp_unqueue(viv_tcp_t *c)
{
    viv_tcp_t *l = c->parent;
    if (!l || c->in_q == VIV__TCP_Q_NONE)
        return;
    viv__tcp_queue *q = c->in_q == VIV__TCP_Q_SYN ? &l->synq : &l->accq;
    if (c->q_prev)
        c->q_prev->q_next = c->q_next;
    else
        q->first = c->q_next;
    if (c->q_next)
        c->q_next->q_prev = c->q_prev;
    else
        q->last = c->q_prev;
    q->n--;
    c->q_prev = c->q_next = NULL;
    c->in_q = VIV__TCP_Q_NONE;
}

static void tcp_enqueue(viv_tcp_t *l, viv_tcp_t *c, int which)
{
    viv__tcp_queue *q = which == VIV__TCP_Q_SYN ? &l->synq : &l->accq;
    c->parent = l;
    c->in_q = (uint8_t)which;
    c->q_next = NULL;
    c->q_prev = q->last;
    if (q->last)
        q->last->q_next = c;
    else
        q->first = c;
    q->last = c;
    q->n++;
}

void viv__tcp_sb_free(viv_tcp_t *s)
{
    if (s->sb)
        viv__free(s->base.sim, s->sb, sizeof(*s->sb));
    s->sb = NULL;
}

/* Give back what a connection holds in the host: its port, its timers' deadlines, its
 * buffers (the receive buffer is kept while the program may still read it). */
static void tcp_detach(viv_tcp_t *s, int keep_rcv)
{
    viv_sim_t *sim = s->base.sim;
    viv__tcp_timer_stop_all(s);
    if (s->ep.where != VIV__DEMUX_NONE) {
        viv__demux_remove(&s->th->dm, &s->ep);
        s->th->last_conn = NULL;
    }
    viv__tcp_ring_free(sim, &s->snd);
    viv__tcp_sb_free(s);
    viv__tcp_ooo_free(s);
    s->rfin_ooo = 0;
    if (!keep_rcv)
        viv__tcp_rcv_free(s);
}

/* Release a TCB for good: out of every table, timers freed, memory released after the
 * current event (viv__zombie). */
static void tcp_release(viv_tcp_t *s)
{
    tcp_unqueue(s);
    tcp_detach(s, 0);
    viv__tcp_timer_fini(s);
    viv__sock_release(&s->base, &s->th->socks);
}

void viv__tcp_done(viv_tcp_t *s, int err)
{
    if (s->base.dead)
        return;
    viv__tcp_set_state(s, VIV_TCP_CLOSED);
    /* A connection still in its handshake that nobody will ever hear of. */
    if (s->in_q == VIV__TCP_Q_SYN) {
        tcp_release(s);
        return;
    }
    if (!s->base.handle) { /* an orphan: TCP alone knew of it */
        tcp_release(s);
        return;
    }
    tcp_detach(s, 1);
    if (err)
        s->err = err;
    viv__sock_raise(&s->base, (err ? (uint32_t)VIV_EV_ERROR : 0u) | VIV_EV_CLOSED);
}

void viv__tcp_drop_child(viv_tcp_t *c)
{
    viv__tcp_set_state(c, VIV_TCP_CLOSED);
    tcp_release(c);
}

void viv__tcp_child_established(viv_tcp_t *c)
{
    viv_tcp_t *l = c->parent;
    if (!l)
        return;
    tcp_unqueue(c);
    tcp_enqueue(l, c, VIV__TCP_Q_ACC);
    viv__sock_raise(&l->base, VIV_EV_ACCEPTABLE);
}

static const viv__sock_ops tcp_sock_ops;

/* A new TCB on host th, held by the program (handle) or by nobody yet (a listener's
 * connection: no callback, events kept). */
static viv_tcp_t *tcp_alloc(viv__tcp_host *th, const viv_tcp_opts *o, viv_tcp_cb cb, void *user)
{
    viv_sim_t *sim = th->h->node.sim;
    viv_tcp_t *s = viv__zalloc(sim, sizeof(*s));
    if (!s)
        return NULL;
    viv__timer_clear(&s->tmr);
    s->th = th;
    if (viv__sock_init(&s->base, th->h, &tcp_sock_ops, &th->socks, cb != NULL) < 0) {
        viv__free(sim, s, sizeof(*s));
        return NULL;
    }
    if (viv__tcp_timer_init(s) < 0) {
        viv__sock_release(&s->base, &th->socks);
        return NULL;
    }
    s->o = *o;
    s->cb = cb;
    s->user = user;
    s->base.state = VIV_TCP_CLOSED;
    s->rto = viv__tcp_tun(th)->rto_initial_ns;
    s->last_rx = sim->now;
    s->ssthresh = UINT32_MAX;
    s->last_data_tx = VIV_TIME_NEVER;
    viv__tcp_resolve_offers(s);
    return s;
}

viv_tcp_t *viv__tcp_child_new(viv_tcp_t *l, viv_ip4_t lip, viv_ip4_t rip, uint16_t rport)
{
    viv__tcp_host *th = l->th;
    viv_sim_t *sim = th->h->node.sim;
    viv__ip_path path;
    if (viv__ip_route(th->h, lip, rip, &path) < 0) {
        th->st.tx_failed++;
        return NULL;
    }
    viv_tcp_t *c = tcp_alloc(th, &l->o, NULL, NULL);
    if (!c) {
        th->h->st.drop_nomem++;
        return NULL;
    }
    c->base.local = (viv_sockaddr_t){lip, l->base.local.port};
    c->base.remote = (viv_sockaddr_t){rip, rport};
    th->last_conn = NULL; /* the demultiplexing changes */
    if (viv__demux_connect(sim, &th->dm, &c->ep, lip, l->base.local.port, rip, rport) < 0) {
        th->h->st.drop_nomem++;
        tcp_release(c);
        return NULL;
    }
    /* Connections share their listener's port the way the listener does. */
    c->ep.reuse_addr = l->ep.reuse_addr;
    c->path_mtu = path.mtu;
    c->opened = 1;
    c->ever_connected = 1;
    tcp_enqueue(l, c, VIV__TCP_Q_SYN);
    /* Drawn as RFC 9293's diagram has it: LISTEN, then SYN-RECEIVED. */
    c->base.state = VIV_TCP_LISTEN;
    viv__tcp_set_state(c, VIV_TCP_SYN_RECEIVED);
    th->st.passive_opens++;
    return c;
}

/* ---- socket operations ----------------------------------------------------------------- */

static void tcp_deliver(viv__sock *b, uint32_t events)
{
    viv_tcp_t *s = (viv_tcp_t *)b;
    if (s->cb)
        s->cb(s, events, s->user);
}

static void tcp_free_memory(viv__sock *b)
{
    viv__free(b->sim, b, sizeof(viv_tcp_t)); /* the host may be gone already */
}

/* Reset and forget every connection a listener made that nobody accepted (RFC 9293 3.10.4:
 * ABORT of each; see docs/tcp.md). */
static void tcp_listener_flush(viv_tcp_t *l)
{
    viv__tcp_queue *qs[2] = {&l->synq, &l->accq};
    for (int k = 0; k < 2; k++) {
        while (qs[k]->first) {
            viv_tcp_t *c = qs[k]->first;
            viv_tcp_state st = viv__tcp_st(c);
            if (st == VIV_TCP_SYN_RECEIVED || st == VIV_TCP_ESTABLISHED || st == VIV_TCP_CLOSE_WAIT)
                viv__tcp_send_rst(c);
            viv__tcp_drop_child(c);
        }
    }
}

/* The program let go of the handle (close, abort, or its process ended): what close(2) does
 * in a kernel. Returns 1 if the TCB is done (out of every table), 0 if it goes on closing as
 * an orphan. */
static int tcp_orphan(viv__sock *b)
{
    viv_tcp_t *s = (viv_tcp_t *)b;
    viv_tcp_state st = viv__tcp_st(s);
    s->closed = 1;
    s->rd_shut = 1;
    s->want_writable = 0;
    switch (st) {
    case VIV_TCP_LISTEN:
        tcp_listener_flush(s);
        viv__tcp_set_state(s, VIV_TCP_CLOSED);
        tcp_unqueue(s);
        tcp_detach(s, 0);
        viv__tcp_timer_fini(s);
        return 1;
    case VIV_TCP_CLOSED:
    case VIV_TCP_SYN_SENT: /* RFC 9293 3.10.4: delete the TCB */
        viv__tcp_set_state(s, VIV_TCP_CLOSED);
        tcp_unqueue(s);
        tcp_detach(s, 0);
        viv__tcp_timer_fini(s);
        return 1;
    default:
        break;
    }
    /* Abort, linger 0, or data received that the program will never read: a reset (RFC
     * 1122 4.2.2.13), and no TIME-WAIT. (Once our FIN is acknowledged and the peer's
     * received, in CLOSING, LAST-ACK and TIME-WAIT, unread data is only discarded; an abort
     * there deletes the TCB without a reset, RFC 9293 3.10.5.) */
    int sync_open = st == VIV_TCP_SYN_RECEIVED || st == VIV_TCP_ESTABLISHED ||
                    st == VIV_TCP_FIN_WAIT_1 || st == VIV_TCP_FIN_WAIT_2 ||
                    st == VIV_TCP_CLOSE_WAIT;
    if (s->abort_on_close || s->o.linger0 || (s->rcv.len && sync_open)) {
        if (sync_open) {
            viv__tcp_send_rst(s);
            if (st == VIV_TCP_ESTABLISHED || st == VIV_TCP_CLOSE_WAIT)
                s->th->st.estab_resets++;
        }
        viv__tcp_set_state(s, VIV_TCP_CLOSED);
        tcp_unqueue(s);
        tcp_detach(s, 0);
        viv__tcp_timer_fini(s);
        return 1;
    }
    viv__tcp_rcv_free(s); /* nothing to read, nobody to read it */
    viv__tcp_ooo_free(s);
    if (!s->fin_queued) {
        viv__tcp_queue_fin(s);
        if (st == VIV_TCP_ESTABLISHED)
            viv__tcp_set_state(s, VIV_TCP_FIN_WAIT_1);
        else if (st == VIV_TCP_CLOSE_WAIT)
            viv__tcp_set_state(s, VIV_TCP_LAST_ACK);
        /* SYN-RECEIVED: the FIN waits for ESTABLISHED (RFC 9293 3.10.4). */
        viv__tcp_output(s);
    }
    if (!s->base.dead && viv__tcp_st(s) == VIV_TCP_FIN_WAIT_2 &&
        !viv__tcp_timer_on(s, VIV_TCP_TIMER_FIN_WAIT_2))
        viv__tcp_timer_start(s, VIV_TCP_TIMER_FIN_WAIT_2, viv__tcp_tun(s->th)->fin_timeout_ns);
    viv__tcp_keepalive_reset(s);
    return 0;
}

static const viv__sock_ops tcp_sock_ops = {VIV__IP_PROTO_TCP, tcp_deliver, tcp_orphan,
                                           tcp_free_memory};

static void tcp_host_destroy(void *ctx, struct viv_host *h)
{
    viv__tcp_host *th = ctx;
    if (!th)
        return;
    /* The host is going: every TCB goes with it, without a segment. */
    while (th->socks.first) {
        viv_tcp_t *s = (viv_tcp_t *)th->socks.first;
        s->parent = NULL;
        s->in_q = VIV__TCP_Q_NONE;
        tcp_detach(s, 0);
        viv__tcp_timer_fini(s);
        s->base.h = NULL;
        viv__sock_release(&s->base, &th->socks);
    }
    viv__demux_fini(h->node.sim, &th->dm);
    viv__free(h->node.sim, th, sizeof(*th));
}

/* The host was switched off: all its TCP state is lost, and nothing is sent (the node is
 * down already). Every connection, listener, orphan and TIME-WAIT goes CLOSED (traced) and
 * leaves the tables; a socket the program still holds stays a handle, CLOSED, with
 * ECONNABORTED pending and no event (the program that held it ran on the host). Then the
 * processes on the host end with it (this hook is the one place layer 4 hears of power). */
static void tcp_host_power(void *ctx, struct viv_host *h, int up)
{
    viv__tcp_host *th = ctx;
    if (up)
        return;
    if (th) {
        /* First the connections listeners made that nobody accepted: they go for good. */
        for (viv__sock *b = th->socks.first; b; b = b->next) {
            viv_tcp_t *l = (viv_tcp_t *)b;
            while (l->synq.first)
                viv__tcp_drop_child(l->synq.first);
            while (l->accq.first)
                viv__tcp_drop_child(l->accq.first);
        }
        viv__sock *b = th->socks.first;
        while (b) {
            viv__sock *next = b->next;
            viv_tcp_t *s = (viv_tcp_t *)b;
            viv__tcp_set_state(s, VIV_TCP_CLOSED);
            if (!b->handle) {
                tcp_release(s);
            } else {
                tcp_detach(s, 0);
                s->err = VIV_ECONNABORTED;
                s->soft_err = 0;
                s->base.pending = 0;
                viv__post_cancel(s->base.sim, &s->base.notify);
            }
            b = next;
        }
    }
    viv__process_power_lost(h);
}

/* ---- options --------------------------------------------------------------------------- */

/* Check the options a program gives (fn names the call in the message). */
static int tcp_opts_check(viv_sim_t *sim, const viv_tcp_opts *o, const char *fn)
{
    if (o->reuse_addr != 0 && o->reuse_addr != 1)
        return viv__err(sim, VIV_EINVAL, "%s: reuse_addr must be 0 or 1", fn);
    if (o->sack < -1 || o->sack > 1 || o->timestamps < -1 || o->timestamps > 1 ||
        o->window_scaling < -1 || o->window_scaling > 1)
        return viv__err(sim, VIV_EINVAL, "%s: sack, timestamps, window_scaling must be -1, 0 or 1",
                        fn);
    if (o->cc && (!o->cc->on_ack || !o->cc->ssthresh || o->cc->priv_size > VIV_TCP_CC_PRIV_MAX))
        return viv__err(sim, VIV_EINVAL, "%s: cc must be an algorithm with on_ack and ssthresh",
                        fn);
    return 0;
}

static void tcp_opts_resolve(viv_tcp_opts *o)
{
    if (!o->sndbuf_bytes)
        o->sndbuf_bytes = 65536;
    if (!o->rcvbuf_bytes)
        o->rcvbuf_bytes = VIV__TCP_RCVBUF_DEFAULT;
    if (o->rcvbuf_bytes > VIV__TCP_RCVBUF_MAX)
        o->rcvbuf_bytes = VIV__TCP_RCVBUF_MAX;
    if (!o->keepalive_idle_ns)
        o->keepalive_idle_ns = VIV_S(7200);
    if (!o->keepalive_interval_ns)
        o->keepalive_interval_ns = VIV_S(75);
    if (!o->keepalive_count)
        o->keepalive_count = 9;
}

/* ---- public API ------------------------------------------------------------------------ */

int viv_tcp_new(viv_tcp_t **out, viv_host_t *h, const viv_tcp_opts *opts, viv_tcp_cb cb, void *user)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, out != NULL, "NULL out");
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    if (opts)
        o = *opts;
    int rc = tcp_opts_check(sim, &o, "viv_tcp_new");
    if (rc < 0)
        return rc;
    tcp_opts_resolve(&o);
    viv__tcp_host *th = viv__tcp_host_get(h, 1);
    viv_tcp_t *s = th ? tcp_alloc(th, &o, cb, user) : NULL;
    if (!s)
        return viv__err(sim, VIV_ENOMEM, "viv_tcp_new: out of memory");
    *out = s;
    return 0;
}

int viv_tcp_set_cb(viv_tcp_t *s, viv_tcp_cb cb, void *user)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead || !s->base.handle)
        return VIV_EINVAL;
    s->cb = cb;
    s->user = user;
    viv__sock_set_cb(&s->base, cb != NULL);
    return 0;
}

int viv_tcp_set_opts(viv_tcp_t *s, const viv_tcp_opts *opts)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, opts != NULL, "NULL options");
    viv_tcp_opts o = *opts;
    int rc = tcp_opts_check(sim, &o, "viv_tcp_set_opts");
    if (rc < 0)
        return rc;
    tcp_opts_resolve(&o);
    if (s->opened &&
        (o.mss != s->o.mss || o.sndbuf_bytes != s->o.sndbuf_bytes ||
         o.rcvbuf_bytes != s->o.rcvbuf_bytes || o.fixed_isn != s->o.fixed_isn || o.isn != s->o.isn))
        return viv__err(sim, VIV_ESTATE,
                        "viv_tcp_set_opts: mss, buffer sizes and ISN are fixed at connect "
                        "or listen");
    const viv_tcp_cc *old_cc = s->cc;
    viv_time_t old_uto = s->o.user_timeout_ns;
    s->o = o;
    if (!s->opened) {
        viv__tcp_resolve_offers(s);
    } else {
        /* The offers were made; only the algorithm may change, and starts afresh. */
        s->cc = o.cc ? o.cc : viv__tcp_tun(s->th)->cc;
        if (s->cc != old_cc && viv__tcp_synchronized(viv__tcp_st(s)))
            viv__tcp_cc_init(s);
    }
    viv__tcp_keepalive_reset(s);
    if (o.user_timeout_ns != old_uto)
        viv__tcp_uto_changed(s);
    return 0;
}

int viv_tcp_opts_get(viv_tcp_opts *out, const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->o;
    return 0;
}

/* A holder of port that stands in the way of a new bind or listen at ip: an overlapping
 * listener (always), or, for listen, another one. */
static int tcp_listener_conflict(const viv__tcp_host *th, const viv_tcp_t *self, viv_ip4_t ip,
                                 uint16_t port)
{
    for (const viv__demux_ep *e = viv__demux_port_first(&th->dm, port); e; e = e->port_next) {
        const viv_tcp_t *o = viv__tcp_of_ep(e);
        if (o == self || viv__tcp_st(o) != VIV_TCP_LISTEN)
            continue;
        if (e->lip == VIV_IP4_ANY || ip == VIV_IP4_ANY || e->lip == ip)
            return 1;
    }
    return 0;
}

static int tcp_bind_to(viv_tcp_t *s, viv_ip4_t ip, uint16_t port, const char *fn)
{
    viv__tcp_host *th = s->th;
    viv_sim_t *sim = s->base.sim;
    if (ip != VIV_IP4_ANY && !viv_host_has_addr(th->h, ip))
        return viv__err(sim, VIV_EADDRNOTAVAIL, "%s: the host has no such address", fn);
    if (port == 0) {
        /* As Linux: bind() and listen() that find no free port say EADDRINUSE. */
        port = viv__demux_ephemeral(&th->dm);
        if (!port)
            return viv__err(sim, VIV_EADDRINUSE, "%s: no ephemeral port is free", fn);
    } else if (viv__demux_bind_conflict(&th->dm, ip, port, s->o.reuse_addr) ||
               tcp_listener_conflict(th, s, ip, port)) {
        return viv__err(sim, VIV_EADDRINUSE, "%s: port %u is in use", fn, port);
    }
    th->last_conn = NULL; /* the demultiplexing changes */
    if (viv__demux_bind(sim, &th->dm, &s->ep, ip, port, s->o.reuse_addr) < 0)
        return viv__err(sim, VIV_ENOMEM, "%s: out of memory", fn);
    s->base.local = (viv_sockaddr_t){ip, port};
    return 0;
}

int viv_tcp_bind(viv_tcp_t *s, const viv_sockaddr_t *addr)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, addr != NULL, "NULL address");
    VIV__CHECK(sim, s->ep.where == VIV__DEMUX_NONE && !s->opened,
               "socket already bound or connected");
    return tcp_bind_to(s, addr->ip, addr->port, "viv_tcp_bind");
}

int viv_tcp_listen(viv_tcp_t *s, uint32_t backlog)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    viv_tcp_state st = viv__tcp_st(s);
    if (backlog == 0)
        backlog = VIV__TCP_BACKLOG_DEFAULT;
    if (backlog > 65535u)
        backlog = 65535u;
    if (st == VIV_TCP_LISTEN) {
        s->backlog = backlog;
        return 0;
    }
    if (st != VIV_TCP_CLOSED || s->ever_connected)
        return viv__err(sim, VIV_EISCONN, "viv_tcp_listen: the socket is connected");
    if (s->ep.where == VIV__DEMUX_NONE) {
        int rc = tcp_bind_to(s, VIV_IP4_ANY, 0, "viv_tcp_listen");
        if (rc < 0)
            return rc;
    } else if (tcp_listener_conflict(s->th, s, s->base.local.ip, s->base.local.port)) {
        return viv__err(sim, VIV_EADDRINUSE, "viv_tcp_listen: port %u has a listener",
                        s->base.local.port);
    }
    s->backlog = backlog;
    s->opened = 1;
    viv__tcp_set_state(s, VIV_TCP_LISTEN);
    return 0;
}

int viv_tcp_accept(viv_tcp_t **out, viv_tcp_t *l, viv_tcp_cb cb, void *user)
{
    VIV__HANDLE(l, TCP);
    if (!l || l->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = l->base.sim;
    VIV__CHECK(sim, out != NULL, "NULL out");
    if (viv__tcp_st(l) != VIV_TCP_LISTEN)
        return viv__err(sim, VIV_EINVAL, "viv_tcp_accept: the socket is not listening");
    viv_tcp_t *c = l->accq.first;
    if (!c)
        return viv__err_lit(sim, VIV_EAGAIN, "viv_tcp_accept: no connection waiting (EAGAIN)");
    tcp_unqueue(c);
    c->parent = NULL;
    viv__process_inherit(&c->base, &l->base);
    c->cb = cb;
    c->user = user;
    viv__sock_set_cb(&c->base, cb != NULL);
    *out = c;
    return 0;
}

int viv_tcp_connect(viv_tcp_t *s, const viv_sockaddr_t *peer)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv__tcp_host *th = s->th;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, peer != NULL, "NULL peer");
    VIV__CHECK(sim, peer->ip != VIV_IP4_ANY && peer->port != 0, "peer needs address and port");
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_SYN_SENT || st == VIV_TCP_SYN_RECEIVED)
        return viv__err(sim, VIV_EALREADY, "viv_tcp_connect: already connecting");
    if (st != VIV_TCP_CLOSED)
        return viv__err(sim, VIV_EISCONN, "viv_tcp_connect: the socket is %s",
                        st == VIV_TCP_LISTEN ? "listening" : "connected");
    if (s->ever_connected)
        return viv__err(sim, VIV_EISCONN,
                        "viv_tcp_connect: the connection is over; a TCP socket connects once");
    viv__ip_path path;
    int rc = viv__ip_route(th->h, s->base.local.ip, peer->ip, &path);
    if (rc < 0)
        return viv__err(sim, rc, "viv_tcp_connect: %s", viv_strerror(rc));
    if (path.bcast || (peer->ip >> 28) == 0xe)
        return viv__err(sim, VIV_ENETUNREACH,
                        "viv_tcp_connect: TCP cannot connect to a broadcast or multicast address");
    viv_ip4_t lip = s->base.local.ip == VIV_IP4_ANY ? path.src : s->base.local.ip;
    uint16_t lport = s->base.local.port;
    if (s->ep.where == VIV__DEMUX_NONE) {
        lport = viv__demux_ephemeral_conn(&th->dm, lip, peer->ip, peer->port);
        if (!lport) /* Linux's connect() says EADDRNOTAVAIL */
            return viv__err(sim, VIV_EADDRNOTAVAIL, "viv_tcp_connect: no ephemeral port is free");
    } else {
        const viv__demux_ep *e = viv__demux_lookup(&th->dm, lip, lport, peer->ip, peer->port);
        if (e && e->where == VIV__DEMUX_CONN && e->lip == lip && e->rip == peer->ip &&
            e->rport == peer->port)
            return viv__err(sim, VIV_EADDRINUSE,
                            "viv_tcp_connect: that connection exists already (TIME-WAIT?)");
    }
    th->last_conn = NULL; /* the demultiplexing changes */
    if (viv__demux_connect(sim, &th->dm, &s->ep, lip, lport, peer->ip, peer->port) < 0)
        return viv__err(sim, VIV_ENOMEM, "viv_tcp_connect: out of memory");
    if (s->base.local.ip == VIV_IP4_ANY)
        s->ip_from_connect = 1;
    s->base.local = (viv_sockaddr_t){lip, lport};
    s->base.remote = *peer;
    s->path_mtu = path.mtu;
    s->opened = 1;
    s->ever_connected = 1;
    s->err = 0;
    viv__tcp_resolve_offers(s);
    viv__tcp_set_mss(s, 0);
    s->iss = viv__tcp_isn(s);
    s->ts_off = s->iss;
    s->recover = s->iss;
    s->snd_una = s->snd_nxt = s->snd_max = s->snd_sml = s->iss;
    s->rto = viv__tcp_tun(th)->rto_initial_ns;
    s->backoff = 0;
    th->st.active_opens++;
    viv__tcp_set_state(s, VIV_TCP_SYN_SENT);
    viv__tcp_send_syn(s, 0);
    viv__tcp_rexmit_arm(s, 1);
    return viv__err_lit(sim, VIV_EINPROGRESS, "viv_tcp_connect: in progress (EINPROGRESS)");
}

static int tcp_take_error(viv_tcp_t *s)
{
    int e = s->err;
    s->err = 0;
    return e;
}

/* Why viv_tcp_send or viv_tcp_send_source (fn) cannot queue bytes: the error, reported; 0 if
 * it can after all. Out of line: the sends' common path is the test in tcp_send_check. */
static VIV__NOINLINE int tcp_send_refused(viv_tcp_t *s, const char *fn)
{
    viv_sim_t *sim = s->base.sim;
    if (s->err)
        return viv__err(sim, tcp_take_error(s), "%s: pending error", fn);
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_LISTEN || (st == VIV_TCP_CLOSED && !s->ever_connected))
        return viv__err(sim, VIV_ENOTCONN, "%s: the socket is not connected", fn);
    if (s->wr_shut || s->fin_queued || st == VIV_TCP_CLOSED)
        return viv__err(sim, VIV_EPIPE, "%s: the sending side is closed (EPIPE)", fn);
    return 0;
}

/* What viv_tcp_send and viv_tcp_send_source check first: 0 if the socket can queue bytes,
 * else the error (reported, named after the caller). */
static inline int tcp_send_check(viv_tcp_t *s, const char *fn)
{
    viv_tcp_state st = viv__tcp_st(s);
    if (VIV__LIKELY(!s->err && !s->wr_shut && !s->fin_queued && st != VIV_TCP_LISTEN &&
                    st != VIV_TCP_CLOSED))
        return 0;
    return tcp_send_refused(s, fn);
}

/* Count n of len bytes as queued (the ring's bytes written already, if it holds any), and
 * send what the window allows. full: the message of a full buffer (a literal: a program
 * that fills the buffer meets it at every VIV_EV_WRITABLE, so it is not formatted). */
static int tcp_send_queued(viv_tcp_t *s, size_t len, uint32_t n, const char *full)
{
    if (n < len)
        s->want_writable = 1;
    if (n == 0 && len > 0)
        return viv__err_lit(s->base.sim, VIV_EAGAIN, full);
    s->snd.len += n;
    if (viv__tcp_synchronized(viv__tcp_st(s)))
        viv__tcp_output(s);
    return (int)n;
}

int viv_tcp_send(viv_tcp_t *s, const void *buf, size_t len)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, buf != NULL || len == 0, "NULL buffer");
    int rc = tcp_send_check(s, "viv_tcp_send");
    if (rc < 0)
        return rc;
    if (VIV__UNLIKELY(!s->snd.buf)) { /* the first bytes, or a source's socket */
        if (s->src)
            return viv__err_lit(sim, VIV_EINVAL,
                                "viv_tcp_send: the socket sends from a "
                                "source (viv_tcp_send_source)");
        if (viv__tcp_ring_alloc(sim, &s->snd, s->o.sndbuf_bytes) < 0)
            return viv__err(sim, VIV_ENOMEM, "viv_tcp_send: out of memory");
    }
    uint32_t room = s->snd.cap - s->snd.len;
    uint32_t n = len < room ? (uint32_t)len : room;
    viv__tcp_ring_write(&s->snd, s->snd.len, buf, n);
    return tcp_send_queued(s, len, n, "viv_tcp_send: the send buffer is full (EAGAIN)");
}

int viv_tcp_send_source(viv_tcp_t *s, size_t len, viv_tcp_source_fn fn, void *user)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, fn != NULL, "NULL source");
    int rc = tcp_send_check(s, "viv_tcp_send_source");
    if (rc < 0)
        return rc;
    if (s->snd.buf)
        return viv__err_lit(sim, VIV_EINVAL,
                            "viv_tcp_send_source: the socket sends copies (viv_tcp_send)");
    if (s->src && (s->src != fn || s->src_user != user))
        return viv__err_lit(sim, VIV_EINVAL,
                            "viv_tcp_send_source: another source than the socket's");
    if (!s->src) {
        s->src = fn;
        s->src_user = user;
    }
    if (!s->snd.cap) { /* a ring that counts and holds no bytes */
        s->snd.cap = s->o.sndbuf_bytes;
        s->snd.head = s->snd.len = 0;
    }
    uint32_t room = s->snd.cap - s->snd.len;
    uint32_t n = len < room ? (uint32_t)len : room;
    return tcp_send_queued(s, len, n, "viv_tcp_send_source: the send buffer is full (EAGAIN)");
}

/* After the program read: announce the room it made when the peer may be held back by the
 * window it knows (viv__tcp_rcv_update_due; RFC 9293 3.8.6.2.2 leaves when to the stack), so
 * that a sender stopped by a small window goes on. */
static void tcp_window_update(viv_tcp_t *s)
{
    viv_tcp_state st = viv__tcp_st(s);
    if (!(st == VIV_TCP_ESTABLISHED || st == VIV_TCP_FIN_WAIT_1 || st == VIV_TCP_FIN_WAIT_2) ||
        s->rfin)
        return;
    if (viv__tcp_rcv_update_due(s))
        viv__tcp_send_ack(s);
}

/* The bytes the program may read now: the in-order ones, none once reading is shut down. */
static uint32_t tcp_readable(const viv_tcp_t *s)
{
    return s->rd_shut ? 0 : s->rcv.len;
}

/* Take n <= tcp_readable(s) bytes from the head of the receive buffer, copied into out
 * (copy: viv_tcp_recv) or not (viv_tcp_consume: read in place already), and do what reading
 * them entails: free the buffer once a closed connection's last byte is read, else announce
 * the room made. The one place for this bookkeeping, so that viv_tcp_recv and viv_tcp_peek
 * + viv_tcp_consume taking the same amounts give the same run, segment for segment.
 * Inlined into each (copy a constant), so that each calls only its own way of taking, which
 * LTO then inlines too: with one taking function for both, or a test of out (recv's buffer
 * may be NULL), recv cost 40 instructions a segment more (tests/bench/ircount.sh's tcp0). */
#if defined(__GNUC__) || defined(__clang__)
#define TCP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TCP_ALWAYS_INLINE inline
#endif
static TCP_ALWAYS_INLINE void tcp_read_take(viv_tcp_t *s, int copy, uint8_t *out, uint32_t n)
{
    if (copy)
        viv__tcp_rcv_take(s, out, n);
    else
        viv__tcp_rcv_skip(s, n);
    if (viv__tcp_st(s) == VIV_TCP_CLOSED && !s->rcv.len)
        viv__tcp_rcv_free(s);
    else
        tcp_window_update(s);
}

/* What reading says when nothing is readable: a pending error (taken: returned once), not
 * connected, 0 at the end of the stream, else VIV_EAGAIN. peek: the call is viv_tcp_peek,
 * not viv_tcp_recv (the messages name it; literals, as EAGAIN ends every drain loop). */
static int tcp_read_nothing(viv_tcp_t *s, int peek)
{
    viv_sim_t *sim = s->base.sim;
    if (s->err)
        return viv__err(sim, tcp_take_error(s), "%s: pending error",
                        peek ? "viv_tcp_peek" : "viv_tcp_recv");
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_LISTEN || (st == VIV_TCP_CLOSED && !s->ever_connected))
        return viv__err_lit(sim, VIV_ENOTCONN,
                            peek ? "viv_tcp_peek: the socket is not connected"
                                 : "viv_tcp_recv: the socket is not connected");
    if (s->rfin || s->rd_shut || st == VIV_TCP_CLOSED)
        return 0;
    return viv__err_lit(sim, VIV_EAGAIN,
                        peek ? "viv_tcp_peek: nothing to read (EAGAIN)"
                             : "viv_tcp_recv: nothing to read (EAGAIN)");
}

int viv_tcp_recv(viv_tcp_t *s, void *buf, size_t cap)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, buf != NULL || cap == 0, "NULL buffer");
    uint32_t avail = tcp_readable(s);
    if (avail) {
        uint32_t n = cap < avail ? (uint32_t)cap : avail;
        tcp_read_take(s, 1, buf, n);
        return (int)n;
    }
    return tcp_read_nothing(s, 0);
}

int viv_tcp_peek(viv_tcp_t *s, const void **data, size_t off)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, data != NULL, "NULL data");
    *data = NULL;
    uint32_t avail = tcp_readable(s);
    if (off < avail) {
        const uint8_t *p;
        uint32_t n = viv__tcp_rcv_peek(s, (uint32_t)off, &p);
        *data = p;
        return (int)n; /* at most the receive buffer: VIV__TCP_RCVBUF_MAX fits an int */
    }
    if (off > avail)
        return viv__err(sim, VIV_EINVAL, "viv_tcp_peek: offset %zu beyond the %u bytes readable",
                        off, avail);
    if (off == 0)
        return tcp_read_nothing(s, 1);
    /* Past the last readable byte: say what follows it. A pending error is reported but not
     * taken: viv_tcp_recv returns it once, after those bytes, and so does peeking at 0 once
     * they are consumed. */
    if (s->err)
        return viv__err_lit(sim, s->err, "viv_tcp_peek: an error follows the bytes readable");
    if (s->rfin || s->rd_shut || viv__tcp_st(s) == VIV_TCP_CLOSED)
        return 0;
    return viv__err_lit(sim, VIV_EAGAIN, "viv_tcp_peek: nothing more to read yet (EAGAIN)");
}

int viv_tcp_consume(viv_tcp_t *s, size_t n)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    uint32_t avail = tcp_readable(s);
    if (n > avail)
        return viv__err(sim, VIV_EINVAL, "viv_tcp_consume: %zu bytes, only %u readable", n, avail);
    if (avail) /* viv_tcp_recv with a buffer of n bytes, without the copy */
        tcp_read_take(s, 0, NULL, (uint32_t)n);
    return 0;
}

int viv_tcp_shutdown(viv_tcp_t *s, int how)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->base.sim;
    VIV__CHECK(sim, how >= VIV_SHUT_RD && how <= VIV_SHUT_RDWR,
               "how must be VIV_SHUT_RD, _WR or _RDWR");
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_CLOSED || st == VIV_TCP_LISTEN)
        return viv__err_lit(sim, VIV_ENOTCONN, "viv_tcp_shutdown: the socket is not connected");
    if (how & VIV_SHUT_RD) {
        /* BSD's choice: what is queued and what arrives later is discarded. */
        s->rd_shut = 1;
        viv__tcp_rcv_drop_ooo(s); /* frames held beyond a hole: never to be read */
        if (s->rcv.len) {
            viv__tcp_rcv_skip(s, s->rcv.len);
            tcp_window_update(s);
        }
    }
    if ((how & VIV_SHUT_WR) && !s->fin_queued) {
        viv__tcp_queue_fin(s);
        s->want_writable = 0;
        if (st == VIV_TCP_ESTABLISHED)
            viv__tcp_set_state(s, VIV_TCP_FIN_WAIT_1);
        else if (st == VIV_TCP_CLOSE_WAIT)
            viv__tcp_set_state(s, VIV_TCP_LAST_ACK);
        /* SYN-SENT, SYN-RECEIVED: the FIN follows the handshake. */
        viv__tcp_output(s);
    }
    return 0;
}

void viv_tcp_close(viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead || !s->base.handle)
        return;
    viv__sock_let_go(&s->base, &s->th->socks);
}

void viv_tcp_abort(viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead || !s->base.handle)
        return;
    s->abort_on_close = 1;
    viv__sock_let_go(&s->base, &s->th->socks);
}

int viv_tcp_error(viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return tcp_take_error(s);
}

int viv_tcp_local(viv_sockaddr_t *out, const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->base.local;
    return 0;
}

int viv_tcp_peer(viv_sockaddr_t *out, const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!out || !s)
        return VIV_EINVAL;
    if (!s->ever_connected || viv__tcp_st(s) == VIV_TCP_LISTEN)
        return viv__err_lit(s->base.sim, VIV_ENOTCONN, "viv_tcp_peer: the socket has no peer");
    *out = s->base.remote;
    return 0;
}

viv_tcp_state viv_tcp_state_get(const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    return s ? viv__tcp_st(s) : VIV_TCP_CLOSED;
}

int viv_tcp_can_send(const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!s || s->base.dead || s->err || s->wr_shut || s->fin_queued || !s->ever_connected)
        return 0;
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_CLOSED || st == VIV_TCP_LISTEN)
        return 0;
    return s->snd.cap ? s->snd.len < s->snd.cap : 1;
}

static viv_time_t tcp_remaining(const viv_tcp_t *s, viv_tcp_timer k)
{
    viv_time_t at = s->at[k], now = s->base.sim->now;
    if (at == VIV_TIME_NEVER)
        return VIV_TIME_NEVER;
    return at > now ? at - now : 0;
}

int viv_tcp_info_get(viv_tcp_info *out, const viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    if (!out || !s)
        return VIV_EINVAL;
    memset(out, 0, sizeof(*out));
    out->state = viv__tcp_st(s);
    out->iss = s->iss;
    out->irs = s->irs;
    out->snd_una = s->snd_una;
    out->snd_nxt = s->snd_nxt;
    out->snd_wnd = s->snd_wnd;
    out->rcv_nxt = s->rcv_nxt;
    out->rcv_wnd = viv__seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
    out->snd_mss = s->smss;
    out->rcv_mss = s->rmss;
    out->cwnd = s->cwnd;
    out->ssthresh = s->ssthresh;
    out->in_flight = viv__tcp_in_flight(s);
    out->cc = s->cc->name;
    out->sack_ok = s->sack_ok;
    out->ts_ok = s->ts_ok;
    out->snd_wscale = s->ws_ok ? s->snd_wscale : 0;
    out->rcv_wscale = s->ws_ok ? s->rcv_wscale : 0;
    out->in_recovery = s->in_recovery;
    out->sacked_bytes = s->sack_ok ? viv__sb_sacked_bytes(viv__tcp_sbr(s)) : 0;
    out->fast_retransmits = s->fast_retransmits;
    out->timeouts = s->timeouts;
    out->dup_acks = s->dup_acks_in;
    out->min_rtt_ns = s->min_rtt;
    out->rto_ns = viv__tcp_rto(s);
    out->srtt_ns = s->srtt;
    out->rttvar_ns = s->rttvar;
    out->backoff = s->backoff;
    out->retransmits = s->retransmits;
    out->segs_out = s->segs_out;
    out->segs_in = s->segs_in;
    out->bytes_sent = s->bytes_sent;
    out->bytes_acked = s->bytes_acked;
    out->bytes_received = s->bytes_received;
    out->send_q = s->snd.len;
    out->recv_q = s->rcv.len;
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        out->timer_ns[k] = tcp_remaining(s, (viv_tcp_timer)k);
    return 0;
}

/* The simulation's defaults: what hosts without their own use. */
void viv_tcp_tunables_rfc(viv_tcp_tunables *out)
{
    if (!out)
        return;
    *out = viv__tcp_builtin_tunables;
    out->rto_min_ns = VIV_S(1);   /* RFC 6298 2.4 */
    out->delack_ns = VIV_MS(200); /* RFC 9293 3.8.6.3 allows up to 500 ms; BSD's 200 */
    out->initial_window = 0;      /* RFC 5681 3.1 */
    out->cc = &viv_tcp_cc_newreno;
    out->sack = 0;
    out->timestamps = 0;
    out->syncookies = 0;
}

static const viv_tcp_tunables *tcp_sim_tun(const viv_sim_t *sim)
{
    const viv__tcp_sim_defaults *d = sim->tcp_defaults;
    return d ? &d->tun : &viv__tcp_builtin_tunables;
}

/* Check a set of tunables for a setter (fn names it in the message). */
static int tcp_tunables_check(viv_sim_t *sim, const viv_tcp_tunables *t, const char *fn)
{
    if (t->rto_min_ns == 0)
        return viv__err(sim, VIV_EINVAL, "%s: rto_min_ns must be above 0", fn);
    if (t->rto_min_ns > t->rto_initial_ns || t->rto_initial_ns > t->rto_max_ns)
        return viv__err(sim, VIV_EINVAL, "%s: the RTOs must be ordered: min <= initial <= max", fn);
    if (t->initial_window > 65535)
        return viv__err(sim, VIV_EINVAL, "%s: initial_window must be 0 .. 65535", fn);
    if (t->delack_ns > VIV__TCP_DELACK_MAX)
        return viv__err(sim, VIV_EINVAL, "%s: delack_ns must be at most 500 ms (RFC 9293 3.8.6.3)",
                        fn);
    if ((t->sack != 0 && t->sack != 1) || (t->timestamps != 0 && t->timestamps != 1) ||
        (t->window_scaling != 0 && t->window_scaling != 1) ||
        (t->syncookies != 0 && t->syncookies != 1))
        return viv__err(sim, VIV_EINVAL,
                        "%s: sack, timestamps, window_scaling, syncookies must be 0 or 1", fn);
    if (!t->cc || !t->cc->on_ack || !t->cc->ssthresh || t->cc->priv_size > VIV_TCP_CC_PRIV_MAX)
        return viv__err(sim, VIV_EINVAL, "%s: cc must be an algorithm with on_ack and ssthresh",
                        fn);
    /* Bounds that keep every deadline computed from them (2 MSL, RTO backoff, keepalive)
     * far from overflow: about 73 years each. */
    const viv_time_t lim = VIV_TIME_MAX / 8;
    if (t->msl_ns > lim || t->rto_max_ns > lim || t->delack_ns > lim || t->fin_timeout_ns > lim)
        return viv__err(sim, VIV_EINVAL, "%s: a duration is out of range", fn);
    return 0;
}

int viv_host_tcp_tunables_get(viv_tcp_tunables *out, const viv_host_t *h)
{
    VIV__HANDLE(h, HOST);
    if (!out || !h)
        return VIV_EINVAL;
    const viv__tcp_host *th = viv__tcp_host_get((struct viv_host *)h, 0);
    *out = th ? *viv__tcp_tun(th) : *tcp_sim_tun(h->node.sim);
    return 0;
}

int viv_host_set_tcp_tunables(viv_host_t *h, const viv_tcp_tunables *t)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    if (t) {
        int rc = tcp_tunables_check(sim, t, "viv_host_set_tcp_tunables");
        if (rc < 0)
            return rc;
    }
    viv__tcp_host *th = viv__tcp_host_get(h, 1);
    if (!th)
        return viv__err(sim, VIV_ENOMEM, "viv_host_set_tcp_tunables: out of memory");
    th->tun_own = t != NULL;
    if (t)
        th->tun = *t;
    return 0;
}

static void tcp_sim_defaults_destroy(viv__obj *o)
{
    viv__tcp_sim_defaults *d = (viv__tcp_sim_defaults *)o;
    d->sim->tcp_defaults = NULL;
    viv__free(d->sim, d, sizeof(*d));
}

int viv_sim_tcp_tunables_get(viv_tcp_tunables *out, const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (!out || !sim)
        return VIV_EINVAL;
    *out = *tcp_sim_tun(sim);
    return 0;
}

int viv_sim_set_tcp_tunables(viv_sim_t *sim, const viv_tcp_tunables *t)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return VIV_EINVAL;
    if (!t)
        t = &viv__tcp_builtin_tunables;
    int rc = tcp_tunables_check(sim, t, "viv_sim_set_tcp_tunables");
    if (rc < 0)
        return rc;
    viv__tcp_sim_defaults *d = sim->tcp_defaults;
    if (!d) {
        d = viv__zalloc(sim, sizeof(*d));
        if (!d)
            return viv__err(sim, VIV_ENOMEM, "viv_sim_set_tcp_tunables: out of memory");
        d->sim = sim;
        viv__obj_register(sim, &d->obj, tcp_sim_defaults_destroy);
        sim->tcp_defaults = d;
    }
    d->tun = *t;
    return 0;
}

int viv_host_tcp_stats(viv_tcp_host_stats *out, const viv_host_t *h)
{
    VIV__HANDLE(h, HOST);
    if (!out || !h)
        return VIV_EINVAL;
    const viv__tcp_host *th = viv__tcp_host_get((struct viv_host *)h, 0);
    if (th)
        *out = th->st;
    else
        memset(out, 0, sizeof(*out));
    return 0;
}

int viv__tcp_set_fast_path(struct viv_host *h, int on)
{
    viv__tcp_host *th = viv__tcp_host_get(h, 1);
    if (!th)
        return VIV_ENOMEM;
    th->no_fast = on ? 0 : 1;
    return 0;
}

const char *viv_tcp_timer_name(viv_tcp_timer t)
{
    static const char *const names[] = {"retransmission", "delayed ack", "persist",
                                        "keepalive",      "fin-wait-2",  "time-wait"};
    return (unsigned)t < VIV__ARRAY_LEN(names) ? names[t] : "unknown";
}

/* ---- netstat --------------------------------------------------------------------------- */

/* The timer netstat -o shows, as Linux's /proc/net/tcp: the retransmission timer as "on",
 * the zero-window probe as "probe" (Linux's timer 4: until the audit of
 * test_tcp_audit_trace it was shown as "on", which Linux does not do), then keepalive;
 * TIME-WAIT and an orphan's FIN-WAIT-2 wait (which Linux keeps in a TIME-WAIT socket) as
 * "timewait". The delayed ACK is not shown. */
static void tcp_netstat_timer(const viv_tcp_t *s, viv_sock_info *r)
{
    static const struct {
        viv_tcp_timer k;
        viv_sock_timer shown;
    } order[] = {{VIV_TCP_TIMER_TIME_WAIT, VIV_TIMER_TIMEWAIT},
                 {VIV_TCP_TIMER_FIN_WAIT_2, VIV_TIMER_TIMEWAIT},
                 {VIV_TCP_TIMER_RTO, VIV_TIMER_ON},
                 {VIV_TCP_TIMER_PERSIST, VIV_TIMER_PROBE},
                 {VIV_TCP_TIMER_KEEPALIVE, VIV_TIMER_KEEPALIVE}};
    r->timer = VIV_TIMER_OFF;
    for (size_t i = 0; i < VIV__ARRAY_LEN(order); i++) {
        if (!viv__tcp_timer_on(s, order[i].k))
            continue;
        r->timer = order[i].shown;
        r->timer_ns = tcp_remaining(s, order[i].k);
        r->retries = order[i].k == VIV_TCP_TIMER_RTO         ? s->backoff
                     : order[i].k == VIV_TCP_TIMER_PERSIST   ? s->probes
                     : order[i].k == VIV_TCP_TIMER_KEEPALIVE ? s->kprobes
                                                             : 0;
        return;
    }
}

static int tcp_netstat(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap)
{
    const viv__tcp_host *th = ctx;
    (void)h;
    size_t n = 0;
    for (const viv__sock *b = th ? th->socks.first : NULL; b; b = b->next) {
        const viv_tcp_t *s = (const viv_tcp_t *)b;
        viv_tcp_state st = viv__tcp_st(s);
        if (st == VIV_TCP_CLOSED) /* not in the kernel's tables: netstat does not show it */
            continue;
        if (n < cap) {
            viv_sock_info *r = &rows[n];
            memset(r, 0, sizeof(*r));
            r->proto = VIV_SOCK_TCP;
            r->local = s->base.local;
            r->remote = st == VIV_TCP_LISTEN ? (viv_sockaddr_t){0, 0} : s->base.remote;
            r->state = st;
            r->state_name = viv_tcp_state_name(st);
            if (st == VIV_TCP_LISTEN) { /* as Linux: the accept queue and its limit */
                r->recv_q = s->accq.n;
                r->send_q = s->backlog;
            } else {
                r->recv_q = s->rcv.len;
                r->send_q = s->snd.len;
            }
            tcp_netstat_timer(s, r);
            r->process = viv__process_of(b, &r->pid);
        }
        n++;
    }
    return (int)n;
}
