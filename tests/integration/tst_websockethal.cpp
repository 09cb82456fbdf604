// The eight scenarios of the original design, end to end: the real server,
// the real HAL with the sim plugin, and WebSocket clients on loopback.

#include "halmanager.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace halhub;

namespace {

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

void printServerMetrics(TestClient &client, const char *scenario)
{
    const QVariantMap m = client.request(msg(QStringLiteral("get_metrics")));
    const QVariantMap l = m.value(QStringLiteral("latency")).toMap();
    LatencyReport r;
    r.avgMs = l.value(QStringLiteral("avg_latency_ms")).toDouble();
    r.p50Ms = l.value(QStringLiteral("p50_latency_ms")).toDouble();
    r.p95Ms = l.value(QStringLiteral("p95_latency_ms")).toDouble();
    r.p99Ms = l.value(QStringLiteral("p99_latency_ms")).toDouble();
    r.minMs = l.value(QStringLiteral("min_latency_ms")).toDouble();
    r.maxMs = l.value(QStringLiteral("max_latency_ms")).toDouble();
    r.count = l.value(QStringLiteral("message_count")).toLongLong();
    r.throughputPerSec = l.value(QStringLiteral("throughput_msg_per_sec")).toDouble();
    r.print(scenario);
}

QList<TestClient::Received> framesOf(const TestClient &client, const QString &stream)
{
    QList<TestClient::Received> frames;
    for (const TestClient::Received &r : client.received()) {
        if (r.message.value(QStringLiteral("type")).toString() == QLatin1String("telemetry")
            && r.message.value(QStringLiteral("stream")).toString() == stream)
            frames.append(r);
    }
    return frames;
}

// Consecutive seq numbers from `first` on: the frames a user would count.
bool seqContiguous(const QList<TestClient::Received> &frames, quint64 first = 1)
{
    quint64 expected = first;
    for (const TestClient::Received &f : frames) {
        if (f.message.value(QStringLiteral("seq")).toULongLong() != expected)
            return false;
        ++expected;
    }
    return true;
}

} // namespace

class tst_WebSocketHal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void singleClientPingPong();
    void tenConcurrentClients();
    void telemetry100Hz_data();
    void telemetry100Hz();
    void commandRouting();
    void deviceEventsReachEveryClient();
    void invalidInputAndRateLimit();
    void loadFiveClientsTwoDevices();
    void resumeRecoversState();
    void staleConnectionCleanup();
};

void tst_WebSocketHal::singleClientPingPong()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));

    const QVariantMap welcome = client.request(msg(QStringLiteral("hello"),
                                                   {{QStringLiteral("client"), QStringLiteral("test")}}));
    QCOMPARE(welcome.value(QStringLiteral("type")).toString(), QStringLiteral("welcome"));
    QCOMPARE(welcome.value(QStringLiteral("protocol")).toLongLong(), 1);
    QVERIFY(welcome.value(QStringLiteral("server")).toString().startsWith(QStringLiteral("halhub/")));
    QVERIFY(welcome.value(QStringLiteral("session")).toString().size() >= 32);
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), false);
    QCOMPARE(welcome.value(QStringLiteral("limits")).toMap()
                 .value(QStringLiteral("rate_limit_per_min")).toLongLong(), 200);

    const qint64 before = QDateTime::currentMSecsSinceEpoch() * 1000;
    const QVariantMap pong = client.request(msg(QStringLiteral("ping"),
                                                {{QStringLiteral("t"), QStringLiteral("abc")}}));
    QCOMPARE(pong.value(QStringLiteral("type")).toString(), QStringLiteral("pong"));
    QCOMPARE(pong.value(QStringLiteral("t")).toString(), QStringLiteral("abc"));
    const qint64 serverTime = pong.value(QStringLiteral("server_time")).toLongLong();
    QVERIFY(qAbs(serverTime - before) < 5'000'000);

    // Without an id the pong carries none.
    const qsizetype from = client.received().size();
    client.send(msg(QStringLiteral("ping")));
    const QVariantMap bare = client.waitForType(QStringLiteral("pong"), 5000, from);
    QVERIFY(!bare.isEmpty());
    QVERIFY(!bare.contains(QStringLiteral("id")));
    QVERIFY(!bare.contains(QStringLiteral("t")));
    printServerMetrics(client, "scenario 1: single client ping/pong");
}

