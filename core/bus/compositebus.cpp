#include "bus/compositebus.h"

#include "bus/buslogging.h"

namespace halhub {

CompositeBus::CompositeBus(QObject *parent)
    : DeviceBus(parent)
{
}

CompositeBus::~CompositeBus() = default;

void CompositeBus::addBus(DeviceBus *bus)
{
    if (!bus || m_buses.contains(bus))
        return;
    m_buses.append(bus);
    connect(bus, &DeviceBus::deviceAdded, this,
            [this, bus](const DeviceInfo &info) { onDeviceAdded(bus, info); });
    connect(bus, &DeviceBus::deviceRemoved, this,
            [this, bus](const QString &device) { release(bus, device); });
    connect(bus, &DeviceBus::deviceStateChanged, this,
            [this, bus](const QString &device, DeviceState state) {
                if (owns(bus, device))
                    Q_EMIT deviceStateChanged(device, state);
            });
    connect(bus, &DeviceBus::deviceInfoChanged, this, [this, bus](const DeviceInfo &info) {
        if (owns(bus, info.id))
            Q_EMIT deviceInfoChanged(stamped(info));
    });
    connect(bus, &DeviceBus::deviceError, this,
            [this, bus](const QString &device, const QString &message) {
                if (owns(bus, device))
                    Q_EMIT deviceError(device, message);
            });
    // The hot path: one hash look-up per sample keeps a refused duplicate's
    // samples out.
    connect(bus, &DeviceBus::sampleReady, this, [this, bus](const Sample &sample) {
        if (owns(bus, sample.device))
            Q_EMIT sampleReady(sample);
    });
    connect(bus, &DeviceBus::commandFinished, this,
            [this, bus](quint64 ticket, const CommandOutcome &outcome) {
                const auto it = m_running.constFind(ticket);
                if (it == m_running.cend() || it->bus != bus)
                    return;
                m_running.erase(it);
                Q_EMIT commandFinished(ticket, outcome);
            });
    connect(bus, &DeviceBus::handedStarted, this, [this, bus](quint64 ticket) {
        const auto it = m_handed.constFind(ticket);
        if (it != m_handed.cend() && it->bus == bus)
            Q_EMIT handedStarted(ticket);
    });
    connect(bus, &DeviceBus::handedFinished, this,
            [this, bus](quint64 ticket, const HandedResult &result) {
                const auto it = m_handed.constFind(ticket);
                if (it == m_handed.cend() || it->bus != bus)
                    return;
                m_handed.erase(it);
                Q_EMIT handedFinished(ticket, result);
            });
    // Commands other nodes hand to this node's router, whichever bus hears them.
    connect(bus, &DeviceBus::commandHanded, this, &DeviceBus::commandHanded);
    connect(bus, &QObject::destroyed, this, [this, bus] { removeBus(bus); });
    const QList<DeviceInfo> present = bus->devices();
    for (const DeviceInfo &info : present)
        onDeviceAdded(bus, info);
}

void CompositeBus::removeBus(DeviceBus *bus)
{
    if (!m_buses.removeOne(bus))
        return;
    disconnect(bus, nullptr, this, nullptr);
    const QStringList owned = m_owners.keys(bus);
    for (const QString &device : owned)
        release(bus, device);
    // Its running attempts belonged to devices just removed: the router ends
    // them (device_unavailable), and no answer of that bus may follow.
    for (auto it = m_running.begin(); it != m_running.end();)
        it = it->bus == bus ? m_running.erase(it) : std::next(it);
    for (auto it = m_handed.begin(); it != m_handed.end();)
        it = it->bus == bus ? m_handed.erase(it) : std::next(it);
}

QList<DeviceBus *> CompositeBus::buses() const
{
    return m_buses;
}

DeviceBus *CompositeBus::owner(const QString &device) const
{
    return m_owners.value(device);
}

bool CompositeBus::owns(const DeviceBus *bus, const QString &device) const
{
    const auto it = m_owners.constFind(device);
    return it != m_owners.cend() && *it == bus;
}

void CompositeBus::claim(DeviceBus *bus, const DeviceInfo &info)
{
    m_owners.insert(info.id, bus);
    if (m_watched.contains(info.id))
        bus->setWatched(info.id, true);
    Q_EMIT deviceAdded(stamped(info));
}

void CompositeBus::setLocalNode(const QString &node)
{
    m_localNode = node;
}

DeviceInfo CompositeBus::stamped(DeviceInfo info) const
{
    if (info.node.isEmpty())
        info.node = m_localNode;
    return info;
}

void CompositeBus::setWatched(const QString &device, bool watched)
{
    if (watched)
        m_watched.insert(device);
    else
        m_watched.remove(device);
    if (DeviceBus *bus = m_owners.value(device))
        bus->setWatched(device, watched);
}

void CompositeBus::onDeviceAdded(DeviceBus *bus, const DeviceInfo &info)
{
    DeviceBus *current = m_owners.value(info.id);
    if (!current) {
        claim(bus, info);
        return;
    }
    if (current == bus) {
        // Announced again by its own bus (a reload): pass it on as it is.
        Q_EMIT deviceAdded(stamped(info));
        return;
    }
    const QString why = QStringLiteral("device id '%1' is already served by another bus; "
                                       "the second device of that id is ignored")
                            .arg(info.id);
    qCWarning(lcBus).noquote() << why;
    Q_EMIT deviceError(info.id, why);
}

void CompositeBus::release(DeviceBus *bus, const QString &device)
{
    if (!owns(bus, device))
        return;
    m_owners.remove(device);
    if (m_watched.contains(device))
        bus->setWatched(device, false);
    for (auto it = m_running.begin(); it != m_running.end();)
        it = it->device == device ? m_running.erase(it) : std::next(it);
    Q_EMIT deviceRemoved(device);
    // A device of the same id waiting on another bus takes the place.
    for (DeviceBus *other : std::as_const(m_buses)) {
        if (other == bus)
            continue;
        if (const std::optional<DeviceInfo> info = other->device(device)) {
            claim(other, *info);
            return;
        }
    }
}

QList<DeviceInfo> CompositeBus::devices() const
{
    QList<DeviceInfo> list;
    for (const DeviceBus *bus : m_buses) {
        const QList<DeviceInfo> devices = bus->devices();
        for (const DeviceInfo &info : devices) {
            if (owns(bus, info.id))
                list.append(stamped(info));
        }
    }
    return list;
}

std::optional<DeviceInfo> CompositeBus::device(const QString &id) const
{
    const DeviceBus *bus = m_owners.value(id);
    if (!bus)
        return std::nullopt;
    std::optional<DeviceInfo> info = bus->device(id);
    if (info)
        info = stamped(*info);
    return info;
}

void CompositeBus::startCommand(const QString &device, quint64 ticket, const QString &command,
                                const QVariantMap &params)
{
    DeviceBus *bus = m_owners.value(device);
    if (!bus) {
        QMetaObject::invokeMethod(this, [this, ticket, device] {
            Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                               QStringLiteral("device_unavailable"),
                                               QStringLiteral("no device '%1'").arg(device)));
        }, Qt::QueuedConnection);
        return;
    }
    m_running.insert(ticket, {bus, device});
    bus->startCommand(device, ticket, command, params);
}

