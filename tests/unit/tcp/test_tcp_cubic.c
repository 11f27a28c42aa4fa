/* Congestion control in isolation: CUBIC (RFC 9438) and NewReno (RFC 5681, RFC 6582) driven
 * through their tables with a fake connection and a fake clock, doing what the TCP core does
 * around them (vivarium/tcp_cc.h): on a loss, ssthresh from the algorithm and cwnd = ssthresh;
 * on leaving recovery, cwnd = ssthresh; on a timeout, cwnd = one segment.
 *
 * A "round" is one round trip of a window-limited sender: cwnd / SMSS ACKs of one segment
 * each, spread evenly over the RTT. Expected values were computed by hand or by a floating
 * point model of the same RFC formulas (to within a byte); the exact integers are pinned as
 * well, since the arithmetic is integer and the same everywhere. */
#include "viv_test.h"

#include <string.h>

#include "l4/tcp_cubic.h"

#define MS VIV_MS(1)
#define SEC VIV_S(1)

typedef struct fake {
    viv_tcp_cc_conn c;
    _Alignas(16) unsigned char priv[VIV_TCP_CC_PRIV_MAX];
    const viv_tcp_cc *cc;
} fake;

static void fake_init(fake *f, const viv_tcp_cc *cc, uint32_t mss, uint32_t cwnd)
{
    memset(f, 0, sizeof *f);
    f->cc = cc;
    f->c.mss = mss;
    f->c.cwnd = cwnd;
    f->c.ssthresh = UINT32_MAX;
    f->c.cwnd_limited = 1;
    f->c.priv = cc->priv_size ? f->priv : NULL;
    if (cc->init)
        cc->init(&f->c);
}

static viv__cubic *fake_cubic(fake *f)
{
    return (viv__cubic *)f->priv;
}

static void fake_ack(fake *f, uint32_t acked, viv_time_t at)
{
    f->c.now = at;
    f->cc->on_ack(&f->c, acked, 0);
}

static void fake_event(fake *f, viv_tcp_cc_event ev)
{
    if (f->cc->on_event)
        f->cc->on_event(&f->c, ev);
}

/* A loss found by duplicate ACKs: recovery begins. */
static void fake_loss(fake *f, viv_time_t at)
{
    f->c.now = at;
    uint32_t ss = f->cc->ssthresh(&f->c);
    if (ss < 2 * f->c.mss)
        ss = 2 * f->c.mss;
    f->c.ssthresh = ss;
    f->c.cwnd = ss;
    fake_event(f, VIV_TCP_CC_EV_RECOVERY_ENTER);
}

static void fake_recovered(fake *f, viv_time_t at)
{
    f->c.now = at;
    f->c.cwnd = f->c.ssthresh;
    fake_event(f, VIV_TCP_CC_EV_RECOVERY_EXIT);
}

static void fake_timeout(fake *f, viv_time_t at)
{
    f->c.now = at;
    uint32_t ss = f->cc->ssthresh(&f->c);
    if (ss < 2 * f->c.mss)
        ss = 2 * f->c.mss;
    f->c.ssthresh = ss;
    f->c.cwnd = f->c.mss;
    fake_event(f, VIV_TCP_CC_EV_TIMEOUT);
}

/* One round trip from *t: cwnd / SMSS ACKs of one segment, the last at *t + rtt. */
static void fake_round(fake *f, viv_time_t *t, viv_time_t rtt)
{
    uint32_t n = f->c.cwnd / f->c.mss;
    if (n == 0)
        n = 1;
    viv_time_t start = *t;
    for (uint32_t i = 1; i <= n; i++)
        fake_ack(f, f->c.mss, start + rtt * i / n);
    *t = start + rtt;
}

/* CUBIC at W_max = 100 segments of 1000 bytes, SRTT 100 ms: a loss at t = 1 s, recovery
 * over at 1.1 s, its state read at the start of the stage. */
static void cubic_after_loss(fake *f, viv_time_t *t)
{
    fake_init(f, &viv_tcp_cc_cubic, 1000, 100000);
    f->c.srtt_ns = VIV_MS(100);
    *t = SEC;
    fake_loss(f, *t);
    *t += VIV_MS(100);
    fake_recovered(f, *t);
}

/* ---- CUBIC ---------------------------------------------------------------------------- */

static void test_cubic__table_and_find(void **state)
{
    (void)state;
    assert_ptr_equal(viv_tcp_cc_find("cubic"), &viv_tcp_cc_cubic);
    assert_string_equal(viv_tcp_cc_cubic.name, "cubic");
    assert_true(viv_tcp_cc_cubic.priv_size > 0);
    assert_true(viv_tcp_cc_cubic.priv_size <= VIV_TCP_CC_PRIV_MAX);
    assert_non_null(viv_tcp_cc_cubic.on_ack);
    assert_non_null(viv_tcp_cc_cubic.ssthresh);
    assert_ptr_equal(viv_tcp_cc_find("newreno"), &viv_tcp_cc_newreno);
    assert_null(viv_tcp_cc_find("vegas"));
}

