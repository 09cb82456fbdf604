#include "metrics/latencyhistogram.h"

#include <algorithm>
#include <cmath>

namespace halhub {

namespace {

constexpr qint64 kMaxBoundUs = 60LL * 1000 * 1000;
constexpr int kBucketsPerOctave = 8;

// Floor division, so that a negative clock still maps to a stable second.
qint64 secondOf(qint64 ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

std::vector<qint64> makeBounds()
{
    // 2^(k/8) rounded; below ~45 us rounding makes neighbours collide, so those
    // collapse into 1 us steps (finer than the log scale, never coarser). Every
    // 8th step of the log part is an exact power of two, which gives the
    // Prometheus output round-ish bounds that are real bucket edges.
    std::vector<qint64> bounds;
    for (int k = 0;; ++k) {
        const qint64 b = std::llround(std::pow(2.0, double(k) / kBucketsPerOctave));
        if (b >= kMaxBoundUs) {
            bounds.push_back(kMaxBoundUs);
            break;
        }
        if (bounds.empty() || b > bounds.back())
            bounds.push_back(b);
    }
    return bounds;
}

} // namespace

const std::vector<qint64> &LatencyHistogram::bucketBoundsUs()
{
    static const std::vector<qint64> bounds = makeBounds();
    return bounds;
}

int LatencyHistogram::bucketFor(qint64 latencyUs)
{
    // Bucket i holds (bounds[i-1], bounds[i]], as Prometheus' `le` does; the
    // index past the last bound is the overflow bucket. A binary search over
    // ~190 fixed bounds is a handful of comparisons and allocates nothing.
    const auto &bounds = bucketBoundsUs();
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), latencyUs);
    return int(it - bounds.begin());
}

LatencyHistogram::LatencyHistogram(qint64 windowSeconds)
    : m_window(std::max<qint64>(1, windowSeconds))
{
    const size_t bucketCount = bucketBoundsUs().size() + 1;
    m_slots.resize(size_t(m_window));
    for (Slot &slot : m_slots)
        slot.buckets.assign(bucketCount, 0);
    m_cumulative.assign(bucketCount, 0);
}

LatencyHistogram::Slot *LatencyHistogram::slotFor(qint64 second)
{
    qint64 index = second % m_window;
    if (index < 0)
        index += m_window;
    Slot &slot = m_slots[size_t(index)];
    if (slot.second == second)
        return &slot;
    if (slot.second > second)
        return nullptr;
    slot.second = second;
    slot.count = 0;
    slot.sumUs = 0;
    slot.minUs = 0;
    slot.maxUs = 0;
    std::fill(slot.buckets.begin(), slot.buckets.end(), 0);
    return &slot;
}

void LatencyHistogram::record(qint64 latencyUs, qint64 nowMs)
{
    if (latencyUs < 0)
        latencyUs = 0;
    if (!m_started) {
        m_started = true;
        m_firstMs = nowMs;
    }
    const int bucket = bucketFor(latencyUs);
    ++m_cumulative[size_t(bucket)];
    ++m_cumulativeCount;
    m_cumulativeSumUs += double(latencyUs);

    Slot *slot = slotFor(secondOf(nowMs));
    if (!slot)
        return;     // older than what the ring holds: only the totals keep it
    if (slot->count == 0) {
        slot->minUs = latencyUs;
        slot->maxUs = latencyUs;
    } else {
        slot->minUs = std::min(slot->minUs, latencyUs);
        slot->maxUs = std::max(slot->maxUs, latencyUs);
    }
    ++slot->count;
    slot->sumUs += double(latencyUs);
    ++slot->buckets[size_t(bucket)];
}

bool LatencyHistogram::inWindow(const Slot &slot, qint64 nowSecond) const
{
    return slot.count > 0 && slot.second > nowSecond - m_window;
}

std::vector<qint64> LatencyHistogram::windowBuckets(qint64 nowMs) const
{
    const qint64 nowSecond = secondOf(nowMs);
    std::vector<qint64> merged(bucketBoundsUs().size() + 1, 0);
    for (const Slot &slot : m_slots) {
        if (!inWindow(slot, nowSecond))
            continue;
        for (size_t i = 0; i < merged.size(); ++i)
            merged[i] += slot.buckets[i];
    }
    return merged;
}

LatencySummary LatencyHistogram::summary(qint64 nowMs) const
{
    LatencySummary result;
    const qint64 nowSecond = secondOf(nowMs);
    double sumUs = 0;
    qint64 minUs = 0;
    qint64 maxUs = 0;
    for (const Slot &slot : m_slots) {
        if (!inWindow(slot, nowSecond))
            continue;
        if (result.count == 0) {
            minUs = slot.minUs;
            maxUs = slot.maxUs;
        } else {
            minUs = std::min(minUs, slot.minUs);
            maxUs = std::max(maxUs, slot.maxUs);
        }
        result.count += slot.count;
        sumUs += slot.sumUs;
    }
    if (result.count == 0)
        return result;

    result.avgMs = sumUs / double(result.count) / 1000.0;
    result.minMs = double(minUs) / 1000.0;
    result.maxMs = double(maxUs) / 1000.0;

    const std::vector<qint64> buckets = windowBuckets(nowMs);
    const auto &bounds = bucketBoundsUs();
    auto percentile = [&](double q) {
        const double rank = q * double(result.count);
        qint64 below = 0;
        for (size_t i = 0; i < buckets.size(); ++i) {
            const qint64 inBucket = buckets[i];
            if (inBucket == 0 || double(below + inBucket) < rank) {
                below += inBucket;
                continue;
            }
            // The exact min and max narrow the edge buckets, which matters
            // most for the overflow bucket (no upper bound of its own).
            double lo = i == 0 ? 0.0 : double(bounds[i - 1]);
            double hi = i < bounds.size() ? double(bounds[i]) : double(maxUs);
            lo = std::max(lo, double(minUs));
            hi = std::min(hi, double(maxUs));
            if (hi < lo)
                hi = lo;
            const double fraction = (rank - double(below)) / double(inBucket);
            return lo + (hi - lo) * std::clamp(fraction, 0.0, 1.0);
        }
        return double(maxUs);
    };
    result.p50Ms = percentile(0.50) / 1000.0;
    result.p95Ms = percentile(0.95) / 1000.0;
    result.p99Ms = percentile(0.99) / 1000.0;

    // The window is the current, partly elapsed second plus the window-1 full
    // seconds before it; dividing by the nominal window would under-report a
    // steady rate by up to one second's worth.
    const double windowSpan = double(m_window - 1) + double(nowMs - nowSecond * 1000) / 1000.0;
    const double sinceFirst = double(nowMs - m_firstMs) / 1000.0;
    const double covered = std::max(1.0, std::min(windowSpan, sinceFirst));
    result.throughputPerSec = double(result.count) / covered;
    return result;
}

} // namespace halhub
