// libFuzzer target: the request validator (built by `make fuzz` with clang).
#include "fuzzentry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    halhub::fuzz::requestValidator(data, size);
    return 0;
}