void tst_WebSocketHal::tenConcurrentClients()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 10; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(hub.url()));
    }
    QTRY_COMPARE(hub.server().clientCount(), 10);
    QSet<QString> sessions;
    for (auto &c : clients) {
        const QVariantMap w = c->request(msg(QStringLiteral("hello")));
        sessions.insert(w.value(QStringLiteral("session")).toString());
        const QVariantMap devices = c->request(msg(QStringLiteral("list_devices")));
        const QVariantList list = devices.value(QStringLiteral("devices")).toList();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0).toMap().value(QStringLiteral("id")).toString(), QStringLiteral("sim0"));
        QCOMPARE(list.at(0).toMap().value(QStringLiteral("state")).toString(), QStringLiteral("connected"));
        QCOMPARE(list.at(0).toMap().value(QStringLiteral("rate_hz")).toDouble(), 100.0);
    }
    QCOMPARE(sessions.size(), 10);
    // All subscribe at once; every one gets its own stream and frames.
    for (auto &c : clients)
        c->send(msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim1")},
                                                  {QStringLiteral("rate_hz"), 20}}));
    for (auto &c : clients) {
        const QVariantMap sub = c->waitForType(QStringLiteral("subscribed"));
        QVERIFY(!sub.isEmpty());
        const QString stream = sub.value(QStringLiteral("stream")).toString();
        QVERIFY(!c->waitFor([&](const QVariantMap &m) {
            return m.value(QStringLiteral("stream")).toString() == stream
                && m.value(QStringLiteral("seq")).toLongLong() >= 5;
        }).isEmpty());
    }
    printServerMetrics(*clients.front(), "scenario 2: 10 concurrent clients");
    clients.clear();
    QTRY_COMPARE(hub.server().clientCount(), 0);
}

void tst_WebSocketHal::telemetry100Hz_data()
{
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<bool>("compression");
    QTest::addColumn<TestClient::Form>("form");
    QTest::addRow("json") << QStringLiteral("json") << false << TestClient::Form::Json;
    QTest::addRow("msgpack") << QStringLiteral("msgpack") << false << TestClient::Form::MsgPack;
    QTest::addRow("json compressed") << QStringLiteral("json") << true << TestClient::Form::ZlibJson;
    QTest::addRow("msgpack compressed") << QStringLiteral("msgpack") << true
                                        << TestClient::Form::ZlibMsgPack;
}

