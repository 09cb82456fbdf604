#include "telemetry/framering.h"
#include "telemetry/stream.h"

#include <QTest>

using namespace halhub;

namespace {

constexpr qint64 kT0 = Q_INT64_C(1700000000000000);

DeviceInfo simDevice()
{
    DeviceInfo d;
    d.id = QStringLiteral("sim0");
    d.rateHz = 100;
    for (const char *name : {"sine", "ramp", "noise", "step"})
        d.channels.append({QString::fromLatin1(name), QString(), ChannelType::Float});
    return d;
}

// A delta stream in which only `ramp` changes, so that every frame after the
// first carries one channel and needs completing to stand alone.
QList<Frame> deltaFrames(int count)
{
    const DeviceInfo device = simDevice();
    StreamSpec spec;
    spec.device = device.id;
    spec.mode = StreamMode::Delta;
    spec.rateHz = 100;
    spec.keyframeMs = 3600000;
    for (const ChannelInfo &c : device.channels)
        spec.channels.append(c.name);
    Stream stream(spec, device);
    QList<Frame> frames;
    for (int i = 0; i < count; ++i) {
        Sample s;
        s.device = device.id;
        s.timestampUs = kT0 + i * 10000;
        s.values = {{QStringLiteral("sine"), 0.5}, {QStringLiteral("ramp"), double(i)},
                    {QStringLiteral("noise"), 0.0}, {QStringLiteral("step"), 1.0}};
        if (std::optional<Frame> f = stream.addSample(s))
            frames.append(*f);
    }
    return frames;
}

QStringList channelsOf(const Frame &frame)
{
    QStringList out;
    for (const auto &v : frame.values)
        out.append(v.first);
    return out;
}

} // namespace

class TestFrameRing : public QObject
{
    Q_OBJECT

private slots:
    void capacity_data();
    void capacity();
    void keepsNewestFrames();
    void replayAfterLastSeq_data();
    void replayAfterLastSeq();
    void replayAfterDroppedFramesStartsWithCompletedKeyFrame();
    void emptyRing();
};

void TestFrameRing::capacity_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<qsizetype>("expected");

    QTest::addRow("per-sample stream keeps 1000") << 0.0 << qsizetype(1000);
    QTest::addRow("slow stream keeps at least 16") << 1.0 << qsizetype(16);
    QTest::addRow("0.1 Hz keeps 16") << 0.1 << qsizetype(16);
    QTest::addRow("3 Hz: 5 s is 15 frames, still 16") << 3.0 << qsizetype(16);
    QTest::addRow("10 Hz: 5 s plus one") << 10.0 << qsizetype(51);
    QTest::addRow("30 Hz") << 30.0 << qsizetype(151);
    QTest::addRow("fractional rate rounds up") << 33.3 << qsizetype(168);
    QTest::addRow("100 Hz") << 100.0 << qsizetype(501);
    QTest::addRow("just under 200 Hz") << 199.0 << qsizetype(996);
    QTest::addRow("200 Hz capped at 1000") << 200.0 << qsizetype(1000);
    QTest::addRow("1000 Hz capped at 1000") << 1000.0 << qsizetype(1000);
}

void TestFrameRing::capacity()
{
    QFETCH(double, rate);
    QFETCH(qsizetype, expected);
    FrameRing ring(rate);
    QCOMPARE(ring.capacity(), expected);

    // The ring really holds that many and no more.
    for (qsizetype i = 1; i <= expected + 10; ++i) {
        Frame f;
        f.seq = quint64(i);
        ring.append(f);
    }
    QCOMPARE(ring.size(), expected);
    const QList<Frame> all = ring.framesAfter(0);
    QCOMPARE(all.size(), expected);
    QCOMPARE(all.first().seq, quint64(11));
    QCOMPARE(all.last().seq, quint64(expected + 10));
}

