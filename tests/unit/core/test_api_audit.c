/* The public headers' contracts checked against the code: error paths that the audit of the
 * headers found doubtful (misuse, partial failures), each with the header's promise. */
#include "viv_test.h"

#include <stdio.h>
#include <string.h>

#include "vivarium.h"

/* Two hosts with one interface each and a link between them. */
static viv_link_t *two_hosts(viv_sim_t *sim)
{
    viv_host_t *a, *b;
    assert_int_equal(viv_host_new(&a, sim, NULL), 0);
    assert_int_equal(viv_host_new(&b, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(a, NULL), 0);
    assert_int_equal(viv_host_add_iface(b, NULL), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), NULL), 0);
    return l;
}

/* pcap.h: viv_pcap_attach_link() with VIV_LINK_BOTH fails with VIV_EEXIST when the capture is
 * already on a direction. A failing call changes nothing: it used to attach the other
 * direction first (AB) when only BA had the capture, so that attaching AB alone afterwards
 * was refused too. */
static void test_api_audit__pcap_attach_link_both_is_all_or_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_link_t *l = two_hosts(sim);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VIV_TEST_TMPDIR, "test_api_audit_both.pcap");
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BA), 0);
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BOTH), VIV_EEXIST);
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_AB), 0);
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BOTH), VIV_EEXIST);
    viv_pcap_close(cap);

    /* Out of memory for the second direction: the first is detached again. */
    viv_test_alloc *a = &((viv_test_fixture *)*state)->alloc;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    a->fail_at = a->calls + 2; /* AB's tap, then BA's */
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BOTH), VIV_ENOMEM);
    a->fail_at = 0;
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_AB), 0);
    assert_int_equal(viv_pcap_attach_link(cap, l, VIV_LINK_BA), 0);
    viv_pcap_close(cap);
    remove(path);
}

/* common.h: every failing call records a message in its simulation. viv_host_netstat() and
 * viv_host_netstat_filtered() answered NULL rows with a nonzero capacity with VIV_EINVAL and
 * left the message of an earlier failure in place. */
