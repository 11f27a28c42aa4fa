/**
 * @file vivarium/testing.h
 * @brief The testing kit: run until a condition, recorders, expectations in order (a text
 *        form like packetdrill's and a C form), expected times from the physics,
 *        fingerprints.
 *
 * @defgroup viv_testing Testing kit
 * @brief Unit-test protocol logic inside any C test framework.
 *
 * The kit works with any test framework (cmocka, Unity, Check, plain `assert`): no call
 * aborts or prints. A check that fails returns a nonzero code and writes a report, a text
 * the caller hands to its own framework (`fail_msg("%s", report)` in cmocka). The report's
 * format is given below and in docs/testing.md.
 *
 * **Running until.** viv_run_until() runs a simulation event by event until a predicate
 * holds or a simulated deadline passes; viv_rec_wait() until a recorder has recorded a frame
 * that matches a pattern.
 *
 * **Recorders** (::viv_rec_t) record the frames crossing ports (both directions) and link
 * directions, with their times, decoded once; and, if asked, the trace records of a node or
 * socket. Recording changes nothing in the run: no event, no random draw, no fingerprint.
 *
 * **Expectations** (::viv_expect_t) are lines matched in order against a recorder's frames.
 * They are written as text, parsed once:
 * @code
 * viv_expect_parse(ex,
 *     "A>B ARP request\n"
 *     "B>A ARP reply\n"
 *     "A>B UDP 1025>53 len 33\n"
 *     "+0.000100~0.000010 B>A UDP 53 len 60\n"
 *     "nothing else until +1\n");
 * @endcode
 * or built in C (::viv_pattern, viv_expect_add()). The grammar is in docs/testing.md; in
 * short, a line is `[time] [src>dst] PROTO fields...`:
 * - time: `1.5` (absolute, seconds), `+0.010` (after the previous match, exactly),
 *   `+0.010~0.002` (within a tolerance), `<=+1` (at the latest), with an optional unit
 *   (`+10ms`, `250us`, `7ns`);
 * - endpoints: names the recorder gives (`A>B`: see viv_rec_name()), addresses
 *   (`10.0.0.1>10.0.0.2`), either with a port (`A:1025>B:53`), or `*`;
 * - `ARP [request|reply]`; `ICMP [echo-request|echo-reply|unreachable|time-exceeded|
 *   param-problem|type N] [code N] [id N] [seq N] [len N]`; `UDP [P|P>Q] [len N]`;
 *   `TCP [P|P>Q] [FLAGS] [S:E(L)] [ack N] [win N] [<OPTIONS>] [len N]` with FLAGS spelled as
 *   tcpdump and packetdrill do (`[S]`, `[S.]`, `[P.]`, `[F.]`, `[R]`, `.`...), sequence and
 *   acknowledgement numbers relative to each side's first SYN, and OPTIONS such as
 *   `<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>` or `<sack 1001:2001>`;
 *   `IP [proto N] [len N]`; `ETH [type 0xHHHH] [len N]`;
 * - directives: `allow ARP` (from then on, ARP frames may come between the frames
 *   expected), `allow nothing`, and `nothing else until T` (no frame before T).
 *
 * Every frame of the recording must be expected, in order, except ARP frames where `allow
 * ARP` is in force; frames after the last line are not checked.
 *
 * **Mismatch reports.** A failed check writes, one item per line:
 * @verbatim
expectation not met: line 3: +0.010 B>A TCP [S.] 0:0(0) ack 1 win 65535 <mss 1460>
  why: flags [R.], expected [S.]
  simulated time: 1.002000000
  previous match: line 2 at 1.000000000
  came instead:
    1.001000000 B>A TCP 80>1025 [R.] 0:0(0) ack 1 win 0
@endverbatim
 * The first line names the expectation (its line in the script and its text); `why` says
 * what differs in the first frame that came instead (or `no frame came by T`); the simulated
 * time is the clock when the check was made; the frames that came instead are decoded one
 * per line, as viv_rec_format() decodes them (at most 8, then `... and N more`), or
 * `nothing`. A decoded line is itself a valid expectation line that matches that frame.
 *
 * **Expected times.** viv_link_ser_time(), viv_link_one_way() and viv_path_one_way() give
 * the times the links will produce, from the code the links use; wire.h gives the lengths of
 * the frames hosts send.
 *
 * **Fingerprints.** viv_fingerprint_check() compares a run's fingerprint with a value;
 * viv_scenario_repeat() runs a scenario twice (in two threads where the platform allows) and
 * compares the two runs.
 * @{
 */
