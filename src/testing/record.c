/* Recorders: frames from taps on ports and link directions, decoded once as they are
 * recorded; trace records from the simulation's one subscription, chained.
 *
 * A frame is decoded from its whole bytes when it is recorded (the snapshot may cut its
 * payload, so later decoding could not know its lengths): the header summary
 * (viv_frame_info_parse), the endpoints, and for TCP the window, the options and the
 * sequence numbers relative to each side's first SYN. The TCP options and ICMP echo fields
 * are read by src/wire's parsers, on a copy of the header whose checksum is made to cover the
 * copy alone: a frame with a bad checksum is still decoded. */
#include <string.h>

#include "core/bytes.h"
#include "kit.h"
#include "wire/wire.h"

#define KIT_CHUNK 65536u
#define KIT_SNAPLEN_MAX 131072u

/* ---- small helpers ------------------------------------------------------------------------ */

void viv__kit_time_abs(viv__sb *sb, viv_time_t t)
{
    viv__sb_printf(sb, "%llu.%09llu", (unsigned long long)(t / 1000000000u),
                   (unsigned long long)(t % 1000000000u));
}

static int ieq(const char *a, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (k != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i], d = kw[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (d >= 'A' && d <= 'Z')
            d = (char)(d - 'A' + 'a');
        if (c != d)
            return 0;
    }
    return 1;
}

int viv__kit_is_keyword(const char *s, size_t n)
{
    static const char *const kw[] = {"arp", "icmp", "udp", "tcp", "ip", "eth", "allow", "nothing"};
    for (size_t i = 0; i < VIV__ARRAY_LEN(kw); i++)
        if (ieq(s, n, kw[i]))
            return 1;
    return 0;
}

int viv__kit_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= VIV_REC_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = (c >= '0' && c <= '9') || c == '-';
        if (!(alpha || (i > 0 && digit)))
            return 0;
    }
    return 1;
}

/* ---- the byte arena ----------------------------------------------------------------------- */

