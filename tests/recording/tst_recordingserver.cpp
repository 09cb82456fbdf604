// Recording through the protocol (record_start, record_stop,
// list_recordings) on a real server with sim devices: the file holds every
// sample and the values a streaming client saw; scopes, audit records,
// metrics and every refusal; and a halhub killed with -9 mid-recording
// leaves a file that opens with its data.

#include "h5check.h"

#include "config/config.h"
#include "recording/recorder.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"
#include "testtokens.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

const char kSecret[] = "recording-test-secret";

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

QString errorCode(const QVariantMap &reply)
{
    return reply.value(QStringLiteral("type")) == QLatin1String("error")
        ? reply.value(QStringLiteral("code")).toString()
        : QStringLiteral("(%1)").arg(reply.value(QStringLiteral("type")).toString());
}

QJsonObject channelOf(const QJsonObject &dump, const QString &device, const QString &channel)
{
    return dump.value(QStringLiteral("devices")).toObject().value(device).toObject()
        .value(QStringLiteral("channels")).toObject().value(channel).toObject();
}

} // namespace

class TstRecordingServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void config();
    void recordsWhatClientsSee();
    void refusals();
    void scopesAndAudit();
    void survivesKill9_data();
    void survivesKill9();
};

void TstRecordingServer::config()
{
    using halhub::parseConfig;
    halhub::ConfigError error;
    const halhub::PluginKeys plugins{{QStringLiteral("replay"), {QStringLiteral("id"), QStringLiteral("plugin"), QStringLiteral("file"), QStringLiteral("device")}}};
    // Default and given dirs are the config file's folder's.
    auto config = parseConfig(R"({"devices": []})", QStringLiteral("/lab/conf/halhub.json"), plugins, &error);
    QVERIFY(config);
    QCOMPARE(config->recording.dir, QStringLiteral("/lab/conf/recordings"));
    config = parseConfig(R"({"recording": {"dir": "runs"}, "devices": [
                             {"id": "r", "plugin": "replay", "file": "a.h5", "device": "sim0"},
                             {"id": "s", "plugin": "replay", "file": "/data/b.h5", "device": "sim0"}]})",
                         QStringLiteral("/lab/conf/halhub.json"), plugins, &error);
    QVERIFY2(config, qPrintable(error.toString()));
    QCOMPARE(config->recording.dir, QStringLiteral("/lab/conf/runs"));
    // A replay file is a file of the recording directory, unless absolute.
    QCOMPARE(config->devices.at(0).settings.value(QStringLiteral("file")).toString(), QStringLiteral("/lab/conf/runs/a.h5"));
    QCOMPARE(config->devices.at(1).settings.value(QStringLiteral("file")).toString(), QStringLiteral("/data/b.h5"));

    QVERIFY(!parseConfig(R"({"recording": {"folder": "x"}})", QStringLiteral("h.json"), plugins, &error));
    QCOMPARE(error.key, QStringLiteral("recording.folder"));
    QVERIFY(!parseConfig(R"({"recording": {"dir": 3}})", QStringLiteral("h.json"), plugins, &error));
    QCOMPARE(error.key, QStringLiteral("recording.dir"));
    QVERIFY(!parseConfig(R"({"recording": {"dir": ""}})", QStringLiteral("h.json"), plugins, &error));
    QVERIFY(!parseConfig(R"({"recording": []})", QStringLiteral("h.json"), plugins, &error));
    QCOMPARE(error.key, QStringLiteral("recording"));
}

