/* TCP internals shared by tcp.c (TCB life cycle, API, netstat), tcp_in.c (validation, demux,
 * the state machine of RFC 9293 3.10.7), tcp_out.c (segments out, the send and receive
 * buffers) and tcp_timer.c (the one deadline timer of each connection).
 *
 * Shape. The state machine consumes parsed segments (struct viv__tcp_repr plus a pointer to
 * the payload) and produces segments as reprs: tcp_out.c alone turns a repr into bytes. With
 * no socket, the answer is computed as a repr (viv__tcp_closed_reply) and then emitted.
 *
 * Lifetime. A TCB is a viv_tcp (its viv__sock first). The program holds it (base.handle)
 * from viv_tcp_new or viv_tcp_accept until viv_tcp_close/abort; a connection a listener made
 * is held by nobody until it is accepted (handle 1, no callback: its events wait). Once the
 * program lets go, the TCB is an orphan that TCP ends itself (viv__tcp_done). Everything a
 * "process" needs to close its sockets later is viv__sock_let_go on each of them.
 *
 * Sequence space of the send side. The send buffer (snd) holds the bytes from the oldest
 * unacknowledged data byte on, sent or not: the byte with sequence number X is at offset
 * X - tcp_dseq(s). Our SYN is ISS; data starts at ISS + 1; the FIN, once the program has
 * closed the sending side, takes the number after the last byte queued. snd_max is the
 * highest number ever sent: after a timeout snd_nxt goes back to snd_una (go-back-N) and
 * climbs again. */
#ifndef VIV_L4_TCP_INT_H
#define VIV_L4_TCP_INT_H

#include "l4.h"
#include "tcp_sack.h"
#include "vivarium/tcp.h"
#include "vivarium/trace.h"

/* Bounds and constants (docs/tcp.md says why each). */
#define VIV__TCP_MSS_DEFAULT 536u /* the peer's MSS when its SYN has no option (RFC 9293) */
#define VIV__TCP_MSS_MIN 48u      /* the smallest MSS honoured (Linux tcp_min_snd_mss) */
#define VIV__TCP_OOO_MIN 8u       /* out-of-order ranges kept at least ... */
#define VIV__TCP_OOO_MAX 4096u    /* ... and at most (else one per two segments of buffer) */
#define VIV__TCP_WIN_MAX 65535u   /* the window field; more only with window scaling */
#define VIV__TCP_WSCALE_MAX 14    /* RFC 7323 2.3 */
#define VIV__TCP_RCVBUF_DEFAULT 131072u    /* Linux's tcp_rmem default */
#define VIV__TCP_RCVBUF_MAX (16u << 20)    /* 16 MiB */
#define VIV__TCP_DELACK_MAX VIV_MS(500)    /* RFC 9293 3.8.6.3 */
#define VIV__TCP_TS_TICK VIV_MS(1)         /* the timestamp clock (RFC 7323 5.4) */
#define VIV__TCP_PAWS_IDLE VIV_S(24 * 24 * 3600) /* RFC 7323 5.5: 24 days */
#define VIV__TCP_DUPTHRESH 3u
#define VIV__TCP_BACKLOG_DEFAULT 128u
#define VIV__TCP_SYN_RTO_AFTER_RETRY VIV_S(3) /* RFC 6298 5.7 */

/* A host's TCP: made the first time a socket or a segment needs it. */
typedef struct viv__tcp_host {
    struct viv_host *h;
    viv__demux dm;
    viv__sock_list socks; /* every TCB, in creation order: what netstat lists */
    viv_tcp_host_stats st;
    viv_tcp_tunables tun; /* the host's own tunables, when tun_own */
    int tun_own;          /* else the simulation's defaults apply */
    viv_rng_t isn_rng;    /* the host's ISN stream (VIV__RNG_SUB_TCP_ISN) */
    /* The connection the last segment's 4-tuple found (tcp_in.c): what the demultiplexing
     * answers for that tuple until it changes (every bind, connect and removal clears it). */
    struct viv_tcp *last_conn;
    /* Header prediction (tcp_in.c, tcp_fast): no_fast turns it off (the tests' switch, which
     * runs every segment through the general steps); fast_acks and fast_data count the
     * segments it took, with new acknowledgement only and with data. */
    uint8_t no_fast;
    uint64_t fast_acks, fast_data;
} viv__tcp_host;

