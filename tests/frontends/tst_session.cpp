#include "bus/clock.h"
#include "fakebus.h"
#include "frontends/halhub/session.h"
#include "metrics/latencyhistogram.h"
#include "net/messagechannel.h"
#include "protocol/framecodec.h"
#include "telemetry/streamspec.h"
#include "telemetry/telemetryhub.h"

#include <QDateTime>
#include <QTest>

#include <memory>

using namespace halhub;

namespace {

constexpr int kGraceMs = 30000;
constexpr qint64 kSampleIntervalUs = 10000;     // the devices run at 100 Hz

// What a client would read off its connection, in the order it was sent.
struct Received
{
    bool telemetry = false;         // sendEncoded (else sendMessage)
    QVariantMap message;            // decoded from the frame's bytes for telemetry
    EncodedFrame frame;
};

// The connection side of a session, without a socket: it decodes each
// telemetry frame the way a client would, and says whether telemetry may be
// written as the test decides.
class FakeChannel final : public MessageChannel
{
public:
    explicit FakeChannel(Encoding encoding = Encoding::Json, bool compression = false)
        : m_encoding(encoding), m_compression(compression)
    {
    }

    bool writable = true;
    QList<Received> received;

    Encoding encoding() const override { return m_encoding; }
    bool compression() const override { return m_compression; }
    void sendMessage(const QVariantMap &message) override { received.append({false, message, {}}); }
    void sendEncoded(const EncodedFrame &frame) override
    {
        const DecodedFrame decoded = frame.binary ? framecodec::decodeBinary(frame.bytes, 1 << 24)
                                                  : framecodec::decodeText(frame.bytes, 1 << 24);
        if (decoded.status != DecodedFrame::Status::Ok)
            qFatal("telemetry frame does not decode: %s", qPrintable(decoded.error));
        received.append({true, decoded.message, frame});
    }
    bool canSendTelemetry() const override { return writable; }

    // Telemetry of one stream (all streams when empty), in order.
    QList<QVariantMap> frames(const QString &stream = {}) const
    {
        QList<QVariantMap> out;
        for (const Received &r : received) {
            if (r.telemetry && (stream.isEmpty() || r.message.value(QStringLiteral("stream")) == stream))
                out.append(r.message);
        }
        return out;
    }
    QList<QVariantMap> messages(const QString &type) const
    {
        QList<QVariantMap> out;
        for (const Received &r : received) {
            if (!r.telemetry && r.message.value(QStringLiteral("type")) == type)
                out.append(r.message);
        }
        return out;
    }
    QList<quint64> seqs(const QString &stream) const
    {
        QList<quint64> out;
        for (const QVariantMap &f : frames(stream))
            out.append(f.value(QStringLiteral("seq")).toULongLong());
        return out;
    }

private:
    Encoding m_encoding;
    bool m_compression;
};

DeviceInfo device(const QString &id, const QStringList &channels)
{
    DeviceInfo d = FakeBus::connectedDevice(id, channels, QStringLiteral("sim"));
    d.rateHz = 100;
    return d;
}

StreamSpec spec(const DeviceInfo &device, QVariantMap request = {})
{
    request.insert(QStringLiteral("device"), device.id);
    QString error;
    const std::optional<StreamSpec> s = parseStreamSpec(request, device, 1000, &error);
    if (!s)
        qFatal("bad spec in test: %s", qPrintable(error));
    return *s;
}

QList<quint64> range(quint64 first, quint64 last)
{
    QList<quint64> out;
    for (quint64 s = first; s <= last; ++s)
        out.append(s);
    return out;
}

CommandResult finished(const QString &commandId, qint64 finishedAtMs = QDateTime::currentMSecsSinceEpoch())
{
    CommandResult r;
    r.commandId = commandId;
    r.device = QStringLiteral("dev");
    r.command = QStringLiteral("reset");
    r.attempts = 1;
    r.finishedAtMs = finishedAtMs;
    return r;
}

} // namespace

class TestSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void framesReachTheChannel_data();
    void framesReachTheChannel();
    void slowConsumerGetsTheNewestFrame_data();
    void slowConsumerGetsTheNewestFrame();
    void eachStreamKeepsOnlyItsNewestFrame();
    void replayAfterReattach_data();
    void replayAfterReattach();
    void resultsComeFirstOnReplay();
    void detachedSessionSendsNothing();
    void closeStreamsOfOneDevice();
    void liveFramesCountInTheLatencyWindow();

private:
    // Sample n of a device: `a` is n, `b` stays 100 (so delta frames after
    // the first carry `a` alone).
    void sample(const QString &device, int n);

    std::unique_ptr<FakeBus> m_bus;
    std::unique_ptr<TelemetryHub> m_hub;
    std::unique_ptr<LatencyHistogram> m_latency;
    std::unique_ptr<Session> m_session;
    DeviceInfo m_dev;
    DeviceInfo m_dev2;
    qint64 m_t0 = 0;
    // The hub's latency clock: it has run for two minutes.
    qint64 m_clockMs = 120000;
};

void TestSession::init()
{
    m_bus = std::make_unique<FakeBus>();
    m_dev = device(QStringLiteral("dev"), {QStringLiteral("a"), QStringLiteral("b")});
    m_dev2 = device(QStringLiteral("dev2"), {QStringLiteral("a"), QStringLiteral("b")});
    m_bus->add(m_dev);
    m_bus->add(m_dev2);
    m_hub = std::make_unique<TelemetryHub>(m_bus.get());
    m_latency = std::make_unique<LatencyHistogram>();
    m_session = std::make_unique<Session>(QStringLiteral("0123456789abcdef0123456789abcdef"), QString(),
                                          m_hub.get(), m_latency.get(), [this] { return m_clockMs; },
                                          kGraceMs);
    // Samples taken a minute ago, 10 ms apart.
    m_t0 = wallClockUs() - 60 * 1000 * 1000;
}

void TestSession::cleanup()
{
    m_session.reset();
    m_latency.reset();
    m_hub.reset();
    m_bus.reset();
}

void TestSession::sample(const QString &device, int n)
{
    Sample s;
    s.device = device;
    s.timestampUs = m_t0 + n * kSampleIntervalUs;
    s.values = {{QStringLiteral("a"), double(n)}, {QStringLiteral("b"), 100.0}};
    m_bus->emitSample(s);
}

void TestSession::framesReachTheChannel_data()
{
    QTest::addColumn<Encoding>("encoding");
    QTest::addColumn<bool>("compression");
    QTest::addColumn<int>("channels");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("header");        // first byte of a binary frame

    QTest::addRow("json") << Encoding::Json << false << 2 << false << -1;
    QTest::addRow("msgpack") << Encoding::MsgPack << false << 2 << true << 0x00;
    QTest::addRow("json, compression on, small frames") << Encoding::Json << true << 2 << false << -1;
    QTest::addRow("json compressed") << Encoding::Json << true << 80 << true << 0x02;
    QTest::addRow("msgpack compressed") << Encoding::MsgPack << true << 80 << true << 0x01;
}

