/* A device standing for a TCP host's peer (10.0.0.9), shared by the tests that send crafted
 * segments (test_tcp_crafted.c, test_tcp_options.c): the host h (10.0.0.1) on a 10 us cable
 * to the device, which answers ARP for the peer's address and keeps every TCP segment it
 * receives (parsed, checksums verified, the first bytes of data and of the IPv4 packet), and
 * a sender of segments built from a repr. */
#ifndef VIV_TEST_TCP_PEER_H
#define VIV_TEST_TCP_PEER_H

#include "tcp_test.h"

#include "core/bytes.h"
#include "l4/tcp_int.h"
#include "wire/wire.h"

#define HOST_IP VIV_IP4(10, 0, 0, 1)
#define PEER_IP VIV_IP4(10, 0, 0, 9)
#define PEER_PORT 40000
#define PEER_ISN 1000u
#define MAXRX 64

typedef struct rxseg {
    struct viv__tcp_repr t;
    uint8_t data[64];
    uint8_t ip[64]; /* the packet from its IPv4 header (for ICMP quotes) */
    size_t ip_len;
    viv_time_t at;
} rxseg;

typedef struct bench {
    tt_world w;
    viv_device_t *dev;
    viv_mac_t mac, host_mac;
    rxseg rx[MAXRX]; /* TCP segments the device received, checksums verified */
    size_t nrx;
    uint32_t iss; /* the host's ISS, from its SYN-ACK */
} bench;

static const viv_mac_t bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static inline void dev_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                          const viv_frame_info *info, void *user)
{
    bench *b = user;
    (void)port;
    if (info->ethertype == VIV__ETHERTYPE_ARP) {
        struct viv__arp_repr a;
        if (viv__arp_parse(frame + 14, len - 14, &a) < 0 || a.op != VIV__ARP_OP_REQUEST ||
            a.tpa != PEER_IP)
            return;
        uint8_t r[60] = {0};
        struct viv__eth_repr e = {a.sha, b->mac, VIV__ETHERTYPE_ARP};
        viv__eth_emit(&e, r, sizeof r);
        struct viv__arp_repr rep = {VIV__ARP_OP_REPLY, b->mac, PEER_IP, a.sha, a.spa};
        viv__arp_emit(&rep, r + 14, VIV__ARP_LEN);
        assert_int_equal(viv_device_send(dev, 0, r, sizeof r), 0);
        return;
    }
    struct viv__ipv4_repr ip;
    assert_int_equal(viv__ipv4_parse(frame + 14, len - 14, &ip), 0);
    if (ip.proto != VIV__IP_PROTO_TCP)
        return;
    assert_true(b->nrx < MAXRX);
    rxseg *s = &b->rx[b->nrx++];
    assert_int_equal(viv__tcp_parse(frame + 14 + ip.hdr_len, ip.payload_len, ip.src, ip.dst, &s->t),
                     0);
    size_t n = s->t.payload_len < sizeof s->data ? s->t.payload_len : sizeof s->data;
    memcpy(s->data, frame + 14 + ip.hdr_len + s->t.payload_off, n);
    s->ip_len = len - 14 < sizeof s->ip ? len - 14 : sizeof s->ip;
    memcpy(s->ip, frame + 14, s->ip_len);
    s->at = viv_sim_now(b->w.sim);
}

/* The host and the device, the host having learnt the peer's MAC from its ARP request
 * (RFC 826); the trace is on. */
static inline void bench_build(bench *b, viv_sim_t *sim)
{
    memset(b, 0, sizeof(*b));
    tt_world *w = &b->w;
    w->sim = sim;
    w->a = tt_host(sim, "h", HOST_IP);
    assert_int_equal(viv_host_mac(&b->host_mac, w->a, 0), 0);
    viv_device_opts dopt = VIV_DEVICE_OPTS_INIT;
    dopt.name = "peer";
    dopt.rx = dev_rx;
    dopt.user = b;
    assert_int_equal(viv_device_new(&b->dev, sim, 1, &dopt), 0);
    b->mac = (viv_mac_t){{0x02, 0, 0, 0, 0, 0x09}};
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(10);
    assert_int_equal(
        viv_link_new(&w->link, sim, viv_host_port(w->a, 0), viv_device_port(b->dev, 0), &lp), 0);
    uint8_t r[60] = {0};
    struct viv__eth_repr e = {bcast_mac, b->mac, VIV__ETHERTYPE_ARP};
    viv__eth_emit(&e, r, sizeof r);
    struct viv__arp_repr req = {VIV__ARP_OP_REQUEST, b->mac, PEER_IP, {{0}}, HOST_IP};
    viv__arp_emit(&req, r + 14, VIV__ARP_LEN);
    assert_int_equal(viv_device_send(b->dev, 0, r, sizeof r), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_sim_trace(sim, tt_trace, w), 0);
}

