/* Expectations matched in order against a recorder, their reports, and the drivers that run
 * a simulation until something holds (viv_run_until, viv_rec_wait, viv_expect_run).
 *
 * The matcher is resumable: a state (the next line, the next frame, the previous match's
 * time) advances over the frames recorded so far, and a driver that checks after every
 * event resumes it instead of starting over, so a check costs what the new frames cost. */
#include <stdio.h>
#include <string.h>

#include "kit.h"

/* ---- running until -------------------------------------------------------------------------- */

/* viv__sim_next_queued gives the time of the next queued event, observers' included (idle
 * timers' events, which happen at no time, are looked past), and whether it is an
 * observer's (a capture or recorder writing a frame whose transmission starts).
 * viv_sim_next_time() looks past observers, and viv_sim_step() would run one and then the
 * next real event, however late; the kit wants to stop at the instant a frame is recorded,
 * so it runs an observer's event up to its instant instead (the clock then stands there). */

int viv__kit_run(viv_sim_t *sim, viv_time_t deadline, viv_until_fn pred, void *user)
{
    if (sim->running)
        return viv__err(sim, VIV_ESTATE, "running until: called from a callback");
    if (deadline < sim->now)
        return viv__err(sim, VIV_EINVAL,
                        "running until: the deadline %llu ns is before now (%llu ns)",
                        (unsigned long long)deadline, (unsigned long long)sim->now);
    for (;;) {
        if (pred(sim, user))
            return 1;
        /* Socket callbacks raised outside a run are due now: a step of their own. Left to
         * the closing viv_sim_run_until, one that called viv_sim_stop would end it with the
         * clock short of the deadline (the kit's drivers step, and steps pay no heed to a
         * stop). */
        int observer = 0;
        viv_time_t next = sim->posts ? sim->now : viv__sim_next_queued(sim, &observer);
        if (next == VIV_TIME_NEVER || next > deadline)
            break;
        int rc = observer ? viv_sim_run_until(sim, next) : viv_sim_step(sim);
        if (rc < 0)
            return rc;
    }
    if (deadline != VIV_TIME_NEVER) {
        int rc = viv_sim_run_until(sim, deadline);
        if (rc < 0)
            return rc;
    }
    return pred(sim, user) ? 1 : 0;
}

int viv_run_until(viv_sim_t *sim, viv_time_t deadline, viv_until_fn pred, void *user)
{
    if (!sim)
        return VIV_EINVAL;
    VIV__CHECK(sim, pred != NULL, "NULL predicate");
    return viv__kit_run(sim, deadline, pred, user);
}

/* ---- matching one frame --------------------------------------------------------------------- */

static const char *kind_name(viv_rec_kind k)
{
    static const char *const names[] = {"ETH", "ARP", "IP", "ICMP", "UDP", "TCP"};
    return (unsigned)k < VIV__ARRAY_LEN(names) ? names[k] : "?";
}

static const char *proto_name(viv_proto p)
{
    static const char *const names[] = {"any", "ARP", "IP", "ICMP", "UDP", "TCP", "ETH"};
    return (unsigned)p < VIV__ARRAY_LEN(names) ? names[p] : "?";
}

static void flags_text(viv__sb *sb, int64_t fl)
{
    static const struct {
        int bit;
        char c;
    } order[8] = {{VIV_TCP_FIN, 'F'}, {VIV_TCP_SYN, 'S'}, {VIV_TCP_RST, 'R'}, {VIV_TCP_PSH, 'P'},
                  {VIV_TCP_ACK, '.'}, {VIV_TCP_URG, 'U'}, {VIV_TCP_ECE, 'E'}, {VIV_TCP_CWR, 'W'}};
    viv__sb_printf(sb, "[");
    if (!fl)
        viv__sb_printf(sb, "none");
    for (int k = 0; k < 8; k++)
        if (fl & order[k].bit)
            viv__sb_printf(sb, "%c", order[k].c);
    viv__sb_printf(sb, "]");
}

