/* The simulation: creation, the owned-object registry, the event table and the drivers. */
#include <string.h>

#include "core.h"

void *viv__default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

#define EV_NONE UINT32_MAX

int viv_sim_new(viv_sim_t **out, const viv_sim_opts *opts)
{
    if (!out)
        return VIV_EINVAL;
    viv_sim_opts def = VIV_SIM_OPTS_INIT;
    if (!opts)
        opts = &def;
    viv_alloc_fn alloc = opts->alloc ? opts->alloc : viv__default_alloc;
    viv_sim_t *sim = alloc(opts->alloc_ud, NULL, 0, sizeof(*sim));
    if (!sim)
        return VIV_ENOMEM;
    memset(sim, 0, sizeof(*sim));
    sim->magic = VIV__MAGIC_SIM;
    sim->alloc = alloc;
    sim->alloc_ud = opts->alloc_ud;
    sim->seed = opts->seed;
    sim->ev_free = EV_NONE;
    viv__sched_table_init(&sim->ev_none);
    sim->ev = &sim->ev_none;
    sim->fp_seed = viv__fp_fold(UINT64_C(0x6a09e667f3bcc908), opts->seed);
    sim->own = sim->own_small;
    sim->own_cap = (uint32_t)VIV__ARRAY_LEN(sim->own_small);
    sim->own_len = 1; /* VIV__OWNER_PROGRAM */
    sim->own[0].seq = 0;
    sim->own[0].fp = 0;
    sim->objs.prev = sim->objs.next = &sim->objs;
    sim->post_tail = &sim->post_head;
    viv__sched_init(&sim->q);
    viv__map_init(&sim->names);
    *out = sim;
    return 0;
}

void viv__frame_pool_fini(viv_sim_t *sim);
static void reap(viv_sim_t *sim);

void viv_sim_free(viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return;
    if (sim->running) {
        /* Called from one of its own callbacks: everything on the stack still needs the
         * simulation. The driver frees it when the callback returns, and returns. */
        sim->free_requested = 1;
        sim->stop = 1;
        sim->attention = 1;
        return;
    }
    /* Nothing is traced while the world is taken apart: the subscriber's state may be gone
     * already (it often lives on the stack of the function that made the simulation). */
    sim->trace_cb = NULL;
    reap(sim); /* objects freed by the callback that freed the simulation */
    /* Destroy owned objects newest first: an object never outlives what it was built on. */
    while (sim->objs.prev != &sim->objs) {
        viv__obj *o = sim->objs.prev;
        viv__obj_unregister(sim, o);
        o->destroy(o);
    }
    viv__sched_fini(sim, &sim->q);
    viv__map_fini(sim, &sim->names);
    if (sim->ev_cap)
        viv__free(sim, sim->ev, sim->ev_cap * sizeof(*sim->ev));
    if (sim->own != sim->own_small)
        viv__free(sim, sim->own, sim->own_cap * sizeof(*sim->own));
    viv__frame_pool_fini(sim);
    viv_alloc_fn alloc = sim->alloc;
    void *alloc_ud = sim->alloc_ud;
    sim->magic = VIV__MAGIC_DEAD;
#if defined(VIV_DEBUG_HANDLES) && VIV_DEBUG_HANDLES
    memset(sim, VIV__POISON_BYTE, sizeof(*sim)); /* as viv__free does */
#endif
    alloc(alloc_ud, sim, sizeof(*sim), 0);
}

viv_time_t viv_sim_now(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    return sim ? sim->now : 0;
}

uint64_t viv_sim_seed(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    return sim ? sim->seed : 0;
}

size_t viv_sim_pending(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    return sim ? viv__sched_len(&sim->q) - sim->obs_pending - sim->idle_pending + sim->posts
               : 0;
}

uint64_t viv_sim_events(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    return sim ? sim->dispatched : 0;
}

