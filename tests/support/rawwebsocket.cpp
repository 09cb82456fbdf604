#include "rawwebsocket.h"

#include "protocol/framecodec.h"

#include <QElapsedTimer>
#include <QTest>

RawWebSocket::RawWebSocket() = default;

QByteArray RawWebSocket::upgradeRequest(const QUrl &url)
{
    return "GET " + url.path().toUtf8() + " HTTP/1.1\r\nHost: " + url.host().toUtf8()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

bool RawWebSocket::open(const QUrl &url, qint64 readLimit, int timeoutMs)
{
    const bool tls = url.scheme() == QLatin1String("wss");
    const auto limitReading = [&] {
        if (readLimit > 0) {
            m_socket.setReadBufferSize(readLimit);
            // (Not with TLS: a receive window that small let a TLS stream
            // through at a few kilobytes a second even once read again.)
            if (!tls)
                m_socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, int(readLimit));
        }
    };
    // Before the connection, so that the TCP window is small from the start;
    // with TLS the options reach the TCP socket only once it exists.
    if (!tls)
        limitReading();
    if (tls)
        m_socket.connectToHostEncrypted(url.host(), quint16(url.port()));
    else
        m_socket.connectToHost(url.host(), quint16(url.port()));
    if (tls)
        limitReading();
    // The TLS handshake needs the server's answer: the event loop runs
    // meanwhile, for a server in this thread.
    if (!(tls ? QTest::qWaitFor([this] { return m_socket.isEncrypted(); }, timeoutMs)
              : m_socket.waitForConnected(timeoutMs)))
        return false;
    m_socket.write(upgradeRequest(url));
    QTest::qWaitFor([this] {
        m_buffer += m_socket.read(4096 - m_buffer.size());
        return m_buffer.contains("\r\n\r\n");
    }, timeoutMs);
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0 || !m_buffer.startsWith("HTTP/1.1 101"))
        return false;
    m_buffer.remove(0, end + 4);
    return true;
}

void RawWebSocket::sendText(const QByteArray &utf8)
{
    sendFrame(0x81, utf8);
}

void RawWebSocket::sendFrame(quint8 finAndOpcode, const QByteArray &utf8)
{
    // Client frames are masked; a zero mask keeps the payload as it is.
    QByteArray frame;
    frame.append(char(finAndOpcode));
    if (utf8.size() < 126) {
        frame.append(char(0x80 | utf8.size()));
    } else if (utf8.size() < 65536) {
        frame.append(char(0x80 | 126));
        frame.append(char(utf8.size() >> 8));
        frame.append(char(utf8.size() & 0xff));
    } else {
        frame.append(char(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((quint64(utf8.size()) >> shift) & 0xff));
    }
    frame.append(QByteArray(4, '\0'));
    frame.append(utf8);
    m_socket.write(frame);
}

QList<QVariantMap> RawWebSocket::readMessages()
{
    m_buffer += m_socket.readAll();
    QList<QVariantMap> messages;
    for (;;) {
        if (m_buffer.size() < 2)
            break;
        const quint8 b0 = quint8(m_buffer.at(0));
        const quint8 b1 = quint8(m_buffer.at(1));
        qsizetype header = 2;
        quint64 length = b1 & 0x7f;
        if (length == 126) {
            if (m_buffer.size() < 4)
                break;
            length = (quint8(m_buffer.at(2)) << 8) | quint8(m_buffer.at(3));
            header = 4;
        } else if (length == 127) {
            if (m_buffer.size() < 10)
                break;
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | quint8(m_buffer.at(i));
            header = 10;
        }
        if (quint64(m_buffer.size()) < quint64(header) + length)
            break;
        const QByteArray payload = m_buffer.mid(header, qsizetype(length));
        m_buffer.remove(0, header + qsizetype(length));
        const int opcode = b0 & 0x0f;
        const bool fin = b0 & 0x80;
        if (opcode == 0x8) {
            m_closeCode = payload.size() >= 2 ? (quint8(payload.at(0)) << 8) | quint8(payload.at(1)) : 1005;
            continue;
        }
        if (opcode == 0x1 || opcode == 0x2) {
            m_fragments = payload;
            m_fragmentBinary = opcode == 0x2;
        } else if (opcode == 0x0) {
            m_fragments += payload;
        } else {
            (opcode == 0x9 ? m_pings : m_pongs).append(payload);
            continue;
        }
        if (!fin)
            continue;
        const halhub::DecodedFrame d = m_fragmentBinary
            ? halhub::framecodec::decodeBinary(m_fragments, 1 << 30)
            : halhub::framecodec::decodeText(m_fragments, 1 << 30);
        if (d.status == halhub::DecodedFrame::Status::Ok)
            messages.append(d.message);
        m_fragments.clear();
    }
    return messages;
}
