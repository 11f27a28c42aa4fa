/* test_my_protocol: testing a protocol of your own with cmocka and vivarium's testing kit
 * (tutorial, chapter 5).
 *
 * The protocol under test is "kv", a key-value GET over UDP port 7000, written the way an
 * application would write it: a request carries an identifier, the answer echoes it; the
 * client waits 200 ms for an answer, sends the same request again (the same identifier) up
 * to three times in all, then gives up. Its one subtle duty: an answer that comes late (to
 * an attempt already answered, or to a request already finished) must be recognised by its
 * identifier and ignored, never taken for the answer to the request in flight.
 *
 * Each test builds its own small world (client 10.0.0.1 and server 10.0.0.2 on one cable,
 * 10 Mbit/s, 1 ms), injects a fault (a lost request, a late answer, a dead server, random
 * loss), runs simulated time, and checks what crossed the wire, in order and at exact
 * times, with the kit's expectations written like packetdrill scripts. No sleeps: the whole
 * file runs in milliseconds, and the same way every time.
 *
 * Build: link with vivarium and cmocka (the project's build does: CTest runs it as
 * example_test_my_protocol). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vivarium.h>

/* ==== The protocol under test ============================================================
 * In a real project this is your code (kv.c and kv.h), linked into the test. Requests are
 * "KVG" + 0 + a 4-byte identifier + the key; answers "KVR" + a status (0 found, 1 not
 * found) + the identifier + the value. */

#define KV_PORT 7000
#define KV_TIMEOUT VIV_MS(200)
#define KV_ATTEMPTS 3
#define KV_HDR 8

enum { KV_OK = 0, KV_NOT_FOUND = 1, KV_TIMED_OUT = 2 };

typedef void (*kv_done_fn)(void *user, int status, const char *value, size_t len);

/* [client] */
typedef struct kv_client {
    viv_sim_t *sim;
    viv_udp_t *sock;
    viv_sockaddr_t server;
    uint32_t next_id;
    /* the request in flight (id 0: none) */
    uint32_t id;
    int attempts;
    char key[64];
    size_t key_len;
    viv_event_id timer;
    kv_done_fn done;
    void *user;
    /* what happened */
    unsigned sent, retransmits, stale, timeouts;
} kv_client;

static void kv_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t kv_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void kv_on_timeout(viv_sim_t *sim, void *user);

static int kv_send(kv_client *c)
{
    uint8_t msg[KV_HDR + 64] = {'K', 'V', 'G', 0};
    kv_put32(msg + 4, c->id);
    memcpy(msg + KV_HDR, c->key, c->key_len);
    int rc = viv_udp_sendto(c->sock, msg, KV_HDR + c->key_len, &c->server);
    if (rc < 0)
        return rc;
    c->attempts++;
    c->sent++;
    return viv_sim_schedule_after(&c->timer, c->sim, KV_TIMEOUT, kv_on_timeout, c);
}

/* The request is over: forget it first (a late answer must find nothing), then report. */
static void kv_finish(kv_client *c, int status, const char *value, size_t len)
{
    c->id = 0;
    c->done(c->user, status, value, len);
}

static void kv_on_timeout(viv_sim_t *sim, void *user)
{
    kv_client *c = user;
    (void)sim;
    if (c->attempts == KV_ATTEMPTS) {
        c->timeouts++;
        kv_finish(c, KV_TIMED_OUT, NULL, 0);
        return;
    }
    c->retransmits++;
    if (kv_send(c) < 0)
        kv_finish(c, KV_TIMED_OUT, NULL, 0);
}

