// The audit log: one JSON object per line, written by a thread of its own,
// on the disk within 100 ms, with few syncs for many records.

#include "auth/auditlog.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace halhub;

namespace {

QList<QJsonObject> parseLines(const QByteArray &bytes)
{
    QList<QJsonObject> out;
    for (const QByteArray &line : bytes.split('\n')) {
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

// Read as another process would: a fresh open of the file.
QList<QJsonObject> lines(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return parseLines(f.readAll());
}

QVariantMap numbered(int n)
{
    return {{QStringLiteral("n"), n}, {QStringLiteral("status"), QStringLiteral("ok")}};
}

// The log's own messages (some come from its writer thread).
class MessageCapture
{
public:
    MessageCapture()
    {
        s_current = this;
        m_previous = qInstallMessageHandler(&MessageCapture::handle);
    }
    ~MessageCapture()
    {
        qInstallMessageHandler(m_previous);
        s_current = nullptr;
    }
    bool contains(const QString &text) const
    {
        const QMutexLocker lock(&m_mutex);
        for (const QString &message : m_messages) {
            if (message.contains(text))
                return true;
        }
        return false;
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        MessageCapture *self = s_current;
        {
            const QMutexLocker lock(&self->m_mutex);
            self->m_messages << message;
        }
        self->m_previous(type, context, message);
    }

    static inline MessageCapture *s_current = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_messages;
};

} // namespace

class tst_AuditLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesReachTheFileAndTheDisk();
    void burstIsWrittenInOrderWithFewSyncs();
    void destroyWritesAndSyncsEverything();
    void appendsToAnExistingLog();
    void unwritableFileIsAnError_data();
    void unwritableFileIsAnError();
    void stalledDiskLosesRecordsVisibly();
};

void tst_AuditLog::linesReachTheFileAndTheDisk()
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
    // The GUI hears of a record at once, whatever the disk does.
    QCOMPARE(recorded.size(), 2);
    QCOMPARE(recorded[0][0].toMap().value(QStringLiteral("command")).toString(),
             QStringLiteral("set_voltage"));

    // Readable while the log is open; on the disk soon after.
    QTRY_COMPARE_WITH_TIMEOUT(lines(file).size(), 2, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(log.stats().synced, quint64(2), 5000);
    const QList<QJsonObject> got = lines(file);
    QCOMPARE(got[0].value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(got[0].value(QStringLiteral("params")).toObject().value(QStringLiteral("value")).toDouble(), 12.5);
    QVERIFY(!got[0].value(QStringLiteral("time")).toString().isEmpty());
    // A newline in a field cannot forge a record.
    QCOMPARE(got[1].value(QStringLiteral("user")).toString(), QStringLiteral("mallory\n{\"forged\":1}"));
    QVERIFY(!got[1].contains(QStringLiteral("forged")));

    const AuditLog::Stats stats = log.stats();
    QCOMPARE(stats.queued, quint64(2));
    QCOMPARE(stats.written, quint64(2));
    QCOMPARE(stats.lost, quint64(0));
    QVERIFY(stats.syncs >= 1);
}

void tst_AuditLog::burstIsWrittenInOrderWithFewSyncs()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("audit.jsonl"));
    AuditLog log;
    QString error;
    QVERIFY2(log.open(file, &error), qPrintable(error));

    constexpr int kRecords = 1000;
    for (int i = 0; i < kRecords; ++i)
        log.record(numbered(i));

    // The last record reaches the disk, and the burst took few syncs.
    QTRY_COMPARE_WITH_TIMEOUT(log.stats().synced, quint64(kRecords), 10000);
    const AuditLog::Stats stats = log.stats();
    qInfo("%d records: %llu syncs", kRecords, stats.syncs);
    QVERIFY2(stats.syncs <= 40, qPrintable(QString::number(stats.syncs)));
    QCOMPARE(stats.written, quint64(kRecords));
    QCOMPARE(stats.lost, quint64(0));

    const QList<QJsonObject> got = lines(file);
    QCOMPARE(got.size(), kRecords);
    for (int i = 0; i < kRecords; ++i)
        QCOMPARE(got[i].value(QStringLiteral("n")).toInt(), i);
}

void tst_AuditLog::destroyWritesAndSyncsEverything()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("audit.jsonl"));
    constexpr int kRecords = 1000;
    {
        AuditLog log;
        QString error;
        QVERIFY2(log.open(file, &error), qPrintable(error));
        for (int i = 0; i < kRecords; ++i)
            log.record(numbered(i));
        // Gone with lines still queued.
    }
    const QList<QJsonObject> got = lines(file);
    QCOMPARE(got.size(), kRecords);
    for (int i = 0; i < kRecords; ++i)
        QCOMPARE(got[i].value(QStringLiteral("n")).toInt(), i);

    // close() does the same and keeps the count.
    AuditLog log;
    QString error;
    QVERIFY2(log.open(file, &error), qPrintable(error));
    for (int i = 0; i < kRecords; ++i)
        log.record(numbered(kRecords + i));
    log.close();
    QCOMPARE(log.stats().synced, quint64(kRecords));
    QCOMPARE(lines(file).size(), 2 * kRecords);
    QCOMPARE(lines(file).last().value(QStringLiteral("n")).toInt(), 2 * kRecords - 1);
    // Closed, records still reach the GUI.
    QSignalSpy recorded(&log, &AuditLog::recorded);
    log.record(numbered(-1));
    QCOMPARE(recorded.size(), 1);
    QCOMPARE(lines(file).size(), 2 * kRecords);
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

