#include "net/websocketlistener.h"

#include "logging.h"
#include "net/handshake.h"
#include "net/staticpages.h"
#include "net/tlsfiles.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

namespace halhub {

namespace {
constexpr qsizetype kMaxHeadBytes = 16384;

// Accepted sockets start their TLS handshake at once; nothing but
// encrypted traffic is ever read from them.
class TlsTcpServer final : public QTcpServer
{
public:
    using QTcpServer::QTcpServer;
    QSslConfiguration configuration;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setSslConfiguration(configuration);
        connect(socket, &QSslSocket::errorOccurred, socket,
                [socket](QAbstractSocket::SocketError error) {
                    // A peer that hangs up after the handshake ends its
                    // connection; only the other errors are failures.
                    if (error != QAbstractSocket::RemoteHostClosedError || !socket->isEncrypted()) {
                        qCInfo(lcNet).noquote()
                            << "TLS connection from" << socket->peerAddress().toString()
                            << "failed:" << socket->errorString();
                    }
                    socket->abort();
                });
        addPendingConnection(socket);
        socket->startServerEncryption();
    }
};

QByteArray readFile(const QString &name, const QString &key, QString *error)
{
    QFile file(name);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read '%2': %3").arg(key, name, file.errorString());
        return {};
    }
    QByteArray bytes = file.readAll();
    if (bytes.isEmpty())
        *error = QStringLiteral("%1: '%2' is empty").arg(key, name);
    return bytes;
}
} // namespace

WebSocketListener::WebSocketListener(const ServerConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_pages(std::make_unique<StaticPages>(config.path))
    , m_tcp(config.tls ? new TlsTcpServer(this) : new QTcpServer(this))
    , m_ws(new QWebSocketServer(QStringLiteral("halhub/" HALHUB_VERSION),
                                QWebSocketServer::NonSecureMode, this))
{
    m_clock.start();
    m_tcp->setMaxPendingConnections(256);
    connect(m_tcp, &QTcpServer::newConnection, this, &WebSocketListener::onNewTcpConnection);
    setHandshakeTimeout(m_handshakeTimeoutMs);
    connect(&m_handshakeSweep, &QTimer::timeout, this, &WebSocketListener::dropExpiredHandshakes);
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (m_ws->hasPendingConnections()) {
            QWebSocket *socket = m_ws->nextPendingConnection();
            const Transport transport =
                m_upgrading.take(peerKey(socket->peerAddress(), socket->peerPort()));
            if (transport.socket)
                disconnect(transport.socket, &QObject::destroyed, this, nullptr);
            // QWebSocketServer deletes a socket that disconnects; a TLS
            // socket stays in use under the channel that takes it over (a
            // plain one is let go once its descriptor is duplicated).
            if (m_config.tls && transport.socket)
                QObject::disconnect(transport.socket, &QAbstractSocket::disconnected, m_ws, nullptr);
            Q_EMIT newSocket(socket, transport);
        }
    });
}

WebSocketListener::~WebSocketListener() = default;

bool WebSocketListener::loadTls(QString *error)
{
    error->clear();
    if (!QSslSocket::supportsSsl()) {
        *error = QStringLiteral("server.tls: this Qt has no TLS backend (%1)")
                     .arg(QSslSocket::activeBackend());
        return false;
    }
    const QByteArray certPem = readFile(m_config.tls->certFile, QStringLiteral("server.tls.cert"), error);
    if (!error->isEmpty())
        return false;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QStringLiteral("server.tls.cert: '%1' holds no PEM certificate")
                     .arg(m_config.tls->certFile);
        return false;
    }
    const QByteArray keyPem = readFile(m_config.tls->keyFile, QStringLiteral("server.tls.key"), error);
    if (!error->isEmpty())
        return false;
    QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull()) {
        *error = QStringLiteral("server.tls.key: '%1' holds no unencrypted PEM RSA or EC private key")
                     .arg(m_config.tls->keyFile);
        return false;
    }
    // Qt would take any key and let every handshake fail.
    QString why;
    if (!isKeyOfCertificate(chain.first(), key, &why)) {
        *error = QStringLiteral("server.tls.key does not match server.tls.cert: '%1' is not the "
                                "private key of the certificate in '%2' (%3)")
                     .arg(m_config.tls->keyFile, m_config.tls->certFile, why);
        return false;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    static_cast<TlsTcpServer *>(m_tcp)->configuration = configuration;
    return true;
}

