/* The socket base every transport shares (src/l4/sock.c): events kept until a callback is
 * given, a life that outlasts the program's handle (an orphan the protocol ends), and a
 * socket freed inside its own callback, whose memory lasts until the event is over. */
#include "viv_test.h"

#include <string.h>

#include "l4/l4.h"

/* A pretend transport whose sockets, once let go, stay as orphans until told to go. */
typedef struct fake {
    viv__sock base;
    int delivered;
    uint32_t events[8];
    int keep_orphan;
    int orphaned;
    int *released;
    viv__sock_list *list;
    int free_in_cb;
} fake;

static void fake_deliver(viv__sock *b, uint32_t ev)
{
    fake *f = (fake *)b;
    if (f->delivered < 8)
        f->events[f->delivered] = ev;
    f->delivered++;
    if (f->free_in_cb) {
        viv__sock_let_go(b, f->list);
        /* Still readable until the event is over (ASan would catch it otherwise). */
        f->delivered += 100;
    }
}

static int fake_orphan(viv__sock *b)
{
    fake *f = (fake *)b;
    f->orphaned = 1;
    return !f->keep_orphan;
}

static void fake_release(viv__sock *b)
{
    fake *f = (fake *)b;
    (*f->released)++;
    viv__free(b->sim, f, sizeof(*f));
}

static const viv__sock_ops fake_ops = {VIV__IP_PROTO_TCP, fake_deliver, fake_orphan,
                                       fake_release};

static fake *fake_new(viv_host_t *h, viv__sock_list *list, int has_cb, int *released)
{
    viv_sim_t *sim = viv_host_sim(h);
    fake *f = viv__zalloc(sim, sizeof(*f));
    assert_non_null(f);
    f->released = released;
    f->list = list;
    assert_int_equal(viv__sock_init(&f->base, h, &fake_ops, list, has_cb), 0);
    return f;
}

static void test_sock__events_wait_for_a_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    viv__sock_list list = {NULL, NULL};
    int released = 0;
    fake *f = fake_new(h, &list, 0, &released);
    viv__sock_raise(&f->base, VIV_EV_READABLE);
    viv__sock_raise(&f->base, VIV_EV_CONNECTED);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(f->delivered, 0); /* no callback: kept */
    assert_int_equal(viv_sim_pending(sim), 0); /* and no event waits for it */
    viv__sock_set_cb(&f->base, 1);
    assert_int_equal(f->delivered, 0); /* never from inside the call */
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(f->delivered, 1);
    assert_int_equal(f->events[0], VIV_EV_READABLE | VIV_EV_CONNECTED);
    viv__sock_let_go(&f->base, &list);
    assert_int_equal(released, 1);
    assert_null(list.first);
}

static void test_sock__an_orphan_outlives_its_handle(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    viv__sock_list list = {NULL, NULL};
    int released = 0;
    fake *a = fake_new(h, &list, 1, &released);
    fake *b = fake_new(h, &list, 1, &released);
    a->keep_orphan = 1; /* a connection still closing (TIME-WAIT, say) */
    viv__sock_raise(&a->base, VIV_EV_READABLE);
    viv__sock_let_go(&a->base, &list);
    assert_true(a->orphaned);
    assert_int_equal(released, 0);
    /* Still the host's socket, in creation order, but the program hears nothing more. */
    assert_ptr_equal(list.first, &a->base);
    assert_ptr_equal(list.first->next, &b->base);
    viv__sock_raise(&a->base, VIV_EV_CLOSED);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(a->delivered, 0);
    /* The protocol ends it. */
    viv__sock_release(&a->base, &list);
    assert_int_equal(released, 1);
    assert_ptr_equal(list.first, &b->base);
    viv__sock_let_go(&b->base, &list);
    assert_int_equal(released, 2);
}

static void test_sock__freed_inside_its_own_callback(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    viv__sock_list list = {NULL, NULL};
    int released = 0;
    fake *f = fake_new(h, &list, 1, &released);
    f->free_in_cb = 1;
    viv__sock_raise(&f->base, VIV_EV_READABLE);
    assert_int_equal(viv_sim_step(sim), 1);
    /* Released once the event was over, not inside the callback. */
    assert_int_equal(released, 1);
    assert_null(list.first);
}

/* Through the public API: a UDP socket made without a callback hears, once given one, of
 * what arrived meanwhile. */
static void udp_cb(viv_udp_t *s, uint32_t ev, void *user)
{
    (void)s;
    *(uint32_t *)user |= ev;
}

static void test_sock__udp_callback_given_later(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *h;
    assert_int_equal(viv_host_new(&h, sim, NULL), 0);
    assert_int_equal(viv_host_add_iface(h, NULL), 0);
    assert_int_equal(viv_host_add_addr(h, 0, VIV_IP4(10, 0, 0, 1), 24), 0);
    viv_udp_t *rx, *tx;
    assert_int_equal(viv_udp_new(&rx, h, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_new(&tx, h, NULL, NULL, NULL), 0);
    viv_sockaddr_t at = {VIV_IP4(10, 0, 0, 1), 9};
    assert_int_equal(viv_udp_bind(rx, &at), 0);
    assert_int_equal(viv_udp_sendto(tx, "hi", 2, &at), 2);
    assert_int_equal(viv_sim_run(sim), 0);
    uint32_t seen = 0;
    assert_int_equal(viv_udp_set_cb(rx, udp_cb, &seen), 0);
    assert_int_equal(seen, 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(seen, VIV_EV_WRITABLE | VIV_EV_READABLE);
    char buf[8];
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), 2);
    assert_int_equal(viv_udp_set_cb(NULL, udp_cb, NULL), VIV_EINVAL);
    /* Regression: viv_sim_errmsg names the call that failed last. An EAGAIN from a receive
     * used to leave an earlier call's message in place. */
    viv_sockaddr_t foreign = {VIV_IP4(192, 0, 2, 1), 9};
    viv_udp_t *fresh;
    assert_int_equal(viv_udp_new(&fresh, h, NULL, NULL, NULL), 0);
    assert_int_equal(viv_udp_bind(fresh, &foreign), VIV_EADDRNOTAVAIL);
    assert_null(strstr(viv_sim_errmsg(sim), "viv_udp_recv"));
    assert_int_equal(viv_udp_recv(rx, buf, sizeof buf), VIV_EAGAIN);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_recvfrom: no datagram waiting"));
    assert_int_equal(viv_udp_peek_len(rx), VIV_EAGAIN);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_peek_len"));
    viv_sockaddr_t peer;
    assert_int_equal(viv_udp_peer(&peer, rx), VIV_ENOTCONN);
    assert_non_null(strstr(viv_sim_errmsg(sim), "viv_udp_peer"));
    /* A formatted message after a constant one replaces it. */
    assert_int_equal(viv_udp_bind(fresh, &foreign), VIV_EADDRNOTAVAIL);
    assert_null(strstr(viv_sim_errmsg(sim), "viv_udp_peer"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_sock__events_wait_for_a_callback),
        T(test_sock__an_orphan_outlives_its_handle),
        T(test_sock__freed_inside_its_own_callback),
        T(test_sock__udp_callback_given_later),
    };
#undef T
    return cmocka_run_group_tests_name("l4/sock", tests, NULL, NULL);
}