/* The owners' fingerprints combined in owner order: the same value however the owners'
 * events interleaved, and so for a run cut into parts whose owners' states are gathered.
 * Owners that never scheduled an event or saw a frame are left out: a component that took
 * no part in the run (an idle host, a switch nobody reached) does not change its value. */
uint64_t viv_sim_fingerprint(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return 0;
    uint64_t h = sim->fp_seed;
    for (uint32_t i = 0; i < sim->own_len; i++) {
        if (sim->own[i].fp != 0 || sim->own[i].seq != 0)
            h = viv__fp_fold(viv__fp_fold(h, sim->own[i].fp), sim->own[i].seq);
    }
    return h;
}

int viv__owner_new(viv_sim_t *sim, uint32_t *id_out)
{
    if (sim->own_len == sim->own_cap) {
        uint32_t ncap = sim->own_cap * 2;
        viv__ownst *n = ncap > sim->own_cap ? viv__alloc(sim, ncap * sizeof(*n)) : NULL;
        if (!n)
            return viv__err(sim, VIV_ENOMEM, "out of memory for an event owner");
        memcpy(n, sim->own, sim->own_len * sizeof(*n));
        if (sim->own != sim->own_small)
            viv__free(sim, sim->own, sim->own_cap * sizeof(*n));
        sim->own = n;
        sim->own_cap = ncap;
    }
    sim->own[sim->own_len].seq = 0;
    sim->own[sim->own_len].fp = 0;
    *id_out = sim->own_len++;
    return 0;
}

/* A word of 8 bytes read as little-endian on every machine (one load where the host is
 * little-endian), so that fingerprints agree across byte orders. */
static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The digest of n bytes: the words fold into two chains, so that the multiplications of
 * neighbouring words do not wait on each other (the first chain takes the even words, the
 * second the odd ones), and the second then folds into the first. Both chains start from
 * constants: the digest depends on the bytes alone, so a frame flooded to 250 ports is
 * digested once and each wire folds the digest into its owner's value (viv__frame_fp). A
 * string of another length than VIV__FP_FRAME_BYTES starts the second chain with its length
 * (so that trailing zero bytes still count) and, if its length is not a multiple of 8, ends
 * with its last 8 bytes read again as one word (overlapping words already taken); only a
 * string shorter than a word is read byte by byte. Every step is a bijection
 * (viv__fp_fold), so bytes that differ from another string's within one word always change
 * the digest; other differences collide only by chance. Cost: 3 instructions per word (xor,
 * multiply, rotate), 8 words for a frame of 64 bytes or more. */
uint64_t viv__fp_digest(const uint8_t *p, size_t n)
{
    uint64_t a = UINT64_C(0x13198a2e03707344);
    uint64_t b = UINT64_C(0x243f6a8885a308d3);
    if (VIV__LIKELY(n == VIV__FP_FRAME_BYTES)) {
        /* The common case (every frame of at least that length), in straight-line code. */
        for (size_t i = 0; i < VIV__FP_FRAME_BYTES; i += 16) {
            a = viv__fp_fold(a, load_le64(p + i));
            b = viv__fp_fold(b, load_le64(p + i + 8));
        }
        return viv__fp_fold(a, b);
    }
    b = viv__fp_fold(b, n);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = viv__fp_fold(a, load_le64(p + i));
        b = viv__fp_fold(b, load_le64(p + i + 8));
    }
    if (i + 8 <= n) {
        a = viv__fp_fold(a, load_le64(p + i));
        i += 8;
    }
    if (i < n) {
        uint64_t tail = 0;
        if (n >= 8) {
            tail = load_le64(p + n - 8);
        } else {
            for (int shift = 0; i < n; i++, shift += 8)
                tail |= (uint64_t)p[i] << shift;
        }
        b = viv__fp_fold(b, tail);
    }
    return viv__fp_fold(a, b);
}

void viv__obj_register(viv_sim_t *sim, viv__obj *obj, void (*destroy)(viv__obj *))
{
    obj->destroy = destroy;
    obj->tag = VIV__TAG_NONE;
    obj->next = &sim->objs;
    obj->prev = sim->objs.prev;
    sim->objs.prev->next = obj;
    sim->objs.prev = obj;
}

