#pragma once

#include "metrics/latencyhistogram.h"

#include <QElapsedTimer>
#include <QMap>
#include <QObject>

namespace halhub {

class AuditLog;
class CommandDesk;
class CommandRouter;
class DeviceBus;
class DeviceEvents;
class TelemetryHub;

// The protocol-neutral core that every front end uses and none owns:
//
//   bus()          the device directory: list and describe devices, their
//                  states (DeviceBus, usually a CompositeBus);
//   deviceEvents() what happens to devices, throttled once for everyone;
//   telemetry()    stream subscriptions: a front end's StreamMember opens a
//                  stream of a StreamSpec, receives its frames, closes it;
//   commands()     command submission (submit, ack, result, cancel,
//                  idempotency), every command audited;
//   latency()      the telemetry latency of every front end's live frames.
//
// It knows nothing of any wire format: the halhub protocol
// (frontends/halhub), and any other front end, are built over it.
class Hub : public QObject
{
    Q_OBJECT
public:
    explicit Hub(DeviceBus *bus, QObject *parent = nullptr);
    ~Hub() override;

    DeviceBus *bus() const { return m_bus; }
    DeviceEvents *deviceEvents() const { return m_events; }
    TelemetryHub *telemetry() const { return m_telemetry; }
    CommandDesk *commands() const { return m_commands; }
    AuditLog *auditLog() const { return m_audit; }

    LatencyHistogram &latency() { return m_latency; }
    const LatencyHistogram &latency() const { return m_latency; }
    // The clock the latency histogram's windows run on (ms since start).
    qint64 clockMs() const { return m_clock.elapsed(); }
    qint64 uptimeSeconds() const { return m_clock.elapsed() / 1000; }
    // Results of every command since start, by status name (ok, error,
    // timeout, cancelled).
    const QMap<QString, qint64> &commandsByStatus() const { return m_commandsByStatus; }

private:
    DeviceBus *m_bus = nullptr;
    QElapsedTimer m_clock;
    LatencyHistogram m_latency;
    DeviceEvents *m_events = nullptr;
    TelemetryHub *m_telemetry = nullptr;
    CommandRouter *m_router = nullptr;
    AuditLog *m_audit = nullptr;
    CommandDesk *m_commands = nullptr;
    QMap<QString, qint64> m_commandsByStatus;
};

} // namespace halhub