static int ep_match(const struct viv_rec *r, uint32_t epi, const viv_mac_t *mac,
                    const kit_epspec *s, const char *which, viv__sb *why)
{
    const kit_ep *e = &r->eps[epi];
    int ok = 1;
    switch (s->kind) {
    case KIT_EP_NAME:
        ok = strcmp(e->name, s->name) == 0;
        break;
    case KIT_EP_IP:
        ok = !e->is_mac && e->ip == s->ip;
        break;
    case KIT_EP_MAC:
        ok = memcmp(mac->b, s->mac.b, 6) == 0;
        break;
    default:
        break;
    }
    if (!ok && why) {
        char got[VIV_REC_NAME_MAX], want[VIV_REC_NAME_MAX];
        viv__kit_ep_text(r, epi, got);
        if (s->kind == KIT_EP_MAC) {
            viv_mac_format(mac, got, sizeof got);
            viv_mac_format(&s->mac, want, sizeof want);
        } else if (s->kind == KIT_EP_IP) {
            viv_ip4_format(s->ip, want, sizeof want);
            if (!e->is_mac)
                viv_ip4_format(e->ip, got, sizeof got);
        } else {
            memcpy(want, s->name, sizeof want);
        }
        viv__sb_printf(why, "%s %s, expected %s", which, got, want);
    }
    return ok;
}

/* A number field: matches, or says so. */
static int num_match(int64_t want, uint64_t got, const char *what, viv__sb *why)
{
    if (want == VIV_ANY || (uint64_t)want == got)
        return 1;
    if (why)
        viv__sb_printf(why, "%s %llu, expected %lld", what, (unsigned long long)got,
                       (long long)want);
    return 0;
}

/* An option: VIV_ANY, VIV_ABSENT or a value, against present/value. */
static int opt_match(int64_t want, int present, uint64_t got, const char *what, viv__sb *why)
{
    if (want == VIV_ANY)
        return 1;
    if (want == VIV_ABSENT) {
        if (!present)
            return 1;
        if (why)
            viv__sb_printf(why, "option %s present, expected none", what);
        return 0;
    }
    if (!present) {
        if (why)
            viv__sb_printf(why, "option %s absent, expected %lld", what, (long long)want);
        return 0;
    }
    return num_match(want, got, what, why);
}

