/**
 * @file vivarium/sim.h
 * @brief The simulation: clock, event queue, driver loop, errors and fingerprint.
 *
 * @defgroup viv_sim Simulation
 * @brief Create a simulated world, schedule events, and run simulated time.
 *
 * A ::viv_sim_t owns everything created in it (nodes, links, sockets, captures, events);
 * viv_sim_free() releases all of it. Two simulations share nothing, so two threads may each
 * run their own.
 *
 * **Events.** viv_sim_schedule_at() and viv_sim_schedule_after() post a callback at a
 * simulated instant. Events run in order of time. Events due at the same instant run in a
 * fixed order that never depends on how their scheduling interleaved: the program's own
 * (these functions') first, in the order they were scheduled, then each node's and each link
 * direction's, in the order those were created, each in the order it scheduled them. Each
 * scheduled event has a ::viv_event_id, unique for the life of
 * the simulation, with which it can be cancelled; cancelling an event that already ran or was
 * already cancelled is harmless.
 *
 * **Driving.** viv_sim_step() runs one event; viv_sim_run() runs until nothing is pending;
 * viv_sim_run_until() and viv_sim_run_for() run up to an instant and leave the clock there.
 * viv_sim_stop(), called from a callback, makes the running driver return after that
 * callback. What the library keeps queued for its own bookkeeping with nothing due (a TCP
 * connection's timer after its last deadline stopped, kept so that the next one costs
 * less) is no event: it is not pending, not counted, never the next time, never moves the
 * clock, and never keeps viv_sim_run() going, which ends at the last event that ran.
 *
 * **Determinism.** vivarium never reads a wall clock or a process-wide random generator.
 * The same program with the same seed dispatches the same events in the same order and puts
 * the same bytes on the same wires, on every machine. viv_sim_fingerprint() summarises the
 * run so far in 64 bits so that a test can check exactly that.
 *
 * @code
 * static void hello(viv_sim_t *sim, void *user) {
 *     printf("%s at %llu ns\n", (const char *)user, (unsigned long long)viv_sim_now(sim));
 * }
 * ...
 * viv_sim_t *sim;
 * viv_sim_opts opts = VIV_SIM_OPTS_INIT;
 * opts.seed = 42;
 * if (viv_sim_new(&sim, &opts) < 0) return 1;
 * viv_sim_schedule_after(NULL, sim, VIV_MS(5), hello, "hello");
 * viv_sim_run(sim);
 * viv_sim_free(sim);
 * @endcode
 * @{
 */
#ifndef VIVARIUM_SIM_H
#define VIVARIUM_SIM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A simulation (opaque). */
typedef struct viv_sim viv_sim_t;

/** Identifies one scheduled event. 0 is never a valid id. */
typedef uint64_t viv_event_id;

/**
 * An event callback.
 * @param sim the simulation running it; viv_sim_now() is the event's time.
 * @param user the pointer given when the event was scheduled.
 */
typedef void (*viv_event_fn)(viv_sim_t *sim, void *user);

/** Options for viv_sim_new(). All-zero fields mean the defaults. */
typedef struct viv_sim_opts {
    /** Seed of every random stream of the simulation (default 0, a valid seed). */
    uint64_t seed;
    /** Allocator for everything in this simulation; NULL uses the C library's. */
    viv_alloc_fn alloc;
    /** Passed as the first argument of every call to @ref alloc. */
    void *alloc_ud;
} viv_sim_opts;

/** Initialiser for ::viv_sim_opts with every default. */
#define VIV_SIM_OPTS_INIT {0, NULL, NULL}

/**
 * Create a simulation with its clock at 0 and nothing scheduled.
 * @param[out] out receives the simulation; untouched on failure.
 * @param opts the options, or NULL for the defaults.
 * @return 0, or VIV_EINVAL (@p out is NULL), VIV_ENOMEM.
 *
 * Ownership: the caller frees the simulation with viv_sim_free().
 */
VIV_API int viv_sim_new(viv_sim_t **out, const viv_sim_opts *opts);

