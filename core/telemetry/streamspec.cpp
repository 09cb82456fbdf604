#include "telemetry/streamspec.h"

#include "bus/value.h"

#include <QSet>

#include <algorithm>
#include <limits>

namespace halhub {

namespace {

constexpr double kMaxRequestRateHz = 1000;
constexpr qint64 kMaxKeyframeMs = 3600000;

// A requested rate in (0, 1000], or nothing.
std::optional<double> requestedRate(const QVariant &v)
{
    if (!value::isNumber(v))
        return std::nullopt;
    const double r = v.toDouble();
    if (!(r > 0 && r <= kMaxRequestRateHz))
        return std::nullopt;
    return r;
}

double grantRate(double requested, const DeviceInfo &device, double maxRateHz)
{
    double granted = requested;
    if (device.rateHz && *device.rateHz > 0)
        granted = std::min(granted, *device.rateHz);
    if (maxRateHz > 0)
        granted = std::min(granted, maxRateHz);
    return granted;
}

std::optional<double> deadbandValue(const QVariant &v)
{
    if (!value::isNumber(v))
        return std::nullopt;
    const double d = v.toDouble();
    if (!(d >= 0) || d == std::numeric_limits<double>::infinity())
        return std::nullopt;
    return d;
}

bool knownChannel(const DeviceInfo &device, const QString &name)
{
    return device.dynamicChannels ? !name.isEmpty() : device.channel(name) != nullptr;
}

QString unknownChannel(const QString &field, const DeviceInfo &device, const QString &name)
{
    return QStringLiteral("%1: device '%2' has no channel '%3'").arg(field, device.id, name);
}

std::optional<StreamSpec> fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return std::nullopt;
}

const QString kRateMessage = QStringLiteral("must be a number in (0, 1000]");

} // namespace

QString streamModeName(StreamMode mode)
{
    switch (mode) {
    case StreamMode::Full: return QStringLiteral("full");
    case StreamMode::Delta: return QStringLiteral("delta");
    case StreamMode::Sampled: return QStringLiteral("sampled");
    case StreamMode::Custom: return QStringLiteral("custom");
    }
    return QStringLiteral("full");
}

double StreamSpec::deadbandFor(const QString &channel) const
{
    if (mode == StreamMode::Custom) {
        const auto it = custom.constFind(channel);
        if (it != custom.constEnd() && it->deadband)
            return *it->deadband;
    }
    return channelDeadband.value(channel, deadband);
}

