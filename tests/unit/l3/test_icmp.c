/* ICMP: the echo responder byte by byte, broadcasts ignored, malformed messages counted;
 * ping (exact RTTs from link rates and delays, timeouts, stats, freeing from the callback,
 * argument errors) and traceroute (the hop list, unreachable, timeouts); echo replies
 * returning Record Route and Timestamp; error quotes up to 576 bytes, options kept; pings with
 * a chosen identifier and payload (the bytes on the wire, replies matched by identifier,
 * identifiers in use refused, argument and memory errors). */
#include "l3_test.h"

#define GBPS UINT64_C(1000000000)

/* A host next to a device that answers ARP for 10.0.0.7. */
typedef struct bench {
    l3t_dev dev;
    viv_host_t *h;
    viv_mac_t hm;
} bench;

static void bench_build(bench *b, viv_sim_t *sim)
{
    l3t_dev_init(&b->dev, sim, 7, "dev");
    b->dev.answer_arp = VIV_IP4(10, 0, 0, 7);
    b->h = l3t_host(sim, "h", 1);
    l3t_addr(b->h, 0, "10.0.0.1/24");
    l3t_link(sim, viv_device_port(b->dev.dev, 0), viv_host_port(b->h, 0), NULL);
    b->hm = l3t_host_mac(b->h, 0);
}

static void bench_icmp(bench *b, const viv_mac_t *eth_dst, viv_ip4_t dst, const uint8_t *icmp,
                       size_t n)
{
    uint8_t f[256] = {0};
    l3t_eth(f, eth_dst, &b->dev.mac, 0x0800);
    l3t_ip(f + 14, VIV_IP4(10, 0, 0, 7), dst, 1, 64, n, 0);
    memcpy(f + 34, icmp, n);
    l3t_dev_send(&b->dev, f, 34 + n < 60 ? 60 : 34 + n);
}

static const l3t_frame *bench_ip(const bench *b, size_t k)
{
    for (size_t i = 0; i < b->dev.n; i++)
        if (b->dev.f[i].info.ethertype == 0x0800 && k-- == 0)
            return &b->dev.f[i];
    return NULL;
}

static void test_icmp__echo_reply_byte_by_byte(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    uint8_t data[20], req[28];
    for (int i = 0; i < 20; i++)
        data[i] = (uint8_t)(0xc0 + i);
    l3t_icmp(req, 8, 0, 0x12340007, data, 20);
    bench_icmp(&b, &b.hm, VIV_IP4(10, 0, 0, 1), req, 28);
    assert_int_equal(viv_sim_run(sim), 0);
    const l3t_frame *r = bench_ip(&b, 0);
    assert_non_null(r);
    assert_null(bench_ip(&b, 1));
    assert_int_equal(r->len, 62);
    assert_memory_equal(r->b, b.dev.mac.b, 6);
    assert_memory_equal(r->b + 6, b.hm.b, 6);
    const uint8_t *ip = r->b + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(l3t_rd16(ip + 2), 48);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], 1);
    assert_int_equal(l3t_cksum(ip, 20), 0);
    assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 0, 1));
    assert_int_equal(l3t_rd32(ip + 16), VIV_IP4(10, 0, 0, 7));
    uint8_t want[28];
    l3t_icmp(want, 0, 0, 0x12340007, data, 20);
    assert_memory_equal(ip + 20, want, 28);
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.icmp_rx, 1);
    assert_int_equal(st.icmp_tx, 1);
    assert_int_equal(st.icmp_errors_tx, 0);
    l3t_dev_fini(&b.dev);
}

static void test_icmp__broadcast_echo_and_malformed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    viv_mac_t bc = l3t_bcast_mac();
    const viv_ip4_t h = VIV_IP4(10, 0, 0, 1);
    uint8_t m[64];
    /* Echo requests to the limited and the directed broadcast: no answer. */
    l3t_icmp(m, 8, 0, 1, NULL, 8);
    bench_icmp(&b, &bc, VIV_IP4_BROADCAST, m, 16);
    bench_icmp(&b, &bc, VIV_IP4(10, 0, 0, 255), m, 16);
    /* A bad checksum. */
    l3t_icmp(m, 8, 0, 1, NULL, 8);
    m[3] ^= 1;
    bench_icmp(&b, &b.hm, h, m, 16);
    /* Four bytes only. */
    l3t_icmp(m, 8, 0, 1, NULL, 0);
    bench_icmp(&b, &b.hm, h, m, 4);
    /* Destination unreachable with a 20-byte quote (28 are needed). */
    uint8_t q[28];
    l3t_ip(q, h, VIV_IP4(10, 0, 0, 9), 17, 64, 8, 0);
    memset(q + 20, 0, 8);
    l3t_icmp(m, 3, 3, 0, q, 20);
    bench_icmp(&b, &b.hm, h, m, 28);
    /* Destination unreachable about a packet h never sent (another source). */
    l3t_ip(q, VIV_IP4(10, 0, 0, 50), VIV_IP4(10, 0, 0, 9), 17, 64, 8, 0);
    l3t_icmp(m, 3, 3, 0, q, 28);
    bench_icmp(&b, &b.hm, h, m, 36);
    /* A timestamp request: a type vivarium does not act on; counted, not bad. */
    l3t_icmp(m, 13, 0, 0x00010001, NULL, 12);
    bench_icmp(&b, &b.hm, h, m, 20);
    /* An echo reply nobody waits for. */
    l3t_icmp(m, 0, 0, 0x77770001, NULL, 8);
    bench_icmp(&b, &b.hm, h, m, 16);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.icmp_rx, 8);
    assert_int_equal(st.icmp_bad, 4);
    assert_int_equal(st.icmp_tx, 0);
    assert_null(bench_ip(&b, 0));
    l3t_dev_fini(&b.dev);
}

