#include "net/ratelimiter.h"

#include <QtTest>

#include <cmath>

using halhub::AbuseDetector;
using halhub::TokenBucket;

namespace {

// Time for one token to come back at a per-minute rate.
qint64 msPerToken(int perMinute)
{
    return qint64(std::ceil(60000.0 / perMinute));
}

// Sends `perSecond` messages spread over second `second`; true if any of them
// was to close the connection, and at which index (-1 if none).
int floodSecond(AbuseDetector &detector, qint64 second, int perSecond)
{
    int closedAt = -1;
    for (int i = 0; i < perSecond; ++i) {
        const qint64 t = second * 1000 + qint64(i) * 1000 / perSecond;
        if (detector.count(t) && closedAt < 0)
            closedAt = i;
    }
    return closedAt;
}

} // namespace

class TestRateLimiter : public QObject
{
    Q_OBJECT

private slots:
    void burstThenRefusal_data();
    void burstThenRefusal();
    void refillsWithTime_data();
    void refillsWithTime();
    void refillStopsAtBurst();
    void partialTokenGivesShorterRetry();
    void rateChange();

    void abuseAfterTenConsecutiveSeconds_data();
    void abuseAfterTenConsecutiveSeconds();
    void quietSecondResetsTheRun_data();
    void quietSecondResetsTheRun();
    void skippedSecondResetsTheRun();
    void exactlyAtThresholdIsNotAbuse_data();
    void exactlyAtThresholdIsNotAbuse();
};

void TestRateLimiter::burstThenRefusal_data()
{
    QTest::addColumn<int>("perMinute");
    QTest::addRow("default 200") << 200;
    QTest::addRow("1 per minute") << 1;
    QTest::addRow("7 per minute (uneven refill)") << 7;
    QTest::addRow("per-IP 6000") << 6000;
}

void TestRateLimiter::burstThenRefusal()
{
    QFETCH(int, perMinute);
    TokenBucket bucket(perMinute);
    const qint64 t = 123456;
    for (int i = 0; i < perMinute; ++i)
        QVERIFY2(bucket.tryTake(t), qPrintable(QString::number(i)));
    qint64 retry = -1;
    QVERIFY(!bucket.tryTake(t, &retry));
    QCOMPARE(retry, msPerToken(perMinute));
    // Still empty a moment later, with the wait shrinking accordingly.
    retry = -1;
    QVERIFY(!bucket.tryTake(t + 1, &retry));
    QCOMPARE(retry, msPerToken(perMinute) - 1);
}

void TestRateLimiter::refillsWithTime_data()
{
    QTest::addColumn<int>("perMinute");
    QTest::addRow("200: one per 300 ms") << 200;
    QTest::addRow("60: one per second") << 60;
    QTest::addRow("7: one per ~8.6 s") << 7;
}

void TestRateLimiter::refillsWithTime()
{
    QFETCH(int, perMinute);
    TokenBucket bucket(perMinute);
    qint64 t = 1000;
    for (int i = 0; i < perMinute; ++i)
        QVERIFY(bucket.tryTake(t));
    qint64 retry = 0;
    QVERIFY(!bucket.tryTake(t, &retry));

    // Not a millisecond before the promised time, and right at it.
    QVERIFY(!bucket.tryTake(t + retry - 1));
    QVERIFY(bucket.tryTake(t + retry));
    QVERIFY(!bucket.tryTake(t + retry));

    // Over ten refill periods, ten more messages and no more.
    t += retry;
    int taken = 0;
    for (qint64 ms = 1; ms <= 10 * msPerToken(perMinute); ++ms) {
        if (bucket.tryTake(t + ms))
            ++taken;
    }
    QCOMPARE(taken, 10);
}

void TestRateLimiter::refillStopsAtBurst()
{
    TokenBucket bucket(30);
    for (int i = 0; i < 30; ++i)
        QVERIFY(bucket.tryTake(0));
    QVERIFY(!bucket.tryTake(0));
    // An hour idle saves no more than one burst.
    const qint64 later = 3600 * 1000;
    for (int i = 0; i < 30; ++i)
        QVERIFY(bucket.tryTake(later));
    qint64 retry = 0;
    QVERIFY(!bucket.tryTake(later, &retry));
    QCOMPARE(retry, qint64(2000));
}

void TestRateLimiter::partialTokenGivesShorterRetry()
{
    TokenBucket bucket(200);
    for (int i = 0; i < 200; ++i)
        QVERIFY(bucket.tryTake(0));
    qint64 retry = 0;
    QVERIFY(!bucket.tryTake(150, &retry));   // half a token back
    QCOMPARE(retry, qint64(150));
    QVERIFY(!bucket.tryTake(299, &retry));
    QCOMPARE(retry, qint64(1));               // never 0
    QVERIFY(bucket.tryTake(300));
}

