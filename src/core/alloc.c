/* Allocation through the simulation's allocator hook. This file is the only one in src/
 * that calls the C library's allocator. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void *viv__default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

void *viv__default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

void *viv__alloc(viv_sim_t *sim, size_t size)
{
    if (size == 0)
        size = 1;
    return sim->alloc(sim->alloc_ud, NULL, 0, size);
}

void *viv__zalloc(viv_sim_t *sim, size_t size)
{
    void *p = viv__alloc(sim, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *viv__realloc(viv_sim_t *sim, void *ptr, size_t old_size, size_t new_size)
{
    if (!ptr)
        return viv__alloc(sim, new_size);
    if (new_size == 0)
        new_size = 1;
    return sim->alloc(sim->alloc_ud, ptr, old_size, new_size);
}

void viv__free(viv_sim_t *sim, void *ptr, size_t size)
{
    if (ptr)
        sim->alloc(sim->alloc_ud, ptr, size, 0);
}
