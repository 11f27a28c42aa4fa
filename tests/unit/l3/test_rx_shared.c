/* A host reads a shared frame in place: a frame flooded to several hosts (a hub repeats one
 * frame to every port) is delivered to UDP from the shared bytes, with no private copy, and a
 * holder that must change the packet (a router decrementing the TTL) changes a copy of its
 * own, so that the other holders' bytes, head and length stay as they were. */
#include "l3_test.h"

#include "l3/l3.h"
#include "vivarium/hub.h"
#include "vivarium/udp.h"

static const uint8_t payload[] = "a datagram heard by three stations";

/* An Ethernet frame carrying a UDP datagram 10.0.1.9:4000 -> dst:7 with payload. */
static size_t build(uint8_t *buf, const viv_mac_t *dst_mac, viv_ip4_t dst)
{
    viv_mac_t src = l3t_mac(9);
    size_t n = l3t_eth(buf, dst_mac, &src, 0x0800);
    size_t ulen = l3t_udp(buf + n + 20, 4000, 7, payload, sizeof payload);
    n += l3t_ip(buf + n, l3t_ip4("10.0.1.9"), dst, 17, 64, ulen, 0);
    return n + ulen;
}

static viv_udp_t *sock7(viv_host_t *h)
{
    viv_udp_t *s = NULL;
    assert_int_equal(viv_udp_new(&s, h, NULL, NULL, NULL), 0);
    viv_sockaddr_t a = {VIV_IP4_ANY, 7};
    assert_int_equal(viv_udp_bind(s, &a), 0);
    return s;
}

static void expect_datagram(viv_udp_t *s)
{
    uint8_t got[128];
    viv_sockaddr_t from;
    assert_int_equal(viv_udp_recvfrom(s, got, sizeof got, &from, NULL), (int)sizeof payload);
    assert_memory_equal(got, payload, sizeof payload);
    assert_int_equal(from.ip, l3t_ip4("10.0.1.9"));
    assert_int_equal(from.port, 4000);
}

static size_t frames_live(viv_sim_t *sim)
{
    viv__frame_pool_stats st;
    viv__frame_pool_stats_get(&st, sim);
    return st.live;
}

/* One frame held by three receivers: two hosts that queue the datagram in place and, between
 * them, a router that forwards it (and so writes the TTL and the header checksum). */
static void test_rx_shared__a_writer_changes_its_own_copy(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_host_t *b = l3t_host(sim, "b", 1), *c = l3t_host(sim, "c", 1);
    viv_host_t *r = l3t_router(sim, "r", 2);
    l3t_addr(b, 0, "10.0.0.2/24");
    l3t_addr(c, 0, "10.0.0.2/24"); /* the same station twice: both accept the datagram */
    l3t_addr(r, 0, "10.0.0.1/24");
    l3t_addr(r, 1, "10.0.1.1/24");
    viv_udp_t *sb = sock7(b), *sc = sock7(c);

    uint8_t bytes[128];
    viv_mac_t to = l3t_host_mac(b, 0);
    size_t n = build(bytes, &to, l3t_ip4("10.0.0.2"));
    viv__frame *f = viv__frame_from(sim, 64, bytes, (uint32_t)n);
    assert_non_null(f);
    viv__frame_ref(viv__frame_ref(f)); /* three holders, as a hub's three repeats */
    uint32_t head = f->head, len = f->len;
    size_t live = frames_live(sim);

    viv__ip_input(b, 0, 0, f); /* queued in place: no copy */
    assert_int_equal(frames_live(sim), live);
    viv__ip_input(r, 0, 0, f); /* forwarded: a copy of its own, TTL 63 */
    assert_int_equal(l3t_stats(r).ip_forwarded, 1);
    viv__ip_input(c, 0, 0, f);
    /* The shared frame is as it came: bytes, head and length. */
    assert_int_equal(f->refs, 2); /* b's and c's queues */
    assert_int_equal(f->head, head);
    assert_int_equal(f->len, len);
    assert_memory_equal(viv__frame_bytes(f), bytes, n);
    assert_int_equal(viv__frame_bytes(f)[L3T_ETH + 8], 64);

    expect_datagram(sb);
    expect_datagram(sc);
    viv_sim_run(sim);
    viv_udp_free(sb);
    viv_udp_free(sc);
}

/* A hub's broadcast: every host queues the one frame the hub repeated; nobody copies it. */
static void test_rx_shared__hub_broadcast_queued_without_copies(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_hub_t *hub = NULL;
    assert_int_equal(viv_hub_new(&hub, sim, 4, NULL), 0);
    l3t_dev d;
    l3t_dev_init(&d, sim, 1, "dev");
    l3t_link(sim, viv_device_port(d.dev, 0), viv_hub_port(hub, 0), NULL);
    viv_host_t *h[3];
    viv_udp_t *s[3];
    const char *names[3] = {"h1", "h2", "h3"},
               *addrs[3] = {"10.0.0.1/24", "10.0.0.2/24", "10.0.0.3/24"};
    for (int i = 0; i < 3; i++) {
        h[i] = l3t_host(sim, names[i], 1);
        l3t_addr(h[i], 0, addrs[i]);
        l3t_link(sim, viv_host_port(h[i], 0), viv_hub_port(hub, (uint32_t)i + 1), NULL);
        s[i] = sock7(h[i]);
    }
    uint8_t bytes[128];
    viv_mac_t bc = l3t_bcast_mac();
    size_t n = build(bytes, &bc, l3t_ip4("10.0.0.255"));
    l3t_dev_send(&d, bytes, n);
    viv_sim_run(sim);
    /* One frame in use: the hub's, held by the three queues. */
    assert_int_equal(frames_live(sim), 1);
    for (int i = 0; i < 3; i++) {
        viv_udp_stats_t st;
        assert_int_equal(viv_udp_stats(&st, s[i]), 0);
        assert_int_equal(st.rx_datagrams, 1);
        expect_datagram(s[i]);
        viv_udp_free(s[i]);
    }
    assert_int_equal(frames_live(sim), 0);
    l3t_dev_fini(&d);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_rx_shared__a_writer_changes_its_own_copy),
        T(test_rx_shared__hub_broadcast_queued_without_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
