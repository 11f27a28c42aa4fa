/* UDP: sockets, demultiplexing by port (a hash map to the sockets bound to each port, in bind
 * order), the receive queue, ICMP errors for connected sockets, and netstat rows.
 *
 * The receive queue is zero copy: a datagram stays in the frame it arrived in until it is
 * read, and is charged what it really holds (its truesize: the frame's whole buffer plus
 * its record), as a kernel charges an skb's truesize to the socket. Copying short datagrams
 * into right-sized buffers would save memory only on queues nobody reads, at the price of an
 * allocation and a copy per datagram on every queue; the accounting already bounds what an
 * unread queue can pin, so the frame is kept. */
#include <string.h>

#include "l4.h"
#include "vivarium/udp.h"

typedef struct dgram {
    viv__frame *f; /* head at the payload */
    viv_sockaddr_t from;
    struct dgram *next;
} dgram;

/* Spare datagram records a host keeps beyond the ones its queues use (see dgram_put). */
#define UDP_DGRAM_KEEP 64u

/* A receive buffer's memory bound is never below this many full pooled datagrams, so that a
 * small rcvbuf_bytes still queues a few short datagrams (Linux has SOCK_MIN_RCVBUF). */
#define UDP_RCVMEM_MIN_DGRAMS 8u

typedef struct udp_host {
    struct viv_host *h;
    viv__map ports; /* port -> first socket bound to it (struct viv_udp *) */
    struct viv_udp *first, *last; /* every socket, in creation order */
    uint16_t eph_cursor;
    dgram *free_dgrams;
    size_t nfree_dgrams; /* records on free_dgrams */
    size_t nqueued;      /* records in the host's receive queues */
    viv_udp_host_stats_t st;
} udp_host;

struct viv_udp {
    viv__sock base;
    udp_host *uh;
    viv_udp_opts o;
    viv_udp_cb cb;
    void *user;
    viv_sockaddr_t local;
    int bound;
    viv_sockaddr_t peer;
    int connected;
    int ip_from_connect; /* local.ip was chosen by connect, not by bind */
    int err;
    dgram *qhead, *qtail;
    uint32_t qbytes, qcount; /* payload bytes and datagrams queued */
    uint64_t qmem;           /* their truesize (dgram_truesize) */
    viv_udp_stats_t st;
    struct viv_udp *next_on_port;
    struct viv_udp *prev_all, *next_all;
};

/* ---- per-host state -------------------------------------------------------------------- */

static void udp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f);
static void udp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                      viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                      size_t l4_len);
static void udp_host_destroy(void *ctx, struct viv_host *h);
static int udp_netstat(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap);

static udp_host *udp_host_get(struct viv_host *h, int create)
{
    const viv__l4_proto *p = viv__host_l4(h, VIV__IP_PROTO_UDP);
    if (p || !create)
        return p ? p->ctx : NULL;
    udp_host *uh = viv__zalloc(h->node.sim, sizeof(*uh));
    if (!uh)
        return NULL;
    uh->h = h;
    viv__map_init(&uh->ports);
    uh->eph_cursor = viv__ephemeral_start(h, VIV__RNG_SUB_UDP_PORTS);
    viv__l4_proto reg = {VIV__IP_PROTO_UDP, uh, udp_input, udp_error, udp_host_destroy,
                         udp_netstat};
    if (viv__host_l4_register(h, &reg) < 0) {
        viv__free(h->node.sim, uh, sizeof(*uh));
        return NULL;
    }
    return uh;
}

/* Datagram records come from a per-host free list (no allocation in steady state) that, like
 * the frame pool, keeps at most max(UDP_DGRAM_KEEP, records queued) spares: after a flood
 * drains, the records beyond that go back to the allocator. */
static dgram *dgram_get(udp_host *uh)
{
    dgram *d = uh->free_dgrams;
    if (d) {
        uh->free_dgrams = d->next;
        uh->nfree_dgrams--;
    } else if (!(d = viv__alloc(uh->h->node.sim, sizeof(*d)))) {
        return NULL;
    }
    uh->nqueued++;
    return d;
}

static void dgram_put(udp_host *uh, dgram *d)
{
    uh->nqueued--;
    d->next = uh->free_dgrams;
    uh->free_dgrams = d;
    uh->nfree_dgrams++;
    size_t keep = uh->nqueued > UDP_DGRAM_KEEP ? uh->nqueued : UDP_DGRAM_KEEP;
    while (uh->nfree_dgrams > keep) { /* at most two: one fewer queued, one more spare */
        dgram *g = uh->free_dgrams;
        uh->free_dgrams = g->next;
        uh->nfree_dgrams--;
        viv__free(uh->h->node.sim, g, sizeof(*g));
    }
}

