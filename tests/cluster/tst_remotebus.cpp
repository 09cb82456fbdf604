// The RemoteBus in-process, without Redis: what the cluster announces
// becomes devices and states, lost samples become gap key frames on every
// stream mode, and a command for an unreachable owner is answered.

#include "bus/devicebus.h"
#include "cluster/clusternode.h"
#include "cluster/remotebus.h"
#include "fakebus.h"
#include "telemetry/streamspec.h"
#include "telemetry/telemetryhub.h"

#include <QSignalSpy>
#include <QTest>

using namespace halhub;

namespace {

class Member final : public StreamMember
{
public:
    QList<Frame> frames;

protected:
    void consumeFrame(Frame frame) override { frames.append(std::move(frame)); }
};

DeviceInfo remoteDevice(DeviceState state)
{
    DeviceInfo info = FakeBus::connectedDevice(QStringLiteral("r0"), {QStringLiteral("x")});
    info.node = QStringLiteral("A");
    info.state = state;
    return info;
}

Sample sample(qint64 ts, double x)
{
    Sample s;
    s.device = QStringLiteral("r0");
    s.timestampUs = ts;
    s.values.append({QStringLiteral("x"), x});
    return s;
}

ClusterConfig config()
{
    ClusterConfig c;
    c.node = QStringLiteral("B");
    c.redis = QStringLiteral("unix:///nonexistent/redis.sock");
    return c;
}

} // namespace

class tst_RemoteBus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void announcedDevicesAndStates();
    void lostSamplesAreGaps_data();
    void lostSamplesAreGaps();
    void unreachableOwnerAnswersAtOnce();
};

void tst_RemoteBus::announcedDevicesAndStates()
{
    FakeBus local;
    ClusterNode node(config(), &local);
    RemoteBus *bus = node.remoteBus();
    QSignalSpy added(bus, &DeviceBus::deviceAdded);
    QSignalSpy removed(bus, &DeviceBus::deviceRemoved);
    QSignalSpy states(bus, &DeviceBus::deviceStateChanged);

    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Connected)}});
    QCOMPARE(added.count(), 1);
    QCOMPARE(bus->device(QStringLiteral("r0"))->node, QStringLiteral("A"));
    // The same again changes nothing; a state change is one transition.
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Connected)}});
    QCOMPARE(added.count() + states.count(), 1);
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Disconnected)}});
    QCOMPARE(states.count(), 1);
    QCOMPARE(states.first().at(1).value<DeviceState>(), DeviceState::Disconnected);
    bus->reconcile({});
    QCOMPARE(removed.count(), 1);
    QVERIFY(bus->devices().isEmpty());
}

void tst_RemoteBus::lostSamplesAreGaps_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addRow("full") << QStringLiteral("full");
    QTest::addRow("delta") << QStringLiteral("delta");
}

void tst_RemoteBus::lostSamplesAreGaps()
{
    QFETCH(QString, mode);
    FakeBus local;
    ClusterNode node(config(), &local);
    RemoteBus *bus = node.remoteBus();
    TelemetryHub hub(bus);
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Connected)}});
    QString error;
    const std::optional<StreamSpec> spec = parseStreamSpec(
            {{QStringLiteral("device"), QStringLiteral("r0")}, {QStringLiteral("mode"), mode}},
            *bus->device(QStringLiteral("r0")), 1000, &error);
    QVERIFY2(spec, qPrintable(error));
    Member member;
    // Samples of an unwatched device are not taken.
    bus->deliverSample(sample(1, 0.0), 1);
    hub.addMember(&member, *spec, *bus->device(QStringLiteral("r0")));
    QVERIFY(bus->isWatched(QStringLiteral("r0")));

    bus->deliverSample(sample(10, 1.0), 7);
    bus->deliverSample(sample(20, 2.0), 8);
    QCOMPARE(member.frames.size(), 2);
    QVERIFY(!member.frames[0].gap);
    QVERIFY(!member.frames[1].gap);
    // Sample 9 was lost between the nodes.
    bus->deliverSample(sample(40, 2.0), 10);
    QCOMPARE(member.frames.size(), 3);
    QVERIFY(member.frames[2].key);
    QVERIFY(member.frames[2].gap);
    QCOMPARE(member.frames[2].timestampUs, qint64(40));
    bus->deliverSample(sample(50, 3.0), 11);
    QVERIFY(!member.frames.last().gap);

    // The owner went away and came back: a gap, whatever the numbers say.
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Disconnected)}});
    bus->deliverSample(sample(60, 4.0), 12);
    QCOMPARE(member.frames.size(), 4);
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Connected)}});
    bus->deliverSample(sample(70, 4.0), 1);
    QCOMPARE(member.frames.size(), 5);
    QVERIFY(member.frames.last().key);
    QVERIFY(member.frames.last().gap);

    hub.removeMember(&member);
    QVERIFY(!bus->isWatched(QStringLiteral("r0")));
}

void tst_RemoteBus::unreachableOwnerAnswersAtOnce()
{
    FakeBus local;
    ClusterNode node(config(), &local);
    RemoteBus *bus = node.remoteBus();
    bus->reconcile({{QStringLiteral("r0"), remoteDevice(DeviceState::Connected)}});
    QVERIFY(bus->handsCommandsOver(QStringLiteral("r0")));
    QSignalSpy finished(bus, &DeviceBus::handedFinished);
    HandedCommand command;
    command.device = QStringLiteral("r0");
    command.command = QStringLiteral("echo");
    bus->handCommand(5, command);
    QCOMPARE(finished.count(), 0);  // never from inside the call
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toULongLong(), quint64(5));
    const HandedResult result = finished.first().at(1).value<HandedResult>();
    QCOMPARE(result.status, QStringLiteral("error"));
    QCOMPARE(result.errorCode, QStringLiteral("device_unavailable"));
    QCOMPARE(bus->runningCount(), 0);
}

QTEST_GUILESS_MAIN(tst_RemoteBus)
#include "tst_remotebus.moc"