void TstRecordingServer::recordsWhatClientsSee()
{
    QTemporaryDir dir;
    halhub::Config config = TestServer::simConfig(2, 200);
    config.recording.dir = dir.filePath(QStringLiteral("rec"));
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    QVERIFY(client.open(server.url()));
    const QVariantMap sub = client.request(msg(QStringLiteral("subscribe"), {{QStringLiteral("device"), QStringLiteral("sim0")}}));
    QCOMPARE(sub.value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));

    const QVariantMap started = client.request(msg(QStringLiteral("record_start"),
                                                   {{QStringLiteral("devices"), QVariantList{QStringLiteral("sim0")}},
                                                    {QStringLiteral("name"), QStringLiteral("srv1")}}));
    QCOMPARE(started.value(QStringLiteral("type")).toString(), QStringLiteral("recording"));
    QCOMPARE(started.value(QStringLiteral("recording")).toString(), QStringLiteral("srv1"));
    QCOMPARE(started.value(QStringLiteral("file")).toString(), QStringLiteral("srv1.h5"));
    QCOMPARE(started.value(QStringLiteral("devices")).toList(), QVariantList{QStringLiteral("sim0")});
    const qsizetype from = client.received().size();
    const auto frames = [&] {
        QList<QVariantMap> list;
        for (qsizetype i = from; i < client.received().size(); ++i) {
            if (client.received().at(i).message.value(QStringLiteral("type")) == QLatin1String("telemetry"))
                list << client.received().at(i).message;
        }
        return list;
    };
    QTRY_VERIFY_WITH_TIMEOUT(frames().size() >= 200, 20000);

    QVariantMap list = client.request(msg(QStringLiteral("list_recordings")));
    QCOMPARE(list.value(QStringLiteral("type")).toString(), QStringLiteral("recordings"));
    QVariantMap entry = list.value(QStringLiteral("recordings")).toList().value(0).toMap();
    QCOMPARE(entry.value(QStringLiteral("name")).toString(), QStringLiteral("srv1"));
    QVERIFY(entry.contains(QStringLiteral("ended")) && entry.value(QStringLiteral("ended")).isNull());
    QVERIFY(entry.value(QStringLiteral("started")).toLongLong() > 0);

    const QVariantMap stopped = client.request(msg(QStringLiteral("record_stop"), {{QStringLiteral("recording"), QStringLiteral("srv1")}}));
    QCOMPARE(stopped.value(QStringLiteral("type")).toString(), QStringLiteral("recorded"));
    QCOMPARE(stopped.value(QStringLiteral("file")).toString(), QStringLiteral("srv1.h5"));
    const qint64 samples = stopped.value(QStringLiteral("samples")).toMap().value(QStringLiteral("sim0")).toLongLong();
    QVERIFY(samples >= 200);
    const QList<QVariantMap> seen = frames();

    const QString file = dir.filePath(QStringLiteral("rec/srv1.h5"));
    const QJsonObject dump = h5check({QStringLiteral("dump"), file});
    QCOMPARE(dump.value(QStringLiteral("devices")).toObject().keys(), QStringList{QStringLiteral("sim0")});
    const QJsonObject sine = channelOf(dump, QStringLiteral("sim0"), QStringLiteral("sine"));
    const QJsonArray ts = sine.value(QStringLiteral("ts")).toArray();
    QCOMPARE(qint64(ts.size()), samples);
    QHash<qint64, int> at;
    for (int i = 0; i < ts.size(); ++i) {
        const qint64 t = qint64(ts.at(i).toDouble());
        if (i > 0)
            QVERIFY(t >= qint64(ts.at(i - 1).toDouble()));
        at.insert(t, i);
    }
    // Every frame seen between the file's first and last sample is in it,
    // with the very values the client got.
    const qint64 first = qint64(ts.first().toDouble());
    const qint64 last = qint64(ts.last().toDouble());
    int compared = 0;
    for (const QVariantMap &frame : seen) {
        const qint64 t = frame.value(QStringLiteral("ts")).toLongLong();
        if (t < first || t > last)
            continue;
        QVERIFY2(at.contains(t), qPrintable(QString::number(t)));
        const QVariantMap values = frame.value(QStringLiteral("values")).toMap();
        for (const QString &channel : {QStringLiteral("sine"), QStringLiteral("ramp"), QStringLiteral("noise"), QStringLiteral("step")}) {
            const QJsonArray recorded = channelOf(dump, QStringLiteral("sim0"), channel).value(QStringLiteral("values")).toArray();
            QCOMPARE(recorded.at(at.value(t)).toDouble(), values.value(channel).toDouble());
        }
        ++compared;
    }
    QVERIFY2(compared >= 150, qPrintable(QString::number(compared)));

    list = client.request(msg(QStringLiteral("list_recordings")));
    entry = list.value(QStringLiteral("recordings")).toList().value(0).toMap();
    QVERIFY(entry.value(QStringLiteral("ended")).toLongLong() >= entry.value(QStringLiteral("started")).toLongLong());
    QCOMPARE(entry.value(QStringLiteral("bytes")).toLongLong(), QFileInfo(file).size());
    QCOMPARE(entry.value(QStringLiteral("devices")).toList(), QVariantList{QStringLiteral("sim0")});

    const QVariantMap metrics = client.request(msg(QStringLiteral("get_metrics")));
    const QVariantMap recording = metrics.value(QStringLiteral("recording")).toMap();
    QCOMPARE(recording.value(QStringLiteral("samples_written")).toLongLong(), samples);
    QCOMPARE(recording.value(QStringLiteral("lost")).toLongLong(), 0);
    QCOMPARE(recording.value(QStringLiteral("active")).toLongLong(), 0);
    const QByteArray prometheus = server.server().prometheusText();
    QVERIFY(prometheus.contains("halhub_recording_samples_written_total " + QByteArray::number(samples)));
    QVERIFY(prometheus.contains("halhub_recording_lost_total 0"));
    QVERIFY(prometheus.contains("halhub_recording_queue_depth "));
    QVERIFY(prometheus.contains("halhub_recording_bytes "));
}

