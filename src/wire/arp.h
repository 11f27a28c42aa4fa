/* ARP for IPv4 over Ethernet (RFC 826). */
#ifndef VIV_WIRE_ARP_H
#define VIV_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

#define VIV__ARP_LEN 28
#define VIV__ARP_OP_REQUEST 1
#define VIV__ARP_OP_REPLY 2

struct viv__arp_repr {
    uint16_t op;   /* VIV__ARP_OP_REQUEST or VIV__ARP_OP_REPLY */
    viv_mac_t sha; /* sender hardware address */
    viv_ip4_t spa; /* sender protocol address */
    viv_mac_t tha; /* target hardware address (zero in a request) */
    viv_ip4_t tpa; /* target protocol address */
};

/* Parse an ARP packet; bytes after the first 28 (Ethernet padding) are ignored. Checks, in
 * order: len >= 28 (else VIV__W_TRUNCATED); hardware type 1, protocol type 0x0800, hardware
 * length 6, protocol length 4 (else VIV__W_UNSUPPORTED); operation 1 or 2 (else
 * VIV__W_MALFORMED). */
int viv__arp_parse(const uint8_t *buf, size_t len, struct viv__arp_repr *out);

/* The checks of viv__arp_parse, in the same order and with the same results, without
 * copying anything: returns the operation (1 or 2) or the parse's error. Offsets of the
 * fields for reading them in place afterwards follow. */
int viv__arp_check(const uint8_t *buf, size_t len);
#define VIV__ARP_OFF_SHA 8
#define VIV__ARP_OFF_SPA 14
#define VIV__ARP_OFF_TPA 24

/* The packet length: 28. */
size_t viv__arp_len(const struct viv__arp_repr *r);

/* Write the packet; len must be 28. */
int viv__arp_emit(const struct viv__arp_repr *r, uint8_t *buf, size_t len);

#endif
