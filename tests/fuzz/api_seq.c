/* The API-sequence fuzzer's interpreter (see api_seq.h for what it checks).
 *
 * Input format. Byte 0: if odd, the next 8 bytes are the simulation seed, else the seed is
 * byte 0 / 2. Then ops, one after another, until the input ends: one byte picks the op (its
 * value modulo the number of ops), and the op reads its own arguments from the bytes that
 * follow. A read past the end gives 0, so every input is valid. Objects live in small tables
 * of handles: an op names a table slot with one byte (the first occupied slot from there);
 * freeing an object clears its slot, and the slots of everything freed with it (a host's
 * sockets, pings and traceroutes, the links plugged into a node), so the interpreter never
 * hands a freed handle to the library.
 *
 * The interpreter reads input at most once per expression (a second read goes into its own
 * declaration or statement): C leaves the order of operands and arguments unspecified, and
 * gcc and clang differ, so `f(u8(r), u8(r))` would be two programs. Changing what an op
 * reads, or the op table, changes what every stored input means: after such a change, check
 * that regress/api/ still reproduces each finding on the tree it was found on.
 *
 * Callbacks. Objects with a callback (UDP sockets, pings, traceroutes, link intercepts,
 * devices, scheduled events) are given a script when they are made: the next few input
 * bytes, which the op skips over. Each time the callback runs, the script runs as ops, so
 * callbacks create, free (themselves included), send, cut links and schedule, as programs
 * do. Driver calls inside a callback must fail with VIV_ESTATE.
 *
 * Bounds. A run dispatches at most VIV_APIFUZZ_EVENT_BUDGET events: every callback of ours
 * checks the count and calls viv_sim_stop() when the budget (or a per-call budget of a
 * viv_sim_run op) is spent; after that, driver ops are skipped, and callbacks neither run
 * their scripts nor send on their own (the testing kit's drivers, which step, do not heed
 * viv_sim_stop; their deadlines are short). Where the library can go on with no callback of
 * ours to hear of it, a driver call (not a step) carries a tick: an event of ours that makes
 * the same check and nothing else, and comes again while anything else is pending. Ticks
 * are program events like any other, in both runs: counted in the budget and the
 * fingerprint, seen by viv_sim_pending and viv_sim_next_time inside the call, cancelled when
 * it returns (a viv_sim_run whose last event falls between two ticks ends at the tick).
 *   - Storms. A layer-2 loop of hubs and switches, or a link that duplicates frames, can make
 *     a storm of frames: while one is possible (`risky`), the tick comes every microsecond.
 *   - TCP. Connections keep timers that raise no socket event: keepalive probes (after 7200 s
 *     by default) and their ACKs, zero-window probes, retransmissions until the retry budget
 *     or the user timeout, TIME-WAIT, an orphan's FIN-WAIT-2, a listener's half-open
 *     connections; and a socket the program closed lives on in the library with no record of
 *     ours. So once a TCP socket has been made, every driver call carries the TCP tick, 1 ms
 *     after the call starts and then at intervals that double (the k-th tick 2^k - 1 ms in).
 *     A call that spans a simulated time T costs about log2(T / 1 ms) ticks (23 to reach a
 *     default keepalive, 45 for the whole of time), so TCP keeps its budget and its long
 *     timers stay within reach; and a call whose budget runs out at T after its start is
 *     stopped before 2T + 1 ms: TCP that goes on unheard at a steady pace overruns the budget
 *     by about as many events again, at most. A 1 us tick would end every TCP transfer after
 *     8 ms of simulated time; a fixed 1 s tick would spend 7200 events to reach a keepalive.
 *     What the doubling does not cut short is a burst after a long quiet span (a connection
 *     retransmitting every nanosecond after an hour): TCP's own limits end those (a retry
 *     budget of at most 65536 here, the user timeout).
 *   At the last instant (VIV_TIME_MAX) a tick can only come at that same instant, where the
 *   program's events run before the library's (events at one instant run in (owner, seq)
 *   order): it comes again at once until the budget is spent, and what the library had due
 *   then waits. The bound holds, and must: deadlines past the end of time fall due at that
 *   instant, and a keepalive timer there expires and restarts for ever (regress/api/t-...).
 *   What the library would have done there is not run.
 * Options that would let the library schedule events without end on its own (a ping of 65535
 * requests without callback, ARP attempts without limit) are kept small. */
#define _POSIX_C_SOURCE 200809L
#include "api_seq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vivarium.h>

/* ---- switches for known defects -------------------------------------------------------------
 * Each one makes the interpreter avoid one construct that triggers a known defect of the
 * library, so that fuzzing can get past a defect that would otherwise end every run. 1 avoids
 * the construct; 0 (the default once the defect is fixed) exercises it, and the reproducers
 * in regress/api/ then check the fix. Override with -DVIV_APIFUZZ_AVOID_X=1 to fuzz a tree
 * that still has the defect. The letters are those of the report that listed them.
 *
 * Fixed, off by default ((a) to (f) in 3d0bbdc; (i) in work not yet committed then): */

/* (a) Bringing the clock to VIV_TIME_NEVER (run_until(VIV_TIME_NEVER), run_for to it, an
 * event at it): from there schedule_after wrapped around and the clock went backwards. */
#ifndef VIV_APIFUZZ_AVOID_TIME_NEVER
#define VIV_APIFUZZ_AVOID_TIME_NEVER 0
#endif
/* (b) NULL as the out pointer of constructors (viv_router_new stored through it). */
#ifndef VIV_APIFUZZ_AVOID_NULL_OUT
#define VIV_APIFUZZ_AVOID_NULL_OUT 0
#endif
/* (c) Link MTUs above UINT32_MAX - 14 (mtu + 14 wrapped: every frame was dropped). */
#ifndef VIV_APIFUZZ_AVOID_LINK_MTU_MAX
#define VIV_APIFUZZ_AVOID_LINK_MTU_MAX 0
#endif
/* (d) The check that a host's ARP cache stays within its limit (it grew with every
 * neighbour that ever sent a request). */
#ifndef VIV_APIFUZZ_AVOID_ARP_GROWTH
#define VIV_APIFUZZ_AVOID_ARP_GROWTH 0
#endif
/* (e) The NUL check of text printers on empty text (they left the buffer untouched). */
#ifndef VIV_APIFUZZ_AVOID_EMPTY_TEXT
#define VIV_APIFUZZ_AVOID_EMPTY_TEXT 0
#endif
/* (f) viv_sim_compute_routes(): when it computed no route at all (no hosts, or none that
 * needed one) it did pointer arithmetic on NULL in compute.c (UBSan). */
#ifndef VIV_APIFUZZ_AVOID_COMPUTE_EMPTY
#define VIV_APIFUZZ_AVOID_COMPUTE_EMPTY 0
#endif

/* (i) Reading a trace record's link (viv_link_stats, which trace.h allows) when the record
 * is a drop emitted while that link is being freed: the handle checks then being written
 * (viv__handle_check) aborted, "not a live link" (found and fixed before their commit). */
#ifndef VIV_APIFUZZ_AVOID_TRACE_LINK_READ
#define VIV_APIFUZZ_AVOID_TRACE_LINK_READ 0
#endif

/* Fixed, off by default (define to 1 to run an older tree): */

/* (l) viv_tcp_info_get left `cc` NULL (and ssthresh, in_flight, the SACK and timestamp
 * fields zero) though tcp.h documents the algorithm's name there; fixed by issue 18's TCP
 * (tests/fuzz/test_tcp_fuzz.c keeps the reproducer). */
#ifndef VIV_APIFUZZ_AVOID_TCP_INFO_CC
#define VIV_APIFUZZ_AVOID_TCP_INFO_CC 0
#endif

/* (g) Cancelling an id whose event already ran or was cancelled: once its slot belongs to
 * one of the deadline timers, viv_sim_cancel returns VIV_EINVAL ("never issued") where
 * sim.h promises 0 (regress/api/g-cancel-stale-id-einval). */
#ifndef VIV_APIFUZZ_AVOID_STALE_CANCEL
#define VIV_APIFUZZ_AVOID_STALE_CANCEL 0
#endif
/* (j) Comparing viv_sim_next_time with the event viv_sim_step runs once a capture or a
 * recorder watches a link: next_time gives the time of the observer's event for a queued
 * frame, which step skips (observers leave no trace), running a later event
 * (regress/api/j-next-time-counts-observer-events). */
#ifndef VIV_APIFUZZ_AVOID_NEXT_TIME_OBSERVERS
#define VIV_APIFUZZ_AVOID_NEXT_TIME_OBSERVERS 0
#endif

/* (q) viv_run_until (testing.h) returned 0, "the deadline passed", with the clock short of
 * its deadline. With no event due by the deadline, the socket callbacks the program raised
 * outside a run were called inside the kit's closing viv_sim_run_until, where a callback's
 * viv_sim_stop ended it before the clock was set (src/testing/expect.c, viv__kit_run); with
 * an event due they were called in a step, which ignores the stop
 * (regress/api/q-kit-run-until-stopped-short). Fixed: the kit steps them too. Avoided by not
 * checking the clock when a callback of ours called viv_sim_stop during the call. */
#ifndef VIV_APIFUZZ_AVOID_KIT_RUN_STOP
#define VIV_APIFUZZ_AVOID_KIT_RUN_STOP 0
#endif
/* (r) viv_tcp_connect returned VIV_EADDRNOTAVAIL, which tcp.h did not list, when the route to
 * the peer leaves by an interface with no address (viv__ip_route's code, src/l3/ipv4.c,
 * passed on by src/l4/tcp.c) (regress/api/r-tcp-connect-no-source-address). Fixed: tcp.h
 * lists it, as udp.h does for viv_udp_connect. Avoided by taking that code. */
#ifndef VIV_APIFUZZ_AVOID_CONNECT_NO_SOURCE
#define VIV_APIFUZZ_AVOID_CONNECT_NO_SOURCE 0
#endif

/* The API of the hardening commit (3d0bbdc: viv_sim_trace, viv_sim_next_time,
 * viv_device_send_raw, ARP cache options, link corruption range...), detected by one of its
 * macros. Without it the ops that use it read the same bytes and call the older API, so that
 * one input means the same program against older trees (to reproduce findings there). */
#if defined(VIV_DEVICE_RAW_MAX) && defined(VIV_TIME_MAX) && defined(VIV_LINK_MTU_MAX)
#define API2 1
#else
#define API2 0
#endif
/* The frame builders (wire.h) and the testing kit (testing.h), 72da505 and 3c2a7c4. */
#if API2 && defined(VIVARIUM_WIRE_H) && defined(VIVARIUM_TESTING_H)
#define API3 1
#else
#define API3 0
#endif

int viv_apifuzz_abort_on_failure;
int viv_apifuzz_verbose;

/* ---- limits ---------------------------------------------------------------------------------- */

#define MEM_CAP ((size_t)64 << 20) /* the allocator refuses to go past this */
#define TOP_OPS_MAX 400u           /* ops at top level */
#define SCRIPT_OPS_MAX 12000u      /* ops run by callbacks, in all */
#define NREC 400                   /* objects one run may create */
#define NEVREC 64                  /* scheduled-event records */
/* The ticks (see Bounds): the storm tick's period, and the TCP tick's first period in a
 * driver call (it doubles at every tick). */
#define TICK_NS VIV_US(1)
#define TCP_TICK_NS VIV_MS(1)
#define BYTE_BUDGET ((uint64_t)4 << 20) /* payload bytes the program may ask to send */
#define ARP_LIMIT 4096 /* more entries than this in one host's ARP cache: unbounded growth */
#define TRAIL 512      /* observation hashes kept per top-level op, to locate a difference */

/* Recorders and expectation lists come after the others: op_free picks among the kinds
 * before them. TCP sockets and processes were added last, so that op_free and the slot
 * tables decode older inputs as before (op_tcp and op_proc free them). */
enum kind {
    K_HOST,
    K_HUB,
    K_SW,
    K_DEV,
    K_LINK,
    K_SUB,
    K_UDP,
    K_PING,
    K_TR,
    K_PCAP,
    K_REC,
    K_EXP,
    K_TCP,
    K_PROC,
    NKIND
};
static const uint8_t slot_cap[NKIND] = {6, 3, 3, 3, 12, 4, 12, 6, 3, 2, 2, 2, 12, 4};
#define MAXSLOT 12

typedef struct script {
    const uint8_t *p;
    uint32_t n;
} script;

struct actx;

/* Every object a run creates. Records are never reused, so a callback's user pointer stays
 * valid, and a callback for a freed object is caught. */
typedef struct rec {
    struct actx *c;
    void *h; /* the handle (NULL once freed, or until a ping/traceroute's first callback) */
    uint8_t kind, freed, mode, done, dup;
    int8_t slot;
    int16_t host;        /* sockets, pings, traceroutes: their host's record */
    int16_t end[2];      /* links: the records of the nodes at A and B (-1: not ours) */
    uint32_t nports;     /* devices */
    uint32_t ncb;        /* callbacks received */
    uint32_t min_mtu[2]; /* links: the smallest MTU each direction has had */
    uint8_t verdict[4];  /* links: the intercept's verdicts, in turn */
    uint32_t arp_max;    /* hosts: the ARP cache's limit (0: the default) */
    int16_t proc;        /* sockets: the record of the process that owns them (-1: none) */
    uint32_t snap;       /* recorders: the snapshot length (bytes kept of each frame) */
    uint8_t dead;        /* TCP sockets: their host was switched off (no callback may come);
                            processes: ended */
    uint8_t source;      /* TCP sockets: they send from a source (viv_tcp_send_source), so
                            viv_tcp_send refuses them (VIV_EINVAL) */
    viv_time_t delay;    /* links: the intercept's delay */
    script sc;           /* what its callback runs */
} rec;

typedef struct evrec {
    struct actx *c;
    viv_event_id id, stale;
    viv_time_t at, period;
    uint16_t repeat;
    uint8_t pending, has_id;
    script sc;
} evrec;

typedef struct acount {
    struct actx *c;
    size_t live, blocks, peak;
    uint64_t refused;
} acount;

typedef struct actx {
    viv_sim_t *sim;
    int gone;  /* the program freed the simulation (from a callback) */
    int dying; /* viv_sim_free was called in the current driver call */
    acount al;
    viv_sim_t *fsim; /* a second simulation, whose port must be refused */
    viv_hub_t *fhub;
    acount fal;
    rec recs[NREC];
    int nrec;
    int16_t slots[NKIND][MAXSLOT];
    evrec ev[NEVREC];
    int nev;
    viv_time_t last_now;
    uint64_t last_events, last_fp;
    int in_driver, depth, self;
    uint64_t drv_start, drv_budget;
    int budget_hit;
    uint64_t bytes; /* payload bytes asked for so far (sends, pings, captures) */
    uint64_t ops, script_ops, calls, cbs, failed_calls;
    viv_event_id tick_id;
    int tick_armed, risky; /* risky: a storm no callback of ours would see is possible */
    int tick_tcp;          /* the tick armed is the TCP tick (not the storm tick) */
    viv_time_t tick_at;    /* when the tick armed is due */
    int tcp_made;          /* a TCP socket was made: TCP may go on unheard (see Bounds) */
    uint64_t stops;        /* viv_sim_stop calls made on our simulation */
    viv_time_t tcp_period; /* the TCP tick's period, from TCP_TICK_NS at each driver call */
    uint64_t obs;
    uint64_t trail[TRAIL];
    int in_kit;         /* inside a driver of the testing kit (no viv_sim_free then) */
    int link_watched;   /* a capture or a recorder was attached to a link */
    int kit_calls;      /* kit drivers called at top level */
    uint64_t kit_lines; /* recorded frames walked by the recorder's whole-text calls */
    int observer;       /* the second run: traced from the start, TCP callbacks read in place */
    uint64_t peeked;    /* bytes the second run's drains walked to the readable count */
    int tcp_drained;    /* a TCP callback drained a socket: the runs' last error messages may
                           differ from then on (run 2's name viv_tcp_peek, run 1's recv) */
    uint64_t traces;    /* trace records seen (not an observation: only run 2 has them all) */
    uint64_t trace_sum; /* their bytes read (for the sanitizers) */
    int failed;
    char msg[600];
    uint8_t buf[132000]; /* frames and datagrams */
    uint8_t src[1256];   /* viv_tcp_send_source's bytes: src[i] = i mod 256, never changed */
} actx;

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

/* ---- reading the input ----------------------------------------------------------------------- */

static int rd_eof(const rd *r)
{
    return r->i >= r->n;
}
static uint8_t u8(rd *r)
{
    return r->i < r->n ? r->p[r->i++] : 0;
}
static uint16_t u16(rd *r)
{
    uint16_t lo = u8(r); /* one read per statement: argument order is unspecified in C */
    return (uint16_t)(lo | u8(r) << 8);
}
static uint32_t u32(rd *r)
{
    uint32_t lo = u16(r);
    return lo | (uint32_t)u16(r) << 16;
}
static uint64_t u64(rd *r)
{
    uint64_t lo = u32(r);
    return lo | (uint64_t)u32(r) << 32;
}

/* The next up to max bytes, as a script for a callback (skipped by the reader). */
static script take(rd *r, uint32_t max)
{
    uint32_t n = max ? u8(r) % (max + 1) : 0;
    if (n > r->n - r->i)
        n = (uint32_t)(r->n - r->i);
    script s = {r->p + r->i, n};
    r->i += n;
    return s;
}

#define PICK(r, tab) ((tab)[u8(r) % (sizeof(tab) / sizeof((tab)[0]))])

/* ---- failures and observations --------------------------------------------------------------- */

static void fail(actx *c, const char *fmt, ...)
{
    if (c->failed++)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    if (viv_apifuzz_abort_on_failure) {
        fprintf(stderr, "apifuzz: invariant broken: %s\n", c->msg);
        abort();
    }
}

static void obs(actx *c, uint64_t x)
{
    c->obs ^= x + UINT64_C(0x9e3779b97f4a7c15) + (c->obs << 6) + (c->obs >> 2);
    c->obs *= UINT64_C(0xff51afd7ed558ccd);
}

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h ^ n;
}

/* Structs with padding are observed field by field (padding bytes are not values). */
static void obs_link_stats(actx *c, const viv_link_stats_t *st)
{
    const uint64_t v[] = {st->tx_frames,  st->tx_bytes,       st->rx_frames,   st->rx_bytes,
                          st->drop_queue, st->drop_mtu,       st->drop_loss,   st->drop_burst,
                          st->drop_cut,   st->drop_intercept, st->corrupted,   st->duplicated,
                          st->reordered,  st->queue_frames,   st->queue_bytes, st->queue_peak};
    obs(c, hash_bytes(v, sizeof v));
}

static uint64_t dbits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static void obs_link_params(actx *c, const viv_link_params *p)
{
    const uint64_t v[] = {p->rate_bps,
                          p->delay_ns,
                          p->queue_frames,
                          p->queue_bytes,
                          p->mtu,
                          p->overhead_bytes,
                          dbits(p->loss),
                          dbits(p->burst.p_good_bad),
                          dbits(p->burst.p_bad_good),
                          dbits(p->burst.loss_good),
                          dbits(p->burst.loss_bad),
                          dbits(p->corrupt),
                          dbits(p->duplicate),
                          p->jitter_ns,
                          (uint64_t)p->jitter_reorder,
                          dbits(p->reorder),
                          p->reorder_delay_ns};
    obs(c, hash_bytes(v, sizeof v));
}

static void obs_route(actx *c, const viv_route *rt)
{
    obs(c, (uint64_t)rt->dst << 32 | rt->gateway);
    obs(c, (uint64_t)rt->prefix_len << 40 | (uint64_t)rt->origin << 32 | rt->iface);
    obs(c, (uint64_t)rt->metric << 32 | rt->src);
}

static void clock_check(actx *c, const char *where)
{
    if (c->gone)
        return;
    viv_time_t t = viv_sim_now(c->sim);
    if (t < c->last_now)
        fail(c, "the clock went backwards at %s: %llu -> %llu ns", where,
             (unsigned long long)c->last_now, (unsigned long long)t);
    c->last_now = t;
    uint64_t e = viv_sim_events(c->sim);
    if (e < c->last_events)
        fail(c, "the event count went backwards at %s: %llu -> %llu", where,
             (unsigned long long)c->last_events, (unsigned long long)e);
    c->last_events = e;
}

/* Every call's return code: a count, 0, or a VIV_E* code. */
static int rc_check(actx *c, int rc, const char *what)
{
    c->calls++;
    obs(c, (uint64_t)(int64_t)rc);
    if (rc < 0) {
        c->failed_calls++;
        if (rc < VIV_EINPROGRESS)
            fail(c, "%s returned %d, which is no VIV_E* code", what, rc);
    }
    clock_check(c, what);
    if (viv_apifuzz_verbose > 1)
        fprintf(stderr, "%*s  %s = %d\n", c->depth * 2, "", what, rc);
    return rc;
}

#define CALL(c, expr) rc_check((c), (expr), #expr)

/* A call whose failure the documentation fixes: rc must be `want`. */
static void expect(actx *c, int rc, int want, const char *what)
{
    if (rc != want)
        fail(c, "%s returned %d (%s), the documentation says %d (%s)", what, rc, viv_err_name(rc),
             want, viv_err_name(want));
}

/* ---- the counting allocator ------------------------------------------------------------------ */

#define HDR 16u
#define MAGIC UINT64_C(0x61706966757a7a21)

static void *count_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    acount *a = ud;
    uint8_t *base = ptr ? (uint8_t *)ptr - HDR : NULL;
    if (base) {
        uint64_t m, sz;
        memcpy(&m, base, 8);
        memcpy(&sz, base + 8, 8);
        if (m != MAGIC)
            fail(a->c, "the allocator was given a block it never returned");
        else if (sz != old_size)
            fail(a->c, "a block of %llu bytes was released as %zu bytes", (unsigned long long)sz,
                 old_size);
    }
    if (new_size == 0) {
        if (base) {
            a->live -= old_size;
            a->blocks--;
            memset(base, 0, 8);
            free(base);
        }
        return NULL;
    }
    if (new_size > MEM_CAP || a->live - old_size + new_size > MEM_CAP) {
        a->refused++;
        return NULL;
    }
    uint8_t *n = realloc(base, new_size + HDR);
    if (!n)
        return NULL;
    uint64_t m = MAGIC, sz = new_size;
    memcpy(n, &m, 8);
    memcpy(n + 8, &sz, 8);
    if (!base)
        a->blocks++;
    a->live = a->live - old_size + new_size;
    if (a->live > a->peak)
        a->peak = a->live;
    return n + HDR;
}

/* ---- records and slots ----------------------------------------------------------------------- */

static int rec_new(actx *c, int kind, void *h)
{
    if (c->nrec >= NREC)
        return -1;
    int i = c->nrec++;
    rec *o = &c->recs[i];
    memset(o, 0, sizeof(*o));
    o->c = c;
    o->kind = (uint8_t)kind;
    o->h = h;
    o->slot = -1;
    o->host = o->end[0] = o->end[1] = -1;
    o->proc = -1;
    return i;
}

static int slot_free(actx *c, int kind)
{
    for (int s = 0; s < slot_cap[kind]; s++)
        if (c->slots[kind][s] < 0)
            return s;
    return -1;
}

static void slot_put(actx *c, int ri, int s)
{
    c->recs[ri].slot = (int8_t)s;
    c->slots[c->recs[ri].kind][s] = (int16_t)ri;
}

/* The record in the first occupied slot at or after the one the byte names, or -1. */
static int pick(actx *c, rd *r, int kind)
{
    uint8_t b = u8(r);
    int n = slot_cap[kind];
    for (int k = 0; k < n; k++) {
        int ri = c->slots[kind][(b + k) % n];
        if (ri >= 0)
            return ri;
    }
    return -1;
}

static void *handle(actx *c, int ri)
{
    return ri >= 0 ? c->recs[ri].h : NULL;
}

static void recompute_loop(actx *c);
static void host_power_off(actx *c, int hi);

/* Forget an object the library freed, and whatever went with it. */
static void forget(actx *c, int ri)
{
    rec *o = &c->recs[ri];
    if (o->freed)
        return;
    o->freed = 1;
    o->h = NULL;
    if (o->slot >= 0)
        c->slots[o->kind][o->slot] = -1;
    o->slot = -1;
    if (o->kind <= K_DEV) { /* a node: its links; a host: its sockets, pings, traceroutes */
        for (int j = 0; j < c->nrec; j++) {
            rec *x = &c->recs[j];
            if (x->freed)
                continue;
            if ((x->kind == K_LINK && (x->end[0] == ri || x->end[1] == ri)) ||
                ((x->kind == K_UDP || x->kind == K_PING || x->kind == K_TR || x->kind == K_TCP ||
                  x->kind == K_PROC) &&
                 x->host == ri))
                forget(c, j);
        }
    }
    if (o->kind == K_PROC) /* its sockets end with it */
        for (int j = 0; j < c->nrec; j++)
            if (!c->recs[j].freed && c->recs[j].proc == ri)
                forget(c, j);
    if (o->kind == K_LINK || o->kind <= K_DEV)
        recompute_loop(c);
}

static void forget_all(actx *c)
{
    for (int j = 0; j < c->nrec; j++) {
        rec *x = &c->recs[j];
        x->freed = 1;
        x->h = NULL;
        x->slot = -1;
    }
    for (int k = 0; k < NKIND; k++)
        for (int s = 0; s < MAXSLOT; s++)
            c->slots[k][s] = -1;
    for (int i = 0; i < c->nev; i++)
        c->ev[i].pending = 0;
}

/* ---- layer-2 loops --------------------------------------------------------------------------- */

static int uf_find(int *uf, int x)
{
    while (uf[x] != x)
        x = uf[x] = uf[uf[x]];
    return x;
}

/* A storm that no callback of ours sees is possible when hubs and switches make a loop
 * (a broadcast goes round for ever), or when a link duplicates frames (a routing loop then
 * doubles a packet at every hop until its TTL runs out). */
static void recompute_loop(actx *c)
{
    int uf[NREC];
    for (int i = 0; i < c->nrec; i++)
        uf[i] = i;
    c->risky = 0;
    for (int i = 0; i < c->nrec; i++) {
        const rec *l = &c->recs[i];
        if (l->kind != K_LINK || l->freed)
            continue;
        if (l->dup)
            c->risky = 1;
        if (l->end[0] < 0 || l->end[1] < 0)
            continue;
        int ka = c->recs[l->end[0]].kind, kb = c->recs[l->end[1]].kind;
        if ((ka != K_HUB && ka != K_SW) || (kb != K_HUB && kb != K_SW))
            continue;
        int a = uf_find(uf, l->end[0]), b = uf_find(uf, l->end[1]);
        if (a == b)
            c->risky = 1;
        else
            uf[a] = b;
    }
}

/* ---- budgets and the tick -------------------------------------------------------------------- */

static void sim_stop(actx *c)
{
    c->stops++;
    viv_sim_stop(c->sim);
}

static void budget_check(actx *c)
{
    uint64_t e = viv_sim_events(c->sim);
    if (e >= VIV_APIFUZZ_EVENT_BUDGET) {
        c->budget_hit = 1;
        sim_stop(c);
    } else if (c->drv_budget && e - c->drv_start >= c->drv_budget) {
        sim_stop(c);
    }
}

