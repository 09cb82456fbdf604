// What an operator's monitoring sees: `get_metrics` and the Prometheus /
// health endpoints on metrics.port, against live traffic.

#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

using namespace halhub;

namespace {

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QByteArray contentType;
};

HttpResult httpGet(const QUrl &url)
{
    QNetworkAccessManager manager;
    QNetworkReply *reply = manager.get(QNetworkRequest(url));
    QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000);
    HttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    delete reply;
    return r;
}

double promValue(const QByteArray &text, const QByteArray &name)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toDouble();
    }
    return -1;
}

} // namespace

class tst_Metrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void getMetricsReflectsTraffic();
    void prometheusAndHealth();
};

void tst_Metrics::getMetricsReflectsTraffic()
{
    TestServer hub;
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient a, b;
    QVERIFY(a.open(hub.url()));
    QVERIFY(b.open(hub.url()));
    const QVariantMap sub = a.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                       {QStringLiteral("device"), QStringLiteral("sim0")}});
    const QString stream = sub.value(QStringLiteral("stream")).toString();
    QVERIFY(!a.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")) == stream && m.value(QStringLiteral("seq")).toInt() >= 100;
    }).isEmpty());

    const QVariantMap m = b.request({{QStringLiteral("type"), QStringLiteral("get_metrics")}});
    QCOMPARE(m.value(QStringLiteral("type")).toString(), QStringLiteral("metrics"));
    QCOMPARE(m.value(QStringLiteral("clients")).toLongLong(), 2);
    QCOMPARE(m.value(QStringLiteral("streams")).toLongLong(), 1);
    QCOMPARE(m.value(QStringLiteral("devices")).toLongLong(), 2);
    QVERIFY(m.value(QStringLiteral("uptime_s")).toLongLong() >= 0);
    const QVariantMap latency = m.value(QStringLiteral("latency")).toMap();
    QVERIFY(latency.value(QStringLiteral("message_count")).toLongLong() >= 100);
    const double p50 = latency.value(QStringLiteral("p50_latency_ms")).toDouble();
    const double p95 = latency.value(QStringLiteral("p95_latency_ms")).toDouble();
    const double max = latency.value(QStringLiteral("max_latency_ms")).toDouble();
    const double min = latency.value(QStringLiteral("min_latency_ms")).toDouble();
    QVERIFY(min >= 0 && min <= p50 && p50 <= p95 && p95 <= max);
    QVERIFY(latency.value(QStringLiteral("throughput_msg_per_sec")).toDouble() > 0);

    // A detached session's stream still counts; its connection does not.
    a.socket().abort();
    QTRY_COMPARE(hub.server().clientCount(), 1);
    const QVariantMap after = b.request({{QStringLiteral("type"), QStringLiteral("get_metrics")}});
    QCOMPARE(after.value(QStringLiteral("clients")).toLongLong(), 1);
    QCOMPARE(after.value(QStringLiteral("streams")).toLongLong(), 1);
}

void tst_Metrics::prometheusAndHealth()
{
    Config config = TestServer::simConfig(2);
    config.metrics.port = 0;
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    QVERIFY(hub.server().metricsPort() != 0);

    TestClient client;
    QVERIFY(client.open(hub.url()));
    const QVariantMap sub = client.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                            {QStringLiteral("device"), QStringLiteral("sim1")}});
    QVERIFY(!client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("stream")) == sub.value(QStringLiteral("stream"))
            && m.value(QStringLiteral("seq")).toInt() >= 20;
    }).isEmpty());

    const HttpResult metrics = httpGet(hub.metricsUrl(QStringLiteral("/metrics")));
    QCOMPARE(metrics.status, 200);
    QVERIFY(metrics.contentType.startsWith("text/plain"));
    QCOMPARE(promValue(metrics.body, "halhub_clients"), 1.0);
    QCOMPARE(promValue(metrics.body, "halhub_streams"), 1.0);
    QCOMPARE(promValue(metrics.body, "halhub_devices"), 2.0);
    QVERIFY(promValue(metrics.body, "halhub_messages_sent_total") >= 20);
    QVERIFY(promValue(metrics.body, "halhub_messages_received_total") >= 1);
    QVERIFY(promValue(metrics.body, "halhub_telemetry_latency_seconds_count") >= 20);
    QVERIFY(metrics.body.contains("halhub_telemetry_latency_seconds_bucket{le=\"+Inf\"}"));

    const HttpResult health = httpGet(hub.metricsUrl(QStringLiteral("/healthz")));
    QCOMPARE(health.status, 200);
    QVERIFY(health.body.contains("\"ok\""));

    // While shutting down the health check fails, so a balancer stops routing.
    hub.server().shutdown();
    const HttpResult down = httpGet(hub.metricsUrl(QStringLiteral("/healthz")));
    QCOMPARE(down.status, 503);
}

QTEST_GUILESS_MAIN(tst_Metrics)
#include "tst_metrics.moc"