void TestSession::framesReachTheChannel()
{
    QFETCH(Encoding, encoding);
    QFETCH(bool, compression);
    QFETCH(int, channels);
    QFETCH(bool, binary);
    QFETCH(int, header);

    QStringList names;
    for (int i = 0; i < channels; ++i)
        names.append(QStringLiteral("channel_%1").arg(i, 2, 10, QLatin1Char('0')));
    const DeviceInfo wide = device(QStringLiteral("wide"), names);
    m_bus->add(wide);

    FakeChannel channel(encoding, compression);
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(wide), wide, std::nullopt);

    const qint64 before = wallClockUs();
    for (int n = 1; n <= 3; ++n) {
        Sample s;
        s.device = wide.id;
        s.timestampUs = m_t0 + n * kSampleIntervalUs;
        for (int i = 0; i < channels; ++i)
            s.values.append({names.at(i), n * 1000.0 + i + 0.5});
        m_bus->emitSample(s);
    }
    const qint64 after = wallClockUs();

    QCOMPARE(channel.received.size(), 3);
    for (int n = 1; n <= 3; ++n) {
        const Received &r = channel.received.at(n - 1);
        QVERIFY(r.telemetry);
        QCOMPARE(r.frame.binary, binary);
        if (binary)
            QCOMPARE(int(quint8(r.frame.bytes.at(0))), header);

        const QVariantMap &m = r.message;
        QCOMPARE(m.value(QStringLiteral("type")).toString(), QStringLiteral("telemetry"));
        QCOMPARE(m.value(QStringLiteral("stream")).toString(), QStringLiteral("s1"));
        QCOMPARE(m.value(QStringLiteral("device")).toString(), QStringLiteral("wide"));
        QCOMPARE(m.value(QStringLiteral("seq")), QVariant(qlonglong(n)));
        QCOMPARE(m.value(QStringLiteral("ts")), QVariant(qlonglong(m_t0 + n * kSampleIntervalUs)));
        const QVariant sent = m.value(QStringLiteral("sent"));
        QCOMPARE(sent.typeId(), int(QMetaType::LongLong));
        QVERIFY(sent.toLongLong() >= before && sent.toLongLong() <= after);
        QCOMPARE(m.value(QStringLiteral("key")), QVariant(true));
        QVERIFY(!m.contains(QStringLiteral("gap")));

        const QVariantMap values = m.value(QStringLiteral("values")).toMap();
        QCOMPARE(values.size(), channels);
        for (int i = 0; i < channels; ++i) {
            const QVariant v = values.value(names.at(i));
            QCOMPARE(v.typeId(), int(QMetaType::Double));
            QCOMPARE(v.toDouble(), n * 1000.0 + i + 0.5);
        }
    }
}

void TestSession::slowConsumerGetsTheNewestFrame_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<int>("held");          // frames made while the channel is full
    QTest::addColumn<QVariantMap>("values");    // of the frame sent when it drains
    QTest::addColumn<bool>("key");
    QTest::addColumn<bool>("gap");

    const QString mode = QStringLiteral("mode");
    const QVariantMap full;
    const QVariantMap delta{{mode, QStringLiteral("delta")}};
    const QVariantMap sampled{{mode, QStringLiteral("sampled")}, {QStringLiteral("rate_hz"), 100}};
    auto values = [](const QVariant &a, const QVariant &b) {
        return QVariantMap{{QStringLiteral("a"), a}, {QStringLiteral("b"), b}};
    };
    auto stats = [](double min, double max, double mean, double last, qlonglong n) {
        return QVariantMap{{QStringLiteral("min"), min}, {QStringLiteral("max"), max},
                           {QStringLiteral("mean"), mean}, {QStringLiteral("last"), last},
                           {QStringLiteral("n"), n}};
    };

    QTest::addRow("full: one frame waited, sent as it was")
            << full << 1 << values(2.0, 100.0) << true << false;
    QTest::addRow("full: newest of five, marked gap")
            << full << 5 << values(6.0, 100.0) << true << true;
    QTest::addRow("delta: one frame waited, sent as it was")
            << delta << 1 << QVariantMap{{QStringLiteral("a"), 2.0}} << false << false;
    QTest::addRow("delta: newest of five, completed to every channel")
            << delta << 5 << values(6.0, 100.0) << true << true;
    QTest::addRow("sampled: statistics over the dropped span")
            << sampled << 5 << values(stats(2, 6, 4, 6, 5), stats(100, 100, 100, 100, 5)) << true << true;
}

