/* The hash map with 128-bit keys: both halves count, deletion keeps every run reachable, a
 * failed growth changes nothing, a reservation makes later insertions infallible, and the
 * hash spreads the keys demultiplexing uses (4-tuples, ports, ARP keys). */
#include "viv_test.h"

#include <string.h>

#include "core/core.h"
#include "core/map.h"

static viv_test_alloc *test_alloc(void **state) { return &((viv_test_fixture *)*state)->alloc; }

/* A value that is never NULL for key number i. */
static void *val_of(uint32_t i) { return (void *)(uintptr_t)(i + 1); }

static void test_map__put_get_replace_delete(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv__map m;
    viv__map_init(&m);
    viv__mkey k = {7, 9};
    assert_null(viv__map_get(&m, k)); /* an empty map has no table */
    assert_null(viv__map_del(&m, k));
    assert_int_equal(viv__map_put(sim, &m, k, val_of(1)), 0);
    assert_int_equal(m.len, 1);
    assert_ptr_equal(viv__map_get(&m, k), val_of(1));
    assert_int_equal(viv__map_put(sim, &m, k, val_of(2)), 0); /* replace */
    assert_int_equal(m.len, 1);
    assert_ptr_equal(viv__map_get(&m, k), val_of(2));
    assert_ptr_equal(viv__map_del(&m, k), val_of(2));
    assert_int_equal(m.len, 0);
    assert_null(viv__map_get(&m, k));
    assert_null(viv__map_del(&m, k));
    viv__map_fini(sim, &m);
    assert_int_equal(m.cap, 0);
}

/* Keys equal in one half and different in the other are different keys; a 4-tuple and its
 * mirror image are different keys; the 64-bit helper is the low half. */
static void test_map__both_halves_count(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    const viv__mkey keys[] = {
        {0, 5},
        {1, 5},
        {UINT64_C(1) << 63, 5},
        {5, 0},
        {5, 1},
        viv__mkey_tuple(VIV_IP4(10, 0, 0, 1), 80, VIV_IP4(10, 0, 0, 2), 49152),
        viv__mkey_tuple(VIV_IP4(10, 0, 0, 2), 49152, VIV_IP4(10, 0, 0, 1), 80),
        viv__mkey_tuple(VIV_IP4(10, 0, 0, 1), 49152, VIV_IP4(10, 0, 0, 2), 80),
        viv__mkey_tuple(VIV_IP4(10, 0, 0, 1), 80, VIV_IP4(10, 0, 0, 3), 49152),
        viv__mkey_tuple(VIV_IP4(10, 0, 0, 1), 80, 0, 0),
        viv__mkey_tuple(0, 80, 0, 0),
    };
    const size_t n = sizeof keys / sizeof keys[0];
    viv__map m;
    viv__map_init(&m);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(viv__map_put(sim, &m, keys[i], val_of((uint32_t)i)), 0);
    assert_int_equal(m.len, n);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(viv__map_get(&m, keys[i]), val_of((uint32_t)i));
    viv__mkey u = viv__mkey_u64(5);
    assert_true(viv__mkey_eq(u, keys[0]));
    assert_false(viv__mkey_eq(keys[0], keys[3]));
    viv__map_fini(sim, &m);
}

/* Keys that share a home slot in a 16-slot table, for probing and backward-shift tests. */
static size_t colliding_keys(viv__mkey *out, size_t n, uint32_t home)
{
    size_t k = 0;
    for (uint64_t i = 0; k < n && i < 100000; i++) {
        viv__mkey key = {i * 3, i}; /* both halves vary */
        if ((viv__mkey_hash(key) & 15u) == home)
            out[k++] = key;
    }
    return k;
}

/* Deleting from the middle of a run (and across the end of the table) leaves every other
 * member reachable and the map consistent. */
