// docs/protocol.md section 12: halhub nodes (the real binary, as child
// processes) sharing one device namespace through a redis-server that each
// test starts on a unix socket in a temporary directory.

#include "testclient.h"
#include "testtokens.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <csignal>
#include <memory>

namespace {

constexpr int kHeartbeatMs = 200;
constexpr int kNodeTimeoutMs = 1000;
// The protocol's bound for noticing a dead owner.
constexpr int kDeadBoundMs = kNodeTimeoutMs + 500;

QVariantMap msg(const QString &type, const QVariantMap &fields = {})
{
    QVariantMap m = fields;
    m.insert(QStringLiteral("type"), type);
    return m;
}

QVariantMap simDevice(const QString &id, int rateHz = 100)
{
    return {{QStringLiteral("id"), id}, {QStringLiteral("plugin"), QStringLiteral("sim")},
            {QStringLiteral("rate_hz"), rateHz}};
}

struct Node
{
    QString name;
    QString config;
    std::unique_ptr<QProcess> process;
    QUrl url;
    QByteArray stderrText;
};

QVariantMap deviceEntry(TestClient &client, const QString &id)
{
    const QVariantList devices = client.request(msg(QStringLiteral("list_devices")))
                                         .value(QStringLiteral("devices"))
                                         .toList();
    for (const QVariant &d : devices) {
        if (d.toMap().value(QStringLiteral("id")).toString() == id)
            return d.toMap();
    }
    return {};
}

// Asks again every 200 ms until `done` or timeoutMs of wall time: slow
// enough for a client's rate limit (200 a minute, and closed above about
// 6.7 a second for 10 s), so a wait that fails fails in its time.
bool pollUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (done())
            return true;
        QTest::qWait(200);
    }
    return false;
}

// Waits (polling list_devices) until the device is listed in `state`.
bool waitDevice(TestClient &client, const QString &id, const QString &state, int timeoutMs = 10000)
{
    return pollUntil([&] { return deviceEntry(client, id).value(QStringLiteral("state")).toString() == state; },
                     timeoutMs);
}

QVariantMap clusterMetrics(TestClient &client)
{
    return client.request(msg(QStringLiteral("get_metrics"))).value(QStringLiteral("cluster")).toMap();
}

bool isFrameOf(const QVariantMap &m, const QString &stream)
{
    return m.value(QStringLiteral("type")).toString() == QLatin1String("telemetry")
            && m.value(QStringLiteral("stream")).toString() == stream;
}

QList<QVariantMap> framesOf(const TestClient &client, const QString &stream, qsizetype from = 0)
{
    QList<QVariantMap> out;
    const auto &received = client.received();
    for (qsizetype i = from; i < received.size(); ++i) {
        if (isFrameOf(received[i].message, stream))
            out.append(received[i].message);
    }
    return out;
}

// A local stream carries on untouched: every seq, no gap.
bool noGapNorMissingSeq(const QList<QVariantMap> &frames)
{
    for (qsizetype i = 1; i < frames.size(); ++i) {
        if (frames[i].value(QStringLiteral("gap")).toBool()
            || frames[i].value(QStringLiteral("seq")).toLongLong()
                    != frames[i - 1].value(QStringLiteral("seq")).toLongLong() + 1)
            return false;
    }
    return true;
}

} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void remoteDevicesListStreamAndCommand();
    void cancelAndIdempotencyOnARemoteDevice();
    void eventsReachOtherNodes();
    void interestIsCountedPerNodeNotPerClient();
    void killedOwnerEndsPendingCommands();
    void cleanStopAndComeBack();
    void redisOutageLeavesLocalStreamsAlone_data();
    void redisOutageLeavesLocalStreamsAlone();
    void duplicateDeviceIdIsRefused();
    void sessionsStayOnTheirNode();
    void idempotencyKeyHoldsAcrossNodes();
    void commandsFromTwoNodesRunOneAtATime();
    void cancelOfAQueuedForwardedCommand();
    void stalledRedisKeepsThePublisherBounded();
    void redisWithPasswords();
    void resultMissedByTheIssuingNodeArrivesWhenItIsBack();
    void commandTheOwnerCannotHearIsAnsweredAtOnce();
    void commandLostOnTheWayIsSentAgain();

private:
    bool startRedis();
    QByteArray redisCli(const QStringList &args, const QByteArray &lastArgument = {});
    // The output bytes Redis holds for a node's subscriber connection; -1:
    // it has none.
    qint64 subscriberBacklog(const QString &user);
    // Redis users A, B, C (passwords pw-A, pw-B, pw-C) and admin for the
    // test's own redis-cli; the default user off: Redis wants a password.
    bool useRedisUsers();
    // The node's cluster section logs in as `user`, its password in a file.
    QVariantMap loginAs(const QString &user, const QString &password);
    // The user's connections cut and kept out (its ACL user off), then let
    // in again.
    bool lockOut(const QString &user);
    bool letIn(const QString &user);
    // A node that logs in as the user of its name (password pw-NAME).
    Node *startLoggedIn(const QString &name, const QVariantList &devices, int nodeTimeoutMs = kNodeTimeoutMs);
    qint64 publishCount();
    // extra: more top-level config sections (auth).
    Node *startNode(const QString &name, const QVariantList &devices, int nodeTimeoutMs = kNodeTimeoutMs,
                    const QVariantMap &extra = {}, const QVariantMap &clusterExtra = {});
    bool restartNode(Node *node);
    QString subscribe(TestClient &client, const QString &device);
    std::unique_ptr<TestClient> connectTo(const Node *node);
    // Nodes A (with a0) and B (none), a client on each, a0 listed on B.
    void clientsOnOwnerAndOther(std::unique_ptr<TestClient> *onA, std::unique_ptr<TestClient> *onB,
                                int rateHz = 100);
    // a (owner of a0) and b started; clients on both (onA may be null)
    // once b lists a0 connected.
    void clientsOn(Node *a, Node *b, std::unique_ptr<TestClient> *onA, std::unique_ptr<TestClient> *onB);
    // Nodes A (a0) and B (b0), a client on B streaming both.
    void streamLocalAndRemote(std::unique_ptr<TestClient> *client, QString *local, QString *remote);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_redis;
    QString m_socket;
    QStringList m_cliLogin;
    std::vector<std::unique_ptr<Node>> m_nodes;
};

void tst_Cluster::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_socket = m_dir->filePath(QStringLiteral("redis.sock"));
    QVERIFY(startRedis());
}

void tst_Cluster::cleanup()
{
    for (auto &node : m_nodes) {
        if (node->process->state() != QProcess::NotRunning) {
            node->process->kill();
            node->process->waitForFinished(5000);
        }
    }
    m_nodes.clear();
    if (m_redis && m_redis->state() != QProcess::NotRunning) {
        m_redis->kill();
        m_redis->waitForFinished(5000);
    }
    m_redis.reset();
    m_dir.reset();
    m_cliLogin.clear();
}

