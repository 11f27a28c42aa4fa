/* UDP: sockets, demultiplexing (demux.c: connected sockets by 4-tuple, the others by local
 * address and port, every holder of a port in bind order), the receive queue, ICMP errors for
 * connected sockets, and netstat rows. A host with no socket answers port unreachable here.
 *
 * The receive queue is zero copy: a datagram stays in the frame it arrived in until it is
 * read, and is charged what it really holds (its truesize: the frame's whole buffer plus
 * its record), as a kernel charges an skb's truesize to the socket. Copying short datagrams
 * into right-sized buffers would save memory only on queues nobody reads, at the price of an
 * allocation and a copy per datagram on every queue; the accounting already bounds what an
 * unread queue can pin, so the frame is kept. The datagram is read where it is (layer 3's
 * input_at): a frame a hub or a switch flooded to several hosts is shared by them, and is
 * neither copied nor changed here; a record keeps where its payload lies, and the sender's
 * address and port are read from the headers in front of it when it is read. */
#include <stddef.h>
#include <string.h>

#include "core/bytes.h"
#include "l4.h"
#include "vivarium/trace.h"
#include "vivarium/udp.h"

typedef struct dgram {
    viv__frame *f; /* the frame it arrived in, perhaps shared: read only */
    struct dgram *next;
    uint32_t off;       /* the payload's offset in f->data */
    uint16_t len;       /* the payload's bytes */
    uint8_t ip_hdr_len; /* the IP header's bytes, in front of the UDP header */
} dgram;

/* The payload of a queued datagram, and who sent it (from the headers in front of it). */
static const uint8_t *dgram_payload(const dgram *d)
{
    return d->f->data + d->off;
}

static viv_sockaddr_t dgram_from(const dgram *d)
{
    const uint8_t *udp = dgram_payload(d) - VIV__UDP_HDR_LEN;
    viv_sockaddr_t a = {viv_rd32be(udp - d->ip_hdr_len + 12), viv_rd16be(udp)};
    return a;
}

/* Spare datagram records a host keeps beyond the ones its queues use (see dgram_put). */
#define UDP_DGRAM_KEEP 64u

/* A receive buffer's memory bound is never below this many full pooled datagrams, so that a
 * small rcvbuf_bytes still queues a few short datagrams (Linux has SOCK_MIN_RCVBUF). */
#define UDP_RCVMEM_MIN_DGRAMS 8u

/* A path MTU learned from fragmentation needed holds this long (Linux's ip_rt_mtu_expires),
 * then the route's MTU is tried again (RFC 1191 section 6.3). Checked when used: no event. */
#define UDP_PMTU_EXPIRES_NS VIV_S(600)

/* The smallest IPv4 MTU (RFC 791): a fragmentation-needed error announcing less is bogus. */
#define UDP_PMTU_MIN 68u

/* What a datagram reads first, in 112 bytes: sent, the counter tx_datagrams (last of st) and
 * h beside it; received, st.rx_datagrams, the spare records and the demux's kept answer
 * (docs/performance.md, wip/lanhost). */
typedef struct udp_host {
    viv_udp_host_stats_t st;
    struct viv_host *h;
    dgram *free_dgrams;
    size_t nfree_dgrams; /* records on free_dgrams */
    size_t nqueued;      /* records in the host's receive queues */
    viv__demux dm;                /* the bound sockets: its kept answer first */
    viv__sock_list socks;         /* every socket, in creation order */
} udp_host;

/* After the shared part, what sending and receiving a datagram read, in that order (the
 * path's checks, the queue, the delivery's callback, the cached path, the counters), with no
 * holes; what neither reads (the path MTU's expiry, the demux's links) last. */
struct viv_udp {
    viv__sock base;
    udp_host *uh;
    viv_udp_opts o;
    int bound;     /* base.local holds the bound address */
    int connected; /* base.remote holds the peer */
    int err;
    /* The last path chosen by viv__ip_route (udp_path): for path.dst from path_local (the
     * bound address then), while the host's route_gen is still path_gen. A connected
     * socket, or one sending to one peer, chooses its route once; path_ok 0: none yet. */
    int path_ok;
    dgram *qhead, *qtail;
    uint32_t qbytes, qcount; /* payload bytes and datagrams queued */
    uint64_t qmem;           /* their truesize (dgram_truesize) */
    viv_udp_cb cb;
    void *user;
    viv__ip_path path;
    viv_ip4_t path_local;
    uint32_t pmtu;           /* path MTU learned from fragmentation needed (0: none); with
                                Don't Fragment on and connected only (learned_pmtu) */
    uint64_t path_gen;
    viv_udp_stats_t st;
    viv_time_t pmtu_until;   /* when it expires */
    int ip_from_connect; /* local.ip was chosen by connect, not by bind */
    viv__demux_ep ep; /* in the host's demux while bound */
};

