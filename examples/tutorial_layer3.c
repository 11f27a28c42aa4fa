/* tutorial_layer3: subnets, a router, ARP, ping, traceroute and the source address
 * (tutorial, chapter 3).
 *
 *     a (10.0.1.2) --switch s1-- r --switch s2-- b (10.0.2.2)
 *                        |  10.0.1.1  10.0.2.1 |
 *                        +---------- m --------+     m: 10.0.1.3 and 10.0.2.3
 *
 * Two subnets joined by a router r. The subnets hand out the addresses, a and b get r as
 * their default gateway, and m is "multi-homed": one interface on each subnet. a pings b
 * (the first reply waits for ARP on both subnets), a traceroute from a lists r then b, a ping
 * with a TTL of 1 dies at r, and m shows how a host picks the source address of what it
 * sends: the address of the interface its route leaves by.
 *
 * Every cable runs at 100 Mbit/s with 10 us of propagation delay. Everything printed is
 * exact and the same on every run and every machine. */
#include <stdio.h>
#include <stdlib.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tutorial_layer3: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

static const char *ip_text(viv_ip4_t ip, char *buf)
{
    viv_ip4_format(ip, buf, VIV_IP4_STRLEN);
    return buf;
}

static viv_host_t *host(viv_sim_t *sim, const char *name, uint32_t ifaces)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    TRY(viv_host_new(&h, sim, &o));
    for (uint32_t i = 0; i < ifaces; i++)
        TRY(viv_host_add_iface(h, NULL));
    return h;
}

static void cable(viv_sim_t *sim, viv_port_t *x, viv_port_t *y)
{
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 100000000; /* 100 Mbit/s */
    p.delay_ns = VIV_US(10);
    viv_link_t *l; /* owned by the simulation */
    TRY(viv_link_new(&l, sim, x, y, &p));
}

/* [ping_cb] */
static void on_ping(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    char from[VIV_IP4_STRLEN];
    (void)p, (void)user;
    if (r->event == VIV_PING_REPLY)
        printf("  %u bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", r->bytes,
               ip_text(r->from, from), r->seq, r->ttl, (double)r->rtt_ns / 1e6);
    else if (r->event == VIV_PING_ERROR)
        printf("  From %s icmp_seq=%u: ICMP type %u code %u%s\n", ip_text(r->from, from), r->seq,
               r->icmp_type, r->icmp_code, r->icmp_type == 11 ? " (time exceeded)" : "");
    else if (r->event == VIV_PING_TIMEOUT)
        printf("  icmp_seq=%u: no answer\n", r->seq);
}
/* [ping_cb] */

static void on_trace(viv_traceroute_t *t, const viv_trace_result *r, void *user)
{
    char from[VIV_IP4_STRLEN];
    (void)t, (void)user;
    if (r->kind == VIV_TRACE_HOP || r->kind == VIV_TRACE_REACHED)
        printf("  %2u  %-10s %.3f ms%s\n", r->ttl, ip_text(r->from, from),
               (double)r->rtt_ns / 1e6, r->kind == VIV_TRACE_REACHED ? "  (reached)" : "");
    else if (r->kind == VIV_TRACE_TIMEOUT)
        printf("  %2u  *\n", r->ttl);
}

static void print_text(const char *title, int (*fn)(const viv_host_t *, char *, size_t),
                       const viv_host_t *h)
{
    char buf[2048];
    TRY(fn(h, buf, sizeof buf));
    printf("%s\n%s", title, buf);
}

