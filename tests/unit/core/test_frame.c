/* Frames: headroom, push/pull, reference counts, copy on write, the size classes and the
 * pool's bounds (issue 17). */
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

/* What the fingerprint folds for a frame, computed here from its bytes as they are. */
static uint64_t fp_expect(viv__frame *f)
{
    uint32_t n = f->len < VIV__FP_FRAME_BYTES ? f->len : VIV__FP_FRAME_BYTES;
    return viv__fp_fold(viv__fp_digest(viv__frame_bytes(f), n), f->len);
}

/* A frame's digest is taken once and kept while the frame stays as it is; whatever can change
 * its bytes, head or length forgets it (issue 17: a flood digests its frame once). */
static void test_frame__fingerprint_digest_is_kept_until_the_frame_changes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    uint8_t bytes[100];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 37u + 5u);
    viv__frame *f = viv__frame_from(sim, 32, bytes, sizeof bytes);
    assert_non_null(f);
    assert_int_equal(f->fp_ok, 0);
    uint64_t d = viv__frame_fp(f);
    assert_int_equal(f->fp_ok, 1);
    assert_true(d == fp_expect(f));
    assert_true(viv__frame_fp(f) == d);
    /* The 65th byte and beyond are not read, the length is. */
    viv__frame *g = viv__frame_from(sim, 32, bytes, sizeof bytes);
    viv__frame_bytes(g)[70] ^= 1;
    assert_true(viv__frame_fp(g) == d);
    viv__frame_unref(sim, g);
    g = viv__frame_from(sim, 32, bytes, sizeof bytes - 1);
    assert_true(viv__frame_fp(g) != d);
    viv__frame_unref(sim, g);

    /* Push and pull forget it, and a frame back where it was has its old digest again. */
    uint8_t *hdr = viv__frame_push(f, 14);
    assert_non_null(hdr);
    memset(hdr, 0xab, 14); /* a header, as every push is followed by one */
    assert_int_equal(f->fp_ok, 0);
    assert_true(viv__frame_fp(f) == fp_expect(f) && viv__frame_fp(f) != d);
    assert_non_null(viv__frame_pull(f, 14));
    assert_int_equal(f->fp_ok, 0);
    assert_true(viv__frame_fp(f) == d);

    /* A sole holder's writable frame is the frame itself, about to change: forgotten. */
    assert_ptr_equal(viv__frame_writable(sim, f), f);
    assert_int_equal(f->fp_ok, 0);
    viv__frame_bytes(f)[3] ^= 0x10;
    uint64_t d2 = viv__frame_fp(f);
    assert_true(d2 == fp_expect(f) && d2 != d);

    /* A shared frame (a flood) keeps its digest while a holder changes a private copy. */
    viv__frame *h = viv__frame_ref(f);
    viv__frame *w = viv__frame_writable(sim, h);
    assert_ptr_not_equal(w, f);
    assert_int_equal(w->fp_ok, 0);
    viv__frame_bytes(w)[3] ^= 0x10;
    assert_true(viv__frame_fp(w) == d);
    assert_int_equal(f->fp_ok, 1);
    assert_true(viv__frame_fp(f) == d2 && d2 == fp_expect(f));

    /* A block reused from the pool starts without one. */
    viv__frame_unref(sim, w);
    viv__frame *n = viv__frame_new(sim, 32, sizeof bytes);
    assert_int_equal(n->fp_ok, 0);
    viv__frame_unref(sim, n);
    viv__frame_unref(sim, f);
    assert_int_equal(sim->frames_live, 0);
}

/* The fixture's counting allocator. */
static viv_test_alloc *fx_alloc(void **state) { return &((viv_test_fixture *)*state)->alloc; }

static viv__frame_pool_stats pool(const viv_sim_t *sim)
{
    viv__frame_pool_stats ps;
    viv__frame_pool_stats_get(&ps, sim);
    return ps;
}

/* The block a frame built with the transports' headroom takes for len bytes. */
static size_t block_for(viv_sim_t *sim, uint32_t len)
{
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, len);
    assert_non_null(f);
    size_t t = viv__frame_truesize(f);
    assert_true(f->cap >= VIV__FRAME_HEADROOM + len);
    viv__frame_unref(sim, f);
    return t;
}

/* Issue 17: a frame's block follows its size. The classes are 256 bytes, then two per power
 * of two up to 2 KiB; each block takes the smallest class that holds it, and a larger block
 * (a jumbo frame) is allocated to its size. */
