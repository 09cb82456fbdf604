#include "protocol/messages.h"
#include "telemetry/streamspec.h"
#include "streamfixtures.h"

#include <QTest>

using namespace halhub;
using namespace halhub::test;

namespace {

DeviceInfo pushDevice()
{
    DeviceInfo d;
    d.id = QStringLiteral("ard0");
    d.plugin = QStringLiteral("linestream");
    d.state = DeviceState::Connected;
    d.dynamicChannels = true;
    d.anyCommand = true;
    d.channels = {{QStringLiteral("temp"), QString(), ChannelType::Float},
                  {QStringLiteral("count"), QString(), ChannelType::Int}};
    return d;
}

QVariant null() { return QVariant::fromValue(nullptr); }

QVariantMap req(std::initializer_list<std::pair<const char *, QVariant>> fields)
{
    QVariantMap m;
    m.insert(QStringLiteral("device"), QStringLiteral("sim0"));
    for (const auto &f : fields)
        m.insert(QString::fromLatin1(f.first), f.second);
    return m;
}

} // namespace

class TestStreamSpec : public QObject
{
    Q_OBJECT

private slots:
    void refused_data();
    void refused();
    void grantedRate_data();
    void grantedRate();
    void defaultsAndNulls();
    void channelsDeduplicatedInOrder();
    void pushDeviceAcceptsNewChannelNames();
    void deadbandPerChannel();
    void keyframeAccepted_data();
    void keyframeAccepted();
    void customSpec();
    void customWithChannels();
    void describe();
};

