#include "commands/commandrouter.h"
#include "commandrequests.h"
#include "fakebus.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace halhub;

namespace {

ParamSpec param(const QString &name, ParamType type, bool required,
                std::optional<double> minimum = {}, std::optional<double> maximum = {},
                const QStringList &allowed = {})
{
    ParamSpec p;
    p.name = name;
    p.type = type;
    p.required = required;
    p.minimum = minimum;
    p.maximum = maximum;
    p.allowed = allowed;
    return p;
}

DeviceInfo fixedDevice(const QString &id, DeviceState state = DeviceState::Connected)
{
    DeviceInfo info;
    info.id = id;
    info.plugin = QStringLiteral("sim");
    info.name = id;
    info.state = state;

    CommandSpec sleep;
    sleep.name = QStringLiteral("sleep");
    sleep.params = {param(QStringLiteral("ms"), ParamType::Integer, true, 0, 60000)};

    CommandSpec set;
    set.name = QStringLiteral("set");
    set.params = {
        param(QStringLiteral("value"), ParamType::Number, true, -10, 10.5),
        param(QStringLiteral("mode"), ParamType::String, false, {}, {},
              {QStringLiteral("fast"), QStringLiteral("slow")}),
        param(QStringLiteral("label"), ParamType::String, false),
        param(QStringLiteral("on"), ParamType::Bool, false),
        param(QStringLiteral("items"), ParamType::List, false),
        param(QStringLiteral("count"), ParamType::Integer, false, 1, {}),
    };

    CommandSpec echo;
    echo.name = QStringLiteral("echo");
    echo.params = {param(QStringLiteral("payload"), ParamType::Any, true)};

    CommandSpec ping;
    ping.name = QStringLiteral("ping");

    info.commands = {sleep, set, echo, ping};
    return info;
}

struct Received
{
    CommandResult result;
    QList<CommandWaiter> waiters;
};

CommandRequest request(const QString &device, const QString &command,
                       const QVariantMap &params = {}, const QString &session = QStringLiteral("s1"),
                       const QVariant &requestId = 1)
{
    return commandRequest(device, command, params, session, requestId);
}

QVariantMap ms(qlonglong value)
{
    return {{QStringLiteral("ms"), value}};
}

} // namespace

class TestCommandRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void refusals_data();
    void refusals();
    void acceptedParams_data();
    void acceptedParams();
    void commandIdsAreDistinct();
    void runsOneAtATimeInAcceptanceOrder();
    void queueFullBeyond64Waiting();
    void timeoutAbandonsAttemptAndDiscardsLateAnswer();
    void queueTimeDoesNotCount();
    void retries_data();
    void retries();
    void synchronousAnswers();
    void cancelWaitingCommand();
    void cancelRefused();
    void deviceGoneFailsRunningAndQueued_data();
    void deviceGoneFailsRunningAndQueued();
    void duplicateWhilePendingReachesBothWaiters();
    void duplicateOfFinishedCommandReturnsResult();
    void sameKeyDifferentCommandRefused_data();
    void sameKeyDifferentCommandRefused();
    void keysOfDifferentPrincipalsAreIndependent();
    void refusedCommandDoesNotTakeKey();

private:
    CommandRouter::Submission submit(const CommandRequest &r) { return m_router->submit(r); }

    FakeBus *m_bus = nullptr;
    CommandRouter *m_router = nullptr;
    QList<Received> m_results;
};

void TestCommandRouter::init()
{
    m_results.clear();
    m_bus = new FakeBus;
    m_bus->add(fixedDevice(QStringLiteral("dev")));
    m_bus->add(fixedDevice(QStringLiteral("dev2")));
    m_bus->add(fixedDevice(QStringLiteral("off"), DeviceState::Disconnected));
    m_bus->add(fixedDevice(QStringLiteral("starting"), DeviceState::Connecting));
    m_bus->add(fixedDevice(QStringLiteral("broken"), DeviceState::Error));
    DeviceInfo push;
    push.id = QStringLiteral("push");
    push.plugin = QStringLiteral("linestream");
    push.state = DeviceState::Connected;
    push.anyCommand = true;
    m_bus->add(push);

    m_router = new CommandRouter(m_bus);
    connect(m_router, &CommandRouter::resultReady, this,
            [this](const CommandResult &result, const QList<CommandWaiter> &waiters) {
                m_results.append({result, waiters});
            });
}

void TestCommandRouter::cleanup()
{
    delete m_router;
    m_router = nullptr;
    delete m_bus;
    m_bus = nullptr;
}

