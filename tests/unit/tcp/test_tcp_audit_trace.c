/* An audit of how TCP is shown: the trace records checked against the frames they describe
 * (TX and RX, every header field), against what viv_tcp_info() says from inside the callback
 * (state, cwnd, ssthresh, in flight, timers) and in time order, the timers' starts against
 * their expiries; captures on a host's port decoded by tshark (every option, the nanosecond
 * times of the trace); ladders read back arrow by arrow against the trace (long labels, a
 * hub's copies); netstat's timer column as Linux's netstat -o. Two hosts on one cable
 * (tcp_test.h), or three on a hub; options as each test says. */
#include "tcp_peer.h"

#define MAXF 4096

/* A TCP frame a host handed to (or received from) the link, parsed. */
typedef struct fseg {
    viv_time_t t;
    int from;
    struct viv__tcp_repr h;
} fseg;

/* A segment record (SEG_TX or SEG_RX), its fields only. */
typedef struct rseg {
    viv_time_t t;
    int from;
    uint8_t flags;
    uint32_t seq, ack, len, win;
    viv_sockaddr_t local, remote;
} rseg;

typedef struct audit {
    tt_world w;
    fseg ftx[MAXF], frx[MAXF], pa[MAXF];
    size_t nftx, nfrx, npa;
    rseg stx[MAXF], srx[MAXF];
    size_t nstx, nsrx;
    viv_time_t last;
    /* Timers: the expiry each start announced, per socket slot and kind. */
    const void *tsock[16];
    viv_time_t due[16][VIV_TCP_TIMER_COUNT];
    size_t ntsock;
    size_t nexpire_checked, ncc, ncc_checked, nstate_checked, ntimer_checked;
    int cc_ev[64];
    const void *cc_sock[64];
    viv_time_t cc_t[64];
    uint32_t cc_cwnd[64];
    size_t ncc_ev;
    int last_state[16];
} audit;

/* The socket is one the program holds (and so may read from the callback). */
static viv_tcp_t *held(audit *a, const void *s)
{
    for (size_t i = 0; i < a->w.nsocks; i++)
        if (a->w.socks[i].s == s && !a->w.socks[i].closed_by_cb)
            return a->w.socks[i].s;
    return NULL;
}

static size_t tslot(audit *a, const void *s)
{
    for (size_t i = 0; i < a->ntsock; i++)
        if (a->tsock[i] == s)
            return i;
    assert_true(a->ntsock < 16);
    a->tsock[a->ntsock] = s;
    for (int k = 0; k < VIV_TCP_TIMER_COUNT; k++)
        a->due[a->ntsock][k] = VIV_TIME_NEVER;
    a->last_state[a->ntsock] = -1;
    return a->ntsock++;
}

static void parse_frame(audit *a, fseg *arr, size_t *n, const viv_trace_record *r)
{
    if (r->frame_len < 14 + 20 || r->frame[12] != 0x08 || r->frame[13] != 0x00)
        return;
    struct viv__ipv4_repr ip;
    if (viv__ipv4_parse(r->frame + 14, r->frame_len - 14, &ip) < 0 ||
        ip.proto != VIV__IP_PROTO_TCP)
        return;
    assert_true(*n < MAXF);
    fseg *f = &arr[(*n)++];
    f->t = r->time;
    f->from = tt_from(&a->w, r->node);
    assert_int_equal(
        viv__tcp_parse(r->frame + 14 + ip.hdr_len, ip.payload_len, ip.src, ip.dst, &f->h), 0);
}

static void keep_seg(audit *a, rseg *arr, size_t *n, const viv_trace_record *r)
{
    assert_true(*n < MAXF);
    rseg *g = &arr[(*n)++];
    g->t = r->time;
    g->from = tt_from(&a->w, r->node);
    g->flags = r->tcp_flags;
    g->seq = r->seq;
    g->ack = r->ack;
    g->len = r->seg_len;
    g->win = r->window;
    g->local = r->local;
    g->remote = r->remote;
}

