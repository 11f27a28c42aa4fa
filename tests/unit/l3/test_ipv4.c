/* IPv4: forwarding hop by hop (TTL and checksum on every link), errors and their contents
 * (time exceeded, net/host/port/protocol unreachable, fragmentation needed), the restraints
 * on errors and on forwarding broadcasts, source address selection, routing loops, and
 * malformed headers counted by cause. */
#include "l3_test.h"

#define GBPS UINT64_C(1000000000)

/* A chain h1 - r1 - ... - rN - h2. Net k (10.0.k.0/24) joins node k and node k + 1; the left
 * one is 10.0.k.1, the right one 10.0.k.2. Link k is captured (A is the left node). */
typedef struct chain {
    int n;
    viv_host_t *h1, *h2, *r[4];
    viv_link_t *l[5];
    l3t_cap cap[5];
} chain;

static viv_host_t *chain_node(chain *c, int i)
{
    return i == 0 ? c->h1 : i == c->n + 1 ? c->h2 : c->r[i - 1];
}

static void chain_build(chain *c, viv_sim_t *sim, int n)
{
    memset(c, 0, sizeof(*c));
    c->n = n;
    c->h1 = l3t_host(sim, "h1", 1);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", i + 1);
        c->r[i] = l3t_router(sim, name, 2);
    }
    c->h2 = l3t_host(sim, "h2", 1);
    for (int k = 0; k <= n; k++) {
        viv_host_t *a = chain_node(c, k), *b = chain_node(c, k + 1);
        uint32_t ia = k == 0 ? 0 : 1;
        char cidr[24];
        snprintf(cidr, sizeof cidr, "10.0.%d.1/24", k);
        l3t_addr(a, ia, cidr);
        snprintf(cidr, sizeof cidr, "10.0.%d.2/24", k);
        l3t_addr(b, 0, cidr);
        c->l[k] = l3t_link(sim, viv_host_port(a, ia), viv_host_port(b, 0), NULL);
        l3t_cap_start(&c->cap[k], sim, c->l[k]);
    }
    assert_true(viv_sim_compute_routes(sim) > 0);
}

static void chain_fini(chain *c)
{
    for (int k = 0; k <= c->n; k++)
        l3t_cap_fini(&c->cap[k]);
}

/* The IPv4 header of a captured frame. */
static const uint8_t *iph(const l3t_frame *f)
{
    return f->b + L3T_ETH;
}

static void test_ipv4__forwarding_hop_by_hop(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 3);
    l3t_pings log;
    l3t_ping(c.h1, VIV_IP4(10, 0, 3, 2), 2, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.r[1].event, VIV_PING_REPLY);
    assert_int_equal(log.r[1].ttl, 61);
    const l3t_frame *first = NULL;
    for (int k = 0; k <= 3; k++) {
        /* Link k carries each echo request once (seq 1 and 2), then each reply. */
        assert_int_equal(l3t_cap_count(&c.cap[k], 0x0800), 4);
        const l3t_frame *req = l3t_cap_ip(&c.cap[k], 1, 2); /* seq 2: after seq 1's reply */
        assert_non_null(req);
        assert_int_equal(req->dir, VIV_LINK_AB);
        assert_int_equal(req->info.icmp_type, 8);
        assert_int_equal(req->len, 98);
        const uint8_t *ip = iph(req);
        assert_int_equal(ip[8], 64 - k);        /* TTL */
        assert_int_equal(l3t_cksum(ip, 20), 0); /* the header checksum verifies */
        assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 0, 1));
        assert_int_equal(l3t_rd32(ip + 16), VIV_IP4(10, 0, 3, 2));
        /* Link-layer addresses: from the left node's interface to the right node's. */
        viv_mac_t src = l3t_host_mac(chain_node(&c, k), k == 0 ? 0 : 1);
        viv_mac_t dst = l3t_host_mac(chain_node(&c, k + 1), 0);
        assert_memory_equal(req->b, dst.b, 6);
        assert_memory_equal(req->b + 6, src.b, 6);
        if (!first) {
            first = req;
        } else {
            /* Everything else is untouched: header fields but TTL and checksum, payload. */
            assert_memory_equal(ip, iph(first), 8);
            assert_memory_equal(ip + 9, iph(first) + 9, 1);
            assert_memory_equal(ip + 12, iph(first) + 12, 98 - 14 - 12);
        }
        /* The reply on the same link: TTL 64 minus the routers behind it. */
        const l3t_frame *rep = l3t_cap_ip(&c.cap[k], 1, 3);
        assert_int_equal(rep->dir, VIV_LINK_BA);
        assert_int_equal(rep->info.icmp_type, 0);
        assert_int_equal(iph(rep)[8], 64 - (3 - k));
        assert_int_equal(l3t_cksum(iph(rep), 20), 0);
    }
    for (int i = 0; i < 3; i++) {
        viv_ip_stats_t st = l3t_stats(c.r[i]);
        assert_int_equal(st.ip_forwarded, 4);
        assert_int_equal(st.ip_delivered, 0);
        assert_int_equal(st.ip_rx, 4);
    }
    chain_fini(&c);
}

/* Time exceeded: sent by the router where the TTL runs out, from its interface toward the
 * sender, quoting the packet it received: the whole 84-byte echo (20 + 8 + 56), well under
 * the 548 bytes a 576-byte error can quote (RFC 1812 4.3.2.3). */
static void test_ipv4__time_exceeded_contents(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 3);
    l3t_pings log;
    l3t_ping(c.h1, VIV_IP4(10, 0, 3, 2), 1, 2, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].event, VIV_PING_ERROR);
    assert_int_equal(log.r[0].icmp_type, 11);
    assert_int_equal(log.r[0].icmp_code, 0);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 1, 2)); /* r2's eth0, toward h1 */
    assert_int_equal(log.r[0].ttl, 63);
    assert_int_equal(log.r[0].bytes, 8 + 84); /* ICMP header and the quoted echo */
    /* What r2 received, on link 1, with TTL 1. */
    const l3t_frame *req = l3t_cap_ip(&c.cap[1], 1, 0);
    assert_int_equal(iph(req)[8], 1);
    assert_int_equal(l3t_cap_ip(&c.cap[2], 1, 0), NULL); /* it went no further */
    /* The error as h1 received it on link 0. */
    const l3t_frame *err = l3t_cap_ip(&c.cap[0], 1, 1);
    assert_non_null(err);
    assert_int_equal(err->dir, VIV_LINK_BA);
    const uint8_t *ip = iph(err);
    assert_int_equal(err->len, 14 + 20 + 8 + 84);
    assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + 84);
    assert_int_equal(l3t_cksum(ip, 20), 0);
    assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 1, 2));
    assert_int_equal(l3t_rd32(ip + 16), VIV_IP4(10, 0, 0, 1));
    const uint8_t *icmp = ip + 20;
    assert_int_equal(icmp[0], 11);
    assert_int_equal(icmp[1], 0);
    assert_int_equal(l3t_rd32(icmp + 4), 0);
    assert_int_equal(l3t_cksum(icmp, 8 + 84), 0);
    assert_memory_equal(icmp + 8, iph(req), 84);
    viv_ip_stats_t st = l3t_stats(c.r[1]);
    assert_int_equal(st.drop_ttl, 1);
    assert_int_equal(st.icmp_errors_tx, 1);
    assert_int_equal(st.icmp_tx, 1);
    chain_fini(&c);
}

