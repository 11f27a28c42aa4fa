/* TCP input: validation, demultiplexing, and the state machine of RFC 9293 section 3.10.7
 * ("SEGMENT ARRIVES"), one function per group of states as the RFC writes it:
 *   - no connection (CLOSED, 3.10.7.1): tcp_no_socket, with the reply computed as a repr;
 *   - LISTEN (3.10.7.2): tcp_listen_input;
 *   - SYN-SENT (3.10.7.3): tcp_synsent_input;
 *   - every other state (3.10.7.4): tcp_process, its checks in the RFC's order, first to
 *     eighth; TIME-WAIT has its own function (tcp_timewait_input) for the choices made there.
 * The parsed segment is passed explicitly (no "current segment" globals); what the machine
 * decides to send is sent by tcp_out.c from the TCB, after the segment is processed.
 *
 * RFC 5961's defences are in: a RST resets only at exactly RCV.NXT (in the window: a
 * challenge ACK), a SYN in a synchronized state draws a challenge ACK, an ACK too far back
 * is dropped with an ACK. Choices where stacks differ are in docs/tcp.md. */
#include <stddef.h>
#include <string.h>

#include "core/bytes.h"
#include "tcp_cc_int.h"
#include "tcp_int.h"

/* A segment as parsed: its header, its payload, and the IP addresses (src the peer's). */
typedef struct tcp_seg {
    struct viv__tcp_repr h;
    const uint8_t *data;
    viv__frame *f; /* the frame holding it */
    viv_ip4_t src, dst;
} tcp_seg;

/* SEG.LEN: the payload, plus one for a SYN and one for a FIN. */
static uint32_t tcp_seg_len(uint32_t plen, uint8_t flags)
{
    return plen + ((flags & VIV__TCP_SYN) ? 1u : 0u) + ((flags & VIV__TCP_FIN) ? 1u : 0u);
}

/* ---- no connection (RFC 9293 3.10.7.1) ------------------------------------------------- */

int viv__tcp_closed_reply(const struct viv__tcp_repr *seg, struct viv__tcp_repr *out)
{
    /* "An incoming segment containing a RST is discarded." */
    if (seg->flags & VIV__TCP_RST)
        return -1;
    memset(out, 0, sizeof(*out));
    out->src_port = seg->dst_port;
    out->dst_port = seg->src_port;
    if (seg->flags & VIV__TCP_ACK) { /* <SEQ=SEG.ACK><CTL=RST> */
        out->seq = seg->ack;
        out->flags = VIV__TCP_RST;
    } else { /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        out->seq = 0;
        out->ack = seg->seq + tcp_seg_len((uint32_t)seg->payload_len, seg->flags);
        out->flags = VIV__TCP_RST | VIV__TCP_ACK;
    }
    return 0;
}

/* Answer sg as if no connection had it (also LISTEN's, SYN-SENT's and SYN-RECEIVED's resets
 * for a bad ACK, which are the same segment). */
static void tcp_reply_reset(viv__tcp_host *th, const tcp_seg *sg)
{
    struct viv__tcp_repr r;
    if (viv__tcp_closed_reply(&sg->h, &r) == 0)
        viv__tcp_xmit(th, NULL, &r, sg->dst, sg->src, NULL, 0, 0);
}

/* A drop traced with its reason: pkt, len is the packet from its IPv4 header. */
static void tcp_drop(viv__tcp_host *th, const viv_tcp_t *s, uint64_t *counter, viv_drop_reason why,
                     const uint8_t *pkt, size_t len)
{
    if (counter)
        (*counter)++;
    viv_sim_t *sim = th->h->node.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_FRAME_DROP);
    r.node = &th->h->node;
    r.socket = s;
    r.reason = why;
    r.frame = pkt;
    r.frame_len = (uint32_t)len;
    viv__trace_emit(sim, &r);
}

/* ---- demultiplexing -------------------------------------------------------------------- */

/* The listener of (ip, port): on the port bound to ip, else to the wildcard. */
static viv_tcp_t *tcp_listener_for(viv__tcp_host *th, viv_ip4_t ip, uint16_t port)
{
    viv__demux_ep *e = viv__demux_lookup(&th->dm, ip, port, VIV_IP4_ANY, 0);
    for (int pass = 0; pass < 2; pass++) {
        for (viv__demux_ep *k = e; k; k = k->key_next)
            if (k->where == VIV__DEMUX_BOUND && viv__tcp_st(viv__tcp_of_ep(k)) == VIV_TCP_LISTEN)
                return viv__tcp_of_ep(k);
        if (!e || e->lip == VIV_IP4_ANY || ip == VIV_IP4_ANY)
            break;
        e = viv__demux_lookup(&th->dm, VIV_IP4_ANY, port, VIV_IP4_ANY, 0);
        if (e && e->where != VIV__DEMUX_BOUND)
            e = NULL;
    }
    return NULL;
}

/* tcp_lookup reads each side's tuple as two words: these fields must be adjacent. */
_Static_assert(offsetof(viv__demux_ep, rip) == offsetof(viv__demux_ep, lip) + 4 &&
                   offsetof(viv__demux_ep, rport) == offsetof(viv__demux_ep, lport) + 2,
               "an endpoint's addresses and ports are pairs");
_Static_assert(offsetof(tcp_seg, dst) == offsetof(tcp_seg, src) + 4 &&
                   offsetof(struct viv__tcp_repr, dst_port) ==
                       offsetof(struct viv__tcp_repr, src_port) + 2,
               "a segment's addresses and ports are pairs");

/* The connection a segment is for, or the listener of its port, or NULL. A socket that is
 * only bound takes no segment (the CLOSED state answers). */
static viv_tcp_t *tcp_lookup(viv__tcp_host *th, const tcp_seg *sg)
{
    viv_tcp_t *c = th->last_conn;
    if (c) {
        /* The tuple as two words each side, compared at once: the endpoint's (lip, rip) and
         * (lport, rport) are the segment's (dst, src) and (dst_port, src_port) swapped. */
        uint64_t ea, sa;
        uint32_t ep, sp;
        memcpy(&ea, &c->ep.lip, sizeof ea);
        memcpy(&sa, &sg->src, sizeof sa);
        memcpy(&ep, &c->ep.lport, sizeof ep);
        memcpy(&sp, &sg->h.src_port, sizeof sp);
        if (ea == (sa >> 32 | sa << 32) && ep == (sp >> 16 | sp << 16))
            return c; /* the demultiplexing has not changed since it answered c for it */
    }
    viv__demux_ep *e = viv__demux_lookup(&th->dm, sg->dst, sg->h.dst_port, sg->src, sg->h.src_port);
    if (!e)
        return NULL;
    if (e->where == VIV__DEMUX_CONN) {
        /* A connection with a wildcard local address cannot be (TCP fixes it at connect),
         * but check the tuple anyway. */
        if (e->rip == sg->src && e->rport == sg->h.src_port) {
            c = viv__tcp_of_ep(e);
            if (e->lip == sg->dst && e->lport == sg->h.dst_port)
                th->last_conn = c;
            return c;
        }
        return NULL;
    }
    return tcp_listener_for(th, sg->dst, sg->h.dst_port);
}

/* ---- shared steps ---------------------------------------------------------------------- */

static void tcp_challenge_ack(viv_tcp_t *s)
{
    s->th->st.challenge_acks++;
    viv__tcp_send_ack(s);
}

static void tcp_enter_timewait(viv_tcp_t *s)
{
    viv__tcp_set_state(s, VIV_TCP_TIME_WAIT);
    viv__tcp_timer_stop(s, VIV_TCP_TIMER_RTO);
    viv__tcp_timer_stop(s, VIV_TCP_TIMER_PERSIST);
    viv__tcp_timer_stop(s, VIV_TCP_TIMER_KEEPALIVE);
    viv__tcp_timer_stop(s, VIV_TCP_TIMER_FIN_WAIT_2);
    viv__tcp_ring_free(s->base.sim, &s->snd); /* everything was acknowledged */
    viv__tcp_sb_free(s);
    /* A connection in TIME-WAIT never stops a bind that sets reuse_addr (see tcp.h). */
    s->ep.reuse_addr = 1;
    viv__tcp_timer_start(s, VIV_TCP_TIMER_TIME_WAIT, 2 * viv__tcp_tun(s->th)->msl_ns);
}

/* Our SYN is acknowledged and the connection is ESTABLISHED: tell the program (or the
 * listener), and send the FIN the program asked for meanwhile. */
