/* viv_bench rearm: one connection-like object re-arms its retransmission timer on every ACK
 * (an ACK every --gap-ns, a --rto-ns timeout), the way TCP does. It shows what re-arming
 * costs the event queue: its length stays at a few entries whatever the rate, where lazy
 * cancellation used to leave every cancelled slot queued until its time (about 16,000 dead
 * slots and 850 KB for an ACK every 12 us and a 200 ms RTO).
 *
 * --method timer: the library's deadline timer (viv__timer, core.h): a deadline moved later
 * costs no queue operation. --method cancel: what a program does with the public API:
 * viv_sim_cancel() then viv_sim_schedule_after() on every ACK (one removal and one push).
 *
 * This mode reaches into the library's internals (the timer, the queue's length), so it is
 * the one mode not written against the public API alone. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <vivarium.h>

#include "core/core.h"

typedef struct conn {
    viv_sim_t *sim;
    viv__timer rto;       /* --method timer */
    viv_event_id rto_ev;  /* --method cancel */
    int use_timer;
    uint64_t acks, left;
    viv_time_t gap, rto_ns;
    size_t max_queue;
    uint64_t fired;
} conn;

static void rto_fired(viv__timer *t)
{
    conn *c = (conn *)((char *)t - offsetof(conn, rto));
    c->fired++;
}

static void rto_event(viv_sim_t *sim, void *user)
{
    (void)sim;
    ((conn *)user)->fired++;
}

static void ack(viv_sim_t *sim, void *user)
{
    conn *c = user;
    c->acks++;
    viv_time_t at = viv_sim_now(sim) + c->rto_ns;
    if (c->use_timer) {
        viv__timer_set(&c->rto, at);
    } else {
        viv_sim_cancel(sim, c->rto_ev);
        viv_sim_schedule_at(&c->rto_ev, sim, at, rto_event, c);
    }
    if (--c->left > 0)
        viv_sim_schedule_after(NULL, sim, c->gap, ack, c);
    size_t q = viv__sched_len(&sim->q); /* the timer's entry and the next ACK, at best */
    if (q > c->max_queue)
        c->max_queue = q;
}

int viv_bench_rearm(uint64_t acks, uint64_t gap_ns, uint64_t rto_ns, int use_timer);

int viv_bench_rearm(uint64_t acks, uint64_t gap_ns, uint64_t rto_ns, int use_timer)
{
    viv_sim_t *sim;
    if (viv_sim_new(&sim, NULL) < 0)
        return 1;
    conn c;
    memset(&c, 0, sizeof c);
    c.sim = sim;
    c.use_timer = use_timer;
    c.left = acks;
    c.gap = gap_ns;
    c.rto_ns = rto_ns;
    if (use_timer && viv__timer_init(&c.rto, sim, VIV__OWNER_PROGRAM, rto_fired) < 0) {
        viv_sim_free(sim);
        return 1;
    }
    viv_sim_schedule_after(NULL, sim, gap_ns, ack, &c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    viv_sim_run(sim);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("mode=rearm method=%s acks=%llu gap_ns=%llu rto_ns=%llu max_queue=%zu events=%llu "
           "rto_fired=%llu event_table_slots=%u seconds=%.4f ns_per_ack=%.1f peak_rss_kb=%ld\n",
           use_timer ? "timer" : "cancel", (unsigned long long)c.acks,
           (unsigned long long)gap_ns, (unsigned long long)rto_ns, c.max_queue,
           (unsigned long long)viv_sim_events(sim), (unsigned long long)c.fired,
           sim->ev_cap, secs, secs * 1e9 / (double)c.acks, ru.ru_maxrss);
    if (use_timer)
        viv__timer_fini(&c.rto);
    viv_sim_free(sim);
    return 0;
}
