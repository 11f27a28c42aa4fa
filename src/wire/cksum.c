/* The Internet checksum, summed 64 bits at a time with end-around carries.
 *
 * The ones' complement sum of 16-bit words is the sum modulo 0xffff (with 0xffff standing
 * for zero), and 2^16, 2^32 and 2^64 are all 1 modulo 0xffff; so wider words can be summed
 * with end-around carries (a carry out of bit 63 is worth 2^64, that is 1) and folded to 16
 * bits at the end. The bytes are loaded in the host's byte order: every 16-bit word of a
 * load then sits in host order, and the sum of byte-swapped words is the byte swap of the
 * sum (RFC 1071 section 2(B)), so one conversion of the folded result to network order puts
 * it right on either byte order, with no test of the host's byte order.
 *
 * On x86-64 (GCC, clang) sums of 256 bytes and more go through SSE2 or AVX2 vectors (see
 * cksum_sum_sse2 below); shorter ones, and the vectors' last bytes under 64, through one
 * add-with-carry chain through each 128-byte block
 * (the `adc` instruction, through _addcarry_u64), whose last carry is counted apart, and the
 * rest under 128 bytes is taken in pieces of 64, 32, 16, 8, 4, 2 and 1 bytes. Elsewhere the
 * bulk goes 64 bytes at a time into four accumulators, with the carries out of bit 63
 * counted apart (s += w; c += s < w: an add and an add-with-carry on most machines; a form
 * that adds each carry back into s at once measured 1.6 times slower, as compilers then
 * interleave the chains badly). The rest, under 64 bytes, is taken in pieces of 32, 16, 8, 4,
 * 2 and 1 bytes without a loop. The carry count is below n / 8, so it cannot overflow. A
 * last odd byte is copied into the first byte of a zeroed 16-bit word, which is that byte
 * followed by a zero byte in either byte order.
 *
 * A sum is zero only when every byte is zero: the accumulators and the carry count hold the
 * exact sum, an end-around carry add of two numbers that are not both zero is not zero, and
 * neither is a fold of a non-zero number. So the result
 * of viv__cksum_finish() (0xffff for all-zero data, 0 for a non-zero sum that is 0 modulo
 * 0xffff) is the same as a word-by-word ones' complement sum gives.
 *
 * viv__cksum_copy() is the same sum with each load also stored to a destination: every form
 * is written once, with a constant `copy` argument, and inlined into a plain sum and into a
 * copy-and-sum (cksum_ld), so the two can never differ in what they add. */
#include "wire.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(VIV_CKSUM_PORTABLE)
#include <x86intrin.h>
#define CKSUM_X86_ADC 1
#endif

/* Add w to s with an end-around carry. After a carry s + w - 2^64 is at most 2^64 - 2, so
 * adding the carry back cannot overflow again. */
#define CKSUM_ADC(s, w)                                                                            \
    do {                                                                                           \
        (s) += (w);                                                                                \
        (s) += (s) < (w);                                                                          \
    } while (0)

/* Add w to s, counting a carry out of bit 63 in c (each is worth 2^64, that is 1). */
#define CKSUM_ADD(s, c, w)                                                                         \
    do {                                                                                           \
        (s) += (w);                                                                                \
        (c) += (s) < (w);                                                                          \
    } while (0)

static inline uint64_t cksum_load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Fold a sum to 16 bits with end-around carries; the result is at most 0xffff, and zero
 * only when s is zero. */
static inline uint32_t cksum_fold(uint64_t s)
{
    uint32_t lo = (uint32_t)s, hi = (uint32_t)(s >> 32);
    uint32_t r = lo + hi;
    r += r < hi;
    r = (r & 0xffffu) + (r >> 16);
    r = (r & 0xffffu) + (r >> 16);
    return r;
}