/* Send the segment t (ports and payload length filled here; its window as it is, 0 a zero
 * window) with data from the peer to the host; corrupt flips a bit of its checksum. */
static inline void peer_send_as_is(bench *b, struct viv__tcp_repr *t, const char *data,
                                   uint16_t sport, uint16_t dport, int corrupt)
{
    uint8_t buf[600];
    memset(buf, 0, sizeof buf);
    size_t n = data ? strlen(data) : 0;
    t->src_port = sport;
    t->dst_port = dport;
    t->payload_len = n;
    size_t tl = viv__tcp_len(t);
    uint8_t *l4 = buf + 34;
    assert_true(34 + tl + n <= sizeof buf);
    if (n)
        memcpy(l4 + tl, data, n);
    assert_int_equal(viv__tcp_emit(t, PEER_IP, HOST_IP, l4, tl + n), 0);
    if (corrupt)
        l4[17] ^= 1;
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_TCP;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)(tl + n);
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + tl + n), 0);
    struct viv__eth_repr e = {b->host_mac, b->mac, VIV__ETHERTYPE_IPV4};
    size_t len = 34 + tl + n < 60 ? 60 : 34 + tl + n;
    viv__eth_emit(&e, buf, len);
    assert_int_equal(viv_device_send(b->dev, 0, buf, len), 0);
}

/* peer_send_as_is with a 64240 window when t has none. */
static inline void peer_send(bench *b, struct viv__tcp_repr *t, const char *data, uint16_t sport,
                             uint16_t dport, int corrupt)
{
    if (!t->window)
        t->window = 64240;
    peer_send_as_is(b, t, data, sport, dport, corrupt);
}

/* ---- helpers the crafted-segment tests share ------------------------------------------- */

/* Run the simulation 10 ms on (every reply to a crafted segment has come by then). */
static inline void peer_run(bench *b)
{
    assert_int_equal(viv_sim_run_for(b->w.sim, VIV_MS(10)), 0);
}

/* One hop from the device to the host or back: a frame of len bytes (padded to 60) at the
 * link's 1 Gb/s, and the bench's 10 us cable. */
static inline viv_time_t peer_hop(size_t len)
{
    return tt_ser(len) + VIV_US(10);
}

/* A connection's viv_tcp_info (asserting it can be read). */
static inline viv_tcp_info peer_info(const tt_sock *k)
{
    viv_tcp_info ti;
    assert_int_equal(viv_tcp_info_get(&ti, k->s), 0);
    return ti;
}

/* The host's TCP statistics. */
static inline viv_tcp_host_stats peer_hstats(bench *b)
{
    viv_tcp_host_stats st;
    assert_int_equal(viv_host_tcp_stats(&st, b->w.a), 0);
    return st;
}

/* n bytes of 'x' (n < 512), in a buffer the next call overwrites. */
static inline const char *peer_xs(size_t n)
{
    static char buf[512];
    assert_true(n < sizeof buf);
    memset(buf, 'x', n);
    buf[n] = 0;
    return buf;
}

/* Check the i-th segment the host sent: flags, seq, ack, window, data length. */
static inline void peer_expect(const bench *b, size_t i, uint8_t flags, uint32_t seq,
                               uint32_t ack, uint16_t win, size_t len)
{
    assert_true(i < b->nrx);
    const struct viv__tcp_repr *t = &b->rx[i].t;
    assert_int_equal(t->flags, flags);
    assert_int_equal(t->seq, seq);
    assert_int_equal(t->ack, ack);
    assert_int_equal(t->window, win);
    assert_int_equal(t->payload_len, len);
}

/* An ICMP error from the device (PEER_IP) to the host, quoting quote_len bytes (an IPv4
 * header and the first 8 bytes of TCP, as a router would); mtu is the next-hop MTU of a
 * fragmentation needed (0 otherwise). */
static inline void peer_send_icmp(bench *b, uint8_t type, uint8_t code, uint16_t mtu,
                                  const uint8_t *quote, size_t quote_len)
{
    uint8_t buf[128];
    memset(buf, 0, sizeof buf);
    struct viv__icmp_repr m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.code = code;
    m.next_hop_mtu = mtu;
    m.data = quote;
    m.data_len = quote_len;
    size_t il = viv__icmp_len(&m);
    assert_true(34 + il <= sizeof buf);
    assert_int_equal(viv__icmp_emit(&m, buf + 34, il), 0);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_ICMP;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)il;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + il), 0);
    struct viv__eth_repr e = {b->host_mac, b->mac, VIV__ETHERTYPE_IPV4};
    viv__eth_emit(&e, buf, 34 + il);
    assert_int_equal(viv_device_send(b->dev, 0, buf, 34 + il < 60 ? 60 : 34 + il), 0);
}

#endif