/* The integer cube root, and K against hand-computed values. */
static void test_cubic__cbrt_and_k(void **state)
{
    (void)state;
    assert_int_equal(viv__cubic_cbrt(0), 0);
    assert_int_equal(viv__cubic_cbrt(7), 1);
    assert_int_equal(viv__cubic_cbrt(8), 2);
    assert_int_equal(viv__cubic_cbrt(26), 2);
    assert_int_equal(viv__cubic_cbrt(27), 3);
    assert_int_equal(viv__cubic_cbrt(UINT64_C(999999999999)), 9999);
    assert_int_equal(viv__cubic_cbrt(UINT64_C(1000000000000)), 10000);
    assert_int_equal(viv__cubic_cbrt(UINT64_C(18446724184312856125)), 2642245); /* its cube */
    assert_int_equal(viv__cubic_cbrt(UINT64_MAX), 2642245);

    /* W_max = 100 segments, cwnd_epoch = 70: K = cbrt(30 / 0.4) = cbrt(75) = 4.2171633 s. */
    uint64_t k = viv__cubic_k_ns(100000, 70000, 1000);
    assert_in_range(k, UINT64_C(4217161326), UINT64_C(4217163326));
    assert_int_equal(k, UINT64_C(4217163085));
    /* The same windows in other units of bytes: only the number of segments matters. */
    assert_in_range(viv__cubic_k_ns(144800, 101360, 1448), UINT64_C(4217161326),
                    UINT64_C(4217163326));
    /* W_max = 1000 segments: cbrt(750) = 9.0856030 s. */
    assert_in_range(viv__cubic_k_ns(1000000, 700000, 1000), UINT64_C(9085600000),
                    UINT64_C(9085603015));
    /* One segment above cwnd_epoch: cbrt(2.5) = 1.3572088 s. */
    assert_in_range(viv__cubic_k_ns(2000, 1000, 1000), UINT64_C(1357206800), UINT64_C(1357208808));
    /* W_max at or below cwnd_epoch: K = 0. */
    assert_int_equal(viv__cubic_k_ns(70000, 70000, 1000), 0);
    assert_int_equal(viv__cubic_k_ns(1000, 70000, 1000), 0);
    /* The largest: 2^32 - 1 one-byte segments: cbrt(2.5 * 4294967295) = 2207.4 s. */
    uint64_t big = viv__cubic_k_ns(UINT32_MAX, 0, 1);
    assert_in_range(big, UINT64_C(2206000000000), UINT64_C(2207500000000));
    /* SMSS 0 (nonsense) is taken as 1 rather than divided by. */
    assert_int_equal(viv__cubic_k_ns(UINT32_MAX, 0, 0), big);
}

/* A loss: ssthresh = cwnd = 0.7 W_max, W_max = cwnd before the loss (no earlier W_max), and
 * the stage starts at the first ACK after recovery with K = cbrt(75) s. */
static void test_cubic__loss_to_beta(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    viv__cubic *s = fake_cubic(&f);
    assert_int_equal(f.c.ssthresh, 70000);
    assert_int_equal(f.c.cwnd, 70000);
    assert_int_equal(s->w_max, 100000);
    assert_int_equal(s->cwnd_prior, 100000);
    assert_int_equal(s->in_epoch, 0);
    fake_ack(&f, 1000, t + VIV_MS(10));
    assert_int_equal(s->in_epoch, 1);
    assert_int_equal(s->epoch_start, t + VIV_MS(10));
    assert_int_equal(s->cwnd_epoch, 70000);
    assert_int_equal(s->k_ns, UINT64_C(4217163085));
    /* ssthresh never below two segments. */
    fake g;
    fake_init(&g, &viv_tcp_cc_cubic, 1000, 2000);
    assert_int_equal(viv_tcp_cc_cubic.ssthresh(&g.c), 2000);
    g.c.cwnd = 1000000;
    assert_int_equal(viv_tcp_cc_cubic.ssthresh(&g.c), 700000);
}

/* W_cubic itself: W_cubic(0) = cwnd_epoch, W_cubic(K) = W_max, symmetric about K. */
static void test_cubic__window_function(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    fake_ack(&f, 1000, t);
    viv__cubic *s = fake_cubic(&f);
    assert_in_range(viv__cubic_window(s, 0, 1000), 70000, 70001);
    assert_int_equal(viv__cubic_window(s, s->k_ns, 1000), 100000);
    /* 1 s either side of K: 0.4 * 1000 bytes * 1 s^3 = 400 bytes. */
    assert_int_equal(viv__cubic_window(s, s->k_ns - SEC, 1000), 99600);
    assert_int_equal(viv__cubic_window(s, s->k_ns + SEC, 1000), 100400);
    /* 2.5 s: 0.4 * 15.625 = 6.25 segments. */
    assert_int_equal(viv__cubic_window(s, s->k_ns - 2500 * MS, 1000), 93750);
    assert_int_equal(viv__cubic_window(s, s->k_ns + 2500 * MS, 1000), 106250);
    /* 10 s after K: 0.4 * 1000 = 400 segments above W_max. */
    assert_int_equal(viv__cubic_window(s, s->k_ns + 10 * SEC, 1000), 500000);
    /* Far in the convex region the function saturates instead of wrapping. */
    assert_true(viv__cubic_window(s, UINT64_MAX, 1000) >= (UINT64_C(1) << 62));
}

