/* TCP output: segments as reprs turned into frames, what a connection sends and when
 * (segmentation by the MSS, the peer's window and the sender's own limit, Nagle, the FIN,
 * acknowledgements), and the byte rings that hold the send and receive buffers.
 *
 * Retransmission is go-back-N from the send buffer: the buffer keeps every byte until it is
 * acknowledged, so a timeout moves snd_nxt back to snd_una and the next output sends again
 * from there (tcp_timer.c). A segment whose sequence number is below snd_max is a
 * retransmission. */
#include <string.h>

#include "tcp_int.h"

#if defined(__GNUC__) || defined(__clang__)
#define VIV__ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define VIV__ALWAYS_INLINE inline
#endif

/* ---- byte rings ------------------------------------------------------------------------ */

int viv__tcp_ring_alloc(viv_sim_t *sim, viv__tcp_ring *r, uint32_t cap)
{
    r->buf = viv__alloc(sim, cap);
    if (!r->buf)
        return VIV_ENOMEM;
    r->cap = cap;
    r->head = r->len = 0;
    return 0;
}

void viv__tcp_ring_free(viv_sim_t *sim, viv__tcp_ring *r)
{
    if (r->buf)
        viv__free(sim, r->buf, r->cap);
    r->buf = NULL;
    r->cap = r->head = r->len = 0;
}

void viv__tcp_ring_write(viv__tcp_ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
    if (!n)
        return;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, data, first);
    if (n > first)
        memcpy(r->buf, data + first, n - first);
}

void viv__tcp_ring_read(const viv__tcp_ring *r, uint32_t off, uint8_t *out, uint32_t n)
{
    if (!n)
        return;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(out, r->buf + pos, first);
    if (n > first)
        memcpy(out + first, r->buf, n - first);
}

/* viv__tcp_ring_read() that also returns the partial sum of the n bytes from 0, for the
 * checksum: each byte is read once, copied and summed in the same pass (viv__cksum_copy). The
 * piece after the ring's wrap starts at offset `first` of the payload, which may be odd. */
static uint64_t tcp_ring_read_sum(const viv__tcp_ring *r, uint32_t off, uint8_t *out, uint32_t n)
{
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    uint64_t acc = viv__cksum_copy(0, out, r->buf + pos, first, 0);
    if (n > first)
        acc = viv__cksum_copy(acc, out + first, r->buf, n - first, first);
    return acc;
}

/* tcp_ring_read_sum for a socket that sends from a source (viv_tcp_send_source): the ring
 * counts the bytes and holds none; the byte at ring offset off is the stream's byte
 * bytes_acked + off, which the source gives in runs. */
static VIV__NOINLINE uint64_t tcp_source_read_sum(const viv_tcp_t *s, uint32_t off, uint8_t *out,
                                                  uint32_t n)
{
    uint64_t acc = 0, at = s->bytes_acked + off;
    uint32_t done = 0;
    while (done < n) {
        size_t k = n - done;
        const uint8_t *p = s->src(s->src_user, at + done, &k);
        if (k == 0 || k > n - done) /* outside the contract (tcp.h): take what it must give */
            k = k ? n - done : 1;
        acc = viv__cksum_copy(acc, out + done, p, k, done);
        done += (uint32_t)k;
    }
    return acc;
}

void viv__tcp_ooo_free(viv_tcp_t *s)
{
    viv__tcp_rcv_drop_ooo(s); /* their bytes, if held in frames */
    if (s->ooo)
        viv__free(s->base.sim, s->ooo, s->ooo_cap * sizeof(*s->ooo));
    s->ooo = NULL;
    s->nooo = s->ooo_cap = 0;
}

void viv__tcp_ring_pop(viv__tcp_ring *r, uint32_t n)
{
    if (!n)
        return;
    r->head = (uint32_t)(((uint64_t)r->head + n) % r->cap);
    r->len -= n;
}

/* ---- the receive buffer: the ring and the frames held --------------------------------- */

/* Entry i (0: the first by position) of the ring of held frames. */
static inline viv__tcp_rxf *rxf_at(const viv_tcp_t *s, uint32_t i)
{
    return &s->rxf[(s->rxf_head + i) & (s->rxf_cap - 1u)];
}

/* An entry's first position and its end, as offsets from the ring's head. */
static inline uint32_t rxf_lo(const viv_tcp_t *s, const viv__tcp_rxf *e)
{
    return e->pos - s->rcv_rd;
}
static inline uint32_t rxf_hi(const viv_tcp_t *s, const viv__tcp_rxf *e)
{
    return e->pos - s->rcv_rd + e->len;
}

uint32_t viv__tcp_rxf_cap(const viv_tcp_t *s)
{
    /* Every segment a full buffer holds, each cut in two by a retransmission that overlaps
     * it: two per MSS of buffer, and a few more for a small buffer. */
    uint32_t mss = s->rmss ? s->rmss : VIV__TCP_MSS_DEFAULT;
    uint32_t want = s->o.rcvbuf_bytes / mss * 2u + 8u, cap = 8u;
    while (cap < want && cap < VIV__TCP_RXF_CAP_MAX)
        cap *= 2u;
    return cap;
}

/* Release the entry at the head (its bytes are read or dropped). */
static void rxf_pop_head(viv_tcp_t *s)
{
    viv__tcp_rxf *e = &s->rxf[s->rxf_head];
    s->rxf_room += (uint32_t)viv__frame_truesize(e->f);
    viv__frame_unref(s->base.sim, e->f);
    s->rxf_head = (s->rxf_head + 1u) & (s->rxf_cap - 1u);
    s->rxf_n--;
}

