#include "halrig.h"

#include "config/config.h"

using namespace halhub;

HalRig::HalRig(QObject *parent)
    : QObject(parent)
{
    m_hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    connect(&m_hal, &HalManager::sampleReady, this, [this](const Sample &s) { m_samples << s; });
    connect(&m_hal, &HalManager::deviceError, this,
            [this](const QString &device, const QString &message) { m_errors[device] << message; });
    connect(&m_hal, &HalManager::deviceStateChanged, this,
            [this](const QString &device, DeviceState state) { m_states[device] << state; });
    connect(&m_hal, &HalManager::commandFinished, this,
            [this](quint64 ticket, const CommandOutcome &outcome) {
                m_outcomes.insert(ticket, outcome);
                ++m_outcomeCounts[ticket];
            });
}

QString HalRig::apply(const QList<QVariantMap> &entries)
{
    QList<DeviceConfig> devices;
    for (const QVariantMap &entry : entries) {
        DeviceConfig config;
        config.id = entry.value(QStringLiteral("id")).toString();
        config.plugin = entry.value(QStringLiteral("plugin")).toString();
        config.settings = entry;
        devices << config;
    }
    QString error;
    if (!m_hal.applyDevices(devices, &error))
        return error.isEmpty() ? QStringLiteral("refused") : error;
    return {};
}

quint64 HalRig::command(const QString &device, const QString &name, const QVariantMap &params)
{
    const quint64 ticket = ++m_nextTicket;
    m_hal.startCommand(device, ticket, name, params);
    return ticket;
}

void HalRig::abort(const QString &device, quint64 ticket)
{
    m_hal.abortCommand(device, ticket);
}

std::optional<CommandOutcome> HalRig::outcome(quint64 ticket) const
{
    const auto it = m_outcomes.constFind(ticket);
    if (it == m_outcomes.constEnd())
        return std::nullopt;
    return *it;
}

QList<Sample> HalRig::samples(const QString &device) const
{
    QList<Sample> of;
    for (const Sample &s : m_samples) {
        if (s.device == device)
            of << s;
    }
    return of;
}

DeviceInfo HalRig::info(const QString &device) const
{
    return m_hal.device(device).value_or(DeviceInfo());
}

QVariant HalRig::lastValue(const QString &device, const QString &channel) const
{
    for (auto it = m_samples.crbegin(); it != m_samples.crend(); ++it) {
        if (it->device != device)
            continue;
        for (const ChannelValue &v : it->values) {
            if (v.channel == channel)
                return v.value;
        }
    }
    return {};
}

const char *stateName(DeviceState state)
{
    switch (state) {
    case DeviceState::Connecting: return "connecting";
    case DeviceState::Connected: return "connected";
    case DeviceState::Disconnected: return "disconnected";
    case DeviceState::Error: return "error";
    }
    return "?";
}