void TestSession::slowConsumerGetsTheNewestFrame()
{
    QFETCH(QVariantMap, request);
    QFETCH(int, held);
    QFETCH(QVariantMap, values);
    QFETCH(bool, key);
    QFETCH(bool, gap);

    FakeChannel channel;
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev, request), m_dev, std::nullopt);
    sample(m_dev.id, 1);
    QCOMPARE(channel.frames().size(), 1);

    channel.writable = false;
    for (int n = 2; n <= 1 + held; ++n)
        sample(m_dev.id, n);
    QCOMPARE(channel.frames().size(), 1);
    // Drained, but still above the mark: nothing yet.
    m_session->channelDrained();
    QCOMPARE(channel.frames().size(), 1);

    channel.writable = true;
    m_session->channelDrained();
    QCOMPARE(channel.frames().size(), 2);
    const QVariantMap frame = channel.frames().at(1);
    QCOMPARE(frame.value(QStringLiteral("seq")), QVariant(qlonglong(1 + held)));
    QCOMPARE(frame.value(QStringLiteral("ts")), QVariant(qlonglong(m_t0 + (1 + held) * kSampleIntervalUs)));
    QCOMPARE(frame.value(QStringLiteral("key")).toBool(), key);
    QCOMPARE(frame.contains(QStringLiteral("key")), key);
    QCOMPARE(frame.contains(QStringLiteral("gap")), gap);
    QCOMPARE(frame.value(QStringLiteral("values")).toMap(), values);

    // Drained again with nothing waiting: nothing more.
    m_session->channelDrained();
    QCOMPARE(channel.frames().size(), 2);

    const QList<StreamStats> stats = m_session->streamStats();
    QCOMPARE(stats.size(), 1);
    QCOMPARE(stats.at(0).framesProduced, quint64(1 + held));
    QCOMPARE(stats.at(0).framesSent, quint64(2));
    QCOMPARE(stats.at(0).framesDropped, quint64(held - 1));

    if (held > 1) {
        // The drops are reported within about a second (checked four times a second).
        QTRY_COMPARE_WITH_TIMEOUT(channel.messages(QStringLiteral("event")).size(), 1, 1500);
        const QVariantMap event = channel.messages(QStringLiteral("event")).at(0);
        QCOMPARE(event.value(QStringLiteral("event")).toString(), QStringLiteral("stream_overflow"));
        QCOMPARE(event.value(QStringLiteral("stream")).toString(), QStringLiteral("s1"));
        QCOMPARE(event.value(QStringLiteral("data")).toMap().value(QStringLiteral("dropped")).toULongLong(),
                 quint64(held - 1));
    }
}

void TestSession::eachStreamKeepsOnlyItsNewestFrame()
{
    FakeChannel channel;
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    m_session->addStream(QStringLiteral("s2"), spec(m_dev2, {{QStringLiteral("rate_hz"), 50}}), m_dev2, 50.0);

    channel.writable = false;
    for (int n = 1; n <= 4; ++n) {
        sample(m_dev.id, n);
        sample(m_dev2.id, n);
    }
    QVERIFY(channel.frames().isEmpty());

    channel.writable = true;
    m_session->channelDrained();
    // One frame per stream: s1 had four (all 100 Hz samples), s2 two (at 50 Hz).
    QCOMPARE(channel.seqs(QStringLiteral("s1")), QList<quint64>{4});
    QCOMPARE(channel.seqs(QStringLiteral("s2")), QList<quint64>{2});
    QCOMPARE(channel.frames(QStringLiteral("s1")).at(0).value(QStringLiteral("gap")), QVariant(true));
    QCOMPARE(channel.frames(QStringLiteral("s2")).at(0).value(QStringLiteral("gap")), QVariant(true));

    const QList<StreamStats> stats = m_session->streamStats();
    QCOMPARE(stats.size(), 2);
    for (const StreamStats &s : stats) {
        QCOMPARE(s.session, m_session->id());
        QCOMPARE(s.mode, StreamMode::Full);
        QCOMPARE(s.framesSent, quint64(1));
        if (s.id == QLatin1String("s1")) {
            QCOMPARE(s.device, QStringLiteral("dev"));
            QCOMPARE(s.requestedRateHz, 0.0);
            QCOMPARE(s.grantedRateHz, 100.0);
            QCOMPARE(s.framesProduced, quint64(4));
            QCOMPARE(s.framesDropped, quint64(3));
        } else {
            QCOMPARE(s.id, QStringLiteral("s2"));
            QCOMPARE(s.device, QStringLiteral("dev2"));
            QCOMPARE(s.requestedRateHz, 50.0);
            QCOMPARE(s.grantedRateHz, 50.0);
            QCOMPARE(s.framesProduced, quint64(2));
            QCOMPARE(s.framesDropped, quint64(1));
        }
    }

    QTRY_COMPARE_WITH_TIMEOUT(channel.messages(QStringLiteral("event")).size(), 2, 1500);
    QHash<QString, quint64> dropped;
    for (const QVariantMap &e : channel.messages(QStringLiteral("event")))
        dropped.insert(e.value(QStringLiteral("stream")).toString(),
                       e.value(QStringLiteral("data")).toMap().value(QStringLiteral("dropped")).toULongLong());
    QCOMPARE(dropped.value(QStringLiteral("s1")), quint64(3));
    QCOMPARE(dropped.value(QStringLiteral("s2")), quint64(1));
}

