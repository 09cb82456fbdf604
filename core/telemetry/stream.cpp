#include "telemetry/stream.h"

#include "bus/value.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace halhub {

namespace {

using ValueList = QList<QPair<QString, QVariant>>;

constexpr double kUsPerSecond = 1e6;

bool sameValue(const QVariant &a, const QVariant &b)
{
    return a.typeId() == b.typeId() && a == b;
}

// Whether `value` differs from what was last sent by more than `deadband`.
bool changedBeyond(const QVariant &value, const QVariant &lastSent, double deadband)
{
    if (!lastSent.isValid())
        return true;
    if (value::isNumber(value) && value::isNumber(lastSent))
        return std::abs(value.toDouble() - lastSent.toDouble()) > deadband;
    return !sameValue(value, lastSent);
}

bool lessThan(const QVariant &a, const QVariant &b)
{
    return a.toDouble() < b.toDouble();
}

// Drift-free schedule of due ticks: the n-th due time after a
// (re)synchronisation is origin + n periods, so rounding never accumulates.
class DueClock
{
public:
    explicit DueClock(double rateHz = 0)
        : m_periodUs(rateHz > 0 ? kUsPerSecond / rateHz : 0)
    {
    }

    double periodUs() const { return m_periodUs; }

    // Whether a sample at `ts` is due; advances the schedule when it is.
    bool take(qint64 ts, double toleranceUs)
    {
        if (m_periodUs <= 0)
            return true;
        if (!m_started) {
            resync(ts);
            return true;
        }
        const qint64 next = dueTime();
        if (double(ts) < double(next) - toleranceUs) {
            // A clock stepped back by more than two periods would otherwise
            // silence the stream until it caught up again.
            if (double(next - ts) > 2 * m_periodUs) {
                resync(ts);
                return true;
            }
            return false;
        }
        // Late by less than two periods is jitter (a sample stamped late):
        // the next tick keeps its place, so the count stays exact. Later
        // than that the device paused or lost samples: the missed ticks are
        // skipped, keeping the phase, instead of sent in a burst.
        if (double(ts - next) >= 2 * m_periodUs)
            m_count = qint64(std::floor(double(ts - m_origin) / m_periodUs)) + 1;
        else
            ++m_count;
        return true;
    }

private:
    qint64 dueTime() const { return m_origin + qint64(std::llround(double(m_count) * m_periodUs)); }
    void resync(qint64 ts)
    {
        m_started = true;
        m_origin = ts;
        m_count = 1;
    }

    double m_periodUs = 0;
    bool m_started = false;
    qint64 m_origin = 0;
    qint64 m_count = 0;
};

// Statistics of one channel over a sampled window.
struct ChannelStats
{
    qlonglong n = 0;
    bool numeric = true;
    QVariant min;
    QVariant max;
    QVariant last;
    double sum = 0;

    void add(const QVariant &v)
    {
        ++n;
        last = v;
        if (!value::isNumber(v)) {
            numeric = false;
            return;
        }
        if (!min.isValid() || lessThan(v, min))
            min = v;
        if (!max.isValid() || lessThan(max, v))
            max = v;
        sum += v.toDouble();
    }

    QVariantMap toMap() const
    {
        QVariantMap m;
        m.insert(QStringLiteral("last"), last);
        m.insert(QStringLiteral("n"), n);
        if (numeric) {
            m.insert(QStringLiteral("min"), min);
            m.insert(QStringLiteral("max"), max);
            m.insert(QStringLiteral("mean"), sum / double(n));
        }
        return m;
    }
};

// Merges the statistics of two consecutive sampled windows.
QVariant mergeStats(const QVariant &olderValue, const QVariant &newerValue)
{
    const QVariantMap older = olderValue.toMap();
    QVariantMap merged = newerValue.toMap();
    const QString kN = QStringLiteral("n");
    const QString kMin = QStringLiteral("min");
    const QString kMax = QStringLiteral("max");
    const QString kMean = QStringLiteral("mean");
    const qlonglong n1 = older.value(kN).toLongLong();
    const qlonglong n2 = merged.value(kN).toLongLong();
    merged.insert(kN, n1 + n2);
    const bool bothNumeric = older.contains(kMean) && merged.contains(kMean);
    if (bothNumeric) {
        if (lessThan(older.value(kMin), merged.value(kMin)))
            merged.insert(kMin, older.value(kMin));
        if (lessThan(merged.value(kMax), older.value(kMax)))
            merged.insert(kMax, older.value(kMax));
        if (n1 + n2 > 0) {
            const double mean = (older.value(kMean).toDouble() * double(n1)
                                 + merged.value(kMean).toDouble() * double(n2))
                    / double(n1 + n2);
            merged.insert(kMean, mean);
        }
    } else {
        // The channel was not numeric throughout the span.
        merged.remove(kMin);
        merged.remove(kMax);
        merged.remove(kMean);
    }
    return merged;
}

} // namespace

