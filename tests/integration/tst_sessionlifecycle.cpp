// When a client's session comes to be (docs/protocol.md section 8): a
// connection that only answers pings is a client without a session; its
// first request makes it (the GUI's client table shows it from then on),
// and resume, take-over and the counts a user reads (metrics, the client
// table) come out as before.

#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QTest>

#include <memory>

using namespace halhub;

namespace {

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

// The GUI's row of the one open connection.
ClientStats onlyClient(Server &server)
{
    const QList<ClientStats> stats = server.clientStats();
    return stats.size() == 1 ? stats.first() : ClientStats{};
}

// The session of a client that said hello and went away, waiting for a resume.
QString abandonedSession(TestServer &hub)
{
    auto client = std::make_unique<TestClient>();
    if (!client->open(hub.url()))
        return {};
    const QString session = client->request(msg(QStringLiteral("hello")))
                                .value(QStringLiteral("session")).toString();
    client->socket().abort();
    client.reset();
    if (!QTest::qWaitFor([&] { return hub.server().clientCount() == 0; }, 5000))
        return {};
    return session;
}

} // namespace

class tst_SessionLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void idleConnectionHasNoSession();
    void firstRequest_data();
    void firstRequest();
    void sessionMadeBySubscribeIsResumable();
    void resumeOnFreshConnectionMakesNoSession();
    void resumeAfterPingLeavesNoSessionBehind();
    void takeOverFromFreshConnection();
    void unknownResumeGivesNewSession();
};

void tst_SessionLifecycle::idleConnectionHasNoSession()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient idle;
    QVERIFY(idle.open(hub.url()));
    QTRY_COMPARE(hub.server().clientCount(), 1);
    QCOMPARE(hub.server().sessionCount(), 0);
    QCOMPARE(onlyClient(hub.server()).session, QString());

    // Its first request makes the session, and the client table shows it;
    // metrics count the client.
    QCOMPARE(idle.request(msg(QStringLiteral("ping"))).value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    QCOMPARE(hub.server().sessionCount(), 1);
    const QString session = onlyClient(hub.server()).session;
    QVERIFY(session.size() >= 32);
    QCOMPARE(idle.request(msg(QStringLiteral("list_devices"))).value(QStringLiteral("type")).toString(),
             QStringLiteral("devices"));
    const QVariantMap metrics = idle.request(msg(QStringLiteral("get_metrics")));
    QCOMPARE(metrics.value(QStringLiteral("clients")).toInt(), 1);
    QCOMPARE(metrics.value(QStringLiteral("streams")).toInt(), 0);
    QCOMPARE(hub.server().sessionCount(), 1);

    // hello names it in the welcome, and a second hello keeps it.
    QCOMPARE(idle.request(msg(QStringLiteral("hello"))).value(QStringLiteral("session")).toString(),
             session);
    QCOMPARE(idle.request(msg(QStringLiteral("hello"))).value(QStringLiteral("session")).toString(),
             session);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);

    // Closing an idle connection leaves nothing to expire.
    TestClient other;
    QVERIFY(other.open(hub.url()));
    QTRY_COMPARE(hub.server().clientCount(), 2);
    other.close();
    QTRY_COMPARE(hub.server().clientCount(), 1);
    QCOMPARE(hub.server().sessionCount(), 1);
}

void tst_SessionLifecycle::firstRequest_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<QString>("answer");
    QTest::addColumn<bool>("makesSession");

    QTest::addRow("ping") << msg(QStringLiteral("ping")) << QStringLiteral("pong") << true;
    QTest::addRow("list_devices") << msg(QStringLiteral("list_devices"))
                                  << QStringLiteral("devices") << true;
    QTest::addRow("get_metrics") << msg(QStringLiteral("get_metrics"))
                                 << QStringLiteral("metrics") << true;
    QTest::addRow("unsubscribe of an unknown stream")
        << msg(QStringLiteral("unsubscribe"), {{QStringLiteral("stream"), QStringLiteral("s1")}})
        << QStringLiteral("error") << true;
    QTest::addRow("cancel of an unknown command")
        << msg(QStringLiteral("cancel"), {{QStringLiteral("command_id"), QStringLiteral("c1")}})
        << QStringLiteral("error") << true;
    QTest::addRow("hello with a bad field changes nothing")
        << msg(QStringLiteral("hello"), {{QStringLiteral("encoding"), QStringLiteral("xml")}})
        << QStringLiteral("error") << false;
    QTest::addRow("hello") << msg(QStringLiteral("hello")) << QStringLiteral("welcome") << true;
    QTest::addRow("subscribe")
        << msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")},
                                             {QStringLiteral("rate_hz"), 10}})
        << QStringLiteral("subscribed") << true;
    QTest::addRow("command")
        << msg(QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("sim0")},
                                           {QStringLiteral("command"), QStringLiteral("sleep")},
                                           {QStringLiteral("params"),
                                            QVariantMap{{QStringLiteral("ms"), 1}}}})
        << QStringLiteral("ack") << true;
}

