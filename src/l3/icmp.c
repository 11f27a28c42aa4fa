/* ICMP: the echo responder, error generation with RFC 1122/1812's restraints, and dispatch of
 * replies and errors to pings and transports. */
#include <assert.h>
#include <string.h>

#include "core/bytes.h"
#include "l3.h"
#include "vivarium/trace.h"

static int is_bcast_or_mcast(const struct viv_host *h, viv_ip4_t ip)
{
    if (ip == VIV_IP4_BROADCAST || (ip >> 28) == 0xe || (ip >> 28) == 0xf)
        return 1;
    return viv__host_bcast_iface(h, ip) >= 0;
}

static void icmp_send(struct viv_host *h, const struct viv__icmp_repr *m, viv_ip4_t src,
                      viv_ip4_t dst, uint8_t ttl)
{
    size_t n = viv__icmp_len(m);
    viv__frame *f = viv__frame_new(h->node.sim, VIV__FRAME_HEADROOM, (uint32_t)n);
    if (!f) {
        /* the message could not be built */
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, NULL);
        return;
    }
    viv__icmp_emit(m, viv__frame_bytes(f), n);
    h->st.icmp_tx++;
    viv__ip_output(h, f, src, dst, VIV__IP_PROTO_ICMP, ttl, 0);
}

void viv__icmp_error(struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                     const uint8_t *pkt, size_t pkt_len, int l2_bcast)
{
    struct viv__ipv4_repr ip;
    if (viv__ipv4_parse(pkt, pkt_len, &ip) < 0)
        return;
    /* RFC 1122 3.2.2: no error about an error, a broadcast or multicast (as IP or link-layer
     * destination), a packet whose source is not a unique host, or a later fragment. */
    if (l2_bcast || is_bcast_or_mcast(h, ip.dst) || ip.src == VIV_IP4_ANY ||
        is_bcast_or_mcast(h, ip.src) || viv__ipv4_frag_kind(&ip) == VIV__IPV4_FRAG_LATER)
        return;
    if (ip.proto == VIV__IP_PROTO_ICMP && ip.payload_len >= 1 &&
        viv__icmp_is_error(pkt[ip.hdr_len]))
        return;
    /* The quote: as much of the datagram as fits in a 576-byte error (RFC 1812 4.3.2.3, for
     * routers; hosts do the same, as Linux does: RFC 1122 3.2.2 asks for the header and at
     * least 8 bytes and allows more). The error itself carries no options, so the quote is
     * at most 576 - 20 - 8 = 548 bytes, the original header with its options included; a
     * shorter datagram is quoted whole (never its link-layer padding). */
    size_t whole = (size_t)ip.hdr_len + ip.payload_len;
    size_t quote = whole < VIV__ICMP_MAX_QUOTE ? whole : VIV__ICMP_MAX_QUOTE;
    struct viv__icmp_repr m = {0};
    m.type = type;
    m.code = code;
    m.next_hop_mtu = (type == VIV__ICMP_DEST_UNREACH && code == VIV__ICMP_UNREACH_FRAG_NEEDED)
                         ? mtu
                         : 0;
    m.pointer = type == VIV__ICMP_PARAM_PROBLEM ? (uint8_t)mtu : 0;
    m.data = pkt;
    m.data_len = quote;
    h->st.icmp_errors_tx++;
    /* The source is chosen by the route back: the interface the error leaves by. */
    icmp_send(h, &m, VIV_IP4_ANY, ip.src, 0);
}

/* Read the quoted IP header of an error leniently: the quote is a truncated packet, so its
 * total length and checksum say nothing; only the header must fit with 8 bytes after it. */
static int parse_quote(const uint8_t *q, size_t n, struct viv__ipv4_repr *out, size_t *hl)
{
    if (n < 20 || (q[0] >> 4) != 4)
        return -1;
    size_t ihl = (size_t)(q[0] & 0x0f) * 4;
    if (ihl < 20 || ihl + 8 > n)
        return -1;
    memset(out, 0, sizeof(*out));
    out->ttl = q[8];
    out->proto = q[9];
    out->src = viv_rd32be(q + 12);
    out->dst = viv_rd32be(q + 16);
    out->hdr_len = (uint8_t)ihl;
    *hl = ihl;
    return 0;
}

