/* dns_query: a resolver and a name server speaking real DNS (RFC 1035) over UDP port 53,
 * across a router and a lossy link. UDP does not retransmit: the application does.
 *
 *     client 10.0.1.2 ---1 ms--- router ---5 ms, 20% loss--- ns 10.0.2.53
 *
 * The client resolves a few names one after the other. For each it sends a query and waits;
 * if no answer comes within the timeout it sends the query again, doubling the timeout each
 * time (1 s, 2 s, 4 s), and gives up after the third attempt. Every attempt and every answer
 * is printed with its simulated time. Besides the random loss, the first query to the server
 * is dropped on purpose (viv_link_drop_nth) so that a retry always happens, and for the last
 * name the server's link is cut, so that the client visibly gives up.
 *
 * The messages are real DNS: a 12-byte header (id; flags QR, opcode, AA, TC, RD, RA, rcode;
 * four counts), a question (the name as length-prefixed labels, QTYPE A, QCLASS IN), and in
 * the response an A record whose owner name is a compression pointer to the question's name
 * (0xc00c: offset 12, right after the header), with a TTL and RDLENGTH 4. Unknown names get
 * rcode 3 (NXDOMAIN). The client's interface is captured to a pcap file that Wireshark and
 * tshark decode as DNS.
 *
 * Usage: dns_query [capture.pcap]   (default: dns_query.pcap) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "dns_query: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ < 0)                                                                       \
            die(#call, rc_);                                                               \
    } while (0)

/* ---- the DNS message format (RFC 1035 section 4) ----------------------------------------- */

enum {
    DNS_PORT = 53,
    DNS_HDR_LEN = 12,
    DNS_MAX_MSG = 512, /* the classic limit of a DNS message over UDP */
    DNS_TYPE_A = 1,
    DNS_CLASS_IN = 1,
    DNS_RCODE_OK = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_MAX_NAME = 255
};

/* Header flag bits (the 16-bit word after the id). */
#define DNS_QR 0x8000u     /* 1 in responses */
#define DNS_OPCODE(f) (((f) >> 11) & 0xfu) /* 0: a standard query */
#define DNS_AA 0x0400u     /* authoritative answer */
#define DNS_TC 0x0200u     /* truncated */
#define DNS_RD 0x0100u     /* recursion desired (set by the client, copied back) */
#define DNS_RA 0x0080u     /* recursion available (set by the server) */
#define DNS_RCODE(f) ((f) & 0xfu)

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* Write "www.example.com" as labels: 3 www 7 example 3 com 0. Returns the length, or -1 if
 * the name is not a valid host name for this purpose (empty labels, a label over 63
 * bytes, or more than 255 bytes in all). */
static int name_encode(uint8_t *out, size_t cap, const char *name)
{
    size_t n = 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || len > 63 || n + 1 + len + 1 > cap || n + 1 + len + 1 > DNS_MAX_NAME)
            return -1;
        out[n++] = (uint8_t)len;
        memcpy(out + n, p, len);
        n += len;
        p += len;
        if (*p == '.')
            p++;
    }
    if (n + 1 > cap)
        return -1;
    out[n++] = 0; /* the root label ends every name */
    return (int)n;
}

/* Read a name at msg[*off] into text form, following compression pointers (two bytes whose
 * top bits are 11: the rest is an offset into the message). *off moves past the name as it
 * appears at its place (a pointer ends it). Returns 0, or -1 for a malformed name. */
static int name_decode(const uint8_t *msg, size_t len, size_t *off, char *out, size_t cap)
{
    size_t pos = *off, o = 0;
    int jumped = 0, hops = 0;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) { /* a pointer */
            if (pos + 1 >= len || ++hops > 16)
                return -1; /* truncated, or a loop */
            if (!jumped)
                *off = pos + 2;
            jumped = 1;
            pos = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
            continue;
        }
        if (l & 0xc0)
            return -1; /* the label types 01 and 10 are not used */
        if (l == 0) {
            if (!jumped)
                *off = pos + 1;
            break;
        }
        if (pos + 1 + l > len || o + l + 2 > cap)
            return -1;
        if (o)
            out[o++] = '.';
        memcpy(out + o, msg + pos + 1, l);
        o += l;
        pos += 1 + (size_t)l;
    }
    out[o] = 0;
    return 0;
}

