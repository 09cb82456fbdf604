// Network instruments and finding instruments by identity (docs/protocol.md
// section 16): scpi and linestream over TCP against scripted instruments on
// a QTcpServer, Modbus TCP against pymodbus, *IDN? probing on ptys.

#include "halrig.h"
#include "ptypeer.h"
#include "transport/portregistry.h"

#include "bus/deviceconfig.h"

#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <memory>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 10000;

// An instrument on a TCP port: answers each line with what `answer` says
// (nothing for an empty reply). close() takes the port away (listening
// socket and connections); listen(samePort) brings it back.
class TcpInstrument : public QObject
{
public:
    std::function<QByteArray(const QByteArray &)> answer;
    QList<QByteArray> lines;
    int connections = 0;

    TcpInstrument()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this]() {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                ++connections;
                m_clients << client;
                QObject::connect(client, &QTcpSocket::readyRead, this, [this, client]() {
                    while (client->canReadLine()) {
                        const QByteArray line = client->readLine().trimmed();
                        lines << line;
                        const QByteArray reply = answer ? answer(line) : QByteArray();
                        if (!reply.isEmpty())
                            client->write(reply + "\r\n");
                    }
                });
            }
        });
    }
    bool listen(quint16 port = 0) { return m_server.listen(QHostAddress::LocalHost, port); }
    quint16 port() const { return m_server.serverPort(); }
    QString endpoint() const { return u"127.0.0.1:%1"_s.arg(port()); }
    void push(const QByteArray &line)
    {
        for (QTcpSocket *client : std::as_const(m_clients))
            client->write(line + "\n");
    }
    void close()
    {
        m_server.close();
        for (QTcpSocket *client : std::as_const(m_clients)) {
            client->abort();
            client->deleteLater();
        }
        m_clients.clear();
    }

private:
    QTcpServer m_server;
    QList<QTcpSocket *> m_clients;
};

QByteArray psuAnswer(const QByteArray &line)
{
    if (line == "MEAS:VOLT?")
        return "12.5";
    if (line == "*IDN?")
        return "ACME,PSU-3005,42,1.0";
    if (line.endsWith('?'))
        return "-113,\"Undefined header\"";
    return {};
}

QVariantMap psuEntry(const QString &endpoint)
{
    return {{u"id"_s, u"psu"_s},
            {u"plugin"_s, u"scpi"_s},
            {u"tcp"_s, endpoint},
            {u"poll_hz"_s, 20},
            {u"reply_timeout_ms"_s, 200},
            {u"channels"_s, QVariantMap{{u"voltage"_s, u"MEAS:VOLT?"_s}}}};
}

// A pty instrument that answers *IDN? with `identity` and counts the asks.
struct IdnPty
{
    PtyPeer pty;
    QByteArray identity;
    int idnQueries = 0;

    explicit IdnPty(const QByteArray &id) : identity(id)
    {
        pty.setLineHandler([this](const QByteArray &line) {
            if (line == "*IDN?") {
                ++idnQueries;
                pty.write(identity + "\r\n");
            } else if (line == "MEAS:VOLT?") {
                pty.write("1.5\r\n");
            }
        });
    }
};

int count(const QList<DeviceState> &states, DeviceState state)
{
    return int(std::count(states.cbegin(), states.cend(), state));
}

} // namespace

class tst_NetInstruments : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();

    void configErrors_data();
    void configErrors();
    void declaresTheNewKeys();
    void scpiOverTcp();
    void peerGoesAwayAndComesBack();
    void refusedConnectionRetries();
    void peerThatNeverAnswersIsReported();
    void linestreamOverTcp();
    void idnProbingPicksTheRightInstrument();
    void heldPortIsNotProbed();
    void modbusTcpValuesAndCommands();
    void modbusHoleWithMaxGap();
};

void tst_NetInstruments::cleanup()
{
    PortRegistry::setPortLister({});
}