static void test_map__deletion_keeps_runs_reachable(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    for (uint32_t home = 13; home < 16; home++) { /* runs that wrap past the last slot */
        viv__mkey keys[6];
        assert_int_equal(colliding_keys(keys, 6, home), 6);
        for (size_t del = 0; del < 6; del++) {
            viv__map m;
            viv__map_init(&m);
            assert_int_equal(viv__map_reserve(sim, &m, 12), 0); /* 16 slots (a new map: 4) */
            for (uint32_t i = 0; i < 6; i++)
                assert_int_equal(viv__map_put(sim, &m, keys[i], val_of(i)), 0);
            assert_int_equal(m.cap, 16); /* 6 keys: no growth, one run */
            assert_ptr_equal(viv__map_del(&m, keys[del]), val_of((uint32_t)del));
            for (uint32_t i = 0; i < 6; i++)
                assert_ptr_equal(viv__map_get(&m, keys[i]), i == del ? NULL : val_of(i));
            /* Every stored key sits in its run: no empty slot between its home and it. */
            for (uint32_t s = 0; s < m.cap; s++) {
                if (!m.slots[s].val)
                    continue;
                uint32_t h = (uint32_t)viv__mkey_hash(m.slots[s].key) & (m.cap - 1);
                for (uint32_t j = h; j != s; j = (j + 1) & (m.cap - 1))
                    assert_non_null(m.slots[j].val);
            }
            viv__map_fini(sim, &m);
        }
    }
}

/* A deterministic mixture of insertions, replacements and deletions against a reference
 * array: the map always answers as the array does. */
static void test_map__agrees_with_a_reference(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    enum { UNIVERSE = 700, OPS = 40000 };
    static void *ref[UNIVERSE];
    memset(ref, 0, sizeof ref);
    viv__map m;
    viv__map_init(&m);
    uint64_t x = UINT64_C(0x243f6a8885a308d3);
    uint32_t live = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t i = (uint32_t)(x % UNIVERSE);
        /* Key i: a 4-tuple whose parts all depend on i, so both halves vary. */
        viv__mkey k = viv__mkey_tuple(VIV_IP4(10, 0, i & 3, 1), (uint16_t)(80 + (i & 7)),
                                      VIV_IP4(10, 1, (i >> 3) & 255, 2), (uint16_t)(49152 + i));
        if ((x >> 32) % 3 == 0) {
            assert_ptr_equal(viv__map_del(&m, k), ref[i]);
            if (ref[i])
                live--;
            ref[i] = NULL;
        } else {
            void *v = val_of(op);
            assert_int_equal(viv__map_put(sim, &m, k, v), 0);
            if (!ref[i])
                live++;
            ref[i] = v;
        }
        assert_int_equal(m.len, live);
        if (op % 4000 == 0)
            for (uint32_t j = 0; j < UNIVERSE; j++) {
                viv__mkey kj = viv__mkey_tuple(VIV_IP4(10, 0, j & 3, 1), (uint16_t)(80 + (j & 7)),
                                               VIV_IP4(10, 1, (j >> 3) & 255, 2),
                                               (uint16_t)(49152 + j));
                assert_ptr_equal(viv__map_get(&m, kj), ref[j]);
            }
    }
    assert_true(m.len * 4 <= m.cap * 3);
    viv__map_fini(sim, &m);
}

/* A growth that cannot allocate returns VIV_ENOMEM and leaves the map as it was. */
static void test_map__failed_growth_changes_nothing(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *a = test_alloc(state);
    viv__map m;
    viv__map_init(&m);
    for (uint32_t i = 0; i < 12; i++) /* 12 of 16: the next one grows the table */
        assert_int_equal(viv__map_put(sim, &m, viv__mkey_u64(i), val_of(i)), 0);
    assert_int_equal(m.cap, 16);
    a->fail_at = a->calls + 1;
    a->fail_all_after = 1;
    assert_int_equal(viv__map_put(sim, &m, viv__mkey_u64(12), val_of(12)), VIV_ENOMEM);
    assert_int_equal(viv__map_reserve(sim, &m, 13), VIV_ENOMEM);
    assert_int_equal(m.len, 12);
    assert_int_equal(m.cap, 16);
    for (uint32_t i = 0; i < 12; i++)
        assert_ptr_equal(viv__map_get(&m, viv__mkey_u64(i)), val_of(i));
    assert_null(viv__map_get(&m, viv__mkey_u64(12)));
    /* Replacing a present key needs no memory. */
    assert_int_equal(viv__map_put(sim, &m, viv__mkey_u64(3), val_of(33)), 0);
    assert_ptr_equal(viv__map_get(&m, viv__mkey_u64(3)), val_of(33));
    a->fail_at = 0;
    a->fail_all_after = 0;
    assert_int_equal(viv__map_put(sim, &m, viv__mkey_u64(12), val_of(12)), 0);
    assert_int_equal(m.cap, 32);
    viv__map_fini(sim, &m);
}

