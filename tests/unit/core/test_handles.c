/* Handle checks (src/core/core.h): in a debug build, a handle used after it was freed, or
 * freed twice, makes the library print
 *     vivarium: <function>: <pointer> is not a live <kind> (freed, or not a <kind>)
 * to stderr and abort. Each case runs in a forked child whose stderr comes back through a
 * pipe (and the handle's address through another): the child must die of SIGABRT having
 * printed that line for that address. Skipped where VIV_DEBUG_HANDLES is off (release
 * builds). Under AddressSanitizer the check asks ASan before it reads the handle, so the
 * message is the same. CTest label no_valgrind: the children read freed memory on purpose,
 * which Valgrind would report as the suite's errors. */
#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vivarium/sys/device.h>

#if defined(VIV_DEBUG_HANDLES) && VIV_DEBUG_HANDLES
#define CHECKS_ON 1
#else
#define CHECKS_ON 0
#endif

/* ---- the child's side ------------------------------------------------------------------ */

static int ptr_fd = -1; /* in a child: where it writes the address it is about to misuse */

/* Say which handle the next call misuses (the parent builds the expected line from it). */
static void misuse(const void *p)
{
    char b[64];
    int n = snprintf(b, sizeof b, "%p", p);
    if (n > 0 && write(ptr_fd, b, (size_t)n) != n)
        _exit(4);
}

