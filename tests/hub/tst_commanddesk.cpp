#include "auth/auditlog.h"
#include "commands/commandrouter.h"
#include "commandrequests.h"
#include "fakebus.h"
#include "hub/commanddesk.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace halhub;

namespace {

using Outcome = CommandRouter::Submission::Outcome;

DeviceInfo psu(const QString &id, DeviceState state = DeviceState::Connected)
{
    DeviceInfo info = FakeBus::connectedDevice(id, {QStringLiteral("volts")}, QStringLiteral("scpi"));
    info.state = state;
    CommandSpec set;
    set.name = QStringLiteral("set");
    ParamSpec volts;
    volts.name = QStringLiteral("volts");
    volts.type = ParamType::Number;
    volts.required = true;
    volts.minimum = 0;
    volts.maximum = 30;
    set.params = {volts};
    CommandSpec reset;
    reset.name = QStringLiteral("reset");
    info.commands = {set, reset};
    return info;
}

CommandOrigin client(const QString &session = QStringLiteral("sess-a"))
{
    CommandOrigin o;
    o.user = QStringLiteral("alice");
    o.address = QStringLiteral("192.0.2.7:50123");
    o.session = session;
    o.connection = QStringLiteral("connection 12");
    return o;
}

CommandRequest request(const QString &device, const QString &command, const QVariantMap &params,
                       const QString &session = QStringLiteral("sess-a"),
                       const QVariant &requestId = qlonglong(1))
{
    return commandRequest(device, command, params, session, requestId);
}

QVariantMap volts(double v)
{
    return {{QStringLiteral("volts"), v}};
}

QVariantMap recordAt(const QSignalSpy &spy, qsizetype i)
{
    return spy.at(i).at(0).toMap();
}

} // namespace

class TestCommandDesk : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void acceptedIsRecordedWithItsResult_data();
    void acceptedIsRecordedWithItsResult();
    void refusedIsRecordedAtOnce_data();
    void refusedIsRecordedAtOnce();
    void refusalRecordedAsSent_data();
    void refusalRecordedAsSent();
    void originWithoutSessionNamesItsConnection_data();
    void originWithoutSessionNamesItsConnection();
    void duplicateKeyIsRecordedAsDuplicate();
    void resultFollowsItsRecord();
    void cancelAndPendingDeviceOnlyForTheSameSession();

private:
    CommandRouter::Submission submit(const CommandRequest &r, const CommandOrigin &o = client())
    {
        return m_desk->submit(r, o);
    }

    std::unique_ptr<FakeBus> m_bus;
    std::unique_ptr<CommandRouter> m_router;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<CommandDesk> m_desk;
    std::unique_ptr<QSignalSpy> m_records;
};

void TestCommandDesk::init()
{
    m_bus = std::make_unique<FakeBus>();
    m_bus->add(psu(QStringLiteral("psu")));
    m_bus->add(psu(QStringLiteral("off"), DeviceState::Disconnected));
    m_router = std::make_unique<CommandRouter>(m_bus.get());
    // No file: every record still goes out through `recorded`.
    m_audit = std::make_unique<AuditLog>();
    m_desk = std::make_unique<CommandDesk>(m_router.get(), m_audit.get());
    m_records = std::make_unique<QSignalSpy>(m_audit.get(), &AuditLog::recorded);
}

void TestCommandDesk::cleanup()
{
    m_records.reset();
    m_desk.reset();
    m_audit.reset();
    m_router.reset();
    m_bus.reset();
}

void TestCommandDesk::acceptedIsRecordedWithItsResult_data()
{
    QTest::addColumn<int>("retries");
    QTest::addColumn<int>("timeoutMs");
    // Answers to the attempts in turn; "ok", "error", or "silent" (none).
    QTest::addColumn<QStringList>("answers");
    QTest::addColumn<QString>("status");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<QString>("error");     // empty: no error field

    QTest::addRow("ok") << 0 << 5000 << QStringList{QStringLiteral("ok")} << "ok" << 1 << QString();
    QTest::addRow("error") << 0 << 5000 << QStringList{QStringLiteral("error")} << "error" << 1
                           << "no_reply: no answer on the line";
    QTest::addRow("timeout") << 0 << 30 << QStringList{QStringLiteral("silent")} << "timeout" << 1
                             << "timeout: no answer within 30 ms";
    QTest::addRow("ok after a retry") << 1 << 5000
                                      << QStringList{QStringLiteral("error"), QStringLiteral("ok")}
                                      << "ok" << 2 << QString();
    QTest::addRow("every attempt failed") << 2 << 5000
                                          << QStringList{QStringLiteral("error"), QStringLiteral("error"),
                                                         QStringLiteral("error")}
                                          << "error" << 3 << "no_reply: no answer on the line";
}

