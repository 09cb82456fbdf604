#pragma once

#include "bus/deviceinfo.h"

#include <QObject>

namespace halhub {

// The one door between the hub and the devices. Whoever owns devices stands
// behind it: the local HAL (hal/HalManager), a composite of several buses
// (CompositeBus), a remote node's devices. The hub and its front ends never
// see a device object, only ids, descriptions, samples and command outcomes.
//
// The contract every implementation keeps (a remote one mirrors it exactly,
// so that nothing above the bus can tell local from remote devices):
//
// Synchronous, answered from what the bus knows now, never blocking:
//   devices(), device(id). A device is listed from its deviceAdded until its
//   deviceRemoved, with the state last announced by deviceStateChanged.
//
// Asynchronous, every signal emitted on the thread the bus lives in (the
// main thread) and never from inside a call made on the bus, except where
// said:
//   deviceAdded      a device appeared (start-up, reload, a node joined);
//                    the info is the whole description.
//   deviceRemoved    the device is gone for good. Its running attempt, if
//                    any, is not answered: the command router ends it.
//   deviceStateChanged  transitions only (connecting -> connected ->
//                    disconnected -> connected ...), never a repeat of the
//                    same state, never for a failed reopen attempt.
//   deviceInfoChanged   the description changed while listed (push devices
//                    grow channels as they see them).
//   deviceError      a listed device reported a fault, sent bad data or
//                    stopped answering; as often as it happens (throttling
//                    for clients is the hub's job).
//   sampleReady      a reading of a connected device, its timestamp the
//                    time it was taken (the owner's clock for a remote
//                    device). Hot path: up to 1000 Hz per device, in
//                    timestamp order per device.
//   commandFinished  the one answer to a startCommand ticket, after
//                    startCommand has returned (a device that answers at
//                    once queues its answer; the command router copes with
//                    one from inside startCommand too).
//
// Commands: the hub queues, times and retries them; the bus runs one attempt
// at a time per device. startCommand is only called for a listed, connected
// device with params already checked against its CommandSpec, and must
// answer every attempt with exactly one commandFinished for its ticket,
// unless abortCommand was called for it first (then it must not answer at
// all). A bus that loses a device (or the node behind it) while an attempt
// runs answers that attempt with an error (device_unavailable), never
// silence.
class DeviceBus : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~DeviceBus() override = default;

    virtual QList<DeviceInfo> devices() const = 0;
    virtual std::optional<DeviceInfo> device(const QString &id) const = 0;

    // Starts one attempt (see the contract above).
    virtual void startCommand(const QString &device, quint64 ticket,
                              const QString &command, const QVariantMap &params) = 0;
    // Abandons a running attempt (timeout): a device that can stop it does.
    virtual void abortCommand(const QString &device, quint64 ticket) = 0;
    // Whether someone above streams the device: called with true when its
    // first stream opens and false when its last closes. A bus whose
    // samples cost something to fetch (a remote node's) only fetches them
    // while watched; a local one ignores it.
    virtual void setWatched(const QString &device, bool watched)
    {
        Q_UNUSED(device);
        Q_UNUSED(watched);
    }

Q_SIGNALS:
    // Each as described in the contract above.
    void deviceAdded(const halhub::DeviceInfo &info);
    void deviceRemoved(const QString &device);
    void deviceStateChanged(const QString &device, halhub::DeviceState state);
    void deviceInfoChanged(const halhub::DeviceInfo &info);
    void deviceError(const QString &device, const QString &message);
    void sampleReady(const halhub::Sample &sample);
    void commandFinished(quint64 ticket, const halhub::CommandOutcome &outcome);
};

} // namespace halhub
