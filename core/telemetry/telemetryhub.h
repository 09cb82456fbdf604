#pragma once

#include "bus/deviceinfo.h"
#include "protocol/framecodec.h"
#include "telemetry/frame.h"

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

    // Sharing across the streams fed by one sample. Every `full` stream
    // with the same channels sends the same values for a sample (a stream
    // sees every sample from its start, so its latest value of a channel it
    // has is the device's), so a thousand subscribers need one copy of them
    // and one encoding per wire form, not a thousand.
    //
    // Called while a sample is being fanned out: replaces the frame's
    // values and snapshot by the copy shared with the earlier frames of the
    // same channels. Outside a fan-out it does nothing.
    void shareValues(Frame &frame);
    // The frame's values encoded, from the shared cache when the frame
    // holds shared values of the current sample, encoded afresh otherwise.
    QByteArray encodedValues(const Frame &frame, Encoding encoding);

private:
    void onSample(const Sample &sample);
    void onInfoChanged(const DeviceInfo &info);

    QHash<QString, QList<SampleSink *>> m_sinks;
    qint64 m_samplesIn = 0;

    struct SharedValues
    {
        QSharedPointer<const QList<QPair<QString, QVariant>>> values;
        QByteArray encoded[2];          // by Encoding, empty until asked for
    };
    bool m_fanningOut = false;
    // The current sample's distinct value lists: a handful (one per channel
    // selection in use), so a linear search is fastest.
    QList<SharedValues> m_shared;
};

} // namespace halhub
