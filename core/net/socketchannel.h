#pragma once

#include "protocol/framecodec.h"

#include <QObject>

#include <atomic>
#include <memory>

class QAbstractSocket;
class QWebSocket;

namespace halhub {

// What a connection (main thread) and its channel (an I/O thread) share.
// Atomics only: each side writes its own fields, and reads the other's.
struct ChannelState
{
    // Bytes of frames queued for the channel, not yet in the socket.
    std::atomic<qint64> queuedBytes{0};
    // Bytes in the socket's buffer, not yet handed to the kernel.
    std::atomic<qint64> socketBytes{0};
    // Steady clock (ms) of the last frame from the peer, pongs included.
    std::atomic<qint64> lastFrameMs{0};
    // The socket is gone (peer closed, error, or closed by us).
    std::atomic<bool> disconnected{false};
    // The connection held telemetry back; `drained` is due once the
    // unsent bytes are at or below highWaterBytes.
    std::atomic<bool> held{false};
    qint64 highWaterBytes = 0;

    qint64 unsentBytes() const { return queuedBytes.load() + socketBytes.load(); }
    static qint64 nowMs();
};

// The socket side of one client connection: owns the QWebSocket and its
// transport, and lives in the I/O thread that serves the connection (see
// IoThread). It writes the frames the connection queued, sends pings and
// the close, and passes received messages back as signals; the protocol
// logic stays with the ClientConnection on the main thread.
class SocketChannel : public QObject
{
    Q_OBJECT
public:
    // Takes ownership of socket (which owns transport). transport may be
    // null: then frames go through QWebSocket's own calls.
    SocketChannel(QWebSocket *socket, QAbstractSocket *transport,
                  std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes);
    ~SocketChannel() override;

    // All of these run in the channel's thread.
    void writeFrame(const EncodedFrame &frame);
    void ping();
    // Sends the close frame; a peer that does not finish the closing
    // handshake within a second is cut.
    void close(int code, const QString &reason);

Q_SIGNALS:
    // A message: binary, or text as UTF-8.
    void received(const QByteArray &data, bool binary);
    // The state changed: the socket disconnected, or the unsent bytes fell
    // to the high-water mark after the connection held telemetry back.
    // (One signal for both: a connection per signal costs memory, times
    // thousands of connections.)
    void changed();

private:
    void onBytesWritten();
    void markDisconnected();
    void updateSocketBytes();
    void writeToTransport(const char *header, qsizetype headerSize, const QByteArray &payload);

    QWebSocket *m_socket = nullptr;
    QAbstractSocket *m_transport = nullptr;
    qintptr m_directFd = -1;    // plain TCP only: TLS must go through QSslSocket
    std::shared_ptr<ChannelState> m_state;
    bool m_closing = false;
};

} // namespace halhub