void TestStreamSpec::refused_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<QString>("expected");

    const QString mode = QStringLiteral("mode must be one of full, delta, sampled, custom");
    const QString rate = QStringLiteral("rate_hz must be a number in (0, 1000]");
    const QString channels = QStringLiteral("channels must be a non-empty list of channel names");
    const QString deadband =
            QStringLiteral("deadband must be a number >= 0 or a map {channel: number >= 0}");
    const QString keyframe = QStringLiteral("keyframe_ms must be an integer in 1..3600000");
    const QString custom =
            QStringLiteral("custom must be a non-empty map {channel: {rate_hz?, deadband?}}");

    QTest::addRow("mode unknown") << req({{"mode", QStringLiteral("fast")}}) << mode;
    QTest::addRow("mode upper case") << req({{"mode", QStringLiteral("FULL")}}) << mode;
    QTest::addRow("mode number") << req({{"mode", 1}}) << mode;
    QTest::addRow("mode empty") << req({{"mode", QString()}}) << mode;

    QTest::addRow("rate zero") << req({{"rate_hz", 0}}) << rate;
    QTest::addRow("rate negative") << req({{"rate_hz", -5.0}}) << rate;
    QTest::addRow("rate above 1000") << req({{"rate_hz", 1000.5}}) << rate;
    QTest::addRow("rate huge unsigned") << req({{"rate_hz", QVariant::fromValue(qulonglong(1) << 63)}})
                                        << rate;
    QTest::addRow("rate string") << req({{"rate_hz", QStringLiteral("10")}}) << rate;
    QTest::addRow("rate bool") << req({{"rate_hz", true}}) << rate;
    QTest::addRow("rate list") << req({{"rate_hz", QVariantList{10}}}) << rate;
    QTest::addRow("sampled without rate") << req({{"mode", QStringLiteral("sampled")}})
                                          << QStringLiteral("rate_hz is required in sampled mode");
    QTest::addRow("sampled with null rate")
            << req({{"mode", QStringLiteral("sampled")}, {"rate_hz", null()}})
            << QStringLiteral("rate_hz is required in sampled mode");

    QTest::addRow("channels string") << req({{"channels", QStringLiteral("sine")}}) << channels;
    QTest::addRow("channels empty") << req({{"channels", QVariantList()}}) << channels;
    QTest::addRow("channels number item") << req({{"channels", QVariantList{QStringLiteral("sine"), 3}}})
                                          << channels;
    QTest::addRow("channels empty name") << req({{"channels", names({"sine", ""})}}) << channels;
    QTest::addRow("channels map") << req({{"channels", map({{"sine", true}})}}) << channels;
    QTest::addRow("channels unknown name") << req({{"channels", names({"sine", "cosine"})}})
                                           << QStringLiteral("channels: device 'sim0' has no channel 'cosine'");

    QTest::addRow("deadband negative") << req({{"deadband", -0.1}}) << deadband;
    QTest::addRow("deadband string") << req({{"deadband", QStringLiteral("0.1")}}) << deadband;
    QTest::addRow("deadband bool") << req({{"deadband", false}}) << deadband;
    QTest::addRow("deadband list") << req({{"deadband", QVariantList{0.1}}}) << deadband;
    QTest::addRow("deadband map negative") << req({{"deadband", map({{"sine", -1}})}}) << deadband;
    QTest::addRow("deadband map string") << req({{"deadband", map({{"sine", QStringLiteral("x")}})}})
                                         << deadband;
    QTest::addRow("deadband map unknown channel") << req({{"deadband", map({{"cosine", 1}})}})
                                                  << QStringLiteral("deadband: device 'sim0' has no channel 'cosine'");

    QTest::addRow("keyframe zero") << req({{"keyframe_ms", 0}}) << keyframe;
    QTest::addRow("keyframe negative") << req({{"keyframe_ms", -100}}) << keyframe;
    QTest::addRow("keyframe above an hour") << req({{"keyframe_ms", 3600001}}) << keyframe;
    QTest::addRow("keyframe fraction") << req({{"keyframe_ms", 500.5}}) << keyframe;
    QTest::addRow("keyframe float") << req({{"keyframe_ms", 500.0}}) << keyframe;
    QTest::addRow("keyframe string") << req({{"keyframe_ms", QStringLiteral("500")}}) << keyframe;
    QTest::addRow("keyframe huge unsigned")
            << req({{"keyframe_ms", QVariant::fromValue(std::numeric_limits<qulonglong>::max())}})
            << keyframe;

    QTest::addRow("custom mode without custom") << req({{"mode", QStringLiteral("custom")}})
                                                << QStringLiteral("custom is required in custom mode");
    QTest::addRow("custom mode with null custom")
            << req({{"mode", QStringLiteral("custom")}, {"custom", null()}})
            << QStringLiteral("custom is required in custom mode");
    QTest::addRow("custom empty") << req({{"mode", QStringLiteral("custom")}, {"custom", QVariantMap()}})
                                  << custom;
    QTest::addRow("custom list") << req({{"mode", QStringLiteral("custom")}, {"custom", names({"sine"})}})
                                 << custom;
    QTest::addRow("custom entry not a map")
            << req({{"mode", QStringLiteral("custom")}, {"custom", map({{"sine", 10}})}}) << custom;
    QTest::addRow("custom unknown channel")
            << req({{"mode", QStringLiteral("custom")}, {"custom", map({{"cosine", QVariantMap()}})}})
            << QStringLiteral("custom: device 'sim0' has no channel 'cosine'");
    QTest::addRow("custom rate zero")
            << req({{"mode", QStringLiteral("custom")},
                    {"custom", map({{"sine", map({{"rate_hz", 0}})}})}})
            << QStringLiteral("custom.sine.rate_hz must be a number in (0, 1000]");
    QTest::addRow("custom rate too high")
            << req({{"mode", QStringLiteral("custom")},
                    {"custom", map({{"ramp", map({{"rate_hz", 2000}})}})}})
            << QStringLiteral("custom.ramp.rate_hz must be a number in (0, 1000]");
    QTest::addRow("custom deadband negative")
            << req({{"mode", QStringLiteral("custom")},
                    {"custom", map({{"sine", map({{"deadband", -1}})}})}})
            << QStringLiteral("custom.sine.deadband must be a number >= 0");
    QTest::addRow("custom channel outside channels")
            << req({{"mode", QStringLiteral("custom")}, {"channels", names({"sine"})},
                    {"custom", map({{"ramp", QVariantMap()}})}})
            << QStringLiteral("custom: channel 'ramp' is not in channels");
    QTest::addRow("malformed custom in full mode")
            << req({{"custom", QStringLiteral("sine")}}) << custom;
}

void TestStreamSpec::refused()
{
    QFETCH(QVariantMap, request);
    QFETCH(QString, expected);

    QString error;
    const std::optional<StreamSpec> spec = parseStreamSpec(request, simDevice(), 1000, &error);
    QVERIFY(!spec);
    QCOMPARE(error, expected);
}

