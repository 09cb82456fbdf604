#include "simplugin.h"

#include "simdevice.h"

#include "bus/value.h"

#include <cmath>

namespace halhub {

namespace {

QString describe(const QVariant &value)
{
    if (value.isNull())
        return QStringLiteral("null");
    if (value.typeId() == QMetaType::QString)
        return QLatin1Char('"') + value.toString() + QLatin1Char('"');
    const QString text = value.toString();
    return text.isEmpty() ? QString::fromLatin1(value.typeName()) : text;
}

} // namespace

QString SimPlugin::checkConfig(const QVariantMap &config) const
{
    const auto rate = config.constFind(QStringLiteral("rate_hz"));
    if (rate != config.constEnd()) {
        const QVariant &value = *rate;
        const bool isNumber = value::isNumber(value);
        const double hz = isNumber ? value.toDouble() : 0.0;
        if (!isNumber || !std::isfinite(hz) || hz <= 0.0 || hz > SimDevice::MaxRateHz) {
            return QStringLiteral("rate_hz: expected a number above 0 and at most %1, got %2")
                    .arg(SimDevice::MaxRateHz)
                    .arg(describe(value));
        }
    }
    const auto name = config.constFind(QStringLiteral("name"));
    if (name != config.constEnd() && name->typeId() != QMetaType::QString)
        return QStringLiteral("name: expected a string");
    return {};
}

Device *SimPlugin::createDevice(const QVariantMap &config)
{
    return new SimDevice(config);
}

} // namespace halhub
