/* The simulation: event order, cancellation, drivers, errors, fingerprint, out of memory. */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"

typedef struct trace {
    viv_time_t t[4096];
    int tag[4096];
    int n;
} trace;

typedef struct tagged {
    trace *tr;
    int tag;
} tagged;

static void record(viv_sim_t *sim, void *user)
{
    tagged *tg = user;
    tg->tr->t[tg->tr->n] = viv_sim_now(sim);
    tg->tr->tag[tg->tr->n] = tg->tag;
    tg->tr->n++;
}

static void test_sim__equal_times_run_in_scheduling_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    trace tr = {0};
    tagged tg[6];
    /* Scheduled out of time order; ties must keep scheduling order. */
    const viv_time_t when[6] = {50, 10, 50, 10, 0, 50};
    for (int i = 0; i < 6; i++) {
        tg[i] = (tagged){&tr, i};
        assert_int_equal(viv_sim_schedule_at(NULL, sim, when[i], record, &tg[i]), 0);
    }
    assert_int_equal(viv_sim_pending(sim), 6);
    assert_int_equal(viv_sim_run(sim), 0);
    const int order[6] = {4, 1, 3, 0, 2, 5};
    assert_int_equal(tr.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(tr.tag[i], order[i]);
        assert_int_equal(tr.t[i], when[order[i]]);
    }
    assert_int_equal(viv_sim_now(sim), 50);
    assert_int_equal(viv_sim_events(sim), 6);
    assert_int_equal(viv_sim_pending(sim), 0);
}

static void test_sim__many_random_events_pop_sorted(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static trace tr;
    static tagged tg[4000];
    memset(&tr, 0, sizeof tr);
    viv_rng_t r;
    viv_rng_init(&r, 7, 0);
    for (int i = 0; i < 4000; i++) {
        tg[i] = (tagged){&tr, i};
        /* Few distinct times, so many ties. */
        assert_int_equal(viv_sim_schedule_at(NULL, sim, viv_rng_below(&r, 50), record, &tg[i]),
                         0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(tr.n, 4000);
    for (int i = 1; i < 4000; i++) {
        assert_true(tr.t[i - 1] <= tr.t[i]);
        if (tr.t[i - 1] == tr.t[i])
            assert_true(tr.tag[i - 1] < tr.tag[i]);
    }
}

static void test_sim__cancel_by_generation_counted_id(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    trace tr = {0};
    tagged a = {&tr, 1}, b = {&tr, 2};
    viv_event_id ida = 0, idb = 0;
    assert_int_equal(viv_sim_schedule_at(&ida, sim, 10, record, &a), 0);
    assert_int_equal(viv_sim_schedule_at(&idb, sim, 20, record, &b), 0);
    assert_true(ida != 0 && idb != 0 && ida != idb);
    assert_int_equal(viv_sim_cancel(sim, ida), 1);
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv_sim_cancel(sim, ida), 0); /* already cancelled: harmless */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(tr.n, 1);
    assert_int_equal(tr.tag[0], 2);
    assert_int_equal(viv_sim_cancel(sim, idb), 0); /* already ran: harmless */

    /* The slots are reused; the stale ids must not cancel the new events. */
    viv_event_id idc = 0;
    tagged c = {&tr, 3};
    assert_int_equal(viv_sim_schedule_after(&idc, sim, 5, record, &c), 0);
    assert_true(idc != ida && idc != idb);
    assert_int_equal(viv_sim_cancel(sim, ida), 0);
    assert_int_equal(viv_sim_cancel(sim, idb), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(tr.n, 2);
    assert_int_equal(tr.tag[1], 3);
    assert_int_equal(tr.t[1], 25);

    /* Ids never issued are invalid arguments. */
    assert_int_equal(viv_sim_cancel(sim, 0), VIV_EINVAL);
    assert_int_equal(viv_sim_cancel(sim, (UINT64_C(1) << 32) | 999999), VIV_EINVAL);
    assert_int_equal(viv_sim_cancel(sim, idc + (UINT64_C(5) << 32)), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "never issued"));

    /* Slot 0 is the queue's sentinel: no id names it, whatever its generation. */
    for (int i = 0; i < 200; i++) {
        viv_event_id id = 0;
        assert_int_equal(viv_sim_schedule_after(&id, sim, (viv_time_t)(i % 7), record, &c), 0);
        assert_true((uint32_t)id != 0);
    }
    for (uint64_t gen = 0; gen < 4; gen++)
        assert_int_equal(viv_sim_cancel(sim, gen << 32), VIV_EINVAL);
    tr.n = 0;
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(tr.n, 200);
}

static void test_sim__run_until_and_run_for_leave_the_clock_there(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    trace tr = {0};
    tagged a = {&tr, 1}, b = {&tr, 2};
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(10), record, &a), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(20), record, &b), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(10)), 0); /* inclusive */
    assert_int_equal(tr.n, 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(10));
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(5)), 0);
    assert_int_equal(tr.n, 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(15));
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(14)), VIV_EINVAL);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
    assert_int_equal(tr.n, 2);
    assert_int_equal(viv_sim_now(sim), VIV_MS(115));
}