void TestCommandRouter::refusals_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");   // exact when it names a param, else empty

    const QString dev = QStringLiteral("dev");
    const QString sleepRange = QStringLiteral("params.ms must be an integer in [0, 60000]");

    QTest::addRow("unknown device") << QStringLiteral("nope") << QStringLiteral("sleep") << ms(1)
                                    << QStringLiteral("unknown_device") << QString();
    QTest::addRow("disconnected device") << QStringLiteral("off") << QStringLiteral("sleep") << ms(1)
                                         << QStringLiteral("device_unavailable") << QString();
    QTest::addRow("connecting device") << QStringLiteral("starting") << QStringLiteral("sleep") << ms(1)
                                       << QStringLiteral("device_unavailable") << QString();
    QTest::addRow("device in error") << QStringLiteral("broken") << QStringLiteral("sleep") << ms(1)
                                     << QStringLiteral("device_unavailable") << QString();
    QTest::addRow("unknown command") << dev << QStringLiteral("launch") << QVariantMap()
                                     << QStringLiteral("unknown_command") << QString();
    QTest::addRow("command names are case-sensitive") << dev << QStringLiteral("Sleep") << ms(1)
                                                      << QStringLiteral("unknown_command") << QString();
    QTest::addRow("any-command device, bad name") << QStringLiteral("push") << QStringLiteral("a-b")
                                                  << QVariantMap() << QStringLiteral("unknown_command") << QString();
    QTest::addRow("any-command device, empty name") << QStringLiteral("push") << QString()
                                                    << QVariantMap() << QStringLiteral("unknown_command") << QString();
    QTest::addRow("any-command device, space") << QStringLiteral("push") << QStringLiteral("go now")
                                               << QVariantMap() << QStringLiteral("unknown_command") << QString();

    const QString invalid = QStringLiteral("invalid_params");
    QTest::addRow("required missing") << dev << QStringLiteral("sleep") << QVariantMap() << invalid
                                      << QStringLiteral("params.ms is required: an integer in [0, 60000]");
    QTest::addRow("required null") << dev << QStringLiteral("sleep")
                                   << QVariantMap{{QStringLiteral("ms"), QVariant::fromValue(nullptr)}}
                                   << invalid << QStringLiteral("params.ms is required: an integer in [0, 60000]");
    QTest::addRow("double is not an integer") << dev << QStringLiteral("sleep")
                                              << QVariantMap{{QStringLiteral("ms"), 2.0}} << invalid << sleepRange;
    QTest::addRow("string is not an integer") << dev << QStringLiteral("sleep")
                                              << QVariantMap{{QStringLiteral("ms"), QStringLiteral("5")}}
                                              << invalid << sleepRange;
    QTest::addRow("bool is not an integer") << dev << QStringLiteral("sleep")
                                            << QVariantMap{{QStringLiteral("ms"), true}} << invalid << sleepRange;
    QTest::addRow("integer above maximum") << dev << QStringLiteral("sleep") << ms(60001) << invalid << sleepRange;
    QTest::addRow("integer below minimum") << dev << QStringLiteral("sleep") << ms(-1) << invalid << sleepRange;
    QTest::addRow("huge unsigned integer") << dev << QStringLiteral("sleep")
                                           << QVariantMap{{QStringLiteral("ms"), QVariant::fromValue(quint64(1) << 63)}}
                                           << invalid << sleepRange;
    QTest::addRow("integer below open-ended minimum")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("count"), 0}}
            << invalid << QStringLiteral("params.count must be an integer >= 1");
    QTest::addRow("number above maximum") << dev << QStringLiteral("set")
                                          << QVariantMap{{QStringLiteral("value"), 10.6}} << invalid
                                          << QStringLiteral("params.value must be a number in [-10, 10.5]");
    QTest::addRow("number below minimum") << dev << QStringLiteral("set")
                                          << QVariantMap{{QStringLiteral("value"), qlonglong(-11)}} << invalid
                                          << QStringLiteral("params.value must be a number in [-10, 10.5]");
    QTest::addRow("string is not a number") << dev << QStringLiteral("set")
                                            << QVariantMap{{QStringLiteral("value"), QStringLiteral("1")}} << invalid
                                            << QStringLiteral("params.value must be a number in [-10, 10.5]");
    QTest::addRow("string not allowed")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("mode"), QStringLiteral("medium")}}
            << invalid << QStringLiteral("params.mode must be one of \"fast\", \"slow\"");
    QTest::addRow("number is not a string")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("label"), 3}}
            << invalid << QStringLiteral("params.label must be a string");
    QTest::addRow("integer is not a bool")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("on"), 1}}
            << invalid << QStringLiteral("params.on must be a bool");
    QTest::addRow("map is not a list")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("items"), QVariantMap()}}
            << invalid << QStringLiteral("params.items must be a list");
    QTest::addRow("any still requires a value")
            << dev << QStringLiteral("echo")
            << QVariantMap{{QStringLiteral("payload"), QVariant::fromValue(nullptr)}}
            << invalid << QStringLiteral("params.payload is required: a value");
}