/* Hold [lo, hi) (ring offsets) in frame f as the i-th entry, bytes at data; 0, or -1 if the
 * bounds say copy. */
static int rxf_hold(viv_tcp_t *s, uint32_t i, uint32_t lo, uint32_t hi, const uint8_t *data,
                    viv__frame *f)
{
    uint32_t mem = (uint32_t)viv__frame_truesize(f);
    if (hi - lo < VIV__TCP_RXF_MIN)
        return -1;
    if (!s->rxf) {
        uint32_t cap = viv__tcp_rxf_cap(s);
        s->rxf = viv__alloc(s->base.sim, cap * sizeof(*s->rxf));
        if (!s->rxf)
            return -1; /* copied instead: nothing is lost */
        s->rxf_cap = cap;
        s->rxf_head = s->rxf_n = 0;
        /* Linux's way of bounding a receive queue: the blocks, not the bytes, against twice
         * the buffer (so a full buffer of full-sized segments fits). */
        s->rxf_room = 2u * s->o.rcvbuf_bytes;
    }
    if (s->rxf_n == s->rxf_cap || mem > s->rxf_room)
        return -1;
    /* Make room at i: the entries from i on move one place towards the tail (out-of-order
     * data usually lands at the tail; a retransmission filling a hole, before the held
     * segments beyond it). */
    for (uint32_t k = s->rxf_n; k > i; k--)
        *rxf_at(s, k) = *rxf_at(s, k - 1);
    s->rxf_n++;
    viv__tcp_rxf *e = rxf_at(s, i);
    e->f = viv__frame_ref(f);
    e->data = data;
    e->pos = s->rcv_rd + lo;
    e->len = hi - lo;
    s->rxf_room -= mem;
    return 0;
}

void viv__tcp_rcv_put_slow(viv_tcp_t *s, uint32_t off, const uint8_t *data, uint32_t n,
                           viv__frame *f)
{
    uint32_t end = off + n, cur = off, cnt = s->rxf_n;
    /* The entries wholly before off: all of them, in the common cases (in-order data, and
     * out-of-order data beyond everything held). */
    uint32_t i = cnt;
    while (i > 0 && rxf_hi(s, rxf_at(s, i - 1)) > off)
        i--;
    while (cur < end) {
        uint32_t gap_end = end;
        if (i < s->rxf_n) {
            const viv__tcp_rxf *e = rxf_at(s, i);
            uint32_t lo = rxf_lo(s, e);
            if (lo <= cur) { /* held already: those bytes stay */
                uint32_t hi = rxf_hi(s, e);
                cur = hi < end ? hi : end;
                i++;
                continue;
            }
            if (lo < end)
                gap_end = lo;
        }
        const uint8_t *d = data + (cur - off);
        if (f && rxf_hold(s, i, cur, gap_end, d, f) == 0)
            i++;
        else
            viv__tcp_ring_write(&s->rcv, cur, d, gap_end - cur);
        cur = gap_end;
    }
}

/* The taking loop, inlined into the two ways of taking so that each has only its own
 * branches: viv__tcp_rcv_take (copying: viv_tcp_recv, its only caller, inlines it again with
 * LTO, as it did before there were two) and viv__tcp_rcv_skip. */
static VIV__ALWAYS_INLINE void rcv_take(viv_tcp_t *s, uint8_t *out, uint32_t n)
{
    while (n) {
        uint32_t take = n;
        if (s->rxf_n) {
            viv__tcp_rxf *e = &s->rxf[s->rxf_head];
            uint32_t gap = e->pos - s->rcv_rd; /* ring bytes before the entry's */
            if (gap == 0) {
                if (take > e->len)
                    take = e->len;
                if (out)
                    memcpy(out, e->data, take);
                e->data += take;
                e->pos += take;
                e->len -= take;
                if (!e->len)
                    rxf_pop_head(s);
                goto taken;
            }
            if (take > gap)
                take = gap;
        }
        if (out)
            viv__tcp_ring_read(&s->rcv, 0, out, take);
    taken:
        viv__tcp_ring_pop(&s->rcv, take);
        s->rcv_rd += take;
        if (out)
            out += take;
        n -= take;
    }
}

uint32_t viv__tcp_rcv_peek(const viv_tcp_t *s, uint32_t off, const uint8_t **out)
{
    /* The in-order bytes at off and after are in the first entry that ends beyond off, if
     * it starts at or before off, else in the ring up to that entry's start (or to the end
     * of the in-order bytes): a binary search over the entries, which are sorted by position,
     * so that a program walking a full buffer run by run does not rescan them each time. */
    uint32_t lo = 0, hi = s->rxf_n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (rxf_hi(s, rxf_at(s, mid)) > off)
            hi = mid;
        else
            lo = mid + 1u;
    }
    uint32_t end = s->rcv.len; /* where the run stops at the latest */
    if (lo < s->rxf_n) {
        const viv__tcp_rxf *e = rxf_at(s, lo);
        uint32_t e_lo = rxf_lo(s, e);
        if (e_lo <= off) {
            /* An entry never straddles the end of the in-order bytes (viv__tcp_rcv_drop_ooo). */
            uint32_t e_hi = rxf_hi(s, e);
            *out = e->data + (off - e_lo);
            return (e_hi < end ? e_hi : end) - off;
        }
        if (e_lo < end)
            end = e_lo;
    }
    /* Ring bytes: contiguous up to the ring's wrap. */
    uint32_t pos = (uint32_t)(((uint64_t)s->rcv.head + off) % s->rcv.cap);
    uint32_t n = end - off;
    *out = s->rcv.buf + pos;
    return s->rcv.cap - pos < n ? s->rcv.cap - pos : n;
}