void tst_WebSocketHal::telemetry100Hz()
{
    QFETCH(QString, encoding);
    QFETCH(bool, compression);
    QFETCH(TestClient::Form, form);

    // Eight devices make the `devices` reply large enough to be compressed.
    TestServer hub(TestServer::simConfig(8, 100));
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));

    qsizetype index = -1;
    const QVariantMap welcome = client.request(
        msg(QStringLiteral("hello"), {{QStringLiteral("encoding"), encoding},
                                      {QStringLiteral("compression"), compression}}),
        5000, form);
    QCOMPARE(welcome.value(QStringLiteral("encoding")).toString(), encoding);
    QCOMPARE(welcome.value(QStringLiteral("compression")).toBool(), compression);
    // The welcome already uses the chosen encoding.
    client.waitFor([](const QVariantMap &m) { return m.value(QStringLiteral("type")) == QLatin1String("welcome"); },
                   1000, 0, &index);
    QCOMPARE(client.received().at(index).binary, encoding == QLatin1String("msgpack"));

    const qsizetype before = client.received().size();
    const QVariantMap devices = client.request(msg(QStringLiteral("list_devices")), 5000, form);
    QCOMPARE(devices.value(QStringLiteral("devices")).toList().size(), 8);
    const TestClient::Received &devicesFrame = client.received().at(
        client.received().size() - 1 >= before ? before : 0);
    Q_UNUSED(devicesFrame);
    client.waitFor([](const QVariantMap &m) { return m.value(QStringLiteral("type")) == QLatin1String("devices"); },
                   1000, before, &index);
    const TestClient::Received &frame = client.received().at(index);
    // Over 1024 bytes: compressed exactly when asked, always binary then.
    QVERIFY(frame.bytes > 0);
    if (compression)
        QVERIFY(frame.binary);
    else
        QCOMPARE(frame.binary, encoding == QLatin1String("msgpack"));

    const QVariantMap sub = client.request(
        msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")},
                                          {QStringLiteral("rate_hz"), 100}}),
        5000, form);
    QCOMPARE(sub.value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));
    QCOMPARE(sub.value(QStringLiteral("rate_hz")).toDouble(), 100.0);
    const QString stream = sub.value(QStringLiteral("stream")).toString();

    QVERIFY(!client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")).toString() == stream
            && m.value(QStringLiteral("seq")).toLongLong() >= 300;
    }, 15000).isEmpty());

    const QList<TestClient::Received> frames = framesOf(client, stream);
    QVERIFY(seqContiguous(frames));
    for (const TestClient::Received &f : frames) {
        const QVariantMap values = f.message.value(QStringLiteral("values")).toMap();
        QCOMPARE(values.keys(), (QStringList{QStringLiteral("noise"), QStringLiteral("ramp"),
                                             QStringLiteral("sine"), QStringLiteral("step")}));
        QVERIFY(f.message.value(QStringLiteral("key")).toBool());
        QVERIFY(f.message.value(QStringLiteral("sent")).toLongLong()
                >= f.message.value(QStringLiteral("ts")).toLongLong());
    }
    // The stream keeps its rate: frames per second of device time within 1%.
    const double spanS = (frames.last().message.value(QStringLiteral("ts")).toLongLong()
                          - frames.first().message.value(QStringLiteral("ts")).toLongLong()) / 1e6;
    const double rate = (frames.size() - 1) / spanS;
    QVERIFY2(qAbs(rate - 100.0) <= 1.0, qPrintable(QString::number(rate)));

    const LatencyReport report = LatencyReport::fromFrames(frames);
    report.print(qPrintable(QStringLiteral("scenario 3: 100 Hz telemetry, %1%2")
                                .arg(encoding, compression ? QStringLiteral(" compressed") : QString())));
    QVERIFY2(report.avgMs < 10, qPrintable(QString::number(report.avgMs)));
    QVERIFY2(report.p95Ms < 20, qPrintable(QString::number(report.p95Ms)));
    QVERIFY2(report.throughputPerSec > 50, qPrintable(QString::number(report.throughputPerSec)));
    QVERIFY(!client.decodeFailed());
}

