#include "net/websocketchannel.h"

#include "logging.h"
#include "net/closecodes.h"

#include <QTimer>

namespace halhub {

const char WebSocketChannel::kGoingAwayFrame[4] = {
    char(websocketframe::kFin | quint8(websocketframe::Opcode::Close)), 2,
    char(closecode::kGoingAway >> 8), char(closecode::kGoingAway & 0xff)};

WebSocketChannel::WebSocketChannel(std::shared_ptr<ChannelState> state, qint64 maxIncomingBytes)
    : SocketChannel(std::move(state))
    , m_reader(maxIncomingBytes)
{
}

bool WebSocketChannel::pauseReadingIfBehind()
{
    if (m_state->inboundBytes.load() <= ChannelState::kInboundLimitBytes)
        return false;
    // Store, then re-read what the connection lowers (it lowers, then
    // reads the flag): either it sees the pause and asks to resume, or
    // this side sees it caught up.
    m_state->readingPaused = true;
    if (m_state->inboundBytes.load() <= ChannelState::kInboundLimitBytes / 2) {
        m_state->readingPaused = false;
        return false;
    }
    setReadingEnabled(false);
    return true;
}

void WebSocketChannel::resumeReading()
{
    if (!isOpen() || !m_state->readingPaused.exchange(false))
        return;
    setReadingEnabled(true);
    readAvailable();
}

void WebSocketChannel::feed(const char *data, qsizetype size)
{
    if (m_reader.failed())
        return;
    m_reader.feed(data, size);
    WebSocketReader::Event event;
    while (isOpen() && m_reader.next(&event))
        handle(event);
}

void WebSocketChannel::handle(const WebSocketReader::Event &event)
{
    using Kind = WebSocketReader::Event::Kind;
    if (event.kind != Kind::Error)
        markFrameFromPeer();
    switch (event.kind) {
    case Kind::Text:
    case Kind::Binary:
        // After our close, what the peer still sends is not read (RFC 6455 5.5.1).
        if (!m_closeSent) {
            m_state->inboundBytes += ChannelState::inboundCost(event.payload.size());
            deliver(event.payload, event.kind == Kind::Binary);
        }
        return;
    case Kind::Ping:
        if (!m_closeSent)
            sendControl(websocketframe::Opcode::Pong, event.payload);
        return;
    case Kind::Pong:
        return;
    case Kind::Close:
        // The peer's close: answer it (with its code, as is customary) unless
        // this is the answer to ours; either way the handshake is complete
        // once our frames are out.
        if (!m_closeSent)
            sendClose(event.closeCode == 1005 ? 0 : event.closeCode, QByteArray());
        m_peerClosed = true;
        if (allWritten())
            drop();
        return;
    case Kind::Error:
        qCInfo(lcNet).noquote() << "closing a connection with" << event.closeCode << event.error;
        sendClose(event.closeCode, event.error.toUtf8());
        return;
    }
}

void WebSocketChannel::onAllWritten()
{
    if (m_peerClosed)
        drop();
}

bool WebSocketChannel::takeFrame(const EncodedFrame &frame, websocketframe::Header *header)
{
    m_state->queuedBytes -= frame.bytes.size();
    if (!isOpen() || m_closeSent)
        return false;
    *header = websocketframe::header(
        frame.binary ? websocketframe::Opcode::Binary : websocketframe::Opcode::Text,
        quint64(frame.bytes.size()));
    return true;
}

void WebSocketChannel::writeFrame(const EncodedFrame &frame)
{
    websocketframe::Header header;
    if (takeFrame(frame, &header))
        writeBytes(header.bytes, header.size, frame.bytes.constData(), frame.bytes.size());
}

void WebSocketChannel::ping()
{
    if (isOpen() && !m_closeSent)
        sendControl(websocketframe::Opcode::Ping, QByteArray());
}

void WebSocketChannel::close(int code, const QString &reason)
{
    if (!isOpen() || m_closeSent)
        return;
    sendClose(code, reason.toUtf8());
}

void WebSocketChannel::sendClose(int code, const QByteArray &reason)
{
    if (m_closeSent)
        return;
    QByteArray payload;
    if (code > 0) {
        payload.append(char(code >> 8));
        payload.append(char(code & 0xff));
        // A control frame carries at most 125 bytes.
        payload.append(reason.left(123));
    }
    sendControl(websocketframe::Opcode::Close, payload);
    m_closeSent = true;
    // A peer that does not answer in time is cut, and so is one whose
    // frames could not be read any further: with a reset, so that what
    // still waits for it (a slow consumer's backlog) is discarded at once
    // instead of trickling out first.
    QTimer::singleShot(kCloseHandshakeMs, this, [this] { drop(Drop::Reset); });
}

void WebSocketChannel::sendControl(websocketframe::Opcode opcode, const QByteArray &payload)
{
    if (!isOpen())
        return;
    const websocketframe::Header header = websocketframe::header(opcode, quint64(payload.size()));
    writeBytes(header.bytes, header.size, payload.constData(), payload.size());
}

} // namespace halhub
