/* viv_bench soak: a long run of many short TCP connections, for memory that must stay flat
 * (issue 19). Run on demand; it prints figures and never asserts on time.
 *
 *   viv_bench soak [--events 100000000] [--clients 40] [--slots 8] [--seed 1]
 *
 * --clients hosts and 2 servers on one switch (1 Gbit/s, 100 us cables). Every client keeps
 * --slots connections going at once, one after the other: connect to a server's echo port,
 * send 1 to 20,000 bytes, read them back and check every byte, close first (TIME-WAIT on the
 * client, 60 s, so ports are reused only after it expires), think for 0-50 ms, again. After
 * every 200 connections a slot sleeps 90 s, so ARP entries (60 s) and the switch's MAC
 * entries (aging set to 60 s) age out and come back (mac_aged, arp_aged in the output).
 * Every 20 s of simulated time one client's cable is cut for 1.5 s (its connections recover
 * by retransmission). It runs until --events events, then closes everything and frees the
 * simulation.
 *
 * Output, one key=value line: events, sim_s, wall_s, connections (completed), bytes
 * (echoed and checked), failed (connections that ended in an error), bad_bytes (must be 0),
 * cuts, warm_events and rss_warm_kb (resident memory once a tenth of the events and 150 s of
 * simulated time have passed: TIME-WAIT has filled), rss_end_kb
 * (before the simulation is freed), rss_freed_kb (after), peak_rss_kb, and the bytes the
 * simulation's allocator holds: live_warm_kb, live_end_kb, live_peak_kb, live_after_free
 * (bytes still held after viv_sim_free(): must be 0), and live_kb_by_tenth, the live bytes
 * as each tenth of the events begins. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <vivarium.h>

#define SOAK_SERVERS 2
#define SOAK_MAX_BYTES 20000u

typedef struct soak soak;

typedef struct slot {
    soak *k;
    int client;
    viv_tcp_t *s;
    uint32_t len, got, sent;
    uint32_t n;       /* connections made by this slot */
    uint64_t lcg;     /* the slot's own random sequence */
    int checked_bad;
} slot;

typedef struct echo {
    viv_tcp_t *s;
    struct echo *next_free;
} echo;

struct soak {
    viv_sim_t *sim;
    viv_host_t **clients;
    viv_host_t *servers[SOAK_SERVERS];
    viv_link_t **client_links;
    viv_tcp_t *listener[SOAK_SERVERS];
    slot *slots;
    uint32_t nclients, nslots;
    uint64_t connections, bytes, failed, bad_bytes, cuts;
    uint32_t next_cut;
    viv_link_t *cut_link;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long rss_now_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * 4; /* 4 KiB pages */
}

/* The simulation's allocator: counts the bytes it holds, so the run can show that memory is
 * flat once warm and that freeing the simulation gives every byte back. */
typedef struct counting {
    size_t live, peak;
} counting;

static void *count_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    counting *c = ud;
    if (new_size == 0) {
        free(ptr);
        c->live -= old_size;
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (p) {
        c->live = c->live - old_size + new_size;
        if (c->live > c->peak)
            c->peak = c->live;
    }
    return p;
}

static uint32_t lcg_next(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*x >> 33);
}

static uint8_t pat(const slot *sl, uint32_t i)
{
    return (uint8_t)(sl->n * 31u + i * 7u + (uint32_t)sl->client);
}

static void slot_start(slot *sl);

static void slot_next_ev(viv_sim_t *sim, void *user)
{
    (void)sim;
    slot_start(user);
}

static void slot_end(slot *sl, int failed)
{
    soak *k = sl->k;
    if (sl->s) {
        viv_tcp_close(sl->s);
        sl->s = NULL;
    }
    if (failed)
        k->failed++;
    else
        k->connections++;
    viv_time_t think = (viv_time_t)(lcg_next(&sl->lcg) % 50000) * 1000; /* 0-50 ms */
    if (sl->n % 200 == 0)
        think += VIV_S(90);
    viv_sim_schedule_after(NULL, k->sim, think, slot_next_ev, sl);
}

static void slot_pump(slot *sl)
{
    uint8_t buf[4096];
    while (sl->s && sl->sent < sl->len) {
        uint32_t n = sl->len - sl->sent;
        if (n > sizeof buf)
            n = sizeof buf;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = pat(sl, sl->sent + i);
        int r = viv_tcp_send(sl->s, buf, n);
        if (r <= 0)
            return;
        sl->sent += (uint32_t)r;
    }
}

static void client_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    slot *sl = user;
    (void)s;
    if (ev & VIV_EV_ERROR) {
        slot_end(sl, 1);
        return;
    }
    if (ev & (VIV_EV_CONNECTED | VIV_EV_WRITABLE))
        slot_pump(sl);
    if (ev & VIV_EV_READABLE) {
        uint8_t buf[4096];
        int n;
        while ((n = viv_tcp_recv(sl->s, buf, sizeof buf)) > 0) {
            for (int i = 0; i < n; i++)
                if (buf[i] != pat(sl, sl->got + (uint32_t)i))
                    sl->k->bad_bytes++;
            sl->got += (uint32_t)n;
            sl->k->bytes += (uint64_t)n;
        }
        if (sl->got >= sl->len || n == 0)
            slot_end(sl, sl->got != sl->len);
    }
}