/* A packet addressed to a router is accepted whatever its TTL, on any of its addresses. */
static void test_ipv4__ttl_one_to_the_router_itself(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 2);
    l3t_pings a, b, d;
    l3t_ping(c.h1, VIV_IP4(10, 0, 0, 2), 1, 1, &a); /* r1, near side */
    l3t_ping(c.h1, VIV_IP4(10, 0, 1, 1), 1, 1, &b); /* r1, far side */
    l3t_ping(c.h1, VIV_IP4(10, 0, 1, 2), 1, 2, &d); /* r2, arriving with TTL 1 */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a.r[0].event, VIV_PING_REPLY);
    assert_int_equal(b.r[0].event, VIV_PING_REPLY);
    assert_int_equal(b.r[0].from, VIV_IP4(10, 0, 1, 1));
    assert_int_equal(d.r[0].event, VIV_PING_REPLY);
    assert_int_equal(d.r[0].ttl, 63);
    assert_int_equal(l3t_stats(c.r[0]).drop_ttl, 0);
    assert_int_equal(l3t_stats(c.r[1]).drop_ttl, 0);
    chain_fini(&c);
}

static void test_ipv4__net_unreachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 1);
    assert_int_equal(viv_host_set_gateway(c.h1, VIV_IP4(10, 0, 0, 2)), 0);
    l3t_pings log;
    l3t_ping(c.h1, VIV_IP4(10, 9, 9, 9), 1, 0, &log);
    /* With no route at all, a host fails at once (h2's computed default route removed). */
    assert_int_equal(viv_host_route_del(c.h2, VIV_IP4_ANY, 0), 1);
    l3t_pings none;
    l3t_ping(c.h2, VIV_IP4(10, 9, 9, 9), 1, 0, &none);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(log.r[0].event, VIV_PING_ERROR);
    assert_int_equal(log.r[0].icmp_type, 3);
    assert_int_equal(log.r[0].icmp_code, 0);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 0, 2));
    assert_int_equal(l3t_stats(c.r[0]).drop_no_route, 1);
    assert_int_equal(none.r[0].event, VIV_PING_ERROR);
    assert_int_equal(none.r[0].icmp_code, 0);
    assert_int_equal(none.r[0].rtt_ns, 0);
    assert_int_equal(l3t_stats(c.h2).drop_no_route, 1);
    chain_fini(&c);
}

/* A device next to a host or router: it answers ARP for 10.0.0.7 and records everything. */
typedef struct bench {
    l3t_dev dev;
    viv_host_t *h;
    viv_mac_t hm;
} bench;

static void bench_build(bench *b, viv_sim_t *sim, int router)
{
    l3t_dev_init(&b->dev, sim, 7, "dev");
    b->dev.answer_arp = VIV_IP4(10, 0, 0, 7);
    b->h = router ? l3t_router(sim, "r", 2) : l3t_host(sim, "h", 1);
    l3t_addr(b->h, 0, "10.0.0.1/24");
    if (router)
        l3t_addr(b->h, 1, "10.0.2.1/24");
    l3t_link(sim, viv_device_port(b->dev.dev, 0), viv_host_port(b->h, 0), NULL);
    b->hm = l3t_host_mac(b->h, 0);
}

/* Send an IPv4 packet from the device: header from the arguments, then payload. */
static void bench_send(bench *b, const viv_mac_t *eth_dst, viv_ip4_t src, viv_ip4_t dst,
                       uint8_t proto, uint8_t ttl, uint16_t frag, const uint8_t *payload, size_t n)
{
    uint8_t f[256] = {0};
    l3t_eth(f, eth_dst, &b->dev.mac, 0x0800);
    l3t_ip(f + 14, src, dst, proto, ttl, n, frag);
    memcpy(f + 34, payload, n);
    size_t len = 34 + n < 60 ? 60 : 34 + n;
    l3t_dev_send(&b->dev, f, len);
}

/* The IPv4 packets the device received, skipping ARP. */
static const l3t_frame *bench_ip(const bench *b, size_t k)
{
    for (size_t i = 0; i < b->dev.n; i++)
        if (b->dev.f[i].info.ethertype == 0x0800 && k-- == 0)
            return &b->dev.f[i];
    return NULL;
}

static void test_ipv4__port_and_protocol_unreachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim, 0);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 7), h = VIV_IP4(10, 0, 0, 1);
    uint8_t udp[20];
    l3t_udp(udp, 5000, 9, (const uint8_t *)"hello world!", 12);
    bench_send(&b, &b.hm, me, h, 17, 64, 0, udp, 20);
    uint8_t junk[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    bench_send(&b, &b.hm, me, h, 99, 64, 0, junk, 12);
    assert_int_equal(viv_sim_run(sim), 0);
    const l3t_frame *e1 = bench_ip(&b, 0), *e2 = bench_ip(&b, 1);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_null(bench_ip(&b, 2));
    const uint8_t *codes[2] = {iph(e1) + 20, iph(e2) + 20};
    assert_int_equal(codes[0][0], 3);
    assert_int_equal(codes[0][1], 3); /* port */
    assert_int_equal(codes[1][0], 3);
    assert_int_equal(codes[1][1], 2); /* protocol */
    for (int i = 0; i < 2; i++) {
        const uint8_t *ip = iph(i ? e2 : e1);
        /* The quote: the whole packet (RFC 1812 4.3.2.3: as much as fits in 576 bytes), 40
         * bytes of UDP datagram or 32 of protocol 99, without the Ethernet padding. */
        size_t n = i ? 20 + 12 : 20 + 20;
        assert_int_equal(l3t_rd32(ip + 12), h);
        assert_int_equal(l3t_rd32(ip + 16), me);
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + n);
        assert_int_equal(l3t_cksum(ip + 20, 8 + n), 0);
        uint8_t want[40];
        l3t_ip(want, me, h, i ? 99 : 17, 64, n - 20, 0);
        memcpy(want + 20, i ? junk : udp, n - 20);
        assert_memory_equal(ip + 28, want, n);
    }
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.icmp_errors_tx, 2);
    assert_int_equal(st.ip_delivered, 2);
    l3t_dev_fini(&b.dev);
}

/* No ICMP error about an ICMP error, a broadcast, a non-unique source or a later fragment; a
 * router forwards no limited, directed or link-layer broadcast. */
