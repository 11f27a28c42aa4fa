/* Links: two independent directions, each a transmitter with a drop-tail queue, a propagation
 * delay, seeded impairments, faults, drop rules and an intercept.
 *
 * Events per frame: one arrival event; plus one transmitter event when the frame had to wait
 * in the queue. Every event belongs to this link (its user pointer is a direction or an
 * in-flight entry of this link), as DESIGN.md requires for distributed runs later. */
#include <stddef.h>
#include <string.h>

#include "l2.h"
#include "vivarium/trace.h"

struct tapent;

/* A frame in transmission or in flight, waiting for its arrival event (f is not NULL then).
 * A direction's entries are all on its chain (`all`, from d->ents) for its life: a cut finds
 * the frames in flight there, so a frame's way on the wire keeps no list of them. Spare
 * entries are kept on their direction's free list (through free_next). */
typedef struct txent {
    viv__frame *f;
    struct viv__linkdir *d;
    struct txent *free_next;
    viv_event_id ev;
    int judged; /* ENT_JUDGED: the drop rules and intercept have seen it; ENT_PLAIN: launched
                   by a transmission that drew nothing (its arrival, its event's time, is not
                   in d->last_arrival yet: last_arrival_fold) */
    struct txent *all; /* last: a cut's field, off ent0's per-frame bytes (the direction's) */
} txent;

#define ENT_JUDGED 1
#define ENT_PLAIN 2

/* A frame waiting for the transmitter. Its start time is known when it is queued (the queue
 * is FIFO and the transmitter's timing is exact), so a waiting frame needs no event of its
 * own: it leaves the queue when the clock reaches its start. */
typedef struct qent {
    viv_time_t start;
    uint32_t len;
} qent;

/* A direction's counts but the per-frame ones (which lead the direction) and the queue's
 * present (computed when asked): viv_link_stats_t's other fields, 52 bytes fewer. */
typedef struct dirstats {
    uint64_t drop_queue, drop_mtu, drop_loss, drop_burst, drop_cut, drop_intercept,
        drop_nomem, corrupted, corrupt_skipped, duplicated, reordered;
    uint32_t queue_peak;
} dirstats;

typedef struct droprule {
    viv_frame_match m;
    uint32_t nth;
    uint32_t seen;
    struct droprule *next;
} droprule;

/* A direction's fields in the order a frame touches them: what every frame's transmission
 * and arrival read and write comes first and together (VIV__LINKDIR_HOT bytes: the
 * transmission's fields, then the arrival's, then the in-flight entry of a direction that
 * carries one frame at a time, which both touch), the rest after. A flood reaches hundreds
 * of directions that no cache holds in a large network, and each line a frame touches there
 * is a miss (docs/performance.md, "The run at scale" and branch wip/linkhot): an arrival
 * touches bytes 72..148, a transmission all 148. A link's directions start 8 bytes past a
 * 16-byte boundary (the link's 56 bytes, a direction's 512): an arrival then touches two
 * lines, a transmission three (four at one alignment in four). The counters a frame bumps
 * are kept here, apart from the others (`st`; viv_link_stats puts them together), and the
 * queue's fields are read only when a frame finds the transmitter busy. */
struct viv__linkdir {
    /* transmission: 72 bytes */
    viv_sim_t *sim;        /* the link's (d->sim without the link) */
    viv_time_t busy_until; /* when the transmitter is free: the end of the last frame given */
    viv_time_t q_last; /* the start of the newest frame queued (VIV_TIME_NEVER before the
                          ring exists): once the clock reaches it, every queued frame has
                          started, and a frame that finds the transmitter busy is queued
                          alone without walking the ring (linkdir_queue) */
    viv_time_t ser_ns;   /* a cache: the last frame length serialised (ser_len), and how long
                            it took */
    /* A plain frame's arrival less its start: ser_ns + p.delay_ns, or VIV_TIME_NEVER when
     * that sum saturates or the direction draws (impaired), which sends tx_go its rare way.
     * Kept by span_note whenever ser_ns, p or impaired change. */
    viv_time_t span_ns;
    /* The latest arrival of the frames an impaired transmission launched, and of those a
     * plain one launched before the direction drew last (last_arrival_fold): what jitter
     * keeps later frames behind. Read by impaired transmissions only. */
    viv_time_t last_arrival;
    uint64_t tx_frames, tx_bytes; /* st's, counted here */
    /* The one length a frame may have to take the common way (viv__linkdir_send): ser_len
     * while the direction is up, has no captures and knows ser_len's serialisation time
     * (a frame of that length fits the MTU: the slow way checked it), else KEY_NONE. One
     * compare then stands for four tests. Whatever changes one of them sets KEY_NONE. */
    uint32_t ser_key;
    uint32_t ser_len;
    /* arrival (and the transmission's owner and flags): 40 bytes */
    struct viv_port *to; /* the port it arrives at (it leaves from the other's `to`) */
    txent *free_ents;    /* spare in-flight entries, ent0 among them when it is free */
    uint64_t rx_frames, rx_bytes; /* st's, counted here */
    uint8_t up;
    uint8_t impaired; /* what p draws per frame: IMP_NONE, IMP_LOSS (a loss rate below 1
                         and nothing else: tx_go_rare draws it) or IMP_DRAWS (tx_impaired) */
    uint8_t judging;  /* rules or icb is set: arrivals go by them (one test per arrival) */
    uint8_t dir;      /* d - link->d: a viv_link_dir */
    uint32_t owner;   /* the owner of this side's events: arrivals, captures */
    txent ent0; /* an in-flight entry in the direction itself: all but its `all` is hot */

    uint32_t q_len;  /* frames given to the link, in order, not yet started for all the
                        queue knows (q, q_head): those whose start has passed leave it when
                        the next frame finds the transmitter busy (queue_advance) */
    uint32_t q_head;
    dirstats st;
    uint64_t q_bytes;
    droprule *rules;
    viv_intercept_cb icb;
    struct txent *ents; /* every entry of this direction, ent0 last (txent's `all`) */
    viv__tap *taps;     /* captures on this direction (tx_start_slow runs them) */
    struct qent *q; /* ring buffer of waiting frames: when each starts, and its length */
    uint32_t q_cap; /* 0 or a power of two (it starts at 16 and doubles), so positions in
                       q wrap with a mask */
    uint8_t ge_bad; /* burst loss's state (impaired frames only: off the per-frame lines) */
    viv_link_params p; /* defaults resolved */
    viv_rng_t rng;
    void *iuser;
    struct tapent *tap_pending; /* captures of frames whose transmission has not started */
};

/* l2.h's prefetch of a direction's per-frame lines covers them (the entry's `all` excepted). */
_Static_assert(offsetof(struct viv__linkdir, ent0) + offsetof(txent, judged) + sizeof(int) <=
                   VIV__LINKDIR_HOT,
               "a direction's per-frame fields lie past VIV__LINKDIR_HOT");
_Static_assert(offsetof(struct viv__linkdir, owner) == VIV__LINKDIR_OWNER,
               "l2.h's viv__port_prefetch_owner reads the owner there");
_Static_assert(offsetof(struct viv__linkdir, to) == 72 && offsetof(struct viv__linkdir, ent0) == 112,
               "the transmission's fields are 72 bytes, the arrival's 40");