static bool icmp_is_mine(const void *ctx, viv_ip4_t ip)
{
    return viv_host_has_addr(ctx, ip) != 0;
}

/* Answer an echo request that carries IP options (its header is in front of the message r
 * was parsed from; r is the reply). RFC 1122 3.2.2.6 and RFC 1812 4.3.3.6: "If a Record
 * Route and/or Time Stamp option is received in an ICMP Echo Request, this option (these
 * options) SHOULD be updated to include the current host and included in the IP header of
 * the Echo Reply message, without truncation". The reply carries the request's Record Route
 * then Timestamp (as the host recorded them on arrival), padded with EOL to a multiple of 4
 * bytes, and records the host once more as it leaves, with the reply's source address (the
 * request's destination): the round trip is then what Linux's ping -R shows, the destination
 * listed twice. Other options are not returned. An option with room for only part of that
 * last entry makes the reply a datagram in error (RFC 791): it is not sent, as Linux does
 * not, and counted as malformed. */
static void echo_reply_with_options(struct viv_host *h, const struct viv__ipv4_repr *ip,
                                    const struct viv__icmp_repr *r)
{
    struct viv__ipv4_opts in, out = {0, 0};
    uint8_t pp;
    const uint8_t *req = ip->opts - VIV__IPV4_HDR_LEN; /* the request's header */
    if (viv__ipv4_opts_parse(req, ip->hdr_len, false, &in, &pp) < 0) {
        /* room for part of the next entry only */
        viv__host_drop(h, &h->st.drop_malformed, VIV_DROP_MALFORMED, UINT32_MAX, NULL);
        return;
    }
    if (!in.rr && !in.ts) {
        icmp_send(h, r, ip->dst, ip->src, 0); /* nothing to return */
        return;
    }
    /* The reply's header, built aside: 20 bytes nobody reads, then the options. */
    uint8_t hdr[VIV__IPV4_MAX_HDR_LEN] = {0};
    size_t n = VIV__IPV4_HDR_LEN;
    const uint8_t at[2] = {in.rr, in.ts};
    for (int k = 0; k < 2; k++) {
        if (!at[k])
            continue;
        size_t len = req[at[k] + 1];
        memcpy(hdr + n, req + at[k], len);
        if (k == 0)
            out.rr = (uint8_t)n;
        else
            out.ts = (uint8_t)n;
        n += len;
    }
    while (n % 4)
        hdr[n++] = VIV__IPOPT_EOL;
    size_t opts_len = n - VIV__IPV4_HDR_LEN;
    struct viv__ipv4_stamp st = {ip->dst, h->node.sim->now, icmp_is_mine, h, false};
    if (viv__ipv4_opts_stamp(hdr, &out, &st, &pp) < 0) {
        viv__host_drop(h, &h->st.drop_malformed, VIV_DROP_MALFORMED, UINT32_MAX, NULL);
        return;
    }
    viv__ip_path path;
    int rc = viv__ip_route(h, ip->dst, ip->src, &path);
    if (rc < 0) {
        if (rc == VIV_ENETUNREACH)
            /* as viv__ip_output counts it */
            viv__host_drop(h, &h->st.drop_no_route, VIV_DROP_NO_ROUTE, UINT32_MAX, NULL);
        return;
    }
    size_t mlen = viv__icmp_len(r);
    viv__frame *f = viv__frame_new(h->node.sim, VIV__FRAME_HEADROOM, (uint32_t)(opts_len + mlen));
    if (!f) {
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, UINT32_MAX, NULL);
        return;
    }
    uint8_t *b = viv__frame_bytes(f);
    memcpy(b, hdr + VIV__IPV4_HDR_LEN, opts_len);
    viv__icmp_emit(r, b + opts_len, mlen);
    h->st.icmp_tx++;
    viv__ip_send_opts(h, f, &path, VIV__IP_PROTO_ICMP, 0, (uint8_t)opts_len);
}

/* ---- echo users ------------------------------------------------------------------------ */