/* Load the 8 bytes at p + off, and store them at d + off too when copy is set. Every form
 * below takes (d, p, n, copy) with copy a constant, and is inlined: with copy 0 the store goes
 * away (d is then never used nor moved) and the form is the plain sum. */
static inline __attribute__((always_inline)) uint64_t cksum_ld(uint8_t *d, const uint8_t *p,
                                                               size_t off, int copy)
{
    uint64_t w = cksum_load64(p + off);
    if (copy)
        memcpy(d + off, &w, 8);
    return w;
}

/* Pieces under 8 bytes (n & 7 of them, at p), as one word below 2^18: no carry; copied to d
 * too if copy (at offsets from the start, so that a copy needs no second moving pointer). */
static inline __attribute__((always_inline)) uint64_t cksum_tail7(uint8_t *d, const uint8_t *p,
                                                                  size_t n, int copy)
{
    uint64_t w = 0;
    size_t o = 0;
    if (n & 4) {
        uint32_t h;
        memcpy(&h, p, 4);
        if (copy)
            memcpy(d, &h, 4);
        w += h;
        o = 4;
    }
    if (n & 2) {
        uint16_t h;
        memcpy(&h, p + o, 2);
        if (copy)
            memcpy(d + o, &h, 2);
        w += h;
        o += 2;
    }
    if (n & 1) {
        uint16_t h = 0;
        memcpy(&h, p + o, 1);
        if (copy)
            d[o] = p[o];
        w += h;
    }
    return w;
}

/* Move p (and d, when copying) k bytes on. */
#define CKSUM_STEP(k)                                                                              \
    do {                                                                                           \
        p += (k);                                                                                  \
        if (copy)                                                                                  \
            d += (k);                                                                              \
    } while (0)

/* The folded host-order sum s put in network order through its bytes in memory, added to
 * acc; byte-swapped when the bytes summed start at an odd offset of the checksummed region
 * (odd): each of their 16-bit words then straddles two of the region's, one byte in each
 * half, and the sum of byte-swapped words is the byte swap of the sum (RFC 1071 2(B)). */
static inline uint64_t cksum_out_at(uint64_t acc, uint64_t s, size_t odd)
{
    uint16_t host = (uint16_t)cksum_fold(s);
    uint8_t b[2];
    memcpy(b, &host, 2);
    if (odd & 1)
        return acc + ((uint32_t)b[1] << 8 | b[0]);
    return acc + ((uint32_t)b[0] << 8 | b[1]);
}

static inline uint64_t cksum_out(uint64_t acc, uint64_t s)
{
    return cksum_out_at(acc, s, 0);
}

#if defined(CKSUM_X86_ADC)
/* x86-64: one carry chain. _addcarry_u64 is the add-with-carry instruction, so a 128-byte
 * block is sixteen `adc` with their loads folded in, and the block's last carry goes into c
 * (the loop's own arithmetic clobbers the carry flag between blocks): 20 instructions per
 * 128 bytes, against 40 for the portable form below. Measured with callgrind on a 1,008-byte
 * datagram: 373 instructions before, 238 with 64-byte blocks, 211 with 128-byte blocks (see
 * docs/performance.md). The result is the same sum: only the order of the additions
 * differs. */
#define CKSUM_CHAIN(cf, s, off)                                                                    \
    do {                                                                                           \
        unsigned long long r_;                                                                     \
        (cf) = _addcarry_u64((cf), (s), cksum_ld(d, p, (off), copy), &r_);                         \
        (s) = r_;                                                                                  \
    } while (0)

