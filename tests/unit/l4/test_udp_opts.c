/* UDP per-send settings: TTL, type of service and Don't Fragment set at creation or changed
 * later (applying to later sends only, datagrams waiting for ARP included), checked on the
 * wire byte by byte and decoded by tshark (when installed); their validation; and the path
 * MTU a connected socket with Don't Fragment learns from ICMP fragmentation needed, from a
 * real router and from crafted errors (the rules: lower only, 68 at least, 0 ignored,
 * connected sockets only, forgotten on connect, DF off and after 10 minutes). */
#include "l4_test.h"

#include "../l3/l3_test.h" /* captures, devices and frame builders */

#include <stdio.h>

#define UDP_FRAMES_MAX 16

/* The UDP frames of a capture, in order (k from 0), or NULL. */
static const l3t_frame *cap_udp(const l3t_cap *c, size_t k)
{
    return l3t_cap_ip(c, 17, k);
}

/* ---- TTL, TOS and DF on the wire ------------------------------------------------------ */

static void test_udp_opts__settings_apply_to_later_sends_on_the_wire(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, p.link);
    char path[512];
    snprintf(path, sizeof path, "%s/udp_opts_settings.pcap", VIV_TEST_TMPDIR);
    viv_pcap_t *pcap;
    assert_int_equal(viv_pcap_open(&pcap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(pcap, p.link, VIV_LINK_BOTH), 0);

    l4t_rec rec;
    l4t_rec_init(&rec, sim);
    viv_udp_t *rx, *tx, *tx2;
    assert_int_equal(viv_udp_new(&rx, p.b, NULL, l4t_cb, &rec), 0);
    viv_sockaddr_t any9 = l4t_sa(VIV_IP4_ANY, 9), dst = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_bind(rx, &any9), 0);
    assert_int_equal(viv_udp_new(&tx, p.a, NULL, NULL, NULL), 0);
    /* The defaults: the host's TTL, TOS 0, DF off. */
    assert_int_equal(viv_udp_ttl(tx), 64);
    assert_int_equal(viv_udp_tos(tx), 0);
    assert_int_equal(viv_udp_dont_fragment(tx), 0);

    /* "one" waits for ARP while the settings change: it leaves with the old ones. */
    assert_int_equal(viv_udp_sendto(tx, "one", 3, &dst), 3);
    assert_int_equal(viv_udp_set_ttl(tx, 7), 0);
    assert_int_equal(viv_udp_set_tos(tx, 0xb9), 0); /* DSCP 46 (EF), ECN 1 (ECT(1)) */
    assert_int_equal(viv_udp_set_dont_fragment(tx, 1), 0);
    assert_int_equal(viv_udp_ttl(tx), 7);
    assert_int_equal(viv_udp_tos(tx), 0xb9);
    assert_int_equal(viv_udp_dont_fragment(tx), 1);
    assert_int_equal(viv_udp_sendto(tx, "two", 3, &dst), 3);
    /* TTL 0 goes back to the host's default; then the extremes. */
    assert_int_equal(viv_udp_set_ttl(tx, 0), 0);
    assert_int_equal(viv_udp_ttl(tx), 64);
    assert_int_equal(viv_udp_set_ttl(tx, 255), 0);
    assert_int_equal(viv_udp_set_tos(tx, 0), 0);
    assert_int_equal(viv_udp_set_dont_fragment(tx, 0), 0);
    assert_int_equal(viv_udp_sendto(tx, "three", 5, &dst), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    /* The same settings given at creation. */
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.ttl = 9;
    o.tos = 0x10;
    o.dont_fragment = 1;
    assert_int_equal(viv_udp_new(&tx2, p.a, &o, NULL, NULL), 0);
    assert_int_equal(viv_udp_ttl(tx2), 9);
    assert_int_equal(viv_udp_tos(tx2), 0x10);
    assert_int_equal(viv_udp_dont_fragment(tx2), 1);
    assert_int_equal(viv_udp_sendto(tx2, "four", 4, &dst), 4);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);

    static const struct {
        const char *data;
        uint8_t ttl, tos;
        uint16_t frag; /* flags and fragment offset */
    } want[] = {
        {"one", 64, 0x00, 0x0000},
        {"two", 7, 0xb9, 0x4000},
        {"three", 255, 0x00, 0x0000},
        {"four", 9, 0x10, 0x4000},
    };
    for (size_t k = 0; k < 4; k++) {
        const l3t_frame *f = cap_udp(&cap, k);
        assert_non_null(f);
        const uint8_t *ip = f->b + L3T_ETH;
        size_t n = strlen(want[k].data);
        assert_int_equal(f->dir, VIV_LINK_AB);
        assert_int_equal(ip[0], 0x45);
        assert_int_equal(ip[1], want[k].tos);
        assert_int_equal(l3t_rd16(ip + 2), 20 + 8 + n);
        assert_int_equal(l3t_rd16(ip + 6), want[k].frag);
        assert_int_equal(ip[8], want[k].ttl);
        assert_int_equal(l3t_cksum(ip, 20), 0);
        assert_memory_equal(ip + 28, want[k].data, n);
        assert_int_equal(rec.rx[k].len, (int)n);
        assert_memory_equal(rec.rx[k].bytes, want[k].data, n);
    }
    assert_null(cap_udp(&cap, 4));
    assert_int_equal(rec.nrx, 4);
    l3t_cap_fini(&cap);

    viv_pcap_close(pcap);
    const char *out = viv_test_tshark(path, "-o ip.check_checksum:TRUE -Y udp -T fields "
                                            "-E separator=, -e ip.ttl -e ip.dsfield.dscp "
                                            "-e ip.dsfield.ecn -e ip.flags.df "
                                            "-e ip.checksum.status");
    if (!out)
        skip();
    /* TTL, DSCP, ECN, DF, and the header checksum verified good (1). */
    assert_string_equal(out, "64,0,0,0,1\n"
                             "7,46,1,1,1\n"
                             "255,0,0,0,1\n"
                             "9,4,0,1,1\n");
}

