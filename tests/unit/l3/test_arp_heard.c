/* ARP packets heard from a LAN's floods (viv__arp_heard, the host's first lines): a request
 * for another station is only counted (RFC 826: no entry for its sender, nothing to do) or
 * merged into the host's only entry; everything else takes viv__arp_input. Each scenario runs
 * twice, with nobody tracing (the packets take viv__arp_heard) and with a trace subscriber
 * (merges then take viv__arp_input, which traces them): the same tables, ages, counters,
 * frames and expiry either way, and the trace records what happened. */
#include "l3_test.h"

#define X VIV_IP4(10, 0, 0, 7)
#define Y VIV_IP4(10, 0, 0, 8)
#define ME VIV_IP4(10, 0, 0, 1)
#define OTHER VIV_IP4(10, 0, 0, 99)

/* ARP records of the trace: time, address, state (-1: removed). */
typedef struct arp_log {
    int n;
    viv_time_t t[16];
    viv_ip4_t ip[16];
    int state[16];
} arp_log;

static void arp_log_cb(const viv_trace_record *r, void *user)
{
    arp_log *l = user;
    if (r->kind != VIV_TRACE_ARP || l->n >= 16)
        return;
    l->t[l->n] = r->time;
    l->ip[l->n] = r->ip;
    l->state[l->n] = r->state;
    l->n++;
}

/* A host h (10.0.0.1/24, options o) cabled to a device that speaks for other stations. */
typedef struct world {
    viv_test_alloc a;
    viv_sim_t *sim;
    viv_host_t *h;
    l3t_dev dev;
    arp_log log;
} world;

static void world_new(world *w, const viv_host_opts *o, int traced)
{
    memset(w, 0, sizeof(*w));
    w->sim = viv_test_sim_new(&w->a, 1);
    viv_host_opts def = VIV_HOST_OPTS_INIT;
    def.name = "h";
    assert_int_equal(viv_host_new(&w->h, w->sim, o ? o : &def), 0);
    assert_int_equal(viv_host_add_iface(w->h, NULL), 0);
    l3t_addr(w->h, 0, "10.0.0.1/24");
    l3t_dev_init(&w->dev, w->sim, 7, "dev");
    l3t_link(w->sim, viv_host_port(w->h, 0), viv_device_port(w->dev.dev, 0), NULL);
    if (traced)
        assert_int_equal(viv_sim_trace(w->sim, arp_log_cb, &w->log), 0);
}

static void world_free(world *w)
{
    l3t_dev_fini(&w->dev);
    viv_test_sim_free(w->sim, &w->a);
}

/* A broadcast ARP request from (sha: l3t_mac(mac_id), spa) for tpa, sent now. */
static void request(world *w, uint32_t mac_id, viv_ip4_t spa, viv_ip4_t tpa)
{
    uint8_t f[60] = {0};
    viv_mac_t bc = l3t_bcast_mac(), z = {{0}}, sha = l3t_mac(mac_id);
    l3t_eth(f, &bc, &sha, 0x0806);
    l3t_arp(f + 14, 1, &sha, spa, &z, tpa);
    l3t_dev_send(&w->dev, f, sizeof f);
}

/* When the entry the host lists first was last confirmed, and its MAC. */
static viv_time_t confirmed_at(world *w, viv_mac_t *mac)
{
    viv_arp_entry e;
    assert_int_equal(viv_host_arp_table(w->h, &e, 1), 1);
    if (mac)
        *mac = e.mac;
    return viv_sim_now(w->sim) - e.age_ns;
}

/* Requests for another station: from a sender the host does not know (with no entry at all,
 * and with one for someone else), from an address probe (0.0.0.0); then one for the host,
 * which it learns and answers; then a request for another station from that sender with a
 * new MAC, which the host merges (MAC and confirmation time) and which moves its entry's
 * expiry: it lives 60 s from the merge. */