/* The simulation's defaults (viv_sim_set_tcp_tunables), owned by the simulation: sim's
 * tcp_defaults points at it. */
typedef struct viv__tcp_sim_defaults {
    viv__obj obj;
    viv_sim_t *sim;
    viv_tcp_tunables tun;
} viv__tcp_sim_defaults;

/* vivarium's own defaults (documented in tcp.h). */
extern const viv_tcp_tunables viv__tcp_builtin_tunables;

/* The tunables in force on a host: its own if set, else the simulation's. */
static inline const viv_tcp_tunables *viv__tcp_tun(const viv__tcp_host *th)
{
    if (th->tun_own)
        return &th->tun;
    const viv__tcp_sim_defaults *d = th->h->node.sim->tcp_defaults;
    return d ? &d->tun : &viv__tcp_builtin_tunables;
}

/* A byte ring: len bytes from head. */
typedef struct viv__tcp_ring {
    uint8_t *buf; /* NULL until first needed; freed when the connection no longer needs it */
    uint32_t cap, head, len;
} viv__tcp_ring;

/* Received data left in the frame it arrived in rather than copied into the receive ring
 * (viv_tcp_recv copies it from there into the program's buffer: one copy of each byte
 * instead of two), in order or beyond a hole alike. The ring still counts in-order bytes
 * (rcv.len) and keeps the room of every byte, unwritten: an entry covers the ring positions
 * [pos, pos + len), positions counted from the connection's first byte read as rcv_rd is
 * (modulo 2^32; the byte with sequence number X is at rcv_rd + rcv.len + X - rcv_nxt). The
 * entries are sorted by position and never overlap: bytes already held stay as they are, a
 * segment fills only the positions nobody holds. Bounds (docs/design.md, TCP): a segment
 * with less than VIV__TCP_RXF_MIN bytes for the positions it fills is copied; so is one that
 * would take the connection's frames beyond twice its receive buffer in blocks
 * (viv__frame_truesize: a 1514-byte frame holds a 2 KiB block, a tiny one 256 bytes), or its
 * entries beyond viv__tcp_rxf_cap(). Whatever is copied goes into the ring, which always
 * has room for every byte the window admits: holding never drops data. */
#define VIV__TCP_RXF_MIN 64u /* shorter pieces are copied: cheaper than holding a frame */
#define VIV__TCP_RXF_CAP_MAX 4096u
typedef struct viv__tcp_rxf {
    viv__frame *f;
    const uint8_t *data;
    uint32_t pos, len;
} viv__tcp_rxf;

/* A range of sequence numbers [start, end) received out of order (its bytes are in the
 * receive ring, beyond the in-order ones): the receiver's SACK blocks. */
typedef viv__sack_blk viv__tcp_range;

/* A listener's queues of the connections it made: still in their handshake (syn), and
 * established, waiting for viv_tcp_accept (acc). */
enum { VIV__TCP_Q_NONE = 0, VIV__TCP_Q_SYN = 1, VIV__TCP_Q_ACC = 2 };
typedef struct viv__tcp_queue {
    struct viv_tcp *first, *last;
    uint32_t n;
} viv__tcp_queue;

struct viv_tcp {
    viv__sock base; /* first: the handle and its viv__sock share their address */
    viv__tcp_host *th;
    viv_tcp_opts o; /* defaults resolved */
    viv_tcp_cb cb;
    void *user;
    viv__demux_ep ep;        /* in the host's demux while it holds a port (ep.where) */
    uint8_t ip_from_connect; /* local.ip was chosen by connect */

    /* Listener: its queues and limit. Connection it made: its listener until accepted. */
    uint32_t backlog;
    viv__tcp_queue synq, accq;
    struct viv_tcp *parent;
    struct viv_tcp *q_prev, *q_next;
    uint8_t in_q; /* VIV__TCP_Q_* */

