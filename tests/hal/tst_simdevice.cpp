#include "device.h"
#include "deviceplugin.h"

#include <QElapsedTimer>
#include <QPluginLoader>
#include <QSignalSpy>
#include <QTest>

#include <chrono>
#include <cmath>
#include <memory>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

constexpr double kPi = 3.14159265358979323846;

qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

double valueOf(const Sample &sample, const QString &channel)
{
    for (const ChannelValue &v : sample.values) {
        if (v.channel == channel)
            return v.value.toDouble();
    }
    return qQNaN();
}

// Records every sample with the wall time it arrived.
struct SampleLog
{
    QList<Sample> samples;
    QList<qint64> arrivalUs;

    void attach(Device *device)
    {
        QObject::connect(device, &Device::sampleReady, device, [this](const Sample &s) {
            samples << s;
            arrivalUs << nowUs();
        });
    }
};

} // namespace

class TestSimDevice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void info_data();
    void info();
    void stateBeforeAndAfterOpen();

    void samplesAtConfiguredRate_data();
    void samplesAtConfiguredRate();
    void valuesFollowFormulas();

    void answersAreAsynchronous_data();
    void answersAreAsynchronous();
    void echoReturnsParams();
    void failAnswersDeviceError();
    void setHoldsAndReleases_data();
    void setHoldsAndReleases();
    void sleepAnswersAfterDelay();
    void sleepAbortedNeverAnswers();
    void unplugGoesAwayAndComesBack_data();
    void unplugGoesAwayAndComesBack();
    void closeStopsSamples();

private:
    std::unique_ptr<Device> makeDevice(const QVariantMap &config);
    std::unique_ptr<Device> openDevice(double rateHz);
    static CommandOutcome outcomeOf(const QSignalSpy &spy, int row);

    QPluginLoader m_loader;
    DevicePlugin *m_plugin = nullptr;
};

void TestSimDevice::initTestCase()
{
    qRegisterMetaType<halhub::Sample>("halhub::Sample");
    qRegisterMetaType<halhub::CommandOutcome>("halhub::CommandOutcome");
    qRegisterMetaType<halhub::DeviceState>("halhub::DeviceState");

    m_loader.setFileName(QStringLiteral(HALHUB_PLUGIN_DIR "/halhub_sim"));
    QObject *instance = m_loader.instance();
    QVERIFY2(instance, qPrintable(m_loader.errorString()));
    m_plugin = qobject_cast<DevicePlugin *>(instance);
    QVERIFY(m_plugin);
}

std::unique_ptr<Device> TestSimDevice::makeDevice(const QVariantMap &config)
{
    if (!m_plugin->checkConfig(config).isEmpty())
        return nullptr;
    return std::unique_ptr<Device>(m_plugin->createDevice(config));
}

std::unique_ptr<Device> TestSimDevice::openDevice(double rateHz)
{
    auto device = makeDevice({{QStringLiteral("id"), QStringLiteral("sim0")},
                              {QStringLiteral("plugin"), QStringLiteral("sim")},
                              {QStringLiteral("rate_hz"), rateHz}});
    if (device)
        device->open();
    return device;
}

CommandOutcome TestSimDevice::outcomeOf(const QSignalSpy &spy, int row)
{
    return spy.at(row).at(1).value<CommandOutcome>();
}

void TestSimDevice::info_data()
{
    QTest::addColumn<QVariantMap>("config");
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("rateHz");

    const QVariantMap base{{QStringLiteral("id"), QStringLiteral("bench")},
                           {QStringLiteral("plugin"), QStringLiteral("sim")}};
    QTest::addRow("defaults: name is the id, 100 Hz") << base << u"bench"_s << 100.0;
    QVariantMap named = base;
    named.insert(QStringLiteral("name"), QStringLiteral("Bench simulator"));
    named.insert(QStringLiteral("rate_hz"), 250);
    QTest::addRow("configured name and rate") << named << u"Bench simulator"_s << 250.0;
}

