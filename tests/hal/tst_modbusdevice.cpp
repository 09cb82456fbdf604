// The modbus plugin against Qt's own Modbus RTU server, the two joined by a
// pair of pseudo-terminals.

#include "halrig.h"
#include "ptypeer.h"

#include "../../hal/plugins/modbus/modbusmap.h"

#include <QModbusRtuSerialServer>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace halhub;
using namespace Qt::StringLiterals;

namespace {

QVariantMap channel(const QString &table, int address, const QString &type = {},
                    double scale = 0)
{
    QVariantMap c{{u"table"_s, table}, {u"address"_s, address}};
    if (!type.isEmpty())
        c.insert(u"type"_s, type);
    if (scale != 0)
        c.insert(u"scale"_s, scale);
    return c;
}

QVariantMap flowConfig(const QString &port)
{
    return QVariantMap{
            {u"id"_s, u"flow1"_s}, {u"plugin"_s, u"modbus"_s}, {u"port"_s, port},
            {u"baud"_s, 19200}, {u"parity"_s, u"none"_s}, {u"stopbits"_s, 1},
            {u"unit"_s, 1}, {u"poll_hz"_s, 20},
            {u"channels"_s, QVariantMap{
                     {u"flow"_s, channel(u"holding"_s, 0, u"uint16"_s, 0.1)},
                     {u"offset"_s, channel(u"holding"_s, 1, u"int16"_s)},
                     {u"total"_s, channel(u"holding"_s, 2, u"uint32"_s)},
                     {u"temp"_s, channel(u"input"_s, 4, u"float32"_s)},
                     {u"delta"_s, channel(u"input"_s, 6, u"int32"_s)},
                     {u"pump"_s, channel(u"coil"_s, 0)},
                     {u"alarm"_s, channel(u"discrete"_s, 3)}}},
    };
}

// A slave with a small map on side B of a cable.
struct Slave
{
    QModbusRtuSerialServer server;

    bool start(const QString &port)
    {
        QModbusDataUnitMap map;
        map.insert(QModbusDataUnit::HoldingRegisters, {QModbusDataUnit::HoldingRegisters, 0, 10});
        map.insert(QModbusDataUnit::InputRegisters, {QModbusDataUnit::InputRegisters, 0, 10});
        map.insert(QModbusDataUnit::Coils, {QModbusDataUnit::Coils, 0, 10});
        map.insert(QModbusDataUnit::DiscreteInputs, {QModbusDataUnit::DiscreteInputs, 0, 10});
        server.setMap(map);
        server.setServerAddress(1);
        server.setConnectionParameter(QModbusDevice::SerialPortNameParameter, port);
        server.setConnectionParameter(QModbusDevice::SerialBaudRateParameter, 19200);
        server.setData(QModbusDataUnit::HoldingRegisters, 0, 123);       // 12.3
        server.setData(QModbusDataUnit::HoldingRegisters, 1, quint16(-5));
        server.setData(QModbusDataUnit::HoldingRegisters, 2, 0x0001);    // 70000 =
        server.setData(QModbusDataUnit::HoldingRegisters, 3, 0x1170);    // 0x00011170
        const float temp = 21.5f;
        quint32 bits = 0;
        std::memcpy(&bits, &temp, sizeof bits);
        server.setData(QModbusDataUnit::InputRegisters, 4, quint16(bits >> 16));
        server.setData(QModbusDataUnit::InputRegisters, 5, quint16(bits & 0xffff));
        server.setData(QModbusDataUnit::InputRegisters, 6, 0xffff);      // -2
        server.setData(QModbusDataUnit::InputRegisters, 7, 0xfffe);
        server.setData(QModbusDataUnit::Coils, 0, 1);
        server.setData(QModbusDataUnit::DiscreteInputs, 3, 1);
        return server.connectDevice();
    }
};

} // namespace

