/* Helpers shared by the layer-3 tests: hosts and links in one line, frame captures on links
 * (through intercepts that deliver everything), devices that inject hand-made frames and
 * record what they receive, and frame builders and readers written independently of the
 * library's wire code (their own checksum), so that the tests check the bytes, not the
 * library against itself. */
#ifndef VIV_TEST_L3_H
#define VIV_TEST_L3_H

#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIV__ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))
#define L3T_MAXCOPY 256u
#define L3T_ETH 14u
#define L3T_ETH_OVH 24u /* preamble, delimiter, FCS and gap: the links' default overhead */

/* ---- bytes ----------------------------------------------------------------------------- */

static inline uint16_t l3t_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t l3t_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void l3t_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void l3t_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) over n bytes: 0 when a filled-in checksum verifies. */
static inline uint16_t l3t_cksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static inline viv_mac_t l3t_mac(uint32_t n)
{
    viv_mac_t m = {{0x02, 0xaa, 0x00, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n}};
    return m;
}

static inline viv_mac_t l3t_bcast_mac(void)
{
    viv_mac_t m = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    return m;
}

static inline viv_mac_t l3t_host_mac(viv_host_t *h, uint32_t iface)
{
    viv_mac_t m;
    assert_int_equal(viv_host_mac(&m, h, iface), 0);
    return m;
}

/* ---- frame builders -------------------------------------------------------------------- */

/* Ethernet header at buf; returns 14. */
static inline size_t l3t_eth(uint8_t *buf, const viv_mac_t *dst, const viv_mac_t *src,
                             uint16_t type)
{
    memcpy(buf, dst->b, 6);
    memcpy(buf + 6, src->b, 6);
    l3t_wr16(buf + 12, type);
    return L3T_ETH;
}

/* A 28-byte ARP packet at buf. */
static inline size_t l3t_arp(uint8_t *buf, uint16_t op, const viv_mac_t *sha, viv_ip4_t spa,
                             const viv_mac_t *tha, viv_ip4_t tpa)
{
    l3t_wr16(buf, 1);
    l3t_wr16(buf + 2, 0x0800);
    buf[4] = 6;
    buf[5] = 4;
    l3t_wr16(buf + 6, op);
    memcpy(buf + 8, sha->b, 6);
    l3t_wr32(buf + 14, spa);
    memcpy(buf + 18, tha->b, 6);
    l3t_wr32(buf + 24, tpa);
    return 28;
}

/* A 20-byte IPv4 header for payload_len bytes of payload, with its checksum. */
static inline size_t l3t_ip(uint8_t *buf, viv_ip4_t src, viv_ip4_t dst, uint8_t proto, uint8_t ttl,
                            size_t payload_len, uint16_t frag_field)
{
    buf[0] = 0x45;
    buf[1] = 0;
    l3t_wr16(buf + 2, (uint16_t)(20 + payload_len));
    l3t_wr16(buf + 4, 0x1234);
    l3t_wr16(buf + 6, frag_field);
    buf[8] = ttl;
    buf[9] = proto;
    l3t_wr16(buf + 10, 0);
    l3t_wr32(buf + 12, src);
    l3t_wr32(buf + 16, dst);
    l3t_wr16(buf + 10, l3t_cksum(buf, 20));
    return 20;
}

/* Recompute the header checksum of the IPv4 header at buf (after editing it). */
static inline void l3t_ip_fix(uint8_t *buf)
{
    size_t hl = (size_t)(buf[0] & 15) * 4;
    l3t_wr16(buf + 10, 0);
    l3t_wr16(buf + 10, l3t_cksum(buf, hl));
}

/* An ICMP message of 8 + data_len bytes with its checksum (rest: the 4 bytes after the
 * checksum, e.g. identifier and sequence). */
static inline size_t l3t_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
                              const uint8_t *data, size_t data_len)
{
    buf[0] = type;
    buf[1] = code;
    l3t_wr16(buf + 2, 0);
    l3t_wr32(buf + 4, rest);
    if (data_len && data)
        memcpy(buf + 8, data, data_len);
    else if (data_len)
        memset(buf + 8, 0, data_len); /* NULL data: zeros */
    l3t_wr16(buf + 2, l3t_cksum(buf, 8 + data_len));
    return 8 + data_len;
}

/* A UDP header for data_len bytes of data (checksum 0: none, allowed over IPv4). */
static inline size_t l3t_udp(uint8_t *buf, uint16_t sport, uint16_t dport, const uint8_t *data,
                             size_t data_len)
{
    l3t_wr16(buf, sport);
    l3t_wr16(buf + 2, dport);
    l3t_wr16(buf + 4, (uint16_t)(8 + data_len));
    l3t_wr16(buf + 6, 0);
    if (data_len && data)
        memcpy(buf + 8, data, data_len);
    else if (data_len)
        memset(buf + 8, 0, data_len);
    return 8 + data_len;
}