    /* Send sequence variables (RFC 9293 3.3.1). */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t snd_sml; /* the end of the last short segment sent (Nagle, Minshall) */
    /* Receive sequence variables; rcv_adv is the right edge announced (RCV.NXT + RCV.WND). */
    uint32_t irs, rcv_nxt, rcv_adv;
    uint16_t smss;     /* the largest segment we send */
    uint16_t rmss;     /* the MSS we announce */
    uint32_t path_mtu; /* from the route chosen at connect (and fragmentation needed) */
    uint32_t cwnd;     /* congestion window (RFC 5681), bytes */
    uint32_t ssthresh; /* slow-start threshold; UINT32_MAX until the first loss */

    /* Options negotiated on the SYNs (RFC 7323, RFC 2018). want_*: what we offer (fixed at
     * connect or listen); *_ok: both ends offered it. */
    uint8_t want_ws, want_ts, want_sack;
    uint8_t ws_ok, ts_ok, sack_ok;
    uint8_t snd_wscale; /* the peer's shift: windows it sends are scaled by it (0 unless
                           ws_ok) */
    uint8_t rcv_wscale; /* our shift: windows we send are scaled by it */
    uint32_t ts_off;       /* added to the timestamp clock (the ISS: no extra draw) */
    uint32_t ts_recent;    /* TS.Recent (RFC 7323 4.3) */
    viv_time_t ts_recent_at; /* when TS.Recent was recorded (PAWS 24-day rule) */
    uint32_t last_ack_sent;  /* Last.ACK.sent: the ACK field of the last segment sent */

    /* Congestion control (vivarium/tcp_cc.h). */
    const struct viv_tcp_cc *cc;
    uint32_t ca_acked;
    union {
        uint8_t b[VIV_TCP_CC_PRIV_MAX];
        long double align_ld;
        uint64_t align_u64;
        void *align_p;
    } cc_priv;
    /* RFC 7661: the largest flight in the current and in the previous round trip. */
    uint32_t cl_max, cl_prev, cl_round_end;
    viv_time_t last_data_tx; /* when data was last sent (RFC 5681 4.1 restart) */
    viv_time_t min_rtt;

    /* Loss recovery (RFC 5681, RFC 6582, RFC 6675). */
    uint8_t in_recovery;  /* 0, 1 fast recovery, 2 after a timeout (until recover) */
    uint8_t partial_seen; /* a partial ACK came in this fast recovery (RFC 6582 step 5) */
    uint8_t rescue_done;  /* RFC 6675 rule 4 used in this recovery */
    uint32_t rescue_rxt;  /* RFC 6675 RescueRxt + 1: no rescue until SND.UNA passes it */
    uint32_t lt_bytes;    /* new data limited transmit let out since the first duplicate
                             (RFC 3042), kept out of FlightSize at the loss (RFC 5681 3.2) */
    uint32_t dupacks;     /* consecutive duplicate ACKs */
    uint32_t recover;     /* RFC 6582 recover / RFC 6675 RecoveryPoint */
    uint32_t high_rxt;    /* RFC 6675 HighRxt */
    uint32_t rto_shift;   /* RTO doublings, kept until a clean RTT sample (Karn) */
    viv__tcp_sb *sb; /* the sender's scoreboard (SACK on): NULL until the peer first SACKs,
                        freed when nothing more is sent (TIME-WAIT, the end) */
    viv__sack_hist sack_hist;   /* the receiver's last SACK option (RFC 2018 4) */
    viv__sack_blk sack_recent;  /* the last data segment received, for the first block */
    uint64_t fast_retransmits, timeouts, dup_acks_in;

    viv__tcp_ring snd; /* from tcp_dseq(s): unacknowledged, then unsent */
    viv__tcp_ring rcv; /* in-order unread bytes; out-of-order ones beyond them */
    viv__tcp_rxf *rxf; /* bytes still in their frames: a ring of rxf_cap entries (a power of
                          two), sorted by position from rxf_head; NULL until a frame is first
                          held */
    uint32_t rxf_head, rxf_n, rxf_cap;
    uint32_t rxf_room; /* what more frames may hold in blocks (truesize, once per entry):
                          twice the receive buffer, less what the entries hold */
    uint32_t rcv_rd;     /* the ring position of rcv's head: bytes taken from it (mod 2^32) */
    viv__tcp_range *ooo; /* sorted; NULL until data first arrives out of order */
    uint32_t nooo, ooo_cap;