static void kv_on_readable(viv_udp_t *s, uint32_t events, void *user)
{
    kv_client *c = user;
    uint8_t msg[KV_HDR + 256];
    int n;
    if (!(events & VIV_EV_READABLE))
        return;
    while ((n = viv_udp_recv(s, msg, sizeof msg)) >= 0) {
        if (n < KV_HDR || memcmp(msg, "KVR", 3) != 0)
            continue; /* not an answer of ours */
        uint32_t id = kv_get32(msg + 4);
#ifdef KV_FORGET_THE_ID /* the classic bug, to see the tests catch it: any answer will do */
        id = c->id;
#endif
        if (c->id == 0 || id != c->id) {
            c->stale++; /* late: its request was answered, or gave up, already */
            continue;
        }
        viv_sim_cancel(c->sim, c->timer);
        kv_finish(c, msg[3] == 0 ? KV_OK : KV_NOT_FOUND, (const char *)msg + KV_HDR,
                  (size_t)n - KV_HDR);
    }
}

/* Ask for a key; done() is called once, later, from the simulation. */
static int kv_get(kv_client *c, const char *key, kv_done_fn done, void *user)
{
    size_t len = strlen(key);
    if (c->id != 0 || len > sizeof c->key)
        return VIV_EINVAL; /* one request at a time */
    memcpy(c->key, key, len);
    c->key_len = len;
    c->id = c->next_id++;
    c->attempts = 0;
    c->done = done;
    c->user = user;
    return kv_send(c);
}
/* [client] */

static int kv_client_init(kv_client *c, viv_host_t *host, viv_sockaddr_t server)
{
    memset(c, 0, sizeof(*c));
    c->sim = viv_host_sim(host);
    c->server = server;
    c->next_id = 1; /* a real client would start at a random number */
    return viv_udp_new(&c->sock, host, NULL, kv_on_readable, c);
}

/* The server: a fixed table. */
static void kv_server_cb(viv_udp_t *s, uint32_t events, void *user)
{
    static const char *const table[][2] = {{"color", "blue"}, {"size", "42"}};
    uint8_t msg[KV_HDR + 64], out[KV_HDR + 64];
    viv_sockaddr_t from;
    int n;
    (void)user;
    if (!(events & VIV_EV_READABLE))
        return;
    while ((n = viv_udp_recvfrom(s, msg, sizeof msg, &from, NULL)) >= 0) {
        if (n < KV_HDR || memcmp(msg, "KVG", 3) != 0)
            continue;
        memcpy(out, "KVR", 3);
        out[3] = 1;
        memcpy(out + 4, msg + 4, 4); /* echo the identifier */
        size_t vlen = 0;
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
            size_t klen = strlen(table[i][0]);
            if ((size_t)n - KV_HDR == klen && memcmp(msg + KV_HDR, table[i][0], klen) == 0) {
                out[3] = 0;
                vlen = strlen(table[i][1]);
                memcpy(out + KV_HDR, table[i][1], vlen);
            }
        }
        viv_udp_sendto(s, out, KV_HDR + vlen, &from);
    }
}

/* ==== The tests =========================================================================== */

/* [world] */
typedef struct world {
    viv_sim_t *sim;
    viv_host_t *client, *server;
    viv_link_t *cable; /* A: the client, B: the server */
    viv_rec_t *rec;    /* every frame at the client's interface */
    kv_client kv;
    /* what done() was told */
    int calls, status;
    char value[64];
    viv_time_t done_at;
} world;

