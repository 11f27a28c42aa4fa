/* libFuzzer entry point of the TCP hostile-ingress targets (tcp_ingress.c): `cmake
 * -DVIV_FUZZ=ON` with clang builds fuzz_vivarium_tcp; run it as
 *   fuzz_vivarium_tcp -max_total_time=600 -jobs=1 -workers=1 corpus/
 * with corpus/ a copy of tests/fuzz/corpus/tcp (see docs/reliability.md). The first byte picks
 * the target: odd viv_fuzz_tcp_conn, even viv_fuzz_tcp_states. A broken invariant aborts
 * with its message; VIV_TCPFUZZ_VERBOSE=1 prints each frame of a reproducer. */
#include <stdlib.h>

#include "tcp_ingress.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    viv_fuzz_tcp_abort = 1;
    const char *v = getenv("VIV_TCPFUZZ_VERBOSE");
    viv_fuzz_tcp_verbose = v ? atoi(v) : 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        viv_fuzz_tcp_conn(data + 1, size - 1);
    else
        viv_fuzz_tcp_states(data + 1, size - 1);
    return 0;
}
