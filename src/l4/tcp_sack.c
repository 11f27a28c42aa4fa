/* TCP SACK: the sender's scoreboard and RFC 6675's IsLost, SetPipe and NextSeg over it, and
 * the receiver's choice of blocks (RFC 2018 section 4). tcp_sack.h says what each function
 * promises; this file says how.
 *
 * The scoreboard's ranges are kept sorted, disjoint and never touching, all above snd_una.
 * Everything RFC 6675 defines per octet is computed per hole (the unSACKed gap before each
 * range, and the one after the last): for an unSACKed octet, the ranges above it are exactly
 * the ranges after its hole, so IsLost is the same for every octet of a hole, and it can only
 * go from true to false as holes get higher (fewer ranges and fewer bytes above). */
#include "tcp_sack.h"

#include <string.h>

#include "wire/seq.h"

const viv__tcp_sb viv__tcp_sb_empty; /* all zero: empty */

void viv__tcp_sb_init(viv__tcp_sb *sb)
{
    memset(sb, 0, sizeof *sb);
}

void viv__sb_reset(viv__tcp_sb *sb)
{
    sb->n = 0;
    sb->sacked = 0;
}

/* Drop range i (0 <= i < n). */
static void sb_remove(viv__tcp_sb *sb, uint32_t i)
{
    sb->sacked -= sb->r[i].end - sb->r[i].start;
    memmove(&sb->r[i], &sb->r[i + 1], (size_t)(sb->n - i - 1) * sizeof sb->r[0]);
    sb->n--;
}

/* Forget what snd_una has acknowledged: ranges wholly at or below it go, one straddling it is
 * cut to start there. */
static void sb_trim(viv__tcp_sb *sb, uint32_t snd_una)
{
    uint32_t k = 0;
    while (k < sb->n && viv__seq_le(sb->r[k].end, snd_una)) {
        sb->sacked -= sb->r[k].end - sb->r[k].start;
        k++;
    }
    if (k) {
        memmove(&sb->r[0], &sb->r[k], (size_t)(sb->n - k) * sizeof sb->r[0]);
        sb->n -= k;
    }
    if (sb->n && viv__seq_lt(sb->r[0].start, snd_una)) {
        sb->sacked -= snd_una - sb->r[0].start;
        sb->r[0].start = snd_una;
    }
}

/* Add [s, e) (s < e, both within the window) to the board; returns the bytes it added. */
static uint32_t sb_insert(viv__tcp_sb *sb, uint32_t s, uint32_t e)
{
    /* i: the first range ending at or after s (it touches or follows [s, e)); k: the first
     * range starting after e. Ranges i .. k-1 overlap or touch [s, e) and merge with it. */
    uint32_t i = 0;
    while (i < sb->n && viv__seq_lt(sb->r[i].end, s))
        i++;
    uint32_t k = i;
    uint32_t covered = 0;
    while (k < sb->n && viv__seq_le(sb->r[k].start, e)) {
        covered += sb->r[k].end - sb->r[k].start;
        k++;
    }
    if (k == i) {
        /* Disjoint: a new range at i. When the board is full, forget the highest range, or
         * the new one if it would be the highest (tcp_sack.h: this only loses information). */
        if (sb->n == VIV__TCP_SB_MAX) {
            if (i == sb->n)
                return 0;
            sb_remove(sb, sb->n - 1);
        }
        memmove(&sb->r[i + 1], &sb->r[i], (size_t)(sb->n - i) * sizeof sb->r[0]);
        sb->r[i].start = s;
        sb->r[i].end = e;
        sb->n++;
        sb->sacked += e - s;
        return e - s;
    }
    uint32_t ns = viv__seq_lt(sb->r[i].start, s) ? sb->r[i].start : s;
    uint32_t ne = viv__seq_gt(sb->r[k - 1].end, e) ? sb->r[k - 1].end : e;
    uint32_t added = (ne - ns) - covered;
    sb->r[i].start = ns;
    sb->r[i].end = ne;
    if (k > i + 1) {
        memmove(&sb->r[i + 1], &sb->r[k], (size_t)(sb->n - k) * sizeof sb->r[0]);
        sb->n -= k - i - 1;
    }
    sb->sacked += added;
    return added;
}

