#pragma once

#include "bus/deviceinfo.h"
#include "protocol/throttledcount.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>

namespace halhub {

class DeviceBus;

// What happened to a device, in no front end's words.
struct DeviceEvent
{
    enum class Kind { Added, Removed, Connected, Disconnected, Error };
    Kind kind = Kind::Added;
    QString device;
    DeviceInfo info;                // Added: the whole description
    QString message;                // Error: the newest message
    quint64 count = 0;              // Error: errors since the previous report
};

// The device events every front end passes on, made once from the bus:
// transitions to connected and away from it, additions and removals, and
// device errors throttled to one report a second per device (the first at
// once, later ones counted into the next report, none lost).
class DeviceEvents : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 kErrorIntervalMs = 1000;

    explicit DeviceEvents(DeviceBus *bus, QObject *parent = nullptr);
    ~DeviceEvents() override;

Q_SIGNALS:
    // Removed comes after the bus removed the device; front ends close
    // what they hold on it before passing the event on.
    void deviceEvent(const halhub::DeviceEvent &event);

private:
    void onError(const QString &device, const QString &message);
    void flushErrors();
    void timerEvent(QTimerEvent *event) override;

    struct ErrorThrottle
    {
        ThrottledCount count;
        QString message;
    };
    QHash<QString, ErrorThrottle> m_errors;
    QElapsedTimer m_clock;
    QBasicTimer m_flush;
};

} // namespace halhub

Q_DECLARE_METATYPE(halhub::DeviceEvent)
