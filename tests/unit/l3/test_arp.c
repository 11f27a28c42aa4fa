/* ARP: the exchange frame by frame and what every bystander sees on a hub and on a switch;
 * who learns what; the cache's lifetime (REACHABLE -> STALE -> PROBE -> revalidated or
 * removed); queueing while resolving; retries; failure and the host unreachable it causes;
 * malformed packets; the cache's size limit (eviction, refusal) and aging, with entries touched
 * in an order other than the one they were placed in; listings. */
#include "l3_test.h"

#define GBPS UINT64_C(1000000000)

static const uint8_t zero6[6] = {0};

/* Check that a captured frame is exactly the ARP packet described, padded to 60 bytes. */
static void check_arp(const l3t_frame *f, const viv_mac_t *eth_dst, const viv_mac_t *eth_src,
                      uint16_t op, const viv_mac_t *sha, viv_ip4_t spa, const uint8_t *tha,
                      viv_ip4_t tpa)
{
    uint8_t want[60] = {0};
    l3t_eth(want, eth_dst, eth_src, 0x0806);
    viv_mac_t t;
    memcpy(t.b, tha, 6);
    l3t_arp(want + 14, op, sha, spa, &t, tpa);
    assert_int_equal(f->len, 60);
    assert_memory_equal(f->b, want, 60);
}

/* Four stations on a hub or a switch: h1, h2, h3 and a sniffing device. h1 pings h2 once. */
typedef struct lan {
    viv_host_t *h[3];
    l3t_dev sniff;
    viv_port_t *bridge_port[4];
} lan;

static void lan_build(lan *t, viv_sim_t *sim, int use_switch)
{
    viv_hub_t *hub = NULL;
    viv_switch_t *sw = NULL;
    if (use_switch)
        assert_int_equal(viv_switch_new(&sw, sim, 4, NULL), 0);
    else
        assert_int_equal(viv_hub_new(&hub, sim, 4, NULL), 0);
    for (uint32_t i = 0; i < 4; i++)
        t->bridge_port[i] = use_switch ? viv_switch_port(sw, i) : viv_hub_port(hub, i);
    for (int i = 0; i < 3; i++) {
        char name[8], cidr[24];
        snprintf(name, sizeof name, "h%d", i + 1);
        snprintf(cidr, sizeof cidr, "10.0.0.%d/24", i + 1);
        t->h[i] = l3t_host(sim, name, 1);
        l3t_addr(t->h[i], 0, cidr);
        l3t_link(sim, viv_host_port(t->h[i], 0), t->bridge_port[i], NULL);
    }
    l3t_dev_init(&t->sniff, sim, 99, "sniff");
    l3t_link(sim, viv_device_port(t->sniff.dev, 0), t->bridge_port[3], NULL);
}

static void exchange(void **state, int use_switch)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan t;
    lan_build(&t, sim, use_switch);
    viv_mac_t m1 = l3t_host_mac(t.h[0], 0), m2 = l3t_host_mac(t.h[1], 0);
    viv_mac_t bc = l3t_bcast_mac();
    l3t_pings log;
    l3t_ping(t.h[0], VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    /* Not viv_sim_run(): that would go on until the caches have aged out. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    /* The request is a broadcast from h1 asking for 10.0.0.2; every other station sees it. */
    l3t_dev *s = &t.sniff;
    check_arp(&s->f[0], &bc, &m1, 1, &m1, VIV_IP4(10, 0, 0, 1), zero6, VIV_IP4(10, 0, 0, 2));
    viv_ip_stats_t st3 = l3t_stats(t.h[2]);
    viv_port_stats_t p3 = l3t_pstats(t.bridge_port[2]);
    if (!use_switch) {
        /* A hub repeats the unicast reply and both echoes to the bystanders too. */
        assert_int_equal(s->n, 4);
        check_arp(&s->f[1], &m1, &m2, 2, &m2, VIV_IP4(10, 0, 0, 2), m1.b, VIV_IP4(10, 0, 0, 1));
        assert_int_equal(s->f[2].info.icmp_type, 8);
        assert_int_equal(s->f[3].info.icmp_type, 0);
        assert_int_equal(p3.tx_frames, 4);
        assert_int_equal(st3.rx_frames, 4);
        assert_int_equal(st3.rx_not_mine, 3);
    } else {
        /* A switch floods only the broadcast: it learned h1 from it and h2 from the reply. */
        assert_int_equal(s->n, 1);
        assert_int_equal(p3.tx_frames, 1);
        assert_int_equal(st3.rx_frames, 1);
        assert_int_equal(st3.rx_not_mine, 0);
    }
    assert_int_equal(st3.arp_rx, 1);
    assert_int_equal(st3.arp_replies, 0);
    assert_int_equal(st3.ip_rx, 0);
    /* Who learned what: h1 and h2 each other (h2 as the target of the request), the bystander
     * nothing. */
    viv_arp_entry e[4];
    assert_int_equal(viv_host_arp_table(t.h[2], e, 4), 0);
    assert_int_equal(viv_host_arp_table(t.h[0], e, 4), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 2));
    assert_memory_equal(e[0].mac.b, m2.b, 6);
    assert_int_equal(e[0].state, VIV_ARP_REACHABLE);
    assert_int_equal(e[0].iface, 0);
    assert_int_equal(e[0].queued, 0);
    assert_int_equal(viv_host_arp_table(t.h[1], e, 4), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 1));
    assert_memory_equal(e[0].mac.b, m1.b, 6);
    viv_ip_stats_t st1 = l3t_stats(t.h[0]), st2 = l3t_stats(t.h[1]);
    assert_int_equal(st1.arp_requests, 1);
    assert_int_equal(st1.arp_replies, 0);
    assert_int_equal(st1.arp_rx, 1);
    assert_int_equal(st2.arp_requests, 0);
    assert_int_equal(st2.arp_replies, 1);
    assert_int_equal(st2.arp_rx, 1);
    char text[256];
    char m1s[VIV_MAC_STRLEN];
    viv_mac_format(&m1, m1s, sizeof m1s);
    char want[256];
    snprintf(want, sizeof want, "? (10.0.0.1) at %s [ether] on eth0\n", m1s);
    assert_int_equal(viv_host_arp_table_text(t.h[1], text, sizeof text), (int)strlen(want));
    assert_string_equal(text, want);
    l3t_dev_fini(&t.sniff);
}

static void test_arp__exchange_on_a_hub(void **state)
{
    exchange(state, 0);
}
static void test_arp__exchange_on_a_switch(void **state)
{
    exchange(state, 1);
}

/* A bystander that already knows the requester refreshes its entry; it creates none. */
static void test_arp__bystanders_only_refresh(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    lan t;
    lan_build(&t, sim, 0);
    l3t_pings log;
    /* h3 learns h1 at t = 0 (by pinging it). */
    l3t_ping(t.h[2], VIV_IP4(10, 0, 0, 1), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(30)), 0);
    viv_arp_entry e[4];
    assert_int_equal(viv_host_arp_table(t.h[2], e, 4), 1);
    viv_time_t age_before = e[0].age_ns;
    assert_true(age_before > VIV_S(29));
    size_t seen = t.sniff.n;
    /* At 30 s h1 asks for h2: h3 hears it. */
    l3t_ping(t.h[0], VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(31)), 0);
    viv_time_t heard = t.sniff.f[seen].t; /* h3's link is like the sniffer's */
    assert_int_equal(t.sniff.f[seen].info.arp_op, 1);
    assert_int_equal(viv_host_arp_table(t.h[2], e, 4), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(e[0].state, VIV_ARP_REACHABLE);
    assert_int_equal(e[0].age_ns, VIV_S(31) - heard);
    l3t_dev_fini(&t.sniff);
}

/* Two hosts on one link; h1 trusts an entry 10 s, retries every 1 s, 3 times. */
static void pair(viv_sim_t *sim, viv_host_t **h1, viv_host_t **h2, viv_link_t **l,
                 const viv_host_opts *o1)
{
    assert_int_equal(viv_host_new(h1, sim, o1), 0);
    assert_int_equal(viv_host_add_iface(*h1, NULL), 0);
    *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(*h1, 0, "10.0.0.1/24");
    l3t_addr(*h2, 0, "10.0.0.2/24");
    *l = l3t_link(sim, viv_host_port(*h1, 0), viv_host_port(*h2, 0), NULL);
}

