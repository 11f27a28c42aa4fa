/* viv_bench tcp: one bulk TCP transfer over a routed path with a slow bottleneck (issue 18).
 *
 *     h1 ---------------- r1 ================ r2 ---------------- h2
 *          100 Mbit/s 5 ms       10 Mbit/s 10 ms      100 Mbit/s 5 ms
 *                           (100-frame drop-tail queue)
 *
 * The same workload as ns-3's s3_routed_tcp.cc (shared bench): h1 connects to h2:5000 at
 * 0.1 s and sends --bytes (default 50,000,000) as fast as TCP lets it; h2 reads everything.
 * Optional independent loss (--loss) on the bottleneck in the data direction only (r1 to r2:
 * ns-3 puts its error model on r2's receiving device), so ACKs are never lost. Frames are
 * 1514 bytes (1448 bytes of data with timestamps, 1460 without) and links serialise exactly
 * those bytes (no preamble or gap: the Linux emulation of the figures carries
 * 1514-byte frames, ns-3's point-to-point links 1502). Socket buffers are ns-3's 131,072
 * bytes (clamped by TCP to what it can announce: 65,535 without window scaling).
 *
 * TCP settings: vivarium's defaults, which are Linux's (SACK, timestamps, window scaling,
 * 200 ms minimum RTO, initial window 10, delayed ACK 40 ms), or RFC defaults with --rfc
 * (viv_tcp_tunables_rfc(): 1 s minimum RTO, RFC 5681's initial window, delayed ACK 200 ms,
 * no SACK, no timestamps), on both hosts. --cc (default newreno, the algorithm of ns-3's s3) and
 * --sack override either.
 *
 * Printed, as one key=value line: completion_s (from the connect at 0.1 s to the last byte
 * read, as s3 measures it), goodput_mbps (bytes * 8 / completion_s), data_segments (segments
 * with data h1 sent, retransmissions included: s3's data_segs), retx_segs, timeouts, the
 * bottleneck's drops (drops_queue, drops_loss), events, wall_s (wall time around the run
 * only), peak_rss_kb. Counts are taken after the handshake, from viv_tcp_info_get(), so that
 * nothing observes the run while it goes (a trace subscription costs about half as much
 * again); they include the rare pure ACK h1 sends once connected (answering a duplicate
 * SYN-ACK). --check 1 also counts every segment h1 sends through the trace (s3's way: a
 * retransmission is a data segment starting below the highest sequence sent), prints the
 * data segments and pure ACKs apart, and fails if the two counts disagree. --fp 1 prints the
 * simulation's fingerprint at the end as well (viv_sim_fingerprint(): the check that a change
 * kept the run identical, frame for frame). --pcap FILE writes every frame of the run to FILE
 * (pcap, nanosecond times): each link's both directions as a tap sees them (at the start of
 * transmission, lost frames included) and each of the six ports' sends and arrivals, in the
 * order they happen; two builds whose runs put the same frames on the wires at the same
 * times write byte-identical files (`cmp`), whatever their events were. --trace FILE writes
 * every trace record as a line of text (time, kind, where, and every field, the frame's
 * bytes included; sockets and links by role, not address), for the same comparison of what
 * TCP did (states, timers started and expired, congestion control).
 *
 * Every byte is checked, unless told otherwise: h1 sends a fixed pseudo-random pattern, h2
 * compares what it reads with it, and the run fails unless exactly --bytes bytes arrived, all
 * equal to it. h2 reads in place by default (--read peek: viv_tcp_peek() and memcmp where the
 * bytes lie, then viv_tcp_consume(), up to 64 KiB per consume), or copies (--read copy:
 * viv_tcp_recv() into a 64 KiB buffer, compared there), or counts (--read count: the same
 * amounts consumed unread, as ns-3's PacketSink, which has no bytes to read; the line then
 * says verified=0). All three take the same amounts per call, so the run is the same any way
 * (the same fingerprint); the line says which (read=). h1 writes with viv_tcp_send() by
 * default (--write copy: the pattern copied into the send buffer, 64 KiB a call), or from a
 * source (--write source: viv_tcp_send_source(), the bytes taken from the pattern as each
 * segment is built, as ns-3's BulkSend sends without copying; write=). Either way the same
 * bytes travel, in the same segments.
 *
 * Written against the public API only. Unlike the library, a benchmark may read the wall
 * clock and the process's peak memory. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <vivarium.h>

int viv_bench_tcp(int argc, char **argv);

/* The wall clock and the peak memory, as viv_bench.c's helpers read them. */
static double tcp_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long tcp_peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* ---- the data: a pseudo-random pattern with a prime period ----------------------------- */

