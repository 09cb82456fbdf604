#include "replayplugin.h"

#include "replaydevice.h"

#include "bus/value.h"

#include <cmath>

namespace halhub {

QString ReplayPlugin::checkConfig(const QVariantMap &config) const
{
    for (const QLatin1String key : {QLatin1String("file"), QLatin1String("device")}) {
        const QVariant v = config.value(key);
        if (!value::isString(v) || v.toString().isEmpty())
            return QStringLiteral("%1: expected a non-empty string").arg(key);
    }
    const QVariant speed = config.value(QStringLiteral("speed"));
    if (!value::isNull(speed)) {
        const double s = speed.toDouble();
        if (!value::isNumber(speed) || !std::isfinite(s) || s <= 0.0 || s > ReplayDevice::kMaxSpeed)
            return QStringLiteral("speed: expected a number above 0 and at most %1")
                .arg(ReplayDevice::kMaxSpeed);
    }
    const QVariant loop = config.value(QStringLiteral("loop"));
    if (!value::isNull(loop) && !value::isBool(loop))
        return QStringLiteral("loop: expected true or false");
    const QVariant name = config.value(QStringLiteral("name"));
    if (!value::isNull(name) && !value::isString(name))
        return QStringLiteral("name: expected a string");
    return {};
}

Device *ReplayPlugin::createDevice(const QVariantMap &config)
{
    return new ReplayDevice(config);
}

} // namespace halhub