static void slot_start(slot *sl)
{
    soak *k = sl->k;
    sl->n++;
    sl->len = 1 + lcg_next(&sl->lcg) % SOAK_MAX_BYTES;
    sl->got = sl->sent = 0;
    if (viv_tcp_new(&sl->s, k->clients[sl->client], NULL, client_cb, sl) < 0) {
        k->failed++;
        return;
    }
    int srv = (int)((sl->client + sl->n) % SOAK_SERVERS);
    viv_sockaddr_t to = {VIV_IP4(10, 1, 0, (uint8_t)(200 + srv)), 7};
    if (viv_tcp_connect(sl->s, &to) != VIV_EINPROGRESS)
        slot_end(sl, 1);
}

static void echo_cb(viv_tcp_t *s, uint32_t ev, void *user)
{
    (void)user;
    if (ev & VIV_EV_ERROR) {
        viv_tcp_close(s);
        return;
    }
    if (ev & VIV_EV_READABLE) {
        uint8_t buf[4096];
        int n;
        /* A connection carries at most 20,000 bytes: the echo always fits the 64 KiB
         * send buffer. */
        while ((n = viv_tcp_recv(s, buf, sizeof buf)) > 0)
            viv_tcp_send(s, buf, (size_t)n);
        if (n == 0) /* the client closed (FIN): close too */
            viv_tcp_close(s);
    }
}

static void listener_cb(viv_tcp_t *l, uint32_t ev, void *user)
{
    (void)user;
    viv_tcp_t *s;
    if (ev & VIV_EV_ACCEPTABLE)
        while (viv_tcp_accept(&s, l, echo_cb, NULL) == 0) {
        }
}

static void restore_ev(viv_sim_t *sim, void *user)
{
    (void)sim;
    soak *k = user;
    if (k->cut_link)
        viv_link_set_up(k->cut_link, VIV_LINK_BOTH, 1);
    k->cut_link = NULL;
}

static void cut_ev(viv_sim_t *sim, void *user)
{
    soak *k = user;
    k->cut_link = k->client_links[k->next_cut++ % k->nclients];
    viv_link_set_up(k->cut_link, VIV_LINK_BOTH, 0);
    k->cuts++;
    viv_sim_schedule_after(NULL, sim, VIV_MS(1500), restore_ev, k);
    viv_sim_schedule_after(NULL, sim, VIV_S(20), cut_ev, k);
}

static viv_host_t *mkhost(viv_sim_t *sim, const char *name, viv_ip4_t ip)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    if (viv_host_new(&h, sim, &o) < 0 || viv_host_add_iface(h, NULL) < 0 ||
        viv_host_add_addr(h, 0, ip, 16) < 0)
        return NULL;
    return h;
}

