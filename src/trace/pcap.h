/* Captures, internal side: what the layers that attach captures to ports and links need.
 *
 * viv__pcap_tap has the shape of a layer-2 tap function (viv__tap in src/l2/l2.h), so a
 * capture can be hung on a port or a link direction with
 * viv__tap_add(sim, list, viv__pcap_tap, cap). It writes every frame it sees, whatever the
 * direction. It cannot report errors to anyone: an I/O error puts the capture in error (see
 * viv__pcap_error()), and later viv_pcap_flush()/viv_pcap_write() calls return VIV_EIO.
 *
 * Whoever attaches a capture also registers, with viv__pcap_set_detach(), how to detach it:
 * the capture does not know where it is attached. */
#ifndef VIV_TRACE_PCAP_H
#define VIV_TRACE_PCAP_H

#include <stdint.h>

#include "core/core.h"
#include "vivarium/pcap.h"

/* Write one frame seen at time t (dir is ignored). cap is a viv_pcap_t. */
void viv__pcap_tap(void *cap, viv_time_t t, const uint8_t *bytes, uint32_t len, int dir);

/* The capture's error: 0, or VIV_EIO once a write or flush has failed. */
int viv__pcap_error(const viv_pcap_t *cap);

/* Whoever attaches the capture registers how to detach it from everywhere; viv_pcap_close()
 * calls it before freeing the capture. */
void viv__pcap_set_detach(viv_pcap_t *cap, void (*detach)(viv_sim_t *sim, void *cap));

/* The simulation that owns the capture. */
viv_sim_t *viv__pcap_sim(const viv_pcap_t *cap);

#endif
