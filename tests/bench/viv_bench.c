/* viv_bench: vivarium's benchmark program, run on demand (docs/performance.md).
 *
 * Usage: viv_bench MODE [options]. Each mode is one row of the table `modes` below: a name,
 * a one-line usage and a function that parses its own options, runs the workload through the
 * public API only, and prints exactly one line of key=value pairs on stdout. To add a mode,
 * write its function and add a row.
 *
 * Unlike the library, a benchmark may read the wall clock (CLOCK_MONOTONIC) and the process's
 * peak memory (getrusage). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <vivarium.h>

/* ---- helpers shared by the modes ------------------------------------------------------- */

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* Parse an unsigned decimal option value; on error print a message and return -1. */
static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        fprintf(stderr, "viv_bench: %s wants an unsigned integer, not '%s'\n", opt, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* An option table entry: name and where its value goes. */
typedef struct bench_opt {
    const char *name;
    uint64_t *value;
    int required;
    int seen;
} bench_opt;

/* Parse "--name value" pairs into opts (terminated by a NULL name). Returns 0 or -1. */
static int parse_opts(int argc, char **argv, bench_opt *opts)
{
    for (int i = 0; i < argc; i++) {
        bench_opt *o = opts;
        while (o->name && strcmp(o->name, argv[i]) != 0)
            o++;
        if (!o->name) {
            fprintf(stderr, "viv_bench: unknown option '%s'\n", argv[i]);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "viv_bench: %s wants a value\n", argv[i]);
            return -1;
        }
        if (parse_u64(o->name, argv[++i], o->value) < 0)
            return -1;
        o->seen = 1;
    }
    for (bench_opt *o = opts; o->name; o++) {
        if (o->required && !o->seen) {
            fprintf(stderr, "viv_bench: %s is required\n", o->name);
            return -1;
        }
    }
    return 0;
}

/* ---- hold: the classic hold model of event-queue benchmarks ---------------------------- */

/* N events are kept pending; each executed event schedules one new event at now + Exp(mean
 * 1 ms) from the program's random stream, rounded to integer nanoseconds. After the fill, E
 * events run; the E-th schedules nothing and stops the run (as ns-3's s1_hold does). */
typedef struct hold_state {
    viv_rng_t rng;
    uint64_t target; /* events to run after the fill */
    uint64_t ran;
    int failed;
} hold_state;

#define HOLD_MEAN_NS 1e6

/* The process's CPU time: on a shared machine it varies far less than the wall clock
 * (issue 17 measured the run phase this way). */
static double hold_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static viv_time_t hold_delay(hold_state *h)
{
    return (viv_time_t)(viv_rng_exp(&h->rng, HOLD_MEAN_NS) + 0.5);
}

static void hold_event(viv_sim_t *sim, void *user)
{
    hold_state *h = user;
    if (++h->ran >= h->target) {
        viv_sim_stop(sim);
        return;
    }
    if (viv_sim_schedule_after(NULL, sim, hold_delay(h), hold_event, h) < 0) {
        h->failed = 1;
        viv_sim_stop(sim);
    }
}

