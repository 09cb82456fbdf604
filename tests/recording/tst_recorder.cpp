// The recorder fed directly by a bus: the file's layout, types and counts as
// another HDF5 reader (h5py, h5ls, h5dump) sees them, reading while it is
// written, and what happens when the disk does not keep up or fails.

#include "h5check.h"

#include "fakebus.h"
#include "recording/recorder.h"
#include "recording/recording.h"

#include <QDir>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <sys/resource.h>

using namespace halhub;

namespace {

DeviceInfo mixedDevice(const QString &id)
{
    DeviceInfo info;
    info.id = id;
    info.plugin = QStringLiteral("test");
    info.name = QStringLiteral("Mixed %1").arg(id);
    info.state = DeviceState::Connected;
    info.rateHz = 100;
    info.channels = {ChannelInfo{QStringLiteral("volts"), QStringLiteral("V"), ChannelType::Float},
                     ChannelInfo{QStringLiteral("count"), QString(), ChannelType::Int},
                     ChannelInfo{QStringLiteral("on"), QString(), ChannelType::Bool},
                     ChannelInfo{QStringLiteral("label"), QString(), ChannelType::String}};
    return info;
}

Sample mixedSample(const QString &device, qint64 ts, int i)
{
    Sample s;
    s.device = device;
    s.timestampUs = ts;
    s.values = {ChannelValue{QStringLiteral("volts"), 0.5 * i},
                ChannelValue{QStringLiteral("count"), qlonglong(i * 1000000007LL)},
                ChannelValue{QStringLiteral("on"), i % 3 == 0},
                ChannelValue{QStringLiteral("label"), QStringLiteral("s%1 µ").arg(i)}};
    return s;
}

} // namespace

class TstRecorder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void layoutTypesAndCounts();
    void onlyWhatWasKnownAtTheStart();
    void readableWhileWritten();
    void fullQueueCountsLosses();
    void diskFullFailsClearly();
    void refusals();
};