static struct viv_udp *udp_of(const viv__demux_ep *ep)
{
    return ep ? (struct viv_udp *)((char *)ep - offsetof(struct viv_udp, ep)) : NULL;
}

/* ---- per-host state -------------------------------------------------------------------- */

static void udp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f, const uint8_t *l4,
                      uint32_t l4_len);
static void udp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                      viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                      size_t l4_len);
static void udp_host_destroy(void *ctx, struct viv_host *h);
static int udp_netstat(void *ctx, const struct viv_host *h, viv_sock_info *rows, size_t cap);

const viv__l4_proto viv__udp_proto = {
    .proto = VIV__IP_PROTO_UDP,
    .input_at = udp_input, /* datagrams are read in place: a flood's frame is not copied */
    .error = udp_error,
    .destroy = udp_host_destroy,
    .netstat = udp_netstat,
};

/* The host's UDP state, made when first needed (create): by a socket, or by a datagram to a
 * host that never had one (its counters live there). */
static udp_host *udp_host_get(struct viv_host *h, int create)
{
    const viv__l4_proto *p = viv__host_l4(h, VIV__IP_PROTO_UDP);
    void *ctx = viv__host_l4_ctx(h, VIV__IP_PROTO_UDP);
    if (!p || ctx || !create)
        return ctx;
    udp_host *uh = viv__zalloc(h->node.sim, sizeof(*uh));
    if (!uh)
        return NULL;
    uh->h = h;
    viv__demux_init(&uh->dm, viv__ephemeral_start(h, VIV__RNG_SUB_UDP_PORTS));
    viv__host_l4_set_ctx(h, VIV__IP_PROTO_UDP, uh);
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
    uint64_t min = UDP_RCVMEM_MIN_DGRAMS * (uint64_t)(VIV__FRAME_MTU_TRUESIZE + sizeof(dgram));
    return lim > min ? lim : min;
}

/* ---- port table ------------------------------------------------------------------------ */

/* The sockets bound to a port, in bind order (follow port_next with udp_next). */
static struct viv_udp *port_first(const udp_host *uh, uint16_t port)
{
    return udp_of(viv__demux_port_first(&uh->dm, port));
}

static struct viv_udp *udp_next(const struct viv_udp *s) { return udp_of(s->ep.port_next); }

static void port_detach(udp_host *uh, struct viv_udp *s)
{
    if (!s->bound)
        return;
    viv__demux_remove(&uh->dm, &s->ep);
    s->bound = 0;
}

/* ---- socket life cycle ----------------------------------------------------------------- */

static void udp_deliver(viv__sock *b, uint32_t events)
{
    struct viv_udp *s = (struct viv_udp *)b;
    s->cb(s, events, s->user);
}

static void dgram_pop(viv_udp_t *s);

static void queue_clear(struct viv_udp *s)
{
    while (s->qhead)
        dgram_pop(s);
}

static void udp_release(viv__sock *b)
{
    struct viv_udp *s = (struct viv_udp *)b;
    viv__free(b->sim, s, sizeof(*s)); /* the host may be gone already */
}

/* Detach a socket from the demux and drop its queue. */
static void udp_detach(struct viv_udp *s)
{
    port_detach(s->uh, s);
    queue_clear(s);
}

/* The program let go of the handle: UDP keeps nothing after that. */
static int udp_orphan(viv__sock *b)
{
    udp_detach((struct viv_udp *)b);
    return 1;
}

static const viv__sock_ops udp_sock_ops = {VIV__IP_PROTO_UDP, udp_deliver, udp_orphan,
                                           udp_release};

static void udp_host_destroy(void *ctx, struct viv_host *h)
{
    udp_host *uh = ctx;
    viv_sim_t *sim = h->node.sim;
    if (!uh)
        return;
    while (uh->socks.first) {
        struct viv_udp *s = (struct viv_udp *)uh->socks.first;
        udp_detach(s);
        s->base.h = NULL;
        viv__sock_release(&s->base, &uh->socks);
    }
    while (uh->free_dgrams) {
        dgram *d = uh->free_dgrams;
        uh->free_dgrams = d->next;
        viv__free(sim, d, sizeof(*d));
    }
    uh->nfree_dgrams = 0;
    viv__demux_fini(sim, &uh->dm);
    viv__free(sim, uh, sizeof(*uh));
}

