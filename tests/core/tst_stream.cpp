#include "telemetry/stream.h"
#include "streamfixtures.h"

#include <QRandomGenerator>
#include <QTest>

#include <cmath>

using namespace halhub;
using namespace halhub::test;

namespace {

// A realistic epoch time, so that arithmetic on large timestamps is exercised.
constexpr qint64 kT0 = Q_INT64_C(1700000000000000);

DeviceInfo pushDevice()
{
    DeviceInfo d;
    d.id = QStringLiteral("ard0");
    d.plugin = QStringLiteral("linestream");
    d.state = DeviceState::Connected;
    d.dynamicChannels = true;
    d.channels = {{QStringLiteral("temp"), QString(), ChannelType::Float}};
    return d;
}

Sample sample(const QString &device, qint64 ts,
              std::initializer_list<std::pair<const char *, QVariant>> values)
{
    Sample s;
    s.device = device;
    s.timestampUs = ts;
    for (const auto &v : values)
        s.values.append({QString::fromLatin1(v.first), v.second});
    return s;
}

// Samples of the sim device: `count` samples at `rateHz` from `start`, each
// timestamp moved by up to +-jitterUs.
QList<Sample> simSamples(double rateHz, int count, qint64 start = kT0, qint64 jitterUs = 0,
                         quint32 seed = 1)
{
    QRandomGenerator random(seed);
    QList<Sample> out;
    for (int i = 0; i < count; ++i) {
        const qint64 nominal = start + qint64(std::llround(i * 1e6 / rateHz));
        const qint64 jitter = jitterUs > 0 ? random.bounded(2 * jitterUs + 1) - jitterUs : 0;
        const double t = double(nominal - start) / 1e6;
        out.append(sample(QStringLiteral("sim0"), nominal + jitter,
                          {{"sine", std::sin(2 * M_PI * t)},
                           {"ramp", std::fmod(t, 10)},
                           {"noise", random.generateDouble() - 0.5},
                           {"step", double(int(t) % 2)}}));
    }
    return out;
}

// Samples of a busy producer: every `stallEvery`-th sample comes `stallUs`
// late, and the samples due meanwhile come with it, stamped when they are
// finally made (timestamps never go back).
QList<Sample> stalledSamples(double rateHz, int count, int stallEvery, qint64 stallUs)
{
    QList<Sample> out = simSamples(rateHz, count);
    qint64 stallEnd = 0;
    for (int i = 0; i < out.size(); ++i) {
        qint64 &ts = out[i].timestampUs;
        if (i % stallEvery == 0)
            stallEnd = ts + stallUs;
        ts = std::max(ts, stallEnd);
    }
    return out;
}

QList<Frame> feed(Stream &stream, const QList<Sample> &samples)
{
    QList<Frame> frames;
    for (const Sample &s : samples) {
        if (std::optional<Frame> f = stream.addSample(s))
            frames.append(*f);
    }
    return frames;
}

QStringList channelsOf(const QList<QPair<QString, QVariant>> &values)
{
    QStringList out;
    for (const auto &v : values)
        out.append(v.first);
    return out;
}

bool seqIsContiguous(const QList<Frame> &frames, quint64 first = 1)
{
    for (qsizetype i = 0; i < frames.size(); ++i) {
        if (frames.at(i).seq != first + quint64(i))
            return false;
    }
    return true;
}

// {min, max, mean, last, n} computed directly from the samples of a window.
QVariantMap expectedStats(const QList<Sample> &samples, qint64 after, qint64 upTo,
                          const QString &channel)
{
    double min = 0, max = 0, sum = 0;
    qlonglong n = 0;
    QVariant last;
    for (const Sample &s : samples) {
        if (s.timestampUs <= after || s.timestampUs > upTo)
            continue;
        for (const ChannelValue &v : s.values) {
            if (v.channel != channel)
                continue;
            const double x = v.value.toDouble();
            min = n == 0 ? x : std::min(min, x);
            max = n == 0 ? x : std::max(max, x);
            sum += x;
            ++n;
            last = v.value;
        }
    }
    if (n == 0)
        return {};
    return map({{"min", min}, {"max", max}, {"mean", sum / double(n)}, {"last", last}, {"n", n}});
}

void compareStats(const QVariant &actual, const QVariantMap &expected)
{
    const QVariantMap a = actual.toMap();
    QCOMPARE(a.value(QStringLiteral("n")).typeId(), QMetaType::LongLong);
    QCOMPARE(a.value(QStringLiteral("n")).toLongLong(), expected.value(QStringLiteral("n")).toLongLong());
    QCOMPARE(a.value(QStringLiteral("min")).toDouble(), expected.value(QStringLiteral("min")).toDouble());
    QCOMPARE(a.value(QStringLiteral("max")).toDouble(), expected.value(QStringLiteral("max")).toDouble());
    QCOMPARE(a.value(QStringLiteral("last")).toDouble(), expected.value(QStringLiteral("last")).toDouble());
    QCOMPARE(a.value(QStringLiteral("mean")).typeId(), QMetaType::Double);
    QVERIFY(std::abs(a.value(QStringLiteral("mean")).toDouble()
                     - expected.value(QStringLiteral("mean")).toDouble()) < 1e-12);
}

} // namespace

