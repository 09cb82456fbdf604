#include "liveplot.h"

#include <QtTest>

using namespace halhub;

class tst_LivePlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void plotsOnlyItsDevicesNumericChannels();
    void decimatesFastDevices_data();
    void decimatesFastDevices();
    void keepsOnlyTheWindow();
    void drawsEachColumnsExtremesOnly_data();
    void drawsEachColumnsExtremesOnly();
    void repaintsOnlyForNewDataAtABoundedRate();
    void legendClickHidesAChannel();
    void eachUnitHasItsOwnAxis();
    void readingsGiveValueAndWindowExtremes();

private:
    static DeviceInfo device(const QString &id)
    {
        DeviceInfo info;
        info.id = id;
        info.plugin = QStringLiteral("sim");
        info.channels = {{QStringLiteral("sine"), {}, ChannelType::Float},
                         {QStringLiteral("count"), QStringLiteral("1"), ChannelType::Int},
                         {QStringLiteral("label"), {}, ChannelType::String}};
        return info;
    }
    static Sample sample(const QString &device, qint64 tUs, double v)
    {
        return Sample{device, tUs,
                      {{QStringLiteral("sine"), v}, {QStringLiteral("count"), qint64(v * 10)},
                       {QStringLiteral("label"), QStringLiteral("x")}}};
    }
};

void tst_LivePlot::plotsOnlyItsDevicesNumericChannels()
{
    LivePlot plot;
    plot.setDevice(device(QStringLiteral("sim0")));
    QCOMPARE(plot.channelNames(), QStringList({QStringLiteral("sine"), QStringLiteral("count")}));
    plot.addSample(sample(QStringLiteral("sim0"), 1000000, 0.5));
    plot.addSample(sample(QStringLiteral("sim1"), 1100000, 0.7));
    QCOMPARE(plot.pointCount(QStringLiteral("sine")), 1);
    QCOMPARE(plot.pointCount(QStringLiteral("count")), 1);
    plot.setDevice(device(QStringLiteral("sim1")));
    QCOMPARE(plot.pointCount(QStringLiteral("sine")), 0);
}

void tst_LivePlot::decimatesFastDevices_data()
{
    QTest::addColumn<int>("deviceHz");
    QTest::addColumn<int>("expectedPerSecond");
    // Each 10 ms slot keeps its lowest and highest sample (here the first and last).
    QTest::addRow("1 kHz is thinned to 100 slots/s, two points each") << 1000 << 200;
    QTest::addRow("50 Hz is kept whole") << 50 << 50;
}

void tst_LivePlot::decimatesFastDevices()
{
    QFETCH(int, deviceHz);
    QFETCH(int, expectedPerSecond);
    LivePlot plot;
    plot.setMaxPointsPerSecond(100);
    plot.setWindowSeconds(10);
    plot.setDevice(device(QStringLiteral("sim0")));
    const qint64 start = 1700000000000000;
    for (int i = 0; i < deviceHz * 3; ++i)
        plot.addSample(sample(QStringLiteral("sim0"), start + qint64(i) * 1000000 / deviceHz, i));
    const int points = plot.pointCount(QStringLiteral("sine"));
    QVERIFY2(points >= expectedPerSecond * 3 - 4 && points <= expectedPerSecond * 3 + 4,
             qPrintable(QString::number(points)));
}

void tst_LivePlot::keepsOnlyTheWindow()
{
    LivePlot plot;
    plot.setWindowSeconds(5);
    plot.setMaxPointsPerSecond(10);
    plot.setDevice(device(QStringLiteral("sim0")));
    for (int i = 0; i < 300; ++i)   // 30 s at 10 Hz
        plot.addSample(sample(QStringLiteral("sim0"), qint64(i) * 100000, i));
    // Five seconds and the point just before them.
    QVERIFY(plot.pointCount(QStringLiteral("sine")) <= 52);
    QVERIFY(plot.pointCount(QStringLiteral("sine")) >= 50);
}

void tst_LivePlot::drawsEachColumnsExtremesOnly_data()
{
    QTest::addColumn<int>("slotsPerSecond");
    QTest::addColumn<bool>("everySampleKept");
    QTest::addRow("every sample kept (1000 slots/s)") << 1000 << true;
    QTest::addRow("thinned on arrival (100 slots/s)") << 100 << false;
}

