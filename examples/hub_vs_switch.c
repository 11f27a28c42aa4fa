/* hub_vs_switch: the same traffic through a hub and through a learning switch.
 *
 * Four hosts h1..h4 share one segment, first behind a hub, then behind a switch. h1 pings h2
 * and h3 sends a few UDP datagrams to h4. For each host we count the frames that reached its
 * interface and how many of them were addressed to it: behind the hub every host sees every
 * frame (a hub repeats everything out of every other port); behind the switch a bystander sees
 * only broadcasts (the ARP requests) and the flooded frames sent before the switch had learned
 * where their destination was.
 *
 * Then the switch's MAC table is printed empty, after learning, and after aging: with a 15 s
 * aging time and 30 s of quiet in which only h1 keeps pinging h2 every 5 s, h3 and h4 age out
 * while h1 and h2 stay (only frames *from* a station refresh its entry).
 *
 * One pcap per host port is written (hub-h1.pcap ... switch-h4.pcap) into the directory given
 * as the first argument (default: the current one); open them in Wireshark side by side.
 *
 * Usage: hub_vs_switch [output-directory] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

enum { NHOSTS = 4 };

typedef struct world {
    viv_sim_t *sim;
    viv_host_t *h[NHOSTS];
    viv_hub_t *hub;   /* one of these two */
    viv_switch_t *sw;
    viv_pcap_t *cap[NHOSTS];
} world;

static void die(const char *what, int rc)
{
    fprintf(stderr, "hub_vs_switch: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

/* h1..h4 at 192.168.1.1..4/24, each plugged into port i of the hub or the switch with a
 * 100 Mbit/s cable of 5 us. */
static void build(world *w, int use_switch, const char *dir)
{
    memset(w, 0, sizeof(*w));
    TRY(viv_sim_new(&w->sim, NULL));
    viv_port_t *ports[NHOSTS];
    if (use_switch) {
        viv_switch_opts so = VIV_SWITCH_OPTS_INIT;
        so.name = "sw1";
        so.aging_ns = VIV_S(15);
        TRY(viv_switch_new(&w->sw, w->sim, NHOSTS, &so));
        for (int i = 0; i < NHOSTS; i++)
            ports[i] = viv_switch_port(w->sw, (uint32_t)i);
    } else {
        viv_hub_opts ho = VIV_HUB_OPTS_INIT;
        ho.name = "hub1";
        TRY(viv_hub_new(&w->hub, w->sim, NHOSTS, &ho));
        for (int i = 0; i < NHOSTS; i++)
            ports[i] = viv_hub_port(w->hub, (uint32_t)i);
    }
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 100000000;
    lp.delay_ns = VIV_US(5);
    for (int i = 0; i < NHOSTS; i++) {
        char name[8], path[512];
        snprintf(name, sizeof name, "h%d", i + 1);
        viv_host_opts ho = VIV_HOST_OPTS_INIT;
        ho.name = name;
        TRY(viv_host_new(&w->h[i], w->sim, &ho));
        TRY(viv_host_add_iface(w->h[i], NULL));
        viv_link_t *l;
        TRY(viv_link_new(&l, w->sim, viv_host_port(w->h[i], 0), ports[i], &lp));
        TRY(viv_host_add_addr(w->h[i], 0, VIV_IP4(192, 168, 1, i + 1), 24));
        snprintf(path, sizeof path, "%s/%s-h%d.pcap", dir, use_switch ? "switch" : "hub", i + 1);
        TRY(viv_pcap_open(&w->cap[i], w->sim, path, NULL));
        TRY(viv_pcap_attach_port(w->cap[i], viv_host_port(w->h[i], 0)));
    }
}

/* h1 pings h2 three times; h3 sends three datagrams to a listening h4. */
static void traffic(world *w)
{
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    po.interval_ns = VIV_MS(100);
    TRY(viv_ping_start(NULL, w->h[0], VIV_IP4(192, 168, 1, 2), &po, NULL, NULL));
    viv_udp_t *rx, *tx;
    TRY(viv_udp_new(&rx, w->h[3], NULL, NULL, NULL));
    viv_sockaddr_t any = {VIV_IP4_ANY, 5004}, h4 = {VIV_IP4(192, 168, 1, 4), 5004};
    TRY(viv_udp_bind(rx, &any));
    TRY(viv_udp_new(&tx, w->h[2], NULL, NULL, NULL));
    for (int k = 0; k < 3; k++) {
        TRY(viv_udp_sendto(tx, "hello", 5, &h4));
        TRY(viv_sim_run_for(w->sim, VIV_MS(100)));
    }
    TRY(viv_sim_run_for(w->sim, VIV_S(1)));
}

static void report(world *w, const char *title)
{
    printf("%s\n", title);
    printf("  host  frames seen  addressed to it  not for it\n");
    for (int i = 0; i < NHOSTS; i++) {
        viv_port_stats_t ps;
        viv_ip_stats_t ip;
        viv_port_stats(&ps, viv_host_port(w->h[i], 0));
        viv_host_ip_stats(&ip, w->h[i]);
        printf("  h%d    %11llu  %15llu  %10llu\n", i + 1, (unsigned long long)ps.rx_frames,
               (unsigned long long)(ps.rx_frames - ip.rx_not_mine),
               (unsigned long long)ip.rx_not_mine);
    }
}

static void print_table(const world *w, const char *when)
{
    char buf[4096];
    printf("\nMAC table %s (t = %llu s):\n", when,
           (unsigned long long)(viv_sim_now(w->sim) / VIV_S(1)));
    viv_switch_mac_table_text(w->sw, buf, sizeof buf);
    fputs(buf, stdout);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    world w;

    build(&w, 0, dir);
    traffic(&w);
    report(&w, "Through a hub: every frame reaches every host.");
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(w.sim),
           (unsigned long long)viv_sim_events(w.sim));
    viv_sim_free(w.sim); /* closes the captures */

    build(&w, 1, dir);
    print_table(&w, "before any traffic");
    traffic(&w);
    printf("\n");
    report(&w, "Through a switch: bystanders see broadcasts and early floods only.");
    print_table(&w, "after learning");
    /* 30 s in which only h1 talks (a ping to h2 every 5 s): h3 and h4 age out. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 6;
    po.interval_ns = VIV_S(5);
    TRY(viv_ping_start(NULL, w.h[0], VIV_IP4(192, 168, 1, 2), &po, NULL, NULL));
    TRY(viv_sim_run_for(w.sim, VIV_S(30)));
    print_table(&w, "after 30 s in which only h1 and h2 talked (aging time 15 s)");
    viv_switch_stats_t st;
    viv_switch_stats(&st, w.sw);
    printf("\nswitch: %llu frames in, %llu forwarded, %llu flooded, %llu learned, %llu aged\n",
           (unsigned long long)st.rx_frames, (unsigned long long)st.forwarded,
           (unsigned long long)st.flooded, (unsigned long long)st.learned,
           (unsigned long long)st.aged);
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(w.sim),
           (unsigned long long)viv_sim_events(w.sim));
    printf("pcaps: %s/hub-h1.pcap ... %s/switch-h4.pcap\n", dir, dir);
    viv_sim_free(w.sim);
    return 0;
}