uint32_t viv__sb_update(viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
                        const viv__sack_blk *blk, unsigned n)
{
    sb_trim(sb, snd_una);
    if (!blk)
        return 0;
    uint32_t added = 0;
    for (unsigned j = 0; j < n; j++) {
        uint32_t s = blk[j].start, e = blk[j].end;
        if (j == 0) {
            /* RFC 2883 section 4: a first block below the cumulative acknowledgment, or
             * within the second block, reports a duplicate segment (D-SACK). */
            if (viv__seq_lt(s, snd_una))
                continue;
            if (n > 1 && viv__seq_le(blk[1].start, s) && viv__seq_le(e, blk[1].end) &&
                viv__seq_gt(blk[1].end, blk[1].start))
                continue;
        }
        /* start < end means end - start in [1, 2^31): a block of 2^31 bytes is ambiguous
         * (before and after at once), and refused. */
        if (!viv__seq_gt(e, s) || viv__seq_gt(e, snd_max) || viv__seq_le(e, snd_una))
            continue;
        if (viv__seq_lt(s, snd_una))
            s = snd_una;
        added += sb_insert(sb, s, e);
    }
    return added;
}

uint32_t viv__sb_sacked_bytes(const viv__tcp_sb *sb)
{
    return sb->sacked;
}

int viv__sb_is_sacked(const viv__tcp_sb *sb, uint32_t seq)
{
    for (uint32_t i = 0; i < sb->n; i++) {
        if (viv__seq_lt(seq, sb->r[i].start))
            return 0;
        if (viv__seq_lt(seq, sb->r[i].end))
            return 1;
    }
    return 0;
}

int viv__sb_highest_sacked(const viv__tcp_sb *sb, uint32_t *end_out)
{
    if (!sb->n)
        return 0;
    *end_out = sb->r[sb->n - 1].end;
    return 1;
}

/* IsLost for an unSACKed octet with `ranges` ranges and `bytes` SACKed bytes above it. */
static int sb_lost(uint32_t ranges, uint32_t bytes, uint32_t smss, unsigned dupthresh)
{
    if (dupthresh == 0)
        dupthresh = 1;
    return ranges >= dupthresh || (uint64_t)bytes > (uint64_t)(dupthresh - 1) * smss;
}

int viv__sb_is_lost(const viv__tcp_sb *sb, uint32_t seq, uint32_t smss, unsigned dupthresh)
{
    /* Skip the ranges below seq, taking their bytes off the total. */
    uint32_t i = 0, bytes = sb->sacked;
    while (i < sb->n && viv__seq_le(sb->r[i].start, seq)) {
        if (viv__seq_lt(seq, sb->r[i].end))
            return 0; /* SACKed */
        bytes -= sb->r[i].end - sb->r[i].start;
        i++;
    }
    return sb_lost(sb->n - i, bytes, smss, dupthresh);
}

/* A walk over the holes in [snd_una, snd_max): hole j is [lo, hi), with the ranges j .. n-1
 * (count `above`, `bytes` bytes) above it. Ranges outside the window (a caller passing
 * another snd_una than to the last update) are stepped over, never read past. */
typedef struct sb_hole {
    uint32_t j;      /* the range after the hole (n: none) */
    uint32_t lo, hi; /* the hole [lo, hi), lo <= hi */
    uint32_t above;  /* ranges above the hole */
    uint32_t bytes;  /* SACKed bytes above the hole */
} sb_hole;

static void sb_hole_first(const viv__tcp_sb *sb, sb_hole *h, uint32_t snd_una, uint32_t snd_max)
{
    h->j = 0;
    h->lo = snd_una;
    h->bytes = sb->sacked;
    /* Ranges wholly at or below snd_una are not above any hole. */
    while (h->j < sb->n && viv__seq_le(sb->r[h->j].end, snd_una)) {
        h->bytes -= sb->r[h->j].end - sb->r[h->j].start;
        h->j++;
    }
    if (h->j < sb->n && viv__seq_le(sb->r[h->j].start, snd_una)) {
        /* A range straddling snd_una: the first hole starts after it. */
        h->lo = sb->r[h->j].end;
        h->bytes -= sb->r[h->j].end - sb->r[h->j].start;
        h->j++;
    }
    h->above = sb->n - h->j;
    if (viv__seq_gt(h->lo, snd_max))
        h->lo = snd_max;
    h->hi = h->j < sb->n ? sb->r[h->j].start : snd_max;
    if (viv__seq_gt(h->hi, snd_max))
        h->hi = snd_max;
}

/* Step to the next hole; 0 when hole j was the last (the one after the last range). */
static int sb_hole_next(const viv__tcp_sb *sb, sb_hole *h, uint32_t snd_max)
{
    if (h->j >= sb->n)
        return 0;
    const viv__sack_blk *r = &sb->r[h->j];
    h->bytes -= r->end - r->start;
    h->j++;
    h->above = sb->n - h->j;
    h->lo = viv__seq_gt(r->end, snd_max) ? snd_max : r->end;
    h->hi = h->j < sb->n ? sb->r[h->j].start : snd_max;
    if (viv__seq_gt(h->hi, snd_max))
        h->hi = snd_max;
    if (viv__seq_lt(h->hi, h->lo))
        h->hi = h->lo;
    return 1;
}

