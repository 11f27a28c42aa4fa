/* TCP on a host with no TCP socket: the CLOSED state of RFC 9293 section 3.10.7.1. A device
 * (a program's own node) sends crafted segments to a host and records what comes back:
 *   - a reset is discarded;
 *   - a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>;
 *   - any other gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN and FIN counting in
 *     SEG.LEN;
 *   - nothing answers a bad checksum (counted), a broadcast or multicast, nor with ICMP
 *     protocol unreachable any more.
 * The resets are decoded by tshark (when installed) with no malformed packet and good
 * checksums. */
#include "viv_test.h"

#include <stdio.h>
#include <string.h>

#include "l4/l4.h"
#include "wire/wire.h"

#define HOST_IP VIV_IP4(10, 0, 0, 1)
#define PEER_IP VIV_IP4(10, 0, 0, 9)
#define SUBNET_BCAST VIV_IP4(10, 0, 0, 255)
#define MAXRX 16

typedef struct rx_frame {
    uint8_t b[256];
    size_t len;
    viv_frame_info info;
} rx_frame;

/* The test bench: host h (10.0.0.1/24) and a device standing for 10.0.0.9 on one cable. */
typedef struct bench {
    viv_sim_t *sim;
    viv_host_t *h;
    viv_device_t *dev;
    viv_link_t *link;
    viv_mac_t mac, host_mac;
    rx_frame rx[MAXRX]; /* the IPv4 frames the device received */
    size_t nrx;
} bench;

static const viv_mac_t bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static void dev_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                   const viv_frame_info *info, void *user)
{
    bench *b = user;
    (void)port;
    if (info->ethertype == VIV__ETHERTYPE_ARP) { /* answer for the peer's address */
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
    assert_true(b->nrx < MAXRX);
    rx_frame *f = &b->rx[b->nrx++];
    assert_true(len <= sizeof f->b);
    memcpy(f->b, frame, len);
    f->len = len;
    f->info = *info;
}

static void bench_build(bench *b, viv_sim_t *sim)
{
    memset(b, 0, sizeof(*b));
    b->sim = sim;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "h";
    assert_int_equal(viv_host_new(&b->h, sim, &ho), 0);
    assert_int_equal(viv_host_add_iface(b->h, NULL), 0);
    assert_int_equal(viv_host_add_addr(b->h, 0, HOST_IP, 24), 0);
    assert_int_equal(viv_host_mac(&b->host_mac, b->h, 0), 0);
    viv_device_opts dopt = VIV_DEVICE_OPTS_INIT;
    dopt.name = "peer";
    dopt.rx = dev_rx;
    dopt.user = b;
    assert_int_equal(viv_device_new(&b->dev, sim, 1, &dopt), 0);
    b->mac = (viv_mac_t){{0x02, 0, 0, 0, 0, 0x09}};
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(10);
    assert_int_equal(viv_link_new(&b->link, sim, viv_host_port(b->h, 0),
                                  viv_device_port(b->dev, 0), &lp),
                     0);
    /* The device asks for the host's address: the host learns the peer from the request
     * (RFC 826), so that answers never wait for ARP (which queues only three packets). */
    uint8_t r[60] = {0};
    struct viv__eth_repr e = {bcast_mac, b->mac, VIV__ETHERTYPE_ARP};
    viv__eth_emit(&e, r, sizeof r);
    struct viv__arp_repr req = {VIV__ARP_OP_REQUEST, b->mac, PEER_IP, {{0}}, HOST_IP};
    viv__arp_emit(&req, r + 14, VIV__ARP_LEN);
    assert_int_equal(viv_device_send(b->dev, 0, r, sizeof r), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b->nrx, 0);
}

/* One segment from the device. dst_mac NULL: the host's MAC. corrupt: flip a checksum bit. */
typedef struct seg {
    viv_ip4_t src, dst;
    const viv_mac_t *dst_mac;
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, ack;
    const char *data;
    int corrupt;
} seg;

static void send_seg(bench *b, const seg *s)
{
    uint8_t buf[256];
    memset(buf, 0, sizeof buf);
    size_t n = s->data ? strlen(s->data) : 0;
    struct viv__tcp_repr t;
    memset(&t, 0, sizeof t);
    t.src_port = s->sport;
    t.dst_port = s->dport;
    t.seq = s->seq;
    t.ack = s->ack;
    t.flags = s->flags;
    t.window = 64240;
    if (s->flags & VIV__TCP_SYN) { /* options as a SYN carries them */
        t.mss = 1460;
        t.sack_permitted = true;
        t.wscale_present = true;
        t.wscale = 7;
    }
    t.payload_len = n;
    size_t tl = viv__tcp_len(&t);
    uint8_t *l4 = buf + 14 + 20;
    if (n)
        memcpy(l4 + tl, s->data, n);
    assert_int_equal(viv__tcp_emit(&t, s->src, s->dst, l4, tl + n), 0);
    if (s->corrupt)
        l4[17] ^= 1;
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = s->src;
    ip.dst = s->dst;
    ip.proto = VIV__IP_PROTO_TCP;
    ip.ttl = 64;
    ip.dont_frag = true;
    ip.payload_len = (uint16_t)(tl + n);
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + tl + n), 0);
    struct viv__eth_repr e = {s->dst_mac ? *s->dst_mac : b->host_mac, b->mac,
                              VIV__ETHERTYPE_IPV4};
    size_t len = 14 + 20 + tl + n;
    if (len < 60)
        len = 60;
    viv__eth_emit(&e, buf, len);
    assert_int_equal(viv_device_send(b->dev, 0, buf, len), 0);
}

