#include "frontends/foxglove/foxglovewire.h"

#include "net/handshake.h"
#include "protocol/json.h"

#include <QtEndian>

namespace halhub::foxglove {

namespace {

const QString kOp = QStringLiteral("op");

void appendLe32(QByteArray &out, quint32 v)
{
    char bytes[4];
    qToLittleEndian(v, bytes);
    out.append(bytes, 4);
}

void appendLe64(QByteArray &out, quint64 v)
{
    char bytes[8];
    qToLittleEndian(v, bytes);
    out.append(bytes, 8);
}

quint32 readLe32(const QByteArray &in, qsizetype at)
{
    return qFromLittleEndian<quint32>(in.constData() + at);
}

QString jsonType(ChannelType type)
{
    switch (type) {
    case ChannelType::Float:
        return QStringLiteral("number");
    case ChannelType::Int:
        return QStringLiteral("integer");
    case ChannelType::Bool:
        return QStringLiteral("boolean");
    case ChannelType::String:
        return QStringLiteral("string");
    }
    return QStringLiteral("number");
}

QString jsonType(ParamType type)
{
    switch (type) {
    case ParamType::Number:
        return QStringLiteral("number");
    case ParamType::Integer:
        return QStringLiteral("integer");
    case ParamType::Bool:
        return QStringLiteral("boolean");
    case ParamType::String:
        return QStringLiteral("string");
    case ParamType::List:
        return QStringLiteral("array");
    case ParamType::Any:
        break;
    }
    return {};
}

QVariantMap typed(const QString &type)
{
    return {{QStringLiteral("type"), type}};
}

QByteArray objectSchema(const QVariantMap &properties, const QStringList &required = {})
{
    QVariantMap schema{{QStringLiteral("type"), QStringLiteral("object")},
                       {QStringLiteral("properties"), properties}};
    if (!required.isEmpty())
        schema.insert(QStringLiteral("required"), required);
    return json::write(schema);
}

QByteArray paramsSchema(const CommandSpec &command)
{
    QVariantMap properties;
    QStringList required;
    for (const ParamSpec &p : command.params) {
        QVariantMap property;
        // `any`: any JSON value, no type.
        if (const QString type = jsonType(p.type); !type.isEmpty())
            property = typed(type);
        if (p.minimum)
            property.insert(QStringLiteral("minimum"), *p.minimum);
        if (p.maximum)
            property.insert(QStringLiteral("maximum"), *p.maximum);
        if (!p.allowed.isEmpty())
            property.insert(QStringLiteral("enum"), p.allowed);
        properties.insert(p.name, property);
        if (p.required)
            required.append(p.name);
    }
    return objectSchema(properties, required);
}

QByteArray resultSchema()
{
    const QVariantMap error{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"),
         QVariantMap{{QStringLiteral("code"), typed(QStringLiteral("string"))},
                     {QStringLiteral("message"), typed(QStringLiteral("string"))}}}};
    return objectSchema({{QStringLiteral("status"), typed(QStringLiteral("string"))},
                         {QStringLiteral("result"), QVariantMap()},
                         {QStringLiteral("error"), error},
                         {QStringLiteral("attempts"), typed(QStringLiteral("integer"))},
                         {QStringLiteral("duration_ms"), typed(QStringLiteral("integer"))}},
                        {QStringLiteral("status"), QStringLiteral("attempts"),
                         QStringLiteral("duration_ms")});
}

QVariantMap jsonDefinition(const QString &schemaName, const QByteArray &schema)
{
    return {{QStringLiteral("encoding"), QStringLiteral("json")},
            {QStringLiteral("schemaName"), schemaName},
            {QStringLiteral("schemaEncoding"), QStringLiteral("jsonschema")},
            {QStringLiteral("schema"), QString::fromUtf8(schema)}};
}

QVariantList idList(const QList<quint32> &ids)
{
    QVariantList list;
    list.reserve(ids.size());
    for (quint32 id : ids)
        list.append(qlonglong(id));
    return list;
}

} // namespace

QByteArrayList subprotocols()
{
    return {QByteArrayLiteral("foxglove.websocket.v1"), QByteArrayLiteral("foxglove.sdk.v1")};
}

bool offersFoxglove(const QByteArray &secWebSocketProtocol)
{
    return offersSubprotocol(secWebSocketProtocol, subprotocols());
}

QVariantMap serverInfo(const QString &sessionId, const QVariantMap &metadata)
{
    return {{kOp, QStringLiteral("serverInfo")},
            {QStringLiteral("name"), QStringLiteral("halhub/" HALHUB_VERSION)},
            {QStringLiteral("capabilities"), QStringList{QStringLiteral("services")}},
            {QStringLiteral("supportedEncodings"), QStringList{QStringLiteral("json")}},
            {QStringLiteral("metadata"), metadata},
            {QStringLiteral("sessionId"), sessionId}};
}

QVariantMap status(StatusLevel level, const QString &message, const QString &id)
{
    QVariantMap m{{kOp, QStringLiteral("status")},
                  {QStringLiteral("level"), int(level)},
                  {QStringLiteral("message"), message}};
    if (!id.isEmpty())
        m.insert(QStringLiteral("id"), id);
    return m;
}

QVariantMap removeStatus(const QStringList &ids)
{
    return {{kOp, QStringLiteral("removeStatus")}, {QStringLiteral("statusIds"), ids}};
}

QByteArray channelSchema(const DeviceInfo &device)
{
    QVariantMap properties{{QStringLiteral("ts"), typed(QStringLiteral("integer"))}};
    for (const ChannelInfo &c : device.channels) {
        if (c.name != QLatin1String("ts"))
            properties.insert(c.name, typed(jsonType(c.type)));
    }
    return objectSchema(properties);
}