void tst_SessionLifecycle::firstRequest()
{
    QFETCH(QVariantMap, request);
    QFETCH(QString, answer);
    QFETCH(bool, makesSession);

    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));
    QCOMPARE(client.request(request).value(QStringLiteral("type")).toString(), answer);
    QCOMPARE(hub.server().sessionCount(), makesSession ? 1 : 0);
    const QString before = onlyClient(hub.server()).session;
    QCOMPARE(before.isEmpty(), !makesSession);

    // A later hello speaks for the session the first request made, not another.
    const QString session = client.request(msg(QStringLiteral("hello")))
                                .value(QStringLiteral("session")).toString();
    QVERIFY(!session.isEmpty());
    if (makesSession)
        QCOMPARE(session, before);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);
}

void tst_SessionLifecycle::sessionMadeBySubscribeIsResumable()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    auto first = std::make_unique<TestClient>();
    QVERIFY(first->open(hub.url()));
    // No hello: the subscribe makes the session; the GUI shows its id.
    const QString stream = first->request(msg(QStringLiteral("subscribe"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("rate_hz"), 20}}))
                               .value(QStringLiteral("stream")).toString();
    QVERIFY(!stream.isEmpty());
    const ClientStats row = onlyClient(hub.server());
    QVERIFY(!row.session.isEmpty());
    QCOMPARE(row.streams, 1);
    first->socket().abort();
    first.reset();
    QTRY_COMPARE(hub.server().clientCount(), 0);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(hub.server().streamCount(), 1);

    TestClient second;
    QVERIFY(second.open(hub.url()));
    const QVariantMap welcome = second.request(msg(QStringLiteral("hello"),
                                                   {{QStringLiteral("resume"), row.session}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(welcome.value(QStringLiteral("session")).toString(), row.session);
    const QVariantList streams = welcome.value(QStringLiteral("streams")).toList();
    QCOMPARE(streams.size(), 1);
    QCOMPARE(streams.first().toMap().value(QStringLiteral("stream")).toString(), stream);
    QVERIFY(!second.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == QLatin1String("telemetry")
            && m.value(QStringLiteral("stream")).toString() == stream;
    }).isEmpty());
}

void tst_SessionLifecycle::resumeOnFreshConnectionMakesNoSession()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    const QString session = abandonedSession(hub);
    QVERIFY(!session.isEmpty());

    TestClient second;
    QVERIFY(second.open(hub.url()));
    QTRY_COMPARE(hub.server().clientCount(), 1);
    QCOMPARE(hub.server().sessionCount(), 1);
    const QVariantMap welcome = second.request(msg(QStringLiteral("hello"),
                                                   {{QStringLiteral("resume"), session}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    // The resumed session is the connection's only one: none waits out a
    // grace behind it.
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);
}

void tst_SessionLifecycle::resumeAfterPingLeavesNoSessionBehind()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    const QString session = abandonedSession(hub);
    QVERIFY(!session.isEmpty());

    // A client that pings before it resumes: the ping made a session that
    // nobody was told of, and the resume does not leave it waiting.
    TestClient second;
    QVERIFY(second.open(hub.url()));
    QCOMPARE(second.request(msg(QStringLiteral("ping"))).value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    QCOMPARE(hub.server().sessionCount(), 2);
    QVERIFY(onlyClient(hub.server()).session != session);
    const QVariantMap welcome = second.request(msg(QStringLiteral("hello"),
                                                   {{QStringLiteral("resume"), session}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);
}

void tst_SessionLifecycle::takeOverFromFreshConnection()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient holder;
    QVERIFY(holder.open(hub.url()));
    const QString session = holder.request(msg(QStringLiteral("hello")))
                                .value(QStringLiteral("session")).toString();
    TestClient taker;
    QVERIFY(taker.open(hub.url()));
    const QVariantMap welcome = taker.request(msg(QStringLiteral("hello"),
                                                  {{QStringLiteral("resume"), session}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(welcome.value(QStringLiteral("session")).toString(), session);
    QVERIFY(holder.waitForClose());
    QCOMPARE(holder.closeCode(), 4409);
    QTRY_COMPARE(hub.server().clientCount(), 1);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);
}

void tst_SessionLifecycle::unknownResumeGivesNewSession()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));
    const QString unknown = QStringLiteral("0123456789abcdef0123456789abcdef");
    const QVariantMap welcome = client.request(msg(QStringLiteral("hello"),
                                                   {{QStringLiteral("resume"), unknown}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), false);
    const QString session = welcome.value(QStringLiteral("session")).toString();
    QVERIFY(session.size() >= 32);
    QVERIFY(session != unknown);
    QCOMPARE(hub.server().sessionCount(), 1);
    QCOMPARE(onlyClient(hub.server()).session, session);
}

QTEST_GUILESS_MAIN(tst_SessionLifecycle)
#include "tst_sessionlifecycle.moc"
