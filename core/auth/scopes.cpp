#include "auth/scopes.h"

namespace halhub {

namespace {
const QLatin1String kTelemetryRead("telemetry:read");
const QLatin1String kCommandsWrite("commands:write");
const QLatin1String kAdmin("admin");

bool isDeviceWriteScope(const QString &scope)
{
    return scope.startsWith(QLatin1String("device:")) && scope.endsWith(QLatin1String(":write"))
        && scope.size() > int(sizeof("device::write") - 1);
}
} // namespace

Scopes::Scopes(const QStringList &scopes)
    : m_scopes(scopes.cbegin(), scopes.cend())
{
}

Scopes Scopes::all()
{
    Scopes s;
    s.m_all = true;
    return s;
}

bool Scopes::canReadTelemetry() const
{
    return isAdmin() || m_scopes.contains(kTelemetryRead);
}

bool Scopes::canWriteAnyDevice() const
{
    return isAdmin() || m_scopes.contains(kCommandsWrite);
}

bool Scopes::canWriteDevice(const QString &device) const
{
    // A device id with a ':' or ' ' cannot be named by a scope unambiguously;
    // such a device needs commands:write.
    return canWriteAnyDevice()
        || (!device.isEmpty() && m_scopes.contains(QStringLiteral("device:%1:write").arg(device)));
}

bool Scopes::canWriteSomeDevice() const
{
    if (canWriteAnyDevice())
        return true;
    for (const QString &s : m_scopes) {
        if (isDeviceWriteScope(s))
            return true;
    }
    return false;
}

bool Scopes::allowsType(const QString &type) const
{
    if (type == QLatin1String("list_devices") || type == QLatin1String("subscribe")
        || type == QLatin1String("unsubscribe"))
        return canReadTelemetry();
    if (type == QLatin1String("command") || type == QLatin1String("cancel"))
        return canWriteSomeDevice();
    if (type == QLatin1String("get_metrics"))
        return isAdmin();
    // Recording writes files on the server: admin. Listing them reads.
    if (type == QLatin1String("record_start") || type == QLatin1String("record_stop"))
        return isAdmin();
    if (type == QLatin1String("list_recordings"))
        return canReadTelemetry();
    return true;
}

QString Scopes::requiredFor(const QString &type, const QString &device)
{
    if (type == QLatin1String("list_devices") || type == QLatin1String("subscribe")
        || type == QLatin1String("unsubscribe"))
        return kTelemetryRead;
    if (type == QLatin1String("command") || type == QLatin1String("cancel")) {
        return device.isEmpty() ? QStringLiteral("commands:write or device:ID:write")
                                : QStringLiteral("commands:write or device:%1:write").arg(device);
    }
    if (type == QLatin1String("get_metrics") || type == QLatin1String("record_start")
        || type == QLatin1String("record_stop"))
        return kAdmin;
    if (type == QLatin1String("list_recordings"))
        return kTelemetryRead;
    return QString();
}

} // namespace halhub
