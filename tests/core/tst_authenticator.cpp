// Who a connection is and what it may ask (docs/protocol.md section 9), on
// in-memory connections: the upgrade's token, hello tokens, scopes, and the
// 4401 deadline.

#include "auth/authenticator.h"
#include "fakeconnection.h"
#include "testtokens.h"

#include <QDateTime>
#include <QNetworkRequest>
#include <QTest>

using namespace halhub;

namespace {

constexpr char kSecret[] = "authenticator-test-secret";

AuthConfig required()
{
    AuthConfig c;
    c.required = true;
    c.jwtSecret = QString::fromLatin1(kSecret);
    return c;
}

QByteArray token(const QString &sub, const QString &scope, qint64 expIn = 3600)
{
    return testtokens::hmac("HS256", kSecret, testtokens::claims(sub, scope, expIn));
}

QNetworkRequest upgrade(const QByteArray &bearer, const QByteArray &query = {})
{
    QUrl url(QStringLiteral("ws://127.0.0.1:8001/ws/hardware"));
    if (!query.isEmpty())
        url.setQuery(QStringLiteral("token=") + QString::fromLatin1(query));
    QNetworkRequest request(url);
    if (!bearer.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + bearer);
    return request;
}

} // namespace

class tst_Authenticator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void withoutAuthEverythingIsAllowed();
    void handshakeToken_data();
    void handshakeToken();
    void helloToken();
    void scopesDecideWhatIsAllowed_data();
    void scopesDecideWhatIsAllowed();
    void unauthenticatedConnectionIsClosedAfterTheGrace();
};

void tst_Authenticator::withoutAuthEverythingIsAllowed()
{
    Authenticator auth{AuthConfig()};
    QString error;
    QVERIFY(auth.load(&error));
    QVERIFY(!auth.isRequired());
    FakeConnection c(1);
    auth.admit(&c, upgrade(token(QStringLiteral("ada"), QStringLiteral("admin"))));
    // Tokens are ignored: no user, and every request allowed.
    QCOMPARE(c.subject(), QString());
    QVERIFY(!auth.authorize(&c, QStringLiteral("command")));
    QVERIFY(!auth.authorize(&c, QStringLiteral("get_metrics")));
    QVERIFY(!auth.authorizeDevice(&c, QStringLiteral("command"), QStringLiteral("psu1")));
    QVERIFY(!auth.authenticate(&c, QStringLiteral("not a token")));
    QCOMPARE(c.closeCode(), 0);
}

void tst_Authenticator::handshakeToken_data()
{
    QTest::addColumn<QByteArray>("bearer");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("user");

    const QByteArray good = token(QStringLiteral("ada"), QStringLiteral("telemetry:read"));
    const QByteArray other = token(QStringLiteral("bob"), QStringLiteral("telemetry:read"));
    const QByteArray forged = testtokens::hmac("HS256", "another secret",
                                               testtokens::claims(QStringLiteral("eve"), QStringLiteral("admin")));
    QTest::addRow("Authorization: Bearer") << good << QByteArray() << QStringLiteral("ada");
    QTest::addRow("?token= for browsers") << QByteArray() << good << QStringLiteral("ada");
    QTest::addRow("the header wins") << good << other << QStringLiteral("ada");
    QTest::addRow("an invalid header does not fall back to the query")
        << forged << good << QString();
    QTest::addRow("an invalid token counts as absent") << forged << QByteArray() << QString();
    QTest::addRow("no token") << QByteArray() << QByteArray() << QString();
}

void tst_Authenticator::handshakeToken()
{
    QFETCH(QByteArray, bearer);
    QFETCH(QByteArray, query);
    QFETCH(QString, user);

    Authenticator auth(required());
    QString error;
    QVERIFY2(auth.load(&error), qPrintable(error));
    FakeConnection c(1);
    auth.admit(&c, upgrade(bearer, query));
    QCOMPARE(c.subject(), user);
    QCOMPARE(c.isAuthenticated(), !user.isEmpty());
    // hello and ping need no token; anything else does.
    QVERIFY(!auth.authorize(&c, QStringLiteral("hello")));
    QVERIFY(!auth.authorize(&c, QStringLiteral("ping")));
    const auto refusal = auth.authorize(&c, QStringLiteral("list_devices"));
    QCOMPARE(bool(refusal), user.isEmpty());
    if (refusal)
        QCOMPARE(refusal->code, QStringLiteral("unauthorized"));
}