static void audit_trace(const viv_trace_record *r, void *user)
{
    audit *a = user;
    tt_trace(r, &a->w);
    /* In simulation-time order, at the time of the simulation. */
    assert_true(r->time >= a->last);
    assert_int_equal(r->time, viv_sim_now(a->w.sim));
    a->last = r->time;
    viv_tcp_t *s = r->socket && r->kind >= VIV_TRACE_TCP_STATE ? held(a, r->socket) : NULL;
    switch (r->kind) {
    case VIV_TRACE_FRAME_TX:
        parse_frame(a, a->ftx, &a->nftx, r);
        if (tt_from(&a->w, r->node) == 0)
            parse_frame(a, a->pa, &a->npa, r);
        break;
    case VIV_TRACE_FRAME_RX:
        if (tt_from(&a->w, r->node) < 2)
            parse_frame(a, a->frx, &a->nfrx, r);
        if (tt_from(&a->w, r->node) == 0)
            parse_frame(a, a->pa, &a->npa, r);
        break;
    case VIV_TRACE_TCP_SEG_TX:
        keep_seg(a, a->stx, &a->nstx, r);
        break;
    case VIV_TRACE_TCP_SEG_RX:
        keep_seg(a, a->srx, &a->nsrx, r);
        break;
    case VIV_TRACE_TCP_STATE: {
        size_t k = tslot(a, r->socket);
        /* Each change leaves the state the last one entered. */
        if (a->last_state[k] >= 0)
            assert_int_equal(r->old_state, a->last_state[k]);
        a->last_state[k] = r->state;
        if (s) {
            assert_int_equal(viv_tcp_state_get(s), r->state);
            a->nstate_checked++;
        }
        break;
    }
    case VIV_TRACE_TCP_CC:
        a->ncc++;
        if (a->ncc_ev < 64) {
            a->cc_sock[a->ncc_ev] = r->socket;
            a->cc_t[a->ncc_ev] = r->time;
            a->cc_cwnd[a->ncc_ev] = r->cwnd;
            a->cc_ev[a->ncc_ev++] = r->cc_event;
        }
        if (s) {
            viv_tcp_info i;
            assert_int_equal(viv_tcp_info_get(&i, s), 0);
            assert_int_equal(r->cwnd, i.cwnd);
            assert_int_equal(r->ssthresh, i.ssthresh);
            assert_int_equal(r->in_flight, i.in_flight);
            a->ncc_checked++;
        }
        break;
    case VIV_TRACE_TCP_TIMER_START: {
        size_t k = tslot(a, r->socket);
        assert_true(r->timer >= 0 && r->timer < VIV_TCP_TIMER_COUNT);
        a->due[k][r->timer] = r->time + r->timer_ns;
        if (s) {
            viv_tcp_info i;
            assert_int_equal(viv_tcp_info_get(&i, s), 0);
            assert_int_equal(i.timer_ns[r->timer], r->timer_ns);
            a->ntimer_checked++;
        }
        break;
    }
    case VIV_TRACE_TCP_TIMER_EXPIRE: {
        size_t k = tslot(a, r->socket);
        /* It expires when its last start said. */
        assert_int_equal(r->time, a->due[k][r->timer]);
        a->due[k][r->timer] = VIV_TIME_NEVER;
        a->nexpire_checked++;
        break;
    }
    default:
        break;
    }
}

static void audit_build(audit *a, viv_sim_t *sim, int options)
{
    memset(a, 0, sizeof(*a));
    tt_world_build(&a->w, sim);
    if (options) {
        viv_tcp_tunables t;
        assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
        t.sack = t.timestamps = t.window_scaling = 1;
        assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    }
    a->last = viv_sim_now(sim);
    assert_int_equal(viv_sim_trace(sim, audit_trace, a), 0);
}

/* Close every socket the program holds: their handles are no longer read from the trace. */
static void close_all(audit *a)
{
    for (size_t i = 0; i < a->w.nsocks; i++) {
        tt_sock *k = &a->w.socks[i];
        if (k->s && !k->closed_by_cb) {
            k->closed_by_cb = 1;
            viv_tcp_close(k->s);
        }
    }
}

/* Every TCP frame a host handed to the link has its SEG_TX record (same order, same
 * fields), and every frame a host received its SEG_RX record. */