class tst_ModbusDevice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void grouping_data();
    void grouping();
    void groupingWithMaxGap_data();
    void groupingWithMaxGap();
    void checkConfig_data();
    void checkConfig();
    void readsEveryType();
    void writes();
    void exceptionIsACommandError();
    void absentSlaveIsNoReply();
    void unplugAndReplug();
};

void tst_ModbusDevice::grouping_data()
{
    QTest::addColumn<QVariantMap>("channels");
    QTest::addColumn<int>("requests");

    QTest::addRow("adjacent registers in one read")
            << QVariantMap{{u"a"_s, channel(u"holding"_s, 0)}, {u"b"_s, channel(u"holding"_s, 1)},
                           {u"c"_s, channel(u"holding"_s, 2, u"float32"_s)}}
            << 1;
    QTest::addRow("gap within 125 still one read")
            << QVariantMap{{u"a"_s, channel(u"holding"_s, 0)}, {u"b"_s, channel(u"holding"_s, 100)}}
            << 1;
    QTest::addRow("beyond 125 registers splits")
            << QVariantMap{{u"a"_s, channel(u"holding"_s, 0)}, {u"b"_s, channel(u"holding"_s, 125)}}
            << 2;
    QTest::addRow("tables never mix")
            << QVariantMap{{u"a"_s, channel(u"holding"_s, 0)}, {u"b"_s, channel(u"input"_s, 1)},
                           {u"c"_s, channel(u"coil"_s, 0)}, {u"d"_s, channel(u"discrete"_s, 0)}}
            << 4;
    QTest::addRow("coils span 2000")
            << QVariantMap{{u"a"_s, channel(u"coil"_s, 0)}, {u"b"_s, channel(u"coil"_s, 1999)}}
            << 1;
}

void tst_ModbusDevice::grouping()
{
    QFETCH(QVariantMap, channels);
    QFETCH(int, requests);
    QVERIFY(checkModbusChannels(channels).isEmpty());
    const QList<ModbusChannel> list = modbusChannels(channels);
    const QList<ModbusRead> reads = groupReads(list);
    QCOMPARE(reads.size(), requests);
    int covered = 0;
    for (const ModbusRead &read : reads) {
        covered += read.channels.size();
        QVERIFY(read.count <= 2000);
        for (int i : read.channels) {
            QVERIFY(list.at(i).address >= read.start);
            QVERIFY(list.at(i).address + list.at(i).width() <= read.start + read.count);
        }
    }
    QCOMPARE(covered, list.size());
}

void tst_ModbusDevice::groupingWithMaxGap_data()
{
    QTest::addColumn<int>("maxGap");
    QTest::addColumn<QList<int>>("starts");

    // Registers 0, 1 (a 32-bit value at 1..2), 5 and 40: holes of 2 and 34.
    QTest::addRow("unlimited: one read") << -1 << QList<int>{0};
    QTest::addRow("0: only adjacent registers") << 0 << QList<int>{0, 5, 40};
    QTest::addRow("2: the small hole is read") << 2 << QList<int>{0, 40};
    QTest::addRow("34: both holes") << 34 << QList<int>{0};
}

void tst_ModbusDevice::groupingWithMaxGap()
{
    QFETCH(int, maxGap);
    QFETCH(QList<int>, starts);
    const QVariantMap channels{{u"a"_s, channel(u"holding"_s, 0)},
                               {u"b"_s, channel(u"holding"_s, 1, u"uint32"_s)},
                               {u"c"_s, channel(u"holding"_s, 5)},
                               {u"d"_s, channel(u"holding"_s, 40)}};
    const QList<ModbusRead> reads = groupReads(modbusChannels(channels), maxGap);
    QList<int> got;
    for (const ModbusRead &read : reads)
        got << read.start;
    QCOMPARE(got, starts);
    QCOMPARE(reads.last().start + reads.last().count, 41);
}