void tst_NetInstruments::configErrors_data()
{
    QTest::addColumn<QString>("plugin");
    QTest::addColumn<QVariantMap>("entry");
    QTest::addColumn<QString>("key");

    QTest::addRow("tcp and port") << u"scpi"_s
            << QVariantMap{{u"tcp"_s, u"10.0.0.5:5025"_s}, {u"port"_s, u"/dev/ttyUSB0"_s}} << u"tcp, port"_s;
    QTest::addRow("tcp and match") << u"linestream"_s
            << QVariantMap{{u"tcp"_s, u"10.0.0.5:5025"_s}, {u"match"_s, QVariantMap{{u"vid"_s, u"2341"_s}}}}
            << u"tcp, match"_s;
    QTest::addRow("tcp and baud") << u"modbus"_s
            << QVariantMap{{u"tcp"_s, u"10.0.0.5:502"_s}, {u"baud"_s, 9600}} << u"baud"_s;
    QTest::addRow("tcp without port") << u"scpi"_s << QVariantMap{{u"tcp"_s, u"10.0.0.5"_s}} << u"tcp"_s;
    QTest::addRow("tcp port zero") << u"scpi"_s << QVariantMap{{u"tcp"_s, u"10.0.0.5:0"_s}} << u"tcp"_s;
    QTest::addRow("tcp bare ipv6") << u"scpi"_s << QVariantMap{{u"tcp"_s, u"::1:5025"_s}} << u"tcp"_s;
    QTest::addRow("tcp number") << u"scpi"_s << QVariantMap{{u"tcp"_s, 5025}} << u"tcp"_s;
    QTest::addRow("idn not a regex") << u"scpi"_s
            << QVariantMap{{u"match"_s, QVariantMap{{u"idn"_s, u"ACME(("_s}}}} << u"match.idn"_s;
    QTest::addRow("idn on linestream") << u"linestream"_s
            << QVariantMap{{u"match"_s, QVariantMap{{u"idn"_s, u"ACME"_s}}}} << u"match.idn"_s;
    QTest::addRow("max_gap negative") << u"modbus"_s
            << QVariantMap{{u"tcp"_s, u"10.0.0.5:502"_s}, {u"max_gap"_s, -1}} << u"max_gap"_s;
    QTest::addRow("max_gap text") << u"modbus"_s
            << QVariantMap{{u"port"_s, u"/dev/ttyUSB0"_s}, {u"max_gap"_s, u"2"_s}} << u"max_gap"_s;
    // Fine ones: an empty key means no error.
    QTest::addRow("tcp ipv6") << u"scpi"_s << QVariantMap{{u"tcp"_s, u"[::1]:5025"_s}} << QString();
    QTest::addRow("tcp name") << u"linestream"_s << QVariantMap{{u"tcp"_s, u"bench-7.lab:4001"_s}} << QString();
    QTest::addRow("idn alone") << u"scpi"_s
            << QVariantMap{{u"match"_s, QVariantMap{{u"idn"_s, u"^ACME,PSU"_s}}}} << QString();
    QTest::addRow("modbus tcp max_gap") << u"modbus"_s
            << QVariantMap{{u"tcp"_s, u"10.0.0.5:502"_s}, {u"max_gap"_s, 0}} << QString();
}

void tst_NetInstruments::configErrors()
{
    QFETCH(QString, plugin);
    QFETCH(QVariantMap, entry);
    QFETCH(QString, key);
    HalRig rig;
    entry.insert(u"id"_s, u"dev"_s);
    entry.insert(u"plugin"_s, plugin);
    DeviceConfig config;
    config.id = u"dev"_s;
    config.plugin = plugin;
    config.settings = entry;
    const QString error = rig.hal().checkDevice(config);
    if (key.isEmpty()) {
        QVERIFY2(error.isEmpty(), qPrintable(error));
        return;
    }
    QVERIFY2(error.contains(u"\"dev\""_s), qPrintable(error));
    QVERIFY2(error.contains(key + u':'), qPrintable(error));
}

