// The halhub executable as an operator runs it: command line, config errors,
// default devices, reloading devices on SIGHUP, and a clean shutdown on SIGTERM.

#include "testclient.h"
#include "testtokens.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

QString halhubPath()
{
    return QStringLiteral(HALHUB_BIN_DIR "/halhub");
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// Starts halhub (headless unless told otherwise) and waits for its
// "listening on" line.
bool startHalhub(QProcess &process, const QStringList &args, QUrl *url, bool headless = true)
{
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start(halhubPath(), (headless ? QStringList{QStringLiteral("--headless")} : QStringList())
                                    + args);
    if (!process.waitForStarted(10000))
        return false;
    QByteArray out;
    QElapsedTimer t;
    t.start();
    static const QRegularExpression re(QStringLiteral("listening on (wss?://\\S+)"));
    while (t.elapsed() < 15000) {
        process.waitForReadyRead(100);
        out += process.readAllStandardOutput();
        const QRegularExpressionMatch m = re.match(QString::fromUtf8(out));
        if (m.hasMatch()) {
            *url = QUrl(m.captured(1));
            return true;
        }
        if (process.state() == QProcess::NotRunning)
            return false;
    }
    return false;
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(content) == content.size();
}

QStringList deviceIds(TestClient &client)
{
    QStringList ids;
    const QVariantList devices = client.request({{QStringLiteral("type"), QStringLiteral("list_devices")}})
                                         .value(QStringLiteral("devices")).toList();
    for (const QVariant &d : devices)
        ids.append(d.toMap().value(QStringLiteral("id")).toString());
    ids.sort();
    return ids;
}

bool isEvent(const QVariantMap &m, const QString &event, const QString &device = QString())
{
    return m.value(QStringLiteral("type")) == QLatin1String("event")
           && m.value(QStringLiteral("event")) == event
           && (device.isEmpty() || m.value(QStringLiteral("device")) == device);
}

} // namespace

class tst_App : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versionAndHelp();
    void badConfigExitsWithCode2_data();
    void badConfigExitsWithCode2();
    void unknownDeviceKeyExitsWithCode2();
    void mismatchedTlsKeyExitsWithCode2();
    void refusesNonLoopbackWithoutAuth();
    void defaultDevicesAndSigtermShutdown();
    void withoutADisplayItRunsHeadless();
    void sighupReloadsDevices();
    void withTheWindowItStreamsReloadsAndStops();
};

void tst_App::versionAndHelp()
{
    QProcess p;
    p.start(halhubPath(), {QStringLiteral("--version")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains(HALHUB_VERSION));

    p.start(halhubPath(), {QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(10000));
    const QByteArray help = p.readAllStandardOutput();
    for (const char *option : {"--config", "--host", "--port", "--headless", "--simulate",
                               "--insecure", "--list-ports"})
        QVERIFY2(help.contains(option), option);
}

void tst_App::badConfigExitsWithCode2_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::addRow("not json") << QByteArray("{ nope") << QStringLiteral("halhub.json");
    QTest::addRow("wrong type names the key")
        << QByteArray(R"({"server": {"port": "eighty"}})") << QStringLiteral("server.port");
    QTest::addRow("unknown plugin names the device")
        << QByteArray(R"({"devices": [{"id": "x1", "plugin": "warpdrive"}]})")
        << QStringLiteral("warpdrive");
    QTest::addRow("plugin rejects a setting")
        << QByteArray(R"({"devices": [{"id": "s", "plugin": "sim", "rate_hz": 5000}]})")
        << QStringLiteral("rate_hz");
    QTest::addRow("missing TLS certificate")
        << QByteArray(R"({"server": {"tls": {"cert": "nowhere.pem", "key": "nowhere.key"}}})")
        << QStringLiteral("nowhere.pem");
    QTest::addRow("auth without a readable key")
        << QByteArray(R"({"auth": {"required": true, "jwt_public_key_file": "absent.pem"}})")
        << QStringLiteral("absent.pem");
}

void tst_App::badConfigExitsWithCode2()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
    f.close();

    QProcess p;
    p.start(halhubPath(), {QStringLiteral("--headless"), QStringLiteral("--config"), file});
    QVERIFY(p.waitForFinished(15000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains(expected), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("halhub.json")), qPrintable(err));
}

