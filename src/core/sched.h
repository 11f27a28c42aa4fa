/* The event queue: a calendar queue (Brown 1988) over the simulation's event table.
 *
 * Each event lives in one slot of the event table (viv__event), which is also its queue
 * node: the queue links slots by index and never copies them. Events are ordered by (time,
 * owner, seq): owner names the node or link direction the event belongs to, and seq counts
 * that owner's events, so the order is total, one owner's events at one instant pop in push
 * order, and the order does not depend on how owners' pushes interleave. That is what lets
 * a run cut into parts (one per process) keep exactly the order of the whole.
 *
 * Layout. Time is cut into days of 2^shift ns; day d belongs to bucket d mod nb (nb a power
 * of two), so a year of nb days wraps around the bucket array. A bucket is a list of its
 * distinct times in increasing order (whatever their year), with its first and its last
 * (head and tail); all events at one time hang off the least of them (the leader) in (owner,
 * seq) order, in a ring linked both ways. A push before the bucket's first time or after its
 * last (the common cases: most times are new, or the latest of their day), or at the last
 * time when it sorts after that instant's events (one owner's burst, or a flood through
 * owners made in order), or at the instant the previous push joined (a hint), costs O(1);
 * only a push between two of the bucket's times walks the list (the program's own events,
 * whose times may follow any distribution, take viv__sched_push_rand, which tells the first
 * two cases apart without a branch). Popping takes the head of the current day's bucket;
 * when that is not due, it scans buckets day by day, and a year with nothing due falls
 * back to a direct search.
 *
 * The current instant's run. Popping a leader whose instant has other events lays them out
 * at the head of its bucket one after another, in (owner, seq) order, each with no group of
 * its own (a walk of the ring, a few instructions a member): each of them then pops as a
 * lone event does, inline, with no leader handed over. While that run lasts (run_on), the
 * day's start is the instant plus one, so that a push at the instant (an event posted for
 * now) takes the push's out-of-line early path, which puts it in its place in the run
 * (mostly at its end, kept in now_last, or near its front); every other push and pop tests
 * nothing more. The run is the only place where a bucket lists one time more than once.
 * Anything that would disturb it (a push before its instant, possible only when observers'
 * events left the clock behind; a removal at its instant; a rebuild) first makes it an
 * equal-time group again.
 *
 * Tuning is automatic and costs nothing on the O(1) paths: the walks and the scans (the
 * slow operations) count their steps and check the calendar. nb grows to fit when a walk, a
 * scan or a removal finds more events than buckets and shrinks when a scan finds fewer than
 * a quarter (or the queue empties); a calendar of 256 buckets or fewer shrinks only when the
 * queue empties or a re-tuning finds it costly, since a small queue's swings would rebuild
 * it at every low point. The day
 * width is re-estimated from the gaps between the earliest distinct times at every resize
 * and whenever the slow operations cost too much on average (a skewed or drifting
 * distribution). A failed allocation only postpones a resize: push and pop never fail.
 *
 * Removal. Any queued slot can be taken out (viv__sched_remove): cancelling an event frees
 * its slot at once, so the queue never carries dead entries. An equal-time group is a ring
 * linked both ways, so a member leaves it in O(1); a leader, or the newest member (whose
 * leader names it), costs a walk of its bucket up to its time (a few steps: the tuning
 * keeps buckets short). Taking the objects of a simulation apart newest first, each with
 * its events at one instant, is then linear, not quadratic.
 *
 * The sentinel. Slot VIV__QEND (0) of every event table is never an event: its time is
 * UINT64_MAX, and it ends every bucket's list (an empty bucket names it), so a walk along a
 * bucket tests only times (`ev[h].time < t`), never for the end of the list as well, and a
 * pop tests only whether the head is due. The table's owner reserves it
 * (viv__sched_table_init) before the first push. Event times are below UINT64_MAX.
 *
 * The queue holds at most UINT32_MAX - 2 slots (indices are 32-bit, VIV__QNIL and the
 * sentinel excluded).
 *
 * Included through core.h (the inline push and pop use its VIV__LIKELY/UNLIKELY). */
#ifndef VIV_CORE_SCHED_H
#define VIV_CORE_SCHED_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/sim.h"

/* No slot: a group with no other member (`same`), nothing to pop. */
#define VIV__QNIL UINT32_MAX
/* The sentinel slot (see above): the end of a bucket's list. */
#define VIV__QEND 0u
_Static_assert(VIV__QEND == 0, "the push masks a link with it");