int viv_udp_new(viv_udp_t **out, viv_host_t *h, const viv_udp_opts *opts, viv_udp_cb cb,
                void *user)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, !opts || opts->dont_fragment == 0 || opts->dont_fragment == 1,
               "dont_fragment must be 0 or 1");
    udp_host *uh = udp_host_get(h, 1);
    struct viv_udp *s = uh ? viv__zalloc(sim, sizeof(*s)) : NULL;
    if (!s)
        return viv__err(sim, VIV_ENOMEM, "viv_udp_new: out of memory");
    if (viv__sock_init(&s->base, h, &udp_sock_ops, &uh->socks, cb != NULL) < 0) {
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
    viv__sock_raise(&s->base, VIV_EV_WRITABLE);
    *out = s;
    return 0;
}

int viv_udp_set_cb(viv_udp_t *s, viv_udp_cb cb, void *user)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    s->cb = cb;
    s->user = user;
    viv__sock_set_cb(&s->base, cb != NULL);
    return 0;
}

void viv_udp_free(viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return;
    viv__sock_let_go(&s->base, &s->uh->socks);
}

/* ---- binding --------------------------------------------------------------------------- */

/* rc_none: what to say when port is 0 and no ephemeral port is free: as Linux, VIV_EADDRINUSE
 * for viv_udp_bind, VIV_EAGAIN for the binding a send or a connect makes. */
static int bind_to(struct viv_udp *s, viv_ip4_t ip, uint16_t port, int rc_none)
{
    udp_host *uh = s->uh;
    viv_sim_t *sim = uh->h->node.sim;
    if (ip != VIV_IP4_ANY && !viv_host_has_addr(uh->h, ip))
        return viv__err(sim, VIV_EADDRNOTAVAIL, "udp bind: the host has no such address");
    if (port == 0) {
        port = viv__demux_ephemeral(&uh->dm);
        if (!port)
            return viv__err(sim, rc_none, "udp bind: no ephemeral port is free");
    } else if (viv__demux_bind_conflict(&uh->dm, ip, port, s->o.reuse_addr)) {
        return viv__err(sim, VIV_EADDRINUSE, "udp bind: port %u is in use", port);
    }
    s->base.local.ip = ip;
    s->base.local.port = port;
    if (viv__demux_bind(sim, &uh->dm, &s->ep, ip, port, s->o.reuse_addr) < 0)
        return viv__err(sim, VIV_ENOMEM, "udp bind: out of memory");
    s->bound = 1;
    return 0;
}

int viv_udp_bind(viv_udp_t *s, const viv_sockaddr_t *addr)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->uh->h->node.sim;
    VIV__CHECK(sim, addr != NULL, "NULL address");
    VIV__CHECK(sim, !s->bound, "socket already bound");
    return bind_to(s, addr->ip, addr->port, VIV_EADDRINUSE);
}


int viv_udp_connect(viv_udp_t *s, const viv_sockaddr_t *peer)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    viv_sim_t *sim = s->uh->h->node.sim;
    if (!peer) {
        /* As BSD does: disconnecting forgets the peer, a pending error, and a local address
         * that connecting (not binding) chose. */
        if (s->connected)
            viv__demux_disconnect(&s->uh->dm, &s->ep,
                                  s->ip_from_connect ? VIV_IP4_ANY : s->base.local.ip);
        s->connected = 0;
        s->base.state = VIV_TCP_CLOSED;
        s->base.remote = (viv_sockaddr_t){0, 0};
        s->err = 0;
        s->pmtu = 0;
        if (s->ip_from_connect)
            s->base.local.ip = VIV_IP4_ANY;
        s->ip_from_connect = 0;
        return 0;
    }
    VIV__CHECK(sim, peer->ip != VIV_IP4_ANY && peer->port != 0, "peer needs address and port");
    viv__ip_path path;
    int rc = viv__ip_route(s->uh->h, VIV_IP4_ANY, peer->ip, &path);
    if (path.bcast && !s->o.broadcast)
        return viv__err(sim, VIV_EACCES, "viv_udp_connect: broadcast needs the broadcast option");
    if (rc < 0 && peer->ip != VIV_IP4_BROADCAST)
        return viv__err(sim, rc, "viv_udp_connect: %s", viv_strerror(rc));
    viv_ip4_t src = path.src;
    if (!s->bound && (rc = bind_to(s, VIV_IP4_ANY, 0, VIV_EAGAIN)) < 0)
        return rc;
    /* As BSD does: connecting fixes the local address to the one the route gives, unless
     * the program bound one. An address an earlier connect chose is chosen again for the
     * new peer (udp.h): kept, it would send out of the new route's interface with the old
     * one's address, where the peer's answers may never come back (Linux keeps it). */
    int chosen = s->base.local.ip == VIV_IP4_ANY || s->ip_from_connect;
    viv_ip4_t lip = !chosen ? s->base.local.ip
                            : peer->ip != VIV_IP4_BROADCAST ? src : VIV_IP4_ANY;
    if (viv__demux_connect(sim, &s->uh->dm, &s->ep, lip, s->base.local.port, peer->ip,
                           peer->port) < 0)
        return viv__err(sim, VIV_ENOMEM, "viv_udp_connect: out of memory");
    if (chosen) {
        s->base.local.ip = lip;
        s->ip_from_connect = lip != VIV_IP4_ANY;
    }
    s->base.remote = *peer;
    s->connected = 1;
    s->base.state = VIV_TCP_ESTABLISHED;
    s->err = 0;
    s->pmtu = 0; /* a path MTU is learned anew for every peer */
    return 0;
}