void TestSimDevice::info()
{
    QFETCH(QVariantMap, config);
    QFETCH(QString, name);
    QFETCH(double, rateHz);

    auto device = makeDevice(config);
    QVERIFY(device);
    const DeviceInfo info = device->info();
    QCOMPARE(info.id, QStringLiteral("bench"));
    QCOMPARE(info.plugin, QStringLiteral("sim"));
    QCOMPARE(info.name, name);
    QVERIFY(info.port.isEmpty());
    QVERIFY(info.rateHz.has_value());
    QCOMPARE(*info.rateHz, rateHz);
    QVERIFY(!info.dynamicChannels);
    QVERIFY(!info.anyCommand);

    QStringList channels;
    for (const ChannelInfo &c : info.channels) {
        channels << c.name;
        QCOMPARE(c.type, ChannelType::Float);
    }
    QCOMPARE(channels, (QStringList{u"sine"_s, u"ramp"_s, u"noise"_s, u"step"_s}));

    QStringList commands;
    for (const CommandSpec &c : info.commands)
        commands << c.name;
    QCOMPARE(commands, (QStringList{u"echo"_s, u"set"_s, u"sleep"_s, u"fail"_s, u"unplug"_s}));

    const CommandSpec *set = info.command(QStringLiteral("set"));
    QCOMPARE(set->params.size(), 2);
    QCOMPARE(set->params[0].name, QStringLiteral("channel"));
    QCOMPARE(set->params[0].type, ParamType::String);
    QVERIFY(set->params[0].required);
    QCOMPARE(set->params[0].allowed, channels);
    QCOMPARE(set->params[1].name, QStringLiteral("value"));
    QCOMPARE(set->params[1].type, ParamType::Number);
    QVERIFY(!set->params[1].required);

    const CommandSpec *sleep = info.command(QStringLiteral("sleep"));
    QCOMPARE(sleep->params.size(), 1);
    QCOMPARE(sleep->params[0].type, ParamType::Integer);
    QVERIFY(sleep->params[0].required);
    QCOMPARE(sleep->params[0].minimum, std::optional<double>(0));
    QCOMPARE(sleep->params[0].maximum, std::optional<double>(60000));

    const CommandSpec *unplug = info.command(QStringLiteral("unplug"));
    QCOMPARE(unplug->params.size(), 1);
    QVERIFY(!unplug->params[0].required);
    QCOMPARE(unplug->params[0].maximum, std::optional<double>(60000));

    QVERIFY(info.command(QStringLiteral("echo"))->params.isEmpty());
    QVERIFY(info.command(QStringLiteral("fail"))->params.isEmpty());
}

void TestSimDevice::stateBeforeAndAfterOpen()
{
    auto device = makeDevice({{QStringLiteral("id"), QStringLiteral("sim0")}});
    QVERIFY(device);
    QSignalSpy states(device.get(), &Device::stateChanged);
    QSignalSpy samples(device.get(), &Device::sampleReady);
    QCOMPARE(device->state(), DeviceState::Connecting);
    QCOMPARE(device->info().state, DeviceState::Connecting);
    QTest::qWait(50);
    QCOMPARE(samples.count(), 0);   // nothing before open()

    device->open();
    QCOMPARE(device->state(), DeviceState::Connected);
    QCOMPARE(device->info().state, DeviceState::Connected);
    QCOMPARE(states.count(), 1);
    QCOMPARE(states.at(0).at(0).value<DeviceState>(), DeviceState::Connected);
    QTRY_VERIFY(samples.count() > 0);
}

void TestSimDevice::samplesAtConfiguredRate_data()
{
    QTest::addColumn<double>("rateHz");
    QTest::addRow("1000 Hz, the maximum") << 1000.0;
    QTest::addRow("333 Hz, period not a whole millisecond") << 333.0;
    QTest::addRow("100 Hz, the default") << 100.0;
}

