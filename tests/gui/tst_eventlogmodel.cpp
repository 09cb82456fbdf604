#include "eventlogmodel.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QtTest>

using namespace halhub;

class tst_EventLogModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void severityOfWireEvents_data();
    void severityOfWireEvents();
    void burstArrivesInOneBatch();
    void keepsTheNewestEntries();
    void filterFindsAnyColumn();
    void exportWritesEveryRow_data();
    void exportWritesEveryRow();

private:
    static QVariantMap wireEvent(const QString &event, const QString &device, qint64 ts,
                                 const QVariantMap &data = {})
    {
        QVariantMap m{{QStringLiteral("type"), QStringLiteral("event")},
                      {QStringLiteral("event"), event},
                      {QStringLiteral("ts"), ts}};
        if (!device.isEmpty())
            m.insert(QStringLiteral("device"), device);
        if (!data.isEmpty())
            m.insert(QStringLiteral("data"), data);
        return m;
    }
};

void tst_EventLogModel::severityOfWireEvents_data()
{
    QTest::addColumn<QString>("event");
    QTest::addColumn<int>("severity");
    QTest::addRow("connected is info") << "device_connected" << int(EventLogModel::Severity::Info);
    QTest::addRow("added is info") << "device_added" << int(EventLogModel::Severity::Info);
    QTest::addRow("disconnected warns") << "device_disconnected" << int(EventLogModel::Severity::Warning);
    QTest::addRow("overflow warns") << "stream_overflow" << int(EventLogModel::Severity::Warning);
    QTest::addRow("shutdown warns") << "server_shutdown" << int(EventLogModel::Severity::Warning);
    QTest::addRow("device error is an error") << "device_error" << int(EventLogModel::Severity::Error);
}

void tst_EventLogModel::severityOfWireEvents()
{
    QFETCH(QString, event);
    QFETCH(int, severity);
    EventLogModel model;
    model.addBroadcast(wireEvent(event, QStringLiteral("dev"), 1700000000000000));
    model.flush();
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, 0).data(EventLogModel::SeverityRole).toInt(), severity);
    QCOMPARE(model.index(0, EventLogModel::SeverityColumn).data().toString(),
             EventLogModel::severityText(EventLogModel::Severity(severity)));
    QCOMPARE(model.index(0, EventLogModel::SeverityColumn).data(Qt::ForegroundRole).value<QBrush>().color(),
             EventLogModel::severityColor(EventLogModel::Severity(severity)));
}

void tst_EventLogModel::burstArrivesInOneBatch()
{
    EventLogModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    for (int i = 0; i < 100; ++i)
        model.addBroadcast(wireEvent(QStringLiteral("device_error"), QStringLiteral("ard0"),
                                     1700000000000000 + i,
                                     {{QStringLiteral("message"), QStringLiteral("bad line")},
                                      {QStringLiteral("count"), 3}}));
    QCOMPARE(model.rowCount(), 0);
    QTRY_COMPARE(model.rowCount(), 100);
    QCOMPARE(inserted.count(), 1);
    QVERIFY(model.index(99, EventLogModel::DetailsColumn).data().toString().contains(QLatin1String("bad line")));
    QVERIFY(model.index(99, EventLogModel::DetailsColumn).data().toString().contains(QLatin1String("3")));
}

void tst_EventLogModel::keepsTheNewestEntries()
{
    EventLogModel model;
    model.setMaxEntries(10);
    for (int i = 0; i < 25; ++i) {
        model.addBroadcast(wireEvent(QStringLiteral("device_connected"), QStringLiteral("sim%1").arg(i),
                                     1700000000000000 + i));
        if (i % 7 == 0)
            model.flush();
    }
    model.flush();
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.index(0, EventLogModel::SourceColumn).data().toString(), QStringLiteral("sim15"));
    QCOMPARE(model.index(9, EventLogModel::SourceColumn).data().toString(), QStringLiteral("sim24"));
}

void tst_EventLogModel::filterFindsAnyColumn()
{
    EventLogModel model;
    model.addBroadcast(wireEvent(QStringLiteral("device_connected"), QStringLiteral("sim0"), 1));
    model.addBroadcast(wireEvent(QStringLiteral("device_error"), QStringLiteral("psu1"), 2,
                                 {{QStringLiteral("message"), QStringLiteral("no reply")}}));
    model.addBroadcast(wireEvent(QStringLiteral("device_disconnected"), QStringLiteral("sim0"), 3));
    model.flush();
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setFilterKeyColumn(-1);
    proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy.setFilterFixedString(QStringLiteral("SIM0"));
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setFilterFixedString(QStringLiteral("no reply"));
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.index(0, EventLogModel::SourceColumn).data().toString(), QStringLiteral("psu1"));
}

void tst_EventLogModel::exportWritesEveryRow_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addRow("csv") << "events.csv";
    QTest::addRow("json lines") << "events.jsonl";
}

void tst_EventLogModel::exportWritesEveryRow()
{
    QFETCH(QString, fileName);
    EventLogModel model;
    model.addBroadcast(wireEvent(QStringLiteral("device_error"), QStringLiteral("psu1"), 1700000000123456,
                                 {{QStringLiteral("message"), QStringLiteral("said \"no\", then left")}}));
    model.addBroadcast(wireEvent(QStringLiteral("device_connected"), QStringLiteral("sim0"), 1700000000223456));
    model.flush();

    QTemporaryDir dir;
    const QString path = dir.filePath(fileName);
    QString error;
    QVERIFY2(model.exportTo(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');

    if (fileName.endsWith(QLatin1String(".csv"))) {
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.at(0), QByteArray("time,severity,event,device,stream,client,details"));
        QVERIFY2(lines.at(1).startsWith("2023-11-14T22:13:20.123Z,error,device_error,psu1,"), lines.at(1).constData());
        // A comma or quote in a field is quoted the CSV way.
        QVERIFY(lines.at(1).endsWith("\"said \"\"no\"\", then left\""));
        QVERIFY(lines.at(2).contains(",info,device_connected,sim0,"));
    } else {
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines.at(0)).object();
        QCOMPARE(first.value(QStringLiteral("ts")).toInteger(), 1700000000123456);
        QCOMPARE(first.value(QStringLiteral("event")).toString(), QStringLiteral("device_error"));
        QCOMPARE(first.value(QStringLiteral("severity")).toString(), QStringLiteral("error"));
        QCOMPARE(first.value(QStringLiteral("data")).toObject().value(QStringLiteral("message")).toString(),
                 QStringLiteral("said \"no\", then left"));
        QCOMPARE(QJsonDocument::fromJson(lines.at(1)).object().value(QStringLiteral("device")).toString(),
                 QStringLiteral("sim0"));
    }
}

QTEST_MAIN(tst_EventLogModel)
#include "tst_eventlogmodel.moc"
