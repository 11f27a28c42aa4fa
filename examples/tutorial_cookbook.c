/* tutorial_cookbook: fault-injection recipes (tutorial, the cookbook page).
 *
 * 1. Drop the second FIN of a connection (for TCP), shown here on the second UDP frame of an
 *    echo exchange: the same intercept, another matcher.
 * 2. Delay a SYN-ACK by 3 s (for TCP), shown here on the answer of a UDP echo.
 * 3. Partition a network and heal it: cut the trunk between two switches, restore it.
 * 4. Burst loss (Gilbert-Elliott) against independent loss of the same average.
 * 5. A flapping link: an event that cuts and restores it, again and again.
 *
 * Everything printed is exact and the same on every run and every machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tutorial_cookbook: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

/* ---- the recipes ------------------------------------------------------------------------ */

/* [drop_nth_either_way] */
/* Drop the nth frame that matches, counting both directions of the link together. */
typedef struct nth_drop {
    viv_frame_match match;
    unsigned nth, seen;
} nth_drop;

static viv_verdict drop_nth_either_way(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                       size_t len, const viv_frame_info *info,
                                       viv_time_t *delay_ns, void *user)
{
    nth_drop *d = user;
    (void)link, (void)dir, (void)frame, (void)len, (void)delay_ns;
    if (viv_frame_match_test(&d->match, info) && ++d->seen == d->nth)
        return VIV_VERDICT_DROP;
    return VIV_VERDICT_DELIVER;
}
/* [drop_nth_either_way] */

/* [drop_second_fin] */
/* For TCP: drop the second FIN of a close, whichever side sends it (in a normal close, the
 * passive closer's FIN+ACK), so that the active closer stays in FIN-WAIT-2. */
static int drop_second_fin(viv_link_t *link, nth_drop *d)
{
    memset(d, 0, sizeof(*d));
    d->match.ip_proto = VIV_IPPROTO_TCP;
    d->match.tcp_flags_set = VIV_TCP_FIN;
    d->nth = 2;
    return viv_link_set_intercept(link, VIV_LINK_BOTH, drop_nth_either_way, d);
}
/* [drop_second_fin] */

/* [hold_once] */
/* Hold the first frame that matches back for `delay` more, once. */
typedef struct hold {
    viv_frame_match match;
    viv_time_t delay;
    int done;
} hold;

static viv_verdict hold_once(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                             size_t len, const viv_frame_info *info, viv_time_t *delay_ns,
                             void *user)
{
    hold *h = user;
    (void)link, (void)dir, (void)frame, (void)len;
    if (h->done || !viv_frame_match_test(&h->match, info))
        return VIV_VERDICT_DELIVER;
    h->done = 1;
    *delay_ns = h->delay;
    return VIV_VERDICT_DELAY; /* delivered later, without asking again */
}
/* [hold_once] */

/* [delay_synack] */
/* For TCP: the server's SYN-ACK arrives 3 s late (the client's SYN is retransmitted). */
static int delay_synack(viv_link_t *link, viv_link_dir server_to_client, hold *h)
{
    memset(h, 0, sizeof(*h));
    h->match.ip_proto = VIV_IPPROTO_TCP;
    h->match.tcp_flags_set = VIV_TCP_SYN | VIV_TCP_ACK;
    h->delay = VIV_S(3);
    return viv_link_set_intercept(link, server_to_client, hold_once, h);
}
/* [delay_synack] */

/* [partition] */
static void cut(viv_sim_t *sim, void *link)
{
    (void)sim;
    TRY(viv_link_set_up(link, VIV_LINK_BOTH, 0)); /* drops what is queued and in flight */
}

static void heal(viv_sim_t *sim, void *link)
{
    (void)sim;
    TRY(viv_link_set_up(link, VIV_LINK_BOTH, 1));
}

/* Cut `link` at `from` and restore it at `to` (absolute simulated times). */
static void partition(viv_sim_t *sim, viv_link_t *link, viv_time_t from, viv_time_t to)
{
    TRY(viv_sim_schedule_at(NULL, sim, from, cut, link));
    TRY(viv_sim_schedule_at(NULL, sim, to, heal, link));
}
/* [partition] */