/* Setup in a child cannot use cmocka: a failure exits with a status the parent reports. */
#define OK(call)                                                                           \
    do {                                                                                   \
        if ((call) < 0) {                                                                  \
            fprintf(stderr, "setup failed: %s\n", #call);                                  \
            _exit(3);                                                                      \
        }                                                                                  \
    } while (0)

static viv_sim_t *new_sim(void)
{
    viv_sim_t *sim = NULL;
    OK(viv_sim_new(&sim, NULL));
    return sim;
}

static viv_host_t *new_host(viv_sim_t *sim)
{
    viv_host_t *h = NULL;
    OK(viv_host_new(&h, sim, NULL));
    return h;
}

static viv_hub_t *new_hub(viv_sim_t *sim)
{
    viv_hub_t *hub = NULL;
    OK(viv_hub_new(&hub, sim, 2, NULL));
    return hub;
}

static viv_link_t *new_link(viv_sim_t *sim, viv_port_t *a, viv_port_t *b)
{
    viv_link_t *l = NULL;
    OK(viv_link_new(&l, sim, a, b, NULL));
    return l;
}

static viv_udp_t *new_udp(viv_host_t *h, viv_udp_cb cb)
{
    viv_udp_t *s = NULL;
    OK(viv_udp_new(&s, h, NULL, cb, NULL));
    return s;
}

static viv_ping_t *new_ping(viv_host_t *h, viv_ping_cb cb)
{
    viv_ping_t *p = NULL;
    OK(viv_ping_start(&p, h, VIV_IP4(10, 0, 0, 2), NULL, cb, NULL));
    return p;
}

static const viv_sockaddr_t peer = {VIV_IP4(10, 0, 0, 2), 9};
static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define PCAP_PATH VIV_TEST_TMPDIR "/test_handles.pcap"

/* Use after free: another call on the freed handle. */

static void uaf_sim(void)
{
    viv_sim_t *sim = new_sim();
    viv_sim_free(sim);
    misuse(sim);
    viv_sim_now(sim);
}

static void uaf_host(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_host_free(h);
    misuse(h);
    viv_host_add_iface(h, NULL);
}

static void uaf_hub(void)
{
    viv_hub_t *hub = new_hub(new_sim());
    viv_hub_free(hub);
    misuse(hub);
    viv_hub_port(hub, 0);
}

static void uaf_switch(void)
{
    viv_switch_t *sw = NULL;
    OK(viv_switch_new(&sw, new_sim(), 2, NULL));
    viv_switch_free(sw);
    misuse(sw);
    viv_switch_clear(sw);
}

static void uaf_device(void)
{
    viv_device_t *dev = NULL;
    OK(viv_device_new(&dev, new_sim(), 1, NULL));
    viv_device_free(dev);
    misuse(dev);
    viv_device_send(dev, 0, frame, sizeof frame);
}

static void uaf_link(void)
{
    viv_sim_t *sim = new_sim();
    viv_hub_t *a = new_hub(sim), *b = new_hub(sim);
    viv_link_t *l = new_link(sim, viv_hub_port(a, 0), viv_hub_port(b, 0));
    viv_link_free(l);
    misuse(l);
    viv_link_set_loss(l, VIV_LINK_BOTH, 0.5);
}

static void uaf_udp(void)
{
    viv_udp_t *s = new_udp(new_host(new_sim()), NULL);
    viv_udp_free(s);
    misuse(s);
    viv_udp_sendto(s, "x", 1, &peer);
}

static void uaf_ping(void)
{
    viv_ping_t *p = new_ping(new_host(new_sim()), NULL);
    viv_ping_free(p);
    misuse(p);
    viv_ping_stats_t st;
    viv_ping_stats(&st, p);
}

/* A traceroute has no call but its free: its "use" is a free after its host freed it. */
static void uaf_traceroute(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_traceroute_t *t = NULL;
    OK(viv_traceroute_start(&t, h, VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL));
    viv_host_free(h);
    misuse(t);
    viv_traceroute_free(t);
}

static void uaf_subnet(void)
{
    viv_subnet_t *s = NULL;
    OK(viv_subnet_new(&s, new_sim(), "10.0.0.0/24"));
    viv_subnet_free(s);
    misuse(s);
    viv_ip4_t net;
    viv_subnet_prefix(&net, NULL, s);
}

static void uaf_capture(void)
{
    viv_pcap_t *cap = NULL;
    OK(viv_pcap_open(&cap, new_sim(), PCAP_PATH, NULL));
    viv_pcap_close(cap);
    misuse(cap);
    viv_pcap_frames(cap);
}

/* Double free. */

static void df_sim(void)
{
    viv_sim_t *sim = new_sim();
    viv_sim_free(sim);
    misuse(sim);
    viv_sim_free(sim);
}

static void df_host(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_host_free(h);
    misuse(h);
    viv_host_free(h);
}

static void df_hub(void)
{
    viv_hub_t *hub = new_hub(new_sim());
    viv_hub_free(hub);
    misuse(hub);
    viv_hub_free(hub);
}

static void df_switch(void)
{
    viv_switch_t *sw = NULL;
    OK(viv_switch_new(&sw, new_sim(), 2, NULL));
    viv_switch_free(sw);
    misuse(sw);
    viv_switch_free(sw);
}

static void df_device(void)
{
    viv_device_t *dev = NULL;
    OK(viv_device_new(&dev, new_sim(), 1, NULL));
    viv_device_free(dev);
    misuse(dev);
    viv_device_free(dev);
}

static void df_link(void)
{
    viv_sim_t *sim = new_sim();
    viv_hub_t *a = new_hub(sim), *b = new_hub(sim);
    viv_link_t *l = new_link(sim, viv_hub_port(a, 0), viv_hub_port(b, 0));
    viv_link_free(l);
    misuse(l);
    viv_link_free(l);
}

static void df_udp(void)
{
    viv_udp_t *s = new_udp(new_host(new_sim()), NULL);
    viv_udp_free(s);
    misuse(s);
    viv_udp_free(s);
}

static void df_ping(void)
{
    viv_ping_t *p = new_ping(new_host(new_sim()), NULL);
    viv_ping_free(p);
    misuse(p);
    viv_ping_free(p);
}

static void df_traceroute(void)
{
    viv_traceroute_t *t = NULL;
    OK(viv_traceroute_start(&t, new_host(new_sim()), VIV_IP4(10, 0, 0, 2), NULL, NULL, NULL));
    viv_traceroute_free(t);
    misuse(t);
    viv_traceroute_free(t);
}

static void df_subnet(void)
{
    viv_subnet_t *s = NULL;
    OK(viv_subnet_new(&s, new_sim(), "10.0.0.0/24"));
    viv_subnet_free(s);
    misuse(s);
    viv_subnet_free(s);
}

static void df_capture(void)
{
    viv_pcap_t *cap = NULL;
    OK(viv_pcap_open(&cap, new_sim(), PCAP_PATH, NULL));
    viv_pcap_close(cap);
    misuse(cap);
    viv_pcap_close(cap);
}

/* Freed with what owns them. */

static void owner_node(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_node_t *n = viv_host_node(h);
    viv_host_free(h);
    misuse(n);
    viv_node_name(n);
}

static void owner_port(void)
{
    viv_hub_t *hub = new_hub(new_sim());
    viv_port_t *p = viv_hub_port(hub, 1);
    viv_hub_free(hub);
    misuse(p);
    viv_port_stats_t st;
    viv_port_stats(&st, p);
}

static void owner_link_of_freed_node(void)
{
    viv_sim_t *sim = new_sim();
    viv_hub_t *a = new_hub(sim), *b = new_hub(sim);
    viv_link_t *l = new_link(sim, viv_hub_port(a, 0), viv_hub_port(b, 0));
    viv_hub_free(b); /* unplugs and frees the link */
    misuse(l);
    viv_link_stats_t st;
    viv_link_stats(&st, l, VIV_LINK_AB);
}

static void owner_udp_of_freed_host(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_udp_t *s = new_udp(h, NULL);
    viv_host_free(h);
    misuse(s);
    viv_udp_send(s, "x", 1);
}

static void owner_ping_of_freed_host(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_ping_t *p = new_ping(h, NULL);
    viv_host_free(h);
    misuse(p);
    viv_ping_free(p);
}

static void owner_host_of_freed_sim(void)
{
    viv_sim_t *sim = new_sim();
    viv_host_t *h = new_host(sim);
    viv_sim_free(sim);
    misuse(h);
    viv_host_free(h);
}

/* Freed inside a callback: the memory lasts until the event is over, the handle does not. */

static void ping_free_then_stats(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    (void)r;
    (void)user;
    viv_ping_free(p);
    misuse(p);
    viv_ping_stats_t st;
    viv_ping_stats(&st, p);
}

static void cb_ping_use(void)
{
    viv_host_t *h = new_host(new_sim()); /* no interface: the first request fails at once */
    new_ping(h, ping_free_then_stats);
    viv_sim_run(viv_host_sim(h));
}

static void ping_free_twice(viv_ping_t *p, const viv_ping_result *r, void *user)
{
    (void)r;
    (void)user;
    viv_ping_free(p);
    misuse(p);
    viv_ping_free(p);
}

static void cb_ping_double_free(void)
{
    viv_host_t *h = new_host(new_sim());
    new_ping(h, ping_free_twice);
    viv_sim_run(viv_host_sim(h));
}

static void udp_free_then_recv(viv_udp_t *s, uint32_t events, void *user)
{
    (void)events;
    (void)user;
    char b[8];
    viv_udp_free(s);
    misuse(s);
    viv_udp_recv(s, b, sizeof b);
}

static void cb_udp_use(void)
{
    viv_host_t *h = new_host(new_sim());
    new_udp(h, udp_free_then_recv); /* WRITABLE is posted at once */
    viv_sim_run(viv_host_sim(h));
}

static viv_verdict intercept_free_then_use(viv_link_t *link, viv_link_dir dir,
                                           const uint8_t *f, size_t len,
                                           const viv_frame_info *info, viv_time_t *delay_ns,
                                           void *user)
{
    (void)dir, (void)f, (void)len, (void)info, (void)delay_ns, (void)user;
    viv_link_free(link);
    misuse(link);
    viv_link_set_loss(link, VIV_LINK_BOTH, 0.5);
    return VIV_VERDICT_DELIVER;
}

static void cb_link_use(void)
{
    viv_sim_t *sim = new_sim();
    viv_device_t *a = NULL, *b = NULL;
    OK(viv_device_new(&a, sim, 1, NULL));
    OK(viv_device_new(&b, sim, 1, NULL));
    viv_link_t *l = new_link(sim, viv_device_port(a, 0), viv_device_port(b, 0));
    OK(viv_link_set_intercept(l, VIV_LINK_AB, intercept_free_then_use, NULL));
    OK(viv_device_send(a, 0, frame, sizeof frame));
    viv_sim_run(sim);
}

/* Not a handle of that kind at all. */

static void wrong_host_as_socket(void)
{
    viv_host_t *h = new_host(new_sim());
    viv_udp_t *s = (viv_udp_t *)(void *)h;
    misuse(s);
    viv_udp_send(s, "x", 1);
}

static void wrong_switch_as_hub(void)
{
    viv_switch_t *sw = NULL;
    OK(viv_switch_new(&sw, new_sim(), 2, NULL));
    viv_hub_t *hub = (viv_hub_t *)(void *)sw;
    misuse(hub);
    viv_hub_free(hub);
}

/* ---- the parent's side ----------------------------------------------------------------- */

typedef struct misuse_case {
    void (*child)(void);
    const char *func;  /* the public function that must refuse the handle */
    const char *kind;  /* "a live <kind>" */
    const char *noun;  /* "or not a <noun>" */
} misuse_case;

/* Read fd to its end into buf (NUL-terminated, cut at cap - 1). */
static void read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char tmp[256];
        ssize_t k = read(fd, tmp, sizeof tmp);
        if (k <= 0)
            break;
        for (ssize_t i = 0; i < k && n + 1 < cap; i++)
            buf[n++] = tmp[i];
    }
    buf[n] = '\0';
    close(fd);
}

