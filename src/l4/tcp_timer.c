/* TCP timers. Each connection keeps one deadline per timer (retransmission, delayed ACK,
 * persist, keepalive, an orphan's FIN-WAIT-2, TIME-WAIT) in its TCB and one viv__timer set to
 * the earliest of them: moving a deadline later or stopping it costs nothing, so re-arming
 * the retransmission timer on every ACK, or the delayed ACK started and stopped by each pair
 * of segments, takes no queue operation: the event, when it comes due, re-arms itself at the
 * earliest deadline then armed, and with none armed it waits idle (viv__timer_idle), unseen
 * by the run.
 *
 * The retransmission timeout is RFC 6298's: SRTT and RTTVAR from one timed segment at a time
 * (never a retransmitted one: Karn's rule), RTO = SRTT + 4 RTTVAR (the clock granularity G is
 * the simulation's nanosecond) within [rto_min, rto_max], doubled at each expiry.
 *
 * A user timeout (viv_tcp_opts::user_timeout_ns) cuts the retransmission and persist timers
 * short: each is armed at the earlier of its own deadline and the instant the user timeout
 * runs out, so that the connection ends at that very instant, as Linux's do
 * (tcp_clamp_rto_to_user_timeout since 4.19, tcp_clamp_probe0_to_user_timeout since 5.11).
 * Where the user timeout is not the earlier deadline, nothing changes. */
#include <stddef.h>

#include "tcp_int.h"

static void tcp_timer_fire(viv__timer *t);

int viv__tcp_timer_init(viv_tcp_t *s)
{
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        s->at[k] = VIV_TIME_NEVER;
    s->rto_due = s->persist_due = s->zw_since = VIV_TIME_NEVER;
    return viv__timer_init(&s->tmr, s->base.sim, s->th->h->node.owner, tcp_timer_fire);
}

void viv__tcp_timer_fini(viv_tcp_t *s)
{
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        s->at[k] = VIV_TIME_NEVER;
    viv__timer_fini(&s->tmr);
}

static void tcp_timer_rearm(viv_tcp_t *s)
{
    if (s->tmr.slot == VIV__QNIL)
        return;
    viv_time_t min = VIV_TIME_NEVER;
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        if (s->at[k] < min)
            min = s->at[k];
    viv__timer_set(&s->tmr, min);
}

/* A deadline started at `at` (a stop is viv__tcp_timer_stop's, with the same rules). The
 * event is only touched when it must move earlier than it is: a deadline that moves later,
 * or stops, leaves the event where it is and the timer's deadline behind the earliest one
 * (the timer's deadline is never after any deadline armed, and the event never after the
 * timer's deadline). The event then runs
 * tcp_timer_fire, which finds nothing expired and sets the timer at the earliest deadline,
 * which is the very push viv__timer's own lazy re-arm makes. When the last deadline stops,
 * the event stays queued too, but idle (viv__timer_idle): it leaves no trace in the run
 * (no clock, no event count, no fingerprint, and viv_sim_run does not wait for it), and a
 * deadline started again at or after its time (the delayed ACK, stopped by every second
 * segment and started by the next) is a store, and the event, a timer's again, runs then
 * and moves on to the earliest deadline: no queue operation for the pair. The run's frames
 * are those of a timer re-armed in full at every change (docs/performance.md, wip/dack:
 * viv_bench tcp's --pcap and --trace files are byte-identical); its events are not quite:
 * a deadline started before the idle event's time makes it run there and move on, where the
 * eager timer pushed it at the deadline, so the event count and the fingerprint (which
 * folds each event's time and its owner's push count) differ. A connection torn down takes
 * its event out at once (viv__tcp_timer_stop_all, viv__tcp_timer_fini). While the timer is
 * not queued (inside tcp_timer_fire, or stopped), every change re-arms it in full. */
static inline void tcp_timer_moved(viv_tcp_t *s, viv_time_t at)
{
    viv__timer *t = &s->tmr;
    if (!t->queued)
        tcp_timer_rearm(s);
    else if (at < t->deadline)
        viv__timer_set(t, at);
}

/* The trace record of a start, out of line: the record's room on the stack would otherwise
 * be a frame set up on every start (the delayed ACK's, the RTO's at every ACK), traced or
 * not. */
static VIV__NOINLINE void tcp_timer_start_trace(viv_tcp_t *s, viv_tcp_timer k, viv_time_t delay)
{
    viv_trace_record r;
    viv__tcp_trace_init(&r, VIV_TRACE_TCP_TIMER_START, s);
    r.timer = (int)k;
    r.timer_ns = delay;
    viv__trace_emit(s->base.sim, &r);
}