class TestStream : public QObject
{
    Q_OBJECT

private slots:
    void fullRate_data();
    void fullRate();
    void jitteredTimestamps_data();
    void jitteredTimestamps();
    void lateBurstsKeepTheRate_data();
    void lateBurstsKeepTheRate();
    void pauseThenResumeDoesNotBurst_data();
    void pauseThenResumeDoesNotBurst();
    void perSampleOnPushDevice();
    void pushDeviceChannelsJoin();
    void otherDevicesSamplesIgnored();
    void deltaDeadband_data();
    void deltaDeadband();
    void deltaMixedTypes();
    void deltaKeyFrames();
    void sampledStatistics();
    void sampledMixedTypes();
    void customPerChannelRates();
    void customKeyFrames();
    void forceKeyFrame();
    void completedFrame();
    void snapshotShared();
    void coalesceDelta();
    void coalesceSampled();
};

void TestStream::fullRate_data()
{
    QTest::addColumn<double>("deviceRate");
    QTest::addColumn<double>("streamRate");
    QTest::addColumn<int>("samples");

    QTest::addRow("100 Hz from 100 Hz") << 100.0 << 100.0 << 1000;
    QTest::addRow("30 Hz from 100 Hz") << 100.0 << 30.0 << 1000;
    QTest::addRow("50 Hz from 100 Hz") << 100.0 << 50.0 << 1000;
    QTest::addRow("99 Hz from 100 Hz") << 100.0 << 99.0 << 1000;
    QTest::addRow("7 Hz from 100 Hz") << 100.0 << 7.0 << 1000;
    QTest::addRow("0.5 Hz from 100 Hz") << 100.0 << 0.5 << 1000;
    QTest::addRow("333 Hz from 1000 Hz") << 1000.0 << 333.0 << 3000;
    QTest::addRow("60 Hz from 1000 Hz") << 1000.0 << 60.0 << 10000;
}

void TestStream::fullRate()
{
    QFETCH(double, deviceRate);
    QFETCH(double, streamRate);
    QFETCH(int, samples);

    const DeviceInfo device = simDevice(deviceRate);
    Stream stream(spec(device, map({{"rate_hz", streamRate}})), device);
    const QList<Sample> input = simSamples(deviceRate, samples);
    const QList<Frame> frames = feed(stream, input);

    const double seconds = samples / deviceRate;
    const double expected = streamRate * seconds;
    QVERIFY2(std::abs(frames.size() - expected) <= 1,
             qPrintable(QStringLiteral("%1 frames, expected %2").arg(frames.size()).arg(expected)));
    QVERIFY(seqIsContiguous(frames));
    QCOMPARE(stream.lastSeq(), quint64(frames.size()));

    // Never faster than the granted rate allows: no two frames closer than a
    // period less one device sample interval.
    const double minGap = 1e6 / streamRate - 1e6 / deviceRate;
    for (qsizetype i = 1; i < frames.size(); ++i)
        QVERIFY(frames.at(i).timestampUs - frames.at(i - 1).timestampUs >= minGap - 1);

    for (const Frame &f : frames) {
        QVERIFY(f.key);
        QVERIFY(!f.gap);
        QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("sine"), QStringLiteral("ramp"),
                                                    QStringLiteral("noise"), QStringLiteral("step")}));
    }
    // Each frame is the newest sample at its time.
    const Frame &last = frames.last();
    const auto source = std::find_if(input.cbegin(), input.cend(), [&](const Sample &s) {
        return s.timestampUs == last.timestampUs;
    });
    QVERIFY(source != input.cend());
    for (const ChannelValue &v : source->values)
        QCOMPARE(valueOf(last, v.channel), v.value);
}