bool tst_Cluster::startRedis()
{
    m_redis = std::make_unique<QProcess>();
    m_redis->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_redis->setWorkingDirectory(m_dir->path());
    m_redis->start(QStringLiteral(REDIS_SERVER),
                   {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--unixsocket"),
                    m_socket, QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"),
                    QStringLiteral("no"), QStringLiteral("--dir"), m_dir->path()});
    if (!m_redis->waitForStarted(5000))
        return false;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
        if (redisCli({QStringLiteral("PING")}).trimmed() == "PONG")
            return true;
        QTest::qWait(20);
    }
    return false;
}

QByteArray tst_Cluster::redisCli(const QStringList &args, const QByteArray &lastArgument)
{
    QProcess cli;
    QStringList all = QStringList{QStringLiteral("-s"), m_socket} + m_cliLogin;
    // -x: the last argument from standard input, bytes as they are.
    if (!lastArgument.isEmpty())
        all.append(QStringLiteral("-x"));
    cli.start(QStringLiteral(REDIS_CLI), all + args);
    if (!lastArgument.isEmpty()) {
        cli.write(lastArgument);
        cli.closeWriteChannel();
    }
    if (!cli.waitForFinished(5000))
        return {};
    return cli.readAllStandardOutput();
}

qint64 tst_Cluster::subscriberBacklog(const QString &user)
{
    const QList<QByteArray> lines = redisCli({QStringLiteral("CLIENT"), QStringLiteral("LIST")}).split('\n');
    // A subscriber's flags have P (pubsub), U too on a unix socket.
    static const QRegularExpression subscriber(QStringLiteral("\\bflags=[A-Za-z]*P"));
    static const QRegularExpression omem(QStringLiteral("\\bomem=(\\d+)"));
    for (const QByteArray &line : lines) {
        const QString text = QString::fromUtf8(line);
        if (text.contains(QStringLiteral(" user=") + user + QLatin1Char(' ')) && subscriber.match(text).hasMatch())
            return omem.match(text).captured(1).toLongLong();
    }
    return -1;
}

bool tst_Cluster::useRedisUsers()
{
    const auto setUser = [this](const QString &user, const QString &password) {
        return redisCli({QStringLiteral("ACL"), QStringLiteral("SETUSER"), user, QStringLiteral("on"),
                         QLatin1Char('>') + password, QStringLiteral("~*"), QStringLiteral("&*"),
                         QStringLiteral("+@all")})
                       .trimmed()
                == "OK";
    };
    for (const QString &node : {QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")}) {
        if (!setUser(node, QStringLiteral("pw-") + node))
            return false;
    }
    if (!setUser(QStringLiteral("admin"), QStringLiteral("pw-admin")))
        return false;
    if (redisCli({QStringLiteral("ACL"), QStringLiteral("SETUSER"), QStringLiteral("default"),
                  QStringLiteral("off")})
                .trimmed()
        != "OK")
        return false;
    m_cliLogin = {QStringLiteral("--user"), QStringLiteral("admin"), QStringLiteral("--pass"),
                  QStringLiteral("pw-admin"), QStringLiteral("--no-auth-warning")};
    return redisCli({QStringLiteral("PING")}).trimmed() == "PONG";
}

QVariantMap tst_Cluster::loginAs(const QString &user, const QString &password)
{
    const QString file = m_dir->filePath(QStringLiteral("redis-password-") + user);
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(password.toUtf8() + '\n') < 0)
        return {};
    return {{QStringLiteral("redis_user"), user}, {QStringLiteral("redis_password_file"), file}};
}

bool tst_Cluster::lockOut(const QString &user)
{
    return redisCli({QStringLiteral("ACL"), QStringLiteral("SETUSER"), user, QStringLiteral("off")}).trimmed() == "OK"
            && redisCli({QStringLiteral("CLIENT"), QStringLiteral("KILL"), QStringLiteral("USER"), user})
                               .trimmed()
                               .toInt()
            >= 2;
}

Node *tst_Cluster::startLoggedIn(const QString &name, const QVariantList &devices, int nodeTimeoutMs)
{
    return startNode(name, devices, nodeTimeoutMs, {}, loginAs(name, QStringLiteral("pw-") + name));
}

bool tst_Cluster::letIn(const QString &user)
{
    return redisCli({QStringLiteral("ACL"), QStringLiteral("SETUSER"), user, QStringLiteral("on")}).trimmed() == "OK";
}

qint64 tst_Cluster::publishCount()
{
    const QByteArray info = redisCli({QStringLiteral("INFO"), QStringLiteral("commandstats")});
    static const QRegularExpression re(QStringLiteral("cmdstat_publish:calls=(\\d+)"));
    const QRegularExpressionMatch m = re.match(QString::fromUtf8(info));
    return m.hasMatch() ? m.captured(1).toLongLong() : 0;
}

Node *tst_Cluster::startNode(const QString &name, const QVariantList &devices, int nodeTimeoutMs,
                             const QVariantMap &extra, const QVariantMap &clusterExtra)
{
    auto node = std::make_unique<Node>();
    node->name = name;
    node->config = m_dir->filePath(name + QStringLiteral(".json"));
    QVariantMap cluster{{QStringLiteral("redis"), QStringLiteral("unix://") + m_socket},
                        {QStringLiteral("node"), name},
                        {QStringLiteral("heartbeat_ms"), kHeartbeatMs},
                        {QStringLiteral("node_timeout_ms"), nodeTimeoutMs}};
    for (auto it = clusterExtra.cbegin(); it != clusterExtra.cend(); ++it)
        cluster.insert(it.key(), it.value());
    const QVariantMap config{
        {QStringLiteral("server"), QVariantMap{{QStringLiteral("port"), 0}}},
        {QStringLiteral("devices"), devices},
        {QStringLiteral("cluster"), cluster}};
    QVariantMap full = config;
    for (auto it = extra.cbegin(); it != extra.cend(); ++it)
        full.insert(it.key(), it.value());
    QFile f(node->config);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument::fromVariant(full).toJson(QJsonDocument::Compact)) < 0)
        return nullptr;
    f.close();
    node->process = std::make_unique<QProcess>();
    m_nodes.push_back(std::move(node));
    Node *n = m_nodes.back().get();
    return restartNode(n) ? n : nullptr;
}

bool tst_Cluster::restartNode(Node *node)
{
    QProcess &p = *node->process;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    QObject::disconnect(&p, nullptr, this, nullptr);
    connect(&p, &QProcess::readyReadStandardError, this,
            [node] { node->stderrText += node->process->readAllStandardError(); });
    p.start(QStringLiteral(HALHUB_BIN_DIR "/halhub"),
            {QStringLiteral("--headless"), QStringLiteral("--config"), node->config});
    if (!p.waitForStarted(10000))
        return false;
    QByteArray out;
    QElapsedTimer t;
    t.start();
    static const QRegularExpression re(QStringLiteral("listening on (ws://\\S+)"));
    while (t.elapsed() < 15000) {
        p.waitForReadyRead(50);
        out += p.readAllStandardOutput();
        const QRegularExpressionMatch m = re.match(QString::fromUtf8(out));
        if (m.hasMatch()) {
            node->url = QUrl(m.captured(1));
            return true;
        }
        if (p.state() == QProcess::NotRunning)
            return false;
    }
    return false;
}

