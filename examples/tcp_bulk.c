/* tcp_bulk: a bulk TCP transfer over a slow, lossy bottleneck, and its congestion window.
 *
 *     h1 ---- r1 ======== r2 ---- h2
 *       100 Mbit/s   10 Mbit/s   100 Mbit/s
 *          5 ms        10 ms        5 ms
 *              (100-frame drop-tail queue, loss on the data direction)
 *
 * The path of issue 18's s3 benchmark (`viv_bench tcp`): a 40 ms round trip, a 10 Mbit/s
 * bottleneck whose queue holds 100 frames, and independent random loss on the bottleneck in
 * the data direction only (ACKs are never lost). Frames are 1514 bytes and links carry
 * exactly those bytes (no preamble or inter-frame gap).
 *
 * Usage:
 *
 *     tcp_bulk [--bytes 10000000] [--loss 0] [--cc newreno|cubic] [--rfc] [--buf 1048576]
 *              [--interval-ms 10] [--seed 1] [--out tcp_bulk] [--no-plot]
 *     tcp_bulk --flows 2 [--cc newreno] [--cc2 cubic] [--rtt2-ms 40] [--seconds 60]
 *              [--warmup 10] [--loss 0] [--rfc] [--buf 1048576] [--interval-ms 10] [--seed 1]
 *              [--out tcp_bulk] [--no-plot]
 *
 * Counts are whole numbers; an option of the other mode (--bytes with two flows, --cc2,
 * --rtt2-ms, --seconds or --warmup with one) is refused rather than ignored. A bad argument
 * is reported on stderr, with exit status 2.
 *
 * One flow (the default): h1 sends --bytes to h2 with the algorithm --cc. It prints the
 * completion time (from the connect at 0.1 s to the last byte read), the goodput, the
 * segments sent and retransmitted, the retransmission timeouts and the fast recoveries, and
 * checks that every byte arrived as sent. It writes
 *   - <out>.csv: every --interval-ms, h1's cwnd, ssthresh, bytes in flight, SRTT, RTO and
 *     the bytes h2 has read so far (from viv_tcp_info_get(), on a periodic event); time in
 *     seconds, SRTT and RTO in milliseconds, the others in bytes (ssthresh empty until the
 *     first loss, SRTT 0 until the first round trip is measured);
 *   - <out>_cc.csv: every congestion-control change as it happens (the trace's
 *     VIV_TRACE_TCP_CC records: growth, recovery, timeouts);
 *   - <out>.png and <out>.svg, drawn by gnuplot from both (the script is <out>.gp), when
 *     gnuplot is installed. Without it the program says so and writes the CSV only.
 *
 * Two flows (--flows 2): h1 to h2 with --cc and h3 to h4 with --cc2 share the bottleneck
 * (h3 hangs on r1, h4 on r2). Flow 2's round trip is --rtt2-ms (at least 30 ms: its access
 * link's delay is adjusted). Both send without end from 0.1 s for --seconds; each one's
 * throughput counts what its receiver read after --warmup seconds. It prints each flow's
 * throughput and share, and Jain's fairness index (sum x)^2 / (n sum x^2): 1 when the flows
 * get the same, 1/n when one gets everything. The CSV has both flows' cwnd, SRTT and bytes
 * read; the plot draws them.
 *
 * Settings: vivarium's TCP defaults are Linux's (SACK, timestamps, window scaling, a 200 ms
 * minimum RTO, an initial window of 10 segments, delayed ACKs of 40 ms); --rfc takes the RFC
 * defaults instead (viv_tcp_tunables_rfc(): a 1 s minimum RTO, RFC 5681's initial window,
 * delayed ACKs of 200 ms, no SACK, no timestamps) on every host. Socket buffers are --buf
 * bytes (1 MiB, as Linux's autotuning would reach here; at most 16 MiB, the largest receive
 * buffer vivarium's TCP takes), so that the bottleneck, not the receive window, limits the
 * flow.
 *
 * Everything printed is exact and the same on every run with the same arguments. Examples:
 *
 *     tcp_bulk --loss 0.01 --cc cubic                 # a sawtooth at 1% loss
 *     tcp_bulk --bytes 50000000 --rfc                 # the RFC defaults, 50 MB
 *     tcp_bulk --flows 2 --cc newreno --cc2 cubic     # NewReno against CUBIC
 *     tcp_bulk --flows 2 --rtt2-ms 120                # the same algorithm, RTTs 40 and 120 ms
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tcp_bulk: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                                  \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ < 0)                                                                               \
            die(#call, rc_);                                                                       \
    } while (0)

static void usage(const char *why)
{
    fprintf(stderr, "tcp_bulk: %s\n(see the top of examples/tcp_bulk.c for the options)\n", why);
    exit(2);
}

/* ---- the command line ------------------------------------------------------------------- */

