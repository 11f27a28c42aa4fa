/* Socket machinery shared by UDP and TCP: posted events, deferred frees, ephemeral ports. */
#include <stddef.h>

#include "l4.h"
#include "vivarium/trace.h"

static void sock_notify(viv__timer *t);

int viv__sock_init(viv__sock *s, struct viv_host *h, void (*deliver)(viv__sock *, uint32_t),
                   void (*release)(viv__sock *))
{
    s->h = h;
    s->sim = h->node.sim;
    s->pending = 0;
    s->in_cb = 0;
    s->dead = 0;
    s->deliver = deliver;
    s->release = release;
    return viv__timer_init(&s->notify, s->sim, h->node.owner, sock_notify);
}

static void sock_notify(viv__timer *t)
{
    viv__sock *s = (viv__sock *)((char *)t - offsetof(viv__sock, notify));
    uint32_t ev = s->pending;
    s->pending = 0;
    if (!ev || s->dead)
        return;
    s->in_cb++;
    s->deliver(s, ev);
    s->in_cb--;
    if (s->dead && !s->in_cb)
        s->release(s);
}

void viv__sock_raise(viv__sock *s, uint32_t events)
{
    if (s->dead)
        return;
    if (VIV__UNLIKELY(viv__tracing(s->sim))) {
        viv_trace_record r;
        viv__trace_init(&r, VIV_TRACE_SOCKET);
        r.node = s->h ? (const viv_node_t *)&s->h->node : NULL;
        r.socket = s; /* every socket type embeds its viv__sock first */
        r.events = events;
        viv__trace_emit(s->sim, &r);
    }
    s->pending |= events;
    viv__timer_set_min(&s->notify, s->sim->now);
}

void viv__sock_close(viv__sock *s)
{
    s->dead = 1;
    viv__timer_fini(&s->notify);
    if (!s->in_cb)
        s->release(s);
}

void viv__sock_destroy(viv__sock *s)
{
    viv__timer_fini(&s->notify);
    s->dead = 1;
    s->h = NULL;
    /* A callback of this socket freed the host: sock_notify releases it when it returns. */
    if (!s->in_cb)
        s->release(s);
}

uint16_t viv__ephemeral_port(uint16_t *cursor, int (*in_use)(void *, uint16_t), void *ctx)
{
    const uint32_t span = VIV__EPHEMERAL_HI - VIV__EPHEMERAL_LO + 1;
    for (uint32_t i = 0; i < span; i++) {
        uint16_t p = *cursor;
        *cursor = (uint16_t)(p >= VIV__EPHEMERAL_HI ? VIV__EPHEMERAL_LO : p + 1u);
        if (!in_use(ctx, p))
            return p;
    }
    return 0;
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
