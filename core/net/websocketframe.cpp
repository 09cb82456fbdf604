#include "net/websocketframe.h"

namespace halhub::websocketframe {

namespace {
constexpr quint8 kLength16 = 126;
constexpr quint8 kLength64 = 127;
} // namespace

Header header(Opcode opcode, quint64 payloadBytes)
{
    Header h;
    h.bytes[0] = char(kFin | quint8(opcode));
    if (payloadBytes < kLength16) {
        h.bytes[1] = char(payloadBytes);
        h.size = 2;
        return h;
    }
    // Network byte order; the shortest form that holds the length.
    const int lengthBytes = payloadBytes <= 0xffff ? 2 : 8;
    h.bytes[1] = char(lengthBytes == 2 ? kLength16 : kLength64);
    for (int i = 0; i < lengthBytes; ++i)
        h.bytes[2 + i] = char(payloadBytes >> (8 * (lengthBytes - 1 - i)));
    h.size = 2 + lengthBytes;
    return h;
}

} // namespace halhub::websocketframe
