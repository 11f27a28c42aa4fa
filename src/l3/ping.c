/* Ping and traceroute over ICMP echo. Both are host objects: freed with their host, and safe
 * to free from inside their own callback (core's deferred release: the memory outlives the
 * event that freed them). Their timers are deadline timers taken when they start. */
#include <stddef.h>
#include <string.h>

#include "l3.h"

/* Send one echo request of `size` data bytes: pat (pat_len bytes) repeated and cut at size,
 * or, with pat NULL, bytes counting up from `start`, so that replies can be compared byte
 * for byte. Returns what viv__ip_output returns. */
static int echo_send(struct viv_host *h, viv_ip4_t dst, uint16_t ident, uint16_t seq,
                     uint32_t size, uint8_t ttl, const uint8_t *pat, uint32_t pat_len,
                     uint8_t start)
{
    viv__frame *f = viv__frame_new(h->node.sim, VIV__FRAME_HEADROOM, VIV__ICMP_HDR_LEN + size);
    if (!f)
        return VIV_ENOMEM;
    uint8_t *data = viv__frame_bytes(f) + VIV__ICMP_HDR_LEN;
    if (pat) {
        for (uint32_t k = 0; k < size; k += pat_len)
            memcpy(data + k, pat, size - k < pat_len ? size - k : pat_len);
    } else {
        for (uint32_t k = 0; k < size; k++)
            data[k] = (uint8_t)(k + start);
    }
    struct viv__icmp_repr m = {0};
    m.type = VIV__ICMP_ECHO_REQUEST;
    m.ident = ident;
    m.seq = seq;
    m.data = data; /* already in place: emit writes the header in front */
    m.data_len = size;
    viv__icmp_emit(&m, viv__frame_bytes(f), VIV__ICMP_HDR_LEN + size);
    h->st.icmp_tx++;
    return viv__ip_output(h, f, VIV_IP4_ANY, dst, VIV__IP_PROTO_ICMP, ttl, 0);
}

/* ---- ping ------------------------------------------------------------------------------ */

typedef struct ping_req {
    viv_time_t sent_at;
    int state; /* 0 not sent, 1 waiting, 2 answered, failed or timed out */
} ping_req;

/* A ping holds two deadline timers, taken when it starts (so that nothing it schedules
 * later can fail): the next request, and the timeout of the oldest waiting request
 * (requests time out in the order they were sent, all after the same timeout). */
struct viv_ping {
    viv__hostobj obj;
    viv__zombie z;
    viv_sim_t *sim;
    viv__echo_user eu;
    struct viv_host *h;
    viv_ip4_t dst;
    viv_ping_opts o;
    viv_ping_cb cb;
    void *user;
    ping_req *req; /* o.count entries; request i has sequence number i + 1 */
    uint8_t *pat;  /* the echo data's pattern (o.payload points here), or NULL */
    uint32_t pat_len;
    uint32_t next; /* next request to send */
    uint32_t oldest; /* no request before it is waiting */
    uint32_t settled;
    viv__timer send, timeout;
    viv_ping_stats_t st;
    int dead, done;
};

static void ping_release(viv__zombie *z)
{
    struct viv_ping *p = (struct viv_ping *)((char *)z - offsetof(struct viv_ping, z));
    viv__free(p->sim, p->pat, p->pat_len);
    viv__free(p->sim, p->req, p->o.count * sizeof(*p->req));
    viv__free(p->sim, p, sizeof(*p));
}

/* Detach from the host and stop; the memory goes after the current event (viv__zombie). */
static void ping_kill(struct viv_ping *p)
{
    p->dead = 1;
    viv__timer_fini(&p->send);
    viv__timer_fini(&p->timeout);
    viv__echo_user_remove(p->h, &p->eu);
    viv__release_later(p->sim, &p->z, ping_release);
}

static void ping_obj_destroy(viv__hostobj *o) { ping_kill((struct viv_ping *)o); }

/* Call the user; returns 0 if the ping was freed meanwhile (then touch nothing but dead). */
static int ping_emit(struct viv_ping *p, const viv_ping_result *r)
{
    if (p->cb)
        p->cb(p, r, p->user);
    return !p->dead;
}