void TestSimDevice::samplesAtConfiguredRate()
{
    QFETCH(double, rateHz);

    const qint64 openedUs = nowUs();
    auto device = openDevice(rateHz);
    QVERIFY(device);
    SampleLog log;
    log.attach(device.get());

    // One second's worth of samples, counted from the first.
    const int wanted = int(rateHz) + 1;
    QTRY_VERIFY_WITH_TIMEOUT(log.samples.size() >= wanted, 5000);

    const QList<Sample> &samples = log.samples;
    const double periodUs = 1e6 / rateHz;
    // The grid sets the rate: sample i is never made before open + i
    // periods (never faster than the rate), and not much after (it keeps up).
    for (int i = 0; i < samples.size(); ++i) {
        const double gridUs = double(openedUs) + double(i) * periodUs;
        const double aheadUs = gridUs - double(samples[i].timestampUs);
        // A millisecond for the wall clock being slewed against the monotonic one.
        QVERIFY2(aheadUs <= 1000,
                 qPrintable(QStringLiteral("sample %1 stamped %2 us before its grid time")
                                    .arg(i).arg(aheadUs)));
        QVERIFY2(-aheadUs <= 100000,
                 qPrintable(QStringLiteral("sample %1 made %2 ms after its grid time")
                                    .arg(i).arg(-aheadUs / 1000)));
        if (i > 0)
            QVERIFY2(samples[i].timestampUs > samples[i - 1].timestampUs, "stamps not increasing");
    }

    // The stamp is the time the sample is made: it arrives at once.
    QVERIFY(samples.first().timestampUs >= openedUs);
    for (int i = 0; i < samples.size(); ++i) {
        const qint64 lateUs = log.arrivalUs[i] - samples[i].timestampUs;
        QVERIFY2(lateUs >= -2000, "a sample was stamped in the future");
        QVERIFY2(lateUs <= 20000,
                 qPrintable(QStringLiteral("sample %1 arrived %2 ms late").arg(i).arg(lateUs / 1000)));
    }
    for (const Sample &s : samples)
        QCOMPARE(s.device, QStringLiteral("sim0"));
}

void TestSimDevice::valuesFollowFormulas()
{
    auto device = openDevice(500);
    QVERIFY(device);
    SampleLog log;
    log.attach(device.get());
    // A little over a second: one full sine period and at least one step toggle.
    QTRY_VERIFY_WITH_TIMEOUT(log.samples.size() >= 560, 5000);

    double sum = 0;
    double sumSquares = 0;
    QSet<int> steps;
    double sineMin = 2;
    double sineMax = -2;
    for (const Sample &s : std::as_const(log.samples)) {
        QCOMPARE(s.values.size(), 4);
        const double t = double(s.timestampUs) / 1e6;
        const double sine = valueOf(s, QStringLiteral("sine"));
        QVERIFY2(std::abs(sine - std::sin(2 * kPi * t)) < 1e-4,
                 qPrintable(QStringLiteral("sine %1 at t=%2").arg(sine).arg(t, 0, 'f', 6)));
        const double ramp = valueOf(s, QStringLiteral("ramp"));
        double rampError = std::abs(ramp - std::fmod(t, 10.0));
        rampError = std::min(rampError, 10.0 - rampError);   // either side of the wrap
        QVERIFY2(rampError < 1e-4, qPrintable(QStringLiteral("ramp %1 at t=%2").arg(ramp).arg(t)));
        QVERIFY(ramp >= 0 && ramp < 10);
        const double step = valueOf(s, QStringLiteral("step"));
        QCOMPARE(step, double((s.timestampUs / 1000000) % 2));
        steps.insert(int(step));
        sineMin = std::min(sineMin, sine);
        sineMax = std::max(sineMax, sine);
        const double noise = valueOf(s, QStringLiteral("noise"));
        QVERIFY(std::isfinite(noise));
        sum += noise;
        sumSquares += noise * noise;
    }
    QCOMPARE(steps, (QSet<int>{0, 1}));
    QVERIFY(sineMax > 0.99 && sineMin < -0.99);
    const double n = log.samples.size();
    const double mean = sum / n;
    const double sd = std::sqrt(sumSquares / n - mean * mean);
    QVERIFY2(std::abs(mean) < 0.2, qPrintable(QStringLiteral("noise mean %1").arg(mean)));
    QVERIFY2(sd > 0.85 && sd < 1.15, qPrintable(QStringLiteral("noise sd %1").arg(sd)));
}