static void tcp_established(viv_tcp_t *s)
{
    viv__tcp_set_state(s, VIV_TCP_ESTABLISHED);
    /* RFC 5681 3.1: after a lost SYN or SYN-ACK the initial window is one segment. */
    int syn_loss = s->syn_retried && s->cwnd != s->smss;
    if (s->syn_retried)
        s->cwnd = s->smss;
    s->rto_shift = 0; /* RFC 6298 5.7: the RTO the SYN's backoff left is not kept */
    s->cl_round_end = s->snd_una;
    viv__tcp_cc_init(s);
    /* The SYN's timeout cut cwnd: traced as a timeout, like every change of cwnd (it was
     * not, until the audit of test_tcp_audit_trace). */
    if (syn_loss)
        viv__tcp_cc_trace(s, VIV_TRACE_CC_TIMEOUT);
    if (s->in_q == VIV__TCP_Q_SYN)
        viv__tcp_child_established(s);
    viv__sock_raise(&s->base, VIV_EV_CONNECTED | VIV_EV_WRITABLE);
    if (s->fin_queued)
        viv__tcp_set_state(s, VIV_TCP_FIN_WAIT_1);
}

/* The options both ends offered, from the peer's SYN or SYN-ACK (RFC 7323 2.2, 3.2; RFC
 * 2018 2): each is used only if we offered it too. */
static void tcp_negotiate(viv_tcp_t *s, const struct viv__tcp_repr *h)
{
    s->ws_ok = s->want_ws && h->wscale_present;
    /* RFC 7323 2.3: a shift above 14 is taken as 14. */
    s->snd_wscale =
        s->ws_ok ? (h->wscale > VIV__TCP_WSCALE_MAX ? VIV__TCP_WSCALE_MAX : h->wscale) : 0;
    if (!s->ws_ok)
        s->rcv_wscale = 0;
    s->sack_ok = s->want_sack && h->sack_permitted;
    s->ts_ok = s->want_ts && h->ts_present;
    if (s->ts_ok) {
        s->ts_recent = h->tsval;
        s->ts_recent_at = s->base.sim->now;
    }
}

/* The peer's window from a segment: scaled by its shift (RFC 7323 2.3). The shift is 0
 * unless window scaling is in use (tcp_negotiate and the cookie's connection set it so), so
 * it needs no test of ws_ok. A segment with SYN reaches the ACK step too (the peer's SYN-ACK
 * completing a simultaneous open): its window "MUST NOT be scaled" (RFC 7323 2.2). */
static uint32_t tcp_peer_window(const viv_tcp_t *s, const struct viv__tcp_repr *h)
{
    return (uint32_t)h->window << ((h->flags & VIV__TCP_SYN) ? 0u : s->snd_wscale);
}

/* tcp_peer_window for a segment known to have no SYN (header prediction's). */
static uint32_t tcp_peer_window_nosyn(const viv_tcp_t *s, const struct viv__tcp_repr *h)
{
    return (uint32_t)h->window << s->snd_wscale;
}

/* Call the algorithm on an event, then trace it. */
static void tcp_cc_event(viv_tcp_t *s, viv_tcp_cc_event ev, int trace_ev)
{
    if (s->cc->on_event) {
        viv_tcp_cc_conn c;
        viv__tcp_cc_view(s, &c, viv__tcp_in_flight(s));
        s->cc->on_event(&c, ev);
        viv__tcp_cc_unview(s, &c);
    }
    viv__tcp_cc_trace(s, trace_ev);
}

/* Loss detected by duplicate ACKs (RFC 5681 3.2, RFC 6582 3.2 step 2) or by SACK (RFC 6675
 * 5): ssthresh from the algorithm, the first unacknowledged segment sent again at once. */
static void tcp_enter_recovery(viv_tcp_t *s)
{
    /* FlightSize, without what limited transmit sent: RFC 5681 3.2 step 2 ("additional data
     * sent in limited transmit MUST NOT be included in this calculation"). */
    uint32_t flight = s->snd_max - s->snd_una;
    viv__tcp_cc_loss(s, flight > s->lt_bytes ? flight - s->lt_bytes : 0);
    s->lt_bytes = 0;
    s->recover = s->snd_max;
    s->in_recovery = 1;
    s->partial_seen = 0;
    s->rescue_done = 0;
    s->high_rxt = s->snd_una;
    s->fast_retransmits++;
    /* NewReno inflates by the three segments that left the network (RFC 5681 3.2 step 3);
     * with SACK the pipe counts them (RFC 6675 5 step 4.2). */
    uint64_t cw = (uint64_t)s->ssthresh + (s->sack_ok ? 0u : 3u * s->smss);
    s->cwnd = cw > (1u << 30) ? 1u << 30 : (uint32_t)cw;
    tcp_cc_event(s, VIV_TCP_CC_EV_RECOVERY_ENTER, VIV_TRACE_CC_RECOVERY_ENTER);
    /* The first segment presumed lost, not crossing into what the peer SACKed (RFC 6675 5
     * step 4.3). */
    uint32_t seq = s->snd_una, len = 0;
    if (s->sack_ok)
        viv__sb_next_seg_ex(viv__tcp_sbr(s), s->snd_una, s->snd_max, s->snd_una, s->smss, VIV__TCP_DUPTHRESH,
                            0, &seq, &len);
    uint32_t sent = viv__tcp_retransmit(s, s->snd_una, seq == s->snd_una ? len : 0);
    if (viv__seq_gt(s->snd_una + sent, s->high_rxt))
        s->high_rxt = s->snd_una + sent;
    /* RFC 6675 step (4.3): RescueRxt too, so that rule (4) does not send this segment again
     * or anything else before an ACK goes beyond it. */
    s->rescue_rxt = s->high_rxt;
}

/* The ACK that covers the recovery point: recovery is over, cwnd = ssthresh. */
static void tcp_exit_recovery(viv_tcp_t *s)
{
    s->in_recovery = 0;
    s->dupacks = 0;
    s->cwnd = s->ssthresh < s->smss ? s->smss : s->ssthresh;
    s->ca_acked = 0;
    tcp_cc_event(s, VIV_TCP_CC_EV_RECOVERY_EXIT, VIV_TRACE_CC_RECOVERY_EXIT);
}

/* A duplicate ACK (RFC 5681 2: outstanding data, no data, no SYN or FIN, SEG.ACK = SND.UNA,
 * the window unchanged). */
static void tcp_dupack(viv_tcp_t *s)
{
    s->dup_acks_in++;
    s->dupacks++;
    if (s->in_recovery == 1) {
        if (!s->sack_ok && s->cwnd <= (1u << 30) - s->smss) {
            s->cwnd += s->smss; /* RFC 5681 3.2 step 4 */
            viv__tcp_cc_trace(s, VIV_TRACE_CC_INFLATE);
        }
        return;
    }
    /* RFC 6675 5: with SACK, also as soon as the first unacknowledged byte is deemed lost. */
    int lost = s->dupacks == VIV__TCP_DUPTHRESH ||
               (s->sack_ok && s->dupacks < VIV__TCP_DUPTHRESH &&
                viv__sb_is_lost(viv__tcp_sbr(s), s->snd_una, s->smss, VIV__TCP_DUPTHRESH));
    if (!lost)
        return; /* the first two: limited transmit (tcp_out.c) */
    /* RFC 6582 3.2 step 2 (and RFC 6675 5.1 after a timeout): only if the ACK covers recover
     * (a new loss, not one the last recovery or timeout already dealt with). Outside recovery
     * SND.UNA has reached recover already; after a timeout in_recovery stays 2 until it does.
     * Not compared modulo 2^32 here: after 2 GiB sent with no loss, SND.UNA would seem to
     * be before recover again, and no loss would be repaired but by the timer. */
    if (s->in_recovery == 2)
        return;
    tcp_enter_recovery(s);
}

/* The bytes in flight before an ACK, for the algorithm's view of a new acknowledgement
 * (tcp_ack_new): 0 for the built-in NewReno, which is applied without a view and reads none
 * (a scoreboard walk saved on every ACK with SACK). */
static uint32_t tcp_flight_for_view(const viv_tcp_t *s)
{
    return s->cc == &viv_tcp_cc_newreno ? 0 : viv__tcp_in_flight(s);
}

/* NewReno's on_ack (tcp_cc.c) applied to s directly, without the algorithm's view: RFC
 * 7661's test, RFC 5681 3.1's slow start and byte-counted congestion avoidance (the functions
 * of tcp_cc_int.h that the table's hook uses through its view), then what viv__tcp_cc_unview
 * does with the result (cwnd kept within one segment and 2^30). Filling the view, the
 * indirect call and taking the view back were most of the work on every ACK of a NewReno
 * connection (test_tcp_cc compares this with the table's hook on a grid). */