struct viv_link {
    viv__obj obj;
    viv_sim_t *sim;
    uint64_t id;
    struct viv__linkdir d[2];
    viv__zombie z; /* its memory's release, after the event that freed it (core.h) */
    int dead;      /* freed: unplugged, memory released once the current event is over */
};
/* The million-host set-up's memory (docs/performance.md, wip/linkhot) has no room for more. */
_Static_assert(sizeof(struct viv_link) <= 1136, "a link is no larger than before wip/linkhot");

#define DEFAULT_RATE 1000000000u
#define DEFAULT_QUEUE 100u
#define DEFAULT_MTU 1500u
#define DEFAULT_OVERHEAD 24u
#define ETH_HDR 14u
#define KEY_NONE UINT32_MAX /* no frame is this long */

/* The link a direction belongs to (d is its d[d->dir]). */
static struct viv_link *dir_link(struct viv__linkdir *d)
{
    return (struct viv_link *)((char *)(d - d->dir) - offsetof(struct viv_link, d));
}

static void arrive(viv_sim_t *sim, void *user);
static void link_mem_free(struct viv_link *l);

/* Times only move forward: past the last instant they saturate there (VIV_TIME_MAX), where
 * an arrival can still be scheduled. */
#define time_add viv__time_add

/* ---- drops ----------------------------------------------------------------------------- */

/* Count a frame this direction drops, trace it with its reason, and release it (f may be
 * NULL: a frame already lost with the memory for its copy). */
static VIV__NOINLINE void dir_drop(struct viv__linkdir *d, viv_drop_reason why, viv__frame *f)
{
    dirstats *st = &d->st;
    switch (why) {
    case VIV_DROP_QUEUE_FULL: st->drop_queue++; break;
    case VIV_DROP_LOSS: st->drop_loss++; break;
    case VIV_DROP_BURST_LOSS: st->drop_burst++; break;
    case VIV_DROP_CUT: st->drop_cut++; break;
    case VIV_DROP_MTU: st->drop_mtu++; break;
    case VIV_DROP_INTERCEPT: st->drop_intercept++; break;
    default: st->drop_nomem++; break;
    }
    viv_sim_t *sim = d->sim;
    if (VIV__UNLIKELY(viv__tracing(sim)))
        viv__l2_trace_frame(sim, VIV_TRACE_FRAME_DROP, NULL, UINT32_MAX, dir_link(d), (viv_link_dir)d->dir, why,
                         f ? viv__frame_bytes(f) : NULL, f ? f->len : 0);
    viv__frame_unref(sim, f);
}

/* ---- parameters ------------------------------------------------------------------------ */

static int prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

static int params_check(viv_sim_t *sim, const viv_link_params *p)
{
    if (!prob_ok(p->loss) || !prob_ok(p->corrupt) || !prob_ok(p->duplicate) ||
        !prob_ok(p->reorder) || !prob_ok(p->burst.p_good_bad) || !prob_ok(p->burst.p_bad_good) ||
        !prob_ok(p->burst.loss_good) || !prob_ok(p->burst.loss_bad))
        return viv__err(sim, VIV_EINVAL, "link parameters: a probability is outside 0..1");
    if (p->jitter_ns == VIV_TIME_NEVER || p->reorder_delay_ns == VIV_TIME_NEVER ||
        p->delay_ns == VIV_TIME_NEVER || p->duplicate_delay_ns == VIV_TIME_NEVER)
        return viv__err(sim, VIV_EINVAL, "link parameters: infinite delay");
    if (p->mtu != 0 && (p->mtu < VIV_LINK_MTU_MIN || p->mtu > VIV_LINK_MTU_MAX))
        return viv__err(sim, VIV_EINVAL,
                        "link parameters: MTU %u is outside %u (IPv4's minimum) to %u (the "
                        "largest IPv4 packet)",
                        p->mtu, VIV_LINK_MTU_MIN, VIV_LINK_MTU_MAX);
    return 0;
}

static void last_arrival_fold(struct viv__linkdir *d);

/* What a direction's parameters draw for a frame (viv__linkdir's impaired). A loss rate
 * alone (in (0, 1)) is drawn by tx_go_rare itself, without tx_impaired's chain of tests: a
 * frame that is not lost is launched as a plain one, in order, after the same single draw
 * tx_impaired would make first. Plain directions' frames never see the test (tx_go). */
enum { IMP_NONE = 0, IMP_LOSS = 1, IMP_DRAWS = 2 };

/* span_ns from ser_ns, p.delay_ns and impaired. */
static void span_note(struct viv__linkdir *d)
{
    viv_time_t s = d->ser_ns + d->p.delay_ns;
    d->span_ns = d->impaired || s < d->ser_ns ? VIV_TIME_NEVER : s;
}

/* Whether the parameters draw from the direction's stream for a frame: without, a frame's
 * way is its timing alone (tx_start's fast path). Called on every change of d->p. A
 * direction that starts drawing first takes the frames launched plain into last_arrival,
 * which it reads from now on. */
static void params_note(struct viv__linkdir *d)
{
    const viv_link_params *p = &d->p;
    uint8_t was = d->impaired;
    if (p->burst.p_good_bad > 0 || p->corrupt > 0 || p->duplicate > 0 || p->jitter_ns != 0 ||
        p->reorder > 0 || p->loss >= 1)
        d->impaired = IMP_DRAWS;
    else
        d->impaired = p->loss > 0 ? IMP_LOSS : IMP_NONE;
    /* Frames the loss-only way launches are plain ones: last_arrival takes them in when the
     * direction starts drawing in full, as it takes those of a direction that drew nothing. */
    if (d->impaired == IMP_DRAWS && was != IMP_DRAWS)
        last_arrival_fold(d);
    span_note(d);
    d->ser_key = KEY_NONE; /* the MTU or the rate may have changed */
}

static void params_apply(struct viv__linkdir *d, const viv_link_params *p)
{
    d->p = *p;
    if (!d->p.rate_bps)
        d->p.rate_bps = DEFAULT_RATE;
    if (!d->p.queue_frames)
        d->p.queue_frames = DEFAULT_QUEUE;
    if (!d->p.mtu)
        d->p.mtu = DEFAULT_MTU;
    if (!d->p.overhead_bytes)
        d->p.overhead_bytes = DEFAULT_OVERHEAD;
    d->ser_ns = 0; /* the serialisation cache is stale */
    params_note(d);
}

/* The formula of link.h, with parameters whose defaults may or may not be resolved: shared
 * with the testing kit (viv_link_ser_time), so that tests expect exactly what links do. */