void TestCommandRouter::refusals()
{
    QFETCH(QString, device);
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);
    QFETCH(QString, code);
    QFETCH(QString, message);

    const auto s = submit(request(device, command, params));
    QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Refused);
    QCOMPARE(s.errorCode, code);
    QVERIFY(!s.errorMessage.isEmpty());
    if (!message.isEmpty())
        QCOMPARE(s.errorMessage, message);
    QVERIFY(s.commandId.isEmpty());
    QCOMPARE(m_router->pendingCount(), 0);

    // A refused command is never started.
    QCoreApplication::processEvents();
    QVERIFY(m_bus->starts.isEmpty());
    QVERIFY(m_results.isEmpty());
}

void TestCommandRouter::acceptedParams_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");

    const QString dev = QStringLiteral("dev");
    QTest::addRow("integer at minimum") << dev << QStringLiteral("sleep") << ms(0);
    QTest::addRow("integer at maximum") << dev << QStringLiteral("sleep") << ms(60000);
    QTest::addRow("int instead of qlonglong") << dev << QStringLiteral("sleep")
                                              << QVariantMap{{QStringLiteral("ms"), int(10)}};
    QTest::addRow("unsigned integer") << dev << QStringLiteral("sleep")
                                      << QVariantMap{{QStringLiteral("ms"), QVariant::fromValue(quint64(7))}};
    QTest::addRow("integer for number") << dev << QStringLiteral("set")
                                        << QVariantMap{{QStringLiteral("value"), qlonglong(-10)}};
    QTest::addRow("double for number at maximum") << dev << QStringLiteral("set")
                                                  << QVariantMap{{QStringLiteral("value"), 10.5}};
    QTest::addRow("all optional params")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 0.25}, {QStringLiteral("mode"), QStringLiteral("slow")},
                           {QStringLiteral("label"), QStringLiteral("x")}, {QStringLiteral("on"), false},
                           {QStringLiteral("items"), QVariantList{1, QStringLiteral("a")}},
                           {QStringLiteral("count"), qlonglong(1)}};
    QTest::addRow("optional null counts as absent")
            << dev << QStringLiteral("set")
            << QVariantMap{{QStringLiteral("value"), 1}, {QStringLiteral("mode"), QVariant::fromValue(nullptr)}};
    QTest::addRow("unknown params pass through")
            << dev << QStringLiteral("sleep")
            << QVariantMap{{QStringLiteral("ms"), 5}, {QStringLiteral("extra"), QStringLiteral("kept")}};
    QTest::addRow("any takes a map") << dev << QStringLiteral("echo")
                                     << QVariantMap{{QStringLiteral("payload"), QVariantMap{{QStringLiteral("a"), 1}}}};
    QTest::addRow("command without params") << dev << QStringLiteral("ping") << QVariantMap();
    QTest::addRow("any-command device passes a free name")
            << QStringLiteral("push") << QStringLiteral("Set_Gain_2")
            << QVariantMap{{QStringLiteral("g"), 2}};
}

void TestCommandRouter::acceptedParams()
{
    QFETCH(QString, device);
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);

    const auto s = submit(request(device, command, params));
    QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Accepted);
    QVERIFY(s.errorCode.isEmpty());
    QCOMPARE(m_router->pendingCount(), 1);
    QTRY_COMPARE(m_bus->starts.size(), 1);
    QCOMPARE(m_bus->starts[0].device, device);
    QCOMPARE(m_bus->starts[0].command, command);
    QCOMPARE(m_bus->starts[0].params, params);
}

void TestCommandRouter::commandIdsAreDistinct()
{
    const QRegularExpression format(QStringLiteral("^c[0-9a-f]{16}$"));
    QSet<QString> ids;
    for (int i = 0; i < 40; ++i) {
        const auto s = submit(request(i % 2 ? QStringLiteral("dev") : QStringLiteral("dev2"),
                                      QStringLiteral("ping")));
        QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Accepted);
        QVERIFY2(format.match(s.commandId).hasMatch(), qPrintable(s.commandId));
        ids.insert(s.commandId);
    }
    QCOMPARE(ids.size(), 40);
}

