#include "server/server.h"

#include "auth/auditlog.h"
#include "auth/authenticator.h"
#include "bus/devicebus.h"
#include "frontends/frontend.h"
#include "frontends/foxglove/foxglovefrontend.h"
#include "frontends/foxglove/foxglovewire.h"
#include "frontends/halhub/halhubfrontend.h"
#include "hub/commanddesk.h"
#include "hub/hub.h"
#include "logging.h"
#include "metrics/metricshttpserver.h"
#include "net/clientconnection.h"
#include "net/websocketlistener.h"
#include "protocol/messages.h"
#include "recording/recorder.h"
#include "server/connectionregistry.h"
#include "server/metricsview.h"

#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>

namespace halhub {

namespace {

constexpr int kShutdownCloseMs = 1000;

} // namespace

Server::Server(const Config &config, DeviceBus *bus, QObject *parent)
    : QObject(parent)
    , m_config(config)
{
    m_hub = new Hub(bus, this);
    m_auth = std::make_unique<Authenticator>(config.auth);
    m_connections = new ConnectionRegistry(config, this);
    connect(m_connections, &ConnectionRegistry::closed, this, &Server::onConnectionClosed);
    m_halhub = new HalhubFrontend(config, m_hub, m_auth.get(), [this] { return metricsReply(); },
                                  this);
    connect(m_halhub, &HalhubFrontend::eventBroadcast, this, &Server::eventBroadcast);
    m_metrics = std::make_unique<MetricsView>(m_hub, m_connections, [this] { return streamCount(); });
    m_recorder = new Recorder(bus, config.recording.dir, this);
    m_halhub->setRecorder(m_recorder);
    m_metrics->setRecorder(m_recorder);

    m_listener = new WebSocketListener(config.server, this);
    m_listener->setConnectionCounter([this] { return m_connections->count(); });
    connect(m_listener, &WebSocketListener::newSocket, this, &Server::onNewSocket);

    // Foxglove and Lichtblick (docs/protocol.md section 14), on server.path and on /.
    auto *foxglove = new FoxgloveFrontend(config, m_hub, m_auth.get());
    addFrontend(foxglove);
    m_listener->addUpgradeRoute({foxglove::subprotocols(), {QStringLiteral("/")},
                                 [foxglove](const HttpRequestHead &head, QByteArray *why) {
                                     return foxglove->admitsUpgrade(head, why);
                                 }});
}

Server::~Server()
{
    // The front ends' sessions hold members in the hub and wait on the
    // router: they go first, then the connections, then the hub.
    qDeleteAll(m_frontends);
    m_frontends.clear();
    // Recordings end with their `ended` stamped, the queue on the disk.
    delete m_recorder;
    m_recorder = nullptr;
    delete m_halhub;
    m_halhub = nullptr;
    delete m_connections;
    m_connections = nullptr;
}

bool Server::prepare(QString *error)
{
    if (m_prepared)
        return true;
    if (!m_auth->load(error))
        return false;
    if (!m_config.auth.auditLog.isEmpty()) {
        if (!m_hub->auditLog()->open(m_config.auth.auditLog, error))
            return false;
        qCInfo(lcAuth).noquote() << "audit log:" << m_config.auth.auditLog;
    }
    if (!m_listener->prepare(error))
        return false;
    m_prepared = true;
    return true;
}

bool Server::start(QString *error)
{
    if (!prepare(error))
        return false;
    if (!m_listener->listen(error))
        return false;
    if (m_config.metrics.port) {
        m_metricsHttp = new MetricsHttpServer(this);
        m_metricsHttp->setMetricsProvider([this] { return prometheusText(); });
        m_metricsHttp->setHealthProvider([this] { return m_metrics->health(m_shuttingDown); });
        if (!m_metricsHttp->listen(m_listener->address(), *m_config.metrics.port)) {
            *error = QStringLiteral("cannot listen for metrics on port %1")
                         .arg(*m_config.metrics.port);
            return false;
        }
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

void Server::onNewSocket(QWebSocket *socket, const Transport &transport)
{
    if (m_shuttingDown) {
        socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("server shutting down"));
        socket->deleteLater();
        return;
    }
    // Read before the socket moves to its I/O thread, and only when
    // someone needs it: a copy per connection adds up with thousands.
    const bool needsRequest = m_auth->isRequired() || !m_frontends.isEmpty();
    const QNetworkRequest upgrade = needsRequest ? socket->request() : QNetworkRequest();
    Frontend *frontend = m_halhub;
    for (Frontend *f : std::as_const(m_frontends)) {
        if (f->accepts(upgrade)) {
            frontend = f;
            break;
        }
    }
    ClientConnection *connection = m_connections->adopt(socket, transport);
    m_auth->admit(connection, upgrade);
    frontend->addConnection(connection);
    Q_EMIT clientConnected(connection->id());
}

void Server::onConnectionClosed(quint64 id)
{
    Q_EMIT clientDisconnected(id);
    if (m_shuttingDown && m_connections->count() == 0)
        Q_EMIT shutdownComplete();
}

void Server::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_listener->setShuttingDown(true);
    qCInfo(lcNet) << "shutting down;" << m_connections->count() << "connections to close";
    for (Frontend *f : std::as_const(m_frontends))
        f->announceShutdown();
    m_halhub->announceShutdown();
    m_connections->closeAll(closecode::kGoingAway, QStringLiteral("server shutting down"));
    if (m_connections->count() == 0) {
        QMetaObject::invokeMethod(this, &Server::shutdownComplete, Qt::QueuedConnection);
        return;
    }
    // Connections that do not finish their close in time are cut.
    QTimer::singleShot(kShutdownCloseMs + 200, this, [this] {
        if (m_connections->count() > 0)
            Q_EMIT shutdownComplete();
    });
}

bool Server::isInsecure() const
{
    return !m_config.auth.required && !isLoopbackHost(m_config.server.host);
}

int Server::clientCount() const
{
    return m_connections->count();
}

int Server::streamCount() const
{
    int n = m_halhub->streamCount();
    for (const Frontend *f : m_frontends)
        n += f->streamCount();
    return n;
}

int Server::sessionCount() const
{
    return m_halhub->sessionCount();
}

QString Server::clientAddress(quint64 id) const
{
    const ClientConnection *c = m_connections->connection(id);
    return c ? c->peerName() : QString();
}

QList<ClientStats> Server::clientStats() const
{
    QList<ClientStats> list;
    const QList<ClientConnection *> connections = m_connections->connections();
    for (const ClientConnection *c : connections) {
        ClientStats s;
        s.id = c->id();
        s.address = c->peerName();
        s.user = c->subject();
        if (const std::optional<HalhubClientInfo> info = m_halhub->clientInfo(c->id())) {
            s.user = info->principal;
            s.session = info->session;
            s.client = info->client;
            s.streams = info->streams;
        }
        s.connectedAtMs = c->connectedAtMs();
        s.encoding = messages::encodingName(c->encoding());
        s.compression = c->compression();
        s.messagesIn = c->messagesIn();
        s.messagesOut = c->messagesOut();
        s.unsentBytes = c->unsentBytes();
        s.rateLimitHits = c->rateLimitHits();
        list.append(s);
    }
    return list;
}

QList<StreamStats> Server::streamStats() const
{
    return m_halhub->streamStats();
}

const LatencyHistogram &Server::latency() const
{
    return m_hub->latency();
}

qint64 Server::latencyClockMs() const
{
    return m_hub->clockMs();
}

qint64 Server::uptimeSeconds() const
{
    return m_hub->uptimeSeconds();
}

qint64 Server::messagesSentTotal() const
{
    return m_connections->messagesSentTotal();
}

qint64 Server::messagesReceivedTotal() const
{
    return m_connections->messagesReceivedTotal();
}

QVariantMap Server::metricsReply() const
{
    return m_metrics->reply();
}

QByteArray Server::prometheusText() const
{
    return m_metrics->prometheus();
}

void Server::disconnectClient(quint64 id)
{
    m_connections->disconnect(id);
}

void Server::addFrontend(Frontend *frontend)
{
    frontend->setParent(this);
    m_frontends.prepend(frontend);
}

DeviceBus *Server::bus() const
{
    return m_hub->bus();
}

CommandDesk *Server::commands() const
{
    return m_hub->commands();
}

AuditLog *Server::auditLog() const
{
    return m_hub->auditLog();
}

void Server::setClusterStatus(std::function<QVariantMap()> status)
{
    m_metrics->setClusterStatus(std::move(status));
}

} // namespace halhub