int viv__kit_match(const struct viv_rec *r, const kit_frame *f, const kit_line *l, viv__sb *why)
{
    const viv_pattern *p = &l->p;
    const viv_rec_entry *e = &f->e;
    const viv_frame_info *in = &e->info;
    int ok;
    switch (p->proto) {
    case VIV_PROTO_ARP:
        ok = e->kind == VIV_REC_ARP;
        break;
    case VIV_PROTO_IP:
        ok = e->kind >= VIV_REC_IP;
        break;
    case VIV_PROTO_ICMP:
        ok = e->kind == VIV_REC_ICMP;
        break;
    case VIV_PROTO_UDP:
        ok = e->kind == VIV_REC_UDP;
        break;
    case VIV_PROTO_TCP:
        ok = e->kind == VIV_REC_TCP;
        break;
    default:
        ok = 1;
        break;
    }
    if (!ok) {
        if (why)
            viv__sb_printf(why, "protocol %s, expected %s", kind_name(e->kind),
                           proto_name(p->proto));
        return 0;
    }
    if (!ep_match(r, f->src_ep, &in->src, &l->src, "source", why) ||
        !ep_match(r, f->dst_ep, &in->dst, &l->dst, "destination", why))
        return 0;
    if (!num_match(p->sport, in->sport, "source port", why) ||
        !num_match(p->dport, in->dport, "destination port", why))
        return 0;
    if (p->port != VIV_ANY && in->sport != p->port && in->dport != p->port) {
        if (why)
            viv__sb_printf(why, "ports %u>%u, expected %lld on either side", in->sport, in->dport,
                           (long long)p->port);
        return 0;
    }
    if (!num_match(p->ethertype, in->ethertype, "EtherType", why) ||
        !num_match(p->ip_proto, in->ip_proto, "IP protocol", why) ||
        !num_match(p->arp_op, in->arp_op, "ARP operation", why) ||
        !num_match(p->icmp_type, in->icmp_type, "ICMP type", why) ||
        !num_match(p->icmp_code, in->icmp_code, "ICMP code", why) ||
        !num_match(p->icmp_id, e->icmp_id, "ICMP id", why) ||
        !num_match(p->icmp_seq, e->icmp_seq, "ICMP seq", why))
        return 0;
    if (p->len != VIV_ANY) {
        uint64_t len = p->proto == VIV_PROTO_ETH  ? e->len
                       : p->proto == VIV_PROTO_IP ? f->ip_len
                                                  : in->payload_len;
        if (!num_match(p->len, len, "len", why))
            return 0;
    }
    if (p->tcp_flags != VIV_ANY && p->tcp_flags != in->tcp_flags) {
        if (why) {
            viv__sb_printf(why, "flags ");
            flags_text(why, in->tcp_flags);
            viv__sb_printf(why, ", expected ");
            flags_text(why, p->tcp_flags);
        }
        return 0;
    }
    if (!num_match(p->seq, e->seq, "seq", why))
        return 0;
    if (p->ack != VIV_ANY) {
        if (!(in->tcp_flags & VIV_TCP_ACK)) {
            if (why)
                viv__sb_printf(why, "no ACK flag, expected ack %lld", (long long)p->ack);
            return 0;
        }
        if (!num_match(p->ack, e->ack, "ack", why))
            return 0;
    }
    if (!num_match(p->win, e->win, "win", why))
        return 0;
    int opts = p->mss != VIV_ANY || p->wscale != VIV_ANY || p->sack_ok != VIV_ANY ||
               p->ts != VIV_ANY || p->sack_count != VIV_ANY;
    if (opts && e->opts_bad) {
        if (why)
            viv__sb_printf(why, "TCP options malformed");
        return 0;
    }
    if (!opt_match(p->mss, e->mss != 0, e->mss, "mss", why) ||
        !opt_match(p->wscale, e->wscale >= 0, (uint64_t)(e->wscale < 0 ? 0 : e->wscale), "wscale",
                   why) ||
        !opt_match(p->sack_ok, e->sack_ok, 1, "sackOK", why) ||
        !opt_match(p->ts, e->ts, 1, "TS", why))
        return 0;
    if (p->ts == 1 && (!num_match(p->ts_val, e->tsval, "TS val", why) ||
                       !num_match(p->ts_ecr, e->tsecr, "TS ecr", why)))
        return 0;
    if (p->sack_count != VIV_ANY) {
        int same = (uint64_t)p->sack_count == e->sack_count;
        for (uint32_t k = 0; same && k < e->sack_count; k++)
            same = p->sack[k][0] == e->sack[k][0] && p->sack[k][1] == e->sack[k][1];
        if (!same) {
            if (why) {
                viv__sb_printf(why, "SACK blocks");
                if (!e->sack_count)
                    viv__sb_printf(why, " none");
                for (uint32_t k = 0; k < e->sack_count; k++)
                    viv__sb_printf(why, " %u:%u", e->sack[k][0], e->sack[k][1]);
                viv__sb_printf(why, ", expected");
                if (!p->sack_count)
                    viv__sb_printf(why, " none");
                for (int64_t k = 0; k < p->sack_count; k++)
                    viv__sb_printf(why, " %u:%u", p->sack[k][0], p->sack[k][1]);
            }
            return 0;
        }
    }
    return 1;
}