/* Concave growth up to W_max, reached at t = K within a segment, then convex growth above
 * it. SRTT 100 ms: the Reno-friendly estimate stays below W_cubic until W_est reaches W_max
 * (cwnd_prior), where (RFC 9438's variant) alpha_cubic becomes 1 and Reno's one segment per
 * round trip takes over (at t = 5.9 s). */
static void test_cubic__concave_then_convex(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    viv__cubic *s = fake_cubic(&f);
    s->alpha_one = 1; /* RFC 9438 4.3's switch, as viv_tcp_cc_cubic_rfc9438 */
    uint32_t cw[80];
    for (int r = 0; r < 80; r++) {
        fake_round(&f, &t, VIV_MS(100));
        cw[r] = f.c.cwnd;
    }
    /* The floating-point model gives 72023.4, 87824.7, 96169.7, 99999.0, 100000.4, 100284.4,
     * 101601.7, 103786.9, 122588.3 after rounds 0, 10, 20, 41, 42, 50, 57, 60, 79. */
    assert_int_equal(cw[0], 72023);
    assert_int_equal(cw[10], 87825);
    assert_int_equal(cw[20], 96170);
    assert_int_equal(cw[41], 99999);
    assert_int_equal(cw[42], 100000);
    assert_int_equal(cw[50], 100284);
    assert_int_equal(cw[57], 101602);
    assert_int_equal(cw[60], 103786);
    assert_int_equal(cw[79], 122588);
    /* Concave: every round grows by less than the one before, up to K (t = 4.217 s falls in
     * round 41, which ends at 4.2 s since the stage began). */
    for (int r = 1; r <= 41; r++) {
        assert_true(cw[r] >= cw[r - 1]);
        assert_true(cw[r] - cw[r - 1] <= (r > 1 ? cw[r - 1] - cw[r - 2] : 2023u));
        assert_true(cw[r] <= 100000);
    }
    /* At t = K: W_max within a segment. */
    assert_true(cw[41] >= 99000 && cw[41] <= 101000);
    /* Convex: above W_max, and each round grows by more than the one before until the
     * Reno-friendly region takes over. */
    for (int r = 43; r <= 57; r++) {
        assert_true(cw[r] > 100000);
        assert_true(cw[r] - cw[r - 1] > cw[r - 1] - cw[r - 2]);
    }
    /* From round 59, Reno-friendly with alpha_cubic = 1: cwnd = W_est, about one segment per
     * round trip (each ACK adds SMSS * SMSS / cwnd). */
    for (int r = 60; r < 80; r++) {
        assert_in_range(cw[r] - cw[r - 1], 980, 1000);
    }
    assert_int_equal(s->w_est_q16 >> 16, cw[79]);
}

/* The Reno-friendly region at a small RTT * W: 10 segments, RTT 1 ms. W_cubic hardly moves
 * in a millisecond (K = cbrt(7.5) = 1.957 s), so W_est drives cwnd: each ACK of one segment
 * adds alpha_cubic * SMSS * SMSS / cwnd = 9/17 * 10^6 / cwnd bytes. */