/* Declared inline for GCC (an external definition all the same: tcp_int.h declares it
 * without), whose LTO then inlines it into viv_tcp_recv as it did before viv__tcp_rcv_skip
 * (a function declared inline is weighed against a larger limit). Not for clang, which
 * rejects static functions in any inline function with external linkage
 * (-Wstatic-in-inline) and whose builds here have no LTO to gain it in. */
#if defined(__GNUC__) && !defined(__clang__)
#define TCP_LTO_INLINE inline
#else
#define TCP_LTO_INLINE
#endif
TCP_LTO_INLINE void viv__tcp_rcv_take(viv_tcp_t *s, uint8_t *out, uint32_t n)
{
    rcv_take(s, out, n);
}

void viv__tcp_rcv_skip(viv_tcp_t *s, uint32_t n)
{
    rcv_take(s, NULL, n);
}

void viv__tcp_rcv_drop_ooo(viv_tcp_t *s)
{
    /* The entries beyond the in-order bytes are the last ones; an entry straddling the
     * boundary cannot exist (in-order bytes end at a hole or at RCV.NXT). */
    while (s->rxf_n) {
        viv__tcp_rxf *e = rxf_at(s, s->rxf_n - 1);
        if (rxf_lo(s, e) < s->rcv.len)
            break;
        s->rxf_room += (uint32_t)viv__frame_truesize(e->f);
        viv__frame_unref(s->base.sim, e->f);
        s->rxf_n--;
    }
}

void viv__tcp_rcv_free(viv_tcp_t *s)
{
    while (s->rxf_n)
        rxf_pop_head(s);
    if (s->rxf)
        viv__free(s->base.sim, s->rxf, s->rxf_cap * sizeof(*s->rxf));
    s->rxf = NULL;
    s->rxf_cap = s->rxf_head = s->rxf_room = 0;
    viv__tcp_ring_free(s->base.sim, &s->rcv);
}

/* ---- the receive window ---------------------------------------------------------------- */

/* Our window shift once negotiated (0 before, and without window scaling). */
static unsigned tcp_rshift(const viv_tcp_t *s)
{
    return s->ws_ok ? s->rcv_wscale : 0u;
}

/* Room in the receive buffer: what the window may cover from rcv_nxt on (at most what the
 * 16-bit field can say with our shift). */
static uint32_t tcp_rcv_room(const viv_tcp_t *s)
{
    uint32_t room = s->o.rcvbuf_bytes > s->rcv.len ? s->o.rcvbuf_bytes - s->rcv.len : 0;
    uint32_t lim = VIV__TCP_WIN_MAX << tcp_rshift(s);
    return room > lim ? lim : room;
}

/* Receiver SWS avoidance (RFC 9293 3.8.6.2.2): the right edge moves only by at least
 * min(half the buffer, one MSS). */
static VIV__ALWAYS_INLINE uint32_t tcp_rcv_sws_step(const viv_tcp_t *s)
{
    return s->o.rcvbuf_bytes / 2 < s->rmss ? s->o.rcvbuf_bytes / 2 : s->rmss;
}

/* The window's right edge could move by this much (receiver SWS avoidance decides). */
static uint32_t tcp_rcv_window_gain(const viv_tcp_t *s)
{
    uint32_t right = s->rcv_nxt + tcp_rcv_room(s);
    return viv__seq_gt(right, s->rcv_adv) ? right - s->rcv_adv : 0;
}

/* Whether a read should announce the room it made at once, in an ACK of its own (a window
 * update), rather than in the next ACK that data calls for. As Linux (tcp_cleanup_rbuf):
 * only when the window the peer knows has fallen to half the largest we can offer or less,
 * and the room made at least doubles it; and only when receiver SWS avoidance lets the right
 * edge move (tcp_rcv_window). A reader that keeps up never sends one: the ACKs that data
 * calls for carry the window. A window that has shrunk so far that it may hold the sender
 * back is reopened at once (a zero window by any room SWS avoidance lets through).
 * Until session 15 a read sent one whenever the edge could move by two MSS or half the
 * buffer (BSD's old rule): a bulk receiver reading each segment as it came sent one ACK in
 * three for nothing, which neither Linux nor ns-3 sends. */
int viv__tcp_rcv_update_due(const viv_tcp_t *s)
{
    uint32_t known = viv__seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
    uint32_t lim = VIV__TCP_WIN_MAX << tcp_rshift(s);
    uint32_t most = s->o.rcvbuf_bytes < lim ? s->o.rcvbuf_bytes : lim;
    if (known > most / 2)
        return 0;
    uint32_t gain = tcp_rcv_window_gain(s), step = tcp_rcv_sws_step(s);
    return gain && gain >= step && gain >= known;
}

/* The window of span bytes (not a whole number of 2^sh units) said in units. RCV.NXT moves
 * by any number of bytes: said rounded down, the right edge would fall back by up to
 * 2^sh - 1 bytes whenever RCV.NXT moves off the units' grid, which RFC 7323 appendix F
 * allows but RFC 9293 3.8.6 asks a receiver not to do (SHLD-14), and Linux does not do. So
 * it is said rounded up, and rcv_adv moves to the edge said: the receive ring has
 * 2^sh - 1 bytes beyond rcvbuf_bytes for that (viv__tcp_rcv_ring_cap; roundings one after
 * the other may each add a few bytes, and the ring bounds their sum). Only if the ring
 * could not hold the window rounded up (a reader that stopped, the ring full to an edge
 * rounded before) is it said rounded down, with rcv_adv where it was: what we accept is
 * never less than what we said. Out of line: a bulk transfer of full-sized segments (1448
 * bytes, 181 units of 8) into a buffer of whole units comes here only for its FIN. */
