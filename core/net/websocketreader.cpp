#include "net/websocketreader.h"

#include "net/closecodes.h"
#include "net/websocketframe.h"

#include <cstring>

namespace halhub {

namespace {

using closecode::kNoStatus;
using closecode::kProtocolError;
using closecode::kTooBig;
using websocketframe::kFin;
using websocketframe::Opcode;
constexpr int kInvalidData = closecode::kNotUtf8;

constexpr uchar kReservedBits = 0x70;
constexpr uchar kMaskBit = 0x80;
constexpr int kMaskBytes = 4;


// The codes a peer may send (RFC 6455 7.4): 1004-1006 and 1015 are reserved
// for local use, 1012-1014 and 1016-2999 are unassigned.
bool isValidCloseCode(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011)
        || (code >= 3000 && code <= 4999);
}

} // namespace

bool WebSocketReader::Utf8Check::feed(const uchar *p, qsizetype n)
{
    const uchar *const end = p + n;
    while (p < end) {
        if (need == 0) {
            // Text payloads are mostly ASCII: skip it a word at a time.
            while (end - p >= 8) {
                quint64 word;
                std::memcpy(&word, p, 8);
                if (word & 0x8080808080808080ULL)
                    break;
                p += 8;
            }
            if (p == end)
                break;
            const uchar lead = *p++;
            if (lead < 0x80)
                continue;
            if (lead >= 0xC2 && lead <= 0xDF) {
                need = 1;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                need = 2;
                if (lead == 0xE0)
                    low = 0xA0;
                else if (lead == 0xED)
                    high = 0x9F;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                need = 3;
                if (lead == 0xF0)
                    low = 0x90;
                else if (lead == 0xF4)
                    high = 0x8F;
            } else {
                return false;
            }
        } else {
            const uchar next = *p++;
            if (next < low || next > high)
                return false;
            low = 0x80;
            high = 0xBF;
            --need;
        }
    }
    return true;
}

WebSocketReader::WebSocketReader(qint64 maxMessageBytes)
    : m_maxMessageBytes(qMax<qint64>(maxMessageBytes, 0))
{
}

void WebSocketReader::feed(const char *data, qsizetype size)
{
    if (m_stage == Stage::Stopped || size <= 0)
        return;
    const auto *p = reinterpret_cast<const uchar *>(data);
    const uchar *const end = p + size;
    while (p < end && m_stage != Stage::Stopped) {
        if (m_stage == Stage::Header)
            readHeader(p, end);
        else
            readPayload(p, end);
    }
}

bool WebSocketReader::next(Event *event)
{
    if (m_eventsHead >= m_events.size())
        return false;
    Event &taken = m_events[m_eventsHead++];
    m_queuedBytes -= taken.payload.size();
    *event = std::move(taken);
    if (m_eventsHead == m_events.size()) {
        // Drop the list's block too: most connections are idle most of the time.
        m_events = QList<Event>();
        m_eventsHead = 0;
    }
    return true;
}

qsizetype WebSocketReader::bufferedBytes() const
{
    qsizetype held = m_message.size() + m_queuedBytes;
    if (m_stage == Stage::Header)
        held += m_headerHave;
    else if (m_stage == Stage::Payload && isControl())
        held += qsizetype(m_frameDone);
    return held;
}

bool WebSocketReader::failed() const
{
    return m_failed;
}

// Each check runs once, as soon as the bytes it needs are in, so that a bad
// frame fails before the rest of its header (or its payload) arrives.
bool WebSocketReader::readHeader(const uchar *&p, const uchar *end)
{
    const auto fill = [&](int upTo) {
        const qsizetype n = qMin<qsizetype>(upTo - m_headerHave, end - p);
        std::memcpy(m_header + m_headerHave, p, size_t(n));
        p += n;
        m_headerHave = quint8(m_headerHave + n);
        return m_headerHave == upTo;
    };
    if (m_headerHave < 1 && (!fill(1) || !checkFirstByte()))
        return false;
    if (m_headerHave < 2) {
        if (!fill(2) || !checkSecondByte())
            return false;
        if (m_lengthBytes == 0 && !checkLength())
            return false;
    }
    const int lengthEnd = 2 + m_lengthBytes;
    if (m_headerHave < lengthEnd && (!fill(lengthEnd) || !checkLength()))
        return false;
    if (!fill(lengthEnd + kMaskBytes))
        return false;
    m_stage = Stage::Payload;
    m_frameDone = 0;
    if (m_frameLength == 0)
        finishFrame();
    return true;
}

