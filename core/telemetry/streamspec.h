#pragma once

#include "bus/deviceinfo.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <optional>

namespace halhub {

enum class StreamMode { Full, Delta, Sampled, Custom };

QString streamModeName(StreamMode mode);

struct CustomChannelSpec
{
    std::optional<double> rateHz;       // granted; none: the stream's rate
    std::optional<double> deadband;     // none: the stream's deadband
};

// A `subscribe` request, checked against its device and granted.
struct StreamSpec
{
    QString device;
    StreamMode mode = StreamMode::Full;
    // Granted rate (min of requested, native, max_rate_hz). Zero: one frame
    // per device sample (no rate requested on a device without native rate).
    double rateHz = 0;
    // Subscribed channels in a stable order. Empty with allChannels set:
    // every channel the device has or (push devices) will have.
    QStringList channels;
    bool allChannels = true;
    double deadband = 0;                        // default deadband
    QHash<QString, double> channelDeadband;     // per-channel override
    qint64 keyframeMs = 1000;
    QHash<QString, CustomChannelSpec> custom;   // custom mode only

    // Deadband in force for a channel (delta and custom).
    double deadbandFor(const QString &channel) const;
};

// Parses the fields of a `subscribe` request (mode, rate_hz, channels,
// deadband, keyframe_ms, custom) against the device. Returns nothing and
// a message for invalid_params when a field has the wrong type, is out of
// range, names an unknown channel (except on a push device) or a required
// field is missing. A field sent as null counts as absent.
std::optional<StreamSpec> parseStreamSpec(const QVariantMap &request, const DeviceInfo &device,
                                          double maxRateHz, QString *error);


} // namespace halhub
