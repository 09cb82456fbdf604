#include "fakebus.h"
#include "streamfixtures.h"
#include "telemetry/telemetryhub.h"
#include "telemetry/telemetrymessage.h"

#include <QTest>

#include <cmath>
#include <functional>
#include <memory>

using namespace halhub;
using namespace halhub::test;

namespace {

constexpr qint64 kT0 = Q_INT64_C(1700000000000000);

// Only the samples and description changes matter to the hub.
// A subscriber that keeps what it receives; `onFrame` runs after each frame
// is kept, to act from inside the fan-out.
class Recorder final : public StreamMember
{
public:
    QList<Frame> frames;
    QList<DeviceInfo> infos;
    std::function<void(const Frame &)> onFrame;

protected:
    void consumeFrame(Frame frame) override
    {
        frames.append(std::move(frame));
        if (onFrame)
            onFrame(frames.last());
    }
    void deviceChanged(const DeviceInfo &info) override { infos.append(info); }
};

// A recorder that may ask for its frames again, as a session does.
class Replayer final : public StreamMember
{
public:
    QList<Frame> frames;

protected:
    bool keepsReplay() const override { return true; }
    void consumeFrame(Frame frame) override { frames.append(std::move(frame)); }
};

DeviceInfo pushDevice()
{
    DeviceInfo d;
    d.id = QStringLiteral("ard0");
    d.plugin = QStringLiteral("linestream");
    d.state = DeviceState::Connected;
    d.dynamicChannels = true;
    d.channels = {{QStringLiteral("temp"), QString(), ChannelType::Float},
                  {QStringLiteral("hum"), QString(), ChannelType::Float}};
    return d;
}

Sample sample(const QString &device, qint64 ts, const QList<QPair<QString, QVariant>> &values)
{
    Sample s;
    s.device = device;
    s.timestampUs = ts;
    for (const auto &v : values)
        s.values.append({v.first, v.second});
    return s;
}

// The i-th sample of the sim device at 100 Hz: every channel changes but
// `step`, which flips every 50 samples.
Sample simSample(int i)
{
    const double t = i / 100.0;
    return sample(QStringLiteral("sim0"), kT0 + qint64(i) * 10000,
                  {{QStringLiteral("sine"), std::sin(2 * M_PI * t)},
                   {QStringLiteral("ramp"), t},
                   {QStringLiteral("noise"), double((i * 7919) % 101) / 100},
                   {QStringLiteral("step"), double((i / 50) % 2)}});
}

QStringList channelsOf(const Frame &frame)
{
    QStringList out;
    for (const auto &v : frame.values)
        out.append(v.first);
    return out;
}

bool seqFromOne(const QList<Frame> &frames)
{
    for (qsizetype i = 0; i < frames.size(); ++i) {
        if (frames.at(i).seq != quint64(i + 1))
            return false;
    }
    return true;
}

} // namespace

class TestTelemetryHub : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void sameShapeSharesFrames_data();
    void sameShapeSharesFrames();
    void lateJoinerGetsLatestValues();
    void independentShapes_data();
    void independentShapes();
    void allChannelsGrowsExplicitDoesNot();
    void deltaSendsOnlyChanges();
    void unsubscribeDuringFanOut_data();
    void unsubscribeDuringFanOut();
    void subscribeDuringFanOut();
    void forceKeyFrameOnlyThatMember_data();
    void forceKeyFrameOnlyThatMember();
    void deviceChangeReachesComputationAndMembers();
    void valuesEncodedOncePerFrame();
    void otherDevicesIgnored();
    void replayIsKeptOncePerComputation();
    void replayPastTheRingStartsWithAGapKeyFrame();

private:
    void feedSim(int from, int count);

    std::unique_ptr<FakeBus> m_bus;
    std::unique_ptr<TelemetryHub> m_hub;
};

void TestTelemetryHub::init()
{
    m_bus = std::make_unique<FakeBus>();
    m_hub = std::make_unique<TelemetryHub>(m_bus.get());
}

