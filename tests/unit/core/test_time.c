/* Time only moves forward: the end of simulated time, saturation, the next pending time,
 * and deadline timers (one queue entry per timer however often it is re-armed). */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"

static int ran;
static viv_time_t ran_at;

static void mark(viv_sim_t *sim, void *user)
{
    (void)user;
    ran++;
    ran_at = viv_sim_now(sim);
}

/* Regression (hardening issue, defect 2): after running until VIV_TIME_NEVER, scheduling a
 * second later succeeded and the event ran at a time earlier than now. */
static void test_time__run_until_never_leaves_the_clock_at_the_last_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    ran = 0;
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_S(3), mark, NULL), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_TIME_NEVER), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(viv_sim_now(sim), VIV_S(3));
    /* Time goes on from there. */
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_S(1), mark, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_TIME_NEVER), 0); /* saturates: run it all */
    assert_int_equal(ran, 2);
    assert_int_equal(ran_at, VIV_S(4));
    assert_int_equal(viv_sim_now(sim), VIV_S(4));
}

static void test_time__nothing_is_scheduled_at_or_past_never(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    ran = 0;
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_TIME_NEVER, mark, NULL), VIV_ERANGE);
    assert_non_null(strstr(viv_sim_errmsg(sim), "VIV_TIME_NEVER is not an instant"));
    /* The last instant is VIV_TIME_MAX, and an event can run there. */
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_TIME_MAX, mark, NULL), 0);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_MAX);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(viv_sim_now(sim), VIV_TIME_MAX);
    /* At the end of time: a delay of 0 still fits, anything more is refused, never wrapped. */
    assert_int_equal(viv_sim_schedule_after(NULL, sim, 1, mark, NULL), VIV_ERANGE);
    assert_int_equal(viv_sim_schedule_after(NULL, sim, VIV_S(1), mark, NULL), VIV_ERANGE);
    assert_int_equal(viv_sim_schedule_after(NULL, sim, 0, mark, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(1)), 0);
    assert_int_equal(ran, 2);
    assert_int_equal(viv_sim_now(sim), VIV_TIME_MAX);
    assert_int_equal(viv_sim_run_until(sim, VIV_TIME_NEVER), 0);
    assert_int_equal(viv_sim_now(sim), VIV_TIME_MAX);
    assert_int_equal(viv_sim_run_until(sim, 5), VIV_EINVAL); /* never backwards */
}

static void test_time__saturating_add(void **state)
{
    (void)state;
    assert_int_equal(viv__time_add(1, 2), 3);
    assert_int_equal(viv__time_add(VIV_TIME_MAX - 1, 1), VIV_TIME_MAX);
    assert_int_equal(viv__time_add(VIV_TIME_MAX - 1, 2), VIV_TIME_MAX);
    assert_int_equal(viv__time_add(VIV_TIME_MAX, 0), VIV_TIME_MAX);
    assert_int_equal(viv__time_add(VIV_TIME_NEVER, 0), VIV_TIME_MAX);
    assert_int_equal(viv__time_add(5, VIV_TIME_NEVER), VIV_TIME_MAX);
}

static void test_time__next_time_and_eager_cancel(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
    assert_int_equal(viv_sim_next_time(NULL), VIV_TIME_NEVER);
    viv_event_id a, b;
    assert_int_equal(viv_sim_schedule_at(&a, sim, VIV_MS(5), mark, NULL), 0);
    assert_int_equal(viv_sim_schedule_at(&b, sim, VIV_MS(9), mark, NULL), 0);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(5));
    /* A cancelled event leaves the queue at once: nothing of it remains to be popped. */
    assert_int_equal(viv_sim_cancel(sim, a), 1);
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv__sched_len(&sim->q), 1);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(9));
    assert_int_equal(viv_sim_cancel(sim, a), 0);
    assert_int_equal(viv_sim_cancel(sim, b), 1);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
    /* A reused slot does not answer to the old id. */
    viv_event_id c;
    assert_int_equal(viv_sim_schedule_at(&c, sim, VIV_MS(10), mark, NULL), 0);
    assert_true(c != a && c != b);
    assert_int_equal(viv_sim_cancel(sim, a), 0);
    assert_int_equal(viv_sim_cancel(sim, b), 0);
    assert_int_equal(viv_sim_pending(sim), 1);
}

