/* Frames: one block holding a small header and the buffer (headroom, then the frame's bytes),
 * sized to the frame. Blocks up to 2 KiB come in size classes, each with a per-simulation free
 * list, so the frame path does not allocate in steady state, and a frame costs what it holds:
 * a 60-byte frame built with the transports' 128 bytes of headroom takes a 256-byte block, a
 * full 1514-byte one 2 KiB (issue 17: every frame used to take a 2 KiB buffer, so 10^6 small
 * frames in flight took 2.2 GB).
 *
 * Classes: 256 bytes, then two per power of two (384, 512, 768, 1024, 1536, 2048), so a block
 * wastes at most a third of itself. A larger block, which only a jumbo link's frame needs, is
 * allocated to its size and freed on release, as every frame above 2 KiB was before: classes
 * up to the 64 KiB maximum would waste up to a third of a jumbo frame (a 9,000-byte one in a
 * 12 KiB block), or seven eighths of it with one class for the maximum, to save an allocator
 * call that is small beside copying and checksumming that many bytes. Blocks are limited to
 * VIV__FRAME_MAX_TO_SIZE; beyond that frame_new says no.
 *
 * Each class's free list is bounded by what is in use: it keeps at most max(reserve, frames
 * of the class in use) blocks, the reserve being VIV__FRAME_KEEP_BYTES of blocks (256 of the
 * smallest, 32 of 2 KiB). A load that never takes more than that from the list (a steady
 * flow, bursts up to the reserve, or swings up to twice what is in use, like a congestion
 * window halving and growing back) never allocates; after a burst drains, the blocks beyond
 * the bound go back to the allocator as the burst's frames are released, at most two per
 * release. The bound counts frames, never time, so it is deterministic. */
#include <assert.h>
#include <string.h>

#include "core.h"

/* Blocks of each class, header included. */
const uint32_t viv__frame_class_block[VIV__FRAME_NCLASS] = {256, 384, 512, 768, 1024, 1536, 2048};

/* The class of a block, by (block - 1) / 128: a table, no search. */
const uint8_t viv__frame_small_class[16] = {0, 0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6};

/* Free blocks each class keeps whatever is in use: VIV__FRAME_KEEP_BYTES of them. */
const uint32_t viv__frame_class_keep[VIV__FRAME_NCLASS] = {
    VIV__FRAME_KEEP_BYTES / 256,  VIV__FRAME_KEEP_BYTES / 384,  VIV__FRAME_KEEP_BYTES / 512,
    VIV__FRAME_KEEP_BYTES / 768,  VIV__FRAME_KEEP_BYTES / 1024, VIV__FRAME_KEEP_BYTES / 1536,
    VIV__FRAME_KEEP_BYTES / 2048,
};

/* A full 1500-byte packet with its Ethernet header and the transports' headroom takes the
 * 2 KiB class (VIV__FRAME_MTU_TRUESIZE); a minimum Ethernet frame takes the smallest. */
#define FULL_BLOCK (sizeof(viv__frame) + VIV__FRAME_HEADROOM + 1514u)
typedef char frame_mtu_truesize_is_its_class[FULL_BLOCK > 1536u && FULL_BLOCK <= 2048u &&
                                                     VIV__FRAME_MTU_TRUESIZE == 2048u
                                                 ? 1
                                                 : -1];
typedef char frame_min_fits_small_class[sizeof(viv__frame) + VIV__FRAME_HEADROOM + 60u <= 256u
                                            ? 1
                                            : -1];
#undef FULL_BLOCK

uint32_t viv__frame_class_of(uint32_t block)
{
    if (block > VIV__FRAME_MAX_CLASS)
        return VIV__FRAME_NCLASS;
    return block ? viv__frame_small_class[(block - 1u) >> 7] : 0;
}

uint32_t viv__frame_class_size(uint32_t cls)
{
    return cls < VIV__FRAME_NCLASS ? viv__frame_class_block[cls] : 0;
}

/* viv__frame_new (core.h) when its free list is empty or the block is over 2 KiB. */
viv__frame *viv__frame_new_slow(viv_sim_t *sim, uint32_t headroom, uint32_t len)
{
    if ((uint64_t)headroom + len + sizeof(viv__frame) > VIV__FRAME_MAX_TO_SIZE)
        return NULL;
    uint32_t block = (uint32_t)sizeof(viv__frame) + headroom + len;
    uint32_t cls = viv__frame_class_of(block);
    viv__frame *f;
    if (cls < VIV__FRAME_NCLASS) {
        viv__frame_class *c = &sim->frame_cls[cls];
        block = viv__frame_class_block[cls];
        f = c->free;
        if (f) {
            c->free = f->next_free;
            c->nfree--;
        } else {
            f = viv__alloc(sim, block);
            if (!f)
                return NULL;
        }
        c->live++;
    } else {
        f = viv__alloc(sim, block);
        if (!f)
            return NULL;
        sim->frame_big_bytes += block;
    }
    f->cap = block - (uint32_t)sizeof(viv__frame);
    f->cls = (uint8_t)cls;
    f->refs = 1;
    f->csum_ok = 0;
    f->fp_ok = 0;
    f->head = headroom;
    f->len = len;
    sim->frames_live++;
    return f;
}

