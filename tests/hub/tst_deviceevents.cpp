#include "fakebus.h"
#include "hub/deviceevents.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace halhub;

namespace {

using Kind = DeviceEvent::Kind;

DeviceEvent eventAt(const QSignalSpy &spy, qsizetype i)
{
    return spy.at(i).at(0).value<DeviceEvent>();
}

// The error events among what the spy caught, for one device.
QList<DeviceEvent> errorsOf(const QSignalSpy &spy, const QString &device)
{
    QList<DeviceEvent> out;
    for (qsizetype i = 0; i < spy.size(); ++i) {
        const DeviceEvent e = eventAt(spy, i);
        if (e.kind == Kind::Error && e.device == device)
            out.append(e);
    }
    return out;
}

} // namespace

class TestDeviceEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void busSignalsBecomeEvents_data();
    void busSignalsBecomeEvents();
    void addedCarriesTheDescription();
    void errorBurstIsThrottledPerDevice();
    void otherDeviceIsNotHeldBack();
    void errorWithinTheSecondAfterAReportWaits();
    void removedDeviceDropsItsPendingErrors();

private:
    std::unique_ptr<FakeBus> m_bus;
    std::unique_ptr<DeviceEvents> m_events;
};

void TestDeviceEvents::initTestCase()
{
    qRegisterMetaType<DeviceEvent>();
}

void TestDeviceEvents::init()
{
    m_bus = std::make_unique<FakeBus>();
    m_bus->add(FakeBus::connectedDevice(QStringLiteral("psu"), {QStringLiteral("volts")}), true);
    m_bus->add(FakeBus::connectedDevice(QStringLiteral("dmm"), {QStringLiteral("amps")}), true);
    m_events = std::make_unique<DeviceEvents>(m_bus.get());
}

void TestDeviceEvents::cleanup()
{
    m_events.reset();
    m_bus.reset();
}

void TestDeviceEvents::busSignalsBecomeEvents_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<bool>("event");        // whether an event follows
    QTest::addColumn<DeviceEvent::Kind>("kind");

    QTest::addRow("connected") << "connected" << true << Kind::Connected;
    QTest::addRow("disconnected") << "disconnected" << true << Kind::Disconnected;
    QTest::addRow("error state counts as disconnected") << "error" << true << Kind::Disconnected;
    QTest::addRow("connecting gives no event") << "connecting" << false << Kind::Connected;
    QTest::addRow("removed") << "removed" << true << Kind::Removed;
}

void TestDeviceEvents::busSignalsBecomeEvents()
{
    QFETCH(QString, what);
    QFETCH(bool, event);
    QFETCH(DeviceEvent::Kind, kind);

    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    const QString psu = QStringLiteral("psu");
    if (what == QLatin1String("connected"))
        m_bus->setState(psu, DeviceState::Connected);
    else if (what == QLatin1String("disconnected"))
        m_bus->setState(psu, DeviceState::Disconnected);
    else if (what == QLatin1String("error"))
        m_bus->setState(psu, DeviceState::Error);
    else if (what == QLatin1String("connecting"))
        m_bus->setState(psu, DeviceState::Connecting);
    else
        m_bus->remove(psu);

    // Events follow their bus signal at once.
    QCOMPARE(spy.size(), event ? 1 : 0);
    if (event) {
        const DeviceEvent e = eventAt(spy, 0);
        QCOMPARE(e.kind, kind);
        QCOMPARE(e.device, psu);
    }
}

void TestDeviceEvents::addedCarriesTheDescription()
{
    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    DeviceInfo info = FakeBus::connectedDevice(QStringLiteral("scope"),
                                               {QStringLiteral("ch1"), QStringLiteral("ch2")},
                                               QStringLiteral("scpi"));
    info.name = QStringLiteral("Bench scope");
    info.rateHz = 20;
    m_bus->add(info);

    QCOMPARE(spy.size(), 1);
    const DeviceEvent e = eventAt(spy, 0);
    QCOMPARE(e.kind, Kind::Added);
    QCOMPARE(e.device, QStringLiteral("scope"));
    QCOMPARE(e.info.id, QStringLiteral("scope"));
    QCOMPARE(e.info.name, QStringLiteral("Bench scope"));
    QCOMPARE(e.info.plugin, QStringLiteral("scpi"));
    QCOMPARE(e.info.rateHz, std::optional<double>(20));
    QCOMPARE(e.info.channels.size(), 2);
    QCOMPARE(e.info.channels.at(1).name, QStringLiteral("ch2"));
}