/* ---- sending --------------------------------------------------------------------------- */

static int take_error(struct viv_udp *s)
{
    int e = s->err;
    s->err = 0;
    return e;
}

/* The path MTU the socket learned for dst, or 0: only a connected socket with Don't Fragment
 * on learns one, for its peer, and it expires (UDP_PMTU_EXPIRES_NS). */
static uint32_t learned_pmtu(const struct viv_udp *s, viv_ip4_t dst)
{
    if (!s->pmtu || !s->o.dont_fragment || !s->connected || dst != s->base.remote.ip ||
        s->base.sim->now >= s->pmtu_until)
        return 0;
    return s->pmtu;
}

/* viv__ip_route from the socket's local address to dst; VIV_EADDRNOTAVAIL if the host no
 * longer has that address (removed after bind or connect): a datagram never leaves with a
 * source address the host does not own, as Linux's route lookup refuses such a source. */
static int udp_route(const struct viv_udp *s, viv_ip4_t dst, viv__ip_path *out)
{
    if (s->base.local.ip != VIV_IP4_ANY && !viv__host_is_addr(s->uh->h, s->base.local.ip)) {
        memset(out, 0, sizeof(*out));
        return VIV_EADDRNOTAVAIL;
    }
    return viv__ip_route(s->uh->h, s->base.local.ip, dst, out);
}

/* udp_route to dst, through the socket's cache of the last path: the same answer, since the
 * host's routes and addresses (all it depends on) have not changed while route_gen has not; for
 * another destination that the same route serves, viv__ip_path_reuse says so. Only successful
 * choices are kept. */
static int udp_path(struct viv_udp *s, viv_ip4_t dst, viv__ip_path *out)
{
    const struct viv_host *h = s->uh->h;
    if (s->path_ok && s->path_local == s->base.local.ip && s->path_gen == h->route_gen) {
        if (s->path.dst == dst) {
            *out = s->path;
            return 0;
        }
        if (viv__ip_path_reuse(h, &s->path, dst, out) == 0)
            return 0; /* another peer the same route serves */
    }
    int rc = udp_route(s, dst, out);
    s->path_ok = rc == 0;
    if (rc == 0) {
        s->path = *out;
        s->path_local = s->base.local.ip;
        s->path_gen = h->route_gen;
    }
    return rc;
}

int viv_udp_sendto(viv_udp_t *s, const void *buf, size_t len, const viv_sockaddr_t *dst)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    udp_host *uh = s->uh;
    struct viv_host *h = uh->h;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, buf != NULL || len == 0, "NULL buffer");
    if (!dst) {
        if (!s->connected)
            return viv__err(sim, VIV_ENOTCONN, "viv_udp_send: socket is not connected");
        dst = &s->base.remote;
    }
    VIV__CHECK(sim, dst->port != 0 && dst->ip != VIV_IP4_ANY, "destination needs address and port");
    if (s->connected && s->err)
        return viv__err(sim, take_error(s), "viv_udp_sendto: pending error");
    if (len > 65507)
        return viv__err(sim, VIV_EMSGSIZE, "viv_udp_sendto: %zu bytes is above 65507", len);
    /* The one route choice: interface, next hop, source address and MTU, decided once. */
    viv__ip_path path;
    int rc = udp_path(s, dst->ip, &path);
    if (path.bcast && !s->o.broadcast)
        return viv__err(sim, VIV_EACCES, "viv_udp_sendto: broadcast needs the broadcast option");
    if (rc == VIV_ENETUNREACH)
        return viv__err(sim, rc, "viv_udp_sendto: %s",
                        path.bcast ? "no interface" : "no route to host");
    if (rc < 0)
        return viv__err(sim, rc, "viv_udp_sendto: no source address");
    if (len + 28 > path.mtu)
        return viv__err(sim, VIV_EMSGSIZE,
                        "viv_udp_sendto: %zu bytes do not fit the MTU of %u (no fragmentation)",
                        len, path.mtu);
    uint32_t pmtu = learned_pmtu(s, dst->ip);
    if (pmtu && len + 28 > pmtu)
        return viv__err(sim, VIV_EMSGSIZE,
                        "viv_udp_sendto: %zu bytes do not fit the path MTU of %u learned from "
                        "ICMP fragmentation needed (Don't Fragment is on)",
                        len, pmtu);
    if (!s->bound && (rc = bind_to(s, VIV_IP4_ANY, 0, VIV_EAGAIN)) < 0)
        return rc;
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, (uint32_t)(VIV__UDP_HDR_LEN + len));
    if (!f)
        return viv__err(sim, VIV_ENOMEM, "viv_udp_sendto: out of memory");
    uint8_t *b = viv__frame_bytes(f);
    /* The payload is copied into the frame and summed for the checksum in one pass over the
     * user's bytes (viv__cksum_copy), not copied and then read again. */
    uint64_t sum = viv__cksum_copy(0, b + VIV__UDP_HDR_LEN, buf, len, 0);
    struct viv__udp_repr u = {s->base.local.port, dst->port, (uint16_t)len};
    viv__udp_emit_sum(&u, path.src, dst->ip, b, VIV__UDP_HDR_LEN + len, sum);
    f->csum_ok = 1;
    rc = viv__ip_send(h, f, &path, VIV__IP_PROTO_UDP, s->o.ttl, s->o.tos, s->o.dont_fragment);
    if (rc < 0)
        return viv__err(sim, rc, "viv_udp_sendto: %s", viv_strerror(rc));
    s->st.tx_datagrams++;
    s->st.tx_bytes += len;
    uh->st.tx_datagrams++;
    return (int)len;
}

