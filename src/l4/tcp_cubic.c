/* CUBIC (RFC 9438) behind the congestion-control interface (vivarium/tcp_cc.h).
 *
 * Units. TCP keeps cwnd in bytes; RFC 9438's formulas count segments. They are applied with
 * every window in bytes and the segment-valued constants scaled by SMSS (viv_tcp_cc_conn::mss):
 *   W_cubic(t) = C * SMSS * (t - K)^3 + W_max                     (figure 1, bytes)
 *   K = cubic_root((W_max - cwnd_epoch) / (C * SMSS))             (figure 2, seconds)
 * with C = 0.4, beta_cubic = 0.7 and alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 (exact).
 * K uses cwnd_epoch, the cwnd at the start of the congestion avoidance stage, as RFC 9438 does
 * (RFC 8312 used W_max * (1 - beta)); after a loss without fast convergence cwnd_epoch is
 * beta * W_max and the two agree: W_max = 100 segments gives K = cbrt(75) = 4.217 s.
 *
 * Arithmetic. Integer only, so that every compiler and every -ffast-math gives the same run.
 * The cube of |t - K| is taken with time in units of 2^-20 s (about 1 us) and saturates
 * beyond 4096 s (the target is clamped to 1.5 cwnd long before). K is found as the integer
 * cube root (bisection on uint64) of (W_max - cwnd_epoch) / (C * SMSS) scaled by 2^(3s), s
 * chosen as fine as fits in 64 bits (s = 19 for W_max = 100 segments: K to within 2 us).
 * W_est keeps 16 fractional bits, and the cubic increment its remainder, so that growth
 * smaller than a byte per ACK is not lost. No product can overflow for any 32-bit cwnd,
 * SMSS or bytes acknowledged.
 *
 * What is done, by RFC 9438 section:
 * - 4.2: t runs from the epoch start, the first ACK of a congestion avoidance stage, and is
 *   read from viv_tcp_cc_conn::now. The target is W_cubic(t + RTT) clamped to
 *   [cwnd, 1.5 cwnd], RTT being SRTT (viv_tcp_cc_conn::srtt_ns; before the first SRTT, the
 *   ACK's own sample, else 0).
 * - 4.3: W_est starts at cwnd_epoch and grows by alpha_cubic * SMSS * acked / cwnd bytes per
 *   ACK. In viv_tcp_cc_cubic_rfc9438 (not in viv_tcp_cc_cubic, which does as Linux: alpha
 *   stays 9/17, and so lands within 10% of Linux's goodput at 1% loss where the switch gave
 *   17% more) alpha_cubic becomes 1 once W_est reaches cwnd_prior (the cwnd when ssthresh was last
 *   set). When W_cubic(t) < W_est, cwnd is set to W_est, with two guards the RFC does not
 *   state: an ACK never lowers cwnd, and raises it by at most the bytes it acknowledges (slow
 *   start's rate). The first matters only where the regions meet (cwnd follows
 *   W_cubic(t + RTT), a round trip ahead of W_cubic(t)); the second only after an idle
 *   restart, where it stops a jump back to the old W_est (W_est otherwise grows by less than
 *   a segment per round trip).
 * - 4.4, 4.5: otherwise cwnd grows by (target - cwnd) / cwnd segments per segment
 *   acknowledged, that is (target - cwnd) * acked / cwnd bytes for an ACK of acked bytes
 *   (delayed and stretch ACKs grow it as much as one ACK per segment), never past target.
 * - 4.6: ssthresh = cwnd * beta_cubic, at least 2 SMSS. It uses cwnd, not FlightSize, as
 *   Linux does; RFC 9438 allows cwnd when something else keeps cwnd from growing while less
 *   than cwnd is in flight, and here that is viv_tcp_cc_conn::cwnd_limited (RFC 7661). TCP sets
 *   cwnd to ssthresh itself (vivarium/tcp_cc.h). cwnd_prior = cwnd.
 * - 4.7: fast convergence is on: a loss below the previous W_max sets
 *   W_max = cwnd * (1 + beta_cubic) / 2, else W_max = cwnd.
 * - 4.8: a timeout sets ssthresh as 4.6 and ends the stage; in the next one W_max is
 *   cwnd_epoch and K is 0. The same rule serves a stage that begins with no loss before it
 *   (ssthresh set by other means; 4.10's HyStart case), and one that begins above W_max
 *   (cwnd_epoch >= W_max: ssthresh raised to 2 SMSS).
 * - 4.10: below ssthresh, RFC 5681 slow start (viv_tcp_cc_slow_start(), exactly NewReno's);
 *   HyStart++ (RFC 9406) is not done. Bytes of an ACK left over when cwnd reaches ssthresh go
 *   to congestion avoidance.
 * - 5.8: no growth while viv_tcp_cc_conn::cwnd_limited is 0, and the time between ACKs while
 *   it is 0 is not counted in t (the epoch start moves forward by it), so W_cubic does not
 *   leap after an application-limited period. The same holds for slow start inside a stage
 *   (after an idle restart).
 * - Idle restart (VIV_TCP_CC_EV_IDLE_RESTART, RFC 5681 4.1's restart window): the stage is
 *   kept and its epoch start moves forward by the idle time (since the last ACK), as Linux
 *   does, so that idling is not growth time; cwnd climbs back by slow start to ssthresh and
 *   the cubic curve resumes where it was.
 * Not done: 4.9 (undoing a spurious congestion event: the interface has no undo hook), ECN
 * (vivarium has none), HyStart++ (RFC 9406). */
