// The halhub executable as an operator runs it: command line, config errors,
// default devices, and a clean shutdown on SIGTERM.

#include "testclient.h"

#include <QProcess>
#include <QRegularExpression>
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

// Starts halhub headless and waits for its "listening on" line.
bool startHalhub(QProcess &process, const QStringList &args, QUrl *url)
{
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start(halhubPath(), QStringList{QStringLiteral("--headless")} + args);
    if (!process.waitForStarted(10000))
        return false;
    QByteArray out;
    QElapsedTimer t;
    t.start();
    static const QRegularExpression re(QStringLiteral("listening on (ws://\\S+)"));
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

} // namespace

class tst_App : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versionAndHelp();
    void badConfigExitsWithCode2_data();
    void badConfigExitsWithCode2();
    void refusesNonLoopbackWithoutAuth();
    void defaultDevicesAndSigtermShutdown();
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

QTEST_GUILESS_MAIN(tst_App)
#include "tst_app.moc"