/* Account for n payload bytes the program is about to ask the library to handle; 0 if the
 * byte budget is spent (the op is then skipped: big payloads cost time at every hop). */
static int bytes_ok(actx *c, uint64_t n)
{
    if (c->bytes + n > BYTE_BUDGET)
        return 0;
    c->bytes += n;
    return 1;
}

/* A callback's own send (an echo, a forward, a send on connect) of n payload bytes: as
 * bytes_ok, and never once the event budget is spent. The testing kit's drivers step event by
 * event and pay no heed to viv_sim_stop, so sends that answer sends at one instant would
 * otherwise go on for ever there (the echo of a zero-length datagram over loopback costs no
 * byte budget). */
static int cb_send_ok(actx *c, uint64_t n)
{
    return !c->budget_hit && bytes_ok(c, n);
}

static void cb_enter(actx *c, const char *what)
{
    c->cbs++;
    clock_check(c, what);
    budget_check(c);
}

static void tick_arm(actx *c);

static void tick_cb(viv_sim_t *sim, void *user)
{
    actx *c = user;
    c->tick_armed = 0;
    if (sim != c->sim)
        fail(c, "an event callback got another simulation");
    cb_enter(c, "tick");
    if (c->tick_tcp && c->tcp_period <= VIV_TIME_MAX / 2)
        c->tcp_period *= 2;
    if (c->in_driver && viv_sim_pending(sim) > 0)
        tick_arm(c);
}

/* Arm the tick of a driver call if a storm or TCP may go on unheard (see Bounds at the top):
 * the storm tick TICK_NS from now, else the TCP tick a period from now. A TCP tick already
 * armed later than a storm tick would be is brought forward. */
static void tick_arm(actx *c)
{
    if (!c->risky && !c->tcp_made)
        return;
    viv_time_t now = viv_sim_now(c->sim), at;
    if (c->risky)
        at = now <= VIV_TIME_NEVER - 1 - TICK_NS ? now + TICK_NS : now;
    else
        at = c->tcp_period <= VIV_TIME_MAX - now ? now + c->tcp_period : VIV_TIME_MAX;
    if (c->tick_armed) {
        if (c->tick_at <= at)
            return;
        int k = viv_sim_cancel(c->sim, c->tick_id);
        if (k != 1)
            fail(c, "cancelling a pending event returned %d", k);
        c->tick_armed = 0;
    }
    if (viv_sim_schedule_at(&c->tick_id, c->sim, at, tick_cb, c) == 0) {
        c->tick_armed = 1;
        c->tick_tcp = !c->risky;
        c->tick_at = at;
    }
}

/* ---- scripts --------------------------------------------------------------------------------- */

static void do_op(actx *c, rd *r);

static void run_script(actx *c, script sc, int self)
{
    if (!sc.n || c->budget_hit || c->script_ops >= SCRIPT_OPS_MAX || c->failed)
        return;
    int saved = c->self;
    c->self = self;
    c->depth++;
    rd r = {sc.p, sc.n, 0};
    while (!rd_eof(&r) && c->script_ops < SCRIPT_OPS_MAX) {
        c->script_ops++;
        do_op(c, &r);
    }
    c->depth--;
    c->self = saved;
}

/* ---- argument pickers ------------------------------------------------------------------------ */

static viv_time_t pick_dur(actx *c, rd *r)
{
    static const viv_time_t tab[] = {
        0,           1,        7,        1000,      65536,      VIV_US(100), VIV_MS(1), VIV_MS(10),
        VIV_MS(250), VIV_S(1), VIV_S(3), VIV_S(61), VIV_S(301), VIV_S(3600), VIV_US(1), VIV_MS(2)};
    uint8_t b = u8(r);
    if (b < 0xe0)
        return tab[b % (sizeof tab / sizeof tab[0])];
    viv_time_t now = c->gone ? 0 : viv_sim_now(c->sim);
    switch (b & 7) {
    case 0:
        return u32(r);
    case 1:
        return u64(r);
    case 2:
        return VIV_TIME_NEVER - 1 - now;
    case 3:
        return VIV_TIME_NEVER - now;
    case 4:
        return VIV_TIME_NEVER;
    case 5:
        return VIV_TIME_NEVER / 2;
    case 6:
        return (viv_time_t)VIV_S(1) << 32; /* a pcap timestamp's limit */
    default:
        return u16(r);
    }
}

/* now + d, saturating at VIV_TIME_NEVER (or short of it while that is avoided). */
static viv_time_t time_after(actx *c, viv_time_t d)
{
    viv_time_t now = viv_sim_now(c->sim);
    viv_time_t t = d > VIV_TIME_NEVER - now ? VIV_TIME_NEVER : now + d;
#if VIV_APIFUZZ_AVOID_TIME_NEVER
    if (t == VIV_TIME_NEVER)
        t--;
#endif
    return t;
}

static double pick_prob(rd *r)
{
    static const double tab[] = {0,   0,    0.001, 0.01, 0.1,  0.3,  0.5,    0.9,
                                 1.0, -0.0, -0.5,  1.01, 0.02, 0.05, 1e-300, 0.999};
    uint8_t b = u8(r);
    if (b == 0xff)
        return NAN;
    if (b == 0xfe)
        return INFINITY;
    return tab[b % (sizeof tab / sizeof tab[0])];
}

static viv_link_dir pick_dir(rd *r)
{
    static const int tab[] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3};
    return (viv_link_dir)PICK(r, tab);
}

static uint8_t pick_prefix(rd *r)
{
    static const uint8_t tab[] = {24, 24, 24, 24, 16, 30, 31, 32, 0, 8, 33, 255, 1, 29, 28, 24};
    return PICK(r, tab);
}

static int pick_node(actx *c, rd *r);
static viv_node_t *node_of(actx *c, int ri);

static viv_ip4_t pick_ip(actx *c, rd *r)
{
    uint8_t b = u8(r);
    switch (b >> 5) {
    case 0:
    case 1:
    case 2:
        return VIV_IP4(10, 0, (b >> 3) & 3, 1 + (b & 7));
    case 3: { /* an address a host has */
        int ri = pick(c, r, K_HOST);
        viv_ip4_t ip = VIV_IP4(10, 0, 0, 1);
        if (ri >= 0) {
            uint32_t n = viv_host_iface_count(handle(c, ri));
            CALL(c, viv_host_addr(&ip, NULL, handle(c, ri), n ? (b & 7) % n : 0));
        }
        return ip;
    }
    case 4: {
        static const viv_ip4_t tab[] = {VIV_IP4_BROADCAST,      VIV_IP4_ANY,
                                        VIV_IP4(224, 0, 0, 1),  VIV_IP4(127, 0, 0, 1),
                                        VIV_IP4(10, 0, 0, 255), VIV_IP4(10, 0, 1, 255),
                                        VIV_IP4(10, 0, 0, 0),   VIV_IP4(10, 0, 255, 255)};
        return tab[b & 7];
    }
    case 5:
        return VIV_IP4(10, (b >> 3) & 3, (b & 7), 1 + u8(r) % 3);
    case 6:
        b = u8(r);
        return VIV_IP4(10, 0, b, u8(r));
    default:
        return u32(r);
    }
}

static uint16_t pick_uport(rd *r)
{
    static const uint16_t tab[] = {7, 7, 53, 53, 1000, 49152, 65535, 0, 9, 9, 80, 0};
    uint8_t b = u8(r);
    return b == 0xff ? u16(r) : tab[b % (sizeof tab / sizeof tab[0])];
}

static viv_mac_t pick_mac(actx *c, rd *r)
{
    viv_mac_t m = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    uint8_t b = u8(r);
    switch (b & 7) {
    case 0:
    case 1:
        break; /* broadcast */
    case 2:
    case 3: { /* a host's */
        int ri = pick(c, r, K_HOST);
        if (ri >= 0)
            CALL(c, viv_host_mac(&m, handle(c, ri), (b >> 3) & 1));
        break;
    }
    case 4: {
        viv_mac_t x = {{0x01, 0x00, 0x5e, 0x00, 0x00, (uint8_t)(b >> 3)}};
        m = x;
        break;
    }
    case 5: {
        viv_mac_t x = {{0x02, 0xaa, 0, 0, 0, (uint8_t)(b >> 3)}};
        m = x;
        break;
    }
    case 6:
        memset(m.b, 0, 6);
        break;
    default:
        for (int i = 0; i < 6; i++)
            m.b[i] = u8(r);
    }
    return m;
}

static const char *pick_name(rd *r)
{
    static char longname[301];
    if (!longname[0])
        memset(longname, 'n', sizeof longname - 1);
    static const char *const tab[] = {NULL, NULL, NULL, "a", "", "eth9", "%s%n%x", NULL};
    uint8_t b = u8(r);
    return b == 7 ? longname : tab[b % 8];
}

/* ---- frames ---------------------------------------------------------------------------------- */

static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t csum_fin(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v);
}

static size_t eth_hdr(uint8_t *f, const viv_mac_t *dst, const viv_mac_t *src, uint16_t type)
{
    memcpy(f, dst->b, 6);
    memcpy(f + 6, src->b, 6);
    wr16(f + 12, type);
    return 14;
}

/* An IPv4 header at f (20 bytes) for a payload of n bytes. */
static void ip_hdr(uint8_t *f, viv_ip4_t src, viv_ip4_t dst, uint8_t proto, uint8_t ttl, size_t n)
{
    memset(f, 0, 20);
    f[0] = 0x45;
    wr16(f + 2, (uint32_t)(20 + n));
    wr16(f + 4, 0x1234);
    f[8] = ttl;
    f[9] = proto;
    wr32(f + 12, src);
    wr32(f + 16, dst);
    wr16(f + 10, csum_fin(csum_add(0, f, 20)));
}

/* A frame for a device to send: raw bytes, ARP, or IPv4 with UDP or ICMP and good
 * checksums (sometimes broken afterwards). Returns its length. */
static size_t frame_build(actx *c, rd *r, uint8_t *f, size_t cap)
{
    static const size_t lens[] = {0,   13,   14,   15,   42,    59,    60, 64,
                                  100, 1514, 1515, 9014, 65535, 65536, 60, 200};
    uint8_t k = u8(r);
    viv_mac_t dst = pick_mac(c, r);
    viv_mac_t src = {{0x02, 0xaa, 0, 0, (uint8_t)(k >> 4), (uint8_t)(k & 15)}};
    size_t len;
    memset(f, 0, 128);
    switch (k % 6) {
    case 0: { /* raw */
        len = PICK(r, lens);
        if (len > cap)
            len = cap;
        size_t avail = r->n - r->i, take_n = len < avail ? len : avail;
        if (take_n > 64)
            take_n = 64;
        memset(f, 0, len);
        memcpy(f, r->p + r->i, take_n);
        r->i += take_n;
        return len;
    }
    case 1: { /* ARP */
        size_t o = eth_hdr(f, &dst, &src, 0x0806);
        wr16(f + o, 1);
        wr16(f + o + 2, 0x0800);
        f[o + 4] = 6;
        f[o + 5] = 4;
        uint8_t op = u8(r);
        wr16(f + o + 6, op < 200 ? 1 + (op & 1) : op);
        memcpy(f + o + 8, src.b, 6);
        wr32(f + o + 14, pick_ip(c, r));
        if (op & 2)
            memcpy(f + o + 18, dst.b, 6);
        wr32(f + o + 24, pick_ip(c, r));
        return (op & 4) ? 42 : 60;
    }
    case 2:
    case 3: { /* IPv4 + UDP */
        size_t o = eth_hdr(f, &dst, &src, 0x0800);
        viv_ip4_t s = pick_ip(c, r), d = pick_ip(c, r);
        uint16_t plen = u8(r);
        if (plen > 200)
            plen = (uint16_t)(plen * 7);
        uint8_t *u = f + o + 20;
        wr16(u, pick_uport(r));
        wr16(u + 2, pick_uport(r));
        wr16(u + 4, 8u + plen);
        wr16(u + 6, 0);
        memset(u + 8, 0x5a, plen);
        uint32_t acc = (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + 17 + 8u + plen;
        wr16(u + 6, csum_fin(csum_add(acc, u, 8u + plen)));
        uint8_t ttl = u8(r);
        ip_hdr(f + o, s, d, 17, ttl ? ttl : 64, 8u + plen);
        len = o + 20 + 8 + plen;
        break;
    }
    case 4: { /* IPv4 + ICMP echo request or reply */
        size_t o = eth_hdr(f, &dst, &src, 0x0800);
        viv_ip4_t s = pick_ip(c, r), d = pick_ip(c, r);
        uint8_t *m = f + o + 20;
        uint8_t t = u8(r);
        m[0] = (t & 1) ? 0 : 8;
        m[1] = 0;
        wr16(m + 4, u8(r));
        wr16(m + 6, u8(r));
        memset(m + 8, 0x61, 24);
        wr16(m + 2, csum_fin(csum_add(0, m, 32)));
        ip_hdr(f + o, s, d, 1, (uint8_t)(t >> 1), 32);
        len = o + 20 + 32;
        break;
    }
    default: { /* IPv4 with another protocol, or a broken header */
        size_t o = eth_hdr(f, &dst, &src, 0x0800);
        uint8_t proto = u8(r);
        viv_ip4_t s = pick_ip(c, r), d = pick_ip(c, r);
        ip_hdr(f + o, s, d, proto, u8(r), 20);
        len = o + 40;
        break;
    }
    }
    uint8_t flips = u8(r);
    for (int i = 0; i < (flips >> 6); i++) { /* break a few bytes */
        size_t at = u8(r) % len;
        f[at] ^= (uint8_t)(1u << (u8(r) & 7));
    }
    return len;
}

/* ---- text outputs ---------------------------------------------------------------------------- */

static size_t pick_cap(rd *r)
{
    static const size_t tab[] = {0, 1, 2, 16, 64, 4096, 4096, 300};
    return PICK(r, tab);
}

/* A buffer of exactly cap bytes (so that a write past it is a sanitizer error), filled
 * with a pattern. */
static char *tbuf(size_t cap)
{
    char *b = malloc(cap ? cap : 1);
    if (b)
        memset(b, 0xa5, cap ? cap : 1);
    return b;
}

/* snprintf semantics: with cap > 0 the text is NUL-terminated at min(rc, cap - 1). */
static void text_check(actx *c, int rc, const char *b, size_t cap, const char *what)
{
    rc_check(c, rc, what);
    if (rc < 0 || cap == 0 || !b)
        return;
#if VIV_APIFUZZ_AVOID_EMPTY_TEXT
    if (rc == 0)
        return;
#endif
    size_t want = (size_t)rc < cap ? (size_t)rc : cap - 1;
    size_t got = strnlen(b, cap);
    if (got != want)
        fail(c, "%s returned %d with a buffer of %zu bytes, but the text ends at %zu%s", what, rc,
             cap, got, got == cap ? " (no NUL)" : "");
    else
        obs(c, hash_bytes(b, got));
}

#define TEXT(c, call_with_buf_cap, cap)                                                            \
    do {                                                                                           \
        size_t cap_ = (cap);                                                                       \
        char *buf = tbuf(cap_);                                                                    \
        if (buf) {                                                                                 \
            int rc_ = (call_with_buf_cap);                                                         \
            text_check((c), rc_, buf, cap_, #call_with_buf_cap);                                   \
            free(buf);                                                                             \
        }                                                                                          \
    } while (0)

/* ---- nodes and ports ------------------------------------------------------------------------- */

static viv_node_t *node_of(actx *c, int ri)
{
    if (ri < 0 || c->recs[ri].freed)
        return NULL;
    void *h = c->recs[ri].h;
    switch (c->recs[ri].kind) {
    case K_HOST:
        return viv_host_node(h);
    case K_HUB:
        return viv_hub_node(h);
    case K_SW:
        return viv_switch_node(h);
    case K_DEV:
        return viv_device_node(h);
    default:
        return NULL;
    }
}

static int pick_node(actx *c, rd *r)
{
    static const int kinds[] = {K_HOST, K_HOST, K_HOST, K_HUB, K_SW, K_DEV, K_HOST, K_SW};
    int k = PICK(r, kinds);
    int ri = pick(c, r, k);
    for (int j = 0; ri < 0 && j < 4; j++)
        ri = pick(c, r, (int)kinds[j + 2]);
    return ri;
}

/* A port: of one of our nodes (*owner its record), of the other simulation, or NULL. */
static viv_port_t *pick_port(actx *c, rd *r, int *owner)
{
    uint8_t b = u8(r);
    *owner = -1;
    if (b == 0xff)
        return viv_hub_port(c->fhub, 0);
    if (b == 0xfe)
        return NULL;
    int ri = pick_node(c, r);
    viv_node_t *n = node_of(c, ri);
    if (!n)
        return NULL;
    uint32_t np = viv_node_port_count(n);
    uint32_t idx = b < 0xf0 ? (np ? b % np : 0) : np + (b & 3); /* sometimes past the end */
    /* Prefer a free port: a link on a busy one fails with EBUSY, which is tested often
     * enough. */
    for (uint32_t k = 0; b < 0xc0 && k < np; k++) {
        viv_port_t *p = viv_node_port(n, (idx + k) % np);
        if (p && !viv_port_link(p)) {
            idx = (idx + k) % np;
            break;
        }
    }
    *owner = ri;
    return viv_node_port(n, idx);
}

/* ---- callbacks ------------------------------------------------------------------------------- */

static int rec_index(actx *c, const rec *o)
{
    return (int)(o - c->recs);
}

static void udp_drain(actx *c, rec *o, viv_udp_t *s)
{
    static const size_t caps[] = {0, 8, 600, 2048};
    size_t cap = caps[(o->mode >> 3) & 3];
    for (int k = 0; k < 64; k++) {
        viv_sockaddr_t from = {0, 0};
        uint32_t flags = 0;
        int n = (o->mode & 0x20) ? viv_udp_recv(s, cap ? c->buf : NULL, cap)
                                 : viv_udp_recvfrom(s, cap ? c->buf : NULL, cap, &from, &flags);
        rc_check(c, n, "viv_udp_recvfrom (callback)");
        if (n == VIV_EAGAIN)
            break;
        if (n < 0)
            continue;
        if ((size_t)n > cap)
            fail(c, "viv_udp_recvfrom copied %d bytes into a buffer of %zu", n, cap);
        obs(c, hash_bytes(c->buf, (size_t)n < cap ? (size_t)n : cap));
        obs(c, (uint64_t)from.ip << 16 | from.port);
        obs(c, flags);
        if ((o->mode & 2) && !(o->mode & 0x20) && cb_send_ok(c, (uint64_t)n))
            rc_check(c, viv_udp_sendto(s, c->buf, (size_t)n < cap ? (size_t)n : cap, &from),
                     "viv_udp_sendto (echo)");
    }
}

static void udp_cb(viv_udp_t *s, uint32_t events, void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "a UDP callback came after the socket was freed");
        return;
    }
    if (s != o->h)
        fail(c, "a UDP callback got another socket");
    if (!events || (events & ~0x3fu))
        fail(c, "a UDP callback got events %#x", events);
    cb_enter(c, "udp callback");
    o->ncb++;
    obs(c, 0x5500u ^ events);
    if ((o->mode & 1) && (events & VIV_EV_READABLE))
        udp_drain(c, o, s);
    if ((o->mode & 4) && (events & VIV_EV_ERROR))
        CALL(c, viv_udp_error(s));
    run_script(c, o->sc, rec_index(c, o));
}

static void ping_cb(viv_ping_t *p, const viv_ping_result *res, void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "a ping callback came after the ping was freed");
        return;
    }
    if (!o->h)
        o->h = p; /* started without out: learn its handle */
    else if (p != o->h)
        fail(c, "a ping callback got another ping");
    if (!res || res->event > VIV_PING_DONE) {
        fail(c, "a ping callback got a bad result");
        return;
    }
    cb_enter(c, "ping callback");
    o->ncb++;
    obs(c, (uint64_t)res->event << 32 | res->seq);
    obs(c, res->from);
    obs(c, res->rtt_ns);
    obs(c, (uint64_t)res->ttl << 16 | (uint64_t)res->icmp_type << 8 | res->icmp_code);
    obs(c, res->bytes);
    if (res->event == VIV_PING_DONE)
        o->done = 1;
    viv_ping_stats_t st;
    if (CALL(c, viv_ping_stats(&st, p)) == 0)
        obs(c, hash_bytes(&st, sizeof st));
    run_script(c, o->sc, rec_index(c, o));
}

static void tr_cb(viv_traceroute_t *t, const viv_trace_result *res, void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "a traceroute callback came after the traceroute was freed");
        return;
    }
    if (!o->h)
        o->h = t;
    else if (t != o->h)
        fail(c, "a traceroute callback got another traceroute");
    if (!res || res->kind > VIV_TRACE_DONE) {
        fail(c, "a traceroute callback got a bad result");
        return;
    }
    cb_enter(c, "traceroute callback");
    o->ncb++;
    obs(c, (uint64_t)res->kind << 40 | (uint64_t)res->ttl << 32 | (uint64_t)res->probe << 16 |
               res->icmp_code);
    obs(c, res->from);
    obs(c, res->rtt_ns);
    if (res->kind == VIV_TRACE_DONE)
        o->done = 1;
    run_script(c, o->sc, rec_index(c, o));
}

static viv_verdict intercept_cb(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                                void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "an intercept ran after its link was freed");
        return VIV_VERDICT_DELIVER;
    }
    if (link != o->h || (unsigned)dir > 1 || !frame || !info || !delay_ns || info->len != len) {
        fail(c, "an intercept got bad arguments");
        return VIV_VERDICT_DELIVER;
    }
#if API2
    if (*delay_ns != 0)
        fail(c, "an intercept was called with *delay_ns = %llu, not 0",
             (unsigned long long)*delay_ns);
#endif
    cb_enter(c, "intercept");
    obs(c, hash_bytes(frame, len));
    obs(c, dir);
    viv_verdict v = (viv_verdict)(o->verdict[o->ncb++ & 3] % 5);
    viv_time_t d = o->delay;
    run_script(c, o->sc, rec_index(c, o));
    if (v == VIV_VERDICT_DELAY || (API2 && v == VIV_VERDICT_DUPLICATE))
        *delay_ns = d;
    return v;
}

static void device_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                      const viv_frame_info *info, void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "a device callback came after the device was freed");
        return;
    }
    if (dev != o->h || port >= o->nports || !frame || !info || info->len != len || len < 14) {
        fail(c, "a device callback got bad arguments (port %u of %u, %zu bytes)", port, o->nports,
             len);
        return;
    }
    cb_enter(c, "device callback");
    o->ncb++;
    obs(c, hash_bytes(frame, len));
    obs(c, port);
    if ((o->mode & 1) && cb_send_ok(c, len))
        CALL(c, viv_device_send(dev, port, frame, len));
    if ((o->mode & 2) && o->nports > 1 && cb_send_ok(c, len))
        CALL(c, viv_device_send(dev, (port + 1) % o->nports, frame, len));
    run_script(c, o->sc, rec_index(c, o));
}

static void event_cb(viv_sim_t *sim, void *user)
{
    evrec *e = user;
    actx *c = e->c;
    if (sim != c->sim)
        fail(c, "an event callback got another simulation");
    if (!e->pending) {
        fail(c, "an event ran that was cancelled or had already run");
        return;
    }
    if (viv_sim_now(sim) != e->at)
        fail(c, "an event scheduled for %llu ns ran at %llu ns", (unsigned long long)e->at,
             (unsigned long long)viv_sim_now(sim));
    e->pending = 0;
    if (e->has_id)
        e->stale = e->id;
    e->has_id = 0;
    cb_enter(c, "event");
    obs(c, (uint64_t)(e - c->ev));
    run_script(c, e->sc, -1);
    if (e->repeat && !c->budget_hit && !c->dying && !e->pending) {
        e->repeat--;
        viv_time_t now = viv_sim_now(sim);
        int rc = CALL(c, viv_sim_schedule_after(&e->id, sim, e->period, event_cb, e));
        if (rc == 0) {
            e->pending = 1;
            e->has_id = 1;
            e->at = now + e->period;
        }
    }
}

#if API2
/* The trace callback: synchronous, read-only. Its records are checked but are no
 * observation, since the second run subscribes from the start and the first only when the
 * program does: what a run does must not depend on being observed. */
static void trace_cb(const viv_trace_record *t, void *user)
{
    actx *c = user;
    c->traces++;
    if (!t) {
        fail(c, "a trace callback got no record");
        return;
    }
    if (t->time != viv_sim_now(c->sim))
        fail(c, "a trace record says %llu ns at %llu ns", (unsigned long long)t->time,
             (unsigned long long)viv_sim_now(c->sim));
    /* Kinds and reasons are checked by name, so that new ones need no change here. */
    const char *kn = viv_trace_kind_name(t->kind);
    if (!kn || strcmp(kn, "unknown") == 0)
        fail(c, "a trace record of kind %d, which has no name", (int)t->kind);
    if (t->kind == VIV_TRACE_FRAME_DROP) {
        const char *rn = viv_drop_reason_name(t->reason);
        if (!rn || strcmp(rn, "unknown") == 0)
            fail(c, "a drop record with reason %d, which has no name", (int)t->reason);
    }
    if (t->frame_len && !t->frame)
        fail(c, "a trace record of a %u-byte frame without its bytes", t->frame_len);
    if (t->frame)
        c->trace_sum += hash_bytes(t->frame, t->frame_len);
    if (t->node)
        c->trace_sum += strlen(viv_node_name(t->node));
    if (t->link && !VIV_APIFUZZ_AVOID_TRACE_LINK_READ) {
        viv_link_stats_t st;
        if ((unsigned)t->dir > 1 || viv_link_stats(&st, t->link, t->dir) != 0)
            fail(c, "a trace record names a link it cannot be read from");
    }
    c->trace_sum += strlen(viv_trace_kind_name(t->kind));
}
#endif

static void op_trace(actx *c, rd *r)
{
    uint8_t m = u8(r);
    uint8_t a = u8(r), b = u8(r);
#if API2
    int rc;
    if ((m & 3) == 3) {
        rc = CALL(c, viv_sim_trace(NULL, trace_cb, c));
        expect(c, rc, VIV_EINVAL, "viv_sim_trace(NULL)");
    } else if ((m & 1) || c->observer) {
        rc = CALL(c, viv_sim_trace(c->sim, trace_cb, c));
    } else {
        rc = CALL(c, viv_sim_trace(c->sim, NULL, NULL));
    }
    const char *x = viv_drop_reason_name((viv_drop_reason)(a % 30));
    const char *y = viv_trace_kind_name((viv_trace_kind)(b % 10));
    if (!x || !y)
        fail(c, "a trace name is NULL");
    else
        obs(c, hash_bytes(x, strlen(x)) ^ hash_bytes(y, strlen(y)));
#else
    (void)c;
    (void)m;
    (void)a;
    (void)b;
#endif
}

/* ---- drivers --------------------------------------------------------------------------------- */

enum drv { D_STEP, D_RUN, D_UNTIL, D_FOR };

