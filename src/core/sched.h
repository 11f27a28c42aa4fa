/* The event queue: a priority queue of (time, seq) keys, each carrying a 32-bit slot index.
 *
 * Keys are unique (seq is a per-simulation counter), so the order is total and every run
 * pops in the same order. The queue does no cancellation of its own: the simulation marks a
 * cancelled slot and skips it when it is popped. */
#ifndef VIV_CORE_SCHED_H
#define VIV_CORE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/common.h"

typedef struct viv__qent {
    uint64_t time;
    uint64_t seq;
    uint32_t slot;
} viv__qent;

typedef struct viv__sched {
    viv__qent *heap;
    size_t len, cap;
} viv__sched;

struct viv_sim;

void viv__sched_init(viv__sched *q);
void viv__sched_fini(struct viv_sim *sim, viv__sched *q);
/* Returns 0 or VIV_ENOMEM. */
int viv__sched_push(struct viv_sim *sim, viv__sched *q, uint64_t time, uint64_t seq,
                    uint32_t slot);
static inline size_t viv__sched_len(const viv__sched *q) { return q->len; }
/* The least key; only when len > 0. */
static inline const viv__qent *viv__sched_peek(const viv__sched *q) { return &q->heap[0]; }
/* Remove the least key into *out; only when len > 0. */
void viv__sched_pop(viv__sched *q, viv__qent *out);

#endif