static void check_frames_vs_records(const audit *a)
{
    assert_int_equal(a->nstx, a->nftx);
    for (size_t i = 0; i < a->nftx; i++) {
        const fseg *f = &a->ftx[i];
        const rseg *g = &a->stx[i];
        assert_int_equal(g->from, f->from);
        assert_true(g->t <= f->t);
        assert_int_equal(g->flags, f->h.flags);
        assert_int_equal(g->seq, f->h.seq);
        assert_int_equal(g->ack, f->h.ack);
        assert_int_equal(g->len, f->h.payload_len);
        assert_int_equal(g->win, f->h.window);
        assert_int_equal(g->local.port, f->h.src_port);
        assert_int_equal(g->remote.port, f->h.dst_port);
    }
    assert_int_equal(a->nsrx, a->nfrx);
    for (size_t i = 0; i < a->nfrx; i++) {
        const fseg *f = &a->frx[i];
        const rseg *g = &a->srx[i];
        assert_int_equal(g->from, f->from);
        assert_int_equal(g->t, f->t);
        assert_int_equal(g->flags, f->h.flags);
        assert_int_equal(g->seq, f->h.seq);
        assert_int_equal(g->ack, f->h.ack);
        assert_int_equal(g->len, f->h.payload_len);
        assert_int_equal(g->win, f->h.window);
        assert_int_equal(g->local.port, f->h.dst_port);
        assert_int_equal(g->remote.port, f->h.src_port);
    }
}

/* tshark's reading of the capture of host a's port: no malformed packet, every checksum
 * good, and each TCP frame (its time to the nanosecond, header and every option) as the
 * trace saw it handed to the link or arriving. Skipped without tshark. */
static void check_capture(const audit *a, const char *path, int options)
{
    const char *out = viv_test_tshark(path, "-Y _ws.malformed -T fields -e frame.number");
    if (!out)
        return;
    assert_string_equal(out, "");
    out = viv_test_tshark(
        path, "-o tcp.relative_sequence_numbers:FALSE -o ip.check_checksum:TRUE "
              "-o tcp.check_checksum:TRUE --disable-protocol http -Y tcp -T fields "
              "-E separator=, -E aggregator=+ -e frame.time_epoch -e tcp.seq -e tcp.ack "
              "-e tcp.flags -e tcp.window_size_value -e tcp.len -e tcp.options.mss_val "
              "-e tcp.options.wscale.shift -e tcp.options.sack_perm -e tcp.options.sack_le "
              "-e tcp.options.sack_re -e tcp.options.timestamp.tsval "
              "-e tcp.options.timestamp.tsecr -e tcp.checksum.status -e ip.checksum.status");
    size_t cap = a->npa * 200 + 1;
    char *want = malloc(cap);
    assert_non_null(want);
    size_t n = 0;
    int nsack = 0, nws = 0, nts = 0;
    for (size_t i = 0; i < a->npa; i++) {
        const struct viv__tcp_repr *h = &a->pa[i].h;
        viv_time_t t = a->pa[i].t;
        n += (size_t)snprintf(want + n, cap - n, "%llu.%09llu,%u,%u,0x%04x,%u,%zu,",
                              (unsigned long long)(t / 1000000000u),
                              (unsigned long long)(t % 1000000000u), h->seq, h->ack, h->flags,
                              h->window, h->payload_len);
        if (h->mss)
            n += (size_t)snprintf(want + n, cap - n, "%u", h->mss);
        n += (size_t)snprintf(want + n, cap - n, ",");
        if (h->wscale_present) {
            n += (size_t)snprintf(want + n, cap - n, "%u", h->wscale);
            nws++;
        }
        n += (size_t)snprintf(want + n, cap - n, ",%s,", h->sack_permitted ? "0402" : "");
        for (int k = 0; k < h->sack_count; k++)
            n += (size_t)snprintf(want + n, cap - n, "%s%u", k ? "+" : "", h->sack[k].left);
        n += (size_t)snprintf(want + n, cap - n, ",");
        for (int k = 0; k < h->sack_count; k++)
            n += (size_t)snprintf(want + n, cap - n, "%s%u", k ? "+" : "", h->sack[k].right);
        nsack += h->sack_count > 0;
        if (h->ts_present) {
            n += (size_t)snprintf(want + n, cap - n, ",%u,%u", h->tsval, h->tsecr);
            nts++;
        } else {
            n += (size_t)snprintf(want + n, cap - n, ",,");
        }
        n += (size_t)snprintf(want + n, cap - n, ",1,1\n");
        assert_true(n < cap);
    }
    assert_string_equal(out, want);
    free(want);
    /* The run had each option to decode (or none at all without them). */
    if (options) {
        assert_true(nsack > 0);
        assert_int_equal(nws, 2);
        assert_int_equal(nts, (int)a->npa);
    } else {
        assert_int_equal(nsack + nws + nts, 0);
    }
}