void tst_WebSocketHal::commandRouting()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));

    // ack, then result with the params echoed.
    const QVariantMap params{{QStringLiteral("a"), 1}, {QStringLiteral("b"), QStringLiteral("x")}};
    const QVariantMap ack = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("echo")},
         {QStringLiteral("params"), params}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QString echoId = ack.value(QStringLiteral("command_id")).toString();
    QVERIFY(!echoId.isEmpty());
    const QVariantMap result = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
            && m.value(QStringLiteral("command_id")).toString() == echoId;
    });
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(result.value(QStringLiteral("result")).toMap(), params);
    QCOMPARE(result.value(QStringLiteral("id")), ack.value(QStringLiteral("id")));
    QCOMPARE(result.value(QStringLiteral("attempts")).toInt(), 1);
    QCOMPARE(result.value(QStringLiteral("device")).toString(), QStringLiteral("sim0"));
    QCOMPARE(result.value(QStringLiteral("command")).toString(), QStringLiteral("echo"));

    // Timeout with retries: each attempt abandoned, attempts counted.
    const QVariantMap slowAck = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("sleep")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 2000}}},
         {QStringLiteral("timeout_ms"), 100}, {QStringLiteral("retries"), 2}}));
    const QString slowId = slowAck.value(QStringLiteral("command_id")).toString();
    // Queued behind it, runs once the device is free again.
    const QVariantMap nextAck = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("echo")}}));
    const QString nextId = nextAck.value(QStringLiteral("command_id")).toString();
    const QVariantMap timeout = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("command_id")).toString() == slowId
            && m.value(QStringLiteral("type")) == QLatin1String("result");
    });
    QCOMPARE(timeout.value(QStringLiteral("status")).toString(), QStringLiteral("timeout"));
    QCOMPARE(timeout.value(QStringLiteral("attempts")).toInt(), 3);
    QCOMPARE(timeout.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("timeout"));
    QVERIFY(timeout.value(QStringLiteral("duration_ms")).toLongLong() >= 300);
    const QVariantMap next = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("command_id")).toString() == nextId
            && m.value(QStringLiteral("type")) == QLatin1String("result");
    });
    QCOMPARE(next.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

    // A device error is a result, not a crash.
    const QVariantMap failAck = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("fail")}}));
    const QVariantMap failed = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("command_id")) == failAck.value(QStringLiteral("command_id"))
            && m.value(QStringLiteral("type")) == QLatin1String("result");
    });
    QCOMPARE(failed.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(failed.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("device_error"));

    // Cancel a waiting command; the running one cannot be cancelled.
    const QVariantMap busyAck = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("sleep")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 300}}}}));
    const QVariantMap waitingAck = client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("echo")}}));
    const QVariantMap cancelled = client.request(msg(QStringLiteral("cancel"),
        {{QStringLiteral("command_id"), waitingAck.value(QStringLiteral("command_id"))}}));
    QCOMPARE(cancelled.value(QStringLiteral("type")).toString(), QStringLiteral("cancelled"));
    const QVariantMap cancelledResult = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("command_id")) == waitingAck.value(QStringLiteral("command_id"))
            && m.value(QStringLiteral("type")) == QLatin1String("result");
    });
    QCOMPARE(cancelledResult.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    const QVariantMap notFound = client.request(msg(QStringLiteral("cancel"),
        {{QStringLiteral("command_id"), busyAck.value(QStringLiteral("command_id"))}}));
    QCOMPARE(notFound.value(QStringLiteral("code")).toString(), QStringLiteral("not_found"));

    // Refusals come before any ack.
    QCOMPARE(client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("nope")}, {QStringLiteral("command"), QStringLiteral("echo")}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("unknown_device"));
    QCOMPARE(client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("explode")}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("unknown_command"));
    QCOMPARE(client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("sleep")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), -5}}}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));
    QCOMPARE(client.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("command"), QStringLiteral("echo")},
         {QStringLiteral("timeout_ms"), 0}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));

    // Idempotency: the same key gets the first command's id and result.
    const QVariantMap keyed{{QStringLiteral("device"), QStringLiteral("sim0")},
                            {QStringLiteral("command"), QStringLiteral("echo")},
                            {QStringLiteral("params"), QVariantMap{{QStringLiteral("n"), 7}}},
                            {QStringLiteral("key"), QStringLiteral("k-1")}};
    const QVariantMap first = client.request(msg(QStringLiteral("command"), keyed));
    const QVariantMap firstResult = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("command_id")) == first.value(QStringLiteral("command_id"))
            && m.value(QStringLiteral("type")) == QLatin1String("result");
    });
    QVERIFY(!firstResult.isEmpty());
    const QVariantMap again = client.request(msg(QStringLiteral("command"), keyed));
    QCOMPARE(again.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QCOMPARE(again.value(QStringLiteral("command_id")), first.value(QStringLiteral("command_id")));
    QVERIFY(again.value(QStringLiteral("id")) != first.value(QStringLiteral("id")));
    const QVariantMap againResult = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
            && m.value(QStringLiteral("id")) == again.value(QStringLiteral("id"));
    });
    QCOMPARE(againResult.value(QStringLiteral("result")), firstResult.value(QStringLiteral("result")));
    QVariantMap otherParams = keyed;
    otherParams.insert(QStringLiteral("params"), QVariantMap{{QStringLiteral("n"), 8}});
    QCOMPARE(client.request(msg(QStringLiteral("command"), otherParams)).value(QStringLiteral("code")).toString(),
             QStringLiteral("invalid_params"));
    printServerMetrics(client, "scenario 4: command routing");
}