static inline __attribute__((always_inline)) uint64_t cksum_scalar(uint8_t *d, const uint8_t *p,
                                                                   size_t n, int copy)
{
    unsigned long long s = 0;
    uint64_t c = 0; /* carries out of bit 63, each worth 1; fewer than n / 8 */
    unsigned char cf;
    while (n >= 128) {
        cf = 0;
        CKSUM_CHAIN(cf, s, 0);
        CKSUM_CHAIN(cf, s, 8);
        CKSUM_CHAIN(cf, s, 16);
        CKSUM_CHAIN(cf, s, 24);
        CKSUM_CHAIN(cf, s, 32);
        CKSUM_CHAIN(cf, s, 40);
        CKSUM_CHAIN(cf, s, 48);
        CKSUM_CHAIN(cf, s, 56);
        CKSUM_CHAIN(cf, s, 64);
        CKSUM_CHAIN(cf, s, 72);
        CKSUM_CHAIN(cf, s, 80);
        CKSUM_CHAIN(cf, s, 88);
        CKSUM_CHAIN(cf, s, 96);
        CKSUM_CHAIN(cf, s, 104);
        CKSUM_CHAIN(cf, s, 112);
        CKSUM_CHAIN(cf, s, 120);
        c += cf;
        CKSUM_STEP(128);
        n -= 128;
    }
    cf = 0;
    if (n & 64) {
        CKSUM_CHAIN(cf, s, 0);
        CKSUM_CHAIN(cf, s, 8);
        CKSUM_CHAIN(cf, s, 16);
        CKSUM_CHAIN(cf, s, 24);
        CKSUM_CHAIN(cf, s, 32);
        CKSUM_CHAIN(cf, s, 40);
        CKSUM_CHAIN(cf, s, 48);
        CKSUM_CHAIN(cf, s, 56);
        CKSUM_STEP(64);
    }
    if (n & 32) {
        CKSUM_CHAIN(cf, s, 0);
        CKSUM_CHAIN(cf, s, 8);
        CKSUM_CHAIN(cf, s, 16);
        CKSUM_CHAIN(cf, s, 24);
        CKSUM_STEP(32);
    }
    if (n & 16) {
        CKSUM_CHAIN(cf, s, 0);
        CKSUM_CHAIN(cf, s, 8);
        CKSUM_STEP(16);
    }
    if (n & 8) {
        CKSUM_CHAIN(cf, s, 0);
        CKSUM_STEP(8);
    }
    c += cf;
    uint64_t t = s;
    CKSUM_ADD(t, c, cksum_tail7(d, p, n, copy));
    CKSUM_ADC(t, c);
    return t;
}
#else
static inline __attribute__((always_inline)) uint64_t cksum_scalar(uint8_t *d, const uint8_t *p,
                                                                   size_t n, int copy)
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, c = 0;
    while (n >= 64) {
        CKSUM_ADD(s0, c, cksum_ld(d, p, 0, copy));
        CKSUM_ADD(s1, c, cksum_ld(d, p, 8, copy));
        CKSUM_ADD(s2, c, cksum_ld(d, p, 16, copy));
        CKSUM_ADD(s3, c, cksum_ld(d, p, 24, copy));
        CKSUM_ADD(s0, c, cksum_ld(d, p, 32, copy));
        CKSUM_ADD(s1, c, cksum_ld(d, p, 40, copy));
        CKSUM_ADD(s2, c, cksum_ld(d, p, 48, copy));
        CKSUM_ADD(s3, c, cksum_ld(d, p, 56, copy));
        CKSUM_STEP(64);
        n -= 64;
    }
    if (n & 32) {
        CKSUM_ADD(s0, c, cksum_ld(d, p, 0, copy));
        CKSUM_ADD(s1, c, cksum_ld(d, p, 8, copy));
        CKSUM_ADD(s2, c, cksum_ld(d, p, 16, copy));
        CKSUM_ADD(s3, c, cksum_ld(d, p, 24, copy));
        CKSUM_STEP(32);
    }
    if (n & 16) {
        CKSUM_ADD(s0, c, cksum_ld(d, p, 0, copy));
        CKSUM_ADD(s1, c, cksum_ld(d, p, 8, copy));
        CKSUM_STEP(16);
    }
    if (n & 8) {
        CKSUM_ADD(s2, c, cksum_ld(d, p, 0, copy));
        CKSUM_STEP(8);
    }
    CKSUM_ADD(s0, c, s1);
    CKSUM_ADD(s2, c, s3);
    CKSUM_ADD(s0, c, s2);
    CKSUM_ADD(s0, c, cksum_tail7(d, p, n, copy));
    CKSUM_ADC(s0, c);
    return s0;
}
#endif

