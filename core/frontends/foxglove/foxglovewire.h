#pragma once

#include "bus/deviceinfo.h"
#include "commands/commandrouter.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QList>
#include <QPair>
#include <QString>
#include <QVariant>
#include <QVariantMap>

#include <optional>

// The Foxglove WebSocket protocol (v1) as halhub speaks it
// (docs/protocol.md section 14): the messages the front end sends, built
// here, and the client's binary requests, read here. Pure functions: the
// front end and the tests use the same ones.
namespace halhub::foxglove {

// The subprotocols a Foxglove client offers, in our order of preference.
QByteArrayList subprotocols();
// Whether a Sec-WebSocket-Protocol header value offers one of them.
bool offersFoxglove(const QByteArray &secWebSocketProtocol);

enum class StatusLevel { Info = 0, Warning = 1, Error = 2 };

// Binary opcodes, server to client and client to server.
constexpr quint8 kMessageData = 0x01;
constexpr quint8 kServiceCallResponse = 0x03;
constexpr quint8 kClientMessageData = 0x01;
constexpr quint8 kServiceCallRequest = 0x02;
// Bytes before a Message Data frame's payload: opcode, subscription id,
// timestamp.
constexpr int kMessageDataHeaderBytes = 1 + 4 + 8;

// JSON text messages -------------------------------------------------------

QVariantMap serverInfo(const QString &sessionId, const QVariantMap &metadata);
QVariantMap status(StatusLevel level, const QString &message, const QString &id = {});
QVariantMap removeStatus(const QStringList &ids);

// The JSON Schema (as text) of a device's messages: an object whose
// properties are `ts` (integer) and each channel, each with one string type.
QByteArray channelSchema(const DeviceInfo &device);
// One advertised channel.
QVariantMap channel(quint32 id, const DeviceInfo &device);
QVariantMap advertise(const QVariantList &channels);
QVariantMap unadvertise(const QList<quint32> &channelIds);

// A command's service: name /ID/COMMAND, type halhub.command, JSON both ways.
QString serviceName(const QString &device, const QString &command);
QVariantMap service(quint32 id, const QString &device, const CommandSpec &command);
QVariantMap advertiseServices(const QVariantList &services);
QVariantMap unadvertiseServices(const QList<quint32> &serviceIds);
QVariantMap serviceCallFailure(quint32 serviceId, quint32 callId, const QString &message);

// Binary frames ------------------------------------------------------------

// The payload of a device sample: {"ts": µs, channel: value, ...}, encoded
// once and shared by every subscription. A channel named `ts` is left out
// (the name is the sample time's).
QByteArray samplePayload(qint64 timestampUs, const QList<QPair<QString, QVariant>> &values);
// Opcode 0x01: subscription id, the sample time in ns, payload.
QByteArray messageData(quint32 subscriptionId, qint64 timestampUs, const QByteArray &payload);

// The payload of a service call's answer: {status, result?, error?,
// attempts, duration_ms}.
QByteArray resultPayload(const CommandResult &result);
// A command refused before it was queued (error code and message).
QByteArray refusalPayload(const QString &code, const QString &message);
// Opcode 0x03: service id, call id, encoding, payload.
QByteArray serviceCallResponse(quint32 serviceId, quint32 callId, const QByteArray &encoding,
                               const QByteArray &payload);

struct ServiceCallRequest
{
    quint32 serviceId = 0;
    quint32 callId = 0;
    QByteArray encoding;
    QByteArray payload;
};
// Opcode 0x02 (the opcode byte included); nothing when it is truncated.
std::optional<ServiceCallRequest> readServiceCallRequest(const QByteArray &frame);

} // namespace halhub::foxglove
