/* UDP sending and receiving: datagram boundaries, zero-length datagrams, truncation,
 * viv_udp_peek_len, viv_udp_peek and viv_udp_discard, the receive queue limit and the memory it bounds, the frame pool giving
 * memory back, checksums sent and verified, size limits, no route, and broadcast on the
 * local subnet. */
#include "l4_test.h"

#include "core/core.h" /* the frame pool's counters and sizes */

/* ---- helpers --------------------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

/* The one's complement sum of bytes (RFC 1071), folded to 16 bits, plus an initial value. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += rd16(p + i);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}

/* The UDP checksum over the pseudo-header and the datagram as it is (checksum field
 * included): a correct datagram sums to 0xffff. */
static uint32_t udp_sum(viv_ip4_t src, viv_ip4_t dst, const uint8_t *udp, size_t ulen)
{
    uint8_t ph[12];
    wr32(ph, src);
    wr32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = 17;
    wr16(ph + 10, (uint16_t)ulen);
    return sum16(sum16(0, ph, 12), udp, ulen);
}

/* Build an Ethernet + IPv4 + UDP frame into buf; the UDP checksum field gets cksum, or the
 * right value when cksum is -1. Returns the frame length. */
static size_t craft_udp(uint8_t *buf, const viv_mac_t *dst_mac, const viv_mac_t *src_mac,
                        viv_ip4_t src, viv_ip4_t dst, uint16_t sport, uint16_t dport,
                        const void *payload, size_t n, int32_t cksum)
{
    memcpy(buf, dst_mac->b, 6);
    memcpy(buf + 6, src_mac->b, 6);
    wr16(buf + 12, 0x0800);
    uint8_t *ip = buf + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    wr16(ip + 2, (uint16_t)(20 + 8 + n));
    wr16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = 17;
    wr32(ip + 12, src);
    wr32(ip + 16, dst);
    wr16(ip + 10, (uint16_t)~sum16(0, ip, 20));
    uint8_t *u = ip + 20;
    wr16(u, sport);
    wr16(u + 2, dport);
    wr16(u + 4, (uint16_t)(8 + n));
    wr16(u + 6, 0);
    memcpy(u + 8, payload, n);
    if (cksum < 0) {
        uint16_t c = (uint16_t)~udp_sum(src, dst, u, 8 + n);
        wr16(u + 6, c ? c : 0xffff);
    } else {
        wr16(u + 6, (uint16_t)cksum);
    }
    return 14 + 20 + 8 + n;
}

/* Frames seen by an intercept (copied). */
typedef struct seen {
    uint8_t f[64][256];
    size_t len[64];
    viv_time_t t[64];
    size_t n;
    viv_sim_t *sim;
} seen;

static viv_verdict seen_cb(viv_link_t *link, viv_link_dir dir, const uint8_t *frame, size_t len,
                           const viv_frame_info *info, viv_time_t *delay_ns, void *user)
{
    seen *s = user;
    (void)link;
    (void)dir;
    (void)info;
    (void)delay_ns;
    if (s->n < 64) {
        size_t k = len < 256 ? len : 256;
        memcpy(s->f[s->n], frame, k);
        s->len[s->n] = len;
        s->t[s->n] = viv_sim_now(s->sim);
        s->n++;
    }
    return VIV_VERDICT_DELIVER;
}

/* ---- boundaries, zero length, truncation, peek ------------------------------------------- */

static void test_udp__datagram_boundaries_are_kept(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t at = l4t_sa(VIV_IP4_ANY, 4000), bt = l4t_sa(VIV_IP4_ANY, 5000);
    assert_int_equal(viv_udp_bind(tx, &at), 0);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    l4t_arp_warm(sim, p.a, L4T_B);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    viv_sockaddr_t dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_sendto(tx, "A", 1, &dst), 1);
    assert_int_equal(viv_udp_sendto(tx, big, sizeof big, &dst), 1000);
    assert_int_equal(viv_udp_sendto(tx, NULL, 0, &dst), 0); /* zero length: a datagram */
    assert_int_equal(viv_udp_sendto(tx, "BC", 2, &dst), 2);
    assert_int_equal(viv_udp_peek_len(rx), VIV_EAGAIN);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);

    uint8_t buf[2000];
    viv_sockaddr_t from;
    uint32_t flags = 99;
    assert_int_equal(viv_udp_peek_len(rx), 1);
    assert_int_equal(viv_udp_peek_len(rx), 1); /* peeking does not consume */
    assert_int_equal(viv_udp_recvfrom(rx, buf, sizeof buf, &from, &flags), 1);
    assert_int_equal(buf[0], 'A');
    assert_int_equal(flags, 0);
    assert_int_equal(from.ip, L4T_A);
    assert_int_equal(from.port, 4000);
    assert_int_equal(viv_udp_peek_len(rx), 1000);
    assert_int_equal(viv_udp_recvfrom(rx, buf, sizeof buf, NULL, &flags), 1000);
    assert_memory_equal(buf, big, 1000);
    assert_int_equal(viv_udp_peek_len(rx), 0);
    /* A zero-length datagram reads as 0 bytes, even into no buffer at all. */
    assert_int_equal(viv_udp_recvfrom(rx, NULL, 0, &from, &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(from.port, 4000);
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 2);
    assert_memory_equal(buf, "BC", 2);
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), VIV_EAGAIN);
    assert_int_equal(viv_udp_peek_len(rx), VIV_EAGAIN);

    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, tx), 0);
    assert_int_equal(st.tx_datagrams, 4);
    assert_int_equal(st.tx_bytes, 1003);
    assert_int_equal(viv_udp_stats(&st, rx), 0);
    assert_int_equal(st.rx_datagrams, 4);
    assert_int_equal(st.rx_bytes, 1003);
    assert_int_equal(st.rx_truncated, 0);
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_host_udp_stats(&hs, p.a), 0);
    assert_int_equal(hs.tx_datagrams, 4);
    assert_int_equal(viv_host_udp_stats(&hs, p.b), 0);
    assert_int_equal(hs.rx_datagrams, 4);
    assert_int_equal(hs.rx_bad + hs.rx_checksum + hs.rx_no_port + hs.rx_filtered, 0);
}

/* viv_udp_peek reads the head datagram in place without taking it; viv_udp_discard drops it
 * unread, as viv_udp_recvfrom would have taken it, minus the copy (not a truncation). */
