/* quickstart: the scheduler and a random stream, the two things every vivarium world runs on.
 *
 * Packets arrive at random (a Poisson process, one every 10 ms on average) and a report runs
 * once per simulated second. Run it twice with the same seed (the first argument, 42 when
 * absent) and it prints the same lines and the same fingerprint; change the seed and the
 * arrivals change. README.md shows this file from its first #include to its end. */
#include <stdio.h>
#include <stdlib.h>
#include <vivarium.h>

typedef struct {
    viv_rng_t rng;
    unsigned arrivals;
} source_t;

static void arrive(viv_sim_t *sim, void *user)
{
    source_t *src = user;
    src->arrivals++;
    /* The gap to the next arrival is exponential with a mean of 10 ms (in nanoseconds). */
    viv_sim_schedule_after(NULL, sim, (viv_time_t)viv_rng_exp(&src->rng, 10e6), arrive, src);
}

static void report(viv_sim_t *sim, void *user)
{
    const source_t *src = user;
    printf("t = %llu s: %u arrivals\n", (unsigned long long)(viv_sim_now(sim) / VIV_S(1)),
           src->arrivals);
    viv_sim_schedule_after(NULL, sim, VIV_S(1), report, user);
}

int main(int argc, char **argv)
{
    viv_sim_opts opts = VIV_SIM_OPTS_INIT;
    viv_sim_t *sim;
    source_t src = {0};
    opts.seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 42;
    if (viv_sim_new(&sim, &opts) < 0)
        return 1;
    viv_sim_rng(&src.rng, sim, 1); /* stream 1 of this seed: our own, the library's are apart */
    viv_sim_schedule_after(NULL, sim, 0, arrive, &src);
    viv_sim_schedule_after(NULL, sim, VIV_S(1), report, &src);
    viv_sim_run_until(sim, VIV_S(5));
    printf("seed %llu: %u arrivals in 5 s (500 expected), %llu events, fingerprint %016llx\n",
           (unsigned long long)opts.seed, src.arrivals,
           (unsigned long long)viv_sim_events(sim), (unsigned long long)viv_sim_fingerprint(sim));
    viv_sim_free(sim);
    return 0;
}
