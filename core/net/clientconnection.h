#pragma once

#include "auth/scopes.h"
#include "net/closecodes.h"
#include "net/messagechannel.h"
#include "auth/tokenverifier.h"
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
// messageReceived, and the session decides what they mean.
class ClientConnection : public QObject, public MessageChannel
{
    Q_OBJECT
public:
    // Takes ownership of the socket and hands it to io, the thread that
    // will serve it. transport: the TCP or TLS socket under it (see
    // SocketChannel::create); without one QWebSocket does everything.
    ClientConnection(QWebSocket *socket, const Transport &transport, IoThread *io,
                     const ConnectionLimits &limits, quint64 id, QObject *parent = nullptr);
    ~ClientConnection() override;

    quint64 id() const { return m_id; }
    QHostAddress peerAddress() const { return m_peer; }
    quint16 peerPort() const { return m_peerPort; }
    qint64 connectedAtMs() const { return m_connectedAtMs; }
    bool isOpen() const;

    Encoding encoding() const override { return m_encoding; }
    bool compression() const override { return m_compression; }
    void setEncoding(Encoding encoding, bool compression);

    // Buckets shared with other connections (per user, per IP). May be null.
    void setSharedBuckets(TokenBucket *ipBucket, TokenBucket *userBucket);
    TokenBucket *userBucket() const { return m_userBucket; }

    // Authentication (docs/protocol.md section 9). Until requireAuthentication() every
    // scope is granted. From it on, a connection without a valid token is
    // closed with 4401 after graceMs, and so is one whose token expired and
    // was not renewed within graceMs.
    void requireAuthentication(int graceMs);
    bool isAuthenticated() const { return m_authenticated; }
    // The `sub` of the first valid token; kept after expiry.
    QString subject() const { return m_subject; }
    const Scopes &scopes() const { return m_scopes; }
    // A verified token whose subject is this connection's (or the first).
    void authenticate(const TokenClaims &claims);

    // Sends a non-droppable message (replies, results, events).
    void sendMessage(const QVariantMap &message) override;
    // Sends an already encoded frame (telemetry). Returns the write time in
    // microseconds since the epoch.
    void sendEncoded(const EncodedFrame &frame) override;
    // True while telemetry may be written (unsent bytes at or below the
    // high-water mark).
    bool canSendTelemetry() const override;
    qint64 unsentBytes() const;

    void sendError(const QString &code, const QString &message, const QVariant &id = {},
                   qint64 retryAfterMs = -1);
    void closeWith(int code, const QString &reason);

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

Q_SIGNALS:
    // A decoded message that passed the envelope checks and the rate limit.
    void messageReceived(const QVariantMap &message, const QString &type, const QVariant &id);
    // The unsent bytes fell back to the high-water mark or below.
    void drained();
    // The connection learnt its user (the first valid token).
    void userKnown();
    void closed();

private:
    void onReceived(const QByteArray &data, bool binary);
    void handleFrame(qsizetype bytes, const DecodedFrame &decoded);
    bool admit();
    void onChannelChanged();
    void checkBackpressure();
    void onDisconnected();
    void write(const EncodedFrame &frame);
    QTimer *authDeadline();
    QTimer *authExpiry();
    void onAuthExpired();

    IoThread *m_io = nullptr;
    SocketChannel *m_channel = nullptr;     // lives in m_io's thread
    std::shared_ptr<ChannelState> m_state;
    ConnectionLimits m_limits;
    quint64 m_id = 0;
    QHostAddress m_peer;
    quint16 m_peerPort = 0;
    qint64 m_connectedAtMs = 0;
    Encoding m_encoding = Encoding::Json;
    bool m_compression = false;

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

    bool m_authRequired = false;
    bool m_authenticated = false;
    int m_authGraceMs = 5000;
    QString m_subject;
    Scopes m_scopes = Scopes::all();
    // Made on first use: only connections under auth.required need them.
    QTimer *m_authDeadline = nullptr;   // 4401 when it fires unauthenticated
    QTimer *m_authExpiry = nullptr;     // the token's exp plus leeway
    qint64 m_acceptedUntilMs = 0;

    qint64 m_messagesIn = 0;
    qint64 m_messagesOut = 0;
    qint64 m_rateLimitHits = 0;
};

} // namespace halhub