static void test_frame__size_classes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    static const uint32_t sizes[VIV__FRAME_NCLASS] = {256, 384, 512, 768, 1024, 1536, 2048};
    for (uint32_t c = 0; c < VIV__FRAME_NCLASS; c++)
        assert_int_equal(viv__frame_class_size(c), sizes[c]);
    assert_int_equal(viv__frame_class_size(VIV__FRAME_NCLASS), 0);
    /* Every block size: the smallest class that holds it; none above 2 KiB. */
    for (uint32_t block = 1; block <= 5000; block++) {
        uint32_t c = viv__frame_class_of(block);
        if (block > 2048) {
            assert_int_equal(c, VIV__FRAME_NCLASS);
            continue;
        }
        assert_true(c < VIV__FRAME_NCLASS);
        assert_true(sizes[c] >= block);
        if (c > 0)
            assert_true(sizes[c - 1] < block);
    }
    assert_int_equal(viv__frame_class_of(UINT32_MAX), VIV__FRAME_NCLASS);
    /* What frames take: a minimum Ethernet frame (UDP with 18 bytes of payload, or an ARP
     * message) 256 bytes, where every frame used to take 2,048 + a header; a 1,000-byte
     * datagram 1,536; a full 1,500-byte packet 2,048 (VIV__FRAME_MTU_TRUESIZE); a 9,000-byte
     * jumbo packet and a 65,535-byte one their own size. */
    const size_t hdr = sizeof(viv__frame) + VIV__FRAME_HEADROOM;
    assert_int_equal(block_for(sim, 8 + 18), 256);
    assert_int_equal(block_for(sim, 28), 256);
    assert_int_equal(block_for(sim, 8 + 1000), 1536);
    assert_int_equal(block_for(sim, 1480), VIV__FRAME_MTU_TRUESIZE);
    assert_int_equal(block_for(sim, 2048 - hdr), 2048);
    assert_int_equal(block_for(sim, 2049 - hdr), 2049);
    assert_int_equal(block_for(sim, 8980), hdr + 8980);
    assert_int_equal(block_for(sim, 65515), hdr + 65515);
}

/* The smallest class leaves room to pad a short frame to the Ethernet minimum in place, after
 * IPv4 and Ethernet headers are pushed into the headroom (host.c pads within cap). */
static void test_frame__small_frames_pad_to_the_ethernet_minimum(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, 0);
    assert_non_null(f);
    assert_int_equal(viv__frame_truesize(f), 256);
    assert_non_null(viv__frame_push(f, 60)); /* IPv4 with every option */
    assert_true(f->head + 46 <= f->cap);     /* padded to 46 bytes of Ethernet payload */
    assert_non_null(viv__frame_push(f, 14));
    viv__frame_unref(sim, f);
}

/* A released block serves the next frame of its class, without allocating; a frame of
 * another class takes a block of its own. */
static void test_frame__pool_reuses_blocks_of_a_class(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    viv__frame *f = viv__frame_new(sim, 128, 1500);
    viv__frame_unref(sim, f);
    size_t blocks = al->live_blocks, bytes = al->live_bytes;
    viv__frame *g = viv__frame_new(sim, 128, 1400); /* the same class: 2,048 */
    assert_ptr_equal(g, f);
    assert_int_equal(al->live_blocks, blocks);
    viv__frame *h = viv__frame_new(sim, 128, 1000); /* 1,536 */
    assert_ptr_not_equal(h, f);
    assert_int_equal(al->live_blocks, blocks + 1);
    assert_int_equal(al->live_bytes, bytes + 1536);
    viv__frame_unref(sim, h);
    viv__frame_unref(sim, g);
    viv__frame_pool_stats ps = pool(sim);
    assert_int_equal(ps.live, 0);
    assert_int_equal(ps.free, 2);
    assert_int_equal(ps.cls_free[5], 1);
    assert_int_equal(ps.cls_free[6], 1);
    assert_int_equal(ps.bytes, 1536 + 2048);
    assert_int_equal(al->live_bytes, bytes + 1536);
}

/* After a burst drains, each class keeps its reserve (65,536 bytes of blocks: 256 small ones,
 * 32 of 2 KiB) and gives the rest back as the burst's frames are released, never holding
 * more than max(reserve, frames in use) free: exact counts, and the allocator's bytes. */
static void test_frame__pool_gives_memory_back_after_a_burst(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    enum { N = 1000 };
    static viv__frame *small[N], *full[N];
    size_t pre = al->live_bytes;
    for (int i = 0; i < N; i++) {
        small[i] = viv__frame_new(sim, 128, 26); /* 256-byte blocks */
        full[i] = viv__frame_new(sim, 128, 1480); /* 2,048-byte blocks */
        assert_non_null(small[i]);
        assert_non_null(full[i]);
    }
    viv__frame_pool_stats ps = pool(sim);
    assert_int_equal(ps.live, 2 * N);
    assert_int_equal(ps.cls_live[0], N);
    assert_int_equal(ps.cls_live[6], N);
    assert_int_equal(ps.bytes_live, N * (256 + 2048));
    assert_int_equal(ps.free, 0);
    assert_int_equal(al->live_bytes, pre + N * (256 + 2048));
    /* Release them oldest first: after k releases the free list holds
     * min(k, max(reserve, N - k)). */
    for (int k = 1; k <= N; k++) {
        viv__frame_unref(sim, small[k - 1]);
        viv__frame_unref(sim, full[k - 1]);
        ps = pool(sim);
        size_t in_use = (size_t)(N - k);
        size_t want0 = in_use > 256 ? in_use : 256, want6 = in_use > 32 ? in_use : 32;
        if (want0 > (size_t)k)
            want0 = (size_t)k;
        if (want6 > (size_t)k)
            want6 = (size_t)k;
        assert_int_equal(ps.cls_free[0], want0);
        assert_int_equal(ps.cls_free[6], want6);
    }
    ps = pool(sim);
    assert_int_equal(ps.live, 0);
    assert_int_equal(ps.cls_free[0], VIV__FRAME_KEEP_BYTES / 256);
    assert_int_equal(ps.cls_free[6], VIV__FRAME_KEEP_BYTES / 2048);
    assert_int_equal(ps.free, 256 + 32);
    assert_int_equal(ps.bytes_free, 2 * VIV__FRAME_KEEP_BYTES);
    assert_int_equal(al->live_bytes, pre + 2 * VIV__FRAME_KEEP_BYTES);
}

