/* Hosts: interfaces and addresses, frame reception, the Ethernet send path, counters. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "l3.h"
#include "vivarium/trace.h"

static const viv__node_ops host_ops;

viv__iface *viv__host_iface(const struct viv_host *h, uint32_t i)
{
    return i < h->nifaces ? h->ifaces[i] : NULL;
}

static int in_prefix(viv_ip4_t ip, viv_ip4_t net, uint8_t len)
{
    viv_ip4_t m = viv_ip4_mask(len);
    return (ip & m) == (net & m);
}

int viv__host_iface_for(const struct viv_host *h, viv_ip4_t ip)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++)
            if (in_prefix(ip, h->ifaces[i]->addrs[k].ip, h->ifaces[i]->addrs[k].len))
                return (int)i;
    return -1;
}

int viv__iface_is_bcast(const viv__iface *ifc, viv_ip4_t ip)
{
    for (uint32_t k = 0; k < ifc->naddrs; k++) {
        const viv__ifaddr *a = &ifc->addrs[k];
        if (a->len >= 31)
            continue; /* point-to-point prefixes have no broadcast address */
        viv_ip4_t m = viv_ip4_mask(a->len);
        if (ip == ((a->ip & m) | ~m))
            return 1;
    }
    return 0;
}

/* ---- the address index ------------------------------------------------------------------ */

/* The directed broadcast address of ip/len, or 0 for a prefix that has none (/31, /32). */
static viv_ip4_t addr_bcast(viv_ip4_t ip, uint8_t len)
{
    if (len >= 31)
        return 0;
    viv_ip4_t m = viv_ip4_mask(len);
    return (ip & m) | ~m;
}

static viv__mkey addr_key(viv_ip4_t ip)
{
    viv__mkey k = {0, ip};
    return k;
}

static viv__mkey bcast_key(viv_ip4_t ip)
{
    viv__mkey k = {1, ip};
    return k;
}

static void *iface_val(uint32_t i)
{
    return (void *)(uintptr_t)(i + 1u);
}

static int val_iface(const void *v)
{
    return v ? (int)((uintptr_t)v - 1u) : -1;
}

/* By scan: the interface with address ip, or -1. */
static int scan_addr_iface(const struct viv_host *h, viv_ip4_t ip)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++)
            if (h->ifaces[i]->addrs[k].ip == ip)
                return (int)i;
    return -1;
}

/* By scan: the first interface on which ip is a directed broadcast, or -1. */
static int scan_bcast_iface(const struct viv_host *h, viv_ip4_t ip)
{
    for (uint32_t i = 0; i < h->nifaces; i++)
        if (viv__iface_is_bcast(h->ifaces[i], ip))
            return (int)i;
    return -1;
}

/* addr_bloom from every address (when one goes). */
static void addr_bloom_update(struct viv_host *h)
{
    uint32_t b = 0;
    h->addr_one = 0;
    for (uint32_t i = 0; i < h->nifaces; i++)
        for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++) {
            b |= viv__addr_bit(h->ifaces[i]->addrs[k].ip);
            if (h->naddrs == 1)
                h->addr_one = h->ifaces[i]->addrs[k].ip;
        }
    h->addr_bloom = b;
}

int viv__host_addr_iface(const struct viv_host *h, viv_ip4_t ip)
{
    if (!(h->addr_bloom & viv__addr_bit(ip)))
        return -1; /* most addresses asked about are another station's */
    if (!h->addr_index.cap)
        return scan_addr_iface(h, ip);
    return val_iface(viv__map_get(&h->addr_index, addr_key(ip)));
}

int viv__host_bcast_iface(const struct viv_host *h, viv_ip4_t ip)
{
    if (!h->addr_index.cap)
        return scan_bcast_iface(h, ip);
    if (ip == 0)
        return -1;
    return val_iface(viv__map_get(&h->addr_index, bcast_key(ip)));
}

