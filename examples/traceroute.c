/* traceroute: three subnets, two routers, ping and traceroute, routing tables and ARP caches.
 *
 *   a1, a2 --hub-- r1 ============ r2 --switch-- c1, c2
 *   10.0.1.0/24       10.0.12.0/30      10.0.3.0/24
 *
 * The LAN cables run at 100 Mb/s with 50 us of propagation delay; the link between the
 * routers is a slow WAN line: 10 Mb/s and 2 ms. Subnet objects hand out the addresses and
 * viv_sim_compute_routes() fills every routing table, as an administrator would with static
 * routes. Everything printed is exact and the same on every run and every machine. */
#include <stdio.h>
#include <vivarium.h>

#define LAN_RATE 100000000u /* 100 Mb/s */
#define LAN_DELAY VIV_US(50)
#define WAN_RATE 10000000u /* 10 Mb/s */
#define WAN_DELAY VIV_MS(2)

/* The time one frame of `bytes` (Ethernet header to payload) takes over one cable: the
 * serialization of the frame plus the 24 bytes every Ethernet frame costs on the wire
 * (preamble, start delimiter, FCS, inter-frame gap), then the propagation delay. */
static viv_time_t hop_ns(unsigned bytes, unsigned rate_bps, viv_time_t delay_ns)
{
    unsigned long long bits = (bytes + 24ull) * 8u;
    return (bits * 1000000000ull + rate_bps - 1) / rate_bps + delay_ns;
}

static double ms(viv_time_t ns)
{
    return (double)ns / 1e6;
}

static void on_ping(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    char ip[VIV_IP4_STRLEN];
    (void)p;
    (void)user;
    viv_ip4_format(r->from, ip, sizeof ip);
    if (r->event == VIV_PING_REPLY)
        printf("%u bytes from %s: icmp_seq=%u ttl=%u time=%.6f ms\n", r->bytes, ip, r->seq, r->ttl,
               ms(r->rtt_ns));
    else if (r->event == VIV_PING_TIMEOUT)
        printf("icmp_seq=%u: no answer\n", r->seq);
    else if (r->event == VIV_PING_ERROR)
        printf("From %s icmp_seq=%u: ICMP type %u code %u\n", ip, r->seq, r->icmp_type,
               r->icmp_code);
}

/* Print like traceroute(8): one line per hop, the address once, then each probe's time or
 * a "*" for a probe nobody answered. */
static void on_trace(viv_traceroute_t *t, const viv_trace_result *r, void *user)
{
    viv_ip4_t *shown = user; /* the address printed on the current line */
    (void)t;
    if (r->kind == VIV_TRACE_DONE) {
        printf("\n");
        return;
    }
    if (r->probe == 1) {
        if (r->ttl > 1)
            printf("\n");
        printf("%2u ", r->ttl);
        *shown = 0;
    }
    if (r->kind == VIV_TRACE_TIMEOUT) {
        printf(" *");
        return;
    }
    if (r->from != *shown) {
        char ip[VIV_IP4_STRLEN];
        viv_ip4_format(r->from, ip, sizeof ip);
        printf(" %s (%s)", ip, ip);
        *shown = r->from;
    }
    printf("  %.3f ms", ms(r->rtt_ns));
    if (r->kind == VIV_TRACE_UNREACHABLE)
        printf(" !%c", r->icmp_code == 0 ? 'N' : r->icmp_code == 1 ? 'H' : 'X');
}

static viv_host_t *host(viv_sim_t *sim, const char *name)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    if (viv_host_new(&h, sim, &o) < 0 || viv_host_add_iface(h, NULL) < 0)
        return NULL;
    return h;
}

static int plug(viv_sim_t *sim, viv_port_t *a, viv_port_t *b, unsigned rate, viv_time_t delay)
{
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    viv_link_t *link; /* owned by the simulation */
    p.rate_bps = rate;
    p.delay_ns = delay;
    return viv_link_new(&link, sim, a, b, &p);
}

