// A client that stops reading (docs/protocol.md section 7, "Slow consumer"): its
// telemetry is coalesced to the newest frame per stream, the first frame after
// drops is a key frame marked gap, stream_overflow counts the drops, and
// replies are never dropped; over TLS as over plain TCP.

#include "rawwebsocket.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

class tst_SlowConsumer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void coalescesAndReportsDrops_data() { addTransportRows(); }
    void coalescesAndReportsDrops();
    void otherClientsUnaffected();
    void closedAboveTheHardCap_data() { addTransportRows(); }
    void closedAboveTheHardCap();

private:
    static void addTransportRows();
    // The row's transport: wss:// with the test's certificate, or ws://.
    Config withTransport(Config config) const;
    QUrl url(const TestServer &hub) const;
    void trust(QSslSocket &socket) const;
    void trust(TestClient &client) const;

    QTemporaryDir m_dir;
};

void tst_SlowConsumer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString error = testtokens::makeKeys(m_dir);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void tst_SlowConsumer::addTransportRows()
{
    QTest::addColumn<bool>("tls");
    QTest::addRow("ws") << false;
    QTest::addRow("wss") << true;
}

Config tst_SlowConsumer::withTransport(Config config) const
{
    QFETCH(bool, tls);
    if (tls)
        config.server.tls = TlsConfig{m_dir.filePath(QStringLiteral("cert.pem")),
                                      m_dir.filePath(QStringLiteral("cert.key"))};
    return config;
}

QUrl tst_SlowConsumer::url(const TestServer &hub) const
{
    QFETCH(bool, tls);
    QUrl u = hub.url();
    if (tls)
        u.setScheme(QStringLiteral("wss"));
    return u;
}

void tst_SlowConsumer::trust(QSslSocket &socket) const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem"))));
    socket.setSslConfiguration(ssl);
}

void tst_SlowConsumer::trust(TestClient &client) const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem"))));
    client.socket().setSslConfiguration(ssl);
}

void tst_SlowConsumer::coalescesAndReportsDrops()
{
    Config config = TestServer::simConfig(4, 1000);
    config.limits.sendHighWaterBytes = 64 * 1024;
    TestServer hub(withTransport(config));
    QVERIFY2(hub.start(), qPrintable(hub.error()));

    QElapsedTimer clock;
    clock.start();
    RawWebSocket slow;
    trust(slow.socket());
    QVERIFY(slow.open(url(hub), 4096));
    for (int i = 0; i < 4; ++i)
        slow.sendText(QStringLiteral(R"({"type":"subscribe","id":%1,"device":"sim%1"})").arg(i).toUtf8());

    // Not reading: the server's queue passes the high-water mark, then
    // frames are dropped instead of piling up.
    QTRY_VERIFY_WITH_TIMEOUT(!hub.server().clientStats().isEmpty()
                                 && hub.server().clientStats().first().unsentBytes > 64 * 1024,
                             30000);
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        quint64 dropped = 0;
        for (const StreamStats &s : hub.server().streamStats())
            dropped += s.framesDropped;
        return dropped > 100;
    }(), 30000);
    // Bounded: coalescing keeps the queue near the mark, far below the 16 MiB cap.
    QVERIFY(hub.server().clientStats().first().unsentBytes < 16 * 1024 * 1024);
    slow.sendText(R"({"type":"ping","id":"while-slow"})");
    qInfo("congested after %lld ms", (long long)clock.elapsed());

    // Reading again, at full speed: everything queued arrives, the pong among
    // it, and within a second of each drop its stream_overflow report.
    slow.socket().setReadBufferSize(0);
    QList<QVariantMap> messages;
    QHash<QString, quint64> lastSeq;
    QHash<QString, quint64> gapFrames;
    QHash<QString, quint64> missing;
    QHash<QString, quint64> reported;
    bool pong = false;
    const auto allReported = [&] {
        for (auto it = missing.cbegin(); it != missing.cend(); ++it) {
            if (reported.value(it.key()) < it.value())
                return false;
        }
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        const QList<QVariantMap> fresh = slow.readMessages();
        for (const QVariantMap &m : fresh) {
            const QString type = m.value(QStringLiteral("type")).toString();
            const QString stream = m.value(QStringLiteral("stream")).toString();
            pong |= type == QLatin1String("pong");
            if (type == QLatin1String("event")
                    && m.value(QStringLiteral("event")) == QLatin1String("stream_overflow")) {
                const qint64 dropped =
                    m.value(QStringLiteral("data")).toMap().value(QStringLiteral("dropped")).toLongLong();
                if (dropped <= 0)
                    qWarning("stream_overflow without drops");
                reported[stream] += quint64(qMax<qint64>(dropped, 0));
                continue;
            }
            if (type != QLatin1String("telemetry"))
                continue;
            messages.append(m);
            const quint64 seq = m.value(QStringLiteral("seq")).toULongLong();
            const quint64 previous = lastSeq.value(stream);
            if (seq > previous + 1) {
                ++gapFrames[stream];
                missing[stream] += seq - previous - 1;
            }
            lastSeq[stream] = qMax(seq, previous);
        }
        return pong && !missing.isEmpty() && allReported();
    }(), 30000);

    // Every frame after a drop is a key frame marked gap, with every channel;
    // seq never goes back.
    QHash<QString, quint64> seen;
    for (const QVariantMap &m : std::as_const(messages)) {
        const QString stream = m.value(QStringLiteral("stream")).toString();
        const quint64 seq = m.value(QStringLiteral("seq")).toULongLong();
        const quint64 previous = seen.value(stream);
        QVERIFY(seq > previous);
        if (seq != previous + 1) {
            QVERIFY2(m.value(QStringLiteral("gap")).toBool(), qPrintable(stream));
            QVERIFY(m.value(QStringLiteral("key")).toBool());
            QCOMPARE(m.value(QStringLiteral("values")).toMap().size(), 4);
        }
        seen[stream] = seq;
    }
    QCOMPARE(lastSeq.size(), 4);
    for (auto it = missing.cbegin(); it != missing.cend(); ++it)
        QVERIFY(gapFrames.value(it.key()) > 0);
}

