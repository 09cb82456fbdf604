#include "bus/deviceinfo.h"

namespace halhub {

QString deviceStateName(DeviceState state)
{
    switch (state) {
    case DeviceState::Connecting: return QStringLiteral("connecting");
    case DeviceState::Connected: return QStringLiteral("connected");
    case DeviceState::Disconnected: return QStringLiteral("disconnected");
    case DeviceState::Error: return QStringLiteral("error");
    }
    return QStringLiteral("error");
}

QString channelTypeName(ChannelType type)
{
    switch (type) {
    case ChannelType::Float: return QStringLiteral("float");
    case ChannelType::Int: return QStringLiteral("int");
    case ChannelType::Bool: return QStringLiteral("bool");
    case ChannelType::String: return QStringLiteral("string");
    }
    return QStringLiteral("float");
}

QString paramTypeName(ParamType type)
{
    switch (type) {
    case ParamType::Number: return QStringLiteral("number");
    case ParamType::Integer: return QStringLiteral("integer");
    case ParamType::Bool: return QStringLiteral("bool");
    case ParamType::String: return QStringLiteral("string");
    case ParamType::List: return QStringLiteral("list");
    case ParamType::Any: return QStringLiteral("any");
    }
    return QStringLiteral("any");
}

const ChannelInfo *DeviceInfo::channel(const QString &name) const
{
    for (const ChannelInfo &c : channels) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

const CommandSpec *DeviceInfo::command(const QString &name) const
{
    for (const CommandSpec &c : commands) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

CommandOutcome CommandOutcome::ok(const QVariant &result)
{
    CommandOutcome o;
    o.status = Status::Ok;
    o.result = result;
    return o;
}

CommandOutcome CommandOutcome::error(const QString &code, const QString &message)
{
    CommandOutcome o;
    o.status = Status::Error;
    o.errorCode = code;
    o.errorMessage = message;
    return o;
}

} // namespace halhub