/* Swings within twice what is in use never allocate: frames released as a window halves are
 * kept for it to grow back. */
static void test_frame__pool_swings_do_not_allocate(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    enum { W = 2000 };
    static viv__frame *w[W];
    for (int i = 0; i < W; i++)
        w[i] = viv__frame_new(sim, 128, 1000);
    size_t blocks = al->live_blocks;
    for (int round = 0; round < 3; round++) {
        for (int i = W / 2; i < W; i++) /* halve */
            viv__frame_unref(sim, w[i]);
        assert_int_equal(pool(sim).cls_free[5], W / 2);
        for (int i = W / 2; i < W; i++) /* grow back */
            w[i] = viv__frame_new(sim, 128, 1000);
        assert_int_equal(al->live_blocks, blocks);
    }
    for (int i = 0; i < W; i++)
        viv__frame_unref(sim, w[i]);
    assert_int_equal(pool(sim).cls_free[5], VIV__FRAME_KEEP_BYTES / 1536);
}

static void frame_size_limit_holds(viv_sim_t *sim, viv_test_alloc *al)
{
    size_t pre = al->live_bytes;
    uint32_t most = VIV__FRAME_MAX_TO_SIZE - (uint32_t)sizeof(viv__frame);
    viv__frame *f = viv__frame_new(sim, 0, most);
    assert_non_null(f);
    assert_int_equal(al->live_bytes, pre + VIV__FRAME_MAX_TO_SIZE);
    viv__frame_unref(sim, f);
    assert_null(viv__frame_new(sim, 0, most + 1));
    assert_null(viv__frame_new(sim, 1, most));
    assert_int_equal(al->live_bytes, pre);
}

/* A block above the largest class is allocated to its size and freed on release; sizes that
 * overflow are refused. */
static void test_frame__large_frames_are_allocated_to_size(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    size_t pre = al->live_bytes;
    viv__frame *big = viv__frame_new(sim, 128, 100000);
    assert_non_null(big);
    size_t want = sizeof(viv__frame) + 128 + 100000;
    assert_int_equal(viv__frame_truesize(big), want);
    assert_int_equal(al->live_bytes, pre + want);
    memset(viv__frame_bytes(big), 1, 100000);
    viv__frame_pool_stats ps = pool(sim);
    assert_int_equal(ps.live, 1);
    assert_int_equal(ps.bytes_live, want);
    viv__frame *c = viv__frame_writable(sim, viv__frame_ref(big)); /* a copy, to size too */
    assert_ptr_not_equal(c, big);
    assert_int_equal(viv__frame_truesize(c), want);
    viv__frame_unref(sim, c);
    viv__frame_unref(sim, big);
    assert_int_equal(al->live_bytes, pre);
    assert_int_equal(pool(sim).bytes, 0);
    assert_null(viv__frame_new(sim, 64, UINT32_MAX));
    assert_null(viv__frame_new(sim, UINT32_MAX, 1));
    assert_null(viv__frame_new(sim, UINT32_MAX - 40, 0));
    /* Up to VIV__FRAME_MAX_TO_SIZE and no further. */
    frame_size_limit_holds(sim, al);
}

/* An allocator that fails: no frame, nothing counted, and the pool still works after. */
static void test_frame__allocation_failure(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    al->fail_at = al->calls + 1;
    assert_null(viv__frame_new(sim, 128, 100));
    al->fail_at = al->calls + 1;
    assert_null(viv__frame_new(sim, 128, 100000));
    assert_int_equal(pool(sim).live, 0);
    viv__frame *f = viv__frame_new(sim, 128, 100);
    assert_non_null(f);
    assert_int_equal(pool(sim).live, 1);
    viv__frame_unref(sim, f);
    viv__frame_unref(sim, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_frame__headroom_push_pull),
        T(test_frame__refcount_and_copy_on_write),
        T(test_frame__fingerprint_digest_is_kept_until_the_frame_changes),
        T(test_frame__size_classes),
        T(test_frame__small_frames_pad_to_the_ethernet_minimum),
        T(test_frame__pool_reuses_blocks_of_a_class),
        T(test_frame__pool_gives_memory_back_after_a_burst),
        T(test_frame__pool_swings_do_not_allocate),
        T(test_frame__large_frames_are_allocated_to_size),
        T(test_frame__allocation_failure),
#undef T
    };
    return cmocka_run_group_tests_name("core/frame", tests, NULL, NULL);
}