/* Byte i of the stream is pat[i % PAT_PERIOD]; pat holds PAT_CHUNK bytes more than a period
 * so that any chunk of up to PAT_CHUNK bytes is contiguous. The period is prime, so it is no
 * multiple of any segment size: a segment delivered at the wrong offset does not match. */
#define PAT_PERIOD 65521u
#define PAT_CHUNK 65536u
static uint8_t pat[PAT_PERIOD + PAT_CHUNK];
static uint8_t rxbuf[PAT_CHUNK];

static void pattern_init(void)
{
    uint32_t x = 2463534242u; /* xorshift32: any fixed non-trivial sequence does */
    for (uint32_t i = 0; i < PAT_PERIOD; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pat[i] = (uint8_t)(x >> 24);
    }
    /* The tail repeats the start; a chunk is longer than a period, so byte by byte (the
     * ranges of one memcpy would overlap). */
    for (uint32_t i = PAT_PERIOD; i < PAT_PERIOD + PAT_CHUNK; i++)
        pat[i] = pat[i - PAT_PERIOD];
}

/* ---- the run ---------------------------------------------------------------------------- */

#define TCP_PORT 5000
#define TCP_START_NS VIV_MS(100) /* s3 starts its BulkSend at 0.1 s */
#define TCP_STOP_NS VIV_S(3600)  /* and stops the simulation at 3600 s */

typedef struct tcp_bench {
    viv_sim_t *sim;
    viv_host_t *h1, *h2;
    viv_tcp_t *tx, *rx, *listener;
    viv_sockaddr_t dst;
    uint64_t bytes;      /* to transfer */
    uint64_t queued;     /* handed to viv_tcp_send() */
    uint64_t delivered;  /* read by h2, each byte checked */
    uint64_t bad_offset; /* the first byte that differed, UINT64_MAX if none */
    viv_time_t done_at;  /* when the last byte was read */
    int done;
    int read_mode; /* READ_PEEK, READ_COPY or READ_COUNT (--read) */
    int err;       /* a socket error, or 0 */
    const char *err_where;
    viv_tcp_info at_connect; /* h1's counters once connected (the handshake's segments) */
    viv_link_t *links[3];    /* h1-r1, r1-r2 (the bottleneck), r2-h2 */
    viv_port_t *ports[6];    /* h1, r1 (2), r2 (2), h2 */
    /* --check: counted from the trace, s3's way. */
    uint64_t tr_data, tr_retx, tr_pure;
    int connected;
    int check;        /* --check 1 */
    FILE *trace_out;  /* --trace FILE */
    uint32_t tr_high; /* the highest sequence number sent, relative to the ISS */
    int tr_have_high;
} tcp_bench;

static void tcp_fail(tcp_bench *b, const char *where, int rc)
{
    if (!b->err) {
        b->err = rc;
        b->err_where = where;
    }
    viv_sim_stop(b->sim);
}

/* --write source: the stream's bytes where they lie in the pattern. */
static const void *tcp_source(void *user, uint64_t off, size_t *n)
{
    (void)user;
    if (*n > PAT_CHUNK)
        *n = PAT_CHUNK;
    return pat + off % PAT_PERIOD;
}

/* After a send call: 1 to go on, 0 to wait for VIV_EV_WRITABLE (or after a failure). */
static int tcp_sent(tcp_bench *b, int rc, const char *call)
{
    if (rc == VIV_EAGAIN)
        return 0; /* VIV_EV_WRITABLE will come */
    if (rc < 0) {
        tcp_fail(b, call, rc);
        return 0;
    }
    b->queued += (uint64_t)rc;
    return 1;
}