void tst_LivePlot::drawsEachColumnsExtremesOnly()
{
    QFETCH(int, slotsPerSecond);
    QFETCH(bool, everySampleKept);
    LivePlot plot;
    plot.setMaxPointsPerSecond(slotsPerSecond);
    plot.setWindowSeconds(10);
    plot.setDevice(device(QStringLiteral("sim0")));
    // A plot area 600 pixels wide.
    plot.resize(600, 300);
    plot.resize(600 + 600 - int(plot.plotArea().width()), 300);
    const int columns = int(plot.plotArea().width());
    QCOMPARE(columns, 600);

    // 10 s at 1 kHz: a noisy sine with one-sample spikes a plot must not lose.
    const qint64 start = 1700000000000000;
    QRandomGenerator random(42);
    QMap<qint64, double> raw;
    QList<qint64> spikes;
    for (int i = 0; i < 10000; ++i) {
        const qint64 t = start + qint64(i) * 1000;
        double v = std::sin(i * 0.004) + random.bounded(0.2);
        if (i % 997 == 500) {
            v = (spikes.size() % 2 == 0) ? 40.0 : -40.0;
            spikes.append(t);
        }
        raw.insert(t, v);
        plot.addSample(sample(QStringLiteral("sim0"), t, v));
    }

    const std::vector<LivePlot::Point> drawn = plot.drawnPoints(QStringLiteral("sine"));
    QVERIFY2(drawn.size() <= size_t(2 * columns + 2), qPrintable(QString::number(drawn.size())));
    QVERIFY2(drawn.size() >= size_t(columns), qPrintable(QString::number(drawn.size())));
    QMap<int, QPair<double, double>> drawnByColumn;     // column -> drawn low, high
    for (size_t i = 0; i < drawn.size(); ++i) {
        const LivePlot::Point &p = drawn[i];
        QVERIFY2(raw.contains(p.tUs) && raw.value(p.tUs) == p.value, "a drawn point is a real sample");
        if (i > 0)
            QVERIFY(drawn[i - 1].tUs < p.tUs);
        const int column = plot.columnOf(p.tUs);
        QVERIFY(column >= 0 && column < columns);
        auto it = drawnByColumn.find(column);
        if (it == drawnByColumn.end()) {
            drawnByColumn.insert(column, {p.value, p.value});
        } else {
            it->first = std::min(it->first, p.value);
            it->second = std::max(it->second, p.value);
        }
    }
    // Every column the samples cover shows up, each with at most two vertices.
    QCOMPARE(drawnByColumn.size(), columns);
    for (const qint64 t : spikes) {
        const auto hit = std::find_if(drawn.cbegin(), drawn.cend(),
                                      [t](const LivePlot::Point &p) { return p.tUs == t; });
        QVERIFY2(hit != drawn.cend(), qPrintable(QStringLiteral("spike at %1 lost").arg(t - start)));
    }
    if (!everySampleKept)
        return;
    // With every sample kept, each column's line spans exactly its samples' range.
    QMap<int, QPair<double, double>> rawByColumn;
    for (auto it = raw.cbegin(); it != raw.cend(); ++it) {
        const int column = plot.columnOf(it.key());
        auto c = rawByColumn.find(column);
        if (c == rawByColumn.end()) {
            rawByColumn.insert(column, {it.value(), it.value()});
        } else {
            c->first = std::min(c->first, it.value());
            c->second = std::max(c->second, it.value());
        }
    }
    QCOMPARE(drawnByColumn, rawByColumn);
}

void tst_LivePlot::repaintsOnlyForNewDataAtABoundedRate()
{
    LivePlot plot;
    plot.resize(700, 300);
    plot.setDevice(device(QStringLiteral("sim0")));
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    QTRY_VERIFY(plot.paintCount() > 0);

    // A 1 kHz device for a second: ten samples every 10 ms.
    qint64 t = 1700000000000000;
    QTimer feed;
    feed.setInterval(10);
    QObject::connect(&feed, &QTimer::timeout, &plot, [&] {
        for (int i = 0; i < 10; ++i, t += 1000)
            plot.addSample(sample(QStringLiteral("sim0"), t, std::sin(double(t) * 1e-6)));
    });
    QElapsedTimer clock;
    const int before = plot.paintCount();
    clock.start();
    feed.start();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() >= 1000, 5000);
    feed.stop();
    const int frames = plot.paintCount() - before;
    const double allowed = double(clock.elapsed()) / 100.0 + 2;      // 10 Hz
    QVERIFY2(frames >= 1 && frames <= allowed,
             qPrintable(QStringLiteral("%1 frames in %2 ms").arg(frames).arg(clock.elapsed())));

    // Without new samples nothing is drawn again.
    QTest::qWait(300);
    const int idle = plot.paintCount();
    QTest::qWait(300);
    QCOMPARE(plot.paintCount(), idle);

    // Hidden, it keeps the samples but does not draw; shown, it catches up.
    plot.hide();
    const int hidden = plot.paintCount();
    feed.start();
    QTest::qWait(300);
    feed.stop();
    QCOMPARE(plot.paintCount(), hidden);
    const int points = plot.pointCount(QStringLiteral("sine"));
    QVERIFY(points > 0);
    plot.show();
    QTRY_VERIFY(plot.paintCount() > hidden);
}

