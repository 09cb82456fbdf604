#pragma once

#include "bus/devicebus.h"

#include <QList>
#include <QPair>

// A device bus a test drives by hand: devices are added, changed and removed
// by the test, samples and errors raised when it says, and every command
// attempt recorded until the test answers it. Shared by every test that
// needs a bus without the HAL.
class FakeBus final : public halhub::DeviceBus
{
    Q_OBJECT
public:
    struct Start
    {
        QString device;
        quint64 ticket = 0;
        QString command;
        QVariantMap params;
    };

    using DeviceBus::DeviceBus;

    // A connected device with float channels of these names.
    static halhub::DeviceInfo connectedDevice(const QString &id, const QStringList &channels = {},
                                              const QString &plugin = QStringLiteral("test"));

    // Lists the device (emits deviceAdded unless quietly).
    void add(const halhub::DeviceInfo &info, bool quietly = false);
    void remove(const QString &id);
    void setState(const QString &id, halhub::DeviceState state);
    void changeInfo(const halhub::DeviceInfo &info);
    void raiseError(const QString &device, const QString &message);
    void emitSample(const halhub::Sample &sample);
    void answer(quint64 ticket, const halhub::CommandOutcome &outcome);

    // Attempts started and aborted, in order.
    QList<Start> starts;
    QList<QPair<QString, quint64>> aborts;
    // Answer each attempt from inside startCommand, as a device that needs
    // no I/O may: these outcomes are used in turn.
    QList<halhub::CommandOutcome> immediate;

    // DeviceBus
    QList<halhub::DeviceInfo> devices() const override { return m_devices; }
    std::optional<halhub::DeviceInfo> device(const QString &id) const override;
    void startCommand(const QString &device, quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(const QString &device, quint64 ticket) override;

private:
    qsizetype indexOf(const QString &id) const;

    QList<halhub::DeviceInfo> m_devices;
};