static void drive(actx *c, enum drv how, viv_time_t arg, uint64_t budget)
{
    int rc;
    viv_time_t before = viv_sim_now(c->sim);
    if (c->depth) { /* inside a callback: every driver refuses */
        switch (how) {
        case D_STEP:
            rc = viv_sim_step(c->sim);
            break;
        case D_RUN:
            rc = viv_sim_run(c->sim);
            break;
        case D_UNTIL:
            rc = viv_sim_run_until(c->sim, arg);
            break;
        default:
            rc = viv_sim_run_for(c->sim, arg);
            break;
        }
        rc_check(c, rc, "driver inside a callback");
        /* A bad time is also EINVAL: either code is right when both apply. */
        int bad_time =
            (how == D_UNTIL && arg < before) || (how == D_FOR && arg > VIV_TIME_NEVER - before);
        if (!(bad_time && rc == VIV_EINVAL))
            expect(c, rc, VIV_ESTATE, "a driver called inside a callback");
        return;
    }
    if (c->budget_hit)
        return;
    c->in_driver = 1;
    c->drv_start = viv_sim_events(c->sim);
    c->drv_budget = budget;
    c->tcp_period = TCP_TICK_NS;
    if (how != D_STEP)
        tick_arm(c);
    const char *what;
#if API2
    viv_time_t next = viv_sim_next_time(c->sim);
#endif
    switch (how) {
    case D_STEP:
        what = "viv_sim_step";
        rc = viv_sim_step(c->sim);
#if API2
        /* The event step runs is the one next_time announced (unless (j) is avoided). */
        if (!(VIV_APIFUZZ_AVOID_NEXT_TIME_OBSERVERS && c->link_watched)) {
            if (!c->dying && rc == 1 && viv_sim_now(c->sim) != next)
                fail(c, "viv_sim_next_time said %llu ns, viv_sim_step ran an event at %llu ns",
                     (unsigned long long)next, (unsigned long long)viv_sim_now(c->sim));
            if (rc == 0 && next != VIV_TIME_NEVER)
                fail(c, "viv_sim_step ran nothing though viv_sim_next_time said %llu ns",
                     (unsigned long long)next);
        }
#endif
        break;
    case D_RUN:
        what = "viv_sim_run";
        rc = viv_sim_run(c->sim);
        break;
    case D_UNTIL:
        what = "viv_sim_run_until";
        rc = viv_sim_run_until(c->sim, arg);
        break;
    default:
        what = "viv_sim_run_for";
        rc = viv_sim_run_for(c->sim, arg);
        break;
    }
    c->in_driver = 0;
    c->drv_budget = 0;
    if (c->dying) { /* freed from a callback: the driver freed it on its way out */
        c->gone = 1;
        c->tick_armed = 0;
        forget_all(c);
        obs(c, (uint64_t)(int64_t)rc);
        return;
    }
    if (c->tick_armed) {
        int k = viv_sim_cancel(c->sim, c->tick_id);
        if (k != 1)
            fail(c, "cancelling a pending event returned %d", k);
        c->tick_armed = 0;
    }
    rc_check(c, rc, what);
    if (how == D_STEP && rc > 1)
        fail(c, "viv_sim_step returned %d", rc);
    viv_time_t now = viv_sim_now(c->sim);
    /* run_until/run_for leave the clock at their target unless stopped. */
    if (rc == 0 && (how == D_UNTIL || how == D_FOR)) {
        viv_time_t want = how == D_UNTIL                  ? arg
                          : arg > VIV_TIME_NEVER - before ? VIV_TIME_NEVER
                                                          : before + arg;
        if (now > want)
            fail(c, "%s(%llu) left the clock past its target, at %llu", what,
                 (unsigned long long)want, (unsigned long long)now);
    }
    c->last_fp = viv_sim_fingerprint(c->sim);
    obs(c, c->last_fp);
    obs(c, viv_sim_events(c->sim));
    obs(c, now);
}

/* ---- ops: the simulation --------------------------------------------------------------------- */

static void op_step(actx *c, rd *r)
{
    unsigned k = 1 + u8(r) % 16;
    for (unsigned i = 0; i < k && !c->gone; i++)
        drive(c, D_STEP, 0, 0);
}

static void op_run_for(actx *c, rd *r)
{
    viv_time_t d = pick_dur(c, r);
    if (c->gone)
        return;
#if VIV_APIFUZZ_AVOID_TIME_NEVER
    viv_time_t now = viv_sim_now(c->sim);
    if (d >= VIV_TIME_NEVER - now)
        d = VIV_TIME_NEVER - 1 - now;
#endif
    drive(c, D_FOR, d, 0);
}

static void op_run_until(actx *c, rd *r)
{
    uint8_t b = u8(r);
    viv_time_t d = pick_dur(c, r);
    viv_time_t now = viv_sim_now(c->sim), t;
    switch (b & 7) {
    case 0:
        t = now ? now - 1 : 0; /* the past: EINVAL (if there is one) */
        break;
    case 1:
        t = now;
        break;
    case 2:
        t = VIV_TIME_NEVER;
        break;
    case 3:
        t = VIV_TIME_NEVER - 1;
        break;
    default:
        t = time_after(c, d);
        break;
    }
#if VIV_APIFUZZ_AVOID_TIME_NEVER
    if (t == VIV_TIME_NEVER)
        t--;
#endif
    if (t < now && !c->depth) {
        int rc = CALL(c, viv_sim_run_until(c->sim, t));
        expect(c, rc, VIV_EINVAL, "viv_sim_run_until(a time in the past)");
        return;
    }
    drive(c, D_UNTIL, t, 0);
}

static void op_run(actx *c, rd *r)
{
    static const uint64_t budgets[] = {1, 2, 10, 100, 1000, 5000, 64, 300};
    drive(c, D_RUN, 0, PICK(r, budgets));
}

static void op_schedule(actx *c, rd *r)
{
    uint8_t m = u8(r);
    viv_time_t d = pick_dur(c, r);
    script sc = take(r, 40);
    uint16_t repeat = (m & 0x30) == 0x30 ? u8(r) % 64 : 0;
    evrec *e = NULL;
    for (int i = 0; i < c->nev; i++)
        if (!c->ev[i].pending && !c->ev[i].has_id) {
            e = &c->ev[i];
            break;
        }
    if (!e && c->nev < NEVREC)
        e = &c->ev[c->nev++];
    if (!e)
        return;
    viv_event_id stale = e->stale;
    memset(e, 0, sizeof(*e));
    e->c = c;
    e->stale = stale;
    e->sc = sc;
    e->repeat = repeat;
    e->period = d;
    viv_time_t now = viv_sim_now(c->sim);
    viv_event_id *idp = (m & 2) ? NULL : &e->id;
    if ((m & 0xc0) == 0xc0) { /* bad arguments */
        int rc = (m & 1) ? CALL(c, viv_sim_schedule_at(idp, c->sim, now, NULL, e))
                         : CALL(c, viv_sim_schedule_after(idp, NULL, d, event_cb, e));
        expect(c, rc, VIV_EINVAL, "scheduling with a NULL callback or simulation");
        return;
    }
    int rc;
    viv_time_t at;
    if (m & 1) {
        switch ((m >> 2) & 3) {
        case 0:
            at = now ? now - 1 : now;
            break;
        case 1:
            at = VIV_TIME_NEVER;
            break;
        default:
            at = d > VIV_TIME_NEVER - now ? VIV_TIME_NEVER : now + d;
            break;
        }
#if VIV_APIFUZZ_AVOID_TIME_NEVER
        if (at == VIV_TIME_NEVER)
            at--;
#endif
        rc = CALL(c, viv_sim_schedule_at(idp, c->sim, at, event_cb, e));
        if (at < now)
            expect(c, rc, VIV_EINVAL, "viv_sim_schedule_at(a time in the past)");
    } else {
#if VIV_APIFUZZ_AVOID_TIME_NEVER
        if (now == VIV_TIME_NEVER)
            return;
#endif
        rc = CALL(c, viv_sim_schedule_after(idp, c->sim, d, event_cb, e));
        at = now + d;
        if (rc == 0 && d > VIV_TIME_NEVER - now)
            fail(c,
                 "viv_sim_schedule_after(%llu) at %llu ns accepted a time past the end "
                 "of time (it wraps to %llu)",
                 (unsigned long long)d, (unsigned long long)now, (unsigned long long)at);
    }
    if (rc == 0) {
        e->pending = 1;
        e->has_id = idp != NULL;
        e->at = at;
    }
}

static void op_cancel(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int rc;
    switch (m & 3) {
    case 0:
    case 1: {
        if (!c->nev)
            return;
        evrec *e = &c->ev[u8(r) % c->nev];
        if (e->has_id) {
            int was = e->pending;
            rc = CALL(c, viv_sim_cancel(c->sim, e->id));
            expect(c, rc, was ? 1 : 0, "viv_sim_cancel(a scheduled event)");
            e->pending = 0;
            e->has_id = 0;
            e->stale = e->id;
        } else if (e->stale && !VIV_APIFUZZ_AVOID_STALE_CANCEL) {
            rc = CALL(c, viv_sim_cancel(c->sim, e->stale));
            expect(c, rc, 0, "viv_sim_cancel(an event that ran or was cancelled)");
        }
        break;
    }
    case 2: { /* ids never issued */
        viv_event_id id = (m & 4) ? u32(r) : (UINT64_C(0xffffffff) << 32 | u16(r));
        rc = CALL(c, viv_sim_cancel(c->sim, id));
        expect(c, rc, VIV_EINVAL, "viv_sim_cancel(an id never issued)");
        break;
    }
    default:
        rc = CALL(c, viv_sim_cancel(NULL, 1));
        expect(c, rc, VIV_EINVAL, "viv_sim_cancel(NULL)");
        break;
    }
}

static void op_sim_query(actx *c, rd *r)
{
    uint8_t m = u8(r);
    obs(c, viv_sim_now(c->sim));
    obs(c, viv_sim_seed(c->sim));
    obs(c, viv_sim_pending(c->sim));
    obs(c, viv_sim_events(c->sim));
    obs(c, viv_sim_fingerprint(c->sim));
    if (!c->tcp_drained) /* else the two runs' messages name their own ways of reading */
        obs(c, hash_bytes(viv_sim_errmsg(c->sim), strlen(viv_sim_errmsg(c->sim))));
#if API2
    viv_time_t next = viv_sim_next_time(c->sim);
    if (next < viv_sim_now(c->sim) || (next == VIV_TIME_NEVER) != (viv_sim_pending(c->sim) == 0))
        fail(c, "viv_sim_next_time gave %llu ns at %llu ns with %zu events pending",
             (unsigned long long)next, (unsigned long long)viv_sim_now(c->sim),
             viv_sim_pending(c->sim));
    obs(c, next);
    if (viv_sim_next_time(NULL) != VIV_TIME_NEVER)
        fail(c, "viv_sim_next_time(NULL) is not VIV_TIME_NEVER");
#endif
    if (m & 1) { /* NULL is harmless everywhere */
        if (viv_sim_now(NULL) || viv_sim_seed(NULL) || viv_sim_pending(NULL) ||
            viv_sim_events(NULL) || viv_sim_fingerprint(NULL) || viv_sim_errmsg(NULL)[0])
            fail(c, "a simulation getter gave nonzero for NULL");
        viv_sim_stop(NULL);
        expect(c, CALL(c, viv_sim_new(NULL, NULL)), VIV_EINVAL, "viv_sim_new(NULL)");
    }
    if (m & 2)
        sim_stop(c); /* outside a driver: nothing; inside: the driver returns */
    if (m & 4) {
        viv_rng_t g;
        int rc = CALL(c, viv_sim_rng(&g, c->sim, (m & 8) ? u64(r) : u8(r)));
        if (rc == 0) {
            obs(c, viv_rng_u64(&g));
            double u = viv_rng_uniform(&g);
            if (!(u >= 0 && u < 1))
                fail(c, "viv_rng_uniform gave %g", u);
            uint64_t bound = (m & 16) ? u64(r) : u8(r);
            uint64_t x = viv_rng_below(&g, bound);
            if (bound ? x >= bound : x != 0)
                fail(c, "viv_rng_below(%llu) gave %llu", (unsigned long long)bound,
                     (unsigned long long)x);
            double mean = (m & 32) ? -1.0 : (double)u8(r) / 7.0;
            double ex = viv_rng_exp(&g, mean);
            if (!(ex >= 0))
                fail(c, "viv_rng_exp(%g) gave %g", mean, ex);
            uint64_t bits;
            memcpy(&bits, &ex, 8);
            obs(c, bits ^ x);
        }
        expect(c, CALL(c, viv_sim_rng(NULL, c->sim, 1)), VIV_EINVAL, "viv_sim_rng(NULL out)");
    }
}

/* viv_sim_free from a callback: the driver frees the simulation when the callback returns.
 * At top level the run simply ends here (the final audit is skipped). */
static void op_sim_free(actx *c, rd *r)
{
    if (u8(r) != 0x5f || c->in_kit) /* testing.h: not inside viv_run_until and friends */
        return;
    viv_sim_free(c->sim);
    if (c->depth) {
        c->dying = 1;
    } else {
        c->gone = 1;
        forget_all(c);
    }
}

/* ---- ops: making things ---------------------------------------------------------------------- */

static void fill_host_opts(rd *r, viv_host_opts *o)
{
    static const uint8_t ttls[] = {0, 1, 2, 64, 255, 0, 0, 3};
    static const viv_time_t reach[] = {0, 1, 1000, VIV_MS(10), VIV_S(1), VIV_S(60), VIV_S(3600), 0};
    static const viv_time_t retry[] = {0, 1, 1000, VIV_MS(10), VIV_S(1), VIV_S(5), VIV_MS(100), 0};
    static const uint32_t attempts[] = {0, 1, 2, 3, 8, 64, 0, 1};
    static const uint32_t queue[] = {0, 1, 2, 3, 16, 64, 0, 1};
    o->name = pick_name(r);
    uint8_t b = u8(r);
    o->forwarding = b & 1;
    o->default_ttl = ttls[(b >> 1) & 7];
    o->arp_reachable_ns = reach[(b >> 4) & 7];
    b = u8(r);
    o->arp_retry_ns = retry[b & 7];
    o->arp_attempts = attempts[(b >> 3) & 7];
    o->arp_queue = queue[(b >> 5) & 7];
    b = u8(r);
#if API2
    static const uint32_t maxent[] = {0, 0, 1, 2, 8, 1024, 4096, UINT32_MAX};
    static const viv_time_t gc[] = {
        0, 0, 1, VIV_MS(1), VIV_S(1), VIV_S(60), VIV_TIME_NEVER, VIV_S(3600)};
    o->arp_max_entries = maxent[b & 7];
    o->arp_gc_stale_ns = gc[(b >> 3) & 7];
#endif
}

/* The ARP cache limit a host was made with. */
static uint32_t host_arp_max(const viv_host_opts *o)
{
#if API2
    return o && o->arp_max_entries ? o->arp_max_entries : 1024;
#else
    (void)o;
    return ARP_LIMIT;
#endif
}

static void fill_iface_opts(actx *c, rd *r, viv_iface_opts *o)
{
    static const uint32_t mtus[] = {0, 0, 0, 67, 68, 576, 1500, 9000, 65535, 65536, 0, 100};
    o->name = pick_name(r);
    uint8_t b = u8(r);
    if (b & 1)
        o->mac = pick_mac(c, r);
    o->mtu = mtus[(b >> 1) % (sizeof mtus / sizeof mtus[0])];
}

static void add_ifaces(actx *c, rd *r, viv_host_t *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t b = u8(r);
        if (b & 1) {
            viv_iface_opts io = VIV_IFACE_OPTS_INIT;
            fill_iface_opts(c, r, &io);
            CALL(c, viv_host_add_iface(h, &io));
        } else {
            CALL(c, viv_host_add_iface(h, NULL));
        }
    }
}

static void op_host_new(actx *c, rd *r)
{
    static const uint32_t nifs[] = {0, 1, 2, 3, 4, 1, 2, 4097};
    uint8_t f = u8(r);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    if (f & 1)
        fill_host_opts(r, &o);
    int s = slot_free(c, K_HOST);
    if (s < 0 || c->nrec >= NREC)
        return;
    viv_host_t *h = NULL;
    int rc;
    if ((f & 0xe0) == 0xe0) { /* bad arguments */
        if (f & 2)
            rc = CALL(c, viv_router_new(&h, NULL, 1, NULL));
        else
            rc = CALL(c, viv_host_new(&h, NULL, NULL));
        expect(c, rc, VIV_EINVAL, "a constructor with a NULL simulation");
#if !VIV_APIFUZZ_AVOID_NULL_OUT
        rc = (f & 2) ? CALL(c, viv_router_new(NULL, c->sim, 1, NULL))
                     : CALL(c, viv_host_new(NULL, c->sim, NULL));
        expect(c, rc, VIV_EINVAL, "a constructor with a NULL out");
#endif
        return;
    }
    if (f & 2) {
        uint32_t n = nifs[(f >> 2) & 7];
        rc = CALL(c, viv_router_new(&h, c->sim, n, (f & 1) ? &o : NULL));
        if (n > 4096)
            expect(c, rc, VIV_EINVAL, "viv_router_new with more than 4096 interfaces");
    } else {
        rc = CALL(c, viv_host_new(&h, c->sim, (f & 1) ? &o : NULL));
    }
    if (rc < 0)
        return;
    int ri = rec_new(c, K_HOST, h);
    slot_put(c, ri, s);
    c->recs[ri].arp_max = host_arp_max((f & 1) ? &o : NULL);
    if (!(f & 2))
        add_ifaces(c, r, h, (f >> 2) & 3);
    obs(c, hash_bytes(viv_node_name(viv_host_node(h)), strlen(viv_node_name(viv_host_node(h)))));
}

static void op_l2_new(actx *c, rd *r)
{
    static const uint32_t nports[] = {1, 2, 3, 4, 6, 2, 3, 0, 4097, 4096, 2, 3};
    static const viv_time_t aging[] = {0, 1, 1000, VIV_MS(1), VIV_S(1), VIV_S(300), 0, 0};
    static const uint32_t capa[] = {0, 1, 2, 4, 8192, 1u << 24, (1u << 24) + 1, 0};
    uint8_t f = u8(r);
    int kind = (f & 3) == 0 ? K_HUB : (f & 3) == 1 ? K_SW : K_DEV;
    uint32_t np = nports[(f >> 2) % (sizeof nports / sizeof nports[0])];
    viv_sim_t *sim = (f & 0xf0) == 0xf0 ? NULL : c->sim; /* bad argument */
    if (np == 4096 && (f & 0x40))                        /* rarely the largest */
        np = 5;
    int s = slot_free(c, kind);
    if (s < 0 || c->nrec >= NREC)
        return;
    int ri = rec_new(c, kind, NULL); /* the callback's user pointer must exist first */
    rec *o = &c->recs[ri];
    const char *name = pick_name(r);
    void *h = NULL;
    int rc;
    if (kind == K_HUB) {
        viv_hub_opts ho = VIV_HUB_OPTS_INIT;
        ho.name = name;
        viv_hub_t *x = NULL;
        rc = CALL(c, viv_hub_new(&x, sim, np, name ? &ho : NULL));
        h = x;
    } else if (kind == K_SW) {
        viv_switch_opts so = VIV_SWITCH_OPTS_INIT;
        so.name = name;
        uint8_t b = u8(r);
        so.aging_ns = aging[b & 7];
        so.capacity = capa[(b >> 3) & 7];
        viv_switch_t *x = NULL;
        rc = CALL(c, viv_switch_new(&x, sim, np, (b & 0x40) ? NULL : &so));
        if (rc == 0 && !(b & 0x40) && so.capacity > (1u << 24))
            fail(c, "viv_switch_new accepted a capacity above 2^24");
        h = x;
    } else {
        viv_device_opts dopt = VIV_DEVICE_OPTS_INIT;
        dopt.name = name;
        uint8_t b = u8(r);
        if (!(b & 0x80)) {
            dopt.rx = device_rx;
            dopt.user = o;
        }
        o->mode = b;
        o->sc = take(r, 40);
        viv_device_t *x = NULL;
        rc = CALL(c, viv_device_new(&x, sim, np, &dopt));
        h = x;
    }
    if (!sim) {
        expect(c, rc, VIV_EINVAL, "a node constructor with a NULL simulation");
#if !VIV_APIFUZZ_AVOID_NULL_OUT
        viv_device_opts dn = VIV_DEVICE_OPTS_INIT;
        rc = kind == K_HUB  ? CALL(c, viv_hub_new(NULL, c->sim, 2, NULL))
             : kind == K_SW ? CALL(c, viv_switch_new(NULL, c->sim, 2, NULL))
                            : CALL(c, viv_device_new(NULL, c->sim, 2, &dn));
        expect(c, rc, VIV_EINVAL, "a node constructor with a NULL out");
        rc = VIV_EINVAL;
#endif
    } else if (np == 0 || np > 4096) {
        expect(c, rc, VIV_EINVAL, "a node with 0 or more than 4096 ports");
    }
    if (rc < 0) {
        o->freed = 1;
        return;
    }
    o->h = h;
    o->nports = np;
    slot_put(c, ri, s);
}

static void pick_params(actx *c, rd *r, viv_link_params *p)
{
    static const uint64_t rates[] = {
        0,         1,          1000,           56000,          1000000,
        100000000, 1000000000, 10000000000ull, 40000000000ull, UINT64_MAX,
        0,         1000000000};
    static const viv_time_t delays[] = {
        0, 1,         1000, VIV_MS(1), VIV_MS(50), VIV_S(1), VIV_TIME_NEVER - 1, VIV_TIME_NEVER,
        0, VIV_US(10)};
    static const uint32_t qf[] = {0, 1, 2, 5, 100, 1000, UINT32_MAX, 0};
    static const uint64_t qb[] = {0, 1, 100, 1500, 64000, UINT64_MAX, 0, 0};
    static const uint32_t mtus[] = {0,
                                    67,
                                    68,
                                    100,
                                    576,
                                    1500,
                                    9000,
                                    65535,
                                    UINT32_MAX,
                                    65536,
                                    0,
                                    1500,
                                    UINT32_MAX - 14,
                                    UINT32_MAX - 13,
                                    0,
                                    0};
    static const uint32_t ovh[] = {0, 1, 24, VIV_LINK_OVERHEAD_NONE, 1000, 0, 0, 0};
    viv_link_params def = VIV_LINK_PARAMS_INIT;
    *p = def;
    uint8_t m = u8(r);
    if (m & 1)
        p->rate_bps = u8(r) == 0xff ? u64(r) : PICK(r, rates);
    if (m & 2)
        p->delay_ns = PICK(r, delays);
    if (m & 4) {
        p->queue_frames = PICK(r, qf);
        p->queue_bytes = PICK(r, qb);
    }
    if (m & 8) {
        uint8_t b = u8(r);
        p->mtu = b == 0xff ? u32(r) : mtus[b % (sizeof mtus / sizeof mtus[0])];
        p->overhead_bytes = PICK(r, ovh);
#if VIV_APIFUZZ_AVOID_LINK_MTU_MAX
        if (p->mtu > UINT32_MAX - 14)
            p->mtu = 65535;
#endif
    }
    if (m & 16) {
        p->loss = pick_prob(r);
        p->corrupt = pick_prob(r);
        p->duplicate = pick_prob(r);
    }
    if (m & 32) {
        p->burst.p_good_bad = pick_prob(r);
        p->burst.p_bad_good = pick_prob(r);
        p->burst.loss_good = pick_prob(r);
        p->burst.loss_bad = pick_prob(r);
    }
    if (m & 64) {
        p->jitter_ns = PICK(r, delays);
        p->jitter_reorder = u8(r) & 1;
        p->reorder = pick_prob(r);
        p->reorder_delay_ns = PICK(r, delays);
    }
    if (m & 128) {
        static const uint32_t offs[] = {0, 0, 14, 34, 60, 1000, UINT32_MAX, 1};
        static const uint32_t lens[] = {0, 0, 1, 2, 20, 64, UINT32_MAX, 8};
        viv_time_t dd = PICK(r, delays);
        uint32_t co = PICK(r, offs), cl = PICK(r, lens);
#if API2
        p->duplicate_delay_ns = dd;
        p->corrupt_offset = co;
        p->corrupt_len = cl;
#else
        (void)dd;
        (void)co;
        (void)cl;
#endif
    }
    (void)c;
}

static int params_valid(const viv_link_params *p)
{
    const double pr[] = {p->loss,
                         p->corrupt,
                         p->duplicate,
                         p->reorder,
                         p->burst.p_good_bad,
                         p->burst.p_bad_good,
                         p->burst.loss_good,
                         p->burst.loss_bad};
    for (size_t i = 0; i < sizeof pr / sizeof pr[0]; i++)
        if (!(pr[i] >= 0 && pr[i] <= 1))
            return 0;
#if API2
    if (p->mtu && (p->mtu < VIV_LINK_MTU_MIN || p->mtu > VIV_LINK_MTU_MAX))
        return 0;
#endif
    return 1;
}

/* Read back the resolved MTU of each direction, keeping the smallest each has had. */
static void link_note_mtu(actx *c, rec *o)
{
    for (int d = 0; d < 2; d++) {
        viv_link_params p;
        if (CALL(c, viv_link_params_get(&p, o->h, (viv_link_dir)d)) == 0) {
            obs_link_params(c, &p);
            if (p.mtu < o->min_mtu[d])
                o->min_mtu[d] = p.mtu;
            if (p.duplicate > 0 && !o->dup) {
                o->dup = 1;
                recompute_loop(c);
            }
        }
    }
}

static void op_link_new(actx *c, rd *r)
{
    uint8_t f = u8(r);
    int ea, eb;
    viv_port_t *a = pick_port(c, r, &ea);
    viv_port_t *b = (f & 0xf0) == 0x10 ? a : pick_port(c, r, &eb);
    if ((f & 0xf0) == 0x10)
        eb = ea;
    viv_link_params p;
    int with = f & 1;
    if (with)
        pick_params(c, r, &p);
    int s = slot_free(c, K_LINK);
    if (s < 0 || c->nrec >= NREC)
        return;
#if !VIV_APIFUZZ_AVOID_NULL_OUT
    if ((f & 0xf0) == 0x20) {
        expect(c, CALL(c, viv_link_new(NULL, c->sim, a, b, NULL)), VIV_EINVAL,
               "viv_link_new(NULL out)");
        return;
    }
#endif
    viv_link_t *l = NULL;
    int rc = CALL(c, viv_link_new(&l, c->sim, a, b, with ? &p : NULL));
    if (!a || !b || a == b || ea < 0 || eb < 0 || (with && !params_valid(&p)))
        expect(c, rc, rc == VIV_EBUSY ? VIV_EBUSY : VIV_EINVAL,
               "viv_link_new with a NULL, repeated or foreign port or bad parameters");
    if (rc < 0)
        return;
    int ri = rec_new(c, K_LINK, l);
    rec *o = &c->recs[ri];
    o->end[0] = (int16_t)ea;
    o->end[1] = (int16_t)eb;
    o->min_mtu[0] = o->min_mtu[1] = UINT32_MAX;
    slot_put(c, ri, s);
    link_note_mtu(c, o);
    if (viv_link_port(l, 0) != a || viv_link_port(l, 1) != b || viv_port_link(a) != l ||
        viv_port_link(b) != l)
        fail(c, "a new link's ports do not match");
    recompute_loop(c);
    if (c->risky && c->in_driver)
        tick_arm(c);
}

