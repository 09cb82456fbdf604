#pragma once

#include "net/socketchannel.h"
#include "net/websocketframe.h"
#include "net/websocketreader.h"

#include <QByteArray>

namespace halhub {

// The WebSocket part of a channel that serves an upgraded connection
// itself: it reads the client's frames (WebSocketReader), writes halhub's
// frames, answers pings, runs the close handshake (with its one-second
// cut) and stops reading while the connection is behind with what it was
// handed. How bytes reach and leave the peer is the subclass's: a plain
// descriptor (RawSocketChannel) or a QSslSocket (TlsSocketChannel).
class WebSocketChannel : public SocketChannel
{
    Q_OBJECT
public:
    void writeFrame(const EncodedFrame &frame) final;
    void ping() final;
    void close(int code, const QString &reason) final;
    void resumeReading() final;

protected:
    WebSocketChannel(std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes);

    enum class Drop { Close, Reset };

    // The transport.
    virtual bool isOpen() const = 0;
    // Queues one frame, header then payload, behind what waits.
    virtual void writeBytes(const char *header, qsizetype headerSize, const char *payload,
                            qsizetype size) = 0;
    // Nothing waits to be handed to the kernel.
    virtual bool allWritten() const = 0;
    virtual void setReadingEnabled(bool enabled) = 0;
    // Reads what the peer sent, as the transport's notification would.
    virtual void readAvailable() = 0;
    // Ends the connection (Reset: with a TCP reset, discarding what waits)
    // and reports the disconnect; a no-op once closed.
    virtual void drop(Drop how = Drop::Close) = 0;

    // Hands received bytes to the reader and handles its events.
    void feed(const char *data, qsizetype size);
    // True (and reading disabled) while the connection is behind with what
    // it was handed.
    bool pauseReadingIfBehind();
    // The transport's unsent bytes reached zero.
    void onAllWritten();
    bool closeSent() const { return m_closeSent; }
    // Takes a data frame off the connection's queued bytes and gives its
    // header; false when it is not to be written (the transport closed, or
    // our close sent).
    bool takeFrame(const EncodedFrame &frame, websocketframe::Header *header);

    // Read per wake-up at most kReadChunk bytes kReadsPerWakeUp times, so
    // that one flooding client cannot hold up the others served by the same
    // thread.
    static constexpr qsizetype kReadChunk = 65536;
    static constexpr int kReadsPerWakeUp = 4;
    // The close frame of a server going away without a handshake.
    static const char kGoingAwayFrame[4];

private:
    void handle(const WebSocketReader::Event &event);
    void sendControl(websocketframe::Opcode opcode, const QByteArray &payload);
    void sendClose(int code, const QByteArray &reason);

    WebSocketReader m_reader;
    bool m_closeSent = false;
    bool m_peerClosed = false;  // its close frame came: drop once ours is out
};

} // namespace halhub
