/* A hash map from 128-bit keys to pointers: open addressing, linear probing, backward-shift
 * deletion, growth by doubling. Used for O(1) lookups: names, ARP entries, ports, and
 * connections, whose key (local address and port, remote address and port: 96 bits) does
 * not fit 64 bits. The hash has no seed: the same keys give the same table everywhere, and
 * iteration order is never exposed (callers that list things keep their own ordered lists). */
#ifndef VIV_CORE_MAP_H
#define VIV_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

struct viv_sim;

/* A key: two 64-bit halves, both compared. */
typedef struct viv__mkey {
    uint64_t hi, lo;
} viv__mkey;

/* A key from one 64-bit value. */
static inline viv__mkey viv__mkey_u64(uint64_t v)
{
    viv__mkey k = {0, v};
    return k;
}

/* A key from a connection's 4-tuple (addresses in host byte order). Different tuples give
 * different keys: (a, b) and (b, a) included. */
static inline viv__mkey viv__mkey_tuple(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
                                        uint16_t remote_port)
{
    viv__mkey k = {(uint64_t)local_ip << 32 | remote_ip, (uint64_t)local_port << 16 | remote_port};
    return k;
}

static inline int viv__mkey_eq(viv__mkey a, viv__mkey b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* The hash: every bit of both halves reaches the low bits that pick the home slot. The high
 * half is spread by a multiplication and folded into the low one, and the sum goes through
 * a multiply-xorshift finaliser (as in MurmurHash3's fmix64, one round shorter). */
static inline uint64_t viv__mkey_hash(viv__mkey k)
{
    uint64_t h = k.lo ^ (k.hi * UINT64_C(0x9e3779b97f4a7c15));
    h ^= h >> 32;
    h *= UINT64_C(0xd6e8feb86659fd93);
    h ^= h >> 32;
    return h;
}

typedef struct viv__map_slot {
    viv__mkey key;
    void *val; /* NULL marks an empty slot: values are never NULL */
} viv__map_slot;

typedef struct viv__map {
    viv__map_slot *slots;
    uint32_t cap; /* power of two, or 0 */
    uint32_t len;
} viv__map;

void viv__map_init(viv__map *m);
void viv__map_fini(struct viv_sim *sim, viv__map *m);
void *viv__map_get(const viv__map *m, viv__mkey key);
/* Insert or replace; val must not be NULL. Returns 0 or VIV_ENOMEM (the map is unchanged).
 * Replacing the value of a key already present never fails, nor does inserting while
 * viv__map_reserve's promise holds. */
int viv__map_put(struct viv_sim *sim, viv__map *m, viv__mkey key, void *val);
/* Remove; returns the old value or NULL. Never fails (the table never shrinks). */
void *viv__map_del(viv__map *m, viv__mkey key);
/* Grow now so that the map holds n keys without growing again. Returns 0 or VIV_ENOMEM. */
int viv__map_reserve(struct viv_sim *sim, viv__map *m, uint32_t n);

#endif
