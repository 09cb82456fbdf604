// The modbus plugin against a Modbus RTU slave that halhub did not write:
// pymodbus (modbus_slave.py) on one end of a socat pseudo-terminal pair,
// halhub on the other, a WebSocket client reading and writing through it.

#include "testclient.h"
#include "testserver.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

QVariantMap channel(const QString &table, int address, const QString &type = QString(),
                    const QVariant &scale = QVariant())
{
    QVariantMap c{{QStringLiteral("table"), table}, {QStringLiteral("address"), address}};
    if (!type.isEmpty())
        c.insert(QStringLiteral("type"), type);
    if (scale.isValid())
        c.insert(QStringLiteral("scale"), scale);
    return c;
}

// The slave's map (modbus_slave.py) as docs/protocol.md section 10 describes a device.
QVariantMap fullChannelMap()
{
    return {{QStringLiteral("flow"), channel(QStringLiteral("holding"), 0, QStringLiteral("uint16"), 0.1)},
            {QStringLiteral("level"), channel(QStringLiteral("holding"), 1, QStringLiteral("int16"))},
            {QStringLiteral("total"), channel(QStringLiteral("holding"), 2, QStringLiteral("uint32"))},
            {QStringLiteral("offset"), channel(QStringLiteral("holding"), 4, QStringLiteral("int32"))},
            {QStringLiteral("temp"), channel(QStringLiteral("input"), 4, QStringLiteral("float32"))},
            {QStringLiteral("pump"), channel(QStringLiteral("coil"), 3)},
            {QStringLiteral("door"), channel(QStringLiteral("discrete"), 2)}};
}

bool isInteger(const QVariant &v)
{
    return v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::ULongLong;
}

QVariantMap valuesOf(const QVariantMap &frame)
{
    return frame.value(QStringLiteral("values")).toMap();
}

} // namespace

class tst_ExternalModbus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void readsEveryTypeFromTheSlave_data();
    void readsEveryTypeFromTheSlave();
    void writesChangeWhatTheNextFramesShow();
    void writeOutsideTheMapIsModbusException_data();
    void writeOutsideTheMapIsModbusException();
    void readOutsideTheMapIsModbusException();

private:
    // Starts halhub with one modbus device `flow1` on the line's far end.
    bool startServer(const QVariantMap &channels);
    QVariantMap subscribe(TestClient &client);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_socat;
    std::unique_ptr<QProcess> m_slave;
    std::unique_ptr<TestServer> m_server;
    QString m_slaveEnd;
    QString m_halhubEnd;
};

void tst_ExternalModbus::initTestCase()
{
    // scripts/install-deps.sh installs these: their absence is a broken
    // machine, not a reason to skip.
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("socat")).isEmpty(),
             "socat is missing: run scripts/install-deps.sh");
    QProcess probe;
    probe.start(kPython, {QStringLiteral("-c"),
                          QStringLiteral("import pymodbus, serial_asyncio; print(pymodbus.__version__)")});
    QVERIFY2(probe.waitForFinished(20000), "python3 did not answer");
    QVERIFY2(probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0,
             qPrintable(QStringLiteral("python3-pymodbus or python3-serial-asyncio is missing "
                                       "(run scripts/install-deps.sh): ")
                        + QString::fromUtf8(probe.readAllStandardError())));
    qInfo("pymodbus %s", probe.readAllStandardOutput().trimmed().constData());
}

void tst_ExternalModbus::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_slaveEnd = m_dir->filePath(QStringLiteral("slave"));
    m_halhubEnd = m_dir->filePath(QStringLiteral("halhub"));

    m_socat = std::make_unique<QProcess>();
    m_socat->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_socat->start(QStringLiteral("socat"),
                   {QStringLiteral("-d"), QStringLiteral("-d"),
                    QStringLiteral("pty,raw,echo=0,link=") + m_slaveEnd,
                    QStringLiteral("pty,raw,echo=0,link=") + m_halhubEnd});
    QVERIFY(m_socat->waitForStarted(5000));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(m_slaveEnd) && QFileInfo::exists(m_halhubEnd), 5000);

    m_slave = std::make_unique<QProcess>();
    m_slave->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_slave->start(kPython, {QStringLiteral(HALHUB_MODBUS_SLAVE), m_slaveEnd});
    QVERIFY(m_slave->waitForStarted(5000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += m_slave->readAllStandardOutput()).contains("ready")
                                     || m_slave->state() == QProcess::NotRunning,
                             15000);
    QVERIFY2(out.contains("ready"), "the pymodbus slave did not start");
}