static void test_ipv4__restraint(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim, 1);
    viv_host_t *far = l3t_host(sim, "far", 1);
    l3t_addr(far, 0, "10.0.2.9/24");
    viv_link_t *lf = l3t_link(sim, viv_host_port(b.h, 1), viv_host_port(far, 0), NULL);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 7), dst = VIV_IP4(10, 0, 2, 9);
    viv_mac_t bc = l3t_bcast_mac();
    uint8_t body[16];
    /* a: a destination unreachable about something, TTL 1: no error about an error. */
    uint8_t quote[28];
    l3t_ip(quote, dst, me, 17, 64, 8, 0);
    memset(quote + 20, 0, 8);
    l3t_icmp(body, 3, 3, 0, quote, 8); /* only 16 bytes: enough for the router's check */
    bench_send(&b, &b.hm, me, dst, 1, 1, 0, body, 16);
    /* b: an echo request, TTL 1: time exceeded (the control case). */
    l3t_icmp(body, 8, 0, 0x00010001, NULL, 8);
    bench_send(&b, &b.hm, me, dst, 1, 1, 0, body, 16);
    /* c: a later fragment (offset 8 bytes), TTL 1: no error. */
    memset(body, 0xab, sizeof body);
    bench_send(&b, &b.hm, me, dst, 17, 1, 1, body, 16);
    /* d: a first fragment (MF, offset 0), TTL 1: time exceeded. */
    l3t_udp(body, 1, 2, NULL, 8);
    bench_send(&b, &b.hm, me, dst, 17, 1, 0x2000, body, 16);
    /* e: a broadcast source, TTL 1: no error. */
    bench_send(&b, &b.hm, VIV_IP4_BROADCAST, dst, 17, 1, 0, body, 16);
    /* f: UDP to the limited broadcast (a link-layer broadcast): delivered to the router,
     * which has no socket, and yet no port unreachable; not forwarded. */
    bench_send(&b, &bc, me, VIV_IP4_BROADCAST, 17, 64, 0, body, 16);
    /* g: UDP to the directed broadcast of the router's eth0 subnet: the same. */
    bench_send(&b, &b.hm, me, VIV_IP4(10, 0, 0, 255), 17, 64, 0, body, 16);
    /* h: a unicast packet for far, in a link-layer broadcast: not forwarded. */
    bench_send(&b, &bc, me, dst, 17, 64, 0, body, 16);
    /* i: the directed broadcast of the router's other subnet: not forwarded. */
    bench_send(&b, &b.hm, me, VIV_IP4(10, 0, 2, 255), 17, 64, 0, body, 16);
    assert_int_equal(viv_sim_run(sim), 0);
    /* Exactly two time exceeded, about b and d. */
    const l3t_frame *e1 = bench_ip(&b, 0), *e2 = bench_ip(&b, 1);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_null(bench_ip(&b, 2));
    assert_int_equal(iph(e1)[20], 11);
    assert_int_equal(iph(e1)[28 + 9], 1); /* quoting the ICMP echo */
    assert_int_equal(iph(e2)[20], 11);
    assert_int_equal(iph(e2)[28 + 6], 0x20); /* quoting the first fragment */
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.drop_ttl, 5);
    assert_int_equal(st.icmp_errors_tx, 2);
    assert_int_equal(st.drop_broadcast, 2); /* h and i */
    assert_int_equal(st.ip_delivered, 2);   /* f and g */
    assert_int_equal(st.ip_forwarded, 0);
    viv_link_stats_t ls;
    assert_int_equal(viv_link_stats(&ls, lf, VIV_LINK_AB), 0);
    assert_int_equal(ls.tx_frames, 0);
    assert_int_equal(l3t_stats(far).rx_frames, 0);
    l3t_dev_fini(&b.dev);
}

/* The source address is the outgoing interface's: per route, on a multi-homed host. */
static void test_ipv4__source_by_outgoing_interface(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *m = l3t_host(sim, "m", 2);
    l3t_dev a, b;
    l3t_dev_init(&a, sim, 1, "a");
    l3t_dev_init(&b, sim, 2, "b");
    l3t_addr(m, 0, "10.0.1.5/24");
    l3t_addr(m, 0, "10.0.3.5/24"); /* a second address on eth0 */
    l3t_addr(m, 1, "10.0.2.5/24");
    assert_int_equal(viv_host_set_gateway(m, VIV_IP4(10, 0, 2, 1)), 0);
    l3t_link(sim, viv_host_port(m, 0), viv_device_port(a.dev, 0), NULL);
    l3t_link(sim, viv_host_port(m, 1), viv_device_port(b.dev, 0), NULL);
    a.answer_arp = VIV_IP4(10, 0, 1, 9);
    b.answer_arp = VIV_IP4(10, 0, 2, 1);
    l3t_pings p1, p2, p3;
    l3t_ping(m, VIV_IP4(10, 0, 1, 9), 1, 0, &p1);
    l3t_ping(m, VIV_IP4(8, 8, 8, 8), 1, 0, &p2);
    assert_int_equal(viv_sim_run(sim), 0);
    a.answer_arp = VIV_IP4(10, 0, 3, 9);
    l3t_ping(m, VIV_IP4(10, 0, 3, 9), 1, 0, &p3);
    assert_int_equal(viv_sim_run(sim), 0);
    /* a: ARP from 10.0.1.5, echo from 10.0.1.5; then ARP and echo from 10.0.3.5. */
    assert_int_equal(a.n, 4);
    assert_int_equal(a.f[0].info.arp_spa, VIV_IP4(10, 0, 1, 5));
    assert_int_equal(a.f[1].info.ip_src, VIV_IP4(10, 0, 1, 5));
    assert_int_equal(a.f[2].info.arp_spa, VIV_IP4(10, 0, 3, 5));
    assert_int_equal(a.f[3].info.ip_src, VIV_IP4(10, 0, 3, 5));
    assert_int_equal(a.f[3].info.ip_dst, VIV_IP4(10, 0, 3, 9));
    /* b: ARP for the gateway, echo to 8.8.8.8 from 10.0.2.5 through it. */
    assert_int_equal(b.n, 2);
    assert_int_equal(b.f[0].info.arp_spa, VIV_IP4(10, 0, 2, 5));
    assert_int_equal(b.f[0].info.arp_tpa, VIV_IP4(10, 0, 2, 1));
    assert_int_equal(b.f[1].info.ip_src, VIV_IP4(10, 0, 2, 5));
    assert_int_equal(b.f[1].info.ip_dst, VIV_IP4(8, 8, 8, 8));
    viv_route r;
    assert_int_equal(viv_host_route_lookup(&r, m, VIV_IP4(10, 0, 3, 1)), 0);
    assert_int_equal(r.src, VIV_IP4(10, 0, 3, 5));
    l3t_dev_fini(&a);
    l3t_dev_fini(&b);
}

