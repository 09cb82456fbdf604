#include "metrics/latencyhistogram.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using halhub::LatencyHistogram;
using halhub::LatencySummary;

namespace {

// Width of the bucket a latency falls in: the resolution percentiles promise.
double bucketWidthUs(qint64 us)
{
    const auto &bounds = LatencyHistogram::bucketBoundsUs();
    const int b = LatencyHistogram::bucketFor(us);
    if (b >= int(bounds.size()))
        return std::max<double>(1, double(us - bounds.back()));
    const double lower = b == 0 ? 0.0 : double(bounds[size_t(b) - 1]);
    return double(bounds[size_t(b)]) - lower;
}

// Nearest-rank percentile of the raw samples.
qint64 exactPercentile(std::vector<qint64> sorted, double q)
{
    std::sort(sorted.begin(), sorted.end());
    const auto rank = size_t(std::ceil(q * double(sorted.size())));
    return sorted[std::max<size_t>(rank, 1) - 1];
}

} // namespace

class TestLatencyHistogram : public QObject
{
    Q_OBJECT

private slots:
    void boundsCoverOneMicrosecondToSixtySeconds();
    void bucketForIsMonotonicAndMatchesBounds();
    void summaryOfKnownSamples_data();
    void summaryOfKnownSamples();
    void evenlySpreadSamplesInterpolateClosely();
    void emptyWindowReportsZeros();
    void samplesExpireAfterTheWindow();
    void ringSlotIsReusedForANewSecond();
    void throughputOverCoveredTime_data();
    void throughputOverCoveredTime();
    void cumulativeTotalsSurviveExpiry();
    void negativeLatencyCountsAsZero();
};

void TestLatencyHistogram::boundsCoverOneMicrosecondToSixtySeconds()
{
    const auto &bounds = LatencyHistogram::bucketBoundsUs();
    QVERIFY(!bounds.empty());
    QCOMPARE(bounds.front(), qint64(1));
    QCOMPARE(bounds.back(), qint64(60) * 1000 * 1000);
    for (size_t i = 1; i < bounds.size(); ++i) {
        QVERIFY2(bounds[i] > bounds[i - 1], qPrintable(QString::number(i)));
        // About 8 per octave: neighbours at most 2^(1/8) apart, give or take
        // the rounding to whole microseconds, so a bucket spans ~9% at most.
        const double step = std::pow(2.0, 1.0 / 8);
        QVERIFY2(double(bounds[i]) <= double(bounds[i - 1]) * step + 1.0,
                 qPrintable(QStringLiteral("%1 -> %2").arg(bounds[i - 1]).arg(bounds[i])));
    }
    // 26 octaves at 8 per octave, less the collapsed 1 us steps at the bottom.
    QVERIFY(bounds.size() > 100 && bounds.size() < 220);
}

void TestLatencyHistogram::bucketForIsMonotonicAndMatchesBounds()
{
    const auto &bounds = LatencyHistogram::bucketBoundsUs();
    QCOMPARE(LatencyHistogram::bucketFor(0), 0);
    QCOMPARE(LatencyHistogram::bucketFor(1), 0);
    for (size_t i = 0; i < bounds.size(); ++i) {
        // Upper bounds are inclusive, as Prometheus' `le`.
        QCOMPARE(LatencyHistogram::bucketFor(bounds[i]), int(i));
        QCOMPARE(LatencyHistogram::bucketFor(bounds[i] + 1), int(i) + 1);
    }
    QCOMPARE(LatencyHistogram::bucketFor(bounds.back() + 1), int(bounds.size()));
    QCOMPARE(LatencyHistogram::bucketFor(std::numeric_limits<qint64>::max()), int(bounds.size()));

    int previous = 0;
    for (qint64 us = 0; us < 120LL * 1000 * 1000; us = us + 1 + us / 97) {
        const int b = LatencyHistogram::bucketFor(us);
        QVERIFY2(b >= previous, qPrintable(QString::number(us)));
        previous = b;
    }
}