static void test_arp__cache_lifetime(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h1";
    o.arp_reachable_ns = VIV_S(10);
    viv_host_t *h1, *h2;
    viv_link_t *l;
    pair(sim, &h1, &h2, &l, &o);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    viv_mac_t m1 = l3t_host_mac(h1, 0), m2 = l3t_host_mac(h2, 0);
    l3t_pings log;
    l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    /* Confirmed when the reply arrived: the second frame on the link. */
    viv_time_t confirmed = cap.f[1].t;
    viv_arp_entry e;
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_REACHABLE);
    assert_int_equal(e.age_ns, VIV_S(1) - confirmed);
    /* REACHABLE until exactly 10 s after confirmation, STALE from then on. */
    assert_int_equal(viv_sim_run_until(sim, confirmed + VIV_S(10) - 1), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_REACHABLE);
    assert_int_equal(viv_sim_run_until(sim, confirmed + VIV_S(10)), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_STALE);
    /* Used at 20 s: the packet goes at once with the old MAC, and a unicast request probes. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(20)), 0);
    size_t n0 = cap.n;
    l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(20) + 1), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_PROBE);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(21)), 0);
    assert_int_equal(cap.n, n0 + 4);
    /* In order of arrival: the probe, h2's answer to it, the echo (sent right after the
     * probe, with the old MAC), the echo reply. The entry is REACHABLE again. */
    check_arp(&cap.f[n0], &m2, &m1, 1, &m1, VIV_IP4(10, 0, 0, 1), zero6, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(cap.f[n0].t, VIV_S(20) + l3t_ser(60, GBPS));
    check_arp(&cap.f[n0 + 1], &m1, &m2, 2, &m2, VIV_IP4(10, 0, 0, 2), m1.b, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(cap.f[n0 + 2].info.icmp_type, 8);
    assert_memory_equal(cap.f[n0 + 2].b, m2.b, 6);
    assert_int_equal(cap.f[n0 + 2].t, VIV_S(20) + l3t_ser(60, GBPS) + l3t_ser(98, GBPS));
    assert_int_equal(cap.f[n0 + 3].info.icmp_type, 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_REACHABLE);
    assert_int_equal(e.age_ns, VIV_S(21) - cap.f[n0 + 1].t);
    viv_ip_stats_t st = l3t_stats(h1);
    assert_int_equal(st.arp_requests, 2);
    /* Stale again at 40 s, and h2 is off: three unicast probes 1 s apart, then removal. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(40)), 0);
    assert_int_equal(viv_node_set_up(viv_host_node(h2), 0), 0);
    n0 = cap.n;
    l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(43) - 1), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_PROBE);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(43)), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 0);
    assert_int_equal(cap.n, n0 + 4); /* probe, echo, probe, probe */
    const size_t probes[3] = {n0, n0 + 2, n0 + 3};
    for (int i = 0; i < 3; i++) {
        const l3t_frame *f = &cap.f[probes[i]];
        check_arp(f, &m2, &m1, 1, &m1, VIV_IP4(10, 0, 0, 1), zero6, VIV_IP4(10, 0, 0, 2));
        assert_int_equal(f->t, VIV_S(40 + i) + l3t_ser(60, GBPS));
    }
    st = l3t_stats(h1);
    assert_int_equal(st.arp_requests, 5);
    assert_int_equal(st.arp_failed, 1);
    assert_int_equal(st.drop_arp, 0); /* nothing waited: a probing entry sends at once */
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_TIMEOUT);
    l3t_cap_fini(&cap);
}

/* While a resolution is pending, packets wait (at most arp_queue, the oldest dropped) and one
 * request goes out, not one per packet. */
static void test_arp__queue_while_resolving(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h1";
    viv_host_t *h1, *h2;
    viv_link_t *l;
    pair(sim, &h1, &h2, &l, &o);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    cap.delay_arp_replies_ns = VIV_MS(10);
    l3t_pings log;
    memset(&log, 0, sizeof log);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 5;
    po.interval_ns = VIV_MS(1);
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &po, l3t_ping_cb, &log), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(5)), 0);
    viv_arp_entry e;
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_INCOMPLETE);
    assert_int_equal(e.queued, 3);
    char text[128];
    viv_host_arp_table_text(h1, text, sizeof text);
    assert_string_equal(text, "? (10.0.0.2) at <incomplete> on eth0\n");
    assert_int_equal(viv_sim_run(sim), 0);
    viv_ip_stats_t st = l3t_stats(h1);
    assert_int_equal(st.arp_requests, 1);
    assert_int_equal(st.drop_arp, 2);
    /* Requests 1 and 2 were dropped; 3, 4, 5 left together when the reply came. */
    assert_int_equal(log.n, 5);
    const viv_time_t arp = l3t_ser(60, GBPS), echo = l3t_ser(98, GBPS);
    const viv_time_t t_reply = 2 * arp + VIV_MS(10); /* the delayed reply reaches h1 */
    for (int i = 0; i < 5; i++) {
        /* Results come as requests settle: replies at ~10 ms, timeouts at ~1 s. */
        const viv_ping_result *r = &log.r[i < 2 ? i + 3 : i - 2];
        assert_int_equal(r->seq, i + 1);
        if (i < 2) {
            assert_int_equal(r->event, VIV_PING_TIMEOUT);
            continue;
        }
        assert_int_equal(r->event, VIV_PING_REPLY);
        /* Echo k (0..2) of the burst reaches h2 after k + 1 serializations; h2's replies
         * leave back to back, the first once the first echo has arrived. */
        int k = i - 2;
        viv_time_t arrive_back = t_reply + (viv_time_t)(k + 2) * echo;
        assert_int_equal(r->rtt_ns, arrive_back - VIV_MS(i));
    }
    assert_int_equal(log.done, 1);
    l3t_cap_fini(&cap);
}

/* Requests every arp_retry_ns; after arp_attempts of them, the waiting packet is dropped and
 * its sender told: a ping reports host unreachable from its own host. */
static void test_arp__retries_then_host_unreachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h1";
    o.arp_retry_ns = VIV_MS(200);
    o.arp_attempts = 4;
    viv_host_t *h1;
    assert_int_equal(viv_host_new(&h1, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h1, NULL), 0);
    l3t_addr(h1, 0, "10.0.0.1/24");
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "silent");
    l3t_link(sim, viv_host_port(h1, 0), viv_device_port(dev.dev, 0), NULL);
    l3t_pings log;
    memset(&log, 0, sizeof log);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    po.timeout_ns = VIV_S(2);
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &po, l3t_ping_cb, &log), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_mac_t m1 = l3t_host_mac(h1, 0), bc = l3t_bcast_mac();
    assert_int_equal(dev.n, 4);
    for (int i = 0; i < 4; i++) {
        check_arp(&dev.f[i], &bc, &m1, 1, &m1, VIV_IP4(10, 0, 0, 1), zero6, VIV_IP4(10, 0, 0, 2));
        assert_int_equal(dev.f[i].t, VIV_MS(200) * (viv_time_t)i + l3t_ser(60, GBPS));
    }
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_ERROR);
    assert_int_equal(log.r[0].icmp_type, 3);
    assert_int_equal(log.r[0].icmp_code, 1);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(log.r[0].rtt_ns, VIV_MS(800));
    viv_ip_stats_t st = l3t_stats(h1);
    assert_int_equal(st.arp_requests, 4);
    assert_int_equal(st.arp_failed, 1);
    assert_int_equal(st.drop_arp, 1);
    viv_arp_entry e;
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 0);
    l3t_dev_fini(&dev);
}

/* A router that cannot resolve the next hop answers the sender with host unreachable, from
 * its interface toward the sender. */
static void test_arp__router_failure_reaches_the_sender(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1);
    viv_host_t *r = l3t_router(sim, "r", 2);
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "silent");
    l3t_addr(h1, 0, "10.0.1.2/24");
    l3t_addr(r, 0, "10.0.1.1/24");
    l3t_addr(r, 1, "10.0.2.1/24");
    assert_int_equal(viv_host_set_gateway(h1, VIV_IP4(10, 0, 1, 1)), 0);
    l3t_link(sim, viv_host_port(h1, 0), viv_host_port(r, 0), NULL);
    l3t_link(sim, viv_host_port(r, 1), viv_device_port(dev.dev, 0), NULL);
    l3t_pings log;
    memset(&log, 0, sizeof log);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    po.timeout_ns = VIV_S(5);
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 2, 9), &po, l3t_ping_cb, &log), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_ERROR);
    assert_int_equal(log.r[0].icmp_type, 3);
    assert_int_equal(log.r[0].icmp_code, 1);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 1, 1));
    assert_int_equal(log.r[0].ttl, 64);
    /* h1's ARP exchange with r, the echo to r, r's 3 s of trying, the error back: it quotes
     * the whole 84-byte echo (RFC 1812 4.3.2.3), so 20 + 8 + 84 bytes of IP, a 126-byte
     * frame. */
    assert_int_equal(log.r[0].rtt_ns,
                     2 * l3t_ser(60, GBPS) + l3t_ser(98, GBPS) + VIV_S(3) + l3t_ser(126, GBPS));
    viv_ip_stats_t st = l3t_stats(r);
    assert_int_equal(st.arp_requests, 3); /* h1 asked r once; r asked for 10.0.2.9 3 times */
    assert_int_equal(st.arp_replies, 1);
    assert_int_equal(st.arp_failed, 1);
    assert_int_equal(st.drop_arp, 1);
    assert_int_equal(st.icmp_errors_tx, 1);
    assert_int_equal(st.ip_forwarded, 1);
    l3t_dev_fini(&dev);
}