static const uint8_t *arena_put(struct viv_rec *r, const uint8_t *b, size_t n)
{
    kit_chunk *c = r->chunks;
    if (!c || c->size - c->used < n) {
        size_t size = n > KIT_CHUNK ? n : KIT_CHUNK;
        c = viv__alloc(r->sim, sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = r->chunks;
        r->chunks = c;
    }
    uint8_t *p = c->data + c->used;
    memcpy(p, b, n);
    c->used += n;
    return p;
}

static void arena_free(struct viv_rec *r)
{
    while (r->chunks) {
        kit_chunk *c = r->chunks;
        r->chunks = c->next;
        viv__free(r->sim, c, sizeof(*c) + c->size);
    }
}

/* Grow an array of elem-sized items to hold one more. Returns 0 or VIV_ENOMEM. */
static int grow(viv_sim_t *sim, void **arr, size_t *cap, size_t len, size_t elem)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = viv__realloc(sim, *arr, *cap * elem, ncap * elem);
    if (!p)
        return VIV_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* ---- endpoints ---------------------------------------------------------------------------- */

static viv__mkey ep_key(int is_mac, viv_ip4_t ip, const viv_mac_t *mac)
{
    if (!is_mac)
        return (viv__mkey){1, ip};
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | mac->b[i];
    return (viv__mkey){2, v};
}

static int name_taken(const struct viv_rec *r, const char *name, uint32_t except)
{
    for (uint32_t i = 0; i < r->neps; i++)
        if (i != except && strcmp(r->eps[i].name, name) == 0)
            return (int)i + 1;
    return 0;
}

/* The next automatic name: A..Z, then AA, AB..., skipping names taken and keywords. */
static void auto_name(struct viv_rec *r, char out[VIV_REC_NAME_MAX])
{
    for (;;) {
        uint32_t n = r->next_auto++;
        char tmp[16];
        int k = 0;
        do {
            tmp[k++] = (char)('A' + n % 26);
            n /= 26;
        } while (n-- > 0 && k < 15);
        for (int i = 0; i < k; i++)
            out[i] = tmp[k - 1 - i];
        out[k] = 0;
        if (!viv__kit_is_keyword(out, (size_t)k) && !name_taken(r, out, UINT32_MAX))
            return;
    }
}

/* The endpoint of an address, made if new. Returns its index, or -1 (out of memory). */
static int64_t ep_get(struct viv_rec *r, int is_mac, viv_ip4_t ip, const viv_mac_t *mac,
                      int create_named)
{
    viv__mkey key = ep_key(is_mac, ip, mac);
    void *v = viv__map_get(&r->epmap, key);
    if (v)
        return (int64_t)((uintptr_t)v - 1);
    size_t cap = r->capeps;
    void *arr = r->eps;
    if (grow(r->sim, &arr, &cap, r->neps, sizeof(kit_ep)) < 0)
        return -1;
    r->eps = arr;
    r->capeps = (uint32_t)cap;
    if (viv__map_put(r->sim, &r->epmap, key, (void *)(uintptr_t)(r->neps + 1)) < 0)
        return -1;
    kit_ep *e = &r->eps[r->neps];
    memset(e, 0, sizeof(*e));
    e->is_mac = is_mac;
    e->ip = ip;
    if (mac)
        e->mac = *mac;
    if (create_named && r->auto_names)
        auto_name(r, e->name);
    return (int64_t)r->neps++;
}

void viv__kit_ep_text(const struct viv_rec *r, uint32_t i, char out[VIV_REC_NAME_MAX])
{
    const kit_ep *e = &r->eps[i];
    if (e->name[0])
        memcpy(out, e->name, VIV_REC_NAME_MAX);
    else if (e->is_mac)
        viv_mac_format(&e->mac, out, VIV_REC_NAME_MAX);
    else
        viv_ip4_format(e->ip, out, VIV_REC_NAME_MAX);
}

static int name_set(struct viv_rec *r, const char *name, int is_mac, viv_ip4_t ip,
                    const viv_mac_t *mac)
{
    viv_sim_t *sim = r->sim;
    size_t n = strlen(name);
    if (!viv__kit_name_ok(name, n))
        return viv__err(sim, VIV_EINVAL,
                        "viv_rec_name: bad name \"%.40s\": a letter or '_' first, then "
                        "letters, digits, '_' or '-', at most %d characters",
                        name, VIV_REC_NAME_MAX - 1);
    if (viv__kit_is_keyword(name, n))
        return viv__err(sim, VIV_EINVAL, "viv_rec_name: \"%s\" is a keyword", name);
    int64_t i = ep_get(r, is_mac, ip, mac, 0);
    if (i < 0)
        return viv__err(sim, VIV_ENOMEM, "viv_rec_name: out of memory");
    int other = name_taken(r, name, (uint32_t)i);
    if (other) {
        char t[VIV_REC_NAME_MAX];
        const kit_ep *o = &r->eps[other - 1];
        if (o->is_mac)
            viv_mac_format(&o->mac, t, sizeof t);
        else
            viv_ip4_format(o->ip, t, sizeof t);
        return viv__err(sim, VIV_EEXIST, "viv_rec_name: the name %s is already %s's", name, t);
    }
    memcpy(r->eps[i].name, name, n + 1);
    r->eps[i].given = 1;
    return 0;
}

int viv_rec_name(viv_rec_t *rec, const char *name, viv_ip4_t ip)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, name != NULL, "NULL name");
    return name_set(rec, name, 0, ip, NULL);
}

int viv_rec_name_mac(viv_rec_t *rec, const char *name, const viv_mac_t *mac)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, name != NULL && mac != NULL, "NULL argument");
    return name_set(rec, name, 1, 0, mac);
}

/* ---- TCP initial sequence numbers ----------------------------------------------------------- */

static kit_isn *isn_find(const struct viv_rec *r, viv_ip4_t src, uint16_t sport, viv_ip4_t dst,
                         uint16_t dport)
{
    void *v = viv__map_get(&r->isnmap, viv__mkey_tuple(src, sport, dst, dport));
    return v ? &r->isns[(uintptr_t)v - 1] : NULL;
}

