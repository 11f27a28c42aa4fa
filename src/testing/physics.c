/* Expected times from the physics (the links' own serialisation formula, viv__link_ser_time),
 * fingerprint checks, and running a scenario twice, in two threads where the C library has
 * POSIX threads built in (VIV_KIT_PTHREAD, set by sources.cmake), so that the library's link
 * line never grows a thread library. */
#include <string.h>

#include "kit.h"

#if defined(VIV_KIT_PTHREAD)
#include <pthread.h>
#endif

viv_time_t viv_link_ser_time(const viv_link_t *link, viv_link_dir dir, uint32_t frame_len)
{
    viv_link_params p;
    if (!link || (dir != VIV_LINK_AB && dir != VIV_LINK_BA) ||
        viv_link_params_get(&p, link, dir) < 0)
        return VIV_TIME_NEVER;
    return viv__link_ser_time(&p, frame_len);
}

viv_time_t viv_link_one_way(const viv_link_t *link, viv_link_dir dir, uint32_t frame_len)
{
    viv_link_params p;
    if (!link || (dir != VIV_LINK_AB && dir != VIV_LINK_BA) ||
        viv_link_params_get(&p, link, dir) < 0)
        return VIV_TIME_NEVER;
    return viv__time_add(viv__link_ser_time(&p, frame_len), p.delay_ns);
}

viv_time_t viv_path_one_way(const viv_hop *hops, size_t n, uint32_t frame_len)
{
    if (!hops && n)
        return VIV_TIME_NEVER;
    viv_time_t t = 0;
    for (size_t i = 0; i < n; i++) {
        viv_time_t h = viv_link_one_way(hops[i].link, hops[i].dir, frame_len);
        if (h == VIV_TIME_NEVER)
            return VIV_TIME_NEVER;
        t = viv__time_add(t, h);
    }
    return t;
}

/* ---- fingerprints -----------------------------------------------------------------------------
 */

int viv_fingerprint_check(const viv_sim_t *sim, uint64_t expected, char *report, size_t cap)
{
    if (!sim || (!report && cap))
        return VIV_EINVAL;
    viv__sb sb;
    viv__sb_init(&sb, report, cap);
    uint64_t fp = viv_sim_fingerprint(sim);
    if (fp == expected)
        return 0;
    viv__sb_printf(&sb, "fingerprint 0x%016llx, expected 0x%016llx (simulated time ",
                   (unsigned long long)fp, (unsigned long long)expected);
    viv__kit_time_abs(&sb, viv_sim_now(sim));
    viv__sb_printf(&sb, ", %llu events)", (unsigned long long)viv_sim_events(sim));
    return VIV_CHECK_FAILED;
}

typedef struct run_arg {
    viv_scenario_fn fn;
    void *user;
    viv_repeat_opts o;
    int run;
    viv_run_summary sum;
} run_arg;

static void run_one(run_arg *a)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = a->o.seed;
    so.alloc = a->o.alloc;
    so.alloc_ud = a->o.alloc_ud[a->run];
    viv_sim_t *sim = NULL;
    memset(&a->sum, 0, sizeof a->sum);
    int rc = viv_sim_new(&sim, &so);
    if (rc < 0) {
        a->sum.rc = rc;
        return;
    }
    a->sum.rc = a->fn(sim, a->run, a->user);
    a->sum.fingerprint = viv_sim_fingerprint(sim);
    a->sum.events = viv_sim_events(sim);
    a->sum.now = viv_sim_now(sim);
    viv_sim_free(sim);
}

#if defined(VIV_KIT_PTHREAD)
static void *run_thread(void *p)
{
    run_one(p);
    return NULL;
}
#endif

/* Run both, at the same time if asked and possible; returns 1 if threads were used. */
static int run_both(run_arg a[2], int threads)
{
#if defined(VIV_KIT_PTHREAD)
    if (threads) {
        pthread_t t[2];
        int started = 0;
        for (int k = 0; k < 2; k++) {
            if (pthread_create(&t[k], NULL, run_thread, &a[k]) != 0)
                break;
            started++;
        }
        for (int k = 0; k < started; k++)
            pthread_join(t[k], NULL);
        if (started == 2)
            return 1;
        for (int k = started; k < 2; k++) /* a thread could not start: run here */
            run_one(&a[k]);
        return 0;
    }
#else
    (void)threads;
#endif
    run_one(&a[0]);
    run_one(&a[1]);
    return 0;
}

int viv_scenario_repeat(viv_repeat_result *out, viv_scenario_fn fn, void *user,
                        const viv_repeat_opts *opts, char *report, size_t cap)
{
    if (!fn || (!report && cap))
        return VIV_EINVAL;
    run_arg a[2];
    memset(a, 0, sizeof a);
    for (int k = 0; k < 2; k++) {
        a[k].fn = fn;
        a[k].user = user;
        if (opts)
            a[k].o = *opts;
        a[k].run = k;
    }
    int threaded = run_both(a, opts && opts->threads);
    if (out) {
        out->run[0] = a[0].sum;
        out->run[1] = a[1].sum;
        out->threaded = threaded;
    }
    viv__sb sb;
    viv__sb_init(&sb, report, cap);
    const viv_run_summary *s0 = &a[0].sum, *s1 = &a[1].sum;
    int same = s0->fingerprint == s1->fingerprint && s0->events == s1->events && s0->now == s1->now;
    if (same && s0->rc == 0 && s1->rc == 0)
        return 0;
    viv__sb_printf(&sb, "%s (%s)\n",
                   !same ? "the two runs differ" : "the scenario returned an error",
                   threaded ? "in two threads" : "one after the other");
    for (int k = 0; k < 2; k++) {
        const viv_run_summary *s = &a[k].sum;
        viv__sb_printf(&sb, "  run %d: returned %d, fingerprint 0x%016llx, %llu events, clock ", k,
                       s->rc, (unsigned long long)s->fingerprint, (unsigned long long)s->events);
        viv__kit_time_abs(&sb, s->now);
        viv__sb_printf(&sb, "\n");
    }
    return VIV_CHECK_FAILED;
}