void TestSimDevice::answersAreAsynchronous_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");
    QTest::addRow("echo") << u"echo"_s << QVariantMap{{QStringLiteral("a"), 1}};
    QTest::addRow("set") << u"set"_s << QVariantMap{{QStringLiteral("channel"), QStringLiteral("sine")},
                                                 {QStringLiteral("value"), 1.0}};
    QTest::addRow("sleep 0 ms") << u"sleep"_s << QVariantMap{{QStringLiteral("ms"), 0}};
    QTest::addRow("fail") << u"fail"_s << QVariantMap();
    QTest::addRow("unplug 0 ms") << u"unplug"_s << QVariantMap{{QStringLiteral("ms"), 0}};
}

void TestSimDevice::answersAreAsynchronous()
{
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);
    auto device = openDevice(100);
    QSignalSpy finished(device.get(), &Device::commandFinished);
    device->startCommand(7, command, params);
    QCOMPARE(finished.count(), 0);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toULongLong(), 7ull);
}

void TestSimDevice::echoReturnsParams()
{
    auto device = openDevice(100);
    QSignalSpy finished(device.get(), &Device::commandFinished);
    const QVariantMap params{{QStringLiteral("text"), QStringLiteral("hello")},
                             {QStringLiteral("n"), 42},
                             {QStringLiteral("list"), QVariantList{1, QStringLiteral("two")}}};
    device->startCommand(1, QStringLiteral("echo"), params);
    QTRY_COMPARE(finished.count(), 1);
    const CommandOutcome outcome = outcomeOf(finished, 0);
    QCOMPARE(outcome.status, CommandOutcome::Status::Ok);
    QCOMPARE(outcome.result.toMap(), params);
}

void TestSimDevice::failAnswersDeviceError()
{
    auto device = openDevice(100);
    QSignalSpy finished(device.get(), &Device::commandFinished);
    device->startCommand(3, QStringLiteral("fail"), {});
    QTRY_COMPARE(finished.count(), 1);
    const CommandOutcome outcome = outcomeOf(finished, 0);
    QCOMPARE(outcome.status, CommandOutcome::Status::Error);
    QCOMPARE(outcome.errorCode, QStringLiteral("device_error"));
    QCOMPARE(outcome.errorMessage, QStringLiteral("simulated failure"));
    QCOMPARE(device->state(), DeviceState::Connected);
}

void TestSimDevice::setHoldsAndReleases_data()
{
    QTest::addColumn<QString>("channel");
    QTest::addColumn<double>("value");
    QTest::addColumn<bool>("releaseWithNull");
    QTest::addRow("sine held, released by value null") << u"sine"_s << 5.5 << true;
    QTest::addRow("noise held, released without value") << u"noise"_s << -2.25 << false;
    QTest::addRow("step held at 7") << u"step"_s << 7.0 << true;
}