viv_time_t viv__link_ser_time(const viv_link_params *p, uint32_t len)
{
    uint64_t overhead = p->overhead_bytes == VIV_LINK_OVERHEAD_NONE ? 0
                        : p->overhead_bytes                         ? p->overhead_bytes
                                                                    : DEFAULT_OVERHEAD;
    uint64_t bits = ((uint64_t)len + overhead) * 8u;
    uint64_t rate = p->rate_bps ? p->rate_bps : DEFAULT_RATE;
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 num = (u128)bits * 1000000000u + rate - 1;
    /* Links carry no frame this long at rates this low (the MTU bounds them), but the testing
     * kit asks for any 32-bit length: past the clock, saturate rather than wrap. */
    return num / rate > VIV_TIME_MAX ? VIV_TIME_MAX : (viv_time_t)(num / rate);
#else
    uint64_t q = bits / rate, r = bits % rate;
    if (q > VIV_TIME_MAX / 1000000000u) /* as above: saturate rather than wrap */
        return VIV_TIME_MAX;
    viv_time_t t = q * 1000000000u;
    viv_time_t f = (viv_time_t)((double)r * 1e9 / (double)rate + 0.999999999);
    return VIV_TIME_MAX - t < f ? VIV_TIME_MAX : t + f;
#endif
}

static viv_time_t ser_time_calc(const struct viv__linkdir *d, uint32_t len)
{
    return viv__link_ser_time(&d->p, len);
}

/* Serialisation time, remembering the last length: traffic is mostly frames of one size. */
static viv_time_t ser_time(struct viv__linkdir *d, uint32_t len)
{
    if (len != d->ser_len || !d->ser_ns) {
        d->ser_len = len;
        d->ser_ns = ser_time_calc(d, len);
        span_note(d);
    }
    return d->ser_ns;
}

/* ---- in-flight entries ----------------------------------------------------------------- */

/* Take the frames launched plain and still in flight into last_arrival: their arrivals are
 * their events' times. Those that arrived already are not needed there: they are behind the
 * clock, and no frame launched from now on arrives before the clock, so none can be held
 * behind them. Called when a direction starts drawing (params_note): rare, and linear in the
 * frames in flight, so that a plain transmission keeps no running maximum. */
static void last_arrival_fold(struct viv__linkdir *d)
{
    for (const txent *e = d->ents; e; e = e->all) {
        if (e->f && e->judged == ENT_PLAIN) {
            viv_time_t t = d->sim->ev[(uint32_t)e->ev].time;
            if (t > d->last_arrival)
                d->last_arrival = t;
        }
    }
}

static VIV__NOINLINE txent *ent_alloc(struct viv__linkdir *d)
{
    txent *e = viv__alloc(d->sim, sizeof(txent));
    if (e) {
        e->f = NULL;
        e->d = d; /* an entry stays with its direction */
        e->all = d->ents;
        d->ents = e;
    }
    return e;
}

static inline txent *ent_get(struct viv__linkdir *d)
{
    txent *e = d->free_ents;
    if (VIV__LIKELY(e != NULL)) {
        d->free_ents = e->free_next;
        return e;
    }
    return ent_alloc(d);
}

static void ent_put(struct viv__linkdir *d, txent *e)
{
    e->f = NULL; /* not in flight */
    e->free_next = d->free_ents;
    d->free_ents = e;
}

/* launch's way when the direction has no spare entry or the event table no free slot (it
 * may grow): either may fail for want of memory, and the frame is dropped. */
static VIV__NOINLINE void launch_slow(struct viv__linkdir *d, viv__frame *f, viv_time_t t,
                                      int judged)
{
    txent *e = ent_get(d);
    if (e) {
        e->f = f;
        e->d = d;
        e->judged = judged;
        if (viv__schedule(d->sim, d->owner, &e->ev, t, arrive, e) == 0)
            return;
        ent_put(d, e);
    }
    /* A plain frame lost for want of memory still counts in last_arrival, as every frame
     * a transmission launches does, arrived or not. */
    if (judged == ENT_PLAIN && t > d->last_arrival)
        d->last_arrival = t;
    dir_drop(d, VIV_DROP_NO_MEMORY, f);
}

/* Schedule the arrival of f (a reference the entry takes over) at time t. The common path
 * calls nothing but the queue's push, last (a tail call from the transmit path): it keeps
 * nothing live across a call. */
static inline void launch(struct viv__linkdir *d, viv__frame *f, viv_time_t t, int judged)
{
    viv_sim_t *sim = d->sim;
    txent *e = d->free_ents;
    uint32_t slot = sim->ev_free;
    if (VIV__UNLIKELY(e == NULL || slot == UINT32_MAX)) {
        launch_slow(d, f, t, judged);
        return;
    }
    d->free_ents = e->free_next;
    e->f = f; /* e->d is d: set once, when the entry was made */
    e->judged = judged;
    sim->ev_free = sim->ev[slot].next;
    viv__schedule_slot(sim, slot, d->owner, &sim->own[d->owner].seq, &e->ev, t, arrive, e);
}

/* ---- transmission ---------------------------------------------------------------------- */

static int chance(viv_rng_t *r, double p)
{
    return p > 0 && (p >= 1 || viv_rng_uniform(r) < p);
}

/* Flip one bit of f, drawn from the direction's stream within its corruption range (the
 * bytes [corrupt_offset, corrupt_offset + corrupt_len) cut at the frame's end; corrupt_len 0
 * runs to the end). A shared frame is copied first. A frame with no byte in the range is left
 * as it is and counted in corrupt_skipped, with no draw. Returns the frame to go on with, or
 * NULL when there was no memory for the copy (f is released; the caller counts the drop).
 * With the default range (the whole frame) the draw is the one this function always made. */