/* The timeout follows the oldest request still waiting. */
static void ping_timeout_update(struct viv_ping *p)
{
    while (p->oldest < p->next && p->req[p->oldest].state != 1)
        p->oldest++;
    if (p->oldest < p->next)
        viv__timer_set(&p->timeout,
                       viv__time_add(p->req[p->oldest].sent_at, p->o.timeout_ns));
    else
        viv__timer_stop(&p->timeout);
}

static void ping_settle(struct viv_ping *p, uint32_t i, const viv_ping_result *r)
{
    p->req[i].state = 2;
    p->settled++;
    ping_timeout_update(p);
    if (!ping_emit(p, r))
        return;
    if (p->settled == p->o.count && !p->done) {
        p->done = 1;
        viv_ping_result d = {0};
        d.event = VIV_PING_DONE;
        ping_emit(p, &d);
    }
}

static void ping_send_next(viv__timer *tm)
{
    struct viv_ping *p = (struct viv_ping *)((char *)tm - offsetof(struct viv_ping, send));
    viv_sim_t *sim = p->sim;
    uint32_t i = p->next++;
    ping_req *rq = &p->req[i];
    rq->sent_at = sim->now;
    rq->state = 1;
    p->st.sent++;
    int rc = echo_send(p->h, p->dst, p->eu.ident, (uint16_t)(i + 1), p->o.size, p->o.ttl,
                       p->pat, p->pat_len, 0x10);
    if (p->next < p->o.count)
        viv__timer_set(&p->send, viv__time_add(sim->now, p->o.interval_ns));
    if (rc < 0) {
        /* Not sent at all (no route, too big): reported as an error at once. */
        p->st.errors++;
        viv_ping_result r = {0};
        r.event = VIV_PING_ERROR;
        r.seq = (uint16_t)(i + 1);
        r.icmp_type = VIV__ICMP_DEST_UNREACH;
        r.icmp_code = rc == VIV_EMSGSIZE ? VIV__ICMP_UNREACH_FRAG_NEEDED : VIV__ICMP_UNREACH_NET;
        ping_settle(p, i, &r);
        return;
    }
    ping_timeout_update(p);
}

/* The oldest waiting requests whose time is up time out, one report each. */
static void ping_timeout(viv__timer *tm)
{
    struct viv_ping *p = (struct viv_ping *)((char *)tm - offsetof(struct viv_ping, timeout));
    while (!p->dead && p->oldest < p->next && p->req[p->oldest].state == 1 &&
           viv__time_add(p->req[p->oldest].sent_at, p->o.timeout_ns) <= p->sim->now) {
        uint32_t i = p->oldest;
        p->st.timeouts++;
        viv_ping_result r = {0};
        r.event = VIV_PING_TIMEOUT;
        r.seq = (uint16_t)(i + 1);
        ping_settle(p, i, &r);
    }
}

static int ping_find_req(struct viv_ping *p, uint16_t seq, uint32_t *idx)
{
    if (seq == 0 || seq > p->o.count)
        return 0;
    *idx = (uint32_t)seq - 1;
    return p->req[*idx].state == 1;
}

static void ping_on_reply(void *ctx, const struct viv__ipv4_repr *ip,
                          const struct viv__icmp_repr *m, size_t len)
{
    struct viv_ping *p = ctx;
    uint32_t i;
    if (ip->src != p->dst || !ping_find_req(p, m->seq, &i))
        return; /* a duplicate or a stray reply */
    viv_sim_t *sim = p->h->node.sim;
    viv_time_t rtt = sim->now - p->req[i].sent_at;
    p->st.received++;
    if (p->st.received == 1 || rtt < p->st.rtt_min_ns)
        p->st.rtt_min_ns = rtt;
    if (rtt > p->st.rtt_max_ns)
        p->st.rtt_max_ns = rtt;
    p->st.rtt_sum_ns += rtt;
    viv_ping_result r = {0};
    r.event = VIV_PING_REPLY;
    r.seq = m->seq;
    r.from = ip->src;
    r.rtt_ns = rtt;
    r.ttl = ip->ttl;
    r.icmp_type = m->type;
    r.icmp_code = m->code;
    r.bytes = (uint32_t)len;
    ping_settle(p, i, &r);
}

