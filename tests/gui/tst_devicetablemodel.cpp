#include "devicetablemodel.h"
#include "eventlogmodel.h"
#include "guifixture.h"

#include <QtTest>

using namespace halhub;
using namespace halhub::test;

class tst_DeviceTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listsConfiguredDevices();
    void unplugShowsDisconnectedThenConnected();
    void addedAndRemovedDevicesFollow();
    void missingPortShowsItsReason();

private:
    static DeviceState stateOf(const DeviceTableModel &model, const QString &device)
    {
        return DeviceState(model.index(model.rowOf(device), DeviceTableModel::StateColumn)
                               .data(DeviceTableModel::StateRole)
                               .toInt());
    }
    static QStringList eventNames(const EventLogModel &events)
    {
        QStringList names;
        for (int row = 0; row < events.rowCount(); ++row)
            names.append(events.index(row, 0).data(EventLogModel::EventNameRole).toString());
        return names;
    }

    RunningServer m_running;
};

void tst_DeviceTableModel::initTestCase()
{
    QVERIFY(m_running.start({simConfig(QStringLiteral("sim0"), 100), simConfig(QStringLiteral("sim1"), 250)}));
}

void tst_DeviceTableModel::listsConfiguredDevices()
{
    DeviceTableModel model(&m_running.hal);
    QCOMPARE(model.rowCount(), 2);
    const int row = model.rowOf(QStringLiteral("sim1"));
    QVERIFY(row >= 0);
    QCOMPARE(model.index(row, DeviceTableModel::PluginColumn).data().toString(), QStringLiteral("sim"));
    QCOMPARE(model.index(row, DeviceTableModel::RateColumn).data().toString(),
             DeviceTableModel::tr("%1 Hz").arg(QLocale().toString(250)));
    QTRY_COMPARE(stateOf(model, QStringLiteral("sim1")), DeviceState::Connected);
    QCOMPARE(model.index(row, DeviceTableModel::StateColumn).data().toString(),
             DeviceTableModel::tr("connected"));
    // The state cell carries its colour, green for connected.
    const QIcon lamp = model.index(row, DeviceTableModel::StateColumn).data(Qt::DecorationRole).value<QIcon>();
    QCOMPARE(lamp.pixmap(32, 32).toImage().pixelColor(16, 16),
             DeviceTableModel::stateColor(DeviceState::Connected));
    QVERIFY(DeviceTableModel::stateColor(DeviceState::Disconnected)
            != DeviceTableModel::stateColor(DeviceState::Connected));
}

void tst_DeviceTableModel::unplugShowsDisconnectedThenConnected()
{
    DeviceTableModel model(&m_running.hal);
    EventLogModel events;
    connect(m_running.server.get(), &Server::eventBroadcast, &events, &EventLogModel::addBroadcast);
    QTRY_COMPARE(stateOf(model, QStringLiteral("sim0")), DeviceState::Connected);

    // The same request a client sends.
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    client.send({{QStringLiteral("type"), QStringLiteral("command")},
                 {QStringLiteral("id"), 7},
                 {QStringLiteral("device"), QStringLiteral("sim0")},
                 {QStringLiteral("command"), QStringLiteral("unplug")},
                 {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 300}}}});
    QTRY_COMPARE(stateOf(model, QStringLiteral("sim0")), DeviceState::Disconnected);
    QCOMPARE(model.index(model.rowOf(QStringLiteral("sim0")), DeviceTableModel::StateColumn).data().toString(),
             DeviceTableModel::tr("disconnected"));
    QTRY_COMPARE(stateOf(model, QStringLiteral("sim0")), DeviceState::Connected);

    QTRY_COMPARE(eventNames(events),
                 QStringList({QStringLiteral("device_disconnected"), QStringLiteral("device_connected")}));
    const int disconnectedRow = 0;
    QCOMPARE(events.index(disconnectedRow, EventLogModel::SourceColumn).data().toString(),
             QStringLiteral("sim0"));
    QCOMPARE(EventLogModel::Severity(events.index(disconnectedRow, 0).data(EventLogModel::SeverityRole).toInt()),
             EventLogModel::Severity::Warning);
    QCOMPARE(EventLogModel::Severity(events.index(1, 0).data(EventLogModel::SeverityRole).toInt()),
             EventLogModel::Severity::Info);
    // Times are the wire's microseconds and in order.
    QVERIFY(events.entry(0)->timestampUs <= events.entry(1)->timestampUs);
    QVERIFY(events.entry(0)->timestampUs > qint64(1600000000) * 1000000);
}

void tst_DeviceTableModel::addedAndRemovedDevicesFollow()
{
    DeviceTableModel model(&m_running.hal);
    QCOMPARE(model.rowCount(), 2);
    QString error;
    QVERIFY2(m_running.hal.applyDevices({simConfig(QStringLiteral("sim0"), 100),
                                         simConfig(QStringLiteral("sim1"), 250),
                                         simConfig(QStringLiteral("sim7"), 50)},
                                        &error),
             qPrintable(error));
    QTRY_COMPARE(model.rowCount(), 3);
    QVERIFY(model.rowOf(QStringLiteral("sim7")) >= 0);
    QVERIFY(m_running.hal.applyDevices({simConfig(QStringLiteral("sim0"), 100),
                                        simConfig(QStringLiteral("sim1"), 250)},
                                       &error));
    QTRY_COMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowOf(QStringLiteral("sim7")), -1);
}

void tst_DeviceTableModel::missingPortShowsItsReason()
{
    DeviceConfig psu;
    psu.id = QStringLiteral("psu1");
    psu.plugin = QStringLiteral("scpi");
    psu.settings = {{QStringLiteral("id"), psu.id},
                    {QStringLiteral("plugin"), psu.plugin},
                    {QStringLiteral("name"), QStringLiteral("Bench supply")},
                    {QStringLiteral("port"), QStringLiteral("/nonexistent/ttyUSB0")}};
    // One model watching from the start, one made after the failure.
    DeviceTableModel early(&m_running.hal);
    QString error;
    QVERIFY2(m_running.hal.applyDevices({simConfig(QStringLiteral("sim0"), 100),
                                         simConfig(QStringLiteral("sim1"), 250), psu},
                                        &error),
             qPrintable(error));
    const QString reason = QStringLiteral("cannot open /nonexistent/ttyUSB0: No such file or directory");
    QTRY_COMPARE(early.index(early.rowOf(QStringLiteral("psu1")), DeviceTableModel::ErrorColumn)
                         .data().toString(),
                 reason);
    DeviceTableModel late(&m_running.hal);
    const int row = late.rowOf(QStringLiteral("psu1"));
    QCOMPARE(late.index(row, DeviceTableModel::ErrorColumn).data().toString(), reason);
    QCOMPARE(late.index(row, DeviceTableModel::StateColumn).data(Qt::ToolTipRole).toString(), reason);
    QCOMPARE(late.index(row, DeviceTableModel::NameColumn).data().toString(),
             QStringLiteral("Bench supply"));
    QCOMPARE(late.index(row, DeviceTableModel::PortColumn).data(Qt::ToolTipRole).toString(),
             QStringLiteral("/nonexistent/ttyUSB0"));
    QVERIFY(m_running.hal.applyDevices({simConfig(QStringLiteral("sim0"), 100),
                                        simConfig(QStringLiteral("sim1"), 250)},
                                       &error));
}

QTEST_MAIN(tst_DeviceTableModel)
#include "tst_devicetablemodel.moc"
