/* Deterministic fuzzing in the suite: valid frames of every kind the stack parses, mutated at
 * random (bit flips, bytes, boundary values, truncation, extension) with a seeded stream, fed
 * to every parser and, as frames from a hostile device, into a router and a host. Under the
 * sanitizers and Valgrind this proves that malformed input is counted and dropped, never a
 * crash, an overread, a leak or a hang. VIV_FUZZ_ITERS scales the work (default 1). For long
 * coverage-guided runs, build with -DVIV_FUZZ=ON (clang) and run fuzz_vivarium. */
#include "viv_test.h"

#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "fuzz_targets.h"
#include "wire/wire.h"

#define NSEEDS 8
#define MAXF 600

typedef struct seeds {
    uint8_t f[NSEEDS][MAXF];
    size_t n[NSEEDS];
} seeds;

/* A: the attacker; B: the host (the router is 10.0.0.2 and 10.9.0.1; see fuzz_targets.c). */
static const viv_ip4_t A = VIV_IP4(10, 0, 0, 9), B = VIV_IP4(10, 0, 0, 1);

static size_t ipv4(uint8_t *f, uint8_t proto, viv_ip4_t src, viv_ip4_t dst, size_t l4len)
{
    static const uint8_t dmac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct viv__eth_repr e = {{{0}}, {{0x02, 0, 0, 0, 0, 0x99}}, VIV__ETHERTYPE_IPV4};
    memcpy(e.dst.b, dmac, 6);
    viv__eth_emit(&e, f, 14 + 20 + l4len);
    struct viv__ipv4_repr ip = {0};
    ip.src = src;
    ip.dst = dst;
    ip.proto = proto;
    ip.ttl = 64;
    ip.ident = 7;
    ip.payload_len = (uint16_t)l4len;
    viv__ipv4_emit(&ip, f + 14, 20 + l4len);
    return 14 + 20 + l4len;
}