#ifndef VIVARIUM_TESTING_H
#define VIVARIUM_TESTING_H

#include "addr.h"
#include "frame.h"
#include "link.h"
#include "node.h"
#include "sim.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A check is not over yet: nothing contradicts the expectations, but not all of them are
 *  met (a positive return value, not an error). */
#define VIV_CHECK_PENDING 1
/** A check failed: the report says why (a positive return value, not an error). */
#define VIV_CHECK_FAILED 2

/* ---- running until ---------------------------------------------------------------------- */

/**
 * A condition to run until.
 * @param sim the simulation.
 * @param user the pointer given to viv_run_until().
 * @return nonzero when the condition holds.
 *
 * Callback timing: called by viv_run_until() before the first event and after each event,
 * outside any event. It may read anything; it should not change the simulation.
 */
typedef int (*viv_until_fn)(viv_sim_t *sim, void *user);

/**
 * Run the simulation event by event until @p pred holds or the deadline passes.
 *
 * The predicate is checked first, then after every event. Events are run one at a time
 * (viv_sim_step()) while the next one is due at or before @p deadline; nothing is added to
 * the event queue. When the predicate holds, the clock is left at the event after which it
 * held. When the deadline passes first, the clock is set to @p deadline (as
 * viv_sim_run_until() does), unless @p deadline is ::VIV_TIME_NEVER (the clock then stays at
 * the last event).
 * @param sim the simulation.
 * @param deadline the last instant to run to (absolute simulated time).
 * @param pred the condition.
 * @param user passed to @p pred.
 * @return 1 if the condition holds, 0 if the deadline passed (or nothing was left to run
 *         with ::VIV_TIME_NEVER), VIV_EINVAL (NULL, @p deadline before now), VIV_ESTATE
 *         (called from a callback).
 *
 * A scenario that frees the simulation from one of its callbacks must not be run with this.
 */
VIV_API int viv_run_until(viv_sim_t *sim, viv_time_t deadline, viv_until_fn pred, void *user);

/* ---- recorders -------------------------------------------------------------------------- */

/** A recorder (opaque): frames and trace records, as they happen. */
typedef struct viv_rec viv_rec_t;

/** The longest endpoint name, with its terminating NUL. */
#define VIV_REC_NAME_MAX 32
/** The default snapshot length of a recorder: enough for every header, options included. */
#define VIV_REC_SNAPLEN_DEFAULT 256u
/** The default number of frames (and of trace records) a recorder keeps. */
#define VIV_REC_MAX_DEFAULT 65536u

/** Options for viv_rec_new(). Zero fields mean the defaults. */
typedef struct viv_rec_opts {
    uint32_t snaplen;    /**< bytes kept of each frame; default ::VIV_REC_SNAPLEN_DEFAULT,
                              at most 131072 */
    uint32_t max_frames; /**< frames kept; default ::VIV_REC_MAX_DEFAULT. Later frames are
                              counted (viv_rec_overflow()), not kept */
    uint32_t max_traces; /**< trace records kept; default ::VIV_REC_MAX_DEFAULT */
    int no_auto_names;   /**< 1: endpoints not named with viv_rec_name() keep their
                              addresses; 0 (default): they are named A, B, C... in the order
                              they first appear */
} viv_rec_opts;

/** Initialiser for ::viv_rec_opts with every default. */
#define VIV_REC_OPTS_INIT {0, 0, 0, 0}

/** Where and which way a recorded frame went. */
typedef enum viv_rec_dir {
    VIV_REC_TX = 0, /**< sent by the node of a recorded port */
    VIV_REC_RX = 1, /**< received by the node of a recorded port */
    VIV_REC_AB = 2, /**< on a recorded link direction, A to B (as its transmission started) */
    VIV_REC_BA = 3  /**< on a recorded link direction, B to A */
} viv_rec_dir;

/** The kind of a recorded frame, from its headers. */
typedef enum viv_rec_kind {
    VIV_REC_ETH = 0,  /**< neither ARP nor IPv4 (or too short for either) */
    VIV_REC_ARP = 1,  /**< ARP */
    VIV_REC_IP = 2,   /**< IPv4 of another protocol, or a fragment after the first */
    VIV_REC_ICMP = 3, /**< ICMP */
    VIV_REC_UDP = 4,  /**< UDP */
    VIV_REC_TCP = 5   /**< TCP */
} viv_rec_kind;

