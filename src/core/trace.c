/* The trace subscription: one callback per simulation, typed records. Places that trace test
 * sim->trace_cb first (a NULL check when nobody subscribes), then build a record and hand
 * it to viv__trace_emit. */
#include <string.h>

#include "core.h"

#include "vivarium/trace.h"

int viv_sim_trace(viv_sim_t *sim, viv_trace_cb cb, void *user)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    sim->trace_cb = cb;
    sim->trace_ud = cb ? user : NULL;
    return 0;
}

void viv__trace_init(viv_trace_record *r, int kind)
{
    memset(r, 0, sizeof(*r));
    r->kind = (viv_trace_kind)kind;
    r->port = UINT32_MAX;
    r->state = 0;
}

void viv__trace_emit(viv_sim_t *sim, viv_trace_record *r)
{
    viv_trace_cb cb = sim->trace_cb;
    if (!cb)
        return;
    r->time = sim->now;
    cb(r, sim->trace_ud);
}

void viv__trace_frame(viv_sim_t *sim, int kind, const void *node, uint32_t port,
                      const void *link, int dir, int reason, const uint8_t *bytes,
                      uint32_t len)
{
    viv_trace_record r;
    viv__trace_init(&r, kind);
    r.node = node;
    r.port = port;
    r.link = link;
    r.dir = (viv_link_dir)dir;
    r.reason = (viv_drop_reason)reason;
    r.frame = bytes;
    r.frame_len = len;
    viv__trace_emit(sim, &r);
}

const char *viv_drop_reason_name(viv_drop_reason reason)
{
    switch (reason) {
    case VIV_DROP_QUEUE_FULL: return "queue full";
    case VIV_DROP_LOSS: return "loss";
    case VIV_DROP_BURST_LOSS: return "burst loss";
    case VIV_DROP_CUT: return "link cut";
    case VIV_DROP_MTU: return "over the link MTU";
    case VIV_DROP_INTERCEPT: return "intercepted";
    case VIV_DROP_NO_MEMORY: return "no memory";
    case VIV_DROP_NODE_DOWN: return "node off";
    case VIV_DROP_UNPLUGGED: return "unplugged";
    case VIV_DROP_NOT_MINE: return "not mine";
    case VIV_DROP_BAD_FRAME: return "bad frame";
    case VIV_DROP_MALFORMED: return "malformed";
    case VIV_DROP_CHECKSUM: return "bad checksum";
    case VIV_DROP_TTL: return "TTL expired";
    case VIV_DROP_NO_ROUTE: return "no route";
    case VIV_DROP_NO_ARP: return "no ARP answer";
    case VIV_DROP_ARP_QUEUE: return "ARP queue full";
    case VIV_DROP_TOO_BIG: return "too big";
    case VIV_DROP_FRAGMENT: return "fragment";
    case VIV_DROP_BROADCAST: return "broadcast not forwarded";
    case VIV_DROP_NO_PROTOCOL: return "no such protocol";
    case VIV_DROP_NO_PORT: return "no such port";
    case VIV_DROP_RX_QUEUE_FULL: return "receive queue full";
    case VIV_DROP_FILTERED: return "filtered";
    case VIV_DROP_TABLE_FULL: return "table full";
    }
    return "unknown";
}

const char *viv_trace_kind_name(viv_trace_kind kind)
{
    switch (kind) {
    case VIV_TRACE_FRAME_TX: return "tx";
    case VIV_TRACE_FRAME_RX: return "rx";
    case VIV_TRACE_FRAME_DROP: return "drop";
    case VIV_TRACE_ARP: return "arp";
    case VIV_TRACE_MAC: return "mac";
    case VIV_TRACE_SOCKET: return "socket";
    case VIV_TRACE_ADDR_CONFLICT: return "address conflict";
    case VIV_TRACE_TCP_STATE: return "tcp state";
    case VIV_TRACE_TCP_SEG_TX: return "tcp tx";
    case VIV_TRACE_TCP_SEG_RX: return "tcp rx";
    case VIV_TRACE_TCP_RETRANSMIT: return "tcp retransmit";
    case VIV_TRACE_TCP_TIMER_START: return "tcp timer start";
    case VIV_TRACE_TCP_TIMER_EXPIRE: return "tcp timer expire";
    case VIV_TRACE_TCP_CC: return "tcp cc";
    }
    return "unknown";
}