/* high_rxt within [snd_una, snd_max]. */
static uint32_t sb_clamp(uint32_t x, uint32_t lo, uint32_t hi)
{
    if (viv__seq_lt(x, lo))
        return lo;
    if (viv__seq_gt(x, hi))
        return hi;
    return x;
}

uint32_t viv__sb_pipe(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t high_rxt,
                      uint32_t smss, unsigned dupthresh)
{
    if (viv__seq_lt(snd_max, snd_una))
        return 0;
    high_rxt = sb_clamp(high_rxt, snd_una, snd_max);
    if (sb->n == 0) /* one hole, [snd_una, snd_max), not lost: what the walk below gives */
        return snd_max == snd_una ? 0 : (snd_max - snd_una) + (high_rxt - snd_una);
    uint32_t pipe = 0;
    sb_hole h;
    sb_hole_first(sb, &h, snd_una, snd_max);
    do {
        if (!viv__seq_lt(h.lo, h.hi))
            continue;
        /* (a) an octet not deemed lost is in flight. */
        if (!sb_lost(h.above, h.bytes, smss, dupthresh))
            pipe += h.hi - h.lo;
        /* (b) an octet retransmitted is in flight (again). */
        if (viv__seq_lt(h.lo, high_rxt))
            pipe += (viv__seq_lt(h.hi, high_rxt) ? h.hi : high_rxt) - h.lo;
    } while (sb_hole_next(sb, &h, snd_max));
    return pipe;
}

/* The first hole below the highest SACKed octet holding octets at or above high_rxt: 1 with
 * *from its first such octet, the segment's length in *len and whether the hole is lost. */
static int sb_first_hole(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
                         uint32_t high_rxt, uint32_t smss, unsigned dupthresh, uint32_t *from,
                         uint32_t *len, int *lost)
{
    sb_hole h;
    sb_hole_first(sb, &h, snd_una, snd_max);
    do {
        if (h.j >= sb->n)
            return 0; /* rule (1.b): no SACKed octet above this hole */
        uint32_t s = viv__seq_lt(h.lo, high_rxt) ? high_rxt : h.lo;
        if (viv__seq_lt(s, h.hi)) {
            uint32_t room = h.hi - s;
            *from = s;
            *len = room < smss ? room : smss;
            *lost = sb_lost(h.above, h.bytes, smss, dupthresh);
            return 1;
        }
    } while (sb_hole_next(sb, &h, snd_max));
    return 0;
}

int viv__sb_next_seg_ex(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max,
                        uint32_t high_rxt, uint32_t smss, unsigned dupthresh, uint32_t new_avail,
                        uint32_t *seq, uint32_t *len)
{
    if (smss == 0 || viv__seq_lt(snd_max, snd_una))
        return -1;
    high_rxt = sb_clamp(high_rxt, snd_una, snd_max);
    uint32_t s = 0, l = 0;
    int lost = 0;
    int found = sb_first_hole(sb, snd_una, snd_max, high_rxt, smss, dupthresh, &s, &l, &lost);
    /* Rule (1): the lowest candidate is lost (IsLost only turns false going up, so if the
     * lowest candidate is not lost, none is). */
    if (found && lost) {
        *seq = s;
        *len = l;
        return 0;
    }
    /* Rule (2): new data. */
    if (new_avail) {
        *seq = snd_max;
        *len = new_avail < smss ? new_avail : smss;
        return 1;
    }
    /* Rule (3): the lowest candidate, lost or not. */
    if (found) {
        *seq = s;
        *len = l;
        return 0;
    }
    return -1;
}

int viv__sb_next_seg(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t high_rxt,
                     uint32_t smss, unsigned dupthresh, uint32_t *seq, uint32_t *len)
{
    return viv__sb_next_seg_ex(sb, snd_una, snd_max, high_rxt, smss, dupthresh, UINT32_MAX, seq,
                               len);
}

int viv__sb_rescue_seg(const viv__tcp_sb *sb, uint32_t snd_una, uint32_t snd_max, uint32_t smss,
                       uint32_t *seq, uint32_t *len)
{
    if (smss == 0 || !viv__seq_lt(snd_una, snd_max))
        return -1;
    /* The highest non-empty hole. */
    int found = 0;
    uint32_t lo = 0, hi = 0;
    sb_hole h;
    sb_hole_first(sb, &h, snd_una, snd_max);
    do {
        if (viv__seq_lt(h.lo, h.hi)) {
            found = 1;
            lo = h.lo;
            hi = h.hi;
        }
    } while (sb_hole_next(sb, &h, snd_max));
    if (!found)
        return -1;
    uint32_t l = hi - lo < smss ? hi - lo : smss;
    *seq = hi - l;
    *len = l;
    return 0;
}