/* ---- deadline timers ------------------------------------------------------------------- */

typedef struct tobj {
    viv__timer t;
    int fired;
    viv_time_t at[8];
    int refire; /* set the timer again from its callback, this far ahead */
    int fini_in_cb;
} tobj;

static void tobj_fire(viv__timer *t)
{
    tobj *o = (tobj *)t;
    if (o->fired < 8)
        o->at[o->fired] = viv_sim_now(t->sim);
    o->fired++;
    if (o->fini_in_cb)
        viv__timer_fini(t);
    else if (o->refire)
        viv__timer_set(t, viv_sim_now(t->sim) + (viv_time_t)o->refire);
}

static void test_time__timer_fires_at_its_deadline(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    assert_false(viv__timer_running(&o.t));
    assert_int_equal(viv_sim_pending(sim), 0); /* a stopped timer costs no event */
    viv__timer_set(&o.t, VIV_MS(200));
    assert_true(viv__timer_running(&o.t));
    assert_int_equal(viv_sim_pending(sim), 1);
    /* Later: nothing moves in the queue. */
    viv__timer_set(&o.t, VIV_MS(300));
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(200));
    /* Earlier: out and back in. */
    viv__timer_set(&o.t, VIV_MS(100));
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(100));
    assert_int_equal(viv_sim_pending(sim), 1);
    viv__timer_set_min(&o.t, VIV_MS(150)); /* not earlier: no change */
    assert_int_equal(o.t.deadline, VIV_MS(100));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 1);
    assert_int_equal(o.at[0], VIV_MS(100));
    assert_false(viv__timer_running(&o.t));
    /* Stopping takes it out of the queue. */
    viv__timer_set(&o.t, VIV_MS(500));
    viv__timer_stop(&o.t);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 1);
    /* A deadline in the past means now. */
    viv__timer_set(&o.t, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 2);
    assert_int_equal(o.at[1], VIV_MS(100));
    viv__timer_fini(&o.t);
    viv__timer_fini(&o.t); /* harmless twice */
}

static void test_time__timer_moved_later_wakes_once_and_rearms(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(200));
    /* An ACK every 12 us, each pushing a 200 ms retransmission deadline later: the queue
     * holds one entry throughout, and the timer fires once, 200 ms after the last ACK. */
    viv_time_t t = 0;
    uint64_t ev0 = viv_sim_events(sim);
    for (int i = 0; i < 20000; i++) {
        t += VIV_US(12);
        assert_int_equal(viv_sim_run_until(sim, t), 0);
        viv__timer_set(&o.t, t + VIV_MS(200));
        assert_int_equal(viv__sched_len(&sim->q), 1);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 1);
    assert_int_equal(o.at[0], t + VIV_MS(200));
    /* Three events in all: a wake-up at 200 ms (re-armed to 400 ms), one at 400 ms
     * (re-armed to the last deadline, 440 ms) and the firing; 20,000 ACKs cost none. */
    assert_int_equal(viv_sim_events(sim) - ev0, 3);
    viv__timer_fini(&o.t);
}

static void test_time__timer_callback_may_rearm_or_fini(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    o.refire = (int)VIV_MS(10);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(10));
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(35)), 0);
    assert_int_equal(o.fired, 3);
    assert_int_equal(o.at[2], VIV_MS(30));
    o.fini_in_cb = 1;
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 4);
    assert_int_equal(viv_sim_pending(sim), 0);
    viv__timer_fini(&o.t); /* already finished in the callback: harmless */
}

/* Regression (API fuzzer, finding g): once a deadline timer took the slot of an event that
 * ran, cancelling that event's id returned VIV_EINVAL; sim.h promises 0. */
