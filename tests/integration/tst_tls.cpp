// wss:// with a certificate the test makes: a client that trusts it talks,
// a plain client gets nowhere, a bad certificate or key stops start-up.

#include "server/server.h"
#include "rawwebsocket.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>

using namespace halhub;


class tst_Tls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wssWithTheCertificate();
    void plainConnectionFails();
    void untrustedCertificateIsNotAccepted();
    void floodIsClosedNotBuffered();
    void badFilesAreStartupErrors_data();
    void badFilesAreStartupErrors();
    void rsaPairServes();

private:
    Config tlsConfig(const QString &cert, const QString &key) const;
    QUrl wssUrl() const;
    QTemporaryDir m_dir;
    std::unique_ptr<TestServer> m_server;
};

Config tst_Tls::tlsConfig(const QString &cert, const QString &key) const
{
    Config config = TestServer::simConfig(1, 50);
    config.server.tls = TlsConfig{m_dir.filePath(cert), m_dir.filePath(key)};
    return config;
}

QUrl tst_Tls::wssUrl() const
{
    QUrl url = m_server->url();
    url.setScheme(QStringLiteral("wss"));
    return url;
}

void tst_Tls::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString error = testtokens::makeKeys(m_dir);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // An RSA certificate for rsa.key, beside the EC one.
    QProcess openssl;
    openssl.setWorkingDirectory(m_dir.path());
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-key"),
                   QStringLiteral("rsa.key"), QStringLiteral("-days"), QStringLiteral("2"),
                   QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                   QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1"),
                   QStringLiteral("-out"), QStringLiteral("rsacert.pem")});
    QVERIFY(openssl.waitForFinished(30000));
    QVERIFY2(openssl.exitStatus() == QProcess::NormalExit && openssl.exitCode() == 0,
             openssl.readAllStandardError().constData());
    m_server = std::make_unique<TestServer>(tlsConfig(QStringLiteral("cert.pem"), QStringLiteral("cert.key")));
    QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    QCOMPARE(m_server->server().url().scheme(), QStringLiteral("wss"));
}

void tst_Tls::wssWithTheCertificate()
{
    TestClient client;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem"))));
    client.socket().setSslConfiguration(ssl);
    QVERIFY(client.open(wssUrl()));
    const QVariantMap pong = client.request({{QStringLiteral("type"), QStringLiteral("ping")}});
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    const QVariantMap sub = client.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                            {QStringLiteral("device"), QStringLiteral("sim0")}});
    QCOMPARE(sub.value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));
    QVERIFY(!client.waitForType(QStringLiteral("telemetry")).isEmpty());
}

void tst_Tls::plainConnectionFails()
{
    TestClient plain;
    QVERIFY(!plain.open(m_server->url(), 3000));

    // Not even an HTTP answer comes back in clear text.
    QTcpSocket raw;
    raw.connectToHost(QStringLiteral("127.0.0.1"), m_server->server().port());
    QVERIFY(raw.waitForConnected(3000));
    raw.write("GET /ws/hardware HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(raw.state(), QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(!raw.readAll().startsWith("HTTP/"));
}

void tst_Tls::untrustedCertificateIsNotAccepted()
{
    TestClient client;
    // Default trust store: the self-signed certificate is refused by the client.
    QVERIFY(!client.open(wssUrl(), 3000));
}

void tst_Tls::badFilesAreStartupErrors_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("mention");
    QTest::addRow("missing certificate") << "nope.pem" << "cert.key" << "server.tls.cert";
    QTest::addRow("key as certificate") << "cert.key" << "cert.key" << "server.tls.cert";
    QTest::addRow("missing key") << "cert.pem" << "nope.key" << "server.tls.key";
    QTest::addRow("public key as key") << "cert.pem" << "rsa.pub" << "server.tls.key";
    // Both readable, but not a pair: Qt alone would take them and fail every
    // handshake.
    const QString mismatch = QStringLiteral("server.tls.key does not match server.tls.cert");
    QTest::addRow("EC key of another certificate") << "cert.pem" << "ec.key" << mismatch;
    QTest::addRow("RSA key for an EC certificate") << "cert.pem" << "rsa.key" << mismatch;
    QTest::addRow("EC key for an RSA certificate") << "rsacert.pem" << "cert.key" << mismatch;
}

void tst_Tls::badFilesAreStartupErrors()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, mention);
    TestServer server(tlsConfig(cert, key));
    QVERIFY(!server.start());
    QVERIFY2(server.error().contains(mention), qPrintable(server.error()));
}

void tst_Tls::rsaPairServes()
{
    // The check takes a matching pair of either kind.
    TestServer server(tlsConfig(QStringLiteral("rsacert.pem"), QStringLiteral("rsa.key")));
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("rsacert.pem"))));
    client.socket().setSslConfiguration(ssl);
    QUrl url = server.url();
    url.setScheme(QStringLiteral("wss"));
    QVERIFY(client.open(url));
    const QVariantMap pong = client.request({{QStringLiteral("type"), QStringLiteral("ping")}});
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
}

void tst_Tls::floodIsClosedNotBuffered()
{
    // Over TLS, QWebSocket reads whatever comes and cannot be paused: a
    // client that keeps sending far ahead of what is handled is closed
    // instead of being buffered (here with 4408, as it does not read the
    // answers either: they reach the slow-consumer cap first). The flooder
    // runs on its own thread with blocking calls, writing as fast as the
    // server takes it.
    const QList<QSslCertificate> trusted =
        QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem")));
    const QUrl url = wssUrl();
    std::atomic<qint64> written{0};
    std::atomic<bool> upgraded{false};
    std::thread flooder([&] {
        QSslSocket socket;
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setCaCertificates(trusted);
        socket.setSslConfiguration(ssl);
        socket.connectToHostEncrypted(url.host(), quint16(url.port()));
        if (!socket.waitForEncrypted(5000))
            return;
        socket.write(RawWebSocket::upgradeRequest(url));
        QByteArray answer;
        while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(5000))
            answer += socket.readAll();
        if (!answer.startsWith("HTTP/1.1 101"))
            return;
        upgraded = true;
        const QByteArray ping = R"({"type":"ping"})";
        const QByteArray frame = QByteArray("\x81") + char(0x80 | ping.size()) + QByteArray(4, '\0') + ping;
        const QByteArray burst = frame.repeated(int((1 << 20) / frame.size()));
        // Until the server closes, or 1 GiB.
        while (socket.state() == QAbstractSocket::ConnectedState && written < (1LL << 30)) {
            socket.write(burst);
            written += burst.size();
            // Paced by what the server takes (the client's own buffers count
            // in this process's memory too).
            while ((socket.bytesToWrite() > (4 << 20) || socket.encryptedBytesToWrite() > (4 << 20))
                   && socket.waitForBytesWritten(5000)) {
            }
        }
    });
    const qint64 before = residentMemoryKb();
    qint64 peak = before;
    const bool ended = QTest::qWaitFor([&] {
        peak = qMax(peak, residentMemoryKb());
        return written >= (1LL << 30) || (upgraded && m_server->server().clientCount() == 0);
    }, 60000);
    flooder.join();
    QVERIFY(ended);
    QVERIFY(upgraded);
    qInfo("flooded %lld MiB before the close; resident memory grew by at most %lld MiB",
          written.load() >> 20, (peak - before) >> 10);
    QVERIFY2(written < (1LL << 30), "a gigabyte was taken without a close");
    QCOMPARE(m_server->server().clientCount(), 0);
    // What waited when it was closed (up to 16 MiB of answers and of
    // messages, with their bookkeeping) is printed above, not asserted:
    // it depends on how far the handling had got.
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