struct Stream::Private
{
    QStringList channels;
    QSet<QString> channelSet;
    bool growChannels = false;          // every channel of a push device

    std::optional<double> nativeRateHz;
    double intervalEstimateUs = 0;       // devices without a native rate
    int intervalsSeen = 0;
    bool haveLastSample = false;
    qint64 lastSampleUs = 0;

    QHash<QString, QVariant> latest;
    QHash<QString, QVariant> lastSent;
    QSharedPointer<const ValueList> snapshot;
    bool snapshotDirty = true;

    DueClock clock;
    QHash<QString, DueClock> channelClocks;   // custom mode
    QHash<QString, ChannelStats> stats;        // sampled mode

    bool keySent = false;
    qint64 lastKeyUs = 0;
    bool forceKey = false;

    void addChannel(const QString &name)
    {
        if (name.isEmpty() || channelSet.contains(name))
            return;
        channels.append(name);
        channelSet.insert(name);
        snapshotDirty = true;
    }

    // Half a device sample interval: how early a sample may come and still
    // count for a due time, so that jitter does not skip samples.
    double sampleToleranceUs() const
    {
        if (nativeRateHz && *nativeRateHz > 0)
            return kUsPerSecond / *nativeRateHz / 2;
        // While the estimate rests on a few intervals a single jittered one
        // can be well under the true interval: allow more.
        if (intervalsSeen < 8)
            return intervalEstimateUs * 3 / 4;
        return intervalEstimateUs / 2;
    }

    double toleranceFor(const DueClock &c) const
    {
        return std::min(sampleToleranceUs(), c.periodUs() / 2);
    }

    void observeTimestamp(qint64 ts)
    {
        if (haveLastSample && ts > lastSampleUs) {
            double interval = double(ts - lastSampleUs);
            if (intervalEstimateUs <= 0) {
                intervalEstimateUs = interval;
            } else {
                // A pause says nothing about the sample rate.
                interval = std::min(interval, 4 * intervalEstimateUs);
                intervalEstimateUs += (interval - intervalEstimateUs) / 16;
            }
            ++intervalsSeen;
        }
        haveLastSample = true;
        lastSampleUs = ts;
    }

    bool isDue(DueClock &clock, qint64 ts) const
    {
        // At the device's native rate every sample is due, however jittered
        // its timestamp.
        if (nativeRateHz && *nativeRateHz > 0 && clock.periodUs() > 0
                && clock.periodUs() <= kUsPerSecond / *nativeRateHz + 0.5) {
            return true;
        }
        return clock.take(ts, toleranceFor(clock));
    }

    QSharedPointer<const ValueList> currentSnapshot()
    {
        if (snapshotDirty || !snapshot) {
            snapshot = QSharedPointer<const ValueList>::create(knownValues());
            snapshotDirty = false;
        }
        return snapshot;
    }

    ValueList knownValues() const
    {
        ValueList values;
        for (const QString &c : channels) {
            const auto it = latest.constFind(c);
            if (it != latest.constEnd())
                values.append({c, *it});
        }
        return values;
    }

    bool keyDue(qint64 ts, qint64 keyframeMs) const
    {
        if (!keySent || forceKey)
            return true;
        const double keyframeUs = double(keyframeMs) * 1000;
        const double tolerance = std::min(sampleToleranceUs(), keyframeUs / 2);
        return double(ts - lastKeyUs) >= keyframeUs - tolerance;
    }

    void markSent(const ValueList &values)
    {
        for (const auto &v : values)
            lastSent.insert(v.first, v.second);
    }
};

Stream::Stream(const StreamSpec &spec, const DeviceInfo &device)
    : m_spec(spec)
    , d(std::make_unique<Private>())
{
    d->clock = DueClock(spec.rateHz);
    for (const QString &c : spec.channels)
        d->addChannel(c);
    updateDevice(device);
}

Stream::~Stream() = default;

void Stream::updateDevice(const DeviceInfo &device)
{
    d->nativeRateHz = device.rateHz;
    d->growChannels = m_spec.allChannels && device.dynamicChannels;
    if (m_spec.allChannels) {
        for (const ChannelInfo &c : device.channels)
            d->addChannel(c.name);
    }
}

void Stream::forceKeyFrame()
{
    d->forceKey = true;
}