static void op_link(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int ri = pick(c, r, K_LINK);
    rec *o = ri >= 0 ? &c->recs[ri] : NULL;
    viv_link_t *l = o && !(m & 0x80 && (m & 0x40)) ? o->h : NULL;
    viv_link_dir dir = pick_dir(r);
    int rc;
    switch (m & 7) {
    case 0: {
        viv_link_params p;
        pick_params(c, r, &p);
        rc = CALL(c, viv_link_set_params(l, dir, (m & 8) ? NULL : &p));
        if (!l || (unsigned)dir > 2 || (m & 8) || !params_valid(&p))
            expect(c, rc, VIV_EINVAL, "viv_link_set_params with bad arguments");
        if (rc == 0)
            link_note_mtu(c, o);
        if (c->risky && c->in_driver)
            tick_arm(c);
        break;
    }
    case 1: {
        double p = pick_prob(r);
        rc = CALL(c, viv_link_set_loss(l, dir, p));
        if (!l || (unsigned)dir > 2 || !(p >= 0 && p <= 1))
            expect(c, rc, VIV_EINVAL, "viv_link_set_loss with bad arguments");
        break;
    }
    case 2: {
        static const viv_time_t delays[] = {
            0, 1, 1000, VIV_MS(1), VIV_S(1), VIV_TIME_NEVER - 1, VIV_TIME_NEVER, VIV_US(5)};
        rc = CALL(c, viv_link_set_delay(l, dir, PICK(r, delays)));
        break;
    }
    case 3: {
        static const uint64_t rates[] = {0,          1,          1000, 1000000,
                                         1000000000, UINT64_MAX, 9600, 100000000};
        uint64_t rate = PICK(r, rates);
        rc = CALL(c, viv_link_set_rate(l, dir, rate));
        if (rate == 0)
            expect(c, rc, VIV_EINVAL, "viv_link_set_rate(0)");
        break;
    }
    case 4: {
        static const int ups[] = {0, 1, 0, 1, 2, -1};
        rc = CALL(c, viv_link_set_up(l, dir, PICK(r, ups)));
        if (l && (unsigned)dir <= 1) {
            int up = viv_link_is_up(l, dir);
            if (up != 0 && up != 1)
                fail(c, "viv_link_is_up gave %d", up);
            obs(c, (uint64_t)up);
        }
        break;
    }
    case 5: {
        uint8_t b = u8(r);
        uint8_t v[4];
        for (int i = 0; i < 4; i++)
            v[i] = (b & (1u << i)) ? u8(r) : 0;
        static const viv_time_t delays[] = {
            0, 1, 1000, VIV_MS(1), VIV_S(1), VIV_TIME_NEVER - 1, VIV_TIME_NEVER, VIV_US(5)};
        viv_time_t dl = PICK(r, delays);
        script sc = take(r, 40);
        if (o) {
            memcpy(o->verdict, v, sizeof v);
            o->delay = dl;
            o->sc = sc;
        }
        rc = CALL(c, viv_link_set_intercept(l, dir, (b & 0x80) ? NULL : intercept_cb, o));
        break;
    }
    case 6: {
        viv_frame_match mt = VIV_FRAME_MATCH_INIT;
        uint8_t b = u8(r);
        if (b & 1)
            mt.ethertype = (b & 2) ? 0x0806 : 0x0800;
        if (b & 4)
            mt.ip_proto = (b & 8) ? 1 : 17;
        if (b & 16)
            mt.ip_dst = pick_ip(c, r);
        if (b & 32)
            mt.dport = pick_uport(r);
        static const uint32_t nths[] = {1, 1, 2, 3, 0, 10, UINT32_MAX, 1};
        uint32_t nth = PICK(r, nths);
        rc = CALL(c, viv_link_drop_nth(l, dir, (b & 0x80) ? NULL : &mt, nth));
        if (!l || (unsigned)dir > 1 || nth == 0 || (b & 0x80))
            expect(c, rc, VIV_EINVAL, "viv_link_drop_nth with bad arguments");
        break;
    }
    default: { /* read everything */
        for (int d = 0; d < 3; d++) {
            viv_link_stats_t st;
            rc = CALL(c, viv_link_stats(&st, l, (viv_link_dir)d));
            if (d == 2 || !l)
                expect(c, rc, VIV_EINVAL, "viv_link_stats with a bad direction or NULL");
            if (rc == 0) {
                obs_link_stats(c, &st);
                if (o->min_mtu[d] >= 65535 && st.drop_mtu)
                    fail(c,
                         "a link direction whose MTU was never below %u dropped %llu "
                         "frames as too big",
                         o->min_mtu[d], (unsigned long long)st.drop_mtu);
            }
        }
        if (viv_link_port(l, 2) || viv_link_port(l, -1) || viv_link_port(NULL, 0))
            fail(c, "viv_link_port gave a port for a bad argument");
        break;
    }
    }
}

/* ---- ops: hosts ------------------------------------------------------------------------------ */

static void host_inspect(actx *c, rd *r, viv_host_t *h, uint32_t arp_max)
{
    uint32_t n = viv_host_iface_count(h);
    obs(c, n);
    uint32_t i = n ? u8(r) % (n + 1) : 0;
    viv_ip4_t ip = 0;
    uint8_t len = 0;
    int rc = CALL(c, viv_host_addr(&ip, &len, h, i));
    obs(c, (uint64_t)ip << 8 | len);
    viv_mac_t mac;
    if (CALL(c, viv_host_mac(&mac, h, i)) == 0)
        obs(c, hash_bytes(&mac, sizeof mac));
    const char *nm = viv_host_iface_name(h, i);
    obs(c, hash_bytes(nm, strlen(nm)));
    obs(c, (uint64_t)(viv_host_port(h, i) != NULL));
    if (viv_host_sim(h) != c->sim)
        fail(c, "viv_host_sim gave another simulation");
    int has = viv_host_has_addr(h, rc == 0 ? ip : pick_ip(c, r));
    if (has != 0 && has != 1)
        fail(c, "viv_host_has_addr gave %d", has);
    if (rc == 0 && !has)
        fail(c, "a host does not have its own interface's address");
    size_t cap = pick_cap(r) / 16;
    viv_route *rows = malloc((cap ? cap : 1) * sizeof(*rows));
    if (rows) {
        rc = CALL(c, viv_host_routes(h, cap ? rows : NULL, cap));
        for (size_t k = 0; rc > 0 && k < (size_t)rc && k < cap; k++)
            obs_route(c, &rows[k]);
        free(rows);
    }
    TEXT(c, viv_host_routes_text(h, buf, cap_), pick_cap(r));
    cap = pick_cap(r) / 16;
    viv_arp_entry *arp = malloc((cap ? cap : 1) * sizeof(*arp));
    if (arp) {
        rc = CALL(c, viv_host_arp_table(h, cap ? arp : NULL, cap));
        if (rc >= 0)
            for (size_t k = 0; k < (size_t)rc && k < cap; k++) {
                obs(c, (uint64_t)arp[k].ip << 32 | arp[k].state);
                obs(c, arp[k].age_ns ^ arp[k].queued);
            }
#if !VIV_APIFUZZ_AVOID_ARP_GROWTH
        if (rc > 0 && arp_max != UINT32_MAX && (uint32_t)rc > arp_max)
            fail(c,
                 "a host's ARP cache holds %d entries, past its limit of %u: it grows "
                 "without bound",
                 rc, arp_max);
#else
        (void)arp_max;
#endif
        free(arp);
    }
    TEXT(c, viv_host_arp_table_text(h, buf, cap_), pick_cap(r));
    viv_ip_stats_t st;
    if (CALL(c, viv_host_ip_stats(&st, h)) == 0)
        obs(c, hash_bytes(&st, sizeof st));
    viv_udp_host_stats_t us;
    if (CALL(c, viv_host_udp_stats(&us, h)) == 0)
        obs(c, hash_bytes(&us, sizeof us));
    cap = pick_cap(r) / 16;
    viv_sock_info *si = malloc((cap ? cap : 1) * sizeof(*si));
    if (si) {
        rc = CALL(c, viv_host_netstat(h, cap ? si : NULL, cap));
        for (size_t k = 0; rc > 0 && k < (size_t)rc && k < cap; k++) {
            obs(c, (uint64_t)si[k].local.ip << 16 | si[k].local.port);
            obs(c, (uint64_t)si[k].remote.ip << 16 | si[k].remote.port);
            obs(c, (uint64_t)si[k].state << 32 | si[k].recv_q);
            obs(c, hash_bytes(si[k].state_name, strlen(si[k].state_name)));
        }
        free(si);
    }
    uint32_t flags = u8(r) & 3;
    TEXT(c, viv_host_netstat_text(h, flags, buf, cap_), pick_cap(r));
}

static void op_host(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int ri = pick(c, r, K_HOST);
    viv_host_t *h = handle(c, ri);
    if ((m & 0xf0) == 0xf0)
        h = NULL; /* bad argument */
    uint32_t n = viv_host_iface_count(h);
    uint8_t ib = u8(r);
    uint32_t iface = ib == 0xff ? UINT32_MAX : (n ? ib % (n + (ib >= 0xf0)) : 0);
    int rc;
    switch (m & 15) {
    case 0:
        add_ifaces(c, r, h, 1);
        break;
    case 1:
    case 2:
    case 3: {
        viv_ip4_t ip = pick_ip(c, r);
        uint8_t len = pick_prefix(r);
        rc = CALL(c, viv_host_add_addr(h, iface, ip, len));
        if (rc == 0 && (!h || len > 32 || iface >= n))
            fail(c, "viv_host_add_addr accepted a bad argument");
        break;
    }
    case 4:
        rc = CALL(c, viv_host_del_addr(h, pick_ip(c, r)));
        break;
    case 5:
    case 6: {
        viv_ip4_t dst = pick_ip(c, r), gw = (u8(r) & 1) ? VIV_IP4_ANY : pick_ip(c, r);
        uint8_t len = pick_prefix(r);
        int ifc = (ib & 0x80) ? -1 : (int)iface;
        static const uint32_t metrics[] = {0, 1, 5, 100, UINT32_MAX, 0};
        rc = CALL(c, viv_host_route_add(h, dst, len, gw, ifc, PICK(r, metrics)));
        if (rc == 0 && (len > 32 || !h))
            fail(c, "viv_host_route_add accepted a bad argument");
        break;
    }
    case 7:
        CALL(c, viv_host_set_gateway(h, pick_ip(c, r)));
        break;
    case 8: {
        viv_ip4_t dst = pick_ip(c, r);
        rc = CALL(c, viv_host_route_del(h, dst, pick_prefix(r)));
        break;
    }
    case 9: {
        static const int on[] = {0, 1, 2, -1};
        CALL(c, viv_host_set_forwarding(h, PICK(r, on)));
        break;
    }
    case 10: {
        viv_route rt;
        rc = CALL(c, viv_host_route_lookup((m & 0x10) ? NULL : &rt, h, pick_ip(c, r)));
        if (rc == 0 && !(m & 0x10))
            obs_route(c, &rt);
        break;
    }
    case 11:
    case 12:
        if (h)
            host_inspect(c, r, h, c->recs[ri].arp_max);
        else { /* every getter takes NULL */
            viv_ip4_t ip;
            expect(c, CALL(c, viv_host_addr(&ip, NULL, NULL, 0)), VIV_EINVAL,
                   "viv_host_addr(NULL host)");
            expect(c, CALL(c, viv_host_routes(NULL, NULL, 0)), VIV_EINVAL, "viv_host_routes(NULL)");
            expect(c, CALL(c, viv_host_arp_table(NULL, NULL, 0)), VIV_EINVAL,
                   "viv_host_arp_table(NULL)");
            expect(c, CALL(c, viv_host_netstat(NULL, NULL, 0)), VIV_EINVAL,
                   "viv_host_netstat(NULL)");
            if (viv_host_iface_count(NULL) || viv_host_port(NULL, 0) || viv_host_node(NULL) ||
                viv_host_sim(NULL) || viv_host_has_addr(NULL, 1) || viv_host_iface_name(NULL, 0)[0])
                fail(c, "a host getter gave something for NULL");
        }
        break;
    case 13: { /* text with a NULL buffer and a nonzero capacity */
        if (!h)
            break;
        expect(c, CALL(c, viv_host_routes_text(h, NULL, 8)), VIV_EINVAL,
               "viv_host_routes_text(NULL buffer, cap 8)");
        expect(c, CALL(c, viv_host_arp_table(h, NULL, 3)), VIV_EINVAL,
               "viv_host_arp_table(NULL rows, cap 3)");
        break;
    }
    default: { /* the ports of a host are its interfaces */
        if (!h)
            break;
        for (uint32_t k = 0; k < n; k++) {
            viv_port_t *p = viv_host_port(h, k);
            if (!p || viv_port_node(p) != viv_host_node(h) || viv_port_index(p) != k)
                fail(c, "a host's port %u does not lead back to it", k);
        }
        if (viv_node_port_count(viv_host_node(h)) != n)
            fail(c, "a host has %u interfaces but %u ports", n,
                 viv_node_port_count(viv_host_node(h)));
        break;
    }
    }
}

static void op_node(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int ri = pick_node(c, r);
    viv_node_t *n = (m & 0xf0) == 0xf0 ? NULL : node_of(c, ri);
    switch (m & 3) {
    case 0:
    case 1: {
        static const int ups[] = {0, 1, 0, 1, 2, -1};
        int up = PICK(r, ups);
        int was = viv_node_is_up(n);
        int rc = CALL(c, viv_node_set_up(n, up));
        if (rc == 0 && was && !up)
            host_power_off(c, ri);
        if (!n)
            expect(c, rc, VIV_EINVAL, "viv_node_set_up(NULL)");
        int is = viv_node_is_up(n);
        if (n && rc == 0 && is != (up != 0))
            fail(c, "viv_node_set_up(%d) then viv_node_is_up gives %d", up, is);
        break;
    }
    default: {
        const char *nm = viv_node_name(n);
        obs(c, hash_bytes(nm, strlen(nm)));
        uint32_t np = viv_node_port_count(n);
        uint32_t k = u8(r) % (np + 2);
        viv_port_t *p = viv_node_port(n, k);
        if ((p != NULL) != (k < np))
            fail(c, "viv_node_port(%u) of %u ports gave %p", k, np, (void *)p);
        if (p) {
            if (viv_port_node(p) != n || viv_port_index(p) != k)
                fail(c, "a port does not lead back to its node");
            viv_port_stats_t st;
            if (CALL(c, viv_port_stats(&st, p)) == 0)
                obs(c, hash_bytes(&st, sizeof st));
            viv_link_t *l = viv_port_link(p);
            if (l && viv_link_port(l, 0) != p && viv_link_port(l, 1) != p)
                fail(c, "a port's link does not have the port");
        }
        if (viv_port_node(NULL) || viv_port_index(NULL) || viv_port_link(NULL) ||
            viv_node_port_count(NULL) || viv_node_name(NULL)[0] || viv_node_is_up(NULL))
            fail(c, "a node getter gave something for NULL");
        expect(c, CALL(c, viv_port_stats(NULL, p)), VIV_EINVAL, "viv_port_stats(NULL out)");
        break;
    }
    }
}

static void op_switch(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int ri = pick(c, r, K_SW);
    viv_switch_t *sw = (m & 0xf0) == 0xf0 ? NULL : handle(c, ri);
    int rc;
    switch (m & 3) {
    case 0: {
        static const viv_time_t aging[] = {0,        1,          1000,           VIV_MS(1),
                                           VIV_S(1), VIV_S(300), VIV_TIME_NEVER, VIV_US(3)};
        viv_time_t a = PICK(r, aging);
        rc = CALL(c, viv_switch_set_aging(sw, a));
        if (!sw || a == 0)
            expect(c, rc, VIV_EINVAL, "viv_switch_set_aging(NULL or 0)");
        break;
    }
    case 1:
        rc = CALL(c, viv_switch_clear(sw));
        if (rc == 0 && viv_switch_mac_table(sw, NULL, 0) != 0)
            fail(c, "a cleared switch still has MAC entries");
        break;
    default: {
        size_t cap = pick_cap(r) / 16;
        viv_mac_entry *rows = malloc((cap ? cap : 1) * sizeof(*rows));
        if (rows) {
            rc = CALL(c, viv_switch_mac_table(sw, cap ? rows : NULL, cap));
            for (size_t k = 0; rc > 0 && k < (size_t)rc && k < cap; k++) {
                obs(c, hash_bytes(&rows[k].mac, 6) ^ rows[k].port);
                obs(c, rows[k].age_ns);
            }
            free(rows);
        }
        TEXT(c, viv_switch_mac_table_text(sw, buf, cap_), pick_cap(r));
        viv_switch_stats_t st;
        if (CALL(c, viv_switch_stats(&st, sw)) == 0)
            obs(c, hash_bytes(&st, sizeof st));
        obs(c, (uint64_t)(viv_switch_port(sw, u8(r)) != NULL));
        break;
    }
    }
}

/* ---- ops: subnets and routes ----------------------------------------------------------------- */

static void op_subnet(actx *c, rd *r)
{
    static const char *const cidrs[] = {"10.0.0.0/24",
                                        "10.0.1.0/24",
                                        "10.0.2.0/24",
                                        "10.0.3.0/24",
                                        "10.0.0.0/30",
                                        "10.0.1.0/31",
                                        "10.0.2.5/32",
                                        "10.0.0.0/16",
                                        "0.0.0.0/0",
                                        "10.0.0.1/24",
                                        "garbage",
                                        "10.0.0.0/33",
                                        "",
                                        "10.0.0.0/24 ",
                                        "10.0.0.0/",
                                        "256.0.0.0/8"};
    uint8_t m = u8(r);
    int rc;
    switch (m & 3) {
    case 0: {
        int s = slot_free(c, K_SUB);
        const char *cidr = cidrs[(m >> 2) & 15];
        if (s < 0 || c->nrec >= NREC)
            break;
        viv_subnet_t *sn = NULL;
        rc = CALL(c, viv_subnet_new(&sn, c->sim, (m & 0xc0) == 0xc0 ? NULL : cidr));
#if !VIV_APIFUZZ_AVOID_NULL_OUT
        if ((m & 0xc0) == 0xc0)
            expect(c, CALL(c, viv_subnet_new(NULL, c->sim, cidrs[0])), VIV_EINVAL,
                   "viv_subnet_new(NULL out)");
#endif
        if (rc == 0) {
            int ri = rec_new(c, K_SUB, sn);
            slot_put(c, ri, s);
        }
        break;
    }
    case 1:
    case 2: {
        viv_subnet_t *sn = handle(c, pick(c, r, K_SUB));
        viv_host_t *h = handle(c, pick(c, r, K_HOST));
        uint32_t n = viv_host_iface_count(h);
        uint32_t iface = n ? u8(r) % (n + 1) : 0;
        if (m & 4) {
            viv_ip4_t ip = 0;
            rc = CALL(c, viv_subnet_attach((m & 8) ? NULL : &ip, sn, h, iface));
            obs(c, ip);
        } else {
            rc = CALL(c, viv_subnet_attach_ip(sn, h, iface, pick_ip(c, r)));
        }
        if (!sn || !h)
            expect(c, rc, VIV_EINVAL, "viv_subnet_attach with NULL");
        break;
    }
    default: {
        viv_subnet_t *sn = handle(c, pick(c, r, K_SUB));
        viv_ip4_t ip = 0;
        uint8_t len = 0;
        rc = CALL(c, viv_subnet_prefix((m & 4) ? NULL : &ip, (m & 8) ? NULL : &len, sn));
        obs(c, (uint64_t)ip << 8 | len);
        obs(c, viv_subnet_broadcast(sn));
        break;
    }
    }
}

static void op_compute(actx *c, rd *r)
{
    uint8_t m = u8(r);
    if (m == 0xff) {
        expect(c, CALL(c, viv_sim_compute_routes(NULL)), VIV_EINVAL,
               "viv_sim_compute_routes(NULL)");
        return;
    }
#if !VIV_APIFUZZ_AVOID_COMPUTE_EMPTY
    CALL(c, viv_sim_compute_routes(c->sim));
#endif
}

/* ---- ops: UDP -------------------------------------------------------------------------------- */

static void op_udp_new(actx *c, rd *r)
{
    static const uint32_t rcvbuf[] = {0, 0, 1, 100, 2000, 65536, 0, 10};
    static const uint8_t ttls[] = {0, 1, 64, 255};
    uint8_t m = u8(r);
    int hi = pick(c, r, K_HOST);
    viv_host_t *h = (m & 0xf0) == 0xf0 ? NULL : handle(c, hi);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    uint8_t b = u8(r);
    o.rcvbuf_bytes = rcvbuf[b & 7];
    o.reuse_addr = (b >> 3) & 1;
    o.broadcast = (b >> 4) & 1;
    o.ttl = ttls[(b >> 5) & 3];
    o.tos = (b & 0x80) ? u8(r) : 0;
    uint8_t mode = u8(r);
    script sc = take(r, 40);
    int s = slot_free(c, K_UDP);
    if (s < 0 || c->nrec >= NREC)
        return;
    int ri = rec_new(c, K_UDP, NULL);
    rec *x = &c->recs[ri];
    x->mode = mode;
    x->sc = sc;
    x->host = (int16_t)hi;
    viv_udp_t *u = NULL;
    int rc = CALL(c, viv_udp_new(&u, h, (m & 1) ? NULL : &o, (mode & 0x80) ? NULL : udp_cb, x));
    if (!h) {
        expect(c, rc, VIV_EINVAL, "viv_udp_new(NULL host)");
#if !VIV_APIFUZZ_AVOID_NULL_OUT
        if (hi >= 0)
            expect(c, CALL(c, viv_udp_new(NULL, handle(c, hi), NULL, udp_cb, x)), VIV_EINVAL,
                   "viv_udp_new(NULL out)");
#endif
    }
    if (rc < 0) {
        x->freed = 1;
        return;
    }
    x->h = u;
    slot_put(c, ri, s);
}

static viv_sockaddr_t pick_sa(actx *c, rd *r)
{
    viv_sockaddr_t a;
    uint8_t b = u8(r);
    a.ip = (b & 3) == 0 ? VIV_IP4_ANY : pick_ip(c, r);
    a.port = pick_uport(r);
    return a;
}

static void op_udp(actx *c, rd *r)
{
    static const size_t lens[] = {0, 1, 8, 100, 1000, 1472, 1473, 8972, 65507, 65508, 20, 3};
    uint8_t m = u8(r);
    int ri = pick(c, r, K_UDP);
    viv_udp_t *s = (m & 0xf0) == 0xf0 ? NULL : handle(c, ri);
    int rc;
    switch (m & 7) {
    case 0: {
        viv_sockaddr_t a = pick_sa(c, r);
        rc = CALL(c, viv_udp_bind(s, (m & 8) ? NULL : &a));
        if (!s || (m & 8))
            expect(c, rc, VIV_EINVAL, "viv_udp_bind with NULL");
        break;
    }
    case 1: {
        viv_sockaddr_t a = pick_sa(c, r);
        rc = CALL(c, viv_udp_connect(s, (m & 8) ? NULL : &a));
        break;
    }
    case 2:
    case 3: {
        viv_sockaddr_t a = pick_sa(c, r);
        size_t len = PICK(r, lens);
        if (!bytes_ok(c, len))
            break;
        memset(c->buf, (int)(m ^ len), len);
        if (m & 8)
            rc = CALL(c, viv_udp_send(s, c->buf, len));
        else
            rc = CALL(c, viv_udp_sendto(s, (len || !(m & 0x10)) ? c->buf : NULL, len, &a));
        if (rc >= 0 && (size_t)rc != len)
            fail(c, "viv_udp_sendto of %zu bytes returned %d", len, rc);
        if (rc >= 0 && len > 65507)
            fail(c, "viv_udp_sendto accepted %zu bytes", len);
        break;
    }
    case 4: {
        static const size_t caps[] = {0, 1, 16, 2048};
        size_t cap = caps[(m >> 3) & 3];
        viv_sockaddr_t from;
        uint32_t flags = 0;
        int peek = viv_udp_peek_len(s);
        rc_check(c, peek, "viv_udp_peek_len");
        rc = CALL(c, viv_udp_recvfrom(s, cap ? c->buf : NULL, cap, (m & 0x20) ? NULL : &from,
                                      (m & 0x40) ? NULL : &flags));
        if (rc >= 0 && (size_t)rc > cap)
            fail(c, "viv_udp_recvfrom copied %d bytes into %zu", rc, cap);
        if (rc >= 0 && peek >= 0 && (size_t)rc != ((size_t)peek < cap ? (size_t)peek : cap))
            fail(c, "viv_udp_peek_len said %d, viv_udp_recvfrom(cap %zu) gave %d", peek, cap, rc);
        if (rc >= 0)
            obs(c, hash_bytes(c->buf, (size_t)rc));
        break;
    }
    case 5: {
        if (m & 8) { /* in place: what peek shows is what discard drops */
            const void *data = NULL;
            int peek = viv_udp_peek(s, &data, NULL);
            rc_check(c, peek, "viv_udp_peek");
            if (peek >= 0)
                obs(c, hash_bytes(data, (size_t)peek));
            else if (data)
                fail(c, "viv_udp_peek gave %d and a pointer", peek);
            rc = CALL(c, viv_udp_discard(s));
            if (rc >= 0 && (peek < 0 || rc != peek))
                fail(c, "viv_udp_peek said %d, viv_udp_discard dropped %d", peek, rc);
        } else {
            rc = CALL(c, viv_udp_recv(s, c->buf, sizeof c->buf));
        }
        rc = CALL(c, viv_udp_error(s));
        if (rc > 0)
            fail(c, "viv_udp_error gave %d", rc);
        break;
    }
    case 6: {
        viv_sockaddr_t a = {0, 0};
        rc = CALL(c, viv_udp_local((m & 8) ? NULL : &a, s));
        obs(c, (uint64_t)a.ip << 16 | a.port);
        rc = CALL(c, viv_udp_peer(&a, s));
        obs(c, (uint64_t)a.ip << 16 | a.port);
        viv_udp_stats_t st;
        if (CALL(c, viv_udp_stats(&st, s)) == 0)
            obs(c, hash_bytes(&st, sizeof st));
        break;
    }
    default:
        rc = CALL(c, viv_udp_sendto(s, NULL, 5, NULL)); /* NULL data with a length */
        if (rc >= 0)
            fail(c, "viv_udp_sendto(NULL, 5) succeeded");
        break;
    }
}

/* ---- ops: TCP and processes ------------------------------------------------------------------ */

/* The codes tcp.h gives for a call, as a 0-terminated list; VIV_ENOMEM is always possible (the
 * allocator refuses past MEM_CAP). nonneg: counts are allowed; async: so are the pending
 * errors that a send or a recv returns once (VIV_ECONNRESET...). */
static const int TCP_ASYNC[] = {VIV_ECONNREFUSED,
                                VIV_ECONNRESET,
                                VIV_ETIMEDOUT,
                                VIV_EHOSTUNREACH,
                                VIV_ENETUNREACH,
                                VIV_ECONNABORTED,
                                0};

