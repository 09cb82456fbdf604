#include "portregistry.h"

#include <QFileInfo>

#include <algorithm>

namespace halhub {

namespace {

// Devices live in the HAL's thread only: no lock.
QHash<QString, const void *> &holders()
{
    static QHash<QString, const void *> map;
    return map;
}

std::function<QList<PortDescription>()> &lister()
{
    static std::function<QList<PortDescription>()> fn;
    return fn;
}

} // namespace

QString PortRegistry::canonical(const QString &path)
{
    const QString resolved = QFileInfo(path).canonicalFilePath();
    return resolved.isEmpty() ? path : resolved;
}

bool PortRegistry::claim(const QString &path, const void *owner)
{
    const QString key = canonical(path);
    const auto it = holders().constFind(key);
    if (it != holders().constEnd() && *it != owner)
        return false;
    holders().insert(key, owner);
    return true;
}

void PortRegistry::release(const void *owner, const QString &path)
{
    auto &map = holders();
    for (auto it = map.begin(); it != map.end();) {
        if (it.value() == owner && (path.isEmpty() || it.key() == canonical(path)))
            it = map.erase(it);
        else
            ++it;
    }
}

bool PortRegistry::heldByOther(const QString &path, const void *owner)
{
    const auto it = holders().constFind(canonical(path));
    return it != holders().constEnd() && *it != owner;
}

QList<PortDescription> PortRegistry::ports()
{
    if (lister())
        return lister()();
    QList<PortDescription> ports = SerialSettings::availablePorts();
    // Ports the system does not list (ptys of socat or ser2net, symlinks).
    const QStringList extra = qEnvironmentVariable("HALHUB_SERIAL_PORTS")
                                      .split(QLatin1Char(':'), Qt::SkipEmptyParts);
    for (const QString &path : extra) {
        const bool listed = std::any_of(ports.cbegin(), ports.cend(), [&path](const auto &p) {
            return p.path == path;
        });
        if (!listed)
            ports << PortDescription{path, {}, {}, {}};
    }
    return ports;
}

void PortRegistry::setPortLister(std::function<QList<PortDescription>()> fn)
{
    lister() = std::move(fn);
}

} // namespace halhub