static void test_udp__peek_reads_in_place_and_discard_drops(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t at = l4t_sa(VIV_IP4_ANY, 4000), bt = l4t_sa(VIV_IP4_ANY, 5000);
    assert_int_equal(viv_udp_bind(tx, &at), 0);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    l4t_arp_warm(sim, p.a, L4T_B);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    viv_sockaddr_t dst = l4t_sa(L4T_B, 5000);
    const void *data = &data, *again;
    viv_sockaddr_t from = {0, 0};
    assert_int_equal(viv_udp_peek(rx, &data, &from), VIV_EAGAIN);
    assert_null(data);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_peek"));
    assert_int_equal(viv_udp_discard(rx), VIV_EAGAIN);
    assert_int_equal(viv_udp_sendto(tx, "A", 1, &dst), 1);
    assert_int_equal(viv_udp_sendto(tx, big, sizeof big, &dst), 1000);
    assert_int_equal(viv_udp_sendto(tx, NULL, 0, &dst), 0);
    assert_int_equal(viv_udp_sendto(tx, "BC", 2, &dst), 2);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);

    /* Peeking neither copies nor consumes: twice the same bytes at the same place. */
    assert_int_equal(viv_udp_peek(rx, &data, &from), 1);
    assert_int_equal(from.ip, L4T_A);
    assert_int_equal(from.port, 4000);
    assert_int_equal(viv_udp_peek(rx, &again, NULL), 1);
    assert_ptr_equal(again, data);
    assert_memory_equal(data, "A", 1);
    uint8_t buf[2000];
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 1);
    assert_int_equal(buf[0], 'A');

    /* The 1000-byte one in place; an arrival queues behind it and leaves it where it is. */
    assert_int_equal(viv_udp_peek(rx, &data, NULL), 1000);
    assert_memory_equal(data, big, 1000);
    assert_int_equal(viv_udp_sendto(tx, "Z", 1, &dst), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_peek(rx, &again, NULL), 1000);
    assert_ptr_equal(again, data);
    assert_memory_equal(data, big, 1000);
    assert_int_equal(viv_udp_discard(rx), 1000);
    viv_sock_info mid;
    assert_int_equal(viv_host_netstat(p.b, &mid, 1), 1);
    assert_int_equal(mid.recv_q, 0 + 2 + 1); /* the empty one, "BC" and "Z" */

    /* A zero-length datagram peeks and discards as 0 bytes. */
    assert_int_equal(viv_udp_peek(rx, &data, &from), 0);
    assert_int_equal(from.port, 4000);
    assert_int_equal(viv_udp_discard(rx), 0);
    assert_int_equal(viv_udp_peek_len(rx), 2);
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 2);
    assert_memory_equal(buf, "BC", 2);
    assert_int_equal(viv_udp_discard(rx), 1);
    assert_int_equal(viv_udp_peek(rx, &data, NULL), VIV_EAGAIN);
    assert_int_equal(viv_udp_discard(rx), VIV_EAGAIN);

    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, rx), 0);
    assert_int_equal(st.rx_datagrams, 5);
    assert_int_equal(st.rx_bytes, 1004);
    assert_int_equal(st.rx_truncated, 0); /* a discard is no truncation */
    /* Mid-way the queue held what was waiting; at the end it gave everything back. */
    viv_sock_info rows[4];
    assert_int_equal(viv_host_netstat(p.b, rows, 4), 1);
    assert_int_equal(rows[0].local.port, 5000);
    assert_int_equal(rows[0].recv_q, 0);

    assert_int_equal(viv_udp_peek(NULL, &data, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_peek(rx, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_discard(NULL), VIV_EINVAL);
}

/* A connected socket's stored error comes first from viv_udp_discard too, once. */
static void test_udp__discard_returns_a_stored_error_once(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t closed = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_connect(c, &closed), 0);
    assert_int_equal(viv_udp_send(c, "1", 1), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(20)), 0);
    const void *data;
    assert_int_equal(viv_udp_peek(c, &data, NULL), VIV_EAGAIN); /* peeking takes no error */
    assert_int_equal(viv_udp_discard(c), VIV_ECONNREFUSED);
    assert_int_equal(viv_udp_discard(c), VIV_EAGAIN);
}

static void test_udp__short_buffer_truncates_and_flags(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, NULL, NULL), 0);
    viv_sockaddr_t bt = l4t_sa(VIV_IP4_ANY, 5000), dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    l4t_arp_warm(sim, p.a, L4T_B);
    assert_int_equal(viv_udp_sendto(tx, "0123456789", 10, &dst), 10);
    assert_int_equal(viv_udp_sendto(tx, "abc", 3, &dst), 3);
    assert_int_equal(viv_udp_sendto(tx, "xyz", 3, &dst), 3);
    assert_int_equal(viv_udp_sendto(tx, "exact", 5, &dst), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    char buf[16];
    memset(buf, '.', sizeof buf);
    uint32_t flags = 0;
    /* 4 of 10 bytes: the rest of that datagram is lost, the next read gets the next one. */
    assert_int_equal(viv_udp_recvfrom(rx, buf, 4, NULL, &flags), 4);
    assert_int_equal(flags, VIV_MSG_TRUNC);
    assert_memory_equal(buf, "0123.", 5);
    assert_int_equal(viv_udp_recvfrom(rx, buf, sizeof buf, NULL, &flags), 3);
    assert_int_equal(flags, 0);
    assert_memory_equal(buf, "abc", 3);
    /* A zero-size buffer takes the whole datagram away, truncated to nothing. */
    assert_int_equal(viv_udp_recvfrom(rx, NULL, 0, NULL, &flags), 0);
    assert_int_equal(flags, VIV_MSG_TRUNC);
    /* A buffer of exactly the datagram's size: no truncation. */
    assert_int_equal(viv_udp_recvfrom(rx, buf, 5, NULL, &flags), 5);
    assert_int_equal(flags, 0);
    assert_memory_equal(buf, "exact", 5);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, rx), 0);
    assert_int_equal(st.rx_truncated, 2);
    assert_int_equal(st.rx_datagrams, 4);
}

/* ---- the receive queue limit ------------------------------------------------------------- */

static void test_udp__receive_queue_limit_drops_and_counts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.rcvbuf_bytes = 1000;
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, &o, NULL, NULL), 0);
    viv_sockaddr_t bt = l4t_sa(VIV_IP4_ANY, 5000), dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    l4t_arp_warm(sim, p.a, L4T_B);
    uint8_t d[400];
    for (int i = 0; i < 5; i++) {
        memset(d, 'a' + i, sizeof d);
        assert_int_equal(viv_udp_sendto(tx, d, 300, &dst), 300);
    }
    /* 300 + 300 + 300 fit in 1000; the fourth (1200) and fifth do not. 100 bytes more do. */
    assert_int_equal(viv_udp_sendto(tx, d, 100, &dst), 100);
    assert_int_equal(viv_udp_sendto(tx, d, 1, &dst), 1); /* 1001: dropped */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, rx), 0);
    assert_int_equal(st.rx_datagrams, 4);
    assert_int_equal(st.rx_bytes, 1000);
    assert_int_equal(st.rx_queue_full, 3);
    viv_sock_info row;
    assert_int_equal(viv_host_netstat(p.b, &row, 1), 1);
    assert_int_equal(row.recv_q, 1000);

    /* Reading one makes room for one more. */
    uint8_t buf[400];
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 300);
    assert_int_equal(buf[0], 'a');
    memset(d, 'z', sizeof d);
    assert_int_equal(viv_udp_sendto(tx, d, 300, &dst), 300);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_stats(&st, rx), 0);
    assert_int_equal(st.rx_datagrams, 5);
    assert_int_equal(st.rx_queue_full, 3);
    /* The queue keeps arrival order: b, c, the 100-byte one, then z. */
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 300);
    assert_int_equal(buf[0], 'b');
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 300);
    assert_int_equal(buf[0], 'c');
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 100);
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 300);
    assert_int_equal(buf[0], 'z');
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), VIV_EAGAIN);
}

