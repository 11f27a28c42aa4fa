/* The SACK scoreboard and block generation (src/l4/tcp_sack.c), as pure functions: merging,
 * trimming at a new snd_una, wraparound near 2^32, the bound, hostile and D-SACK blocks,
 * RFC 6675's IsLost, SetPipe and NextSeg with hand-computed values, the receiver's block order
 * of RFC 2018's example (section 7), and every function against a per-octet model of the
 * RFCs' definitions. */
#include "viv_test.h"

#include <string.h>

#include "l4/tcp_sack.h"

#define SMSS 1000u

static viv__sack_blk blk(uint32_t s, uint32_t e)
{
    viv__sack_blk b = {s, e};
    return b;
}

/* Apply one ACK with up to four blocks given inline. */
static uint32_t ack(viv__tcp_sb *sb, uint32_t una, uint32_t max, unsigned n, const viv__sack_blk *b)
{
    return viv__sb_update(sb, una, max, b, n);
}

/* The board holds exactly these ranges. */
static void expect_ranges(const viv__tcp_sb *sb, const viv__sack_blk *want, uint32_t n)
{
    assert_int_equal(sb->n, n);
    uint32_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(sb->r[i].start, want[i].start);
        assert_int_equal(sb->r[i].end, want[i].end);
        bytes += want[i].end - want[i].start;
    }
    assert_int_equal(viv__sb_sacked_bytes(sb), bytes);
}

/* An empty board: nothing SACKed, everything in flight, rule (2) or nothing. */
static void test_tcp_sack__empty_board(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    assert_int_equal(viv__sb_sacked_bytes(&sb), 0);
    assert_false(viv__sb_is_sacked(&sb, 1000));
    assert_false(viv__sb_is_lost(&sb, 1000, SMSS, 3));
    uint32_t end = 7;
    assert_int_equal(viv__sb_highest_sacked(&sb, &end), 0);
    assert_int_equal(end, 7);
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 1000, SMSS, 3), 10000);
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 2000, SMSS, 3), 11000);
    assert_int_equal(viv__sb_pipe(&sb, 1000, 1000, 1000, SMSS, 3), 0);
    uint32_t seq = 0, len = 0;
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 1000, SMSS, 3, &seq, &len), 1);
    assert_int_equal(seq, 11000);
    assert_int_equal(len, SMSS);
    seq = len = 5;
    assert_int_equal(viv__sb_next_seg_ex(&sb, 1000, 11000, 1000, SMSS, 3, 0, &seq, &len), -1);
    assert_int_equal(seq, 5);
    assert_int_equal(len, 5);
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 11000, SMSS, &seq, &len), 0);
    assert_int_equal(seq, 10000);
    assert_int_equal(len, SMSS);
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 1000, SMSS, &seq, &len), -1);
    /* An ACK without blocks changes nothing. */
    assert_int_equal(viv__sb_update(&sb, 2000, 11000, NULL, 0), 0);
    assert_int_equal(sb.n, 0);
}

/* Disjoint blocks make ranges in order; a block touching or overlapping ranges merges with
 * them all; the return value is the bytes the board did not hold. */
static void test_tcp_sack__merge(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    const uint32_t una = 1000, max = 11000;
    viv__sack_blk b[4];

    b[0] = blk(5000, 6000);
    assert_int_equal(ack(&sb, una, max, 1, b), 1000);
    b[0] = blk(3000, 4000);
    assert_int_equal(ack(&sb, una, max, 1, b), 1000);
    expect_ranges(&sb, (viv__sack_blk[]){{3000, 4000}, {5000, 6000}}, 2);
    /* Touching both neighbours: one range. */
    b[0] = blk(4000, 5000);
    assert_int_equal(ack(&sb, una, max, 1, b), 1000);
    expect_ranges(&sb, (viv__sack_blk[]){{3000, 6000}}, 1);
    /* Overlapping the left end. */
    b[0] = blk(2500, 3500);
    assert_int_equal(ack(&sb, una, max, 1, b), 500);
    expect_ranges(&sb, (viv__sack_blk[]){{2500, 6000}}, 1);
    /* Two at once, above. */
    b[0] = blk(9000, 10000);
    b[1] = blk(7000, 8000);
    assert_int_equal(ack(&sb, una, max, 2, b), 2000);
    expect_ranges(&sb, (viv__sack_blk[]){{2500, 6000}, {7000, 8000}, {9000, 10000}}, 3);
    /* One block over all three, ending inside the last: fills 500 + 1000 + 1000. */
    b[0] = blk(2000, 9500);
    assert_int_equal(ack(&sb, una, max, 1, b), 2500);
    expect_ranges(&sb, (viv__sack_blk[]){{2000, 10000}}, 1);
    /* Already known: nothing new. */
    b[0] = blk(4000, 5000);
    assert_int_equal(ack(&sb, una, max, 1, b), 0);
    b[0] = blk(2000, 10000);
    assert_int_equal(ack(&sb, una, max, 1, b), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{2000, 10000}}, 1);
    assert_true(viv__sb_is_sacked(&sb, 2000));
    assert_true(viv__sb_is_sacked(&sb, 9999));
    assert_false(viv__sb_is_sacked(&sb, 1999));
    assert_false(viv__sb_is_sacked(&sb, 10000));
    uint32_t end = 0;
    assert_int_equal(viv__sb_highest_sacked(&sb, &end), 1);
    assert_int_equal(end, 10000);
    viv__sb_reset(&sb);
    assert_int_equal(sb.n, 0);
    assert_int_equal(viv__sb_sacked_bytes(&sb), 0);
}