/* ---- capture --------------------------------------------------------------------------- */

typedef struct l3t_frame {
    viv_link_dir dir;
    viv_time_t t;
    uint32_t len;
    uint8_t b[L3T_MAXCOPY];
    viv_frame_info info;
} l3t_frame;

/* Everything that arrives over one link (both directions), in arrival order. */
typedef struct l3t_cap {
    viv_sim_t *sim;
    l3t_frame *f;
    size_t n, cap;
    int drop_arp_replies;            /* drop ARP replies instead of delivering them */
    viv_time_t delay_arp_replies_ns; /* hold ARP replies back this long (once each) */
} l3t_cap;

static inline viv_verdict l3t_cap_cb(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                     size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                                     void *user)
{
    l3t_cap *c = user;
    (void)link;
    int arp_reply = info->ethertype == 0x0806 && info->arp_op == 2;
    if (arp_reply && c->drop_arp_replies)
        return VIV_VERDICT_DROP;
    if (arp_reply && c->delay_arp_replies_ns) {
        *delay_ns = c->delay_arp_replies_ns;
        c->delay_arp_replies_ns = 0;
        return VIV_VERDICT_DELAY;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->f = realloc(c->f, c->cap * sizeof(*c->f));
        assert_non_null(c->f);
    }
    l3t_frame *f = &c->f[c->n++];
    memset(f, 0, sizeof(*f));
    f->dir = dir;
    f->t = viv_sim_now(c->sim);
    f->len = (uint32_t)len;
    memcpy(f->b, frame, len < L3T_MAXCOPY ? len : L3T_MAXCOPY);
    f->info = *info;
    return VIV_VERDICT_DELIVER;
}

static inline void l3t_cap_start(l3t_cap *c, viv_sim_t *sim, viv_link_t *l)
{
    memset(c, 0, sizeof(*c));
    c->sim = sim;
    assert_int_equal(viv_link_set_intercept(l, VIV_LINK_BOTH, l3t_cap_cb, c), 0);
}

static inline void l3t_cap_fini(l3t_cap *c)
{
    free(c->f);
    c->f = NULL;
    c->n = c->cap = 0;
}

/* The k-th captured frame (from 0) that carries IPv4 protocol proto, or NULL. */
static inline const l3t_frame *l3t_cap_ip(const l3t_cap *c, uint8_t proto, size_t k)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->f[i].info.ethertype == 0x0800 && c->f[i].b[L3T_ETH + 9] == proto && k-- == 0)
            return &c->f[i];
    return NULL;
}

static inline size_t l3t_cap_count(const l3t_cap *c, uint16_t ethertype)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += c->f[i].info.ethertype == ethertype;
    return n;
}

/* The identifier of the k-th ICMP echo request going A to B on capture c (asserted to be
 * there). */
static inline uint16_t l3t_cap_echo_ident(const l3t_cap *c, size_t k)
{
    const l3t_frame *f = NULL;
    for (size_t i = 0; i < c->n && !f; i++) {
        const uint8_t *ip = c->f[i].b + L3T_ETH;
        if (c->f[i].info.ethertype == 0x0800 && c->f[i].dir == VIV_LINK_AB && ip[9] == 1 &&
            ip[20] == 8 && k-- == 0)
            f = &c->f[i];
    }
    assert_non_null(f);
    return l3t_rd16(f->b + L3T_ETH + 24);
}

/* ---- devices that record ---------------------------------------------------------------- */

typedef struct l3t_dev {
    viv_device_t *dev;
    viv_sim_t *sim;
    viv_mac_t mac;
    viv_ip4_t answer_arp; /* answer ARP requests for this address (0: stay silent) */
    l3t_frame *f;
    size_t n, cap;
} l3t_dev;

static inline void l3t_dev_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                              const viv_frame_info *info, void *user)
{
    l3t_dev *d = user;
    (void)dev;
    (void)port;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 32;
        d->f = realloc(d->f, d->cap * sizeof(*d->f));
        assert_non_null(d->f);
    }
    l3t_frame *f = &d->f[d->n++];
    memset(f, 0, sizeof(*f));
    f->t = viv_sim_now(d->sim);
    f->len = (uint32_t)len;
    memcpy(f->b, frame, len < L3T_MAXCOPY ? len : L3T_MAXCOPY);
    f->info = *info;
    if (d->answer_arp && info->ethertype == 0x0806 && info->arp_op == 1 &&
        info->arp_tpa == d->answer_arp) {
        uint8_t r[60] = {0};
        viv_mac_t sha;
        memcpy(sha.b, frame + 22, 6);
        l3t_eth(r, &sha, &d->mac, 0x0806);
        l3t_arp(r + 14, 2, &d->mac, d->answer_arp, &sha, info->arp_spa);
        assert_int_equal(viv_device_send(dev, 0, r, sizeof r), 0);
    }
}