void TestCommandRouter::runsOneAtATimeInAcceptanceOrder()
{
    QStringList ids;
    for (int i = 0; i < 3; ++i)
        ids << submit(request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(i), QStringLiteral("s1"), i)).commandId;
    const QString other = submit(request(QStringLiteral("dev2"), QStringLiteral("ping"))).commandId;

    // Nothing starts or ends inside submit(): the caller sends the ack first.
    QVERIFY(m_bus->starts.isEmpty());
    QCOMPARE(m_router->pendingCount(), 4);

    // One per device: dev's first and dev2's only command run side by side.
    QTRY_COMPARE(m_bus->starts.size(), 2);
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 2);
    QCOMPARE(m_bus->starts[0].params, ms(0));
    QCOMPARE(m_bus->starts[1].device, QStringLiteral("dev2"));

    for (int i = 0; i < 3; ++i) {
        const int startIndex = i == 0 ? 0 : i + 1;
        QTRY_COMPARE(m_bus->starts.size(), i + 2);
        const auto start = m_bus->starts[startIndex];
        QCOMPARE(start.device, QStringLiteral("dev"));
        QCOMPARE(start.params, ms(i));
        m_bus->answer(start.ticket, CommandOutcome::ok(qlonglong(100 + i)));
        QCOMPARE(m_results.size(), i + 1);
        const CommandResult &r = m_results.last().result;
        QCOMPARE(r.commandId, ids[i]);
        QCOMPARE(r.status, CommandResult::Status::Ok);
        QCOMPARE(r.result, QVariant(qlonglong(100 + i)));
        QCOMPARE(r.attempts, 1);
        QCOMPARE(m_results.last().waiters.size(), 1);
        QCOMPARE(m_results.last().waiters[0].requestId, QVariant(i));
        QVERIFY(r.finishedAtMs > 0);
        // The next command of the device starts only once this one is done.
        QCOMPARE(m_bus->starts.size(), i + 2);
    }
    QTRY_COMPARE(m_router->pendingCount(), 1);
    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.last().result.commandId, other);
    QCOMPARE(m_router->pendingCount(), 0);
}

void TestCommandRouter::queueFullBeyond64Waiting()
{
    const auto first = submit(request(QStringLiteral("dev"), QStringLiteral("ping")));
    QCOMPARE(first.outcome, CommandRouter::Submission::Outcome::Accepted);
    QTRY_COMPARE(m_bus->starts.size(), 1);

    // The running command does not count: 64 more may wait.
    for (int i = 0; i < CommandRouter::kMaxQueued; ++i) {
        const auto s = submit(request(QStringLiteral("dev"), QStringLiteral("ping")));
        QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Accepted);
    }
    const auto full = submit(request(QStringLiteral("dev"), QStringLiteral("ping")));
    QCOMPARE(full.outcome, CommandRouter::Submission::Outcome::Refused);
    QCOMPARE(full.errorCode, QStringLiteral("queue_full"));
    QCOMPARE(m_router->pendingCount(), 65);

    // Another device has its own queue.
    QCOMPARE(submit(request(QStringLiteral("dev2"), QStringLiteral("ping"))).outcome,
             CommandRouter::Submission::Outcome::Accepted);

    // When the running one ends, the next runs and one place is free again.
    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok());
    QTRY_COMPARE(m_bus->starts.size(), 3);
    QCOMPARE(submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).outcome,
             CommandRouter::Submission::Outcome::Accepted);
    QCOMPARE(submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).errorCode,
             QStringLiteral("queue_full"));
}

void TestCommandRouter::timeoutAbandonsAttemptAndDiscardsLateAnswer()
{
    CommandRequest slow = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(5000));
    slow.timeoutMs = 50;
    const QString slowId = submit(slow).commandId;
    const QString nextId = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;

    QTRY_COMPARE(m_bus->starts.size(), 1);
    const quint64 slowTicket = m_bus->starts[0].ticket;

    QTRY_COMPARE(m_results.size(), 1);
    const CommandResult r = m_results[0].result;
    QCOMPARE(r.commandId, slowId);
    QCOMPARE(r.status, CommandResult::Status::Timeout);
    QCOMPARE(r.errorCode, QStringLiteral("timeout"));
    QVERIFY2(r.errorMessage.contains(QStringLiteral("50 ms")), qPrintable(r.errorMessage));
    QCOMPARE(r.attempts, 1);
    QVERIFY(r.durationMs >= 40);

    // The attempt was abandoned and the device took the next command.
    QCOMPARE(m_bus->aborts.size(), 1);
    QCOMPARE(m_bus->aborts[0], qMakePair(QStringLiteral("dev"), slowTicket));
    QTRY_COMPARE(m_bus->starts.size(), 2);
    QCOMPARE(m_bus->starts[1].command, QStringLiteral("ping"));
    QVERIFY(m_bus->starts[1].ticket != slowTicket);

    // The late answer changes nothing.
    m_bus->answer(slowTicket, CommandOutcome::ok(QStringLiteral("late")));
    QCOMPARE(m_results.size(), 1);
    QCOMPARE(m_router->pendingCount(), 1);

    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok(QStringLiteral("pong")));
    QCOMPARE(m_results.size(), 2);
    QCOMPARE(m_results[1].result.commandId, nextId);
    QCOMPARE(m_results[1].result.result, QVariant(QStringLiteral("pong")));
}

