/**
 * @file vivarium/wire.h
 * @brief Frame builders: Ethernet, ARP, IPv4, ICMP, UDP and TCP with correct checksums, any
 *        field overridable; and the lengths of the frames hosts put on the wire.
 *
 * @defgroup viv_wire Frame builders
 * @brief Craft real frames to inject from a device, without hand-rolling checksums.
 *
 * Each builder writes one frame into a buffer of the caller: an Ethernet header (unless the
 * ::viv_wire_eth argument is NULL), then the packet, then zero padding up to the Ethernet
 * minimum of 60 bytes (as a NIC pads; ::viv_wire_eth.no_pad turns it off). The headers are
 * emitted by the same code the simulated hosts use (vivarium's `src/wire`), so a frame built
 * here is byte for byte what a host would send with the same fields, and every checksum is
 * right by default.
 *
 * **Zero means "the usual".** A header struct initialised to zero gives a valid header:
 * the EtherType and the IPv4 protocol come from the builder, the TTL is 64, the lengths and
 * checksums are computed. Fields whose zero is a real value (a window, an identifier, a
 * sequence number) are taken as they are.
 *
 * **Overrides.** To build a broken frame on purpose, set a bit of the header's `set` field
 * and the value beside it: a bad checksum (::VIV_WIRE_CKSUM), a wrong length field
 * (::VIV_WIRE_LEN), a data offset or header length that lies (::VIV_WIRE_HDRLEN), an IPv4
 * version other than 4 (::VIV_WIRE_VERSION), a TTL of 0 (::VIV_WIRE_TTL). An override changes
 * only its field: the checksums covering it are computed after it, so that the receiver
 * meets exactly the fault asked for (a bad data offset behind a good checksum), unless the
 * checksum is overridden too.
 *
 * **Ownership.** Every builder writes into the caller's buffer and keeps nothing; the
 * payload and option pointers in the structs are read during the call only. The builders
 * touch no simulation and may be called from anywhere, any thread included. On an error
 * nothing useful is in the buffer. Override bits a header does not list are ignored.
 *
 * @code
 * uint8_t frame[VIV_WIRE_FRAME_MAX];
 * viv_wire_eth eth = {0};
 * eth.dst = host_mac;
 * eth.src = dev_mac;
 * viv_wire_ip ip = {0};
 * ip.src = VIV_IP4(10, 0, 0, 9);
 * ip.dst = VIV_IP4(10, 0, 0, 1);
 * viv_wire_tcp tcp = {0};
 * tcp.sport = 40000;
 * tcp.dport = 80;
 * tcp.seq = 1000;
 * tcp.flags = VIV_TCP_SYN;
 * tcp.window = 65535;
 * tcp.mss = 1460;
 * int n = viv_wire_tcp_frame(frame, sizeof frame, &eth, &ip, &tcp);
 * if (n > 0)
 *     viv_device_send(dev, 0, frame, (size_t)n);
 * @endcode
 * @{
 */
#ifndef VIVARIUM_WIRE_H
#define VIVARIUM_WIRE_H

#include "addr.h"
#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A buffer of this many bytes holds any frame a builder can make (an Ethernet header and
 *  the largest IPv4 packet). */
#define VIV_WIRE_FRAME_MAX (14u + 65535u)

/** Override bit: use the struct's `cksum` as the checksum field. */
#define VIV_WIRE_CKSUM 0x01u
/** Override bit: use the struct's `length` as the length field (IPv4 total length, UDP
 *  length). */
#define VIV_WIRE_LEN 0x02u
/** Override bit: use the struct's `hdr_len` as the header length field (IPv4 IHL, TCP data
 *  offset), in 4-byte words, 0 to 15. */
#define VIV_WIRE_HDRLEN 0x04u
/** Override bit: use the struct's `version` as the IPv4 version field (0 to 15). */
#define VIV_WIRE_VERSION 0x08u
/** Override bit: use the struct's `ttl` as it is, 0 included. */
#define VIV_WIRE_TTL 0x10u