/* ---- the receive buffer's memory bound and the frame pool --------------------------------- */

/* The fixture's counting allocator. */
static viv_test_alloc *fx_alloc(void **state) { return &((viv_test_fixture *)*state)->alloc; }

/* Two hosts on a 1 Gb/s cable with a 1 us delay, ARP resolved, a receiving socket on b bound
 * to port 7 (opts as given) that nobody reads, and a sender on a. */
typedef struct flood {
    viv_sim_t *sim;
    viv_host_t *a, *b;
    viv_udp_t *tx, *rx;
    viv_sockaddr_t dst;
} flood;

static void flood_build(flood *f, viv_sim_t *sim, const viv_udp_opts *rx_opts, viv_udp_cb cb,
                        void *user)
{
    f->sim = sim;
    f->a = l4t_host(sim, "a", L4T_A, 24);
    f->b = l4t_host(sim, "b", L4T_B, 24);
    l4t_link(sim, viv_host_port(f->a, 0), viv_host_port(f->b, 0), VIV_US(1));
    assert_int_equal(viv_udp_new(&f->tx, f->a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&f->rx, f->b, rx_opts, cb, user), 0);
    viv_sockaddr_t bn = l4t_sa(VIV_IP4_ANY, 7);
    assert_int_equal(viv_udp_bind(f->rx, &bn), 0);
    f->dst = l4t_sa(L4T_B, 7);
    l4t_arp_warm(sim, f->a, L4T_B);
}

/* Send n datagrams of len bytes in batches of at most 50 (the link queue holds 100 frames),
 * letting each batch arrive before the next: a sender as fast as the wire. */
static void flood_send(flood *f, uint32_t n, size_t len)
{
    static const uint8_t zeros[1472];
    assert_true(len <= sizeof zeros);
    for (uint32_t sent = 0; sent < n;) {
        for (uint32_t i = 0; i < 50 && sent < n; i++, sent++)
            assert_int_equal(viv_udp_sendto(f->tx, zeros, len, &f->dst), (int)len);
        assert_int_equal(viv_sim_run_for(f->sim, VIV_MS(1)), 0);
    }
}

/* The memory a queued datagram really holds: at least the block of the frame it stays in,
 * whose size class follows the frame (a zero-length datagram's frame takes the smallest). */
static size_t frame_block(uint32_t payload)
{
    uint32_t cls = viv__frame_class_of((uint32_t)sizeof(viv__frame) + VIV__FRAME_HEADROOM + 8u +
                                       payload);
    return viv__frame_class_size(cls);
}
/* The record of a queued datagram (src/l4/udp.c): a frame pointer, an address, a link. */
#define DGRAM_RECORD_BYTES (2 * sizeof(void *) + sizeof(viv_sockaddr_t))

/* Free blocks the frame pool keeps. */
static size_t pool_free(const viv_sim_t *sim)
{
    viv__frame_pool_stats ps;
    viv__frame_pool_stats_get(&ps, sim);
    return ps.free;
}

/* Regression (hostile-user review): the receive limit counted payload bytes only, and each
 * queued datagram holds a whole frame, so a flood of zero-length datagrams to a socket
 * nobody reads pinned about 212992 frames (428 MiB). The queue now charges each datagram its
 * truesize against twice rcvbuf_bytes: about 1,500 datagrams in 256-byte frames (about 200
 * when every frame took 2 KiB), about 416 KiB. */
static void test_udp__zero_length_flood_pins_about_the_buffer(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    flood f;
    flood_build(&f, sim, NULL, NULL, NULL);
    const uint32_t n = 5000;
    size_t pre = al->live_bytes;
    al->peak_bytes = pre;
    flood_send(&f, n, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    /* Every datagram arrived, and was queued or counted as a drop. */
    assert_int_equal(st.rx_datagrams + st.rx_queue_full, n);
    assert_int_equal(st.rx_bytes, 0);
    /* The memory bound is 2 * 212992 bytes; each datagram holds a 256-byte frame block and
     * a record (a few pointers): floor(425984 / 280) = 1521 on a 64-bit machine. */
    const uint64_t bound = 2 * 212992;
    const size_t truesize = frame_block(0) + DGRAM_RECORD_BYTES;
    assert_int_equal(frame_block(0), 256);
    assert_int_equal(st.rx_datagrams, bound / truesize);
    /* What the flood pins: the bound, plus the free frames the pool keeps (one batch of 50
     * in flight needed them) and a few bytes of link bookkeeping. At its peak, one batch
     * more: frames on the wire and the receiver's copies (before the fix: 5000 frames). */
    size_t held = al->live_bytes - pre, peak = al->peak_bytes - pre;
    print_message("zero-length flood of %u: %llu queued, %zu bytes held, peak %zu bytes\n", n,
                  (unsigned long long)st.rx_datagrams, held, peak);
    assert_in_range(pool_free(sim), 1, 50);
    assert_true(held <= bound + pool_free(sim) * frame_block(0) + 8192);
    assert_true(peak <= bound + 100 * frame_block(0) + 8192);
    viv_sock_info row;
    assert_int_equal(viv_host_netstat(f.b, &row, 1), 1);
    assert_int_equal(row.recv_q, 0); /* netstat shows payload bytes */

    /* Reading one datagram makes room for exactly one more. */
    assert_int_equal(viv_udp_recv(f.rx, NULL, 0), 0);
    uint64_t queued = st.rx_datagrams, dropped = st.rx_queue_full;
    flood_send(&f, 2, 0);
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, queued + 1);
    assert_int_equal(st.rx_queue_full, dropped + 1);
    /* Everything queued reads back, in order, then nothing. */
    for (uint64_t i = 0; i < queued; i++)
        assert_int_equal(viv_udp_recv(f.rx, NULL, 0), 0);
    assert_int_equal(viv_udp_recv(f.rx, NULL, 0), VIV_EAGAIN);
    /* Drained, the socket holds nothing and the pool no more than its reserve. */
    assert_int_equal(sim->frames_live, 0);
    assert_true(pool_free(sim) * frame_block(0) <= VIV__FRAME_KEEP_BYTES);
    assert_true(al->live_bytes <= pre + VIV__FRAME_KEEP_BYTES + 16384);
}

/* A small buffer still takes a few short datagrams: the memory bound is never below eight
 * full-size datagrams' worth (8 * (2048 + record) bytes), which holds 59 zero-length ones in
 * their 256-byte frames (8 when every frame took 2 KiB), and the payload bound stays
 * rcvbuf_bytes. */
