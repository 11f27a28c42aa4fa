/* The event queue: pop order against a reference (a plain binary heap on (time, seq)) under
 * ties, widely spread times, bursts, far-future outliers, growth and shrinkage, failed
 * allocations, and through the simulation with cancels. */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"

/* ---- the reference: a binary min-heap of (time, seq, slot) ---------------------------- */

typedef struct ref_ent {
    uint64_t time, seq;
    uint32_t slot;
    uint32_t owner;
} ref_ent;

typedef struct ref_heap {
    ref_ent *a;
    size_t n;
} ref_heap;

/* The queue's order: (time, owner, seq). */
static int ref_lt(const ref_ent *x, const ref_ent *y)
{
    if (x->time != y->time)
        return x->time < y->time;
    if (x->owner != y->owner)
        return x->owner < y->owner;
    return x->seq < y->seq;
}

static void ref_push(ref_heap *h, ref_ent e)
{
    size_t i = h->n++;
    while (i > 0 && ref_lt(&e, &h->a[(i - 1) / 2])) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = e;
}

static ref_ent ref_pop(ref_heap *h)
{
    ref_ent top = h->a[0], last = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && ref_lt(&h->a[c + 1], &h->a[c]))
            c++;
        if (!ref_lt(&h->a[c], &last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n > 0)
        h->a[i] = last;
    return top;
}

/* ---- a queue under test with its own event table and the reference ------------------- */

typedef struct rig {
    viv_sim_t *sim;
    viv__sched q;
    viv__event *ev;
    uint32_t cap;
    uint32_t *free_slots;
    uint32_t nfree;
    ref_heap ref;
    uint64_t seq;
    uint64_t last_time; /* time of the last pop */
    uint64_t pops;
    uint64_t ops; /* pushes and pops: the cost the queue counts is bounded per operation */
    /* Which push: 0 viv__sched_push, 1 viv__sched_push_rand, 2 the two in turn by seq. */
    int mode;
    uint32_t check_every; /* rig_check after every this many pushes (0: never) */
} rig;

static void rig_init(rig *r, viv_sim_t *sim, uint32_t cap)
{
    memset(r, 0, sizeof *r);
    r->sim = sim;
    cap++; /* slot VIV__QEND is the queue's sentinel */
    r->cap = cap;
    r->ev = viv__zalloc(sim, cap * sizeof(*r->ev));
    r->free_slots = viv__alloc(sim, cap * sizeof(*r->free_slots));
    r->ref.a = viv__alloc(sim, cap * sizeof(*r->ref.a));
    assert_non_null(r->ev);
    assert_non_null(r->free_slots);
    assert_non_null(r->ref.a);
    viv__sched_table_init(r->ev);
    for (uint32_t i = 0; i < cap - 1; i++)
        r->free_slots[r->nfree++] = cap - 1 - i;
    viv__sched_init(&r->q);
}

static void rig_fini(rig *r)
{
    viv__sched_fini(r->sim, &r->q);
    viv__free(r->sim, r->ev, r->cap * sizeof(*r->ev));
    viv__free(r->sim, r->free_slots, r->cap * sizeof(*r->free_slots));
    viv__free(r->sim, r->ref.a, r->cap * sizeof(*r->ref.a));
}

static int key_less(const viv__event *a, const viv__event *b)
{
    return a->owner < b->owner || (a->owner == b->owner && a->seq < b->seq);
}

/* The queue's invariants: each bucket lists increasing times from head to tail, every
 * leader in its own bucket; each instant's members form a ring linked both ways in (owner,
 * seq) order after their leader; the current instant's run, while it holds, is the head of
 * the current day's bucket, lone events at its instant in (owner, seq) order ending with
 * now_last; the slots counted are len. */
