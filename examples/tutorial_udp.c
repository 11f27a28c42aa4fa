/* tutorial_udp: the two classic uses of UDP (tutorial, chapter 4).
 *
 * 1. A DNS-style query: UDP does not retransmit, so the client does. It sends a query and
 *    waits; without an answer it sends it again, doubling its timeout (1 s, 2 s, 4 s), and
 *    gives up after the third attempt. Each query carries an identifier that the answer
 *    echoes, so the client can tell an answer to its question from anything else.
 *
 *        client 10.0.0.1 ===== 5 ms, 30% loss both ways ===== server 10.0.0.53
 *
 * 2. A voice stream: a packet every 20 ms, played out at a fixed delay after the first one
 *    arrived. A packet that arrives after its playout time is useless: late is lost. The same
 *    arrivals are played out with three buffer sizes.
 *
 *        caller 10.0.0.1 ===== 30 ms + 0..40 ms of jitter ===== callee 10.0.0.2
 *
 * The full programs are examples/dns_query.c (real DNS messages, a router, a capture) and
 * examples/voice_stream.c (RTP headers, the RFC 3550 jitter estimate). Everything printed is
 * exact and the same on every run and every machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tutorial_udp: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

static double ms(viv_time_t t)
{
    return (double)t / 1e6;
}

/* Two hosts on one cable with the given parameters (both directions), ARP already resolved
 * (one ping on a perfect cable first), so that every loss below is the link's. */
static void pair(viv_sim_t *sim, viv_host_t **a, viv_host_t **b, viv_ip4_t ipa, viv_ip4_t ipb,
                 const viv_link_params *p)
{
    viv_link_t *l;
    TRY(viv_host_new(a, sim, NULL));
    TRY(viv_host_new(b, sim, NULL));
    TRY(viv_host_add_iface(*a, NULL));
    TRY(viv_host_add_iface(*b, NULL));
    TRY(viv_host_add_addr(*a, 0, ipa, 24));
    TRY(viv_host_add_addr(*b, 0, ipb, 24));
    TRY(viv_link_new(&l, sim, viv_host_port(*a, 0), viv_host_port(*b, 0), NULL));
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    TRY(viv_ping_start(NULL, *a, ipb, &po, NULL, NULL));
    TRY(viv_sim_run(sim));
    TRY(viv_link_set_params(l, VIV_LINK_BOTH, p));
}

/* ---- 1. a query with retries -------------------------------------------------------- */

/* [query] */
typedef struct query {
    viv_sim_t *sim;
    viv_udp_t *s;
    viv_sockaddr_t server;
    uint16_t id;          /* the identifier of the question now asked */
    int attempt;          /* 1, 2, 3 */
    viv_time_t timeout;   /* of the current attempt */
    viv_event_id timer;   /* its timeout event */
    viv_time_t t0;        /* the start of the run, for printing */
    viv_time_t asked_at;  /* when the first attempt left */
} query;

static void on_timeout(viv_sim_t *sim, void *user);

static void send_attempt(query *q)
{
    uint8_t msg[3] = {'Q', (uint8_t)(q->id >> 8), (uint8_t)q->id};
    printf("  %9.3f ms  attempt %d: query id %u, timeout %.0f s\n", ms(viv_sim_now(q->sim) - q->t0),
           q->attempt, q->id, ms(q->timeout) / 1e3);
    TRY(viv_udp_sendto(q->s, msg, sizeof msg, &q->server));
    TRY(viv_sim_schedule_after(&q->timer, q->sim, q->timeout, on_timeout, q));
}

static void on_timeout(viv_sim_t *sim, void *user)
{
    query *q = user;
    (void)sim;
    if (q->attempt == 3) {
        printf("  %9.3f ms  no answer after 3 attempts: giving up\n",
               ms(viv_sim_now(q->sim) - q->t0));
        q->id = 0; /* asking nothing any more: a late answer is ignored */
        return;
    }
    q->attempt++;
    q->timeout *= 2; /* exponential backoff */
    send_attempt(q);
}

static void on_answer(viv_udp_t *s, uint32_t events, void *user)
{
    query *q = user;
    uint8_t msg[16];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, msg, sizeof msg) == 7) {
        uint16_t id = (uint16_t)(msg[1] << 8 | msg[2]);
        if (msg[0] != 'A' || id != q->id) {
            printf("  %9.3f ms  answer id %u ignored: not the question asked\n",
                   ms(viv_sim_now(q->sim) - q->t0), id);
            continue;
        }
        viv_sim_cancel(q->sim, q->timer);
        printf("  %9.3f ms  answer id %u: %u.%u.%u.%u, %.3f ms after the first attempt\n",
               ms(viv_sim_now(q->sim) - q->t0), id, msg[3], msg[4], msg[5], msg[6],
               ms(viv_sim_now(q->sim) - q->asked_at));
        q->id = 0;
    }
}
/* [query] */