static void test_cubic__reno_friendly_region(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, &viv_tcp_cc_cubic_rfc9438, 1000, 10000);
    f.c.srtt_ns = MS;
    viv_time_t t = SEC;
    fake_loss(&f, t);
    t += MS;
    fake_recovered(&f, t);
    viv__cubic *s = fake_cubic(&f);
    assert_int_equal(f.c.cwnd, 7000);
    /* First ACK: W_est = 7000 + 9/17 * 10^6 / 7000 = 7075.63. */
    fake_ack(&f, 1000, t + MS / 7);
    assert_int_equal(s->w_est_q16 >> 16, 7075);
    assert_int_equal(f.c.cwnd, 7075);
    /* Second: + 9/17 * 10^6 / 7075 = 7150.46. */
    fake_ack(&f, 1000, t + 2 * MS / 7);
    assert_int_equal(s->w_est_q16 >> 16, 7150);
    assert_int_equal(f.c.cwnd, 7150);
    /* W_cubic alone would have moved by a few bytes. */
    assert_true(viv__cubic_window(s, 2 * MS / 7 + MS, 1000) < 7010);
    t += 2 * MS / 7;
    /* alpha_cubic = 9/17 until W_est reaches cwnd_prior (10000): about 9/17 segment per
     * round trip, so 3000 bytes take about 5.7 round trips. */
    int rounds = 0;
    while (f.c.cwnd < 10000) {
        uint32_t before = f.c.cwnd;
        fake_round(&f, &t, MS);
        rounds++;
        if (f.c.cwnd < 10000)
            assert_in_range(f.c.cwnd - before, 450, 530);
    }
    assert_int_equal(rounds, 6);
    /* Then alpha_cubic = 1: one segment per round trip, as Reno. */
    for (int r = 0; r < 5; r++) {
        uint32_t before = f.c.cwnd;
        fake_round(&f, &t, MS);
        assert_in_range(f.c.cwnd - before, 900, 1000);
        assert_int_equal(f.c.cwnd, s->w_est_q16 >> 16);
    }
    /* Still far below W_cubic's own pace: t is 13 ms into the stage. */
    assert_true(viv__cubic_window(s, t - s->epoch_start, 1000) < 7100);

    /* Linux's CUBIC (viv_tcp_cc_cubic) keeps alpha_cubic = 9/17 past cwnd_prior. */
    fake_init(&f, &viv_tcp_cc_cubic, 1000, 10000);
    f.c.srtt_ns = MS;
    t = SEC;
    fake_loss(&f, t);
    t += MS;
    fake_recovered(&f, t);
    while (f.c.cwnd < 10000)
        fake_round(&f, &t, MS);
    for (int r = 0; r < 5; r++) {
        uint32_t before = f.c.cwnd;
        fake_round(&f, &t, MS);
        assert_in_range(f.c.cwnd - before, 450, 560);
    }
}

/* The target is W_cubic(t + RTT) with RTT = SRTT, or the ACK's own sample before there is an
 * SRTT, clamped to [cwnd, 1.5 cwnd]; each ACK of one segment moves cwnd by (target - cwnd) /
 * cwnd segments. */
static void test_cubic__target_and_rtt(void **state)
{
    (void)state;
    fake a, b, z;
    viv_time_t t;
    cubic_after_loss(&a, &t);
    cubic_after_loss(&b, &t);
    cubic_after_loss(&z, &t);
    a.c.srtt_ns = SEC;
    b.c.srtt_ns = 0;
    z.c.srtt_ns = 0;
    /* The first ACK of the stage: W_cubic(0) = cwnd_epoch, so W_est (70000 + 9/17 * 10^6 /
     * 70000 = 70007.6) is above it and decides, whatever the RTT. */
    fake_ack(&a, 1000, t);
    fake_ack(&b, 1000, t);
    fake_ack(&z, 1000, t);
    assert_int_equal(a.c.cwnd, 70007);
    assert_int_equal(b.c.cwnd, 70007);
    assert_int_equal(z.c.cwnd, 70007);
    /* 10 ms later W_cubic(0.01 s) = 70212.9 is above W_est: the concave region. With an RTT
     * of 1 s the target is W_cubic(1.01 s) = 86804.6 and one ACK adds
     * (86804.6 - 70007) * 1000 / 70007 = 239.9 bytes; with no RTT, W_cubic(0.01 s) gives
     * (70212.9 - 70007) * 1000 / 70007 = 2.9 bytes. */
    fake_ack(&a, 1000, t + 10 * MS);
    b.c.now = t + 10 * MS;
    b.cc->on_ack(&b.c, 1000, SEC); /* the sample stands in for SRTT */
    fake_ack(&z, 1000, t + 10 * MS);
    assert_int_equal(a.c.cwnd, 70007 + 239);
    assert_int_equal(b.c.cwnd, 70007 + 239);
    assert_int_equal(z.c.cwnd, 70007 + 2);
    /* Far in the convex region the target is 1.5 cwnd: an ACK of one segment adds
     * 0.5 cwnd / cwnd = half a segment, a stretch ACK of cwnd bytes half the window. */
    uint32_t w = z.c.cwnd;
    fake_ack(&z, 1000, t + 60 * SEC);
    assert_int_equal(z.c.cwnd, w + 500);
    w = z.c.cwnd;
    fake_ack(&z, w, t + 61 * SEC);
    assert_int_equal(z.c.cwnd, w + w / 2);
}

/* Fast convergence: a loss below the previous W_max lowers W_max to cwnd * (1 + beta) / 2;
 * a loss above it sets W_max = cwnd. */
static void test_cubic__fast_convergence(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    viv__cubic *s = fake_cubic(&f);
    while (f.c.cwnd < 90000)
        fake_round(&f, &t, VIV_MS(100));
    f.c.cwnd = 90000; /* the second loss at 90 segments */
    fake_loss(&f, t);
    assert_int_equal(s->w_max, 76500); /* 90000 * 1.7 / 2 */
    assert_int_equal(f.c.ssthresh, 63000);
    assert_int_equal(s->cwnd_prior, 90000);
    t += VIV_MS(100);
    fake_recovered(&f, t);
    fake_ack(&f, 1000, t + MS);
    /* K = cbrt((76.5 - 63) / 0.4) = cbrt(33.75) = 3.2316515 s (RFC 9438 figure 2). */
    assert_in_range(s->k_ns, UINT64_C(3231649500), UINT64_C(3231651500));
    /* A loss above W_max: no convergence. */
    f.c.cwnd = 80000;
    fake_loss(&f, t + SEC);
    assert_int_equal(s->w_max, 80000);
    assert_int_equal(f.c.ssthresh, 56000);
}

