/* Frames: one buffer with headroom and a reference count. Buffers of the common size come
 * from a per-simulation free list, so the frame path does not allocate in steady state.
 *
 * The free list is bounded by what is in use: it keeps at most max(VIV__FRAME_POOL_KEEP,
 * frames in use) buffers. A load that never takes more than that from the list (a steady
 * flow, bursts up to the reserve, or swings up to twice what is in use, like a congestion
 * window halving and growing back) never allocates; after a burst drains, the buffers
 * beyond the bound go back to the allocator as the burst's frames are released, at most two
 * per release. The bound counts frames, never time, so it is deterministic. */
#include <string.h>

#include "core.h"

static size_t frame_size(uint32_t cap) { return sizeof(viv__frame) + cap; }

viv__frame *viv__frame_new(viv_sim_t *sim, uint32_t headroom, uint32_t len)
{
    if (len > UINT32_MAX - headroom - 64)
        return NULL;
    uint32_t need = headroom + len;
    viv__frame *f;
    if (need <= VIV__FRAME_POOL_CAP) {
        f = sim->frame_free;
        if (f) {
            sim->frame_free = f->next_free;
            sim->frame_nfree--;
        } else {
            f = viv__alloc(sim, frame_size(VIV__FRAME_POOL_CAP));
            if (!f)
                return NULL;
        }
        f->cap = VIV__FRAME_POOL_CAP;
    } else {
        f = viv__alloc(sim, frame_size(need));
        if (!f)
            return NULL;
        f->cap = need;
    }
    f->refs = 1;
    f->csum_ok = 0;
    f->head = headroom;
    f->len = len;
    f->next_free = NULL;
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

void viv__frame_unref(viv_sim_t *sim, viv__frame *f)
{
    if (!f || --f->refs > 0)
        return;
    sim->frames_live--;
    if (f->cap == VIV__FRAME_POOL_CAP) {
        f->next_free = sim->frame_free;
        sim->frame_free = f;
        sim->frame_nfree++;
    } else {
        viv__free(sim, f, frame_size(f->cap));
    }
    /* One frame fewer in use lowers the bound by at most one: this gives back at most two. */
    size_t keep = sim->frames_live > VIV__FRAME_POOL_KEEP ? sim->frames_live
                                                          : VIV__FRAME_POOL_KEEP;
    while (sim->frame_nfree > keep) {
        viv__frame *g = sim->frame_free;
        sim->frame_free = g->next_free;
        sim->frame_nfree--;
        viv__free(sim, g, frame_size(VIV__FRAME_POOL_CAP));
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

void viv__frame_pool_fini(viv_sim_t *sim);

void viv__frame_pool_fini(viv_sim_t *sim)
{
    while (sim->frame_free) {
        viv__frame *f = sim->frame_free;
        sim->frame_free = f->next_free;
        viv__free(sim, f, frame_size(VIV__FRAME_POOL_CAP));
    }
    sim->frame_nfree = 0;
}

void viv__frame_pool_stats_get(viv__frame_pool_stats *out, const viv_sim_t *sim)
{
    out->live = sim->frames_live;
    out->free = sim->frame_nfree;
    out->bytes_live = sim->frames_live * frame_size(VIV__FRAME_POOL_CAP);
    out->bytes_free = sim->frame_nfree * frame_size(VIV__FRAME_POOL_CAP);
    out->bytes = out->bytes_live + out->bytes_free;
}