#include "tcp_cubic.h"

#include <string.h>

_Static_assert(sizeof(viv__cubic) <= VIV_TCP_CC_PRIV_MAX, "CUBIC's state must fit in priv");

#define CUBIC_NS_PER_S 1000000000u
#define CUBIC_TBITS 20 /* time unit inside the cube: 2^-20 s */
#define CUBIC_TMASK ((UINT64_C(1) << CUBIC_TBITS) - 1)
#define CUBIC_DMAX_NS (UINT64_C(4096) * CUBIC_NS_PER_S) /* |t - K| beyond: saturate */
#define CUBIC_HUGE (UINT64_C(1) << 62)                  /* "more than any window" */
#define CUBIC_WEST_MAX ((uint64_t)UINT32_MAX << 16)
#define CUBIC_CBRT_MAX 2642245u /* floor(cbrt(2^64 - 1)) */

uint32_t viv__cubic_cbrt(uint64_t v)
{
    uint64_t x = 0;
    for (int b = 21; b >= 0; b--) {
        uint64_t y = x | (UINT64_C(1) << b);
        if (y <= CUBIC_CBRT_MAX && y * y * y <= v)
            x = y;
    }
    return (uint32_t)x;
}

uint64_t viv__cubic_k_ns(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
    if (w_max <= cwnd_epoch)
        return 0;
    /* K^3 = (W_max - cwnd_epoch) / (0.4 SMSS) = n / d seconds^3, n < 2^35, d < 2^34. */
    uint64_t n = 5u * (uint64_t)(w_max - cwnd_epoch);
    uint64_t d = 2u * (uint64_t)(mss ? mss : 1u);
    uint64_t q = n / d, r = n % d;
    /* In units of 2^-s s, K^3 is n / d * 2^3s: the finest s <= 20 for which that fits. As
     * q < 2^35, s stays >= 9 and the shift below is always defined. */
    unsigned s = 20;
    while (q >> (64 - 3 * s))
        s--;
    unsigned bits = 3 * s;
    uint64_t frac = 0; /* floor(r * 2^bits / d) by long division: r < d < 2^34 */
    for (unsigned i = 0; i < bits; i++) {
        r <<= 1;
        frac <<= 1;
        if (r >= d) {
            r -= d;
            frac |= 1u;
        }
    }
    uint64_t k_units = viv__cubic_cbrt((q << bits) | frac);
    return (k_units * CUBIC_NS_PER_S) >> s; /* k_units < 2^22: the product < 2^52 */
}

/* C * SMSS * d^3 bytes for d in ns; CUBIC_HUGE or more when that exceeds any window. */
static uint64_t cubic_offset(uint64_t d_ns, uint32_t mss)
{
    if (d_ns >= CUBIC_DMAX_NS)
        return CUBIC_HUGE;
    uint64_t a = (d_ns << CUBIC_TBITS) / CUBIC_NS_PER_S; /* < 2^32 */
    uint64_t sq = (a * a) >> CUBIC_TBITS;                /* < 2^44 */
    uint64_t cube = (sq >> CUBIC_TBITS) * a + (((sq & CUBIC_TMASK) * a) >> CUBIC_TBITS);
    uint64_t seg = cube * 2u / 5u; /* C * d^3 in segments, 20 fractional bits, < 2^57 */
    uint64_t whole = seg >> CUBIC_TBITS;
    uint64_t m = mss ? mss : 1u;
    if (whole >= (UINT64_C(1) << 30) && whole > CUBIC_HUGE / m)
        return CUBIC_HUGE;
    /* The fraction rounded to the nearest byte, so that W_cubic is symmetric about K. */
    return whole * m + (((seg & CUBIC_TMASK) * m + (CUBIC_TMASK + 1) / 2) >> CUBIC_TBITS);
}