void TestTelemetryHub::cleanup()
{
    m_hub.reset();
    m_bus.reset();
}

void TestTelemetryHub::feedSim(int from, int count)
{
    for (int i = from; i < from + count; ++i)
        Q_EMIT m_bus->sampleReady(simSample(i));
}

void TestTelemetryHub::sameShapeSharesFrames_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<int>("subscribers");
    QTest::addColumn<int>("expectedFrames");
    QTest::addColumn<int>("lastSample");    // the sample of the last frame

    QTest::addRow("native rate, all channels, 3 subscribers") << QVariantMap() << 3 << 50 << 49;
    QTest::addRow("10 Hz, two channels, 50 subscribers")
            << map({{"rate_hz", 10}, {"channels", names({"ramp", "sine"})}}) << 50 << 5 << 40;
}

void TestTelemetryHub::sameShapeSharesFrames()
{
    QFETCH(QVariantMap, request);
    QFETCH(int, subscribers);
    QFETCH(int, expectedFrames);
    QFETCH(int, lastSample);

    const DeviceInfo device = simDevice();
    std::vector<std::unique_ptr<Recorder>> members;
    for (int i = 0; i < subscribers; ++i) {
        members.push_back(std::make_unique<Recorder>());
        m_hub->addMember(members.back().get(), spec(device, request), device);
    }
    QCOMPARE(m_hub->memberCount(), subscribers);
    QCOMPARE(m_hub->computationCount(), 1);

    feedSim(0, 50);
    const QList<Frame> &first = members.front()->frames;
    QCOMPARE(first.size(), expectedFrames);
    QVERIFY(seqFromOne(first));
    for (const auto &member : members) {
        QCOMPARE(member->frames.size(), expectedFrames);
        QVERIFY(seqFromOne(member->frames));
        for (qsizetype i = 0; i < first.size(); ++i) {
            QCOMPARE(member->frames.at(i).values, first.at(i).values);
            QCOMPARE(member->frames.at(i).timestampUs, first.at(i).timestampUs);
            QVERIFY(member->frames.at(i).key);
            QVERIFY(!member->frames.at(i).gap);
        }
    }
    // The values are the sample's, not just equal across subscribers.
    QCOMPARE(first.last().timestampUs, simSample(lastSample).timestampUs);
    QCOMPARE(valueOf(first.last(), QStringLiteral("ramp")), simSample(lastSample).values.at(1).value);

    for (const auto &member : members)
        m_hub->removeMember(member.get());
    QCOMPARE(m_hub->memberCount(), 0);
    QCOMPARE(m_hub->computationCount(), 0);
}

void TestTelemetryHub::lateJoinerGetsLatestValues()
{
    // Push device samples carry some channels only: a subscriber joining
    // later has seen none of `hum`, yet its first frame has it.
    const DeviceInfo device = pushDevice();
    Recorder early;
    Recorder late;
    m_hub->addMember(&early, spec(device), device);
    Q_EMIT m_bus->sampleReady(sample(device.id, kT0, {{QStringLiteral("temp"), 20.5},
                                                      {QStringLiteral("hum"), 40.0}}));
    Q_EMIT m_bus->sampleReady(sample(device.id, kT0 + 100000, {{QStringLiteral("temp"), 21.0}}));
    m_hub->addMember(&late, spec(device), device);
    QCOMPARE(m_hub->computationCount(), 1);
    QVERIFY(late.frames.isEmpty());

    Q_EMIT m_bus->sampleReady(sample(device.id, kT0 + 200000, {{QStringLiteral("temp"), 21.5}}));
    QCOMPARE(late.frames.size(), 1);
    const Frame &f = late.frames.first();
    QCOMPARE(f.seq, quint64(1));
    QVERIFY(f.key);
    QCOMPARE(valueOf(f, QStringLiteral("temp")), QVariant(21.5));
    QCOMPARE(valueOf(f, QStringLiteral("hum")), QVariant(40.0));

    QCOMPARE(early.frames.size(), 3);
    QCOMPARE(early.frames.last().seq, quint64(3));
    QCOMPARE(early.frames.last().values, f.values);

    Q_EMIT m_bus->sampleReady(sample(device.id, kT0 + 300000, {{QStringLiteral("hum"), 41.0}}));
    QCOMPARE(late.frames.last().seq, quint64(2));
    QCOMPARE(early.frames.last().seq, quint64(4));
    m_hub->removeMember(&early);
    m_hub->removeMember(&late);
}