/* Malformed ARP from a device: counted in arp_bad, dropped, never answered or learned. */
static void test_arp__malformed_and_foreign(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "10.0.0.1/24");
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "dev");
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(dev.dev, 0), NULL);
    viv_mac_t hm = l3t_host_mac(h, 0), bc = l3t_bcast_mac(), z = {{0}};
    viv_mac_t group = {{0x01, 0x00, 0x5e, 0, 0, 1}};
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 1), dip = VIV_IP4(10, 0, 0, 7);
    uint8_t f[60];
    /* 1: 20 bytes of ARP only. */
    memset(f, 0, sizeof f);
    l3t_eth(f, &bc, &dev.mac, 0x0806);
    l3t_arp(f + 14, 1, &dev.mac, dip, &z, me);
    l3t_dev_send(&dev, f, 34);
    /* 2: hardware type 6. */
    l3t_arp(f + 14, 1, &dev.mac, dip, &z, me);
    f[15] = 6;
    l3t_dev_send(&dev, f, 60);
    /* 3: protocol length 16. */
    l3t_arp(f + 14, 1, &dev.mac, dip, &z, me);
    f[19] = 16;
    l3t_dev_send(&dev, f, 60);
    /* 4: operation 3. */
    l3t_arp(f + 14, 3, &dev.mac, dip, &z, me);
    l3t_dev_send(&dev, f, 60);
    /* 5: a group sender address. */
    l3t_arp(f + 14, 1, &group, dip, &z, me);
    l3t_dev_send(&dev, f, 60);
    /* 6: a good request for someone else: no answer, nothing learned. */
    l3t_arp(f + 14, 1, &dev.mac, dip, &z, VIV_IP4(10, 0, 0, 99));
    l3t_dev_send(&dev, f, 60);
    /* 7: a good request for h, in a frame with 100 bytes of trailing padding. */
    uint8_t big[160] = {0};
    l3t_eth(big, &bc, &dev.mac, 0x0806);
    l3t_arp(big + 14, 1, &dev.mac, dip, &z, me);
    l3t_dev_send(&dev, big, sizeof big);
    /* 8: an EtherType vivarium does not handle (IPv6). */
    l3t_eth(f, &hm, &dev.mac, 0x86dd);
    l3t_dev_send(&dev, f, 60);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    viv_ip_stats_t st = l3t_stats(h);
    assert_int_equal(st.rx_frames, 8);
    assert_int_equal(st.arp_rx, 7);
    assert_int_equal(st.arp_bad, 5);
    assert_int_equal(st.arp_replies, 1);
    assert_int_equal(st.rx_bad_frame, 1);
    assert_int_equal(dev.n, 1);
    check_arp(&dev.f[0], &dev.mac, &hm, 2, &hm, me, dev.mac.b, dip);
    viv_arp_entry e[2];
    assert_int_equal(viv_host_arp_table(h, e, 2), 1);
    assert_int_equal(e[0].ip, dip);
    assert_memory_equal(e[0].mac.b, dev.mac.b, 6);
    assert_int_equal(viv_host_arp_table(NULL, e, 2), VIV_EINVAL);
    assert_int_equal(viv_host_arp_table(h, NULL, 2), VIV_EINVAL);
    assert_int_equal(viv_host_arp_table(h, NULL, 0), 1);
    assert_int_equal(viv_host_arp_table_text(NULL, NULL, 0), VIV_EINVAL);
    l3t_dev_fini(&dev);
}

/* Drops traced by arp_input: kind, the host, and the bytes given. */
typedef struct arp_drops {
    int n;
    const viv_node_t *node[4];
    uint32_t len[4];
    uint8_t first[4]; /* the first byte given: 0x00 (ARP's hardware type) */
} arp_drops;

static void arp_drop_cb(const viv_trace_record *r, void *user)
{
    arp_drops *d = user;
    if (r->kind != VIV_TRACE_FRAME_DROP || r->reason != VIV_DROP_MALFORMED || d->n >= 4)
        return;
    d->node[d->n] = r->node;
    d->len[d->n] = r->frame_len;
    d->first[d->n] = r->frame ? r->frame[0] : 0xff;
    d->n++;
}

/* A broadcast request flooded by a hub is read in place by every host (no host strips the
 * shared frame): the target answers, the bystander only listens, and a malformed one is
 * dropped by both, each trace record carrying the ARP packet alone, as before. */
static void test_arp__flooded_requests_are_read_in_place(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_hub_t *hub;
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    viv_host_t *a = l3t_host(sim, "a", 1), *b = l3t_host(sim, "b", 1);
    l3t_addr(a, 0, "10.0.0.1/24");
    l3t_addr(b, 0, "10.0.0.2/24");
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "dev");
    l3t_link(sim, viv_host_port(a, 0), viv_hub_port(hub, 0), NULL);
    l3t_link(sim, viv_host_port(b, 0), viv_hub_port(hub, 1), NULL);
    l3t_link(sim, viv_device_port(dev.dev, 0), viv_hub_port(hub, 2), NULL);
    arp_drops drops = {0};
    assert_int_equal(viv_sim_trace(sim, arp_drop_cb, &drops), 0);
    viv_mac_t bc = l3t_bcast_mac(), z = {{0}}, am = l3t_host_mac(a, 0);
    const viv_ip4_t dip = VIV_IP4(10, 0, 0, 7);
    uint8_t f[60] = {0};
    l3t_eth(f, &bc, &dev.mac, 0x0806);
    l3t_arp(f + 14, 1, &dev.mac, dip, &z, VIV_IP4(10, 0, 0, 1));
    l3t_dev_send(&dev, f, sizeof f);
    f[15] = 6; /* hardware type 6: malformed */
    l3t_dev_send(&dev, f, sizeof f);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    viv_ip_stats_t sa = l3t_stats(a), sb = l3t_stats(b);
    assert_int_equal(sa.arp_rx, 2);
    assert_int_equal(sb.arp_rx, 2);
    assert_int_equal(sa.arp_bad, 1);
    assert_int_equal(sb.arp_bad, 1);
    assert_int_equal(sa.arp_replies, 1);
    assert_int_equal(sb.arp_replies, 0);
    viv_arp_entry e[2];
    assert_int_equal(viv_host_arp_table(a, e, 2), 1); /* the target learned the requester */
    assert_int_equal(viv_host_arp_table(b, e, 2), 0); /* the bystander had nothing to merge */
    assert_int_equal(dev.n, 1);
    check_arp(&dev.f[0], &dev.mac, &am, 2, &am, VIV_IP4(10, 0, 0, 1), dev.mac.b, dip);
    assert_int_equal(drops.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(drops.len[i], 60 - 14);
        assert_int_equal(drops.first[i], 0x00);
    }
    assert_ptr_not_equal(drops.node[0], drops.node[1]);
    assert_int_equal(viv_sim_trace(sim, NULL, NULL), 0);
    l3t_dev_fini(&dev);
}

/* ---- the cache's size and aging ---------------------------------------------------------- */

/* An ARP request from a device for `target`, sent now by sender n (address spa). */
static void inject_request(l3t_dev *d, uint32_t n, viv_ip4_t spa, viv_ip4_t target)
{
    uint8_t f[60] = {0};
    viv_mac_t bc = l3t_bcast_mac(), z = {{0}}, sha = l3t_mac(n);
    l3t_eth(f, &bc, &sha, 0x0806);
    l3t_arp(f + 14, 1, &sha, spa, &z, target);
    l3t_dev_send(d, f, sizeof f);
}

static int ip_cmp(const void *a, const void *b)
{
    viv_ip4_t x = *(const viv_ip4_t *)a, y = *(const viv_ip4_t *)b;
    return x < y ? -1 : x > y;
}

/* 5,000 distinct senders ask for a host whose cache holds 1,000: it keeps the 1,000 most
 * recent, counts the 4,000 it evicted, and holds one ARP event. With no traffic the entries
 * age out 60 s after each arrived; then the cache is empty and nothing is pending. */
static void test_arp__flood_is_bounded_and_ages_out(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { N = 5000, LIMIT = 1000 };
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h";
    o.arp_max_entries = LIMIT;
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    l3t_addr(h, 0, "10.0.0.1/8");
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "flood");
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.queue_frames = 2 * N;
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(dev.dev, 0), &p);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 1);
    static viv_ip4_t spa[N], want[LIMIT];
    for (uint32_t i = 0; i < N; i++) { /* distinct, in no particular order */
        spa[i] = VIV_IP4(10, 1, 0, 0) + ((i * 2654435761u) & 0x1fffu);
        inject_request(&dev, 1000 + i, spa[i], me);
    }
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(100)), 0);
    viv_ip_stats_t st = l3t_stats(h);
    assert_int_equal(st.arp_rx, N);
    assert_int_equal(st.arp_replies, N); /* every request is answered */
    assert_int_equal(st.arp_evicted, N - LIMIT);
    assert_int_equal(st.arp_refused, 0);
    assert_int_equal(dev.n, N);
    /* The last LIMIT senders remain, listed by address. */
    static viv_arp_entry rows[LIMIT + 1];
    assert_int_equal(viv_host_arp_table(h, rows, LIMIT + 1), LIMIT);
    memcpy(want, spa + (N - LIMIT), sizeof want);
    qsort(want, LIMIT, sizeof *want, ip_cmp);
    viv_time_t youngest = VIV_TIME_NEVER;
    for (uint32_t k = 0; k < LIMIT; k++) {
        assert_int_equal(rows[k].ip, want[k]);
        assert_int_equal(rows[k].state, VIV_ARP_REACHABLE);
        if (rows[k].age_ns < youngest)
            youngest = rows[k].age_ns;
    }
    /* Aging takes no event: nothing is pending. */
    assert_int_equal(viv_sim_pending(sim), 0);
    /* Listing a cache this size sorts a temporary array: a failure is reported. */
    viv_test_fixture *fx = *state;
    fx->alloc.fail_at = fx->alloc.calls + 1;
    assert_int_equal(viv_host_arp_table(h, rows, 1), VIV_ENOMEM);
    fx->alloc.fail_at = fx->alloc.calls + 1;
    char text[64];
    assert_int_equal(viv_host_arp_table_text(h, text, sizeof text), VIV_ENOMEM);
    fx->alloc.fail_at = 0;
    assert_int_equal(viv_host_arp_table(h, NULL, 0), LIMIT); /* a count needs no sort */
    /* The last sender arrived at t_last; each entry goes 60 s after its arrival. */
    viv_time_t t_last = VIV_MS(100) - youngest;
    assert_int_equal(viv_sim_run_until(sim, t_last + VIV_S(60) - 1), 0);
    assert_int_equal(viv_host_arp_table(h, rows, 1), 1);
    assert_int_equal(rows[0].ip, spa[N - 1]);
    assert_int_equal(rows[0].state, VIV_ARP_REACHABLE); /* STALE and gone at the same instant */
    assert_int_equal(l3t_stats(h).arp_expired, LIMIT - 1);
    assert_int_equal(viv_sim_pending(sim), 0);
    assert_int_equal(viv_sim_run_until(sim, t_last + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(h, NULL, 0), 0);
    assert_int_equal(l3t_stats(h).arp_expired, LIMIT);
    assert_int_equal(viv_sim_pending(sim), 0);
    l3t_dev_fini(&dev);
}