void TestCommandRouter::queueTimeDoesNotCount()
{
    // Generous margins: the test must answer the second before its own timeout.
    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(5000));
    first.timeoutMs = 400;
    CommandRequest second = request(QStringLiteral("dev"), QStringLiteral("ping"));
    second.timeoutMs = 200;
    submit(first);
    const QString secondId = submit(second).commandId;

    // The second waits twice its own timeout behind the first.
    QTRY_COMPARE(m_bus->starts.size(), 2);
    QCOMPARE(m_results.size(), 1);
    QCOMPARE(m_results[0].result.status, CommandResult::Status::Timeout);

    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 2);
    QCOMPARE(m_results[1].result.commandId, secondId);
    QCOMPARE(m_results[1].result.status, CommandResult::Status::Ok);
    QVERIFY(m_results[1].result.durationMs >= 350);
}

void TestCommandRouter::retries_data()
{
    QTest::addColumn<int>("retries");
    QTest::addColumn<QStringList>("attempts");   // what happens to each attempt
    QTest::addColumn<CommandResult::Status>("status");
    QTest::addColumn<QString>("code");

    const QString e = QStringLiteral("error");
    const QString t = QStringLiteral("timeout");
    const QString o = QStringLiteral("ok");
    QTest::addRow("no retries, error") << 0 << QStringList{e} << CommandResult::Status::Error
                                       << QStringLiteral("e1");
    QTest::addRow("error then ok") << 2 << QStringList{e, o} << CommandResult::Status::Ok << QString();
    QTest::addRow("errors until the last attempt succeeds") << 2 << QStringList{e, e, o}
                                                            << CommandResult::Status::Ok << QString();
    QTest::addRow("every attempt fails, last error wins") << 2 << QStringList{e, e, e}
                                                          << CommandResult::Status::Error << QStringLiteral("e3");
    QTest::addRow("timeouts exhaust retries") << 1 << QStringList{t, t} << CommandResult::Status::Timeout
                                              << QStringLiteral("timeout");
    QTest::addRow("timeout then ok") << 1 << QStringList{t, o} << CommandResult::Status::Ok << QString();
    QTest::addRow("error then timeout: status of the last") << 1 << QStringList{e, t}
                                                            << CommandResult::Status::Timeout
                                                            << QStringLiteral("timeout");
    QTest::addRow("timeout then error: status of the last") << 1 << QStringList{t, e}
                                                            << CommandResult::Status::Error
                                                            << QStringLiteral("e2");
    QTest::addRow("five retries") << 5 << QStringList{e, t, e, t, e, o} << CommandResult::Status::Ok
                                  << QString();
}

void TestCommandRouter::retries()
{
    QFETCH(int, retries);
    QFETCH(QStringList, attempts);
    QFETCH(CommandResult::Status, status);
    QFETCH(QString, code);

    // Long enough for the test to answer an attempt that follows a timeout.
    CommandRequest r = request(QStringLiteral("dev"), QStringLiteral("ping"));
    r.timeoutMs = 200;
    r.retries = retries;
    const QString id = submit(r).commandId;

    QSet<quint64> tickets;
    int timeouts = 0;
    for (int i = 0; i < attempts.size(); ++i) {
        QTRY_COMPARE(m_bus->starts.size(), i + 1);
        QVERIFY(m_results.isEmpty());
        const quint64 ticket = m_bus->starts[i].ticket;
        tickets.insert(ticket);
        if (attempts[i] == QStringLiteral("error")) {
            m_bus->answer(ticket, CommandOutcome::error(QStringLiteral("e%1").arg(i + 1),
                                                        QStringLiteral("failed")));
        } else if (attempts[i] == QStringLiteral("ok")) {
            m_bus->answer(ticket, CommandOutcome::ok(QStringLiteral("done")));
        } else {
            ++timeouts;
            QTRY_COMPARE(m_bus->aborts.size(), timeouts);
            QCOMPARE(m_bus->aborts.last().second, ticket);
        }
    }
    QTRY_COMPARE(m_results.size(), 1);
    const CommandResult &result = m_results[0].result;
    QCOMPARE(result.commandId, id);
    QCOMPARE(result.status, status);
    QCOMPARE(result.attempts, int(attempts.size()));
    QCOMPARE(result.errorCode, code);
    QCOMPARE(tickets.size(), int(attempts.size()));   // a fresh ticket per attempt
    QCOMPARE(m_bus->aborts.size(), timeouts);
    if (status == CommandResult::Status::Ok)
        QCOMPARE(result.result, QVariant(QStringLiteral("done")));

    // No attempt beyond the last.
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), int(attempts.size()));
}