static viv__frame *corrupt_frame(struct viv__linkdir *d, viv__frame *f)
{
    const uint32_t off = d->p.corrupt_offset;
    if (f->len <= off) {
        d->st.corrupt_skipped++;
        return f;
    }
    uint32_t span = f->len - off;
    if (d->p.corrupt_len && d->p.corrupt_len < span)
        span = d->p.corrupt_len;
    d->st.corrupted++;
    f = viv__frame_writable(d->sim, f);
    if (!f)
        return NULL;
    f->csum_ok = 0; /* the receiver's checksums must catch this */
    f->fp_ok = 0;   /* (writable cleared it already: the bytes change now) */
    uint64_t bit = viv_rng_below(&d->rng, (uint64_t)span * 8u);
    viv__frame_bytes(f)[off + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    return f;
}

/* A capture hung on a link sees a frame when its transmission starts; for a frame that waits
 * in the queue, that is an observer's event (only while captures are attached), which
 * leaves the run exactly as it is without the capture. */
struct tapent {
    viv__observer obs; /* first: the observer's event hands it to tap_later */
    struct viv__linkdir *d;
    viv__frame *f;
    viv_time_t start;
    viv_event_id ev;
    struct tapent *prev, *next;
};

static void tapent_release(viv_sim_t *sim, struct tapent *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        t->d->tap_pending = t->next;
    if (t->next)
        t->next->prev = t->prev;
    viv__frame_unref(sim, t->f);
    viv__free(sim, t, sizeof(*t));
}

/* An observer's event (it leaves no trace in the run; the clock stays where it is). */
static void tap_later(viv_sim_t *sim, viv__observer *obs)
{
    struct tapent *t = (struct tapent *)obs;
    viv__tap_run(t->d->taps, t->start, t->f, 0);
    tapent_release(sim, t);
}

/* Run the link's taps on f at start: now, or from an event at start. */
static VIV__NOINLINE void tap_at(struct viv__linkdir *d, viv__frame *f, viv_time_t start)
{
    viv_sim_t *sim = d->sim;
    if (start == sim->now) {
        viv__tap_run(d->taps, start, f, 0);
        return;
    }
    struct tapent *t = viv__alloc(sim, sizeof(*t));
    if (!t)
        return; /* out of memory: the capture misses this frame, nothing else changes */
    t->d = d;
    t->f = viv__frame_ref(f);
    t->start = start;
    t->prev = NULL;
    t->next = d->tap_pending;
    t->obs.fn = tap_later;
    if (viv__schedule_observer(sim, &t->ev, start, &t->obs) < 0) {
        viv__frame_unref(sim, t->f);
        viv__free(sim, t, sizeof(*t));
        return;
    }
    if (d->tap_pending)
        d->tap_pending->prev = t;
    d->tap_pending = t;
}

static VIV__NOINLINE void tx_impaired(struct viv__linkdir *d, viv__frame *f, viv_time_t end);

/* tx_go's way for a frame whose times may saturate at the end of time, or on a direction
 * that draws: the times exactly as time_add gives them, then the draws or the launch (a
 * loss rate alone: its one draw, then the launch of a plain frame). */
static VIV__NOINLINE void tx_go_rare(struct viv__linkdir *d, viv__frame *f, viv_time_t start)
{
    viv_time_t end = time_add(start, d->ser_ns);
    d->busy_until = end;
    if (d->impaired == IMP_LOSS) {
        if (viv_rng_uniform(&d->rng) < d->p.loss)
            dir_drop(d, VIV_DROP_LOSS, f);
        else
            launch(d, f, time_add(end, d->p.delay_ns), ENT_PLAIN);
        return;
    }
    if (!d->impaired) {
        launch_slow(d, f, time_add(end, d->p.delay_ns), ENT_PLAIN);
        return;
    }
    tx_impaired(d, f, end);
}

/* Transmit f from time start, its length's serialisation time known (d->ser_len is f->len
 * and d->ser_ns set) and its digest taken (f->fp_ok): the common path, which calls nothing
 * but the scheduler. One copy of it, out of line, so that the scheduler's push is inlined
 * once, here. A plain frame arrives span_ns after its start, which one test tells from the
 * rest (span_ns is VIV_TIME_NEVER on a direction that draws, so the sum wraps or is
 * VIV_TIME_NEVER; a sum short of that means neither time saturates, since the end is no
 * later). A plain frame's arrival is not folded into last_arrival here: only tx_impaired
 * reads it, and a direction that starts drawing in full folds the plain frames still in
 * flight then (last_arrival_fold). */
static VIV__NOINLINE void tx_go(struct viv__linkdir *d, viv__frame *f, viv_time_t start)
{
    viv__count_frame(&d->tx_frames, &d->tx_bytes, f->len);
    /* The fingerprint covers every frame on a wire: when, which direction (the owner's own
     * fingerprint), what bytes and how many (the frame's digest, taken once per frame). */
    viv__ownst *o = &d->sim->own[d->owner];
    o->fp = viv__fp_fold(viv__fp_fold(o->fp, start), viv__frame_fp_kept(f));
    viv_time_t arrival = start + d->span_ns;
    if (VIV__UNLIKELY(arrival < start || arrival == VIV_TIME_NEVER)) {
        tx_go_rare(d, f, start);
        return;
    }
    d->busy_until = start + d->ser_ns;
    launch(d, f, arrival, ENT_PLAIN);
}

/* tx_start for a frame whose length is not ser_key, or not digested yet: fill the caches
 * (the serialisation time, the frame's digest), run the captures, then the common path. The
 * captures see the frame before its counts: nothing they do reads them. */
static VIV__NOINLINE void tx_start_slow(struct viv__linkdir *d, viv__frame *f, viv_time_t start)
{
    (void)ser_time(d, f->len);
    (void)viv__frame_fp(f);
    if (d->taps)
        tap_at(d, f, start);
    tx_go(d, f, start);
}

/* Transmit f from time start (now, or when the frames before it are done). Consumes f. */
static inline void tx_start(struct viv__linkdir *d, viv__frame *f, viv_time_t start)
{
    if (VIV__UNLIKELY(f->len != d->ser_key || !f->fp_ok)) {
        tx_start_slow(d, f, start);
        return;
    }
    tx_go(d, f, start);
}

/* tx_start's way for a frame on a direction whose parameters draw: loss, burst loss,
 * corruption, duplication, jitter, reordering, in that order, from the direction's stream. */
static void tx_impaired(struct viv__linkdir *d, viv__frame *f, viv_time_t end)
{
    const viv_link_params *p = &d->p;
    if (chance(&d->rng, p->loss)) {
        dir_drop(d, VIV_DROP_LOSS, f);
        return;
    }
    if (p->burst.p_good_bad > 0) {
        if (d->ge_bad ? chance(&d->rng, p->burst.p_bad_good) : chance(&d->rng, p->burst.p_good_bad))
            d->ge_bad = !d->ge_bad;
        if (chance(&d->rng, d->ge_bad ? p->burst.loss_bad : p->burst.loss_good)) {
            dir_drop(d, VIV_DROP_BURST_LOSS, f);
            return;
        }
    }
    if (chance(&d->rng, p->corrupt)) {
        if (!(f = corrupt_frame(d, f))) {
            dir_drop(d, VIV_DROP_NO_MEMORY, NULL); /* no memory to copy a shared frame */
            return;
        }
    }
    int dup = chance(&d->rng, p->duplicate);
    viv_time_t arrival = time_add(end, p->delay_ns);
    if (p->jitter_ns) {
        arrival = time_add(arrival, viv_rng_below(&d->rng, p->jitter_ns + 1));
        if (!p->jitter_reorder && arrival < d->last_arrival)
            arrival = d->last_arrival;
    }
    if (arrival > d->last_arrival)
        d->last_arrival = arrival;
    if (chance(&d->rng, p->reorder)) {
        d->st.reordered++;
        arrival = time_add(arrival, p->reorder_delay_ns);
    }
    if (dup) {
        d->st.duplicated++;
        if (p->duplicate_delay_ns) {
            /* The copy follows later, outside the order jitter keeps: it holds nothing back. */
            launch(d, viv__frame_ref(f), arrival, 0);
            launch(d, f, time_add(arrival, p->duplicate_delay_ns), 0);
            return;
        }
        launch(d, viv__frame_ref(f), arrival, 0);
    }
    launch(d, f, arrival, 0);
}

/* The frames still waiting at time now (their start is ahead) and their bytes. */
static void queue_waiting(const struct viv__linkdir *d, viv_time_t now, uint32_t *frames,
                          uint64_t *bytes)
{
    *frames = 0;
    *bytes = 0;
    for (uint32_t i = 0; i < d->q_len; i++) {
        const qent *e = &d->q[(d->q_head + i) & (d->q_cap - 1)];
        if (e->start > now) {
            (*frames)++;
            *bytes += e->len;
        }
    }
}

/* Forget the waiting frames whose transmission has started by now. */
static void queue_advance(struct viv__linkdir *d, viv_time_t now)
{
    if (now >= d->q_last) {
        /* Every frame queued has started (q_last is the newest's start): none is left, with
         * no walk of the ring. */
        d->q_head = 0;
        d->q_len = 0;
        d->q_bytes = 0;
        return;
    }
    while (d->q_len && d->q[d->q_head].start <= now) {
        d->q_bytes -= d->q[d->q_head].len;
        d->q_head = (d->q_head + 1) & (d->q_cap - 1);
        d->q_len--;
    }
}

/* Make room for one more waiting frame: the ring doubles (from 16). */
static int queue_grow(struct viv__linkdir *d)
{
    uint32_t ncap = d->q_cap ? d->q_cap * 2 : 16;
    qent *nq = viv__alloc(d->sim, ncap * sizeof(*nq));
    if (!nq)
        return VIV_ENOMEM;
    for (uint32_t i = 0; i < d->q_len; i++)
        nq[i] = d->q[(d->q_head + i) & (d->q_cap - 1)];
    viv__free(d->sim, d->q, d->q_cap * sizeof(*nq));
    d->q = nq;
    d->q_cap = ncap;
    d->q_head = 0;
    return 0;
}

/* Queue a frame of len bytes starting at `start`; the ring has room. */
static inline void queue_push(struct viv__linkdir *d, viv_time_t start, uint32_t len)
{
    d->q[(d->q_head + d->q_len) & (d->q_cap - 1)] = (qent){start, len};
    d->q_last = start;
    d->q_len++;
    d->q_bytes += len;
    if (d->q_len > d->st.queue_peak)
        d->st.queue_peak = d->q_len;
}

static VIV__NOINLINE void linkdir_queue(struct viv__linkdir *d, viv__frame *f, viv_time_t now);

static VIV__NOINLINE void linkdir_send_slow(struct viv__linkdir *d, viv__frame *f);

/* viv__linkdir_send with the clock's reading (now is d->sim->now). */
static inline void linkdir_send_at(struct viv__linkdir *d, viv__frame *f, viv_time_t now)
{
    /* The direction is up, f fits its MTU, its serialisation time is known and nobody
     * captures there: one compare (ser_key), else the slow way. */
    if (VIV__UNLIKELY(f->len != d->ser_key)) {
        linkdir_send_slow(d, f);
        return;
    }
    if (now >= d->busy_until) {
        /* Everything queued has started: the queue forgets it when a frame next waits
         * (queue_advance), so that this path reads none of the queue's fields. */
        tx_start(d, f, now);
        return;
    }
    linkdir_queue(d, f, now);
}

void viv__linkdir_send(struct viv__linkdir *d, viv__frame *f)
{
    linkdir_send_at(d, f, d->sim->now);
}

void viv__linkdir_send_at(struct viv__linkdir *d, viv__frame *f, viv_time_t now)
{
    linkdir_send_at(d, f, now);
}

/* viv__linkdir_send for a frame of another length than ser_key's: the drops (a cut, the
 * MTU) and the caches, then the same way. */
static VIV__NOINLINE void linkdir_send_slow(struct viv__linkdir *d, viv__frame *f)
{
    if (!d->up) {
        dir_drop(d, VIV_DROP_CUT, f);
        return;
    }
    if (f->len > d->p.mtu + ETH_HDR) {
        dir_drop(d, VIV_DROP_MTU, f);
        return;
    }
    (void)ser_time(d, f->len);
    d->ser_key = d->taps ? KEY_NONE : f->len;
    viv_time_t now = d->sim->now;
    if (now >= d->busy_until) {
        tx_start(d, f, now);
        return;
    }
    linkdir_queue(d, f, now);
}

/* linkdir_queue's way when the ring is full: grow it first. */
static VIV__NOINLINE void linkdir_queue_grow(struct viv__linkdir *d, viv__frame *f)
{
    if (queue_grow(d) < 0) {
        dir_drop(d, VIV_DROP_NO_MEMORY, f);
        return;
    }
    queue_push(d, d->busy_until, f->len);
    tx_start(d, f, d->busy_until);
}

/* viv__linkdir_send for a frame that finds the transmitter busy: it waits its turn. Every
 * call here is the function's last act (the ring's growth is out of line), so that it keeps
 * nothing live across one and saves no registers. */
static VIV__NOINLINE void linkdir_queue(struct viv__linkdir *d, viv__frame *f, viv_time_t now)
{
    queue_advance(d, now);
    if (d->q_len >= d->p.queue_frames ||
        (d->p.queue_bytes && d->q_bytes + f->len > d->p.queue_bytes)) {
        dir_drop(d, VIV_DROP_QUEUE_FULL, f);
        return;
    }
    if (VIV__UNLIKELY(d->q_len == d->q_cap)) {
        linkdir_queue_grow(d, f);
        return;
    }
    queue_push(d, d->busy_until, f->len);
    tx_start(d, f, d->busy_until);
}

/* ---- arrival --------------------------------------------------------------------------- */

/* deliver's way when the node is off or someone watches (a trace subscriber, a capture on
 * the port), after the link's counts. */
static VIV__NOINLINE void deliver_slow(struct viv__linkdir *d, viv__frame *f)
{
    viv_sim_t *sim = d->sim;
    struct viv_port *to = d->to;
    if (!to->node->up) {
        to->stats.drop_down++;
        if (VIV__UNLIKELY(viv__tracing(sim)))
            viv__l2_trace_frame(sim, VIV_TRACE_FRAME_DROP, to->node, to->index, NULL, 0,
                             VIV_DROP_NODE_DOWN, viv__frame_bytes(f), f->len);
        viv__frame_unref(sim, f);
        return;
    }
    viv__count_frame(&to->stats.rx_frames, &to->stats.rx_bytes, f->len);
    if (VIV__UNLIKELY(viv__tracing(sim)))
        viv__l2_trace_frame(sim, VIV_TRACE_FRAME_RX, to->node, to->index, NULL, 0, 0,
                         viv__frame_bytes(f), f->len);
    if (to->taps)
        viv__tap_run(to->taps, sim->now, f, 1);
    to->node->ops->rx(to->node, to, f);
}

/* sim is d's: the caller's, so that an arrival reads no transmission line of d. */
static inline void deliver(viv_sim_t *sim, struct viv__linkdir *d, viv__frame *f)
{
    struct viv_port *to = d->to;
    viv__count_frame(&d->rx_frames, &d->rx_bytes, f->len);
    if (VIV__UNLIKELY(!to->node->up || viv__tracing(sim) || to->taps)) {
        deliver_slow(d, f);
        return;
    }
    viv__count_frame(&to->stats.rx_frames, &to->stats.rx_bytes, f->len);
    to->node->ops->rx(to->node, to, f);
}

/* Drop rules and the intercept. Returns 1 if the frame was dealt with (dropped or delayed). */
static VIV__NOINLINE int judge(struct viv__linkdir *d, viv__frame **fp)
{
    viv__frame *f = *fp;
    viv_sim_t *sim = d->sim;
    viv_frame_info info;
    viv_frame_info_parse(&info, viv__frame_bytes(f), f->len);
    for (droprule *r = d->rules; r; r = r->next) {
        if (r->seen >= r->nth || !viv_frame_match_test(&r->m, &info))
            continue;
        if (++r->seen == r->nth) {
            dir_drop(d, VIV_DROP_INTERCEPT, f);
            return 1;
        }
    }
    if (!d->icb)
        return 0;
    viv_time_t delay = 0;
    struct viv_link *l = dir_link(d);
    viv_verdict v = d->icb(l, (viv_link_dir)d->dir, viv__frame_bytes(f), f->len, &info, &delay, d->iuser);
    if (l->dead) {
        /* The intercept freed the link (or a node it plugs into): the frame dies with it.
         * The link's memory lasts until this event is over. */
        viv__frame_unref(sim, f);
        return 1;
    }
    if (!d->up) {
        /* The intercept cut this direction: the arriving frame is lost like every other. */
        dir_drop(d, VIV_DROP_CUT, f);
        return 1;
    }
    switch (v) {
    case VIV_VERDICT_DROP:
        dir_drop(d, VIV_DROP_INTERCEPT, f);
        return 1;
    case VIV_VERDICT_DELAY:
        launch(d, f, time_add(sim->now, delay), ENT_JUDGED);
        return 1;
    case VIV_VERDICT_DUPLICATE:
        d->st.duplicated++;
        launch(d, viv__frame_ref(f), time_add(sim->now, delay), ENT_JUDGED);
        return 0;
    case VIV_VERDICT_CORRUPT:
        if (!(*fp = corrupt_frame(d, f))) {
            dir_drop(d, VIV_DROP_NO_MEMORY, NULL);
            return 1;
        }
        return 0;
    case VIV_VERDICT_DELIVER:
    default:
        return 0;
    }
}

/* arrive's way on a direction with drop rules or an intercept. */
static VIV__NOINLINE void arrive_judge(struct viv__linkdir *d, viv__frame *f)
{
    if (judge(d, &f))
        return;
    deliver(d->sim, d, f);
}

/* The look-ahead of a run of arrivals (a flood's 250 at one instant, in a network larger
 * than the caches: each reception another direction, port and node, each a miss). Each
 * arrival of the run enters the next event in the queue's window (sched.h, ahead_ring) and
 * asks for memory for three events: the entering one, VIV__SCHED_LEAD + 1 ahead, its in-flight
 * entry with the direction's arrival line before it (ent0's case: bytes 72..148 of the
 * direction) and its owner's fingerprint entry; the one AHEAD_PORT ahead, whose lines have
 * come by now, its port (deliver's node, taps and counters; the host's owner_data); the one
 * AHEAD_NODE ahead its node's last line and the host's first two, where the reception reads
 * (l2.h's struct viv_node). Each is a chain of dependent loads that would otherwise wait in
 * turn; here they overlap the events in between. A slot is read only while its fn is
 * arrive: it is pending then, its entry in flight and its direction alive. */
#define AHEAD_PORT 6u
#define AHEAD_NODE 3u
/* Where an arrival's lines start: the direction's arrival fields before the entry (ent0's
 * case; for an entry allocated apart the address is a stray hint, never read), the entry's
 * last byte read, and a node's last line (what deliver reads, and a host's first fields
 * after it: l2.h's struct viv_node). */
#define AHEAD_DIR_BEFORE (offsetof(struct viv__linkdir, ent0) - offsetof(struct viv__linkdir, to))
#define AHEAD_ENT_LAST (offsetof(txent, judged) + sizeof(int) - 1)
#define AHEAD_NODE_FIRST offsetof(struct viv_node, sim)
static inline struct viv_port *ahead_port(const viv_sim_t *sim, uint32_t slot)
{
    const viv__event *ev = &sim->ev[slot];
    if (ev->fn != arrive)
        return NULL;
    return ((const txent *)ev->user)->d->to;
}
static inline void arrive_ahead(viv_sim_t *sim, viv__sched *q, uint32_t x)
{
    const viv__event *ev = sim->ev;
    uint32_t n = q->ahead_n;
    if (ev[x].fn == arrive && ev[x].time == sim->now) {
        uintptr_t u = (uintptr_t)ev[x].user;
        VIV__PREFETCH((const void *)(u - AHEAD_DIR_BEFORE));
        VIV__PREFETCH((const void *)u);
        VIV__PREFETCH((const void *)(u + AHEAD_ENT_LAST));
        VIV__PREFETCH(&sim->own[ev[x].owner]);
        q->ahead_ring[n % VIV__SCHED_AHEAD] = x;
        q->ahead_n = ++n;
        q->ahead = ev[x].next;
    } else {
        q->ahead = VIV__QNIL; /* the run's arrivals end here (or something else comes first) */
    }
    /* The member d events ahead of the one running is entry n + d - (LEAD + 2). */
    struct viv_port *to = ahead_port(sim, q->ahead_ring[(n + AHEAD_PORT - (VIV__SCHED_LEAD + 2)) %
                                                       VIV__SCHED_AHEAD]);
    if (to) {
        const char *pt = (const char *)to;
        VIV__PREFETCH(pt + offsetof(struct viv_port, node));
        VIV__PREFETCH(pt + sizeof(struct viv_port) - 1);
    }
    to = ahead_port(sim, q->ahead_ring[(n + AHEAD_NODE - (VIV__SCHED_LEAD + 2)) % VIV__SCHED_AHEAD]);
    if (to) {
        const char *nd = (const char *)to->node + AHEAD_NODE_FIRST;
        VIV__PREFETCH(nd);
        VIV__PREFETCH(nd + 64);
        VIV__PREFETCH(nd + 128);
    }
}

/* A frame's arrival: its entry back to the direction's spare ones, then the drop rules
 * and intercept if any, then the port and its node. */
static inline void arrive_body(viv_sim_t *sim, txent *e)
{
    struct viv__linkdir *d = e->d;
    viv__frame *f = e->f;
    int judged = e->judged;
    ent_put(d, e);
    if (VIV__UNLIKELY(d->judging && !(judged & ENT_JUDGED))) {
        arrive_judge(d, f);
        return;
    }
    deliver(sim, d, f);
}

/* arrive's way inside a run that looks ahead: a copy of the body of its own, so that the
 * common way stays a leaf that ends in a tail call (a call before the body would make every
 * arrival save and restore registers around it). */
static VIV__NOINLINE void arrive_looking_ahead(viv_sim_t *sim, txent *e, uint32_t x)
{
    arrive_ahead(sim, &sim->q, x);
    arrive_body(sim, e);
}

static void arrive(viv_sim_t *sim, void *user)
{
    uint32_t x = sim->q.ahead;
    if (VIV__UNLIKELY(x != VIV__QNIL)) {
        arrive_looking_ahead(sim, user, x);
        return;
    }
    arrive_body(sim, user);
}

/* ---- faults ---------------------------------------------------------------------------- */

/* The order of a direction's frames in flight: the order they were launched in, which is
 * that of their arrival events' seq (every one belongs to the direction's owner, whose count
 * only grows). */
static uint64_t ent_seq(const struct viv__linkdir *d, const txent *e)
{
    return d->sim->ev[(uint32_t)e->ev].seq;
}

/* Sift a[i] down the max-heap a[0..n) keyed by ent_seq. */
static void ent_sift(const struct viv__linkdir *d, txent **a, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && ent_seq(d, a[c + 1]) > ent_seq(d, a[c]))
            c++;
        if (ent_seq(d, a[c]) <= ent_seq(d, a[i]))
            return;
        txent *t = a[i];
        a[i] = a[c];
        a[c] = t;
        i = c;
    }
}