/* Index address ip/len of interface i (room reserved: cannot fail). The directed broadcast
 * keeps the lowest interface that has it, as a scan in interface order would find. */
static void index_put(struct viv_host *h, uint32_t i, viv_ip4_t ip, uint8_t len)
{
    viv_sim_t *sim = h->node.sim;
    (void)viv__map_put(sim, &h->addr_index, addr_key(ip), iface_val(i));
    viv_ip4_t b = addr_bcast(ip, len);
    if (!b)
        return;
    int cur = val_iface(viv__map_get(&h->addr_index, bcast_key(b)));
    if (cur < 0 || (uint32_t)cur > i)
        (void)viv__map_put(sim, &h->addr_index, bcast_key(b), iface_val(i));
}

/* Make room in the index for one more address, building it when the host passes
 * VIV__ADDR_SCAN addresses. Returns 0 or VIV_ENOMEM (nothing changed). */
static int index_reserve(struct viv_host *h)
{
    uint32_t n = h->naddrs + 1;
    if (n <= VIV__ADDR_SCAN && !h->addr_index.cap)
        return 0;
    if (viv__map_reserve(h->node.sim, &h->addr_index, 2 * n) < 0)
        return VIV_ENOMEM;
    if (!h->addr_index.len) /* just made: index what the interfaces already have */
        for (uint32_t i = 0; i < h->nifaces; i++)
            for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++)
                index_put(h, i, h->ifaces[i]->addrs[k].ip, h->ifaces[i]->addrs[k].len);
    return 0;
}

/* Address ip/len has just been removed from its interface: unindex it, and give its
 * directed broadcast to the first interface that still has it. Never fails. */
static void index_del(struct viv_host *h, viv_ip4_t ip, uint8_t len)
{
    if (!h->addr_index.cap)
        return;
    viv__map_del(&h->addr_index, addr_key(ip));
    viv_ip4_t b = addr_bcast(ip, len);
    if (!b)
        return;
    int still = scan_bcast_iface(h, b);
    if (still < 0)
        viv__map_del(&h->addr_index, bcast_key(b));
    else
        (void)viv__map_put(h->node.sim, &h->addr_index, bcast_key(b), iface_val((uint32_t)still));
}

const viv__l4_proto *viv__host_l4(const struct viv_host *h, uint8_t proto)
{
    for (uint32_t i = 0; i < h->nl4; i++)
        if (h->l4[i]->proto == proto)
            return h->l4[i];
    return NULL;
}

void *viv__host_l4_ctx(const struct viv_host *h, uint8_t proto)
{
    for (uint32_t i = 0; i < h->nl4; i++)
        if (h->l4[i]->proto == proto)
            return h->l4_ctx[i];
    return NULL;
}

void viv__host_l4_set_ctx(struct viv_host *h, uint8_t proto, void *ctx)
{
    for (uint32_t i = 0; i < h->nl4; i++)
        if (h->l4[i]->proto == proto)
            h->l4_ctx[i] = ctx;
}

void viv__host_drop_bytes(struct viv_host *h, uint64_t *counter, int reason, uint32_t iface,
                          const uint8_t *pkt, uint32_t len)
{
    (*counter)++;
    viv_sim_t *sim = h->node.sim;
    if (VIV__UNLIKELY(viv__tracing(sim)))
        viv__trace_frame(sim, VIV_TRACE_FRAME_DROP, &h->node, iface, NULL, 0, reason, pkt, len);
}

void viv__host_drop(struct viv_host *h, uint64_t *counter, int reason, uint32_t iface,
                    const viv__frame *f)
{
    viv__host_drop_bytes(h, counter, reason, iface, f ? f->data + f->head : NULL,
                         f ? f->len : 0);
}

void viv__hostobj_add(struct viv_host *h, viv__hostobj *o, void (*destroy)(viv__hostobj *))
{
    o->magic = VIV__MAGIC_HOSTOBJ;
    o->destroy = destroy;
    o->next = &h->objs;
    o->prev = h->objs.prev;
    h->objs.prev->next = o;
    h->objs.prev = o;
}