/* h1's callbacks, one for each way of writing (each its own function, as h2's: the compiler
 * inlines the library's sending call into each as for a program that writes one way): queue
 * as much of the stream as h1's send buffer takes. */
static int tcp_tx_wanted(tcp_bench *b, viv_tcp_t *s, uint32_t events)
{
    if (events & VIV_EV_ERROR) {
        tcp_fail(b, "h1's connection", viv_tcp_error(s));
        return 0;
    }
    if ((events & VIV_EV_CONNECTED) && !b->connected) {
        viv_tcp_info_get(&b->at_connect, s);
        b->connected = 1;
    }
    return (events & (VIV_EV_CONNECTED | VIV_EV_WRITABLE)) != 0;
}

/* --write copy: viv_tcp_send() from the pattern, 64 KiB at most a call. */
static void tcp_on_tx_copy(viv_tcp_t *s, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (!tcp_tx_wanted(b, s, events))
        return;
    while (b->queued < b->bytes) {
        uint64_t left = b->bytes - b->queued;
        size_t n = left < PAT_CHUNK ? (size_t)left : PAT_CHUNK;
        if (!tcp_sent(b, viv_tcp_send(s, pat + b->queued % PAT_PERIOD, n), "viv_tcp_send"))
            return;
    }
}

/* --write source: the rest of the stream from the source, as far as the buffer counts it. */
static void tcp_on_tx_source(viv_tcp_t *s, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (!tcp_tx_wanted(b, s, events))
        return;
    while (b->queued < b->bytes)
        if (!tcp_sent(b, viv_tcp_send_source(s, (size_t)(b->bytes - b->queued), tcp_source, NULL),
                      "viv_tcp_send_source"))
            return;
}

enum { READ_PEEK, READ_COPY, READ_COUNT };
static const char *const read_names[] = {"peek", "copy", "count"};

/* The next len bytes read by h2 (len <= PAT_CHUNK), compared with the stream. */
static void tcp_verify(tcp_bench *b, const void *data, size_t len)
{
    if (b->bad_offset == UINT64_MAX && (b->delivered + (uint64_t)len > b->bytes ||
                                        memcmp(data, pat + b->delivered % PAT_PERIOD, len) != 0))
        b->bad_offset = b->delivered;
    b->delivered += (uint64_t)len;
}

/* h2's callbacks, one for each way of reading (each its own function, so that the compiler
 * inlines the library's reading calls into each as it would for a program that reads one
 * way): whether to read, and what to do after reading (n: the last call's answer). */
static int tcp_rx_wanted(tcp_bench *b, viv_tcp_t *s, uint32_t events)
{
    if (events & VIV_EV_ERROR) {
        tcp_fail(b, "h2's connection", viv_tcp_error(s));
        return 0;
    }
    return (events & VIV_EV_READABLE) != 0;
}

static void tcp_rx_after(tcp_bench *b, int n, const char *call)
{
    if (n == 0 || (n < 0 && n != VIV_EAGAIN)) {
        tcp_fail(b, n == 0 ? "h2's connection (end of stream)" : call, n == 0 ? VIV_ECONNRESET : n);
        return;
    }
    if (!b->done && b->delivered >= b->bytes) {
        b->done = 1;
        b->done_at = viv_sim_now(b->sim);
        viv_sim_stop(b->sim); /* as s3 stops at its sink's last byte */
    }
}

/* --read copy: viv_tcp_recv() into rxbuf, compared there. */
static void tcp_on_rx_copy(viv_tcp_t *s, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (!tcp_rx_wanted(b, s, events))
        return;
    int n;
    while ((n = viv_tcp_recv(s, rxbuf, sizeof rxbuf)) > 0)
        tcp_verify(b, rxbuf, (size_t)n);
    tcp_rx_after(b, n, "viv_tcp_recv");
}

