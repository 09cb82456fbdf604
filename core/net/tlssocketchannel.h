#pragma once

#include "net/websocketchannel.h"

class QSslSocket;

namespace halhub {

// A channel that serves a TLS connection itself once QWebSocketServer has
// done the upgrade: the WebSocket rules of WebSocketChannel (the same
// reader, frames, pause and close as a plain connection) over the
// QSslSocket, which stays as it is since the bytes on the wire are
// encrypted. While paused, nothing is read from the socket and its read
// buffer is bounded, so TCP slows the client down.
class TlsSocketChannel final : public WebSocketChannel
{
    Q_OBJECT
public:
    // Takes the QSslSocket under socket away from it, with what the client
    // sent behind its request head (transport.early and what QSslSocket has
    // decrypted since). socket keeps nothing that touches the connection;
    // it stays, inert, as the channel's child until the channel goes.
    static TlsSocketChannel *takeOver(QWebSocket *socket, const Transport &transport,
                                      std::shared_ptr<ChannelState> state,
                                      qint64 maxIncomingBytes);
    ~TlsSocketChannel() override;

    void start() override;
    // One turn's frames, encrypted and handed to the kernel together.
    void writeFrames(const EncodedFrame *const *frames, size_t count) override;

private:
    TlsSocketChannel(QWebSocket *socket, QSslSocket *tls, const QByteArray &received,
                     std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes);

    bool isOpen() const override { return m_open; }
    void writeBytes(const char *header, qsizetype headerSize, const char *payload,
                    qsizetype size) override;
    bool allWritten() const override;
    void setReadingEnabled(bool enabled) override;
    void readAvailable() override;
    void drop(Drop how = Drop::Close) override;
    void onWritten();
    void flushToKernel();
    void onDisconnected();

    QSslSocket *m_tls = nullptr;    // a child
    QByteArray m_received;          // bytes read before start()
    bool m_open = true;
    bool m_readingEnabled = true;
    bool m_readQueued = false;
    bool m_batching = false;        // in writeFrames: flush once at its end
};

} // namespace halhub
