/* Allocation through the simulation's allocator hook. This file is the only one in src/
 * that calls the C library's allocator. Also the handle checks of debug builds (core.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* AddressSanitizer (gcc defines __SANITIZE_ADDRESS__, clang has __has_feature): the handle
 * check asks it whether a handle's memory was freed before reading it. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIV__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(VIV__ASAN)
#define VIV__ASAN 1
#endif
#ifdef VIV__ASAN
#include <sanitizer/asan_interface.h>
#endif

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
    if (ptr) {
#if defined(VIV_DEBUG_HANDLES) && VIV_DEBUG_HANDLES
        /* A stale handle then reads no live magic, even where the memory is not reused. */
        memset(ptr, VIV__POISON_BYTE, size);
#endif
        sim->alloc(sim->alloc_ud, ptr, size, 0);
    }
}

/* ---- handle checks (core.h) ------------------------------------------------------------ */

static const struct {
    const char *name, *noun;
} handle_kinds[] = {
    [VIV__HK_SIM] = {"simulation", "simulation"},
    [VIV__HK_HOST] = {"host", "host"},
    [VIV__HK_HUB] = {"hub", "hub"},
    [VIV__HK_SWITCH] = {"switch", "switch"},
    [VIV__HK_DEVICE] = {"device", "device"},
    [VIV__HK_NODE] = {"node", "node"},
    [VIV__HK_PORT] = {"port", "port"},
    [VIV__HK_LINK] = {"link", "link"},
    [VIV__HK_UDP] = {"UDP socket", "socket"},
    [VIV__HK_TCP] = {"TCP socket", "socket"},
    [VIV__HK_PING] = {"ping", "ping"},
    [VIV__HK_TRACEROUTE] = {"traceroute", "traceroute"},
    [VIV__HK_SUBNET] = {"subnet", "subnet"},
    [VIV__HK_CAPTURE] = {"capture", "capture"},
};

static int handle_magic_ok(uint32_t m, viv__hkind kind)
{
    switch (kind) {
    case VIV__HK_SIM: return m == VIV__MAGIC_SIM;
    case VIV__HK_HOST: return m == VIV__MAGIC_HOST;
    case VIV__HK_HUB: return m == VIV__MAGIC_HUB;
    case VIV__HK_SWITCH: return m == VIV__MAGIC_SWITCH;
    case VIV__HK_DEVICE: return m == VIV__MAGIC_DEVICE;
    case VIV__HK_NODE:
        return m == VIV__MAGIC_HOST || m == VIV__MAGIC_HUB || m == VIV__MAGIC_SWITCH ||
               m == VIV__MAGIC_DEVICE;
    case VIV__HK_PORT: return m == VIV__MAGIC_PORT;
    case VIV__HK_LINK: return m == VIV__MAGIC_LINK;
    case VIV__HK_UDP: return m == VIV__MAGIC_UDP;
    case VIV__HK_TCP: return m == VIV__MAGIC_TCP;
    case VIV__HK_PING:
    case VIV__HK_TRACEROUTE: return m == VIV__MAGIC_HOSTOBJ;
    case VIV__HK_SUBNET: return m == VIV__MAGIC_SUBNET;
    case VIV__HK_CAPTURE: return m == VIV__MAGIC_CAPTURE;
    }
    return 0;
}

void viv__handle_check(const void *p, viv__hkind kind, const char *func)
{
    if (!p)
        return;
    int live = 0;
#ifdef VIV__ASAN
    /* Freed memory is quarantined and poisoned: asking first reads nothing ASan reports. */
    if (!__asan_region_is_poisoned((void *)(uintptr_t)p, sizeof(uint32_t)))
#endif
    {
        uint32_t m;
        memcpy(&m, p, sizeof m);
        live = handle_magic_ok(m, kind);
    }
    if (VIV__LIKELY(live))
        return;
    fprintf(stderr, "vivarium: %s: %p is not a live %s (freed, or not a %s)\n", func, p,
            handle_kinds[kind].name, handle_kinds[kind].noun);
    fflush(stderr);
    abort();
}
