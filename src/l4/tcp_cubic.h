/* CUBIC's private state and its integer arithmetic, shared by tcp_cubic.c and its unit test
 * (tests/unit/tcp/test_tcp_cubic.c), which reads the state to check K, W_max and W_est
 * against hand-computed values. Nothing here is API. */
#ifndef VIV_L4_TCP_CUBIC_H
#define VIV_L4_TCP_CUBIC_H

#include <stdint.h>

#include "vivarium/tcp_cc.h"

/* One connection's CUBIC state (viv_tcp_cc_conn::priv). Windows are in bytes, times in
 * simulated nanoseconds. */
typedef struct viv__cubic {
    uint64_t epoch_start; /* t_epoch, shifted forward by idle and application-limited time */
    uint64_t last_ack;    /* when on_ack (or an event) last ran: the start of a pause */
    uint64_t k_ns;        /* K (RFC 9438 figure 2) */
    uint64_t w_est_q16;   /* W_est (RFC 9438 4.3) in bytes, 16 fractional bits */
    uint32_t w_max;       /* W_max; 0 while undefined (before a loss, after a timeout) */
    uint32_t cwnd_epoch;  /* cwnd at the start of the congestion avoidance stage */
    uint32_t cwnd_prior;  /* cwnd when ssthresh was last set (0: not yet) */
    uint32_t grow_rem;    /* remainder of (target - cwnd) * acked / cwnd, carried over */
    uint8_t in_epoch;     /* 1 once the current congestion avoidance stage has begun */
    uint8_t alpha_one;    /* RFC 9438 4.3's switch to alpha_cubic = 1 once W_est reaches
                             cwnd_prior (viv_tcp_cc_cubic_rfc9438); Linux keeps 9/17 */
} viv__cubic;

/* floor(cbrt(v)). */
uint32_t viv__cubic_cbrt(uint64_t v);

/* K in ns (floor, to about 1 us for windows of a few hundred segments): the cube root of
 * (w_max - cwnd_epoch) / (C * mss) seconds; 0 when w_max <= cwnd_epoch. */
uint64_t viv__cubic_k_ns(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss);

/* W_cubic(t) in bytes (RFC 9438 figure 1) for t in ns since the epoch: 2^62 or more far in
 * the convex region (more than any window), and 0 where the curve falls below zero. */
uint64_t viv__cubic_window(const viv__cubic *s, uint64_t t_ns, uint32_t mss);

#endif
