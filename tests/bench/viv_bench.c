/* viv_bench: vivarium's benchmark program, run on demand (docs/performance.md).
 *
 * Usage: viv_bench MODE [options]. Each mode is one row of the table `modes` below: a name,
 * a one-line usage and a function that parses its own options, runs the workload through the
 * public API only, and prints exactly one line of key=value pairs on stdout. To add a mode,
 * write its function and add a row.
 *
 * Unlike the library, a benchmark may read the wall clock (CLOCK_MONOTONIC) and the process's
 * peak memory (getrusage). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <vivarium.h>

/* ---- helpers shared by the modes ------------------------------------------------------- */

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* Parse an unsigned decimal option value; on error print a message and return -1. */
static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        fprintf(stderr, "viv_bench: %s wants an unsigned integer, not '%s'\n", opt, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* An option table entry: name and where its value goes. */
typedef struct bench_opt {
    const char *name;
    uint64_t *value;
    int required;
    int seen;
} bench_opt;

/* Parse "--name value" pairs into opts (terminated by a NULL name). Returns 0 or -1. */
static int parse_opts(int argc, char **argv, bench_opt *opts)
{
    for (int i = 0; i < argc; i++) {
        bench_opt *o = opts;
        while (o->name && strcmp(o->name, argv[i]) != 0)
            o++;
        if (!o->name) {
            fprintf(stderr, "viv_bench: unknown option '%s'\n", argv[i]);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "viv_bench: %s wants a value\n", argv[i]);
            return -1;
        }
        if (parse_u64(o->name, argv[++i], o->value) < 0)
            return -1;
        o->seen = 1;
    }
    for (bench_opt *o = opts; o->name; o++) {
        if (o->required && !o->seen) {
            fprintf(stderr, "viv_bench: %s is required\n", o->name);
            return -1;
        }
    }
    return 0;
}

/* ---- hold: the classic hold model of event-queue benchmarks ---------------------------- */

/* N events are kept pending; each executed event schedules one new event at now + Exp(mean
 * 1 ms) from the program's random stream, rounded to integer nanoseconds. After the fill, E
 * events run; the E-th schedules nothing and stops the run (as ns-3's s1_hold does). */
typedef struct hold_state {
    viv_rng_t rng;
    uint64_t target; /* events to run after the fill */
    uint64_t ran;
    int failed;
} hold_state;

#define HOLD_MEAN_NS 1e6

static viv_time_t hold_delay(hold_state *h)
{
    return (viv_time_t)(viv_rng_exp(&h->rng, HOLD_MEAN_NS) + 0.5);
}

static void hold_event(viv_sim_t *sim, void *user)
{
    hold_state *h = user;
    if (++h->ran >= h->target) {
        viv_sim_stop(sim);
        return;
    }
    if (viv_sim_schedule_after(NULL, sim, hold_delay(h), hold_event, h) < 0) {
        h->failed = 1;
        viv_sim_stop(sim);
    }
}

static int mode_hold(int argc, char **argv)
{
    uint64_t pending = 0, events = 0, seed = 1;
    bench_opt opts[] = {
        {"--pending", &pending, 1, 0},
        {"--events", &events, 1, 0},
        {"--seed", &seed, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0)
        return 2;
    if (pending == 0 || events == 0) {
        fprintf(stderr, "viv_bench hold: --pending and --events must be positive\n");
        return 2;
    }

    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0) {
        fprintf(stderr, "viv_bench hold: out of memory\n");
        return 1;
    }
    hold_state h;
    memset(&h, 0, sizeof h);
    h.target = events;
    viv_sim_rng(&h.rng, sim, 1);
    for (uint64_t i = 0; i < pending; i++) {
        if (viv_sim_schedule_after(NULL, sim, hold_delay(&h), hold_event, &h) < 0) {
            fprintf(stderr, "viv_bench hold: %s\n", viv_sim_errmsg(sim));
            viv_sim_free(sim);
            return 1;
        }
    }

    double t0 = wall_seconds();
    int rc = viv_sim_run(sim);
    double secs = wall_seconds() - t0;
    if (rc < 0 || h.failed || h.ran != events) {
        fprintf(stderr, "viv_bench hold: run failed after %llu events: %s\n",
                (unsigned long long)h.ran, viv_sim_errmsg(sim));
        viv_sim_free(sim);
        return 1;
    }
    printf("mode=hold pending=%llu events=%llu sim_end_ns=%llu seconds=%.4f "
           "events_per_sec=%.0f peak_rss_kb=%ld\n",
           (unsigned long long)pending, (unsigned long long)events,
           (unsigned long long)viv_sim_now(sim), secs, (double)events / secs, peak_rss_kb());
    viv_sim_free(sim);
    return 0;
}

/* ---- the table of modes ---------------------------------------------------------------- */

typedef struct bench_mode {
    const char *name;
    const char *usage;
    int (*run)(int argc, char **argv); /* the arguments after the mode name */
} bench_mode;

static const bench_mode modes[] = {
    {"hold", "hold --pending N --events E [--seed S]", mode_hold},
};

static int usage(void)
{
    fprintf(stderr, "usage: viv_bench MODE [options]; modes:\n");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        fprintf(stderr, "  viv_bench %s\n", modes[i].usage);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            return modes[i].run(argc - 2, argv + 2);
    fprintf(stderr, "viv_bench: unknown mode '%s'\n", argv[1]);
    return usage();
}