void tst_AuditLog::unwritableFileIsAnError_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason");
    QTest::addRow("in a missing folder") << QStringLiteral("missing/dir/audit.jsonl")
                                         << QStringLiteral("No such file or directory");
    QTest::addRow("a folder") << QString() << QStringLiteral("Is a directory");
}

void tst_AuditLog::unwritableFileIsAnError()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    const QString file = name.isEmpty() ? dir.path() : dir.filePath(name);
    AuditLog log;
    QString error;
    QVERIFY(!log.open(file, &error));
    QCOMPARE(error, QStringLiteral("auth.audit_log: cannot open '%1' for appending: %2")
                        .arg(file, reason));
    QSignalSpy recorded(&log, &AuditLog::recorded);
    log.record(numbered(1));
    QCOMPARE(recorded.size(), 1);
}

void tst_AuditLog::stalledDiskLosesRecordsVisibly()
{
    // A FIFO nobody reads is a disk that has stopped: the writer blocks once
    // the pipe is full, and the log must neither grow without bound nor
    // lose records without a word.
    QTemporaryDir dir;
    const QString fifo = dir.filePath(QStringLiteral("audit.fifo"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    const int reader = ::open(QFile::encodeName(fifo).constData(), O_RDONLY | O_NONBLOCK);
    QVERIFY(reader >= 0);
    const auto closeReader = qScopeGuard([reader] { ::close(reader); });
    QByteArray received;
    auto drain = [&] {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::read(reader, buffer, sizeof buffer);
            if (n <= 0)
                return;
            received.append(buffer, n);
        }
    };

    // Full before the log writes a byte: its first write blocks.
    {
        const int filler = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK);
        QVERIFY(filler >= 0);
        const QByteArray blank(4096, '\n');
        while (::write(filler, blank.constData(), size_t(blank.size())) > 0) {
        }
        while (::write(filler, blank.constData(), 1) > 0) {
        }
        QCOMPARE(errno, EAGAIN);
        ::close(filler);
    }

    MessageCapture messages;
    AuditLog log;
    log.setQueueLimit(64 * 1024);
    QString error;
    QVERIFY2(log.open(fifo, &error), qPrintable(error));
    QSignalSpy recorded(&log, &AuditLog::recorded);

    // 400 KiB: far more than the queue holds.
    constexpr int kRecords = 400;
    const QString padding(1000, QLatin1Char('x'));
    for (int i = 0; i < kRecords; ++i) {
        QVariantMap entry = numbered(i);
        entry.insert(QStringLiteral("params"), padding);
        log.record(entry);
    }
    QCOMPARE(recorded.size(), kRecords);
    const AuditLog::Stats stalled = log.stats();
    QVERIFY2(stalled.lost > 0, "the queue is bounded");
    QCOMPARE(stalled.queued + stalled.lost, quint64(kRecords));
    QVERIFY(messages.contains(QStringLiteral("is not keeping up")));
    QTRY_VERIFY_WITH_TIMEOUT(messages.contains(QStringLiteral("stalls")), 5000);

    // The disk comes back: everything queued is written, and the next
    // record follows a line that counts the missing ones.
    QVERIFY(QTest::qWaitFor([&] {
        drain();
        return log.stats().written == stalled.queued;
    }, 10000));
    QTRY_VERIFY_WITH_TIMEOUT(messages.contains(QStringLiteral("caught up")), 5000);
    log.record(numbered(kRecords));
    QVERIFY(messages.contains(QStringLiteral("takes records again")));
    QVERIFY(QTest::qWaitFor([&] {
        drain();
        return log.stats().written == stalled.queued + 1;
    }, 10000));
    log.close();
    drain();

    // Every record that was queued, in order; where some are missing, a
    // line that counts exactly those.
    const QList<QJsonObject> got = parseLines(received);
    int records = 0;
    int markers = 0;
    int previous = -1;
    quint64 pendingLoss = 0;
    quint64 markedLoss = 0;
    for (const QJsonObject &line : got) {
        if (line.value(QStringLiteral("status")).toString() == QStringLiteral("records_lost")) {
            QVERIFY(!line.value(QStringLiteral("time")).toString().isEmpty());
            pendingLoss = quint64(line.value(QStringLiteral("lost")).toInteger());
            markedLoss += pendingLoss;
            ++markers;
            continue;
        }
        const int n = line.value(QStringLiteral("n")).toInt();
        QCOMPARE(quint64(n - previous - 1), pendingLoss);
        pendingLoss = 0;
        previous = n;
        ++records;
    }
    QCOMPARE(records, int(stalled.queued) + 1);
    QCOMPARE(previous, kRecords);
    QVERIFY(markers >= 1);
    QCOMPARE(markedLoss, stalled.lost);
}

QTEST_GUILESS_MAIN(tst_AuditLog)
#include "tst_auditlog.moc"