void TstRecorder::layoutTypesAndCounts()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(mixedDevice(QStringLiteral("dev0")));
    // dev1 as a device of another cluster node: its group names the owner.
    DeviceInfo remote = mixedDevice(QStringLiteral("dev1"));
    remote.node = QStringLiteral("bench-b");
    bus.add(remote);
    Recorder recorder(&bus, dir.path());
    const Recorder::Started started = recorder.start(std::nullopt, QStringLiteral("run1"));
    QVERIFY2(started.errorCode.isEmpty(), qPrintable(started.errorMessage));
    QCOMPARE(started.summary.file, QStringLiteral("run1.h5"));
    QCOMPARE(started.summary.devices, (QStringList{QStringLiteral("dev0"), QStringLiteral("dev1")}));

    const qint64 t0 = 1700000000000000;
    const int n = 5000;         // more than one chunk
    for (int i = 0; i < n; ++i) {
        bus.emitSample(mixedSample(QStringLiteral("dev0"), t0 + i * 1000, i));
        if (i % 2 == 0)
            bus.emitSample(mixedSample(QStringLiteral("dev1"), t0 + i * 1000, i));
    }
    const std::optional<RecordingSummary> done = recorder.stopAndWait(QStringLiteral("run1"));
    QVERIFY(done);
    QCOMPARE(done->samples.value(QStringLiteral("dev0")), qint64(n));
    QCOMPARE(done->samples.value(QStringLiteral("dev1")), qint64(n / 2));
    QCOMPARE(done->lost, qint64(0));
    QVERIFY(done->endedUs && *done->endedUs >= done->startedUs);

    const QString file = dir.filePath(QStringLiteral("run1.h5"));
    const QJsonObject dump = h5check({QStringLiteral("dump"), file});
    QVERIFY2(!dump.contains(QStringLiteral("error")), qPrintable(dump.value(QStringLiteral("error")).toString()));
    const QJsonObject attrs = dump.value(QStringLiteral("attrs")).toObject();
    QCOMPARE(attrs.value(QStringLiteral("halhub")).toString(), QStringLiteral(HALHUB_VERSION));
    QCOMPARE(qint64(attrs.value(QStringLiteral("started")).toDouble()), done->startedUs);
    QCOMPARE(qint64(attrs.value(QStringLiteral("ended")).toDouble()), *done->endedUs);

    const QJsonObject dev0 = dump.value(QStringLiteral("devices")).toObject().value(QStringLiteral("dev0")).toObject();
    QCOMPARE(dev0.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("plugin")).toString(), QStringLiteral("test"));
    QCOMPARE(dev0.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Mixed dev0"));
    QVERIFY(!dev0.value(QStringLiteral("attrs")).toObject().contains(QStringLiteral("node")));
    const QJsonObject dev1 = dump.value(QStringLiteral("devices")).toObject().value(QStringLiteral("dev1")).toObject();
    QCOMPARE(dev1.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("node")).toString(), QStringLiteral("bench-b"));
    const QJsonObject channels = dev0.value(QStringLiteral("channels")).toObject();
    QCOMPARE(channels.size(), 4);
    const struct { const char *name; const char *type; const char *unit; const char *dtype; } expected[] = {
        {"volts", "float", "V", "<f8"}, {"count", "int", "", "<i8"},
        {"on", "bool", "", "|u1"}, {"label", "string", "", "string-utf-8"}};
    for (const auto &e : expected) {
        const QJsonObject c = channels.value(QLatin1String(e.name)).toObject();
        QCOMPARE(c.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("type")).toString(), QLatin1String(e.type));
        QCOMPARE(c.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("unit")).toString(), QLatin1String(e.unit));
        QCOMPARE(c.value(QStringLiteral("ts_type")).toString(), QStringLiteral("<i8"));
        QCOMPARE(c.value(QStringLiteral("value_type")).toString(), QLatin1String(e.dtype));
        QCOMPARE(c.value(QStringLiteral("ts_maxshape")).toArray(), QJsonArray{-1});
        QCOMPARE(c.value(QStringLiteral("value_maxshape")).toArray(), QJsonArray{-1});
        QVERIFY(!c.value(QStringLiteral("ts_chunks")).toArray().isEmpty());
        const QJsonArray ts = c.value(QStringLiteral("ts")).toArray();
        QCOMPARE(ts.size(), n);
        QCOMPARE(c.value(QStringLiteral("values")).toArray().size(), n);
        for (int i : {0, 1, n / 2, n - 1})
            QCOMPARE(qint64(ts.at(i).toDouble()), t0 + i * 1000);
    }
    const QJsonArray volts = channels.value(QStringLiteral("volts")).toObject().value(QStringLiteral("values")).toArray();
    const QJsonArray count = channels.value(QStringLiteral("count")).toObject().value(QStringLiteral("values")).toArray();
    const QJsonArray on = channels.value(QStringLiteral("on")).toObject().value(QStringLiteral("values")).toArray();
    const QJsonArray label = channels.value(QStringLiteral("label")).toObject().value(QStringLiteral("values")).toArray();
    for (int i : {0, 7, 4999}) {
        QCOMPARE(volts.at(i).toDouble(), 0.5 * i);
        QCOMPARE(count.at(i).toInteger(), i * 1000000007LL);
        QCOMPARE(on.at(i).toInt(), i % 3 == 0 ? 1 : 0);
        QCOMPARE(label.at(i).toString(), QStringLiteral("s%1 µ").arg(i));
    }

    // The HDF5 tools read it too.
    const QString ls = h5tool(QStringLiteral("h5ls"), {QStringLiteral("-r"), file});
    QVERIFY2(ls.contains(QStringLiteral("/dev1/volts/ts")) && ls.contains(QStringLiteral("Dataset {2500/Inf}")), qPrintable(ls));
    const QString header = h5tool(QStringLiteral("h5dump"), {QStringLiteral("-H"), QStringLiteral("-d"), QStringLiteral("/dev0/label/value"), file});
    QVERIFY2(header.contains(QStringLiteral("STRSIZE H5T_VARIABLE")) && header.contains(QStringLiteral("H5T_CSET_UTF8")), qPrintable(header));
    const QString attr = h5tool(QStringLiteral("h5dump"), {QStringLiteral("-a"), QStringLiteral("/dev0/volts/unit"), file});
    QVERIFY2(attr.contains(QStringLiteral("\"V\"")), qPrintable(attr));

    // Listed with its figures.
    const QList<RecordingSummary> list = recorder.list();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first().name, QStringLiteral("run1"));
    QCOMPARE(list.first().bytes, QFileInfo(file).size());
    QVERIFY(!list.first().running);
}