static void tcp_codes(actx *c, int rc, const char *what, int nonneg, int async, const int *ok)
{
    if (rc >= 0 ? nonneg || rc == 0 : rc == VIV_ENOMEM)
        return;
    for (const int *k = ok; *k; k++)
        if (rc == *k)
            return;
    for (const int *k = TCP_ASYNC; async && *k; k++)
        if (rc == *k)
            return;
    fail(c, "%s returned %d (%s), which tcp.h does not list", what, rc, viv_err_name(rc));
}

#define CODES(...) ((const int[]){__VA_ARGS__, 0})

/* What viv_tcp_send may return on a live socket of ours (besides TCP_ASYNC's errors): also
 * VIV_EINVAL once the socket sends from a source (tcp.h, viv_tcp_send_source: a socket sends
 * from a source or from copies, not both). */
static const int tcp_send_ok[] = {VIV_EAGAIN, VIV_ENOTCONN, VIV_EPIPE, 0};
static const int tcp_send_ok_src[] = {VIV_EAGAIN, VIV_ENOTCONN, VIV_EPIPE, VIV_EINVAL, 0};
#define TCP_SEND_OK(o) ((o)->source ? tcp_send_ok_src : tcp_send_ok)

static void tcp_cb(viv_tcp_t *s, uint32_t events, void *user);

/* The source of viv_tcp_send_source: the byte at offset off is off's low byte (the
 * context's src table), given in runs of at most 1000 bytes (so that a segment is put
 * together from several). */
static const void *fuzz_source(void *user, uint64_t off, size_t *n)
{
    const struct actx *c = user;
    if (*n > 1000)
        *n = 1000;
    return c->src + off % 256;
}

/* A record for a TCP socket about to be made (by viv_tcp_new or viv_tcp_accept). */
static int tcp_rec(actx *c, int host, int proc, uint8_t mode, script sc)
{
    int ri = rec_new(c, K_TCP, NULL);
    if (ri < 0)
        return -1;
    rec *x = &c->recs[ri];
    x->host = (int16_t)host;
    x->proc = (int16_t)proc;
    x->mode = mode;
    x->sc = sc;
    return ri;
}

/* The socket was not made: give its record back if it is the last one. */
static void tcp_unrec(actx *c, int ri)
{
    c->recs[ri].freed = 1;
    if (ri == c->nrec - 1)
        c->nrec--;
}

static void tcp_accept_one(actx *c, rec *o)
{
    int ri = tcp_rec(c, o->host, o->proc, o->mode, o->sc);
    viv_tcp_t *a = NULL;
    int rc =
        CALL(c, viv_tcp_accept(&a, o->h, ri < 0 ? NULL : tcp_cb, ri < 0 ? NULL : &c->recs[ri]));
    tcp_codes(c, rc, "viv_tcp_accept", 0, 0, CODES(VIV_EAGAIN, VIV_EINVAL));
    if (rc != 0) {
        if (ri >= 0)
            tcp_unrec(c, ri);
        return;
    }
    if (ri < 0) { /* no record left: let it go at once */
        viv_tcp_close(a);
        return;
    }
    c->recs[ri].h = a;
    int s = slot_free(c, K_TCP);
    if (s >= 0)
        slot_put(c, ri, s);
    viv_sockaddr_t p;
    if (CALL(c, viv_tcp_peer(&p, a)) == 0)
        obs(c, (uint64_t)p.ip << 16 | p.port);
}

/* What one walk of viv_tcp_peek's runs saw (tcp_peek_walk). */
typedef struct tcp_walk {
    size_t total;  /* the readable bytes: the runs' lengths, summed */
    int end;       /* what the peek at `total` said: 0, VIV_EAGAIN, an error... */
    uint64_t hash; /* hash_bytes() of all the runs' bytes, in order */
    unsigned runs; /* the peeks that gave a run */
    int ok;        /* the walk reached `total` (not cut short by a broken invariant) */
} tcp_walk;

/* Read a TCP socket's readable bytes in place, as a program does: viv_tcp_peek at 0, at the
 * first run's length, and so on, until the peek at the readable count says what follows
 * them (or, with `stop` below SIZE_MAX, until `stop` bytes are seen: `end` then stays 0 and
 * `hash` is not computed);
 * the first `cap` bytes are copied to out (which may be NULL). Each peek is checked
 * (a pointer exactly when the return is > 0, the codes of tcp.h) but not observed: the
 * program sees what recv would have shown, so reading either way gives the same
 * observations. Nothing is taken, except a pending error when nothing is readable (as
 * viv_tcp_recv would). */
static tcp_walk tcp_peek_walk(actx *c, viv_tcp_t *s, int dead, uint8_t *out, size_t cap,
                              size_t stop)
{
    static const uint8_t sentinel;
    tcp_walk w = {0, 0, UINT64_C(0xcbf29ce484222325), 0, 0};
    for (unsigned k = 0; k <= (1u << 21); k++) {
        const void *data = &sentinel; /* the call must set it */
        int n = viv_tcp_peek(s, &data, w.total);
        c->calls++;
        clock_check(c, "viv_tcp_peek");
        if (n > 0) {
            if (!data || data == &sentinel) {
                fail(c, "viv_tcp_peek at %zu gave %d and no pointer", w.total, n);
                return w;
            }
            const uint8_t *p = data;
            for (int i = 0; i < n && stop == SIZE_MAX; i++)
                w.hash = (w.hash ^ p[i]) * UINT64_C(0x100000001b3);
            if (out && w.total < cap)
                memcpy(out + w.total, p, (size_t)n < cap - w.total ? (size_t)n : cap - w.total);
            w.total += (size_t)n;
            w.runs++;
            if (w.total >= stop) {
                w.ok = 1;
                return w;
            }
            continue;
        }
        /* The handle checks come before *data is written: a NULL or dead handle leaves it. */
        if (data && !(data == &sentinel && n == VIV_EINVAL && (!s || dead)))
            fail(c, "viv_tcp_peek at %zu gave %d (%s) and a pointer", w.total, n, viv_err_name(n));
        if (w.total == 0)
            tcp_codes(c, n, "viv_tcp_peek at 0", 0, 1,
                      CODES(VIV_EAGAIN, VIV_ENOTCONN, VIV_EINVAL));
        else
            tcp_codes(c, n, "viv_tcp_peek at the readable count", 0, 1, CODES(VIV_EAGAIN));
        if (n == VIV_EINVAL && s && !dead)
            fail(c, "viv_tcp_peek at 0 of a live socket gave VIV_EINVAL");
        w.end = n;
        w.hash ^= w.total;
        w.ok = 1;
        if (viv_apifuzz_verbose > 1)
            fprintf(stderr, "%*s  viv_tcp_peek: %u runs, %zu bytes, then %d\n", c->depth * 2, "",
                    w.runs, w.total, n);
        return w;
    }
    fail(c, "viv_tcp_peek gave more than 2^21 runs");
    return w;
}

/* After viv_tcp_consume(k) of a walk's `total` bytes (saved): peeking at 0 shows the bytes
 * that followed them, and nothing else. */
static void tcp_peek_after(actx *c, viv_tcp_t *s, int dead, const uint8_t *saved, size_t total,
                           size_t k)
{
    tcp_walk w = tcp_peek_walk(c, s, dead, NULL, 0, SIZE_MAX);
    if (!w.ok)
        return;
    if (w.total != total - k)
        fail(c, "%zu bytes readable, %zu taken, then viv_tcp_peek walks %zu", total, k, w.total);
    else if (w.hash != hash_bytes(saved ? saved + k : saved, total - k))
        fail(c, "after viv_tcp_consume(%zu) of %zu, viv_tcp_peek shows other bytes", k, total);
}

/* Bytes a run's drains may walk to the readable count (see tcp_drain). */
#define PEEK_WALK_MAX ((uint64_t)16 << 20)

static void tcp_drain(actx *c, rec *o)
{
    static const size_t caps[] = {1, 100, 2048, 65536};
    size_t cap = caps[(o->mode >> 5) & 3];
    c->tcp_drained = 1;
    for (int k = 0; k < 32 && !o->freed; k++) {
        int n;
        if (c->observer) { /* the second run reads in place what the first copies */
            /* A callback's first walk sees all that is readable, while the run has walked
             * less than PEEK_WALK_MAX bytes so; the others stop at what recv would copy.
             * Each would otherwise walk the whole buffer to take `cap` bytes of it: seconds
             * for a full 64 KiB buffer read a byte at a time (seeded inputs 92699, 92919). */
            int all = k == 0 && c->peeked < PEEK_WALK_MAX;
            tcp_walk w = tcp_peek_walk(c, o->h, o->dead, c->buf, cap, all ? SIZE_MAX : cap);
            c->peeked += all ? w.total : 0;
            if (!w.ok)
                break;
            n = w.total ? (int)(w.total < cap ? w.total : cap) : w.end;
            if (w.total && viv_tcp_consume(o->h, (size_t)n) != 0)
                fail(c, "viv_tcp_consume(%d) of %zu bytes seen failed", n, w.total);
            c->calls += w.total != 0;
            rc_check(c, n, "viv_tcp_peek + viv_tcp_consume (callback)");
        } else {
            n = CALL(c, viv_tcp_recv(o->h, c->buf, cap));
        }
        tcp_codes(c, n, "viv_tcp_recv (callback)", 1, 1, CODES(VIV_EAGAIN, VIV_ENOTCONN));
        if (n > 0 && (size_t)n > cap)
            fail(c, "viv_tcp_recv copied %d bytes into a buffer of %zu", n, cap);
        if (n <= 0)
            break;
        obs(c, hash_bytes(c->buf, (size_t)n));
        if ((o->mode & 2) && cb_send_ok(c, (uint64_t)n)) { /* echo */
            int w = CALL(c, viv_tcp_send(o->h, c->buf, (size_t)n));
            tcp_codes(c, w, "viv_tcp_send (echo)", 1, 1, TCP_SEND_OK(o));
            if (w > n)
                fail(c, "viv_tcp_send of %d bytes returned %d", n, w);
        }
    }
}

static void tcp_cb(viv_tcp_t *s, uint32_t events, void *user)
{
    rec *o = user;
    actx *c = o->c;
    if (o->freed) {
        fail(c, "a TCP callback came after the socket was closed");
        return;
    }
    if (o->dead)
        fail(c, "a TCP callback came for a socket whose host was switched off");
    if (s != o->h)
        fail(c, "a TCP callback got another socket");
    if (!events || (events & ~0x3fu))
        fail(c, "a TCP callback got events %#x", events);
    cb_enter(c, "tcp callback");
    o->ncb++;
    obs(c, 0x7700u ^ events);
    if ((o->mode & 1) && (events & VIV_EV_READABLE))
        tcp_drain(c, o);
    if (!o->freed && (o->mode & 4) && (events & VIV_EV_ERROR)) {
        int e = CALL(c, viv_tcp_error(s));
        tcp_codes(c, e, "viv_tcp_error", 0, 1, CODES(VIV_EINVAL));
    }
    if (!o->freed && (o->mode & 8) && (events & VIV_EV_ACCEPTABLE))
        for (int k = 0; k < 4; k++)
            tcp_accept_one(c, o);
    if (!o->freed && (o->mode & 0x10) && (events & (VIV_EV_WRITABLE | VIV_EV_CONNECTED)) &&
        cb_send_ok(c, 3000)) {
        memset(c->buf, 0x5a, 3000);
        int w = CALL(c, viv_tcp_send(s, c->buf, 3000));
        tcp_codes(c, w, "viv_tcp_send (callback)", 1, 1, TCP_SEND_OK(o));
    }
    run_script(c, o->sc, rec_index(c, o));
}

static void fill_tcp_opts(rd *r, viv_tcp_opts *o)
{
    static const uint16_t mss[] = {0, 0, 1, 48, 536, 1460, 65535, 100};
    static const uint32_t sndbuf[] = {0, 0, 1, 100, 4096, 65536, 1u << 20, 10};
    static const uint32_t rcvbuf[] = {0, 0, 1, 100, 4096, 65535, 65536, 1u << 20};
    static const viv_time_t idle[] = {0, VIV_MS(1), VIV_S(1), VIV_S(7200)};
    static const viv_time_t uto[] = {0, VIV_MS(1), VIV_S(1), VIV_S(10)};
    static const viv_time_t ival[] = {0, VIV_MS(1), VIV_S(75), VIV_S(1)};
    static const uint32_t cnt[] = {0, 1, 3, 9};
    static const int tri[] = {0, 1, -1, 2};
    uint8_t b = u8(r);
    o->reuse_addr = b & 1;
    o->nodelay = (b >> 1) & 1;
    o->keepalive = (b >> 2) & 1;
    o->linger0 = (b >> 3) & 1;
    o->fixed_isn = (b >> 4) & 1;
    o->quickack = (b >> 5) & 1;
    o->sack = tri[b >> 6];
    b = u8(r);
    o->mss = mss[b & 7];
    o->sndbuf_bytes = sndbuf[(b >> 3) & 7];
    o->timestamps = tri[b >> 6];
    b = u8(r);
    o->rcvbuf_bytes = rcvbuf[b & 7];
    o->keepalive_idle_ns = idle[(b >> 3) & 3];
    o->user_timeout_ns = uto[(b >> 5) & 3];
    o->window_scaling = (b >> 7) ? -1 : 0;
    b = u8(r);
    o->keepalive_interval_ns = ival[b & 3];
    o->keepalive_count = cnt[(b >> 2) & 3];
    o->cc = (b >> 4) % 3 == 1 ? &viv_tcp_cc_newreno : (b >> 4) % 3 == 2 ? &viv_tcp_cc_cubic : NULL;
    if (o->fixed_isn)
        o->isn = u32(r);
}

static void op_tcp_new(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int hi = pick(c, r, K_HOST);
    viv_host_t *h = (m & 0xf0) == 0xf0 ? NULL : handle(c, hi);
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    if (m & 1)
        fill_tcp_opts(r, &o);
    uint8_t mode = u8(r);
    script sc = take(r, 40);
    int s = slot_free(c, K_TCP);
    if (s < 0 || c->nrec >= NREC)
        return;
    int ri = tcp_rec(c, hi, -1, mode, sc);
    viv_tcp_t *t = NULL;
    int rc = CALL(
        c, viv_tcp_new(&t, h, (m & 1) ? &o : NULL, (mode & 0x80) ? NULL : tcp_cb, &c->recs[ri]));
    if (!h)
        expect(c, rc, VIV_EINVAL, "viv_tcp_new(NULL host)");
    tcp_codes(c, rc, "viv_tcp_new", 0, 0, CODES(VIV_EINVAL));
    if (rc < 0) {
        tcp_unrec(c, ri);
        return;
    }
    c->recs[ri].h = t;
    slot_put(c, ri, s);
    c->tcp_made = 1;
    if (c->in_driver)
        tick_arm(c);
}

static viv_sockaddr_t pick_tsa(actx *c, rd *r)
{
    static const uint16_t ports[] = {80, 80, 80, 81, 0, 0, 1, 65535, 49152, 80, 7, 22};
    viv_sockaddr_t a;
    uint8_t b = u8(r);
    a.ip = (b & 3) == 0 ? VIV_IP4_ANY : pick_ip(c, r);
    a.port = ports[(b >> 2) % (sizeof ports / sizeof ports[0])];
    return a;
}

/* Close (or abort) a TCP socket the program holds. */
static void tcp_release(actx *c, int ri, int abort_it)
{
    rec *o = &c->recs[ri];
    if (o->freed || o->kind != K_TCP)
        return;
    if (abort_it)
        viv_tcp_abort(o->h);
    else
        viv_tcp_close(o->h);
    c->calls++;
    forget(c, ri);
    clock_check(c, "viv_tcp_close");
}

static void obs_tcp_info(actx *c, const viv_tcp_info *in)
{
    obs(c, (uint64_t)in->state << 32 | (uint32_t)(in->snd_nxt - in->iss));
    obs(c, (uint64_t)(in->snd_una - in->iss) << 32 | (uint32_t)(in->rcv_nxt - in->irs));
    obs(c, (uint64_t)in->snd_wnd << 32 | in->rcv_wnd);
    obs(c, (uint64_t)in->cwnd << 32 | in->ssthresh);
    obs(c, (uint64_t)in->send_q << 32 | in->recv_q);
    obs(c, in->segs_out ^ in->segs_in << 20 ^ in->retransmits << 40);
    obs(c, in->bytes_received ^ in->bytes_acked << 24);
    obs(c, in->rto_ns ^ in->srtt_ns);
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        obs(c, in->timer_ns[k]);
}

/* Whether tcp.h's rules refuse a tunables struct: 1 yes, 0 no, -1 either answer is right.
 * (k) The @return lists of the setters refuse an `initial_window` of 0, which the field's
 * own description (and viv_tcp_tunables_rfc()) give as RFC 5681's rule: 0 is taken as valid
 * here. Durations: refused above 2^60 ns says tcp.h, above VIV_TIME_MAX / 8 (about 2^61)
 * says the code; between the two either is taken. */
static int tunables_bad(const viv_tcp_tunables *t)
{
    if (t->rto_min_ns == 0 || t->rto_min_ns > t->rto_initial_ns ||
        t->rto_initial_ns > t->rto_max_ns || t->initial_window > 65535 || !t->cc)
        return 1;
    const viv_time_t d[] = {t->msl_ns,     t->rto_initial_ns, t->rto_min_ns,
                            t->rto_max_ns, t->delack_ns,      t->fin_timeout_ns};
    int bad = 0;
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        if (d[i] > VIV_TIME_MAX / 4)
            return 1;
        if (d[i] > (viv_time_t)1 << 60)
            bad = -1;
    }
    return bad;
}

static void op_tunables(actx *c, rd *r, viv_host_t *h)
{
    static const viv_time_t durs[] = {0,        1,         VIV_MS(1),  VIV_MS(200),
                                      VIV_S(1), VIV_S(30), VIV_S(120), (viv_time_t)1 << 61};
    static const uint32_t small[] = {0, 1, 2, 3, 6, 15, 65535, 65536};
    uint8_t m = u8(r);
    viv_tcp_tunables t;
    int rc = (m & 1) ? CALL(c, viv_host_tcp_tunables_get(&t, h))
                     : CALL(c, viv_sim_tcp_tunables_get(&t, c->sim));
    if (rc != 0) {
        viv_tcp_tunables_rfc(&t);
        if (!h && (m & 1))
            expect(c, rc, VIV_EINVAL, "viv_host_tcp_tunables_get(NULL)");
    }
    obs(c, t.msl_ns ^ t.rto_initial_ns ^ t.rto_min_ns ^ t.rto_max_ns ^ t.delack_ns);
    if (m & 2) {
        uint8_t b = u8(r);
        t.msl_ns = durs[b & 7];
        t.rto_min_ns = durs[(b >> 3) & 7];
        b = u8(r);
        t.rto_initial_ns = durs[b & 7];
        t.rto_max_ns = durs[(b >> 3) & 7];
        t.delack_ns = durs[b >> 6];
        b = u8(r);
        t.syn_retries = small[b & 7];
        t.synack_retries = small[(b >> 3) & 7];
        t.retries = small[b >> 5];
        b = u8(r);
        t.fin_timeout_ns = durs[b & 7];
        t.initial_window = small[(b >> 3) & 7];
        t.sack = (b >> 6) & 1;
        t.timestamps = b >> 7;
    }
    if (m & 4) { /* RFC's defaults */
        viv_tcp_tunables_rfc(&t);
        viv_tcp_tunables_rfc(NULL);
    }
    int bad = tunables_bad(&t);
    if (m & 8) {
        rc = CALL(c, viv_sim_set_tcp_tunables(c->sim, (m & 0x10) ? NULL : &t));
        if (!(m & 0x10) && rc != VIV_ENOMEM && bad >= 0)
            expect(c, rc, bad ? VIV_EINVAL : 0, "viv_sim_set_tcp_tunables");
    } else if (m & 0x20) {
        rc = CALL(c, viv_host_set_tcp_tunables(h, (m & 0x10) ? NULL : &t));
        if (h && !(m & 0x10) && rc != VIV_ENOMEM && bad >= 0)
            expect(c, rc, bad ? VIV_EINVAL : 0, "viv_host_set_tcp_tunables");
        if (!h)
            expect(c, rc, VIV_EINVAL, "viv_host_set_tcp_tunables(NULL)");
    }
}

/* op_tcp's recv, in place (bit 1 of its second byte): walk viv_tcp_peek's runs, peek beyond
 * them, then take with viv_tcp_consume; bits 2-3 say how much:
 *   0: what viv_tcp_recv(cap) would copy (so the run goes on as with recv, segment for segment);
 *   1: every byte seen;
 *   2: more than is readable (VIV_EINVAL, nothing taken), then what recv(cap) would copy;
 *   3: nothing: viv_tcp_recv(cap) instead, which must copy the first of the bytes seen.
 * After each taking, peeking at 0 must show the bytes that followed what was taken. */
static void tcp_read_in_place(actx *c, viv_tcp_t *s, int dead, size_t cap, uint8_t b)
{
    tcp_walk w = tcp_peek_walk(c, s, dead, NULL, 0, SIZE_MAX);
    if (!w.ok)
        return;
    size_t total = w.total;
    int live = !(total == 0 && w.end == VIV_EINVAL);
    if (live && s) {
        viv_tcp_info in;
        if (viv_tcp_info_get(&in, s) == 0 && total && total != in.recv_q)
            fail(c, "viv_tcp_peek's runs add up to %zu, viv_tcp_info_get says recv_q %u", total,
                 in.recv_q);
    }
    uint8_t *saved = total ? malloc(total) : NULL;
    if (total && !saved)
        return;
    if (total) { /* the same walk again, copying: nothing was taken */
        tcp_walk w2 = tcp_peek_walk(c, s, dead, saved, total, SIZE_MAX);
        if (w2.ok && (w2.total != total || w2.hash != w.hash || w2.end != w.end ||
                      hash_bytes(saved, total) != w.hash))
            fail(c, "two walks of viv_tcp_peek's runs differ: %zu bytes then %zu, end %d then %d",
                 total, w2.total, w.end, w2.end);
    }
    /* Beyond the readable bytes. */
    const void *data = NULL;
    int rc = CALL(c, viv_tcp_peek(s, &data, total + 1 + cap));
    expect(c, rc, VIV_EINVAL, "viv_tcp_peek beyond the readable bytes");
    if (data)
        fail(c, "viv_tcp_peek beyond the readable bytes gave a pointer");
    size_t as_recv = total < cap ? total : cap;
    size_t k = as_recv;
    switch ((b >> 2) & 3) {
    case 1:
        k = total;
        break;
    case 2:
        rc = CALL(c, viv_tcp_consume(s, total + 1 + (b >> 4)));
        expect(c, rc, VIV_EINVAL, "viv_tcp_consume of more than is readable");
        if (live)
            tcp_peek_after(c, s, dead, saved, total, 0);
        break;
    case 3: {
        rc = CALL(c, viv_tcp_recv(s, cap ? c->buf : NULL, cap));
        tcp_codes(c, rc, "viv_tcp_recv", 1, 1, CODES(VIV_EAGAIN, VIV_ENOTCONN, VIV_EINVAL));
        if (total && (rc < 0 || (size_t)rc != as_recv))
            fail(c, "viv_tcp_peek's runs add up to %zu, viv_tcp_recv(cap %zu) gave %d", total,
                 cap, rc);
        else if (total && memcmp(c->buf, saved, as_recv) != 0)
            fail(c, "viv_tcp_recv copied other bytes than viv_tcp_peek showed");
        else if (total)
            tcp_peek_after(c, s, dead, saved, total, as_recv);
        if (rc > 0)
            obs(c, hash_bytes(c->buf, (size_t)rc));
        free(saved);
        return;
    }
    default:
        break;
    }
    rc = CALL(c, viv_tcp_consume(s, k));
    tcp_codes(c, rc, "viv_tcp_consume", 0, 0, CODES(VIV_EINVAL));
    if (live && s)
        expect(c, rc, 0, "viv_tcp_consume of bytes seen");
    if (rc == 0) {
        if (k)
            obs(c, hash_bytes(saved, k));
        tcp_peek_after(c, s, dead, saved, total, k);
    }
    free(saved);
}

