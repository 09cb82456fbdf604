#include "latencyhistogramview.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace halhub;

using Inputs = QList<QPair<qint64, int>>;   // latency in us, how many

class tst_LatencyHistogramView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsBucketsAndPercentiles_data();
    void showsBucketsAndPercentiles();
    void emptyWindowShowsNoMarkers();
    void streamMarkersReplaceTheSummarys();

private:
    static double exactPercentile(const Inputs &inputs, double q)
    {
        QList<qint64> all;
        for (const auto &[us, n] : inputs)
            for (int i = 0; i < n; ++i)
                all.append(us);
        std::sort(all.begin(), all.end());
        const int rank = std::max(0, int(std::ceil(q * all.size())) - 1);
        return all.at(rank) / 1000.0;
    }
    static double markerMs(const LatencyHistogramView &view, const QString &label)
    {
        for (const auto &m : view.markers())
            if (m.label == label)
                return m.ms;
        return -1;
    }
};

void tst_LatencyHistogramView::showsBucketsAndPercentiles_data()
{
    QTest::addColumn<Inputs>("inputs");
    QTest::addRow("one value") << Inputs{{2000, 50}};
    QTest::addRow("fast majority, slow tail") << Inputs{{800, 900}, {12000, 60}, {95000, 40}};
    QTest::addRow("sub-millisecond spread") << Inputs{{50, 100}, {120, 300}, {400, 500}, {900, 100}};
    QTest::addRow("seconds-long stall") << Inputs{{1500, 980}, {2500000, 20}};
}

void tst_LatencyHistogramView::showsBucketsAndPercentiles()
{
    QFETCH(Inputs, inputs);
    LatencyHistogram histogram;
    const qint64 now = 5000;
    qint64 total = 0;
    for (const auto &[us, n] : inputs) {
        for (int i = 0; i < n; ++i)
            histogram.record(us, now);
        total += n;
    }
    LatencyHistogramView view;
    view.resize(600, 260);
    view.setHistogram(histogram.windowBuckets(now), histogram.summary(now));

    QCOMPARE(view.totalCount(), total);
    for (const auto &[us, n] : inputs)
        QCOMPARE(view.countAt(us / 1000.0), qint64(n));

    // Percentiles within the buckets' resolution (about 5%).
    for (const auto &[label, q] : {qMakePair(QStringLiteral("p50"), 0.50),
                                   qMakePair(QStringLiteral("p95"), 0.95),
                                   qMakePair(QStringLiteral("p99"), 0.99)}) {
        const double expected = exactPercentile(inputs, q);
        const double shown = markerMs(view, LatencyHistogramView::tr(qPrintable(label)));
        QVERIFY2(std::abs(shown - expected) <= expected * 0.06,
                 qPrintable(QStringLiteral("%1: shown %2 ms, expected %3 ms").arg(label).arg(shown).arg(expected)));
    }
    // The p50 line stands on the bar it belongs to.
    const double p50 = markerMs(view, LatencyHistogramView::tr("p50"));
    const QRectF bar = view.barRect(exactPercentile(inputs, 0.5));
    QVERIFY(!bar.isEmpty());
    QVERIFY2(view.xForMs(p50) >= bar.left() - 2 && view.xForMs(p50) <= bar.right() + 2,
             qPrintable(QStringLiteral("p50 at x=%1, bar %2..%3").arg(view.xForMs(p50)).arg(bar.left()).arg(bar.right())));
    // The tallest input is the tallest bar.
    const auto tallest = std::max_element(inputs.cbegin(), inputs.cend(),
                                          [](const auto &a, const auto &b) { return a.second < b.second; });
    for (const auto &[us, n] : inputs)
        QVERIFY(view.barRect(us / 1000.0).height() <= view.barRect(tallest->first / 1000.0).height() + 0.01);
    QVERIFY(!view.grab().isNull());
}

void tst_LatencyHistogramView::emptyWindowShowsNoMarkers()
{
    LatencyHistogram histogram;
    histogram.record(1000, 0);
    LatencyHistogramView view;
    // A minute later the sample has left the window.
    view.setHistogram(histogram.windowBuckets(70000), histogram.summary(70000));
    QCOMPARE(view.totalCount(), 0);
    QVERIFY(view.markers().isEmpty());
    QCOMPARE(view.caption(), LatencyHistogramView::tr("No telemetry in the last minute"));
}

void tst_LatencyHistogramView::streamMarkersReplaceTheSummarys()
{
    LatencyHistogram histogram;
    for (int i = 0; i < 100; ++i)
        histogram.record(1000 + i * 10, 100);
    LatencyHistogramView view;
    view.setHistogram(histogram.windowBuckets(100), histogram.summary(100));
    QCOMPARE(view.markers().size(), 3);
    view.setMarkers({{QStringLiteral("p50"), 3.5, Qt::green}, {QStringLiteral("p95"), 7.25, Qt::red}},
                    QStringLiteral("stream s1"));
    QCOMPARE(view.markers().size(), 2);
    QCOMPARE(view.markers().at(1).ms, 7.25);
    QCOMPARE(view.caption(), QStringLiteral("stream s1"));
    // The bars are still everyone's.
    QCOMPARE(view.totalCount(), 100);
}

QTEST_MAIN(tst_LatencyHistogramView)
#include "tst_latencyhistogramview.moc"
