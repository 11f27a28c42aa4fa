/* Random streams: the documented algorithm, independence of streams, distributions, ln. */
#include "viv_test.h"

#include <math.h>
#include <string.h>

static void test_rng__matches_the_documented_algorithm(void **state)
{
    (void)state;
    /* Expected values computed by an independent implementation of the algorithm described
     * in vivarium/rng.h (SplitMix64 seeding, xoshiro256**). */
    viv_rng_t r;
    viv_rng_init(&r, 0, 0);
    assert_true(viv_rng_u64(&r) == UINT64_C(0xb1e43b668ef58e12));
    assert_true(viv_rng_u64(&r) == UINT64_C(0x2ca65d15b8c1a1a6));
    assert_true(viv_rng_u64(&r) == UINT64_C(0xbf52f308e92b1acd));
    viv_rng_init(&r, 42, 7);
    assert_true(viv_rng_u64(&r) == UINT64_C(0xfca640a5c7efea9d));
    assert_true(viv_rng_u64(&r) == UINT64_C(0x6a5aca38711db663));
    assert_true(viv_rng_u64(&r) == UINT64_C(0xd438e11a9bbc41d7));
}

static void test_rng__streams_depend_on_seed_and_stream_only(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state); /* seed 1 */
    viv_rng_t a, b, c, d;
    assert_int_equal(viv_sim_rng(&a, sim, 5), 0);
    viv_rng_init(&b, 1, 5);
    viv_rng_init(&c, 1, 6);
    viv_rng_init(&d, 2, 5);
    for (int i = 0; i < 100; i++) {
        uint64_t x = viv_rng_u64(&a);
        assert_true(x == viv_rng_u64(&b));
        assert_true(x != viv_rng_u64(&c));
        assert_true(x != viv_rng_u64(&d));
    }
    assert_int_equal(viv_sim_rng(NULL, sim, 1), VIV_EINVAL);
    assert_int_equal(viv_sim_rng(&a, NULL, 1), VIV_EINVAL);
}

static void test_rng__uniform_and_below_are_in_range_and_unbiased(void **state)
{
    (void)state;
    viv_rng_t r;
    viv_rng_init(&r, 3, 3);
    enum { N = 200000, K = 10 };
    unsigned counts[K] = {0};
    double sum = 0;
    for (int i = 0; i < N; i++) {
        double u = viv_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        uint64_t k = viv_rng_below(&r, K);
        assert_true(k < K);
        counts[k]++;
    }
    assert_true(fabs(sum / N - 0.5) < 0.005);
    /* Chi-square with 9 degrees of freedom: 27.88 is the 0.1% critical value. */
    double chi = 0, expect = (double)N / K;
    for (int k = 0; k < K; k++)
        chi += (counts[k] - expect) * (counts[k] - expect) / expect;
    assert_true(chi < 27.88);
    assert_int_equal(viv_rng_below(&r, 0), 0);
    assert_int_equal(viv_rng_below(&r, 1), 0);
}

static void test_rng__exponential_mean_and_ln_accuracy(void **state)
{
    (void)state;
    viv_rng_t r;
    viv_rng_init(&r, 9, 1);
    enum { N = 200000 };
    double sum = 0;
    for (int i = 0; i < N; i++) {
        double x = viv_rng_exp(&r, 1000.0);
        assert_true(x >= 0);
        sum += x;
    }
    /* Standard error of the mean is 1000/sqrt(N) = 2.2; allow 5 of them. */
    assert_true(fabs(sum / N - 1000.0) < 11.2);
    assert_true(viv_rng_exp(&r, 0) == 0);
    assert_true(viv_rng_exp(&r, -1) == 0);

    /* viv_ln agrees with the C library's log to within 2 units in the last place. */
    viv_rng_init(&r, 1, 2);
    for (int i = 0; i < 100000; i++) {
        double x = ldexp(viv_rng_uniform(&r) + 0.5, (int)viv_rng_below(&r, 200) - 100);
        double a = viv_ln(x), b = log(x);
        assert_true(fabs(a - b) <= 2 * fabs(nextafter(b, 0) - b) + 1e-300);
    }
    assert_true(viv_ln(1.0) == 0.0);
    assert_true(fabs(viv_ln(2.718281828459045) - 1.0) < 1e-15);
    assert_true(isinf(viv_ln(0.0)) && viv_ln(0.0) < 0);
    assert_true(isnan(viv_ln(-1.0)));
    assert_true(fabs(viv_ln(4.9406564584124654e-324) - log(4.9406564584124654e-324)) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_rng__matches_the_documented_algorithm),
        T(test_rng__streams_depend_on_seed_and_stream_only),
        T(test_rng__uniform_and_below_are_in_range_and_unbiased),
        T(test_rng__exponential_mean_and_ln_accuracy),
#undef T
    };
    return cmocka_run_group_tests_name("core/rng", tests, NULL, NULL);
}