static void op_tcp(actx *c, rd *r)
{
    static const uint32_t backlogs[] = {0, 1, 2, 128, UINT32_MAX, 3};
    static const size_t lens[] = {0, 1, 10, 100, 1460, 5000, 65536, 70000};
    static const int hows[] = {VIV_SHUT_WR, VIV_SHUT_RD, VIV_SHUT_RDWR, VIV_SHUT_WR, 0, 4, -1};
    uint8_t m = u8(r);
    uint8_t b = u8(r);
    int ri = pick(c, r, K_TCP);
    viv_tcp_t *s = (m & 0xf0) == 0xf0 ? NULL : handle(c, ri);
    rec *o = ri >= 0 ? &c->recs[ri] : NULL;
    int rc;
    switch (m & 15) {
    case 0: {
        viv_sockaddr_t a = pick_tsa(c, r);
        rc = CALL(c, viv_tcp_bind(s, (b & 1) ? NULL : &a));
        tcp_codes(c, rc, "viv_tcp_bind", 0, 0,
                  CODES(VIV_EINVAL, VIV_EADDRNOTAVAIL, VIV_EADDRINUSE, VIV_EAGAIN));
        if (!s || (b & 1))
            expect(c, rc, VIV_EINVAL, "viv_tcp_bind with NULL");
        if (rc == 0 && o)
            o->dead = 0;
        break;
    }
    case 1:
        rc = CALL(c, viv_tcp_listen(s, PICK(r, backlogs)));
        tcp_codes(c, rc, "viv_tcp_listen", 0, 0, CODES(VIV_EINVAL, VIV_EISCONN, VIV_EADDRINUSE));
        if (rc == 0 && o)
            o->dead = 0;
        break;
    case 2: {
        viv_sockaddr_t a = pick_tsa(c, r);
        rc = CALL(c, viv_tcp_connect(s, (b & 1) ? NULL : &a));
        if (!(VIV_APIFUZZ_AVOID_CONNECT_NO_SOURCE && rc == VIV_EADDRNOTAVAIL))
            tcp_codes(c, rc, "viv_tcp_connect", 0, 0,
                      CODES(VIV_EINPROGRESS, VIV_EINVAL, VIV_EALREADY, VIV_EISCONN, VIV_ENETUNREACH,
                            VIV_EADDRNOTAVAIL, VIV_EADDRINUSE, VIV_EAGAIN));
        if (rc == 0)
            fail(c, "viv_tcp_connect returned 0, not VIV_EINPROGRESS");
        if (rc == VIV_EINPROGRESS && o)
            o->dead = 0;
        break;
    }
    case 3: {
        size_t len = PICK(r, lens);
        if (b & 2) { /* from a source (viv_tcp_send_source): EINVAL on a socket of copies */
            rc = CALL(c, viv_tcp_send_source(s, len, (b & 1) ? NULL : fuzz_source, c));
            tcp_codes(c, rc, "viv_tcp_send_source", 1, 1,
                      CODES(VIV_EAGAIN, VIV_ENOTCONN, VIV_EPIPE, VIV_EINVAL));
            /* Bytes queued, or a full buffer: the socket has become a source's. */
            if (s && !(b & 1) && (rc >= 0 || rc == VIV_EAGAIN))
                o->source = 1;
            if (rc >= 0 && (size_t)rc > len)
                fail(c, "viv_tcp_send_source of %zu bytes returned %d", len, rc);
            break;
        }
        if (!bytes_ok(c, len))
            break;
        memset(c->buf, (int)(m ^ len), len);
        rc = CALL(c, viv_tcp_send(s, (len || !(b & 1)) ? c->buf : NULL, len));
        tcp_codes(c, rc, "viv_tcp_send", 1, 1,
                  CODES(VIV_EAGAIN, VIV_ENOTCONN, VIV_EPIPE, VIV_EINVAL));
        if (rc >= 0 && (size_t)rc > len)
            fail(c, "viv_tcp_send of %zu bytes returned %d", len, rc);
        break;
    }
    case 4: {
        static const size_t caps[] = {0, 1, 16, 2048, 65536};
        size_t cap = PICK(r, caps);
        if (b & 2) { /* in place: viv_tcp_peek's runs, viv_tcp_consume (reads nothing more) */
            tcp_read_in_place(c, s, s && o && o->dead, cap, b);
            break;
        }
        rc = CALL(c, viv_tcp_recv(s, (cap || !(b & 1)) ? c->buf : NULL, cap));
        tcp_codes(c, rc, "viv_tcp_recv", 1, 1, CODES(VIV_EAGAIN, VIV_ENOTCONN, VIV_EINVAL));
        if (rc >= 0 && (size_t)rc > cap)
            fail(c, "viv_tcp_recv copied %d bytes into %zu", rc, cap);
        if (rc > 0)
            obs(c, hash_bytes(c->buf, (size_t)rc));
        break;
    }
    case 5: {
        int how = PICK(r, hows);
        rc = CALL(c, viv_tcp_shutdown(s, how));
        tcp_codes(c, rc, "viv_tcp_shutdown", 0, 0, CODES(VIV_EINVAL, VIV_ENOTCONN));
        if (how < VIV_SHUT_RD || how > VIV_SHUT_RDWR)
            expect(c, rc, VIV_EINVAL, "viv_tcp_shutdown with a bad direction");
        break;
    }
    case 6:
    case 7:
        if (s)
            tcp_release(c, ri, (m & 15) == 7);
        else if (m & 1)
            viv_tcp_abort(NULL);
        else
            viv_tcp_close(NULL);
        break;
    case 8: {
        viv_tcp_opts op = VIV_TCP_OPTS_INIT;
        fill_tcp_opts(r, &op);
        rc = CALL(c, viv_tcp_set_opts(s, (b & 1) ? NULL : &op));
        tcp_codes(c, rc, "viv_tcp_set_opts", 0, 0, CODES(VIV_EINVAL, VIV_ESTATE));
        break;
    }
    case 9: {
        viv_tcp_opts op;
        rc = CALL(c, viv_tcp_opts_get((b & 1) ? NULL : &op, s));
        if (!s || (b & 1))
            expect(c, rc, VIV_EINVAL, "viv_tcp_opts_get with NULL");
        else if (rc == 0)
            obs(c, ((uint64_t)op.mss << 48 | (uint64_t)op.sndbuf_bytes << 16) ^ op.rcvbuf_bytes);
        viv_tcp_info in;
        rc = CALL(c, viv_tcp_info_get(&in, s));
        tcp_codes(c, rc, "viv_tcp_info_get", 0, 0, CODES(VIV_EINVAL));
        if (rc == 0) {
            obs_tcp_info(c, &in);
            if (in.state != viv_tcp_state_get(s))
                fail(c, "viv_tcp_info_get and viv_tcp_state_get disagree");
            if (!VIV_APIFUZZ_AVOID_TCP_INFO_CC && (!in.cc || !in.cc[0]))
                fail(c, "viv_tcp_info_get gave no congestion control name");
        }
        viv_sockaddr_t a = {0, 0};
        rc = CALL(c, viv_tcp_local(&a, s));
        tcp_codes(c, rc, "viv_tcp_local", 0, 0, CODES(VIV_EINVAL));
        obs(c, (uint64_t)a.ip << 16 | a.port);
        rc = CALL(c, viv_tcp_peer(&a, s));
        tcp_codes(c, rc, "viv_tcp_peer", 0, 0, CODES(VIV_EINVAL, VIV_ENOTCONN));
        obs(c, (uint64_t)a.ip << 16 | a.port);
        int cs = viv_tcp_can_send(s);
        if (cs != 0 && cs != 1)
            fail(c, "viv_tcp_can_send gave %d", cs);
        obs(c, (uint64_t)cs << 8 | (uint64_t)viv_tcp_state_get(s));
        rc = CALL(c, viv_tcp_error(s));
        tcp_codes(c, rc, "viv_tcp_error", 0, 1, CODES(VIV_EINVAL));
        if (s && o && o->dead && rc != 0 && rc != VIV_ECONNABORTED)
            fail(c, "viv_tcp_error of a socket whose host was switched off gave %d", rc);
        break;
    }
    case 10:
        if (!s) {
            viv_tcp_t *a = NULL;
            expect(c, CALL(c, viv_tcp_accept(&a, NULL, NULL, NULL)), VIV_EINVAL,
                   "viv_tcp_accept(NULL)");
        } else {
            tcp_accept_one(c, o);
        }
        break;
    case 11:
        rc = CALL(c, viv_tcp_set_cb(s, (b & 1) ? NULL : tcp_cb, o));
        tcp_codes(c, rc, "viv_tcp_set_cb", 0, 0, CODES(VIV_EINVAL));
        break;
    case 12: { /* netstat, filtered */
        int hi = pick(c, r, K_HOST);
        viv_host_t *h = handle(c, hi);
        static const uint16_t fports[] = {0, 80, 81, 7};
        viv_netstat_filter f = VIV_NETSTAT_FILTER_INIT;
        f.proto = (b & 1) ? VIV_SOCK_TCP : (viv_sock_proto)0;
        f.local_port = fports[(b >> 1) & 3];
        f.port = fports[(b >> 3) & 3];
        f.states = (b & 0x20) ? VIV_NETSTAT_STATE(VIV_TCP_TIME_WAIT) |
                                    VIV_NETSTAT_STATE(VIV_TCP_ESTABLISHED)
                              : 0;
        size_t cap = pick_cap(r) / 16;
        viv_sock_info *si = malloc((cap ? cap : 1) * sizeof(*si));
        if (si) {
            rc = CALL(c, viv_host_netstat_filtered(h, &f, cap ? si : NULL, cap));
            if (!h)
                expect(c, rc, VIV_EINVAL, "viv_host_netstat_filtered(NULL)");
            for (size_t k = 0; rc > 0 && k < (size_t)rc && k < cap; k++) {
                obs(c, (uint64_t)si[k].local.port << 32 | si[k].remote.port);
                obs(c, (uint64_t)si[k].state << 32 | si[k].send_q);
                if ((f.local_port && si[k].local.port != f.local_port) ||
                    (f.states && !(f.states & VIV_NETSTAT_STATE(si[k].state))))
                    fail(c, "viv_host_netstat_filtered kept a row its filter does not match");
            }
            free(si);
        }
        if (h)
            TEXT(c, viv_host_netstat_text_filtered(h, (uint32_t)(b >> 6), &f, buf, cap_),
                 pick_cap(r));
        break;
    }
    case 13: {
        int hi = pick(c, r, K_HOST);
        op_tunables(c, r, (b & 1) ? NULL : handle(c, hi));
        break;
    }
    case 14: {
        int hi = pick(c, r, K_HOST);
        viv_tcp_host_stats st;
        rc = CALL(c, viv_host_tcp_stats(&st, handle(c, hi)));
        if (rc == 0)
            obs(c, hash_bytes(&st, sizeof st));
        for (int k = -1; k <= VIV_TCP_TIMER_COUNT; k++) {
            const char *nm = viv_tcp_timer_name((viv_tcp_timer)k);
            if (!nm)
                fail(c, "viv_tcp_timer_name(%d) is NULL", k);
            else
                obs(c, hash_bytes(nm, strlen(nm)));
        }
        break;
    }
    default: { /* NULL handles everywhere */
        viv_sockaddr_t a = {VIV_IP4_ANY, 80};
        viv_tcp_info in;
        viv_tcp_t *t = NULL;
        expect(c, CALL(c, viv_tcp_bind(NULL, &a)), VIV_EINVAL, "viv_tcp_bind(NULL)");
        expect(c, CALL(c, viv_tcp_listen(NULL, 1)), VIV_EINVAL, "viv_tcp_listen(NULL)");
        expect(c, CALL(c, viv_tcp_connect(NULL, &a)), VIV_EINVAL, "viv_tcp_connect(NULL)");
        expect(c, CALL(c, viv_tcp_send(NULL, "x", 1)), VIV_EINVAL, "viv_tcp_send(NULL)");
        expect(c, CALL(c, viv_tcp_recv(NULL, c->buf, 1)), VIV_EINVAL, "viv_tcp_recv(NULL)");
        expect(c, CALL(c, viv_tcp_shutdown(NULL, VIV_SHUT_WR)), VIV_EINVAL,
               "viv_tcp_shutdown(NULL)");
        expect(c, CALL(c, viv_tcp_info_get(&in, NULL)), VIV_EINVAL, "viv_tcp_info_get(NULL)");
        expect(c, CALL(c, viv_tcp_error(NULL)), VIV_EINVAL, "viv_tcp_error(NULL)");
        expect(c, CALL(c, viv_tcp_new(&t, NULL, NULL, NULL, NULL)), VIV_EINVAL,
               "viv_tcp_new(NULL host)");
        if (s) {
            expect(c, CALL(c, viv_tcp_info_get(NULL, s)), VIV_EINVAL, "viv_tcp_info_get(NULL out)");
            expect(c, CALL(c, viv_tcp_send(s, NULL, 5)), VIV_EINVAL, "viv_tcp_send(NULL, 5)");
        }
        if (viv_tcp_state_get(NULL) != VIV_TCP_CLOSED || viv_tcp_can_send(NULL) != 0)
            fail(c, "a TCP getter gave something for NULL");
        viv_tcp_close(NULL);
        viv_tcp_abort(NULL);
        break;
    }
    }
}

/* A process ended (exit, kill, its host switched off): its sockets were closed by the host. */
static void proc_end(actx *c, int pi)
{
    c->recs[pi].dead = 1;
    for (int j = 0; j < c->nrec; j++)
        if (!c->recs[j].freed && c->recs[j].proc == pi &&
            (c->recs[j].kind == K_TCP || c->recs[j].kind == K_UDP))
            forget(c, j);
}

/* A host was switched off: its processes end, its own TCP sockets are dead (CLOSED, no
 * callback). */
static void host_power_off(actx *c, int hi)
{
    if (hi < 0 || c->recs[hi].kind != K_HOST)
        return;
    for (int j = 0; j < c->nrec; j++) {
        rec *x = &c->recs[j];
        if (x->freed || x->host != hi)
            continue;
        if (x->kind == K_PROC && !x->dead)
            proc_end(c, j);
        else if (x->kind == K_TCP && x->proc < 0)
            x->dead = 1;
    }
}

static void op_proc(actx *c, rd *r)
{
    static const char *const names[] = {"nginx", "client", "",
                                        "a-very-long-process-name-past-31-bytes"};
    uint8_t m = u8(r);
    int pi = pick(c, r, K_PROC);
    viv_process_t *p = (m & 0xf0) == 0xf0 ? NULL : handle(c, pi);
    rec *po = pi >= 0 ? &c->recs[pi] : NULL;
    int rc;
    switch (m & 7) {
    case 0: {
        int hi = pick(c, r, K_HOST);
        viv_host_t *h = handle(c, hi);
        const char *nm = PICK(r, names);
        int s = slot_free(c, K_PROC);
        if (s < 0 || c->nrec >= NREC)
            break;
        viv_process_t *np = NULL;
        rc = CALL(c, viv_process_new(&np, h, (m & 8) ? NULL : nm));
        if (!h || (m & 8))
            expect(c, rc, VIV_EINVAL, "viv_process_new with NULL");
        if (rc != 0)
            break;
        int ri = rec_new(c, K_PROC, np);
        c->recs[ri].host = (int16_t)hi;
        slot_put(c, ri, s);
        obs(c, viv_process_pid(np));
        break;
    }
    case 1:
    case 2: {
        int kind = (m & 7) == 1 ? K_TCP : K_UDP;
        int si = pick(c, r, kind);
        void *s = handle(c, si);
        rc = kind == K_TCP ? CALL(c, viv_process_adopt_tcp(p, s))
                           : CALL(c, viv_process_adopt_udp(p, s));
        tcp_codes(c, rc, "viv_process_adopt", 0, 0, CODES(VIV_EINVAL, VIV_ESTATE));
        if (!p || !s)
            expect(c, rc, VIV_EINVAL, "viv_process_adopt with NULL");
        else if (c->recs[si].host != po->host)
            expect(c, rc, VIV_EINVAL, "viv_process_adopt of another host's socket");
        else if (po->dead)
            expect(c, rc, VIV_ESTATE, "viv_process_adopt by a process that ended");
        else
            expect(c, rc, 0, "viv_process_adopt");
        if (rc == 0)
            c->recs[si].proc = (int16_t)pi;
        break;
    }
    case 3:
    case 4:
        rc = (m & 7) == 3 ? CALL(c, viv_process_exit(p, (int)(int8_t)u8(r)))
                          : CALL(c, viv_process_kill(p));
        if (!p)
            expect(c, rc, VIV_EINVAL, "viv_process_exit(NULL)");
        else
            expect(c, rc, 0, "viv_process_exit");
        if (rc == 0 && pi >= 0)
            proc_end(c, pi);
        clock_check(c, "viv_process_exit");
        break;
    case 5:
        if (pi >= 0 && p) {
            viv_process_free(p);
            c->calls++;
            forget(c, pi);
            clock_check(c, "viv_process_free");
        } else {
            viv_process_free(NULL);
        }
        break;
    default: {
        viv_process_status st = viv_process_status_get(p);
        uint32_t n = viv_process_socket_count(p);
        const char *nm = viv_process_name(p);
        obs(c, (uint64_t)st << 40 | (uint64_t)n << 8 | (uint8_t)viv_process_exit_code(p));
        obs(c, viv_process_pid(p));
        if (nm)
            obs(c, hash_bytes(nm, strlen(nm)));
        if (p && nm && strlen(nm) > 31)
            fail(c, "a process name of %zu bytes (31 are kept)", strlen(nm));
        if (p && (st != VIV_PROCESS_RUNNING) != (po->dead != 0))
            fail(c, "a process is in status %d, but it %s", (int)st,
                 po->dead ? "ended" : "did not end");
        if (p && po->dead && n != 0)
            fail(c, "a process that ended owns %u sockets", n);
        if (p) { /* the sockets it owns, as we count them */
            uint32_t mine = 0;
            for (int j = 0; j < c->nrec; j++)
                mine += !c->recs[j].freed && c->recs[j].proc == pi;
            if (mine != n)
                fail(c, "a process owns %u sockets, the program gave it %u", n, mine);
        }
        break;
    }
    }
}

/* ---- ops: ping and traceroute ---------------------------------------------------------------- */

static void op_ping(actx *c, rd *r)
{
    static const uint32_t counts[] = {0, 1, 2, 3, 5, 1, 65535, 65536};
    static const viv_time_t ivals[] = {0, 1, 1000, VIV_MS(1), VIV_MS(100), VIV_S(1), 0, VIV_S(2)};
    static const uint32_t sizes[] = {0, 0, 1, 56, 1472, 1473, 65507, 65508};
    static const uint8_t ttls[] = {0, 1, 2, 64};
    uint8_t m = u8(r);
    int hi = pick(c, r, K_HOST);
    viv_host_t *h = (m & 0xf0) == 0xf0 ? NULL : handle(c, hi);
    viv_ip4_t dst = pick_ip(c, r);
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    uint8_t b = u8(r);
    o.count = counts[b & 7];
    o.interval_ns = ivals[(b >> 3) & 7];
    o.timeout_ns = PICK(r, ivals);
    b = u8(r);
    o.size = sizes[b & 7];
    o.ttl = ttls[(b >> 3) & 3];
    int with_cb = !(b & 0x20);
    if (!with_cb && o.count > 8)
        o.count = 8; /* nothing of ours would see it run */
    uint64_t cost = (uint64_t)(o.size > 65507 ? 56
                               : o.size       ? o.size
                                              : 56) *
                    (o.count && o.count <= 65535 ? o.count : 4);
    if (!bytes_ok(c, (m & 2) ? 224 : cost))
        return;
    script sc = take(r, 40);
    if (c->nrec >= NREC)
        return;
    int ri = rec_new(c, K_PING, NULL);
    rec *x = &c->recs[ri];
    x->sc = sc;
    x->host = (int16_t)hi;
    int s = (m & 1) ? -1 : slot_free(c, K_PING);
    viv_ping_t *p = NULL;
    int rc = CALL(c, viv_ping_start(s >= 0 ? &p : NULL, h, dst, (m & 2) ? NULL : &o,
                                    with_cb ? ping_cb : NULL, x));
    if (!h || (!(m & 2) && (o.size > 65507 || o.count > 65535)))
        expect(c, rc, VIV_EINVAL, "viv_ping_start with bad arguments");
    if (rc < 0) {
        x->freed = 1;
        return;
    }
    x->h = p;
    if (s >= 0)
        slot_put(c, ri, s);
}

static void op_traceroute(actx *c, rd *r)
{
    static const uint8_t hops[] = {0, 1, 2, 3, 4, 30, 255, 2};
    static const uint8_t probes[] = {0, 1, 2, 3, 255, 1, 1, 2};
    static const viv_time_t tmo[] = {0, 1, 1000, VIV_MS(1), VIV_MS(100), VIV_S(1), 0, VIV_S(2)};
    static const uint32_t sizes[] = {0, 0, 32, 1472, 65507, 65508, 1, 0};
    uint8_t m = u8(r);
    int hi = pick(c, r, K_HOST);
    viv_host_t *h = (m & 0xf0) == 0xf0 ? NULL : handle(c, hi);
    viv_ip4_t dst = pick_ip(c, r);
    viv_traceroute_opts o = VIV_TRACEROUTE_OPTS_INIT;
    uint8_t b = u8(r);
    o.max_hops = hops[b & 7];
    o.probes = probes[(b >> 3) & 7];
    b = u8(r);
    o.timeout_ns = tmo[b & 7];
    o.size = sizes[(b >> 3) & 7];
    int with_cb = !(b & 0x40);
    if (!with_cb) {
        if (o.max_hops == 0 || o.max_hops > 8)
            o.max_hops = 8;
        if (o.probes == 0 || o.probes > 3)
            o.probes = 3;
    }
    script sc = take(r, 40);
    uint64_t cost = (uint64_t)(o.size > 65507 ? 32
                               : o.size       ? o.size
                                              : 32) *
                    (o.max_hops ? o.max_hops : 30) * (o.probes ? o.probes : 3);
    if (c->nrec >= NREC || !bytes_ok(c, (m & 2) ? 2880 : cost))
        return;
    int ri = rec_new(c, K_TR, NULL);
    rec *x = &c->recs[ri];
    x->sc = sc;
    x->host = (int16_t)hi;
    int s = (m & 1) ? -1 : slot_free(c, K_TR);
    viv_traceroute_t *t = NULL;
    int rc = CALL(c, viv_traceroute_start(s >= 0 ? &t : NULL, h, dst, (m & 2) ? NULL : &o,
                                          with_cb ? tr_cb : NULL, x));
    if (!h)
        expect(c, rc, VIV_EINVAL, "viv_traceroute_start(NULL host)");
    if (rc < 0) {
        x->freed = 1;
        return;
    }
    x->h = t;
    if (s >= 0)
        slot_put(c, ri, s);
}

static void op_ping_query(actx *c, rd *r)
{
    uint8_t m = u8(r);
    viv_ping_t *p = (m & 1) ? NULL : handle(c, pick(c, r, K_PING));
    viv_ping_stats_t st;
    int rc = CALL(c, viv_ping_stats((m & 2) ? NULL : &st, p));
    if (!p || (m & 2))
        expect(c, rc, VIV_EINVAL, "viv_ping_stats with NULL");
    else if (rc == 0)
        obs(c, hash_bytes(&st, sizeof st));
}

/* ---- ops: devices ---------------------------------------------------------------------------- */

static void op_dev_send(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int ri = pick(c, r, K_DEV);
    viv_device_t *d = (m & 0xf0) == 0xf0 ? NULL : handle(c, ri);
    uint32_t np = ri >= 0 ? c->recs[ri].nports : 1;
    uint32_t port = (m & 0x0c) == 0x0c ? np : u8(r) % (np ? np : 1);
    size_t len = frame_build(c, r, c->buf, sizeof c->buf);
    int raw = (m & 0x20) != 0;
    if (raw && (m & 0x40)) { /* the largest raw frame, or one byte more */
        len = 131072 + (m & 1);
        memset(c->buf, 0x77, len);
    }
    unsigned times = 1 + ((m & 3) == 3 ? u8(r) % 8 : 0);
    if (!bytes_ok(c, (uint64_t)len * times))
        return;
    const uint8_t *fr = (m & 0x10) && !len ? NULL : c->buf;
    for (unsigned k = 0; k < times; k++) {
        int rc;
#if API2
        if (raw) {
            rc = CALL(c, viv_device_send_raw(d, port, fr, len));
            if (!d || port >= np || len > VIV_DEVICE_RAW_MAX)
                expect(c, rc, VIV_EINVAL, "viv_device_send_raw with bad arguments");
        } else
#endif
        {
            rc = CALL(c, viv_device_send(d, port, fr, len));
            if (!d || port >= np || len < 14 || len > 65535)
                expect(c, rc, VIV_EINVAL, "viv_device_send with bad arguments");
        }
        if (rc < 0)
            break;
    }
}

/* Many ARP requests from distinct addresses to one target: each creates a neighbour entry
 * at the target (RFC 826: the target learns the requester). */
static void op_arp_spray(actx *c, rd *r)
{
    int ri = pick(c, r, K_DEV);
    viv_device_t *d = handle(c, ri);
    if (!d)
        return;
    uint32_t port = u8(r) % c->recs[ri].nports;
    unsigned k = 1 + u8(r) % 64;
    viv_ip4_t tpa = pick_ip(c, r);
    viv_mac_t dst = pick_mac(c, r);
    uint32_t base = VIV_IP4(10, 0, 0, 0) | (uint32_t)u16(r) << 8;
    for (unsigned i = 0; i < k; i++) {
        uint8_t *f = c->buf;
        viv_mac_t src = {{0x02, 0xbb, (uint8_t)(base >> 16), (uint8_t)(base >> 8), 0, (uint8_t)i}};
        memset(f, 0, 60);
        size_t o = eth_hdr(f, &dst, &src, 0x0806);
        wr16(f + o, 1);
        wr16(f + o + 2, 0x0800);
        f[o + 4] = 6;
        f[o + 5] = 4;
        wr16(f + o + 6, 1);
        memcpy(f + o + 8, src.b, 6);
        wr32(f + o + 14, base + i + 1);
        wr32(f + o + 24, tpa);
        if (CALL(c, viv_device_send(d, port, f, 60)) < 0)
            break;
    }
}

/* ---- ops: captures --------------------------------------------------------------------------- */

static void op_pcap(actx *c, rd *r)
{
    static const uint32_t snaps[] = {
        0, 1, 64, 65535, VIV_PCAP_SNAPLEN_MAX, VIV_PCAP_SNAPLEN_MAX + 1, 0, 14};
    uint8_t m = u8(r);
    int ri = pick(c, r, K_PCAP);
    viv_pcap_t *cap = handle(c, ri);
    int rc;
    switch (m & 7) {
    case 0:
    case 1: {
        int s = slot_free(c, K_PCAP);
        if (s < 0 || c->nrec >= NREC)
            break;
        viv_pcap_opts o = VIV_PCAP_OPTS_INIT;
        o.snaplen = snaps[(m >> 3) & 7];
        const char *path = (m & 0xc0) == 0x40   ? "/nonexistent-dir/x/y.pcap"
                           : (m & 0xc0) == 0x80 ? NULL
                                                : "/dev/null";
        viv_pcap_t *p = NULL;
        rc = CALL(c, viv_pcap_open(&p, c->sim, path, (m & 1) ? &o : NULL));
        if (!path || ((m & 1) && o.snaplen > VIV_PCAP_SNAPLEN_MAX))
            expect(c, rc, VIV_EINVAL, "viv_pcap_open with NULL path or a large snaplen");
        else if ((m & 0xc0) == 0x40)
            expect(c, rc, VIV_EIO, "viv_pcap_open of a path that cannot exist");
#if !VIV_APIFUZZ_AVOID_NULL_OUT
        if (!path)
            expect(c, CALL(c, viv_pcap_open(NULL, c->sim, "/dev/null", NULL)), VIV_EINVAL,
                   "viv_pcap_open(NULL out)");
#endif
        if (rc == 0) {
            int x = rec_new(c, K_PCAP, p);
            slot_put(c, x, s);
        }
        break;
    }
    case 2: {
        int owner;
        viv_port_t *p = pick_port(c, r, &owner);
        rc = CALL(c, viv_pcap_attach_port(cap, p));
        if (!cap || !p || owner < 0)
            expect(c, rc, VIV_EINVAL, "viv_pcap_attach_port with NULL or a foreign port");
        break;
    }
    case 3: {
        viv_link_t *l = handle(c, pick(c, r, K_LINK));
        viv_link_dir dir = pick_dir(r);
        rc = CALL(c, viv_pcap_attach_link(cap, l, dir));
        c->link_watched |= rc == 0;
        if (!cap || !l || (unsigned)dir > 2)
            expect(c, rc, VIV_EINVAL, "viv_pcap_attach_link with bad arguments");
        break;
    }
    case 4:
    case 5: {
        viv_time_t t = (m & 8) ? viv_sim_now(c->sim) : pick_dur(c, r);
        size_t len = frame_build(c, r, c->buf, sizeof c->buf);
        const uint8_t *fr = (m & 0x10) ? NULL : c->buf;
        if (m & 0x20)
            len = (size_t)1 << 32; /* a length no capture takes (nothing is read) */
        rc = CALL(c, viv_pcap_write(cap, t, fr, len));
        if (!cap || (!fr && len) || len >= ((size_t)1 << 32))
            expect(c, rc, VIV_EINVAL, "viv_pcap_write with bad arguments");
        else if (t >= VIV_S(1) << 32 && rc != VIV_EIO)
            expect(c, rc, VIV_ERANGE, "viv_pcap_write of a time past 2^32 s");
        obs(c, viv_pcap_frames(cap));
        break;
    }
    case 6:
        rc = CALL(c, viv_pcap_flush(cap));
        if (!cap)
            expect(c, rc, VIV_EINVAL, "viv_pcap_flush(NULL)");
        break;
    default:
        if (ri >= 0) {
            viv_pcap_close(cap);
            forget(c, ri);
        } else {
            viv_pcap_close(NULL);
        }
        break;
    }
}

