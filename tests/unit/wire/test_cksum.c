/* The Internet checksum: the RFC 1071 example, agreement with a plain word-by-word reference
 * at every length and alignment (random data of four shapes to 2,000 bytes, from a partial
 * sum and in two chunks), zero versus 0xffff, chaining, the pseudo-header, RFC 1624
 * updates, and every way of summing (scalar, SSE2, AVX2) against the reference to 4,096
 * bytes at 16 alignments and across the vector forms' blocks; copying and summing in one pass
 * (viv__cksum_copy) against the sum, at every length and alignment, and in pieces cut at odd
 * offsets. */
#include "wire_test.h"

/* The obvious implementation, one 16-bit word at a time, as a reference. */
static uint16_t ref_cksum(const uint8_t *p, size_t n, uint32_t start)
{
    uint64_t s = start;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n % 2)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* A small deterministic byte generator (xorshift32). */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void test_cksum__rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(viv__cksum(b, 8), (uint16_t)~0xddf2);
    assert_int_equal(viv__cksum(b, 0), 0xffff);
    assert_int_equal(viv__cksum_finish(0), 0xffff);
    /* A well-known IPv4 header (192.168.0.1 -> 192.168.0.199) with its checksum b861. */
    const uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(viv__cksum(ip, 20), 0);
    uint8_t z[20];
    memcpy(z, ip, 20);
    z[10] = z[11] = 0;
    assert_int_equal(viv__cksum(z, 20), 0xb861);
}

static void test_cksum__matches_reference_at_every_length_and_alignment(void **state)
{
    (void)state;
    enum { MAXN = 300 };
    uint8_t src[MAXN + 8];
    for (uint32_t seed = 1; seed <= 4; seed++) {
        fill(src, sizeof src, seed);
        for (size_t align = 0; align < 8; align++) {
            for (size_t n = 0; n <= MAXN; n++) {
                uint8_t *b = wt_dup(src + align, n); /* exact size: ASan checks the tail */
                assert_int_equal(viv__cksum(b, n), ref_cksum(src + align, n, 0));
                /* Also in place, at an odd address inside a larger buffer. */
                assert_int_equal(viv__cksum(src + align, n), ref_cksum(src + align, n, 0));
                free(b);
            }
        }
    }
}

static void test_cksum__all_ones_and_large_buffers(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    uint8_t *b = malloc(N + 1);
    assert_non_null(b);
    memset(b, 0xff, N + 1);
    assert_int_equal(viv__cksum(b, N), ref_cksum(b, N, 0));
    assert_int_equal(viv__cksum(b, N + 1), ref_cksum(b, N + 1, 0));
    fill(b, N + 1, 99);
    assert_int_equal(viv__cksum(b + 1, N), ref_cksum(b + 1, N, 0));
    memset(b, 0, N);
    assert_int_equal(viv__cksum(b, N), 0xffff);
    free(b);
}

/* Random bytes in one of four shapes: plain random; random with runs of 0xff and of 0x00
 * (runs of 0xff drive the wide sums to their carries); all 0xff except a few random bytes;
 * all 0xff. */
static void fill_shaped(uint8_t *p, size_t n, uint32_t seed, int shape)
{
    fill(p, n, seed);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (shape == 1 && x % 16 == 0) { /* a run of up to 63 bytes of 0xff (or of 0) */
            size_t len = (x >> 8) % 64;
            memset(p + i, (x >> 16) % 4 ? 0xff : 0x00, len < n - i ? len : n - i);
            i += len;
        } else if (shape == 2) {
            p[i] = x % 64 ? 0xff : p[i];
        } else if (shape == 3) {
            p[i] = 0xff;
        }
    }
}

static void test_cksum__matches_reference_on_random_data_to_2000_bytes(void **state)
{
    (void)state;
    enum { MAXN = 2000 };
    uint8_t src[MAXN + 8];
    uint64_t cases = 0;
    for (int shape = 0; shape < 4; shape++) {
        for (size_t n = 0; n <= MAXN; n++) {
            fill_shaped(src, sizeof src, (uint32_t)(n * 4 + (size_t)shape + 1), shape);
            for (size_t align = 0; align < 8; align++) {
                const uint8_t *d = src + align;
                uint8_t *b = wt_dup(d, n); /* exact size: ASan checks the tail */
                uint16_t want = ref_cksum(d, n, 0);
                assert_int_equal(viv__cksum(b, n), want);
                assert_int_equal(viv__cksum(d, n), want);
                /* From a pseudo-header's partial sum, as UDP and TCP start. */
                uint32_t start = (uint32_t)(n * 40503u + align * 977u) % 0x5fffau;
                assert_int_equal(viv__cksum_finish(viv__cksum_add(start, b, n)),
                                 ref_cksum(d, n, start));
                /* Split at an even cut, the second chunk starting at any address. */
                size_t cut = (n * 7 + align * 13) % (n + 1) & ~(size_t)1;
                uint64_t acc = viv__cksum_add(start, b, cut);
                acc = viv__cksum_add(acc, b + cut, n - cut);
                assert_int_equal(viv__cksum_finish(acc), ref_cksum(d, n, start));
                free(b);
                cases++;
            }
        }
    }
    assert_int_equal(cases, 4 * (MAXN + 1) * 8);
}