void TestTelemetryHub::independentShapes_data()
{
    QTest::addColumn<QVariantMap>("requestA");
    QTest::addColumn<QVariantMap>("requestB");
    QTest::addColumn<int>("framesA");
    QTest::addColumn<int>("framesB");
    QTest::addColumn<QStringList>("channelsA");
    QTest::addColumn<QStringList>("channelsB");

    const QStringList all = {QStringLiteral("sine"), QStringLiteral("ramp"),
                             QStringLiteral("noise"), QStringLiteral("step")};
    QTest::addRow("100 Hz and 10 Hz")
            << map({{"rate_hz", 100}}) << map({{"rate_hz", 10}}) << 100 << 10 << all << all;
    QTest::addRow("same rate, other channels")
            << map({{"channels", names({"sine"})}})
            << map({{"channels", names({"noise", "ramp"})}}) << 100 << 100
            << QStringList{QStringLiteral("sine")}
            << QStringList{QStringLiteral("noise"), QStringLiteral("ramp")};
    QTest::addRow("same channels, other order")
            << map({{"channels", names({"sine", "ramp"})}})
            << map({{"channels", names({"ramp", "sine"})}}) << 100 << 100
            << QStringList{QStringLiteral("sine"), QStringLiteral("ramp")}
            << QStringList{QStringLiteral("ramp"), QStringLiteral("sine")};
    // Only `step` changes, once in 100 samples, after the first (key) frame.
    QTest::addRow("full and delta")
            << QVariantMap()
            << map({{"mode", QStringLiteral("delta")}, {"channels", names({"step"})},
                        {"keyframe_ms", 3600000}})
            << 100 << 2 << all << QStringList{QStringLiteral("step")};
    QTest::addRow("full and sampled at the same rate")
            << map({{"rate_hz", 10}, {"channels", names({"ramp"})}})
            << map({{"mode", QStringLiteral("sampled")}, {"rate_hz", 10},
                        {"channels", names({"ramp"})}})
            << 10 << 10 << QStringList{QStringLiteral("ramp")} << QStringList{QStringLiteral("ramp")};
}

void TestTelemetryHub::independentShapes()
{
    QFETCH(QVariantMap, requestA);
    QFETCH(QVariantMap, requestB);
    QFETCH(int, framesA);
    QFETCH(int, framesB);
    QFETCH(QStringList, channelsA);
    QFETCH(QStringList, channelsB);

    const DeviceInfo device = simDevice();
    Recorder a;
    Recorder b;
    m_hub->addMember(&a, spec(device, requestA), device);
    m_hub->addMember(&b, spec(device, requestB), device);
    QCOMPARE(m_hub->computationCount(), 2);

    feedSim(0, 100);
    QCOMPARE(a.frames.size(), framesA);
    QCOMPARE(b.frames.size(), framesB);
    QVERIFY(seqFromOne(a.frames));
    QVERIFY(seqFromOne(b.frames));
    QCOMPARE(channelsOf(a.frames.last()), channelsA);
    QCOMPARE(channelsOf(b.frames.last()), channelsB);
    m_hub->removeMember(&a);
    m_hub->removeMember(&b);
}

