// Authentication and access end to end (docs/protocol.md section 9): a server with
// auth.required, clients with good, forged and missing tokens, and the
// audit log a lab manager would read afterwards.

#include "server/server.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace halhub;

namespace {

const QByteArray kSecret = "s3cret-for-tests";

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

QString token(const QString &sub, const QString &scope, qint64 expIn = 3600)
{
    return QString::fromLatin1(testtokens::hmac("HS256", kSecret, testtokens::claims(sub, scope, expIn)));
}

QVariantMap hello(const QString &t)
{
    return msg(QStringLiteral("hello"), {{QStringLiteral("token"), t}});
}

QString codeOf(const QVariantMap &reply)
{
    return reply.value(QStringLiteral("type")) == QLatin1String("error")
        ? reply.value(QStringLiteral("code")).toString()
        : QStringLiteral("ok");
}

} // namespace

class tst_Auth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void requestsBeforeATokenAreUnauthorized_data();
    void requestsBeforeATokenAreUnauthorized();
    void closedWith4401WithoutAToken();
    void handshakeToken_data();
    void handshakeToken();
    void helloTokenRules();
    void scopes_data();
    void scopes();
    void refusedRequestsChangeNothing();
    void deviceEventsNeedTelemetryRead();
    void auditLogRecordsAllowedAndRefused();
    void expiredTokenUnauthenticates();
    void anotherUsersSessionIsNotResumed();
    void rateLimitPerUserAcrossConnections();

private:
    std::unique_ptr<TestClient> connect(const QString &handshakeToken = {});
    std::unique_ptr<TestClient> login(const QString &scope, const QString &sub = QStringLiteral("alice"));
    void startServer(int userRate = 6000);
    QList<QJsonObject> auditLines() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<TestServer> m_server;
};

void tst_Auth::startServer(int userRate)
{
    m_server.reset();
    Config config = TestServer::simConfig(2, 50);
    config.auth.required = true;
    config.auth.jwtSecret = QString::fromLatin1(kSecret);
    config.auth.auditLog = m_dir->filePath(QStringLiteral("audit.jsonl"));
    config.limits.rateLimitPerUserPerMin = userRate;
    m_server = std::make_unique<TestServer>(config);
    QVERIFY2(m_server->start(), qPrintable(m_server->error()));
}

void tst_Auth::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    startServer();
}

void tst_Auth::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