/* One slot of the event table. The simulation owns fn, user, gen and owner; the queue owns
 * next and same while the slot is queued (the simulation reuses next for its free list). A
 * slot is pending while it is queued; an id names it while gen matches the id's generation.
 *
 * While queued, a leader's next is the next distinct time's leader in its bucket (or
 * VIV__QEND) and its same the newest member of its instant's group (or VIV__QNIL: no other
 * event then). Members are a ring in (owner, seq) order: a member's same is the next greater
 * member (the newest's, the oldest member), its next the next smaller (the oldest's, the
 * newest). */
typedef struct viv__event {
    uint64_t time;
    uint64_t seq;   /* the owner's own count */
    viv_event_fn fn;
    void *user;
    uint32_t gen;
    uint32_t owner; /* who the event belongs to (VIV__OWNER_PROGRAM, a node, a link side) */
    uint32_t next;  /* see above; free: the next free slot */
    uint32_t same;  /* see above */
} viv__event;

/* The start of an empty queue's day: later than any event's, so the next push sets it. */
#define VIV__SCHED_EMPTY UINT64_MAX

/* The depth of the current run's look-ahead window (viv__sched.ahead_ring), a power of two:
 * how many events ahead of the one running its consumers can ask for memory. */
#define VIV__SCHED_AHEAD 16u
/* How many members of an equal-time group the group's pop enters in the window (asking
 * for their user data and owner entries): the distance, in events, at which the run's
 * consumers then enter the next ones (VIV__SCHED_LEAD + 1 events ahead of the one running).
 * Below VIV__SCHED_AHEAD, so that the window also holds the events nearer than that. */
#define VIV__SCHED_LEAD 12u
/* The owners (sim->own_len) from which a group's pop starts the window: about 2,500 hosts
 * with a link each. Below, a run's memory is in the caches (the 1,000-host scale run). */
#define VIV__SCHED_AHEAD_OWNERS 8192u
_Static_assert((VIV__SCHED_AHEAD & (VIV__SCHED_AHEAD - 1)) == 0 && VIV__SCHED_LEAD < VIV__SCHED_AHEAD,
               "the look-ahead window is a power of two, longer than the lead");

/* Buckets a queue starts with, held inside the structure (no allocation needed). */
#define VIV__SCHED_MIN_BUCKETS 16u

/* A bucket: the leaders of its earliest and latest distinct times. tail is meaningful only
 * while head is not VIV__QEND (the bucket is not empty). */
typedef struct viv__sched_bucket {
    uint32_t head;
    uint32_t tail;
} viv__sched_bucket;

typedef struct viv__sched {
    viv__sched_bucket *bucket; /* nb buckets; points at small[] when nb is minimal */
    uint32_t nb;      /* buckets, a power of two */
    uint32_t mask;    /* nb - 1 */
    uint32_t shift;   /* a day is 2^shift ns */
    uint32_t cur;     /* the bucket of the current day */
    uint64_t start;   /* the current day's first instant: no queued event is earlier;
                       * VIV__SCHED_EMPTY when the queue is empty */
    uint64_t top;     /* start + 2^shift: the end of the current day (0 on the last day of
                       * time, which then takes the slow path every time) */
    size_t len;       /* queued slots */
    /* The instant a push last joined (VIV__SCHED_EMPTY: none) and its leader, which has
     * other events there while the hint holds: the next push at that instant (the rest of
     * a flood) joins without walking its bucket. */
    uint64_t hint_t;
    uint32_t hint_lead;
    /* The current instant's run (see above): whether one was laid out, its instant and its
     * last event. It holds while run_on, start is now_t + 1 and the current day is now_t's
     * (a scan to a later day ends it, with nothing left in it, without a word). */
    uint32_t run_on;
    uint32_t now_last;
    uint64_t now_t;
    /* The run's look-ahead window (VIV__SCHED_AHEAD): the slots of the run's next events, in
     * the order they will pop, for the events that run to ask for their successors' memory
     * while they run (a flood's link arrivals: link.c). The group's pop enters its first
     * VIV__SCHED_LEAD members and leaves `ahead` at the one after; a consumer enters one
     * more per event (ahead_ring[ahead_n % VIV__SCHED_AHEAD] = ahead, ahead_n++, ahead =
     * its next), stopping (ahead = VIV__QNIL) at the first slot it does not know. Hints
     * only: a slot entered may since have run, been cancelled or reused, so a consumer
     * reads a slot's user only while the slot's fn is its own (a run or cancelled slot's fn
     * is NULL: freed slots are never pending). Whatever rearranges the run (run_end) stops
     * it. */
    uint32_t ahead;
    uint32_t ahead_n;
    uint32_t ahead_ring[VIV__SCHED_AHEAD];
    uint32_t ahead_min_owners; /* VIV__SCHED_AHEAD_OWNERS (tests lower it) */
    size_t grow_at;   /* grow when a walk finds len above this */
    size_t shrink_at; /* shrink when a scan finds len below this */
    /* Tuning checks come every `window` slow operations (walks along a bucket and scans
     * for the next due day): `left` counts down to the next one. */
    uint64_t left;    /* slow operations left in the current window */
    uint64_t window;  /* the current window's length: 2 nb << backoff */
    uint64_t cost;    /* list steps and empty days visited in the current window */
    uint64_t resizes;    /* rebuilds so far (resizes and re-tunings) */
    uint32_t backoff;    /* re-tuning checks are 2 nb << backoff slow operations apart */
    uint32_t retuned;    /* the current window started with a re-tuning */
    uint64_t rebuilt_at; /* slow_total at the last rebuild */
    uint64_t slow_total; /* slow operations and their cost over the queue's life, up to */
    uint64_t cost_total; /* the current window (for tests: the cost stays bounded) */
    viv__sched_bucket small[VIV__SCHED_MIN_BUCKETS];
} viv__sched;