static void test_udp__small_buffer_takes_eight_full_datagrams_of_short_ones(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.rcvbuf_bytes = 1;
    flood f;
    flood_build(&f, sim, &o, NULL, NULL);
    const uint64_t fit = 8 * (VIV__FRAME_MTU_TRUESIZE + DGRAM_RECORD_BYTES) /
                         (frame_block(0) + DGRAM_RECORD_BYTES);
    assert_int_equal(fit, 59); /* on a 64-bit machine */
    flood_send(&f, 100, 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, fit);
    assert_int_equal(st.rx_queue_full, 100 - fit);
    /* One byte of payload fits beside them? No: the memory bound is full. */
    flood_send(&f, 1, 1);
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, fit);
    assert_int_equal(st.rx_queue_full, 101 - fit);
    /* Once read, one byte fits (the payload bound is 1), and a second byte does not. */
    for (uint64_t i = 0; i < fit; i++)
        assert_int_equal(viv_udp_recv(f.rx, NULL, 0), 0);
    flood_send(&f, 2, 1);
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, fit + 1);
    assert_int_equal(st.rx_bytes, 1);
    assert_int_equal(st.rx_queue_full, 102 - fit);
}

/* Full-size datagrams still meet the payload bound first, as before: 144 of 1472 bytes fit
 * in the default 212992 (their memory, about 300 KiB, is within twice that). */
static void test_udp__full_size_datagrams_meet_the_payload_bound(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    flood f;
    flood_build(&f, sim, NULL, NULL, NULL);
    flood_send(&f, 200, 1472);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, 144);
    assert_int_equal(st.rx_bytes, 144 * 1472);
    assert_int_equal(st.rx_queue_full, 56);
    viv_sock_info row;
    assert_int_equal(viv_host_netstat(f.b, &row, 1), 1);
    assert_int_equal(row.recv_q, 144 * 1472);
    /* Room for 1472 * 144 + 1024 = 212992 bytes: one datagram of 1024 more fits, exactly. */
    flood_send(&f, 1, 1024);
    flood_send(&f, 1, 0);
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, 146);
    assert_int_equal(st.rx_queue_full, 56);
    flood_send(&f, 1, 1);
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_queue_full, 57);
}

/* Regression (hostile-user review): the frame pool kept every buffer it ever had, so the
 * memory of a flood stayed with the simulation after the flood drained. Each size class of
 * the pool now keeps at most max(its reserve, its frames in use) free blocks. The frames of
 * 100-byte datagrams take the 384-byte class, whose reserve is 65536 / 384 = 170 blocks. */
static void test_udp__frame_pool_gives_memory_back_after_a_flood(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *al = fx_alloc(state);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.rcvbuf_bytes = 16u << 20; /* room for all of it */
    flood f;
    flood_build(&f, sim, &o, NULL, NULL);
    size_t pre = al->live_bytes;
    const uint32_t n = 3000;
    flood_send(&f, n, 100);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, f.rx), 0);
    assert_int_equal(st.rx_datagrams, n);
    assert_int_equal(sim->frames_live, n);
    size_t held = al->live_bytes - pre;
    const size_t block = frame_block(100);
    const uint32_t cls = viv__frame_class_of((uint32_t)sizeof(viv__frame) + VIV__FRAME_HEADROOM +
                                             8u + 100u);
    assert_int_equal(block, 384);
    assert_true(held >= n * block);
    uint8_t buf[200];
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(viv_udp_recv(f.rx, buf, sizeof buf), 100);
    assert_int_equal(sim->frames_live, 0);
    viv__frame_pool_stats ps;
    viv__frame_pool_stats_get(&ps, sim);
    assert_int_equal(ps.cls_free[cls], VIV__FRAME_KEEP_BYTES / 384);
    size_t after = al->live_bytes;
    print_message("flood of %u: %zu bytes held; after draining %lld bytes above the start\n",
                  n, held, (long long)after - (long long)pre);
    /* Back to the level before the flood, give or take the pool's reserve, the spare
     * datagram records and the tables the flood grew (event table, link queue). */
    assert_true(after <= pre + VIV__FRAME_KEEP_BYTES + 16384);

    /* A second flood takes what it needs again, and gives it back again. */
    flood_send(&f, n, 100);
    assert_int_equal(sim->frames_live, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(viv_udp_recv(f.rx, buf, sizeof buf), 100);
    viv__frame_pool_stats_get(&ps, sim);
    assert_int_equal(ps.cls_free[cls], VIV__FRAME_KEEP_BYTES / 384);
    assert_int_equal(al->live_bytes, after);
}

/* A reader that takes everything as it comes, counting. */
static void count_drain_cb(viv_udp_t *s, uint32_t events, void *user)
{
    uint32_t *n = user;
    uint8_t buf[64];
    if (events & VIV_EV_READABLE)
        while (viv_udp_recv(s, buf, sizeof buf) >= 0)
            (*n)++;
}

/* The counting allocator, also counting the allocations of one size (a pooled frame). */
typedef struct sized_alloc {
    viv_test_alloc base;
    size_t size;
    uint64_t n;
} sized_alloc;

static void *sized_alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    sized_alloc *a = ud;
    if (!ptr && new_size == a->size)
        a->n++;
    return viv_test_alloc_fn(&a->base, ptr, old_size, new_size);
}

/* The pool still serves steady traffic: once warm, a flow read as it arrives, and repeated
 * bursts within the pool's reserve, allocate no frame at all. (The event queue may re-tune
 * its buckets as the load changes: that is not the frame path.) */
static void test_udp__steady_traffic_allocates_no_frames(void **state)
{
    (void)state;
    sized_alloc al;
    memset(&al, 0, sizeof al);
    al.size = frame_block(100);
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 1;
    so.alloc = sized_alloc_fn;
    so.alloc_ud = &al;
    viv_sim_t *sim;
    assert_int_equal(viv_sim_new(&sim, &so), 0);
    uint32_t got = 0;
    flood f;
    flood_build(&f, sim, NULL, count_drain_cb, &got);
    uint8_t d[100] = {0};
    /* Warm up: one burst of 50. */
    for (int i = 0; i < 50; i++)
        assert_int_equal(viv_udp_sendto(f.tx, d, sizeof d, &f.dst), (int)sizeof d);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(got, 50);
    uint64_t frames = al.n;
    assert_true(frames > 0);
    /* A steady flow: one datagram every 10 us, read on arrival. */
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(viv_udp_sendto(f.tx, d, sizeof d, &f.dst), (int)sizeof d);
        assert_int_equal(viv_sim_run_for(sim, VIV_US(10)), 0);
    }
    /* Bursts of 50, each drained before the next. */
    for (int b = 0; b < 20; b++) {
        for (int i = 0; i < 50; i++)
            assert_int_equal(viv_udp_sendto(f.tx, d, sizeof d, &f.dst), (int)sizeof d);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    }
    assert_int_equal(got, 50 + 1000 + 1000);
    assert_int_equal(al.n, frames);
    viv_test_sim_free(sim, &al.base);
}

