#include "metrics/latencyhistogram.h"
#include "metrics/metricshttpserver.h"
#include "metrics/prometheus.h"

#include <QtTest>
#include <QTcpSocket>

#include <memory>

using halhub::LatencyHistogram;
using halhub::MetricsHttpServer;
using halhub::MetricsSnapshot;

namespace {

struct HttpResponse
{
    bool complete = false;      // a status line and the whole head arrived
    int status = 0;
    QHash<QByteArray, QByteArray> headers;  // names lower-cased
    QByteArray body;
};

HttpResponse parseResponse(const QByteArray &raw)
{
    HttpResponse r;
    const int headEnd = raw.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return r;
    const QList<QByteArray> lines = raw.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    if (statusLine.size() < 2 || statusLine.first() != "HTTP/1.1")
        return r;
    r.status = statusLine.at(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const int colon = lines.at(i).indexOf(':');
        if (colon > 0)
            r.headers.insert(lines.at(i).left(colon).trimmed().toLower(),
                             lines.at(i).mid(colon + 1).trimmed());
    }
    r.body = raw.mid(headEnd + 4);
    r.complete = true;
    return r;
}

// A raw TCP client that keeps everything the server sends.
class Client
{
public:
    explicit Client(quint16 port)
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool waitConnected()
    {
        return QTest::qWaitFor(
                [this] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }
    bool send(const QByteArray &bytes)
    {
        socket.write(bytes);
        return QTest::qWaitFor([this] { return socket.bytesToWrite() == 0; }, 5000);
    }
    // Until the server hangs up (every response ends with that).
    bool waitClosed(int ms = 5000)
    {
        const bool closed = QTest::qWaitFor(
                [this] { return socket.state() == QAbstractSocket::UnconnectedState; }, ms);
        received += socket.readAll();
        return closed;
    }
    HttpResponse response() const { return parseResponse(received); }

    QTcpSocket socket;
    QByteArray received;
};

QByteArray get(const QByteArray &path)
{
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n";
}

// The sample lines of one metric family from Prometheus text: name -> value
// for plain series, and the `le` label of histogram buckets in order.
struct Exposition
{
    QHash<QByteArray, QByteArray> types;    // from # TYPE
    QSet<QByteArray> helped;                // names with # HELP
    QHash<QByteArray, double> values;       // unlabelled series
    QList<QPair<QByteArray, double>> buckets;   // (le, count) in file order
    QStringList problems;
};

Exposition parseExposition(const QByteArray &text)
{
    Exposition e;
    const QList<QByteArray> lines = text.split('\n');
    if (!text.endsWith('\n'))
        e.problems << QStringLiteral("no final newline");
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        if (line.startsWith("# HELP ")) {
            e.helped.insert(line.mid(7).split(' ').first());
            continue;
        }
        if (line.startsWith("# TYPE ")) {
            const QList<QByteArray> parts = line.mid(7).split(' ');
            if (parts.size() != 2)
                e.problems << QString::fromUtf8("bad TYPE line: " + line);
            else
                e.types.insert(parts.at(0), parts.at(1));
            continue;
        }
        const int space = line.lastIndexOf(' ');
        bool ok = false;
        const double value = line.mid(space + 1).toDouble(&ok);
        if (space <= 0 || !ok) {
            e.problems << QString::fromUtf8("bad sample line: " + line);
            continue;
        }
        const QByteArray series = line.left(space);
        const int brace = series.indexOf('{');
        const QByteArray family = brace < 0 ? series : series.left(brace);
        QByteArray base = family;
        for (const char *suffix : {"_bucket", "_sum", "_count"}) {
            if (family.endsWith(suffix) && !e.types.contains(family))
                base = family.chopped(int(qstrlen(suffix)));
        }
        if (!e.types.contains(base))
            e.problems << QString::fromUtf8("sample before its TYPE: " + line);
        if (family.endsWith("_bucket")) {
            const QByteArray prefix = "{le=\"";
            if (brace < 0 || !series.mid(brace).startsWith(prefix) || !series.endsWith("\"}")) {
                e.problems << QString::fromUtf8("bad bucket labels: " + line);
                continue;
            }
            e.buckets.append({series.mid(brace + prefix.size(),
                                         series.size() - brace - prefix.size() - 2),
                              value});
        } else {
            e.values.insert(series, value);
        }
    }
    return e;
}

} // namespace