static void rig_check(const rig *r)
{
    const viv__sched *q = &r->q;
    const viv__event *ev = r->ev;
    size_t n = 0;
    int hint_seen = q->hint_t == VIV__SCHED_EMPTY;
    int run = q->run_on && q->start == q->now_t + 1 &&
              q->cur == ((uint32_t)(q->now_t >> q->shift) & q->mask);
    uint64_t start = run ? (q->now_t >> q->shift) << q->shift : q->start;
    if (run)
        assert_int_not_equal(q->hint_t, q->now_t);
    for (uint32_t b = 0; b < q->nb; b++) {
        uint32_t h = q->bucket[b].head, last = VIV__QEND;
        if (run && b == q->cur && ev[h].time == q->now_t) {
            for (;;) { /* the run */
                assert_int_equal(ev[h].same, VIV__QNIL);
                if (last != VIV__QEND)
                    assert_true(key_less(&ev[last], &ev[h]));
                n++;
                assert_true(n <= r->cap);
                last = h;
                h = ev[h].next;
                if (last == q->now_last)
                    break;
                assert_int_equal(ev[h].time, q->now_t);
            }
            assert_true(ev[h].time > q->now_t);
        }
        while (h != VIV__QEND) {
            assert_int_equal((ev[h].time >> q->shift) & q->mask, b);
            assert_true(ev[h].time >= start);
            if (last != VIV__QEND)
                assert_true(ev[last].time < ev[h].time);
            n++;
            if (h == q->hint_lead && q->hint_t != VIV__SCHED_EMPTY) {
                /* The hint names a leader at its instant, with other events there. */
                assert_int_equal(ev[h].time, q->hint_t);
                assert_int_not_equal(ev[h].same, VIV__QNIL);
                hint_seen = 1;
            }
            uint32_t newest = ev[h].same;
            if (newest != VIV__QNIL) {
                uint32_t m = ev[newest].same, prev = newest, k = 0;
                assert_true(ev[h].owner < ev[m].owner ||
                            (ev[h].owner == ev[m].owner && ev[h].seq < ev[m].seq));
                for (;;) {
                    assert_int_equal(ev[m].time, ev[h].time);
                    assert_int_equal(ev[m].next, prev);
                    n++;
                    assert_true(++k <= r->cap);
                    if (m == newest)
                        break;
                    uint32_t nx = ev[m].same;
                    assert_true(ev[m].owner < ev[nx].owner ||
                                (ev[m].owner == ev[nx].owner && ev[m].seq < ev[nx].seq));
                    prev = m;
                    m = nx;
                }
            }
            last = h;
            h = ev[h].next;
        }
        if (last != VIV__QEND)
            assert_int_equal(q->bucket[b].tail, last);
    }
    assert_int_equal(n, q->len);
    assert_true(hint_seen);
}

static void rig_push_owned(rig *r, uint64_t time, uint32_t owner)
{
    assert_true(r->nfree > 0);
    uint32_t slot = r->free_slots[--r->nfree];
    r->ev[slot].time = time;
    r->ev[slot].seq = r->seq;
    r->ev[slot].owner = owner;
    if (r->mode == 1 || (r->mode == 2 && (r->seq & 1)))
        viv__sched_push_rand(r->sim, &r->q, r->ev, slot);
    else
        viv__sched_push(r->sim, &r->q, r->ev, slot);
    ref_push(&r->ref, (ref_ent){time, r->seq, slot, owner});
    r->seq++;
    r->ops++;
    assert_int_equal(viv__sched_len(&r->q), r->ref.n);
    if (r->check_every && r->seq % r->check_every == 0)
        rig_check(r);
}

static void rig_push(rig *r, uint64_t time) { rig_push_owned(r, time, 0); }

/* Pop one due at or before limit and check it is the reference's least; 0 if none due. */
static int rig_pop(rig *r, uint64_t limit)
{
    uint32_t slot = viv__sched_pop(r->sim, &r->q, r->ev, limit);
    if (r->ref.n == 0 || r->ref.a[0].time > limit) {
        assert_int_equal(slot, VIV__QNIL);
        return 0;
    }
    ref_ent want = ref_pop(&r->ref);
    assert_int_equal(slot, want.slot);
    assert_int_equal(r->ev[slot].time, want.time);
    assert_int_equal(r->ev[slot].seq, want.seq);
    assert_int_equal(viv__sched_len(&r->q), r->ref.n);
    r->free_slots[r->nfree++] = slot;
    r->last_time = want.time;
    r->pops++;
    r->ops++;
    return 1;
}

static void rig_drain(rig *r)
{
    while (rig_pop(r, UINT64_MAX))
        ;
    assert_int_equal(viv__sched_len(&r->q), 0);
}

/* ---- time distributions --------------------------------------------------------------- */

enum { D_TIES, D_SPREAD, D_BURST, D_FAR, D_EXP, D_COUNT };

/* A delay after now for distribution kind. */
static uint64_t draw_delay(viv_rng_t *g, int kind)
{
    switch (kind) {
    case D_TIES: /* few distinct delays: many ties */
        return viv_rng_below(g, 8) * 1000;
    case D_SPREAD: /* log-uniform from 1 ns to about 2^42 ns (73 minutes) */
        return viv_rng_below(g, UINT64_C(1) << viv_rng_below(g, 43));
    case D_BURST: /* mostly one instant, a few others */
        return viv_rng_below(g, 16) ? 5000 : viv_rng_below(g, 100000);
    case D_FAR: /* dense nanoseconds, and now and then an hour */
        return viv_rng_below(g, 500) ? viv_rng_below(g, 64) : VIV_S(3600);
    default: /* the hold model's exponential */
        return (uint64_t)viv_rng_exp(g, 1e6);
    }
}

