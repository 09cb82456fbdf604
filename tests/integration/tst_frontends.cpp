// A front end added beside the halhub protocol: it gets the upgrades it
// asks for, the halhub protocol keeps every other, and the server's
// shutdown and metrics take it in; neither the server nor the halhub front
// end knows it.

#include "frontends/frontend.h"
#include "net/connection.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QNetworkRequest>
#include <QTest>

using namespace halhub;

namespace {

// Serves the upgrades that carry `X-Frontend: echo`: answers each message
// with what it was, and says goodbye when the server stops.
class EchoFrontend final : public Frontend
{
public:
    bool accepts(const QNetworkRequest &upgrade) const override
    {
        return upgrade.rawHeader("X-Frontend") == "echo";
    }
    void addConnection(Connection *connection) override
    {
        m_connections.append(connection);
        connect(connection, &Connection::messageReceived, this,
                [connection](const QVariantMap &, const QString &type, const QVariant &id) {
                    connection->sendMessage({{QStringLiteral("type"), QStringLiteral("echo")},
                                             {QStringLiteral("of"), type},
                                             {QStringLiteral("id"), id}});
                });
        connect(connection, &Connection::closed, this,
                [this, connection] { m_connections.removeOne(connection); });
    }
    void announceShutdown() override
    {
        for (Connection *c : std::as_const(m_connections))
            c->sendMessage({{QStringLiteral("type"), QStringLiteral("bye")}});
    }
    int streamCount() const override { return 3; }

private:
    QList<Connection *> m_connections;
};

QVariantMap msg(const QString &type)
{
    return {{QStringLiteral("type"), type}};
}

} // namespace

class tst_Frontends : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void upgradesGoToTheFrontEndThatTakesThem();
};

void tst_Frontends::upgradesGoToTheFrontEndThatTakesThem()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    hub.server().addFrontend(new EchoFrontend);

    QNetworkRequest echoUpgrade(hub.url());
    echoUpgrade.setRawHeader("X-Frontend", "echo");
    TestClient echo;
    QVERIFY(echo.open(echoUpgrade));
    TestClient plain;
    QVERIFY(plain.open(hub.url()));
    QTRY_COMPARE(hub.server().clientCount(), 2);

    // The added front end answers its own clients; the halhub protocol
    // never sees them (no pong, no session).
    const QVariantMap answer = echo.request(msg(QStringLiteral("ping")));
    QCOMPARE(answer.value(QStringLiteral("type")).toString(), QStringLiteral("echo"));
    QCOMPARE(answer.value(QStringLiteral("of")).toString(), QStringLiteral("ping"));
    QCOMPARE(hub.server().sessionCount(), 0);

    // Every other upgrade is the halhub protocol's, and the metrics count
    // the streams of every front end.
    QCOMPARE(plain.request(msg(QStringLiteral("ping"))).value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    QCOMPARE(plain.request(msg(QStringLiteral("get_metrics"))).value(QStringLiteral("streams")).toInt(), 3);
    QCOMPARE(hub.server().clientStats().size(), 2);

    // A shutdown is told to each in its own words.
    hub.server().shutdown();
    QVERIFY(!echo.waitForType(QStringLiteral("bye")).isEmpty());
    QVERIFY(!plain.waitForEvent(QStringLiteral("server_shutdown")).isEmpty());
    QVERIFY(echo.waitForClose());
    QCOMPARE(echo.closeCode(), 1001);
}

QTEST_GUILESS_MAIN(tst_Frontends)
#include "tst_frontends.moc"
