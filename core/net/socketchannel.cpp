#include "net/socketchannel.h"

#include "logging.h"
#include "net/qtsocketchannel.h"
#include "net/rawsocketchannel.h"
#include "net/tlssocketchannel.h"

#include <QAbstractSocket>
#include <QCoreApplication>
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
    if (transport.socket && qobject_cast<QSslSocket *>(transport.socket)) {
        if (SocketChannel *tls = TlsSocketChannel::takeOver(socket, transport, state, maxIncomingBytes))
            return tls;
    } else if (transport.socket) {
        if (SocketChannel *raw = RawSocketChannel::takeOver(socket, transport, state, maxIncomingBytes))
            return raw;
    }
    // Neither could take the connection over (no transport known, or one
    // no longer connected): QWebSocket serves it.
    return new QtSocketChannel(socket, transport.socket, std::move(state), maxIncomingBytes);
}

SocketChannel::SocketChannel(std::shared_ptr<ChannelState> state)
    : m_state(std::move(state))
{
}

SocketChannel::~SocketChannel() = default;

QEvent::Type ChannelEvent::eventType()
{
    static const QEvent::Type type = QEvent::Type(QEvent::registerEventType());
    return type;
}

void SocketChannel::deliver(const QByteArray &data, bool binary)
{
    QMutexLocker lock(&m_state->receiverLock);
    if (m_state->receiver) {
        QCoreApplication::postEvent(m_state->receiver,
                                    new ChannelEvent(ChannelEvent::Kind::Received, data, binary));
    }
}

void SocketChannel::notifyChanged()
{
    if (m_state->changePosted.exchange(true))
        return;
    QMutexLocker lock(&m_state->receiverLock);
    if (m_state->receiver)
        QCoreApplication::postEvent(m_state->receiver, new ChannelEvent(ChannelEvent::Kind::Changed));
}

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
        notifyChanged();
    }
}

void SocketChannel::markDisconnected()
{
    if (m_state->disconnected.exchange(true))
        return;
    notifyChanged();
}

void SocketChannel::markFrameFromPeer()
{
    m_state->lastFrameMs = ChannelState::nowMs();
}

} // namespace halhub