/* The echo users of a host: a map from identifier to user, made with the first user and
 * freed with the last (a host with one ping holds 128 bytes for it: the table and a 4-slot
 * map), and from the 257th user on a count of the users in each block of 256 identifiers
 * (512 bytes, kept until the last user goes). Finding, adding and removing a user are O(1).
 * The host's choice (echo_next_free) goes from its counter over identifiers in use: one by
 * one while there are at most ECHO_SCAN users (so at most ECHO_SCAN + 1 looks), then by
 * block, skipping full ones (at most every block's count and two blocks' identifiers).
 * Either way a start does not walk the host's other users: 65,536 starts are linear. */
#define ECHO_IDENTS 65536u
#define ECHO_BLOCK 256u
#define ECHO_BLOCKS (ECHO_IDENTS / ECHO_BLOCK)
#define ECHO_SCAN 256u

struct viv__echo_table {
    uint32_t n;     /* users, up to ECHO_IDENTS */
    viv__map users; /* identifier -> user */
    uint16_t *used; /* ECHO_BLOCKS counts of users, once there are more than ECHO_SCAN */
};

static viv__echo_user *echo_find(const struct viv__echo_table *t, uint16_t ident)
{
    return viv__map_get(&t->users, viv__mkey_u64(ident));
}

static viv__echo_user *echo_user(const struct viv_host *h, uint16_t ident)
{
    return h->echo ? echo_find(h->echo, ident) : NULL;
}

void viv__icmp_input(struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                     int l2_bcast, viv__frame *f)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__icmp_repr m;
    (void)iface;
    h->st.icmp_rx++;
    int rc = viv__icmp_parse(viv__frame_bytes(f), f->len, &m);
    if (rc < 0 && rc != VIV__W_UNSUPPORTED) {
        viv__host_drop(h, &h->st.icmp_bad, VIV_DROP_MALFORMED, UINT32_MAX, f);
        viv__frame_unref(sim, f);
        return;
    }
    if (rc == VIV__W_UNSUPPORTED) { /* a type vivarium does not act on: counted only */
        viv__frame_unref(sim, f);
        return;
    }
    switch (m.type) {
    case VIV__ICMP_ECHO_REQUEST:
        /* Broadcast pings are ignored, as Linux does by default. */
        if (!l2_bcast) {
            struct viv__icmp_repr r = m;
            r.type = VIV__ICMP_ECHO_REPLY;
            r.code = 0;
            if (ip->opts_len)
                echo_reply_with_options(h, ip, &r);
            else
                icmp_send(h, &r, ip->dst, ip->src, 0);
        }
        break;
    case VIV__ICMP_ECHO_REPLY: {
        viv__echo_user *u = echo_user(h, m.ident);
        if (u)
            u->reply(u->ctx, ip, &m, f->len);
        break;
    }
    case VIV__ICMP_DEST_UNREACH:
    case VIV__ICMP_TIME_EXCEEDED:
    case VIV__ICMP_PARAM_PROBLEM: {
        struct viv__ipv4_repr q;
        size_t hl;
        if (parse_quote(m.data, m.data_len, &q, &hl) < 0 || !viv_host_has_addr(h, q.src)) {
            viv__host_drop(h, &h->st.icmp_bad, VIV_DROP_MALFORMED, UINT32_MAX, f);
            break;
        }
        const uint8_t *l4 = m.data + hl;
        size_t l4_len = m.data_len - hl;
        if (q.proto == VIV__IP_PROTO_ICMP) {
            /* Ping and traceroute send no options, the only thing vivarium answers with a
             * parameter problem: one about their requests is not theirs to report. */
            if (l4[0] != VIV__ICMP_ECHO_REQUEST || m.type == VIV__ICMP_PARAM_PROBLEM)
                break;
            viv__echo_user *u = echo_user(h, viv_rd16be(l4 + 4));
            if (u)
                u->error(u->ctx, ip, &m, f->len, viv_rd16be(l4 + 6));
        } else {
            const viv__l4_proto *p = viv__host_l4(h, q.proto);
            if (p && p->error)
                p->error(viv__host_l4_ctx(h, q.proto), h, m.type, m.code, m.next_hop_mtu,
                         ip->src, &q, l4, l4_len);
        }
        break;
    }
    default:
        break;
    }
    viv__frame_unref(sim, f);
}

/* The first identifier from c on, wrapping, that is not in use: what trying c, c + 1, ...
 * in turn finds, without trying every one. The table has a free one. */