void viv__tcp_timer_start(viv_tcp_t *s, viv_tcp_timer k, viv_time_t delay)
{
    viv_sim_t *sim = s->base.sim;
    /* A deadline after the last instant never comes. Saturated at VIV_TIME_MAX it would, and
     * a timer that starts itself again there (keepalive for what remains of the idle time,
     * persist for a window that stays shut) would expire at that instant for ever. */
    if (delay == VIV_TIME_NEVER || delay > VIV_TIME_MAX - sim->now) {
        viv__tcp_timer_stop(s, k);
        return;
    }
    s->at[k] = sim->now + delay;
    if (VIV__UNLIKELY(viv__tracing(sim)))
        tcp_timer_start_trace(s, k, delay);
    tcp_timer_moved(s, s->at[k]);
}

void viv__tcp_timer_stop(viv_tcp_t *s, viv_tcp_timer k)
{
    if (s->at[k] == VIV_TIME_NEVER)
        return;
    s->at[k] = VIV_TIME_NEVER;
    viv__timer *t = &s->tmr;
    if (!t->queued) {
        tcp_timer_rearm(s);
        return;
    }
    if (t->queued != VIV__TIMER_QUEUED)
        return; /* idle already */
    /* The last deadline stopped? VIV_TIME_NEVER is all ones, so the deadlines' AND is
     * VIV_TIME_NEVER exactly when none is armed: no branch per deadline. */
    viv_time_t all = s->at[0];
    for (int i = 1; i < VIV_TCP_TIMER_COUNT; i++)
        all &= s->at[i];
    if (all == VIV_TIME_NEVER)
        viv__timer_idle(t);
}

void viv__tcp_timer_stop_all(viv_tcp_t *s)
{
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        s->at[k] = VIV_TIME_NEVER;
    tcp_timer_rearm(s);
}

/* ---- round-trip time ------------------------------------------------------------------- */

viv_time_t viv__tcp_rto(const viv_tcp_t *s)
{
    const viv_tcp_tunables *t = viv__tcp_tun(s->th);
    viv_time_t rto = s->rto;
    for (uint32_t i = 0; i < s->rto_shift && rto < t->rto_max_ns; i++)
        rto *= 2;
    return rto > t->rto_max_ns ? t->rto_max_ns : rto;
}

void viv__tcp_rtt_sample(viv_tcp_t *s, viv_time_t r)
{
    const viv_tcp_tunables *t = viv__tcp_tun(s->th);
    if (!s->have_rtt) { /* RFC 6298 2.2 */
        s->srtt = r;
        s->rttvar = r / 2;
        s->have_rtt = 1;
    } else { /* 2.3, with beta 1/4 and alpha 1/8 */
        viv_time_t d = s->srtt > r ? s->srtt - r : r - s->srtt;
        s->rttvar = (3 * s->rttvar + d) / 4;
        s->srtt = (7 * s->srtt + r) / 8;
    }
    if (!s->min_rtt || r < s->min_rtt)
        s->min_rtt = r;
    s->rto_shift = 0; /* Karn: a clean sample ends the backoff */
    viv_time_t rto = s->srtt + 4 * s->rttvar;
    if (rto < t->rto_min_ns) /* 2.4 */
        rto = t->rto_min_ns;
    if (rto > t->rto_max_ns) /* 2.5 */
        rto = t->rto_max_ns;
    s->rto = rto;
}

/* ---- the user timeout ------------------------------------------------------------------ */

/* When the user timeout counted from `since` runs out (RFC 5482, RFC 9293 3.8.3):
 * VIV_TIME_NEVER without a user timeout, without a start (since VIV_TIME_NEVER), beyond the
 * last instant, or for a listener's half-open connection, which keeps the SYN-ACK budget
 * alone, as Linux's request sockets do. */
static viv_time_t tcp_uto_end(const viv_tcp_t *s, viv_time_t since)
{
    viv_time_t u = s->o.user_timeout_ns;
    if (VIV__LIKELY(!u) || since == VIV_TIME_NEVER || s->in_q == VIV__TCP_Q_SYN ||
        u > VIV_TIME_MAX - since)
        return VIV_TIME_NEVER;
    return since + u;
}