int viv_udp_send(viv_udp_t *s, const void *buf, size_t len)
{
    VIV__HANDLE(s, UDP);
    return viv_udp_sendto(s, buf, len, NULL);
}

/* ---- receiving ------------------------------------------------------------------------- */

/* Count a datagram dropped at host h (for socket s, or NULL) and trace it with its reason;
 * pkt, len: the packet from its IPv4 header (or NULL). */
static void udp_drop(struct viv_host *h, const struct viv_udp *s, uint64_t *counter,
                     viv_drop_reason why, const uint8_t *pkt, size_t len)
{
    (*counter)++;
    viv_sim_t *sim = h->node.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_FRAME_DROP);
    r.node = &h->node;
    r.socket = s;
    r.reason = why;
    r.frame = pkt;
    r.frame_len = (uint32_t)len;
    viv__trace_emit(sim, &r);
}

/* Whether a datagram of len payload bytes in a frame of truesize ts fits s's receive queue:
 * two bounds, the payload (what the application will read) and the memory the queue holds,
 * which also bounds zero-length datagrams (each holds a whole frame). */
static inline int enqueue_fits(const struct viv_udp *s, uint64_t ts, uint16_t len)
{
    return (uint64_t)s->qbytes + len <= s->o.rcvbuf_bytes && s->qmem + ts <= rcvmem_limit(s);
}

/* Put record d (from dgram_get) at the tail of s's queue for the datagram at payload in f's
 * bytes; ts is f's truesize. Consumes the reference f. */
static inline void enqueue_record(struct viv_udp *s, dgram *d, viv__frame *f,
                                  const uint8_t *payload, uint16_t len, uint8_t ip_hdr_len,
                                  uint64_t ts)
{
    d->f = f;
    d->next = NULL;
    d->off = (uint32_t)(payload - f->data);
    d->len = len;
    d->ip_hdr_len = ip_hdr_len;
    if (s->qtail)
        s->qtail->next = d;
    else
        s->qhead = d;
    s->qtail = d;
    s->qbytes += len;
    s->qcount++;
    s->qmem += ts;
    s->st.rx_datagrams++;
    s->st.rx_bytes += len;
    if (s->qcount == 1)
        viv__sock_raise(&s->base, VIV_EV_READABLE);
}

/* Queue the datagram whose payload (len bytes) is at payload in f's bytes, after a UDP
 * header and an IP header of ip_hdr_len bytes, or drop it (counted) if it does not fit or
 * no record can be had. Consumes the reference f. */
static void enqueue(struct viv_udp *s, viv__frame *f, const uint8_t *payload, uint16_t len,
                    uint8_t ip_hdr_len)
{
    udp_host *uh = s->uh;
    uint64_t ts = dgram_truesize(f);
    if (!enqueue_fits(s, ts, len)) {
        udp_drop(uh->h, s, &s->st.rx_queue_full, VIV_DROP_RX_QUEUE_FULL, NULL, 0);
        viv__frame_unref(uh->h->node.sim, f);
        return;
    }
    dgram *d = dgram_get(uh);
    if (!d) {
        udp_drop(uh->h, s, &s->st.rx_nomem, VIV_DROP_NO_MEMORY, NULL, 0);
        viv__frame_unref(uh->h->node.sim, f);
        return;
    }
    enqueue_record(s, d, f, payload, len, ip_hdr_len, ts);
}

