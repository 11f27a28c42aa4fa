/* The event queue: a calendar queue (Brown 1988) over the simulation's event table.
 *
 * Each event lives in one slot of the event table (viv__event), which is also its queue
 * node: the queue links slots by index and never copies them. Events are ordered by (time,
 * seq); seq is a per-simulation counter that grows with every push, so the order is total,
 * equal times pop in push order, and every run pops in the same order.
 *
 * Layout. Time is cut into days of 2^shift ns; day d belongs to bucket d mod nb (nb a power
 * of two), so a year of nb days wraps around the bucket array. A bucket is a list of its
 * distinct times in increasing order (whatever their year), and all events at one time hang
 * off the first of them (the leader) in push order, so a burst at one instant costs O(1) per
 * event. Popping scans buckets day by day from the current day; a year with nothing due falls
 * back to a direct search for the least time.
 *
 * Tuning is automatic: nb doubles or halves as the queue grows or shrinks, and the day width
 * is re-estimated from the gaps between the earliest distinct times at every resize and
 * whenever pushes walk too far or pops scan too many empty days (a skewed or drifting
 * distribution). A failed allocation only postpones a resize: push and pop never fail.
 *
 * Cancellation is left to the simulation (a cancelled slot stays queued until it is popped).
 * The queue holds at most UINT32_MAX - 1 slots (indices are 32-bit, VIV__QNIL excluded). */
#ifndef VIV_CORE_SCHED_H
#define VIV_CORE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/sim.h"

/* No slot: an empty bucket, the end of a list. */
#define VIV__QNIL UINT32_MAX

/* One slot of the event table. The simulation owns fn, user and gen; the queue owns next and
 * same while the slot is queued (the simulation reuses next for its free list). A slot is
 * pending while gen matches the id's generation and fn is not NULL; a cancelled event keeps
 * its slot (fn == NULL) until the queue pops it. */
typedef struct viv__event {
    uint64_t time;
    uint64_t seq;
    viv_event_fn fn;
    void *user;
    uint32_t gen;
    uint32_t next; /* queued: the next distinct time in the bucket; free: the next free slot */
    uint32_t same; /* queued leader: the newest event at that instant (a ring), or QNIL */
} viv__event;

/* Buckets a queue starts with, held inside the structure (no allocation needed). */
#define VIV__SCHED_MIN_BUCKETS 16u

typedef struct viv__sched {
    uint32_t *bucket; /* nb heads, VIV__QNIL if empty; points at small[] when nb is minimal */
    uint32_t nb;      /* buckets, a power of two */
    uint32_t shift;   /* a day is 2^shift ns */
    uint32_t cur;     /* the bucket of the current day */
    uint64_t day;     /* the current day: no queued event is earlier */
    size_t len;       /* queued slots */
    size_t grow_at;   /* grow when len exceeds this */
    size_t shrink_at; /* shrink when len falls below this */
    uint64_t ops;     /* pushes and pops since the last tuning check */
    uint64_t cost;    /* list steps and empty days visited since then */
    uint64_t resizes;    /* rebuilds so far (resizes and re-tunings) */
    uint32_t backoff;    /* re-tuning checks are 2 nb << backoff operations apart */
    uint32_t retuned;    /* the current window started with a re-tuning */
    uint64_t since_rebuild; /* pops since the last rebuild */
    uint64_t ops_total;  /* operations and their cost over the queue's life, updated every */
    uint64_t cost_total; /* tuning check (for tests: the cost per operation stays bounded) */
    uint32_t small[VIV__SCHED_MIN_BUCKETS];
} viv__sched;

struct viv_sim;

/* Initialise an empty queue. It cannot fail; the structure must not be moved afterwards. */
void viv__sched_init(viv__sched *q);
/* Release the queue's memory (not the event table). */
void viv__sched_fini(struct viv_sim *sim, viv__sched *q);
/* Queue slot ev[slot], whose time and seq are set; seq must exceed every seq pushed before.
 * Never fails (a failed resize is retried later). */
void viv__sched_push(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t slot);
/* Remove and return the least queued slot if its time is at most limit, else VIV__QNIL. */
uint32_t viv__sched_pop(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint64_t limit);
static inline size_t viv__sched_len(const viv__sched *q) { return q->len; }

#endif
