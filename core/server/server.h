#pragma once

#include "config/config.h"
#include "metrics/latencyhistogram.h"
#include "net/ratelimiter.h"
#include "protocol/throttledcount.h"
#include "session/session.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <map>
#include <memory>

class QNetworkRequest;
class QWebSocket;

namespace halhub {

class AuditLog;
class ClientConnection;
class CommandRouter;
class DeviceBus;
class IoThreadPool;
struct Transport;
class MetricsHttpServer;
class RequestHandler;
class SessionManager;
class TelemetryHub;
class TokenVerifier;
class WebSocketListener;

// What the GUI and metrics see of one connection.
struct ClientStats
{
    quint64 id = 0;
    QString address;
    QString user;
    QString session;
    QString client;                 // `client` from hello
    qint64 connectedAtMs = 0;       // wall clock
    QString encoding;
    bool compression = false;
    qint64 messagesIn = 0;
    qint64 messagesOut = 0;
    qint64 unsentBytes = 0;
    qint64 rateLimitHits = 0;
    int streams = 0;
};

// halhub's protocol server: listens, owns the connections and sessions, and
// wires the telemetry pipeline and the command router to a DeviceBus.
// Data flows one way: DeviceBus -> TelemetryHub -> Session -> connection;
// requests come back through RequestHandler to the router and the bus.
class Server : public QObject
{
    Q_OBJECT
public:
    Server(const Config &config, DeviceBus *bus, QObject *parent = nullptr);
    ~Server() override;

    // Loads what the configuration names (TLS certificate and key, token key,
    // audit log): a failure here is a configuration error. start() calls it
    // when it was not called before.
    bool prepare(QString *error);
    // Listens on server.host:server.port (and metrics.port when set).
    bool start(QString *error);
    quint16 port() const;
    QUrl url() const;
    quint16 metricsPort() const;

    // PROTOCOL.md 9: new connections get 503; every connection gets
    // server_shutdown and a 1001 close; shutdownComplete follows within 1 s.
    void shutdown();
    bool isShuttingDown() const { return m_shuttingDown; }
    // Listening beyond this machine without authentication (--insecure).
    bool isInsecure() const;

    // Observation (for the GUI, metrics and tests).
    int clientCount() const;
    int streamCount() const;
    // Sessions alive, detached ones waiting for a resume included.
    int sessionCount() const;
    QList<ClientStats> clientStats() const;
    QList<StreamStats> streamStats() const;
    const LatencyHistogram &latency() const { return m_latency; }
    qint64 latencyClockMs() const { return m_clock.elapsed(); }
    qint64 uptimeSeconds() const;
    qint64 messagesSentTotal() const;
    qint64 messagesReceivedTotal() const;
    QVariantMap metricsReply() const;
    QByteArray prometheusText() const;

    // Disconnects a client (GUI action) with 1000.
    void disconnectClient(quint64 id);

    DeviceBus *bus() const { return m_bus; }
    CommandRouter *router() const { return m_router; }
    // Every command's record (auth.audit_log); the GUI shows `recorded`.
    AuditLog *auditLog() const { return m_audit; }
    const Config &config() const { return m_config; }

Q_SIGNALS:
    void clientConnected(quint64 id);
    void clientDisconnected(quint64 id);
    // Every event broadcast to clients (device events), for the GUI's log.
    void eventBroadcast(const QVariantMap &event);
    void shutdownComplete();

private:
    void onNewSocket(QWebSocket *socket, const Transport &transport);
    void onMessage(ClientConnection *connection, const QVariantMap &message, const QString &type,
                   const QVariant &id);
    void onConnectionClosed(ClientConnection *connection);
    QList<ClientConnection *> openConnections() const;
    void broadcast(const QVariantMap &event);
    void deviceEvent(const QString &event, const QString &device, const QVariantMap &data = {});
    void onDeviceError(const QString &device, const QString &message);
    void flushDeviceErrors();
    void onDeviceRemoved(const QString &device);
    TokenBucket *ipBucket(const QHostAddress &address);
    TokenBucket *userBucket(const QString &user);
    void authenticateHandshake(ClientConnection *connection, const QNetworkRequest &request);

    Config m_config;
    DeviceBus *m_bus = nullptr;
    QElapsedTimer m_clock;
    LatencyHistogram m_latency;
    TelemetryHub *m_hub = nullptr;
    CommandRouter *m_router = nullptr;
    SessionManager *m_sessions = nullptr;
    RequestHandler *m_requests = nullptr;
    WebSocketListener *m_listener = nullptr;
    // The threads that serve the sockets (server.io_threads).
    std::unique_ptr<IoThreadPool> m_io;
    MetricsHttpServer *m_metricsHttp = nullptr;

    struct ConnectionEntry
    {
        ClientConnection *connection = nullptr;
        Session *session = nullptr;     // null until a request needs one
        QString client;
        // A subscribe or command was sent: resume is refused from then on.
        bool issuedRequests = false;
    };
    std::map<quint64, ConnectionEntry> m_connections;
    quint64 m_nextConnectionId = 0;
    QHash<QString, TokenBucket *> m_ipBuckets;
    QHash<QString, TokenBucket *> m_userBuckets;
    std::unique_ptr<TokenVerifier> m_verifier;   // auth.required only
    AuditLog *m_audit = nullptr;
    qint64 m_closedMessagesIn = 0;
    qint64 m_closedMessagesOut = 0;

    struct ErrorThrottle
    {
        ThrottledCount count;
        QString message;
    };
    QHash<QString, ErrorThrottle> m_deviceErrors;
    QTimer m_errorFlush;
    QTimer m_watchdog;

    bool m_shuttingDown = false;
    bool m_prepared = false;

};

} // namespace halhub