class TestMetricsHttpServer : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void listensOnAnEphemeralPort();
    void metricsBodyAndContentType();
    void healthz_data();
    void healthz();
    void statusCodes_data();
    void statusCodes();
    void requestInPieces();
    void headerLimit_data();
    void headerLimit();
    void slowClientTimesOut_data();
    void slowClientTimesOut();
    void tooManyConnectionsAreDropped();
    void closeStopsListening();

    void prometheusFormat();
    void prometheusWithoutLatency();
    void prometheusServedOverHttp();

private:
    std::unique_ptr<MetricsHttpServer> m_server;
    int m_metricsCalls = 0;
    bool m_healthy = true;
};

void TestMetricsHttpServer::init()
{
    m_metricsCalls = 0;
    m_healthy = true;
    m_server = std::make_unique<MetricsHttpServer>();
    m_server->setMetricsProvider([this] {
        ++m_metricsCalls;
        return QByteArray("# TYPE x counter\nx ") + QByteArray::number(m_metricsCalls) + '\n';
    });
    m_server->setHealthProvider([this] {
        return std::make_pair(m_healthy, m_healthy ? QByteArray("{\"status\":\"ok\"}")
                                                   : QByteArray("{\"status\":\"down\"}"));
    });
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
}

void TestMetricsHttpServer::cleanup()
{
    m_server.reset();
}

void TestMetricsHttpServer::listensOnAnEphemeralPort()
{
    QVERIFY(m_server->isListening());
    QVERIFY(m_server->port() != 0);
    // The same port cannot be taken twice.
    MetricsHttpServer other;
    QVERIFY(!other.listen(QHostAddress::LocalHost, m_server->port()));
    QCOMPARE(other.port(), quint16(0));
}

void TestMetricsHttpServer::metricsBodyAndContentType()
{
    for (int round = 1; round <= 2; ++round) {
        Client client(m_server->port());
        QVERIFY(client.waitConnected());
        QVERIFY(client.send(get("/metrics")));
        QVERIFY(client.waitClosed());
        const HttpResponse r = client.response();
        QVERIFY(r.complete);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("content-type"),
                 QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        QCOMPARE(r.headers.value("connection"), QByteArray("close"));
        // Fresh figures on every scrape.
        const QByteArray expected = "# TYPE x counter\nx " + QByteArray::number(round) + '\n';
        QCOMPARE(r.body, expected);
        QCOMPARE(r.headers.value("content-length").toInt(), expected.size());
    }
}

void TestMetricsHttpServer::healthz_data()
{
    QTest::addColumn<bool>("healthy");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");

    QTest::addRow("accepting connections") << true << 200 << QByteArray("{\"status\":\"ok\"}");
    QTest::addRow("not accepting") << false << 503 << QByteArray("{\"status\":\"down\"}");
}

void TestMetricsHttpServer::healthz()
{
    QFETCH(bool, healthy);
    QFETCH(int, status);
    QFETCH(QByteArray, body);

    m_healthy = healthy;
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    QVERIFY(client.send(get("/healthz")));
    QVERIFY(client.waitClosed());
    const HttpResponse r = client.response();
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(r.body, body);
}

void TestMetricsHttpServer::statusCodes_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("hasBody");

    QTest::addRow("unknown path") << get("/") << 404 << true;
    QTest::addRow("path with a suffix") << get("/metrics/x") << 404 << true;
    QTest::addRow("query string ignored") << get("/metrics?name[]=x") << 200 << true;
    QTest::addRow("POST") << QByteArray("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
                          << 405 << true;
    QTest::addRow("DELETE") << QByteArray("DELETE /healthz HTTP/1.1\r\n\r\n") << 405 << true;
    QTest::addRow("HEAD: headers only") << QByteArray("HEAD /metrics HTTP/1.1\r\n\r\n") << 200
                                        << false;
    QTest::addRow("HTTP/1.0") << QByteArray("GET /healthz HTTP/1.0\r\n\r\n") << 200 << true;
    QTest::addRow("bare LF line ends") << QByteArray("GET /metrics HTTP/1.1\nHost: x\n\n") << 200
                                       << true;
    QTest::addRow("garbage") << QByteArray("hello there\r\n\r\n") << 400 << true;
    QTest::addRow("not HTTP/1") << QByteArray("GET /metrics SPDY/3\r\n\r\n") << 400 << true;
}

void TestMetricsHttpServer::statusCodes()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(bool, hasBody);

    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    QVERIFY(client.send(request));
    QVERIFY(client.waitClosed());
    const HttpResponse r = client.response();
    QVERIFY(r.complete);
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("connection"), QByteArray("close"));
    QVERIFY(r.headers.value("content-length").toInt() > 0);
    QCOMPARE(!r.body.isEmpty(), hasBody);
    if (hasBody)
        QCOMPARE(r.body.size(), r.headers.value("content-length").toInt());
    if (status == 405)
        QCOMPARE(r.headers.value("allow"), QByteArray("GET, HEAD"));
}