/* The plain sum: no copy, d never used. */
static inline __attribute__((always_inline)) uint64_t cksum_sum_scalar(const uint8_t *p, size_t n)
{
    return cksum_scalar(NULL, p, n, 0);
}

/* Below this length viv__cksum_copy() copies with memcpy and then sums the copy with the
 * scalar chain, as the send paths did before it existed: fewer instructions than one pass
 * there. Measured with callgrind, hot, instructions per call through a function pointer
 * (docs/performance.md, wip/cksumcopy): memcpy then the sum 90, 119, 141 at 20, 128, 200
 * bytes, one scalar pass 118, 166, 202. In wall time one scalar pass was the faster (10.0
 * against 14.6 ns at 20 bytes, 12.7 against 17.1 at 128, tests/bench/bench_cksum): the sum
 * of bytes just stored by memcpy waits on them; by the project's rule (instructions) the
 * two passes stay. From 256 bytes on, the AVX2 pass: 208 instructions against 184 at 256,
 * 215 against 223 at 320, 364 against 380 at 1,000 and 457 against 492 at 1,448, and in
 * wall time faster at every length from 256 (11.7 against 12.8 ns at 256, 19.6 against
 * 29.2 at 1,000, 24.9 against 39.7 at 1,448). The same length as CKSUM_AVX2_MIN. */
#define CKSUM_COPY_MIN 256u

/* The ways of viv__cksum_copy() are out of line (see there): with the scalar chain inlined
 * into it, it saved and restored six registers on every call, whichever way it took. */
static __attribute__((noinline)) uint64_t cksum_copy_scalar(uint8_t *d, const uint8_t *p,
                                                            size_t n)
{
    return cksum_scalar(d, p, n, 1);
}

/* Under CKSUM_COPY_MIN: memcpy, then the sum of the copy. No bytes: the pointers may be NULL,
 * which memcpy does not allow even for 0 bytes. */
static __attribute__((noinline)) uint64_t cksum_copy_short(uint8_t *d, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    memcpy(d, p, n);
    return cksum_sum_scalar(d, n);
}

#if defined(CKSUM_X86_ADC)
/* x86-64, long sums: 16-bit words summed in vector registers. pmaddwd multiplies
 * signed 16-bit words pairwise and adds each pair into a signed 32-bit lane; against a vector
 * of ones it adds pairs of words. The words are unsigned, so each first has its top bit
 * flipped (xor 0x8000), which makes it the signed number w - 32768: a lane then gains
 * (w0 - 32768) + (w1 - 32768), and the block's true sum is the lanes' total plus 32768 per
 * word, a constant known from the length. That is three instructions per 16 (SSE2) or 32
 * (AVX2) bytes on ports that run them in parallel (about one cycle), where the adc chain
 * takes 2 or 4 cycles, one per 8 bytes, bound by its single carry flag.
 *
 * Bounds: a word contributes at most 32768 in magnitude, so a block of CKSUM_VEC_BLOCK
 * (65,536) bytes, 32,768 words, keeps every lane, every sum of lanes and the block's total
 * within 2^30 in magnitude: int32 never overflows, in any order of adding. The block's true
 * sum (total + 32768 * words) is exact and at most 2^31 - 2^16, and it is zero only when
 * every word is zero; blocks are added with carries counted, as in the scalar forms, and the
 * last bytes under 64 are taken by the scalar chain. */
#define CKSUM_VEC_BLOCK 65536u

