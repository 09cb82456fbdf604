#include "metrics/metricshttpserver.h"

#include "logging.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace halhub {

namespace {

// Index just past the blank line that ends the request head, or -1. Bare LF
// line ends are accepted too, as RFC 9112 allows a server to.
int headEnd(const QByteArray &buffer)
{
    int lineStart = 0;
    for (;;) {
        const int lf = buffer.indexOf('\n', lineStart);
        if (lf < 0)
            return -1;
        const int length = lf - lineStart;
        if (length == 0 || (length == 1 && buffer.at(lineStart) == '\r'))
            return lf + 1;
        lineStart = lf + 1;
    }
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 408: return QByteArrayLiteral("Request Timeout");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 503: return QByteArrayLiteral("Service Unavailable");
    default: return QByteArrayLiteral("Error");
    }
}

const QByteArray kTextPlain = QByteArrayLiteral("text/plain; charset=utf-8");
const QByteArray kPrometheusText = QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
const QByteArray kJson = QByteArrayLiteral("application/json");

} // namespace

MetricsHttpServer::MetricsHttpServer(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &MetricsHttpServer::onNewConnection);
}

MetricsHttpServer::~MetricsHttpServer()
{
    close();
}

bool MetricsHttpServer::listen(const QHostAddress &address, quint16 port)
{
    if (m_server->isListening())
        close();
    if (!m_server->listen(address, port)) {
        qCWarning(lcMetrics).noquote() << "metrics listener cannot bind" << address.toString()
                                       << port << ":" << m_server->errorString();
        return false;
    }
    qCInfo(lcMetrics).noquote() << QStringLiteral("metrics on http://%1:%2/metrics")
                                           .arg(m_server->serverAddress().toString())
                                           .arg(m_server->serverPort());
    return true;
}

quint16 MetricsHttpServer::port() const
{
    return m_server->isListening() ? m_server->serverPort() : 0;
}

bool MetricsHttpServer::isListening() const
{
    return m_server->isListening();
}

QString MetricsHttpServer::errorString() const
{
    return m_server->errorString();
}

void MetricsHttpServer::close()
{
    m_server->close();
    // Detach before aborting: abort() emits disconnected synchronously, and
    // that handler would edit m_clients while we walk it.
    const QList<QTcpSocket *> sockets = m_clients.keys();
    m_clients.clear();
    for (QTcpSocket *socket : sockets) {
        disconnect(socket, nullptr, this, nullptr);
        socket->abort();
        socket->deleteLater();
    }
}

void MetricsHttpServer::onNewConnection()
{
    while (m_server->hasPendingConnections()) {
        QTcpSocket *socket = m_server->nextPendingConnection();
        if (!socket)
            break;
        if (m_clients.size() >= kMaxConnections) {
            // A scraper needs one connection; many at once is a client gone wrong.
            qCDebug(lcMetrics) << "metrics listener full, dropping" << socket->peerAddress();
            socket->abort();
            socket->deleteLater();
            continue;
        }
        Client client;
        // Parented to the socket: gone with it, never fires on a dead socket.
        client.timer = new QTimer(socket);
        client.timer->setSingleShot(true);
        connect(client.timer, &QTimer::timeout, this, [this, socket] { onTimeout(socket); });
        client.timer->start(m_timeoutMs);
        m_clients.insert(socket, client);
        // Headers are read in slices of at most this much, so a client
        // streaming garbage cannot grow the socket buffer without bound.
        socket->setReadBufferSize(kMaxHeaderBytes + 1);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_clients.remove(socket);
            socket->deleteLater();
        });
        connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] {
            if (socket->bytesToWrite() == 0)
                finishResponse(socket);
        });
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void MetricsHttpServer::onReadyRead(QTcpSocket *socket)
{
    auto it = m_clients.find(socket);
    if (it == m_clients.end())
        return;
    if (it->answered) {
        // Anything after the request (a body, a pipelined request) is ignored:
        // the connection closes once the response is out.
        socket->readAll();
        return;
    }
    const qint64 room = kMaxHeaderBytes + 1 - it->buffer.size();
    it->buffer += socket->read(room);
    const int end = headEnd(it->buffer);
    if (end >= 0 && end <= kMaxHeaderBytes) {
        const QByteArray head = it->buffer.left(end);
        it->buffer.clear();
        handleRequest(socket, head);
        return;
    }
    if (it->buffer.size() > kMaxHeaderBytes)
        respond(socket, 431, kTextPlain, QByteArrayLiteral("request headers too large\n"));
}