/** One recorded frame, decoded when it was recorded (from the whole frame, before any
 *  snapshot cut). */
typedef struct viv_rec_entry {
    viv_time_t time;        /**< when (for a link direction: when its transmission started) */
    viv_rec_dir dir;        /**< where and which way */
    uint32_t where;         /**< which attachment recorded it: 0 for the first
                                 viv_rec_attach_port() or viv_rec_attach_link() direction, 1
                                 for the next... */
    uint32_t len;           /**< the frame's length */
    uint32_t caplen;        /**< bytes kept: min(len, snapshot length) */
    const uint8_t *bytes;   /**< those bytes, owned by the recorder: valid until
                                 viv_rec_clear() or viv_rec_free() */
    viv_frame_info info;    /**< the header summary (frame.h) */
    viv_rec_kind kind;      /**< the kind */
    char src[VIV_REC_NAME_MAX]; /**< the source endpoint: its name, else its address */
    char dst[VIV_REC_NAME_MAX]; /**< the destination endpoint */
    uint32_t seq;           /**< TCP: the sequence number, relative to the sender's first
                                 SYN if the recorder saw it, else absolute */
    uint32_t ack;           /**< TCP: the acknowledgement number, relative to the receiver's
                                 first SYN if seen, else absolute */
    int seq_relative;       /**< 1 if @ref seq is relative */
    int ack_relative;       /**< 1 if @ref ack (and the SACK blocks) are relative */
    uint16_t win;           /**< TCP: the window field */
    int opts_bad;           /**< TCP: 1 if the options are malformed (none are decoded) */
    uint16_t mss;           /**< TCP: MSS option, 0 if absent (an MSS option of 0 reads
                                 as absent too) */
    int wscale;             /**< TCP: window scale shift, -1 if absent */
    int sack_ok;            /**< TCP: 1 if SACK-permitted is present */
    int ts;                 /**< TCP: 1 if the timestamps option is present */
    uint32_t tsval;         /**< TCP: timestamp value */
    uint32_t tsecr;         /**< TCP: timestamp echo reply */
    uint32_t sack_count;    /**< TCP: SACK blocks (0 to 4) */
    uint32_t sack[4][2];    /**< TCP: SACK blocks (left, right), relative as @ref ack */
    uint16_t icmp_id;       /**< ICMP echo: identifier */
    uint16_t icmp_seq;      /**< ICMP echo: sequence number */
} viv_rec_entry;

/**
 * Create a recorder. It records nothing until attached (viv_rec_attach_port(),
 * viv_rec_attach_link()) or subscribed (viv_rec_trace()). Its time reference, from which
 * the first relative expectation counts, is now.
 * @param[out] out receives the recorder.
 * @param sim the simulation.
 * @param opts options, or NULL.
 * @return 0, or VIV_EINVAL (NULL, snapshot length too large), VIV_ENOMEM.
 *
 * Ownership: the simulation owns the recorder; viv_rec_free() frees it earlier.
 */
VIV_API int viv_rec_new(viv_rec_t **out, viv_sim_t *sim, const viv_rec_opts *opts);

/**
 * Detach a recorder from everything and free it with what it recorded.
 * @param rec the recorder, or NULL.
 */
VIV_API void viv_rec_free(viv_rec_t *rec);

/**
 * The simulation of a recorder.
 * @param rec the recorder.
 * @return the simulation (borrowed), or NULL.
 */
VIV_API viv_sim_t *viv_rec_sim(const viv_rec_t *rec);

/**
 * Record every frame a port's node sends (::VIV_REC_TX, as it hands it to the link) and
 * receives (::VIV_REC_RX, as it arrives). A frame whose node is freed stops being recorded.
 * @param rec the recorder.
 * @param port the port.
 * @return 0, or VIV_EINVAL (NULL, another simulation's port), VIV_EEXIST (already recorded
 *         there), VIV_ENOMEM.
 */
VIV_API int viv_rec_attach_port(viv_rec_t *rec, viv_port_t *port);

/**
 * Record every frame that starts transmission on a link direction (or both), as a tap on
 * the cable: lost frames included, at the instant their transmission starts.
 * @param rec the recorder.
 * @param link the link.
 * @param dir ::VIV_LINK_AB, ::VIV_LINK_BA or ::VIV_LINK_BOTH (A to B first).
 * @return 0, or VIV_EINVAL, VIV_EEXIST, VIV_ENOMEM.
 */
