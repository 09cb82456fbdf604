#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>

#include <functional>
#include <utility>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace halhub {

// The optional metrics listener (docs/protocol.md section 10): GET /metrics (Prometheus
// text) and GET /healthz (JSON). A deliberately small HTTP/1.1 server: one
// request per connection, answered with `Connection: close`. Requests may
// arrive in pieces; oversized headers get 431, clients that do not finish a
// request in time get 408, and both are disconnected.
class MetricsHttpServer : public QObject
{
    Q_OBJECT

public:
    using MetricsProvider = std::function<QByteArray()>;
    // first: healthy (200) or not (503); second: the JSON body.
    using HealthProvider = std::function<std::pair<bool, QByteArray>()>;

    static constexpr int kMaxHeaderBytes = 8 * 1024;
    static constexpr int kDefaultRequestTimeoutMs = 10000;
    static constexpr int kMaxConnections = 64;
    // After the response: how long a client gets to read it and hang up.
    static constexpr int kLingerMs = 2000;

    explicit MetricsHttpServer(QObject *parent = nullptr);
    ~MetricsHttpServer() override;

    void setMetricsProvider(MetricsProvider provider) { m_metrics = std::move(provider); }
    void setHealthProvider(HealthProvider provider) { m_health = std::move(provider); }
    // Time a client has from connecting until its response is handed over.
    void setRequestTimeout(int ms) { m_timeoutMs = ms; }

    // port 0 picks an ephemeral port (see port()). False if it cannot bind.
    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    bool isListening() const;
    QString errorString() const;
    // Stops listening and drops open connections.
    void close();

private:
    struct Client
    {
        QByteArray buffer;
        QTimer *timer = nullptr;    // request deadline, then linger deadline
        bool answered = false;
        bool finished = false;      // our side has said all it will say
    };

    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void onTimeout(QTcpSocket *socket);
    void finishResponse(QTcpSocket *socket);
    void handleRequest(QTcpSocket *socket, const QByteArray &head);
    void respond(QTcpSocket *socket, int status, const QByteArray &contentType,
                 const QByteArray &body, bool withBody = true,
                 const QByteArray &extraHeaders = {});

    QTcpServer *m_server = nullptr;
    QHash<QTcpSocket *, Client> m_clients;
    MetricsProvider m_metrics;
    HealthProvider m_health;
    int m_timeoutMs = kDefaultRequestTimeoutMs;
};

} // namespace halhub