void TstRecorder::onlyWhatWasKnownAtTheStart()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(FakeBus::connectedDevice(QStringLiteral("a"), {QStringLiteral("x")}));
    Recorder recorder(&bus, dir.path());
    QVERIFY(recorder.start(std::nullopt, QStringLiteral("known")).errorCode.isEmpty());
    bus.add(FakeBus::connectedDevice(QStringLiteral("late"), {QStringLiteral("x")}));
    for (int i = 0; i < 10; ++i) {
        Sample s{QStringLiteral("a"), 1000 + i, {ChannelValue{QStringLiteral("x"), double(i)},
                                                 ChannelValue{QStringLiteral("new"), double(i)}}};
        bus.emitSample(s);
        bus.emitSample(Sample{QStringLiteral("late"), 1000 + i, {ChannelValue{QStringLiteral("x"), 1.0}}});
    }
    const auto done = recorder.stopAndWait(QStringLiteral("known"));
    QVERIFY(done);
    QCOMPARE(done->devices, QStringList{QStringLiteral("a")});
    QCOMPARE(done->samples.value(QStringLiteral("a")), qint64(10));
    const QJsonObject dump = h5check({QStringLiteral("dump"), dir.filePath(QStringLiteral("known.h5"))});
    const QJsonObject devices = dump.value(QStringLiteral("devices")).toObject();
    QCOMPARE(devices.keys(), QStringList{QStringLiteral("a")});
    QCOMPARE(devices.value(QStringLiteral("a")).toObject().value(QStringLiteral("channels")).toObject().keys(),
             QStringList{QStringLiteral("x")});
}

void TstRecorder::readableWhileWritten()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(FakeBus::connectedDevice(QStringLiteral("a"), {QStringLiteral("x"), QStringLiteral("y")}));
    Recorder recorder(&bus, dir.path());
    QVERIFY(recorder.start(std::nullopt, QStringLiteral("live")).errorCode.isEmpty());
    qint64 i = 0;
    QTimer feed;
    connect(&feed, &QTimer::timeout, this, [&] {
        for (int k = 0; k < 20; ++k, ++i)
            bus.emitSample(Sample{QStringLiteral("a"), 1000000 + i, {ChannelValue{QStringLiteral("x"), double(i)},
                                                                       ChannelValue{QStringLiteral("y"), 1.0}}});
    });
    feed.start(10);
    // The reader runs beside the writer, as another process would.
    QProcess reader;
    reader.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral(HALHUB_H5CHECK), QStringLiteral("swmr"),
                  dir.filePath(QStringLiteral("live.h5")), QStringLiteral("100")});
    QTRY_VERIFY_WITH_TIMEOUT(reader.state() == QProcess::NotRunning, 25000);
    feed.stop();
    const QByteArray out = reader.readAllStandardOutput();
    QVERIFY2(reader.exitCode() == 0, out.constData());
    const QJsonArray lengths = QJsonDocument::fromJson(out).object().value(QStringLiteral("lengths")).toArray();
    QCOMPARE(lengths.size(), 2);
    QVERIFY(lengths.at(1).toInt() > lengths.at(0).toInt());
    QVERIFY(recorder.stopAndWait(QStringLiteral("live")));
}

void TstRecorder::fullQueueCountsLosses()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(mixedDevice(QStringLiteral("dev0")));
    Recorder recorder(&bus, dir.path());
    QVERIFY(recorder.start(std::nullopt, QStringLiteral("slow")).errorCode.isEmpty());
    Recording *recording = recorder.recording(QStringLiteral("slow"));
    QVERIFY(recording);
    // A disk that does not keep up: the writer takes nothing off the queue.
    recording->holdWriter(true);
    recording->setQueueLimit(40);   // ten samples of four values
    QSignalSpy lost(&recorder, &Recorder::samplesLost);
    for (int i = 0; i < 100; ++i)
        bus.emitSample(mixedSample(QStringLiteral("dev0"), 1000 + i, i));
    QCOMPARE(recording->lost(), qint64(90));
    QCOMPARE(recorder.stats().queueDepth, qint64(40));
    QCOMPARE(recorder.stats().lost, qint64(90));
    QTRY_COMPARE_WITH_TIMEOUT(lost.size(), 1, 3000);
    QCOMPARE(lost.first().at(1).toLongLong(), qint64(90));
    const auto done = recorder.stopAndWait(QStringLiteral("slow"));
    QVERIFY(done);
    QCOMPARE(done->samples.value(QStringLiteral("dev0")), qint64(10));
    QCOMPARE(done->lost, qint64(90));
    const QJsonObject dump = h5check({QStringLiteral("dump"), dir.filePath(QStringLiteral("slow.h5"))});
    const QJsonObject volts = dump.value(QStringLiteral("devices")).toObject().value(QStringLiteral("dev0")).toObject()
                                  .value(QStringLiteral("channels")).toObject().value(QStringLiteral("volts")).toObject();
    QCOMPARE(volts.value(QStringLiteral("ts")).toArray().size(), 10);
    QCOMPARE(recorder.stats().samplesWritten, qint64(10));
}

