/* viv_bench inflight: what a frame in flight costs in memory (issue 17).
 *
 * Host A sends --frames datagrams whose Ethernet frames are --size bytes (60 by default: the
 * Ethernet minimum, so 18 bytes of UDP payload) to host B, all at one instant, over a
 * 1 Mbit/s cable whose queue holds them all. Right after the burst every frame is held by the
 * link (one waiting or in transmission, the rest queued): N frames in flight at once, each
 * with its arrival event and its in-flight record. The mode prints the growth of the peak
 * RSS over the burst divided by N (what one frame in flight costs the whole process: its
 * buffer, its event, its queue entry, and the allocator's overhead), then lets the burst
 * drain into B (a reader that discards) and prints the memory the frame pool still keeps.
 *
 * ARP is resolved first by one datagram, so the burst goes straight onto the wire. The mode
 * reads the frame pool's statistics (an internal function), so like rearm it includes the
 * library's internal headers; the workload itself uses the public API only. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <vivarium.h>

#include "core/core.h"

int viv_bench_inflight(uint64_t frames, uint64_t size);

static long inflight_peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

typedef struct inflight_sink {
    uint64_t delivered;
} inflight_sink;

static void inflight_rx(viv_udp_t *s, uint32_t events, void *user)
{
    inflight_sink *k = user;
    if (!(events & VIV_EV_READABLE))
        return;
    while (viv_udp_recv(s, NULL, 0) >= 0)
        k->delivered++;
}

/* Ethernet 14 + IPv4 20 + UDP 8 bytes of headers before the payload. */
#define INFLIGHT_HDRS 42u

int viv_bench_inflight(uint64_t frames, uint64_t size)
{
    uint64_t payload = size > INFLIGHT_HDRS ? size - INFLIGHT_HDRS : 0;
    viv_sim_opts so = VIV_SIM_OPTS_INIT;
    viv_sim_t *sim;
    if (viv_sim_new(&sim, &so) < 0)
        return 1;
    viv_host_t *a, *b;
    viv_link_t *l;
    viv_udp_t *tx, *rx;
    inflight_sink sink = {0};
    viv_link_params lp = VIV_LINK_PARAMS_INIT;
    lp.rate_bps = 1000000;
    lp.delay_ns = VIV_MS(1);
    lp.queue_frames = (uint32_t)frames + 1;
    if (size > 1514)
        lp.mtu = (uint32_t)(size - 14);
    viv_iface_opts io = VIV_IFACE_OPTS_INIT;
    if (size > 1514)
        io.mtu = (uint32_t)(size - 14);
    viv_udp_opts uo = VIV_UDP_OPTS_INIT;
    viv_sockaddr_t any = {VIV_IP4_ANY, 9}, dst = {VIV_IP4(10, 0, 0, 2), 9};
    uint8_t *buf = calloc(1, payload + 1);
    int rc;
    if (!buf || (rc = viv_host_new(&a, sim, NULL)) < 0 || (rc = viv_host_add_iface(a, &io)) < 0 ||
        (rc = viv_host_new(&b, sim, NULL)) < 0 || (rc = viv_host_add_iface(b, &io)) < 0 ||
        (rc = viv_link_new(&l, sim, viv_host_port(a, 0), viv_host_port(b, 0), &lp)) < 0 ||
        (rc = viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24)) < 0 ||
        (rc = viv_host_add_addr(b, 0, dst.ip, 24)) < 0 ||
        (rc = viv_udp_new(&tx, a, &uo, NULL, NULL)) < 0 ||
        (rc = viv_udp_new(&rx, b, &uo, inflight_rx, &sink)) < 0 ||
        (rc = viv_udp_bind(rx, &any)) < 0 ||
        (rc = viv_udp_sendto(tx, buf, payload, &dst)) < 0 || (rc = viv_sim_run(sim)) < 0) {
        fprintf(stderr, "viv_bench inflight: set-up failed: %s\n", viv_sim_errmsg(sim));
        viv_sim_free(sim);
        free(buf);
        return 1;
    }
    /* The burst: every frame on the link at once. */
    long before_kb = inflight_peak_rss_kb();
    uint64_t sent = 0;
    for (; sent < frames; sent++)
        if ((rc = viv_udp_sendto(tx, buf, payload, &dst)) < 0)
            break;
    long peak_kb = inflight_peak_rss_kb();
    viv__frame_pool_stats ps_peak;
    viv__frame_pool_stats_get(&ps_peak, sim);
    if (rc < 0)
        fprintf(stderr, "viv_bench inflight: send %llu failed: %s\n", (unsigned long long)sent,
                viv_sim_errmsg(sim));
    else
        rc = viv_sim_run(sim);
    viv__frame_pool_stats ps_end;
    viv__frame_pool_stats_get(&ps_end, sim);
    if (rc >= 0)
        printf("mode=inflight frames=%llu size=%llu sent=%llu delivered=%llu "
               "frames_live_peak=%llu pool_bytes_peak=%llu bytes_per_frame=%.1f "
               "pool_free_after=%llu pool_bytes_after=%llu peak_rss_kb=%ld\n",
               (unsigned long long)frames, (unsigned long long)size,
               (unsigned long long)sent, (unsigned long long)sink.delivered - 1,
               (unsigned long long)ps_peak.live, (unsigned long long)ps_peak.bytes,
               frames ? (double)(peak_kb - before_kb) * 1024.0 / (double)frames : 0.0,
               (unsigned long long)ps_end.free, (unsigned long long)ps_end.bytes, peak_kb);
    viv_sim_free(sim);
    free(buf);
    return rc < 0 ? 1 : 0;
}