void TestCommandRouter::synchronousAnswers()
{
    m_bus->immediate = {CommandOutcome::error(QStringLiteral("e1"), QStringLiteral("busy")),
                        CommandOutcome::ok(1), CommandOutcome::ok(2), CommandOutcome::ok(3)};
    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("ping"));
    first.retries = 1;
    QStringList ids;
    ids << submit(first).commandId;
    ids << submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    ids << submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    // Even a device that answers at once cannot beat the ack.
    QVERIFY(m_results.isEmpty());

    QTRY_COMPARE(m_results.size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(m_results[i].result.commandId, ids[i]);
        QCOMPARE(m_results[i].result.status, CommandResult::Status::Ok);
        QCOMPARE(m_results[i].result.result, QVariant(i + 1));
    }
    QCOMPARE(m_results[0].result.attempts, 2);
    QCOMPARE(m_bus->starts.size(), 4);
    QCOMPARE(m_router->pendingCount(), 0);
}

void TestCommandRouter::cancelWaitingCommand()
{
    const QString running = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    const QString b = submit(request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(1),
                                     QStringLiteral("s1"), QStringLiteral("req-b"))).commandId;
    const QString c = submit(request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(2))).commandId;
    QTRY_COMPARE(m_bus->starts.size(), 1);

    QVERIFY(m_router->cancel(b, QStringLiteral("s1")));
    // The result follows the caller's `cancelled`, not inside cancel().
    QVERIFY(m_results.isEmpty());
    QCOMPARE(m_router->pendingCount(), 2);
    QTRY_COMPARE(m_results.size(), 1);
    const CommandResult &r = m_results[0].result;
    QCOMPARE(r.commandId, b);
    QCOMPARE(r.status, CommandResult::Status::Cancelled);
    QCOMPARE(r.attempts, 0);
    QCOMPARE(m_results[0].waiters.size(), 1);
    QCOMPARE(m_results[0].waiters[0].requestId, QVariant(QStringLiteral("req-b")));

    // A cancelled command is finished: a second cancel finds nothing.
    QVERIFY(!m_router->cancel(b, QStringLiteral("s1")));

    // The cancelled command never runs; the one behind it does.
    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok());
    QTRY_COMPARE(m_bus->starts.size(), 2);
    QCOMPARE(m_bus->starts[1].params, ms(2));
    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 3);
    QCOMPARE(m_results[1].result.commandId, running);
    QCOMPARE(m_results[2].result.commandId, c);
}

void TestCommandRouter::cancelRefused()
{
    const QString running = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    const QString waiting = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    QTRY_COMPARE(m_bus->starts.size(), 1);

    QVERIFY(!m_router->cancel(running, QStringLiteral("s1")));          // running
    QVERIFY(!m_router->cancel(waiting, QStringLiteral("s2")));          // another session's
    QVERIFY(!m_router->cancel(QStringLiteral("c0000000000000000"), QStringLiteral("s1")));

    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok());
    QVERIFY(!m_router->cancel(running, QStringLiteral("s1")));          // finished
    QCoreApplication::processEvents();
    QCOMPARE(m_results.size(), 1);
    QCOMPARE(m_results[0].result.status, CommandResult::Status::Ok);

    // The refused cancels left the waiting command alone: it runs.
    QTRY_COMPARE(m_bus->starts.size(), 2);
    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 2);
    QCOMPARE(m_results[1].result.commandId, waiting);
    QCOMPARE(m_results[1].result.status, CommandResult::Status::Ok);
}

void TestCommandRouter::deviceGoneFailsRunningAndQueued_data()
{
    QTest::addColumn<QString>("how");
    QTest::addRow("disconnected") << QStringLiteral("disconnected");
    QTest::addRow("error state") << QStringLiteral("error");
    QTest::addRow("connecting again") << QStringLiteral("connecting");
    QTest::addRow("removed") << QStringLiteral("removed");
}