std::optional<Frame> Stream::addSample(const Sample &sample)
{
    if (!sample.device.isEmpty() && !m_spec.device.isEmpty() && sample.device != m_spec.device)
        return std::nullopt;

    const qint64 ts = sample.timestampUs;
    d->observeTimestamp(ts);

    for (const ChannelValue &cv : sample.values) {
        if (!d->channelSet.contains(cv.channel)) {
            if (!d->growChannels)
                continue;
            d->addChannel(cv.channel);
        }
        QVariant &slot = d->latest[cv.channel];
        if (!sameValue(slot, cv.value)) {
            slot = cv.value;
            d->snapshotDirty = true;
        }
        if (m_spec.mode == StreamMode::Sampled)
            d->stats[cv.channel].add(cv.value);
    }

    Frame frame;
    frame.timestampUs = ts;

    switch (m_spec.mode) {
    case StreamMode::Full: {
        if (!d->isDue(d->clock, ts))
            return std::nullopt;
        frame.values = *d->currentSnapshot();
        frame.key = true;
        break;
    }
    case StreamMode::Delta: {
        if (!d->isDue(d->clock, ts))
            return std::nullopt;
        if (d->keyDue(ts, m_spec.keyframeMs)) {
            frame.values = *d->currentSnapshot();
            frame.key = true;
        } else {
            for (const QString &c : std::as_const(d->channels)) {
                const auto it = d->latest.constFind(c);
                if (it != d->latest.constEnd()
                        && changedBeyond(*it, d->lastSent.value(c), m_spec.deadbandFor(c))) {
                    frame.values.append({c, *it});
                }
            }
        }
        break;
    }
    case StreamMode::Sampled: {
        if (!d->isDue(d->clock, ts))
            return std::nullopt;
        for (const QString &c : std::as_const(d->channels)) {
            const auto it = d->stats.constFind(c);
            if (it != d->stats.constEnd() && it->n > 0)
                frame.values.append({c, it->toMap()});
        }
        d->stats.clear();
        frame.key = true;
        break;
    }
    case StreamMode::Custom: {
        // Every channel's schedule advances on every sample, key frame or not,
        // so a key frame does not shift the channels' own rates.
        const bool key = d->keyDue(ts, m_spec.keyframeMs);
        for (const QString &c : std::as_const(d->channels)) {
            auto clockIt = d->channelClocks.find(c);
            if (clockIt == d->channelClocks.end()) {
                const auto custom = m_spec.custom.constFind(c);
                const double rate = custom != m_spec.custom.constEnd() && custom->rateHz
                        ? *custom->rateHz : m_spec.rateHz;
                clockIt = d->channelClocks.insert(c, DueClock(rate));
            }
            const bool due = d->isDue(*clockIt, ts);
            const auto it = d->latest.constFind(c);
            if (it == d->latest.constEnd())
                continue;
            if (key) {
                frame.values.append({c, *it});
                continue;
            }
            if (!due)
                continue;
            // A deadband of 0 is no deadband: the channel goes out whenever due.
            const double deadband = m_spec.deadbandFor(c);
            if (deadband <= 0 || changedBeyond(*it, d->lastSent.value(c), deadband))
                frame.values.append({c, *it});
        }
        frame.key = key;
        break;
    }
    }

    if (frame.values.isEmpty())
        return std::nullopt;

    if (frame.key && m_spec.mode != StreamMode::Full && m_spec.mode != StreamMode::Sampled) {
        d->keySent = true;
        d->lastKeyUs = ts;
    }
    if (d->forceKey) {
        frame.key = true;
        frame.gap = true;
        d->forceKey = false;
    }
    if (m_spec.mode == StreamMode::Sampled) {
        frame.snapshot = QSharedPointer<const ValueList>::create(frame.values);
    } else {
        // Only the deadbands of delta and custom look at what was sent.
        if (m_spec.mode != StreamMode::Full)
            d->markSent(frame.values);
        frame.snapshot = d->currentSnapshot();
    }
    frame.seq = ++m_seq;
    return frame;
}

Frame Stream::completed(const Frame &frame)
{
    Frame out = frame;
    out.key = true;
    out.gap = true;
    if (frame.snapshot)
        out.values = *frame.snapshot;
    return out;
}

Frame Stream::coalesce(const Frame &older, const Frame &newer, StreamMode mode)
{
    if (mode != StreamMode::Sampled)
        return completed(newer);

    ValueList merged = newer.values;
    // Channels seen only in the older window keep their place relative to
    // the channel before them, so the stream's channel order survives.
    QString previous;
    for (const auto &entry : older.values) {
        const auto inNewer = std::find_if(merged.begin(), merged.end(),
                                          [&](const auto &v) { return v.first == entry.first; });
        if (inNewer != merged.end()) {
            inNewer->second = mergeStats(entry.second, inNewer->second);
        } else {
            qsizetype at = 0;
            if (!previous.isEmpty()) {
                for (qsizetype i = 0; i < merged.size(); ++i) {
                    if (merged.at(i).first == previous) {
                        at = i + 1;
                        break;
                    }
                }
            }
            merged.insert(at, entry);
        }
        previous = entry.first;
    }

    Frame out = newer;
    out.key = true;
    out.gap = true;
    out.values = merged;
    out.snapshot = QSharedPointer<const ValueList>::create(merged);
    return out;
}

} // namespace halhub
