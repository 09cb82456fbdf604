// Units and ranged command params from the config, end to end: what a
// client lists (`devices`: channel units, typed params, param_info) and a
// command out of range refused with invalid_params before the instrument
// sees it (docs/protocol.md sections 4 and 11).

#include "bus/deviceconfig.h"
#include "halmanager.h"
#include "ptypeer.h"
#include "server/server.h"
#include "testclient.h"
#include "testserver.h"

#include <QTest>

using namespace halhub;

namespace {

DeviceConfig deviceConfig(const QVariantMap &entry)
{
    return DeviceConfig{entry.value(QStringLiteral("id")).toString(),
                        entry.value(QStringLiteral("plugin")).toString(), entry};
}

QVariantMap supplyEntry(const QString &port)
{
    const QVariantMap voltageParam{{QStringLiteral("type"), QStringLiteral("number")},
                                   {QStringLiteral("min"), 0},
                                   {QStringLiteral("max"), 30},
                                   {QStringLiteral("unit"), QStringLiteral("V")}};
    return {{QStringLiteral("id"), QStringLiteral("psu1")},
            {QStringLiteral("plugin"), QStringLiteral("scpi")},
            {QStringLiteral("port"), port},
            {QStringLiteral("poll_hz"), 10},
            {QStringLiteral("channels"),
             QVariantMap{{QStringLiteral("voltage"),
                          QVariantMap{{QStringLiteral("query"), QStringLiteral("MEAS:VOLT?")},
                                      {QStringLiteral("unit"), QStringLiteral("V")}}},
                         {QStringLiteral("current"), QStringLiteral("MEAS:CURR?")}}},
            {QStringLiteral("commands"),
             QVariantMap{{QStringLiteral("set_voltage"),
                          QVariantMap{{QStringLiteral("template"), QStringLiteral("VOLT {value}")},
                                      {QStringLiteral("description"),
                                       QStringLiteral("Sets the output voltage")},
                                      {QStringLiteral("params"),
                                       QVariantMap{{QStringLiteral("value"), voltageParam}}}}},
                         {QStringLiteral("output"), QStringLiteral("OUTP {state}")}}}};
}

QVariantMap listed(const QVariantMap &devicesReply, const QString &id)
{
    for (const QVariant &d : devicesReply.value(QStringLiteral("devices")).toList()) {
        if (d.toMap().value(QStringLiteral("id")) == id)
            return d.toMap();
    }
    return {};
}

QVariantMap named(const QVariantList &list, const QString &name)
{
    for (const QVariant &item : list) {
        if (item.toMap().value(QStringLiteral("name")) == name)
            return item.toMap();
    }
    return {};
}

QVariantMap command(const QString &device, const QString &name, const QVariantMap &params)
{
    return {{QStringLiteral("type"), QStringLiteral("command")},
            {QStringLiteral("device"), device},
            {QStringLiteral("command"), name},
            {QStringLiteral("params"), params}};
}

} // namespace

class tst_UnitsAndRanges : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void supplyListsUnitsAndRefusesOutOfRange();
    void linestreamAndModbusUnits();
    void badConfigNamesTheKey_data();
    void badConfigNamesTheKey();
};