void viv__obj_unregister(viv_sim_t *sim, viv__obj *obj)
{
    (void)sim;
    obj->prev->next = obj->next;
    obj->next->prev = obj->prev;
    obj->prev = obj->next = obj;
}

uint64_t viv__next_id(viv_sim_t *sim) { return ++sim->next_obj_id; }

/* FNV-1a over the bytes, then a finaliser so that near names land far apart. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return viv__key_mix(h, 0);
}

int viv__name_key(viv_sim_t *sim, const char *name, uint64_t *key_out)
{
    uint64_t h = name_hash(name);
    viv__mkey k = viv__mkey_u64(h);
    uintptr_t seen = (uintptr_t)viv__map_get(&sim->names, k); /* count + 1, or 0 */
    if (viv__map_put(sim, &sim->names, k, (void *)(seen ? seen + 1 : 2)) < 0)
        return viv__err(sim, VIV_ENOMEM, "out of memory for a name");
    *key_out = seen ? viv__key_mix(h, seen - 1) : h;
    return 0;
}

uint64_t viv__kind_next(viv_sim_t *sim, const char *kind)
{
    for (size_t i = 0; i < VIV__ARRAY_LEN(sim->kinds); i++) {
        if (!sim->kinds[i].kind)
            sim->kinds[i].kind = kind;
        if (strcmp(sim->kinds[i].kind, kind) == 0)
            return ++sim->kinds[i].n;
    }
    return viv__next_id(sim); /* more kinds than the table holds: unique all the same */
}

/* ---- deferred release ------------------------------------------------------------------- */

void viv__release_later(viv_sim_t *sim, viv__zombie *z, void (*release)(viv__zombie *z))
{
    z->release = release;
    if (!sim->running) {
        release(z);
        return;
    }
    z->next = sim->zombies;
    sim->zombies = z;
    sim->attention = 1;
}

/* Release what the event just run freed, in the order it was freed. */
static void reap(viv_sim_t *sim)
{
    viv__zombie *list = NULL;
    while (sim->zombies) { /* reverse: the first freed is released first */
        viv__zombie *z = sim->zombies;
        sim->zombies = z->next;
        z->next = list;
        list = z;
    }
    while (list) {
        viv__zombie *z = list;
        list = z->next;
        z->release(z);
    }
}

/* ---- events ---------------------------------------------------------------------------- */

/* A slot from the end of the table, which grows when full. */
static int ev_slot_new(viv_sim_t *sim, uint32_t *out)
{
    if (sim->ev_len == sim->ev_cap) {
        uint32_t ncap = sim->ev_cap ? sim->ev_cap * 2 : 64;
        if (ncap <= sim->ev_cap || ncap > UINT32_MAX / 2)
            return VIV_ENOMEM;
        viv__event *n = viv__realloc(sim, sim->ev_cap ? sim->ev : NULL, sim->ev_cap * sizeof(*n),
                                     (size_t)ncap * sizeof(*n));
        if (!n)
            return VIV_ENOMEM;
        sim->ev = n;
        sim->ev_cap = ncap;
        if (sim->ev_len == 0) { /* a new table: its first slot is the queue's sentinel */
            viv__sched_table_init(n);
            sim->ev_len = 1;
        }
    }
    *out = sim->ev_len++;
    sim->ev[*out].gen = 0;
    return 0;
}

/* A free slot: the last one given back, else a new one. */
static inline int ev_slot_get(viv_sim_t *sim, uint32_t *out)
{
    uint32_t slot = sim->ev_free;
    if (VIV__UNLIKELY(slot == EV_NONE))
        return ev_slot_new(sim, out);
    *out = slot;
    sim->ev_free = sim->ev[slot].next;
    return 0;
}

static inline void ev_slot_put(viv_sim_t *sim, uint32_t slot)
{
    viv__event *e = &sim->ev[slot];
    e->fn = NULL;
    e->next = sim->ev_free;
    sim->ev_free = slot;
}