void TestStream::jitteredTimestamps_data()
{
    QTest::addColumn<bool>("push");
    QTest::addColumn<double>("streamRate");
    QTest::addColumn<qint64>("jitterUs");
    QTest::addColumn<int>("expectedFrames");
    QTest::addColumn<int>("slack");

    QTest::addRow("100 Hz on 100 Hz, 4 ms jitter: every sample") << false << 100.0 << qint64(4000) << 1000 << 0;
    QTest::addRow("100 Hz on 100 Hz, 1 ms jitter: every sample") << false << 100.0 << qint64(1000) << 1000 << 0;
    QTest::addRow("30 Hz on 100 Hz, 3 ms jitter: 30 per second") << false << 30.0 << qint64(3000) << 300 << 2;
    QTest::addRow("100 Hz on an unrated 100 Hz device: every sample") << true << 100.0 << qint64(2000) << 1000 << 0;
    QTest::addRow("25 Hz on an unrated 100 Hz device") << true << 25.0 << qint64(2000) << 250 << 2;
}

void TestStream::jitteredTimestamps()
{
    QFETCH(bool, push);
    QFETCH(double, streamRate);
    QFETCH(qint64, jitterUs);
    QFETCH(int, expectedFrames);
    QFETCH(int, slack);

    DeviceInfo device = simDevice(100);
    if (push) {
        device.rateHz.reset();
        device.dynamicChannels = true;
    }
    Stream stream(spec(device, map({{"rate_hz", streamRate}})), device);
    const QList<Frame> frames = feed(stream, simSamples(100, 1000, kT0, jitterUs, 7));
    QVERIFY2(std::abs(frames.size() - expectedFrames) <= slack,
             qPrintable(QStringLiteral("%1 frames").arg(frames.size())));
    QVERIFY(seqIsContiguous(frames));
}

void TestStream::lateBurstsKeepTheRate_data()
{
    QTest::addColumn<double>("streamRate");
    QTest::addColumn<qint64>("stallUs");
    QTest::addColumn<int>("expectedFrames");
    QTest::addRow("50 Hz on 100 Hz, 25 ms stalls") << 50.0 << qint64(25000) << 500;
    QTest::addRow("50 Hz on 100 Hz, 12 ms stalls") << 50.0 << qint64(12000) << 500;
    QTest::addRow("30 Hz on 100 Hz, 35 ms stalls") << 30.0 << qint64(35000) << 300;
    QTest::addRow("100 Hz on 100 Hz, 25 ms stalls") << 100.0 << qint64(25000) << 1000;
}

void TestStream::lateBurstsKeepTheRate()
{
    QFETCH(double, streamRate);
    QFETCH(qint64, stallUs);
    QFETCH(int, expectedFrames);

    // A producer that is sometimes late (a busy event loop) loses no frames:
    // over 10 s the stream still sends its rate, within 1%.
    const DeviceInfo device = simDevice(100);
    Stream stream(spec(device, map({{"rate_hz", streamRate}})), device);
    const QList<Frame> frames = feed(stream, stalledSamples(100, 1000, 9, stallUs));
    QVERIFY2(std::abs(frames.size() - expectedFrames) <= expectedFrames / 100,
             qPrintable(QStringLiteral("%1 frames").arg(frames.size())));
}

void TestStream::pauseThenResumeDoesNotBurst_data()
{
    QTest::addColumn<double>("streamRate");
    QTest::addRow("30 Hz") << 30.0;
    QTest::addRow("100 Hz") << 100.0;
    QTest::addRow("2 Hz") << 2.0;
}

void TestStream::pauseThenResumeDoesNotBurst()
{
    QFETCH(double, streamRate);

    const DeviceInfo device = simDevice(100);
    Stream stream(spec(device, map({{"rate_hz", streamRate}})), device);
    const QList<Frame> before = feed(stream, simSamples(100, 200));
    // The device is silent for 3 s, then delivers 2 s more.
    const qint64 resume = kT0 + 5000000;
    const QList<Frame> after = feed(stream, simSamples(100, 200, resume));

    QVERIFY(std::abs(before.size() - 2 * streamRate) <= 1);
    QVERIFY(std::abs(after.size() - 2 * streamRate) <= 1);
    // The first sample after the pause goes out at once.
    QCOMPARE(after.first().timestampUs, resume);
    const double minGap = 1e6 / streamRate - 1e4;
    for (qsizetype i = 1; i < after.size(); ++i)
        QVERIFY(after.at(i).timestampUs - after.at(i - 1).timestampUs >= minGap - 1);
    QCOMPARE(after.first().seq, before.last().seq + 1);
}