void TestMetricsHttpServer::requestInPieces()
{
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    const QList<QByteArray> pieces{"GE", "T /met", "rics HTTP/1.1\r", "\nHost: x\r\n", "\r"};
    for (const QByteArray &piece : pieces) {
        QVERIFY(client.send(piece));
        // Let the server read the piece; it must wait for the rest.
        QTest::qWait(30);
        QVERIFY(client.received.isEmpty());
        QCOMPARE(client.socket.state(), QAbstractSocket::ConnectedState);
    }
    QVERIFY(client.send("\n"));
    QVERIFY(client.waitClosed());
    const HttpResponse r = client.response();
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("# TYPE x counter\nx 1\n"));
    QCOMPARE(m_metricsCalls, 1);
}

void TestMetricsHttpServer::headerLimit_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    const int limit = MetricsHttpServer::kMaxHeaderBytes;
    const QByteArray start = "GET /metrics HTTP/1.1\r\nX-Pad: ";
    const QByteArray end = "\r\n\r\n";
    const auto padded = [&](int total) {
        return start + QByteArray(total - start.size() - end.size(), 'a') + end;
    };
    QTest::addRow("head of exactly the limit") << padded(limit) << 200;
    QTest::addRow("one byte over") << padded(limit + 1) << 431;
    QTest::addRow("far over, in one go") << padded(10 * limit) << 431;
    QTest::addRow("never ending head") << start + QByteArray(limit + 100, 'a') << 431;
}

void TestMetricsHttpServer::headerLimit()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);

    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    QVERIFY(client.send(request));
    QVERIFY(client.waitClosed());
    const HttpResponse r = client.response();
    QVERIFY(r.complete);
    QCOMPARE(r.status, status);
    QCOMPARE(m_metricsCalls, status == 200 ? 1 : 0);
}

void TestMetricsHttpServer::slowClientTimesOut_data()
{
    QTest::addColumn<QByteArray>("partial");
    QTest::addRow("silent") << QByteArray();
    QTest::addRow("half a request") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\n");
}

void TestMetricsHttpServer::slowClientTimesOut()
{
    QFETCH(QByteArray, partial);

    m_server->setRequestTimeout(300);
    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    if (!partial.isEmpty())
        QVERIFY(client.send(partial));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.waitClosed(5000));
    QVERIFY2(timer.elapsed() >= 200, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(client.response().status, 408);
    QCOMPARE(m_metricsCalls, 0);
}

void TestMetricsHttpServer::tooManyConnectionsAreDropped()
{
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < MetricsHttpServer::kMaxConnections; ++i) {
        idle.push_back(std::make_unique<Client>(m_server->port()));
        QVERIFY(idle.back()->waitConnected());
    }
    // Let the server accept them all before the next one knocks.
    QTest::qWait(50);
    Client extra(m_server->port());
    QVERIFY(extra.waitClosed());
    QVERIFY(extra.received.isEmpty());
    for (const auto &client : idle)
        QCOMPARE(client->socket.state(), QAbstractSocket::ConnectedState);

    // Once one leaves, a scrape gets through again.
    idle.front()->socket.abort();
    idle.erase(idle.begin());
    QTest::qWait(50);
    Client next(m_server->port());
    QVERIFY(next.waitConnected());
    QVERIFY(next.send(get("/metrics")));
    QVERIFY(next.waitClosed());
    QCOMPARE(next.response().status, 200);
}

void TestMetricsHttpServer::closeStopsListening()
{
    const quint16 port = m_server->port();
    Client pending(port);
    QVERIFY(pending.waitConnected());
    QTest::qWait(20);
    m_server->close();
    QVERIFY(!m_server->isListening());
    QCOMPARE(m_server->port(), quint16(0));
    QVERIFY(pending.waitClosed());

    QTcpSocket late;
    late.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!late.waitForConnected(2000));
}