static int isn_add(struct viv_rec *r, viv_ip4_t src, uint16_t sport, viv_ip4_t dst, uint16_t dport,
                   uint32_t isn)
{
    size_t cap = r->capisns;
    void *arr = r->isns;
    if (grow(r->sim, &arr, &cap, r->nisns, sizeof(kit_isn)) < 0)
        return VIV_ENOMEM;
    r->isns = arr;
    r->capisns = (uint32_t)cap;
    if (viv__map_put(r->sim, &r->isnmap, viv__mkey_tuple(src, sport, dst, dport),
                     (void *)(uintptr_t)(r->nisns + 1)) < 0)
        return VIV_ENOMEM;
    r->isns[r->nisns++] = (kit_isn){src, dst, sport, dport, isn};
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------------ */

static void decode_tcp(struct viv_rec *r, viv_rec_entry *e, const uint8_t *t, size_t tn)
{
    const viv_frame_info *in = &e->info;
    e->win = viv_rd16be(t + 14);
    size_t off = (size_t)(t[12] >> 4) * 4;
    struct viv__tcp_repr tr;
    memset(&tr, 0, sizeof tr);
    e->opts_bad = 1;
    if (off >= VIV__TCP_HDR_LEN && off <= tn) {
        uint8_t tmp[VIV__TCP_MAX_HDR_LEN];
        memcpy(tmp, t, off);
        viv_wr16be(tmp + 16, 0);
        uint64_t acc = viv__cksum_pseudo(in->ip_src, in->ip_dst, VIV__IP_PROTO_TCP, (uint16_t)off);
        viv_wr16be(tmp + 16, viv__cksum_finish(viv__cksum_add(acc, tmp, off)));
        if (viv__tcp_parse(tmp, off, in->ip_src, in->ip_dst, &tr) == VIV__W_OK)
            e->opts_bad = 0;
    }
    if (!e->opts_bad) {
        e->mss = tr.mss;
        e->wscale = tr.wscale_present ? tr.wscale : -1;
        e->sack_ok = tr.sack_permitted;
        e->ts = tr.ts_present;
        e->tsval = tr.tsval;
        e->tsecr = tr.tsecr;
        e->sack_count = tr.sack_count;
        for (uint32_t k = 0; k < tr.sack_count; k++) {
            e->sack[k][0] = tr.sack[k].left;
            e->sack[k][1] = tr.sack[k].right;
        }
    }

    /* Sequence numbers relative to each side's first SYN. */
    kit_isn *mine = isn_find(r, in->ip_src, in->sport, in->ip_dst, in->dport);
    if (!mine && (in->tcp_flags & VIV_TCP_SYN) &&
        isn_add(r, in->ip_src, in->sport, in->ip_dst, in->dport, in->tcp_seq) == 0)
        mine = isn_find(r, in->ip_src, in->sport, in->ip_dst, in->dport);
    e->seq = in->tcp_seq;
    if (mine) {
        e->seq = in->tcp_seq - mine->isn;
        e->seq_relative = 1;
    }
    const kit_isn *peer = isn_find(r, in->ip_dst, in->dport, in->ip_src, in->sport);
    e->ack = in->tcp_ack;
    if (peer) {
        e->ack = in->tcp_ack - peer->isn;
        e->ack_relative = 1;
        for (uint32_t k = 0; k < e->sack_count; k++) {
            e->sack[k][0] -= peer->isn;
            e->sack[k][1] -= peer->isn;
        }
    }
}

static void decode_icmp(viv_rec_entry *e, const uint8_t *t, size_t tn)
{
    if (tn < VIV__ICMP_HDR_LEN || (t[0] != VIV__ICMP_ECHO_REQUEST && t[0] != VIV__ICMP_ECHO_REPLY))
        return;
    uint8_t tmp[VIV__ICMP_HDR_LEN];
    memcpy(tmp, t, sizeof tmp);
    viv_wr16be(tmp + 2, 0);
    viv_wr16be(tmp + 2, viv__cksum(tmp, sizeof tmp));
    struct viv__icmp_repr m;
    if (viv__icmp_parse(tmp, sizeof tmp, &m) == VIV__W_OK) {
        e->icmp_id = m.ident;
        e->icmp_seq = m.seq;
    }
}

/* Decode the whole frame b (len bytes) into f. Returns 0, or VIV_ENOMEM. */
static int decode(struct viv_rec *r, kit_frame *f, const uint8_t *b, uint32_t len)
{
    viv_rec_entry *e = &f->e;
    viv_frame_info *in = &e->info;
    viv_frame_info_parse(in, b, len);
    e->wscale = -1;
    int is_mac = 1;
    viv_ip4_t s = 0, d = 0;
    e->kind = VIV_REC_ETH;
    if (in->ethertype == VIV_ETHERTYPE_ARP && in->arp_op) {
        e->kind = VIV_REC_ARP;
        is_mac = 0;
        s = in->arp_spa;
        d = in->arp_tpa;
    } else if (in->has_ip) {
        e->kind = VIV_REC_IP;
        is_mac = 0;
        s = in->ip_src;
        d = in->ip_dst;
        const uint8_t *p = b + VIV__ETH_HDR_LEN;
        size_t ihl = (size_t)(p[0] & 0x0f) * 4;
        size_t tn = (size_t)viv_rd16be(p + 2) - ihl; /* frame_info checked both lengths */
        int later = (viv_rd16be(p + 6) & 0x1fff) != 0;
        f->ip_len = (uint32_t)tn;
        const uint8_t *t = p + ihl;
        if (!later && in->ip_proto == VIV_IPPROTO_TCP && tn >= VIV__TCP_HDR_LEN) {
            e->kind = VIV_REC_TCP;
            decode_tcp(r, e, t, tn);
        } else if (!later && in->ip_proto == VIV_IPPROTO_UDP && tn >= VIV__UDP_HDR_LEN) {
            e->kind = VIV_REC_UDP;
        } else if (!later && in->ip_proto == VIV_IPPROTO_ICMP && tn >= VIV__ICMP_HDR_LEN) {
            e->kind = VIV_REC_ICMP;
            decode_icmp(e, t, tn);
        } else {
            in->payload_len = (uint32_t)tn;
        }
    }
    int64_t si = ep_get(r, is_mac, s, &in->src, 1);
    int64_t di = si < 0 ? -1 : ep_get(r, is_mac, d, &in->dst, 1);
    if (si < 0 || di < 0)
        return VIV_ENOMEM;
    f->src_ep = (uint32_t)si;
    f->dst_ep = (uint32_t)di;
    return 0;
}

static void record(struct viv_rec *r, viv_rec_dir dir, uint32_t where, viv_time_t t,
                   const uint8_t *b, uint32_t len)
{
    if (r->nfr >= r->max_frames) {
        r->overflow++;
        return;
    }
    void *arr = r->fr;
    if (grow(r->sim, &arr, &r->capfr, r->nfr, sizeof(kit_frame)) < 0) {
        r->overflow++;
        return;
    }
    r->fr = arr;
    kit_frame *f = &r->fr[r->nfr];
    memset(f, 0, sizeof(*f));
    f->e.time = t;
    f->e.dir = dir;
    f->e.where = where;
    f->e.len = len;
    uint32_t cl = len < r->snaplen ? len : r->snaplen;
    if (cl) {
        f->e.bytes = arena_put(r, b, cl);
        if (!f->e.bytes) {
            r->overflow++;
            return;
        }
    }
    f->e.caplen = cl;
    if (decode(r, f, b, len) < 0) {
        r->overflow++;
        return;
    }
    r->nfr++;
}

/* The tap of every attachment: dir is 0 for sent (or on a link direction), 1 for received. */
static void rec_tap(void *ctx, viv_time_t t, const uint8_t *bytes, uint32_t len, int dir)
{
    kit_att *a = ctx;
    viv_rec_dir d = a->on_link ? a->dir : (dir ? VIV_REC_RX : VIV_REC_TX);
    record(a->rec, d, a->index, t, bytes, len);
}

/* ---- attaching ------------------------------------------------------------------------------ */

static int list_has(const viv__tap *t, const struct viv_rec *r)
{
    for (; t; t = t->next)
        if (t->fn == rec_tap && ((const kit_att *)t->ctx)->rec == r)
            return 1;
    return 0;
}

static int attach(struct viv_rec *r, viv__tap **list, int on_link, viv_rec_dir dir,
                  const void *where)
{
    viv_sim_t *sim = r->sim;
    if (list_has(*list, r))
        return viv__err(sim, VIV_EEXIST, "recorder already attached there");
    size_t cap = r->capatts;
    void *arr = r->atts;
    if (grow(sim, &arr, &cap, r->natts, sizeof(kit_att *)) < 0)
        return viv__err(sim, VIV_ENOMEM, "recorder attach: out of memory");
    r->atts = arr;
    r->capatts = (uint32_t)cap;
    kit_att *a = viv__zalloc(sim, sizeof(*a));
    if (!a)
        return viv__err(sim, VIV_ENOMEM, "recorder attach: out of memory");
    a->rec = r;
    a->on_link = on_link;
    a->dir = dir;
    a->index = r->natts;
    a->where = where;
    if (viv__tap_add(sim, list, rec_tap, a) < 0) {
        viv__free(sim, a, sizeof(*a));
        return viv__err(sim, VIV_ENOMEM, "recorder attach: out of memory");
    }
    r->atts[r->natts++] = a;
    return 0;
}

int viv_rec_attach_port(viv_rec_t *rec, viv_port_t *port)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, port != NULL, "NULL port");
    VIV__CHECK(rec->sim, port->node->sim == rec->sim, "port of another simulation");
    return attach(rec, &port->taps, 0, VIV_REC_TX, port);
}