/* --read peek and --read count: in place. The runs readable now, up to what one
 * viv_tcp_recv() into rxbuf would take, then taken at once with viv_tcp_consume(): the same
 * amounts as the copying way, so the same window updates and the same run. With verify, each
 * run is compared where it lies (peek); without, the runs are counted unread (count, as
 * ns-3's PacketSink, which has no bytes to look at: the bytes still travel and their
 * checksums are still made and checked, only the benchmark's own comparison is left out).
 * Each way calls it with a constant, so the compiler makes one reader per way. Returns the
 * last call's answer, for tcp_rx_after. */
static inline int tcp_read_in_place(tcp_bench *b, viv_tcp_t *s, int verify)
{
    int n;
    for (;;) {
        size_t got = 0;
        const void *p;
        while (got < sizeof rxbuf && (n = viv_tcp_peek(s, &p, got)) > 0) {
            size_t len = (size_t)n < sizeof rxbuf - got ? (size_t)n : sizeof rxbuf - got;
            if (verify)
                tcp_verify(b, p, len);
            else
                b->delivered += (uint64_t)len;
            got += len;
        }
        if (got == 0)
            break;     /* n says why: 0, VIV_EAGAIN or an error */
        int after = n; /* what follows the bytes read, if the loop reached their end */
        if ((n = viv_tcp_consume(s, got)) < 0)
            break;
        if (after == VIV_EAGAIN) {
            n = after; /* nothing more until the next VIV_EV_READABLE */
            break;
        }
    }
    return n;
}

static void tcp_on_rx_peek(viv_tcp_t *s, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (tcp_rx_wanted(b, s, events))
        tcp_rx_after(b, tcp_read_in_place(b, s, 1), "viv_tcp_peek");
}

static void tcp_on_rx_count(viv_tcp_t *s, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (tcp_rx_wanted(b, s, events))
        tcp_rx_after(b, tcp_read_in_place(b, s, 0), "viv_tcp_peek");
}

static void tcp_on_listener(viv_tcp_t *l, uint32_t events, void *user)
{
    tcp_bench *b = user;
    if (!(events & VIV_EV_ACCEPTABLE) || b->rx)
        return;
    viv_tcp_cb cb = b->read_mode == READ_PEEK   ? tcp_on_rx_peek
                    : b->read_mode == READ_COPY ? tcp_on_rx_copy
                                                : tcp_on_rx_count;
    int rc = viv_tcp_accept(&b->rx, l, cb, b);
    if (rc < 0)
        tcp_fail(b, "viv_tcp_accept", rc);
}

static void tcp_start(viv_sim_t *sim, void *user)
{
    tcp_bench *b = user;
    (void)sim;
    int rc = viv_tcp_connect(b->tx, &b->dst);
    if (rc != VIV_EINPROGRESS)
        tcp_fail(b, "viv_tcp_connect", rc < 0 ? rc : VIV_EINVAL);
}

/* --check: every data segment h1's connection sends. */
static void tcp_on_trace(const viv_trace_record *r, void *user)
{
    tcp_bench *b = user;
    if (r->kind != VIV_TRACE_TCP_SEG_TX || r->socket != (const void *)b->tx)
        return;
    if (r->seg_len == 0) {
        b->tr_pure += b->connected; /* the handshake's own segments are not counted */
        return;
    }
    uint32_t seq = r->seq - r->iss, end = seq + r->seg_len;
    b->tr_data++;
    if (b->tr_have_high && (int32_t)(seq - b->tr_high) < 0)
        b->tr_retx++;
    if (!b->tr_have_high || (int32_t)(end - b->tr_high) > 0) {
        b->tr_high = end;
        b->tr_have_high = 1;
    }
}