int viv__kit_time_ok(const viv_pattern *p, viv_time_t prev, viv_time_t t, viv_time_t *first_out,
                     viv_time_t *last_out)
{
    viv_time_t first = 0, last = VIV_TIME_NEVER;
    if (p->when != VIV_WHEN_ANY) {
        viv_time_t target = viv__time_add(p->time_rel ? prev : 0, p->time_ns);
        last = target;
        if (p->when == VIV_WHEN_AT) {
            first = target > p->tol_ns ? target - p->tol_ns : 0;
            last = viv__time_add(target, p->tol_ns);
        }
    }
    if (first_out)
        *first_out = first;
    if (last_out)
        *last_out = last;
    return t >= first && t <= last;
}

/* ---- lists of expectations ------------------------------------------------------------------- */

struct viv_expect {
    viv__obj obj;
    viv_sim_t *sim;
    kit_line *lines;
    size_t n, cap;
    uint32_t lineno; /* lines so far */
    int allow_arp;   /* the directive in force */
};

static void lines_free(viv_sim_t *sim, kit_line *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        viv__free(sim, l[i].text, l[i].text_size);
}

static void expect_release(struct viv_expect *ex)
{
    lines_free(ex->sim, ex->lines, ex->n);
    viv__free(ex->sim, ex->lines, ex->cap * sizeof(kit_line));
    viv__free(ex->sim, ex, sizeof(*ex));
}

static void expect_destroy(viv__obj *o)
{
    expect_release((struct viv_expect *)o);
}

int viv_expect_new(viv_expect_t **out, viv_sim_t *sim)
{
    if (!sim)
        return VIV_EINVAL;
    VIV__CHECK(sim, out != NULL, "NULL out");
    struct viv_expect *ex = viv__zalloc(sim, sizeof(*ex));
    if (!ex)
        return viv__err(sim, VIV_ENOMEM, "viv_expect_new: out of memory");
    ex->sim = sim;
    viv__obj_register(sim, &ex->obj, expect_destroy);
    *out = ex;
    return 0;
}

void viv_expect_free(viv_expect_t *ex)
{
    if (!ex)
        return;
    viv__obj_unregister(ex->sim, &ex->obj);
    expect_release(ex);
}

size_t viv_expect_count(const viv_expect_t *ex)
{
    return ex ? ex->n : 0;
}

static int reserve(struct viv_expect *ex, size_t more)
{
    if (ex->n + more <= ex->cap)
        return 0;
    size_t ncap = ex->cap ? ex->cap : 8;
    while (ncap < ex->n + more)
        ncap *= 2;
    kit_line *p =
        viv__realloc(ex->sim, ex->lines, ex->cap * sizeof(kit_line), ncap * sizeof(kit_line));
    if (!p)
        return viv__err(ex->sim, VIV_ENOMEM, "expectations: out of memory");
    ex->lines = p;
    ex->cap = ncap;
    return 0;
}

/* Give line l its text (copied): s[0..n) trimmed, or its canonical spelling if s is NULL. */
static int line_set_text(viv_sim_t *sim, kit_line *l, const char *s, size_t n)
{
    char canon[512];
    if (!s) {
        viv__sb sb;
        viv__sb_init(&sb, canon, sizeof canon);
        viv__kit_pattern_write(&sb, &l->p, &l->src, &l->dst);
        s = canon;
        n = sb.len < sizeof canon ? sb.len : sizeof canon - 1;
    } else {
        size_t e = 0;
        while (e < n && s[e] != '#')
            e++;
        n = e;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            n--;
        while (n && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
    }
    l->text = viv__alloc(sim, n + 1);
    if (!l->text)
        return VIV_ENOMEM;
    memcpy(l->text, s, n);
    l->text[n] = 0;
    l->text_size = n + 1;
    return 0;
}

int viv_expect_parse(viv_expect_t *ex, const char *text)
{
    if (!ex)
        return VIV_EINVAL;
    viv_sim_t *sim = ex->sim;
    VIV__CHECK(sim, text != NULL, "NULL text");
    size_t n0 = ex->n;
    int allow = ex->allow_arp;
    uint32_t lineno = ex->lineno;
    const char *s = text;
    int rc = 0;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (!nl && len == 0 && s != text)
            break; /* the text ended with a newline */
        lineno++;
        kit_line l;
        size_t col;
        char err[200];
        int k = viv__kit_parse_line(s, len, &l, &allow, &col, err, sizeof err);
        if (k == KIT_PARSE_ERROR) {
            rc = viv__err(sim, VIV_EINVAL, "expectations: line %u, column %zu: %s", lineno, col,
                          err);
            break;
        }
        if (k == KIT_PARSE_LINE) {
            l.lineno = lineno;
            if ((rc = reserve(ex, 1)) < 0)
                break;
            if (line_set_text(sim, &l, s, len) < 0) {
                rc = viv__err(sim, VIV_ENOMEM, "expectations: out of memory");
                break;
            }
            ex->lines[ex->n++] = l;
        }
        if (!nl)
            break;
        s = nl + 1;
    }
    if (rc < 0) { /* all or nothing */
        if (ex->n > n0)
            lines_free(sim, ex->lines + n0, ex->n - n0);
        ex->n = n0;
        return rc;
    }
    ex->allow_arp = allow;
    ex->lineno = lineno;
    return 0;
}