/* Push and pop at random, growing to about peak then shrinking to nothing, twice. */
static void run_workload(viv_sim_t *sim, int kind, uint32_t peak, uint64_t seed,
                         uint64_t max_cost, int mode)
{
    rig r;
    rig_init(&r, sim, peak + 1);
    r.mode = mode;
    r.check_every = mode ? 61 : 0;
    viv_rng_t g;
    viv_rng_init(&g, seed, (uint64_t)kind);
    for (int round = 0; round < 2; round++) {
        /* Grow: two pushes for each pop. */
        while (viv__sched_len(&r.q) < peak) {
            rig_push(&r, r.last_time + draw_delay(&g, kind));
            if (viv_rng_below(&g, 3) == 0)
                rig_pop(&r, UINT64_MAX);
        }
        /* Hold for a while, then shrink: two pops for each push. */
        for (uint32_t i = 0; i < peak; i++) {
            rig_pop(&r, UINT64_MAX);
            rig_push(&r, r.last_time + draw_delay(&g, kind));
        }
        while (viv__sched_len(&r.q) > 0) {
            rig_pop(&r, UINT64_MAX);
            if (viv_rng_below(&g, 3) == 0)
                rig_push(&r, r.last_time + draw_delay(&g, kind));
        }
    }
    /* The calendar was resized on the way up and down, and stayed cheap: bounded list
     * steps, empty days and rebuild work per operation. */
    assert_true(r.q.resizes >= 4);
    assert_true(r.q.cost_total <= max_cost * (r.ops + 1));
    assert_int_equal(r.q.nb, VIV__SCHED_MIN_BUCKETS);
    rig_fini(&r);
}

static void test_sched__random_workloads_pop_as_a_stable_sort(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    /* Steps per operation measured: about 0.7 (ties), 27 (log-uniform over 43 octaves, the
     * calendar's worst case), 0.8 (burst), 4.6 (far), 1.3 (exp). */
    for (int kind = 0; kind < D_COUNT; kind++)
        run_workload(sim, kind, 6000, 11 + (uint64_t)kind, kind == D_SPREAD ? 64 : 8, 0);
}

/* The program's push (viv__sched_push_rand, no branch on where a time falls) keeps every
 * invariant and the order, alone and interleaved with the library's push, under every
 * distribution: the same workloads, with the structure checked as they go. */
static void test_sched__push_rand_pops_as_a_stable_sort(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    for (int mode = 1; mode <= 2; mode++)
        for (int kind = 0; kind < D_COUNT; kind++)
            run_workload(sim, kind, 2000, 31 + (uint64_t)kind, kind == D_SPREAD ? 64 : 8,
                         mode);
}

/* A push_rand into an emptied bucket reads its stale tail (the slot last in it, reused
 * since) and leaves that slot's link alone: the slot, queued elsewhere now, keeps its
 * place. */
static void test_sched__push_rand_into_an_emptied_bucket(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 8);
    r.mode = 1;
    rig_push(&r, 100); /* day 0, bucket 0 (days of 1024 ns, 16 buckets) */
    uint32_t a = r.ref.a[0].slot;
    assert_int_equal(r.q.bucket[0].tail, a);
    assert_int_equal(rig_pop(&r, UINT64_MAX), 1);
    assert_int_equal(r.q.bucket[0].head, VIV__QEND);
    assert_int_equal(r.q.bucket[0].tail, a); /* stale */
    rig_push(&r, 4200); /* slot a again (the free slots are last in, first out), bucket 4 */
    assert_int_equal(r.q.bucket[4].head, a);
    rig_push(&r, 4500); /* after it, in bucket 4: a's link names it */
    uint32_t f = r.q.bucket[4].tail;
    assert_int_not_equal(f, a);
    assert_int_equal(r.ev[a].next, f);
    rig_push(&r, 16 * 1024 + 100); /* bucket 0 again, a year later: empty, stale tail a */
    uint32_t c = r.q.bucket[0].head;
    assert_int_equal(r.q.bucket[0].tail, c);
    assert_int_equal(r.ev[c].next, VIV__QEND);
    assert_int_equal(r.ev[a].next, f); /* untouched */
    rig_push(&r, 16 * 1024 + 50); /* before c: first of two */
    assert_int_equal(r.q.bucket[0].tail, c);
    rig_push(&r, 16 * 1024 + 150); /* after c: last */
    assert_int_not_equal(r.q.bucket[0].tail, c);
    rig_push(&r, 16 * 1024 + 100); /* at c's time: the out-of-line join */
    rig_check(&r);
    rig_drain(&r);
    rig_fini(&r);
}

