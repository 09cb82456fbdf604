// Several buses seen as one: who owns a device, what passes, what does not.

#include "bus/compositebus.h"
#include "fakebus.h"

#include <QSignalSpy>
#include <QTest>

using namespace halhub;

namespace {

Sample sampleOf(const QString &device, double value)
{
    Sample s;
    s.device = device;
    s.timestampUs = 1;
    s.values.append({QStringLiteral("v"), value});
    return s;
}

QStringList idsOf(const QList<DeviceInfo> &devices)
{
    QStringList ids;
    for (const DeviceInfo &d : devices)
        ids.append(d.id);
    return ids;
}

} // namespace

class tst_CompositeBus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void listsTheDevicesOfEveryBus();
    void passesOnWhatItsDevicesSay();
    void firstAnnouncedIdWins();
    void nextBusTakesOverARemovedId();
    void commandsGoToTheOwner();
    void commandForAnUnknownDeviceIsAnsweredLater();
    void removedBusTakesItsDevicesAndAnswersAlong();

private:
    FakeBus *m_local = nullptr;
    FakeBus *m_remote = nullptr;
    CompositeBus *m_bus = nullptr;
};

void tst_CompositeBus::init()
{
    m_local = new FakeBus;
    m_remote = new FakeBus;
    m_local->add(FakeBus::connectedDevice(QStringLiteral("sim0"), {QStringLiteral("v")}), true);
    m_remote->add(FakeBus::connectedDevice(QStringLiteral("psu1"), {QStringLiteral("v")}), true);
    m_bus = new CompositeBus;
}

void tst_CompositeBus::cleanup()
{
    delete m_bus;
    delete m_local;
    delete m_remote;
}

void tst_CompositeBus::listsTheDevicesOfEveryBus()
{
    QSignalSpy added(m_bus, &DeviceBus::deviceAdded);
    m_bus->addBus(m_local);
    m_bus->addBus(m_remote);
    QCOMPARE(added.size(), 2);
    QCOMPARE(idsOf(m_bus->devices()), (QStringList{QStringLiteral("sim0"), QStringLiteral("psu1")}));
    QCOMPARE(m_bus->owner(QStringLiteral("psu1")), m_remote);
    QVERIFY(m_bus->device(QStringLiteral("sim0")));
    QVERIFY(!m_bus->device(QStringLiteral("nope")));

    // A device that appears later on either bus is listed too.
    m_remote->add(FakeBus::connectedDevice(QStringLiteral("dmm2")));
    QCOMPARE(added.size(), 3);
    QCOMPARE(m_bus->owner(QStringLiteral("dmm2")), m_remote);
    m_remote->remove(QStringLiteral("dmm2"));
    QVERIFY(!m_bus->device(QStringLiteral("dmm2")));
}

void tst_CompositeBus::passesOnWhatItsDevicesSay()
{
    m_bus->addBus(m_local);
    m_bus->addBus(m_remote);
    QSignalSpy states(m_bus, &DeviceBus::deviceStateChanged);
    QSignalSpy infos(m_bus, &DeviceBus::deviceInfoChanged);
    QSignalSpy errors(m_bus, &DeviceBus::deviceError);
    QSignalSpy samples(m_bus, &DeviceBus::sampleReady);

    m_remote->setState(QStringLiteral("psu1"), DeviceState::Disconnected);
    m_local->changeInfo(FakeBus::connectedDevice(QStringLiteral("sim0"), {QStringLiteral("v"), QStringLiteral("w")}));
    m_local->raiseError(QStringLiteral("sim0"), QStringLiteral("bad line"));
    m_remote->emitSample(sampleOf(QStringLiteral("psu1"), 12.5));

    QCOMPARE(states.size(), 1);
    QCOMPARE(states.at(0).at(0).toString(), QStringLiteral("psu1"));
    QCOMPARE(states.at(0).at(1).value<DeviceState>(), DeviceState::Disconnected);
    QCOMPARE(infos.size(), 1);
    QCOMPARE(infos.at(0).at(0).value<DeviceInfo>().channels.size(), 2);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(1).toString(), QStringLiteral("bad line"));
    QCOMPARE(samples.size(), 1);
    QCOMPARE(samples.at(0).at(0).value<Sample>().values.at(0).value.toDouble(), 12.5);
    QCOMPARE(m_bus->device(QStringLiteral("psu1"))->state, DeviceState::Disconnected);
}

void tst_CompositeBus::firstAnnouncedIdWins()
{
    m_bus->addBus(m_local);
    QSignalSpy errors(m_bus, &DeviceBus::deviceError);
    QSignalSpy added(m_bus, &DeviceBus::deviceAdded);
    QSignalSpy samples(m_bus, &DeviceBus::sampleReady);
    // The other bus has a device of the same id.
    m_remote->add(FakeBus::connectedDevice(QStringLiteral("sim0"), {}, QStringLiteral("remote")), true);
    m_bus->addBus(m_remote);

    QCOMPARE(m_bus->owner(QStringLiteral("sim0")), m_local);
    QCOMPARE(m_bus->device(QStringLiteral("sim0"))->plugin, QStringLiteral("test"));
    QCOMPARE(m_bus->devices().size(), 2);          // sim0 once, psu1
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).toString(), QStringLiteral("sim0"));
    QVERIFY(errors.at(0).at(1).toString().contains(QStringLiteral("already served")));
    QCOMPARE(added.size(), 1);                      // psu1 only

    // Nothing the refused duplicate says gets through.
    m_remote->emitSample(sampleOf(QStringLiteral("sim0"), 99));
    m_remote->setState(QStringLiteral("sim0"), DeviceState::Disconnected);
    QCOMPARE(samples.size(), 0);
    QCOMPARE(m_bus->device(QStringLiteral("sim0"))->state, DeviceState::Connected);
    m_local->emitSample(sampleOf(QStringLiteral("sim0"), 1));
    QCOMPARE(samples.size(), 1);
}