typedef struct config {
    uint64_t bytes;
    double loss;
    const char *cc, *cc2;
    int rfc;
    uint32_t buf;
    uint32_t interval_ms;
    uint64_t seed;
    const char *out;
    int plot;
    int flows;
    uint32_t rtt2_ms;
    uint32_t seconds, warmup;
    const char *one_flow_opt, *two_flow_opt; /* an option only that mode takes, if given */
} config;

static double num(const char *opt, const char *text, double lo, double hi)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "tcp_bulk: %s wants a number from %.15g to %.15g, not '%s'\n", opt, lo,
                hi, text);
        exit(2);
    }
    return v;
}

/* A whole number from lo to hi (a count, a size, a time in whole units). */
static uint64_t whole(const char *opt, const char *text, double lo, double hi)
{
    double v = num(opt, text, lo, hi);
    if (v != (double)(uint64_t)v) {
        fprintf(stderr, "tcp_bulk: %s wants a whole number, not '%s'\n", opt, text);
        exit(2);
    }
    return (uint64_t)v;
}

static void parse(config *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--rfc")) {
            c->rfc = 1;
            continue;
        }
        if (!strcmp(o, "--no-plot")) {
            c->plot = 0;
            continue;
        }
        if (i + 1 >= argc)
            usage("an option is unknown or lacks its value");
        const char *v = argv[++i];
        if (!strcmp(o, "--bytes"))
            c->bytes = whole(o, v, 1, 1e12), c->one_flow_opt = o;
        else if (!strcmp(o, "--loss"))
            c->loss = num(o, v, 0, 0.5);
        else if (!strcmp(o, "--cc"))
            c->cc = v;
        else if (!strcmp(o, "--cc2"))
            c->cc2 = v, c->two_flow_opt = o;
        else if (!strcmp(o, "--buf"))
            c->buf = (uint32_t)whole(o, v, 1024, 16 << 20);
        else if (!strcmp(o, "--interval-ms"))
            c->interval_ms = (uint32_t)whole(o, v, 1, 10000);
        else if (!strcmp(o, "--seed"))
            c->seed = whole(o, v, 0, 1e15);
        else if (!strcmp(o, "--out"))
            c->out = v;
        else if (!strcmp(o, "--flows"))
            c->flows = (int)whole(o, v, 1, 2);
        else if (!strcmp(o, "--rtt2-ms"))
            c->rtt2_ms = (uint32_t)whole(o, v, 30, 10000), c->two_flow_opt = o;
        else if (!strcmp(o, "--seconds"))
            c->seconds = (uint32_t)whole(o, v, 1, 36000), c->two_flow_opt = o;
        else if (!strcmp(o, "--warmup"))
            c->warmup = (uint32_t)whole(o, v, 0, 36000), c->two_flow_opt = o;
        else
            usage("unknown option");
    }
    if (c->flows == 1 && c->two_flow_opt) {
        fprintf(stderr, "tcp_bulk: %s is for two flows (--flows 2)\n", c->two_flow_opt);
        exit(2);
    }
    if (c->flows == 2 && c->one_flow_opt) {
        fprintf(stderr, "tcp_bulk: %s is for one flow; two flows send for --seconds\n",
                c->one_flow_opt);
        exit(2);
    }
    if (!c->cc2)
        c->cc2 = c->cc;
    if (c->flows == 2 && c->warmup >= c->seconds)
        usage("--warmup must be shorter than --seconds");
    if (strchr(c->out, '\'') || !c->out[0])
        usage("--out must be a non-empty name without quotes");
}