static void ping_on_error(void *ctx, const struct viv__ipv4_repr *ip,
                          const struct viv__icmp_repr *m, size_t len, uint16_t seq)
{
    struct viv_ping *p = ctx;
    uint32_t i;
    if (!ping_find_req(p, seq, &i))
        return;
    viv_sim_t *sim = p->h->node.sim;
    p->st.errors++;
    viv_ping_result r = {0};
    r.event = VIV_PING_ERROR;
    r.seq = seq;
    r.from = ip->src;
    r.rtt_ns = sim->now - p->req[i].sent_at;
    r.ttl = ip->ttl;
    r.icmp_type = m->type;
    r.icmp_code = m->code;
    r.bytes = (uint32_t)len;
    ping_settle(p, i, &r);
}

int viv_ping_start(viv_ping_t **out, viv_host_t *h, viv_ip4_t dst, const viv_ping_opts *opts,
                   viv_ping_cb cb, void *user)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    if (opts)
        o = *opts;
    if (!o.count)
        o.count = 4;
    if (!o.interval_ns)
        o.interval_ns = VIV_S(1);
    if (!o.timeout_ns)
        o.timeout_ns = VIV_S(1);
    VIV__CHECK(sim, o.payload || !o.payload_len, "payload_len without a payload");
    VIV__CHECK(sim, !o.payload || o.payload_len, "a payload of 0 bytes");
    VIV__CHECK(sim, o.payload_len <= 65507, "payload above 65507 bytes");
    if (!o.size)
        o.size = o.payload ? o.payload_len : 56;
    VIV__CHECK(sim, o.size <= 65507, "echo data above 65507 bytes");
    VIV__CHECK(sim, o.count <= 65535, "more than 65535 requests");
    /* Only the part of the payload the echo data uses is kept. */
    uint32_t pat_len = o.payload ? (o.payload_len < o.size ? o.payload_len : o.size) : 0;
    struct viv_ping *p = viv__zalloc(sim, sizeof(*p));
    ping_req *arr = p ? viv__zalloc(sim, o.count * sizeof(*arr)) : NULL;
    uint8_t *pat = arr && pat_len ? viv__alloc(sim, pat_len) : NULL;
    if (!arr || (pat_len && !pat)) {
        viv__free(sim, arr, arr ? o.count * sizeof(*arr) : 0);
        viv__free(sim, p, sizeof(*p));
        return viv__err(sim, VIV_ENOMEM, "viv_ping_start: out of memory");
    }
    if (pat_len)
        memcpy(pat, o.payload, pat_len);
    o.payload = pat; /* never the caller's memory after this call */
    o.payload_len = pat_len;
    p->h = h;
    p->sim = sim;
    p->dst = dst;
    p->o = o;
    p->cb = cb;
    p->user = user;
    p->req = arr;
    p->pat = pat;
    p->pat_len = pat_len;
    p->eu.ctx = p;
    p->eu.reply = ping_on_reply;
    p->eu.error = ping_on_error;
    viv__timer_clear(&p->send);
    viv__timer_clear(&p->timeout);
    /* The identifier first: a start refused for it takes no timer. Given back if the timers
     * cannot be had, with the host's counter as it was: a failed start changes nothing. */
    const uint16_t counter = h->next_echo_ident;
    int rc = o.ident ? viv__echo_user_claim(h, &p->eu, o.ident) : viv__echo_user_add(h, &p->eu);
    if (rc == 0 && (viv__timer_init(&p->send, sim, h->node.owner, ping_send_next) < 0 ||
                    viv__timer_init(&p->timeout, sim, h->node.owner, ping_timeout) < 0)) {
        viv__echo_user_remove(h, &p->eu);
        h->next_echo_ident = counter;
        rc = VIV_ENOMEM;
    }
    if (rc < 0) {
        viv__timer_fini(&p->send);
        viv__timer_fini(&p->timeout);
        viv__free(sim, pat, pat_len);
        viv__free(sim, arr, o.count * sizeof(*arr));
        viv__free(sim, p, sizeof(*p));
        if (rc == VIV_EADDRINUSE)
            return viv__err(sim, rc, "viv_ping_start: identifier %u is in use by another ping "
                                     "or traceroute of the host", (unsigned)o.ident);
        if (rc == VIV_EAGAIN)
            return viv__err(sim, rc,
                            "viv_ping_start: every ICMP echo identifier of the host is in use");
        return viv__err(sim, VIV_ENOMEM, "viv_ping_start: out of memory");
    }
    viv__timer_set(&p->send, sim->now); /* the first request, from an event */
    viv__hostobj_add(h, &p->obj, ping_obj_destroy);
    if (out)
        *out = p;
    return 0;
}