/* An idle timer's event (an observer's has the quiet function too), and a timer's slot,
 * idle or not. */
static inline bool ev_is_idle(const viv__event *e)
{
    return e->fn == viv__quiet_fn && e->owner != VIV__OWNER_OBSERVER;
}
static inline bool ev_is_timer(const viv__event *e)
{
    return e->fn == viv__timer_fire || ev_is_idle(e);
}

/* The owner's event count. */
static inline uint64_t *owner_seq(viv_sim_t *sim, uint32_t owner)
{
    return VIV__LIKELY(owner != VIV__OWNER_OBSERVER) ? &sim->own[owner].seq : &sim->obs_seq;
}

/* The same with a slot from the end of the table, which may have to grow. Out of line, and
 * called last with at most six arguments (all in registers), so that the common path keeps
 * nothing live across a call and needs no prologue. */
static VIV__NOINLINE int schedule_new_slot(viv_sim_t *sim, uint32_t owner, viv_event_id *id_out,
                                           viv_time_t at, viv_event_fn fn, void *user)
{
    uint32_t slot;
    if (ev_slot_new(sim, &slot) < 0)
        return viv__err(sim, VIV_ENOMEM, "schedule: out of memory for the event table");
    viv__schedule_slot(sim, slot, owner, owner_seq(sim, owner), id_out, at, fn, user);
    return 0;
}

/* Queue fn(user) at `at` as the event *seq of owner. Inline: the program's own scheduling
 * (viv_sim_schedule_at, _after) takes it with the owner known, so that its hot path is one
 * function with no test of the owner's kind, and with rand set (a constant): its times may
 * follow any distribution, so the queue places them without branching on where they fall
 * (viv__sched_push_rand). */
static inline int schedule_ev(viv_sim_t *sim, uint32_t owner, uint64_t *seq,
                              viv_event_id *id_out, viv_time_t at, viv_event_fn fn, void *user,
                              bool rand)
{
    uint32_t slot = sim->ev_free;
    if (VIV__UNLIKELY(slot == EV_NONE))
        return schedule_new_slot(sim, owner, id_out, at, fn, user);
    sim->ev_free = sim->ev[slot].next;
    viv__schedule_fill(sim, slot, owner, seq, id_out, at, fn, user);
    if (rand)
        viv__sched_push_rand(sim, &sim->q, sim->ev, slot);
    else
        viv__sched_push(sim, &sim->q, sim->ev, slot);
    return 0;
}

int viv__schedule(viv_sim_t *sim, uint32_t owner, viv_event_id *id_out, viv_time_t at,
                  viv_event_fn fn, void *user)
{
    return schedule_ev(sim, owner, owner_seq(sim, owner), id_out, at, fn, user, false);
}

void viv__quiet_fn(viv_sim_t *sim, void *user)
{
    (void)sim;
    (void)user;
    assert(!"a quiet event is never called"); /* the dispatch takes it out of line */
}

int viv__schedule_observer(viv_sim_t *sim, viv_event_id *id_out, viv_time_t at,
                           viv__observer *obs)
{
    int rc = viv__schedule(sim, VIV__OWNER_OBSERVER, id_out, at, viv__quiet_fn, obs);
    if (rc == 0)
        sim->obs_pending++;
    return rc;
}

int viv__schedule_after(viv_sim_t *sim, uint32_t owner, viv_event_id *id_out,
                        viv_time_t delay, viv_event_fn fn, void *user)
{
    if (delay > VIV_TIME_MAX - sim->now)
        return viv__err(sim, VIV_ERANGE, "now (%llu ns) + %llu ns is past VIV_TIME_MAX",
                        (unsigned long long)sim->now, (unsigned long long)delay);
    return viv__schedule(sim, owner, id_out, sim->now + delay, fn, user);
}