int viv_rec_attach_link(viv_rec_t *rec, viv_link_t *link, viv_link_dir dir)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    VIV__CHECK(sim, link != NULL, "NULL link");
    VIV__CHECK(sim, (unsigned)dir <= 2, "bad link direction");
    VIV__CHECK(sim, viv_link_port(link, 0)->node->sim == sim, "link of another simulation");
    for (int d = 0; d < 2; d++) {
        if (dir != VIV_LINK_BOTH && (int)dir != d)
            continue;
        if (list_has(*viv__link_taps(link, (viv_link_dir)d), rec))
            return viv__err(sim, VIV_EEXIST, "recorder already attached there");
    }
    for (int d = 0; d < 2; d++) {
        if (dir != VIV_LINK_BOTH && (int)dir != d)
            continue;
        int rc = attach(rec, viv__link_taps(link, (viv_link_dir)d), 1,
                        d == 0 ? VIV_REC_AB : VIV_REC_BA, link);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Remove every tap of the recorder from the ports and links still alive (a port or link
 * freed earlier took its taps with it). */
static void untap_all(struct viv_rec *r)
{
    viv_sim_t *sim = r->sim;
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->tag == VIV__TAG_NODE) {
            struct viv_node *n = (struct viv_node *)o;
            for (uint32_t i = 0; i < n->nports; i++)
                for (uint32_t k = 0; k < r->natts; k++)
                    if (!r->atts[k]->on_link && r->atts[k]->where == n->ports[i])
                        viv__tap_remove(sim, &n->ports[i]->taps, r->atts[k]);
        } else if (o->tag == VIV__TAG_LINK) {
            struct viv_link *l = (struct viv_link *)o;
            for (uint32_t k = 0; k < r->natts; k++) {
                if (!r->atts[k]->on_link || r->atts[k]->where != l)
                    continue;
                viv__tap_remove(sim, viv__link_taps(l, VIV_LINK_AB), r->atts[k]);
                viv__tap_remove(sim, viv__link_taps(l, VIV_LINK_BA), r->atts[k]);
            }
        }
    }
}