void viv_ping_free(viv_ping_t *p)
{
    VIV__HANDLE(p, PING);
    if (!p || p->dead)
        return;
    viv__hostobj_remove(&p->obj);
    ping_kill(p);
}

int viv_ping_stats(viv_ping_stats_t *out, const viv_ping_t *p)
{
    VIV__HANDLE(p, PING);
    if (!p)
        return VIV_EINVAL;
    VIV__CHECK(p->sim, out != NULL, "NULL out");
    *out = p->st;
    return 0;
}

/* ---- traceroute ------------------------------------------------------------------------ */

/* One probe at a time: one deadline timer, for the next probe or the probe's timeout. */
struct viv_traceroute {
    viv__hostobj obj;
    viv__zombie z;
    viv_sim_t *sim;
    viv__echo_user eu;
    struct viv_host *h;
    viv_ip4_t dst;
    viv_traceroute_opts o;
    viv_traceroute_cb cb;
    void *user;
    uint8_t ttl, probe;  /* the probe in flight (ttl from 1, probe from 1) */
    uint16_t seq;        /* its sequence number */
    viv_time_t sent_at;
    viv__timer timer;    /* its timeout, or the next probe */
    int waiting;         /* a probe is in flight (the timer is its timeout) */
    int hop_ends;        /* this hop reached the destination or an unreachable */
    int dead;
};

static void tr_release(viv__zombie *z)
{
    struct viv_traceroute *t =
        (struct viv_traceroute *)((char *)z - offsetof(struct viv_traceroute, z));
    viv__free(t->sim, t, sizeof(*t));
}

static void tr_kill(struct viv_traceroute *t)
{
    t->dead = 1;
    viv__timer_fini(&t->timer);
    viv__echo_user_remove(t->h, &t->eu);
    viv__release_later(t->sim, &t->z, tr_release);
}

static void tr_obj_destroy(viv__hostobj *o) { tr_kill((struct viv_traceroute *)o); }

static int tr_emit(struct viv_traceroute *t, const viv_trace_result *r)
{
    if (t->cb)
        t->cb(t, r, t->user);
    return !t->dead;
}

/* The probe in flight is settled: report it and go on (or finish). */
static void tr_settle(struct viv_traceroute *t, const viv_trace_result *r)
{
    t->waiting = 0;
    viv__timer_stop(&t->timer);
    if (r->kind == VIV_TRACE_REACHED || r->kind == VIV_TRACE_UNREACHABLE)
        t->hop_ends = 1;
    if (!tr_emit(t, r))
        return;
    if (t->probe < t->o.probes) {
        t->probe++;
    } else if (t->hop_ends || t->ttl >= t->o.max_hops) {
        viv_trace_result d = {0};
        d.kind = VIV_TRACE_DONE;
        d.ttl = t->ttl;
        tr_emit(t, &d);
        return;
    } else {
        t->ttl++;
        t->probe = 1;
    }
    viv__timer_set(&t->timer, t->sim->now); /* the next probe, from an event */
}

static void tr_timer(viv__timer *tm)
{
    struct viv_traceroute *t =
        (struct viv_traceroute *)((char *)tm - offsetof(struct viv_traceroute, timer));
    viv_sim_t *sim = t->sim;
    if (t->waiting) { /* the probe's time is up */
        viv_trace_result r = {0};
        r.kind = VIV_TRACE_TIMEOUT;
        r.ttl = t->ttl;
        r.probe = t->probe;
        tr_settle(t, &r);
        return;
    }
    t->seq++;
    t->sent_at = sim->now;
    t->waiting = 1;
    int rc = echo_send(t->h, t->dst, t->eu.ident, t->seq, t->o.size, t->ttl, NULL, 0, 0x40);
    if (rc < 0) {
        viv_trace_result r = {0};
        r.kind = VIV_TRACE_UNREACHABLE;
        r.ttl = t->ttl;
        r.probe = t->probe;
        r.icmp_code = rc == VIV_EMSGSIZE ? VIV__ICMP_UNREACH_FRAG_NEEDED : VIV__ICMP_UNREACH_NET;
        tr_settle(t, &r);
        return;
    }
    viv__timer_set(&t->timer, viv__time_add(sim->now, t->o.timeout_ns));
}

