#include "net/clientconnection.h"

#include "logging.h"
#include "protocol/envelope.h"

#include "net/iothread.h"
#include "net/socketchannel.h"

#include <QDateTime>
#include <QMutexLocker>
#include <QAbstractSocket>
#include <QWebSocket>

#include <limits>

namespace halhub {

namespace {

QString tooLarge(qsizetype bytes, qint64 limit)
{
    return QStringLiteral("message of %1 bytes is over the limit of %2 bytes").arg(bytes).arg(limit);
}

} // namespace

ClientConnection::ClientConnection(QWebSocket *socket, const Transport &transport,
                                   IoThread *io, const ConnectionLimits &limits, quint64 id,
                                   QObject *parent)
    : Connection(id, socket->peerAddress(), socket->peerPort(), parent)
    , m_io(io)
    , m_state(std::make_shared<ChannelState>())
    , m_limits(limits)
    , m_bucket(limits.rateLimitPerMin)
    , m_abuse(limits.rateLimitPerMin)
{
    m_connectedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_clock.start();
    m_state->lastFrameMs = ChannelState::nowMs();
    m_state->highWaterBytes = m_limits.sendHighWaterBytes;
    if (!transport.socket)
        qCWarning(lcNet) << "connection" << id << "has no transport socket; frames go through QWebSocket";

    // Messages beyond 16 x the limit close the connection with 1009 inside
    // QWebSocket before they are buffered whole.
    m_channel = SocketChannel::create(socket, transport, m_state, m_limits.maxMessageBytes * 16);
    {
        QMutexLocker lock(&m_state->receiverLock);
        m_state->receiver = this;
    }
    m_io->adopt(m_channel);

    m_ticksPerPing = ticksPerHeartbeat(m_limits.heartbeatMs);
}

ClientConnection::~ClientConnection()
{
    {
        // The channel may be posting from its thread this very moment:
        // once this is done it posts nothing more here (and what it posted
        // goes with this object).
        QMutexLocker lock(&m_state->receiverLock);
        m_state->receiver = nullptr;
    }
    m_io->release(m_channel);
}

bool ClientConnection::isOpen() const
{
    return !m_closing && !m_state->disconnected.load();
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
    write(framecodec::encode(message, encoding(), compression()));
}

void ClientConnection::sendEncoded(const EncodedFrame &frame)
{
    if (!isOpen())
        return;
    write(frame);
}

void ClientConnection::write(const EncodedFrame &frame)
{
    m_state->queuedBytes += frame.bytes.size();
    m_io->writeFrame(m_channel, frame);
    ++m_messagesOut;
    checkBackpressure();
}

bool ClientConnection::canSendTelemetry() const
{
    if (!isOpen())
        return false;
    if (m_state->unsentBytes() <= m_limits.sendHighWaterBytes)
        return true;
    // Held: the channel sends `drained` once the bytes are down again. It
    // may have got there since the figure was read: then carry on (see
    // SocketChannel::onBytesWritten for why no drain is missed).
    m_state->held = true;
    return m_state->unsentBytes() <= m_limits.sendHighWaterBytes;
}

qint64 ClientConnection::unsentBytes() const
{
    return m_state->unsentBytes();
}

void ClientConnection::closeWith(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    qCInfo(lcNet).noquote() << "closing connection" << id() << "from" << peerName() << "with"
                  << code << reason;
    // After every frame queued before it; the channel cuts a peer that does
    // not finish the closing handshake and then reports the disconnect.
    m_io->close(m_channel, code, reason);
}

bool ClientConnection::admit()
{
    const qint64 now = m_clock.elapsed();
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

void ClientConnection::onReceived(const QByteArray &data, bool binary)
{
    const qint64 cost = ChannelState::inboundCost(data.size());
    if (m_state->inboundBytes.fetch_sub(cost) - cost <= ChannelState::kInboundLimitBytes / 2
            && m_state->readingPaused.load()) {
        m_io->resumeReading(m_channel);
    }
    if (m_closing || !admit())
        return;
    if (rawFrames()) {
        if (data.size() > m_limits.maxMessageBytes) {
            sendError(QStringLiteral("message_too_large"),
                      tooLarge(data.size(), m_limits.maxMessageBytes));
            return;
        }
        Q_EMIT frameReceived(data, binary);
        return;
    }
    handleFrame(data.size(), binary ? framecodec::decodeBinary(data, m_limits.maxMessageBytes)
                                    : framecodec::decodeText(data, m_limits.maxMessageBytes));
}

void ClientConnection::handleFrame(qsizetype bytes, const DecodedFrame &decoded)
{
    switch (decoded.status) {
    case DecodedFrame::Status::TooLarge:
        sendError(QStringLiteral("message_too_large"), tooLarge(bytes, m_limits.maxMessageBytes));
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

bool ClientConnection::event(QEvent *event)
{
    if (event->type() != ChannelEvent::eventType())
        return Connection::event(event);
    const auto *e = static_cast<ChannelEvent *>(event);
    if (e->kind == ChannelEvent::Kind::Received) {
        onReceived(e->data, e->binary);
    } else {
        m_state->changePosted = false;
        onChannelChanged();
    }
    return true;
}

void ClientConnection::onChannelChanged()
{
    if (m_state->disconnected.load()) {
        onDisconnected();
        return;
    }
    checkBackpressure();
    if (canSendTelemetry())
        Q_EMIT drained();
}

void ClientConnection::checkBackpressure()
{
    if (m_closing)
        return;
    const qint64 unsent = m_state->unsentBytes();
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
    // The unsent bytes may have fallen without a write since.
    checkBackpressure();
    if (m_closing)
        return;
    const qint64 now = m_clock.elapsed();
    if (ChannelState::nowMs() - m_state->lastFrameMs.load() > 3LL * m_limits.heartbeatMs) {
        closeWith(closecode::kTimeout, QStringLiteral("no frame for 3 heartbeats"));
        return;
    }
    if (m_overHighWaterSinceMs >= 0 && now - m_overHighWaterSinceMs > m_limits.highWaterTimeoutMs) {
        closeWith(closecode::kTimeout, QStringLiteral("slow consumer: over high-water mark too long"));
        return;
    }
    if (++m_ticks % m_ticksPerPing == 0)
        m_io->ping(m_channel);
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
