// A battery of malformed frames from one client while another streams: the
// attacker gets an error for each, the server neither crashes nor stalls,
// and the other client's stream shows no gap.

#include "protocol/framecodec.h"
#include "rawwebsocket.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace halhub;

namespace {

QByteArray binary(char header, const QByteArray &payload)
{
    return QByteArray(1, header) + payload;
}


QByteArray deepJson(int depth)
{
    return "{\"type\":\"ping\",\"t\":" + QByteArray(depth, '[') + QByteArray(depth, ']') + "}";
}

} // namespace

class tst_HostileInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void battery();
    void oversizedMessageCloses1009();
    void floodIsNotBufferedWithoutLimit();
};

void tst_HostileInput::battery()
{
    Config config = TestServer::simConfig(1, 100);
    config.limits.maxMessageBytes = 4096;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));

    TestClient streamer;
    QVERIFY(streamer.open(server.url()));
    const QVariantMap subscribed = streamer.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                                     {QStringLiteral("device"), QStringLiteral("sim0")}});
    const QString stream = subscribed.value(QStringLiteral("stream")).toString();
    QVERIFY(!stream.isEmpty());

    TestClient attacker;
    QVERIFY(attacker.open(server.url()));

    struct Attack
    {
        const char *what;
        QByteArray bytes;
        bool text;
        const char *code;
    };
    QByteArray randomBytes(300, '\0');
    for (char &c : randomBytes)
        c = char(QRandomGenerator::global()->bounded(256));
    randomBytes[0] = '\x00';   // a MessagePack frame of noise
    const QByteArray mapOf3 = QByteArray::fromHex("83a474797065a9737562736372");
    const QByteArray bomb = framecodec::deflate(QByteArray(50 * 1024 * 1024, ' '));
    const QList<Attack> attacks = {
        {"random bytes", randomBytes, false, "invalid_message"},
        {"unknown header byte", binary('\x07', "{}"), false, "invalid_message"},
        {"empty binary", QByteArray(), false, "invalid_message"},
        {"truncated MessagePack", binary('\x00', mapOf3), false, "invalid_message"},
        {"MessagePack bin value", binary('\x00', QByteArray::fromHex("82a474797065a470696e67a174c40141")), false, "invalid_message"},
        {"corrupt zlib", binary('\x02', "\x78\x9c garbage"), false, "invalid_message"},
        {"zip bomb", binary('\x02', bomb), false, "message_too_large"},
        {"deep JSON", deepJson(200), true, "invalid_message"},
        {"very deep JSON", deepJson(2000), true, "invalid_message"},
        {"not JSON", "{\"type\":", true, "invalid_message"},
        {"array not map", "[1,2,3]", true, "invalid_message"},
        {"NaN", "{\"type\":\"ping\",\"t\":NaN}", true, "invalid_message"},
        {"huge exponent", "{\"type\":\"ping\",\"t\":1e999}", true, "invalid_message"},
        {"lone surrogate", "{\"type\":\"ping\",\"t\":\"\\ud800\"}", true, "invalid_message"},
        {"type a number", "{\"type\":5}", true, "invalid_message"},
        {"id too big", "{\"type\":\"ping\",\"id\":9007199254740992}", true, "invalid_message"},
        {"id string too long", "{\"type\":\"ping\",\"id\":\"" + QByteArray(65, 'x') + "\"}", true, "invalid_message"},
        {"command without id", "{\"type\":\"command\",\"device\":\"sim0\",\"command\":\"echo\"}", true, "invalid_message"},
        {"rate a string", "{\"type\":\"subscribe\",\"id\":1,\"device\":\"sim0\",\"rate_hz\":\"fast\"}", true, "invalid_params"},
        {"rate huge", "{\"type\":\"subscribe\",\"id\":2,\"device\":\"sim0\",\"rate_hz\":1e300}", true, "invalid_params"},
        {"params a list", "{\"type\":\"command\",\"id\":3,\"device\":\"sim0\",\"command\":\"echo\",\"params\":[1]}", true, "invalid_params"},
        {"timeout out of range", "{\"type\":\"command\",\"id\":4,\"device\":\"sim0\",\"command\":\"sleep\",\"params\":{\"ms\":1},\"timeout_ms\":1e18}", true, "invalid_params"},
        {"sleep forever", "{\"type\":\"command\",\"id\":5,\"device\":\"sim0\",\"command\":\"sleep\",\"params\":{\"ms\":1e300}}", true, "invalid_params"},
        {"key too long", "{\"type\":\"command\",\"id\":6,\"device\":\"sim0\",\"command\":\"echo\",\"key\":\"" + QByteArray(65, 'k') + "\"}", true, "invalid_params"},
        {"device a map", "{\"type\":\"subscribe\",\"id\":7,\"device\":{}}", true, "invalid_params"},
        {"too large", "{\"type\":\"ping\",\"t\":\"" + QByteArray(5000, 'x') + "\"}", true, "message_too_large"},
    };

    const qsizetype before = streamer.received().size();
    for (const Attack &a : attacks) {
        const qsizetype from = attacker.received().size();
        if (a.text)
            attacker.sendText(QString::fromUtf8(a.bytes));
        else
            attacker.sendBinary(a.bytes);
        const QVariantMap reply = attacker.waitForType(QStringLiteral("error"), 3000, from);
        QVERIFY2(!reply.isEmpty(), a.what);
        QVERIFY2(reply.value(QStringLiteral("code")).toString() == QLatin1String(a.code),
                 qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(a.what),
                                                         reply.value(QStringLiteral("code")).toString())));
    }
    // Still served, and nothing was subscribed or run by the battery.
    QCOMPARE(attacker.request({{QStringLiteral("type"), QStringLiteral("ping")}}).value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    QVERIFY(attacker.messagesOfType(QStringLiteral("ack")).isEmpty());
    QCOMPARE(server.server().streamCount(), 1);

    // The stream ran on through the battery: consecutive seq, no gap flag.
    QVERIFY(!streamer.waitForType(QStringLiteral("telemetry"), 2000, streamer.received().size()).isEmpty());
    quint64 last = 0;
    int frames = 0;
    for (qsizetype i = 0; i < streamer.received().size(); ++i) {
        const QVariantMap &m = streamer.received().at(i).message;
        if (m.value(QStringLiteral("type")) != QLatin1String("telemetry"))
            continue;
        const quint64 seq = m.value(QStringLiteral("seq")).toULongLong();
        if (last)
            QCOMPARE(seq, last + 1);
        QVERIFY(!m.value(QStringLiteral("gap")).toBool());
        last = seq;
        if (i >= before)
            ++frames;
    }
    QVERIFY(frames > 0);
}

