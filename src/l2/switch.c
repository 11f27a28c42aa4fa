/* Learning switches. The MAC table is an open-addressing hash table (linear probing,
 * backward-shift deletion) that grows up to the configured capacity. Hashing only finds
 * entries: every listing is sorted, so nothing depends on hash order. Aging is lazy: an entry
 * older than the aging time is treated as absent and removed when next touched. */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "l2.h"
#include "vivarium/trace.h"
#include "vivarium/switch.h"

typedef struct macslot {
    uint64_t key; /* MAC as 48 bits, plus bit 63 set when the slot is used */
    uint32_t port;
    viv_time_t seen;
} macslot;

#define USED (UINT64_C(1) << 63)

struct viv_switch {
    struct viv_node node;
    viv_time_t aging;
    uint32_t capacity;
    macslot *slots;
    uint32_t nslots; /* power of two */
    uint32_t count;
    viv_switch_stats_t st;
};

static uint32_t slot_of(const struct viv_switch *sw, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
    return (uint32_t)(h >> 32) & (sw->nslots - 1);
}

static macslot *table_find(struct viv_switch *sw, uint64_t key)
{
    if (!sw->nslots)
        return NULL;
    for (uint32_t i = slot_of(sw, key);; i = (i + 1) & (sw->nslots - 1)) {
        macslot *s = &sw->slots[i];
        if (!(s->key & USED))
            return NULL;
        if (s->key == key)
            return s;
    }
}

static void table_remove(struct viv_switch *sw, macslot *s)
{
    uint32_t mask = sw->nslots - 1;
    uint32_t i = (uint32_t)(s - sw->slots);
    /* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        macslot *t = &sw->slots[j];
        if (!(t->key & USED))
            break;
        uint32_t home = slot_of(sw, t->key);
        /* t may move to i if its home is not in the cyclic range (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            sw->slots[i] = *t;
            i = j;
        }
    }
    sw->slots[i].key = 0;
    sw->count--;
}

static int expired(const struct viv_switch *sw, const macslot *s)
{
    return sw->node.sim->now - s->seen >= sw->aging;
}

static int table_grow(struct viv_switch *sw)
{
    uint32_t n = sw->nslots ? sw->nslots * 2 : 64;
    macslot *ns = viv__zalloc(sw->node.sim, n * sizeof(*ns));
    if (!ns)
        return VIV_ENOMEM;
    macslot *old = sw->slots;
    uint32_t oldn = sw->nslots;
    sw->slots = ns;
    sw->nslots = n;
    for (uint32_t k = 0; k < oldn; k++) {
        if (!(old[k].key & USED))
            continue;
        uint32_t i = slot_of(sw, old[k].key);
        while (ns[i].key & USED)
            i = (i + 1) & (n - 1);
        ns[i] = old[k];
    }
    viv__free(sw->node.sim, old, oldn * sizeof(*old));
    return 0;
}

/* Trace a change of the table: a station learned or moved to port, or forgotten (port
 * UINT32_MAX). An aged entry is reported when the switch notices it (aging is lazy). */
static void mac_trace(struct viv_switch *sw, uint64_t key, uint32_t port)
{
    viv_sim_t *sim = sw->node.sim;
    if (VIV__LIKELY(!viv__tracing(sim)))
        return;
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_MAC);
    r.node = &sw->node;
    r.port = port;
    for (int i = 0; i < 6; i++)
        r.mac.b[i] = (uint8_t)(key >> (40 - 8 * i));
    viv__trace_emit(sim, &r);
}

static void purge_expired(struct viv_switch *sw)
{
    for (uint32_t i = 0; i < sw->nslots;) {
        macslot *s = &sw->slots[i];
        if ((s->key & USED) && expired(sw, s)) {
            mac_trace(sw, s->key, UINT32_MAX);
            table_remove(sw, s); /* a later entry may have shifted into i: look again */
            sw->st.aged++;
        } else {
            i++;
        }
    }
}

