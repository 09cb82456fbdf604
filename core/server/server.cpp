#include "server/server.h"

#include "auth/auditlog.h"
#include "auth/authlogging.h"
#include "auth/tokenverifier.h"
#include "net/handshake.h"
#include "bus/devicebus.h"
#include "commands/commandrouter.h"
#include "bus/clock.h"
#include "logging.h"
#include "metrics/metricshttpserver.h"
#include "metrics/prometheus.h"
#include "net/clientconnection.h"
#include "net/iothread.h"
#include "net/websocketlistener.h"
#include "server/requesthandler.h"
#include "session/sessionmanager.h"
#include "telemetry/telemetryhub.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QWebSocket>

namespace halhub {

namespace {

constexpr qint64 kDeviceErrorIntervalMs = 1000;
constexpr int kShutdownCloseMs = 1000;
constexpr int kAuthGraceMs = 5000;

QString encodingName(Encoding e)
{
    return e == Encoding::MsgPack ? QStringLiteral("msgpack") : QStringLiteral("json");
}

} // namespace

Server::Server(const Config &config, DeviceBus *bus, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_bus(bus)
{
    m_clock.start();
    m_hub = new TelemetryHub(bus, this);
    m_router = new CommandRouter(bus, this);
    m_sessions = new SessionManager(m_hub, m_router, &m_latency, config.server.resumeGraceMs, this);
    m_requests = new RequestHandler(config, bus, m_router, m_sessions,
                                    [this] { return metricsReply(); }, this);
    m_audit = new AuditLog(this);
    connect(m_requests, &RequestHandler::sessionTakenOver, this, [](ClientConnection *previous) {
        previous->closeWith(closecode::kTakenOver, QStringLiteral("session taken over"));
    });

    m_io = std::make_unique<IoThreadPool>(config.server.ioThreads < 0 ? IoThreadPool::defaultCount()
                                                                      : config.server.ioThreads);
    m_listener = new WebSocketListener(config.server, this);
    m_listener->setConnectionCounter([this] { return int(m_connections.size()); });
    connect(m_listener, &WebSocketListener::newSocket, this, &Server::onNewSocket);

    connect(bus, &DeviceBus::deviceStateChanged, this,
            [this](const QString &device, DeviceState state) {
                if (state == DeviceState::Connected)
                    deviceEvent(QStringLiteral("device_connected"), device);
                else if (state == DeviceState::Disconnected || state == DeviceState::Error)
                    deviceEvent(QStringLiteral("device_disconnected"), device);
            });
    connect(bus, &DeviceBus::deviceAdded, this, [this](const DeviceInfo &info) {
        deviceEvent(QStringLiteral("device_added"), info.id, RequestHandler::describeDevice(info));
    });
    connect(bus, &DeviceBus::deviceRemoved, this, &Server::onDeviceRemoved);
    connect(bus, &DeviceBus::deviceError, this, &Server::onDeviceError);

    // One watchdog for every connection: a timer each would cost the event
    // loop dearly with thousands of clients.
    m_watchdog.setTimerType(Qt::PreciseTimer);
    m_watchdog.setInterval(ClientConnection::watchdogIntervalMs(config.server.heartbeatMs));
    connect(&m_watchdog, &QTimer::timeout, this, [this] {
        for (ClientConnection *connection : openConnections())
            connection->watchdogTick();
    });
    m_watchdog.start();

    m_errorFlush.setInterval(int(kDeviceErrorIntervalMs / 4));
    connect(&m_errorFlush, &QTimer::timeout, this, &Server::flushDeviceErrors);
}

Server::~Server()
{
    // Sessions hold sinks in the hub and wait on the router: they go first.
    delete m_requests;
    delete m_sessions;
    // Connections hand their sockets back to the I/O threads when deleted:
    // they go before the threads stop.
    for (auto &[id, entry] : m_connections)
        delete entry.connection;
    m_connections.clear();
    m_io.reset();
    qDeleteAll(m_ipBuckets);
    qDeleteAll(m_userBuckets);
}

bool Server::prepare(QString *error)
{
    if (m_prepared)
        return true;
    if (m_config.auth.required) {
        m_verifier = std::make_unique<TokenVerifier>(m_config.auth);
        if (!m_verifier->load(error))
            return false;
        qCInfo(lcAuth).noquote() << "authentication required; tokens signed with"
                                 << m_verifier->algorithm();
    }
    if (!m_config.auth.auditLog.isEmpty()) {
        if (!m_audit->open(m_config.auth.auditLog, error))
            return false;
        qCInfo(lcAuth).noquote() << "audit log:" << m_config.auth.auditLog;
    }
    if (!m_listener->prepare(error))
        return false;
    m_requests->setSecurity(m_verifier.get(), m_audit);
    m_prepared = true;
    return true;
}

bool Server::start(QString *error)
{
    if (!prepare(error))
        return false;
    if (!m_listener->listen(error))
        return false;
    qCInfo(lcNet).noquote() << "listening on" << url().toString();
    if (m_config.metrics.port) {
        m_metricsHttp = new MetricsHttpServer(this);
        m_metricsHttp->setMetricsProvider([this] { return prometheusText(); });
        m_metricsHttp->setHealthProvider([this] {
            QJsonObject o;
            const bool healthy = !m_shuttingDown;
            o.insert(QStringLiteral("status"), healthy ? QStringLiteral("ok")
                                                       : QStringLiteral("shutting_down"));
            o.insert(QStringLiteral("clients"), clientCount());
            o.insert(QStringLiteral("devices"), int(m_bus->devices().size()));
            o.insert(QStringLiteral("uptime_s"), uptimeSeconds());
            return std::make_pair(healthy, QJsonDocument(o).toJson(QJsonDocument::Compact));
        });
        if (!m_metricsHttp->listen(m_listener->address(), *m_config.metrics.port)) {
            *error = QStringLiteral("cannot listen for metrics on port %1")
                         .arg(*m_config.metrics.port);
            return false;
        }
        qCInfo(lcMetrics) << "metrics on port" << m_metricsHttp->port();
    }
    return true;
}

quint16 Server::port() const
{
    return m_listener->port();
}

QUrl Server::url() const
{
    QUrl u;
    u.setScheme(m_config.server.tls ? QStringLiteral("wss") : QStringLiteral("ws"));
    u.setHost(m_config.server.host);
    u.setPort(port());
    u.setPath(m_config.server.path);
    return u;
}

quint16 Server::metricsPort() const
{
    return m_metricsHttp ? m_metricsHttp->port() : 0;
}

TokenBucket *Server::ipBucket(const QHostAddress &address)
{
    const QString key = address.toString();
    TokenBucket *&bucket = m_ipBuckets[key];
    if (!bucket)
        bucket = new TokenBucket(m_config.limits.rateLimitPerIpPerMin);
    return bucket;
}

TokenBucket *Server::userBucket(const QString &user)
{
    TokenBucket *&bucket = m_userBuckets[user];
    if (!bucket)
        bucket = new TokenBucket(m_config.limits.rateLimitPerUserPerMin);
    return bucket;
}

void Server::authenticateHandshake(ClientConnection *connection, const QNetworkRequest &request)
{
    connection->requireAuthentication(kAuthGraceMs);
    // The upgrade request as QWebSocketServer saw it: the same token rules
    // as the listener's own parser (Bearer wins, no fallback to the query).
    HttpRequestHead head;
    head.url = request.url();
    const QList<QByteArray> names = request.rawHeaderList();
    for (const QByteArray &name : names)
        head.headers.insert(name.toLower(), request.rawHeader(name));
    const QString token = extractToken(head);
    if (token.isEmpty())
        return;
    const TokenCheck check = m_verifier->verify(token.toUtf8());
    if (!check.ok) {
        qCWarning(lcAuth).noquote() << "handshake token from" << connection->peerAddress().toString()
                                    << "refused (treated as absent):" << check.error;
        return;
    }
    connection->authenticate(check.claims);
    qCInfo(lcAuth).noquote() << "connection" << connection->id() << "from"
                             << connection->peerAddress().toString() << "authenticated as"
                             << check.claims.subject;
}

void Server::onNewSocket(QWebSocket *socket, const Transport &transport)
{
    if (m_shuttingDown) {
        socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("server shutting down"));
        socket->deleteLater();
        return;
    }
    ConnectionLimits limits;
    limits.rateLimitPerMin = m_config.limits.rateLimitPerMin;
    limits.maxMessageBytes = m_config.limits.maxMessageBytes;
    limits.sendHighWaterBytes = m_config.limits.sendHighWaterBytes;
    limits.heartbeatMs = m_config.server.heartbeatMs;

    const quint64 id = ++m_nextConnectionId;
    // Read before the socket moves to its I/O thread.
    const QNetworkRequest request = m_verifier ? socket->request() : QNetworkRequest();
    auto *connection = new ClientConnection(socket, transport, m_io->next(), limits, id, this);
    if (m_verifier)
        authenticateHandshake(connection, request);
    const QString user = connection->subject();
    connection->setSharedBuckets(ipBucket(connection->peerAddress()),
                                 user.isEmpty() ? nullptr : userBucket(user));

    // No session yet: RequestHandler makes one at the first request that
    // needs it, so a connection that only answers pings costs no Session.
    ConnectionEntry entry;
    entry.connection = connection;
    m_connections.emplace(id, entry);

    connect(connection, &ClientConnection::messageReceived, this,
            [this, connection](const QVariantMap &message, const QString &type, const QVariant &mid) {
                onMessage(connection, message, type, mid);
            });
    connect(connection, &ClientConnection::closed, this,
            [this, connection] { onConnectionClosed(connection); });
    qCInfo(lcNet) << "client" << id << "connected from" << connection->peerAddress().toString();
    Q_EMIT clientConnected(id);
}

void Server::onMessage(ClientConnection *connection, const QVariantMap &message,
                       const QString &type, const QVariant &id)
{
    auto it = m_connections.find(connection->id());
    if (it == m_connections.end())
        return;
    RequestContext context;
    context.connection = connection;
    context.session = it->second.session;
    context.client = it->second.client;
    context.issuedRequests = it->second.issuedRequests;
    m_requests->handle(context, message, type, id);
    // The entry may have been replaced while handling (a take-over closes
    // another connection, never this one).
    it = m_connections.find(connection->id());
    if (it == m_connections.end()) {
        // Closed meanwhile: a session it just made or resumed must not stay
        // attached to a connection that is going away, or it never expires.
        if (context.session && context.session->connection() == connection)
            context.session->detach();
        return;
    }
    it->second.session = context.session;
    it->second.client = context.client;
    it->second.issuedRequests = context.issuedRequests;
    // The per-user bucket joins once the connection has a user.
    if (!connection->subject().isEmpty() && !connection->userBucket()) {
        connection->setSharedBuckets(ipBucket(connection->peerAddress()),
                                     userBucket(connection->subject()));
    }
}

void Server::onConnectionClosed(ClientConnection *connection)
{
    const auto it = m_connections.find(connection->id());
    if (it == m_connections.end())
        return;
    Session *session = it->second.session;
    if (session && session->connection() == connection)
        session->detach();
    m_closedMessagesIn += connection->messagesIn();
    m_closedMessagesOut += connection->messagesOut();
    m_connections.erase(it);
    qCInfo(lcNet) << "client" << connection->id() << "disconnected";
    Q_EMIT clientDisconnected(connection->id());
    connection->deleteLater();
    if (m_shuttingDown && m_connections.empty())
        Q_EMIT shutdownComplete();
}

QList<ClientConnection *> Server::openConnections() const
{
    // A write can close a connection (send buffer over its cap) and so
    // remove it from m_connections: callers iterate this copy instead.
    QList<ClientConnection *> list;
    list.reserve(qsizetype(m_connections.size()));
    for (const auto &[id, entry] : m_connections)
        list.append(entry.connection);
    return list;
}

void Server::broadcast(const QVariantMap &event)
{
    // Device events are for those who may list devices (telemetry:read).
    for (ClientConnection *connection : openConnections()) {
        if (connection->scopes().canReadTelemetry())
            connection->sendMessage(event);
    }
    Q_EMIT eventBroadcast(event);
}

void Server::deviceEvent(const QString &event, const QString &device, const QVariantMap &data)
{
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("event"));
    m.insert(QStringLiteral("event"), event);
    m.insert(QStringLiteral("ts"), qlonglong(wallClockUs()));
    if (!device.isEmpty())
        m.insert(QStringLiteral("device"), device);
    if (!data.isEmpty())
        m.insert(QStringLiteral("data"), data);
    broadcast(m);
}