/* A query: header with one question, RD set. Returns the message length, or -1. */
static int dns_build_query(uint8_t *msg, size_t cap, uint16_t id, const char *name)
{
    if (cap < DNS_HDR_LEN + 4)
        return -1;
    memset(msg, 0, DNS_HDR_LEN);
    put16(msg, id);
    put16(msg + 2, DNS_RD); /* QR 0 (a query), opcode 0 (standard), RD 1 */
    put16(msg + 4, 1);      /* QDCOUNT */
    int n = name_encode(msg + DNS_HDR_LEN, cap - DNS_HDR_LEN - 4, name);
    if (n < 0)
        return -1;
    uint8_t *q = msg + DNS_HDR_LEN + n;
    put16(q, DNS_TYPE_A);
    put16(q + 2, DNS_CLASS_IN);
    return DNS_HDR_LEN + n + 4;
}

/* ---- the name server ------------------------------------------------------------------- */

typedef struct zone_entry {
    const char *name;
    viv_ip4_t addr;
} zone_entry;

static const zone_entry zone[] = {
    {"www.example.com", VIV_IP4(93, 184, 216, 34)},
    {"mail.example.com", VIV_IP4(93, 184, 216, 25)},
    {"ftp.example.com", VIV_IP4(93, 184, 216, 21)},
    {"printer.lan.example.com", VIV_IP4(192, 168, 7, 9)},
};

#define ZONE_TTL 300u /* seconds: how long a resolver may cache the answer */

/* Answer one query in place: the response repeats the header and the question, then adds
 * an A record. Returns the response length, or -1 to stay silent (not a query at all). */
static int ns_answer(uint8_t *msg, size_t len, size_t cap)
{
    if (len < DNS_HDR_LEN)
        return -1;
    unsigned flags = get16(msg + 2);
    if (flags & DNS_QR)
        return -1; /* a response: never answer one */
    unsigned rcode = DNS_RCODE_OK;
    char name[DNS_MAX_NAME + 1];
    size_t off = DNS_HDR_LEN;
    const zone_entry *hit = NULL;
    if (DNS_OPCODE(flags) != 0 || get16(msg + 4) != 1 ||
        name_decode(msg, len, &off, name, sizeof name) < 0 || off + 4 > len ||
        get16(msg + off) != DNS_TYPE_A || get16(msg + off + 2) != DNS_CLASS_IN) {
        rcode = DNS_RCODE_FORMERR; /* only one standard A/IN question is understood */
        off = DNS_HDR_LEN;
        put16(msg + 4, 0);
    } else {
        off += 4; /* the end of the question */
        for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++)
            if (strcmp(zone[i].name, name) == 0)
                hit = &zone[i];
        if (!hit)
            rcode = DNS_RCODE_NXDOMAIN;
    }
    /* The header: QR 1, the opcode and RD copied, RA 1 (this server resolves), rcode. */
    put16(msg + 2, DNS_QR | (flags & (0xfu << 11)) | (flags & DNS_RD) | DNS_RA | rcode);
    put16(msg + 6, hit ? 1 : 0); /* ANCOUNT */
    put16(msg + 8, 0);           /* NSCOUNT */
    put16(msg + 10, 0);          /* ARCOUNT */
    if (!hit)
        return (int)off;
    if (off + 16 > cap)
        return -1;
    uint8_t *a = msg + off;
    put16(a, 0xc000 | DNS_HDR_LEN); /* NAME: a pointer to the question's name at offset 12 */
    put16(a + 2, DNS_TYPE_A);
    put16(a + 4, DNS_CLASS_IN);
    put16(a + 6, ZONE_TTL >> 16); /* TTL, 32 bits */
    put16(a + 8, ZONE_TTL & 0xffff);
    put16(a + 10, 4); /* RDLENGTH */
    a[12] = (uint8_t)(hit->addr >> 24);
    a[13] = (uint8_t)(hit->addr >> 16);
    a[14] = (uint8_t)(hit->addr >> 8);
    a[15] = (uint8_t)hit->addr;
    return (int)off + 16;
}