struct viv_sim;

/* Initialise an empty queue. It cannot fail; the structure must not be moved afterwards. */
void viv__sched_init(viv__sched *q);
/* Make slot VIV__QEND of a new event table the sentinel (the table has room for it). */
static inline void viv__sched_table_init(viv__event *ev)
{
    ev[VIV__QEND].time = UINT64_MAX;
    ev[VIV__QEND].seq = 0;
    ev[VIV__QEND].fn = NULL;
    ev[VIV__QEND].user = NULL;
    ev[VIV__QEND].gen = 0;
    ev[VIV__QEND].owner = UINT32_MAX;
    ev[VIV__QEND].next = VIV__QEND;
    ev[VIV__QEND].same = VIV__QNIL;
}
/* Release the queue's memory (not the event table). */
void viv__sched_fini(struct viv_sim *sim, viv__sched *q);
/* The out-of-line part of a push: one between the first and the last time of bucket b,
 * both included (t is ev[slot].time). The last thing the push does (a tail call), so that
 * its hot path keeps nothing live across a call. */
VIV__NOINLINE void viv__sched_push_slow(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                        uint32_t b, uint32_t slot, uint64_t t);

/* A push before the current day's start: at the current instant while its run holds (it
 * joins the run); earlier than the current day (the driver ran to a limit, then scheduled
 * before the next event); or the first event (an empty queue's day starts at
 * VIV__SCHED_EMPTY). Out of line. */
VIV__NOINLINE void viv__sched_push_early(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                         uint32_t slot);

/* Queue slot ev[slot], whose time, owner and seq are set; (owner, seq) must be unique among
 * queued slots. Never fails (a failed resize is retried later). Inline: it is the hot half
 * of every event. */
static inline void viv__sched_push(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                   uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint64_t t = e->time;
    assert(t != UINT64_MAX && slot != VIV__QEND); /* the sentinel's */
    uint32_t b = (uint32_t)(t >> q->shift) & q->mask;
    if (VIV__UNLIKELY(t < q->start)) {
        viv__sched_push_early(sim, q, ev, slot);
        return;
    }
    viv__sched_bucket *bk = &q->bucket[b];
    uint32_t h = bk->head;
    e->same = VIV__QNIL;
    if (t < ev[h].time) {
        /* Before the bucket's first time (an empty bucket's is the sentinel's). */
        e->next = h;
        bk->head = slot;
        if (h == VIV__QEND)
            bk->tail = slot;
    } else {
        uint32_t tl = bk->tail;
        if (VIV__UNLIKELY(t <= ev[tl].time)) {
            /* At or before the bucket's last time: out of line (a loop here would cost
             * every push the registers it needs). */
            viv__sched_push_slow(sim, q, ev, b, slot, t);
            return;
        }
        /* After the bucket's last time. */
        ev[tl].next = slot;
        e->next = VIV__QEND;
        bk->tail = slot;
    }
    q->len++;
}
/* The same for an event whose time follows no pattern a branch predictor learns: the
 * program's own events (viv_sim_schedule_at, _after), which may come from any distribution
 * (the hold model's are exponential). Its common cases take no branch that depends on
 * where the time falls in its bucket, for a dozen instructions more than viv__sched_push;
 * the library's own events (link arrivals, timers), which mostly append in order and
 * predict well, take viv__sched_push. */
