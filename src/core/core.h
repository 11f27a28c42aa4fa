/* Internal core of vivarium: the simulation structure, allocation, errors, fingerprint,
 * owned-object registry and frames. Never installed; every layer above includes it. */
#ifndef VIV_CORE_CORE_H
#define VIV_CORE_CORE_H

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/rng.h"
#include "vivarium/sim.h"

/* VIV__NOINLINE keeps a hot path's rare part out of it (link-time optimisation would
 * otherwise inline it, and the registers it needs cost the hot path a prologue). */
#if defined(__GNUC__)
#define VIV__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VIV__LIKELY(x) __builtin_expect(!!(x), 1)
#define VIV__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VIV__NOINLINE __attribute__((noinline))
/* Ask for the cache line holding p ahead of its use (a hint: no fault, no effect on the
 * run). For memory the next events will touch, in networks larger than the caches. */
#define VIV__PREFETCH(p) __builtin_prefetch(p)
/* Make the optimiser forget what it knows of integer x's value (no instruction): a
 * condition computed into x is then used as a number, for selects without a branch, rather
 * than turned back into jumps (which it does even to a plain `c ? a : b` when it has
 * branched on c nearby). For conditions no predictor learns. */
#define VIV__OPAQUE(x) __asm__ volatile("" : "+r"(x)) /* volatile: never merged */
/* Tell the optimiser a condition that always holds (checked by assert in debug builds). */
#define VIV__ASSUME(x)                                                                      \
    do {                                                                                   \
        assert(x);                                                                         \
        if (!(x))                                                                          \
            __builtin_unreachable();                                                       \
    } while (0)
#else
#define VIV__PREFETCH(p) ((void)(p))
#define VIV__OPAQUE(x) ((void)0)
#define VIV__PRINTF(a, b)
#define VIV__LIKELY(x) (x)
#define VIV__UNLIKELY(x) (x)
#define VIV__NOINLINE
#define VIV__ASSUME(x) assert(x)
#endif

/* After the macros above, which the queue's inline push uses. */
#include "map.h"
#include "sched.h"

#define VIV__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An object owned by a simulation and destroyed by viv_sim_free() when the program has not
 * freed it. Hosts, links, hubs, switches, sockets and captures embed one as their first
 * member. Objects are destroyed in the reverse of their registration order, so an object
 * never outlives one it was built on. */
typedef struct viv__obj {
    uint32_t magic; /* first: the handle's kind while it is live (VIV__MAGIC_*, see below) */
    struct viv__obj *prev, *next;
    void (*destroy)(struct viv__obj *obj);
    uint32_t tag; /* what the object is, for walks over the simulation (VIV__TAG_*) */
} viv__obj;

enum { VIV__TAG_NONE = 0, VIV__TAG_NODE = 1, VIV__TAG_LINK = 2 };

/* A frame: one contiguous buffer with headroom and a reference count. The bytes of the frame
 * are data[head .. head + len). A frame shared by several holders (a hub's flood) is
 * immutable, its head and len included: a holder that needs to push, pull or write first
 * takes viv__frame_writable(), which copies only when someone else still holds the frame.
 * The header and the buffer are one block, of the frame's size class (frame.c) or, above
 * 2 KiB, of its own size: a frame costs about its headroom plus its bytes, not a full-size
 * buffer. */
typedef struct viv__frame {
    uint32_t refs;
    uint32_t cap;  /* bytes of data[]: the block's size less this header */
    uint32_t head; /* offset of the first byte of the frame in data[] */
    uint32_t len;  /* bytes in the frame */
    /* Every checksum in the frame (the IPv4 header's and the transport's: UDP, TCP) is known
     * to be good: the bytes are exactly what the sending stack emitted and checksummed, or
     * what a router changed while updating the header checksum. A receiver may then skip
     * recomputing them. Anything that could change those bytes (corruption, a program's
     * device) yields a frame without the flag, which is verified like any other. */
    uint8_t csum_ok;
    uint8_t cls; /* the block's size class, VIV__FRAME_NCLASS if allocated to size */
    /* fp_digest holds the fingerprint's digest of the frame as it is (viv__frame_fp): taken
     * when it first goes on a wire, reused on every other wire it crosses (a flood's ports,
     * a switch's next hop). Whatever changes the bytes, head or len clears it: a new frame,
     * viv__frame_push, _pull, and _writable (which every holder that changes a frame calls
     * first: a frame on a wire is shared). Debug builds check the digest on every use. */
    uint8_t fp_ok;
    union {
        struct viv__frame *next_free; /* while free */
        uint64_t fp_digest;           /* while in use, if fp_ok */
    };
    uint8_t data[];
} viv__frame;

/* Size classes of frame blocks (header and buffer): 256 bytes, then two per power of two up
 * to 2 KiB (384, 512, 768, 1024, 1536, 2048), which hold every frame of a standard 1500-byte
 * link. A larger block (a jumbo link's frame) is allocated to its size. */
