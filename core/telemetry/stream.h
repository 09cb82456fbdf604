#pragma once

#include "telemetry/frame.h"
#include "telemetry/streamspec.h"

#include <memory>
#include <optional>

namespace halhub {

// The per-stream logic of docs/protocol.md section 5, driven by device samples
// alone (no timers: a frame goes out the moment its due sample arrives,
// which keeps device-to-client latency minimal). Rate decimation is
// drift-free: due times advance by exactly one period from the previous due
// time, with a tolerance of half a device sample interval, so that a 100 Hz
// stream on a 100 Hz device sends every sample and a 30 Hz stream on it
// sends exactly 30 frames a second on average.
class Stream
{
public:
    Stream(const StreamSpec &spec, const DeviceInfo &device);
    ~Stream();
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    const StreamSpec &spec() const { return m_spec; }

    // Feeds one sample of this stream's device. Returns the frame it makes
    // due, numbered with the next seq, or nothing.
    std::optional<Frame> addSample(const Sample &sample);

    // The device's channel list changed (push devices).
    void updateDevice(const DeviceInfo &device);

    // The next frame produced will be a key frame (resume without replay).
    void forceKeyFrame();

    quint64 lastSeq() const { return m_seq; }

    // Turns a frame into a key frame with gap: values completed from its
    // snapshot to every channel.
    static Frame completed(const Frame &frame);
    // Coalescing for a slow consumer: `newer` replaces `older`, which was
    // dropped. The result is newer as a key frame with gap: true; for
    // sampled streams its statistics cover both frames' spans.
    static Frame coalesce(const Frame &older, const Frame &newer, StreamMode mode);

private:
    struct Private;
    StreamSpec m_spec;
    quint64 m_seq = 0;
    std::unique_ptr<Private> d;
};

} // namespace halhub