static inline void viv__sched_push_rand(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                        uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint64_t t = e->time;
    assert(t != UINT64_MAX && slot != VIV__QEND); /* the sentinel's */
    uint32_t b = (uint32_t)(t >> q->shift) & q->mask;
    if (VIV__UNLIKELY(t < q->start)) {
        viv__sched_push_early(sim, q, ev, slot);
        return;
    }
    viv__sched_bucket *bk = &q->bucket[b];
    uint32_t h = bk->head, tl = bk->tail;
    e->same = VIV__QNIL;
    /* Before the bucket's first time (an empty bucket's is the sentinel's), or after its
     * last: a link at one end. An empty bucket's tail is stale (a slot that was its last,
     * or the sentinel), but a slot of the table all the same, and first holds then. Which
     * end depends on where a random time falls, which no predictor learns: the two are
     * told apart by selects, not branches (as branches, 0.74 mispredictions per hold
     * event, a third of its time; docs/performance.md, wip/hold), and only the rare
     * case between them branches. Each select has its own copy of the condition: with
     * one, the optimiser makes them a branch again. */
    uint32_t first = t < ev[h].time, last = t > ev[tl].time;
    VIV__OPAQUE(first);
    VIV__OPAQUE(last);
    if (VIV__UNLIKELY(!(first | last))) {
        /* Between the bucket's first and last times, both included: out of line (a loop
         * here would cost every push the registers it needs). */
        viv__sched_push_slow(sim, q, ev, b, slot, t);
        return;
    }
    uint32_t f1 = first, f2 = first;
    VIV__OPAQUE(f1);
    VIV__OPAQUE(f2);
    uint32_t *link = f1 ? &bk->head : &ev[tl].next;
    *link = slot;
    e->next = h & (0u - f2); /* before the first: h, else VIV__QEND (0) */
    bk->tail = (first & (h != VIV__QEND)) ? tl : slot; /* slot, unless it went first of many */
    q->len++;
}
/* Take queued slot ev[slot] out of the queue. Never fails. */
void viv__sched_remove(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t slot);
/* The least queued slot, left queued, or VIV__QNIL. */
uint32_t viv__sched_peek(viv__sched *q, const viv__event *ev);

/* The out-of-line parts of a pop: finding the bucket of the least time when the current
 * day's bucket has nothing due (a scan; also the place of shrinking and re-tuning), which
 * returns VIV__QNIL if the queue is empty; and taking a leader whose instant has other
 * events (they become the current instant's run). */
VIV__NOINLINE uint32_t viv__sched_seek(struct viv_sim *sim, viv__sched *q, viv__event *ev);
VIV__NOINLINE void viv__sched_pop_group(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                        uint32_t h);
/* The queue just became empty: the next push sets the day, and the calendar shrinks to its
 * least. */
VIV__NOINLINE void viv__sched_emptied(struct viv_sim *sim, viv__sched *q, viv__event *ev);

/* Remove and return the least queued slot if its time is at most limit, else VIV__QNIL
 * (nothing queued, or nothing due). Inline: the other hot half of every event. */
static inline uint32_t viv__sched_pop(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                      uint64_t limit)
{
    uint32_t b = q->cur;
    uint32_t h = q->bucket[b].head;
    if (VIV__UNLIKELY(!(ev[h].time < q->top))) { /* not due today (or the sentinel) */
        b = viv__sched_seek(sim, q, ev);
        if (b == VIV__QNIL)
            return VIV__QNIL;
        h = q->bucket[b].head;
    }
    /* A bucket names a slot, never VIV__QNIL: the caller's test of the result for
     * VIV__QNIL then needs no test on this path. */
    VIV__ASSUME(h != VIV__QNIL);
    viv__event *e = &ev[h];
    if (e->time > limit)
        return VIV__QNIL;
    if (VIV__LIKELY(e->same == VIV__QNIL))
        q->bucket[b].head = e->next; /* the tail stays unless the bucket empties */
    else
        viv__sched_pop_group(sim, q, ev, h); /* from the current day's bucket */
    if (VIV__UNLIKELY(--q->len == 0))
        viv__sched_emptied(sim, q, ev);
    return h;
}
static inline size_t viv__sched_len(const viv__sched *q) { return q->len; }

#endif