void tst_UnitsAndRanges::supplyListsUnitsAndRefusesOutOfRange()
{
    PtyPeer psu;
    QVERIFY2(psu.open(), qPrintable(psu.error()));
    QList<QByteArray> written;
    psu.setLineHandler([&](const QByteArray &line) {
        if (line == "MEAS:VOLT?")
            psu.writeLine("12.5");
        else if (line == "MEAS:CURR?")
            psu.writeLine("0.25");
        else
            written << line;
    });
    Config config;
    config.server.port = 0;
    config.devices = {deviceConfig(supplyEntry(psu.slavePath()))};
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));
    QVariantMap device;
    QTRY_COMPARE_WITH_TIMEOUT((device = listed(client.request({{QStringLiteral("type"),
                                                                 QStringLiteral("list_devices")}}),
                                               QStringLiteral("psu1")))
                                      .value(QStringLiteral("state")).toString(),
                              QStringLiteral("connected"), 5000);

    const QVariantList channels = device.value(QStringLiteral("channels")).toList();
    QCOMPARE(named(channels, QStringLiteral("voltage")).value(QStringLiteral("unit")).toString(),
             QStringLiteral("V"));
    QVERIFY(!named(channels, QStringLiteral("current")).contains(QStringLiteral("unit")));

    const QVariantList commands = device.value(QStringLiteral("commands")).toList();
    const QVariantMap setVoltage = named(commands, QStringLiteral("set_voltage"));
    QCOMPARE(setVoltage.value(QStringLiteral("description")).toString(),
             QStringLiteral("Sets the output voltage"));
    QCOMPARE(setVoltage.value(QStringLiteral("params")).toMap(),
             (QVariantMap{{QStringLiteral("value"), QStringLiteral("number")}}));
    const QVariantMap info = setVoltage.value(QStringLiteral("param_info")).toMap()
                                     .value(QStringLiteral("value")).toMap();
    QCOMPARE(info.value(QStringLiteral("min")).toDouble(), 0.0);
    QCOMPARE(info.value(QStringLiteral("max")).toDouble(), 30.0);
    QCOMPARE(info.value(QStringLiteral("unit")).toString(), QStringLiteral("V"));
    // A plain template keeps untyped params and lists no param_info.
    const QVariantMap output = named(commands, QStringLiteral("output"));
    QCOMPARE(output.value(QStringLiteral("params")).toMap(),
             (QVariantMap{{QStringLiteral("state"), QStringLiteral("any")}}));
    QVERIFY(!output.contains(QStringLiteral("param_info")));

    // 99 V on a 30 V supply: refused before any ack, nothing written.
    const QVariantMap tooHigh = client.request(command(QStringLiteral("psu1"),
                                                       QStringLiteral("set_voltage"),
                                                       {{QStringLiteral("value"), 99}}));
    QCOMPARE(tooHigh.value(QStringLiteral("type")).toString(), QStringLiteral("error"));
    QCOMPARE(tooHigh.value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));
    QVERIFY2(tooHigh.value(QStringLiteral("message")).toString().contains(QStringLiteral("[0, 30]")),
             qPrintable(tooHigh.value(QStringLiteral("message")).toString()));
    const QVariantMap notNumber = client.request(command(QStringLiteral("psu1"),
                                                         QStringLiteral("set_voltage"),
                                                         {{QStringLiteral("value"),
                                                           QStringLiteral("12")}}));
    QCOMPARE(notNumber.value(QStringLiteral("code")).toString(), QStringLiteral("invalid_params"));

    // In range: acknowledged and written.
    const QVariantMap ack = client.request(command(QStringLiteral("psu1"),
                                                   QStringLiteral("set_voltage"),
                                                   {{QStringLiteral("value"), 12.5}}));
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QTRY_VERIFY_WITH_TIMEOUT(written.contains("VOLT 12.5"), 5000);
    for (const QByteArray &line : std::as_const(written))
        QVERIFY2(!line.contains("99"), line.constData());
}

void tst_UnitsAndRanges::linestreamAndModbusUnits()
{
    PtyPeer board;
    QVERIFY2(board.open(), qPrintable(board.error()));
    const QVariantMap linestream{
            {QStringLiteral("id"), QStringLiteral("ard0")},
            {QStringLiteral("plugin"), QStringLiteral("linestream")},
            {QStringLiteral("port"), board.slavePath()},
            {QStringLiteral("units"), QVariantMap{{QStringLiteral("temp"), QStringLiteral("°C")}}}};
    // Never opened here: its channels are listed from the config all the same.
    const QVariantMap modbus{
            {QStringLiteral("id"), QStringLiteral("flow1")},
            {QStringLiteral("plugin"), QStringLiteral("modbus")},
            {QStringLiteral("port"), QStringLiteral("/nonexistent/ttyUSB9")},
            {QStringLiteral("channels"),
             QVariantMap{{QStringLiteral("flow"),
                          QVariantMap{{QStringLiteral("table"), QStringLiteral("holding")},
                                      {QStringLiteral("address"), 0},
                                      {QStringLiteral("scale"), 0.1},
                                      {QStringLiteral("unit"), QStringLiteral("l/min")}}}}}};
    Config config;
    config.server.port = 0;
    config.devices = {deviceConfig(linestream), deviceConfig(modbus)};
    TestServer hub(config);
    QVERIFY2(hub.start(), qPrintable(hub.error()));
    TestClient client;
    QVERIFY(client.open(hub.url()));
    const auto list = [&client]() {
        return client.request({{QStringLiteral("type"), QStringLiteral("list_devices")}});
    };
    QTRY_COMPARE_WITH_TIMEOUT(listed(list(), QStringLiteral("ard0")).value(QStringLiteral("state"))
                                      .toString(),
                              QStringLiteral("connected"), 5000);
    board.writeLine("temp=21.5,raw=7");
    QVariantList channels;
    QTRY_COMPARE_WITH_TIMEOUT((channels = listed(list(), QStringLiteral("ard0"))
                                                  .value(QStringLiteral("channels")).toList())
                                      .size(),
                              2, 5000);
    QCOMPARE(named(channels, QStringLiteral("temp")).value(QStringLiteral("unit")).toString(),
             QStringLiteral("°C"));
    QVERIFY(!named(channels, QStringLiteral("raw")).contains(QStringLiteral("unit")));

    const QVariantList flow = listed(list(), QStringLiteral("flow1"))
                                      .value(QStringLiteral("channels")).toList();
    QCOMPARE(named(flow, QStringLiteral("flow")).value(QStringLiteral("unit")).toString(),
             QStringLiteral("l/min"));
    // write_register's built-in range is listed as param_info too.
    const QVariantMap writeRegister = named(listed(list(), QStringLiteral("flow1"))
                                                    .value(QStringLiteral("commands")).toList(),
                                            QStringLiteral("write_register"));
    QCOMPARE(writeRegister.value(QStringLiteral("param_info")).toMap()
                     .value(QStringLiteral("address")).toMap()
                     .value(QStringLiteral("max")).toDouble(),
             65535.0);
}