std::unique_ptr<TestClient> tst_Cluster::connectTo(const Node *node)
{
    auto client = std::make_unique<TestClient>();
    if (!client->open(node->url))
        return nullptr;
    return client;
}

void tst_Cluster::clientsOnOwnerAndOther(std::unique_ptr<TestClient> *onA,
                                         std::unique_ptr<TestClient> *onB, int rateHz)
{
    clientsOn(startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"), rateHz)}),
              startNode(QStringLiteral("B"), {}), onA, onB);
}

void tst_Cluster::clientsOn(Node *a, Node *b, std::unique_ptr<TestClient> *onA,
                            std::unique_ptr<TestClient> *onB)
{
    QVERIFY(a && b);
    if (onA) {
        *onA = connectTo(a);
        QVERIFY(*onA);
    }
    *onB = connectTo(b);
    QVERIFY(*onB);
    QVERIFY(waitDevice(**onB, QStringLiteral("a0"), QStringLiteral("connected")));
}

void tst_Cluster::streamLocalAndRemote(std::unique_ptr<TestClient> *client, QString *local,
                                       QString *remote)
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {simDevice(QStringLiteral("b0"))});
    QVERIFY(a && b);
    *client = connectTo(b);
    QVERIFY(*client);
    QVERIFY(waitDevice(**client, QStringLiteral("a0"), QStringLiteral("connected")));
    *local = subscribe(**client, QStringLiteral("b0"));
    *remote = subscribe(**client, QStringLiteral("a0"));
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(**client, *remote).size() >= 5, 10000);
}

QString tst_Cluster::subscribe(TestClient &client, const QString &device)
{
    const QVariantMap reply = client.request(
            msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), device}}));
    return reply.value(QStringLiteral("stream")).toString();
}

void tst_Cluster::remoteDevicesListStreamAndCommand()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {simDevice(QStringLiteral("b0"))});
    QVERIFY(a && b);
    auto client = connectTo(b);
    QVERIFY(client);
    const QVariantMap welcome = client->request(msg(QStringLiteral("hello")));
    QCOMPARE(welcome.value(QStringLiteral("type")).toString(), QStringLiteral("welcome"));
    QCOMPARE(welcome.value(QStringLiteral("node")).toString(), QStringLiteral("B"));

    QVERIFY(waitDevice(*client, QStringLiteral("a0"), QStringLiteral("connected")));
    const QVariantMap a0 = deviceEntry(*client, QStringLiteral("a0"));
    QCOMPARE(a0.value(QStringLiteral("node")).toString(), QStringLiteral("A"));
    QCOMPARE(a0.value(QStringLiteral("plugin")).toString(), QStringLiteral("sim"));
    QCOMPARE(a0.value(QStringLiteral("channels")).toList().size(), 4);
    QCOMPARE(deviceEntry(*client, QStringLiteral("b0")).value(QStringLiteral("node")).toString(),
             QStringLiteral("B"));

    // Telemetry of the remote device, stamped with the owner's sample times.
    const QString stream = subscribe(*client, QStringLiteral("a0"));
    QVERIFY(!stream.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*client, stream).size() >= 20, 10000);
    const QList<QVariantMap> frames = framesOf(*client, stream);
    for (qsizetype i = 1; i < frames.size(); ++i) {
        QCOMPARE(frames[i].value(QStringLiteral("seq")).toLongLong(),
                 frames[i - 1].value(QStringLiteral("seq")).toLongLong() + 1);
        QVERIFY(frames[i].value(QStringLiteral("ts")).toLongLong()
                > frames[i - 1].value(QStringLiteral("ts")).toLongLong());
    }
    QVERIFY(frames.first().value(QStringLiteral("values")).toMap().contains(QStringLiteral("sine")));

    // A command runs on the owner and answers here, its params typed as sent.
    const qint64 id = client->nextId();
    const QVariantMap params{{QStringLiteral("x"), 1.5}, {QStringLiteral("n"), 7},
                             {QStringLiteral("s"), QStringLiteral("hi")}};
    client->send(msg(QStringLiteral("command"),
                     {{QStringLiteral("id"), id}, {QStringLiteral("device"), QStringLiteral("a0")},
                      {QStringLiteral("command"), QStringLiteral("echo")},
                      {QStringLiteral("params"), params}}));
    const QVariantMap result = client->waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == QLatin1String("result")
                && m.value(QStringLiteral("id")).toLongLong() == id;
    });
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(result.value(QStringLiteral("result")).toMap(), params);
    QCOMPARE(result.value(QStringLiteral("device")).toString(), QStringLiteral("a0"));

    // A failing command's error comes back as the owner's device said it.
    const QVariantMap fail = client->request(
            msg(QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                            {QStringLiteral("command"), QStringLiteral("fail")}}));
    const QVariantMap failResult = client->waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == QLatin1String("result")
                && m.value(QStringLiteral("command_id")) == fail.value(QStringLiteral("command_id"));
    });
    QCOMPARE(failResult.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(failResult.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("device_error"));

    const QVariantMap metrics = client->request(msg(QStringLiteral("get_metrics")));
    const QVariantMap cluster = metrics.value(QStringLiteral("cluster")).toMap();
    QCOMPARE(cluster.value(QStringLiteral("node")).toString(), QStringLiteral("B"));
    QCOMPARE(cluster.value(QStringLiteral("nodes")).toStringList(),
             (QStringList{QStringLiteral("A"), QStringLiteral("B")}));
    QCOMPARE(cluster.value(QStringLiteral("redis")).toString(), QStringLiteral("connected"));
}

