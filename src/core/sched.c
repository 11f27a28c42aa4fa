/* The event queue: a calendar queue with equal-time groups and self-tuning day width. See
 * sched.h for the layout. */
#include "core.h" /* and sched.h, which needs core.h's macros */

/* The calendar doubles when it holds more than this many events per bucket on average, and
 * halves below a quarter of that. */
#define SCHED_LOAD 1u
/* A day is about this many typical gaps between the earliest distinct times. Measured on the
 * hold model (docs/performance.md): a small calendar, which stays in cache, does best with
 * wide days (fewer mispredicted list steps per push); a large one, where every node touched
 * is a cache miss, with days of about one gap (short lists, and the empty days a pop skips
 * cost only a read of the bucket array). */
#define SCHED_WIDE_GAPS 3.0
#define SCHED_NARROW_GAPS 1.0
#define SCHED_NARROW_FROM (1u << 16) /* buckets */
/* Distinct times sampled to estimate the gap. */
#define SCHED_SAMPLES 32u
/* Re-tune when pushes and pops cost more than this many steps each on average. */
#define SCHED_COST_LIMIT 8u

static void set_thresholds(viv__sched *q)
{
    q->grow_at = (size_t)q->nb * SCHED_LOAD;
    /* At least 1: a pop that empties the queue always takes the rare path (which marks the
     * calendar empty). */
    q->shrink_at = q->nb > VIV__SCHED_MIN_BUCKETS ? (size_t)q->nb * SCHED_LOAD / 4 : 1;
}

/* Start a tuning window: the next check comes 2 nb << backoff operations from now. Its
 * operations count into ops_total when it ends (or is cut short by a rebuild). */
static void start_window(viv__sched *q)
{
    q->window = (2 * (uint64_t)q->nb) << q->backoff;
    q->left = q->window;
    q->cost = 0;
}

/* Close the current window early or on time: its operations and cost go into the totals. */
static void close_window(viv__sched *q)
{
    q->ops_total += q->window - q->left;
    q->cost_total += q->cost;
}

void viv__sched_init(viv__sched *q)
{
    q->bucket = q->small;
    q->nb = VIV__SCHED_MIN_BUCKETS;
    q->mask = VIV__SCHED_MIN_BUCKETS - 1;
    q->shift = 10; /* 1 us days until the first estimate */
    q->cur = 0;
    q->day = VIV__SCHED_EMPTY;
    q->len = 0;
    q->resizes = 0;
    q->ops_total = 0;
    q->cost_total = 0;
    q->backoff = 0;
    q->retuned = 0;
    q->rebuilt_at = 0;
    for (uint32_t i = 0; i < VIV__SCHED_MIN_BUCKETS; i++)
        q->small[i] = VIV__QEND;
    set_thresholds(q);
    start_window(q);
}

void viv__sched_fini(struct viv_sim *sim, viv__sched *q)
{
    if (q->bucket != q->small)
        viv__free(sim, q->bucket, (size_t)q->nb * sizeof(*q->bucket));
    viv__sched_init(q);
}

/* The order of two events at one instant. */
static inline bool key_lt(const viv__event *a, const viv__event *b)
{
    return a->owner < b->owner || (a->owner == b->owner && a->seq < b->seq);
}

/* Link leader ev[x] (a time no other leader has) into its bucket, in time order. */
static inline void link_leader(viv__sched *q, viv__event *ev, uint32_t x)
{
    uint64_t t = ev[x].time;
    uint32_t *p = &q->bucket[(t >> q->shift) & q->mask];
    uint32_t h;
    while (ev[h = *p].time < t)
        p = &ev[h].next;
    ev[x].next = h;
    *p = x;
}

/* Keep the n smallest of the times offered in s[0..n), sorted; *k counts those held. */
static inline void sample_time(uint64_t *s, uint32_t *k, uint64_t t)
{
    uint32_t i = *k;
    if (i == SCHED_SAMPLES) {
        if (t >= s[SCHED_SAMPLES - 1])
            return;
        i--;
    } else {
        (*k)++;
    }
    while (i > 0 && s[i - 1] > t) {
        s[i] = s[i - 1];
        i--;
    }
    s[i] = t;
}

/* The day width (as a shift) for sorted distinct times s[0..k): a few typical gaps, where
 * gaps more than twice the mean are left out as outliers (Brown's estimate). It is at least
 * floor_ns, a width with which the earlier half of the queue takes about one day per
 * distinct time: on a skewed distribution, whose dense front says little about the rest,
 * that keeps the empty days a pop skips to O(1) per event on average. */