int viv_sim_schedule_at(viv_event_id *id_out, viv_sim_t *sim, viv_time_t at, viv_event_fn fn,
                        void *user)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, fn != NULL, "NULL callback");
    if (at < sim->now)
        return viv__err(sim, VIV_EINVAL,
                        "viv_sim_schedule_at: time %llu ns is before now (%llu ns)",
                        (unsigned long long)at, (unsigned long long)sim->now);
    if (at > VIV_TIME_MAX)
        return viv__err(sim, VIV_ERANGE,
                        "viv_sim_schedule_at: VIV_TIME_NEVER is not an instant (the last is "
                        "VIV_TIME_MAX)");
    return schedule_ev(sim, VIV__OWNER_PROGRAM, &sim->own[VIV__OWNER_PROGRAM].seq, id_out, at,
                       fn, user, true);
}

int viv_sim_schedule_after(viv_event_id *id_out, viv_sim_t *sim, viv_time_t delay,
                           viv_event_fn fn, void *user)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, fn != NULL, "NULL callback");
    if (delay > VIV_TIME_MAX - sim->now)
        return viv__err(sim, VIV_ERANGE,
                        "viv_sim_schedule_after: now (%llu ns) + %llu ns is past VIV_TIME_MAX",
                        (unsigned long long)sim->now, (unsigned long long)delay);
    return schedule_ev(sim, VIV__OWNER_PROGRAM, &sim->own[VIV__OWNER_PROGRAM].seq, id_out,
                       sim->now + delay, fn, user, true);
}

int viv_sim_cancel(viv_sim_t *sim, viv_event_id id)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    uint32_t slot = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    /* A timer's slot took a generation of its own that no id names: an id of that
     * generation was never issued; an older one names an event that ran before. */
    if (gen == 0 || slot >= sim->ev_len || gen > sim->ev[slot].gen ||
        (gen == sim->ev[slot].gen && ev_is_timer(&sim->ev[slot])))
        return viv__err(sim, VIV_EINVAL, "viv_sim_cancel: event id %#llx was never issued",
                        (unsigned long long)id);
    viv__event *e = &sim->ev[slot];
    if (gen != e->gen || e->fn == NULL)
        return 0; /* already ran or already cancelled */
    /* Out of the queue at once: a cancelled event holds no slot and costs no pop. */
    if (e->owner == VIV__OWNER_OBSERVER)
        sim->obs_pending--;
    viv__sched_remove(sim, &sim->q, sim->ev, slot);
    ev_slot_put(sim, slot);
    return 1;
}

/* An observer's event: it runs, and leaves no trace in the run. */
static void dispatch_observer(viv_sim_t *sim, uint32_t slot)
{
    viv__observer *obs = sim->ev[slot].user;
    ev_slot_put(sim, slot);
    sim->obs_pending--;
    obs->fn(sim, obs);
    if (sim->zombies)
        reap(sim);
}

/* Idle timer event `slot`, popped, leaves the queue unseen: the timer's again, not queued. */
static void idle_leave(viv_sim_t *sim, uint32_t slot)
{
    viv__event *e = &sim->ev[slot];
    viv__timer *t = e->user;
    assert(e->fn == viv__quiet_fn && t->queued == VIV__TIMER_IDLE && t->slot == slot);
    e->fn = viv__timer_fire;
    t->queued = 0;
    sim->idle_pending--;
}

/* A quiet event just popped (its fn is viv__quiet_fn). An observer's runs. An idle
 * timer's leaves the queue unseen if the clock is going past its time: a real event
 * remains (the pop takes it next, or ends at limit; the clock reaches at least this time
 * either way), or the driver sets the clock to its limit (run_until and _for: limit is not
 * VIV_TIME_NEVER). Otherwise nothing real is left (viv_sim_run, _step): it goes back where
 * it was, the same (time, owner, seq), and the driver stops with the clock at the last
 * event that ran. Returns 1 to go on popping, 0 to stop. The clock stays behind the
 * queue's day then, as observers' events leave it; a push before that day starts the
 * calendar from the push's (viv__sched_push_early). */