/* A new snd_una drops the ranges at or below it and cuts the one straddling it. */
static void test_tcp_sack__trim_at_new_snd_una(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    viv__sack_blk b[3] = {{3000, 4000}, {5000, 6000}, {7000, 8000}};
    assert_int_equal(ack(&sb, 1000, 11000, 3, b), 3000);
    /* snd_una at a range's end drops it. */
    assert_int_equal(viv__sb_update(&sb, 4000, 11000, NULL, 0), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{5000, 6000}, {7000, 8000}}, 2);
    /* Inside a range: cut (the receiver acknowledged part of it). */
    assert_int_equal(viv__sb_update(&sb, 5500, 11000, NULL, 0), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{5500, 6000}, {7000, 8000}}, 2);
    /* With a block in the same ACK: the trim comes first. */
    b[0] = blk(9000, 9500);
    assert_int_equal(ack(&sb, 6500, 11000, 1, b), 500);
    expect_ranges(&sb, (viv__sack_blk[]){{7000, 8000}, {9000, 9500}}, 2);
    /* Past everything. */
    assert_int_equal(viv__sb_update(&sb, 10000, 11000, NULL, 0), 0);
    assert_int_equal(sb.n, 0);
    assert_int_equal(viv__sb_sacked_bytes(&sb), 0);
}

/* Ranges across 2^32 merge, trim and count like any others. */
static void test_tcp_sack__wraparound(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    const uint32_t una = 0xfffff000u, max = 0x00001000u; /* 8192 bytes in flight */
    viv__sack_blk b[3] = {
        {0xfffff800u, 0x00000300u}, {0x00000500u, 0x00000700u}, {0x00000300u, 0x00000400u}};
    assert_int_equal(ack(&sb, una, max, 3, b), 0xb00u + 0x200u + 0x100u);
    expect_ranges(&sb, (viv__sack_blk[]){{0xfffff800u, 0x00000400u}, {0x500u, 0x700u}}, 2);
    assert_true(viv__sb_is_sacked(&sb, 0xffffffffu));
    assert_true(viv__sb_is_sacked(&sb, 0));
    assert_false(viv__sb_is_sacked(&sb, 0xfffff7ffu));
    assert_false(viv__sb_is_sacked(&sb, 0x400u));
    /* Holes: [una, 0xfffff800) = 0x800 bytes with 2 ranges and 0xe00 bytes above (not lost
     * with smss 0x800: 0xe00 <= 2 * 0x800); [0x400, 0x500) and [0x700, max). */
    assert_false(viv__sb_is_lost(&sb, una, 0x800u, 3));
    assert_true(viv__sb_is_lost(&sb, una, 0x600u, 3)); /* 0xe00 > 0xc00 */
    assert_int_equal(viv__sb_pipe(&sb, una, max, una, 0x800u, 3), 0x800u + 0x100u + 0x900u);
    assert_int_equal(viv__sb_pipe(&sb, una, max, una, 0x600u, 3), 0x100u + 0x900u);
    uint32_t seq = 0, len = 0;
    assert_int_equal(viv__sb_next_seg(&sb, una, max, una, 0x600u, 3, &seq, &len), 0);
    assert_int_equal(seq, una);
    assert_int_equal(len, 0x600u);
    assert_int_equal(viv__sb_next_seg(&sb, una, max, una + 0x600u, 0x600u, 3, &seq, &len), 0);
    assert_int_equal(seq, 0xfffff600u);
    assert_int_equal(len, 0x200u); /* stops at the SACKed range */
    /* Trim across zero. */
    assert_int_equal(viv__sb_update(&sb, 0x100u, max, NULL, 0), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{0x100u, 0x400u}, {0x500u, 0x700u}}, 2);
    /* A block ending exactly at snd_max across zero is accepted; one beyond it is not. */
    viv__tcp_sb w;
    viv__tcp_sb_init(&w);
    b[0] = blk(0xfffffff0u, 0x10u);
    b[1] = blk(0x10u, 0x11u);
    assert_int_equal(ack(&w, 0xffffff00u, 0x10u, 2, b), 0x20u);
    expect_ranges(&w, (viv__sack_blk[]){{0xfffffff0u, 0x10u}}, 1);
}

/* VIV__TCP_SB_MAX ranges at most: a new disjoint range above all of them is refused, one
 * below the highest makes the board forget the highest; merging needs no room. */
static void test_tcp_sack__bound(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    const uint32_t una = 1000, max = 1000000;
    /* Ranges [2000 + 200 k, 2100 + 200 k), k = 0 .. 31, given from the top down. */
    for (uint32_t k = VIV__TCP_SB_MAX; k-- > 0;) {
        viv__sack_blk b = blk(2000 + 200 * k, 2100 + 200 * k);
        assert_int_equal(ack(&sb, una, max, 1, &b), 100);
    }
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    assert_int_equal(viv__sb_sacked_bytes(&sb), 100 * VIV__TCP_SB_MAX);
    const uint32_t top = 2000 + 200 * (VIV__TCP_SB_MAX - 1); /* 8200 */
    /* Above all: refused, nothing changes. */
    viv__sack_blk b = blk(top + 500, top + 600);
    assert_int_equal(ack(&sb, una, max, 1, &b), 0);
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    assert_false(viv__sb_is_sacked(&sb, top + 500));
    /* Below the lowest: kept, and the highest is forgotten. */
    b = blk(1500, 1600);
    assert_int_equal(ack(&sb, una, max, 1, &b), 100);
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    assert_int_equal(viv__sb_sacked_bytes(&sb), 100 * VIV__TCP_SB_MAX);
    assert_true(viv__sb_is_sacked(&sb, 1500));
    assert_false(viv__sb_is_sacked(&sb, top));
    uint32_t end = 0;
    assert_int_equal(viv__sb_highest_sacked(&sb, &end), 1);
    assert_int_equal(end, top - 100);
    /* Touching a range: merged, no room needed, nothing forgotten. */
    b = blk(2100, 2150);
    assert_int_equal(ack(&sb, una, max, 1, &b), 50);
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    /* Bridging two ranges frees a slot; then a block above fits again. */
    b = blk(2150, 2200);
    assert_int_equal(ack(&sb, una, max, 1, &b), 50);
    assert_int_equal(sb.n, VIV__TCP_SB_MAX - 1);
    b = blk(top + 500, top + 600);
    assert_int_equal(ack(&sb, una, max, 1, &b), 100);
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    assert_true(viv__sb_is_sacked(&sb, top + 500));
    /* Many ACKs of disjoint blocks never grow it. */
    for (uint32_t k = 0; k < 1000; k++) {
        viv__sack_blk f[4] = {{20000 + 40 * k, 20010 + 40 * k},
                              {20020 + 40 * k, 20030 + 40 * k},
                              {500000 - 40 * k, 500010 - 40 * k},
                              {1500, 1600}};
        ack(&sb, una, max, 4, f);
        assert_true(sb.n <= VIV__TCP_SB_MAX);
    }
    assert_int_equal(sb.n, VIV__TCP_SB_MAX);
    uint32_t bytes = 0;
    for (uint32_t i = 0; i < sb.n; i++) {
        assert_true(sb.r[i].start < sb.r[i].end);
        if (i)
            assert_true(sb.r[i - 1].end < sb.r[i].start);
        bytes += sb.r[i].end - sb.r[i].start;
    }
    assert_int_equal(viv__sb_sacked_bytes(&sb), bytes);
}