/* A transfer both ways over a lossy cable, with and without options, then a close: every
 * record agrees with the frame, with viv_tcp_info() read from the callback, and with the
 * timer expiries. */
static void lossy_run(void **state, int options, double loss)
{
    audit *a = calloc(1, sizeof *a);
    assert_non_null(a);
    viv_sim_t *sim = VIV_TEST_SIM(state);
    audit_build(a, sim, options);
    char path[512];
    snprintf(path, sizeof path, "%s/audit_trace_%d.pcap", VIV_TEST_TMPDIR, options);
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_port(cap, viv_host_port(a->w.a, 0)), 0);
    assert_int_equal(viv_link_set_loss(a->w.link, VIV_LINK_BOTH, loss), 0);
    tt_sock *l = tt_listen(&a->w, a->w.b, 8080, NULL, 0);
    l->accept = 1;
    tt_sock *cli = tt_connect(&a->w, a->w.a, TT_B, 8080, NULL);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(500)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_ESTABLISHED);
    tt_sock *child = l->children[0];
    static uint8_t up[200000], down[60000];
    tt_pattern(up, sizeof up, 3);
    tt_pattern(down, sizeof down, 4);
    /* A lone short segment first, which the child acknowledges late: a timer expires (the
     * delayed ACK's, or the retransmission timer's if the segment or its ACK is lost),
     * wherever the losses fall. */
    cli->tx = up;
    cli->ntx = 100;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_true(a->nexpire_checked > 0);
    cli->ntx = sizeof up;
    cli->shut_after_tx = 1;
    child->tx = down;
    child->ntx = sizeof down;
    child->shut_after_tx = 1;
    tt_pump(cli);
    tt_pump(child);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(120)), 0);
    assert_int_equal(child->nrx, sizeof up);
    assert_int_equal(cli->nrx, sizeof down);
    check_frames_vs_records(a);
    /* The run lost segments: recovery began and ended, each record checked. */
    assert_true(a->ncc_ev > 0);
    int h[8] = {0};
    for (size_t i = 0; i < a->ncc_ev; i++)
        h[a->cc_ev[i] & 7]++;
    assert_true(h[VIV_TRACE_CC_RECOVERY_ENTER] > 0);
    assert_true(h[VIV_TRACE_CC_RECOVERY_EXIT] > 0);
    assert_int_equal(a->ncc_checked, a->ncc);
    assert_true(a->ncc_checked > 10);
    close_all(a);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_pcap_close(cap);
    check_capture(a, path, options);
    tt_world_free(&a->w);
    free(a);
}

static void test_tcp_audit_trace__records_match_frames_info_and_expiries(void **state)
{
    lossy_run(state, 0, 0.02);
}

static void test_tcp_audit_trace__records_match_with_options(void **state)
{
    lossy_run(state, 1, 0.02);
}

/* The line of netstat -ano (rows of viv_host_netstat_text) for the socket on local port. */
static void netstat_line(viv_host_t *h, uint16_t port, char *out, size_t cap)
{
    char text[4096];
    assert_true(viv_host_netstat_text(h, VIV_NETSTAT_TIMERS, text, sizeof text) > 0);
    char key[32];
    snprintf(key, sizeof key, ":%u ", port);
    const char *p = strstr(text, key);
    assert_non_null(p);
    while (p > text && p[-1] != '\n')
        p--;
    const char *e = strchr(p, '\n');
    assert_non_null(e);
    snprintf(out, cap, "%.*s", (int)(e - p), p);
}

static viv_sock_info row_at(viv_host_t *h, uint16_t port)
{
    viv_sock_info rows[8];
    int n = viv_host_netstat(h, rows, 8);
    for (int i = 0; i < n; i++)
        if (rows[i].local.port == port)
            return rows[i];
    fail();
    return rows[0];
}

/* netstat's timer column as Linux's netstat -o prints /proc/net/tcp: the zero-window probe
 * is "probe" (not "on"), and the unanswered probes of the persist and keepalive timers go in
 * the third field (icsk_probes_out), the retransmissions in the second. */
