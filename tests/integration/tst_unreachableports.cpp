// What an operator sees of a serial device whose port cannot be opened (the
// port is missing, or the user may not open it): the reason in `devices`,
// one device_error and one warning per reason (never one per retry), a
// command that says why, and the metrics (halhub_device_up, /healthz
// degraded). The real server, the real HAL with the scpi plugin, ptys.
//
// "Permission denied" is real: the refused pty is chmod 000; when the test
// runs as root (who may open anything), it lowers its effective uid to
// nobody for as long as that port is tried, so the kernel refuses it.

#include "halmanager.h"
#include "ptypeer.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QDir>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace halhub;

namespace {

constexpr uid_t kNobody = 65534;    // nobody, and nogroup

QStringList g_log;                      // warnings of halhub.hal, debug of halhub.hal.serial
QtMessageHandler g_previous = nullptr;

void captureLog(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    const QLatin1String category(context.category ? context.category : "");
    if (category == QLatin1String("halhub.hal") && type == QtWarningMsg)
        g_log << QStringLiteral("warning: ") + text;
    if (category == QLatin1String("halhub.hal.serial") && type == QtDebugMsg)
        g_log << QStringLiteral("debug: ") + text;
    if (g_previous)
        g_previous(type, context, text);
}

qsizetype logCount(const QString &prefix, const QString &needle)
{
    qsizetype n = 0;
    for (const QString &line : std::as_const(g_log)) {
        if (line.startsWith(prefix) && line.contains(needle))
            ++n;
    }
    return n;
}

QVariantMap scpiEntry(const QString &id, const QString &port)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("plugin"), QStringLiteral("scpi")},
            {QStringLiteral("port"), port},
            {QStringLiteral("poll_hz"), 5},
            {QStringLiteral("channels"), QVariantMap{{QStringLiteral("voltage"),
                                                      QStringLiteral("MEAS:VOLT?")}}}};
}

DeviceConfig deviceConfig(const QVariantMap &entry)
{
    return DeviceConfig{entry.value(QStringLiteral("id")).toString(),
                        entry.value(QStringLiteral("plugin")).toString(), entry};
}

QByteArray httpGet(const QUrl &url, int *status)
{
    QNetworkAccessManager manager;
    QNetworkReply *reply = manager.get(QNetworkRequest(url));
    const bool finished = QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000);
    *status = finished ? reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() : 0;
    const QByteArray body = reply->readAll();
    delete reply;
    return body;
}

QVariantMap deviceEntry(TestClient &client, const QString &id)
{
    const QVariantMap reply = client.request({{QStringLiteral("type"),
                                               QStringLiteral("list_devices")}});
    for (const QVariant &d : reply.value(QStringLiteral("devices")).toList()) {
        if (d.toMap().value(QStringLiteral("id")) == id)
            return d.toMap();
    }
    return {};
}

QList<QVariantMap> deviceErrors(const TestClient &client, const QString &device)
{
    QList<QVariantMap> list;
    for (const QVariantMap &m : client.messagesOfType(QStringLiteral("event"))) {
        if (m.value(QStringLiteral("event")) == QLatin1String("device_error")
            && m.value(QStringLiteral("device")) == device)
            list << m;
    }
    return list;
}

QString messageOf(const QVariantMap &event)
{
    return event.value(QStringLiteral("data")).toMap().value(QStringLiteral("message")).toString();
}

// Lowers the effective uid to nobody while root, so that file permissions
// refuse as they refuse an operator outside the dialout group.
class AsNobody
{
public:
    AsNobody()
    {
        // The group too: a root-group directory would refuse by its group bits.
        m_active = geteuid() == 0 && setegid(kNobody) == 0 && seteuid(kNobody) == 0;
    }
    ~AsNobody() { restore(); }
    void restore()
    {
        if (m_active && seteuid(0) == 0 && setegid(0) == 0)
            m_active = false;
    }

private:
    bool m_active = false;
};

} // namespace