/* The user timeout counted from since has run out. What it counts from: for the
 * retransmission timer una_since, when the oldest unacknowledged byte (or the first SYN)
 * left; for the persist timer tcp_persist_since. */
static int tcp_uto_passed(const viv_tcp_t *s, viv_time_t since)
{
    return s->base.sim->now >= tcp_uto_end(s, since);
}

/* What the persist timer's user timeout counts from: data sent and then shut out by a
 * window that shrank to zero, from its sending, as on the retransmission timer that handed
 * over (Linux counts from retrans_stamp there); data never sent for a shut window, from the
 * first zero-window probe, answered or not, until a window opens (Linux's tcp_probe_timer
 * and icsk_probes_tstamp, since 5.11; VIV_TIME_NEVER before that probe). */
static viv_time_t tcp_persist_since(const viv_tcp_t *s)
{
    return s->snd_max != s->snd_una ? s->una_since : s->zw_since;
}

/* Start timer k (the retransmission or the persist timer) `delay` from now, or at the
 * instant the user timeout counted from since runs out if that is earlier (at least one
 * tick ahead, as Linux's one jiffy: the timer is never armed in the past). *due keeps the
 * deadline cut short (VIV_TIME_NEVER: not cut), for an expiry that finds the user timeout
 * started again meanwhile (tcp_cut_short). Without a user timeout, viv__tcp_timer_start. */
static inline void tcp_timer_start_uto(viv_tcp_t *s, viv_tcp_timer k, viv_time_t delay,
                                       viv_time_t since, viv_time_t *due)
{
    if (VIV__UNLIKELY(s->o.user_timeout_ns)) {
        viv_time_t now = s->base.sim->now;
        viv_time_t end = tcp_uto_end(s, since);
        viv_time_t left = end == VIV_TIME_NEVER ? VIV_TIME_NEVER : end > now ? end - now : 1;
        *due = VIV_TIME_NEVER;
        if (left < delay) {
            if (delay <= VIV_TIME_MAX - now)
                *due = now + delay;
            delay = left;
        }
    }
    viv__tcp_timer_start(s, k, delay);
}

/* An expiry of timer k cut short by the user timeout, which finds that it has not run out
 * after all (an acknowledgement of new data started it again meanwhile: a partial ACK in
 * NewReno recovery that does not restart the timer): no expiry of the timer's own, which goes
 * on to its deadline (or to the user timeout's new end). So a user timeout never adds a
 * retransmission or a probe; it only ends the connection. Returns 1 if so. */
static int tcp_cut_short(viv_tcp_t *s, viv_tcp_timer k, viv_time_t since, viv_time_t *due)
{
    viv_time_t now = s->base.sim->now;
    if (VIV__LIKELY(*due == VIV_TIME_NEVER) || now >= *due)
        return 0;
    tcp_timer_start_uto(s, k, *due - now, since, due);
    return 1;
}

void viv__tcp_uto_changed(viv_tcp_t *s)
{
    viv_time_t now = s->base.sim->now;
    static const viv_tcp_timer ks[2] = {VIV_TCP_TIMER_RTO, VIV_TCP_TIMER_PERSIST};
    viv_time_t *dues[2] = {&s->rto_due, &s->persist_due};
    viv_time_t since[2] = {s->una_since, tcp_persist_since(s)};
    for (int i = 0; i < 2; i++) {
        viv_time_t at = *dues[i] != VIV_TIME_NEVER ? *dues[i] : s->at[ks[i]];
        *dues[i] = VIV_TIME_NEVER;
        if (viv__tcp_timer_on(s, ks[i]))
            tcp_timer_start_uto(s, ks[i], at > now ? at - now : 0, since[i], dues[i]);
    }
}

/* ---- the retransmission timer's arming ------------------------------------------------- */

void viv__tcp_rexmit_arm(viv_tcp_t *s, int restart)
{
    if (s->snd_max == s->snd_una) { /* 5.2: everything acknowledged */
        viv__tcp_timer_stop(s, VIV_TCP_TIMER_RTO);
        return;
    }
    if (restart || !viv__tcp_timer_on(s, VIV_TCP_TIMER_RTO)) /* 5.1, 5.3 */
        tcp_timer_start_uto(s, VIV_TCP_TIMER_RTO, viv__tcp_rto(s), s->una_since, &s->rto_due);
}

/* ---- keepalive and persist ------------------------------------------------------------- */