static void tr_on_reply(void *ctx, const struct viv__ipv4_repr *ip,
                        const struct viv__icmp_repr *m, size_t len)
{
    struct viv_traceroute *t = ctx;
    (void)len;
    if (!t->waiting || m->seq != t->seq || ip->src != t->dst)
        return;
    viv_trace_result r = {0};
    r.kind = VIV_TRACE_REACHED;
    r.ttl = t->ttl;
    r.probe = t->probe;
    r.from = ip->src;
    r.rtt_ns = t->h->node.sim->now - t->sent_at;
    tr_settle(t, &r);
}

static void tr_on_error(void *ctx, const struct viv__ipv4_repr *ip,
                        const struct viv__icmp_repr *m, size_t len, uint16_t seq)
{
    struct viv_traceroute *t = ctx;
    (void)len;
    if (!t->waiting || seq != t->seq)
        return;
    viv_trace_result r = {0};
    r.kind = m->type == VIV__ICMP_TIME_EXCEEDED ? VIV_TRACE_HOP : VIV_TRACE_UNREACHABLE;
    r.ttl = t->ttl;
    r.probe = t->probe;
    r.from = ip->src;
    r.rtt_ns = t->h->node.sim->now - t->sent_at;
    r.icmp_code = m->code;
    tr_settle(t, &r);
}

int viv_traceroute_start(viv_traceroute_t **out, viv_host_t *h, viv_ip4_t dst,
                         const viv_traceroute_opts *opts, viv_traceroute_cb cb, void *user)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    viv_traceroute_opts o = VIV_TRACEROUTE_OPTS_INIT;
    if (opts)
        o = *opts;
    if (!o.max_hops)
        o.max_hops = 30;
    if (!o.probes)
        o.probes = 3;
    if (!o.timeout_ns)
        o.timeout_ns = VIV_S(1);
    if (!o.size)
        o.size = 32;
    VIV__CHECK(sim, o.size <= 65507, "echo data above 65507 bytes");
    struct viv_traceroute *t = viv__zalloc(sim, sizeof(*t));
    if (!t)
        return viv__err(sim, VIV_ENOMEM, "viv_traceroute_start: out of memory");
    t->h = h;
    t->sim = sim;
    t->dst = dst;
    t->o = o;
    t->cb = cb;
    t->user = user;
    t->ttl = 1;
    t->probe = 1;
    t->eu.ctx = t;
    t->eu.reply = tr_on_reply;
    t->eu.error = tr_on_error;
    viv__timer_clear(&t->timer);
    /* As viv_ping_start: the identifier first, given back if the timer cannot be had. */
    const uint16_t counter = h->next_echo_ident;
    int rc = viv__echo_user_add(h, &t->eu);
    if (rc == 0 && viv__timer_init(&t->timer, sim, h->node.owner, tr_timer) < 0) {
        viv__echo_user_remove(h, &t->eu);
        h->next_echo_ident = counter;
        rc = VIV_ENOMEM;
    }
    if (rc < 0) {
        viv__timer_fini(&t->timer);
        viv__free(sim, t, sizeof(*t));
        if (rc == VIV_EAGAIN)
            return viv__err(sim, rc,
                            "viv_traceroute_start: every ICMP echo identifier of the "
                            "host is in use");
        return viv__err(sim, VIV_ENOMEM, "viv_traceroute_start: out of memory");
    }
    viv__timer_set(&t->timer, sim->now); /* the first probe, from an event */
    viv__hostobj_add(h, &t->obj, tr_obj_destroy);
    if (out)
        *out = t;
    return 0;
}

void viv_traceroute_free(viv_traceroute_t *t)
{
    VIV__HANDLE(t, TRACEROUTE);
    if (!t || t->dead)
        return;
    viv__hostobj_remove(&t->obj);
    tr_kill(t);
}
