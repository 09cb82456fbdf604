#include "fuzzentry.h"

#include "auth/scopes.h"
#include "auth/tokenverifier.h"
#include "bus/deviceinfo.h"
#include "commands/commandrouter.h"
#include "net/websocketreader.h"
#include "protocol/envelope.h"
#include "protocol/messages.h"
#include "protocol/framecodec.h"
#include "protocol/utf8_p.h"
#include "telemetry/streamspec.h"

#include <QByteArray>

#include <cstdio>
#include <cstdlib>

namespace halhub::fuzz {

namespace {

constexpr qsizetype kMaxBytes = 65536;

[[noreturn]] void broken(const char *what)
{
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

DecodedFrame decode(const uint8_t *data, size_t size)
{
    if (size == 0)
        return {};
    const QByteArray frame(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    return (data[0] & 1) ? framecodec::decodeBinary(frame, kMaxBytes)
                         : framecodec::decodeText(frame, kMaxBytes);
}

DeviceInfo device()
{
    DeviceInfo d;
    d.id = QStringLiteral("sim0");
    d.plugin = QStringLiteral("sim");
    d.state = DeviceState::Connected;
    d.rateHz = 100;
    for (const char *name : {"sine", "ramp", "noise", "step"})
        d.channels.append({QString::fromLatin1(name), QString(), ChannelType::Float});
    CommandSpec set;
    set.name = QStringLiteral("set");
    set.params = {{QStringLiteral("channel"), ParamType::String, true, {}, {}, {QStringLiteral("sine"), QStringLiteral("ramp")}},
                  {QStringLiteral("value"), ParamType::Number, false, -1e6, 1e6, {}}};
    CommandSpec sleep;
    sleep.name = QStringLiteral("sleep");
    sleep.params = {{QStringLiteral("ms"), ParamType::Integer, true, 0, 60000, {}},
                    {QStringLiteral("list"), ParamType::List, false, {}, {}, {}},
                    {QStringLiteral("flag"), ParamType::Bool, false, {}, {}, {}}};
    d.commands = {set, sleep};
    return d;
}

const TokenVerifier &verifier()
{
    static const TokenVerifier v = [] {
        AuthConfig c;
        c.jwtSecret = QStringLiteral("fuzz");
        c.issuer = QStringLiteral("iss");
        c.audience = QStringLiteral("aud");
        TokenVerifier t(c);
        QString error;
        if (!t.load(&error))
            broken("verifier key");
        return t;
    }();
    return v;
}

using ReaderEvent = WebSocketReader::Event;

void checkEvent(const ReaderEvent &e, qint64 limit)
{
    switch (e.kind) {
    case ReaderEvent::Kind::Text: {
        QString text;
        if (!utf8::toString(e.payload.constData(), e.payload.size(), &text))
            broken("a text message is not valid UTF-8");
        [[fallthrough]];
    }
    case ReaderEvent::Kind::Binary:
        if (e.payload.size() > limit)
            broken("a message is larger than the limit");
        break;
    case ReaderEvent::Kind::Ping:
    case ReaderEvent::Kind::Pong:
        if (e.payload.size() > 125)
            broken("a control payload is longer than 125 bytes");
        break;
    case ReaderEvent::Kind::Close: {
        const int c = e.closeCode;
        const bool valid = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
        if (!valid && !(c == 1005 && e.payload.isEmpty()))
            broken("a close event has an invalid code");
        QString reason;
        if (e.payload.size() > 123 || !utf8::toString(e.payload.constData(), e.payload.size(), &reason))
            broken("a close reason is not valid UTF-8 of at most 123 bytes");
        break;
    }
    case ReaderEvent::Kind::Error:
        if (e.closeCode != 1002 && e.closeCode != 1007 && e.closeCode != 1009)
            broken("an error has an unexpected close code");
        if (e.error.isEmpty() || e.error.toUtf8().size() > 123)
            broken("an error has no reason or one longer than 123 bytes");
        break;
    }
}

// Takes every event, checking each and the order: nothing after a close or an error.
void takeEvents(WebSocketReader &reader, qint64 limit, QList<ReaderEvent> *out)
{
    ReaderEvent e;
    while (reader.next(&e)) {
        if (!out->isEmpty()) {
            const ReaderEvent::Kind last = out->last().kind;
            if (last == ReaderEvent::Kind::Error || last == ReaderEvent::Kind::Close)
                broken("an event after an error or a close");
        }
        checkEvent(e, limit);
        out->append(e);
    }
    if (reader.failed() != (!out->isEmpty() && out->last().kind == ReaderEvent::Kind::Error))
        broken("failed() disagrees with the events");
    if (reader.failed() && reader.bufferedBytes() != 0)
        broken("a failed reader still holds bytes");
}

} // namespace

void frameDecoder(const uint8_t *data, size_t size)
{
    const DecodedFrame decoded = decode(data, size);
    if (decoded.status != DecodedFrame::Status::Ok)
        return;
    for (const Encoding encoding : {Encoding::Json, Encoding::MsgPack}) {
        for (const bool compression : {false, true}) {
            const EncodedFrame encoded = framecodec::encode(decoded.message, encoding, compression);
            const DecodedFrame again = encoded.binary
                ? framecodec::decodeBinary(encoded.bytes, 1 << 30)
                : framecodec::decodeText(encoded.bytes, 1 << 30);
            if (again.status != DecodedFrame::Status::Ok)
                broken("a decoded message does not decode again after encoding");
        }
    }
}

void requestValidator(const uint8_t *data, size_t size)
{
    const DecodedFrame decoded = decode(data, size);
    if (decoded.status != DecodedFrame::Status::Ok)
        return;
    const Envelope envelope = readEnvelope(decoded.message);
    if (!envelope.ok) {
        if (envelope.error.isEmpty())
            broken("invalid envelope without a reason");
        return;
    }
    if (envelope.id.isValid() && !isValidRequestId(envelope.id))
        broken("envelope accepted an invalid id");
    Scopes(QStringList{QStringLiteral("device:sim0:write")}).allowsType(envelope.type);

    // The fields of each request, read as the halhub front end reads them.
    static const DeviceInfo sim = device();
    const QVariantMap &m = decoded.message;
    QString why;
    bool ok = true;
    if (envelope.type == QLatin1String("subscribe")) {
        QString name;
        if (messages::readSubscribeDevice(m, &name, &why)) {
            const auto spec = parseStreamSpec(m, sim, 1000, &why);
            if (!spec && why.isEmpty())
                broken("stream spec refused without a reason");
        } else {
            ok = false;
        }
    } else if (envelope.type == QLatin1String("command")) {
        CommandRequest request;
        ok = messages::readCommand(m, &request, &why);
        if (ok) {
            if (const CommandSpec *spec = sim.command(request.command))
                checkCommandParams(*spec, request.params);
        }
    } else if (envelope.type == QLatin1String("hello")) {
        messages::Hello hello;
        ok = messages::readHello(m, &hello, &why);
        if (ok && hello.token) {
            const TokenCheck check = verifier().verify(hello.token->toUtf8(), 1700000000);
            if (!check.ok && check.error.isEmpty())
                broken("token refused without a reason");
        }
    } else if (envelope.type == QLatin1String("unsubscribe")) {
        QString stream;
        ok = messages::readUnsubscribe(m, &stream, &why);
    } else if (envelope.type == QLatin1String("cancel")) {
        QString commandId;
        ok = messages::readCancel(m, &commandId, &why);
    }
    if (!ok && why.isEmpty())
        broken("field error without a message");
}

void webSocketReader(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    const qint64 limit = qint64(1) << (data[0] & 31);
    const qsizetype piece = 1 + 5 * (data[0] >> 5);
    const auto *stream = reinterpret_cast<const char *>(data + 1);
    const auto length = qsizetype(size - 1);

    WebSocketReader whole(limit);
    whole.feed(stream, length);
    QList<ReaderEvent> wholeEvents;
    takeEvents(whole, limit, &wholeEvents);

    WebSocketReader pieces(limit);
    QList<ReaderEvent> piecesEvents;
    for (qsizetype at = 0; at < length; at += piece) {
        pieces.feed(stream + at, qMin(piece, length - at));
        takeEvents(pieces, limit, &piecesEvents);
    }

    if (wholeEvents.size() != piecesEvents.size() || whole.bufferedBytes() != pieces.bufferedBytes()
        || whole.failed() != pieces.failed())
        broken("the reader depends on how its input is split");
    qsizetype payloadBytes = 0;
    for (qsizetype i = 0; i < wholeEvents.size(); ++i) {
        const ReaderEvent &a = wholeEvents.at(i);
        const ReaderEvent &b = piecesEvents.at(i);
        if (a.kind != b.kind || a.payload != b.payload || a.closeCode != b.closeCode || a.error != b.error)
            broken("the reader depends on how its input is split");
        payloadBytes += a.payload.size();
    }
    if (payloadBytes + whole.bufferedBytes() > length)
        broken("the reader holds more bytes than it was given");
}

} // namespace halhub::fuzz
