// The replay plugin, loaded by the HAL like any plugin, playing back files
// the recorder wrote: values, order and timing, speed, pause, resume, seek,
// loop, the end, and files it cannot play.

#include "fakebus.h"
#include "halmanager.h"
#include "recording/recorder.h"

#include "bus/clock.h"
#include "bus/deviceconfig.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

namespace {

struct Played
{
    qint64 stampUs = 0;
    qint64 arrivedUs = 0;
    Sample sample;
};

DeviceInfo mixedDevice()
{
    DeviceInfo info;
    info.id = QStringLiteral("src");
    info.plugin = QStringLiteral("test");
    info.name = QStringLiteral("Source");
    info.state = DeviceState::Connected;
    info.rateHz = 50;
    info.channels = {ChannelInfo{QStringLiteral("v"), QStringLiteral("V"), ChannelType::Float},
                     ChannelInfo{QStringLiteral("n"), QString(), ChannelType::Int},
                     ChannelInfo{QStringLiteral("b"), QString(), ChannelType::Bool},
                     ChannelInfo{QStringLiteral("s"), QString(), ChannelType::String}};
    return info;
}

// Records `count` samples `intervalUs` apart (stamped from now on) to dir/name.h5.
void writeRecording(const QString &dir, const QString &name, int count, qint64 intervalUs)
{
    FakeBus bus;
    bus.add(mixedDevice());
    Recorder recorder(&bus, dir);
    const Recorder::Started started = recorder.start(std::nullopt, name);
    QVERIFY2(started.errorCode.isEmpty(), qPrintable(started.errorMessage));
    const qint64 t0 = started.summary.startedUs + 100000;
    for (int i = 0; i < count; ++i) {
        bus.emitSample(Sample{QStringLiteral("src"), t0 + i * intervalUs,
                              {ChannelValue{QStringLiteral("v"), i * 0.25},
                               ChannelValue{QStringLiteral("n"), qlonglong(i)},
                               ChannelValue{QStringLiteral("b"), i % 2 == 1},
                               ChannelValue{QStringLiteral("s"), QStringLiteral("#%1").arg(i)}}});
    }
    QVERIFY(recorder.stopAndWait(name));
}

class Player
{
public:
    explicit Player(const QVariantMap &entry)
    {
        hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
        DeviceConfig config;
        config.id = entry.value(QStringLiteral("id")).toString();
        config.plugin = QStringLiteral("replay");
        config.settings = entry;
        QObject::connect(&hal, &DeviceBus::sampleReady, &hal, [this](const Sample &s) {
            played.append(Played{s.timestampUs, wallClockUs(), s});
        });
        QObject::connect(&hal, &DeviceBus::deviceError, &hal,
                         [this](const QString &, const QString &m) { errors << m; });
        QObject::connect(&hal, &DeviceBus::commandFinished, &hal,
                         [this](quint64 ticket, const CommandOutcome &o) { outcomes.insert(ticket, o); });
        ok = hal.applyDevices({config}, &error);
    }
    ~Player() { hal.shutdown(); }

    CommandOutcome command(const QString &name, const QVariantMap &params = {})
    {
        const quint64 ticket = ++lastTicket;
        hal.startCommand(QStringLiteral("rep"), ticket, name, params);
        if (!QTest::qWaitFor([&] { return outcomes.contains(ticket); }, 5000))
            return CommandOutcome::error(QStringLiteral("none"), QStringLiteral("no answer"));
        return outcomes.value(ticket, CommandOutcome::error(QStringLiteral("none"), QStringLiteral("no answer")));
    }
    DeviceState state() const { return hal.device(QStringLiteral("rep"))->state; }
    qint64 value(qsizetype i) const
    {
        for (const ChannelValue &cv : played.at(i).sample.values) {
            if (cv.channel == QLatin1String("n"))
                return cv.value.toLongLong();
        }
        return -1;
    }

