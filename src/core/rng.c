/* Random streams: xoshiro256** seeded by SplitMix64, and a libm-free natural logarithm so
 * that exponential draws are bit-identical everywhere. The algorithm is specified in
 * include/vivarium/rng.h; keep the two in agreement. */
#include <math.h>
#include <string.h>

#include "core.h"

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t splitmix_mix(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xbf58476d1ce4e5b9);
    z ^= z >> 27;
    z *= UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return z;
}

void viv_rng_init(viv_rng_t *out, uint64_t seed, uint64_t stream)
{
    if (!out)
        return;
    uint64_t g = seed ^ splitmix_mix(stream ^ UINT64_C(0x5851f42d4c957f2d));
    for (int i = 0; i < 4; i++) {
        g += UINT64_C(0x9e3779b97f4a7c15);
        out->s[i] = splitmix_mix(g);
    }
    if ((out->s[0] | out->s[1] | out->s[2] | out->s[3]) == 0)
        out->s[0] = 1; /* the one state xoshiro cannot leave */
}

int viv_sim_rng(viv_rng_t *out, const viv_sim_t *sim, uint64_t stream)
{
    if (!out || !sim)
        return viv__err((viv_sim_t *)sim, VIV_EINVAL, "viv_sim_rng: NULL argument");
    viv_rng_init(out, sim->seed, stream);
    return 0;
}

void viv__rng_component(viv_rng_t *out, const viv_sim_t *sim, uint32_t kind, uint64_t id,
                        uint32_t sub)
{
    uint64_t stream = VIV_RNG_STREAM_LIBRARY | (uint64_t)kind << 56 | (uint64_t)sub << 40 |
                      (id & ((UINT64_C(1) << 40) - 1));
    viv_rng_init(out, sim->seed, stream);
}

uint64_t viv_rng_u64(viv_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double viv_rng_uniform(viv_rng_t *r)
{
    return (double)(viv_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t viv_rng_below(viv_rng_t *r, uint64_t bound)
{
    if (bound == 0)
        return 0;
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t x = viv_rng_u64(r);
        if (x >= threshold)
            return x % bound;
    }
}

/* ln(x) = k ln 2 + ln(m) with m in [sqrt(2)/2, sqrt(2)); ln(m) = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| < 0.1716, summed as an odd series to s^23. Only IEEE-754
 * basic operations, so every conforming machine gets the same bits (the build turns off
 * floating-point contraction so no compiler fuses them). */
double viv_ln(double x)
{
    static const double ln2_hi = 6.93147180369123816490e-01;
    static const double ln2_lo = 1.90821492927058770002e-10;
    if (!(x > 0)) {
        if (x == 0)
            return -HUGE_VAL;
        return (x - x) / (x - x); /* NaN for negative or NaN */
    }
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int k = 0;
    if ((bits >> 52) == 0) { /* subnormal: scale into the normal range */
        x *= 18014398509481984.0; /* 2^54 */
        memcpy(&bits, &x, sizeof bits);
        k = -54;
    }
    int exp = (int)((bits >> 52) & 0x7ff);
    if (exp == 0x7ff)
        return x; /* +inf */
    k += exp - 1023;
    bits = (bits & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356237309504880) {
        m *= 0.5;
        k++;
    }
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double series = 1.0 / 23;
    series = 1.0 / 21 + z * series;
    series = 1.0 / 19 + z * series;
    series = 1.0 / 17 + z * series;
    series = 1.0 / 15 + z * series;
    series = 1.0 / 13 + z * series;
    series = 1.0 / 11 + z * series;
    series = 1.0 / 9 + z * series;
    series = 1.0 / 7 + z * series;
    series = 1.0 / 5 + z * series;
    series = 1.0 / 3 + z * series;
    double two_s = 2.0 * s;
    double r = two_s * z * series;
    double dk = (double)k;
    return dk * ln2_hi + (two_s + (r + dk * ln2_lo));
}

double viv_rng_exp(viv_rng_t *r, double mean)
{
    if (!(mean > 0))
        return 0;
    return -mean * viv_ln(1.0 - viv_rng_uniform(r));
}
