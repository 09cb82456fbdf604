#include "telemetry/telemetryhub.h"

#include "bus/devicebus.h"
#include "telemetry/telemetrymessage.h"

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
    m_fanningOut = true;
    for (SampleSink *sink : sinks)
        sink->consumeSample(sample);
    m_fanningOut = false;
    m_shared.clear();
}

namespace {

bool sameChannels(const QList<QPair<QString, QVariant>> &a,
                  const QList<QPair<QString, QVariant>> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a.at(i).first != b.at(i).first)
            return false;
    }
    return true;
}

} // namespace

void TelemetryHub::shareValues(Frame &frame)
{
    if (!m_fanningOut)
        return;
    for (const SharedValues &shared : std::as_const(m_shared)) {
        if (sameChannels(*shared.values, frame.values)) {
            frame.snapshot = shared.values;
            frame.values = *shared.values;
            return;
        }
    }
    frame.snapshot = QSharedPointer<const QList<QPair<QString, QVariant>>>::create(frame.values);
    frame.values = *frame.snapshot;
    m_shared.append({frame.snapshot, {}});
}

QByteArray TelemetryHub::encodedValues(const Frame &frame, Encoding encoding)
{
    // Shared only when the frame sends exactly its (shared) snapshot.
    if (m_fanningOut && frame.snapshot && frame.values.constData() == frame.snapshot->constData()) {
        for (SharedValues &shared : m_shared) {
            if (shared.values != frame.snapshot)
                continue;
            QByteArray &bytes = shared.encoded[encoding == Encoding::Json ? 0 : 1];
            if (bytes.isEmpty())
                bytes = telemetrymessage::encodeValues(frame.values, encoding);
            return bytes;
        }
    }
    return telemetrymessage::encodeValues(frame.values, encoding);
}

void TelemetryHub::onInfoChanged(const DeviceInfo &info)
{
    const QList<SampleSink *> sinks = m_sinks.value(info.id);
    for (SampleSink *sink : sinks)
        sink->deviceChanged(info);
}

} // namespace halhub