void TestCommandDesk::acceptedIsRecordedWithItsResult()
{
    QFETCH(int, retries);
    QFETCH(int, timeoutMs);
    QFETCH(QStringList, answers);
    QFETCH(QString, status);
    QFETCH(int, attempts);
    QFETCH(QString, error);

    CommandRequest r = request(QStringLiteral("psu"), QStringLiteral("set"), volts(12.5),
                               QStringLiteral("sess-a"), QStringLiteral("req-7"));
    r.retries = retries;
    r.timeoutMs = timeoutMs;
    const auto submission = submit(r);
    QCOMPARE(submission.outcome, Outcome::Accepted);

    QSignalSpy results(m_desk.get(), &CommandDesk::resultReady);
    for (qsizetype i = 0; i < answers.size(); ++i) {
        QTRY_COMPARE(m_bus->starts.size(), i + 1);
        // Nothing is recorded while the command runs.
        QCOMPARE(m_records->size(), 0);
        const quint64 ticket = m_bus->starts.at(i).ticket;
        if (answers.at(i) == QLatin1String("ok"))
            m_bus->answer(ticket, CommandOutcome::ok(12.5));
        else if (answers.at(i) == QLatin1String("error"))
            m_bus->answer(ticket, CommandOutcome::error(QStringLiteral("no_reply"),
                                                         QStringLiteral("no answer on the line")));
    }
    QTRY_COMPARE(results.size(), 1);
    QCOMPARE(m_records->size(), 1);

    const QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.value(QStringLiteral("status")).toString(), status);
    QCOMPARE(record.value(QStringLiteral("attempts")), QVariant(qlonglong(attempts)));
    QCOMPARE(record.value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(record.value(QStringLiteral("address")).toString(), QStringLiteral("192.0.2.7:50123"));
    QCOMPARE(record.value(QStringLiteral("session")).toString(), QStringLiteral("sess-a"));
    QVERIFY(!record.contains(QStringLiteral("connection")));
    QCOMPARE(record.value(QStringLiteral("request_id")).toString(), QStringLiteral("req-7"));
    QCOMPARE(record.value(QStringLiteral("device")).toString(), QStringLiteral("psu"));
    QCOMPARE(record.value(QStringLiteral("command")).toString(), QStringLiteral("set"));
    QCOMPARE(record.value(QStringLiteral("params")).toMap(), volts(12.5));
    QCOMPARE(record.value(QStringLiteral("command_id")).toString(), submission.commandId);
    QCOMPARE(record.contains(QStringLiteral("error")), !error.isEmpty());
    if (!error.isEmpty())
        QCOMPARE(record.value(QStringLiteral("error")).toString(), error);

    const QVariant duration = record.value(QStringLiteral("duration_ms"));
    QCOMPARE(duration.typeId(), int(QMetaType::LongLong));
    QVERIFY(duration.toLongLong() >= 0);
    const CommandResult result = results.at(0).at(0).value<CommandResult>();
    QCOMPARE(duration.toLongLong(), result.durationMs);
    if (status == QLatin1String("timeout"))
        QVERIFY2(duration.toLongLong() >= timeoutMs, qPrintable(duration.toString()));

    const QDateTime time = QDateTime::fromString(record.value(QStringLiteral("time")).toString(),
                                                 Qt::ISODateWithMs);
    QVERIFY(time.isValid());
    QVERIFY(qAbs(time.msecsTo(QDateTime::currentDateTimeUtc())) < 60000);
}

