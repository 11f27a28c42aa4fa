/* TCP sequence-number comparisons modulo 2^32 (RFC 9293 section 3.4): a is before b when the
 * signed 32-bit difference a - b is negative. */
#ifndef VIV_WIRE_SEQ_H
#define VIV_WIRE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline int32_t viv__seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}
static inline bool viv__seq_lt(uint32_t a, uint32_t b)
{
    return viv__seq_diff(a, b) < 0;
}
static inline bool viv__seq_le(uint32_t a, uint32_t b)
{
    return viv__seq_diff(a, b) <= 0;
}
static inline bool viv__seq_gt(uint32_t a, uint32_t b)
{
    return viv__seq_diff(a, b) > 0;
}
static inline bool viv__seq_ge(uint32_t a, uint32_t b)
{
    return viv__seq_diff(a, b) >= 0;
}

/* lo <= x <= hi in sequence space (both ends inclusive). */
static inline bool viv__seq_between(uint32_t lo, uint32_t x, uint32_t hi)
{
    return viv__seq_le(lo, x) && viv__seq_le(x, hi);
}

#endif