void tst_ExternalModbus::cleanup()
{
    m_server.reset();
    for (QProcess *p : {m_slave.get(), m_socat.get()}) {
        if (p && p->state() != QProcess::NotRunning) {
            p->kill();
            p->waitForFinished(5000);
        }
    }
    m_slave.reset();
    m_socat.reset();
    m_dir.reset();
}

bool tst_ExternalModbus::startServer(const QVariantMap &channels)
{
    halhub::Config config;
    config.server.port = 0;
    halhub::DeviceConfig d;
    d.id = QStringLiteral("flow1");
    d.plugin = QStringLiteral("modbus");
    d.settings = {{QStringLiteral("id"), d.id},
                  {QStringLiteral("plugin"), d.plugin},
                  {QStringLiteral("port"), m_halhubEnd},
                  {QStringLiteral("baud"), 19200},
                  {QStringLiteral("parity"), QStringLiteral("none")},
                  {QStringLiteral("stopbits"), 1},
                  {QStringLiteral("unit"), 1},
                  {QStringLiteral("poll_hz"), 20},
                  {QStringLiteral("channels"), channels}};
    config.devices.append(d);
    m_server = std::make_unique<TestServer>(config);
    if (!m_server->start()) {
        qWarning("server: %s", qPrintable(m_server->error()));
        return false;
    }
    return true;
}

QVariantMap tst_ExternalModbus::subscribe(TestClient &client)
{
    return client.request(msg(QStringLiteral("subscribe"),
                              {{QStringLiteral("device"), QStringLiteral("flow1")}}));
}

void tst_ExternalModbus::readsEveryTypeFromTheSlave_data()
{
    QTest::addColumn<bool>("msgpack");
    QTest::addRow("json") << false;
    QTest::addRow("msgpack") << true;
}

void tst_ExternalModbus::readsEveryTypeFromTheSlave()
{
    QFETCH(bool, msgpack);
    QVERIFY(startServer(fullChannelMap()));
    TestClient client;
    QVERIFY(client.open(m_server->url()));
    if (msgpack) {
        const QVariantMap w = client.request(msg(QStringLiteral("hello"),
                                                 {{QStringLiteral("encoding"), QStringLiteral("msgpack")}}));
        QCOMPARE(w.value(QStringLiteral("encoding")).toString(), QStringLiteral("msgpack"));
    }

    // The device as a client sees it before reading anything.
    const QVariantList devices = client.request(msg(QStringLiteral("list_devices")))
                                         .value(QStringLiteral("devices")).toList();
    QCOMPARE(devices.size(), 1);
    const QVariantMap device = devices.first().toMap();
    QCOMPARE(device.value(QStringLiteral("plugin")).toString(), QStringLiteral("modbus"));
    QMap<QString, QString> types;
    for (const QVariant &c : device.value(QStringLiteral("channels")).toList())
        types.insert(c.toMap().value(QStringLiteral("name")).toString(),
                     c.toMap().value(QStringLiteral("type")).toString());
    const QMap<QString, QString> expectedTypes{
            {QStringLiteral("flow"), QStringLiteral("float")},   // scaled
            {QStringLiteral("level"), QStringLiteral("int")},
            {QStringLiteral("total"), QStringLiteral("int")},
            {QStringLiteral("offset"), QStringLiteral("int")},
            {QStringLiteral("temp"), QStringLiteral("float")},
            {QStringLiteral("pump"), QStringLiteral("bool")},
            {QStringLiteral("door"), QStringLiteral("bool")}};
    QCOMPARE(types, expectedTypes);

    const QVariantMap sub = subscribe(client);
    QCOMPARE(sub.value(QStringLiteral("type")).toString(), QStringLiteral("subscribed"));
    const QString stream = sub.value(QStringLiteral("stream")).toString();
    const QVariantMap frame = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
               && m.value(QStringLiteral("stream")) == stream;
    }, 10000);
    QVERIFY2(!frame.isEmpty(), "no telemetry from the pymodbus slave");
    const QVariantMap v = valuesOf(frame);
    QCOMPARE(v.size(), 7);

    // uint16 1234 with scale 0.1.
    QCOMPARE(v.value(QStringLiteral("flow")).typeId(), int(QMetaType::Double));
    QVERIFY2(qAbs(v.value(QStringLiteral("flow")).toDouble() - 123.4) < 1e-9,
             qPrintable(v.value(QStringLiteral("flow")).toString()));
    // Signed and 32-bit values keep their sign and their high word.
    QVERIFY(isInteger(v.value(QStringLiteral("level"))));
    QCOMPARE(v.value(QStringLiteral("level")).toLongLong(), -1234);
    QVERIFY(isInteger(v.value(QStringLiteral("total"))));
    QCOMPARE(v.value(QStringLiteral("total")).toLongLong(), 3000000000LL);
    QVERIFY(isInteger(v.value(QStringLiteral("offset"))));
    QCOMPARE(v.value(QStringLiteral("offset")).toLongLong(), -100000);
    // float32, high word first: the low word is not zero, so a swap shows.
    QCOMPARE(v.value(QStringLiteral("temp")).typeId(), int(QMetaType::Double));
    QCOMPARE(v.value(QStringLiteral("temp")).toDouble(), double(1234.5678f));
    QCOMPARE(v.value(QStringLiteral("pump")).typeId(), int(QMetaType::Bool));
    QCOMPARE(v.value(QStringLiteral("pump")).toBool(), false);
    QCOMPARE(v.value(QStringLiteral("door")).typeId(), int(QMetaType::Bool));
    QCOMPARE(v.value(QStringLiteral("door")).toBool(), true);

    const QVariantMap state = client.request(msg(QStringLiteral("list_devices")))
                                      .value(QStringLiteral("devices")).toList().first().toMap();
    QCOMPARE(state.value(QStringLiteral("state")).toString(), QStringLiteral("connected"));
}

