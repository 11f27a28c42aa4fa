/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * A checksum is computed in three steps: start an accumulator at 0 (or at the pseudo-header
 * sum from viv__cksum_pseudo()), add the bytes with viv__cksum_add(), possibly in several
 * chunks, and fold and complement it with viv__cksum_finish(). Verifying is the same sum
 * taken over the bytes including the checksum field: the packet is intact exactly when
 * viv__cksum_finish() of that sum is 0. */
#ifndef VIV_WIRE_CKSUM_H
#define VIV_WIRE_CKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "vivarium/addr.h"

/* Add n bytes at p (any alignment) to a partial sum and return the new partial sum. The bytes
 * are taken as big-endian 16-bit words. Chunks chain: add(add(0, a, na), b, nb) equals the sum
 * over a followed by b, provided every chunk but the last has an even length (an odd chunk
 * ends with half a word, which is padded with a zero byte). One call takes any length and
 * adds at most 0xffff to the partial sum, which is folded only by viv__cksum_finish(), so
 * chains of any practical length cannot overflow it. The partial sum is meaningful only
 * through viv__cksum_finish(). */
uint64_t viv__cksum_add(uint64_t acc, const uint8_t *p, size_t n);

/* Copy n bytes from src to dst (as memcpy: any alignment, not overlapping) and add them to a
 * partial sum, in one pass over the bytes from 256 bytes on (under that, memcpy and then the
 * sum of the copy cost fewer instructions: cksum.c); off is the offset of the bytes in the
 * checksummed region, of which only its parity counts. With n 0, src and dst may be NULL.
 * At an even offset the result is exactly viv__cksum_add(acc, dst, n) after the copy. At an
 * odd one the bytes are summed as the second and first halves of the region's words (their
 * sum byte-swapped), so that chunks chain at any cut: with any k,
 *   viv__cksum_copy(viv__cksum_copy(acc, d, s, k, 0), d + k, s + k, n - k, k)
 * has the checksum of the n bytes at d summed in one piece from acc. Like viv__cksum_add(),
 * one call adds at most 0xffff to acc. Used where a payload is copied into a frame that is
 * checksummed (UDP and TCP sends): the copy and the sum read the bytes once, as Linux's
 * csum_partial_copy does. */
uint64_t viv__cksum_copy(uint64_t acc, uint8_t *dst, const uint8_t *src, size_t n, size_t off);

/* Fold a partial sum to 16 bits and complement it: the value for the checksum field. */
uint16_t viv__cksum_finish(uint64_t acc);

/* The partial sum of the IPv4 pseudo-header used by UDP and TCP (RFC 768, RFC 9293):
 * source and destination addresses, zero, protocol, and the transport length. */
uint64_t viv__cksum_pseudo(viv_ip4_t src, viv_ip4_t dst, uint8_t proto, uint16_t len);

/* The checksum of n bytes: viv__cksum_finish(viv__cksum_add(0, p, n)). */
uint16_t viv__cksum(const uint8_t *p, size_t n);

/* The checksum of a 20-byte IPv4 header without options (viv__cksum(p, 20), the same
 * value): five 32-bit words summed in 64 bits cannot carry, so it is a few additions and a
 * fold, with no call and no loop (51 instructions through viv__cksum_add, about 20 here). */
uint16_t viv__cksum20(const uint8_t *p);

/* The ways viv__cksum_add() can sum, for the tests and the benchmark to run each one: the
 * scalar form (an add-with-carry chain on x86-64, four accumulators elsewhere, and the one
 * used under 256 bytes), and on x86-64 SSE2 and AVX2 vectors. All give the same
 * result for every input. */
typedef enum viv_cksum_path {
    VIV_CKSUM_SCALAR = 0,
    VIV_CKSUM_SSE2 = 1,
    VIV_CKSUM_AVX2 = 2,
} viv_cksum_path;

/* Whether path exists in this build and runs on this processor. */
int viv__cksum_path_available(viv_cksum_path path);

/* viv__cksum_add() through the given path at any length (the vector paths take the bytes
 * under 64 with the scalar one); a path that is not available falls back to
 * viv__cksum_add(). */
uint64_t viv__cksum_add_via(viv_cksum_path path, uint64_t acc, const uint8_t *p, size_t n);

/* viv__cksum_copy() through the given path at any length, as viv__cksum_add_via(). */
uint64_t viv__cksum_copy_via(viv_cksum_path path, uint64_t acc, uint8_t *dst, const uint8_t *src,
                             size_t n, size_t off);

/* RFC 1624 incremental update: the new checksum field after one 16-bit word covered by it
 * changes from old_word to new_word, by HC' = ~(~HC + ~m + m') (equation 3). */
uint16_t viv__cksum_update16(uint16_t cksum, uint16_t old_word, uint16_t new_word);

#endif