VIV_API int viv_rec_attach_link(viv_rec_t *rec, viv_link_t *link, viv_link_dir dir);

/**
 * Record the trace records (trace.h) of a node, of a socket, or of everything.
 *
 * A simulation has one trace subscription. The recorder takes it and passes every record on
 * to the subscriber it replaced, so that recorders and a program's own subscriber chain.
 * A later viv_sim_trace() replaces the whole chain (the recorder then records no more
 * traces, and may call this again to subscribe anew). Freeing the recorder hands the
 * subscription back.
 * @param rec the recorder.
 * @param node the node whose records are kept (the record's `node`), or NULL for any.
 * @param socket the socket whose records are kept (the record's `socket`), or NULL for any.
 * @param kinds the kinds kept, as a mask of `1u << kind` (::viv_trace_kind); 0 for all.
 * @return 0, or VIV_EINVAL (NULL @p rec), VIV_EBUSY (this recorder already records traces:
 *         it is in the chain).
 *
 * Callback timing: each record is kept as it is emitted, then handed to the subscriber the
 * recorder replaced, in the same call.
 */
VIV_API int viv_rec_trace(viv_rec_t *rec, const viv_node_t *node, const void *socket,
                          uint32_t kinds);

/**
 * Name an endpoint: frames from or to @p ip read "name" in expectations, decoded lines and
 * reports. Call it before the frames are recorded; a name given later renames the endpoint
 * in every frame already recorded too.
 * @param rec the recorder.
 * @param name the name (copied): a letter or `_` first, then letters, digits, `_` or `-`;
 *        shorter than ::VIV_REC_NAME_MAX; not a keyword of the expectation grammar.
 * @param ip the address.
 * @return 0, or VIV_EINVAL (bad name), VIV_EEXIST (the name is another endpoint's), VIV_ENOMEM.
 */
VIV_API int viv_rec_name(viv_rec_t *rec, const char *name, viv_ip4_t ip);

/**
 * Name an Ethernet endpoint: frames that are neither ARP nor IPv4 are identified by MAC.
 * @param rec the recorder.
 * @param name the name (as for viv_rec_name()).
 * @param mac the address.
 * @return 0, or VIV_EINVAL, VIV_EEXIST, VIV_ENOMEM.
 */
VIV_API int viv_rec_name_mac(viv_rec_t *rec, const char *name, const viv_mac_t *mac);

/**
 * Forget every frame and trace record, and every TCP initial sequence number, and set the
 * time reference to now. Names stay.
 * @param rec the recorder (NULL: nothing happens).
 */
VIV_API void viv_rec_clear(viv_rec_t *rec);

/**
 * The recorder's time reference: when it was created or last cleared.
 * @param rec the recorder.
 * @return the time; 0 for NULL.
 */
VIV_API viv_time_t viv_rec_start(const viv_rec_t *rec);

/**
 * The number of frames recorded and kept.
 * @param rec the recorder.
 * @return the count; 0 for NULL.
 */
VIV_API size_t viv_rec_count(const viv_rec_t *rec);

/**
 * The number of frames (and trace records) not kept because the recorder was full or out
 * of memory. A check that reaches them fails and says so.
 * @param rec the recorder.
 * @return the count; 0 for NULL.
 */
VIV_API uint64_t viv_rec_overflow(const viv_rec_t *rec);

/**
 * Read a recorded frame.
 * @param[out] out receives it; its `bytes` stay valid until viv_rec_clear() or
 *        viv_rec_free().
 * @param rec the recorder.
 * @param i 0 .. viv_rec_count() - 1.
 * @return 0, or VIV_EINVAL (NULL), VIV_ERANGE (@p i out of range).
 */
VIV_API int viv_rec_frame(viv_rec_entry *out, const viv_rec_t *rec, size_t i);

/**
 * Decode a recorded frame in one line (no newline), as reports show it:
 * `TIME SRC>DST PROTO fields`, for instance
 * `1.000120000 A>B TCP 1025>80 [S.] 0:0(0) ack 1 win 65535 <mss 1460,sackOK,wscale 7>`.
 * The exact format is in docs/testing.md; the line is a valid expectation that matches the
 * frame.
 * @param rec the recorder.
 * @param i the frame's index.
 * @param buf the buffer.
 * @param cap its size.
 * @return the length of the text (as snprintf), or VIV_EINVAL, VIV_ERANGE.
 */
VIV_API int viv_rec_format(const viv_rec_t *rec, size_t i, char *buf, size_t cap);

