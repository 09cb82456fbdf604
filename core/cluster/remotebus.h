#pragma once

#include "bus/devicebus.h"

#include <QHash>
#include <QSet>

namespace halhub {

class ClusterNode;

// The devices of the other nodes of a cluster, as a DeviceBus beside the
// local HAL in the CompositeBus (docs/protocol.md section 12). It keeps the
// contract of bus/devicebus.h: the ClusterNode tells it what the cluster
// announces (reconcile), hands it the samples that arrive, and carries its
// command attempts and watch changes to the owners.
class RemoteBus final : public DeviceBus
{
    Q_OBJECT
public:
    explicit RemoteBus(ClusterNode *node, QObject *parent = nullptr);
    ~RemoteBus() override;

    // DeviceBus
    QList<DeviceInfo> devices() const override;
    std::optional<DeviceInfo> device(const QString &id) const override;
    void startCommand(const QString &device, quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(const QString &device, quint64 ticket) override;
    void setWatched(const QString &device, bool watched) override;
    // Every command for a remote device goes whole to its owner's router.
    bool handsCommandsOver(const QString &device) const override;
    void handCommand(quint64 ticket, const HandedCommand &command) override;
    void cancelHanded(const QString &device, quint64 ticket) override;

    // The whole set of remote devices as the cluster has it now: emits
    // deviceAdded, deviceRemoved, deviceInfoChanged and deviceStateChanged
    // for what differs. A device that comes back to connected gets a gap
    // on its next sample.
    void reconcile(const QHash<QString, DeviceInfo> &wanted);
    // A sample published by the owner, with its per-device sequence number.
    void deliverSample(Sample sample, quint64 seq);
    // The owner started, or finished, a command handed to it.
    void deliverHandedStarted(quint64 ticket);
    void deliverHandedResult(quint64 ticket, const HandedResult &result);
    // Another node hands a command for a local device to this node's router.
    void handToRouter(const std::shared_ptr<HandedCommandLink> &link);
    // The owner announced a device error.
    void deliverError(const QString &device, const QString &message);
    // Samples may have been lost for every watched device (Redis link lost).
    void markGaps();

    bool isWatched(const QString &device) const { return m_watched.contains(device); }
    QSet<QString> watched() const { return m_watched; }
    int runningCount() const { return int(m_handed.size()); }
    // The command handed with ticket still waits for its owner's result.
    bool isHanded(quint64 ticket) const { return m_handed.contains(ticket); }

private:
    ClusterNode *m_node = nullptr;
    QHash<QString, DeviceInfo> m_devices;
    QSet<QString> m_watched;
    // Per device: the last sequence number seen; absent: none since the
    // watch began or since a gap was marked.
    QHash<QString, quint64> m_lastSeq;
    QSet<QString> m_gapDue;
    // Commands handed to an owner and not finished yet: ticket -> device.
    QHash<quint64, QString> m_handed;
};

} // namespace halhub
