/* Helpers shared by the layer-2 tests: end stations built on devices, which send raw Ethernet
 * frames built here and record everything they receive.
 *
 * Every test frame carries a 32-bit sequence number right after the Ethernet header, so a
 * test can tell exactly which frames arrived, when, and in which order. */
#ifndef VIV_TEST_L2_H
#define VIV_TEST_L2_H

#include "viv_test.h"

#include <stdlib.h>
#include <string.h>

/* An EtherType of the "local experimental" range: nothing in vivarium parses it. */
#define L2T_ETHERTYPE 0x88b5u
#define L2T_MAXCOPY 128u

/* One received frame. */
typedef struct l2t_rx {
    uint32_t port;
    uint32_t len;
    viv_time_t t;
    uint32_t seq; /* the sequence number in the payload, or UINT32_MAX if the frame is short */
    uint8_t bytes[L2T_MAXCOPY]; /* the first bytes of the frame */
    viv_frame_info info;
} l2t_rx;

/* An end station: a device plus the log of what it received. */
typedef struct l2t_station {
    viv_device_t *dev;
    viv_sim_t *sim;
    viv_mac_t mac;
    l2t_rx *rx;
    size_t n, cap;
    int free_on_rx; /* free the device from inside its receive callback at this count (1..) */
} l2t_station;

static inline viv_mac_t l2t_mac(uint32_t n)
{
    viv_mac_t m = {{0x02, 0x00, 0x00, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n}};
    return m;
}

static inline viv_mac_t l2t_broadcast(void)
{
    viv_mac_t m = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    return m;
}

static inline int l2t_mac_eq(const viv_mac_t *a, const viv_mac_t *b)
{
    return memcmp(a->b, b->b, 6) == 0;
}

/* Build a frame of len bytes (len >= 18): header, big-endian seq, then a pattern. */
static inline size_t l2t_frame(uint8_t *buf, size_t len, const viv_mac_t *dst, const viv_mac_t *src,
                               uint16_t ethertype, uint32_t seq)
{
    memcpy(buf, dst->b, 6);
    memcpy(buf + 6, src->b, 6);
    buf[12] = (uint8_t)(ethertype >> 8);
    buf[13] = (uint8_t)ethertype;
    buf[14] = (uint8_t)(seq >> 24);
    buf[15] = (uint8_t)(seq >> 16);
    buf[16] = (uint8_t)(seq >> 8);
    buf[17] = (uint8_t)seq;
    for (size_t i = 18; i < len; i++)
        buf[i] = (uint8_t)(seq * 7u + i);
    return len;
}

static inline void l2t_on_rx(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                             const viv_frame_info *info, void *user)
{
    l2t_station *s = user;
    assert_ptr_equal(dev, s->dev);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->rx = realloc(s->rx, s->cap * sizeof(*s->rx));
        assert_non_null(s->rx);
    }
    l2t_rx *r = &s->rx[s->n++];
    memset(r, 0, sizeof(*r));
    r->port = port;
    r->len = (uint32_t)len;
    r->t = viv_sim_now(s->sim);
    r->seq = len >= 18 ? (uint32_t)frame[14] << 24 | (uint32_t)frame[15] << 16 |
                             (uint32_t)frame[16] << 8 | frame[17]
                       : UINT32_MAX;
    memcpy(r->bytes, frame, len < L2T_MAXCOPY ? len : L2T_MAXCOPY);
    r->info = *info;
    if (s->free_on_rx && (size_t)s->free_on_rx == s->n) {
        viv_device_free(dev);
        s->dev = NULL;
    }
}

/* Create a station with nports ports and MAC l2t_mac(id). */
static inline void l2t_station_init(l2t_station *s, viv_sim_t *sim, uint32_t id, uint32_t nports)
{
    memset(s, 0, sizeof(*s));
    s->sim = sim;
    s->mac = l2t_mac(id);
    viv_device_opts o = VIV_DEVICE_OPTS_INIT;
    o.rx = l2t_on_rx;
    o.user = s;
    assert_int_equal(viv_device_new(&s->dev, sim, nports, &o), 0);
}

/* Release the log (the device belongs to the simulation). */
static inline void l2t_station_fini(l2t_station *s)
{
    free(s->rx);
    s->rx = NULL;
    s->n = s->cap = 0;
}

static inline viv_port_t *l2t_port(l2t_station *s, uint32_t i)
{
    return viv_device_port(s->dev, i);
}

/* Send a frame of len bytes with the given sequence number from port 0 to dst. */
static inline void l2t_send(l2t_station *s, const viv_mac_t *dst, size_t len, uint32_t seq)
{
    assert_true(len >= 18 && len <= 70000);
    /* At least 64 bytes: GCC 12 at -O3 misjudges the fill loop of short frames and warns
     * (-Wstringop-overflow) about a write it never makes. */
    uint8_t *buf = malloc(len < 64 ? 64 : len);
    assert_non_null(buf);
    l2t_frame(buf, len, dst, &s->mac, L2T_ETHERTYPE, seq);
    assert_int_equal(viv_device_send(s->dev, 0, buf, len), 0);
    free(buf);
}

/* A frame to send later, from an event. */
typedef struct l2t_sendev {
    l2t_station *s;
    viv_mac_t dst;
    size_t len;
    uint32_t seq;
} l2t_sendev;

static inline void l2t_send_cb(viv_sim_t *sim, void *user)
{
    l2t_sendev *e = user;
    (void)sim;
    l2t_send(e->s, &e->dst, e->len, e->seq);
}

/* Schedule e (which must outlive the run) at time t. */
static inline void l2t_send_at(viv_sim_t *sim, l2t_sendev *e, viv_time_t t)
{
    assert_int_equal(viv_sim_schedule_at(NULL, sim, t, l2t_send_cb, e), 0);
}

/* The link's counters of one direction. */
static inline viv_link_stats_t l2t_lstats(viv_link_t *l, viv_link_dir dir)
{
    viv_link_stats_t st;
    assert_int_equal(viv_link_stats(&st, l, dir), 0);
    return st;
}

static inline viv_port_stats_t l2t_pstats(viv_port_t *p)
{
    viv_port_stats_t st;
    assert_int_equal(viv_port_stats(&st, p), 0);
    return st;
}

/* ceil((bytes + overhead) * 8e9 / rate), computed independently of the library. */
static inline viv_time_t l2t_ser(uint64_t bytes, uint64_t overhead, uint64_t rate)
{
    assert_true(rate > 0 && rate < UINT64_C(18000000000));
    uint64_t bits = (bytes + overhead) * 8u;
    uint64_t q = bits / rate, r = bits % rate;
    /* bits = q * rate + r, so bits * 1e9 / rate = q * 1e9 + r * 1e9 / rate (r < rate). */
    uint64_t hi = r * 1000000000u; /* r < rate <= 2^34 here, so this does not overflow */
    return q * 1000000000u + hi / rate + (hi % rate != 0);
}

/* Link two ports; params may be NULL. */
static inline viv_link_t *l2t_link(viv_sim_t *sim, viv_port_t *a, viv_port_t *b,
                                   const viv_link_params *p)
{
    viv_link_t *l = NULL;
    assert_int_equal(viv_link_new(&l, sim, a, b, p), 0);
    assert_non_null(l);
    return l;
}

/* Reach into the core for the strongest leak check there is: frames alive right now. */
#include "core/core.h"
static inline size_t l2t_frames_live(const viv_sim_t *sim)
{
    return sim->frames_live;
}

#endif