static uint32_t estimate_shift(const uint64_t *s, uint32_t k, uint32_t old, uint32_t nb,
                               double floor_ns)
{
    if (k < 2)
        return old;
    double mean = (double)(s[k - 1] - s[0]) / (double)(k - 1);
    double sum = 0;
    uint32_t n = 0;
    for (uint32_t i = 1; i < k; i++) {
        double g = (double)(s[i] - s[i - 1]);
        if (g <= 2 * mean) {
            sum += g;
            n++;
        }
    }
    double gaps = nb >= SCHED_NARROW_FROM ? SCHED_NARROW_GAPS : SCHED_WIDE_GAPS;
    double w = gaps * (n ? sum / n : mean);
    if (w < floor_ns)
        w = floor_ns;
    uint32_t shift = 0;
    while (shift < 63 && w >= (double)(UINT64_C(2) << shift))
        shift++;
    return shift;
}

/* Rebuild the calendar with nb buckets and a fresh day width. Returns false (and changes
 * nothing) if the new bucket array cannot be allocated. */
static bool rebuild(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t nb)
{
    if (nb < VIV__SCHED_MIN_BUCKETS)
        nb = VIV__SCHED_MIN_BUCKETS;
    uint32_t *nbk = q->bucket;
    if (nb != q->nb) {
        if (nb == VIV__SCHED_MIN_BUCKETS) {
            nbk = q->small;
        } else {
            nbk = viv__alloc(sim, (size_t)nb * sizeof(*nbk));
            if (!nbk)
                return false;
        }
    }
    q->cost_total += q->len + q->nb; /* the rebuild's own work */
    /* Unhook every leader (with its equal-time group) into one list and sample the
     * earliest distinct times. */
    uint32_t all = VIV__QNIL;
    uint64_t s[SCHED_SAMPLES];
    uint32_t k = 0;
    /* Also a spread sample of times (every stride-th leader), for the median. */
    uint64_t m[SCHED_SAMPLES];
    uint32_t km = 0;
    size_t stride = q->len / SCHED_SAMPLES + 1, leaders = 0;
    for (uint32_t b = 0; b < q->nb; b++) {
        uint32_t h = q->bucket[b];
        while (h != VIV__QEND) {
            uint32_t nx = ev[h].next;
            ev[h].next = all;
            all = h;
            sample_time(s, &k, ev[h].time);
            if (leaders++ % stride == 0 && km < SCHED_SAMPLES)
                m[km++] = ev[h].time;
            h = nx;
        }
    }
    double floor_ns = 0;
    if (km > 0 && k > 0) {
        /* The median of the spread sample, by partial insertion sort. */
        for (uint32_t i = 1; i < km; i++)
            for (uint32_t j = i; j > 0 && m[j - 1] > m[j]; j--) {
                uint64_t t = m[j];
                m[j] = m[j - 1];
                m[j - 1] = t;
            }
        floor_ns = (double)(m[km / 2] - s[0]) / (double)(leaders / 2 + 1);
    }
    if (nbk != q->bucket && q->bucket != q->small)
        viv__free(sim, q->bucket, (size_t)q->nb * sizeof(*q->bucket));
    q->bucket = nbk;
    q->nb = nb;
    q->mask = nb - 1;
    q->shift = estimate_shift(s, k, q->shift, nb, floor_ns);
    for (uint32_t b = 0; b < nb; b++)
        nbk[b] = VIV__QEND;
    while (all != VIV__QNIL) {
        uint32_t nx = ev[all].next;
        link_leader(q, ev, all);
        all = nx;
    }
    q->day = k ? s[0] >> q->shift : VIV__SCHED_EMPTY;
    q->cur = (uint32_t)q->day & (nb - 1);
    close_window(q);
    q->rebuilt_at = q->ops_total;
    q->resizes++;
    set_thresholds(q);
    start_window(q);
    return true;
}

/* Every 2 nb operations, re-tune if they cost too much on average. A distribution that no
 * day width suits (bursts far apart, say) would otherwise be re-tuned again and again for
 * nothing: after a re-tuning that did not bring the cost down, the next check waits twice
 * as long (up to 2^10 times), and a good window resets the wait. */
