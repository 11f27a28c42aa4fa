/* Processes: applications on a host that own sockets. Ending one lets go of each of its
 * sockets the way a kernel closes the descriptors of a process that ends (viv__sock_let_go:
 * the protocol's orphan hook sends the FIN or the reset and keeps the connection closing). */
#include <string.h>

#include "l4.h"
#include "vivarium/process.h"

struct viv_process {
    viv__hostobj ho; /* first: its magic is the handle check */
    struct viv_host *h;
    char name[32];
    uint32_t pid;
    viv_process_status status;
    int code;
    uint32_t nsocks;
    viv__sock *first, *last; /* its sockets, in the order it got them */
};

#define PROCESS_PID_FIRST 1000u

static int process_ok(const viv_process_t *p)
{
    return p && p->ho.magic == VIV__MAGIC_HOSTOBJ;
}

void viv__process_forget(viv__sock *s)
{
    viv_process_t *p = s->proc;
    if (!p)
        return;
    if (s->pprev)
        s->pprev->pnext = s->pnext;
    else
        p->first = s->pnext;
    if (s->pnext)
        s->pnext->pprev = s->pprev;
    else
        p->last = s->pprev;
    s->pprev = s->pnext = NULL;
    s->proc = NULL;
    p->nsocks--;
}

static void process_take(viv_process_t *p, viv__sock *s)
{
    if (s->proc == p)
        return;
    viv__process_forget(s);
    s->proc = p;
    s->pnext = NULL;
    s->pprev = p->last;
    if (p->last)
        p->last->pnext = s;
    else
        p->first = s;
    p->last = s;
    p->nsocks++;
}

void viv__process_inherit(viv__sock *child, const viv__sock *l)
{
    if (l->proc && l->proc->status == VIV_PROCESS_RUNNING)
        process_take(l->proc, child);
}

/* The kernel closes what the process held, in the order it got it. */
static void process_end(viv_process_t *p, viv_process_status st)
{
    if (p->status != VIV_PROCESS_RUNNING)
        return;
    p->status = st;
    while (p->first) {
        viv__sock *s = p->first;
        viv__process_forget(s);
        /* let_go needs the protocol's list: every transport keeps its sockets in the list
         * that viv__sock_init was given; the socket's ops know how to reach it. */
        viv__sock_let_go_owned(s);
    }
}

static void process_destroy(viv__hostobj *o)
{
    viv_process_t *p = (viv_process_t *)o;
    viv_sim_t *sim = p->h->node.sim;
    /* The host is going: its transports already released every socket. */
    while (p->first)
        viv__process_forget(p->first);
    viv__free(sim, p, sizeof(*p));
}

void viv__process_power_lost(struct viv_host *h)
{
    for (viv__hostobj *o = h->objs.next; o != &h->objs; o = o->next)
        if (o->destroy == process_destroy)
            process_end((viv_process_t *)o, VIV_PROCESS_POWER_LOST);
}

int viv_process_new(viv_process_t **out, viv_host_t *h, const char *name)
{
    VIV__HANDLE(h, HOST);
    if (!h)
        return VIV_EINVAL;
    viv_sim_t *sim = h->node.sim;
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, name != NULL, "NULL name");
    uint32_t pid = PROCESS_PID_FIRST;
    for (viv__hostobj *o = h->objs.next; o != &h->objs; o = o->next)
        if (o->destroy == process_destroy && ((viv_process_t *)o)->pid >= pid)
            pid = ((viv_process_t *)o)->pid + 1;
    viv_process_t *p = viv__zalloc(sim, sizeof(*p));
    if (!p)
        return viv__err(sim, VIV_ENOMEM, "viv_process_new: out of memory");
    p->h = h;
    size_t n = strlen(name);
    if (n >= sizeof p->name)
        n = sizeof p->name - 1;
    memcpy(p->name, name, n);
    p->name[n] = '\0';
    p->pid = pid;
    p->status = VIV_PROCESS_RUNNING;
    viv__hostobj_add(h, &p->ho, process_destroy);
    *out = p;
    return 0;
}

void viv_process_free(viv_process_t *p)
{
    if (!process_ok(p))
        return;
    process_end(p, VIV_PROCESS_EXITED);
    viv__hostobj_remove(&p->ho);
    process_destroy(&p->ho);
}

static int process_adopt(viv_process_t *p, viv__sock *s, const char *fn)
{
    if (!process_ok(p) || !s)
        return VIV_EINVAL;
    viv_sim_t *sim = p->h->node.sim;
    if (s->dead || !s->handle || s->h != p->h)
        return viv__err(sim, VIV_EINVAL, "%s: the socket is not held on the process's host", fn);
    if (p->status != VIV_PROCESS_RUNNING)
        return viv__err(sim, VIV_ESTATE, "%s: the process has ended", fn);
    process_take(p, s);
    return 0;
}

int viv_process_adopt_tcp(viv_process_t *p, viv_tcp_t *s)
{
    VIV__HANDLE(s, TCP);
    return process_adopt(p, (viv__sock *)s, "viv_process_adopt_tcp");
}

int viv_process_adopt_udp(viv_process_t *p, viv_udp_t *s)
{
    VIV__HANDLE(s, UDP);
    return process_adopt(p, (viv__sock *)s, "viv_process_adopt_udp");
}

int viv_process_exit(viv_process_t *p, int code)
{
    if (!process_ok(p))
        return VIV_EINVAL;
    if (p->status == VIV_PROCESS_RUNNING)
        p->code = code;
    process_end(p, VIV_PROCESS_EXITED);
    return 0;
}

int viv_process_kill(viv_process_t *p)
{
    if (!process_ok(p))
        return VIV_EINVAL;
    process_end(p, VIV_PROCESS_KILLED);
    return 0;
}

viv_process_status viv_process_status_get(const viv_process_t *p)
{
    return process_ok(p) ? p->status : VIV_PROCESS_EXITED;
}

int viv_process_exit_code(const viv_process_t *p)
{
    return process_ok(p) ? p->code : 0;
}

const char *viv_process_name(const viv_process_t *p)
{
    return process_ok(p) ? p->name : "";
}

uint32_t viv_process_pid(const viv_process_t *p)
{
    return process_ok(p) ? p->pid : 0;
}

uint32_t viv_process_socket_count(const viv_process_t *p)
{
    return process_ok(p) ? p->nsocks : 0;
}

/* For netstat: the owner of a socket, as `netstat -p` prints it. */
const char *viv__process_of(const viv__sock *s, uint32_t *pid)
{
    if (!s->proc || !s->handle) {
        *pid = 0;
        return NULL;
    }
    *pid = s->proc->pid;
    return s->proc->name;
}