/* Below ssthresh CUBIC is RFC 5681 slow start, ACK for ACK the same as NewReno. */
static void test_cubic__slow_start_as_newreno(void **state)
{
    (void)state;
    fake cu, nr;
    fake_init(&cu, &viv_tcp_cc_cubic, 1448, 14480);
    fake_init(&nr, &viv_tcp_cc_newreno, 1448, 14480);
    cu.c.ssthresh = nr.c.ssthresh = 200000;
    static const uint32_t acks[] = {1448, 2896, 500, 1448, 4344, 1, 1448, 1000, 2896, 1448};
    viv_time_t t = 0;
    int n = 0;
    while (nr.c.cwnd < 200000) {
        uint32_t a = acks[n % 10];
        t += 100 * VIV_US(1);
        fake_ack(&cu, a, t);
        fake_ack(&nr, a, t);
        if (nr.c.cwnd < 200000) {
            assert_int_equal(cu.c.cwnd, nr.c.cwnd);
            assert_int_equal(fake_cubic(&cu)->in_epoch, 0);
        }
        n++;
    }
    assert_int_equal(n, 160);
    /* The ACK that reached ssthresh gave the rest of its bytes to congestion avoidance: it
     * began CUBIC's stage (and NewReno's byte counting). */
    assert_int_equal(nr.c.cwnd, 200000);
    assert_true(cu.c.cwnd >= 200000);
    assert_int_equal(fake_cubic(&cu)->in_epoch, 1);
    assert_int_equal(fake_cubic(&cu)->cwnd_epoch, 200000);
    /* First: cwnd += min(acked, SMSS) per ACK. */
    fake a;
    fake_init(&a, &viv_tcp_cc_cubic, 1448, 14480);
    fake_ack(&a, 4344, 1);
    assert_int_equal(a.c.cwnd, 14480 + 1448);
    fake_ack(&a, 700, 2);
    assert_int_equal(a.c.cwnd, 14480 + 1448 + 700);
}

/* cwnd_limited = 0: no growth, in slow start or in congestion avoidance, and the time is not
 * growth time: a sender that pauses for 10 s (application-limited) then carries on grows
 * exactly as one that never paused, 10 s later. */
static void test_cubic__app_limited(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, &viv_tcp_cc_cubic, 1000, 10000);
    f.c.cwnd_limited = 0;
    fake_ack(&f, 1000, MS);
    fake_ack(&f, 5000, 2 * MS);
    assert_int_equal(f.c.cwnd, 10000);

    fake a, b;
    viv_time_t ta, tb;
    cubic_after_loss(&a, &ta);
    cubic_after_loss(&b, &tb);
    for (int r = 0; r < 10; r++) {
        fake_round(&a, &ta, VIV_MS(100));
        fake_round(&b, &tb, VIV_MS(100));
    }
    assert_int_equal(a.c.cwnd, b.c.cwnd);
    uint32_t held = b.c.cwnd;
    uint64_t epoch = fake_cubic(&b)->epoch_start;
    b.c.cwnd_limited = 0;
    for (int i = 1; i <= 100; i++)
        fake_ack(&b, 1000, tb + (viv_time_t)i * VIV_MS(100));
    assert_int_equal(b.c.cwnd, held);
    assert_int_equal(fake_cubic(&b)->epoch_start, epoch + 10 * SEC);
    tb += 10 * SEC;
    b.c.cwnd_limited = 1;
    for (int r = 0; r < 60; r++) {
        fake_round(&a, &ta, VIV_MS(100));
        fake_round(&b, &tb, VIV_MS(100));
        assert_int_equal(a.c.cwnd, b.c.cwnd);
    }
    assert_true(a.c.cwnd > 100000);
}

/* A timeout: ssthresh = 0.7 cwnd, cwnd one segment, slow start back to ssthresh, then a stage
 * with W_max = cwnd_epoch, K = 0, W_est = cwnd_epoch: convex growth from its start. */