/* h1 --(10 Mb/s, 1 ms)-- r --(100 Mb/s, 5 ms)-- h2. */
static void test_icmp__ping_rtts_are_exact(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1), *r = l3t_router(sim, "r", 2);
    viv_host_t *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(h1, 0, "10.0.1.2/24");
    l3t_addr(r, 0, "10.0.1.1/24");
    l3t_addr(r, 1, "10.0.2.1/24");
    l3t_addr(h2, 0, "10.0.2.2/24");
    viv_link_params p1 = VIV_LINK_PARAMS_INIT, p2 = VIV_LINK_PARAMS_INIT;
    p1.rate_bps = 10000000;
    p1.delay_ns = VIV_MS(1);
    p2.rate_bps = 100000000;
    p2.delay_ns = VIV_MS(5);
    l3t_link(sim, viv_host_port(h1, 0), viv_host_port(r, 0), &p1);
    l3t_link(sim, viv_host_port(r, 1), viv_host_port(h2, 0), &p2);
    assert_int_equal(viv_sim_compute_routes(sim), 2);
    l3t_pings log;
    viv_ping_t *p = l3t_ping(h1, VIV_IP4(10, 0, 2, 2), 3, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    /* One way over each link: ARP frames are 60 bytes, echoes 98 (14 + 20 + 8 + 56). */
    const viv_time_t arp1 = l3t_ser(60, 10000000) + VIV_MS(1);
    const viv_time_t arp2 = l3t_ser(60, 100000000) + VIV_MS(5);
    const viv_time_t echo1 = l3t_ser(98, 10000000) + VIV_MS(1);
    const viv_time_t echo2 = l3t_ser(98, 100000000) + VIV_MS(5);
    /* The first ping waits for two ARP exchanges (h1 -> r, r -> h2) on its way out; on the
     * way back both answers are known (each target learned its requester). */
    const viv_time_t first = 2 * arp1 + echo1 + 2 * arp2 + echo2 + echo2 + echo1;
    const viv_time_t later = 2 * (echo1 + echo2);
    assert_int_equal(first, 2 * (67200 + VIV_MS(1)) + 2 * (6720 + VIV_MS(5)) + later);
    assert_int_equal(later, 2 * (97600 + VIV_MS(1) + 9760 + VIV_MS(5)));
    assert_int_equal(log.n, 3);
    assert_int_equal(log.done, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(log.r[i].event, VIV_PING_REPLY);
        assert_int_equal(log.r[i].seq, i + 1);
        assert_int_equal(log.r[i].from, VIV_IP4(10, 0, 2, 2));
        assert_int_equal(log.r[i].ttl, 63);
        assert_int_equal(log.r[i].bytes, 64);
        assert_int_equal(log.r[i].icmp_type, 0);
        assert_int_equal(log.r[i].rtt_ns, i == 0 ? first : later);
    }
    viv_ping_stats_t ps;
    assert_int_equal(viv_ping_stats(&ps, p), 0);
    assert_int_equal(ps.sent, 3);
    assert_int_equal(ps.received, 3);
    assert_int_equal(ps.errors, 0);
    assert_int_equal(ps.timeouts, 0);
    assert_int_equal(ps.rtt_min_ns, later);
    assert_int_equal(ps.rtt_max_ns, first);
    assert_int_equal(ps.rtt_sum_ns, first + 2 * later);
    /* The last request went at 2 s; the run ends with its reply (ARP aging, being
     * housekeeping, keeps no event pending). */
    assert_int_equal(viv_sim_now(sim), VIV_S(2) + later);
}

typedef struct freer {
    int calls;
    int free_at;
} freer;

static void free_in_cb(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    freer *f = user;
    (void)r;
    if (++f->calls == f->free_at) {
        viv_ping_free(p);
    }
}

static void test_icmp__ping_timeouts_free_and_errors(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1), *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(h1, 0, "10.0.0.1/24");
    l3t_addr(h2, 0, "10.0.0.2/24");
    viv_link_t *l = l3t_link(sim, viv_host_port(h1, 0), viv_host_port(h2, 0), NULL);
    /* Answers dropped: every request times out, then one DONE. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = 1;
    for (uint32_t k = 1; k <= 3; k++)
        assert_int_equal(viv_link_drop_nth(l, VIV_LINK_BA, &m, 1), 0);
    l3t_pings log;
    viv_ping_t *p = l3t_ping(h1, VIV_IP4(10, 0, 0, 2), 3, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.done, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(log.r[i].event, VIV_PING_TIMEOUT);
        assert_int_equal(log.r[i].seq, i + 1);
    }
    viv_ping_stats_t ps;
    assert_int_equal(viv_ping_stats(&ps, p), 0);
    assert_int_equal(ps.timeouts, 3);
    assert_int_equal(ps.received, 0);
    viv_ping_free(p);
    /* Freed inside its first callback: nothing more is called, nothing leaks. */
    freer f = {0, 1};
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = 5;
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &o, free_in_cb, &f), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(f.calls, 1);
    /* A ping left running is freed with its host, or with the simulation. */
    assert_int_equal(viv_ping_start(NULL, h2, VIV_IP4(10, 0, 0, 1), &o, NULL, NULL), 0);
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &o, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1500)), 0);
    viv_host_free(h2);
    /* Arguments. */
    viv_ping_free(NULL);
    assert_int_equal(viv_ping_stats(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_ping_start(NULL, NULL, 1, NULL, NULL, NULL), VIV_EINVAL);
    o.size = 65508;
    assert_int_equal(viv_ping_start(NULL, h1, 1, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "65507"));
    o.size = 0;
    o.count = 65536;
    assert_int_equal(viv_ping_start(NULL, h1, 1, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "65535"));
    viv_traceroute_opts to = VIV_TRACEROUTE_OPTS_INIT;
    to.size = 70000;
    assert_int_equal(viv_traceroute_start(NULL, h1, 1, &to, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_traceroute_start(NULL, NULL, 1, NULL, NULL, NULL), VIV_EINVAL);
    viv_traceroute_free(NULL);
}

/* ---- traceroute ------------------------------------------------------------------------ */

typedef struct trlog {
    viv_trace_result r[64];
    viv_time_t t[64]; /* when each result came */
    viv_sim_t *sim;
    size_t n;
    int done;
    int free_at;
} trlog;

static void tr_cb(viv_traceroute_t *t, const viv_trace_result *r, void *user)
{
    trlog *log = user;
    if (r->kind == VIV_TRACE_DONE)
        log->done++;
    assert_true(log->n < 64);
    log->t[log->n] = log->sim ? viv_sim_now(log->sim) : 0;
    log->r[log->n++] = *r;
    if (log->free_at && (size_t)log->free_at == log->n)
        viv_traceroute_free(t);
}

/* h1 - r1 - r2 - r3 - h2, nets 10.0.k.0/24 (left .1, right .2). */
static viv_host_t *line(viv_sim_t *sim, viv_host_t **h2_out, viv_host_t **r_out)
{
    viv_host_t *n[5];
    n[0] = l3t_host(sim, "h1", 1);
    for (int i = 1; i <= 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "r%d", i);
        n[i] = l3t_router(sim, name, 2);
        if (r_out)
            r_out[i - 1] = n[i];
    }
    n[4] = l3t_host(sim, "h2", 1);
    for (int k = 0; k < 4; k++) {
        char cidr[24];
        uint32_t ia = k == 0 ? 0 : 1;
        snprintf(cidr, sizeof cidr, "10.0.%d.1/24", k);
        l3t_addr(n[k], ia, cidr);
        snprintf(cidr, sizeof cidr, "10.0.%d.2/24", k);
        l3t_addr(n[k + 1], 0, cidr);
        l3t_link(sim, viv_host_port(n[k], ia), viv_host_port(n[k + 1], 0), NULL);
    }
    assert_true(viv_sim_compute_routes(sim) > 0);
    if (h2_out)
        *h2_out = n[4];
    return n[0];
}