void TstRecordingServer::refusals()
{
    QTemporaryDir dir;
    halhub::Config config = TestServer::simConfig(1, 100);
    config.recording.dir = dir.path();
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));
    TestClient client;
    QVERIFY(client.open(server.url()));
    const auto start = [&](const QVariantMap &fields) {
        return errorCode(client.request(msg(QStringLiteral("record_start"), fields)));
    };
    QCOMPARE(start({{QStringLiteral("name"), QStringLiteral("a/b")}}), QStringLiteral("invalid_params"));
    QCOMPARE(start({{QStringLiteral("name"), QStringLiteral("")}}), QStringLiteral("invalid_params"));
    QCOMPARE(start({{QStringLiteral("name"), 12}}), QStringLiteral("invalid_params"));
    QCOMPARE(start({{QStringLiteral("devices"), QVariantList{}}}), QStringLiteral("invalid_params"));
    QCOMPARE(start({{QStringLiteral("devices"), QVariantList{1}}}), QStringLiteral("invalid_params"));
    QCOMPARE(start({{QStringLiteral("devices"), QVariantList{QStringLiteral("nope")}}}), QStringLiteral("unknown_device"));
    QCOMPARE(start({{QStringLiteral("name"), QStringLiteral("one")}}), QStringLiteral("(recording)"));
    QCOMPARE(start({{QStringLiteral("name"), QStringLiteral("one")}}), QStringLiteral("invalid_params"));
    // Null counts as absent: the default name and every device.
    const QVariantMap defaulted = client.request(msg(QStringLiteral("record_start"),
                                                     {{QStringLiteral("name"), QVariant::fromValue(nullptr)}}));
    QVERIFY(defaulted.value(QStringLiteral("recording")).toString().startsWith(QStringLiteral("halhub-")));
    QCOMPARE(defaulted.value(QStringLiteral("devices")).toList(), QVariantList{QStringLiteral("sim0")});
    const auto stop = [&](const QVariantMap &fields) {
        return errorCode(client.request(msg(QStringLiteral("record_stop"), fields)));
    };
    QCOMPARE(stop({}), QStringLiteral("invalid_params"));
    QCOMPARE(stop({{QStringLiteral("recording"), QStringLiteral("nope")}}), QStringLiteral("not_found"));
    QCOMPARE(stop({{QStringLiteral("recording"), QStringLiteral("one")}}), QStringLiteral("(recorded)"));
    QCOMPARE(stop({{QStringLiteral("recording"), QStringLiteral("one")}}), QStringLiteral("not_found"));
}