/* Cut frame e, in flight: its arrival will not happen. */
static void ent_cut(struct viv__linkdir *d, txent *e)
{
    viv__frame *f = e->f;
    viv_sim_cancel(d->sim, e->ev);
    ent_put(d, e);
    dir_drop(d, VIV_DROP_CUT, f);
}

/* Drop every frame in flight, in the order they were launched (their drops are traced in
 * that order). A heap sort of them by launch order, in memory of its own; without that
 * memory, a search for the earliest each time. Rare (a cut, an unplug), so their way on the
 * wire keeps no ordered list. */
static void flight_flush(struct viv__linkdir *d)
{
    size_t n = 0;
    for (txent *e = d->ents; e; e = e->all)
        n += e->f != NULL;
    if (!n)
        return;
    txent **a = viv__alloc(d->sim, n * sizeof(*a));
    if (!a) {
        for (; n; n--) {
            txent *first = NULL;
            for (txent *e = d->ents; e; e = e->all)
                if (e->f && (!first || ent_seq(d, e) < ent_seq(d, first)))
                    first = e;
            ent_cut(d, first);
        }
        return;
    }
    size_t k = 0;
    for (txent *e = d->ents; e; e = e->all)
        if (e->f)
            a[k++] = e;
    for (size_t i = n / 2; i-- > 0;)
        ent_sift(d, a, i, n);
    for (size_t m = n; m > 1; m--) {
        txent *t = a[0];
        a[0] = a[m - 1];
        a[m - 1] = t;
        ent_sift(d, a, 0, m - 1);
    }
    for (size_t i = 0; i < n; i++)
        ent_cut(d, a[i]);
    viv__free(d->sim, a, n * sizeof(*a));
}