std::optional<StreamSpec> parseStreamSpec(const QVariantMap &request, const DeviceInfo &device,
                                          double maxRateHz, QString *error)
{
    StreamSpec spec;
    spec.device = device.id;

    const QVariant mode = request.value(QStringLiteral("mode"));
    if (!value::isNull(mode)) {
        const QString name = value::isString(mode) ? mode.toString() : QString();
        if (name == QLatin1String("full"))
            spec.mode = StreamMode::Full;
        else if (name == QLatin1String("delta"))
            spec.mode = StreamMode::Delta;
        else if (name == QLatin1String("sampled"))
            spec.mode = StreamMode::Sampled;
        else if (name == QLatin1String("custom"))
            spec.mode = StreamMode::Custom;
        else
            return fail(error, QStringLiteral("mode must be one of full, delta, sampled, custom"));
    }

    const QVariant rate = request.value(QStringLiteral("rate_hz"));
    if (!value::isNull(rate)) {
        const std::optional<double> r = requestedRate(rate);
        if (!r)
            return fail(error, QStringLiteral("rate_hz ") + kRateMessage);
        spec.rateHz = grantRate(*r, device, maxRateHz);
    } else if (spec.mode == StreamMode::Sampled) {
        return fail(error, QStringLiteral("rate_hz is required in sampled mode"));
    } else {
        // A device without a native rate gets one frame per sample.
        spec.rateHz = device.rateHz && *device.rateHz > 0
                ? grantRate(*device.rateHz, device, maxRateHz) : 0;
    }

    const QVariant channels = request.value(QStringLiteral("channels"));
    const bool channelsGiven = !value::isNull(channels);
    if (channelsGiven) {
        const QString expected =
                QStringLiteral("channels must be a non-empty list of channel names");
        if (!value::isList(channels))
            return fail(error, expected);
        const QVariantList list = channels.toList();
        if (list.isEmpty())
            return fail(error, expected);
        QSet<QString> seen;
        for (const QVariant &item : list) {
            if (!value::isString(item) || item.toString().isEmpty())
                return fail(error, expected);
            const QString name = item.toString();
            if (!knownChannel(device, name))
                return fail(error, unknownChannel(QStringLiteral("channels"), device, name));
            if (seen.contains(name))
                continue;
            seen.insert(name);
            spec.channels.append(name);
        }
        spec.allChannels = false;
    } else {
        spec.allChannels = true;
        for (const ChannelInfo &c : device.channels)
            spec.channels.append(c.name);
    }

    const QVariant deadband = request.value(QStringLiteral("deadband"));
    if (!value::isNull(deadband)) {
        const QString expected = QStringLiteral(
                "deadband must be a number >= 0 or a map {channel: number >= 0}");
        if (value::isMap(deadband)) {
            const QVariantMap map = deadband.toMap();
            for (auto it = map.cbegin(); it != map.cend(); ++it) {
                if (!knownChannel(device, it.key()))
                    return fail(error, unknownChannel(QStringLiteral("deadband"), device, it.key()));
                const std::optional<double> d = deadbandValue(it.value());
                if (!d)
                    return fail(error, expected);
                spec.channelDeadband.insert(it.key(), *d);
            }
        } else {
            const std::optional<double> d = deadbandValue(deadband);
            if (!d)
                return fail(error, expected);
            spec.deadband = *d;
        }
    }

    const QVariant keyframe = request.value(QStringLiteral("keyframe_ms"));
    if (!value::isNull(keyframe)) {
        bool inRange = false;
        if (keyframe.typeId() == QMetaType::ULongLong || keyframe.typeId() == QMetaType::ULong
                || keyframe.typeId() == QMetaType::UInt || keyframe.typeId() == QMetaType::UShort) {
            const qulonglong k = keyframe.toULongLong();
            inRange = k >= 1 && k <= qulonglong(kMaxKeyframeMs);
        } else if (value::isInteger(keyframe)) {
            const qlonglong k = keyframe.toLongLong();
            inRange = k >= 1 && k <= kMaxKeyframeMs;
        }
        if (!inRange)
            return fail(error, QStringLiteral("keyframe_ms must be an integer in 1..3600000"));
        spec.keyframeMs = keyframe.toLongLong();
    }

    // `custom` is checked whenever it is sent, so a malformed one never
    // passes silently; it only takes effect in custom mode.
    const QVariant custom = request.value(QStringLiteral("custom"));
    if (!value::isNull(custom)) {
        const QString expected = QStringLiteral(
                "custom must be a non-empty map {channel: {rate_hz?, deadband?}}");
        if (!value::isMap(custom))
            return fail(error, expected);
        const QVariantMap map = custom.toMap();
        if (map.isEmpty())
            return fail(error, expected);
        QHash<QString, CustomChannelSpec> parsed;
        QStringList keys;
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            const QString &name = it.key();
            if (!knownChannel(device, name))
                return fail(error, unknownChannel(QStringLiteral("custom"), device, name));
            if (channelsGiven && !spec.channels.contains(name)) {
                return fail(error, QStringLiteral("custom: channel '%1' is not in channels")
                                           .arg(name));
            }
            CustomChannelSpec entry;
            if (!value::isNull(it.value())) {
                if (!value::isMap(it.value()))
                    return fail(error, expected);
                const QVariantMap fields = it.value().toMap();
                const QVariant r = fields.value(QStringLiteral("rate_hz"));
                if (!value::isNull(r)) {
                    const std::optional<double> rr = requestedRate(r);
                    if (!rr) {
                        return fail(error, QStringLiteral("custom.%1.rate_hz ").arg(name)
                                                   + kRateMessage);
                    }
                    entry.rateHz = grantRate(*rr, device, maxRateHz);
                }
                const QVariant d = fields.value(QStringLiteral("deadband"));
                if (!value::isNull(d)) {
                    const std::optional<double> dd = deadbandValue(d);
                    if (!dd) {
                        return fail(error, QStringLiteral("custom.%1.deadband must be a number >= 0")
                                                   .arg(name));
                    }
                    entry.deadband = *dd;
                }
            }
            parsed.insert(name, entry);
            keys.append(name);
        }
        if (spec.mode == StreamMode::Custom) {
            spec.custom = parsed;
            if (!channelsGiven) {
                spec.channels = keys;
                spec.allChannels = false;
            }
        }
    } else if (spec.mode == StreamMode::Custom) {
        return fail(error, QStringLiteral("custom is required in custom mode"));
    }

    if (error)
        error->clear();
    return spec;
}

} // namespace halhub
