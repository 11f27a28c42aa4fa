/* IPv4 headers (RFC 791). */
#ifndef VIV_WIRE_IPV4_H
#define VIV_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

#define VIV__IPV4_HDR_LEN 20     /* without options: what emit writes */
#define VIV__IPV4_MAX_HDR_LEN 60 /* IHL 15 */
#define VIV__IPV4_MAX_LEN 65535  /* total length field */
#define VIV__IP_PROTO_ICMP 1
#define VIV__IP_PROTO_TCP 6
#define VIV__IP_PROTO_UDP 17

struct viv__ipv4_repr {
    viv_ip4_t src;
    viv_ip4_t dst;
    uint8_t proto;
    uint8_t ttl;
    uint8_t dscp; /* 6 bits */
    uint8_t ecn;  /* 2 bits */
    uint16_t ident;
    bool dont_frag;
    bool more_frags;
    uint16_t frag_offset; /* in bytes (the field times 8) */
    uint8_t hdr_len;      /* parse: IHL * 4, options included; emit ignores it */
    uint16_t payload_len; /* total length minus the header */
    /* The options: parse points into the parsed buffer (buf + 20, hdr_len - 20 bytes, not
     * checked: see viv__ipv4_opts_parse). Emit writes 20 + opts_len bytes of header and copies
     * the options from opts, which may already be in place at buf + 20; opts_len must be a
     * multiple of 4, at most 40. */
    const uint8_t *opts;
    uint8_t opts_len;
};

/* Parse an IPv4 header; the payload is buf[hdr_len .. hdr_len + payload_len), and bytes past
 * the total length (Ethernet padding) are ignored. Checks, in order: len >= 20
 * (VIV__W_TRUNCATED), version 4 (VIV__W_MALFORMED), IHL >= 5 (VIV__W_MALFORMED), IHL * 4 <= len
 * (VIV__W_TRUNCATED), total length >= IHL * 4 (VIV__W_MALFORMED), total length <= len
 * (VIV__W_TRUNCATED), header checksum (VIV__W_CHECKSUM). The options are located (opts,
 * opts_len) but not read: viv__ipv4_opts_parse checks them, where a packet is handled. */
int viv__ipv4_parse(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out);

/* viv__ipv4_parse without the checksum: for a header whose checksum is known good (a frame
 * marked csum_ok: exactly the bytes a vivarium stack emitted and checksummed, or changed by
 * a router with the checksum updated), so that no hop sums the same bytes twice. Every
 * other check is made, in the same order. */
int viv__ipv4_parse_trusted(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out);

/* Fields of a header read in place, for a caller that has made the parse's checks itself
 * (a router's cached path: version 4, IHL 5, total length within the bytes, checksum known
 * good). */
static inline viv_ip4_t viv__ipv4_dst(const uint8_t *hdr)
{
    return (viv_ip4_t)hdr[16] << 24 | (viv_ip4_t)hdr[17] << 16 | (viv_ip4_t)hdr[18] << 8 | hdr[19];
}
static inline uint32_t viv__ipv4_total_len(const uint8_t *hdr)
{
    return (uint32_t)hdr[2] << 8 | hdr[3];
}
static inline uint8_t viv__ipv4_ttl(const uint8_t *hdr)
{
    return hdr[8];
}

/* The header length emit writes: 20 + r->opts_len. */
size_t viv__ipv4_len(const struct viv__ipv4_repr *r);

/* Write a header of 20 + r->opts_len bytes (r->hdr_len is ignored) with its checksum in front
 * of the payload; len must be that + r->payload_len (else VIV__W_TRUNCATED), and at most 65535
 * (else VIV__W_MALFORMED, as is an opts_len that is not a multiple of 4 or above 40).
 * frag_offset must be a multiple of 8. */
int viv__ipv4_emit(const struct viv__ipv4_repr *r, uint8_t *buf, size_t len);
/* Write a header's fixed 20 bytes at b from its fields (ihl: the header's length in 32-bit
 * words; ff: flags and fragment offset as on the wire), with the checksum of those fields
 * and of opt_sum (viv__cksum_add's partial sum of the options that follow, 0 for none).
 * The checksum is summed from the values, not read back from the bytes just written (a read
 * of bytes just written by narrower stores waits for them to reach the cache: the
 * store-forwarding stall that was 29% of a host's header time in the s3 profile), and the
 * bytes go out as two 8-byte stores and a 4-byte one. viv__ipv4_emit's and a host's sending
 * path's one writer of a header. */
void viv__ipv4_write_fixed(uint8_t *b, uint32_t ihl, uint8_t tos, uint16_t total, uint16_t ident,
                           uint16_t ff, uint8_t ttl, uint8_t proto, viv_ip4_t src, viv_ip4_t dst,
                           uint64_t opt_sum);


/* Recompute the header checksum of a header (IHL * 4 bytes) after changing it. */
void viv__ipv4_fix_cksum(uint8_t *hdr);

/* ---- options (RFC 791 3.1) -------------------------------------------------------------- */