uint64_t viv__cubic_window(const viv__cubic *s, uint64_t t_ns, uint32_t mss)
{
    if (t_ns >= s->k_ns)
        return s->w_max + cubic_offset(t_ns - s->k_ns, mss);
    uint64_t off = cubic_offset(s->k_ns - t_ns, mss);
    return off >= s->w_max ? 0 : s->w_max - off;
}

/* Time that must not count as growth time (an application-limited stretch, slow start
 * inside a stage, idling) ran from the last ACK until now: move the epoch start by it. */
static void cubic_pause(viv__cubic *s, uint64_t now)
{
    if (!s->in_epoch || now <= s->last_ack)
        return;
    uint64_t delta = now - s->last_ack;
    if (s->epoch_start >= now || delta >= now - s->epoch_start)
        s->epoch_start = now;
    else
        s->epoch_start += delta;
}

/* The first ACK of a congestion avoidance stage (RFC 9438 4.2, 4.3, 4.8). */
static void cubic_epoch_begin(viv__cubic *s, const viv_tcp_cc_conn *c)
{
    s->in_epoch = 1;
    s->epoch_start = c->now;
    s->cwnd_epoch = c->cwnd;
    s->w_est_q16 = (uint64_t)c->cwnd << 16;
    s->grow_rem = 0;
    if (s->cwnd_prior == 0)
        s->cwnd_prior = c->cwnd;
    if (s->w_max <= c->cwnd) {
        s->w_max = c->cwnd;
        s->k_ns = 0;
    } else {
        s->k_ns = viv__cubic_k_ns(s->w_max, c->cwnd, c->mss);
    }
}

/* W_est += alpha_cubic * SMSS * acked / cwnd bytes (RFC 9438 4.3, in bytes). */
static void cubic_west_grow(viv__cubic *s, uint32_t cwnd, uint32_t mss, uint32_t acked)
{
    uint64_t x = (uint64_t)acked * mss; /* < 2^64 */
    uint64_t q = x / cwnd, r = x % cwnd;
    if (q > UINT32_MAX)
        q = UINT32_MAX;
    uint64_t inc;
    if (s->alpha_one && (s->w_est_q16 >> 16) >= s->cwnd_prior)
        inc = (q << 16) + (r << 16) / cwnd; /* alpha_cubic = 1 */
    else
        inc = q * (UINT64_C(9) << 16) / 17u + r * (UINT64_C(9) << 16) / (17u * (uint64_t)cwnd);
    s->w_est_q16 = s->w_est_q16 + inc > CUBIC_WEST_MAX ? CUBIC_WEST_MAX : s->w_est_q16 + inc;
}