static void test_sim__step_runs_one_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    trace tr = {0};
    tagged a = {&tr, 1}, b = {&tr, 2};
    assert_int_equal(viv_sim_step(sim), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 7, record, &a), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 9, record, &b), 0);
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(tr.n, 1);
    assert_int_equal(viv_sim_now(sim), 7);
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_step(sim), 0);
    assert_int_equal(viv_sim_now(sim), 9);
}

typedef struct chain {
    int count;
    int stop_at;
    int nested_rc;
} chain;

static void chain_cb(viv_sim_t *sim, void *user)
{
    chain *c = user;
    c->count++;
    c->nested_rc = viv_sim_run(sim); /* re-entrant driving is refused */
    if (c->count == c->stop_at)
        viv_sim_stop(sim);
    viv_sim_schedule_after(NULL, sim, VIV_US(1), chain_cb, c);
}

static void test_sim__stop_from_callback_and_no_reentrant_run(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c = {0, 5, 0};
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 0, chain_cb, &c), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(c.count, 5);
    assert_int_equal(c.nested_rc, VIV_ESTATE);
    assert_int_equal(viv_sim_now(sim), VIV_US(4));
    /* The stopped run_until leaves the clock at the stopping event. */
    c.stop_at = 7;
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(c.count, 7);
    assert_int_equal(viv_sim_now(sim), VIV_US(6));
    assert_int_equal(viv_sim_pending(sim), 1); /* freed with the sim at teardown */
}

static void noop(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
}

static void test_sim__bad_arguments_are_einval_with_a_message(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    assert_int_equal(viv_sim_new(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_schedule_at(NULL, NULL, 0, noop, NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 0, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "NULL callback"));
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 10, noop, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 5, noop, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "before now"));
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_TIME_NEVER, noop, NULL), VIV_ERANGE);
    assert_non_null(strstr(viv_sim_errmsg(sim), "past VIV_TIME_MAX"));
    assert_int_equal(viv_sim_step(NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_run(NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_run_until(NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_sim_cancel(NULL, 1), VIV_EINVAL);
    viv_sim_stop(NULL);
    viv_sim_free(NULL);
    assert_int_equal(viv_sim_now(NULL), 0);
    assert_string_equal(viv_sim_errmsg(NULL), "");
}

static void test_sim__error_table_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(viv_err_name(VIV_EINVAL), "VIV_EINVAL");
    assert_string_equal(viv_err_name(VIV_EADDRINUSE), "VIV_EADDRINUSE");
    assert_string_equal(viv_err_name(0), "VIV_OK");
    assert_string_equal(viv_err_name(-9999), "VIV_EUNKNOWN");
    assert_string_equal(viv_strerror(VIV_ECONNREFUSED), "connection refused");
    assert_string_equal(viv_strerror(12345), "unknown error");
    assert_int_equal(viv_version(), VIV_VERSION_MAJOR * 10000 + VIV_VERSION_MINOR * 100 +
                                        VIV_VERSION_PATCH);
}

/* A small self-rescheduling workload whose fingerprint depends on everything it did. */
static void hop(viv_sim_t *sim, void *user)
{
    viv_rng_t *r = user;
    if (viv_sim_events(sim) < 500)
        viv_sim_schedule_after(NULL, sim, viv_rng_below(r, 1000), hop, r);
}

static uint64_t fingerprint_of_run(uint64_t seed)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, seed);
    viv_rng_t r;
    viv_sim_rng(&r, sim, 1);
    for (int i = 0; i < 10; i++)
        viv_sim_schedule_at(NULL, sim, (viv_time_t)i, hop, &r);
    viv_sim_run(sim);
    uint64_t fp = viv_sim_fingerprint(sim);
    viv_test_sim_free(sim, &a);
    return fp;
}

static void test_sim__fingerprint_repeats_and_tells_runs_apart(void **state)
{
    (void)state;
    uint64_t a = fingerprint_of_run(1), b = fingerprint_of_run(1), c = fingerprint_of_run(2);
    assert_true(a == b);
    assert_true(a != c);
    /* A fresh simulation's fingerprint depends on its seed only. */
    viv_test_alloc al;
    viv_sim_t *s1 = viv_test_sim_new(&al, 1);
    uint64_t f0 = viv_sim_fingerprint(s1);
    viv_sim_schedule_at(NULL, s1, 3, noop, NULL);
    viv_sim_run(s1);
    assert_true(viv_sim_fingerprint(s1) != f0);
    viv_test_sim_free(s1, &al);
}

