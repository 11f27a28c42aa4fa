/**
 * @file vivarium/ladder.h
 * @brief Ladder diagrams: the TCP segments between two hosts over time, as text.
 *
 * @defgroup viv_ladder Ladder diagrams
 * @brief The handshake, the data and the 4-way close drawn the way textbooks draw them.
 *
 * A ladder recorder subscribes to the simulation's trace (vivarium/trace.h) and keeps, for
 * two hosts, every TCP segment either sends (::VIV_TRACE_TCP_SEG_TX) and every state its
 * connections enter (::VIV_TRACE_TCP_STATE). viv_ladder_text() prints them, one line per
 * fact in the order they happened: the left host's column, the right host's column, and
 * between them an arrow per segment with its flags, its sequence and acknowledgment numbers
 * relative to the sender's ISS and IRS (as Wireshark shows them), and its payload length.
 * A segment the other host has not received (lost, dropped, or still on its way when the
 * text is printed) ends in `X`; a copy dropped by a station it was not for (on a hub) is no
 * loss. The lane between the columns is 40 characters, wider for the whole diagram when a
 * label needs more: labels are never cut.
 *
 * @code
 *       time  a                                                   b
 *   0.010000  SYN_SENT    |                                       |
 *   0.010000              |---- SYN seq=0 len=0 ----------------->|
 *   0.011000              |                                       | SYN_RECV
 * @endcode
 *
 * **Chaining.** A simulation has one trace subscription. The recorder takes it and passes
 * every record on to the subscriber it replaced (a testing-kit recorder, another ladder, or
 * the program's own callback), so that they all keep working. Free recorders in the reverse
 * order of their creation (or let viv_sim_free() free them): a recorder freed while another
 * subscribed after it leaves the later one's chain to itself broken unless that later one is
 * a ladder.
 * @{
 */
#ifndef VIVARIUM_LADDER_H
#define VIVARIUM_LADDER_H

#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A ladder recorder (opaque). */
typedef struct viv_ladder viv_ladder_t;

/**
 * Start recording the segments between two hosts.
 * @param[out] out the recorder, owned by the simulation (freed with it, or by
 *             viv_ladder_free()).
 * @param sim the simulation.
 * @param left the host drawn on the left (its node: viv_host_node()). The recorder keeps a
 *             copy of its name, so the hosts may be freed before it (the diagram keeps what
 *             they sent; a node made later at a freed one's address is not drawn).
 * @param right the host drawn on the right.
 * @param port if not 0, only connections with this local or remote port are drawn.
 * @return 0, ::VIV_EINVAL (NULL argument, the same node twice, or a node of another
 *         simulation; @p out untouched), ::VIV_ENOMEM.
 *
 * Recording starts with the call and runs inside the trace callback: the recorder calls
 * nothing of the program's but the subscriber it replaced, with every record, at once.
 */
VIV_API int viv_ladder_new(viv_ladder_t **out, viv_sim_t *sim, const viv_node_t *left,
                           const viv_node_t *right, uint16_t port);

/**
 * Stop recording and free the recorder (see "Chaining" above). NULL is a no-op. Not after
 * viv_sim_free(), which freed it already.
 * @param l the recorder.
 */
VIV_API void viv_ladder_free(viv_ladder_t *l);

/**
 * Forget what was recorded so far (recording goes on; viv_ladder_overflow() keeps its
 * count). A segment recorded before and received after is no longer matched. NULL is a
 * no-op.
 * @param l the recorder.
 */
VIV_API void viv_ladder_clear(viv_ladder_t *l);

/**
 * Print the diagram of what was recorded so far.
 * @param l the recorder.
 * @param buf the buffer (may be NULL when @p cap is 0); the caller's, NUL-terminated
 *            whenever @p cap is not 0, the text cut to fit.
 * @param cap its size.
 * @return the length of the whole text without its NUL (snprintf-like), or ::VIV_EINVAL
 *         (NULL recorder, or NULL @p buf with @p cap not 0).
 */
VIV_API int viv_ladder_text(const viv_ladder_t *l, char *buf, size_t cap);

/**
 * The facts that could not be kept (memory ran out, or more than 65536 of them since the
 * last viv_ladder_clear()).
 * @param l the recorder.
 * @return their count since the recorder was made; 0 for NULL.
 */
VIV_API uint64_t viv_ladder_overflow(const viv_ladder_t *l);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