bool WebSocketReader::checkFirstByte()
{
    const uchar b = m_header[0];
    m_fin = b & kFin;
    m_opcode = b & 0x0F;
    if (b & kReservedBits) {
        fail(kProtocolError, QStringLiteral("A frame has reserved bits set but no extension was negotiated."));
        return false;
    }
    switch (Opcode(m_opcode)) {
    case Opcode::Continuation:
        if (!m_inMessage) {
            fail(kProtocolError, QStringLiteral("A continuation frame arrived without a message in progress."));
            return false;
        }
        return true;
    case Opcode::Text:
    case Opcode::Binary:
        if (m_inMessage) {
            fail(kProtocolError, QStringLiteral("A new message started before the previous one was finished."));
            return false;
        }
        m_inMessage = true;
        m_messageIsText = m_opcode == quint8(Opcode::Text);
        m_messageLength = 0;
        m_utf8 = Utf8Check();
        return true;
    case Opcode::Close:
    case Opcode::Ping:
    case Opcode::Pong:
        if (!m_fin) {
            fail(kProtocolError, QStringLiteral("A control frame is fragmented."));
            return false;
        }
        return true;
    default:
        fail(kProtocolError, QStringLiteral("A frame has the reserved opcode 0x%1.").arg(QString::number(m_opcode, 16).toUpper()));
        return false;
    }
}

bool WebSocketReader::checkSecondByte()
{
    const uchar b = m_header[1];
    if (!(b & kMaskBit)) {
        fail(kProtocolError, QStringLiteral("A client frame is not masked."));
        return false;
    }
    const uchar length7 = b & 0x7F;
    if (isControl() && length7 > kMaxControlPayload) {
        fail(kProtocolError, QStringLiteral("A control frame has a payload longer than 125 bytes."));
        return false;
    }
    m_lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    m_frameLength = length7;
    return true;
}

bool WebSocketReader::checkLength()
{
    if (m_lengthBytes != 0) {
        quint64 length = 0;
        for (int i = 0; i < m_lengthBytes; ++i)
            length = (length << 8) | m_header[2 + i];
        if (length >> 63) {
            fail(kProtocolError, QStringLiteral("A frame length has its most significant bit set."));
            return false;
        }
        m_frameLength = length;
    }
    if (!isControl()) {
        // m_messageLength never exceeds the limit, so this cannot wrap.
        if (m_frameLength > quint64(m_maxMessageBytes) - m_messageLength) {
            fail(kTooBig, QStringLiteral("A message is larger than the limit of %1 bytes.").arg(m_maxMessageBytes));
            return false;
        }
        m_messageLength += m_frameLength;
    }
    return true;
}

void WebSocketReader::readPayload(const uchar *&p, const uchar *end)
{
    const quint64 remaining = m_frameLength - m_frameDone;
    const qsizetype n = qsizetype(qMin<quint64>(remaining, quint64(end - p)));
    if (isControl()) {
        unmask(p, m_control + m_frameDone, n);
    } else {
        const qsizetype have = m_message.size();
        if (m_message.capacity() < have + n) {
            // Grow geometrically (linear time for a payload that trickles in)
            // but never past the end of this frame, so a finished message has
            // no spare capacity and a client that announces a big frame gets
            // memory only for what it really sends.
            const qsizetype frameEnd = have + qsizetype(remaining);
            const qsizetype doubled = qMax<qsizetype>(2 * m_message.capacity(), 256);
            m_message.reserve(qMax(have + n, qMin(doubled, frameEnd)));
        }
        m_message.resize(have + n);
        auto *to = reinterpret_cast<uchar *>(m_message.data()) + have;
        unmask(p, to, n);
        if (m_messageIsText && !m_utf8.feed(to, n)) {
            fail(kInvalidData, QStringLiteral("A text message is not valid UTF-8."));
            return;
        }
    }
    p += n;
    m_frameDone += quint64(n);
    if (m_frameDone == m_frameLength)
        finishFrame();
}

