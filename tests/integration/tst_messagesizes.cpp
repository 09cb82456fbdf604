// Messages of every WebSocket length form (7-bit, 16-bit, 64-bit) reach a
// standard client intact, as text (JSON, non-ASCII included) and binary
// (MessagePack): halhub writes the frames itself, so their headers and
// payloads are checked here against QWebSocket.

#include "rawwebsocket.h"
#include "testclient.h"
#include "testserver.h"

#include <QJsonDocument>
#include <QTcpSocket>
#include <QTest>

using namespace halhub;

class tst_MessageSizes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void echoRoundTrip_data();
    void echoRoundTrip();
    void fragmentedTextWithSplitCharacters_data();
    void fragmentedTextWithSplitCharacters();
    void frameSentWithTheUpgradeRequest_data();
    void frameSentWithTheUpgradeRequest();
};

namespace {

Config configWithIoThreads(int ioThreads)
{
    Config config = TestServer::simConfig(1, 10);
    config.server.ioThreads = ioThreads;
    return config;
}

void addIoThreadRows()
{
    QTest::addColumn<int>("ioThreads");
    QTest::addRow("io_threads 2") << 2;
    QTest::addRow("io_threads 0") << 0;
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
    addIoThreadRows();
}

void tst_MessageSizes::fragmentedTextWithSplitCharacters()
{
    // A client library may cut a message into frames anywhere, also inside
    // a multi-byte character: the message as a whole is what must be UTF-8.
    QFETCH(int, ioThreads);
    TestServer server(configWithIoThreads(ioThreads));
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    QVERIFY(client.open(server.url()));
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
    addIoThreadRows();
}

void tst_MessageSizes::frameSentWithTheUpgradeRequest()
{
    // A client that does not wait for the 101 before its first message: the
    // message arrives with the request, and must not be lost in the upgrade.
    QFETCH(int, ioThreads);
    TestServer server(configWithIoThreads(ioThreads));
    QVERIFY2(server.start(), qPrintable(server.error()));

    QTcpSocket socket;
    socket.connectToHost(server.url().host(), quint16(server.url().port()));
    QVERIFY(socket.waitForConnected(5000));
    socket.write(RawWebSocket::upgradeRequest(server.url()) + clientFrame(0x1, R"({"type":"ping","id":7,"t":"early"})"));
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).contains("\"early\""), 5000);
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