void tst_ModbusDevice::checkConfig_data()
{
    QTest::addColumn<QVariantMap>("change");
    QTest::addColumn<QString>("key");
    QTest::addRow("unit 0") << QVariantMap{{u"unit"_s, 0}} << u"unit"_s;
    QTest::addRow("unknown table")
            << QVariantMap{{u"channels"_s, QVariantMap{{u"x"_s, channel(u"eeprom"_s, 0)}}}}
            << u"channels.x.table"_s;
    QTest::addRow("negative address")
            << QVariantMap{{u"channels"_s, QVariantMap{{u"x"_s, channel(u"holding"_s, -1)}}}}
            << u"channels.x.address"_s;
    QTest::addRow("coil typed float")
            << QVariantMap{{u"channels"_s, QVariantMap{{u"x"_s, channel(u"coil"_s, 0, u"float32"_s)}}}}
            << u"channels.x.type"_s;
    QTest::addRow("unknown register type")
            << QVariantMap{{u"channels"_s, QVariantMap{{u"x"_s, channel(u"holding"_s, 0, u"int8"_s)}}}}
            << u"channels.x.type"_s;
    QTest::addRow("poll_hz") << QVariantMap{{u"poll_hz"_s, -1}} << u"poll_hz"_s;
}

void tst_ModbusDevice::checkConfig()
{
    QFETCH(QVariantMap, change);
    QFETCH(QString, key);
    QVariantMap config = flowConfig(u"/dev/null"_s);
    for (auto it = change.constBegin(); it != change.constEnd(); ++it)
        config.insert(it.key(), *it);
    HalRig rig;
    const QString error = rig.apply({config});
    QVERIFY2(error.contains(key + u':'), qPrintable(error));
}

void tst_ModbusDevice::readsEveryType()
{
    PtyCable cable;
    QVERIFY(cable.open());
    Slave slave;
    QVERIFY2(slave.start(cable.b().slavePath()), qPrintable(slave.server.errorString()));
    HalRig rig;
    QCOMPARE(rig.apply({flowConfig(cable.a().slavePath())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(rig.samples(u"flow1"_s).size() >= 2, 10000);
    const DeviceInfo info = rig.info(u"flow1"_s);
    QCOMPARE(info.port, cable.a().slavePath());
    QCOMPARE(info.rateHz.value_or(0), 20.0);
    QCOMPARE(info.channel(u"flow"_s)->type, ChannelType::Float);
    QCOMPARE(info.channel(u"total"_s)->type, ChannelType::Int);
    QCOMPARE(info.channel(u"pump"_s)->type, ChannelType::Bool);

    QCOMPARE(rig.samples(u"flow1"_s).last().values.size(), 7);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"flow"_s).toDouble(), 12.3);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"offset"_s).toLongLong(), -5);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"total"_s).toLongLong(), 70000);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"temp"_s).toDouble(), 21.5);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"delta"_s).toLongLong(), -2);
    QCOMPARE(rig.lastValue(u"flow1"_s, u"pump"_s), QVariant(true));
    QCOMPARE(rig.lastValue(u"flow1"_s, u"alarm"_s), QVariant(true));
    QVERIFY(rig.errors(u"flow1"_s).isEmpty());
}

void tst_ModbusDevice::writes()
{
    PtyCable cable;
    QVERIFY(cable.open());
    Slave slave;
    QVERIFY(slave.start(cable.b().slavePath()));
    HalRig rig;
    QCOMPARE(rig.apply({flowConfig(cable.a().slavePath())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"flow1"_s).isEmpty(), 10000);

    const quint64 reg = rig.command(u"flow1"_s, u"write_register"_s,
                                    {{u"address"_s, 0}, {u"value"_s, 250}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(reg).has_value(), 10000);
    QCOMPARE(rig.outcome(reg)->status, CommandOutcome::Status::Ok);
    quint16 raw = 0;
    QVERIFY(slave.server.data(QModbusDataUnit::HoldingRegisters, 0, &raw));
    QCOMPARE(raw, quint16(250));
    // Raw on the wire, scaled in telemetry.
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"flow1"_s, u"flow"_s).toDouble(), 25.0, 10000);

    const quint64 coil = rig.command(u"flow1"_s, u"write_coil"_s,
                                     {{u"address"_s, 0}, {u"value"_s, false}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(coil).has_value(), 10000);
    QCOMPARE(rig.outcome(coil)->status, CommandOutcome::Status::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"flow1"_s, u"pump"_s), QVariant(false), 10000);
}

