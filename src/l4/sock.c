/* Socket machinery shared by UDP and TCP: posted events, deferred frees, ephemeral ports. */
#include <stddef.h>

#include "l4.h"
#include "vivarium/trace.h"

static void sock_notify(viv__post *p);

int viv__sock_init(viv__sock *s, struct viv_host *h, const viv__sock_ops *ops,
                   viv__sock_list *list, int has_cb)
{
    s->magic = ops->proto == VIV__IP_PROTO_TCP ? VIV__MAGIC_TCP : VIV__MAGIC_UDP;
    s->ops = ops;
    s->h = h;
    s->sim = h->node.sim;
    s->pending = 0;
    s->handle = 1;
    s->has_cb = has_cb ? 1 : 0;
    s->dead = 0;
    s->list = list;
    viv__post_init(&s->notify, sock_notify);
    s->next = NULL;
    s->prev = list->last;
    if (list->last)
        list->last->next = s;
    else
        list->first = s;
    list->last = s;
    return 0;
}

static void sock_notify(viv__post *p)
{
    viv__sock *s = (viv__sock *)((char *)p - offsetof(viv__sock, notify));
    uint32_t ev = s->pending;
    if (!ev || s->dead || !s->handle || !s->has_cb)
        return;
    s->pending = 0;
    /* If the callback frees the socket (or its host), the memory lasts until the posted work
     * is over: nothing here touches it afterwards. */
    s->ops->deliver(s, ev);
}

/* The trace record of a raise, out of line: the record's room on the stack would otherwise
 * be a frame set up on every raise, traced or not. */
static VIV__NOINLINE void sock_raise_trace(viv__sock *s, uint32_t events)
{
    viv_trace_record r;
    viv__trace_init(&r, VIV_TRACE_SOCKET);
    r.node = s->h ? (const viv_node_t *)&s->h->node : NULL;
    r.socket = s; /* every socket type embeds its viv__sock first */
    r.events = events;
    viv__trace_emit(s->sim, &r);
}

void viv__sock_raise(viv__sock *s, uint32_t events)
{
    if (s->dead || !s->handle)
        return;
    if (VIV__UNLIKELY(viv__tracing(s->sim)))
        sock_raise_trace(s, events);
    s->pending |= events;
    if (s->has_cb)
        viv__post_add(s->sim, &s->notify);
}

void viv__sock_set_cb(viv__sock *s, int has_cb)
{
    s->has_cb = has_cb ? 1 : 0;
    if (s->has_cb && s->pending && !s->dead && s->handle)
        viv__post_add(s->sim, &s->notify);
}

static void sock_free_memory(viv__zombie *z)
{
    viv__sock *s = (viv__sock *)((char *)z - offsetof(viv__sock, z));
    s->ops->release(s);
}

void viv__sock_release(viv__sock *s, viv__sock_list *list)
{
    if (s->dead)
        return;
    if (s->proc)
        viv__process_forget(s);
    s->dead = 1;
    s->handle = 0;
    s->magic = VIV__MAGIC_DEAD;
    viv__post_cancel(s->sim, &s->notify);
    if (s->prev)
        s->prev->next = s->next;
    else
        list->first = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        list->last = s->prev;
    s->prev = s->next = NULL;
    viv__release_later(s->sim, &s->z, sock_free_memory);
}

void viv__sock_let_go(viv__sock *s, viv__sock_list *list)
{
    if (s->dead || !s->handle)
        return;
    if (s->proc)
        viv__process_forget(s);
    s->handle = 0;
    s->magic = VIV__MAGIC_DEAD; /* the handle is gone, whatever the protocol keeps */
    s->has_cb = 0;
    s->pending = 0;
    viv__post_cancel(s->sim, &s->notify);
    if (s->ops->orphan(s))
        viv__sock_release(s, list);
}

void viv__sock_let_go_owned(viv__sock *s)
{
    viv__sock_let_go(s, s->list);
}

uint16_t viv__ephemeral_start(struct viv_host *h, uint32_t sub)
{
    /* The protocol's own stream of the host: its ports never shift another consumer's
     * draws, nor the other way round. */
    viv_rng_t r;
    viv__rng_component(&r, h->node.sim, VIV__RNG_HOST, h->node.key, sub);
    return (uint16_t)(VIV__EPHEMERAL_LO +
                      viv_rng_below(&r, VIV__EPHEMERAL_HI - VIV__EPHEMERAL_LO + 1));
}
