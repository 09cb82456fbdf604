#pragma once

#include <QList>
#include <QMetaType>
#include <QString>
#include <QVariant>
#include <QVariantMap>

#include <optional>

namespace halhub {

// What a client sees of a device: the `devices` reply of the protocol.
enum class DeviceState { Connecting, Connected, Disconnected, Error };

QString deviceStateName(DeviceState state);

enum class ChannelType { Float, Int, Bool, String };

QString channelTypeName(ChannelType type);

struct ChannelInfo
{
    QString name;
    QString unit;                       // empty: none
    ChannelType type = ChannelType::Float;
};

// Parameter types of the protocol: number, integer, bool, string, list, any.
enum class ParamType { Number, Integer, Bool, String, List, Any };

QString paramTypeName(ParamType type);

struct ParamSpec
{
    QString name;
    ParamType type = ParamType::Any;
    bool required = false;
    std::optional<double> minimum;      // numbers only, inclusive
    std::optional<double> maximum;
    QStringList allowed;                // strings only; empty: any string
    QString unit;                       // empty: none
};

struct CommandSpec
{
    QString name;
    QString description;
    QList<ParamSpec> params;
};

struct DeviceInfo
{
    QString id;
    QString plugin;
    QString name;
    QString port;                       // empty: no serial line
    DeviceState state = DeviceState::Connecting;
    // Why a device that is not connected is not ("cannot open /dev/ttyUSB0:
    // Permission denied"); empty while connected or when nothing failed yet.
    QString error;
    std::optional<double> rateHz;       // native sample rate; none for push devices
    QList<ChannelInfo> channels;
    QList<CommandSpec> commands;
    // Push devices (linestream) grow channels as they arrive and may pass any
    // command name through; fixed devices reject unknown names.
    bool dynamicChannels = false;
    bool anyCommand = false;
    // The cluster node that owns the device (docs/protocol.md section 12);
    // empty outside a cluster.
    QString node;

    const ChannelInfo *channel(const QString &name) const;
    const CommandSpec *command(const QString &name) const;
};

// One reading of a device: the values of some or all of its channels, all
// taken at `timestampUs` (microseconds since the Unix epoch, UTC).
struct ChannelValue
{
    QString channel;
    QVariant value;                     // double, qint64, bool or QString
};

struct Sample
{
    QString device;
    qint64 timestampUs = 0;
    QList<ChannelValue> values;
    // Samples of the device were lost just before this one (a message lost
    // between cluster nodes, a remote owner that was unreachable): streams
    // make their next frame a key frame with gap: true.
    bool gapBefore = false;
};

// How one attempt at a command ended, as a device reports it.
struct CommandOutcome
{
    enum class Status { Ok, Error };
    Status status = Status::Ok;
    QVariant result;                    // Ok: the result (null QVariant -> JSON null)
    QString errorCode;                  // Error: device_error, no_reply, ...
    QString errorMessage;

    static CommandOutcome ok(const QVariant &result = {});
    static CommandOutcome error(const QString &code, const QString &message);
};

} // namespace halhub

Q_DECLARE_METATYPE(halhub::DeviceState)
Q_DECLARE_METATYPE(halhub::DeviceInfo)
Q_DECLARE_METATYPE(halhub::Sample)
Q_DECLARE_METATYPE(halhub::CommandOutcome)