static void learn(struct viv_switch *sw, uint64_t key, uint32_t port)
{
    viv_time_t now = sw->node.sim->now;
    macslot *s = table_find(sw, key);
    if (s) {
        if (expired(sw, s)) {
            sw->st.aged++;
            sw->st.learned++;
            mac_trace(sw, key, port);
        } else if (s->port != port) {
            sw->st.moved++;
            mac_trace(sw, key, port);
        }
        s->port = port;
        s->seen = now;
        return;
    }
    if (sw->count >= sw->capacity) {
        purge_expired(sw);
        if (sw->count >= sw->capacity) {
            sw->st.learn_full++;
            return;
        }
    }
    if ((sw->count + 1) * 2 > sw->nslots && table_grow(sw) < 0) {
        sw->st.learn_full++; /* out of memory: behave as a full table */
        return;
    }
    uint32_t i = slot_of(sw, key);
    while (sw->slots[i].key & USED)
        i = (i + 1) & (sw->nslots - 1);
    sw->slots[i] = (macslot){key, port, now};
    sw->count++;
    sw->st.learned++;
    mac_trace(sw, key, port);
}

static uint64_t mac48(const uint8_t *p)
{
    return (uint64_t)viv_rd16be(p) << 32 | viv_rd32be(p + 2);
}

/* One port of a flood from a switch that is up and untraced: every port but the ingress and
 * those with no link (skipped, not counted) sends by viv__port_send's common way, with no
 * check of the node per port; a port with taps takes viv__port_send. */
static inline void flood_port(struct viv_node *n, const struct viv_port *in, struct viv_port *p,
                              viv__frame *f)
{
    viv__schedule_prefetch(n->sim); /* each send schedules one arrival */
    viv__linkdir *d = p->out;
    if (p == in || !d)
        return;
    viv__frame_ref(f);
    if (VIV__UNLIKELY(p->taps)) {
        viv__port_send(p, f);
        return;
    }
    viv__port_send_plain(p, f);
}

/* A flood from a switch that is off or traced: every port's own checks and trace. */
static VIV__NOINLINE void flood_watched(struct viv_node *n, struct viv_port *in, viv__frame *f)
{
    for (uint32_t i = 0; i < n->nports; i++) {
        struct viv_port *p = n->ports[i];
        if (p != in && p->out)
            viv__port_send(p, viv__frame_ref(f));
    }
    viv__frame_unref(n->sim, f);
}

/* A flood's look-ahead distances, in ports (see switch_rx). */
#define FLOOD_PORT 8u
#define FLOOD_OUT (FLOOD_PORT / 2)
#define FLOOD_OWN (FLOOD_PORT / 4)

