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
 * distinct times in increasing order (whatever their year), and all events at one time hang
 * off the least of them (the leader) in (owner, seq) order; an event that sorts after the
 * group's greatest (the common case: one owner's burst at one instant) joins in O(1).
 * Popping scans buckets day by day from the current day; a year with nothing due falls
 * back to a direct search for the least time.
 *
 * Tuning is automatic: nb doubles or halves as the queue grows or shrinks, and the day width
 * is re-estimated from the gaps between the earliest distinct times at every resize and
 * whenever pushes walk too far or pops scan too many empty days (a skewed or drifting
 * distribution). A failed allocation only postpones a resize: push and pop never fail.
 *
 * Removal. Any queued slot can be taken out (viv__sched_remove): cancelling an event frees
 * its slot at once, so the queue never carries dead entries. It costs a walk of the slot's
 * bucket up to its time (a few steps: the tuning keeps buckets short) and, for a slot that
 * is not the first at its instant, of that instant's group.
 *
 * The sentinel. Slot VIV__QEND (0) of every event table is never an event: its time is
 * UINT64_MAX, and it ends every bucket's list (an empty bucket names it), so a walk along a
 * bucket tests only times (`ev[h].time < t`), never for the end of the list as well: one
 * branch per step instead of two, and fewer mispredicted ones. The table's owner reserves
 * it (viv__sched_table_init) before the first push. Event times are below UINT64_MAX.
 *
 * The queue holds at most UINT32_MAX - 2 slots (indices are 32-bit, VIV__QNIL and the
 * sentinel excluded).
 *
 * Included through core.h (the inline push uses its VIV__LIKELY/UNLIKELY). */
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

/* One slot of the event table. The simulation owns fn, user, gen and flags; the queue owns
 * next and same while the slot is queued (the simulation reuses next for its free list). A
 * slot is pending while it is queued; an id names it while gen matches the id's generation. */
typedef struct viv__event {
    uint64_t time;
    uint64_t seq;   /* the owner's own count */
    viv_event_fn fn;
    void *user;
    uint32_t gen;
    uint32_t owner; /* who the event belongs to (VIV__OWNER_PROGRAM, a node, a link side) */
    uint32_t next; /* queued: the next distinct time in the bucket (or VIV__QEND); free: the
                    * next free slot */
    uint32_t same; /* queued leader: the newest event at that instant (a ring), or QNIL */
} viv__event;

/* The day of an empty queue: later than any event's, so the next push sets the day. */
#define VIV__SCHED_EMPTY UINT64_MAX

/* Buckets a queue starts with, held inside the structure (no allocation needed). */
#define VIV__SCHED_MIN_BUCKETS 16u

typedef struct viv__sched {
    uint32_t *bucket; /* nb heads, VIV__QEND if empty; points at small[] when nb is minimal */
    uint32_t nb;      /* buckets, a power of two */
    uint32_t mask;    /* nb - 1 */
    uint32_t shift;   /* a day is 2^shift ns */
    uint32_t cur;     /* the bucket of the current day */
    uint64_t day;     /* the current day: no queued event is earlier; VIV__SCHED_EMPTY when
                       * the queue is empty */
    size_t len;       /* queued slots */
    size_t grow_at;   /* grow when len exceeds this */
    size_t shrink_at; /* shrink when len falls below this */
    /* Tuning checks come every `window` pushes and pops: `left` counts down to the next
     * one (one decrement and one test per operation). */
    uint64_t left;    /* operations left in the current window */
    uint64_t window;  /* the current window's length: 2 nb << backoff */
    uint64_t cost;    /* list steps and empty days visited in the current window */
    uint64_t resizes;    /* rebuilds so far (resizes and re-tunings) */
    uint32_t backoff;    /* re-tuning checks are 2 nb << backoff operations apart */
    uint32_t retuned;    /* the current window started with a re-tuning */
    uint64_t rebuilt_at; /* ops_total at the last rebuild */
    uint64_t ops_total;  /* operations and their cost over the queue's life, up to the */
    uint64_t cost_total; /* current window (for tests: the cost per operation stays bounded) */
    uint32_t small[VIV__SCHED_MIN_BUCKETS];
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
/* The out-of-line parts of a push, each the last thing the push does (so that its hot path
 * keeps nothing live across a call): a push at or after the first time of the bucket *p
 * heads (the walk along the bucket, joining an equal-time group, and the rest of the
 * push; t is ev[slot].time); growing; re-tuning. */
VIV__NOINLINE void viv__sched_push_walk(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                        uint32_t *p, uint32_t slot, uint64_t t);
VIV__NOINLINE void viv__sched_grow(struct viv_sim *sim, viv__sched *q, viv__event *ev);
VIV__NOINLINE void viv__sched_tune(struct viv_sim *sim, viv__sched *q, viv__event *ev);

/* Queue slot ev[slot], whose time, owner and seq are set; (owner, seq) must be unique among
 * queued slots. Never fails (a failed resize is retried later). Inline: it is the hot half
 * of every event. */
static inline void viv__sched_push(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                   uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint64_t t = e->time;
    assert(t != UINT64_MAX && slot != VIV__QEND); /* the sentinel's */
    uint64_t d = t >> q->shift;
    if (d < q->day) {
        /* Earlier than the current day (the driver ran to a limit, then scheduled before
         * the next event) or the first event (an empty queue's day is VIV__SCHED_EMPTY):
         * the calendar starts from its day. */
        q->day = d;
        q->cur = (uint32_t)d & q->mask;
    }
    uint32_t *p = &q->bucket[d & q->mask];
    uint32_t h = *p;
    if (VIV__UNLIKELY(ev[h].time <= t)) {
        /* At or after the bucket's first time: a walk, out of line (a loop here would cost
         * every push the registers it needs). */
        viv__sched_push_walk(sim, q, ev, p, slot, t);
        return;
    }
    e->next = h;
    e->same = VIV__QNIL;
    *p = slot;
    if (VIV__UNLIKELY(++q->len > q->grow_at))
        viv__sched_grow(sim, q, ev);
    else if (VIV__UNLIKELY(--q->left == 0))
        viv__sched_tune(sim, q, ev);
}
/* Take queued slot ev[slot] out of the queue. */
void viv__sched_remove(viv__sched *q, viv__event *ev, uint32_t slot);
/* The least queued slot, left queued, or VIV__QNIL. */
uint32_t viv__sched_peek(viv__sched *q, const viv__event *ev);
/* Remove and return the least queued slot if its time is at most limit, else VIV__QNIL. */
uint32_t viv__sched_pop(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint64_t limit);
static inline size_t viv__sched_len(const viv__sched *q) { return q->len; }

#endif
