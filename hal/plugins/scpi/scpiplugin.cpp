#include "scpiplugin.h"

#include "scpidevice.h"
#include "bus/value.h"
#include "serial/linevalues.h"
#include "transport/transport.h"

namespace halhub {

namespace {

bool isOneLine(const QVariant &value)
{
    if (value.typeId() != QMetaType::QString)
        return false;
    const QString text = value.toString();
    return !text.trimmed().isEmpty() && !text.contains(QLatin1Char('\n'))
            && !text.contains(QLatin1Char('\r'));
}

} // namespace

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
    const QVariant channels = config.value(QStringLiteral("channels"));
    if (!channels.isNull()) {
        if (channels.typeId() != QMetaType::QVariantMap)
            return QStringLiteral("channels: expected an object of name: query");
        const QVariantMap map = channels.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (!isPlainName(it.key()))
                return QStringLiteral("channels.%1: a channel name is letters, digits and _")
                        .arg(it.key());
            if (!isOneLine(*it))
                return QStringLiteral("channels.%1: expected a query line such as \"MEAS:VOLT?\"")
                        .arg(it.key());
        }
    }
    const QVariant commands = config.value(QStringLiteral("commands"));
    if (!commands.isNull()) {
        if (commands.typeId() != QMetaType::QVariantMap)
            return QStringLiteral("commands: expected an object of name: template");
        const QVariantMap map = commands.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (!isPlainName(it.key()))
                return QStringLiteral("commands.%1: a command name is letters, digits and _")
                        .arg(it.key());
            if (it.key() == QLatin1String("scpi"))
                return QStringLiteral("commands.scpi: the name is taken by the raw command");
            if (!isOneLine(*it))
                return QStringLiteral("commands.%1: expected a template line such as "
                                      "\"VOLT {value}\"")
                        .arg(it.key());
        }
    }
    return {};
}

Device *ScpiPlugin::createDevice(const QVariantMap &config)
{
    return new ScpiDevice(config);
}

} // namespace halhub