/* [flap] */
typedef struct flapper {
    viv_link_t *link;
    viv_time_t down_ns, up_ns; /* how long each state lasts */
    unsigned flaps;            /* cuts still to make */
} flapper;

static void flap(viv_sim_t *sim, void *user)
{
    flapper *f = user;
    int up = viv_link_is_up(f->link, VIV_LINK_AB);
    if (up && f->flaps == 0)
        return; /* done: the link stays up */
    TRY(viv_link_set_up(f->link, VIV_LINK_BOTH, !up));
    if (up)
        f->flaps--;
    TRY(viv_sim_schedule_after(NULL, sim, up ? f->down_ns : f->up_ns, flap, f));
}
/* [flap] */

/* ---- a small world for the demonstrations --------------------------------------------- */

typedef struct pair {
    viv_sim_t *sim;
    viv_host_t *a, *b;
    viv_link_t *link; /* A: a, B: b */
    viv_rec_t *rec;   /* what a's interface sends and receives, decoded */
} pair;

static void echo_cb(viv_udp_t *s, uint32_t events, void *user)
{
    uint8_t buf[256];
    viv_sockaddr_t from;
    int n;
    (void)user;
    if (!(events & VIV_EV_READABLE))
        return;
    while ((n = viv_udp_recvfrom(s, buf, sizeof buf, &from, NULL)) >= 0)
        TRY(viv_udp_sendto(s, buf, (size_t)n, &from));
}

/* a and b on one 1 ms cable, ARP already resolved, a UDP echo server on b port 7. */
static void pair_make(pair *p, uint64_t seed)
{
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = seed;
    TRY(viv_sim_new(&p->sim, &so));
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "a";
    TRY(viv_host_new(&p->a, p->sim, &ho));
    ho.name = "b";
    TRY(viv_host_new(&p->b, p->sim, &ho));
    TRY(viv_host_add_iface(p->a, NULL));
    TRY(viv_host_add_iface(p->b, NULL));
    TRY(viv_host_add_addr(p->a, 0, VIV_IP4(10, 0, 0, 1), 24));
    TRY(viv_host_add_addr(p->b, 0, VIV_IP4(10, 0, 0, 2), 24));
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.delay_ns = VIV_MS(1);
    TRY(viv_link_new(&p->link, p->sim, viv_host_port(p->a, 0), viv_host_port(p->b, 0), &lp));
    viv_udp_t *echo;
    viv_sockaddr_t seven = {VIV_IP4_ANY, 7};
    TRY(viv_udp_new(&echo, p->b, NULL, echo_cb, NULL));
    TRY(viv_udp_bind(echo, &seven));
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    TRY(viv_ping_start(NULL, p->a, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL));
    TRY(viv_sim_run(p->sim));
    TRY(viv_rec_new(&p->rec, p->sim, NULL));
    TRY(viv_rec_name(p->rec, "a", VIV_IP4(10, 0, 0, 1)));
    TRY(viv_rec_name(p->rec, "b", VIV_IP4(10, 0, 0, 2)));
    TRY(viv_rec_attach_port(p->rec, viv_host_port(p->a, 0)));
}

/* Print the frames a sent and received, one decoded line each. */
static void pair_print(const pair *p)
{
    for (size_t i = 0; i < viv_rec_count(p->rec); i++) {
        char line[256];
        TRY(viv_rec_format(p->rec, i, line, sizeof line));
        printf("    %s\n", line);
    }
}

static void echo_twice(pair *p)
{
    viv_udp_t *s;
    viv_sockaddr_t to = {VIV_IP4(10, 0, 0, 2), 7};
    TRY(viv_udp_new(&s, p->a, NULL, NULL, NULL));
    TRY(viv_udp_sendto(s, "ping", 4, &to));
    TRY(viv_sim_run_for(p->sim, VIV_S(1)));
    TRY(viv_udp_sendto(s, "ping", 4, &to));
    TRY(viv_sim_run_for(p->sim, VIV_S(5)));
}

