// The `cluster` section of halhub.json (docs/protocol.md section 12).

#include "config/config.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
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
    void credentials_data();
    void credentials();
    void aBadUrlKeepsItsPassword();
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
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addRow("host and port") << "redis://127.0.0.1:6380" << true << "127.0.0.1" << 6380 << ""
                                   << "" << "";
    QTest::addRow("default port") << "redis://db.lab" << true << "db.lab" << 6379 << "" << "" << "";
    QTest::addRow("unix socket") << "unix:///run/redis.sock" << true << "" << 6379 << "/run/redis.sock"
                                 << "" << "";
    QTest::addRow("password") << "redis://:s3cret@db.lab:6380" << true << "db.lab" << 6380 << ""
                              << "" << "s3cret";
    QTest::addRow("user and password") << "redis://bench-a:p%40ss%3Aw@db.lab" << true << "db.lab"
                                       << 6379 << "" << "bench-a" << "p@ss:w";
    QTest::addRow("user without password") << "redis://bench-a@db.lab" << false << "" << 0 << ""
                                           << "" << "";
    QTest::addRow("relative socket") << "unix://redis.sock" << false << "" << 0 << "" << "" << "";
    QTest::addRow("no host") << "redis://:6379" << false << "" << 0 << "" << "" << "";
    QTest::addRow("a database path") << "redis://h:1/3" << false << "" << 0 << "" << "" << "";
    QTest::addRow("another scheme") << "rediss://h:1" << false << "" << 0 << "" << "" << "";
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
    QFETCH(QString, user);
    QFETCH(QString, password);
    QCOMPARE(endpoint->user, user);
    QCOMPARE(endpoint->password, password);
}

void tst_ClusterConfig::credentials_data()
{
    QTest::addColumn<QString>("redis");
    QTest::addColumn<QString>("user");            // empty: no redis_user key
    QTest::addColumn<QByteArray>("passwordFile"); // its content; empty: no key
    QTest::addColumn<QString>("errorKey");        // empty: accepted
    QTest::addColumn<QString>("loginUser");
    QTest::addColumn<QString>("loginPassword");

    QTest::addRow("none") << "redis://h:1" << "" << QByteArray() << "" << "" << "";
    QTest::addRow("password file") << "redis://h:1" << "" << QByteArray("pw one\n") << "" << ""
                                   << "pw one";
    QTest::addRow("user and password file") << "redis://h:1" << "lab" << QByteArray("pw\r\nnext\n")
                                            << "" << "lab" << "pw";
    QTest::addRow("credentials in the url") << "redis://lab:pw@h:1" << "" << QByteArray() << ""
                                            << "lab" << "pw";
    QTest::addRow("two passwords") << "redis://lab:pw@h:1" << "" << QByteArray("pw\n")
                                   << "cluster.redis_password_file" << "" << "";
    QTest::addRow("user without password") << "redis://h:1" << "lab" << QByteArray() << "cluster.redis_user"
                                           << "" << "";
    QTest::addRow("empty password file") << "redis://h:1" << "" << QByteArray("\n")
                                         << "cluster.redis_password_file" << "" << "";
}

void tst_ClusterConfig::credentials()
{
    QFETCH(QString, redis);
    QFETCH(QString, user);
    QFETCH(QByteArray, passwordFile);
    QFETCH(QString, errorKey);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QJsonObject cluster{{QStringLiteral("node"), QStringLiteral("a")}, {QStringLiteral("redis"), redis}};
    if (!user.isEmpty())
        cluster.insert(QStringLiteral("redis_user"), user);
    if (!passwordFile.isEmpty()) {
        QFile file(dir.filePath(QStringLiteral("redis.pw")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(passwordFile);
        cluster.insert(QStringLiteral("redis_password_file"), file.fileName());
    }
    const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("cluster"), cluster}}).toJson();
    ConfigError error;
    const std::optional<Config> config = parseConfig(json, dir.filePath(QStringLiteral("halhub.json")), {},
                                                     &error);
    if (!errorKey.isEmpty()) {
        QVERIFY(!config);
        QCOMPARE(error.key, errorKey);
        return;
    }
    QVERIFY2(config && config->cluster, qPrintable(error.toString()));
    const std::optional<RedisEndpoint> endpoint = redisEndpoint(*config->cluster);
    QVERIFY(endpoint);
    QTEST(endpoint->user, "loginUser");
    QTEST(endpoint->password, "loginPassword");
}

void tst_ClusterConfig::aBadUrlKeepsItsPassword()
{
    ConfigError error;
    const std::optional<Config> config = parseConfig(
            R"({"cluster": {"node": "a", "redis": "redis://lab:s3cret@h:1/0"}})",
            QStringLiteral("halhub.json"), {}, &error);
    QVERIFY(!config);
    QCOMPARE(error.key, QStringLiteral("cluster.redis"));
    QVERIFY2(!error.toString().contains(QStringLiteral("s3cret")), qPrintable(error.toString()));
    QVERIFY2(error.toString().contains(QStringLiteral("redis://lab:***@h:1/0")), qPrintable(error.toString()));
    QCOMPARE(redactedRedisUrl(QStringLiteral("redis://:a@b@h:1")), QStringLiteral("redis://:***@h:1"));
    QCOMPARE(redactedRedisUrl(QStringLiteral("redis://h:1")), QStringLiteral("redis://h:1"));
}

QTEST_GUILESS_MAIN(tst_ClusterConfig)
#include "tst_clusterconfig.moc"