/* Two routers whose default routes point at each other: TTL ends the loop. */
static void test_ipv4__routing_loop_ends_by_ttl(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 2);
    assert_int_equal(viv_host_set_gateway(c.h1, VIV_IP4(10, 0, 0, 2)), 0);
    assert_int_equal(viv_host_set_gateway(c.r[0], VIV_IP4(10, 0, 1, 2)), 0);
    assert_int_equal(viv_host_set_gateway(c.r[1], VIV_IP4(10, 0, 1, 1)), 0);
    l3t_pings log;
    l3t_ping(c.h1, VIV_IP4(10, 9, 9, 9), 1, 10, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    /* r1 gets TTL 10, 8, 6, 4, 2 and forwards each; r2 gets 9, 7, 5, 3 and forwards, then 1:
     * time exceeded from r2 (10.0.1.2, its way back is via r1), which r1 forwards. */
    assert_int_equal(log.r[0].event, VIV_PING_ERROR);
    assert_int_equal(log.r[0].icmp_type, 11);
    assert_int_equal(log.r[0].from, VIV_IP4(10, 0, 1, 2));
    assert_int_equal(l3t_stats(c.r[0]).ip_forwarded, 6);
    assert_int_equal(l3t_stats(c.r[1]).ip_forwarded, 4);
    assert_int_equal(l3t_stats(c.r[1]).drop_ttl, 1);
    /* On the r1 - r2 link: the echo 9 times with falling TTL, then the error. */
    const l3t_cap *k = &c.cap[1];
    for (int i = 0; i < 9; i++) {
        const l3t_frame *f = l3t_cap_ip(k, 1, (size_t)i);
        assert_int_equal(f->info.icmp_type, 8);
        assert_int_equal(iph(f)[8], 9 - i);
        assert_int_equal(f->dir, i % 2 ? VIV_LINK_BA : VIV_LINK_AB);
    }
    assert_int_equal(l3t_cap_ip(k, 1, 9)->info.icmp_type, 11);
    assert_null(l3t_cap_ip(k, 1, 10));
    chain_fini(&c);
}

/* Fragmentation is not done: too big for the next link is "fragmentation needed". */
static void test_ipv4__too_big(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h1 = l3t_host(sim, "h1", 1);
    viv_host_t *r = l3t_router(sim, "r", 1);
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    io.mtu = 576;
    assert_int_equal(viv_host_add_iface(r, &io), 1);
    viv_host_t *h2 = l3t_host(sim, "h2", 1);
    l3t_addr(h1, 0, "10.0.0.1/24");
    l3t_addr(r, 0, "10.0.0.2/24");
    l3t_addr(r, 1, "10.0.1.1/24");
    l3t_addr(h2, 0, "10.0.1.2/24");
    viv_link_t *l = l3t_link(sim, viv_host_port(h1, 0), viv_host_port(r, 0), NULL);
    l3t_link(sim, viv_host_port(r, 1), viv_host_port(h2, 0), NULL);
    assert_int_equal(viv_sim_compute_routes(sim), 2);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, l);
    l3t_pings big, local;
    memset(&big, 0, sizeof big);
    memset(&local, 0, sizeof local);
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = 1;
    o.size = 1000;
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 1, 2), &o, l3t_ping_cb, &big), 0);
    o.size = 1473; /* 1501 bytes of IP: above h1's own MTU */
    assert_int_equal(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 1, 2), &o, l3t_ping_cb, &local), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(big.r[0].event, VIV_PING_ERROR);
    assert_int_equal(big.r[0].icmp_type, 3);
    assert_int_equal(big.r[0].icmp_code, 4);
    assert_int_equal(big.r[0].from, VIV_IP4(10, 0, 0, 2));
    const l3t_frame *e = l3t_cap_ip(&cap, 1, 1);
    assert_int_equal(e->info.icmp_type, 3);
    assert_int_equal(l3t_rd16(iph(e) + 20 + 6), 576); /* the next-hop MTU */
    assert_int_equal(l3t_stats(r).drop_too_big, 1);
    assert_int_equal(local.r[0].event, VIV_PING_ERROR);
    assert_int_equal(local.r[0].icmp_code, 4);
    assert_int_equal(local.r[0].rtt_ns, 0);
    assert_int_equal(l3t_stats(h1).drop_too_big, 1);
    l3t_cap_fini(&cap);
}

/* Malformed IPv4 headers from a device: each counted by cause and dropped. */
static void test_ipv4__malformed_headers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim, 0);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 7), h = VIV_IP4(10, 0, 0, 1);
    uint8_t f[120];
    uint8_t echo[16];
    l3t_icmp(echo, 8, 0, 0x00070001, NULL, 8);
#define BUILD()                                                                                    \
    do {                                                                                           \
        memset(f, 0, sizeof f);                                                                    \
        l3t_eth(f, &b.hm, &b.dev.mac, 0x0800);                                                     \
        l3t_ip(f + 14, me, h, 1, 64, 16, 0);                                                       \
        memcpy(f + 34, echo, 16);                                                                  \
    } while (0)
    /* Version 6. */
    BUILD();
    f[14] = 0x65;
    l3t_ip_fix(f + 14);
    l3t_dev_send(&b.dev, f, 60);
    /* Header length 16 bytes. */
    BUILD();
    f[14] = 0x44;
    l3t_dev_send(&b.dev, f, 60);
    /* Header length 60 bytes in a 46-byte payload. */
    BUILD();
    f[14] = 0x4f;
    l3t_dev_send(&b.dev, f, 60);
    /* Total length 12, below the header's 20. */
    BUILD();
    l3t_wr16(f + 16, 12);
    l3t_ip_fix(f + 14);
    l3t_dev_send(&b.dev, f, 60);
    /* Total length 100, beyond the frame. */
    BUILD();
    l3t_wr16(f + 16, 100);
    l3t_ip_fix(f + 14);
    l3t_dev_send(&b.dev, f, 60);
    /* A bad header checksum. */
    BUILD();
    f[14 + 10] ^= 0x01;
    l3t_dev_send(&b.dev, f, 60);
    /* 10 bytes of IP only. */
    BUILD();
    l3t_dev_send(&b.dev, f, 24);
    /* A later fragment for the host: dropped, no reassembly. */
    BUILD();
    l3t_wr16(f + 20, 2);
    l3t_ip_fix(f + 14);
    l3t_dev_send(&b.dev, f, 60);
    /* For another address (the host does not forward). */
    BUILD();
    l3t_wr32(f + 30, VIV_IP4(10, 0, 0, 99));
    l3t_ip_fix(f + 14);
    l3t_dev_send(&b.dev, f, 60);
    /* For another MAC. */
    BUILD();
    f[5] ^= 0x10;
    l3t_dev_send(&b.dev, f, 60);
    /* With a VLAN tag. */
    BUILD();
    l3t_wr16(f + 12, 0x8100);
    l3t_dev_send(&b.dev, f, 60);
    /* And finally a good one, answered. */
    BUILD();
    l3t_dev_send(&b.dev, f, 60);
    assert_int_equal(viv_sim_run(sim), 0);
#undef BUILD
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.rx_frames, 13); /* 12 sent, and the ARP reply before the echo reply */
    assert_int_equal(st.rx_not_mine, 1);
    assert_int_equal(st.rx_bad_frame, 1);
    assert_int_equal(st.ip_rx, 10);
    assert_int_equal(st.drop_malformed, 3);
    assert_int_equal(st.drop_truncated, 3);
    assert_int_equal(st.drop_checksum, 1);
    assert_int_equal(st.drop_fragment, 1);
    assert_int_equal(st.drop_not_mine, 1);
    assert_int_equal(st.ip_delivered, 1); /* the fragment is dropped before delivery */
    assert_int_equal(st.icmp_rx, 1);
    assert_int_equal(st.icmp_errors_tx, 0);
    const l3t_frame *rep = bench_ip(&b, 0);
    assert_non_null(rep);
    assert_int_equal(rep->info.icmp_type, 0);
    assert_null(bench_ip(&b, 1));
    l3t_dev_fini(&b.dev);
}