QList<QJsonObject> tst_Auth::auditLines() const
{
    QList<QJsonObject> out;
    const QByteArray all = testtokens::readFile(m_dir->filePath(QStringLiteral("audit.jsonl")));
    for (const QByteArray &line : all.split('\n')) {
        if (!line.isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

std::unique_ptr<TestClient> tst_Auth::connect(const QString &handshakeToken)
{
    auto client = std::make_unique<TestClient>();
    QNetworkRequest request(m_server->url());
    if (!handshakeToken.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + handshakeToken.toLatin1());
    if (!client->open(request))
        return nullptr;
    return client;
}

std::unique_ptr<TestClient> tst_Auth::login(const QString &scope, const QString &sub)
{
    auto client = connect();
    if (client && client->request(hello(token(sub, scope))).value(QStringLiteral("type"))
            != QLatin1String("welcome"))
        return nullptr;
    return client;
}

void tst_Auth::requestsBeforeATokenAreUnauthorized_data()
{
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<QString>("expected");
    QTest::addRow("list_devices") << msg(QStringLiteral("list_devices")) << "unauthorized";
    QTest::addRow("subscribe") << msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")}}) << "unauthorized";
    QTest::addRow("unsubscribe") << msg(QStringLiteral("unsubscribe"), {{QStringLiteral("stream"), QStringLiteral("s1")}}) << "unauthorized";
    QTest::addRow("command") << msg(QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("echo")}}) << "unauthorized";
    QTest::addRow("cancel") << msg(QStringLiteral("cancel"), {{QStringLiteral("command_id"), QStringLiteral("c1")}}) << "unauthorized";
    QTest::addRow("get_metrics") << msg(QStringLiteral("get_metrics")) << "unauthorized";
    QTest::addRow("unknown type") << msg(QStringLiteral("format_disk")) << "unauthorized";
    QTest::addRow("ping") << msg(QStringLiteral("ping")) << "ok";
    QTest::addRow("hello without token") << msg(QStringLiteral("hello")) << "ok";
}

void tst_Auth::requestsBeforeATokenAreUnauthorized()
{
    QFETCH(QVariantMap, request);
    QFETCH(QString, expected);
    auto client = connect();
    QVERIFY(client);
    const QVariantMap reply = client->request(request);
    QVERIFY(!reply.isEmpty());
    QCOMPARE(codeOf(reply), expected);
    if (expected != QLatin1String("ok"))
        QVERIFY(!reply.value(QStringLiteral("message")).toString().isEmpty());
    QCOMPARE(m_server->server().streamCount(), 0);
}

void tst_Auth::closedWith4401WithoutAToken()
{
    auto idle = connect();
    auto chatty = connect();
    QVERIFY(idle && chatty);
    QElapsedTimer t;
    t.start();
    // Pings and token-less hellos keep nobody in.
    QCOMPARE(codeOf(chatty->request(msg(QStringLiteral("hello")))), QStringLiteral("ok"));
    QCOMPARE(codeOf(chatty->request(hello(QStringLiteral("forged")))), QStringLiteral("unauthorized"));
    QVERIFY(idle->waitForClose(8000));
    QVERIFY(chatty->waitForClose(2000));
    QVERIFY2(t.elapsed() >= 4500, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(idle->closeCode(), 4401);
    QCOMPARE(chatty->closeCode(), 4401);
}

void tst_Auth::handshakeToken_data()
{
    QTest::addColumn<QString>("header");
    QTest::addColumn<QString>("query");
    QTest::addColumn<bool>("authenticated");
    const QString good = token(QStringLiteral("alice"), QStringLiteral("telemetry:read"));
    const QString forged = QString::fromLatin1(testtokens::hmac("HS256", "wrong", testtokens::claims(QStringLiteral("alice"), QStringLiteral("admin"))));
    QTest::addRow("Bearer header") << (QStringLiteral("Bearer ") + good) << "" << true;
    QTest::addRow("query parameter") << "" << good << true;
    QTest::addRow("header wins over query") << (QStringLiteral("Bearer ") + forged) << good << false;
    QTest::addRow("malformed header does not fall back") << (QStringLiteral("Basic ") + good) << good << false;
    QTest::addRow("forged query") << "" << forged << false;
    QTest::addRow("alg none query") << "" << QString::fromLatin1(testtokens::hmac("none", {}, testtokens::claims(QStringLiteral("alice"), QStringLiteral("admin")))) << false;
}

void tst_Auth::handshakeToken()
{
    QFETCH(QString, header);
    QFETCH(QString, query);
    QFETCH(bool, authenticated);
    QUrl url = m_server->url();
    if (!query.isEmpty())
        url.setQuery(QUrlQuery({{QStringLiteral("token"), query}}));
    QNetworkRequest request(url);
    if (!header.isEmpty())
        request.setRawHeader("Authorization", header.toLatin1());
    TestClient client;
    // The upgrade is never refused for a token.
    QVERIFY(client.open(request));
    const QVariantMap reply = client.request(msg(QStringLiteral("list_devices")));
    QCOMPARE(codeOf(reply), authenticated ? QStringLiteral("ok") : QStringLiteral("unauthorized"));
}

void tst_Auth::helloTokenRules()
{
    auto client = connect();
    QVERIFY(client);
    // An invalid token changes nothing, not the encoding asked for with it.
    QVariantMap bad = hello(QString::fromLatin1(testtokens::hmac("HS512", kSecret, testtokens::claims(QStringLiteral("alice"), QStringLiteral("admin")))));
    bad.insert(QStringLiteral("encoding"), QStringLiteral("msgpack"));
    QVariantMap reply = client->request(bad);
    QCOMPARE(codeOf(reply), QStringLiteral("unauthorized"));
    QVERIFY(reply.value(QStringLiteral("message")).toString().contains(QStringLiteral("HS512")));
    QVERIFY(!client->received().last().binary);

    QCOMPARE(codeOf(client->request(hello(token(QStringLiteral("alice"), QStringLiteral("telemetry:read"))))), QStringLiteral("ok"));
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("list_devices")))), QStringLiteral("ok"));
    // A hello without token keeps the authentication.
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("hello")))), QStringLiteral("ok"));
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("list_devices")))), QStringLiteral("ok"));
    // An invalid token leaves it as it was.
    QCOMPARE(codeOf(client->request(hello(QStringLiteral("x.y.z")))), QStringLiteral("unauthorized"));
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("list_devices")))), QStringLiteral("ok"));
    // Same sub renews, with the new token's scopes.
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("get_metrics")))), QStringLiteral("forbidden"));
    QCOMPARE(codeOf(client->request(hello(token(QStringLiteral("alice"), QStringLiteral("admin"))))), QStringLiteral("ok"));
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("get_metrics")))), QStringLiteral("ok"));
    // Another sub is forbidden and changes nothing.
    QCOMPARE(codeOf(client->request(hello(token(QStringLiteral("mallory"), QStringLiteral("telemetry:read"))))), QStringLiteral("forbidden"));
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("get_metrics")))), QStringLiteral("ok"));
}