    uint8_t fin_queued; /* the sending side is closed: a FIN follows the queued data */
    uint32_t fin_seq;   /* its sequence number */
    uint8_t rfin;       /* the peer's FIN was reached (rcv_nxt counts it) */
    uint8_t rfin_ooo;   /* the peer's FIN arrived beyond a hole: at rfin_seq */
    uint32_t rfin_seq;
    uint8_t rd_shut; /* the program will read no more (shutdown or close) */
    uint8_t wr_shut; /* the program will send no more */
    uint8_t closed;  /* the program closed the socket (orphaned, or close requested) */
    uint8_t abort_on_close;
    uint8_t syn_retried;    /* our SYN (or SYN-ACK) was retransmitted: no RTT from it */
    uint8_t syn_acked;      /* our SYN is acknowledged (SND.UNA passed ISS for good: after
                               4 GiB, SND.UNA may equal ISS again) */
    uint8_t ack_now;        /* send an ACK at the next output */
    uint8_t delack_segs;    /* full segments received and not yet acknowledged */
    uint8_t want_writable;  /* a send fell short: raise WRITABLE when room is made */
    uint8_t opened;         /* connect or listen was called (mss, buffers, ISN fixed) */
    uint8_t ever_connected; /* reached SYN-SENT or SYN-RECEIVED once */

    /* Timers: one viv__timer set to the earliest deadline (VIV_TIME_NEVER: off). */
    viv__timer tmr;
    viv_time_t at[VIV_TCP_TIMER_COUNT];
    uint32_t backoff; /* consecutive expiries of the retransmission timer (the budget) */
    uint32_t probes;  /* zero-window probes unanswered (any ACK answers: RFC 1122 4.2.2.17) */
    uint32_t probe_shift; /* their interval's doublings, kept while the window stays shut */
    uint32_t kprobes; /* keepalive probes unanswered */
    viv_time_t rto, srtt, rttvar;
    uint8_t have_rtt;
    uint8_t rtt_on; /* timing the segment that ends at rtt_seq */
    uint32_t rtt_seq;
    viv_time_t rtt_start;
    viv_time_t una_since; /* when the oldest unacknowledged data was first sent */
    /* The user timeout (tcp_timer.c): the deadlines the retransmission and persist timers
     * would have had, had it not cut them short (VIV_TIME_NEVER: not cut), and when the
     * first zero-window probe of a window that stays shut went (VIV_TIME_NEVER: none). */
    viv_time_t rto_due, persist_due;
    viv_time_t zw_since;
    viv_time_t last_rx;   /* when a segment last arrived (keepalive idle) */

    /* The header of its ACK and data segments (tcp_out.c, tcp_xmit_seg): made from the
     * 4-tuple and the timestamps choice the first time one is sent once synchronized (none
     * of them changes after that), then stamped with each segment's fields. */
    viv__tcp_tpl hdr;
    uint8_t hdr_ok;

    /* The path of the last segment sent (viv__tcp_xmit): valid while the host's route_gen is
     * path_gen and the addresses are the same, so a connection chooses its route once. */
    viv__ip_path path;
    uint64_t path_gen;
    uint8_t path_ok;
    /* The last (destination, source) of a segment that reached this socket, known to be no
     * broadcast or multicast address while the host's route_gen + 1 is grp_gen (0: none). */
    uint64_t grp_gen;
    viv_ip4_t grp_dst, grp_src;

    int err;      /* pending error (returned once) */
    int soft_err; /* the last ICMP soft error: reported instead of ETIMEDOUT */

    uint64_t retransmits, segs_out, segs_in, bytes_sent, bytes_acked, bytes_received;

    /* A socket that sends from a source (viv_tcp_send_source): the send ring counts its bytes
     * but holds none (snd.buf stays NULL); the byte at ring offset o is the stream's byte
     * bytes_acked + o, which src gives. */
    viv_tcp_source_fn src;
    void *src_user;
};

static inline viv_tcp_t *viv__tcp_of_ep(const viv__demux_ep *ep)
{
    return ep ? (viv_tcp_t *)((char *)ep - offsetof(struct viv_tcp, ep)) : NULL;
}

static inline viv_tcp_state viv__tcp_st(const viv_tcp_t *s)
{
    return (viv_tcp_state)s->base.state;
}

