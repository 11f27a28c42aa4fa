/* Time only moves forward: the end of simulated time, saturation, the next pending time,
 * and deadline timers (one queue entry per timer however often it is re-armed). */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"
#include "vivarium/testing.h"

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

/* ---- idle timers (viv__timer_idle) ------------------------------------------------------ */

static viv_time_t marks[8];
static int nmarks;

static void mark_time(viv_sim_t *sim, void *user)
{
    (void)user;
    if (nmarks < 8)
        marks[nmarks] = viv_sim_now(sim);
    nmarks++;
}

/* An idle timer's event stays queued and leaves no trace: no clock, no event, not pending,
 * not the next time, no step, no fingerprint, no callback. A run with nothing else ends at the
 * last real event; a later real event takes the idle one out as the clock passes it. The
 * same program with the timer stopped (its event taken out at once) is the same run: same
 * clock, events and fingerprint throughout. */
static void idle_program(viv_sim_t *sim, tobj *o, int idle)
{
    nmarks = 0;
    assert_int_equal(viv__timer_init(&o->t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(10), mark_time, NULL), 0);
    viv__timer_set(&o->t, VIV_MS(100));
    if (idle)
        viv__timer_idle(&o->t);
    else
        viv__timer_stop(&o->t);
    assert_false(viv__timer_running(&o->t));
    assert_int_equal(viv__sched_len(&sim->q), 1 + (size_t)idle);
    assert_int_equal(o->t.queued, idle ? VIV__TIMER_IDLE : 0);
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(10));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(10)); /* the last real event, not 100 ms */
    assert_int_equal(viv_sim_events(sim), 1);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
    assert_int_equal(viv_sim_step(sim), 0);
    assert_int_equal(viv_sim_run(sim), 0); /* again: still nothing to do */
    assert_int_equal(viv_sim_now(sim), VIV_MS(10));
    assert_int_equal(viv_sim_events(sim), 1);
    assert_int_equal(viv__sched_len(&sim->q), (size_t)idle); /* left queued */
    /* Events before the idle one's time (the calendar's day went past them) and after it,
     * run in order; the idle event leaves as the clock passes it. */
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(150), mark_time, NULL), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(50), mark_time, NULL), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(100), mark_time, NULL), 0);
    assert_int_equal(viv_sim_pending(sim), 3);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(50));
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(50));
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(100)); /* the program's, at that time */
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(100));
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(150));
    assert_int_equal(viv_sim_step(sim), 0);
    assert_int_equal(nmarks, 4);
    assert_int_equal(marks[1], VIV_MS(50));
    assert_int_equal(marks[2], VIV_MS(100));
    assert_int_equal(marks[3], VIV_MS(150));
    assert_int_equal(viv_sim_events(sim), 4);
    assert_int_equal(o->fired, 0);
    assert_int_equal(o->t.queued, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    assert_int_equal(sim->idle_pending, 0);
    /* A timer whose idle event left is set anew like any stopped timer. */
    viv__timer_set(&o->t, VIV_MS(200));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o->fired, 1);
    assert_int_equal(o->at[0], VIV_MS(200));
    assert_int_equal(viv_sim_events(sim), 5);
    viv__timer_fini(&o->t);
}

static void test_time__idle_timer_leaves_no_trace(void **state)
{
    (void)state;
    viv_test_alloc a, b;
    viv_sim_t *s1 = viv_test_sim_new(&a, 9), *s2 = viv_test_sim_new(&b, 9);
    tobj o1, o2;
    memset(&o1, 0, sizeof o1);
    memset(&o2, 0, sizeof o2);
    idle_program(s1, &o1, 1);
    idle_program(s2, &o2, 0);
    assert_int_equal(viv_sim_fingerprint(s1), viv_sim_fingerprint(s2));
    assert_int_equal(viv_sim_events(s1), viv_sim_events(s2));
    assert_int_equal(viv_sim_now(s1), viv_sim_now(s2));
    viv_test_sim_free(s1, &a);
    viv_test_sim_free(s2, &b);
}

/* Set again, an idle timer is a timer again: at or after its event's time a store (the event
 * runs there, counted, and moves on to the deadline, as for any deadline moved later),
 * before it a move. Stopped or finished, its event goes. */