static int mode_hold(int argc, char **argv)
{
    uint64_t pending = 0, events = 0, seed = 1;
    bench_opt opts[] = {
        {"--pending", &pending, 1, 0},
        {"--events", &events, 1, 0},
        {"--seed", &seed, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0)
        return 2;
    if (pending == 0 || events == 0) {
        fprintf(stderr, "viv_bench hold: --pending and --events must be positive\n");
        return 2;
    }

    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0) {
        fprintf(stderr, "viv_bench hold: out of memory\n");
        return 1;
    }
    hold_state h;
    memset(&h, 0, sizeof h);
    h.target = events;
    viv_sim_rng(&h.rng, sim, 1);
    for (uint64_t i = 0; i < pending; i++) {
        if (viv_sim_schedule_after(NULL, sim, hold_delay(&h), hold_event, &h) < 0) {
            fprintf(stderr, "viv_bench hold: %s\n", viv_sim_errmsg(sim));
            viv_sim_free(sim);
            return 1;
        }
    }

    double t0 = wall_seconds(), c0 = hold_cpu_seconds();
    int rc = viv_sim_run(sim);
    double secs = wall_seconds() - t0, cpu = hold_cpu_seconds() - c0;
    if (rc < 0 || h.failed || h.ran != events) {
        fprintf(stderr, "viv_bench hold: run failed after %llu events: %s\n",
                (unsigned long long)h.ran, viv_sim_errmsg(sim));
        viv_sim_free(sim);
        return 1;
    }
    printf("mode=hold pending=%llu events=%llu sim_end_ns=%llu seconds=%.4f "
           "events_per_sec=%.0f peak_rss_kb=%ld cpu_seconds=%.4f events_per_cpu_sec=%.0f\n",
           (unsigned long long)pending, (unsigned long long)events,
           (unsigned long long)viv_sim_now(sim), secs, (double)events / secs, peak_rss_kb(),
           cpu, (double)events / cpu);
    viv_sim_free(sim);
    return 0;
}


/* ---- lan and hub: UDP traffic between hosts on one switch or one hub ------------------- */

/* A host's sender: every interval, one datagram of `size` bytes to a uniformly random
 * destination among dests (the first after a uniformly random offset within the first
 * interval), `count` times; as ns-3's RandomUdpSender in shared/bench does. */
typedef struct udp_sender {
    viv_udp_t *sock;
    viv_rng_t rng;
    viv_sockaddr_t *dests;
    uint32_t ndests;
    viv_time_t interval;
    uint64_t count, done;
    uint64_t *sent, *failed;
} udp_sender;

static uint8_t payload[65536];

static void sender_fire(viv_sim_t *sim, void *user)
{
    udp_sender *s = user;
    uint32_t k = s->ndests == 1 ? 0 : (uint32_t)viv_rng_below(&s->rng, s->ndests);
    if (viv_udp_sendto(s->sock, payload, 1000, &s->dests[k]) >= 0)
        (*s->sent)++;
    else
        (*s->failed)++;
    if (++s->done < s->count)
        viv_sim_schedule_after(NULL, sim, s->interval, sender_fire, s);
}

/* A sink either copies every datagram out (viv_udp_recv into a buffer, as an application that
 * reads its data) or only counts it (viv_udp_discard, which gives the length without a copy).
 * ns-3's sink in shared/bench counts: its Recv() hands over a Packet, whose size it adds, and
 * an ns-3 packet carries no bytes to copy. So lan and hub, which are compared with ns-3, count
 * by default (--copy 1 copies); scale and fanout copy, as they did when their own earlier
 * figures were taken. */
typedef struct sink_stats {
    viv_sim_t *sim;
    uint64_t delivered;
    viv_time_t last; /* time of the last delivery */
    int copy;        /* 1: copy each datagram out; 0: count it */
    uint64_t bytes;  /* payload bytes delivered */
} sink_stats;

static void sink_cb(viv_udp_t *sock, uint32_t events, void *user)
{
    sink_stats *st = user;
    uint8_t buf[2048];
    if (!(events & VIV_EV_READABLE))
        return;
    int n;
    while ((n = st->copy ? viv_udp_recv(sock, buf, sizeof buf) : viv_udp_discard(sock)) >= 0) {
        st->delivered++;
        st->bytes += (uint64_t)n;
        st->last = viv_sim_now(st->sim);
    }
}

typedef struct lan_cfg {
    const char *mode;
    uint32_t hosts;
    int use_hub;
    uint64_t rate_bps;
    viv_time_t delay_ns;
    viv_time_t interval_ns;
    uint64_t per_host;
    viv_time_t start_ns;
    int ring; /* 1: host i sends to host i+1 only; 0: to a random other host */
    uint64_t seed;
    int copy; /* the sinks copy (1) or count (0): see sink_stats */
} lan_cfg;

