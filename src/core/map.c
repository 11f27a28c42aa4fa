#include "map.h"

#include "core.h"

static uint32_t map_home(const viv__map *m, viv__mkey key)
{
    return (uint32_t)viv__mkey_hash(key) & (m->cap - 1);
}

void viv__map_init(viv__map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void viv__map_fini(viv_sim_t *sim, viv__map *m)
{
    viv__free(sim, m->slots, (size_t)m->cap * sizeof(*m->slots));
    viv__map_init(m);
}

void *viv__map_get(const viv__map *m, viv__mkey key)
{
    if (!m->len)
        return NULL;
    for (uint32_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
        const viv__map_slot *s = &m->slots[i];
        if (!s->val)
            return NULL;
        if (viv__mkey_eq(s->key, key))
            return s->val;
    }
}

static void map_place(viv__map *m, viv__mkey key, void *val)
{
    uint32_t i = map_home(m, key);
    while (m->slots[i].val)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->slots[i].val = val;
}

/* Whether n keys fit under the load bound of 3/4. */
static int map_fits(const viv__map *m, uint64_t n)
{
    return n * 4 <= (uint64_t)m->cap * 3;
}

static int map_grow(viv_sim_t *sim, viv__map *m, uint64_t n)
{
    uint64_t ncap = m->cap ? m->cap : 4; /* most maps hold a key or two: 96 bytes, not 384 */
    while (n * 4 > ncap * 3)
        ncap *= 2;
    if (ncap > (UINT64_C(1) << 31))
        return VIV_ENOMEM;
    viv__map_slot *ns = viv__zalloc(sim, (size_t)ncap * sizeof(*ns));
    if (!ns)
        return VIV_ENOMEM;
    viv__map old = *m;
    m->slots = ns;
    m->cap = (uint32_t)ncap;
    for (uint32_t i = 0; i < old.cap; i++)
        if (old.slots[i].val)
            map_place(m, old.slots[i].key, old.slots[i].val);
    viv__free(sim, old.slots, (size_t)old.cap * sizeof(*old.slots));
    return 0;
}

int viv__map_reserve(viv_sim_t *sim, viv__map *m, uint32_t n)
{
    return map_fits(m, n) ? 0 : map_grow(sim, m, n);
}

int viv__map_put(viv_sim_t *sim, viv__map *m, viv__mkey key, void *val)
{
    if (m->len) {
        for (uint32_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
            viv__map_slot *s = &m->slots[i];
            if (!s->val)
                break;
            if (viv__mkey_eq(s->key, key)) {
                s->val = val;
                return 0;
            }
        }
    }
    if (!map_fits(m, (uint64_t)m->len + 1) && map_grow(sim, m, (uint64_t)m->len + 1) < 0)
        return VIV_ENOMEM;
    map_place(m, key, val);
    m->len++;
    return 0;
}

void *viv__map_del(viv__map *m, viv__mkey key)
{
    if (!m->len)
        return NULL;
    uint32_t mask = m->cap - 1;
    uint32_t i = map_home(m, key);
    for (;; i = (i + 1) & mask) {
        if (!m->slots[i].val)
            return NULL;
        if (viv__mkey_eq(m->slots[i].key, key))
            break;
    }
    void *val = m->slots[i].val;
    /* Backward shift: move later members of the run into the hole when their home allows,
     * so that lookups never need tombstones. */
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        viv__map_slot *t = &m->slots[j];
        if (!t->val)
            break;
        uint32_t home = map_home(m, t->key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = *t;
            i = j;
        }
    }
    m->slots[i].val = NULL;
    m->len--;
    return val;
}
