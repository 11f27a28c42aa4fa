/* Layer 4 internals: what UDP and TCP sockets share. A socket's events are posted, never
 * delivered from inside the API call that raised them, and a socket freed inside its own
 * callback is reclaimed after the callback returns. */
#ifndef VIV_L4_L4_H
#define VIV_L4_L4_H

#include "core/map.h"
#include "l3/l3.h"
#include "vivarium/socket.h"

/* The shared part of every socket, embedded FIRST in each socket type (so that the public
 * handle and its viv__sock have the same address: trace records rely on it). */
typedef struct viv__sock {
    struct viv_host *h; /* NULL once the host is freed (the socket may outlive it briefly) */
    viv_sim_t *sim;
    uint32_t pending;  /* event bits raised and not yet delivered */
    /* Delivers the pending bits at the instant they were raised. It holds its event slot
     * from the socket's creation, so raising an event can never fail for want of memory. */
    viv__timer notify;
    int in_cb;
    int dead;          /* freed by the program; reclaimed when the callback returns */
    /* Deliver events to the program's callback. */
    void (*deliver)(struct viv__sock *s, uint32_t events);
    /* Free the socket's memory (it is already detached from every table). */
    void (*release)(struct viv__sock *s);
} viv__sock;

/* VIV_ENOMEM (with a message) if the socket's notification timer cannot be had; the
 * socket then holds nothing to release. */
int viv__sock_init(viv__sock *s, struct viv_host *h, void (*deliver)(viv__sock *, uint32_t),
                   void (*release)(viv__sock *));
/* Raise event bits: delivered by an event at the current instant. Never fails. */
void viv__sock_raise(viv__sock *s, uint32_t events);
/* The program freed the socket (already detached): release now, or after its callback. */
void viv__sock_close(viv__sock *s);
/* The host is being freed: release without callbacks. If the socket's callback is running
 * (it freed the host), the release waits until the callback returns; release must then not
 * touch the host. */
void viv__sock_destroy(viv__sock *s);

/* Ephemeral ports: the next free port of [49152, 65535] after *cursor for which in_use is
 * false. Returns the port, or 0 if none is free. */
uint16_t viv__ephemeral_port(uint16_t *cursor, int (*in_use)(void *ctx, uint16_t port),
                             void *ctx);
/* A host's starting point for ephemeral ports of one protocol, from the host's stream for
 * that protocol (sub: VIV__RNG_SUB_UDP_PORTS, VIV__RNG_SUB_TCP_PORTS). */
uint16_t viv__ephemeral_start(struct viv_host *h, uint32_t sub);

#define VIV__EPHEMERAL_LO 49152u
#define VIV__EPHEMERAL_HI 65535u

#endif
