/* Ladder diagrams: a recorder on the trace (chained to the subscriber it replaced) that keeps
 * the TCP segments two hosts send and the states their connections enter, and prints them
 * as a two-column diagram. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "l2/l2.h"
#include "vivarium/ladder.h"
#include "vivarium/tcp.h"

#define LADDER_MAX 65536u
#define LADDER_LANE 40 /* characters between the two columns' bars */

typedef struct ladder_ev {
    viv_time_t t;
    uint8_t side;  /* 0 left, 1 right */
    uint8_t is_seg;
    uint8_t flags;
    uint8_t received;
    uint8_t lost; /* a drop record named it: it never arrives */
    int state;
    uint32_t seq, ack, len; /* relative */
    uint32_t raw_seq, raw_ack;
    viv_sockaddr_t local, remote;
} ladder_ev;

struct viv_ladder {
    viv__obj obj;
    viv_sim_t *sim;
    /* The columns' nodes, known by address and id: a node freed while the ladder lives
     * leaves its address to a later node, which is not drawn. Their names are copied, so
     * that the diagram still prints after they go. */
    const viv_node_t *node[2];
    uint64_t node_id[2];
    char name[2][sizeof(((struct viv_node *)0)->name)];
    uint16_t port;
    ladder_ev *ev;
    size_t n, cap;
    uint64_t overflow;
    viv_trace_cb prev_cb;
    void *prev_ud;
};

static void ladder_destroy(viv__obj *o);