static void test_arp_heard__others_are_counted_and_a_known_sender_merged(void **state)
{
    (void)state;
    viv_time_t t_learn[2], t_merge[2];
    for (int traced = 0; traced < 2; traced++) {
        world w;
        world_new(&w, NULL, traced);
        request(&w, 70, X, OTHER); /* no entry at all */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(1)), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 0);
        request(&w, 70, X, ME); /* learned, answered */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(2)), 0);
        t_learn[traced] = confirmed_at(&w, NULL);
        request(&w, 80, Y, OTHER); /* an entry, not the sender's */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(3)), 0);
        request(&w, 81, VIV_IP4_ANY, OTHER); /* an address probe for someone else */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(10)), 0);
        viv_mac_t mac;
        assert_int_equal(confirmed_at(&w, &mac), t_learn[traced]);
        viv_mac_t m70 = l3t_mac(70), m71 = l3t_mac(71);
        assert_memory_equal(mac.b, m70.b, 6);
        request(&w, 71, X, OTHER); /* the known sender, with a new MAC: merged */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(11)), 0);
        t_merge[traced] = confirmed_at(&w, &mac);
        assert_true(t_merge[traced] > VIV_S(10) && t_merge[traced] < VIV_S(11));
        assert_memory_equal(mac.b, m71.b, 6);
        viv_arp_entry e;
        assert_int_equal(viv_host_arp_table(w.h, &e, 1), 1);
        assert_int_equal(e.ip, X);
        assert_int_equal(e.state, VIV_ARP_REACHABLE);
        viv_ip_stats_t st = l3t_stats(w.h);
        assert_int_equal(st.rx_frames, 5);
        assert_int_equal(st.arp_rx, 5);
        assert_int_equal(st.arp_replies, 1);
        assert_int_equal(st.arp_requests, 0);
        assert_int_equal(st.arp_bad + st.arp_conflicts + st.rx_not_mine, 0);
        assert_int_equal(w.dev.n, 1); /* the one reply */
        assert_int_equal(w.dev.f[0].info.arp_op, 2);
        /* The entry goes 60 s after the merge, not after it was learned. */
        assert_int_equal(viv_sim_run_until(w.sim, t_merge[traced] + VIV_S(60) - 1), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 1);
        assert_int_equal(l3t_stats(w.h).arp_expired, 0);
        assert_int_equal(viv_sim_run_until(w.sim, t_merge[traced] + VIV_S(60)), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 0);
        assert_int_equal(l3t_stats(w.h).arp_expired, 1);
        if (traced) { /* learned, merged, removed: nothing for the packets only counted */
            assert_int_equal(w.log.n, 3);
            assert_int_equal(w.log.t[0], t_learn[1]);
            assert_int_equal(w.log.state[0], VIV_ARP_REACHABLE);
            assert_int_equal(w.log.t[1], t_merge[1]);
            assert_int_equal(w.log.state[1], VIV_ARP_REACHABLE);
            assert_int_equal(w.log.t[2], t_merge[1] + VIV_S(60));
            assert_int_equal(w.log.state[2], -1);
            for (int i = 0; i < 3; i++)
                assert_int_equal(w.log.ip[i], X);
        } else {
            assert_int_equal(w.log.n, 0);
        }
        world_free(&w);
    }
    assert_int_equal(t_learn[0], t_learn[1]);
    assert_int_equal(t_merge[0], t_merge[1]);
}

/* The known sender's request for another station arrives at the very instant its entry
 * expires: aging comes first (the entry is gone, nothing is merged or learned); one
 * nanosecond earlier it is merged. */
