#pragma once

#include <QtGlobal>

#include <array>
#include <limits>
#include <vector>

namespace halhub {

struct LatencySummary
{
    double avgMs = 0, p50Ms = 0, p95Ms = 0, p99Ms = 0, minMs = 0, maxMs = 0;
    qint64 count = 0;
    double throughputPerSec = 0;
};

// Sample-to-socket-write latency of live telemetry frames.
// Recording is O(1) and allocation-free (hot path). Keeps one log-scale
// histogram per second for the last 60 s (the `metrics` figures are over the
// last minute) and cumulative bucket counts for Prometheus.
class LatencyHistogram
{
public:
    // Bucket upper bounds in microseconds, log-scale from 1 us to 60 s,
    // about 8 buckets per octave (percentiles within ~5%).
    static const std::vector<qint64> &bucketBoundsUs();

    explicit LatencyHistogram(qint64 windowSeconds = 60);

    // latencyUs < 0 counts as 0. nowMs: a monotonic clock in ms.
    void record(qint64 latencyUs, qint64 nowMs);

    // The last window (min/max exact, percentiles from buckets).
    LatencySummary summary(qint64 nowMs) const;
    // Counts per bucket over the last window (index as bucketBoundsUs, plus
    // one overflow bucket at the end).
    std::vector<qint64> windowBuckets(qint64 nowMs) const;

    // Since start: per-bucket counts, total count and sum (for Prometheus).
    const std::vector<qint64> &cumulativeBuckets() const { return m_cumulative; }
    qint64 cumulativeCount() const { return m_cumulativeCount; }
    double cumulativeSumSeconds() const { return m_cumulativeSumUs / 1e6; }

    static int bucketFor(qint64 latencyUs);

private:
    struct Slot
    {
        qint64 second = std::numeric_limits<qint64>::min();   // none yet
        qint64 count = 0;
        double sumUs = 0;
        qint64 minUs = 0;
        qint64 maxUs = 0;
        std::vector<qint64> buckets;
    };
    // The slot of `second`, cleared if it still holds an older second;
    // nullptr when the ring already holds a newer second there (a late sample).
    Slot *slotFor(qint64 second);
    bool inWindow(const Slot &slot, qint64 nowSecond) const;

    qint64 m_window = 60;
    std::vector<Slot> m_slots;
    std::vector<qint64> m_cumulative;
    qint64 m_cumulativeCount = 0;
    double m_cumulativeSumUs = 0;
    qint64 m_firstMs = -1;
    bool m_started = false;
};

} // namespace halhub