void tst_NetInstruments::declaresTheNewKeys()
{
    // The config loader refuses keys a plugin does not declare: the new
    // keys are declared, so they pass, and nothing else was added.
    HalRig rig;
    const auto keys = rig.hal().pluginConfigKeys();
    QVERIFY(keys.value(u"scpi"_s).contains(u"tcp"_s));
    QVERIFY(keys.value(u"linestream"_s).contains(u"tcp"_s));
    QVERIFY(keys.value(u"modbus"_s).contains(u"tcp"_s));
    QVERIFY(keys.value(u"modbus"_s).contains(u"max_gap"_s));
    QVERIFY(!keys.value(u"scpi"_s).contains(u"max_gap"_s));
    QVERIFY(!keys.value(u"sim"_s).contains(u"tcp"_s));
}

void tst_NetInstruments::scpiOverTcp()
{
    TcpInstrument psu;
    psu.answer = psuAnswer;
    QVERIFY(psu.listen());
    HalRig rig;
    QCOMPARE(rig.apply({psuEntry(psu.endpoint())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"psu"_s, u"voltage"_s), QVariant(12.5), kWaitMs);
    QCOMPARE(rig.info(u"psu"_s).port, psu.endpoint());
    QCOMPARE(rig.info(u"psu"_s).state, DeviceState::Connected);
    const quint64 ticket = rig.command(u"psu"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(ticket)->result.toString(), u"ACME,PSU-3005,42,1.0"_s);
    const quint64 write = rig.command(u"psu"_s, u"scpi"_s, {{u"line"_s, u"VOLT 3.3"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(write).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(write)->status, CommandOutcome::Status::Ok);
    QTRY_VERIFY_WITH_TIMEOUT(psu.lines.contains("VOLT 3.3"), kWaitMs);
}

void tst_NetInstruments::peerGoesAwayAndComesBack()
{
    TcpInstrument psu;
    psu.answer = psuAnswer;
    QVERIFY(psu.listen());
    const quint16 port = psu.port();
    HalRig rig;
    QCOMPARE(rig.apply({psuEntry(psu.endpoint())}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Connected, kWaitMs);

    psu.close();
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Disconnected, kWaitMs);
    QCOMPARE(count(rig.states(u"psu"_s), DeviceState::Disconnected), 1);
    // Commands while it is away are answered, not left hanging.
    const quint64 ticket = rig.command(u"psu"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(ticket)->errorCode, u"device_unavailable"_s);

    const qsizetype before = rig.samples(u"psu"_s).size();
    QVERIFY(psu.listen(port));
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(rig.samples(u"psu"_s).size() > before, kWaitMs);
    const QList<DeviceState> states = rig.states(u"psu"_s);
    QCOMPARE(count(states, DeviceState::Disconnected), 1);
    QCOMPARE(count(states, DeviceState::Connected), 2);
    QCOMPARE(states.last(), DeviceState::Connected);
}

void tst_NetInstruments::refusedConnectionRetries()
{
    // Nothing listens yet: the device waits (no disconnect events for
    // failed attempts) and connects once the instrument is there.
    TcpInstrument probe;
    QVERIFY(probe.listen());
    const quint16 port = probe.port();
    probe.close();
    HalRig rig;
    QCOMPARE(rig.apply({psuEntry(u"127.0.0.1:%1"_s.arg(port))}), QString());
    QCOMPARE(rig.info(u"psu"_s).state, DeviceState::Connecting);
    QVERIFY(rig.states(u"psu"_s).isEmpty());
    // The operator is told why, once, however many attempts fail the same way.
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"psu"_s).isEmpty(), kWaitMs);
    const QString reason = rig.errors(u"psu"_s).first();
    QVERIFY2(reason.startsWith(u"cannot connect to 127.0.0.1:%1"_s.arg(port)), qPrintable(reason));
    QCOMPARE(rig.info(u"psu"_s).error, reason);
    TcpInstrument psu;
    psu.answer = psuAnswer;
    QVERIFY(psu.listen(port));
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Connected, 15000);
    QCOMPARE(rig.states(u"psu"_s), QList<DeviceState>{DeviceState::Connected});
    QCOMPARE(rig.errors(u"psu"_s), QStringList{reason});
    QVERIFY(rig.info(u"psu"_s).error.isEmpty());
}