#define VIV__FRAME_NCLASS 7u
#define VIV__FRAME_MAX_CLASS 2048u
/* The largest block made at all (a device's raw frame is at most 128 KiB): a bigger request
 * is refused, so a bad size never asks the allocator for gigabytes. */
#define VIV__FRAME_MAX_TO_SIZE (1u << 20)
/* Each class keeps at most max(its reserve, its frames in use) free blocks and gives the rest
 * back to the allocator as frames are released. The reserve is VIV__FRAME_KEEP_BYTES of blocks:
 * 256 small blocks, 32 of 2 KiB. A load that stays within twice what is in
 * use (or within the reserve from idle) never allocates; after a burst drains, each class
 * shrinks to its reserve. Counts only: deterministic. */
#define VIV__FRAME_KEEP_BYTES 65536u
/* Headroom a frame built by a transport layer reserves for IPv4 and Ethernet headers. */
#define VIV__FRAME_HEADROOM 128u
/* The block of a frame built for a full 1500-byte IPv4 packet (headroom included): what a
 * full-size datagram holds, for bounds stated in such datagrams. */
#define VIV__FRAME_MTU_TRUESIZE 2048u

/* One size class of the frame pool. */
typedef struct viv__frame_class {
    viv__frame *free; /* free blocks, most recently released first */
    size_t nfree;     /* at most max(reserve, live) */
    size_t live;      /* frames of this class in use */
} viv__frame_class;

/* An event owner's state: how many events it has scheduled (its events' seq), and its own
 * fingerprint over the events it ran and the frames it put on a wire. */
typedef struct viv__ownst {
    uint64_t seq;
    uint64_t fp;
} viv__ownst;

/* The owner of events the program schedules itself (viv_sim_schedule_at and _after). */
#define VIV__OWNER_PROGRAM 0u
/* The owner of observers' events (a capture writing a frame when its transmission starts):
 * they run after everything else at their instant, and leave no trace in the run: they do
 * not move the clock, count as events, enter the fingerprint or count as pending. Their
 * event's fn is viv__quiet_fn (viv__schedule_observer), as an idle timer's is: the dispatch
 * tells both from real events by that one comparison. */
#define VIV__OWNER_OBSERVER UINT32_MAX

struct viv_trace_record;

struct viv_sim {
    uint32_t magic; /* first: VIV__MAGIC_SIM while live (handle checks, below) */
    viv_alloc_fn alloc;
    void *alloc_ud;
    uint64_t seed;
    viv_time_t now;

    /* Events: the event table (viv__event, in sched.h) and the queue over it. */
    viv__sched q;
    viv__event *ev; /* &ev_none until the first event: a table of the sentinel alone */
    uint32_t ev_len, ev_cap;
    uint32_t ev_free; /* head of the free-slot list, UINT32_MAX if empty */
    viv__event ev_none; /* the sentinel of an empty queue, before the table exists (a pop
                         * reads the sentinel's time without testing for a table first) */
    uint64_t dispatched;
    size_t obs_pending; /* queued observers' events (all queued: viv__sched_len(&q)) */
    size_t idle_pending; /* queued idle timers' events (viv__timer_idle) */
    int running;
    int stop;
    int free_requested; /* viv_sim_free was called from a callback */
    struct viv__zombie *zombies; /* objects freed during the current event, released after */
    int attention; /* something to do after the current event: a stop, zombies, posts */
    /* Work posted for the end of the current event (viv__post): a FIFO, and its length. */
    struct viv__post *post_head, **post_tail;
    size_t posts;

    /* Event owners (viv__owner_new), indexed by id: each one's event count and
     * fingerprint. Entries of freed owners stay: their history is part of the run. */
    viv__ownst *own; /* own_small until it outgrows it */
    uint32_t own_len, own_cap;
    uint64_t fp_seed; /* what the combined fingerprint starts from */
    uint64_t obs_seq; /* observers' events so far (their seq) */

    /* Stable keys: how often each name was given (hash -> count + 1), and the counters of
     * made-up names per kind. */
    viv__map names;
    struct {
        const char *kind;
        uint64_t n;
    } kinds[8];

    /* Owned objects, in registration order. */
    viv__obj objs;
    uint64_t next_obj_id;

    /* Frame pool: free blocks by size class (frame.c). */
    viv__frame_class frame_cls[VIV__FRAME_NCLASS];
    size_t frames_live; /* frames in use, of every class and allocated to size */
    size_t frame_big_bytes; /* bytes of the frames in use allocated to size */

    char errmsg[256];
    const char *errmsg_lit; /* the last failure's message when it was a constant, else NULL */
    viv__ownst own_small[16];