/* Below these lengths viv__cksum_add() keeps the scalar chain: a vector form's set-up, lane
 * folding and vzeroupper (about 30 instructions) cost more than they save on fewer bytes, and
 * short sums (IP headers, pseudo-headers, segments without data) must stay as fast as they
 * were. Measured hot with tests/bench/bench_cksum: AVX2 and the chain break even near 256
 * bytes, SSE2 (half as wide) near 512 (docs/performance.md, wip/cksum). */
#define CKSUM_AVX2_MIN 256u
#define CKSUM_SSE2_MIN 512u
/* viv__cksum_copy() goes over to SSE2 at the same length as the sum. */
#define CKSUM_COPY_SSE2_MIN 512u

/* The exact sum of the words of one block, from the lanes' total over its words. */
static inline uint64_t cksum_vec_block_sum(int32_t total, size_t bytes)
{
    return (uint64_t)((int64_t)total + (int64_t)(bytes / 2) * 32768);
}

/* SSE2, copying to d too if copy (a constant: see cksum_ld). */
static inline __attribute__((always_inline)) uint64_t cksum_sse2(uint8_t *d, const uint8_t *p,
                                                                 size_t n, int copy)
{
    const __m128i flip = _mm_set1_epi16((short)0x8000);
    const __m128i ones = _mm_set1_epi16(1);
    uint64_t s = 0, c = 0;
    while (n >= 64) {
        size_t blk = n < CKSUM_VEC_BLOCK ? n & ~(size_t)63 : CKSUM_VEC_BLOCK;
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < blk; i += 64) {
            __m128i w0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i w1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
            __m128i w2 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32));
            __m128i w3 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48));
            if (copy) {
                _mm_storeu_si128((__m128i *)(void *)(d + i), w0);
                _mm_storeu_si128((__m128i *)(void *)(d + i + 16), w1);
                _mm_storeu_si128((__m128i *)(void *)(d + i + 32), w2);
                _mm_storeu_si128((__m128i *)(void *)(d + i + 48), w3);
            }
            a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_xor_si128(w0, flip), ones));
            a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_xor_si128(w1, flip), ones));
            a2 = _mm_add_epi32(a2, _mm_madd_epi16(_mm_xor_si128(w2, flip), ones));
            a3 = _mm_add_epi32(a3, _mm_madd_epi16(_mm_xor_si128(w3, flip), ones));
        }
        a0 = _mm_add_epi32(_mm_add_epi32(a0, a1), _mm_add_epi32(a2, a3));
        a0 = _mm_add_epi32(a0, _mm_shuffle_epi32(a0, 0x4e)); /* lanes 2 3 0 1 */
        a0 = _mm_add_epi32(a0, _mm_shuffle_epi32(a0, 0xb1)); /* lanes 1 0 3 2 */
        CKSUM_ADD(s, c, cksum_vec_block_sum(_mm_cvtsi128_si32(a0), blk));
        CKSUM_STEP(blk);
        n -= blk;
    }
    uint64_t rest = cksum_scalar(d, p, n, copy);
    CKSUM_ADD(s, c, rest);
    CKSUM_ADC(s, c);
    return s;
}

static uint64_t cksum_sum_sse2(const uint8_t *p, size_t n)
{
    return cksum_sse2(NULL, p, n, 0);
}

static __attribute__((noinline)) uint64_t cksum_copy_sse2(uint8_t *d, const uint8_t *p,
                                                          size_t n)
{
    return cksum_sse2(d, p, n, 1);
}

#define CKSUM_LOADU256(q) _mm256_loadu_si256((const __m256i *)(const void *)(q))

#define CKSUM_STOREU256(q, v) _mm256_storeu_si256((__m256i *)(void *)(q), (v))

