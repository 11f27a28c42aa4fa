/* voice_stream: a telephone call's audio over UDP, and why a receiver needs a jitter buffer.
 *
 *     caller 10.0.0.1 ===== 40 ms + 0..50 ms jitter, 2% loss, 2 Mbit/s ===== callee 10.0.0.2
 *
 * The caller sends 10 s of speech the way RTP carries G.711 audio: one packet every 20 ms
 * (50 packets/s), each with 160 bytes of audio (20 ms at 8000 samples/s, one byte per
 * sample) behind a 12-byte RTP header (RFC 3550 section 5.1): version 2, payload type 0
 * (PCMU), a sequence number that grows by 1 per packet, a timestamp that grows by 160 (the
 * sampling clock, 8 kHz), and the stream's SSRC. Sequence number and timestamp start at
 * random values, as RFC 3550 asks.
 *
 * The path adds a random delay to every packet (jitter, here allowed to reorder packets) and
 * loses some. The callee cannot play a packet the moment it arrives: the next one may come
 * 50 ms later than it "should". It holds packets in a jitter buffer: a packet with timestamp
 * ts is played at
 *
 *     playout(ts) = arrival of the first packet + buffer + (ts - ts0) / 8000 s
 *
 * where ts0 is the first packet's timestamp. A packet arriving after its playout time is
 * useless: for the listener it is lost ("late loss"). A bigger buffer loses fewer packets
 * but adds delay to the conversation (above ~150 ms mouth-to-ear, people talk over each
 * other). The program receives the stream once and runs several jitter buffers side by side
 * on the same arrivals (0, 20, 40, 60, 100 ms), printing network loss, late loss and total
 * loss for each, and the interarrival jitter as RTP receivers report it (RFC 3550 section
 * 6.4.1): for consecutive arrivals i-1 and i,
 *
 *     D = (R_i - R_{i-1}) - (S_i - S_{i-1}),   J = J + (|D| - J) / 16
 *
 * with arrival times R and timestamps S in timestamp units (1/8000 s).
 *
 * Everything is simulated and seeded: the output is the same on every run and machine.
 *
 * Usage: voice_stream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "voice_stream: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

enum {
    RTP_HDR_LEN = 12,
    RTP_VERSION = 2,
    RTP_PT_PCMU = 0,   /* G.711 mu-law, 8 kHz */
    CLOCK_HZ = 8000,   /* the timestamp clock */
    FRAME_SAMPLES = 160,
    PAYLOAD_LEN = 160, /* one byte per sample */
    NPACKETS = 500,    /* 10 s */
    VOICE_PORT = 5004,
    NBUFFERS = 5
};

#define FRAME_NS VIV_MS(20)
#define NS_PER_TICK (1000000000 / CLOCK_HZ) /* 125 us per timestamp unit */
#define CALL_START VIV_S(2)

static const unsigned buffer_ms[NBUFFERS] = {0, 20, 40, 60, 100};

/* ---- the RTP-like header --------------------------------------------------------------- */

typedef struct rtp_hdr {
    unsigned version, marker, payload_type;
    uint16_t seq;
    uint32_t ts, ssrc;
} rtp_hdr;

static void rtp_write(uint8_t *p, const rtp_hdr *h)
{
    p[0] = (uint8_t)(h->version << 6); /* V=2, P=0, X=0, CC=0 */
    p[1] = (uint8_t)(h->marker << 7 | h->payload_type);
    p[2] = (uint8_t)(h->seq >> 8);
    p[3] = (uint8_t)h->seq;
    for (int i = 0; i < 4; i++) {
        p[4 + i] = (uint8_t)(h->ts >> (24 - 8 * i));
        p[8 + i] = (uint8_t)(h->ssrc >> (24 - 8 * i));
    }
}

static int rtp_read(rtp_hdr *h, const uint8_t *p, size_t len)
{
    if (len < RTP_HDR_LEN || (p[0] >> 6) != RTP_VERSION || (p[0] & 0x0f) != 0)
        return -1; /* not version 2, or with CSRCs we do not expect */
    h->version = p[0] >> 6;
    h->marker = p[1] >> 7;
    h->payload_type = p[1] & 0x7f;
    h->seq = (uint16_t)(p[2] << 8 | p[3]);
    h->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    h->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    return 0;
}

/* ---- the caller: one packet every 20 ms ------------------------------------------------ */

typedef struct caller {
    viv_sim_t *sim;
    viv_udp_t *sock;
    rtp_hdr h;
    uint16_t first_seq;
    unsigned sent;
    viv_time_t sent_at[NPACKETS];
} caller;