/* [server] */
static void on_question(viv_udp_t *s, uint32_t events, void *user)
{
    uint8_t msg[16];
    viv_sockaddr_t from;
    (void)user;
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recvfrom(s, msg, sizeof msg, &from, NULL) == 3) {
        uint8_t answer[7] = {'A', msg[1], msg[2], 192, 0, 2, 10};
        TRY(viv_udp_sendto(s, answer, sizeof answer, &from));
    }
}
/* [server] */

static void queries(void)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 7; /* with this seed: one question retried twice, one given up */
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, &so));
    viv_host_t *client, *server;
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = VIV_MS(5);
    p.loss = 0.3;
    pair(sim, &client, &server, VIV_IP4(10, 0, 0, 1), VIV_IP4(10, 0, 0, 53), &p);

    viv_udp_t *srv;
    viv_sockaddr_t any53 = {VIV_IP4_ANY, 53};
    TRY(viv_udp_new(&srv, server, NULL, on_question, NULL));
    TRY(viv_udp_bind(srv, &any53));
    query q;
    memset(&q, 0, sizeof q);
    q.sim = sim;
    q.server.ip = VIV_IP4(10, 0, 0, 53);
    q.server.port = 53;
    q.t0 = viv_sim_now(sim);
    TRY(viv_udp_new(&q.s, client, NULL, on_answer, &q));
    for (uint16_t i = 1; i <= 5; i++) { /* five names, one after the other */
        q.id = (uint16_t)(100 + i);
        q.attempt = 1;
        q.timeout = VIV_S(1);
        q.asked_at = viv_sim_now(sim);
        printf("question %u\n", i);
        send_attempt(&q);
        TRY(viv_sim_run(sim));
    }
    viv_sim_free(sim);
}

/* ---- 2. a voice stream ---------------------------------------------------------------- */

enum { NPACKETS = 100, NBUFFERS = 3 };
#define PACKET_NS VIV_MS(20)
static const unsigned buffer_ms[NBUFFERS] = {0, 20, 40};

/* [playout] */
typedef struct callee {
    viv_sim_t *sim;
    viv_time_t first;           /* when packet 0 arrived (it must arrive: see below) */
    int received;
    int late[NBUFFERS];         /* arrived after their playout time, per buffer size */
} callee;

static void on_voice(viv_udp_t *s, uint32_t events, void *user)
{
    callee *c = user;
    uint8_t pkt[200];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, pkt, sizeof pkt) == 160) {
        unsigned seq = (unsigned)(pkt[0] << 8 | pkt[1]);
        viv_time_t now = viv_sim_now(c->sim);
        if (c->received++ == 0)
            c->first = now; /* the clock of the playout starts with the first arrival */
        for (int b = 0; b < NBUFFERS; b++) {
            viv_time_t playout = c->first + VIV_MS(buffer_ms[b]) + seq * PACKET_NS;
            if (now > playout)
                c->late[b]++; /* too late to be played: as good as lost */
        }
    }
}
/* [playout] */

static void voice(void)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 5;
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, &so));
    viv_host_t *caller, *callee_h;
    /* [jitter] */
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 2000000;     /* 2 Mbit/s */
    p.delay_ns = VIV_MS(30);
    p.jitter_ns = VIV_MS(40); /* each packet 0 to 40 ms later than the delay */
    p.jitter_reorder = 1;     /* so packets overtake each other */
    /* [jitter] */
    pair(sim, &caller, &callee_h, VIV_IP4(10, 0, 0, 1), VIV_IP4(10, 0, 0, 2), &p);

    callee c;
    memset(&c, 0, sizeof c);
    c.sim = sim;
    viv_udp_t *rx, *tx;
    viv_sockaddr_t any = {VIV_IP4_ANY, 5004}, to = {VIV_IP4(10, 0, 0, 2), 5004};
    TRY(viv_udp_new(&rx, callee_h, NULL, on_voice, &c));
    TRY(viv_udp_bind(rx, &any));
    TRY(viv_udp_new(&tx, caller, NULL, NULL, NULL));
    uint8_t pkt[160] = {0}; /* 20 ms of G.711 audio: 160 samples of one byte */
    const viv_time_t start = viv_sim_now(sim);
    for (unsigned seq = 0; seq < NPACKETS; seq++) {
        pkt[0] = (uint8_t)(seq >> 8);
        pkt[1] = (uint8_t)seq;
        TRY(viv_udp_sendto(tx, pkt, sizeof pkt, &to));
        TRY(viv_sim_run_for(sim, PACKET_NS));
    }
    TRY(viv_sim_run(sim));
    printf("%d packets sent, %d received; the first one took %.3f ms\n", NPACKETS, c.received,
           ms(c.first - start));
    for (int b = 0; b < NBUFFERS; b++)
        printf("  buffer %2u ms: %2d late (lost for the listener), each packet played %.3f ms"
               " after it was sent\n",
               buffer_ms[b], c.late[b], ms(c.first - start + VIV_MS(buffer_ms[b])));
    viv_sim_free(sim);
}

int main(void)
{
    printf("1. Queries with retries over a cable that loses 30%% of the frames\n");
    queries();
    printf("\n2. A voice stream through 0 to 40 ms of jitter\n");
    voice();
    return 0;
}
