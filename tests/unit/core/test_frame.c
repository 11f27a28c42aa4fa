/* Frames: headroom, push/pull, reference counts, copy on write, the pool. */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"

static void test_frame__headroom_push_pull(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__frame *f = viv__frame_new(sim, 64, 10);
    assert_non_null(f);
    assert_int_equal(f->len, 10);
    memset(viv__frame_bytes(f), 0xab, 10);
    uint8_t *h = viv__frame_push(f, 14);
    assert_non_null(h);
    assert_int_equal(f->len, 24);
    assert_int_equal(h[14], 0xab);
    assert_null(viv__frame_push(f, 51)); /* only 50 bytes of headroom left */
    assert_non_null(viv__frame_pull(f, 14));
    assert_int_equal(f->len, 10);
    assert_null(viv__frame_pull(f, 11));
    viv__frame_unref(sim, f);
}

static void test_frame__refcount_and_copy_on_write(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    const uint8_t bytes[4] = {1, 2, 3, 4};
    viv__frame *f = viv__frame_from(sim, 16, bytes, 4);
    assert_non_null(f);
    assert_ptr_equal(viv__frame_writable(sim, f), f); /* sole holder: no copy */
    viv__frame *g = viv__frame_ref(f);
    assert_int_equal(f->refs, 2);
    viv__frame *w = viv__frame_writable(sim, g); /* shared: a private copy */
    assert_ptr_not_equal(w, f);
    assert_int_equal(f->refs, 1);
    assert_memory_equal(viv__frame_bytes(w), bytes, 4);
    viv__frame_bytes(w)[0] = 9;
    assert_int_equal(viv__frame_bytes(f)[0], 1);
    assert_int_equal(w->head, 16);
    viv__frame_unref(sim, w);
    viv__frame_unref(sim, f);
    assert_int_equal(sim->frames_live, 0);
}

static void test_frame__pool_reuses_buffers_and_large_frames_work(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_fixture *fx = *state;
    viv__frame *f = viv__frame_new(sim, 128, 1500);
    viv__frame_unref(sim, f);
    size_t blocks = fx->alloc.live_blocks;
    viv__frame *g = viv__frame_new(sim, 128, 1000);
    assert_ptr_equal(g, f); /* from the pool */
    assert_int_equal(fx->alloc.live_blocks, blocks);
    viv__frame *big = viv__frame_new(sim, 128, 9000);
    assert_non_null(big);
    memset(viv__frame_bytes(big), 1, 9000);
    viv__frame_unref(sim, big);
    viv__frame_unref(sim, g);
    assert_null(viv__frame_new(sim, 64, UINT32_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_frame__headroom_push_pull),
        T(test_frame__refcount_and_copy_on_write),
        T(test_frame__pool_reuses_buffers_and_large_frames_work),
#undef T
    };
    return cmocka_run_group_tests_name("core/frame", tests, NULL, NULL);
}