void tst_WebSocketHal::deviceEventsReachEveryClient()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(hub.url()));
        clients.back()->request(msg(QStringLiteral("hello")));
    }
    TestClient &actor = *clients.front();
    const QVariantMap ack = actor.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("unplug")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 400}}}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    for (auto &c : clients) {
        const QVariantMap gone = c->waitForEvent(QStringLiteral("device_disconnected"));
        QCOMPARE(gone.value(QStringLiteral("device")).toString(), QStringLiteral("sim1"));
        QVERIFY(gone.value(QStringLiteral("ts")).toLongLong() > 0);
        QVERIFY(!gone.contains(QStringLiteral("id")));
    }
    // While away: listed as disconnected, commands refused without an ack.
    const QVariantList devices = actor.request(msg(QStringLiteral("list_devices")))
                                     .value(QStringLiteral("devices")).toList();
    QCOMPARE(devices.at(1).toMap().value(QStringLiteral("state")).toString(), QStringLiteral("disconnected"));
    QCOMPARE(actor.request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("echo")}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("device_unavailable"));
    for (auto &c : clients) {
        const QVariantMap back = c->waitForEvent(QStringLiteral("device_connected"));
        QCOMPARE(back.value(QStringLiteral("device")).toString(), QStringLiteral("sim1"));
    }
    // The unplug's own result was ok, sent before the device went away.
    const QVariantMap result = actor.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
            && m.value(QStringLiteral("command_id")) == ack.value(QStringLiteral("command_id"));
    });
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    printServerMetrics(actor, "scenario 5: device events");
}