/* Take slot out of the reference: the last entry fills its place and sifts up or down. */
static void ref_remove(ref_heap *h, uint32_t slot)
{
    size_t i = 0;
    while (h->a[i].slot != slot)
        i++;
    ref_ent last = h->a[--h->n];
    if (i == h->n)
        return;
    while (i > 0 && ref_lt(&last, &h->a[(i - 1) / 2])) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && ref_lt(&h->a[c + 1], &h->a[c]))
            c++;
        if (!ref_lt(&h->a[c], &last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = last;
}

/* Remove the queued slot of the reference's entry k (any queued slot). */
static void rig_remove(rig *r, size_t k)
{
    uint32_t slot = r->ref.a[k].slot;
    viv__sched_remove(r->sim, &r->q, r->ev, slot);
    ref_remove(&r->ref, slot);
    r->free_slots[r->nfree++] = slot;
    assert_int_equal(viv__sched_len(&r->q), r->ref.n);
    rig_check(r);
}

static void test_sched__removal_anywhere_keeps_the_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    /* Every distribution, with removals of any queued slot (leaders, the newest and the
     * oldest of equal-time groups, lone members), through growth and shrinkage: what is
     * left pops exactly as the reference. */
    for (int kind = 0; kind < D_COUNT; kind++) {
        rig r;
        rig_init(&r, sim, 3001);
        viv_rng_t g;
        viv_rng_init(&g, 77, (uint64_t)kind);
        for (int step = 0; step < 40000; step++) {
            uint64_t op = viv_rng_below(&g, 10);
            size_t n = viv__sched_len(&r.q);
            if (n < 3000 && (op < 5 || n == 0))
                rig_push(&r, r.last_time + draw_delay(&g, kind));
            else if (op < 8)
                rig_remove(&r, (size_t)viv_rng_below(&g, n));
            else
                rig_pop(&r, UINT64_MAX);
            if (step % 16 == 0)
                rig_check(&r);
        }
        /* Drain half by removal, then pop the rest in order. */
        while (viv__sched_len(&r.q) > 1000)
            rig_remove(&r, (size_t)viv_rng_below(&g, viv__sched_len(&r.q)));
        rig_drain(&r);
        rig_fini(&r);
    }
}

static void test_sched__burst_at_one_instant_keeps_push_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 50000);
    /* A few neighbours, then a large burst at one instant, then the neighbours' later
     * times: the burst must cost O(1) per event and pop in push order. */
    rig_push(&r, 999);
    rig_push(&r, 1001);
    for (int i = 0; i < 40000; i++)
        rig_push(&r, 1000);
    rig_push(&r, 1000000);
    rig_push(&r, 1000);
    assert_true(r.q.cost_total <= 8 * (r.ops + 1)); /* measured: 3.3, rebuilds */
    rig_drain(&r);
    assert_int_equal(r.pops, 40004);
    rig_fini(&r);
}

static void test_sched__far_future_event_among_dense_ones(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 4000);
    viv_rng_t g;
    viv_rng_init(&g, 3, 0);
    rig_push(&r, VIV_S(7200)); /* a two-hour timer */
    for (int i = 0; i < 3000; i++)
        rig_push(&r, viv_rng_below(&g, 3000));
    /* Hold: every pop schedules one a few ns later, so the dense front moves on while the
     * far timer waits years of the calendar away. */
    for (int i = 0; i < 200000; i++) {
        assert_true(rig_pop(&r, UINT64_MAX));
        rig_push(&r, r.last_time + 1 + viv_rng_below(&g, 6000));
    }
    assert_true(r.q.cost_total <= 4 * (r.ops + 1)); /* measured: 0.2 */
    rig_drain(&r);
    assert_int_equal(r.last_time, VIV_S(7200));
    rig_fini(&r);
}

