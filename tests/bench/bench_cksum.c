/* bench_cksum: nanoseconds per call of the Internet checksum, hot (the bytes stay in the
 * cache), for each way viv__cksum_add() can sum on this build and processor, at the lengths
 * that matter: 20 (an IPv4 header), 40, 64 to 576, 1,000, 1,448 (a TCP segment's payload) and
 * 65,535 bytes. Run on demand, never a test (docs/performance.md, branch wip/cksum).
 *
 * The rows below them time copying and summing (the send paths' work on a payload): memcpy
 * then viv__cksum_add() on the copy ("mc+add"), memcpy alone ("memcpy"), and
 * viv__cksum_copy() in one pass, itself ("copy") and through each way ("cp-*"), into a
 * second buffer that also stays in the cache.
 *
 * Usage: bench_cksum [ROUNDS [OFFSET]]. Each round times every (path, length) pair once, in
 * turn, so that the machine's noise falls on all of them alike; the median of the rounds is
 * printed. OFFSET (default 0) moves the bytes off a 64-byte boundary.
 *
 * Like viv_bench, a benchmark may read the wall clock. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/cksum.h"

enum { NLEN = 10, NPATH = 10, MAXROUNDS = 101 };

static const size_t lens[NLEN] = {20, 40, 64, 96, 128, 256, 576, 1000, 1448, 65535};
/* -1: viv__cksum_add() itself, as the library calls it; 0..2: viv__cksum_add_via(); -2:
 * memcpy then viv__cksum_add(); -3: memcpy alone; -4: viv__cksum_copy(); 10..12:
 * viv__cksum_copy_via(). */
static const int paths[NPATH] = {-1,  VIV_CKSUM_SCALAR, VIV_CKSUM_SSE2, VIV_CKSUM_AVX2, -2, -3, -4,
                                 10 + VIV_CKSUM_SCALAR, 10 + VIV_CKSUM_SSE2, 10 + VIV_CKSUM_AVX2};
static const char *const names[NPATH] = {"add",  "scalar", "sse2",  "avx2",  "mc+add",
                                         "memcpy", "copy", "cp-sc", "cp-sse2", "cp-avx2"};

/* One call of way k on len bytes from p (copied to d where the way copies). */
static uint64_t run(int k, uint64_t acc, uint8_t *d, const uint8_t *p, size_t len)
{
    switch (paths[k]) {
    case -1:
        return viv__cksum_add(acc, p, len);
    case -2:
        memcpy(d, p, len);
        return viv__cksum_add(acc, d, len);
    case -3:
        memcpy(d, p, len);
        return d[len / 2];
    case -4:
        return viv__cksum_copy(acc, d, p, len, 0);
    default:
        if (paths[k] >= 10)
            return viv__cksum_copy_via((viv_cksum_path)(paths[k] - 10), acc, d, p, len, 0);
        return viv__cksum_add_via((viv_cksum_path)paths[k], acc, p, len);
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 11;
    size_t off = argc > 2 ? (size_t)atoi(argv[2]) : 0;
    if (rounds < 1 || rounds > MAXROUNDS || off > 63) {
        fprintf(stderr, "usage: bench_cksum [ROUNDS 1..%d [OFFSET 0..63]]\n", MAXROUNDS);
        return 2;
    }
    uint8_t *buf = aligned_alloc(64, 65536 + 128), *dst = aligned_alloc(64, 65536 + 128);
    if (!buf || !dst)
        return 1;
    uint32_t x = 12345;
    for (size_t i = 0; i < 65536 + 128; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    const uint8_t *p = buf + off;
    static double t[NPATH][NLEN][MAXROUNDS];
    uint64_t sink = 0;
    for (int r = 0; r < rounds; r++) {
        for (int l = 0; l < NLEN; l++) {
            /* About 2 MB of bytes per timing, at least 1,000 calls. */
            long iters = (long)(2000000 / lens[l]);
            iters = iters < 1000 ? 1000 : iters;
            for (int k = 0; k < NPATH; k++) {
                double t0 = now_ns();
                for (long i = 0; i < iters; i++) {
                    uint64_t acc = (uint64_t)i & 0xff;
                    sink += run(k, acc, dst + off, p, lens[l]);
                }
                t[k][l][r] = (now_ns() - t0) / (double)iters;
            }
        }
    }
    printf("%-8s", "bytes");
    for (int l = 0; l < NLEN; l++)
        printf("%8zu", lens[l]);
    printf("   (ns per call, median of %d rounds, offset %zu)\n", rounds, off);
    for (int k = 0; k < NPATH; k++) {
        if (paths[k] >= 0 && !viv__cksum_path_available((viv_cksum_path)(paths[k] % 10)))
            continue;
        printf("%-8s", names[k]);
        for (int l = 0; l < NLEN; l++) {
            qsort(t[k][l], (size_t)rounds, sizeof(double), cmp_double);
            printf("%8.1f", t[k][l][rounds / 2]);
        }
        printf("\n");
    }
    free(buf);
    free(dst);
    return sink == 42; /* keeps the sums; never 42 in practice */
}
