#include "server/connectionregistry.h"

#include "logging.h"
#include "net/clientconnection.h"
#include "net/iothread.h"
#include "net/ratelimiter.h"

#include <QWebSocket>

namespace halhub {

ConnectionRegistry::ConnectionRegistry(const Config &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
{
    m_io = std::make_unique<IoThreadPool>(config.server.ioThreads < 0 ? IoThreadPool::defaultCount()
                                                                      : config.server.ioThreads);
    // One watchdog for every connection: a timer each would cost the event
    // loop dearly with thousands of clients.
    m_watchdog.setTimerType(Qt::PreciseTimer);
    m_watchdog.setInterval(ClientConnection::watchdogIntervalMs(config.server.heartbeatMs));
    connect(&m_watchdog, &QTimer::timeout, this, [this] {
        for (ClientConnection *connection : connections())
            connection->watchdogTick();
    });
    m_watchdog.start();
}

ConnectionRegistry::~ConnectionRegistry()
{
    // Connections hand their sockets back to the I/O threads when deleted:
    // they go before the threads stop.
    for (auto &[id, connection] : m_connections)
        delete connection;
    m_connections.clear();
    m_io.reset();
    qDeleteAll(m_ipBuckets);
    qDeleteAll(m_userBuckets);
}

ClientConnection *ConnectionRegistry::adopt(QWebSocket *socket, const Transport &transport)
{
    ConnectionLimits limits;
    limits.rateLimitPerMin = m_config.limits.rateLimitPerMin;
    limits.maxMessageBytes = m_config.limits.maxMessageBytes;
    limits.sendHighWaterBytes = m_config.limits.sendHighWaterBytes;
    limits.heartbeatMs = m_config.server.heartbeatMs;

    const quint64 id = ++m_nextId;
    auto *connection = new ClientConnection(socket, transport, m_io->next(), limits, id, this);
    m_connections.emplace(id, connection);
    shareBuckets(connection);
    // The per-user bucket joins once the connection has a user.
    connect(connection, &ClientConnection::userKnown, this,
            [this, connection] { shareBuckets(connection); });
    connect(connection, &ClientConnection::closed, this,
            [this, connection] { onClosed(connection); });
    qCInfo(lcNet).noquote() << "client" << id << "connected from" << connection->peerName();
    return connection;
}

void ConnectionRegistry::shareBuckets(ClientConnection *connection)
{
    const QString user = connection->subject();
    connection->setSharedBuckets(ipBucket(connection->peerAddress()),
                                 user.isEmpty() ? nullptr : userBucket(user));
}

TokenBucket *ConnectionRegistry::ipBucket(const QHostAddress &address)
{
    TokenBucket *&bucket = m_ipBuckets[address.toString()];
    if (!bucket)
        bucket = new TokenBucket(m_config.limits.rateLimitPerIpPerMin);
    return bucket;
}

TokenBucket *ConnectionRegistry::userBucket(const QString &user)
{
    TokenBucket *&bucket = m_userBuckets[user];
    if (!bucket)
        bucket = new TokenBucket(m_config.limits.rateLimitPerUserPerMin);
    return bucket;
}

void ConnectionRegistry::onClosed(ClientConnection *connection)
{
    const auto it = m_connections.find(connection->id());
    if (it == m_connections.end())
        return;
    m_closedMessagesIn += connection->messagesIn();
    m_closedMessagesOut += connection->messagesOut();
    m_connections.erase(it);
    qCInfo(lcNet) << "client" << connection->id() << "disconnected";
    Q_EMIT closed(connection->id());
    connection->deleteLater();
}

ClientConnection *ConnectionRegistry::connection(quint64 id) const
{
    const auto it = m_connections.find(id);
    return it == m_connections.end() ? nullptr : it->second;
}

QList<ClientConnection *> ConnectionRegistry::connections() const
{
    QList<ClientConnection *> list;
    list.reserve(qsizetype(m_connections.size()));
    for (const auto &[id, connection] : m_connections)
        list.append(connection);
    return list;
}

void ConnectionRegistry::closeAll(int code, const QString &reason)
{
    for (ClientConnection *connection : connections())
        connection->closeWith(code, reason);
}

void ConnectionRegistry::disconnect(quint64 id)
{
    if (ClientConnection *c = connection(id))
        c->closeWith(closecode::kNormal, QStringLiteral("disconnected by operator"));
}

qint64 ConnectionRegistry::messagesSentTotal() const
{
    qint64 n = m_closedMessagesOut;
    for (const auto &[id, connection] : m_connections)
        n += connection->messagesOut();
    return n;
}

qint64 ConnectionRegistry::messagesReceivedTotal() const
{
    qint64 n = m_closedMessagesIn;
    for (const auto &[id, connection] : m_connections)
        n += connection->messagesIn();
    return n;
}

} // namespace halhub
