#include "telemetry/telemetrymessage.h"

#include "protocol/json.h"
#include "protocol/msgpack.h"

#include <charconv>

namespace halhub::telemetrymessage {

namespace {

constexpr char kMsgPack = 0x00;
constexpr char kZlibMsgPack = 0x01;
constexpr char kZlibJson = 0x02;

void appendDecimal(QByteArray &out, quint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

void appendDecimal(QByteArray &out, qint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

void appendBigEndian(QByteArray &out, quint64 v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i)
        out.append(char((v >> (8 * i)) & 0xff));
}

// MessagePack integers in their shortest form.
void packUnsigned(QByteArray &out, quint64 v)
{
    if (v <= 0x7f) {
        out.append(char(v));
    } else if (v <= 0xff) {
        out.append(char(0xcc));
        appendBigEndian(out, v, 1);
    } else if (v <= 0xffff) {
        out.append(char(0xcd));
        appendBigEndian(out, v, 2);
    } else if (v <= 0xffffffffULL) {
        out.append(char(0xce));
        appendBigEndian(out, v, 4);
    } else {
        out.append(char(0xcf));
        appendBigEndian(out, v, 8);
    }
}

void packSigned(QByteArray &out, qint64 v)
{
    if (v >= 0) {
        packUnsigned(out, quint64(v));
        return;
    }
    out.append(char(0xd3));
    appendBigEndian(out, quint64(v), 8);
}

void packMapHeader(QByteArray &out, qsizetype n)
{
    if (n < 16) {
        out.append(char(0x80 | n));
    } else if (n <= 0xffff) {
        out.append(char(0xde));
        appendBigEndian(out, quint64(n), 2);
    } else {
        out.append(char(0xdf));
        appendBigEndian(out, quint64(n), 4);
    }
}

// A short ASCII key (all keys of this message are).
template<qsizetype N>
void packKey(QByteArray &out, const char (&key)[N])
{
    static_assert(N - 1 < 32, "a fixstr key");
    out.append(char(0xa0 | (N - 1)));
    out.append(key, N - 1);
}

QByteArray compressed(char header, const char *data, qsizetype size)
{
    QByteArray out;
    out.append(header);
    out.append(framecodec::deflate(QByteArray::fromRawData(data, size)));
    return out;
}

} // namespace

QByteArray encodeValues(const QList<QPair<QString, QVariant>> &values, Encoding encoding)
{
    QByteArray out;
    out.reserve(32 + 32 * values.size());
    if (encoding == Encoding::Json) {
        out.append('{');
        bool first = true;
        for (const auto &[channel, value] : values) {
            if (!first)
                out.append(',');
            first = false;
            json::write(QVariant(channel), out);
            out.append(':');
            json::write(value, out);
        }
        out.append('}');
        return out;
    }
    packMapHeader(out, values.size());
    for (const auto &[channel, value] : values) {
        msgpack::write(QVariant(channel), out);
        msgpack::write(value, out);
    }
    return out;
}

QByteArray encodePrefix(const QString &stream, const QString &device, Encoding encoding)
{
    QByteArray out;
    if (encoding == Encoding::Json) {
        out.append(R"({"type":"telemetry","stream":)");
        json::write(QVariant(stream), out);
        out.append(R"(,"device":)");
        json::write(QVariant(device), out);
        return out;
    }
    packKey(out, "type");
    packKey(out, "telemetry");
    packKey(out, "stream");
    msgpack::write(QVariant(stream), out);
    packKey(out, "device");
    msgpack::write(QVariant(device), out);
    return out;
}

EncodedFrame encode(const QByteArray &prefix, const Fields &fields, const QByteArray &values,
                    Encoding encoding, bool compression)
{
    EncodedFrame frame;
    QByteArray &out = frame.bytes;
    out.reserve(prefix.size() + values.size() + 96);
    if (encoding == Encoding::Json) {
        out.append(prefix);
        out.append(R"(,"seq":)");
        appendDecimal(out, fields.seq);
        out.append(R"(,"ts":)");
        appendDecimal(out, fields.ts);
        out.append(R"(,"sent":)");
        appendDecimal(out, fields.sent);
        if (fields.key)
            out.append(R"(,"key":true)");
        if (fields.gap)
            out.append(R"(,"gap":true)");
        out.append(R"(,"values":)");
        out.append(values);
        out.append('}');
        if (compression && out.size() > framecodec::kCompressionThreshold) {
            out = compressed(kZlibJson, out.constData(), out.size());
            frame.binary = true;
        }
        return frame;
    }

    frame.binary = true;
    out.append(kMsgPack);
    // type, stream, device, seq, ts, sent, values, and the flags set.
    packMapHeader(out, 7 + (fields.key ? 1 : 0) + (fields.gap ? 1 : 0));
    out.append(prefix);
    packKey(out, "seq");
    packUnsigned(out, fields.seq);
    packKey(out, "ts");
    packSigned(out, fields.ts);
    packKey(out, "sent");
    packSigned(out, fields.sent);
    if (fields.key) {
        packKey(out, "key");
        out.append(char(0xc3));
    }
    if (fields.gap) {
        packKey(out, "gap");
        out.append(char(0xc3));
    }
    packKey(out, "values");
    out.append(values);
    if (compression && out.size() - 1 > framecodec::kCompressionThreshold)
        out = compressed(kZlibMsgPack, out.constData() + 1, out.size() - 1);
    return frame;
}

} // namespace halhub::telemetrymessage