void tst_WebSocketHal::invalidInputAndRateLimit()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));

    struct Case { QByteArray frame; bool binary; QString code; };
    const QList<Case> cases = {
        {"not json", false, QStringLiteral("invalid_message")},
        {"[1,2,3]", false, QStringLiteral("invalid_message")},
        {"{\"id\":1}", false, QStringLiteral("invalid_message")},
        {"{\"type\":5}", false, QStringLiteral("invalid_message")},
        {"{\"type\":\"command\",\"device\":\"sim0\",\"command\":\"echo\"}", false,
         QStringLiteral("invalid_message")},
        {"{\"type\":\"ping\",\"id\":1.5}", false, QStringLiteral("invalid_message")},
        {"{\"type\":\"ping\",\"t\":NaN}", false, QStringLiteral("invalid_message")},
        {"{\"type\":\"teleport\",\"id\":3}", false, QStringLiteral("unknown_type")},
        {"{\"type\":\"subscribe\",\"id\":4,\"device\":\"sim0\",\"rate_hz\":0}", false,
         QStringLiteral("invalid_params")},
        {"{\"type\":\"subscribe\",\"id\":5,\"device\":\"sim0\",\"mode\":\"psychic\"}", false,
         QStringLiteral("invalid_params")},
        {"{\"type\":\"subscribe\",\"id\":6,\"device\":\"zzz\"}", false, QStringLiteral("unknown_device")},
        {"{\"type\":\"unsubscribe\",\"id\":7,\"stream\":\"s999\"}", false, QStringLiteral("unknown_stream")},
        {QByteArray("\x07{}", 3), true, QStringLiteral("invalid_message")},
        {QByteArray("\x00\xc1", 2), true, QStringLiteral("invalid_message")},
        {QByteArray("\x01garbage", 8), true, QStringLiteral("invalid_message")},
        {QByteArray(), true, QStringLiteral("invalid_message")},
    };
    for (const Case &c : cases) {
        const qsizetype from = client.received().size();
        if (c.binary)
            client.sendBinary(c.frame);
        else
            client.sendText(QString::fromUtf8(c.frame));
        const QVariantMap error = client.waitForType(QStringLiteral("error"), 5000, from);
        QVERIFY2(!error.isEmpty(), c.frame.constData());
        QCOMPARE(error.value(QStringLiteral("code")).toString(), c.code);
        QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());
    }
    // Oversized: refused unread, connection kept.
    const qsizetype from = client.received().size();
    client.sendText(QStringLiteral("{\"type\":\"ping\",\"t\":\"%1\"}").arg(QString(70000, QLatin1Char('x'))));
    QCOMPARE(client.waitForType(QStringLiteral("error"), 5000, from).value(QStringLiteral("code")).toString(),
             QStringLiteral("message_too_large"));
    QVERIFY(client.isConnected());
    QCOMPARE(client.request(msg(QStringLiteral("ping"))).value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));

    // 200 per minute: a burst of 250 pings on a fresh connection gets exactly
    // 200 answers; the rest say when to retry.
    TestClient burst;
    QVERIFY(burst.open(hub.url()));
    for (int i = 0; i < 250; ++i)
        burst.send(msg(QStringLiteral("ping"), {{QStringLiteral("id"), i + 1}}));
    QTRY_COMPARE_WITH_TIMEOUT(burst.received().size(), 250, 10000);
    const QList<QVariantMap> limited = burst.messagesOfType(QStringLiteral("error"));
    QCOMPARE(burst.messagesOfType(QStringLiteral("pong")).size(), 200);
    QCOMPARE(limited.size(), 50);
    for (const QVariantMap &e : limited) {
        QCOMPARE(e.value(QStringLiteral("code")).toString(), QStringLiteral("rate_limited"));
        QVERIFY(e.value(QStringLiteral("retry_after_ms")).toLongLong() >= 1);
        QVERIFY(e.value(QStringLiteral("retry_after_ms")).toLongLong() <= 300);
    }
    QVERIFY(burst.isConnected());
    QVERIFY(client.isConnected());
    printServerMetrics(client, "scenario 6: invalid input and rate limit");
}

void tst_WebSocketHal::loadFiveClientsTwoDevices()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    std::vector<std::unique_ptr<TestClient>> clients;
    QList<QStringList> streams;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<TestClient>());
        QVERIFY(clients.back()->open(hub.url()));
        QStringList ids;
        for (const QString device : {QStringLiteral("sim0"), QStringLiteral("sim1")}) {
            const QVariantMap sub = clients.back()->request(msg(QStringLiteral("subscribe"),
                {{QStringLiteral("device"), device}, {QStringLiteral("rate_hz"), 50}}));
            QCOMPARE(sub.value(QStringLiteral("rate_hz")).toDouble(), 50.0);
            ids.append(sub.value(QStringLiteral("stream")).toString());
        }
        streams.append(ids);
    }
    for (int i = 0; i < 5; ++i) {
        for (const QString &stream : streams.at(i)) {
            QVERIFY(!clients[i]->waitFor([&](const QVariantMap &m) {
                return m.value(QStringLiteral("stream")).toString() == stream
                    && m.value(QStringLiteral("seq")).toLongLong() >= 150;
            }, 15000).isEmpty());
        }
    }
    QList<TestClient::Received> all;
    for (int i = 0; i < 5; ++i) {
        for (const QString &stream : streams.at(i)) {
            const QList<TestClient::Received> frames = framesOf(*clients[i], stream);
            QVERIFY2(seqContiguous(frames), qPrintable(stream));
            all.append(frames);
        }
    }
    const LatencyReport report = LatencyReport::fromFrames(all);
    report.print("scenario 7: 5 clients x 2 devices x 50 Hz");
    QVERIFY2(report.avgMs < 50, qPrintable(QString::number(report.avgMs)));
    QVERIFY2(report.p95Ms < 100, qPrintable(QString::number(report.p95Ms)));
    for (const StreamStats &s : hub.server().streamStats())
        QCOMPARE(s.framesDropped, quint64(0));
}

