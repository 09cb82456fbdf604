#pragma once

// What the stream tests share: the sim device, and requests and specs
// written the way a client writes them.

#include "bus/deviceinfo.h"
#include "telemetry/frame.h"
#include "telemetry/streamspec.h"

#include <QVariantList>
#include <QVariantMap>

#include <initializer_list>
#include <utility>

namespace halhub::test {

inline DeviceInfo simDevice(double rateHz = 100)
{
    DeviceInfo d;
    d.id = QStringLiteral("sim0");
    d.plugin = QStringLiteral("sim");
    d.state = DeviceState::Connected;
    d.rateHz = rateHz;
    for (const char *name : {"sine", "ramp", "noise", "step"})
        d.channels.append({QString::fromLatin1(name), QString(), ChannelType::Float});
    return d;
}

inline QVariantMap map(std::initializer_list<std::pair<const char *, QVariant>> fields)
{
    QVariantMap m;
    for (const auto &f : fields)
        m.insert(QString::fromLatin1(f.first), f.second);
    return m;
}

inline QVariantList names(std::initializer_list<const char *> list)
{
    QVariantList out;
    for (const char *n : list)
        out.append(QString::fromLatin1(n));
    return out;
}

// The value a frame carries for a channel; invalid when it has none.
inline QVariant valueOf(const Frame &frame, const QString &channel)
{
    for (const auto &v : frame.values) {
        if (v.first == channel)
            return v.second;
    }
    return {};
}

// A subscribe request that must be valid.
inline StreamSpec spec(const DeviceInfo &device, const QVariantMap &request = {})
{
    QString error;
    const std::optional<StreamSpec> s = parseStreamSpec(request, device, 1000, &error);
    if (!s)
        qFatal("bad spec in test: %s", qPrintable(error));
    return *s;
}

} // namespace halhub::test