void TstRecordingServer::scopesAndAudit()
{
    QTemporaryDir dir;
    halhub::Config config = TestServer::simConfig(1, 100);
    config.recording.dir = dir.path();
    config.auth.required = true;
    config.auth.jwtSecret = QString::fromLatin1(kSecret);
    config.auth.auditLog = dir.filePath(QStringLiteral("audit.jsonl"));
    TestServer server(config);
    QVERIFY2(server.start(), qPrintable(server.error()));

    const auto connectAs = [&](TestClient &client, const QString &sub, const QString &scope) {
        QVERIFY(client.open(server.url()));
        const QByteArray token = testtokens::hmac("HS256", kSecret, testtokens::claims(sub, scope));
        const QVariantMap welcome = client.request(msg(QStringLiteral("hello"), {{QStringLiteral("token"), QString::fromLatin1(token)}}));
        QCOMPARE(welcome.value(QStringLiteral("type")).toString(), QStringLiteral("welcome"));
    };
    TestClient reader;
    connectAs(reader, QStringLiteral("viewer"), QStringLiteral("telemetry:read commands:write"));
    QCOMPARE(errorCode(reader.request(msg(QStringLiteral("record_start"), {{QStringLiteral("name"), QStringLiteral("nope")}}))),
             QStringLiteral("forbidden"));
    QCOMPARE(errorCode(reader.request(msg(QStringLiteral("record_stop"), {{QStringLiteral("recording"), QStringLiteral("x")}}))),
             QStringLiteral("forbidden"));
    QCOMPARE(errorCode(reader.request(msg(QStringLiteral("list_recordings")))), QStringLiteral("(recordings)"));
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("nope.h5"))));

    TestClient admin;
    connectAs(admin, QStringLiteral("boss"), QStringLiteral("admin"));
    QCOMPARE(errorCode(admin.request(msg(QStringLiteral("record_start"), {{QStringLiteral("name"), QStringLiteral("audited")}}))),
             QStringLiteral("(recording)"));
    QCOMPARE(errorCode(admin.request(msg(QStringLiteral("record_stop"), {{QStringLiteral("recording"), QStringLiteral("audited")}}))),
             QStringLiteral("(recorded)"));

    // Both requests, allowed and refused, are in the audit log.
    QStringList lines;
    QTRY_VERIFY_WITH_TIMEOUT((lines = QString::fromUtf8(testtokens::readFile(config.auth.auditLog)).split(QLatin1Char('\n'), Qt::SkipEmptyParts)).size() >= 4, 5000);
    const QString all = lines.join(QLatin1Char('\n'));
    const auto has = [&all](const QString &user, const QString &command, const QString &status) {
        static const QString pattern = QStringLiteral("\"command\":\"%1\"");
        for (const QString &line : all.split(QLatin1Char('\n'))) {
            if (line.contains(QStringLiteral("\"user\":\"%1\"").arg(user)) && line.contains(pattern.arg(command))
                && line.contains(QStringLiteral("\"status\":\"%1\"").arg(status)))
                return true;
        }
        return false;
    };
    QVERIFY2(has(QStringLiteral("viewer"), QStringLiteral("record_start"), QStringLiteral("forbidden")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("viewer"), QStringLiteral("record_stop"), QStringLiteral("forbidden")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("boss"), QStringLiteral("record_start"), QStringLiteral("ok")), qPrintable(all));
    QVERIFY2(has(QStringLiteral("boss"), QStringLiteral("record_stop"), QStringLiteral("ok")), qPrintable(all));
}

void TstRecordingServer::survivesKill9_data()
{
    QTest::addColumn<bool>("kill");
    QTest::addRow("kill -9: the file opens with what was flushed") << true;
    QTest::addRow("SIGTERM: the recording ends with the server") << false;
}

