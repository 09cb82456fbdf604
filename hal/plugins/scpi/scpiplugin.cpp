#include "scpiplugin.h"

#include "scpiconfig.h"
#include "scpidevice.h"
#include "bus/value.h"
#include "serial/serialsettings.h"
#include "serial/linevalues.h"
#include "transport/transport.h"

namespace halhub {

QString ScpiPlugin::checkConfig(const QVariantMap &config) const
{
    const QString serial = transport::check(config, transport::Idn::Allowed);
    if (!serial.isEmpty())
        return serial;
    const QVariant poll = config.value(QStringLiteral("poll_hz"));
    if (!poll.isNull() && (!value::isFiniteNumber(poll) || poll.toDouble() <= 0
                           || poll.toDouble() > ScpiDevice::MaxPollHz))
        return QStringLiteral("poll_hz: expected a number above 0 and at most %1")
                .arg(ScpiDevice::MaxPollHz);
    const QVariant timeout = config.value(QStringLiteral("reply_timeout_ms"));
    if (!timeout.isNull() && (!value::isFiniteNumber(timeout) || timeout.toDouble() < 1
                              || timeout.toDouble() > 60000))
        return QStringLiteral("reply_timeout_ms: expected milliseconds from 1 to 60000");
    const QString channels = checkScpiChannels(config.value(QStringLiteral("channels")));
    if (!channels.isEmpty())
        return channels;
    return checkScpiCommands(config.value(QStringLiteral("commands")));
}

Device *ScpiPlugin::createDevice(const QVariantMap &config)
{
    return new ScpiDevice(config);
}

} // namespace halhub