void viv__tcp_keepalive_reset(viv_tcp_t *s)
{
    viv_tcp_state st = viv__tcp_st(s);
    int on = s->o.keepalive && !s->base.dead &&
             (st == VIV_TCP_ESTABLISHED || st == VIV_TCP_CLOSE_WAIT ||
              (st == VIV_TCP_FIN_WAIT_2 && !s->closed));
    if (!on) {
        viv__tcp_timer_stop(s, VIV_TCP_TIMER_KEEPALIVE);
        s->kprobes = 0;
        return;
    }
    /* Idle time is measured from the last segment received (last_rx): a timer already
     * running is left alone and re-armed for what remains when it expires. */
    if (!viv__tcp_timer_on(s, VIV_TCP_TIMER_KEEPALIVE) || s->kprobes) {
        s->kprobes = 0;
        viv__tcp_timer_start(s, VIV_TCP_TIMER_KEEPALIVE, s->o.keepalive_idle_ns);
    }
}

void viv__tcp_persist_check(viv_tcp_t *s)
{
    viv_tcp_state st = viv__tcp_st(s);
    uint32_t dseq = viv__tcp_dseq(s);
    uint32_t off = s->snd_nxt - dseq;
    int waiting = (st == VIV_TCP_ESTABLISHED || st == VIV_TCP_CLOSE_WAIT ||
                   st == VIV_TCP_FIN_WAIT_1 || st == VIV_TCP_LAST_ACK || st == VIV_TCP_CLOSING) &&
                  off < s->snd.len && s->snd_nxt == s->snd_una;
    if (!waiting) {
        if (viv__tcp_timer_on(s, VIV_TCP_TIMER_PERSIST)) {
            viv__tcp_timer_stop(s, VIV_TCP_TIMER_PERSIST);
            s->probes = s->probe_shift = 0;
            s->zw_since = VIV_TIME_NEVER; /* nothing held back by the window any more */
        }
        return;
    }
    if (!viv__tcp_timer_on(s, VIV_TCP_TIMER_PERSIST))
        tcp_timer_start_uto(s, VIV_TCP_TIMER_PERSIST, viv__tcp_rto(s), tcp_persist_since(s),
                            &s->persist_due);
}

/* A probe that makes the peer answer with an ACK: one number below what it expects, no
 * data (a keepalive, RFC 1122 4.2.3.6; Linux's zero-window probe too). */
static void tcp_send_probe(viv_tcp_t *s)
{
    struct viv__tcp_repr r = {0};
    r.src_port = s->base.local.port;
    r.dst_port = s->base.remote.port;
    r.seq = s->snd_una - 1;
    r.ack = s->rcv_nxt;
    r.flags = VIV__TCP_ACK;
    r.window = viv__tcp_rcv_window(s);
    s->last_ack_sent = s->rcv_nxt;
    if (s->ts_ok) { /* RFC 7323 3.2: on every segment but a reset */
        r.ts_present = true;
        r.tsval = viv__tcp_ts_now(s);
        r.tsecr = s->ts_recent;
    }
    viv__tcp_xmit(s->th, s, &r, s->base.local.ip, s->base.remote.ip, NULL, 0, 0);
}

/* ---- expiries -------------------------------------------------------------------------- */

/* Give up: the soft error an ICMP message left, if any, else a timeout (as Linux). */
static void tcp_give_up(viv_tcp_t *s)
{
    int err = s->soft_err ? s->soft_err : VIV_ETIMEDOUT;
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_SYN_SENT || st == VIV_TCP_SYN_RECEIVED)
        s->th->st.attempt_fails++;
    else
        s->th->st.timeouts++;
    viv__tcp_done(s, err);
}