/* Every public UDP function refuses NULL handles and NULL outputs with VIV_EINVAL. */
static void test_udp__null_handles_and_outputs_are_einval(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *s = NULL;
    viv_sockaddr_t a = l4t_sa(L4T_B, 9);
    uint8_t buf[4];
    viv_udp_stats_t st;
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_udp_new(NULL, NULL, NULL, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_new(&s, NULL, NULL, NULL, NULL), VIV_EINVAL);
    assert_null(s);
    assert_int_equal(viv_udp_new(NULL, p.a, NULL, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_new"));
    viv_udp_free(NULL);
    assert_int_equal(viv_udp_bind(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_connect(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_connect(NULL, &a), VIV_EINVAL);
    assert_int_equal(viv_udp_sendto(NULL, NULL, 0, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_send(NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_udp_recvfrom(NULL, NULL, 0, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_recv(NULL, NULL, 0), VIV_EINVAL);
    assert_int_equal(viv_udp_peek_len(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_error(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_local(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_peer(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_peer(&a, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_stats(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_udp_stats(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_udp_stats(&hs, NULL), VIV_EINVAL);
    /* A real socket with NULL where an output or input is required. */
    assert_int_equal(viv_udp_new(&s, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_bind(s, NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_send(s, NULL, 3), VIV_EINVAL);
    assert_int_equal(viv_udp_recv(s, NULL, sizeof buf), VIV_EINVAL);
    assert_int_equal(viv_udp_local(NULL, s), VIV_EINVAL);
    assert_int_equal(viv_udp_peer(NULL, s), VIV_EINVAL);
    assert_int_equal(viv_udp_stats(NULL, s), VIV_EINVAL);
    assert_int_equal(viv_host_udp_stats(NULL, p.a), VIV_EINVAL);
    /* And the socket still works. */
    assert_int_equal(viv_udp_sendto(s, "x", 1, &a), 1);
    assert_int_equal(viv_udp_stats(&st, s), 0);
    assert_int_equal(st.tx_datagrams, 1);
    viv_udp_free(s);
    (void)buf;
}

/* ---- checksums ----------------------------------------------------------------------------- */

static void test_udp__checksums_are_sent(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    seen s;
    memset(&s, 0, sizeof s);
    s.sim = sim;
    assert_int_equal(viv_link_set_intercept(p.link, VIV_LINK_AB, seen_cb, &s), 0);
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t at = l4t_sa(VIV_IP4_ANY, 4000), dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_bind(tx, &at), 0);
    /* A payload whose checksum would come out as 0 must be sent as 0xffff (0 means "no
     * checksum"): find the two bytes that make the sum 0xffff. */
    uint8_t hdr[10] = {0x0f, 0xa0, 0x13, 0x88, 0x00, 0x0a}; /* 4000->5000, len 10, zeros */
    uint32_t rest = udp_sum(L4T_A, L4T_B, hdr, 10);
    uint16_t x = (uint16_t)(0xffffu - rest);
    uint8_t zero_ck[2] = {(uint8_t)(x >> 8), (uint8_t)x};
    assert_int_equal(viv_udp_sendto(tx, "checksum me", 11, &dst), 11);
    assert_int_equal(viv_udp_sendto(tx, NULL, 0, &dst), 0);
    assert_int_equal(viv_udp_sendto(tx, zero_ck, 2, &dst), 2);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    int udp = 0;
    for (size_t i = 0; i < s.n; i++) {
        const uint8_t *f = s.f[i];
        if (rd16(f + 12) != 0x0800 || f[14 + 9] != 17)
            continue;
        const uint8_t *u = f + 34;
        size_t ulen = rd16(u + 4);
        assert_int_not_equal(rd16(u + 6), 0); /* always computed */
        assert_int_equal(udp_sum(rd32(f + 26), rd32(f + 30), u, ulen), 0xffff);
        if (ulen == 10)
            assert_int_equal(rd16(u + 6), 0xffff);
        udp++;
    }
    assert_int_equal(udp, 3);
}

/* Every datagram on the wire, its UDP checksum verified with the word-by-word sum above and
 * its payload compared with the pattern it was sent from; counted by payload length. */
typedef struct cksum_check {
    const uint8_t *pattern;
    uint32_t by_len[1473];
    uint32_t good, bad;
} cksum_check;

static viv_verdict cksum_check_cb(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                  size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                                  void *user)
{
    cksum_check *c = user;
    (void)link;
    (void)dir;
    (void)info;
    (void)delay_ns;
    if (len < 42 || rd16(frame + 12) != 0x0800 || frame[14 + 9] != 17)
        return VIV_VERDICT_DELIVER;
    const uint8_t *u = frame + 34;
    size_t ulen = rd16(u + 4), n = ulen - 8;
    int ok = ulen >= 8 && 34 + ulen <= len && n < 1473 && rd16(u + 6) != 0 &&
             udp_sum(rd32(frame + 26), rd32(frame + 30), u, ulen) == 0xffff &&
             memcmp(u + 8, c->pattern + n % 7, n) == 0;
    if (ok) {
        c->good++;
        c->by_len[n]++;
    } else {
        c->bad++;
    }
    return VIV_VERDICT_DELIVER;
}

/* The payload is copied into the frame and summed in one pass (viv__cksum_copy): datagrams of
 * every length from 0 to 1,472 (the Ethernet MTU's largest), from user buffers at seven
 * alignments, on random bytes, all carry the checksum a word-by-word sum gives and the bytes
 * sent; lengths below and above the vector paths' 256 and 512 bytes included. */
static void test_udp__checksums_right_at_every_length(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    static uint8_t pattern[1472 + 8];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof pattern; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern[i] = (uint8_t)x;
    }
    static cksum_check c;
    memset(&c, 0, sizeof c);
    c.pattern = pattern;
    assert_int_equal(viv_link_set_intercept(p.link, VIV_LINK_AB, cksum_check_cb, &c), 0);
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t dst = l4t_sa(L4T_B, 5000);
    for (size_t n = 0; n <= 1472; n++) {
        assert_int_equal(viv_udp_sendto(tx, pattern + n % 7, n, &dst), (int)n);
        /* Each on its own: none waits on ARP or in the link's queue. */
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(3)), 0);
    }
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.good, 1473);
    for (size_t n = 0; n <= 1472; n++)
        assert_int_equal(c.by_len[n], 1);
    viv_udp_free(tx);
}

/* A device stands in for host a on b's cable and sends hand-made datagrams. */
typedef struct dev_log {
    uint32_t frames;
    uint32_t icmp;
    uint32_t arp;
} dev_log;

static void dev_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                   const viv_frame_info *info, void *user)
{
    dev_log *l = user;
    (void)dev;
    (void)port;
    (void)frame;
    (void)len;
    l->frames++;
    l->icmp += info->has_ip && info->ip_proto == 1;
    l->arp += info->ethertype == 0x0806;
}

static void test_udp__bad_checksum_is_dropped_and_counted(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *b = l4t_host(sim, "b", L4T_B, 24);
    dev_log log = {0};
    viv_device_opts dopts = VIV_DEVICE_OPTS_INIT;
    dopts.rx = dev_rx;
    dopts.user = &log;
    viv_device_t *dev;
    assert_int_equal(viv_device_new(&dev, sim, 1, &dopts), 0);
    l4t_link(sim, viv_device_port(dev, 0), viv_host_port(b, 0), VIV_US(10));
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *rx;
    assert_int_equal(viv_udp_new(&rx, b, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t bt = l4t_sa(VIV_IP4_ANY, 5000);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    viv_mac_t bmac, dmac = {{0x02, 0xaa, 0, 0, 0, 1}};
    assert_int_equal(viv_host_mac(&bmac, b, 0), 0);

    uint8_t f[128];
    /* A good datagram (proves the crafting), one with a wrong checksum, one with a bit
     * flipped in the payload after checksumming, and one with checksum 0 ("none": RFC 768
     * says the receiver accepts it). */
    size_t n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5000, "good", 4, -1);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5000, "bad1", 4, 0x1234);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5000, "bad2", 4, -1);
    f[n - 1] ^= 0x01;
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    /* A bad checksum to an unbound port: dropped before the port lookup, no ICMP. */
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5999, "bad3", 4, 0x4321);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5000, "none", 4, 0);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);

    assert_int_equal(rec.nrx, 2);
    assert_memory_equal(rec.rx[0].bytes, "good", 4);
    assert_memory_equal(rec.rx[1].bytes, "none", 4);
    viv_udp_host_stats_t hs;
    assert_int_equal(viv_host_udp_stats(&hs, b), 0);
    assert_int_equal(hs.rx_datagrams, 5);
    assert_int_equal(hs.rx_checksum, 3);
    assert_int_equal(hs.rx_no_port, 0);
    assert_int_equal(hs.rx_bad, 0);
    assert_int_equal(log.frames, 0); /* b answered nothing */

    /* A good datagram to an unbound port does draw port unreachable (b first resolves the
     * device's address with ARP, which nobody answers here). */
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5999, "port", 4, -1);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    /* A datagram whose length field exceeds the packet: malformed, counted as bad. */
    n = craft_udp(f, &bmac, &dmac, L4T_A, L4T_B, 4000, 5000, "long", 4, -1);
    wr16(f + 34 + 4, 40);
    assert_int_equal(viv_device_send(dev, 0, f, n), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_host_udp_stats(&hs, b), 0);
    assert_int_equal(hs.rx_no_port, 1);
    assert_int_equal(hs.rx_bad, 1);
    assert_int_equal(log.arp, 1);
    assert_int_equal(rec.nrx, 2);
}

/* Every frame of a link corrupted (one random bit each): whatever layer catches it, a
 * datagram is either delivered intact or dropped and counted; never delivered damaged. */
static void test_udp__corrupted_frames_are_never_delivered_damaged(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *tx, *rx;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t bt = l4t_sa(VIV_IP4_ANY, 5000), dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    /* Resolve ARP first, then corrupt everything a sends. */
    assert_int_equal(viv_udp_sendto(tx, "warm", 4, &dst), 4);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rec.nrx, 1);
    viv_link_params lp;
    assert_int_equal(viv_link_params_get(&lp, p.link, VIV_LINK_AB), 0);
    lp.corrupt = 1.0;
    assert_int_equal(viv_link_set_params(p.link, VIV_LINK_AB, &lp), 0);
    enum { N = 200, LEN = 200 };
    uint8_t d[LEN];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < LEN; k++)
            d[k] = (uint8_t)(i + k);
        assert_int_equal(viv_udp_sendto(tx, d, LEN, &dst), LEN);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    }
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_link_stats_t ls;
    assert_int_equal(viv_link_stats(&ls, p.link, VIV_LINK_AB), 0);
    assert_int_equal(ls.corrupted, N);
    viv_udp_host_stats_t hs;
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_udp_stats(&hs, p.b), 0);
    assert_int_equal(viv_host_ip_stats(&ips, p.b), 0);
    uint32_t delivered = rec.nrx - 1;
    /* Delivered ones are intact (a flip in the Ethernet source address or a multicast bit
     * of the destination harms nothing that is checked). */
    for (uint32_t j = 1; j < rec.nrx; j++) {
        assert_int_equal(rec.rx[j].len, LEN);
        uint8_t i0 = (uint8_t)(rec.rx[j].bytes[0]);
        for (int k = 0; k < LEN; k++)
            assert_int_equal(rec.rx[j].bytes[k], (uint8_t)(i0 + k));
    }
    uint64_t dropped = hs.rx_checksum + hs.rx_bad + ips.drop_checksum + ips.drop_malformed +
                       ips.drop_truncated + ips.rx_not_mine + ips.rx_bad_frame +
                       ips.drop_not_mine + ips.drop_proto + ips.drop_fragment + hs.rx_no_port;
    assert_int_equal(delivered + dropped, N);
    /* Most bits are UDP bits: the UDP checksum catches most flips (here exactly). */
    assert_true(hs.rx_checksum > N / 2);
    assert_true(delivered < N / 10);
}

/* ---- sizes and routes ---------------------------------------------------------------------- */

static void test_udp__message_size_limits(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l4t_rec rec, self;
    l4t_rec_init(&rec, sim);
    l4t_rec_init(&self, sim);
    rec.drain = 0;
    self.drain = 0;
    viv_udp_t *tx, *rx, *loop;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, l4t_cb, &rec), 0);
    assert_int_equal(viv_udp_new(&loop, p.a, NULL, l4t_cb, &self), 0);
    viv_sockaddr_t bt = l4t_sa(VIV_IP4_ANY, 5000), dst = l4t_sa(L4T_B, 5000);
    assert_int_equal(viv_udp_bind(rx, &bt), 0);
    assert_int_equal(viv_udp_bind(loop, &bt), 0);
    static uint8_t big[70000];
    /* The interface MTU is 1500: 1472 bytes fit (1500 - 20 - 8), 1473 do not. */
    assert_int_equal(viv_udp_sendto(tx, big, 1472, &dst), 1472);
    assert_int_equal(viv_udp_sendto(tx, big, 1473, &dst), VIV_EMSGSIZE);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    /* To the host's own address nothing limits but IPv4 itself: 65507 bytes. */
    viv_sockaddr_t me = l4t_sa(L4T_A, 5000);
    assert_int_equal(viv_udp_sendto(tx, big, 65507, &me), 65507);
    assert_int_equal(viv_udp_sendto(tx, big, 65508, &me), VIV_EMSGSIZE);
    assert_int_equal(viv_udp_sendto(tx, big, 70000, &dst), VIV_EMSGSIZE);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_peek_len(rx), 1472);
    assert_int_equal(viv_udp_peek_len(loop), 65507);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, tx), 0);
    assert_int_equal(st.tx_datagrams, 2);

    /* A jumbo interface: the limit follows its MTU. */
    viv_host_t *j = l4t_host(sim, "j", 0, 0);
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    io.mtu = 9000;
    assert_int_equal(viv_host_add_iface(j, &io), 1);
    assert_int_equal(viv_host_add_addr(j, 1, VIV_IP4(10, 5, 0, 1), 24), 0);
    viv_udp_t *js;
    assert_int_equal(viv_udp_new(&js, j, NULL, NULL, NULL), 0);
    viv_sockaddr_t jd = l4t_sa(VIV_IP4(10, 5, 0, 2), 9);
    assert_int_equal(viv_udp_sendto(js, big, 8972, &jd), 8972);
    assert_int_equal(viv_udp_sendto(js, big, 8973, &jd), VIV_EMSGSIZE);
}

