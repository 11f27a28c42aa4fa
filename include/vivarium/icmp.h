/**
 * @file vivarium/icmp.h
 * @brief Ping and traceroute: ICMP echo with RTTs, timeouts and errors reported.
 *
 * @defgroup viv_icmp Ping and traceroute
 * @brief The two classic diagnostic tools, on simulated time.
 *
 * Every host answers ICMP echo requests. A ping sends echo requests from a host at a fixed
 * interval and reports each reply (with its round-trip time, exact in simulated time), each
 * timeout, and each ICMP error that quotes one of its requests. A traceroute sends echo
 * requests with TTL 1, 2, 3... (several probes per TTL) and reports, for each probe, the
 * router that answered with time exceeded, or the destination's echo reply, or a timeout.
 *
 * Requests carry no IP options, and the RTTs and sizes reported follow from the bytes on the
 * wire: an ICMP error quotes the whole request (up to 548 bytes; see host.h), so its
 * ::viv_ping_result::bytes is 8 plus the request's IP length. A host answers echo requests
 * that carry Record Route or Timestamp options with replies carrying them (see host.h).
 * A parameter problem about a request is not reported: vivarium sends one only about
 * malformed options, which its requests never have.
 *
 * **Identifier and data.** A ping's requests carry one ICMP identifier and sequence numbers
 * from 1. The identifier is the host's choice by default (the next of a counter, skipping
 * those in use by the host's other pings and traceroutes); ::viv_ping_opts::ident chooses it
 * instead, and viv_ping_start() refuses one in use with ::VIV_EADDRINUSE. (So a program that
 * chooses identifiers should choose them all: one the host picked earlier is in use.) A
 * ping or traceroute holds its identifier until it is freed, finished or not; when all
 * 65,536 of a host's are held, the host has none to choose and viv_ping_start() (without
 * ::viv_ping_opts::ident) and viv_traceroute_start() return ::VIV_EAGAIN until one is freed.
 * The echo data is `size` bytes: by default bytes 0x10, 0x11, 0x12... counting up (modulo 256);
 * with ::viv_ping_opts::payload, that payload repeated from its first byte and cut at `size`
 * (like `ping -p`, with a pattern of any length), or exactly the payload when `size` is 0.
 * A reply counts for a request when it comes from the destination with the ping's identifier
 * and the sequence number of a request still waiting; replies with another identifier belong
 * to someone else and are ignored, and a reply's data is not compared with the request's.
 * @{
 */
#ifndef VIVARIUM_ICMP_H
#define VIVARIUM_ICMP_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A running ping (opaque). */
typedef struct viv_ping viv_ping_t;

/** What a ping result reports. */
typedef enum viv_ping_event {
    VIV_PING_REPLY = 0,   /**< an echo reply arrived */
    VIV_PING_TIMEOUT = 1, /**< no reply within the timeout */
    VIV_PING_ERROR = 2,   /**< an ICMP error quoting the request arrived */
    VIV_PING_DONE = 3     /**< the last request has been answered or has timed out */
} viv_ping_event;

/** One result of a ping. */
typedef struct viv_ping_result {
    viv_ping_event event; /**< what happened */
    uint16_t seq;         /**< the request's sequence number (from 1) */
    viv_ip4_t from;       /**< who answered (reply or error) */
    viv_time_t rtt_ns;    /**< time from request to answer (reply or error) */
    uint8_t ttl;          /**< TTL of the answer as received */
    uint8_t icmp_type;    /**< the answer's ICMP type */
    uint8_t icmp_code;    /**< the answer's ICMP code */
    uint32_t bytes;       /**< ICMP bytes of the answer */
} viv_ping_result;

/** Totals of a ping. */
typedef struct viv_ping_stats_t {
    uint32_t sent;        /**< requests sent */
    uint32_t received;    /**< replies received */
    uint32_t errors;      /**< ICMP errors received */
    uint32_t timeouts;    /**< requests that timed out */
    viv_time_t rtt_min_ns; /**< smallest RTT of a reply */
    viv_time_t rtt_max_ns; /**< largest RTT of a reply */
    viv_time_t rtt_sum_ns; /**< sum of reply RTTs (mean = sum / received) */
} viv_ping_stats_t;

/**
 * Receives each result of a ping.
 * @param ping the ping.
 * @param r the result (valid during the call).
 * @param user the pointer given to viv_ping_start().
 *
 * Callback timing: from a simulation event, never from an API call. It may call
 * viv_ping_free() on this ping.
 */
typedef void (*viv_ping_cb)(viv_ping_t *ping, const viv_ping_result *r, void *user);

/** Options for viv_ping_start(). Zero fields mean defaults. */
typedef struct viv_ping_opts {
    uint32_t count;        /**< requests to send; default 4 */
    viv_time_t interval_ns; /**< time between requests; default 1 s */
    viv_time_t timeout_ns; /**< how long to wait for each answer; default 1 s */
    uint32_t size;         /**< echo data bytes; default 56 (84-byte IP packets), or
                                `payload_len` when a payload is given */
    uint8_t ttl;           /**< TTL; default the host's */
    uint16_t ident;        /**< ICMP identifier of the requests; 0: the host chooses one */
    const void *payload;   /**< the echo data's pattern, copied by viv_ping_start(); NULL:
                                vivarium's counting bytes (see @ref viv_icmp) */
    uint32_t payload_len;  /**< the pattern's length, 1 .. 65507 (0 without a payload) */
} viv_ping_opts;