int main(void)
{
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, NULL));

    /* [topology] */
    viv_host_t *r, *a = host(sim, "a", 1), *b = host(sim, "b", 1), *m = host(sim, "m", 2);
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "r";
    TRY(viv_router_new(&r, sim, 2, &ro)); /* a host with forwarding on and two interfaces */
    viv_switch_t *s1, *s2;
    TRY(viv_switch_new(&s1, sim, 3, NULL));
    TRY(viv_switch_new(&s2, sim, 3, NULL));
    cable(sim, viv_host_port(r, 0), viv_switch_port(s1, 0));
    cable(sim, viv_host_port(a, 0), viv_switch_port(s1, 1));
    cable(sim, viv_host_port(m, 0), viv_switch_port(s1, 2));
    cable(sim, viv_host_port(r, 1), viv_switch_port(s2, 0));
    cable(sim, viv_host_port(b, 0), viv_switch_port(s2, 1));
    cable(sim, viv_host_port(m, 1), viv_switch_port(s2, 2));
    /* [topology] */

    /* [addresses] */
    viv_subnet_t *lan1, *lan2;
    TRY(viv_subnet_new(&lan1, sim, "10.0.1.0/24"));
    TRY(viv_subnet_new(&lan2, sim, "10.0.2.0/24"));
    TRY(viv_subnet_attach(NULL, lan1, r, 0)); /* 10.0.1.1: lowest first */
    TRY(viv_subnet_attach(NULL, lan1, a, 0)); /* 10.0.1.2 */
    TRY(viv_subnet_attach(NULL, lan1, m, 0)); /* 10.0.1.3 */
    TRY(viv_subnet_attach(NULL, lan2, r, 1)); /* 10.0.2.1 */
    TRY(viv_subnet_attach(NULL, lan2, b, 0)); /* 10.0.2.2 */
    TRY(viv_subnet_attach(NULL, lan2, m, 1)); /* 10.0.2.3 */
    TRY(viv_host_set_gateway(a, VIV_IP4(10, 0, 1, 1)));
    TRY(viv_host_set_gateway(b, VIV_IP4(10, 0, 2, 1)));
    TRY(viv_host_set_gateway(m, VIV_IP4(10, 0, 1, 1)));
    /* [addresses] */
    print_text("Routes of a:", viv_host_routes_text, a);
    print_text("Routes of r:", viv_host_routes_text, r);

    /* [ping] */
    printf("\nPING 10.0.2.2 from a\n");
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    TRY(viv_ping_start(NULL, a, VIV_IP4(10, 0, 2, 2), &po, on_ping, NULL));
    TRY(viv_sim_run(sim));
    /* [ping] */
    print_text("\nARP cache of a:", viv_host_arp_table_text, a);
    print_text("ARP cache of r:", viv_host_arp_table_text, r);

    /* [traceroute] */
    printf("\ntraceroute to 10.0.2.2 from a\n");
    viv_traceroute_opts to = VIV_TRACEROUTE_OPTS_INIT;
    to.probes = 1;
    TRY(viv_traceroute_start(NULL, a, VIV_IP4(10, 0, 2, 2), &to, on_trace, NULL));
    TRY(viv_sim_run(sim));
    /* [traceroute] */

    /* [ttl] */
    printf("\nPING 10.0.2.2 from a with a TTL of 1\n");
    po.count = 1;
    po.ttl = 1;
    TRY(viv_ping_start(NULL, a, VIV_IP4(10, 0, 2, 2), &po, on_ping, NULL));
    TRY(viv_sim_run(sim));
    /* [ttl] */

    /* [source] */
    printf("\nThe source address m uses:\n");
    const viv_ip4_t dsts[3] = {VIV_IP4(10, 0, 1, 2), VIV_IP4(10, 0, 2, 2), VIV_IP4(192, 0, 2, 7)};
    for (int i = 0; i < 3; i++) {
        viv_route rt;
        viv_udp_t *s;
        viv_sockaddr_t peer = {dsts[i], 7}, local;
        TRY(viv_host_route_lookup(&rt, m, dsts[i]));
        TRY(viv_udp_new(&s, m, NULL, NULL, NULL));
        TRY(viv_udp_connect(s, &peer)); /* fixes the local address from the route */
        TRY(viv_udp_local(&local, s));
        char d[VIV_IP4_STRLEN], src[VIV_IP4_STRLEN];
        printf("  to %-11s leaves by %s, from %s\n", ip_text(dsts[i], d),
               viv_host_iface_name(m, rt.iface), ip_text(local.ip, src));
        viv_udp_free(s);
    }
    /* [source] */

    viv_sim_free(sim);
    return 0;
}