void CompositeBus::abortCommand(const QString &device, quint64 ticket)
{
    const auto it = m_running.constFind(ticket);
    if (it == m_running.cend())
        return;
    DeviceBus *bus = it->bus;
    m_running.erase(it);
    bus->abortCommand(device, ticket);
}

bool CompositeBus::handsCommandsOver(const QString &device) const
{
    const DeviceBus *bus = m_owners.value(device);
    return bus && bus->handsCommandsOver(device);
}

void CompositeBus::handCommand(quint64 ticket, const HandedCommand &command)
{
    DeviceBus *bus = m_owners.value(command.device);
    if (!bus) {
        QMetaObject::invokeMethod(this, [this, ticket, device = command.device] {
            Q_EMIT handedFinished(ticket, HandedResult::error(QStringLiteral("device_unavailable"),
                                                              QStringLiteral("no device '%1'").arg(device)));
        }, Qt::QueuedConnection);
        return;
    }
    m_handed.insert(ticket, {bus, command.device});
    bus->handCommand(ticket, command);
}

void CompositeBus::cancelHanded(const QString &device, quint64 ticket)
{
    const auto it = m_handed.constFind(ticket);
    if (it == m_handed.cend())
        return;
    DeviceBus *bus = it->bus;
    m_handed.erase(it);
    bus->cancelHanded(device, ticket);
}

} // namespace halhub