/* ---- traces --------------------------------------------------------------------------------- */

static void rec_destroy(viv__obj *o);

static void rec_trace_cb(const viv_trace_record *t, void *user)
{
    struct viv_rec *r = user;
    int keep = (!r->tr_node || t->node == r->tr_node) && (!r->tr_sock || t->socket == r->tr_sock) &&
               (!r->tr_kinds || ((unsigned)t->kind < 32 && (r->tr_kinds >> t->kind) & 1u));
    if (keep) {
        void *arr = r->trs;
        if (r->ntrs >= r->max_traces ||
            grow(r->sim, &arr, &r->captrs, r->ntrs, sizeof(viv_trace_record)) < 0) {
            r->overflow++;
        } else {
            r->trs = arr;
            viv_trace_record *c = &r->trs[r->ntrs];
            *c = *t;
            uint32_t cl = t->frame && t->frame_len ? t->frame_len : 0;
            if (cl > r->snaplen)
                cl = r->snaplen;
            c->frame = cl ? arena_put(r, t->frame, cl) : NULL;
            if (cl && !c->frame)
                r->overflow++;
            else
                r->ntrs++;
        }
    }
    if (r->prev_cb)
        r->prev_cb(t, r->prev_ud);
}

/* Whether the recorder is in the chain of trace subscribers that starts at the simulation's
 * subscription (a later viv_sim_trace() by the program drops the whole chain). */