void tst_Cluster::cancelAndIdempotencyOnARemoteDevice()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {});
    QVERIFY(a && b);
    auto client = connectTo(b);
    QVERIFY(client);
    QVERIFY(waitDevice(*client, QStringLiteral("a0"), QStringLiteral("connected")));

    const auto command = [&](const QString &name, const QVariantMap &params, const QString &key = {}) {
        QVariantMap m{{QStringLiteral("device"), QStringLiteral("a0")},
                      {QStringLiteral("command"), name}, {QStringLiteral("params"), params},
                      {QStringLiteral("timeout_ms"), 5000}};
        if (!key.isEmpty())
            m.insert(QStringLiteral("key"), key);
        return client->request(msg(QStringLiteral("command"), m));
    };
    const auto resultOf = [&](const QVariant &commandId) {
        return client->waitFor([&](const QVariantMap &m) {
            return m.value(QStringLiteral("type")).toString() == QLatin1String("result")
                    && m.value(QStringLiteral("command_id")) == commandId;
        }, 10000);
    };

    const QVariantMap running = command(QStringLiteral("sleep"), {{QStringLiteral("ms"), 800}});
    QCOMPARE(running.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap queued = command(QStringLiteral("echo"), {{QStringLiteral("q"), 1}});
    QCOMPARE(queued.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap cancelled = client->request(msg(
            QStringLiteral("cancel"), {{QStringLiteral("command_id"), queued.value(QStringLiteral("command_id"))}}));
    QCOMPARE(cancelled.value(QStringLiteral("type")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(resultOf(queued.value(QStringLiteral("command_id"))).value(QStringLiteral("status")).toString(),
             QStringLiteral("cancelled"));
    const QVariantMap slept = resultOf(running.value(QStringLiteral("command_id")));
    QCOMPARE(slept.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QVERIFY(slept.value(QStringLiteral("duration_ms")).toLongLong() >= 800);

    // The same key again is the same command, run once.
    const QVariantMap first = command(QStringLiteral("echo"), {{QStringLiteral("v"), 1}}, QStringLiteral("k1"));
    const QVariantMap again = command(QStringLiteral("echo"), {{QStringLiteral("v"), 1}}, QStringLiteral("k1"));
    QCOMPARE(again.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QCOMPARE(again.value(QStringLiteral("command_id")), first.value(QStringLiteral("command_id")));
    QCOMPARE(resultOf(first.value(QStringLiteral("command_id"))).value(QStringLiteral("status")).toString(),
             QStringLiteral("ok"));

    // A timeout abandons the remote attempt; the device takes the next one.
    const QVariantMap late = client->request(msg(
            QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                        {QStringLiteral("command"), QStringLiteral("sleep")},
                                        {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 3000}}},
                                        {QStringLiteral("timeout_ms"), 200}}));
    QCOMPARE(resultOf(late.value(QStringLiteral("command_id"))).value(QStringLiteral("status")).toString(),
             QStringLiteral("timeout"));
    const QVariantMap next = command(QStringLiteral("echo"), {{QStringLiteral("after"), true}});
    const QVariantMap nextResult = resultOf(next.value(QStringLiteral("command_id")));
    QCOMPARE(nextResult.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QVERIFY(nextResult.value(QStringLiteral("duration_ms")).toLongLong() < 2000);
}

void tst_Cluster::eventsReachOtherNodes()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {});
    QVERIFY(a && b);
    auto onB = connectTo(b);
    auto onA = connectTo(a);
    QVERIFY(onA && onB);
    QVERIFY(waitDevice(*onB, QStringLiteral("a0"), QStringLiteral("connected")));
    const qsizetype from = onB->received().size();
    // Unplugged on its own node, by a client there.
    const QVariantMap ack = onA->request(msg(
            QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                        {QStringLiteral("command"), QStringLiteral("unplug")},
                                        {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 300}}}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QVERIFY(!onB->waitForEvent(QStringLiteral("device_disconnected"), 5000, from).isEmpty());
    QVERIFY(!onB->waitForEvent(QStringLiteral("device_connected"), 5000, from).isEmpty());
}

void tst_Cluster::interestIsCountedPerNodeNotPerClient()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"), 100)});
    Node *b = startNode(QStringLiteral("B"), {});
    QVERIFY(a && b);
    auto first = connectTo(b);
    QVERIFY(first);
    QVERIFY(waitDevice(*first, QStringLiteral("a0"), QStringLiteral("connected")));

    // Publishes over a window, per second, counted by Redis itself.
    const auto publishRate = [&](int windowMs) {
        const qint64 before = publishCount();
        QElapsedTimer t;
        t.start();
        QTest::qWait(windowMs);
        return double(publishCount() - before) * 1000.0 / double(t.elapsed());
    };
    // Nobody elsewhere streams a0: only heartbeats.
    const double idle = publishRate(1000);
    QVERIFY2(idle < 30, QByteArray::number(idle));

    const QString stream = subscribe(*first, QStringLiteral("a0"));
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*first, stream).size() >= 10, 10000);
    const double one = publishRate(1500);

    std::vector<std::unique_ptr<TestClient>> more;
    QStringList streams;
    QString last;
    for (int i = 0; i < 5; ++i) {
        more.push_back(connectTo(b));
        QVERIFY(more.back());
        last = subscribe(*more.back(), QStringLiteral("a0"));
        QVERIFY(!last.isEmpty());
        streams.append(last);
    }
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*more.back(), last).size() >= 5, 10000);
    const double six = publishRate(1500);
    QVERIFY2(one > 50, QByteArray::number(one));
    QVERIFY2(six < one * 1.4 + 10, QByteArray::number(one) + " vs " + QByteArray::number(six));

    // Every stream closed (a closed connection's session would keep its
    // streams for the resume grace): the owner stops publishing.
    first->request(msg(QStringLiteral("unsubscribe"), {{QStringLiteral("stream"), stream}}));
    for (std::size_t i = 0; i < more.size(); ++i)
        more[i]->request(msg(QStringLiteral("unsubscribe"), {{QStringLiteral("stream"), streams[int(i)]}}));
    QTRY_VERIFY_WITH_TIMEOUT(publishRate(500) < 30, 10000);
}

void tst_Cluster::killedOwnerEndsPendingCommands()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {});
    QVERIFY(a && b);
    auto client = connectTo(b);
    QVERIFY(client);
    QVERIFY(waitDevice(*client, QStringLiteral("a0"), QStringLiteral("connected")));
    const QVariantMap running = client->request(msg(
            QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                        {QStringLiteral("command"), QStringLiteral("sleep")},
                                        {QStringLiteral("params"), QVariantMap{{QStringLiteral("ms"), 20000}}},
                                        {QStringLiteral("timeout_ms"), 30000}}));
    const QVariantMap queued = client->request(msg(
            QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                        {QStringLiteral("command"), QStringLiteral("echo")},
                                        {QStringLiteral("timeout_ms"), 30000}}));
    QCOMPARE(running.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QCOMPARE(queued.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));

    QElapsedTimer sinceKill;
    ::kill(pid_t(a->process->processId()), SIGKILL);
    sinceKill.start();
    for (const QVariantMap &ack : {running, queued}) {
        const QVariantMap result = client->waitFor([&](const QVariantMap &m) {
            return m.value(QStringLiteral("type")).toString() == QLatin1String("result")
                    && m.value(QStringLiteral("command_id")) == ack.value(QStringLiteral("command_id"));
        }, 10000);
        QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
        QCOMPARE(result.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
                 QStringLiteral("device_unavailable"));
    }
    const qint64 elapsed = sinceKill.elapsed();
    QVERIFY2(elapsed <= kDeadBoundMs, QByteArray::number(elapsed));
    QVERIFY(!client->waitForEvent(QStringLiteral("device_disconnected"), 1000).isEmpty());
    QCOMPARE(deviceEntry(*client, QStringLiteral("a0")).value(QStringLiteral("state")).toString(),
             QStringLiteral("disconnected"));
    // A command for it now is refused, not lost.
    const QVariantMap refused = client->request(msg(
            QStringLiteral("command"), {{QStringLiteral("device"), QStringLiteral("a0")},
                                        {QStringLiteral("command"), QStringLiteral("echo")}}));
    QCOMPARE(refused.value(QStringLiteral("code")).toString(), QStringLiteral("device_unavailable"));
}