static VIV__NOINLINE uint16_t tcp_rcv_window_up(viv_tcp_t *s, uint32_t span, unsigned sh)
{
    uint32_t w = (span >> sh) + 1u;
    uint32_t held = s->rcv.buf ? s->rcv.len : 0; /* bytes before rcv_nxt in the ring */
    if (w > VIV__TCP_WIN_MAX || (uint64_t)held + ((uint64_t)w << sh) > viv__tcp_rcv_ring_cap(s))
        w = span >> sh;
    else
        s->rcv_adv = s->rcv_nxt + (w << sh);
    return (uint16_t)(w > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : w);
}

/* viv__tcp_rcv_window, inlined into this file's segments (out of line, the call and its
 * register saves cost about 30 instructions a segment more than the work). */
static VIV__ALWAYS_INLINE uint16_t tcp_rcv_window(viv_tcp_t *s)
{
    if (viv__seq_lt(s->rcv_adv, s->rcv_nxt)) /* a FIN taken in a zero window */
        s->rcv_adv = s->rcv_nxt;
    /* Receiver SWS avoidance (tcp_rcv_sws_step); the right edge never moves back. */
    uint32_t gain = tcp_rcv_window_gain(s), step = tcp_rcv_sws_step(s);
    if (gain && gain >= step)
        s->rcv_adv += gain;
    /* With a shift the field counts units of 2^shift (RFC 7323 2.3); off the units' grid
     * the window is said rounded up (tcp_rcv_window_up). */
    unsigned sh = tcp_rshift(s);
    uint32_t span = s->rcv_adv - s->rcv_nxt;
    if (VIV__UNLIKELY(span & ((1u << sh) - 1u)))
        return tcp_rcv_window_up(s, span, sh);
    uint32_t w = span >> sh;
    return (uint16_t)(w > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : w);
}

uint16_t viv__tcp_rcv_window(viv_tcp_t *s)
{
    return tcp_rcv_window(s);
}

uint32_t viv__tcp_rcv_ring_cap(const viv_tcp_t *s)
{
    if (s->rcv.buf)
        return s->rcv.cap;
    return s->o.rcvbuf_bytes + (1u << tcp_rshift(s)) - 1u;
}

/* ---- emitting -------------------------------------------------------------------------- */

/* The trace records of a segment sent (out of line: the common path has no trace). */
static VIV__NOINLINE void tcp_xmit_trace(viv__tcp_host *th, viv_tcp_t *s,
                                         const struct viv__tcp_repr *r, viv_ip4_t src,
                                         viv_ip4_t dst, int rexmit)
{
    viv__tcp_trace_seg(th, s, VIV_TRACE_TCP_SEG_TX, r, src, dst);
    if (rexmit && s) {
        viv_trace_record t;
        viv__tcp_trace_init(&t, VIV_TRACE_TCP_RETRANSMIT, s);
        t.timer = VIV_TCP_TIMER_RTO;
        t.retries = s->backoff;
        t.tcp_flags = r->flags;
        t.seq = r->seq;
        t.ack = r->ack;
        t.seg_len = (uint32_t)r->payload_len;
        t.window = r->window;
        t.iss = s->iss;
        t.irs = s->irs;
        viv__trace_emit(th->h->node.sim, &t);
    }
}

/* viv__tcp_xmit; with tpl (a constant), the header is written from s's prebuilt one. */
/* Keep path as s's route (valid while the host's route_gen stays), and lower the MSS if
 * it leaves by an interface narrower than the path MTU so far (viv__tcp_mtu_lower; RFC 1191
 * 3: the path MTU is never above the first hop's). Every refresh of the cached route comes
 * here: the send's and the one before cutting segments (tcp_path_check). */
static void tcp_path_keep(viv_tcp_t *s, const viv__ip_path *path)
{
    s->path = *path;
    s->path_gen = s->th->h->route_gen;
    s->path_ok = 1;
    (void)viv__tcp_mtu_lower(s, path->mtu);
}

static VIV__ALWAYS_INLINE int tcp_xmit_core(viv__tcp_host *th, viv_tcp_t *s,
                                            const struct viv__tcp_repr *r, viv_ip4_t src,
                                            viv_ip4_t dst, const viv__tcp_ring *ring, uint32_t off,
                                            int rexmit, int tpl)
{
    struct viv_host *h = th->h;
    viv_sim_t *sim = h->node.sim;
    size_t hl = tpl ? s->hdr.len : viv__tcp_len(r);
    size_t total = hl + r->payload_len;
    viv__ip_path path;
    const viv__ip_path *pp = &path;
    int rc = 0;
    if (s && s->path_ok && s->path_gen == h->route_gen && s->path.dst == dst &&
        s->path.src == src)
        pp = &s->path; /* the same answer: nothing it depends on changed */
    else if ((rc = viv__ip_route(h, src, dst, &path)) == 0 && s)
        tcp_path_keep(s, &path);
    if (rc < 0) {
        th->st.tx_failed++;
        if (rc == VIV_ENETUNREACH)
            viv__host_drop(h, &h->st.drop_no_route, VIV_DROP_NO_ROUTE, UINT32_MAX, NULL);
        return rc;
    }
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, (uint32_t)total);
    if (!f) {
        th->st.tx_failed++;
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, NULL);
        return VIV_ENOMEM;
    }
    uint8_t *b = viv__frame_bytes(f);
    if (tpl) {
        /* A data segment's payload is copied from the send buffer and summed in one pass. */
        uint64_t sum = 0;
        if (r->payload_len)
            sum = VIV__LIKELY(ring->buf)
                      ? tcp_ring_read_sum(ring, off, b + hl, (uint32_t)r->payload_len)
                      : tcp_source_read_sum(s, off, b + hl, (uint32_t)r->payload_len);
        viv__tcp_tpl_emit_sum(&s->hdr, r, b, sum);
    } else {
        /* SYNs, resets and segments with SACK blocks: rarely with data; the emit sums it. */
        if (r->payload_len && ring->buf)
            viv__tcp_ring_read(ring, off, b + hl, (uint32_t)r->payload_len);
        else if (r->payload_len)
            (void)tcp_source_read_sum(s, off, b + hl, (uint32_t)r->payload_len);
        if (viv__tcp_emit_hl(r, hl, src, dst, b, total) != VIV__W_OK) { /* cannot happen */
            th->st.tx_failed++;
            viv__frame_unref(sim, f);
            return VIV_EINVAL;
        }
    }
    f->csum_ok = 1;
    if (VIV__UNLIKELY(viv__tracing(sim)))
        tcp_xmit_trace(th, s, r, src, dst, rexmit);
    rc = viv__ip_send(h, f, pp, VIV__IP_PROTO_TCP, 0, 0, 1);
    if (rc < 0) {
        th->st.tx_failed++;
        return rc;
    }
    th->st.tx_segments++;
    if (r->flags & VIV__TCP_RST)
        th->st.tx_rst++;
    if (s) {
        s->segs_out++;
        if (rexmit) {
            s->retransmits++;
            th->st.retransmits++;
        }
    }
    return 0;
}