/* A full cache makes room by evicting its least recently used idle entry (REACHABLE or
 * STALE), never one that is resolving with packets waiting; when every entry is resolving,
 * the new one is refused and its packet dropped. */
static void test_arp__full_cache_evicts_lru_idle_then_refuses(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h";
    o.arp_max_entries = 3;
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    l3t_addr(h, 0, "10.0.0.1/24");
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "silent");
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(dev.dev, 0), NULL);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 1);
    const viv_ip4_t A = VIV_IP4(10, 0, 0, 11), B = VIV_IP4(10, 0, 0, 12),
                    C = VIV_IP4(10, 0, 0, 13), D = VIV_IP4(10, 0, 0, 14),
                    E = VIV_IP4(10, 0, 0, 15), F = VIV_IP4(10, 0, 0, 16);
    l3t_pings log;
    viv_arp_entry e[4];
    /* h learns A, then B (both ask for it), then sends to A: B is the least recently used. */
    inject_request(&dev, 1, A, me);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    inject_request(&dev, 2, B, me);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(2)), 0);
    l3t_ping(h, A, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(3)), 0);
    /* C is resolving: the cache is full. */
    l3t_ping(h, C, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(4)), 0);
    assert_int_equal(viv_host_arp_table(h, e, 4), 3);
    assert_int_equal(l3t_stats(h).arp_evicted, 0);
    /* D takes B's place, E takes A's. */
    l3t_ping(h, D, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(5)), 0);
    assert_int_equal(viv_host_arp_table(h, e, 4), 3);
    assert_int_equal(e[0].ip, A);
    assert_int_equal(e[1].ip, C);
    assert_int_equal(e[2].ip, D);
    l3t_ping(h, E, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(6)), 0);
    assert_int_equal(viv_host_arp_table(h, e, 4), 3);
    const viv_ip4_t resolving[3] = {C, D, E};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(e[i].ip, resolving[i]);
        assert_int_equal(e[i].state, VIV_ARP_INCOMPLETE);
        assert_int_equal(e[i].queued, 1);
    }
    /* Nothing idle is left: F is refused and its packet dropped. */
    l3t_ping(h, F, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(7)), 0);
    viv_ip_stats_t st = l3t_stats(h);
    assert_int_equal(st.arp_evicted, 2);
    assert_int_equal(st.arp_refused, 1);
    assert_int_equal(st.drop_arp, 1);
    assert_int_equal(st.arp_requests, 3); /* C, D, E; none for F */
    assert_int_equal(viv_host_arp_table(h, e, 4), 3);
    assert_int_equal(e[2].ip, E);
    /* The resolutions fail as usual (3 requests, 1 s apart); then there is room again. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(4)), 0);
    st = l3t_stats(h);
    assert_int_equal(st.arp_failed, 3);
    assert_int_equal(st.drop_arp, 4);
    assert_int_equal(viv_host_arp_table(h, e, 4), 0);
    l3t_ping(h, F, 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(4) + VIV_MS(1)), 0);
    assert_int_equal(viv_host_arp_table(h, e, 4), 1);
    assert_int_equal(e[0].ip, F);
    assert_int_equal(l3t_stats(h).arp_refused, 1);
    l3t_dev_fini(&dev);
}

/* An entry neither used nor confirmed for 60 s (by default) goes, at that exact instant; one
 * that keeps being used stays (revalidated by probes once STALE). Aging takes no event, so
 * viv_sim_run() ends with the last packet, not when the caches have aged out. */
static void test_arp__unused_entries_age_out(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h1";
    viv_host_t *h1, *h2;
    viv_link_t *l;
    pair(sim, &h1, &h2, &l, &o);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    l3t_pings log;
    assert_int_equal(viv_sim_pending(sim), 0);
    l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 1, 0, &log);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(cap.n, 4); /* request, reply, echo, echo reply */
    /* h1 last touched its entry when the reply confirmed it (and the echo left); h2 when it
     * sent the echo reply. */
    const viv_time_t t1 = cap.f[1].t, t2 = cap.f[2].t;
    assert_int_equal(viv_sim_pending(sim), 0); /* aging is not an event */
    viv_arp_entry e;
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(60) - 1), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(e.state, VIV_ARP_REACHABLE);
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 0);
    assert_int_equal(l3t_stats(h1).arp_expired, 1);
    assert_int_equal(viv_sim_run_until(sim, t2 + VIV_S(60) - 1), 0);
    assert_int_equal(viv_host_arp_table(h2, &e, 1), 1);
    assert_int_equal(viv_sim_run_until(sim, t2 + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(h2, &e, 1), 0);
    assert_int_equal(l3t_stats(h2).arp_expired, 1);
    assert_int_equal(viv_sim_pending(sim), 0);
    /* Used every 50 s, an entry outlives 60 s: never expired while the pings go on. */
    memset(&log, 0, sizeof log);
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 4;
    po.interval_ns = VIV_S(50);
    viv_time_t t0 = viv_sim_now(sim);
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &po, l3t_ping_cb, &log), 0);
    assert_int_equal(viv_sim_run_until(sim, t0 + VIV_S(151)), 0);
    assert_int_equal(log.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(log.r[i].event, VIV_PING_REPLY);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(l3t_stats(h1).arp_expired, 1);
    /* The first resolution, a second one (the entry had aged out), one probe at 100 s. */
    assert_int_equal(l3t_stats(h1).arp_requests, 3);
    /* Run until idle: the run ends with the last reply, the caches still full; a minute
     * later they have aged out. */
    assert_int_equal(viv_sim_run(sim), 0);
    viv_time_t end = viv_sim_now(sim);
    assert_true(end < t0 + VIV_S(152)); /* the last reply, or an ARP retry a second later */
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
    assert_int_equal(viv_sim_run_until(sim, end + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(h1, &e, 1), 0);
    assert_int_equal(viv_host_arp_table(h2, &e, 1), 0);
    assert_int_equal(l3t_stats(h1).arp_expired, 2);
    assert_int_equal(viv_sim_pending(sim), 0);
    l3t_cap_fini(&cap);
}

/* The aging time is max(arp_gc_stale_ns, arp_reachable_ns): a REACHABLE entry never goes. */
static void test_arp__aging_time_is_the_longer_of_stale_and_reachable(void **state)
{
    (void)state;
    const viv_time_t stale[2] = {VIV_S(20), VIV_S(5)};
    const viv_time_t life[2] = {VIV_S(20), VIV_S(10)};
    for (int k = 0; k < 2; k++) {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 1);
        viv_host_opts o = VIV_HOST_OPTS_INIT;
        o.name = "h1";
        o.arp_reachable_ns = VIV_S(10);
        o.arp_gc_stale_ns = stale[k];
        viv_host_t *h1, *h2;
        viv_link_t *l;
        pair(sim, &h1, &h2, &l, &o);
        l3t_cap cap;
        l3t_cap_start(&cap, sim, l);
        l3t_pings log;
        l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 1, 0, &log);
        assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
        const viv_time_t t1 = cap.f[1].t;
        assert_int_equal(viv_sim_run_until(sim, t1 + life[k] - 1), 0);
        viv_arp_entry e;
        assert_int_equal(viv_host_arp_table(h1, &e, 1), 1);
        assert_int_equal(e.state, k == 0 ? VIV_ARP_STALE : VIV_ARP_REACHABLE);
        assert_int_equal(viv_sim_run_until(sim, t1 + life[k]), 0);
        assert_int_equal(viv_host_arp_table(h1, NULL, 0), 0);
        assert_int_equal(l3t_stats(h1).arp_expired, 1);
        l3t_cap_fini(&cap);
        viv_test_sim_free(sim, &a);
    }
}

/* Listings are sorted by interface, then address, whatever the order entries came in; the
 * text is a string even when the cache is empty (snprintf-like), and when cut short. */