static void test_tcp_audit_trace__netstat_probe_and_keepalive_timers(void **state)
{
    tt_world w;
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world_build(&w, sim);
    viv_tcp_opts so = VIV_TCP_OPTS_INIT;
    so.rcvbuf_bytes = 2000;
    tt_sock *l = tt_listen(&w, w.b, 8080, &so, 0);
    l->accept = 1;
    l->child_no_drain = 1;
    viv_tcp_opts ko = VIV_TCP_OPTS_INIT;
    ko.keepalive = 1;
    ko.keepalive_idle_ns = VIV_S(1);
    ko.keepalive_interval_ns = VIV_S(1);
    tt_sock *cli = tt_connect(&w, w.a, TT_B, 8080, NULL);
    tt_sock *ka = tt_connect(&w, w.a, TT_B, 8080, &ko);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
    static uint8_t up[20000];
    assert_int_equal(viv_tcp_send(cli->s, up, sizeof up), (int)sizeof up);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(300)), 0);
    viv_sockaddr_t c1, c2;
    assert_int_equal(viv_tcp_local(&c1, cli->s), 0);
    assert_int_equal(viv_tcp_local(&c2, ka->s), 0);
    /* b's window is closed; its answers stop coming. */
    assert_int_equal(viv_link_set_up(w.link, VIV_LINK_BA, 0), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(4)), 0);
    viv_sock_info r1 = row_at(w.a, c1.port), r2 = row_at(w.a, c2.port);
    viv_tcp_info i1, i2;
    assert_int_equal(viv_tcp_info_get(&i1, cli->s), 0);
    assert_int_equal(viv_tcp_info_get(&i2, ka->s), 0);
    assert_int_equal(i1.snd_wnd, 0);
    assert_int_equal(r1.timer, VIV_TIMER_PROBE);
    assert_int_equal(r1.timer_ns, i1.timer_ns[VIV_TCP_TIMER_PERSIST]);
    assert_int_equal(r2.timer, VIV_TIMER_KEEPALIVE);
    assert_int_equal(r2.timer_ns, i2.timer_ns[VIV_TCP_TIMER_KEEPALIVE]);
    /* Probes went unanswered since the cut. */
    assert_int_equal(r1.retries, 4);
    assert_int_equal(r2.retries, 4);
    char want[256], got[256];
    netstat_line(w.a, c1.port, got, sizeof got);
    snprintf(want, sizeof want,
             "tcp        0  18000 10.0.0.1:%-14u 10.0.0.2:8080           ESTABLISHED "
             "probe (%llu.%02llu/0/%u)",
             c1.port, (unsigned long long)(r1.timer_ns / 1000000000u),
             (unsigned long long)(r1.timer_ns % 1000000000u / 10000000u), r1.retries);
    assert_string_equal(got, want);
    netstat_line(w.a, c2.port, got, sizeof got);
    snprintf(want, sizeof want,
             "tcp        0      0 10.0.0.1:%-14u 10.0.0.2:8080           ESTABLISHED "
             "keepalive (%llu.%02llu/0/%u)",
             c2.port, (unsigned long long)(r2.timer_ns / 1000000000u),
             (unsigned long long)(r2.timer_ns % 1000000000u / 10000000u), r2.retries);
    assert_string_equal(got, want);
    viv_tcp_abort(cli->s);
    viv_tcp_abort(ka->s);
    for (size_t i = 0; i < l->nchildren; i++)
        viv_tcp_abort(l->children[i]->s);
    viv_tcp_close(l->s);
    tt_world_free(&w);
}

/* Every arrow of a ladder, read back from its text: time, direction, flags, seq, ack and
 * length equal the segment records of the trace, in order; the label ends inside the lane;
 * with no loss every arrow arrives. */