int viv__tcp_xmit(viv__tcp_host *th, viv_tcp_t *s, const struct viv__tcp_repr *r, viv_ip4_t src,
                  viv_ip4_t dst, const viv__tcp_ring *ring, uint32_t off, int rexmit)
{
    return tcp_xmit_core(th, s, r, src, dst, ring, off, rexmit, 0);
}

/* Send an ACK or data segment of s made by tcp_repr_init (flags ACK, maybe PSH and FIN): with
 * no SACK blocks, synchronized, its header is s's prebuilt one (the same bytes). */
static VIV__ALWAYS_INLINE void tcp_xmit_seg(viv_tcp_t *s, const struct viv__tcp_repr *r,
                                            uint32_t off, int rexmit)
{
    if (!r->sack_count && viv__tcp_synchronized(viv__tcp_st(s))) {
        if (VIV__UNLIKELY(!s->hdr_ok)) {
            viv__tcp_tpl_init(&s->hdr, s->base.local.ip, s->base.local.port, s->base.remote.ip,
                              s->base.remote.port, s->ts_ok);
            s->hdr_ok = 1;
        }
        tcp_xmit_core(s->th, s, r, s->base.local.ip, s->base.remote.ip, &s->snd, off, rexmit, 1);
        return;
    }
    viv__tcp_xmit(s->th, s, r, s->base.local.ip, s->base.remote.ip, &s->snd, off, rexmit);
}

/* The SACK blocks of an ACK (RFC 2018 4): the range holding the segment that triggered it
 * first (unless that one was in order), then the blocks of the last option sent, then the
 * other ranges highest first; 3 beside timestamps, else 4 (tcp_sack.c chooses). */
static void tcp_sack_blocks(viv_tcp_t *s, struct viv__tcp_repr *r)
{
    viv__sack_blk out[VIV__TCP_SACK_BLOCKS_MAX];
    unsigned max = s->ts_ok ? 3u : 4u;
    unsigned n = viv__sack_build_hist(out, max, s->ooo, s->nooo, s->rcv_nxt, &s->sack_recent,
                                      &s->sack_hist);
    for (unsigned i = 0; i < n; i++) {
        r->sack[i].left = out[i].start;
        r->sack[i].right = out[i].end;
    }
    r->sack_count = (uint8_t)n;
}

/* A segment of s with its addresses and ports, ACK set (but for a SYN), and the options a
 * synchronized segment carries: timestamps (RFC 7323 3.2: every segment but a reset) and
 * SACK blocks while data is held out of order. */
static inline void tcp_repr_init(viv_tcp_t *s, struct viv__tcp_repr *r, uint8_t flags, uint32_t seq)
{
    memset(r, 0, sizeof(*r));
    r->src_port = s->base.local.port;
    r->dst_port = s->base.remote.port;
    r->seq = seq;
    r->flags = flags;
    if (flags & VIV__TCP_ACK) {
        r->ack = s->rcv_nxt;
        r->window = tcp_rcv_window(s);
        s->last_ack_sent = s->rcv_nxt;
        if (s->sack_ok && s->nooo && !(flags & (VIV__TCP_SYN | VIV__TCP_RST)))
            tcp_sack_blocks(s, r);
    }
    if (s->ts_ok && !(flags & VIV__TCP_RST)) {
        r->ts_present = true;
        r->tsval = viv__tcp_ts_now(s);
        r->tsecr = s->ts_recent;
    }
}

/* An ACK went out: nothing is owed any more. */
static void tcp_acked_now(viv_tcp_t *s)
{
    s->ack_now = 0;
    s->delack_segs = 0;
    viv__tcp_timer_stop(s, VIV_TCP_TIMER_DELACK);
}