void TestStream::perSampleOnPushDevice()
{
    const DeviceInfo device = pushDevice();
    Stream stream(spec(device, QVariantMap()), device);
    QCOMPARE(stream.spec().rateHz, 0.0);

    // Irregular arrival, some samples carry only part of the channels.
    const QList<qint64> offsets = {0, 3000, 150000, 151000, 900000, 905000};
    QList<Frame> frames;
    for (qsizetype i = 0; i < offsets.size(); ++i) {
        const Sample s = i % 2 == 0
                ? sample(device.id, kT0 + offsets.at(i), {{"temp", 20.0 + double(i)}})
                : sample(device.id, kT0 + offsets.at(i), {{"level", qlonglong(i)}});
        const std::optional<Frame> f = stream.addSample(s);
        QVERIFY(f);
        frames.append(*f);
    }
    QVERIFY(seqIsContiguous(frames));
    // Each frame carries every channel's latest known value.
    QCOMPARE(frames.at(0).values.size(), 1);
    QCOMPARE(frames.at(3).timestampUs, kT0 + 151000);
    QCOMPARE(valueOf(frames.at(3), QStringLiteral("temp")), QVariant(22.0));
    QCOMPARE(valueOf(frames.at(3), QStringLiteral("level")), QVariant(qlonglong(3)));
    QCOMPARE(valueOf(frames.at(4), QStringLiteral("level")), QVariant(qlonglong(3)));
}

void TestStream::pushDeviceChannelsJoin()
{
    DeviceInfo device = pushDevice();
    Stream all(spec(device, QVariantMap()), device);
    Stream chosen(spec(device, map({{"channels", names({"temp", "pressure"})}})), device);

    const Sample first = sample(device.id, kT0, {{"temp", 21.5}, {"humidity", 40}});
    const Sample second = sample(device.id, kT0 + 10000,
                                 {{"pressure", 1013.0}, {"label", QStringLiteral("ok")}});
    std::optional<Frame> a = all.addSample(first);
    QVERIFY(a);
    QCOMPARE(channelsOf(a->values), QStringList({QStringLiteral("temp"), QStringLiteral("humidity")}));
    a = all.addSample(second);
    QVERIFY(a);
    QCOMPARE(channelsOf(a->values), QStringList({QStringLiteral("temp"), QStringLiteral("humidity"),
                                                 QStringLiteral("pressure"), QStringLiteral("label")}));

    std::optional<Frame> c = chosen.addSample(first);
    QVERIFY(c);
    QCOMPARE(channelsOf(c->values), QStringList({QStringLiteral("temp")}));
    c = chosen.addSample(second);
    QVERIFY(c);
    QCOMPARE(channelsOf(c->values), QStringList({QStringLiteral("temp"), QStringLiteral("pressure")}));

    // A channel announced by the device joins the all-channels stream's snapshot order.
    device.channels.append({QStringLiteral("voltage"), QString(), ChannelType::Float});
    all.updateDevice(device);
    a = all.addSample(sample(device.id, kT0 + 20000, {{"voltage", 3.3}}));
    QVERIFY(a);
    QCOMPARE(channelsOf(a->values).last(), QStringLiteral("voltage"));
}

void TestStream::otherDevicesSamplesIgnored()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, QVariantMap()), device);
    QVERIFY(!stream.addSample(sample(QStringLiteral("sim1"), kT0, {{"sine", 1.0}})));
    QCOMPARE(stream.lastSeq(), quint64(0));
    QVERIFY(stream.addSample(sample(QStringLiteral("sim0"), kT0, {{"sine", 1.0}})));
}

void TestStream::deltaDeadband_data()
{
    QTest::addColumn<QVariant>("deadband");
    QTest::addColumn<QVariantList>("input");
    QTest::addColumn<QVariantList>("sent");

    const QVariantList ramp = {0.0, 0.05, 0.2, 0.21, 0.31, 0.305, 0.5, 0.5, 0.45};
    QTest::addRow("deadband 0 sends every change") << QVariant() << ramp
                                                   << QVariantList{0.0, 0.05, 0.2, 0.21, 0.31, 0.305, 0.5, 0.45};
    QTest::addRow("deadband 0.1 against the last value sent") << QVariant(0.1) << ramp
                                                              << QVariantList{0.0, 0.2, 0.31, 0.5};
    QTest::addRow("per-channel deadband") << QVariant(map({{"ramp", 0.25}, {"sine", 100}})) << ramp
                                          << QVariantList{0.0, 0.31};
    QTest::addRow("a change equal to the deadband is not sent")
            << QVariant(0.5) << QVariantList{1.0, 1.5, 2.0, 2.25}
            << QVariantList{1.0, 2.0};
}

