/**
 * @file vivarium/addr.h
 * @brief MAC and IPv4 addresses, socket addresses, and their text forms.
 *
 * @defgroup viv_addr Addresses
 * @brief Small value types for link-layer and IPv4 addresses.
 *
 * An IPv4 address is a ::viv_ip4_t, a `uint32_t` in host byte order, so that
 * `VIV_IP4(10, 0, 0, 1)` compares and masks like any integer. A MAC address is a
 * ::viv_mac_t, six bytes in wire order.
 * @{
 */
#ifndef VIVARIUM_ADDR_H
#define VIVARIUM_ADDR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An IPv4 address in host byte order. */
typedef uint32_t viv_ip4_t;

/** The IPv4 address a.b.c.d. */
#define VIV_IP4(a, b, c, d)                                                                \
    ((viv_ip4_t)(((uint32_t)(a) & 0xffu) << 24 | ((uint32_t)(b) & 0xffu) << 16 |           \
                 ((uint32_t)(c) & 0xffu) << 8 | ((uint32_t)(d) & 0xffu)))
/** The unspecified address 0.0.0.0 ("any"). */
#define VIV_IP4_ANY ((viv_ip4_t)0)
/** The limited broadcast address 255.255.255.255. */
#define VIV_IP4_BROADCAST ((viv_ip4_t)0xffffffffu)

/** A MAC (Ethernet) address, in wire order. */
typedef struct viv_mac {
    uint8_t b[6]; /**< the six bytes, first on the wire first */
} viv_mac_t;

/** An IPv4 transport address: address and port (host byte order). */
typedef struct viv_sockaddr {
    viv_ip4_t ip;  /**< the address, or ::VIV_IP4_ANY */
    uint16_t port; /**< the port, or 0 */
} viv_sockaddr_t;

/** Bytes needed by viv_ip4_format(), including the terminating NUL. */
#define VIV_IP4_STRLEN 16
/** Bytes needed by viv_mac_format(), including the terminating NUL. */
#define VIV_MAC_STRLEN 18

/**
 * Parse dotted-quad text such as "10.0.1.7".
 * @param[out] out receives the address; untouched on error.
 * @param text the text: four decimal numbers 0..255 of one to three digits (leading zeros
 *             are read as decimal, "010" is 10) separated by dots, nothing else.
 * @return 0, or VIV_EINVAL (NULL argument or malformed text).
 */
VIV_API int viv_ip4_parse(viv_ip4_t *out, const char *text);

/**
 * Write an address as dotted-quad text.
 * @param ip the address.
 * @param buf the buffer (the caller's), NUL-terminated when @p cap is not 0, the text cut to
 *            fit.
 * @param cap its size; ::VIV_IP4_STRLEN always suffices.
 * @return the length of the whole text without its NUL (as snprintf), or VIV_EINVAL (NULL
 *         @p buf, even with @p cap 0).
 */
VIV_API int viv_ip4_format(viv_ip4_t ip, char *buf, size_t cap);

/**
 * Parse a prefix such as "10.0.1.0/24".
 * @param[out] ip_out receives the address part, as written: host bits are kept, not masked
 *             ("10.0.1.7/24" gives 10.0.1.7). Untouched on error, as is @p prefix_len_out.
 * @param[out] prefix_len_out receives the prefix length (0..32).
 * @param text the text: an address as viv_ip4_parse() reads it, '/', and one to three
 *             decimal digits, nothing else.
 * @return 0, or VIV_EINVAL (NULL argument, malformed text or a length above 32).
 */
VIV_API int viv_ip4_parse_prefix(viv_ip4_t *ip_out, uint8_t *prefix_len_out, const char *text);

/**
 * The netmask of a prefix length: 24 gives 255.255.255.0.
 * @param prefix_len 0..32 (larger values give 32).
 * @return the mask.
 */
VIV_API viv_ip4_t viv_ip4_mask(uint8_t prefix_len);

/**
 * Write a MAC address as "02:00:00:00:00:01".
 * @param mac the address.
 * @param buf the buffer (the caller's), NUL-terminated when @p cap is not 0, the text cut to
 *            fit; lower-case hex.
 * @param cap its size; ::VIV_MAC_STRLEN always suffices.
 * @return the length of the whole text without its NUL (as snprintf), or VIV_EINVAL (NULL
 *         @p mac or @p buf, even with @p cap 0).
 */
VIV_API int viv_mac_format(const viv_mac_t *mac, char *buf, size_t cap);

/**
 * Parse "02:00:00:00:00:01" (colons or dashes, either case).
 * @param[out] out receives the address; untouched on error.
 * @param text the text: six pairs of hex digits (exactly two each), each pair but the last
 *             followed by ':' or '-' (the two may be mixed), nothing else.
 * @return 0, or VIV_EINVAL (NULL argument or malformed text).
 */
VIV_API int viv_mac_parse(viv_mac_t *out, const char *text);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