/* A segment from the peer's port 40000 to the host's port 80. */
static seg seg_to_host(uint8_t flags, uint32_t seq, uint32_t ack, const char *data)
{
    seg s = {PEER_IP, HOST_IP, NULL, 40000, 80, flags, seq, ack, data, 0};
    return s;
}

/* The reset the device received as frame k, parsed (checksum checked). */
static struct viv__tcp_repr reply(const bench *b, size_t k)
{
    assert_true(k < b->nrx);
    const rx_frame *f = &b->rx[k];
    assert_int_equal(f->info.ethertype, VIV__ETHERTYPE_IPV4);
    struct viv__ipv4_repr ip;
    assert_int_equal(viv__ipv4_parse(f->b + 14, f->len - 14, &ip), 0);
    assert_int_equal(ip.proto, VIV__IP_PROTO_TCP);
    assert_int_equal(ip.src, HOST_IP);
    assert_int_equal(ip.dst, PEER_IP);
    assert_int_equal(ip.payload_len, 20); /* a bare header: no options, no data */
    struct viv__tcp_repr t;
    assert_int_equal(viv__tcp_parse(f->b + 14 + ip.hdr_len, ip.payload_len, ip.src, ip.dst, &t),
                     0);
    assert_int_equal(t.src_port, 80);
    assert_int_equal(t.dst_port, 40000);
    assert_int_equal(t.window, 0);
    assert_int_equal(t.urgent, 0);
    assert_int_equal(t.payload_len, 0);
    return t;
}

static viv__tcp_host_stats tcp_stats(const bench *b)
{
    viv__tcp_host_stats st;
    viv__tcp_host_stats_get(&st, b->h);
    return st;
}

/* No ICMP error left the host, and IPv4 knew every protocol it got. */
static void assert_no_icmp(const bench *b)
{
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, b->h), 0);
    assert_int_equal(ips.icmp_errors_tx, 0);
    assert_int_equal(ips.icmp_tx, 0);
    assert_int_equal(ips.drop_proto, 0);
}

#define CHECKS "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "

static void test_tcp_closed__syn_gets_one_rst_ack(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    char path[512];
    snprintf(path, sizeof path, "%s/tcp_closed_syn.pcap", VIV_TEST_TMPDIR);
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(cap, b.link, VIV_LINK_BOTH), 0);
    /* Before any segment, TCP has no state on the host and counts nothing. */
    viv__tcp_host_stats st = tcp_stats(&b);
    assert_int_equal(st.rx_segments, 0);
    assert_null(viv__host_l4_ctx(b.h, VIV__IP_PROTO_TCP));

    const uint32_t isn = 0x12345678u;
    seg s = seg_to_host(VIV__TCP_SYN, isn, 0, NULL);
    send_seg(&b, &s);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 1); /* exactly one answer */
    struct viv__tcp_repr r = reply(&b, 0);
    assert_int_equal(r.flags, VIV__TCP_RST | VIV__TCP_ACK);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.ack, isn + 1);
    assert_int_equal(r.mss, 0); /* no options on a reset */
    assert_false(r.sack_permitted);
    st = tcp_stats(&b);
    assert_int_equal(st.rx_segments, 1);
    assert_int_equal(st.rx_no_socket, 1);
    assert_int_equal(st.tx_rst, 1);
    assert_int_equal(st.tx_failed + st.rx_checksum + st.rx_bad + st.rx_broadcast, 0);
    assert_no_icmp(&b);
    assert_int_equal(viv_host_netstat(b.h, NULL, 0), 0);

    viv_pcap_close(cap);
    const char *out = viv_test_tshark(path, CHECKS "-T fields -E separator=, -e ip.src "
                                                   "-e ip.dst -e tcp.srcport -e tcp.dstport "
                                                   "-e tcp.flags.str -e tcp.seq_raw "
                                                   "-e tcp.ack_raw -e tcp.len");
    if (!out)
        skip();
    /* The SYN and the reset (ARP was resolved before the capture began). */
    assert_string_equal(out, "10.0.0.9,10.0.0.1,40000,80,··········S·,305419896,0,0\n"
                             "10.0.0.1,10.0.0.9,80,40000,·······A·R··,0,305419897,0\n");
    out = viv_test_tshark(path, CHECKS "-Y \"_ws.malformed || _ws.expert.severity >= "
                                       "0x00800000 || ip.checksum.status == 0 || "
                                       "tcp.checksum.status == 0\"");
    assert_string_equal(out, "");
    out = viv_test_tshark(path, CHECKS "-Y \"tcp.checksum.status == 1\" -T fields "
                                       "-e frame.number");
    assert_string_equal(out, "1\n2\n"); /* both checksums verified good */
}

static void test_tcp_closed__ack_gets_rst_with_seq_seg_ack(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    seg s = seg_to_host(VIV__TCP_ACK | VIV__TCP_PSH, 1000, 0xfedcba98u, "hello");
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_ACK, 5, 7, NULL); /* a bare ACK */
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_SYN | VIV__TCP_ACK, 9, 77, NULL); /* a stray SYN-ACK */
    send_seg(&b, &s);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 3);
    const uint32_t want[3] = {0xfedcba98u, 7, 77};
    for (size_t k = 0; k < 3; k++) {
        struct viv__tcp_repr r = reply(&b, k);
        assert_int_equal(r.flags, VIV__TCP_RST);
        assert_int_equal(r.seq, want[k]);
        assert_int_equal(r.ack, 0);
    }
    viv__tcp_host_stats st = tcp_stats(&b);
    assert_int_equal(st.rx_no_socket, 3);
    assert_int_equal(st.tx_rst, 3);
    assert_no_icmp(&b);
}

static void test_tcp_closed__rst_is_discarded(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    seg s = seg_to_host(VIV__TCP_RST, 1, 0, NULL);
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_RST | VIV__TCP_ACK, 1, 2, NULL);
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_RST | VIV__TCP_SYN, 1, 0, "x");
    send_seg(&b, &s);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 0);
    viv_port_stats_t ps;
    assert_int_equal(viv_port_stats(&ps, viv_host_port(b.h, 0)), 0);
    assert_int_equal(ps.tx_frames, 1); /* the ARP reply of bench_build, nothing since */
    viv__tcp_host_stats st = tcp_stats(&b);
    assert_int_equal(st.rx_segments, 3);
    assert_int_equal(st.rx_no_socket, 3);
    assert_int_equal(st.rx_rst_closed, 3);
    assert_int_equal(st.tx_rst, 0);
    assert_no_icmp(&b);
}