/* A router whose next link has a smaller MTU answers "fragmentation needed": a connected
 * socket reports VIV_EMSGSIZE. */
static void test_udp__path_mtu_error_on_connected_socket(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *a = l4t_host(sim, "a", VIV_IP4(10, 0, 1, 2), 24);
    viv_host_t *b = l4t_host(sim, "b", 0, 0);
    viv_iface_opts small = VIV_IFACE_OPTS_INIT;
    small.mtu = 576;
    viv_host_t *r;
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.forwarding = 1;
    assert_int_equal(viv_host_new(&r, sim, &ro), 0);
    assert_int_equal(viv_host_add_iface(r, NULL), 0);
    assert_int_equal(viv_host_add_iface(r, &small), 1);
    assert_int_equal(viv_host_add_iface(b, &small), 1);
    assert_int_equal(viv_host_add_addr(r, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(r, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(b, 1, VIV_IP4(10, 0, 2, 2), 24), 0);
    l4t_link(sim, viv_host_port(a, 0), viv_host_port(r, 0), VIV_US(10));
    l4t_link(sim, viv_host_port(r, 1), viv_host_port(b, 1), VIV_US(10));
    assert_int_equal(viv_host_set_gateway(a, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(b, VIV_IP4(10, 0, 2, 1)), 0);
    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    rec.read_error = 1;
    viv_udp_t *c;
    assert_int_equal(viv_udp_new(&c, a, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t peer = l4t_sa(VIV_IP4(10, 0, 2, 2), 9);
    assert_int_equal(viv_udp_connect(c, &peer), 0);
    static uint8_t d[1000];
    assert_int_equal(viv_udp_send(c, d, 1000), 1000); /* fits a's MTU, not the router's */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(rec.last_error, VIV_EMSGSIZE);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, r), 0);
    assert_int_equal(ips.drop_too_big, 1);
    assert_int_equal(viv_udp_send(c, d, 500), 500);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    /* Forwarded: the datagram, and b's port unreachable coming back. */
    assert_int_equal(viv_host_ip_stats(&ips, r), 0);
    assert_int_equal(ips.ip_forwarded, 2);
    assert_int_equal(rec.last_error, VIV_ECONNREFUSED);
}

static void test_udp__no_route_is_network_unreachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t far = l4t_sa(VIV_IP4(192, 168, 1, 1), 53), got;
    assert_int_equal(viv_udp_sendto(s, "q", 1, &far), VIV_ENETUNREACH);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    /* The failed call bound nothing and sent nothing. */
    assert_int_equal(viv_udp_local(&got, s), 0);
    assert_int_equal(got.port, 0);
    viv_udp_stats_t st;
    assert_int_equal(viv_udp_stats(&st, s), 0);
    assert_int_equal(st.tx_datagrams, 0);
    /* With a default route it goes (and the gateway, here b, drops it: not a router). */
    assert_int_equal(viv_host_set_gateway(p.a, L4T_B), 0);
    assert_int_equal(viv_udp_sendto(s, "q", 1, &far), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, p.b), 0);
    assert_int_equal(ips.drop_not_mine, 1);
}

/* A socket keeps the last path it chose (route, next hop, source address) while the host's
 * routes and addresses stay as they were: every change of either must be seen by the next
 * datagram, including an address change that leaves the routes alone. */
static void test_udp__cached_path_follows_route_and_address_changes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *tx, *rx, *self;
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&self, p.a, NULL, NULL, NULL), 0);
    viv_sockaddr_t any5000 = l4t_sa(VIV_IP4_ANY, 5000), any6000 = l4t_sa(VIV_IP4_ANY, 6000);
    assert_int_equal(viv_udp_bind(rx, &any5000), 0);
    assert_int_equal(viv_udp_bind(self, &any6000), 0);
    l4t_arp_warm(sim, p.a, L4T_B);

    /* Routes: no route, a default route, none again. */
    viv_sockaddr_t far = l4t_sa(VIV_IP4(192, 168, 1, 1), 53);
    assert_int_equal(viv_udp_sendto(tx, "q", 1, &far), VIV_ENETUNREACH);
    assert_int_equal(viv_host_set_gateway(p.a, L4T_B), 0);
    assert_int_equal(viv_udp_sendto(tx, "q", 1, &far), 1);
    assert_int_equal(viv_udp_sendto(tx, "q", 1, &far), 1); /* from the cache */
    assert_int_equal(viv_host_route_del(p.a, 0, 0), 1);
    assert_int_equal(viv_udp_sendto(tx, "q", 1, &far), VIV_ENETUNREACH);

    /* Addresses: the source follows the interface's addresses although the connected route
     * 10.0.0.0/24 stays (another address keeps it). */
    viv_sockaddr_t b5000 = l4t_sa(L4T_B, 5000), from;
    uint8_t buf[8];
    assert_int_equal(viv_udp_sendto(tx, "1", 1, &b5000), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_recvfrom(rx, buf, sizeof buf, &from, NULL), 1);
    assert_int_equal(from.ip, L4T_A);
    assert_int_equal(viv_host_add_addr(p.a, 0, VIV_IP4(10, 0, 0, 7), 24), 0);
    assert_int_equal(viv_host_del_addr(p.a, L4T_A), 0);
    assert_int_equal(viv_udp_sendto(tx, "2", 1, &b5000), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_recvfrom(rx, buf, sizeof buf, &from, NULL), 1);
    assert_int_equal(from.ip, VIV_IP4(10, 0, 0, 7));

    /* An address that becomes the host's own: the next datagram to it is delivered locally
     * (the one before waits for an ARP answer that never comes). */
    viv_sockaddr_t nine = l4t_sa(VIV_IP4(10, 0, 0, 9), 6000);
    assert_int_equal(viv_udp_sendto(tx, "w", 1, &nine), 1);
    assert_int_equal(viv_host_add_addr(p.a, 0, VIV_IP4(10, 0, 0, 9), 24), 0);
    assert_int_equal(viv_udp_sendto(tx, "L", 1, &nine), 1);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_recvfrom(self, buf, sizeof buf, &from, NULL), 1);
    assert_int_equal(buf[0], 'L');
    assert_int_equal(from.ip, VIV_IP4(10, 0, 0, 9));
    assert_int_equal(viv_udp_recv(self, buf, sizeof buf), VIV_EAGAIN);
}