void tst_ModbusDevice::exceptionIsACommandError()
{
    PtyCable cable;
    QVERIFY(cable.open());
    Slave slave;
    QVERIFY(slave.start(cable.b().slavePath()));
    HalRig rig;
    QCOMPARE(rig.apply({flowConfig(cable.a().slavePath())}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"flow1"_s).isEmpty(), 10000);
    const quint64 outside = rig.command(u"flow1"_s, u"write_register"_s,
                                        {{u"address"_s, 500}, {u"value"_s, 1}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(outside).has_value(), 10000);
    QCOMPARE(rig.outcome(outside)->errorCode, u"modbus_exception"_s);
    // Polling carries on.
    const qsizetype before = rig.samples(u"flow1"_s).size();
    QTRY_VERIFY_WITH_TIMEOUT(rig.samples(u"flow1"_s).size() > before, 10000);
}

void tst_ModbusDevice::absentSlaveIsNoReply()
{
    PtyCable cable;
    QVERIFY(cable.open());
    Slave slave;
    QVERIFY(slave.start(cable.b().slavePath()));
    HalRig rig;
    QVariantMap config = flowConfig(cable.a().slavePath());
    config.insert(u"unit"_s, 9);          // nobody answers to 9
    QCOMPARE(rig.apply({config}), QString());
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"flow1"_s).size(), 1, 10000);
    const quint64 write = rig.command(u"flow1"_s, u"write_coil"_s,
                                      {{u"address"_s, 0}, {u"value"_s, true}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(write).has_value(), 10000);
    QCOMPARE(rig.outcome(write)->errorCode, u"no_reply"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors(u"flow1"_s).isEmpty(), 10000);
    QVERIFY(rig.errors(u"flow1"_s).first().contains(u"no_reply"_s));
    QVERIFY(rig.samples(u"flow1"_s).isEmpty());
    QCOMPARE(rig.states(u"flow1"_s).size(), 1);
}

void tst_ModbusDevice::unplugAndReplug()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(u"ttyRS485"_s);
    PtyCable cable;
    QVERIFY(cable.open());
    QVERIFY(cable.a().linkAt(link));
    Slave slave;
    QVERIFY(slave.start(cable.b().slavePath()));
    HalRig rig;
    QCOMPARE(rig.apply({flowConfig(link)}), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!rig.samples(u"flow1"_s).isEmpty(), 10000);

    cable.unplugA();
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"flow1"_s).size(), 2, 10000);
    QCOMPARE(rig.states(u"flow1"_s).last(), DeviceState::Disconnected);
    const quint64 away = rig.command(u"flow1"_s, u"write_coil"_s,
                                     {{u"address"_s, 0}, {u"value"_s, true}});
    QTRY_VERIFY_WITH_TIMEOUT(rig.outcome(away).has_value(), 10000);
    QCOMPARE(rig.outcome(away)->errorCode, u"device_unavailable"_s);

    QVERIFY(cable.replugA());
    QVERIFY(cable.a().linkAt(link));
    QTRY_COMPARE_WITH_TIMEOUT(rig.states(u"flow1"_s).size(), 3, 15000);
    QCOMPARE(rig.states(u"flow1"_s).last(), DeviceState::Connected);
    slave.server.setData(QModbusDataUnit::HoldingRegisters, 1, 77);
    QTRY_COMPARE_WITH_TIMEOUT(rig.lastValue(u"flow1"_s, u"offset"_s).toLongLong(), 77, 10000);
}

QTEST_GUILESS_MAIN(tst_ModbusDevice)
#include "tst_modbusdevice.moc"