/**
 * Decode every recorded frame, one line each (each ending with a newline).
 * @param rec the recorder.
 * @param buf the buffer.
 * @param cap its size.
 * @return the length of the whole text (as snprintf), or VIV_EINVAL.
 */
VIV_API int viv_rec_text(const viv_rec_t *rec, char *buf, size_t cap);

/**
 * The number of trace records recorded and kept.
 * @param rec the recorder.
 * @return the count; 0 for NULL.
 */
VIV_API size_t viv_rec_trace_count(const viv_rec_t *rec);

/**
 * Read a recorded trace record.
 * @param[out] out receives it. Its `frame` points to the recorder's copy (at most the
 *        snapshot length, `frame_len` is the original length), valid until viv_rec_clear()
 *        or viv_rec_free(); its `node`, `link` and `socket` pointers are only to compare
 *        (the objects may have been freed since).
 * @param rec the recorder.
 * @param i 0 .. viv_rec_trace_count() - 1.
 * @return 0, or VIV_EINVAL, VIV_ERANGE.
 */
VIV_API int viv_rec_trace_get(viv_trace_record *out, const viv_rec_t *rec, size_t i);

/* ---- patterns --------------------------------------------------------------------------- */

/** A ::viv_pattern number field: "don't care". */
#define VIV_ANY (-1)
/** A ::viv_pattern TCP option field: the option must be absent. */
#define VIV_ABSENT (-2)

/** The protocol a pattern wants. */
typedef enum viv_proto {
    VIV_PROTO_ANY = 0,  /**< any frame */
    VIV_PROTO_ARP = 1,  /**< ARP */
    VIV_PROTO_IP = 2,   /**< any IPv4 packet */
    VIV_PROTO_ICMP = 3, /**< ICMP */
    VIV_PROTO_UDP = 4,  /**< UDP */
    VIV_PROTO_TCP = 5,  /**< TCP */
    VIV_PROTO_ETH = 6   /**< any Ethernet frame (with `ethertype` to choose) */
} viv_proto;

/** What a pattern is. */
typedef enum viv_pattern_kind {
    VIV_PATTERN_FRAME = 0, /**< one frame, matching the fields */
    VIV_PATTERN_QUIET = 1  /**< "nothing else until": no frame before the time (`time_ns`,
                                relative to the previous match if `time_rel`) */
} viv_pattern_kind;

/** How a pattern constrains a frame's time. */
typedef enum viv_when {
    VIV_WHEN_ANY = 0, /**< any time */
    VIV_WHEN_AT = 1,  /**< at `time_ns`, within `tol_ns` either side */
    VIV_WHEN_BY = 2   /**< at `time_ns` or before */
} viv_when;

/**
 * A pattern: the C form of one expectation line. Initialise it with viv_pattern_init()
 * (every field "don't care"), then set what matters. Number fields are int64_t: ::VIV_ANY
 * for "don't care", else the value.
 */
typedef struct viv_pattern {
    viv_pattern_kind kind; /**< a frame, or "nothing else until" */
    viv_when when;         /**< the time constraint */
    int time_rel;          /**< 1: `time_ns` counts from the previous match (or the
                                recorder's start); 0: absolute */
    viv_time_t time_ns;    /**< the time */
    viv_time_t tol_ns;     /**< the tolerance of ::VIV_WHEN_AT */
    int allow_arp;         /**< 1: ARP frames that do not match may come before this one */
    const char *src;       /**< source endpoint: a name, a dotted IPv4 address or a MAC
                                address; NULL or "*" for any. Copied by viv_expect_add() */
    const char *dst;       /**< destination endpoint, likewise */
    viv_proto proto;       /**< the protocol */
    int64_t sport;         /**< UDP/TCP source port */
    int64_t dport;         /**< UDP/TCP destination port */
    int64_t port;          /**< UDP/TCP: either port */
    int64_t ethertype;     /**< EtherType */
    int64_t ip_proto;      /**< IPv4 protocol number */
    int64_t arp_op;        /**< ARP operation: 1 request, 2 reply */
    int64_t icmp_type;     /**< ICMP type */
    int64_t icmp_code;     /**< ICMP code */
    int64_t icmp_id;       /**< ICMP echo identifier */
    int64_t icmp_seq;      /**< ICMP echo sequence number */
    int64_t len;           /**< payload length: UDP and TCP payload, ICMP data (after its
                                8-byte header); for IP, the IPv4 payload; for ETH, the whole
                                frame */
    int64_t tcp_flags;     /**< TCP flags, exactly (::viv_tcp_flag bits) */
    int64_t seq;           /**< TCP sequence number (relative, as ::viv_rec_entry.seq) */
    int64_t ack;           /**< TCP acknowledgement number (relative); needs the ACK flag */
    int64_t win;           /**< TCP window field */
    int64_t mss;           /**< MSS option: ::VIV_ANY, ::VIV_ABSENT or the value, 1 to
                                65535 (an option of 0 reads as absent) */
    int64_t wscale;        /**< window scale: ::VIV_ANY, ::VIV_ABSENT or the shift */
    int64_t sack_ok;       /**< SACK-permitted: ::VIV_ANY, ::VIV_ABSENT or 1 (present) */
    int64_t ts;            /**< timestamps: ::VIV_ANY, ::VIV_ABSENT or 1 (present) */
    int64_t ts_val;        /**< timestamp value (with `ts` 1) */
    int64_t ts_ecr;        /**< timestamp echo reply (with `ts` 1) */
    int64_t sack_count;    /**< SACK blocks: ::VIV_ANY, or 0 (no SACK option) to 4 */
    uint32_t sack[4][2];   /**< the blocks (left, right), relative as `ack` */
} viv_pattern;