void tst_SlowConsumer::otherClientsUnaffected()
{
    Config config = TestServer::simConfig(2, 1000);
    config.limits.sendHighWaterBytes = 64 * 1024;
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));

    RawWebSocket slow;
    QVERIFY(slow.open(hub.url(), 4096));
    slow.sendText(R"({"type":"subscribe","id":1,"device":"sim0"})");
    slow.sendText(R"({"type":"subscribe","id":2,"device":"sim1"})");

    TestClient healthy;
    QVERIFY(healthy.open(hub.url()));
    const QVariantMap sub = healthy.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                             {QStringLiteral("device"), QStringLiteral("sim0")},
                                             {QStringLiteral("rate_hz"), 100}});
    const QString stream = sub.value(QStringLiteral("stream")).toString();
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        quint64 dropped = 0;
        for (const StreamStats &s : hub.server().streamStats())
            dropped += s.framesDropped;
        return dropped > 100;
    }(), 30000);
    const qsizetype from = healthy.received().size();
    QVERIFY(!healthy.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")) == stream
            && m.value(QStringLiteral("seq")).toULongLong()
                   >= healthy.received().at(from - 1).message.value(QStringLiteral("seq")).toULongLong() + 100;
    }, 15000, from).isEmpty());
    quint64 expected = 1;
    for (const TestClient::Received &r : healthy.received()) {
        if (r.message.value(QStringLiteral("type")) != QLatin1String("telemetry")
            || r.message.value(QStringLiteral("stream")) != stream)
            continue;
        QCOMPARE(r.message.value(QStringLiteral("seq")).toULongLong(), expected);
        QVERIFY(!r.message.value(QStringLiteral("gap")).toBool());
        ++expected;
    }
}

void tst_SlowConsumer::closedAboveTheHardCap()
{
    // Replies are never dropped, so a client that asks and never reads can
    // only be stopped by closing it: above 16 MiB unsent, with 4408.
    Config config = TestServer::simConfig(1);
    config.limits.rateLimitPerMin = 100000;
    config.limits.rateLimitPerIpPerMin = 100000;
    TestServer hub(withTransport(config));
    QVERIFY2(hub.start(), qPrintable(hub.error()));

    RawWebSocket greedy;
    trust(greedy.socket());
    QVERIFY(greedy.open(url(hub), 4096));
    QTRY_COMPARE(hub.server().clientCount(), 1);
    const QByteArray ping = R"({"type":"ping","t":")" + QByteArray(60000, 'x') + R"("})";
    // 400 pongs of 60 kB each: 24 MB, more than the kernel buffers and the cap.
    for (int i = 0; i < 400; ++i)
        greedy.sendText(ping);
    QTRY_COMPARE_WITH_TIMEOUT(hub.server().clientCount(), 0, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(greedy.socket().state() == QAbstractSocket::UnconnectedState
                                 || (greedy.readMessages(), false),
                             10000);

    // Everyone else carries on.
    TestClient next;
    trust(next);
    QVERIFY(next.open(url(hub)));
    QCOMPARE(next.request({{QStringLiteral("type"), QStringLiteral("ping")}})
                 .value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
}

QTEST_GUILESS_MAIN(tst_SlowConsumer)
#include "tst_slowconsumer.moc"