/* Congestion avoidance for an ACK of acked bytes (RFC 9438 4.2 to 4.5). */
static void cubic_avoid(viv_tcp_cc_conn *c, viv__cubic *s, uint32_t acked, uint64_t rtt_ns)
{
    if (!s->in_epoch)
        cubic_epoch_begin(s, c);
    uint32_t cwnd = c->cwnd ? c->cwnd : 1u;
    uint32_t mss = c->mss ? c->mss : 1u;
    uint64_t t = c->now > s->epoch_start ? c->now - s->epoch_start : 0;

    cubic_west_grow(s, cwnd, mss, acked);
    uint64_t w_est = s->w_est_q16 >> 16;
    if (viv__cubic_window(s, t, mss) < w_est) {
        /* The Reno-friendly region: cwnd = W_est, never lowered, at most slow start's step. */
        if (w_est > cwnd) {
            uint64_t cap = (uint64_t)cwnd + acked;
            uint64_t w = w_est < cap ? w_est : cap;
            c->cwnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
        }
        return;
    }
    uint64_t rtt = c->srtt_ns ? c->srtt_ns : rtt_ns;
    uint64_t at = t > UINT64_MAX - rtt ? UINT64_MAX : t + rtt;
    uint64_t target = viv__cubic_window(s, at, mss);
    uint64_t lo = cwnd, hi = (uint64_t)cwnd + cwnd / 2u;
    if (target < lo)
        target = lo;
    else if (target > hi)
        target = hi;
    /* (target - cwnd) / cwnd segments per segment acked, in bytes; the remainder carries. */
    uint64_t room = target - cwnd;             /* < 2^31 */
    uint64_t num = room * acked + s->grow_rem; /* < 2^63 + 2^32 */
    uint64_t inc = num / cwnd;
    uint64_t rem = num % cwnd;
    if (inc >= room) {
        inc = room;
        rem = 0;
    }
    s->grow_rem = (uint32_t)rem;
    uint64_t w = (uint64_t)cwnd + inc;
    c->cwnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static void cubic_init(viv_tcp_cc_conn *c)
{
    if (!c || !c->priv)
        return;
    viv__cubic *s = c->priv;
    memset(s, 0, sizeof *s);
    s->last_ack = c->now;
}

static void cubic_init_rfc9438(viv_tcp_cc_conn *c)
{
    cubic_init(c);
    if (c && c->priv)
        ((viv__cubic *)c->priv)->alpha_one = 1;
}

static void cubic_on_ack(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt_ns)
{
    viv__cubic *s = c->priv;
    if (!s) { /* not given its state: behave as NewReno rather than crash */
        if (c->cwnd_limited)
            viv_tcp_cc_reno_avoid(c, viv_tcp_cc_slow_start(c, acked));
        return;
    }
    /* RFC 9438 5.8: an application-limited stretch is not growth time, nor is slow start
     * inside a stage (after an idle restart). */
    if (!c->cwnd_limited || c->cwnd < c->ssthresh)
        cubic_pause(s, c->now);
    if (c->now > s->last_ack)
        s->last_ack = c->now;
    if (!c->cwnd_limited || acked == 0)
        return;
    acked = viv_tcp_cc_slow_start(c, acked);
    if (acked && c->cwnd >= c->ssthresh)
        cubic_avoid(c, s, acked, rtt_ns);
}

static uint32_t cubic_ssthresh(viv_tcp_cc_conn *c)
{
    uint32_t cwnd = c->cwnd;
    viv__cubic *s = c->priv;
    if (s) {
        /* RFC 9438 4.7 fast convergence, then 4.6; the stage ends. */
        if (s->w_max && cwnd < s->w_max)
            s->w_max = (uint32_t)((uint64_t)cwnd * 17u / 20u);
        else
            s->w_max = cwnd;
        s->cwnd_prior = cwnd;
        s->in_epoch = 0;
        s->grow_rem = 0;
    }
    uint64_t ss = (uint64_t)cwnd * 7u / 10u;
    uint64_t two = 2u * (uint64_t)c->mss;
    if (ss < two)
        ss = two;
    return ss > UINT32_MAX ? UINT32_MAX : (uint32_t)ss;
}

static void cubic_on_event(viv_tcp_cc_conn *c, viv_tcp_cc_event ev)
{
    viv__cubic *s = c->priv;
    c->ca_acked = 0;
    if (!s)
        return;
    switch (ev) {
    case VIV_TCP_CC_EV_TIMEOUT:
        /* RFC 9438 4.8: the next stage starts with W_max = cwnd_epoch and K = 0. */
        s->in_epoch = 0;
        s->w_max = 0;
        s->grow_rem = 0;
        break;
    case VIV_TCP_CC_EV_IDLE_RESTART:
        cubic_pause(s, c->now);
        break;
    case VIV_TCP_CC_EV_RECOVERY_ENTER:
    case VIV_TCP_CC_EV_RECOVERY_EXIT:
        break;
    }
    if (c->now > s->last_ack)
        s->last_ack = c->now;
}

const viv_tcp_cc viv_tcp_cc_cubic = {
    "cubic", (uint32_t)sizeof(viv__cubic), cubic_init, cubic_on_ack, cubic_ssthresh, cubic_on_event,
};

const viv_tcp_cc viv_tcp_cc_cubic_rfc9438 = {
    "cubic-rfc9438", (uint32_t)sizeof(viv__cubic), cubic_init_rfc9438, cubic_on_ack,
    cubic_ssthresh, cubic_on_event,
};
