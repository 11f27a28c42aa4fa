/* Frames: one block holding a small header and the buffer (headroom, then the frame's bytes),
 * sized to the frame. Blocks come in size classes, each with a per-simulation free list, so
 * the frame path does not allocate in steady state and a frame costs what it holds: a
 * 60-byte frame built with the transports' 128 bytes of headroom takes a 256-byte block, a
 * full 1514-byte one 2 KiB, a 64 KiB jumbo frame its own class (issue 17: every frame used
 * to take a 2 KiB buffer, so 10^6 small frames in flight took 2.2 GB).
 *
 * Classes: 256 bytes, then two per power of two (384, 512, 768, 1024, 1536, ..., 49152), so a
 * block wastes at most a third of itself, and last the largest frame a link can carry with
 * full headroom. Anything larger (a device's raw frame longer than any link carries) is
 * allocated to size, up to VIV__FRAME_MAX_TO_SIZE; beyond that frame_new says no.
 *
 * Each class's free list is bounded by what is in use: it keeps at most max(reserve, frames
 * of the class in use) blocks, the reserve being VIV__FRAME_KEEP_BYTES of blocks. A load that
 * never takes more than that from the list (a steady flow, bursts up to the reserve, or swings
 * up to twice what is in use, like a congestion window halving and growing back) never
 * allocates; after a burst drains, the blocks beyond the bound go back to the allocator as
 * the burst's frames are released, at most two per release. The bound counts frames, never
 * time, so it is deterministic. */
#include <string.h>

#include "core.h"

/* Blocks of each class, header included. */
const uint32_t viv__frame_class_block[VIV__FRAME_NCLASS] = {
    256,  384,  512,   768,   1024,  1536,  2048,  3072,  4096,
    6144, 8192, 12288, 16384, 24576, 32768, 49152, VIV__FRAME_MAX_BLOCK,
};

/* The class of blocks up to 2,048 bytes, by (block - 1) / 128: no search on the common path. */
const uint8_t viv__frame_small_class[16] = {0, 0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6};

/* Free blocks each class keeps whatever is in use: VIV__FRAME_KEEP_BYTES of them. */
#define KEEP(sz) (VIV__FRAME_KEEP_BYTES / (sz) ? VIV__FRAME_KEEP_BYTES / (sz) : 1u)
const uint32_t viv__frame_class_keep[VIV__FRAME_NCLASS] = {
    KEEP(256u),   KEEP(384u),   KEEP(512u),   KEEP(768u),   KEEP(1024u),  KEEP(1536u),
    KEEP(2048u),  KEEP(3072u),  KEEP(4096u),  KEEP(6144u),  KEEP(8192u),  KEEP(12288u),
    KEEP(16384u), KEEP(24576u), KEEP(32768u), KEEP(49152u), KEEP(VIV__FRAME_MAX_BLOCK),
};
#undef KEEP

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
    if (block <= 2048u)
        return viv__frame_small_class[(block - 1u) >> 7];
    if (block > 49152u)
        return block <= VIV__FRAME_MAX_BLOCK ? VIV__FRAME_NCLASS - 1u : VIV__FRAME_NCLASS;
    /* 2,048 < block <= 49,152: two classes per power of two, 3 << (k - 1) and 4 << (k - 1),
     * for 2^k < block <= 2^(k+1). */
    uint32_t b = block - 1u;
    uint32_t k = 31u - (uint32_t)__builtin_clz(b);
    return 1u + 2u * (k - 8u) + ((b >> (k - 1u)) & 1u);
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
    return viv__frame_bytes(f);
}

uint8_t *viv__frame_pull(viv__frame *f, uint32_t n)
{
    if (n > f->len)
        return NULL;
    f->head += n;
    f->len -= n;
    return viv__frame_bytes(f);
}

viv__frame *viv__frame_writable(viv_sim_t *sim, viv__frame *f)
{
    if (f->refs == 1)
        return f;
    viv__frame *c = viv__frame_from(sim, f->head, viv__frame_bytes(f), f->len);
    if (c)
        c->csum_ok = f->csum_ok; /* the same bytes */
    viv__frame_unref(sim, f);
    return c;
}

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
