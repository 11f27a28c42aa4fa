/* Test support: counting and failing allocators, and a simulation fixture for cmocka.
 *
 * Every test builds its own simulation through viv_test_sim_setup(), and
 * viv_test_sim_teardown() frees it and fails the test if any byte allocated through the
 * simulation's allocator is still live. */
#ifndef VIV_TEST_H
#define VIV_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vivarium.h>

/* An allocator that counts live blocks and bytes, and can fail the Nth allocation. */
typedef struct viv_test_alloc {
    size_t live_blocks;
    size_t live_bytes;
    size_t peak_bytes;
    uint64_t calls;      /* allocations and resizes so far */
    uint64_t fail_at;    /* fail the call with this 1-based number (0: never) */
    int fail_all_after;  /* after fail_at, fail every later call too */
    uint64_t failures;   /* how many calls were failed */
} viv_test_alloc;

void *viv_test_alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size);

/* The fixture stored in cmocka's state. */
typedef struct viv_test_fixture {
    viv_test_alloc alloc;
    viv_sim_t *sim;
} viv_test_fixture;

int viv_test_sim_setup(void **state);    /* seed 1 */
int viv_test_sim_teardown(void **state); /* frees the sim, asserts no leak */

/* Convenience: the fixture's simulation. */
#define VIV_TEST_SIM(state) (((viv_test_fixture *)*(state))->sim)

/* A new simulation with a counting allocator (seed given). Pair with viv_test_sim_free. */
viv_sim_t *viv_test_sim_new(viv_test_alloc *a, uint64_t seed);
/* Free the simulation and assert nothing is left. */
void viv_test_sim_free(viv_sim_t *sim, viv_test_alloc *a);

/* Run tshark on a capture file; returns its stdout (static buffer, NUL-terminated) or NULL
 * if tshark is not available. The arguments after the file are appended to the command. */
const char *viv_test_tshark(const char *pcap_path, const char *args);

#endif
