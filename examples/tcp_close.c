/* tcp_close: how a TCP connection ends, and what netstat shows meanwhile.
 *
 *     client 10.0.1.2 ---- router ---- server 10.0.2.2
 *            (2 ms)   10.0.1.1 10.0.2.1   (2 ms)
 *
 * 1. The 4-way close. The client connects, sends a line, reads the answer and closes first.
 *    The ladder diagram shows every segment and state: FIN_WAIT_1, FIN_WAIT_2 on the client
 *    and CLOSE_WAIT on the server until the server closes too (LAST_ACK), then TIME_WAIT on
 *    the client for 2 MSL (60 s). netstat (filtered to port 7000, with the Timer column)
 *    shows each step, and the TIME_WAIT timer counting down.
 * 2. TIME_WAIT holds the address: a new bind to 10.0.1.2:40000 fails with "address already
 *    in use", works at once with reuse_addr, and works without it once TIME_WAIT is over.
 * 3. The last ACK lost: the server sends its FIN again, TIME_WAIT acknowledges it once more
 *    and starts its 60 s again, so it lasts longer than 60 s.
 * 4. A server process killed: its operating system closes its sockets, so the client still
 *    gets a FIN (the "-" in netstat's PID column: a connection no process owns any more).
 * 5. A server that never closes: it stays in CLOSE_WAIT for as long as it runs (an hour
 *    here), while the client forgets its FIN_WAIT_2 after 60 s.
 * 6. A server host switched off: nothing is sent. The client learns nothing until its
 *    retransmissions time out; a user timeout of 10 s shortens that (without it, Linux's
 *    15 retries would take about 15 minutes).
 *
 * The capture of the client's cable goes to argv[1] (default tcp_close.pcap); open it in
 * Wireshark. Everything printed is exact and the same on every run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vivarium.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "tcp_close: %s: %s\n", what, viv_strerror(rc));
    exit(1);
}

#define TRY(call)                                                                                  \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ < 0)                                                                               \
            die(#call, rc_);                                                                       \
    } while (0)

#define CLIENT_IP VIV_IP4(10, 0, 1, 2)
#define SERVER_IP VIV_IP4(10, 0, 2, 2)

static viv_sim_t *sim;
static viv_host_t *client, *server;

static int at_blank = 1; /* the last line printed was blank */

/* A blank line, unless there is one already. */
static void blank(void)
{
    if (!at_blank)
        printf("\n");
    at_blank = 1;
}

/* A heading, with a blank line around it. */
static void heading(const char *text)
{
    blank();
    printf("%s\n\n", text);
    at_blank = 1;
}

static double secs(void)
{
    return (double)viv_sim_now(sim) / 1e9;
}