/** The Ethernet header of a built frame. */
typedef struct viv_wire_eth {
    viv_mac_t dst;      /**< destination */
    viv_mac_t src;      /**< source */
    uint16_t ethertype; /**< EtherType; 0: the builder's (0x0806 for ARP, 0x0800 for IPv4) */
    int no_pad;         /**< 1: no padding to the 60-byte Ethernet minimum */
} viv_wire_eth;

/** An ARP packet (RFC 826, IPv4 over Ethernet). */
typedef struct viv_wire_arp {
    uint16_t op;   /**< 1 request, 2 reply (any value is written) */
    viv_mac_t sha; /**< sender hardware address */
    viv_ip4_t spa; /**< sender protocol address */
    viv_mac_t tha; /**< target hardware address (zero in a request) */
    viv_ip4_t tpa; /**< target protocol address */
} viv_wire_arp;

/** An IPv4 header. */
typedef struct viv_wire_ip {
    viv_ip4_t src;          /**< source address */
    viv_ip4_t dst;          /**< destination address */
    uint8_t proto;          /**< protocol; 0: the builder's (1 ICMP, 17 UDP, 6 TCP) */
    uint8_t ttl;            /**< time to live; 0 means 64 unless ::VIV_WIRE_TTL is set */
    uint8_t tos;            /**< the type-of-service byte (DSCP and ECN) */
    uint16_t id;            /**< identification */
    int df;                 /**< 1: don't fragment */
    int mf;                 /**< 1: more fragments */
    uint16_t frag_offset;   /**< fragment offset in bytes, a multiple of 8 */
    const uint8_t *opts;    /**< options, copied as they are (NULL: none) */
    uint8_t opts_len;       /**< their length: a multiple of 4, at most 40 */
    uint32_t set;           /**< override bits: ::VIV_WIRE_CKSUM, ::VIV_WIRE_LEN,
                                 ::VIV_WIRE_HDRLEN, ::VIV_WIRE_VERSION, ::VIV_WIRE_TTL */
    uint16_t cksum;         /**< header checksum, with ::VIV_WIRE_CKSUM */
    uint16_t length;        /**< total length field, with ::VIV_WIRE_LEN */
    uint8_t hdr_len;        /**< IHL field in words, with ::VIV_WIRE_HDRLEN */
    uint8_t version;        /**< version field, with ::VIV_WIRE_VERSION */
} viv_wire_ip;

/** An ICMP message (RFC 792). */
typedef struct viv_wire_icmp {
    uint8_t type;        /**< type (8 echo request, 0 echo reply, 3 unreachable...) */
    uint8_t code;        /**< code */
    uint16_t id;         /**< echo identifier */
    uint16_t seq;        /**< echo sequence number */
    uint16_t mtu;        /**< next-hop MTU (type 3 code 4) */
    uint8_t pointer;     /**< parameter problem pointer (type 12) */
    const uint8_t *data; /**< echo data, or an error's quote (the original IPv4 header and at
                              least 8 bytes of its payload); NULL with data_len > 0: zeros */
    size_t data_len;     /**< its length */
    uint32_t set;        /**< override bits: ::VIV_WIRE_CKSUM */
    uint16_t cksum;      /**< checksum, with ::VIV_WIRE_CKSUM */
} viv_wire_icmp;

/** A UDP datagram (RFC 768). */
typedef struct viv_wire_udp {
    uint16_t sport;         /**< source port */
    uint16_t dport;         /**< destination port */
    const uint8_t *payload; /**< payload (NULL with payload_len > 0: zeros) */
    size_t payload_len;     /**< its length */
    uint32_t set;           /**< override bits: ::VIV_WIRE_CKSUM (0 means "no checksum"),
                                 ::VIV_WIRE_LEN */
    uint16_t cksum;         /**< checksum, with ::VIV_WIRE_CKSUM */
    uint16_t length;        /**< length field, with ::VIV_WIRE_LEN */
} viv_wire_udp;

