#pragma once

#include "config/config.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>

#include <functional>

class QAbstractSocket;
class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace halhub {

// Accepts TCP connections and makes the checks of PROTOCOL.md section 1
// before the WebSocket upgrade: a wrong path gets 404, a foreign Origin 403,
// one connection too many or a server shutting down 503. What passes is
// upgraded by QWebSocketServer and handed out by newSocket. With TLS the
// checks read the decrypted request: TLS is ours, the upgrade is the same.
class WebSocketListener : public QObject
{
    Q_OBJECT
public:
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

Q_SIGNALS:
    // An upgraded connection; the receiver takes ownership of socket.
    // transport is the TCP (or TLS) socket under it, which QWebSocket owns
    // and deletes; null if it could not be told.
    void newSocket(QWebSocket *socket, QAbstractSocket *transport);

private:
    void onNewTcpConnection();
    void inspect(QTcpSocket *socket);
    void refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body);
    bool loadTls(QString *error);
    static QString peerKey(const QHostAddress &address, quint16 port);

    ServerConfig m_config;
    QTcpServer *m_tcp = nullptr;
    QWebSocketServer *m_ws = nullptr;
    std::function<int()> m_counter;
    // Sockets in QWebSocketServer's upgrade, by peer address and port (one
    // live TCP connection each): how an upgraded QWebSocket is matched
    // with its transport.
    QHash<QString, QAbstractSocket *> m_upgrading;
    bool m_sslReady = false;
    bool m_shuttingDown = false;
};

} // namespace halhub
