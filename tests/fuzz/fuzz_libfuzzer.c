/* libFuzzer entry point: `cmake -DVIV_FUZZ=ON` with clang builds fuzz_vivarium; run it as
 * `fuzz_vivarium -max_total_time=600 corpus/`. The first byte picks the target. */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        viv_fuzz_stack(data + 1, size - 1);
    else
        viv_fuzz_wire(data + 1, size - 1);
    return 0;
}