void TstRecordingServer::survivesKill9()
{
    QFETCH(bool, kill);
    QTemporaryDir dir;
    QFile config(dir.filePath(QStringLiteral("halhub.json")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(R"({"server": {"port": 0}, "recording": {"dir": "rec"},
                     "devices": [{"id": "fast", "plugin": "sim", "rate_hz": 500}]})");
    config.close();
    QProcess halhub;
    halhub.setProcessChannelMode(QProcess::MergedChannels);
    halhub.start(QStringLiteral(HALHUB_BIN_DIR "/halhub"),
                 {QStringLiteral("--headless"), QStringLiteral("--config"), config.fileName()});
    QVERIFY(halhub.waitForStarted(10000));
    QByteArray out;
    static const QRegularExpression listening(QStringLiteral("listening on (ws://\\S+)"));
    QUrl url;
    QVERIFY(QTest::qWaitFor([&] {
        out += halhub.readAll();
        const QRegularExpressionMatch m = listening.match(QString::fromUtf8(out));
        if (m.hasMatch())
            url = QUrl(m.captured(1));
        return m.hasMatch() || halhub.state() == QProcess::NotRunning;
    }, 20000));
    QVERIFY2(url.isValid(), out.constData());
    TestClient client;
    QVERIFY(client.open(url));
    QCOMPARE(errorCode(client.request(msg(QStringLiteral("record_start"), {{QStringLiteral("name"), QStringLiteral("cut")}}))),
             QStringLiteral("(recording)"));
    // Wait until a flush has put a good part of a second on the disk.
    const QString file = dir.filePath(QStringLiteral("rec/cut.h5"));
    qint64 firstBytes = -1;
    QVERIFY(QTest::qWaitFor([&] {
        const QVariantList list = client.request(msg(QStringLiteral("list_recordings"))).value(QStringLiteral("recordings")).toList();
        const qint64 bytes = list.value(0).toMap().value(QStringLiteral("bytes")).toLongLong();
        if (firstBytes < 0)
            firstBytes = bytes;
        return bytes > firstBytes + 8000;
    }, 20000));
    if (kill)
        halhub.kill();      // SIGKILL: no chance to close the file
    else
        halhub.terminate();
    QVERIFY(halhub.waitForFinished(10000));
    QCOMPARE(halhub.exitStatus(), kill ? QProcess::CrashExit : QProcess::NormalExit);

    const QJsonObject dump = h5check({QStringLiteral("dump"), file});
    QVERIFY2(!dump.contains(QStringLiteral("error")), qPrintable(dump.value(QStringLiteral("error")).toString()));
    const qint64 ended = qint64(dump.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("ended")).toDouble());
    if (kill) {
        QCOMPARE(ended, 0);
    } else {
        QVERIFY(ended > qint64(dump.value(QStringLiteral("attrs")).toObject().value(QStringLiteral("started")).toDouble()));
        // Closed cleanly: the HDF5 tools open it as any file.
        QVERIFY(h5tool(QStringLiteral("h5ls"), {QStringLiteral("-r"), file}).contains(QStringLiteral("/fast/ramp/value")));
        const QJsonObject sine = channelOf(dump, QStringLiteral("fast"), QStringLiteral("sine"));
        QCOMPARE(sine.value(QStringLiteral("values")).toArray().size(), sine.value(QStringLiteral("ts")).toArray().size());
    }
    const QJsonObject ramp = channelOf(dump, QStringLiteral("fast"), QStringLiteral("ramp"));
    const qsizetype n = ramp.value(QStringLiteral("ts")).toArray().size();
    QVERIFY2(n >= 100, qPrintable(QString::number(n)));
    QVERIFY(ramp.value(QStringLiteral("values")).toArray().size() >= n);
    QVERIFY(qint64(ramp.value(QStringLiteral("ts")).toArray().at(n - 1).toDouble()) > 0);
}

QTEST_GUILESS_MAIN(TstRecordingServer)
#include "tst_recordingserver.moc"