/* What a queued datagram holds: the frame it stays in, whole, and its record. A frame shared
 * by several sockets (a broadcast) is charged in full to each, as a kernel charges clones. */
static uint64_t dgram_truesize(const viv__frame *f)
{
    return viv__frame_truesize(f) + sizeof(dgram);
}

/* The receive queue's memory bound: twice rcvbuf_bytes, as Linux doubles SO_RCVBUF to leave
 * room for bookkeeping, and never less than UDP_RCVMEM_MIN_DGRAMS full pooled datagrams. */
static uint64_t rcvmem_limit(const struct viv_udp *s)
{
    uint64_t lim = 2 * (uint64_t)s->o.rcvbuf_bytes;
    uint64_t min = UDP_RCVMEM_MIN_DGRAMS *
                   (uint64_t)(sizeof(viv__frame) + VIV__FRAME_POOL_CAP + sizeof(dgram));
    return lim > min ? lim : min;
}

/* ---- port table ------------------------------------------------------------------------ */

static struct viv_udp *port_first(const udp_host *uh, uint16_t port)
{
    return viv__map_get(&uh->ports, port);
}

static int port_in_use(void *ctx, uint16_t port) { return port_first(ctx, port) != NULL; }

static int port_attach(udp_host *uh, struct viv_udp *s)
{
    struct viv_udp *first = port_first(uh, s->local.port);
    s->next_on_port = NULL;
    if (!first)
        return viv__map_put(uh->h->node.sim, &uh->ports, s->local.port, s);
    while (first->next_on_port) /* bind order: the earliest bound comes first */
        first = first->next_on_port;
    first->next_on_port = s;
    return 0;
}

static void port_detach(udp_host *uh, struct viv_udp *s)
{
    if (!s->bound)
        return;
    struct viv_udp *first = port_first(uh, s->local.port);
    if (first == s) {
        if (s->next_on_port)
            viv__map_put(uh->h->node.sim, &uh->ports, s->local.port, s->next_on_port);
        else
            viv__map_del(&uh->ports, s->local.port);
    } else {
        for (struct viv_udp *p = first; p; p = p->next_on_port)
            if (p->next_on_port == s) {
                p->next_on_port = s->next_on_port;
                break;
            }
    }
    s->bound = 0;
}

/* ---- socket life cycle ----------------------------------------------------------------- */

static void udp_deliver(viv__sock *b, uint32_t events)
{
    struct viv_udp *s = (struct viv_udp *)b;
    if (s->cb)
        s->cb(s, events, s->user);
}

static void queue_clear(struct viv_udp *s)
{
    viv_sim_t *sim = s->uh->h->node.sim;
    while (s->qhead) {
        dgram *d = s->qhead;
        s->qhead = d->next;
        viv__frame_unref(sim, d->f);
        dgram_put(s->uh, d);
    }
    s->qtail = NULL;
    s->qbytes = s->qcount = 0;
    s->qmem = 0;
}

static void udp_release(viv__sock *b)
{
    struct viv_udp *s = (struct viv_udp *)b;
    viv__free(b->sim, s, sizeof(*s)); /* the host may be gone already */
}

/* Detach a socket from every table of its host and drop its queue. */
static void udp_detach(struct viv_udp *s)
{
    udp_host *uh = s->uh;
    port_detach(uh, s);
    queue_clear(s);
    if (s->prev_all)
        s->prev_all->next_all = s->next_all;
    else
        uh->first = s->next_all;
    if (s->next_all)
        s->next_all->prev_all = s->prev_all;
    else
        uh->last = s->prev_all;
}

static void udp_host_destroy(void *ctx, struct viv_host *h)
{
    udp_host *uh = ctx;
    viv_sim_t *sim = h->node.sim;
    while (uh->first) {
        struct viv_udp *s = uh->first;
        udp_detach(s);
        viv__sock_destroy(&s->base);
    }
    while (uh->free_dgrams) {
        dgram *d = uh->free_dgrams;
        uh->free_dgrams = d->next;
        viv__free(sim, d, sizeof(*d));
    }
    uh->nfree_dgrams = 0;
    viv__map_fini(sim, &uh->ports);
    viv__free(sim, uh, sizeof(*uh));
}

