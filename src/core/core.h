/* Internal core of vivarium: the simulation structure, allocation, errors, fingerprint,
 * owned-object registry and frames. Never installed; every layer above includes it. */
#ifndef VIV_CORE_CORE_H
#define VIV_CORE_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/rng.h"
#include "vivarium/sim.h"

#include "sched.h"

#if defined(__GNUC__)
#define VIV__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VIV__LIKELY(x) __builtin_expect(!!(x), 1)
#define VIV__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VIV__PRINTF(a, b)
#define VIV__LIKELY(x) (x)
#define VIV__UNLIKELY(x) (x)
#endif

#define VIV__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An object owned by a simulation and destroyed by viv_sim_free() when the program has not
 * freed it. Hosts, links, hubs, switches, sockets and captures embed one as their first
 * member. Objects are destroyed in the reverse of their registration order, so an object
 * never outlives one it was built on. */
typedef struct viv__obj {
    struct viv__obj *prev, *next;
    void (*destroy)(struct viv__obj *obj);
    uint32_t tag; /* what the object is, for walks over the simulation (VIV__TAG_*) */
} viv__obj;

enum { VIV__TAG_NONE = 0, VIV__TAG_NODE = 1, VIV__TAG_LINK = 2 };

/* A frame: one contiguous buffer with headroom and a reference count. The bytes of the frame
 * are data[head .. head + len). A frame shared by several holders (a hub's flood) is
 * immutable, its head and len included: a holder that needs to push, pull or write first
 * takes viv__frame_writable(), which copies only when someone else still holds the frame. */
typedef struct viv__frame {
    uint32_t refs;
    uint32_t cap;  /* bytes of data[] */
    uint32_t head; /* offset of the first byte of the frame in data[] */
    uint32_t len;  /* bytes in the frame */
    /* The transport checksum (UDP, TCP) is known to be good: the frame's transport bytes are
     * exactly what the sending stack emitted and checksummed. A receiver may then skip
     * recomputing it. Anything that could change those bytes (corruption, a program's
     * device) yields a frame without the flag, which is verified like any other. */
    uint8_t csum_ok;
    struct viv__frame *next_free;
    uint8_t data[];
} viv__frame;

/* Frames of at most this much buffer come from the simulation's pool. */
#define VIV__FRAME_POOL_CAP 2048u
/* Headroom a frame built by a transport layer reserves for IPv4 and Ethernet headers. */
#define VIV__FRAME_HEADROOM 128u

struct viv_sim {
    viv_alloc_fn alloc;
    void *alloc_ud;
    uint64_t seed;
    viv_time_t now;

    /* Events: the event table (viv__event, in sched.h) and the queue over it. */
    viv__sched q;
    viv__event *ev;
    uint32_t ev_len, ev_cap;
    uint32_t ev_free; /* head of the free-slot list, UINT32_MAX if empty */
    uint64_t seq;
    uint64_t dispatched;
    size_t pending;
    int running;
    int stop;
    int free_requested; /* viv_sim_free was called from a callback */

    uint64_t fp;

    /* Owned objects, in registration order. */
    viv__obj objs;
    uint64_t next_obj_id;

    /* Frame pool. */
    viv__frame *frame_free;
    size_t frames_live;

    char errmsg[256];
};

/* Allocation through the simulation's hook. viv__alloc returns NULL on failure. */
void *viv__alloc(viv_sim_t *sim, size_t size);
void *viv__zalloc(viv_sim_t *sim, size_t size);
void *viv__realloc(viv_sim_t *sim, void *ptr, size_t old_size, size_t new_size);
void viv__free(viv_sim_t *sim, void *ptr, size_t size);

/* Record a message and return err (a negative VIV_E* code). sim may be NULL. */
int viv__err(viv_sim_t *sim, int err, const char *fmt, ...) VIV__PRINTF(3, 4);

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
void viv__sb_printf(viv__sb *sb, const char *fmt, ...) VIV__PRINTF(2, 3);

/* Fingerprint mixing: fold a 64-bit word, or a byte string, into the run's fingerprint. */
static inline uint64_t viv__fp_fold(uint64_t h, uint64_t x)
{
    h ^= x;
    h *= UINT64_C(0x9e3779b97f4a7c15);
    h ^= h >> 29;
    return h;
}
void viv__fp_mix(viv_sim_t *sim, uint64_t x);
/* Bytes of each frame on a wire that the fingerprint reads: every header (Ethernet, IPv4,
 * ICMP/UDP/TCP with options), whose checksums in turn cover the payload. */
#define VIV__FP_FRAME_BYTES 64u
void viv__fp_bytes(viv_sim_t *sim, const uint8_t *p, size_t n);

/* Owned objects. Registration cannot fail. Unregistering does not call destroy. */
void viv__obj_register(viv_sim_t *sim, viv__obj *obj, void (*destroy)(viv__obj *));
void viv__obj_unregister(viv_sim_t *sim, viv__obj *obj);
/* A number unique within the simulation, counting from 1 in creation order: stable ids for
 * random streams, MAC addresses and names. */
uint64_t viv__next_id(viv_sim_t *sim);

/* Random stream for a library component: kind (a small constant) and its stable id. */
enum {
    VIV__RNG_LINK = 1,
    VIV__RNG_HOST = 2,
    VIV__RNG_SWITCH = 3,
    VIV__RNG_DEVICE = 4,
};
void viv__rng_component(viv_rng_t *out, const viv_sim_t *sim, uint32_t kind, uint64_t id,
                        uint32_t sub);

/* Frames. */
viv__frame *viv__frame_new(viv_sim_t *sim, uint32_t headroom, uint32_t len);
viv__frame *viv__frame_from(viv_sim_t *sim, uint32_t headroom, const uint8_t *bytes,
                            uint32_t len);
static inline uint8_t *viv__frame_bytes(viv__frame *f) { return f->data + f->head; }
static inline viv__frame *viv__frame_ref(viv__frame *f)
{
    f->refs++;
    return f;
}
void viv__frame_unref(viv_sim_t *sim, viv__frame *f);
/* Grow the frame at the front by n bytes (n <= head) and return the new first byte. */
uint8_t *viv__frame_push(viv__frame *f, uint32_t n);
/* Remove n bytes from the front (n <= len) and return the new first byte. */
uint8_t *viv__frame_pull(viv__frame *f, uint32_t n);
/* The frame itself if this is its only holder, else a private copy (the caller's reference
 * to f moves to the copy). NULL on allocation failure (f is then unreferenced). */
viv__frame *viv__frame_writable(viv_sim_t *sim, viv__frame *f);

#endif