static void ns_cb(viv_udp_t *s, uint32_t events, void *user)
{
    uint8_t msg[DNS_MAX_MSG];
    viv_sockaddr_t from;
    uint32_t flags;
    int n;
    (void)user;
    if (!(events & VIV_EV_READABLE))
        return;
    /* Drain the queue: one datagram is one query, whatever its size. */
    while ((n = viv_udp_recvfrom(s, msg, sizeof msg, &from, &flags)) >= 0) {
        if (flags & VIV_MSG_TRUNC)
            continue; /* longer than any query we answer */
        int r = ns_answer(msg, (size_t)n, sizeof msg);
        if (r > 0)
            viv_udp_sendto(s, msg, (size_t)r, &from);
    }
}

/* ---- the resolver ---------------------------------------------------------------------- */

enum { MAX_ATTEMPTS = 3 };
#define FIRST_TIMEOUT VIV_S(1)

typedef struct resolver {
    viv_sim_t *sim;
    viv_udp_t *sock;
    viv_sockaddr_t server;
    viv_rng_t rng; /* query ids: unpredictable to an off-path attacker, seeded here */
    const char *const *names;
    size_t nnames, next;
    /* The query in progress. */
    int busy;
    const char *name;
    uint16_t id;
    int attempt;
    viv_time_t timeout;
    viv_event_id timer;
    /* Totals. */
    unsigned answered, failed, attempts;
    void (*on_name)(struct resolver *r, size_t index); /* called before each name */
    viv_link_t *server_link;
} resolver;

static double secs(viv_time_t t) { return (double)t / 1e9; }

static void resolver_next(viv_sim_t *sim, void *user);

static void resolver_send(resolver *r)
{
    uint8_t msg[DNS_MAX_MSG];
    int n = dns_build_query(msg, sizeof msg, r->id, r->name);
    if (n < 0)
        die("dns_build_query", VIV_EINVAL);
    r->attempt++;
    r->attempts++;
    printf("%10.6f s  query   id 0x%04x  %s A  (attempt %d, timeout %.0f s)\n",
           secs(viv_sim_now(r->sim)), r->id, r->name, r->attempt, secs(r->timeout));
    TRY(viv_udp_sendto(r->sock, msg, (size_t)n, &r->server));
}

static void resolver_finish(resolver *r)
{
    r->busy = 0;
    /* The next name half a second later. */
    TRY(viv_sim_schedule_after(NULL, r->sim, VIV_MS(500), resolver_next, r));
}

static void resolver_timeout(viv_sim_t *sim, void *user)
{
    resolver *r = user;
    if (r->attempt >= MAX_ATTEMPTS) {
        printf("%10.6f s  give up id 0x%04x  %s: no answer after %d attempts\n",
               secs(viv_sim_now(sim)), r->id, r->name, r->attempt);
        r->failed++;
        resolver_finish(r);
        return;
    }
    r->timeout *= 2; /* exponential backoff */
    resolver_send(r);
    TRY(viv_sim_schedule_after(&r->timer, sim, r->timeout, resolver_timeout, r));
}

static void resolver_next(viv_sim_t *sim, void *user)
{
    resolver *r = user;
    if (r->next == r->nnames)
        return;
    if (r->on_name)
        r->on_name(r, r->next);
    r->name = r->names[r->next++];
    r->id = (uint16_t)viv_rng_u64(&r->rng);
    r->attempt = 0;
    r->timeout = FIRST_TIMEOUT;
    r->busy = 1;
    resolver_send(r);
    TRY(viv_sim_schedule_after(&r->timer, sim, r->timeout, resolver_timeout, r));
}

static const char *rcode_name(unsigned rc)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP", "REFUSED"};
    return rc < sizeof names / sizeof names[0] ? names[rc] : "?";
}