void TestSession::replayAfterReattach_data()
{
    QTest::addColumn<int>("detachedFrames");
    QTest::addColumn<QVariant>("lastSeq");      // of s1; absent: s1 not named
    QTest::addColumn<quint64>("firstResent");
    QTest::addColumn<int>("resent");
    QTest::addColumn<bool>("firstGap");

    // Three frames before the connection went away.
    QTest::addRow("the frames after last_seq") << 4 << QVariant(3) << quint64(4) << 4 << false;
    QTest::addRow("from the first frame") << 4 << QVariant(0) << quint64(1) << 7 << false;
    QTest::addRow("the client has every frame") << 4 << QVariant(7) << quint64(0) << 0 << false;
    QTest::addRow("frames after last_seq no longer held")   // 100 Hz holds 501 frames
            << 600 << QVariant(3) << quint64(103) << 501 << true;
    QTest::addRow("not named: nothing resent") << 4 << QVariant() << quint64(0) << 0 << false;
}

void TestSession::replayAfterReattach()
{
    QFETCH(int, detachedFrames);
    QFETCH(QVariant, lastSeq);
    QFETCH(quint64, firstResent);
    QFETCH(int, resent);
    QFETCH(bool, firstGap);

    FakeChannel first;
    m_session->attach(&first);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    m_session->addStream(QStringLiteral("s2"), spec(m_dev), m_dev, std::nullopt);
    for (int n = 1; n <= 3; ++n)
        sample(m_dev.id, n);
    QCOMPARE(first.seqs(QStringLiteral("s1")), range(1, 3));

    m_session->detach();
    QVERIFY(!m_session->isAttached());
    const int total = 3 + detachedFrames;
    for (int n = 4; n <= total; ++n)
        sample(m_dev.id, n);
    QCOMPARE(first.frames().size(), 6);

    FakeChannel second;
    m_session->attach(&second);
    QHash<QString, quint64> seen;
    if (lastSeq.isValid())
        seen.insert(QStringLiteral("s1"), lastSeq.toULongLong());
    const qint64 before = wallClockUs();
    m_session->replay(seen, {});

    // Resent frames keep their seq, ts and values; oldest first.
    const QList<QVariantMap> frames = second.frames();
    QCOMPARE(frames.size(), resent);
    QCOMPARE(second.seqs(QStringLiteral("s1")), resent ? range(firstResent, quint64(total)) : QList<quint64>());
    for (qsizetype i = 0; i < frames.size(); ++i) {
        const QVariantMap &f = frames.at(i);
        const qint64 seq = f.value(QStringLiteral("seq")).toLongLong();
        QCOMPARE(f.value(QStringLiteral("ts")).toLongLong(), m_t0 + seq * kSampleIntervalUs);
        QCOMPARE(f.value(QStringLiteral("values")).toMap(),
                 (QVariantMap{{QStringLiteral("a"), double(seq)}, {QStringLiteral("b"), 100.0}}));
        QVERIFY(f.value(QStringLiteral("sent")).toLongLong() >= before);
        QCOMPARE(f.contains(QStringLiteral("gap")), i == 0 && firstGap);
    }

    // Then live traffic: a stream not named restarts with a key frame marked gap.
    second.received.clear();
    sample(m_dev.id, total + 1);
    const QVariantMap s1 = second.frames(QStringLiteral("s1")).value(0);
    const QVariantMap s2 = second.frames(QStringLiteral("s2")).value(0);
    QCOMPARE(s1.value(QStringLiteral("seq")), QVariant(qlonglong(total + 1)));
    QCOMPARE(s2.value(QStringLiteral("seq")), QVariant(qlonglong(total + 1)));
    QCOMPARE(s2.value(QStringLiteral("key")), QVariant(true));
    QCOMPARE(s2.value(QStringLiteral("gap")), QVariant(true));
    QCOMPARE(s1.contains(QStringLiteral("gap")), !lastSeq.isValid());

    for (const StreamStats &s : m_session->streamStats())
        QCOMPARE(s.framesProduced, quint64(total + 1));
}

