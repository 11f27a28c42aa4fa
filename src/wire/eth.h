/* Ethernet II frames. */
#ifndef VIV_WIRE_ETH_H
#define VIV_WIRE_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

#define VIV__ETH_HDR_LEN 14
/* The shortest frame on the wire without its 4-byte FCS: shorter frames are padded. */
#define VIV__ETH_MIN_FRAME 60
#define VIV__ETHERTYPE_IPV4 0x0800
#define VIV__ETHERTYPE_ARP 0x0806
#define VIV__ETHERTYPE_VLAN 0x8100 /* 802.1Q tag */
#define VIV__ETHERTYPE_QINQ 0x88a8 /* 802.1ad service tag */

struct viv__eth_repr {
    viv_mac_t dst;
    viv_mac_t src;
    uint16_t ethertype;
};

/* Parse the header of a frame of len bytes; the payload is buf[14 .. len). Returns
 * VIV__W_TRUNCATED under 14 bytes, and VIV__W_UNSUPPORTED for a frame with an 802.1Q or
 * 802.1ad tag (vivarium has no VLANs) or with a length field instead of a type (values below
 * 0x0600: 802.3 frames, which carry no IP). */
int viv__eth_parse(const uint8_t *buf, size_t len, struct viv__eth_repr *out);

/* The ethertype of a frame of len bytes, checked as viv__eth_parse checks it (the same errors,
 * as negative values), without copying the addresses: a receiver that filters on the
 * destination reads it from buf[0..6) itself. */
int viv__eth_type(const uint8_t *buf, size_t len);

/* The header length: 14. */
size_t viv__eth_len(const struct viv__eth_repr *r);

/* Write the header at buf; len is the whole frame (header and payload), at least 14. */
int viv__eth_emit(const struct viv__eth_repr *r, uint8_t *buf, size_t len);

/* Write the header at buf (at least 14 bytes) from its fields, with no repr to fill: what
 * viv__eth_emit writes. */
void viv__eth_write(uint8_t *buf, const viv_mac_t *dst, const viv_mac_t *src, uint16_t ethertype);

/* Bytes of zero padding a payload of payload_len bytes needs so that the frame reaches
 * VIV__ETH_MIN_FRAME. */
size_t viv__eth_pad_len(size_t payload_len);

#endif
