/**
 * @file vivarium/common.h
 * @brief Export macro, version, simulated time, error codes and the allocator hook.
 *
 * @defgroup viv_common Common definitions
 * @brief What every other module of vivarium uses.
 *
 * Every failing call of vivarium returns a negative `VIV_E*` code (see ::viv_errno_t), and
 * records a message in its simulation, readable with viv_sim_errmsg(), when it has one: a
 * call given no simulation (a NULL handle, or the functions of addr.h, frame.h, rng.h and
 * wire.h, which touch none) records nothing. The codes are vivarium's own, not the host's
 * `errno`, so traces read the same on every system.
 *
 * Simulated time is a ::viv_time_t: unsigned 64-bit nanoseconds since the start of the
 * simulation. Use VIV_US(), VIV_MS() and VIV_S() to write durations.
 * @{
 */
#ifndef VIVARIUM_COMMON_H
#define VIVARIUM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond VIV_INTERNAL */
#if defined(_WIN32) && defined(VIV_SHARED)
#if defined(VIV_BUILDING)
#define VIV_API __declspec(dllexport)
#else
#define VIV_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define VIV_API __attribute__((visibility("default")))
#else
#define VIV_API
#endif
/** @endcond */

/** Major version of the library these headers describe. */
#define VIV_VERSION_MAJOR 0
/** Minor version of the library these headers describe. */
#define VIV_VERSION_MINOR 1
/** Patch version of the library these headers describe. */
#define VIV_VERSION_PATCH 0

/**
 * Version of the library actually linked, as `major * 10000 + minor * 100 + patch`.
 * @return the version number of the linked library.
 */
VIV_API int viv_version(void);

/** Simulated time or duration in nanoseconds. */
typedef uint64_t viv_time_t;

/** A duration of @p x nanoseconds. */
#define VIV_NS(x) ((viv_time_t)(x))
/** A duration of @p x microseconds. */
#define VIV_US(x) ((viv_time_t)(x) * 1000u)
/** A duration of @p x milliseconds. */
#define VIV_MS(x) ((viv_time_t)(x) * 1000000u)
/** A duration of @p x seconds. */
#define VIV_S(x) ((viv_time_t)(x) * 1000000000u)
/** A time that never comes: "no deadline". It is not an instant: nothing can be scheduled
 *  at it, and the clock never reaches it. */
#define VIV_TIME_NEVER UINT64_MAX
/** The last instant of simulated time (about 584 years). Time only moves forward: a time
 *  computed past it is refused with ::VIV_ERANGE, or saturates at it where the API says so
 *  (a link's arrival times, viv_sim_run_for()). */
#define VIV_TIME_MAX (VIV_TIME_NEVER - 1)

/**
 * The table of error codes: `XX(NAME, value, "message")`.
 *
 * Names follow POSIX where one fits. The values are vivarium's own and never change
 * meaning between releases.
 */
#define VIV_ERRNO_MAP(XX)                                                          \
    XX(EINVAL, -1, "invalid argument")                                             \
    XX(ENOMEM, -2, "out of memory")                                                \
    XX(ESTATE, -3, "operation not valid in the object's current state")           \
    XX(ENOENT, -4, "no such object")                                               \
    XX(EEXIST, -5, "object already exists")                                        \
    XX(EAGAIN, -6, "resource temporarily unavailable, try again later")           \
    XX(EIO, -7, "input/output error")                                              \
    XX(EBUSY, -8, "resource busy")                                                 \
    XX(ENOSPC, -9, "no space left")                                                \
    XX(ERANGE, -10, "value out of range")                                          \
    XX(EADDRINUSE, -11, "address already in use")                                  \
    XX(EADDRNOTAVAIL, -12, "address not available")                                \
    XX(ECONNREFUSED, -13, "connection refused")                                    \
    XX(ECONNRESET, -14, "connection reset by peer")                                \
    XX(ECONNABORTED, -15, "connection aborted")                                    \
    XX(ETIMEDOUT, -16, "connection timed out")                                     \
    XX(ENOTCONN, -17, "socket is not connected")                                   \
    XX(EISCONN, -18, "socket is already connected")                                \
    XX(EHOSTUNREACH, -19, "no route to host")                                      \
    XX(ENETUNREACH, -20, "network is unreachable")                                 \
    XX(EMSGSIZE, -21, "message too long")                                          \
    XX(EACCES, -22, "permission denied")                                           \
    XX(ESHUTDOWN, -23, "cannot send after shutdown")                               \
    XX(EPIPE, -24, "broken pipe")                                                  \
    XX(ENOTSUP, -25, "operation not supported")                                    \
    XX(EALREADY, -26, "operation already in progress")                             \
    XX(EINPROGRESS, -27, "operation now in progress")