void tst_NetInstruments::peerThatNeverAnswersIsReported()
{
    TcpInstrument mute;                 // accepts, reads, never answers
    QVERIFY(mute.listen());
    HalRig rig;
    QCOMPARE(rig.apply({psuEntry(mute.endpoint())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"psu"_s).isEmpty(), kWaitMs);
    QVERIFY2(rig.errors(u"psu"_s).first().contains(u"no reply"_s),
             qPrintable(rig.errors(u"psu"_s).first()));
    const quint64 ticket = rig.command(u"psu"_s, u"scpi"_s, {{u"line"_s, u"*IDN?"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(ticket)->errorCode, u"no_reply"_s);
    QVERIFY(rig.samples(u"psu"_s).isEmpty());
}

void tst_NetInstruments::linestreamOverTcp()
{
    TcpInstrument board;
    bool led = false;
    board.answer = [&led](const QByteArray &line) -> QByteArray {
        if (line == "led 1") {
            led = true;
            return "OK";
        }
        return "ERR unknown";
    };
    QVERIFY(board.listen());
    const quint16 port = board.port();
    HalRig rig;
    QCOMPARE(rig.apply({{{u"id"_s, u"board"_s}, {u"plugin"_s, u"linestream"_s},
                         {u"tcp"_s, board.endpoint()}}}),
             QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"board"_s).state, DeviceState::Connected, kWaitMs);
    board.push("temp=21.5,hum=40");
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"board"_s, u"temp"_s), QVariant(21.5), kWaitMs);
    QCOMPARE(rig.lastValue(u"board"_s, u"hum"_s), QVariant(qint64(40)));
    const quint64 ticket = rig.command(u"board"_s, u"led"_s, {{u"args"_s, QVariantList{1}}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(ticket).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(ticket)->status, CommandOutcome::Status::Ok);
    QVERIFY(led);

    board.close();
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"board"_s).state, DeviceState::Disconnected, kWaitMs);
    QVERIFY(board.listen(port));
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"board"_s).state, DeviceState::Connected, kWaitMs);
    board.push("temp=22");
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"board"_s, u"temp"_s), QVariant(qint64(22)), kWaitMs);
}

void tst_NetInstruments::idnProbingPicksTheRightInstrument()
{
    IdnPty meter("KEYSIGHT,34461A,MY123,A.02");
    IdnPty supply("ACME,PSU-3005,42,1.0");
    QVERIFY2(meter.pty.open(), qPrintable(meter.pty.error()));
    QVERIFY2(supply.pty.open(), qPrintable(supply.pty.error()));
    // The meter is listed first: a probe that took the first port would be wrong.
    PortRegistry::setPortLister([&]() {
        return QList<PortDescription>{{meter.pty.slavePath(), {}, {}, {}},
                                      {supply.pty.slavePath(), {}, {}, {}}};
    });
    HalRig rig;
    QVariantMap entry{{u"id"_s, u"psu"_s}, {u"plugin"_s, u"scpi"_s},
                      {u"match"_s, QVariantMap{{u"idn"_s, u"PSU-\\d+"_s}}},   // unanchored
                      {u"poll_hz"_s, 20},
                      {u"channels"_s, QVariantMap{{u"voltage"_s, u"MEAS:VOLT?"_s}}}};
    QCOMPARE(rig.apply({entry}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Connected, kWaitMs);
    QCOMPARE(rig.info(u"psu"_s).port, supply.pty.slavePath());
    QVERIFY(meter.idnQueries >= 1);         // asked, did not match, let go
    QCOMPARE(supply.idnQueries, 1);
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"psu"_s).isEmpty(), kWaitMs);
    // The polls go to the supply, not to the meter.
    QVERIFY(supply.pty.lines().contains("MEAS:VOLT?"));
    QVERIFY(!meter.pty.lines().contains("MEAS:VOLT?"));
}

