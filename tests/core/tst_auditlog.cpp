// The audit log: one JSON object per line, on disk as soon as recorded.

#include "auth/auditlog.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

namespace {
QList<QJsonObject> lines(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QJsonObject> out;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}
} // namespace

class tst_AuditLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesAreOnDiskAtOnce();
    void appendsToAnExistingLog();
    void unwritableFileIsAnError();
};

void tst_AuditLog::linesAreOnDiskAtOnce()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("audit.jsonl"));
    AuditLog log;
    QString error;
    QVERIFY2(log.open(file, &error), qPrintable(error));
    QSignalSpy recorded(&log, &AuditLog::recorded);

    log.record({{QStringLiteral("user"), QStringLiteral("alice")},
                {QStringLiteral("device"), QStringLiteral("psu1")},
                {QStringLiteral("command"), QStringLiteral("set_voltage")},
                {QStringLiteral("params"), QVariantMap{{QStringLiteral("value"), 12.5}}},
                {QStringLiteral("status"), QStringLiteral("ok")},
                {QStringLiteral("duration_ms"), 4}});
    log.record({{QStringLiteral("user"), QStringLiteral("mallory\n{\"forged\":1}")},
                {QStringLiteral("status"), QStringLiteral("forbidden")}});

    // Read while the log is still open: nothing waits in a buffer.
    const QList<QJsonObject> got = lines(file);
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[0].value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(got[0].value(QStringLiteral("params")).toObject().value(QStringLiteral("value")).toDouble(), 12.5);
    QVERIFY(!got[0].value(QStringLiteral("time")).toString().isEmpty());
    // A newline in a field cannot forge a record.
    QCOMPARE(got[1].value(QStringLiteral("user")).toString(), QStringLiteral("mallory\n{\"forged\":1}"));
    QVERIFY(!got[1].contains(QStringLiteral("forged")));

    QCOMPARE(recorded.size(), 2);
    QCOMPARE(recorded[0][0].toMap().value(QStringLiteral("command")).toString(),
             QStringLiteral("set_voltage"));
}

void tst_AuditLog::appendsToAnExistingLog()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("audit.jsonl"));
    for (int i = 0; i < 2; ++i) {
        AuditLog log;
        QString error;
        QVERIFY(log.open(file, &error));
        log.record({{QStringLiteral("n"), i}});
    }
    const QList<QJsonObject> got = lines(file);
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[1].value(QStringLiteral("n")).toInt(), 1);
}

void tst_AuditLog::unwritableFileIsAnError()
{
    QTemporaryDir dir;
    AuditLog log;
    QString error;
    QVERIFY(!log.open(dir.filePath(QStringLiteral("missing/dir/audit.jsonl")), &error));
    QVERIFY2(error.contains(QStringLiteral("auth.audit_log")), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_AuditLog)
#include "tst_auditlog.moc"