/* Check and print one response. */
static void resolver_response(resolver *r, const uint8_t *msg, size_t len)
{
    double now = secs(viv_sim_now(r->sim));
    if (len < DNS_HDR_LEN || !(get16(msg + 2) & DNS_QR)) {
        printf("%10.6f s  ignored: not a DNS response\n", now);
        return;
    }
    unsigned id = get16(msg), flags = get16(msg + 2);
    if (!r->busy || id != r->id) {
        /* An answer to an attempt already answered (the original and its retransmission
         * both got through), or to a query given up. */
        printf("%10.6f s  ignored id 0x%04x: no query waits for it\n", now, id);
        return;
    }
    char qname[DNS_MAX_NAME + 1], aname[DNS_MAX_NAME + 1];
    size_t off = DNS_HDR_LEN;
    if (get16(msg + 4) != 1 || name_decode(msg, len, &off, qname, sizeof qname) < 0 ||
        strcmp(qname, r->name) != 0 || off + 4 > len) {
        printf("%10.6f s  ignored id 0x%04x: the question does not match\n", now, id);
        return;
    }
    off += 4;
    viv_sim_cancel(r->sim, r->timer);
    unsigned rc = DNS_RCODE(flags);
    if (rc != DNS_RCODE_OK || get16(msg + 6) == 0) {
        printf("%10.6f s  answer  id 0x%04x  %s: %s\n", now, id, r->name, rcode_name(rc));
        r->answered++;
        resolver_finish(r);
        return;
    }
    /* The first answer record: name (here a pointer back to the question), type, class,
     * TTL, RDLENGTH, RDATA. */
    if (name_decode(msg, len, &off, aname, sizeof aname) < 0 || off + 10 > len) {
        printf("%10.6f s  malformed answer id 0x%04x\n", now, id);
        return;
    }
    unsigned type = get16(msg + off), klass = get16(msg + off + 2);
    unsigned long ttl = (unsigned long)get16(msg + off + 4) << 16 | get16(msg + off + 6);
    unsigned rdlen = get16(msg + off + 8);
    off += 10;
    if (type != DNS_TYPE_A || klass != DNS_CLASS_IN || rdlen != 4 || off + 4 > len) {
        printf("%10.6f s  unexpected record in answer id 0x%04x\n", now, id);
        return;
    }
    printf("%10.6f s  answer  id 0x%04x  %s A %u.%u.%u.%u  TTL %lu  (%s%s%s)\n", now, id, aname,
           msg[off], msg[off + 1], msg[off + 2], msg[off + 3], ttl, rcode_name(rc),
           (flags & DNS_RD) ? ", RD" : "", (flags & DNS_RA) ? ", RA" : "");
    r->answered++;
    resolver_finish(r);
}

static void resolver_cb(viv_udp_t *s, uint32_t events, void *user)
{
    resolver *r = user;
    uint8_t msg[DNS_MAX_MSG];
    viv_sockaddr_t from;
    int n;
    if (!(events & VIV_EV_READABLE))
        return;
    while ((n = viv_udp_recvfrom(s, msg, sizeof msg, &from, NULL)) >= 0) {
        if (from.ip != r->server.ip || from.port != r->server.port)
            continue; /* not from our server: ignore (spoofing defence) */
        resolver_response(r, msg, (size_t)n);
    }
}

/* ---- the world ------------------------------------------------------------------------- */

/* Before the last name, cut the server's cable both ways (and never restore it). */
static void maybe_cut(resolver *r, size_t index)
{
    if (index == r->nnames - 1) {
        printf("%10.6f s  -- the server's link is cut --\n", secs(viv_sim_now(r->sim)));
        TRY(viv_link_set_up(r->server_link, VIV_LINK_BOTH, 0));
    }
}