void tst_ExternalModbus::writesChangeWhatTheNextFramesShow()
{
    QVERIFY(startServer(fullChannelMap()));
    TestClient client;
    QVERIFY(client.open(m_server->url()));
    const QString stream = subscribe(client).value(QStringLiteral("stream")).toString();
    QVERIFY(!stream.isEmpty());
    auto frameFrom = [&](qsizetype from, const std::function<bool(const QVariantMap &)> &what) {
        return client.waitFor([&](const QVariantMap &m) {
            return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
                   && m.value(QStringLiteral("stream")) == stream && what(valuesOf(m));
        }, 5000, from);
    };
    QVERIFY(!frameFrom(0, [](const QVariantMap &v) {
                return v.value(QStringLiteral("pump")) == false
                       && v.value(QStringLiteral("level")).toLongLong() == -1234;
            }).isEmpty());

    auto command = [&](const QString &name, const QVariantMap &params, qsizetype *at) {
        const qint64 id = client.nextId();
        client.send(msg(QStringLiteral("command"), {{QStringLiteral("id"), id},
                                                    {QStringLiteral("device"), QStringLiteral("flow1")},
                                                    {QStringLiteral("command"), name},
                                                    {QStringLiteral("params"), params}}));
        return client.waitFor([id](const QVariantMap &m) {
            return m.value(QStringLiteral("type")) == QLatin1String("result")
                   && m.value(QStringLiteral("id")).toLongLong() == id;
        }, 5000, 0, at);
    };

    struct Write
    {
        QString command;
        int address;
        QVariant value;
        QString channel;
        QVariant shows;
    };
    // write_register writes the raw register: no scale, and 65535 in an
    // int16 register reads back as -1.
    const QList<Write> writes{
            {QStringLiteral("write_register"), 0, 4321, QStringLiteral("flow"), 432.1},
            {QStringLiteral("write_register"), 1, 65535, QStringLiteral("level"), -1},
            {QStringLiteral("write_coil"), 3, true, QStringLiteral("pump"), true}};
    for (const Write &w : writes) {
        qsizetype at = 0;
        const QVariantMap result = command(w.command, {{QStringLiteral("address"), w.address},
                                                       {QStringLiteral("value"), w.value}}, &at);
        QVERIFY2(!result.isEmpty(), qPrintable(w.command));
        QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        // A poll cycle already under way may still carry the old value; the
        // value written shows within the next cycles and stays.
        auto shows = [&](const QVariantMap &v) {
            const QVariant got = v.value(w.channel);
            return got.typeId() == QMetaType::Double
                    ? qAbs(got.toDouble() - w.shows.toDouble()) < 1e-9
                    : got.typeId() == QMetaType::Bool ? got.toBool() == w.shows.toBool()
                                                      : got.toLongLong() == w.shows.toLongLong();
        };
        qsizetype firstNew = -1;
        QVERIFY2(!client.waitFor([&](const QVariantMap &m) {
                        return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
                               && m.value(QStringLiteral("stream")) == stream
                               && shows(valuesOf(m));
                    }, 5000, at, &firstNew).isEmpty(),
                 qPrintable(w.channel + QStringLiteral(" never showed the value written")));
        const QVariantMap later = frameFrom(firstNew + 1, [](const QVariantMap &) { return true; });
        QVERIFY(!later.isEmpty());
        QVERIFY2(shows(valuesOf(later)), qPrintable(w.channel + QStringLiteral(" went back")));
    }
}