/**
 * Set every field of a pattern to "don't care": a frame pattern matching any frame at any
 * time.
 * @param p the pattern (NULL: nothing happens).
 */
VIV_API void viv_pattern_init(viv_pattern *p);

/**
 * Write a pattern as an expectation line (no newline), in the canonical spelling the parser
 * reads back.
 * @param p the pattern.
 * @param buf the buffer.
 * @param cap its size.
 * @return the length of the text (as snprintf), or VIV_EINVAL.
 */
VIV_API int viv_pattern_format(const viv_pattern *p, char *buf, size_t cap);

/**
 * Whether a recorded frame matches a pattern, times aside (a frame pattern's time
 * constraint is not checked).
 * @param rec the recorder.
 * @param i the frame's index.
 * @param p the pattern.
 * @return 1 or 0; VIV_EINVAL (NULL, a quiet pattern, an endpoint text that is no name nor
 *         address), VIV_ERANGE (@p i out of range).
 */
VIV_API int viv_rec_match(const viv_rec_t *rec, size_t i, const viv_pattern *p);

/**
 * Run until the recorder records a frame matching @p p (checked after every event, from the
 * frames recorded after this call), or the deadline passes. A relative time in @p p counts
 * from the call.
 * @param rec the recorder.
 * @param p the pattern.
 * @param deadline the last instant to run to.
 * @param[out] index_out receives the frame's index, or NULL.
 * @return 1 (found), 0 (the deadline passed), or as viv_run_until() and viv_rec_match().
 */
VIV_API int viv_rec_wait(viv_rec_t *rec, const viv_pattern *p, viv_time_t deadline,
                         size_t *index_out);

/**
 * viv_rec_wait() with a pattern written as one expectation line, such as "B>A UDP 53".
 * @param rec the recorder.
 * @param line the line.
 * @param deadline the last instant to run to.
 * @param[out] index_out receives the frame's index, or NULL.
 * @return as viv_rec_wait(); VIV_EINVAL for a line the parser refuses (the message, with the
 *         column, is in viv_sim_errmsg()).
 */
VIV_API int viv_rec_wait_text(viv_rec_t *rec, const char *line, viv_time_t deadline,
                              size_t *index_out);

/* ---- expectations ----------------------------------------------------------------------- */

/** A list of expectations, matched in order (opaque). */
typedef struct viv_expect viv_expect_t;

/**
 * Create an empty list of expectations.
 * @param[out] out receives it.
 * @param sim the simulation whose allocator it uses and where its errors are reported.
 * @return 0, or VIV_EINVAL, VIV_ENOMEM.
 *
 * Ownership: the simulation owns it; viv_expect_free() frees it earlier.
 */
VIV_API int viv_expect_new(viv_expect_t **out, viv_sim_t *sim);

/**
 * Free a list of expectations.
 * @param ex the list, or NULL.
 */
VIV_API void viv_expect_free(viv_expect_t *ex);