void TestStreamSpec::grantedRate_data()
{
    QTest::addColumn<bool>("push");
    QTest::addColumn<QVariant>("requested");
    QTest::addColumn<double>("maxRate");
    QTest::addColumn<double>("granted");

    QTest::addRow("native rate when absent") << false << QVariant() << 1000.0 << 100.0;
    QTest::addRow("native rate when null") << false << null() << 1000.0 << 100.0;
    QTest::addRow("below native") << false << QVariant(30.0) << 1000.0 << 30.0;
    QTest::addRow("integer request") << false << QVariant::fromValue(qlonglong(25)) << 1000.0 << 25.0;
    QTest::addRow("fraction") << false << QVariant(0.5) << 1000.0 << 0.5;
    QTest::addRow("capped by native") << false << QVariant(500) << 1000.0 << 100.0;
    QTest::addRow("capped by limit") << false << QVariant(80) << 50.0 << 50.0;
    QTest::addRow("native capped by limit") << false << QVariant() << 20.0 << 20.0;
    QTest::addRow("push device per sample") << true << QVariant() << 1000.0 << 0.0;
    QTest::addRow("push device requested") << true << QVariant(1000) << 1000.0 << 1000.0;
    QTest::addRow("push device capped by limit") << true << QVariant(1000) << 200.0 << 200.0;
}

void TestStreamSpec::grantedRate()
{
    QFETCH(bool, push);
    QFETCH(QVariant, requested);
    QFETCH(double, maxRate);
    QFETCH(double, granted);

    QVariantMap request;
    if (requested.isValid())
        request.insert(QStringLiteral("rate_hz"), requested);
    QString error;
    const auto spec = parseStreamSpec(request, push ? pushDevice() : simDevice(), maxRate, &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->rateHz, granted);
}