    HalManager hal;
    QList<Played> played;
    QStringList errors;
    QHash<quint64, CommandOutcome> outcomes;
    quint64 lastTicket = 0;
    bool ok = false;
    QString error;
};

QVariantMap entry(const QString &file, double speed = 1.0, bool loop = false,
                  const QString &device = QStringLiteral("src"))
{
    return {{QStringLiteral("id"), QStringLiteral("rep")}, {QStringLiteral("plugin"), QStringLiteral("replay")},
            {QStringLiteral("file"), file}, {QStringLiteral("device"), device},
            {QStringLiteral("speed"), speed}, {QStringLiteral("loop"), loop}};
}

} // namespace

class TstReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void valuesInOrderAtRecordedIntervals();
    void speedDividesIntervals();
    void pauseResumeSeek();
    void loops();
    void badInputs_data();
    void badInputs();

private:
    QTemporaryDir m_dir;
};

void TstReplay::initTestCase()
{
    writeRecording(m_dir.path(), QStringLiteral("steady"), 20, 20000);
    writeRecording(m_dir.path(), QStringLiteral("long"), 100, 10000);
}

void TstReplay::valuesInOrderAtRecordedIntervals()
{
    Player p(entry(m_dir.filePath(QStringLiteral("steady.h5"))));
    QVERIFY2(p.ok, qPrintable(p.error));
    QTRY_COMPARE_WITH_TIMEOUT(p.state(), DeviceState::Connected, 5000);
    const DeviceInfo info = *p.hal.device(QStringLiteral("rep"));
    QCOMPARE(info.plugin, QStringLiteral("replay"));
    QCOMPARE(info.channels.size(), 4);
    QCOMPARE(info.channels.at(0).name, QStringLiteral("v"));
    QCOMPARE(info.channels.at(0).unit, QStringLiteral("V"));
    QCOMPARE(info.channels.at(3).type, ChannelType::String);
    QCOMPARE(*info.rateHz, 50.0);

    QTRY_COMPARE_WITH_TIMEOUT(p.played.size(), 20, 10000);
    for (int i = 0; i < 20; ++i) {
        const Sample &s = p.played.at(i).sample;
        QCOMPARE(s.values.size(), 4);
        QCOMPARE(s.values.at(0).value.toDouble(), i * 0.25);
        QCOMPARE(s.values.at(1).value.toLongLong(), qint64(i));
        QCOMPARE(s.values.at(2).value.toBool(), i % 2 == 1);
        QCOMPARE(s.values.at(3).value.toString(), QStringLiteral("#%1").arg(i));
        // Stamped when replayed, in order.
        if (i > 0)
            QVERIFY(p.played.at(i).stampUs > p.played.at(i - 1).stampUs);
        QVERIFY(qAbs(p.played.at(i).stampUs - p.played.at(i).arrivedUs) < 100000);
    }
    // 19 intervals of 20 ms.
    const qint64 spanUs = p.played.last().stampUs - p.played.first().stampUs;
    QVERIFY2(spanUs >= 19 * 20000 * 8 / 10 && spanUs < 19 * 20000 * 3, qPrintable(QString::number(spanUs)));

    // At the end: still connected, nothing more.
    QTest::qWait(200);
    QCOMPARE(p.played.size(), 20);
    QCOMPARE(p.state(), DeviceState::Connected);
}

void TstReplay::speedDividesIntervals()
{
    Player p(entry(m_dir.filePath(QStringLiteral("steady.h5")), 4.0));
    QVERIFY2(p.ok, qPrintable(p.error));
    QTRY_COMPARE_WITH_TIMEOUT(p.played.size(), 20, 10000);
    const qint64 spanUs = p.played.last().stampUs - p.played.first().stampUs;
    QVERIFY2(spanUs >= 19 * 5000 * 8 / 10 && spanUs < 19 * 20000, qPrintable(QString::number(spanUs)));
    QCOMPARE(p.hal.device(QStringLiteral("rep"))->rateHz.value_or(0), 200.0);
}

