#include "net/clientconnection.h"

#include "logging.h"
#include "protocol/envelope.h"

#include "net/websocketframe.h"

#include <QDateTime>
#include <QAbstractSocket>
#include <QWebSocket>

#include <limits>

namespace halhub {

namespace {

QVariantMap errorMessage(const QString &code, const QString &message, const QVariant &id,
                         qint64 retryAfterMs)
{
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("error"));
    if (id.isValid())
        m.insert(QStringLiteral("id"), id);
    m.insert(QStringLiteral("code"), code);
    m.insert(QStringLiteral("message"), message);
    if (retryAfterMs >= 0)
        m.insert(QStringLiteral("retry_after_ms"), qlonglong(retryAfterMs));
    return m;
}

} // namespace

ClientConnection::ClientConnection(QWebSocket *socket, QAbstractSocket *transport,
                                   const ConnectionLimits &limits, quint64 id, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_tcp(transport)
    , m_limits(limits)
    , m_id(id)
    , m_bucket(limits.rateLimitPerMin)
    , m_abuse(limits.rateLimitPerMin)
{
    m_socket->setParent(this);
    m_peer = m_socket->peerAddress();
    m_peerPort = m_socket->peerPort();
    m_connectedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_clock.start();
    m_lastFrameMs = 0;

    // Messages beyond 16 x the limit close the connection with 1009 inside
    // QWebSocket before they are buffered whole.
    m_socket->setMaxAllowedIncomingMessageSize(quint64(m_limits.maxMessageBytes) * 16);
    m_socket->setMaxAllowedIncomingFrameSize(quint64(m_limits.maxMessageBytes) * 16);

    connect(m_socket, &QWebSocket::textMessageReceived, this, &ClientConnection::onText);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &ClientConnection::onBinary);
    connect(m_socket, &QWebSocket::pong, this, [this] { m_lastFrameMs = m_clock.elapsed(); });
    connect(m_socket, &QWebSocket::bytesWritten, this, &ClientConnection::onBytesWritten);
    connect(m_socket, &QWebSocket::disconnected, this, &ClientConnection::onDisconnected);

    m_ticksPerPing = ticksPerHeartbeat(m_limits.heartbeatMs);

    if (!m_tcp)
        qCWarning(lcNet) << "connection" << m_id << "has no transport socket; frames go through QWebSocket";
}

ClientConnection::~ClientConnection() = default;

bool ClientConnection::isOpen() const
{
    return !m_closing && m_socket->state() == QAbstractSocket::ConnectedState;
}

void ClientConnection::setEncoding(Encoding encoding, bool compression)
{
    m_encoding = encoding;
    m_compression = compression;
}

void ClientConnection::setSharedBuckets(TokenBucket *ipBucket, TokenBucket *userBucket)
{
    m_ipBucket = ipBucket;
    m_userBucket = userBucket;
}

void ClientConnection::sendMessage(const QVariantMap &message)
{
    if (!isOpen())
        return;
    write(framecodec::encode(message, m_encoding, m_compression));
}

void ClientConnection::sendEncoded(const EncodedFrame &frame)
{
    if (!isOpen())
        return;
    write(frame);
}

void ClientConnection::write(const EncodedFrame &frame)
{
    if (m_tcp) {
        const websocketframe::Header header = websocketframe::header(
            frame.binary ? websocketframe::Opcode::Binary : websocketframe::Opcode::Text,
            quint64(frame.bytes.size()));
        writeFrame(header.bytes, header.size, frame.bytes);
    } else if (frame.binary) {
        m_socket->sendBinaryMessage(frame.bytes);
    } else {
        m_socket->sendTextMessage(QString::fromUtf8(frame.bytes));
    }
    ++m_messagesOut;
    checkBackpressure();
}

void ClientConnection::writeFrame(const char *header, qsizetype headerSize,
                                  const QByteArray &payload)
{
    // Whole frames only, in order, on the socket QWebSocket writes its
    // pings and close frame to, so frames never interleave. They wait in
    // the socket's buffer until the event loop flushes it: a sample fanned
    // out to a thousand sockets then ends in a burst of writes the peers
    // read in batches. (Writing each frame to the kernel at once was tried:
    // it wakes a reader per message and made that case slower.)
    m_tcp->write(header, headerSize);
    m_tcp->write(payload);
}

bool ClientConnection::canSendTelemetry() const
{
    const bool ok = isOpen() && m_socket->bytesToWrite() <= m_limits.sendHighWaterBytes;
    if (!ok)
        m_telemetryHeld = true;
    return ok;
}

qint64 ClientConnection::unsentBytes() const
{
    return m_socket->bytesToWrite();
}

void ClientConnection::sendError(const QString &code, const QString &message, const QVariant &id,
                                 qint64 retryAfterMs)
{
    sendMessage(errorMessage(code, message, id, retryAfterMs));
}

void ClientConnection::closeWith(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    qCInfo(lcNet) << "closing connection" << m_id << "from" << m_peer.toString() << "with"
                  << code << reason;
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
    // A peer that never answers the close handshake must not keep the
    // connection alive: abort after a second.
    QTimer::singleShot(1000, this, [this] {
        if (m_socket->state() != QAbstractSocket::UnconnectedState)
            m_socket->abort();
        onDisconnected();
    });
}

QTimer *ClientConnection::authDeadline()
{
    if (!m_authDeadline) {
        m_authDeadline = new QTimer(this);
        m_authDeadline->setSingleShot(true);
        connect(m_authDeadline, &QTimer::timeout, this, [this] {
            if (!m_authenticated)
                closeWith(closecode::kUnauthorized, QStringLiteral("no valid token"));
        });
    }
    return m_authDeadline;
}

