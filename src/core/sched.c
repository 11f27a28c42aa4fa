/* The event queue: a calendar queue with equal-time groups and self-tuning day width. See
 * sched.h for the layout. */
#include "core.h" /* and sched.h, which needs core.h's macros */

/* The calendar doubles when it holds more than this many events per bucket on average, and
 * halves below a quarter of that. */
#define SCHED_LOAD 1u
/* A calendar of at most this many buckets (2 KB) does not shrink on its length alone: only
 * when the queue empties, or when a re-tuning finds it costly (fit_size). The memory a
 * shrink would return is nothing, and a small queue swings: TCP under loss
 * holds 7 to 33 events, up and down every second of simulated time, and shrinking at each
 * low point made 75 rebuilds in the s3 run at 1% loss, each estimating the day width anew
 * from the handful of events left (2^20 to 2^24 ns from one to the next), where keeping
 * the 64 buckets it had grown to kept one width (3 rebuilds in all) and took 5% less time
 * (docs/performance.md, session 11). Larger calendars shrink as before. */
#define SCHED_SHRINK_FROM 256u
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
/* Re-tune when the slow operations (walks, scans) cost more than this many steps each on
 * average. */
#define SCHED_COST_LIMIT 8u

static void set_thresholds(viv__sched *q)
{
    q->grow_at = (size_t)q->nb * SCHED_LOAD;
    q->shrink_at = q->nb > SCHED_SHRINK_FROM ? (size_t)q->nb * SCHED_LOAD / 4 : 0;
}

/* Start a tuning window: the next check comes 2 nb << backoff slow operations from now.
 * Its operations count into slow_total when it ends (or is cut short by a rebuild). */
static void start_window(viv__sched *q)
{
    q->window = (2 * (uint64_t)q->nb) << q->backoff;
    q->left = q->window;
    q->cost = 0;
}

/* Close the current window early or on time: its operations and cost go into the totals. */
static void close_window(viv__sched *q)
{
    q->slow_total += q->window - q->left;
    q->cost_total += q->cost;
}