/* "  12.345 s  " before every line of what happens. */
#if defined(__GNUC__)
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
static void say(const char *fmt, ...)
{
    va_list ap;
    at_blank = 0;
    printf("  %8.3f s  ", secs());
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void run_to(double t)
{
    TRY(viv_sim_run_until(sim, (viv_time_t)(t * 1e9 + 0.5)));
}

/* netstat -ano | grep 7000 (or another port) on a host. */
static void netstat(viv_host_t *h, const char *who, uint16_t port, uint32_t flags)
{
    char text[4096];
    viv_netstat_filter f = VIV_NETSTAT_FILTER_INIT;
    f.proto = VIV_SOCK_TCP;
    f.port = port;
    int n = viv_host_netstat_text_filtered(h, VIV_NETSTAT_TIMERS | flags, &f, text, sizeof text);
    if (n < 0 || (size_t)n >= sizeof text)
        die("netstat", n < 0 ? n : VIV_ENOMEM);
    blank();
    printf("  %8.3f s  netstat on the %s:\n", secs(), who);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        printf("    %s\n", line);
    printf("\n");
    at_blank = 1;
}

/* ---- the server: echoes each line in capitals ------------------------------------------ */

typedef enum { CLOSE_AFTER_2S, NEVER_CLOSE } server_mode;

typedef struct conn {
    viv_tcp_t *s;
    server_mode mode;
    int open;
} conn;

static conn conns[8];
static size_t nconns;
static server_mode mode;

static void close_conn(viv_sim_t *s, void *user)
{
    conn *c = user;
    (void)s;
    say("server closes its socket (FIN)");
    viv_tcp_close(c->s);
    c->open = 0;
}

static void on_server_conn(viv_tcp_t *s, uint32_t events, void *user)
{
    conn *c = user;
    if (!c->open || !(events & VIV_EV_READABLE))
        return;
    char buf[256];
    int n;
    while ((n = viv_tcp_recv(s, buf, sizeof buf - 1)) > 0) {
        for (int i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 'a' + 'A');
        TRY(viv_tcp_send(s, buf, (size_t)n));
    }
    if (n == 0) {
        if (c->mode == NEVER_CLOSE) {
            say("server reads end of stream, and never calls close");
            c->open = 0; /* it still holds the socket: CLOSE_WAIT for ever */
            return;
        }
        say("server reads end of stream; it will close in 2 s");
        c->open = 0;
        TRY(viv_sim_schedule_after(NULL, sim, VIV_S(2), close_conn, c));
    }
}

static void on_listener(viv_tcp_t *l, uint32_t events, void *user)
{
    (void)user;
    if (!(events & VIV_EV_ACCEPTABLE))
        return;
    viv_tcp_t *s;
    while (nconns < sizeof conns / sizeof conns[0] && viv_tcp_accept(&s, l, NULL, NULL) == 0) {
        conn *c = &conns[nconns++];
        c->s = s;
        c->mode = mode;
        c->open = 1;
        TRY(viv_tcp_set_cb(s, on_server_conn, c));
    }
}

static viv_tcp_t *listener(uint16_t port)
{
    viv_tcp_t *l;
    viv_sockaddr_t a = {VIV_IP4_ANY, port};
    TRY(viv_tcp_new(&l, server, NULL, on_listener, NULL));
    TRY(viv_tcp_bind(l, &a));
    TRY(viv_tcp_listen(l, 0));
    return l;
}

/* ---- the client: sends a line, prints what comes back ---------------------------------- */

typedef struct client_conn {
    viv_tcp_t *s;
    const char *line;
    int got_eof;
    int closed;
    double eof_at;    /* when the server's FIN arrived */
    double closed_at; /* when the connection ended */
} client_conn;

static void on_client(viv_tcp_t *s, uint32_t events, void *user)
{
    client_conn *c = user;
    char buf[256];
    if (events & VIV_EV_CONNECTED) {
        say("client connected, sends \"%s\"", c->line);
        TRY(viv_tcp_send(s, c->line, strlen(c->line)));
    }
    if (events & VIV_EV_READABLE) {
        int n;
        while ((n = viv_tcp_recv(s, buf, sizeof buf - 1)) > 0) {
            buf[n] = 0;
            say("client receives \"%s\"", buf);
        }
        if (n == 0 && !c->got_eof) {
            c->got_eof = 1;
            c->eof_at = secs();
            say("client reads end of stream: the server closed");
        }
    }
    if (events & VIV_EV_ERROR) {
        viv_tcp_info info;
        TRY(viv_tcp_info_get(&info, s));
        say("client gives up after %llu retransmissions: %s", (unsigned long long)info.retransmits,
            viv_strerror(viv_tcp_error(s)));
    }
    if (events & VIV_EV_CLOSED) {
        c->closed = 1;
        c->closed_at = secs();
        say("client: connection closed");
    }
}

static void client_open(client_conn *c, uint16_t lport, uint16_t rport, const viv_tcp_opts *o)
{
    viv_sockaddr_t local = {CLIENT_IP, lport}, peer = {SERVER_IP, rport};
    TRY(viv_tcp_new(&c->s, client, o, on_client, c));
    TRY(viv_tcp_bind(c->s, &local));
    int rc = viv_tcp_connect(c->s, &peer);
    if (rc != VIV_EINPROGRESS)
        die("connect", rc);
}

static void try_bind(const char *what, int reuse)
{
    viv_tcp_opts o = VIV_TCP_OPTS_INIT;
    o.reuse_addr = reuse;
    viv_tcp_t *s;
    viv_sockaddr_t a = {CLIENT_IP, 40000};
    TRY(viv_tcp_new(&s, client, &o, NULL, NULL));
    int rc = viv_tcp_bind(s, &a);
    say("bind 10.0.1.2:40000%s: %s", what, rc == 0 ? "ok" : viv_strerror(rc));
    viv_tcp_close(s);
}

static void print_ladder(viv_ladder_t *lad)
{
    static char text[32768];
    int n = viv_ladder_text(lad, text, sizeof text);
    if (n < 0 || (size_t)n >= sizeof text)
        die("ladder", n < 0 ? n : VIV_ENOMEM);
    blank();
    printf("%s\n", text);
    at_blank = 1;
}

/* ---- the story ---------------------------------------------------------------------- */

static viv_host_t *host(const char *name)
{
    viv_host_t *h;
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    o.name = name;
    TRY(viv_host_new(&h, sim, &o));
    TRY(viv_host_add_iface(h, NULL));
    return h;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tcp_close.pcap";
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    so.seed = 1;
    TRY(viv_sim_new(&sim, &so));

    client = host("client");
    server = host("server");
    viv_host_t *r;
    viv_host_opts ro = VIV_HOST_OPTS_INIT;
    ro.name = "router";
    TRY(viv_router_new(&r, sim, 2, &ro));
    viv_subnet_t *lan1, *lan2;
    TRY(viv_subnet_new(&lan1, sim, "10.0.1.0/24"));
    TRY(viv_subnet_new(&lan2, sim, "10.0.2.0/24"));
    TRY(viv_subnet_attach(NULL, lan1, r, 0));      /* 10.0.1.1 */
    TRY(viv_subnet_attach(NULL, lan1, client, 0)); /* 10.0.1.2 */
    TRY(viv_subnet_attach(NULL, lan2, r, 1));      /* 10.0.2.1 */
    TRY(viv_subnet_attach(NULL, lan2, server, 0)); /* 10.0.2.2 */
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 100000000; /* 100 Mbit/s */
    p.delay_ns = VIV_MS(2);
    viv_link_t *client_link, *server_link;
    TRY(viv_link_new(&client_link, sim, viv_host_port(client, 0), viv_host_port(r, 0), &p));
    TRY(viv_link_new(&server_link, sim, viv_host_port(server, 0), viv_host_port(r, 1), &p));
    TRY(viv_sim_compute_routes(sim));

    viv_pcap_t *cap;
    TRY(viv_pcap_open(&cap, sim, path, NULL));
    TRY(viv_pcap_attach_link(cap, client_link, VIV_LINK_BOTH));

    viv_ladder_t *lad;
    TRY(viv_ladder_new(&lad, sim, viv_host_node(client), viv_host_node(server), 7000));

    printf("client 10.0.1.2 -- router -- server 10.0.2.2, 2 ms per cable; "
           "the server listens on port 7000.\n");
    at_blank = 0;
    listener(7000);

    /* 1. The 4-way close. */
    heading("1. The client closes first");
    client_conn c1 = {NULL, "hello", 0, 0, 0, 0};
    mode = CLOSE_AFTER_2S;
    client_open(&c1, 40000, 7000, NULL);
    run_to(1.0);
    say("client closes its socket (FIN)");
    viv_tcp_close(c1.s); /* the connection goes on closing without the program */
    run_to(2.0);
    netstat(client, "client (FIN_WAIT_2: its FIN acknowledged)", 7000, 0);
    netstat(server, "server (CLOSE_WAIT: the program has not closed yet)", 7000, 0);
    run_to(4.0);
    netstat(client, "client", 7000, 0);
    print_ladder(lad);

    /* 2. TIME_WAIT holds the address. */
    heading("2. TIME_WAIT holds the client's address for 60 s (2 MSL)");
    try_bind("", 0);
    try_bind(" with reuse_addr", 1);
    run_to(34.0);
    netstat(client, "client, 30 s later", 7000, 0);
    run_to(64.0);
    netstat(client, "client, after 60 s of TIME_WAIT", 7000, 0);
    try_bind("", 0);

    /* 3. The last ACK lost. */
    heading("3. The client's last ACK is lost");
    viv_ladder_clear(lad);
    client_conn c2 = {NULL, "again", 0, 0, 0, 0};
    client_open(&c2, 40001, 7000, NULL);
    run_to(65.0);
    say("client shuts down its sending side (FIN)");
    TRY(viv_tcp_shutdown(c2.s, VIV_SHUT_WR));
    run_to(66.0);
    /* The next pure ACK the client sends on this connection is the one after the server's
     * FIN: drop it on the client's cable. */
    viv_frame_match m = VIV_FRAME_MATCH_INIT;
    m.ip_proto = VIV_IPPROTO_TCP;
    m.ip_src = CLIENT_IP;
    m.sport = 40001;
    m.tcp_flags_set = VIV_TCP_ACK;
    m.tcp_flags_clear = VIV_TCP_SYN | VIV_TCP_FIN | VIV_TCP_RST | VIV_TCP_PSH;
    TRY(viv_link_drop_nth(client_link, VIV_LINK_AB, &m, 1));
    run_to(70.0);
    viv_link_stats_t ls;
    TRY(viv_link_stats(&ls, client_link, VIV_LINK_AB));
    say("the drop rule took %llu frame: the client's first ACK of the server's FIN",
        (unsigned long long)ls.drop_intercept);
    print_ladder(lad);
    printf("  (X: the segment never arrived. The two ACKs are identical; the link's drop\n"
           "   record tells the ladder which of them was lost.)\n");
    at_blank = 0;
    netstat(client, "client: TIME_WAIT started again by the second FIN", 7000, 0);
    run_to(200.0);
    printf("  TIME_WAIT lasted %.3f s, from the first FIN (%.3f s): 60 s from the second.\n",
           c2.closed_at - c2.eof_at, c2.eof_at);
    at_blank = 0;
    if (viv_tcp_state_get(c2.s) != VIV_TCP_CLOSED)
        die("TIME_WAIT did not end", VIV_ESTATE);
    viv_tcp_close(c2.s);

    /* 4. A server process killed. */
    heading("4. The server process is killed");
    viv_process_t *proc;
    TRY(viv_process_new(&proc, server, "echo-server"));
    TRY(viv_process_adopt_tcp(proc, listener(7001)));
    client_conn c3 = {NULL, "are you there", 0, 0, 0, 0};
    client_open(&c3, 40002, 7001, NULL);
    run_to(201.0);
    netstat(server, "server", 7001, VIV_NETSTAT_PROCESS);
    say("kill -9 %u (%s)", (unsigned)viv_process_pid(proc), viv_process_name(proc));
    TRY(viv_process_kill(proc));
    run_to(202.0);
    netstat(server, "server: its OS closed the socket", 7001, VIV_NETSTAT_PROCESS);
    say("client closes its socket");
    viv_tcp_close(c3.s);
    run_to(203.0);
    netstat(server, "server", 7001, VIV_NETSTAT_PROCESS);

    /* 5. A server that never closes. */
    heading("5. A server that never closes its socket");
    client_conn c4 = {NULL, "bye", 0, 0, 0, 0};
    mode = NEVER_CLOSE;
    client_open(&c4, 40003, 7000, NULL);
    run_to(204.0);
    say("client closes its socket (FIN)");
    viv_tcp_close(c4.s);
    run_to(205.0);
    netstat(client, "client", 40003, 0);
    netstat(server, "server", 40003, 0);
    run_to(3805.0);
    netstat(client, "client, an hour later (FIN_WAIT_2 given up after 60 s)", 40003, 0);
    netstat(server, "server, an hour later", 40003, 0);

    /* 6. The server host switched off. */
    heading("6. The server host is switched off (the client has a user timeout of 10 s)");
    viv_tcp_opts uo = VIV_TCP_OPTS_INIT;
    uo.user_timeout_ns = VIV_S(10); /* give up after 10 s without an acknowledgement */
    client_conn c5 = {NULL, "ping", 0, 0, 0, 0};
    mode = CLOSE_AFTER_2S;
    client_open(&c5, 40004, 7000, &uo);
    run_to(3806.0);
    say("the server host is switched off");
    TRY(viv_node_set_up(viv_host_node(server), 0));
    run_to(3807.0);
    say("client sends \"anyone?\"");
    TRY(viv_tcp_send(c5.s, "anyone?", 7));
    run_to(3810.0);
    netstat(client, "client (still ESTABLISHED, retransmitting)", 7000, 0);
    run_to(3830.0);
    printf("  The last retransmission timeout is cut short to end the connection when the user\n"
           "  timeout runs out, as Linux does: %.1f s after the send, not at the next expiry\n"
           "  (12.6 s). Without it the client would retry 15 times, about 15 minutes.\n",
           c5.closed_at - 3807.0);
    at_blank = 0;
    viv_tcp_close(c5.s);

    blank();
    printf("%llu frames captured on the client's cable (argv[1], default tcp_close.pcap).\n",
           (unsigned long long)viv_pcap_frames(cap));
    viv_pcap_close(cap);
    printf("run fingerprint %016llx (%llu events)\n", (unsigned long long)viv_sim_fingerprint(sim),
           (unsigned long long)viv_sim_events(sim));
    viv_sim_free(sim);
    return 0;
}
