#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vivarium.h>

#include "core/bytes.h"
#include "wire/wire.h"

int viv_fuzz_failures;
viv_fuzz_depth viv_fuzz_reached;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            viv_fuzz_failures++;                                                           \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                                \
        }                                                                                  \
    } while (0)

static const viv_ip4_t SRC = VIV_IP4(10, 0, 0, 1), DST = VIV_IP4(10, 0, 0, 2);

/* Write a correct transport checksum at byte off of buf (len bytes, the IP payload from src
 * to dst). */
static void fix_l4(uint8_t *buf, size_t len, uint8_t proto, size_t off, viv_ip4_t src,
                   viv_ip4_t dst)
{
    if (len < off + 2 || len > 65535)
        return;
    viv_wr16be(buf + off, 0);
    uint64_t acc = proto == VIV__IP_PROTO_ICMP ? 0 : viv__cksum_pseudo(src, dst, proto, (uint16_t)len);
    viv_wr16be(buf + off, viv__cksum_finish(viv__cksum_add(acc, buf, len)));
}

static void wire_once(const uint8_t *in, size_t n, int fix)
{
    /* An exact-size copy: a read past the end is a sanitizer error. */
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return;
    memcpy(b, in, n);

    struct viv__eth_repr e;
    if (viv__eth_parse(b, n, &e) == 0) {
        uint8_t h[VIV__ETH_HDR_LEN];
        CHECK(viv__eth_emit(&e, h, sizeof h) == 0 && memcmp(h, b, sizeof h) == 0);
    }
    struct viv__arp_repr a;
    if (viv__arp_parse(b, n, &a) == 0) {
        uint8_t o[VIV__ARP_LEN];
        CHECK(viv__arp_emit(&a, o, sizeof o) == 0 && memcmp(o, b, sizeof o) == 0);
    }
    if (fix && n >= 20 && (b[0] >> 4) == 4) { /* a good header checksum, to get past it */
        size_t ihl = (size_t)(b[0] & 15) * 4;
        if (ihl >= 20 && ihl <= n) {
            viv_wr16be(b + 10, 0);
            viv_wr16be(b + 10, viv__cksum(b, ihl));
        }
    }
    struct viv__ipv4_repr ip;
    if (viv__ipv4_parse(b, n, &ip) == 0) {
        CHECK((size_t)ip.hdr_len + ip.payload_len <= n);
        uint8_t h[VIV__IPV4_HDR_LEN + 8];
        struct viv__ipv4_repr ip2 = ip;
        ip2.payload_len = 8;
        if (viv__ipv4_emit(&ip2, h, sizeof h) == 0) {
            struct viv__ipv4_repr back;
            CHECK(viv__ipv4_parse(h, sizeof h, &back) == 0 && back.src == ip.src &&
                  back.dst == ip.dst && back.proto == ip.proto && back.ttl == ip.ttl);
        }
    }
    if (fix)
        fix_l4(b, n, VIV__IP_PROTO_ICMP, 2, SRC, DST);
    struct viv__icmp_repr m;
    int rc = viv__icmp_parse(b, n, &m);
    if (rc == 0) {
        CHECK(m.data >= b && m.data + m.data_len <= b + n);
        size_t len = viv__icmp_len(&m);
        uint8_t *o = malloc(len);
        if (o) {
            CHECK(viv__icmp_emit(&m, o, len) == 0);
            struct viv__icmp_repr m2;
            CHECK(viv__icmp_parse(o, len, &m2) == 0 && m2.type == m.type && m2.code == m.code);
            free(o);
        }
    }
    if (fix)
        fix_l4(b, n, VIV__IP_PROTO_UDP, 6, SRC, DST);
    struct viv__udp_repr u;
    if (viv__udp_parse(b, n, SRC, DST, &u) == 0)
        CHECK((size_t)u.payload_len + 8 <= n);
    if (fix)
        fix_l4(b, n, VIV__IP_PROTO_TCP, 16, SRC, DST);
    struct viv__tcp_repr t;
    if (viv__tcp_parse(b, n, SRC, DST, &t) == 0) {
        CHECK((size_t)t.payload_off + t.payload_len <= n);
        size_t hl = viv__tcp_len(&t);
        if (hl <= 60) { /* re-emit the header (and payload) and read the same fields back */
            size_t len = hl + t.payload_len;
            uint8_t *o = malloc(len);
            if (o) {
                memcpy(o + hl, b + t.payload_off, t.payload_len);
                CHECK(viv__tcp_emit(&t, SRC, DST, o, len) == 0);
                struct viv__tcp_repr t2;
                CHECK(viv__tcp_parse(o, len, SRC, DST, &t2) == 0 && t2.seq == t.seq &&
                      t2.ack == t.ack && t2.flags == t.flags && t2.mss == t.mss &&
                      t2.sack_count == t.sack_count && t2.ts_present == t.ts_present &&
                      t2.payload_len == t.payload_len);
                free(o);
            }
        }
    }
    viv_frame_info info;
    CHECK(viv_frame_info_parse(&info, b, n) == 0);
    char text[256];
    viv_frame_info_format(&info, text, sizeof text);
    free(b);
}