/* How well a socket matches a datagram: -1 not at all, -2 refused by a connected socket's
 * peer filter; higher is more specific. A socket bound to a unicast address does not hear
 * broadcasts (the destination is not its address), as with BSD and Linux. */
static int match(const struct viv_udp *s, viv_ip4_t src, uint16_t sport, viv_ip4_t dst)
{
    int score = 0;
    if (s->base.local.ip != VIV_IP4_ANY) {
        if (s->base.local.ip != dst)
            return -1;
        score += 1;
    }
    if (s->connected) {
        if (s->base.remote.ip != src || s->base.remote.port != sport)
            return -2;
        score += 2;
    }
    return score;
}

/* Every datagram udp_input does not take at once: broadcasts, checksums to verify, no
 * socket, a full queue, the host's first datagram. Out of line: its frame (trace records,
 * the port's walk, port unreachable) is not set up for the common datagram. */
static VIV__NOINLINE void udp_input_all(void *ctx, struct viv_host *h,
                                        const struct viv__ipv4_repr *ip, uint32_t iface,
                                        int l2_bcast, viv__frame *f, const uint8_t *l4,
                                        uint32_t l4_len)
{
    udp_host *uh = ctx ? ctx : udp_host_get(h, 1);
    viv_sim_t *sim = h->node.sim;
    struct viv__udp_repr u;
    (void)iface;
    if (!uh) { /* a host's first datagram, and no memory for its UDP counters */
        viv__host_drop(h, &h->st.drop_nomem, VIV_DROP_NO_MEMORY, iface, f);
        viv__frame_unref(sim, f);
        return;
    }
    uh->st.rx_datagrams++;
    int rc = f->csum_ok ? viv__udp_parse_lengths(l4, l4_len, &u)
                        : viv__udp_parse(l4, l4_len, ip->src, ip->dst, &u);
    const uint8_t *pkt = l4 - ip->hdr_len; /* the datagram as it arrived, IP header first */
    if (rc < 0) {
        if (rc == VIV__W_CHECKSUM)
            udp_drop(h, NULL, &uh->st.rx_checksum, VIV_DROP_CHECKSUM, pkt, ip->hdr_len + l4_len);
        else
            udp_drop(h, NULL, &uh->st.rx_bad, VIV_DROP_MALFORMED, pkt, ip->hdr_len + l4_len);
        viv__frame_unref(sim, f);
        return;
    }
    const uint8_t *payload = l4 + VIV__UDP_HDR_LEN;
    if (l2_bcast || ip->dst == VIV_IP4_BROADCAST) {
        /* A broadcast goes to every matching socket on the port, in bind order. */
        struct viv_udp *any = NULL;
        for (struct viv_udp *s = port_first(uh, u.dst_port); s; s = udp_next(s)) {
            if (match(s, ip->src, u.src_port, ip->dst) < 0)
                continue;
            enqueue(s, viv__frame_ref(f), payload, u.payload_len, ip->hdr_len);
            any = s;
        }
        if (!any)
            udp_drop(h, NULL, &uh->st.rx_no_port, VIV_DROP_NO_PORT, pkt,
                     (size_t)ip->hdr_len + VIV__UDP_HDR_LEN + u.payload_len);
        viv__frame_unref(sim, f);
        return;
    }
    /* Unicast: the most specific socket, in O(1) (demux.c): connected to exactly this
     * sender, then bound to this address, then to any; the earliest bound of equals. This
     * is the highest match() score, as a walk of the port would find it. */
    struct viv_udp *best = udp_of(
        viv__demux_lookup_inline(&uh->dm, ip->dst, u.dst_port, ip->src, u.src_port));
    if (best) {
        enqueue(best, f, payload, u.payload_len, ip->hdr_len);
        return;
    }
    /* Nobody: was it refused by the peer filter of a connected socket? */
    for (struct viv_udp *s = port_first(uh, u.dst_port); s; s = udp_next(s))
        if (match(s, ip->src, u.src_port, ip->dst) == -2) {
            uh->st.rx_filtered++;
            break;
        }
    /* Port unreachable quotes the datagram as it arrived: its IP header precedes it. */
    udp_drop(h, NULL, &uh->st.rx_no_port, VIV_DROP_NO_PORT, pkt,
             (size_t)ip->hdr_len + VIV__UDP_HDR_LEN + u.payload_len);
    viv__icmp_error(h, VIV__ICMP_DEST_UNREACH, VIV__ICMP_UNREACH_PORT, 0, pkt,
                    (size_t)ip->hdr_len + VIV__UDP_HDR_LEN + u.payload_len, l2_bcast);
    viv__frame_unref(sim, f);
}