static int run_lan(const lan_cfg *c)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = c->seed;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0)
        return 1;
    double t0 = wall_seconds();
    viv_hub_t *hub = NULL;
    viv_switch_t *sw = NULL;
    int rc = c->use_hub ? viv_hub_new(&hub, sim, c->hosts, NULL)
                        : viv_switch_new(&sw, sim, c->hosts, NULL);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = c->rate_bps;
    lp.delay_ns = c->delay_ns;
    lp.queue_frames = 1000;
    viv_host_t **h = calloc(c->hosts, sizeof(*h));
    udp_sender *snd = calloc(c->hosts, sizeof(*snd));
    viv_sockaddr_t *addrs = calloc(c->hosts, sizeof(*addrs));
    sink_stats sink = {sim, 0, 0, c->copy, 0};
    uint64_t sent = 0, failed = 0;
    for (uint32_t i = 0; rc >= 0 && i < c->hosts; i++) {
        viv_link_t *l;
        viv_udp_t *rx;
        viv_sockaddr_t any = {VIV_IP4_ANY, 9};
        /* 10.0.0.1 on: one /24 up to 250 hosts, one /16 beyond (10.0.0.255, 10.0.1.0 ...). */
        addrs[i] = (viv_sockaddr_t){VIV_IP4(10, 0, 0, 0) + 1 + i, 9};
        if ((rc = viv_host_new(&h[i], sim, NULL)) < 0 || (rc = viv_host_add_iface(h[i], NULL)) < 0 ||
            (rc = viv_link_new(&l, sim, viv_host_port(h[i], 0),
                               hub ? viv_hub_port(hub, i) : viv_switch_port(sw, i), &lp)) < 0 ||
            (rc = viv_host_add_addr(h[i], 0, addrs[i].ip, c->hosts <= 250 ? 24 : 16)) < 0 ||
            (rc = viv_udp_new(&rx, h[i], NULL, sink_cb, &sink)) < 0 ||
            (rc = viv_udp_bind(rx, &any)) < 0 ||
            (rc = viv_udp_new(&snd[i].sock, h[i], NULL, NULL, NULL)) < 0)
            break;
    }
    for (uint32_t i = 0; rc >= 0 && i < c->hosts; i++) {
        udp_sender *s = &snd[i];
        s->dests = calloc(c->hosts, sizeof(*s->dests));
        for (uint32_t j = 0; j < c->hosts; j++)
            if (c->ring ? j == (i + 1) % c->hosts : j != i)
                s->dests[s->ndests++] = addrs[j];
        viv_sim_rng(&s->rng, sim, 100 + i);
        s->interval = c->interval_ns;
        s->count = c->per_host;
        s->sent = &sent;
        s->failed = &failed;
        rc = viv_sim_schedule_at(NULL, sim, c->start_ns + viv_rng_below(&s->rng, c->interval_ns),
                                 sender_fire, s);
    }
    double t1 = wall_seconds();
    if (rc >= 0)
        rc = viv_sim_run(sim);
    double t2 = wall_seconds();
    if (rc < 0) {
        fprintf(stderr, "viv_bench %s: %s\n", c->mode, viv_sim_errmsg(sim));
    } else {
        double run_s = t2 - t1;
        printf("mode=%s hosts=%u size=1000 sink=%s sent=%llu send_failed=%llu delivered=%llu "
               "delivered_bytes=%llu last_delivery_ns=%llu setup_s=%.4f seconds=%.4f events=%llu "
               "delivered_per_wall_s=%.0f events_per_sec=%.0f peak_rss_kb=%ld\n",
               c->mode, c->hosts, c->copy ? "copy" : "count", (unsigned long long)sent,
               (unsigned long long)failed, (unsigned long long)sink.delivered,
               (unsigned long long)sink.bytes, (unsigned long long)sink.last, t1 - t0,
               run_s, (unsigned long long)viv_sim_events(sim), (double)sink.delivered / run_s,
               (double)viv_sim_events(sim) / run_s, peak_rss_kb());
    }
    viv_sim_free(sim);
    for (uint32_t i = 0; i < c->hosts; i++)
        free(snd[i].dests);
    free(snd);
    free(h);
    free(addrs);
    return rc < 0 ? 1 : 0;
}