/* ---- the demonstrations ----------------------------------------------------------------- */

static void demo_drop_second(void)
{
    pair p;
    pair_make(&p, 1);
    nth_drop d;
    TRY(drop_second_fin(p.link, &d)); /* installed for TCP; UDP frames pass it by */
    /* [drop_second_udp] */
    memset(&d, 0, sizeof d);
    d.match.ip_proto = VIV_IPPROTO_UDP; /* the same intercept, matching UDP frames */
    d.nth = 2;
    TRY(viv_link_set_intercept(p.link, VIV_LINK_BOTH, drop_nth_either_way, &d));
    /* [drop_second_udp] */
    echo_twice(&p);
    viv_link_stats_t st;
    TRY(viv_link_stats(&st, p.link, VIV_LINK_BA));
    printf("1. The second UDP frame (b's first echo) dropped: %llu dropped b to a\n",
           (unsigned long long)st.drop_intercept);
    pair_print(&p);
    viv_sim_free(p.sim);
}

static void demo_delay(void)
{
    pair p;
    pair_make(&p, 1);
    hold h;
    TRY(delay_synack(p.link, VIV_LINK_BA, &h)); /* installed for TCP */
    /* [delay_udp] */
    memset(&h, 0, sizeof h);
    h.match.ip_proto = VIV_IPPROTO_UDP;
    h.match.sport = 7; /* the echo's answers */
    h.delay = VIV_S(3);
    TRY(viv_link_set_intercept(p.link, VIV_LINK_BA, hold_once, &h));
    /* [delay_udp] */
    echo_twice(&p);
    printf("2. The first answer held back 3 s: it arrives after the second one\n");
    pair_print(&p);
    viv_sim_free(p.sim);
}

static void on_ping(viv_ping_t *ping, const viv_ping_result *r, void *user)
{
    (void)ping, (void)user;
    if (r->event == VIV_PING_REPLY)
        putchar('!');
    else if (r->event == VIV_PING_TIMEOUT)
        putchar('.');
    else if (r->event == VIV_PING_DONE)
        putchar('\n');
}

/* h1 and h2 on two switches joined by a trunk; h1 pings h2 every `interval` `count` times,
 * printing ! for a reply and . for a timeout (Cisco's style). */
static void demo_partition(void)
{
    viv_sim_t *sim;
    TRY(viv_sim_new(&sim, NULL));
    viv_switch_t *s1, *s2;
    viv_host_t *h1, *h2;
    viv_link_t *trunk, *l;
    TRY(viv_switch_new(&s1, sim, 2, NULL));
    TRY(viv_switch_new(&s2, sim, 2, NULL));
    TRY(viv_host_new(&h1, sim, NULL));
    TRY(viv_host_new(&h2, sim, NULL));
    TRY(viv_host_add_iface(h1, NULL));
    TRY(viv_host_add_iface(h2, NULL));
    TRY(viv_host_add_addr(h1, 0, VIV_IP4(10, 0, 0, 1), 24));
    TRY(viv_host_add_addr(h2, 0, VIV_IP4(10, 0, 0, 2), 24));
    TRY(viv_link_new(&l, sim, viv_host_port(h1, 0), viv_switch_port(s1, 0), NULL));
    TRY(viv_link_new(&l, sim, viv_host_port(h2, 0), viv_switch_port(s2, 0), NULL));
    TRY(viv_link_new(&trunk, sim, viv_switch_port(s1, 1), viv_switch_port(s2, 1), NULL));

    /* [partition_use] */
    partition(sim, trunk, VIV_MS(2500), VIV_MS(5500)); /* down from 2.5 s to 5.5 s */
    /* [partition_use] */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 10;
    po.timeout_ns = VIV_MS(500);
    printf("3. A partition from 2.5 s to 5.5 s, a ping every second from 0 s: ");
    TRY(viv_ping_start(NULL, h1, VIV_IP4(10, 0, 0, 2), &po, on_ping, NULL));
    TRY(viv_sim_run(sim));
    viv_link_stats_t st;
    TRY(viv_link_stats(&st, trunk, VIV_LINK_AB));
    printf("   the trunk dropped %llu frames toward s2 while it was cut\n",
           (unsigned long long)st.drop_cut);
    viv_sim_free(sim);
}