static void test_icmp__traceroute_hop_list(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = line(sim, NULL, NULL);
    trlog log = {0};
    viv_traceroute_t *t = NULL;
    assert_int_equal(viv_traceroute_start(&t, h1, VIV_IP4(10, 0, 3, 2), NULL, tr_cb, &log), 0);
    assert_non_null(t);
    assert_int_equal(viv_sim_run(sim), 0);
    /* Three probes per hop; each router answers from its interface toward h1. */
    const viv_ip4_t hop[4] = {VIV_IP4(10, 0, 0, 2), VIV_IP4(10, 0, 1, 2), VIV_IP4(10, 0, 2, 2),
                              VIV_IP4(10, 0, 3, 2)};
    assert_int_equal(log.n, 13);
    for (int i = 0; i < 12; i++) {
        const viv_trace_result *r = &log.r[i];
        assert_int_equal(r->kind, i < 9 ? VIV_TRACE_HOP : VIV_TRACE_REACHED);
        assert_int_equal(r->ttl, i / 3 + 1);
        assert_int_equal(r->probe, i % 3 + 1);
        assert_int_equal(r->from, hop[i / 3]);
        assert_true(r->rtt_ns > 0);
        if (i % 3)
            assert_int_equal(r->rtt_ns, log.r[i - i % 3 + 1].rtt_ns);
    }
    /* Probe 1 of hop 1 also waited for ARP; the others did not. Probes: 14 + 20 + 8 + 32 =
     * 74 bytes; time exceeded quotes the whole 60-byte probe (RFC 1812 4.3.2.3: as much as
     * fits in 576 bytes): 14 + 20 + 8 + 60 = 102; replies 74. 1 Gb/s, no delay: the error
     * takes (102 + 24) * 8 = 1008 ns on the wire, where a 28-byte quote took 752. */
    assert_int_equal(log.r[1].rtt_ns, l3t_ser(74, GBPS) + l3t_ser(102, GBPS));
    assert_int_equal(l3t_ser(102, GBPS), 1008);
    assert_int_equal(log.r[0].rtt_ns, 2 * l3t_ser(60, GBPS) + log.r[1].rtt_ns);
    assert_int_equal(log.r[10].rtt_ns, 8 * l3t_ser(74, GBPS));
    assert_int_equal(log.r[12].kind, VIV_TRACE_DONE);
    assert_int_equal(log.r[12].ttl, 4);
    assert_int_equal(log.done, 1);
}

