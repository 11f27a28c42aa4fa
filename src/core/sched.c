/* The event queue: a 4-ary min-heap of (time, seq, slot) entries. */
#include "sched.h"

#include "core.h"

#define ARITY 4

static inline bool qent_lt(const viv__qent *a, const viv__qent *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

void viv__sched_init(viv__sched *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
}

void viv__sched_fini(struct viv_sim *sim, viv__sched *q)
{
    viv__free(sim, q->heap, q->cap * sizeof(*q->heap));
    viv__sched_init(q);
}

int viv__sched_push(struct viv_sim *sim, viv__sched *q, uint64_t time, uint64_t seq,
                    uint32_t slot)
{
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 64;
        viv__qent *n = viv__realloc(sim, q->heap, q->cap * sizeof(*n), ncap * sizeof(*n));
        if (!n)
            return VIV_ENOMEM;
        q->heap = n;
        q->cap = ncap;
    }
    viv__qent e = {time, seq, slot};
    size_t i = q->len++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!qent_lt(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return 0;
}

void viv__sched_pop(viv__sched *q, viv__qent *out)
{
    *out = q->heap[0];
    viv__qent last = q->heap[--q->len];
    size_t n = q->len;
    if (n == 0)
        return;
    size_t i = 0;
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + ARITY < n ? c + ARITY : n;
        for (size_t k = c + 1; k < end; k++)
            if (qent_lt(&q->heap[k], &q->heap[best]))
                best = k;
        if (!qent_lt(&q->heap[best], &last))
            break;
        q->heap[i] = q->heap[best];
        i = best;
    }
    q->heap[i] = last;
}