static int world_build(world *w, viv_sim_t *sim)
{
    memset(w, 0, sizeof(*w));
    w->sim = sim;
    viv_host_opts ho = VIV_HOST_OPTS_INIT;
    ho.name = "client";
    int rc = viv_host_new(&w->client, sim, &ho);
    ho.name = "server";
    rc |= viv_host_new(&w->server, sim, &ho);
    rc |= viv_host_add_iface(w->client, NULL);
    rc |= viv_host_add_iface(w->server, NULL);
    rc |= viv_host_add_addr(w->client, 0, VIV_IP4(10, 0, 0, 1), 24);
    rc |= viv_host_add_addr(w->server, 0, VIV_IP4(10, 0, 0, 2), 24);
    viv_link_params p = VIV_LINK_PARAMS_INIT;
    p.rate_bps = 10000000; /* 10 Mbit/s */
    p.delay_ns = VIV_MS(1);
    rc |= viv_link_new(&w->cable, sim, viv_host_port(w->client, 0), viv_host_port(w->server, 0),
                       &p);
    viv_udp_t *srv;
    viv_sockaddr_t any = {VIV_IP4_ANY, KV_PORT}, server = {VIV_IP4(10, 0, 0, 2), KV_PORT};
    rc |= viv_udp_new(&srv, w->server, NULL, kv_server_cb, NULL);
    rc |= viv_udp_bind(srv, &any);
    rc |= kv_client_init(&w->kv, w->client, server);
    /* The recorder: frames read "client>server UDP ..." in expectations and reports. */
    rc |= viv_rec_new(&w->rec, sim, NULL);
    rc |= viv_rec_name(w->rec, "client", VIV_IP4(10, 0, 0, 1));
    rc |= viv_rec_name(w->rec, "server", VIV_IP4(10, 0, 0, 2));
    rc |= viv_rec_attach_port(w->rec, viv_host_port(w->client, 0));
    /* ARP first, with a ping, so that the scripts below show the protocol alone; then the
     * recording starts afresh, its clock at the instant the test begins. */
    viv_ping_opts po = VIV_PING_OPTS_INIT;
    po.count = 1;
    rc |= viv_ping_start(NULL, w->client, VIV_IP4(10, 0, 0, 2), &po, NULL, NULL);
    rc |= viv_sim_run(sim);
    viv_rec_clear(w->rec);
    return rc < 0 ? -1 : 0; /* every call returns 0 or a negative code */
}

static int setup(void **state)
{
    viv_sim_t *sim;
    world *w = malloc(sizeof *w);
    if (!w || viv_sim_new(&sim, NULL) < 0 || world_build(w, sim) < 0)
        return -1;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    viv_sim_free(w->sim); /* frees the hosts, the sockets, the recorder, the expectations */
    free(w);
    return 0;
}
/* [world] */

static void on_done(void *user, int status, const char *value, size_t len)
{
    world *w = user;
    w->calls++;
    w->status = status;
    w->done_at = viv_sim_now(w->sim);
    snprintf(w->value, sizeof w->value, "%.*s", (int)len, value ? value : "");
}

static int done_called(viv_sim_t *sim, void *user)
{
    (void)sim;
    return ((world *)user)->calls > 0;
}

/* [expect] */
/* Check everything the recorder holds against a script; fail with the kit's report. */
static void expect(world *w, const char *script)
{
    viv_expect_t *ex;
    char report[4096];
    assert_int_equal(viv_expect_new(&ex, w->sim), 0);
    if (viv_expect_parse(ex, script) != 0)
        fail_msg("%s", viv_sim_errmsg(w->sim)); /* says which line and column */
    if (viv_expect_check(ex, w->rec, 1, report, sizeof report) != 0)
        fail_msg("%s", report);
}

/* A time as the scripts write it: seconds with nine decimals. */
static const char *secs(char *buf, viv_time_t t)
{
    snprintf(buf, 32, "%llu.%09llu", (unsigned long long)(t / 1000000000u),
             (unsigned long long)(t % 1000000000u));
    return buf;
}

/* A request for `key` and its answer of `value`: the time from the request leaving the
 * client to the answer arriving, from the physics of the cable. */
static viv_time_t round_trip(const world *w, const char *key, const char *value)
{
    return viv_link_one_way(w->cable, VIV_LINK_AB, viv_wire_udp_frame_len(KV_HDR + strlen(key))) +
           viv_link_one_way(w->cable, VIV_LINK_BA, viv_wire_udp_frame_len(KV_HDR + strlen(value)));
}
/* [expect] */