void TstRecorder::diskFullFailsClearly()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(mixedDevice(QStringLiteral("dev0")));
    Recorder recorder(&bus, dir.path());
    QVERIFY(recorder.start(std::nullopt, QStringLiteral("full")).errorCode.isEmpty());
    QSignalSpy failed(&recorder, &Recorder::recordingFailed);

    // A disk that fills: files of this process may not grow past 256 KiB
    // (writes fail with EFBIG instead of the default SIGXFSZ).
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = 256 * 1024;
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
    qint64 i = 0;
    QTimer feed;
    connect(&feed, &QTimer::timeout, this, [&] {
        for (int k = 0; k < 500; ++k, ++i)
            bus.emitSample(mixedSample(QStringLiteral("dev0"), 1000 + i, int(i)));
    });
    feed.start(5);
    const bool sawFailure = QTest::qWaitFor([&] { return failed.size() > 0; }, 20000);
    feed.stop();
    setrlimit(RLIMIT_FSIZE, &old);
    QVERIFY(sawFailure);
    QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("full.h5")),
             qPrintable(failed.first().at(1).toString()));
    const auto done = recorder.stopAndWait(QStringLiteral("full"));
    QVERIFY(done);
    QVERIFY(!done->error.isEmpty());
    QVERIFY(done->lost > 0);
    QVERIFY(done->samples.value(QStringLiteral("dev0")) + done->lost <= i);
}

void TstRecorder::refusals()
{
    QTemporaryDir dir;
    FakeBus bus;
    bus.add(FakeBus::connectedDevice(QStringLiteral("a"), {QStringLiteral("x")}));
    {
        Recorder recorder(&bus, dir.path());
        QVERIFY(recorder.start(std::nullopt, QStringLiteral("taken")).errorCode.isEmpty());
        // The running one's name, then a finished file's.
        QCOMPARE(recorder.start(std::nullopt, QStringLiteral("taken")).errorCode, QStringLiteral("invalid_params"));
        QVERIFY(recorder.stopAndWait(QStringLiteral("taken")));
        QCOMPARE(recorder.start(std::nullopt, QStringLiteral("taken")).errorCode, QStringLiteral("invalid_params"));
        QCOMPARE(recorder.start(std::nullopt, QStringLiteral("../escape")).errorCode, QStringLiteral("invalid_params"));
        QCOMPARE(recorder.start(std::nullopt, QString(65, QLatin1Char('a'))).errorCode, QStringLiteral("invalid_params"));
        const Recorder::Started unknown = recorder.start(QStringList{QStringLiteral("a"), QStringLiteral("nope")});
        QCOMPARE(unknown.errorCode, QStringLiteral("unknown_device"));
        QVERIFY(unknown.errorMessage.contains(QStringLiteral("nope")));
        QVERIFY(!recorder.stopAndWait(QStringLiteral("never")));
        // Default names are unique even within one second.
        const Recorder::Started first = recorder.start(std::nullopt);
        const Recorder::Started second = recorder.start(std::nullopt);
        QVERIFY(first.errorCode.isEmpty() && second.errorCode.isEmpty());
        QVERIFY(first.summary.name.startsWith(QStringLiteral("halhub-")));
        QVERIFY(first.summary.name != second.summary.name);
        QCOMPARE(recorder.list().size(), 3);
    }
    // A directory that cannot be made (below a plain file).
    QFile plain(dir.filePath(QStringLiteral("plain")));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();
    Recorder blocked(&bus, dir.filePath(QStringLiteral("plain/recordings")));
    const Recorder::Started refused = blocked.start(std::nullopt, QStringLiteral("x"));
    QCOMPARE(refused.errorCode, QStringLiteral("internal"));
    QVERIFY2(refused.errorMessage.contains(QStringLiteral("plain/recordings")), qPrintable(refused.errorMessage));
}

QTEST_GUILESS_MAIN(TstRecorder)
#include "tst_recorder.moc"