QTimer *ClientConnection::authExpiry()
{
    if (!m_authExpiry) {
        m_authExpiry = new QTimer(this);
        m_authExpiry->setSingleShot(true);
        connect(m_authExpiry, &QTimer::timeout, this, &ClientConnection::onAuthExpired);
    }
    return m_authExpiry;
}

void ClientConnection::requireAuthentication(int graceMs)
{
    m_authRequired = true;
    m_authGraceMs = graceMs;
    m_authenticated = false;
    m_scopes = Scopes();
    authDeadline()->start(graceMs);
}

void ClientConnection::authenticate(const TokenClaims &claims)
{
    if (!m_authRequired)
        return;
    Q_ASSERT(m_subject.isEmpty() || m_subject == claims.subject);
    m_subject = claims.subject;
    m_scopes = Scopes(claims.scopes);
    m_authenticated = true;
    authDeadline()->stop();
    m_acceptedUntilMs = claims.acceptedUntil * 1000;
    onAuthExpired();
}

void ClientConnection::onAuthExpired()
{
    if (!m_authenticated)
        return;
    const qint64 leftMs = m_acceptedUntilMs - QDateTime::currentMSecsSinceEpoch();
    if (leftMs > 0) {
        // QTimer takes an int: a token valid for longer than ~24 days is
        // looked at again then.
        authExpiry()->start(int(qMin<qint64>(leftMs, std::numeric_limits<int>::max())));
        return;
    }
    qCInfo(lcNet) << "token of" << m_subject << "on connection" << m_id
                  << "expired; closing unless renewed";
    m_authenticated = false;
    m_scopes = Scopes();
    authDeadline()->start(m_authGraceMs);
}

bool ClientConnection::admit()
{
    const qint64 now = m_clock.elapsed();
    m_lastFrameMs = now;
    ++m_messagesIn;
    if (m_abuse.count(now)) {
        closeWith(closecode::kRateAbuse, QStringLiteral("rate limit abuse"));
        return false;
    }
    qint64 retry = 0;
    qint64 worst = 0;
    bool ok = true;
    for (TokenBucket *bucket : {&m_bucket, m_userBucket, m_ipBucket}) {
        if (bucket && !bucket->tryTake(now, &retry)) {
            ok = false;
            worst = qMax(worst, retry);
        }
    }
    if (!ok) {
        ++m_rateLimitHits;
        sendError(QStringLiteral("rate_limited"),
                  QStringLiteral("too many messages; retry in %1 ms").arg(worst), {},
                  qMax<qint64>(1, worst));
    }
    return ok;
}

void ClientConnection::onText(const QString &text)
{
    if (m_closing || !admit())
        return;
    const QByteArray utf8 = text.toUtf8();
    handleFrame(utf8.size(), framecodec::decodeText(utf8, m_limits.maxMessageBytes));
}

void ClientConnection::onBinary(const QByteArray &data)
{
    if (m_closing || !admit())
        return;
    handleFrame(data.size(), framecodec::decodeBinary(data, m_limits.maxMessageBytes));
}

void ClientConnection::handleFrame(qsizetype bytes, const DecodedFrame &decoded)
{
    switch (decoded.status) {
    case DecodedFrame::Status::TooLarge:
        sendError(QStringLiteral("message_too_large"),
                  QStringLiteral("message of %1 bytes is over the limit of %2 bytes")
                      .arg(bytes).arg(m_limits.maxMessageBytes));
        return;
    case DecodedFrame::Status::Invalid:
        sendError(QStringLiteral("invalid_message"), decoded.error);
        return;
    case DecodedFrame::Status::Ok:
        break;
    }
    const Envelope envelope = readEnvelope(decoded.message);
    if (!envelope.ok) {
        sendError(QStringLiteral("invalid_message"), envelope.error, envelope.id);
        return;
    }
    Q_EMIT messageReceived(decoded.message, envelope.type, envelope.id);
}

void ClientConnection::onBytesWritten()
{
    checkBackpressure();
    // Only a connection that held telemetry back has anything to flush.
    if (m_telemetryHeld && canSendTelemetry()) {
        m_telemetryHeld = false;
        Q_EMIT drained();
    }
}

void ClientConnection::checkBackpressure()
{
    if (m_closing)
        return;
    const qint64 unsent = m_socket->bytesToWrite();
    if (unsent > m_limits.sendHardCapBytes) {
        closeWith(closecode::kTimeout, QStringLiteral("slow consumer: send buffer over limit"));
        return;
    }
    if (unsent > m_limits.sendHighWaterBytes) {
        if (m_overHighWaterSinceMs < 0)
            m_overHighWaterSinceMs = m_clock.elapsed();
    } else {
        m_overHighWaterSinceMs = -1;
    }
}

int ClientConnection::ticksPerHeartbeat(int heartbeatMs)
{
    return qMax(1, (heartbeatMs + 999) / 1000);
}

int ClientConnection::watchdogIntervalMs(int heartbeatMs)
{
    return qMax(1, heartbeatMs / ticksPerHeartbeat(heartbeatMs));
}

void ClientConnection::watchdogTick()
{
    if (m_closing)
        return;
    const qint64 now = m_clock.elapsed();
    if (now - m_lastFrameMs > 3LL * m_limits.heartbeatMs) {
        closeWith(closecode::kTimeout, QStringLiteral("no frame for 3 heartbeats"));
        return;
    }
    if (m_overHighWaterSinceMs >= 0 && now - m_overHighWaterSinceMs > m_limits.highWaterTimeoutMs) {
        closeWith(closecode::kTimeout, QStringLiteral("slow consumer: over high-water mark too long"));
        return;
    }
    if (++m_ticks % m_ticksPerPing == 0)
        m_socket->ping();
}

void ClientConnection::onDisconnected()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    m_closing = true;
    Q_EMIT closed();
}

} // namespace halhub