void TestTelemetryHub::allChannelsGrowsExplicitDoesNot()
{
    // Naming every channel the device has today is not "all channels": only
    // the latter takes channels that appear later.
    const DeviceInfo device = pushDevice();
    Recorder all;
    Recorder named;
    m_hub->addMember(&all, spec(device), device);
    m_hub->addMember(&named, spec(device, map({{"channels", names({"temp", "hum"})}})), device);
    QCOMPARE(m_hub->computationCount(), 2);

    Q_EMIT m_bus->sampleReady(sample(device.id, kT0, {{QStringLiteral("temp"), 20.0},
                                                      {QStringLiteral("hum"), 40.0},
                                                      {QStringLiteral("volt"), 3.3}}));
    QCOMPARE(channelsOf(all.frames.last()),
             QStringList({QStringLiteral("temp"), QStringLiteral("hum"), QStringLiteral("volt")}));
    QCOMPARE(channelsOf(named.frames.last()),
             QStringList({QStringLiteral("temp"), QStringLiteral("hum")}));
    m_hub->removeMember(&all);
    m_hub->removeMember(&named);
}

void TestTelemetryHub::deltaSendsOnlyChanges()
{
    const DeviceInfo device = simDevice();
    const StreamSpec delta = spec(device, map({{"mode", QStringLiteral("delta")},
                                                   {"keyframe_ms", 3600000}}));
    Recorder first;
    Recorder second;
    m_hub->addMember(&first, delta, device);
    // A delta stream's frames depend on what was sent on it: no sharing.
    m_hub->addMember(&second, delta, device);
    QCOMPARE(m_hub->computationCount(), 2);

    const auto still = [&](int i, double step) {
        return sample(device.id, kT0 + qint64(i) * 10000,
                      {{QStringLiteral("sine"), 0.5}, {QStringLiteral("ramp"), 1.0},
                       {QStringLiteral("noise"), 0.0}, {QStringLiteral("step"), step}});
    };
    for (int i = 0; i < 10; ++i)
        Q_EMIT m_bus->sampleReady(still(i, 0));
    // Joins after the first ten samples: starts with its own key frame.
    Recorder late;
    m_hub->addMember(&late, delta, device);
    Q_EMIT m_bus->sampleReady(still(10, 1));
    for (int i = 11; i < 20; ++i)
        Q_EMIT m_bus->sampleReady(still(i, 1));

    QCOMPARE(first.frames.size(), 2);
    QVERIFY(first.frames.at(0).key);
    QCOMPARE(first.frames.at(0).values.size(), 4);
    QVERIFY(!first.frames.at(1).key);
    QCOMPARE(channelsOf(first.frames.at(1)), QStringList{QStringLiteral("step")});
    QCOMPARE(first.frames.at(1).seq, quint64(2));
    QCOMPARE(second.frames.size(), 2);
    QCOMPARE(second.frames.at(1).values, first.frames.at(1).values);

    QCOMPARE(late.frames.size(), 1);
    QCOMPARE(late.frames.at(0).seq, quint64(1));
    QVERIFY(late.frames.at(0).key);
    QCOMPARE(late.frames.at(0).values.size(), 4);
    m_hub->removeMember(&first);
    m_hub->removeMember(&second);
    m_hub->removeMember(&late);
}

void TestTelemetryHub::unsubscribeDuringFanOut_data()
{
    QTest::addColumn<int>("actor");     // the member that removes, on its 5th frame
    QTest::addColumn<int>("victim");    // the member removed
    // Destroyed at once too, as a closed session's stream is: the fan-out
    // must not touch it again.
    QTest::addColumn<bool>("destroy");
    QTest::addColumn<QVariantMap>("request");

    QTest::addRow("itself") << 1 << 1 << false << QVariantMap();
    QTest::addRow("a later member") << 0 << 2 << false << QVariantMap();
    QTest::addRow("a later member, destroyed") << 0 << 2 << true << QVariantMap();
    QTest::addRow("an earlier member, destroyed") << 2 << 0 << true << QVariantMap();
    QTest::addRow("itself, delta") << 1 << 1 << false << map({{"mode", QStringLiteral("delta")}});
    QTest::addRow("a later member, delta") << 0 << 2 << false
                                           << map({{"mode", QStringLiteral("delta")}});
    QTest::addRow("a later member, delta, destroyed") << 0 << 3 << true
                                                      << map({{"mode", QStringLiteral("delta")}});
}