int main(int argc, char **argv)
{
    const char *pcap_path = argc > 1 ? argv[1] : "dns_query.pcap";
    viv_sim_t *sim;
    viv_link_t *server_link;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 7;
    TRY(viv_sim_new(&sim, &so));

    /* client (10.0.1.2) -- router (10.0.1.1 | 10.0.2.1) -- ns (10.0.2.53) */
    viv_host_t *client, *router, *ns;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "client";
    TRY(viv_host_new(&client, sim, &ho));
    ho.name = "ns";
    TRY(viv_host_new(&ns, sim, &ho));
    ho.name = "router";
    TRY(viv_router_new(&router, sim, 2, &ho));
    TRY(viv_host_add_iface(client, NULL));
    TRY(viv_host_add_iface(ns, NULL));
    TRY(viv_host_add_addr(client, 0, VIV_IP4(10, 0, 1, 2), 24));
    TRY(viv_host_add_addr(router, 0, VIV_IP4(10, 0, 1, 1), 24));
    TRY(viv_host_add_addr(router, 1, VIV_IP4(10, 0, 2, 1), 24));
    TRY(viv_host_add_addr(ns, 0, VIV_IP4(10, 0, 2, 53), 24));
    TRY(viv_host_set_gateway(client, VIV_IP4(10, 0, 1, 1)));
    TRY(viv_host_set_gateway(ns, VIV_IP4(10, 0, 2, 1)));

    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 100000000; /* 100 Mbit/s */
    lp.delay_ns = VIV_MS(1);
    viv_link_t *lan;
    TRY(viv_link_new(&lan, sim, viv_host_port(client, 0), viv_host_port(router, 0), &lp));
    lp.delay_ns = VIV_MS(5);
    lp.loss = 0.2; /* each way, drawn from the link's own seeded stream */
    TRY(viv_link_new(&server_link, sim, viv_host_port(router, 1), viv_host_port(ns, 0), &lp));
    /* The first query to reach the server's cable (router -> ns) is dropped for sure. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_UDP;
    m.dport = DNS_PORT;
    TRY(viv_link_drop_nth(server_link, VIV_LINK_AB, &m, 1));

    /* Capture what the client's interface sends and receives. */
    viv_pcap_t *cap;
    if (viv_pcap_open(&cap, sim, pcap_path, NULL) < 0) {
        fprintf(stderr, "dns_query: %s\n", viv_sim_errmsg(sim));
        return 1;
    }
    TRY(viv_pcap_attach_port(cap, viv_host_port(client, 0)));

    /* The server: port 53 on every address of ns. */
    viv_udp_t *ns_sock;
    TRY(viv_udp_new(&ns_sock, ns, NULL, ns_cb, NULL));
    viv_sockaddr_t any53 = {VIV_IP4_ANY, DNS_PORT};
    TRY(viv_udp_bind(ns_sock, &any53));

    /* The resolver: one socket (an ephemeral port), names resolved one at a time. */
    static const char *const names[] = {"www.example.com", "mail.example.com",
                                        "nosuch.example.com", "printer.lan.example.com",
                                        "ftp.example.com", "news.example.com"};
    resolver r;
    memset(&r, 0, sizeof r);
    r.sim = sim;
    r.server.ip = VIV_IP4(10, 0, 2, 53);
    r.server.port = DNS_PORT;
    r.names = names;
    r.nnames = sizeof names / sizeof names[0];
    r.on_name = maybe_cut;
    r.server_link = server_link;
    TRY(viv_sim_rng(&r.rng, sim, 1));
    TRY(viv_udp_new(&r.sock, client, NULL, resolver_cb, &r));

    printf("resolver 10.0.1.2 -> name server 10.0.2.53:53, 20%% loss on the server's link,\n"
           "timeouts 1 s, 2 s, 4 s (%d attempts)\n\n", MAX_ATTEMPTS);
    TRY(viv_sim_schedule_after(NULL, sim, 0, resolver_next, &r));
    TRY(viv_sim_run(sim));

    viv_link_stats_t ab, ba;
    TRY(viv_link_stats(&ab, server_link, VIV_LINK_AB));
    TRY(viv_link_stats(&ba, server_link, VIV_LINK_BA));
    printf("\n%zu names: %u answered, %u given up, %u queries sent\n", r.nnames, r.answered,
           r.failed, r.attempts);
    printf("server link: to ns %llu frames sent, %llu lost, %llu dropped on purpose, %llu cut;\n"
           "             from ns %llu sent, %llu lost\n",
           (unsigned long long)ab.tx_frames, (unsigned long long)ab.drop_loss,
           (unsigned long long)ab.drop_intercept, (unsigned long long)ab.drop_cut,
           (unsigned long long)ba.tx_frames, (unsigned long long)ba.drop_loss);
    printf("capture: %s (%llu frames)\n", pcap_path, (unsigned long long)viv_pcap_frames(cap));
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(sim),
           (unsigned long long)viv_sim_events(sim));
    viv_sim_free(sim); /* closes the capture too */
    return 0;
}