void TestFrameRing::keepsNewestFrames()
{
    FrameRing ring(1);
    const QList<Frame> frames = deltaFrames(40);
    for (const Frame &f : frames)
        ring.append(f);
    QCOMPARE(ring.size(), 16);
    const QList<Frame> held = ring.framesAfter(frames.at(30).seq);
    QCOMPARE(held.size(), 9);
    for (qsizetype i = 0; i < held.size(); ++i)
        QCOMPARE(held.at(i).seq, frames.at(31 + i).seq);
}

void TestFrameRing::replayAfterLastSeq_data()
{
    QTest::addColumn<quint64>("lastSeq");
    QTest::addColumn<int>("expectedCount");
    QTest::addColumn<quint64>("firstSeq");

    // 60 frames through a ring of 51 (10 Hz): seq 10..60 are held.
    QTest::addRow("client saw the frame before the oldest held") << quint64(9) << 51 << quint64(10);
    QTest::addRow("client saw a held frame") << quint64(40) << 20 << quint64(41);
    QTest::addRow("client saw the newest frame") << quint64(60) << 0 << quint64(0);
    QTest::addRow("client claims a later seq") << quint64(75) << 0 << quint64(0);
}

void TestFrameRing::replayAfterLastSeq()
{
    QFETCH(quint64, lastSeq);
    QFETCH(int, expectedCount);
    QFETCH(quint64, firstSeq);

    FrameRing ring(10);
    const QList<Frame> frames = deltaFrames(60);
    QCOMPARE(frames.size(), 60);
    for (const Frame &f : frames)
        ring.append(f);

    const QList<Frame> replay = ring.framesAfter(lastSeq);
    QCOMPARE(replay.size(), expectedCount);
    if (expectedCount == 0)
        return;
    QCOMPARE(replay.first().seq, firstSeq);
    // Nothing is missing, so frames come back exactly as produced.
    for (qsizetype i = 0; i < replay.size(); ++i) {
        const Frame &original = frames.at(qsizetype(firstSeq) - 1 + i);
        QCOMPARE(replay.at(i).seq, original.seq);
        QCOMPARE(replay.at(i).gap, false);
        QCOMPARE(replay.at(i).key, original.key);
        QCOMPARE(replay.at(i).values, original.values);
    }
}

void TestFrameRing::replayAfterDroppedFramesStartsWithCompletedKeyFrame()
{
    FrameRing ring(10);
    const QList<Frame> frames = deltaFrames(80);
    for (const Frame &f : frames)
        ring.append(f);
    // Held: seq 30..80. A client that saw seq 12 missed 13..29.
    const QList<Frame> replay = ring.framesAfter(12);
    QCOMPARE(replay.size(), 51);
    const Frame &first = replay.first();
    QCOMPARE(first.seq, quint64(30));
    QVERIFY(first.key);
    QVERIFY(first.gap);
    QCOMPARE(channelsOf(first), QStringList({QStringLiteral("sine"), QStringLiteral("ramp"),
                                             QStringLiteral("noise"), QStringLiteral("step")}));
    // Completed with the values as of that frame, not the newest ones.
    QCOMPARE(first.values.at(1).second, QVariant(29.0));
    QCOMPARE(first.timestampUs, frames.at(29).timestampUs);
    // The rest follow unchanged: deltas that apply on top of it.
    for (qsizetype i = 1; i < replay.size(); ++i) {
        QVERIFY(!replay.at(i).gap);
        QCOMPARE(replay.at(i).seq, quint64(30 + i));
        QCOMPARE(channelsOf(replay.at(i)), QStringList({QStringLiteral("ramp")}));
    }
    // Asking from the start (last_seq 0) is the same situation.
    QVERIFY(ring.framesAfter(0).first().gap);
}

void TestFrameRing::emptyRing()
{
    const FrameRing ring(100);
    QCOMPARE(ring.size(), 0);
    QVERIFY(ring.framesAfter(0).isEmpty());
}

QTEST_GUILESS_MAIN(TestFrameRing)
#include "tst_framering.moc"