void TestStreamSpec::defaultsAndNulls()
{
    const QVariantMap request = req({{"mode", null()}, {"rate_hz", null()}, {"channels", null()},
                                     {"deadband", null()}, {"keyframe_ms", null()},
                                     {"custom", null()}, {"unknown_field", 12}});
    QString error = QStringLiteral("stale");
    const auto spec = parseStreamSpec(request, simDevice(), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    QVERIFY(error.isEmpty());
    QCOMPARE(spec->device, QStringLiteral("sim0"));
    QCOMPARE(spec->mode, StreamMode::Full);
    QCOMPARE(spec->rateHz, 100.0);
    QVERIFY(spec->allChannels);
    QCOMPARE(spec->channels, QStringList({QStringLiteral("sine"), QStringLiteral("ramp"),
                                          QStringLiteral("noise"), QStringLiteral("step")}));
    QCOMPARE(spec->deadband, 0.0);
    QCOMPARE(spec->keyframeMs, 1000);
    QVERIFY(spec->custom.isEmpty());
}

void TestStreamSpec::channelsDeduplicatedInOrder()
{
    QString error;
    const auto spec = parseStreamSpec(req({{"channels", names({"step", "sine", "step", "sine"})}}),
                                      simDevice(), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    QVERIFY(!spec->allChannels);
    QCOMPARE(spec->channels, QStringList({QStringLiteral("step"), QStringLiteral("sine")}));
}

void TestStreamSpec::pushDeviceAcceptsNewChannelNames()
{
    QString error;
    const auto spec = parseStreamSpec(
            req({{"channels", names({"humidity", "temp"})}, {"deadband", map({{"pressure", 2}})}}),
            pushDevice(), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->channels, QStringList({QStringLiteral("humidity"), QStringLiteral("temp")}));
    QCOMPARE(spec->deadbandFor(QStringLiteral("pressure")), 2.0);

    const auto all = parseStreamSpec(QVariantMap(), pushDevice(), 1000, &error);
    QVERIFY(all);
    QVERIFY(all->allChannels);
    QCOMPARE(all->channels, QStringList({QStringLiteral("temp"), QStringLiteral("count")}));
}

void TestStreamSpec::deadbandPerChannel()
{
    QString error;
    const auto single = parseStreamSpec(req({{"mode", QStringLiteral("delta")}, {"deadband", 0.25}}),
                                        simDevice(), 1000, &error);
    QVERIFY2(single, qPrintable(error));
    QCOMPARE(single->deadbandFor(QStringLiteral("sine")), 0.25);
    QCOMPARE(single->deadbandFor(QStringLiteral("step")), 0.25);

    const auto perChannel = parseStreamSpec(
            req({{"mode", QStringLiteral("delta")},
                 {"deadband", map({{"sine", 0.5}, {"ramp", QVariant::fromValue(qlonglong(2))}})}}),
            simDevice(), 1000, &error);
    QVERIFY2(perChannel, qPrintable(error));
    QCOMPARE(perChannel->deadbandFor(QStringLiteral("sine")), 0.5);
    QCOMPARE(perChannel->deadbandFor(QStringLiteral("ramp")), 2.0);
    QCOMPARE(perChannel->deadbandFor(QStringLiteral("noise")), 0.0);
}

void TestStreamSpec::keyframeAccepted_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<qint64>("expected");
    QTest::addRow("minimum") << QVariant(1) << qint64(1);
    QTest::addRow("maximum") << QVariant::fromValue(qlonglong(3600000)) << qint64(3600000);
    QTest::addRow("unsigned") << QVariant::fromValue(qulonglong(250)) << qint64(250);
}

void TestStreamSpec::keyframeAccepted()
{
    QFETCH(QVariant, value);
    QFETCH(qint64, expected);
    QString error;
    const auto spec = parseStreamSpec(req({{"keyframe_ms", value}}), simDevice(), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->keyframeMs, expected);
}

void TestStreamSpec::customSpec()
{
    QString error;
    const auto spec = parseStreamSpec(
            req({{"mode", QStringLiteral("custom")}, {"rate_hz", 20}, {"deadband", 0.1},
                 {"custom", map({{"sine", map({{"rate_hz", 500}, {"deadband", 0.5}})},
                                 {"step", map({{"rate_hz", null()}})},
                                 {"ramp", map({{"rate_hz", 5}})}})}}),
            simDevice(), 50, &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->mode, StreamMode::Custom);
    QVERIFY(!spec->allChannels);
    QCOMPARE(spec->channels.size(), 3);
    QVERIFY(spec->channels.contains(QStringLiteral("sine")));
    QVERIFY(!spec->channels.contains(QStringLiteral("noise")));
    QCOMPARE(spec->rateHz, 20.0);
    // Each channel's own rate is granted like the stream's: capped by the limit.
    QCOMPARE(spec->custom.value(QStringLiteral("sine")).rateHz, std::optional<double>(50.0));
    QCOMPARE(spec->custom.value(QStringLiteral("ramp")).rateHz, std::optional<double>(5.0));
    QVERIFY(!spec->custom.value(QStringLiteral("step")).rateHz);
    QCOMPARE(spec->deadbandFor(QStringLiteral("sine")), 0.5);
    QCOMPARE(spec->deadbandFor(QStringLiteral("ramp")), 0.1);
}

void TestStreamSpec::customWithChannels()
{
    QString error;
    const auto spec = parseStreamSpec(
            req({{"mode", QStringLiteral("custom")}, {"channels", names({"noise", "sine"})},
                 {"custom", map({{"sine", map({{"rate_hz", 10}})}})}}),
            simDevice(), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->channels, QStringList({QStringLiteral("noise"), QStringLiteral("sine")}));
    QCOMPARE(spec->rateHz, 100.0);
    QCOMPARE(spec->custom.size(), 1);
}

void TestStreamSpec::describe()
{
    QString error;
    const auto sim = parseStreamSpec(req({{"mode", QStringLiteral("delta")}, {"rate_hz", 250},
                                          {"channels", names({"ramp", "sine"})}}),
                                     simDevice(), 1000, &error);
    QVERIFY(sim);
    const QVariantMap d = messages::stream(QStringLiteral("s1"), *sim, simDevice());
    QCOMPARE(d.value(QStringLiteral("stream")).toString(), QStringLiteral("s1"));
    QCOMPARE(d.value(QStringLiteral("device")).toString(), QStringLiteral("sim0"));
    QCOMPARE(d.value(QStringLiteral("mode")).toString(), QStringLiteral("delta"));
    QCOMPARE(d.value(QStringLiteral("rate_hz")).typeId(), QMetaType::Double);
    QCOMPARE(d.value(QStringLiteral("rate_hz")).toDouble(), 100.0);
    QCOMPARE(d.value(QStringLiteral("channels")).toList(), names({"ramp", "sine"}));

    const auto push = parseStreamSpec(QVariantMap(), pushDevice(), 1000, &error);
    QVERIFY(push);
    const QVariantMap p = messages::stream(QStringLiteral("s2"), *push, pushDevice());
    QCOMPARE(p.value(QStringLiteral("device")).toString(), QStringLiteral("ard0"));
    QCOMPARE(p.value(QStringLiteral("mode")).toString(), QStringLiteral("full"));
    QCOMPARE(p.value(QStringLiteral("rate_hz")).typeId(), QMetaType::Nullptr);
    QCOMPARE(p.value(QStringLiteral("channels")).toList(), names({"temp", "count"}));
}

QTEST_GUILESS_MAIN(TestStreamSpec)
#include "tst_streamspec.moc"
