/* Wire formats: stateless parse and emit of Ethernet, ARP, IPv4, ICMPv4, UDP and TCP.
 *
 * Everything in src/wire is a pure function on byte buffers: no simulation, no allocation,
 * no state. Each protocol has a repr (the decoded header), and three functions:
 *
 *   int viv__<p>_parse(const uint8_t *buf, size_t len, ..., struct viv__<p>_repr *out);
 *   size_t viv__<p>_len(const struct viv__<p>_repr *r);
 *   int viv__<p>_emit(const struct viv__<p>_repr *r, ..., uint8_t *buf, size_t len);
 *
 * Parse validates the buffer once, in a fixed order (buffer length, header-length field,
 * total-length field, minimums, checksum), before it reads any field, and never reads past
 * buf + len. On failure it returns one of the causes below and the contents of *out are
 * unspecified; later layers count dropped packets by cause.
 *
 * For emit, buf points at the first byte of the header and len is the length of the whole
 * data unit being emitted: the header and the payload that already follows it in buf (the
 * payload is needed for the checksum, and its length is checked against the repr). Emit
 * returns VIV__W_TRUNCATED when len is not what the repr needs, and VIV__W_MALFORMED when
 * the repr cannot be encoded (a length too large for its field, too many TCP options).
 * Checksums are always computed on emit and verified on parse. */
#ifndef VIV_WIRE_WIRE_H
#define VIV_WIRE_WIRE_H

/* Parse and emit results. */
enum {
    VIV__W_OK = 0,
    VIV__W_TRUNCATED = -1,   /* the buffer ends before what the packet says it contains */
    VIV__W_MALFORMED = -2,   /* a field has an impossible value */
    VIV__W_CHECKSUM = -3,    /* the checksum does not verify */
    VIV__W_UNSUPPORTED = -4, /* a valid packet of a kind vivarium does not handle */
};

#include "cksum.h"
#include "seq.h"
#include "eth.h"
#include "arp.h"
#include "ipv4.h"
#include "icmp.h"
#include "udp.h"
#include "tcp.h"

#endif