/* [test_answered] */
/* The simple case: one request, one answer, one call. */
static void test_kv__get_is_answered(void **state)
{
    world *w = *state;
    assert_int_equal(kv_get(&w->kv, "color", on_done, w), 0);
    assert_int_equal(viv_run_until(w->sim, VIV_S(5), done_called, w), 1);
    assert_int_equal(w->status, KV_OK);
    assert_string_equal(w->value, "blue");
    assert_int_equal(viv_sim_run_for(w->sim, VIV_S(1)), 0);

    char script[512], rtt[32];
    snprintf(script, sizeof script,
             "+0 client>server UDP %d len 13      # GET color: 8 bytes of header, 5 of key\n"
             "+%s server>client UDP %d len 12   # blue\n"
             "nothing else until +1\n",
             KV_PORT, secs(rtt, round_trip(w, "color", "blue")), KV_PORT);
    expect(w, script);
    assert_int_equal(w->calls, 1);
    assert_int_equal(w->kv.retransmits, 0);
}
/* [test_answered] */

/* [test_lost_request] */
/* The first request is lost on the way: the client sends it again after exactly its
 * timeout, and the answer to the second attempt completes the request. */
static void test_kv__lost_request_is_sent_again_after_the_timeout(void **state)
{
    world *w = *state;
    viv_frame_match req = VIV_FRAME_MATCH_INIT;
    req.ip_proto = VIV_IPPROTO_UDP;
    req.dport = KV_PORT;
    assert_int_equal(viv_link_drop_nth(w->cable, VIV_LINK_AB, &req, 1), 0);

    assert_int_equal(kv_get(&w->kv, "color", on_done, w), 0);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_S(2)), 0);
    char script[512], rtt[32];
    snprintf(script, sizeof script,
             "+0 client>server UDP %d len 13      # lost on the way\n"
             "+0.200 client>server UDP %d len 13  # the same request, after the timeout\n"
             "+%s server>client UDP %d len 12\n"
             "nothing else until +1\n",
             KV_PORT, KV_PORT, secs(rtt, round_trip(w, "color", "blue")), KV_PORT);
    expect(w, script);
    assert_int_equal(w->calls, 1);
    assert_string_equal(w->value, "blue");
    assert_int_equal(w->kv.retransmits, 1);
}
/* [test_lost_request] */

/* [slow_answer] */
/* An intercept on the server-to-client direction: holds the first answer back 250 ms. */
static viv_verdict slow_first_answer(viv_link_t *link, viv_link_dir dir, const uint8_t *frame,
                                     size_t len, const viv_frame_info *info,
                                     viv_time_t *delay_ns, void *user)
{
    int *answers = user;
    (void)link, (void)dir, (void)frame, (void)len;
    if (info->ip_proto == VIV_IPPROTO_UDP && info->sport == KV_PORT && ++*answers == 1) {
        *delay_ns = VIV_MS(250);
        return VIV_VERDICT_DELAY;
    }
    return VIV_VERDICT_DELIVER;
}
/* [slow_answer] */

/* [test_late_answer] */
/* The first answer is late: the client has sent the request again in the meantime, and is
 * answered. The late answer to the first attempt then arrives: it is ignored, and done()
 * is not called twice. */
static void test_kv__late_answer_to_the_first_attempt_is_ignored(void **state)
{
    world *w = *state;
    int answers = 0;
    assert_int_equal(viv_link_set_intercept(w->cable, VIV_LINK_BA, slow_first_answer, &answers),
                     0);
    assert_int_equal(kv_get(&w->kv, "color", on_done, w), 0);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_S(2)), 0);
    char script[512], rtt[32];
    snprintf(script, sizeof script,
             "+0 client>server UDP %d len 13      # answered, but the answer is held back\n"
             "+0.200 client>server UDP %d len 13  # sent again after the timeout\n"
             "+%s server>client UDP %d len 12   # the answer to the second attempt\n"
             "+0.050 server>client UDP %d len 12  # the first answer, 250 ms late: stale\n"
             "nothing else until +1\n",
             KV_PORT, KV_PORT, secs(rtt, round_trip(w, "color", "blue")), KV_PORT, KV_PORT);
    expect(w, script);
    assert_int_equal(w->calls, 1);
    assert_string_equal(w->value, "blue");
    assert_int_equal(w->kv.stale, 1);
}
/* [test_late_answer] */