int viv_expect_add(viv_expect_t *ex, const viv_pattern *p)
{
    if (!ex)
        return VIV_EINVAL;
    viv_sim_t *sim = ex->sim;
    VIV__CHECK(sim, p != NULL, "NULL pattern");
    kit_line l;
    char err[200];
    if (viv__kit_line_from_pattern(&l, p, err, sizeof err) < 0)
        return viv__err(sim, VIV_EINVAL, "viv_expect_add: %s", err);
    int rc = reserve(ex, 1);
    if (rc < 0)
        return rc;
    if (line_set_text(sim, &l, NULL, 0) < 0)
        return viv__err(sim, VIV_ENOMEM, "expectations: out of memory");
    l.lineno = ++ex->lineno;
    ex->lines[ex->n++] = l;
    return 0;
}

int viv_expect_text(const viv_expect_t *ex, size_t i, char *buf, size_t cap)
{
    if (!ex)
        return VIV_EINVAL;
    VIV__CHECK(ex->sim, buf != NULL || cap == 0, "NULL buffer");
    if (i >= ex->n)
        return viv__err(ex->sim, VIV_ERANGE, "viv_expect_text: line %zu of %zu", i, ex->n);
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    viv__sb_printf(&sb, "%s", ex->lines[i].text);
    return (int)sb.len;
}

/* ---- the matcher's state --------------------------------------------------------------------- */

enum { ST_PENDING = 0, ST_MET = 1, ST_FAILED = 2 };

typedef struct kit_state {
    size_t line;      /* the next expectation */
    size_t cur;       /* the next frame */
    viv_time_t prev;  /* the previous match's time (the recorder's start at first) */
    size_t prev_line; /* its expectation, SIZE_MAX for none */
    int status;
    size_t bad_frame; /* the first frame that came instead, SIZE_MAX for none */
    char why[256];
} kit_state;

static void state_init(kit_state *st, const struct viv_rec *r)
{
    memset(st, 0, sizeof(*st));
    st->prev = r->t0;
    st->prev_line = SIZE_MAX;
    st->bad_frame = SIZE_MAX;
}

static void st_fail(kit_state *st, size_t frame)
{
    st->status = ST_FAILED;
    st->bad_frame = frame;
}