/* The fingerprint's digest of n bytes. */
static uint64_t fp_of_bytes(viv_sim_t *sim, const uint8_t *p, size_t n)
{
    (void)sim;
    return viv__fp_digest(p, n);
}

/* What a frame contributes (its first VIV__FP_FRAME_BYTES bytes) tells frames apart: any
 * one bit flipped, any other length (trailing zero bytes included), two words swapped. And
 * folded words count in their order, so two events swapped change the value. */
static void test_sim__fingerprint_sees_every_bit_length_and_order(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    uint8_t buf[80], zeros[80];
    viv_rng_t g;
    viv_rng_init(&g, 7, 7);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)viv_rng_below(&g, 256);
    memset(zeros, 0, sizeof zeros);
    for (size_t n = 0; n <= sizeof buf; n++) {
        uint64_t base = fp_of_bytes(sim, buf, n);
        for (size_t i = 0; i < n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                buf[i] ^= (uint8_t)(1u << bit);
                assert_true(fp_of_bytes(sim, buf, n) != base);
                buf[i] ^= (uint8_t)(1u << bit);
            }
        }
        assert_true(fp_of_bytes(sim, buf, n) == base);
        uint64_t z = fp_of_bytes(sim, zeros, n);
        for (size_t m = 0; m < n; m++)
            assert_true(fp_of_bytes(sim, zeros, m) != z);
    }
    /* Words swapped, within a chain and across the two. */
    uint8_t sw[64];
    for (size_t a = 0; a < 8; a++) {
        for (size_t b = a + 1; b < 8; b++) {
            memcpy(sw, buf, sizeof sw);
            memcpy(sw + 8 * a, buf + 8 * b, 8);
            memcpy(sw + 8 * b, buf + 8 * a, 8);
            assert_true(fp_of_bytes(sim, sw, sizeof sw) != fp_of_bytes(sim, buf, sizeof sw));
        }
    }
    /* Events: (time, sequence) pairs folded in another order give another value. */
    uint64_t h = 99, t1 = 1000, t2 = 1000, s1 = 4, s2 = 5;
    assert_true(viv__fp_fold(viv__fp_fold(viv__fp_fold(viv__fp_fold(h, t1), s1), t2), s2) !=
                viv__fp_fold(viv__fp_fold(viv__fp_fold(viv__fp_fold(h, t2), s2), t1), s1));
    for (uint64_t x = 0; x < 64; x++)
        assert_true(viv__fp_fold(viv__fp_fold(h, x), x + 1) !=
                    viv__fp_fold(viv__fp_fold(h, x + 1), x));
}

static void test_sim__out_of_memory_returns_enomem_and_leaks_nothing(void **state)
{
    (void)state;
    /* Creating a simulation: its first allocation fails. */
    viv_test_alloc a;
    memset(&a, 0, sizeof a);
    a.fail_at = 1;
    viv_sim_opts o = VIV_SIM_OPTS_INIT;
    o.alloc = viv_test_alloc_fn;
    o.alloc_ud = &a;
    viv_sim_t *sim = NULL;
    assert_int_equal(viv_sim_new(&sim, &o), VIV_ENOMEM);
    assert_null(sim);
    assert_int_equal(a.live_blocks, 0);

    /* Scheduling: fail each allocation in turn; every failure is ENOMEM and nothing leaks. */
    for (uint64_t n = 2; n < 40; n++) {
        memset(&a, 0, sizeof a);
        a.fail_at = n;
        assert_int_equal(viv_sim_new(&sim, &o), 0);
        int failed = 0, ok = 0;
        for (int i = 0; i < 300; i++) {
            int rc = viv_sim_schedule_at(NULL, sim, (viv_time_t)i, noop, NULL);
            if (rc == VIV_ENOMEM)
                failed++;
            else if (rc == 0)
                ok++;
            else
                fail_msg("unexpected %d", rc);
        }
        assert_int_equal(viv_sim_pending(sim), (size_t)ok);
        assert_int_equal(viv_sim_run(sim), 0);
        assert_int_equal(viv_sim_events(sim), (uint64_t)ok);
        assert_true(failed <= 1);
        viv_sim_free(sim);
        assert_int_equal(a.live_blocks, 0);
        assert_int_equal(a.live_bytes, 0);
    }
}