/* [test_next_request] */
/* The dangerous case: the late answer arrives while the NEXT request is in flight. A client
 * that took any answer as the one it waits for would complete "size" with "blue". */
static void on_color_ask_size(void *user, int status, const char *value, size_t len)
{
    world *w = user;
    on_done(user, status, value, len);
    assert_int_equal(kv_get(&w->kv, "size", on_done, w), 0); /* at once, from the callback */
}

static void test_kv__late_answer_is_not_taken_for_the_next_request(void **state)
{
    world *w = *state;
    int answers = 0;
    assert_int_equal(viv_link_set_intercept(w->cable, VIV_LINK_BA, slow_first_answer, &answers),
                     0);
    viv_frame_match req = VIV_FRAME_MATCH_INIT;
    req.ip_proto = VIV_IPPROTO_UDP;
    req.dport = KV_PORT;
    /* Requests: color, color again, then size: lost, so it is in flight 200 ms. */
    assert_int_equal(viv_link_drop_nth(w->cable, VIV_LINK_AB, &req, 3), 0);
    assert_int_equal(kv_get(&w->kv, "color", on_color_ask_size, w), 0);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_S(2)), 0);

    char script[1024], rtt1[32], rtt2[32];
    snprintf(script, sizeof script,
             "+0 client>server UDP %d len 13      # color (its answer is held back)\n"
             "+0.200 client>server UDP %d len 13  # color again\n"
             "+%s server>client UDP %d len 12   # blue: color is done\n"
             "+0 client>server UDP %d len 12      # size, at once: lost\n"
             "+0.050 server>client UDP %d len 12  # the late blue, while size is in flight\n"
             "+0.150 client>server UDP %d len 12  # size again, 200 ms after the first\n"
             "+%s server>client UDP %d len 10   # 42\n"
             "nothing else until +1\n",
             KV_PORT, KV_PORT, secs(rtt1, round_trip(w, "color", "blue")), KV_PORT, KV_PORT,
             KV_PORT, KV_PORT, secs(rtt2, round_trip(w, "size", "42")), KV_PORT);
    expect(w, script);
    assert_int_equal(w->calls, 2);
    assert_int_equal(w->status, KV_OK);
    assert_string_equal(w->value, "42"); /* not "blue" */
    assert_int_equal(w->kv.stale, 1);
    assert_int_equal(w->kv.retransmits, 2);
}
/* [test_next_request] */

/* [test_gives_up] */
/* The server is gone (its host switched off): three attempts 200 ms apart, then done()
 * reports the timeout 200 ms after the third. */
static void test_kv__gives_up_after_three_attempts(void **state)
{
    world *w = *state;
    assert_int_equal(viv_node_set_up(viv_host_node(w->server), 0), 0);
    const viv_time_t asked = viv_sim_now(w->sim);
    assert_int_equal(kv_get(&w->kv, "color", on_done, w), 0);
    assert_int_equal(viv_run_until(w->sim, VIV_S(10), done_called, w), 1);
    assert_int_equal(w->status, KV_TIMED_OUT);
    assert_int_equal(w->done_at - asked, 3 * KV_TIMEOUT);
    assert_int_equal(viv_sim_run_for(w->sim, VIV_S(1)), 0);
    expect(w, "+0 client>server UDP 7000 len 13\n"
              "+0.200 client>server UDP 7000 len 13\n"
              "+0.200 client>server UDP 7000 len 13\n"
              "nothing else until +1.4\n");
    assert_int_equal(w->kv.timeouts, 1);
}
/* [test_gives_up] */