static int dispatch_quiet(viv_sim_t *sim, uint32_t slot, viv_time_t limit)
{
    /* Left to GCC to inline, as dispatch_observer was: kept out of line (VIV__NOINLINE)
     * the run's loop allocated its registers worse, 0.4 instructions more per event, and
     * with a loop of its own 3 more (callgrind, viv_bench hold). */
    if (sim->ev[slot].owner == VIV__OWNER_OBSERVER) {
        dispatch_observer(sim, slot);
        return 1;
    }
    /* Popped, the event is out of the queue's length but still counted as idle. */
    bool real_left = viv__sched_len(&sim->q) + 1 > sim->obs_pending + sim->idle_pending;
    if (!real_left && limit == VIV_TIME_NEVER) {
        viv__sched_push(sim, &sim->q, sim->ev, slot);
        return 0;
    }
    idle_leave(sim, slot);
    return 1;
}

/* Dispatch the earliest event due at or before limit. Returns 1 if one ran, 0 if none is
 * due; observers' events on the way run but do not count, idle timers' events on the way
 * leave (dispatch_quiet). One test for both kinds, as there was for observers alone. */
static inline int dispatch_one(viv_sim_t *sim, viv_time_t limit)
{
    for (;;) {
        uint32_t slot = viv__sched_pop(sim, &sim->q, sim->ev, limit);
        if (slot == VIV__QNIL)
            return 0;
        viv__event *e = &sim->ev[slot];
        viv_event_fn fn = e->fn;
        void *user = e->user; /* read before the test: GCC then keeps it where the call
                               * wants it (one instruction less per event, viv_bench hold) */
        if (VIV__UNLIKELY(fn == viv__quiet_fn)) {
            if (dispatch_quiet(sim, slot, limit))
                continue;
            return 0;
        }
        viv_time_t t = e->time;
        viv__ownst *o = &sim->own[e->owner];
        o->fp = viv__fp_fold(viv__fp_fold(o->fp, t), e->seq);
        /* Every slot goes back, a timer's too: viv__timer_fire takes its slot back at once
         * (it is then the free list's head), which spares every other event a test. */
        ev_slot_put(sim, slot);
        sim->now = t;
        sim->dispatched++;
        fn(sim, user);
        return 1; /* the caller reaps what the event freed (sim->attention) */
    }
}

/* Run the work posted for the end of the event (viv__post), in order, with the work it posts
 * in turn, until none is left or the run is stopped (what is left then waits for the next
 * run or step). */
static void run_posts(viv_sim_t *sim)
{
    viv__post *p;
    while ((p = sim->post_head) != NULL && !sim->stop) {
        sim->post_head = p->next;
        if (p->next)
            p->next->pprev = &sim->post_head;
        else
            sim->post_tail = &sim->post_head;
        p->next = NULL;
        p->pprev = NULL;
        sim->posts--;
        p->fn(p);
    }
}

/* What an event left for after it: its posted work, then the release of what it (or the
 * work) freed. */
static void after_event(viv_sim_t *sim)
{
    sim->attention = 0;
    if (sim->post_head)
        run_posts(sim);
    if (sim->zombies)
        reap(sim);
}

static int run(viv_sim_t *sim, viv_time_t limit, bool set_clock)
{
    if (sim->running)
        return viv__err(sim, VIV_ESTATE, "the simulation is already running (called from a "
                                         "callback)");
    sim->running = 1;
    sim->stop = 0;
    sim->attention = 1; /* work the program posted outside a run comes first */
    /* One test per event for everything after it (posted work, a stop, objects freed). */
    for (;;) {
        if (VIV__UNLIKELY(sim->attention)) {
            after_event(sim);
            if (sim->stop)
                break;
        }
        if (!dispatch_one(sim, limit))
            break;
    }
    sim->running = 0;
    if (sim->free_requested) {
        viv_sim_free(sim);
        return 0;
    }
    /* VIV_TIME_NEVER is no instant: running until it leaves the clock at the last event. */
    if (set_clock && !sim->stop && limit != VIV_TIME_NEVER)
        sim->now = limit;
    sim->stop = 0;
    return 0;
}