void tst_Cluster::cleanStopAndComeBack()
{
    // A long node timeout: only the clean stop's announcement can be quick.
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))}, 10000);
    Node *b = startNode(QStringLiteral("B"), {}, 10000);
    QVERIFY(a && b);
    auto client = connectTo(b);
    QVERIFY(client);
    QVERIFY(waitDevice(*client, QStringLiteral("a0"), QStringLiteral("connected")));
    const QString stream = subscribe(*client, QStringLiteral("a0"));
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*client, stream).size() >= 5, 10000);

    const qsizetype from = client->received().size();
    QElapsedTimer sinceStop;
    a->process->terminate();
    sinceStop.start();
    QVERIFY(!client->waitForEvent(QStringLiteral("device_disconnected"), 5000, from).isEmpty());
    QVERIFY2(sinceStop.elapsed() < 2000, QByteArray::number(sinceStop.elapsed()));
    QVERIFY(a->process->state() == QProcess::NotRunning || a->process->waitForFinished(10000));
    QCOMPARE(a->process->exitCode(), 0);

    const qsizetype beforeRestart = client->received().size();
    QVERIFY(restartNode(a));
    QVERIFY(!client->waitForEvent(QStringLiteral("device_connected"), 10000, beforeRestart).isEmpty());
    // The stream stayed open and resumes with a gap key frame.
    qsizetype index = -1;
    const QVariantMap resumed = client->waitFor(
            [&](const QVariantMap &m) { return isFrameOf(m, stream); }, 10000, beforeRestart, &index);
    QVERIFY(!resumed.isEmpty());
    QCOMPARE(resumed.value(QStringLiteral("key")).toBool(), true);
    QCOMPARE(resumed.value(QStringLiteral("gap")).toBool(), true);
}

void tst_Cluster::redisOutageLeavesLocalStreamsAlone_data()
{
    QTest::addColumn<bool>("killed");
    QTest::addRow("redis killed and restarted") << true;
    QTest::addRow("clients paused (CLIENT PAUSE)") << false;
}

void tst_Cluster::redisOutageLeavesLocalStreamsAlone()
{
    QFETCH(bool, killed);
    std::unique_ptr<TestClient> client;
    QString local;
    QString remote;
    streamLocalAndRemote(&client, &local, &remote);
    if (QTest::currentTestFailed())
        return;

    const qsizetype from = client->received().size();
    if (killed) {
        m_redis->kill();
        QVERIFY(m_redis->waitForFinished(5000));
    } else {
        QCOMPARE(redisCli({QStringLiteral("CLIENT"), QStringLiteral("PAUSE"), QStringLiteral("2500")})
                         .trimmed(),
                 QByteArray("OK"));
    }
    // Remote devices go after node_timeout_ms; local ones stay.
    QVERIFY(!client->waitForEvent(QStringLiteral("device_disconnected"), kDeadBoundMs + 3000, from).isEmpty());
    QCOMPARE(deviceEntry(*client, QStringLiteral("b0")).value(QStringLiteral("state")).toString(),
             QStringLiteral("connected"));
    const qsizetype down = client->received().size();
    if (killed)
        QVERIFY(startRedis());
    QVERIFY(!client->waitForEvent(QStringLiteral("device_connected"), 15000, down).isEmpty());
    const QVariantMap resumed = client->waitFor(
            [&](const QVariantMap &m) { return isFrameOf(m, remote); }, 10000, down);
    QCOMPARE(resumed.value(QStringLiteral("gap")).toBool(), true);
    QCOMPARE(resumed.value(QStringLiteral("key")).toBool(), true);

    // The local stream ran on without a gap or a missing seq.
    const QList<QVariantMap> frames = framesOf(*client, local, from);
    QVERIFY(frames.size() > 50);
    QVERIFY(noGapNorMissingSeq(frames));
    const QVariantMap metrics = client->request(msg(QStringLiteral("get_metrics")));
    QCOMPARE(metrics.value(QStringLiteral("cluster")).toMap().value(QStringLiteral("redis")).toString(),
             QStringLiteral("connected"));
}

void tst_Cluster::duplicateDeviceIdIsRefused()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("dup0"))});
    QVERIFY(a);
    auto onA = connectTo(a);
    QVERIFY(onA);
    Node *b = startNode(QStringLiteral("B"), {simDevice(QStringLiteral("b0"))});
    QVERIFY(b);
    auto onB = connectTo(b);
    QVERIFY(onB);
    QVERIFY(waitDevice(*onB, QStringLiteral("dup0"), QStringLiteral("connected")));
    QCOMPARE(deviceEntry(*onB, QStringLiteral("dup0")).value(QStringLiteral("node")).toString(),
             QStringLiteral("A"));

    // B's config gains a device of the same id: refused, said and logged.
    QFile f(b->config);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray config = f.readAll();
    f.close();
    config.replace("\"id\":\"b0\"", "\"id\":\"dup0\"");
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(config);
    f.close();
    const qsizetype from = onB->received().size();
    ::kill(pid_t(b->process->processId()), SIGHUP);
    const QVariantMap error = onB->waitForEvent(QStringLiteral("device_error"), 10000, from);
    QCOMPARE(error.value(QStringLiteral("device")).toString(), QStringLiteral("dup0"));
    QTRY_VERIFY_WITH_TIMEOUT(b->stderrText.contains("dup0"), 5000);
    // Everywhere the first node's device is the one listed.
    QCOMPARE(deviceEntry(*onA, QStringLiteral("dup0")).value(QStringLiteral("node")).toString(),
             QStringLiteral("A"));
    QCOMPARE(deviceEntry(*onB, QStringLiteral("dup0")).value(QStringLiteral("node")).toString(),
             QStringLiteral("A"));
    QVERIFY(deviceEntry(*onB, QStringLiteral("b0")).isEmpty());
}