void tst_App::unknownDeviceKeyExitsWithCode2()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    QVERIFY(writeFile(file, R"({"devices": [{"id": "sim0", "plugin": "sim", "rate_hz": 5},
                                            {"id": "sim1", "plugin": "sim", "poll_hzz": 5}]})"));
    QProcess p;
    p.start(halhubPath(), {QStringLiteral("--headless"), QStringLiteral("--config"), file,
                           QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(p.waitForFinished(15000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    // The file, the entry by index and id, the key, and what the plugin takes.
    const QString expected = file + QStringLiteral(": devices[1].poll_hzz: unknown key of "
                                                   "device 'sim1' (plugin sim), expected one "
                                                   "of: id, plugin, name, rate_hz");
    QVERIFY2(err.contains(expected), qPrintable(err));
    QVERIFY2(p.readAllStandardOutput().isEmpty(), "nothing was served");
}

void tst_App::mismatchedTlsKeyExitsWithCode2()
{
    QTemporaryDir dir;
    const QString keysError = testtokens::makeKeys(dir);
    QVERIFY2(keysError.isEmpty(), qPrintable(keysError));
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    // ec.key is a P-256 key like cert.key, but not the certificate's.
    QVERIFY(writeFile(file, R"({"server": {"port": 0, "tls": {"cert": "cert.pem", "key": "ec.key"}}})"));
    QProcess p;
    p.start(halhubPath(), {QStringLiteral("--headless"), QStringLiteral("--config"), file});
    QVERIFY(p.waitForFinished(15000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains(file + QStringLiteral(": server.tls.key does not match server.tls.cert")),
             qPrintable(err));
    QVERIFY2(err.contains(dir.filePath(QStringLiteral("ec.key"))), qPrintable(err));

    // The certificate's own key serves wss://.
    QVERIFY(writeFile(file, R"({"server": {"port": 0, "tls": {"cert": "cert.pem", "key": "cert.key"}}})"));
    QProcess served;
    QUrl url;
    QVERIFY(startHalhub(served, {QStringLiteral("--config"), file}, &url));
    QCOMPARE(url.scheme(), QStringLiteral("wss"));
    TestClient client;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(dir.filePath(QStringLiteral("cert.pem"))));
    client.socket().setSslConfiguration(ssl);
    QVERIFY(client.open(url));
    QCOMPARE(client.request({{QStringLiteral("type"), QStringLiteral("ping")}})
                 .value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    QCOMPARE(::kill(pid_t(served.processId()), SIGTERM), 0);
    QVERIFY(served.state() == QProcess::NotRunning || served.waitForFinished(5000));
    QCOMPARE(served.exitCode(), 0);
}

void tst_App::refusesNonLoopbackWithoutAuth()
{
    QProcess p;
    p.start(halhubPath(), {QStringLiteral("--headless"), QStringLiteral("--host"),
                           QStringLiteral("0.0.0.0"), QStringLiteral("--port"),
                           QString::number(freePort())});
    QVERIFY(p.waitForFinished(15000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("--insecure"));
}

void tst_App::defaultDevicesAndSigtermShutdown()
{
    QProcess p;
    QUrl url;
    QVERIFY(startHalhub(p, {QStringLiteral("--port"), QString::number(freePort()),
                            QStringLiteral("--simulate"), QStringLiteral("1")}, &url));
    QCOMPARE(url.path(), QStringLiteral("/ws/hardware"));

    TestClient client;
    QVERIFY(client.open(url));
    const QVariantList devices = client.request({{QStringLiteral("type"), QStringLiteral("list_devices")}})
                                     .value(QStringLiteral("devices")).toList();
    QStringList ids;
    for (const QVariant &d : devices)
        ids.append(d.toMap().value(QStringLiteral("id")).toString());
    QCOMPARE(ids, (QStringList{QStringLiteral("sim0"), QStringLiteral("sim1"), QStringLiteral("sim2")}));

    // A wrong path is refused before the upgrade.
    TestClient stray;
    QUrl wrong = url;
    wrong.setPath(QStringLiteral("/elsewhere"));
    QVERIFY(!stray.open(wrong, 3000));

    QElapsedTimer t;
    t.start();
    ::kill(pid_t(p.processId()), SIGTERM);
    const QVariantMap bye = client.waitForEvent(QStringLiteral("server_shutdown"), 3000);
    QVERIFY(!bye.isEmpty());
    QVERIFY(client.waitForClose(3000));
    QCOMPARE(client.closeCode(), 1001);
    QVERIFY(t.elapsed() < 1500);
    // waitForFinished() is false for a process that already ended.
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(5000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, p.readAllStandardError().constData());
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(t.elapsed() < 5000);
}

void tst_App::withoutADisplayItRunsHeadless()
{
    // As over SSH: no display, no Qt platform, no --headless.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    QUrl url;
    QVERIFY(startHalhub(p, {QStringLiteral("--port"), QString::number(freePort())}, &url, false));
    TestClient client;
    QVERIFY(client.open(url));
    QCOMPARE(client.request({{QStringLiteral("type"), QStringLiteral("ping")}})
                 .value(QStringLiteral("type")).toString(),
             QStringLiteral("pong"));
    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(5000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(err.count(QStringLiteral("running headless")), 1);
}

void tst_App::sighupReloadsDevices()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    QVERIFY(writeFile(file, R"({"devices": [{"id": "keep0", "plugin": "sim", "rate_hz": 50},
                                            {"id": "tune0", "plugin": "sim", "rate_hz": 50},
                                            {"id": "gone0", "plugin": "sim", "rate_hz": 50}]})"));
    QProcess p;
    QUrl url;
    QVERIFY(startHalhub(p, {QStringLiteral("--config"), file, QStringLiteral("--port"),
                            QString::number(freePort())}, &url));
    QByteArray err;
    auto stderrHas = [&](const char *text, int times) {
        err += p.readAllStandardError();
        return err.count(text) >= times;
    };

    TestClient client;
    QVERIFY(client.open(url));
    QCOMPARE(deviceIds(client), (QStringList{QStringLiteral("gone0"), QStringLiteral("keep0"),
                                             QStringLiteral("tune0")}));
    auto subscribe = [&](const QString &device) {
        return client.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                               {QStringLiteral("device"), device}})
                .value(QStringLiteral("stream")).toString();
    };
    const QString goneStream = subscribe(QStringLiteral("gone0"));
    const QString keepStream = subscribe(QStringLiteral("keep0"));
    const QString tuneStream = subscribe(QStringLiteral("tune0"));
    QVERIFY(!goneStream.isEmpty() && !keepStream.isEmpty() && !tuneStream.isEmpty());
    auto frameOf = [](const QString &stream) {
        return [stream](const QVariantMap &m) {
            return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
                   && m.value(QStringLiteral("stream")) == stream;
        };
    };
    QVERIFY(!client.waitFor(frameOf(goneStream)).isEmpty());

    // gone0 leaves, fresh0 arrives, tune0 changes, keep0 is the same entry.
    QVERIFY(writeFile(file, R"({"devices": [{"id": "keep0", "plugin": "sim", "rate_hz": 50},
                                            {"id": "tune0", "plugin": "sim", "rate_hz": 25},
                                            {"id": "fresh0", "plugin": "sim", "rate_hz": 20}]})"));
    const qsizetype before = client.received().size();
    QCOMPARE(::kill(pid_t(p.processId()), SIGHUP), 0);

    qsizetype closedAt = -1, removedAt = -1, addedAt = -1;
    const QVariantMap closed = client.waitFor([&](const QVariantMap &m) {
        return isEvent(m, QStringLiteral("stream_closed"))
               && m.value(QStringLiteral("stream")) == goneStream;
    }, 5000, before, &closedAt);
    QVERIFY2(!closed.isEmpty(), "no stream_closed for the removed device's stream");
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("device_removed"), QStringLiteral("gone0"));
            }, 5000, before, &removedAt).isEmpty());
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("device_added"), QStringLiteral("fresh0"));
            }, 5000, before, &addedAt).isEmpty());
    QVERIFY2(closedAt < removedAt, "stream_closed must come before device_removed");
    QVERIFY2(removedAt < addedAt, "device_added must follow device_removed");

    // A changed entry is removed and added again, its streams closed.
    qsizetype tuneClosedAt = -1, tuneRemovedAt = -1, tuneAddedAt = -1;
    QVERIFY(!client.waitFor([&](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("stream_closed"))
                       && m.value(QStringLiteral("stream")) == tuneStream;
            }, 5000, before, &tuneClosedAt).isEmpty());
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("device_removed"), QStringLiteral("tune0"));
            }, 5000, before, &tuneRemovedAt).isEmpty());
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("device_added"), QStringLiteral("tune0"));
            }, 5000, before, &tuneAddedAt).isEmpty());
    QVERIFY(tuneClosedAt < tuneRemovedAt && tuneRemovedAt < tuneAddedAt);
    QTRY_VERIFY_WITH_TIMEOUT(stderrHas("devices reloaded", 1), 5000);

    // Nothing of the closed stream follows its stream_closed; the kept
    // device's stream goes on; the unchanged device was not touched.
    const qsizetype afterEvents = client.received().size();
    QVERIFY(!client.waitFor(frameOf(keepStream), 5000, afterEvents).isEmpty());
    for (qsizetype i = closedAt + 1; i < client.received().size(); ++i)
        QVERIFY(!frameOf(goneStream)(client.received().at(i).message));
    for (qsizetype i = before; i < client.received().size(); ++i) {
        const QVariantMap &m = client.received().at(i).message;
        QVERIFY2(!(isEvent(m, QStringLiteral("device_removed"), QStringLiteral("keep0"))
                   || (isEvent(m, QStringLiteral("stream_closed"))
                       && m.value(QStringLiteral("stream")) == keepStream)),
                 "an unchanged device was reloaded");
    }
    const QStringList reloaded{QStringLiteral("fresh0"), QStringLiteral("keep0"),
                               QStringLiteral("tune0")};
    QCOMPARE(deviceIds(client), reloaded);
    for (const auto &[device, rate] : {std::pair{QStringLiteral("fresh0"), 20.0},
                                       std::pair{QStringLiteral("tune0"), 25.0}}) {
        const QVariantMap sub = client.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                                {QStringLiteral("device"), device}});
        QCOMPARE(sub.value(QStringLiteral("rate_hz")).toDouble(), rate);
    }

    // A broken file changes nothing: neither one that is not JSON nor one
    // naming a plugin that does not exist.
    const QList<QByteArray> broken{
            QByteArray(R"({"devices": [{"id": "keep0", "plugin": "sim"}, )"),
            QByteArray(R"({"devices": [{"id": "warp0", "plugin": "warpdrive"}]})"),
            QByteArray(R"({"devices": [{"id": "keep0", "plugin": "sim", "rate_hz": 50},
                                       {"id": "tune0", "plugin": "sim", "rate_hz": 25},
                                       {"id": "fresh0", "plugin": "sim", "rate_hz": 20,
                                        "rate_hzz": 5}]})")};
    int refusals = 0;
    for (const QByteArray &content : broken) {
        QVERIFY(writeFile(file, content));
        const qsizetype mark = client.received().size();
        QCOMPARE(::kill(pid_t(p.processId()), SIGHUP), 0);
        ++refusals;
        QTRY_VERIFY_WITH_TIMEOUT(stderrHas("reload refused", refusals), 5000);
        QCOMPARE(deviceIds(client), reloaded);
        for (qsizetype i = mark; i < client.received().size(); ++i) {
            const QVariantMap &m = client.received().at(i).message;
            QVERIFY2(!isEvent(m, QStringLiteral("device_removed"))
                             && !isEvent(m, QStringLiteral("device_added"))
                             && !isEvent(m, QStringLiteral("stream_closed")),
                     qPrintable(m.value(QStringLiteral("event")).toString()));
        }
    }
    QVERIFY2(err.contains("warpdrive"), err.constData());
    QVERIFY2(err.contains("devices[2].rate_hzz: unknown key of device 'fresh0'"), err.constData());

    // Still serving: a new connection gets live frames of the new device.
    TestClient late;
    QVERIFY(late.open(url));
    const QString lateStream = late.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                             {QStringLiteral("device"), QStringLiteral("fresh0")}})
                                       .value(QStringLiteral("stream")).toString();
    QVERIFY(!lateStream.isEmpty());
    QVERIFY(!late.waitFor(frameOf(lateStream)).isEmpty());

    QCOMPARE(::kill(pid_t(p.processId()), SIGTERM), 0);
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(5000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
}