static void test_icmp__traceroute_unreachable_and_timeouts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *r[3];
    viv_host_t *h1 = line(sim, NULL, r);
    /* h1 has no route to 10.9.0.0/16; with a default route, r1 answers net unreachable. */
    assert_int_equal(viv_host_set_gateway(h1, VIV_IP4(10, 0, 0, 2)), 0);
    trlog log = {0};
    viv_traceroute_opts o = VIV_TRACEROUTE_OPTS_INIT;
    o.probes = 2;
    assert_int_equal(viv_traceroute_start(NULL, h1, VIV_IP4(10, 9, 0, 1), &o, tr_cb, &log), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 5);
    assert_int_equal(log.r[0].kind, VIV_TRACE_HOP);
    assert_int_equal(log.r[1].kind, VIV_TRACE_HOP);
    assert_int_equal(log.r[2].kind, VIV_TRACE_UNREACHABLE);
    assert_int_equal(log.r[2].icmp_code, 0);
    assert_int_equal(log.r[2].from, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(log.r[2].ttl, 2);
    assert_int_equal(log.r[3].kind, VIV_TRACE_UNREACHABLE);
    assert_int_equal(log.r[4].kind, VIV_TRACE_DONE);
    /* r2 goes silent: its hop shows timeouts ("*"), exactly the timeout after each probe. */
    assert_int_equal(viv_node_set_up(viv_host_node(r[1]), 0), 0);
    memset(&log, 0, sizeof log);
    log.sim = sim;
    o.max_hops = 3;
    o.probes = 1;
    o.timeout_ns = VIV_MS(500);
    assert_int_equal(viv_traceroute_start(NULL, h1, VIV_IP4(10, 0, 3, 2), &o, tr_cb, &log), 0);
    viv_time_t t0 = viv_sim_now(sim);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.r[0].kind, VIV_TRACE_HOP);
    assert_int_equal(log.r[1].kind, VIV_TRACE_TIMEOUT);
    assert_int_equal(log.r[1].ttl, 2);
    assert_int_equal(log.r[2].kind, VIV_TRACE_TIMEOUT);
    assert_int_equal(log.r[3].kind, VIV_TRACE_DONE);
    assert_int_equal(log.r[3].ttl, 3);
    assert_int_equal(log.t[0], t0 + log.r[0].rtt_ns);
    assert_int_equal(log.t[1], log.t[0] + VIV_MS(500));
    assert_int_equal(log.t[2], log.t[1] + VIV_MS(500));
    assert_int_equal(log.t[3], log.t[2]);
    /* r1 gave up resolving r2 3 s after the first probe reached it; its host unreachable
     * came after the traceroute had finished, and changed nothing. */
    assert_int_equal(l3t_stats(r[0]).arp_failed, 1);
    assert_int_equal(log.n, 4);
    /* Freed inside its callback: no more results. */
    assert_int_equal(viv_node_set_up(viv_host_node(r[1]), 1), 0);
    memset(&log, 0, sizeof log);
    log.free_at = 2;
    assert_int_equal(viv_traceroute_start(NULL, h1, VIV_IP4(10, 0, 3, 2), NULL, tr_cb, &log), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 2);
    /* One left running is freed with the simulation. */
    assert_int_equal(viv_traceroute_start(NULL, h1, VIV_IP4(10, 0, 3, 2), NULL, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_US(5)), 0);
}

/* Freeing the pinging host (with its links and everything on them) from inside the ping's
 * own callback, and a traceroute's host from inside its callback: no callback follows, no
 * memory is touched after it is freed (ASan), nothing leaks (the fixture). */
typedef struct killer {
    viv_host_t *host;
    int calls;
} killer;

static void kill_host_on_reply(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    killer *k = user;
    (void)p;
    k->calls++;
    if (r->event == VIV_PING_REPLY && k->host) {
        viv_host_free(k->host);
        k->host = NULL;
    }
}

static void kill_host_on_hop(viv_traceroute_t *t, const viv_trace_result *r, void *user)
{
    killer *k = user;
    (void)t;
    (void)r;
    k->calls++;
    if (k->host) {
        viv_host_free(k->host);
        k->host = NULL;
    }
}

static void test_icmp__host_freed_inside_ping_and_traceroute_callbacks(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1), *h2 = l3t_host(sim, "h2", 1);
    viv_host_t *h3 = l3t_host(sim, "h3", 1), *r = l3t_router(sim, "r", 2);
    viv_switch_t *sw;
    assert_int_equal(viv_switch_new(&sw, sim, 3, NULL), 0);
    l3t_addr(h1, 0, "10.0.1.2/24");
    l3t_addr(h3, 0, "10.0.1.3/24");
    l3t_addr(r, 0, "10.0.1.1/24");
    l3t_addr(r, 1, "10.0.2.1/24");
    l3t_addr(h2, 0, "10.0.2.2/24");
    l3t_link(sim, viv_host_port(h1, 0), viv_switch_port(sw, 0), NULL);
    l3t_link(sim, viv_host_port(h3, 0), viv_switch_port(sw, 1), NULL);
    l3t_link(sim, viv_host_port(r, 0), viv_switch_port(sw, 2), NULL);
    l3t_link(sim, viv_host_port(r, 1), viv_host_port(h2, 0), NULL);
    assert_true(viv_sim_compute_routes(sim) > 0);
    killer kp = {h1, 0}, kt = {h3, 0};
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 5;
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 2, 2), &po, kill_host_on_reply, &kp),
                     0);
    assert_int_equal(
        viv_traceroute_start(NULL, h3, VIV_IP4(10, 0, 2, 2), NULL, kill_host_on_hop, &kt), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(10)), 0);
    assert_null(kp.host);
    assert_null(kt.host);
    assert_int_equal(kp.calls, 1); /* the ping died with its host: no timeout, no DONE */
    assert_int_equal(kt.calls, 1);
    /* The rest of the network goes on. */
    killer none = {NULL, 0};
    assert_int_equal(viv_ping_start(NULL, r, VIV_IP4(10, 0, 2, 2), NULL, kill_host_on_reply,
                                    &none),
                     0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(5)), 0);
    assert_int_equal(none.calls, 5); /* 4 replies and DONE */
}

/* ---- IP options in echo replies, and the size of error quotes ----------------------------- */

/* An IPv4 header with optlen bytes of options (a multiple of 4) for payload_len bytes of
 * payload, with its checksum. Returns the header length. */
static size_t ipo_hdr(uint8_t *b, viv_ip4_t src, viv_ip4_t dst, uint8_t proto, uint8_t ttl,
                      const uint8_t *opts, size_t optlen, size_t payload_len)
{
    size_t hl = 20 + optlen;
    b[0] = (uint8_t)(0x40 | hl / 4);
    b[1] = 0;
    l3t_wr16(b + 2, (uint16_t)(hl + payload_len));
    l3t_wr16(b + 4, 0x4242);
    l3t_wr16(b + 6, 0);
    b[8] = ttl;
    b[9] = proto;
    l3t_wr16(b + 10, 0);
    l3t_wr32(b + 12, src);
    l3t_wr32(b + 16, dst);
    if (optlen)
        memcpy(b + 20, opts, optlen);
    l3t_wr16(b + 10, l3t_cksum(b, hl));
    return hl;
}

