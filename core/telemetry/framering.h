#pragma once

#include "telemetry/frame.h"

#include <QList>

#include <deque>

namespace halhub {

// The replay buffer of one stream computation (shared by its members, see
// TelemetryHub::framesAfter): the newest frames, at least the last 5 s
// and at most 1000 (docs/protocol.md section 8).
class FrameRing
{
public:
    // rateHz 0 (per-sample streams): keeps 1000 frames.
    explicit FrameRing(double rateHz);

    void append(const Frame &frame);
    void append(Frame &&frame);
    qsizetype size() const;
    qsizetype capacity() const { return m_capacity; }

    // Frames with seq > lastSeq, oldest first. When frames after lastSeq were
    // already dropped from the ring, the first returned is the oldest held,
    // completed into a key frame with gap: true.
    QList<Frame> framesAfter(quint64 lastSeq) const;

private:
    void trim();

    qsizetype m_capacity = 1000;
    std::deque<Frame> m_frames;
};

} // namespace halhub