void TstReplay::pauseResumeSeek()
{
    Player p(entry(m_dir.filePath(QStringLiteral("long.h5"))));
    QVERIFY2(p.ok, qPrintable(p.error));
    QTRY_VERIFY_WITH_TIMEOUT(p.played.size() >= 5, 10000);
    QCOMPARE(p.command(QStringLiteral("pause")).status, CommandOutcome::Status::Ok);
    const qsizetype atPause = p.played.size();
    QTest::qWait(200);
    QCOMPARE(p.played.size(), atPause);

    QCOMPARE(p.command(QStringLiteral("resume")).status, CommandOutcome::Status::Ok);
    QTRY_VERIFY_WITH_TIMEOUT(p.played.size() >= atPause + 5, 10000);
    // Nothing skipped over the pause.
    for (qsizetype i = 0; i < p.played.size(); ++i)
        QCOMPARE(p.value(i), qint64(i));

    // 0.1 s of lead-in, then 10 ms a sample: t_s 0.8 is sample 70.
    const qsizetype atSeek = p.played.size();
    const CommandOutcome seek = p.command(QStringLiteral("seek"), {{QStringLiteral("t_s"), 0.8}});
    QCOMPARE(seek.status, CommandOutcome::Status::Ok);
    QTRY_VERIFY_WITH_TIMEOUT(p.played.size() > atSeek, 10000);
    QCOMPARE(p.value(atSeek), qint64(70));
    QTRY_COMPARE_WITH_TIMEOUT(p.value(p.played.size() - 1), qint64(99), 10000);

    // Back to the start, paused: nothing plays until resumed.
    QCOMPARE(p.command(QStringLiteral("pause")).status, CommandOutcome::Status::Ok);
    QCOMPARE(p.command(QStringLiteral("seek"), {{QStringLiteral("t_s"), 0.0}}).status, CommandOutcome::Status::Ok);
    const qsizetype paused = p.played.size();
    QTest::qWait(150);
    QCOMPARE(p.played.size(), paused);
    QCOMPARE(p.command(QStringLiteral("resume")).status, CommandOutcome::Status::Ok);
    QTRY_VERIFY_WITH_TIMEOUT(p.played.size() > paused, 10000);
    QCOMPARE(p.value(paused), qint64(0));
}

void TstReplay::loops()
{
    Player p(entry(m_dir.filePath(QStringLiteral("steady.h5")), 10.0, true));
    QVERIFY2(p.ok, qPrintable(p.error));
    QTRY_VERIFY_WITH_TIMEOUT(p.played.size() >= 45, 10000);
    for (qsizetype i = 0; i < 45; ++i)
        QCOMPARE(p.value(i), qint64(i % 20));
}

void TstReplay::badInputs_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("says");
    QTest::addRow("missing file") << QStringLiteral("absent.h5") << QStringLiteral("src") << QStringLiteral("no such file");
    QTest::addRow("not HDF5") << QStringLiteral("text.h5") << QStringLiteral("src") << QStringLiteral("not an HDF5 file");
    QTest::addRow("foreign HDF5") << QStringLiteral("foreign.h5") << QStringLiteral("src") << QStringLiteral("not a halhub recording");
    QTest::addRow("device not in file") << QStringLiteral("steady.h5") << QStringLiteral("other") << QStringLiteral("no device 'other'");
}

void TstReplay::badInputs()
{
    QFETCH(QString, file);
    QFETCH(QString, device);
    QFETCH(QString, says);
    QFile text(m_dir.filePath(QStringLiteral("text.h5")));
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("time,value\n1,2\n");
    text.close();
    if (!QFileInfo::exists(m_dir.filePath(QStringLiteral("foreign.h5")))) {
        QCOMPARE(QProcess::execute(QStringLiteral("/usr/bin/python3"),
                                   {QStringLiteral("-c"),
                                    QStringLiteral("import h5py,sys; h5py.File(sys.argv[1],'w').create_dataset('x', data=[1,2])"),
                                    m_dir.filePath(QStringLiteral("foreign.h5"))}),
                 0);
    }
    Player p(entry(m_dir.filePath(file), 1.0, false, device));
    QVERIFY2(p.ok, qPrintable(p.error));
    QTRY_COMPARE_WITH_TIMEOUT(p.state(), DeviceState::Error, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(p.errors.size(), 1, 5000);
    QVERIFY2(p.errors.first().contains(says), qPrintable(p.errors.first()));
    QCOMPARE(p.command(QStringLiteral("pause")).status, CommandOutcome::Status::Error);
    QVERIFY(p.played.isEmpty());
}

QTEST_GUILESS_MAIN(TstReplay)
#include "tst_replay.moc"