int viv_udp_new(viv_udp_t **out, viv_host_t *h, const viv_udp_opts *opts, viv_udp_cb cb,
                void *user)
{
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, out != NULL, "NULL out");
    udp_host *uh = udp_host_get(h, 1);
    struct viv_udp *s = uh ? viv__zalloc(sim, sizeof(*s)) : NULL;
    if (!s)
        return viv__err(sim, VIV_ENOMEM, "viv_udp_new: out of memory");
    if (viv__sock_init(&s->base, h, udp_deliver, udp_release) < 0) {
        viv__free(sim, s, sizeof(*s));
        return viv__err(sim, VIV_ENOMEM, "viv_udp_new: out of memory");
    }
    s->uh = uh;
    if (opts)
        s->o = *opts;
    if (!s->o.rcvbuf_bytes)
        s->o.rcvbuf_bytes = 212992;
    s->cb = cb;
    s->user = user;
    s->prev_all = uh->last;
    if (uh->last)
        uh->last->next_all = s;
    else
        uh->first = s;
    uh->last = s;
    viv__sock_raise(&s->base, VIV_EV_WRITABLE);
    *out = s;
    return 0;
}

void viv_udp_free(viv_udp_t *s)
{
    if (!s || s->base.dead)
        return;
    udp_detach(s);
    viv__sock_close(&s->base);
}

/* ---- binding --------------------------------------------------------------------------- */

static int bind_to(struct viv_udp *s, viv_ip4_t ip, uint16_t port)
{
    udp_host *uh = s->uh;
    viv_sim_t *sim = uh->h->node.sim;
    if (ip != VIV_IP4_ANY && !viv_host_has_addr(uh->h, ip))
        return viv__err(sim, VIV_EADDRNOTAVAIL, "udp bind: the host has no such address");
    if (port == 0) {
        port = viv__ephemeral_port(&uh->eph_cursor, port_in_use, uh);
        if (!port)
            return viv__err(sim, VIV_EAGAIN, "udp bind: no ephemeral port is free");
    } else {
        for (struct viv_udp *o = port_first(uh, port); o; o = o->next_on_port) {
            int overlap = o->local.ip == VIV_IP4_ANY || ip == VIV_IP4_ANY || o->local.ip == ip;
            if (overlap && !(o->o.reuse_addr && s->o.reuse_addr))
                return viv__err(sim, VIV_EADDRINUSE, "udp bind: port %u is in use", port);
        }
    }
    s->local.ip = ip;
    s->local.port = port;
    if (port_attach(uh, s) < 0)
        return viv__err(sim, VIV_ENOMEM, "udp bind: out of memory");
    s->bound = 1;
    return 0;
}

int viv_udp_bind(viv_udp_t *s, const viv_sockaddr_t *addr)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->uh->h->node.sim;
    VIV__CHECK(sim, addr != NULL, "NULL address");
    VIV__CHECK(sim, !s->bound, "socket already bound");
    return bind_to(s, addr->ip, addr->port);
}

static int is_broadcast(const struct viv_host *h, viv_ip4_t ip, int *iface);

int viv_udp_connect(viv_udp_t *s, const viv_sockaddr_t *peer)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->uh->h->node.sim;
    if (!peer) {
        /* As BSD does: disconnecting forgets the peer, a pending error, and a local address
         * that connecting (not binding) chose. */
        s->connected = 0;
        s->peer = (viv_sockaddr_t){0, 0};
        s->err = 0;
        if (s->ip_from_connect)
            s->local.ip = VIV_IP4_ANY;
        s->ip_from_connect = 0;
        return 0;
    }
    VIV__CHECK(sim, peer->ip != VIV_IP4_ANY && peer->port != 0, "peer needs address and port");
    int bif;
    if (is_broadcast(s->uh->h, peer->ip, &bif) && !s->o.broadcast)
        return viv__err(sim, VIV_EACCES, "viv_udp_connect: broadcast needs the broadcast option");
    viv_ip4_t src;
    int rc = viv__ip_select_src(s->uh->h, peer->ip, &src);
    if (rc < 0 && peer->ip != VIV_IP4_BROADCAST)
        return viv__err(sim, rc, "viv_udp_connect: %s", viv_strerror(rc));
    if (!s->bound && (rc = bind_to(s, VIV_IP4_ANY, 0)) < 0)
        return rc;
    /* As BSD does: connecting fixes the local address to the one the route gives. */
    if (s->local.ip == VIV_IP4_ANY && peer->ip != VIV_IP4_BROADCAST) {
        s->local.ip = src;
        s->ip_from_connect = 1;
    }
    s->peer = *peer;
    s->connected = 1;
    s->err = 0;
    return 0;
}