class tst_UnreachablePorts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void reasonsReachTheOperator();
};

void tst_UnreachablePorts::initTestCase()
{
    QLoggingCategory::setFilterRules(QStringLiteral("halhub.hal.serial.debug=true"));
    g_previous = qInstallMessageHandler(captureLog);
}

void tst_UnreachablePorts::cleanupTestCase()
{
    qInstallMessageHandler(g_previous);
}

void tst_UnreachablePorts::reasonsReachTheOperator()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Traversable by nobody, so that a missing port is "missing", not refused.
    QVERIFY(QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner
                                                      | QFile::ExeOwner | QFile::ReadGroup
                                                      | QFile::ExeGroup | QFile::ReadOther
                                                      | QFile::ExeOther));
    PtyPeer psu, refusedPty;
    QVERIFY2(psu.open(), qPrintable(psu.error()));
    QVERIFY2(refusedPty.open(), qPrintable(refusedPty.error()));
    psu.setLineHandler([&psu](const QByteArray &line) {
        if (line == "MEAS:VOLT?")
            psu.writeLine("12.5");
    });
    // nobody may use the supply's pty; nobody may open the refused one.
    QCOMPARE(::chmod(QFile::encodeName(psu.slavePath()).constData(), 0666), 0);
    QCOMPARE(::chmod(QFile::encodeName(refusedPty.slavePath()).constData(), 0), 0);

    const QVariantMap psuEntry = scpiEntry(QStringLiteral("psu"), psu.slavePath());
    const QVariantMap refusedEntry = scpiEntry(QStringLiteral("refused"), refusedPty.slavePath());
    const QString missingPath = dir.filePath(QStringLiteral("ttyGone"));
    const QVariantMap missingEntry = scpiEntry(QStringLiteral("missing"), missingPath);

    Config config;
    config.server.port = 0;
    config.metrics.port = 0;
    config.devices = {deviceConfig(psuEntry), deviceConfig(refusedEntry)};
    AsNobody nobody;
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));

    // In `devices`: the refused port says why, the working one says nothing.
    QVariantMap refused;
    QTRY_VERIFY_WITH_TIMEOUT((refused = deviceEntry(client, QStringLiteral("refused")))
                                     .value(QStringLiteral("error")).toString()
                                     .contains(QStringLiteral("Permission denied")), 5000);
    QCOMPARE(refused.value(QStringLiteral("state")).toString(), QStringLiteral("connecting"));
    QCOMPARE(refused.value(QStringLiteral("error")).toString(),
             QStringLiteral("cannot open %1: Permission denied").arg(refusedPty.slavePath()));
    QTRY_COMPARE_WITH_TIMEOUT(deviceEntry(client, QStringLiteral("psu"))
                                      .value(QStringLiteral("state")).toString(),
                              QStringLiteral("connected"), 5000);
    const QVariantMap psuListed = deviceEntry(client, QStringLiteral("psu"));
    QVERIFY(psuListed.contains(QStringLiteral("error")));
    QVERIFY(psuListed.value(QStringLiteral("error")).isNull());

    // A command says why instead of only "connecting".
    const QVariantMap refusedCommand = client.request(
            {{QStringLiteral("type"), QStringLiteral("command")},
             {QStringLiteral("device"), QStringLiteral("refused")},
             {QStringLiteral("command"), QStringLiteral("scpi")},
             {QStringLiteral("params"), QVariantMap{{QStringLiteral("line"), QStringLiteral("*IDN?")}}}});
    QCOMPARE(refusedCommand.value(QStringLiteral("code")).toString(),
             QStringLiteral("device_unavailable"));
    QVERIFY2(refusedCommand.value(QStringLiteral("message")).toString()
                     .contains(QStringLiteral("Permission denied")),
             qPrintable(refusedCommand.value(QStringLiteral("message")).toString()));

    // Monitoring: the refused device is down, the server degraded (still 200).
    int status = 0;
    const QByteArray metrics = httpGet(hub.metricsUrl(QStringLiteral("/metrics")), &status);
    QCOMPARE(status, 200);
    QVERIFY2(metrics.contains("halhub_device_up{device=\"psu\"} 1\n"), metrics.constData());
    QVERIFY2(metrics.contains("halhub_device_up{device=\"refused\"} 0\n"), metrics.constData());
    QVERIFY(metrics.contains("halhub_stream_dropped_frames_total 0\n"));
    QVERIFY(metrics.contains("halhub_commands_total{status=\"ok\"} 0\n"));
    QJsonObject health = QJsonDocument::fromJson(
                                 httpGet(hub.metricsUrl(QStringLiteral("/healthz")), &status))
                                 .object();
    QCOMPARE(status, 200);
    QCOMPARE(health.value(QStringLiteral("status")).toString(), QStringLiteral("degraded"));
    QCOMPARE(health.value(QStringLiteral("devices")).toObject()
                     .value(QStringLiteral("refused")).toString(),
             QStringLiteral("connecting"));

    // A device added while the client watches: one device_error at its first
    // failure, one warning; none more over three more retries.
    const qsizetype from = client.received().size();
    QString error;
    QVERIFY2(hub.hal().applyDevices({deviceConfig(psuEntry), deviceConfig(refusedEntry),
                                     deviceConfig(missingEntry)}, &error),
             qPrintable(error));
    const QVariantMap first = client.waitFor([](const QVariantMap &m) {
        return m.value(QStringLiteral("event")) == QLatin1String("device_error")
            && m.value(QStringLiteral("device")) == QLatin1String("missing");
    }, 5000, from);
    QCOMPARE(messageOf(first),
             QStringLiteral("cannot open %1: No such file or directory").arg(missingPath));
    QTRY_VERIFY_WITH_TIMEOUT(logCount(QStringLiteral("debug: "), missingPath) >= 3, 15000);
    QCOMPARE(deviceErrors(client, QStringLiteral("missing")).size(), 1);
    QCOMPARE(logCount(QStringLiteral("warning: "), QStringLiteral("device missing:")), 1);

    // The reason changes (the path is now a directory): reported once more.
    nobody.restore();
    QVERIFY(QDir().mkdir(missingPath));
    AsNobody nobodyAgain;
    QTRY_COMPARE_WITH_TIMEOUT(deviceErrors(client, QStringLiteral("missing")).size(), 2, 15000);
    QCOMPARE(messageOf(deviceErrors(client, QStringLiteral("missing")).at(1)),
             QStringLiteral("cannot open %1: Is a directory").arg(missingPath));
    QCOMPARE(logCount(QStringLiteral("warning: "), QStringLiteral("device missing:")), 2);
    QCOMPARE(deviceEntry(client, QStringLiteral("missing")).value(QStringLiteral("error")).toString(),
             QStringLiteral("cannot open %1: Is a directory").arg(missingPath));

    // Fixed permissions: the refused device connects and its error goes.
    nobodyAgain.restore();
    QCOMPARE(::chmod(QFile::encodeName(refusedPty.slavePath()).constData(), 0666), 0);
    AsNobody nobodyFixed;
    QVERIFY(!client.waitFor([](const QVariantMap &m) {
        return m.value(QStringLiteral("event")) == QLatin1String("device_connected")
            && m.value(QStringLiteral("device")) == QLatin1String("refused");
    }, 20000).isEmpty());
    QVERIFY(deviceEntry(client, QStringLiteral("refused")).value(QStringLiteral("error")).isNull());

    // Every configured device connected: healthy again.
    QVERIFY2(hub.hal().applyDevices({deviceConfig(psuEntry), deviceConfig(refusedEntry)}, &error),
             qPrintable(error));
    health = QJsonDocument::fromJson(httpGet(hub.metricsUrl(QStringLiteral("/healthz")), &status))
                     .object();
    QCOMPARE(health.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
}

QTEST_GUILESS_MAIN(tst_UnreachablePorts)
#include "tst_unreachableports.moc"