static void test_tcp_closed__bad_segments_are_counted_and_dropped(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    seg s = seg_to_host(VIV__TCP_SYN, 1, 0, NULL);
    s.corrupt = 1;
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_ACK, 1, 2, "data");
    s.corrupt = 1;
    send_seg(&b, &s);
    /* A header cut short: the IP payload holds 12 bytes of a TCP header. */
    uint8_t buf[60] = {0};
    struct viv__eth_repr e = {b.host_mac, b.mac, VIV__ETHERTYPE_IPV4};
    viv__eth_emit(&e, buf, sizeof buf);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = VIV__IP_PROTO_TCP;
    ip.ttl = 64;
    ip.payload_len = 12;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 32), 0);
    assert_int_equal(viv_device_send(b.dev, 0, buf, sizeof buf), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 0);
    viv__tcp_host_stats st = tcp_stats(&b);
    assert_int_equal(st.rx_segments, 3);
    assert_int_equal(st.rx_checksum, 2);
    assert_int_equal(st.rx_bad, 1);
    assert_int_equal(st.rx_no_socket, 0);
    assert_int_equal(st.tx_rst, 0);
    assert_no_icmp(&b);
}

/* SEG.LEN counts the data, SYN and FIN; the sum wraps modulo 2^32. */
static void test_tcp_closed__seg_len_counts_syn_fin_and_data(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    seg s = seg_to_host(VIV__TCP_FIN, 5000, 0, "0123456789"); /* FIN and 10 bytes */
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_SYN | VIV__TCP_FIN, 100, 0, "abc"); /* both, and 3 bytes */
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_PSH, 42, 0, "abcd"); /* data alone, no control bit */
    send_seg(&b, &s);
    s = seg_to_host(VIV__TCP_SYN, 0xffffffffu, 0, NULL); /* wraps to 0 */
    send_seg(&b, &s);
    s = seg_to_host(0, 77, 0, NULL); /* nothing at all: SEG.LEN 0 */
    send_seg(&b, &s);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 5);
    const uint32_t want[5] = {5011, 105, 46, 0, 77};
    for (size_t k = 0; k < 5; k++) {
        struct viv__tcp_repr r = reply(&b, k);
        assert_int_equal(r.flags, VIV__TCP_RST | VIV__TCP_ACK);
        assert_int_equal(r.seq, 0);
        assert_int_equal(r.ack, want[k]);
    }
    assert_int_equal(tcp_stats(&b).tx_rst, 5);
    assert_no_icmp(&b);
}

/* Never an answer to a broadcast or multicast: to the subnet's or the limited broadcast
 * address, in a link-layer broadcast frame, or from a group or wildcard source. */
static void test_tcp_closed__broadcasts_are_never_answered(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    seg s[5] = {
        {PEER_IP, SUBNET_BCAST, &bcast_mac, 40000, 80, VIV__TCP_SYN, 1, 0, NULL, 0},
        {PEER_IP, VIV_IP4_BROADCAST, &bcast_mac, 40000, 80, VIV__TCP_SYN, 1, 0, NULL, 0},
        {PEER_IP, HOST_IP, &bcast_mac, 40000, 80, VIV__TCP_SYN, 1, 0, NULL, 0},
        {VIV_IP4(224, 0, 0, 1), HOST_IP, NULL, 40000, 80, VIV__TCP_SYN, 1, 0, NULL, 0},
        {SUBNET_BCAST, HOST_IP, NULL, 40000, 80, VIV__TCP_ACK, 1, 2, NULL, 0},
    };
    for (int i = 0; i < 5; i++)
        send_seg(&b, &s[i]);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 0);
    viv__tcp_host_stats st = tcp_stats(&b);
    assert_int_equal(st.rx_segments, 5);
    assert_int_equal(st.rx_broadcast, 5);
    assert_int_equal(st.tx_rst, 0);
    assert_no_icmp(&b);
    /* And a unicast SYN still gets its reset. */
    seg u = seg_to_host(VIV__TCP_SYN, 1, 0, NULL);
    send_seg(&b, &u);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(reply(&b, 0).ack, 2);
}