void tst_NetInstruments::heldPortIsNotProbed()
{
    IdnPty held("ACME,PSU-3005,1,1.0");     // would match, but another device has it
    IdnPty other("ACME,PSU-3005,2,1.0");
    QVERIFY2(held.pty.open(), qPrintable(held.pty.error()));
    QVERIFY2(other.pty.open(), qPrintable(other.pty.error()));
    PortRegistry::setPortLister([&]() {
        return QList<PortDescription>{{held.pty.slavePath(), {}, {}, {}},
                                      {other.pty.slavePath(), {}, {}, {}}};
    });
    HalRig rig;
    const QVariantMap board{{u"id"_s, u"board"_s}, {u"plugin"_s, u"linestream"_s},
                            {u"port"_s, held.pty.slavePath()}};
    const QVariantMap psu{{u"id"_s, u"psu"_s}, {u"plugin"_s, u"scpi"_s},
                          {u"match"_s, QVariantMap{{u"idn"_s, u"ACME"_s}}}};
    // The prober comes first in the config: the board's port is still its.
    QCOMPARE(rig.apply({psu, board}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"psu"_s).state, DeviceState::Connected, kWaitMs);
    QCOMPARE(rig.info(u"psu"_s).port, other.pty.slavePath());
    QCOMPARE(rig.info(u"board"_s).state, DeviceState::Connected);
    QCOMPARE(held.idnQueries, 0);
    QVERIFY(!held.pty.lines().contains("*IDN?"));

    // With no instrument that matches, probing goes on (with backoff) and
    // never touches the held port either.
    HalRig lonely;
    IdnPty wrong("OTHER,THING,0,0");
    QVERIFY(wrong.pty.open());
    PortRegistry::setPortLister([&]() {
        return QList<PortDescription>{{wrong.pty.slavePath(), {}, {}, {}}};
    });
    QCOMPARE(lonely.apply({QVariantMap{{u"id"_s, u"x"_s}, {u"plugin"_s, u"scpi"_s},
                                       {u"match"_s, QVariantMap{{u"idn"_s, u"ACME"_s}}}}}),
             QString());
    QTRY_VERIFY_WITH_TIMEOUT(wrong.idnQueries >= 2, kWaitMs);     // asked again later
    QCOMPARE(lonely.info(u"x"_s).state, DeviceState::Connecting);
}

namespace {

// pymodbus's Modbus TCP server (modbus_tcp_slave.py) on a free port.
struct PyModbusServer
{
    QProcess process;
    quint16 port = 0;

    bool start()
    {
        process.setProgram(u"/usr/bin/python3"_s);
        process.setArguments({QStringLiteral(MODBUS_TCP_SLAVE)});
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start();
        if (!process.waitForStarted(5000))
            return false;
        QByteArray out;
        if (!QTest::qWaitFor([&]() {
                out += process.readAllStandardOutput();
                return out.contains('\n') || process.state() == QProcess::NotRunning;
            }, 15000))
            return false;
        if (!out.startsWith("ready "))
            return false;
        port = quint16(out.mid(6).trimmed().toUInt());
        return port != 0;
    }
    ~PyModbusServer()
    {
        process.kill();
        process.waitForFinished(5000);
    }
};

QVariantMap holding(int address)
{
    return {{u"table"_s, u"holding"_s}, {u"address"_s, address}};
}

} // namespace