void TestDeviceEvents::errorBurstIsThrottledPerDevice()
{
    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    QElapsedTimer clock;
    clock.start();
    for (int i = 1; i <= 50; ++i)
        m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("fault %1").arg(i));

    // The first at once, the rest counted.
    QCOMPARE(spy.size(), 1);
    DeviceEvent first = eventAt(spy, 0);
    QCOMPARE(first.kind, Kind::Error);
    QCOMPARE(first.device, QStringLiteral("psu"));
    QCOMPARE(first.count, quint64(1));
    QCOMPARE(first.message, QStringLiteral("fault 1"));

    // The rest in one report, a second after the first (checked four times a
    // second, so within 1.25 s), with the newest message.
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 3000);
    const qint64 elapsed = clock.elapsed();
    const DeviceEvent second = eventAt(spy, 1);
    QCOMPARE(second.kind, Kind::Error);
    QCOMPARE(second.device, QStringLiteral("psu"));
    QCOMPARE(second.count, quint64(49));
    QCOMPARE(second.message, QStringLiteral("fault 50"));
    QVERIFY2(elapsed >= 990, qPrintable(QString::number(elapsed)));
    QVERIFY2(elapsed < 2500, qPrintable(QString::number(elapsed)));
}

void TestDeviceEvents::otherDeviceIsNotHeldBack()
{
    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    for (int i = 0; i < 10; ++i)
        m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("psu fault"));
    QCOMPARE(spy.size(), 1);

    m_bus->raiseError(QStringLiteral("dmm"), QStringLiteral("overload"));
    QCOMPARE(spy.size(), 2);
    const DeviceEvent e = eventAt(spy, 1);
    QCOMPARE(e.kind, Kind::Error);
    QCOMPARE(e.device, QStringLiteral("dmm"));
    QCOMPARE(e.count, quint64(1));
    QCOMPARE(e.message, QStringLiteral("overload"));

    // Each device's held errors come in its own report.
    QTRY_COMPARE_WITH_TIMEOUT(errorsOf(spy, QStringLiteral("psu")).size(), 2, 3000);
    QCOMPARE(errorsOf(spy, QStringLiteral("psu")).at(1).count, quint64(9));
    QCOMPARE(errorsOf(spy, QStringLiteral("dmm")).size(), 1);
}

void TestDeviceEvents::errorWithinTheSecondAfterAReportWaits()
{
    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("one"));
    m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("two"));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 3000);

    // Just reported: the next error waits for the next second.
    m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("three"));
    QCOMPARE(spy.size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 3, 3000);
    const DeviceEvent e = eventAt(spy, 2);
    QCOMPARE(e.count, quint64(1));
    QCOMPARE(e.message, QStringLiteral("three"));
}

void TestDeviceEvents::removedDeviceDropsItsPendingErrors()
{
    QSignalSpy spy(m_events.get(), &DeviceEvents::deviceEvent);
    for (int i = 0; i < 5; ++i)
        m_bus->raiseError(QStringLiteral("psu"), QStringLiteral("psu fault"));
    // dmm's held errors fall due after psu's would have.
    for (int i = 0; i < 3; ++i)
        m_bus->raiseError(QStringLiteral("dmm"), QStringLiteral("dmm fault"));
    QCOMPARE(spy.size(), 2);

    m_bus->remove(QStringLiteral("psu"));
    QCOMPARE(spy.size(), 3);
    QCOMPARE(eventAt(spy, 2).kind, Kind::Removed);

    QTRY_COMPARE_WITH_TIMEOUT(errorsOf(spy, QStringLiteral("dmm")).size(), 2, 3000);
    QCOMPARE(errorsOf(spy, QStringLiteral("dmm")).at(1).count, quint64(2));
    // psu's four were due no later: they are gone, not late.
    QCOMPARE(errorsOf(spy, QStringLiteral("psu")).size(), 1);
    for (qsizetype i = 3; i < spy.size(); ++i)
        QVERIFY(eventAt(spy, i).device != QLatin1String("psu"));
}

QTEST_GUILESS_MAIN(TestDeviceEvents)
#include "tst_deviceevents.moc"
