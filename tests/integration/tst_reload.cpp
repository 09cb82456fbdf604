// Reloading `devices` (what SIGHUP does: read the file again, apply its
// devices) seen by a connected client: docs/protocol.md section 10.

#include "config/config.h"
#include "halmanager.h"
#include "testclient.h"
#include "testserver.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(u"type"_s, type);
    return fields;
}

bool isEvent(const QVariantMap &m, const QString &event, const QString &device = {})
{
    return m.value(u"type"_s).toString() == u"event"_s
            && m.value(u"event"_s).toString() == event
            && (device.isEmpty() || m.value(u"device"_s).toString() == device);
}

const QByteArray kTwoSims = R"({"server": {"port": 0}, "devices": [
    {"id": "sim0", "plugin": "sim", "rate_hz": 100},
    {"id": "sim1", "plugin": "sim", "rate_hz": 100}]})";

} // namespace

class tst_Reload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void removedDeviceClosesItsStreamsFirst();
    void newIdIsAdded();
    void changedEntryIsRemovedAndAdded();
    void invalidConfigChangesNothing_data();
    void invalidConfigChangesNothing();

private:
    // The SIGHUP handler's two steps: load the file, apply its devices.
    QString reload(const QByteArray &json);
    QStringList deviceIds();
    int eventsSince(qsizetype from) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_file;
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<TestClient> m_client;
};

void tst_Reload::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_file = m_dir->filePath(u"halhub.json"_s);
    ConfigError error;
    const std::optional<Config> config = parseConfig(kTwoSims, m_file, {}, &error);
    QVERIFY2(config, qPrintable(error.toString()));
    m_server = std::make_unique<TestServer>(*config);
    QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    m_client = std::make_unique<TestClient>();
    QVERIFY(m_client->open(m_server->url()));
    QCOMPARE(deviceIds(), (QStringList{u"sim0"_s, u"sim1"_s}));
}

void tst_Reload::cleanup()
{
    m_client.reset();
    m_server.reset();
    m_dir.reset();
}

QString tst_Reload::reload(const QByteArray &json)
{
    QFile file(m_file);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(json) != json.size())
        return u"cannot write the config"_s;
    file.close();
    ConfigError error;
    const std::optional<Config> loaded = loadConfig(m_file, m_server->hal().pluginConfigKeys(), &error);
    if (!loaded)
        return error.toString();
    QString why;
    if (!m_server->hal().applyDevices(loaded->devices, &why))
        return why.isEmpty() ? u"refused"_s : why;
    return {};
}

QStringList tst_Reload::deviceIds()
{
    const QVariantMap reply = m_client->request(msg(u"list_devices"_s));
    QStringList ids;
    for (const QVariant &d : reply.value(u"devices"_s).toList())
        ids << d.toMap().value(u"id"_s).toString();
    ids.sort();
    return ids;
}

int tst_Reload::eventsSince(qsizetype from) const
{
    int count = 0;
    const QList<TestClient::Received> &all = m_client->received();
    for (qsizetype i = from; i < all.size(); ++i) {
        if (all.at(i).message.value(u"type"_s).toString() == u"event"_s)
            ++count;
    }
    return count;
}

void tst_Reload::removedDeviceClosesItsStreamsFirst()
{
    const QVariantMap sub = m_client->request(msg(u"subscribe"_s, {{u"device"_s, u"sim1"_s}}));
    const QString stream = sub.value(u"stream"_s).toString();
    QVERIFY2(!stream.isEmpty(), qPrintable(QVariant(sub).toString()));
    const qsizetype from = m_client->received().size();

    QCOMPARE(reload(R"({"server": {"port": 0}, "devices": [
        {"id": "sim0", "plugin": "sim", "rate_hz": 100}]})"), QString());

    qsizetype closedAt = -1;
    qsizetype removedAt = -1;
    const QVariantMap closed = m_client->waitFor(
            [&](const QVariantMap &m) {
                return isEvent(m, u"stream_closed"_s)
                        && m.value(u"stream"_s).toString() == stream;
            },
            10000, from, &closedAt);
    QVERIFY(!closed.isEmpty());
    const QVariantMap removed = m_client->waitFor(
            [](const QVariantMap &m) { return isEvent(m, u"device_removed"_s, u"sim1"_s); }, 10000,
            from, &removedAt);
    QVERIFY(!removed.isEmpty());
    QVERIFY2(closedAt < removedAt, "stream_closed must come before device_removed");
    // No frame of the closed stream after stream_closed.
    for (qsizetype i = closedAt + 1; i < m_client->received().size(); ++i) {
        const QVariantMap &m = m_client->received().at(i).message;
        QVERIFY(!(m.value(u"type"_s).toString() == u"telemetry"_s
                  && m.value(u"stream"_s).toString() == stream));
    }
    QCOMPARE(deviceIds(), QStringList{u"sim0"_s});
    // sim0 was left alone.
    for (qsizetype i = from; i < m_client->received().size(); ++i)
        QVERIFY(!isEvent(m_client->received().at(i).message, u"device_removed"_s, u"sim0"_s));
}

