#include "framecodec.h"

#include "json.h"
#include "msgpack.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace halhub::framecodec {

namespace {

constexpr char kMsgPack = 0x00;
constexpr char kZlibMsgPack = 0x01;
constexpr char kZlibJson = 0x02;

DecodedFrame invalid(const QString &why)
{
    DecodedFrame frame;
    frame.status = DecodedFrame::Status::Invalid;
    frame.error = why;
    return frame;
}

DecodedFrame tooLarge(qsizetype maxBytes)
{
    DecodedFrame frame;
    frame.status = DecodedFrame::Status::TooLarge;
    frame.error = QStringLiteral("message larger than %1 bytes").arg(maxBytes);
    return frame;
}

DecodedFrame fromValue(QVariant &&value)
{
    if (value.typeId() != QMetaType::QVariantMap)
        return invalid(QStringLiteral("message must be a map"));
    DecodedFrame frame;
    frame.status = DecodedFrame::Status::Ok;
    frame.message = std::move(*static_cast<QVariantMap *>(value.data()));
    return frame;
}

DecodedFrame decodeJson(const QByteArray &utf8)
{
    QVariant value;
    QString error;
    if (!json::parse(utf8, &value, &error, kMaxDepth))
        return invalid(error);
    return fromValue(std::move(value));
}

DecodedFrame decodeMsgPack(const char *data, qsizetype size)
{
    QVariant value;
    QString error;
    if (!msgpack::parse(data, size, &value, &error, kMaxDepth))
        return invalid(error);
    return fromValue(std::move(value));
}

// Compresses data into out after `offset` bytes already there.
void deflateInto(const char *data, qsizetype size, QByteArray &out, qsizetype offset)
{
    uLongf bound = compressBound(uLong(size));
    out.resize(offset + qsizetype(bound));
    const int rc = compress2(reinterpret_cast<Bytef *>(out.data() + offset), &bound,
                             reinterpret_cast<const Bytef *>(data), uLong(size),
                             Z_DEFAULT_COMPRESSION);
    // compress2 cannot fail with a compressBound() sized buffer short of
    // running out of memory, which Qt treats as fatal anyway.
    Q_ASSERT(rc == Z_OK);
    Q_UNUSED(rc);
    out.resize(offset + qsizetype(bound));
}

bool inflateInto(const char *data, qsizetype size, qsizetype maxBytes, QByteArray *out,
                 bool *tooLarge)
{
    *tooLarge = false;
    out->clear();
    z_stream zs {};
    if (inflateInit(&zs) != Z_OK)
        return false;
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
    zs.avail_in = uInt(size);   // frames are far below 4 GiB: capped by maxBytes upstream

    // One byte of room beyond the limit tells "exactly maxBytes" from "more".
    maxBytes = std::clamp<qsizetype>(maxBytes, 0, std::numeric_limits<qsizetype>::max() - 1);
    const qsizetype cap = maxBytes + 1;
    qsizetype capacity = std::min<qsizetype>(cap, std::max<qsizetype>(4 * size, 4096));
    out->resize(capacity);
    qsizetype produced = 0;
    bool ok = false;
    for (;;) {
        if (produced == capacity) {
            if (capacity == cap) {
                *tooLarge = true;
                break;
            }
            capacity = std::min<qsizetype>(cap, capacity * 2);
            out->resize(capacity);
        }
        const qsizetype room = std::min<qsizetype>(capacity - produced,
                                                   std::numeric_limits<uInt>::max());
        zs.next_out = reinterpret_cast<Bytef *>(out->data() + produced);
        zs.avail_out = uInt(room);
        const int rc = ::inflate(&zs, Z_NO_FLUSH);
        produced += room - qsizetype(zs.avail_out);
        if (rc == Z_STREAM_END) {
            // Bytes after the end of the zlib stream are not part of any message.
            ok = zs.avail_in == 0;
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0)
            break;   // truncated stream
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;   // corrupt data, bad header or checksum
        if (produced > maxBytes) {
            *tooLarge = true;
            break;
        }
    }
    inflateEnd(&zs);
    if (produced > maxBytes) {
        *tooLarge = true;
        ok = false;
    }
    if (!ok) {
        out->clear();
        return false;
    }
    out->resize(produced);
    return true;
}

} // namespace

DecodedFrame decodeText(const QByteArray &utf8, qsizetype maxBytes)
{
    if (utf8.size() > maxBytes)
        return tooLarge(maxBytes);
    return decodeJson(utf8);
}

DecodedFrame decodeBinary(const QByteArray &frame, qsizetype maxBytes)
{
    if (frame.isEmpty())
        return invalid(QStringLiteral("empty binary frame"));
    if (frame.size() > maxBytes)
        return tooLarge(maxBytes);
    const char header = frame.at(0);
    const char *payload = frame.constData() + 1;
    const qsizetype payloadSize = frame.size() - 1;
    switch (header) {
    case kMsgPack:
        return decodeMsgPack(payload, payloadSize);
    case kZlibMsgPack:
    case kZlibJson: {
        QByteArray inflated;
        bool over = false;
        if (!inflateInto(payload, payloadSize, maxBytes, &inflated, &over)) {
            if (over)
                return tooLarge(maxBytes);
            return invalid(QStringLiteral("corrupt zlib stream"));
        }
        if (header == kZlibJson)
            return decodeJson(inflated);
        return decodeMsgPack(inflated.constData(), inflated.size());
    }
    default:
        return invalid(QStringLiteral("unknown binary frame header 0x%1")
                           .arg(uint(uchar(header)), 2, 16, QLatin1Char('0')));
    }
}

EncodedFrame encode(const QVariantMap &message, Encoding encoding, bool compression)
{
    EncodedFrame frame;
    const QVariant value(message);
    if (encoding == Encoding::Json) {
        QByteArray text;
        text.reserve(256);
        json::write(value, text);
        if (compression && text.size() > kCompressionThreshold) {
            frame.bytes.reserve(1 + qsizetype(compressBound(uLong(text.size()))));
            frame.bytes.append(kZlibJson);
            deflateInto(text.constData(), text.size(), frame.bytes, 1);
            frame.binary = true;
        } else {
            frame.bytes = std::move(text);
        }
        return frame;
    }

    // The header byte goes first so the uncompressed form needs no copy.
    QByteArray packed;
    packed.reserve(256);
    packed.append(kMsgPack);
    msgpack::write(value, packed);
    frame.binary = true;
    const qsizetype payloadSize = packed.size() - 1;
    if (compression && payloadSize > kCompressionThreshold) {
        frame.bytes.reserve(1 + qsizetype(compressBound(uLong(payloadSize))));
        frame.bytes.append(kZlibMsgPack);
        deflateInto(packed.constData() + 1, payloadSize, frame.bytes, 1);
    } else {
        frame.bytes = std::move(packed);
    }
    return frame;
}

QByteArray deflate(const QByteArray &data)
{
    QByteArray out;
    deflateInto(data.constData(), data.size(), out, 0);
    return out;
}

bool inflate(const QByteArray &data, qsizetype maxBytes, QByteArray *out, bool *tooLarge)
{
    QByteArray result;
    bool over = false;
    const bool ok = inflateInto(data.constData(), data.size(), maxBytes, &result, &over);
    if (tooLarge)
        *tooLarge = over;
    if (out)
        *out = ok ? std::move(result) : QByteArray();
    return ok;
}

} // namespace halhub::framecodec