/* ---- Receiver ---- */

/* ranges[i] is usable: non-empty and above rcv_nxt. */
static int sack_usable(const viv__sack_blk *r, uint32_t rcv_nxt)
{
    return viv__seq_gt(r->end, r->start) && viv__seq_gt(r->end, rcv_nxt);
}

/* The usable range overlapping [s, e), or -1. */
static long sack_find(const viv__sack_blk *ranges, unsigned nranges, uint32_t rcv_nxt, uint32_t s,
                      uint32_t e)
{
    if (!viv__seq_gt(e, s))
        return -1;
    for (unsigned i = 0; i < nranges; i++)
        if (sack_usable(&ranges[i], rcv_nxt) && viv__seq_lt(ranges[i].start, e) &&
            viv__seq_lt(s, ranges[i].end))
            return (long)i;
    return -1;
}

/* Append range i to out unless it is there already (blocks are whole ranges, so a block
 * already included holds range i only if it is range i). */
static unsigned sack_put(viv__sack_blk *out, unsigned k, unsigned max, const viv__sack_blk *r,
                         uint32_t rcv_nxt)
{
    if (k >= max || !sack_usable(r, rcv_nxt))
        return k;
    for (unsigned m = 0; m < k; m++)
        if (out[m].start == r->start && out[m].end == r->end)
            return k;
    out[k].start = viv__seq_lt(r->start, rcv_nxt) ? rcv_nxt : r->start;
    out[k].end = r->end;
    /* A range cut at rcv_nxt may now equal one already put (only with overlapping input). */
    for (unsigned m = 0; m < k; m++)
        if (out[m].start == out[k].start && out[m].end == out[k].end)
            return k;
    return k + 1;
}

/* The first block (RFC 2018 section 4): the range holding the segment that triggered this
 * ACK, unless it advanced the acknowledgment. */
static unsigned sack_first(viv__sack_blk *out, unsigned max, const viv__sack_blk *ranges,
                           unsigned nranges, uint32_t rcv_nxt, const viv__sack_blk *recent)
{
    if (!recent || max == 0 || !viv__seq_gt(recent->end, rcv_nxt))
        return 0;
    uint32_t s = viv__seq_lt(recent->start, rcv_nxt) ? rcv_nxt : recent->start;
    long i = sack_find(ranges, nranges, rcv_nxt, s, recent->end);
    return i < 0 ? 0 : sack_put(out, 0, max, &ranges[i], rcv_nxt);
}

/* The rest, highest first. */
static unsigned sack_rest(viv__sack_blk *out, unsigned k, unsigned max, const viv__sack_blk *ranges,
                          unsigned nranges, uint32_t rcv_nxt)
{
    for (unsigned i = nranges; i-- > 0 && k < max;)
        k = sack_put(out, k, max, &ranges[i], rcv_nxt);
    return k;
}

unsigned viv__sack_build(viv__sack_blk *out, unsigned max, const viv__sack_blk *ranges,
                         unsigned nranges, uint32_t rcv_nxt, const viv__sack_blk *recent)
{
    if (!out || (!ranges && nranges))
        return 0;
    unsigned k = sack_first(out, max, ranges, nranges, rcv_nxt, recent);
    return sack_rest(out, k, max, ranges, nranges, rcv_nxt);
}

unsigned viv__sack_build_hist(viv__sack_blk *out, unsigned max, const viv__sack_blk *ranges,
                              unsigned nranges, uint32_t rcv_nxt, const viv__sack_blk *recent,
                              viv__sack_hist *hist)
{
    if (!out || (!ranges && nranges))
        return 0;
    if (max > VIV__TCP_SACK_BLOCKS_MAX)
        max = VIV__TCP_SACK_BLOCKS_MAX;
    unsigned k = sack_first(out, max, ranges, nranges, rcv_nxt, recent);
    if (hist) {
        uint32_t hn = hist->n < VIV__TCP_SACK_BLOCKS_MAX ? hist->n : VIV__TCP_SACK_BLOCKS_MAX;
        for (uint32_t m = 0; m < hn && k < max; m++) {
            long i = sack_find(ranges, nranges, rcv_nxt, hist->blk[m].start, hist->blk[m].end);
            if (i >= 0)
                k = sack_put(out, k, max, &ranges[i], rcv_nxt);
        }
    }
    k = sack_rest(out, k, max, ranges, nranges, rcv_nxt);
    if (hist) {
        hist->n = k;
        memcpy(hist->blk, out, (size_t)k * sizeof out[0]);
    }
    return k;
}