static void test_sched__distribution_that_changes_is_retuned(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 3000);
    viv_rng_t g;
    viv_rng_init(&g, 5, 0);
    /* Hold 2000 events with 1 ns gaps, then switch to hour-long gaps, then back: a day
     * width tuned for one is wrong for the other. */
    const uint64_t scale[3] = {1, VIV_S(3600), 1};
    for (int phase = 0; phase < 3; phase++) {
        while (viv__sched_len(&r.q) < 2000)
            rig_push(&r, r.last_time + viv_rng_below(&g, 2000 * scale[phase]));
        for (int i = 0; i < 30000; i++) {
            rig_pop(&r, UINT64_MAX);
            rig_push(&r, r.last_time + viv_rng_below(&g, 2000 * scale[phase]));
        }
    }
    assert_true(r.q.cost_total <= 16 * (r.ops + 1)); /* measured: 0.25 */
    rig_drain(&r);
    rig_fini(&r);
}

/* A small queue that swings (TCP under loss: 7 to 33 events, up and down each second)
 * keeps the calendar it grew to: shrinking at every low point rebuilt it each time, with a
 * day width estimated from the few events left. */
static void test_sched__a_small_calendar_keeps_its_size_through_swings(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 64);
    r.check_every = 7;
    viv_rng_t g;
    viv_rng_init(&g, 21, 0);
    uint32_t nb_high = 0;
    uint64_t resizes_high = 0;
    for (int swing = 0; swing < 200; swing++) {
        while (viv__sched_len(&r.q) < 40) /* up: pushes a few microseconds apart */
            rig_push(&r, r.last_time + 1000 + viv_rng_below(&g, 4000));
        if (swing > 0)
            assert_int_equal(r.q.nb, nb_high);
        while (viv__sched_len(&r.q) > 7) /* down */
            rig_pop(&r, UINT64_MAX);
        if (swing == 0) { /* grown on the way (a walk or a scan sees the length) */
            nb_high = r.q.nb;
            resizes_high = r.q.resizes;
        }
        assert_int_equal(r.q.nb, nb_high); /* no shrink at the low point */
    }
    assert_int_equal(nb_high, 64);
    /* Re-tunings may come (the same size, a new width), not one per swing. */
    assert_true(r.q.resizes - resizes_high < 20);
    rig_drain(&r);
    assert_int_equal(r.q.nb, VIV__SCHED_MIN_BUCKETS); /* an empty queue gives it back */
    rig_fini(&r);
}

/* The calendar a burst grew (256 buckets, days of microseconds) does not shrink on its
 * length alone when a few events a second apart follow; the first re-tuning they force
 * (a pop that finds nothing within a year searches every bucket) shrinks it to fit, so
 * that they cost what they cost in a calendar that never grew. */
static void test_sched__a_costly_small_calendar_shrinks_at_its_retuning(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 300);
    for (uint32_t i = 0; i < 200; i++)
        rig_push(&r, r.last_time + 1000 * (i + 1));
    for (uint32_t i = 0; i < 197; i++)
        rig_pop(&r, UINT64_MAX);
    assert_int_equal(viv__sched_len(&r.q), 3);
    assert_int_equal(r.q.nb, 256); /* not shrunk by the pops */
    uint64_t ops0 = r.ops, cost0 = r.q.cost_total + r.q.cost;
    for (int i = 0; i < 20000; i++) { /* three timers, each re-armed a second on */
        rig_pop(&r, UINT64_MAX);
        rig_push(&r, r.last_time + VIV_S(1) + (uint64_t)(i % 3) * 1000);
    }
    assert_int_equal(r.q.nb, VIV__SCHED_MIN_BUCKETS);
    /* Steps, empty days and rebuild work per operation, on average: 0.18 in a calendar of
     * 16 buckets from the start; 4.9 when the 256 buckets stayed. */
    uint64_t ops = r.ops - ops0, cost = r.q.cost_total + r.q.cost - cost0;
    assert_true(cost <= ops / 2);
    rig_drain(&r);
    rig_fini(&r);
}

/* A large calendar still shrinks to fit when its queue falls and stays low, without
 * emptying: the memory is worth returning there. */
static void test_sched__a_large_calendar_shrinks_to_fit(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 5000);
    viv_rng_t g;
    viv_rng_init(&g, 22, 0);
    while (viv__sched_len(&r.q) < 5000)
        rig_push(&r, r.last_time + viv_rng_below(&g, 1000000));
    assert_true(r.q.nb >= 4096);
    while (viv__sched_len(&r.q) > 100)
        rig_pop(&r, UINT64_MAX);
    for (int i = 0; i < 2000; i++) { /* hold at 100 */
        rig_pop(&r, UINT64_MAX);
        rig_push(&r, r.last_time + viv_rng_below(&g, 1000000));
    }
    assert_true(r.q.nb <= 512);
    assert_true(r.q.nb >= 128);
    rig_drain(&r);
    rig_fini(&r);
}