/* ---- sending --------------------------------------------------------------------------- */

static int is_broadcast(const struct viv_host *h, viv_ip4_t ip, int *iface)
{
    if (ip == VIV_IP4_BROADCAST) {
        *iface = -1;
        return 1;
    }
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (viv__iface_is_bcast(h->ifaces[i], ip)) {
            *iface = (int)i;
            return 1;
        }
    return 0;
}

static int take_error(struct viv_udp *s)
{
    int e = s->err;
    s->err = 0;
    return e;
}

int viv_udp_sendto(viv_udp_t *s, const void *buf, size_t len, const viv_sockaddr_t *dst)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    udp_host *uh = s->uh;
    struct viv_host *h = uh->h;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, buf != NULL || len == 0, "NULL buffer");
    if (!dst) {
        if (!s->connected)
            return viv__err(sim, VIV_ENOTCONN, "viv_udp_send: socket is not connected");
        dst = &s->peer;
    }
    VIV__CHECK(sim, dst->port != 0 && dst->ip != VIV_IP4_ANY, "destination needs address and port");
    if (s->connected && s->err)
        return viv__err(sim, take_error(s), "viv_udp_sendto: pending error");
    if (len > 65507)
        return viv__err(sim, VIV_EMSGSIZE, "viv_udp_sendto: %zu bytes is above 65507", len);
    int iface = -1;
    int bcast = is_broadcast(h, dst->ip, &iface);
    if (bcast && !s->o.broadcast)
        return viv__err(sim, VIV_EACCES, "viv_udp_sendto: broadcast needs the broadcast option");
    viv_ip4_t src = s->local.ip;
    uint32_t mtu = 65535;
    if (bcast) {
        if (iface < 0) { /* limited broadcast: the bound address's interface, or the first */
            iface = src != VIV_IP4_ANY ? viv__host_iface_for(h, src) : -1;
            for (uint32_t i = 0; iface < 0 && i < h->nifaces; i++)
                if (h->ifaces[i]->naddrs)
                    iface = (int)i;
            if (iface < 0)
                return viv__err(sim, VIV_ENETUNREACH, "viv_udp_sendto: no interface");
        }
        if (src == VIV_IP4_ANY)
            src = h->ifaces[iface]->naddrs ? h->ifaces[iface]->addrs[0].ip : VIV_IP4_ANY;
        mtu = h->ifaces[iface]->mtu;
    } else if (!viv_host_has_addr(h, dst->ip)) {
        viv_route r;
        if (viv__route_lookup(h, dst->ip, &r) < 0)
            return viv__err(sim, VIV_ENETUNREACH, "viv_udp_sendto: no route to host");
        if (src == VIV_IP4_ANY)
            src = r.src;
        mtu = h->ifaces[r.iface]->mtu;
    } else if (src == VIV_IP4_ANY) {
        src = dst->ip;
    }
    if (src == VIV_IP4_ANY)
        return viv__err(sim, VIV_EADDRNOTAVAIL, "viv_udp_sendto: no source address");
    if (len + 28 > mtu)
        return viv__err(sim, VIV_EMSGSIZE,
                        "viv_udp_sendto: %zu bytes do not fit the MTU of %u (no fragmentation)",
                        len, mtu);
    if (!s->bound) {
        int rc = bind_to(s, VIV_IP4_ANY, 0);
        if (rc < 0)
            return rc;
    }
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, (uint32_t)(VIV__UDP_HDR_LEN + len));
    if (!f)
        return viv__err(sim, VIV_ENOMEM, "viv_udp_sendto: out of memory");
    uint8_t *b = viv__frame_bytes(f);
    if (len)
        memcpy(b + VIV__UDP_HDR_LEN, buf, len);
    struct viv__udp_repr u = {s->local.port, dst->port, (uint16_t)len};
    viv__udp_emit(&u, src, dst->ip, b, VIV__UDP_HDR_LEN + len);
    f->csum_ok = 1;
    int rc = viv__ip_output(h, f, src, dst->ip, VIV__IP_PROTO_UDP, s->o.ttl, s->o.tos,
                            bcast ? iface : -1);
    if (rc < 0)
        return viv__err(sim, rc, "viv_udp_sendto: %s", viv_strerror(rc));
    s->st.tx_datagrams++;
    s->st.tx_bytes += len;
    uh->st.tx_datagrams++;
    return (int)len;
}