void tst_WebSocketHal::resumeRecoversState()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    auto first = std::make_unique<TestClient>();
    QVERIFY(first->open(hub.url()));
    const QString session = first->request(msg(QStringLiteral("hello")))
                                .value(QStringLiteral("session")).toString();
    const QVariantMap sub = first->request(msg(QStringLiteral("subscribe"),
        {{QStringLiteral("device"), QStringLiteral("sim0")}, {QStringLiteral("rate_hz"), 50}}));
    const QString stream = sub.value(QStringLiteral("stream")).toString();
    QVERIFY(!first->waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")).toString() == stream
            && m.value(QStringLiteral("seq")).toLongLong() >= 10;
    }).isEmpty());
    const QVariantMap ack = first->request(msg(QStringLiteral("command"),
        {{QStringLiteral("device"), QStringLiteral("sim1")}, {QStringLiteral("command"), QStringLiteral("sleep")},
         {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 200}}}}));
    const QString commandId = ack.value(QStringLiteral("command_id")).toString();
    const quint64 lastSeen = framesOf(*first, stream).last().message.value(QStringLiteral("seq")).toULongLong();
    first->socket().abort();
    first.reset();
    QTRY_COMPARE(hub.server().clientCount(), 0);

    // While detached the stream keeps producing and the command finishes.
    QTRY_VERIFY(hub.server().streamStats().value(0).framesProduced >= lastSeen + 20);

    TestClient second;
    QVERIFY(second.open(hub.url()));
    // Resume is refused once the connection has subscribed.
    TestClient meddler;
    QVERIFY(meddler.open(hub.url()));
    meddler.request(msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim1")}}));
    QCOMPARE(meddler.request(msg(QStringLiteral("hello"), {{QStringLiteral("resume"), session}}))
                 .value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));
    // Unknown session: a fresh one.
    TestClient stranger;
    QVERIFY(stranger.open(hub.url()));
    const QVariantMap fresh = stranger.request(msg(QStringLiteral("hello"),
        {{QStringLiteral("resume"), QStringLiteral("0123456789abcdef0123456789abcdef")}}));
    QCOMPARE(fresh.value(QStringLiteral("resumed")).toBool(), false);
    QVERIFY(fresh.value(QStringLiteral("session")).toString() != session);

    const QVariantMap welcome = second.request(msg(QStringLiteral("hello"),
        {{QStringLiteral("resume"), session},
         {QStringLiteral("last_seq"), QVariantMap{{stream, lastSeen}}}}));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(welcome.value(QStringLiteral("session")).toString(), session);
    const QVariantList resumedStreams = welcome.value(QStringLiteral("streams")).toList();
    QCOMPARE(resumedStreams.size(), 1);
    QCOMPARE(resumedStreams.first().toMap().value(QStringLiteral("stream")).toString(), stream);

    // The result finished while away arrives, then the frames missed, with no gap.
    const QVariantMap result = second.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
            && m.value(QStringLiteral("command_id")).toString() == commandId;
    });
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QVERIFY(!second.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")).toString() == stream
            && m.value(QStringLiteral("seq")).toULongLong() >= lastSeen + 40;
    }).isEmpty());
    const QList<TestClient::Received> frames = framesOf(second, stream);
    QVERIFY(seqContiguous(frames, lastSeen + 1));
    QVERIFY(!frames.first().message.value(QStringLiteral("gap")).toBool());

    // A second resume of the same session takes it over: the old one is closed with 4409.
    TestClient third;
    QVERIFY(third.open(hub.url()));
    QCOMPARE(third.request(msg(QStringLiteral("hello"),
                               {{QStringLiteral("resume"), session},
                                {QStringLiteral("results_seen"), QVariantList{commandId}}}))
                 .value(QStringLiteral("resumed")).toBool(), true);
    QVERIFY(second.waitForClose());
    QCOMPARE(second.closeCode(), 4409);
    // results_seen suppresses the repeat; an unnamed stream restarts with a key frame marked gap.
    const QVariantMap restart = third.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")).toString() == stream;
    });
    QVERIFY(restart.value(QStringLiteral("gap")).toBool());
    QVERIFY(restart.value(QStringLiteral("key")).toBool());
    QVERIFY(third.messagesOfType(QStringLiteral("result")).isEmpty());
    printServerMetrics(third, "scenario 8a: disconnect and resume");
}

