#pragma once

#include "bus/devicebus.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QSet>

namespace halhub {

// Several device buses side by side, seen as one: the local HAL today, the
// devices of other nodes beside it. Front ends and the hub are given this
// bus and never learn which bus owns a device.
//
// A device belongs to the bus that announced its id first. Another bus
// announcing the same id is not shown: its device's signals are dropped, a
// warning is logged and deviceError is emitted for the id. When the owner
// removes the device, the next bus that has one of that id takes it over
// (deviceAdded). Commands go to the owner; a command for a device no bus
// owns any more is answered with device_unavailable, after startCommand
// returns, so every attempt still gets exactly one commandFinished.
class CompositeBus final : public DeviceBus
{
    Q_OBJECT
public:
    explicit CompositeBus(QObject *parent = nullptr);
    ~CompositeBus() override;

    // Adds a bus (not owned; it must outlive this one or be removed first)
    // and claims its devices, emitting deviceAdded for each it gets.
    void addBus(DeviceBus *bus);
    // Forgets a bus: its devices are removed (deviceRemoved) and handed to
    // other buses that have the same ids.
    void removeBus(DeviceBus *bus);
    QList<DeviceBus *> buses() const;
    // The bus that owns a device; null when none does.
    DeviceBus *owner(const QString &device) const;
    // In a cluster: the node named in the description of every device whose
    // bus names none (the local ones).
    void setLocalNode(const QString &node);

    // DeviceBus
    QList<DeviceInfo> devices() const override;
    std::optional<DeviceInfo> device(const QString &id) const override;
    void startCommand(const QString &device, quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(const QString &device, quint64 ticket) override;
    void setWatched(const QString &device, bool watched) override;
    bool handsCommandsOver(const QString &device) const override;
    void handCommand(quint64 ticket, const HandedCommand &command) override;
    void cancelHanded(const QString &device, quint64 ticket) override;

private:
    DeviceInfo stamped(DeviceInfo info) const;
    bool owns(const DeviceBus *bus, const QString &device) const;
    void claim(DeviceBus *bus, const DeviceInfo &info);
    void release(DeviceBus *bus, const QString &device);
    void onDeviceAdded(DeviceBus *bus, const DeviceInfo &info);

    QList<DeviceBus *> m_buses;
    QHash<QString, DeviceBus *> m_owners;
    // The attempts running, by ticket: an answer is passed on only from the
    // bus that runs it, and none after its device or bus is gone.
    struct Attempt
    {
        DeviceBus *bus = nullptr;
        QString device;
    };
    QHash<quint64, Attempt> m_running;
    // Whole commands handed over and not finished, by ticket (as m_running).
    QHash<quint64, Attempt> m_handed;
    QString m_localNode;
    // Devices watched from above, so that a bus taking a device over learns it.
    QSet<QString> m_watched;
};

} // namespace halhub