int viv_udp_send(viv_udp_t *s, const void *buf, size_t len)
{
    return viv_udp_sendto(s, buf, len, NULL);
}

/* ---- receiving ------------------------------------------------------------------------- */

static void enqueue(struct viv_udp *s, viv__frame *f, viv_ip4_t src, uint16_t sport)
{
    udp_host *uh = s->uh;
    /* Two bounds: the payload (what the application will read) and the memory the queue
     * holds, which also bounds zero-length datagrams: each holds a whole frame. */
    uint64_t ts = dgram_truesize(f);
    if ((uint64_t)s->qbytes + f->len > s->o.rcvbuf_bytes || s->qmem + ts > rcvmem_limit(s)) {
        s->st.rx_queue_full++;
        viv__frame_unref(uh->h->node.sim, f);
        return;
    }
    dgram *d = dgram_get(uh);
    if (!d) {
        s->st.rx_queue_full++;
        viv__frame_unref(uh->h->node.sim, f);
        return;
    }
    d->f = f;
    d->from = (viv_sockaddr_t){src, sport};
    d->next = NULL;
    if (s->qtail)
        s->qtail->next = d;
    else
        s->qhead = d;
    s->qtail = d;
    s->qbytes += f->len;
    s->qcount++;
    s->qmem += ts;
    s->st.rx_datagrams++;
    s->st.rx_bytes += f->len;
    if (s->qcount == 1)
        viv__sock_raise(&s->base, VIV_EV_READABLE);
}

/* How well a socket matches a datagram: -1 not at all, -2 refused by a connected socket's
 * peer filter; higher is more specific. A socket bound to a unicast address does not hear
 * broadcasts (the destination is not its address), as with BSD and Linux. */
static int match(const struct viv_udp *s, viv_ip4_t src, uint16_t sport, viv_ip4_t dst)
{
    int score = 0;
    if (s->local.ip != VIV_IP4_ANY) {
        if (s->local.ip != dst)
            return -1;
        score += 1;
    }
    if (s->connected) {
        if (s->peer.ip != src || s->peer.port != sport)
            return -2;
        score += 2;
    }
    return score;
}

static void udp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f)
{
    udp_host *uh = ctx;
    viv_sim_t *sim = h->node.sim;
    struct viv__udp_repr u;
    (void)iface;
    uh->st.rx_datagrams++;
    int rc = f->csum_ok ? viv__udp_parse_lengths(viv__frame_bytes(f), f->len, &u)
                        : viv__udp_parse(viv__frame_bytes(f), f->len, ip->src, ip->dst, &u);
    if (rc < 0) {
        if (rc == VIV__W_CHECKSUM)
            uh->st.rx_checksum++;
        else
            uh->st.rx_bad++;
        viv__frame_unref(sim, f);
        return;
    }
    viv__frame_pull(f, VIV__UDP_HDR_LEN);
    f->len = u.payload_len;
    int bcast = l2_bcast || ip->dst == VIV_IP4_BROADCAST;
    struct viv_udp *best = NULL;
    int best_score = -1, filtered = 0;
    for (struct viv_udp *s = port_first(uh, u.dst_port); s; s = s->next_on_port) {
        int sc = match(s, ip->src, u.src_port, ip->dst);
        if (sc == -2)
            filtered = 1;
        if (sc < 0)
            continue;
        if (bcast) { /* a broadcast goes to every matching socket */
            enqueue(s, viv__frame_ref(f), ip->src, u.src_port);
            best = s;
        } else if (sc > best_score) {
            best = s;
            best_score = sc;
        }
    }
    if (bcast) {
        if (!best)
            uh->st.rx_no_port++;
        viv__frame_unref(sim, f);
        return;
    }
    if (best) {
        enqueue(best, f, ip->src, u.src_port);
        return;
    }
    if (filtered)
        uh->st.rx_filtered++;
    uh->st.rx_no_port++;
    /* Port unreachable quotes the datagram as it arrived: its IP header precedes it. */
    uint8_t *pkt = viv__frame_bytes(f) - VIV__UDP_HDR_LEN - ip->hdr_len;
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_PORT, 0, pkt,
                    (size_t)ip->hdr_len + VIV__UDP_HDR_LEN + u.payload_len, l2_bcast);
    viv__frame_unref(sim, f);
}