/** Initialiser for ::viv_ping_opts with every default. */
#define VIV_PING_OPTS_INIT {0, 0, 0, 0, 0, 0, NULL, 0}

/**
 * Start pinging @p dst from @p host. The first request goes out at the current instant
 * (from an event, so after the caller returns).
 * @param[out] out receives the ping, or NULL if not wanted (it then lives until its host or
 *        the simulation is freed).
 * @param host the host that pings.
 * @param dst the destination.
 * @param opts options, or NULL.
 * @param cb the callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL (NULL host, size or payload_len above 65507, a payload with
 *         payload_len 0 or a payload_len without a payload, count above 65535),
 *         VIV_EADDRINUSE (the chosen ident is used by another ping or traceroute of the
 *         host), VIV_EAGAIN (no ident chosen, and every ICMP echo identifier of the host is
 *         in use by its pings and traceroutes), VIV_ENOMEM.
 *
 * Ownership: the host owns the ping; viv_ping_free() stops and frees it earlier. The
 * payload is copied (only the bytes the echo data uses): the caller's buffer may go at once.
 */
VIV_API int viv_ping_start(viv_ping_t **out, viv_host_t *host, viv_ip4_t dst,
                           const viv_ping_opts *opts, viv_ping_cb cb, void *user);

/**
 * Stop and free a ping; no callback follows. Safe inside its own callback.
 * @param ping the ping, or NULL.
 */
VIV_API void viv_ping_free(viv_ping_t *ping);

/**
 * Read a ping's totals.
 * @param[out] out receives them.
 * @param ping the ping.
 * @return 0, or VIV_EINVAL (NULL @p out or @p ping).
 */
VIV_API int viv_ping_stats(viv_ping_stats_t *out, const viv_ping_t *ping);

/** A running traceroute (opaque). */
typedef struct viv_traceroute viv_traceroute_t;

/** What a traceroute probe found. (Named viv_trace_kind before 0.2; that name is now the
 *  trace subscription's, in trace.h.) */
typedef enum viv_traceroute_kind {
    VIV_TRACE_HOP = 0,         /**< a router answered with time exceeded */
    VIV_TRACE_REACHED = 1,     /**< the destination answered with an echo reply */
    VIV_TRACE_UNREACHABLE = 2, /**< a destination unreachable error answered */
    VIV_TRACE_TIMEOUT = 3,     /**< nothing answered within the timeout ("*") */
    VIV_TRACE_DONE = 4         /**< the traceroute has finished */
} viv_traceroute_kind;

/** One probe's result. */
typedef struct viv_trace_result {
    viv_traceroute_kind kind; /**< what it found */
    uint8_t ttl;         /**< the probe's TTL (the hop number) */
    uint8_t probe;       /**< the probe number within the hop, from 1 */
    viv_ip4_t from;      /**< who answered */
    viv_time_t rtt_ns;   /**< round-trip time */
    uint8_t icmp_code;   /**< for ::VIV_TRACE_UNREACHABLE, the code */
} viv_trace_result;

/**
 * Receives each probe's result, then one ::VIV_TRACE_DONE.
 * @param tr the traceroute.
 * @param r the result (valid during the call).
 * @param user the pointer given to viv_traceroute_start().
 *
 * Callback timing: from a simulation event, never from an API call. It may call
 * viv_traceroute_free() on this traceroute.
 */
typedef void (*viv_traceroute_cb)(viv_traceroute_t *tr, const viv_trace_result *r, void *user);

/** Options for viv_traceroute_start(). Zero fields mean defaults. */
typedef struct viv_traceroute_opts {
    uint8_t max_hops;      /**< highest TTL tried; default 30 */
    uint8_t probes;        /**< probes per hop; default 3 */
    viv_time_t timeout_ns; /**< wait for each probe; default 1 s */
    uint32_t size;         /**< echo data bytes; default 32 */
} viv_traceroute_opts;

/** Initialiser for ::viv_traceroute_opts with every default. */
#define VIV_TRACEROUTE_OPTS_INIT {0, 0, 0, 0}

/**
 * Start a traceroute. Probes are sent one at a time: the next when the previous one is
 * answered or times out. It ends after the hop whose probes reached the destination or were
 * answered with destination unreachable, or after max_hops.
 * @param[out] out receives the traceroute, or NULL if not wanted (it then lives until its
 *        host or the simulation is freed).
 * @param host the host that traces.
 * @param dst the destination.
 * @param opts options, or NULL.
 * @param cb the callback, or NULL.
 * @param user passed to @p cb.
 * @return 0, or VIV_EINVAL (NULL host, size above 65507), VIV_EAGAIN (every ICMP echo
 *         identifier of the host is in use by its pings and traceroutes), VIV_ENOMEM.
 *
 * Ownership: the host owns it; viv_traceroute_free() stops and frees it earlier. The options
 * are copied. The first probe goes out at the current instant, from an event (after the
 * caller returns).
 */
VIV_API int viv_traceroute_start(viv_traceroute_t **out, viv_host_t *host, viv_ip4_t dst,
                                 const viv_traceroute_opts *opts, viv_traceroute_cb cb,
                                 void *user);

/**
 * Stop and free a traceroute; no callback follows. Safe inside its own callback.
 * @param tr the traceroute, or NULL.
 */
VIV_API void viv_traceroute_free(viv_traceroute_t *tr);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
