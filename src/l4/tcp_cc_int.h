/* RFC 5681's window growth on plain values: the one arithmetic behind the public building
 * blocks (viv_tcp_cc_slow_start, viv_tcp_cc_reno_avoid on an algorithm's view) and the TCP
 * core's NewReno without the view (viv__tcp_newreno_ack). */
#ifndef VIV_TCP_CC_INT_H
#define VIV_TCP_CC_INT_H

#include <stdint.h>

/* RFC 5681 3.1 (2): cwnd += min(acked, SMSS), never beyond ssthresh, when cwnd is below it.
 * Returns what goes on to congestion avoidance: only what is left once cwnd reaches
 * ssthresh (the rest of a stretch ACK in slow start is not counted twice); all of acked when
 * cwnd was not below ssthresh. */
static inline uint32_t viv__cc_slow_start(uint32_t *cwnd, uint32_t ssthresh, uint32_t mss,
                                          uint32_t acked)
{
    if (*cwnd >= ssthresh)
        return acked;
    uint32_t grow = acked < mss ? acked : mss;
    if (grow > ssthresh - *cwnd)
        grow = ssthresh - *cwnd;
    *cwnd += grow;
    return *cwnd >= ssthresh ? acked - grow : 0;
}

/* RFC 5681 3.1's congestion avoidance by byte counting (so that delayed ACKs do not halve
 * the growth): one SMSS per cwnd bytes acknowledged, at most one per ACK. */
static inline void viv__cc_reno_avoid(uint32_t *cwnd, uint32_t *ca_acked, uint32_t mss,
                                      uint32_t acked)
{
    if (acked == 0)
        return;
    uint32_t ca = *ca_acked + acked;
    if (ca >= *cwnd) {
        ca -= *cwnd;
        if (*cwnd <= UINT32_MAX - mss)
            *cwnd += mss;
        if (ca >= *cwnd) /* a huge ACK: at most one segment of growth per ACK */
            ca = 0;
    }
    *ca_acked = ca;
}

#endif
