#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace halhub {

// Reads the frames a WebSocket client sends (RFC 6455 section 5, server side,
// no extension negotiated): bytes in, events out, no socket and no event loop.
// One reader lives beside each upgraded connection, so an idle reader holds
// nothing on the heap, and a data payload is copied once, unmasked on the way,
// from the input straight into the message that becomes the event.
class WebSocketReader
{
public:
    struct Event
    {
        enum class Kind { Text, Binary, Ping, Pong, Close, Error };
        Kind kind = Kind::Error;
        QByteArray payload;   // Text (valid UTF-8) / Binary: the whole message; Ping/Pong: the payload; Close: the reason (UTF-8)
        int closeCode = 0;    // Close: the peer's status code, 1005 when the frame had none; Error: the code to close with (1002 protocol error, 1007 invalid UTF-8, 1009 too big)
        QString error;        // Error: what was wrong, one short English sentence for the log and the close reason (at most 123 bytes of UTF-8)
    };

    // maxMessageBytes: a message (all its fragments) larger than this is an
    // Error 1009, detected as soon as a frame header makes it certain (before
    // its payload is buffered).
    explicit WebSocketReader(qint64 maxMessageBytes);

    // Appends received bytes. After an Error event was produced, further input
    // is ignored; so is input after a Close frame, which ends the client's
    // side of the stream.
    void feed(const char *data, qsizetype size);

    // Takes the next complete event in order; false when there is none (yet).
    bool next(Event *event);

    // Bytes held (partial frames, fragments and events not taken yet): for the
    // owner's accounting.
    qsizetype bufferedBytes() const;

    bool failed() const;

private:
    enum class Stage : quint8 { Header, Payload, Stopped };

    // An incremental UTF-8 check, so that a code point may be split between
    // frames and between reads: how many continuation bytes the current code
    // point still needs, and the range allowed for the next one (narrower than
    // 0x80-0xBF right after some lead bytes, to refuse overlongs, surrogates
    // and code points above U+10FFFF).
    struct Utf8Check
    {
        quint8 need = 0;
        quint8 low = 0x80;
        quint8 high = 0xBF;
        bool feed(const uchar *p, qsizetype n);
        bool complete() const { return need == 0; }
    };

    static constexpr int kMaxHeaderBytes = 14;
    static constexpr int kMaxControlPayload = 125;

    bool readHeader(const uchar *&p, const uchar *end);
    bool checkFirstByte();
    bool checkSecondByte();
    bool checkLength();
    void readPayload(const uchar *&p, const uchar *end);
    void unmask(const uchar *from, uchar *to, qsizetype n) const;
    bool isControl() const { return m_opcode & 0x8; }
    void finishFrame();
    void finishClose();
    void push(Event::Kind kind, QByteArray payload, int closeCode = 0);
    void fail(int code, const QString &why);
    void release();

    QList<Event> m_events;
    QByteArray m_message;          // the data message being assembled, unmasked
    qint64 m_maxMessageBytes = 0;
    qsizetype m_eventsHead = 0;    // the first event not taken yet
    qsizetype m_queuedBytes = 0;   // payload bytes of the events not taken yet

    quint64 m_frameLength = 0;
    quint64 m_frameDone = 0;       // payload bytes of the current frame read so far
    quint64 m_messageLength = 0;   // declared bytes of the message's frames so far

    Stage m_stage = Stage::Header;
    quint8 m_opcode = 0;
    bool m_fin = false;
    bool m_inMessage = false;      // a data message was started and has not ended
    bool m_messageIsText = false;
    bool m_failed = false;
    quint8 m_headerHave = 0;
    quint8 m_lengthBytes = 0;      // 0, 2 or 8: the extended length that follows byte 1

    Utf8Check m_utf8;

    uchar m_header[kMaxHeaderBytes] = {};
    uchar m_control[kMaxControlPayload] = {};
};

} // namespace halhub