void tst_WebSocketHal::staleConnectionCleanup()
{
    Config config = TestServer::simConfig(1);
    config.server.heartbeatMs = 200;
    config.server.resumeGraceMs = 1500;
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));

    // A peer that completes the upgrade and then never answers a ping.
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, hub.server().port());
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET /ws/hardware HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");
    QTRY_VERIFY(raw.bytesAvailable() > 0 || raw.state() != QAbstractSocket::ConnectedState);
    QVERIFY(raw.readAll().startsWith("HTTP/1.1 101"));
    QTRY_COMPARE(hub.server().clientCount(), 1);
    QElapsedTimer t;
    t.start();
    QByteArray tail;
    QTRY_VERIFY_WITH_TIMEOUT((tail += raw.readAll(), hub.server().clientCount() == 0), 5000);
    // Three heartbeats of silence, not before.
    QVERIFY2(t.elapsed() >= 400, qPrintable(QString::number(t.elapsed())));
    QTRY_VERIFY((tail += raw.readAll(), tail.contains(char(0x88))));
    const int closeAt = tail.indexOf(char(0x88));
    QVERIFY(tail.size() >= closeAt + 4);
    const int code = (quint8(tail.at(closeAt + 2)) << 8) | quint8(tail.at(closeAt + 3));
    QCOMPARE(code, 4408);

    // Its session waits out the grace, then is gone.
    QTRY_COMPARE_WITH_TIMEOUT(hub.server().sessionCount(), 0, 5000);

    // Within the grace a session is resumable; after it, not.
    TestClient probe;
    QVERIFY(probe.open(hub.url()));
    const QString session = probe.request(msg(QStringLiteral("hello"))).value(QStringLiteral("session")).toString();
    probe.socket().abort();
    QTRY_COMPARE(hub.server().clientCount(), 0);
    QCOMPARE(hub.server().sessionCount(), 1);
    TestClient late;
    QVERIFY(late.open(hub.url()));
    QVariantMap w = late.request(msg(QStringLiteral("hello"), {{QStringLiteral("resume"), session}}));
    QCOMPARE(w.value(QStringLiteral("resumed")).toBool(), true);
    late.socket().abort();
    QTRY_COMPARE(hub.server().clientCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(hub.server().sessionCount(), 0, 5000);
    TestClient later;
    QVERIFY(later.open(hub.url()));
    w = later.request(msg(QStringLiteral("hello"), {{QStringLiteral("resume"), session}}));
    QCOMPARE(w.value(QStringLiteral("resumed")).toBool(), false);
    QVERIFY(w.value(QStringLiteral("session")).toString() != session);
    printServerMetrics(later, "scenario 8b: stale connection cleanup");
}

QTEST_GUILESS_MAIN(tst_WebSocketHal)
#include "tst_websockethal.moc"
