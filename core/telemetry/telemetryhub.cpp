#include "telemetry/telemetryhub.h"

#include "bus/devicebus.h"

namespace halhub {

TelemetryHub::TelemetryHub(DeviceBus *bus, QObject *parent)
    : QObject(parent)
{
    connect(bus, &DeviceBus::sampleReady, this, &TelemetryHub::onSample);
    connect(bus, &DeviceBus::deviceInfoChanged, this, &TelemetryHub::onInfoChanged);
}

void TelemetryHub::addSink(const QString &device, SampleSink *sink)
{
    m_sinks[device].append(sink);
}

void TelemetryHub::removeSink(const QString &device, SampleSink *sink)
{
    auto it = m_sinks.find(device);
    if (it == m_sinks.end())
        return;
    it->removeAll(sink);
    if (it->isEmpty())
        m_sinks.erase(it);
}

int TelemetryHub::sinkCount() const
{
    int n = 0;
    for (const auto &list : m_sinks)
        n += list.size();
    return n;
}

void TelemetryHub::onSample(const Sample &sample)
{
    ++m_samplesIn;
    const auto it = m_sinks.constFind(sample.device);
    if (it == m_sinks.constEnd())
        return;
    // A sink may unsubscribe (and so edit the list) while it consumes.
    const QList<SampleSink *> sinks = *it;
    for (SampleSink *sink : sinks)
        sink->consumeSample(sample);
}

void TelemetryHub::onInfoChanged(const DeviceInfo &info)
{
    const QList<SampleSink *> sinks = m_sinks.value(info.id);
    for (SampleSink *sink : sinks)
        sink->deviceChanged(info);
}

} // namespace halhub