static void test_sched__limit_and_pushes_before_the_current_day(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 100);
    assert_int_equal(viv__sched_pop(sim, &r.q, r.ev, UINT64_MAX), VIV__QNIL);
    for (int i = 0; i < 50; i++)
        rig_push(&r, VIV_S(10) + (uint64_t)i * VIV_MS(1));
    /* Nothing due by 5 s: the queue looks ahead but must still accept earlier times. */
    assert_int_equal(rig_pop(&r, VIV_S(5)), 0);
    rig_push(&r, VIV_S(6));
    rig_push(&r, VIV_S(5) + 1);
    rig_push(&r, VIV_S(6));
    assert_true(rig_pop(&r, VIV_S(6)));
    assert_int_equal(r.last_time, VIV_S(5) + 1);
    assert_true(rig_pop(&r, VIV_S(6)));
    assert_true(rig_pop(&r, VIV_S(6)));
    assert_int_equal(rig_pop(&r, VIV_S(6)), 0);
    rig_drain(&r);
    rig_fini(&r);
}

static void test_sched__times_at_the_end_of_time(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 200);
    viv_rng_t g;
    viv_rng_init(&g, 9, 0);
    /* Up to UINT64_MAX - 1, the last time the queue takes (UINT64_MAX is its sentinel's):
     * the day of the last times is the sentinel's too, so empty buckets look due there. */
    for (int i = 0; i < 150; i++) {
        uint64_t t = UINT64_MAX - 1 - viv_rng_below(&g, 4);
        if (i % 3 == 0)
            t = UINT64_MAX - (UINT64_C(1) << viv_rng_below(&g, 64));
        rig_push(&r, t);
        if (i % 5 == 0)
            rig_pop(&r, UINT64_MAX);
    }
    rig_drain(&r);
    rig_fini(&r);
}

static void test_sched__failed_resizes_degrade_but_never_fail(void **state)
{
    (void)state;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    rig r;
    rig_init(&r, sim, 5000);
    /* From now on every allocation fails: the calendar cannot grow but stays correct. */
    a.fail_at = a.calls + 1;
    a.fail_all_after = 1;
    viv_rng_t g;
    viv_rng_init(&g, 4, 0);
    for (int i = 0; i < 3000; i++)
        rig_push(&r, viv_rng_below(&g, 1000000));
    assert_int_equal(r.q.nb, VIV__SCHED_MIN_BUCKETS);
    assert_true(a.failures > 0);
    /* Allocation works again: the next resize happens and the order still holds. */
    a.fail_at = 0;
    a.fail_all_after = 0;
    for (int i = 0; i < 3000; i++) {
        if (i % 2)
            rig_push(&r, r.last_time + viv_rng_below(&g, 1000000));
        else
            rig_pop(&r, UINT64_MAX);
    }
    assert_true(r.q.nb > VIV__SCHED_MIN_BUCKETS);
    rig_drain(&r);
    rig_fini(&r);
    viv_test_sim_free(sim, &a);
}

/* ---- through the simulation, with cancels -------------------------------------------- */

typedef struct sim_check {
    viv_time_t last_time;
    uint64_t last_order;
    uint64_t ran;
    int bad;
    uint8_t *state; /* per event: 0 pending, 1 ran, 2 cancelled */
    uint64_t *order;
} sim_check;

typedef struct sim_tag {
    sim_check *c;
    uint64_t k;
} sim_tag;

static void sim_record(viv_sim_t *sim, void *user)
{
    sim_tag *t = user;
    sim_check *c = t->c;
    viv_time_t now = viv_sim_now(sim);
    if (c->state[t->k] != 0)
        c->bad = 1;
    if (c->ran > 0 && (now < c->last_time ||
                       (now == c->last_time && c->order[t->k] < c->last_order)))
        c->bad = 1;
    c->state[t->k] = 1;
    c->last_time = now;
    c->last_order = c->order[t->k];
    c->ran++;
}