int viv_bench_soak(int argc, char **argv);
int viv_bench_soak(int argc, char **argv)
{
    uint64_t events = 100000000, nclients = 40, nslots = 8, seed = 1;
    for (int i = 0; i + 1 < argc; i += 2) {
        uint64_t v = strtoull(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--events"))
            events = v;
        else if (!strcmp(argv[i], "--clients"))
            nclients = v;
        else if (!strcmp(argv[i], "--slots"))
            nslots = v;
        else if (!strcmp(argv[i], "--seed"))
            seed = v;
        else {
            fprintf(stderr, "viv_bench soak: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (argc % 2 || nclients == 0 || nclients > 190 || nslots == 0 || nslots > 64) {
        fprintf(stderr, "usage: viv_bench soak [--events N] [--clients 1..190] [--slots 1..64] "
                        "[--seed S]\n");
        return 2;
    }
    soak k;
    memset(&k, 0, sizeof k);
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    counting mem = {0, 0};
    so.alloc = count_alloc;
    so.alloc_ud = &mem;
    if (viv_sim_new(&k.sim, &so) < 0)
        return 1;
    k.nclients = (uint32_t)nclients;
    k.nslots = (uint32_t)nslots;
    k.clients = calloc(nclients, sizeof *k.clients);
    k.client_links = calloc(nclients, sizeof *k.client_links);
    k.slots = calloc(nclients * nslots, sizeof *k.slots);
    viv_switch_t *sw;
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_US(100);
    /* MAC entries age after 60 s (not the default 300 s), so that the 90 s sleeps age them
     * too, as they age ARP entries. */
    viv_switch_opts swo = VIV_SWITCH_OPTS_INIT;
    swo.aging_ns = VIV_S(60);
    if (!k.clients || !k.client_links || !k.slots ||
        viv_switch_new(&sw, k.sim, (uint32_t)nclients + SOAK_SERVERS, &swo) < 0)
        return 1;
    char name[32];
    for (uint32_t i = 0; i < k.nclients; i++) {
        snprintf(name, sizeof name, "client%u", i);
        k.clients[i] = mkhost(k.sim, name, VIV_IP4(10, 1, 0, (uint8_t)(1 + i)));
        if (!k.clients[i] || viv_link_new(&k.client_links[i], k.sim, viv_host_port(k.clients[i], 0),
                                          viv_switch_port(sw, i), &lp) < 0)
            return 1;
    }
    for (int s = 0; s < SOAK_SERVERS; s++) {
        snprintf(name, sizeof name, "server%d", s);
        k.servers[s] = mkhost(k.sim, name, VIV_IP4(10, 1, 0, (uint8_t)(200 + s)));
        viv_link_t *l;
        viv_sockaddr_t p7 = {VIV_IP4_ANY, 7};
        if (!k.servers[s] ||
            viv_link_new(&l, k.sim, viv_host_port(k.servers[s], 0),
                         viv_switch_port(sw, k.nclients + (uint32_t)s), &lp) < 0 ||
            viv_tcp_new(&k.listener[s], k.servers[s], NULL, listener_cb, NULL) < 0 ||
            viv_tcp_bind(k.listener[s], &p7) < 0 || viv_tcp_listen(k.listener[s], 1024) < 0)
            return 1;
    }
    for (uint32_t i = 0; i < k.nclients * k.nslots; i++) {
        slot *sl = &k.slots[i];
        sl->k = &k;
        sl->client = (int)(i / k.nslots);
        sl->lcg = seed * 0x9e3779b97f4a7c15ull + i;
        viv_sim_schedule_after(NULL, k.sim, (viv_time_t)i * VIV_US(37), slot_next_ev, sl);
    }
    viv_sim_schedule_after(NULL, k.sim, VIV_S(20), cut_ev, &k);

    double t0 = wall_now();
    long rss_warm = -1;
    uint64_t warm_events = 0;
    size_t live_warm = 0;
    size_t tenths[10] = {0};
    while (viv_sim_events(k.sim) < events) {
        if (viv_sim_run_for(k.sim, VIV_S(1)) < 0) {
            fprintf(stderr, "viv_bench soak: %s\n", viv_sim_errmsg(k.sim));
            return 1;
        }
        uint64_t tenth = viv_sim_events(k.sim) * 10 / events;
        if (tenth < 10 && !tenths[tenth])
            tenths[tenth] = mem.live / 1024;
        /* Warm: TIME-WAIT (60 s) has filled and emptied twice, and a tenth of the run is
         * done. */
        if (rss_warm < 0 && viv_sim_events(k.sim) >= events / 10 &&
            viv_sim_now(k.sim) >= VIV_S(150)) {
            rss_warm = rss_now_kb();
            warm_events = viv_sim_events(k.sim);
            live_warm = mem.live;
        }
    }
    double wall = wall_now() - t0;
    long rss_end = rss_now_kb();
    viv_switch_stats_t sws;
    viv_switch_stats(&sws, sw);
    viv_ip_stats_t ips;
    uint64_t arp_aged = 0;
    for (uint32_t i = 0; i < k.nclients; i++)
        if (viv_host_ip_stats(&ips, k.clients[i]) == 0)
            arp_aged += ips.arp_expired;
    size_t live_end = mem.live;
    uint64_t ev = viv_sim_events(k.sim);
    double sim_s = (double)viv_sim_now(k.sim) / 1e9;
    viv_sim_free(k.sim);
    long rss_freed = rss_now_kb();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("mode=soak clients=%u slots=%u events=%llu sim_s=%.1f wall_s=%.2f connections=%llu "
           "bytes=%llu failed=%llu bad_bytes=%llu cuts=%llu mac_aged=%llu arp_aged=%llu warm_events=%llu rss_warm_kb=%ld rss_end_kb=%ld "
           "rss_freed_kb=%ld peak_rss_kb=%ld live_warm_kb=%zu live_end_kb=%zu live_peak_kb=%zu "
           "live_after_free=%zu live_kb_by_tenth=%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu\n",
           k.nclients, k.nslots, (unsigned long long)ev, sim_s, wall,
           (unsigned long long)k.connections, (unsigned long long)k.bytes,
           (unsigned long long)k.failed, (unsigned long long)k.bad_bytes,
           (unsigned long long)k.cuts, (unsigned long long)sws.aged, (unsigned long long)arp_aged,
           (unsigned long long)warm_events, rss_warm, rss_end, rss_freed, ru.ru_maxrss, live_warm / 1024, live_end / 1024, mem.peak / 1024,
           mem.live, tenths[0], tenths[1], tenths[2], tenths[3], tenths[4], tenths[5], tenths[6],
           tenths[7], tenths[8], tenths[9]);
    free(k.clients);
    free(k.client_links);
    free(k.slots);
    return k.bad_bytes || mem.live ? 1 : 0;
}