static void make_seeds(seeds *s)
{
    memset(s, 0, sizeof(*s));
    /* 0: ARP request for B. */
    {
        struct viv__eth_repr e = {{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                  {{0x02, 0, 0, 0, 0, 0x99}},
                                  VIV__ETHERTYPE_ARP};
        viv__eth_emit(&e, s->f[0], 14 + 28);
        struct viv__arp_repr a = {VIV__ARP_OP_REQUEST, e.src, A, {{0}}, B};
        viv__arp_emit(&a, s->f[0] + 14, 28);
        s->n[0] = 60;
    }
    /* 1: ICMP echo request to B. */
    {
        uint8_t data[32];
        memset(data, 0x61, sizeof data);
        struct viv__icmp_repr m = {0};
        m.type = VIV__ICMP_ECHO_REQUEST;
        m.ident = 1;
        m.seq = 1;
        m.data = data;
        m.data_len = sizeof data;
        s->n[1] = ipv4(s->f[1], 1, A, B, 40);
        viv__icmp_emit(&m, s->f[1] + 34, 40);
    }
    /* 2: UDP to port 53 of B. */
    {
        uint8_t *u = s->f[2] + 34;
        memcpy(u + 8, "\x12\x34\x01\x00\x00\x01", 6);
        struct viv__udp_repr r = {5353, 53, 6};
        s->n[2] = ipv4(s->f[2], 17, A, B, 14);
        viv__udp_emit(&r, A, B, u, 14);
    }
    /* 3: TCP SYN with every option, to B. */
    {
        struct viv__tcp_repr t = {0};
        t.src_port = 40000;
        t.dst_port = 80;
        t.seq = 1000;
        t.flags = VIV__TCP_SYN;
        t.window = 65535;
        t.mss = 1460;
        t.wscale_present = true;
        t.wscale = 7;
        t.sack_permitted = true;
        t.ts_present = true;
        t.tsval = 5;
        size_t hl = viv__tcp_len(&t);
        s->n[3] = ipv4(s->f[3], 6, A, B, hl);
        viv__tcp_emit(&t, A, B, s->f[3] + 34, hl);
    }
    /* 4: port unreachable from 10.9.0.7 quoting a datagram of B's connected socket. */
    {
        uint8_t q[28];
        struct viv__ipv4_repr qi = {0};
        qi.src = B;
        qi.dst = VIV_IP4(10, 9, 0, 7);
        qi.proto = 17;
        qi.ttl = 64;
        qi.payload_len = 8;
        viv__ipv4_emit(&qi, q, 28);
        viv_wr16be(q + 20, 49999);
        viv_wr16be(q + 22, 53);
        viv_wr16be(q + 24, 8);
        viv_wr16be(q + 26, 0);
        struct viv__icmp_repr m = {0};
        m.type = VIV__ICMP_DEST_UNREACH;
        m.code = VIV__ICMP_UNREACH_PORT;
        m.data = q;
        m.data_len = sizeof q;
        s->n[4] = ipv4(s->f[4], 1, VIV_IP4(10, 9, 0, 7), B, 36);
        viv__icmp_emit(&m, s->f[4] + 34, 36);
    }
    /* 5: UDP to be forwarded by the router, TTL 1. */
    {
        uint8_t *u = s->f[5] + 34;
        struct viv__udp_repr r = {7, 9, 4};
        memcpy(u + 8, "ping", 4);
        s->n[5] = ipv4(s->f[5], 17, A, VIV_IP4(10, 9, 0, 7), 12);
        viv__udp_emit(&r, A, VIV_IP4(10, 9, 0, 7), u, 12);
        s->f[5][22] = 1; /* TTL */
        viv_wr16be(s->f[5] + 24, 0);
        viv_wr16be(s->f[5] + 24, viv__cksum(s->f[5] + 14, 20));
    }
    /* 6: a first fragment of a large datagram. */
    {
        s->n[6] = ipv4(s->f[6], 17, A, B, 400);
        memset(s->f[6] + 34, 0x42, 400);
        viv_wr16be(s->f[6] + 20, 0x2000); /* more fragments */
        viv_wr16be(s->f[6] + 24, 0);
        viv_wr16be(s->f[6] + 24, viv__cksum(s->f[6] + 14, 20));
    }
    /* 7: an IPv4 header with options (IHL 6) carrying ICMP. */
    {
        memcpy(s->f[7], s->f[1], s->n[1]);
        memmove(s->f[7] + 38, s->f[7] + 34, 40);
        s->f[7][14] = 0x46;
        viv_wr32be(s->f[7] + 34, 0x01010100); /* NOP NOP NOP EOL */
        viv_wr16be(s->f[7] + 16, 64);
        viv_wr16be(s->f[7] + 24, 0);
        viv_wr16be(s->f[7] + 24, viv__cksum(s->f[7] + 14, 24));
        s->n[7] = 78;
    }
}

static size_t mutate(viv_rng_t *r, uint8_t *b, size_t n, size_t cap)
{
    int k = 1 + (int)viv_rng_below(r, 6);
    static const uint8_t interesting[] = {0, 1, 2, 4, 5, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80,
                                          0xfe, 0xff};
    while (k-- > 0 && n > 0) {
        size_t at = (size_t)viv_rng_below(r, n);
        switch (viv_rng_below(r, 6)) {
        case 0:
            b[at] ^= (uint8_t)(1u << viv_rng_below(r, 8));
            break;
        case 1:
            b[at] = (uint8_t)viv_rng_u64(r);
            break;
        case 2:
            b[at] = interesting[viv_rng_below(r, sizeof interesting)];
            break;
        case 3:
            n = (size_t)viv_rng_below(r, n + 1); /* truncate */
            break;
        case 4: /* extend with random bytes */
            while (n < cap && viv_rng_below(r, 4))
                b[n++] = (uint8_t)viv_rng_u64(r);
            break;
        default: /* a 16-bit field set to a boundary value */
            if (at + 1 < n)
                viv_wr16be(b + at, (uint16_t)(viv_rng_below(r, 2) ? 0xffff : viv_rng_below(r, 80)));
            break;
        }
    }
    return n;
}

static unsigned scale(void)
{
    const char *s = getenv("VIV_FUZZ_ITERS");
    unsigned v = s ? (unsigned)strtoul(s, NULL, 10) : 1;
    return v ? v : 1;
}

static void test_fuzz__parsers_take_any_bytes(void **state)
{
    (void)state;
    static seeds s;
    make_seeds(&s);
    viv_rng_t r;
    viv_rng_init(&r, 2026, 1);
    uint8_t buf[MAXF + 64];
    viv_fuzz_failures = 0;
    for (unsigned i = 0; i < 20000 * scale(); i++) {
        int k = (int)viv_rng_below(&r, NSEEDS);
        /* Whole frames, IPv4 packets and transport segments, each mutated. */
        size_t skip = (size_t)viv_rng_below(&r, 3) == 0 ? 0 : (k == 0 ? 14 : (size_t)(14 + 20 * viv_rng_below(&r, 2)));
        if (skip > s.n[k])
            skip = 0;
        size_t n = s.n[k] - skip;
        memcpy(buf, s.f[k] + skip, n);
        n = mutate(&r, buf, n, sizeof buf);
        viv_fuzz_wire(buf, n);
    }
    assert_int_equal(viv_fuzz_failures, 0);
}

static void test_fuzz__hostile_frames_never_break_the_stack(void **state)
{
    (void)state;
    static seeds s;
    make_seeds(&s);
    viv_rng_t r;
    viv_rng_init(&r, 2026, 2);
    static uint8_t in[16 * (MAXF + 67)];
    viv_fuzz_failures = 0;
    for (unsigned i = 0; i < 600 * scale(); i++) {
        size_t n = 0;
        int frames = 1 + (int)viv_rng_below(&r, 12);
        for (int j = 0; j < frames; j++) {
            int k = (int)viv_rng_below(&r, NSEEDS);
            uint8_t f[MAXF + 64];
            memcpy(f, s.f[k], s.n[k]);
            size_t fl = viv_rng_below(&r, 4) ? mutate(&r, f, s.n[k], sizeof f) : s.n[k];
            /* Mostly addressed to the stack, with fixed-up checksums, so frames get deep. */
            in[n++] = (uint8_t)((viv_rng_below(&r, 2)) | (viv_rng_below(&r, 5) ? 2 : 0) |
                                (viv_rng_below(&r, 4) ? 4 : 0) | (viv_rng_below(&r, 3) ? 8 : 0));
            viv_wr16be(in + n, (uint16_t)fl);
            n += 2;
            memcpy(in + n, f, fl);
            n += fl;
        }
        viv_fuzz_stack(in, n);
    }
    assert_int_equal(viv_fuzz_failures, 0);
    const viv_fuzz_depth *d = &viv_fuzz_reached;
    print_message("reached: arp %llu, ip %llu (delivered %llu, forwarded %llu), icmp %llu "
                  "(errors sent %llu), udp %llu (to sockets %llu), malformed dropped %llu, "
                  "other protocols %llu\n",
                  (unsigned long long)d->arp_rx, (unsigned long long)d->ip_rx,
                  (unsigned long long)d->ip_delivered, (unsigned long long)d->ip_forwarded,
                  (unsigned long long)d->icmp_rx, (unsigned long long)d->icmp_errors_tx,
                  (unsigned long long)d->udp_rx, (unsigned long long)d->udp_to_socket,
                  (unsigned long long)d->dropped_malformed, (unsigned long long)d->tcp_or_other);
    /* The mutations reach every layer, not only the first checks. */
    assert_true(d->arp_rx > 0 && d->ip_delivered > 0 && d->ip_forwarded > 0);
    assert_true(d->icmp_rx > 0 && d->icmp_errors_tx > 0 && d->udp_to_socket > 0);
    assert_true(d->dropped_malformed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz__parsers_take_any_bytes),
        cmocka_unit_test(test_fuzz__hostile_frames_never_break_the_stack),
    };
    return cmocka_run_group_tests_name("fuzz", tests, NULL, NULL);
}