static void test_time__idle_timer_rearmed_later_or_earlier(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(100));
    uint64_t seq = sim->own[VIV__OWNER_PROGRAM].seq;
    viv__timer_idle(&o.t);
    viv__timer_idle(&o.t); /* idle already: nothing more */
    assert_int_equal(sim->idle_pending, 1);
    /* Later: a store. */
    viv__timer_set(&o.t, VIV_MS(120));
    assert_int_equal(o.t.queued, VIV__TIMER_QUEUED);
    assert_int_equal(sim->idle_pending, 0);
    assert_int_equal(sim->own[VIV__OWNER_PROGRAM].seq, seq); /* no push */
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(100));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 1);
    assert_int_equal(o.at[0], VIV_MS(120));
    assert_int_equal(viv_sim_events(sim), 2); /* the wake-up at 100 ms, the firing */
    /* At the event's very time: a store too. */
    viv__timer_set(&o.t, VIV_MS(300));
    viv__timer_idle(&o.t);
    seq = sim->own[VIV__OWNER_PROGRAM].seq;
    viv__timer_set(&o.t, VIV_MS(300));
    assert_int_equal(sim->own[VIV__OWNER_PROGRAM].seq, seq);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 2);
    assert_int_equal(o.at[1], VIV_MS(300));
    assert_int_equal(viv_sim_events(sim), 3);
    /* Earlier: the event moves (out and back in). */
    viv__timer_set(&o.t, VIV_MS(500));
    viv__timer_idle(&o.t);
    viv__timer_set(&o.t, VIV_MS(400));
    assert_int_equal(sim->own[VIV__OWNER_PROGRAM].seq, seq + 2);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(400));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 3);
    assert_int_equal(o.at[2], VIV_MS(400));
    assert_int_equal(viv_sim_events(sim), 4); /* nothing at 500 ms */
    assert_int_equal(viv__sched_len(&sim->q), 0);
    /* Stopped, an idle timer's event goes at once; so does a finished one's. */
    viv__timer_set(&o.t, VIV_MS(600));
    viv__timer_idle(&o.t);
    viv__timer_stop(&o.t);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(sim->idle_pending, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    viv__timer_set(&o.t, VIV_MS(600));
    viv__timer_idle(&o.t);
    viv__timer_fini(&o.t);
    assert_int_equal(sim->idle_pending, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    /* Idle on a stopped timer: stopped, nothing queued. */
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_idle(&o.t);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    viv__timer_fini(&o.t);
    assert_int_equal(o.fired, 3);
}

/* run_until and run_for end where they are told: past an idle event, which leaves then
 * (a queued event is never in the past); before it, which stays. */
static void test_time__run_until_past_an_idle_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(200));
    viv__timer_idle(&o.t);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(150)), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(150));
    assert_int_equal(o.t.queued, VIV__TIMER_IDLE);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(250));
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    assert_int_equal(viv_sim_events(sim), 0);
    /* Set again after it left: a push, at its own time. */
    viv__timer_set(&o.t, VIV_MS(260));
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.fired, 1);
    assert_int_equal(o.at[0], VIV_MS(260));
    assert_int_equal(viv_sim_events(sim), 1);
    /* With a real event past the limit, the idle one before the limit leaves too. */
    nmarks = 0;
    viv__timer_set(&o.t, VIV_MS(300));
    viv__timer_idle(&o.t);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(400), mark_time, NULL), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(350)), 0);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(viv_sim_pending(sim), 1);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(nmarks, 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(400));
    assert_int_equal(o.fired, 1);
    /* Idle at the simulation's free (the fixture checks that nothing leaks). */
    viv__timer_set(&o.t, VIV_MS(500));
    viv__timer_idle(&o.t);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.t.queued, VIV__TIMER_IDLE);
}

/* Several idle events before a real one: the next time is the real one's, and a step runs
 * it. (The look past idle events took its shortcut, "only idle events are left", by
 * comparing the queue's length with the count of idle events after setting some of them
 * aside: with two real and six idle queued, it said VIV_TIME_NEVER once two idle ones were
 * aside, and viv_sim_step then ran an event. The API fuzzer found it.) */
static void test_time__next_time_past_several_idle_events(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o[4];
    memset(o, 0, sizeof o);
    nmarks = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(viv__timer_init(&o[i].t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
        viv__timer_set(&o[i].t, VIV_MS(10) * (viv_time_t)(i + 1));
        viv__timer_idle(&o[i].t);
    }
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(100), mark_time, NULL), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(200), mark_time, NULL), 0);
    assert_int_equal(sim->idle_pending, 4);
    assert_int_equal(viv__sched_len(&sim->q), 6);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(100));
    assert_int_equal(viv__sched_len(&sim->q), 6); /* the query put them all back */
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(100));
    assert_int_equal(nmarks, 1);
    assert_int_equal(viv_sim_next_time(sim), VIV_MS(200));
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(200));
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
    assert_int_equal(viv_sim_step(sim), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(o[i].fired, 0);
        viv__timer_fini(&o[i].t);
    }
}