static int in_chain(const struct viv_rec *r)
{
    viv_trace_cb cb = r->sim->trace_cb;
    void *ud = r->sim->trace_ud;
    while (cb == rec_trace_cb) {
        const struct viv_rec *x = ud;
        if (x == r)
            return 1;
        cb = x->prev_cb;
        ud = x->prev_ud;
    }
    return 0;
}

int viv_rec_trace(viv_rec_t *rec, const viv_node_t *node, const void *socket, uint32_t kinds)
{
    if (!rec)
        return VIV_EINVAL;
    viv_sim_t *sim = rec->sim;
    /* A recorder dropped from the chain by viv_sim_trace() records no traces: it may
     * subscribe again (EBUSY would refuse a recorder that records nothing). */
    if (rec->tracing && in_chain(rec))
        return viv__err(sim, VIV_EBUSY, "viv_rec_trace: the recorder already records traces");
    viv_trace_cb prev_cb = sim->trace_cb;
    void *prev_ud = sim->trace_ud;
    int rc = viv_sim_trace(sim, rec_trace_cb, rec);
    if (rc < 0)
        return rc;
    rec->tr_node = node;
    rec->tr_sock = socket;
    rec->tr_kinds = kinds;
    rec->prev_cb = prev_cb;
    rec->prev_ud = prev_ud;
    rec->tracing = 1;
    return 0;
}

/* Take the recorder out of the chain of trace subscribers. */
static void untrace(struct viv_rec *r)
{
    viv_sim_t *sim = r->sim;
    if (!r->tracing)
        return;
    r->tracing = 0;
    if (sim->trace_cb == rec_trace_cb && sim->trace_ud == r) {
        viv_sim_trace(sim, r->prev_cb, r->prev_ud);
        return;
    }
    /* Further down the chain: the recorder that passes records to this one passes them on
     * to this one's successor instead. */
    for (viv__obj *o = sim->objs.next; o != &sim->objs; o = o->next) {
        if (o->destroy != rec_destroy)
            continue;
        struct viv_rec *x = (struct viv_rec *)o;
        if (x->tracing && x->prev_cb == rec_trace_cb && x->prev_ud == r) {
            x->prev_cb = r->prev_cb;
            x->prev_ud = r->prev_ud;
        }
    }
}

/* ---- life ----------------------------------------------------------------------------------- */

static void rec_forget(struct viv_rec *r)
{
    arena_free(r);
    viv__free(r->sim, r->fr, r->capfr * sizeof(kit_frame));
    r->fr = NULL;
    r->nfr = r->capfr = 0;
    viv__free(r->sim, r->trs, r->captrs * sizeof(viv_trace_record));
    r->trs = NULL;
    r->ntrs = r->captrs = 0;
    viv__map_fini(r->sim, &r->isnmap);
    viv__map_init(&r->isnmap);
    viv__free(r->sim, r->isns, r->capisns * sizeof(kit_isn));
    r->isns = NULL;
    r->nisns = r->capisns = 0;
    r->overflow = 0;
}

static void rec_release(struct viv_rec *r)
{
    viv_sim_t *sim = r->sim;
    untap_all(r);
    untrace(r);
    rec_forget(r);
    for (uint32_t k = 0; k < r->natts; k++)
        viv__free(sim, r->atts[k], sizeof(kit_att));
    viv__free(sim, r->atts, r->capatts * sizeof(kit_att *));
    viv__map_fini(sim, &r->epmap);
    viv__free(sim, r->eps, r->capeps * sizeof(kit_ep));
    viv__free(sim, r, sizeof(*r));
}

static void rec_destroy(viv__obj *o)
{
    rec_release((struct viv_rec *)o);
}

int viv_rec_new(viv_rec_t **out, viv_sim_t *sim, const viv_rec_opts *opts)
{
    if (!sim)
        return VIV_EINVAL;
    VIV__CHECK(sim, out != NULL, "NULL out");
    viv_rec_opts o = VIV_REC_OPTS_INIT;
    if (opts)
        o = *opts;
    if (o.snaplen > KIT_SNAPLEN_MAX)
        return viv__err(sim, VIV_EINVAL, "viv_rec_new: snapshot length %u is over %u", o.snaplen,
                        KIT_SNAPLEN_MAX);
    struct viv_rec *r = viv__zalloc(sim, sizeof(*r));
    if (!r)
        return viv__err(sim, VIV_ENOMEM, "viv_rec_new: out of memory");
    r->sim = sim;
    r->snaplen = o.snaplen ? o.snaplen : VIV_REC_SNAPLEN_DEFAULT;
    r->max_frames = o.max_frames ? o.max_frames : VIV_REC_MAX_DEFAULT;
    r->max_traces = o.max_traces ? o.max_traces : VIV_REC_MAX_DEFAULT;
    r->auto_names = !o.no_auto_names;
    r->t0 = viv_sim_now(sim);
    viv__map_init(&r->epmap);
    viv__map_init(&r->isnmap);
    viv__obj_register(sim, &r->obj, rec_destroy);
    *out = r;
    return 0;
}