void TestRateLimiter::rateChange()
{
    // A bucket not yet used starts full at the new rate.
    TokenBucket fresh(200);
    fresh.setRate(500);
    QCOMPARE(fresh.perMinute(), 500);
    for (int i = 0; i < 500; ++i)
        QVERIFY(fresh.tryTake(0));
    QVERIFY(!fresh.tryTake(0));

    // Lowering the rate caps what was saved at the new burst.
    TokenBucket lowered(200);
    QVERIFY(lowered.tryTake(0));
    lowered.setRate(50);
    for (int i = 0; i < 50; ++i)
        QVERIFY(lowered.tryTake(0));
    qint64 retry = 0;
    QVERIFY(!lowered.tryTake(0, &retry));
    QCOMPARE(retry, qint64(1200));

    // Raising it refills faster from then on.
    TokenBucket raised(60);
    for (int i = 0; i < 60; ++i)
        QVERIFY(raised.tryTake(0));
    QVERIFY(!raised.tryTake(0, &retry));
    QCOMPARE(retry, qint64(1000));
    raised.setRate(6000);
    QVERIFY(!raised.tryTake(0, &retry));
    QCOMPARE(retry, qint64(10));
    QVERIFY(raised.tryTake(10));
}

void TestRateLimiter::abuseAfterTenConsecutiveSeconds_data()
{
    QTest::addColumn<int>("perMinute");
    QTest::addColumn<int>("overPerSecond");   // smallest count above 2 x rate / 60

    QTest::addRow("60/min: over 2/s") << 60 << 3;
    QTest::addRow("200/min: over 6.67/s") << 200 << 7;
    QTest::addRow("6000/min: over 200/s") << 6000 << 201;
}

void TestRateLimiter::abuseAfterTenConsecutiveSeconds()
{
    QFETCH(int, perMinute);
    QFETCH(int, overPerSecond);

    AbuseDetector detector(perMinute);
    const qint64 first = 40;
    for (qint64 s = first; s < first + 9; ++s)
        QCOMPARE(floodSecond(detector, s, overPerSecond), -1);
    // The 10th second trips exactly when its count passes the threshold.
    QCOMPARE(floodSecond(detector, first + 9, overPerSecond), overPerSecond - 1);
}

void TestRateLimiter::quietSecondResetsTheRun_data()
{
    QTest::addColumn<int>("quietCount");
    QTest::addRow("silent second") << 0;
    QTest::addRow("one message") << 1;
    QTest::addRow("exactly the threshold") << 6;
}

void TestRateLimiter::quietSecondResetsTheRun()
{
    QFETCH(int, quietCount);

    AbuseDetector detector(180);   // threshold 6/s
    for (qint64 s = 0; s < 9; ++s)
        QCOMPARE(floodSecond(detector, s, 7), -1);
    QCOMPARE(floodSecond(detector, 9, quietCount), -1);
    // A fresh run needs its own ten seconds.
    for (qint64 s = 10; s < 19; ++s)
        QCOMPARE(floodSecond(detector, s, 7), -1);
    QCOMPARE(floodSecond(detector, 19, 7), 6);
}

void TestRateLimiter::skippedSecondResetsTheRun()
{
    AbuseDetector detector(60);
    for (qint64 s = 0; s < 9; ++s)
        QCOMPARE(floodSecond(detector, s, 5), -1);
    // Nothing at all in second 9, then a heavy second 10.
    QCOMPARE(floodSecond(detector, 10, 50), -1);
}

void TestRateLimiter::exactlyAtThresholdIsNotAbuse_data()
{
    QTest::addColumn<int>("perMinute");
    QTest::addColumn<int>("perSecond");

    QTest::addRow("60/min at 2/s") << 60 << 2;
    QTest::addRow("200/min at 6/s (below 6.67)") << 200 << 6;
    QTest::addRow("6000/min at 200/s") << 6000 << 200;
}

void TestRateLimiter::exactlyAtThresholdIsNotAbuse()
{
    QFETCH(int, perMinute);
    QFETCH(int, perSecond);

    AbuseDetector detector(perMinute);
    for (qint64 s = 0; s < 30; ++s)
        QCOMPARE(floodSecond(detector, s, perSecond), -1);
    // One more message in the current second is over: the run was not
    // building meanwhile, so this is only its first second.
    QVERIFY(!detector.count(29 * 1000 + 999));
}

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
