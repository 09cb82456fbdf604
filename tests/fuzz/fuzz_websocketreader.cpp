// libFuzzer target: the reader of client WebSocket frames (built by `make fuzz` with clang).
#include "fuzzentry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    halhub::fuzz::webSocketReader(data, size);
    return 0;
}