void tst_HostileInput::oversizedMessageCloses1009()
{
    Config config = TestServer::simConfig(1, 100);
    config.limits.maxMessageBytes = 1024;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient streamer, attacker;
    QVERIFY(streamer.open(server.url()) && attacker.open(server.url()));
    QVERIFY(!streamer.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                               {QStringLiteral("device"), QStringLiteral("sim0")}}).isEmpty());
    attacker.sendBinary(QByteArray(17 * 1024, 'x'));
    QVERIFY(attacker.waitForClose(5000));
    QCOMPARE(attacker.closeCode(), 1009);
    const qsizetype from = streamer.received().size();
    QVERIFY(!streamer.waitForType(QStringLiteral("telemetry"), 2000, from).isEmpty());
}

void tst_HostileInput::floodIsNotBufferedWithoutLimit()
{
    // A client that sends far faster than its messages are handled must be
    // slowed down by TCP, not buffered: the server reads from it only as
    // fast as it handles what it read. The flooder is a plain blocking
    // socket on its own thread, writing as fast as the server takes it.
    Config config = TestServer::simConfig(1, 10);
    // Only the flooder's own bucket refuses it; the bystander from the same
    // address keeps its share.
    config.limits.rateLimitPerIpPerMin = 10000000;
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient bystander;
    QVERIFY(bystander.open(server.url()));

    // 1 MiB of masked (key 0) text frames {"type":"ping"}.
    const QByteArray ping = R"({"type":"ping"})";
    const QByteArray frame = QByteArray("\x81") + char(0x80 | ping.size()) + QByteArray(4, '\0') + ping;
    const QByteArray burst = frame.repeated(int((1 << 20) / frame.size()));
    std::atomic<qint64> written{0};
    std::atomic<bool> stop{false};
    const quint16 port = quint16(server.url().port());
    const QByteArray request = RawWebSocket::upgradeRequest(server.url());
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    QCOMPARE(::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL), request.size());
    // The answers (refusals) are read and dropped, so the flood is not
    // stopped as a slow consumer: what is measured is the reading side.
    std::thread reader([&] {
        char buffer[65536];
        while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
        }
    });
    std::thread sender([&] {
        while (!stop) {
            const ssize_t n = ::send(fd, burst.constData(), size_t(burst.size()), MSG_NOSIGNAL);
            if (n <= 0)
                break;
            written += n;
        }
    });

    const qint64 before = residentMemoryKb();
    QVERIFY(before > 0);
    qint64 peak = before;
    QElapsedTimer clock;
    clock.start();
    const bool measured = QTest::qWaitFor([&] {
        peak = qMax(peak, residentMemoryKb());
        return clock.elapsed() > 3000;
    }, 10000);
    stop = true;
    ::shutdown(fd, SHUT_RDWR);
    sender.join();
    reader.join();
    ::close(fd);
    QVERIFY(measured);
    qInfo("flooded %lld MiB; resident memory grew by at most %lld MiB", written.load() >> 20,
          (peak - before) >> 10);
    QVERIFY(written >= 4 * 1024 * 1024);
#ifdef __SANITIZE_ADDRESS__
    // AddressSanitizer keeps freed memory in quarantine: resident memory
    // says nothing here. The flood still ran through every path.
    const bool measurable = false;
#else
    const bool measurable = true;
#endif
    // Bounded by what may wait to be handled (4 MiB of messages) and to be
    // sent (the 16 MiB slow-consumer cap), whatever the flood's length;
    // reading without that bound, the same 3 s grew it by about 100 MiB.
    if (measurable)
        QVERIFY2(peak - before < 64 * 1024, "the server buffered the flood");
    // Meanwhile the others are served.
    QCOMPARE(bystander.request({{QStringLiteral("type"), QStringLiteral("ping")}})
                 .value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
}

QTEST_GUILESS_MAIN(tst_HostileInput)
#include "tst_hostileinput.moc"