void viv_rec_free(viv_rec_t *rec)
{
    if (!rec)
        return;
    viv__obj_unregister(rec->sim, &rec->obj);
    rec_release(rec);
}

void viv_rec_clear(viv_rec_t *rec)
{
    if (!rec)
        return;
    rec_forget(rec);
    rec->t0 = viv_sim_now(rec->sim);
}

viv_sim_t *viv_rec_sim(const viv_rec_t *rec)
{
    return rec ? rec->sim : NULL;
}
viv_time_t viv_rec_start(const viv_rec_t *rec)
{
    return rec ? rec->t0 : 0;
}
size_t viv_rec_count(const viv_rec_t *rec)
{
    return rec ? rec->nfr : 0;
}
uint64_t viv_rec_overflow(const viv_rec_t *rec)
{
    return rec ? rec->overflow : 0;
}
size_t viv_rec_trace_count(const viv_rec_t *rec)
{
    return rec ? rec->ntrs : 0;
}

int viv_rec_frame(viv_rec_entry *out, const viv_rec_t *rec, size_t i)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, out != NULL, "NULL out");
    if (i >= rec->nfr)
        return viv__err(rec->sim, VIV_ERANGE, "viv_rec_frame: frame %zu of %zu", i, rec->nfr);
    const kit_frame *f = &rec->fr[i];
    *out = f->e;
    viv__kit_ep_text(rec, f->src_ep, out->src);
    viv__kit_ep_text(rec, f->dst_ep, out->dst);
    return 0;
}

int viv_rec_trace_get(viv_trace_record *out, const viv_rec_t *rec, size_t i)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, out != NULL, "NULL out");
    if (i >= rec->ntrs)
        return viv__err(rec->sim, VIV_ERANGE, "viv_rec_trace_get: record %zu of %zu", i, rec->ntrs);
    *out = rec->trs[i];
    return 0;
}

/* ---- decoded lines -------------------------------------------------------------------------- */

/* tcpdump's order: F S R P . U E W. */
static void flags_write(viv__sb *sb, uint8_t fl)
{
    static const struct {
        uint8_t bit;
        char c;
    } order[8] = {{VIV_TCP_FIN, 'F'}, {VIV_TCP_SYN, 'S'}, {VIV_TCP_RST, 'R'}, {VIV_TCP_PSH, 'P'},
                  {VIV_TCP_ACK, '.'}, {VIV_TCP_URG, 'U'}, {VIV_TCP_ECE, 'E'}, {VIV_TCP_CWR, 'W'}};
    char s[12];
    int n = 0;
    for (int k = 0; k < 8; k++)
        if (fl & order[k].bit)
            s[n++] = order[k].c;
    s[n] = 0;
    viv__sb_printf(sb, "[%s]", n ? s : "none");
}

static const char *icmp_name(uint8_t type)
{
    switch (type) {
    case VIV__ICMP_ECHO_REPLY:
        return "echo-reply";
    case VIV__ICMP_ECHO_REQUEST:
        return "echo-request";
    case VIV__ICMP_DEST_UNREACH:
        return "unreachable";
    case VIV__ICMP_TIME_EXCEEDED:
        return "time-exceeded";
    case VIV__ICMP_PARAM_PROBLEM:
        return "param-problem";
    default:
        return NULL;
    }
}