QVariantMap channel(quint32 id, const DeviceInfo &device)
{
    return {{QStringLiteral("id"), qlonglong(id)},
            {QStringLiteral("topic"), QLatin1Char('/') + device.id},
            {QStringLiteral("encoding"), QStringLiteral("json")},
            {QStringLiteral("schemaName"), QStringLiteral("halhub.") + device.id},
            {QStringLiteral("schemaEncoding"), QStringLiteral("jsonschema")},
            {QStringLiteral("schema"), QString::fromUtf8(channelSchema(device))}};
}

QVariantMap advertise(const QVariantList &channels)
{
    return {{kOp, QStringLiteral("advertise")}, {QStringLiteral("channels"), channels}};
}

QVariantMap unadvertise(const QList<quint32> &channelIds)
{
    return {{kOp, QStringLiteral("unadvertise")}, {QStringLiteral("channelIds"), idList(channelIds)}};
}

QString serviceName(const QString &device, const QString &command)
{
    return QLatin1Char('/') + device + QLatin1Char('/') + command;
}

QVariantMap service(quint32 id, const QString &device, const CommandSpec &command)
{
    const QVariantMap request = jsonDefinition(QStringLiteral("halhub.command.params"),
                                               paramsSchema(command));
    const QVariantMap response = jsonDefinition(QStringLiteral("halhub.command.result"),
                                                resultSchema());
    // request/response for clients of 0.8 on, requestSchema/responseSchema
    // for older ones (and viewers built on them).
    return {{QStringLiteral("id"), qlonglong(id)},
            {QStringLiteral("name"), serviceName(device, command.name)},
            {QStringLiteral("type"), QStringLiteral("halhub.command")},
            {QStringLiteral("request"), request},
            {QStringLiteral("response"), response},
            {QStringLiteral("requestSchema"), request.value(QStringLiteral("schema"))},
            {QStringLiteral("responseSchema"), response.value(QStringLiteral("schema"))}};
}

QVariantMap advertiseServices(const QVariantList &services)
{
    return {{kOp, QStringLiteral("advertiseServices")}, {QStringLiteral("services"), services}};
}

QVariantMap unadvertiseServices(const QList<quint32> &serviceIds)
{
    return {{kOp, QStringLiteral("unadvertiseServices")},
            {QStringLiteral("serviceIds"), idList(serviceIds)}};
}

QVariantMap serviceCallFailure(quint32 serviceId, quint32 callId, const QString &message)
{
    return {{kOp, QStringLiteral("serviceCallFailure")},
            {QStringLiteral("serviceId"), qlonglong(serviceId)},
            {QStringLiteral("callId"), qlonglong(callId)},
            {QStringLiteral("message"), message}};
}

QByteArray samplePayload(qint64 timestampUs, const QList<QPair<QString, QVariant>> &values)
{
    QByteArray out;
    out.reserve(32 + 24 * values.size());
    out.append("{\"ts\":");
    out.append(QByteArray::number(timestampUs));
    for (const auto &[name, value] : values) {
        if (name == QLatin1String("ts"))
            continue;
        out.append(',');
        json::write(name, out);
        out.append(':');
        json::write(value, out);
    }
    out.append('}');
    return out;
}

QByteArray messageData(quint32 subscriptionId, qint64 timestampUs, const QByteArray &payload)
{
    QByteArray out;
    out.reserve(kMessageDataHeaderBytes + payload.size());
    out.append(char(kMessageData));
    appendLe32(out, subscriptionId);
    appendLe64(out, quint64(qMax<qint64>(0, timestampUs)) * 1000u);
    out.append(payload);
    return out;
}

QByteArray resultPayload(const CommandResult &result)
{
    QVariantMap m{{QStringLiteral("status"), commandStatusName(result.status)},
                  {QStringLiteral("attempts"), result.attempts},
                  {QStringLiteral("duration_ms"), result.durationMs}};
    if (result.status == CommandResult::Status::Ok) {
        m.insert(QStringLiteral("result"),
                 result.result.isValid() ? result.result : QVariant::fromValue(nullptr));
    } else if (!result.errorCode.isEmpty()) {
        m.insert(QStringLiteral("error"),
                 QVariantMap{{QStringLiteral("code"), result.errorCode},
                             {QStringLiteral("message"), result.errorMessage}});
    }
    return json::write(m);
}

QByteArray refusalPayload(const QString &code, const QString &message)
{
    CommandResult refused;
    refused.status = CommandResult::Status::Error;
    refused.errorCode = code;
    refused.errorMessage = message;
    return resultPayload(refused);
}

QByteArray serviceCallResponse(quint32 serviceId, quint32 callId, const QByteArray &encoding,
                               const QByteArray &payload)
{
    QByteArray out;
    out.reserve(13 + encoding.size() + payload.size());
    out.append(char(kServiceCallResponse));
    appendLe32(out, serviceId);
    appendLe32(out, callId);
    appendLe32(out, quint32(encoding.size()));
    out.append(encoding);
    out.append(payload);
    return out;
}

std::optional<ServiceCallRequest> readServiceCallRequest(const QByteArray &frame)
{
    if (frame.size() < 13 || quint8(frame.at(0)) != kServiceCallRequest)
        return std::nullopt;
    ServiceCallRequest r;
    r.serviceId = readLe32(frame, 1);
    r.callId = readLe32(frame, 5);
    const quint32 encodingBytes = readLe32(frame, 9);
    if (encodingBytes > quint32(frame.size() - 13))
        return std::nullopt;
    r.encoding = frame.mid(13, encodingBytes);
    r.payload = frame.mid(13 + encodingBytes);
    return r;
}

} // namespace halhub::foxglove