void viv__tcp_newreno_ack(viv_tcp_t *s, uint32_t acked)
{
    uint32_t cwnd = s->cwnd, mss = s->smss;
    if (viv__tcp_cwnd_limited(s)) {
        acked = viv__cc_slow_start(&cwnd, s->ssthresh, mss, acked);
        viv__cc_reno_avoid(&cwnd, &s->ca_acked, mss, acked);
    }
    if (cwnd < mss)
        cwnd = mss;
    if (cwnd > (1u << 30))
        cwnd = 1u << 30;
    s->cwnd = cwnd;
}

/* An acknowledgement of new data (SND.UNA < SEG.ACK =< SND.MAX): the buffer gives the
 * bytes back, the round trip is measured, the timer restarted (RFC 6298 5.3), and the
 * congestion window grows, or recovery goes on or ends. flight: the bytes in flight before
 * this ACK (pipe with SACK), for the algorithm (tcp_flight_for_view: 0 for NewReno). */
static void tcp_ack_new(viv_tcp_t *s, uint32_t ack, const struct viv__tcp_repr *h, uint32_t flight)
{
    uint32_t dseq = viv__tcp_dseq(s);
    uint32_t acked = ack - s->snd_una;
    if (viv__seq_gt(ack, dseq)) {
        uint32_t d = ack - dseq;
        if (d > s->snd.len)
            d = s->snd.len; /* the rest is our FIN */
        viv__tcp_ring_pop(&s->snd, d);
        s->bytes_acked += d;
    }
    s->snd_una = ack;
    /* Nagle's "a short segment is unacknowledged" is snd_sml beyond SND.UNA (RFC 896,
     * Minshall): unless it lies in what is still in flight, it follows SND.UNA, so that 2 GiB
     * of full-sized segments never leave it so far behind that the sequence comparison takes
     * it as ahead. */
    if (!(viv__seq_gt(s->snd_sml, ack) && viv__seq_le(s->snd_sml, s->snd_max)))
        s->snd_sml = ack;
    s->syn_acked = 1; /* any new acknowledgement covers our SYN first */
    if (viv__seq_lt(s->snd_nxt, s->snd_una))
        s->snd_nxt = s->snd_una;
    viv_time_t rtt = 0;
    if (s->rtt_on && viv__seq_gt(ack, s->rtt_seq)) {
        if (!s->ts_ok) {
            rtt = s->base.sim->now - s->rtt_start;
            viv__tcp_rtt_sample(s, rtt);
        } else if (h->ts_present && h->tsecr) {
            /* RFC 7323 4.2: the round trip of the transmission the peer echoes. */
            uint32_t d = viv__tcp_ts_now(s) - h->tsecr;
            if (d < (1u << 31)) {
                rtt = (viv_time_t)d * VIV__TCP_TS_TICK;
                viv__tcp_rtt_sample(s, rtt);
            }
        }
        s->rtt_on = 0;
    }
    s->backoff = 0;
    s->probes = s->probe_shift = 0;
    s->dupacks = 0;
    s->lt_bytes = 0;
    /* Data got through: an ICMP soft error noted earlier is stale, and a later timeout is a
     * plain ETIMEDOUT (RFC 1122 4.2.3.9 soft errors; BSD's tcp_xmit_timer and Linux's
     * tcp_ack forget it on an acknowledgement). */
    s->soft_err = 0;
    s->una_since = s->base.sim->now;
    /* RFC 7661: a round trip ends when the data outstanding at its start is acknowledged. */
    int cwnd_round = viv__seq_ge(ack, s->cl_round_end);
    int restart = 1;
    if (s->in_recovery == 1) {
        if (viv__seq_ge(ack, s->recover)) {
            tcp_exit_recovery(s);
        } else {
            /* A partial ACK (RFC 6582 3.2 step 5): the next hole goes at once; cwnd deflates
             * by what was acknowledged, plus one segment back if that was a full one; the
             * timer is restarted only by the first partial ACK. */
            if (!s->sack_ok) {
                restart = !s->partial_seen;
                viv__tcp_retransmit(s, s->snd_una, 0);
                s->cwnd = s->cwnd > acked ? s->cwnd - acked : 0;
                if (acked >= s->smss)
                    s->cwnd += s->smss;
                if (s->cwnd < s->smss)
                    s->cwnd = s->smss;
            }
            s->partial_seen = 1;
            viv__tcp_cc_trace(s, VIV_TRACE_CC_PARTIAL_ACK);
        }
    } else {
        if (s->in_recovery == 2 && viv__seq_ge(ack, s->recover))
            s->in_recovery = 0;
        uint32_t before = s->cwnd;
        if (s->cc == &viv_tcp_cc_newreno) {
            viv__tcp_newreno_ack(s, acked);
        } else {
            viv_tcp_cc_conn c;
            viv__tcp_cc_view(s, &c, flight);
            s->cc->on_ack(&c, acked, rtt);
            viv__tcp_cc_unview(s, &c);
        }
        if (s->cwnd != before)
            viv__tcp_cc_trace(s, VIV_TRACE_CC_GROW);
    }
    if (cwnd_round) {
        s->cl_prev = s->cl_max;
        s->cl_max = s->snd_max - s->snd_una;
        s->cl_round_end = s->snd_max;
    }
    viv__tcp_rexmit_arm(s, restart);
    if (s->want_writable && s->snd.len < s->snd.cap && !s->wr_shut) {
        s->want_writable = 0;
        viv__sock_raise(&s->base, VIV_EV_WRITABLE);
    }
}

/* The peer's FIN is reached: RCV.NXT counts it (RFC 9293 3.10.7.4, eighth). */
static void tcp_fin_in(viv_tcp_t *s)
{
    s->rcv_nxt++;
    s->rfin = 1;
    s->rfin_ooo = 0;
    s->ack_now = 1;
    viv__sock_raise(&s->base, VIV_EV_READABLE);
    switch (viv__tcp_st(s)) {
    case VIV_TCP_SYN_RECEIVED:
    case VIV_TCP_ESTABLISHED:
        viv__tcp_set_state(s, VIV_TCP_CLOSE_WAIT);
        break;
    case VIV_TCP_FIN_WAIT_1: /* our FIN not acknowledged yet (else we would be in FIN-WAIT-2) */
        viv__tcp_set_state(s, VIV_TCP_CLOSING);
        break;
    case VIV_TCP_FIN_WAIT_2:
        tcp_enter_timewait(s);
        break;
    default:
        break;
    }
}

/* Insert [a, b) into the out-of-order ranges; 0, or -1 if there is no room for it. */
static int tcp_ooo_insert(viv_tcp_t *s, uint32_t a, uint32_t b)
{
    if (!s->ooo) {
        /* As many ranges as the buffer can hold with every other segment missing. */
        uint32_t cap = s->o.rcvbuf_bytes / (2u * s->rmss) + 2u;
        if (cap < VIV__TCP_OOO_MIN)
            cap = VIV__TCP_OOO_MIN;
        if (cap > VIV__TCP_OOO_MAX)
            cap = VIV__TCP_OOO_MAX;
        s->ooo = viv__alloc(s->base.sim, cap * sizeof(*s->ooo));
        if (!s->ooo)
            return -1;
        s->ooo_cap = cap;
        s->nooo = 0;
    }
    uint32_t n = s->nooo, i = 0;
    while (i < n && viv__seq_lt(s->ooo[i].end, a))
        i++;
    uint32_t j = i;
    while (j < n && viv__seq_le(s->ooo[j].start, b)) {
        if (viv__seq_lt(s->ooo[j].start, a))
            a = s->ooo[j].start;
        if (viv__seq_gt(s->ooo[j].end, b))
            b = s->ooo[j].end;
        j++;
    }
    uint32_t nn = n - (j - i) + 1;
    if (nn > s->ooo_cap)
        return -1;
    memmove(&s->ooo[i + 1], &s->ooo[j], (n - j) * sizeof(s->ooo[0]));
    s->ooo[i].start = a;
    s->ooo[i].end = b;
    s->nooo = nn;
    return 0;
}

/* RCV.NXT has moved: it takes in the out-of-order ranges it reaches. Returns 1 if any. */
static inline int tcp_ooo_join(viv_tcp_t *s)
{
    int filled = 0;
    while (s->nooo && viv__seq_le(s->ooo[0].start, s->rcv_nxt)) {
        if (viv__seq_gt(s->ooo[0].end, s->rcv_nxt))
            s->rcv_nxt = s->ooo[0].end;
        s->nooo--;
        memmove(&s->ooo[0], &s->ooo[1], s->nooo * sizeof(s->ooo[0]));
        filled = 1;
    }
    return filled;
}