void TestCommandDesk::refusedIsRecordedAtOnce_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");
    QTest::addColumn<QString>("status");

    QTest::addRow("unknown device") << "nope" << "set" << volts(1) << "unknown_device";
    QTest::addRow("device not connected") << "off" << "set" << volts(1) << "device_unavailable";
    QTest::addRow("unknown command") << "psu" << "launch" << QVariantMap() << "unknown_command";
    QTest::addRow("param out of range") << "psu" << "set" << volts(31) << "invalid_params";
    QTest::addRow("param of the wrong type") << "psu" << "set"
                                             << QVariantMap{{QStringLiteral("volts"), QStringLiteral("12")}}
                                             << "invalid_params";
    QTest::addRow("required param missing") << "psu" << "set" << QVariantMap() << "invalid_params";
}

void TestCommandDesk::refusedIsRecordedAtOnce()
{
    QFETCH(QString, device);
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);
    QFETCH(QString, status);

    QSignalSpy results(m_desk.get(), &CommandDesk::resultReady);
    const auto submission = submit(request(device, command, params, QStringLiteral("sess-a"), qlonglong(3)));
    QCOMPARE(submission.outcome, Outcome::Refused);
    QCOMPARE(submission.errorCode, status);

    QCOMPARE(m_records->size(), 1);
    const QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.value(QStringLiteral("status")).toString(), status);
    QCOMPARE(record.value(QStringLiteral("error")).toString(), submission.errorMessage);
    QVERIFY(!submission.errorMessage.isEmpty());
    QCOMPARE(record.value(QStringLiteral("request_id")), QVariant(qlonglong(3)));
    QCOMPARE(record.value(QStringLiteral("device")).toString(), device);
    QCOMPARE(record.value(QStringLiteral("command")).toString(), command);
    QCOMPARE(record.contains(QStringLiteral("params")), !params.isEmpty());
    if (!params.isEmpty())
        QCOMPARE(record.value(QStringLiteral("params")).toMap(), params);
    QCOMPARE(record.value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(record.value(QStringLiteral("session")).toString(), QStringLiteral("sess-a"));
    QCOMPARE(record.value(QStringLiteral("duration_ms")), QVariant(qlonglong(0)));
    QVERIFY(!record.contains(QStringLiteral("command_id")));
    QVERIFY(!record.contains(QStringLiteral("attempts")));

    // A refused command never reaches the device nor gets a result.
    QCoreApplication::processEvents();
    QVERIFY(m_bus->starts.isEmpty());
    QCOMPARE(results.size(), 0);
    QCOMPARE(m_records->size(), 1);
}

void TestCommandDesk::refusalRecordedAsSent_data()
{
    QTest::addColumn<QVariantMap>("fields");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("error");

    QTest::addRow("params of a wrong type")
            << QVariantMap{{QStringLiteral("request_id"), qlonglong(5)},
                           {QStringLiteral("device"), QStringLiteral("psu")},
                           {QStringLiteral("command"), QStringLiteral("set")},
                           {QStringLiteral("params"), QStringLiteral("volts=3")}}
            << "invalid_params" << "params must be a map";
    QTest::addRow("device of a wrong type")
            << QVariantMap{{QStringLiteral("request_id"), QStringLiteral("r")},
                           {QStringLiteral("device"), qlonglong(42)},
                           {QStringLiteral("command"), QStringLiteral("set")}}
            << "invalid_params" << "device must be a string";
    QTest::addRow("not allowed")
            << QVariantMap{{QStringLiteral("request_id"), qlonglong(6)},
                           {QStringLiteral("device"), QStringLiteral("psu")},
                           {QStringLiteral("command"), QStringLiteral("reset")}}
            << "forbidden" << "no write scope for psu";
    QTest::addRow("what was not sent is left out")
            << QVariantMap{{QStringLiteral("request_id"), qlonglong(8)},
                           {QStringLiteral("device"), QVariant()},
                           {QStringLiteral("command"), QVariant()}}
            << "invalid_params" << "device is required";
}