/**
 * Parse expectation lines and append them. Lines are separated by newlines; `#` starts a
 * comment; blank lines count as lines but expect nothing. Line numbers continue across calls
 * (and viv_expect_add(), which counts as one line).
 * @param ex the list.
 * @param text the lines.
 * @return 0, or VIV_EINVAL: a line is refused, and nothing of @p text is appended;
 *         viv_sim_errmsg() says where and why, as
 *         `expectations: line L, column C: message` (columns count bytes from 1), VIV_ENOMEM.
 */
VIV_API int viv_expect_parse(viv_expect_t *ex, const char *text);

/**
 * Append one expectation given as a pattern (copied, its endpoint strings included).
 * @param ex the list.
 * @param p the pattern.
 * @return 0, or VIV_EINVAL (a field out of range, an endpoint that is no name nor address),
 *         VIV_ENOMEM.
 */
VIV_API int viv_expect_add(viv_expect_t *ex, const viv_pattern *p);

/**
 * The number of expectations (directives and blank lines are not expectations).
 * @param ex the list.
 * @return the count; 0 for NULL.
 */
VIV_API size_t viv_expect_count(const viv_expect_t *ex);

/**
 * An expectation as text: as written if it was parsed, else in the canonical spelling.
 * @param ex the list.
 * @param i 0 .. viv_expect_count() - 1.
 * @param buf the buffer.
 * @param cap its size.
 * @return the length of the text (as snprintf), or VIV_EINVAL, VIV_ERANGE.
 */
VIV_API int viv_expect_text(const viv_expect_t *ex, size_t i, char *buf, size_t cap);

/**
 * Check the frames a recorder holds against the expectations, now.
 * @param ex the expectations.
 * @param rec the recorder (of the same simulation).
 * @param final 1: the recording is over (an expectation not met is a failure); 0: the run
 *        may go on (it may be met later).
 * @param report receives the report of a pending or failed check ("" when every expectation
 *        is met); may be NULL with @p cap 0.
 * @param cap the report buffer's size; the report is cut to fit.
 * @return 0 (every expectation met), ::VIV_CHECK_PENDING (only with @p final 0),
 *         ::VIV_CHECK_FAILED, or VIV_EINVAL.
 */
VIV_API int viv_expect_check(const viv_expect_t *ex, const viv_rec_t *rec, int final,
                             char *report, size_t cap);

/**
 * Run the simulation event by event (as viv_run_until()) until every expectation is met,
 * one fails, or the deadline passes (then a final check decides).
 * @param ex the expectations.
 * @param rec the recorder.
 * @param deadline the last instant to run to.
 * @param report receives the report of a failure; may be NULL with @p cap 0.
 * @param cap its size.
 * @return 0 (met), ::VIV_CHECK_FAILED, or VIV_EINVAL, VIV_ESTATE (as viv_run_until()).
 */
VIV_API int viv_expect_run(const viv_expect_t *ex, viv_rec_t *rec, viv_time_t deadline,
                           char *report, size_t cap);

/**
 * The one-call form for tests: parse @p script, check the recording against it as over
 * (final), and free what it made. For a test that has run its scenario and asks "did the
 * wire see exactly this?".
 * @param rec the recorder.
 * @param script expectations in the text form (several lines).
 * @param report receives the mismatch report, or the parser's message for a bad script
 *        ("" when the recording matches); may be NULL with @p cap 0.
 * @param cap its size.
 * @return 0 (matched), ::VIV_CHECK_FAILED (the report says how), or VIV_EINVAL (a bad
 *         script: the report gives its line, column and message), VIV_ENOMEM.
 */
VIV_API int viv_rec_expect(const viv_rec_t *rec, const char *script, char *report, size_t cap);

/* ---- expected times from the physics ---------------------------------------------------- */

/**
 * The serialisation time of a frame on a link direction, from the code the link uses:
 * `ceil((len + overhead_bytes) * 8 * 10^9 / rate_bps)` ns with the direction's current
 * parameters.
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @param frame_len the frame's length (Ethernet header to the end of padding, no FCS: what
 *        the wire.h length helpers give).
 * @return the time (::VIV_TIME_MAX if it is longer: it saturates, never wraps);
 *         ::VIV_TIME_NEVER for bad arguments.
 */
VIV_API viv_time_t viv_link_ser_time(const viv_link_t *link, viv_link_dir dir,
                                     uint32_t frame_len);

/**
 * The one-way time of a frame over a link direction with an idle transmitter: serialisation
 * plus propagation delay (jitter not included).
 * @param link the link.
 * @param dir ::VIV_LINK_AB or ::VIV_LINK_BA.
 * @param frame_len the frame's length.
 * @return the time; ::VIV_TIME_NEVER for bad arguments.
 */
