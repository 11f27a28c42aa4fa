/**
 * @file vivarium/frame.h
 * @brief A parsed summary of a frame's headers, for hooks, matches and traces.
 *
 * @defgroup viv_frame Frame summaries
 * @brief What a frame carries, read from its real bytes.
 *
 * Frames in vivarium are real bytes: Ethernet II, then ARP or IPv4, then ICMP, UDP or TCP,
 * with real checksums. Hooks that see a frame (link intercepts, device receive callbacks) get
 * the bytes and a ::viv_frame_info parsed from them, so they can decide without parsing
 * headers themselves.
 * @{
 */
#ifndef VIVARIUM_FRAME_H
#define VIVARIUM_FRAME_H

#include "addr.h"

#ifdef __cplusplus
extern "C" {
#endif

/** TCP flag bits as they appear in ::viv_frame_info.tcp_flags (the header's bit values). */
enum viv_tcp_flag {
    VIV_TCP_FIN = 0x01, /**< no more data from sender */
    VIV_TCP_SYN = 0x02, /**< synchronise sequence numbers */
    VIV_TCP_RST = 0x04, /**< reset the connection */
    VIV_TCP_PSH = 0x08, /**< push */
    VIV_TCP_ACK = 0x10, /**< acknowledgment field is significant */
    VIV_TCP_URG = 0x20, /**< urgent pointer is significant */
    VIV_TCP_ECE = 0x40, /**< ECN echo */
    VIV_TCP_CWR = 0x80  /**< congestion window reduced */
};

/** Well-known EtherType values. */
enum viv_ethertype {
    VIV_ETHERTYPE_IPV4 = 0x0800, /**< IPv4 */
    VIV_ETHERTYPE_ARP = 0x0806   /**< ARP */
};

/** Well-known IP protocol numbers. */
enum viv_ip_proto {
    VIV_IPPROTO_ICMP = 1, /**< ICMP */
    VIV_IPPROTO_TCP = 6,  /**< TCP */
    VIV_IPPROTO_UDP = 17  /**< UDP */
};

/** What a frame carries. Fields of layers the frame does not have are zero. */
typedef struct viv_frame_info {
    uint32_t len;          /**< bytes of the whole frame (a count past UINT32_MAX wraps) */
    viv_mac_t dst;         /**< Ethernet destination */
    viv_mac_t src;         /**< Ethernet source */
    uint16_t ethertype;    /**< EtherType; 0 if the frame is shorter than an Ethernet header */
    uint16_t arp_op;       /**< ARP operation (1 request, 2 reply), 0 if not ARP */
    viv_ip4_t arp_spa;     /**< ARP sender protocol address */
    viv_ip4_t arp_tpa;     /**< ARP target protocol address */
    uint8_t has_ip;        /**< 1 if a valid IPv4 header was found */
    uint8_t ip_proto;      /**< IPv4 protocol number */
    uint8_t ip_ttl;        /**< IPv4 time to live */
    viv_ip4_t ip_src;      /**< IPv4 source */
    viv_ip4_t ip_dst;      /**< IPv4 destination */
    uint16_t sport;        /**< UDP or TCP source port */
    uint16_t dport;        /**< UDP or TCP destination port */
    uint8_t tcp_flags;     /**< TCP flags (::viv_tcp_flag bits) */
    uint32_t tcp_seq;      /**< TCP sequence number */
    uint32_t tcp_ack;      /**< TCP acknowledgment number */
    uint8_t icmp_type;     /**< ICMP type */
    uint8_t icmp_code;     /**< ICMP code */
    uint32_t payload_len;  /**< bytes of the innermost payload found (UDP/TCP/ICMP data) */
} viv_frame_info;

/**
 * Summarise a frame's headers. Checksums are not verified; malformed inner headers leave the
 * inner fields zero. A later IPv4 fragment has its IP fields (has_ip 1) but no transport
 * fields, and payload_len 0. The summary is a copy: nothing points into @p frame.
 * @param[out] out receives the summary (all of it written; untouched on error).
 * @param frame the frame's bytes, from the Ethernet header on (NULL allowed when @p len
 *              is 0).
 * @param len their count.
 * @return 0 (for any bytes, even too short for an Ethernet header), or VIV_EINVAL (NULL
 *         @p out, or NULL @p frame with @p len not 0).
 */
VIV_API int viv_frame_info_parse(viv_frame_info *out, const uint8_t *frame, size_t len);

/**
 * Describe a frame in one line, tcpdump-like ("10.0.0.1.1025 > 10.0.0.2.80: Flags [S] ...").
 * An ARP operation other than request and reply (or a malformed ARP header) is shown as
 * "ARP, op N".
 * @param info the summary.
 * @param buf the buffer (the caller's; may be NULL when @p cap is 0), NUL-terminated when
 *            @p cap is not 0, the text cut to fit.
 * @param cap its size.
 * @return the length of the whole text without its NUL (as snprintf), or VIV_EINVAL (NULL
 *         @p info, or NULL @p buf with @p cap not 0).
 */
VIV_API int viv_frame_info_format(const viv_frame_info *info, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