void TestStream::deltaDeadband()
{
    QFETCH(QVariant, deadband);
    QFETCH(QVariantList, input);
    QFETCH(QVariantList, sent);

    const DeviceInfo device = simDevice();
    QVariantMap request = map({{"mode", QStringLiteral("delta")}, {"channels", names({"ramp", "sine"})},
                               {"keyframe_ms", 3600000}});
    if (deadband.isValid())
        request.insert(QStringLiteral("deadband"), deadband);
    Stream stream(spec(device, request), device);

    QList<Sample> samples;
    for (qsizetype i = 0; i < input.size(); ++i)
        samples.append(sample(device.id, kT0 + i * 10000, {{"ramp", input.at(i)}, {"sine", 0.5}}));
    const QList<Frame> frames = feed(stream, samples);

    QVariantList got;
    for (const Frame &f : frames)
        got.append(valueOf(f, QStringLiteral("ramp")));
    QCOMPARE(got, sent);
    QVERIFY(seqIsContiguous(frames));
    QVERIFY(frames.first().key);
    QCOMPARE(channelsOf(frames.first().values), QStringList({QStringLiteral("ramp"), QStringLiteral("sine")}));
    for (qsizetype i = 1; i < frames.size(); ++i) {
        QVERIFY(!frames.at(i).key);
        // The unchanging channel is never repeated.
        QCOMPARE(channelsOf(frames.at(i).values), QStringList({QStringLiteral("ramp")}));
    }
}

void TestStream::deltaMixedTypes()
{
    const DeviceInfo device = pushDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("delta")}, {"deadband", 1},
                                    {"keyframe_ms", 3600000}})),
                  device);
    struct Step { QVariant count; QVariant ok; QVariant msg; QStringList expected; };
    const QList<Step> steps = {
        {qlonglong(5), true, QStringLiteral("a"), {QStringLiteral("count"), QStringLiteral("ok"), QStringLiteral("msg")}},
        {qlonglong(6), true, QStringLiteral("a"), {}},
        {qlonglong(7), true, QStringLiteral("a"), {QStringLiteral("count")}},
        {qlonglong(7), false, QStringLiteral("a"), {QStringLiteral("ok")}},
        {qlonglong(7), false, QStringLiteral("b"), {QStringLiteral("msg")}},
        {qlonglong(6), true, QStringLiteral("B"), {QStringLiteral("ok"), QStringLiteral("msg")}},
    };
    quint64 expectedSeq = 0;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const Step &s = steps.at(i);
        Sample in;
        in.device = device.id;
        in.timestampUs = kT0 + i * 50000;
        in.values = {{QStringLiteral("count"), s.count}, {QStringLiteral("ok"), s.ok},
                     {QStringLiteral("msg"), s.msg}};
        const std::optional<Frame> f = stream.addSample(in);
        if (s.expected.isEmpty()) {
            QVERIFY2(!f, qPrintable(QStringLiteral("step %1").arg(i)));
            continue;
        }
        QVERIFY2(f, qPrintable(QStringLiteral("step %1").arg(i)));
        QCOMPARE(f->seq, ++expectedSeq);
        QCOMPARE(channelsOf(f->values), s.expected);
    }
}

void TestStream::deltaKeyFrames()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("delta")}, {"keyframe_ms", 250},
                                    {"channels", names({"ramp", "step"})}})),
                  device);
    // `ramp` changes at every sample, `step` never does.
    QList<Sample> samples;
    for (int i = 0; i < 200; ++i)
        samples.append(sample(device.id, kT0 + i * 10000, {{"ramp", double(i)}, {"step", 1.0}}));
    const QList<Frame> frames = feed(stream, samples);

    QCOMPARE(frames.size(), 200);
    QList<qint64> keyTimes;
    for (const Frame &f : frames) {
        if (f.key) {
            keyTimes.append(f.timestampUs);
            QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("ramp"), QStringLiteral("step")}));
        } else {
            QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("ramp")}));
        }
    }
    QCOMPARE(keyTimes.size(), 8);
    for (qsizetype i = 0; i < keyTimes.size(); ++i)
        QCOMPARE(keyTimes.at(i), kT0 + i * 250000);

    // With nothing changing, only the key frames go out, numbered without gaps.
    Stream quiet(spec(device, map({{"mode", QStringLiteral("delta")}, {"keyframe_ms", 250}})), device);
    QList<Sample> still;
    for (int i = 0; i < 200; ++i)
        still.append(sample(device.id, kT0 + i * 10000, {{"ramp", 1.0}, {"step", 0.0}}));
    const QList<Frame> keys = feed(quiet, still);
    QCOMPARE(keys.size(), 8);
    QVERIFY(seqIsContiguous(keys));
    for (const Frame &f : keys)
        QVERIFY(f.key);
}

