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
    void legendClickHidesAChannel();

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
    QTest::addRow("1 kHz is thinned to 100 points/s") << 1000 << 100;
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
    QVERIFY2(points >= expectedPerSecond * 3 - 2 && points <= expectedPerSecond * 3 + 2,
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

QTEST_MAIN(tst_LivePlot)
#include "tst_liveplot.moc"
