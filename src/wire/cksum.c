/* The Internet checksum, summed 64 bits at a time.
 *
 * The ones' complement sum of 16-bit words is the sum modulo 0xffff (with 0xffff standing
 * for zero), and 2^16, 2^32 and 2^64 are all 1 modulo 0xffff; so wider words can be summed
 * as plain integers and folded at the end. The bulk of a chunk is loaded 8 bytes at a time in
 * the host's byte order: the sum of byte-swapped words is the byte swap of the sum (RFC 1071
 * section 2(B)), so one swap of the folded result puts it back in network order. The two
 * 32-bit halves of each load go to two accumulators, which cannot overflow before 2^34
 * bytes. */
#include "wire.h"

#include <string.h>

#include "core/bytes.h"

static inline int host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Fold a sum to 16 bits with end-around carries; the result is at most 0xffff. */
static inline uint32_t cksum_fold(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return (uint32_t)s;
}

uint64_t viv__cksum_add(uint64_t acc, const uint8_t *p, size_t n)
{
    uint64_t lo = 0, hi = 0, lo2 = 0, hi2 = 0;
    uint64_t w, w2;
    while (n >= 32) {
        memcpy(&w, p, 8);
        memcpy(&w2, p + 8, 8);
        lo += w & 0xffffffffu;
        hi += w >> 32;
        lo2 += w2 & 0xffffffffu;
        hi2 += w2 >> 32;
        memcpy(&w, p + 16, 8);
        memcpy(&w2, p + 24, 8);
        lo += w & 0xffffffffu;
        hi += w >> 32;
        lo2 += w2 & 0xffffffffu;
        hi2 += w2 >> 32;
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        memcpy(&w, p, 8);
        lo += w & 0xffffffffu;
        hi += w >> 32;
        p += 8;
        n -= 8;
    }
    uint32_t bulk = cksum_fold(lo + hi + lo2 + hi2);
    if (host_is_little_endian())
        bulk = ((bulk >> 8) | (bulk << 8)) & 0xffffu;
    acc += bulk;
    /* The tail (at most 7 bytes) in network order; a last odd byte is the high half of a
     * word whose low half is zero. */
    while (n >= 2) {
        acc += viv_rd16be(p);
        p += 2;
        n -= 2;
    }
    if (n)
        acc += (uint32_t)p[0] << 8;
    return acc;
}

uint16_t viv__cksum_finish(uint64_t acc)
{
    return (uint16_t)~cksum_fold(acc);
}

uint64_t viv__cksum_pseudo(viv_ip4_t src, viv_ip4_t dst, uint8_t proto, uint16_t len)
{
    return (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
}

uint16_t viv__cksum(const uint8_t *p, size_t n)
{
    return viv__cksum_finish(viv__cksum_add(0, p, n));
}

uint16_t viv__cksum_update16(uint16_t cksum, uint16_t old_word, uint16_t new_word)
{
    uint64_t s = (uint16_t)~cksum;
    s += (uint16_t)~old_word;
    s += new_word;
    return (uint16_t)~cksum_fold(s);
}