/* ---- broadcast ----------------------------------------------------------------------------- */

static void test_udp__broadcast_needs_the_option(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_lan lan;
    l4t_lan_build(&lan, sim, 3);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, lan.h[0], NULL, NULL, NULL), 0);
    viv_sockaddr_t lim = l4t_sa(VIV_IP4_BROADCAST, 7), dir = l4t_sa(L4T_LAN_BCAST, 7), got;
    assert_int_equal(viv_udp_sendto(s, "x", 1, &lim), VIV_EACCES);
    assert_string_not_equal(viv_sim_errmsg(sim), "");
    assert_int_equal(viv_udp_sendto(s, "x", 1, &dir), VIV_EACCES);
    assert_int_equal(viv_udp_local(&got, s), 0);
    assert_int_equal(got.port, 0);
    /* Connecting to a broadcast address needs the option too, as on Linux. */
    assert_int_equal(viv_udp_connect(s, &dir), VIV_EACCES);
    assert_int_equal(viv_udp_connect(s, &lim), VIV_EACCES);
    assert_int_equal(viv_udp_send(s, "x", 1), VIV_ENOTCONN);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    viv_port_stats_t ps;
    assert_int_equal(viv_port_stats(&ps, viv_host_port(lan.h[0], 0)), 0);
    assert_int_equal(ps.tx_frames, 0);
}