static void test_cubic__timeout_reset(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    viv__cubic *s = fake_cubic(&f);
    for (int r = 0; r < 20; r++)
        fake_round(&f, &t, VIV_MS(100));
    assert_int_equal(f.c.cwnd, 95603);
    fake_timeout(&f, t + SEC);
    assert_int_equal(f.c.ssthresh, 66922); /* 95603 * 0.7 */
    assert_int_equal(f.c.cwnd, 1000);
    assert_int_equal(s->in_epoch, 0);
    assert_int_equal(s->w_max, 0);
    assert_int_equal(s->cwnd_prior, 95603);
    t += SEC;
    while (f.c.cwnd < f.c.ssthresh) {
        fake_round(&f, &t, VIV_MS(100));
        if (f.c.cwnd < f.c.ssthresh)
            assert_int_equal(s->in_epoch, 0);
    }
    /* The round that reached ssthresh gave its last ACKs to congestion avoidance. */
    assert_int_equal(s->in_epoch, 1);
    assert_int_equal(s->cwnd_epoch, 66922);
    assert_int_equal(s->w_max, 66922);
    assert_int_equal(s->k_ns, 0);
    assert_true(f.c.cwnd > 66922);
    /* W_cubic is convex from the stage's start: W_max + 0.4 SMSS t^3. */
    assert_int_equal(viv__cubic_window(s, SEC, 1000), 66922 + 400);
    assert_int_equal(viv__cubic_window(s, 2 * SEC, 1000), 66922 + 3200);
    /* At SRTT 100 ms Reno's estimate leads at first (alpha_cubic = 9/17: about half a
     * segment per round trip) and cwnd is W_est, until W_cubic catches up at t = 3.6 s;
     * from then on the rounds grow faster and faster and cwnd follows W_cubic(t + RTT). */
    uint32_t prev = f.c.cwnd, step = 0;
    for (int r = 0; r < 50; r++) {
        fake_round(&f, &t, VIV_MS(100));
        uint64_t wc = viv__cubic_window(s, t - s->epoch_start, 1000);
        if (r < 34) {
            assert_int_equal(f.c.cwnd, s->w_est_q16 >> 16);
            assert_in_range(f.c.cwnd - prev, 500, 530);
            assert_true(wc < f.c.cwnd);
        } else if (r >= 36) {
            assert_true(f.c.cwnd - prev > step);
            assert_in_range(f.c.cwnd, wc, wc + 100);
        }
        step = f.c.cwnd - prev;
        prev = f.c.cwnd;
    }
    assert_int_equal(f.c.cwnd, 119859);
}

/* An idle restart moves the epoch start forward by the idle time, and slow start back up to
 * ssthresh does not count either: the cubic curve resumes where it was. */
static void test_cubic__idle_restart(void **state)
{
    (void)state;
    fake f;
    viv_time_t t;
    cubic_after_loss(&f, &t);
    viv__cubic *s = fake_cubic(&f);
    for (int r = 0; r < 10; r++)
        fake_round(&f, &t, VIV_MS(100));
    uint64_t epoch = s->epoch_start;
    uint64_t elapsed = t - epoch;
    uint32_t before = f.c.cwnd;
    /* Idle for 30 s, then sending resumes: TCP cut cwnd to the restart window. */
    t += 30 * SEC;
    f.c.now = t;
    f.c.cwnd = 10000;
    fake_event(&f, VIV_TCP_CC_EV_IDLE_RESTART);
    assert_int_equal(s->epoch_start, epoch + 30 * SEC);
    assert_int_equal(t - s->epoch_start, elapsed);
    /* Slow start to ssthresh (70000): 3 rounds; that time is not growth time either. */
    int rounds = 0;
    while (f.c.cwnd < f.c.ssthresh) {
        fake_round(&f, &t, VIV_MS(100));
        rounds++;
    }
    assert_int_equal(rounds, 3);
    assert_true(t - s->epoch_start <= elapsed + VIV_MS(100));
    /* W_est, W_max and K were kept; cwnd climbs back towards the curve, at most slow start's
     * pace (W_est was 75722 before the idle period). */
    assert_int_equal(s->k_ns, UINT64_C(4217163085));
    assert_int_equal(s->w_max, 100000);
    fake_round(&f, &t, VIV_MS(100));
    assert_true(f.c.cwnd <= before + before / 2);
    for (int r = 0; r < 3; r++)
        fake_round(&f, &t, VIV_MS(100));
    /* Back on the curve where it was: 1.4 s of growth time (1.0 s before the idle period, the
     * rest since slow start ended), cwnd between its old value and W_cubic(t + RTT). */
    uint64_t grown = t - s->epoch_start;
    assert_in_range(grown, elapsed + 4 * VIV_MS(100), elapsed + 5 * VIV_MS(100));
    assert_in_range(f.c.cwnd, before, viv__cubic_window(s, grown + VIV_MS(100), 1000));
    assert_int_equal(f.c.cwnd, 90936);
    /* Without the shift W_cubic(31 s) would be far above W_max and cwnd would have raced to
     * 1.5x per round trip. */
    assert_true(viv__cubic_window(s, t - epoch, 1000) > 1000000);
}

/* Windows near 2^32, one-byte and jumbo segments, huge ACKs, RTTs and times: no overflow
 * (the ubsan-clang preset checks implicit conversions too), cwnd never wraps. */