/* Data in the window after a shutdown for reading: acknowledged and discarded (docs/tcp.md,
 * BSD's choice). Data beyond a hole keeps its range (SACKed, its bytes not kept), and the
 * ranges held when reading was shut down stay too: once the hole is filled, RCV.NXT passes
 * over them. Forgetting them would be reneging on what was SACKed (RFC 2018 8: only "in
 * extremis"), which docs/tcp.md says never happens; the sender would not send that data again
 * until its timer expired twice (the second timeout forgets the scoreboard). */
static void tcp_discard_in(viv_tcp_t *s, uint32_t seq, uint32_t n)
{
    s->ack_now = 1;
    s->sack_recent.start = seq;
    s->sack_recent.end = seq + n;
    if (seq != s->rcv_nxt) {
        if (tcp_ooo_insert(s, seq, seq + n) < 0)
            s->th->st.rx_ooo_dropped++;
        return;
    }
    s->rcv_nxt += n;
    tcp_ooo_join(s);
}

/* Data in the window, at or after RCV.NXT (RFC 9293 3.10.7.4, seventh). In order, it is
 * delivered with whatever out-of-order data it joins; beyond a hole, it is kept (up to
 * VIV__TCP_OOO_MAX ranges, and within the receive buffer) and acknowledged at once with a
 * duplicate ACK (with SACK blocks when SACK is on). Either way its bytes stay in frame f
 * where the receive buffer's bounds allow (viv__tcp_rcv_put), else they are copied. */
static void tcp_data_in(viv_tcp_t *s, uint32_t seq, const uint8_t *data, uint32_t n, viv__frame *f)
{
    viv__tcp_host *th = s->th;
    viv_sim_t *sim = s->base.sim;
    if (!s->rcv.buf && viv__tcp_ring_alloc(sim, &s->rcv, viv__tcp_rcv_ring_cap(s)) < 0) {
        viv__host_drop(th->h, &th->h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, NULL);
        return;
    }
    uint32_t off = seq - s->rcv_nxt;
    uint32_t room = s->rcv.cap - s->rcv.len;
    if (off >= room)
        return;
    if (n > room - off)
        n = room - off;
    s->sack_recent.start = seq;
    s->sack_recent.end = seq + n;
    if (off) {
        s->ack_now = 1; /* a duplicate ACK at once (RFC 5681 4.2) */
        if (tcp_ooo_insert(s, seq, seq + n) < 0) {
            th->st.rx_ooo_dropped++;
            return;
        }
        th->st.rx_ooo++;
        viv__tcp_rcv_put(s, s->rcv.len + off, data, n, f);
        return;
    }
    viv__tcp_rcv_put(s, s->rcv.len, data, n, f);
    uint32_t old = s->rcv_nxt;
    s->rcv_nxt += n;
    int filled = tcp_ooo_join(s);
    uint32_t adv = s->rcv_nxt - old;
    s->rcv.len += adv;
    s->bytes_received += adv;
    viv__sock_raise(&s->base, VIV_EV_READABLE);
    /* Acknowledge at once when a hole is (even partly) filled (RFC 5681 4.2); otherwise at
     * every second segment, or when the delayed-ACK timer expires (RFC 9293 3.8.6.3). */
    if (filled || s->nooo || ++s->delack_segs >= 2 || s->o.quickack)
        s->ack_now = 1;
    else if (!viv__tcp_timer_on(s, VIV_TCP_TIMER_DELACK))
        viv__tcp_timer_start(s, VIV_TCP_TIMER_DELACK, viv__tcp_tun(th)->delack_ns);
}

/* The seventh and eighth steps: the segment's text, then its FIN. seq, data, plen and fin
 * are what remains of the segment after trimming it to the window. */
static inline void tcp_text_fin(viv_tcp_t *s, uint32_t seq, const uint8_t *data, uint32_t plen,
                                int fin, viv__frame *f)
{
    viv_tcp_state st = viv__tcp_st(s);
    int open = st == VIV_TCP_ESTABLISHED || st == VIV_TCP_FIN_WAIT_1 || st == VIV_TCP_FIN_WAIT_2;
    if (!open) /* CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN came already */
        return;
    if (plen) {
        if (s->closed) {
            /* New data after the program closed: nobody will ever read it. Say so with a
             * reset (RFC 1122 4.2.2.13; Linux counts TCPAbortOnData). */
            viv__tcp_send_rst(s);
            viv__tcp_done(s, VIV_ECONNRESET);
            return;
        }
        if (s->rd_shut) {
            tcp_discard_in(s, seq, plen);
        } else {
            tcp_data_in(s, seq, data, plen, f);
        }
    }
    if (fin) {
        uint32_t fseq = seq + plen;
        if (fseq == s->rcv_nxt) {
            tcp_fin_in(s);
        } else if (viv__seq_gt(fseq, s->rcv_nxt)) {
            /* A FIN beyond a hole takes effect once the hole is filled. */
            s->rfin_ooo = 1;
            s->rfin_seq = fseq;
            s->ack_now = 1;
        }
    } else if (s->rfin_ooo && s->rcv_nxt == s->rfin_seq) {
        tcp_fin_in(s);
    }
}

/* ---- steps shared by header prediction and the general steps --------------------------- */

/* A segment for s arrived now: counted, and the keepalive timer starts over. */
static inline void tcp_seg_arrived(viv_tcp_t *s, viv_time_t now)
{
    s->segs_in++;
    s->last_rx = now;
    if (s->o.keepalive || s->kprobes || viv__tcp_timer_on(s, VIV_TCP_TIMER_KEEPALIVE))
        viv__tcp_keepalive_reset(s); /* (else it would find nothing to do) */
}

/* RFC 7323 4.3 and 5.3 R3: TS.Recent takes the timestamp of an acceptable segment that
 * starts at or before the last ACK sent, so that a delayed ACK echoes the earliest of the
 * segments it covers and an ACK for data beyond a hole echoes the last in order. */
static inline void tcp_ts_recent_note(viv_tcp_t *s, const struct viv__tcp_repr *h,
                                      uint32_t seq, viv_time_t now)
{
    if (s->ts_ok && h->ts_present &&
        ((viv__seq_ge(h->tsval, s->ts_recent) && viv__seq_le(seq, s->last_ack_sent)) ||
         now - s->ts_recent_at > VIV__TCP_PAWS_IDLE)) {
        s->ts_recent = h->tsval;
        s->ts_recent_at = now;
    }
}

/* The send window, for an acknowledgement with SND.UNA =< SEG.ACK: "If (SND.WL1 < SEG.SEQ or
 * (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND". */
static inline void tcp_snd_wnd_note(viv_tcp_t *s, uint32_t seq, uint32_t ack, uint32_t wnd)
{
    /* The peer answers: a zero-window probe is unanswered no more (RFC 1122 4.2.2.17). */
    s->probes = 0;
    if (viv__seq_lt(s->snd_wl1, seq) || (s->snd_wl1 == seq && viv__seq_le(s->snd_wl2, ack))) {
        s->snd_wnd = wnd;
        s->snd_wl1 = seq;
        s->snd_wl2 = ack;
        if (s->snd_wnd > s->max_snd_wnd)
            s->max_snd_wnd = s->snd_wnd;
    }
}

/* ---- header prediction ----------------------------------------------------------------- */

/* The common segments of ESTABLISHED, taken without the general steps: header prediction,
 * as BSD's tcp_input does it. A segment with only ACK set (PSH may be), exactly at RCV.NXT,
 * no data beyond the window, its timestamps (when in use) present and not older than
 * TS.Recent, no SACK blocks, and an acknowledgement that is new (SND.UNA < SEG.ACK =<
 * SND.MAX) or, on data, equal to SND.UNA, passes every check of RFC 9293 3.10.7.4 and needs
 * no trimming; RST, SYN, the opening and the states' own ACK steps do not apply, and it is
 * never a duplicate ACK. What is left is done here as tcp_process does it, in the same order
 * and by the same functions (timestamps, acknowledgement, send window, text), so events,
 * segments and fingerprints are the same (test_tcp_fast runs both ways and compares).
 * Returns 0, having changed nothing, for any other segment: tcp_process takes it. */