void viv__sched_tune(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    if (q->cost > SCHED_COST_LIMIT * q->window) {
        int futile = q->retuned; /* the previous window was right after a re-tuning */
        if (rebuild(sim, q, ev, q->nb)) {
            q->retuned = 1;
            if (futile && q->backoff < 10) {
                q->backoff++;
                start_window(q); /* nothing ran since the rebuild: the longer wait starts */
            }
            return;
        }
    } else {
        q->backoff = 0;
    }
    q->retuned = 0;
    close_window(q);
    start_window(q);
}

/* Slot joins the group at its time, led by ev[h] (*p names h). The leader is the group's
 * least event; the ring behind it runs from the least of the rest to the greatest, and the
 * leader's `same` names the greatest. Returns the steps taken. */
static uint32_t group_join(viv__event *ev, uint32_t *p, uint32_t h, uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint32_t steps = 0;
    uint32_t newest = ev[h].same;
    if (VIV__UNLIKELY(key_lt(e, &ev[h]))) {
        /* A new least: it leads, and the old leader heads the ring. */
        if (newest == VIV__QNIL) {
            ev[h].same = h;
            newest = h;
        } else {
            ev[h].same = ev[newest].same;
            ev[newest].same = h;
        }
        e->same = newest;
        e->next = ev[h].next;
        *p = slot;
    } else if (newest == VIV__QNIL) {
        e->same = slot;
        ev[h].same = slot;
    } else if (VIV__LIKELY(key_lt(&ev[newest], e))) {
        e->same = ev[newest].same;
        ev[newest].same = slot;
        ev[h].same = slot;
    } else {
        uint32_t prev = newest, cur = ev[newest].same;
        while (key_lt(&ev[cur], e)) {
            prev = cur;
            cur = ev[cur].same;
            steps++;
        }
        ev[prev].same = slot;
        e->same = cur;
    }
    return steps;
}

/* Slot joins the equal-time group whose leader *p names, after `steps` list steps; the rest
 * of the push. Out of line and called last, so that the walk keeps nothing live across a
 * call. */
static VIV__NOINLINE void push_join(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                    uint32_t *p, uint32_t slot, uint32_t steps)
{
    q->cost += steps + group_join(ev, p, *p, slot);
    if (VIV__UNLIKELY(++q->len > q->grow_at))
        viv__sched_grow(sim, q, ev);
    else if (VIV__UNLIKELY(--q->left == 0))
        viv__sched_tune(sim, q, ev);
}

void viv__sched_push_walk(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t *p,
                          uint32_t slot, uint64_t t)
{
    viv__event *e = &ev[slot];
    uint32_t h = *p, steps = 0;
    while (ev[h].time < t) { /* the sentinel stops it */
        p = &ev[h].next;
        h = *p;
        steps++;
    }
    if (VIV__UNLIKELY(ev[h].time == t)) { /* not the sentinel: t < UINT64_MAX */
        push_join(sim, q, ev, p, slot, steps);
        return;
    }
    e->next = h;
    e->same = VIV__QNIL;
    *p = slot;
    q->cost += steps;
    if (VIV__UNLIKELY(++q->len > q->grow_at))
        viv__sched_grow(sim, q, ev);
    else if (VIV__UNLIKELY(--q->left == 0))
        viv__sched_tune(sim, q, ev);
}

void viv__sched_grow(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    if (q->nb > UINT32_MAX / 4 || !rebuild(sim, q, ev, q->nb * 2))
        q->grow_at = q->len * 2; /* try again later */
}

/* The bucket whose head is the least queued time; moves the current day there. */
static uint32_t find_min(viv__sched *q, const viv__event *ev)
{
    uint32_t mask = q->mask;
    uint32_t b = q->cur;
    uint64_t day = q->day;
    for (uint32_t k = 0; k <= mask; k++) {
        uint32_t h = q->bucket[b];
        /* The sentinel's time is the greatest, so an empty bucket is never due: one test
         * per day (the second, true but at the very end of time, is predicted). */
        if ((ev[h].time >> q->shift) <= day && VIV__LIKELY(h != VIV__QEND)) {
            q->cur = b;
            q->day = day;
            q->cost += k;
            return b;
        }
        b = (b + 1) & mask;
        day++;
    }
    /* Nothing due within a year: search directly for the least head. */
    uint32_t best = VIV__QNIL;
    for (uint32_t i = 0; i <= mask; i++) {
        uint32_t h = q->bucket[i];
        if (h != VIV__QEND && (best == VIV__QNIL || ev[h].time < ev[q->bucket[best]].time))
            best = i;
    }
    q->cur = best;
    q->day = ev[q->bucket[best]].time >> q->shift;
    q->cost += 2 * (uint64_t)q->nb;
    return best;
}