static void test_cubic__huge_windows(void **state)
{
    (void)state;
    static const uint32_t msss[] = {1, 536, 1448, 65535, UINT32_MAX / 2, UINT32_MAX};
    for (size_t m = 0; m < sizeof msss / sizeof msss[0]; m++) {
        fake f;
        fake_init(&f, &viv_tcp_cc_cubic, msss[m], UINT32_MAX - 7);
        f.c.srtt_ns = UINT64_MAX / 2;
        viv_time_t t = UINT64_MAX / 4;
        fake_ack(&f, UINT32_MAX, t); /* slow start to the top */
        assert_int_equal(f.c.cwnd, UINT32_MAX - 7 + (msss[m] < 7 ? msss[m] : 7));
        f.c.cwnd = UINT32_MAX;
        fake_loss(&f, t);
        uint64_t ss = (uint64_t)UINT32_MAX * 7 / 10;
        if (ss < 2 * (uint64_t)msss[m])
            ss = 2 * (uint64_t)msss[m] > UINT32_MAX ? UINT32_MAX : 2 * (uint64_t)msss[m];
        assert_int_equal(f.c.ssthresh, (uint32_t)ss);
        fake_recovered(&f, t);
        uint32_t prev = f.c.cwnd;
        for (int i = 0; i < 50; i++) {
            t += (viv_time_t)i * i * i * SEC;
            fake_ack(&f, i & 1 ? UINT32_MAX : msss[m], t);
            assert_true(f.c.cwnd >= prev);
            prev = f.c.cwnd;
        }
        /* A timeout at the top and a stage from there. */
        fake_timeout(&f, t);
        f.c.cwnd = UINT32_MAX - 1;
        fake_ack(&f, UINT32_MAX, t + 1);
        fake_ack(&f, UINT32_MAX, UINT64_MAX);
        assert_int_equal(f.c.cwnd, UINT32_MAX);
    }
    /* The clock going backwards, SMSS 0 and cwnd 0 (nonsense): no division by zero. */
    fake g;
    fake_init(&g, &viv_tcp_cc_cubic, 0, 0);
    g.c.ssthresh = 0;
    fake_ack(&g, 1000, 5 * SEC);
    fake_ack(&g, 1000, SEC);
    fake_event(&g, VIV_TCP_CC_EV_IDLE_RESTART);
    assert_true(g.c.cwnd <= 2000);
    /* With no private state it still grows, as NewReno. */
    viv_tcp_cc_conn c = {0};
    c.cwnd = 1000;
    c.mss = 1000;
    c.ssthresh = UINT32_MAX;
    c.cwnd_limited = 1;
    viv_tcp_cc_cubic.on_ack(&c, 1000, 0);
    assert_int_equal(c.cwnd, 2000);
    assert_int_equal(viv_tcp_cc_cubic.ssthresh(&c), 2000);
    viv_tcp_cc_cubic.on_event(&c, VIV_TCP_CC_EV_TIMEOUT);
}

/* ---- NewReno -------------------------------------------------------------------------- */

/* Slow start per ACK (RFC 5681 3.1: cwnd += min(N, SMSS)), never past ssthresh, the rest of
 * the ACK going to congestion avoidance. */
static void test_newreno__slow_start(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, &viv_tcp_cc_newreno, 1000, 10000);
    f.c.ssthresh = 13900;
    fake_ack(&f, 1000, 1);
    assert_int_equal(f.c.cwnd, 11000);
    fake_ack(&f, 3000, 2); /* a stretch ACK: still one SMSS */
    assert_int_equal(f.c.cwnd, 12000);
    fake_ack(&f, 400, 3);
    assert_int_equal(f.c.cwnd, 12400);
    fake_ack(&f, 1000, 4);
    assert_int_equal(f.c.cwnd, 13400);
    assert_int_equal(f.c.ca_acked, 0); /* nothing counted towards avoidance yet */
    fake_ack(&f, 2000, 5);             /* 500 to ssthresh, 1500 counted towards avoidance */
    assert_int_equal(f.c.cwnd, 13900);
    assert_int_equal(f.c.ca_acked, 1500);
    /* Doubling per round trip: 10 segments, 10 ACKs, 20 segments. */
    fake g;
    fake_init(&g, &viv_tcp_cc_newreno, 1000, 10000);
    viv_time_t t = 0;
    fake_round(&g, &t, VIV_MS(10));
    assert_int_equal(g.c.cwnd, 20000);
    fake_round(&g, &t, VIV_MS(10));
    assert_int_equal(g.c.cwnd, 40000);
    /* No growth when the window did not limit the sender (RFC 7661). */
    g.c.cwnd_limited = 0;
    fake_round(&g, &t, VIV_MS(10));
    assert_int_equal(g.c.cwnd, 40000);
}

/* Congestion avoidance by byte counting: one SMSS per cwnd bytes acknowledged, whatever the
 * ACKs' sizes (delayed ACKs grow it as fast). */