/* The same with 32-byte vectors, compiled for AVX2 alone and called only when the processor
 * has it (viv__cksum_add, viv__cksum_copy). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint64_t
cksum_avx2(uint8_t *d, const uint8_t *p, size_t n, int copy)
{
    const __m256i flip = _mm256_set1_epi16((short)0x8000);
    const __m256i ones = _mm256_set1_epi16(1);
    uint64_t s = 0, c = 0;
    while (n >= 64) {
        size_t blk = n < CKSUM_VEC_BLOCK ? n & ~(size_t)63 : CKSUM_VEC_BLOCK;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        size_t i = blk & 64; /* an odd 64 bytes first, then 128 a turn */
        if (i) {
            __m256i w0 = CKSUM_LOADU256(p), w1 = CKSUM_LOADU256(p + 32);
            if (copy) {
                CKSUM_STOREU256(d, w0);
                CKSUM_STOREU256(d + 32, w1);
            }
            a0 = _mm256_madd_epi16(_mm256_xor_si256(w0, flip), ones);
            a1 = _mm256_madd_epi16(_mm256_xor_si256(w1, flip), ones);
        }
        for (; i < blk; i += 128) {
            __m256i w0 = CKSUM_LOADU256(p + i), w1 = CKSUM_LOADU256(p + i + 32);
            __m256i w2 = CKSUM_LOADU256(p + i + 64), w3 = CKSUM_LOADU256(p + i + 96);
            if (copy) {
                CKSUM_STOREU256(d + i, w0);
                CKSUM_STOREU256(d + i + 32, w1);
                CKSUM_STOREU256(d + i + 64, w2);
                CKSUM_STOREU256(d + i + 96, w3);
            }
            /* Two accumulators, each fed the sum of two products: one add on each
             * loop-carried chain, and GCC 12 then copies fewer registers per turn. */
            __m256i m0 = _mm256_madd_epi16(_mm256_xor_si256(w0, flip), ones);
            __m256i m1 = _mm256_madd_epi16(_mm256_xor_si256(w1, flip), ones);
            __m256i m2 = _mm256_madd_epi16(_mm256_xor_si256(w2, flip), ones);
            __m256i m3 = _mm256_madd_epi16(_mm256_xor_si256(w3, flip), ones);
            a0 = _mm256_add_epi32(a0, _mm256_add_epi32(m0, m2));
            a1 = _mm256_add_epi32(a1, _mm256_add_epi32(m1, m3));
        }
        a0 = _mm256_add_epi32(a0, a1);
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(a0), _mm256_extracti128_si256(a0, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
        CKSUM_ADD(s, c, cksum_vec_block_sum(_mm_cvtsi128_si32(h), blk));
        CKSUM_STEP(blk);
        n -= blk;
    }
    /* The upper halves of the ymm registers are cleared before any SSE code runs again
     * (the scalar tail, the caller), which would otherwise pay for their dirty state; GCC
     * leaves the vzeroupper out of this target("avx2") function. */
    _mm256_zeroupper();
    uint64_t rest = cksum_scalar(d, p, n, copy);
    CKSUM_ADD(s, c, rest);
    CKSUM_ADC(s, c);
    return s;
}

__attribute__((target("avx2"))) static uint64_t cksum_sum_avx2(const uint8_t *p, size_t n)
{
    return cksum_avx2(NULL, p, n, 0);
}

__attribute__((target("avx2"))) static uint64_t cksum_copy_avx2(uint8_t *d, const uint8_t *p,
                                                                size_t n)
{
    return cksum_avx2(d, p, n, 1);
}
#endif

int viv__cksum_path_available(viv_cksum_path path)
{
    switch (path) {
    case VIV_CKSUM_SCALAR:
        return 1;
#if defined(CKSUM_X86_ADC)
    case VIV_CKSUM_SSE2:
        return 1;
    case VIV_CKSUM_AVX2:
        return __builtin_cpu_supports("avx2") != 0;
#endif
    default:
        return 0;
    }
}

