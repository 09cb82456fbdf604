// wss:// with a certificate the test makes: a client that trusts it talks,
// a plain client gets nowhere, a bad certificate or key stops start-up; and
// a TLS connection follows the same WebSocket rules as a plain one (a flood
// is paused, pings and the close handshake; split characters and frames
// with the request are in tst_messagesizes, the slow consumer in
// tst_slowconsumer).

#include "server/server.h"
#include "rawwebsocket.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
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
    void floodIsPausedNotClosed();
    void pingsAndCloseHandshake();
    void silentPeerIsClosedAndCut();
    void badFilesAreStartupErrors_data();
    void badFilesAreStartupErrors();
    void rsaPairServes();

private:
    Config tlsConfig(const QString &cert, const QString &key) const;
    QUrl wssUrl() const;
    QSslConfiguration trusting() const;
    QUrl wssUrl(const TestServer &server) const;
    // A server with a 200 ms heartbeat, and client upgraded on it over TLS.
    bool openWithHeartbeat(std::unique_ptr<TestServer> *server, RawWebSocket *client) const;
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
    return wssUrl(*m_server);
}

QUrl tst_Tls::wssUrl(const TestServer &server) const
{
    QUrl url = server.url();
    url.setScheme(QStringLiteral("wss"));
    return url;
}

QSslConfiguration tst_Tls::trusting() const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem"))));
    return ssl;
}

bool tst_Tls::openWithHeartbeat(std::unique_ptr<TestServer> *server, RawWebSocket *client) const
{
    Config config = tlsConfig(QStringLiteral("cert.pem"), QStringLiteral("cert.key"));
    config.server.heartbeatMs = 200;
    *server = std::make_unique<TestServer>(config);
    if (!(*server)->start()) {
        qWarning("%s", qPrintable((*server)->error()));
        return false;
    }
    client->socket().setSslConfiguration(trusting());
    return client->open(wssUrl(**server))
        && QTest::qWaitFor([&] { return (*server)->server().clientCount() == 1; }, 5000);
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

namespace {

// A client's frame: final, masked with a key that changes the bytes.
QByteArray clientFrame(quint8 opcode, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    Q_ASSERT(payload.size() < 65536);
    if (payload.size() < 126) {
        frame.append(char(0x80 | payload.size()));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char(payload.size() >> 8));
        frame.append(char(payload.size() & 0xff));
    }
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(mask, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload.at(i) ^ mask[i % 4]));
    return frame;
}

// Takes the complete server frames at the front of buffer; returns how
// many were text frames (answers).
int takeFrames(QByteArray *buffer)
{
    int frames = 0;
    for (;;) {
        if (buffer->size() < 2)
            return frames;
        quint64 length = quint8(buffer->at(1)) & 0x7f;
        qsizetype header = 2;
        if (length == 126) {
            if (buffer->size() < 4)
                return frames;
            length = (quint8(buffer->at(2)) << 8) | quint8(buffer->at(3));
            header = 4;
        } else if (length == 127) {
            if (buffer->size() < 10)
                return frames;
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | quint8(buffer->at(i));
            header = 10;
        }
        if (quint64(buffer->size()) < quint64(header) + length)
            return frames;
        if ((quint8(buffer->at(0)) & 0x0f) == 0x1)
            ++frames;
        buffer->remove(0, header + qsizetype(length));
    }
}

} // namespace

