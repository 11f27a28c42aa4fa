/* Socket machinery shared by UDP and TCP: posted events, deferred frees, ephemeral ports. */
#include "l4.h"

void viv__sock_init(viv__sock *s, struct viv_host *h, void (*deliver)(viv__sock *, uint32_t),
                    void (*release)(viv__sock *))
{
    s->h = h;
    s->sim = h->node.sim;
    s->pending = 0;
    s->notify_armed = 0;
    s->in_cb = 0;
    s->dead = 0;
    s->deliver = deliver;
    s->release = release;
}

static void sock_notify(viv_sim_t *sim, void *user)
{
    viv__sock *s = user;
    (void)sim;
    s->notify_armed = 0;
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
    s->pending |= events;
    if (!s->notify_armed &&
        viv_sim_schedule_after(&s->notify_ev, s->sim, 0, sock_notify, s) == 0)
        s->notify_armed = 1;
}

void viv__sock_close(viv__sock *s)
{
    s->dead = 1;
    if (s->notify_armed) {
        viv_sim_cancel(s->sim, s->notify_ev);
        s->notify_armed = 0;
    }
    if (!s->in_cb)
        s->release(s);
}

void viv__sock_destroy(viv__sock *s)
{
    if (s->notify_armed)
        viv_sim_cancel(s->sim, s->notify_ev);
    s->notify_armed = 0;
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

uint16_t viv__ephemeral_start(struct viv_host *h)
{
    return (uint16_t)(VIV__EPHEMERAL_LO +
                      viv_rng_below(&h->rng, VIV__EPHEMERAL_HI - VIV__EPHEMERAL_LO + 1));
}