void TestStream::sampledStatistics()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("sampled")}, {"rate_hz", 10},
                                    {"channels", names({"noise", "sine"})}})),
                  device);
    const QList<Sample> samples = simSamples(100, 200, kT0, 0, 42);
    const QList<Frame> frames = feed(stream, samples);

    QVERIFY(std::abs(frames.size() - 20) <= 1);
    QVERIFY(seqIsContiguous(frames));
    qint64 previous = kT0 - 1;
    qlonglong total = 0;
    for (const Frame &f : frames) {
        QVERIFY(f.key);
        QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("noise"), QStringLiteral("sine")}));
        for (const auto &v : f.values)
            compareStats(v.second, expectedStats(samples, previous, f.timestampUs, v.first));
        total += f.values.first().second.toMap().value(QStringLiteral("n")).toLongLong();
        previous = f.timestampUs;
    }
    // Windows cover every sample up to the last frame exactly once.
    const qlonglong covered = std::count_if(samples.cbegin(), samples.cend(), [&](const Sample &s) {
        return s.timestampUs <= frames.last().timestampUs;
    });
    QCOMPARE(total, covered);
    QCOMPARE(frames.at(1).values.first().second.toMap().value(QStringLiteral("n")).toLongLong(), 10);
}

void TestStream::sampledMixedTypes()
{
    const DeviceInfo device = pushDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("sampled")}, {"rate_hz", 10}})), device);

    // The first sample is a frame of its own; the next window is (0, 100 ms].
    QVERIFY(stream.addSample(sample(device.id, kT0, {{"count", qlonglong(4)}, {"msg", QStringLiteral("start")}})));
    const QList<Sample> window = {
        sample(device.id, kT0 + 20000, {{"count", qlonglong(7)}, {"msg", QStringLiteral("a")}}),
        sample(device.id, kT0 + 40000, {{"count", qlonglong(-2)}}),
        sample(device.id, kT0 + 60000, {{"count", qlonglong(3)}, {"msg", QStringLiteral("b")}}),
        sample(device.id, kT0 + 80000, {{"count", qlonglong(3)}}),
    };
    for (const Sample &s : window)
        QVERIFY(!stream.addSample(s));
    const std::optional<Frame> f = stream.addSample(sample(device.id, kT0 + 100000, {{"count", qlonglong(5)}}));
    QVERIFY(f);
    QCOMPARE(f->seq, quint64(2));
    QCOMPARE(f->timestampUs, kT0 + 100000);
    // `temp` had no sample in the window: left out.
    QCOMPARE(channelsOf(f->values), QStringList({QStringLiteral("count"), QStringLiteral("msg")}));

    const QVariantMap count = valueOf(*f, QStringLiteral("count")).toMap();
    QCOMPARE(count.value(QStringLiteral("min")), QVariant(qlonglong(-2)));
    QCOMPARE(count.value(QStringLiteral("min")).typeId(), QMetaType::LongLong);
    QCOMPARE(count.value(QStringLiteral("max")), QVariant(qlonglong(7)));
    QCOMPARE(count.value(QStringLiteral("mean")).typeId(), QMetaType::Double);
    QCOMPARE(count.value(QStringLiteral("mean")).toDouble(), 16.0 / 5);
    QCOMPARE(count.value(QStringLiteral("last")), QVariant(qlonglong(5)));
    QCOMPARE(count.value(QStringLiteral("n")), QVariant(qlonglong(5)));

    const QVariantMap msg = valueOf(*f, QStringLiteral("msg")).toMap();
    QCOMPARE(msg.keys(), QStringList({QStringLiteral("last"), QStringLiteral("n")}));
    QCOMPARE(msg.value(QStringLiteral("last")).toString(), QStringLiteral("b"));
    QCOMPARE(msg.value(QStringLiteral("n")), QVariant(qlonglong(2)));
}