void TestSession::resultsComeFirstOnReplay()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    FakeChannel first;
    m_session->attach(&first);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    sample(m_dev.id, 1);

    // Finished longer ago than the grace: not kept for a resume.
    m_session->deliverResult(finished(QStringLiteral("c-stale"), now - kGraceMs - 5000), qlonglong(1));
    m_session->deliverResult(finished(QStringLiteral("c-seen")), qlonglong(2));
    m_session->deliverResult(finished(QStringLiteral("c-unseen")), QStringLiteral("req-3"));
    // Attached: each result goes out at once.
    QCOMPARE(first.messages(QStringLiteral("result")).size(), 3);
    QCOMPARE(first.messages(QStringLiteral("result")).at(2).value(QStringLiteral("id")).toString(),
             QStringLiteral("req-3"));

    m_session->detach();
    CommandResult failed = finished(QStringLiteral("c-detached"));
    failed.status = CommandResult::Status::Error;
    failed.errorCode = QStringLiteral("device_unavailable");
    failed.errorMessage = QStringLiteral("device dev went away");
    m_session->deliverResult(failed, qlonglong(4));
    sample(m_dev.id, 2);
    sample(m_dev.id, 3);
    QCOMPARE(first.received.size(), 4);

    FakeChannel second;
    m_session->attach(&second);
    m_session->replay({{QStringLiteral("s1"), 1}}, {QStringLiteral("c-seen")});

    // Results not in results_seen, in the order they finished, then the frames.
    QCOMPARE(second.received.size(), 4);
    QVERIFY(!second.received.at(0).telemetry);
    QVERIFY(!second.received.at(1).telemetry);
    const QVariantMap unseen = second.received.at(0).message;
    QCOMPARE(unseen.value(QStringLiteral("type")).toString(), QStringLiteral("result"));
    QCOMPARE(unseen.value(QStringLiteral("command_id")).toString(), QStringLiteral("c-unseen"));
    QCOMPARE(unseen.value(QStringLiteral("id")).toString(), QStringLiteral("req-3"));
    const QVariantMap detached = second.received.at(1).message;
    QCOMPARE(detached.value(QStringLiteral("command_id")).toString(), QStringLiteral("c-detached"));
    QCOMPARE(detached.value(QStringLiteral("id")), QVariant(qlonglong(4)));
    QCOMPARE(detached.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(detached.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("device_unavailable"));
    QCOMPARE(second.seqs(QStringLiteral("s1")), range(2, 3));
    QVERIFY(second.received.at(2).telemetry);

    // A second resume resends them again: the client names what it has.
    FakeChannel third;
    m_session->attach(&third);
    m_session->replay({{QStringLiteral("s1"), 3}}, {});
    QStringList ids;
    for (const QVariantMap &r : third.messages(QStringLiteral("result")))
        ids.append(r.value(QStringLiteral("command_id")).toString());
    QCOMPARE(ids, (QStringList{QStringLiteral("c-seen"), QStringLiteral("c-unseen"),
                               QStringLiteral("c-detached")}));
    QVERIFY(third.frames().isEmpty());
}

