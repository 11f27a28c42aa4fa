/* Subnets: objects that hand out the addresses of one prefix to interfaces, lowest first.
 *
 * The addresses given are kept as a sorted array of offsets from the network address, so a
 * subnet costs memory in proportion to what it gave, never to its size: a /8 with three hosts
 * holds three numbers. The lowest free address is found by binary search: in a sorted array
 * of distinct offsets starting at the first usable one, taken[i] == first + i up to the first
 * gap, and taken[i] - i never decreases, so the gap is where that difference first exceeds
 * first. Addresses are given in order, so the array usually grows at its end. */
#include <string.h>

#include "l3.h"

struct viv_subnet {
    viv__obj obj;
    viv_sim_t *sim;
    viv_ip4_t net;
    uint8_t len;
    uint32_t first, last; /* usable offsets from net, inclusive */
    uint32_t *taken;      /* offsets given, sorted, distinct */
    uint32_t ntaken, cap;
};

static void subnet_release(struct viv_subnet *s)
{
    s->obj.magic = VIV__MAGIC_DEAD;
    viv__free(s->sim, s->taken, s->cap * sizeof(*s->taken));
    viv__free(s->sim, s, sizeof(*s));
}

static void subnet_obj_destroy(viv__obj *o)
{
    subnet_release((struct viv_subnet *)o);
}

/* Index of the first taken offset >= off. */
static uint32_t taken_lower_bound(const struct viv_subnet *s, uint32_t off)
{
    uint32_t lo = 0, hi = s->ntaken;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->taken[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The lowest usable offset not taken, or UINT32_MAX when the subnet is full. Every taken
 * offset lies in [first, last], so below the first gap taken[i] == first + i. */
static uint32_t lowest_free(const struct viv_subnet *s)
{
    uint32_t lo = 0, hi = s->ntaken;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->taken[mid] - mid == s->first)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* taken[0 .. lo) are first .. first + lo - 1; first + lo is free unless past last. */
    if ((uint64_t)s->first + lo > s->last)
        return UINT32_MAX;
    return s->first + lo;
}

/* Make room for one more offset. Returns 0 or VIV_ENOMEM. */
static int taken_reserve(struct viv_subnet *s)
{
    if (s->ntaken < s->cap)
        return 0;
    uint32_t ncap = s->cap ? s->cap * 2 : 16;
    uint32_t *n = viv__realloc(s->sim, s->taken, s->cap * sizeof(*n), ncap * sizeof(*n));
    if (!n)
        return VIV_ENOMEM;
    s->taken = n;
    s->cap = ncap;
    return 0;
}

/* Record an offset at its sorted place; taken_reserve() made room. */
static void taken_insert(struct viv_subnet *s, uint32_t off)
{
    uint32_t i = taken_lower_bound(s, off);
    memmove(&s->taken[i + 1], &s->taken[i], (s->ntaken - i) * sizeof(*s->taken));
    s->taken[i] = off;
    s->ntaken++;
}

/* Configure ip on the interface and record it. The caller checked that ip is free. */
static int subnet_give(struct viv_subnet *s, const char *func, viv_host_t *host, uint32_t iface,
                       viv_ip4_t ip)
{
    /* Make room in the record first, so that a configured address is always recorded. */
    if (taken_reserve(s) < 0)
        return viv__err(s->sim, VIV_ENOMEM, "%s: out of memory", func);
    int rc = viv_host_add_addr(host, iface, ip, s->len);
    if (rc < 0)
        return rc; /* viv_host_add_addr left the message */
    taken_insert(s, ip - s->net);
    return 0;
}

static int subnet_check_host(struct viv_subnet *s, const char *func, viv_host_t *host,
                             uint32_t iface)
{
    if (!host)
        return viv__err(s->sim, VIV_EINVAL, "%s: NULL host", func);
    if (viv_host_sim(host) != s->sim)
        return viv__err(s->sim, VIV_EINVAL, "%s: the host belongs to another simulation", func);
    if (iface >= viv_host_iface_count(host))
        return viv__err(s->sim, VIV_EINVAL, "%s: %s has no interface %u", func,
                        viv_node_name(viv_host_node(host)), iface);
    return 0;
}

/* ---- public ---------------------------------------------------------------------------- */

int viv_subnet_new(viv_subnet_t **out, viv_sim_t *sim, const char *cidr)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, cidr != NULL, "NULL prefix text");
    viv_ip4_t net;
    uint8_t len;
    if (viv_ip4_parse_prefix(&net, &len, cidr) < 0)
        return viv__err(sim, VIV_EINVAL, "viv_subnet_new: \"%s\" is not a prefix like 10.0.1.0/24",
                        cidr);
    if (len == 0)
        return viv__err(sim, VIV_EINVAL, "viv_subnet_new: \"%s\": length 0 is not a subnet", cidr);
    viv_ip4_t m = viv_ip4_mask(len);
    if (net & ~m)
        return viv__err(sim, VIV_EINVAL, "viv_subnet_new: \"%s\" has host bits set", cidr);
    /* Every address handed out must be a unicast one a host can take. */
    if ((net | ~m) >= VIV_IP4(224, 0, 0, 0))
        return viv__err(sim, VIV_EINVAL,
                        "viv_subnet_new: \"%s\" reaches into multicast or reserved space", cidr);
    struct viv_subnet *s = viv__zalloc(sim, sizeof(*s));
    if (!s)
        return viv__err(sim, VIV_ENOMEM, "viv_subnet_new: out of memory");
    s->sim = sim;
    s->net = net;
    s->len = len;
    uint32_t hostmask = ~m;
    if (len >= 31) { /* point-to-point (RFC 3021) and single addresses: all usable */
        s->first = 0;
        s->last = hostmask;
    } else {
        s->first = 1;
        s->last = hostmask - 1;
    }
    if (net == VIV_IP4_ANY && s->first == 0)
        s->first = 1; /* 0.0.0.0 is never an interface address */
    viv__obj_register(sim, &s->obj, subnet_obj_destroy);
    s->obj.magic = VIV__MAGIC_SUBNET;
    *out = s;
    return 0;
}