/* Blocks that are reversed, empty, huge, outside (snd_una, snd_max], or repeated are ignored
 * without changing anything; a later block straddling snd_una is cut there. */
static void test_tcp_sack__hostile_blocks(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    const uint32_t una = 10000, max = 20000;
    viv__sack_blk b0 = blk(12000, 13000);
    assert_int_equal(ack(&sb, una, max, 1, &b0), 1000);
    const viv__sack_blk bad[] = {
        {15000, 14000},               /* reversed */
        {15000, 15000},               /* empty */
        {14000, 14000 + 0x80000000u}, /* 2^31 bytes: before and after at once */
        {14000, 14000 + 0x7fffffffu}, /* huge, beyond snd_max */
        {19000, 20001},               /* one byte beyond snd_max */
        {25000, 26000},               /* wholly beyond snd_max */
        {9000, 10000},                /* wholly acknowledged */
        {0x80000000u, 0x80001000u},   /* half the space away */
        {0, 0xffffffffu},             /* everything */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* As a later block, after a harmless first one (a D-SACK below snd_una). */
        viv__sack_blk two[2] = {{9000, 9500}, bad[i]};
        assert_int_equal(ack(&sb, una, max, 2, two), 0);
        expect_ranges(&sb, (viv__sack_blk[]){{12000, 13000}}, 1);
        /* As the only block. */
        assert_int_equal(ack(&sb, una, max, 1, &bad[i]), 0);
        expect_ranges(&sb, (viv__sack_blk[]){{12000, 13000}}, 1);
    }
    /* Four identical new blocks: the first is a D-SACK (within the second); the bytes are
     * counted once. */
    viv__sack_blk four[4] = {{16000, 17000}, {16000, 17000}, {16000, 17000}, {16000, 17000}};
    assert_int_equal(ack(&sb, una, max, 4, four), 1000);
    expect_ranges(&sb, (viv__sack_blk[]){{12000, 13000}, {16000, 17000}}, 2);
    assert_int_equal(ack(&sb, una, max, 4, four), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{12000, 13000}, {16000, 17000}}, 2);
    /* A later block straddling snd_una (from an old ACK): cut at snd_una. */
    viv__sack_blk st[2] = {{18000, 18500}, {9000, 11000}};
    assert_int_equal(ack(&sb, una, max, 2, st), 1500);
    expect_ranges(
        &sb, (viv__sack_blk[]){{10000, 11000}, {12000, 13000}, {16000, 17000}, {18000, 18500}}, 4);
    /* A NULL array with a count is no blocks. */
    assert_int_equal(viv__sb_update(&sb, una, max, NULL, 4), 0);
    assert_int_equal(sb.n, 4);
}

/* RFC 2883's D-SACK: a first block below the cumulative ACK, or within the second block,
 * reports a duplicate and counts nothing; the blocks after it count. */
static void test_tcp_sack__dsack_ignored(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    const uint32_t una = 4000, max = 12000;
    /* Below snd_una (even straddling it). */
    viv__sack_blk a[2] = {{3000, 4000}, {6000, 7000}};
    assert_int_equal(ack(&sb, una, max, 2, a), 1000);
    viv__sack_blk a2[1] = {{3500, 4500}};
    assert_int_equal(ack(&sb, una, max, 1, a2), 0);
    expect_ranges(&sb, (viv__sack_blk[]){{6000, 7000}}, 1);
    /* Within the second: ignored, the second counts. */
    viv__sack_blk c[3] = {{8500, 9000}, {8000, 10000}, {11000, 11500}};
    assert_int_equal(ack(&sb, una, max, 3, c), 2500);
    expect_ranges(&sb, (viv__sack_blk[]){{6000, 7000}, {8000, 10000}, {11000, 11500}}, 3);
    /* Not within the second (it sticks out): an ordinary block. */
    viv__sack_blk d[2] = {{5000, 6500}, {6000, 7000}};
    assert_int_equal(ack(&sb, una, max, 2, d), 1000);
    expect_ranges(&sb, (viv__sack_blk[]){{5000, 7000}, {8000, 10000}, {11000, 11500}}, 3);
    /* The second block is only a reference when it is a real block. */
    viv__sack_blk e[2] = {{4500, 4600}, {4400, 4400 + 0x80000000u}};
    assert_int_equal(ack(&sb, una, max, 2, e), 100);
}

/* IsLost by discontiguous SACKed sequences: three small ranges above, with DupThresh 3, make
 * an octet lost although far fewer than 2 * SMSS bytes are SACKed. */
