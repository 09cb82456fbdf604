#pragma once

#include <QtGlobal>

namespace halhub::websocketframe {

// The header of one unmasked, final WebSocket data frame (RFC 6455 5.2),
// as a server sends it: FIN + opcode, then the payload length in 7, 7+16
// or 7+64 bits. halhub writes its messages' frames itself so that encoded
// bytes go to the socket as they are: QWebSocket 6.4 takes text only as a
// QString, which would convert every JSON message to UTF-16 and back.
struct Header
{
    char bytes[10] = {};
    int size = 0;
};

// RFC 6455 5.2.
constexpr quint8 kFin = 0x80;
enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

Header header(Opcode opcode, quint64 payloadBytes);

} // namespace halhub::websocketframe
