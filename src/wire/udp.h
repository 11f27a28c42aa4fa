/* UDP datagrams (RFC 768). */
#ifndef VIV_WIRE_UDP_H
#define VIV_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

#define VIV__UDP_HDR_LEN 8

struct viv__udp_repr {
    uint16_t src_port;
    uint16_t dst_port;
    uint16_t payload_len; /* the length field minus 8; the payload starts at buf + 8 */
};

/* Parse a datagram of len bytes (the IP payload) sent from src_ip to dst_ip. Bytes past the
 * length field are ignored. Checks, in order: len >= 8 (VIV__W_TRUNCATED), length field >= 8
 * (VIV__W_MALFORMED), length field <= len (VIV__W_TRUNCATED), the checksum over the
 * pseudo-header and the datagram (VIV__W_CHECKSUM); a checksum field of 0 means the sender
 * computed none, and is accepted. */
int viv__udp_parse(const uint8_t *buf, size_t len, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                   struct viv__udp_repr *out);

/* The same checks as viv__udp_parse() but the checksum: for a datagram whose checksum is
 * known to be good (it has not changed since it was emitted). */
int viv__udp_parse_lengths(const uint8_t *buf, size_t len, struct viv__udp_repr *out);

/* The header length: 8. */
size_t viv__udp_len(const struct viv__udp_repr *r);

/* Write the header in front of the payload already at buf + 8 and compute the checksum (a
 * computed 0 is sent as 0xffff, since 0 means "none"). len must be 8 + r->payload_len, and
 * at most 65535 (else VIV__W_MALFORMED). */
int viv__udp_emit(const struct viv__udp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip, uint8_t *buf,
                  size_t len);

/* viv__udp_emit() for a caller that has summed the payload already: payload_sum is the
 * partial sum of the r->payload_len bytes at buf + 8 from 0 (viv__cksum_add(0, ...), or
 * viv__cksum_copy(0, ...) of the copy that put them there); the checksum is the same. */
int viv__udp_emit_sum(const struct viv__udp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                      uint8_t *buf, size_t len, uint64_t payload_sum);

#endif
