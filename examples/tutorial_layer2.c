/* tutorial_layer2: cables, hubs, switches, impairments and captures (tutorial, chapter 2).
 *
 * 1. One cable, 10 Mbit/s and 2 ms, with room for three waiting frames: a burst of six
 *    datagrams shows serialisation, propagation and a drop-tail queue; every frame that
 *    crossed is printed as a decoded line and written to a pcap file for Wireshark.
 * 2. Three hosts behind a hub, then behind a learning switch: who sees which frames.
 * 3. A cable with loss, jitter and duplication: what a receiver gets out of 200 datagrams.
 *
 * Everything printed is exact and the same on every run and every machine.
 *
 * Usage: tutorial_layer2 [output-directory]   (writes tutorial_layer2.pcap there) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tutorial_layer2: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

static viv_host_t *host(viv_sim_t *sim, const char *name, viv_ip4_t ip)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    TRY(viv_host_new(&h, sim, &o));
    TRY(viv_host_add_iface(h, NULL));
    TRY(viv_host_add_addr(h, 0, ip, 24));
    return h;
}

/* The receiver of part 1: prints when each datagram arrives. */
static void on_datagram(viv_udp_t *s, uint32_t events, void *user)
{
    viv_sim_t *sim = user;
    uint8_t buf[1500];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, buf, sizeof buf) >= 0)
        printf("  datagram %u arrived at %.6f ms\n", buf[0], (double)viv_sim_now(sim) / 1e6);
}

/* ---- 1. one cable --------------------------------------------------------------------- */

static void one_cable(const char *dir)
{
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, NULL));
    viv_host_t *a = host(sim, "a", VIV_IP4(10, 0, 0, 1));
    viv_host_t *b = host(sim, "b", VIV_IP4(10, 0, 0, 2));
    /* [cable] */
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 10000000;  /* 10 Mbit/s */
    p.delay_ns = VIV_MS(2); /* 2 ms of propagation: about 400 km of fibre */
    p.queue_frames = 3;     /* at most three frames wait while one is sent */
    viv_link_t *cable;
    TRY(viv_link_new(&cable, sim, viv_host_port(a, 0), viv_host_port(b, 0), &p));
    /* [cable] */

    /* [capture] */
    char path[1024];
    snprintf(path, sizeof path, "%s/tutorial_layer2.pcap", dir);
    viv_pcap_t *pcap;
    TRY(viv_pcap_open(&pcap, sim, path, NULL));
    TRY(viv_pcap_attach_link(pcap, cable, VIV_LINK_BOTH));
    viv_rec_t *rec; /* the same frames, decoded in one line each */
    TRY(viv_rec_new(&rec, sim, NULL));
    TRY(viv_rec_name(rec, "a", VIV_IP4(10, 0, 0, 1)));
    TRY(viv_rec_name(rec, "b", VIV_IP4(10, 0, 0, 2)));
    TRY(viv_rec_attach_link(rec, cable, VIV_LINK_BOTH));
    /* [capture] */

    viv_udp_t *rx, *tx;
    viv_sockaddr_t any = {VIV_IP4_ANY, 9000}, to = {VIV_IP4(10, 0, 0, 2), 9000};
    TRY(viv_udp_new(&rx, b, NULL, on_datagram, sim));
    TRY(viv_udp_bind(rx, &any));
    TRY(viv_udp_new(&tx, a, NULL, NULL, NULL));

    /* [burst] */
    /* One datagram first, so that ARP has resolved b before the burst. */
    uint8_t data[1000] = {1};
    TRY(viv_udp_sendto(tx, data, sizeof data, &to));
    TRY(viv_sim_run_until(sim, VIV_S(1)));
    /* Six datagrams at once, at t = 1 s: one is sent, three wait, two find the queue full. */
    for (uint8_t i = 2; i <= 7; i++) {
        data[0] = i;
        TRY(viv_udp_sendto(tx, data, sizeof data, &to));
    }
    TRY(viv_sim_run_until(sim, VIV_S(2)));
    /* [burst] */

    /* [physics] */
    uint32_t len = viv_wire_udp_frame_len(sizeof data); /* 14 + 20 + 8 + 1000 = 1042 */
    printf("  a %u-byte frame: %.1f us on the wire, %.1f us from a to b\n", len,
           (double)viv_link_ser_time(cable, VIV_LINK_AB, len) / 1e3,
           (double)viv_link_one_way(cable, VIV_LINK_AB, len) / 1e3);
    viv_link_stats_t st;
    TRY(viv_link_stats(&st, cable, VIV_LINK_AB));
    printf("  a to b: %llu frames sent, %llu dropped (queue full), at most %u waiting\n",
           (unsigned long long)st.tx_frames, (unsigned long long)st.drop_queue, st.queue_peak);
    /* [physics] */

    /* [decoded] */
    printf("  what crossed the cable (%llu frames in the pcap):\n",
           (unsigned long long)viv_pcap_frames(pcap));
    for (size_t i = 0; i < viv_rec_count(rec); i++) {
        char line[256];
        TRY(viv_rec_format(rec, i, line, sizeof line));
        printf("    %s\n", line);
    }
    /* [decoded] */
    viv_sim_free(sim); /* closes the capture */
}