static void check_ladder(const tt_world *w, const char *text, int any_lost)
{
    size_t k = 0;
    for (const char *p = strchr(text, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
        const char *bar = strchr(p, '|');
        assert_non_null(bar);
        const char *nl = strchr(p, '\n');
        if (bar[1] != '-' && bar[1] != '<' && bar[1] != 'X')
            continue; /* a state */
        unsigned long sec, usec;
        assert_int_equal(sscanf(p, "%lu.%lu", &sec, &usec), 2);
        assert_true(k < w->nseg);
        const tt_seg *g = &w->seg[k++];
        assert_int_equal((viv_time_t)sec * 1000000000u + (viv_time_t)usec * 1000u,
                         g->t / 1000u * 1000u);
        int right_to_left = bar[1] != '-';
        assert_int_equal(right_to_left, g->from == 1);
        if (!any_lost)
            assert_true(right_to_left ? bar[1] == '<' : strchr(bar + 1, '|')[-1] == '>');
        char fl[32];
        unsigned seq = 0, ack = 0, len = 0;
        const char *lab = bar + 5;
        if (g->flags & VIV_TCP_ACK)
            assert_int_equal(sscanf(lab, "%31s seq=%u ack=%u len=%u ", fl, &seq, &ack, &len), 4);
        else
            assert_int_equal(sscanf(lab, "%31s seq=%u len=%u ", fl, &seq, &len), 3);
        const char *end = strstr(lab, "len=");
        assert_non_null(end);
        end = strchr(end, ' ');
        assert_true(end && end < nl);
        assert_int_equal(end[1], '-');
        assert_int_equal(seq, g->seq);
        if (g->flags & VIV_TCP_ACK)
            assert_int_equal(ack, g->ack);
        assert_int_equal(len, g->len);
    }
    assert_int_equal(k, w->nseg);
}

/* Six-digit relative numbers and a FIN riding on data: every label is whole. It was cut to
 * the lane's 34 characters, so that "ack=250001 len=1448" read "ack=250". */
static void test_tcp_audit_trace__ladder_long_labels_whole(void **state)
{
    tt_world w;
    tt_world_build(&w, VIV_TEST_SIM(state));
    viv_ladder_t *lad;
    assert_int_equal(viv_ladder_new(&lad, w.sim, viv_host_node(w.a), viv_host_node(w.b), 80), 0);
    tt_sock *cli, *child;
    tt_establish(&w, NULL, NULL, &cli, &child, NULL);
    static uint8_t up[250000], down[250000];
    tt_pattern(up, sizeof up, 5);
    tt_pattern(down, sizeof down, 6);
    child->tx = down;
    child->ntx = sizeof down;
    tt_pump(child);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_MS(500)), 0);
    assert_int_equal(cli->nrx, sizeof down);
    cli->tx = up;
    cli->ntx = sizeof up;
    cli->shut_after_tx = 1;
    tt_pump(cli);
    assert_int_equal(viv_sim_run_for(w.sim, VIV_S(5)), 0);
    assert_int_equal(child->nrx, sizeof up);
    assert_int_equal(child->eof, 1);
    size_t cap = 1u << 22;
    char *text = malloc(cap);
    assert_non_null(text);
    int n = viv_ladder_text(lad, text, cap);
    assert_true(n > 0 && (size_t)n < cap);
    /* The FIN rode on the last data segment, with a label longer than the default lane. */
    assert_non_null(strstr(text, "---- FIN,PSH,ACK seq=249"));
    check_ladder(&w, text, 0);
    free(text);
    viv_tcp_close(cli->s);
    viv_tcp_close(child->s);
    viv_tcp_close(w.socks[0].s);
    tt_world_free(&w);
}

/* Two hosts and a third on a hub: the third drops every copy of their segments as not its own,
 * at the instant the copy for b arrives (and, its link made first, traced before). Those drops
 * are not losses: every arrow of the ladder arrives (they were drawn lost). A capture on the
 * hub's port of host a reads without a malformed packet, each frame at its trace time. */
