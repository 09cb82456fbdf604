#pragma once

#include "bus/deviceinfo.h"
#include "protocol/framecodec.h"
#include "telemetry/frame.h"
#include "telemetry/streamspec.h"

#include <QByteArray>
#include <QHash>
#include <QObject>

#include <memory>
#include <unordered_map>
#include <vector>

namespace halhub {

class DeviceBus;
class Stream;
class TelemetryHub;

// One subscriber's end of a stream: a session's stream. It receives the
// frames of the stream computation it shares with every subscriber of the
// same shape, numbered with its own seq.
class StreamMember
{
public:
    virtual ~StreamMember() = default;

    // The seq of the last frame this member received (0 before the first).
    quint64 lastSeq() const { return m_seq; }

protected:
    // Whether the member may ask for its recent frames again
    // (TelemetryHub::framesAfter, a resume): its computation then keeps
    // them, once for all its members.
    virtual bool keepsReplay() const { return false; }
    // Called by the hub for each frame of the member's stream, numbered for
    // this member (from 1) and already a key frame with gap when one was
    // forced. The member may add or remove members (itself included) from
    // here.
    virtual void consumeFrame(Frame frame) = 0;
    // The device's description changed (push devices grow channels).
    virtual void deviceChanged(const DeviceInfo &info) { Q_UNUSED(info); }

private:
    friend class TelemetryHub;
    quint64 m_seq = 0;
    // The computation's number of the frame before this member's first:
    // the member's seq plus this is the computation's.
    quint64 m_seqBase = 0;
    bool m_forceKey = false;
};

// The fan-out stage of the telemetry pipeline: takes every sample from the
// DeviceBus and turns it into the frames of the streams on its device.
//
// Streams that would compute the very same frames share one computation:
// `full` streams of the same device, channel selection and granted rate (a
// thousand clients watching one device are one Stream and one encoding of
// the values per wire form, not a thousand). Other modes depend on what was
// sent on each stream (deadbands, windows since its last frame), so each of
// them computes alone.
class TelemetryHub : public QObject
{
    Q_OBJECT
public:
    explicit TelemetryHub(DeviceBus *bus, QObject *parent = nullptr);
    ~TelemetryHub() override;

    // `member` starts receiving frames of `spec` with the next frame its
    // computation makes; joining an existing computation, its first frame
    // carries the latest known value of every channel. A member must be
    // removed before it is destroyed. Safe during a fan-out: a member added
    // then gets nothing of the sample being fanned out.
    void addMember(StreamMember *member, const StreamSpec &spec, const DeviceInfo &device);
    // Safe during a fan-out: a removed member gets no more frames, the
    // others are not disturbed.
    void removeMember(StreamMember *member);
    // The member's next frame is a key frame with gap: true (resume without
    // replay); the other members of its computation are not affected.
    void forceKeyFrame(StreamMember *member);
    // The member's frames with seq > lastSeq that its computation still
    // holds (at least the last 5 s, at most 1000: docs/protocol.md section
    // 8), numbered for the member, oldest first; when some after lastSeq
    // are no longer held, the first is completed into a key frame with
    // gap: true. Empty for a member that does not keep replay.
    QList<Frame> framesAfter(const StreamMember *member, quint64 lastSeq) const;

    int memberCount() const;
    // Distinct stream computations (for tests and diagnostics).
    int computationCount() const;

    // Samples seen since start (all devices).
    qint64 samplesIn() const { return m_samplesIn; }

    // Frames a slow consumer's stream dropped since start (coalesced away,
    // never sent), counted by the front ends that drop them.
    void countDroppedFrame() { ++m_droppedFrames; }
    qint64 droppedFramesTotal() const { return m_droppedFrames; }

    // The frame's values encoded. A frame being fanned out is encoded at
    // most once per encoding for all its members; any other frame (a
    // coalesced one, a replay) is encoded afresh.
    QByteArray encodedValues(const Frame &frame, Encoding encoding);

private:
    struct Group;
    struct FanOut;
    using DeviceGroups = std::vector<std::unique_ptr<Group>>;

    // Calls fn for each group of the device that has members, safe against
    // members joining and leaving meanwhile.
    template <typename Fn>
    void forEachLiveGroup(const QString &device, Fn &&fn);
    void onSample(const Sample &sample);
    void onInfoChanged(const DeviceInfo &info);
    Group *shareableGroup(const DeviceGroups &groups, const StreamSpec &spec) const;
    void purgeRemoved();
    // Members per device: the bus hears of the first and the last.
    void countMember(const QString &device, int delta);

    // unordered_map: its elements stay in place when other devices are
    // added during a fan-out.
    std::unordered_map<QString, DeviceGroups> m_groups;
    QHash<StreamMember *, Group *> m_groupOf;
    qint64 m_samplesIn = 0;
    qint64 m_droppedFrames = 0;
    // Removals during a fan-out only mark members; the lists shrink after.
    int m_fanOutDepth = 0;
    bool m_purgeDue = false;
    FanOut *m_fanOut = nullptr;
    DeviceBus *m_bus = nullptr;
    QHash<QString, int> m_membersOf;
};

} // namespace halhub