static void dir_flush(struct viv__linkdir *d)
{
    viv_sim_t *sim = d->sim;
    /* Waiting frames are in flight already (their arrival is scheduled) and are counted
     * there; they never started transmission. */
    uint32_t wf;
    uint64_t wb;
    queue_waiting(d, sim->now, &wf, &wb);
    d->tx_frames -= wf;
    d->tx_bytes -= wb;
    d->q_len = 0;
    d->q_bytes = 0;
    while (d->tap_pending) { /* those frames will never be on the wire */
        viv_sim_cancel(sim, d->tap_pending->ev);
        tapent_release(sim, d->tap_pending);
    }
    flight_flush(d);
    if (d->busy_until > sim->now)
        d->busy_until = sim->now;
    /* Nothing is in flight any more: jitter need not keep later frames behind lost ones. */
    d->last_arrival = sim->now;
}

/* ---- life cycle ------------------------------------------------------------------------ */

/* Unplug a link from its ports and drop everything on it; the link's memory stays. The ports
 * hear that they lost carrier, unless the whole simulation is being freed (`carrier` 0):
 * nobody can see a switch's table any more then, and a switch flushing each port's entries
 * walked its whole table once per port (a 250-port switch 250 times). */
static void link_unplug(struct viv_link *l, int carrier)
{
    viv_sim_t *sim = l->sim;
    for (int i = 0; i < 2; i++) {
        struct viv__linkdir *d = &l->d[i];
        dir_flush(d);
        viv__free(sim, d->q, d->q_cap * sizeof(*d->q));
        while (d->rules) {
            droprule *r = d->rules;
            d->rules = r->next;
            viv__free(sim, r, sizeof(*r));
        }
        viv__tap_free_all(sim, &d->taps);
        d->ser_key = KEY_NONE;
        d->q = NULL;
        d->q_cap = 0;
        d->q_last = VIV_TIME_NEVER;
        d->icb = NULL;
        d->judging = 0;
        l->d[!i].to->link = NULL; /* the port d leaves from */
        l->d[!i].to->out = NULL;
    }
    for (int i = 0; i < 2 && carrier; i++) /* each port whose incoming direction was up loses carrier */
        if (l->d[i].up)
            viv__port_link_change(l->d[i].to, 0);
}

