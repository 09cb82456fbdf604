#pragma once

#include <QtGlobal>

#include <chrono>

namespace halhub {

// Wall-clock time in microseconds since the Unix epoch, UTC: the unit of
// every `ts`, `sent` and `server_time` on the wire.
inline qint64 wallClockUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace halhub