void viv_fuzz_wire(const uint8_t *data, size_t size)
{
    wire_once(data, size, 0);
    wire_once(data, size, 1);
}

/* ---- the stack ------------------------------------------------------------------------- */

typedef struct counting {
    size_t live;
} counting;

static void *count_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    counting *c = ud;
    if (new_size == 0) {
        if (ptr)
            c->live -= old_size;
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p)
        c->live += new_size - (ptr ? old_size : 0);
    return p;
}

static void drain(viv_udp_t *s, uint32_t ev, void *user)
{
    (void)user;
    uint8_t buf[512];
    if (ev & VIV_EV_READABLE)
        while (viv_udp_recv(s, buf, sizeof buf) >= 0)
            ;
    if (ev & VIV_EV_ERROR)
        viv_udp_error(s);
}

/* Input: a sequence of frames, each [target: 1 byte][length: 2 bytes][bytes]. The target's
 * low bit picks the router or the host; bit 1 rewrites the destination MAC to the target's
 * own (else the frame keeps whatever it has: broadcast, other, garbage); bit 2 fixes the IPv4
 * header checksum, bit 3 the transport checksum, so that the frame gets deep. */
void viv_fuzz_stack(const uint8_t *data, size_t size)
{
    counting c = {0};
    viv_sim_opts o = VIV_SIM_OPTS_INIT;
    o.alloc = count_alloc;
    o.alloc_ud = &c;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &o) < 0)
        return;
    viv_device_t *dev;
    viv_host_t *r, *h;
    viv_switch_t *sw;
    viv_link_t *l;
    viv_device_opts dopts = VIV_DEVICE_OPTS_INIT;
    if (viv_device_new(&dev, sim, 2, &dopts) < 0 || viv_router_new(&r, sim, 2, NULL) < 0 ||
        viv_host_new(&h, sim, NULL) < 0 || viv_host_add_iface(h, NULL) < 0 ||
        viv_switch_new(&sw, sim, 3, NULL) < 0 ||
        viv_link_new(&l, sim, viv_device_port(dev, 0), viv_switch_port(sw, 0), NULL) < 0 ||
        viv_link_new(&l, sim, viv_host_port(r, 0), viv_switch_port(sw, 1), NULL) < 0 ||
        viv_link_new(&l, sim, viv_host_port(h, 0), viv_switch_port(sw, 2), NULL) < 0 ||
        viv_link_new(&l, sim, viv_device_port(dev, 1), viv_host_port(r, 1), NULL) < 0 ||
        viv_host_add_addr(r, 0, DST, 24) < 0 || viv_host_add_addr(h, 0, SRC, 24) < 0 ||
        viv_host_add_addr(r, 1, VIV_IP4(10, 9, 0, 1), 24) < 0 ||
        viv_host_set_gateway(h, DST) < 0) {
        viv_sim_free(sim);
        return;
    }
    viv_udp_t *s1, *s2;
    viv_sockaddr_t p53 = {VIV_IP4_ANY, 53}, peer = {VIV_IP4(10, 9, 0, 7), 53};
    if (viv_udp_new(&s1, h, NULL, drain, NULL) == 0)
        viv_udp_bind(s1, &p53);
    if (viv_udp_new(&s2, h, NULL, drain, NULL) == 0)
        viv_udp_connect(s2, &peer);
    viv_mac_t rmac, hmac;
    viv_host_mac(&rmac, r, 0);
    viv_host_mac(&hmac, h, 0);
    size_t i = 0;
    int frames = 0;
    while (i + 3 <= size && frames < 64) {
        uint8_t target = data[i];
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        uint8_t f[2048];
        if (len > sizeof f)
            len = sizeof f;
        memcpy(f, data + i, len);
        i += len;
        if (len >= 14 && (target & 2))
            memcpy(f, (target & 1) ? hmac.b : rmac.b, 6);
        if (len >= 34 && (target & 4)) {
            size_t ihl = (size_t)(f[14] & 15) * 4;
            if (ihl >= 20 && 14 + ihl <= len) {
                viv_wr16be(f + 24, 0);
                viv_wr16be(f + 24, viv__cksum(f + 14, ihl));
                if (target & 8) {
                    uint8_t proto = f[23];
                    size_t total = viv_rd16be(f + 16);
                    size_t tl = len - 14 - ihl;
                    if (total >= ihl && total - ihl < tl)
                        tl = total - ihl; /* what the IP header says the payload is */
                    size_t off = proto == 17 ? 6 : proto == 6 ? 16 : 2;
                    fix_l4(f + 14 + ihl, tl, proto, off, viv_rd32be(f + 26), viv_rd32be(f + 30));
                }
            }
        }
        if (len >= 14)
            CHECK(viv_device_send(dev, (target >> 4) & 1, f, len) == 0);
        else
            CHECK(viv_device_send(dev, 0, f, len) == VIV_EINVAL);
        viv_sim_run_for(sim, VIV_US(100));
        frames++;
    }
    /* The stack's own traffic then goes on: errors, ARP, whatever the frames started. */
    viv_sim_run_for(sim, VIV_S(10));
    CHECK(viv_sim_pending(sim) < 1000);
    for (int k = 0; k < 2; k++) {
        viv_ip_stats_t st;
        viv_udp_host_stats_t us;
        viv_host_ip_stats(&st, k ? h : r);
        viv_host_udp_stats(&us, k ? h : r);
        viv_fuzz_reached.arp_rx += st.arp_rx;
        viv_fuzz_reached.ip_rx += st.ip_rx;
        viv_fuzz_reached.ip_delivered += st.ip_delivered;
        viv_fuzz_reached.ip_forwarded += st.ip_forwarded;
        viv_fuzz_reached.icmp_rx += st.icmp_rx;
        viv_fuzz_reached.icmp_errors_tx += st.icmp_errors_tx;
        viv_fuzz_reached.udp_rx += us.rx_datagrams;
        viv_fuzz_reached.dropped_malformed +=
            st.drop_truncated + st.drop_malformed + st.drop_checksum + st.icmp_bad + us.rx_bad +
            us.rx_checksum;
        viv_fuzz_reached.tcp_or_other += st.drop_proto;
    }
    viv_udp_stats_t u1, u2;
    if (viv_udp_stats(&u1, s1) == 0 && viv_udp_stats(&u2, s2) == 0)
        viv_fuzz_reached.udp_to_socket += u1.rx_datagrams + u2.rx_datagrams;
    viv_sim_free(sim);
    CHECK(c.live == 0);
}