/* A unicast datagram whose checksum the sending stack vouched for (csum_ok), to a socket
 * found at once, with room in its queue and a spare record: queued here with nothing else
 * set up; every other datagram goes to udp_input_all, which does the same for this one. */
static void udp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f, const uint8_t *l4,
                      uint32_t l4_len)
{
    udp_host *uh = ctx;
    struct viv__udp_repr u;
    if (VIV__LIKELY(uh && f->csum_ok && !l2_bcast && ip->dst != VIV_IP4_BROADCAST &&
                    uh->free_dgrams) &&
        viv__udp_parse_lengths(l4, l4_len, &u) == 0) {
        struct viv_udp *s = udp_of(
            viv__demux_lookup_inline(&uh->dm, ip->dst, u.dst_port, ip->src, u.src_port));
        uint64_t ts = dgram_truesize(f);
        if (s && enqueue_fits(s, ts, u.payload_len)) {
            uh->st.rx_datagrams++;
            enqueue_record(s, dgram_get(uh), f, l4 + VIV__UDP_HDR_LEN, u.payload_len,
                           ip->hdr_len, ts);
            return;
        }
    }
    udp_input_all(ctx, h, ip, iface, l2_bcast, f, l4, l4_len);
}

/* A fragmentation-needed error announced next-hop MTU mtu for a datagram of connected socket
 * s. With Don't Fragment on, the socket takes it as its path MTU if it is lower than what it
 * knew (the route's MTU or an earlier one learned), and holds it for UDP_PMTU_EXPIRES_NS; the
 * same value again renews it. An MTU of 0 (a router older than RFC 1191) or below the IPv4
 * minimum says nothing usable. */
static void udp_learn_pmtu(struct viv_udp *s, uint16_t mtu)
{
    if (!s->o.dont_fragment || mtu < UDP_PMTU_MIN)
        return;
    uint32_t known = learned_pmtu(s, s->base.remote.ip);
    viv__ip_path path;
    if (!known && udp_route(s, s->base.remote.ip, &path) == 0)
        known = path.mtu;
    if (known && (mtu > known || (mtu == known && !learned_pmtu(s, s->base.remote.ip))))
        return;
    s->pmtu = mtu;
    s->pmtu_until = viv__time_add(s->base.sim->now, UDP_PMTU_EXPIRES_NS);
}

static void udp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                      viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                      size_t l4_len)
{
    udp_host *uh = ctx;
    (void)h;
    (void)from;
    if (!uh || l4_len < 4) /* no UDP socket ever: nobody to tell */
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
    for (struct viv_udp *s = port_first(uh, sport); s; s = udp_next(s)) {
        if (!s->connected || s->base.remote.ip != q->dst || s->base.remote.port != dport)
            continue;
        if (s->base.local.ip != VIV_IP4_ANY && s->base.local.ip != q->src)
            continue;
        if (type == VIV__ICMP_DEST_UNREACH && code == VIV__ICMP_UNREACH_FRAG_NEEDED)
            udp_learn_pmtu(s, mtu);
        s->err = err;
        viv__sock_raise(&s->base, VIV_EV_ERROR);
        return;
    }
}

/* Take the datagram at the head of s's queue out of it and give its memory back: the one
 * way a datagram leaves the queue for the program (received or discarded). */
static void dgram_pop(viv_udp_t *s)
{
    dgram *d = s->qhead;
    s->qhead = d->next;
    if (!s->qhead)
        s->qtail = NULL;
    s->qbytes -= d->len;
    s->qcount--;
    s->qmem -= dgram_truesize(d->f);
    viv__frame_unref(s->uh->h->node.sim, d->f);
    dgram_put(s->uh, d);
}

int viv_udp_recvfrom(viv_udp_t *s, void *buf, size_t cap, viv_sockaddr_t *from,
                     uint32_t *flags)
{
    VIV__HANDLE(s, UDP);
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
        return viv__err_lit(sim, VIV_EAGAIN, "viv_udp_recvfrom: no datagram waiting (EAGAIN)");
    size_t n = d->len < cap ? d->len : cap;
    if (n)
        memcpy(buf, dgram_payload(d), n);
    if (n < d->len) {
        s->st.rx_truncated++;
        if (flags)
            *flags |= VIV_MSG_TRUNC;
    }
    if (from)
        *from = dgram_from(d);
    dgram_pop(s);
    return (int)n;
}

int viv_udp_discard(viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (s->connected && s->err)
        return viv__err(s->base.sim, take_error(s), "viv_udp_discard: pending error");
    if (!s->qhead)
        return viv__err_lit(s->base.sim, VIV_EAGAIN, "viv_udp_discard: no datagram waiting "
                                                     "(EAGAIN)");
    int len = (int)s->qhead->len;
    dgram_pop(s);
    return len;
}

