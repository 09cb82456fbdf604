#pragma once

#include "net/socketchannel.h"
#include "net/websocketframe.h"
#include "net/websocketreader.h"

#include <QByteArray>

class QSocketNotifier;
struct iovec;

namespace halhub {

// A channel that serves a plain TCP connection itself once QWebSocketServer
// has done the upgrade: it reads the client's frames (WebSocketReader),
// writes halhub's frames to the kernel directly, answers pings and runs the
// close handshake. Per connection it keeps a descriptor, a socket notifier
// or two and only the bytes in flight: Qt's socket classes keep a 16 KiB
// read and a 32 KiB write block for a socket's whole life, and QWebSocket
// some 7 KiB of objects, which for 10,000 idle clients is most of the
// server's memory.
class RawSocketChannel final : public SocketChannel
{
    Q_OBJECT
public:
    // Takes the connection over from socket: its answer to the upgrade is
    // flushed, the descriptor duplicated, what the client already sent
    // taken, and socket (with transport) deleted without a word to the
    // peer. Returns null, with socket untouched, if that cannot be done.
    static RawSocketChannel *takeOver(QWebSocket *socket, const Transport &transport,
                                      std::shared_ptr<ChannelState> state,
                                      qint64 maxIncomingBytes);
    ~RawSocketChannel() override;

    void start() override;
    void writeFrame(const EncodedFrame &frame) override;
    void writeFrames(const EncodedFrame *const *frames, size_t count) override;
    void ping() override;
    void close(int code, const QString &reason) override;
    void resumeReading() override;

private:
    RawSocketChannel(int fd, const QByteArray &received, std::shared_ptr<ChannelState> state,
                     qint64 maxIncomingBytes);

    void onReadable();
    bool pauseReadingIfBehind();
    void onWritable();
    void feed(const char *data, qsizetype size);
    void handle(const WebSocketReader::Event &event);
    // Queues one frame: to the kernel at once when nothing waits before it.
    void write(const char *header, qsizetype headerSize, const char *payload, qsizetype size);
    // Queues the parts, in order, the same way, in one system call.
    void write(iovec *parts, int count);
    void sendControl(websocketframe::Opcode opcode, const QByteArray &payload);
    void sendClose(int code, const QByteArray &reason);
    enum class Drop { Close, Reset };
    void drop(Drop how = Drop::Close);

    class Notifier;

    int m_fd = -1;
    Notifier *m_readNotifier = nullptr;
    Notifier *m_writeNotifier = nullptr;
    WebSocketReader m_reader;
    QByteArray m_received;      // bytes read before start()
    QByteArray m_unsent;        // what the kernel has not taken yet, from m_unsentAt
    qsizetype m_unsentAt = 0;
    bool m_closeSent = false;
    bool m_peerClosed = false;  // its close frame came: drop once ours is out
};

} // namespace halhub