/* From the bench's device to h (10.0.0.1): an echo request (ident 0x0505, sequence seq, data
 * "optsopts") carrying the options. */
static void bench_echo_opts(bench *b, uint16_t seq, const uint8_t *opts, size_t optlen)
{
    uint8_t f[128] = {0};
    l3t_eth(f, &b->hm, &b->dev.mac, 0x0800);
    size_t hl = ipo_hdr(f + 14, VIV_IP4(10, 0, 0, 7), VIV_IP4(10, 0, 0, 1), 1, 64, opts, optlen,
                        16);
    l3t_icmp(f + 14 + hl, 8, 0, 0x05050000u | seq, (const uint8_t *)"optsopts", 8);
    l3t_dev_send(&b->dev, f, 14 + hl + 16 < 60 ? 60 : 14 + hl + 16);
}

/* RFC 1122 3.2.2.6: the reply carries the request's Record Route and Timestamp, updated with
 * the host, "without truncation". The host recorded itself as the request arrived; it does
 * again as the reply leaves. The reply holds Record Route then Timestamp (Linux's order), EOL
 * padding, and none of the request's other options. */
static void test_icmp__echo_reply_returns_record_route_and_timestamp(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    bench_echo_opts(&b, 1, NULL, 0); /* h learns the device's MAC */
    assert_int_equal(viv_sim_run_until(sim, VIV_MS(12345)), 0);
    b.dev.n = 0;
    /* Timestamp (flag 0, two slots), NOP, Record Route (two slots), a Stream Identifier. */
    const uint8_t req[28] = {68, 12, 5, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7, 11, 4,
                             0,  0,  0, 0,    0, 0, 0, 0, 0x88, 4, 0x12, 0x34};
    bench_echo_opts(&b, 2, req, 28);
    /* Only options h does not act on: a plain reply. */
    const uint8_t sid[4] = {0x88, 4, 0x12, 0x34};
    bench_echo_opts(&b, 3, sid, 4);
    /* A Record Route that leaves room for part of the second address only (length 10): h
     * records itself on arrival, and its reply would be a datagram in error (RFC 791): not
     * sent. */
    const uint8_t short_rr[12] = {7, 10, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    bench_echo_opts(&b, 4, short_rr, 12);
    assert_int_equal(viv_sim_run(sim), 0);

    /* The request arrived 816 ns after 12.345 s ((78 + 24) bytes at 1 Gb/s): 12345 ms. */
    assert_int_equal(l3t_ser(14 + 48 + 16, GBPS), 816);
    const uint8_t want_opts[24] = {7,  11, 12, 10, 0, 0, 1, 10, 0, 0, 1, /* RR */
                                   68, 12, 13, 0x00, 0, 0, 0x30, 0x39, 0, 0, 0x30, 0x39, 0};
    const l3t_frame *r = bench_ip(&b, 0);
    assert_non_null(r);
    assert_int_equal(r->len, 14 + 44 + 16);
    const uint8_t *ip = r->b + 14;
    assert_int_equal(ip[0], 0x4b);
    assert_int_equal(l3t_rd16(ip + 2), 44 + 16);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], 1);
    assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 0, 1));
    assert_int_equal(l3t_rd32(ip + 16), VIV_IP4(10, 0, 0, 7));
    assert_int_equal(l3t_cksum(ip, 44), 0);
    assert_memory_equal(ip + 20, want_opts, 24);
    uint8_t icmp[16];
    l3t_icmp(icmp, 0, 0, 0x05050002, (const uint8_t *)"optsopts", 8);
    assert_memory_equal(ip + 44, icmp, 16);
    r = bench_ip(&b, 1);
    assert_non_null(r);
    assert_int_equal(r->b[14], 0x45);
    l3t_icmp(icmp, 0, 0, 0x05050003, (const uint8_t *)"optsopts", 8);
    assert_memory_equal(r->b + 34, icmp, 16);
    assert_null(bench_ip(&b, 2));
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.icmp_rx, 4);
    assert_int_equal(st.icmp_tx, 3);
    assert_int_equal(st.drop_malformed, 1);
    assert_int_equal(st.icmp_errors_tx, 0);
    l3t_dev_fini(&b.dev);
}

/* Every frame of one direction of a link, whole. */
typedef struct fullcap {
    uint8_t f[16][1600];
    size_t len[16];
    size_t n;
} fullcap;

static viv_verdict fullcap_cb(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                              size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                              void *user)
{
    fullcap *c = user;
    (void)link;
    (void)dir;
    (void)delay_ns;
    if (info->ethertype == 0x0800 && c->n < 16 && len <= 1600) {
        memcpy(c->f[c->n], frame, len);
        c->len[c->n++] = len;
    }
    return VIV_VERDICT_DELIVER;
}

/* Send from the device an IPv4 packet of total bytes (20-byte header, TTL ttl), payload
 * bytes i & 0xff from a UDP header to port 9, into sent. */
static void send_sized(l3t_dev *d, const viv_mac_t *to, viv_ip4_t dst, uint8_t proto,
                       uint8_t ttl, size_t total, uint8_t *sent)
{
    static uint8_t f[1600];
    memset(f, 0, sizeof f);
    l3t_eth(f, to, &d->mac, 0x0800);
    for (size_t i = 20; i < total; i++)
        f[14 + i] = (uint8_t)i;
    if (proto == 17 && total >= 28)
        l3t_udp(f + 34, 5000, 9, f + 42, total - 28); /* checksum 0: none */
    l3t_ip(f + 14, VIV_IP4(10, 0, 0, 7), dst, proto, ttl, total - 20, 0);
    memcpy(sent, f + 14, total);
    l3t_dev_send(d, f, 14 + total < 60 ? 60 : 14 + total);
}