/* --trace: one line per record. Pointers are named by role, so that two builds compare. */
static void tcp_on_trace_text(const viv_trace_record *r, void *user)
{
    tcp_bench *b = user;
    if (b->check)
        tcp_on_trace(r, user);
    const char *sock = !r->socket                         ? "-"
                       : r->socket == (void *)b->tx       ? "tx"
                       : r->socket == (void *)b->rx       ? "rx"
                       : r->socket == (void *)b->listener ? "listener"
                                                          : "other";
    int link = -1;
    for (int i = 0; i < 3; i++)
        if (r->link == b->links[i])
            link = i;
    FILE *f = b->trace_out;
    fprintf(f,
            "%llu %s %s %u %d %d %d %s %u %08x %02x:%02x:%02x:%02x:%02x:%02x %d "
            "%08x:%u %08x:%u %d %02x %u %u %u %u %u %u %d %llu %u %d %u %u %u",
            (unsigned long long)r->time, viv_trace_kind_name(r->kind),
            r->node ? viv_node_name(r->node) : "-", (unsigned)r->port, link, (int)r->dir,
            (int)r->reason, sock, (unsigned)r->events, (unsigned)r->ip, r->mac.b[0], r->mac.b[1],
            r->mac.b[2], r->mac.b[3], r->mac.b[4], r->mac.b[5], r->state, (unsigned)r->local.ip,
            (unsigned)r->local.port, (unsigned)r->remote.ip, (unsigned)r->remote.port, r->old_state,
            (unsigned)r->tcp_flags, (unsigned)r->seq, (unsigned)r->ack, (unsigned)r->seg_len,
            (unsigned)r->window, (unsigned)r->iss, (unsigned)r->irs, r->timer,
            (unsigned long long)r->timer_ns, (unsigned)r->retries, (int)r->cc_event,
            (unsigned)r->cwnd, (unsigned)r->ssthresh, (unsigned)r->in_flight);
    fprintf(f, " %u ", (unsigned)r->frame_len);
    for (uint32_t i = 0; r->frame && i < r->frame_len; i++)
        fprintf(f, "%02x", r->frame[i]);
    fputc('\n', f);
}

/* A host or router with n interfaces. */
static int tcp_node(viv_host_t **out, viv_sim_t *sim, const char *name, uint32_t nifaces)
{
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    if (nifaces > 1)
        return viv_router_new(out, sim, nifaces, &o);
    int rc = viv_host_new(out, sim, &o);
    return rc < 0 ? rc : viv_host_add_iface(*out, NULL);
}

/* The path: addresses 10.0.1.0/24 (h1-r1), 10.0.2.0/24 (r1-r2), 10.0.3.0/24 (r2-h2), as
 * s3's. The bottleneck is made r1 first, so its direction AB carries the data. */
static int tcp_build(tcp_bench *b, double loss, viv_link_t **neck_out)
{
    viv_sim_t *sim = b->sim;
    viv_host_t *r1, *r2;
    viv_subnet_t *n1, *n2, *n3;
    int rc;
    viv_link_params acc = VIV_LINK_PARAMS_INIT;
    acc.rate_bps = 100000000;
    acc.delay_ns = VIV_MS(5);
    acc.queue_frames = 100;
    acc.overhead_bytes = VIV_LINK_OVERHEAD_NONE;
    viv_link_params neck = acc;
    neck.rate_bps = 10000000;
    neck.delay_ns = VIV_MS(10);
    if ((rc = tcp_node(&b->h1, sim, "h1", 1)) < 0 || (rc = tcp_node(&r1, sim, "r1", 2)) < 0 ||
        (rc = tcp_node(&r2, sim, "r2", 2)) < 0 || (rc = tcp_node(&b->h2, sim, "h2", 1)) < 0 ||
        (rc = viv_subnet_new(&n1, sim, "10.0.1.0/24")) < 0 ||
        (rc = viv_subnet_new(&n2, sim, "10.0.2.0/24")) < 0 ||
        (rc = viv_subnet_new(&n3, sim, "10.0.3.0/24")) < 0 ||
        (rc = viv_subnet_attach(NULL, n1, b->h1, 0)) < 0 ||
        (rc = viv_subnet_attach(NULL, n1, r1, 0)) < 0 ||
        (rc = viv_subnet_attach(NULL, n2, r1, 1)) < 0 ||
        (rc = viv_subnet_attach(NULL, n2, r2, 0)) < 0 ||
        (rc = viv_subnet_attach(NULL, n3, r2, 1)) < 0 ||
        (rc = viv_subnet_attach(&b->dst.ip, n3, b->h2, 0)) < 0 ||
        (rc = viv_link_new(&b->links[0], sim, viv_host_port(b->h1, 0), viv_host_port(r1, 0),
                           &acc)) < 0 ||
        (rc = viv_link_new(neck_out, sim, viv_host_port(r1, 1), viv_host_port(r2, 0), &neck)) < 0 ||
        (rc = viv_link_new(&b->links[2], sim, viv_host_port(r2, 1), viv_host_port(b->h2, 0),
                           &acc)) < 0 ||
        (rc = viv_link_set_loss(*neck_out, VIV_LINK_AB, loss)) < 0 ||
        (rc = viv_sim_compute_routes(sim)) < 0)
        return rc;
    b->links[1] = *neck_out;
    b->ports[0] = viv_host_port(b->h1, 0);
    b->ports[1] = viv_host_port(r1, 0);
    b->ports[2] = viv_host_port(r1, 1);
    b->ports[3] = viv_host_port(r2, 0);
    b->ports[4] = viv_host_port(r2, 1);
    b->ports[5] = viv_host_port(b->h2, 0);
    b->dst.port = TCP_PORT;
    return 0;
}

