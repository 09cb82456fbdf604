#pragma once

#include "net/socketchannel.h"

namespace halhub {

// A channel that keeps the QWebSocket: it reads, answers pings and runs the
// close handshake; halhub writes its own frames onto the transport
// underneath. Only a fallback: for a connection whose transport the
// listener could not tell, or that neither RawSocketChannel nor
// TlsSocketChannel could take over.
class QtSocketChannel final : public SocketChannel
{
    Q_OBJECT
public:
    QtSocketChannel(QWebSocket *socket, QAbstractSocket *transport,
                    std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes);

    void writeFrame(const EncodedFrame &frame) override;
    void ping() override;
    void close(int code, const QString &reason) override;

private:
    void onMessage(const QByteArray &data, bool binary);
    void updateSocketBytes();

    static constexpr qint64 kFloodLimitBytes = 4 * ChannelState::kInboundLimitBytes;

    QWebSocket *m_socket = nullptr;
    QAbstractSocket *m_transport = nullptr;
    bool m_closing = false;
};

} // namespace halhub