static void switch_rx(struct viv_node *n, struct viv_port *in, viv__frame *f)
{
    struct viv_switch *sw = (struct viv_switch *)n;
    sw->st.rx_frames++;
    if (VIV__UNLIKELY(f->len < 14)) { /* only a program's device can send this */
        sw->st.rx_bad_frame++;
        if (viv__tracing(n->sim))
            viv__l2_trace_frame(n->sim, VIV_TRACE_FRAME_DROP, n, in->index, NULL, 0,
                             VIV_DROP_BAD_FRAME, viv__frame_bytes(f), f->len);
        viv__frame_unref(n->sim, f);
        return;
    }
    const uint8_t *b = viv__frame_bytes(f);
    /* The group bit is the least significant bit of the first byte of an address. */
    if (!(b[6] & 1))
        learn(sw, mac48(b + 6) | USED, in->index);
    if (!(b[0] & 1)) {
        macslot *s = table_find(sw, mac48(b) | USED);
        if (s && expired(sw, s)) {
            mac_trace(sw, s->key, UINT32_MAX);
            table_remove(sw, s);
            sw->st.aged++;
            s = NULL;
        }
        if (s) {
            if (s->port == in->index) {
                sw->st.filtered++;
                if (VIV__UNLIKELY(viv__tracing(n->sim)))
                    viv__l2_trace_frame(n->sim, VIV_TRACE_FRAME_DROP, n, in->index, NULL, 0,
                                     VIV_DROP_FILTERED, viv__frame_bytes(f), f->len);
                viv__frame_unref(n->sim, f);
            } else {
                sw->st.forwarded++;
                viv__port_send(n->ports[s->port], f);
            }
            return;
        }
    }
    sw->st.flooded++;
    if (VIV__UNLIKELY(!n->up || viv__tracing(n->sim))) {
        flood_watched(n, in, f);
        return;
    }
    /* The switch is up (a frame arrived) and nobody traces: checked once, not per port.
     * In a large network each port's lines, its direction's and the direction's owner
     * entry (the send folds the frame into its fingerprint) are misses, each found through
     * the one before: they are asked for in stages, the port FLOOD_PORT ports ahead, its
     * direction FLOOD_OUT ahead (the port's line has come by then), the owner entry
     * FLOOD_OWN ahead (the direction's has), so that the waits overlap the sends between.
     * The last FLOOD_PORT ports take a second loop, so that the first tests no bounds. */
    uint32_t nports = n->nports;
    struct viv_port **ports = n->ports;
    viv_sim_t *sim = n->sim;
    uint32_t i = 0;
    for (uint32_t j = 0; j < nports && j < FLOOD_PORT; j++)
        viv__port_prefetch(ports[j]);
    for (uint32_t j = 0; j < nports && j < FLOOD_OUT; j++)
        viv__port_prefetch_out(ports[j]);
    for (uint32_t j = 0; j < nports && j < FLOOD_OWN; j++)
        viv__port_prefetch_owner(sim, ports[j]);
    for (; i + FLOOD_PORT < nports; i++) {
        viv__port_prefetch(ports[i + FLOOD_PORT]);
        viv__port_prefetch_out(ports[i + FLOOD_OUT]);
        viv__port_prefetch_owner(sim, ports[i + FLOOD_OWN]);
        flood_port(n, in, ports[i], f);
    }
    for (; i < nports; i++) {
        if (i + FLOOD_OUT < nports)
            viv__port_prefetch_out(ports[i + FLOOD_OUT]);
        if (i + FLOOD_OWN < nports)
            viv__port_prefetch_owner(sim, ports[i + FLOOD_OWN]);
        flood_port(n, in, ports[i], f);
    }
    viv__frame_unref(n->sim, f);
}

/* Entries past their aging time that lazy aging has not removed yet. For every observer they
 * are gone already, so the aged counter includes them. */
static uint32_t expired_count(const struct viv_switch *sw)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < sw->nslots; i++)
        if ((sw->slots[i].key & USED) && expired(sw, &sw->slots[i]))
            n++;
    return n;
}

static void table_clear(struct viv_switch *sw)
{
    sw->st.aged += expired_count(sw);
    if (sw->slots)
        memset(sw->slots, 0, sw->nslots * sizeof(*sw->slots));
    sw->count = 0;
}

static void switch_power(struct viv_node *n, int up)
{
    (void)up;
    table_clear((struct viv_switch *)n);
}

/* Forget every station learned on port: its link went down or was unplugged (IEEE 802.1D
 * flushes a port's dynamic entries when the port leaves the forwarding state). An entry
 * already past its aging time was gone for every observer, so it counts as aged. The walk
 * is in table order, which depends only on the addresses and the table's size history:
 * deterministic. */
static void forget_port(struct viv_switch *sw, uint32_t port)
{
    for (uint32_t i = 0; i < sw->nslots;) {
        macslot *s = &sw->slots[i];
        if ((s->key & USED) && s->port == port) {
            if (expired(sw, s))
                sw->st.aged++;
            else
                sw->st.flushed++;
            mac_trace(sw, s->key, UINT32_MAX);
            table_remove(sw, s); /* a later entry may have shifted into i: look again */
        } else {
            i++;
        }
    }
}

static void switch_link_change(struct viv_node *n, struct viv_port *p, int up)
{
    if (!up) /* carrier lost: whoever was behind the port may be anywhere now */
        forget_port((struct viv_switch *)n, p->index);
}