static void caller_tick(viv_sim_t *sim, void *user)
{
    caller *c = user;
    uint8_t pkt[RTP_HDR_LEN + PAYLOAD_LEN];
    c->h.marker = c->sent == 0; /* the start of a talkspurt */
    rtp_write(pkt, &c->h);
    /* The "audio": a 400 Hz-ish pattern; its content does not matter to the network. */
    for (int i = 0; i < PAYLOAD_LEN; i++)
        pkt[RTP_HDR_LEN + i] = (uint8_t)(0x80 + ((c->sent * FRAME_SAMPLES + (unsigned)i) % 20));
    c->sent_at[c->sent] = viv_sim_now(sim);
    TRY(viv_udp_send(c->sock, pkt, sizeof pkt));
    c->sent++;
    c->h.seq++;
    c->h.ts += FRAME_SAMPLES;
    if (c->sent < NPACKETS)
        TRY(viv_sim_schedule_after(NULL, sim, FRAME_NS, caller_tick, c));
}

/* ---- the callee: jitter statistics and jitter buffers ----------------------------------- */

/* One jitter buffer of a given size, fed with every arrival. */
typedef struct jbuf {
    viv_time_t size_ns;
    unsigned played, late;
    viv_time_t worst_late_ns; /* how late the latest packet was */
} jbuf;

typedef struct callee {
    viv_sim_t *sim;
    uint32_t ssrc;
    unsigned received, dup, reordered, highest;
    int have_first;
    viv_time_t first_arrival; /* playout reference: the first packet's arrival ... */
    uint32_t ts0;             /* ... and its timestamp */
    /* RFC 3550 interarrival jitter, kept in nanoseconds (1 timestamp unit = 125000 ns). */
    int have_prev;
    viv_time_t prev_arrival;
    uint32_t prev_ts;
    double jitter_ns;
    /* One-way delays, from the caller's send times (the simulation knows them). */
    viv_time_t min_delay, max_delay;
    const caller *c;
    unsigned char seen[NPACKETS];
    jbuf jb[NBUFFERS];
    /* The first packets' fate in one buffer, for a small timeline. */
    unsigned show_buffer;
    unsigned nshown;
} callee;

static void callee_packet(callee *r, const rtp_hdr *h, viv_time_t now)
{
    if (!r->have_first) {
        r->have_first = 1;
        r->first_arrival = now;
        r->ts0 = h->ts;
        r->ssrc = h->ssrc;
    }
    if (h->ssrc != r->ssrc || h->payload_type != RTP_PT_PCMU)
        return;
    /* Which packet is it? Its distance from the caller's first sequence number, in 16-bit
     * arithmetic so that wrap-around works. (A real receiver does not know the first
     * number; it counts from the first it receives, RFC 3550 appendix A.1. The simulation
     * knows, and uses it to look up send times for the delay figures.) */
    unsigned k = (uint16_t)(h->seq - r->c->first_seq);
    if (k >= NPACKETS)
        return;
    if (r->seen[k]) {
        r->dup++;
        return;
    }
    r->seen[k] = 1;
    r->received++;
    if (r->received > 1 && k < r->highest)
        r->reordered++; /* overtaken by a later packet */
    if (k > r->highest)
        r->highest = k;
    viv_time_t delay = now - r->c->sent_at[k];
    if (r->received == 1 || delay < r->min_delay)
        r->min_delay = delay;
    if (delay > r->max_delay)
        r->max_delay = delay;

    /* RFC 3550 6.4.1: D compares the spacing of arrivals with the spacing of timestamps. */
    if (r->have_prev) {
        double d = (double)(int64_t)(now - r->prev_arrival) -
                   (double)(int32_t)(h->ts - r->prev_ts) * NS_PER_TICK;
        if (d < 0)
            d = -d;
        r->jitter_ns += (d - r->jitter_ns) / 16.0;
    }
    r->have_prev = 1;
    r->prev_arrival = now;
    r->prev_ts = h->ts;

    /* Each jitter buffer: played if it arrives by its playout time, else late. */
    int64_t offset_ns = (int64_t)(int32_t)(h->ts - r->ts0) * NS_PER_TICK;
    for (int b = 0; b < NBUFFERS; b++) {
        jbuf *j = &r->jb[b];
        int64_t playout = (int64_t)r->first_arrival + (int64_t)j->size_ns + offset_ns;
        if ((int64_t)now <= playout) {
            j->played++;
        } else {
            j->late++;
            if ((viv_time_t)((int64_t)now - playout) > j->worst_late_ns)
                j->worst_late_ns = (viv_time_t)((int64_t)now - playout);
        }
        if ((unsigned)b == r->show_buffer && r->nshown < 12) {
            r->nshown++;
            printf("  seq %5u  ts %10lu  sent %8.3f  arrived %8.3f  delay %5.1f ms  "
                   "playout %8.3f  %s\n",
                   h->seq, (unsigned long)h->ts, (double)r->c->sent_at[k] / 1e6,
                   (double)now / 1e6, (double)delay / 1e6, (double)playout / 1e6,
                   (int64_t)now <= playout ? "in time" : "LATE");
        }
    }
}

static void callee_cb(viv_udp_t *s, uint32_t events, void *user)
{
    callee *r = user;
    uint8_t pkt[512];
    int n;
    if (!(events & VIV_EV_READABLE))
        return;
    while ((n = viv_udp_recv(s, pkt, sizeof pkt)) >= 0) {
        rtp_hdr h;
        if (rtp_read(&h, pkt, (size_t)n) == 0)
            callee_packet(r, &h, viv_sim_now(r->sim));
    }
}

