/* TCP: the transport's per-host state and the answer of a host with no socket for a segment.
 *
 * Every host has TCP from its creation (viv__transports): its state (counters, the demux its
 * sockets will be in) is made when a segment first needs it. With no socket to take it, a
 * segment is in the CLOSED state of RFC 9293 section 3.10.7.1: a reset is discarded, any
 * other segment is answered by a reset that the sender will find acceptable. Nothing is
 * answered to a broadcast or multicast, nor to a source that cannot be one host (RFC 1122
 * section 4.2.3.10), nor when the checksum is bad. */
#include <string.h>

#include "l4.h"

typedef struct tcp_host {
    struct viv_host *h;
    viv__demux dm; /* the sockets (none yet) */
    viv__tcp_host_stats st;
} tcp_host;

static void tcp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f);
static void tcp_host_destroy(void *ctx, struct viv_host *h);

/* No ICMP error handler and no netstat rows yet: there is no socket to tell or to list. */
const viv__l4_proto viv__tcp_proto = {
    .proto = VIV__IP_PROTO_TCP,
    .input = tcp_input,
    .destroy = tcp_host_destroy,
};

/* ---- per-host state -------------------------------------------------------------------- */

static tcp_host *tcp_host_get(struct viv_host *h, int create)
{
    const viv__l4_proto *p = viv__host_l4(h, VIV__IP_PROTO_TCP);
    if (!p || p->ctx || !create)
        return p ? p->ctx : NULL;
    tcp_host *th = viv__zalloc(h->node.sim, sizeof(*th));
    if (!th)
        return NULL;
    th->h = h;
    viv__demux_init(&th->dm, viv__ephemeral_start(h, VIV__RNG_SUB_TCP_PORTS));
    viv__host_l4_set_ctx(h, VIV__IP_PROTO_TCP, th);
    return th;
}

static void tcp_host_destroy(void *ctx, struct viv_host *h)
{
    tcp_host *th = ctx;
    if (!th)
        return;
    viv__demux_fini(h->node.sim, &th->dm);
    viv__free(h->node.sim, th, sizeof(*th));
}

void viv__tcp_host_stats_get(viv__tcp_host_stats *out, const struct viv_host *h)
{
    const tcp_host *th = tcp_host_get((struct viv_host *)h, 0);
    if (th)
        *out = th->st;
    else
        memset(out, 0, sizeof(*out));
}

/* ---- input ----------------------------------------------------------------------------- */

/* An address no connection can have at its other end: the wildcard, a broadcast (limited, or
 * directed to one of this host's subnets) or a multicast group. */
static int tcp_addr_is_group(const struct viv_host *h, viv_ip4_t a)
{
    if (a == VIV_IP4_ANY || a == VIV_IP4_BROADCAST || (a >> 28) == 0xe)
        return 1;
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (viv__iface_is_bcast(h->ifaces[i], a))
            return 1;
    return 0;
}

/* Send a reset (RFC 9293 section 3.10.7.1) in answer to seg, which came from ip->src to
 * ip->dst. */
static void tcp_send_reset(tcp_host *th, const struct viv__ipv4_repr *ip,
                           const struct viv__tcp_repr *seg)
{
    struct viv_host *h = th->h;
    viv_sim_t *sim = h->node.sim;
    struct viv__tcp_repr r;
    memset(&r, 0, sizeof(r));
    r.src_port = seg->dst_port;
    r.dst_port = seg->src_port;
    if (seg->flags & VIV__TCP_ACK) { /* <SEQ=SEG.ACK><CTL=RST> */
        r.seq = seg->ack;
        r.flags = VIV__TCP_RST;
    } else { /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count in SEG.LEN */
        uint32_t seg_len = (uint32_t)seg->payload_len + ((seg->flags & VIV__TCP_SYN) ? 1u : 0u) +
                           ((seg->flags & VIV__TCP_FIN) ? 1u : 0u);
        r.seq = 0;
        r.ack = seg->seq + seg_len;
        r.flags = VIV__TCP_RST | VIV__TCP_ACK;
    }
    size_t len = viv__tcp_len(&r);
    viv__frame *f = viv__frame_new(sim, VIV__FRAME_HEADROOM, (uint32_t)len);
    if (!f) {
        th->st.tx_failed++;
        return;
    }
    viv__tcp_emit(&r, ip->dst, ip->src, viv__frame_bytes(f), len);
    f->csum_ok = 1;
    /* From the address the segment was sent to, which is one of this host's (broadcasts
     * were refused before). */
    if (viv__ip_output(h, f, ip->dst, ip->src, VIV__IP_PROTO_TCP, 0, 0) < 0) {
        th->st.tx_failed++;
        return;
    }
    th->st.tx_rst++;
}

static void tcp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip,
                      uint32_t iface, int l2_bcast, viv__frame *f)
{
    tcp_host *th = ctx ? ctx : tcp_host_get(h, 1);
    viv_sim_t *sim = h->node.sim;
    (void)iface;
    if (!th) { /* a host's first segment, and no memory for its TCP counters */
        h->st.drop_nomem++;
        viv__frame_unref(sim, f);
        return;
    }
    th->st.rx_segments++;
    struct viv__tcp_repr seg;
    int rc = viv__tcp_parse(viv__frame_bytes(f), f->len, ip->src, ip->dst, &seg);
    if (rc < 0) {
        if (rc == VIV__W_CHECKSUM)
            th->st.rx_checksum++;
        else
            th->st.rx_bad++;
        viv__frame_unref(sim, f);
        return;
    }
    if (l2_bcast || tcp_addr_is_group(h, ip->dst) || tcp_addr_is_group(h, ip->src)) {
        th->st.rx_broadcast++; /* no connection's, and never answered (RFC 1122 4.2.3.10) */
        viv__frame_unref(sim, f);
        return;
    }
    /* Which socket: none exists yet, so every segment finds the CLOSED state. */
    if (!viv__demux_lookup(&th->dm, ip->dst, seg.dst_port, ip->src, seg.src_port)) {
        th->st.rx_no_socket++;
        if (seg.flags & VIV__TCP_RST)
            th->st.rx_rst_closed++; /* "An incoming segment containing a RST is discarded." */
        else
            tcp_send_reset(th, ip, &seg);
    }
    viv__frame_unref(sim, f);
}
