#include "tcpline.h"

#include "hallogging.h"

namespace halhub {

TcpLine::TcpLine(const TcpEndpoint &endpoint, QObject *parent)
    : LinePort(parent)
    , m_endpoint(endpoint)
{
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this]() {
        failAttempt(QStringLiteral("no connection within %1 ms").arg(TcpConnectTimeoutMs));
    });
    m_socket.setReadBufferSize(ReadBufferBytes);
    connect(&m_socket, &QTcpSocket::connected, this, &TcpLine::onConnected);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, &TcpLine::onError);
    connect(&m_socket, &QTcpSocket::disconnected, this, &TcpLine::onDisconnected);
    connect(&m_socket, &QTcpSocket::readyRead, this, &TcpLine::onReadyRead);
}

TcpLine::~TcpLine()
{
    m_connecting = false;
    m_connected = false;
    disconnect(&m_socket, nullptr, this, nullptr);
    m_socket.abort();
}

bool TcpLine::write(const QByteArray &bytes)
{
    if (!m_connected)
        return false;
    return m_socket.write(bytes) == bytes.size();
}

void TcpLine::attemptOpen()
{
    m_connected = false;
    m_connecting = true;
    m_socket.abort();
    m_connectTimer.start(TcpConnectTimeoutMs);
    m_socket.connectToHost(m_endpoint.host, m_endpoint.port);
}

void TcpLine::closeTransport()
{
    m_connecting = false;
    m_connected = false;
    m_connectTimer.stop();
    m_socket.abort();
}

void TcpLine::failAttempt(const QString &reason)
{
    if (!m_connecting)
        return;
    m_connecting = false;
    m_connectTimer.stop();
    const QString why = QStringLiteral("cannot connect to %1: %2").arg(m_endpoint.describe(), reason);
    qCDebug(lcSerial).noquote() << why;
    m_socket.abort();
    retryLater();
    Q_EMIT openFailed(why);
}

void TcpLine::onConnected()
{
    if (!m_connecting)
        return;
    m_connecting = false;
    m_connectTimer.stop();
    m_connected = true;
    transport::applyKeepAlive(&m_socket);
    qCInfo(lcSerial).noquote() << "connected to" << m_endpoint.describe();
    markOpened(m_endpoint.describe());
    // Bytes that came with the handshake would otherwise wait for more.
    if (m_connected && m_socket.bytesAvailable() > 0)
        onReadyRead();
}

void TcpLine::onError(QAbstractSocket::SocketError error)
{
    Q_UNUSED(error);
    if (m_connecting) {
        failAttempt(m_socket.errorString());
        return;
    }
    if (!m_connected)
        return;
    m_connected = false;
    qCInfo(lcSerial).noquote() << "lost" << m_endpoint.describe() << ":" << m_socket.errorString();
    markLost(m_socket.errorString());
}

void TcpLine::onDisconnected()
{
    if (!m_connected)
        return;
    m_connected = false;
    qCInfo(lcSerial).noquote() << "lost" << m_endpoint.describe() << ": closed by the peer";
    markLost(QStringLiteral("connection closed by the peer"));
}

void TcpLine::onReadyRead()
{
    if (!m_connected || delivering())
        return;
    deliver(m_socket.readAll());
}

} // namespace halhub
