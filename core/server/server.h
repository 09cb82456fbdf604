#pragma once

#include "config/config.h"
#include "frontends/halhub/session.h"

#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QWebSocket;

namespace halhub {

class AuditLog;
class Authenticator;
class CommandDesk;
class ConnectionRegistry;
class DeviceBus;
class Frontend;
class HalhubFrontend;
class Hub;
class LatencyHistogram;
class MetricsHttpServer;
class MetricsView;
class Recorder;
class WebSocketListener;
struct Transport;

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

// halhub's server, put together from parts with one job each:
//
//   Hub                 the protocol-neutral core over the DeviceBus
//                       (devices, events, streams, commands, latency);
//   Authenticator       tokens and scopes;
//   WebSocketListener   the port: checks before the upgrade, TLS;
//   ConnectionRegistry  the open connections, their I/O threads, buckets
//                       and watchdog;
//   HalhubFrontend      the halhub protocol over the hub, and any other
//                       Frontend added beside it;
//   MetricsView         the figures, for `metrics`, Prometheus and /healthz.
//
// The server only wires them, starts them and shuts them down.
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

    // docs/protocol.md section 9: new connections get 503; every connection
    // gets server_shutdown and a 1001 close; shutdownComplete follows within 1 s.
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
    // One open connection's peer (ip:port); empty for an id not open. The
    // window names a new client with it, without the whole clientStats().
    QString clientAddress(quint64 id) const;
    QList<StreamStats> streamStats() const;
    const LatencyHistogram &latency() const;
    qint64 latencyClockMs() const;
    qint64 uptimeSeconds() const;
    qint64 messagesSentTotal() const;
    qint64 messagesReceivedTotal() const;
    QVariantMap metricsReply() const;
    QByteArray prometheusText() const;

    // Disconnects a client (GUI action) with 1000.
    void disconnectClient(quint64 id);

    // Another front end beside the halhub protocol, built over hub() (the
    // server owns it). Front ends added later are asked first whether they
    // serve an upgrade; the halhub protocol serves every other.
    void addFrontend(Frontend *frontend);
    // In a cluster: the `cluster` figures of `metrics` (docs/protocol.md section 12).
    void setClusterStatus(std::function<QVariantMap()> status);

    Hub *hub() const { return m_hub; }
    DeviceBus *bus() const;
    // Where the GUI sends commands: the same audited door as clients'.
    CommandDesk *commands() const;
    // Every command's record (auth.audit_log); the GUI shows `recorded`.
    AuditLog *auditLog() const;
    const Config &config() const { return m_config; }
    // Recordings of device samples (recording.dir); the GUI starts and lists them.
    Recorder *recorder() const { return m_recorder; }

Q_SIGNALS:
    void clientConnected(quint64 id);
    void clientDisconnected(quint64 id);
    // Every event broadcast to clients (device events), for the GUI's log.
    void eventBroadcast(const QVariantMap &event);
    void shutdownComplete();

private:
    void onNewSocket(QWebSocket *socket, const Transport &transport);
    void onConnectionClosed(quint64 id);

    Config m_config;
    Hub *m_hub = nullptr;
    std::unique_ptr<Authenticator> m_auth;
    WebSocketListener *m_listener = nullptr;
    ConnectionRegistry *m_connections = nullptr;
    HalhubFrontend *m_halhub = nullptr;
    Recorder *m_recorder = nullptr;
    QList<Frontend *> m_frontends;          // added ones, newest first
    std::unique_ptr<MetricsView> m_metrics;
    MetricsHttpServer *m_metricsHttp = nullptr;
    bool m_shuttingDown = false;
    bool m_prepared = false;
};

} // namespace halhub
