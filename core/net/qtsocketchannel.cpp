#include "net/qtsocketchannel.h"

#include "net/closecodes.h"
#include "net/websocketframe.h"

#include <QAbstractSocket>
#include <QTimer>
#include <QWebSocket>

namespace halhub {

QtSocketChannel::QtSocketChannel(QWebSocket *socket, QAbstractSocket *transport,
                                 std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
    : SocketChannel(std::move(state))
    , m_socket(socket)
    , m_transport(transport)
{
    // Both move with the channel to its thread: they must be its children.
    // (QWebSocket deletes its transport itself; a deleted child leaves the
    // list, so either order of destruction is fine.)
    m_socket->setParent(this);
    if (m_transport) {
        m_transport->setParent(this);
        m_transport->setReadBufferSize(0);
    }
    m_socket->setMaxAllowedIncomingMessageSize(quint64(maxIncomingBytes));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(maxIncomingBytes));

    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        onMessage(text.toUtf8(), false);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this,
            [this](const QByteArray &data) { onMessage(data, true); });
    connect(m_socket, &QWebSocket::pong, this, [this] { markFrameFromPeer(); });
    connect(m_socket, &QWebSocket::bytesWritten, this, [this] { updateSocketBytes(); });
    connect(m_socket, &QWebSocket::disconnected, this, [this] { markDisconnected(); });
}

void QtSocketChannel::onMessage(const QByteArray &data, bool binary)
{
    markFrameFromPeer();
    if (m_closing)
        return;
    // QWebSocket cannot be told to stop reading: a client that keeps far
    // ahead of what the server handles is closed instead of buffered.
    if (m_state->inboundBytes.load() > kFloodLimitBytes) {
        close(closecode::kRateAbuse, QStringLiteral("too many messages waiting"));
        return;
    }
    m_state->inboundBytes += ChannelState::inboundCost(data.size());
    deliver(data, binary);
}

void QtSocketChannel::writeFrame(const EncodedFrame &frame)
{
    m_state->queuedBytes -= frame.bytes.size();
    if (m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_transport) {
        // Whole frames only, in order, on the socket QWebSocket writes its
        // pings and close frame to, so frames never interleave; and no
        // conversion of JSON to QString and back, as sendTextMessage needs.
        const websocketframe::Header header = websocketframe::header(
            frame.binary ? websocketframe::Opcode::Binary : websocketframe::Opcode::Text,
            quint64(frame.bytes.size()));
        m_transport->write(header.bytes, header.size);
        m_transport->write(frame.bytes);
    } else if (frame.binary) {
        m_socket->sendBinaryMessage(frame.bytes);
    } else {
        m_socket->sendTextMessage(QString::fromUtf8(frame.bytes));
    }
    updateSocketBytes();
}

void QtSocketChannel::ping()
{
    if (!m_closing && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->ping();
}

void QtSocketChannel::close(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
    QTimer::singleShot(kCloseHandshakeMs, this, [this] {
        if (m_socket->state() != QAbstractSocket::UnconnectedState)
            m_socket->abort();
        markDisconnected();
    });
}

void QtSocketChannel::updateSocketBytes()
{
    setSocketBytes(m_socket->bytesToWrite());
}

} // namespace halhub