static void test_arp_heard__expiry_at_the_instant_comes_first(void **state)
{
    (void)state;
    for (int traced = 0; traced < 2; traced++) {
        for (int early = 0; early < 2; early++) {
            world w;
            world_new(&w, NULL, traced);
            request(&w, 70, X, ME); /* sent at 0, learned at t0 */
            assert_int_equal(viv_sim_run_until(w.sim, VIV_S(1)), 0);
            viv_time_t t0 = confirmed_at(&w, NULL);
            /* The same link, idle: sent at 60 s (- 1 ns), it arrives at t0 + 60 s (- 1). */
            assert_int_equal(viv_sim_run_until(w.sim, VIV_S(60) - (viv_time_t)early), 0);
            request(&w, 71, X, OTHER);
            assert_int_equal(viv_sim_run_until(w.sim, VIV_S(61)), 0);
            viv_ip_stats_t st = l3t_stats(w.h);
            assert_int_equal(st.arp_rx, 2);
            if (early) {
                viv_mac_t mac, m71 = l3t_mac(71);
                assert_int_equal(confirmed_at(&w, &mac), t0 + VIV_S(60) - 1);
                assert_memory_equal(mac.b, m71.b, 6);
                assert_int_equal(st.arp_expired, 0);
            } else {
                assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 0);
                assert_int_equal(st.arp_expired, 1);
                if (traced) {
                    assert_int_equal(w.log.n, 2);
                    assert_int_equal(w.log.t[1], t0 + VIV_S(60));
                    assert_int_equal(w.log.state[1], -1);
                }
            }
            world_free(&w);
        }
    }
}

/* A host resolving a neighbour (INCOMPLETE, a packet waiting) hears the neighbour ask for
 * someone else: the merge completes the resolution and the waiting packet leaves. */
static void test_arp_heard__merge_completes_a_resolution(void **state)
{
    (void)state;
    for (int traced = 0; traced < 2; traced++) {
        world w;
        world_new(&w, NULL, traced);
        l3t_pings log;
        l3t_ping(w.h, X, 1, 0, &log);
        assert_int_equal(viv_sim_run_until(w.sim, VIV_MS(100)), 0);
        assert_int_equal(w.dev.n, 1); /* the request; the device does not answer */
        assert_int_equal(w.dev.f[0].info.arp_op, 1);
        request(&w, 70, X, OTHER);
        assert_int_equal(viv_sim_run_until(w.sim, VIV_MS(200)), 0);
        assert_int_equal(w.dev.n, 2);
        assert_int_equal(w.dev.f[1].info.ethertype, 0x0800);
        assert_int_equal(w.dev.f[1].info.icmp_type, 8);
        viv_arp_entry e;
        assert_int_equal(viv_host_arp_table(w.h, &e, 1), 1);
        assert_int_equal(e.state, VIV_ARP_REACHABLE);
        assert_int_equal(e.queued, 0);
        viv_mac_t m70 = l3t_mac(70);
        assert_memory_equal(e.mac.b, m70.b, 6);
        assert_int_equal(l3t_stats(w.h).arp_requests, 1); /* no retry */
        world_free(&w);
    }
}

/* A host with two addresses (no single address to compare with: the address filter): a
 * request for its second address is answered, one for a third station is only counted, and
 * a station claiming its address is a conflict. */
static void test_arp_heard__two_addresses(void **state)
{
    (void)state;
    for (int traced = 0; traced < 2; traced++) {
        world w;
        world_new(&w, NULL, traced);
        l3t_addr(w.h, 0, "10.0.0.2/24");
        request(&w, 70, X, VIV_IP4(10, 0, 0, 2));
        request(&w, 70, X, VIV_IP4(10, 0, 0, 3));
        request(&w, 80, Y, VIV_IP4(10, 0, 0, 3));
        request(&w, 90, VIV_IP4(10, 0, 0, 2), VIV_IP4(10, 0, 0, 3));
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(1)), 0);
        viv_ip_stats_t st = l3t_stats(w.h);
        assert_int_equal(st.rx_frames, 4);
        assert_int_equal(st.arp_rx, 4);
        assert_int_equal(st.arp_replies, 1);
        assert_int_equal(st.arp_conflicts, 1);
        assert_int_equal(w.dev.n, 1);
        viv_arp_entry e[2];
        assert_int_equal(viv_host_arp_table(w.h, e, 2), 1);
        assert_int_equal(e[0].ip, X);
        /* Back to one address: the single-address comparison again. */
        assert_int_equal(viv_host_del_addr(w.h, ME), 0);
        request(&w, 70, X, ME); /* not the host's any more */
        request(&w, 70, X, VIV_IP4(10, 0, 0, 2));
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(2)), 0);
        assert_int_equal(l3t_stats(w.h).arp_replies, 2);
        assert_int_equal(l3t_stats(w.h).arp_rx, 6);
        world_free(&w);
    }
}