void TestLatencyHistogram::summaryOfKnownSamples_data()
{
    QTest::addColumn<std::vector<qint64>>("samples");

    QTest::addRow("one sample") << std::vector<qint64>{2500};
    QTest::addRow("all equal") << std::vector<qint64>(50, 1234);
    std::vector<qint64> ramp(1000);
    std::iota(ramp.begin(), ramp.end(), qint64(1));
    QTest::addRow("1..1000 us") << ramp;
    std::vector<qint64> millis(1000);
    for (size_t i = 0; i < millis.size(); ++i)
        millis[i] = qint64(i + 1) * 1000;
    QTest::addRow("1..1000 ms") << millis;
    std::vector<qint64> tail(99, 800);
    tail.push_back(250000);
    QTest::addRow("99 fast, one slow") << tail;
    std::vector<qint64> bimodal;
    for (int i = 0; i < 500; ++i) {
        bimodal.push_back(300 + i);
        bimodal.push_back(40000 + 13 * i);
    }
    QTest::addRow("bimodal") << bimodal;
    QTest::addRow("beyond 60 s") << std::vector<qint64>{1000, 70000000, 90000000};
}

void TestLatencyHistogram::summaryOfKnownSamples()
{
    QFETCH(std::vector<qint64>, samples);

    LatencyHistogram histogram;
    const qint64 t0 = 5000;
    for (size_t i = 0; i < samples.size(); ++i)
        histogram.record(samples[i], t0 + qint64(i % 900));   // within one second
    const LatencySummary s = histogram.summary(t0 + 999);

    const auto [minIt, maxIt] = std::minmax_element(samples.begin(), samples.end());
    const double sum = std::accumulate(samples.begin(), samples.end(), 0.0);
    QCOMPARE(s.count, qint64(samples.size()));
    QCOMPARE(s.minMs, double(*minIt) / 1000.0);
    QCOMPARE(s.maxMs, double(*maxIt) / 1000.0);
    QVERIFY(qAbs(s.avgMs - sum / double(samples.size()) / 1000.0) < 1e-9);

    const struct { double q; double got; } checks[] = {
        {0.50, s.p50Ms}, {0.95, s.p95Ms}, {0.99, s.p99Ms}};
    for (const auto &c : checks) {
        const qint64 truth = exactPercentile(samples, c.q);
        const double gotUs = c.got * 1000.0;
        const QByteArray what = QByteArray::number(c.q) + ": got " + QByteArray::number(gotUs)
                + " us, exact " + QByteArray::number(truth) + " us";
        QVERIFY2(qAbs(gotUs - double(truth)) <= bucketWidthUs(truth), what.constData());
        QVERIFY2(gotUs >= double(*minIt) && gotUs <= double(*maxIt), what.constData());
    }
    QVERIFY(s.p50Ms <= s.p95Ms && s.p95Ms <= s.p99Ms);

    const std::vector<qint64> buckets = histogram.windowBuckets(t0 + 999);
    QCOMPARE(buckets.size(), LatencyHistogram::bucketBoundsUs().size() + 1);
    QCOMPARE(std::accumulate(buckets.begin(), buckets.end(), qint64(0)), qint64(samples.size()));
    for (qint64 us : samples)
        QVERIFY(buckets[size_t(LatencyHistogram::bucketFor(us))] > 0);
}

void TestLatencyHistogram::evenlySpreadSamplesInterpolateClosely()
{
    // With samples spread evenly through each bucket, interpolating inside the
    // bucket lands far closer than the bucket edges would.
    LatencyHistogram histogram;
    for (int i = 1; i <= 10000; ++i)
        histogram.record(qint64(i) * 100, 1000);   // 0.1 ms .. 1000 ms
    const LatencySummary s = histogram.summary(1500);
    QVERIFY2(qAbs(s.p50Ms - 500.0) < 5.0, qPrintable(QString::number(s.p50Ms)));
    QVERIFY2(qAbs(s.p95Ms - 950.0) < 9.5, qPrintable(QString::number(s.p95Ms)));
    QVERIFY2(qAbs(s.p99Ms - 990.0) < 9.9, qPrintable(QString::number(s.p99Ms)));
}

void TestLatencyHistogram::emptyWindowReportsZeros()
{
    const LatencyHistogram histogram;
    const LatencySummary s = histogram.summary(10000);
    QCOMPARE(s.count, qint64(0));
    QCOMPARE(s.avgMs, 0.0);
    QCOMPARE(s.p99Ms, 0.0);
    QCOMPARE(s.maxMs, 0.0);
    QCOMPARE(s.throughputPerSec, 0.0);
}

