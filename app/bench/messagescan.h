#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace halhub::bench {

// The few top-level fields the load generator needs from a server message.
// Reading them must cost far less than the server spends writing them, or
// the bench would measure itself: the scanners below walk the top-level map
// once, decode only these fields and skip every other value unparsed. They
// trust the server to send well-formed messages and stop at the first
// surprise (returning false).
struct MessageFields
{
    std::string_view type;      // points into the scanned buffer
    std::string_view stream;
    std::string_view code;      // `code` of an error
    uint64_t seq = 0;
    int64_t ts = 0;
    bool hasSeq = false;
    bool hasTs = false;
};

// A JSON object (text frame, or the inflated 0x02 form).
bool scanJson(const char *data, size_t size, MessageFields *out);
// A MessagePack map (the 0x00 form without its header byte, or inflated 0x01).
bool scanMsgPack(const char *data, size_t size, MessageFields *out);

} // namespace halhub::bench