/* Advance over the frames recorded so far. final: nothing more will be recorded. */
static void advance(kit_state *st, const struct viv_expect *ex, const struct viv_rec *r,
                    viv_time_t now, int final)
{
    if (st->status != ST_PENDING)
        return;
    viv__sb why;
    while (st->line < ex->n) {
        const kit_line *l = &ex->lines[st->line];
        viv__sb_init(&why, st->why, sizeof st->why);
        if (l->p.kind == VIV_PATTERN_QUIET) {
            viv_time_t until = viv__time_add(l->p.time_rel ? st->prev : 0, l->p.time_ns);
            for (; st->cur < r->nfr && r->fr[st->cur].e.time < until; st->cur++) {
                const kit_frame *f = &r->fr[st->cur];
                if (l->p.allow_arp && f->e.kind == VIV_REC_ARP)
                    continue;
                viv__sb_printf(&why, "a frame came at ");
                viv__kit_time_abs(&why, f->e.time);
                viv__sb_printf(&why, ", before ");
                viv__kit_time_abs(&why, until);
                st_fail(st, st->cur);
                return;
            }
            if (st->cur >= r->nfr && r->overflow) {
                viv__sb_printf(&why, "the recorder is full: %llu frames were not kept",
                               (unsigned long long)r->overflow);
                st_fail(st, SIZE_MAX);
                return;
            }
            if (st->cur < r->nfr || now >= until || final) {
                st->line++;
                continue;
            }
            viv__sb_printf(&why, "waiting until ");
            viv__kit_time_abs(&why, until);
            return;
        }
        int matched = 0;
        while (st->cur < r->nfr) {
            const kit_frame *f = &r->fr[st->cur];
            viv__sb_init(&why, st->why, sizeof st->why);
            if (viv__kit_match(r, f, l, &why)) {
                viv_time_t first, last;
                if (viv__kit_time_ok(&l->p, st->prev, f->e.time, &first, &last)) {
                    st->prev = f->e.time;
                    st->prev_line = st->line;
                    st->cur++;
                    st->line++;
                    matched = 1;
                    break;
                }
                viv__sb_init(&why, st->why, sizeof st->why);
                viv__sb_printf(&why, "time ");
                viv__kit_time_abs(&why, f->e.time);
                if (l->p.when == VIV_WHEN_BY) {
                    viv__sb_printf(&why, ", expected at or before ");
                    viv__kit_time_abs(&why, last);
                } else if (first == last) {
                    viv__sb_printf(&why, ", expected ");
                    viv__kit_time_abs(&why, first);
                } else {
                    viv__sb_printf(&why, ", expected ");
                    viv__kit_time_abs(&why, first);
                    viv__sb_printf(&why, " to ");
                    viv__kit_time_abs(&why, last);
                }
                st_fail(st, st->cur);
                return;
            }
            if (l->p.allow_arp && f->e.kind == VIV_REC_ARP) {
                st->cur++;
                continue;
            }
            st_fail(st, st->cur);
            return;
        }
        if (matched)
            continue;
        viv__sb_init(&why, st->why, sizeof st->why);
        if (r->overflow) {
            viv__sb_printf(&why, "the recorder is full: %llu frames were not kept",
                           (unsigned long long)r->overflow);
            st_fail(st, SIZE_MAX);
            return;
        }
        viv_time_t last;
        viv__kit_time_ok(&l->p, st->prev, 0, NULL, &last);
        if (final || (last != VIV_TIME_NEVER && now > last)) {
            if (last == VIV_TIME_NEVER) {
                viv__sb_printf(&why, "no frame came");
            } else {
                viv__sb_printf(&why, "no frame came by ");
                viv__kit_time_abs(&why, last);
            }
            st_fail(st, SIZE_MAX);
            return;
        }
        viv__sb_printf(&why, "no frame yet");
        return;
    }
    st->status = ST_MET;
}

#define REPORT_FRAMES 8u

