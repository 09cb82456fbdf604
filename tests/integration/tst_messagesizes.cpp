// Messages of every WebSocket length form (7-bit, 16-bit, 64-bit) reach a
// standard client intact, as text (JSON, non-ASCII included) and binary
// (MessagePack): halhub writes the frames itself, so their headers and
// payloads are checked here against QWebSocket. What a client may do with
// its own frames (split a character between fragments, send frames with the
// upgrade request) works over ws:// and wss:// alike.

#include "rawwebsocket.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QJsonDocument>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

class tst_MessageSizes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void echoRoundTrip_data();
    void echoRoundTrip();
    void fragmentedTextWithSplitCharacters_data();
    void fragmentedTextWithSplitCharacters();
    void frameSentWithTheUpgradeRequest_data();
    void frameSentWithTheUpgradeRequest();

private:
    // The rows' server: with tls, wss:// with the test's certificate.
    Config rowConfig() const;
    QUrl rowUrl(const TestServer &server) const;
    QSslConfiguration trusting() const;

    QTemporaryDir m_dir;
};

namespace {

Config configWithIoThreads(int ioThreads)
{
    Config config = TestServer::simConfig(1, 10);
    config.server.ioThreads = ioThreads;
    return config;
}

void addTransportRows()
{
    QTest::addColumn<int>("ioThreads");
    QTest::addColumn<bool>("tls");
    for (const bool tls : {false, true}) {
        const char *scheme = tls ? "wss" : "ws";
        QTest::addRow("%s, io_threads 2", scheme) << 2 << tls;
        QTest::addRow("%s, io_threads 0", scheme) << 0 << tls;
    }
}

// A client's frame: final, masked (RFC 6455 5.3).
QByteArray clientFrame(quint8 opcode, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    Q_ASSERT(payload.size() < 126);
    frame.append(char(0x80 | payload.size()));
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(mask, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload.at(i) ^ mask[i % 4]));
    return frame;
}

} // namespace

void tst_MessageSizes::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString error = testtokens::makeKeys(m_dir);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

Config tst_MessageSizes::rowConfig() const
{
    QFETCH(int, ioThreads);
    QFETCH(bool, tls);
    Config config = configWithIoThreads(ioThreads);
    if (tls)
        config.server.tls = TlsConfig{m_dir.filePath(QStringLiteral("cert.pem")),
                                      m_dir.filePath(QStringLiteral("cert.key"))};
    return config;
}

QUrl tst_MessageSizes::rowUrl(const TestServer &server) const
{
    QFETCH(bool, tls);
    QUrl url = server.url();
    if (tls)
        url.setScheme(QStringLiteral("wss"));
    return url;
}

QSslConfiguration tst_MessageSizes::trusting() const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem"))));
    return ssl;
}

void tst_MessageSizes::echoRoundTrip_data()
{
    QTest::addColumn<int>("ioThreads");
    QTest::addColumn<int>("form");
    QTest::addColumn<int>("length");
    QTest::addColumn<QString>("unit");
    const QString ascii = QStringLiteral("x");
    const QString nonAscii = QStringLiteral("\u00b5\u00b0\u03a9\U0001F52C");
    // Sockets served by two I/O threads, and by the main thread (io_threads 0).
    for (const int threads : {2, 0}) {
        for (const auto &[name, form] : {std::pair{"json", TestClient::Form::Json},
                                         std::pair{"msgpack", TestClient::Form::MsgPack}}) {
            // The result message adds ~200 bytes around the echoed text.
            QTest::addRow("%s, small frame, io_threads %d", name, threads)
                    << threads << int(form) << 1 << ascii;
            QTest::addRow("%s, 16-bit length, io_threads %d", name, threads)
                    << threads << int(form) << 1000 << ascii;
            QTest::addRow("%s, 16-bit length, non-ASCII, io_threads %d", name, threads)
                    << threads << int(form) << 2000 << nonAscii;
            QTest::addRow("%s, 64-bit length, io_threads %d", name, threads)
                    << threads << int(form) << 70000 << ascii;
            QTest::addRow("%s, 64-bit length, non-ASCII, io_threads %d", name, threads)
                    << threads << int(form) << 8000 << nonAscii;
        }
    }
}