void TestTelemetryHub::unsubscribeDuringFanOut()
{
    QFETCH(int, actor);
    QFETCH(int, victim);
    QFETCH(bool, destroy);
    QFETCH(QVariantMap, request);

    const DeviceInfo device = simDevice();
    std::vector<std::unique_ptr<Recorder>> members;
    for (int i = 0; i < 4; ++i) {
        members.push_back(std::make_unique<Recorder>());
        m_hub->addMember(members.back().get(), spec(device, request), device);
    }
    qsizetype victimFrames = -1;
    members[actor]->onFrame = [&](const Frame &f) {
        if (f.seq != 5)
            return;
        m_hub->removeMember(members[victim].get());
        victimFrames = members[victim]->frames.size();
        if (destroy)
            members[victim].reset();
    };

    feedSim(0, 20);
    // Whatever it had when it left, and nothing after.
    QCOMPARE(victimFrames, victim <= actor ? 5 : 4);
    if (!destroy)
        QCOMPARE(members[victim]->frames.size(), victimFrames);
    for (int i = 0; i < 4; ++i) {
        if (i == victim)
            continue;
        QCOMPARE(members[i]->frames.size(), 20);
        QVERIFY(seqFromOne(members[i]->frames));
    }
    QCOMPARE(m_hub->memberCount(), 3);

    // Removing every remaining member from inside a fan-out ends the
    // computation cleanly.
    members[actor == victim ? (actor + 1) % 4 : actor]->onFrame = [&](const Frame &) {
        for (const auto &m : members) {
            if (m)
                m_hub->removeMember(m.get());
        }
    };
    feedSim(20, 1);
    feedSim(21, 5);
    QCOMPARE(m_hub->memberCount(), 0);
    QCOMPARE(m_hub->computationCount(), 0);
}

void TestTelemetryHub::subscribeDuringFanOut()
{
    const DeviceInfo device = simDevice();
    Recorder host;
    Recorder guest;
    host.onFrame = [&](const Frame &f) {
        if (f.seq == 3)
            m_hub->addMember(&guest, spec(device), device);
    };
    m_hub->addMember(&host, spec(device), device);
    feedSim(0, 10);
    QCOMPARE(host.frames.size(), 10);
    // Joined while sample 3 was fanned out: from sample 4 on.
    QCOMPARE(guest.frames.size(), 7);
    QVERIFY(seqFromOne(guest.frames));
    QCOMPARE(guest.frames.first().values, host.frames.at(3).values);
    QCOMPARE(m_hub->computationCount(), 1);
    m_hub->removeMember(&host);
    m_hub->removeMember(&guest);
}

void TestTelemetryHub::forceKeyFrameOnlyThatMember_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addRow("full") << QVariantMap();
    QTest::addRow("delta") << map({{"mode", QStringLiteral("delta")}, {"keyframe_ms", 3600000}});
}

void TestTelemetryHub::forceKeyFrameOnlyThatMember()
{
    QFETCH(QVariantMap, request);
    const DeviceInfo device = simDevice();
    const StreamSpec s = spec(device, request);
    Recorder forced;
    Recorder other;
    m_hub->addMember(&forced, s, device);
    m_hub->addMember(&other, s, device);

    feedSim(0, 5);
    m_hub->forceKeyFrame(&forced);
    feedSim(5, 5);
    // The frame of sample 5: the forced member's is a complete key frame
    // marked gap, the other member's is as before.
    const Frame &f = forced.frames.at(5);
    const Frame &o = other.frames.at(5);
    QVERIFY(f.key);
    QVERIFY(f.gap);
    QCOMPARE(f.values.size(), 4);
    QCOMPARE(f.seq, quint64(6));
    QVERIFY(!o.gap);
    QCOMPARE(o.key, s.mode == StreamMode::Full);
    QCOMPARE(o.seq, quint64(6));
    // Only the next frame.
    QVERIFY(!forced.frames.at(6).gap);
    QCOMPARE(forced.frames.size(), 10);
    m_hub->removeMember(&forced);
    m_hub->removeMember(&other);
}

