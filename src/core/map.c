#include "map.h"

#include "core.h"

static uint32_t map_home(const viv__map *m, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
    h ^= h >> 31;
    return (uint32_t)h & (m->cap - 1);
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

void *viv__map_get(const viv__map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (uint32_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
        const viv__map_slot *s = &m->slots[i];
        if (!s->val)
            return NULL;
        if (s->key == key)
            return s->val;
    }
}

static void map_place(viv__map *m, uint64_t key, void *val)
{
    uint32_t i = map_home(m, key);
    while (m->slots[i].val)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->slots[i].val = val;
}

int viv__map_put(viv_sim_t *sim, viv__map *m, uint64_t key, void *val)
{
    if (m->cap) {
        for (uint32_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
            viv__map_slot *s = &m->slots[i];
            if (!s->val)
                break;
            if (s->key == key) {
                s->val = val;
                return 0;
            }
        }
    }
    if ((m->len + 1) * 4 > m->cap * 3) { /* keep the load under 3/4 */
        uint32_t ncap = m->cap ? m->cap * 2 : 16;
        viv__map_slot *ns = viv__zalloc(sim, (size_t)ncap * sizeof(*ns));
        if (!ns)
            return VIV_ENOMEM;
        viv__map old = *m;
        m->slots = ns;
        m->cap = ncap;
        for (uint32_t i = 0; i < old.cap; i++)
            if (old.slots[i].val)
                map_place(m, old.slots[i].key, old.slots[i].val);
        viv__free(sim, old.slots, (size_t)old.cap * sizeof(*old.slots));
    }
    map_place(m, key, val);
    m->len++;
    return 0;
}

void *viv__map_del(viv__map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    uint32_t mask = m->cap - 1;
    uint32_t i = map_home(m, key);
    for (;; i = (i + 1) & mask) {
        if (!m->slots[i].val)
            return NULL;
        if (m->slots[i].key == key)
            break;
    }
    void *val = m->slots[i].val;
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