static int tcp_fast(viv_tcp_t *s, const tcp_seg *sg)
{
    const struct viv__tcp_repr *h = &sg->h;
    viv__tcp_host *th = s->th;
    uint32_t seq = h->seq, ack = h->ack, plen = (uint32_t)h->payload_len;
    uint32_t rn = s->rcv_nxt, una = s->snd_una;
    if ((h->flags & (uint8_t)~VIV__TCP_PSH) != VIV__TCP_ACK || seq != rn || h->sack_count ||
        VIV__UNLIKELY(th->no_fast))
        return 0;
    /* The acknowledgement: new, or the same on data (RFC 5961 5.2's check is kept). */
    if (viv__seq_gt(ack, s->snd_max) || viv__seq_lt(ack, una - s->max_snd_wnd) ||
        !(viv__seq_gt(ack, una) || (ack == una && plen)))
        return 0;
    /* In the window entirely (a segment without data is acceptable at RCV.NXT anyway). */
    uint32_t rwnd = viv__seq_gt(s->rcv_adv, rn) ? s->rcv_adv - rn : 0;
    if (plen > rwnd)
        return 0;
    /* PAWS (RFC 7323 5.3 R1) would pass it. */
    if (s->ts_ok && !(h->ts_present && viv__seq_ge(h->tsval, s->ts_recent)))
        return 0;

    viv_time_t now = s->base.sim->now;
    tcp_seg_arrived(s, now);
    tcp_ts_recent_note(s, h, seq, now);
    /* fifth: the ACK field. */
    uint32_t wnd = tcp_peer_window_nosyn(s, h);
    if (ack != una) {
        uint32_t flight = tcp_flight_for_view(s);
        if (s->sack_ok && s->sb) /* RFC 6675 Update(), no blocks: the cumulative ACK */
            viv__sb_update(s->sb, ack, s->snd_max, NULL, 0);
        tcp_ack_new(s, ack, h, flight);
        th->fast_acks += plen == 0;
        if (s->base.dead)
            return 1;
    } else if (s->sack_ok && s->sb) {
        viv__sb_update(s->sb, una, s->snd_max, NULL, 0);
    }
    tcp_snd_wnd_note(s, seq, ack, wnd); /* SND.UNA =< SEG.ACK here */
    /* seventh: the text. */
    if (plen) {
        th->fast_data++;
        tcp_text_fin(s, seq, sg->data, plen, 0, sg->f);
    } else if (s->rfin_ooo && s->rcv_nxt == s->rfin_seq) {
        tcp_fin_in(s);
    }
    if (s->base.dead)
        return 1;
    if (!viv__tcp_output_idle(s))
        viv__tcp_output(s);
    else if (s->ack_now)
        viv__tcp_send_ack(s);
    return 1;
}

/* ---- SYN cookies (RFC 4987 3.6) -------------------------------------------------------- */

/* The MSS a cookie can carry: the largest of these not above the peer's. */
static const uint16_t tcp_cookie_mss[4] = {536, 1220, 1440, 1460};
#define TCP_COOKIE_PERIOD VIV_S(64) /* a cookie is good in its period and the next */

/* The cookie's hash: the host's key, the 4-tuple, the peer's ISN and the period. */
static uint32_t tcp_cookie_hash(const viv__tcp_host *th, const tcp_seg *sg, uint32_t irs,
                                uint32_t period)
{
    uint64_t k = viv__key_mix(th->h->node.key ^ UINT64_C(0x636f6f6b69657321), /* "cookies!" */
                              (uint64_t)sg->src << 32 | sg->dst);
    k = viv__key_mix(k, (uint64_t)sg->h.src_port << 48 | (uint64_t)sg->h.dst_port << 32 | irs);
    return (uint32_t)viv__key_mix(k, period);
}

/* Our ISN for a SYN answered with a cookie: the period's low 8 bits, then 24 bits of the hash
 * plus the index of the MSS. Nothing else is kept: no window scaling, SACK or timestamps for
 * such a connection (Linux hides them in the timestamp; we do not). */
static void tcp_cookie_synack(viv_tcp_t *l, const tcp_seg *sg)
{
    viv__tcp_host *th = l->th;
    uint32_t period = (uint32_t)(th->h->node.sim->now / TCP_COOKIE_PERIOD);
    uint32_t peer_mss = sg->h.mss ? sg->h.mss : VIV__TCP_MSS_DEFAULT, idx = 0;
    while (idx < 3 && tcp_cookie_mss[idx + 1] <= peer_mss)
        idx++;
    uint32_t cookie =
        (period & 0xffu) << 24 | ((tcp_cookie_hash(th, sg, sg->h.seq, period) + idx) & 0xffffffu);
    viv__ip_path path;
    if (viv__ip_route(th->h, sg->dst, sg->src, &path) < 0) {
        th->st.tx_failed++;
        return;
    }
    uint32_t mss = path.mtu > 40 + VIV__TCP_MSS_MIN ? path.mtu - 40 : VIV__TCP_MSS_MIN;
    if (l->o.mss && l->o.mss < mss)
        mss = l->o.mss;
    struct viv__tcp_repr r;
    memset(&r, 0, sizeof r);
    r.src_port = sg->h.dst_port;
    r.dst_port = sg->h.src_port;
    r.seq = cookie;
    r.ack = sg->h.seq + 1;
    r.flags = VIV__TCP_SYN | VIV__TCP_ACK;
    r.window =
        (uint16_t)(l->o.rcvbuf_bytes > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : l->o.rcvbuf_bytes);
    r.mss = (uint16_t)(mss > 65535 ? 65535 : mss);
    th->st.syncookies_sent++;
    viv__tcp_xmit(th, NULL, &r, sg->dst, sg->src, NULL, 0, 0);
}

/* An ACK to a listener: if it acknowledges a cookie of this period or the last, the
 * connection is made from it (SYN-RECEIVED, then the ACK is processed as usual). Returns 1
 * if the segment was taken (made a connection, or dropped for a full accept queue). */
static void tcp_process(viv_tcp_t *s, const tcp_seg *sg);
static int tcp_cookie_ack(viv_tcp_t *l, const tcp_seg *sg)
{
    viv__tcp_host *th = l->th;
    uint32_t cookie = sg->h.ack - 1, irs = sg->h.seq - 1;
    uint32_t now = (uint32_t)(th->h->node.sim->now / TCP_COOKIE_PERIOD), idx = 4;
    for (uint32_t back = 0; back < 2 && idx > 3; back++) {
        uint32_t period = now - back;
        if (back > now || (cookie >> 24) != (period & 0xffu))
            continue;
        idx =
            ((cookie & 0xffffffu) - (tcp_cookie_hash(th, sg, irs, period) & 0xffffffu)) & 0xffffffu;
    }
    if (idx > 3) {
        if (th->st.syncookies_sent)
            th->st.syncookies_failed++;
        return 0;
    }
    if (l->accq.n >= l->backlog) { /* the program is not accepting: the client will retry */
        tcp_drop(th, l, &th->st.listen_overflows, VIV_DROP_RX_QUEUE_FULL, NULL, 0);
        return 1;
    }
    viv_tcp_t *c = viv__tcp_child_new(l, sg->dst, sg->src, sg->h.src_port);
    if (!c)
        return 1;
    th->st.syncookies_recv++;
    c->irs = irs;
    c->rcv_nxt = sg->h.seq;
    c->iss = cookie;
    c->ts_off = c->iss;
    c->recover = c->iss;
    c->snd_una = c->snd_sml = c->iss;
    c->snd_nxt = c->snd_max = c->iss + 1; /* the SYN-ACK was sent, by the listener */
    c->want_ws = c->want_sack = c->want_ts = 0;
    c->ws_ok = c->sack_ok = c->ts_ok = 0;
    c->rcv_wscale = c->snd_wscale = 0;
    c->snd_wnd = c->max_snd_wnd = sg->h.window;
    c->snd_wl1 = irs;
    c->snd_wl2 = c->iss;
    viv__tcp_set_mss(c, tcp_cookie_mss[idx]);
    c->rcv_adv =
        c->rcv_nxt + (c->o.rcvbuf_bytes > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : c->o.rcvbuf_bytes);
    c->last_rx = th->h->node.sim->now;
    c->una_since = th->h->node.sim->now;
    tcp_process(c, sg); /* SYN-RECEIVED: the ACK establishes it; data and FIN go on */
    return 1;
}

/* ---- LISTEN (3.10.7.2) ----------------------------------------------------------------- */