void TestTelemetryHub::deviceChangeReachesComputationAndMembers()
{
    // A fixed device whose description gains a channel: "all channels"
    // subscribers get it from then on, through their one computation.
    DeviceInfo device = simDevice();
    Recorder a;
    Recorder b;
    m_hub->addMember(&a, spec(device), device);
    m_hub->addMember(&b, spec(device), device);
    Sample s = simSample(0);
    s.values.append({QStringLiteral("extra"), 7.0});
    Q_EMIT m_bus->sampleReady(s);
    QCOMPARE(valueOf(a.frames.last(), QStringLiteral("extra")), QVariant());

    device.channels.append({QStringLiteral("extra"), QString(), ChannelType::Float});
    Q_EMIT m_bus->deviceInfoChanged(device);
    QCOMPARE(a.infos.size(), 1);
    QCOMPARE(b.infos.size(), 1);
    QCOMPARE(b.infos.first().channels.size(), 5);

    s = simSample(1);
    s.values.append({QStringLiteral("extra"), 8.0});
    Q_EMIT m_bus->sampleReady(s);
    QCOMPARE(valueOf(a.frames.last(), QStringLiteral("extra")), QVariant(8.0));
    QCOMPARE(b.frames.last().values, a.frames.last().values);

    // Other devices' changes are not theirs.
    DeviceInfo other = pushDevice();
    Q_EMIT m_bus->deviceInfoChanged(other);
    QCOMPARE(a.infos.size(), 1);
    m_hub->removeMember(&a);
    m_hub->removeMember(&b);
}

void TestTelemetryHub::valuesEncodedOncePerFrame()
{
    const DeviceInfo device = simDevice();
    Recorder a;
    Recorder b;
    QList<QByteArray> encodedA;
    QList<QByteArray> encodedB;
    a.onFrame = [&](const Frame &f) { encodedA.append(m_hub->encodedValues(f, Encoding::Json)); };
    b.onFrame = [&](const Frame &f) { encodedB.append(m_hub->encodedValues(f, Encoding::Json)); };
    m_hub->addMember(&a, spec(device), device);
    m_hub->addMember(&b, spec(device), device);
    feedSim(0, 3);

    QCOMPARE(encodedA.size(), 3);
    for (qsizetype i = 0; i < encodedA.size(); ++i) {
        const QByteArray fresh = telemetrymessage::encodeValues(a.frames.at(i).values, Encoding::Json);
        QCOMPARE(encodedA.at(i), fresh);
        // One encoding, shared by both subscribers' messages.
        QVERIFY(static_cast<const void *>(encodedB.at(i).constData())
                == static_cast<const void *>(encodedA.at(i).constData()));
    }
    QVERIFY(encodedA.at(0) != encodedA.at(1));
    // Outside a fan-out a frame is encoded afresh, still correctly.
    QCOMPARE(m_hub->encodedValues(a.frames.at(1), Encoding::MsgPack),
             telemetrymessage::encodeValues(a.frames.at(1).values, Encoding::MsgPack));
    m_hub->removeMember(&a);
    m_hub->removeMember(&b);
}

void TestTelemetryHub::otherDevicesIgnored()
{
    const DeviceInfo device = simDevice();
    Recorder a;
    m_hub->addMember(&a, spec(device), device);
    Q_EMIT m_bus->sampleReady(sample(QStringLiteral("ard0"), kT0, {{QStringLiteral("sine"), 1.0}}));
    QVERIFY(a.frames.isEmpty());
    QCOMPARE(m_hub->samplesIn(), 1);
    m_hub->removeMember(&a);
}