static void test_api_audit__netstat_null_rows_leaves_a_message(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    assert_int_equal(viv_host_new(NULL, sim, NULL), VIV_EINVAL); /* an earlier message */
    assert_int_equal(viv_host_netstat(h, NULL, 1), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_host_netstat"));
    assert_int_equal(viv_host_new(NULL, sim, NULL), VIV_EINVAL);
    assert_int_equal(viv_host_netstat_filtered(h, NULL, NULL, 1), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_host_netstat_filtered"));
}

/* process.h: ending a process closes its UDP sockets as viv_udp_free() does, which udp.h
 * allows inside the socket's own callback; so a process may exit from its socket's
 * callback, and no callback of that socket follows. */
typedef struct exit_in_cb {
    viv_process_t *p;
    int calls;
} exit_in_cb;

static void exit_on_readable(viv_udp_t *s, uint32_t events, void *user)
{
    exit_in_cb *x = user;
    (void)s;
    assert_int_equal(viv_process_status_get(x->p), VIV_PROCESS_RUNNING);
    x->calls++;
    if (events & VIV_EV_READABLE)
        assert_int_equal(viv_process_exit(x->p, 7), 0);
}

static void test_api_audit__process_exit_inside_its_socket_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *a, *b;
    assert_int_equal(viv_host_new(&a, sim, NULL), 0);
    assert_int_equal(viv_host_new(&b, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(a, NULL), 0);
    assert_int_equal(viv_host_add_iface(b, NULL), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), NULL), 0);
    assert_int_equal(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    exit_in_cb x = {NULL, 0};
    assert_int_equal(viv_process_new(&x.p, b, "srv"), 0);
    viv_udp_t *rx, *tx;
    assert_int_equal(viv_udp_new(&rx, b, NULL, exit_on_readable, &x), 0);
    viv_sockaddr_t at = {VIV_IP4(10, 0, 0, 2), 9};
    assert_int_equal(viv_udp_bind(rx, &at), 0);
    assert_int_equal(viv_process_adopt_udp(x.p, rx), 0);
    assert_int_equal(viv_udp_new(&tx, a, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_sendto(tx, "one", 3, &at), 3);
    assert_int_equal(viv_udp_sendto(tx, "two", 3, &at), 3);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(viv_process_status_get(x.p), VIV_PROCESS_EXITED);
    assert_int_equal(viv_process_exit_code(x.p), 7);
    assert_int_equal(viv_process_socket_count(x.p), 0);
    assert_int_equal(viv_host_netstat(b, NULL, 0), 0);
    assert_int_equal(x.calls, 2); /* WRITABLE, then READABLE; the second datagram: nobody */
    viv_process_free(x.p);
    viv_udp_free(tx);
}

/* ladder.h: a ladder keeps what it recorded until it is freed or cleared, and prints it
 * with its columns' names. Its hosts may go before it: the diagram then still prints (it
 * read the freed node's name). A node of another simulation is refused (its segments could
 * never be drawn). A NULL buffer with a size left no message in the simulation. */
static void test_api_audit__ladder_outlives_its_hosts(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *a, *b;
    viv_host_opts lo = {.name = "left"}, ro = {.name = "right"};
    assert_int_equal(viv_host_new(&a, sim, &lo), 0);
    assert_int_equal(viv_host_new(&b, sim, &ro), 0);
    viv_ladder_t *lad;
    assert_int_equal(viv_ladder_new(&lad, sim, viv_host_node(a), viv_host_node(b), 0), 0);
    viv_host_free(b);
    char buf[256];
    int n = viv_ladder_text(lad, buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "left"));
    assert_non_null(strstr(buf, "right"));
    /* A failing call with a simulation leaves a message in it (common.h). */
    assert_int_equal(viv_ladder_text(lad, NULL, 8), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_ladder_text"));
    viv_ladder_free(lad);

    viv_sim_t *other;
    assert_int_equal(viv_sim_new(&other, NULL), 0);
    viv_host_t *c;
    assert_int_equal(viv_host_new(&c, other, NULL), 0);
    lad = NULL;
    assert_int_equal(viv_ladder_new(&lad, sim, viv_host_node(a), viv_host_node(c), 0),
                     VIV_EINVAL);
    assert_null(lad);
    viv_sim_free(other);
}

/* frame.h: viv_frame_info_format() describes what the summary holds. An ARP frame whose
 * operation is neither request nor reply (or whose ARP header is malformed, arp_op 0) was
 * described as a reply, "is-at" the Ethernet source. */
static void test_api_audit__frame_format_arp_other_op(void **state)
{
    (void)state;
    uint8_t f[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
                     0, 1, 0x08, 0x00, 6, 4, 0, 3};
    viv_frame_info info;
    assert_int_equal(viv_frame_info_parse(&info, f, sizeof f), 0);
    assert_int_equal(info.arp_op, 3);
    char buf[128];
    assert_true(viv_frame_info_format(&info, buf, sizeof buf) > 0);
    assert_null(strstr(buf, "Reply"));
    assert_non_null(strstr(buf, "ARP"));
    assert_int_equal(viv_frame_info_parse(&info, NULL, 0), 0);
    assert_int_equal(info.len, 0);
    assert_int_equal(viv_frame_info_format(&info, NULL, 0) >= 0, 1);
}

/* node.h: viv_node_set_up() runs no callback inside the call, and a host may be switched off
 * from the callback of one of its own sockets: the socket stays a CLOSED handle with
 * ECONNABORTED and no further event (tcp.h, process.h). */
typedef struct off_in_cb {
    viv_host_t *host;
    int calls;
} off_in_cb;

static void switch_off_on_event(viv_tcp_t *s, uint32_t events, void *user)
{
    off_in_cb *o = user;
    (void)s;
    (void)events;
    if (o->calls++ == 0)
        assert_int_equal(viv_node_set_up(viv_host_node(o->host), 0), 0);
}

static void test_api_audit__node_off_inside_its_socket_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *a, *b;
    assert_int_equal(viv_host_new(&a, sim, NULL), 0);
    assert_int_equal(viv_host_new(&b, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(a, NULL), 0);
    assert_int_equal(viv_host_add_iface(b, NULL), 0);
    viv_link_t *l;
    assert_int_equal(viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), NULL), 0);
    assert_int_equal(viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24), 0);
    viv_tcp_t *ls, *c;
    viv_sockaddr_t at = {VIV_IP4(10, 0, 0, 2), 80};
    assert_int_equal(viv_tcp_new(&ls, b, NULL, NULL, NULL), 0);
    assert_int_equal(viv_tcp_bind(ls, &at), 0);
    assert_int_equal(viv_tcp_listen(ls, 4), 0);
    off_in_cb o = {a, 0};
    assert_int_equal(viv_tcp_new(&c, a, NULL, switch_off_on_event, &o), 0);
    assert_int_equal(viv_tcp_connect(c, &at), VIV_EINPROGRESS);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(o.calls, 1);
    assert_int_equal(viv_node_is_up(viv_host_node(a)), 0);
    assert_int_equal(viv_tcp_state_get(c), VIV_TCP_CLOSED);
    viv_tcp_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_api_audit__pcap_attach_link_both_is_all_or_nothing),
        T(test_api_audit__netstat_null_rows_leaves_a_message),
        T(test_api_audit__process_exit_inside_its_socket_callback),
        T(test_api_audit__ladder_outlives_its_hosts),
        T(test_api_audit__frame_format_arp_other_op),
        T(test_api_audit__node_off_inside_its_socket_callback),
#undef T
    };
    return cmocka_run_group_tests_name("core/api_audit", tests, NULL, NULL);
}