static ladder_ev *ladder_push(struct viv_ladder *l)
{
    if (l->n >= LADDER_MAX) {
        l->overflow++;
        return NULL;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        void *p = viv__realloc(l->sim, l->ev, l->cap * sizeof(ladder_ev), ncap * sizeof(ladder_ev));
        if (!p) {
            l->overflow++;
            return NULL;
        }
        l->ev = p;
        l->cap = ncap;
    }
    ladder_ev *e = &l->ev[l->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* The TCP header of a dropped frame (its bytes from the Ethernet or the IPv4 header): ports,
 * seq, ack, flags and payload length. 0 if it is not a whole TCP segment. */
static int dropped_segment(const uint8_t *b, uint32_t n, uint16_t *sport, uint16_t *dport,
                           uint32_t *seq, uint32_t *ack, uint8_t *flags, uint32_t *plen)
{
    if (!b)
        return 0;
    if (n >= 34 && b[12] == 0x08 && b[13] == 0x00 && (b[14] >> 4) == 4) {
        b += 14; /* Ethernet, then IPv4 */
        n -= 14;
    }
    if (n < 20 || (b[0] >> 4) != 4 || b[9] != 6)
        return 0;
    uint32_t ihl = (uint32_t)(b[0] & 15) * 4, total = (uint32_t)b[2] << 8 | b[3];
    if (ihl < 20 || total > n || total < ihl + 20)
        return 0;
    const uint8_t *t = b + ihl;
    uint32_t thl = (uint32_t)(t[12] >> 4) * 4;
    if (thl < 20 || ihl + thl > total)
        return 0;
    *sport = (uint16_t)(t[0] << 8 | t[1]);
    *dport = (uint16_t)(t[2] << 8 | t[3]);
    *seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    *ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    *flags = t[13];
    *plen = total - ihl - thl;
    return 1;
}

/* Whether a record's node is the column's node (still the same one, not a later node at a
 * freed one's address). */
static int ladder_is(const struct viv_ladder *l, const viv_node_t *node, int side)
{
    return node && node == l->node[side] && node->id == l->node_id[side];
}

static void ladder_cb(const viv_trace_record *r, void *user)
{
    struct viv_ladder *l = user;
    int side = ladder_is(l, r->node, 0) ? 0 : ladder_is(l, r->node, 1) ? 1 : -1;
    int wanted = side >= 0 && (!l->port || r->local.port == l->port || r->remote.port == l->port);
    if (wanted && (r->kind == VIV_TRACE_TCP_SEG_TX || r->kind == VIV_TRACE_TCP_STATE)) {
        ladder_ev *e = ladder_push(l);
        if (e) {
            e->t = r->time;
            e->side = (uint8_t)side;
            e->local = r->local;
            e->remote = r->remote;
            if (r->kind == VIV_TRACE_TCP_STATE) {
                e->state = r->state;
            } else {
                e->is_seg = 1;
                e->flags = r->tcp_flags;
                e->raw_seq = r->seq;
                e->raw_ack = r->ack;
                e->seq = r->socket ? r->seq - r->iss : r->seq;
                e->ack = r->socket && (r->tcp_flags & VIV_TCP_ACK) ? r->ack - r->irs : r->ack;
                e->len = r->seg_len;
            }
        }
    } else if (r->kind == VIV_TRACE_FRAME_DROP && r->reason != VIV_DROP_FILTERED) {
        /* A segment lost on the way: the earliest identical one sent and still travelling is
         * that one (frames of one direction keep their order), so that a later identical
         * segment that does arrive is not taken for it. A copy that a hub (or a flooding
         * switch) gave to a station it was not for, dropped there as not its own, or that
         * a switch filtered, is no loss: until the audit of test_tcp_audit_trace such a
         * drop, traced before the segment's arrival at the same instant, drew it lost. */
        uint16_t sp, dp;
        uint32_t seq, ack, plen;
        uint8_t fl;
        if (dropped_segment(r->frame, r->frame_len, &sp, &dp, &seq, &ack, &fl, &plen)) {
            for (size_t i = 0; i < l->n; i++) {
                ladder_ev *e = &l->ev[i];
                if (e->is_seg && !e->received && !e->lost && e->raw_seq == seq &&
                    e->raw_ack == ack && e->flags == fl && e->len == plen &&
                    e->local.port == sp && e->remote.port == dp) {
                    if (r->reason == VIV_DROP_NOT_MINE && !ladder_is(l, r->node, !e->side))
                        break; /* a copy for another station */
                    e->lost = 1;
                    break;
                }
            }
        }
    } else if (wanted && r->kind == VIV_TRACE_TCP_SEG_RX) {
        /* The other side's earliest segment like this one, neither received nor lost,
         * arrived. */
        for (size_t i = 0; i < l->n; i++) {
            ladder_ev *e = &l->ev[i];
            if (e->is_seg && !e->received && !e->lost && e->side != side &&
                e->raw_seq == r->seq &&
                e->raw_ack == r->ack && e->flags == r->tcp_flags && e->len == r->seg_len &&
                e->local.port == r->remote.port && e->remote.port == r->local.port) {
                e->received = 1;
                break;
            }
        }
    }
    if (l->prev_cb)
        l->prev_cb(r, l->prev_ud);
}

int viv_ladder_new(viv_ladder_t **out, viv_sim_t *sim, const viv_node_t *left,
                   const viv_node_t *right, uint16_t port)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return VIV_EINVAL;
    VIV__CHECK(sim, out && left && right, "NULL argument");
    VIV__HANDLE(left, NODE);
    VIV__HANDLE(right, NODE);
    VIV__CHECK(sim, left != right, "the two columns must be two nodes");
    VIV__CHECK(sim, left->sim == sim && right->sim == sim, "a node of another simulation");
    struct viv_ladder *l = viv__zalloc(sim, sizeof(*l));
    if (!l)
        return viv__err(sim, VIV_ENOMEM, "viv_ladder_new: out of memory");
    l->sim = sim;
    l->node[0] = left;
    l->node[1] = right;
    for (int i = 0; i < 2; i++) {
        l->node_id[i] = l->node[i]->id;
        memcpy(l->name[i], l->node[i]->name, sizeof l->name[i]);
    }
    l->port = port;
    l->prev_cb = sim->trace_cb;
    l->prev_ud = sim->trace_ud;
    viv__obj_register(sim, &l->obj, ladder_destroy);
    viv_sim_trace(sim, ladder_cb, l);
    *out = l;
    return 0;
}

static void ladder_unchain(struct viv_ladder *l)
{
    viv_sim_t *sim = l->sim;
    if (sim->trace_cb == ladder_cb && sim->trace_ud == l) {
        viv_sim_trace(sim, l->prev_cb, l->prev_ud);
        return;
    }
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->destroy != ladder_destroy)
            continue;
        struct viv_ladder *x = (struct viv_ladder *)o;
        if (x->prev_cb == ladder_cb && x->prev_ud == l) {
            x->prev_cb = l->prev_cb;
            x->prev_ud = l->prev_ud;
        }
    }
}