void tst_Auth::scopes_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QVariantMap>("request");
    QTest::addColumn<QString>("expected");
    const QVariantMap list = msg(QStringLiteral("list_devices"));
    const QVariantMap sub = msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")}});
    const QVariantMap subGhost = msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("ghost")}});
    const QVariantMap unsub = msg(QStringLiteral("unsubscribe"), {{QStringLiteral("stream"), QStringLiteral("nope")}});
    const auto cmd = [](const QString &device) {
        return msg(QStringLiteral("command"), {{QStringLiteral("device"), device}, {QStringLiteral("command"), QStringLiteral("echo")}});
    };
    const QVariantMap cancel = msg(QStringLiteral("cancel"), {{QStringLiteral("command_id"), QStringLiteral("nope")}});
    const QVariantMap metrics = msg(QStringLiteral("get_metrics"));

    QTest::addRow("read: list_devices") << "telemetry:read" << list << "ok";
    QTest::addRow("read: subscribe") << "telemetry:read" << sub << "ok";
    QTest::addRow("read: unsubscribe") << "telemetry:read" << unsub << "unknown_stream";
    QTest::addRow("read: command") << "telemetry:read" << cmd(QStringLiteral("sim0")) << "forbidden";
    QTest::addRow("read: cancel") << "telemetry:read" << cancel << "forbidden";
    QTest::addRow("read: get_metrics") << "telemetry:read" << metrics << "forbidden";
    QTest::addRow("write: list_devices") << "commands:write" << list << "forbidden";
    QTest::addRow("write: subscribe") << "commands:write" << sub << "forbidden";
    QTest::addRow("write: subscribe unknown device") << "commands:write" << subGhost << "forbidden";
    QTest::addRow("write: unsubscribe") << "commands:write" << unsub << "forbidden";
    QTest::addRow("write: command") << "commands:write" << cmd(QStringLiteral("sim1")) << "ok";
    QTest::addRow("write: command unknown device") << "commands:write" << cmd(QStringLiteral("ghost")) << "unknown_device";
    QTest::addRow("write: cancel") << "commands:write" << cancel << "not_found";
    QTest::addRow("write: get_metrics") << "commands:write" << metrics << "forbidden";
    QTest::addRow("device: own device") << "device:sim0:write" << cmd(QStringLiteral("sim0")) << "ok";
    QTest::addRow("device: other device") << "device:sim0:write" << cmd(QStringLiteral("sim1")) << "forbidden";
    QTest::addRow("device: unknown device") << "device:sim0:write" << cmd(QStringLiteral("ghost")) << "forbidden";
    QTest::addRow("device: list_devices") << "device:sim0:write" << list << "forbidden";
    QTest::addRow("none: command unknown device") << "" << cmd(QStringLiteral("ghost")) << "forbidden";
    QTest::addRow("admin: list_devices") << "admin" << list << "ok";
    QTest::addRow("admin: subscribe") << "admin" << sub << "ok";
    QTest::addRow("admin: command") << "admin" << cmd(QStringLiteral("sim1")) << "ok";
    QTest::addRow("admin: cancel") << "admin" << cancel << "not_found";
    QTest::addRow("admin: get_metrics") << "admin" << metrics << "ok";
}

