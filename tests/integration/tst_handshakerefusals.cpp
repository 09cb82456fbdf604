// The refusals before the upgrade (docs/protocol.md section 1), as an HTTP client sees
// them: the status line answering a WebSocket upgrade request.

#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace halhub;

namespace {

// Sends an upgrade request and returns the status code of the answer. The
// server runs in this thread: wait with the event loop turning.
int upgradeStatus(quint16 port, const QByteArray &path, const QByteArray &origin)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n";
    if (!origin.isNull())
        request += "Origin: " + origin + "\r\n";
    socket.write(request + "\r\n");
    QByteArray answer;
    QTest::qWaitFor([&] {
        answer += socket.readAll();
        return answer.contains("\r\n");
    }, 3000);
    const QList<QByteArray> parts = answer.split(' ');
    return parts.size() > 1 ? parts.at(1).toInt() : 0;
}

} // namespace

class tst_HandshakeRefusals : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pathAndOrigin_data();
    void pathAndOrigin();
    void allowListedOrigins_data();
    void allowListedOrigins();
    void maxClients();
};

void tst_HandshakeRefusals::pathAndOrigin_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<int>("status");
    QTest::addRow("right path, no origin") << QByteArray("/ws/hardware") << QByteArray() << 101;
    QTest::addRow("wrong path") << QByteArray("/ws") << QByteArray() << 404;
    QTest::addRow("path with a trailing slash") << QByteArray("/ws/hardware/") << QByteArray() << 404;
    QTest::addRow("root") << QByteArray("/") << QByteArray() << 404;
    QTest::addRow("query is not the path") << QByteArray("/ws/hardware?token=x") << QByteArray() << 101;
    QTest::addRow("localhost page") << QByteArray("/ws/hardware") << QByteArray("http://localhost:3000") << 101;
    QTest::addRow("127.0.0.1 page") << QByteArray("/ws/hardware") << QByteArray("https://127.0.0.1") << 101;
    QTest::addRow("[::1] page") << QByteArray("/ws/hardware") << QByteArray("http://[::1]:8080") << 101;
    QTest::addRow("foreign site") << QByteArray("/ws/hardware") << QByteArray("https://evil.example") << 403;
    QTest::addRow("localhost lookalike") << QByteArray("/ws/hardware") << QByteArray("http://localhost.evil.example") << 403;
    QTest::addRow("null origin") << QByteArray("/ws/hardware") << QByteArray("null") << 403;
    QTest::addRow("file origin") << QByteArray("/ws/hardware") << QByteArray("file://") << 403;
}

void tst_HandshakeRefusals::pathAndOrigin()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, origin);
    QFETCH(int, status);
    TestServer server(TestServer::simConfig(0));
    QVERIFY2(server.start(), qPrintable(server.error()));
    QCOMPARE(upgradeStatus(server.server().port(), path, origin), status);
}

void tst_HandshakeRefusals::allowListedOrigins_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<int>("status");
    QTest::addRow("listed") << QByteArray("https://lab.example") << 101;
    QTest::addRow("listed, default port written") << QByteArray("https://lab.example:443") << 101;
    QTest::addRow("listed, other case") << QByteArray("HTTPS://LAB.example") << 101;
    QTest::addRow("other port") << QByteArray("https://lab.example:8443") << 403;
    QTest::addRow("http instead of https") << QByteArray("http://lab.example") << 403;
    QTest::addRow("localhost no longer implied") << QByteArray("http://localhost") << 403;
}

void tst_HandshakeRefusals::allowListedOrigins()
{
    QFETCH(QByteArray, origin);
    QFETCH(int, status);
    Config config = TestServer::simConfig(0);
    config.server.allowedOrigins = {QStringLiteral("https://lab.example")};
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    QCOMPARE(upgradeStatus(server.server().port(), "/ws/hardware", origin), status);
}

void tst_HandshakeRefusals::maxClients()
{
    Config config = TestServer::simConfig(0);
    config.server.maxClients = 2;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient a, b, c;
    QVERIFY(a.open(server.url()));
    QVERIFY(b.open(server.url()));
    QTRY_COMPARE(server.server().clientCount(), 2);
    QCOMPARE(upgradeStatus(server.server().port(), "/ws/hardware", {}), 503);
    QVERIFY(!c.open(server.url(), 2000));
    // A place freed is a place taken.
    a.close();
    QTRY_COMPARE(server.server().clientCount(), 1);
    QVERIFY(c.open(server.url()));
}

QTEST_GUILESS_MAIN(tst_HandshakeRefusals)
#include "tst_handshakerefusals.moc"