/* The object's handle dies here (it is being freed, or its host is). */
void viv__hostobj_remove(viv__hostobj *o)
{
    o->magic = VIV__MAGIC_DEAD;
    o->prev->next = o->next;
    o->next->prev = o->prev;
    o->next = o->prev = o;
}

void viv__host_eth_send(struct viv_host *h, uint32_t iface, const viv_mac_t *dst,
                        uint16_t ethertype, viv__frame *f)
{
    viv__iface *ifc = h->ifaces[iface];
    /* Pad to the Ethernet minimum: the padding follows the L3 packet, whose own length
     * field says where it ends. */
    if (f->len + VIV__ETH_HDR_LEN < VIV__ETH_MIN_FRAME) {
        uint32_t pad = VIV__ETH_MIN_FRAME - VIV__ETH_HDR_LEN - f->len;
        if (f->head + f->len + pad > f->cap) {
            viv__frame_unref(h->node.sim, f);
            return;
        }
        memset(viv__frame_bytes(f) + f->len, 0, pad);
        f->len += pad;
    }
    uint8_t *b = viv__frame_push(f, VIV__ETH_HDR_LEN);
    if (!b) {
        viv__frame_unref(h->node.sim, f);
        return;
    }
    viv__eth_write(b, dst, &ifc->mac, ethertype);
    viv__port_send(ifc->port, f);
}

/* ---- reception ------------------------------------------------------------------------- */

/* A frame host_rx accepts (for this interface's MAC, or a group address): type is its
 * ethertype. Out of host_rx, so that filtering out the frames of other stations (a hub's
 * repeats, a switch's floods) stays a few instructions. */
static VIV__NOINLINE void host_rx_accept(struct viv_host *h, uint32_t iface, viv__frame *f,
                                         int type, int group)
{
    viv_sim_t *sim = h->node.sim;
    if (type == VIV__ETHERTYPE_ARP) {
        /* ARP only reads: a flooded request (heard by every host of a LAN) is not copied. */
        viv__arp_input(h, iface, viv__frame_bytes(f) + VIV__ETH_HDR_LEN, f->len - VIV__ETH_HDR_LEN);
        viv__frame_unref(sim, f);
        return;
    }
    /* IPv4 reads the packet in place and makes the frame its own (a copy if someone else
     * still holds it: a flood) only where it must change it or hand it on: a UDP datagram is
     * queued from the shared bytes, so a hub's repeat is not copied. */
    if (type == VIV__ETHERTYPE_IPV4) {
        viv__ip_input(h, iface, group, f);
        return;
    }
    viv__host_drop_bytes(h, &h->st.rx_bad_frame, VIV_DROP_BAD_FRAME, iface,
                         viv__frame_bytes(f) + VIV__ETH_HDR_LEN, f->len - VIV__ETH_HDR_LEN);
    viv__frame_unref(sim, f);
}

static void host_rx(struct viv_node *n, struct viv_port *p, viv__frame *f)
{
    struct viv_host *h = (struct viv_host *)n;
    const uint8_t *b = viv__frame_bytes(f);
    /* A broadcast ARP packet about two other stations, the most common frame of a large
     * network (a flood reaches a LAN's every host): dealt with from the host's first lines,
     * before the interface is read (the port's index is the interface's). */
    if (f->len >= VIV__ETH_HDR_LEN && (b[0] & 1) && viv_rd16be(b + 12) == VIV__ETHERTYPE_ARP &&
        viv__arp_heard(h, p->index, b + VIV__ETH_HDR_LEN, f->len - VIV__ETH_HDR_LEN)) {
        viv__frame_unref(n->sim, f);
        return;
    }
    h->st.rx_frames++;
    uint32_t iface = p->index;
    assert(((viv__iface *)p->owner_data)->index == iface);
    /* The type and the destination, read in place: most frames a host filters out need
     * nothing else, and a group frame not even the interface. */
    int type = viv__eth_type(b, f->len);
    if (VIV__UNLIKELY(type < 0)) {
        viv__host_drop(h, &h->st.rx_bad_frame, VIV_DROP_BAD_FRAME, iface, f);
        viv__frame_unref(n->sim, f);
        return;
    }
    int group = b[0] & 1;
    if (!group && memcmp(b, ((viv__iface *)p->owner_data)->mac.b, 6) != 0) {
        viv__host_drop(h, &h->st.rx_not_mine, VIV_DROP_NOT_MINE, iface, f);
        viv__frame_unref(n->sim, f);
        return;
    }
    host_rx_accept(h, iface, f, type, group);
}

