/* A hash map from 64-bit keys to pointers: open addressing, linear probing, backward-shift
 * deletion, growth by doubling. Used for O(1) demultiplexing (ports, connection 4-tuples).
 * Iteration order is never exposed: callers that list things keep their own ordered lists. */
#ifndef VIV_CORE_MAP_H
#define VIV_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

struct viv_sim;

typedef struct viv__map_slot {
    uint64_t key;
    void *val; /* NULL marks an empty slot: values are never NULL */
} viv__map_slot;

typedef struct viv__map {
    viv__map_slot *slots;
    uint32_t cap; /* power of two, or 0 */
    uint32_t len;
} viv__map;

void viv__map_init(viv__map *m);
void viv__map_fini(struct viv_sim *sim, viv__map *m);
void *viv__map_get(const viv__map *m, uint64_t key);
/* Insert or replace; val must not be NULL. Returns 0 or VIV_ENOMEM. */
int viv__map_put(struct viv_sim *sim, viv__map *m, uint64_t key, void *val);
/* Remove; returns the old value or NULL. */
void *viv__map_del(viv__map *m, uint64_t key);

#endif
