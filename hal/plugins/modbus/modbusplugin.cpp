#include "modbusplugin.h"

#include "modbusdevice.h"
#include "modbusmap.h"
#include "transport/transport.h"

#include <cmath>

namespace halhub {

QString ModbusPlugin::checkConfig(const QVariantMap &config) const
{
    const QString serial = transport::check(config);
    if (!serial.isEmpty())
        return serial;
    const QVariant unit = config.value(QStringLiteral("unit"));
    if (!unit.isNull()) {
        const double u = unit.toDouble();
        if (unit.typeId() == QMetaType::QString || !unit.canConvert<double>() || u != std::floor(u)
            || u < 1 || u > 247)
            return QStringLiteral("unit: expected a slave address from 1 to 247");
    }
    const QVariant poll = config.value(QStringLiteral("poll_hz"));
    if (!poll.isNull()) {
        const double hz = poll.toDouble();
        if (poll.typeId() == QMetaType::QString || !poll.canConvert<double>()
            || !std::isfinite(hz) || hz <= 0 || hz > ModbusDevice::MaxPollHz)
            return QStringLiteral("poll_hz: expected a number above 0 and at most %1")
                    .arg(ModbusDevice::MaxPollHz);
    }
    const QVariant maxGap = config.value(QStringLiteral("max_gap"));
    if (!maxGap.isNull()) {
        const double gap = maxGap.toDouble();
        if (maxGap.typeId() == QMetaType::QString || !maxGap.canConvert<double>()
            || gap != std::floor(gap) || gap < 0 || gap > 2000)
            return QStringLiteral("max_gap: expected a number of registers from 0 to 2000");
    }
    return checkModbusChannels(config.value(QStringLiteral("channels")));
}

Device *ModbusPlugin::createDevice(const QVariantMap &config)
{
    return new ModbusDevice(config);
}

} // namespace halhub