static void test_tcp_sack__is_lost_by_segments(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    viv__sack_blk b[3] = {{2000, 2100}, {3000, 3100}, {4000, 4100}};
    assert_int_equal(ack(&sb, 1000, 11000, 3, b), 300);
    assert_true(viv__sb_is_lost(&sb, 1000, SMSS, 3));
    assert_true(viv__sb_is_lost(&sb, 1999, SMSS, 3));
    assert_false(viv__sb_is_lost(&sb, 2000, SMSS, 3)); /* SACKed */
    assert_false(viv__sb_is_lost(&sb, 2100, SMSS, 3)); /* two above */
    assert_false(viv__sb_is_lost(&sb, 2999, SMSS, 3));
    assert_false(viv__sb_is_lost(&sb, 4100, SMSS, 3)); /* none above */
    /* DupThresh 2: two ranges are enough; 1 (and 0, taken as 1): one range. */
    assert_true(viv__sb_is_lost(&sb, 2100, SMSS, 2));
    assert_false(viv__sb_is_lost(&sb, 3100, SMSS, 2));
    assert_true(viv__sb_is_lost(&sb, 3100, SMSS, 1));
    assert_true(viv__sb_is_lost(&sb, 3100, SMSS, 0));
    assert_false(viv__sb_is_lost(&sb, 4100, SMSS, 1));
    /* Contiguous SACKed segments are one range: three 100-byte segments in a row are not
     * three discontiguous sequences. */
    viv__tcp_sb c;
    viv__tcp_sb_init(&c);
    viv__sack_blk r[3] = {{2000, 2100}, {2100, 2200}, {2200, 2300}};
    assert_int_equal(ack(&c, 1000, 11000, 3, r), 300);
    assert_int_equal(c.n, 1);
    assert_false(viv__sb_is_lost(&c, 1000, SMSS, 3));
}

/* IsLost by bytes: more than (DupThresh - 1) * SMSS SACKed above, not equal. */
static void test_tcp_sack__is_lost_by_bytes(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    viv__sack_blk b = blk(3000, 5000); /* exactly 2 * SMSS */
    assert_int_equal(ack(&sb, 1000, 11000, 1, &b), 2000);
    assert_false(viv__sb_is_lost(&sb, 1000, SMSS, 3));
    assert_false(viv__sb_is_lost(&sb, 2999, SMSS, 3));
    b = blk(5000, 5001); /* one more byte */
    assert_int_equal(ack(&sb, 1000, 11000, 1, &b), 1);
    assert_true(viv__sb_is_lost(&sb, 1000, SMSS, 3));
    assert_true(viv__sb_is_lost(&sb, 2999, SMSS, 3));
    assert_false(viv__sb_is_lost(&sb, 5001, SMSS, 3));
    /* Two ranges, 2001 bytes between them: the bytes decide, not the count. */
    viv__tcp_sb two;
    viv__tcp_sb_init(&two);
    viv__sack_blk t[2] = {{3000, 5000}, {7000, 7001}};
    assert_int_equal(ack(&two, 1000, 11000, 2, t), 2001);
    assert_true(viv__sb_is_lost(&two, 1000, SMSS, 3));
    assert_false(viv__sb_is_lost(&two, 5000, SMSS, 3));
    /* DupThresh 4 needs more than 3 * SMSS. */
    assert_false(viv__sb_is_lost(&two, 1000, SMSS, 4));
    /* A huge SMSS cannot overflow the threshold. */
    assert_false(viv__sb_is_lost(&two, 1000, 0xffffffffu, 3));
    assert_true(viv__sb_is_lost(&two, 1000, 0xffffffffu, 1));
}

/* The scenario of the pipe and NextSeg tests: ten segments of 1000 bytes [1000, 11000), the
 * third, fifth, sixth and seventh SACKed. Holes: [1000, 3000) with two ranges and 4000 bytes
 * above (lost with DupThresh 3), [4000, 5000) with one range and 3000 bytes above (lost),
 * [8000, 11000) with nothing above (not lost). */
static void ten_segments(viv__tcp_sb *sb)
{
    viv__tcp_sb_init(sb);
    viv__sack_blk b[4] = {{3000, 4000}, {5000, 6000}, {6000, 7000}, {7000, 8000}};
    assert_int_equal(ack(sb, 1000, 11000, 4, b), 4000);
    expect_ranges(sb, (viv__sack_blk[]){{3000, 4000}, {5000, 8000}}, 2);
}

/* SetPipe with and without HighRxt. */
static void test_tcp_sack__pipe(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    ten_segments(&sb);
    /* Nothing retransmitted: only [8000, 11000) is in flight. */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 1000, SMSS, 3), 3000);
    /* [1000, 2000) retransmitted: it counts once (lost, then sent again). */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 2000, SMSS, 3), 4000);
    /* Both lost holes retransmitted; HighRxt inside a SACKed range adds nothing more. */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 5000, SMSS, 3), 6000);
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 7000, SMSS, 3), 6000);
    /* [8000, 9000) retransmitted without being lost counts twice (RFC 6675 section 4). */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 9000, SMSS, 3), 7000);
    /* high_rxt out of [snd_una, snd_max] is clamped. */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 500, SMSS, 3), 3000);
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 50000, SMSS, 3), 9000);
    /* DupThresh 5: nothing is lost (4000 is not more than 4 * 1000), everything unSACKed is
     * in flight. */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 1000, SMSS, 5), 6000);
    /* A larger SMSS makes the first hole not lost (4000 <= 2 * 2000) and the second too. */
    assert_int_equal(viv__sb_pipe(&sb, 1000, 11000, 1000, 2000, 3), 6000);
    /* Nonsense window: nothing. */
    assert_int_equal(viv__sb_pipe(&sb, 11000, 1000, 1000, SMSS, 3), 0);
    /* After a new snd_una at 4000: holes [4000, 5000) (one range above, 3000 bytes: lost)
     * and [8000, 11000). */
    viv__sb_update(&sb, 4000, 11000, NULL, 0);
    assert_int_equal(viv__sb_pipe(&sb, 4000, 11000, 4000, SMSS, 3), 3000);
    assert_int_equal(viv__sb_pipe(&sb, 4000, 11000, 5000, SMSS, 3), 4000);
}

/* NextSeg: rule (1) first (lost holes above HighRxt, lowest first, one SMSS at most, never
 * into a SACKed range), then rule (2), then rule (3). */