void TestMetricsHttpServer::prometheusFormat()
{
    LatencyHistogram latency;
    const std::vector<qint64> samplesUs{0, 3, 90, 1000, 1024, 1025, 4500, 4500, 250000,
                                        2000000, 75000000};
    double sumSeconds = 0;
    for (qint64 us : samplesUs) {
        latency.record(us, 1000);
        sumSeconds += double(us) / 1e6;
    }

    MetricsSnapshot snapshot;
    snapshot.clients = 3;
    snapshot.streams = 7;
    snapshot.devices = 2;
    snapshot.messagesSentTotal = 123456789012;
    snapshot.messagesReceivedTotal = 42;
    snapshot.uptimeSeconds = 3600;
    snapshot.latency = &latency;
    const Exposition e = parseExposition(halhub::formatPrometheus(snapshot));
    QVERIFY2(e.problems.isEmpty(), qPrintable(e.problems.join(QLatin1Char('\n'))));

    const struct { const char *name; const char *type; double value; } scalars[] = {
        {"halhub_clients", "gauge", 3},
        {"halhub_streams", "gauge", 7},
        {"halhub_devices", "gauge", 2},
        {"halhub_uptime_seconds", "gauge", 3600},
        {"halhub_messages_sent_total", "counter", 123456789012.0},
        {"halhub_messages_received_total", "counter", 42},
    };
    for (const auto &s : scalars) {
        QVERIFY2(e.helped.contains(s.name), s.name);
        QCOMPARE(e.types.value(s.name), QByteArray(s.type));
        QVERIFY2(e.values.contains(s.name), s.name);
        QCOMPARE(e.values.value(s.name), s.value);
    }

    const QByteArray h = "halhub_telemetry_latency_seconds";
    QVERIFY(e.helped.contains(h));
    QCOMPARE(e.types.value(h), QByteArray("histogram"));
    QCOMPARE(e.values.value(h + "_count"), double(samplesUs.size()));
    QVERIFY(qAbs(e.values.value(h + "_sum") - sumSeconds) < 1e-9);

    QVERIFY(e.buckets.size() >= 10);
    QCOMPARE(e.buckets.last().first, QByteArray("+Inf"));
    QCOMPARE(e.buckets.last().second, double(samplesUs.size()));
    double previousLe = -1;
    double previousCount = 0;
    for (const auto &[leText, count] : e.buckets) {
        if (leText == "+Inf")
            continue;
        bool ok = false;
        const double le = leText.toDouble(&ok);
        QVERIFY2(ok, leText.constData());
        QVERIFY2(le > previousLe, leText.constData());
        QVERIFY2(count >= previousCount, leText.constData());
        // Each bucket counts exactly the samples at or below its bound.
        const auto atOrBelow = std::count_if(samplesUs.begin(), samplesUs.end(), [le](qint64 us) {
            return double(us) <= le * 1e6 + 1e-6;
        });
        QCOMPARE(count, double(atOrBelow));
        previousLe = le;
        previousCount = count;
    }
    // The bounds span the histogram: 1 us to 60 s.
    QCOMPARE(e.buckets.first().first.toDouble(), 1e-6);
    QCOMPARE(e.buckets.at(e.buckets.size() - 2).first.toDouble(), 60.0);
}

void TestMetricsHttpServer::prometheusWithoutLatency()
{
    MetricsSnapshot snapshot;
    snapshot.clients = 1;
    const Exposition e = parseExposition(halhub::formatPrometheus(snapshot));
    QVERIFY2(e.problems.isEmpty(), qPrintable(e.problems.join(QLatin1Char('\n'))));
    QCOMPARE(e.values.value("halhub_clients"), 1.0);
    QCOMPARE(e.values.value("halhub_telemetry_latency_seconds_count", -1), 0.0);
    QVERIFY(!e.buckets.isEmpty());
    for (const auto &bucket : e.buckets)
        QCOMPARE(bucket.second, 0.0);
}

void TestMetricsHttpServer::prometheusServedOverHttp()
{
    LatencyHistogram latency;
    latency.record(2500, 0);
    MetricsSnapshot snapshot;
    snapshot.devices = 5;
    snapshot.latency = &latency;
    m_server->setMetricsProvider([&snapshot] { return halhub::formatPrometheus(snapshot); });

    Client client(m_server->port());
    QVERIFY(client.waitConnected());
    QVERIFY(client.send(get("/metrics")));
    QVERIFY(client.waitClosed());
    const HttpResponse r = client.response();
    QCOMPARE(r.status, 200);
    const Exposition e = parseExposition(r.body);
    QVERIFY(e.problems.isEmpty());
    QCOMPARE(e.values.value("halhub_devices"), 5.0);
    QCOMPARE(e.values.value("halhub_telemetry_latency_seconds_count"), 1.0);
}

QTEST_GUILESS_MAIN(TestMetricsHttpServer)
#include "tst_metricshttpserver.moc"