/* RFC 1812 4.3.2.3: an error quotes as much of the datagram as fits without the error
 * exceeding 576 bytes: 576 - 20 (IP) - 8 (ICMP) = 548 bytes; a host does the same (Linux
 * does; RFC 1122 3.2.2 asks for the header and 8 bytes, and allows more). A shorter datagram
 * is quoted whole, without the Ethernet padding of its frame. */
static void test_icmp__error_quotes_up_to_576_bytes(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "dev");
    dev.answer_arp = VIV_IP4(10, 0, 0, 7);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "10.0.0.1/24");
    viv_link_t *l = l3t_link(sim, viv_device_port(dev.dev, 0), viv_host_port(h, 0), NULL);
    static fullcap cap;
    memset(&cap, 0, sizeof cap);
    assert_int_equal(viv_link_set_intercept(l, VIV_LINK_BA, fullcap_cb, &cap), 0);
    viv_mac_t hm = l3t_host_mac(h, 0);
    /* An echo first: h learns the device's MAC (its errors would wait for ARP, three at
     * most). */
    uint8_t echo[16];
    l3t_icmp(echo, 8, 0, 0x00010001, NULL, 8);
    uint8_t ef[60] = {0};
    l3t_eth(ef, &hm, &dev.mac, 0x0800);
    l3t_ip(ef + 14, VIV_IP4(10, 0, 0, 7), VIV_IP4(10, 0, 0, 1), 1, 64, 16, 0);
    memcpy(ef + 34, echo, 16);
    l3t_dev_send(&dev, ef, 60);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(cap.n, 1);
    cap.n = 0;
    static uint8_t sent[5][1100];
    /* A UDP datagram of 1028 bytes, one of exactly 548, one of 549, one of 32 (in a padded
     * 60-byte frame), and 21 bytes of an unknown protocol. */
    const size_t total[5] = {1028, 548, 549, 32, 21};
    const size_t want_quote[5] = {548, 548, 548, 32, 21};
    for (int k = 0; k < 5; k++)
        send_sized(&dev, &hm, VIV_IP4(10, 0, 0, 1), k == 4 ? 99 : 17, 64, total[k], sent[k]);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(cap.n, 5);
    for (int k = 0; k < 5; k++) {
        const uint8_t *ip = cap.f[k] + 14;
        size_t q = want_quote[k];
        assert_int_equal(cap.len[k], 14 + 20 + 8 + q < 60 ? 60 : 14 + 20 + 8 + q);
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + q);
        assert_int_equal(ip[0], 0x45);
        assert_int_equal(l3t_cksum(ip, 20), 0);
        assert_int_equal(ip[20], 3);
        assert_int_equal(ip[21], k == 4 ? 2 : 3); /* protocol, port unreachable */
        assert_int_equal(l3t_cksum(ip + 20, 8 + q), 0);
        assert_memory_equal(ip + 28, sent[k], q);
    }
    assert_int_equal(l3t_rd16(cap.f[0] + 14 + 2), 576); /* exactly */
    assert_int_equal(l3t_stats(h).icmp_errors_tx, 5);
    l3t_dev_fini(&dev);
}

/* A router's time exceeded about a large packet whose header holds 40 bytes of options:
 * the quote keeps the header with its options (60 bytes) and 488 bytes of payload. */
static void test_icmp__router_quote_keeps_the_options(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l3t_dev dev;
    l3t_dev_init(&dev, sim, 7, "dev");
    dev.answer_arp = VIV_IP4(10, 0, 0, 7);
    viv_host_t *r = l3t_router(sim, "r", 2);
    l3t_addr(r, 0, "10.0.0.1/24");
    l3t_addr(r, 1, "10.0.2.1/24");
    viv_link_t *l = l3t_link(sim, viv_device_port(dev.dev, 0), viv_host_port(r, 0), NULL);
    static fullcap cap;
    memset(&cap, 0, sizeof cap);
    assert_int_equal(viv_link_set_intercept(l, VIV_LINK_BA, fullcap_cb, &cap), 0);
    /* A full Record Route (nine addresses, pointer 40) and EOL, TTL 1, 1000 bytes of UDP. */
    uint8_t opts[40] = {7, 39, 40};
    for (int j = 0; j < 9; j++)
        l3t_wr32(opts + 3 + 4 * j, VIV_IP4(192, 0, 2, 1 + j));
    static uint8_t f[1200];
    memset(f, 0, sizeof f);
    viv_mac_t rm = l3t_host_mac(r, 0);
    l3t_eth(f, &rm, &dev.mac, 0x0800);
    for (size_t i = 0; i < 1008; i++)
        f[14 + 60 + i] = (uint8_t)(i * 7);
    size_t hl = ipo_hdr(f + 14, VIV_IP4(10, 0, 0, 7), VIV_IP4(10, 0, 2, 9), 17, 1, opts, 40,
                        1008);
    assert_int_equal(hl, 60);
    l3t_dev_send(&dev, f, 14 + 60 + 1008);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(cap.n, 1);
    const uint8_t *ip = cap.f[0] + 14;
    assert_int_equal(cap.len[0], 14 + 576);
    assert_int_equal(l3t_rd16(ip + 2), 576);
    assert_int_equal(ip[20], 11);
    assert_int_equal(l3t_cksum(ip + 20, 556), 0);
    assert_memory_equal(ip + 28, f + 14, 548); /* 60 bytes of header, 488 of payload */
    assert_int_equal(ip[28], 0x4f);
    l3t_dev_fini(&dev);
}

/* ---- ping: chosen identifier and payload ------------------------------------------------- */

/* Ping results with the time each came. */
typedef struct timed_pings {
    viv_sim_t *sim;
    viv_ping_result r[16];
    viv_time_t t[16];
    size_t n;
    int done;
} timed_pings;

static void timed_ping_cb(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    timed_pings *log = user;
    (void)p;
    if (r->event == VIV_PING_DONE) {
        log->done++;
        return;
    }
    assert_true(log->n < 16);
    log->t[log->n] = viv_sim_now(log->sim);
    log->r[log->n++] = *r;
}

