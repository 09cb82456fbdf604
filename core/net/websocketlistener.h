#pragma once

#include "config/config.h"
#include "net/handshake.h"
#include "net/socketchannel.h"

#include <QByteArrayList>
#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

class QAbstractSocket;
class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace halhub {

class StaticPages;

// Accepts TCP connections and makes the checks of docs/protocol.md section 1
// before the WebSocket upgrade: a wrong path gets 404, a foreign Origin 403,
// one connection too many or a server shutting down 503. What passes is
// upgraded by QWebSocketServer and handed out by newSocket. With TLS the
// checks read the decrypted request: TLS is ours, the upgrade is the same.
class WebSocketListener : public QObject
{
    Q_OBJECT
public:
    // The upgrades of another protocol, told apart by the subprotocols they
    // offer (docs/protocol.md section 14): they are served on server.path
    // and on the route's own paths too, answered with the subprotocol
    // offered, and pass the same checks (Origin, max_clients), then admit:
    // false refuses the upgrade with 401 and *why.
    struct UpgradeRoute
    {
        QByteArrayList subprotocols;
        QStringList paths;
        std::function<bool(const HttpRequestHead &head, QByteArray *why)> admit;
    };

    explicit WebSocketListener(const ServerConfig &config, QObject *parent = nullptr);
    ~WebSocketListener() override;

    // With server.tls, loads the certificate and key first (a bad file is
    // an error naming it) and serves wss:// only.
    // Loads the TLS certificate and key and checks the address: the
    // configuration's part of listening.
    bool prepare(QString *error);
    bool listen(QString *error);
    quint16 port() const;
    QHostAddress address() const;
    void close();

    // Open connections counted against max_clients.
    void setConnectionCounter(std::function<int()> counter) { m_counter = std::move(counter); }
    // From shutdown on, every new request gets 503.
    void setShuttingDown(bool shuttingDown) { m_shuttingDown = shuttingDown; }
    // A peer whose request head is not complete this long after it
    // connected is dropped (10 s by default).
    void setHandshakeTimeout(int ms);
    void addUpgradeRoute(const UpgradeRoute &route);
    int handshakeTimeout() const { return m_handshakeTimeoutMs; }

Q_SIGNALS:
    // An upgraded connection; the receiver takes ownership of socket.
    // transport is the TCP (or TLS) socket under it, which QWebSocket owns
    // and deletes; null if it could not be told.
    void newSocket(QWebSocket *socket, const Transport &transport);

private:
    void onNewTcpConnection();
    const UpgradeRoute *routeFor(const HttpRequestHead &head) const;
    void inspect(QTcpSocket *socket);
    void refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body);
    void dropExpiredHandshakes();
    bool loadTls(QString *error);
    static QString peerKey(const QHostAddress &address, quint16 port);

    ServerConfig m_config;
    std::unique_ptr<StaticPages> m_pages;   // GET / and /ui/ (section 13)
    QTcpServer *m_tcp = nullptr;
    QWebSocketServer *m_ws = nullptr;
    std::function<int()> m_counter;
    QList<UpgradeRoute> m_routes;
    // Sockets in QWebSocketServer's upgrade, by peer address and port (one
    // live TCP connection each): how an upgraded QWebSocket is matched
    // with its transport.
    QHash<QString, Transport> m_upgrading;
    bool m_sslReady = false;
    bool m_shuttingDown = false;

    // Sockets from accept until they are handed to QWebSocketServer or gone.
    // One table and one timer for all of them: a timer per socket costs a
    // QObject and a registration in the event loop each.
    struct PendingSocket
    {
        qint64 deadlineMs = 0;
        bool refused = false;   // answered with an HTTP error, closing
    };
    QHash<QTcpSocket *, PendingSocket> m_pending;
    QElapsedTimer m_clock;
    QTimer m_handshakeSweep;
    int m_handshakeTimeoutMs = 10000;
};

} // namespace halhub
