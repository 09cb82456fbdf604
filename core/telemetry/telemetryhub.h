#pragma once

#include "bus/deviceinfo.h"

#include <QHash>
#include <QList>
#include <QObject>

namespace halhub {

class DeviceBus;

// Something that consumes one device's samples: a stream of a session.
class SampleSink
{
public:
    virtual ~SampleSink() = default;
    virtual void consumeSample(const Sample &sample) = 0;
    virtual void deviceChanged(const DeviceInfo &info) = 0;
};

// The fan-out stage of the telemetry pipeline: takes every sample from the
// DeviceBus and hands it to the sinks registered for its device.
class TelemetryHub : public QObject
{
    Q_OBJECT
public:
    explicit TelemetryHub(DeviceBus *bus, QObject *parent = nullptr);

    void addSink(const QString &device, SampleSink *sink);
    void removeSink(const QString &device, SampleSink *sink);
    int sinkCount() const;

    // Samples seen since start (all devices).
    qint64 samplesIn() const { return m_samplesIn; }

private:
    void onSample(const Sample &sample);
    void onInfoChanged(const DeviceInfo &info);

    QHash<QString, QList<SampleSink *>> m_sinks;
    qint64 m_samplesIn = 0;
};

} // namespace halhub
