/* The API-sequence fuzzer: input bytes are read as a sequence of public API calls with their
 * arguments (see api_seq.c for the format), run against a fresh simulation, and checked.
 *
 * viv_apifuzz_check() runs one input twice, each time in a fresh simulation with a counting
 * allocator, and reports the first broken invariant:
 *   - a call returned a negative code that is not one of the VIV_E* codes;
 *   - the clock went backwards (viv_sim_now is checked after every call and in every
 *     callback), or the event count did;
 *   - an event ran at another time than it was scheduled for, twice, or after it was
 *     cancelled; a callback came for an object already freed, or with wrong arguments;
 *   - a text printer left its buffer without the terminating NUL snprintf would write;
 *   - a documented rule broke (a call's documented error for its arguments, an ARP cache
 *     past its limit, viv_sim_next_time against viv_sim_step, a frame builder's bytes, the
 *     expectation parser refusing a line the kit itself wrote...);
 *   - the library freed a block with a size other than the one it allocated;
 *   - bytes were still allocated after viv_sim_free;
 *   - the two runs differ: fingerprint, event count, or what the program observed (every
 *     return code, every callback's arguments, every byte received). The second run has a
 *     trace subscription from the start, and its TCP callbacks read in place (viv_tcp_peek's
 *     runs, then viv_tcp_consume of what viv_tcp_recv would copy) where the first run's
 *     copy: neither may change anything (tcp.h: the same amounts give the same run).
 * Sanitizer errors are the build's business (ASan/UBSan/Valgrind abort on their own).
 *
 * Everything is bounded so that one input runs in milliseconds: objects (small tables of
 * handles), events (a budget per run, enforced with viv_sim_stop from callbacks, and from
 * tick events of the interpreter's own while a storm or TCP could go on unheard: see Bounds
 * in api_seq.c), the ops run by callbacks, and the inputs of options (ping counts, ARP
 * attempts...) that would otherwise make the library schedule events without end. */
#ifndef VIV_API_SEQ_H
#define VIV_API_SEQ_H

#include <stddef.h>
#include <stdint.h>

/* Events one run may dispatch before every driver call is stopped. */
#define VIV_APIFUZZ_EVENT_BUDGET 8000u

typedef struct viv_apifuzz_stats {
    uint64_t fingerprint;  /* of the first run, at its end (0 if the program freed it) */
    uint64_t events;       /* events the first run dispatched */
    uint64_t ops;          /* ops interpreted (top level and in callbacks) */
    uint64_t calls;        /* API calls made */
    uint64_t callbacks;    /* callbacks received */
    uint64_t failed_calls; /* calls that returned a VIV_E* code */
    size_t peak_bytes;     /* most bytes the simulation had allocated at once */
    int budget_hit;        /* the event budget stopped the run */
} viv_apifuzz_stats;

/* Run data twice and check every invariant. Returns 0 if all held; otherwise -1, with a
 * one-line description in msg (msg_cap bytes, NUL-terminated). stats may be NULL. */
int viv_apifuzz_check(const uint8_t *data, size_t size, char *msg, size_t msg_cap,
                      viv_apifuzz_stats *stats);

/* When nonzero, the first broken invariant prints its message and calls abort() at the
 * point of detection (libFuzzer wants a crash, with the stack of the check). */
extern int viv_apifuzz_abort_on_failure;

/* When nonzero, every op interpreted is printed to stderr (for reading a reproducer). */
extern int viv_apifuzz_verbose;

#endif