/* ---- the call ---------------------------------------------------------------------------- */

int main(void)
{
    viv_sim_t *sim;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 2024;
    TRY(viv_sim_new(&sim, &so));

    viv_host_t *a, *b;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "caller";
    TRY(viv_host_new(&a, sim, &ho));
    ho.name = "callee";
    TRY(viv_host_new(&b, sim, &ho));
    TRY(viv_host_add_iface(a, NULL));
    TRY(viv_host_add_iface(b, NULL));
    TRY(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24));
    TRY(viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24));

    /* The path: 2 Mbit/s, 40 ms, plus a uniform 0..50 ms per packet that may reorder them,
     * and 2% loss. */
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 2000000;
    lp.delay_ns = VIV_MS(40);
    lp.jitter_ns = VIV_MS(50);
    lp.jitter_reorder = 1;
    lp.loss = 0.02;
    viv_link_t *link;
    TRY(viv_link_new(&link, sim, viv_host_port(a, 0), viv_host_port(b, 0), &lp));

    /* Call setup: the phones exchange a ping before the media flows (as the signalling
     * would), so that ARP is resolved and no audio waits for it. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 3;
    po.interval_ns = VIV_MS(300);
    viv_ping_t *ping;
    TRY(viv_ping_start(&ping, a, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL));

    caller c;
    memset(&c, 0, sizeof c);
    c.sim = sim;
    viv_rng_t rng;
    TRY(viv_sim_rng(&rng, sim, 1));
    c.h.version = RTP_VERSION;
    c.h.payload_type = RTP_PT_PCMU;
    c.h.seq = (uint16_t)viv_rng_u64(&rng);  /* random initial values (RFC 3550 5.1) */
    c.first_seq = c.h.seq;
    c.h.ts = (uint32_t)viv_rng_u64(&rng);
    c.h.ssrc = (uint32_t)viv_rng_u64(&rng);
    TRY(viv_udp_new(&c.sock, a, NULL, NULL, NULL));
    viv_sockaddr_t src = {VIV_IP4_ANY, VOICE_PORT}, dst = {VIV_IP4(10, 0, 0, 2), VOICE_PORT};
    TRY(viv_udp_bind(c.sock, &src));
    TRY(viv_udp_connect(c.sock, &dst));

    static callee r; /* large: keep it off the stack */
    r.sim = sim;
    r.c = &c;
    r.show_buffer = 2; /* the 40 ms buffer */
    for (int i = 0; i < NBUFFERS; i++)
        r.jb[i].size_ns = VIV_MS(buffer_ms[i]);
    viv_udp_t *rs;
    TRY(viv_udp_new(&rs, b, NULL, callee_cb, &r));
    TRY(viv_udp_bind(rs, &src));

    printf("caller -> callee: %d packets of %d+%d bytes every 20 ms from t = %.0f s,\n"
           "path 40 ms + 0..50 ms jitter (reordering), 2%% loss, 2 Mbit/s\n\n",
           NPACKETS, RTP_HDR_LEN, PAYLOAD_LEN, (double)CALL_START / 1e9);
    printf("the first packets through the 40 ms jitter buffer (times in ms):\n");
    TRY(viv_sim_schedule_at(NULL, sim, CALL_START, caller_tick, &c));
    TRY(viv_sim_run(sim));

    viv_ping_stats_t ps;
    TRY(viv_ping_stats(&ps, ping));
    viv_link_stats_t ls;
    TRY(viv_link_stats(&ls, link, VIV_LINK_AB));
    unsigned net_lost = c.sent - r.received;
    printf("\nsent %u, received %u (%u lost in the network), one-way delay %.1f .. %.1f ms\n",
           c.sent, r.received, net_lost, (double)r.min_delay / 1e6, (double)r.max_delay / 1e6);
    printf("interarrival jitter (RFC 3550): %.1f timestamp units = %.2f ms\n\n",
           r.jitter_ns / NS_PER_TICK, r.jitter_ns / 1e6);
    printf("buffer   network loss   late loss      total loss     worst lateness\n");
    for (int i = 0; i < NBUFFERS; i++) {
        const jbuf *j = &r.jb[i];
        unsigned total = net_lost + j->late;
        printf("%4u ms  %4u (%4.1f%%)    %4u (%4.1f%%)   %4u (%4.1f%%)   %5.1f ms\n", buffer_ms[i],
               net_lost, 100.0 * net_lost / c.sent, j->late, 100.0 * j->late / c.sent, total,
               100.0 * total / c.sent, (double)j->worst_late_ns / 1e6);
    }
    printf("\n(call setup: %u of %u pings answered; on the way: %llu frames lost, %u packets "
           "overtaken)\n",
           ps.received, ps.sent, (unsigned long long)ls.drop_loss, r.reordered);
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(sim),
           (unsigned long long)viv_sim_events(sim));
    viv_sim_free(sim);
    return 0;
}