/* The 20-byte header sum without a loop agrees with the general one on the same shapes of
 * data, at every alignment, and on the RFC example header. */
static void test_cksum__twenty_byte_header_sum_matches(void **state)
{
    (void)state;
    uint8_t src[20 + 8];
    for (int shape = 0; shape < 4; shape++) {
        for (uint32_t seed = 1; seed <= 500; seed++) {
            fill_shaped(src, sizeof src, seed * 4 + (uint32_t)shape, shape);
            for (size_t align = 0; align < 8; align++) {
                uint8_t *b = wt_dup(src + align, 20); /* exact size: ASan checks the end */
                assert_int_equal(viv__cksum20(b), ref_cksum(src + align, 20, 0));
                assert_int_equal(viv__cksum20(b), viv__cksum(b, 20));
                free(b);
            }
        }
    }
    uint8_t z[20] = {0};
    assert_int_equal(viv__cksum20(z), 0xffff);
    const uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(viv__cksum20(ip), 0);
}

static void test_cksum__zero_sum_and_all_zero_data_differ(void **state)
{
    (void)state;
    /* All-zero data sums to 0 (field 0xffff); data whose sum is a non-zero multiple of
     * 0xffff gives the field 0, at every length class of the wide sum. */
    uint8_t b[200];
    for (size_t n = 2; n <= sizeof b; n += 2) {
        memset(b, 0, n);
        assert_int_equal(viv__cksum(b, n), 0xffff);
        memset(b, 0xff, n);
        assert_int_equal(viv__cksum(b, n), 0);
        memset(b, 0, n);
        b[n - 2] = 0xff;
        b[n - 1] = 0xff;
        assert_int_equal(viv__cksum(b, n), 0);
        b[n - 2] = 0x12; /* 0x1234 + 0xedcb = 0xffff, words far apart */
        b[n - 1] = 0x34;
        b[0] = 0xed;
        b[1] = 0xcb;
        assert_int_equal(viv__cksum(b, n), n == 2 ? 0x1234 : 0);
    }
    /* A partial sum that is a multiple of 0xffff, then zero bytes. */
    memset(b, 0, sizeof b);
    assert_int_equal(viv__cksum_finish(viv__cksum_add(0xffff, b, 100)), 0);
    assert_int_equal(viv__cksum_finish(viv__cksum_add(0, b, 100)), 0xffff);
}

static void test_cksum__chunks_chain(void **state)
{
    (void)state;
    uint8_t b[257];
    fill(b, sizeof b, 7);
    uint16_t whole = viv__cksum(b, sizeof b);
    for (size_t cut = 0; cut <= sizeof b; cut += 2) {
        uint64_t acc = viv__cksum_add(0, b, cut);
        acc = viv__cksum_add(acc, b + cut, sizeof b - cut);
        assert_int_equal(viv__cksum_finish(acc), whole);
    }
    /* Three chunks, the middle one at an odd address. */
    uint64_t acc =
        viv__cksum_add(viv__cksum_add(viv__cksum_add(0, b, 2), b + 2, 100), b + 102, 155);
    assert_int_equal(viv__cksum_finish(acc), whole);
}

static void test_cksum__pseudo_header(void **state)
{
    (void)state;
    /* 10.0.0.1 -> 10.0.0.2, protocol 17, length 13, as bytes. */
    const uint8_t ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 13};
    uint64_t acc = viv__cksum_pseudo(VIV_IP4(10, 0, 0, 1), VIV_IP4(10, 0, 0, 2), 17, 13);
    assert_int_equal(viv__cksum_finish(acc), ref_cksum(ph, 12, 0));
    const uint8_t ph2[12] = {255, 255, 255, 255, 192, 168, 200, 1, 0, 6, 0xff, 0xff};
    acc = viv__cksum_pseudo(VIV_IP4(255, 255, 255, 255), VIV_IP4(192, 168, 200, 1), 6, 0xffff);
    assert_int_equal(viv__cksum_finish(acc), ref_cksum(ph2, 12, 0));
}

