#pragma once

#include <QByteArray>
#include <QString>
#include <QVariantMap>

// The wire forms of docs/protocol.md section 2: JSON text frames, and binary
// frames of one header byte + payload (0x00 MessagePack, 0x01 zlib'd
// MessagePack, 0x02 zlib'd JSON).
namespace halhub {

enum class Encoding { Json, MsgPack };

struct DecodedFrame
{
    enum class Status {
        Ok,          // message holds the decoded map
        Invalid,     // invalid_message: undecodable, not a map, bad value
        TooLarge,    // message_too_large: payload or inflated payload over the limit
    };
    Status status = Status::Invalid;
    QVariantMap message;
    QString error;   // why, for the error message sent back
};

struct EncodedFrame
{
    QByteArray bytes;
    bool binary = false;   // send as a binary frame (else text)
};

namespace framecodec {

constexpr int kCompressionThreshold = 1024;   // bytes, exclusive
constexpr int kMaxDepth = 64;

// A text frame's UTF-8 bytes.
DecodedFrame decodeText(const QByteArray &utf8, qsizetype maxBytes);
// A binary frame, header byte included. Inflation stops at maxBytes.
DecodedFrame decodeBinary(const QByteArray &frame, qsizetype maxBytes);

// Encodes for a connection: JSON text, or 0x00 MessagePack; with
// compression, a payload over kCompressionThreshold bytes goes out as 0x02
// (JSON) or 0x01 (MessagePack).
EncodedFrame encode(const QVariantMap &message, Encoding encoding, bool compression);

// zlib (RFC 1950) helpers, exposed for tests and clients.
QByteArray deflate(const QByteArray &data);
// Returns false when the stream is corrupt; sets *tooLarge (and returns
// false) once more than maxBytes would come out.
bool inflate(const QByteArray &data, qsizetype maxBytes, QByteArray *out, bool *tooLarge);

} // namespace framecodec
} // namespace halhub