/* Asked from a callback, the next time looks past an idle event at the current instant
 * (put back in its place, it leaves when the run passes it). */
static viv_time_t next_seen;
static void ask_next(viv_sim_t *sim, void *user)
{
    (void)user;
    next_seen = viv_sim_next_time(sim);
}

static void test_time__next_time_from_a_callback_past_an_idle_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    nmarks = 0;
    next_seen = 0;
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(100), ask_next, NULL), 0);
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(200), mark_time, NULL), 0);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(100)); /* after ask_next at that instant (a later seq) */
    viv__timer_idle(&o.t);
    assert_int_equal(viv_sim_step(sim), 1);
    assert_int_equal(next_seen, VIV_MS(200));
    assert_int_equal(o.t.queued, VIV__TIMER_IDLE);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(nmarks, 1);
    assert_int_equal(viv_sim_now(sim), VIV_MS(200));
    assert_int_equal(viv_sim_events(sim), 2);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(o.fired, 0);
    viv__timer_fini(&o.t);
}

/* The testing kit's viv_run_until looks past idle events too: an idle event before the
 * deadline and a real one after it, the run stops at the deadline (the real event not run),
 * and the idle one, passed, is gone. */
static int never(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
    return 0;
}

static void test_time__kit_run_until_past_an_idle_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    nmarks = 0;
    assert_int_equal(viv_sim_schedule_at(NULL, sim, VIV_MS(300), mark_time, NULL), 0);
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(100));
    viv__timer_idle(&o.t);
    assert_int_equal(viv_run_until(sim, VIV_MS(200), never, NULL), 0);
    assert_int_equal(nmarks, 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(200));
    assert_int_equal(viv_sim_events(sim), 0);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(viv_sim_pending(sim), 1);
    viv__timer_fini(&o.t);
}

/* Observers' events behind an idle one, with nothing real: viv_sim_run leaves both queued
 * (an observer runs when the run's clock passes the idle event, or when asked for the next
 * time, which runs observers at the head and looks past idle events); run_until runs them. */
static int observed;
static void observe(viv_sim_t *sim, viv__observer *obs)
{
    (void)sim;
    (void)obs;
    observed++;
}

static void test_time__observers_behind_an_idle_event(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tobj o;
    memset(&o, 0, sizeof o);
    observed = 0;
    assert_int_equal(viv__timer_init(&o.t, sim, VIV__OWNER_PROGRAM, tobj_fire), 0);
    viv__timer_set(&o.t, VIV_MS(100));
    viv__timer_idle(&o.t);
    viv__observer obs = {observe};
    assert_int_equal(viv__schedule_observer(sim, NULL, VIV_MS(150), &obs), 0);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(observed, 0);
    assert_int_equal(viv_sim_now(sim), 0);
    assert_int_equal(viv__sched_len(&sim->q), 2);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(200)), 0);
    assert_int_equal(observed, 1);
    assert_int_equal(o.t.queued, 0);
    assert_int_equal(viv__sched_len(&sim->q), 0);
    viv__timer_set(&o.t, VIV_MS(300));
    viv__timer_idle(&o.t);
    assert_int_equal(viv__schedule_observer(sim, NULL, VIV_MS(350), &obs), 0);
    assert_int_equal(viv_sim_next_time(sim), VIV_TIME_NEVER);
    assert_int_equal(observed, 2);
    assert_int_equal(o.t.queued, VIV__TIMER_IDLE); /* looked past, still queued */
    assert_int_equal(viv_sim_events(sim), 0);
    assert_int_equal(viv_sim_now(sim), VIV_MS(200));
    viv__timer_fini(&o.t);
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
        T(test_time__idle_timer_leaves_no_trace),
        T(test_time__idle_timer_rearmed_later_or_earlier),
        T(test_time__run_until_past_an_idle_event),
        T(test_time__observers_behind_an_idle_event),
        T(test_time__next_time_from_a_callback_past_an_idle_event),
        T(test_time__next_time_past_several_idle_events),
        T(test_time__kit_run_until_past_an_idle_event),
        T(test_time__cancel_of_a_ran_event_whose_slot_a_timer_took),
        T(test_time__last_instant_run_survives_a_cancel),
#undef T
    };
    return cmocka_run_group_tests_name("core/time", tests, NULL, NULL);
}
