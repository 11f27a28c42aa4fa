/* Fuzz targets shared by the libFuzzer driver (fuzz_libfuzzer.c, built with -DVIV_FUZZ=ON and
 * clang) and the deterministic mutation test that runs in the suite (test_fuzz.c).
 *
 * viv_fuzz_wire feeds bytes to every parser (with the checksums both left alone and fixed up,
 * so that the option walks and length checks behind the checksum are reached too), and checks
 * that whatever parses re-emits to something that parses to the same fields.
 * viv_fuzz_stack injects the bytes as frames, from a program's device, into a router and a
 * host with UDP sockets, and runs the simulation: nothing may crash, leak or loop. */
#ifndef VIV_FUZZ_TARGETS_H
#define VIV_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

void viv_fuzz_wire(const uint8_t *data, size_t size);
void viv_fuzz_stack(const uint8_t *data, size_t size);

/* Set by the targets when an invariant breaks (the test asserts it stays 0). */
extern int viv_fuzz_failures;

/* How deep the stack target's frames went, summed over runs (to check the fuzzing reaches
 * past the first checks). */
typedef struct viv_fuzz_depth {
    uint64_t arp_rx, ip_rx, ip_delivered, ip_forwarded, icmp_rx, icmp_errors_tx, udp_rx,
        udp_to_socket, dropped_malformed, tcp_or_other;
} viv_fuzz_depth;
extern viv_fuzz_depth viv_fuzz_reached;

#endif