    /* The trace subscription (vivarium/trace.h), or NULL. */
    void (*trace_cb)(const struct viv_trace_record *rec, void *user);
    void *trace_ud;
    void *tcp_defaults; /* TCP's per-simulation tunables (src/l4/tcp.c), NULL until set */
};

/* ---- handle checks ----------------------------------------------------------------------
 * Use after free and double free of a handle fail with a clear message in debug builds.
 *
 * Every handle the library gives out starts with a 32-bit magic (its first member, or the
 * first member of the struct embedded first: viv__obj, struct viv_node, viv__sock,
 * viv__hostobj, struct viv_port, struct viv_sim): the kind's VIV__MAGIC_* value, set when the
 * object is made, and overwritten with VIV__MAGIC_DEAD when the program's handle goes (by a
 * viv_*_free, or with the object that owns it), before the memory is released. An object
 * freed during an event is released only after it (viv__zombie), but its handle is dead at
 * once. In debug builds viv__free also fills freed memory with VIV__POISON_BYTE, so a stale
 * handle fails the check even where the allocator has not reused the memory.
 *
 * VIV__HANDLE(ptr, KIND), the first statement of every public function taking a handle,
 * checks that ptr is NULL (the function then answers VIV_EINVAL as always) or a live handle
 * of KIND; anything else prints, for instance,
 *     vivarium: viv_udp_sendto: 0x55d0... is not a live UDP socket (freed, or not a socket)
 * to stderr and aborts. A new kind of handle gets a magic here, a name in alloc.c, the
 * magic set by its constructor and killed by its free, and VIV__HANDLE in its functions
 * (TCP sockets: viv__sock_init and viv__sock_let_go already do their part). Built with VIV_DEBUG_HANDLES=1 (CMake defines it in Debug builds:
 * the dev and sanitizer presets); in other builds the macro is nothing. Under
 * AddressSanitizer the check first asks ASan whether the magic's bytes are poisoned (freed
 * memory stays quarantined), so the check reads nothing ASan would report and gives the same
 * message. A handle whose memory was reused by a new object of the same kind passes: the
 * check catches stale handles, not every one. The simulation itself is live until it is
 * really freed (viv_sim_free from a callback defers that to the driver's return). */
#define VIV__MAGIC_DEAD 0x44454144u /* "DEAD" */
#define VIV__POISON_BYTE 0xdd
enum {
    VIV__MAGIC_SIM = 0x56495601u,     /* "VIV" + kind */
    VIV__MAGIC_HOST = 0x56495602u,    /* hosts and routers */
    VIV__MAGIC_HUB = 0x56495603u,
    VIV__MAGIC_SWITCH = 0x56495604u,
    VIV__MAGIC_DEVICE = 0x56495605u,
    VIV__MAGIC_PORT = 0x56495606u,
    VIV__MAGIC_LINK = 0x56495607u,
    VIV__MAGIC_UDP = 0x56495608u,
    VIV__MAGIC_TCP = 0x56495609u,
    VIV__MAGIC_HOSTOBJ = 0x5649560au, /* pings and traceroutes (viv__hostobj) */
    VIV__MAGIC_SUBNET = 0x5649560bu,
    VIV__MAGIC_CAPTURE = 0x5649560cu,
};
/* What a check asks for: a kind above, or NODE (any of host, hub, switch, device). */
typedef enum viv__hkind {
    VIV__HK_SIM, VIV__HK_HOST, VIV__HK_HUB, VIV__HK_SWITCH, VIV__HK_DEVICE, VIV__HK_NODE,
    VIV__HK_PORT, VIV__HK_LINK, VIV__HK_UDP, VIV__HK_TCP, VIV__HK_PING, VIV__HK_TRACEROUTE,
    VIV__HK_SUBNET, VIV__HK_CAPTURE,
} viv__hkind;
/* Return if p is NULL or a live handle of kind; else print the message and abort(). */
void viv__handle_check(const void *p, viv__hkind kind, const char *func);
#if defined(VIV_DEBUG_HANDLES) && VIV_DEBUG_HANDLES
#define VIV__HANDLE(ptr, KIND) viv__handle_check((ptr), VIV__HK_##KIND, __func__)
#else
#define VIV__HANDLE(ptr, KIND) ((void)0)
#endif

/* Allocation through the simulation's hook. viv__alloc returns NULL on failure. */
void *viv__alloc(viv_sim_t *sim, size_t size);
void *viv__zalloc(viv_sim_t *sim, size_t size);
void *viv__realloc(viv_sim_t *sim, void *ptr, size_t old_size, size_t new_size);
void viv__free(viv_sim_t *sim, void *ptr, size_t size);

/* Record a message and return err (a negative VIV_E* code). sim may be NULL. */
int viv__err(viv_sim_t *sim, int err, const char *fmt, ...) VIV__PRINTF(3, 4);