static void tcp_rto_expired(viv_tcp_t *s)
{
    const viv_tcp_tunables *t = viv__tcp_tun(s->th);
    viv_tcp_state st = viv__tcp_st(s);
    if (st == VIV_TCP_SYN_SENT || st == VIV_TCP_SYN_RECEIVED) {
        /* A listener's half-open connection has the SYN-ACK budget; our own opening
         * (simultaneous open included) the SYN budget. */
        uint32_t budget = s->in_q == VIV__TCP_Q_SYN ? t->synack_retries : t->syn_retries;
        /* RFC 9293 3.10.8: the user timeout holds in any state, an opening included,
         * counted from the first SYN (tcp(7) calls Linux's TCP_USER_TIMEOUT effective in the
         * synchronized states only). A listener's half-open connection keeps the SYN-ACK
         * budget alone (tcp_uto_end). */
        int uto = tcp_uto_passed(s, s->una_since);
        if (!uto && tcp_cut_short(s, VIV_TCP_TIMER_RTO, s->una_since, &s->rto_due))
            return;
        if (s->backoff >= budget || uto) {
            if (s->in_q == VIV__TCP_Q_SYN) { /* a half-open connection, forgotten */
                s->th->st.attempt_fails++;
                viv__tcp_drop_child(s);
            } else {
                tcp_give_up(s);
            }
            return;
        }
        s->backoff++;
        s->rto_shift++;
        viv__tcp_send_syn(s, 1);
        tcp_timer_start_uto(s, VIV_TCP_TIMER_RTO, viv__tcp_rto(s), s->una_since, &s->rto_due);
        return;
    }
    if (s->snd_max == s->snd_una)
        return;
    int uto = tcp_uto_passed(s, s->una_since);
    if (!uto && tcp_cut_short(s, VIV_TCP_TIMER_RTO, s->una_since, &s->rto_due))
        return;
    if (s->backoff >= t->retries || uto) {
        tcp_give_up(s);
        return;
    }
    /* RFC 5681 3.1 (4): ssthresh from the algorithm on the first timeout of a segment only
     * (held while the same data times out again); cwnd falls to the loss window. RFC 6582
     * 3.2 step 4: recover is the highest sequence number sent, and fast recovery ends. */
    if (s->backoff == 0)
        viv__tcp_cc_loss(s, s->snd_max - s->snd_una);
    s->backoff++;
    s->rto_shift++;
    s->timeouts++;
    s->cwnd = s->smss;
    s->ca_acked = 0;
    s->in_recovery = 2;
    s->recover = s->snd_max;
    s->dupacks = 0;
    s->lt_bytes = 0;
    s->high_rxt = s->snd_una;
    /* The go-back-N that follows skips what the peer SACKed (RFC 6675 5.1); a second timeout
     * in a row forgets the scoreboard, in case the peer reneged (RFC 2018 8). */
    if (s->backoff > 1 && s->sb)
        viv__sb_reset(s->sb);
    s->cl_max = s->cl_prev = 0;
    s->cl_round_end = s->snd_max;
    if (s->cc->on_event) {
        viv_tcp_cc_conn c;
        viv__tcp_cc_view(s, &c, viv__tcp_in_flight(s));
        s->cc->on_event(&c, VIV_TCP_CC_EV_TIMEOUT);
        viv__tcp_cc_unview(s, &c);
    }
    viv__tcp_cc_trace(s, VIV_TRACE_CC_TIMEOUT);
    s->rtt_on = 0;           /* Karn: nothing in flight is timed any more */
    s->snd_nxt = s->snd_una; /* go back: send again from the oldest unacknowledged byte */
    viv__tcp_output(s);
    if (s->base.dead)
        return;
    if (s->snd_wnd == 0 && s->snd_nxt == s->snd_una) {
        /* The window shrank to zero under the data (RFC 1122 4.2.2.16): nothing may go, and
         * the sender "SHOULD NOT time out the connection if data beyond the right window
         * edge is not acknowledged. If the window shrinks to zero, the TCP MUST probe it in
         * the standard way": the persist timer (armed by the output) probes, and the
         * retransmission timer waits for the window to open (the output arms it then). */
        viv__tcp_timer_stop(s, VIV_TCP_TIMER_RTO);
        return;
    }
    tcp_timer_start_uto(s, VIV_TCP_TIMER_RTO, viv__tcp_rto(s), s->una_since, &s->rto_due);
}