/** One SACK block (RFC 2018). */
typedef struct viv_wire_sack {
    uint32_t left;  /**< first sequence number of the block */
    uint32_t right; /**< the sequence number just after it */
} viv_wire_sack;

/** A TCP segment (RFC 9293) with the options vivarium speaks. Options are laid out as Linux
 *  lays them out: MSS; SACK-permitted and timestamps; window scale; SACK blocks, aligned with
 *  NOPs. */
typedef struct viv_wire_tcp {
    uint16_t sport;         /**< source port */
    uint16_t dport;         /**< destination port */
    uint32_t seq;           /**< sequence number */
    uint32_t ack;           /**< acknowledgment number */
    uint8_t flags;          /**< ::viv_tcp_flag bits */
    uint16_t window;        /**< the window field (unscaled) */
    uint16_t urgent;        /**< urgent pointer */
    uint16_t mss;           /**< MSS option; 0: absent */
    int wscale_on;          /**< 1: a window scale option with @ref wscale */
    uint8_t wscale;         /**< the window scale shift */
    int sack_ok;            /**< 1: a SACK-permitted option */
    int ts_on;              /**< 1: a timestamps option with @ref tsval and @ref tsecr */
    uint32_t tsval;         /**< timestamp value */
    uint32_t tsecr;         /**< timestamp echo reply */
    uint8_t sack_count;     /**< SACK blocks in @ref sack, 0 to 4 */
    viv_wire_sack sack[4];  /**< SACK blocks */
    const uint8_t *raw_opts; /**< if not NULL: these bytes are the options, instead of the
                                  fields above (for malformed options) */
    uint8_t raw_opts_len;   /**< their length: a multiple of 4, at most 40 */
    const uint8_t *payload; /**< payload (NULL with payload_len > 0: zeros) */
    size_t payload_len;     /**< its length */
    uint32_t set;           /**< override bits: ::VIV_WIRE_CKSUM, ::VIV_WIRE_HDRLEN */
    uint16_t cksum;         /**< checksum, with ::VIV_WIRE_CKSUM */
    uint8_t hdr_len;        /**< data offset field in words, with ::VIV_WIRE_HDRLEN */
} viv_wire_tcp;

/**
 * Build an Ethernet frame around any payload.
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the header (its EtherType is used as given, 0 included).
 * @param payload the payload, copied (NULL with @p len > 0: zeros).
 * @param len its length.
 * @return the frame's length, or VIV_EINVAL (NULL @p buf or @p eth, or @p len over
 *         ::VIV_WIRE_FRAME_MAX), VIV_ENOSPC (@p cap too small; nothing useful is in @p buf).
 */
VIV_API int viv_wire_eth_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                               const uint8_t *payload, size_t len);

/**
 * Build an ARP frame.
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the Ethernet header, or NULL for the 28-byte ARP packet alone.
 * @param arp the packet.
 * @return the length written (60 with an Ethernet header and padding), or VIV_EINVAL (NULL
 *         @p buf or @p arp), VIV_ENOSPC (@p cap too small).
 */
VIV_API int viv_wire_arp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                               const viv_wire_arp *arp);

/**
 * Build an IPv4 frame with any payload (a protocol the other builders do not cover, a
 * fragment...).
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the Ethernet header, or NULL for the IPv4 packet alone.
 * @param ip the IPv4 header (a @c proto of 0 is written as 0).
 * @param payload the payload, copied (NULL with @p len > 0: zeros).
 * @param len its length.
 * @return the length written, or VIV_EINVAL (NULL @p buf or @p ip; options not a multiple
 *         of 4, over 40 bytes, or NULL with a length; a packet over 65535 bytes; a fragment
 *         offset not a multiple of 8), VIV_ENOSPC (@p cap too small). The same IPv4 errors
 *         apply to the ICMP, UDP and TCP builders.
 */
VIV_API int viv_wire_ip_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                              const viv_wire_ip *ip, const uint8_t *payload, size_t len);

