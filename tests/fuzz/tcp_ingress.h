/* Hostile ingress into TCP (issue 19): two fuzz targets shared by the libFuzzer driver
 * (fuzz_tcp_libfuzzer.c, built with -DVIV_FUZZ=ON and clang) and the bounded run in the
 * suite (test_tcp_fuzz.c). Both are written against the public API and the frame builders
 * of wire.h only, so that they keep working while TCP's internals change.
 *
 * viv_fuzz_tcp_states: a host S with TCP sockets in every state at once (LISTEN, SYN-SENT, a
 * half-open SYN-RECEIVED, ESTABLISHED with data in flight both ways, unread data and a hole,
 * FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT), reached by real
 * exchanges with a peer host P and frozen by an intercept on P's link. The input is a
 * sequence of frames that a hostile device on the same switch sends to S, each optionally
 * re-addressed to one of S's connections with sequence and acknowledgment numbers near that
 * connection's window edges, interleaved with simulated time.
 *
 * viv_fuzz_tcp_conn: one established connection (S server, P client, data both ways); the
 * input is a sequence of segments for that connection, every field drawn near the window
 * edges (sequence, acknowledgment, window, flags, payload length, option bytes).
 *
 * Both fail (viv_fuzz_tcp_failures, and abort() when viv_fuzz_tcp_abort is set) when:
 *   - a connection changes state along an edge outside RFC 9293's diagram (figure 5, the
 *     transitions its section 3.10 describes, and resets, aborts and timeouts to CLOSED),
 *     or a change does not start from the state the connection was in;
 *   - a socket reads a byte that its peer did not send at that sequence number: every byte
 *     read must be the peer's known pattern at that offset, or a byte the hostile device
 *     put at that very sequence number of that 4-tuple (a blind in-window injection is
 *     accepted by any correct TCP, so it is allowed; an invented, shifted or repeated byte
 *     is not);
 *   - memory grows with the number of frames: the input's frames are sent four times over
 *     (the same hostile shape), and the bytes live after the fourth pass may exceed those
 *     after the second by at most VIV_FUZZ_TCP_SLACK (a growth of g bytes a pass shows as
 *     2g), and those after the first by at most VIV_FUZZ_TCP_SLACK_ONCE (room for a
 *     receive buffer or two taken once, by a connection the device completed);
 *   - anything is left allocated after viv_sim_free, or a call returns what its
 *     documentation does not allow. */
#ifndef VIV_TCP_INGRESS_H
#define VIV_TCP_INGRESS_H

#include <stddef.h>
#include <stdint.h>

void viv_fuzz_tcp_states(const uint8_t *data, size_t size);
void viv_fuzz_tcp_conn(const uint8_t *data, size_t size);

/* Broken invariants so far (the suite asserts it stays 0). */
extern int viv_fuzz_tcp_failures;
/* Nonzero: a broken invariant prints its message and aborts (libFuzzer). */
extern int viv_fuzz_tcp_abort;
/* Nonzero: print what each input does (to read a reproducer). */
extern int viv_fuzz_tcp_verbose;

/* The growth allowed between the second and the fourth pass, and between the first and the
 * fourth, in bytes. */
#define VIV_FUZZ_TCP_SLACK (16u * 1024u)
#define VIV_FUZZ_TCP_SLACK_ONCE (256u * 1024u)

/* How deep the inputs went, summed over runs (the suite checks that each is reached). */
typedef struct viv_fuzz_tcp_depth {
    uint64_t runs;            /* inputs run */
    uint64_t frames;          /* frames the hostile device sent */
    uint64_t rx_segments;     /* segments S's TCP took in during the hostile phase */
    uint64_t to_connection;   /* of which a connection took (not a listener, not none) */
    uint64_t in_window;       /* segments to a synchronized connection that starts in
                                 its window (RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND) */
    uint64_t unacceptable;    /* answered as outside the window */
    uint64_t challenge_acks;  /* RFC 5961 challenge ACKs */
    uint64_t rst_accepted;    /* connections a reset S took in moved to CLOSED */
    uint64_t ooo;             /* segments kept out of order */
    uint64_t no_socket;       /* for no socket */
    uint64_t bad;             /* dropped: checksum, malformed */
    uint64_t injected_read;   /* bytes read that the hostile device injected */
    uint64_t state_changes;   /* state changes during the hostile phase */
    uint64_t edges[11][11];   /* [old][new] state changes during the hostile phase */
    uint64_t passive_opens;   /* connections the listener made from hostile SYNs */
    uint64_t icmp_rx;         /* ICMP messages S took in (errors about its connections) */
    uint64_t growth_max;      /* the largest growth between pass 2 and pass 4, bytes */
    uint64_t growth_once_max; /* the largest growth between pass 1 and pass 4, bytes */
} viv_fuzz_tcp_depth;
extern viv_fuzz_tcp_depth viv_fuzz_tcp_reached;

#endif