static void test_tcp_sack__next_seg_rules_in_order(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    ten_segments(&sb);
    uint32_t seq = 0, len = 0;
    /* Rule (1). */
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 1000, SMSS, 3, &seq, &len), 0);
    assert_int_equal(seq, 1000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 2000, SMSS, 3, &seq, &len), 0);
    assert_int_equal(seq, 2000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 2600, SMSS, 3, &seq, &len), 0);
    assert_int_equal(seq, 2600);
    assert_int_equal(len, 400); /* up to the SACKed range at 3000 */
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 3000, SMSS, 3, &seq, &len), 0);
    assert_int_equal(seq, 4000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 1000, 300, 3, &seq, &len), 0);
    assert_int_equal(seq, 1000);
    assert_int_equal(len, 300);
    /* Rule (1) even with new data to send. */
    assert_int_equal(viv__sb_next_seg_ex(&sb, 1000, 11000, 3000, SMSS, 3, 5000, &seq, &len), 0);
    assert_int_equal(seq, 4000);
    /* Both lost holes retransmitted: rule (2), new data from snd_max. */
    assert_int_equal(viv__sb_next_seg(&sb, 1000, 11000, 5000, SMSS, 3, &seq, &len), 1);
    assert_int_equal(seq, 11000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg_ex(&sb, 1000, 11000, 5000, SMSS, 3, 300, &seq, &len), 1);
    assert_int_equal(seq, 11000);
    assert_int_equal(len, 300);
    /* No new data: rule (3) finds nothing below the highest SACKed octet (7999) at or above
     * 5000 unSACKed; [8000, 11000) is above it. */
    seq = len = 1;
    assert_int_equal(viv__sb_next_seg_ex(&sb, 1000, 11000, 5000, SMSS, 3, 0, &seq, &len), -1);
    assert_int_equal(seq, 1);
    assert_int_equal(len, 1);

    /* Rule (3): holes that are not lost. [3000, 4000) and [6000, 7000) SACKed: the hole
     * [1000, 3000) has two ranges and 2000 bytes above (not lost with DupThresh 3). */
    viv__tcp_sb nl;
    viv__tcp_sb_init(&nl);
    viv__sack_blk b[2] = {{6000, 7000}, {3000, 4000}};
    assert_int_equal(ack(&nl, 1000, 11000, 2, b), 2000);
    assert_false(viv__sb_is_lost(&nl, 1000, SMSS, 3));
    assert_int_equal(viv__sb_next_seg(&nl, 1000, 11000, 1000, SMSS, 3, &seq, &len), 1);
    assert_int_equal(seq, 11000);
    assert_int_equal(viv__sb_next_seg_ex(&nl, 1000, 11000, 1000, SMSS, 3, 0, &seq, &len), 0);
    assert_int_equal(seq, 1000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg_ex(&nl, 1000, 11000, 2500, SMSS, 3, 0, &seq, &len), 0);
    assert_int_equal(seq, 2500);
    assert_int_equal(len, 500);
    assert_int_equal(viv__sb_next_seg_ex(&nl, 1000, 11000, 3500, SMSS, 3, 0, &seq, &len), 0);
    assert_int_equal(seq, 4000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_next_seg_ex(&nl, 1000, 11000, 6000, SMSS, 3, 0, &seq, &len), -1);
    /* With DupThresh 2 the same hole is lost: rule (1). */
    assert_int_equal(viv__sb_next_seg(&nl, 1000, 11000, 1000, SMSS, 2, &seq, &len), 0);
    assert_int_equal(seq, 1000);
    /* The second hole [4000, 6000) has one range above: lost only with DupThresh 1. */
    assert_int_equal(viv__sb_next_seg(&nl, 1000, 11000, 4000, SMSS, 2, &seq, &len), 1);
    assert_int_equal(viv__sb_next_seg(&nl, 1000, 11000, 4000, SMSS, 1, &seq, &len), 0);
    assert_int_equal(seq, 4000);
    /* Nonsense arguments. */
    assert_int_equal(viv__sb_next_seg(&nl, 1000, 11000, 1000, 0, 3, &seq, &len), -1);
    assert_int_equal(viv__sb_next_seg(&nl, 11000, 1000, 1000, SMSS, 3, &seq, &len), -1);
}

/* Rule (4)'s segment: the highest unSACKed octet, the SMSS before it within its hole. */
static void test_tcp_sack__rescue_seg(void **state)
{
    (void)state;
    viv__tcp_sb sb;
    ten_segments(&sb);
    uint32_t seq = 0, len = 0;
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 11000, SMSS, &seq, &len), 0);
    assert_int_equal(seq, 10000);
    assert_int_equal(len, 1000);
    /* The top of the window SACKed: the highest hole is [4000, 5000). */
    viv__sack_blk b = blk(8000, 11000);
    assert_int_equal(ack(&sb, 1000, 11000, 1, &b), 3000);
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 11000, SMSS, &seq, &len), 0);
    assert_int_equal(seq, 4000);
    assert_int_equal(len, 1000);
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 11000, 600, &seq, &len), 0);
    assert_int_equal(seq, 4400);
    assert_int_equal(len, 600);
    assert_int_equal(viv__sb_rescue_seg(&sb, 1000, 11000, 0, &seq, &len), -1);
    /* Everything SACKed: no rescue. */
    viv__tcp_sb all;
    viv__tcp_sb_init(&all);
    b = blk(1000, 11000);
    assert_int_equal(ack(&all, 1000, 11000, 1, &b), 10000);
    assert_int_equal(viv__sb_rescue_seg(&all, 1000, 11000, SMSS, &seq, &len), -1);
    assert_int_equal(viv__sb_pipe(&all, 1000, 11000, 1000, SMSS, 3), 0);
}

/* A window of 10,000 segments with holes costs the same as a small one: the answers are
 * computed per range (the exact values show they are right). */
