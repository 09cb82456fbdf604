#pragma once

#include "bus/deviceinfo.h"
#include "hallogging.h"

#include <QObject>
#include <QVariantMap>

namespace halhub {

// One instrument, made by a device plugin from its config entry.
//
// Lifecycle: the constructor does nothing that can fail; the HAL calls
// open() once, close() before deleting it. A device reports everything by
// signal, always from the HAL's thread:
//   stateChanged    - on every transition (connecting -> connected, lost,
//                     back); never for a failed reopen attempt.
//   sampleReady     - a new reading (timestamp: when it was taken).
//   errorOccurred   - a fault, bad data, or no answer while connected; and
//                     a port that cannot be opened, once per new reason
//                     (reportOpenFailure).
//   infoChanged     - the channel list grew (push devices).
//   commandFinished - exactly once per startCommand ticket, unless
//                     abortCommand(ticket) came first.
class Device : public QObject
{
    Q_OBJECT
public:
    // Takes the config entry's `id` and `name` (the name defaults to the id).
    explicit Device(const QVariantMap &config, QObject *parent = nullptr)
        : QObject(parent)
        , m_id(config.value(QStringLiteral("id")).toString())
        , m_name(config.value(QStringLiteral("name")).toString())
    {
        if (m_name.isEmpty())
            m_name = m_id;
    }
    ~Device() override = default;

    virtual DeviceInfo info() const = 0;
    QString id() const { return m_id; }
    QString name() const { return m_name; }
    DeviceState state() const { return m_state; }
    // Why the device is not connected; empty while connected.
    QString error() const { return m_error; }

    virtual void open() = 0;
    virtual void close() = 0;

    // Runs one attempt; params are already checked against info().commands.
    virtual void startCommand(quint64 ticket, const QString &command,
                              const QVariantMap &params) = 0;
    // Abandons a running attempt; stops the work if the device can.
    virtual void abortCommand(quint64 ticket) = 0;

Q_SIGNALS:
    void stateChanged(halhub::DeviceState state);
    void sampleReady(const halhub::Sample &sample);
    void errorOccurred(const QString &message);
    void infoChanged();
    void commandFinished(quint64 ticket, const halhub::CommandOutcome &outcome);

protected:
    // Records a transition and emits stateChanged; no signal when unchanged.
    void setState(DeviceState state)
    {
        if (m_state == state)
            return;
        m_state = state;
        if (state == DeviceState::Connected) {
            m_error.clear();
            m_reportedFailure.clear();
        }
        Q_EMIT stateChanged(state);
    }

    // An attempt to open the device's port failed (missing, permission
    // denied, busy). Called for every attempt; the operator hears of it -
    // errorOccurred, one warning in the log, infoChanged for the new `error`
    // - at the first failure and whenever the reason changes, never once per
    // retry (docs/protocol.md section 11).
    void reportOpenFailure(const QString &reason)
    {
        if (reason == m_reportedFailure)
            return;
        m_reportedFailure = reason;
        m_error = reason;
        qCWarning(lcHal).noquote() << QStringLiteral("device %1: %2").arg(m_id, reason);
        Q_EMIT errorOccurred(reason);
        Q_EMIT infoChanged();
    }

    // The connection was lost: the reason stays as the device's error until
    // it is back, and the next failed open is reported afresh.
    void noteLost(const QString &reason)
    {
        m_error = reason;
        m_reportedFailure.clear();
    }

    // The part of info() that is the same for every device: id, plugin,
    // name and state.
    DeviceInfo baseInfo(const QString &plugin) const
    {
        DeviceInfo info;
        info.id = m_id;
        info.plugin = plugin;
        info.name = m_name;
        info.state = m_state;
        info.error = m_error;
        return info;
    }

private:
    QString m_id;
    QString m_name;
    DeviceState m_state = DeviceState::Connecting;
    QString m_error;
    QString m_reportedFailure;          // the open failure reported last
};

} // namespace halhub