void TestLatencyHistogram::samplesExpireAfterTheWindow()
{
    LatencyHistogram histogram(60);
    for (int i = 0; i < 10; ++i)
        histogram.record(5000, 500);           // second 0
    histogram.record(1000, 30000);             // second 30

    LatencySummary s = histogram.summary(59999);   // second 59: both still in the minute
    QCOMPARE(s.count, qint64(11));
    QCOMPARE(s.maxMs, 5.0);
    QCOMPARE(s.minMs, 1.0);

    s = histogram.summary(60000);              // second 60: second 0 has left
    QCOMPARE(s.count, qint64(1));
    QCOMPARE(s.maxMs, 1.0);
    QCOMPARE(s.p99Ms, 1.0);
    const std::vector<qint64> buckets = histogram.windowBuckets(60000);
    QCOMPARE(std::accumulate(buckets.begin(), buckets.end(), qint64(0)), qint64(1));
    QCOMPARE(buckets[size_t(LatencyHistogram::bucketFor(1000))], qint64(1));

    s = histogram.summary(90000);
    QCOMPARE(s.count, qint64(0));
    QCOMPARE(s.maxMs, 0.0);
}

void TestLatencyHistogram::ringSlotIsReusedForANewSecond()
{
    LatencyHistogram histogram(60);
    histogram.record(9000, 100);               // second 0, slot 0
    histogram.record(2000, 60100);             // second 60, same slot
    const LatencySummary s = histogram.summary(60100);
    QCOMPARE(s.count, qint64(1));
    QCOMPARE(s.maxMs, 2.0);
    QCOMPARE(s.avgMs, 2.0);
}

void TestLatencyHistogram::throughputOverCoveredTime_data()
{
    QTest::addColumn<int>("perSecond");
    QTest::addColumn<qint64>("startMs");
    QTest::addColumn<qint64>("durationMs");
    QTest::addColumn<double>("expected");

    QTest::addRow("100/s for 5 s") << 100 << qint64(0) << qint64(5000) << 100.0;
    QTest::addRow("10/s for 120 s: the last minute only")
            << 10 << qint64(7000) << qint64(120000) << 10.0;
    QTest::addRow("1000/s for 60 s") << 1000 << qint64(0) << qint64(60000) << 1000.0;
    QTest::addRow("20/s, asked mid-second") << 20 << qint64(0) << qint64(90500) << 20.0;
    QTest::addRow("10 frames in 0.1 s: counted over 1 s")
            << 100 << qint64(3000) << qint64(100) << 10.0;
}

void TestLatencyHistogram::throughputOverCoveredTime()
{
    QFETCH(int, perSecond);
    QFETCH(qint64, startMs);
    QFETCH(qint64, durationMs);
    QFETCH(double, expected);

    LatencyHistogram histogram;
    const qint64 step = 1000 / perSecond;
    for (qint64 t = startMs; t < startMs + durationMs; t += step)
        histogram.record(1500, t);
    const LatencySummary s = histogram.summary(startMs + durationMs);
    QVERIFY2(qAbs(s.throughputPerSec - expected) < expected * 0.01,
             qPrintable(QString::number(s.throughputPerSec)));
}

void TestLatencyHistogram::cumulativeTotalsSurviveExpiry()
{
    LatencyHistogram histogram(10);
    const std::vector<qint64> samples{3, 700, 700, 45000, 2000000};
    qint64 t = 0;
    for (qint64 us : samples) {
        histogram.record(us, t);
        t += 4000;
    }
    QCOMPARE(histogram.summary(t + 60000).count, qint64(0));
    QCOMPARE(histogram.cumulativeCount(), qint64(samples.size()));
    const auto &cumulative = histogram.cumulativeBuckets();
    QCOMPARE(std::accumulate(cumulative.begin(), cumulative.end(), qint64(0)),
             qint64(samples.size()));
    QCOMPARE(cumulative[size_t(LatencyHistogram::bucketFor(700))], qint64(2));
    QVERIFY(qAbs(histogram.cumulativeSumSeconds() - 2.046403) < 1e-9);
}

void TestLatencyHistogram::negativeLatencyCountsAsZero()
{
    LatencyHistogram histogram;
    histogram.record(-250, 1000);
    histogram.record(4000, 1000);
    const LatencySummary s = histogram.summary(1000);
    QCOMPARE(s.count, qint64(2));
    QCOMPARE(s.minMs, 0.0);
    QCOMPARE(s.avgMs, 2.0);
    QCOMPARE(histogram.cumulativeBuckets()[0], qint64(1));
}

QTEST_GUILESS_MAIN(TestLatencyHistogram)
#include "tst_latencyhistogram.moc"
