#pragma once

#include "bus/deviceinfo.h"

#include <QObject>

namespace halhub {

// The one door between the protocol layer and the devices. Whoever owns the
// devices stands behind it: the local HAL today, a remote node (over Redis)
// later. Core never sees a device object, only ids, descriptions, samples
// and command outcomes.
//
// Commands: core queues, times and retries them; the bus runs one attempt at
// a time per device. `startCommand` must answer every attempt with exactly one
// `commandFinished` for its ticket, unless `abortCommand` was called for it
// first (then it must not answer at all).
class DeviceBus : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~DeviceBus() override = default;

    virtual QList<DeviceInfo> devices() const = 0;
    virtual std::optional<DeviceInfo> device(const QString &id) const = 0;

    // Starts one attempt. Parameters have been checked against the device's
    // CommandSpec already. Called only for a connected device.
    virtual void startCommand(const QString &device, quint64 ticket,
                              const QString &command, const QVariantMap &params) = 0;
    // Abandons a running attempt (timeout): a device that can stop it does.
    virtual void abortCommand(const QString &device, quint64 ticket) = 0;

Q_SIGNALS:
    // A new device appeared (start-up or reload).
    void deviceAdded(const halhub::DeviceInfo &info);
    // A device is gone for good (reload). Its running attempt, if any, is
    // not answered.
    void deviceRemoved(const QString &device);
    void deviceStateChanged(const QString &device, halhub::DeviceState state);
    // A device's channel list grew (push devices) or otherwise changed.
    void deviceInfoChanged(const halhub::DeviceInfo &info);
    // A connected device reported a fault, sent bad data or stopped answering.
    void deviceError(const QString &device, const QString &message);
    // A new reading. Hot path: emitted at up to 1000 Hz per device.
    void sampleReady(const halhub::Sample &sample);
    void commandFinished(quint64 ticket, const halhub::CommandOutcome &outcome);
};

} // namespace halhub
