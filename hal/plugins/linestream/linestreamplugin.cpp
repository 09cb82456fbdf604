#include "linestreamplugin.h"

#include "linestreamdevice.h"
#include "serial/linevalues.h"
#include "transport/transport.h"

namespace halhub {

QString LinestreamPlugin::checkConfig(const QVariantMap &config) const
{
    const QString serial = transport::check(config);
    if (!serial.isEmpty())
        return serial;
    const auto commands = config.constFind(QStringLiteral("commands"));
    if (commands != config.constEnd() && !commands->isNull()) {
        if (commands->typeId() != QMetaType::QVariantList)
            return QStringLiteral("commands: expected a list of command names");
        const QVariantList list = commands->toList();
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (list.at(i).typeId() != QMetaType::QString || !isPlainName(list.at(i).toString()))
                return QStringLiteral("commands[%1]: expected a name of letters, digits and _")
                        .arg(i);
        }
    }
    const auto units = config.constFind(QStringLiteral("units"));
    if (units != config.constEnd() && !units->isNull()) {
        if (units->typeId() != QMetaType::QVariantMap)
            return QStringLiteral("units: expected an object of channel name: unit");
        const QVariantMap map = units->toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (!isPlainName(it.key()))
                return QStringLiteral("units.%1: a channel name is letters, digits and _")
                        .arg(it.key());
            if (it->typeId() != QMetaType::QString)
                return QStringLiteral("units.%1: expected a string such as \"V\"").arg(it.key());
        }
    }
    return {};
}

Device *LinestreamPlugin::createDevice(const QVariantMap &config)
{
    return new LinestreamDevice(config);
}

} // namespace halhub