/* The same with a constant message, for failures on hot paths (a receive finding nothing,
 * which ends every drain loop): one store, no formatting. msg must be a string literal. */
static inline int viv__err_lit(viv_sim_t *sim, int err, const char *msg)
{
    if (sim)
        sim->errmsg_lit = msg;
    return err;
}

/* Argument check for public functions: on failure record "func: what" and return EINVAL. */
#define VIV__CHECK(sim, cond, what)                                                        \
    do {                                                                                   \
        if (VIV__UNLIKELY(!(cond)))                                                        \
            return viv__err((sim), VIV_EINVAL, "%s: %s", __func__, (what));               \
    } while (0)

/* Text output with snprintf semantics: appends while there is room, always counts the full
 * length, so a caller can size a buffer from a first call with cap 0. */
typedef struct viv__sb {
    char *buf; /* may be NULL when cap is 0 */
    size_t cap;
    size_t len; /* the full length, even past cap */
} viv__sb;
/* Start a builder. Like snprintf, a buffer with room holds a terminated string from the start,
 * so that text with nothing to print is "" rather than whatever the buffer held. */
static inline void viv__sb_init(viv__sb *sb, char *buf, size_t cap)
{
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    if (cap)
        buf[0] = '\0';
}
void viv__sb_printf(viv__sb *sb, const char *fmt, ...) VIV__PRINTF(2, 3);

/* Fingerprint mixing: fold a 64-bit word, or a byte string, into the run's fingerprint.
 *
 * One fold is h' = rotl((h ^ x) * K, 29) with K odd: three instructions. Each step is a
 * bijection of h for a given x and of x for a given h, so a run that differs from another
 * in exactly one folded word (a time, a sequence number, a frame's word) always ends with a
 * different value, wherever the word was; two or more differences collide only by chance
 * (about 2^-64). The multiplication carries every bit of h ^ x into the bits above it and
 * the rotation brings the well-mixed high bits down for the next step, so the order of the
 * words matters. Not a hash for tables: nothing is bucketed by it. */
static inline uint64_t viv__fp_fold(uint64_t h, uint64_t x)
{
    h = (h ^ x) * UINT64_C(0x9e3779b97f4a7c15);
    return (h << 29) | (h >> 35);
}
/* Fold x into owner's fingerprint. */
static inline void viv__fp_mix(viv_sim_t *sim, uint32_t owner, uint64_t x)
{
    sim->own[owner].fp = viv__fp_fold(sim->own[owner].fp, x);
}
/* Bytes of each frame on a wire that the fingerprint reads: every header (Ethernet, IPv4,
 * ICMP/UDP/TCP with options), whose checksums in turn cover the payload. */
#define VIV__FP_FRAME_BYTES 64u
/* The digest of n bytes (any n): what a frame's bytes contribute to the fingerprint. It
 * depends on the bytes only, not on the wire, so a frame is digested once however many wires
 * it crosses (viv__frame_fp), and each wire folds the digest into its own value. */
uint64_t viv__fp_digest(const uint8_t *p, size_t n);

/* Event owners. Every event belongs to one owner: a node, a link direction, or the program.
 * At one instant events run in (owner, the owner's own order), so the order never depends
 * on how different owners' pushes interleave (see sched.h). Ids count from 1 in creation
 * order; VIV_ENOMEM (with a message) if the table cannot grow. */
int viv__owner_new(viv_sim_t *sim, uint32_t *id_out);
/* Schedule fn(user) at `at` (now .. VIV_TIME_MAX) for owner. VIV_ENOMEM if no slot. */
int viv__schedule(viv_sim_t *sim, uint32_t owner, viv_event_id *id_out, viv_time_t at,
                  viv_event_fn fn, void *user);
/* Fill free slot `slot` (off the free list) with fn(user) at `at` as the event *seq of owner
 * (and count it) and name it in *id_out (if not NULL); viv__schedule_slot also queues it.
 * Inline for the transmit path (a link's arrival, the push of every frame on every wire),
 * whose owner is never an observer: it takes the free slot itself and calls this with no
 * test of the owner's kind. */
static inline void viv__schedule_fill(viv_sim_t *sim, uint32_t slot, uint32_t owner,
                                      uint64_t *seq, viv_event_id *id_out, viv_time_t at,
                                      viv_event_fn fn, void *user)
{
    viv__event *e = &sim->ev[slot];
    e->owner = owner;
    e->gen++; /* generations count from 1, so no id is ever 0 */
    e->fn = fn;
    e->user = user;
    e->time = at;
    e->seq = (*seq)++;
    if (id_out)
        *id_out = (uint64_t)e->gen << 32 | slot;
}
static inline void viv__schedule_slot(viv_sim_t *sim, uint32_t slot, uint32_t owner,
                                      uint64_t *seq, viv_event_id *id_out, viv_time_t at,
                                      viv_event_fn fn, void *user)
{
    viv__schedule_fill(sim, slot, owner, seq, id_out, at, fn, user);
    viv__sched_push(sim, &sim->q, sim->ev, slot);
}
/* Before one of a burst of schedulings (a flood's arrivals): the free slots are a chain
 * through the event table, and each one's line would be waited for in turn in a large
 * network; ask for the one after the next now. Only where bursts are known: in a steady run
 * the next free slot is the one just released, and the test would cost every event. */