/**
 * Build an ICMP frame.
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the Ethernet header, or NULL for the IPv4 packet alone.
 * @param ip the IPv4 header.
 * @param icmp the message.
 * @return the length written, or VIV_EINVAL (NULL @p buf, @p ip or @p icmp, an IPv4 error as
 *         for viv_wire_ip_frame(), data over 65535 bytes), VIV_ENOSPC (@p cap too small).
 */
VIV_API int viv_wire_icmp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                                const viv_wire_ip *ip, const viv_wire_icmp *icmp);

/**
 * Build a UDP frame.
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the Ethernet header, or NULL for the IPv4 packet alone.
 * @param ip the IPv4 header.
 * @param udp the datagram.
 * @return the length written, or VIV_EINVAL (NULL @p buf, @p ip or @p udp, an IPv4 error as
 *         for viv_wire_ip_frame(), a payload over 65535 bytes), VIV_ENOSPC (@p cap too
 *         small).
 */
VIV_API int viv_wire_udp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                               const viv_wire_ip *ip, const viv_wire_udp *udp);

/**
 * Build a TCP frame.
 * @param buf the buffer.
 * @param cap its size.
 * @param eth the Ethernet header, or NULL for the IPv4 packet alone.
 * @param ip the IPv4 header.
 * @param tcp the segment.
 * @return the length written, or VIV_EINVAL (NULL @p buf, @p ip or @p tcp; options over 40
 *         bytes; raw options not a multiple of 4 or over 40 bytes; more than 4 SACK blocks;
 *         an IPv4 error as for viv_wire_ip_frame(); a payload over 65535 bytes), VIV_ENOSPC
 *         (@p cap too small).
 */
VIV_API int viv_wire_tcp_frame(uint8_t *buf, size_t cap, const viv_wire_eth *eth,
                               const viv_wire_ip *ip, const viv_wire_tcp *tcp);

/**
 * The length of the frame a host sends for a UDP datagram: Ethernet, IPv4 (no options) and
 * UDP headers and the payload, padded to 60 bytes.
 * @param payload_len the payload's length.
 * @return the frame's length in bytes (what viv_link_ser_time() takes); UINT32_MAX for a
 *         length past it (huge arguments saturate, never wrap).
 */
VIV_API uint32_t viv_wire_udp_frame_len(size_t payload_len);

/**
 * The length of the frame of a TCP segment: Ethernet, IPv4 (no options), TCP header with
 * @p opts_len bytes of options, and the payload, padded to 60 bytes.
 * @param payload_len the payload's length.
 * @param opts_len bytes of TCP options (a multiple of 4).
 * @return the frame's length in bytes; UINT32_MAX for a length past it (huge
 *         arguments saturate, never wrap).
 */
VIV_API uint32_t viv_wire_tcp_frame_len(size_t payload_len, size_t opts_len);

/**
 * The length of the frame of an ICMP echo request or reply (a ping) with @p data_len bytes
 * of data: 98 bytes for the default 56.
 * @param data_len the echo data's length.
 * @return the frame's length in bytes; UINT32_MAX for a length past it (huge
 *         arguments saturate, never wrap).
 */
VIV_API uint32_t viv_wire_icmp_echo_frame_len(size_t data_len);

/**
 * The length of the frame of an ICMP error (unreachable, time exceeded...) a host or router
 * sends about an IPv4 packet of @p packet_len bytes: it quotes as much of the packet as fits
 * in 576 bytes of IPv4 (RFC 1812 4.3.2.3), never its Ethernet padding.
 * @param packet_len the length of the IPv4 packet that caused the error (header included,
 *        Ethernet header and padding excluded).
 * @return the frame's length in bytes; UINT32_MAX for a length past it (huge
 *         arguments saturate, never wrap).
 */
VIV_API uint32_t viv_wire_icmp_error_frame_len(size_t packet_len);

/**
 * The length of an ARP frame: 60 bytes (28 of ARP, padded).
 * @return 60.
 */
VIV_API uint32_t viv_wire_arp_frame_len(void);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
