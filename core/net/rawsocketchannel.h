#pragma once

#include "net/websocketchannel.h"

#include <QByteArray>

class QSocketNotifier;
struct iovec;

namespace halhub {

// A channel that serves a plain TCP connection itself once QWebSocketServer
// has done the upgrade: the WebSocket rules of WebSocketChannel over the
// descriptor, written to the kernel directly. Per connection it keeps a descriptor, a socket notifier
// or two and only the bytes in flight: Qt's socket classes keep a 16 KiB
// read and a 32 KiB write block for a socket's whole life, and QWebSocket
// some 7 KiB of objects, which for 10,000 idle clients is most of the
// server's memory.
class RawSocketChannel final : public WebSocketChannel
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
    void writeFrames(const EncodedFrame *const *frames, size_t count) override;

private:
    RawSocketChannel(int fd, const QByteArray &received, std::shared_ptr<ChannelState> state,
                     qint64 maxIncomingBytes);

    bool isOpen() const override { return m_fd >= 0; }
    // To the kernel at once when nothing waits before it.
    void writeBytes(const char *header, qsizetype headerSize, const char *payload,
                    qsizetype size) override;
    // Queues the parts, in order, the same way, in one system call.
    void write(iovec *parts, int count);
    bool allWritten() const override { return m_unsent.size() == m_unsentAt; }
    void setReadingEnabled(bool enabled) override;
    void readAvailable() override;
    void drop(Drop how = Drop::Close) override;
    void onWritable();

    class Notifier;

    int m_fd = -1;
    Notifier *m_readNotifier = nullptr;
    Notifier *m_writeNotifier = nullptr;
    QByteArray m_received;      // bytes read before start()
    QByteArray m_unsent;        // what the kernel has not taken yet, from m_unsentAt
    qsizetype m_unsentAt = 0;
};

} // namespace halhub