void TestCommandRouter::deviceGoneFailsRunningAndQueued()
{
    QFETCH(QString, how);

    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("ping"));
    first.retries = 3;
    const QString a = submit(first).commandId;
    const QString b = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    const QString c = submit(request(QStringLiteral("dev"), QStringLiteral("ping"))).commandId;
    const QString other = submit(request(QStringLiteral("dev2"), QStringLiteral("ping"))).commandId;
    QTRY_COMPARE(m_bus->starts.size(), 2);
    const quint64 ticketA = m_bus->starts[0].ticket;
    QCOMPARE(m_bus->starts[0].device, QStringLiteral("dev"));

    if (how == QStringLiteral("removed"))
        m_bus->remove(QStringLiteral("dev"));
    else if (how == QStringLiteral("error"))
        m_bus->setState(QStringLiteral("dev"), DeviceState::Error);
    else if (how == QStringLiteral("connecting"))
        m_bus->setState(QStringLiteral("dev"), DeviceState::Connecting);
    else
        m_bus->setState(QStringLiteral("dev"), DeviceState::Disconnected);

    QCOMPARE(m_results.size(), 3);
    const QStringList expectedIds{a, b, c};
    for (int i = 0; i < 3; ++i) {
        const CommandResult &r = m_results[i].result;
        QCOMPARE(r.commandId, expectedIds[i]);
        QCOMPARE(r.status, CommandResult::Status::Error);
        QCOMPARE(r.errorCode, QStringLiteral("device_unavailable"));
        QCOMPARE(r.attempts, i == 0 ? 1 : 0);
    }
    if (how == QStringLiteral("removed")) {
        QVERIFY(m_bus->aborts.isEmpty());
    } else {
        QCOMPARE(m_bus->aborts.size(), 1);
        QCOMPARE(m_bus->aborts[0].second, ticketA);
    }
    QCOMPARE(m_router->pendingCount(), 1);

    // No retry, no start, and a late answer is ignored.
    m_bus->answer(ticketA, CommandOutcome::ok());
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 2);
    QCOMPARE(m_results.size(), 3);

    // Other devices carry on.
    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 4);
    QCOMPARE(m_results[3].result.commandId, other);
    QCOMPARE(m_results[3].result.status, CommandResult::Status::Ok);

    // Back again, the device takes commands as before.
    if (how == QStringLiteral("removed"))
        m_bus->add(fixedDevice(QStringLiteral("dev")));
    else
        m_bus->setState(QStringLiteral("dev"), DeviceState::Connected);
    const auto s = submit(request(QStringLiteral("dev"), QStringLiteral("ping")));
    QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Accepted);
    QTRY_COMPARE(m_bus->starts.size(), 3);
    m_bus->answer(m_bus->starts[2].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 5);
    QCOMPARE(m_results[4].result.status, CommandResult::Status::Ok);
}

void TestCommandRouter::duplicateWhilePendingReachesBothWaiters()
{
    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(10),
                                   QStringLiteral("s1"), 7);
    first.principal = QStringLiteral("alice");
    first.key = QStringLiteral("k-1");
    const auto s1 = submit(first);
    QCOMPARE(s1.outcome, CommandRouter::Submission::Outcome::Accepted);
    QTRY_COMPARE(m_bus->starts.size(), 1);

    // Same user from another session (a reconnect), with its own request id.
    CommandRequest again = first;
    again.waiter = {QStringLiteral("s2"), QStringLiteral("retry")};
    again.timeoutMs = 2000;              // not part of the identity
    const auto s2 = submit(again);
    QCOMPARE(s2.outcome, CommandRouter::Submission::Outcome::Duplicate);
    QCOMPARE(s2.commandId, s1.commandId);
    QVERIFY(!s2.finished);

    // A third time, from the first session again: still one command.
    again.waiter = {QStringLiteral("s1"), 9};
    QCOMPARE(submit(again).commandId, s1.commandId);

    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 1);
    QCOMPARE(m_router->pendingCount(), 1);

    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok(42));
    QCOMPARE(m_results.size(), 1);
    QCOMPARE(m_results[0].result.commandId, s1.commandId);
    const QList<CommandWaiter> waiters = m_results[0].waiters;
    QCOMPARE(waiters.size(), 3);
    QCOMPARE(waiters[0].session, QStringLiteral("s1"));
    QCOMPARE(waiters[0].requestId, QVariant(7));
    QCOMPARE(waiters[1].session, QStringLiteral("s2"));
    QCOMPARE(waiters[1].requestId, QVariant(QStringLiteral("retry")));
    QCOMPARE(waiters[2].requestId, QVariant(9));
}

void TestCommandRouter::duplicateOfFinishedCommandReturnsResult()
{
    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("ping"));
    first.key = QStringLiteral("once");
    const auto s1 = submit(first);
    QTRY_COMPARE(m_bus->starts.size(), 1);
    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok(QStringLiteral("pong")));
    QCOMPARE(m_results.size(), 1);

    CommandRequest again = first;
    again.waiter.requestId = 2;
    const auto s2 = submit(again);
    QCOMPARE(s2.outcome, CommandRouter::Submission::Outcome::Duplicate);
    QCOMPARE(s2.commandId, s1.commandId);
    QVERIFY(s2.finished.has_value());
    QCOMPARE(s2.finished->commandId, s1.commandId);
    QCOMPARE(s2.finished->status, CommandResult::Status::Ok);
    QCOMPARE(s2.finished->result, QVariant(QStringLiteral("pong")));
    QCOMPARE(s2.finished->attempts, 1);

    // Not run again, and no second emission: the caller sends it itself.
    QCoreApplication::processEvents();
    QCOMPARE(m_bus->starts.size(), 1);
    QCOMPARE(m_results.size(), 1);

    // Even a cancelled command's key keeps its result.
    submit(request(QStringLiteral("dev"), QStringLiteral("ping")));
    QTRY_COMPARE(m_bus->starts.size(), 2);
    CommandRequest keyed = request(QStringLiteral("dev"), QStringLiteral("ping"));
    keyed.key = QStringLiteral("later");
    const auto queued = submit(keyed);
    QVERIFY(m_router->cancel(queued.commandId, QStringLiteral("s1")));
    const auto dup = submit(keyed);
    QCOMPARE(dup.commandId, queued.commandId);
    QVERIFY(dup.finished.has_value());
    QCOMPARE(dup.finished->status, CommandResult::Status::Cancelled);
}