static void test_arp__listing_sorted_and_text_terminated(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 2);
    l3t_addr(h, 0, "10.0.1.1/24");
    l3t_addr(h, 1, "10.0.2.1/24");
    l3t_dev d0, d1;
    l3t_dev_init(&d0, sim, 7, "d0");
    l3t_dev_init(&d1, sim, 8, "d1");
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(d0.dev, 0), NULL);
    l3t_link(sim, viv_host_port(h, 1), viv_device_port(d1.dev, 0), NULL);
    char text[256];
    memset(text, 'x', sizeof text);
    assert_int_equal(viv_host_arp_table_text(h, text, sizeof text), 0);
    assert_string_equal(text, "");
    assert_int_equal(viv_host_arp_table_text(h, NULL, 0), 0);
    inject_request(&d1, 1, VIV_IP4(10, 0, 2, 5), VIV_IP4(10, 0, 2, 1));
    inject_request(&d0, 2, VIV_IP4(10, 0, 1, 9), VIV_IP4(10, 0, 1, 1));
    inject_request(&d0, 3, VIV_IP4(10, 0, 1, 3), VIV_IP4(10, 0, 1, 1));
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    viv_arp_entry e[3];
    assert_int_equal(viv_host_arp_table(h, e, 3), 3);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 1, 3));
    assert_int_equal(e[0].iface, 0);
    assert_int_equal(e[1].ip, VIV_IP4(10, 0, 1, 9));
    assert_int_equal(e[2].ip, VIV_IP4(10, 0, 2, 5));
    assert_int_equal(e[2].iface, 1);
    const char *want = "? (10.0.1.3) at 02:aa:00:00:00:03 [ether] on eth0\n"
                       "? (10.0.1.9) at 02:aa:00:00:00:02 [ether] on eth0\n"
                       "? (10.0.2.5) at 02:aa:00:00:00:01 [ether] on eth1\n";
    assert_int_equal(viv_host_arp_table_text(h, text, sizeof text), (int)strlen(want));
    assert_string_equal(text, want);
    memset(text, 'x', sizeof text);
    assert_int_equal(viv_host_arp_table_text(h, text, 10), (int)strlen(want));
    assert_string_equal(text, "? (10.0.1");
    l3t_dev_fini(&d0);
    l3t_dev_fini(&d1);
}

/* ---- address conflicts ------------------------------------------------------------------- */

/* An ARP packet (target MAC zero) sent by device d to eth_dst, with sender sha and spa. */
static void inject_arp(l3t_dev *d, const viv_mac_t *eth_dst, uint16_t op, const viv_mac_t *sha,
                       viv_ip4_t spa, viv_ip4_t tpa)
{
    uint8_t f[60] = {0};
    viv_mac_t z = {{0}};
    l3t_eth(f, eth_dst, &d->mac, 0x0806);
    l3t_arp(f + 14, op, sha, spa, &z, tpa);
    l3t_dev_send(d, f, sizeof f);
}

/* RFC 5227 section 2.4: an ARP packet, request or reply, whose sender address is one of the
 * host's own but whose sender MAC is not, is a conflict: counted, never learned (the host's
 * own address would enter its cache, bound to the other station) and never answered. The
 * host's own packets heard again are neither. Before, a gratuitous request for 10.0.0.5
 * from another station made h cache "10.0.0.5 is at that station" and answer it. */
static void test_arp__own_address_from_another_mac_is_a_conflict_never_learned(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 2);
    l3t_addr(h, 0, "10.0.0.5/24");
    l3t_addr(h, 1, "10.0.1.1/24");
    l3t_dev d0, d1;
    l3t_dev_init(&d0, sim, 7, "d0");
    l3t_dev_init(&d1, sim, 8, "d1");
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(d0.dev, 0), NULL);
    l3t_link(sim, viv_host_port(h, 1), viv_device_port(d1.dev, 0), NULL);
    const viv_mac_t bc = l3t_bcast_mac(), m0 = l3t_host_mac(h, 0), m1 = l3t_host_mac(h, 1);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 5);
    /* Conflicts: a gratuitous request (an announcement), a reply, a request for someone
     * else, and on eth1 a request claiming eth0's address. */
    inject_arp(&d0, &bc, 1, &d0.mac, me, me);
    inject_arp(&d0, &m0, 2, &d0.mac, me, me);
    inject_arp(&d0, &bc, 1, &d0.mac, me, VIV_IP4(10, 0, 0, 9));
    inject_arp(&d1, &bc, 1, &d1.mac, me, VIV_IP4(10, 0, 1, 1));
    /* Not conflicts: h's own requests heard again, from eth0's and from eth1's MAC. */
    inject_arp(&d0, &bc, 1, &m0, me, VIV_IP4(10, 0, 0, 9));
    inject_arp(&d0, &bc, 1, &m1, me, VIV_IP4(10, 0, 0, 9));
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(1)), 0);
    viv_ip_stats_t st = l3t_stats(h);
    assert_int_equal(st.arp_rx, 6);
    assert_int_equal(st.arp_conflicts, 4);
    assert_int_equal(st.arp_bad, 0);
    assert_int_equal(st.arp_replies, 0);
    assert_int_equal(viv_host_arp_table(h, NULL, 0), 0);
    assert_int_equal(d0.n + d1.n, 0);
    /* An ordinary request still teaches and is answered. */
    inject_arp(&d0, &bc, 1, &d0.mac, VIV_IP4(10, 0, 0, 7), me);
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(2)), 0);
    st = l3t_stats(h);
    assert_int_equal(st.arp_conflicts, 4);
    assert_int_equal(st.arp_replies, 1);
    assert_int_equal(d0.n, 1);
    check_arp(&d0.f[0], &d0.mac, &m0, 2, &m0, me, d0.mac.b, VIV_IP4(10, 0, 0, 7));
    viv_arp_entry e[2];
    assert_int_equal(viv_host_arp_table(h, e, 2), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 7));
    l3t_dev_fini(&d0);
    l3t_dev_fini(&d1);
}

/* Two hosts, A and B, are both given 10.0.0.5 behind one switch; P (10.0.0.1) pings
 * 10.0.0.5. What P experiences: every echo is answered, "from 10.0.0.5", but by two
 * machines. Its request reached both (flooded); both answered it, and both answers reached
 * P, the second replacing the first in P's cache (RFC 826's merge; Linux would keep the
 * first for its locktime, 1 s). So echo 1, waiting for the first answer, went to A, and
 * echoes 2 to 4 to B. Neither A nor B can tell: each
 * answer went to P alone (the switch had learned P), so neither heard the other claim the
 * address, and no host counts a conflict (as with real hosts: nothing is said).
 *
 * The conflict shows once one of them broadcasts a request: A looks for an absent 10.0.0.9
 * (3 requests, all with 10.0.0.5 as their sender address). B hears them and counts 3
 * conflicts, learning nothing; A, who never heard B, counts none. P, a bystander with an
 * entry for 10.0.0.5, takes A's MAC from them (the merge again): its next echoes go to A. */
static void test_arp__duplicate_address_behind_a_switch(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
    viv_host_t *p = l3t_host(sim, "P", 1), *a = l3t_host(sim, "A", 1), *b = l3t_host(sim, "B", 1);
    l3t_addr(p, 0, "10.0.0.1/24");
    l3t_addr(a, 0, "10.0.0.5/24");
    l3t_addr(b, 0, "10.0.0.5/24");
    l3t_link(sim, viv_host_port(p, 0), viv_switch_port(sw, 0), NULL);
    l3t_link(sim, viv_host_port(a, 0), viv_switch_port(sw, 1), NULL);
    l3t_link(sim, viv_host_port(b, 0), viv_switch_port(sw, 2), NULL);
    const viv_mac_t ma = l3t_host_mac(a, 0), mb = l3t_host_mac(b, 0), mp = l3t_host_mac(p, 0);
    const viv_ip4_t dup = VIV_IP4(10, 0, 0, 5);

    l3t_pings log;
    memset(&log, 0, sizeof log);
    assert_int_equal(viv_ping_start(NULL, p, dup, NULL, l3t_ping_cb, &log), 0); /* 4, 1 s apart */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(5)), 0);
    assert_int_equal(log.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.r[i].event, VIV_PING_REPLY);
        assert_int_equal(log.r[i].from, dup);
    }
    viv_ip_stats_t sp = l3t_stats(p), sa = l3t_stats(a), sb = l3t_stats(b);
    assert_int_equal(sp.arp_requests, 1);
    assert_int_equal(sp.arp_rx, 2);       /* two answers to one request */
    assert_int_equal(sa.ip_delivered, 1); /* echo 1 */
    assert_int_equal(sb.ip_delivered, 3); /* echoes 2, 3, 4 */
    assert_int_equal(sa.arp_replies, 1);
    assert_int_equal(sb.arp_replies, 1);
    assert_int_equal(sp.arp_conflicts + sa.arp_conflicts + sb.arp_conflicts, 0);
    viv_arp_entry e[2];
    assert_int_equal(viv_host_arp_table(p, e, 2), 1);
    assert_int_equal(e[0].ip, dup);
    assert_memory_equal(e[0].mac.b, mb.b, 6);
    for (viv_host_t **h = (viv_host_t *[]){a, b}, **end = h + 2; h < end; h++) {
        assert_int_equal(viv_host_arp_table(*h, e, 2), 1);
        assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 1));
        assert_memory_equal(e[0].mac.b, mp.b, 6);
    }

    /* A broadcasts: B hears its own address claimed from A's MAC, three times. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    assert_int_equal(viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 9), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(10)), 0);
    sa = l3t_stats(a);
    sb = l3t_stats(b);
    sp = l3t_stats(p);
    assert_int_equal(sa.arp_requests, 3);
    assert_int_equal(sa.arp_failed, 1);
    assert_int_equal(sb.arp_rx, 4); /* P's request, A's three */
    assert_int_equal(sb.arp_conflicts, 3);
    assert_int_equal(sa.arp_conflicts, 0);
    assert_int_equal(sp.arp_conflicts, 0);
    assert_int_equal(sb.arp_replies, 1);
    /* Nobody holds an entry for its own address; B still knows only P. */
    assert_int_equal(viv_host_arp_table(b, e, 2), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 1));
    assert_int_equal(viv_host_arp_table(a, e, 2), 1);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 1));
    /* P followed A's requests: 10.0.0.5 is A's MAC now, and the next echoes go to A. */
    assert_int_equal(viv_host_arp_table(p, e, 2), 1);
    assert_memory_equal(e[0].mac.b, ma.b, 6);
    const uint64_t a_before = sa.ip_delivered, b_before = sb.ip_delivered;
    memset(&log, 0, sizeof log);
    po.count = 2;
    assert_int_equal(viv_ping_start(NULL, p, dup, &po, l3t_ping_cb, &log), 0);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(12)), 0);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    assert_int_equal(log.r[1].event, VIV_PING_REPLY);
    assert_int_equal(l3t_stats(a).ip_delivered - a_before, 2);
    assert_int_equal(l3t_stats(b).ip_delivered - b_before, 0);
    assert_int_equal(l3t_stats(p).arp_requests, 1); /* no new resolution: the cache was sure */
}