/* ---- one flow: a sender, a receiver, and what they count --------------------------------- */

#define PORT 5000
#define START_NS VIV_MS(100)

typedef struct flow {
    int id;
    viv_host_t *src, *dst;
    viv_sockaddr_t to;
    const viv_tcp_cc *cc;
    viv_tcp_t *tx, *rx, *listener;
    uint64_t limit;     /* bytes to send; UINT64_MAX: until the end of the run */
    uint64_t queued;    /* handed to viv_tcp_send() */
    uint64_t delivered; /* read by the receiver */
    uint64_t at_warmup; /* delivered when the warm-up ended */
    uint64_t bad;       /* bytes read that differ from what was sent */
    uint32_t rtt_ms;    /* the path's round trip without queueing */
    uint32_t mss;       /* the sender's segment size (data bytes), for the plot */
    viv_time_t done_at;
    int done;
} flow;

static viv_sim_t *sim;
static flow flows[2];
static int nflows;

/* Byte i of every stream is i mod 251: a misplaced segment does not match. */
static uint8_t pattern[65536 + 251];
static uint8_t readbuf[65536];

static void fill(flow *f)
{
    while (f->queued < f->limit) {
        uint64_t left = f->limit - f->queued;
        size_t n = left < 65536 ? (size_t)left : 65536;
        int rc = viv_tcp_send(f->tx, pattern + f->queued % 251, n);
        if (rc == VIV_EAGAIN)
            return; /* VIV_EV_WRITABLE comes when ACKs make room */
        if (rc < 0)
            die("viv_tcp_send", rc);
        f->queued += (uint64_t)rc;
    }
}

static void on_sender(viv_tcp_t *s, uint32_t events, void *user)
{
    if (events & VIV_EV_ERROR)
        die("the sender's connection", viv_tcp_error(s));
    if (events & (VIV_EV_CONNECTED | VIV_EV_WRITABLE))
        fill(user);
}

static int all_done(void)
{
    for (int i = 0; i < nflows; i++)
        if (!flows[i].done)
            return 0;
    return 1;
}

static void on_receiver(viv_tcp_t *s, uint32_t events, void *user)
{
    flow *f = user;
    if (events & VIV_EV_ERROR)
        die("the receiver's connection", viv_tcp_error(s));
    int n;
    while ((n = viv_tcp_recv(s, readbuf, sizeof readbuf)) > 0) {
        for (int i = 0; i < n; i++)
            f->bad += readbuf[i] != (uint8_t)((f->delivered + (uint64_t)i) % 251);
        f->delivered += (uint64_t)n;
    }
    if (!f->done && f->delivered >= f->limit) {
        f->done = 1;
        f->done_at = viv_sim_now(sim);
        if (all_done())
            viv_sim_stop(sim);
    }
}

static void on_listener(viv_tcp_t *l, uint32_t events, void *user)
{
    flow *f = user;
    if ((events & VIV_EV_ACCEPTABLE) && !f->rx)
        TRY(viv_tcp_accept(&f->rx, l, on_receiver, f));
}

static void start(viv_sim_t *s, void *user)
{
    flow *f = user;
    (void)s;
    int rc = viv_tcp_connect(f->tx, &f->to);
    if (rc != VIV_EINPROGRESS)
        die("viv_tcp_connect", rc);
}

static void open_flow(flow *f, const config *c)
{
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.sndbuf_bytes = c->buf;
    o.rcvbuf_bytes = c->buf;
    o.cc = f->cc;
    viv_sockaddr_t any = {VIV_IP4_ANY, PORT};
    TRY(viv_tcp_new(&f->listener, f->dst, &o, on_listener, f));
    TRY(viv_tcp_bind(f->listener, &any));
    TRY(viv_tcp_listen(f->listener, 0));
    TRY(viv_tcp_new(&f->tx, f->src, &o, on_sender, f));
    TRY(viv_sim_schedule_at(NULL, sim, START_NS, start, f));
}

/* ---- the path ------------------------------------------------------------------------ */