void tst_Auth::scopes()
{
    QFETCH(QString, scope);
    QFETCH(QVariantMap, request);
    QFETCH(QString, expected);
    auto client = login(scope);
    QVERIFY(client);
    const QVariantMap reply = client->request(request);
    QCOMPARE(reply.value(QStringLiteral("type")) == QLatin1String("ack") ? QStringLiteral("ok") : codeOf(reply), expected);
}

void tst_Auth::refusedRequestsChangeNothing()
{
    auto writer = login(QStringLiteral("device:sim0:write"));
    QVERIFY(writer);
    // set would hold sim1's sine at 42 for everyone.
    const QVariantMap set = msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("set")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("channel"), QStringLiteral("sine")}, {QStringLiteral("value"), 42}}}});
    QCOMPARE(codeOf(writer->request(set)), QStringLiteral("forbidden"));
    QCOMPARE(codeOf(writer->request(msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim1")}}))), QStringLiteral("forbidden"));
    QCOMPARE(m_server->server().streamCount(), 0);

    auto reader = login(QStringLiteral("telemetry:read"), QStringLiteral("bob"));
    QVERIFY(reader);
    const QVariantMap subscribed = reader->request(msg(QStringLiteral("subscribe"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("channels"), QVariantList{QStringLiteral("sine")}}}));
    QCOMPARE(subscribed.value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));
    for (int i = 0; i < 10; ++i) {
        const QVariantMap frame = reader->waitForType(QStringLiteral("telemetry"), 2000, reader->received().size());
        QVERIFY(!frame.isEmpty());
        QVERIFY(frame.value(QStringLiteral("values")).toMap().value(QStringLiteral("sine")).toDouble() != 42.0);
    }
}

void tst_Auth::deviceEventsNeedTelemetryRead()
{
    auto reader = login(QStringLiteral("telemetry:read"), QStringLiteral("reader"));
    auto writer = login(QStringLiteral("commands:write"), QStringLiteral("writer"));
    auto anonymous = connect();
    QVERIFY(reader && writer && anonymous);
    const QVariantMap unplug = msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("unplug")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 200}}}});
    QCOMPARE(writer->request(unplug).value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QVERIFY(!reader->waitForEvent(QStringLiteral("device_disconnected"), 3000).isEmpty());
    QVERIFY(!reader->waitForEvent(QStringLiteral("device_connected"), 3000).isEmpty());
    // Everything the writer was sent had arrived before its ping's pong.
    QCOMPARE(codeOf(writer->request(msg(QStringLiteral("ping")))), QStringLiteral("ok"));
    QCOMPARE(codeOf(anonymous->request(msg(QStringLiteral("ping")))), QStringLiteral("ok"));
    QVERIFY(writer->messagesOfType(QStringLiteral("event")).isEmpty());
    QVERIFY(anonymous->messagesOfType(QStringLiteral("event")).isEmpty());
}

void tst_Auth::auditLogRecordsAllowedAndRefused()
{
    auto client = login(QStringLiteral("device:sim0:write"), QStringLiteral("carol"));
    QVERIFY(client);
    const QVariantMap echo = msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("echo")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("v"), 7}}}});
    const QVariantMap ack = client->request(echo);
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QVERIFY(!client->waitForType(QStringLiteral("result")).isEmpty());
    QVariantMap other = echo;
    other.insert(QStringLiteral("device"), QStringLiteral("sim1"));
    QCOMPARE(codeOf(client->request(other)), QStringLiteral("forbidden"));
    auto stranger = connect();
    QCOMPARE(codeOf(stranger->request(echo)), QStringLiteral("unauthorized"));

    QTRY_COMPARE(auditLines().size(), 3);
    const QList<QJsonObject> lines = auditLines();
    // The refusals are written at once, the accepted command with its result.
    QJsonObject ok, forbidden, unauthorized;
    for (const QJsonObject &l : lines) {
        const QString status = l.value(QStringLiteral("status")).toString();
        (status == QLatin1String("ok") ? ok : status == QLatin1String("forbidden") ? forbidden : unauthorized) = l;
    }
    QCOMPARE(ok.value(QStringLiteral("user")).toString(), QStringLiteral("carol"));
    QCOMPARE(ok.value(QStringLiteral("device")).toString(), QStringLiteral("sim0"));
    QCOMPARE(ok.value(QStringLiteral("command")).toString(), QStringLiteral("echo"));
    QCOMPARE(ok.value(QStringLiteral("params")).toObject().value(QStringLiteral("v")).toInt(), 7);
    QCOMPARE(ok.value(QStringLiteral("command_id")).toString(), ack.value(QStringLiteral("command_id")).toString());
    QVERIFY(ok.value(QStringLiteral("address")).toString().startsWith(QStringLiteral("127.0.0.1:")));
    QVERIFY(ok.contains(QStringLiteral("duration_ms")));
    QVERIFY(!ok.value(QStringLiteral("time")).toString().isEmpty());
    QCOMPARE(forbidden.value(QStringLiteral("device")).toString(), QStringLiteral("sim1"));
    QCOMPARE(forbidden.value(QStringLiteral("user")).toString(), QStringLiteral("carol"));
    QCOMPARE(unauthorized.value(QStringLiteral("status")).toString(), QStringLiteral("unauthorized"));
    QCOMPARE(unauthorized.value(QStringLiteral("user")).toString(), QString());
}