/**
 * Error codes returned by failing calls (always negative). ::VIV_ERRNO_MAP gives the same
 * names, values and messages as a table; the library checks at build time that the two agree.
 */
typedef enum viv_errno {
    VIV_OK = 0,             /**< success */
    VIV_EINVAL = -1,        /**< invalid argument */
    VIV_ENOMEM = -2,        /**< out of memory */
    VIV_ESTATE = -3,        /**< operation not valid in the object's current state */
    VIV_ENOENT = -4,        /**< no such object */
    VIV_EEXIST = -5,        /**< object already exists */
    VIV_EAGAIN = -6,        /**< resource temporarily unavailable (would block) */
    VIV_EIO = -7,           /**< input/output error */
    VIV_EBUSY = -8,         /**< resource busy */
    VIV_ENOSPC = -9,        /**< no space left */
    VIV_ERANGE = -10,       /**< value out of range */
    VIV_EADDRINUSE = -11,   /**< address already in use */
    VIV_EADDRNOTAVAIL = -12, /**< address not available */
    VIV_ECONNREFUSED = -13, /**< connection refused */
    VIV_ECONNRESET = -14,   /**< connection reset by peer */
    VIV_ECONNABORTED = -15, /**< connection aborted */
    VIV_ETIMEDOUT = -16,    /**< connection timed out */
    VIV_ENOTCONN = -17,     /**< socket is not connected */
    VIV_EISCONN = -18,      /**< socket is already connected */
    VIV_EHOSTUNREACH = -19, /**< no route to host */
    VIV_ENETUNREACH = -20,  /**< network is unreachable */
    VIV_EMSGSIZE = -21,     /**< message too long */
    VIV_EACCES = -22,       /**< permission denied */
    VIV_ESHUTDOWN = -23,    /**< cannot send after shutdown */
    VIV_EPIPE = -24,        /**< broken pipe */
    VIV_ENOTSUP = -25,      /**< operation not supported */
    VIV_EALREADY = -26,     /**< operation already in progress (a second connect) */
    VIV_EINPROGRESS = -27   /**< operation now in progress (a connect started) */
} viv_errno_t;

/**
 * The message for an error code.
 * @param err a code from ::viv_errno_t (or 0, which gives "success").
 * @return a static string; "unknown error" for a code not in the table. Never NULL.
 */
VIV_API const char *viv_strerror(int err);

/**
 * The name of an error code, such as "VIV_EINVAL".
 * @param err a code from ::viv_errno_t (or 0, which gives "VIV_OK").
 * @return a static string; "VIV_EUNKNOWN" for a code not in the table. Never NULL.
 */
VIV_API const char *viv_err_name(int err);

/**
 * The allocator hook, shaped like Lua's `lua_Alloc`.
 *
 * vivarium calls it for every allocation of a simulation:
 * - `new_size > 0`: allocate (`ptr == NULL`) or resize (`ptr != NULL`, `old_size` is its
 *   size) a block and return it, or return NULL on failure (the old block stays valid);
 * - `new_size == 0`: free `ptr` (of `old_size` bytes) and return NULL.
 *
 * It is per simulation, never process-global. The simulation's own state is its first
 * allocation (in viv_sim_new()) and its last free (in viv_sim_free()). vivarium never asks
 * for 0 bytes (a request for 0 asks for 1) and never frees NULL. It is called inside
 * vivarium's calls, callbacks of the simulation included, on their thread.
 * @param ud the `alloc_ud` pointer given in ::viv_sim_opts.
 * @param ptr the block to resize or free, or NULL.
 * @param old_size the size of @p ptr (0 when @p ptr is NULL).
 * @param new_size the size wanted, or 0 to free.
 * @return the block, or NULL.
 */
typedef void *(*viv_alloc_fn)(void *ud, void *ptr, size_t old_size, size_t new_size);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