void Server::onDeviceError(const QString &device, const QString &message)
{
    ErrorThrottle &t = m_deviceErrors[device];
    t.count.add();
    t.message = message;
    flushDeviceErrors();
    if (!t.count.isEmpty() && !m_errorFlush.isActive())
        m_errorFlush.start();
}

void Server::flushDeviceErrors()
{
    const qint64 now = m_clock.elapsed();
    bool left = false;
    for (auto it = m_deviceErrors.begin(); it != m_deviceErrors.end(); ++it) {
        ErrorThrottle &t = it.value();
        const quint64 count = t.count.take(now, kDeviceErrorIntervalMs, &left);
        if (count == 0)
            continue;
        QVariantMap data;
        data.insert(QStringLiteral("message"), t.message);
        data.insert(QStringLiteral("count"), qlonglong(count));
        deviceEvent(QStringLiteral("device_error"), it.key(), data);
    }
    if (!left)
        m_errorFlush.stop();
}

void Server::onDeviceRemoved(const QString &device)
{
    // Streams on the device close first, each owner told, then everyone
    // learns the device is gone.
    const QList<Session *> sessions = m_sessions->sessions();
    for (Session *session : sessions) {
        const QStringList closed = session->closeStreamsOf(device);
        for (const QString &stream : closed) {
            QVariantMap m;
            m.insert(QStringLiteral("type"), QStringLiteral("event"));
            m.insert(QStringLiteral("event"), QStringLiteral("stream_closed"));
            m.insert(QStringLiteral("ts"), qlonglong(wallClockUs()));
            m.insert(QStringLiteral("device"), device);
            m.insert(QStringLiteral("stream"), stream);
            session->sendControl(m);
        }
    }
    m_deviceErrors.remove(device);
    deviceEvent(QStringLiteral("device_removed"), device);
}