/* After viv__map_reserve(n), inserting up to n keys never allocates. */
static void test_map__reserve_makes_insertion_infallible(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    viv_test_alloc *a = test_alloc(state);
    viv__map m;
    viv__map_init(&m);
    assert_int_equal(viv__map_reserve(sim, &m, 0), 0);
    assert_int_equal(m.cap, 0);
    assert_int_equal(viv__map_reserve(sim, &m, 100), 0);
    assert_int_equal(m.cap, 256); /* the smallest power of two with 100 under 3/4 */
    assert_int_equal(viv__map_reserve(sim, &m, 100), 0); /* already there: nothing */
    a->fail_at = a->calls + 1;
    a->fail_all_after = 1;
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(viv__map_put(sim, &m, viv__mkey_tuple(i, 1, i, 2), val_of(i)), 0);
    assert_int_equal(a->failures, 0);
    for (uint32_t i = 100; i < 192; i++) /* 192 is 3/4 of 256: still no growth */
        assert_int_equal(viv__map_put(sim, &m, viv__mkey_tuple(i, 1, i, 2), val_of(i)), 0);
    assert_int_equal(a->failures, 0);
    assert_int_equal(viv__map_put(sim, &m, viv__mkey_tuple(192, 1, 192, 2), val_of(192)),
                     VIV_ENOMEM); /* the 193rd needs 512 slots */
    a->fail_at = 0;
    a->fail_all_after = 0;
    assert_int_equal(m.len, 192);
    viv__map_fini(sim, &m);
}

/* The longest and the mean distance of a stored key from its home slot. */
static void probe_lengths(const viv__map *m, uint32_t *max_out, double *mean_out)
{
    uint32_t max = 0;
    uint64_t sum = 0;
    for (uint32_t s = 0; s < m->cap; s++) {
        if (!m->slots[s].val)
            continue;
        uint32_t h = (uint32_t)viv__mkey_hash(m->slots[s].key) & (m->cap - 1);
        uint32_t d = (s - h) & (m->cap - 1);
        if (d > max)
            max = d;
        sum += d;
    }
    *max_out = max;
    *mean_out = m->len ? (double)sum / m->len : 0;
}

/* The key families demultiplexing uses land spread out: a server's connections (one local
 * address and port, clients on a /16 with ephemeral ports), keys that differ only in the
 * high half's top bits, ARP keys (interface << 32 | address), and ports. With linear probing
 * at a load under 3/4, a good hash keeps the mean distance near 1 and the longest short. */
static void test_map__hash_spreads_demux_keys(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    for (int family = 0; family < 4; family++) {
        viv__map m;
        viv__map_init(&m);
        for (uint32_t i = 0; i < 6000; i++) {
            viv__mkey k;
            switch (family) {
            case 0:
                k = viv__mkey_tuple(VIV_IP4(10, 0, 0, 1), 80, VIV_IP4(10, 1, 0, 0) + i / 7,
                                    (uint16_t)(49152 + i % 7));
                break;
            case 1:
                k = (viv__mkey){(uint64_t)i << 40, 443};
                break;
            case 2:
                k = viv__mkey_u64((uint64_t)(i & 7) << 32 | (VIV_IP4(10, 0, 0, 0) + (i >> 3)));
                break;
            default:
                k = viv__mkey_u64(i * 4u); /* ports, every fourth */
                break;
            }
            assert_int_equal(viv__map_put(sim, &m, k, val_of(i)), 0);
        }
        uint32_t max;
        double mean;
        probe_lengths(&m, &max, &mean);
        print_message("family %d: mean %.3f max %u\n", family, mean, max);
        assert_int_equal(m.cap, 8192);
        assert_true(mean < 2.0);
        assert_true(max < 128);
        viv__map_fini(sim, &m);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_map__put_get_replace_delete),
        T(test_map__both_halves_count),
        T(test_map__deletion_keeps_runs_reachable),
        T(test_map__agrees_with_a_reference),
        T(test_map__failed_growth_changes_nothing),
        T(test_map__reserve_makes_insertion_infallible),
        T(test_map__hash_spreads_demux_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