void TestSimDevice::setHoldsAndReleases()
{
    QFETCH(QString, channel);
    QFETCH(double, value);
    QFETCH(bool, releaseWithNull);

    auto device = openDevice(200);
    SampleLog log;
    log.attach(device.get());
    QSignalSpy finished(device.get(), &Device::commandFinished);

    device->startCommand(1, QStringLiteral("set"),
                         {{QStringLiteral("channel"), channel}, {QStringLiteral("value"), value}});
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(outcomeOf(finished, 0).status, CommandOutcome::Status::Ok);
    int mark = log.samples.size();
    QTRY_VERIFY(log.samples.size() >= mark + 20);
    for (int i = mark; i < log.samples.size(); ++i)
        QCOMPARE(valueOf(log.samples[i], channel), value);
    // Other channels go on as before.
    const Sample &held = log.samples.last();
    const QString other = channel == QLatin1String("ramp") ? QStringLiteral("sine")
                                                          : QStringLiteral("ramp");
    QVERIFY(valueOf(held, other) != value);

    QVariantMap release{{QStringLiteral("channel"), channel}};
    if (releaseWithNull)
        release.insert(QStringLiteral("value"), QVariant::fromValue(nullptr));
    device->startCommand(2, QStringLiteral("set"), release);
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(outcomeOf(finished, 1).status, CommandOutcome::Status::Ok);
    mark = log.samples.size();
    QTRY_VERIFY(log.samples.size() >= mark + 20);
    int stillHeld = 0;
    for (int i = mark; i < log.samples.size(); ++i) {
        if (valueOf(log.samples[i], channel) == value)
            ++stillHeld;
    }
    QCOMPARE(stillHeld, 0);
}

void TestSimDevice::sleepAnswersAfterDelay()
{
    auto device = openDevice(100);
    QSignalSpy finished(device.get(), &Device::commandFinished);
    QElapsedTimer clock;
    clock.start();
    device->startCommand(9, QStringLiteral("sleep"), {{QStringLiteral("ms"), 200}});
    QTRY_COMPARE(finished.count(), 1);
    QVERIFY2(clock.elapsed() >= 195, qPrintable(QString::number(clock.elapsed())));
    const CommandOutcome outcome = outcomeOf(finished, 0);
    QCOMPARE(outcome.status, CommandOutcome::Status::Ok);
    QVERIFY(outcome.result.isNull());
    QCOMPARE(finished.at(0).at(0).toULongLong(), 9ull);
}

void TestSimDevice::sleepAbortedNeverAnswers()
{
    auto device = openDevice(100);
    QSignalSpy finished(device.get(), &Device::commandFinished);
    device->startCommand(1, QStringLiteral("sleep"), {{QStringLiteral("ms"), 100}});
    device->abortCommand(1);
    // A longer sleep started later: when it answers, the aborted one would have.
    device->startCommand(2, QStringLiteral("sleep"), {{QStringLiteral("ms"), 250}});
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toULongLong(), 2ull);
    // Aborting what already finished, or never existed, changes nothing.
    device->abortCommand(2);
    device->abortCommand(99);
    device->startCommand(3, QStringLiteral("echo"), {});
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(finished.at(1).at(0).toULongLong(), 3ull);
}

void TestSimDevice::unplugGoesAwayAndComesBack_data()
{
    QTest::addColumn<QVariantMap>("params");
    QTest::addColumn<int>("awayMs");
    QTest::addRow("300 ms") << QVariantMap{{QStringLiteral("ms"), 300}} << 300;
    QTest::addRow("default 1000 ms") << QVariantMap() << 1000;
}