/* ---- validation ------------------------------------------------------------------------ */

static void test_udp_opts__setters_refuse_bad_values(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    l4t_pair p;
    l4t_pair_build(&p, sim);
    viv_udp_t *s;
    assert_int_equal(viv_udp_new(&s, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_set_ttl(s, 12), 0);
    assert_int_equal(viv_udp_set_tos(s, 0x20), 0);

    /* Out of range: refused with a message naming the value; nothing changes. */
    assert_int_equal(viv_udp_set_ttl(s, 256), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_set_ttl: TTL 256 is outside 0 .. 255"));
    assert_int_equal(viv_udp_set_ttl(s, -1), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "TTL -1"));
    assert_int_equal(viv_udp_ttl(s), 12);
    assert_int_equal(viv_udp_set_tos(s, 256), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_set_tos: type of service 256"));
    assert_int_equal(viv_udp_set_tos(s, -3), VIV_EINVAL);
    assert_int_equal(viv_udp_tos(s), 0x20);
    assert_int_equal(viv_udp_set_dont_fragment(s, 2), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "2 is neither 0 (off) nor 1 (on)"));
    assert_int_equal(viv_udp_set_dont_fragment(s, -1), VIV_EINVAL);
    assert_int_equal(viv_udp_dont_fragment(s), 0);

    /* At creation too: out is left alone. */
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.dont_fragment = 2;
    viv_udp_t *bad = NULL;
    assert_int_equal(viv_udp_new(&bad, p.a, &o, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "dont_fragment must be 0 or 1"));
    assert_null(bad);

    /* NULL handles. */
    assert_int_equal(viv_udp_set_ttl(NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_udp_ttl(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_set_tos(NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_udp_tos(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_set_dont_fragment(NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_udp_dont_fragment(NULL), VIV_EINVAL);
    assert_int_equal(viv_udp_path_mtu(NULL), VIV_EINVAL);

    /* The path MTU is a connected socket's. */
    assert_int_equal(viv_udp_path_mtu(s), VIV_ENOTCONN);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_path_mtu: socket is not connected"));
    viv_sockaddr_t peer = l4t_sa(L4T_B, 9), me = l4t_sa(L4T_A, 9);
    assert_int_equal(viv_udp_connect(s, &peer), 0);
    assert_int_equal(viv_udp_path_mtu(s), 1500);
    assert_int_equal(viv_udp_connect(s, &me), 0);
    assert_int_equal(viv_udp_path_mtu(s), 65535); /* the host itself */
    /* A peer whose route went away. */
    viv_udp_t *far;
    viv_sockaddr_t fa = l4t_sa(VIV_IP4(10, 9, 9, 9), 9);
    assert_int_equal(viv_host_set_gateway(p.a, L4T_B), 0);
    assert_int_equal(viv_udp_new(&far, p.a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_connect(far, &fa), 0);
    assert_int_equal(viv_udp_path_mtu(far), 1500);
    assert_int_equal(viv_host_route_del(p.a, VIV_IP4_ANY, 0), 1);
    assert_int_equal(viv_udp_path_mtu(far), VIV_ENETUNREACH);
    assert_non_null(strstr(viv_sim_errmsg(sim), "no route to the peer"));
}

/* ---- path MTU from a router ------------------------------------------------------------ */

/* a (10.0.1.2) -- r -- b (10.0.2.2), the link r-b with MTU 576; 10 us links. */
typedef struct narrow {
    viv_host_t *a, *r, *b;
    viv_link_t *ar;
} narrow;

static void narrow_build(narrow *n, viv_sim_t *sim)
{
    n->a = l4t_host(sim, "a", VIV_IP4(10, 0, 1, 2), 24);
    n->b = l4t_host(sim, "b", 0, 0);
    viv_iface_opts small = VIV_IFACE_OPTS_INIT;
    small.mtu = 576;
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "r";
    assert_int_equal(viv_router_new(&n->r, sim, 1, &ro), 0);
    assert_int_equal(viv_host_add_iface(n->r, &small), 1);
    assert_int_equal(viv_host_add_iface(n->b, &small), 1);
    assert_int_equal(viv_host_add_addr(n->r, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(n->r, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(n->b, 1, VIV_IP4(10, 0, 2, 2), 24), 0);
    n->ar = l4t_link(sim, viv_host_port(n->a, 0), viv_host_port(n->r, 0), VIV_US(10));
    l4t_link(sim, viv_host_port(n->r, 1), viv_host_port(n->b, 1), VIV_US(10));
    assert_int_equal(viv_host_set_gateway(n->a, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(n->b, VIV_IP4(10, 0, 2, 1)), 0);
}

static uint64_t tx_frames(viv_host_t *h)
{
    viv_port_stats_t ps;
    assert_int_equal(viv_port_stats(&ps, viv_host_port(h, 0)), 0);
    return ps.tx_frames;
}

static void test_udp_opts__df_learns_the_path_mtu_from_a_router(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    narrow n;
    narrow_build(&n, sim);
    l3t_cap cap;
    l3t_cap_start(&cap, sim, n.ar);
    l4t_rec brec, crec;
    l4t_rec_init(&brec, sim);
    l4t_rec_init(&crec, sim);
    brec.drain = 0;
    crec.read_error = 1;
    viv_udp_t *bs, *c;
    assert_int_equal(viv_udp_new(&bs, n.b, NULL, l4t_cb, &brec), 0);
    viv_sockaddr_t any9 = l4t_sa(VIV_IP4_ANY, 9), peer = l4t_sa(VIV_IP4(10, 0, 2, 2), 9);
    assert_int_equal(viv_udp_bind(bs, &any9), 0);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.dont_fragment = 1;
    assert_int_equal(viv_udp_new(&c, n.a, &o, l4t_cb, &crec), 0);
    assert_int_equal(viv_udp_connect(c, &peer), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    static uint8_t d[1472];

    /* 1000 bytes fit a's MTU, not the router's next hop: dropped there, answered with
     * fragmentation needed (MTU 576), stored as EMSGSIZE and learned as the path MTU. */
    assert_int_equal(viv_udp_send(c, d, 1000), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(crec.last_error, VIV_EMSGSIZE);
    assert_int_equal(viv_udp_path_mtu(c), 576);
    viv_ip_stats_t ips;
    assert_int_equal(viv_host_ip_stats(&ips, n.r), 0);
    assert_int_equal(ips.drop_too_big, 1);
    /* On the wire: the datagram with DF, and the error carrying the next hop's MTU. */
    const l3t_frame *u = cap_udp(&cap, 0);
    assert_non_null(u);
    assert_int_equal(l3t_rd16(u->b + L3T_ETH + 2), 1028);
    assert_int_equal(l3t_rd16(u->b + L3T_ETH + 6), 0x4000);
    const l3t_frame *e = l3t_cap_ip(&cap, 1, 0);
    assert_non_null(e);
    assert_int_equal(e->dir, VIV_LINK_BA);
    const uint8_t *icmp = e->b + L3T_ETH + 20;
    assert_int_equal(icmp[0], 3);
    assert_int_equal(icmp[1], 4);
    assert_int_equal(l3t_rd16(icmp + 4), 0);   /* unused */
    assert_int_equal(l3t_rd16(icmp + 6), 576); /* next-hop MTU (RFC 1191) */
    assert_int_equal(l3t_rd16(icmp + 8 + 6), 0x4000); /* the quote keeps DF */
    /* The error was read in the callback: at the time it arrived, the path MTU dates. */
    assert_int_equal(crec.calls, 2); /* WRITABLE, then ERROR */
    assert_int_equal(crec.events[1], VIV_EV_ERROR);
    viv_time_t learned = crec.times[1];

    /* Larger than 576 - 28: refused at once, nothing leaves. */
    uint64_t frames = tx_frames(n.a);
    assert_int_equal(viv_udp_send(c, d, 549), VIV_EMSGSIZE);
    assert_non_null(strstr(viv_sim_errmsg(sim), "549 bytes do not fit the path MTU of 576"));
    assert_int_equal(viv_udp_sendto(c, d, 549, &peer), VIV_EMSGSIZE); /* to the peer: same */
    assert_int_equal(viv_udp_send(c, d, 548), 548);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(tx_frames(n.a), frames + 1);
    assert_int_equal(viv_udp_peek_len(bs), 548); /* whole, and alone */
    viv_udp_stats_t bst;
    assert_int_equal(viv_udp_stats(&bst, bs), 0);
    assert_int_equal(bst.rx_datagrams, 1);
    assert_int_equal(viv_host_ip_stats(&ips, n.r), 0);
    assert_int_equal(ips.ip_forwarded, 1);
    assert_int_equal(ips.drop_too_big, 1);

    /* Ten minutes after it was learned, the route's MTU is tried again. */
    assert_int_equal(viv_sim_run_until(sim, learned + VIV_S(600) - 1), 0);
    assert_int_equal(viv_udp_path_mtu(c), 576);
    assert_int_equal(viv_sim_run_until(sim, learned + VIV_S(600)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    assert_int_equal(viv_udp_send(c, d, 1000), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 576); /* and learned again */

    /* DF off forgets it and learns nothing, though the error is still reported (the router
     * dropped the datagram: vivarium does not fragment, DF or not). */
    assert_int_equal(viv_udp_set_dont_fragment(c, 0), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    crec.last_error = 0;
    assert_int_equal(viv_udp_send(c, d, 1000), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(crec.last_error, VIV_EMSGSIZE);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    const l3t_frame *u2 = cap_udp(&cap, 3); /* 1000, 548, 1000, then this 1000 */
    assert_non_null(u2);
    assert_int_equal(l3t_rd16(u2->b + L3T_ETH + 6), 0x0000); /* no DF */
    assert_int_equal(viv_udp_set_dont_fragment(c, 1), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);

    /* Connecting again (even to the same peer) forgets it too. */
    assert_int_equal(viv_udp_send(c, d, 1000), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 576);
    assert_int_equal(viv_udp_connect(c, &peer), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    assert_int_equal(viv_udp_send(c, d, 1000), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 576);
    assert_int_equal(viv_udp_connect(c, NULL), 0);
    assert_int_equal(viv_udp_path_mtu(c), VIV_ENOTCONN);
    /* Unconnected, DF on: the sendto goes out (only the interface MTU limits it) and the
     * error is ignored, as unconnected sockets ignore ICMP errors. */
    crec.last_error = 0;
    uint32_t calls = crec.calls;
    assert_int_equal(viv_udp_sendto(c, d, 1000, &peer), 1000);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(crec.calls, calls);
    assert_int_equal(viv_udp_error(c), 0);
    assert_int_equal(viv_host_ip_stats(&ips, n.r), 0);
    assert_int_equal(ips.drop_too_big, 6);
    l3t_cap_fini(&cap);
}

/* ---- learning rules, with errors a device crafts ----------------------------------------- */

#define DEV_IP VIV_IP4(10, 0, 0, 7)

typedef struct bench {
    l3t_dev dev;
    viv_host_t *h;
    viv_mac_t hm;
} bench;

static void bench_build(bench *b, viv_sim_t *sim)
{
    l3t_dev_init(&b->dev, sim, 7, "dev");
    b->dev.answer_arp = DEV_IP;
    b->h = l4t_host(sim, "h", L4T_A, 24);
    l3t_link(sim, viv_device_port(b->dev.dev, 0), viv_host_port(b->h, 0), NULL);
    b->hm = l3t_host_mac(b->h, 0);
}

/* The k-th UDP frame the device received, or NULL. */
static const l3t_frame *bench_udp(const bench *b, size_t k)
{
    for (size_t i = 0; i < b->dev.n; i++)
        if (b->dev.f[i].info.ethertype == 0x0800 && b->dev.f[i].b[L3T_ETH + 9] == 17 &&
            k-- == 0)
            return &b->dev.f[i];
    return NULL;
}

/* The device answers the datagram in frame q with fragmentation needed announcing mtu,
 * quoting its IP header and first 8 bytes. */
static void bench_frag_needed(bench *b, const l3t_frame *q, uint16_t mtu)
{
    uint8_t f[128] = {0};
    l3t_eth(f, &b->hm, &b->dev.mac, 0x0800);
    l3t_ip(f + 14, DEV_IP, L4T_A, 1, 64, 8 + 28, 0);
    l3t_icmp(f + 34, 3, 4, mtu, q->b + L3T_ETH, 28);
    l3t_dev_send(&b->dev, f, 14 + 20 + 8 + 28);
}

static void test_udp_opts__path_mtu_learning_rules(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    bench b;
    bench_build(&b, sim);
    viv_udp_opts o = VIV_UDP_OPTS_INIT;
    o.dont_fragment = 1;
    viv_udp_t *c, *u;
    assert_int_equal(viv_udp_new(&c, b.h, &o, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&u, b.h, &o, NULL, NULL), 0);
    viv_sockaddr_t peer = l4t_sa(DEV_IP, 9);
    assert_int_equal(viv_udp_connect(c, &peer), 0);
    static uint8_t d[1472];
    assert_int_equal(viv_udp_send(c, d, 100), 100);
    assert_int_equal(viv_udp_sendto(u, d, 100, &peer), 100);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    const l3t_frame *qc = bench_udp(&b, 0), *qu = bench_udp(&b, 1);
    assert_non_null(qc);
    assert_non_null(qu);
    assert_int_equal(l3t_rd16(qc->b + L3T_ETH + 6), 0x4000);

    static const struct {
        uint16_t mtu;
        int path_mtu; /* what the socket knows after it */
    } steps[] = {
        {0, 1500},    /* no MTU (a router older than RFC 1191): reported, not learned */
        {67, 1500},   /* below the IPv4 minimum: bogus */
        {1500, 1500}, /* not lower than the route's */
        {1000, 1000}, /* learned */
        {1200, 1000}, /* higher: kept lower */
        {68, 68},     /* the minimum is taken */
    };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        bench_frag_needed(&b, qc, steps[k].mtu);
        assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
        assert_int_equal(viv_udp_error(c), VIV_EMSGSIZE); /* always reported */
        assert_int_equal(viv_udp_path_mtu(c), steps[k].path_mtu);
    }
    assert_int_equal(viv_udp_send(c, d, 41), VIV_EMSGSIZE);
    assert_int_equal(viv_udp_send(c, d, 40), 40);
    /* The same MTU again renews it for 10 minutes from then. */
    viv_time_t t1 = viv_sim_now(sim);
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(300)), 0);
    bench_frag_needed(&b, qc, 68);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_error(c), VIV_EMSGSIZE);
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(600)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 68);
    /* Renewed a few microseconds after t1 + 300 s (when the error arrived). */
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(900)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 68);
    assert_int_equal(viv_sim_run_until(sim, t1 + VIV_S(900) + VIV_MS(10)), 0);
    assert_int_equal(viv_udp_path_mtu(c), 1500);
    bench_frag_needed(&b, qc, 68);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_error(c), VIV_EMSGSIZE);
    assert_int_equal(viv_udp_path_mtu(c), 68);
    /* To another destination the learned MTU does not apply (it is the peer's path). */
    viv_sockaddr_t other = l4t_sa(L4T_B, 9);
    assert_int_equal(viv_udp_sendto(c, d, 1000, &other), 1000);

    /* The unconnected socket: the error about its datagram is ignored, nothing learned. */
    bench_frag_needed(&b, qu, 576);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(10)), 0);
    assert_int_equal(viv_udp_error(u), 0);
    assert_int_equal(viv_udp_sendto(u, d, 1000, &peer), 1000);
    assert_int_equal(viv_udp_error(c), 0); /* not c's */
    assert_int_equal(viv_udp_path_mtu(c), 68);
    l3t_dev_fini(&b.dev);
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_udp_opts__settings_apply_to_later_sends_on_the_wire),
        T(test_udp_opts__setters_refuse_bad_values),
        T(test_udp_opts__df_learns_the_path_mtu_from_a_router),
        T(test_udp_opts__path_mtu_learning_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
