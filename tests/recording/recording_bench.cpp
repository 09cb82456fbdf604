// Prints what recording costs (not a test): CPU of recording 10 devices at
// 1000 Hz, the write rate sustained before samples are lost, and the file
// size per hour of one 1000 Hz 4-channel device.

#include "fakebus.h"
#include "recording/recorder.h"
#include "recording/recording.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <sys/resource.h>

using namespace halhub;

namespace {

double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
        + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

QStringList channels() { return {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")}; }

Sample sample(const QString &device, qint64 ts, qint64 i)
{
    return Sample{device, ts, {ChannelValue{QStringLiteral("a"), double(i)}, ChannelValue{QStringLiteral("b"), 0.5 * double(i)},
                               ChannelValue{QStringLiteral("c"), double(i % 7)}, ChannelValue{QStringLiteral("d"), 1.0}}};
}

// 10 devices at 1000 Hz for `seconds`, fed on the event loop; CPU seconds used.
double feedTenDevices(FakeBus &bus, double seconds)
{
    QElapsedTimer clock;
    clock.start();
    qint64 emitted = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 due = clock.nsecsElapsed() / 1000000;  // one per ms
        for (; emitted < due; ++emitted) {
            for (int d = 0; d < 10; ++d)
                bus.emitSample(sample(QStringLiteral("d%1").arg(d), 1700000000000000 + emitted * 1000, emitted));
        }
        if (clock.elapsed() >= seconds * 1000)
            QCoreApplication::quit();
    });
    tick.start(1);
    const double before = cpuSeconds();
    QCoreApplication::exec();
    return cpuSeconds() - before;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    FakeBus bus;
    for (int d = 0; d < 10; ++d)
        bus.add(FakeBus::connectedDevice(QStringLiteral("d%1").arg(d), channels()));
    Recorder recorder(&bus, dir.path());

    const double seconds = 5;
    const double idle = feedTenDevices(bus, seconds);
    recorder.start(std::nullopt, QStringLiteral("cpu"));
    const double recording = feedTenDevices(bus, seconds);
    const auto cpu = recorder.stopAndWait(QStringLiteral("cpu"));
    std::printf("10 devices x 1000 Hz x 4 channels for %.0f s: CPU %.1f%% of a core without recording, "
                "%.1f%% recording (+%.1f%%); %lld samples written, %lld lost\n",
                seconds, 100 * idle / seconds, 100 * recording / seconds, 100 * (recording - idle) / seconds,
                qlonglong(cpu->samples.value(QStringLiteral("d0")) * 10), qlonglong(cpu->lost));

    // Flood: samples as fast as the loop can make them, for 3 s.
    recorder.start(QStringList{QStringLiteral("d0")}, QStringLiteral("flood"));
    Recording *flood = recorder.recording(QStringLiteral("flood"));
    QElapsedTimer clock;
    clock.start();
    qint64 i = 0;
    qint64 writtenAtFirstLoss = -1;
    qint64 msAtFirstLoss = 0;
    while (clock.elapsed() < 3000) {
        for (int k = 0; k < 1000; ++k, ++i)
            bus.emitSample(sample(QStringLiteral("d0"), 1700000000000000 + i, i));
        if (writtenAtFirstLoss < 0 && flood->lost() > 0) {
            writtenAtFirstLoss = flood->samplesWrittenTotal();
            msAtFirstLoss = clock.elapsed();
        }
    }
    const qint64 elapsedMs = clock.elapsed();
    const auto flooded = recorder.stopAndWait(QStringLiteral("flood"));
    std::printf("flood of one 4-channel device: %lld samples offered in %lld ms (%.0f/s); written %lld "
                "(%.0f samples/s, %.0f values/s sustained); lost %lld; first loss after %lld ms\n",
                qlonglong(i), qlonglong(elapsedMs), double(i) * 1000 / double(elapsedMs),
                qlonglong(flooded->samples.value(QStringLiteral("d0"))),
                double(flooded->samples.value(QStringLiteral("d0"))) * 1000 / double(elapsedMs),
                4 * double(flooded->samples.value(QStringLiteral("d0"))) * 1000 / double(elapsedMs),
                qlonglong(flooded->lost), qlonglong(msAtFirstLoss));

    // Size: 60 s of one 1000 Hz 4-channel device, written in 1 ms steps.
    recorder.start(QStringList{QStringLiteral("d1")}, QStringLiteral("size"));
    Recording *size = recorder.recording(QStringLiteral("size"));
    for (qint64 s = 0; s < 60000; ++s) {
        bus.emitSample(sample(QStringLiteral("d1"), 1700000000000000 + s * 1000, s));
        while (size->queueDepth() > 100000)
            QCoreApplication::processEvents();
    }
    const auto sized = recorder.stopAndWait(QStringLiteral("size"));
    std::printf("one 1000 Hz 4-channel device: %lld bytes per minute (%lld samples, %lld lost): "
                "%.1f MB per hour\n",
                qlonglong(sized->bytes), qlonglong(sized->samples.value(QStringLiteral("d1"))),
                qlonglong(sized->lost), double(sized->bytes) * 60 / 1e6);
    return 0;
}
