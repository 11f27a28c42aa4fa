/* netstat: every socket of a host, TCP first then UDP, as rows or as `netstat -an` text. */
#include <stdio.h>
#include <string.h>

#include "l4.h"

const char *viv_tcp_state_name(viv_tcp_state s)
{
    static const char *const names[] = {"CLOSED",     "LISTEN",     "SYN_SENT",  "SYN_RECV",
                                        "ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT",
                                        "CLOSING",    "LAST_ACK",   "TIME_WAIT"};
    return (unsigned)s < VIV__ARRAY_LEN(names) ? names[s] : "UNKNOWN";
}

int viv_host_netstat(const viv_host_t *h, viv_sock_info *rows, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    static const uint8_t order[] = {VIV__IP_PROTO_TCP, VIV__IP_PROTO_UDP};
    size_t n = 0;
    for (size_t k = 0; k < VIV__ARRAY_LEN(order); k++) {
        const viv__l4_proto *p = viv__host_l4(h, order[k]);
        if (!p || !p->netstat)
            continue;
        int c = p->netstat(viv__host_l4_ctx(h, order[k]), h, n < cap ? rows + n : NULL,
                           n < cap ? cap - n : 0);
        if (c > 0)
            n += (size_t)c;
    }
    return (int)n;
}

static void addr_text(const viv_sockaddr_t *a, int any_port_star, char *out, size_t cap)
{
    char ip[VIV_IP4_STRLEN];
    viv_ip4_format(a->ip, ip, sizeof ip);
    if (a->port == 0 && any_port_star)
        snprintf(out, cap, "%s:*", ip);
    else
        snprintf(out, cap, "%s:%u", ip, a->port);
}

static int netstat_match(const viv_sock_info *r, const viv_netstat_filter *f)
{
    if (!f)
        return 1;
    if (f->proto && r->proto != f->proto)
        return 0;
    if (f->local_port && r->local.port != f->local_port)
        return 0;
    if (f->remote_port && r->remote.port != f->remote_port)
        return 0;
    if (f->port && r->local.port != f->port && r->remote.port != f->port)
        return 0;
    if (f->states && ((unsigned)r->state >= 32 || !((f->states >> (unsigned)r->state) & 1u)))
        return 0;
    return 1;
}

/* Every row of h, allocated (*out, *n); VIV_ENOMEM with a message. */
static int netstat_all(const viv_host_t *h, viv_sock_info **out, int *n, const char *fn)
{
    /* Set on every way out: GCC with other inlining (a profile-guided build) cannot tell
     * that its callers read them only on success, and warnings are errors. */
    *out = NULL;
    *n = 0;
    viv_sim_t *sim = h->node.sim;
    int total = viv_host_netstat(h, NULL, 0);
    if (total < 0)
        return total;
    viv_sock_info *rows = total ? viv__alloc(sim, (size_t)total * sizeof(*rows)) : NULL;
    if (total && !rows)
        return viv__err(sim, VIV_ENOMEM, "%s: out of memory", fn);
    viv_host_netstat(h, rows, (size_t)total);
    *out = rows;
    *n = total;
    return 0;
}

int viv_host_netstat_filtered(const viv_host_t *h, const viv_netstat_filter *f,
                              viv_sock_info *rows, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || rows, "NULL rows with a nonzero capacity");
    viv_sock_info *all;
    int total;
    int rc = netstat_all(h, &all, &total, "viv_host_netstat_filtered");
    if (rc < 0)
        return rc;
    size_t n = 0;
    for (int i = 0; i < total; i++) {
        if (!netstat_match(&all[i], f))
            continue;
        if (n < cap)
            rows[n] = all[i];
        n++;
    }
    viv__free(h->node.sim, all, (size_t)total * sizeof(*all));
    return (int)n;
}

int viv_host_netstat_text(const viv_host_t *h, uint32_t flags, char *buf, size_t cap)
{
    return viv_host_netstat_text_filtered(h, flags, NULL, buf, cap);
}

int viv_host_netstat_text_filtered(const viv_host_t *h, uint32_t flags,
                                   const viv_netstat_filter *f, char *buf, size_t cap)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, !cap || buf, "NULL buffer with a nonzero capacity");
    viv_sim_t *sim = h->node.sim;
    viv_sock_info *rows;
    int total;
    int rc = netstat_all(h, &rows, &total, "viv_host_netstat_text");
    if (rc < 0)
        return rc;
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
#define PUT(...) viv__sb_printf(&sb, __VA_ARGS__)
    int timers = (flags & VIV_NETSTAT_TIMERS) != 0;
    int procs = (flags & VIV_NETSTAT_PROCESS) != 0;
    PUT("Active Internet connections (servers and established)\n");
    PUT("Proto Recv-Q Send-Q Local Address           Foreign Address         State      %s%s\n",
        procs ? " PID/Program name   " : "", timers ? " Timer" : "");
    for (int i = 0; i < total; i++) {
        const viv_sock_info *r = &rows[i];
        if (!netstat_match(r, f))
            continue;
        char la[32], ra[32];
        addr_text(&r->local, 1, la, sizeof la);
        addr_text(&r->remote, 1, ra, sizeof ra);
        PUT("%-5s %6u %6u %-23s %-23s %-11s", r->proto == VIV_SOCK_TCP ? "tcp" : "udp",
            r->recv_q, r->send_q, la, ra, r->state_name);
        if (procs) {
            char pn[48];
            if (r->process)
                snprintf(pn, sizeof pn, "%u/%.31s", r->pid, r->process);
            else
                snprintf(pn, sizeof pn, "-");
            PUT(" %-19s", pn);
        }
        if (timers) {
            static const char *const kinds[] = {"off", "on", "keepalive", "timewait", "probe"};
            unsigned long long cs = r->timer_ns / 10000000u; /* hundredths of a second */
            unsigned k = (unsigned)r->timer < VIV__ARRAY_LEN(kinds) ? (unsigned)r->timer : 0;
            /* As net-tools prints /proc/net/tcp: (time/retransmissions/probes). The probes of
             * keepalive and of a zero window go in the third field, where Linux counts them
             * (icsk_probes_out); they were printed as retransmissions before. */
            int probes = r->timer == VIV_TIMER_KEEPALIVE || r->timer == VIV_TIMER_PROBE;
            PUT(" %s (%llu.%02llu/%u/%u)", kinds[k], cs / 100, cs % 100, probes ? 0 : r->retries,
                probes ? r->retries : 0);
        }
        PUT("\n");
    }
#undef PUT
    viv__free(sim, rows, (size_t)total * sizeof(*rows));
    return (int)sb.len;
}