// Members that joined at different times share one ring; each gets its own
// frames back, numbered as it received them.
void TestTelemetryHub::replayIsKeptOncePerComputation()
{
    const DeviceInfo device = simDevice();
    Replayer early;
    Recorder plain;
    Replayer late;
    m_hub->addMember(&early, spec(device), device);
    m_hub->addMember(&plain, spec(device), device);
    feedSim(0, 10);
    m_hub->addMember(&late, spec(device), device);
    feedSim(10, 5);
    QCOMPARE(m_hub->computationCount(), 1);
    QCOMPARE(early.frames.size(), 15);
    QCOMPARE(late.frames.size(), 5);

    const QList<Frame> earlyAgain = m_hub->framesAfter(&early, 12);
    QCOMPARE(earlyAgain.size(), 3);
    const QList<Frame> lateAgain = m_hub->framesAfter(&late, 2);
    QCOMPARE(lateAgain.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const Frame &sent = early.frames.at(12 + i);
        QCOMPARE(earlyAgain.at(i).seq, sent.seq);
        QCOMPARE(earlyAgain.at(i).timestampUs, sent.timestampUs);
        QCOMPARE(earlyAgain.at(i).values, sent.values);
        QVERIFY(!earlyAgain.at(i).gap);
        QCOMPARE(lateAgain.at(i).seq, late.frames.at(2 + i).seq);
        QCOMPARE(lateAgain.at(i).timestampUs, sent.timestampUs);
        // One copy of the values for the members and the ring.
        QCOMPARE(lateAgain.at(i).values.constData(), sent.values.constData());
    }
    // From the start: everything the member got, nothing from before it.
    const QList<Frame> lateAll = m_hub->framesAfter(&late, 0);
    QCOMPARE(lateAll.size(), 5);
    QVERIFY(seqFromOne(lateAll));
    QVERIFY(!lateAll.first().gap);
    QVERIFY(m_hub->framesAfter(&late, 5).isEmpty());
    // A member that never resumes asks for nothing.
    QVERIFY(m_hub->framesAfter(&plain, 0).isEmpty());

    m_hub->removeMember(&early);
    m_hub->removeMember(&plain);
    // The ring outlives a member that leaves.
    QCOMPARE(m_hub->framesAfter(&late, 4).size(), 1);
    m_hub->removeMember(&late);
    QVERIFY(m_hub->framesAfter(&late, 0).isEmpty());
}

// 5 s at 100 Hz and the frame at the edge are kept: a resume from further
// back starts with the oldest held frame, completed, marked gap.
void TestTelemetryHub::replayPastTheRingStartsWithAGapKeyFrame()
{
    const DeviceInfo device = simDevice();
    Replayer early;
    m_hub->addMember(&early, spec(device, map({{"mode", QStringLiteral("delta")}})), device);
    feedSim(0, 40);
    Replayer late;
    m_hub->addMember(&late, spec(device), device);
    Replayer other;
    m_hub->addMember(&other, spec(device), device);
    feedSim(40, 600);
    QCOMPARE(other.frames.size(), 600);
    const QList<Frame> again = m_hub->framesAfter(&other, 10);
    QCOMPARE(again.size(), 501);
    QCOMPARE(again.first().seq, quint64(100));
    QVERIFY(again.first().key);
    QVERIFY(again.first().gap);
    QCOMPARE(again.last().seq, quint64(600));
    QVERIFY(!again.at(1).gap);
    // The delta stream computes alone and keeps its own ring.
    QCOMPARE(m_hub->computationCount(), 2);
    const QList<Frame> delta = m_hub->framesAfter(&early, early.frames.size() - 1);
    QCOMPARE(delta.size(), 1);
    QCOMPARE(delta.first().seq, early.frames.last().seq);
    m_hub->removeMember(&early);
    m_hub->removeMember(&late);
    m_hub->removeMember(&other);
}

QTEST_GUILESS_MAIN(TestTelemetryHub)
#include "tst_telemetryhub.moc"