void tst_LivePlot::legendClickHidesAChannel()
{
    LivePlot plot;
    plot.resize(600, 300);
    plot.setDevice(device(QStringLiteral("sim0")));
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    QVERIFY(plot.isChannelVisible(QStringLiteral("count")));
    const QRect entry = plot.legendRect(QStringLiteral("count"));
    QVERIFY(entry.isValid());
    QTest::mouseClick(&plot, Qt::LeftButton, {}, entry.center());
    QVERIFY(!plot.isChannelVisible(QStringLiteral("count")));
    QVERIFY(plot.isChannelVisible(QStringLiteral("sine")));
    QTest::mouseClick(&plot, Qt::LeftButton, {}, entry.center());
    QVERIFY(plot.isChannelVisible(QStringLiteral("count")));
}

void tst_LivePlot::eachUnitHasItsOwnAxis()
{
    // A +-1 V sine beside a 0..10 A ramp: each fills the height of its axis.
    DeviceInfo info;
    info.id = QStringLiteral("psu");
    info.channels = {{QStringLiteral("volts"), QStringLiteral("V"), ChannelType::Float},
                     {QStringLiteral("amps"), QStringLiteral("A"), ChannelType::Float},
                     {QStringLiteral("more_volts"), QStringLiteral("V"), ChannelType::Float}};
    LivePlot plot;
    plot.resize(600, 400);
    plot.setDevice(info);
    QCOMPARE(plot.axisCount(), 2);
    QCOMPARE(plot.axisUnit(0), QStringLiteral("V"));
    QCOMPARE(plot.axisUnit(1), QStringLiteral("A"));
    QCOMPARE(plot.axisOf(QStringLiteral("more_volts")), 0);
    for (int i = 0; i <= 100; ++i) {
        const qint64 t = 1000000 + qint64(i) * 50000;
        plot.addSample(Sample{QStringLiteral("psu"), t,
                              {{QStringLiteral("volts"), std::sin(i * 0.3)},
                               {QStringLiteral("amps"), i * 0.1},
                               {QStringLiteral("more_volts"), 0.5}}});
    }
    plot.grab();    // fits the axes as a frame does
    const QRectF area = plot.plotArea();
    const double sineSpan = plot.yOfChannel(QStringLiteral("volts"), -1)
            - plot.yOfChannel(QStringLiteral("volts"), 1);
    const double rampSpan = plot.yOfChannel(QStringLiteral("amps"), 0)
            - plot.yOfChannel(QStringLiteral("amps"), 10);
    QVERIFY2(sineSpan > 0.7 * area.height(), qPrintable(QString::number(sineSpan)));
    QVERIFY2(rampSpan > 0.7 * area.height(), qPrintable(QString::number(rampSpan)));
}

void tst_LivePlot::readingsGiveValueAndWindowExtremes()
{
    LivePlot plot;
    plot.setWindowSeconds(5);
    plot.setDevice(device(QStringLiteral("sim0")));
    const double values[] = {3, -2, 7, 1.5};
    for (int i = 0; i < 4; ++i)
        plot.addSample(sample(QStringLiteral("sim0"), 1000000 + i * 100000, values[i]));
    const QList<LivePlot::Reading> r = plot.readings();
    QCOMPARE(r.size(), 2);
    QCOMPARE(r.at(0).name, QStringLiteral("sine"));
    QVERIFY(r.at(0).hasValue);
    QCOMPARE(r.at(0).value, 1.5);
    QCOMPARE(r.at(0).minimum, -2.0);
    QCOMPARE(r.at(0).maximum, 7.0);
    QCOMPARE(r.at(1).unit, QStringLiteral("1"));
    // Ten seconds later the old extremes have left the window.
    plot.addSample(sample(QStringLiteral("sim0"), 11000000, 0.25));
    const LivePlot::Reading later = plot.readings().at(0);
    QCOMPARE(later.value, 0.25);
    QCOMPARE(later.minimum, 0.25);
    QCOMPARE(later.maximum, 0.25);
}

QTEST_MAIN(tst_LivePlot)
#include "tst_liveplot.moc"