/* ---- 2. hub and switch ---------------------------------------------------------------- */

/* h1 pings h2 once; each host's interface counts what it received. */
static void three_hosts(int use_switch)
{
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, NULL));
    viv_hub_t *hub = NULL;
    viv_switch_t *sw = NULL;
    /* [segment] */
    if (use_switch)
        TRY(viv_switch_new(&sw, sim, 3, NULL));
    else
        TRY(viv_hub_new(&hub, sim, 3, NULL));
    viv_host_t *h[3];
    for (uint32_t i = 0; i < 3; i++) {
        char name[4] = {'h', (char)('1' + i), 0};
        h[i] = host(sim, name, VIV_IP4(10, 0, 0, i + 1));
        viv_port_t *port = use_switch ? viv_switch_port(sw, i) : viv_hub_port(hub, i);
        viv_link_t *l;
        TRY(viv_link_new(&l, sim, viv_host_port(h[i], 0), port, NULL));
    }
    /* [segment] */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    TRY(viv_ping_start(NULL, h[0], VIV_IP4(10, 0, 0, 2), &po, NULL, NULL));
    TRY(viv_sim_run(sim));

    printf("  behind a %-6s", use_switch ? "switch:" : "hub:");
    for (int i = 0; i < 3; i++) {
        viv_port_stats_t ps;
        viv_ip_stats_t ip;
        TRY(viv_port_stats(&ps, viv_host_port(h[i], 0)));
        TRY(viv_host_ip_stats(&ip, h[i]));
        printf("%s h%d received %llu", i ? "," : "", i + 1, (unsigned long long)ps.rx_frames);
        if (ip.rx_not_mine)
            printf(" (%llu not for it)", (unsigned long long)ip.rx_not_mine);
    }
    printf("\n");
    if (use_switch) {
        char table[1024];
        TRY(viv_switch_mac_table_text(sw, table, sizeof table));
        fputs(table, stdout);
    }
    viv_sim_free(sim);
}

/* ---- 3. impairments ------------------------------------------------------------------- */

typedef struct tally {
    unsigned seen[200]; /* how many copies of each datagram arrived */
    unsigned received, out_of_order, highest;
} tally;

static void on_numbered(viv_udp_t *s, uint32_t events, void *user)
{
    tally *t = user;
    uint8_t buf[64];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, buf, sizeof buf) >= 1) {
        unsigned n = buf[0];
        t->received++;
        t->seen[n]++;
        if (n < t->highest)
            t->out_of_order++;
        else
            t->highest = n;
    }
}

static void impaired_cable(void)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 7; /* another seed, other losses: try it */
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, &so));
    viv_host_t *a = host(sim, "a", VIV_IP4(10, 0, 0, 1));
    viv_host_t *b = host(sim, "b", VIV_IP4(10, 0, 0, 2));
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = VIV_MS(5);
    viv_link_t *l;
    TRY(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &p));
    /* One ping first, on a perfect cable: ARP resolves before the impairments start. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    TRY(viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL));
    TRY(viv_sim_run(sim));
    /* [impair] */
    p.loss = 0.05;           /* 5% of the frames are lost */
    p.jitter_ns = VIV_MS(3); /* each frame is 0 to 3 ms late */
    p.jitter_reorder = 1;    /* ... and may overtake the one before */
    p.duplicate = 0.02;      /* 2% arrive twice */
    TRY(viv_link_set_params(l, VIV_LINK_AB, &p)); /* a to b only */
    /* [impair] */

    tally t;
    memset(&t, 0, sizeof t);
    viv_udp_t *rx, *tx;
    viv_sockaddr_t any = {VIV_IP4_ANY, 9000}, to = {VIV_IP4(10, 0, 0, 2), 9000};
    TRY(viv_udp_new(&rx, b, NULL, on_numbered, &t));
    TRY(viv_udp_bind(rx, &any));
    TRY(viv_udp_new(&tx, a, NULL, NULL, NULL));
    for (unsigned i = 0; i < 200; i++) { /* one datagram per millisecond */
        uint8_t n = (uint8_t)i;
        TRY(viv_udp_sendto(tx, &n, 1, &to));
        TRY(viv_sim_run_for(sim, VIV_MS(1)));
    }
    TRY(viv_sim_run(sim));
    unsigned missing = 0, twice = 0;
    for (unsigned i = 0; i < 200; i++) {
        missing += t.seen[i] == 0;
        twice += t.seen[i] > 1;
    }
    viv_link_stats_t st;
    TRY(viv_link_stats(&st, l, VIV_LINK_AB));
    printf("  200 sent, %u received: %u missing, %u twice, %u out of order\n", t.received,
           missing, twice, t.out_of_order);
    printf("  the link counted %llu lost and %llu duplicated\n",
           (unsigned long long)st.drop_loss, (unsigned long long)st.duplicated);
    viv_sim_free(sim);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    printf("1. One cable, 10 Mbit/s, 2 ms, a queue of 3 frames\n");
    one_cable(dir);
    printf("\n2. Three hosts on one segment; h1 pings h2 once\n");
    three_hosts(0);
    three_hosts(1);
    printf("\n3. 5%% loss, 0-3 ms of jitter, 2%% duplicates\n");
    impaired_cable();
    return 0;
}