static void tcp_opts_write(viv__sb *sb, const viv_rec_entry *e)
{
    if (e->opts_bad || (!e->mss && e->wscale < 0 && !e->sack_ok && !e->ts && !e->sack_count))
        return;
    const char *sep = "";
    viv__sb_printf(sb, " <");
    if (e->mss) {
        viv__sb_printf(sb, "mss %u", e->mss);
        sep = ",";
    }
    if (e->sack_ok) {
        viv__sb_printf(sb, "%ssackOK", sep);
        sep = ",";
    }
    if (e->ts) {
        viv__sb_printf(sb, "%sTS val %u ecr %u", sep, e->tsval, e->tsecr);
        sep = ",";
    }
    if (e->wscale >= 0) {
        viv__sb_printf(sb, "%swscale %d", sep, e->wscale);
        sep = ",";
    }
    if (e->sack_count) {
        viv__sb_printf(sb, "%ssack", sep);
        for (uint32_t k = 0; k < e->sack_count; k++)
            viv__sb_printf(sb, " %u:%u", e->sack[k][0], e->sack[k][1]);
    }
    viv__sb_printf(sb, ">");
}

void viv__kit_frame_line(viv__sb *sb, const struct viv_rec *r, const kit_frame *f)
{
    const viv_rec_entry *e = &f->e;
    const viv_frame_info *in = &e->info;
    char s[VIV_REC_NAME_MAX], d[VIV_REC_NAME_MAX];
    viv__kit_ep_text(r, f->src_ep, s);
    viv__kit_ep_text(r, f->dst_ep, d);
    viv__kit_time_abs(sb, e->time);
    viv__sb_printf(sb, " %s>%s ", s, d);
    switch (e->kind) {
    case VIV_REC_ARP:
        if (in->arp_op == 1 || in->arp_op == 2)
            viv__sb_printf(sb, "ARP %s", in->arp_op == 1 ? "request" : "reply");
        else
            viv__sb_printf(sb, "ARP op %u", in->arp_op);
        break;
    case VIV_REC_ICMP: {
        const char *name = icmp_name(in->icmp_type);
        int echo = in->icmp_type == VIV__ICMP_ECHO_REQUEST || in->icmp_type == VIV__ICMP_ECHO_REPLY;
        if (name)
            viv__sb_printf(sb, "ICMP %s", name);
        else
            viv__sb_printf(sb, "ICMP type %u", in->icmp_type);
        if (!echo || in->icmp_code)
            viv__sb_printf(sb, " code %u", in->icmp_code);
        if (echo)
            viv__sb_printf(sb, " id %u seq %u", e->icmp_id, e->icmp_seq);
        viv__sb_printf(sb, " len %u", in->payload_len);
        break;
    }
    case VIV_REC_UDP:
        viv__sb_printf(sb, "UDP %u>%u len %u", in->sport, in->dport, in->payload_len);
        break;
    case VIV_REC_TCP:
        viv__sb_printf(sb, "TCP %u>%u ", in->sport, in->dport);
        flags_write(sb, in->tcp_flags);
        viv__sb_printf(sb, " %u:%u(%u)", e->seq, e->seq + in->payload_len, in->payload_len);
        if (in->tcp_flags & VIV_TCP_ACK)
            viv__sb_printf(sb, " ack %u", e->ack);
        viv__sb_printf(sb, " win %u", e->win);
        tcp_opts_write(sb, e);
        break;
    case VIV_REC_IP:
        viv__sb_printf(sb, "IP proto %u len %u", in->ip_proto, in->payload_len);
        break;
    default:
        viv__sb_printf(sb, "ETH type 0x%04x len %u", in->ethertype, e->len);
        break;
    }
}

int viv_rec_format(const viv_rec_t *rec, size_t i, char *buf, size_t cap)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, buf != NULL || cap == 0, "NULL buffer");
    if (i >= rec->nfr)
        return viv__err(rec->sim, VIV_ERANGE, "viv_rec_format: frame %zu of %zu", i, rec->nfr);
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    viv__kit_frame_line(&sb, rec, &rec->fr[i]);
    return sb.len > INT32_MAX ? VIV_ERANGE : (int)sb.len;
}

int viv_rec_text(const viv_rec_t *rec, char *buf, size_t cap)
{
    if (!rec)
        return VIV_EINVAL;
    VIV__CHECK(rec->sim, buf != NULL || cap == 0, "NULL buffer");
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    for (size_t i = 0; i < rec->nfr; i++) {
        viv__kit_frame_line(&sb, rec, &rec->fr[i]);
        viv__sb_printf(&sb, "\n");
    }
    return sb.len > INT32_MAX ? VIV_ERANGE : (int)sb.len;
}
