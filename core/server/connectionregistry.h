#pragma once

#include "config/config.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <map>
#include <memory>

class QHostAddress;
class QWebSocket;

namespace halhub {

class ClientConnection;
class IoThreadPool;
class TokenBucket;
struct Transport;

// Every open client connection, whichever front end serves it: makes a
// ClientConnection for each upgraded socket (on one of the I/O threads),
// gives it the rate-limit buckets it shares with its IP and its user, runs
// the one watchdog timer for all of them, counts their traffic, and forgets
// (and deletes) each one when it closes.
class ConnectionRegistry : public QObject
{
    Q_OBJECT
public:
    explicit ConnectionRegistry(const Config &config, QObject *parent = nullptr);
    ~ConnectionRegistry() override;

    // Takes the socket (see ClientConnection) and registers its connection.
    ClientConnection *adopt(QWebSocket *socket, const Transport &transport);

    int count() const { return int(m_connections.size()); }
    ClientConnection *connection(quint64 id) const;
    // A copy: a write can close a connection, and so remove it, while the
    // caller walks the list.
    QList<ClientConnection *> connections() const;
    // Closes every connection with the code (shutdown).
    void closeAll(int code, const QString &reason);
    // Closes one (GUI action) with 1000.
    void disconnect(quint64 id);

    qint64 messagesSentTotal() const;
    qint64 messagesReceivedTotal() const;

Q_SIGNALS:
    // The connection is forgotten; it is deleted later.
    void closed(quint64 id);

private:
    void onClosed(ClientConnection *connection);
    void shareBuckets(ClientConnection *connection);
    TokenBucket *ipBucket(const QHostAddress &address);
    TokenBucket *userBucket(const QString &user);

    Config m_config;
    // The threads that serve the sockets (server.io_threads).
    std::unique_ptr<IoThreadPool> m_io;
    std::map<quint64, ClientConnection *> m_connections;
    quint64 m_nextId = 0;
    QHash<QString, TokenBucket *> m_ipBuckets;
    QHash<QString, TokenBucket *> m_userBuckets;
    qint64 m_closedMessagesIn = 0;
    qint64 m_closedMessagesOut = 0;
    QTimer m_watchdog;
};

} // namespace halhub