/* ---- ops: freeing ---------------------------------------------------------------------------- */

static void free_rec(actx *c, int ri)
{
    rec *o = &c->recs[ri];
    if (o->freed)
        return;
    void *h = o->h;
    switch (o->kind) {
    case K_HOST:
        viv_host_free(h);
        break;
    case K_HUB:
        viv_hub_free(h);
        break;
    case K_SW:
        viv_switch_free(h);
        break;
    case K_DEV:
        viv_device_free(h);
        break;
    case K_LINK:
        viv_link_free(h);
        break;
    case K_SUB:
        viv_subnet_free(h);
        break;
    case K_UDP:
        viv_udp_free(h);
        break;
    case K_PING:
        if (!h)
            return; /* started without out and never called back: no handle to free */
        viv_ping_free(h);
        break;
    case K_TR:
        if (!h)
            return;
        viv_traceroute_free(h);
        break;
    case K_PCAP:
        viv_pcap_close(h);
        break;
    case K_TCP:
        if (o->mode & 0x40)
            viv_tcp_abort(h);
        else
            viv_tcp_close(h);
        break;
    case K_PROC:
        viv_process_free(h);
        break;
#if API3
    case K_REC:
        viv_rec_free(h);
        break;
    case K_EXP:
        viv_expect_free(h);
        break;
#endif
    default:
        break;
    }
    c->calls++;
    forget(c, ri);
    clock_check(c, "free");
}

static void op_free(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int kind = m % (K_PCAP + 1);
    if (m >= 0xf0) { /* freeing NULL does nothing */
        viv_host_free(NULL);
        viv_hub_free(NULL);
        viv_switch_free(NULL);
        viv_device_free(NULL);
        viv_link_free(NULL);
        viv_subnet_free(NULL);
        viv_udp_free(NULL);
        viv_ping_free(NULL);
        viv_traceroute_free(NULL);
        viv_pcap_close(NULL);
        return;
    }
    int ri = pick(c, r, kind);
    if (ri >= 0)
        free_rec(c, ri);
}

/* Inside a callback: act on the object whose callback this is. */
static void op_self(actx *c, rd *r)
{
    uint8_t m = u8(r);
    if (c->self < 0 || c->recs[c->self].freed)
        return;
    rec *o = &c->recs[c->self];
    switch (m & 7) {
    case 0:
    case 1:
        free_rec(c, c->self);
        break;
    case 2: /* its host, or a node it plugs into */
        if (o->host >= 0)
            free_rec(c, o->host);
        else if (o->kind == K_LINK && o->end[m >> 7] >= 0)
            free_rec(c, o->end[m >> 7]);
        break;
    case 3:
        sim_stop(c);
        break;
    case 4:
        if (o->kind == K_LINK)
            CALL(c, viv_link_set_up(o->h, pick_dir(r), 0));
        else if (o->kind == K_UDP)
            CALL(c, viv_udp_connect(o->h, NULL));
        else if (o->kind == K_TCP)
            tcp_codes(c, CALL(c, viv_tcp_shutdown(o->h, VIV_SHUT_WR)), "viv_tcp_shutdown", 0, 0,
                      CODES(VIV_EINVAL, VIV_ENOTCONN));
        else if (o->kind == K_DEV || o->kind == K_HOST || o->kind == K_HUB || o->kind == K_SW) {
            int was = viv_node_is_up(node_of(c, c->self));
            if (CALL(c, viv_node_set_up(node_of(c, c->self), 0)) == 0 && was)
                host_power_off(c, c->self);
        }
        break;
    case 5:
        if (o->kind == K_UDP) {
            viv_sockaddr_t from;
            int n = CALL(c, viv_udp_recvfrom(o->h, c->buf, 64, &from, NULL));
            if (n >= 0 && bytes_ok(c, (uint64_t)n))
                CALL(c, viv_udp_sendto(o->h, c->buf, (size_t)n, &from));
        } else if (o->kind == K_DEV) {
            size_t len = frame_build(c, r, c->buf, sizeof c->buf);
            if (bytes_ok(c, len))
                CALL(c, viv_device_send(o->h, 0, c->buf, len));
        } else if (o->kind == K_LINK) {
            CALL(c, viv_link_set_intercept(o->h, VIV_LINK_BOTH, NULL, NULL));
        } else if (o->kind == K_TCP) {
            int n = CALL(c, viv_tcp_recv(o->h, c->buf, 64));
            tcp_codes(c, n, "viv_tcp_recv", 1, 1, CODES(VIV_EAGAIN, VIV_ENOTCONN));
            if (n > 0 && bytes_ok(c, (uint64_t)n))
                tcp_codes(c, CALL(c, viv_tcp_send(o->h, c->buf, (size_t)n)), "viv_tcp_send", 1, 1,
                          TCP_SEND_OK(o));
        }
        break;
    default:
        if (o->kind == K_PING && o->h) {
            viv_ping_stats_t st;
            CALL(c, viv_ping_stats(&st, o->h));
        }
        break;
    }
}

/* ---- ops: pure functions --------------------------------------------------------------------- */

/* Up to 24 input bytes as a NUL-terminated string in a buffer of exactly its size. */
static char *take_text(rd *r)
{
    size_t n = u8(r) % 25;
    if (n > r->n - r->i)
        n = r->n - r->i;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, r->p + r->i, n);
    s[n] = 0;
    r->i += n;
    return s;
}

static void op_pure(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int rc;
    switch (m & 7) {
    case 0: {
        char *t = take_text(r);
        viv_ip4_t ip = 0;
        uint8_t len = 0;
        rc = CALL(c, viv_ip4_parse((m & 8) ? NULL : &ip, t));
        obs(c, ip);
        rc = CALL(c, viv_ip4_parse_prefix(&ip, (m & 16) ? NULL : &len, t));
        obs(c, (uint64_t)ip << 8 | len);
        if (rc == 0 && len > 32)
            fail(c, "viv_ip4_parse_prefix gave a length of %u", len);
        viv_mac_t mac;
        rc = CALL(c, viv_mac_parse(&mac, t));
        if (rc == 0)
            obs(c, hash_bytes(&mac, 6));
        free(t);
        break;
    }
    case 1: {
        viv_ip4_t ip = pick_ip(c, r);
        TEXT(c, viv_ip4_format(ip, buf, cap_), pick_cap(r) % 17);
        viv_mac_t mac = pick_mac(c, r);
        TEXT(c, viv_mac_format(&mac, buf, cap_), pick_cap(r) % 19);
        obs(c, viv_ip4_mask(u8(r)));
        break;
    }
    case 2: {
        int code = (int)(int8_t)u8(r);
        const char *a = viv_strerror(code), *b = viv_err_name(code);
        if (!a || !b)
            fail(c, "viv_strerror or viv_err_name gave NULL for %d", code);
        else
            obs(c, hash_bytes(a, strlen(a)) ^ hash_bytes(b, strlen(b)));
        const char *sn = viv_tcp_state_name((viv_tcp_state)(u8(r) % 14));
        if (!sn)
            fail(c, "viv_tcp_state_name gave NULL");
        else
            obs(c, hash_bytes(sn, strlen(sn)));
        obs(c, (uint64_t)viv_version());
        break;
    }
    case 3: {
        size_t len = frame_build(c, r, c->buf, sizeof c->buf);
        viv_frame_info info;
        memset(&info, 0, sizeof info);
        /* An exact-size copy, so that a read past the end is a sanitizer error. */
        uint8_t *f = malloc(len ? len : 1);
        if (!f)
            break;
        memcpy(f, c->buf, len);
        rc = CALL(c, viv_frame_info_parse(&info, f, len));
        free(f);
        if (rc == 0) {
            obs(c, hash_bytes(&info.len, sizeof info.len) ^ info.ethertype ^ info.ip_src);
            TEXT(c, viv_frame_info_format(&info, buf, cap_), pick_cap(r));
            viv_frame_match mt = VIV_FRAME_MATCH_INIT;
            mt.ip_proto = info.ip_proto;
            mt.dport = (m & 8) ? info.dport : 0;
            int t = viv_frame_match_test(&mt, &info);
            if (t != 1)
                fail(c, "a frame does not match a match made from it");
            if (viv_frame_match_test(NULL, &info) || viv_frame_match_test(&mt, NULL))
                fail(c, "viv_frame_match_test matched with NULL");
        }
        expect(c, CALL(c, viv_frame_info_parse(NULL, c->buf, len)), VIV_EINVAL,
               "viv_frame_info_parse(NULL)");
        break;
    }
    case 4: {
        viv_rng_t g;
        uint64_t seed = u64(r), stream = u8(r);
        viv_rng_init(&g, seed, stream);
        viv_rng_t g2;
        viv_rng_init(&g2, seed, stream);
        uint64_t x = viv_rng_u64(&g);
        if (x != viv_rng_u64(&g2))
            fail(c, "two streams seeded alike differ");
        obs(c, x);
        double v = viv_ln((double)(u8(r) + 1) / 16.0);
        uint64_t bits;
        memcpy(&bits, &v, 8);
        obs(c, bits);
        break;
    }
    default: {
        viv_ip4_t ip = 0;
        rc = CALL(c, viv_ip4_format(ip, NULL, 0));
        rc = CALL(c, viv_ip4_parse(&ip, NULL));
        expect(c, rc, VIV_EINVAL, "viv_ip4_parse(NULL text)");
        break;
    }
    }
}

/* ---- ops: frame builders and the testing kit --------------------------------------------- */

/* Drivers of the testing kit that take no predicate (viv_rec_wait, viv_expect_run) cannot be
 * stopped by our callbacks (they step event by event): they get short deadlines and a few
 * calls per run. viv_run_until gets our predicate, which stops it on the budget. */
#define KIT_CALLS_MAX 8
#define KIT_SPAN_MAX VIV_US(20)
/* viv_rec_text and viv_expect_check walk the whole recording at every call, and callbacks
 * may call them thousands of times while it grows (seeded input 27650 of a 30,000-input run:
 * 9 s): the frames they walk are counted, and past this many in a run they are not called. */
#define KIT_LINES_MAX 100000u

static const char *const rec_names[] = {"A",
                                        "B",
                                        "srv",
                                        "_x",
                                        "h-1",
                                        "",
                                        "1bad",
                                        "ARP",
                                        "UDP",
                                        "A",
                                        "cli",
                                        "Z9",
                                        "a-very-long-name-longer-than-31"};

static viv_time_t kit_deadline(actx *c, rd *r)
{
    static const viv_time_t spans[] = {0, 1, VIV_US(1), VIV_US(5), VIV_US(20), VIV_MS(1)};
    viv_time_t d = PICK(r, spans);
    if (d > KIT_SPAN_MAX)
        d = KIT_SPAN_MAX;
    return viv_sim_now(c->sim) + d;
}

#if API3
static void pattern_from(actx *c, rd *r, viv_pattern *p)
{
    static const char *const ends[] = {
        NULL, "*", "A", "B", "10.0.0.1", "10.0.0.2", "02:00:00:00:00:01", "bad!", "srv", ""};
    viv_pattern_init(p);
    uint8_t b = u8(r);
    p->kind = (b & 0x80) ? VIV_PATTERN_QUIET : VIV_PATTERN_FRAME;
    p->proto = (viv_proto)(b % 7);
    p->when = (viv_when)((b >> 3) % 3);
    p->time_rel = (b >> 5) & 1;
    p->allow_arp = (b >> 6) & 1;
    p->time_ns = pick_dur(c, r);
    p->tol_ns = pick_dur(c, r);
    uint8_t e = u8(r);
    p->src = ends[e % 10];
    p->dst = ends[(e / 10) % 10];
    uint8_t f = u8(r);
    if (f & 1)
        p->sport = pick_uport(r);
    if (f & 2)
        p->dport = pick_uport(r);
    if (f & 4)
        p->len = (int64_t)u16(r) - 2; /* -2 and -1 included */
    if (f & 8)
        p->arp_op = u8(r) % 4;
    if (f & 16) {
        p->icmp_type = u8(r);
        p->icmp_code = (int64_t)u8(r) - 1;
    }
    if (f & 32) {
        p->tcp_flags = u8(r);
        p->mss = (int64_t)u16(r) - 2;
        p->sack_count = (int64_t)(u8(r) % 7) - 1;
    }
    if (f & 64)
        p->ethertype = (int64_t)u16(r) - 1;
}
#else
static void pattern_skip(actx *c, rd *r)
{
    uint8_t b = u8(r);
    (void)b;
    (void)pick_dur(c, r);
    (void)pick_dur(c, r);
    (void)u8(r);
    uint8_t f = u8(r);
    if (f & 1)
        (void)pick_uport(r);
    if (f & 2)
        (void)pick_uport(r);
    if (f & 4)
        (void)u16(r);
    if (f & 8)
        (void)u8(r);
    if (f & 16) {
        (void)u8(r);
        (void)u8(r);
    }
    if (f & 32) {
        (void)u8(r);
        (void)u16(r);
        (void)u8(r);
    }
    if (f & 64)
        (void)u16(r);
}
#endif

static void op_wire(actx *c, rd *r)
{
    static const size_t caps[] = {0, 1, 13, 14, 41, 42, 59, 60, 61, 100, 1514, 70000};
    static const size_t plens[] = {0, 1, 8, 18, 100, 1472, 1473, 65507, 65508, 70000, 26, 32};
    static const uint8_t optlens[] = {0, 4, 8, 40, 44, 3, 0, 0};
    uint8_t m = u8(r);
    size_t cap = PICK(r, caps);
    viv_mac_t dst = pick_mac(c, r);
    uint8_t eb = u8(r);
    viv_ip4_t sip = pick_ip(c, r);
    viv_ip4_t dip = pick_ip(c, r);
    uint8_t ib = u8(r), ival = u8(r);
    uint16_t sp = pick_uport(r);
    uint16_t dp = pick_uport(r);
    size_t plen = PICK(r, plens);
    uint8_t tb = u8(r);
    uint8_t send = u8(r);
    int dev = pick(c, r, K_DEV);
#if API3
    static const uint8_t opts[44] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    int kind = m % 6, with_eth = !(m & 8);
    viv_wire_eth eth;
    memset(&eth, 0, sizeof eth);
    eth.dst = dst;
    viv_mac_t src = {{0x02, 0xcc, 0, 0, 0, (uint8_t)(m >> 4)}};
    eth.src = src;
    eth.ethertype = (eb & 1) ? ((eb & 2) ? 0x86dd : 0x0801) : 0;
    eth.no_pad = (eb >> 2) & 1;
    viv_wire_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.src = sip;
    ip.dst = dip;
    ip.proto = (ib & 0x80) ? ival : 0;
    ip.ttl = (ib & 0x40) ? 0 : (uint8_t)(ival | 1);
    ip.set = ib & 0x1f;
    ip.cksum = (uint16_t)(ival * 257u);
    ip.length = (uint16_t)(ival * 131u);
    ip.hdr_len = ival & 15;
    ip.version = ival & 15;
    ip.df = (ib >> 5) & 1;
    ip.opts_len = optlens[(eb >> 3) & 7];
    ip.opts = ip.opts_len ? opts : NULL;
    if (eb & 0x40)
        ip.frag_offset = (uint16_t)(ival * 8u + ((eb & 0x80) ? 3 : 0));
    const uint8_t *payload = (tb & 1) ? NULL : c->buf;
    if (plen > sizeof c->buf)
        plen = sizeof c->buf;
    memset(c->buf, 0x33, plen < 70000 ? plen : 0);
    uint8_t *small = malloc(cap ? cap : 1);
    uint8_t *big = malloc(VIV_WIRE_FRAME_MAX);
    if (!small || !big) {
        free(small);
        free(big);
        return;
    }
    const viv_wire_eth *ep = with_eth ? &eth : NULL;
    int rs, rb;
    uint32_t want = 0; /* the length a host's frame of this kind has (0: not comparable) */
    switch (kind) {
    case 0:
        rs = CALL(c, viv_wire_eth_frame(small, cap, &eth, payload, plen));
        rb = viv_wire_eth_frame(big, VIV_WIRE_FRAME_MAX, &eth, payload, plen);
        break;
    case 1: {
        viv_wire_arp a;
        memset(&a, 0, sizeof a);
        a.op = (uint16_t)(ival % 3);
        a.sha = src;
        a.spa = sip;
        a.tha = dst;
        a.tpa = dip;
        rs = CALL(c, viv_wire_arp_frame(small, cap, ep, &a));
        rb = viv_wire_arp_frame(big, VIV_WIRE_FRAME_MAX, ep, &a);
        if (with_eth && !eth.no_pad)
            want = viv_wire_arp_frame_len();
        break;
    }
    case 2:
        rs = CALL(c, viv_wire_ip_frame(small, cap, ep, &ip, payload, plen));
        rb = viv_wire_ip_frame(big, VIV_WIRE_FRAME_MAX, ep, &ip, payload, plen);
        break;
    case 3: {
        viv_wire_icmp m3;
        memset(&m3, 0, sizeof m3);
        m3.type = (tb & 2) ? 0 : (tb & 4) ? 3 : 8;
        m3.code = (uint8_t)(tb >> 5);
        m3.id = sp;
        m3.seq = dp;
        m3.mtu = (uint16_t)(ival * 100u);
        m3.data = payload;
        m3.data_len = plen;
        m3.set = (tb >> 3) & 1;
        rs = CALL(c, viv_wire_icmp_frame(small, cap, ep, &ip, &m3));
        rb = viv_wire_icmp_frame(big, VIV_WIRE_FRAME_MAX, ep, &ip, &m3);
        if (with_eth && !eth.no_pad && !ip.opts_len && m3.type != 3)
            want = viv_wire_icmp_echo_frame_len(plen);
        break;
    }
    case 4: {
        viv_wire_udp u;
        memset(&u, 0, sizeof u);
        u.sport = sp;
        u.dport = dp;
        u.payload = payload;
        u.payload_len = plen;
        u.set = (tb >> 1) & 3;
        u.cksum = (uint16_t)(ival * 3u);
        u.length = (uint16_t)(ival * 5u);
        rs = CALL(c, viv_wire_udp_frame(small, cap, ep, &ip, &u));
        rb = viv_wire_udp_frame(big, VIV_WIRE_FRAME_MAX, ep, &ip, &u);
        if (with_eth && !eth.no_pad && !ip.opts_len)
            want = viv_wire_udp_frame_len(plen);
        break;
    }
    default: {
        viv_wire_tcp t;
        memset(&t, 0, sizeof t);
        t.sport = sp;
        t.dport = dp;
        t.seq = (uint32_t)ival * 1000u;
        t.ack = (uint32_t)tb * 7u;
        t.flags = tb;
        t.window = 65535;
        t.mss = (tb & 1) ? 1460 : 0;
        t.wscale_on = (tb >> 1) & 1;
        t.wscale = ival & 15;
        t.sack_ok = (tb >> 2) & 1;
        t.ts_on = (tb >> 3) & 1;
        t.sack_count = (uint8_t)((ival >> 4) % 6);
        for (int k = 0; k < 4; k++) {
            t.sack[k].left = 1000u * (uint32_t)k;
            t.sack[k].right = 1000u * (uint32_t)k + 500u;
        }
        if (eb & 0x80) {
            t.raw_opts = opts;
            t.raw_opts_len = optlens[(ib >> 2) & 7];
        }
        t.payload = payload;
        t.payload_len = plen;
        t.set = (ib & 0x20) ? VIV_WIRE_HDRLEN : 0;
        t.hdr_len = ival & 15;
        rs = CALL(c, viv_wire_tcp_frame(small, cap, ep, &ip, &t));
        rb = viv_wire_tcp_frame(big, VIV_WIRE_FRAME_MAX, ep, &ip, &t);
        if (with_eth && !eth.no_pad && !ip.opts_len && !t.raw_opts && t.sack_count <= 4)
            want = viv_wire_tcp_frame_len(
                plen, (size_t)(t.mss ? 4 : 0) + (t.sack_ok || t.ts_on ? 4 : 0) + (t.ts_on ? 8 : 0) +
                          (t.wscale_on ? 4 : 0) + (t.sack_count ? 4 + 8u * t.sack_count : 0));
        break;
    }
    }
    /* The same frame in any buffer big enough, VIV_ENOSPC in any other. */
    if (rb > 0 && (size_t)rb > VIV_WIRE_FRAME_MAX)
        fail(c, "a frame builder wrote %d bytes into %u", rb, VIV_WIRE_FRAME_MAX);
    if (rb > 0 && cap >= (size_t)rb && (rs != rb || memcmp(small, big, (size_t)rb) != 0))
        fail(c, "a frame builder gave %d bytes in a buffer of %zu, %d in a large one", rs, cap, rb);
    if (rb > 0 && cap < (size_t)rb && rs != VIV_ENOSPC)
        fail(c, "a frame builder gave %d for a buffer of %zu, a %d-byte frame needs more", rs, cap,
             rb);
    if (rb < 0 && rs >= 0)
        fail(c, "a frame builder built in a small buffer what it refused in a large one");
    if (rb > 0 && ip.set == 0 && !(eb & 0x40) && want && (uint32_t)rb != want && kind != 3)
        fail(c, "a frame builder made %d bytes, the length helper says %u", rb, want);
    if (rb > 0) {
        obs(c, hash_bytes(big, (size_t)rb));
        viv_frame_info info;
        if (with_eth && CALL(c, viv_frame_info_parse(&info, big, (size_t)rb)) == 0 && kind >= 3 &&
            !eth.ethertype && !ip.set && !ip.opts_len && !(eb & 0x40) &&
            (!info.has_ip || info.ip_src != sip || info.ip_dst != dip))
            fail(c, "a built frame does not parse back to its addresses");
        if (dev >= 0 && (send & 1) && bytes_ok(c, (uint64_t)rb)) {
            uint32_t np = c->recs[dev].nports;
            CALL(c,
                 viv_device_send_raw(handle(c, dev), (send >> 1) % (np ? np : 1), big, (size_t)rb));
        }
    }
    free(small);
    free(big);
#else
    (void)m, (void)cap, (void)dst, (void)eb, (void)sip, (void)dip, (void)ib, (void)ival;
    (void)sp, (void)dp, (void)plen, (void)tb, (void)send, (void)dev;
#endif
}

#if API3
static int until_pred(viv_sim_t *sim, void *user)
{
    actx *c = user;
    c->cbs++;
    uint64_t e = viv_sim_events(sim);
    clock_check(c, "viv_run_until predicate");
    if (e >= VIV_APIFUZZ_EVENT_BUDGET) {
        c->budget_hit = 1;
        return 1;
    }
    return e - c->drv_start >= c->drv_budget;
}

/* Whether a call that walks the whole of recorder may be made (KIT_LINES_MAX). */
static int kit_lines_ok(actx *c, const viv_rec_t *recorder)
{
    size_t n = viv_rec_count(recorder); /* 0 for NULL */
    if (c->kit_lines + n > KIT_LINES_MAX)
        return 0;
    c->kit_lines += n;
    return 1;
}

/* A kit driver at top level (in a callback: it must refuse). */
static int kit_enter(actx *c)
{
    if (c->depth || c->budget_hit || c->kit_calls >= KIT_CALLS_MAX)
        return c->depth ? 1 : 0;
    c->kit_calls++;
    c->in_kit = 1;
    c->drv_start = viv_sim_events(c->sim);
    return 1;
}

static void kit_leave(actx *c, int rc, const char *what)
{
    if (c->depth) {
        if (rc != VIV_ESTATE && rc != VIV_EINVAL)
            fail(c, "%s inside a callback returned %d, not VIV_ESTATE", what, rc);
        return;
    }
    c->in_kit = 0;
    c->last_fp = viv_sim_fingerprint(c->sim);
    obs(c, c->last_fp);
}
#endif