static viv_host_t *node(const char *name, uint32_t nifaces)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    if (nifaces > 1) {
        TRY(viv_router_new(&h, sim, nifaces, &o));
    } else {
        TRY(viv_host_new(&h, sim, &o));
        TRY(viv_host_add_iface(h, NULL));
    }
    return h;
}

/* A cable between two hosts' interfaces on a new /24; returns it. */
static viv_link_t *cable(viv_host_t *a, uint32_t ia, viv_host_t *b, uint32_t ib,
                         const char *cidr, const viv_link_params *p, viv_ip4_t *b_ip)
{
    viv_subnet_t *net;
    viv_link_t *l;
    TRY(viv_subnet_new(&net, sim, cidr));
    TRY(viv_subnet_attach(NULL, net, a, ia));
    TRY(viv_subnet_attach(b_ip, net, b, ib));
    TRY(viv_link_new(&l, sim, viv_host_port(a, ia), viv_host_port(b, ib), p));
    return l;
}

/* h1 - r1 = r2 - h2 (and h3 - r1, r2 - h4 for a second flow). Returns the bottleneck, whose
 * direction AB (r1 to r2) carries the data. */
static viv_link_t *build(const config *c)
{
    viv_link_params acc = VIV_LINK_PARAMS_INIT;
    acc.rate_bps = 100000000;
    acc.delay_ns = VIV_MS(5);
    acc.queue_frames = 100;
    acc.overhead_bytes = VIV_LINK_OVERHEAD_NONE; /* 1514-byte frames, nothing more */
    viv_link_params neck = acc;
    neck.rate_bps = 10000000;
    neck.delay_ns = VIV_MS(10);

    viv_host_t *r1 = node("r1", (uint32_t)nflows + 1), *r2 = node("r2", (uint32_t)nflows + 1);
    flows[0].src = node("h1", 1);
    flows[0].dst = node("h2", 1);
    flows[0].rtt_ms = 40;
    cable(flows[0].src, 0, r1, 0, "10.0.1.0/24", &acc, NULL);
    viv_link_t *l = cable(r1, (uint32_t)nflows, r2, 0, "10.0.2.0/24", &neck, NULL);
    cable(r2, 1, flows[0].dst, 0, "10.0.3.0/24", &acc, &flows[0].to.ip);
    if (nflows == 2) {
        /* Flow 2's round trip: 2 x (its access delay + 10 ms + 5 ms). */
        viv_link_params acc2 = acc;
        acc2.delay_ns = VIV_US(500) * (c->rtt2_ms - 30);
        flows[1].src = node("h3", 1);
        flows[1].dst = node("h4", 1);
        flows[1].rtt_ms = c->rtt2_ms;
        cable(flows[1].src, 0, r1, 1, "10.0.4.0/24", &acc2, NULL);
        cable(r2, 2, flows[1].dst, 0, "10.0.5.0/24", &acc, &flows[1].to.ip);
    }
    TRY(viv_link_set_loss(l, VIV_LINK_AB, c->loss));
    TRY(viv_sim_compute_routes(sim));
    return l;
}

/* ---- observing: periodic samples and the congestion-control trace ------------------------ */

static FILE *csv, *cc_csv;
static viv_time_t interval;
static uint64_t samples, cc_records;

static void sample(viv_sim_t *s, void *user)
{
    (void)user;
    fprintf(csv, "%.3f", (double)viv_sim_now(s) / 1e9);
    for (int i = 0; i < nflows; i++) {
        viv_tcp_info ti;
        TRY(viv_tcp_info_get(&ti, flows[i].tx));
        flows[i].mss = ti.snd_mss;
        /* ssthresh is "none" (UINT32_MAX) until the first loss: an empty field. */
        fprintf(csv, ",%u,", ti.cwnd);
        if (ti.ssthresh != UINT32_MAX)
            fprintf(csv, "%u", ti.ssthresh);
        fprintf(csv, ",%u,%.3f,%.3f,%llu", ti.in_flight, (double)ti.srtt_ns / 1e6,
                (double)ti.rto_ns / 1e6, (unsigned long long)flows[i].delivered);
    }
    fprintf(csv, "\n");
    samples++;
    TRY(viv_sim_schedule_after(NULL, s, interval, sample, NULL));
}