void viv_subnet_free(viv_subnet_t *subnet)
{
    VIV__HANDLE(subnet, SUBNET);
    if (!subnet)
        return;
    viv__obj_unregister(subnet->sim, &subnet->obj);
    subnet_release(subnet);
}

int viv_subnet_attach(viv_ip4_t *ip_out, viv_subnet_t *s, viv_host_t *host, uint32_t iface)
{
    VIV__HANDLE(s, SUBNET);
    VIV__HANDLE(host, HOST);
    if (!s)
        return viv_host_sim(host)
                   ? viv__err(viv_host_sim(host), VIV_EINVAL, "viv_subnet_attach: NULL subnet")
                   : VIV_EINVAL;
    int rc = subnet_check_host(s, __func__, host, iface);
    if (rc < 0)
        return rc;
    uint32_t off = lowest_free(s);
    if (off == UINT32_MAX) {
        char text[VIV_IP4_STRLEN];
        viv_ip4_format(s->net, text, sizeof text);
        return viv__err(s->sim, VIV_EADDRNOTAVAIL, "viv_subnet_attach: %s/%u is full", text,
                        s->len);
    }
    rc = subnet_give(s, __func__, host, iface, s->net + off);
    if (rc < 0)
        return rc;
    if (ip_out)
        *ip_out = s->net + off;
    return 0;
}

int viv_subnet_attach_ip(viv_subnet_t *s, viv_host_t *host, uint32_t iface, viv_ip4_t ip)
{
    VIV__HANDLE(s, SUBNET);
    VIV__HANDLE(host, HOST);
    if (!s)
        return viv_host_sim(host)
                   ? viv__err(viv_host_sim(host), VIV_EINVAL, "viv_subnet_attach_ip: NULL subnet")
                   : VIV_EINVAL;
    int rc = subnet_check_host(s, __func__, host, iface);
    if (rc < 0)
        return rc;
    char text[VIV_IP4_STRLEN];
    viv_ip4_format(ip, text, sizeof text);
    viv_ip4_t m = viv_ip4_mask(s->len);
    if ((ip & m) != s->net)
        return viv__err(s->sim, VIV_EINVAL, "viv_subnet_attach_ip: %s is outside the subnet", text);
    uint32_t off = ip - s->net;
    if (off < s->first || off > s->last)
        return viv__err(s->sim, VIV_EINVAL,
                        "viv_subnet_attach_ip: %s is the subnet's network or broadcast address",
                        text);
    uint32_t i = taken_lower_bound(s, off);
    if (i < s->ntaken && s->taken[i] == off)
        return viv__err(s->sim, VIV_EADDRINUSE, "viv_subnet_attach_ip: %s was already given", text);
    return subnet_give(s, __func__, host, iface, ip);
}

int viv_subnet_prefix(viv_ip4_t *ip_out, uint8_t *prefix_len_out, const viv_subnet_t *s)
{
    VIV__HANDLE(s, SUBNET);
    if (!s)
        return VIV_EINVAL;
    if (ip_out)
        *ip_out = s->net;
    if (prefix_len_out)
        *prefix_len_out = s->len;
    return 0;
}

viv_ip4_t viv_subnet_broadcast(const viv_subnet_t *s)
{
    VIV__HANDLE(s, SUBNET);
    if (!s)
        return 0;
    if (s->len >= 31)
        return VIV_IP4_BROADCAST;
    return s->net | ~viv_ip4_mask(s->len);
}