static inline void viv__schedule_prefetch(const viv_sim_t *sim)
{
    uint32_t s = sim->ev_free;
    if (VIV__LIKELY(s != UINT32_MAX)) {
        uint32_t n = sim->ev[s].next;
        if (VIV__LIKELY(n != UINT32_MAX))
            VIV__PREFETCH(&sim->ev[n]);
    }
}
/* The function of every quiet event's slot: observers' (their own function is in their
 * viv__observer) and idle timers' (viv__timer_idle). Never called: the dispatch compares
 * an event's function with it, a test it makes anyway, and takes such events out of line. */
void viv__quiet_fn(viv_sim_t *sim, void *user);
/* An observer: what its event calls, fn(sim, the observer), embedded in the caller's record
 * (which it may free from fn). */
typedef struct viv__observer {
    void (*fn)(viv_sim_t *sim, struct viv__observer *obs);
} viv__observer;
/* An observer's event (VIV__OWNER_OBSERVER) at `at`: obs->fn must not change the
 * simulation, only record what it sees. Cancel it with viv_sim_cancel. */
int viv__schedule_observer(viv_sim_t *sim, viv_event_id *id_out, viv_time_t at,
                           viv__observer *obs);
/* The time of the next queued event that is not an idle timer's (viv__timer_idle), and in
 * *observer whether it is an observer's; VIV_TIME_NEVER if none. Changes nothing (the
 * testing kit's runner, which stops at observers' instants). */
viv_time_t viv__sim_next_queued(viv_sim_t *sim, int *observer);
/* The same, `delay` from now: VIV_ERANGE (with a message) past VIV_TIME_MAX. */
int viv__schedule_after(viv_sim_t *sim, uint32_t owner, viv_event_id *id_out,
                        viv_time_t delay, viv_event_fn fn, void *user);

/* Freeing an object, even from inside its own callback. An object freed while a driver is
 * running (from a callback: an event, a socket's, a ping's, an intercept) is detached at
 * once (out of every table, its timers stopped, unplugged) and marked dead, but its memory
 * is released only after the current event returns: code further up the stack that still
 * holds it (the object's own event handler, which called the callback) sees `dead` and
 * returns, and never touches freed memory. Freed outside a driver, it is released at once.
 * One mechanism for every kind of object (sockets, pings, traceroutes, links). */
typedef struct viv__zombie {
    struct viv__zombie *next;
    void (*release)(struct viv__zombie *z);
} viv__zombie;
/* Release z with release(z) now, or after the current event if a driver is running. */
void viv__release_later(viv_sim_t *sim, viv__zombie *z, void (*release)(viv__zombie *z));

/* Work for the end of the current event, at the same instant, before any other event: a
 * socket's notification (its callback is never called from inside the code that raised
 * it, and costs no event of its own). Posted work runs in the order posted, after the
 * event's code has returned to the driver and before the objects it freed are released;
 * work posted by the program outside a run runs when the next run or step starts. Work
 * posted while posted work runs joins the end of the queue. A node is posted at most once
 * at a time (posting it again does nothing) and is taken back out by viv__post_cancel, which
 * its object calls before its memory goes. Posting never fails and allocates nothing. */
typedef struct viv__post {
    struct viv__post *next;
    struct viv__post **pprev; /* NULL while not posted */
    void (*fn)(struct viv__post *p);
} viv__post;
static inline void viv__post_init(viv__post *p, void (*fn)(viv__post *p))
{
    p->next = NULL;
    p->pprev = NULL;
    p->fn = fn;
}
static inline void viv__post_add(viv_sim_t *sim, viv__post *p)
{
    if (p->pprev)
        return;
    p->next = NULL;
    p->pprev = sim->post_tail;
    *sim->post_tail = p;
    sim->post_tail = &p->next;
    sim->posts++;
    sim->attention = 1;
}
static inline void viv__post_cancel(viv_sim_t *sim, viv__post *p)
{
    if (!p->pprev)
        return;
    *p->pprev = p->next;
    if (p->next)
        p->next->pprev = p->pprev;
    else
        sim->post_tail = p->pprev;
    p->pprev = NULL;
    p->next = NULL;
    sim->posts--;
}

