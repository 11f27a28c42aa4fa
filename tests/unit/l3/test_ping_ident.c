/* ICMP echo identifiers when a host runs out of them: 65,536 pings at once fill every
 * identifier (counted exactly, in the host's order), the next ping or traceroute is refused
 * with VIV_EAGAIN and its message, a freed identifier is the one the next start gets, chosen
 * identifiers in use are refused with VIV_EADDRINUSE (every one of them checked), and the
 * host's choice skips claimed identifiers across the whole range, 0 included. These tests
 * start hundreds of thousands of pings: they are a check that a start does not walk the
 * host's other pings. */
#include "l3_test.h"

#define NIDENT 65536u

static const char *const ping_full = "viv_ping_start: every ICMP echo identifier of the host is "
                                     "in use";
static const char *const tr_full = "viv_traceroute_start: every ICMP echo identifier of the "
                                   "host is in use";

/* h1 (10.0.0.1) -- h2 (10.0.0.2), the link captured. */
typedef struct pair {
    viv_host_t *h1, *h2;
    l3t_cap cap;
} pair;

static void pair_build(pair *p, viv_sim_t *sim)
{
    p->h1 = l3t_host(sim, "h1", 1);
    p->h2 = l3t_host(sim, "h2", 1);
    l3t_addr(p->h1, 0, "10.0.0.1/24");
    l3t_addr(p->h2, 0, "10.0.0.2/24");
    viv_link_t *l = l3t_link(sim, viv_host_port(p->h1, 0), viv_host_port(p->h2, 0), NULL);
    l3t_cap_start(&p->cap, sim, l);
}

/* A one-request ping from h to dst with identifier ident (0: the host's choice). */
static int ping_to(viv_ping_t **out, viv_host_t *h, viv_ip4_t dst, uint16_t ident)
{
    viv_ping_opts o = VIV_PING_OPTS_INIT;
    o.count = 1;
    o.ident = ident;
    return viv_ping_start(out, h, dst, &o, NULL, NULL);
}

static int ping1(viv_ping_t **out, viv_host_t *h, uint16_t ident)
{
    return ping_to(out, h, VIV_IP4(10, 0, 0, 2), ident);
}

static int trace1(viv_traceroute_t **out, viv_host_t *h)
{
    viv_traceroute_opts o = VIV_TRACEROUTE_OPTS_INIT;
    o.max_hops = 1;
    o.probes = 1;
    return viv_traceroute_start(out, h, VIV_IP4(10, 0, 0, 2), &o, NULL, NULL);
}

static void assert_errmsg(viv_sim_t *sim, const char *want)
{
    const char *got = viv_sim_errmsg(sim);
    if (!strstr(got, want))
        fail_msg("error message \"%s\", wanted \"%s\"", got, want);
}

/* The chosen identifier id is in use: refused, and said so. */
static void assert_claim_in_use(viv_sim_t *sim, viv_host_t *h, uint16_t id)
{
    int rc = ping1(NULL, h, id);
    if (rc != VIV_EADDRINUSE)
        fail_msg("a ping with identifier %u: %d (%s), wanted VIV_EADDRINUSE", (unsigned)id, rc,
                 viv_err_name(rc));
    char want[96];
    snprintf(want, sizeof want, "viv_ping_start: identifier %u is in use", (unsigned)id);
    assert_errmsg(sim, want);
}

/* Every identifier the host has is refused, ping and traceroute alike. */
static void assert_full(viv_sim_t *sim, viv_host_t *h)
{
    assert_int_equal(ping1(NULL, h, 0), VIV_EAGAIN);
    assert_errmsg(sim, ping_full);
    assert_int_equal(trace1(NULL, h), VIV_EAGAIN);
    assert_errmsg(sim, tr_full);
}

/* 65,536 pings at once: identifiers c0, c0 + 1, ... (modulo 65,536) in start order, then
 * none left; a freed identifier goes to the next start, ping or traceroute. */
