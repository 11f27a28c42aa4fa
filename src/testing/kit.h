/* The testing kit's internals: recorders (record.c), the expectation grammar (parse.c), the
 * matcher and reports (expect.c), frame builders (build.c) and the physics and fingerprint
 * helpers (physics.c).
 *
 * The kit sits above every layer: it reads the simulation's internals (taps on ports and
 * link directions, the trace subscription, the event queue's head) but never changes the run
 * it observes: a recorder schedules nothing and draws nothing. */
#ifndef VIV_TESTING_KIT_H
#define VIV_TESTING_KIT_H

#include "core/core.h"
#include "l2/l2.h"
#include "vivarium/testing.h"
#include "vivarium/wire.h"

/* ---- recorders ---------------------------------------------------------------------------- */

/* An endpoint: an IPv4 address (IP and ARP frames) or a MAC address (other frames), with its
 * name ("" while it has none). */
typedef struct kit_ep {
    int is_mac;
    viv_ip4_t ip;
    viv_mac_t mac;
    char name[VIV_REC_NAME_MAX];
    int given; /* named by the program (viv_rec_name), not automatically */
} kit_ep;

/* A recorded frame: the public entry without its endpoint names, which are the endpoints'
 * current names (a name given later renames every frame). */
typedef struct kit_frame {
    viv_rec_entry e;
    uint32_t src_ep, dst_ep;
    uint32_t ip_len; /* the IPv4 payload's length (what "IP len N" matches) */
} kit_frame;

/* Where a recorder is attached: the context of one tap. */
typedef struct kit_att {
    struct viv_rec *rec;
    int on_link;     /* 0: a port (tap dir 0 sent, 1 received); 1: a link direction */
    viv_rec_dir dir; /* for a link direction */
    uint32_t index;
    const void *where; /* the port or link, to refuse a second attachment (compared only) */
} kit_att;

/* A block of the byte arena that holds the recorded bytes: pointers into it stay valid
 * until the recorder is cleared. */
typedef struct kit_chunk {
    struct kit_chunk *next;
    size_t size, used;
    uint8_t data[];
} kit_chunk;

/* The first SYN of one side of a TCP connection: (src, sport) -> (dst, dport). */
typedef struct kit_isn {
    viv_ip4_t src, dst;
    uint16_t sport, dport;
    uint32_t isn;
} kit_isn;

struct viv_rec {
    viv__obj obj;
    viv_sim_t *sim;
    uint32_t snaplen, max_frames, max_traces;
    int auto_names;
    viv_time_t t0;
    uint64_t overflow;

    kit_frame *fr;
    size_t nfr, capfr;
    kit_chunk *chunks;

    kit_ep *eps;
    uint32_t neps, capeps;
    viv__map epmap; /* endpoint key -> index + 1 */
    uint32_t next_auto;

    kit_isn *isns;
    uint32_t nisns, capisns;
    viv__map isnmap; /* 4-tuple -> index + 1 */

    kit_att **atts;
    uint32_t natts, capatts;

    int tracing;
    const viv_node_t *tr_node;
    const void *tr_sock;
    uint32_t tr_kinds;
    viv_trace_cb prev_cb;
    void *prev_ud;
    viv_trace_record *trs;
    size_t ntrs, captrs;
};

/* The endpoint of index i's text: its name, else its address. */
void viv__kit_ep_text(const struct viv_rec *rec, uint32_t i, char out[VIV_REC_NAME_MAX]);
/* Whether a name is a keyword of the grammar (and so cannot name an endpoint). */
int viv__kit_is_keyword(const char *s, size_t n);
/* Whether a name is well formed: a letter or '_', then letters, digits, '_' or '-'. */
int viv__kit_name_ok(const char *s, size_t n);
/* Write a recorded frame's line. */
void viv__kit_frame_line(viv__sb *sb, const struct viv_rec *rec, const kit_frame *f);
/* Write a time as seconds with 9 decimals. */
void viv__kit_time_abs(viv__sb *sb, viv_time_t t);

/* ---- patterns ----------------------------------------------------------------------------- */

/* An endpoint in a pattern. */
enum { KIT_EP_ANY = 0, KIT_EP_NAME = 1, KIT_EP_IP = 2, KIT_EP_MAC = 3 };
typedef struct kit_epspec {
    int kind;
    char name[VIV_REC_NAME_MAX];
    viv_ip4_t ip;
    viv_mac_t mac;
} kit_epspec;

/* One line of a list of expectations: the pattern (its src and dst pointers unused: the
 * endpoints are in src and dst), where it was written, and its text. */
typedef struct kit_line {
    viv_pattern p;
    kit_epspec src, dst;
    uint32_t lineno;
    char *text; /* owned, NUL-terminated */
    size_t text_size;
} kit_line;

/* Parse an endpoint text (name, address, MAC or "*"). Returns 0, or -1. */
int viv__kit_epspec_parse(kit_epspec *out, const char *s, size_t n);
/* Fill a line's endpoints from its pattern's strings and check its fields. Returns 0, or -1
 * with a message in err. */
int viv__kit_line_from_pattern(kit_line *l, const viv_pattern *p, char *err, size_t errcap);

/* Parse one line (n bytes, no newline) of the grammar.
 * Returns KIT_PARSE_BLANK (nothing), KIT_PARSE_DIRECTIVE (*allow_arp updated),
 * KIT_PARSE_LINE (*out filled, its allow_arp from *allow_arp), or KIT_PARSE_ERROR with
 * *col_out (from 1) and a message in err. */
enum { KIT_PARSE_ERROR = -1, KIT_PARSE_BLANK = 0, KIT_PARSE_DIRECTIVE = 1, KIT_PARSE_LINE = 2 };
int viv__kit_parse_line(const char *s, size_t n, kit_line *out, int *allow_arp, size_t *col_out,
                        char *err, size_t errcap);

/* Whether frame f matches line l, times aside; on a mismatch, why (if not NULL). */
int viv__kit_match(const struct viv_rec *rec, const kit_frame *f, const kit_line *l, viv__sb *why);
/* Whether time t is in a line's window given the previous match's time; the window's last
 * instant in *last_out (VIV_TIME_NEVER if none). */
int viv__kit_time_ok(const viv_pattern *p, viv_time_t prev, viv_time_t t, viv_time_t *first_out,
                     viv_time_t *last_out);
/* Write a pattern in the canonical spelling. */
void viv__kit_pattern_write(viv__sb *sb, const viv_pattern *p, const kit_epspec *src,
                            const kit_epspec *dst);

/* ---- running ------------------------------------------------------------------------------ */

/* Run as viv_run_until(); the predicate's return decides. */
int viv__kit_run(viv_sim_t *sim, viv_time_t deadline, viv_until_fn pred, void *user);

#endif