/* Owned objects. Registration cannot fail. Unregistering does not call destroy. */
void viv__obj_register(viv_sim_t *sim, viv__obj *obj, void (*destroy)(viv__obj *));
void viv__obj_unregister(viv_sim_t *sim, viv__obj *obj);
/* A number unique within the simulation, counting from 1 in creation order: stable ids for
 * random streams, MAC addresses and names. */
uint64_t viv__next_id(viv_sim_t *sim);

/* Tracing (vivarium/trace.h). Callers test viv__tracing() first: with nobody subscribed,
 * that test is the whole cost. node and link are the public handles (viv_node_t *,
 * viv_link_t *); dir a viv_link_dir, reason a viv_drop_reason. */
static inline bool viv__tracing(const viv_sim_t *sim) { return sim->trace_cb != NULL; }
void viv__trace_init(struct viv_trace_record *r, int kind);
void viv__trace_emit(viv_sim_t *sim, struct viv_trace_record *r);
void viv__trace_frame(viv_sim_t *sim, int kind, const void *node, uint32_t port,
                      const void *link, int dir, int reason, const uint8_t *bytes,
                      uint32_t len);

/* Time arithmetic that only moves forward: a + b, saturating at VIV_TIME_MAX. */
static inline viv_time_t viv__time_add(viv_time_t a, viv_time_t b)
{
    /* The sum past VIV_TIME_MAX is either VIV_TIME_NEVER (the one value above it) or
     * wrapped below a: the same result as testing a and b first, in an add, a compare and
     * a conditional move (the transmit path takes two per frame on every wire). */
    viv_time_t s = a + b;
    return s < a || s == VIV_TIME_NEVER ? VIV_TIME_MAX : s;
}

/* A deadline timer: the one timer of an object whose deadline moves often (a retransmission
 * timer re-armed on every ACK, a socket's notification, an ARP entry's retry), in the spirit
 * of smoltcp's poll_at.
 *
 * The deadline lives in the timer; the timer owns one slot of the event table for its whole
 * life, so arming it never allocates and never fails: an object that holds a timer learns
 * of a shortage once, when it is made (viv__timer_init), never while it runs. A deadline
 * that moves later costs nothing: the armed event runs at the old time, sees the deadline
 * ahead and re-arms itself there. A deadline that moves earlier takes the event out of the
 * queue and puts it back at the new time. So the queue holds at most one entry per timer,
 * however often it is re-armed.
 *
 * fn runs from an event when the clock reaches the deadline; the timer is then stopped (fn
 * may set it again, or fini it).
 *
 * An owner that keeps deadlines of its own (TCP's six) may leave the event queued when its
 * last deadline stops, so that the next deadline, if it comes at or after the event's time,
 * is again a store: viv__timer_idle. The event is then idle: it leaves no trace (see
 * VIV__OWNER_OBSERVER, viv__quiet_fn), runs nothing, and does not keep viv_sim_run going. */
typedef struct viv__timer {
    viv_sim_t *sim;
    viv_time_t deadline; /* VIV_TIME_NEVER: stopped */
    void (*fn)(struct viv__timer *t);
    uint32_t slot;  /* the timer's event slot, VIV__QNIL before init / after fini */
    uint32_t queued; /* 0, or VIV__TIMER_QUEUED / _IDLE: the slot is in the queue at
                      * ev[slot].time (test it for nonzero: queued, idle or not) */
} viv__timer;
#define VIV__TIMER_QUEUED 1u
#define VIV__TIMER_IDLE 2u /* queued with nothing due (viv__timer_idle) */

/* Take an event slot for t (stopped), whose events belong to owner. VIV_ENOMEM with a
 * message if none can be had. */
int viv__timer_init(viv__timer *t, viv_sim_t *sim, uint32_t owner, void (*fn)(viv__timer *t));
/* Stop t and give its slot back. Harmless on a timer never initialised (zeroed, slot set to
 * VIV__QNIL by viv__timer_clear) or already finished. */
void viv__timer_fini(viv__timer *t);
/* A timer that holds nothing yet: viv__timer_fini may be called on it. */
static inline void viv__timer_clear(viv__timer *t)
{
    t->sim = NULL;
    t->deadline = VIV_TIME_NEVER;
    t->fn = NULL;
    t->slot = VIV__QNIL;
    t->queued = 0;
}
void viv__timer_set_slow(viv__timer *t, viv_time_t at);
/* The function of a timer's event while it is not idle (sim.c). */
void viv__timer_fire(viv_sim_t *sim, void *user);
/* An idle timer's event becomes the timer's again, in its place. */
static inline void viv__timer_wake(viv__timer *t)
{
    t->sim->ev[t->slot].fn = viv__timer_fire;
    t->sim->idle_pending--;
    t->queued = VIV__TIMER_QUEUED;
}
/* Fire at `at` (not before now: an earlier time means now; VIV_TIME_NEVER stops it). If the
 * timer is already set, the new deadline replaces the old. Never fails. A deadline at or
 * after the queued event's time (a retransmission timeout pushed back by an ACK) is a store
 * and a few tests, inline: the event fires first and re-arms itself. */
