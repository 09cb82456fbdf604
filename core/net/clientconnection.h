#pragma once

#include "net/closecodes.h"
#include "net/connection.h"
#include "net/ratelimiter.h"
#include "protocol/framecodec.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVariantMap>

#include <memory>

class QAbstractSocket;
class QWebSocket;

namespace halhub {

struct ChannelState;
struct Transport;
struct Envelope;
class IoThread;
class SocketChannel;

// Socket-level limits of one connection (docs/protocol.md section 7).
struct ConnectionLimits
{
    int rateLimitPerMin = 200;
    qint64 maxMessageBytes = 65536;
    qint64 sendHighWaterBytes = 1048576;
    qint64 sendHardCapBytes = 16 * 1048576;
    int highWaterTimeoutMs = 30000;
    int heartbeatMs = 10000;
};

// One WebSocket connection: turns frames into checked messages and messages
// into frames, and enforces what belongs to the socket: the rate limit, the
// size limits, the heartbeat and the send buffer's high-water mark.
//
// It knows nothing of sessions or devices: valid messages go out through
// messageReceived, and the front end decides what they mean.
class ClientConnection final : public Connection
{
    Q_OBJECT
public:
    // Takes ownership of the socket and hands it to io, the thread that
    // will serve it. transport: the TCP or TLS socket under it (see
    // SocketChannel::create); without one QWebSocket does everything.
    ClientConnection(QWebSocket *socket, const Transport &transport, IoThread *io,
                     const ConnectionLimits &limits, quint64 id, QObject *parent = nullptr);
    ~ClientConnection() override;

    qint64 connectedAtMs() const { return m_connectedAtMs; }
    bool isOpen() const;

    // Buckets shared with other connections (per user, per IP). May be null.
    void setSharedBuckets(TokenBucket *ipBucket, TokenBucket *userBucket);

    // Sends a non-droppable message (replies, results, events).
    void sendMessage(const QVariantMap &message) override;
    // Sends an already encoded frame (telemetry).
    void sendEncoded(const EncodedFrame &frame) override;
    // True while telemetry may be written (unsent bytes at or below the
    // high-water mark).
    bool canSendTelemetry() const override;
    qint64 unsentBytes() const;

    void closeWith(int code, const QString &reason) override;

    // The owner calls this every watchdogIntervalMs() (one timer for all
    // connections): it checks the stale-peer and slow-consumer deadlines, and
    // every ticksPerHeartbeat()-th call sends the ping, so pings keep their
    // interval exactly. The interval divides the heartbeat and is at most 1 s.
    void watchdogTick();
    static int ticksPerHeartbeat(int heartbeatMs);
    static int watchdogIntervalMs(int heartbeatMs);

    // Counters for metrics and the GUI.
    qint64 messagesIn() const { return m_messagesIn; }
    qint64 messagesOut() const { return m_messagesOut; }
    qint64 rateLimitHits() const { return m_rateLimitHits; }

protected:
    bool event(QEvent *event) override;

private:
    void onReceived(const QByteArray &data, bool binary);
    void handleFrame(qsizetype bytes, const DecodedFrame &decoded);
    bool admit();
    void onChannelChanged();
    void checkBackpressure();
    void onDisconnected();
    void write(const EncodedFrame &frame);

    IoThread *m_io = nullptr;
    SocketChannel *m_channel = nullptr;     // lives in m_io's thread
    std::shared_ptr<ChannelState> m_state;
    ConnectionLimits m_limits;
    qint64 m_connectedAtMs = 0;

    TokenBucket m_bucket;
    AbuseDetector m_abuse;
    TokenBucket *m_ipBucket = nullptr;
    TokenBucket *m_userBucket = nullptr;
    QElapsedTimer m_clock;

    int m_ticksPerPing = 1;
    quint64 m_ticks = 0;
    qint64 m_overHighWaterSinceMs = -1;
    bool m_closing = false;
    bool m_closedEmitted = false;

    qint64 m_messagesIn = 0;
    qint64 m_messagesOut = 0;
    qint64 m_rateLimitHits = 0;
};

} // namespace halhub