// Section 12: a session lives on the node that made it. Its token resumes
// it there and nowhere else: another node answers resumed: false.
void tst_Cluster::sessionsStayOnTheirNode()
{
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startNode(QStringLiteral("B"), {});
    QVERIFY(a && b);
    auto first = connectTo(a);
    QVERIFY(first);
    const QVariantMap welcome = first->request(msg(QStringLiteral("hello")));
    const QString session = welcome.value(QStringLiteral("session")).toString();
    QVERIFY2(!session.isEmpty(), "welcome carries a session");
    first->close();

    auto elsewhere = connectTo(b);
    QVERIFY(elsewhere);
    const QVariantMap onB = elsewhere->request(
            msg(QStringLiteral("hello"), {{QStringLiteral("resume"), session}}));
    QCOMPARE(onB.value(QStringLiteral("type")).toString(), QStringLiteral("welcome"));
    QCOMPARE(onB.value(QStringLiteral("resumed")).toBool(), false);
    QVERIFY(onB.value(QStringLiteral("session")).toString() != session);

    auto back = connectTo(a);
    QVERIFY(back);
    const QVariantMap onA = back->request(
            msg(QStringLiteral("hello"), {{QStringLiteral("resume"), session}}));
    QCOMPARE(onA.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(onA.value(QStringLiteral("session")).toString(), session);
}

namespace {

QVariantMap commandMessage(const QString &device, const QString &command, const QVariantMap &params,
                           const QString &key = {})
{
    QVariantMap m{{QStringLiteral("device"), device}, {QStringLiteral("command"), command},
                  {QStringLiteral("params"), params}, {QStringLiteral("timeout_ms"), 10000}};
    if (!key.isEmpty())
        m.insert(QStringLiteral("key"), key);
    return msg(QStringLiteral("command"), m);
}

QVariantMap resultFor(TestClient &client, const QVariant &commandId, int timeoutMs = 10000,
                      qsizetype *index = nullptr)
{
    return client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == QLatin1String("result")
                && m.value(QStringLiteral("command_id")) == commandId;
    }, timeoutMs, 0, index);
}

QVariantMap sleepMs(int ms)
{
    return {{QStringLiteral("ms"), ms}};
}

} // namespace

// Section 12: an idempotency key is the user's across the cluster. The
// owner's router keeps the keys of every node's commands: the same key from
// a client on another node is the same command, run once.
void tst_Cluster::idempotencyKeyHoldsAcrossNodes()
{
    const QByteArray secret = "cluster-test-secret";
    const QVariantMap auth{{QStringLiteral("auth"),
                            QVariantMap{{QStringLiteral("required"), true},
                                        {QStringLiteral("jwt_secret"), QString::fromLatin1(secret)}}}};
    Node *a = startNode(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))}, kNodeTimeoutMs, auth);
    Node *b = startNode(QStringLiteral("B"), {}, kNodeTimeoutMs, auth);
    QVERIFY(a && b);
    const QString token = QString::fromLatin1(testtokens::hmac(
            "HS256", secret, testtokens::claims(QStringLiteral("alice"), QStringLiteral("admin"))));
    auto onA = connectTo(a);
    auto onB = connectTo(b);
    QVERIFY(onA && onB);
    for (TestClient *c : {onA.get(), onB.get()}) {
        QCOMPARE(c->request(msg(QStringLiteral("hello"), {{QStringLiteral("token"), token}}))
                         .value(QStringLiteral("type")).toString(),
                 QStringLiteral("welcome"));
    }
    QVERIFY(waitDevice(*onB, QStringLiteral("a0"), QStringLiteral("connected")));

    // Sent through B first, then on the owner while it runs: one command.
    const QVariantMap first = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(700), QStringLiteral("k1")));
    QCOMPARE(first.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariant id = first.value(QStringLiteral("command_id"));
    const QVariantMap second = onA->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(700), QStringLiteral("k1")));
    QCOMPARE(second.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap firstResult = resultFor(*onB, id);
    // Whichever reached the owner first is the command; the other waits for
    // it. A second run would queue behind the first and take 700 ms more.
    const QVariantMap secondResult = resultFor(*onA, second.value(QStringLiteral("command_id")), 3000);
    QCOMPARE(firstResult.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(secondResult.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    // The same run: its duration, not a second one queued behind it.
    QCOMPARE(secondResult.value(QStringLiteral("duration_ms")), firstResult.value(QStringLiteral("duration_ms")));
    QCOMPARE(secondResult.value(QStringLiteral("attempts")).toLongLong(), 1);

    // Finished on the owner, then the same key through B: its result at once
    // (a second run would take the 2 s again), the first run's duration.
    const QVariantMap local = onA->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(2000), QStringLiteral("k2")));
    const QVariantMap localResult = resultFor(*onA, local.value(QStringLiteral("command_id")));
    QCOMPARE(localResult.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    const QVariantMap replay = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(2000), QStringLiteral("k2")));
    QCOMPARE(replay.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap replayed = resultFor(*onB, replay.value(QStringLiteral("command_id")), 1500);
    QCOMPARE(replayed.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(replayed.value(QStringLiteral("duration_ms")), localResult.value(QStringLiteral("duration_ms")));

    // The same key for another command is refused, as locally.
    const QVariantMap misuse = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}, QStringLiteral("k2")));
    QCOMPARE(misuse.value(QStringLiteral("type")).toString(), QStringLiteral("error"));
    QCOMPARE(misuse.value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));
    // Also when only the owner has seen the key (k1 came through B, k3 not).
    const QVariantMap onOwner = onA->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}, QStringLiteral("k3")));
    QCOMPARE(resultFor(*onA, onOwner.value(QStringLiteral("command_id"))).value(QStringLiteral("status")).toString(),
             QStringLiteral("ok"));
    const QVariantMap misuseThere = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("fail"), {}, QStringLiteral("k3")));
    QCOMPARE(misuseThere.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap misused = resultFor(*onB, misuseThere.value(QStringLiteral("command_id")));
    QCOMPARE(misused.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(misused.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("invalid_params"));
}

// Section 6 across nodes: the owner runs one command at a time for its
// device, whichever node's clients send them.
void tst_Cluster::commandsFromTwoNodesRunOneAtATime()
{
    std::unique_ptr<TestClient> onA;
    std::unique_ptr<TestClient> onB;
    clientsOnOwnerAndOther(&onA, &onB);
    if (QTest::currentTestFailed())
        return;

    constexpr int kSleepMs = 400;
    QList<QPair<TestClient *, QVariant>> sent;
    for (int i = 0; i < 3; ++i) {
        for (TestClient *c : {onB.get(), onA.get()}) {
            const QVariantMap ack = c->request(
                    commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(kSleepMs)));
            QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
            sent.append({c, ack.value(QStringLiteral("command_id"))});
        }
    }
    // When each result reached its client; run side by side, they would
    // all come at about the same time.
    QList<qint64> arrivals;
    for (const auto &[client, id] : sent) {
        qsizetype index = -1;
        const QVariantMap result = resultFor(*client, id, 15000, &index);
        QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        arrivals.append(client->received()[index].receivedUs);
    }
    // One at a time, the last ends five sleeps after the first (two at a
    // time: two); the slack is a delivery delay at either end.
    std::sort(arrivals.begin(), arrivals.end());
    const qint64 spanMs = (arrivals.last() - arrivals.first()) / 1000;
    QVERIFY2(spanMs >= 5 * kSleepMs - 300, QByteArray::number(spanMs));
}