/* An aging time too long to add to the clock (the entry never expires) stays so when a merge
 * moves the entry's last touch. */
static void test_arp_heard__an_entry_that_never_expires_stays(void **state)
{
    (void)state;
    for (int traced = 0; traced < 2; traced++) {
        viv_host_opts o = VIV_HOST_OPTS_INIT;
        o.name = "h";
        o.arp_gc_stale_ns = VIV_TIME_NEVER - 1;
        world w;
        world_new(&w, &o, traced);
        request(&w, 70, X, ME);
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(5)), 0);
        request(&w, 71, X, OTHER);
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(100000)), 0);
        viv_arp_entry e;
        assert_int_equal(viv_host_arp_table(w.h, &e, 1), 1);
        assert_int_equal(e.state, VIV_ARP_STALE);
        viv_mac_t m71 = l3t_mac(71);
        assert_memory_equal(e.mac.b, m71.b, 6);
        assert_int_equal(l3t_stats(w.h).arp_expired, 0);
        world_free(&w);
    }
}

/* A small table (up to VIV__ARP_KEYS_MAX entries) answers "no entry for this sender"
 * without its map: nine neighbours learned a second apart (nine: every bit set), then seven
 * once two have aged out (the filter rebuilt from the rest); each known sender heard asking
 * for another station is merged, every other one only counted. */
static void test_arp_heard__a_small_table_knows_its_senders(void **state)
{
    (void)state;
    for (int traced = 0; traced < 2; traced++) {
        world w;
        world_new(&w, NULL, traced);
        for (uint32_t i = 1; i <= 9; i++) {
            assert_int_equal(viv_sim_run_until(w.sim, VIV_S(i)), 0);
            request(&w, 100 + i, VIV_IP4(10, 0, 1, i), ME);
        }
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(20)), 0);
        assert_int_equal(viv_host_arp_table(w.h, NULL, 0), 9);
        request(&w, 109, VIV_IP4(10, 0, 1, 9), OTHER);   /* known: merged */
        request(&w, 120, VIV_IP4(10, 0, 2, 1), OTHER);   /* unknown: counted */
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(62) + VIV_MS(500)), 0);
        /* 10.0.1.1 and 10.0.1.2 have aged out (learned at 1 s and 2 s): seven remain. */
        for (uint32_t i = 3; i <= 9; i++)
            request(&w, 100 + i, VIV_IP4(10, 0, 1, i), OTHER);
        request(&w, 101, VIV_IP4(10, 0, 1, 1), OTHER); /* gone: not learned again */
        request(&w, 121, VIV_IP4(10, 0, 2, 2), OTHER);
        assert_int_equal(viv_sim_run_until(w.sim, VIV_S(63)), 0);
        viv_arp_entry e[10];
        assert_int_equal(viv_host_arp_table(w.h, e, 10), 7);
        for (uint32_t k = 0; k < 7; k++) { /* every one merged at 62.5 s */
            assert_int_equal(e[k].ip, VIV_IP4(10, 0, 1, 3 + k));
            assert_true(e[k].age_ns < VIV_MS(500));
        }
        viv_ip_stats_t st = l3t_stats(w.h);
        assert_int_equal(st.arp_rx, 9 + 2 + 9);
        assert_int_equal(st.arp_replies, 9);
        assert_int_equal(st.arp_expired, 2);
        world_free(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp_heard__others_are_counted_and_a_known_sender_merged),
        cmocka_unit_test(test_arp_heard__expiry_at_the_instant_comes_first),
        cmocka_unit_test(test_arp_heard__merge_completes_a_resolution),
        cmocka_unit_test(test_arp_heard__two_addresses),
        cmocka_unit_test(test_arp_heard__an_entry_that_never_expires_stays),
        cmocka_unit_test(test_arp_heard__a_small_table_knows_its_senders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