/* A limited broadcast sent by a host whose only route is a default route leaves as a
 * link-layer broadcast, with no ARP for the gateway (it was sent to the gateway's MAC). */
static void test_ipv4__limited_broadcast_is_not_sent_to_the_gateway(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h = l3t_host(sim, "h", 1);
    l3t_dev d;
    l3t_dev_init(&d, sim, 1, "gw");
    d.answer_arp = VIV_IP4(10, 0, 0, 1);
    l3t_addr(h, 0, "10.0.0.5/24");
    assert_int_equal(viv_host_set_gateway(h, VIV_IP4(10, 0, 0, 1)), 0);
    l3t_link(sim, viv_host_port(h, 0), viv_device_port(d.dev, 0), NULL);
    l3t_pings log;
    l3t_ping(h, VIV_IP4_BROADCAST, 1, 0, &log);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.f[0].info.ethertype, 0x0800);
    viv_mac_t bc = l3t_bcast_mac();
    assert_memory_equal(d.f[0].b, bc.b, 6);
    assert_int_equal(d.f[0].info.ip_dst, VIV_IP4_BROADCAST);
    assert_int_equal(d.f[0].info.ip_src, VIV_IP4(10, 0, 0, 5));
    assert_int_equal(l3t_stats(h).arp_requests, 0);
    l3t_dev_fini(&d);
}

/* ---- IP options (RFC 791 3.1, RFC 1122 3.2.1.8, RFC 1812 5.3.13) ----------------------- */

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

#define DEV_IP VIV_IP4(10, 0, 0, 7)
#define H2_IP VIV_IP4(10, 0, 2, 2)

/* dev (10.0.0.7) - r1 (10.0.0.1 | 10.0.1.1) - r2 (10.0.1.2 | 10.0.2.1) - h2 (10.0.2.2), 1 Gb/s
 * and 3 ms per link, every link captured (A is the left end). */
typedef struct opath {
    l3t_dev dev;
    viv_host_t *r1, *r2, *h2;
    viv_link_t *l[3];
    l3t_cap cap[3];
    viv_mac_t r1m;
} opath;

static void opath_build(opath *p, viv_sim_t *sim)
{
    l3t_dev_init(&p->dev, sim, 7, "dev");
    p->dev.answer_arp = DEV_IP;
    p->r1 = l3t_router(sim, "r1", 2);
    p->r2 = l3t_router(sim, "r2", 2);
    p->h2 = l3t_host(sim, "h2", 1);
    l3t_addr(p->r1, 0, "10.0.0.1/24");
    l3t_addr(p->r1, 1, "10.0.1.1/24");
    l3t_addr(p->r2, 0, "10.0.1.2/24");
    l3t_addr(p->r2, 1, "10.0.2.1/24");
    l3t_addr(p->h2, 0, "10.0.2.2/24");
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = GBPS;
    lp.delay_ns = VIV_MS(3);
    p->l[0] = l3t_link(sim, viv_device_port(p->dev.dev, 0), viv_host_port(p->r1, 0), &lp);
    p->l[1] = l3t_link(sim, viv_host_port(p->r1, 1), viv_host_port(p->r2, 0), &lp);
    p->l[2] = l3t_link(sim, viv_host_port(p->r2, 1), viv_host_port(p->h2, 0), &lp);
    assert_true(viv_sim_compute_routes(sim) > 0);
    for (int k = 0; k < 3; k++)
        l3t_cap_start(&p->cap[k], sim, p->l[k]);
    p->r1m = l3t_host_mac(p->r1, 0);
}

/* Forget what was captured and received so far. */
static void opath_clear(opath *p)
{
    p->dev.n = 0;
    for (int k = 0; k < 3; k++)
        p->cap[k].n = 0;
}

static void opath_fini(opath *p)
{
    l3t_dev_fini(&p->dev);
    for (int k = 0; k < 3; k++)
        l3t_cap_fini(&p->cap[k]);
}

/* From the device, by r1: an echo request to h2 (ident 0x0707, sequence seq, data "optsopts")
 * carrying the options. */
static void opath_echo(opath *p, uint16_t seq, const uint8_t *opts, size_t optlen)
{
    uint8_t f[128] = {0};
    l3t_eth(f, &p->r1m, &p->dev.mac, 0x0800);
    size_t hl = ipo_hdr(f + 14, DEV_IP, H2_IP, 1, 64, opts, optlen, 16);
    l3t_icmp(f + 14 + hl, 8, 0, 0x07070000u | seq, (const uint8_t *)"optsopts", 8);
    l3t_dev_send(&p->dev, f, 14 + hl + 16 < 60 ? 60 : 14 + hl + 16);
}

/* A warm-up echo without options, half a second before t, fills every ARP cache on the way
 * (entries idle for a minute are gone), then the clock goes to t: what follows crosses each
 * link in 3 ms plus its serialization, exactly. */
static void opath_warm(opath *p, viv_sim_t *sim, viv_time_t t)
{
    assert_int_equal(viv_sim_run_until(sim, t - VIV_MS(500)), 0);
    opath_clear(p);
    opath_echo(p, 1, NULL, 0);
    assert_int_equal(viv_sim_run_until(sim, t), 0);
    assert_true(p->dev.n >= 1); /* the reply, after r1's ARP request the first time */
    assert_int_equal(p->dev.f[p->dev.n - 1].info.icmp_type, 0);
    opath_clear(p);
}

static const l3t_frame *dev_ip(const l3t_dev *d, size_t k)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->f[i].info.ethertype == 0x0800 && k-- == 0)
            return &d->f[i];
    return NULL;
}

/* A router records its outgoing interface's address, the destination records itself as the
 * request arrives and again as the reply leaves (as Linux's ping -R shows), and the reply
 * carries the whole round trip back. */