static void host_power(struct viv_node *n, int up)
{
    struct viv_host *h = (struct viv_host *)n;
    if (!up) /* a host that loses power forgets its neighbours */
        for (uint32_t i = 0; i < h->nifaces; i++)
            viv__arp_flush_iface(h, i);
    /* ...and its transports their state (TCP: every connection, without a segment). */
    for (uint32_t i = 0; i < h->nl4; i++)
        if (h->l4[i]->power)
            h->l4[i]->power(h->l4_ctx[i], h, up);
}

static void host_destroy(struct viv_node *n)
{
    struct viv_host *h = (struct viv_host *)n;
    viv_sim_t *sim = n->sim;
    for (uint32_t i = h->nl4; i-- > 0;)
        if (h->l4[i]->destroy)
            h->l4[i]->destroy(h->l4_ctx[i], h);
    while (h->objs.next != &h->objs) {
        viv__hostobj *o = h->objs.next;
        viv__hostobj_remove(o);
        o->destroy(o);
    }
    assert(!h->echo);    /* the pings and traceroutes took their identifiers with them */
    viv__ip_fwd_free(h); /* first: the ARP entries then go without a walk of its slots */
    viv__arp_fini(h);
    viv__route_fini(h);
    viv__map_fini(sim, &h->addr_index);
    for (uint32_t i = 1; i < h->nifaces; i++) /* the first is inside the host */
        viv__free(sim, h->ifaces[i], sizeof(viv__iface));
    if (h->ifaces != &h->iface0_slot)
        viv__free(sim, h->ifaces, h->ifaces_cap * sizeof(*h->ifaces));
    viv__node_free(n, sizeof(*h));
}

static const viv__node_ops host_ops = {"host", host_rx, host_power, host_destroy, NULL};

/* ---- public ---------------------------------------------------------------------------- */