void tst_MessageSizes::echoRoundTrip()
{
    QFETCH(int, ioThreads);
    QFETCH(int, form);
    QFETCH(int, length);
    QFETCH(QString, unit);

    Config config = TestServer::simConfig(1, 10);
    config.limits.maxMessageBytes = 1 << 20;
    config.server.ioThreads = ioThreads;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    QVERIFY(client.open(server.url()));
    const auto wire = TestClient::Form(form);
    if (wire == TestClient::Form::MsgPack) {
        const QVariantMap welcome = client.request({{QStringLiteral("type"), QStringLiteral("hello")},
                                                    {QStringLiteral("encoding"), QStringLiteral("msgpack")}},
                                                   5000, wire);
        QCOMPARE(welcome.value(QStringLiteral("type")).toString(), QStringLiteral("welcome"));
    }

    const QString text = unit.repeated(length);
    const QVariantMap params{{QStringLiteral("text"), text}};
    const QVariantMap ack = client.request({{QStringLiteral("type"), QStringLiteral("command")},
                                            {QStringLiteral("device"), QStringLiteral("sim0")},
                                            {QStringLiteral("command"), QStringLiteral("echo")},
                                            {QStringLiteral("params"), params}},
                                           5000, wire);
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QString commandId = ack.value(QStringLiteral("command_id")).toString();
    const QVariantMap result = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
            && m.value(QStringLiteral("command_id")).toString() == commandId;
    });
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(result.value(QStringLiteral("result")).toMap().value(QStringLiteral("text")).toString(), text);
    QVERIFY(!client.decodeFailed());
    // The frame type follows the encoding: text for JSON, binary for MessagePack.
    const bool binary = wire == TestClient::Form::MsgPack;
    for (const TestClient::Received &r : client.received())
        QCOMPARE(r.binary, binary);
}

void tst_MessageSizes::fragmentedTextWithSplitCharacters_data()
{
    addTransportRows();
}

void tst_MessageSizes::fragmentedTextWithSplitCharacters()
{
    // A client library may cut a message into frames anywhere, also inside
    // a multi-byte character: the message as a whole is what must be UTF-8.
    TestServer server(rowConfig());
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    client.socket().setSslConfiguration(trusting());
    QVERIFY(client.open(rowUrl(server)));
    client.socket().setOutgoingFrameSize(7);
    const QString text = QStringLiteral("\u00b5\u00b0\u03a9\U0001F52C").repeated(20);
    const QVariantMap pong = client.request({{QStringLiteral("type"), QStringLiteral("ping")},
                                             {QStringLiteral("t"), text}});
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(pong.value(QStringLiteral("t")).toString(), text);
    QVERIFY(client.isConnected());
}

void tst_MessageSizes::frameSentWithTheUpgradeRequest_data()
{
    addTransportRows();
}

void tst_MessageSizes::frameSentWithTheUpgradeRequest()
{
    // A client that does not wait for the 101 before its first message: the
    // message arrives with the request (in the same segment, or TLS
    // record), and must not be lost in the upgrade.
    QFETCH(bool, tls);
    TestServer server(rowConfig());
    QVERIFY2(server.start(), qPrintable(server.error()));

    QSslSocket socket;   // plain TCP for ws://
    socket.setSslConfiguration(trusting());
    if (tls)
        socket.connectToHostEncrypted(server.url().host(), quint16(server.url().port()));
    else
        socket.connectToHost(server.url().host(), quint16(server.url().port()));
    // (The server runs in this thread: no blocking waits.)
    QTRY_VERIFY_WITH_TIMEOUT(tls ? socket.isEncrypted()
                                 : socket.state() == QAbstractSocket::ConnectedState, 5000);
    socket.write(RawWebSocket::upgradeRequest(server.url())
                 + clientFrame(0x1, R"({"type":"ping","id":7,"t":"early"})")
                 + clientFrame(0x1, R"({"type":"ping","id":8,"t":"early"})"));
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).contains("\"id\":8"), 5000);
    QVERIFY(received.startsWith("HTTP/1.1 101"));
    const qsizetype body = received.indexOf("\r\n\r\n") + 4;
    // One unmasked text frame holding the pong.
    QCOMPARE(quint8(received.at(body)), quint8(0x81));
    const QVariantMap pong =
        QJsonDocument::fromJson(received.mid(body + 2, quint8(received.at(body + 1)))).toVariant().toMap();
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(pong.value(QStringLiteral("id")).toInt(), 7);
}

QTEST_GUILESS_MAIN(tst_MessageSizes)
#include "tst_messagesizes.moc"