int viv_sim_step(viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    if (sim->running)
        return viv__err(sim, VIV_ESTATE, "viv_sim_step: called from a callback");
    sim->running = 1;
    /* Work the program posted outside a run (a notification) is a step of its own. */
    int r = 1;
    if (!sim->post_head)
        r = dispatch_one(sim, VIV_TIME_NEVER);
    after_event(sim);
    sim->attention = 0;
    sim->running = 0;
    if (sim->free_requested) {
        viv_sim_free(sim);
        return r;
    }
    sim->stop = 0;
    return r;
}

int viv_sim_run(viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    return run(sim, VIV_TIME_NEVER, false);
}

int viv_sim_run_until(viv_sim_t *sim, viv_time_t t)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    if (t < sim->now)
        return viv__err(sim, VIV_EINVAL, "viv_sim_run_until: time %llu ns is before now "
                                         "(%llu ns)",
                        (unsigned long long)t, (unsigned long long)sim->now);
    return run(sim, t, true);
}

int viv_sim_run_for(viv_sim_t *sim, viv_time_t d)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    /* Past the end of time, running for d is running until the end. */
    return run(sim, d > VIV_TIME_MAX - sim->now ? VIV_TIME_NEVER : sim->now + d, true);
}

void viv_sim_stop(viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (sim && sim->running) {
        sim->stop = 1;
        sim->attention = 1;
    }
}

/* ---- deadline timers ------------------------------------------------------------------- */

static void timer_push(viv_sim_t *sim, viv__timer *t, viv_time_t at)
{
    viv__event *e = &sim->ev[t->slot];
    e->time = at;
    e->seq = sim->own[e->owner].seq++;
    viv__sched_push(sim, &sim->q, sim->ev, t->slot);
    t->queued = VIV__TIMER_QUEUED;
}

void viv__timer_fire(viv_sim_t *sim, void *user)
{
    viv__timer *t = user;
    /* The dispatch gave the slot back as it does every event's; it is the free list's head
     * (nothing ran in between): the timer's again, for its whole life. */
    assert(sim->ev_free == t->slot);
    sim->ev_free = sim->ev[t->slot].next;
    sim->ev[t->slot].fn = viv__timer_fire;
    assert(t->queued == VIV__TIMER_QUEUED); /* an idle one leaves unseen (idle_leave) */
    t->queued = 0;
    if (t->deadline == VIV_TIME_NEVER)
        return;
    if (t->deadline > sim->now) { /* moved later since it was armed */
        timer_push(sim, t, t->deadline);
        return;
    }
    t->deadline = VIV_TIME_NEVER;
    t->fn(t);
}

int viv__timer_init(viv__timer *t, viv_sim_t *sim, uint32_t owner, void (*fn)(viv__timer *t))
{
    viv__timer_clear(t);
    uint32_t slot;
    if (ev_slot_get(sim, &slot) < 0)
        return viv__err(sim, VIV_ENOMEM, "out of memory for a timer's event");
    viv__event *e = &sim->ev[slot];
    e->gen++; /* ids naming the slot's earlier events go stale */
    e->owner = owner;
    e->fn = viv__timer_fire;
    e->user = t;
    t->sim = sim;
    t->fn = fn;
    t->slot = slot;
    return 0;
}

void viv__timer_fini(viv__timer *t)
{
    if (t->slot == VIV__QNIL)
        return;
    viv_sim_t *sim = t->sim;
    if (t->queued) {
        if (t->queued == VIV__TIMER_IDLE)
            viv__timer_wake(t);
        viv__sched_remove(sim, &sim->q, sim->ev, t->slot);
    }
    ev_slot_put(sim, t->slot);
    viv__timer_clear(t);
}

