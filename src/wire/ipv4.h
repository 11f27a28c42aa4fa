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
    uint8_t hdr_len;      /* parse: IHL * 4, options included; emit always writes 20 */
    uint16_t payload_len; /* total length minus the header */
};

/* Parse an IPv4 header; the payload is buf[hdr_len .. hdr_len + payload_len), and bytes past
 * the total length (Ethernet padding) are ignored. Checks, in order: len >= 20
 * (VIV__W_TRUNCATED), version 4 (VIV__W_MALFORMED), IHL >= 5 (VIV__W_MALFORMED), IHL * 4 <= len
 * (VIV__W_TRUNCATED), total length >= IHL * 4 (VIV__W_MALFORMED), total length <= len
 * (VIV__W_TRUNCATED), header checksum (VIV__W_CHECKSUM). Options are skipped, not read. */
int viv__ipv4_parse(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out);

/* The header length emit writes: 20 (no options). */
size_t viv__ipv4_len(const struct viv__ipv4_repr *r);

/* Write a 20-byte header (r->hdr_len is ignored) with its checksum in front of the payload;
 * len must be 20 + r->payload_len, and at most 65535 (else VIV__W_MALFORMED). frag_offset
 * must be a multiple of 8. */
int viv__ipv4_emit(const struct viv__ipv4_repr *r, uint8_t *buf, size_t len);

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