static void test_ipv4__record_route_through_two_routers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    opath p;
    opath_build(&p, sim);
    opath_warm(&p, sim, VIV_S(1));
    char path[512];
    snprintf(path, sizeof path, "%s/ipv4_record_route.pcap", VIV_TEST_TMPDIR);
    viv_pcap_t *pc;
    assert_int_equal(viv_pcap_open(&pc, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(pc, p.l[1], VIV_LINK_BOTH), 0);
    uint8_t rr[40] = {7, 39, 4}; /* nine empty slots, then EOL */
    opath_echo(&p, 2, rr, 40);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_pcap_close(pc);
    /* Wireshark reads the options as RFC 791 lays them out, every checksum good. */
    const char *out = viv_test_tshark(path, "-o ip.check_checksum:TRUE -Y \"_ws.malformed || "
                                            "_ws.expert.severity >= 0x00600000 || "
                                            "ip.checksum.status == 0 || icmp.checksum.status "
                                            "== 0\"");
    if (out) {
        assert_string_equal(out, "");
        out = viv_test_tshark(path, "-T fields -E separator=';' -e icmp.type -e ip.opt.ptr "
                                    "-e ip.rec_rt");
        assert_string_equal(out, "8;8;10.0.1.1\n"
                                 "0;24;10.0.1.1,10.0.2.1,10.0.2.2,10.0.2.2,10.0.1.2\n");
    }
    const viv_ip4_t want[6] = {
        VIV_IP4(10, 0, 1, 1), /* r1, toward r2 */
        VIV_IP4(10, 0, 2, 1), /* r2, toward h2 */
        H2_IP,                /* h2, the request arriving */
        H2_IP,                /* h2, the reply leaving */
        VIV_IP4(10, 0, 1, 2), /* r2, toward r1 */
        VIV_IP4(10, 0, 0, 1), /* r1, toward dev */
    };
    for (int k = 0; k < 3; k++) {
        for (int dir = 0; dir < 2; dir++) {
            const l3t_frame *fr = l3t_cap_ip(&p.cap[k], 1, (size_t)dir);
            assert_non_null(fr);
            assert_int_equal(fr->dir, dir ? VIV_LINK_BA : VIV_LINK_AB);
            assert_int_equal(fr->len, 14 + 60 + 16);
            const uint8_t *ip = iph(fr);
            assert_int_equal(ip[0], 0x4f);
            assert_int_equal(l3t_cksum(ip, 60), 0); /* recomputed at every change */
            assert_int_equal(ip[8], 64 - (dir ? 2 - k : k));
            /* Entries recorded by the time it crosses link k. */
            int n = dir ? 4 + (2 - k) : k;
            assert_int_equal(ip[20], 7);
            assert_int_equal(ip[21], 39);
            assert_int_equal(ip[22], 4 + 4 * n);
            for (int j = 0; j < 9; j++)
                assert_int_equal(l3t_rd32(ip + 23 + 4 * j), j < n ? want[j] : 0);
            assert_int_equal(ip[59], 0); /* EOL */
        }
        assert_null(l3t_cap_ip(&p.cap[k], 1, 2));
    }
    /* The reply as the device got it: h2's echo reply with the six entries. */
    const l3t_frame *rep = dev_ip(&p.dev, 0);
    assert_non_null(rep);
    assert_null(dev_ip(&p.dev, 1));
    const uint8_t *ip = iph(rep);
    assert_int_equal(l3t_rd16(ip + 2), 60 + 16);
    assert_int_equal(l3t_rd32(ip + 12), H2_IP);
    assert_int_equal(l3t_rd32(ip + 16), DEV_IP);
    uint8_t icmp[16];
    l3t_icmp(icmp, 0, 0, 0x07070002u, (const uint8_t *)"optsopts", 8);
    assert_memory_equal(ip + 60, icmp, 16);
    viv_host_t *all[3] = {p.r1, p.r2, p.h2};
    for (int i = 0; i < 3; i++) {
        viv_ip_stats_t st = l3t_stats(all[i]);
        assert_int_equal(st.drop_malformed, 0);
        assert_int_equal(st.icmp_errors_tx, 0);
    }
    opath_fini(&p);
}

/* One Timestamp option per flag. Each entity stamps the instant the packet reaches it (routers
 * forward at once), in ms since midnight; the links take 3 ms plus 912 ns (90-byte frames at
 * 1 Gb/s, with the 24 bytes of Ethernet overhead) each. */
static void test_ipv4__timestamp_flags_through_two_routers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    opath p;
    opath_build(&p, sim);
    assert_int_equal(l3t_ser(90, GBPS), 912);
    /* Flag 0, eight slots, sent 7 ms before midnight of day 2: r1 stamps it at 86 399 996
     * ms (3.000912 ms later), r2 at 86 399 999, h2 at 2 ms past midnight (the time wraps),
     * as it arrives and as the reply leaves, then r2 at 5 and r1 at 8. */
    const viv_time_t day = VIV_S(86400);
    opath_warm(&p, sim, 2 * day - VIV_MS(7));
    uint8_t ts0[36] = {68, 36, 5, 0x00};
    opath_echo(&p, 2, ts0, 36);
    assert_int_equal(viv_sim_run(sim), 0);
    const uint32_t t0[6] = {86399996, 86399999, 2, 2, 5, 8};
    const uint8_t *ip = iph(dev_ip(&p.dev, 0));
    assert_int_equal(ip[0], 0x40 + (20 + 36) / 4);
    assert_int_equal(l3t_cksum(ip, 56), 0);
    assert_int_equal(ip[22], 5 + 4 * 6);
    assert_int_equal(ip[23], 0x00);
    for (int j = 0; j < 8; j++)
        assert_int_equal(l3t_rd32(ip + 24 + 4 * j), j < 6 ? t0[j] : 0);
    /* What r2 forwarded toward h2: two stamps so far. */
    const uint8_t *fwd = iph(l3t_cap_ip(&p.cap[2], 1, 0));
    assert_int_equal(fwd[22], 13);
    assert_int_equal(l3t_rd32(fwd + 28), 86399999);

    /* Flag 1, four address and time pairs: r1, r2, h2 twice fill it; r2 and r1 on the way
     * back find it full and count themselves in the overflow field (h2's reply, a datagram
     * it sends, does not count it). Sent at 1 s past midnight. */
    opath_warm(&p, sim, 2 * day + VIV_S(1));
    uint8_t ts1[36] = {68, 36, 5, 0x01};
    opath_echo(&p, 3, ts1, 36);
    assert_int_equal(viv_sim_run(sim), 0);
    const viv_ip4_t a1[4] = {VIV_IP4(10, 0, 1, 1), VIV_IP4(10, 0, 2, 1), H2_IP, H2_IP};
    const uint32_t t1[4] = {1003, 1006, 1009, 1009};
    ip = iph(dev_ip(&p.dev, 0));
    assert_int_equal(l3t_cksum(ip, 56), 0);
    assert_int_equal(ip[22], 37);   /* full */
    assert_int_equal(ip[23], 0x21); /* overflow 2, flag 1 */
    for (int j = 0; j < 4; j++) {
        assert_int_equal(l3t_rd32(ip + 24 + 8 * j), a1[j]);
        assert_int_equal(l3t_rd32(ip + 28 + 8 * j), t1[j]);
    }
    assert_int_equal(iph(l3t_cap_ip(&p.cap[1], 1, 1))[23], 0x11); /* r2 counted itself */

    /* Flag 3: the next prespecified address registers, whichever of its addresses it is
     * (RFC 1812 5.3.13.6): r2 by 10.0.2.1, h2 as the request arrives, r1 by 10.0.0.1 on the
     * way back; h2's reply leaving and r2 on the way back do not match 10.0.0.1, and
     * 10.9.9.9 is nobody's. */
    opath_warm(&p, sim, 2 * day + VIV_S(2));
    uint8_t ts3[36] = {68, 36, 5, 0x03, 10, 0, 2, 1, 0, 0, 0, 0, 10, 0, 2, 2, 0, 0, 0, 0,
                       10, 0, 0, 1, 0, 0, 0, 0, 10, 9, 9, 9};
    opath_echo(&p, 4, ts3, 36);
    assert_int_equal(viv_sim_run(sim), 0);
    ip = iph(dev_ip(&p.dev, 0));
    assert_int_equal(l3t_cksum(ip, 56), 0);
    assert_int_equal(ip[22], 29);
    assert_int_equal(ip[23], 0x03);
    const uint32_t t3[4] = {2006, 2009, 2015, 0};
    for (int j = 0; j < 4; j++) {
        assert_memory_equal(ip + 24 + 8 * j, ts3 + 4 + 8 * j, 4); /* addresses unchanged */
        assert_int_equal(l3t_rd32(ip + 28 + 8 * j), t3[j]);
    }
    assert_int_equal(l3t_cap_ip(&p.cap[1], 1, 0)->b[14 + 22], 5); /* r1 on the way out: no */
    opath_fini(&p);
}

