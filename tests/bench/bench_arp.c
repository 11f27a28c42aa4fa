/* bench_arp: a host with many neighbours, each used to send and confirmed again in random
 * order; the ARP idle list's hardest case since touches stopped moving entries (arp.c):
 * touched heads are placed again far from the tail, and more of them the fewer touches an
 * entry gets per aging time. Run on demand, never a test (docs/performance.md, wip/arplazy).
 *
 * Usage: bench_arp [NEIGHBOURS [SECONDS [GAP_US]]] (default 1000 600 1000). The neighbours,
 * behind one silent device, ask for the host once each at the start (entries made in order),
 * then once each per 30 simulated seconds in an order drawn afresh each round (a
 * confirmation: a touch); the host sends a UDP datagram to a random neighbour every GAP_US
 * microseconds (a touch). Every entry stays REACHABLE and none expires; the line printed
 * says so. Only the public API: it builds against any build's libvivarium.a, so that two
 * builds can be compared with callgrind (instructions over two run lengths, differenced).
 *
 * Its random numbers are its own (a fixed LCG): two builds see the same run. */
#include <stdio.h>
#include <stdlib.h>

#include <vivarium.h>

static viv_sim_t *sim;
static viv_device_t *dev;
static viv_udp_t *tx;
static uint32_t n, *order, next_ask;
static uint64_t rng = 1, sends;
static viv_time_t gap = VIV_MS(1);

static uint32_t draw(void)
{
    rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(rng >> 33);
}

static viv_ip4_t neighbour_ip(uint32_t i)
{
    return VIV_IP4(10, 0, 1, 0) + i;
}

static void check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench_arp: %s: %s\n", what, viv_strerror(rc));
        exit(1);
    }
}

/* Neighbour i asks for the host (10.0.0.1). */
static void ask(uint32_t i)
{
    uint8_t f[64];
    viv_wire_eth eth = {{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                        {{2, 0, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}},
                        0,
                        0};
    viv_wire_arp a = {1, eth.src, neighbour_ip(i), {{0}}, VIV_IP4(10, 0, 0, 1)};
    int len = viv_wire_arp_frame(f, sizeof f, &eth, &a);
    check(len, "viv_wire_arp_frame");
    check(viv_device_send(dev, 0, f, (size_t)len), "viv_device_send");
}

static void ask_cb(viv_sim_t *s, void *user)
{
    (void)user;
    if (next_ask == 0) /* a new round, in a new order */
        for (uint32_t i = n - 1; i > 0; i--) {
            uint32_t j = draw() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    ask(order[next_ask]);
    next_ask = (next_ask + 1) % n;
    check(viv_sim_schedule_after(NULL, s, VIV_S(30) / n, ask_cb, NULL), "schedule");
}

static void send_cb(viv_sim_t *s, void *user)
{
    static const uint8_t data[20];
    (void)user;
    viv_sockaddr_t to = {neighbour_ip(draw() % n), 9};
    check(viv_udp_sendto(tx, data, sizeof data, &to), "viv_udp_sendto");
    sends++;
    check(viv_sim_schedule_after(NULL, s, gap, send_cb, NULL), "schedule");
}

int main(int argc, char **argv)
{
    n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000;
    viv_time_t end = VIV_S(argc > 2 ? strtoull(argv[2], NULL, 10) : 600);
    if (argc > 3)
        gap = VIV_US(strtoull(argv[3], NULL, 10));
    if (n < 1 || n > 60000 || gap == 0) {
        fprintf(stderr, "usage: bench_arp [NEIGHBOURS (1..60000) [SECONDS [GAP_US (> 0)]]]\n");
        return 2;
    }
    order = malloc(n * sizeof *order);
    if (!order)
        return 1;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    check(viv_sim_new(&sim, NULL), "viv_sim_new");
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = "h";
    o.arp_max_entries = n;
    viv_host_t *h;
    check(viv_host_new(&h, sim, &o), "viv_host_new");
    check(viv_host_add_iface(h, NULL), "viv_host_add_iface");
    check(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 1), 8), "viv_host_add_addr");
    check(viv_device_new(&dev, sim, 1, NULL), "viv_device_new");
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.queue_frames = 2 * n;
    viv_link_t *link;
    check(viv_link_new(&link, sim, viv_host_port(h, 0), viv_device_port(dev, 0), &p),
          "viv_link_new");
    check(viv_udp_new(&tx, h, NULL, NULL, NULL), "viv_udp_new");
    for (uint32_t i = 0; i < n; i++)
        ask(i);
    check(viv_sim_run_until(sim, VIV_S(1)), "run");
    check(viv_sim_schedule_after(NULL, sim, 0, ask_cb, NULL), "schedule");
    check(viv_sim_schedule_after(NULL, sim, 0, send_cb, NULL), "schedule");
    check(viv_sim_run_until(sim, end), "run");
    viv_ip_stats_t st;
    check(viv_host_ip_stats(&st, h), "viv_host_ip_stats");
    printf("neighbours=%u seconds=%llu gap_us=%llu sends=%llu entries=%d expired=%llu "
           "evicted=%llu requests=%llu\n",
           n, (unsigned long long)(end / VIV_S(1)), (unsigned long long)(gap / VIV_US(1)),
           (unsigned long long)sends, viv_host_arp_table(h, NULL, 0),
           (unsigned long long)st.arp_expired, (unsigned long long)st.arp_evicted,
           (unsigned long long)st.arp_requests);
    viv_sim_free(sim);
    free(order);
    return 0;
}