bool WebSocketListener::prepare(QString *error)
{
    if (m_config.tls && !m_sslReady && !loadTls(error))
        return false;
    m_sslReady = true;
    if (m_config.host != QLatin1String("localhost") && QHostAddress(m_config.host).isNull()) {
        *error = QStringLiteral("server.host: '%1' is not an IP address").arg(m_config.host);
        return false;
    }
    return true;
}

bool WebSocketListener::listen(QString *error)
{
    if (!prepare(error))
        return false;
    QHostAddress address;
    if (m_config.host == QLatin1String("localhost"))
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(m_config.host)) {
        *error = QStringLiteral("server.host: '%1' is not an IP address").arg(m_config.host);
        return false;
    }
    if (!m_tcp->listen(address, m_config.port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(m_config.host).arg(m_config.port).arg(m_tcp->errorString());
        return false;
    }
    return true;
}

quint16 WebSocketListener::port() const
{
    return m_tcp->serverPort();
}

QHostAddress WebSocketListener::address() const
{
    return m_tcp->serverAddress();
}

void WebSocketListener::close()
{
    m_tcp->close();
}

void WebSocketListener::setHandshakeTimeout(int ms)
{
    m_handshakeTimeoutMs = qMax(1, ms);
    // Deadlines are checked a tenth of the timeout apart: a peer is dropped
    // between 1 and 1.1 timeouts after it connected.
    m_handshakeSweep.setInterval(qBound(1, m_handshakeTimeoutMs / 10, 1000));
}

void WebSocketListener::onNewTcpConnection()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
        // Telemetry is many small messages: without TCP_NODELAY, Nagle's
        // algorithm holds one back until the peer's delayed ACK (40 ms).
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_pending.insert(socket, {m_clock.elapsed() + m_handshakeTimeoutMs, false});
        if (!m_handshakeSweep.isActive())
            m_handshakeSweep.start();
        // Nothing is read from the socket here, only peeked: QWebSocketServer
        // reads the same request again to do the upgrade.
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { inspect(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_pending.remove(socket);
            socket->deleteLater();
        });
        if (socket->bytesAvailable() > 0)
            inspect(socket);
    }
}

void WebSocketListener::dropExpiredHandshakes()
{
    const qint64 now = m_clock.elapsed();
    QList<QTcpSocket *> expired;
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        if (it->deadlineMs <= now)
            expired.append(it.key());
    }
    // abort() emits disconnected at once, which takes the socket out of
    // m_pending: the loop above must not be the one running.
    for (QTcpSocket *socket : std::as_const(expired)) {
        if (m_pending.remove(socket))
            socket->abort();
        socket->deleteLater();
    }
    if (m_pending.isEmpty())
        m_handshakeSweep.stop();
}