void viv__tcp_send_syn(viv_tcp_t *s, int rexmit)
{
    struct viv__tcp_repr r;
    int synack = viv__tcp_st(s) == VIV_TCP_SYN_RECEIVED;
    tcp_repr_init(s, &r, synack ? VIV__TCP_SYN | VIV__TCP_ACK : VIV__TCP_SYN, s->iss);
    /* The window of a SYN or SYN-ACK is never scaled (RFC 7323 2.2), and offers the buffer
     * up to 65535 bytes (what rcv_adv was set to). */
    r.window =
        (uint16_t)(s->o.rcvbuf_bytes > VIV__TCP_WIN_MAX ? VIV__TCP_WIN_MAX : s->o.rcvbuf_bytes);
    r.mss = s->rmss;
    /* Options: a SYN offers what we want; a SYN-ACK answers only what both want. */
    if (synack ? s->ws_ok : s->want_ws) {
        r.wscale_present = true;
        r.wscale = s->rcv_wscale;
    }
    r.sack_permitted = synack ? s->sack_ok : s->want_sack;
    if (synack ? s->ts_ok : s->want_ts) {
        r.ts_present = true;
        r.tsval = viv__tcp_ts_now(s);
        r.tsecr = synack ? s->ts_recent : 0;
    }
    if (rexmit) {
        s->syn_retried = 1;
        s->rtt_on = 0; /* Karn: a retransmitted SYN is never timed */
    } else {
        s->rtt_on = 1;
        s->rtt_seq = s->iss;
        s->rtt_start = s->base.sim->now;
        s->una_since = s->base.sim->now; /* the user timeout counts from the first SYN */
    }
    s->snd_nxt = s->iss + 1;
    if (viv__seq_gt(s->snd_nxt, s->snd_max))
        s->snd_max = s->snd_nxt;
    viv__tcp_xmit(s->th, s, &r, s->base.local.ip, s->base.remote.ip, NULL, 0, rexmit);
    if (synack)
        tcp_acked_now(s);
}

void viv__tcp_send_ack(viv_tcp_t *s)
{
    struct viv__tcp_repr r;
    /* A bare ACK carries snd_max: after a timeout moved snd_nxt back, that is still the
     * number the peer expects (BSD does the same). */
    tcp_repr_init(s, &r, VIV__TCP_ACK, s->snd_max);
    tcp_xmit_seg(s, &r, 0, 0);
    tcp_acked_now(s);
}

void viv__tcp_send_rst(viv_tcp_t *s)
{
    struct viv__tcp_repr r;
    /* As Linux: RST with ACK, at the highest number sent (RFC 9293's <SEQ=SND.NXT><CTL=RST>
     * with snd_nxt never moved back), so that the peer finds it exactly at RCV.NXT. */
    tcp_repr_init(s, &r, VIV__TCP_RST | VIV__TCP_ACK, s->snd_max);
    r.window = 0;
    viv__tcp_xmit(s->th, s, &r, s->base.local.ip, s->base.remote.ip, NULL, 0, 0);
}

/* Whether s may send data or a FIN in its state. */
static int tcp_can_send_data(viv_tcp_state st)
{
    return st == VIV_TCP_ESTABLISHED || st == VIV_TCP_CLOSE_WAIT || st == VIV_TCP_FIN_WAIT_1 ||
           st == VIV_TCP_CLOSING || st == VIV_TCP_LAST_ACK;
}

/* Send [seq, seq + n) from the send buffer, with the FIN if fin. */
static void tcp_send_data(viv_tcp_t *s, uint32_t seq, uint32_t n, int fin, int rexmit)
{
    uint32_t off = seq - viv__tcp_dseq(s);
    struct viv__tcp_repr r;
    uint8_t flags = VIV__TCP_ACK;
    if (n && off + n == s->snd.len)
        flags |= VIV__TCP_PSH;
    if (fin)
        flags |= VIV__TCP_FIN;
    tcp_repr_init(s, &r, flags, seq);
    r.payload_len = n;
    /* SACK blocks ride on data only as far as the effective send MSS leaves room (a full
     * segment has none: the peer's pure ACKs carry them). RFC 9293 3.7.1 (MUST-16): the
     * header with its options and the data, no more than the peer's MSS + 20 and the path's
     * MTU - 20; smss is the smaller of the two less the header and timestamps. */
    uint32_t seg_max = s->smss + 20u + (s->ts_ok ? 12u : 0u);
    while (r.sack_count && viv__tcp_len(&r) + n > seg_max)
        r.sack_count--;
    if (s->snd_max == s->snd_una) /* the oldest unacknowledged byte leaves now */
        s->una_since = s->base.sim->now;
    tcp_xmit_seg(s, &r, off, rexmit);
    tcp_acked_now(s);
    s->bytes_sent += n;
    if (n)
        s->last_data_tx = s->base.sim->now;
}

/* New data went out: snd_max moves, and the round's largest flight with it (RFC 7661). */
static void tcp_sent_new(viv_tcp_t *s)
{
    if (viv__seq_gt(s->snd_nxt, s->snd_max))
        s->snd_max = s->snd_nxt;
    uint32_t flight = s->snd_max - s->snd_una;
    if (flight > s->cl_max)
        s->cl_max = flight;
}

int viv__tcp_mtu_lower(viv_tcp_t *s, uint32_t mtu)
{
    if (mtu < 68 || mtu >= s->path_mtu)
        return 0;
    s->path_mtu = mtu;
    uint32_t opt = s->ts_ok ? 12u : 0u;
    uint32_t mss = mtu > 40u + opt + VIV__TCP_MSS_MIN ? mtu - 40u - opt : VIV__TCP_MSS_MIN;
    if (mss >= s->smss)
        return 0;
    s->smss = (uint16_t)mss;
    return 1;
}

/* The route to the peer changed (the host's route_gen moved): choose the path again before
 * cutting segments (tcp_path_keep lowers the MSS to a narrower interface). Until the audit
 * of test_tcp_audit_routed the MSS stayed that of the old route, every segment above the new
 * interface's MTU was refused locally (EMSGSIZE) and the connection timed out. The source
 * address stays the connection's (its 4-tuple names it). */