static void test_sched__simulation_with_cancels_runs_in_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 30000 };
    sim_check c;
    memset(&c, 0, sizeof c);
    c.state = viv__zalloc(sim, N);
    c.order = viv__alloc(sim, N * sizeof(*c.order));
    sim_tag *tags = viv__alloc(sim, N * sizeof(*tags));
    viv_event_id *ids = viv__alloc(sim, N * sizeof(*ids));
    assert_non_null(c.state);
    assert_non_null(c.order);
    assert_non_null(tags);
    assert_non_null(ids);
    viv_rng_t g;
    viv_rng_init(&g, 21, 0);
    uint64_t cancelled = 0;
    for (uint64_t k = 0; k < N; k++) {
        tags[k] = (sim_tag){&c, k};
        c.order[k] = k;
        uint64_t d = draw_delay(&g, (int)(k % D_COUNT));
        assert_int_equal(viv_sim_schedule_after(&ids[k], sim, d, sim_record, &tags[k]), 0);
        /* Cancel an earlier event now and then (some already ran: harmless). */
        if (k % 7 == 3) {
            uint64_t victim = viv_rng_below(&g, k + 1);
            int rc = viv_sim_cancel(sim, ids[victim]);
            assert_int_equal(rc, c.state[victim] == 0 ? 1 : 0);
            if (rc == 1) {
                c.state[victim] = 2;
                cancelled++;
            }
        }
        /* Run a little of simulated time now and then: the queue grows and shrinks. */
        if (k % 1000 == 999)
            assert_int_equal(viv_sim_run_for(sim, viv_rng_below(&g, VIV_MS(2))), 0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.ran + cancelled, N);
    assert_int_equal(viv_sim_pending(sim), 0);
    for (uint64_t k = 0; k < N; k++)
        assert_true(c.state[k] == 1 || c.state[k] == 2);
    viv__free(sim, c.state, N);
    viv__free(sim, c.order, N * sizeof(*c.order));
    viv__free(sim, tags, N * sizeof(*tags));
    viv__free(sim, ids, N * sizeof(*ids));
}


/* The current instant's run: a flood's arrivals at one instant from many owners, popped one
 * by one while each posts events for now (owners on both sides of the rest) and for later;
 * removals of any queued slot among them; pops with limits. Everything pops as the
 * reference does, and the queue's invariants hold after every step. */
static void test_sched__current_instant_keeps_owner_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 4000);
    viv_rng_t g;
    viv_rng_init(&g, 5, 0);
    uint64_t now = 1000;
    for (int round = 0; round < 400; round++) {
        /* A burst at one instant, in owner order or not. */
        uint64_t t = now + viv_rng_below(&g, 3) * 100;
        uint32_t n = 1 + (uint32_t)viv_rng_below(&g, 12);
        int ordered = viv_rng_below(&g, 2) == 0;
        for (uint32_t i = 0; i < n; i++)
            rig_push_owned(&r, t, ordered ? 10 * i + 5 : (uint32_t)viv_rng_below(&g, 100));
        rig_check(&r);
        while (viv__sched_len(&r.q) > 0 && viv_rng_below(&g, 8) != 0) {
            uint64_t op = viv_rng_below(&g, 10);
            if (op < 5) {
                rig_pop(&r, UINT64_MAX);
            } else if (op < 8 && viv__sched_len(&r.q) < 3900) {
                /* Posted for now (the last popped instant) or a little later. */
                uint64_t at = r.last_time + (op == 7 ? viv_rng_below(&g, 200) : 0);
                rig_push_owned(&r, at, (uint32_t)viv_rng_below(&g, 100));
            } else if (op == 8) {
                rig_remove(&r, (size_t)viv_rng_below(&g, viv__sched_len(&r.q)));
            } else {
                assert_int_equal(rig_pop(&r, r.last_time > 0 ? r.last_time - 1 : 0), 0);
            }
            rig_check(&r);
            uint32_t peek = viv__sched_peek(&r.q, r.ev);
            assert_int_equal(peek, r.ref.n ? r.ref.a[0].slot : VIV__QNIL);
            rig_check(&r);
        }
        now = r.last_time + 1;
    }
    rig_drain(&r);
    rig_fini(&r);
}

/* A group's pop (the ring walked from both ends) lays out its instant in (owner, seq) order
 * for every size, and enters its first VIV__SCHED_LEAD members in the run's look-ahead
 * window in that order, `ahead` naming the next (VIV__QNIL when the window holds them all);
 * a removal at the instant, which makes the run a group again, stops the window. */