void tst_Auth::expiredTokenUnauthenticates()
{
    // exp 28 s ago: the 30 s leeway leaves it about 2 s.
    auto client = connect(token(QStringLiteral("dave"), QStringLiteral("telemetry:read"), -28));
    QVERIFY(client);
    QCOMPARE(codeOf(client->request(msg(QStringLiteral("list_devices")))), QStringLiteral("ok"));
    QTRY_COMPARE_WITH_TIMEOUT(codeOf(client->request(msg(QStringLiteral("list_devices")))),
                              QStringLiteral("unauthorized"), 5000);
    // Still dave's connection: another user's token is refused after expiry too.
    QCOMPARE(codeOf(client->request(hello(token(QStringLiteral("eve"), QStringLiteral("admin"))))), QStringLiteral("forbidden"));
    QVERIFY(client->waitForClose(7000));
    QCOMPARE(client->closeCode(), 4401);
}

void tst_Auth::anotherUsersSessionIsNotResumed()
{
    auto alice = login(QStringLiteral("telemetry:read"), QStringLiteral("alice"));
    QVERIFY(alice);
    const QString session = alice->request(msg(QStringLiteral("hello"))).value(QStringLiteral("session")).toString();
    QVERIFY(!session.isEmpty());
    QCOMPARE(alice->request(msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")}})).value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));
    alice->close();

    auto mallory = connect();
    QVariantMap resume = hello(token(QStringLiteral("mallory"), QStringLiteral("telemetry:read")));
    resume.insert(QStringLiteral("resume"), session);
    const QVariantMap welcome = mallory->request(resume);
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), false);
    QVERIFY(welcome.value(QStringLiteral("session")).toString() != session);

    auto alice2 = connect();
    resume = hello(token(QStringLiteral("alice"), QStringLiteral("telemetry:read")));
    resume.insert(QStringLiteral("resume"), session);
    QCOMPARE(alice2->request(resume).value(QStringLiteral("resumed")).toBool(), true);
}

void tst_Auth::rateLimitPerUserAcrossConnections()
{
    startServer(10);
    auto a = connect(token(QStringLiteral("frank"), QStringLiteral("telemetry:read")));
    auto b = connect(token(QStringLiteral("frank"), QStringLiteral("telemetry:read")));
    auto other = connect(token(QStringLiteral("grace"), QStringLiteral("telemetry:read")));
    QVERIFY(a && b && other);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(codeOf(a->request(msg(QStringLiteral("ping")))), QStringLiteral("ok"));
        QCOMPARE(codeOf(b->request(msg(QStringLiteral("ping")))), QStringLiteral("ok"));
    }
    const qsizetype from = b->received().size();
    b->send(msg(QStringLiteral("ping")));
    const QVariantMap limited = b->waitForType(QStringLiteral("error"), 3000, from);
    QCOMPARE(limited.value(QStringLiteral("code")).toString(), QStringLiteral("rate_limited"));
    QVERIFY(limited.value(QStringLiteral("retry_after_ms")).toLongLong() >= 1);
    // Another user is not held back.
    QCOMPARE(codeOf(other->request(msg(QStringLiteral("ping")))), QStringLiteral("ok"));
}

QTEST_GUILESS_MAIN(tst_Auth)
#include "tst_auth.moc"