int viv_udp_recv(viv_udp_t *s, void *buf, size_t cap)
{
    VIV__HANDLE(s, UDP);
    return viv_udp_recvfrom(s, buf, cap, NULL, NULL);
}

int viv_udp_peek_len(const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (!s->qhead)
        return viv__err_lit(s->base.sim, VIV_EAGAIN, "viv_udp_peek_len: no datagram waiting "
                                                     "(EAGAIN)");
    return (int)s->qhead->len;
}

int viv_udp_peek(const viv_udp_t *s, const void **data, viv_sockaddr_t *from)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead || !data)
        return VIV_EINVAL;
    const dgram *d = s->qhead;
    if (!d) {
        *data = NULL;
        return viv__err_lit(s->base.sim, VIV_EAGAIN, "viv_udp_peek: no datagram waiting "
                                                     "(EAGAIN)");
    }
    *data = dgram_payload(d);
    if (from)
        *from = dgram_from(d);
    return (int)d->len;
}

int viv_udp_error(viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return take_error(s);
}

int viv_udp_local(viv_sockaddr_t *out, const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->bound ? s->base.local : (viv_sockaddr_t){0, 0};
    return 0;
}

int viv_udp_peer(viv_sockaddr_t *out, const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!out || !s)
        return VIV_EINVAL;
    if (!s->connected)
        return viv__err_lit(s->base.sim, VIV_ENOTCONN, "viv_udp_peer: socket is not connected");
    *out = s->base.remote;
    return 0;
}

/* ---- per-send settings ----------------------------------------------------------------- */

int viv_udp_set_ttl(viv_udp_t *s, int ttl)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (ttl < 0 || ttl > 255)
        return viv__err(s->base.sim, VIV_EINVAL,
                        "viv_udp_set_ttl: TTL %d is outside 0 .. 255 (0: the host's default)",
                        ttl);
    s->o.ttl = (uint8_t)ttl;
    return 0;
}

int viv_udp_ttl(const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return s->o.ttl ? s->o.ttl : s->uh->h->opts.default_ttl;
}

int viv_udp_set_tos(viv_udp_t *s, int tos)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (tos < 0 || tos > 255)
        return viv__err(s->base.sim, VIV_EINVAL,
                        "viv_udp_set_tos: type of service %d is outside 0 .. 255", tos);
    s->o.tos = (uint8_t)tos;
    return 0;
}

int viv_udp_tos(const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return s->o.tos;
}

int viv_udp_set_dont_fragment(viv_udp_t *s, int on)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (on != 0 && on != 1)
        return viv__err(s->base.sim, VIV_EINVAL,
                        "viv_udp_set_dont_fragment: %d is neither 0 (off) nor 1 (on)", on);
    s->o.dont_fragment = on;
    if (!on)
        s->pmtu = 0; /* what DF learned goes with it */
    return 0;
}

int viv_udp_dont_fragment(const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    return s->o.dont_fragment;
}

int viv_udp_path_mtu(const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!s || s->base.dead)
        return VIV_EINVAL;
    if (!s->connected)
        return viv__err_lit(s->base.sim, VIV_ENOTCONN,
                            "viv_udp_path_mtu: socket is not connected");
    viv__ip_path path;
    int rc = udp_route(s, s->base.remote.ip, &path);
    if (rc < 0)
        return viv__err(s->base.sim, rc, "viv_udp_path_mtu: %s",
                        rc == VIV_ENETUNREACH ? "no route to the peer" : "no source address");
    uint32_t pmtu = learned_pmtu(s, s->base.remote.ip);
    return (int)(pmtu && pmtu < path.mtu ? pmtu : path.mtu);
}

int viv_udp_stats(viv_udp_stats_t *out, const viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    if (!out || !s)
        return VIV_EINVAL;
    *out = s->st;
    return 0;
}

int viv_host_udp_stats(viv_udp_host_stats_t *out, const viv_host_t *h)
{
    VIV__HANDLE(h, HOST);
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
    for (const viv__sock *b = uh ? uh->socks.first : NULL; b; b = b->next, n++) {
        const struct viv_udp *s = (const struct viv_udp *)b;
        if (n >= cap)
            continue;
        viv_sock_info *r = &rows[n];
        memset(r, 0, sizeof(*r));
        r->proto = VIV_SOCK_UDP;
        r->local = s->bound ? s->base.local : (viv_sockaddr_t){0, 0};
        r->remote = s->connected ? s->base.remote : (viv_sockaddr_t){0, 0};
        r->state = (viv_tcp_state)s->base.state;
        r->state_name = s->connected ? "ESTABLISHED" : "";
        r->recv_q = s->qbytes;
        r->timer = VIV_TIMER_OFF;
        r->process = viv__process_of(b, &r->pid);
    }
    return (int)n;
}
