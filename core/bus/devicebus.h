#pragma once

#include "bus/deviceinfo.h"

#include <QObject>

#include <functional>
#include <memory>

namespace halhub {

// A whole command handed to the command router that queues its device (in a
// cluster, the owner node's: docs/architecture.md, "Cluster"). Everything a
// client said of it, so that the owner applies queueing, timeouts, retries
// and idempotency as for its own clients.
struct HandedCommand
{
    QString device;
    QString command;
    QVariantMap params;
    int timeoutMs = 1000;
    int retries = 0;
    QString key;                // idempotency key; empty: none
    QString principal;          // idempotency scope
    QString commandId;          // the issuer's id, taken when it is free
};

// The end of a handed command: status ok, error, timeout or cancelled.
struct HandedResult
{
    QString commandId;          // the id the owner knows it by
    QString status;
    QVariant result;
    QString errorCode;
    QString errorMessage;
    int attempts = 0;
    qint64 durationMs = 0;      // from the owner's acceptance

    static HandedResult error(const QString &code, const QString &message)
    {
        HandedResult r;
        r.status = QStringLiteral("error");
        r.errorCode = code;
        r.errorMessage = message;
        return r;
    }
};

// The owner's side of a handed command: the bus that received it makes one,
// the router answers through it (started at most once, then finished exactly
// once) and, once it took the command, sets cancel: called by the bus when
// the issuer withdraws it (a waiting command is cancelled, a running one
// runs on, unanswered).
class HandedCommandLink
{
public:
    explicit HandedCommandLink(HandedCommand c) : command(std::move(c)) { }
    virtual ~HandedCommandLink() = default;
    virtual void started() = 0;
    virtual void finished(const HandedResult &result) = 0;

    const HandedCommand command;
    std::function<void()> cancel;
};

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

    // Whole commands (a cluster's remote devices): a device whose commands
    // another router queues. The router then neither queues nor times its
    // commands but hands each over whole with handCommand; the bus answers
    // with handedStarted (at most once, when the owner starts it) and
    // exactly one handedFinished, after handCommand returned, unless
    // cancelHanded was called first (then nothing more). A bus that loses
    // the owner ends the command with device_unavailable, never silence.
    virtual bool handsCommandsOver(const QString &device) const
    {
        Q_UNUSED(device);
        return false;
    }
    virtual void handCommand(quint64 ticket, const halhub::HandedCommand &command)
    {
        Q_UNUSED(ticket);
        Q_UNUSED(command);
    }
    virtual void cancelHanded(const QString &device, quint64 ticket)
    {
        Q_UNUSED(device);
        Q_UNUSED(ticket);
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
    // Whole commands, the issuer's side (see handCommand).
    void handedStarted(quint64 ticket);
    void handedFinished(quint64 ticket, const halhub::HandedResult &result);
    // Whole commands, the owner's side: another node hands a command for a
    // device of this node to the router, which answers through the link.
    void commandHanded(const std::shared_ptr<halhub::HandedCommandLink> &link);
};

} // namespace halhub