static void report(const kit_state *st, const struct viv_expect *ex, const struct viv_rec *r,
                   viv_time_t now, char *buf, size_t cap)
{
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    if (st->status == ST_MET)
        return;
    const kit_line *l = &ex->lines[st->line];
    viv__sb_printf(&sb, "expectation %s: line %u: %s\n",
                   st->status == ST_FAILED ? "not met" : "pending", l->lineno, l->text);
    viv__sb_printf(&sb, "  why: %s\n", st->why);
    viv__sb_printf(&sb, "  simulated time: ");
    viv__kit_time_abs(&sb, now);
    viv__sb_printf(&sb, "\n");
    if (st->prev_line == SIZE_MAX) {
        viv__sb_printf(&sb, "  previous match: none (recording started at ");
        viv__kit_time_abs(&sb, r->t0);
        viv__sb_printf(&sb, ")\n");
    } else {
        viv__sb_printf(&sb, "  previous match: line %u at ", ex->lines[st->prev_line].lineno);
        viv__kit_time_abs(&sb, st->prev);
        viv__sb_printf(&sb, "\n");
    }
    size_t from = st->bad_frame != SIZE_MAX ? st->bad_frame : st->cur;
    if (from >= r->nfr) {
        viv__sb_printf(&sb, "  came instead: nothing\n");
        return;
    }
    viv__sb_printf(&sb, "  came instead:\n");
    size_t i = from;
    for (; i < r->nfr && i < from + REPORT_FRAMES; i++) {
        viv__sb_printf(&sb, "    ");
        viv__kit_frame_line(&sb, r, &r->fr[i]);
        viv__sb_printf(&sb, "\n");
    }
    if (i < r->nfr)
        viv__sb_printf(&sb, "    ... and %zu more\n", r->nfr - i);
}

int viv_expect_check(const viv_expect_t *ex, const viv_rec_t *rec, int final, char *report_buf,
                     size_t cap)
{
    if (!ex)
        return VIV_EINVAL;
    VIV__CHECK(ex->sim, rec != NULL && rec->sim == ex->sim,
               "NULL recorder, or another "
               "simulation's");
    VIV__CHECK(ex->sim, report_buf != NULL || cap == 0, "NULL report buffer");
    kit_state st;
    state_init(&st, rec);
    viv_time_t now = viv_sim_now(ex->sim);
    advance(&st, ex, rec, now, final);
    report(&st, ex, rec, now, report_buf, cap);
    return st.status == ST_MET ? 0 : st.status == ST_FAILED ? VIV_CHECK_FAILED : VIV_CHECK_PENDING;
}

typedef struct run_ctx {
    kit_state st;
    const struct viv_expect *ex;
    const struct viv_rec *rec;
} run_ctx;

static int run_pred(viv_sim_t *sim, void *user)
{
    run_ctx *c = user;
    advance(&c->st, c->ex, c->rec, viv_sim_now(sim), 0);
    return c->st.status != ST_PENDING;
}

int viv_expect_run(const viv_expect_t *ex, viv_rec_t *rec, viv_time_t deadline, char *report_buf,
                   size_t cap)
{
    if (!ex)
        return VIV_EINVAL;
    viv_sim_t *sim = ex->sim;
    VIV__CHECK(sim, rec != NULL && rec->sim == sim, "NULL recorder, or another simulation's");
    VIV__CHECK(sim, report_buf != NULL || cap == 0, "NULL report buffer");
    if (cap)
        report_buf[0] = '\0';
    run_ctx c;
    state_init(&c.st, rec);
    c.ex = ex;
    c.rec = rec;
    int rc = viv__kit_run(sim, deadline, run_pred, &c);
    if (rc < 0)
        return rc;
    advance(&c.st, ex, rec, viv_sim_now(sim), 1);
    report(&c.st, ex, rec, viv_sim_now(sim), report_buf, cap);
    return c.st.status == ST_MET ? 0 : VIV_CHECK_FAILED;
}

/* ---- single patterns ---------------------------------------------------------------------------
 */

int viv_rec_match(const viv_rec_t *rec, size_t i, const viv_pattern *p)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    VIV__CHECK(sim, p != NULL, "NULL pattern");
    if (i >= rec->nfr)
        return viv__err(sim, VIV_ERANGE, "viv_rec_match: frame %zu of %zu", i, rec->nfr);
    kit_line l;
    char err[200];
    if (viv__kit_line_from_pattern(&l, p, err, sizeof err) < 0)
        return viv__err(sim, VIV_EINVAL, "viv_rec_match: %s", err);
    if (l.p.kind != VIV_PATTERN_FRAME)
        return viv__err(sim, VIV_EINVAL,
                        "viv_rec_match: a \"nothing else until\" pattern "
                        "matches no frame");
    return viv__kit_match(rec, &rec->fr[i], &l, NULL);
}