VIV_API viv_time_t viv_link_one_way(const viv_link_t *link, viv_link_dir dir,
                                    uint32_t frame_len);

/** One hop of a path: a link and the direction the frame takes on it. */
typedef struct viv_hop {
    const viv_link_t *link; /**< the link */
    viv_link_dir dir;       /**< ::VIV_LINK_AB or ::VIV_LINK_BA */
} viv_hop;

/**
 * The one-way delay of a frame along a path of idle links: the sum of each hop's
 * viv_link_one_way(). Hubs, switches and routers forward a frame the instant it has arrived
 * (store and forward, no processing time), and the frame keeps its length on every hop.
 * @param hops the hops, in order.
 * @param n their count.
 * @param frame_len the frame's length.
 * @return the delay; ::VIV_TIME_NEVER for bad arguments.
 */
VIV_API viv_time_t viv_path_one_way(const viv_hop *hops, size_t n, uint32_t frame_len);

/* ---- fingerprints ----------------------------------------------------------------------- */

/**
 * Check a run's fingerprint.
 * @param sim the simulation.
 * @param expected the fingerprint expected (viv_sim_fingerprint()).
 * @param report receives, on failure, one line such as `fingerprint 0x0123456789abcdef, expected
 *        0xfedcba9876543210 (simulated time 2.000000000, 747 events)`; may be NULL with @p cap
 *        0.
 * @param cap its size.
 * @return 0 (equal), ::VIV_CHECK_FAILED, or VIV_EINVAL.
 */
VIV_API int viv_fingerprint_check(const viv_sim_t *sim, uint64_t expected, char *report,
                                  size_t cap);

/**
 * A scenario: builds a world in @p sim and runs it.
 * @param sim a new simulation, made and freed by viv_scenario_repeat().
 * @param run 0 for the first run, 1 for the second.
 * @param user the pointer given to viv_scenario_repeat(), the same for both runs (with
 *        threads, the two runs may use it at the same time).
 * @return 0, or a nonzero value that fails the comparison.
 */
typedef int (*viv_scenario_fn)(viv_sim_t *sim, int run, void *user);

/** Options for viv_scenario_repeat(). Zero fields mean the defaults. */
typedef struct viv_repeat_opts {
    uint64_t seed;       /**< both simulations' seed */
    viv_alloc_fn alloc;  /**< both simulations' allocator; NULL: the C library's */
    void *alloc_ud[2];   /**< its user pointer for run 0 and for run 1 */
    int threads;         /**< 1: run the two at the same time, in two threads, where the
                              library was built with threads (see ::viv_repeat_result) */
} viv_repeat_opts;

/** Initialiser for ::viv_repeat_opts with every default. */
#define VIV_REPEAT_OPTS_INIT {0, NULL, {NULL, NULL}, 0}

/** What one run of a scenario left. */
typedef struct viv_run_summary {
    int rc;               /**< the scenario's return value, or a negative VIV_E* code if its
                               simulation could not be made */
    uint64_t fingerprint; /**< viv_sim_fingerprint() when it returned */
    uint64_t events;      /**< viv_sim_events() */
    viv_time_t now;       /**< viv_sim_now() */
} viv_run_summary;

/** What viv_scenario_repeat() found. */
typedef struct viv_repeat_result {
    viv_run_summary run[2]; /**< the two runs */
    int threaded;           /**< 1 if they ran in two threads at the same time */
} viv_repeat_result;

/**
 * Run a scenario twice, each time in a new simulation with the same seed, and compare the
 * fingerprints, event counts and final clocks.
 * @param[out] out receives both runs' summaries, or NULL.
 * @param fn the scenario.
 * @param user passed to @p fn.
 * @param opts options, or NULL.
 * @param report receives, on failure, what differs (one line per run); may be NULL with
 *        @p cap 0.
 * @param cap its size.
 * @return 0 (the runs are identical and both returned 0), ::VIV_CHECK_FAILED, or VIV_EINVAL
 *         (NULL @p fn).
 *
 * Threads are used only where the library was built with them (a C library with POSIX
 * threads built in, as glibc 2.34 and later, musl and macOS have) and a thread could be
 * started; otherwise the two runs are sequential and `threaded` says so.
 */
VIV_API int viv_scenario_repeat(viv_repeat_result *out, viv_scenario_fn fn, void *user,
                                const viv_repeat_opts *opts, char *report, size_t cap);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
