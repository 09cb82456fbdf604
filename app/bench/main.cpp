// halhub-bench: a load generator for halhub. It connects many WebSocket
// clients (raw sockets, a few epoll threads), subscribes them, measures the
// telemetry they receive during a window and prints one JSON object:
// latency from each frame's `ts` to its receive time, throughput, seq gaps,
// and the server's CPU and memory from /proc.

#include "loadclient.h"
#include "serverprocess.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>
#include <QUrl>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <thread>

using namespace halhub::bench;

namespace {

// --cross-node: the nodes' heartbeat, short so that node A knows node B's
// devices soon after both started.
constexpr int kCrossNodeHeartbeatMs = 200;

struct Options
{
    LoadPlan plan;
    bool spawn = false;
    QString server;             // the halhub binary (--spawn)
    QString serverCpus;         // --spawn: pin the server to these CPUs
    int serverIoThreads = -1;   // --spawn: server.io_threads (-1: the server's default)
    pid_t pid = -1;             // the server's pid (--url), for /proc figures
    double deviceRateHz = 0;    // --spawn: the sims' native rate
    bool crossNode = false;     // --spawn: devices on node B, clients on node A
    // --cross-node: nodes that stream node B's devices. 0: none (the bench's
    // clients stream nothing); 1: node A; more: nodes C, D, ... besides, each
    // with one stream per device.
    int interestedNodes = 1;
    double durationS = 5;
    double warmupS = 1;
    // --tls with --spawn: the certificate and key the server serves wss:// with.
    QString tlsCert;
    QString tlsKey;
};

// --tls: a self-signed P-256 certificate for 127.0.0.1 in dir, made with the
// openssl command. Returns an error message, empty on success.
QString makeCertificate(const QTemporaryDir &dir, Options *o)
{
    QProcess openssl;
    openssl.setWorkingDirectory(dir.path());
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), QStringLiteral("key.pem"), QStringLiteral("-out"),
                   QStringLiteral("cert.pem"), QStringLiteral("-days"), QStringLiteral("2"),
                   QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                   QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1")});
    if (!openssl.waitForFinished(30000) || openssl.exitStatus() != QProcess::NormalExit
            || openssl.exitCode() != 0) {
        return QStringLiteral("cannot make a certificate with openssl: ")
                + QString::fromLocal8Bit(openssl.readAllStandardError()) + openssl.errorString();
    }
    o->tlsCert = dir.filePath(QStringLiteral("cert.pem"));
    o->tlsKey = dir.filePath(QStringLiteral("key.pem"));
    return {};
}

double cpuSecondsOfSelf()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval &tv) { return double(tv.tv_sec) + tv.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Each connection is a descriptor on both sides; the soft limit (often 1024)
// is raised as far as the hard limit allows, for this process and the
// server it spawns.
void raiseFileLimit(int connections)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    const rlim_t wanted = rlim_t(connections) + 256;
    if (limit.rlim_cur >= wanted)
        return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted) {
        QTextStream(stderr) << "halhub-bench: file limit " << qulonglong(limit.rlim_cur)
                            << " is below the " << qulonglong(wanted) << " needed" << Qt::endl;
    }
}