static void expect_abort(const misuse_case *c)
{
    int errp[2], ptrp[2];
    assert_int_equal(pipe(errp), 0);
    assert_int_equal(pipe(ptrp), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(errp[0]);
        close(ptrp[0]);
        if (dup2(errp[1], STDERR_FILENO) < 0)
            _exit(5);
        close(errp[1]);
        ptr_fd = ptrp[1];
        c->child();
        _exit(0); /* the misuse went through: the parent says so */
    }
    close(errp[1]);
    close(ptrp[1]);
    char err[2048], ptr[64];
    read_all(errp[0], err, sizeof err);
    read_all(ptrp[0], ptr, sizeof ptr);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
        fail_msg("%s: the child did not abort (%s %d); its stderr: \"%s\"", c->func,
                 WIFSIGNALED(st) ? "signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), err);
    char want[512];
    snprintf(want, sizeof want, "vivarium: %s: %s is not a live %s (freed, or not a %s)\n",
             c->func, ptr, c->kind, c->noun);
    if (!ptr[0] || !strstr(err, want))
        fail_msg("%s: expected \"%s\" on stderr, got \"%s\"", c->func, want, err);
}

static void run_cases(const misuse_case *cases, size_t n)
{
    if (!CHECKS_ON)
        skip(); /* release build: handles are not checked */
    for (size_t i = 0; i < n; i++)
        expect_abort(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof((cases)[0]))

static void test_handles__use_after_free_aborts_with_a_message(void **state)
{
    (void)state;
    static const misuse_case cases[] = {
        {uaf_sim, "viv_sim_now", "simulation", "simulation"},
        {uaf_host, "viv_host_add_iface", "host", "host"},
        {uaf_hub, "viv_hub_port", "hub", "hub"},
        {uaf_switch, "viv_switch_clear", "switch", "switch"},
        {uaf_device, "viv_device_send", "device", "device"},
        {uaf_link, "viv_link_set_loss", "link", "link"},
        {uaf_udp, "viv_udp_sendto", "UDP socket", "socket"},
        {uaf_ping, "viv_ping_stats", "ping", "ping"},
        {uaf_traceroute, "viv_traceroute_free", "traceroute", "traceroute"},
        {uaf_subnet, "viv_subnet_prefix", "subnet", "subnet"},
        {uaf_capture, "viv_pcap_frames", "capture", "capture"},
    };
    RUN(cases);
}

static void test_handles__double_free_aborts_with_a_message(void **state)
{
    (void)state;
    static const misuse_case cases[] = {
        {df_sim, "viv_sim_free", "simulation", "simulation"},
        {df_host, "viv_host_free", "host", "host"},
        {df_hub, "viv_hub_free", "hub", "hub"},
        {df_switch, "viv_switch_free", "switch", "switch"},
        {df_device, "viv_device_free", "device", "device"},
        {df_link, "viv_link_free", "link", "link"},
        {df_udp, "viv_udp_free", "UDP socket", "socket"},
        {df_ping, "viv_ping_free", "ping", "ping"},
        {df_traceroute, "viv_traceroute_free", "traceroute", "traceroute"},
        {df_subnet, "viv_subnet_free", "subnet", "subnet"},
        {df_capture, "viv_pcap_close", "capture", "capture"},
    };
    RUN(cases);
}

static void test_handles__handles_freed_with_their_owner_are_dead(void **state)
{
    (void)state;
    static const misuse_case cases[] = {
        {owner_node, "viv_node_name", "node", "node"},
        {owner_port, "viv_port_stats", "port", "port"},
        {owner_link_of_freed_node, "viv_link_stats", "link", "link"},
        {owner_udp_of_freed_host, "viv_udp_send", "UDP socket", "socket"},
        {owner_ping_of_freed_host, "viv_ping_free", "ping", "ping"},
        {owner_host_of_freed_sim, "viv_host_free", "host", "host"},
    };
    RUN(cases);
}

/* Memory freed inside a callback is released after the event; the handle is dead at once. */
static void test_handles__freed_in_a_callback_is_dead_before_the_event_ends(void **state)
{
    (void)state;
    static const misuse_case cases[] = {
        {cb_ping_use, "viv_ping_stats", "ping", "ping"},
        {cb_ping_double_free, "viv_ping_free", "ping", "ping"},
        {cb_udp_use, "viv_udp_recv", "UDP socket", "socket"},
        {cb_link_use, "viv_link_set_loss", "link", "link"},
    };
    RUN(cases);
}

static void test_handles__a_handle_of_another_kind_is_refused(void **state)
{
    (void)state;
    static const misuse_case cases[] = {
        {wrong_host_as_socket, "viv_udp_send", "UDP socket", "socket"},
        {wrong_switch_as_hub, "viv_hub_free", "hub", "hub"},
    };
    RUN(cases);
}

/* NULL is no misuse: it keeps answering VIV_EINVAL (or nothing), checks or not. */
static void test_handles__null_handles_still_get_einval(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    assert_int_equal(viv_udp_send(NULL, "x", 1), VIV_EINVAL);
    assert_int_equal(viv_udp_new(NULL, NULL, NULL, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_add_iface(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_link_set_loss(NULL, VIV_LINK_BOTH, 0.5), VIV_EINVAL);
    assert_int_equal(viv_ping_stats(NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_subnet_prefix(NULL, NULL, NULL), VIV_EINVAL);
    assert_int_equal(viv_pcap_flush(NULL), VIV_EINVAL);
    assert_int_equal(viv_switch_clear(NULL), VIV_EINVAL);
    assert_int_equal(viv_device_send(NULL, 0, frame, sizeof frame), VIV_EINVAL);
    assert_int_equal(viv_sim_run(NULL), VIV_EINVAL);
    assert_int_equal(viv_sim_now(NULL), 0);
    assert_null(viv_hub_port(NULL, 0));
    assert_null(viv_port_node(NULL));
    assert_string_equal(viv_node_name(NULL), "");
    viv_host_free(NULL);
    viv_udp_free(NULL);
    viv_ping_free(NULL);
    viv_traceroute_free(NULL);
    viv_link_free(NULL);
    viv_subnet_free(NULL);
    viv_pcap_close(NULL);
    viv_sim_free(NULL);
    /* A live handle passes, of course. */
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_ptr_equal(viv_node_port(viv_host_node(h), 0), viv_host_port(h, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        cmocka_unit_test(test_handles__use_after_free_aborts_with_a_message),
        cmocka_unit_test(test_handles__double_free_aborts_with_a_message),
        cmocka_unit_test(test_handles__handles_freed_with_their_owner_are_dead),
        cmocka_unit_test(test_handles__freed_in_a_callback_is_dead_before_the_event_ends),
        cmocka_unit_test(test_handles__a_handle_of_another_kind_is_refused),
        T(test_handles__null_handles_still_get_einval),
#undef T
    };
    return cmocka_run_group_tests_name("core/handles", tests, NULL, NULL);
}