void tst_CompositeBus::nextBusTakesOverARemovedId()
{
    m_remote->add(FakeBus::connectedDevice(QStringLiteral("sim0"), {}, QStringLiteral("remote")), true);
    m_bus->addBus(m_local);
    m_bus->addBus(m_remote);
    QSignalSpy removed(m_bus, &DeviceBus::deviceRemoved);
    QSignalSpy added(m_bus, &DeviceBus::deviceAdded);

    m_local->remove(QStringLiteral("sim0"));
    QCOMPARE(removed.size(), 1);
    QCOMPARE(added.size(), 1);
    QCOMPARE(added.at(0).at(0).value<DeviceInfo>().plugin, QStringLiteral("remote"));
    QCOMPARE(m_bus->owner(QStringLiteral("sim0")), m_remote);
}

void tst_CompositeBus::commandsGoToTheOwner()
{
    m_bus->addBus(m_local);
    m_bus->addBus(m_remote);
    QSignalSpy finished(m_bus, &DeviceBus::commandFinished);

    m_bus->startCommand(QStringLiteral("psu1"), 7, QStringLiteral("set"), {{QStringLiteral("v"), 3}});
    QCOMPARE(m_remote->starts.size(), 1);
    QCOMPARE(m_local->starts.size(), 0);
    QCOMPARE(m_remote->starts.at(0).ticket, quint64(7));
    QCOMPARE(m_remote->starts.at(0).params.value(QStringLiteral("v")).toInt(), 3);

    // An answer for that ticket from a bus that does not run it is dropped.
    m_local->answer(7, CommandOutcome::ok(QStringLiteral("wrong")));
    QCOMPARE(finished.size(), 0);
    m_remote->answer(7, CommandOutcome::ok(QStringLiteral("done")));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(1).value<CommandOutcome>().result.toString(), QStringLiteral("done"));
    // One answer per attempt, even if the bus says it twice.
    m_remote->answer(7, CommandOutcome::ok());
    QCOMPARE(finished.size(), 1);

    // Aborts reach the owner, and its answer after an abort is not passed on.
    m_bus->startCommand(QStringLiteral("sim0"), 8, QStringLiteral("sleep"), {});
    m_bus->abortCommand(QStringLiteral("sim0"), 8);
    QCOMPARE(m_local->aborts.size(), 1);
    QCOMPARE(m_local->aborts.at(0).second, quint64(8));
    m_local->answer(8, CommandOutcome::ok());
    QCOMPARE(finished.size(), 1);
}

void tst_CompositeBus::commandForAnUnknownDeviceIsAnsweredLater()
{
    m_bus->addBus(m_local);
    QSignalSpy finished(m_bus, &DeviceBus::commandFinished);
    m_bus->startCommand(QStringLiteral("gone"), 3, QStringLiteral("x"), {});
    // Not from inside startCommand: the caller is still setting up.
    QCOMPARE(finished.size(), 0);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toULongLong(), quint64(3));
    const auto outcome = finished.at(0).at(1).value<CommandOutcome>();
    QCOMPARE(outcome.status, CommandOutcome::Status::Error);
    QCOMPARE(outcome.errorCode, QStringLiteral("device_unavailable"));
}

void tst_CompositeBus::removedBusTakesItsDevicesAndAnswersAlong()
{
    m_bus->addBus(m_local);
    m_bus->addBus(m_remote);
    QSignalSpy removed(m_bus, &DeviceBus::deviceRemoved);
    QSignalSpy finished(m_bus, &DeviceBus::commandFinished);
    m_bus->startCommand(QStringLiteral("psu1"), 5, QStringLiteral("x"), {});

    m_bus->removeBus(m_remote);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.at(0).at(0).toString(), QStringLiteral("psu1"));
    QCOMPARE(idsOf(m_bus->devices()), QStringList{QStringLiteral("sim0")});
    // A late answer of the removed bus is not passed on: the device's removal
    // already ended the command.
    m_remote->answer(5, CommandOutcome::ok());
    m_remote->emitSample(sampleOf(QStringLiteral("psu1"), 1));
    QCOMPARE(finished.size(), 0);

    // A bus destroyed without being removed first is forgotten all the same.
    delete m_remote;
    m_remote = nullptr;
    QCOMPARE(m_bus->buses().size(), 1);
}

QTEST_GUILESS_MAIN(tst_CompositeBus)
#include "tst_compositebus.moc"