static void test_cksum__incremental_update_matches_recompute(void **state)
{
    (void)state;
    uint8_t b[20];
    for (uint32_t seed = 1; seed <= 2000; seed++) {
        fill(b, sizeof b, seed);
        b[10] = b[11] = 0;
        uint16_t ck = viv__cksum(b, sizeof b);
        size_t at = (seed % 9) * 2; /* a word other than the checksum */
        uint16_t old_word = (uint16_t)(b[at] << 8 | b[at + 1]);
        uint16_t new_word = (uint16_t)(seed * 2654435761u >> 16);
        if (seed % 7 == 0)
            new_word = (uint16_t)~old_word; /* the RFC 1624 corner case */
        b[at] = (uint8_t)(new_word >> 8);
        b[at + 1] = (uint8_t)new_word;
        assert_int_equal(viv__cksum_update16(ck, old_word, new_word), viv__cksum(b, sizeof b));
    }
    /* RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000, not 0xffff. */
    assert_int_equal(viv__cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

static uint64_t xorshift64(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Every length 0..4096 at every alignment 0..15, with random, all-0xff and all-zero bytes and
 * a random partial sum: viv__cksum_add() and each way of summing that this build and
 * processor have (the scalar chain, SSE2 and AVX2 on x86-64, whatever the length, so that the
 * vector forms' block ends and their scalar tails are all reached) return the same partial
 * sum, and its checksum is the word-by-word reference's. Built a second time with
 * VIV_CKSUM_PORTABLE (test_cksum_portable), where only the portable form exists. */
static void test_cksum__every_path_matches_reference_to_4096_bytes(void **state)
{
    (void)state;
    enum { MAXN = 4096, MAXALIGN = 16 };
    static uint8_t src[MAXN + MAXALIGN];
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint64_t cases = 0, paths_run = 0;
    for (int shape = 0; shape < 3; shape++) {
        for (size_t i = 0; i < sizeof src; i++)
            src[i] = shape == 0 ? (uint8_t)xorshift64(&x) : shape == 1 ? 0xff : 0x00;
        for (size_t n = 0; n <= MAXN; n++) {
            for (size_t align = 0; align < MAXALIGN; align++) {
                /* The bytes end exactly at the end of the allocation: ASan sees any read past
                 * them, at every alignment. */
                uint8_t *buf = malloc(align + n + 1);
                assert_non_null(buf);
                uint8_t *b = buf + align;
                if (shape == 0)
                    memcpy(b, src + (n * 7 + align) % MAXALIGN, n);
                else
                    memset(b, shape == 1 ? 0xff : 0x00, n);
                /* A partial sum as callers make: below 2^48, often small or zero. */
                uint64_t r = xorshift64(&x);
                uint64_t acc = r % 4 == 0 ? 0 : r % 4 == 1 ? (r >> 8) % 0x30000u : r >> 16;
                uint16_t want = wt_ref_cksum_from(acc, b, n);
                uint64_t got = viv__cksum_add(acc, b, n);
                assert_int_equal(viv__cksum_finish(got), want);
                for (int path = VIV_CKSUM_SCALAR; path <= VIV_CKSUM_AVX2; path++) {
                    if (!viv__cksum_path_available((viv_cksum_path)path))
                        continue;
                    assert_int_equal(viv__cksum_add_via((viv_cksum_path)path, acc, b, n), got);
                    paths_run++;
                }
                free(buf);
                cases++;
            }
        }
    }
    assert_int_equal(cases, 3 * (MAXN + 1) * MAXALIGN);
#if defined(VIV_CKSUM_PORTABLE) || !defined(__x86_64__)
    assert_int_equal(paths_run, cases); /* the portable form alone */
#else
    assert_true(paths_run >= 2 * cases); /* the chain and SSE2 at least */
#endif
}

/* Long sums cross the vector forms' 65,536-byte blocks: every path agrees with the reference
 * just below, at and above one and two block lengths, on all-0xff bytes (the largest lane
 * sums) and random ones. */
static void test_cksum__every_path_matches_reference_across_blocks(void **state)
{
    (void)state;
    enum { N = 2 * 65536 + 200 };
    uint8_t *b = malloc(N);
    assert_non_null(b);
    const size_t lens[] = {65535, 65536, 65537, 65536 + 63, 65536 + 64, 65536 + 191,
                           2 * 65536 - 1, 2 * 65536, 2 * 65536 + 1, N - 1};
    uint64_t x = 12345;
    for (int shape = 0; shape < 2; shape++) {
        for (size_t i = 0; i < N; i++)
            b[i] = shape ? (uint8_t)xorshift64(&x) : 0xff;
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            for (size_t align = 0; align + lens[k] <= N && align < 2; align++) {
                uint16_t want = wt_ref_cksum_from(7, b + align, lens[k]);
                for (int path = VIV_CKSUM_SCALAR; path <= VIV_CKSUM_AVX2; path++)
                    assert_int_equal(viv__cksum_finish(viv__cksum_add_via(
                                         (viv_cksum_path)path, 7, b + align, lens[k])),
                                     want);
                assert_int_equal(viv__cksum_finish(viv__cksum_add(7, b + align, lens[k])), want);
            }
        }
    }
    free(b);
}

/* viv__cksum_copy() and each way of copying and summing, at every length 0..2,100 (past a
 * full-sized TCP segment's 1,448 and both vector thresholds) with source and destination at
 * 16 alignments each (not the same ones): the destination holds the source's bytes, not one
 * byte around it changes, and the partial sum is exactly viv__cksum_add()'s on the
 * destination, on random, all-0xff and all-zero bytes, from a random partial sum. */
static void test_cksum__copy_matches_add_at_every_length_and_alignment(void **state)
{
    (void)state;
    enum { MAXN = 2100, MAXALIGN = 16, GUARD = 8 };
    static uint8_t src[MAXN + MAXALIGN], dst[GUARD + MAXALIGN + MAXN + GUARD];
    uint64_t x = 0x2545f4914f6cdd1du;
    uint64_t cases = 0, paths_run = 0;
    for (int shape = 0; shape < 3; shape++) {
        for (size_t i = 0; i < sizeof src; i++)
            src[i] = shape == 0 ? (uint8_t)xorshift64(&x) : shape == 1 ? 0xff : 0x00;
        for (size_t n = 0; n <= MAXN; n++) {
            for (size_t align = 0; align < MAXALIGN; align++) {
                /* The source ends exactly at the end of its allocation: ASan sees any read
                 * past it. */
                uint8_t *sbuf = malloc(align + n + 1);
                assert_non_null(sbuf);
                uint8_t *s = sbuf + align;
                memcpy(s, src + (n * 5 + align) % MAXALIGN, n);
                size_t dalign = (align * 7 + n) % MAXALIGN;
                uint8_t *d = dst + GUARD + dalign;
                uint64_t r = xorshift64(&x);
                uint64_t acc = r % 4 == 0 ? 0 : r % 4 == 1 ? (r >> 8) % 0x30000u : r >> 16;
                uint64_t want = viv__cksum_add(acc, s, n);
                for (int path = -1; path <= VIV_CKSUM_AVX2; path++) {
                    if (path >= 0 && !viv__cksum_path_available((viv_cksum_path)path))
                        continue;
                    memset(d - GUARD, 0xa5, n + 2 * GUARD);
                    uint64_t got = path < 0 ? viv__cksum_copy(acc, d, s, n, 0)
                                            : viv__cksum_copy_via((viv_cksum_path)path, acc, d,
                                                                  s, n, 0);
                    assert_int_equal(got, want);
                    if (n)
                        assert_memory_equal(d, s, n);
                    for (size_t g = 1; g <= GUARD; g++) {
                        assert_int_equal(d[-(ptrdiff_t)g], 0xa5);
                        assert_int_equal(d[n + g - 1], 0xa5);
                    }
                    paths_run++;
                }
                free(sbuf);
                cases++;
            }
        }
    }
    assert_int_equal(cases, 3 * (MAXN + 1) * MAXALIGN);
#if defined(VIV_CKSUM_PORTABLE) || !defined(__x86_64__)
    assert_int_equal(paths_run, 2 * cases); /* viv__cksum_copy and the portable form */
#else
    assert_true(paths_run >= 3 * cases); /* and the chain and SSE2 at least */
#endif
}

/* A region copied in pieces cut anywhere, odd cuts included (a ring that wraps in the middle
 * of a payload), has the checksum of the region summed in one piece: two pieces cut at every
 * point of 0..300 and around 1,448, three pieces with odd middles, by every path; and one
 * piece at an odd offset sums as the same bytes behind one zero byte. */
static void test_cksum__copy_chains_at_odd_offsets(void **state)
{
    (void)state;
    enum { N = 1500 };
    uint8_t *s = malloc(N + 1), *d = malloc(N + 1);
    assert_non_null(s);
    assert_non_null(d);
    uint64_t x = 777;
    for (int shape = 0; shape < 2; shape++) {
        for (size_t i = 0; i < N + 1; i++)
            s[i] = shape ? (uint8_t)xorshift64(&x) : 0xff;
        for (size_t len = N - 1; len <= N; len++) {
            uint16_t want = wt_ref_cksum_from(0x1234, s, len);
            for (size_t k = 0; k <= len; k = k < 300 ? k + 1 : k < 1440 ? 1440 : k + 1) {
                for (int path = -1; path <= VIV_CKSUM_AVX2; path++) {
                    memset(d, 0, N + 1);
                    uint64_t acc;
                    if (path < 0) {
                        acc = viv__cksum_copy(0x1234, d, s, k, 0);
                        acc = viv__cksum_copy(acc, d + k, s + k, len - k, k);
                    } else {
                        viv_cksum_path pa = (viv_cksum_path)path;
                        acc = viv__cksum_copy_via(pa, 0x1234, d, s, k, 0);
                        acc = viv__cksum_copy_via(pa, acc, d + k, s + k, len - k, k);
                    }
                    assert_int_equal(viv__cksum_finish(acc), want);
                    assert_memory_equal(d, s, len);
                }
            }
            /* Three pieces: 0..a, a..b, b..len, with a and b odd and even. */
            for (size_t a = 1; a < 40; a += 3) {
                for (size_t b = a + 250; b < a + 300; b += 7) {
                    uint64_t acc = viv__cksum_copy(0x1234, d, s, a, 0);
                    acc = viv__cksum_copy(acc, d + a, s + a, b - a, a);
                    acc = viv__cksum_copy(acc, d + b, s + b, len - b, b);
                    assert_int_equal(viv__cksum_finish(acc), want);
                }
            }
        }
        /* One piece at an odd offset: the bytes behind a zero byte. */
        uint8_t *z = malloc(N + 2);
        assert_non_null(z);
        for (size_t n = 0; n <= N; n += n < 70 ? 1 : 97) {
            z[0] = 0;
            memcpy(z + 1, s, n);
            uint64_t acc = viv__cksum_copy(5, d, s, n, 1);
            assert_int_equal(viv__cksum_finish(acc), wt_ref_cksum_from(5, z, n + 1));
            assert_int_equal(viv__cksum_copy(5, d, s, n, 3), acc); /* only the parity counts */
        }
        free(z);
    }
    /* No bytes: nothing is read or written, NULL pointers included. */
    assert_int_equal(viv__cksum_copy(0x1234, NULL, NULL, 0, 0), 0x1234);
    assert_int_equal(viv__cksum_copy(0x1234, NULL, NULL, 0, 1), 0x1234);
    /* Zero bytes at an odd offset add nothing: the sum stays zero (0xffff), not 0xffff's
     * complement. */
    memset(s, 0, N);
    assert_int_equal(viv__cksum_copy(0, d, s, N, 1), 0);
    assert_int_equal(viv__cksum_finish(viv__cksum_copy(0, d, s, N, 1)), 0xffff);
    free(s);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cksum__rfc1071_example),
        cmocka_unit_test(test_cksum__matches_reference_at_every_length_and_alignment),
        cmocka_unit_test(test_cksum__matches_reference_on_random_data_to_2000_bytes),
        cmocka_unit_test(test_cksum__twenty_byte_header_sum_matches),
        cmocka_unit_test(test_cksum__zero_sum_and_all_zero_data_differ),
        cmocka_unit_test(test_cksum__all_ones_and_large_buffers),
        cmocka_unit_test(test_cksum__chunks_chain),
        cmocka_unit_test(test_cksum__pseudo_header),
        cmocka_unit_test(test_cksum__incremental_update_matches_recompute),
        cmocka_unit_test(test_cksum__every_path_matches_reference_to_4096_bytes),
        cmocka_unit_test(test_cksum__every_path_matches_reference_across_blocks),
        cmocka_unit_test(test_cksum__copy_matches_add_at_every_length_and_alignment),
        cmocka_unit_test(test_cksum__copy_chains_at_odd_offsets),
    };
    return cmocka_run_group_tests_name("wire/cksum", tests, NULL, NULL);
}