/* The echo request in frame f: checks the IPv4 and ICMP headers (lengths, checksums, type,
 * identifier, sequence number) and the data. */
static void assert_echo(const l3t_frame *f, uint8_t type, uint16_t ident, uint16_t seq,
                        const void *data, size_t n)
{
    assert_non_null(f);
    const uint8_t *ip = f->b + L3T_ETH;
    assert_int_equal(ip[9], 1);
    assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + n);
    assert_int_equal(l3t_rd16(ip + 6), 0); /* no DF on pings */
    assert_int_equal(l3t_cksum(ip, 20), 0);
    const uint8_t *m = ip + 20;
    assert_int_equal(m[0], type);
    assert_int_equal(m[1], 0);
    assert_int_equal(l3t_cksum(m, 8 + n), 0);
    assert_int_equal(l3t_rd16(m + 4), ident);
    assert_int_equal(l3t_rd16(m + 6), seq);
    assert_memory_equal(m + 8, data, n);
}

/* A device stands for 10.0.0.7: the requests are checked as they arrive, and replies with
 * another identifier are ignored while one with the ping's counts. */
static void test_icmp__ping_chosen_identifier_and_payload_on_the_wire(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    char pattern[3] = {'a', 'b', 'c'};
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = 2;
    o.timeout_ns = VIV_MS(500);
    o.ident = 0xbeef;
    o.payload = pattern;
    o.payload_len = 3;
    o.size = 8;
    timed_pings log = {sim, {{0}}, {0}, 0, 0};
    viv_ping_t *p;
    assert_int_equal(viv_ping_start(&p, b.h, VIV_IP4(10, 0, 0, 7), &o, timed_ping_cb, &log), 0);
    memset(pattern, 'z', sizeof pattern); /* copied: the caller's buffer is free again */
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    /* "abc" repeated and cut at 8 bytes. */
    assert_echo(bench_ip(&b, 0), 8, 0xbeef, 1, "abcabcab", 8);
    assert_null(bench_ip(&b, 1));

    /* A reply with another identifier (same sequence number, same data): someone else's. */
    uint8_t m[64];
    l3t_icmp(m, 0, 0, 0xbeee0001u, (const uint8_t *)"abcabcab", 8);
    bench_icmp(&b, &b.hm, VIV_IP4(10, 0, 0, 1), m, 16);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(log.n, 0);
    /* The ping's own. */
    l3t_icmp(m, 0, 0, 0xbeef0001u, (const uint8_t *)"abcabcab", 8);
    bench_icmp(&b, &b.hm, VIV_IP4(10, 0, 0, 1), m, 16);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(1)), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_REPLY);
    assert_int_equal(log.r[0].seq, 1);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 0, 7));
    assert_int_equal(log.r[0].bytes, 16);
    assert_int_equal(log.r[0].rtt_ns, log.t[0]); /* the request left at time 0 */
    /* The second request, the same way; unanswered, it times out. */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_echo(bench_ip(&b, 1), 8, 0xbeef, 2, "abcabcab", 8);
    assert_null(bench_ip(&b, 2));
    assert_int_equal(log.n, 2);
    assert_int_equal(log.r[1].event, VIV_PING_TIMEOUT);
    assert_int_equal(log.r[1].seq, 2);
    assert_int_equal(log.t[1], VIV_S(1) + VIV_MS(500));
    assert_int_equal(log.done, 1);
    viv_ping_stats_t st;
    assert_int_equal(viv_ping_stats(&st, p), 0);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.received, 1);
    assert_int_equal(st.timeouts, 1);
    l3t_dev_fini(&b.dev);
}

/* Two hosts: three pings at once with their own identifiers and payloads; each gets its own
 * reply, which echoes its data. */
static void test_icmp__ping_payloads_exact_repeated_and_cut(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1), *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(h1, 0, "10.0.0.1/24");
    l3t_addr(h2, 0, "10.0.0.2/24");
    viv_link_t *l = l3t_link(sim, viv_host_port(h1, 0), viv_host_port(h2, 0), NULL);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    static const uint8_t five[5] = {1, 2, 3, 4, 5};
    static const char ten[] = "0123456789", seven[] = "ABCDEFG";
    static const struct {
        uint16_t ident;
        const void *payload;
        uint32_t payload_len, size;
        const char *data; /* the echo data expected */
        size_t n;
    } pings[] = {
        {0x0102, five, 5, 0, "\x01\x02\x03\x04\x05", 5}, /* size 0: the payload exactly */
        {0x0304, ten, 10, 4, "0123", 4},                  /* cut */
        {0x0506, seven, 7, 20, "ABCDEFGABCDEFGABCDEF", 20}, /* repeated, then cut */
    };
    timed_pings log[3];
    viv_ping_t *p[3];
    for (size_t k = 0; k < 3; k++) {
        memset(&log[k], 0, sizeof log[k]);
        log[k].sim = sim;
        viv_ping_opts o = VIV_PING_OPTS_INIT;
        o.count = 1;
        o.ident = pings[k].ident;
        o.payload = pings[k].payload;
        o.payload_len = pings[k].payload_len;
        o.size = pings[k].size;
        assert_int_equal(viv_ping_start(&p[k], h1, VIV_IP4(10, 0, 0, 2), &o, timed_ping_cb,
                                        &log[k]),
                         0);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(log[k].n, 1);
        assert_int_equal(log[k].r[0].event, VIV_PING_REPLY);
        assert_int_equal(log[k].r[0].bytes, 8 + pings[k].n);
        /* Request k, then its reply, on the wire (requests go in start order). */
        const l3t_frame *rq = NULL, *rp = NULL;
        for (size_t i = 0; i < cap.n; i++) {
            const uint8_t *ip = cap.f[i].b + L3T_ETH;
            if (cap.f[i].info.ethertype != 0x0800 || l3t_rd16(ip + 24) != pings[k].ident)
                continue;
            if (cap.f[i].dir == VIV_LINK_AB)
                rq = rq ? rq : &cap.f[i];
            else
                rp = rp ? rp : &cap.f[i];
        }
        assert_echo(rq, 8, pings[k].ident, 1, pings[k].data, pings[k].n);
        assert_echo(rp, 0, pings[k].ident, 1, pings[k].data, pings[k].n);
    }
    assert_int_equal(l3t_cap_count(&cap, 0x0800), 6);
    l3t_cap_fini(&cap);
}

