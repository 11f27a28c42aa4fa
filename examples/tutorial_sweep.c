/* tutorial_sweep: an experiment (tutorial, chapter 6): how often does a query with retries
 * get its answer, and how long does it take, as the loss rate grows?
 *
 *     client 10.0.0.1 ===== 1 Gbit/s, 1 ms, loss p both ways ===== server 10.0.0.2
 *
 * The client asks 200 questions, one after the other. It sends a question and waits 100 ms;
 * without an answer it sends it again, four attempts in all, then gives up and asks the next
 * one. For each loss rate p (0 to 50%) the experiment runs with ten seeds: ten independent
 * runs, each exactly reproducible from its seed.
 *
 * Output, CSV on stdout, in two blocks separated by two blank lines (gnuplot's `index`):
 *  0: one row per run: loss, seed, questions, answered, mean latency of the answered (ms);
 *  1: one row per loss rate, over the ten seeds: the mean share answered (%) with the
 *     half-width of its 95% confidence interval (Student's t, 9 degrees of freedom), the
 *     same for the mean latency, and what theory predicts for both.
 * Lines starting with # are comments. examples/tutorial_sweep.gp plots block 1.
 *
 * Theory: an attempt succeeds when neither the question nor the answer is lost, with
 * probability q = (1 - p)^2; k failed attempts cost k x 100 ms before the one that works.
 *     answered = 1 - (1 - q)^4
 *     latency  = rtt + 100 ms x E[k | answered],  E[k | answered] = sum_k k (1-q)^k q / answered
 *
 * Usage: tutorial_sweep > sweep.csv && gnuplot -p tutorial_sweep.gp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

enum { QUESTIONS = 200, ATTEMPTS = 4, SEEDS = 10, NLOSS = 6 };
#define TIMEOUT VIV_MS(100)
static const double loss_rates[NLOSS] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5};
static const double t_975_9 = 2.262; /* Student's t, 97.5% quantile, 9 degrees of freedom */

static void die(const char *what, int rc)
{
    fprintf(stderr, "tutorial_sweep: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

/* ---- one run -------------------------------------------------------------------------- */

typedef struct client {
    viv_sim_t *sim;
    viv_udp_t *s;
    viv_sockaddr_t server;
    uint16_t id;          /* the question in flight (0: none) */
    int attempt, asked, answered;
    viv_time_t asked_at, latency_sum;
    viv_event_id timer;
} client;

static void ask_next(client *c);

static void send_attempt(client *c)
{
    uint8_t q[2] = {(uint8_t)(c->id >> 8), (uint8_t)c->id};
    c->attempt++;
    TRY(viv_udp_sendto(c->s, q, sizeof q, &c->server));
}

static void on_timeout(viv_sim_t *sim, void *user)
{
    client *c = user;
    (void)sim;
    if (c->attempt == ATTEMPTS) {
        ask_next(c); /* given up */
        return;
    }
    send_attempt(c);
    TRY(viv_sim_schedule_after(&c->timer, c->sim, TIMEOUT, on_timeout, c));
}

static void ask_next(client *c)
{
    c->id = 0;
    if (c->asked == QUESTIONS)
        return;
    c->asked++;
    c->id = (uint16_t)c->asked;
    c->attempt = 0;
    c->asked_at = viv_sim_now(c->sim);
    send_attempt(c);
    TRY(viv_sim_schedule_after(&c->timer, c->sim, TIMEOUT, on_timeout, c));
}

static void on_answer(viv_udp_t *s, uint32_t events, void *user)
{
    client *c = user;
    uint8_t a[2];
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, a, sizeof a) == 2) {
        if (c->id == 0 || (uint16_t)(a[0] << 8 | a[1]) != c->id)
            continue; /* a late answer to a question already over */
        viv_sim_cancel(c->sim, c->timer);
        c->answered++;
        c->latency_sum += viv_sim_now(c->sim) - c->asked_at;
        ask_next(c);
    }
}

static void on_question(viv_udp_t *s, uint32_t events, void *user)
{
    uint8_t q[2];
    viv_sockaddr_t from;
    (void)user;
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recvfrom(s, q, sizeof q, &from, NULL) == 2)
        TRY(viv_udp_sendto(s, q, sizeof q, &from)); /* the answer echoes the question */
}