void tst_ExternalModbus::writeOutsideTheMapIsModbusException_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariant>("value");
    QTest::addRow("write_register to a register the slave lacks")
            << QStringLiteral("write_register") << QVariant(7);
    QTest::addRow("write_coil to a coil the slave lacks")
            << QStringLiteral("write_coil") << QVariant(true);
}

void tst_ExternalModbus::writeOutsideTheMapIsModbusException()
{
    QFETCH(QString, command);
    QFETCH(QVariant, value);
    QVERIFY(startServer(fullChannelMap()));
    TestClient client;
    QVERIFY(client.open(m_server->url()));
    QTRY_COMPARE_WITH_TIMEOUT(client.request(msg(QStringLiteral("list_devices")))
                                      .value(QStringLiteral("devices")).toList().value(0).toMap()
                                      .value(QStringLiteral("state")).toString(),
                              QStringLiteral("connected"), 10000);
    const qint64 id = client.nextId();
    client.send(msg(QStringLiteral("command"), {{QStringLiteral("id"), id},
                                                {QStringLiteral("device"), QStringLiteral("flow1")},
                                                {QStringLiteral("command"), command},
                                                {QStringLiteral("params"),
                                                 QVariantMap{{QStringLiteral("address"), 100},
                                                             {QStringLiteral("value"), value}}}}));
    const QVariantMap result = client.waitForType(QStringLiteral("result"), 5000);
    QCOMPARE(result.value(QStringLiteral("id")).toLongLong(), id);
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(result.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("modbus_exception"));
    QCOMPARE(result.value(QStringLiteral("attempts")).toInt(), 1);

    // The exception is the slave's answer, not a lost line: the device
    // still serves the next command.
    const qint64 next = client.nextId();
    client.send(msg(QStringLiteral("command"), {{QStringLiteral("id"), next},
                                                {QStringLiteral("device"), QStringLiteral("flow1")},
                                                {QStringLiteral("command"), command},
                                                {QStringLiteral("params"),
                                                 QVariantMap{{QStringLiteral("address"), 3},
                                                             {QStringLiteral("value"), value}}}}));
    const QVariantMap ok = client.waitFor([next](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("result")
               && m.value(QStringLiteral("id")).toLongLong() == next;
    });
    QCOMPARE(ok.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
}

void tst_ExternalModbus::readOutsideTheMapIsModbusException()
{
    // `ghost` is far enough from `flow` to be read on its own, and the slave
    // has no holding register 200.
    QVariantMap channels{
            {QStringLiteral("flow"), channel(QStringLiteral("holding"), 0, QStringLiteral("uint16"), 0.1)},
            {QStringLiteral("ghost"), channel(QStringLiteral("holding"), 200, QStringLiteral("uint16"))}};
    QVERIFY(startServer(channels));
    TestClient client;
    QVERIFY(client.open(m_server->url()));
    const QVariantMap error = client.waitFor([](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("event")
               && m.value(QStringLiteral("event")) == QLatin1String("device_error");
    }, 10000);
    QVERIFY2(!error.isEmpty(), "a read the slave refuses raised no device_error");
    QCOMPARE(error.value(QStringLiteral("device")).toString(), QStringLiteral("flow1"));
    const QString message = error.value(QStringLiteral("data")).toMap()
                                    .value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QStringLiteral("modbus_exception")), qPrintable(message));

    // A refused read is the slave's answer: the line stays up.
    const QVariantMap device = client.request(msg(QStringLiteral("list_devices")))
                                       .value(QStringLiteral("devices")).toList().value(0).toMap();
    QCOMPARE(device.value(QStringLiteral("state")).toString(), QStringLiteral("connected"));

    // The channels the slave does answer for keep streaming.
    const QVariantMap sub = subscribe(client);
    const QString stream = sub.value(QStringLiteral("stream")).toString();
    const QVariantMap frame = client.waitFor([&](const QVariantMap &m) {
        return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
               && m.value(QStringLiteral("stream")) == stream;
    }, 10000);
    QVERIFY2(!frame.isEmpty(), "no telemetry from the readable channels");
    const QVariantMap values = frame.value(QStringLiteral("values")).toMap();
    QCOMPARE(values.value(QStringLiteral("flow")).toDouble(), 123.4);
    QVERIFY(!values.contains(QStringLiteral("ghost")));
}

QTEST_GUILESS_MAIN(tst_ExternalModbus)
#include "tst_externalmodbus.moc"
