// device_error reaches every client at most once a second per device, with the
// errors in between counted into the next event (docs/protocol.md section 4), and none lost.

#include "fakebus.h"
#include "server/server.h"
#include "testclient.h"

#include <QElapsedTimer>
#include <QTest>

using namespace halhub;

namespace {

QList<QVariantMap> errorsOf(const TestClient &client, const QString &device)
{
    QList<QVariantMap> list;
    for (const QVariantMap &m : client.messagesOfType(QStringLiteral("event"))) {
        if (m.value(QStringLiteral("event")) == QLatin1String("device_error")
            && m.value(QStringLiteral("device")) == device)
            list.append(m);
    }
    return list;
}

qint64 countOf(const QList<QVariantMap> &events)
{
    qint64 n = 0;
    for (const QVariantMap &e : events)
        n += e.value(QStringLiteral("data")).toMap().value(QStringLiteral("count")).toLongLong();
    return n;
}

} // namespace

class tst_DeviceErrors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void throttledPerDeviceAndCounted();
};

void tst_DeviceErrors::throttledPerDeviceAndCounted()
{
    // Two connected devices whose errors the test raises by hand.
    FakeBus bus;
    bus.add(FakeBus::connectedDevice(QStringLiteral("a")), true);
    bus.add(FakeBus::connectedDevice(QStringLiteral("b")), true);
    Config config;
    config.server.port = 0;
    Server server(config, &bus);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QUrl url(QStringLiteral("ws://127.0.0.1/ws/hardware"));
    url.setPort(server.port());
    TestClient first, second;
    QVERIFY(first.open(url));
    QVERIFY(second.open(url));
    QTRY_COMPARE(server.clientCount(), 2);

    // A burst of 50 errors on `a`, one on `b`.
    QElapsedTimer clock;
    clock.start();
    for (int i = 1; i <= 50; ++i)
        bus.raiseError(QStringLiteral("a"), QStringLiteral("bad line %1").arg(i));
    bus.raiseError(QStringLiteral("b"), QStringLiteral("b broke"));

    // The first goes out at once; the rest are counted into one more event
    // about a second later, carrying the newest message. Nothing is lost.
    for (TestClient *client : {&first, &second}) {
        QTRY_COMPARE_WITH_TIMEOUT(countOf(errorsOf(*client, QStringLiteral("a"))), 50, 5000);
        const QList<QVariantMap> a = errorsOf(*client, QStringLiteral("a"));
        QCOMPARE(a.size(), 2);
        QCOMPARE(a.at(0).value(QStringLiteral("data")).toMap().value(QStringLiteral("count")).toLongLong(), 1);
        QCOMPARE(a.at(0).value(QStringLiteral("data")).toMap().value(QStringLiteral("message")).toString(),
                 QStringLiteral("bad line 1"));
        QCOMPARE(a.at(1).value(QStringLiteral("data")).toMap().value(QStringLiteral("message")).toString(),
                 QStringLiteral("bad line 50"));
        const qint64 gapUs = a.at(1).value(QStringLiteral("ts")).toLongLong()
            - a.at(0).value(QStringLiteral("ts")).toLongLong();
        QVERIFY2(gapUs >= 990'000, qPrintable(QString::number(gapUs)));
        // Another device is not held back by a's throttle.
        const QList<QVariantMap> b = errorsOf(*client, QStringLiteral("b"));
        QCOMPARE(b.size(), 1);
        QCOMPARE(countOf(b), 1);
    }
    QVERIFY(clock.elapsed() < 2500);
}

QTEST_GUILESS_MAIN(tst_DeviceErrors)
#include "tst_deviceerrors.moc"
