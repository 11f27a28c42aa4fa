/* TCP segments (RFC 9293) and the options vivarium speaks: MSS, window scale (RFC 7323),
 * SACK-permitted and SACK (RFC 2018), timestamps (RFC 7323). */
#ifndef VIV_WIRE_TCP_H
#define VIV_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

#define VIV__TCP_HDR_LEN 20     /* without options */
#define VIV__TCP_MAX_HDR_LEN 60 /* data offset 15 */
#define VIV__TCP_MAX_SACK 4     /* blocks a repr holds */

/* Flags (byte 13 of the header). */
#define VIV__TCP_FIN 0x01u
#define VIV__TCP_SYN 0x02u
#define VIV__TCP_RST 0x04u
#define VIV__TCP_PSH 0x08u
#define VIV__TCP_ACK 0x10u
#define VIV__TCP_URG 0x20u
#define VIV__TCP_ECE 0x40u
#define VIV__TCP_CWR 0x80u

/* Option kinds. */
#define VIV__TCP_OPT_EOL 0
#define VIV__TCP_OPT_NOP 1
#define VIV__TCP_OPT_MSS 2
#define VIV__TCP_OPT_WSCALE 3
#define VIV__TCP_OPT_SACK_PERM 4
#define VIV__TCP_OPT_SACK 5
#define VIV__TCP_OPT_TS 8

struct viv__tcp_sack_block {
    uint32_t left;  /* first sequence number of the block */
    uint32_t right; /* sequence number just after the block */
};

struct viv__tcp_repr {
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;   /* VIV__TCP_* flag bits */
    uint16_t window; /* the raw 16-bit field, not scaled */
    uint16_t urgent;
    /* Options. */
    uint16_t mss; /* 0: absent */
    bool wscale_present;
    uint8_t wscale; /* the shift as received; RFC 7323 says use 14 for anything larger */
    bool sack_permitted;
    uint8_t sack_count; /* 0 .. VIV__TCP_MAX_SACK */
    struct viv__tcp_sack_block sack[VIV__TCP_MAX_SACK];
    bool ts_present;
    uint32_t tsval;
    uint32_t tsecr;
    /* The payload is buf[payload_off .. payload_off + payload_len). Parse sets payload_off to
     * the header length; emit ignores it and uses viv__tcp_len(). */
    uint16_t payload_off;
    size_t payload_len;
};

/* Parse a segment of len bytes (the IP payload) sent from src_ip to dst_ip. Checks, in
 * order: len >= 20 (VIV__W_TRUNCATED), data offset >= 5 (VIV__W_MALFORMED), data offset * 4 <=
 * len (VIV__W_TRUNCATED), the checksum over the pseudo-header and the segment
 * (VIV__W_CHECKSUM), then the options (VIV__W_MALFORMED): the walk stops at EOL or the end
 * of the header, skips NOPs, rejects a length byte past the header, a length under 2 or
 * running past the header, and a known option of the wrong length; unknown options are
 * skipped by their length. A repeated option overwrites the earlier one. SACK blocks past
 * the fourth cannot occur (40 option bytes hold at most 4). */
int viv__tcp_parse(const uint8_t *buf, size_t len, viv_ip4_t src_ip, viv_ip4_t dst_ip,
                   struct viv__tcp_repr *out);

/* viv__tcp_parse without the checksum: for a segment whose checksum is known good (a frame
 * marked csum_ok: exactly the bytes a vivarium stack emitted and checksummed). Every other
 * check is made, in the same order, and the repr is the same. */
int viv__tcp_parse_trusted(const uint8_t *buf, size_t len, struct viv__tcp_repr *out);

/* The header length emit writes: 20 plus the options present, a multiple of 4. It can
 * exceed 60 when the repr holds more options than fit; emit then fails. */
size_t viv__tcp_len(const struct viv__tcp_repr *r);

/* Write the header and options in front of the payload already at buf + viv__tcp_len(r) and
 * compute the checksum. len must be viv__tcp_len(r) + r->payload_len (else VIV__W_TRUNCATED).
 * VIV__W_MALFORMED if the options need more than 40 bytes or the segment is longer than
 * 65535 bytes. Options are laid out as Linux does, each group aligned on 4 bytes with NOPs:
 * MSS; SACK-permitted and timestamps; window scale; SACK blocks. */
int viv__tcp_emit(const struct viv__tcp_repr *r, viv_ip4_t src_ip, viv_ip4_t dst_ip, uint8_t *buf,
                  size_t len);
/* viv__tcp_emit for a caller that has the header length already: hdr_len must be
 * viv__tcp_len(r). */
int viv__tcp_emit_hl(const struct viv__tcp_repr *r, size_t hdr_len, viv_ip4_t src_ip,
                     viv_ip4_t dst_ip, uint8_t *buf, size_t len);

/* A connection's prebuilt header (RFC 9293 3.1's layout with Linux's option layout): the bytes
 * that are the same in all its segments with no option but timestamps (or none at all) -
 * the ports, the data offset, the zero urgent pointer and the timestamps option's NOP, NOP,
 * kind and length - and the checksum's partial sum of them and of the pseudo-header without
 * its length. viv__tcp_tpl_emit writes a segment from it and the fields that change. */
typedef struct viv__tcp_tpl {
    uint8_t b[32]; /* the header, the changing fields zero */
    uint8_t len;   /* 20, or 32 with timestamps */
    uint64_t sum;  /* of the constant 16-bit words and the pseudo-header without its length */
} viv__tcp_tpl;

/* Build the header of segments from (src_ip, src_port) to (dst_ip, dst_port), with the
 * timestamps option alone if ts, else no option. */
void viv__tcp_tpl_init(viv__tcp_tpl *t, viv_ip4_t src_ip, uint16_t src_port, viv_ip4_t dst_ip,
                       uint16_t dst_port, bool ts);

/* Write r's header from t at buf, in front of the r->payload_len bytes of payload already at
 * buf + t->len, with its checksum: the same bytes viv__tcp_emit writes. r must be a segment of
 * t (its ports and addresses) with no option but the timestamps if t has them (ts_present the
 * same), no urgent pointer, and a length that fits (t->len + payload_len <= 65535). */
void viv__tcp_tpl_emit(const viv__tcp_tpl *t, const struct viv__tcp_repr *r, uint8_t *buf);

/* viv__tcp_tpl_emit for a caller that has summed the payload already: payload_sum is the
 * partial sum of the r->payload_len bytes at buf + t->len from 0 (viv__cksum_add(0, ...), or
 * viv__cksum_copy(0, ...) of the copy that put them there; 0 without payload). The same
 * bytes and checksum. */
void viv__tcp_tpl_emit_sum(const viv__tcp_tpl *t, const struct viv__tcp_repr *r, uint8_t *buf,
                           uint64_t payload_sum);

#endif