/* The sequence number of the first byte in the send buffer: after our SYN, SND.UNA. */
static inline uint32_t viv__tcp_dseq(const viv_tcp_t *s)
{
    return s->syn_acked ? s->snd_una : s->iss + 1;
}
/* The sending side closes: the FIN takes the number after the last byte queued (nothing
 * more can be queued after it). */
static inline void viv__tcp_queue_fin(viv_tcp_t *s)
{
    s->fin_queued = 1;
    s->wr_shut = 1;
    s->fin_seq = viv__tcp_dseq(s) + s->snd.len;
}
/* Whether our FIN has been sent (it has a number below snd_max). */
static inline int viv__tcp_fin_sent(const viv_tcp_t *s)
{
    return s->fin_queued && viv__seq_gt(s->snd_max, s->fin_seq);
}
/* Whether our FIN is acknowledged. */
static inline int viv__tcp_fin_acked(const viv_tcp_t *s)
{
    return s->fin_queued && viv__seq_gt(s->snd_una, s->fin_seq);
}
static inline int viv__tcp_synchronized(viv_tcp_state st)
{
    return st >= VIV_TCP_ESTABLISHED;
}

/* The scoreboard to read: the connection's, or an empty one while it has none. */
extern const viv__tcp_sb viv__tcp_sb_empty;
static inline const viv__tcp_sb *viv__tcp_sbr(const viv_tcp_t *s)
{
    return s->sb ? s->sb : &viv__tcp_sb_empty;
}
/* Free the scoreboard (nothing more will be sent, or the connection ends). */
void viv__tcp_sb_free(viv_tcp_t *s);

/* ---- tcp.c ----------------------------------------------------------------------------- */
/* The host's TCP state, made if create and absent (NULL if no memory). */
viv__tcp_host *viv__tcp_host_get(struct viv_host *h, int create);
/* Enter a state (traced; raises the events the change means for the program). */
void viv__tcp_set_state(viv_tcp_t *s, viv_tcp_state st);
/* The connection is over (CLOSED): out of the demux and the listener's queues, timers off,
 * buffers freed. err (0 or a VIV_E*) is stored for the program, which hears ERROR (if err)
 * and CLOSED; an orphan, or a connection nobody accepted yet whose listener is gone, is
 * released. */
void viv__tcp_done(viv_tcp_t *s, int err);
/* A connection a listener made failed before anyone accepted it: forget it silently. */
void viv__tcp_drop_child(viv_tcp_t *child);
/* A connection a listener made is established: it moves to the accept queue. */
void viv__tcp_child_established(viv_tcp_t *child);
/* Make a connection for listener l from a SYN (RFC 9293 3.10.7.2): SYN-RECEIVED, in the
 * demux and the listener's queue. NULL when no memory (counted). */
viv_tcp_t *viv__tcp_child_new(viv_tcp_t *l, viv_ip4_t lip, viv_ip4_t rip, uint16_t rport);
/* A new initial sequence number for s (fixed_isn or the host's stream). */
uint32_t viv__tcp_isn(viv_tcp_t *s);
/* The MSS we announce and send (from the path MTU and the option); sets rmss, smss, and cwnd
 * to the initial window. */
void viv__tcp_set_mss(viv_tcp_t *s, uint16_t peer_mss);
/* Lower the path MTU of s to mtu (ignored below 68 or not below the current one) and the
 * send MSS with it. Returns 1 if the MSS shrank. */
int viv__tcp_mtu_lower(viv_tcp_t *s, uint32_t mtu);
/* The initial window in bytes (tunables' initial_window, or RFC 5681 3.1's rule). */
uint32_t viv__tcp_iw(const viv_tcp_t *s);
/* Resolve what s offers on its SYN (options and tunables) and its congestion control. */
void viv__tcp_resolve_offers(viv_tcp_t *s);
/* (Re)start the congestion-control algorithm: private state zeroed, init called. */
void viv__tcp_cc_init(viv_tcp_t *s);
/* A VIV_TRACE_TCP_CC record (ev a viv_trace_cc_event), if tracing. */
void viv__tcp_cc_trace(viv_tcp_t *s, int ev);
/* Fill the algorithm's view of s (in_flight given). */
void viv__tcp_cc_view(viv_tcp_t *s, viv_tcp_cc_conn *c, uint32_t in_flight);
/* Take back what the algorithm changed (cwnd at least one segment). */
void viv__tcp_cc_unview(viv_tcp_t *s, const viv_tcp_cc_conn *c);
/* A loss: ssthresh from the algorithm, at least two segments (in_flight: FlightSize). */
void viv__tcp_cc_loss(viv_tcp_t *s, uint32_t in_flight);
/* RFC 7661 4's test of whether the window limits the sender (pipeACK >= cwnd / 2), the
 * pipeACK sample being the larger of this and the last measurement period's. */
