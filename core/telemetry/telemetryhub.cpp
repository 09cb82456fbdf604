#include "telemetry/telemetryhub.h"

#include "bus/devicebus.h"
#include "telemetry/framering.h"
#include "telemetry/stream.h"
#include "telemetry/telemetrymessage.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace halhub {

// One stream computation and the members that receive its frames.
struct TelemetryHub::Group
{
    Group(const StreamSpec &spec, const DeviceInfo &device)
        : device(device.id)
        , stream(spec, device)
        , shared(spec.mode == StreamMode::Full)
        , rateHz(spec.rateHz)
    {
    }

    QString device;
    Stream stream;
    // Frames made so far, and the latest of them while a member keeps
    // replay: one ring for all members, whatever their number.
    quint64 seq = 0;
    std::optional<FrameRing> ring;
    // Whether other subscribers of the same shape may join.
    bool shared = false;
    double rateHz = 0;
    // In joining order; a null entry is a member removed during a fan-out.
    std::vector<StreamMember *> members;
    int liveMembers = 0;
};

// The frame being handed to a group's members, with its encoded values.
struct TelemetryHub::FanOut
{
    const Frame *frame = nullptr;
    QByteArray encoded[2];      // by Encoding, empty until asked for
};

TelemetryHub::TelemetryHub(DeviceBus *bus, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
{
    connect(bus, &DeviceBus::sampleReady, this, &TelemetryHub::onSample);
    connect(bus, &DeviceBus::deviceInfoChanged, this, &TelemetryHub::onInfoChanged);
}

TelemetryHub::~TelemetryHub() = default;

namespace {

// `full` streams that compute the same frames: same device (the caller's
// list), same granted rate, and the same channels in the same order. "All
// channels" is a selection of its own: on a push device it grows.
bool sameShape(const StreamSpec &a, const StreamSpec &b)
{
    return a.mode == StreamMode::Full && b.mode == StreamMode::Full
            && a.rateHz == b.rateHz && a.allChannels == b.allChannels
            && (a.allChannels || a.channels == b.channels);
}

} // namespace

TelemetryHub::Group *TelemetryHub::shareableGroup(const DeviceGroups &groups,
                                                  const StreamSpec &spec) const
{
    for (const auto &group : groups) {
        if (group->shared && group->liveMembers > 0 && sameShape(group->stream.spec(), spec))
            return group.get();
    }
    return nullptr;
}

void TelemetryHub::addMember(StreamMember *member, const StreamSpec &spec,
                             const DeviceInfo &device)
{
    removeMember(member);
    DeviceGroups &groups = m_groups[device.id];
    Group *group = shareableGroup(groups, spec);
    if (!group) {
        groups.push_back(std::make_unique<Group>(spec, device));
        group = groups.back().get();
    }
    group->members.push_back(member);
    ++group->liveMembers;
    member->m_seqBase = group->seq - member->m_seq;
    if (!group->ring && member->keepsReplay())
        group->ring.emplace(group->rateHz);
    m_groupOf.insert(member, group);
    countMember(device.id, +1);
}

void TelemetryHub::countMember(const QString &device, int delta)
{
    int &n = m_membersOf[device];
    n += delta;
    if (n == 1 && delta > 0 && m_bus)
        m_bus->setWatched(device, true);
    if (n == 0) {
        m_membersOf.remove(device);
        if (m_bus)
            m_bus->setWatched(device, false);
    }
}

void TelemetryHub::removeMember(StreamMember *member)
{
    Group *group = m_groupOf.take(member);
    if (!group)
        return;
    member->m_forceKey = false;
    const auto it = std::find(group->members.begin(), group->members.end(), member);
    Q_ASSERT(it != group->members.end());
    --group->liveMembers;
    countMember(group->device, -1);
    if (m_fanOutDepth > 0) {
        // The fan-out walks this list by index.
        *it = nullptr;
        m_purgeDue = true;
        return;
    }
    group->members.erase(it);
    if (group->liveMembers == 0) {
        const auto groupsIt = m_groups.find(group->device);
        if (groupsIt != m_groups.end()) {
            DeviceGroups &groups = groupsIt->second;
            groups.erase(std::find_if(groups.begin(), groups.end(),
                                      [group](const auto &g) { return g.get() == group; }));
            if (groups.empty())
                m_groups.erase(groupsIt);
        }
    }
}

void TelemetryHub::purgeRemoved()
{
    m_purgeDue = false;
    for (auto it = m_groups.begin(); it != m_groups.end();) {
        DeviceGroups &groups = it->second;
        for (const auto &group : groups) {
            auto &members = group->members;
            members.erase(std::remove(members.begin(), members.end(), nullptr), members.end());
        }
        groups.erase(std::remove_if(groups.begin(), groups.end(),
                                    [](const auto &g) { return g->liveMembers == 0; }),
                     groups.end());
        if (groups.empty())
            it = m_groups.erase(it);
        else
            ++it;
    }
}

void TelemetryHub::forceKeyFrame(StreamMember *member)
{
    Group *group = m_groupOf.value(member);
    if (!group)
        return;
    member->m_forceKey = true;
    // A computation of its own also completes the frame's values and sends
    // it at its next tick even when nothing changed (delta, custom). Frames
    // of shared ones carry every channel already.
    if (!group->shared)
        group->stream.forceKeyFrame();
}

int TelemetryHub::memberCount() const
{
    return int(m_groupOf.size());
}

int TelemetryHub::computationCount() const
{
    int n = 0;
    for (const auto &[device, groups] : m_groups) {
        for (const auto &group : groups)
            n += group->liveMembers > 0 ? 1 : 0;
    }
    return n;
}

template <typename Fn>
void TelemetryHub::forEachLiveGroup(const QString &device, Fn &&fn)
{
    const auto it = m_groups.find(device);
    if (it == m_groups.end())
        return;
    // Members may join or leave while they consume: the lists are walked by
    // index up to their size at the start, and nothing is erased until the
    // outermost fan-out ends.
    ++m_fanOutDepth;
    DeviceGroups &groups = it->second;
    const std::size_t groupCount = groups.size();
    for (std::size_t g = 0; g < groupCount; ++g) {
        Group &group = *groups[g];
        if (group.liveMembers > 0)
            fn(group);
    }
    if (--m_fanOutDepth == 0 && m_purgeDue)
        purgeRemoved();
}

void TelemetryHub::onSample(const Sample &sample)
{
    ++m_samplesIn;
    forEachLiveGroup(sample.device, [&](Group &group) {
        if (sample.gapBefore) {
            // Samples were lost upstream: every member's next frame is a key
            // frame with gap, as after drops.
            for (StreamMember *member : group.members) {
                if (member)
                    member->m_forceKey = true;
            }
            if (!group.shared)
                group.stream.forceKeyFrame();
        }
        const std::optional<Frame> frame = group.stream.addSample(sample);
        if (!frame)
            return;
        ++group.seq;
        if (group.ring) {
            Frame kept = *frame;
            kept.seq = group.seq;
            group.ring->append(std::move(kept));
        }
        FanOut fanOut;
        fanOut.frame = &*frame;
        FanOut *const outer = std::exchange(m_fanOut, &fanOut);
        const std::size_t memberCount = group.members.size();
        for (std::size_t m = 0; m < memberCount; ++m) {
            StreamMember *member = group.members[m];
            if (!member)
                continue;
            Frame own = *frame;
            own.seq = ++member->m_seq;
            if (std::exchange(member->m_forceKey, false)) {
                own.key = true;
                own.gap = true;
            }
            member->consumeFrame(std::move(own));
        }
        m_fanOut = outer;
    });
}

QList<Frame> TelemetryHub::framesAfter(const StreamMember *member, quint64 lastSeq) const
{
    const Group *group = m_groupOf.value(const_cast<StreamMember *>(member));
    if (!group || !group->ring || !member->keepsReplay())
        return {};
    QList<Frame> frames = group->ring->framesAfter(lastSeq + member->m_seqBase);
    for (Frame &frame : frames)
        frame.seq -= member->m_seqBase;
    return frames;
}

QByteArray TelemetryHub::encodedValues(const Frame &frame, Encoding encoding)
{
    // A member's copy of the frame being fanned out shares its value list.
    if (m_fanOut && !frame.values.isEmpty()
            && frame.values.constData() == m_fanOut->frame->values.constData()) {
        QByteArray &bytes = m_fanOut->encoded[encoding == Encoding::Json ? 0 : 1];
        if (bytes.isEmpty())
            bytes = telemetrymessage::encodeValues(frame.values, encoding);
        return bytes;
    }
    return telemetrymessage::encodeValues(frame.values, encoding);
}

void TelemetryHub::onInfoChanged(const DeviceInfo &info)
{
    forEachLiveGroup(info.id, [&](Group &group) {
        group.stream.updateDevice(info);
        const std::size_t memberCount = group.members.size();
        for (std::size_t m = 0; m < memberCount; ++m) {
            if (StreamMember *member = group.members[m])
                member->deviceChanged(info);
        }
    });
}

} // namespace halhub