static void test_tcp_sack__large_window(void **state)
{
    (void)state;
    const uint32_t mss = 1448, una = 0xf0000000u, max = una + 10000u * mss;
    viv__tcp_sb sb;
    viv__tcp_sb_init(&sb);
    /* Segments 1 .. 3 SACKed (segment 0 lost) and 9000 .. 9998 (segments 4 .. 8999 and 9999
     * unSACKed). */
    viv__sack_blk b[2] = {{una + 1 * mss, una + 4 * mss}, {una + 9000 * mss, una + 9999 * mss}};
    assert_int_equal(ack(&sb, una, max, 2, b), (3 + 999) * mss);
    /* Holes: segment 0 (2 ranges above: lost by bytes), [4, 9000) (1 range, 999 segments
     * above: lost), segment 9999 (not lost). */
    assert_int_equal(viv__sb_pipe(&sb, una, max, una, mss, 3), mss);
    assert_int_equal(viv__sb_pipe(&sb, una, max, una + 5000 * mss, mss, 3), 4998 * mss);
    uint32_t seq = 0, len = 0;
    assert_int_equal(viv__sb_next_seg(&sb, una, max, una + mss, mss, 3, &seq, &len), 0);
    assert_int_equal(seq, una + 4 * mss);
    assert_int_equal(len, mss);
}

/* ---- Receiver ---- */

/* Build with both functions (stateless and with history) and check both give want. */
static void expect_blocks(const viv__sack_blk *got, unsigned n, const viv__sack_blk *want,
                          unsigned nwant)
{
    assert_int_equal(n, nwant);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(got[i].start, want[i].start);
        assert_int_equal(got[i].end, want[i].end);
    }
}

/* RFC 2018 section 7, case 2 (the rules of section 4 at work): 500-byte segments from 5000; the
 * 2nd, 4th, 6th and 8th are lost, then the 4th arrives, then the 2nd. */
static void test_tcp_sack__receiver_rfc2018_example(void **state)
{
    (void)state;
    viv__sack_hist hist;
    memset(&hist, 0, sizeof hist);
    viv__sack_blk out[4], outh[4];
    unsigned n, nh;
    struct step {
        uint32_t rcv_nxt;
        viv__sack_blk recent;
        unsigned nranges;
        viv__sack_blk ranges[3];
        unsigned nwant;
        viv__sack_blk want[3];
    };
    const struct step steps[] = {
        {5500, {5000, 5500}, 0, {{0, 0}}, 0, {{0, 0}}},
        {5500, {6000, 6500}, 1, {{6000, 6500}}, 1, {{6000, 6500}}},
        {5500, {7000, 7500}, 2, {{6000, 6500}, {7000, 7500}}, 2, {{7000, 7500}, {6000, 6500}}},
        {5500,
         {8000, 8500},
         3,
         {{6000, 6500}, {7000, 7500}, {8000, 8500}},
         3,
         {{8000, 8500}, {7000, 7500}, {6000, 6500}}},
        /* The 4th segment arrives. */
        {5500, {6500, 7000}, 2, {{6000, 7500}, {8000, 8500}}, 2, {{6000, 7500}, {8000, 8500}}},
        /* The 2nd: the ACK moves to 7500. */
        {7500, {5500, 6000}, 1, {{8000, 8500}}, 1, {{8000, 8500}}},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step *s = &steps[i];
        n = viv__sack_build(out, 3, s->ranges, s->nranges, s->rcv_nxt, &s->recent);
        expect_blocks(out, n, s->want, s->nwant);
        nh = viv__sack_build_hist(outh, 3, s->ranges, s->nranges, s->rcv_nxt, &s->recent, &hist);
        expect_blocks(outh, nh, s->want, s->nwant);
        assert_int_equal(hist.n, nh);
    }
}

/* Where remembering matters: the blocks sent last come back before higher ranges that were
 * not reported. Arrivals: 6000, then 2000, then 4000, then 2100, each 100 bytes. */
static void test_tcp_sack__receiver_history_order(void **state)
{
    (void)state;
    viv__sack_hist hist;
    memset(&hist, 0, sizeof hist);
    viv__sack_blk out[4];
    const uint32_t rn = 1000;
    viv__sack_blk r1[] = {{6000, 6100}};
    viv__sack_blk rec = blk(6000, 6100);
    expect_blocks(out, viv__sack_build_hist(out, 3, r1, 1, rn, &rec, &hist),
                  (viv__sack_blk[]){{6000, 6100}}, 1);
    viv__sack_blk r2[] = {{2000, 2100}, {6000, 6100}};
    rec = blk(2000, 2100);
    expect_blocks(out, viv__sack_build_hist(out, 3, r2, 2, rn, &rec, &hist),
                  (viv__sack_blk[]){{2000, 2100}, {6000, 6100}}, 2);
    viv__sack_blk r3[] = {{2000, 2100}, {4000, 4100}, {6000, 6100}};
    rec = blk(4000, 4100);
    /* With two blocks (the room beside other options), history keeps 2000 (reported last)
     * and the stateless order takes the highest (6000). */
    viv__sack_hist h2 = hist;
    expect_blocks(out, viv__sack_build_hist(out, 2, r3, 3, rn, &rec, &h2),
                  (viv__sack_blk[]){{4000, 4100}, {2000, 2100}}, 2);
    expect_blocks(out, viv__sack_build(out, 2, r3, 3, rn, &rec),
                  (viv__sack_blk[]){{4000, 4100}, {6000, 6100}}, 2);
    expect_blocks(out, viv__sack_build_hist(out, 3, r3, 3, rn, &rec, &hist),
                  (viv__sack_blk[]){{4000, 4100}, {2000, 2100}, {6000, 6100}}, 3);
    expect_blocks(out, viv__sack_build(out, 3, r3, 3, rn, &rec),
                  (viv__sack_blk[]){{4000, 4100}, {6000, 6100}, {2000, 2100}}, 3);
    /* 2100 arrives: its range [2000, 2200) first; the remembered [2000, 2100) is inside it
     * and is not repeated. */
    viv__sack_blk r4[] = {{2000, 2200}, {4000, 4100}, {6000, 6100}};
    rec = blk(2100, 2200);
    expect_blocks(out, viv__sack_build_hist(out, 4, r4, 3, rn, &rec, &hist),
                  (viv__sack_blk[]){{2000, 2200}, {4000, 4100}, {6000, 6100}}, 3);
    /* max above four is capped with history (its memory holds four). */
    viv__sack_blk r5[] = {{2000, 2200}, {3000, 3100}, {4000, 4100}, {5000, 5100}, {6000, 6100}};
    viv__sack_blk big[6];
    rec = blk(5000, 5100);
    assert_int_equal(viv__sack_build_hist(big, 6, r5, 5, rn, &rec, &hist), 4);
    expect_blocks(big, 4, (viv__sack_blk[]){{5000, 5100}, {2000, 2200}, {4000, 4100}, {6000, 6100}},
                  4);
    assert_int_equal(viv__sack_build(big, 6, r5, 5, rn, &rec), 5);
}