static inline int viv__tcp_cwnd_limited(const viv_tcp_t *s)
{
    uint32_t fl = s->cl_max > s->cl_prev ? s->cl_max : s->cl_prev;
    return (uint64_t)2 * fl >= s->cwnd;
}
/* NewReno's on_ack applied to s without the algorithm's view (tcp_in.c): the same result
 * as viv_tcp_cc_newreno.on_ack through viv__tcp_cc_view and viv__tcp_cc_unview. */
void viv__tcp_newreno_ack(viv_tcp_t *s, uint32_t acked);
/* Bytes in flight: RFC 6675 pipe with SACK, else FlightSize (SND.MAX - SND.UNA). */
uint32_t viv__tcp_in_flight(const viv_tcp_t *s);
/* The timestamp clock of s (RFC 7323: 1 ms ticks). */
static inline uint32_t viv__tcp_ts_now(const viv_tcp_t *s)
{
    return (uint32_t)(s->base.sim->now / VIV__TCP_TS_TICK) + s->ts_off;
}

/* Free the out-of-order ranges (with the receive buffer, or when the connection ends). */
void viv__tcp_ooo_free(viv_tcp_t *s);

/* ---- tcp_in.c -------------------------------------------------------------------------- */
void viv__tcp_input(void *ctx, struct viv_host *h, const struct viv__ipv4_repr *ip, uint32_t iface,
                    int l2_bcast, viv__frame *f);
void viv__tcp_icmp_error(void *ctx, struct viv_host *h, uint8_t type, uint8_t code, uint16_t mtu,
                         viv_ip4_t from, const struct viv__ipv4_repr *q, const uint8_t *l4,
                         size_t l4_len);
/* The answer of RFC 9293 3.10.7.1 to seg when no connection has it: 0 and *out filled, or
 * -1 if none is due (seg is a reset). */
int viv__tcp_closed_reply(const struct viv__tcp_repr *seg, struct viv__tcp_repr *out);

/* Header prediction on or off for host h's TCP (on unless turned off): a debugging and
 * testing switch; the run is the same either way. VIV_ENOMEM if h's TCP cannot be made. */
int viv__tcp_set_fast_path(struct viv_host *h, int on);

/* ---- tcp_out.c ------------------------------------------------------------------------- */
/* Send what is due: SYN or SYN-ACK not sent yet, data the windows allow, the FIN, or an ACK
 * that is owed. viv__tcp_output_idle (after the timers, below) restates its steps' tests:
 * change the two together. */
void viv__tcp_output(viv_tcp_t *s);
/* The persist timer's segment when the window is open but too small for a segment the
 * sender would send by itself: as much new data as fits. Returns the bytes sent (0: none). */
uint32_t viv__tcp_send_window_probe(viv_tcp_t *s);
/* Retransmit [seq, seq + len) now (len bytes of the sequence space, the FIN included if it
 * is there; len 0: one SMSS). Returns the sequence space sent (0: nothing). */
uint32_t viv__tcp_retransmit(viv_tcp_t *s, uint32_t seq, uint32_t len);
/* Send an ACK now (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>). */
void viv__tcp_send_ack(viv_tcp_t *s);
/* Send the SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), at ISS. rexmit: a retransmission. */
void viv__tcp_send_syn(viv_tcp_t *s, int rexmit);
/* Send <SEQ=SND.NXT><CTL=RST> for s (an abort). */
void viv__tcp_send_rst(viv_tcp_t *s);
/* Send a repr from host th, (src, dst) the IP addresses; its payload (r->payload_len bytes)
 * is read from ring at offset off. s, if not NULL, is the connection it belongs to (counted;
 * rexmit: a retransmission, traced as one). Returns 0 or a VIV_E*. */