static void tcp_listen_input(viv_tcp_t *l, const tcp_seg *sg, const uint32_t *iss)
{
    viv__tcp_host *th = l->th;
    const struct viv__tcp_repr *h = &sg->h;
    l->segs_in++;
    /* "first, check for a RST: An incoming RST segment could not be valid since it could
     * not have been sent in response to anything sent by this incarnation of the
     * connection. An incoming RST should be ignored." */
    if (h->flags & VIV__TCP_RST)
        return;
    /* "second, check for an ACK: ... form a reset: <SEQ=SEG.ACK><CTL=RST>" (unless it
     * brings back a SYN cookie we sent) */
    if (h->flags & VIV__TCP_ACK) {
        if (!(h->flags & VIV__TCP_SYN) && tcp_cookie_ack(l, sg))
            return;
        tcp_reply_reset(th, sg);
        return;
    }
    /* "third, check for a SYN" (anything else is dropped: fourth). */
    if (!(h->flags & VIV__TCP_SYN))
        return;
    if (l->synq.n + l->accq.n >= l->backlog) {
        /* A backlog full of connections the program has not accepted drops the SYN; one
         * that holds connections still in their handshake answers with a SYN cookie and keeps
         * nothing (RFC 4987 3.6, as Linux does): a SYN flood cannot lock legitimate clients
         * out, and costs no memory (docs/tcp.md). */
        if (!l->synq.n || !viv__tcp_tun(th)->syncookies) {
            tcp_drop(th, l, &th->st.listen_overflows, VIV_DROP_RX_QUEUE_FULL, NULL, 0);
            return;
        }
        tcp_cookie_synack(l, sg);
        return;
    }
    viv_tcp_t *c = viv__tcp_child_new(l, sg->dst, sg->src, h->src_port);
    if (!c)
        return;
    /* "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected and a SYN
     * segment sent of the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>". Data on the SYN is
     * not kept: it is not acknowledged, so the peer sends it again. */
    c->irs = h->seq;
    c->rcv_nxt = h->seq + 1;
    c->iss = iss ? *iss : viv__tcp_isn(c);
    c->ts_off = c->iss;
    c->recover = c->iss;
    c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss;
    tcp_negotiate(c, h);
    c->snd_wnd = c->max_snd_wnd = h->window;
    c->snd_wl1 = h->seq;
    c->snd_wl2 = c->iss;
    viv__tcp_set_mss(c, h->mss);
    c->rcv_adv =
        c->rcv_nxt + (c->o.rcvbuf_bytes > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : c->o.rcvbuf_bytes);
    c->segs_in = 1;
    c->last_rx = th->h->node.sim->now;
    viv__tcp_send_syn(c, 0);
    viv__tcp_rexmit_arm(c, 1);
}

/* ---- SYN-SENT (3.10.7.3) --------------------------------------------------------------- */

static void tcp_synsent_input(viv_tcp_t *s, const tcp_seg *sg)
{
    viv__tcp_host *th = s->th;
    const struct viv__tcp_repr *h = &sg->h;
    int ack_ok = 0;
    s->segs_in++;
    /* "first, check the ACK bit: If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
     * (unless the RST bit is set, if so drop the segment and return)". */
    if (h->flags & VIV__TCP_ACK) {
        if (viv__seq_le(h->ack, s->iss) || viv__seq_gt(h->ack, s->snd_max)) {
            tcp_reply_reset(th, sg);
            return;
        }
        ack_ok = 1;
    }
    /* "second, check the RST bit: If the ACK was acceptable, then signal to the user
     * 'error: connection reset', drop the segment, enter CLOSED state ... Otherwise (no
     * ACK), drop the segment and return." (RFC 5961 3.2 keeps this.) */
    if (h->flags & VIV__TCP_RST) {
        if (ack_ok) {
            th->st.attempt_fails++;
            viv__tcp_done(s, VIV_ECONNREFUSED);
        }
        return;
    }
    /* "fifth, if neither of the SYN or RST bits is set, then drop the segment". */
    if (!(h->flags & VIV__TCP_SYN))
        return;
    /* "fourth, check the SYN bit": RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ. */
    s->irs = h->seq;
    s->rcv_nxt = h->seq + 1;
    s->rcv_adv =
        s->rcv_nxt + (s->o.rcvbuf_bytes > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : s->o.rcvbuf_bytes);
    s->last_rx = th->h->node.sim->now;
    tcp_negotiate(s, h);
    viv__tcp_set_mss(s, h->mss);
    s->snd_wnd = s->max_snd_wnd = h->window; /* a SYN's window is never scaled */
    s->snd_wl1 = h->seq;
    if (!ack_ok) {
        /* Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK segment
         * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it". */
        s->snd_wl2 = s->iss;
        viv__tcp_set_state(s, VIV_TCP_SYN_RECEIVED);
        viv__tcp_send_syn(s, 0);
        viv__tcp_rexmit_arm(s, 1);
        return;
    }
    /* "SND.UNA should be advanced to equal SEG.ACK ... If SND.UNA > ISS (our SYN has been
     * ACKed), change the connection state to ESTABLISHED, form an ACK segment
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it." */
    s->snd_wl2 = h->ack;
    s->snd_una = h->ack;
    s->cl_round_end = h->ack;
    s->syn_acked = 1;
    if (s->rtt_on && viv__seq_gt(h->ack, s->rtt_seq)) {
        viv__tcp_rtt_sample(s, th->h->node.sim->now - s->rtt_start);
        s->rtt_on = 0;
    }
    if (s->syn_retried && !s->have_rtt && s->rto < VIV__TCP_SYN_RTO_AFTER_RETRY)
        s->rto = VIV__TCP_SYN_RTO_AFTER_RETRY; /* RFC 6298 5.7 */
    s->backoff = 0;
    s->soft_err = 0; /* our SYN got through: an earlier soft error is stale (tcp_ack_new) */
    viv__tcp_rexmit_arm(s, 1);
    s->ack_now = 1;
    tcp_established(s);
    /* Data or a FIN on the SYN-ACK: "Continue processing at the sixth step below". */
    tcp_text_fin(s, h->seq + 1, sg->data, (uint32_t)h->payload_len, (h->flags & VIV__TCP_FIN) != 0,
                 sg->f);
    if (!s->base.dead)
        viv__tcp_output(s);
}

/* ---- TIME-WAIT ------------------------------------------------------------------------- */

static void tcp_timewait_input(viv_tcp_t *s, const tcp_seg *sg)
{
    viv__tcp_host *th = s->th;
    const struct viv__tcp_repr *h = &sg->h;
    uint32_t plen = (uint32_t)h->payload_len;
    uint32_t rwnd = viv__seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
    s->segs_in++;
    if (h->flags & VIV__TCP_RST) {
        /* RFC 9293 with RFC 5961: a reset at exactly RCV.NXT ends TIME-WAIT (Linux's
         * default too; RFC 1337 would ignore it); in the window, a challenge ACK. */
        if (h->seq == s->rcv_nxt)
            viv__tcp_done(s, 0);
        else if (rwnd && viv__seq_gt(h->seq, s->rcv_nxt) && viv__seq_lt(h->seq, s->rcv_nxt + rwnd))
            tcp_challenge_ack(s);
        return;
    }
    if (h->flags & VIV__TCP_SYN) {
        /* Linux's rule (RFC 1122 4.2.2.13, RFC 6191 without timestamps): a SYN with a
         * sequence number beyond the old connection's, to a port that has a listener,
         * ends TIME-WAIT and opens a new connection whose ISS is far beyond the old one's.
         * Any other SYN gets an ACK (RFC 5961 4.2). */
        if (!(h->flags & VIV__TCP_ACK) && viv__seq_gt(h->seq, s->rcv_nxt)) {
            viv_tcp_t *l = tcp_listener_for(th, sg->dst, h->dst_port);
            if (l) {
                uint32_t iss = s->snd_max + 65535u + 2u;
                viv__tcp_done(s, 0);
                tcp_listen_input(l, sg, &iss);
                return;
            }
        }
        tcp_challenge_ack(s);
        return;
    }
    /* "The only thing that can arrive in this state is a retransmission of the remote FIN.
     * Acknowledge it, and restart the 2 MSL timeout." */
    if ((h->flags & VIV__TCP_FIN) && viv__seq_lt(h->seq + plen, s->rcv_nxt)) {
        viv__tcp_send_ack(s);
        viv__tcp_timer_start(s, VIV_TCP_TIMER_TIME_WAIT, 2 * viv__tcp_tun(th)->msl_ns);
        return;
    }
    /* Anything else: an unacceptable segment gets an ACK; an acceptable one is ignored. */
    uint32_t slen = tcp_seg_len(plen, h->flags);
    int ok = slen == 0 && h->seq == s->rcv_nxt;
    if (!ok) {
        th->st.rx_unacceptable++;
        viv__tcp_send_ack(s);
    }
}

/* ---- every other state (3.10.7.4) ------------------------------------------------------ */