/* Send n numbered datagrams from a to b, 100 us apart, and report the losses in runs. */
static void loss_runs(pair *p, const char *what, unsigned n)
{
    static unsigned char got[5000];
    viv_udp_t *rx, *tx;
    viv_sockaddr_t any = {VIV_IP4_ANY, 9}, to = {VIV_IP4(10, 0, 0, 2), 9};
    memset(got, 0, sizeof got);
    TRY(viv_udp_new(&rx, p->b, NULL, NULL, NULL));
    TRY(viv_udp_bind(rx, &any));
    TRY(viv_udp_new(&tx, p->a, NULL, NULL, NULL));
    for (unsigned i = 0; i < n; i++) {
        uint8_t num[2] = {(uint8_t)(i >> 8), (uint8_t)i};
        TRY(viv_udp_sendto(tx, num, 2, &to));
        TRY(viv_sim_run_for(p->sim, VIV_US(100)));
        uint8_t buf[2];
        while (viv_udp_recv(rx, buf, sizeof buf) == 2)
            got[buf[0] << 8 | buf[1]] = 1;
    }
    TRY(viv_sim_run(p->sim));
    uint8_t buf[2];
    while (viv_udp_recv(rx, buf, sizeof buf) == 2)
        got[buf[0] << 8 | buf[1]] = 1;
    unsigned lost = 0, runs = 0, longest = 0, run = 0;
    for (unsigned i = 0; i <= n; i++) {
        if (i < n && !got[i]) {
            lost++;
            run++;
            continue;
        }
        if (run) {
            runs++;
            longest = run > longest ? run : longest;
        }
        run = 0;
    }
    printf("   %-12s %4u of %u lost (%.2f%%) in %3u runs: %.2f frames per run, longest %u\n",
           what, lost, n, 100.0 * lost / n, runs, runs ? (double)lost / runs : 0.0, longest);
}

static void demo_burst(void)
{
    printf("4. Burst loss against independent loss of the same average (3.08%%):\n");
    pair p;
    pair_make(&p, 11);
    /* [burst] */
    viv_link_params lp;
    TRY(viv_link_params_get(&lp, p.link, VIV_LINK_AB));
    lp.burst.p_good_bad = 0.01; /* per frame, from good to bad */
    lp.burst.p_bad_good = 0.25; /* per frame, back: bad spells last 4 frames on average */
    lp.burst.loss_good = 0.0;
    lp.burst.loss_bad = 0.8;    /* on average 0.01 / 0.26 x 0.8 = 3.08% of frames lost */
    TRY(viv_link_set_params(p.link, VIV_LINK_AB, &lp));
    /* [burst] */
    loss_runs(&p, "burst:", 5000);
    viv_sim_free(p.sim);

    pair_make(&p, 11);
    TRY(viv_link_set_loss(p.link, VIV_LINK_AB, 0.01 / 0.26 * 0.8));
    loss_runs(&p, "independent:", 5000);
    viv_sim_free(p.sim);
}

static void demo_flap(void)
{
    pair p;
    pair_make(&p, 1);
    /* [flap_use] */
    flapper f = {p.link, VIV_MS(600), VIV_MS(1400), 3}; /* 3 cuts of 0.6 s, 1.4 s apart */
    TRY(viv_sim_schedule_after(NULL, p.sim, VIV_S(1), flap, &f));
    /* [flap_use] */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 40;
    po.interval_ns = VIV_MS(200);
    po.timeout_ns = VIV_MS(100);
    printf("5. Down 0.6 s every 2 s from 1 s on, three times; a ping every 0.2 s:\n   ");
    TRY(viv_ping_start(NULL, p.a, VIV_IP4(10, 0, 0, 2), &po, on_ping, NULL));
    TRY(viv_sim_run(p.sim));
    viv_sim_free(p.sim);
}

int main(void)
{
    demo_drop_second();
    demo_delay();
    demo_partition();
    demo_burst();
    demo_flap();
    return 0;
}