// Copies and unmasks in one pass; the key is applied from the frame's
// current payload offset.
void WebSocketReader::unmask(const uchar *from, uchar *to, qsizetype n) const
{
    const uchar *mask = m_header + 2 + m_lengthBytes;
    uchar key[8];
    for (int i = 0; i < 8; ++i)
        key[i] = mask[(m_frameDone + quint64(i)) & 3];
    quint64 wideKey;
    std::memcpy(&wideKey, key, 8);
    qsizetype i = 0;
    for (; i + 8 <= n; i += 8) {
        quint64 word;
        std::memcpy(&word, from + i, 8);
        word ^= wideKey;
        std::memcpy(to + i, &word, 8);
    }
    for (; i < n; ++i)
        to[i] = from[i] ^ key[i & 7];
}

void WebSocketReader::finishFrame()
{
    m_stage = Stage::Header;
    m_headerHave = 0;
    switch (Opcode(m_opcode)) {
    case Opcode::Close:
        finishClose();
        return;
    case Opcode::Ping:
    case Opcode::Pong:
        push(m_opcode == quint8(Opcode::Ping) ? Event::Kind::Ping : Event::Kind::Pong,
             QByteArray(reinterpret_cast<const char *>(m_control), qsizetype(m_frameLength)));
        return;
    default:
        break;
    }
    if (!m_fin)
        return;
    if (m_messageIsText && !m_utf8.complete()) {
        fail(kInvalidData, QStringLiteral("A text message ends inside a UTF-8 sequence."));
        return;
    }
    m_inMessage = false;
    QByteArray message = std::move(m_message);
    m_message = QByteArray();
    push(m_messageIsText ? Event::Kind::Text : Event::Kind::Binary, std::move(message));
}

void WebSocketReader::finishClose()
{
    const auto length = qsizetype(m_frameLength);
    if (length == 1) {
        fail(kProtocolError, QStringLiteral("A close frame has a payload of one byte."));
        return;
    }
    int code = kNoStatus;
    QByteArray reason;
    if (length >= 2) {
        code = (m_control[0] << 8) | m_control[1];
        if (!isValidCloseCode(code)) {
            fail(kProtocolError, QStringLiteral("A close frame has the invalid status code %1.").arg(code));
            return;
        }
        Utf8Check check;
        if (!check.feed(m_control + 2, length - 2) || !check.complete()) {
            fail(kInvalidData, QStringLiteral("A close reason is not valid UTF-8."));
            return;
        }
        reason = QByteArray(reinterpret_cast<const char *>(m_control + 2), length - 2);
    }
    push(Event::Kind::Close, std::move(reason), code);
    // Nothing may follow a close frame: stop reading.
    m_stage = Stage::Stopped;
    release();
}

void WebSocketReader::push(Event::Kind kind, QByteArray payload, int closeCode)
{
    Event event;
    event.kind = kind;
    event.payload = std::move(payload);
    event.closeCode = closeCode;
    m_queuedBytes += event.payload.size();
    m_events.append(std::move(event));
}

void WebSocketReader::fail(int code, const QString &why)
{
    Event event;
    event.closeCode = code;
    event.error = why;
    m_events.append(std::move(event));
    m_failed = true;
    m_stage = Stage::Stopped;
    release();
}

void WebSocketReader::release()
{
    m_message = QByteArray();
    m_inMessage = false;
    m_headerHave = 0;
    m_frameLength = 0;
    m_frameDone = 0;
}

} // namespace halhub