static void switch_destroy(struct viv_node *n)
{
    struct viv_switch *sw = (struct viv_switch *)n;
    viv__free(n->sim, sw->slots, sw->nslots * sizeof(*sw->slots));
    /* Freeing the node unplugs its links, which tells this switch its ports lost carrier:
     * the table must read as empty by then. */
    sw->slots = NULL;
    sw->nslots = 0;
    sw->count = 0;
    viv__node_free(n, sizeof(*sw));
}

static const viv__node_ops switch_ops = {"sw", switch_rx, switch_power, switch_destroy,
                                         switch_link_change};

int viv_switch_new(viv_switch_t **out, viv_sim_t *sim, uint32_t nports,
                   const viv_switch_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, nports >= 1 && nports <= 4096, "a switch has 1..4096 ports");
    viv_switch_opts def = VIV_SWITCH_OPTS_INIT;
    if (!opts)
        opts = &def;
    VIV__CHECK(sim, opts->capacity <= (1u << 24), "MAC table capacity above 16M entries");
    struct viv_switch *sw = viv__zalloc(sim, sizeof(*sw));
    if (!sw)
        return viv__err(sim, VIV_ENOMEM, "viv_switch_new: out of memory");
    if (viv__node_init(&sw->node, sim, &switch_ops, nports, opts->name) < 0) {
        viv__free(sim, sw, sizeof(*sw));
        return viv__err(sim, VIV_ENOMEM, "viv_switch_new: out of memory");
    }
    sw->aging = opts->aging_ns ? opts->aging_ns : VIV_S(300);
    sw->capacity = opts->capacity ? opts->capacity : 8192;
    sw->node.obj.magic = VIV__MAGIC_SWITCH;
    *out = sw;
    return 0;
}

void viv_switch_free(viv_switch_t *sw)
{
    VIV__HANDLE(sw, SWITCH);
    if (sw)
        switch_destroy(&sw->node);
}

viv_node_t *viv_switch_node(viv_switch_t *sw)
{
    VIV__HANDLE(sw, SWITCH);
    return sw ? &sw->node : NULL;
}

viv_port_t *viv_switch_port(viv_switch_t *sw, uint32_t index)
{
    VIV__HANDLE(sw, SWITCH);
    return sw ? viv_node_port(&sw->node, index) : NULL;
}

int viv_switch_set_aging(viv_switch_t *sw, viv_time_t aging_ns)
{
    VIV__HANDLE(sw, SWITCH);
    if (!sw)
        return VIV_EINVAL;
    VIV__CHECK(sw->node.sim, aging_ns > 0, "zero aging time");
    /* Entries that expired under the old time are gone: a longer time must not revive them. */
    purge_expired(sw);
    sw->aging = aging_ns;
    return 0;
}

int viv_switch_clear(viv_switch_t *sw)
{
    VIV__HANDLE(sw, SWITCH);
    if (!sw)
        return VIV_EINVAL;
    table_clear(sw);
    return 0;
}

int viv_switch_stats(viv_switch_stats_t *out, const viv_switch_t *sw)
{
    VIV__HANDLE(sw, SWITCH);
    if (!sw)
        return VIV_EINVAL;
    VIV__CHECK(sw->node.sim, out != NULL, "NULL out");
    *out = sw->st;
    out->aged += expired_count(sw);
    return 0;
}

/* The listing order, (port, MAC), as one number: ports are below 2^16 and a MAC is 48 bits. */
static uint64_t row_key(const viv_mac_entry *e)
{
    uint64_t k = e->port;
    for (int i = 0; i < 6; i++)
        k = k << 8 | e->mac.b[i];
    return k;
}

/* Move rows[i] down the max-heap rows[0 .. n) to its place. */
static void heap_sift(viv_mac_entry *rows, uint32_t i, uint32_t n)
{
    viv_mac_entry e = rows[i];
    uint64_t key = row_key(&e);
    for (;;) {
        uint32_t c = 2 * i + 1; /* no overflow: n is at most the capacity, 2^24 */
        if (c >= n)
            break;
        uint64_t ck = row_key(&rows[c]);
        if (c + 1 < n) {
            uint64_t rk = row_key(&rows[c + 1]);
            if (rk > ck) {
                c++;
                ck = rk;
            }
        }
        if (ck <= key)
            break;
        rows[i] = rows[c];
        i = c;
    }
    rows[i] = e;
}