typedef struct wait_ctx {
    const struct viv_rec *rec;
    const kit_line *l;
    viv_time_t ref;
    size_t scan;
    size_t found;
} wait_ctx;

static int wait_pred(viv_sim_t *sim, void *user)
{
    wait_ctx *w = user;
    (void)sim;
    const struct viv_rec *r = w->rec;
    if (w->scan > r->nfr) /* the recorder was cleared meanwhile */
        w->scan = 0;
    for (; w->scan < r->nfr; w->scan++) {
        const kit_frame *f = &r->fr[w->scan];
        if (viv__kit_match(r, f, w->l, NULL) &&
            viv__kit_time_ok(&w->l->p, w->ref, f->e.time, NULL, NULL)) {
            w->found = w->scan;
            return 1;
        }
    }
    return 0;
}

static int wait_line(viv_rec_t *rec, const kit_line *l, viv_time_t deadline, size_t *index_out)
{
    viv_sim_t *sim = rec->sim;
    if (l->p.kind != VIV_PATTERN_FRAME)
        return viv__err(sim, VIV_EINVAL,
                        "viv_rec_wait: a \"nothing else until\" pattern "
                        "matches no frame");
    wait_ctx w = {rec, l, viv_sim_now(sim), rec->nfr, SIZE_MAX};
    int rc = viv__kit_run(sim, deadline, wait_pred, &w);
    if (rc == 1 && index_out)
        *index_out = w.found;
    return rc;
}

int viv_rec_wait(viv_rec_t *rec, const viv_pattern *p, viv_time_t deadline, size_t *index_out)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    VIV__CHECK(sim, p != NULL, "NULL pattern");
    kit_line l;
    char err[200];
    if (viv__kit_line_from_pattern(&l, p, err, sizeof err) < 0)
        return viv__err(sim, VIV_EINVAL, "viv_rec_wait: %s", err);
    return wait_line(rec, &l, deadline, index_out);
}

int viv_rec_wait_text(viv_rec_t *rec, const char *line, viv_time_t deadline, size_t *index_out)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    VIV__CHECK(sim, line != NULL, "NULL line");
    kit_line l;
    size_t col;
    char err[200];
    int allow = 0;
    size_t n = strlen(line);
    if (memchr(line, '\n', n))
        return viv__err(sim, VIV_EINVAL, "viv_rec_wait_text: one line only");
    int k = viv__kit_parse_line(line, n, &l, &allow, &col, err, sizeof err);
    if (k == KIT_PARSE_ERROR)
        return viv__err(sim, VIV_EINVAL, "viv_rec_wait_text: column %zu: %s", col, err);
    if (k != KIT_PARSE_LINE)
        return viv__err(sim, VIV_EINVAL, "viv_rec_wait_text: the line expects no frame");
    return wait_line(rec, &l, deadline, index_out);
}

int viv_rec_expect(const viv_rec_t *rec, const char *script, char *report_buf, size_t cap)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    VIV__CHECK(sim, script != NULL, "NULL script");
    VIV__CHECK(sim, report_buf != NULL || cap == 0, "NULL report buffer");
    if (cap)
        report_buf[0] = '\0';
    viv_expect_t *ex = NULL;
    int rc = viv_expect_new(&ex, sim);
    if (rc < 0)
        return rc;
    rc = viv_expect_parse(ex, script);
    if (rc < 0) {
        if (cap)
            snprintf(report_buf, cap, "%s", viv_sim_errmsg(sim));
    } else {
        rc = viv_expect_check(ex, rec, 1, report_buf, cap);
    }
    viv_expect_free(ex);
    return rc;
}
