#pragma once

#include "serial/serialsettings.h"

#include <QHash>
#include <QString>

#include <functional>

namespace halhub {

// Which serial ports the devices of this process hold, so that finding an
// instrument by identity (match.idn, docs/protocol.md section 16) never opens a
// port another device has or is configured for. A port is held by its
// canonical path (symlinks resolved); one holder at a time.
class PortRegistry
{
public:
    // Marks `path` as held by `owner`; false when another owner holds it.
    static bool claim(const QString &path, const void *owner);
    // Gives up what `owner` holds at `path` (or everything it holds when
    // `path` is empty).
    static void release(const void *owner, const QString &path = QString());
    // Whether a holder other than `owner` has `path`.
    static bool heldByOther(const QString &path, const void *owner);

    // The serial ports of this machine (SerialSettings::availablePorts) and
    // those in HALHUB_SERIAL_PORTS (':'-separated paths the system does not
    // list, such as ptys), or what a test put in their place.
    static QList<PortDescription> ports();
    // Replaces the system list; an empty function restores it.
    static void setPortLister(std::function<QList<PortDescription>()> lister);

    static QString canonical(const QString &path);
};

} // namespace halhub