/**
 * Free a simulation and everything created in it: nodes, links, sockets, captures and
 * pending events (which do not run). Every pointer obtained from it becomes invalid.
 * @param sim the simulation, or NULL (nothing happens).
 *
 * Called from inside one of the simulation's callbacks, it stops the run: the simulation is
 * freed when that callback returns, and the driver call (viv_sim_run() and friends) returns
 * then. The program must not use the simulation after the driver returns.
 */
VIV_API void viv_sim_free(viv_sim_t *sim);

/**
 * The current simulated time.
 * @param sim the simulation.
 * @return nanoseconds since the start; 0 if @p sim is NULL.
 */
VIV_API viv_time_t viv_sim_now(const viv_sim_t *sim);

/**
 * The seed the simulation was created with.
 * @param sim the simulation.
 * @return the seed; 0 if @p sim is NULL.
 */
VIV_API uint64_t viv_sim_seed(const viv_sim_t *sim);

/**
 * The message left by the last failing call on this simulation.
 * @param sim the simulation, or NULL (gives "").
 * @return a string owned by the simulation, valid until the next failing call or
 *         viv_sim_free(); "" if no call has failed. Never NULL. A call that fails because
 *         its simulation or object handle is NULL has nowhere to write and leaves it as it
 *         was.
 */
VIV_API const char *viv_sim_errmsg(const viv_sim_t *sim);

/**
 * Schedule @p fn to run at simulated time @p at.
 * @param[out] id_out receives the event's id, or NULL if not wanted.
 * @param sim the simulation.
 * @param at the instant; not before viv_sim_now(), at most ::VIV_TIME_MAX.
 * @param fn the callback.
 * @param user passed to @p fn; vivarium never reads or frees it.
 * @return 0, or VIV_EINVAL (NULL @p sim or @p fn, @p at in the past), VIV_ERANGE (@p at is
 *         ::VIV_TIME_NEVER), VIV_ENOMEM.
 *
 * Callback timing: @p fn runs from a driver call (viv_sim_run() and friends), never from
 * this call: after the program's events already scheduled for the same instant, and before
 * the events of nodes and links at that instant (see **Events** above). It runs once, or
 * never if the event is cancelled or the simulation freed first: whatever @p user holds is
 * the program's to release then. This function may be called from any callback but the
 * trace's (trace.h), and @p fn may call any function of the library.
 */
VIV_API int viv_sim_schedule_at(viv_event_id *id_out, viv_sim_t *sim, viv_time_t at,
                                viv_event_fn fn, void *user);

/**
 * Schedule @p fn to run @p delay nanoseconds from now (0 is allowed: later in this instant).
 * @param[out] id_out receives the event's id, or NULL if not wanted.
 * @param sim the simulation.
 * @param delay how long from now.
 * @param fn the callback.
 * @param user passed to @p fn.
 * @return 0, or VIV_EINVAL (NULL @p sim or @p fn), VIV_ERANGE (now + @p delay is past
 *         ::VIV_TIME_MAX: the event could never run), VIV_ENOMEM.
 *
 * Callback timing: as for viv_sim_schedule_at().
 */
VIV_API int viv_sim_schedule_after(viv_event_id *id_out, viv_sim_t *sim, viv_time_t delay,
                                   viv_event_fn fn, void *user);

/**
 * Cancel a scheduled event so that it never runs.
 * @param sim the simulation.
 * @param id the id from viv_sim_schedule_at() or viv_sim_schedule_after().
 * @return 1 if the event was pending and is now cancelled; 0 if it already ran or was
 *         already cancelled (harmless), or is the event running now (from its own
 *         callback); VIV_EINVAL for NULL @p sim or an id this simulation never issued.
 */
VIV_API int viv_sim_cancel(viv_sim_t *sim, viv_event_id id);