void WebSocketListener::inspect(QTcpSocket *socket)
{
    const auto pending = m_pending.constFind(socket);
    if (pending == m_pending.cend() || pending->refused)
        return;
    HttpRequestHead head;
    // Only what is there: peek(n) allocates n bytes whatever it finds, and
    // a request head is a few hundred.
    const QByteArray bytes = socket->peek(qMin<qint64>(socket->bytesAvailable(), kMaxHeadBytes + 1));
    switch (parseRequestHead(bytes, &head, kMaxHeadBytes)) {
    case ParseStatus::Incomplete:
        return;
    case ParseStatus::TooLarge:
        refuse(socket, 431, "Request Header Fields Too Large", "request head too large\n");
        return;
    case ParseStatus::Invalid:
        refuse(socket, 400, "Bad Request", "not an HTTP request\n");
        return;
    case ParseStatus::Ok:
        break;
    }
    if (m_shuttingDown) {
        refuse(socket, 503, "Service Unavailable", "server shutting down\n");
        return;
    }
    // The web monitor's page and assets (section 13), answered and closed.
    if (StaticPages::isPageRequest(head)) {
        m_pending[socket].refused = true;
        socket->write(m_pages->respond(head));
        socket->disconnectFromHost();
        return;
    }
    const UpgradeRoute *route = routeFor(head);
    if (head.url.path() != m_config.path && !route) {
        refuse(socket, 404, "Not Found",
               "no WebSocket endpoint here; use " + m_config.path.toUtf8() + "\n");
        return;
    }
    const QByteArray origin = head.headers.value("origin");
    if (head.headers.contains("origin") && !isOriginAllowed(origin, m_config.allowedOrigins)) {
        qCWarning(lcNet) << "refused foreign origin" << origin << "from"
                         << socket->peerAddress().toString();
        refuse(socket, 403, "Forbidden", "origin not allowed\n");
        return;
    }
    const int open = m_counter ? m_counter() : 0;
    if (open >= m_config.maxClients) {
        refuse(socket, 503, "Service Unavailable", "too many clients\n");
        return;
    }
    QByteArray why;
    if (route && route->admit && !route->admit(head, &why)) {
        refuse(socket, 401, "Unauthorized", why + '\n');
        return;
    }
    // From here on QWebSocketServer owns the socket: its handshake timeout,
    // its errors, its deletion.
    m_pending.remove(socket);
    if (m_pending.isEmpty())
        m_handshakeSweep.stop();
    socket->disconnect(this);
    const QString key = peerKey(socket->peerAddress(), socket->peerPort());
    Transport transport;
    transport.socket = socket;
    // What the client sent behind its request head, without waiting for
    // the answer, would be read (and dropped) by QWebSocket during the
    // upgrade: it is taken out of Qt's buffer here (with TLS, the
    // decrypted one), only the head is put back, and Qt reads no more
    // until the connection is taken over, so that the rest stays in the
    // kernel (or undecrypted) for the new owner. (A channel that takes
    // the connection over sets its own limit.)
    const QByteArray buffered = socket->read(socket->bytesAvailable());
    const qsizetype headEnd = buffered.indexOf("\r\n\r\n") + 4;
    transport.early = buffered.mid(headEnd);
    for (qsizetype i = headEnd - 1; i >= 0; --i)
        socket->ungetChar(buffered.at(i));
    socket->setReadBufferSize(headEnd);
    m_upgrading.insert(key, transport);
    // A failed upgrade deletes the socket; a successful one hands it on
    // (and its QWebSocket deletes it later): either way, forget it.
    connect(socket, &QObject::destroyed, this, [this, key, socket] {
        if (m_upgrading.value(key).socket == socket)
            m_upgrading.remove(key);
    });
    m_ws->handleConnection(socket);
}

void WebSocketListener::addUpgradeRoute(const UpgradeRoute &route)
{
    m_routes.append(route);
    QStringList subprotocols = m_ws->supportedSubprotocols();
    for (const QByteArray &p : route.subprotocols)
        subprotocols.append(QString::fromLatin1(p));
    m_ws->setSupportedSubprotocols(subprotocols);
}

const WebSocketListener::UpgradeRoute *WebSocketListener::routeFor(const HttpRequestHead &head) const
{
    if (m_routes.isEmpty() || !head.headers.contains("sec-websocket-protocol"))
        return nullptr;
    const QByteArray offered = head.headers.value("sec-websocket-protocol");
    const QString path = head.url.path();
    for (const UpgradeRoute &route : m_routes) {
        if ((path == m_config.path || route.paths.contains(path))
                && offersSubprotocol(offered, route.subprotocols))
            return &route;
    }
    return nullptr;
}

QString WebSocketListener::peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char(' ') + QString::number(port);
}

void WebSocketListener::refuse(QTcpSocket *socket, int status, const QByteArray &reason,
                               const QByteArray &body)
{
    // It stays pending, so that a peer that never reads the answer is still
    // dropped at its deadline.
    m_pending[socket].refused = true;
    qCInfo(lcNet).noquote() << "refused" << socket->peerAddress().toString() << "with" << status;
    socket->write(httpErrorResponse(status, reason, body));
    socket->disconnectFromHost();
}

} // namespace halhub