viv__frame *viv__frame_from(viv_sim_t *sim, uint32_t headroom, const uint8_t *bytes,
                            uint32_t len)
{
    viv__frame *f = viv__frame_new(sim, headroom, len);
    if (f && len)
        memcpy(viv__frame_bytes(f), bytes, len);
    return f;
}

/* The last reference's release (viv__frame_unref, core.h) when the block does not simply go
 * on its free list: a frame allocated to size, or a list at its bound. */
void viv__frame_release_slow(viv_sim_t *sim, viv__frame *f)
{
    sim->frames_live--;
    uint32_t cls = f->cls;
    if (cls >= VIV__FRAME_NCLASS) {
        size_t block = sizeof(viv__frame) + f->cap;
        sim->frame_big_bytes -= block;
        viv__free(sim, f, block);
        return;
    }
    viv__frame_class *c = &sim->frame_cls[cls];
    f->next_free = c->free;
    c->free = f;
    c->nfree++;
    c->live--;
    /* One frame fewer in use lowers the bound by at most one: this gives back at most two. */
    size_t keep = c->live > viv__frame_class_keep[cls] ? c->live : viv__frame_class_keep[cls];
    while (c->nfree > keep) {
        viv__frame *g = c->free;
        c->free = g->next_free;
        c->nfree--;
        viv__free(sim, g, viv__frame_class_block[cls]);
    }
}

uint8_t *viv__frame_push(viv__frame *f, uint32_t n)
{
    if (n > f->head)
        return NULL;
    f->head -= n;
    f->len += n;
    f->fp_ok = 0;
    return viv__frame_bytes(f);
}

uint8_t *viv__frame_pull(viv__frame *f, uint32_t n)
{
    if (n > f->len)
        return NULL;
    f->head += n;
    f->len -= n;
    f->fp_ok = 0;
    return viv__frame_bytes(f);
}

viv__frame *viv__frame_writable(viv_sim_t *sim, viv__frame *f)
{
    if (f->refs == 1) {
        f->fp_ok = 0; /* the holder is about to change it */
        return f;
    }
    viv__frame *c = viv__frame_from(sim, f->head, viv__frame_bytes(f), f->len);
    if (c)
        c->csum_ok = f->csum_ok; /* the same bytes */
    viv__frame_unref(sim, f);
    return c;
}

static uint64_t frame_fp_calc(const viv__frame *f)
{
    uint32_t n = f->len < VIV__FP_FRAME_BYTES ? f->len : VIV__FP_FRAME_BYTES;
    return viv__fp_fold(viv__fp_digest(f->data + f->head, n), f->len);
}

/* viv__frame_fp (core.h) for a frame not digested yet (the links call it from their
 * transmit path's out-of-line way only). */
uint64_t viv__frame_fp_fill(viv__frame *f)
{
    f->fp_digest = frame_fp_calc(f);
    f->fp_ok = 1;
    return f->fp_digest;
}

#if !defined(NDEBUG)
void viv__frame_fp_check(const viv__frame *f)
{
    assert(f->fp_digest == frame_fp_calc(f) && "a frame changed without viv__frame_writable");
}
#endif

void viv__frame_pool_stats_get(viv__frame_pool_stats *out, const viv_sim_t *sim)
{
    memset(out, 0, sizeof(*out));
    out->live = sim->frames_live;
    out->bytes_live = sim->frame_big_bytes;
    for (uint32_t i = 0; i < VIV__FRAME_NCLASS; i++) {
        const viv__frame_class *c = &sim->frame_cls[i];
        out->cls_live[i] = c->live;
        out->cls_free[i] = c->nfree;
        out->free += c->nfree;
        out->bytes_live += c->live * viv__frame_class_block[i];
        out->bytes_free += c->nfree * viv__frame_class_block[i];
    }
    out->bytes = out->bytes_live + out->bytes_free;
}

void viv__frame_pool_fini(viv_sim_t *sim);

void viv__frame_pool_fini(viv_sim_t *sim)
{
    for (uint32_t i = 0; i < VIV__FRAME_NCLASS; i++) {
        viv__frame_class *c = &sim->frame_cls[i];
        while (c->free) {
            viv__frame *f = c->free;
            c->free = f->next_free;
            viv__free(sim, f, viv__frame_class_block[i]);
        }
        c->nfree = 0;
    }
}