static void test_newreno__avoidance_byte_counting(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, &viv_tcp_cc_newreno, 1000, 10000);
    f.c.ssthresh = 10000;
    for (int i = 0; i < 9; i++)
        fake_ack(&f, 1000, (viv_time_t)i + 1);
    assert_int_equal(f.c.cwnd, 10000);
    assert_int_equal(f.c.ca_acked, 9000);
    fake_ack(&f, 1000, 10);
    assert_int_equal(f.c.cwnd, 11000);
    assert_int_equal(f.c.ca_acked, 0);
    /* Delayed ACKs of two segments: 11000 bytes in 5.5 ACKs. */
    for (int i = 0; i < 5; i++)
        fake_ack(&f, 2000, (viv_time_t)i + 11);
    assert_int_equal(f.c.cwnd, 11000);
    fake_ack(&f, 2000, 16);
    assert_int_equal(f.c.cwnd, 12000);
    assert_int_equal(f.c.ca_acked, 1000);
    /* Per round trip: one segment, 10 rounds, 10 segments. */
    viv_time_t t = 100;
    f.c.ca_acked = 0;
    for (int r = 0; r < 10; r++)
        fake_round(&f, &t, VIV_MS(10));
    assert_int_equal(f.c.cwnd, 22000);
    /* A huge ACK grows cwnd by one segment at most. */
    fake_ack(&f, 1000000, t + 1);
    assert_int_equal(f.c.cwnd, 23000);
    assert_int_equal(f.c.ca_acked, 0);
    /* Not window-limited: nothing, not even counting. */
    f.c.cwnd_limited = 0;
    fake_ack(&f, 50000, t + 2);
    assert_int_equal(f.c.cwnd, 23000);
    assert_int_equal(f.c.ca_acked, 0);
    /* At the top of the range cwnd stops rather than wraps. */
    f.c.cwnd_limited = 1;
    f.c.cwnd = UINT32_MAX - 10;
    f.c.ca_acked = UINT32_MAX - 11;
    fake_ack(&f, 5, t + 3);
    assert_int_equal(f.c.cwnd, UINT32_MAX - 10);
}

/* ssthresh = max(FlightSize / 2, 2 SMSS) (RFC 5681 (4), RFC 6582 3.2 (2)): from what is in
 * flight, not cwnd; the loss and the events restart byte counting. */
static void test_newreno__ssthresh(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, &viv_tcp_cc_newreno, 1000, 40000);
    f.c.in_flight = 30000;
    assert_int_equal(viv_tcp_cc_newreno.ssthresh(&f.c), 15000);
    f.c.in_flight = 30001;
    assert_int_equal(viv_tcp_cc_newreno.ssthresh(&f.c), 15000);
    f.c.in_flight = 3000; /* an application-limited sender */
    assert_int_equal(viv_tcp_cc_newreno.ssthresh(&f.c), 2000);
    f.c.in_flight = 0;
    assert_int_equal(viv_tcp_cc_newreno.ssthresh(&f.c), 2000);
    f.c.in_flight = UINT32_MAX;
    assert_int_equal(viv_tcp_cc_newreno.ssthresh(&f.c), UINT32_MAX / 2);
    /* A loss then recovery as TCP runs it: cwnd = ssthresh, then avoidance from there. */
    f.c.in_flight = 40000;
    f.c.ca_acked = 777;
    fake_loss(&f, SEC);
    assert_int_equal(f.c.ssthresh, 20000);
    assert_int_equal(f.c.cwnd, 20000);
    assert_int_equal(f.c.ca_acked, 0);
    fake_recovered(&f, 2 * SEC);
    viv_time_t t = 2 * SEC;
    fake_round(&f, &t, VIV_MS(10));
    assert_int_equal(f.c.cwnd, 21000);
    /* A timeout: ssthresh from the flight, cwnd one segment, slow start again. */
    f.c.in_flight = 21000;
    fake_timeout(&f, 3 * SEC);
    assert_int_equal(f.c.ssthresh, 10500);
    assert_int_equal(f.c.cwnd, 1000);
    t = 3 * SEC;
    fake_round(&f, &t, VIV_MS(10));
    assert_int_equal(f.c.cwnd, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cubic__table_and_find),
        cmocka_unit_test(test_cubic__cbrt_and_k),
        cmocka_unit_test(test_cubic__loss_to_beta),
        cmocka_unit_test(test_cubic__window_function),
        cmocka_unit_test(test_cubic__concave_then_convex),
        cmocka_unit_test(test_cubic__reno_friendly_region),
        cmocka_unit_test(test_cubic__target_and_rtt),
        cmocka_unit_test(test_cubic__fast_convergence),
        cmocka_unit_test(test_cubic__slow_start_as_newreno),
        cmocka_unit_test(test_cubic__app_limited),
        cmocka_unit_test(test_cubic__timeout_reset),
        cmocka_unit_test(test_cubic__idle_restart),
        cmocka_unit_test(test_cubic__huge_windows),
        cmocka_unit_test(test_newreno__slow_start),
        cmocka_unit_test(test_newreno__avoidance_byte_counting),
        cmocka_unit_test(test_newreno__ssthresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
