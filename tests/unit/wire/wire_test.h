/* Helpers shared by the wire tests. The expected bytes of every test vector were computed
 * independently of vivarium, by gen_vectors.py in this directory (struct.pack for the layouts of
 * the RFCs, and a plain 16-bit-word loop for the checksums). */
#ifndef VIV_WIRE_TEST_H
#define VIV_WIRE_TEST_H

#include "viv_test.h"

#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* A heap copy of exactly n bytes, so that AddressSanitizer catches any read past the end. */
static inline uint8_t *wt_dup(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n);
    assert_true(b != NULL || n == 0);
    if (n)
        memcpy(b, p, n);
    return b;
}

/* The checksum the obvious way, one 16-bit word at a time, starting from a pseudo-header for
 * transports (proto 0: none). Used to fix up crafted segments, never to make expected bytes
 * (test_cksum checks the fast sums against wt_ref_cksum_from). */
static inline uint16_t wt_ref_cksum_from(uint64_t s, const uint8_t *p, size_t n);
static inline uint16_t wt_ref_cksum(const uint8_t *p, size_t n, viv_ip4_t src, viv_ip4_t dst,
                                    uint8_t proto)
{
    uint64_t s = 0;
    if (proto)
        s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + n;
    return wt_ref_cksum_from(s, p, n);
}

/* The same word by word from a partial sum s (below 2^48, so that no addition overflows). */
static inline uint16_t wt_ref_cksum_from(uint64_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n % 2)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

#define WT_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define WT_MAC(a, b, c, d, e, f) ((viv_mac_t){{(a), (b), (c), (d), (e), (f)}})

#endif