/* lan: 32 hosts on one learning switch, 1 Gbit/s 1 us cables; each host sends 31,250
 * datagrams of 1000 bytes, one every 50 us from 1 ms on, each to a random other host
 * (1,000,000 in all; ARP on). ns-3's s2_switched_lan is the same workload on CSMA. */
static int mode_lan(int argc, char **argv)
{
    uint64_t seed = 1, hosts = 32, per_host = 31250, copy = 0;
    bench_opt opts[] = {
        {"--seed", &seed, 0, 0},
        {"--copy", &copy, 0, 0},
        {"--hosts", &hosts, 0, 0},
        {"--per-host", &per_host, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0 || hosts < 2 || hosts > 4096)
        return 2;
    lan_cfg c = {"lan", (uint32_t)hosts, 0, 1000000000u, VIV_US(1), VIV_US(50), per_host,
                 VIV_MS(1), 0, seed, copy != 0};
    return run_lan(&c);
}

/* hub: 8 hosts on one hub, 100 Mbit/s 1 us cables; host i sends 10 Mbit/s of 1000-byte
 * datagrams (one every 800 us) to host i+1 for 10 simulated seconds. ns-3's s4_hub is the same
 * workload on one shared CSMA channel; vivarium's hub repeats onto full-duplex cables. */
static int mode_hub(int argc, char **argv)
{
    uint64_t seed = 1, hosts = 8, seconds = 10, copy = 0;
    bench_opt opts[] = {
        {"--seed", &seed, 0, 0},
        {"--copy", &copy, 0, 0},
        {"--hosts", &hosts, 0, 0},
        {"--seconds", &seconds, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0 || hosts < 2 || hosts > 250)
        return 2;
    viv_time_t interval = VIV_US(800); /* 1000 bytes * 8 / 10 Mbit/s */
    lan_cfg c = {"hub", (uint32_t)hosts, 1, 100000000u, VIV_US(1), interval,
                 VIV_S(seconds) / interval, 0, 1, seed, copy != 0};
    return run_lan(&c);
}


/* ---- scale: subnets of hosts around one router (issue 17: up to 4,000 x 250) ----------- */

/* subnets x per_subnet hosts, a switch per subnet (1 Gbit/s, 1 us cables), every switch
 * uplinked to one core router (address .1 of each subnet). Subnet sn is 10.(sn / 256).(sn %
 * 256).0/24, so up to 4,000 subnets of 250 hosts (1,000,000 hosts) fit. Routes are either
 * default routes to .1 (--compute 0, ns-3's routing=static) or computed for the whole
 * topology by viv_sim_compute_routes() (--compute 1, ns-3's routing=global, which takes 48 s
 * there at 1,000 hosts). Every host then sends `count` 1000-byte datagrams, one every 10 ms
 * from 1 ms on, each to a random host of another subnet, as ns-3's s5_scale does (the draw
 * is an index among the other subnets' hosts, as a list of them would be, without the list).
 *
 * --sockets 2 (the default) gives every host a receiving socket on port 9 and a sending one
 * on an ephemeral port; --sockets 1 sends from the receiving socket (port 9), which saves
 * the second socket and the ephemeral-port state (about 2.8 KB a host).
 *
 * Printed: the CPU time (CLOCK_PROCESS_CPUTIME_ID, issue 17's measure) and the wall time of
 * the build, the route computation and the run, the routes the computation added and the
 * routes in all tables, and the peak RSS after set-up and at the end. */
typedef struct scale_ctx {
    uint32_t nh, per;
    uint64_t count;
    uint64_t sent, failed;
} scale_ctx;

typedef struct scale_sender {
    viv_udp_t *sock;
    scale_ctx *ctx;
    viv_rng_t rng;
    uint32_t index;
    uint32_t done;
} scale_sender;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static viv_ip4_t scale_addr(uint32_t sn, uint32_t k)
{
    return VIV_IP4(10, sn >> 8, sn & 255, 2 + k);
}

static void scale_fire(viv_sim_t *sim, void *user)
{
    scale_sender *s = user;
    scale_ctx *c = s->ctx;
    uint32_t own = s->index / c->per;
    uint32_t j = (uint32_t)viv_rng_below(&s->rng, c->nh - c->per);
    if (j >= own * c->per)
        j += c->per; /* skip the sender's own subnet */
    viv_sockaddr_t to = {scale_addr(j / c->per, j % c->per), 9};
    if (viv_udp_sendto(s->sock, payload, 1000, &to) >= 0)
        c->sent++;
    else
        c->failed++;
    if (++s->done < c->count)
        viv_sim_schedule_after(NULL, sim, VIV_MS(10), scale_fire, s);
}

static int mode_scale(int argc, char **argv)
{
    uint64_t seed = 1, subnets = 10, per = 100, count = 5, compute = 1, sockets = 2;
    bench_opt opts[] = {
        {"--seed", &seed, 0, 0},       {"--subnets", &subnets, 0, 0},
        {"--per-subnet", &per, 0, 0},  {"--count", &count, 0, 0},
        {"--compute", &compute, 0, 0}, {"--sockets", &sockets, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0 || subnets < 2 || subnets > 4000 || per < 1 ||
        per > 250 || sockets < 1 || sockets > 2) {
        fprintf(stderr, "viv_bench scale: --subnets 2..4000, --per-subnet 1..250, "
                        "--sockets 1..2\n");
        return 2;
    }
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0)
        return 1;
    double c0 = cpu_seconds(), t0 = wall_seconds();
    scale_ctx ctx = {(uint32_t)(subnets * per), (uint32_t)per, count, 0, 0};
    uint32_t nh = ctx.nh;
    scale_sender *snd = calloc(nh, sizeof(*snd));
    viv_host_t **hosts = calloc(nh, sizeof(*hosts));
    sink_stats sink = {sim, 0, 0, 1, 0};
    viv_host_t *router;
    /* The router resolves every host it forwards to: let its ARP cache hold them all. */
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.arp_max_entries = nh;
    int rc = !snd || !hosts ? VIV_ENOMEM : viv_router_new(&router, sim, (uint32_t)subnets, &ro);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000000u;
    lp.delay_ns = VIV_US(1);
    lp.queue_frames = 1000;
    for (uint32_t sn = 0; rc >= 0 && sn < subnets; sn++) {
        viv_switch_t *sw;
        viv_link_t *l;
        viv_ip4_t gw = VIV_IP4(10, sn >> 8, sn & 255, 1);
        if ((rc = viv_switch_new(&sw, sim, (uint32_t)per + 1, NULL)) < 0 ||
            (rc = viv_link_new(&l, sim, viv_host_port(router, sn), viv_switch_port(sw, 0), &lp)) <
                0 ||
            (rc = viv_host_add_addr(router, sn, gw, 24)) < 0)
            break;
        for (uint32_t k = 0; k < per; k++) {
            uint32_t i = sn * (uint32_t)per + k;
            viv_host_t *h;
            viv_udp_t *rx;
            viv_sockaddr_t any = {VIV_IP4_ANY, 9};
            if ((rc = viv_host_new(&h, sim, NULL)) < 0 || (rc = viv_host_add_iface(h, NULL)) < 0 ||
                (rc = viv_link_new(&l, sim, viv_host_port(h, 0), viv_switch_port(sw, k + 1),
                                   &lp)) < 0 ||
                (rc = viv_host_add_addr(h, 0, scale_addr(sn, k), 24)) < 0 ||
                (!compute && (rc = viv_host_set_gateway(h, gw)) < 0) ||
                (rc = viv_udp_new(&rx, h, NULL, sink_cb, &sink)) < 0 ||
                (rc = viv_udp_bind(rx, &any)) < 0 ||
                (sockets == 2 && (rc = viv_udp_new(&snd[i].sock, h, NULL, NULL, NULL)) < 0))
                break;
            if (sockets == 1)
                snd[i].sock = rx; /* sends from port 9 too: no second socket, no ephemeral port */
            hosts[i] = h;
        }
    }
    double c_built = cpu_seconds(), t_built = wall_seconds();
    int routes = 0;
    if (rc >= 0 && compute)
        rc = routes = viv_sim_compute_routes(sim);
    double c_routed = cpu_seconds(), t_routed = wall_seconds();
    uint64_t routes_total = 0;
    if (rc >= 0) {
        routes_total = (uint64_t)viv_host_routes(router, NULL, 0);
        for (uint32_t i = 0; i < nh; i++)
            routes_total += (uint64_t)viv_host_routes(hosts[i], NULL, 0);
    }
    for (uint32_t i = 0; rc >= 0 && count && i < nh; i++) { /* --count 0: set-up only */
        scale_sender *s = &snd[i];
        s->ctx = &ctx;
        s->index = i;
        viv_sim_rng(&s->rng, sim, 1000 + i);
        rc = viv_sim_schedule_at(NULL, sim, VIV_MS(1) + viv_rng_below(&s->rng, VIV_MS(10)),
                                 scale_fire, s);
    }
    long rss_setup = peak_rss_kb();
    double c1 = cpu_seconds(), t1 = wall_seconds();
    if (rc >= 0)
        rc = viv_sim_run(sim);
    double c2 = cpu_seconds(), t2 = wall_seconds();
    if (rc < 0) {
        fprintf(stderr, "viv_bench scale: %s\n", viv_sim_errmsg(sim));
    } else {
        printf("mode=scale subnets=%llu per_subnet=%llu hosts=%u sockets=%llu compute=%llu "
               "routes=%d "
               "routes_total=%llu sent=%llu send_failed=%llu delivered=%llu "
               "build_cpu_s=%.4f routing_cpu_s=%.4f run_cpu_s=%.4f "
               "build_s=%.4f routing_s=%.4f setup_s=%.4f seconds=%.4f events=%llu "
               "delivered_per_wall_s=%.0f peak_rss_setup_kb=%ld peak_rss_kb=%ld\n",
               (unsigned long long)subnets, (unsigned long long)per, nh,
               (unsigned long long)sockets, (unsigned long long)compute, routes, (unsigned long long)routes_total,
               (unsigned long long)ctx.sent, (unsigned long long)ctx.failed,
               (unsigned long long)sink.delivered, c_built - c0, c_routed - c_built, c2 - c1,
               t_built - t0, t_routed - t_built, t1 - t0, t2 - t1,
               (unsigned long long)viv_sim_events(sim), (double)sink.delivered / (t2 - t1),
               rss_setup, peak_rss_kb());
    }
    viv_sim_free(sim);
    free(hosts);
    free(snd);
    return rc < 0 ? 1 : 0;
}

/* ---- fanout: one router with many interfaces (issue 17: 4,000 against 10) ---------------- */

/* A router with N interfaces, each cabled straight to one host (1 Gbit/s, 1 us) on its own
 * /24, 10.(i / 256).(i % 256).0/24, the router at .1 as the host's default gateway. Every host
 * sends `count` 1000-byte datagrams, one every ms from a random offset in the first ms, each
 * to a random host on another interface. Every datagram crosses the router once, so the
 * instructions per datagram (callgrind, the difference of two counts) show what a router's
 * per-packet work costs as its interface count grows. */
typedef struct fanout_sender {
    viv_udp_t *sock;
    viv_rng_t rng;
    uint32_t index, n, done, count;
    uint64_t *sent, *failed;
} fanout_sender;

static void fanout_fire(viv_sim_t *sim, void *user)
{
    fanout_sender *s = user;
    uint32_t j = (uint32_t)viv_rng_below(&s->rng, s->n - 1);
    if (j >= s->index)
        j++;
    viv_sockaddr_t to = {VIV_IP4(10, j >> 8, j & 255, 2), 9};
    if (viv_udp_sendto(s->sock, payload, 1000, &to) >= 0)
        (*s->sent)++;
    else
        (*s->failed)++;
    if (++s->done < s->count)
        viv_sim_schedule_after(NULL, sim, VIV_MS(1), fanout_fire, s);
}

static int mode_fanout(int argc, char **argv)
{
    uint64_t seed = 1, ifaces = 10, count = 100;
    bench_opt opts[] = {
        {"--seed", &seed, 0, 0},
        {"--ifaces", &ifaces, 0, 0},
        {"--count", &count, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0 || ifaces < 2 || ifaces > 4096 || count < 1 ||
        count > UINT32_MAX) {
        fprintf(stderr, "viv_bench fanout: --ifaces 2..4096, --count 1 or more\n");
        return 2;
    }
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0)
        return 1;
    uint32_t n = (uint32_t)ifaces;
    fanout_sender *snd = calloc(n, sizeof(*snd));
    sink_stats sink = {sim, 0, 0, 1, 0};
    uint64_t sent = 0, failed = 0;
    viv_host_t *router;
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.arp_max_entries = n;
    int rc = !snd ? VIV_ENOMEM : viv_router_new(&router, sim, n, &ro);
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000000u;
    lp.delay_ns = VIV_US(1);
    lp.queue_frames = 1000;
    for (uint32_t i = 0; rc >= 0 && i < n; i++) {
        viv_host_t *h;
        viv_link_t *l;
        viv_udp_t *rx;
        viv_sockaddr_t any = {VIV_IP4_ANY, 9};
        viv_ip4_t gw = VIV_IP4(10, i >> 8, i & 255, 1);
        if ((rc = viv_host_add_addr(router, i, gw, 24)) < 0 ||
            (rc = viv_host_new(&h, sim, NULL)) < 0 || (rc = viv_host_add_iface(h, NULL)) < 0 ||
            (rc = viv_link_new(&l, sim, viv_host_port(h, 0), viv_host_port(router, i), &lp)) < 0 ||
            (rc = viv_host_add_addr(h, 0, gw + 1, 24)) < 0 ||
            (rc = viv_host_set_gateway(h, gw)) < 0 ||
            (rc = viv_udp_new(&rx, h, NULL, sink_cb, &sink)) < 0 ||
            (rc = viv_udp_bind(rx, &any)) < 0 ||
            (rc = viv_udp_new(&snd[i].sock, h, NULL, NULL, NULL)) < 0)
            break;
        fanout_sender *s = &snd[i];
        s->index = i;
        s->n = n;
        s->count = (uint32_t)count;
        s->sent = &sent;
        s->failed = &failed;
        viv_sim_rng(&s->rng, sim, 1000 + i);
        rc = viv_sim_schedule_at(NULL, sim, VIV_MS(1) + viv_rng_below(&s->rng, VIV_MS(1)),
                                 fanout_fire, s);
    }
    double c1 = cpu_seconds();
    if (rc >= 0)
        rc = viv_sim_run(sim);
    double c2 = cpu_seconds();
    if (rc < 0) {
        fprintf(stderr, "viv_bench fanout: %s\n", viv_sim_errmsg(sim));
    } else {
        viv_ip_stats_t st;
        viv_host_ip_stats(&st, router);
        printf("mode=fanout ifaces=%u count=%llu sent=%llu send_failed=%llu forwarded=%llu "
               "delivered=%llu run_cpu_s=%.4f events=%llu peak_rss_kb=%ld\n",
               n, (unsigned long long)count, (unsigned long long)sent,
               (unsigned long long)failed, (unsigned long long)st.ip_forwarded,
               (unsigned long long)sink.delivered, c2 - c1,
               (unsigned long long)viv_sim_events(sim), peak_rss_kb());
    }
    viv_sim_free(sim);
    free(snd);
    return rc < 0 ? 1 : 0;
}

/* ---- rearm: a retransmission timer re-armed on every ACK (bench_rearm.c) ------------------ */

int viv_bench_rearm(uint64_t acks, uint64_t gap_ns, uint64_t rto_ns, int use_timer);

static int mode_rearm(int argc, char **argv)
{
    uint64_t acks = 1000000, gap = 12000, rto = 200000000, timer = 1;
    bench_opt opts[] = {
        {"--acks", &acks, 0, 0},   {"--gap-ns", &gap, 0, 0},
        {"--rto-ns", &rto, 0, 0},  {"--timer", &timer, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0)
        return 2;
    if (acks == 0 || gap == 0) {
        fprintf(stderr, "viv_bench rearm: --acks and --gap-ns must be positive\n");
        return 2;
    }
    return viv_bench_rearm(acks, gap, rto, timer != 0);
}

int viv_bench_tcp(int argc, char **argv); /* bench_tcp.c */

/* ---- inflight: the memory of frames in flight (bench_inflight.c) ------------------------- */

int viv_bench_inflight(uint64_t frames, uint64_t size);

static int mode_inflight(int argc, char **argv)
{
    uint64_t frames = 1000000, size = 60;
    bench_opt opts[] = {
        {"--frames", &frames, 0, 0},
        {"--size", &size, 0, 0},
        {NULL, NULL, 0, 0},
    };
    if (parse_opts(argc, argv, opts) < 0)
        return 2;
    if (frames == 0 || frames > 100000000 || size < 60 || size > 65535 + 14) {
        fprintf(stderr, "viv_bench inflight: --frames 1..1e8, --size 60..65549\n");
        return 2;
    }
    return viv_bench_inflight(frames, size);
}

/* ---- the table of modes ---------------------------------------------------------------- */

typedef struct bench_mode {
    const char *name;
    const char *usage;
    int (*run)(int argc, char **argv); /* the arguments after the mode name */
} bench_mode;

int viv_bench_soak(int argc, char **argv); /* bench_soak.c */

static const bench_mode modes[] = {
    {"hold", "hold --pending N --events E [--seed S]", mode_hold},
    {"soak", "soak [--events 100000000] [--clients 40] [--slots 8] [--seed S]", viv_bench_soak},
    {"lan", "lan [--hosts 32] [--per-host 31250] [--copy 0|1] [--seed S]", mode_lan},
    {"hub", "hub [--hosts 8] [--seconds 10] [--copy 0|1] [--seed S]", mode_hub},
    {"scale", "scale [--subnets 10 (2..4000)] [--per-subnet 100 (1..250)] [--count 5] [--compute 1] "
              "[--sockets 2|1] [--seed S]",
     mode_scale},
    {"tcp", "tcp [--bytes 50000000] [--loss 0] [--cc newreno|cubic] [--sack 0|1] [--rfc] "
            "[--buf 131072] [--check 0|1] [--read peek|copy] [--fp 0|1] [--pcap FILE] [--trace FILE] "
            "[--seed S]",
     viv_bench_tcp},
    {"fanout", "fanout [--ifaces 10 (2..4096)] [--count 100] [--seed S]", mode_fanout},
    {"rearm", "rearm [--acks 1000000] [--gap-ns 12000] [--rto-ns 200000000] [--timer 1|0]",
     mode_rearm},
    {"inflight", "inflight [--frames 1000000] [--size 60]", mode_inflight},
};

static int usage(void)
{
    fprintf(stderr, "usage: viv_bench MODE [options]; modes:\n");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        fprintf(stderr, "  viv_bench %s\n", modes[i].usage);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            return modes[i].run(argc - 2, argv + 2);
    fprintf(stderr, "viv_bench: unknown mode '%s'\n", argv[1]);
    return usage();
}