int main(void)
{
    viv_sim_t *sim;
    if (viv_sim_new(&sim, NULL) < 0)
        return 1;

    /* The nodes, in creation order (which also breaks ties between equal routes). */
    viv_host_t *a1 = host(sim, "a1"), *a2 = host(sim, "a2");
    viv_host_t *c1 = host(sim, "c1"), *c2 = host(sim, "c2");
    viv_host_t *r1, *r2;
    viv_hub_t *hub;
    viv_switch_t *sw;
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "r1";
    int rc = viv_router_new(&r1, sim, 2, &ro);
    ro.name = "r2";
    rc |= viv_router_new(&r2, sim, 2, &ro);
    rc |= viv_hub_new(&hub, sim, 4, NULL);
    rc |= viv_switch_new(&sw, sim, 4, NULL);
    if (rc < 0 || !a1 || !a2 || !c1 || !c2) {
        fprintf(stderr, "building the network: %s\n", viv_sim_errmsg(sim));
        return 1;
    }

    /* Cables: the routers' eth0/eth1 and each host's eth0. */
    rc = plug(sim, viv_host_port(a1, 0), viv_hub_port(hub, 0), LAN_RATE, LAN_DELAY);
    rc |= plug(sim, viv_host_port(a2, 0), viv_hub_port(hub, 1), LAN_RATE, LAN_DELAY);
    rc |= plug(sim, viv_host_port(r1, 0), viv_hub_port(hub, 2), LAN_RATE, LAN_DELAY);
    rc |= plug(sim, viv_host_port(r1, 1), viv_host_port(r2, 0), WAN_RATE, WAN_DELAY);
    rc |= plug(sim, viv_host_port(r2, 1), viv_switch_port(sw, 0), LAN_RATE, LAN_DELAY);
    rc |= plug(sim, viv_host_port(c1, 0), viv_switch_port(sw, 1), LAN_RATE, LAN_DELAY);
    rc |= plug(sim, viv_host_port(c2, 0), viv_switch_port(sw, 2), LAN_RATE, LAN_DELAY);

    /* Addresses: each subnet hands out .1, .2, ... in the order interfaces attach, so the
     * routers, attached first, get the .1 of their LANs. */
    viv_subnet_t *lan_a, *wan, *lan_c;
    rc |= viv_subnet_new(&lan_a, sim, "10.0.1.0/24");
    rc |= viv_subnet_new(&wan, sim, "10.0.12.0/30");
    rc |= viv_subnet_new(&lan_c, sim, "10.0.3.0/24");
    rc |= viv_subnet_attach(NULL, lan_a, r1, 0); /* 10.0.1.1 */
    rc |= viv_subnet_attach(NULL, lan_a, a1, 0); /* 10.0.1.2 */
    rc |= viv_subnet_attach(NULL, lan_a, a2, 0); /* 10.0.1.3 */
    rc |= viv_subnet_attach(NULL, wan, r1, 1);   /* 10.0.12.1 */
    rc |= viv_subnet_attach(NULL, wan, r2, 0);   /* 10.0.12.2 */
    rc |= viv_subnet_attach(NULL, lan_c, r2, 1); /* 10.0.3.1 */
    rc |= viv_subnet_attach(NULL, lan_c, c1, 0); /* 10.0.3.2 */
    rc |= viv_subnet_attach(NULL, lan_c, c2, 0); /* 10.0.3.3 */
    if (rc < 0 || viv_sim_compute_routes(sim) < 0) {
        fprintf(stderr, "configuring the network: %s\n", viv_sim_errmsg(sim));
        return 1;
    }

    /* Ping c1 from a1, three times, one second apart. An echo request is a 98-byte frame
     * (14 Ethernet + 20 IP + 8 ICMP + 56 data); it crosses five cables each way: a1-hub and
     * hub-r1 (the hub repeats a frame once it has fully arrived), the WAN, r2-switch and
     * switch-c1 (store and forward too). So a ping that needs no ARP takes
     *     2 x (4 x hop(98 B, 100 Mb/s, 50 us) + hop(98 B, 10 Mb/s, 2 ms))
     *   = 2 x (4 x (9.760 + 50) us + (97.600 us + 2 ms)) = 4.673280 ms.
     * The first ping waits on its way out for three ARP exchanges (60-byte frames): a1 asks
     * for r1 over the hub (2 x 2 x 56.720 us), r1 for r2 over the WAN (2 x 2.067200 ms), r2
     * for c1 over the switch (2 x 2 x 56.720 us). On the way back everyone already knows its
     * next hop: the target of a request learns its sender. Total 9.261440 ms. */
    viv_time_t lan98 = hop_ns(98, LAN_RATE, LAN_DELAY), wan98 = hop_ns(98, WAN_RATE, WAN_DELAY);
    viv_time_t lan60 = hop_ns(60, LAN_RATE, LAN_DELAY), wan60 = hop_ns(60, WAN_RATE, WAN_DELAY);
    viv_time_t steady = 2 * (4 * lan98 + wan98);
    viv_time_t first = steady + 2 * (2 * lan60) + 2 * wan60 + 2 * (2 * lan60);
    printf("PING 10.0.3.2 from a1 (expected: %.6f ms, then %.6f ms)\n", ms(first), ms(steady));
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    viv_ping_start(NULL, a1, VIV_IP4(10, 0, 3, 2), &po, on_ping, NULL);
    viv_sim_run(sim);

    /* Traceroute from a2 to c2: probes with TTL 1, 2, 3, three each. Routers answer with
     * time exceeded from their interface toward a2. The first probe of hop 1 and of hop 3
     * include an ARP exchange (a2 for r1, r2 for c2). */
    printf("\ntraceroute to 10.0.3.3 (10.0.3.3), 30 hops max, 60 byte packets\n");
    viv_ip4_t shown = 0;
    viv_traceroute_start(NULL, a2, VIV_IP4(10, 0, 3, 3), NULL, on_trace, &shown);
    viv_sim_run(sim);

    /* What every host knows now. */
    viv_host_t *all[] = {a1, a2, r1, r2, c1, c2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char text[1024];
        printf("\n%s: ip route\n", viv_node_name(viv_host_node(all[i])));
        viv_host_routes_text(all[i], text, sizeof text);
        printf("%s", text);
        printf("%s: arp -an\n", viv_node_name(viv_host_node(all[i])));
        viv_host_arp_table_text(all[i], text, sizeof text);
        printf("%s", text[0] ? text : "(empty)\n");
    }
    printf("\nrun fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(sim),
           (unsigned long long)viv_sim_events(sim));
    viv_sim_free(sim);
    return 0;
}
