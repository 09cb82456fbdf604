#include "cluster/remotebus.h"

#include "cluster/clusternode.h"

namespace halhub {

namespace {

bool sameDescription(const DeviceInfo &a, const DeviceInfo &b)
{
    const auto channels = [](const DeviceInfo &i) {
        QStringList out;
        for (const ChannelInfo &c : i.channels)
            out << c.name << c.unit << channelTypeName(c.type);
        return out;
    };
    const auto commands = [](const DeviceInfo &i) {
        QStringList out;
        for (const CommandSpec &c : i.commands) {
            out << c.name << c.description;
            for (const ParamSpec &p : c.params)
                out << p.name << paramTypeName(p.type) << QString::number(p.required)
                    << QString::number(p.minimum.value_or(qQNaN()))
                    << QString::number(p.maximum.value_or(qQNaN())) << p.allowed;
        }
        return out;
    };
    return a.plugin == b.plugin && a.name == b.name && a.port == b.port && a.node == b.node
            && a.rateHz == b.rateHz && a.dynamicChannels == b.dynamicChannels
            && a.anyCommand == b.anyCommand && channels(a) == channels(b)
            && commands(a) == commands(b);
}

} // namespace

RemoteBus::RemoteBus(ClusterNode *node, QObject *parent)
    : DeviceBus(parent)
    , m_node(node)
{
}

RemoteBus::~RemoteBus() = default;

QList<DeviceInfo> RemoteBus::devices() const
{
    return m_devices.values();
}

std::optional<DeviceInfo> RemoteBus::device(const QString &id) const
{
    const auto it = m_devices.constFind(id);
    if (it == m_devices.cend())
        return std::nullopt;
    return *it;
}

void RemoteBus::startCommand(const QString &device, quint64 ticket, const QString &command,
                             const QVariantMap &params)
{
    Q_UNUSED(params);
    // Not called: handsCommandsOver is true for every remote device. Should
    // a caller try all the same, it hears why, after startCommand returns.
    QMetaObject::invokeMethod(this, [this, ticket, device, command] {
        Q_EMIT commandFinished(ticket, CommandOutcome::error(
                QStringLiteral("device_unavailable"),
                QStringLiteral("%1 on remote device %2: a remote device takes whole commands only")
                        .arg(command, device)));
    }, Qt::QueuedConnection);
}

void RemoteBus::abortCommand(const QString &device, quint64 ticket)
{
    Q_UNUSED(device);
    Q_UNUSED(ticket);
}

bool RemoteBus::handsCommandsOver(const QString &device) const
{
    return m_devices.contains(device);
}

void RemoteBus::handCommand(quint64 ticket, const HandedCommand &command)
{
    const auto it = m_devices.constFind(command.device);
    if (it == m_devices.cend() || !m_node->sendHanded(it->node, ticket, command)) {
        // Not sent (Redis unreachable): answered after handCommand returns.
        QMetaObject::invokeMethod(this, [this, ticket, device = command.device] {
            Q_EMIT handedFinished(ticket, HandedResult::error(
                    QStringLiteral("device_unavailable"),
                    QStringLiteral("the node of device %1 cannot be reached").arg(device)));
        }, Qt::QueuedConnection);
        return;
    }
    m_handed.insert(ticket, command.device);
}

void RemoteBus::cancelHanded(const QString &device, quint64 ticket)
{
    if (!m_handed.remove(ticket))
        return;
    const auto it = m_devices.constFind(device);
    if (it != m_devices.cend())
        m_node->sendHandedCancel(it->node, ticket);
}

void RemoteBus::deliverHandedStarted(quint64 ticket)
{
    if (m_handed.contains(ticket))
        Q_EMIT handedStarted(ticket);
}

void RemoteBus::deliverHandedResult(quint64 ticket, const HandedResult &result)
{
    if (m_handed.remove(ticket))
        Q_EMIT handedFinished(ticket, result);
}

void RemoteBus::handToRouter(const std::shared_ptr<HandedCommandLink> &link)
{
    Q_EMIT commandHanded(link);
}

void RemoteBus::setWatched(const QString &device, bool watched)
{
    if (watched == m_watched.contains(device))
        return;
    if (watched)
        m_watched.insert(device);
    else
        m_watched.remove(device);
    m_lastSeq.remove(device);
    m_gapDue.remove(device);
    m_node->watchChanged(device, watched);
}

void RemoteBus::reconcile(const QHash<QString, DeviceInfo> &wanted)
{
    const QStringList known = m_devices.keys();
    for (const QString &id : known) {
        if (wanted.contains(id))
            continue;
        m_devices.remove(id);
        m_lastSeq.remove(id);
        for (auto it = m_handed.begin(); it != m_handed.end();)
            it = *it == id ? m_handed.erase(it) : std::next(it);
        Q_EMIT deviceRemoved(id);
    }
    for (auto it = wanted.cbegin(); it != wanted.cend(); ++it) {
        const auto have = m_devices.find(it.key());
        if (have == m_devices.end()) {
            m_devices.insert(it.key(), *it);
            Q_EMIT deviceAdded(*it);
            continue;
        }
        if (have->node != it->node) {
            // Another node owns the id now: a different device.
            m_devices.remove(it.key());
            Q_EMIT deviceRemoved(it.key());
            m_devices.insert(it.key(), *it);
            m_gapDue.insert(it.key());
            Q_EMIT deviceAdded(*it);
            continue;
        }
        const DeviceState before = have->state;
        const bool describedAlike = sameDescription(*have, *it);
        *have = *it;
        if (!describedAlike)
            Q_EMIT deviceInfoChanged(*it);
        if (before != it->state) {
            if (it->state == DeviceState::Connected) {
                m_gapDue.insert(it.key());
                m_lastSeq.remove(it.key());
            }
            Q_EMIT deviceStateChanged(it.key(), it->state);
        }
    }
}

void RemoteBus::deliverSample(Sample sample, quint64 seq)
{
    const auto it = m_devices.constFind(sample.device);
    if (it == m_devices.cend() || it->state != DeviceState::Connected
        || !m_watched.contains(sample.device))
        return;
    const auto last = m_lastSeq.constFind(sample.device);
    if (last != m_lastSeq.cend() && seq != *last + 1)
        sample.gapBefore = true;
    if (m_gapDue.remove(sample.device))
        sample.gapBefore = true;
    m_lastSeq.insert(sample.device, seq);
    Q_EMIT sampleReady(sample);
}

void RemoteBus::deliverError(const QString &device, const QString &message)
{
    if (m_devices.contains(device))
        Q_EMIT deviceError(device, message);
}

void RemoteBus::markGaps()
{
    for (const QString &device : std::as_const(m_watched)) {
        m_gapDue.insert(device);
        m_lastSeq.remove(device);
    }
}

} // namespace halhub
