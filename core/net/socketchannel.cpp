#include "net/socketchannel.h"

#include "logging.h"
#include "net/qtsocketchannel.h"
#include "net/rawsocketchannel.h"

#include <QAbstractSocket>
#include <QSslSocket>
#include <QWebSocket>

#include <chrono>

namespace halhub {

qint64 ChannelState::nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

SocketChannel *SocketChannel::create(QWebSocket *socket, const Transport &transport,
                                     std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
{
    if (transport.socket && !qobject_cast<QSslSocket *>(transport.socket)) {
        if (SocketChannel *raw = RawSocketChannel::takeOver(socket, transport, state, maxIncomingBytes))
            return raw;
    }
    return new QtSocketChannel(socket, transport.socket, std::move(state), maxIncomingBytes);
}

SocketChannel::SocketChannel(std::shared_ptr<ChannelState> state)
    : m_state(std::move(state))
{
}

SocketChannel::~SocketChannel() = default;

void SocketChannel::writeFrames(const EncodedFrame *const *frames, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        writeFrame(*frames[i]);
}

void SocketChannel::setSocketBytes(qint64 bytes)
{
    m_state->socketBytes = bytes;
    // Both sides store, then read the other's flag or figure (sequentially
    // consistent): the connection sets `held` and re-reads the unsent
    // bytes, this side lowers them and re-reads `held`, so a drain is never
    // missed; at worst `changed` comes once too often, which is harmless.
    if (m_state->held.load() && m_state->unsentBytes() <= m_state->highWaterBytes) {
        m_state->held = false;
        Q_EMIT changed();
    }
}

void SocketChannel::markDisconnected()
{
    if (m_state->disconnected.exchange(true))
        return;
    Q_EMIT changed();
}

void SocketChannel::markFrameFromPeer()
{
    m_state->lastFrameMs = ChannelState::nowMs();
}

} // namespace halhub