void TestCommandRouter::sameKeyDifferentCommandRefused_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");

    QTest::addRow("different params") << QStringLiteral("dev") << QStringLiteral("sleep") << ms(11);
    QTest::addRow("extra param") << QStringLiteral("dev") << QStringLiteral("sleep")
                                 << QVariantMap{{QStringLiteral("ms"), 10}, {QStringLiteral("x"), 1}};
    QTest::addRow("different command") << QStringLiteral("dev") << QStringLiteral("ping") << QVariantMap();
    QTest::addRow("different device") << QStringLiteral("dev2") << QStringLiteral("sleep") << ms(10);
}

void TestCommandRouter::sameKeyDifferentCommandRefused()
{
    QFETCH(QString, device);
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);

    CommandRequest first = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(10));
    first.key = QStringLiteral("k");
    QCOMPARE(submit(first).outcome, CommandRouter::Submission::Outcome::Accepted);

    CommandRequest other = request(device, command, params);
    other.key = QStringLiteral("k");
    const auto s = submit(other);
    QCOMPARE(s.outcome, CommandRouter::Submission::Outcome::Refused);
    QCOMPARE(s.errorCode, QStringLiteral("invalid_params"));
    QVERIFY2(s.errorMessage.contains(QStringLiteral("different command")), qPrintable(s.errorMessage));
    QCOMPARE(m_router->pendingCount(), 1);

    // The key still belongs to the first command.
    QCOMPARE(submit(first).outcome, CommandRouter::Submission::Outcome::Duplicate);
}

void TestCommandRouter::keysOfDifferentPrincipalsAreIndependent()
{
    CommandRequest alice = request(QStringLiteral("dev"), QStringLiteral("ping"), {}, QStringLiteral("s1"));
    alice.principal = QStringLiteral("alice");
    alice.key = QStringLiteral("same");
    CommandRequest bob = request(QStringLiteral("dev"), QStringLiteral("ping"), {}, QStringLiteral("s2"));
    bob.principal = QStringLiteral("bob");
    bob.key = QStringLiteral("same");

    const auto a = submit(alice);
    const auto b = submit(bob);
    QCOMPARE(a.outcome, CommandRouter::Submission::Outcome::Accepted);
    QCOMPARE(b.outcome, CommandRouter::Submission::Outcome::Accepted);
    QVERIFY(a.commandId != b.commandId);

    // Bob may even use the key for something else.
    CommandRequest carol = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(1));
    carol.principal = QStringLiteral("carol");
    carol.key = QStringLiteral("same");
    QCOMPARE(submit(carol).outcome, CommandRouter::Submission::Outcome::Accepted);

    QTRY_COMPARE(m_bus->starts.size(), 1);
    m_bus->answer(m_bus->starts[0].ticket, CommandOutcome::ok());
    QTRY_COMPARE(m_bus->starts.size(), 2);
    m_bus->answer(m_bus->starts[1].ticket, CommandOutcome::ok());
    QCOMPARE(m_results.size(), 2);
    QCOMPARE(m_results[0].waiters.size(), 1);
    QCOMPARE(m_results[0].waiters[0].session, QStringLiteral("s1"));
    QCOMPARE(m_results[1].waiters.size(), 1);
    QCOMPARE(m_results[1].waiters[0].session, QStringLiteral("s2"));
}

void TestCommandRouter::refusedCommandDoesNotTakeKey()
{
    CommandRequest bad = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(-5));
    bad.key = QStringLiteral("k");
    QCOMPARE(submit(bad).errorCode, QStringLiteral("invalid_params"));

    CommandRequest good = request(QStringLiteral("dev"), QStringLiteral("sleep"), ms(5));
    good.key = QStringLiteral("k");
    QCOMPARE(submit(good).outcome, CommandRouter::Submission::Outcome::Accepted);
}

QTEST_GUILESS_MAIN(TestCommandRouter)
#include "tst_commandrouter.moc"