// The spawned server's config. With a node name it joins the cluster on
// `redis` (docs/protocol.md section 12); without devices it owns none.
QByteArray serverConfig(const Options &o, uint16_t port, const QString &node = {},
                        const QString &redis = {}, bool withDevices = true)
{
    const int connections = o.plan.clients + o.plan.idle;
    QJsonArray devices;
    for (int i = 0; withDevices && i < o.plan.devices; ++i) {
        devices.append(QJsonObject{
                {QStringLiteral("id"), QString::fromStdString(o.plan.devicePrefix) + QString::number(i)},
                {QStringLiteral("plugin"), QStringLiteral("sim")},
                {QStringLiteral("rate_hz"), o.deviceRateHz}});
    }
    QJsonObject server{{QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                       {QStringLiteral("port"), int(port)},
                       {QStringLiteral("max_clients"), std::max(connections + 16, 1000)}};
    if (o.serverIoThreads >= 0)
        server.insert(QStringLiteral("io_threads"), o.serverIoThreads);
    if (!o.tlsCert.isEmpty()) {
        server.insert(QStringLiteral("tls"), QJsonObject{{QStringLiteral("cert"), o.tlsCert},
                                                         {QStringLiteral("key"), o.tlsKey}});
    }
    QJsonObject root{
        {QStringLiteral("server"), server},
        // Thousands of connections from one address would trip the per-IP
        // bucket during set-up; it is not what is measured.
        {QStringLiteral("limits"),
         QJsonObject{{QStringLiteral("rate_limit_per_ip_per_min"), 10000000},
                     {QStringLiteral("rate_limit_per_user_per_min"), 10000000}}},
        {QStringLiteral("devices"), devices},
    };
    if (!node.isEmpty()) {
        root.insert(QStringLiteral("cluster"),
                    QJsonObject{{QStringLiteral("redis"), redis},
                                {QStringLiteral("node"), node},
                                {QStringLiteral("heartbeat_ms"), kCrossNodeHeartbeatMs},
                                {QStringLiteral("node_timeout_ms"), 4 * kCrossNodeHeartbeatMs}});
    }
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

double percentileMs(const std::vector<int32_t> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    // Nearest rank.
    const size_t rank = size_t(std::ceil(p * double(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1] / 1000.0;
}

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

bool parseOptions(QCoreApplication &app, Options *o)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Load generator for halhub: prints one JSON object with latency, throughput, "
            "drops and the server's CPU and memory."));
    parser.addHelpOption();
    const QCommandLineOption url(QStringLiteral("url"),
            QStringLiteral("Connect to a running server at <url> (ws://host:port/path)."),
            QStringLiteral("url"));
    const QCommandLineOption pid(QStringLiteral("pid"),
            QStringLiteral("With --url: the server's <pid>, for its CPU and memory."),
            QStringLiteral("pid"));
    const QCommandLineOption spawn(QStringLiteral("spawn"),
            QStringLiteral("Start halhub with a generated config (sim devices)."));
    const QCommandLineOption server(QStringLiteral("server"),
            QStringLiteral("The halhub binary for --spawn (default: beside this one)."),
            QStringLiteral("path"));
    const QCommandLineOption serverCpus(QStringLiteral("server-cpus"),
            QStringLiteral("--spawn: pin the server to <cpus> (\"0\", \"0-1\")."),
            QStringLiteral("cpus"));
    const QCommandLineOption serverIoThreads(QStringLiteral("server-io-threads"),
            QStringLiteral("--spawn: the server's socket threads (server.io_threads; "
                           "default: the server's own default)."),
            QStringLiteral("n"));
    const QCommandLineOption clients(QStringLiteral("clients"),
            QStringLiteral("Subscribing connections (default 1)."), QStringLiteral("n"),
            QStringLiteral("1"));
    const QCommandLineOption streams(QStringLiteral("streams-per-client"),
            QStringLiteral("Streams each client subscribes (default 1)."), QStringLiteral("m"),
            QStringLiteral("1"));
    const QCommandLineOption devices(QStringLiteral("devices"),
            QStringLiteral("Devices sim0..simN-1; stream k uses device k mod N (default 1)."),
            QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption rate(QStringLiteral("rate"),
            QStringLiteral("Stream rate in Hz (default 100)."), QStringLiteral("hz"),
            QStringLiteral("100"));
    const QCommandLineOption deviceRate(QStringLiteral("device-rate"),
            QStringLiteral("--spawn: the sims' native rate (default: --rate)."),
            QStringLiteral("hz"));
    const QCommandLineOption mode(QStringLiteral("mode"),
            QStringLiteral("Stream mode: full, delta or sampled (default full)."),
            QStringLiteral("mode"), QStringLiteral("full"));
    const QCommandLineOption encoding(QStringLiteral("encoding"),
            QStringLiteral("json or msgpack (default json)."), QStringLiteral("encoding"),
            QStringLiteral("json"));
    const QCommandLineOption compression(QStringLiteral("compression"),
            QStringLiteral("Ask for compression of messages over 1 KiB."));
    const QCommandLineOption duration(QStringLiteral("duration"),
            QStringLiteral("Measured seconds (default 5)."), QStringLiteral("s"),
            QStringLiteral("5"));
    const QCommandLineOption warmup(QStringLiteral("warmup"),
            QStringLiteral("Seconds between set-up and measurement (default 1)."),
            QStringLiteral("s"), QStringLiteral("1"));
    const QCommandLineOption idle(QStringLiteral("idle"),
            QStringLiteral("Extra connections that only answer pings (default 0)."),
            QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption threads(QStringLiteral("threads"),
            QStringLiteral("Client threads (default 1)."), QStringLiteral("n"),
            QStringLiteral("1"));
    const QCommandLineOption foxglove(QStringLiteral("foxglove"),
            QStringLiteral("Load through the Foxglove protocol: each client subscribes to the "
                           "channels of its devices and gets every sample (--rate does not "
                           "apply; set --device-rate)."));
    const QCommandLineOption crossNode(QStringLiteral("cross-node"),
            QStringLiteral("With --spawn: the devices on a second halhub (node B), the clients "
                           "on the first (node A), joined through a redis-server the bench "
                           "starts on a private unix socket."));
    const QCommandLineOption tls(QStringLiteral("tls"),
            QStringLiteral("wss://: with --spawn, the server serves TLS with a self-signed "
                           "certificate the bench makes; the clients connect over TLS without "
                           "checking it (with --url, give a wss:// URL instead)."));
    parser.addOptions({url, pid, spawn, server, serverCpus, serverIoThreads, clients, streams, devices, rate, deviceRate, mode,
                       encoding, compression, duration, warmup, idle, threads, foxglove,
                       crossNode, tls});
    const QCommandLineOption interestedNodes(QStringLiteral("interested-nodes"),
            QStringLiteral("With --cross-node: how many nodes stream node B's devices (default 1, "
                           "node A; 0: the clients stream nothing; more: nodes C, D, ... "
                           "besides, one stream per device each), to read node B's cost per "
                           "interested node."),
            QStringLiteral("n"), QStringLiteral("1"));
    parser.addOption(interestedNodes);
    parser.process(app);

    QTextStream err(stderr);
    auto number = [&](const QCommandLineOption &option, double low, double high, double *out) {
        bool ok = false;
        const double v = parser.value(option).toDouble(&ok);
        if (!ok || v < low || v > high) {
            err << "halhub-bench: --" << option.names().constFirst() << " expects a number from "
                << low << " to " << high << Qt::endl;
            return false;
        }
        *out = v;
        return true;
    };
    double v = 0;
    LoadPlan &plan = o->plan;
    if (!number(clients, 0, 100000, &v))
        return false;
    plan.clients = int(v);
    if (!number(streams, 1, 64, &v))
        return false;
    plan.streamsPerClient = int(v);
    if (!number(devices, 1, 1000, &v))
        return false;
    plan.devices = int(v);
    if (!number(rate, 0.001, 1000, &plan.rateHz) || !number(duration, 0.1, 3600, &o->durationS)
            || !number(warmup, 0, 600, &o->warmupS)) {
        return false;
    }
    if (!number(idle, 0, 100000, &v))
        return false;
    plan.idle = int(v);
    if (!number(threads, 1, 64, &v))
        return false;
    plan.threads = int(v);
    o->deviceRateHz = plan.rateHz;
    if (parser.isSet(deviceRate) && !number(deviceRate, 0.001, 1000, &o->deviceRateHz))
        return false;
    plan.mode = parser.value(mode).toStdString();
    const QString enc = parser.value(encoding);
    if (enc != QLatin1String("json") && enc != QLatin1String("msgpack")) {
        err << "halhub-bench: --encoding expects json or msgpack" << Qt::endl;
        return false;
    }
    plan.msgpack = enc == QLatin1String("msgpack");
    plan.compression = parser.isSet(compression);
    plan.foxglove = parser.isSet(foxglove);

    o->spawn = parser.isSet(spawn);
    plan.tls = parser.isSet(tls);
    o->crossNode = parser.isSet(crossNode);
    if (o->crossNode && !o->spawn) {
        err << "halhub-bench: --cross-node needs --spawn" << Qt::endl;
        return false;
    }
    if (parser.isSet(interestedNodes)) {
        if (!o->crossNode) {
            err << "halhub-bench: --interested-nodes needs --cross-node" << Qt::endl;
            return false;
        }
        if (!number(interestedNodes, 0, 8, &v))
            return false;
        o->interestedNodes = int(v);
        if (o->interestedNodes == 0)
            plan.clients = 0;
    }
    if (o->spawn == parser.isSet(url)) {
        err << "halhub-bench: give exactly one of --url and --spawn" << Qt::endl;
        return false;
    }
    if (o->spawn) {
        o->server = parser.isSet(server)
                ? parser.value(server)
                : QCoreApplication::applicationDirPath() + QStringLiteral("/halhub");
        o->serverCpus = parser.value(serverCpus);
        if (parser.isSet(serverIoThreads)) {
            if (!number(serverIoThreads, 0, 64, &v))
                return false;
            o->serverIoThreads = int(v);
        }
    } else {
        const QUrl u(parser.value(url));
        if (!u.isValid() || (u.scheme() != QLatin1String("ws") && u.scheme() != QLatin1String("wss"))
                || u.port() <= 0) {
            err << "halhub-bench: --url expects ws://host:port/path or wss://host:port/path"
                << Qt::endl;
            return false;
        }
        plan.tls = u.scheme() == QLatin1String("wss");
        plan.host = u.host().toStdString();
        plan.port = uint16_t(u.port());
        plan.path = u.path().isEmpty() ? std::string("/") : u.path().toStdString();
        if (parser.isSet(pid))
            o->pid = pid_t(parser.value(pid).toInt());
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("halhub-bench"));
    Options o;
    if (!parseOptions(app, &o))
        return 2;
    QTextStream err(stderr);
    LoadPlan &plan = o.plan;
    const int connections = plan.clients + plan.idle;
    raiseFileLimit(connections);

    RedisProcess redis;
    ServerProcess owner;        // --cross-node: node B, with the devices
    ServerProcess process;
    // --interested-nodes beyond 1: the other streaming nodes and their clients.
    std::vector<std::unique_ptr<ServerProcess>> extraNodes;
    std::vector<std::unique_ptr<LoadClient>> extraLoads;
    pid_t serverPid = o.pid;
    QTemporaryDir tlsDir;
    if (o.spawn && plan.tls) {
        const QString error = tlsDir.isValid() ? makeCertificate(tlsDir, &o)
                                               : QStringLiteral("no temporary directory");
        if (!error.isEmpty()) {
            err << "halhub-bench: --tls: " << error << Qt::endl;
            return 1;
        }
    }
    if (o.spawn) {
        std::string error;
        QString redisUrl;
        if (o.crossNode) {
            const uint16_t ownerPort = ServerProcess::freePort();
            bool started = redis.start("redis-server", &error);
            redisUrl = QString::fromStdString(redis.url());
            started = started
                    && owner.start(o.server.toStdString(),
                                   serverConfig(o, ownerPort, QStringLiteral("B"), redisUrl)
                                           .toStdString(),
                                   ownerPort, o.serverCpus.toStdString(), &error);
            if (!started) {
                err << "halhub-bench: " << QString::fromStdString(error) << Qt::endl;
                return 1;
            }
        }
        plan.port = ServerProcess::freePort();
        const QByteArray config = o.crossNode
                ? serverConfig(o, plan.port, QStringLiteral("A"), redisUrl, false)
                : serverConfig(o, plan.port);
        if (!process.start(o.server.toStdString(), config.toStdString(), plan.port,
                           o.serverCpus.toStdString(), &error)) {
            err << "halhub-bench: " << QString::fromStdString(error) << Qt::endl;
            return 1;
        }
        serverPid = process.pid();
        for (int i = 1; o.crossNode && i < o.interestedNodes; ++i) {
            auto node = std::make_unique<ServerProcess>();
            const uint16_t port = ServerProcess::freePort();
            const QString name = QString(QLatin1Char(char('B' + i)));
            if (!node->start(o.server.toStdString(),
                             serverConfig(o, port, name, redisUrl, false).toStdString(), port,
                             o.serverCpus.toStdString(), &error)) {
                err << "halhub-bench: " << QString::fromStdString(error) << Qt::endl;
                return 1;
            }
            LoadPlan extra = plan;
            extra.port = port;
            extra.clients = plan.devices;
            extra.streamsPerClient = 1;
            extra.idle = 0;
            extra.threads = 1;
            extraNodes.push_back(std::move(node));
            extraLoads.push_back(std::make_unique<LoadClient>(extra));
        }
        // Let start-up allocations settle before the baseline; across nodes,
        // also let node A hear node B's devices (a few heartbeats).
        std::this_thread::sleep_for(std::chrono::milliseconds(
                o.crossNode ? 500 + 5 * kCrossNodeHeartbeatMs : 500));
    }
    const ProcessSample serverAtStart = serverPid > 0 ? sampleProcess(serverPid) : ProcessSample{};

    LoadClient load(plan);
    load.start();
    for (const auto &extra : extraLoads)
        extra->start();
    const int streamsWanted = plan.clients * plan.streamsPerClient;
    const auto setupDeadline = std::chrono::steady_clock::now()
            + std::chrono::seconds(30 + connections / 200);
    while (std::chrono::steady_clock::now() < setupDeadline) {
        if (load.opened() + load.failed() >= connections && load.streamsSubscribed() >= streamsWanted)
            break;
        if (load.opened() + load.failed() >= connections && load.failed() > 0)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const int opened = load.opened();
    const int subscribed = load.streamsSubscribed();
    if (opened < connections || subscribed < streamsWanted) {
        err << "halhub-bench: set-up incomplete: " << opened << "/" << connections
            << " connections, " << subscribed << "/" << streamsWanted << " streams" << Qt::endl;
    }
    // Memory right after set-up (before warm-up) is what connections cost.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const ProcessSample serverConnected = serverPid > 0 ? sampleProcess(serverPid) : ProcessSample{};
    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmupS));

    const int64_t startUs = LoadClient::wallClockUs();
    const auto durationUs = int64_t(o.durationS * 1e6);
    load.setWindow(startUs, startUs + durationUs);
    const ProcessSample serverBefore = serverPid > 0 ? sampleProcess(serverPid) : ProcessSample{};
    const ProcessSample ownerBefore = o.crossNode ? sampleProcess(owner.pid()) : ProcessSample{};
    const double benchBefore = cpuSecondsOfSelf();
    std::this_thread::sleep_until(std::chrono::system_clock::time_point(
            std::chrono::microseconds(startUs + durationUs)));
    const double benchAfter = cpuSecondsOfSelf();
    const ProcessSample serverAfter = serverPid > 0 ? sampleProcess(serverPid) : ProcessSample{};
    const ProcessSample ownerAfter = o.crossNode ? sampleProcess(owner.pid()) : ProcessSample{};
    const int64_t windowUs = LoadClient::wallClockUs() - startUs;
    // Frames read just after the window's end are not counted anyway.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    load.stop();
    for (const auto &extra : extraLoads)
        extra->stop();
    process.stop();
    for (const auto &node : extraNodes)
        node->stop();
    owner.stop();
    redis.stop();

    LoadResult r = load.results();
    std::sort(r.latenciesUs.begin(), r.latenciesUs.end());
    const double n = double(r.latenciesUs.size());
    const double windowS = double(windowUs) / 1e6;
    const double streamRate = plan.foxglove ? o.deviceRateHz
            : o.spawn ? std::min(plan.rateHz, o.deviceRateHz) : plan.rateHz;
    const double expected = double(streamsWanted) * streamRate * o.durationS;

    QJsonObject out;
    out.insert(QStringLiteral("avg_latency_ms"),
               round3(n > 0 ? std::accumulate(r.latenciesUs.begin(), r.latenciesUs.end(), 0.0)
                                      / n / 1000.0
                            : 0.0));
    out.insert(QStringLiteral("p50_latency_ms"), round3(percentileMs(r.latenciesUs, 0.50)));
    out.insert(QStringLiteral("p95_latency_ms"), round3(percentileMs(r.latenciesUs, 0.95)));
    out.insert(QStringLiteral("p99_latency_ms"), round3(percentileMs(r.latenciesUs, 0.99)));
    out.insert(QStringLiteral("min_latency_ms"),
               round3(n > 0 ? r.latenciesUs.front() / 1000.0 : 0.0));
    out.insert(QStringLiteral("max_latency_ms"),
               round3(n > 0 ? r.latenciesUs.back() / 1000.0 : 0.0));
    out.insert(QStringLiteral("message_count"), qint64(r.frames));
    out.insert(QStringLiteral("throughput_msg_per_sec"), round3(double(r.frames) / windowS));
    out.insert(QStringLiteral("expected_messages"), qint64(std::llround(expected)));
    out.insert(QStringLiteral("delivered_pct"),
               round3(expected > 0 ? 100.0 * double(r.frames) / expected : 0.0));
    out.insert(QStringLiteral("dropped"), qint64(r.dropped));
    if (serverBefore.ok && serverAfter.ok) {
        out.insert(QStringLiteral("server_cpu_pct"),
                   round3(100.0 * (serverAfter.cpuSeconds - serverBefore.cpuSeconds) / windowS));
        out.insert(QStringLiteral("server_rss_kb"), qint64(serverAfter.rssKb));
    } else {
        out.insert(QStringLiteral("server_cpu_pct"), QJsonValue());
        out.insert(QStringLiteral("server_rss_kb"), QJsonValue());
    }
    if (serverAtStart.ok && serverConnected.ok && connections > 0) {
        out.insert(QStringLiteral("server_rss_before_connections_kb"), qint64(serverAtStart.rssKb));
        out.insert(QStringLiteral("server_rss_per_connection_kb"),
                   round3(double(serverConnected.rssKb - serverAtStart.rssKb) / connections));
    }
    if (ownerBefore.ok && ownerAfter.ok) {
        // --cross-node: node B, which owns the devices and publishes their samples.
        out.insert(QStringLiteral("owner_cpu_pct"),
                   round3(100.0 * (ownerAfter.cpuSeconds - ownerBefore.cpuSeconds) / windowS));
        out.insert(QStringLiteral("owner_rss_kb"), qint64(ownerAfter.rssKb));
    }
    out.insert(QStringLiteral("bench_cpu_pct"), round3(100.0 * (benchAfter - benchBefore) / windowS));
    out.insert(QStringLiteral("bench_threads"), plan.threads);
    out.insert(QStringLiteral("connections_open"), opened);
    out.insert(QStringLiteral("connect_failures"), load.failed());
    out.insert(QStringLiteral("streams_subscribed"), subscribed);
    out.insert(QStringLiteral("errors"), qint64(r.errors));
    if (!r.firstError.empty())
        out.insert(QStringLiteral("first_error"), QString::fromStdString(r.firstError));
    out.insert(QStringLiteral("scenario"),
               QJsonObject{{QStringLiteral("clients"), plan.clients},
                           {QStringLiteral("streams_per_client"), plan.streamsPerClient},
                           {QStringLiteral("devices"), plan.devices},
                           {QStringLiteral("rate_hz"), plan.rateHz},
                           {QStringLiteral("device_rate_hz"),
                            o.spawn ? QJsonValue(o.deviceRateHz) : QJsonValue()},
                           {QStringLiteral("protocol"), plan.foxglove ? QStringLiteral("foxglove")
                                                                      : QStringLiteral("halhub")},
                           {QStringLiteral("mode"), QString::fromStdString(plan.mode)},
                           {QStringLiteral("cross_node"), o.crossNode},
                           {QStringLiteral("tls"), plan.tls},
                           {QStringLiteral("interested_nodes"),
                            o.crossNode ? QJsonValue(o.interestedNodes) : QJsonValue()},
                           {QStringLiteral("encoding"), plan.msgpack ? QStringLiteral("msgpack")
                                                                     : QStringLiteral("json")},
                           {QStringLiteral("compression"), plan.compression},
                           {QStringLiteral("duration_s"), o.durationS},
                           {QStringLiteral("idle"), plan.idle},
                           {QStringLiteral("server_cpus"),
                            o.serverCpus.isEmpty() ? QJsonValue() : QJsonValue(o.serverCpus)},
                           {QStringLiteral("server_io_threads"),
                            o.serverIoThreads < 0 ? QJsonValue() : QJsonValue(o.serverIoThreads)}});
    QTextStream(stdout) << QJsonDocument(out).toJson(QJsonDocument::Indented);
    return 0;
}