void TestCommandDesk::refusalRecordedAsSent()
{
    QFETCH(QVariantMap, fields);
    QFETCH(QString, status);
    QFETCH(QString, error);

    m_desk->recordRefusal(client(), fields, status, error);

    QCOMPARE(m_records->size(), 1);
    QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.take(QStringLiteral("status")).toString(), status);
    QCOMPARE(record.take(QStringLiteral("error")).toString(), error);
    QCOMPARE(record.take(QStringLiteral("duration_ms")), QVariant(qlonglong(0)));
    QCOMPARE(record.take(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(record.take(QStringLiteral("address")).toString(), QStringLiteral("192.0.2.7:50123"));
    QCOMPARE(record.take(QStringLiteral("session")).toString(), QStringLiteral("sess-a"));
    QVERIFY(record.take(QStringLiteral("time")).isValid());
    // What remains is what the request said, values and types as sent.
    QVariantMap sent;
    for (auto it = fields.cbegin(); it != fields.cend(); ++it) {
        if (it->isValid())
            sent.insert(it.key(), it.value());
    }
    QCOMPARE(record.keys(), sent.keys());
    for (auto it = sent.cbegin(); it != sent.cend(); ++it) {
        QCOMPARE(record.value(it.key()).typeId(), it->typeId());
        QCOMPARE(record.value(it.key()), it.value());
    }
}

void TestCommandDesk::originWithoutSessionNamesItsConnection_data()
{
    QTest::addColumn<QString>("session");
    QTest::addColumn<bool>("refused");
    QTest::addColumn<QVariant>("connection");  // absent when the session is named

    QTest::addRow("refused, no session") << QString() << true << QVariant(QStringLiteral("connection 12"));
    QTest::addRow("refused, with session") << QStringLiteral("sess-a") << true << QVariant();
    QTest::addRow("accepted, no session") << QString() << false << QVariant(QStringLiteral("connection 12"));
    QTest::addRow("accepted, with session") << QStringLiteral("sess-a") << false << QVariant();
}

void TestCommandDesk::originWithoutSessionNamesItsConnection()
{
    QFETCH(QString, session);
    QFETCH(bool, refused);
    QFETCH(QVariant, connection);

    const CommandOrigin origin = client(session);
    if (refused) {
        submit(request(QStringLiteral("nope"), QStringLiteral("set"), volts(1), session), origin);
    } else {
        m_bus->immediate.append(CommandOutcome::ok());
        QCOMPARE(submit(request(QStringLiteral("psu"), QStringLiteral("reset"), {}, session), origin).outcome,
                 Outcome::Accepted);
    }
    QTRY_COMPARE(m_records->size(), 1);
    const QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.value(QStringLiteral("session")).toString(), session);
    QCOMPARE(record.value(QStringLiteral("connection")), connection);
}

void TestCommandDesk::duplicateKeyIsRecordedAsDuplicate()
{
    CommandRequest first = request(QStringLiteral("psu"), QStringLiteral("set"), volts(5),
                                   QStringLiteral("sess-a"), qlonglong(1));
    first.key = QStringLiteral("set-5");
    const auto original = submit(first);
    QCOMPARE(original.outcome, Outcome::Accepted);

    CommandRequest again = first;
    again.waiter.requestId = qlonglong(2);
    const auto repeat = submit(again);
    QCOMPARE(repeat.outcome, Outcome::Duplicate);
    QCOMPARE(repeat.commandId, original.commandId);

    // The repeat at once; the original when it finishes.
    QCOMPARE(m_records->size(), 1);
    QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("duplicate"));
    QCOMPARE(record.value(QStringLiteral("command_id")).toString(), original.commandId);
    QCOMPARE(record.value(QStringLiteral("request_id")), QVariant(qlonglong(2)));
    QCOMPARE(record.value(QStringLiteral("device")).toString(), QStringLiteral("psu"));
    QCOMPARE(record.value(QStringLiteral("params")).toMap(), volts(5));
    QVERIFY(!record.value(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(record.value(QStringLiteral("duration_ms")), QVariant(qlonglong(0)));
    QVERIFY(!record.contains(QStringLiteral("attempts")));

    QTRY_COMPARE(m_bus->starts.size(), 1);
    m_bus->answer(m_bus->starts.at(0).ticket, CommandOutcome::ok());
    QTRY_COMPARE(m_records->size(), 2);
    record = recordAt(*m_records, 1);
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(record.value(QStringLiteral("request_id")), QVariant(qlonglong(1)));
    QCOMPARE(record.value(QStringLiteral("command_id")).toString(), original.commandId);

    // A repeat of the finished command is a duplicate too, and runs nothing.
    again.waiter.requestId = qlonglong(3);
    QCOMPARE(submit(again).outcome, Outcome::Duplicate);
    QCOMPARE(m_records->size(), 3);
    QCOMPARE(recordAt(*m_records, 2).value(QStringLiteral("status")).toString(), QStringLiteral("duplicate"));
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 1);
}