int viv_host_new(viv_host_t **out, viv_sim_t *sim, const viv_host_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    viv_host_opts def = VIV_HOST_OPTS_INIT;
    if (!opts)
        opts = &def;
    struct viv_host *h = viv__zalloc(sim, sizeof(*h));
    if (!h)
        return viv__err(sim, VIV_ENOMEM, "viv_host_new: out of memory");
    if (viv__node_init(&h->node, sim, &host_ops, 0, opts->name) < 0) {
        viv__free(sim, h, sizeof(*h));
        return viv__err(sim, VIV_ENOMEM, "viv_host_new: out of memory");
    }
    h->opts.default_ttl = opts->default_ttl;
    h->opts.arp_reachable_ns = opts->arp_reachable_ns;
    h->opts.arp_gc_stale_ns = opts->arp_gc_stale_ns;
    h->arp_lim.arp_retry_ns = opts->arp_retry_ns;
    h->arp_lim.arp_attempts = opts->arp_attempts;
    h->arp_lim.arp_queue = opts->arp_queue;
    h->arp_lim.arp_max_entries = opts->arp_max_entries;
    if (!h->opts.default_ttl)
        h->opts.default_ttl = 64;
    if (!h->opts.arp_reachable_ns)
        h->opts.arp_reachable_ns = VIV_S(60);
    if (!h->arp_lim.arp_retry_ns)
        h->arp_lim.arp_retry_ns = VIV_S(1);
    if (!h->arp_lim.arp_attempts)
        h->arp_lim.arp_attempts = 3;
    if (!h->arp_lim.arp_queue)
        h->arp_lim.arp_queue = 3;
    if (!h->arp_lim.arp_max_entries)
        h->arp_lim.arp_max_entries = 1024;
    if (!h->opts.arp_gc_stale_ns)
        h->opts.arp_gc_stale_ns = VIV_S(60);
    /* An idle entry lives max(gc_stale, reachable) (arp.c): kept so, as nothing else reads
     * the stale time, aging computes no maximum each time the oldest entry changes. */
    if (h->opts.arp_gc_stale_ns < h->opts.arp_reachable_ns)
        h->opts.arp_gc_stale_ns = h->opts.arp_reachable_ns;
    h->forwarding = opts->forwarding ? 1 : 0;
    h->arp_idle_expiry = VIV_TIME_NEVER;
    h->objs.next = h->objs.prev = &h->objs;
    /* Every transport layer 4 provides, none with state yet: each makes its own when a
     * socket or a packet first needs it. */
    for (uint32_t i = 0; viv__transports[i] && h->nl4 < VIV__MAX_L4; i++)
        h->l4[h->nl4++] = viv__transports[i]; /* with no state (zeroed) */
    viv__rng_component(&h->rng, sim, VIV__RNG_HOST, h->node.key, VIV__RNG_SUB_IP);
    h->ip_ident = (uint16_t)viv_rng_u64(&h->rng);
    h->next_echo_ident = (uint16_t)viv_rng_u64(&h->rng);
    h->node.obj.magic = VIV__MAGIC_HOST;
    *out = h;
    return 0;
}

void viv_host_free(viv_host_t *host)
{
    VIV__HANDLE(host, HOST);
    if (host)
        host_destroy(&host->node);
}

viv_node_t *viv_host_node(viv_host_t *host)
{
    VIV__HANDLE(host, HOST);
    return host ? &host->node : NULL;
}

viv_sim_t *viv_host_sim(const viv_host_t *host)
{
    VIV__HANDLE(host, HOST);
    return host ? host->node.sim : NULL;
}

uint32_t viv_host_iface_count(const viv_host_t *host)
{
    VIV__HANDLE(host, HOST);
    return host ? host->nifaces : 0;
}

/* The MAC an interface gets when none is given: 02:xx:xx:xx:xx:xx from the host's name key
 * and the interface's index, so that it does not depend on what else the simulation holds
 * (adding a node elsewhere changes no address, no frame and no capture). 40 bits are drawn;
 * the simulation keeps the MACs it gave (in its name table, under a tag of their own) and a
 * collision draws again with the next salt. *key_out receives the key kept. */
static int iface_default_mac(viv_sim_t *sim, const struct viv_host *h, uint32_t idx, viv_mac_t *out,
                             viv__mkey *key_out)
{
    for (uint64_t salt = 0;; salt++) {
        uint64_t x = viv__key_mix(h->node.key ^ UINT64_C(0x6d61632061646472), /* "mac addr" */
                                  (uint64_t)idx << 32 | salt);
        viv_mac_t m = {{0x02, (uint8_t)(x >> 32), (uint8_t)(x >> 24), (uint8_t)(x >> 16),
                        (uint8_t)(x >> 8), (uint8_t)x}};
        viv__mkey k = {UINT64_C(0x6d6163) << 40 | 1, /* a tag no name hash uses: hi of names is 0 */
                       (uint64_t)m.b[0] << 40 | (uint64_t)m.b[1] << 32 | (uint64_t)m.b[2] << 24 |
                           (uint64_t)m.b[3] << 16 | (uint64_t)m.b[4] << 8 | m.b[5]};
        if (viv__map_get(&sim->names, k))
            continue;
        if (viv__map_put(sim, &sim->names, k, (void *)1) < 0)
            return VIV_ENOMEM;
        *out = m;
        *key_out = k;
        return 0;
    }
}

