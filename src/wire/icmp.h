/* ICMPv4 messages (RFC 792, RFC 1191 for the next-hop MTU). */
#ifndef VIV_WIRE_ICMP_H
#define VIV_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIV__ICMP_HDR_LEN 8 /* type, code, checksum and the 4 type-specific bytes */
#define VIV__ICMP_ECHO_REPLY 0
#define VIV__ICMP_DEST_UNREACH 3
#define VIV__ICMP_ECHO_REQUEST 8
#define VIV__ICMP_TIME_EXCEEDED 11
#define VIV__ICMP_PARAM_PROBLEM 12 /* carries a pointer to the byte at fault */

/* Codes of destination unreachable. */
#define VIV__ICMP_UNREACH_NET 0
#define VIV__ICMP_UNREACH_HOST 1
#define VIV__ICMP_UNREACH_PROTO 2
#define VIV__ICMP_UNREACH_PORT 3
#define VIV__ICMP_UNREACH_FRAG_NEEDED 4 /* carries the next-hop MTU */
/* Codes of time exceeded. */
#define VIV__ICMP_EXC_TTL 0
#define VIV__ICMP_EXC_REASSEMBLY 1

/* Codes of parameter problem. */
#define VIV__ICMP_PARAM_POINTER 0 /* the pointer indicates the error */

/* The shortest quote an error message must carry: an IPv4 header without options and the
 * first 8 bytes of its payload. */
#define VIV__ICMP_MIN_QUOTE 28
/* The longest IP datagram carrying an ICMP error (RFC 1812 4.3.2.3: "as much of the original
 * datagram as possible without the length of the ICMP datagram exceeding 576 bytes"), and so
 * the longest quote behind a 20-byte IP header and the 8-byte ICMP header: 548 bytes. */
#define VIV__ICMP_ERROR_MAX_LEN 576
#define VIV__ICMP_MAX_QUOTE (VIV__ICMP_ERROR_MAX_LEN - 20 - VIV__ICMP_HDR_LEN)

struct viv__icmp_repr {
    uint8_t type;
    uint8_t code;
    uint16_t ident;        /* echo request and reply */
    uint16_t seq;          /* echo request and reply */
    uint16_t next_hop_mtu; /* destination unreachable, code 4 only (0 otherwise) */
    uint8_t pointer;       /* parameter problem: offset of the byte at fault (0 otherwise) */
    /* Echo: the data after the 8-byte header. Destination unreachable, time exceeded and
     * parameter problem: the quoted bytes (the original IP header and at least 8 bytes of its
     * payload). Any other type: the raw body, everything after the 4-byte type, code and
     * checksum. Parse points into the parsed buffer (borrowed, valid as long as it is); emit
     * copies from it. */
    const uint8_t *data;
    size_t data_len;
};

/* Whether an ICMP type is an error message (about a datagram it quotes): destination
 * unreachable, source quench, redirect, time exceeded, parameter problem. */
bool viv__icmp_is_error(uint8_t type);

/* Parse an ICMP message of len bytes (the IP payload). Checks, in order: len >= 8
 * (VIV__W_TRUNCATED), the checksum over the whole message (VIV__W_CHECKSUM), for destination
 * unreachable, time exceeded and parameter problem a quote of at least 28 bytes
 * (VIV__W_MALFORMED). A message of any other type than echo request, echo reply, destination
 * unreachable, time exceeded and parameter problem fills type, code and the raw body and
 * returns VIV__W_UNSUPPORTED, so the caller can count it. */
int viv__icmp_parse(const uint8_t *buf, size_t len, struct viv__icmp_repr *out);

/* The message length: 8 + data_len for the five known types, 4 + data_len for others. */
size_t viv__icmp_len(const struct viv__icmp_repr *r);

/* Write the message with its checksum; len must be viv__icmp_len(r). The data is copied from
 * r->data, which may also be the data's own place in buf (then nothing is copied). */
int viv__icmp_emit(const struct viv__icmp_repr *r, uint8_t *buf, size_t len);

#endif