static void link_mem_free(struct viv_link *l)
{
    viv_sim_t *sim = l->sim;
    for (int i = 0; i < 2; i++) {
        struct viv__linkdir *d = &l->d[i];
        while (d->ents != &d->ent0) { /* ent0 is the chain's last */
            txent *e = d->ents;
            d->ents = e->all;
            viv__free(sim, e, sizeof(*e));
        }
    }
    viv__free(sim, l, sizeof(*l));
}

static void link_release(viv__zombie *z)
{
    link_mem_free((struct viv_link *)((char *)z - offsetof(struct viv_link, z)));
}

/* Unplug now; release the memory now or, inside an event (an intercept of this link freeing
 * it, say), once that event is over. */
static void link_kill(struct viv_link *l, int carrier)
{
    l->dead = 1;
    link_unplug(l, carrier); /* trace records of its frames dropped name it: still a live handle */
    l->obj.magic = VIV__MAGIC_DEAD; /* the handle dies now, the memory after the event */
    viv__release_later(l->sim, &l->z, link_release);
}

/* Only viv_sim_free destroys objects through the registry. */
static void link_obj_destroy(viv__obj *o) { link_kill((struct viv_link *)o, 0); }

int viv_link_new(viv_link_t **out, viv_sim_t *sim, viv_port_t *a, viv_port_t *b,
                 const viv_link_params *params)
{
    VIV__HANDLE(sim, SIM);
    VIV__HANDLE(a, PORT);
    VIV__HANDLE(b, PORT);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL && a != NULL && b != NULL, "NULL argument");
    VIV__CHECK(sim, a != b, "a link needs two different ports");
    VIV__CHECK(sim, a->node->sim == sim && b->node->sim == sim,
               "ports belong to another simulation");
    if (a->link || b->link)
        return viv__err(sim, VIV_EBUSY, "viv_link_new: port %s/%u already has a link",
                        a->link ? a->node->name : b->node->name,
                        a->link ? a->index : b->index);
    viv_link_params def = VIV_LINK_PARAMS_INIT;
    if (!params)
        params = &def;
    int rc = params_check(sim, params);
    if (rc < 0)
        return rc;
    struct viv_link *l = viv__zalloc(sim, sizeof(*l));
    if (!l)
        return viv__err(sim, VIV_ENOMEM, "viv_link_new: out of memory");
    if (viv__owner_new(sim, &l->d[0].owner) < 0 || viv__owner_new(sim, &l->d[1].owner) < 0) {
        viv__free(sim, l, sizeof(*l));
        return viv__err(sim, VIV_ENOMEM, "viv_link_new: out of memory");
    }
    l->sim = sim;
    l->id = viv__next_id(sim);
    for (int i = 0; i < 2; i++) {
        struct viv__linkdir *d = &l->d[i];
        d->dir = (uint8_t)i;
        d->to = i == 0 ? b : a;
        d->up = 1;
        d->sim = sim;
        d->ents = &d->ent0; /* ent0.all is NULL: the chain's end */
        d->ent0.d = d;
        d->free_ents = &d->ent0; /* ent0.free_next is NULL: the list's end */
        d->q_last = VIV_TIME_NEVER; /* no ring yet: the first frame to wait grows it */
        params_apply(d, params);
        /* The link's key comes from its ends (their names and ports), and each direction
         * has its own stream. */
        uint64_t key = viv__key_mix(viv__key_mix(viv__key_mix(a->node->key, a->index),
                                                 b->node->key),
                                    b->index);
        viv__rng_component(&d->rng, sim, VIV__RNG_LINK, key, (uint32_t)i);
    }
    a->link = b->link = l;
    a->out = &l->d[0];
    b->out = &l->d[1];
    viv__obj_register(sim, &l->obj, link_obj_destroy);
    l->obj.tag = VIV__TAG_LINK;
    l->obj.magic = VIV__MAGIC_LINK;
    *out = l;
    return 0;
}

