/* libFuzzer entry point of the API-sequence fuzzer (api_seq.c): `cmake -DVIV_FUZZ=ON` with
 * clang builds fuzz_vivarium_api; run it as
 *   fuzz_vivarium_api -max_total_time=600 tests/fuzz/corpus/api
 * A broken invariant aborts at the point of detection, with its message on stderr; UBSan
 * reports abort too. VIV_APIFUZZ_VERBOSE=1 (or 2) prints the ops (and calls) of each input,
 * for reading a reproducer: fuzz_vivarium_api crash-file. */
#include <stdlib.h>

#include "api_seq.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* The library is built with recoverable UBSan checks: make every report a crash that
 * libFuzzer records. */
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    viv_apifuzz_abort_on_failure = 1;
    const char *v = getenv("VIV_APIFUZZ_VERBOSE");
    viv_apifuzz_verbose = v ? atoi(v) : 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[600];
    viv_apifuzz_check(data, size, msg, sizeof msg, NULL);
    return 0;
}