int viv__tcp_xmit(viv__tcp_host *th, viv_tcp_t *s, const struct viv__tcp_repr *r, viv_ip4_t src,
                  viv_ip4_t dst, const viv__tcp_ring *ring, uint32_t off, int rexmit);
/* The window to announce now (and move rcv_adv to it). */
uint16_t viv__tcp_rcv_window(viv_tcp_t *s);
/* The receive ring's size: rcvbuf_bytes and 2^shift - 1 bytes more, where a window said
 * rounded up to the shift's units may reach (viv__tcp_rcv_window). Before the ring exists,
 * the size it will have (it is allocated at the first data, after the shift is agreed). */
uint32_t viv__tcp_rcv_ring_cap(const viv_tcp_t *s);
/* Whether a read's room is worth a window update of its own now (Linux's rule; tcp_out.c). */
int viv__tcp_rcv_update_due(const viv_tcp_t *s);
/* Buffers. */
int viv__tcp_ring_alloc(viv_sim_t *sim, viv__tcp_ring *r, uint32_t cap);
void viv__tcp_ring_free(viv_sim_t *sim, viv__tcp_ring *r);
/* Copy n bytes from data to the ring at offset off from head (off + n <= cap). */
void viv__tcp_ring_write(viv__tcp_ring *r, uint32_t off, const uint8_t *data, uint32_t n);
/* Copy n bytes at offset off from head into out. */
void viv__tcp_ring_read(const viv__tcp_ring *r, uint32_t off, uint8_t *out, uint32_t n);
/* Drop n bytes at the head. */
void viv__tcp_ring_pop(viv__tcp_ring *r, uint32_t n);
/* The receive buffer: take n <= rcv.len in-order bytes from its head into out, from the
 * ring and the frames held; take them without copying (read in place, or discarded); free
 * it (ring and frames). */
void viv__tcp_rcv_take(viv_tcp_t *s, uint8_t *out, uint32_t n);
void viv__tcp_rcv_skip(viv_tcp_t *s, uint32_t n);
void viv__tcp_rcv_free(viv_tcp_t *s);
/* The longest run of in-order bytes contiguous in memory that starts at offset off < rcv.len
 * from the receive buffer's head: its length (> 0), and in *out where it is (in a frame held
 * or in the ring). Nothing changes: the bytes stay where they are until taken. */
uint32_t viv__tcp_rcv_peek(const viv_tcp_t *s, uint32_t off, const uint8_t **out);
/* Put n bytes received for ring offset off (from the head: rcv.len for in-order data,
 * beyond it for out-of-order data; off + n <= rcv.cap) into the receive buffer: held in
 * frame f (NULL: none) where the bounds allow, else copied into the ring. Positions already
 * held keep their bytes. */
void viv__tcp_rcv_put_slow(viv_tcp_t *s, uint32_t off, const uint8_t *data, uint32_t n,
                           viv__frame *f);
static inline void viv__tcp_rcv_put(viv_tcp_t *s, uint32_t off, const uint8_t *data, uint32_t n,
                                    viv__frame *f)
{
    /* The common case inline: a frame to hold, after everything held (in-order data read
     * as it comes, or out-of-order data beyond the rest), within the bounds (rxf_room and
     * rxf_cap are 0 until the entries are allocated: the slow path does that). */
    uint32_t cnt = s->rxf_n, mask = s->rxf_cap - 1u;
    if (VIV__LIKELY(f && n >= VIV__TCP_RXF_MIN && cnt < s->rxf_cap)) {
        uint32_t mem = (uint32_t)viv__frame_truesize(f);
        uint32_t k = (s->rxf_head + cnt) & mask; /* the tail's slot */
        if (cnt) {
            const viv__tcp_rxf *last = &s->rxf[(k - 1u) & mask];
            if (last->pos - s->rcv_rd + last->len > off)
                goto slow;
        }
        if (VIV__LIKELY(mem <= s->rxf_room)) {
            viv__tcp_rxf *e = &s->rxf[k];
            e->f = viv__frame_ref(f);
            e->data = data;
            e->pos = s->rcv_rd + off;
            e->len = n;
            s->rxf_n = cnt + 1;
            s->rxf_room -= mem;
            return;
        }
    }
slow:
    viv__tcp_rcv_put_slow(s, off, data, n, f);
}

