#pragma once

#include "protocol/framecodec.h"

#include <QByteArray>
#include <QEvent>
#include <QMutex>
#include <QObject>

#include <atomic>
#include <memory>
#include <vector>

class QAbstractSocket;
class QWebSocket;

namespace halhub {

// The TCP (or TLS) socket under an upgraded QWebSocket, as the listener
// handed it to QWebSocketServer.
struct Transport
{
    QAbstractSocket *socket = nullptr;  // owned by the QWebSocket
    // What the client sent after its request head, without waiting for the
    // answer: QWebSocketServer's handshake reads and drops it.
    QByteArray early;
};

// What a connection (main thread) and its channel (an I/O thread) share.
// Atomics only: each side writes its own fields, and reads the other's.
struct ChannelState
{
    // Bytes of frames queued for the channel, not yet in the socket.
    std::atomic<qint64> queuedBytes{0};
    // Bytes the channel holds for the socket, not yet handed to the kernel.
    std::atomic<qint64> socketBytes{0};
    // Steady clock (ms) of the last frame from the peer, pongs included.
    std::atomic<qint64> lastFrameMs{0};
    // Bytes of received messages handed to the connection, not yet
    // handled: a client that sends faster than they are handled stops being
    // read (TCP then slows it down) instead of filling memory.
    std::atomic<qint64> inboundBytes{0};
    std::atomic<bool> readingPaused{false};
    // The socket is gone (peer closed, error, or closed by us).
    std::atomic<bool> disconnected{false};
    // The connection held telemetry back; `changed` is due once the
    // unsent bytes are at or below highWaterBytes.
    std::atomic<bool> held{false};
    qint64 highWaterBytes = 0;
    // Where the channel posts what it has to say (ChannelEvent), null once
    // the connection is gone. Events instead of signals: a signal
    // connection costs some hundred bytes, times thousands of connections.
    QMutex receiverLock;
    QObject *receiver = nullptr;            // guarded by receiverLock
    std::atomic<bool> changePosted{false};  // a Changed event is on its way

    qint64 unsentBytes() const { return queuedBytes.load() + socketBytes.load(); }
    // Reading pauses above this many inbound bytes and resumes at half.
    static constexpr qint64 kInboundLimitBytes = 4 * 1024 * 1024;
    // What a message counts for inboundBytes (its bytes and the event's cost).
    static qint64 inboundCost(qsizetype bytes) { return qint64(bytes) + 128; }
    static qint64 nowMs();
};

// What a channel tells its connection, posted to ChannelState::receiver.
class ChannelEvent final : public QEvent
{
public:
    enum class Kind { Received, Changed };
    // Received: a message, binary or text as UTF-8. Changed: the socket
    // disconnected, or the unsent bytes fell to the high-water mark after
    // the connection held telemetry back (posted once until handled: the
    // receiver resets ChannelState::changePosted and reads the state).
    ChannelEvent(Kind kind, const QByteArray &data = QByteArray(), bool binary = false)
        : QEvent(eventType()), kind(kind), data(data), binary(binary)
    {
    }
    static QEvent::Type eventType();

    const Kind kind;
    const QByteArray data;
    const bool binary;
};

// The socket side of one client connection. It lives in the I/O thread
// that serves the connection (see IoThread): it writes the frames the
// connection queued, sends pings and the close, and passes received
// messages back as ChannelEvents; the protocol logic stays with the
// ClientConnection on the main thread.
//
// Once QWebSocketServer has done the upgrade, halhub serves the connection
// itself (WebSocketChannel: its own reader, frames, pause and close):
// RawSocketChannel over a plain TCP descriptor (a few hundred bytes per
// idle connection), TlsSocketChannel over the QSslSocket. QtSocketChannel
// keeps the QWebSocket, only where neither can take the connection over.
class SocketChannel : public QObject
{
    Q_OBJECT
public:
    // Made on the thread that accepted the socket, before it moves to its
    // I/O thread. Takes ownership of socket (which owns transport);
    // transport may be null (then QWebSocket does everything).
    static SocketChannel *create(QWebSocket *socket, const Transport &transport,
                                 std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes);
    ~SocketChannel() override;

    // All of these run in the channel's thread.
    // Called once the channel is in its thread.
    virtual void start() {}
    virtual void writeFrame(const EncodedFrame &frame) = 0;
    // Several frames in order, as one write where the channel can: an I/O
    // thread that fell behind hands a connection everything it has for it
    // at once, so that catching up costs one system call per connection,
    // not one per frame. By default, one writeFrame each.
    virtual void writeFrames(const EncodedFrame *const *frames, size_t count);
    virtual void ping() = 0;
    // The connection caught up with what was received: read again.
    virtual void resumeReading() {}
    // Sends the close frame; a peer that does not finish the closing
    // handshake within a second is cut.
    virtual void close(int code, const QString &reason) = 0;

protected:
    explicit SocketChannel(std::shared_ptr<ChannelState> state);

    // A message for the connection.
    void deliver(const QByteArray &data, bool binary);
    // The state changed (see ChannelEvent::Kind::Changed).
    void notifyChanged();
    // The channel's own unsent bytes changed.
    void setSocketBytes(qint64 bytes);
    void markDisconnected();
    void markFrameFromPeer();

    std::shared_ptr<ChannelState> m_state;

    static constexpr int kCloseHandshakeMs = 1000;

private:
    friend class IoThread;
    // The frames an I/O thread collected for this channel in one turn
    // (pointers into that turn's requests): its own, like the channel.
    std::vector<const EncodedFrame *> m_batch;
};

} // namespace halhub
