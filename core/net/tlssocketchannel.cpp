#include "net/tlssocketchannel.h"

#include "logging.h"

#include <QSslSocket>
#include <QTimer>
#include <QWebSocket>

#include <sys/socket.h>

namespace halhub {

namespace {

// What QSslSocket holds of decrypted and of encrypted input each: reading
// from the kernel stops there while the channel does not read.
constexpr qint64 kTlsReadBufferBytes = 65536;

} // namespace

TlsSocketChannel *TlsSocketChannel::takeOver(QWebSocket *socket, const Transport &from,
                                             std::shared_ptr<ChannelState> state,
                                             qint64 maxIncomingBytes)
{
    auto *tls = qobject_cast<QSslSocket *>(from.socket);
    if (!tls || tls->state() != QAbstractSocket::ConnectedState)
        return nullptr;
    // QWebSocket reads the socket on readyRead and nowhere else; its other
    // ties to it only follow its state, and it forgets the socket when the
    // socket is destroyed (which is why it stays until then). Nothing the
    // QWebSocket emits goes anywhere any more.
    QObject::disconnect(tls, &QIODevice::readyRead, socket, nullptr);
    socket->disconnect();
    const QByteArray received = from.early + tls->readAll();
    return new TlsSocketChannel(socket, tls, received, std::move(state), maxIncomingBytes);
}

TlsSocketChannel::TlsSocketChannel(QWebSocket *socket, QSslSocket *tls, const QByteArray &received,
                                   std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
    : WebSocketChannel(std::move(state), maxIncomingBytes)
    , m_tls(tls)
    , m_received(received)
{
    // Both move with the channel to its thread as its children.
    socket->setParent(this);
    m_tls->setParent(this);
    m_tls->setReadBufferSize(kTlsReadBufferBytes);
    connect(m_tls, &QIODevice::readyRead, this, &TlsSocketChannel::readAvailable);
    connect(m_tls, &QSslSocket::encryptedBytesWritten, this, &TlsSocketChannel::onWritten);
    connect(m_tls, &QAbstractSocket::disconnected, this, &TlsSocketChannel::onDisconnected);
}

TlsSocketChannel::~TlsSocketChannel()
{
    // Going away without a close handshake (the server is being torn
    // down): say so, if nothing waits before it.
    if (m_open && !closeSent() && allWritten()) {
        m_tls->write(kGoingAwayFrame, sizeof kGoingAwayFrame);
        m_tls->flush();
    }
    m_tls->disconnect(this);
    // The socket goes before the (inert) QWebSocket, which then forgets it.
    delete m_tls;
}

void TlsSocketChannel::start()
{
    if (!m_open)
        return;
    if (!m_received.isEmpty()) {
        const QByteArray received = std::exchange(m_received, QByteArray());
        feed(received.constData(), received.size());
    }
    readAvailable();
}

void TlsSocketChannel::setReadingEnabled(bool enabled)
{
    m_readingEnabled = enabled;
}

void TlsSocketChannel::readAvailable()
{
    if (!m_readingEnabled)
        return;
    char buffer[kReadChunk];
    for (int i = 0; i < kReadsPerWakeUp && m_open && !pauseReadingIfBehind(); ++i) {
        const qint64 n = m_tls->read(buffer, sizeof buffer);
        if (n < 0) {
            drop();
            return;
        }
        if (n > 0)
            feed(buffer, qsizetype(n));
        if (n < qint64(sizeof buffer))
            return;
    }
    // Decrypted bytes are not announced again: come back for the rest
    // after the others served by this thread had their turn.
    if (m_open && m_readingEnabled && m_tls->bytesAvailable() > 0 && !m_readQueued) {
        m_readQueued = true;
        QTimer::singleShot(0, this, [this] {
            m_readQueued = false;
            readAvailable();
        });
    }
}

void TlsSocketChannel::writeBytes(const char *header, qsizetype headerSize, const char *payload,
                                  qsizetype size)
{
    if (!m_open)
        return;
    if (m_tls->write(header, headerSize) != headerSize
            || (size > 0 && m_tls->write(payload, size) != size)) {
        drop();
        return;
    }
    // Encrypted and written now, not once control is back in the event
    // loop after every other connection of the thread had its turn; a
    // batch is flushed once, at its end.
    if (!m_batching)
        flushToKernel();
}

void TlsSocketChannel::writeFrames(const EncodedFrame *const *frames, size_t count)
{
    m_batching = true;
    WebSocketChannel::writeFrames(frames, count);
    m_batching = false;
    if (m_open)
        flushToKernel();
}

void TlsSocketChannel::flushToKernel()
{
    m_tls->flush();
    setSocketBytes(m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite());
}

bool TlsSocketChannel::allWritten() const
{
    return m_tls->bytesToWrite() == 0 && m_tls->encryptedBytesToWrite() == 0;
}

void TlsSocketChannel::onWritten()
{
    if (!m_open)
        return;
    const qint64 unsent = m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite();
    setSocketBytes(unsent);
    if (unsent == 0)
        onAllWritten();
}

void TlsSocketChannel::onDisconnected()
{
    if (!m_open)
        return;
    m_open = false;
    setSocketBytes(0);
    markDisconnected();
}

void TlsSocketChannel::drop(Drop how)
{
    if (!m_open)
        return;
    m_open = false;
    if (how == Drop::Reset) {
        const linger reset = {1, 0};
        ::setsockopt(int(m_tls->socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        m_tls->abort();
    } else {
        // TLS's close_notify, then the end of the stream.
        m_tls->disconnectFromHost();
    }
    setSocketBytes(0);
    markDisconnected();
}

} // namespace halhub