void TestSession::detachedSessionSendsNothing()
{
    FakeChannel channel;
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    channel.writable = false;
    sample(m_dev.id, 1);
    sample(m_dev.id, 2);

    // A frame waiting when the connection goes is simply one more held frame.
    m_session->detach();
    QVERIFY(m_session->detachedForMs() >= 0);
    channel.writable = true;
    m_session->channelDrained();
    m_session->sendControl(QVariantMap{{QStringLiteral("type"), QStringLiteral("event")}});
    m_session->deliverResult(finished(QStringLiteral("c1")), qlonglong(1));
    sample(m_dev.id, 3);
    QVERIFY(channel.received.isEmpty());

    FakeChannel next;
    m_session->attach(&next);
    QCOMPARE(m_session->detachedForMs(), qint64(-1));
    m_session->replay({{QStringLiteral("s1"), 0}}, {QStringLiteral("c1")});
    QCOMPARE(next.seqs(QStringLiteral("s1")), range(1, 3));
    QVERIFY(next.messages(QStringLiteral("result")).isEmpty());
}

void TestSession::closeStreamsOfOneDevice()
{
    FakeChannel channel;
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    m_session->addStream(QStringLiteral("s2"), spec(m_dev2), m_dev2, std::nullopt);
    m_session->addStream(QStringLiteral("s3"), spec(m_dev, {{QStringLiteral("mode"), QStringLiteral("delta")}}),
                         m_dev, std::nullopt);
    QCOMPARE(m_session->streamCount(), 3);

    QStringList closed = m_session->closeStreamsOf(QStringLiteral("dev"));
    closed.sort();
    QCOMPARE(closed, (QStringList{QStringLiteral("s1"), QStringLiteral("s3")}));
    QCOMPARE(m_session->streamCount(), 1);
    QVERIFY(!m_session->hasStream(QStringLiteral("s1")));
    QVERIFY(m_session->hasStream(QStringLiteral("s2")));
    QVERIFY(!m_session->hasStream(QStringLiteral("s3")));
    const QVariantList described = m_session->describeStreams();
    QCOMPARE(described.size(), 1);
    QCOMPARE(described.at(0).toMap().value(QStringLiteral("stream")).toString(), QStringLiteral("s2"));
    QCOMPARE(m_hub->memberCount(), 1);

    sample(m_dev.id, 1);
    QVERIFY(channel.frames().isEmpty());
    sample(m_dev2.id, 1);
    QCOMPARE(channel.seqs(QStringLiteral("s2")), QList<quint64>{1});
    QVERIFY(m_session->closeStreamsOf(QStringLiteral("dev")).isEmpty());
}

void TestSession::liveFramesCountInTheLatencyWindow()
{
    FakeChannel channel;
    m_session->attach(&channel);
    m_session->addStream(QStringLiteral("s1"), spec(m_dev), m_dev, std::nullopt);
    for (int n = 1; n <= 5; ++n)
        sample(m_dev.id, n);
    m_session->detach();
    for (int n = 6; n <= 8; ++n)
        sample(m_dev.id, n);

    // A session made long after the hub started: its frames are in the
    // window the metrics read on the hub's clock.
    QCOMPARE(m_latency->summary(m_clockMs).count, qint64(5));
    const LatencySummary live = m_latency->summary(m_clockMs);
    // The samples are a minute old.
    QVERIFY2(live.minMs >= 59000 && live.maxMs < 120000, qPrintable(QString::number(live.minMs)));

    // Replayed frames are not live: they are not counted.
    FakeChannel next;
    m_session->attach(&next);
    m_session->replay({{QStringLiteral("s1"), 0}}, {});
    QCOMPARE(next.frames().size(), 8);
    QCOMPARE(m_latency->summary(m_clockMs).count, qint64(5));

    // A minute later on that clock they have left the window.
    m_clockMs += 61000;
    QCOMPARE(m_latency->summary(m_clockMs).count, qint64(0));
}

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