// A command forwarded to the owner waits there behind another node's; its
// client cancels it from its own node: it never runs.
void tst_Cluster::cancelOfAQueuedForwardedCommand()
{
    std::unique_ptr<TestClient> onA;
    std::unique_ptr<TestClient> onB;
    clientsOnOwnerAndOther(&onA, &onB);
    if (QTest::currentTestFailed())
        return;

    const QVariantMap running = onA->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(1500)));
    const QVariantMap queued = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(1500)));
    QCOMPARE(queued.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariant queuedId = queued.value(QStringLiteral("command_id"));
    // Another node's client cannot cancel it.
    QCOMPARE(onA->request(msg(QStringLiteral("cancel"), {{QStringLiteral("command_id"), queuedId}}))
                     .value(QStringLiteral("code")).toString(),
             QStringLiteral("not_found"));
    const QVariantMap cancelled = onB->request(
            msg(QStringLiteral("cancel"), {{QStringLiteral("command_id"), queuedId}}));
    QCOMPARE(cancelled.value(QStringLiteral("type")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(resultFor(*onB, queuedId).value(QStringLiteral("status")).toString(),
             QStringLiteral("cancelled"));

    // The owner dropped it: B's next command starts as soon as A's ends,
    // not 1.5 s later behind the cancelled one.
    const QVariantMap next = onB->request(commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}));
    qsizetype index = -1;
    const QVariantMap ranFirst = resultFor(*onA, running.value(QStringLiteral("command_id")), 10000, &index);
    QCOMPARE(ranFirst.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    const qint64 firstEndUs = onA->received()[index].receivedUs;
    const QVariantMap after = resultFor(*onB, next.value(QStringLiteral("command_id")), 10000, &index);
    QCOMPARE(after.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    const qint64 gapMs = (onB->received()[index].receivedUs - firstEndUs) / 1000;
    QVERIFY2(gapMs < 1000, QByteArray::number(gapMs));
    // Exactly one result for the cancelled command.
    QCOMPARE(std::count_if(onB->received().cbegin(), onB->received().cend(),
                           [&](const TestClient::Received &r) {
                               return r.message.value(QStringLiteral("type")).toString() == QLatin1String("result")
                                       && r.message.value(QStringLiteral("command_id")) == queuedId;
                           }),
             1);
}

// Section 12, Redis down: a server that stops reading (SIGSTOP) while a
// device streams to another node at 1000 Hz. What the publishing node holds
// for Redis stays within its bounds (metrics' cluster figures), its local
// clients see nothing, and the remote stream resumes with a gap key frame.
void tst_Cluster::stalledRedisKeepsThePublisherBounded()
{
    std::unique_ptr<TestClient> onA;
    std::unique_ptr<TestClient> onB;
    clientsOnOwnerAndOther(&onA, &onB, 1000);
    if (QTest::currentTestFailed())
        return;
    const QString local = subscribe(*onA, QStringLiteral("a0"));
    const QString remote = subscribe(*onB, QStringLiteral("a0"));
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*onB, remote).size() >= 100, 10000);
    const auto cluster = [&] { return clusterMetrics(*onA); };
    const qint64 droppedBefore = cluster().value(QStringLiteral("publishes_dropped")).toLongLong();

    const qsizetype fromA = onA->received().size();
    const qsizetype fromB = onB->received().size();
    QCOMPARE(::kill(pid_t(m_redis->processId()), SIGSTOP), 0);
    QElapsedTimer stalled;
    stalled.start();
    qint64 maxBytes = 0;
    qint64 maxInFlight = 0;
    qint64 dropped = 0;
    // Three node timeouts: the links are given up and tried again meanwhile.
    while (stalled.elapsed() < 3 * kNodeTimeoutMs) {
        const QVariantMap c = cluster();
        maxBytes = std::max(maxBytes, c.value(QStringLiteral("redis_waiting_bytes")).toLongLong());
        maxInFlight = std::max(maxInFlight, c.value(QStringLiteral("redis_in_flight")).toLongLong());
        dropped = c.value(QStringLiteral("publishes_dropped")).toLongLong() - droppedBefore;
        QTest::qWait(50);
    }
    QCOMPARE(::kill(pid_t(m_redis->processId()), SIGCONT), 0);
    qInfo() << "while redis was stopped: at most" << maxBytes << "bytes waiting," << maxInFlight
            << "in flight;" << dropped << "publishes dropped";
    // The figures follow the stall (samples kept coming), within the bounds.
    QVERIFY(maxInFlight > 100 || dropped > 100);
    QVERIFY2(maxBytes <= 4 * 1024 * 1024 + 64 * 1024, QByteArray::number(maxBytes));
    QVERIFY2(maxInFlight <= 10000, QByteArray::number(maxInFlight));

    // The remote stream resumes, a gap key frame first.
    const QVariantMap resumed = onB->waitFor([&](const QVariantMap &m) {
        return isFrameOf(m, remote) && m.value(QStringLiteral("gap")).toBool();
    }, 15000, fromB);
    QVERIFY(!resumed.isEmpty());
    QCOMPARE(resumed.value(QStringLiteral("key")).toBool(), true);
    const qsizetype count = framesOf(*onB, remote, fromB).size();
    QTRY_VERIFY_WITH_TIMEOUT(framesOf(*onB, remote, fromB).size() >= count + 200, 10000);
    // The local client lost nothing.
    const QList<QVariantMap> frames = framesOf(*onA, local, fromA);
    QVERIFY(frames.size() > 100);
    QVERIFY(noGapNorMissingSeq(frames));
}

// A Redis that wants passwords: nodes log in as their own users (the
// password in a file); one with a wrong password says so and stays out.
void tst_Cluster::redisWithPasswords()
{
    QVERIFY(useRedisUsers());
    Node *a = startLoggedIn(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))});
    Node *b = startLoggedIn(QStringLiteral("B"), {});
    Node *c = startNode(QStringLiteral("C"), {simDevice(QStringLiteral("c0"))}, kNodeTimeoutMs, {},
                        loginAs(QStringLiteral("C"), QStringLiteral("not-pw-C")));
    QVERIFY(a && b && c);
    auto onB = connectTo(b);
    auto onC = connectTo(c);
    QVERIFY(onB && onC);
    QVERIFY(waitDevice(*onB, QStringLiteral("a0"), QStringLiteral("connected")));
    const QVariantMap ack = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {{QStringLiteral("x"), 7}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap result = resultFor(*onB, ack.value(QStringLiteral("command_id")), 5000);
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

    // C: refused by Redis, told why, its own device still served, and
    // outside the cluster.
    QTRY_VERIFY_WITH_TIMEOUT(c->stderrText.contains("WRONGPASS"), 10000);
    const QVariantMap cluster = clusterMetrics(*onC);
    QCOMPARE(cluster.value(QStringLiteral("redis")).toString(), QStringLiteral("disconnected"));
    QVERIFY2(cluster.value(QStringLiteral("redis_error")).toString().contains(QStringLiteral("WRONGPASS")),
             qPrintable(cluster.value(QStringLiteral("redis_error")).toString()));
    QVERIFY(!c->stderrText.contains("not-pw-C"));
    QVERIFY(waitDevice(*onC, QStringLiteral("c0"), QStringLiteral("connected")));
    const QStringList nodes = clusterMetrics(*onB).value(QStringLiteral("nodes")).toStringList();
    QCOMPARE(nodes, (QStringList{QStringLiteral("A"), QStringLiteral("B")}));
    QVERIFY(deviceEntry(*onB, QStringLiteral("c0")).isEmpty());
}