static inline void viv__timer_set(viv__timer *t, viv_time_t at)
{
    /* A queued event is never in the past, so such an `at` needs no clamping to now. An
     * idle timer's event becomes a timer's again, where it is. */
    if (t->queued && at != VIV_TIME_NEVER && t->sim->ev[t->slot].time <= at) {
        if (VIV__UNLIKELY(t->queued == VIV__TIMER_IDLE))
            viv__timer_wake(t);
        t->deadline = at;
        return;
    }
    viv__timer_set_slow(t, at);
}
/* Fire at the earlier of its current deadline and `at`. */
static inline void viv__timer_set_min(viv__timer *t, viv_time_t at)
{
    if (at < t->deadline)
        viv__timer_set(t, at);
}
static inline void viv__timer_stop(viv__timer *t) { viv__timer_set(t, VIV_TIME_NEVER); }
/* Nothing is due: the timer stops (as viv__timer_stop), but a queued event stays where it
 * is, idle, so that setting the timer again at or after the event's time is a store, as a
 * deadline moved later is. An idle event leaves no trace in the run: it does not move the
 * clock, count in viv_sim_events() or viv_sim_pending(), enter the fingerprint or call fn,
 * and a run with nothing but idle (and observers') events left ends (viv_sim_run, _step)
 * with the clock at the last event that ran. It stays queued until the clock passes its time
 * (a later event runs, or run_until/_for end past it), then leaves the queue unseen; any
 * viv__timer_set with a deadline makes it a timer's event again (a store at or after its
 * time, a move before), viv__timer_stop and viv__timer_fini take it out. For owners that keep
 * their own deadlines and stop the last one often (TCP's delayed ACK): a stop that takes the
 * event out costs a removal, and the next start a push. */
static inline void viv__timer_idle(viv__timer *t)
{
    t->deadline = VIV_TIME_NEVER;
    if (t->queued != VIV__TIMER_QUEUED)
        return; /* not queued, or idle already */
    /* Only the function changes: the event keeps its place in the queue. */
    t->sim->ev[t->slot].fn = viv__quiet_fn;
    t->sim->idle_pending++;
    t->queued = VIV__TIMER_IDLE;
}
static inline bool viv__timer_running(const viv__timer *t) { return t->deadline != VIV_TIME_NEVER; }

/* Stable keys. A component's random streams come from its key, and its key from its name
 * (a node's; a link's from its two ends): never from creation order across kinds, so that
 * adding a component does not change the draws of the others (rng.h). The k-th component
 * given a name already taken gets the name's key mixed with k. VIV_ENOMEM if the table of
 * names cannot grow. */
int viv__name_key(viv_sim_t *sim, const char *name, uint64_t *key_out);
/* The next number of a kind of component ("host", "sw"...), from 1: made-up names count
 * within their kind. kind must be a string constant. */
uint64_t viv__kind_next(viv_sim_t *sim, const char *kind);
/* Mix words into a key (a link's from its ends' keys and ports). */
static inline uint64_t viv__key_mix(uint64_t h, uint64_t x)
{
    h ^= x + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
    return h;
}

/* Random stream for a library component: kind (a small constant), its stable key, and the
 * consumer within it (sub), so that one consumer's draws never shift another's. */
enum {
    VIV__RNG_LINK = 1,
    VIV__RNG_HOST = 2,
    VIV__RNG_SWITCH = 3,
    VIV__RNG_DEVICE = 4,
};
/* Consumers within a host. */
enum {
    VIV__RNG_SUB_IP = 0,        /* IPv4 identification and ICMP echo identifiers */
    VIV__RNG_SUB_UDP_PORTS = 1, /* ephemeral UDP ports */
    VIV__RNG_SUB_TCP_PORTS = 2, /* ephemeral TCP ports */
    VIV__RNG_SUB_TCP_ISN = 3,   /* TCP initial sequence numbers */
    VIV__RNG_SUB_ARP = 4,       /* ARP timing */
};
void viv__rng_component(viv_rng_t *out, const viv_sim_t *sim, uint32_t kind, uint64_t key,
                        uint32_t sub);

/* Frames. The common cases (a block of a class from a non-empty free list; a release that
 * keeps the block) are inline; the rest is in frame.c. */
extern const uint8_t viv__frame_small_class[16];
extern const uint32_t viv__frame_class_block[VIV__FRAME_NCLASS];
extern const uint32_t viv__frame_class_keep[VIV__FRAME_NCLASS];
viv__frame *viv__frame_new_slow(viv_sim_t *sim, uint32_t headroom, uint32_t len);
void viv__frame_release_slow(viv_sim_t *sim, viv__frame *f);
/* A frame of len bytes after headroom bytes of headroom, one reference, csum_ok clear; its
 * bytes are not initialised. NULL when memory runs out or the size overflows. */