void TestSimDevice::unplugGoesAwayAndComesBack()
{
    QFETCH(QVariantMap, params);
    QFETCH(int, awayMs);

    auto device = openDevice(200);
    SampleLog log;
    log.attach(device.get());
    QTRY_VERIFY(log.samples.size() >= 5);

    // What happened, in order: "answer", "disconnected@N", "connected@N"
    // with N the number of samples seen at that point.
    QStringList events;
    QElapsedTimer clock;
    qint64 awayFor = -1;
    qint64 connectedUs = 0;
    connect(device.get(), &Device::commandFinished, this,
            [&events](quint64, const CommandOutcome &o) {
                events << (o.status == CommandOutcome::Status::Ok ? QStringLiteral("ok")
                                                                   : o.errorCode);
            });
    connect(device.get(), &Device::stateChanged, this, [&](DeviceState state) {
        if (state == DeviceState::Disconnected) {
            clock.start();
        } else {
            awayFor = clock.elapsed();
            connectedUs = nowUs();
        }
        events << QStringLiteral("%1@%2").arg(deviceStateName(state)).arg(log.samples.size());
    });

    QSignalSpy finished(device.get(), &Device::commandFinished);
    device->startCommand(5, QStringLiteral("unplug"), params);
    // A sleep running when the device goes: it is lost with the device.
    device->startCommand(6, QStringLiteral("sleep"), {{QStringLiteral("ms"), 5000}});
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(finished.at(0).at(0).toULongLong(), 5ull);
    QCOMPARE(outcomeOf(finished, 0).status, CommandOutcome::Status::Ok);
    QCOMPARE(device->state(), DeviceState::Disconnected);
    QCOMPARE(finished.at(1).at(0).toULongLong(), 6ull);
    QCOMPARE(outcomeOf(finished, 1).errorCode, QStringLiteral("device_unavailable"));

    // Commands to an absent device are refused, still asynchronously.
    device->startCommand(7, QStringLiteral("echo"), {});
    QCOMPARE(finished.count(), 2);
    QTRY_COMPARE(finished.count(), 3);
    QCOMPARE(outcomeOf(finished, 2).errorCode, QStringLiteral("device_unavailable"));

    QTRY_VERIFY_WITH_TIMEOUT(device->state() == DeviceState::Connected, awayMs + 3000);
    QVERIFY2(awayFor >= awayMs - 5, qPrintable(QString::number(awayFor)));
    QCOMPARE(events.size(), 5);
    QCOMPARE(events[0], QStringLiteral("ok"));
    QVERIFY(events[1].startsWith(QLatin1String("disconnected@")));
    QCOMPARE(events[2], QStringLiteral("device_unavailable"));
    QVERIFY(events[4].startsWith(QLatin1String("connected@")));
    // No sample while away.
    QCOMPARE(events[4].section(QLatin1Char('@'), 1), events[1].section(QLatin1Char('@'), 1));

    // The first sample after the return, on the grid and after the time away.
    const int back = events[4].section(QLatin1Char('@'), 1).toInt();
    QTRY_VERIFY(log.samples.size() >= back + 10);
    const qint64 gapUs = log.samples[back].timestampUs - log.samples[back - 1].timestampUs;
    QVERIFY2(gapUs >= qint64(awayMs - 10) * 1000, qPrintable(QString::number(gapUs)));
    // Then on the 200 Hz grid again, which starts after the return: sample
    // back + k is made k periods after it at the earliest (never faster than
    // the rate), and not much later (it keeps up).
    for (int i = back; i < log.samples.size(); ++i) {
        const qint64 sinceUs = log.samples[i].timestampUs - connectedUs;
        const qint64 gridUs = qint64(i - back) * 5000;
        QVERIFY2(sinceUs >= gridUs - 1000 && sinceUs <= gridUs + 100000,
                 qPrintable(QStringLiteral("sample %1 at +%2 us, grid +%3 us")
                                    .arg(i - back).arg(sinceUs).arg(gridUs)));
        if (i > back)
            QVERIFY(log.samples[i].timestampUs > log.samples[i - 1].timestampUs);
    }
}

void TestSimDevice::closeStopsSamples()
{
    auto device = openDevice(1000);
    SampleLog log;
    log.attach(device.get());
    QSignalSpy finished(device.get(), &Device::commandFinished);
    QTRY_VERIFY(log.samples.size() >= 5);
    device->startCommand(1, QStringLiteral("sleep"), {{QStringLiteral("ms"), 50}});
    device->close();
    QCOMPARE(device->state(), DeviceState::Disconnected);
    const int count = log.samples.size();
    QTest::qWait(150);
    QCOMPARE(log.samples.size(), count);
    QCOMPARE(finished.count(), 0);
}

QTEST_GUILESS_MAIN(TestSimDevice)
#include "tst_simdevice.moc"