void tst_NetInstruments::modbusTcpValuesAndCommands()
{
    PyModbusServer server;
    QVERIFY2(server.start(), "pymodbus Modbus TCP server did not start");
    HalRig rig;
    const QVariantMap entry{{u"id"_s, u"plc"_s}, {u"plugin"_s, u"modbus"_s},
                            {u"tcp"_s, u"127.0.0.1:%1"_s.arg(server.port)},
                            {u"unit"_s, 1}, {u"poll_hz"_s, 20},
                            {u"channels"_s, QVariantMap{{u"flow"_s, holding(0)},
                                                        {u"level"_s, holding(1)},
                                                        {u"pump"_s, QVariantMap{{u"table"_s, u"coil"_s},
                                                                                {u"address"_s, 2}}}}}};
    QCOMPARE(rig.apply({entry}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"plc"_s, u"flow"_s), QVariant(qint64(1234)), kWaitMs);
    QCOMPARE(rig.lastValue(u"plc"_s, u"level"_s), QVariant(qint64(2)));
    QCOMPARE(rig.lastValue(u"plc"_s, u"pump"_s), QVariant(false));
    QCOMPARE(rig.info(u"plc"_s).port, u"127.0.0.1:%1"_s.arg(server.port));

    const quint64 reg = rig.command(u"plc"_s, u"write_register"_s,
                                    {{u"address"_s, 1}, {u"value"_s, 777}});
    const quint64 coil = rig.command(u"plc"_s, u"write_coil"_s,
                                     {{u"address"_s, 2}, {u"value"_s, true}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(reg).has_value() && rig.outcome(coil).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(reg)->status, CommandOutcome::Status::Ok);
    QCOMPARE(rig.outcome(coil)->status, CommandOutcome::Status::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"plc"_s, u"level"_s), QVariant(qint64(777)), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"plc"_s, u"pump"_s), QVariant(true), kWaitMs);

    // A register the server does not have is the server's exception.
    const quint64 bad = rig.command(u"plc"_s, u"write_register"_s,
                                    {{u"address"_s, 10}, {u"value"_s, 1}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(bad).has_value(), kWaitMs);
    QCOMPARE(rig.outcome(bad)->errorCode, u"modbus_exception"_s);

    // The server going away is a lost port.
    server.process.kill();
    QTRY_COMPARE_WITH_TIMEOUT(rig.info(u"plc"_s).state, DeviceState::Disconnected, kWaitMs);
}

void tst_NetInstruments::modbusHoleWithMaxGap()
{
    PyModbusServer server;
    QVERIFY2(server.start(), "pymodbus Modbus TCP server did not start");
    QVariantMap entry{{u"id"_s, u"plc"_s}, {u"plugin"_s, u"modbus"_s},
                      {u"tcp"_s, u"127.0.0.1:%1"_s.arg(server.port)}, {u"poll_hz"_s, 20},
                      {u"channels"_s, QVariantMap{{u"a"_s, holding(0)}, {u"b"_s, holding(20)}}}};
    {
        // One read over 0..20 spans the hole: the server refuses it.
        HalRig rig;
        QCOMPARE(rig.apply({entry}), QString());
        QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"plc"_s).isEmpty(), kWaitMs);
        QVERIFY2(rig.errors(u"plc"_s).first().contains(u"modbus_exception"_s),
                 qPrintable(rig.errors(u"plc"_s).first()));
        QVERIFY(rig.samples(u"plc"_s).isEmpty());
    }
    entry.insert(u"max_gap"_s, 0);
    HalRig rig;
    QCOMPARE(rig.apply({entry}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"plc"_s, u"b"_s), QVariant(qint64(500)), kWaitMs);
    QCOMPARE(rig.lastValue(u"plc"_s, u"a"_s), QVariant(qint64(1234)));
    QVERIFY(rig.errors(u"plc"_s).isEmpty());
}

QTEST_GUILESS_MAIN(tst_NetInstruments)
#include "tst_netinstruments.moc"