static inline viv__frame *viv__frame_new(viv_sim_t *sim, uint32_t headroom, uint32_t len)
{
    uint64_t block = (uint64_t)sizeof(viv__frame) + headroom + len;
    if (VIV__LIKELY(block <= VIV__FRAME_MAX_CLASS)) {
        uint32_t cls = viv__frame_small_class[(block - 1u) >> 7];
        viv__frame_class *c = &sim->frame_cls[cls];
        viv__frame *f = c->free;
        if (VIV__LIKELY(f != NULL)) {
            c->free = f->next_free;
            c->nfree--;
            c->live++;
            sim->frames_live++;
            f->refs = 1;
            f->cap = viv__frame_class_block[cls] - (uint32_t)sizeof(viv__frame);
            f->head = headroom;
            f->len = len;
            f->csum_ok = 0;
            f->cls = (uint8_t)cls;
            f->fp_ok = 0;
            return f;
        }
    }
    return viv__frame_new_slow(sim, headroom, len);
}
viv__frame *viv__frame_from(viv_sim_t *sim, uint32_t headroom, const uint8_t *bytes,
                            uint32_t len);
static inline uint8_t *viv__frame_bytes(viv__frame *f) { return f->data + f->head; }
/* The memory a frame holds, whatever its length: its whole buffer and header. */
static inline size_t viv__frame_truesize(const viv__frame *f) { return sizeof(*f) + f->cap; }
static inline viv__frame *viv__frame_ref(viv__frame *f)
{
    f->refs++;
    return f;
}
/* Drop one reference; the last returns the block to its class's free list (or to the
 * allocator, when the list is at its bound). NULL is ignored. */
static inline void viv__frame_unref(viv_sim_t *sim, viv__frame *f)
{
    if (!f || --f->refs > 0)
        return;
    uint32_t cls = f->cls;
    if (VIV__LIKELY(cls < VIV__FRAME_NCLASS)) {
        viv__frame_class *c = &sim->frame_cls[cls];
        /* Kept when the list stays within max(reserve, frames in use) after the release. */
        if (VIV__LIKELY(c->nfree < viv__frame_class_keep[cls] || c->nfree + 1u < c->live)) {
            f->next_free = c->free;
            c->free = f;
            c->nfree++;
            c->live--;
            sim->frames_live--;
            return;
        }
    }
    viv__frame_release_slow(sim, f);
}
/* The fingerprint's digest of a frame: its length and its first VIV__FP_FRAME_BYTES bytes
 * (viv__fp_digest), taken once and kept in the frame while its bytes stay as they are. */
uint64_t viv__frame_fp_fill(viv__frame *f);
#if !defined(NDEBUG)
void viv__frame_fp_check(const viv__frame *f);
#endif
/* The digest of a frame known to have one (fp_ok). */
static inline uint64_t viv__frame_fp_kept(const viv__frame *f)
{
#if !defined(NDEBUG)
    viv__frame_fp_check(f); /* a stale digest: something changed the frame unseen */
#endif
    return f->fp_digest;
}
static inline uint64_t viv__frame_fp(viv__frame *f)
{
    return VIV__LIKELY(f->fp_ok) ? viv__frame_fp_kept(f) : viv__frame_fp_fill(f);
}
/* Grow the frame at the front by n bytes (n <= head) and return the new first byte. */
uint8_t *viv__frame_push(viv__frame *f, uint32_t n);
/* Remove n bytes from the front (n <= len) and return the new first byte. */
uint8_t *viv__frame_pull(viv__frame *f, uint32_t n);
/* The frame itself if this is its only holder, else a private copy (the caller's reference
 * to f moves to the copy). NULL on allocation failure (f is then unreferenced). */
viv__frame *viv__frame_writable(viv_sim_t *sim, viv__frame *f);
/* The size class of a block of `block` bytes (header included), VIV__FRAME_NCLASS if it is
 * larger than every class; and the bytes of a class's blocks. */
uint32_t viv__frame_class_of(uint32_t block);
uint32_t viv__frame_class_size(uint32_t cls);
/* What the frame pool holds: frames in use and free blocks kept, and their bytes (header and
 * buffer, as asked of the allocator), in all and by class (frames allocated to size count in
 * the totals only). For tests and benchmarks. */
typedef struct viv__frame_pool_stats {
    size_t live, free;
    size_t bytes_live, bytes_free;
    size_t bytes; /* bytes_live + bytes_free */
    size_t cls_live[VIV__FRAME_NCLASS], cls_free[VIV__FRAME_NCLASS];
} viv__frame_pool_stats;
void viv__frame_pool_stats_get(viv__frame_pool_stats *out, const viv_sim_t *sim);

#endif