/* Sort rows by (port, MAC): a heapsort, O(n log n) in place. Keys are distinct (a MAC has
 * one entry), so the order is fully determined whatever the order the rows came in. */
static void rows_sort(viv_mac_entry *rows, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        heap_sift(rows, i, n);
    for (uint32_t end = n; end > 1; end--) {
        viv_mac_entry t = rows[0];
        rows[0] = rows[end - 1];
        rows[end - 1] = t;
        heap_sift(rows, 0, end - 1);
    }
}

/* Collect the live rows sorted by (port, MAC) into rows (allocated by the caller to count). */
static uint32_t collect(const struct viv_switch *sw, viv_mac_entry *rows)
{
    uint32_t n = 0;
    viv_time_t now = sw->node.sim->now;
    for (uint32_t i = 0; i < sw->nslots; i++) {
        const macslot *s = &sw->slots[i];
        if (!(s->key & USED) || expired(sw, s))
            continue;
        viv_mac_entry *e = &rows[n++];
        for (int k = 0; k < 6; k++)
            e->mac.b[k] = (uint8_t)(s->key >> (40 - 8 * k));
        e->port = s->port;
        e->age_ns = now - s->seen;
    }
    rows_sort(rows, n);
    return n;
}

static uint32_t live_count(const struct viv_switch *sw)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < sw->nslots; i++)
        if ((sw->slots[i].key & USED) && !expired(sw, &sw->slots[i]))
            n++;
    return n;
}

int viv_switch_mac_table(const viv_switch_t *sw, viv_mac_entry *rows, size_t cap)
{
    VIV__HANDLE(sw, SWITCH);
    if (!sw)
        return VIV_EINVAL;
    VIV__CHECK(sw->node.sim, rows != NULL || cap == 0, "NULL rows with a nonzero capacity");
    uint32_t total = live_count(sw);
    if (total == 0 || cap == 0)
        return (int)total;
    viv_sim_t *sim = sw->node.sim;
    viv_mac_entry *all = viv__alloc(sim, total * sizeof(*all));
    if (!all)
        return viv__err(sim, VIV_ENOMEM, "viv_switch_mac_table: out of memory");
    collect(sw, all);
    memcpy(rows, all, (cap < total ? cap : total) * sizeof(*all));
    viv__free(sim, all, total * sizeof(*all));
    return (int)total;
}

int viv_switch_mac_table_text(const viv_switch_t *sw, char *buf, size_t cap)
{
    VIV__HANDLE(sw, SWITCH);
    if (!sw)
        return VIV_EINVAL;
    VIV__CHECK(sw->node.sim, buf != NULL || cap == 0, "NULL buffer with a nonzero capacity");
    viv_sim_t *sim = sw->node.sim;
    uint32_t total = live_count(sw);
    viv_mac_entry *all = total ? viv__alloc(sim, total * sizeof(*all)) : NULL;
    if (total && !all)
        return viv__err(sim, VIV_ENOMEM, "viv_switch_mac_table_text: out of memory");
    if (total)
        collect(sw, all);
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
#define PUT(...) viv__sb_printf(&sb, __VA_ARGS__)
    PUT("          Mac Address Table (%s)\n", sw->node.name);
    PUT("-------------------------------------------\n");
    PUT("Mac Address          Type       Port   Age(s)\n");
    PUT("-----------------    -------    ----   ------\n");
    for (uint32_t i = 0; i < total; i++) {
        char mac[VIV_MAC_STRLEN];
        viv_mac_format(&all[i].mac, mac, sizeof mac);
        PUT("%-17s    DYNAMIC    %4u   %6llu\n", mac, all[i].port,
            (unsigned long long)(all[i].age_ns / 1000000000u));
    }
    PUT("Total Mac Addresses for this criterion: %u\n", total);
#undef PUT
    viv__free(sim, all, total * sizeof(*all));
    return (int)sb.len;
}