static void test_udp__broadcast_reaches_the_subnet_only(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_lan lan;
    l4t_lan_build(&lan, sim, 4);
    viv_udp_opts bo = VIV_UDP_OPTS_INIT;
    bo.broadcast = 1;
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, lan.h[0], &bo, NULL, NULL), 0);
    viv_sockaddr_t src = l4t_sa(VIV_IP4_ANY, 68);
    assert_int_equal(viv_udp_bind(tx, &src), 0);
    /* Listeners on port 67: h2, h3 (two sockets sharing it with reuse_addr), the far host,
     * the sender's own host; h4 listens on another address than the wildcard. */
    l4t_rec rec[6];
    viv_udp_t *s[6];
    viv_host_t *where[6] = {lan.h[1], lan.h[2], lan.h[2], lan.far, lan.h[0], lan.h[3]};
    viv_udp_opts ro = VIV_UDP_OPTS_INIT;
    ro.reuse_addr = 1;
    for (int i = 0; i < 6; i++) {
        l4t_rec_init(&rec[i], sim);
        assert_int_equal(viv_udp_new(&s[i], where[i], &ro, l4t_cb, &rec[i]), 0);
        viv_sockaddr_t a = l4t_sa(i == 5 ? L4T_LAN_IP(3) : VIV_IP4_ANY, 67);
        assert_int_equal(viv_udp_bind(s[i], &a), 0);
    }
    viv_sockaddr_t lim = l4t_sa(VIV_IP4_BROADCAST, 67), dir = l4t_sa(L4T_LAN_BCAST, 67);
    assert_int_equal(viv_udp_sendto(tx, "limited", 7, &lim), 7);
    assert_int_equal(viv_udp_sendto(tx, "directed", 8, &dir), 8);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    /* Every wildcard socket on the subnet gets both, with the sender's address. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rec[i].nrx, 2);
        assert_int_equal(rec[i].rx[0].len, 7);
        assert_memory_equal(rec[i].rx[0].bytes, "limited", 7);
        assert_memory_equal(rec[i].rx[1].bytes, "directed", 8);
        assert_int_equal(rec[i].rx[0].from.ip, L4T_LAN_IP(0));
        assert_int_equal(rec[i].rx[0].from.port, 68);
    }
    /* Not forwarded by the router; not looped back to the sender's host; not delivered to
     * a socket bound to a unicast address (as BSD and Linux do). */
    assert_int_equal(rec[3].nrx, 0);
    assert_int_equal(rec[4].nrx, 0);
    assert_int_equal(rec[5].nrx, 0);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, lan.r), 0);
    assert_int_equal(ips.ip_forwarded, 0);
    /* The router never had a UDP socket: its UDP layer takes the datagrams all the same
     * and counts them as for no port (IPv4 knows the protocol). No ICMP about a broadcast. */
    viv_udp_host_stats_t hs;
    assert_int_equal(ips.drop_proto, 0);
    assert_int_equal(viv_host_udp_stats(&hs, lan.r), 0);
    assert_int_equal(hs.rx_datagrams, 2);
    assert_int_equal(hs.rx_no_port, 2);
    assert_int_equal(viv_host_udp_stats(&hs, lan.h[3]), 0);
    assert_int_equal(hs.rx_no_port, 2);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(viv_host_ip_stats(&ips, lan.h[i]), 0);
        assert_int_equal(ips.icmp_tx, 0);
    }
    assert_int_equal(viv_host_ip_stats(&ips, lan.r), 0);
    assert_int_equal(ips.icmp_tx, 0);

    /* The far host sending to the LAN's directed broadcast: it cannot know it is one, so it
     * needs no option; the router refuses to forward it onto its own subnet. */
    viv_udp_t *ft;
    assert_int_equal(viv_udp_new(&ft, lan.far, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_sendto(ft, "remote", 6, &dir), 6);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_host_ip_stats(&ips, lan.r), 0);
    assert_int_equal(ips.drop_broadcast, 1);
    assert_int_equal(ips.ip_forwarded, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rec[i].nrx, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_udp__datagram_boundaries_are_kept),
        T(test_udp__peek_reads_in_place_and_discard_drops),
        T(test_udp__discard_returns_a_stored_error_once),
        T(test_udp__short_buffer_truncates_and_flags),
        T(test_udp__receive_queue_limit_drops_and_counts),
        T(test_udp__zero_length_flood_pins_about_the_buffer),
        T(test_udp__small_buffer_takes_eight_full_datagrams_of_short_ones),
        T(test_udp__full_size_datagrams_meet_the_payload_bound),
        T(test_udp__frame_pool_gives_memory_back_after_a_flood),
        T(test_udp__steady_traffic_allocates_no_frames),
        T(test_udp__null_handles_and_outputs_are_einval),
        T(test_udp__checksums_are_sent),
    T(test_udp__checksums_right_at_every_length),
        T(test_udp__bad_checksum_is_dropped_and_counted),
        T(test_udp__corrupted_frames_are_never_delivered_damaged),
        T(test_udp__message_size_limits),
        T(test_udp__path_mtu_error_on_connected_socket),
        T(test_udp__no_route_is_network_unreachable),
        T(test_udp__cached_path_follows_route_and_address_changes),
        T(test_udp__broadcast_needs_the_option),
        T(test_udp__broadcast_reaches_the_subnet_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