uint32_t viv__sched_peek(viv__sched *q, const viv__event *ev)
{
    if (!q->len)
        return VIV__QNIL;
    uint64_t cost = q->cost; /* a look is not an operation: the tuning must not see it */
    uint32_t h = q->bucket[find_min(q, ev)];
    q->cost = cost;
    return h;
}

uint32_t viv__sched_pop(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint64_t limit)
{
    if (q->len == 0)
        return VIV__QNIL;
    uint32_t b = find_min(q, ev);
    uint32_t h = q->bucket[b];
    viv__event *e = &ev[h];
    if (e->time > limit)
        return VIV__QNIL;
    uint32_t newest = e->same;
    if (newest == VIV__QNIL) {
        q->bucket[b] = e->next;
    } else {
        /* The oldest of the rest of the group becomes the leader. */
        uint32_t oldest = ev[newest].same;
        if (oldest == newest) {
            ev[oldest].same = VIV__QNIL;
        } else {
            ev[newest].same = ev[oldest].same;
            ev[oldest].same = newest;
            VIV__PREFETCH(&ev[ev[newest].same]); /* the one after it (see below) */
        }
        ev[oldest].next = e->next;
        q->bucket[b] = oldest;
        /* A burst at one instant (a flood's arrivals): the next event is the new leader.
         * Ask now for what it will read first (its user data, its owner's fingerprint) and
         * for the slot after it, which in a large network are all cache misses. */
        VIV__PREFETCH(ev[oldest].user);
        if (ev[oldest].owner < sim->own_len)
            VIV__PREFETCH(&sim->own[ev[oldest].owner]);
    }
    q->len--;
    /* A queue whose length swings with bursts must not rebuild on every swing: shrink only
     * nb operations after the last rebuild (its O(nb + len) is then spread over them), or at
     * once when the queue is far too big (it drained). Shrink straight to the size that
     * fits. */
    if (VIV__UNLIKELY(q->len < q->shrink_at)) {
        if (q->len == 0)
            q->day = VIV__SCHED_EMPTY;
        if (q->nb > VIV__SCHED_MIN_BUCKETS &&
            (q->ops_total + (q->window - q->left) - q->rebuilt_at >= (uint64_t)q->nb ||
             q->len < q->nb / 16)) {
            uint32_t nb = q->nb / 2;
            while (nb > VIV__SCHED_MIN_BUCKETS && q->len < (size_t)nb * SCHED_LOAD / 4)
                nb /= 2;
            if (!rebuild(sim, q, ev, nb))
                q->shrink_at = q->len / 2 + 1; /* try again later */
            return h;
        }
    }
    if (VIV__UNLIKELY(--q->left == 0))
        viv__sched_tune(sim, q, ev);
    return h;
}

void viv__sched_remove(viv__sched *q, viv__event *ev, uint32_t slot)
{
    uint64_t t = ev[slot].time;
    uint32_t *p = &q->bucket[(t >> q->shift) & q->mask];
    uint32_t h, steps = 0;
    while (ev[h = *p].time < t) {
        p = &ev[h].next;
        steps++;
    }
    /* h leads the group at time t, which holds slot. */
    uint32_t newest = ev[h].same;
    if (h == slot) {
        if (newest == VIV__QNIL) {
            *p = ev[h].next;
        } else {
            /* The oldest of the rest of the group becomes the leader, as in a pop. */
            uint32_t oldest = ev[newest].same;
            if (oldest == newest) {
                ev[oldest].same = VIV__QNIL;
            } else {
                ev[newest].same = ev[oldest].same;
                ev[oldest].same = newest;
            }
            ev[oldest].next = ev[h].next;
            *p = oldest;
        }
    } else {
        /* The group's ring runs from the oldest to the newest and back: find the slot's
         * predecessor and close the ring over it. */
        uint32_t prev = newest;
        while (ev[prev].same != slot) {
            prev = ev[prev].same;
            steps++;
        }
        if (prev == slot) { /* the group's only member */
            ev[h].same = VIV__QNIL;
        } else {
            ev[prev].same = ev[slot].same;
            if (newest == slot)
                ev[h].same = prev;
        }
    }
    q->cost += steps;
    if (--q->len == 0)
        q->day = VIV__SCHED_EMPTY;
}