static uint16_t echo_next_free(const struct viv__echo_table *t, uint16_t c)
{
    if (!t->used) { /* at most ECHO_SCAN in use */
        while (echo_find(t, c))
            c = (uint16_t)(c + 1u);
        return c;
    }
    /* By block: c's from c on, the others in order, then c's again from its start (its
     * identifiers from c on are in use by then). */
    const uint32_t first = c / ECHO_BLOCK;
    for (uint32_t k = 0; k <= ECHO_BLOCKS; k++) {
        uint32_t b = (first + k) % ECHO_BLOCKS;
        if (t->used[b] == ECHO_BLOCK)
            continue;
        for (uint32_t i = k == 0 ? c % ECHO_BLOCK : 0; i < ECHO_BLOCK; i++) {
            uint16_t id = (uint16_t)(b * ECHO_BLOCK + i);
            if (!echo_find(t, id))
                return id;
        }
    }
    assert(0); /* not reached: the caller saw fewer than ECHO_IDENTS users */
    return c;
}

/* Count the users of each block: the counts, made when the users pass ECHO_SCAN. */
static int echo_count_blocks(viv_sim_t *sim, struct viv__echo_table *t)
{
    t->used = viv__zalloc(sim, ECHO_BLOCKS * sizeof(*t->used));
    if (!t->used)
        return VIV_ENOMEM;
    for (uint32_t i = 0; i < t->users.cap; i++) /* a sum: the map's order does not matter */
        if (t->users.slots[i].val)
            t->used[t->users.slots[i].key.lo / ECHO_BLOCK]++;
    return 0;
}

static void echo_table_free(struct viv_host *h)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__echo_table *t = h->echo;
    viv__map_fini(sim, &t->users);
    viv__free(sim, t->used, t->used ? ECHO_BLOCKS * sizeof(*t->used) : 0);
    viv__free(sim, t, sizeof(*t));
    h->echo = NULL;
}

/* Join u under identifier ident (free), making the table, and the counts, as needed.
 * Returns 0 or VIV_ENOMEM (then nothing changed). */
static int echo_put(struct viv_host *h, viv__echo_user *u, uint16_t ident)
{
    viv_sim_t *sim = h->node.sim;
    struct viv__echo_table *t = h->echo;
    if (!t) {
        if (!(t = viv__zalloc(sim, sizeof(*t))))
            return VIV_ENOMEM;
        viv__map_init(&t->users);
        h->echo = t;
    }
    if (viv__map_put(sim, &t->users, viv__mkey_u64(ident), u) < 0) {
        if (!t->n) /* made for this user */
            echo_table_free(h);
        return VIV_ENOMEM;
    }
    if (t->used)
        t->used[ident / ECHO_BLOCK]++;
    else if (t->n + 1 > ECHO_SCAN && echo_count_blocks(sim, t) < 0) {
        viv__map_del(&t->users, viv__mkey_u64(ident));
        return VIV_ENOMEM;
    }
    t->n++;
    u->ident = ident;
    return 0;
}

int viv__echo_user_add(struct viv_host *h, viv__echo_user *u)
{
    const struct viv__echo_table *t = h->echo;
    if (t && t->n == ECHO_IDENTS)
        return VIV_EAGAIN;
    uint16_t id = t ? echo_next_free(t, h->next_echo_ident) : h->next_echo_ident;
    int rc = echo_put(h, u, id);
    if (rc == 0)
        h->next_echo_ident = (uint16_t)(id + 1u);
    return rc;
}

int viv__echo_user_claim(struct viv_host *h, viv__echo_user *u, uint16_t ident)
{
    if (echo_user(h, ident))
        return VIV_EADDRINUSE;
    return echo_put(h, u, ident);
}

void viv__echo_user_remove(struct viv_host *h, viv__echo_user *u)
{
    struct viv__echo_table *t = h->echo;
    if (!t || echo_find(t, u->ident) != u)
        return; /* never joined */
    viv__map_del(&t->users, viv__mkey_u64(u->ident));
    if (t->used)
        t->used[u->ident / ECHO_BLOCK]--;
    if (--t->n == 0)
        echo_table_free(h);
}