/* A UDP socket's sends through every state of its next hop's entry: INCOMPLETE (made by
 * the first, the second waiting behind it), REACHABLE, STALE (sent at once, a unicast
 * probe), aged out at the instant of the send (resolved again), and a directed broadcast
 * (no entry). h1 (reachable 10 s, aging 30 s) shares a switch with h2 and h3, so that its
 * table has more than one entry (the map, not the one-entry key); each sink counts. */
typedef struct udp_sink {
    int n;
} udp_sink;

static void udp_sink_cb(viv_udp_t *s, uint32_t events, void *user)
{
    udp_sink *k = user;
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_discard(s) >= 0)
        k->n++;
}

static void test_arp__udp_sends_through_every_state(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h1";
    o.arp_reachable_ns = VIV_S(10);
    o.arp_gc_stale_ns = VIV_S(30);
    viv_host_t *h[3];
    assert_int_equal(viv_host_new(&h[0], sim, &o), 0);
    assert_int_equal(viv_host_add_iface(h[0], NULL), 0);
    h[1] = l3t_host(sim, "h2", 1);
    h[2] = l3t_host(sim, "h3", 1);
    viv_link_t *l1 = NULL;
    udp_sink sink[3] = {{0}, {0}, {0}};
    for (int i = 0; i < 3; i++) {
        char cidr[24];
        snprintf(cidr, sizeof cidr, "10.0.0.%d/24", i + 1);
        l3t_addr(h[i], 0, cidr);
        viv_link_t *l = l3t_link(sim, viv_host_port(h[i], 0), viv_switch_port(sw, (uint32_t)i),
                                 NULL);
        if (i == 0)
            l1 = l;
        viv_udp_t *rx;
        viv_sockaddr_t any = {VIV_IP4_ANY, 9};
        assert_int_equal(viv_udp_new(&rx, h[i], NULL, udp_sink_cb, &sink[i]), 0);
        assert_int_equal(viv_udp_bind(rx, &any), 0);
    }
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l1);
    viv_udp_opts uo = VIV_UDP_OPTS_INIT;
    uo.broadcast = 1;
    viv_udp_t *tx;
    assert_int_equal(viv_udp_new(&tx, h[0], &uo, NULL, NULL), 0);
    const viv_sockaddr_t to2 = {VIV_IP4(10, 0, 0, 2), 9}, to3 = {VIV_IP4(10, 0, 0, 3), 9};
    static const uint8_t data[100] = {1};
    viv_arp_entry e[4];
    /* No entry: the first send to h2 makes one (INCOMPLETE) and asks; the second finds it
     * resolving and waits behind the first; h3's makes a second entry. */
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to2), 100);
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to2), 100);
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to3), 100);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    assert_int_equal(e[0].state, VIV_ARP_INCOMPLETE);
    assert_int_equal(e[0].queued, 2);
    assert_int_equal(e[1].state, VIV_ARP_INCOMPLETE);
    assert_int_equal(e[1].queued, 1);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(1)), 0);
    assert_int_equal(sink[1].n, 2);
    assert_int_equal(sink[2].n, 1);
    assert_int_equal(l3t_stats(h[0]).arp_requests, 2);
    /* REACHABLE: sent at once to h2's MAC, nothing asked. */
    size_t n0 = cap.n;
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to2), 100);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(2)), 0);
    assert_int_equal(cap.n, n0 + 1);
    viv_mac_t m1 = l3t_host_mac(h[0], 0), m2 = l3t_host_mac(h[1], 0);
    assert_memory_equal(cap.f[n0].b, m2.b, 6);
    assert_int_equal(cap.f[n0].info.ethertype, 0x0800);
    assert_int_equal(sink[1].n, 3);
    /* STALE at 15 s: the datagram leaves with the old MAC right after a unicast probe, and
     * the entry is PROBE until h2 answers. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(15)), 0);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    assert_int_equal(e[0].state, VIV_ARP_STALE);
    n0 = cap.n;
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to2), 100);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    assert_int_equal(e[0].state, VIV_ARP_PROBE);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(16)), 0);
    assert_int_equal(cap.n, n0 + 3); /* the probe, the datagram, h2's answer */
    check_arp(&cap.f[n0], &m2, &m1, 1, &m1, VIV_IP4(10, 0, 0, 1), zero6, VIV_IP4(10, 0, 0, 2));
    assert_memory_equal(cap.f[n0 + 1].b, m2.b, 6);
    assert_int_equal(cap.f[n0 + 1].info.ethertype, 0x0800);
    assert_int_equal(sink[1].n, 4);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    assert_int_equal(e[0].state, VIV_ARP_REACHABLE);
    assert_int_equal(l3t_stats(h[0]).arp_requests, 3);
    /* h3's entry, last touched when its reply came (before 1 s), has aged out by 40 s: the
     * send removes it first (aging), so it resolves again; h2's, confirmed at 15 s, is
     * still there. */
    assert_int_equal(viv_sim_run_until(sim, VIV_S(40)), 0);
    n0 = cap.n;
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &to3), 100);
    assert_int_equal(l3t_stats(h[0]).arp_expired, 1);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    assert_int_equal(e[0].ip, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(e[1].ip, VIV_IP4(10, 0, 0, 3));
    assert_int_equal(e[1].state, VIV_ARP_INCOMPLETE);
    assert_int_equal(e[1].queued, 1);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(41)), 0);
    assert_int_equal(cap.n, n0 + 3); /* request, reply, the datagram */
    assert_int_equal(cap.f[n0 + 2].info.ethertype, 0x0800);
    assert_int_equal(sink[2].n, 2);
    assert_int_equal(l3t_stats(h[0]).arp_requests, 4);
    /* A directed broadcast is not a unicast next hop: it goes to ff:ff:ff:ff:ff:ff, to
     * both others, with no entry made. */
    n0 = cap.n;
    const viv_sockaddr_t bc = {VIV_IP4(10, 0, 0, 255), 9};
    assert_int_equal(viv_udp_sendto(tx, data, sizeof data, &bc), 100);
    assert_int_equal(viv_sim_run_until(sim, VIV_S(42)), 0);
    viv_mac_t b = l3t_bcast_mac();
    assert_int_equal(cap.n, n0 + 1);
    assert_memory_equal(cap.f[n0].b, b.b, 6);
    assert_int_equal(sink[1].n, 5);
    assert_int_equal(sink[2].n, 3);
    assert_int_equal(sink[0].n, 0);
    assert_int_equal(viv_host_arp_table(h[0], e, 4), 2);
    viv_ip_stats_t st = l3t_stats(h[0]);
    assert_int_equal(st.arp_requests, 4);
    assert_int_equal(st.drop_arp, 0);
    assert_int_equal(st.ip_sent, 7);
    l3t_cap_fini(&cap);
}

/* ---- touches that move nothing (arp.c, "Aging and the size limit") ----------------------- */

/* A host h (10.0.0.1/24, at most max_entries ARP entries) cabled to a silent device that
 * speaks for other stations; a UDP socket of h whose sends touch its entries; and the trace's
 * ARP removals, in order. */
/* ARP entries removed, in order: the host's (from the trace) or a model's. */
#define GONE_MAX 8192
typedef struct gone_log {
    size_t n;
    viv_ip4_t ip[GONE_MAX];
    viv_time_t at[GONE_MAX];
} gone_log;

static void gone_add(gone_log *g, viv_ip4_t ip, viv_time_t t)
{
    assert_true(g->n < GONE_MAX);
    g->ip[g->n] = ip;
    g->at[g->n] = t;
    g->n++;
}

typedef struct lazy_world {
    viv_sim_t *sim;
    viv_host_t *h;
    l3t_dev dev;
    viv_udp_t *tx;
    viv_time_t lat; /* from a device's request to the entry it makes */
    gone_log gone;
} lazy_world;

static void lazy_trace_cb(const viv_trace_record *r, void *user)
{
    lazy_world *w = user;
    if (r->kind == VIV_TRACE_ARP && r->state == -1)
        gone_add(&w->gone, r->ip, r->time);
}

#define LZ(x) VIV_IP4(10, 0, 0, 10 + (x)) /* LZ(1) is A, LZ(2) B, and so on */

