// Which request each scope of docs/protocol.md section 9 opens.

#include "auth/scopes.h"

#include <QTest>

using namespace halhub;

class tst_Scopes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void types_data();
    void types();
    void deviceWrite_data();
    void deviceWrite();
    void withoutAuthEverythingIsAllowed();
};

void tst_Scopes::types_data()
{
    QTest::addColumn<QString>("scopes");
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("allowed");
    const QStringList reads = {QStringLiteral("list_devices"), QStringLiteral("subscribe"),
                               QStringLiteral("unsubscribe")};
    const QStringList writes = {QStringLiteral("command"), QStringLiteral("cancel")};
    for (const QString &t : reads) {
        QTest::addRow("telemetry:read %s", qPrintable(t)) << "telemetry:read" << t << true;
        QTest::addRow("commands:write %s", qPrintable(t)) << "commands:write" << t << false;
        QTest::addRow("admin %s", qPrintable(t)) << "admin" << t << true;
        QTest::addRow("none %s", qPrintable(t)) << "" << t << false;
    }
    for (const QString &t : writes) {
        QTest::addRow("telemetry:read %s", qPrintable(t)) << "telemetry:read" << t << false;
        QTest::addRow("commands:write %s", qPrintable(t)) << "commands:write" << t << true;
        QTest::addRow("device:sim0:write %s", qPrintable(t)) << "device:sim0:write" << t << true;
        QTest::addRow("admin %s", qPrintable(t)) << "admin" << t << true;
        QTest::addRow("device::write %s", qPrintable(t)) << "device::write" << t << false;
    }
    QTest::addRow("get_metrics needs admin") << "telemetry:read commands:write" << "get_metrics" << false;
    QTest::addRow("admin get_metrics") << "admin" << "get_metrics" << true;
    QTest::addRow("ADMIN is not admin") << "ADMIN" << "get_metrics" << false;
    QTest::addRow("hello needs nothing") << "" << "hello" << true;
    QTest::addRow("ping needs nothing") << "" << "ping" << true;
}

void tst_Scopes::types()
{
    QFETCH(QString, scopes);
    QFETCH(QString, type);
    QFETCH(bool, allowed);
    const Scopes s(scopes.split(QLatin1Char(' '), Qt::SkipEmptyParts));
    QCOMPARE(s.allowsType(type), allowed);
    if (!allowed)
        QVERIFY(!Scopes::requiredFor(type).isEmpty());
}

void tst_Scopes::deviceWrite_data()
{
    QTest::addColumn<QString>("scopes");
    QTest::addColumn<QString>("device");
    QTest::addColumn<bool>("allowed");
    QTest::addRow("own device") << "device:sim0:write" << "sim0" << true;
    QTest::addRow("other device") << "device:sim0:write" << "sim1" << false;
    QTest::addRow("prefix is not a match") << "device:sim:write" << "sim0" << false;
    QTest::addRow("commands:write any device") << "commands:write" << "psu1" << true;
    QTest::addRow("admin any device") << "admin" << "psu1" << true;
    QTest::addRow("read only") << "telemetry:read" << "sim0" << false;
    QTest::addRow("device read is not write") << "device:sim0:read" << "sim0" << false;
}

void tst_Scopes::deviceWrite()
{
    QFETCH(QString, scopes);
    QFETCH(QString, device);
    QFETCH(bool, allowed);
    const Scopes s(scopes.split(QLatin1Char(' '), Qt::SkipEmptyParts));
    QCOMPARE(s.canWriteDevice(device), allowed);
}

void tst_Scopes::withoutAuthEverythingIsAllowed()
{
    const Scopes s = Scopes::all();
    QVERIFY(s.allowsType(QStringLiteral("get_metrics")));
    QVERIFY(s.canWriteDevice(QStringLiteral("anything")));
    QVERIFY(s.canReadTelemetry());
    QVERIFY(!Scopes().canReadTelemetry());
}

QTEST_GUILESS_MAIN(tst_Scopes)
#include "tst_scopes.moc"