static void udp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                      viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                      size_t l4_len)
{
    udp_host *uh = ctx;
    (void)h;
    (void)mtu;
    (void)from;
    if (l4_len < 4)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    int err;
    if (type == VIV__ICMP_DEST_UNREACH) {
        switch (code) {
        case VIV__ICMP_UNREACH_PORT:
        case VIV__ICMP_UNREACH_PROTO:
            err = VIV_ECONNREFUSED;
            break;
        case VIV__ICMP_UNREACH_NET:
            err = VIV_ENETUNREACH;
            break;
        case VIV__ICMP_UNREACH_FRAG_NEEDED:
            err = VIV_EMSGSIZE;
            break;
        default:
            err = VIV_EHOSTUNREACH;
            break;
        }
    } else {
        err = VIV_EHOSTUNREACH; /* time exceeded */
    }
    for (struct viv_udp *s = port_first(uh, sport); s; s = s->next_on_port) {
        if (!s->connected || s->peer.ip != q->dst || s->peer.port != dport)
            continue;
        if (s->local.ip != VIV_IP4_ANY && s->local.ip != q->src)
            continue;
        s->err = err;
        viv__sock_raise(&s->base, VIV_EV_ERROR);
        return;
    }
}

int viv_udp_recvfrom(viv_udp_t *s, void *buf, size_t cap, viv_sockaddr_t *from,
                     uint32_t *flags)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->uh->h->node.sim;
    VIV__CHECK(sim, buf != NULL || cap == 0, "NULL buffer");
    if (flags)
        *flags = 0;
    if (s->connected && s->err)
        return viv__err(sim, take_error(s), "viv_udp_recvfrom: pending error");
    dgram *d = s->qhead;
    if (!d)
        return VIV_EAGAIN;
    size_t n = d->f->len < cap ? d->f->len : cap;
    if (n)
        memcpy(buf, viv__frame_bytes(d->f), n);
    if (n < d->f->len) {
        s->st.rx_truncated++;
        if (flags)
            *flags |= VIV_MSG_TRUNC;
    }
    if (from)
        *from = d->from;
    s->qhead = d->next;
    if (!s->qhead)
        s->qtail = NULL;
    s->qbytes -= d->f->len;
    s->qcount--;
    s->qmem -= dgram_truesize(d->f);
    viv__frame_unref(sim, d->f);
    dgram_put(s->uh, d);
    return (int)n;
}

int viv_udp_recv(viv_udp_t *s, void *buf, size_t cap)
{
    return viv_udp_recvfrom(s, buf, cap, NULL, NULL);
}

int viv_udp_peek_len(const viv_udp_t *s)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return s->qhead ? (int)s->qhead->f->len : VIV_EAGAIN;
}

int viv_udp_error(viv_udp_t *s)
{
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return take_error(s);
}

int viv_udp_local(viv_sockaddr_t *out, const viv_udp_t *s)
{
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->bound ? s->local : (viv_sockaddr_t){0, 0};
    return 0;
}

int viv_udp_peer(viv_sockaddr_t *out, const viv_udp_t *s)
{
    if (!out || !s)
        return VIV_EINVAL;
    if (!s->connected)
        return VIV_ENOTCONN;
    *out = s->peer;
    return 0;
}

int viv_udp_stats(viv_udp_stats_t *out, const viv_udp_t *s)
{
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->st;
    return 0;
}

int viv_host_udp_stats(viv_udp_host_stats_t *out, const viv_host_t *h)
{
    if (!out || !h)
        return VIV_EINVAL;
    const udp_host *uh = udp_host_get((struct viv_host *)h, 0);
    if (uh)
        *out = uh->st;
    else
        memset(out, 0, sizeof(*out));
    return 0;
}

static int udp_netstat(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap)
{
    const udp_host *uh = ctx;
    (void)h;
    size_t n = 0;
    for (const struct viv_udp *s = uh->first; s; s = s->next_all, n++) {
        if (n >= cap)
            continue;
        viv_sock_info *r = &rows[n];
        memset(r, 0, sizeof(*r));
        r->proto = VIV_SOCK_UDP;
        r->local = s->bound ? s->local : (viv_sockaddr_t){0, 0};
        r->remote = s->connected ? s->peer : (viv_sockaddr_t){0, 0};
        r->state = s->connected ? VIV_TCP_ESTABLISHED : VIV_TCP_CLOSED;
        r->state_name = s->connected ? "ESTABLISHED" : "";
        r->recv_q = s->qbytes;
        r->timer = VIV_TIMER_OFF;
    }
    return (int)n;
}