/* A Record Route with one slot: r1 fills it, and everyone after finds it full and passes
 * the packet on unchanged (RFC 791: no error); one with no slot at all goes through as it
 * is. Neither is answered with an error. */
static void test_ipv4__record_route_without_room(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    opath p;
    opath_build(&p, sim);
    opath_warm(&p, sim, VIV_S(1));
    const uint8_t one[8] = {7, 7, 4, 0, 0, 0, 0, 0}, none[4] = {7, 3, 4, 0};
    opath_echo(&p, 2, one, 8);
    opath_echo(&p, 3, none, 4);
    assert_int_equal(viv_sim_run(sim), 0);
    const uint8_t *ip = iph(dev_ip(&p.dev, 0));
    const uint8_t want1[8] = {7, 7, 8, 10, 0, 1, 1, 0};
    assert_int_equal(ip[0], 0x47);
    assert_memory_equal(ip + 20, want1, 8);
    assert_int_equal(l3t_cksum(ip, 28), 0);
    ip = iph(dev_ip(&p.dev, 1));
    assert_int_equal(ip[0], 0x46);
    assert_memory_equal(ip + 20, none, 4);
    assert_int_equal(l3t_cksum(ip, 24), 0);
    assert_null(dev_ip(&p.dev, 2));
    viv_host_t *all[3] = {p.r1, p.r2, p.h2};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(l3t_stats(all[i]).icmp_errors_tx, 0);
        assert_int_equal(l3t_stats(all[i]).drop_malformed, 0);
    }
    assert_int_equal(l3t_stats(p.r1).ip_forwarded, 2 * 3); /* warm-up and both, both ways */
    opath_fini(&p);
}

/* Malformed option lists, one for each error path: counted as malformed, dropped, and
 * answered with Parameter Problem (code 0) whose pointer is the byte at fault (RFC 1812
 * 4.3.3.5; the pointers are Linux's) and whose quote is the packet as it arrived. */
static const struct {
    const char *what;
    uint8_t opts[12];
    size_t n;
    uint8_t pp;
} bad_opts[] = {
    {"type byte last, no length", {1, 1, 1, 7}, 4, 23},
    {"length 0", {0x94, 0, 0, 0}, 4, 20},
    {"length 1", {1, 0x94, 1, 0}, 4, 21},
    {"length past the header", {1, 0x94, 4, 0}, 4, 21},
    {"second RR", {7, 3, 4, 7, 3, 4, 0, 0}, 8, 23},
    {"RR length 2", {7, 2, 0, 0}, 4, 21},
    {"RR pointer 3", {7, 7, 3, 0, 0, 0, 0, 0}, 8, 22},
    {"RR room for 3 bytes", {7, 6, 4, 0, 0, 0, 0, 0}, 8, 22},
    {"second TS", {68, 4, 5, 0, 68, 4, 5, 0}, 8, 24},
    {"TS length 3", {68, 3, 5, 0}, 4, 21},
    {"TS pointer 4", {68, 8, 4, 0, 0, 0, 0, 0}, 8, 22},
    {"TS flag 1, room for 4 bytes", {68, 8, 5, 1, 0, 0, 0, 0}, 8, 22},
    {"TS full, overflow 15", {68, 8, 9, 0xf1, 0, 0, 0, 0}, 8, 23},
};

static void test_ipv4__malformed_options_get_parameter_problem(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim, 0);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 7), h = VIV_IP4(10, 0, 0, 1);
    const size_t nbad = VIV__ARRAY_LEN_T(bad_opts);
    uint8_t echo[16];
    l3t_icmp(echo, 8, 0, 0x00090001, NULL, 8);
    /* A good echo first: h learns the device's MAC (its errors would wait for ARP, three at
     * most). */
    bench_send(&b, &b.hm, me, h, 1, 64, 0, echo, 16);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_non_null(bench_ip(&b, 0));
    b.dev.n = 0;
    uint8_t sent[VIV__ARRAY_LEN_T(bad_opts)][64];
    for (size_t k = 0; k < nbad; k++) {
        uint8_t f[128] = {0};
        l3t_eth(f, &b.hm, &b.dev.mac, 0x0800);
        size_t hl = ipo_hdr(f + 14, me, h, 1, 64, bad_opts[k].opts, bad_opts[k].n, 16);
        memcpy(f + 14 + hl, echo, 16);
        memcpy(sent[k], f + 14, hl + 16);
        l3t_dev_send(&b.dev, f, 14 + hl + 16 < 60 ? 60 : 14 + hl + 16);
    }
    /* No error about a broadcast, nor about an ICMP error, whatever their options. */
    viv_mac_t bc = l3t_bcast_mac();
    uint8_t f[128] = {0};
    l3t_eth(f, &bc, &b.dev.mac, 0x0800);
    size_t hl = ipo_hdr(f + 14, me, VIV_IP4(10, 0, 0, 255), 1, 64, bad_opts[0].opts, 4, 16);
    memcpy(f + 14 + hl, echo, 16);
    l3t_dev_send(&b.dev, f, 60);
    uint8_t err[36], quote[28];
    l3t_ip(quote, h, me, 17, 64, 8, 0);
    memset(quote + 20, 0, 8);
    l3t_icmp(err, 3, 3, 0, quote, 28);
    l3t_eth(f, &b.hm, &b.dev.mac, 0x0800);
    hl = ipo_hdr(f + 14, me, h, 1, 64, bad_opts[1].opts, 4, 36);
    memcpy(f + 14 + hl, err, 36);
    l3t_dev_send(&b.dev, f, 14 + hl + 36);
    assert_int_equal(viv_sim_run(sim), 0);

    for (size_t k = 0; k < nbad; k++) {
        const l3t_frame *e = bench_ip(&b, k);
        assert_non_null(e);
        const uint8_t *ip = iph(e);
        size_t qlen = 20 + bad_opts[k].n + 16;
        assert_int_equal(ip[0], 0x45); /* the error carries no options */
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + qlen);
        assert_int_equal(l3t_rd32(ip + 12), h);
        assert_int_equal(l3t_rd32(ip + 16), me);
        const uint8_t *icmp = ip + 20;
        if (icmp[0] != 12 || icmp[1] != 0 || icmp[4] != bad_opts[k].pp)
            fail_msg("%s: type %u code %u pointer %u, want 12 0 %u", bad_opts[k].what, icmp[0],
                     icmp[1], icmp[4], bad_opts[k].pp);
        assert_int_equal(l3t_rd16(icmp + 6), 0);
        assert_int_equal(icmp[5], 0);
        assert_int_equal(l3t_cksum(icmp, 8 + qlen), 0);
        assert_memory_equal(icmp + 8, sent[k], qlen);
    }
    assert_null(bench_ip(&b, nbad));
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.drop_malformed, nbad + 2);
    assert_int_equal(st.icmp_errors_tx, nbad);
    assert_int_equal(st.ip_delivered, 1); /* the good echo only */
    assert_int_equal(st.icmp_rx, 1);
    l3t_dev_fini(&b.dev);
}

