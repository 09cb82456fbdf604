// The `cluster` section of halhub.json (docs/protocol.md section 12).

#include "config/config.h"

#include <QTest>

using namespace halhub;

class tst_ClusterConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void absentMeansNoCluster();
    void section_data();
    void section();
    void redisUrls_data();
    void redisUrls();
};

void tst_ClusterConfig::absentMeansNoCluster()
{
    ConfigError error;
    const std::optional<Config> config = parseConfig("{}", QStringLiteral("halhub.json"), {}, &error);
    QVERIFY(config);
    QVERIFY(!config->cluster);
}

void tst_ClusterConfig::section_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("errorKey");   // empty: accepted

    QTest::addRow("defaults but node") << QByteArray(R"({"node": "a"})") << QString();
    QTest::addRow("all keys")
            << QByteArray(R"({"redis": "unix:///tmp/r.sock", "node": "bench-a.1_x",
                             "key_prefix": "lab", "heartbeat_ms": 200, "node_timeout_ms": 700})")
            << QString();
    QTest::addRow("node missing") << QByteArray(R"({"redis": "redis://h:1"})")
                                  << QStringLiteral("cluster.node");
    QTest::addRow("node with a blank") << QByteArray(R"({"node": "a b"})")
                                       << QStringLiteral("cluster.node");
    QTest::addRow("node too long") << QByteArray(R"({"node": ")" + QByteArray(65, 'n') + R"("})")
                                   << QStringLiteral("cluster.node");
    QTest::addRow("unknown key") << QByteArray(R"({"node": "a", "nodes": 2})")
                                 << QStringLiteral("cluster.nodes");
    QTest::addRow("bad url") << QByteArray(R"({"node": "a", "redis": "http://h:1"})")
                             << QStringLiteral("cluster.redis");
    QTest::addRow("timeout not above heartbeat")
            << QByteArray(R"({"node": "a", "heartbeat_ms": 1000, "node_timeout_ms": 1000})")
            << QStringLiteral("cluster.node_timeout_ms");
    QTest::addRow("heartbeat not an integer") << QByteArray(R"({"node": "a", "heartbeat_ms": 1.5})")
                                              << QStringLiteral("cluster.heartbeat_ms");
    QTest::addRow("empty prefix") << QByteArray(R"({"node": "a", "key_prefix": ""})")
                                  << QStringLiteral("cluster.key_prefix");
}

void tst_ClusterConfig::section()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, errorKey);
    ConfigError error;
    const std::optional<Config> config = parseConfig(R"({"cluster": )" + json + "}",
                                                     QStringLiteral("halhub.json"), {}, &error);
    if (errorKey.isEmpty()) {
        QVERIFY2(config, qPrintable(error.toString()));
        QVERIFY(config->cluster);
        QVERIFY(isValidNodeName(config->cluster->node));
        return;
    }
    QVERIFY(!config);
    QCOMPARE(error.key, errorKey);
}

void tst_ClusterConfig::redisUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("socket");
    QTest::addRow("host and port") << "redis://127.0.0.1:6380" << true << "127.0.0.1" << 6380 << "";
    QTest::addRow("default port") << "redis://db.lab" << true << "db.lab" << 6379 << "";
    QTest::addRow("unix socket") << "unix:///run/redis.sock" << true << "" << 6379 << "/run/redis.sock";
    QTest::addRow("relative socket") << "unix://redis.sock" << false << "" << 0 << "";
    QTest::addRow("no host") << "redis://:6379" << false << "" << 0 << "";
    QTest::addRow("a database path") << "redis://h:1/3" << false << "" << 0 << "";
    QTest::addRow("another scheme") << "rediss://h:1" << false << "" << 0 << "";
}

void tst_ClusterConfig::redisUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    const std::optional<RedisEndpoint> endpoint = parseRedisUrl(url);
    QCOMPARE(bool(endpoint), valid);
    if (!valid)
        return;
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, socket);
    QCOMPARE(endpoint->host, host);
    QCOMPARE(int(endpoint->port), port);
    QCOMPARE(endpoint->socketPath, socket);
}

QTEST_GUILESS_MAIN(tst_ClusterConfig)
#include "tst_clusterconfig.moc"