void tst_Authenticator::helloToken()
{
    Authenticator auth(required());
    QString error;
    QVERIFY2(auth.load(&error), qPrintable(error));
    FakeConnection c(1);
    auth.admit(&c, upgrade({}));
    QVERIFY(!c.isAuthenticated());

    // A bad token is refused and changes nothing.
    std::optional<AccessRefusal> refusal = auth.authenticate(&c, QStringLiteral("abc.def.ghi"));
    QVERIFY(refusal);
    QCOMPARE(refusal->code, QStringLiteral("unauthorized"));
    QVERIFY(refusal->message.startsWith(QStringLiteral("invalid token")));
    QVERIFY(!c.isAuthenticated());

    QVERIFY(!auth.authenticate(&c, QString::fromLatin1(token(QStringLiteral("ada"), QStringLiteral("telemetry:read")))));
    QCOMPARE(c.subject(), QStringLiteral("ada"));
    QVERIFY(c.isAuthenticated());
    // The same user renews; another user needs a connection of its own.
    QVERIFY(!auth.authenticate(&c, QString::fromLatin1(token(QStringLiteral("ada"), QStringLiteral("admin")))));
    QVERIFY(!auth.authorize(&c, QStringLiteral("get_metrics")));
    refusal = auth.authenticate(&c, QString::fromLatin1(token(QStringLiteral("bob"), QStringLiteral("admin"))));
    QVERIFY(refusal);
    QCOMPARE(refusal->code, QStringLiteral("forbidden"));
    QVERIFY(refusal->message.contains(QStringLiteral("ada")));
    QCOMPARE(c.subject(), QStringLiteral("ada"));
}

void tst_Authenticator::scopesDecideWhatIsAllowed_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("refusal");

    QTest::addRow("reading lists devices") << QStringLiteral("telemetry:read")
                                           << QStringLiteral("list_devices") << QString() << QString();
    QTest::addRow("reading does not command") << QStringLiteral("telemetry:read")
                                              << QStringLiteral("command") << QString()
                                              << QStringLiteral("forbidden");
    QTest::addRow("reading does not read metrics") << QStringLiteral("telemetry:read")
                                                   << QStringLiteral("get_metrics") << QString()
                                                   << QStringLiteral("forbidden");
    QTest::addRow("commands:write commands any device") << QStringLiteral("commands:write")
                                                        << QStringLiteral("command")
                                                        << QStringLiteral("psu2") << QString();
    QTest::addRow("device:psu1:write commands psu1") << QStringLiteral("device:psu1:write")
                                                     << QStringLiteral("command")
                                                     << QStringLiteral("psu1") << QString();
    QTest::addRow("device:psu1:write does not command psu2") << QStringLiteral("device:psu1:write")
                                                             << QStringLiteral("command")
                                                             << QStringLiteral("psu2")
                                                             << QStringLiteral("forbidden");
    QTest::addRow("nor cancel there") << QStringLiteral("device:psu1:write")
                                      << QStringLiteral("cancel") << QStringLiteral("psu2")
                                      << QStringLiteral("forbidden");
    QTest::addRow("admin may do all") << QStringLiteral("admin") << QStringLiteral("get_metrics")
                                      << QString() << QString();
}

void tst_Authenticator::scopesDecideWhatIsAllowed()
{
    QFETCH(QString, scope);
    QFETCH(QString, type);
    QFETCH(QString, device);
    QFETCH(QString, refusal);

    Authenticator auth(required());
    QString error;
    QVERIFY2(auth.load(&error), qPrintable(error));
    FakeConnection c(1);
    auth.admit(&c, upgrade(token(QStringLiteral("ada"), scope)));
    std::optional<AccessRefusal> r = auth.authorize(&c, type);
    if (!r && !device.isEmpty())
        r = auth.authorizeDevice(&c, type, device);
    QCOMPARE(r ? r->code : QString(), refusal);
    if (r)
        QVERIFY2(r->message.contains(QStringLiteral("needs scope")), qPrintable(r->message));
}

void tst_Authenticator::unauthenticatedConnectionIsClosedAfterTheGrace()
{
    FakeConnection idle(1);
    idle.requireAuthentication(50);
    QTRY_COMPARE(idle.closeCode(), 4401);

    // A token that is no longer accepted leaves the connection to renew it
    // within the grace, or be closed.
    Authenticator auth(required());
    QString error;
    QVERIFY2(auth.load(&error), qPrintable(error));
    FakeConnection c(2);
    c.requireAuthentication(50);
    TokenClaims claims;
    claims.subject = QStringLiteral("ada");
    claims.scopes = {QStringLiteral("admin")};
    claims.acceptedUntil = QDateTime::currentSecsSinceEpoch() - 1;
    c.authenticate(claims);
    QVERIFY(!c.isAuthenticated());
    QVERIFY(auth.authorize(&c, QStringLiteral("list_devices")));
    QCOMPARE(auth.authorize(&c, QStringLiteral("list_devices"))->message,
             QStringLiteral("token expired: renew it with hello"));
    QTRY_COMPARE(c.closeCode(), 4401);
}

QTEST_GUILESS_MAIN(tst_Authenticator)
#include "tst_authenticator.moc"
