#include "net/rawsocketchannel.h"

#include "logging.h"
#include "net/websocketframe.h"

#include <QAbstractSocket>
#include <QSocketNotifier>
#include <QWebSocket>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace halhub {

// A socket notifier that calls its channel back itself: a signal
// connection per notifier would cost more than the notifier.
class RawSocketChannel::Notifier final : public QSocketNotifier
{
public:
    Notifier(int fd, Type type, RawSocketChannel *channel)
        : QSocketNotifier(fd, type, channel)
        , m_channel(channel)
    {
    }

protected:
    bool event(QEvent *event) override
    {
        if (event->type() != QEvent::SockAct && event->type() != QEvent::SockClose)
            return QSocketNotifier::event(event);
        if (type() == Read)
            m_channel->readAvailable();
        else
            m_channel->onWritable();
        return true;
    }

private:
    RawSocketChannel *const m_channel;
};

RawSocketChannel *RawSocketChannel::takeOver(QWebSocket *socket, const Transport &from,
                                             std::shared_ptr<ChannelState> state,
                                             qint64 maxIncomingBytes)
{
    QAbstractSocket *transport = from.socket;
    // The upgrade's answer must be on its way before Qt's socket goes: what
    // is left in its buffer would be lost.
    transport->flush();
    if (transport->bytesToWrite() > 0 || transport->state() != QAbstractSocket::ConnectedState)
        return nullptr;
    const int fd = ::fcntl(int(transport->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        qCWarning(lcNet) << "cannot duplicate a socket descriptor:" << qt_error_string(errno);
        return nullptr;
    }
    // Frames the client sent right after its request: set aside by the
    // listener, and anything Qt read since.
    const QByteArray received = from.early + transport->readAll();
    // Closing Qt's descriptor does not end the connection: ours stays. The
    // socket is unconnected then, so QWebSocket says nothing as it goes.
    socket->disconnect();
    transport->abort();
    delete socket;
    return new RawSocketChannel(fd, received, std::move(state), maxIncomingBytes);
}

RawSocketChannel::RawSocketChannel(int fd, const QByteArray &received,
                                   std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
    : WebSocketChannel(std::move(state), maxIncomingBytes)
    , m_fd(fd)
    , m_received(received)
{
}

RawSocketChannel::~RawSocketChannel()
{
    if (m_fd < 0)
        return;
    // Going away without a close handshake (the server is being torn
    // down): say so, if the kernel takes it at once.
    if (!closeSent() && allWritten()) {
        [[maybe_unused]] const ssize_t ignored =
            ::send(m_fd, kGoingAwayFrame, sizeof kGoingAwayFrame, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    // The notifiers go before the descriptor they watch.
    delete m_readNotifier;
    delete m_writeNotifier;
    ::close(m_fd);
}

void RawSocketChannel::start()
{
    if (m_fd < 0)
        return;
    m_readNotifier = new Notifier(m_fd, QSocketNotifier::Read, this);
    if (!m_received.isEmpty()) {
        const QByteArray received = std::exchange(m_received, QByteArray());
        feed(received.constData(), received.size());
    }
}

void RawSocketChannel::setReadingEnabled(bool enabled)
{
    if (m_readNotifier)
        m_readNotifier->setEnabled(enabled);
}

void RawSocketChannel::readAvailable()
{
    char buffer[kReadChunk];
    for (int i = 0; i < kReadsPerWakeUp && m_fd >= 0 && !pauseReadingIfBehind(); ++i) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            feed(buffer, qsizetype(n));
            if (n < ssize_t(sizeof buffer))
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        // The peer closed its side, or the connection broke.
        drop();
        return;
    }
}

void RawSocketChannel::writeFrames(const EncodedFrame *const *frames, size_t count)
{
    // Two parts a frame (header, payload), up to this many frames a call:
    // more than a backlog usually holds, few enough that the headers on
    // the stack cost little to set up.
    constexpr size_t kFramesPerCall = 64;
    static_assert(2 * kFramesPerCall <= IOV_MAX);
    websocketframe::Header headers[kFramesPerCall];
    iovec parts[2 * kFramesPerCall];
    for (size_t done = 0; done < count;) {
        const size_t n = qMin(count - done, kFramesPerCall);
        int used = 0;
        for (size_t i = 0; i < n; ++i) {
            const EncodedFrame &frame = *frames[done + i];
            if (!takeFrame(frame, &headers[i]))
                continue;
            parts[used++] = {headers[i].bytes, size_t(headers[i].size)};
            if (!frame.bytes.isEmpty())
                parts[used++] = {const_cast<char *>(frame.bytes.constData()), size_t(frame.bytes.size())};
        }
        done += n;
        if (used > 0)
            write(parts, used);
    }
}

void RawSocketChannel::writeBytes(const char *header, qsizetype headerSize,
                                  const char *payload, qsizetype size)
{
    iovec parts[2] = {{const_cast<char *>(header), size_t(headerSize)},
                      {const_cast<char *>(payload), size_t(size)}};
    write(parts, size > 0 ? 2 : 1);
}

void RawSocketChannel::write(iovec *parts, int count)
{
    if (m_fd < 0)
        return;
    size_t done = 0;
    if (m_unsent.size() == m_unsentAt) {
        msghdr message = {};
        message.msg_iov = parts;
        message.msg_iovlen = size_t(count);
        ssize_t sent = 0;
        do {
            sent = ::sendmsg(m_fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            drop();
            return;
        }
        done = size_t(qMax<ssize_t>(0, sent));
        m_unsent.clear();
        m_unsentAt = 0;
    }
    // What the kernel did not take waits, in order, for the socket to be
    // writable again.
    bool waiting = false;
    for (int i = 0; i < count; ++i) {
        const size_t length = parts[i].iov_len;
        if (done >= length) {
            done -= length;
            continue;
        }
        m_unsent.append(static_cast<const char *>(parts[i].iov_base) + done, qsizetype(length - done));
        done = 0;
        waiting = true;
    }
    if (!waiting)
        return;
    if (!m_writeNotifier)
        m_writeNotifier = new Notifier(m_fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(true);
    setSocketBytes(m_unsent.size() - m_unsentAt);
}

void RawSocketChannel::onWritable()
{
    while (m_fd >= 0 && m_unsentAt < m_unsent.size()) {
        const ssize_t sent = ::send(m_fd, m_unsent.constData() + m_unsentAt,
                                    size_t(m_unsent.size() - m_unsentAt), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (sent < 0) {
            drop();
            return;
        }
        m_unsentAt += sent;
    }
    if (m_fd < 0)
        return;
    if (m_unsentAt == m_unsent.size()) {
        // Nothing waits: give the memory back (a slow consumer's backlog
        // can have been megabytes).
        m_unsent = QByteArray();
        m_unsentAt = 0;
        m_writeNotifier->setEnabled(false);
        setSocketBytes(0);
        onAllWritten();
        return;
    }
    if (m_unsentAt > m_unsent.size() / 2) {
        m_unsent.remove(0, m_unsentAt);
        m_unsentAt = 0;
    }
    setSocketBytes(m_unsent.size() - m_unsentAt);
}

void RawSocketChannel::drop(Drop how)
{
    if (m_fd < 0)
        return;
    if (how == Drop::Reset) {
        const linger reset = {1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    // Possibly called from a notifier's own signal: the notifiers go later.
    for (QSocketNotifier *notifier : {static_cast<QSocketNotifier *>(m_readNotifier),
                                      static_cast<QSocketNotifier *>(m_writeNotifier)}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_readNotifier = nullptr;
    m_writeNotifier = nullptr;
    ::close(m_fd);
    m_fd = -1;
    m_unsent = QByteArray();
    m_unsentAt = 0;
    setSocketBytes(0);
    markDisconnected();
}

} // namespace halhub