void Server::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_listener->setShuttingDown(true);
    qCInfo(lcNet) << "shutting down;" << m_connections.size() << "connections to close";
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("event"));
    m.insert(QStringLiteral("event"), QStringLiteral("server_shutdown"));
    m.insert(QStringLiteral("ts"), qlonglong(wallClockUs()));
    for (ClientConnection *connection : openConnections()) {
        connection->sendMessage(m);
        connection->closeWith(closecode::kGoingAway, QStringLiteral("server shutting down"));
    }
    if (m_connections.empty()) {
        QMetaObject::invokeMethod(this, &Server::shutdownComplete, Qt::QueuedConnection);
        return;
    }
    // Connections that do not finish their close in time are cut.
    QTimer::singleShot(kShutdownCloseMs + 200, this, [this] {
        if (!m_connections.empty())
            Q_EMIT shutdownComplete();
    });
}

bool Server::isInsecure() const
{
    return !m_config.auth.required && !isLoopbackHost(m_config.server.host);
}

int Server::clientCount() const
{
    return int(m_connections.size());
}

int Server::streamCount() const
{
    return m_sessions->streamCount();
}

int Server::sessionCount() const
{
    return int(m_sessions->sessions().size());
}

QList<ClientStats> Server::clientStats() const
{
    QList<ClientStats> list;
    for (const auto &[id, entry] : m_connections) {
        ClientStats s;
        s.id = id;
        s.address = QStringLiteral("%1:%2")
                        .arg(entry.connection->peerAddress().toString())
                        .arg(entry.connection->peerPort());
        s.user = entry.session ? entry.session->principal() : entry.connection->subject();
        s.session = entry.session ? entry.session->id() : QString();
        s.client = entry.client;
        s.connectedAtMs = entry.connection->connectedAtMs();
        s.encoding = encodingName(entry.connection->encoding());
        s.compression = entry.connection->compression();
        s.messagesIn = entry.connection->messagesIn();
        s.messagesOut = entry.connection->messagesOut();
        s.unsentBytes = entry.connection->unsentBytes();
        s.rateLimitHits = entry.connection->rateLimitHits();
        s.streams = entry.session ? entry.session->streamCount() : 0;
        list.append(s);
    }
    return list;
}