#define VIV__IPOPT_EOL 0        /* end of option list */
#define VIV__IPOPT_NOP 1        /* no operation */
#define VIV__IPOPT_RR 7         /* record route */
#define VIV__IPOPT_TS 68        /* internet timestamp */
#define VIV__IPOPT_TS_ONLY 0    /* timestamp flag: timestamps only */
#define VIV__IPOPT_TS_ADDR 1    /* each timestamp preceded by the registering address */
#define VIV__IPOPT_TS_PRESPEC 3 /* addresses prespecified: only they register */
#define VIV__IPOPT_MAX_LEN 40   /* bytes of options a header can hold */
#define VIV__MS_PER_DAY 86400000u

/* Where the options this stack acts on sit: offsets from the first byte of the IPv4 header
 * (so an offset is also a Parameter Problem pointer), 0 when absent. */
struct viv__ipv4_opts {
    uint8_t rr; /* Record Route */
    uint8_t ts; /* Timestamp */
};

/* Check the options of a header (hdr_len bytes, 20..60, already through viv__ipv4_parse) and
 * locate Record Route and Timestamp. arriving: the packet has just arrived, and the caller
 * will count itself in a full Timestamp's overflow field (false for a datagram the host is
 * sending, such as an echo reply returning a request's options). The list ends at EOL or at
 * the end of the header; NOP is one byte; any other option has a length byte and is skipped
 * by it, so unknown options pass unchanged (RFC 1122 3.2.1.8, RFC 1812 5.3.13.1). Returns
 * VIV__W_OK, or VIV__W_MALFORMED with *pp_out the offset in the header of the byte at fault,
 * the pointer of the ICMP Parameter Problem that answers it (RFC 1812 4.3.3.5). The pointers
 * are those Linux gives
 * (ip_options_compile), so the two can be compared packet for packet:
 *   - a type byte with no room for its length byte, a length below 2 or past the header: the
 *     option's type byte;
 *   - a second Record Route or Timestamp (RFC 791: "appears at most once"): its type byte;
 *   - Record Route: length below 3: the length byte; pointer below 4, or pointing to room for
 *     less than a whole address (RFC 791: "some room but not enough room"): the pointer byte;
 *   - Timestamp: length below 4: the length byte; pointer below 5, or room for less than a
 *     whole entry (4 bytes, 8 with flag 1 or 3): the pointer byte; a full option (pointer
 *     past the length, flag not 3) whose overflow count is already 15, so that it would
 *     overflow itself (arriving only): the overflow/flag byte.
 * A full Record Route is not an error (the packet goes on unrecorded), nor is a Timestamp
 * flag other than 0, 1 and 3 (the option is left as it is, as Linux does). */
int viv__ipv4_opts_parse(const uint8_t *hdr, size_t hdr_len, bool arriving,
                         struct viv__ipv4_opts *out, uint8_t *pp_out);

/* The entity that records into the options: a router forwarding, a host receiving, a host
 * sending an echo reply. */
struct viv__ipv4_stamp {
    viv_ip4_t addr;  /* the address it records (Record Route, Timestamp flag 1) */
    uint64_t now_ns; /* the time; the timestamp is in ms since midnight UT: (now_ns / 10^6)
                        mod 86 400 000, simulated time 0 being a midnight */
    bool (*is_mine)(const void *ctx, viv_ip4_t ip); /* one of its addresses (flag 3) */
    const void *ctx;
    bool count_overflow; /* a full Timestamp (flag not 3) counts it in its overflow field */
};

/* The timestamp of RFC 791 for a simulated time: ms since midnight UT, mod 24 h. */
uint32_t viv__ipv4_ts_ms(uint64_t now_ns);

/* Record the entity into the options located by o in hdr (options at hdr + 20; offsets as
 * viv__ipv4_opts_parse gave them for these bytes):
 *   - Record Route with room: its address at the pointer, pointer + 4; full: unchanged;
 *   - Timestamp with room: flag 0: the time, pointer + 4; flag 1: address and time, pointer
 *     + 8; flag 3: if the next prespecified address is one of its own, the time after it,
 *     pointer + 8, else unchanged; other flags: unchanged. Full, flag not 3: the overflow
 *     count + 1 if s->count_overflow.
 * Either all of it is done or nothing: VIV__W_MALFORMED (with *pp_out as above) when an
 * option has room for less than a whole entry or a pointer below its minimum, or the
 * overflow count would overflow. The
 * header checksum is not touched (viv__ipv4_fix_cksum). Returns VIV__W_OK. */
int viv__ipv4_opts_stamp(uint8_t *hdr, const struct viv__ipv4_opts *o,
                         const struct viv__ipv4_stamp *s, uint8_t *pp_out);

/* Decrement the TTL of a valid header in place and update its checksum incrementally
 * (RFC 1624), as a router does. Returns the new TTL. A router checks the TTL first (it drops a
 * packet whose TTL would reach 0); a TTL of 0 is left as it is and 0 is returned. */
uint8_t viv__ipv4_dec_ttl(uint8_t *hdr);

/* Where a parsed packet stands with respect to fragmentation. */
enum viv__ipv4_frag {
    VIV__IPV4_WHOLE = 0,      /* not a fragment */
    VIV__IPV4_FRAG_FIRST = 1, /* the first fragment: offset 0, more fragments */
    VIV__IPV4_FRAG_LATER = 2, /* a later fragment: offset > 0 (it has no transport header) */
};
enum viv__ipv4_frag viv__ipv4_frag_kind(const struct viv__ipv4_repr *r);

#endif
