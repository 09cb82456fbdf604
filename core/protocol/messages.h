#pragma once

#include "commands/commandrouter.h"
#include "protocol/framecodec.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QVariant>
#include <QVariantMap>

#include <optional>

namespace halhub {

struct DeviceInfo;
struct LimitsConfig;
struct RecordingSummary;
struct StreamSpec;

// The halhub protocol's vocabulary in one place (docs/protocol.md sections 3
// and 4): every message the server sends is built here, and every request's
// fields are read here, by the halhub front end and the fuzz targets alike.
// Builders return the message map without `id`; withId() adds the id of the
// request a reply answers. Readers check a request's fields with the rules
// of section 2 and return false with an invalid_params message naming the
// field.
namespace messages {

QString encodingName(Encoding encoding);

// `id` added when valid (a reply to a request that had one).
QVariantMap withId(QVariantMap message, const QVariant &id);

// Errors, replies and events -------------------------------------------

QVariantMap error(const QString &code, const QString &message, const QVariant &id = {},
                  qint64 retryAfterMs = -1);
// An `event`, stamped now; device, stream and data only when not empty.
QVariantMap event(const QString &event, const QString &device = {}, const QString &stream = {},
                  const QVariantMap &data = {});

struct Welcome
{
    QString session;
    bool resumed = false;
    Encoding encoding = Encoding::Json;
    bool compression = false;
    int heartbeatMs = 10000;
    QVariantList streams;           // resumed only: each as in `subscribed`
    QString node;                   // in a cluster: this node's name
};
QVariantMap welcome(const Welcome &welcome, const LimitsConfig &limits);
QVariantMap pong(const QVariant &t);
// One `devices` entry, and the whole reply.
QVariantMap device(const DeviceInfo &info);
QVariantMap devices(const QList<DeviceInfo> &devices);
// A stream as `subscribed` and a resuming welcome's `streams` describe it:
// stream, device, mode, rate_hz (granted; null for a per-sample stream),
// channels.
QVariantMap stream(const QString &streamId, const StreamSpec &spec, const DeviceInfo &device);
// The reply to a subscribe: the stream's description with its type.
QVariantMap subscribed(const QVariantMap &streamDescription);
QVariantMap unsubscribed(const QString &stream);
QVariantMap ack(const QString &commandId);
QVariantMap cancelled(const QString &commandId);
// The `result` of a command, answering the request with requestId.
QVariantMap result(const CommandResult &result, const QVariant &requestId);
QVariantMap metrics(QVariantMap figures);

// Requests ---------------------------------------------------------------

struct Hello
{
    std::optional<QString> token;
    std::optional<Encoding> encoding;
    std::optional<bool> compression;
    std::optional<QString> resume;
    QHash<QString, quint64> lastSeq;
    QSet<QString> resultsSeen;
    std::optional<QString> client;
};
bool readHello(const QVariantMap &message, Hello *hello, QString *error);

// device, command, params, timeout_ms, retries and key of a `command`;
// the rest of the request (who sends it) is the caller's.
bool readCommand(const QVariantMap &message, CommandRequest *request, QString *error);
// The `device` of a subscribe (the stream spec is read by parseStreamSpec).
bool readSubscribeDevice(const QVariantMap &message, QString *device, QString *error);
// The `stream` of an unsubscribe.
bool readUnsubscribe(const QVariantMap &message, QString *stream, QString *error);
// The `command_id` of a cancel.
bool readCancel(const QVariantMap &message, QString *commandId, QString *error);

// Recording (section 15) ------------------------------------------------

struct RecordStart
{
    std::optional<QStringList> devices;     // none: every device
    QString name;                           // empty: the default name
};
// devices (a non-empty list of strings) and name ([A-Za-z0-9_.-]{1,64}).
bool readRecordStart(const QVariantMap &message, RecordStart *request, QString *error);
// The `recording` of a record_stop.
bool readRecordStop(const QVariantMap &message, QString *recording, QString *error);
// `recording`: recording, file, devices.
QVariantMap recordingStarted(const RecordingSummary &summary);
// `recorded`: recording, file, samples {device: count}.
QVariantMap recorded(const RecordingSummary &summary);
// `recordings`: recordings [{name, file, bytes, started, ended|null,
// devices}], and for this process's own: running, lost, error.
QVariantMap recordings(const QList<RecordingSummary> &list);

} // namespace messages
} // namespace halhub
