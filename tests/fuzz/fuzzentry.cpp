#include "fuzzentry.h"

#include "auth/scopes.h"
#include "auth/tokenverifier.h"
#include "bus/deviceinfo.h"
#include "commands/commandrouter.h"
#include "protocol/envelope.h"
#include "protocol/fields.h"
#include "protocol/framecodec.h"
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

    static const DeviceInfo sim = device();
    FieldReader f(decoded.message);
    if (envelope.type == QLatin1String("subscribe")) {
        QString why;
        const auto spec = parseStreamSpec(decoded.message, sim, 1000, &why);
        if (!spec && why.isEmpty())
            broken("stream spec refused without a reason");
    } else if (envelope.type == QLatin1String("command")) {
        f.string(QStringLiteral("device"), true);
        const auto command = f.string(QStringLiteral("command"), true);
        const auto params = f.map(QStringLiteral("params"), false);
        f.integer(QStringLiteral("timeout_ms"), false, 1, 60000);
        f.integer(QStringLiteral("retries"), false, 0, 5);
        f.string(QStringLiteral("key"), false, 1, 64);
        if (f.ok() && command) {
            if (const CommandSpec *spec = sim.command(*command))
                checkCommandParams(*spec, params.value_or(QVariantMap()));
        }
    } else if (envelope.type == QLatin1String("hello")) {
        const auto token = f.string(QStringLiteral("token"), false);
        f.choice(QStringLiteral("encoding"), false, {QStringLiteral("json"), QStringLiteral("msgpack")});
        f.boolean(QStringLiteral("compression"), false);
        f.map(QStringLiteral("last_seq"), false);
        f.list(QStringLiteral("results_seen"), false);
        if (token) {
            const TokenCheck check = verifier().verify(token->toUtf8(), 1700000000);
            if (!check.ok && check.error.isEmpty())
                broken("token refused without a reason");
        }
    } else {
        f.string(QStringLiteral("stream"), false);
        f.string(QStringLiteral("command_id"), false);
    }
    if (!f.ok() && f.error().isEmpty())
        broken("field error without a message");
}

} // namespace halhub::fuzz