static void op_rec(actx *c, rd *r)
{
    static const uint32_t snaps[] = {0, 1, 14, 64, 256, 2000, 131072, 131073};
    static const uint32_t maxes[] = {0, 1, 2, 10, 1000, 0, 0, 3};
    uint8_t m = u8(r);
    int ri = pick(c, r, K_REC);
#if API3
    viv_rec_t *recorder = (m & 0xf0) == 0xf0 ? NULL : handle(c, ri);
    int rc;
#else
    (void)ri;
#endif
    switch (m & 15) {
    case 0: {
        uint8_t b = u8(r);
        uint8_t b2 = u8(r);
#if API3
        int s = slot_free(c, K_REC);
        if (s < 0 || c->nrec >= NREC)
            break;
        viv_rec_opts o = VIV_REC_OPTS_INIT;
        o.snaplen = snaps[b & 7];
        o.max_frames = maxes[(b >> 3) & 7];
        o.max_traces = maxes[b2 & 7];
        o.no_auto_names = (b >> 6) & 1;
        viv_rec_t *x = NULL;
        rc = CALL(c, viv_rec_new(&x, c->sim, (m & 0x10) ? NULL : &o));
        if (!(m & 0x10) && o.snaplen > 131072)
            expect(c, rc, VIV_EINVAL, "viv_rec_new with a snapshot length over 131072");
        if (rc == 0) {
            int xi = rec_new(c, K_REC, x);
            c->recs[xi].snap = (m & 0x10) || !o.snaplen ? VIV_REC_SNAPLEN_DEFAULT : o.snaplen;
            slot_put(c, xi, s);
            if (viv_rec_sim(x) != c->sim || viv_rec_count(x) ||
                viv_rec_start(x) != viv_sim_now(c->sim))
                fail(c, "a new recorder is not empty, of its simulation, from now");
        }
#else
        (void)b, (void)b2, (void)snaps, (void)maxes;
#endif
        break;
    }
    case 1: {
        int owner;
        viv_port_t *p = pick_port(c, r, &owner);
#if API3
        rc = CALL(c, viv_rec_attach_port(recorder, p));
        if (!recorder || !p || owner < 0)
            expect(c, rc, VIV_EINVAL, "viv_rec_attach_port with NULL or a foreign port");
#else
        (void)p;
#endif
        break;
    }
    case 2: {
        int li = pick(c, r, K_LINK);
        viv_link_dir dir = pick_dir(r);
#if API3
        rc = CALL(c, viv_rec_attach_link(recorder, handle(c, li), dir));
        c->link_watched |= rc == 0;
        if (!recorder || li < 0 || (unsigned)dir > 2)
            expect(c, rc, VIV_EINVAL, "viv_rec_attach_link with bad arguments");
#else
        (void)li, (void)dir;
#endif
        break;
    }
    case 3: {
        uint8_t b = u8(r);
        int ni = (b & 1) ? pick_node(c, r) : -1;
        int si = (b & 2) ? pick(c, r, K_UDP) : -1;
#if API3
        rc = CALL(c, viv_rec_trace(recorder, node_of(c, ni), handle(c, si),
                                   (b & 4) ? (uint32_t)b << 1 : 0));
#else
        (void)ni, (void)si;
#endif
        break;
    }
    case 4:
    case 5: {
        const char *name = PICK(r, rec_names);
        viv_ip4_t ip = pick_ip(c, r);
        viv_mac_t mac = pick_mac(c, r);
#if API3
        if (m & 1)
            rc = CALL(c, viv_rec_name_mac(recorder, name, &mac));
        else
            rc = CALL(c, viv_rec_name(recorder, name, ip));
#else
        (void)name, (void)ip, (void)mac;
#endif
        break;
    }
    case 6:
#if API3
        viv_rec_clear(recorder);
        if (recorder && (viv_rec_count(recorder) || viv_rec_trace_count(recorder) ||
                         viv_rec_start(recorder) != viv_sim_now(c->sim)))
            fail(c, "a cleared recorder is not empty from now");
#endif
        break;
    case 7:
    case 8: {
        uint8_t b = u8(r);
        size_t cap = pick_cap(r);
#if API3
        size_t n = viv_rec_count(recorder);
        obs(c, n);
        obs(c, viv_rec_overflow(recorder));
        obs(c, viv_rec_start(recorder));
        size_t from = n > 8 ? (b % (n - 7)) : 0;
        for (size_t i = from; i <= n && i < from + 9; i++) {
            viv_rec_entry en;
            rc = CALL(c, viv_rec_frame(&en, recorder, i));
            if (recorder && i == n)
                expect(c, rc, VIV_ERANGE, "viv_rec_frame past the end");
            if (rc == 0) {
                if (en.caplen > en.len || (en.caplen && !en.bytes))
                    fail(c, "a recorded frame keeps %u bytes of %u", en.caplen, en.len);
                obs(c, hash_bytes(en.bytes, en.caplen) ^ en.time);
                obs(c, hash_bytes(en.src, strnlen(en.src, sizeof en.src)) ^ en.kind);
                if (strnlen(en.src, sizeof en.src) == sizeof en.src ||
                    strnlen(en.dst, sizeof en.dst) == sizeof en.dst)
                    fail(c, "a recorded frame's endpoint name has no NUL");
            }
            char *line = tbuf(cap);
            if (line) {
                rc = viv_rec_format(recorder, i, line, cap);
                text_check(c, rc, line, cap, "viv_rec_format");
                if (rc > 0 && (size_t)rc < cap) {
                    /* A decoded line is a valid expectation line. */
                    viv_expect_t *ex = NULL;
                    if (viv_expect_new(&ex, c->sim) == 0) {
                        int pr = viv_expect_parse(ex, line);
                        if (pr != 0 && pr != VIV_ENOMEM)
                            fail(c,
                                 "viv_expect_parse refused a line of viv_rec_format: "
                                 "'%s': %s",
                                 line, viv_sim_errmsg(c->sim));
                        viv_expect_free(ex);
                    }
                }
                free(line);
            }
        }
        size_t nt = viv_rec_trace_count(recorder);
        obs(c, nt);
        for (size_t i = nt > 4 ? nt - 4 : 0; i <= nt; i++) {
            viv_trace_record tr;
            rc = CALL(c, viv_rec_trace_get(&tr, recorder, i));
            if (recorder && i == nt)
                expect(c, rc, VIV_ERANGE, "viv_rec_trace_get past the end");
            if (rc != 0)
                continue;
            /* The recorder keeps at most its snapshot length of the frame (testing.h):
             * reading frame_len bytes read past its copy when the snapshot was shorter. */
            size_t kept =
                ri >= 0 && tr.frame_len > c->recs[ri].snap ? c->recs[ri].snap : tr.frame_len;
            obs(c, (uint64_t)tr.kind << 32 ^ tr.time ^
                       hash_bytes(tr.frame, tr.frame ? (kept < 256 ? kept : 0) : 0));
        }
#else
        (void)b, (void)cap;
#endif
        break;
    }
    case 9: {
        size_t cap = pick_cap(r);
#if API3
        if (kit_lines_ok(c, recorder))
            TEXT(c, viv_rec_text(recorder, buf, cap_), cap);
#else
        (void)cap;
#endif
        break;
    }
    case 10: {
        uint8_t b = u8(r);
#if API3
        viv_pattern p;
        pattern_from(c, r, &p);
        size_t n = viv_rec_count(recorder);
        rc = CALL(c, viv_rec_match(recorder, n ? b % n : 0, &p));
        if (rc > 1)
            fail(c, "viv_rec_match returned %d", rc);
#else
        (void)b;
        pattern_skip(c, r);
#endif
        break;
    }
    case 11:
    case 12: {
        viv_time_t dl = kit_deadline(c, r);
        const char *lines[] = {"A>B ARP request", "* UDP",          "B>A ICMP echo-reply",
                               "ETH len 60",      "+1ms A>* IP",    "garbage here",
                               "TCP [S]",         "UDP 7>9 len 100"};
        const char *line = lines[u8(r) % 8];
#if API3
        viv_pattern p;
        pattern_from(c, r, &p);
        if (!kit_enter(c))
            break;
        size_t idx = 0;
        if (m & 1)
            rc = CALL(c, viv_rec_wait_text(recorder, line, dl, &idx));
        else
            rc = CALL(c, viv_rec_wait(recorder, &p, dl, (m & 0x20) ? NULL : &idx));
        kit_leave(c, rc, "viv_rec_wait");
        if (rc == 1 && !(m & 0x20) && recorder && idx >= viv_rec_count(recorder))
            fail(c, "viv_rec_wait found frame %zu of %zu", idx, viv_rec_count(recorder));
#else
        (void)dl, (void)line;
        pattern_skip(c, r);
#endif
        break;
    }
    case 13:
#if API3
        if (ri >= 0 && recorder)
            free_rec(c, ri);
#endif
        break;
    default:
#if API3
        if (viv_rec_sim(NULL) || viv_rec_count(NULL) || viv_rec_overflow(NULL) ||
            viv_rec_start(NULL) || viv_rec_trace_count(NULL))
            fail(c, "a recorder getter gave something for NULL");
        viv_rec_clear(NULL);
        viv_rec_free(NULL);
        expect(c, CALL(c, viv_rec_new(NULL, c->sim, NULL)), VIV_EINVAL, "viv_rec_new(NULL)");
#endif
        break;
    }
}

static const char *const scripts[] = {
    "A>B ARP request\nB>A ARP reply\nA>B UDP 1025>53 len 33\n",
    "allow ARP\n+0.000100~0.000010 B>A UDP 53 len 60\nnothing else until +1\n",
    "# a comment\n\nA>B ICMP echo-request id 1 seq 1\nB>A ICMP echo-reply\n",
    "<=+1 * TCP 1025>80 [S] 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n",
    "10.0.0.1:7>10.0.0.2:9 UDP len 100\n250us * IP proto 17\n+10ms A>B ETH type 0x0806 len 60\n",
    "A>B TCP [S.] 0:0(0) ack 1 <sack 1001:2001>\nallow nothing\n",
    "A>B UDP len\n",
    "+0.010~ A>B\n",
};

#if API3
static int scenario(viv_sim_t *sim, int run, void *user)
{
    (void)run;
    (void)user;
    viv_host_t *a = NULL, *b = NULL;
    viv_link_t *l = NULL;
    if (viv_host_new(&a, sim, NULL) || viv_host_new(&b, sim, NULL) ||
        viv_host_add_iface(a, NULL) < 0 || viv_host_add_iface(b, NULL) < 0 ||
        viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), NULL) ||
        viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24) ||
        viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24) ||
        viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL))
        return 1;
    return viv_sim_run_for(sim, VIV_S(5));
}
#endif

static void op_expect(actx *c, rd *r)
{
    uint8_t m = u8(r);
    int xi = pick(c, r, K_EXP);
#if API3
    viv_expect_t *ex = (m & 0xf0) == 0xf0 ? NULL : handle(c, xi);
    int rc;
#else
    (void)xi;
#endif
    switch (m & 15) {
    case 0: {
#if API3
        int s = slot_free(c, K_EXP);
        if (s < 0 || c->nrec >= NREC)
            break;
        viv_expect_t *x = NULL;
        rc = CALL(c, viv_expect_new(&x, c->sim));
        if (rc == 0)
            slot_put(c, rec_new(c, K_EXP, x), s);
#endif
        break;
    }
    case 1:
    case 2: {
        uint8_t b = u8(r);
        char *t = take_text(r);
#if API3
        const char *text = (b & 1) ? t : scripts[(b >> 1) % 8];
        if (text) {
            size_t before = viv_expect_count(ex);
            rc = CALL(c, viv_expect_parse((b & 0x80) ? NULL : ex, text));
            if (rc != 0 && viv_expect_count(ex) != before)
                fail(c, "viv_expect_parse failed but appended expectations");
            if (rc == VIV_EINVAL && ex && !(b & 0x80) &&
                strncmp(viv_sim_errmsg(c->sim), "expectations: line ", 19) != 0)
                fail(c, "viv_expect_parse refused a line without saying where: '%s'",
                     viv_sim_errmsg(c->sim));
        }
#else
        (void)b;
#endif
        free(t);
        break;
    }
    case 3: {
#if API3
        viv_pattern p;
        pattern_from(c, r, &p);
        rc = CALL(c, viv_expect_add(ex, &p));
        /* The canonical spelling of a pattern parses back. */
        size_t cap = 512;
        char *line = tbuf(cap);
        if (line && rc == 0) {
            int n = viv_pattern_format(&p, line, cap);
            text_check(c, n, line, cap, "viv_pattern_format");
            viv_expect_t *tmp = NULL;
            if (n > 0 && (size_t)n < cap && viv_expect_new(&tmp, c->sim) == 0) {
                int pr = viv_expect_parse(tmp, line);
                if (pr != 0 && pr != VIV_ENOMEM)
                    fail(c, "viv_expect_parse refused what viv_pattern_format wrote: '%s': %s",
                         line, viv_sim_errmsg(c->sim));
                viv_expect_free(tmp);
            }
        }
        free(line);
#else
        pattern_skip(c, r);
#endif
        break;
    }
    case 4: {
        size_t cap = pick_cap(r);
        uint8_t b = u8(r);
#if API3
        size_t n = viv_expect_count(ex);
        obs(c, n);
        TEXT(c, viv_expect_text(ex, n ? b % (n + 1) : 0, buf, cap_), cap);
#else
        (void)cap, (void)b;
#endif
        break;
    }
    case 5:
    case 6: {
        size_t cap = pick_cap(r);
        uint8_t b = u8(r);
        viv_time_t dl = kit_deadline(c, r);
        int rr = pick(c, r, K_REC);
#if API3
        viv_rec_t *recorder = handle(c, rr);
        char *rep = tbuf(cap);
        if (!rep)
            break;
        if (m & 1) {
            rc = kit_lines_ok(c, recorder)
                     ? CALL(c, viv_expect_check(ex, recorder, b & 1, cap ? rep : NULL, cap))
                     : 0;
            if (rc == VIV_CHECK_PENDING && (b & 1))
                fail(c, "a final check is pending");
        } else {
            if (kit_enter(c)) {
                rc = CALL(c, viv_expect_run(ex, recorder, dl, cap ? rep : NULL, cap));
                kit_leave(c, rc, "viv_expect_run");
                if (rc == VIV_CHECK_PENDING)
                    fail(c, "viv_expect_run returned 'pending'");
            } else {
                rc = 0;
            }
        }
        if (cap && (rc == VIV_CHECK_FAILED || rc == VIV_CHECK_PENDING)) {
            text_check(c, (int)strnlen(rep, cap) < (int)cap ? (int)strnlen(rep, cap) : (int)cap,
                       rep, cap, "an expectation report");
            if (rc == VIV_CHECK_FAILED && cap > 40 && !strstr(rep, "expectation") &&
                !strstr(rep, "overflow") && strnlen(rep, cap) < cap)
                obs(c, 1);
        }
        free(rep);
#else
        (void)cap, (void)b, (void)dl, (void)rr;
#endif
        break;
    }
    case 7: {
        static const uint64_t budgets[] = {1, 10, 100, 1000, 5000, 3};
        viv_time_t d = pick_dur(c, r);
        uint64_t bud = PICK(r, budgets);
#if API3
        viv_time_t now = viv_sim_now(c->sim);
        viv_time_t dl = d > VIV_TIME_NEVER - now ? VIV_TIME_NEVER : now + d;
        if (m & 0x10)
            dl = now ? now - 1 : 0;
        if (c->depth) {
            rc = CALL(c, viv_run_until(c->sim, dl, until_pred, c));
            kit_leave(c, rc, "viv_run_until");
            break;
        }
        if (c->budget_hit)
            break;
        c->in_kit = 1;
        c->drv_start = viv_sim_events(c->sim);
        c->drv_budget = bud;
        uint64_t stops = c->stops;
        rc = CALL(c, viv_run_until(c->sim, dl, until_pred, c));
        c->drv_budget = 0;
        kit_leave(c, rc, "viv_run_until");
        if (dl < now)
            expect(c, rc, VIV_EINVAL, "viv_run_until(a deadline in the past)");
        else if (rc == 0 && dl != VIV_TIME_NEVER && viv_sim_now(c->sim) != dl &&
                 !(VIV_APIFUZZ_AVOID_KIT_RUN_STOP && c->stops != stops))
            fail(c, "viv_run_until missed its deadline but left the clock at %llu, not %llu",
                 (unsigned long long)viv_sim_now(c->sim), (unsigned long long)dl);
#else
        (void)d, (void)bud;
#endif
        break;
    }
    case 8: {
        uint8_t b = u8(r);
        int li = pick(c, r, K_LINK);
        int lj = pick(c, r, K_LINK);
        uint32_t len = (uint32_t)u16(r) + (b & 0x80 ? 65536u : 0);
#if API3
        viv_link_t *l = handle(c, li);
        viv_link_dir dir = (viv_link_dir)(b & 3);
        viv_time_t st = viv_link_ser_time(l, dir, len), ow = viv_link_one_way(l, dir, len);
        viv_link_params p;
        if (l && dir <= 1 && viv_link_params_get(&p, l, dir) == 0) {
            /* The link's own formula, in 128 bits: ceil((len + overhead) * 8e9 / rate). */
            uint64_t ovh = p.overhead_bytes == VIV_LINK_OVERHEAD_NONE ? 0 : p.overhead_bytes;
            __extension__ typedef unsigned __int128 u128;
            u128 bits = ((u128)len + ovh) * 8u * 1000000000u;
            u128 want = (bits + p.rate_bps - 1) / p.rate_bps;
            if (want < VIV_TIME_NEVER && st != (viv_time_t)want)
                fail(c, "viv_link_ser_time(%u) = %llu, the formula gives %llu", len,
                     (unsigned long long)st, (unsigned long long)want);
            if (st < VIV_TIME_NEVER - p.delay_ns && ow != st + p.delay_ns)
                fail(c, "viv_link_one_way = %llu, not serialisation %llu + delay %llu",
                     (unsigned long long)ow, (unsigned long long)st,
                     (unsigned long long)p.delay_ns);
        } else if (st != VIV_TIME_NEVER || ow != VIV_TIME_NEVER) {
            fail(c, "viv_link_ser_time or viv_link_one_way took bad arguments");
        }
        viv_hop hops[2] = {{l, (viv_link_dir)(b & 1)}, {handle(c, lj), (viv_link_dir)(b >> 1 & 1)}};
        viv_time_t path = viv_path_one_way(hops, (b >> 2) % 3, len);
        obs(c, st ^ ow ^ path);
        if ((b >> 2) % 3 == 1 && l && path != viv_link_one_way(l, hops[0].dir, len))
            fail(c, "a one-hop path is not that hop's one-way time");
#else
        (void)b, (void)li, (void)lj, (void)len;
#endif
        break;
    }
    case 9: {
        size_t cap = pick_cap(r);
#if API3
        char *rep = tbuf(cap);
        if (!rep)
            break;
        uint64_t fp = viv_sim_fingerprint(c->sim);
        expect(c, CALL(c, viv_fingerprint_check(c->sim, fp, cap ? rep : NULL, cap)), 0,
               "viv_fingerprint_check of the fingerprint");
        rc = CALL(c, viv_fingerprint_check(c->sim, fp ^ 1, cap ? rep : NULL, cap));
        expect(c, rc, VIV_CHECK_FAILED, "viv_fingerprint_check of another fingerprint");
        if (cap && strnlen(rep, cap) == cap)
            fail(c, "viv_fingerprint_check left its report without a NUL");
        free(rep);
#else
        (void)cap;
#endif
        break;
    }
    case 10: {
        uint8_t b = u8(r);
#if API3
        if (b != 0x5c || c->depth)
            break; /* rare: two simulations of their own */
        viv_repeat_opts o = VIV_REPEAT_OPTS_INIT;
        acount a0, a1;
        memset(&a0, 0, sizeof a0);
        memset(&a1, 0, sizeof a1);
        a0.c = a1.c = c;
        o.seed = viv_sim_seed(c->sim);
        o.alloc = count_alloc;
        o.alloc_ud[0] = &a0;
        o.alloc_ud[1] = &a1;
        o.threads = m >> 7;
        char rep[200];
        viv_repeat_result res;
        expect(c, CALL(c, viv_scenario_repeat(&res, scenario, NULL, &o, rep, sizeof rep)), 0,
               "viv_scenario_repeat of a deterministic scenario");
        if (a0.live || a1.live)
            fail(c, "viv_scenario_repeat left %zu + %zu bytes allocated", a0.live, a1.live);
        obs(c, res.run[0].fingerprint);
#else
        (void)b;
#endif
        break;
    }
    case 11:
#if API3
        if (xi >= 0 && ex)
            free_rec(c, xi);
#endif
        break;
    default:
#if API3
        if (viv_expect_count(NULL))
            fail(c, "viv_expect_count(NULL) is not 0");
        viv_expect_free(NULL);
        viv_pattern_init(NULL);
        expect(c, CALL(c, viv_expect_new(NULL, c->sim)), VIV_EINVAL, "viv_expect_new(NULL)");
        expect(c, CALL(c, viv_run_until(NULL, 0, until_pred, c)), VIV_EINVAL,
               "viv_run_until(NULL)");
#endif
        break;
    }
}

/* ---- the op table ---------------------------------------------------------------------------- */

typedef struct opdef {
    const char *name;
    void (*fn)(actx *, rd *);
} opdef;

static const opdef ops[] = {
    {"host_new", op_host_new},
    {"host_new", op_host_new},
    {"l2_new", op_l2_new},
    {"link_new", op_link_new},
    {"link_new", op_link_new},
    {"wire", op_wire},
    {"link", op_link},
    {"link", op_link},
    {"host", op_host},
    {"host", op_host},
    {"expect", op_expect},
    {"node", op_node},
    {"switch", op_switch},
    {"subnet", op_subnet},
    {"subnet", op_subnet},
    {"compute", op_compute},
    {"udp_new", op_udp_new},
    {"udp_new", op_udp_new},
    {"udp", op_udp},
    {"udp", op_udp},
    {"rec", op_rec},
    {"ping", op_ping},
    {"traceroute", op_traceroute},
    {"ping_query", op_ping_query},
    {"dev_send", op_dev_send},
    {"arp_spray", op_arp_spray},
    {"pcap", op_pcap},
    {"schedule", op_schedule},
    {"schedule", op_schedule},
    {"cancel", op_cancel},
    {"step", op_step},
    {"run_for", op_run_for},
    {"run_for", op_run_for},
    {"run_until", op_run_until},
    {"run", op_run},
    {"sim_query", op_sim_query},
    {"free", op_free},
    {"self", op_self},
    {"self", op_self},
    {"pure", op_pure},
    {"sim_free", op_sim_free},
    {"trace", op_trace},
};

/* Ops added later (TCP, processes), picked by the bytes 0xe0 to 0xff, so that the table above
 * still decodes the bytes below 0xe0 as it did before them (an op byte at or above 0xe0
 * picked ops[byte % NOPS] before). api_corpus.py reads this table too. */
static const opdef ops2[] = {
    {"tcp_new", op_tcp_new}, {"tcp", op_tcp}, {"tcp", op_tcp}, {"tcp", op_tcp}, {"proc", op_proc},
};

#define NOPS (sizeof ops / sizeof ops[0])
#define NOPS2 (sizeof ops2 / sizeof ops2[0])
#define OPS2_FROM 0xe0u

static void do_op(actx *c, rd *r)
{
    if (c->gone)
        return;
    uint8_t b = u8(r);
    const opdef *op = b >= OPS2_FROM ? &ops2[(b - OPS2_FROM) % NOPS2] : &ops[b % NOPS];
    c->ops++;
    if (viv_apifuzz_verbose)
        fprintf(stderr, "%*s%s @%llu ns\n", c->depth * 2, "", op->name,
                (unsigned long long)viv_sim_now(c->sim));
    op->fn(c, r);
}

/* ---- a whole run ----------------------------------------------------------------------------- */

/* Read everything of every live object (coverage for the getters, and their invariants). */
static void audit(actx *c)
{
    static const uint8_t rich[] = {0x00, 0x07, 0x07, 0x05, 0x02, 0x05, 0x06, 0x04, 0x01};
    for (int i = 0; i < c->nrec && !c->gone; i++) {
        rec *o = &c->recs[i];
        if (o->freed || !o->h)
            continue;
        rd r = {rich, sizeof rich, 0};
        switch (o->kind) {
        case K_HOST:
            host_inspect(c, &r, o->h, o->arp_max);
            break;
        case K_LINK:
            for (int d = 0; d < 2; d++) {
                viv_link_stats_t st;
                if (CALL(c, viv_link_stats(&st, o->h, (viv_link_dir)d)) == 0) {
                    obs_link_stats(c, &st);
                    if (o->min_mtu[d] >= 65535 && st.drop_mtu)
                        fail(c,
                             "a link direction whose MTU was never below %u dropped %llu "
                             "frames as too big",
                             o->min_mtu[d], (unsigned long long)st.drop_mtu);
                }
            }
            break;
        case K_SW: {
            viv_switch_stats_t st;
            if (CALL(c, viv_switch_stats(&st, o->h)) == 0)
                obs(c, hash_bytes(&st, sizeof st));
            TEXT(c, viv_switch_mac_table_text(o->h, buf, cap_), 4096);
            break;
        }
        case K_UDP: {
            viv_udp_stats_t st;
            if (CALL(c, viv_udp_stats(&st, o->h)) == 0)
                obs(c, hash_bytes(&st, sizeof st));
            break;
        }
        case K_PING: {
            viv_ping_stats_t st;
            if (CALL(c, viv_ping_stats(&st, o->h)) == 0)
                obs(c, hash_bytes(&st, sizeof st));
            break;
        }
        case K_PCAP:
            obs(c, viv_pcap_frames(o->h));
            CALL(c, viv_pcap_flush(o->h));
            break;
        case K_TCP: {
            viv_tcp_info in;
            if (CALL(c, viv_tcp_info_get(&in, o->h)) == 0)
                obs_tcp_info(c, &in);
            break;
        }
        case K_PROC:
            obs(c, (uint64_t)viv_process_status_get(o->h) << 32 | viv_process_socket_count(o->h));
            break;
        default:
            break;
        }
    }
}

typedef struct outcome {
    uint64_t fp, events, obs;
    int gone;
} outcome;

static void run_once(actx *c, const uint8_t *data, size_t size, outcome *out, int observer)
{
    memset(c, 0, offsetof(actx, buf));
    for (size_t i = 0; i < sizeof c->src; i++)
        c->src[i] = (uint8_t)i;
    c->observer = observer;
    c->al.c = c->fal.c = c;
    c->self = -1;
    for (int k = 0; k < NKIND; k++)
        for (int s = 0; s < MAXSLOT; s++)
            c->slots[k][s] = -1;
    rd r = {data, size, 0};
    uint8_t h0 = u8(&r);
    uint64_t seed = (h0 & 1) ? u64(&r) : h0 >> 1;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    so.alloc = count_alloc;
    so.alloc_ud = &c->al;
    if (viv_sim_new(&c->sim, &so) != 0) {
        fail(c, "viv_sim_new failed");
        return;
    }
    so.alloc_ud = &c->fal;
    if (viv_sim_new(&c->fsim, &so) != 0 || viv_hub_new(&c->fhub, c->fsim, 2, NULL) != 0) {
        fail(c, "the second simulation could not be made");
        return;
    }
    if (viv_sim_seed(c->sim) != seed)
        fail(c, "viv_sim_seed gave another seed");
#if API2
    if (c->observer && viv_sim_trace(c->sim, trace_cb, c) != 0)
        fail(c, "viv_sim_trace failed");
#endif
    unsigned top = 0;
    while (!rd_eof(&r) && top < TOP_OPS_MAX && !c->gone) {
        do_op(c, &r);
        if (top < TRAIL)
            c->trail[top] = c->obs;
        top++;
    }
    if (!c->gone) {
        audit(c);
        out->fp = viv_sim_fingerprint(c->sim);
        out->events = viv_sim_events(c->sim);
        viv_sim_free(c->sim);
    } else {
        out->fp = c->last_fp;
        out->events = c->last_events;
    }
    out->gone = c->gone;
    out->obs = c->obs;
    if (c->al.live || c->al.blocks)
        fail(c, "%zu bytes in %zu blocks are still allocated after viv_sim_free", c->al.live,
             c->al.blocks);
    viv_sim_free(c->fsim);
    if (c->fal.live || c->fal.blocks)
        fail(c, "%zu bytes are still allocated after freeing the second simulation", c->fal.live);
}

int viv_apifuzz_check(const uint8_t *data, size_t size, char *msg, size_t msg_cap,
                      viv_apifuzz_stats *stats)
{
    actx *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    int ret = 0;
    if (!a || !b) {
        free(a);
        free(b);
        if (msg_cap)
            snprintf(msg, msg_cap, "out of memory");
        return -1;
    }
    outcome oa = {0, 0, 0, 0}, ob = {0, 0, 0, 0};
    run_once(a, data, size, &oa, 0);
    if (stats) {
        stats->fingerprint = oa.fp;
        stats->events = oa.events;
        stats->ops = a->ops;
        stats->calls = a->calls;
        stats->callbacks = a->cbs;
        stats->failed_calls = a->failed_calls;
        stats->peak_bytes = a->al.peak;
        stats->budget_hit = a->budget_hit;
    }
    if (a->failed) {
        if (msg_cap)
            snprintf(msg, msg_cap, "%s", a->msg);
        ret = -1;
        goto out;
    }
    run_once(b, data, size, &ob, 1);
    if (b->failed) {
        if (msg_cap)
            snprintf(msg, msg_cap, "second run: %s", b->msg);
        ret = -1;
        goto out;
    }
    if (oa.fp != ob.fp || oa.events != ob.events || oa.obs != ob.obs) {
        int at = -1;
        for (int i = 0; i < TRAIL; i++)
            if (a->trail[i] != b->trail[i]) {
                at = i;
                break;
            }
        if (msg_cap)
            snprintf(msg, msg_cap,
                     "two runs differ: fingerprint %016llx vs %016llx, events %llu vs %llu, "
                     "observations %016llx vs %016llx (first differing top-level op: %d)",
                     (unsigned long long)oa.fp, (unsigned long long)ob.fp,
                     (unsigned long long)oa.events, (unsigned long long)ob.events,
                     (unsigned long long)oa.obs, (unsigned long long)ob.obs, at);
        if (viv_apifuzz_abort_on_failure) {
            fprintf(stderr, "apifuzz: invariant broken: %s\n", msg);
            abort();
        }
        ret = -1;
    }
out:
    free(a);
    free(b);
    return ret;
}