int viv_host_add_iface(viv_host_t *h, const viv_iface_opts *opts)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    viv_iface_opts def = VIV_IFACE_OPTS_INIT;
    if (!opts)
        opts = &def;
    VIV__CHECK(sim, opts->mtu == 0 || (opts->mtu >= 68 && opts->mtu <= 65535),
               "MTU outside 68..65535");
    static const viv_mac_t zero = {{0, 0, 0, 0, 0, 0}};
    VIV__CHECK(sim, viv__mac_eq(&opts->mac, &zero) || !viv__mac_is_group(&opts->mac),
               "an interface MAC must be unicast");
    /* The first interface and the array naming it live inside the host (most hosts have
     * one: two allocations fewer each); the others are allocated. */
    viv__iface *ifc = h->nifaces ? viv__zalloc(sim, sizeof(*ifc)) : &h->iface0;
    if (ifc && !h->ifaces_cap) {
        h->ifaces = &h->iface0_slot;
        h->ifaces_cap = 1;
    } else if (ifc && h->nifaces == h->ifaces_cap) {
        uint32_t ncap = h->ifaces_cap * 2;
        viv__iface **arr;
        if (h->ifaces == &h->iface0_slot) {
            arr = viv__alloc(sim, ncap * sizeof(*arr));
            if (arr)
                arr[0] = h->iface0_slot;
        } else {
            arr = viv__realloc(sim, h->ifaces, h->ifaces_cap * sizeof(*arr), ncap * sizeof(*arr));
        }
        if (!arr) {
            viv__free(sim, ifc, sizeof(*ifc));
            ifc = NULL;
        } else {
            h->ifaces = arr;
            h->ifaces_cap = ncap;
        }
    }
    viv_mac_t mac = opts->mac;
    viv__mkey mac_key = {0, 0};
    if (ifc && viv__mac_eq(&mac, &zero) &&
        iface_default_mac(sim, h, h->node.nports, &mac, &mac_key) < 0) {
        if (ifc != &h->iface0)
            viv__free(sim, ifc, sizeof(*ifc));
        ifc = NULL;
    }
    if (!ifc)
        return viv__err(sim, VIV_ENOMEM, "viv_host_add_iface: out of memory");
    int idx = viv__node_add_port(&h->node);
    if (idx < 0) {
        if (mac_key.hi)
            viv__map_del(&sim->names, mac_key);
        if (ifc != &h->iface0)
            viv__free(sim, ifc, sizeof(*ifc));
        return viv__err(sim, VIV_ENOMEM, "viv_host_add_iface: out of memory");
    }
    if (ifc == &h->iface0)
        memset(ifc, 0, sizeof(*ifc));
    ifc->index = (uint32_t)idx;
    ifc->port = h->node.ports[idx];
    ifc->port->owner_data = ifc;
    ifc->mtu = opts->mtu ? opts->mtu : 1500;
    ifc->mac = mac;
    if (opts->name && opts->name[0])
        snprintf(ifc->name, sizeof ifc->name, "%s", opts->name);
    else
        snprintf(ifc->name, sizeof ifc->name, "eth%d", idx);
    h->ifaces[h->nifaces++] = ifc;
    return idx;
}

viv_port_t *viv_host_port(viv_host_t *host, uint32_t iface)
{
    VIV__HANDLE(host, HOST);
    viv__iface *ifc = host ? viv__host_iface(host, iface) : NULL;
    return ifc ? ifc->port : NULL;
}

int viv_host_mac(viv_mac_t *out, const viv_host_t *host, uint32_t iface)
{
    VIV__HANDLE(host, HOST);
    const viv__iface *ifc = host ? viv__host_iface(host, iface) : NULL;
    if (!out || !ifc)
        return host ? viv__err(host->node.sim, VIV_EINVAL, "viv_host_mac: bad argument")
                    : VIV_EINVAL;
    *out = ifc->mac;
    return 0;
}