void TestStream::customPerChannelRates()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("custom")}, {"keyframe_ms", 3600000},
                                    {"custom", map({{"sine", map({{"rate_hz", 10}})},
                                                    {"ramp", map({{"rate_hz", 50}})},
                                                    {"step", map({{"deadband", 0.5}})}})}})),
                  device);
    // 1 s at 100 Hz; sine and ramp change at every sample, step toggles
    // every 250 ms, noise is not subscribed.
    QList<Sample> samples;
    for (int i = 0; i < 100; ++i) {
        samples.append(sample(device.id, kT0 + i * 10000,
                              {{"sine", double(i)}, {"ramp", double(-i)}, {"noise", 1.0},
                               {"step", double((i / 25) % 2)}}));
    }
    const QList<Frame> frames = feed(stream, samples);

    int sine = 0, ramp = 0, step = 0;
    for (const Frame &f : frames) {
        const QStringList in = channelsOf(f.values);
        QVERIFY(!in.contains(QStringLiteral("noise")));
        sine += in.contains(QStringLiteral("sine"));
        ramp += in.contains(QStringLiteral("ramp"));
        step += in.contains(QStringLiteral("step"));
        // Channels due at the same sample share one frame.
        if (in.contains(QStringLiteral("sine")))
            QVERIFY(in.contains(QStringLiteral("ramp")));
    }
    QCOMPARE(sine, 10);
    QCOMPARE(ramp, 50);
    QCOMPARE(step, 4);          // the first frame, then the toggles at 250, 500, 750 ms
    // 50 ramp ticks plus the toggles at 250 and 750 ms, which fall between them.
    QCOMPARE(frames.size(), 52);
    QVERIFY(seqIsContiguous(frames));
    QVERIFY(frames.first().key);
    QCOMPARE(frames.first().values.size(), 3);
    for (qsizetype i = 1; i < frames.size(); ++i)
        QVERIFY(!frames.at(i).key);
}

void TestStream::customKeyFrames()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("custom")}, {"keyframe_ms", 500},
                                    {"channels", names({"sine", "step"})},
                                    {"custom", map({{"sine", map({{"rate_hz", 1}})}})},
                                    {"deadband", 10}})),
                  device);
    QList<Sample> samples;
    for (int i = 0; i < 200; ++i)
        samples.append(sample(device.id, kT0 + i * 10000, {{"sine", double(i)}, {"step", double(i)}}));
    const QList<Frame> frames = feed(stream, samples);

    QList<qint64> keyTimes;
    for (const Frame &f : frames) {
        if (!f.key)
            continue;
        keyTimes.append(f.timestampUs);
        QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("sine"), QStringLiteral("step")}));
    }
    QCOMPARE(keyTimes, QList<qint64>({kT0, kT0 + 500000, kT0 + 1000000, kT0 + 1500000}));
    // Between key frames, step (deadband 10 at 100 Hz) goes out when it moved by more than 10.
    int stepOnly = 0;
    for (const Frame &f : frames) {
        if (!f.key) {
            QCOMPARE(channelsOf(f.values), QStringList({QStringLiteral("step")}));
            ++stepOnly;
        }
    }
    QVERIFY(stepOnly >= 12 && stepOnly <= 16);
    QVERIFY(seqIsContiguous(frames));
}

void TestStream::forceKeyFrame()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("delta")}, {"keyframe_ms", 3600000}})), device);
    QVERIFY(stream.addSample(sample(device.id, kT0, {{"sine", 0.0}, {"ramp", 0.0}, {"noise", 0.0}, {"step", 0.0}})));
    QVERIFY(!stream.addSample(sample(device.id, kT0 + 10000, {{"sine", 0.0}})));

    stream.forceKeyFrame();
    std::optional<Frame> f = stream.addSample(sample(device.id, kT0 + 20000, {{"ramp", 1.0}}));
    QVERIFY(f);
    QCOMPARE(f->seq, quint64(2));
    QVERIFY(f->key);
    QVERIFY(f->gap);
    QCOMPARE(f->values.size(), 4);

    f = stream.addSample(sample(device.id, kT0 + 30000, {{"ramp", 2.0}}));
    QVERIFY(f);
    QVERIFY(!f->key);
    QVERIFY(!f->gap);

    Stream full(spec(device, QVariantMap()), device);
    QVERIFY(!full.addSample(sample(device.id, kT0, {{"sine", 0.0}}))->gap);
    full.forceKeyFrame();
    QVERIFY(full.addSample(sample(device.id, kT0 + 10000, {{"sine", 0.0}}))->gap);
    QVERIFY(!full.addSample(sample(device.id, kT0 + 20000, {{"sine", 0.0}}))->gap);
}

void TestStream::completedFrame()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("delta")}})), device);
    stream.addSample(sample(device.id, kT0, {{"sine", 1.0}, {"ramp", 2.0}, {"noise", 3.0}, {"step", 4.0}}));
    const std::optional<Frame> f = stream.addSample(sample(device.id, kT0 + 10000, {{"ramp", 5.0}}));
    QVERIFY(f);
    QCOMPARE(f->values.size(), 1);

    const Frame c = Stream::completed(*f);
    QCOMPARE(c.seq, f->seq);
    QCOMPARE(c.timestampUs, f->timestampUs);
    QVERIFY(c.key);
    QVERIFY(c.gap);
    QCOMPARE(channelsOf(c.values), QStringList({QStringLiteral("sine"), QStringLiteral("ramp"),
                                                QStringLiteral("noise"), QStringLiteral("step")}));
    QCOMPARE(valueOf(c, QStringLiteral("ramp")), QVariant(5.0));
    QCOMPARE(valueOf(c, QStringLiteral("step")), QVariant(4.0));
}