/* Nonsense never crashes: ranges empty, reversed, of 2^31 bytes or not above rcv_nxt are
 * skipped; a segment
 * in no range, below rcv_nxt, or absent gives no first block; max 0 gives nothing; ranges
 * across 2^32 work. */
static void test_tcp_sack__receiver_hostile_ranges(void **state)
{
    (void)state;
    viv__sack_blk out[4];
    viv__sack_blk bad[] = {{900, 950},   {1200, 1100}, {1300, 1300},
                           {2000, 2100}, {3000, 3100}, {4000, 4000 + 0x80000000u}};
    viv__sack_blk rec = blk(2000, 2100);
    expect_blocks(out, viv__sack_build(out, 4, bad, 6, 1000, &rec),
                  (viv__sack_blk[]){{2000, 2100}, {3000, 3100}}, 2);
    expect_blocks(out, viv__sack_build(out, 4, bad, 6, 1000, NULL),
                  (viv__sack_blk[]){{3000, 3100}, {2000, 2100}}, 2);
    rec = blk(2500, 2600); /* dropped by the receiver: in no range */
    expect_blocks(out, viv__sack_build(out, 4, bad, 6, 1000, &rec),
                  (viv__sack_blk[]){{3000, 3100}, {2000, 2100}}, 2);
    rec = blk(1200, 1100); /* reversed */
    expect_blocks(out, viv__sack_build(out, 1, bad, 6, 1000, &rec), (viv__sack_blk[]){{3000, 3100}},
                  1);
    assert_int_equal(viv__sack_build(out, 0, bad, 6, 1000, &rec), 0);
    assert_int_equal(viv__sack_build(out, 4, NULL, 0, 1000, &rec), 0);
    assert_int_equal(viv__sack_build(out, 4, NULL, 3, 1000, &rec), 0);
    assert_int_equal(viv__sack_build(NULL, 4, bad, 6, 1000, &rec), 0);
    /* Across zero. */
    viv__sack_blk wrap[] = {{0xfffffff0u, 0x10u}, {0x100u, 0x200u}};
    rec = blk(0xfffffff0u, 0xfffffff8u);
    expect_blocks(out, viv__sack_build(out, 4, wrap, 2, 0xffffff00u, &rec),
                  (viv__sack_blk[]){{0xfffffff0u, 0x10u}, {0x100u, 0x200u}}, 2);
    /* A history that is garbage is only a hint. */
    viv__sack_hist h;
    memset(&h, 0xff, sizeof h);
    expect_blocks(out, viv__sack_build_hist(out, 4, wrap, 2, 0xffffff00u, NULL, &h),
                  (viv__sack_blk[]){{0x100u, 0x200u}, {0xfffffff0u, 0x10u}}, 2);
    assert_int_equal(h.n, 2);
}

/* ---- The per-octet model ---- */

#define MW 2400u /* octets in the model's window */

typedef struct model {
    uint32_t una, max;   /* snd_una, snd_max = una + MW */
    unsigned char s[MW]; /* SACKed, by offset from una */
    /* Above offset o: runs of SACKed octets starting after o, and SACKed octets after o
     * (model_count fills them in). */
    uint32_t runs[MW], bytes[MW];
} model;

static void model_count(model *m)
{
    uint32_t runs = 0, bytes = 0;
    for (uint32_t o = MW; o-- > 0;) {
        m->runs[o] = runs;
        m->bytes[o] = bytes;
        if (m->s[o]) {
            bytes++;
            if (o == 0 || !m->s[o - 1])
                runs++;
        }
    }
}

/* IsLost by the RFC's words: DupThresh discontiguous SACKed sequences above the octet, or
 * more than (DupThresh - 1) * SMSS SACKed bytes above it. */
static int model_lost(const model *m, uint32_t off, uint32_t smss, unsigned dt)
{
    if (dt == 0)
        dt = 1;
    return m->runs[off] >= dt || (uint64_t)m->bytes[off] > (uint64_t)(dt - 1) * smss;
}

static uint32_t model_pipe(const model *m, uint32_t high_rxt_off, uint32_t smss, unsigned dt)
{
    uint32_t pipe = 0;
    for (uint32_t o = 0; o < MW; o++) {
        if (m->s[o])
            continue;
        if (!model_lost(m, o, smss, dt))
            pipe++;
        if (o < high_rxt_off)
            pipe++;
    }
    return pipe;
}

/* NextSeg by its words: returns 0/1/-1 and the segment as offsets. */
static int model_next(const model *m, uint32_t hr, uint32_t smss, unsigned dt, uint32_t avail,
                      uint32_t *off, uint32_t *len)
{
    uint32_t top = 0; /* one past the highest SACKed octet */
    for (uint32_t o = 0; o < MW; o++)
        if (m->s[o])
            top = o + 1;
    for (int rule = 1; rule <= 3; rule++) {
        if (rule == 2) {
            if (avail) {
                *off = MW;
                *len = avail < smss ? avail : smss;
                return 1;
            }
            continue;
        }
        for (uint32_t o = hr; o + 1 < top; o++) {
            if (m->s[o] || (rule == 1 && !model_lost(m, o, smss, dt)))
                continue;
            uint32_t l = 0;
            while (l < smss && o + l < MW && !m->s[o + l])
                l++;
            *off = o;
            *len = l;
            return 0;
        }
    }
    return -1;
}

static uint32_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*x >> 33);
}

