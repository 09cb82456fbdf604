#include "telemetry/framering.h"

#include "telemetry/stream.h"

#include <algorithm>
#include <cmath>

namespace halhub {

namespace {

// At least the last 5 s of frames (plus the one at the edge), never fewer
// than a handful for slow streams and never more than 1000.
constexpr double kHeldSeconds = 5;
constexpr qsizetype kMinFrames = 16;
constexpr qsizetype kMaxFrames = 1000;

qsizetype capacityFor(double rateHz)
{
    if (!(rateHz > 0))
        return kMaxFrames;
    const double wanted = std::ceil(kHeldSeconds * rateHz) + 1;
    if (wanted >= double(kMaxFrames))
        return kMaxFrames;
    return std::max(kMinFrames, qsizetype(wanted));
}

} // namespace

FrameRing::FrameRing(double rateHz)
    : m_capacity(capacityFor(rateHz))
{
}

void FrameRing::append(const Frame &frame)
{
    m_frames.push_back(frame);
    trim();
}

void FrameRing::append(Frame &&frame)
{
    m_frames.push_back(std::move(frame));
    trim();
}

void FrameRing::trim()
{
    while (qsizetype(m_frames.size()) > m_capacity)
        m_frames.pop_front();
}

qsizetype FrameRing::size() const
{
    return qsizetype(m_frames.size());
}

QList<Frame> FrameRing::framesAfter(quint64 lastSeq) const
{
    QList<Frame> out;
    const auto first = std::upper_bound(m_frames.cbegin(), m_frames.cend(), lastSeq,
                                        [](quint64 seq, const Frame &f) { return seq < f.seq; });
    out.reserve(qsizetype(std::distance(first, m_frames.cend())));
    for (auto it = first; it != m_frames.cend(); ++it) {
        // The client's last frame and everything up to the oldest held one
        // are gone: it cannot apply deltas without a complete frame first.
        if (it == m_frames.cbegin() && it->seq > lastSeq + 1)
            out.append(Stream::completed(*it));
        else
            out.append(*it);
    }
    return out;
}

} // namespace halhub