static void ladder_destroy(viv__obj *o)
{
    struct viv_ladder *l = (struct viv_ladder *)o;
    viv__free(l->sim, l->ev, l->cap * sizeof(ladder_ev));
    viv__free(l->sim, l, sizeof(*l));
}

void viv_ladder_free(viv_ladder_t *l)
{
    if (!l)
        return;
    ladder_unchain(l);
    viv__obj_unregister(l->sim, &l->obj);
    ladder_destroy(&l->obj);
}

void viv_ladder_clear(viv_ladder_t *l)
{
    if (l)
        l->n = 0;
}

uint64_t viv_ladder_overflow(const viv_ladder_t *l)
{
    return l ? l->overflow : 0;
}

static void ladder_flags(uint8_t f, char *out, size_t cap)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{VIV_TCP_SYN, "SYN"}, {VIV_TCP_FIN, "FIN"}, {VIV_TCP_RST, "RST"},
                 {VIV_TCP_PSH, "PSH"}, {VIV_TCP_ACK, "ACK"}, {VIV_TCP_URG, "URG"}};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", names[i].name);
}

/* The label of a segment's arrow: " FLAGS seq=S ack=A len=L " (no ack without ACK). */
static size_t ladder_label(const ladder_ev *e, char *label, size_t cap)
{
    char fl[32];
    ladder_flags(e->flags, fl, sizeof fl);
    if (e->flags & VIV_TCP_ACK)
        snprintf(label, cap, " %s seq=%u ack=%u len=%u ", fl, e->seq, e->ack, e->len);
    else
        snprintf(label, cap, " %s seq=%u len=%u ", fl, e->seq, e->len);
    return strlen(label);
}

int viv_ladder_text(const viv_ladder_t *l, char *buf, size_t cap)
{
    if (!l)
        return VIV_EINVAL;
    if (cap && !buf)
        return viv__err(l->sim, VIV_EINVAL, "viv_ladder_text: NULL buf with cap %zu", cap);
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    char label[96];
    /* The lane between the bars is LADDER_LANE wide, or wider for the whole diagram when a
     * label would not fit: until the audit of test_tcp_audit_trace a long label (six-digit
     * relative numbers, or FIN,PSH,ACK) was cut to the lane, so that "ack=250001 len=1448"
     * read "ack=250" and the numbers shown were wrong. */
    size_t width = LADDER_LANE;
    for (size_t i = 0; i < l->n; i++)
        if (l->ev[i].is_seg) {
            size_t ll = ladder_label(&l->ev[i], label, sizeof label);
            if (ll + 6 > width)
                width = ll + 6;
        }
    char lane[sizeof label + 6];
    int w = (int)width;
    viv__sb_printf(&sb, "%10s  %-12s %-*s %s\n", "time", l->name[0], w, "",
                   l->name[1]);
    for (size_t i = 0; i < l->n; i++) {
        const ladder_ev *e = &l->ev[i];
        unsigned long long us = (unsigned long long)(e->t / 1000u);
        viv__sb_printf(&sb, "%4llu.%06llu  ", us / 1000000u, us % 1000000u);
        if (!e->is_seg) {
            const char *st = viv_tcp_state_name((viv_tcp_state)e->state);
            if (e->side == 0)
                viv__sb_printf(&sb, "%-12s |%*s|\n", st, w, "");
            else
                viv__sb_printf(&sb, "%-12s |%*s| %s\n", "", w, "", st);
            continue;
        }
        size_t ll = ladder_label(e, label, sizeof label);
        memset(lane, '-', width);
        lane[width] = '\0';
        memcpy(lane + 4, label, ll);
        if (e->side == 0)
            lane[width - 1] = e->received ? '>' : 'X';
        else
            lane[0] = e->received ? '<' : 'X';
        viv__sb_printf(&sb, "%-12s |%s|\n", "", lane);
    }
    return (int)sb.len;
}