/* Give back the frames that hold bytes beyond the in-order ones (out of order: they will
 * not be read, the connection is ending or reading is shut down). */
void viv__tcp_rcv_drop_ooo(viv_tcp_t *s);
/* The most entries a connection's held frames may take (from its receive buffer and MSS; a
 * power of two). */
uint32_t viv__tcp_rxf_cap(const viv_tcp_t *s);

/* ---- tcp_timer.c ----------------------------------------------------------------------- */
int viv__tcp_timer_init(viv_tcp_t *s);
void viv__tcp_timer_fini(viv_tcp_t *s);
/* Start (or move) one timer to now + delay; VIV_TIME_NEVER delay stops it. Traced. */
void viv__tcp_timer_start(viv_tcp_t *s, viv_tcp_timer k, viv_time_t delay);
void viv__tcp_timer_stop(viv_tcp_t *s, viv_tcp_timer k);
void viv__tcp_timer_stop_all(viv_tcp_t *s);
static inline int viv__tcp_timer_on(const viv_tcp_t *s, viv_tcp_timer k)
{
    return s->at[k] != VIV_TIME_NEVER;
}

/* Whether viv__tcp_output would do nothing but send an owed ACK for s, a
 * connection that header prediction just took a segment for, judged by its steps in their
 * order: the idle restart returns at once (it runs only when SND.NXT = SND.MAX, and acts only
 * with nothing outstanding and data sent before); no recovery step runs (those of SACK
 * recovery and of go-back-N after a timeout, which may move SND.NXT); the send loop stops at
 * once (every byte queued is sent, and no FIN is queued); the persist check finds nothing
 * waiting and its timer off. Then the ACK, if owed, is all there is to send. This is the
 * common case of every segment a receiver takes (it has nothing to send) and of a sender's
 * ACK that frees room its program has not filled yet: what header prediction saves by not
 * calling output (tcp_in.c). It sits here, beside the timers it reads; any change to viv__tcp_output's steps must be mirrored here
 * (test_tcp_fast runs both ways and compares). */
static inline int viv__tcp_output_idle(const viv_tcp_t *s)
{
    if (s->snd_nxt == s->snd_max && s->snd_max == s->snd_una && s->last_data_tx != VIV_TIME_NEVER)
        return 0; /* the idle restart may act */
    if (s->in_recovery && s->sack_ok)
        return 0;
    if (s->fin_queued || s->snd_nxt - viv__tcp_dseq(s) != s->snd.len)
        return 0;
    return !viv__tcp_timer_on(s, VIV_TCP_TIMER_PERSIST);
}
/* Retransmission timer after a send or an ACK: on while anything is unacknowledged. */
void viv__tcp_rexmit_arm(viv_tcp_t *s, int restart);
/* A round-trip sample (RFC 6298 2.2-2.3). */
void viv__tcp_rtt_sample(viv_tcp_t *s, viv_time_t r);
/* The RTO with the current backoff. */
viv_time_t viv__tcp_rto(const viv_tcp_t *s);
/* Keepalive: (re)start the idle wait if keepalive is on and the state allows it. */
void viv__tcp_keepalive_reset(viv_tcp_t *s);
/* Persist timer: on when data waits for the window (zero, or too small for the sender's
 * silly window avoidance) with nothing in flight. */
void viv__tcp_persist_check(viv_tcp_t *s);
/* The user timeout was changed (viv_tcp_set_opts): the armed retransmission and persist
 * timers are cut to it, or given back their own deadlines. */
void viv__tcp_uto_changed(viv_tcp_t *s);

/* ---- tracing --------------------------------------------------------------------------- */
/* A record about s (node, socket, 4-tuple filled). */
void viv__tcp_trace_init(viv_trace_record *r, int kind, const viv_tcp_t *s);
/* A segment record; s may be NULL (a host with no socket), then the addresses are given. */
void viv__tcp_trace_seg(viv__tcp_host *th, const viv_tcp_t *s, int kind,
                        const struct viv__tcp_repr *seg, viv_ip4_t src, viv_ip4_t dst);

#endif