static void test_time__cancel_of_a_ran_event_whose_slot_a_timer_took(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_event_id id;
    ran = 0;
    assert_int_equal(viv_sim_schedule_after(&id, sim, 0, mark, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    tobj o;
    memset(&o, 0, sizeof o);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    assert_int_equal((uint32_t)id, o.t.slot); /* the timer took the event's slot */
    assert_int_equal(viv_sim_cancel(sim, id), 0);
    /* An id of the timer's own generation was never issued. */
    assert_int_equal(viv_sim_cancel(sim, id + (UINT64_C(1) << 32)), VIV_EINVAL);
    viv__timer_fini(&o.t);
}

/* The slot is taken when the timer is made: arming never allocates, so it works with every
 * allocation failing. */
static void test_time__armed_timer_needs_no_memory(void **state)
{
    (void)state;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 1);
    tobj o[40];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 40; i++)
        assert_int_equal(viv__timer_init(&o[i].t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    a.fail_at = a.calls + 1;
    a.fail_all_after = 1;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++)
            viv__timer_set(&o[i].t, viv_sim_now(sim) + VIV_US(1 + (i * 7) % 13));
        assert_int_equal(viv_sim_run(sim), 0);
    }
    for (int i = 0; i < 40; i++) {
        assert_int_equal(o[i].fired, 3);
        viv__timer_fini(&o[i].t);
    }
    a.fail_at = 0;
    a.fail_all_after = 0;
    /* With no memory left, making a timer fails with a message and holds nothing. */
    viv_test_sim_free(sim, &a);
    sim = viv_test_sim_new(&a, 1);
    a.fail_at = a.calls + 1;
    a.fail_all_after = 1;
    assert_int_equal(viv__timer_init(&o[0].t, sim, VIV__OWNER_PROGRAM, tobj_fire), VIV_ENOMEM);
    viv__timer_fini(&o[0].t);
    a.fail_at = 0;
    a.fail_all_after = 0;
    viv_test_sim_free(sim, &a);
}

/* Regression (found by the API fuzzer, tests/fuzz/regress/api/n-last-instant-run): on the
 * last day of time the day's end wraps to 0, so every pop scans and searches; the search made
 * the day current again and dropped the current instant's run without turning what was left
 * of it back into an equal-time group. Its events were then lone "leaders" of one time: a
 * cancel took another event out of the queue and left the cancelled one queued (freed, to be
 * dispatched with no function), or lost events. Four events at VIV_TIME_MAX: the second
 * cancels the fourth, the third schedules one more there; the rest run in order. */
static viv_event_id last_ids[4];
static int last_order[8], last_n;

static void last_instant_cb(viv_sim_t *sim, void *user)
{
    int k = (int)(intptr_t)user;
    last_order[last_n++] = k;
    if (k == 1)
        assert_int_equal(viv_sim_cancel(sim, last_ids[3]), 1);
    if (k == 2) /* one more at the same instant: it runs after those already there */
        assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_TIME_MAX, last_instant_cb,
                                             (void *)(intptr_t)4),
                         0);
}

static void test_time__last_instant_run_survives_a_cancel(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    last_n = 0;
    for (int k = 0; k < 4; k++)
        assert_int_equal(viv_sim_schedule_at(&last_ids[k], sim, VIV_TIME_MAX, last_instant_cb,
                                             (void *)(intptr_t)k),
                         0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(last_n, 4);
    assert_int_equal(last_order[0], 0);
    assert_int_equal(last_order[1], 1);
    assert_int_equal(last_order[2], 2);
    assert_int_equal(last_order[3], 4);
    assert_int_equal(viv_sim_now(sim), VIV_TIME_MAX);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_time__run_until_never_leaves_the_clock_at_the_last_event),
        T(test_time__nothing_is_scheduled_at_or_past_never),
        T(test_time__saturating_add),
        T(test_time__next_time_and_eager_cancel),
        T(test_time__timer_fires_at_its_deadline),
        T(test_time__timer_moved_later_wakes_once_and_rearms),
        T(test_time__timer_callback_may_rearm_or_fini),
        T(test_time__armed_timer_needs_no_memory),
        T(test_time__cancel_of_a_ran_event_whose_slot_a_timer_took),
        T(test_time__last_instant_run_survives_a_cancel),
#undef T
    };
    return cmocka_run_group_tests_name("core/time", tests, NULL, NULL);
}