/* A router checks options as a packet arrives, before its TTL: a malformed list with TTL 1
 * gets Parameter Problem, not time exceeded; one it cannot even start to record into is
 * not forwarded. A good list with TTL 1 gets time exceeded quoting it unrecorded. */
static void test_ipv4__malformed_options_at_a_router(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim, 1);
    viv_host_t *far = l3t_host(sim, "far", 1);
    l3t_addr(far, 0, "10.0.2.9/24");
    l3t_link(sim, viv_host_port(b.h, 1), viv_host_port(far, 0), NULL);
    const viv_ip4_t me = VIV_IP4(10, 0, 0, 7), dst = VIV_IP4(10, 0, 2, 9);
    uint8_t echo[16];
    l3t_icmp(echo, 8, 0, 0x00090001, NULL, 8);
    const uint8_t bad[8] = {7, 7, 5, 0, 0, 0, 0, 0}, good[8] = {7, 7, 4, 0, 0, 0, 0, 0};
    const uint8_t *opts[3] = {bad, bad, good};
    const uint8_t ttl[3] = {1, 64, 1};
    uint8_t sent[3][44];
    for (int k = 0; k < 3; k++) {
        uint8_t f[128] = {0};
        l3t_eth(f, &b.hm, &b.dev.mac, 0x0800);
        size_t hl = ipo_hdr(f + 14, me, dst, 1, ttl[k], opts[k], 8, 16);
        memcpy(f + 14 + hl, echo, 16);
        memcpy(sent[k], f + 14, 44);
        l3t_dev_send(&b.dev, f, 60);
    }
    assert_int_equal(viv_sim_run(sim), 0);
    for (int k = 0; k < 3; k++) {
        const uint8_t *ip = iph(bench_ip(&b, (size_t)k));
        assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 0, 1));
        assert_int_equal(ip[20], k < 2 ? 12 : 11);
        assert_int_equal(ip[24], k < 2 ? 22 : 0);
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + 44);
        assert_memory_equal(ip + 28, sent[k], 44);
    }
    assert_null(bench_ip(&b, 3));
    viv_ip_stats_t st = l3t_stats(b.h);
    assert_int_equal(st.drop_malformed, 2);
    assert_int_equal(st.drop_ttl, 1);
    assert_int_equal(st.ip_forwarded, 0);
    assert_int_equal(l3t_stats(far).ip_rx, 0);
    l3t_dev_fini(&b.dev);
}

/* The header a host originates without options, field by field (ip_send_hdr builds it in
 * registers and sums its checksum from the fields): version and IHL, the type-of-service
 * byte, the total length, one identification per datagram, DF or not, the TTL, the
 * protocol, the addresses, and a checksum that verifies, for TOS and TTL values at their
 * extremes and DF both ways. */
static void test_ipv4__originated_header_fields(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    chain c;
    chain_build(&c, sim, 1); /* h1 - r1 - h2: the first link is captured */
    viv_udp_t *s = NULL;
    assert_int_equal(viv_udp_new(&s, c.h1, NULL, NULL, NULL), 0);
    static const struct {
        int tos, ttl, df;
        size_t len;
    } cases[] = {{0, 64, 0, 10}, {0xff, 255, 1, 1}, {0xb8, 2, 0, 1472}, {0x03, 128, 1, 0},
                 {0xfc, 3, 1, 333}};
    static uint8_t payload[1472];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7u + 1u);
    viv_sockaddr_t to = {VIV_IP4(10, 0, 1, 2), 9};
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(cases); i++) {
        assert_int_equal(viv_udp_set_tos(s, cases[i].tos), 0);
        assert_int_equal(viv_udp_set_ttl(s, cases[i].ttl), 0);
        assert_int_equal(viv_udp_set_dont_fragment(s, cases[i].df), 0);
        assert_int_equal(viv_udp_sendto(s, payload, cases[i].len, &to), (int)cases[i].len);
        assert_int_equal(viv_sim_run(sim), 0);
    }
    uint16_t ident0 = 0;
    for (size_t i = 0; i < VIV__ARRAY_LEN_T(cases); i++) {
        const l3t_frame *f = l3t_cap_ip(&c.cap[0], 17, i);
        assert_non_null(f);
        assert_int_equal(f->dir, VIV_LINK_AB);
        const uint8_t *ip = iph(f);
        assert_int_equal(ip[0], 0x45);
        assert_int_equal(ip[1], cases[i].tos);
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + cases[i].len);
        if (i == 0)
            ident0 = l3t_rd16(ip + 4);
        assert_int_equal(l3t_rd16(ip + 4), (uint16_t)(ident0 + i)); /* one per datagram */
        assert_int_equal(l3t_rd16(ip + 6), cases[i].df ? 0x4000 : 0);
        assert_int_equal(ip[8], cases[i].ttl);
        assert_int_equal(ip[9], 17);
        assert_int_equal(l3t_cksum(ip, 20), 0);
        assert_int_equal(l3t_rd32(ip + 12), VIV_IP4(10, 0, 0, 1));
        assert_int_equal(l3t_rd32(ip + 16), VIV_IP4(10, 0, 1, 2));
    }
    viv_udp_free(s);
    chain_fini(&c);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_ipv4__forwarding_hop_by_hop),
        T(test_ipv4__time_exceeded_contents),
        T(test_ipv4__ttl_one_to_the_router_itself),
        T(test_ipv4__net_unreachable),
        T(test_ipv4__port_and_protocol_unreachable),
        T(test_ipv4__restraint),
        T(test_ipv4__source_by_outgoing_interface),
        T(test_ipv4__routing_loop_ends_by_ttl),
        T(test_ipv4__too_big),
        T(test_ipv4__malformed_headers),
        T(test_ipv4__limited_broadcast_is_not_sent_to_the_gateway),
        T(test_ipv4__record_route_through_two_routers),
        T(test_ipv4__timestamp_flags_through_two_routers),
        T(test_ipv4__record_route_without_room),
        T(test_ipv4__malformed_options_get_parameter_problem),
        T(test_ipv4__malformed_options_at_a_router),
        T(test_ipv4__originated_header_fields),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