static void free_sim_cb(viv_sim_t *sim, void *user)
{
    int *calls = user;
    (*calls)++;
    viv_sim_free(sim); /* from its own callback: deferred to the driver's return */
    viv_sim_schedule_after(NULL, sim, 1, noop, NULL); /* the simulation is still usable here */
}

static void pend_noop(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
}

static void test_sim__free_from_a_callback_is_deferred_to_the_driver(void **state)
{
    (void)state;
    int calls = 0;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 3);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 5, free_sim_cb, &calls), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 9, free_sim_cb, &calls), 0);
    assert_int_equal(viv_sim_run(sim), 0); /* returns with the simulation freed */
    assert_int_equal(calls, 1);
    assert_int_equal(a.live_blocks, 0);
    assert_int_equal(a.live_bytes, 0);
    /* The same through viv_sim_step. */
    calls = 0;
    sim = viv_test_sim_new(&a, 3);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, 5, free_sim_cb, &calls), 0);
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(calls, 1);
    assert_int_equal(a.live_blocks, 0);
}

/* ---- taking a simulation with many pending events apart ------------------------------ */

/* An object of the simulation's own kind: an event owner with a deadline timer, destroyed
 * by viv_sim_free (newest first) like a host with an ARP retry or a socket with a
 * notification pending. */
typedef struct pend_obj {
    viv__obj obj; /* first */
    viv_sim_t *sim;
    viv__timer tmr;
    struct pend_count *count;
    int first; /* the first made, so the last destroyed */
} pend_obj;

typedef struct pend_count {
    uint64_t destroyed;
    uint64_t cost_before, cost_after; /* the queue's steps, before and during the teardown */
} pend_count;

static void pend_fire(viv__timer *t) { (void)t; }

static void pend_destroy(viv__obj *obj)
{
    pend_obj *o = (pend_obj *)obj;
    viv_sim_t *sim = o->sim;
    viv__timer_fini(&o->tmr);
    o->count->destroyed++;
    if (o->first)
        o->count->cost_after = sim->q.cost_total + sim->q.cost;
    viv__free(sim, o, sizeof(*o));
}

static void test_sim__free_with_200000_pending_events_is_linear(void **state)
{
    (void)state;
    enum { N = 200000 };
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    pend_count count = {0};
    /* Three events in four at one instant (one owner each, made in order: a flood of
     * timers), the rest at instants of their own, and the program's events beside them. */
    for (uint32_t i = 0; i < N; i++) {
        pend_obj *o = viv__zalloc(sim, sizeof(*o));
        assert_non_null(o);
        o->sim = sim;
        o->count = &count;
        o->first = i == 0;
        uint32_t owner;
        assert_int_equal(viv__owner_new(sim, &owner), 0);
        assert_int_equal(viv__timer_init(&o->tmr, sim, owner, pend_fire), 0);
        viv__timer_set(&o->tmr, i % 4 ? VIV_S(1) : VIV_S(1) + i);
        viv__obj_register(sim, &o->obj, pend_destroy);
        if (i % 1000 == 0)
            assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_S(1), pend_noop, NULL), 0);
    }
    assert_int_equal(viv_sim_pending(sim), N + N / 1000);
    count.cost_before = sim->q.cost_total + sim->q.cost;
    /* viv_sim_free takes every object out, newest first, and each takes its event out of
     * the queue. An equal-time group used to be a ring linked one way, so the newest
     * member's removal walked the whole group: 150,000 removals of up to 150,000 steps.
     * Now each is O(1) (a member) or a short walk of its bucket (a leader, the newest). */
    viv_test_sim_free(sim, &a); /* asserts nothing is left */
    assert_int_equal(count.destroyed, N);
    uint64_t steps = count.cost_after - count.cost_before; /* walks and rebuilds: 265,736 */
    assert_true(steps <= 8 * (uint64_t)N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_sim__equal_times_run_in_scheduling_order),
        T(test_sim__many_random_events_pop_sorted),
        T(test_sim__cancel_by_generation_counted_id),
        T(test_sim__run_until_and_run_for_leave_the_clock_there),
        T(test_sim__step_runs_one_event),
        T(test_sim__stop_from_callback_and_no_reentrant_run),
        T(test_sim__bad_arguments_are_einval_with_a_message),
        T(test_sim__error_table_names_and_messages),
        T(test_sim__fingerprint_repeats_and_tells_runs_apart),
        T(test_sim__fingerprint_sees_every_bit_length_and_order),
        T(test_sim__out_of_memory_returns_enomem_and_leaks_nothing),
        T(test_sim__free_from_a_callback_is_deferred_to_the_driver),
        T(test_sim__free_with_200000_pending_events_is_linear),
#undef T
    };
    return cmocka_run_group_tests_name("core/sim", tests, NULL, NULL);
}
