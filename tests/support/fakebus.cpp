#include "fakebus.h"

using namespace halhub;

DeviceInfo FakeBus::connectedDevice(const QString &id, const QStringList &channels,
                                    const QString &plugin)
{
    DeviceInfo d;
    d.id = id;
    d.plugin = plugin;
    d.state = DeviceState::Connected;
    for (const QString &name : channels)
        d.channels.append({name, QString(), ChannelType::Float});
    return d;
}

qsizetype FakeBus::indexOf(const QString &id) const
{
    for (qsizetype i = 0; i < m_devices.size(); ++i) {
        if (m_devices[i].id == id)
            return i;
    }
    return -1;
}

void FakeBus::add(const DeviceInfo &info, bool quietly)
{
    const qsizetype i = indexOf(info.id);
    if (i >= 0)
        m_devices[i] = info;
    else
        m_devices.append(info);
    if (!quietly)
        Q_EMIT deviceAdded(info);
}

void FakeBus::remove(const QString &id)
{
    const qsizetype i = indexOf(id);
    if (i < 0)
        return;
    m_devices.removeAt(i);
    Q_EMIT deviceRemoved(id);
}

void FakeBus::setState(const QString &id, DeviceState state)
{
    const qsizetype i = indexOf(id);
    if (i < 0)
        return;
    m_devices[i].state = state;
    Q_EMIT deviceStateChanged(id, state);
}

void FakeBus::changeInfo(const DeviceInfo &info)
{
    const qsizetype i = indexOf(info.id);
    if (i >= 0)
        m_devices[i] = info;
    Q_EMIT deviceInfoChanged(info);
}

void FakeBus::raiseError(const QString &device, const QString &message)
{
    Q_EMIT deviceError(device, message);
}

void FakeBus::emitSample(const Sample &sample)
{
    Q_EMIT sampleReady(sample);
}

void FakeBus::answer(quint64 ticket, const CommandOutcome &outcome)
{
    Q_EMIT commandFinished(ticket, outcome);
}

std::optional<DeviceInfo> FakeBus::device(const QString &id) const
{
    const qsizetype i = indexOf(id);
    if (i < 0)
        return std::nullopt;
    return m_devices[i];
}

void FakeBus::startCommand(const QString &device, quint64 ticket, const QString &command,
                           const QVariantMap &params)
{
    starts.append({device, ticket, command, params});
    if (!immediate.isEmpty())
        Q_EMIT commandFinished(ticket, immediate.takeFirst());
}

void FakeBus::abortCommand(const QString &device, quint64 ticket)
{
    aborts.append({device, ticket});
}
