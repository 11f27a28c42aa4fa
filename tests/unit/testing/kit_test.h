/* Helpers shared by the testing kit's tests: a small world (two hosts on a switch, 100 Mb/s
 * links with 1 ms of delay), a UDP server that answers every datagram with 60 bytes, and
 * the report buffer every check writes into. */
#ifndef VIV_TEST_KIT_H
#define VIV_TEST_KIT_H

#include "viv_test.h"

#include <stdio.h>
#include <string.h>

#define KIT_RATE 100000000u
#define KIT_DELAY VIV_MS(1)

typedef struct kit_world {
    viv_sim_t *sim;
    viv_host_t *h1, *h2;
    viv_switch_t *sw;
    viv_link_t *l1, *l2; /* h1 (A) to switch port 0 (B); h2 (A) to switch port 1 (B) */
    viv_udp_t *cli, *srv;
    int answered;
} kit_world;

static inline void kit_srv_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    kit_world *w = user;
    if (!(ev & VIV_EV_READABLE))
        return;
    uint8_t b[2048];
    viv_sockaddr_t from;
    while (viv_udp_recvfrom(s, b, sizeof b, &from, NULL) >= 0) {
        uint8_t r[60] = {0};
        assert_int_equal(viv_udp_sendto(s, r, sizeof r, &from), (int)sizeof r);
        w->answered++;
    }
}

/* h1 10.0.0.1 and h2 10.0.0.2 on a switch; a client socket on h1 port 1025 and a server on
 * h2 port 53 that answers with 60 bytes. */
static inline void kit_world_make(kit_world *w, viv_sim_t *sim)
{
    memset(w, 0, sizeof(*w));
    w->sim = sim;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "h1";
    assert_int_equal(viv_host_new(&w->h1, sim, &ho), 0);
    ho.name = "h2";
    assert_int_equal(viv_host_new(&w->h2, sim, &ho), 0);
    assert_int_equal(viv_host_add_iface(w->h1, NULL), 0);
    assert_int_equal(viv_host_add_iface(w->h2, NULL), 0);
    assert_int_equal(viv_host_add_addr(w->h1, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(w->h2, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    assert_int_equal(viv_switch_new(&w->sw, sim, 4, NULL), 0);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = KIT_RATE;
    lp.delay_ns = KIT_DELAY;
    assert_int_equal(
        viv_link_new(&w->l1, sim, viv_host_port(w->h1, 0), viv_switch_port(w->sw, 0), &lp), 0);
    assert_int_equal(
        viv_link_new(&w->l2, sim, viv_host_port(w->h2, 0), viv_switch_port(w->sw, 1), &lp), 0);
    assert_int_equal(viv_udp_new(&w->cli, w->h1, NULL, NULL, NULL), 0);
    viv_sockaddr_t a = {0, 1025};
    assert_int_equal(viv_udp_bind(w->cli, &a), 0);
    assert_int_equal(viv_udp_new(&w->srv, w->h2, NULL, kit_srv_cb, w), 0);
    viv_sockaddr_t b = {0, 53};
    assert_int_equal(viv_udp_bind(w->srv, &b), 0);
}

/* h1 sends a datagram of len bytes to h2 port 53. */
static inline void kit_query(kit_world *w, size_t len)
{
    uint8_t q[1400] = {0};
    viv_sockaddr_t to = {VIV_IP4(10, 0, 0, 2), 53};
    assert_int_equal(viv_udp_sendto(w->cli, q, len, &to), (int)len);
}

/* The one-way time over the two links h1 -> switch -> h2 (or back), idle, for a frame. */
static inline viv_time_t kit_h1_h2(const kit_world *w, uint32_t frame_len)
{
    viv_hop hops[2] = {{w->l1, VIV_LINK_AB}, {w->l2, VIV_LINK_BA}};
    return viv_path_one_way(hops, 2, frame_len);
}

/* Seconds with 9 decimals, for composing expectation lines. */
static inline const char *kit_secs(char *buf, viv_time_t t)
{
    snprintf(buf, 32, "%llu.%09llu", (unsigned long long)(t / 1000000000u),
             (unsigned long long)(t % 1000000000u));
    return buf;
}

/* A recorder's decoded frames, for failure messages. */
static inline const char *kit_dump(const viv_rec_t *rec)
{
    static char buf[16384];
    int n = viv_rec_text(rec, buf, sizeof buf);
    assert_true(n >= 0);
    return buf;
}

/* Check and fail with the report (the way a cmocka user hands the kit's text over). */
#define KIT_ASSERT_MET(ex, rec)                                                                    \
    do {                                                                                           \
        char kit_report_[4096];                                                                    \
        int kit_rc_ = viv_expect_check((ex), (rec), 1, kit_report_, sizeof kit_report_);           \
        if (kit_rc_ != 0)                                                                          \
            fail_msg("%s", kit_report_);                                                           \
    } while (0)

#endif