static void test_sched__group_pop_fills_the_look_ahead_window(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 200);
    r.q.ahead_min_owners = 0; /* a small simulation looks ahead too */
    viv_rng_t g;
    viv_rng_init(&g, 11, 0);
    uint64_t t = 1000;
    for (uint32_t n = 2; n <= 40; n++, t += 1000) {
        uint32_t owners[40];
        for (uint32_t i = 0; i < n; i++) {
            owners[i] = (uint32_t)viv_rng_below(&g, 1000); /* any order, repeats too */
            rig_push_owned(&r, t, owners[i]);
        }
        rig_check(&r);
        assert_int_equal(rig_pop(&r, UINT64_MAX), 1); /* the leader: its group becomes the run */
        rig_check(&r);
        /* The reference's next pops, in order, are the members. */
        uint32_t members = n - 1, lead = members < VIV__SCHED_LEAD ? members : VIV__SCHED_LEAD;
        ref_heap copy = r.ref;
        copy.a = viv__alloc(sim, r.cap * sizeof(*copy.a));
        assert_non_null(copy.a);
        memcpy(copy.a, r.ref.a, r.ref.n * sizeof(*copy.a));
        for (uint32_t i = 0; i < lead; i++)
            assert_int_equal(r.q.ahead_ring[i], ref_pop(&copy).slot);
        assert_int_equal(r.q.ahead_n, lead);
        assert_int_equal(r.q.ahead, members > lead ? ref_pop(&copy).slot : VIV__QNIL);
        viv__free(sim, copy.a, r.cap * sizeof(*copy.a));
        if (n == 30) {
            /* Below the owners it takes, a group's pop starts no window. */
            rig_drain(&r);
            r.q.ahead_min_owners = sim->own_len + 1;
            for (uint32_t i = 0; i < n; i++)
                rig_push_owned(&r, t + 500, owners[i]);
            assert_int_equal(rig_pop(&r, UINT64_MAX), 1);
            assert_int_equal(r.q.ahead, VIV__QNIL);
            assert_int_equal(r.q.ahead_n, 0);
            r.q.ahead_min_owners = 0;
        }
        if (n % 3 == 0 && members > 1) {
            rig_remove(&r, 1); /* at the instant: the run is a group again */
            assert_int_equal(r.q.ahead, VIV__QNIL);
            rig_check(&r);
        }
        rig_drain(&r);
    }
    rig_fini(&r);
}

/* A push earlier than the current instant while its run holds (what observers' events make
 * possible: they leave the clock behind), then more at the instant: the run becomes a
 * group again and the order holds. */
static void test_sched__push_before_the_current_instant(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    rig r;
    rig_init(&r, sim, 100);
    for (uint32_t i = 0; i < 6; i++)
        rig_push_owned(&r, VIV_S(3), 10 + i);
    rig_push_owned(&r, VIV_S(4), 1);
    assert_true(rig_pop(&r, VIV_S(3)));
    assert_int_equal(r.ev[r.ref.a[0].slot].owner, 11); /* the run's first is next */
    rig_check(&r);
    rig_push_owned(&r, VIV_S(3), 12); /* into the run, after owner 12's earlier one */
    rig_push_owned(&r, VIV_S(3), 3);  /* at the run's front */
    rig_check(&r);
    rig_push_owned(&r, VIV_S(2), 7); /* earlier than the instant */
    rig_check(&r);
    rig_push_owned(&r, VIV_S(3), 20); /* at the instant, now a group again */
    rig_push_owned(&r, VIV_S(3), 0);
    rig_check(&r);
    assert_true(rig_pop(&r, VIV_S(2)));
    assert_int_equal(r.last_time, VIV_S(2));
    assert_int_equal(rig_pop(&r, VIV_S(3) - 1), 0);
    for (int i = 0; i < 9; i++) { /* 5 left of the burst, 4 pushed at its instant */
        assert_true(rig_pop(&r, VIV_S(3)));
        assert_int_equal(r.last_time, VIV_S(3));
        rig_check(&r);
    }
    assert_int_equal(rig_pop(&r, VIV_S(3)), 0);
    rig_drain(&r);
    rig_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_sched__random_workloads_pop_as_a_stable_sort),
        T(test_sched__push_rand_pops_as_a_stable_sort),
        T(test_sched__push_rand_into_an_emptied_bucket),
        T(test_sched__burst_at_one_instant_keeps_push_order),
        T(test_sched__removal_anywhere_keeps_the_order),
        T(test_sched__far_future_event_among_dense_ones),
        T(test_sched__distribution_that_changes_is_retuned),
        T(test_sched__a_small_calendar_keeps_its_size_through_swings),
        T(test_sched__a_costly_small_calendar_shrinks_at_its_retuning),
        T(test_sched__a_large_calendar_shrinks_to_fit),
        T(test_sched__limit_and_pushes_before_the_current_day),
        T(test_sched__times_at_the_end_of_time),
        T(test_sched__failed_resizes_degrade_but_never_fail),
        T(test_sched__simulation_with_cancels_runs_in_order),
        T(test_sched__current_instant_keeps_owner_order),
        T(test_sched__push_before_the_current_instant),
        T(test_sched__group_pop_fills_the_look_ahead_window),
#undef T
    };
    return cmocka_run_group_tests_name("core/sched", tests, NULL, NULL);
}
