#include "net/socketchannel.h"

#include "net/websocketframe.h"

#include <QAbstractSocket>
#include <QSslSocket>
#include <QTimer>
#include <QWebSocket>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>

namespace halhub {

namespace {
constexpr int kCloseHandshakeMs = 1000;
}

qint64 ChannelState::nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

SocketChannel::SocketChannel(QWebSocket *socket, QAbstractSocket *transport,
                             std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
    : m_socket(socket)
    , m_transport(transport)
    , m_state(std::move(state))
{
    // Both move with the channel to its thread: they must be its children.
    // (QWebSocket deletes its transport itself; a deleted child leaves the
    // list, so either order of destruction is fine.)
    m_socket->setParent(this);
    if (m_transport) {
        m_transport->setParent(this);
        if (!qobject_cast<QSslSocket *>(m_transport))
            m_directFd = m_transport->socketDescriptor();
    }
    m_socket->setMaxAllowedIncomingMessageSize(quint64(maxIncomingBytes));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(maxIncomingBytes));

    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        m_state->lastFrameMs = ChannelState::nowMs();
        Q_EMIT received(text.toUtf8(), false);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
        m_state->lastFrameMs = ChannelState::nowMs();
        Q_EMIT received(data, true);
    });
    connect(m_socket, &QWebSocket::pong, this,
            [this] { m_state->lastFrameMs = ChannelState::nowMs(); });
    connect(m_socket, &QWebSocket::bytesWritten, this, &SocketChannel::onBytesWritten);
    connect(m_socket, &QWebSocket::disconnected, this, &SocketChannel::markDisconnected);
}

SocketChannel::~SocketChannel() = default;

void SocketChannel::writeFrame(const EncodedFrame &frame)
{
    m_state->queuedBytes -= frame.bytes.size();
    if (m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_transport) {
        const websocketframe::Header header = websocketframe::header(
            frame.binary ? websocketframe::Opcode::Binary : websocketframe::Opcode::Text,
            quint64(frame.bytes.size()));
        writeToTransport(header.bytes, header.size, frame.bytes);
    } else if (frame.binary) {
        m_socket->sendBinaryMessage(frame.bytes);
    } else {
        m_socket->sendTextMessage(QString::fromUtf8(frame.bytes));
    }
    updateSocketBytes();
}

void SocketChannel::writeToTransport(const char *header, qsizetype headerSize,
                                     const QByteArray &payload)
{
    // Whole frames only, in order, on the socket QWebSocket writes its
    // pings and close frame to, so frames never interleave. When nothing
    // waits in Qt's buffer, everything before this frame is in the kernel
    // already and the frame may go there at once: one system call instead
    // of a buffer copy, a socket notifier switched on and off and a turn
    // of this thread's event loop (which polls every socket it has). What
    // the kernel does not take waits in Qt's buffer, and an error is left
    // for Qt's own write to find and report.
    qsizetype done = 0;
    if (m_directFd >= 0 && m_transport->bytesToWrite() == 0) {
        iovec parts[2];
        parts[0].iov_base = const_cast<char *>(header);
        parts[0].iov_len = size_t(headerSize);
        parts[1].iov_base = const_cast<char *>(payload.constData());
        parts[1].iov_len = size_t(payload.size());
        msghdr message = {};
        message.msg_iov = parts;
        message.msg_iovlen = 2;
        ssize_t sent = 0;
        do {
            sent = ::sendmsg(int(m_directFd), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (sent < 0 && errno == EINTR);
        if (sent > 0)
            done = qsizetype(sent);
    }
    if (done < headerSize) {
        m_transport->write(header + done, headerSize - done);
        done = headerSize;
    }
    const qsizetype payloadDone = done - headerSize;
    if (payloadDone < payload.size())
        m_transport->write(payload.constData() + payloadDone, payload.size() - payloadDone);
}

void SocketChannel::ping()
{
    if (!m_closing && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->ping();
}

void SocketChannel::close(int code, const QString &reason)
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

void SocketChannel::updateSocketBytes()
{
    m_state->socketBytes = m_socket->bytesToWrite();
}

void SocketChannel::onBytesWritten()
{
    updateSocketBytes();
    // Both sides store, then read the other's flag or figure (sequentially
    // consistent): the connection sets `held` and re-reads the unsent
    // bytes, this side lowers them and re-reads `held`, so a drain is never
    // missed; at worst `drained` comes once too often, which is harmless.
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

} // namespace halhub