static void tcp_process(viv_tcp_t *s, const tcp_seg *sg)
{
    viv__tcp_host *th = s->th;
    const struct viv__tcp_repr *h = &sg->h;
    uint8_t flags = h->flags;
    uint32_t seq = h->seq;
    const uint8_t *data = sg->data;
    uint32_t plen = (uint32_t)h->payload_len;
    viv_tcp_state st = viv__tcp_st(s);
    tcp_seg_arrived(s, th->h->node.sim->now);

    if (st == VIV_TCP_SYN_RECEIVED && (flags & VIV__TCP_SYN) && seq == s->irs) {
        if (!(flags & VIV__TCP_ACK)) {
            /* The peer's SYN again: our SYN-ACK was lost or is late. Send it again (as
             * Linux does), without waiting for our timer. */
            viv__tcp_send_syn(s, 1);
            return;
        }
        if (h->ack == s->iss + 1) {
            /* Simultaneous open: the peer's SYN-ACK acknowledges our SYN and repeats its own
             * SYN, which we have: take it as the ACK that completes the opening (Linux). */
            flags &= (uint8_t)~VIV__TCP_SYN;
            seq++;
        }
    }

    /* RFC 7323 5.3 R1 (PAWS): a segment whose timestamp is older than TS.Recent is an old
     * duplicate: acknowledged and dropped (unless a reset, or TS.Recent is over 24 days
     * old). */
    viv_time_t now = th->h->node.sim->now;
    if (s->ts_ok && h->ts_present && !(flags & VIV__TCP_RST) &&
        viv__seq_lt(h->tsval, s->ts_recent) && now - s->ts_recent_at <= VIV__TCP_PAWS_IDLE) {
        th->st.rx_unacceptable++;
        viv__tcp_send_ack(s);
        return;
    }

    /* first: check the sequence number. */
    uint32_t slen = tcp_seg_len(plen, flags);
    uint32_t rwnd = viv__seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
    uint32_t rn = s->rcv_nxt;
    int ok;
    if (slen == 0) {
        ok = rwnd == 0 ? seq == rn : viv__seq_le(rn, seq) && viv__seq_lt(seq, rn + rwnd);
    } else if (rwnd == 0) {
        /* "If the RCV.WND is zero, no segments will be acceptable, but special allowance
         * should be made to accept valid ACKs, URGs, and RSTs": a segment reaching RCV.NXT
         * goes on, trimmed below to nothing but a FIN at RCV.NXT (taken, as Linux does), so
         * that a zero-window probe's or a retransmission's acknowledgement and window are
         * taken. */
        ok = viv__seq_le(seq, rn) && viv__seq_le(rn, seq + slen - 1) && !(flags & VIV__TCP_SYN);
    } else {
        ok = (viv__seq_le(rn, seq) && viv__seq_lt(seq, rn + rwnd)) ||
             (viv__seq_le(rn, seq + slen - 1) && viv__seq_lt(seq + slen - 1, rn + rwnd));
    }
    if (!ok) {
        /* "If an incoming segment is not acceptable, an acknowledgment should be sent in
         * reply (unless the RST bit is set, if so drop the segment and return)". */
        if (!(flags & VIV__TCP_RST)) {
            th->st.rx_unacceptable++;
            viv__tcp_send_ack(s);
        }
        return;
    }
    tcp_ts_recent_note(s, h, seq, now);
    /* Trim what is before RCV.NXT and beyond the window: "only the new parts are processed"
     * and "segments with higher beginning sequence numbers ... held for later". */
    if (viv__seq_lt(seq, rn)) {
        uint32_t d = rn - seq;
        if (flags & VIV__TCP_SYN) {
            /* The SYN's number is passed over, but the flag stays: the fourth check answers
             * a SYN "irrespective of the sequence number" (RFC 5961 4.2). */
            d--;
            seq++;
        }
        uint32_t dd = d < plen ? d : plen;
        data += dd;
        plen -= dd;
        seq += dd;
        if (d > dd)
            flags &= (uint8_t)~VIV__TCP_FIN; /* that FIN is counted already */
    }
    if (viv__seq_gt(seq + plen, rn + rwnd)) {
        plen = rn + rwnd - seq;
        flags &= (uint8_t)~VIV__TCP_FIN; /* beyond the window: not accepted now */
        if (rwnd == 0) {
            /* All refused: RFC 9293 3.8.6.1, a receiver with a zero window "must still send an
             * acknowledgment showing its next expected sequence number and current window". */
            th->st.rx_unacceptable++;
            s->ack_now = 1;
        }
    }

    /* second: check the RST bit (RFC 5961 3.2: only exactly RCV.NXT resets). */
    if (flags & VIV__TCP_RST) {
        if (h->seq != rn) {
            tcp_challenge_ack(s);
            return;
        }
        switch (st) {
        case VIV_TCP_SYN_RECEIVED:
            if (s->in_q == VIV__TCP_Q_SYN) { /* passive open: "return to LISTEN" */
                viv__tcp_drop_child(s);
                return;
            }
            th->st.attempt_fails++; /* active open: "connection refused" */
            viv__tcp_done(s, VIV_ECONNREFUSED);
            return;
        case VIV_TCP_ESTABLISHED:
        case VIV_TCP_CLOSE_WAIT:
            th->st.estab_resets++;
            viv__tcp_done(s, VIV_ECONNRESET);
            return;
        default: /* FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK */
            viv__tcp_done(s, VIV_ECONNRESET);
            return;
        }
    }

    /* third: security and precedence: not used. */

    /* fourth: check the SYN bit. */
    if (flags & VIV__TCP_SYN) {
        if (st == VIV_TCP_SYN_RECEIVED && s->in_q == VIV__TCP_Q_SYN) {
            viv__tcp_drop_child(s); /* "return this connection to the LISTEN state" */
            return;
        }
        tcp_challenge_ack(s); /* RFC 5961 4.2 */
        return;
    }

    /* fifth: check the ACK field. */
    if (!(flags & VIV__TCP_ACK))
        return;
    uint32_t ack = h->ack;
    int establishing = 0;
    if (st == VIV_TCP_SYN_RECEIVED) {
        /* "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ... If the segment
         * acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>". */
        if (!(viv__seq_lt(s->snd_una, ack) && viv__seq_le(ack, s->snd_max))) {
            tcp_reply_reset(th, sg);
            return;
        }
        establishing = 1;
        s->snd_wnd = s->max_snd_wnd = tcp_peer_window(s, h);
        s->snd_wl1 = seq;
        s->snd_wl2 = ack;
        if (s->syn_retried && !s->have_rtt && s->rto < VIV__TCP_SYN_RTO_AFTER_RETRY)
            s->rto = VIV__TCP_SYN_RTO_AFTER_RETRY;
    }
    if (viv__seq_gt(ack, s->snd_max)) { /* acknowledges something not yet sent */
        viv__tcp_send_ack(s);
        return;
    }
    if (viv__seq_lt(ack, s->snd_una - s->max_snd_wnd)) { /* RFC 5961 5.2: too old */
        tcp_challenge_ack(s);
        return;
    }
    uint32_t wnd = tcp_peer_window(s, h);
    /* The flight before this ACK, for a new acknowledgement's view. */
    uint32_t flight = viv__seq_gt(ack, s->snd_una) ? tcp_flight_for_view(s) : 0;
    if (s->sack_ok) {
        /* RFC 6675 4 Update(): the scoreboard takes the blocks (and forgets what the
         * cumulative ACK covers) before the ACK is acted on. */
        viv__sack_blk blk[VIV__TCP_MAX_SACK];
        for (unsigned i = 0; i < h->sack_count; i++) {
            blk[i].start = h->sack[i].left;
            blk[i].end = h->sack[i].right;
        }
        if (!s->sb && h->sack_count) { /* the first blocks: the board is made now */
            s->sb = viv__alloc(s->base.sim, sizeof(*s->sb));
            if (s->sb)
                viv__tcp_sb_init(s->sb);
            else
                s->th->h->st.drop_nomem++; /* the blocks are lost: recovery as without */
        }
        if (s->sb)
            viv__sb_update(s->sb, viv__seq_gt(ack, s->snd_una) ? ack : s->snd_una, s->snd_max,
                           blk, h->sack_count);
    }
    if (viv__seq_gt(ack, s->snd_una))
        tcp_ack_new(s, ack, h, flight);
    else if (ack == s->snd_una && h->payload_len == 0 &&
             !(h->flags & (VIV__TCP_SYN | VIV__TCP_FIN)) && s->snd_max != s->snd_una &&
             wnd == s->snd_wnd && !establishing)
        tcp_dupack(s);
    if (s->base.dead)
        return;
    /* The send window: "If SND.UNA =< SEG.ACK =< SND.NXT ...". */
    if (viv__seq_le(s->snd_una, ack))
        tcp_snd_wnd_note(s, seq, ack, wnd);
    if (establishing)
        tcp_established(s);
    switch (viv__tcp_st(s)) {
    case VIV_TCP_FIN_WAIT_1:
        /* "if the FIN segment is now acknowledged, then enter FIN-WAIT-2". */
        if (viv__tcp_fin_acked(s)) {
            viv__tcp_set_state(s, VIV_TCP_FIN_WAIT_2);
            if (s->closed) /* an orphan waits for the peer's FIN only so long */
                viv__tcp_timer_start(s, VIV_TCP_TIMER_FIN_WAIT_2, viv__tcp_tun(th)->fin_timeout_ns);
        }
        break;
    case VIV_TCP_CLOSING:
        /* "if the ACK acknowledges our FIN, then enter the TIME-WAIT state". */
        if (viv__tcp_fin_acked(s)) {
            tcp_enter_timewait(s);
            viv__tcp_output(s);
            return;
        }
        break;
    case VIV_TCP_LAST_ACK:
        /* "If our FIN is now acknowledged, delete the TCB, enter the CLOSED state". */
        if (viv__tcp_fin_acked(s)) {
            viv__tcp_done(s, 0);
            return;
        }
        break;
    default:
        break;
    }

    /* sixth: the URG bit: not used. seventh and eighth: text and FIN. */
    tcp_text_fin(s, seq, data, plen, (flags & VIV__TCP_FIN) != 0, sg->f);
    if (!s->base.dead)
        viv__tcp_output(s);
}