static void tcp_persist_expired(viv_tcp_t *s)
{
    /* Only unanswered probes count (RFC 1122 4.2.2.17: while the receiver acknowledges the
     * probes the connection MUST stay open; every ACK resets the count, tcp_in.c). The user
     * timeout still holds (RFC 5482), answered probes or not, as Linux does: for data sent
     * and refused by a window that shrank to zero, as it would have on the retransmission
     * timer that handed over to this one; for data a shut window holds back, from the first
     * probe (tcp_persist_since). */
    viv_time_t since = tcp_persist_since(s);
    int uto = tcp_uto_passed(s, since);
    if (!uto && tcp_cut_short(s, VIV_TCP_TIMER_PERSIST, since, &s->persist_due))
        return;
    if (s->probes >= viv__tcp_tun(s->th)->retries || uto) {
        tcp_give_up(s);
        return;
    }
    if (viv__tcp_send_window_probe(s)) { /* the window is open, only small: fill it */
        s->zw_since = VIV_TIME_NEVER;    /* the retransmission timer takes over */
        return;
    }
    s->probes++;
    s->probe_shift++; /* RFC 9293 3.8.6.1: the interval grows exponentially, answered or not */
    tcp_send_probe(s);
    if (s->zw_since == VIV_TIME_NEVER && s->snd_max == s->snd_una)
        s->zw_since = s->base.sim->now; /* the first probe of a shut window */
    viv_time_t d = s->rto;
    for (uint32_t i = 0; i < s->probe_shift && d < viv__tcp_tun(s->th)->rto_max_ns; i++)
        d *= 2;
    if (d > viv__tcp_tun(s->th)->rto_max_ns)
        d = viv__tcp_tun(s->th)->rto_max_ns;
    tcp_timer_start_uto(s, VIV_TCP_TIMER_PERSIST, d, tcp_persist_since(s), &s->persist_due);
}

static void tcp_keepalive_expired(viv_tcp_t *s)
{
    viv_time_t now = s->base.sim->now;
    if (s->snd_max != s->snd_una) { /* data in flight: the retransmission timer watches */
        viv__tcp_timer_start(s, VIV_TCP_TIMER_KEEPALIVE, s->o.keepalive_idle_ns);
        return;
    }
    viv_time_t idle = now - s->last_rx;
    if (!s->kprobes && idle < s->o.keepalive_idle_ns) {
        viv__tcp_timer_start(s, VIV_TCP_TIMER_KEEPALIVE, s->o.keepalive_idle_ns - idle);
        return;
    }
    /* With a user timeout, Linux lets it decide instead of the count (tcp(7): it "will
     * override keepalive to determine when to close a connection due to keepalive failure"):
     * a probe unanswered and nothing received for the user timeout. Checked at the expiries
     * only, as Linux, which does not cut the keepalive interval to it. */
    viv_time_t u = s->o.user_timeout_ns;
    if (u ? s->kprobes && idle >= u : s->kprobes >= s->o.keepalive_count) {
        /* As Linux's tcp_keepalive_timer (tcp_send_active_reset): a reset, so that a peer
         * that was only out of reach finds the connection gone when it next sends, rather
         * than the same silence. The retransmission timer's give-up sends none (Linux the
         * same: the peer is not answering anything then). */
        viv__tcp_send_rst(s);
        tcp_give_up(s);
        return;
    }
    s->kprobes++;
    tcp_send_probe(s);
    viv__tcp_timer_start(s, VIV_TCP_TIMER_KEEPALIVE, s->o.keepalive_interval_ns);
}

static void tcp_timer_fire(viv__timer *t)
{
    viv_tcp_t *s = (viv_tcp_t *)((char *)t - offsetof(struct viv_tcp, tmr));
    viv_sim_t *sim = s->base.sim;
    if (s->base.dead)
        return;
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++) {
        if (s->at[k] > sim->now)
            continue;
        s->at[k] = VIV_TIME_NEVER;
        if (VIV__UNLIKELY(viv__tracing(sim))) {
            viv_trace_record r;
            viv__tcp_trace_init(&r, VIV_TRACE_TCP_TIMER_EXPIRE, s);
            r.timer = k;
            r.retries = k == VIV_TCP_TIMER_RTO         ? s->backoff
                        : k == VIV_TCP_TIMER_PERSIST   ? s->probes
                        : k == VIV_TCP_TIMER_KEEPALIVE ? s->kprobes
                                                       : 0;
            viv__trace_emit(sim, &r);
        }
        switch ((viv_tcp_timer)k) {
        case VIV_TCP_TIMER_RTO:
            tcp_rto_expired(s);
            break;
        case VIV_TCP_TIMER_DELACK:
            if (s->delack_segs || s->ack_now)
                viv__tcp_send_ack(s);
            break;
        case VIV_TCP_TIMER_PERSIST:
            tcp_persist_expired(s);
            break;
        case VIV_TCP_TIMER_KEEPALIVE:
            tcp_keepalive_expired(s);
            break;
        case VIV_TCP_TIMER_FIN_WAIT_2: /* an orphan waited long enough: forgotten */
        case VIV_TCP_TIMER_TIME_WAIT:
            viv__tcp_done(s, 0);
            break;
        case VIV_TCP_TIMER_COUNT:
            break;
        }
        if (s->base.dead)
            return;
    }
    tcp_timer_rearm(s);
}