static void test_ping_ident__all_in_use_then_one_freed(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_build(&p, sim);
    viv_ping_t **pings = calloc(NIDENT, sizeof(*pings));
    assert_non_null(pings);
    /* The host's first choice, read on the wire: c0. */
    assert_int_equal(ping1(&pings[0], p.h1, 0), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    const uint16_t c0 = l3t_cap_echo_ident(&p.cap, 0);
    /* Fill: exactly 65,536 pings start (the first included), the next is refused. */
    uint32_t n = 1;
    int rc = 0;
    while (n <= NIDENT && (rc = ping1(n < NIDENT ? &pings[n] : NULL, p.h1, 0)) == 0)
        n++;
    assert_int_equal(n, NIDENT);
    assert_int_equal(rc, VIV_EAGAIN);
    assert_errmsg(sim, ping_full);
    assert_full(sim, p.h1);
    /* The first and the last the host chose, refused as chosen identifiers too. */
    if (c0)
        assert_claim_in_use(sim, p.h1, c0);
    if ((uint16_t)(c0 - 1u))
        assert_claim_in_use(sim, p.h1, (uint16_t)(c0 - 1u));
    assert_full(sim, p.h1);

    /* Ping k freed: its identifier, c0 + k, is the only one free (every other chosen one is
     * refused), and the host's next choice takes it. */
    uint32_t k = 30000;
    if ((uint16_t)(c0 + k) == 0)
        k++;
    const uint16_t idk = (uint16_t)(c0 + k);
    viv_ping_free(pings[k]);
    for (uint32_t id = 1; id < NIDENT; id++)
        if (id != idk)
            assert_claim_in_use(sim, p.h1, (uint16_t)id);
    assert_int_equal(ping1(&pings[k], p.h1, 0), 0);
    assert_claim_in_use(sim, p.h1, idk);
    assert_full(sim, p.h1);
    /* Freed again: a program may choose it. */
    viv_ping_free(pings[k]);
    assert_int_equal(ping1(&pings[k], p.h1, idk), 0);
    assert_full(sim, p.h1);
    /* Freed and started 1,000 times more: each time the one free identifier is just behind
     * the host's counter (idk + 1), and the choice goes round all the others to find it. */
    for (int r = 0; r < 1000; r++) {
        viv_ping_free(pings[k]);
        assert_int_equal(ping1(&pings[k], p.h1, 0), 0);
    }
    assert_claim_in_use(sim, p.h1, idk);
    assert_full(sim, p.h1);
    /* A traceroute gets a freed identifier the same way. */
    uint32_t j = k + 1;
    if ((uint16_t)(c0 + j) == 0)
        j++;
    const uint16_t idj = (uint16_t)(c0 + j);
    viv_ping_free(pings[j]);
    pings[j] = NULL;
    viv_traceroute_t *t = NULL;
    assert_int_equal(trace1(&t, p.h1), 0);
    assert_claim_in_use(sim, p.h1, idj);
    assert_full(sim, p.h1);
    /* Another host has identifiers of its own. */
    assert_int_equal(ping1(NULL, p.h2, idk), 0);
    assert_int_equal(ping1(NULL, p.h2, 0), 0);

    /* Every other ping freed by the program: the host's next choices go on from its counter
     * (after idj), not back to the lowest or the latest freed identifier. */
    for (uint32_t i = 0; i < NIDENT; i += 2) {
        viv_ping_free(pings[i]);
        pings[i] = NULL;
    }
    viv_traceroute_free(t);
    uint32_t next = j + 1 + ((j + 1) & 1); /* the first even one after j */
    for (uint32_t r = 0; r < 2; r++) {
        assert_int_equal(ping1(NULL, p.h1, 0), 0);
        if ((uint16_t)(c0 + next + 2 * r))
            assert_claim_in_use(sim, p.h1, (uint16_t)(c0 + next + 2 * r));
    }
    if ((uint16_t)(c0 + next + 4))
        assert_int_equal(ping1(NULL, p.h1, (uint16_t)(c0 + next + 4)), 0); /* still free */
    assert_int_equal(ping1(NULL, p.h1, idj), 0); /* free, behind the counter */
    /* The rest go with the host (and the simulation): nothing leaks (the teardown). */
    viv_host_free(p.h1);
    assert_int_equal(viv_sim_run(sim), 0);
    free(pings);
    l3t_cap_fini(&p.cap);
}

/* Choose the identifiers after `from` (from + 1, ...) for pings to an address with no
 * route (so that they put nothing on the wire), until len are chosen or 0 comes (no program
 * can choose 0). Returns the host's next choice then: the first after them, or 0. */
static uint16_t choose_run(viv_host_t *h, uint16_t from, uint32_t len)
{
    for (uint32_t i = 1;; i++) {
        uint16_t id = (uint16_t)(from + i);
        if (i > len || id == 0)
            return id;
        assert_int_equal(ping_to(NULL, h, VIV_IP4(10, 9, 9, 9), id), 0);
    }
}

/* The host's choices go on from its counter over identifiers the program chose, with few
 * pings and with many, and find the last free ones wherever they are (0 included, which no
 * program can choose). */
static void test_ping_ident__host_skips_chosen_identifiers(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    pair p;
    pair_build(&p, sim);
    viv_ping_t *a = NULL, *b1 = NULL, *b2 = NULL;
    assert_int_equal(ping1(&a, p.h1, 0), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    const uint16_t c0 = l3t_cap_echo_ident(&p.cap, 0);
    /* 99 chosen after c0, the host's next choice, 500 chosen after that (the host then has
     * more than 256 pings), the host's next: each time the first after the run. */
    const uint16_t want1 = choose_run(p.h1, c0, 99);
    assert_int_equal(ping1(&b1, p.h1, 0), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l3t_cap_echo_ident(&p.cap, 1), want1);
    const uint16_t want = choose_run(p.h1, want1, 500);
    assert_int_equal(ping1(&b2, p.h1, 0), 0);
    assert_int_equal(viv_sim_run(sim), 0);
    assert_int_equal(l3t_cap_echo_ident(&p.cap, 2), want);
    /* Every identifier a program can choose, chosen, but m: c0 to want (in use) are
     * refused, the rest accepted. */
    uint16_t m = (uint16_t)(c0 + 20000u);
    if (!m)
        m++;
    const uint32_t held = (uint16_t)(want - c0); /* c0 .. want are in use */
    for (uint32_t id = 1; id < NIDENT; id++) {
        if (id == m)
            continue;
        int rc = ping1(NULL, p.h1, (uint16_t)id);
        if ((uint16_t)(id - c0) <= held)
            assert_int_equal(rc, VIV_EADDRINUSE);
        else if (rc != 0)
            fail_msg("a ping with the free identifier %u: %d (%s)", (unsigned)id, rc,
                     viv_err_name(rc));
    }
    /* Left for the host: m, and 0 unless one of its choices was 0; taken in its order,
     * from want + 1 on. */
    if ((uint16_t)(0u - c0) > held) {
        const uint16_t from = (uint16_t)(want + 1u);
        const int m_first = (uint16_t)(m - from) < (uint16_t)(0u - from);
        assert_int_equal(ping1(NULL, p.h1, 0), 0);
        if (m_first) {
            assert_claim_in_use(sim, p.h1, m);
            assert_int_equal(trace1(NULL, p.h1), 0); /* 0 */
        } else {
            assert_int_equal(ping1(NULL, p.h1, m), 0); /* the host took 0: m was free */
        }
    } else {
        assert_int_equal(trace1(NULL, p.h1), 0); /* m */
        assert_claim_in_use(sim, p.h1, m);
    }
    assert_full(sim, p.h1);
    viv_ping_free(a);
    viv_ping_free(b1);
    viv_ping_free(b2);
    l3t_cap_fini(&p.cap);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_ping_ident__all_in_use_then_one_freed),
        T(test_ping_ident__host_skips_chosen_identifiers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