void TestStream::snapshotShared()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, QVariantMap()), device);
    const std::optional<Frame> a = stream.addSample(sample(device.id, kT0, {{"sine", 1.0}}));
    const std::optional<Frame> b = stream.addSample(sample(device.id, kT0 + 10000, {{"sine", 1.0}}));
    const std::optional<Frame> c = stream.addSample(sample(device.id, kT0 + 20000, {{"sine", 2.0}}));
    QVERIFY(a && b && c);
    QCOMPARE(a->snapshot.data(), b->snapshot.data());
    QVERIFY(b->snapshot.data() != c->snapshot.data());
    QCOMPARE(a->snapshot->first().second, QVariant(1.0));
    QCOMPARE(c->snapshot->first().second, QVariant(2.0));
}

void TestStream::coalesceDelta()
{
    const DeviceInfo device = simDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("delta")}})), device);
    stream.addSample(sample(device.id, kT0, {{"sine", 1.0}, {"ramp", 2.0}, {"noise", 3.0}, {"step", 4.0}}));
    const std::optional<Frame> older = stream.addSample(sample(device.id, kT0 + 10000, {{"ramp", 5.0}}));
    const std::optional<Frame> newer = stream.addSample(sample(device.id, kT0 + 20000, {{"sine", 6.0}}));
    QVERIFY(older && newer);

    const Frame merged = Stream::coalesce(*older, *newer, StreamMode::Delta);
    QCOMPARE(merged.seq, newer->seq);
    QCOMPARE(merged.timestampUs, newer->timestampUs);
    QVERIFY(merged.key);
    QVERIFY(merged.gap);
    // The dropped frame's change is not lost: the result carries every channel.
    QCOMPARE(valueOf(merged, QStringLiteral("ramp")), QVariant(5.0));
    QCOMPARE(valueOf(merged, QStringLiteral("sine")), QVariant(6.0));
    QCOMPARE(merged.values.size(), 4);
}

void TestStream::coalesceSampled()
{
    DeviceInfo device = pushDevice();
    Stream stream(spec(device, map({{"mode", QStringLiteral("sampled")}, {"rate_hz", 10},
                                    {"channels", names({"a", "b", "c"})}})),
                  device);
    QList<Sample> samples = {sample(device.id, kT0, {{"a", 0.0}})};
    // Window 1 (0, 100 ms]: a and b; window 2 (100, 200 ms]: a and c.
    for (int i = 1; i <= 10; ++i) {
        samples.append(i <= 5 ? sample(device.id, kT0 + i * 20000, {{"a", double(i * i)}, {"b", qlonglong(i)}})
                              : sample(device.id, kT0 + i * 20000, {{"a", double(-i)}, {"c", 0.5 * i}}));
    }
    const QList<Frame> frames = feed(stream, samples);
    QCOMPARE(frames.size(), 3);
    QCOMPARE(frames.at(1).timestampUs, kT0 + 100000);
    QCOMPARE(frames.at(2).timestampUs, kT0 + 200000);

    const Frame merged = Stream::coalesce(frames.at(1), frames.at(2), StreamMode::Sampled);
    QCOMPARE(merged.seq, frames.at(2).seq);
    QCOMPARE(merged.timestampUs, frames.at(2).timestampUs);
    QVERIFY(merged.key);
    QVERIFY(merged.gap);
    QCOMPARE(channelsOf(merged.values), QStringList({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
    for (const auto &v : merged.values)
        compareStats(v.second, expectedStats(samples, kT0, kT0 + 200000, v.first));
    // A completed sampled frame keeps its statistics.
    QCOMPARE(Stream::completed(merged).values, merged.values);

    // Coalescing again folds a third window in.
    const std::optional<Frame> third = stream.addSample(sample(device.id, kT0 + 300000, {{"a", 100.0}}));
    QVERIFY(third);
    const Frame again = Stream::coalesce(merged, *third, StreamMode::Sampled);
    compareStats(valueOf(again, QStringLiteral("a")), expectedStats(samples + QList<Sample>{sample(device.id, kT0 + 300000, {{"a", 100.0}})},
                                                                    kT0, kT0 + 300000, QStringLiteral("a")));
}

QTEST_GUILESS_MAIN(TestStream)
#include "tst_stream.moc"
