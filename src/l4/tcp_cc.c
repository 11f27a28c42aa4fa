/* Congestion control: the RFC 5681 building blocks, NewReno's table and the lookup by name.
 * The TCP core (tcp_in.c, tcp_timer.c) runs loss detection and recovery and calls these hooks
 * (vivarium/tcp_cc.h says when); CUBIC is in tcp_cubic.c. */
#include "vivarium/tcp_cc.h"

#include "tcp_cc_int.h"

#include <string.h>

uint32_t viv_tcp_cc_slow_start(viv_tcp_cc_conn *c, uint32_t acked)
{
    return c ? viv__cc_slow_start(&c->cwnd, c->ssthresh, c->mss, acked) : acked;
}

void viv_tcp_cc_reno_avoid(viv_tcp_cc_conn *c, uint32_t acked)
{
    if (c)
        viv__cc_reno_avoid(&c->cwnd, &c->ca_acked, c->mss, acked);
}

static void newreno_on_ack(viv_tcp_cc_conn *c, uint32_t acked, viv_time_t rtt_ns)
{
    (void)rtt_ns;
    if (!c->cwnd_limited)
        return; /* RFC 7661: an application-limited sender does not grow its window */
    acked = viv_tcp_cc_slow_start(c, acked);
    if (acked)
        viv_tcp_cc_reno_avoid(c, acked);
}

static uint32_t newreno_ssthresh(viv_tcp_cc_conn *c)
{
    /* RFC 5681 3.1 (4) and RFC 6582 3.2 (2): max(FlightSize / 2, 2 * SMSS). */
    uint32_t half = c->in_flight / 2;
    return half > 2 * c->mss ? half : 2 * c->mss;
}

static void newreno_on_event(viv_tcp_cc_conn *c, viv_tcp_cc_event ev)
{
    (void)ev;
    c->ca_acked = 0;
}

const viv_tcp_cc viv_tcp_cc_newreno = {
    "newreno", 0, NULL, newreno_on_ack, newreno_ssthresh, newreno_on_event,
};

const viv_tcp_cc *viv_tcp_cc_find(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, "newreno") || !strcmp(name, "reno"))
        return &viv_tcp_cc_newreno;
    if (!strcmp(name, "cubic"))
        return &viv_tcp_cc_cubic;
    if (!strcmp(name, "cubic-rfc9438"))
        return &viv_tcp_cc_cubic_rfc9438;
    return NULL;
}