void MetricsHttpServer::onTimeout(QTcpSocket *socket)
{
    auto it = m_clients.find(socket);
    if (it == m_clients.end())
        return;
    if (it->answered) {
        // The peer neither took the response nor hung up in time: give up.
        socket->abort();
        return;
    }
    respond(socket, 408, kTextPlain, QByteArrayLiteral("request timeout\n"));
}

void MetricsHttpServer::handleRequest(QTcpSocket *socket, const QByteArray &head)
{
    const int lineEnd = head.indexOf('\n');
    QByteArray requestLine = head.left(lineEnd);
    if (requestLine.endsWith('\r'))
        requestLine.chop(1);
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || parts.at(0).isEmpty() || !parts.at(1).startsWith('/')
        || !parts.at(2).startsWith("HTTP/1.")) {
        respond(socket, 400, kTextPlain, QByteArrayLiteral("bad request\n"));
        return;
    }
    const QByteArray &method = parts.at(0);
    QByteArray path = parts.at(1);
    const int query = path.indexOf('?');
    if (query >= 0)
        path.truncate(query);

    if (path != "/metrics" && path != "/healthz") {
        respond(socket, 404, kTextPlain, QByteArrayLiteral("not found\n"));
        return;
    }
    // HEAD comes free with GET and HTTP/1.1 expects it of any server.
    const bool isHead = method == "HEAD";
    if (method != "GET" && !isHead) {
        respond(socket, 405, kTextPlain, QByteArrayLiteral("method not allowed\n"), true,
                QByteArrayLiteral("Allow: GET, HEAD\r\n"));
        return;
    }
    if (path == "/metrics") {
        respond(socket, 200, kPrometheusText, m_metrics ? m_metrics() : QByteArray(), !isHead);
        return;
    }
    if (m_health) {
        const auto [healthy, body] = m_health();
        respond(socket, healthy ? 200 : 503, kJson, body, !isHead);
    } else {
        respond(socket, 503, kJson, QByteArrayLiteral("{\"status\":\"unknown\"}"), !isHead);
    }
}

void MetricsHttpServer::respond(QTcpSocket *socket, int status, const QByteArray &contentType,
                                const QByteArray &body, bool withBody,
                                const QByteArray &extraHeaders)
{
    auto it = m_clients.find(socket);
    if (it == m_clients.end() || it->answered)
        return;
    it->answered = true;
    it->buffer.clear();

    QByteArray response;
    response.reserve(160 + extraHeaders.size() + body.size());
    response += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    response += "Content-Type: " + contentType + "\r\n";
    response += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    response += "Cache-Control: no-store\r\n";
    response += "Connection: close\r\n";
    response += extraHeaders;
    response += "\r\n";
    if (withBody)
        response += body;
    it->timer->start(kLingerMs);
    if (status >= 400)
        qCDebug(lcMetrics) << "metrics request from" << socket->peerAddress() << "->" << status;
    socket->write(response);
    if (socket->bytesToWrite() == 0)
        finishResponse(socket);
}

void MetricsHttpServer::finishResponse(QTcpSocket *socket)
{
    auto it = m_clients.find(socket);
    if (it == m_clients.end() || !it->answered || it->finished)
        return;
    it->finished = true;
    socket->readAll();
#ifdef Q_OS_UNIX
    // Half-close and keep draining until the peer hangs up (RFC 9112 9.6):
    // closing outright with unread request bytes (oversized headers, an
    // ignored body) makes the kernel send a reset that can destroy the
    // response before the client reads it.
    if (::shutdown(int(socket->socketDescriptor()), SHUT_WR) == 0)
        return;
#endif
    // `disconnected` cleans up, possibly right here: `it` is not used after.
    socket->disconnectFromHost();
}

} // namespace halhub