// The issuing node's link to Redis drops while the owner runs its command
// (shorter than node_timeout_ms, so no one is declared gone): the result,
// which Redis could hand to no one, reaches the client once the link is
// back.
void tst_Cluster::resultMissedByTheIssuingNodeArrivesWhenItIsBack()
{
    QVERIFY(useRedisUsers());
    constexpr int kLongTimeoutMs = 8000;
    std::unique_ptr<TestClient> onA;
    std::unique_ptr<TestClient> onB;
    clientsOn(startLoggedIn(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))}, kLongTimeoutMs),
              startLoggedIn(QStringLiteral("B"), {}, kLongTimeoutMs), &onA, &onB);
    if (QTest::currentTestFailed())
        return;
    const QVariantMap ack = onB->request(commandMessage(QStringLiteral("a0"), QStringLiteral("sleep"), sleepMs(300)));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    // B away, and kept away: its user is off.
    QVERIFY(lockOut(QStringLiteral("B")));
    // A command on A behind B's one: when it is done, so is B's.
    const QVariantMap behind = onA->request(commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}));
    QCOMPARE(behind.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap behindResult = resultFor(*onA, behind.value(QStringLiteral("command_id")), 5000);
    QCOMPARE(behindResult.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QVERIFY(pollUntil([&] { return clusterMetrics(*onA).value(QStringLiteral("answers_waiting")).toInt() == 1; },
                      5000));
    QVERIFY(onB->messagesOfType(QStringLiteral("result")).isEmpty());

    QVERIFY(letIn(QStringLiteral("B")));
    const QVariantMap result = resultFor(*onB, ack.value(QStringLiteral("command_id")), kLongTimeoutMs);
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(onB->messagesOfType(QStringLiteral("result")).size(), 1);
    QCOMPARE(clusterMetrics(*onA).value(QStringLiteral("answers_waiting")).toInt(), 0);
}

// The owner's link to Redis is down (not yet for node_timeout_ms): a
// command handed to it now would reach no one, so the client hears
// device_unavailable at once, while the device is still listed connected,
// not silence once the owner is back.
void tst_Cluster::commandTheOwnerCannotHearIsAnsweredAtOnce()
{
    QVERIFY(useRedisUsers());
    constexpr int kLongTimeoutMs = 8000;
    Node *a = startLoggedIn(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))}, kLongTimeoutMs);
    std::unique_ptr<TestClient> onB;
    clientsOn(a, startLoggedIn(QStringLiteral("B"), {}, kLongTimeoutMs), nullptr, &onB);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(lockOut(QStringLiteral("A")));
    const QVariantMap ack = onB->request(commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    const QVariantMap result = resultFor(*onB, ack.value(QStringLiteral("command_id")), kLongTimeoutMs);
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(result.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("device_unavailable"));
    QCOMPARE(deviceEntry(*onB, QStringLiteral("a0")).value(QStringLiteral("state")).toString(),
             QStringLiteral("connected"));

    // A back before anyone gave it up: its device takes commands again
    // (once A has logged in again after its backoff).
    QVERIFY(letIn(QStringLiteral("A")));
    const auto echoOnA = [&] {
        const QVariantMap again = onB->request(commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {}));
        return resultFor(*onB, again.value(QStringLiteral("command_id")), 5000)
                .value(QStringLiteral("status"))
                .toString();
    };
    QVERIFY(pollUntil([&] { return echoOnA() == QLatin1String("ok"); }, 15000));
}

// The command reaches Redis, and Redis loses it on its way to the owner
// (the owner's subscriber connection is cut with it still in Redis' output
// buffer, the owner away for less than node_timeout_ms): the client's node
// sends it again, the owner runs it once, the client gets its result.
void tst_Cluster::commandLostOnTheWayIsSentAgain()
{
    QVERIFY(useRedisUsers());
    // Redis cuts a subscriber that has 256 KiB waiting for it.
    QCOMPARE(redisCli({QStringLiteral("CONFIG"), QStringLiteral("SET"),
                       QStringLiteral("client-output-buffer-limit"), QStringLiteral("pubsub 256kb 256kb 0")})
                     .trimmed(),
             QByteArray("OK"));
    constexpr int kLongTimeoutMs = 8000;
    Node *a = startLoggedIn(QStringLiteral("A"), {simDevice(QStringLiteral("a0"))}, kLongTimeoutMs);
    std::unique_ptr<TestClient> onB;
    clientsOn(a, startLoggedIn(QStringLiteral("B"), {}, kLongTimeoutMs), nullptr, &onB);
    if (QTest::currentTestFailed())
        return;

    // A stops reading; messages for it (a cluster message of a type A does
    // not know, 32 KiB each) fill its socket until Redis has to hold them.
    const pid_t owner = pid_t(a->process->processId());
    QCOMPARE(::kill(owner, SIGSTOP), 0);
    QByteArray filler("\x82\xa1t\xa2zz\xa3pad\xda\x7f\x7f");
    filler.append(QByteArray(0x7f7f, 'x'));
    const QString toA = QStringLiteral("halhub:to:A");
    const auto fill = [&] { redisCli({QStringLiteral("PUBLISH"), toA}, filler); };
    for (int i = 0; i < 200 && subscriberBacklog(QStringLiteral("A")) <= 0; ++i)
        fill();
    const qint64 before = subscriberBacklog(QStringLiteral("A"));
    QVERIFY2(before > 0, "Redis holds nothing for the stopped node");

    const QVariantMap ack = onB->request(
            commandMessage(QStringLiteral("a0"), QStringLiteral("echo"), {{QStringLiteral("n"), 42}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    // The command waits in Redis behind the filler...
    QVERIFY(pollUntil([&] { return subscriberBacklog(QStringLiteral("A")) > before; }, 5000));
    // ...and goes with A's connection, which Redis cuts at its limit.
    for (int i = 0; i < 50 && subscriberBacklog(QStringLiteral("A")) >= 0; ++i)
        fill();
    QCOMPARE(subscriberBacklog(QStringLiteral("A")), qint64(-1));
    QCOMPARE(::kill(owner, SIGCONT), 0);

    const QVariantMap result = resultFor(*onB, ack.value(QStringLiteral("command_id")), kLongTimeoutMs);
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(result.value(QStringLiteral("result")).toMap().value(QStringLiteral("n")).toInt(), 42);
    QCOMPARE(onB->messagesOfType(QStringLiteral("result")).size(), 1);
}

QTEST_GUILESS_MAIN(tst_Cluster)
#include "tst_cluster.moc"