/* [test_loss] */
/* 100 requests over a cable that loses 30% of the frames and delays them by up to 150 ms,
 * both ways: every request ends with exactly one call, never with a wrong value. The counts are exact: the same seed gives
 * the same losses on every machine. */
typedef struct loss_run {
    world *w;
    int asked, answered, timed_out, wrong;
} loss_run;

static void on_loss_done(void *user, int status, const char *value, size_t len)
{
    loss_run *r = user;
    const char *want = r->asked % 2 ? "blue" : "42";
    if (status == KV_OK)
        r->answered++;
    else if (status == KV_TIMED_OUT)
        r->timed_out++;
    if (status == KV_NOT_FOUND || (status == KV_OK && (len != strlen(want) ||
                                                       memcmp(value, want, len) != 0)))
        r->wrong++;
    if (++r->asked < 100)
        assert_int_equal(kv_get(&r->w->kv, r->asked % 2 ? "color" : "size", on_loss_done, r), 0);
}

static int run_loss(viv_sim_t *sim, world *w, loss_run *r)
{
    (void)sim;
    memset(r, 0, sizeof(*r));
    r->w = w;
    viv_link_params p;
    if (viv_link_params_get(&p, w->cable, VIV_LINK_AB) < 0)
        return -1;
    p.loss = 0.3;              /* 30% of the frames lost, each way */
    p.jitter_ns = VIV_MS(150); /* and each 0 to 150 ms late: some answers come after the
                                  timeout, to a request sent again or already finished */
    if (viv_link_set_params(w->cable, VIV_LINK_BOTH, &p) < 0)
        return -1;
    if (kv_get(&w->kv, "size", on_loss_done, r) < 0)
        return -1;
    return viv_sim_run(w->sim);
}

static void test_kv__every_request_ends_once_and_right_under_loss(void **state)
{
    world *w = *state;
    loss_run r;
    assert_int_equal(run_loss(w->sim, w, &r), 0);
    assert_int_equal(r.asked, 100);
    assert_int_equal(r.wrong, 0);
    assert_int_equal(r.answered + r.timed_out, 100);
    /* What this seed gives; another seed gives other exact numbers. */
    assert_int_equal(r.answered, 77);
    assert_int_equal(r.timed_out, 23);
    assert_int_equal(w->kv.sent, 198); /* 100 requests and 98 retransmissions */
    assert_int_equal(w->kv.retransmits, 98);
    assert_int_equal(w->kv.stale, 18);
}
/* [test_loss] */

/* [test_repeat] */
/* The same scenario twice, in two simulations with the same seed (in two threads at once
 * where the platform allows): the same run, bit for bit. */
static int loss_scenario(viv_sim_t *sim, int run, void *user)
{
    world w;
    loss_run r;
    (void)run, (void)user;
    if (world_build(&w, sim) < 0 || run_loss(sim, &w, &r) < 0)
        return -1;
    return r.wrong; /* nonzero fails the comparison */
}

static void test_kv__a_lossy_run_is_the_same_twice(void **state)
{
    viv_repeat_opts o = VIV_REPEAT_OPTS_INIT;
    viv_repeat_result res;
    char report[1024];
    (void)state;
    o.threads = 1;
    if (viv_scenario_repeat(&res, loss_scenario, NULL, &o, report, sizeof report) != 0)
        fail_msg("%s", report);
    assert_int_equal(res.run[0].fingerprint, res.run[1].fingerprint);
}
/* [test_repeat] */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kv__get_is_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv__lost_request_is_sent_again_after_the_timeout,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv__late_answer_to_the_first_attempt_is_ignored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv__late_answer_is_not_taken_for_the_next_request,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv__gives_up_after_three_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv__every_request_ends_once_and_right_under_loss,
                                        setup, teardown),
        cmocka_unit_test(test_kv__a_lossy_run_is_the_same_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