const char *viv_host_iface_name(const viv_host_t *host, uint32_t iface)
{
    VIV__HANDLE(host, HOST);
    const viv__iface *ifc = host ? viv__host_iface(host, iface) : NULL;
    return ifc ? ifc->name : "";
}

int viv_host_has_addr(const viv_host_t *h, viv_ip4_t ip)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return 0;
    return viv__host_addr_iface(h, ip) >= 0;
}

/* h->bcast_low from every address's prefix (l3.h): the host part of the longest prefix that
 * has a directed broadcast (/30 at most). A scan, when an address goes (adding one updates
 * it in place). */
static void bcast_low_update(struct viv_host *h)
{
    uint32_t bits = 33; /* the fewest host bits of a prefix with a broadcast; 33: none */
    for (uint32_t i = 0; i < h->nifaces; i++)
        for (uint32_t k = 0; k < h->ifaces[i]->naddrs; k++) {
            uint32_t hb = 32u - h->ifaces[i]->addrs[k].len;
            if (hb >= 2 && hb < bits)
                bits = hb;
        }
    h->bcast_low = bits == 33 ? 0 : (viv_ip4_t)((UINT64_C(1) << bits) - 1);
}

int viv_host_add_addr(viv_host_t *h, uint32_t iface, viv_ip4_t ip, uint8_t prefix_len)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    viv__iface *ifc = viv__host_iface(h, iface);
    VIV__CHECK(sim, ifc != NULL, "no such interface");
    VIV__CHECK(sim, prefix_len <= 32, "prefix length above 32");
    VIV__CHECK(
        sim, ip != VIV_IP4_ANY && ip != VIV_IP4_BROADCAST && (ip >> 28) != 0xe && (ip >> 28) != 0xf,
        "not a unicast address");
    viv_ip4_t m = viv_ip4_mask(prefix_len);
    if (prefix_len <= 30 && ((ip & ~m) == 0 || (ip & ~m) == ~m))
        return viv__err(sim, VIV_EINVAL,
                        "viv_host_add_addr: the network or broadcast address of its prefix");
    if (viv_host_has_addr(h, ip))
        return viv__err(sim, VIV_EEXIST, "viv_host_add_addr: %s already has this address",
                        h->node.name);
    if (ifc->naddrs == VIV__MAX_ADDRS)
        return viv__err(sim, VIV_ENOSPC, "viv_host_add_addr: at most %d addresses per interface",
                        VIV__MAX_ADDRS);
    /* The connected route, unless this interface already has one for the prefix. */
    int have_route = 0;
    for (uint32_t k = 0; k < ifc->naddrs; k++)
        if (ifc->addrs[k].len == prefix_len && (ifc->addrs[k].ip & m) == (ip & m))
            have_route = 1;
    if (index_reserve(h) < 0)
        return viv__err(sim, VIV_ENOMEM, "viv_host_add_addr: out of memory");
    if (!have_route) {
        viv_route r = {ip & m, prefix_len, 0, iface, 0, VIV_ROUTE_CONNECTED, ip};
        int rc = viv__route_insert(h, &r);
        if (rc < 0)
            return viv__err(sim, rc, "viv_host_add_addr: %s", viv_strerror(rc));
    }
    ifc->addrs[ifc->naddrs++] = (viv__ifaddr){ip, prefix_len};
    viv__route_changed(h);
    h->naddrs++;
    h->addr_bloom |= viv__addr_bit(ip);
    h->addr_one = h->naddrs == 1 ? ip : 0;
    if (prefix_len <= 30) { /* a longer host part than any so far narrows nothing */
        viv_ip4_t low = (viv_ip4_t)((UINT64_C(1) << (32u - prefix_len)) - 1);
        if (!h->bcast_low || low < h->bcast_low)
            h->bcast_low = low;
    }
    if (h->addr_index.cap)
        index_put(h, iface, ip, prefix_len);
    return 0;
}