void viv__sched_init(viv__sched *q)
{
    q->bucket = q->small;
    q->nb = VIV__SCHED_MIN_BUCKETS;
    q->mask = VIV__SCHED_MIN_BUCKETS - 1;
    q->shift = 10; /* 1 us days until the first estimate */
    q->cur = 0;
    q->start = VIV__SCHED_EMPTY;
    q->top = 0;
    q->len = 0;
    q->hint_t = VIV__SCHED_EMPTY;
    q->hint_lead = VIV__QNIL;
    q->run_on = 0;
    q->now_last = VIV__QNIL;
    q->now_t = 0;
    q->ahead = VIV__QNIL;
    q->ahead_n = 0;
    q->ahead_min_owners = VIV__SCHED_AHEAD_OWNERS;
    for (uint32_t i = 0; i < VIV__SCHED_AHEAD; i++)
        q->ahead_ring[i] = VIV__QEND; /* the sentinel: no consumer's fn */
    q->resizes = 0;
    q->slow_total = 0;
    q->cost_total = 0;
    q->backoff = 0;
    q->retuned = 0;
    q->rebuilt_at = 0;
    for (uint32_t i = 0; i < VIV__SCHED_MIN_BUCKETS; i++)
        q->small[i].head = q->small[i].tail = VIV__QEND;
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
    viv__sched_bucket *bk = &q->bucket[(t >> q->shift) & q->mask];
    if (bk->head == VIV__QEND || ev[bk->tail].time < t) { /* the bucket's last */
        if (bk->head == VIV__QEND)
            bk->head = x;
        else
            ev[bk->tail].next = x;
        ev[x].next = VIV__QEND;
        bk->tail = x;
        return;
    }
    uint32_t *p = &bk->head;
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

/* Make the day of time t (not before any queued time) the current one. */
static void set_day(viv__sched *q, uint64_t t)
{
    q->start = (t >> q->shift) << q->shift;
    q->top = q->start + (UINT64_C(1) << q->shift); /* 0 on the last day of time */
    q->cur = (uint32_t)(t >> q->shift) & q->mask;
    q->run_on = 0; /* a run is ended before (its start is no longer now_t + 1) */
}

/* ---- the current instant's run ---------------------------------------------------------- */

/* Whether the current instant's run holds (it may have nothing left in it). A scan to a
 * later day sets start to a day's first instant: now_t + 1 only when that day follows
 * now_t's, whose bucket is then not the current one. */
static inline bool run_holds(const viv__sched *q)
{
    return q->run_on && q->start == q->now_t + 1 &&
           q->cur == ((uint32_t)(q->now_t >> q->shift) & q->mask);
}

/* End the current instant's run: what is left of it (at the head of the current day's
 * bucket) becomes an equal-time group again, its first event leading, and the day's start
 * is its true one. */
static VIV__NOINLINE void run_end(viv__sched *q, viv__event *ev)
{
    q->ahead = VIV__QNIL; /* the run's order changes: its look-ahead stops */
    if (!run_holds(q)) {
        q->run_on = 0;
        return;
    }
    q->run_on = 0;
    uint64_t t = q->now_t;
    q->start = (t >> q->shift) << q->shift;
    viv__sched_bucket *bk = &q->bucket[q->cur];
    uint32_t L = bk->head, last = q->now_last;
    if (ev[L].time != t || L == last)
        return; /* nothing left, or one event: a lone leader already */
    /* The members after L, up to last, in a ring: same the next greater, next the next
     * smaller (the oldest's, the newest). */
    uint32_t after = ev[last].next, oldest = ev[L].next, prev = last, x = oldest;
    for (;;) {
        uint32_t nx = ev[x].next;
        ev[x].next = prev;
        if (x == last) {
            ev[x].same = oldest;
            break;
        }
        ev[x].same = nx;
        prev = x;
        x = nx;
    }
    ev[L].same = last;
    ev[L].next = after;
    if (bk->tail == last)
        bk->tail = L;
}

/* Rebuild the calendar with nb buckets and a fresh day width. Returns false (and changes
 * nothing) if the new bucket array cannot be allocated. */
static bool rebuild(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t nb)
{
    if (nb < VIV__SCHED_MIN_BUCKETS)
        nb = VIV__SCHED_MIN_BUCKETS;
    viv__sched_bucket *nbk = q->bucket;
    if (nb != q->nb) {
        if (nb == VIV__SCHED_MIN_BUCKETS) {
            nbk = q->small;
        } else {
            nbk = viv__alloc(sim, (size_t)nb * sizeof(*nbk));
            if (!nbk)
                return false;
        }
    }
    if (q->run_on)
        run_end(q, ev); /* the walk below takes every event of a bucket for a leader */
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
        uint32_t h = q->bucket[b].head;
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
        nbk[b].head = nbk[b].tail = VIV__QEND;
    while (all != VIV__QNIL) {
        uint32_t nx = ev[all].next;
        link_leader(q, ev, all);
        all = nx;
    }
    if (k) {
        set_day(q, s[0]);
    } else {
        q->start = VIV__SCHED_EMPTY;
        q->top = 0;
        q->cur = 0;
    }
    close_window(q);
    q->rebuilt_at = q->slow_total;
    q->resizes++;
    set_thresholds(q);
    start_window(q);
    return true;
}

/* The bucket count that fits the queue: the current one, halved until the queue fills a
 * quarter of the buckets (or the least size is reached). Shrinking on the length takes
 * it (seek_resize), and so does a re-tuning (tune), so that a calendar that does not shrink
 * on its length alone (SCHED_SHRINK_FROM) shrinks once it costs too much: a few events far
 * apart after a burst, whose searches would otherwise cross every bucket the burst grew. */
static uint32_t fit_size(const viv__sched *q)
{
    uint32_t nb = q->nb;
    while (nb > VIV__SCHED_MIN_BUCKETS && q->len < (size_t)nb * SCHED_LOAD / 4)
        nb /= 2;
    return nb;
}

/* Every 2 nb slow operations, and after a scan that found nothing due within a year (a
 * direct search, O(nb): days far too narrow for the queue), re-tune if the slow operations
 * of the window so far cost too much on average. A distribution that no day width suits
 * (bursts far apart, say) would otherwise be re-tuned again and again for nothing: after a
 * re-tuning that did not bring the cost down, the next check waits twice as long (up to
 * 2^10 times), and a good window resets the wait. */
static VIV__NOINLINE void tune(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    uint64_t done = q->window - q->left;
    if (q->left && q->backoff)
        return; /* a search while re-tuning is known not to help: wait for the window */
    if (q->cost > SCHED_COST_LIMIT * (done ? done : 1)) {
        int futile = q->retuned; /* the previous window was right after a re-tuning */
        if (rebuild(sim, q, ev, fit_size(q))) {
            q->retuned = 1;
            if (futile && q->backoff < 10) {
                q->backoff++;
                start_window(q); /* nothing ran since the rebuild: the longer wait starts */
            }
            return;
        }
    } else if (q->left) {
        return; /* an early check that found the window cheap so far: it goes on */
    } else {
        q->backoff = 0;
    }
    q->retuned = 0;
    close_window(q);
    start_window(q);
}

/* Grow straight to the size that fits (pushes that never walk, a burst at one instant, can
 * leave the calendar far too small before anything checks). */
static VIV__NOINLINE void grow(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    if (q->nb > UINT32_MAX / 4) {
        q->grow_at = SIZE_MAX;
        return;
    }
    uint32_t nb = q->nb * 2;
    while (nb <= UINT32_MAX / 4 && q->len > (size_t)nb * SCHED_LOAD)
        nb *= 2;
    if (!rebuild(sim, q, ev, nb))
        q->grow_at = q->len * 2; /* try again later */
}

/* ---- equal-time groups ---------------------------------------------------------------- */

/* Slot (not less than leader L) joins L's instant. Returns the steps taken: none when it
 * sorts after every event there (the common case), else a walk of the ring from both ends
 * at once: forward from the oldest member for the first one greater, backward from the
 * newest for the last one less. The members' slots were pushed long ago in a large
 * network and each step is a miss found through the one before: two chains wait in
 * parallel, and the walk takes at most half the ring. */
static uint32_t group_add(viv__event *ev, uint32_t L, uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint32_t newest = ev[L].same;
    if (newest == VIV__QNIL) { /* a ring of one */
        e->same = slot;
        e->next = slot;
        ev[L].same = slot;
        return 0;
    }
    uint32_t prev = newest, cur = ev[newest].same; /* cur: the oldest */
    uint32_t steps = 0;
    if (VIV__LIKELY(key_lt(&ev[newest], e))) {
        ev[L].same = slot; /* the newest */
    } else {
        /* The newest is greater. Forward: prev < slot, cur to test. Backward: hi greater,
         * lo (its next smaller) to test. The forward walk finds the place within as many
         * steps as it is from the front, so the backward one, from the back, never wraps
         * past the oldest before either has found it. */
        uint32_t hi = newest;
        for (;;) {
            if (!key_lt(&ev[cur], e))
                break; /* between prev and cur */
            uint32_t lo = ev[hi].next;
            prev = cur;
            cur = ev[cur].same;
            steps++;
            if (key_lt(&ev[lo], e)) {
                prev = lo; /* between lo and hi */
                cur = hi;
                break;
            }
            hi = lo;
            steps++;
        }
    }
    ev[prev].same = slot;
    e->same = cur;
    e->next = prev;
    ev[cur].next = slot;
    return steps;
}

/* Slot, less than leader L (which *p names, in bucket bk), leads L's instant from now on:
 * L becomes the oldest member. */
static void group_lead(viv__sched_bucket *bk, viv__event *ev, uint32_t *p, uint32_t L,
                       uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint32_t newest = ev[L].same;
    e->next = ev[L].next;
    if (newest == VIV__QNIL) {
        ev[L].same = L;
        ev[L].next = L;
        e->same = L;
    } else {
        uint32_t oldest = ev[newest].same;
        ev[L].same = oldest;
        ev[L].next = newest;
        ev[newest].same = L;
        ev[oldest].next = L;
        e->same = newest;
    }
    *p = slot;
    if (bk->tail == L)
        bk->tail = slot;
}

/* Leader h's instant changed hands (to `to`, or to nobody with others there: VIV__QNIL). */
static inline void hint_moved(viv__sched *q, uint32_t h, uint32_t to)
{
    if (VIV__UNLIKELY(q->hint_lead == h)) {
        q->hint_lead = to;
        if (to == VIV__QNIL)
            q->hint_t = VIV__SCHED_EMPTY;
    }
}

/* The leader h of a group leaves (it is popped or removed): the oldest member leads, in the
 * place *p names (in bucket bk). */
static inline void group_succeed(viv__sched *q, viv__sched_bucket *bk, viv__event *ev,
                                 uint32_t *p, uint32_t h)
{
    uint32_t newest = ev[h].same;
    uint32_t oldest = ev[newest].same;
    if (oldest == newest) {
        ev[oldest].same = VIV__QNIL;
        hint_moved(q, h, VIV__QNIL); /* alone now: its pop will not look at the hint */
    } else {
        hint_moved(q, h, oldest);
        uint32_t second = ev[oldest].same;
        ev[newest].same = second;
        ev[second].next = newest;
        ev[oldest].same = newest;
    }
    ev[oldest].next = ev[h].next;
    *p = oldest;
    if (bk->tail == h)
        bk->tail = oldest;
}

void viv__sched_pop_group(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t h)
{
    /* Leader h leaves; the others at its instant become its run: each member's next is the
     * next greater (its same), and the newest's what h's was. A burst at one instant (a
     * flood's arrivals) then pops with no more work. In a network larger than the caches
     * the members' slots are misses (their pushes were thousands of events ago), each
     * found through the one before: the ring is walked from both ends at once (forward
     * through same, backward through next), two chains of misses in parallel where one
     * would wait for each in turn. */
    viv__sched_bucket *bk = &q->bucket[q->cur]; /* a pop takes from the current day */
    uint32_t newest = ev[h].same, oldest = ev[newest].same;
    /* [x..b]: the members not yet converted, in order; y follows b (converted). */
    uint32_t x = oldest, y = newest, b = ev[newest].next;
    ev[newest].same = VIV__QNIL;
    ev[newest].next = ev[h].next;
    if (oldest != newest) {
        for (;;) {
            if (x == b) {
                ev[x].next = y;
                ev[x].same = VIV__QNIL;
                break;
            }
            uint32_t nx = ev[x].same, pb = ev[b].next;
            ev[x].next = nx;
            ev[x].same = VIV__QNIL;
            ev[b].next = y;
            ev[b].same = VIV__QNIL;
            if (nx == b)
                break;
            y = b;
            b = pb;
            x = nx;
        }
    }
    /* The first VIV__SCHED_LEAD members enter the run's look-ahead window, their memory
     * asked for now (their user data, their owner's fingerprint entry); the events that run
     * carry it on from there, a few events ahead (asking for all of a 250-port flood's at
     * once overflows the core's outstanding misses: most of the lines would be gone again
     * before their event runs). */
    const viv__ownst *own = sim->own;
    uint32_t own_len = sim->own_len;
    uint32_t n = 0, m = oldest;
    /* Only where the network's state is larger than the caches (its owners, about two a
     * link and one a node, stand for its size): in a small one, everything is a hit and
     * the window's upkeep (some 60 instructions an event) is all it would add. */
    for (; own_len >= q->ahead_min_owners;) {
        VIV__PREFETCH(ev[m].user);
        if (ev[m].owner < own_len)
            VIV__PREFETCH(&own[ev[m].owner]);
        q->ahead_ring[n++] = m;
        if (m == newest) {
            m = VIV__QNIL; /* all of the group is in the window */
            break;
        }
        m = ev[m].next;
        if (n == VIV__SCHED_LEAD)
            break;
    }
    q->ahead = n ? m : VIV__QNIL;
    q->ahead_n = n;
    bk->head = oldest;
    if (bk->tail == h)
        bk->tail = newest;
    uint64_t t = ev[h].time;
    if (q->hint_t == t)
        q->hint_t = VIV__SCHED_EMPTY; /* its leader was h */
    q->run_on = 1;
    q->now_t = t;
    q->now_last = newest;
    q->start = t + 1; /* a push at t goes out of line, to the run (t < UINT64_MAX) */
}

/* ---- push ----------------------------------------------------------------------------- */

/* Slot joins leader L's instant (not before L) where that takes a walk of its ring, or makes
 * one: out of line, so that the callers' paths to it are tail calls that keep nothing live. */
static VIV__NOINLINE void push_join(viv__sched *q, viv__event *ev, uint32_t L, uint32_t slot)
{
    q->cost += group_add(ev, L, slot);
}

static VIV__NOINLINE void push_walk(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                    uint32_t b, uint32_t slot, uint64_t t);

void viv__sched_push_early(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint64_t t = e->time;
    if (t == q->now_t && run_holds(q)) {
        /* An event for the current instant (a callback posted for now): into the run, in
         * its place. No bucket walk, no group. */
        viv__sched_bucket *bk = &q->bucket[q->cur];
        uint32_t h = bk->head, last = q->now_last;
        e->same = VIV__QNIL;
        q->len++;
        if (ev[h].time != t) { /* nothing left in the run: it starts again */
            e->next = h;
            bk->head = slot;
            if (h == VIV__QEND)
                bk->tail = slot;
            q->now_last = slot;
        } else if (key_lt(&ev[last], e)) { /* after the run's last (a flood in owner order) */
            e->next = ev[last].next;
            ev[last].next = slot;
            if (bk->tail == last)
                bk->tail = slot;
            q->now_last = slot;
        } else { /* before it: a walk from the run's first (mostly a step or two) */
            uint32_t *p = &bk->head;
            while (key_lt(&ev[*p], e))
                p = &ev[*p].next;
            e->next = *p;
            *p = slot;
        }
        return;
    }
    /* Earlier than the run's instant (observers' events left the clock behind) or no run
     * holds: the calendar starts from t's day if that is before the current one. */
    if (q->run_on)
        run_end(q, ev);
    if (t < q->start)
        set_day(q, t);
    viv__sched_push(sim, q, ev, slot); /* on or after the day's start now */
}

/* A push at the hint's instant (slot's time t, in bucket b): into that instant's group. In
 * the common case (a flood's pushes, through owners made in order) it is the newest there,
 * with no walk and no call. */
static VIV__NOINLINE void push_hinted(struct viv_sim *sim, viv__sched *q, viv__event *ev,
                                      uint32_t slot)
{
    viv__event *e = &ev[slot];
    uint32_t L = q->hint_lead;
    uint32_t newest = ev[L].same;
    if (VIV__LIKELY(newest != VIV__QNIL) && key_lt(&ev[newest], e)) {
        uint32_t oldest = ev[newest].same;
        ev[newest].same = slot;
        e->same = oldest;
        e->next = newest;
        ev[oldest].next = slot;
        ev[L].same = slot;
        return;
    }
    if (!key_lt(e, &ev[L])) {
        push_join(q, ev, L, slot); /* a ring of one, or a walk of it */
        return;
    }
    /* Before the leader: it leads from now on. */
    push_walk(sim, q, ev, (uint32_t)(e->time >> q->shift) & q->mask, slot, e->time);
}

void viv__sched_push_slow(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t b,
                          uint32_t slot, uint64_t t)
{
    q->len++;
    if (t == q->hint_t) {
        /* At the instant the last push joined (the rest of a flood). */
        push_hinted(sim, q, ev, slot);
        return;
    }
    uint32_t tl = q->bucket[b].tail;
    if (t == ev[tl].time) {
        /* At the bucket's last time: that instant's group is the one pushes join next (a
         * walk that makes slot its leader moves the hint on). */
        q->hint_t = t;
        q->hint_lead = tl;
        push_hinted(sim, q, ev, slot);
        return;
    }
    push_walk(sim, q, ev, b, slot, t);
}

/* A push between two of bucket b's times (or before the leader of one): the walk. */
static void push_walk(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t b,
                      uint32_t slot, uint64_t t)
{
    viv__event *e = &ev[slot];
    viv__sched_bucket *bk = &q->bucket[b];
    /* Between the bucket's times: a walk, a slow operation. */
    uint32_t *p = &bk->head;
    uint32_t h, steps = 0;
    while (ev[h = *p].time < t) { /* stops at the tail at the latest */
        p = &ev[h].next;
        steps++;
    }
    if (ev[h].time == t) {
        if (key_lt(e, &ev[h])) {
            group_lead(bk, ev, p, h, slot);
            hint_moved(q, h, slot);
            h = slot;
        } else {
            steps += group_add(ev, h, slot);
        }
        q->hint_t = t;
        q->hint_lead = h;
    } else {
        e->next = h;
        *p = slot;
    }
    q->cost += steps;
    if (VIV__UNLIKELY(q->len > q->grow_at))
        grow(sim, q, ev);
    else if (VIV__UNLIKELY(--q->left == 0))
        tune(sim, q, ev);
}

/* ---- pop ------------------------------------------------------------------------------ */

/* The bucket of the least queued time if it is due within a year of days from the current
 * one (the queue is not empty), which becomes the current day; else VIV__QNIL. Adds the
 * empty days visited to the cost. */
static inline uint32_t scan_days(viv__sched *q, const viv__event *ev)
{
    uint32_t mask = q->mask;
    uint32_t b = q->cur;
    uint64_t top = q->top, width = UINT64_C(1) << q->shift;
    for (uint32_t k = 0; k <= mask; k++) {
        /* The sentinel's time is the greatest, so an empty bucket is never due. Past the
         * last day of time top wraps and nothing is due: the direct search. */
        if (ev[q->bucket[b].head].time < top) {
            q->cur = b;
            q->top = top;
            q->start = top - width;
            q->cost += k;
            return b;
        }
        b = (b + 1) & mask;
        top += width;
    }
    q->cost += q->nb;
    return VIV__QNIL;
}

/* Nothing due within a year: the least head, by direct search; its day becomes the current
 * one. */
static VIV__NOINLINE uint32_t search(viv__sched *q, const viv__event *ev)
{
    uint32_t best = VIV__QNIL;
    for (uint32_t i = 0; i <= q->mask; i++) {
        uint32_t h = q->bucket[i].head;
        if (h != VIV__QEND &&
            (best == VIV__QNIL || ev[h].time < ev[q->bucket[best].head].time))
            best = i;
    }
    set_day(q, ev[q->bucket[best].head].time);
    q->cost += q->nb;
    return best;
}

/* The bucket of the least queued time (the queue is not empty), which becomes the current
 * day. */
static uint32_t find_min(viv__sched *q, const viv__event *ev)
{
    uint32_t b = scan_days(q, ev);
    return b != VIV__QNIL ? b : search(q, ev);
}

uint32_t viv__sched_peek(viv__sched *q, const viv__event *ev)
{
    if (!q->len)
        return VIV__QNIL;
    if (run_holds(q)) {
        /* A scan would set the day's start and end the run without a word. */
        uint32_t h = q->bucket[q->cur].head;
        if (ev[h].time == q->now_t)
            return h;
    }
    uint64_t cost = q->cost; /* a look is not an operation: the tuning must not see it */
    uint32_t h = q->bucket[find_min(q, ev)].head;
    q->cost = cost;
    return h;
}

/* A scan that had to search (days far too narrow for the queue, or a queue far ahead of
 * the current day): the tuning is checked at once rather than at the window's end. */
static VIV__NOINLINE uint32_t seek_search(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    /* On the last day of time, whose end (top) wraps to 0, every pop scans and comes here,
     * the current instant's run included: what is left of it is due. The search would set
     * the day and end the run without a word, leaving its events as lone leaders of one
     * time (viv__sched_peek takes the same care). */
    if (run_holds(q) && ev[q->bucket[q->cur].head].time == q->now_t)
        return q->cur;
    uint32_t b = search(q, ev);
    --q->left;
    tune(sim, q, ev);
    (void)b;
    return q->cur; /* search made it the current day, and so would a rebuild */
}

/* After a scan that ended a tuning window. */
static VIV__NOINLINE uint32_t seek_tune(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    tune(sim, q, ev);
    return q->cur; /* a rebuild made the least time's day the current one */
}

/* The rare part of a scan: the queue is empty, or much smaller or larger than the calendar
 * (a calendar too large makes pops scan empty days; one too small, when pushes never walk,
 * makes them search). Shrinking goes straight to the size that fits, but not on every swing
 * of a bursty queue: only nb slow operations after the last rebuild (its O(nb + len) is then
 * spread over them), or at once when the queue is far too small for it (it drained). */
static VIV__NOINLINE uint32_t seek_resize(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    if (q->len > q->grow_at) {
        grow(sim, q, ev);
    } else if (q->len < q->shrink_at &&
               (q->slow_total + (q->window - q->left) - q->rebuilt_at >= (uint64_t)q->nb ||
                q->len < q->nb / 16)) {
        if (!rebuild(sim, q, ev, fit_size(q))) /* len < shrink_at: a quarter of nb at most */
            q->shrink_at = q->len / 2; /* try again later */
    }
    if (q->len == 0)
        return VIV__QNIL;
    uint32_t b = scan_days(q, ev);
    if (b == VIV__QNIL)
        return seek_search(sim, q, ev);
    if (--q->left == 0)
        return seek_tune(sim, q, ev);
    return b;
}

void viv__sched_emptied(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    q->start = VIV__SCHED_EMPTY;
    q->hint_t = VIV__SCHED_EMPTY;
    q->run_on = 0;
    if (q->nb > VIV__SCHED_MIN_BUCKETS)
        rebuild(sim, q, ev, VIV__SCHED_MIN_BUCKETS); /* cannot fail: no allocation */
}

uint32_t viv__sched_seek(struct viv_sim *sim, viv__sched *q, viv__event *ev)
{
    if (VIV__UNLIKELY(q->len <= q->shrink_at || q->len > q->grow_at))
        return seek_resize(sim, q, ev); /* shrink_at is 0 up to SCHED_SHRINK_FROM */
    uint32_t b = scan_days(q, ev);
    if (VIV__UNLIKELY(b == VIV__QNIL))
        return seek_search(sim, q, ev);
    if (VIV__UNLIKELY(--q->left == 0))
        return seek_tune(sim, q, ev);
    return b;
}

/* ---- removal -------------------------------------------------------------------------- */

/* The leader of the instant of queued slot x (x itself if it leads), the place that names
 * it (*p_out) and the leader before it in the bucket (VIV__QEND if none). */
static uint32_t find_leader(viv__sched *q, viv__event *ev, uint32_t x, uint32_t **p_out,
                            uint32_t *before_out)
{
    uint64_t t = ev[x].time;
    viv__sched_bucket *bk = &q->bucket[(t >> q->shift) & q->mask];
    uint32_t *p = &bk->head;
    uint32_t h, before = VIV__QEND, steps = 0;
    while (ev[h = *p].time < t) {
        before = h;
        p = &ev[h].next;
        steps++;
    }
    q->cost += steps;
    *p_out = p;
    *before_out = before;
    return h;
}

void viv__sched_remove(struct viv_sim *sim, viv__sched *q, viv__event *ev, uint32_t slot)
{
    /* A calendar far too small (pushes that never walked) makes removals walk: removing
     * every event of a large queue, newest first (a simulation taken apart), would be
     * quadratic. */
    if (VIV__UNLIKELY(q->len > q->grow_at))
        grow(sim, q, ev);
    viv__event *e = &ev[slot];
    if (q->run_on && e->time == q->now_t)
        run_end(q, ev); /* a group again: a member leaves in O(1), a leader as one does */
    viv__sched_bucket *bk = &q->bucket[(e->time >> q->shift) & q->mask];
    uint32_t *p, before;
    if (ev[e->next].same == slot) {
        /* A member (a leader's next is a leader or the sentinel, whose same never names
         * it): out of the ring in O(1); its leader changes only if it was the newest. */
        uint32_t prev = e->next, nx = e->same;
        bool newest = prev == slot || key_lt(&ev[nx], e); /* alone, or before the oldest */
        if (prev != slot) {
            ev[prev].same = nx;
            ev[nx].next = prev;
        }
        if (newest) {
            uint32_t L = find_leader(q, ev, slot, &p, &before);
            ev[L].same = prev == slot ? VIV__QNIL : prev;
            if (prev == slot)
                hint_moved(q, L, VIV__QNIL);
        }
    } else {
        uint32_t L = find_leader(q, ev, slot, &p, &before);
        assert(L == slot);
        (void)L;
        if (e->same == VIV__QNIL) {
            *p = e->next;
            if (bk->tail == slot)
                bk->tail = before; /* the bucket's new last (none if it is empty now) */
        } else {
            group_succeed(q, bk, ev, p, slot);
        }
    }
    if (--q->len == 0) {
        q->start = VIV__SCHED_EMPTY;
        q->run_on = 0;
    }
}