/* [run] */
typedef struct result {
    int answered;
    double latency_ms; /* mean over the answered questions */
} result;

static result run(double loss, uint64_t seed)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed; /* every random draw of the run follows from it */
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, &so));
    viv_host_t *a, *b;
    TRY(viv_host_new(&a, sim, NULL));
    TRY(viv_host_new(&b, sim, NULL));
    TRY(viv_host_add_iface(a, NULL));
    TRY(viv_host_add_iface(b, NULL));
    TRY(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24));
    TRY(viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24));
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = VIV_MS(1);
    viv_link_t *l;
    TRY(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &p));

    viv_udp_t *srv;
    viv_sockaddr_t any = {VIV_IP4_ANY, 53};
    TRY(viv_udp_new(&srv, b, NULL, on_question, NULL));
    TRY(viv_udp_bind(srv, &any));
    client c;
    memset(&c, 0, sizeof c);
    c.sim = sim;
    c.server.ip = VIV_IP4(10, 0, 0, 2);
    c.server.port = 53;
    TRY(viv_udp_new(&c.s, a, NULL, on_answer, &c));

    /* ARP on a perfect cable first: the experiment measures the protocol, not ARP. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    TRY(viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL));
    TRY(viv_sim_run(sim));
    TRY(viv_link_set_loss(l, VIV_LINK_BOTH, loss));

    ask_next(&c);
    TRY(viv_sim_run(sim)); /* until the last question is over: nothing else is scheduled */
    result r;
    r.answered = c.answered;
    r.latency_ms = c.answered ? (double)c.latency_sum / c.answered / 1e6 : 0.0;
    viv_sim_free(sim);
    return r;
}
/* [run] */

/* ---- the sweep ------------------------------------------------------------------------ */

/* [stats] */
/* Mean and half-width of the 95% confidence interval of n = SEEDS values. */
static void mean_ci(const double *x, double *mean, double *ci)
{
    double sum = 0, ss = 0;
    for (int i = 0; i < SEEDS; i++)
        sum += x[i];
    *mean = sum / SEEDS;
    for (int i = 0; i < SEEDS; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *ci = t_975_9 * sqrt(ss / (SEEDS - 1)) / sqrt((double)SEEDS);
}
/* [stats] */

int main(void)
{
    double answered[NLOSS][SEEDS], latency[NLOSS][SEEDS];
    /* The round trip of one question and its answer (60-byte frames) over an idle cable. */
    const double rtt_ms = 2 * (1.0 + (60 + 24) * 8 / 1e6);

    /* [sweep] */
    printf("# one row per run\nloss,seed,questions,answered,latency_ms\n");
    for (int i = 0; i < NLOSS; i++)
        for (int s = 0; s < SEEDS; s++) {
            result r = run(loss_rates[i], (uint64_t)s + 1);
            answered[i][s] = 100.0 * r.answered / QUESTIONS;
            latency[i][s] = r.latency_ms;
            printf("%.2f,%d,%d,%d,%.6f\n", loss_rates[i], s + 1, QUESTIONS, r.answered,
                   r.latency_ms);
        }
    /* [sweep] */

    printf("\n\n# over %d seeds: mean, 95%% confidence half-width, theory\n", SEEDS);
    printf("loss,answered_pct,answered_ci95,answered_theory,latency_ms,latency_ci95,"
           "latency_theory\n");
    for (int i = 0; i < NLOSS; i++) {
        double q = (1 - loss_rates[i]) * (1 - loss_rates[i]), ok = 0, k = 0, f = 1;
        for (int n = 0; n < ATTEMPTS; n++, f *= 1 - q) {
            ok += f * q;     /* answered at attempt n + 1 */
            k += n * f * q;  /* after n failures */
        }
        double am, ac, lm, lc;
        mean_ci(answered[i], &am, &ac);
        mean_ci(latency[i], &lm, &lc);
        printf("%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f\n", loss_rates[i], am, ac, 100 * ok, lm, lc,
               rtt_ms + 100.0 * k / ok);
    }
    return 0;
}
