#pragma once

#include "lineport.h"
#include "transport.h"

#include <QTcpSocket>
#include <QTimer>

namespace halhub {

// A line instrument on a raw TCP socket (an LXI instrument on 5025, a
// serial-to-Ethernet bridge). A refused, reset or closed connection is a
// lost port as on a serial line: `lost`, then reconnecting with the same
// backoff. A connect that takes longer than TcpConnectTimeoutMs fails;
// keepalive (transport::applyKeepAlive) notices a vanished peer.
class TcpLine final : public LinePort
{
    Q_OBJECT
public:
    explicit TcpLine(const TcpEndpoint &endpoint, QObject *parent = nullptr);
    ~TcpLine() override;

    bool isOpen() const override { return m_connected; }
    QString portPath() const override { return m_endpoint.describe(); }
    bool write(const QByteArray &bytes) override;

private:
    void attemptOpen() override;
    void closeTransport() override;
    void onConnected();
    void onError(QAbstractSocket::SocketError error);
    void onDisconnected();
    void onReadyRead();
    void failAttempt(const QString &reason);

    TcpEndpoint m_endpoint;
    QTcpSocket m_socket;
    QTimer m_connectTimer;
    bool m_connecting = false;
    bool m_connected = false;
};

} // namespace halhub