/**
 * Run the earliest pending event, advancing the clock to its time, and the socket callbacks
 * it raised (socket.h). Callbacks raised by the program outside a run are a step of their
 * own: if any are pending, the step calls them and runs no event.
 * @param sim the simulation.
 * @return 1 if an event or callbacks ran, 0 if nothing was pending, VIV_EINVAL (NULL), VIV_ESTATE (called
 *         from inside a callback of this simulation).
 */
VIV_API int viv_sim_step(viv_sim_t *sim);

/**
 * Run events until none is pending or viv_sim_stop() is called. The clock is left at the
 * last event that ran.
 * @param sim the simulation.
 * @return 0, or VIV_EINVAL, VIV_ESTATE (called from inside a callback).
 */
VIV_API int viv_sim_run(viv_sim_t *sim);

/**
 * Run every event due at or before @p t, then set the clock to @p t.
 *
 * With @p t = ::VIV_TIME_NEVER this is viv_sim_run(): every event runs and the clock stays
 * at the last one's time (VIV_TIME_NEVER is no instant, so the clock never reaches it and
 * events can still be scheduled afterwards). If viv_sim_stop() is called first, the driver
 * returns with the clock at the time of the
 * event that stopped it.
 * @param sim the simulation.
 * @param t the instant to run to; not before viv_sim_now().
 * @return 0, or VIV_EINVAL (NULL, @p t in the past), VIV_ESTATE (inside a callback).
 */
VIV_API int viv_sim_run_until(viv_sim_t *sim, viv_time_t t);

/**
 * Run for @p d nanoseconds of simulated time: viv_sim_run_until(now + d). Where now + @p d
 * would pass ::VIV_TIME_MAX it saturates: viv_sim_run_until(VIV_TIME_NEVER).
 * @param sim the simulation.
 * @param d the duration.
 * @return as viv_sim_run_until().
 */
VIV_API int viv_sim_run_for(viv_sim_t *sim, viv_time_t d);

/**
 * Ask the running driver to return once the current callback returns. Outside a driver
 * call it does nothing.
 * @param sim the simulation (NULL is ignored).
 */
VIV_API void viv_sim_stop(viv_sim_t *sim);

/**
 * The time of the earliest pending event: what a driver that paces the simulation against
 * something outside it (a real network interface, a GUI, wall-clock time) waits for.
 * @param sim the simulation (NULL gives ::VIV_TIME_NEVER).
 * @return the time, at or after viv_sim_now(); ::VIV_TIME_NEVER if nothing is pending;
 *         viv_sim_now() while socket callbacks raised outside a run wait for the next run.
 *
 * Looking does not change the run. Observers due before that event (a capture writing a
 * frame whose transmission starts then) may do their work during the call: that is what
 * the next driver call would do first anyway, and they leave no trace in the run.
 */
VIV_API viv_time_t viv_sim_next_time(const viv_sim_t *sim);

/**
 * The number of events that are scheduled and not cancelled, plus the sockets whose
 * callbacks the program raised outside a run and that wait for the next run or step.
 * @param sim the simulation.
 * @return the count; 0 if @p sim is NULL.
 */
VIV_API size_t viv_sim_pending(const viv_sim_t *sim);

/**
 * The number of events dispatched since the simulation was created.
 * @param sim the simulation.
 * @return the count; 0 if @p sim is NULL.
 */
VIV_API uint64_t viv_sim_events(const viv_sim_t *sim);

/**
 * The fingerprint of the run so far: a 64-bit hash folded over every dispatched event
 * (its time and scheduling order) and every frame put on a wire (time, link direction,
 * length, and its first 64 bytes: every header up to TCP's options, whose UDP, TCP and ICMP
 * checksums in turn cover the payload; frames of a program's own devices are covered by
 * their first 64 bytes and length).
 *
 * Two runs of the same program with the same seed have the same fingerprint at the same
 * point, on every machine; any difference in what happened changes it (with the
 * probability of a 64-bit hash collision).
 * @param sim the simulation.
 * @return the fingerprint; 0 if @p sim is NULL.
 */
VIV_API uint64_t viv_sim_fingerprint(const viv_sim_t *sim);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