void TestCommandDesk::resultFollowsItsRecord()
{
    QList<qsizetype> recordsAtResult;
    QObject listener;
    connect(m_desk.get(), &CommandDesk::resultReady, &listener,
            [&] { recordsAtResult.append(m_records->size()); });
    m_bus->immediate = {CommandOutcome::ok(), CommandOutcome::error(QStringLiteral("device_error"),
                                                                   QStringLiteral("overcurrent"))};
    QCOMPARE(submit(request(QStringLiteral("psu"), QStringLiteral("reset"), {})).outcome, Outcome::Accepted);
    QCOMPARE(submit(request(QStringLiteral("psu"), QStringLiteral("reset"), {})).outcome, Outcome::Accepted);

    QTRY_COMPARE(recordsAtResult.size(), 2);
    // Whoever gets a result can already find its record.
    QCOMPARE(recordsAtResult, (QList<qsizetype>{1, 2}));
    QCOMPARE(recordAt(*m_records, 1).value(QStringLiteral("error")).toString(),
             QStringLiteral("device_error: overcurrent"));
}

void TestCommandDesk::cancelAndPendingDeviceOnlyForTheSameSession()
{
    const auto running = submit(request(QStringLiteral("psu"), QStringLiteral("reset"), {}));
    QTRY_COMPARE(m_bus->starts.size(), 1);
    const auto waiting = submit(request(QStringLiteral("psu"), QStringLiteral("set"), volts(3),
                                        QStringLiteral("sess-a"), qlonglong(2)));
    QCOMPARE(waiting.outcome, Outcome::Accepted);

    const QString a = QStringLiteral("sess-a");
    const QString b = QStringLiteral("sess-b");
    QCOMPARE(m_desk->pendingDevice(running.commandId, a), QStringLiteral("psu"));
    QCOMPARE(m_desk->pendingDevice(waiting.commandId, a), QStringLiteral("psu"));
    QCOMPARE(m_desk->pendingDevice(waiting.commandId, b), QString());
    QCOMPARE(m_desk->pendingDevice(QStringLiteral("c0000000000000000"), a), QString());

    // Another session's command, one that runs, one nobody knows: not cancelled.
    QVERIFY(!m_desk->cancel(waiting.commandId, b));
    QVERIFY(!m_desk->cancel(running.commandId, a));
    QVERIFY(!m_desk->cancel(QStringLiteral("c0000000000000000"), a));
    QCOMPARE(m_records->size(), 0);

    QSignalSpy results(m_desk.get(), &CommandDesk::resultReady);
    QVERIFY(m_desk->cancel(waiting.commandId, a));
    QTRY_COMPARE(results.size(), 1);
    QCOMPARE(m_records->size(), 1);
    const QVariantMap record = recordAt(*m_records, 0);
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(record.value(QStringLiteral("command_id")).toString(), waiting.commandId);
    QCOMPARE(record.value(QStringLiteral("attempts")), QVariant(qlonglong(0)));
    QVERIFY(!record.contains(QStringLiteral("error")));
    QCOMPARE(m_desk->pendingDevice(waiting.commandId, a), QString());
    // The running one is still pending; a cancelled one never reaches the device.
    QCOMPARE(m_desk->pendingDevice(running.commandId, a), QStringLiteral("psu"));

    m_bus->answer(m_bus->starts.at(0).ticket, CommandOutcome::ok());
    QTRY_COMPARE(m_records->size(), 2);
    QCOMPARE(m_desk->pendingDevice(running.commandId, a), QString());
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 1);
}

QTEST_GUILESS_MAIN(TestCommandDesk)
#include "tst_commanddesk.moc"