static void test_icmp__ping_identifier_in_use_and_bad_options(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1), *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(h1, 0, "10.0.0.1/24");
    l3t_addr(h2, 0, "10.0.0.2/24");
    viv_link_t *l = l3t_link(sim, viv_host_port(h1, 0), viv_host_port(h2, 0), NULL);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    const viv_ip4_t dst = VIV_IP4(10, 0, 0, 2);
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = 1;
    /* The host's choice, read on the wire. */
    viv_ping_t *a, *c, *d, *e;
    assert_int_equal(viv_ping_start(&a, h1, dst, &o, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    uint16_t x = l3t_cap_echo_ident(&cap, 0);
    assert_true(x < 0xfffd); /* so that x + 1 and x + 2 are neither 0 nor wrapped */
    /* Taken: refused, by another ping of the same host. */
    o.ident = x;
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EADDRINUSE);
    char want[96];
    snprintf(want, sizeof want, "viv_ping_start: identifier %u is in use", (unsigned)x);
    assert_non_null(strstr(viv_sim_errmsg(sim), want));
    /* Another host has its own identifiers. */
    assert_int_equal(viv_ping_start(NULL, h2, VIV_IP4(10, 0, 0, 1), &o, NULL, NULL), 0);
    /* A chosen x + 1: the host's next choice skips it. */
    o.ident = (uint16_t)(x + 1);
    assert_int_equal(viv_ping_start(&c, h1, dst, &o, NULL, NULL), 0);
    o.ident = 0;
    assert_int_equal(viv_ping_start(&d, h1, dst, &o, NULL, NULL), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l3t_cap_echo_ident(&cap, 1), x + 1);
    assert_int_equal(l3t_cap_echo_ident(&cap, 2), x + 2);
    /* A traceroute's identifier is in use too (the host's next: x + 3). */
    viv_traceroute_t *t;
    viv_traceroute_opts to = VIV_TRACEROUTE_OPTS_INIT;
    to.max_hops = 1;
    to.probes = 1;
    assert_int_equal(viv_traceroute_start(&t, h1, dst, &to, NULL, NULL), 0);
    o.ident = (uint16_t)(x + 3);
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EADDRINUSE);
    viv_traceroute_free(t);
    assert_int_equal(viv_ping_start(&e, h1, dst, &o, NULL, NULL), 0);
    /* Freed, a ping gives its identifier back. */
    viv_ping_free(a);
    o.ident = x;
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), 0);
    viv_ping_free(c);
    viv_ping_free(d);
    viv_ping_free(e);

    /* Payload arguments. */
    o.ident = 0;
    o.payload_len = 3;
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "payload_len without a payload"));
    o.payload = "xyz";
    o.payload_len = 0;
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "a payload of 0 bytes"));
    static uint8_t big[65508];
    o.payload = big;
    o.payload_len = 65508;
    o.size = 8; /* even when only 8 bytes would be used */
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "payload above 65507 bytes"));
    o.payload_len = 65507;
    o.size = 65508;
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "echo data above 65507 bytes"));
    o.size = 0; /* the largest payload, exactly: accepted */
    assert_int_equal(viv_ping_start(NULL, h1, dst, &o, NULL, NULL), 0);
    l3t_cap_fini(&cap);
}

/* Every allocation of a ping with a payload failing in turn: VIV_ENOMEM, nothing left
 * allocated, until it succeeds. */
static void test_icmp__ping_with_payload_out_of_memory(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_t *sim = fx->sim;
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_addr(h, 0, "10.0.0.1/24");
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.ident = 99;
    o.payload = "pattern";
    o.payload_len = 7;
    int rc = -1;
    uint64_t k;
    for (k = 1; k < 32 && rc != 0; k++) {
        size_t live = fx->alloc.live_blocks;
        fx->alloc.fail_at = fx->alloc.calls + k;
        rc = viv_ping_start(NULL, h, VIV_IP4(10, 0, 0, 2), &o, NULL, NULL);
        fx->alloc.fail_at = 0;
        if (rc != 0) {
            assert_int_equal(rc, VIV_ENOMEM);
            assert_int_equal(fx->alloc.live_blocks, live);
        }
    }
    assert_int_equal(rc, 0);
    assert_true(k > 3); /* the ping, its requests and the payload at least */
    /* The identifier of a ping that failed was not kept. */
    o.ident = 98;
    assert_int_equal(viv_ping_start(NULL, h, VIV_IP4(10, 0, 0, 2), &o, NULL, NULL), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_icmp__echo_reply_byte_by_byte), T(test_icmp__broadcast_echo_and_malformed),
        T(test_icmp__ping_rtts_are_exact),     T(test_icmp__ping_timeouts_free_and_errors),
        T(test_icmp__traceroute_hop_list),     T(test_icmp__traceroute_unreachable_and_timeouts),
        T(test_icmp__host_freed_inside_ping_and_traceroute_callbacks),
        T(test_icmp__echo_reply_returns_record_route_and_timestamp),
        T(test_icmp__error_quotes_up_to_576_bytes),
        T(test_icmp__router_quote_keeps_the_options),
        T(test_icmp__ping_chosen_identifier_and_payload_on_the_wire),
        T(test_icmp__ping_payloads_exact_repeated_and_cut),
        T(test_icmp__ping_identifier_in_use_and_bad_options),
        T(test_icmp__ping_with_payload_out_of_memory),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