static VIV__NOINLINE void tcp_path_renew(viv_tcp_t *s)
{
    viv__ip_path path;
    if (viv__ip_route(s->th->h, s->base.local.ip, s->base.remote.ip, &path) < 0)
        return; /* no route now: the segments fail as they leave, and are retried */
    tcp_path_keep(s, &path);
}

static VIV__ALWAYS_INLINE void tcp_path_check(viv_tcp_t *s)
{
    if (VIV__UNLIKELY(!s->path_ok || s->path_gen != s->th->h->route_gen))
        tcp_path_renew(s);
}

uint32_t viv__tcp_retransmit(viv_tcp_t *s, uint32_t seq, uint32_t len)
{
    if (!tcp_can_send_data(viv__tcp_st(s)) || !viv__seq_lt(seq, s->snd_max) ||
        viv__seq_lt(seq, s->snd_una))
        return 0;
    tcp_path_check(s);
    if (len == 0 || len > s->smss)
        len = s->smss;
    uint32_t off = seq - viv__tcp_dseq(s);
    if (off > s->snd.len)
        return 0;
    uint32_t n = s->snd.len - off;
    if (n > len)
        n = len;
    if (viv__seq_gt(seq + n, s->snd_max))
        n = s->snd_max - seq;
    int fin = viv__tcp_fin_sent(s) && seq + n == s->fin_seq;
    if (n == 0 && !fin)
        return 0;
    /* Karn: an ACK that covers a retransmission gives no sample (without timestamps, which
     * name the transmission echoed). */
    if (s->rtt_on && !s->ts_ok && viv__seq_le(seq, s->rtt_seq))
        s->rtt_on = 0;
    tcp_send_data(s, seq, n, fin, 1);
    viv__tcp_rexmit_arm(s, 0);
    return n + (fin ? 1u : 0u);
}

/* Send one segment of new data now, whatever the sender's silly window avoidance and Nagle
 * say, within the window: what the persist timer does when the window is open but too small
 * for them (Linux's tcp_write_wakeup). Returns the bytes sent. */
uint32_t viv__tcp_send_window_probe(viv_tcp_t *s)
{
    uint32_t dseq = viv__tcp_dseq(s);
    uint32_t off = s->snd_nxt - dseq;
    uint32_t flight = s->snd_nxt - s->snd_una;
    if (off >= s->snd.len || s->snd_wnd <= flight)
        return 0;
    uint32_t n = s->snd.len - off;
    if (n > s->snd_wnd - flight)
        n = s->snd_wnd - flight;
    if (n > s->smss)
        n = s->smss;
    int rexmit = viv__seq_lt(s->snd_nxt, s->snd_max);
    tcp_send_data(s, s->snd_nxt, n, 0, rexmit);
    s->snd_sml = s->snd_nxt + n;
    s->snd_nxt += n;
    tcp_sent_new(s);
    viv__tcp_rexmit_arm(s, 0);
    return n;
}

/* RFC 5681 4.1: data about to leave after an idle time longer than the RTO starts from the
 * restart window, min(IW, cwnd). */
static void tcp_idle_restart(viv_tcp_t *s)
{
    if (s->snd_max != s->snd_una || s->last_data_tx == VIV_TIME_NEVER ||
        s->base.sim->now - s->last_data_tx <= viv__tcp_rto(s))
        return;
    uint32_t rw = viv__tcp_iw(s);
    s->last_data_tx = s->base.sim->now; /* once per idle period */
    s->cl_max = s->cl_prev = 0;
    if (s->cwnd <= rw)
        return;
    s->cwnd = rw;
    if (s->cc->on_event) {
        viv_tcp_cc_conn c;
        viv__tcp_cc_view(s, &c, 0);
        s->cc->on_event(&c, VIV_TCP_CC_EV_IDLE_RESTART);
        viv__tcp_cc_unview(s, &c);
    }
    viv__tcp_cc_trace(s, VIV_TRACE_CC_IDLE_RESTART);
}

/* After a timeout with SACK, go-back-N skips what the peer holds (RFC 6675 5.1): snd_nxt
 * moves to the next unSACKed byte, and the segment may not cross into a SACKed range
 * (returns the most it may carry; 0: no limit). */
static uint32_t tcp_skip_sacked(viv_tcp_t *s)
{
    uint32_t seq, len, e;
    if (!viv__seq_lt(s->snd_nxt, s->snd_max))
        return 0;
    if (viv__sb_next_seg_ex(viv__tcp_sbr(s), s->snd_una, s->snd_max, s->snd_nxt, s->smss,
                            VIV__TCP_DUPTHRESH, 0, &seq, &len) == 0) {
        s->snd_nxt = seq;
        return len;
    }
    if (viv__sb_highest_sacked(viv__tcp_sbr(s), &e) && viv__seq_gt(e, s->snd_nxt))
        s->snd_nxt = e; /* everything from here to the highest SACKed byte is held */
    return 0;
}

/* RFC 6675 5 step (C): while in SACK recovery, send as long as cwnd - pipe is at least a
 * segment: what NextSeg says (a hole deemed lost, new data, another hole), then once the
 * rescue retransmission of rule 4. */