void tst_UnitsAndRanges::badConfigNamesTheKey_data()
{
    QTest::addColumn<QVariantMap>("entry");
    QTest::addColumn<QString>("expected");
    const auto scpi = [](const QVariantMap &extra) {
        QVariantMap e{{QStringLiteral("id"), QStringLiteral("d")},
                      {QStringLiteral("plugin"), QStringLiteral("scpi")},
                      {QStringLiteral("port"), QStringLiteral("/dev/null")}};
        e.insert(extra);
        return e;
    };
    const auto withParam = [&scpi](const QVariantMap &param) {
        return scpi({{QStringLiteral("commands"),
                      QVariantMap{{QStringLiteral("set"),
                                   QVariantMap{{QStringLiteral("template"), QStringLiteral("V {v}")},
                                               {QStringLiteral("params"),
                                                QVariantMap{{QStringLiteral("v"), param}}}}}}}});
    };
    QTest::addRow("min above max")
            << withParam({{QStringLiteral("type"), QStringLiteral("number")},
                          {QStringLiteral("min"), 5}, {QStringLiteral("max"), 1}})
            << QStringLiteral("commands.set.params.v: min is above max");
    QTest::addRow("unknown param type")
            << withParam({{QStringLiteral("type"), QStringLiteral("volts")}})
            << QStringLiteral("commands.set.params.v.type");
    QTest::addRow("range on a string")
            << withParam({{QStringLiteral("type"), QStringLiteral("string")},
                          {QStringLiteral("max"), 3}})
            << QStringLiteral("commands.set.params.v.max");
    QTest::addRow("param the template lacks")
            << scpi({{QStringLiteral("commands"),
                      QVariantMap{{QStringLiteral("set"),
                                   QVariantMap{{QStringLiteral("template"), QStringLiteral("V 1")},
                                               {QStringLiteral("params"),
                                                QVariantMap{{QStringLiteral("v"), QVariantMap()}}}}}}}})
            << QStringLiteral("commands.set.params.v: the template has no {v}");
    QTest::addRow("channel unit not a string")
            << scpi({{QStringLiteral("channels"),
                      QVariantMap{{QStringLiteral("v"),
                                   QVariantMap{{QStringLiteral("query"), QStringLiteral("V?")},
                                               {QStringLiteral("unit"), 1}}}}}})
            << QStringLiteral("channels.v.unit");
    QTest::addRow("linestream units not a map")
            << QVariantMap{{QStringLiteral("id"), QStringLiteral("d")},
                           {QStringLiteral("plugin"), QStringLiteral("linestream")},
                           {QStringLiteral("port"), QStringLiteral("/dev/null")},
                           {QStringLiteral("units"), QStringLiteral("V")}}
            << QStringLiteral("units: expected an object");
}

void tst_UnitsAndRanges::badConfigNamesTheKey()
{
    QFETCH(QVariantMap, entry);
    QFETCH(QString, expected);
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    const QString problem = hal.checkDevice(deviceConfig(entry));
    QVERIFY2(problem.contains(expected), qPrintable(problem));
}

QTEST_GUILESS_MAIN(tst_UnitsAndRanges)
#include "tst_unitsandranges.moc"
