#include "hub/deviceevents.h"

#include "bus/devicebus.h"

#include <QTimerEvent>

namespace halhub {

DeviceEvents::DeviceEvents(DeviceBus *bus, QObject *parent)
    : QObject(parent)
{
    m_clock.start();
    connect(bus, &DeviceBus::deviceStateChanged, this,
            [this](const QString &device, DeviceState state) {
                DeviceEvent e;
                e.device = device;
                if (state == DeviceState::Connected)
                    e.kind = DeviceEvent::Kind::Connected;
                else if (state == DeviceState::Disconnected || state == DeviceState::Error)
                    e.kind = DeviceEvent::Kind::Disconnected;
                else
                    return;
                Q_EMIT deviceEvent(e);
            });
    connect(bus, &DeviceBus::deviceAdded, this, [this](const DeviceInfo &info) {
        DeviceEvent e;
        e.kind = DeviceEvent::Kind::Added;
        e.device = info.id;
        e.info = info;
        Q_EMIT deviceEvent(e);
    });
    connect(bus, &DeviceBus::deviceRemoved, this, [this](const QString &device) {
        // Errors not yet reported die with the device.
        m_errors.remove(device);
        DeviceEvent e;
        e.kind = DeviceEvent::Kind::Removed;
        e.device = device;
        Q_EMIT deviceEvent(e);
    });
    connect(bus, &DeviceBus::deviceError, this, &DeviceEvents::onError);
}

DeviceEvents::~DeviceEvents() = default;

void DeviceEvents::onError(const QString &device, const QString &message)
{
    ErrorThrottle &t = m_errors[device];
    t.count.add();
    t.message = message;
    flushErrors();
    // Looked up again: a handler of the report may have removed the device.
    const auto it = m_errors.constFind(device);
    if (it != m_errors.cend() && !it->count.isEmpty() && !m_flush.isActive())
        m_flush.start(int(kErrorIntervalMs / 4), this);
}

void DeviceEvents::flushErrors()
{
    const qint64 now = m_clock.elapsed();
    bool left = false;
    QList<DeviceEvent> due;
    for (auto it = m_errors.begin(); it != m_errors.end(); ++it) {
        ErrorThrottle &t = it.value();
        const quint64 count = t.count.take(now, kErrorIntervalMs, &left);
        if (count == 0)
            continue;
        DeviceEvent e;
        e.kind = DeviceEvent::Kind::Error;
        e.device = it.key();
        e.message = t.message;
        e.count = count;
        due.append(e);
    }
    if (!left)
        m_flush.stop();
    // Emitted after the walk: a handler may remove a device meanwhile.
    for (const DeviceEvent &e : std::as_const(due))
        Q_EMIT deviceEvent(e);
}

void DeviceEvents::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_flush.timerId())
        flushErrors();
    else
        QObject::timerEvent(event);
}

} // namespace halhub