static const char *cc_event_name(int ev)
{
    switch (ev) {
    case VIV_TRACE_CC_GROW: return "grow";
    case VIV_TRACE_CC_RECOVERY_ENTER: return "recovery";
    case VIV_TRACE_CC_RECOVERY_EXIT: return "recovered";
    case VIV_TRACE_CC_TIMEOUT: return "timeout";
    case VIV_TRACE_CC_IDLE_RESTART: return "idle-restart";
    case VIV_TRACE_CC_PARTIAL_ACK: return "partial-ack";
    case VIV_TRACE_CC_INFLATE: return "inflate";
    default: return "other";
    }
}

/* The trace callback: read-only, it only writes what it sees. */
static void on_trace(const viv_trace_record *r, void *user)
{
    (void)user;
    if (r->kind != VIV_TRACE_TCP_CC)
        return;
    for (int i = 0; i < nflows; i++) {
        if (r->socket != (const void *)flows[i].tx)
            continue;
        fprintf(cc_csv, "%.6f,%d,%s,%u,", (double)r->time / 1e9, i + 1,
                cc_event_name(r->cc_event), r->cwnd);
        if (r->ssthresh != UINT32_MAX)
            fprintf(cc_csv, "%u", r->ssthresh);
        fprintf(cc_csv, ",%u\n", r->in_flight);
        cc_records++;
    }
}

static FILE *open_out(const char *out, const char *suffix, char *name, size_t cap)
{
    snprintf(name, cap, "%s%s", out, suffix);
    FILE *fp = fopen(name, "w");
    if (!fp) {
        fprintf(stderr, "tcp_bulk: cannot write %s\n", name);
        exit(1);
    }
    return fp;
}

/* ---- drawing with gnuplot, when it is there ------------------------------------------- */

static void plot(const config *c)
{
    char gp[1024];
    if (!c->plot) {
        printf("plots: not drawn (--no-plot)\n");
        return;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("plots: gnuplot is not installed; the CSV files are all there is\n");
        return;
    }
    FILE *g = open_out(c->out, ".gp", gp, sizeof gp);
    const char *o = c->out;
    fprintf(g, "# Written by tcp_bulk: draws %s.csv and %s_cc.csv.\n", o, o);
    fprintf(g, "set datafile separator ','\nset grid\nset key top left\n");
    fprintf(g, "set xlabel 'time (s)'\n");
    for (int t = 0; t < 2; t++) {
        if (t == 0)
            fprintf(g, "set terminal pngcairo size 1000,900\nset output '%s.png'\n", o);
        else
            fprintf(g, "set terminal svg size 1000,900\nset output '%s.svg'\n", o);
        fprintf(g, "set multiplot layout 3,1 title '%s'\n",
                nflows == 1 ? "one bulk transfer, 10 Mbit/s bottleneck"
                            : "two flows, one 10 Mbit/s bottleneck");
        /* Per flow, the sample's columns start at 2 + 6 * i: cwnd, ssthresh, in flight, SRTT,
         * RTO, delivered. */
        fprintf(g, "set ylabel 'segments (%u bytes)'\nplot ", flows[0].mss);
        for (int i = 0; i < nflows; i++) {
            int b = 2 + 6 * i;
            fprintf(g, "%s'%s.csv' skip 1 using 1:($%d/%u) with lines title 'cwnd %d (%s)', "
                    "'%s.csv' skip 1 using 1:($%d/%u) with lines title 'ssthresh %d'",
                    i ? ", " : "", o, b, flows[i].mss, i + 1, flows[i].cc->name, o, b + 1,
                    flows[i].mss, i + 1);
        }
        fprintf(g, "\nset ylabel 'ms'\nplot ");
        for (int i = 0; i < nflows; i++) {
            int b = 2 + 6 * i;
            fprintf(g, "%s'%s.csv' skip 1 using 1:%d with lines title 'SRTT %d', "
                    "'%s.csv' skip 1 using 1:%d with lines title 'RTO %d'",
                    i ? ", " : "", o, b + 3, i + 1, o, b + 4, i + 1);
        }
        fprintf(g, "\nset ylabel 'MB read by the receiver'\nplot ");
        for (int i = 0; i < nflows; i++)
            fprintf(g, "%s'%s.csv' skip 1 using 1:($%d/1e6) with lines title 'flow %d'",
                    i ? ", " : "", o, 2 + 6 * i + 5, i + 1);
        fprintf(g, "\nunset multiplot\n");
    }
    fclose(g);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", gp);
    if (system(cmd) == 0)
        printf("plots: %s.png and %s.svg (gnuplot script %s)\n", o, o, gp);
    else
        printf("plots: gnuplot failed on %s; the CSV files are all there is\n", gp);
}