void viv__timer_set_slow(viv__timer *t, viv_time_t at)
{
    viv_sim_t *sim = t->sim;
    if (at < sim->now)
        at = sim->now;
    t->deadline = at;
    if (t->queued == VIV__TIMER_IDLE)
        viv__timer_wake(t); /* a timer's event again; then as any queued one */
    if (at == VIV_TIME_NEVER) {
        if (t->queued) { /* out of the queue: a stopped timer costs no event */
            viv__sched_remove(sim, &sim->q, sim->ev, t->slot);
            t->queued = 0;
        }
        return;
    }
    if (t->queued) {
        if (sim->ev[t->slot].time <= at)
            return; /* it fires first and re-arms itself at the deadline */
        viv__sched_remove(sim, &sim->q, sim->ev, t->slot);
    }
    timer_push(sim, t, at);
}

/* The least queued event that is not an idle timer's, left queued, or VIV__QNIL (nothing
 * queued, or only idle events). Idle events before it are taken out and chained on *aside
 * (through `next`), for put_back: they happen at no time, and none of them leaves the
 * queue for good (that is the run's to decide, as its clock passes them), so a query looks
 * past them and changes nothing. Usually none or one (a connection's delayed ACK). */
static uint32_t peek_past_idle(viv_sim_t *sim, uint32_t *aside)
{
    /* The idle events still queued: idle_pending counts those set aside too, which are out
     * of the queue's length until put_back. */
    size_t idle_queued = sim->idle_pending;
    for (;;) {
        uint32_t slot = viv__sched_peek(&sim->q, sim->ev);
        if (slot == VIV__QNIL || !ev_is_idle(&sim->ev[slot]))
            return slot;
        if (viv__sched_len(&sim->q) == idle_queued)
            return VIV__QNIL; /* nothing else: no need to look */
        slot = viv__sched_pop(sim, &sim->q, sim->ev, sim->ev[slot].time);
        sim->ev[slot].next = *aside;
        *aside = slot;
        idle_queued--;
    }
}

/* The idle events peek_past_idle took out, back in their places (same time, owner, seq). */
static void put_back(viv_sim_t *sim, uint32_t aside)
{
    while (aside != VIV__QNIL) {
        uint32_t slot = aside;
        aside = sim->ev[slot].next;
        viv__sched_push(sim, &sim->q, sim->ev, slot);
    }
}

viv_time_t viv_sim_next_time(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return VIV_TIME_NEVER;
    viv_sim_t *s = (viv_sim_t *)sim;
    if (s->posts)
        return s->now; /* a notification waits to be delivered */
    uint32_t aside = VIV__QNIL;
    viv_time_t next = VIV_TIME_NEVER;
    for (;;) {
        /* Peeking moves the calendar's current day forward to the least time: no queued
         * event is earlier, so nothing observable changes. */
        uint32_t slot = peek_past_idle(s, &aside);
        if (slot == VIV__QNIL)
            break;
        const viv__event *e = &s->ev[slot];
        /* An observer's event at the head is what would run next anyway (observers run
         * last at their instant): let it do its work now and look past it, so that the
         * time given is the next event's (the one viv_sim_step would run). Not inside a
         * callback at the current instant: events the callback has yet to schedule for now
         * come before it. */
        if (e->owner != VIV__OWNER_OBSERVER || (s->running && e->time == s->now)) {
            next = e->time;
            break;
        }
        slot = viv__sched_pop(s, &s->q, s->ev, e->time);
        dispatch_observer(s, slot);
    }
    put_back(s, aside);
    return next;
}

viv_time_t viv__sim_next_queued(viv_sim_t *sim, int *observer)
{
    uint32_t aside = VIV__QNIL;
    uint32_t slot = peek_past_idle(sim, &aside);
    viv_time_t next = VIV_TIME_NEVER;
    if (slot != VIV__QNIL) {
        *observer = sim->ev[slot].owner == VIV__OWNER_OBSERVER;
        next = sim->ev[slot].time;
    }
    put_back(sim, aside);
    return next;
}