uint64_t viv__cksum_add_via(viv_cksum_path path, uint64_t acc, const uint8_t *p, size_t n)
{
    if (!viv__cksum_path_available(path))
        return viv__cksum_add(acc, p, n);
    switch (path) {
#if defined(CKSUM_X86_ADC)
    case VIV_CKSUM_SSE2:
        return cksum_out(acc, cksum_sum_sse2(p, n));
    case VIV_CKSUM_AVX2:
        return cksum_out(acc, cksum_sum_avx2(p, n));
#endif
    default:
        return cksum_out(acc, cksum_sum_scalar(p, n));
    }
}

uint64_t viv__cksum_copy_via(viv_cksum_path path, uint64_t acc, uint8_t *dst, const uint8_t *src,
                             size_t n, size_t off)
{
    if (!viv__cksum_path_available(path))
        return viv__cksum_copy(acc, dst, src, n, off);
    switch (path) {
#if defined(CKSUM_X86_ADC)
    case VIV_CKSUM_SSE2:
        return cksum_out_at(acc, cksum_copy_sse2(dst, src, n), off);
    case VIV_CKSUM_AVX2:
        return cksum_out_at(acc, cksum_copy_avx2(dst, src, n), off);
#endif
    default:
        return cksum_out_at(acc, cksum_copy_scalar(dst, src, n), off);
    }
}

/* On x86-64 the processor's AVX2 is checked at every call of 256 bytes or more, through
 * __builtin_cpu_supports: a test of a bit the compiler's runtime library (libgcc,
 * compiler-rt) filled in once before main, at start-up. That is one load and one test,
 * nothing of vivarium's own, and every path gives the same result anyway. An ifunc would
 * save the test but hides the function from inlining and link-time optimisation, and does
 * not exist with every libc or with static linking everywhere. */
uint64_t viv__cksum_add(uint64_t acc, const uint8_t *p, size_t n)
{
#if defined(CKSUM_X86_ADC)
    if (n >= CKSUM_AVX2_MIN) {
        if (__builtin_cpu_supports("avx2"))
            return cksum_out(acc, cksum_sum_avx2(p, n));
        if (n >= CKSUM_SSE2_MIN)
            return cksum_out(acc, cksum_sum_sse2(p, n));
    }
#endif
    return cksum_out(acc, cksum_sum_scalar(p, n));
}

/* From CKSUM_COPY_MIN bytes on, one pass: through AVX2 where the processor has it, else
 * through SSE2 from 512 bytes as for the sum (shorter: memcpy then the scalar chain's sum,
 * which is what viv__cksum_add() would take), and off x86-64 through the portable chain.
 * Each way is a function of its own (noinline), so that this stays a few instructions that
 * link-time optimisation inlines into the send paths: a version that called one more way
 * was not inlined, and cost 27 instructions more per datagram in `viv_bench lan`. */
uint64_t viv__cksum_copy(uint64_t acc, uint8_t *dst, const uint8_t *src, size_t n, size_t off)
{
    uint64_t s;
#if defined(CKSUM_X86_ADC)
    if (n >= CKSUM_COPY_MIN && __builtin_cpu_supports("avx2"))
        s = cksum_copy_avx2(dst, src, n);
    else if (n >= CKSUM_COPY_SSE2_MIN)
        s = cksum_copy_sse2(dst, src, n);
#else
    if (n >= CKSUM_COPY_MIN)
        s = cksum_copy_scalar(dst, src, n);
#endif
    else
        s = cksum_copy_short(dst, src, n);
    return cksum_out_at(acc, s, off);
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

uint16_t viv__cksum20(const uint8_t *p)
{
    uint32_t w[5];
    memcpy(w, p, 20);
    uint64_t s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
    return viv__cksum_finish(cksum_out(0, s));
}

uint16_t viv__cksum_update16(uint16_t cksum, uint16_t old_word, uint16_t new_word)
{
    uint64_t s = (uint16_t)~cksum;
    s += (uint16_t)~old_word;
    s += new_word;
    return (uint16_t)~cksum_fold(s);
}