/* --pcap: every frame of the run, on every wire (both directions) and at every port. */
static int tcp_capture(tcp_bench *b, const char *path, viv_pcap_t **out)
{
    int rc = viv_pcap_open(out, b->sim, path, NULL);
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = viv_pcap_attach_link(*out, b->links[i], VIV_LINK_BOTH);
    for (int i = 0; rc == 0 && i < 6; i++)
        rc = viv_pcap_attach_port(*out, b->ports[i]);
    return rc;
}

/* The TCP settings of both hosts. */
static int tcp_tune(tcp_bench *b, viv_tcp_tunables *t, int rfc, const viv_tcp_cc *cc, int sack)
{
    int rc;
    if (rfc)
        viv_tcp_tunables_rfc(t);
    else if ((rc = viv_sim_tcp_tunables_get(t, b->sim)) < 0)
        return rc;
    t->cc = cc;
    if (sack >= 0)
        t->sack = sack;
    if ((rc = viv_host_set_tcp_tunables(b->h1, t)) < 0)
        return rc;
    return viv_host_set_tcp_tunables(b->h2, t);
}

static int tcp_usage(const char *why, const char *arg)
{
    fprintf(stderr, "viv_bench tcp: %s%s%s\n", why, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int tcp_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int viv_bench_tcp(int argc, char **argv)
{
    uint64_t bytes = 50000000, seed = 1, buf = 131072, check = 0, fp = 0;
    double loss = 0;
    const char *ccname = "newreno", *pcap_path = NULL, *trace_path = NULL;
    int sack = -1, rfc = 0, read_mode = READ_PEEK, write_source = 0;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--rfc") == 0) {
            rfc = 1;
            continue;
        }
        if (i + 1 >= argc)
            return tcp_usage("unknown option, or no value after", o);
        const char *v = argv[++i];
        uint64_t u = 0;
        if (strcmp(o, "--cc") == 0) {
            ccname = v;
        } else if (strcmp(o, "--pcap") == 0) {
            pcap_path = v;
        } else if (strcmp(o, "--trace") == 0) {
            trace_path = v;
        } else if (strcmp(o, "--read") == 0) {
            if (strcmp(v, "peek") == 0)
                read_mode = READ_PEEK;
            else if (strcmp(v, "copy") == 0)
                read_mode = READ_COPY;
            else if (strcmp(v, "count") == 0)
                read_mode = READ_COUNT;
            else
                return tcp_usage("--read wants copy, peek or count, not", v);
        } else if (strcmp(o, "--write") == 0) {
            if (strcmp(v, "copy") == 0)
                write_source = 0;
            else if (strcmp(v, "source") == 0)
                write_source = 1;
            else
                return tcp_usage("--write wants copy or source, not", v);
        } else if (strcmp(o, "--loss") == 0) {
            char *end;
            errno = 0;
            loss = strtod(v, &end);
            if (errno != 0 || end == v || *end != '\0' || !(loss >= 0 && loss < 1))
                return tcp_usage("--loss wants a probability in [0, 1), not", v);
        } else if (tcp_parse_u64(v, &u) < 0) {
            return tcp_usage("wants an unsigned integer:", o);
        } else if (strcmp(o, "--bytes") == 0) {
            bytes = u;
        } else if (strcmp(o, "--seed") == 0) {
            seed = u;
        } else if (strcmp(o, "--buf") == 0) {
            buf = u;
        } else if (strcmp(o, "--check") == 0) {
            check = u;
        } else if (strcmp(o, "--fp") == 0) {
            fp = u;
        } else if (strcmp(o, "--sack") == 0) {
            if (u > 1)
                return tcp_usage("--sack wants 0 or 1, not", v);
            sack = (int)u;
        } else {
            return tcp_usage("unknown option", o);
        }
    }
    const viv_tcp_cc *cc = viv_tcp_cc_find(ccname);
    if (!cc)
        return tcp_usage("unknown algorithm (newreno, cubic):", ccname);
    if (bytes == 0 || buf == 0 || buf > UINT32_MAX)
        return tcp_usage("--bytes and --buf must be positive (and --buf below 4 GiB)", NULL);
    pattern_init();

    tcp_bench b;
    memset(&b, 0, sizeof b);
    b.bytes = bytes;
    b.bad_offset = UINT64_MAX;
    b.read_mode = read_mode;
    b.check = check != 0;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    if (viv_sim_new(&b.sim, &so) < 0) {
        fprintf(stderr, "viv_bench tcp: out of memory\n");
        return 1;
    }
    if (trace_path && !(b.trace_out = fopen(trace_path, "w"))) {
        fprintf(stderr, "viv_bench tcp: --trace: cannot open %s\n", trace_path);
        viv_sim_free(b.sim);
        return 1;
    }
    viv_link_t *neck = NULL;
    viv_pcap_t *cap = NULL;
    viv_tcp_tunables tun;
    viv_tcp_opts to = VIV_TCP_OPTS_INIT;
    to.sndbuf_bytes = (uint32_t)buf;
    to.rcvbuf_bytes = (uint32_t)buf;
    viv_sockaddr_t any = {VIV_IP4_ANY, TCP_PORT};
    int rc;
    if ((rc = tcp_build(&b, loss, &neck)) < 0 ||
        (pcap_path && (rc = tcp_capture(&b, pcap_path, &cap)) < 0) ||
        (rc = tcp_tune(&b, &tun, rfc, cc, sack)) < 0 ||
        (rc = viv_tcp_new(&b.listener, b.h2, &to, tcp_on_listener, &b)) < 0 ||
        (rc = viv_tcp_bind(b.listener, &any)) < 0 || (rc = viv_tcp_listen(b.listener, 0)) < 0 ||
        (rc = viv_tcp_new(&b.tx, b.h1, &to, write_source ? tcp_on_tx_source : tcp_on_tx_copy, &b)) <
            0 ||
        (rc = viv_sim_schedule_at(NULL, b.sim, TCP_START_NS, tcp_start, &b)) < 0 ||
        (trace_path && (rc = viv_sim_trace(b.sim, tcp_on_trace_text, &b)) < 0) ||
        (check && !trace_path && (rc = viv_sim_trace(b.sim, tcp_on_trace, &b)) < 0)) {
        fprintf(stderr, "viv_bench tcp: setting up: %s\n", viv_sim_errmsg(b.sim));
        viv_sim_free(b.sim);
        if (b.trace_out)
            fclose(b.trace_out);
        return 1;
    }

    double t0 = tcp_wall_seconds();
    rc = viv_sim_run_until(b.sim, TCP_STOP_NS);
    double wall = tcp_wall_seconds() - t0;

    int failed = 1;
    viv_tcp_info end;
    viv_link_stats_t ls;
    memset(&end, 0, sizeof end);
    memset(&ls, 0, sizeof ls);
    if (rc < 0)
        fprintf(stderr, "viv_bench tcp: run: %s\n", viv_sim_errmsg(b.sim));
    else if (b.err)
        fprintf(stderr, "viv_bench tcp: %s: %s\n", b.err_where, viv_strerror(b.err));
    else if (!b.done)
        fprintf(stderr, "viv_bench tcp: not finished at %.0f s: %llu of %llu bytes delivered\n",
                (double)TCP_STOP_NS / 1e9, (unsigned long long)b.delivered,
                (unsigned long long)bytes);
    else if (b.delivered != bytes || b.bad_offset != UINT64_MAX)
        fprintf(stderr, "viv_bench tcp: %llu bytes delivered for %llu; first bad byte at %llu\n",
                (unsigned long long)b.delivered, (unsigned long long)bytes,
                (unsigned long long)b.bad_offset);
    else
        failed = 0;
    if (!failed) {
        viv_tcp_info_get(&end, b.tx);
        viv_link_stats(&ls, neck, VIV_LINK_AB);
        double secs = (double)(b.done_at - TCP_START_NS) / 1e9;
        uint64_t data_segs = end.segs_out - b.at_connect.segs_out;
        uint64_t retx = end.retransmits - b.at_connect.retransmits;
        printf("mode=tcp write=%s read=%s cc=%s sack=%d rfc=%d sack_ok=%d ts_ok=%d loss=%.4f "
               "bytes=%llu "
               "delivered=%llu "
               "verified=%d completion_s=%.6f goodput_mbps=%.4f data_segments=%llu "
               "retx_segs=%llu timeouts=%llu drops_queue=%llu drops_loss=%llu events=%llu "
               "wall_s=%.4f peak_rss_kb=%ld",
               write_source ? "source" : "copy", read_names[read_mode], end.cc ? end.cc : cc->name,
               tun.sack, rfc, end.sack_ok, end.ts_ok, loss, (unsigned long long)bytes,
               (unsigned long long)b.delivered, read_mode != READ_COUNT, secs,
               (double)bytes * 8.0 / secs / 1e6, (unsigned long long)data_segs,
               (unsigned long long)retx, (unsigned long long)(end.timeouts - b.at_connect.timeouts),
               (unsigned long long)ls.drop_queue, (unsigned long long)ls.drop_loss,
               (unsigned long long)viv_sim_events(b.sim), wall, tcp_peak_rss_kb());
        if (check) {
            printf(" trace_data_segments=%llu trace_retx_segs=%llu trace_pure_acks=%llu",
                   (unsigned long long)b.tr_data, (unsigned long long)b.tr_retx,
                   (unsigned long long)b.tr_pure);
            if (b.tr_data + b.tr_pure != data_segs || b.tr_retx != retx) {
                fprintf(stderr,
                        "viv_bench tcp: --check: the trace saw %llu data segments, "
                        "%llu retransmissions and %llu pure ACKs; viv_tcp_info_get() %llu "
                        "segments and %llu retransmissions\n",
                        (unsigned long long)b.tr_data, (unsigned long long)b.tr_retx,
                        (unsigned long long)b.tr_pure, (unsigned long long)data_segs,
                        (unsigned long long)retx);
                failed = 1;
            }
        }
        if (fp)
            printf(" fingerprint=%016llx", (unsigned long long)viv_sim_fingerprint(b.sim));
        printf("\n");
    }
    if (cap && viv_pcap_flush(cap) < 0) {
        fprintf(stderr, "viv_bench tcp: --pcap: %s\n", viv_sim_errmsg(b.sim));
        failed = 1;
    }
    viv_sim_free(b.sim);
    if (b.trace_out && fclose(b.trace_out) != 0) {
        fprintf(stderr, "viv_bench tcp: --trace: cannot write %s\n", trace_path);
        failed = 1;
    }
    return failed;
}