static inline void l3t_dev_init(l3t_dev *d, viv_sim_t *sim, uint32_t id, const char *name)
{
    memset(d, 0, sizeof(*d));
    d->sim = sim;
    d->mac = l3t_mac(id);
    viv_device_opts o = VIV_DEVICE_OPTS_INIT;
    o.name = name;
    o.rx = l3t_dev_rx;
    o.user = d;
    assert_int_equal(viv_device_new(&d->dev, sim, 1, &o), 0);
}

static inline void l3t_dev_fini(l3t_dev *d)
{
    free(d->f);
    d->f = NULL;
    d->n = d->cap = 0;
}

static inline void l3t_dev_send(l3t_dev *d, const uint8_t *frame, size_t len)
{
    assert_int_equal(viv_device_send(d->dev, 0, frame, len), 0);
}

/* ---- topology -------------------------------------------------------------------------- */

static inline viv_host_t *l3t_host(viv_sim_t *sim, const char *name, uint32_t nifaces)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    for (uint32_t i = 0; i < nifaces; i++)
        assert_int_equal(viv_host_add_iface(h, NULL), (int)i);
    return h;
}

static inline viv_host_t *l3t_router(viv_sim_t *sim, const char *name, uint32_t nifaces)
{
    viv_host_t *h = NULL;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    assert_int_equal(viv_router_new(&h, sim, nifaces, &o), 0);
    return h;
}

static inline viv_link_t *l3t_link(viv_sim_t *sim, viv_port_t *a, viv_port_t *b,
                                   const viv_link_params *p)
{
    viv_link_t *l = NULL;
    assert_int_equal(viv_link_new(&l, sim, a, b, p), 0);
    return l;
}

static inline viv_ip4_t l3t_ip4(const char *text)
{
    viv_ip4_t ip;
    assert_int_equal(viv_ip4_parse(&ip, text), 0);
    return ip;
}

static inline void l3t_addr(viv_host_t *h, uint32_t iface, const char *cidr)
{
    viv_ip4_t ip;
    uint8_t len;
    assert_int_equal(viv_ip4_parse_prefix(&ip, &len, cidr), 0);
    assert_int_equal(viv_host_add_addr(h, iface, ip, len), 0);
}

static inline viv_ip_stats_t l3t_stats(const viv_host_t *h)
{
    viv_ip_stats_t st;
    assert_int_equal(viv_host_ip_stats(&st, h), 0);
    return st;
}

static inline viv_port_stats_t l3t_pstats(viv_port_t *p)
{
    viv_port_stats_t st;
    assert_int_equal(viv_port_stats(&st, p), 0);
    return st;
}

/* ceil((bytes + overhead) * 8e9 / rate), computed here, independently of the library. */
static inline viv_time_t l3t_ser(uint64_t bytes, uint64_t rate)
{
    uint64_t bits = (bytes + L3T_ETH_OVH) * 8u;
    uint64_t q = bits / rate, r = bits % rate;
    uint64_t hi = r * 1000000000u;
    return q * 1000000000u + hi / rate + (hi % rate != 0);
}

/* ---- ping results ---------------------------------------------------------------------- */

typedef struct l3t_pings {
    viv_ping_result r[64];
    size_t n;
    int done;
} l3t_pings;

static inline void l3t_ping_cb(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    l3t_pings *log = user;
    (void)p;
    if (r->event == VIV_PING_DONE) {
        log->done++;
        return;
    }
    assert_true(log->n < 64);
    log->r[log->n++] = *r;
}

static inline viv_ping_t *l3t_ping(viv_host_t *h, viv_ip4_t dst, uint32_t count, uint8_t ttl,
                                   l3t_pings *log)
{
    memset(log, 0, sizeof(*log));
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = count;
    o.ttl = ttl;
    viv_ping_t *p = NULL;
    assert_int_equal(viv_ping_start(&p, h, dst, &o, l3t_ping_cb, log), 0);
    return p;
}

/* The routing table as text. */
static inline const char *l3t_routes(const viv_host_t *h, char *buf, size_t cap)
{
    int n = viv_host_routes_text(h, buf, cap);
    assert_true(n >= 0 && (size_t)n < cap);
    return buf;
}

#endif