void tst_App::withTheWindowItStreamsReloadsAndStops()
{
    // The monitor window open (offscreen), as on a desktop: clients still get
    // their frames, a reload that takes away the plotted device leaves the
    // window standing, and SIGTERM ends it all cleanly.
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    QVERIFY(writeFile(file, R"({"devices": [{"id": "plot0", "plugin": "sim", "rate_hz": 100},
                                            {"id": "keep0", "plugin": "sim", "rate_hz": 50}]})"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // The window's layout is saved on the way out: into the test's directory.
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    p.setProcessEnvironment(env);
    QUrl url;
    QVERIFY(startHalhub(p, {QStringLiteral("--config"), file, QStringLiteral("--port"),
                            QString::number(freePort())}, &url, false));

    TestClient client;
    QVERIFY(client.open(url));
    const QString stream = client.request({{QStringLiteral("type"), QStringLiteral("subscribe")},
                                           {QStringLiteral("device"), QStringLiteral("keep0")}})
                               .value(QStringLiteral("stream")).toString();
    QVERIFY(!stream.isEmpty());
    const auto frameAfter = [&](qsizetype from) {
        return client.waitFor([&](const QVariantMap &m) {
            return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
                   && m.value(QStringLiteral("stream")) == stream;
        }, 5000, from);
    };
    QVERIFY(!frameAfter(0).isEmpty());

    QVERIFY(writeFile(file, R"({"devices": [{"id": "keep0", "plugin": "sim", "rate_hz": 50}]})"));
    const qsizetype before = client.received().size();
    QCOMPARE(::kill(pid_t(p.processId()), SIGHUP), 0);
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
                return isEvent(m, QStringLiteral("device_removed"), QStringLiteral("plot0"));
            }, 5000, before).isEmpty());
    // Still streaming after the window dropped the plotted device.
    QVERIFY(!frameAfter(client.received().size()).isEmpty());
    QCOMPARE(p.state(), QProcess::Running);

    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(!client.waitForEvent(QStringLiteral("server_shutdown"), 5000).isEmpty());
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(10000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, p.readAllStandardError().constData());
    QCOMPARE(p.exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_App)
#include "tst_app.moc"