typedef struct conn_match {
    uint32_t iface;
    viv_ip4_t net;
    uint8_t len;
} conn_match;

static int is_conn(const viv_route *r, const void *arg)
{
    const conn_match *c = arg;
    return r->origin == VIV_ROUTE_CONNECTED && r->iface == c->iface && r->dst == c->net &&
           r->prefix_len == c->len;
}

int viv_host_del_addr(viv_host_t *h, viv_ip4_t ip)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    for (uint32_t i = 0; i < h->nifaces; i++) {
        viv__iface *ifc = h->ifaces[i];
        for (uint32_t k = 0; k < ifc->naddrs; k++) {
            if (ifc->addrs[k].ip != ip)
                continue;
            uint8_t len = ifc->addrs[k].len;
            memmove(&ifc->addrs[k], &ifc->addrs[k + 1],
                    (ifc->naddrs - k - 1) * sizeof(ifc->addrs[0]));
            ifc->naddrs--;
            viv__route_changed(h);
            h->naddrs--;
            index_del(h, ip, len);
            bcast_low_update(h);
            addr_bloom_update(h);
            viv_ip4_t m = viv_ip4_mask(len);
            int other = 0;
            for (uint32_t j = 0; j < ifc->naddrs; j++)
                if (ifc->addrs[j].len == len && (ifc->addrs[j].ip & m) == (ip & m))
                    other = 1;
            if (!other) {
                conn_match c = {i, ip & m, len};
                viv__route_remove_if(h, is_conn, &c);
            }
            return 0;
        }
    }
    return viv__err(h->node.sim, VIV_ENOENT, "viv_host_del_addr: no such address");
}

int viv_host_addr(viv_ip4_t *out, uint8_t *prefix_len_out, const viv_host_t *h, uint32_t iface)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    const viv__iface *ifc = viv__host_iface(h, iface);
    VIV__CHECK(h->node.sim, out != NULL, "NULL out");
    VIV__CHECK(h->node.sim, ifc != NULL, "no such interface");
    if (!ifc->naddrs)
        return viv__err(h->node.sim, VIV_ENOENT, "viv_host_addr: %s has no address", ifc->name);
    *out = ifc->addrs[0].ip;
    if (prefix_len_out)
        *prefix_len_out = ifc->addrs[0].len;
    return 0;
}

int viv_host_set_forwarding(viv_host_t *h, int on)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    h->forwarding = on ? 1 : 0;
    if (!on)
        viv__ip_fwd_free(h); /* a cache exists only while the host forwards */
    return 0;
}

int viv_host_ip_stats(viv_ip_stats_t *out, const viv_host_t *h)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    VIV__CHECK(h->node.sim, out != NULL, "NULL out");
    viv__arp_expire((struct viv_host *)h); /* entries aged out by now are counted */
#define VIV__IP_COUNTER_COPY(name) out->name = h->st.name;
    VIV__IP_COUNTERS(VIV__IP_COUNTER_COPY)
#undef VIV__IP_COUNTER_COPY
    out->rx_frames += h->arp_heard;
    out->arp_rx += h->arp_heard;
    return 0;
}

int viv_router_new(viv_host_t **out, viv_sim_t *sim, uint32_t nifaces, const viv_host_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, nifaces <= 4096, "more than 4096 interfaces");
    viv_host_opts o = VIV_HOST_OPTS_INIT;
    if (opts)
        o = *opts;
    o.forwarding = 1;
    viv_host_t *h;
    int rc = viv_host_new(&h, sim, &o);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < nifaces; i++) {
        rc = viv_host_add_iface(h, NULL);
        if (rc < 0) {
            viv_host_free(h);
            return rc;
        }
    }
    *out = h;
    return 0;
}
