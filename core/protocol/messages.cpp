#include "protocol/messages.h"

#include "recording/recorder.h"

#include "bus/clock.h"
#include "bus/deviceinfo.h"
#include "bus/value.h"
#include "config/config.h"
#include "protocol/fields.h"
#include "telemetry/streamspec.h"

namespace halhub::messages {

namespace {

QVariantMap typed(const QString &type)
{
    QVariantMap m;
    m.insert(QStringLiteral("type"), type);
    return m;
}

} // namespace

QString encodingName(Encoding encoding)
{
    return encoding == Encoding::MsgPack ? QStringLiteral("msgpack") : QStringLiteral("json");
}

QVariantMap withId(QVariantMap message, const QVariant &id)
{
    if (id.isValid())
        message.insert(QStringLiteral("id"), id);
    return message;
}

QVariantMap error(const QString &code, const QString &message, const QVariant &id,
                  qint64 retryAfterMs)
{
    QVariantMap m = typed(QStringLiteral("error"));
    m.insert(QStringLiteral("code"), code);
    m.insert(QStringLiteral("message"), message);
    if (retryAfterMs >= 0)
        m.insert(QStringLiteral("retry_after_ms"), qlonglong(retryAfterMs));
    return withId(m, id);
}

QVariantMap event(const QString &event, const QString &device, const QString &stream,
                  const QVariantMap &data)
{
    QVariantMap m = typed(QStringLiteral("event"));
    m.insert(QStringLiteral("event"), event);
    m.insert(QStringLiteral("ts"), qlonglong(wallClockUs()));
    if (!device.isEmpty())
        m.insert(QStringLiteral("device"), device);
    if (!stream.isEmpty())
        m.insert(QStringLiteral("stream"), stream);
    if (!data.isEmpty())
        m.insert(QStringLiteral("data"), data);
    return m;
}

QVariantMap welcome(const Welcome &welcome, const LimitsConfig &limits)
{
    QVariantMap l;
    l.insert(QStringLiteral("rate_limit_per_min"), qlonglong(limits.rateLimitPerMin));
    l.insert(QStringLiteral("max_rate_hz"), limits.maxRateHz);
    l.insert(QStringLiteral("max_streams"), qlonglong(limits.maxStreams));
    l.insert(QStringLiteral("max_message_bytes"), qlonglong(limits.maxMessageBytes));

    QVariantMap m = typed(QStringLiteral("welcome"));
    m.insert(QStringLiteral("session"), welcome.session);
    m.insert(QStringLiteral("resumed"), welcome.resumed);
    m.insert(QStringLiteral("server"), QStringLiteral("halhub/" HALHUB_VERSION));
    m.insert(QStringLiteral("protocol"), qlonglong(1));
    m.insert(QStringLiteral("encoding"), encodingName(welcome.encoding));
    m.insert(QStringLiteral("compression"), welcome.compression);
    m.insert(QStringLiteral("heartbeat_ms"), qlonglong(welcome.heartbeatMs));
    m.insert(QStringLiteral("limits"), l);
    if (welcome.resumed)
        m.insert(QStringLiteral("streams"), welcome.streams);
    if (!welcome.node.isEmpty())
        m.insert(QStringLiteral("node"), welcome.node);
    return m;
}

QVariantMap pong(const QVariant &t)
{
    QVariantMap m = typed(QStringLiteral("pong"));
    if (!value::isNull(t))
        m.insert(QStringLiteral("t"), t);
    m.insert(QStringLiteral("server_time"), qlonglong(wallClockUs()));
    return m;
}

QVariantMap device(const DeviceInfo &info)
{
    QVariantList channels;
    for (const ChannelInfo &c : info.channels) {
        QVariantMap ch;
        ch.insert(QStringLiteral("name"), c.name);
        if (!c.unit.isEmpty())
            ch.insert(QStringLiteral("unit"), c.unit);
        ch.insert(QStringLiteral("type"), channelTypeName(c.type));
        channels.append(ch);
    }
    QVariantList commands;
    for (const CommandSpec &c : info.commands) {
        QVariantMap cmd;
        cmd.insert(QStringLiteral("name"), c.name);
        if (!c.params.isEmpty()) {
            QVariantMap params;
            QVariantMap paramInfo;
            for (const ParamSpec &p : c.params) {
                params.insert(p.name, paramTypeName(p.type));
                QVariantMap pi;
                if (p.minimum)
                    pi.insert(QStringLiteral("min"), *p.minimum);
                if (p.maximum)
                    pi.insert(QStringLiteral("max"), *p.maximum);
                if (!p.unit.isEmpty())
                    pi.insert(QStringLiteral("unit"), p.unit);
                if (!pi.isEmpty())
                    paramInfo.insert(p.name, pi);
            }
            cmd.insert(QStringLiteral("params"), params);
            if (!paramInfo.isEmpty())
                cmd.insert(QStringLiteral("param_info"), paramInfo);
        }
        if (!c.description.isEmpty())
            cmd.insert(QStringLiteral("description"), c.description);
        commands.append(cmd);
    }
    QVariantMap m;
    m.insert(QStringLiteral("id"), info.id);
    m.insert(QStringLiteral("plugin"), info.plugin);
    m.insert(QStringLiteral("name"), info.name.isEmpty() ? info.id : info.name);
    m.insert(QStringLiteral("state"), deviceStateName(info.state));
    m.insert(QStringLiteral("error"), info.state == DeviceState::Connected || info.error.isEmpty()
                                              ? value::null() : QVariant(info.error));
    if (!info.port.isEmpty())
        m.insert(QStringLiteral("port"), info.port);
    m.insert(QStringLiteral("rate_hz"), info.rateHz ? QVariant(*info.rateHz) : value::null());
    m.insert(QStringLiteral("channels"), channels);
    m.insert(QStringLiteral("commands"), commands);
    if (!info.node.isEmpty())
        m.insert(QStringLiteral("node"), info.node);
    return m;
}

QVariantMap devices(const QList<DeviceInfo> &devices)
{
    QVariantList list;
    for (const DeviceInfo &info : devices)
        list.append(device(info));
    QVariantMap m = typed(QStringLiteral("devices"));
    m.insert(QStringLiteral("devices"), list);
    return m;
}

QVariantMap stream(const QString &streamId, const StreamSpec &spec, const DeviceInfo &device)
{
    QVariantList channels;
    if (spec.allChannels && spec.channels.isEmpty()) {
        for (const ChannelInfo &c : device.channels)
            channels.append(c.name);
    } else {
        for (const QString &c : spec.channels)
            channels.append(c);
    }
    QVariantMap m;
    m.insert(QStringLiteral("stream"), streamId);
    m.insert(QStringLiteral("device"), spec.device.isEmpty() ? device.id : spec.device);
    m.insert(QStringLiteral("mode"), streamModeName(spec.mode));
    m.insert(QStringLiteral("rate_hz"), spec.rateHz > 0 ? QVariant(spec.rateHz) : value::null());
    m.insert(QStringLiteral("channels"), channels);
    return m;
}

QVariantMap subscribed(const QVariantMap &streamDescription)
{
    QVariantMap m = streamDescription;
    m.insert(QStringLiteral("type"), QStringLiteral("subscribed"));
    return m;
}

QVariantMap unsubscribed(const QString &stream)
{
    QVariantMap m = typed(QStringLiteral("unsubscribed"));
    m.insert(QStringLiteral("stream"), stream);
    return m;
}

QVariantMap ack(const QString &commandId)
{
    QVariantMap m = typed(QStringLiteral("ack"));
    m.insert(QStringLiteral("command_id"), commandId);
    return m;
}

QVariantMap cancelled(const QString &commandId)
{
    QVariantMap m = typed(QStringLiteral("cancelled"));
    m.insert(QStringLiteral("command_id"), commandId);
    return m;
}

QVariantMap result(const CommandResult &result, const QVariant &requestId)
{
    QVariantMap m = typed(QStringLiteral("result"));
    m.insert(QStringLiteral("id"), requestId);
    m.insert(QStringLiteral("command_id"), result.commandId);
    m.insert(QStringLiteral("device"), result.device);
    m.insert(QStringLiteral("command"), result.command);
    m.insert(QStringLiteral("status"), commandStatusName(result.status));
    switch (result.status) {
    case CommandResult::Status::Ok:
        m.insert(QStringLiteral("result"), result.result.isValid() ? result.result : value::null());
        break;
    case CommandResult::Status::Error:
    case CommandResult::Status::Timeout: {
        QVariantMap error;
        error.insert(QStringLiteral("code"), result.errorCode);
        error.insert(QStringLiteral("message"), result.errorMessage);
        m.insert(QStringLiteral("error"), error);
        break;
    }
    case CommandResult::Status::Cancelled:
        break;
    }
    m.insert(QStringLiteral("attempts"), qlonglong(result.attempts));
    m.insert(QStringLiteral("duration_ms"), qlonglong(result.durationMs));
    return m;
}

QVariantMap metrics(QVariantMap figures)
{
    figures.insert(QStringLiteral("type"), QStringLiteral("metrics"));
    return figures;
}

bool readHello(const QVariantMap &message, Hello *hello, QString *error)
{
    FieldReader f(message);
    hello->token = f.string(QStringLiteral("token"), false);
    const auto encoding = f.choice(QStringLiteral("encoding"), false,
                                   {QStringLiteral("json"), QStringLiteral("msgpack")});
    if (encoding)
        hello->encoding = *encoding == QLatin1String("msgpack") ? Encoding::MsgPack : Encoding::Json;
    hello->compression = f.boolean(QStringLiteral("compression"), false);
    hello->resume = f.string(QStringLiteral("resume"), false);
    const auto lastSeq = f.map(QStringLiteral("last_seq"), false);
    const auto resultsSeen = f.list(QStringLiteral("results_seen"), false);
    hello->client = f.string(QStringLiteral("client"), false);
    if (lastSeq) {
        for (auto it = lastSeq->cbegin(); it != lastSeq->cend(); ++it) {
            qint64 seq = -1;
            if (!value::isInteger(*it) || !value::toInt64(*it, &seq) || seq < 0) {
                f.fail(QStringLiteral("last_seq.%1 must be a non-negative integer").arg(it.key()));
                break;
            }
            hello->lastSeq.insert(it.key(), quint64(seq));
        }
    }
    if (resultsSeen) {
        for (const QVariant &v : *resultsSeen) {
            if (!value::isString(v)) {
                f.fail(QStringLiteral("results_seen must be a list of command_id strings"));
                break;
            }
            hello->resultsSeen.insert(v.toString());
        }
    }
    *error = f.error();
    return f.ok();
}

bool readCommand(const QVariantMap &message, CommandRequest *request, QString *error)
{
    FieldReader f(message);
    request->device = f.string(QStringLiteral("device"), true).value_or(QString());
    request->command = f.string(QStringLiteral("command"), true).value_or(QString());
    request->params = f.map(QStringLiteral("params"), false).value_or(QVariantMap());
    request->timeoutMs = int(f.integer(QStringLiteral("timeout_ms"), false, 1, 60000).value_or(1000));
    request->retries = int(f.integer(QStringLiteral("retries"), false, 0, 5).value_or(0));
    request->key = f.string(QStringLiteral("key"), false, 1, 64).value_or(QString());
    *error = f.error();
    return f.ok();
}

namespace {

bool readRequiredString(const QVariantMap &message, const QString &key, QString *out,
                        QString *error)
{
    FieldReader f(message);
    const auto v = f.string(key, true);
    *error = f.error();
    if (!f.ok())
        return false;
    *out = *v;
    return true;
}

} // namespace

bool readSubscribeDevice(const QVariantMap &message, QString *device, QString *error)
{
    return readRequiredString(message, QStringLiteral("device"), device, error);
}

bool readUnsubscribe(const QVariantMap &message, QString *stream, QString *error)
{
    return readRequiredString(message, QStringLiteral("stream"), stream, error);
}

bool readCancel(const QVariantMap &message, QString *commandId, QString *error)
{
    return readRequiredString(message, QStringLiteral("command_id"), commandId, error);
}

bool readRecordStart(const QVariantMap &message, RecordStart *request, QString *error)
{
    FieldReader f(message);
    const auto devices = f.list(QStringLiteral("devices"), false);
    const auto name = f.string(QStringLiteral("name"), false);
    if (devices) {
        QStringList ids;
        for (const QVariant &v : *devices) {
            if (!value::isString(v)) {
                f.fail(QStringLiteral("devices must be a list of device ids"));
                break;
            }
            ids << v.toString();
        }
        if (devices->isEmpty())
            f.fail(QStringLiteral("devices must not be empty (leave it out to record every device)"));
        request->devices = ids;
    }
    if (name && f.ok()) {
        if (!Recorder::isValidName(*name))
            f.fail(QStringLiteral("name must be 1 to 64 of A-Z a-z 0-9 _ . - (a file stem, no "
                                  "slash)"));
        request->name = *name;
    }
    *error = f.error();
    return f.ok();
}

bool readRecordStop(const QVariantMap &message, QString *recording, QString *error)
{
    return readRequiredString(message, QStringLiteral("recording"), recording, error);
}

QVariantMap recordingStarted(const RecordingSummary &summary)
{
    QVariantMap m = typed(QStringLiteral("recording"));
    m.insert(QStringLiteral("recording"), summary.name);
    m.insert(QStringLiteral("file"), summary.file);
    m.insert(QStringLiteral("devices"), summary.devices);
    return m;
}

QVariantMap recorded(const RecordingSummary &summary)
{
    QVariantMap m = typed(QStringLiteral("recorded"));
    m.insert(QStringLiteral("recording"), summary.name);
    m.insert(QStringLiteral("file"), summary.file);
    QVariantMap samples;
    for (auto it = summary.samples.cbegin(); it != summary.samples.cend(); ++it)
        samples.insert(it.key(), qlonglong(it.value()));
    m.insert(QStringLiteral("samples"), samples);
    if (summary.lost > 0)
        m.insert(QStringLiteral("lost"), qlonglong(summary.lost));
    if (!summary.error.isEmpty())
        m.insert(QStringLiteral("error"), summary.error);
    return m;
}

QVariantMap recordings(const QList<RecordingSummary> &list)
{
    QVariantList entries;
    for (const RecordingSummary &s : list) {
        QVariantMap e;
        e.insert(QStringLiteral("name"), s.name);
        e.insert(QStringLiteral("file"), s.file);
        e.insert(QStringLiteral("bytes"), qlonglong(s.bytes));
        e.insert(QStringLiteral("started"), qlonglong(s.startedUs));
        e.insert(QStringLiteral("ended"), s.endedUs ? QVariant(qlonglong(*s.endedUs)) : value::null());
        e.insert(QStringLiteral("devices"), s.devices);
        e.insert(QStringLiteral("running"), s.running);
        if (s.lost > 0)
            e.insert(QStringLiteral("lost"), qlonglong(s.lost));
        if (!s.error.isEmpty())
            e.insert(QStringLiteral("error"), s.error);
        entries << e;
    }
    QVariantMap m = typed(QStringLiteral("recordings"));
    m.insert(QStringLiteral("recordings"), entries);
    return m;
}

} // namespace halhub::messages