void tst_Tls::floodIsPausedNotClosed()
{
    // A TLS client that sends far faster than its messages are handled is
    // read only as fast as they are handled (TCP slows it down), not
    // closed, and every request is answered in the end. Here the messages
    // are not handled at all for a while (this thread, which handles them,
    // waits) while the I/O thread reads: the client's writes must come to a
    // stop instead of the server taking everything. The flooder runs on its
    // own thread with blocking calls.
    Config config = tlsConfig(QStringLiteral("cert.pem"), QStringLiteral("cert.key"));
    config.server.ioThreads = 1;
    config.limits.rateLimitPerMin = 100000000;
    config.limits.rateLimitPerIpPerMin = 100000000;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    const QSslConfiguration ssl = trusting();
    const QUrl url = wssUrl(server);
    // Far more than reading may get ahead (4 MiB of messages waiting) and
    // than the kernel's buffers hold.
    constexpr qint64 kBudgetBytes = qint64(96) << 20;
    const QByteArray ping = clientFrame(0x1, R"({"type":"ping","t":")" + QByteArray(200, 'x') + R"("})");
    const QByteArray burst = ping.repeated(1000);

    std::mutex mutex;
    std::condition_variable wake;
    bool upgraded = false, go = false, phaseOver = false;   // guarded by mutex
    std::atomic<bool> stalled{false};
    std::atomic<bool> closed{false};
    std::atomic<int> sent{0};
    std::atomic<int> answers{0};
    const auto tell = [&](bool *flag) {
        std::lock_guard<std::mutex> lock(mutex);
        *flag = true;
        wake.notify_all();
    };
    std::thread flooder([&] {
        QSslSocket socket;
        socket.setSslConfiguration(ssl);
        socket.connectToHostEncrypted(url.host(), quint16(url.port()));
        QByteArray in;
        if (socket.waitForEncrypted(5000)) {
            socket.write(RawWebSocket::upgradeRequest(url));
            while (!in.contains("\r\n\r\n") && socket.waitForReadyRead(5000))
                in += socket.readAll();
        }
        if (!in.startsWith("HTTP/1.1 101")) {
            closed = true;
            tell(&phaseOver);
            return;
        }
        in.remove(0, in.indexOf("\r\n\r\n") + 4);
        tell(&upgraded);
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] { return go; });
        }
        // Writing only, until the server stops taking bytes for half a
        // second (or the budget is spent, which fails the test).
        qint64 written = 0;
        qint64 lowest = 0;
        QElapsedTimer sinceProgress;
        sinceProgress.start();
        while (written < kBudgetBytes && socket.state() == QAbstractSocket::ConnectedState) {
            const qint64 backlog = socket.bytesToWrite() + socket.encryptedBytesToWrite();
            if (backlog < (1 << 20)) {
                socket.write(burst);
                written += burst.size();
                sent += 1000;
                lowest = backlog + burst.size();
                sinceProgress.restart();
                continue;
            }
            socket.waitForBytesWritten(50);
            const qint64 now = socket.bytesToWrite() + socket.encryptedBytesToWrite();
            if (now < lowest) {
                lowest = now;
                sinceProgress.restart();
            } else if (sinceProgress.elapsed() > 500) {
                stalled = true;
                break;
            }
        }
        tell(&phaseOver);
        // Then reading the answers as they come.
        QElapsedTimer clock;
        clock.start();
        while (answers < sent && clock.elapsed() < 60000) {
            if (socket.state() != QAbstractSocket::ConnectedState) {
                closed = true;
                return;
            }
            socket.waitForReadyRead(50);
            in += socket.readAll();
            answers += takeFrames(&in);
        }
    });
    const auto waitFor = [&](bool *flag) {
        std::unique_lock<std::mutex> lock(mutex);
        return wake.wait_for(lock, std::chrono::seconds(30),
                             [&] { return *flag || phaseOver; });
    };
    // The upgrade needs this thread's event loop.
    QVERIFY(QTest::qWaitFor([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return upgraded || phaseOver;
    }, 10000));
    tell(&go);
    // This thread handles nothing until the flooder is stuck.
    const bool over = waitFor(&phaseOver);
    qInfo("the server stopped taking bytes after %d messages (%lld MiB)", sent.load(),
          (qint64(sent.load()) * ping.size()) >> 20);
    const bool done = QTest::qWaitFor([&] { return answers >= sent || closed; }, 60000);
    flooder.join();
    QVERIFY(over);
    QVERIFY2(!closed, "the flooding client was closed");
    QVERIFY2(stalled, "the server took the whole flood while nothing was handled");
    QVERIFY(done);
    QCOMPARE(answers.load(), sent.load());
}

void tst_Tls::pingsAndCloseHandshake()
{
    // The server pings (heartbeat) and answers pings; a close is answered
    // with the same code and the connection then ends.
    std::unique_ptr<TestServer> server;
    RawWebSocket client;
    QVERIFY(openWithHeartbeat(&server, &client));

    client.sendFrame(0x89, "are you there");
    QTRY_VERIFY_WITH_TIMEOUT((client.readMessages(), client.pongs().contains("are you there")), 5000);
    QTRY_VERIFY_WITH_TIMEOUT((client.readMessages(), !client.pings().isEmpty()), 5000);
    // Answering the server's pings keeps the connection.
    for (int answered = 0; answered < 3;) {
        QTRY_VERIFY_WITH_TIMEOUT((client.readMessages(), client.pings().size() > answered), 5000);
        client.sendFrame(0x8A, client.pings().at(answered++));
    }
    QCOMPARE(server->server().clientCount(), 1);

    client.sendFrame(0x88, QByteArray("\x03\xe8", 2) + "bye");   // 1000
    QTRY_VERIFY_WITH_TIMEOUT((client.readMessages(), client.closeCode() == 1000), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::UnconnectedState, 5000);
    QTRY_COMPARE(server->server().clientCount(), 0);
}

void tst_Tls::silentPeerIsClosedAndCut()
{
    // A TLS peer that answers neither pings nor the close: closed with 4408
    // after three heartbeats of silence, and cut once the close handshake's
    // second has passed.
    std::unique_ptr<TestServer> server;
    RawWebSocket client;
    QVERIFY(openWithHeartbeat(&server, &client));
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT((client.readMessages(), client.closeCode() == 4408), 5000);
    QVERIFY2(clock.elapsed() >= 400, qPrintable(QString::number(clock.elapsed())));
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(clock.elapsed() >= 1000);
    QTRY_COMPARE(server->server().clientCount(), 0);
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