/* ---- the runs ---------------------------------------------------------------------------- */

static void describe_settings(const config *c)
{
    viv_tcp_tunables t;
    TRY(viv_host_tcp_tunables_get(&t, flows[0].src));
    printf("settings: %s: SACK %s, timestamps %s, minimum RTO %.0f ms,\n          initial "
           "window ",
           c->rfc ? "RFC defaults (--rfc)" : "vivarium's, as Linux", t.sack ? "on" : "off",
           t.timestamps ? "on" : "off", (double)t.rto_min_ns / 1e6);
    if (t.initial_window)
        printf("%u segments", t.initial_window);
    else
        printf("RFC 5681's");
    printf(", delayed ACK %.0f ms, buffers %u bytes\n", (double)t.delack_ns / 1e6, c->buf);
}

static void snapshot_warmup(viv_sim_t *s, void *user)
{
    (void)s;
    (void)user;
    for (int i = 0; i < nflows; i++)
        flows[i].at_warmup = flows[i].delivered;
}

int main(int argc, char **argv)
{
    config c = {10000000, 0, "newreno", NULL, 0, 1u << 20, 10, 1, "tcp_bulk", 1, 1, 40, 60, 10,
                NULL, NULL};
    parse(&c, argc, argv);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i % 251);

    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = c.seed;
    TRY(viv_sim_new(&sim, &so));
    nflows = c.flows;
    flows[0].cc = viv_tcp_cc_find(c.cc);
    flows[1].cc = viv_tcp_cc_find(c.cc2);
    if (!flows[0].cc || !flows[1].cc)
        usage("unknown algorithm (newreno, cubic)");
    viv_link_t *neck = build(&c);
    if (c.rfc) {
        viv_tcp_tunables t;
        viv_tcp_tunables_rfc(&t);
        TRY(viv_sim_set_tcp_tunables(sim, &t));
    }
    for (int i = 0; i < nflows; i++) {
        flows[i].id = i + 1;
        flows[i].to.port = PORT;
        flows[i].limit = nflows == 1 ? c.bytes : UINT64_MAX;
        open_flow(&flows[i], &c);
    }

    char name[1024], cc_name[1024];
    csv = open_out(c.out, ".csv", name, sizeof name);
    cc_csv = open_out(c.out, "_cc.csv", cc_name, sizeof cc_name);
    fprintf(csv, "time_s");
    for (int i = 1; i <= nflows; i++)
        fprintf(csv, ",cwnd%d,ssthresh%d,in_flight%d,srtt%d_ms,rto%d_ms,delivered%d", i, i, i, i,
                i, i);
    fprintf(csv, "\n");
    fprintf(cc_csv, "time_s,flow,event,cwnd,ssthresh,in_flight\n");
    interval = VIV_MS(c.interval_ms);
    TRY(viv_sim_schedule_at(NULL, sim, START_NS, sample, NULL));
    TRY(viv_sim_trace(sim, on_trace, NULL));

    printf("path: h1 -- r1 == r2 -- h2, access 100 Mbit/s 5 ms, bottleneck 10 Mbit/s 10 ms\n"
           "      with a 100-frame queue, loss %.2f%% on the bottleneck (data direction)\n",
           c.loss * 100);
    if (nflows == 2)
        printf("      and h3 -- r1, r2 -- h4 for the second flow\n");
    describe_settings(&c);

    if (nflows == 1) {
        printf("transfer: %llu bytes from h1 to h2 with %s, from %.1f s\n\n",
               (unsigned long long)c.bytes, flows[0].cc->name, (double)START_NS / 1e9);
        TRY(viv_sim_run_until(sim, VIV_S(36000)));
        flow *f = &flows[0];
        if (!f->done)
            die("the transfer did not finish in 10 hours", VIV_ETIMEDOUT);
        viv_tcp_info ti;
        viv_link_stats_t ls;
        TRY(viv_tcp_info_get(&ti, f->tx));
        TRY(viv_link_stats(&ls, neck, VIV_LINK_AB));
        double secs = (double)(f->done_at - START_NS) / 1e9;
        printf("completion       %.6f s (connect to the last byte read)\n", secs);
        printf("goodput          %.4f Mbit/s\n", (double)c.bytes * 8 / secs / 1e6);
        printf("segments sent    %llu, %llu of them retransmissions (%.2f%%)\n",
               (unsigned long long)ti.segs_out, (unsigned long long)ti.retransmits,
               ti.segs_out ? 100.0 * (double)ti.retransmits / (double)ti.segs_out : 0.0);
        printf("timeouts         %llu\n", (unsigned long long)ti.timeouts);
        printf("fast recoveries  %llu\n", (unsigned long long)ti.fast_retransmits);
        printf("bottleneck       %llu frames lost, %llu dropped by the full queue\n",
               (unsigned long long)ls.drop_loss, (unsigned long long)ls.drop_queue);
        if (f->delivered != c.bytes || f->bad)
            die("the data arrived damaged", VIV_EINVAL);
        printf("delivered        %llu bytes, every one as sent\n",
               (unsigned long long)f->delivered);
    } else {
        viv_time_t end = START_NS + VIV_S(c.seconds);
        for (int i = 0; i < nflows; i++)
            printf("flow %d: %s to %s, %s, round trip %u ms\n", i + 1,
                   viv_node_name(viv_host_node(flows[i].src)),
                   viv_node_name(viv_host_node(flows[i].dst)), flows[i].cc->name,
                   flows[i].rtt_ms);
        printf("both send from %.1f s for %u s; throughput counted after %u s\n\n",
               (double)START_NS / 1e9, c.seconds, c.warmup);
        TRY(viv_sim_schedule_at(NULL, sim, START_NS + VIV_S(c.warmup), snapshot_warmup, NULL));
        TRY(viv_sim_run_until(sim, end));
        double x[2], sum = 0, sum2 = 0, span = (double)(c.seconds - c.warmup);
        for (int i = 0; i < nflows; i++) {
            if (flows[i].bad)
                die("the data arrived damaged", VIV_EINVAL);
            x[i] = (double)(flows[i].delivered - flows[i].at_warmup) * 8 / span / 1e6;
            sum += x[i];
            sum2 += x[i] * x[i];
        }
        for (int i = 0; i < nflows; i++) {
            viv_tcp_info ti;
            TRY(viv_tcp_info_get(&ti, flows[i].tx));
            printf("flow %d (%-7s) %7.4f Mbit/s  share %5.1f%%  retransmissions %llu, "
                   "timeouts %llu\n",
                   i + 1, flows[i].cc->name, x[i], sum > 0 ? 100 * x[i] / sum : 0.0,
                   (unsigned long long)ti.retransmits, (unsigned long long)ti.timeouts);
        }
        printf("together         %7.4f Mbit/s\n", sum);
        printf("Jain's fairness index %.4f\n", sum2 > 0 ? sum * sum / (nflows * sum2) : 0.0);
    }

    TRY(viv_sim_trace(sim, NULL, NULL));
    fclose(csv);
    fclose(cc_csv);
    printf("\nwrote %s (%llu samples, one every %u ms) and %s (%llu records)\n", name,
           (unsigned long long)samples, c.interval_ms, cc_name, (unsigned long long)cc_records);
    plot(&c);
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(sim),
           (unsigned long long)viv_sim_events(sim));
    viv_sim_free(sim);
    return 0;
}