void viv_link_free(viv_link_t *link)
{
    VIV__HANDLE(link, LINK);
    if (!link || link->dead)
        return;
    viv__obj_unregister(link->sim, &link->obj);
    link_kill(link, 1);
}

#define FOR_DIRS(link, dir, body)                                                          \
    do {                                                                                   \
        for (int i_ = 0; i_ < 2; i_++) {                                                   \
            if ((dir) != VIV_LINK_BOTH && (int)(dir) != i_)                                \
                continue;                                                                  \
            struct viv__linkdir *d = &(link)->d[i_];                                       \
            body;                                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_LINK_DIR(link, dir, both_ok)                                                 \
    do {                                                                                   \
        if (!(link))                                                                       \
            return VIV_EINVAL;                                                             \
        if ((unsigned)(dir) > ((both_ok) ? 2u : 1u))                                       \
            return viv__err((link)->sim, VIV_EINVAL, "%s: bad link direction %d",          \
                            __func__, (int)(dir));                                         \
    } while (0)

int viv_link_set_params(viv_link_t *link, viv_link_dir dir, const viv_link_params *params)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    VIV__CHECK(link->sim, params != NULL, "NULL parameters");
    int rc = params_check(link->sim, params);
    if (rc < 0)
        return rc;
    FOR_DIRS(link, dir, params_apply(d, params));
    return 0;
}

int viv_link_params_get(viv_link_params *out, const viv_link_t *link, viv_link_dir dir)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 0);
    VIV__CHECK(link->sim, out != NULL, "NULL out");
    *out = link->d[dir].p;
    return 0;
}

int viv_link_set_loss(viv_link_t *link, viv_link_dir dir, double loss)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    VIV__CHECK(link->sim, prob_ok(loss), "loss probability outside 0..1");
    FOR_DIRS(link, dir, {
        d->p.loss = loss;
        params_note(d);
    });
    return 0;
}

int viv_link_set_delay(viv_link_t *link, viv_link_dir dir, viv_time_t delay_ns)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    VIV__CHECK(link->sim, delay_ns != VIV_TIME_NEVER, "infinite delay");
    FOR_DIRS(link, dir, {
        d->p.delay_ns = delay_ns;
        params_note(d);
    });
    return 0;
}

int viv_link_set_rate(viv_link_t *link, viv_link_dir dir, uint64_t rate_bps)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    VIV__CHECK(link->sim, rate_bps > 0, "zero rate");
    FOR_DIRS(link, dir, {
        d->p.rate_bps = rate_bps;
        d->ser_ns = 0; /* the serialisation cache is stale */
        d->ser_key = KEY_NONE;
    });
    return 0;
}

int viv_link_set_up(viv_link_t *link, viv_link_dir dir, int up)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    FOR_DIRS(link, dir, {
        if (!up)
            dir_flush(d);
        int was = d->up;
        d->up = up ? 1 : 0;
        d->ser_key = KEY_NONE; /* the slow way sends (and drops) by d->up */
        if (d->up != was) /* the port this direction arrives at lost or regained carrier */
            viv__port_link_change(d->to, d->up);
    });
    return 0;
}

int viv_link_is_up(const viv_link_t *link, viv_link_dir dir)
{
    VIV__HANDLE(link, LINK);
    if (!link || (unsigned)dir > 1)
        return 0;
    return link->d[dir].up;
}

int viv_link_stats(viv_link_stats_t *out, const viv_link_t *link, viv_link_dir dir)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 0);
    VIV__CHECK(link->sim, out != NULL, "NULL out");
    const struct viv__linkdir *d = &link->d[dir];
    const dirstats *st = &d->st;
    /* Field by field into a zeroed struct: its padding is zero too, so two readings of the
     * same counts compare equal byte for byte (memcmp), as they did when it was a copy. */
    memset(out, 0, sizeof(*out));
    out->tx_frames = d->tx_frames;
    out->tx_bytes = d->tx_bytes;
    out->rx_frames = d->rx_frames;
    out->rx_bytes = d->rx_bytes;
    out->drop_queue = st->drop_queue;
    out->drop_mtu = st->drop_mtu;
    out->drop_loss = st->drop_loss;
    out->drop_burst = st->drop_burst;
    out->drop_cut = st->drop_cut;
    out->drop_intercept = st->drop_intercept;
    out->drop_nomem = st->drop_nomem;
    out->corrupted = st->corrupted;
    out->corrupt_skipped = st->corrupt_skipped;
    out->duplicated = st->duplicated;
    out->reordered = st->reordered;
    out->queue_peak = st->queue_peak;
    /* Waiting frames leave the queue as the clock reaches their start; until then they have
     * not started transmission either. */
    queue_waiting(d, link->sim->now, &out->queue_frames, &out->queue_bytes);
    out->tx_frames -= out->queue_frames;
    out->tx_bytes -= out->queue_bytes;
    return 0;
}

viv_port_t *viv_link_port(const viv_link_t *link, int which)
{
    VIV__HANDLE(link, LINK);
    if (!link || which < 0 || which > 1)
        return NULL;
    return link->d[!which].to; /* where direction `which` leaves from */
}

int viv_link_set_intercept(viv_link_t *link, viv_link_dir dir, viv_intercept_cb cb, void *user)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 1);
    FOR_DIRS(link, dir, {
        d->icb = cb;
        d->iuser = user;
        d->judging = d->rules != NULL || d->icb != NULL;
    });
    return 0;
}

int viv_link_drop_nth(viv_link_t *link, viv_link_dir dir, const viv_frame_match *match,
                      uint32_t nth)
{
    VIV__HANDLE(link, LINK);
    CHECK_LINK_DIR(link, dir, 0);
    VIV__CHECK(link->sim, match != NULL, "NULL match");
    VIV__CHECK(link->sim, nth > 0, "nth counts from 1");
    droprule *r = viv__zalloc(link->sim, sizeof(*r));
    if (!r)
        return viv__err(link->sim, VIV_ENOMEM, "viv_link_drop_nth: out of memory");
    r->m = *match;
    r->nth = nth;
    droprule **pp = &link->d[dir].rules;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
    link->d[dir].judging = 1;
    return 0;
}

viv__tap **viv__link_taps(struct viv_link *l, viv_link_dir dir)
{
    /* The caller is about to change the list: the common way is off until a frame's slow
     * way looks at the captures again. */
    l->d[dir].ser_key = KEY_NONE;
    return &l->d[dir].taps;
}