/* A raw IPv4 packet from the device: protocol proto, payload body (n bytes). */
static void send_ip(bench *b, uint8_t proto, const uint8_t *body, size_t n)
{
    uint8_t buf[128] = {0};
    assert_true(14 + 20 + n <= sizeof buf);
    struct viv__eth_repr e = {b->host_mac, b->mac, VIV__ETHERTYPE_IPV4};
    size_t len = 14 + 20 + n < 60 ? 60 : 14 + 20 + n;
    viv__eth_emit(&e, buf, len);
    memcpy(buf + 34, body, n);
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = PEER_IP;
    ip.dst = HOST_IP;
    ip.proto = proto;
    ip.ttl = 64;
    ip.payload_len = (uint16_t)n;
    assert_int_equal(viv__ipv4_emit(&ip, buf + 14, 20 + n), 0);
    assert_int_equal(viv_device_send(b->dev, 0, buf, len), 0);
}

/* A UDP datagram from the peer's port 5353 to the host's port dport. */
static void send_udp(bench *b, uint16_t dport, int corrupt)
{
    uint8_t d[8 + 4];
    memcpy(d + 8, "ping", 4);
    struct viv__udp_repr u = {5353, dport, 4};
    assert_int_equal(viv__udp_emit(&u, PEER_IP, HOST_IP, d, sizeof d), 0);
    if (corrupt)
        d[6] ^= 1;
    send_ip(b, VIV__IP_PROTO_UDP, d, sizeof d);
}

/* On a host that never had a socket, each transport answers for itself: UDP with port
 * unreachable (and, checking the checksum first, nothing for a corrupt datagram), TCP with a
 * reset, and IPv4 with protocol unreachable only for a protocol nobody has. A UDP socket
 * bound to the port changes nothing for TCP. */
static void test_tcp_closed__each_transport_answers_for_itself(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    send_udp(&b, 80, 0);
    send_udp(&b, 80, 1);
    seg s = seg_to_host(VIV__TCP_SYN, 10, 0, NULL);
    send_seg(&b, &s);
    static const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    send_ip(&b, 200, junk, sizeof junk); /* protocol 200: nobody speaks it */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[0].info.ip_proto, VIV__IP_PROTO_ICMP);
    assert_int_equal(b.rx[0].info.icmp_type, 3);
    assert_int_equal(b.rx[0].info.icmp_code, 3); /* port unreachable */
    assert_int_equal(reply(&b, 1).ack, 11);
    assert_int_equal(b.rx[2].info.ip_proto, VIV__IP_PROTO_ICMP);
    assert_int_equal(b.rx[2].info.icmp_type, 3);
    assert_int_equal(b.rx[2].info.icmp_code, 2); /* protocol unreachable */
    viv_udp_host_stats_t us;
    assert_int_equal(viv_host_udp_stats(&us, b.h), 0);
    assert_int_equal(us.rx_datagrams, 2);
    assert_int_equal(us.rx_no_port, 1);
    assert_int_equal(us.rx_checksum, 1);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, b.h), 0);
    assert_int_equal(ips.drop_proto, 1);
    assert_int_equal(ips.icmp_errors_tx, 2);

    /* A UDP socket on port 80: UDP takes the datagram, TCP still resets. */
    viv_udp_t *u;
    assert_int_equal(viv_udp_new(&u, b.h, NULL, NULL, NULL), 0);
    viv_sockaddr_t a = {VIV_IP4_ANY, 80};
    assert_int_equal(viv_udp_bind(u, &a), 0);
    send_udp(&b, 80, 0);
    s = seg_to_host(VIV__TCP_SYN, 20, 0, NULL);
    send_seg(&b, &s);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(b.nrx, 4);
    assert_int_equal(reply(&b, 3).ack, 21);
    assert_int_equal(viv_udp_peek_len(u), 4);
    assert_int_equal(tcp_stats(&b).tx_rst, 2);
    viv_udp_free(u);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tcp_closed__syn_gets_one_rst_ack),
        T(test_tcp_closed__ack_gets_rst_with_seq_seg_ack),
        T(test_tcp_closed__rst_is_discarded),
        T(test_tcp_closed__bad_segments_are_counted_and_dropped),
        T(test_tcp_closed__seg_len_counts_syn_fin_and_data),
        T(test_tcp_closed__broadcasts_are_never_answered),
        T(test_tcp_closed__each_transport_answers_for_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
