/* Captures attached to ports and links of a running simulation, decoded by tshark: what the
 * library writes must be what Wireshark reads, with no malformed packet and good checksums. */
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKS                                                                             \
    "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE "

typedef struct world {
    viv_sim_t *sim;
    viv_host_t *a, *b, *r;
    viv_switch_t *sw;
    viv_link_t *ra_link, *rb_link;
    viv_udp_t *srv, *cli, *stray;
} world;

static void srv_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    (void)user;
    uint8_t buf[512];
    viv_sockaddr_t from;
    int n;
    if (ev & VIV_EV_READABLE)
        while ((n = viv_udp_recvfrom(s, buf, sizeof buf, &from, NULL)) >= 0)
            viv_udp_sendto(s, buf, (size_t)n, &from);
}

static void build(world *w, viv_sim_t *sim)
{
    w->sim = sim;
    assert_int_equal(viv_host_new(&w->a, sim, NULL), 0);
    assert_int_equal(viv_host_new(&w->b, sim, NULL), 0);
    assert_int_equal(viv_router_new(&w->r, sim, 2, NULL), 0);
    assert_int_equal(viv_switch_new(&w->sw, sim, 4, NULL), 0);
    assert_int_equal(viv_host_add_iface(w->a, NULL), 0);
    assert_int_equal(viv_host_add_iface(w->b, NULL), 0);
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 100000000;
    p.delay_ns = VIV_US(50);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(w->a, 0), viv_switch_port(w->sw, 0), &p),
                     0);
    assert_int_equal(viv_link_new(&w->ra_link, sim, viv_host_port(w->r, 0),
                                  viv_switch_port(w->sw, 1), &p),
                     0);
    assert_int_equal(viv_link_new(&w->rb_link, sim, viv_host_port(w->r, 1), viv_host_port(w->b, 0),
                                  &p),
                     0);
    assert_int_equal(viv_host_add_addr(w->a, 0, VIV_IP4(10, 0, 1, 2), 24), 0);
    assert_int_equal(viv_host_add_addr(w->r, 0, VIV_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(w->r, 1, VIV_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(w->b, 0, VIV_IP4(10, 0, 2, 2), 24), 0);
    assert_int_equal(viv_host_set_gateway(w->a, VIV_IP4(10, 0, 1, 1)), 0);
    assert_int_equal(viv_host_set_gateway(w->b, VIV_IP4(10, 0, 2, 1)), 0);
    assert_int_equal(viv_udp_new(&w->srv, w->b, NULL, srv_cb, NULL), 0);
    viv_sockaddr_t any53 = {VIV_IP4_ANY, 7777};
    assert_int_equal(viv_udp_bind(w->srv, &any53), 0);
    assert_int_equal(viv_udp_new(&w->cli, w->a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&w->stray, w->a, NULL, NULL, NULL), 0);
}

/* Traffic: two pings, a UDP query and its answer, a datagram to a closed port. */
static void traffic(world *w)
{
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 2;
    po.interval_ns = VIV_MS(10);
    assert_int_equal(viv_ping_start(NULL, w->a, VIV_IP4(10, 0, 2, 2), &po, NULL, NULL), 0);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_MS(50)), 0);
    viv_sockaddr_t dns = {VIV_IP4(10, 0, 2, 2), 7777}, closed = {VIV_IP4(10, 0, 2, 2), 9999};
    assert_int_equal(viv_udp_sendto(w->cli, "query", 5, &dns), 5);
    assert_int_equal(viv_udp_sendto(w->stray, "nobody", 6, &closed), 6);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_MS(50)), 0);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", VIV_TEST_TMPDIR, name);
}

