#pragma once

#include "halmanager.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QVariantMap>

#include <optional>

// The real HAL with the built plugins, and a record of everything it says:
// what the serial plugin tests drive and look at.
class HalRig : public QObject
{
    Q_OBJECT
public:
    explicit HalRig(QObject *parent = nullptr);

    // Sets the devices (each a config entry with id and plugin); empty
    // string when applied, else why not.
    QString apply(const QList<QVariantMap> &entries);

    quint64 command(const QString &device, const QString &name, const QVariantMap &params = {});
    void abort(const QString &device, quint64 ticket);
    std::optional<halhub::CommandOutcome> outcome(quint64 ticket) const;
    int outcomeCount(quint64 ticket) const { return m_outcomeCounts.value(ticket); }

    QList<halhub::Sample> samples(const QString &device) const;
    QStringList errors(const QString &device) const { return m_errors.value(device); }
    QList<halhub::DeviceState> states(const QString &device) const { return m_states.value(device); }
    halhub::DeviceInfo info(const QString &device) const;
    // The last value of a channel seen in any sample of the device.
    QVariant lastValue(const QString &device, const QString &channel) const;

    halhub::HalManager &hal() { return m_hal; }

private:
    halhub::HalManager m_hal;
    quint64 m_nextTicket = 0;
    QList<halhub::Sample> m_samples;
    QHash<QString, QStringList> m_errors;
    QHash<QString, QList<halhub::DeviceState>> m_states;
    QHash<quint64, halhub::CommandOutcome> m_outcomes;
    QHash<quint64, int> m_outcomeCounts;
};

const char *stateName(halhub::DeviceState state);