static void tcp_sack_recovery_output(viv_tcp_t *s)
{
    for (int guard = 0; guard < 1024; guard++) {
        uint32_t pipe = viv__sb_pipe(viv__tcp_sbr(s), s->snd_una, s->snd_max, s->high_rxt, s->smss,
                                     VIV__TCP_DUPTHRESH);
        if (pipe >= s->cwnd || s->cwnd - pipe < s->smss)
            return;
        uint32_t off = s->snd_max - viv__tcp_dseq(s);
        uint32_t avail = off < s->snd.len ? s->snd.len - off : 0;
        uint32_t flight = s->snd_max - s->snd_una;
        uint32_t room = s->snd_wnd > flight ? s->snd_wnd - flight : 0;
        uint32_t new_avail = avail < room ? avail : room;
        if (s->snd_nxt != s->snd_max)
            new_avail = 0;
        uint32_t seq, len;
        int rc = viv__sb_next_seg_ex(viv__tcp_sbr(s), s->snd_una, s->snd_max, s->high_rxt, s->smss,
                                     VIV__TCP_DUPTHRESH, new_avail, &seq, &len);
        if (rc == 0) {
            uint32_t sent = viv__tcp_retransmit(s, seq, len);
            if (!sent)
                return;
            if (viv__seq_gt(seq + sent, s->high_rxt))
                s->high_rxt = seq + sent;
            continue;
        }
        if (rc == 1) {
            uint32_t n = len < new_avail ? len : new_avail;
            if (n < s->smss && n < avail)
                return; /* no short segment while more waits (sender SWS avoidance) */
            if (!s->rtt_on) {
                s->rtt_on = 1;
                s->rtt_seq = s->snd_nxt;
                s->rtt_start = s->base.sim->now;
            }
            tcp_send_data(s, s->snd_nxt, n, 0, 0);
            s->snd_nxt += n;
            tcp_sent_new(s);
            viv__tcp_rexmit_arm(s, 0);
            continue;
        }
        /* Rule 4: once per recovery, the highest unSACKed segment, and only once HighACK >
         * RescueRxt (step 4.3 set it to the first retransmission's end). */
        if (s->rescue_done || !viv__seq_gt(s->snd_una, s->rescue_rxt) ||
            viv__sb_rescue_seg(viv__tcp_sbr(s), s->snd_una, s->snd_max, s->smss, &seq, &len) < 0)
            return;
        s->rescue_done = 1;
        if (!viv__tcp_retransmit(s, seq, len))
            return;
    }
}

/* The window the sender may fill: the peer's and cwnd, with RFC 3042's limited transmit
 * (the first two duplicate ACKs each let one new segment out, cwnd unchanged). */
static uint32_t tcp_send_wnd(const viv_tcp_t *s)
{
    uint32_t cwnd = s->cwnd;
    if (s->dupacks && !s->in_recovery && s->dupacks < VIV__TCP_DUPTHRESH &&
        s->snd_nxt == s->snd_max)
        cwnd += s->dupacks * s->smss;
    return s->snd_wnd < cwnd ? s->snd_wnd : cwnd;
}

void viv__tcp_output(viv_tcp_t *s)
{
    viv_tcp_state st = viv__tcp_st(s);
    if (s->base.dead || st == VIV_TCP_CLOSED || st == VIV_TCP_LISTEN)
        return;
    if (tcp_can_send_data(st)) {
        tcp_path_check(s);
        if (s->snd_nxt == s->snd_max)
            tcp_idle_restart(s);
        if (s->in_recovery == 1 && s->sack_ok)
            tcp_sack_recovery_output(s);
        for (;;) {
            uint32_t lim = 0;
            if (s->in_recovery == 2 && s->sack_ok)
                lim = tcp_skip_sacked(s);
            uint32_t dseq = viv__tcp_dseq(s);
            uint32_t off = s->snd_nxt - dseq; /* bytes of the buffer already sent */
            if (off > s->snd.len)             /* the FIN is sent too */
                break;
            if (off == s->snd.len && !s->fin_queued) /* nothing to send (what follows says) */
                break;
            uint32_t avail = s->snd.len - off;
            uint32_t flight = s->snd_nxt - s->snd_una;
            uint32_t wnd = tcp_send_wnd(s);
            uint32_t usable = wnd > flight ? wnd - flight : 0;
            uint32_t n = avail < usable ? avail : usable;
            if (n > s->smss)
                n = s->smss;
            if (lim && n > lim)
                n = lim;
            int rexmit = viv__seq_lt(s->snd_nxt, s->snd_max);
            int fin = s->fin_queued && off + n == s->snd.len && s->snd_nxt + n == s->fin_seq;
            if (n == 0 && !fin)
                break;
            if (n > 0 && n < s->smss && !rexmit && !fin) {
                /* A short segment: only if it empties the buffer and Nagle allows it
                 * (no-delay, or no earlier short segment still unacknowledged: Minshall's
                 * refinement, as Linux), or if it fills at least half the largest window
                 * the peer ever offered (RFC 9293 3.8.6.2.1). */
                int all = n == avail &&
                          (s->o.nodelay || flight == 0 || !viv__seq_gt(s->snd_sml, s->snd_una));
                int half = n == usable && n >= s->max_snd_wnd / 2;
                if (!all && !half)
                    break;
            }
            if (!rexmit && !s->rtt_on) { /* time this segment (never a retransmission) */
                s->rtt_on = 1;
                s->rtt_seq = s->snd_nxt;
                s->rtt_start = s->base.sim->now;
            }
            if (!rexmit && s->dupacks && !s->in_recovery) {
                /* What goes beyond cwnd now is limited transmit's (tcp_send_wnd). */
                uint32_t over = flight + n > s->cwnd ? flight + n - s->cwnd : 0;
                s->lt_bytes += over < n ? over : n;
            }
            tcp_send_data(s, s->snd_nxt, n, fin, rexmit);
            if (n < s->smss)
                s->snd_sml = s->snd_nxt + n;
            s->snd_nxt += n + (fin ? 1u : 0u);
            tcp_sent_new(s);
            viv__tcp_rexmit_arm(s, 0);
            if (fin)
                break;
        }
    }
    if (s->ack_now)
        viv__tcp_send_ack(s);
    viv__tcp_persist_check(s);
}