static void lazy_build(lazy_world *w, viv_sim_t *sim, uint32_t max_entries)
{
    memset(w, 0, sizeof(*w));
    w->sim = sim;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h";
    o.arp_max_entries = max_entries;
    assert_int_equal(viv_host_new(&w->h, sim, &o), 0);
    assert_int_equal(viv_host_add_iface(w->h, NULL), 0);
    l3t_addr(w->h, 0, "10.0.0.1/24");
    l3t_dev_init(&w->dev, sim, 7, "stations");
    l3t_link(sim, viv_host_port(w->h, 0), viv_device_port(w->dev.dev, 0), NULL);
    assert_int_equal(viv_udp_new(&w->tx, w->h, NULL, NULL, NULL), 0);
    assert_int_equal(viv_sim_trace(sim, lazy_trace_cb, w), 0);
}

/* Station x asks for h now: h makes (or refreshes) x's entry lat later. */
static void lazy_ask(lazy_world *w, uint32_t x)
{
    inject_request(&w->dev, 100 + x, LZ(x), VIV_IP4(10, 0, 0, 1));
}

/* h sends a datagram to station x now: a use of x's entry (REACHABLE and fresh: a touch). */
static void lazy_send(lazy_world *w, uint32_t x)
{
    static const uint8_t data[20] = {1};
    const viv_sockaddr_t to = {LZ(x), 9};
    assert_int_equal(viv_udp_sendto(w->tx, data, sizeof data, &to), (int)sizeof data);
}

static void lazy_send_b_cb(viv_sim_t *sim, void *user)
{
    (void)sim;
    lazy_send(user, 2);
}

/* Whether h has an entry for station x. */
static int lazy_has(lazy_world *w, uint32_t x)
{
    viv_arp_entry e[16];
    int n = viv_host_arp_table(w->h, e, 16);
    assert_true(n >= 0 && n <= 16);
    for (int i = 0; i < n; i++)
        if (e[i].ip == LZ(x))
            return 1;
    return 0;
}

/* Five entries whose touches came in an order other than the one they were placed in:
 * A, B, C, D placed at 1, 2, 3, 4 ms (plus lat); then sends to C at 10 ms, to A at 11 ms, to
 * D and B (in that order) at 12 ms; at t5 = 20 ms + lat, a send to B, then E's entry made,
 * then a send to A, all three at that instant. From the least recently touched: C, D, B, E,
 * A; each expires 60 s after its last touch. Returns t5. */
static viv_time_t lazy_scenario(lazy_world *w)
{
    for (uint32_t x = 1; x <= 4; x++) {
        assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(x)), 0);
        lazy_ask(w, x);
    }
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(5)), 0);
    viv_arp_entry e[8];
    assert_int_equal(viv_host_arp_table(w->h, e, 8), 4);
    w->lat = viv_sim_now(w->sim) - e[0].age_ns - VIV_MS(1);
    assert_true(w->lat > 0 && w->lat < VIV_MS(1));
    for (int i = 0; i < 4; i++)
        assert_int_equal(viv_sim_now(w->sim) - e[i].age_ns, VIV_MS(i + 1) + w->lat);
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(10)), 0);
    lazy_send(w, 3);
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(11)), 0);
    lazy_send(w, 1);
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(12)), 0);
    lazy_send(w, 4);
    lazy_send(w, 2);
    /* B's send is scheduled before E's request leaves: at t5 it comes first. */
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(20)), 0);
    const viv_time_t t5 = VIV_MS(20) + w->lat;
    assert_int_equal(viv_sim_schedule_at(NULL, w->sim, t5, lazy_send_b_cb, w), 0);
    lazy_ask(w, 5);
    assert_int_equal(viv_sim_run_until(w->sim, t5), 0);
    assert_int_equal(viv_host_arp_table(w->h, e, 8), 5);
    assert_int_equal(e[4].ip, LZ(5));
    assert_int_equal(e[4].age_ns, 0); /* made at t5 */
    lazy_send(w, 1);
    assert_int_equal(w->gone.n, 0);
    assert_int_equal(l3t_stats(w->h).arp_expired, 0);
    return t5;
}

/* Looked at every instant that matters (each entry's placement plus 60 s, when a list kept
 * by placement would age it; just before and at each true expiry), each entry goes exactly
 * 60 s after its last touch, and the ones due at one instant go least recently touched
 * first. */
static void test_arp__lazy_touches_expire_at_each_last_touch(void **state)
{
    lazy_world w;
    lazy_build(&w, VIV_TEST_SIM(state), 0);
    const viv_time_t t5 = lazy_scenario(&w);
    for (uint32_t x = 1; x <= 4; x++) {
        assert_int_equal(viv_sim_run_until(w.sim, VIV_MS(x) + w.lat + VIV_S(60)), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 5);
    }
    const viv_time_t when[3] = {VIV_MS(10) + VIV_S(60), VIV_MS(12) + VIV_S(60), t5 + VIV_S(60)};
    const int left[3] = {4, 3, 0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(viv_sim_run_until(w.sim, when[i] - 1), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), i ? left[i - 1] : 5);
        assert_int_equal(viv_sim_run_until(w.sim, when[i]), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), left[i]);
    }
    const viv_ip4_t order[5] = {LZ(3), LZ(4), LZ(2), LZ(5), LZ(1)};
    const viv_time_t at[5] = {when[0], when[1], when[2], when[2], when[2]};
    assert_int_equal(w.gone.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(w.gone.ip[i], order[i]);
        assert_int_equal(w.gone.at[i], at[i]);
    }
    assert_int_equal(l3t_stats(w.h).arp_expired, 5);
    assert_int_equal(viv_sim_pending(w.sim), 0);
    assert_int_equal(viv_sim_trace(w.sim, NULL, NULL), 0);
    l3t_dev_fini(&w.dev);
}

/* Looked at once, after every entry has expired: all go at that instant, least recently
 * touched first, whatever order they were placed in. */
static void test_arp__lazy_touches_expire_together_in_touch_order(void **state)
{
    lazy_world w;
    lazy_build(&w, VIV_TEST_SIM(state), 0);
    const viv_time_t t5 = lazy_scenario(&w);
    assert_int_equal(viv_sim_run_until(w.sim, t5 + VIV_S(61)), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 0);
    const viv_ip4_t order[5] = {LZ(3), LZ(4), LZ(2), LZ(5), LZ(1)};
    assert_int_equal(w.gone.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(w.gone.ip[i], order[i]);
        assert_int_equal(w.gone.at[i], t5 + VIV_S(61));
    }
    assert_int_equal(l3t_stats(w.h).arp_expired, 5);
    assert_int_equal(viv_sim_trace(w.sim, NULL, NULL), 0);
    l3t_dev_fini(&w.dev);
}

/* A full cache (five entries) evicts the least recently touched, not the least recently
 * placed: C, D, B, E, A after the scenario's touches, with D touched again after the first
 * eviction (then B, E, A, F, D), and ties at one instant broken by the order of the touches. */
static void test_arp__full_cache_evicts_least_recently_touched_after_lazy_touches(void **state)
{
    lazy_world w;
    lazy_build(&w, VIV_TEST_SIM(state), 5);
    lazy_scenario(&w);
    /* F (6) takes C's place; then D is used; G (7) takes B's, H (8) E's, I (9) A's, J (10)
     * F's, K (11) D's. */
    const uint32_t victim[6] = {3, 2, 5, 1, 6, 4};
    for (uint32_t k = 0; k < 6; k++) {
        const viv_time_t t = VIV_MS(30 + k);
        assert_int_equal(viv_sim_run_until(w.sim, t), 0);
        if (k == 1)
            lazy_send(&w, 4);
        lazy_ask(&w, 6 + k);
        assert_int_equal(viv_sim_run_until(w.sim, t + w.lat), 0);
        assert_int_equal(lazy_has(&w, 6 + k), 1);
        assert_int_equal(lazy_has(&w, victim[k]), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 5);
        assert_int_equal(l3t_stats(w.h).arp_evicted, k + 1);
        assert_int_equal(w.gone.n, (int)k + 1);
        assert_int_equal(w.gone.ip[k], LZ(victim[k]));
    }
    for (uint32_t x = 7; x <= 11; x++)
        assert_int_equal(lazy_has(&w, x), 1);
    assert_int_equal(l3t_stats(w.h).arp_expired, 0);
    assert_int_equal(viv_sim_trace(w.sim, NULL, NULL), 0);
    l3t_dev_fini(&w.dev);
}

/* An entry touched after it was placed, moved by aging (at its placement plus 60 s) to its
 * touch, then touched twice more (confirmed by a request, then used): it goes 60 s after the
 * last of these, and the untouched entry placed after it 60 s after its placement. */
static void test_arp__entry_moved_by_aging_then_touched_again(void **state)
{
    lazy_world w;
    lazy_build(&w, VIV_TEST_SIM(state), 0);
    lazy_ask(&w, 1);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_MS(1)), 0);
    lazy_ask(&w, 2);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(5)), 0);
    viv_arp_entry e[2];
    assert_int_equal(viv_host_arp_table(w.h, e, 2), 2);
    const viv_time_t pa = VIV_S(5) - e[0].age_ns, pb = VIV_S(5) - e[1].age_ns;
    assert_true(pa < VIV_MS(1) && pb == VIV_MS(1) + pa);
    w.lat = pa; /* A asked at 0 */
    lazy_send(&w, 1);
    assert_int_equal(viv_sim_run_until(w.sim, pa + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 2);
    assert_int_equal(viv_sim_run_until(w.sim, pb + VIV_S(60) - 1), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 2);
    assert_int_equal(viv_sim_run_until(w.sim, pb + VIV_S(60)), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 1);
    assert_int_equal(w.gone.n, 1);
    assert_int_equal(w.gone.ip[0], LZ(2));
    /* STALE by now (confirmed at pa): a request from A confirms and touches it, and a send
     * then finds it REACHABLE and touches it again. */
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(61)), 0);
    lazy_ask(&w, 1);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(62)), 0);
    assert_int_equal(viv_host_arp_table(w.h, e, 2), 1);
    assert_int_equal(e[0].state, VIV_ARP_REACHABLE);
    assert_int_equal(e[0].age_ns, VIV_S(1) - w.lat);
    lazy_send(&w, 1);
    /* The first send's expiry and the request's pass: the entry stays. */
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(65)), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 1);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(121) + w.lat), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 1);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(122) - 1), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 1);
    assert_int_equal(viv_sim_run_until(w.sim, VIV_S(122)), 0);
    assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 0);
    assert_int_equal(w.gone.n, 2);
    assert_int_equal(w.gone.ip[1], LZ(1));
    assert_int_equal(w.gone.at[1], VIV_S(122));
    assert_int_equal(l3t_stats(w.h).arp_expired, 2);
    assert_int_equal(l3t_stats(w.h).arp_failed, 0);
    assert_int_equal(viv_sim_trace(w.sim, NULL, NULL), 0);
    l3t_dev_fini(&w.dev);
}