static void test_capture__port_and_link_captures_decode_cleanly(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    world w;
    build(&w, sim);
    char pa[512], pl[512];
    path_of(pa, sizeof pa, "capture_port_a.pcap");
    path_of(pl, sizeof pl, "capture_link_rb.pcap");
    viv_pcap_t *ca, *cl;
    assert_int_equal(viv_pcap_open(&ca, sim, pa, NULL), 0);
    assert_int_equal(viv_pcap_open(&cl, sim, pl, NULL), 0);
    assert_int_equal(viv_pcap_attach_port(ca, viv_host_port(w.a, 0)), 0);
    assert_int_equal(viv_pcap_attach_port(ca, viv_host_port(w.a, 0)), VIV_EEXIST);
    assert_int_equal(viv_pcap_attach_link(cl, w.rb_link, VIV_LINK_BOTH), 0);
    traffic(&w);

    /* The port capture holds exactly what the port sent and received. */
    viv_port_stats_t ps;
    assert_int_equal(viv_port_stats(&ps, viv_host_port(w.a, 0)), 0);
    assert_int_equal(viv_pcap_frames(ca), ps.tx_frames + ps.rx_frames);
    viv_link_stats_t ab, ba;
    viv_link_stats(&ab, w.rb_link, VIV_LINK_AB);
    viv_link_stats(&ba, w.rb_link, VIV_LINK_BA);
    assert_int_equal(viv_pcap_frames(cl), ab.tx_frames + ba.tx_frames);
    assert_int_equal(viv_pcap_flush(ca), 0);
    assert_int_equal(viv_pcap_flush(cl), 0);

    const char *out = viv_test_tshark(pa, CHECKS "-T fields -e frame.number");
    if (!out)
        skip();
    assert_int_equal(count_lines(out), viv_pcap_frames(ca));

    /* What host a saw, in order: ARP for its gateway, two echoes and their replies, the
     * query and its answer, the stray datagram and the port unreachable quoting it. */
    out = viv_test_tshark(pa, CHECKS "-T fields -E separator=, -e _ws.col.Protocol "
                                     "-e ip.src -e ip.dst -e icmp.type -e icmp.code "
                                     "-e udp.dstport");
    assert_string_equal(out, "ARP,,,,,\n"
                             "ARP,,,,,\n"
                             "ICMP,10.0.1.2,10.0.2.2,8,0,\n"
                             "ICMP,10.0.2.2,10.0.1.2,0,0,\n"
                             "ICMP,10.0.1.2,10.0.2.2,8,0,\n"
                             "ICMP,10.0.2.2,10.0.1.2,0,0,\n"
                             "UDP,10.0.1.2,10.0.2.2,,,7777\n"
                             "UDP,10.0.1.2,10.0.2.2,,,9999\n"
                             "UDP,10.0.2.2,10.0.1.2,,,57883\n" /* the client's port */
                             /* the error's outer and quoted addresses */
                             "ICMP,10.0.2.2,10.0.1.2,10.0.1.2,10.0.2.2,3,3,9999\n");

    /* Every checksum good, inner quoted headers included; nothing malformed anywhere. */
    for (int k = 0; k < 2; k++) {
        const char *p = k ? pl : pa;
        out = viv_test_tshark(p, CHECKS "-Y \"_ws.malformed || _ws.expert.severity >= "
                                        "0x00600000 || ip.checksum.status == 0 || "
                                        "icmp.checksum.status == 0 || "
                                        "udp.checksum.status == 0\"");
        assert_string_equal(out, "");
    }
    /* On the router-b link the TTL is one lower than a sent. */
    out = viv_test_tshark(pl, CHECKS "-Y \"icmp.type == 8\" -T fields -e ip.ttl");
    assert_string_equal(out, "63\n63\n");

    /* Closing a capture detaches it: traffic goes on, the file stops growing. */
    viv_pcap_close(ca);
    traffic(&w);
    viv_pcap_close(cl);
}

static void run_once(const char *name, uint8_t **bytes, size_t *len)
{
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 7);
    world w;
    build(&w, sim);
    char p[512];
    path_of(p, sizeof p, name);
    viv_pcap_t *c;
    assert_int_equal(viv_pcap_open(&c, sim, p, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(c, w.ra_link, VIV_LINK_BOTH), 0);
    traffic(&w);
    viv_test_sim_free(sim, &a); /* closes the capture */
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    *bytes = malloc(1 << 20);
    *len = fread(*bytes, 1, 1 << 20, f);
    fclose(f);
}

static void test_capture__same_seed_same_bytes(void **state)
{
    (void)state;
    uint8_t *x, *y;
    size_t nx, ny;
    run_once("capture_det1.pcap", &x, &nx);
    run_once("capture_det2.pcap", &y, &ny);
    assert_true(nx > 24);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capture__port_and_link_captures_decode_cleanly,
                                        viv_test_sim_setup, viv_test_sim_teardown),
        cmocka_unit_test(test_capture__same_seed_same_bytes),
    };
    return cmocka_run_group_tests_name("trace/capture", tests, NULL, NULL);
}