void tst_Reload::newIdIsAdded()
{
    const qsizetype from = m_client->received().size();
    QCOMPARE(reload(R"({"server": {"port": 0}, "devices": [
        {"id": "sim0", "plugin": "sim", "rate_hz": 100},
        {"id": "sim1", "plugin": "sim", "rate_hz": 100},
        {"id": "sim2", "plugin": "sim", "rate_hz": 10}]})"), QString());
    const QVariantMap added = m_client->waitFor(
            [](const QVariantMap &m) { return isEvent(m, u"device_added"_s, u"sim2"_s); }, 10000,
            from);
    QVERIFY(!added.isEmpty());
    QCOMPARE(deviceIds(), (QStringList{u"sim0"_s, u"sim1"_s, u"sim2"_s}));
    // The new device streams at once.
    const QVariantMap sub = m_client->request(msg(u"subscribe"_s, {{u"device"_s, u"sim2"_s}}));
    QCOMPARE(sub.value(u"type"_s).toString(), u"subscribed"_s);
    QVERIFY(!m_client->waitForType(u"telemetry"_s, 10000, from).isEmpty());
}

void tst_Reload::changedEntryIsRemovedAndAdded()
{
    const qsizetype from = m_client->received().size();
    QCOMPARE(reload(R"({"server": {"port": 0}, "devices": [
        {"id": "sim0", "plugin": "sim", "rate_hz": 25},
        {"id": "sim1", "plugin": "sim", "rate_hz": 100}]})"), QString());
    qsizetype removedAt = -1;
    qsizetype addedAt = -1;
    QVERIFY(!m_client->waitFor([](const QVariantMap &m) {
                 return isEvent(m, u"device_removed"_s, u"sim0"_s);
             }, 10000, from, &removedAt).isEmpty());
    QVERIFY(!m_client->waitFor([](const QVariantMap &m) {
                 return isEvent(m, u"device_added"_s, u"sim0"_s);
             }, 10000, from, &addedAt).isEmpty());
    QVERIFY(removedAt < addedAt);
    const QVariantMap reply = m_client->request(msg(u"list_devices"_s));
    double rate = 0;
    for (const QVariant &d : reply.value(u"devices"_s).toList()) {
        if (d.toMap().value(u"id"_s).toString() == u"sim0"_s)
            rate = d.toMap().value(u"rate_hz"_s).toDouble();
    }
    QCOMPARE(rate, 25.0);
    for (qsizetype i = from; i < m_client->received().size(); ++i) {
        const QVariantMap &m = m_client->received().at(i).message;
        QVERIFY2(m.value(u"device"_s).toString() != u"sim1"_s || m.value(u"type"_s) != u"event"_s,
                 "the unchanged sim1 must not be touched");
    }
}

void tst_Reload::invalidConfigChangesNothing_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("complaint");

    QTest::addRow("not JSON") << QByteArray("{\"devices\": [") << QString();
    QTest::addRow("unknown plugin")
            << QByteArray(R"({"devices": [{"id": "x", "plugin": "warpdrive"}]})")
            << u"warpdrive"_s;
    QTest::addRow("bad rate_hz, with a valid new device beside it")
            << QByteArray(R"({"devices": [{"id": "sim0", "plugin": "sim", "rate_hz": -1},
                                          {"id": "sim9", "plugin": "sim"}]})")
            << u"rate_hz"_s;
    QTest::addRow("serial device without a port")
            << QByteArray(R"({"devices": [{"id": "psu", "plugin": "scpi", "baud": 9600}]})")
            << u"port"_s;
    QTest::addRow("a key its plugin does not take")
            << QByteArray(R"({"devices": [{"id": "sim0", "plugin": "sim", "rate_hz": 100},
                                          {"id": "sim1", "plugin": "sim", "rate_hzz": 5}]})")
            << u"devices[1].rate_hzz"_s;
}

void tst_Reload::invalidConfigChangesNothing()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, complaint);
    const qsizetype from = m_client->received().size();
    const QString error = reload(json);
    QVERIFY(!error.isEmpty());
    if (!complaint.isEmpty())
        QVERIFY2(error.contains(complaint), qPrintable(error));
    // The reply to a request sent after the reload is a sync point: any
    // event the reload caused would be ahead of it.
    QCOMPARE(deviceIds(), (QStringList{u"sim0"_s, u"sim1"_s}));
    QCOMPARE(eventsSince(from), 0);
}

QTEST_GUILESS_MAIN(tst_Reload)
#include "tst_reload.moc"