QList<StreamStats> Server::streamStats() const
{
    QList<StreamStats> list;
    const QList<Session *> sessions = m_sessions->sessions();
    for (const Session *s : sessions)
        list.append(s->streamStats());
    return list;
}

qint64 Server::uptimeSeconds() const
{
    return m_clock.elapsed() / 1000;
}

qint64 Server::messagesSentTotal() const
{
    qint64 n = m_closedMessagesOut;
    for (const auto &[id, entry] : m_connections)
        n += entry.connection->messagesOut();
    return n;
}

qint64 Server::messagesReceivedTotal() const
{
    qint64 n = m_closedMessagesIn;
    for (const auto &[id, entry] : m_connections)
        n += entry.connection->messagesIn();
    return n;
}

QVariantMap Server::metricsReply() const
{
    const LatencySummary s = m_latency.summary(m_clock.elapsed());
    QVariantMap latency;
    latency.insert(QStringLiteral("avg_latency_ms"), s.avgMs);
    latency.insert(QStringLiteral("p50_latency_ms"), s.p50Ms);
    latency.insert(QStringLiteral("p95_latency_ms"), s.p95Ms);
    latency.insert(QStringLiteral("p99_latency_ms"), s.p99Ms);
    latency.insert(QStringLiteral("min_latency_ms"), s.minMs);
    latency.insert(QStringLiteral("max_latency_ms"), s.maxMs);
    latency.insert(QStringLiteral("message_count"), qlonglong(s.count));
    latency.insert(QStringLiteral("throughput_msg_per_sec"), s.throughputPerSec);
    QVariantMap m;
    m.insert(QStringLiteral("latency"), latency);
    m.insert(QStringLiteral("clients"), qlonglong(clientCount()));
    m.insert(QStringLiteral("streams"), qlonglong(streamCount()));
    m.insert(QStringLiteral("devices"), qlonglong(m_bus->devices().size()));
    m.insert(QStringLiteral("uptime_s"), qlonglong(uptimeSeconds()));
    return m;
}

QByteArray Server::prometheusText() const
{
    MetricsSnapshot snapshot;
    snapshot.clients = clientCount();
    snapshot.streams = streamCount();
    snapshot.devices = m_bus->devices().size();
    snapshot.messagesSentTotal = messagesSentTotal();
    snapshot.messagesReceivedTotal = messagesReceivedTotal();
    snapshot.uptimeSeconds = uptimeSeconds();
    snapshot.latency = &m_latency;
    return formatPrometheus(snapshot);
}

void Server::disconnectClient(quint64 id)
{
    const auto it = m_connections.find(id);
    if (it != m_connections.end())
        it->second.connection->closeWith(closecode::kNormal, QStringLiteral("disconnected by operator"));
}

} // namespace halhub