static void test_tcp_audit_trace__hub_copies_not_drawn_lost(void **state)
{
    audit *a = calloc(1, sizeof *a);
    assert_non_null(a);
    viv_sim_t *sim = VIV_TEST_SIM(state);
    tt_world *w = &a->w;
    w->sim = sim;
    w->a = tt_host(sim, "a", TT_A);
    w->b = tt_host(sim, "b", TT_B);
    viv_host_t *c = tt_host(sim, "c", VIV_IP4(10, 0, 0, 3));
    viv_hub_t *hub;
    assert_int_equal(viv_hub_new(&hub, sim, 3, NULL), 0);
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.delay_ns = TT_DELAY;
    viv_link_t *lk;
    assert_int_equal(viv_link_new(&lk, sim, viv_host_port(w->a, 0), viv_hub_port(hub, 0), &p), 0);
    assert_int_equal(viv_link_new(&lk, sim, viv_host_port(c, 0), viv_hub_port(hub, 1), &p), 0);
    assert_int_equal(viv_link_new(&lk, sim, viv_host_port(w->b, 0), viv_hub_port(hub, 2), &p), 0);
    tt_arp_warm(sim, w->a, TT_B);
    viv_tcp_tunables t;
    assert_int_equal(viv_sim_tcp_tunables_get(&t, sim), 0);
    t.sack = t.timestamps = t.window_scaling = 0;
    assert_int_equal(viv_sim_set_tcp_tunables(sim, &t), 0);
    a->last = viv_sim_now(sim);
    assert_int_equal(viv_sim_trace(sim, audit_trace, a), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/audit_trace_hub.pcap", VIV_TEST_TMPDIR);
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_port(cap, viv_hub_port(hub, 0)), 0);
    viv_ladder_t *lad;
    assert_int_equal(viv_ladder_new(&lad, sim, viv_host_node(w->a), viv_host_node(w->b), 0), 0);
    tt_sock *l = tt_listen(w, w->b, 8080, NULL, 0);
    l->accept = 1;
    tt_sock *cli = tt_connect(w, w->a, TT_B, 8080, NULL);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
    assert_int_equal(viv_tcp_send(cli->s, "hello", 5), 5);
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(100)), 0);
    assert_int_equal(l->children[0]->nrx, 5);
    char text[8192];
    int n = viv_ladder_text(lad, text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    check_ladder(w, text, 0);
    assert_null(strchr(text, 'X'));
    viv_ladder_free(lad);
    close_all(a);
    assert_int_equal(viv_sim_run(sim), 0);
    viv_pcap_close(cap);
    const char *out = viv_test_tshark(path, "-Y _ws.malformed -T fields -e frame.number");
    if (out)
        assert_string_equal(out, "");
    tt_world_free(w);
    free(a);
}

/* A lost SYN leaves an initial window of one segment (RFC 5681 3.1): that change of cwnd has
 * its record (a timeout's, at the establishment), as every change of cwnd does; it had none,
 * so that a program following cwnd by the records kept the initial window. */
static void test_tcp_audit_trace__syn_loss_window_traced(void **state)
{
    audit *a = calloc(1, sizeof *a);
    assert_non_null(a);
    viv_sim_t *sim = VIV_TEST_SIM(state);
    audit_build(a, sim, 0);
    tt_sock *l = tt_listen(&a->w, a->w.b, 8080, NULL, 0);
    l->accept = 1;
    assert_int_equal(viv_link_set_up(a->w.link, VIV_LINK_AB, 0), 0);
    tt_sock *cli = tt_connect(&a->w, a->w.a, TT_B, 8080, NULL);
    viv_tcp_info i;
    assert_int_equal(viv_sim_run_for(sim, VIV_MS(500)), 0);
    assert_int_equal(viv_link_set_up(a->w.link, VIV_LINK_AB, 1), 0);
    assert_int_equal(viv_sim_run_for(sim, VIV_S(2)), 0);
    assert_int_equal(viv_tcp_state_get(cli->s), VIV_TCP_ESTABLISHED);
    assert_int_equal(viv_tcp_info_get(&i, cli->s), 0);
    assert_int_equal(i.cwnd, 1460);
    size_t n = 0;
    for (size_t k = 0; k < a->ncc_ev; k++) {
        if (a->cc_sock[k] != cli->s)
            continue;
        n++;
        assert_int_equal(a->cc_ev[k], VIV_TRACE_CC_TIMEOUT);
        assert_int_equal(a->cc_cwnd[k], 1460);
        assert_int_equal(a->cc_t[k], tt_state_time(&a->w, cli->s, VIV_TCP_ESTABLISHED));
    }
    assert_int_equal(n, 1);
    assert_int_equal(a->ncc_checked, a->ncc);
    close_all(a);
    assert_int_equal(viv_sim_run(sim), 0);
    tt_world_free(&a->w);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST(test_tcp_audit_trace__syn_loss_window_traced),
        TT_TEST(test_tcp_audit_trace__hub_copies_not_drawn_lost),
        TT_TEST(test_tcp_audit_trace__ladder_long_labels_whole),
        TT_TEST(test_tcp_audit_trace__netstat_probe_and_keepalive_timers),
        TT_TEST(test_tcp_audit_trace__records_match_frames_info_and_expiries),
        TT_TEST(test_tcp_audit_trace__records_match_with_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