/* Random ACKs (valid, D-SACK, hostile) on a window placed anywhere, wraparound included:
 * the board and every answer agree with the model. */
static void test_tcp_sack__matches_octet_model(void **state)
{
    (void)state;
    uint64_t x = 12345;
    static const uint32_t bases[] = {0, 1000, 0xfffffa00u, 0x7ffffc00u, 0xffffffffu};
    static model m;
    for (int round = 0; round < 300; round++) {
        memset(&m, 0, sizeof m);
        m.una = bases[round % 5] + lcg(&x) % 3;
        m.max = m.una + MW;
        viv__tcp_sb sb;
        viv__tcp_sb_init(&sb);
        for (int a = 0; a < 6; a++) {
            viv__sack_blk b[4];
            unsigned n = lcg(&x) % 5;
            for (unsigned k = 0; k < n; k++) {
                uint32_t s = lcg(&x) % (MW + 200) - 100, l = lcg(&x) % 300;
                if (lcg(&x) % 8 == 0)
                    l = 0u - l; /* reversed */
                b[k] = blk(m.una + s, m.una + s + l);
            }
            if (n >= 2 && lcg(&x) % 4 == 0)
                b[0] = blk(b[1].start + 1, b[1].end); /* maybe a D-SACK within the second */
            /* The model's acceptance, by tcp_sack.h's words. */
            uint32_t added = 0;
            for (unsigned k = 0; k < n; k++) {
                int32_t so = (int32_t)(b[k].start - m.una), eo = (int32_t)(b[k].end - m.una);
                if (k == 0 && (so < 0 || (n > 1 && (int32_t)(b[1].start - b[0].start) <= 0 &&
                                          (int32_t)(b[0].end - b[1].end) <= 0 &&
                                          (int32_t)(b[1].end - b[1].start) > 0)))
                    continue;
                if (eo - so <= 0 || eo > (int32_t)MW || eo <= 0)
                    continue;
                for (int32_t o = so < 0 ? 0 : so; o < eo; o++) {
                    added += !m.s[o];
                    m.s[o] = 1;
                }
            }
            assert_int_equal(viv__sb_update(&sb, m.una, m.max, b, n), added);
            model_count(&m);
            uint32_t total = 0;
            for (uint32_t o = 0; o < MW; o++) {
                assert_int_equal(viv__sb_is_sacked(&sb, m.una + o), m.s[o]);
                total += m.s[o];
            }
            assert_int_equal(viv__sb_sacked_bytes(&sb), total);
            uint32_t smss = 50 + lcg(&x) % 400;
            unsigned dt = 1 + lcg(&x) % 4;
            for (uint32_t o = 0; o < MW; o += 7)
                if (!m.s[o])
                    assert_int_equal(viv__sb_is_lost(&sb, m.una + o, smss, dt),
                                     model_lost(&m, o, smss, dt));
            uint32_t hr = lcg(&x) % (MW + 1);
            assert_int_equal(viv__sb_pipe(&sb, m.una, m.max, m.una + hr, smss, dt),
                             model_pipe(&m, hr, smss, dt));
            for (uint32_t avail = 0; avail < 2; avail++) {
                uint32_t mo = 0, ml = 0, seq = 0, len = 0;
                int want = model_next(&m, hr, smss, dt, avail * 70, &mo, &ml);
                int got = viv__sb_next_seg_ex(&sb, m.una, m.max, m.una + hr, smss, dt, avail * 70,
                                              &seq, &len);
                assert_int_equal(got, want);
                if (want >= 0) {
                    assert_int_equal(seq, m.una + mo);
                    assert_int_equal(len, ml);
                }
            }
            /* Rescue: the highest unSACKed octet and the run before it. */
            uint32_t seq = 0, len = 0;
            int hi = -1;
            for (uint32_t o = 0; o < MW; o++)
                if (!m.s[o])
                    hi = (int)o;
            int got = viv__sb_rescue_seg(&sb, m.una, m.max, smss, &seq, &len);
            if (hi < 0) {
                assert_int_equal(got, -1);
            } else {
                uint32_t l = 0;
                while (l < smss && (int)l <= hi && !m.s[hi - (int)l])
                    l++;
                assert_int_equal(got, 0);
                assert_int_equal(seq, m.una + (uint32_t)hi + 1 - l);
                assert_int_equal(len, l);
            }
            /* Sometimes the ACK moves on: the model and the board forget the same. */
            if (lcg(&x) % 3 == 0) {
                uint32_t step = lcg(&x) % 400;
                memmove(m.s, m.s + step, MW - step);
                memset(m.s + MW - step, 0, step);
                m.una += step;
                m.max = m.una + MW;
                assert_int_equal(viv__sb_update(&sb, m.una, m.max, NULL, 0), 0);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_sack__empty_board),
        cmocka_unit_test(test_tcp_sack__merge),
        cmocka_unit_test(test_tcp_sack__trim_at_new_snd_una),
        cmocka_unit_test(test_tcp_sack__wraparound),
        cmocka_unit_test(test_tcp_sack__bound),
        cmocka_unit_test(test_tcp_sack__hostile_blocks),
        cmocka_unit_test(test_tcp_sack__dsack_ignored),
        cmocka_unit_test(test_tcp_sack__is_lost_by_segments),
        cmocka_unit_test(test_tcp_sack__is_lost_by_bytes),
        cmocka_unit_test(test_tcp_sack__pipe),
        cmocka_unit_test(test_tcp_sack__next_seg_rules_in_order),
        cmocka_unit_test(test_tcp_sack__rescue_seg),
        cmocka_unit_test(test_tcp_sack__large_window),
        cmocka_unit_test(test_tcp_sack__receiver_rfc2018_example),
        cmocka_unit_test(test_tcp_sack__receiver_history_order),
        cmocka_unit_test(test_tcp_sack__receiver_hostile_ranges),
        cmocka_unit_test(test_tcp_sack__matches_octet_model),
    };
    return cmocka_run_group_tests_name("tcp/sack", tests, NULL, NULL);
}