/* Against a model of the cache as a list in the order of the last touches (what the idle
 * list was when a touch moved its entry to the tail): many stations and a small cache;
 * requests from random stations, sends to random fresh entries (several at one instant, and
 * some at a request's instant, before it or after it), and pauses from none to more than the
 * aging time. At random steps and at the end, the table, the removals (traced, in order, with
 * their times) and the counters must be the model's. */
enum { MODEL_STATIONS = 40, MODEL_MAX = 16 };

typedef struct model_world {
    lazy_world w;
    struct model_send {
        lazy_world *w;
        uint32_t x;
    } send_to[MODEL_STATIONS + 1]; /* for an event sending to station x */
} model_world;

static void model_send_cb(viv_sim_t *sim, void *user)
{
    const struct model_send *s = user;
    (void)sim;
    lazy_send(s->w, s->x);
}

typedef struct model {
    int present[MODEL_STATIONS + 1];
    viv_time_t touched[MODEL_STATIONS + 1], confirmed[MODEL_STATIONS + 1];
    uint64_t order[MODEL_STATIONS + 1]; /* the number of the last touch */
    uint64_t touches, expired, evicted;
    gone_log gone;
} model;

static uint32_t model_count(const model *m)
{
    uint32_t c = 0;
    for (uint32_t x = 1; x <= MODEL_STATIONS; x++)
        c += (uint32_t)m->present[x];
    return c;
}

/* The least recently touched station with an entry, or 0. */
static uint32_t model_lru(const model *m)
{
    uint32_t best = 0;
    for (uint32_t x = 1; x <= MODEL_STATIONS; x++)
        if (m->present[x] && (!best || m->order[x] < m->order[best]))
            best = x;
    return best;
}

static void model_remove(model *m, uint32_t x, viv_time_t t)
{
    m->present[x] = 0;
    gone_add(&m->gone, LZ(x), t);
}

static void model_expire(model *m, viv_time_t t)
{
    for (uint32_t x; (x = model_lru(m)) && m->touched[x] + VIV_S(60) <= t;) {
        model_remove(m, x, t);
        m->expired++;
    }
}

static void model_touch(model *m, uint32_t x, viv_time_t t)
{
    m->touched[x] = t;
    m->order[x] = ++m->touches;
}

static uint32_t model_rand(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(*s >> 33);
}

static void model_check(model_world *mw, const model *m)
{
    viv_arp_entry rows[MODEL_MAX + 1];
    int n = viv_host_arp_table(mw->w.h, rows, MODEL_MAX + 1);
    assert_int_equal(n, model_count(m));
    int k = 0;
    for (uint32_t x = 1; x <= MODEL_STATIONS; x++)
        if (m->present[x])
            assert_int_equal(rows[k++].ip, LZ(x));
    const gone_log *g = &mw->w.gone;
    assert_int_equal(g->n, m->gone.n);
    for (size_t i = 0; i < g->n; i++) {
        assert_int_equal(g->ip[i], m->gone.ip[i]);
        assert_int_equal(g->at[i], m->gone.at[i]);
    }
    viv_ip_stats_t st = l3t_stats(mw->w.h);
    assert_int_equal(st.arp_expired, m->expired);
    assert_int_equal(st.arp_evicted, m->evicted);
    assert_int_equal(st.arp_refused, 0);
    assert_int_equal(st.arp_failed, 0);
}

static void test_arp__random_touches_match_a_move_to_tail_model(void **state)
{
    static model_world mw;
    static model m;
    memset(&mw, 0, sizeof mw);
    memset(&m, 0, sizeof m);
    lazy_world *w = &mw.w;
    lazy_build(w, VIV_TEST_SIM(state), MODEL_MAX);
    for (uint32_t x = 1; x <= MODEL_STATIONS; x++)
        mw.send_to[x] = (struct model_send){w, x};
    /* The delay from a request to its entry. */
    lazy_ask(w, 1);
    assert_int_equal(viv_sim_run_until(w->sim, VIV_MS(1)), 0);
    viv_arp_entry e;
    assert_int_equal(viv_host_arp_table(w->h, &e, 1), 1);
    w->lat = VIV_MS(1) - e.age_ns;
    m.present[1] = 1;
    m.confirmed[1] = w->lat;
    model_touch(&m, 1, w->lat);
    static const viv_time_t pause[8] = {0,        0,        1,         VIV_MS(1),
                                        VIV_S(1), VIV_S(5), VIV_S(20), VIV_S(61)};
    uint64_t seed = 17;
    for (int step = 0; step < 4000; step++) {
        viv_time_t now = viv_sim_now(w->sim) + pause[model_rand(&seed) % 8];
        assert_int_equal(viv_sim_run_until(w->sim, now), 0);
        uint32_t op = model_rand(&seed) % 10;
        if (op < 4) { /* one to three requests, one after the other */
            for (uint32_t k = 1 + model_rand(&seed) % 3; k > 0; k--) {
                uint32_t x = 1 + model_rand(&seed) % MODEL_STATIONS;
                now += w->lat; /* when it arrives */
                /* At times a send to a fresh entry at that instant, before it. */
                uint32_t y = 1 + model_rand(&seed) % MODEL_STATIONS;
                int send_first =
                    model_rand(&seed) % 2 && m.present[y] && now - m.confirmed[y] < VIV_S(60);
                if (send_first)
                    assert_int_equal(
                        viv_sim_schedule_at(NULL, w->sim, now, model_send_cb, &mw.send_to[y]), 0);
                lazy_ask(w, x);
                assert_int_equal(viv_sim_run_until(w->sim, now), 0);
                model_expire(&m, now);
                if (send_first)
                    model_touch(&m, y, now);
                if (!m.present[x] && model_count(&m) == MODEL_MAX) {
                    model_remove(&m, model_lru(&m), now);
                    m.evicted++;
                }
                m.present[x] = 1;
                m.confirmed[x] = now;
                model_touch(&m, x, now);
            }
        }
        if (op >= 4 || model_rand(&seed) % 2) { /* one to four sends to fresh entries */
            uint32_t k = 1 + model_rand(&seed) % 4;
            for (uint32_t i = 0; i < k; i++) {
                uint32_t fresh[MODEL_STATIONS], nf = 0; /* none of them expires now */
                for (uint32_t x = 1; x <= MODEL_STATIONS; x++)
                    if (m.present[x] && now - m.confirmed[x] < VIV_S(60))
                        fresh[nf++] = x;
                if (!nf)
                    break;
                uint32_t x = fresh[model_rand(&seed) % nf];
                lazy_send(w, x); /* aging first */
                model_expire(&m, now);
                model_touch(&m, x, now);
            }
        }
        if (model_rand(&seed) % 4 == 0) {
            model_expire(&m, now);
            model_check(&mw, &m);
        }
    }
    model_expire(&m, viv_sim_now(w->sim));
    model_check(&mw, &m);
    assert_true(m.expired > 100 && m.evicted > 100);
    assert_int_equal(viv_sim_trace(w->sim, NULL, NULL), 0);
    l3t_dev_fini(&w->dev);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_arp__exchange_on_a_hub),
        T(test_arp__exchange_on_a_switch),
        T(test_arp__bystanders_only_refresh),
        T(test_arp__cache_lifetime),
        T(test_arp__queue_while_resolving),
        T(test_arp__retries_then_host_unreachable),
        T(test_arp__router_failure_reaches_the_sender),
        T(test_arp__malformed_and_foreign),
        T(test_arp__flooded_requests_are_read_in_place),
        T(test_arp__flood_is_bounded_and_ages_out),
        T(test_arp__full_cache_evicts_lru_idle_then_refuses),
        T(test_arp__unused_entries_age_out),
        T(test_arp__aging_time_is_the_longer_of_stale_and_reachable),
        T(test_arp__listing_sorted_and_text_terminated),
        T(test_arp__own_address_from_another_mac_is_a_conflict_never_learned),
        T(test_arp__duplicate_address_behind_a_switch),
        T(test_arp__udp_sends_through_every_state),
        T(test_arp__lazy_touches_expire_at_each_last_touch),
        T(test_arp__lazy_touches_expire_together_in_touch_order),
        T(test_arp__full_cache_evicts_least_recently_touched_after_lazy_touches),
        T(test_arp__entry_moved_by_aging_then_touched_again),
        T(test_arp__random_touches_match_a_move_to_tail_model),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