/* ---- entry ----------------------------------------------------------------------------- */

/* An address no connection can have at its other end: the wildcard, a broadcast (limited, or
 * directed to one of this host's subnets) or a multicast group. */
static int tcp_addr_is_group(const struct viv_host *h, viv_ip4_t a)
{
    if (a == VIV_IP4_ANY || a == VIV_IP4_BROADCAST || (a >> 28) == 0xe)
        return 1;
    return viv__host_bcast_iface(h, a) >= 0;
}

void viv__tcp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                    int l2_bcast, viv__frame *f)
{
    viv__tcp_host *th = ctx ? ctx : viv__tcp_host_get(h, 1);
    viv_sim_t *sim = h->node.sim;
    if (!th) { /* a host's first segment, and no memory for its TCP counters */
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, iface, f);
        viv__frame_unref(sim, f);
        return;
    }
    th->st.rx_segments++;
    const uint8_t *pkt = viv__frame_bytes(f) - ip->hdr_len;
    size_t pkt_len = (size_t)ip->hdr_len + f->len;
    tcp_seg sg;
    /* A frame marked csum_ok holds exactly the bytes a stack checksummed (corruption clears
     * the mark): its checksum is not summed again, as UDP and IPv4 do. */
    int rc = f->csum_ok ? viv__tcp_parse_trusted(viv__frame_bytes(f), f->len, &sg.h)
                        : viv__tcp_parse(viv__frame_bytes(f), f->len, ip->src, ip->dst, &sg.h);
    if (rc < 0) {
        if (rc == VIV__W_CHECKSUM)
            tcp_drop(th, NULL, &th->st.rx_checksum, VIV_DROP_CHECKSUM, pkt, pkt_len);
        else
            tcp_drop(th, NULL, &th->st.rx_bad, VIV_DROP_MALFORMED, pkt, pkt_len);
        viv__frame_unref(sim, f);
        return;
    }
    sg.data = viv__frame_bytes(f) + sg.h.payload_off;
    sg.f = f;
    sg.src = ip->src;
    sg.dst = ip->dst;
    viv_tcp_t *s = l2_bcast ? NULL : tcp_lookup(th, &sg);
    /* The addresses' check is remembered by the socket they reach, for as long as the host's
     * addresses stay as they were (route_gen): a connection's segments pay for it once. */
    int grp_known =
        s && s->grp_gen == h->route_gen + 1 && s->grp_dst == ip->dst && s->grp_src == ip->src;
    if (!grp_known) {
        if (l2_bcast || tcp_addr_is_group(h, ip->dst) || tcp_addr_is_group(h, ip->src)) {
            /* No connection's, and never answered (RFC 1122 4.2.3.10). */
            tcp_drop(th, NULL, &th->st.rx_broadcast, VIV_DROP_NOT_MINE, pkt, pkt_len);
            viv__frame_unref(sim, f);
            return;
        }
        if (s) {
            s->grp_gen = h->route_gen + 1;
            s->grp_dst = ip->dst;
            s->grp_src = ip->src;
        }
    }
    if (VIV__UNLIKELY(viv__tracing(sim)))
        viv__tcp_trace_seg(th, s, VIV_TRACE_TCP_SEG_RX, &sg.h, ip->src, ip->dst);
    switch (s ? viv__tcp_st(s) : VIV_TCP_CLOSED) {
    case VIV_TCP_CLOSED:
        /* No connection: RFC 9293 3.10.7.1. */
        tcp_drop(th, NULL, &th->st.rx_no_socket, VIV_DROP_NO_PORT, pkt, pkt_len);
        if (sg.h.flags & VIV__TCP_RST)
            th->st.rx_rst_closed++; /* "An incoming segment containing a RST is discarded." */
        else
            tcp_reply_reset(th, &sg);
        break;
    case VIV_TCP_LISTEN:
        tcp_listen_input(s, &sg, NULL);
        break;
    case VIV_TCP_SYN_SENT:
        tcp_synsent_input(s, &sg);
        break;
    case VIV_TCP_TIME_WAIT:
        tcp_timewait_input(s, &sg);
        break;
    case VIV_TCP_ESTABLISHED:
        if (!tcp_fast(s, &sg))
            tcp_process(s, &sg);
        break;
    default:
        tcp_process(s, &sg);
        break;
    }
    viv__frame_unref(sim, f);
}

/* ---- ICMP errors (RFC 1122 4.2.3.9, RFC 5461, RFC 5927) -------------------------------- */

/* Fragmentation needed for a segment we sent with DF: the path MTU shrinks (RFC 1191), the
 * MSS with it, and what is in flight goes again in smaller segments. */
static void tcp_pmtu(viv_tcp_t *s, uint16_t mtu)
{
    if (!viv__tcp_mtu_lower(s, mtu))
        return;
    if (viv__tcp_synchronized(viv__tcp_st(s)) && s->snd_nxt != s->snd_una) {
        s->rtt_on = 0;
        s->snd_nxt = s->snd_una;
        viv__tcp_output(s);
    }
}

void viv__tcp_icmp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                         viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                         size_t l4_len)
{
    viv__tcp_host *th = ctx;
    (void)h;
    (void)from;
    if (!th || l4_len < 8)
        return;
    uint16_t sport = viv_rd16be(l4), dport = viv_rd16be(l4 + 2);
    uint32_t seq = viv_rd32be(l4 + 4);
    viv__demux_ep *e = viv__demux_lookup(&th->dm, q->src, sport, q->dst, dport);
    if (!e || e->where != VIV__DEMUX_CONN || e->rip != q->dst || e->rport != dport)
        return;
    viv_tcp_t *s = viv__tcp_of_ep(e);
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_LISTEN || st == VIV_TCP_TIME_WAIT || st == VIV_TCP_CLOSED)
        return;
    /* RFC 5927 4.1: only an error about a segment in flight is believed. */
    if (!(viv__seq_le(s->snd_una, seq) && viv__seq_lt(seq, s->snd_max)))
        return;
    int err, hard = 0;
    if (type == VIV__ICMP_DEST_UNREACH) {
        switch (code) {
        case VIV__ICMP_UNREACH_FRAG_NEEDED:
            tcp_pmtu(s, mtu);
            return;
        case VIV__ICMP_UNREACH_PROTO:
        case VIV__ICMP_UNREACH_PORT:
            err = VIV_ECONNREFUSED;
            hard = 1;
            break;
        case VIV__ICMP_UNREACH_NET:
            err = VIV_ENETUNREACH;
            break;
        default:
            err = VIV_EHOSTUNREACH;
            break;
        }
    } else {
        err = VIV_EHOSTUNREACH; /* time exceeded, parameter problem: soft */
    }
    /* Hard errors end an opening (RFC 1122 4.2.3.9: port unreachable during SYN-SENT is
     * ECONNREFUSED); a synchronized connection only notes them, as soft errors (RFC 5461),
     * and reports the last one if it times out. */
    if (hard &&
        (st == VIV_TCP_SYN_SENT || (st == VIV_TCP_SYN_RECEIVED && s->in_q == VIV__TCP_Q_NONE))) {
        th->st.attempt_fails++;
        viv__tcp_done(s, err);
        return;
    }
    s->soft_err = err;
}
