#include "bus/clock.h"
#include "bus/deviceinfo.h"
#include "bus/value.h"
#include "config/config.h"
#include "protocol/json.h"
#include "protocol/messages.h"
#include "protocolvalues.h"

#include <QTest>

using namespace halhub;
using namespace halhub::testing;

namespace {

// What a client reads: the message written as JSON and read back, so an
// integer stays an integer and a float a float, whatever QVariant held it.
QVariant onTheWire(const QVariantMap &message)
{
    QVariant v;
    QString error;
    if (!json::parse(json::write(message), &v, &error))
        qFatal("message does not read back: %s", qPrintable(error));
    return v;
}

QVariantMap parsed(const QByteArray &text)
{
    QVariant v;
    QString error;
    if (!json::parse(text, &v, &error) || !v.canConvert<QVariantMap>())
        qFatal("bad JSON in test: %s (%s)", text.constData(), qPrintable(error));
    return v.toMap();
}

// The message as the client sees it equals the expected JSON, types included.
#define COMPARE_WIRE(message, expectedJson)                                                       \
    do {                                                                                          \
        const QVariant actual_ = onTheWire(message);                                              \
        const QVariant expected_ = parsed(expectedJson);                                          \
        QVERIFY2(sameValue(actual_, expected_),                                                   \
                 ("got " + describe(actual_) + "\nexpected " + describe(expected_)).constData()); \
    } while (false)

// Takes a time field out of the message after checking it is an integer
// count of microseconds between before and after.
#define TAKE_TIME(message, key, before, after)                                                    \
    do {                                                                                          \
        const QVariant t_ = onTheWire(message).toMap().value(QStringLiteral(key));                \
        QCOMPARE(t_.typeId(), int(QMetaType::LongLong));                                          \
        QVERIFY2(t_.toLongLong() >= (before) && t_.toLongLong() <= (after),                       \
                 qPrintable(QStringLiteral("%1 = %2 not in [%3, %4]")                             \
                                .arg(QStringLiteral(key)).arg(t_.toLongLong())                    \
                                .arg(before).arg(after)));                                        \
        (message).remove(QStringLiteral(key));                                                    \
    } while (false)

QVariantMap request(const QByteArray &text)
{
    return parsed(text);
}

ParamSpec param(const QString &name, ParamType type)
{
    ParamSpec p;
    p.name = name;
    p.type = type;
    return p;
}

template <typename T>
QVariant asVariant(const std::optional<T> &v)
{
    return v ? QVariant::fromValue(*v) : QVariant();
}

} // namespace

class TestMessages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Builders
    void error_data();
    void error();
    void event_data();
    void event();
    void welcome_data();
    void welcome();
    void pong_data();
    void pong();
    void device_data();
    void device();
    void devicesInConfigurationOrder();
    void replies_data();
    void replies();
    void result_data();
    void result();

    // Readers
    void readHello_data();
    void readHello();
    void readHelloRefusals_data();
    void readHelloRefusals();
    void readCommand_data();
    void readCommand();
    void readCommandRefusals_data();
    void readCommandRefusals();
    void readRequiredString_data();
    void readRequiredString();
};

// Builders ------------------------------------------------------------------

void TestMessages::error_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QVariant>("id");
    QTest::addColumn<qint64>("retryAfterMs");
    QTest::addColumn<QByteArray>("expected");

    QTest::addRow("without id") << "unknown_type" << "unknown type: x" << QVariant() << qint64(-1)
                                << QByteArray(R"({"type":"error","code":"unknown_type","message":"unknown type: x"})");
    QTest::addRow("with an integer id")
            << "unknown_device" << "no device nope" << QVariant(qlonglong(7)) << qint64(-1)
            << QByteArray(R"({"type":"error","id":7,"code":"unknown_device","message":"no device nope"})");
    QTest::addRow("with a string id")
            << "not_found" << "no such command" << QVariant(QStringLiteral("r-1")) << qint64(-1)
            << QByteArray(R"({"type":"error","id":"r-1","code":"not_found","message":"no such command"})");
    QTest::addRow("rate_limited with retry_after_ms")
            << "rate_limited" << "slow down" << QVariant() << qint64(1500)
            << QByteArray(R"({"type":"error","code":"rate_limited","message":"slow down","retry_after_ms":1500})");
    QTest::addRow("retry_after_ms of 1")
            << "rate_limited" << "slow down" << QVariant() << qint64(1)
            << QByteArray(R"({"type":"error","code":"rate_limited","message":"slow down","retry_after_ms":1})");
}

void TestMessages::error()
{
    QFETCH(QString, code);
    QFETCH(QString, message);
    QFETCH(QVariant, id);
    QFETCH(qint64, retryAfterMs);
    QFETCH(QByteArray, expected);

    const QVariantMap m = retryAfterMs < 0 ? messages::error(code, message, id)
                                           : messages::error(code, message, id, retryAfterMs);
    COMPARE_WIRE(m, expected);
}

void TestMessages::event_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("stream");
    QTest::addColumn<QVariantMap>("data");
    QTest::addColumn<QByteArray>("expected");   // without ts

    QTest::addRow("no device, stream or data") << "server_shutdown" << QString() << QString()
                                               << QVariantMap()
                                               << QByteArray(R"({"type":"event","event":"server_shutdown"})");
    QTest::addRow("device only") << "device_connected" << "sim0" << QString() << QVariantMap()
                                 << QByteArray(R"({"type":"event","event":"device_connected","device":"sim0"})");
    QTest::addRow("device and stream") << "stream_closed" << "sim0" << "s3" << QVariantMap()
                                       << QByteArray(R"({"type":"event","event":"stream_closed","device":"sim0","stream":"s3"})");
    QTest::addRow("stream and data")
            << "stream_overflow" << QString() << "s1" << parsed(R"({"dropped":12})")
            << QByteArray(R"({"type":"event","event":"stream_overflow","stream":"s1","data":{"dropped":12}})");
    QTest::addRow("device and data")
            << "device_error" << "psu" << QString() << parsed(R"({"message":"no reply","count":3})")
            << QByteArray(R"({"type":"event","event":"device_error","device":"psu","data":{"message":"no reply","count":3}})");
}

void TestMessages::event()
{
    QFETCH(QString, name);
    QFETCH(QString, device);
    QFETCH(QString, stream);
    QFETCH(QVariantMap, data);
    QFETCH(QByteArray, expected);

    const qint64 before = wallClockUs();
    QVariantMap m = messages::event(name, device, stream, data);
    const qint64 after = wallClockUs();
    TAKE_TIME(m, "ts", before, after);
    COMPARE_WIRE(m, expected);
}

void TestMessages::welcome_data()
{
    QTest::addColumn<messages::Welcome>("welcome");
    QTest::addColumn<LimitsConfig>("limits");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray server = R"("server":"halhub/)" HALHUB_VERSION R"(")";
    const QByteArray defaultLimits = R"("limits":{"rate_limit_per_min":200,"max_rate_hz":1000.0,)"
                                     R"("max_streams":64,"max_message_bytes":65536})";

    messages::Welcome fresh;
    fresh.session = QStringLiteral("0123456789abcdef0123456789abcdef");
    QTest::addRow("new session")
            << fresh << LimitsConfig()
            << QByteArray(R"({"type":"welcome","session":"0123456789abcdef0123456789abcdef",)"
                          R"("resumed":false,)" + server + R"(,"protocol":1,"encoding":"json",)"
                          R"("compression":false,"heartbeat_ms":10000,)" + defaultLimits + "}");

    messages::Welcome notResumed = fresh;
    notResumed.streams = {parsed(R"({"stream":"s1","device":"sim0","mode":"full","rate_hz":100.0,"channels":["a"]})")};
    QTest::addRow("streams only when resumed")
            << notResumed << LimitsConfig()
            << QByteArray(R"({"type":"welcome","session":"0123456789abcdef0123456789abcdef",)"
                          R"("resumed":false,)" + server + R"(,"protocol":1,"encoding":"json",)"
                          R"("compression":false,"heartbeat_ms":10000,)" + defaultLimits + "}");

    messages::Welcome resumed = notResumed;
    resumed.resumed = true;
    QTest::addRow("resumed lists the streams")
            << resumed << LimitsConfig()
            << QByteArray(R"({"type":"welcome","session":"0123456789abcdef0123456789abcdef",)"
                          R"("resumed":true,)" + server + R"(,"protocol":1,"encoding":"json",)"
                          R"("compression":false,"heartbeat_ms":10000,)" + defaultLimits
                          + R"(,"streams":[{"stream":"s1","device":"sim0","mode":"full","rate_hz":100.0,"channels":["a"]}]})");

    messages::Welcome resumedEmpty = fresh;
    resumedEmpty.resumed = true;
    QTest::addRow("resumed without streams has an empty list")
            << resumedEmpty << LimitsConfig()
            << QByteArray(R"({"type":"welcome","session":"0123456789abcdef0123456789abcdef",)"
                          R"("resumed":true,)" + server + R"(,"protocol":1,"encoding":"json",)"
                          R"("compression":false,"heartbeat_ms":10000,)" + defaultLimits
                          + R"(,"streams":[]})");

    messages::Welcome msgpack = fresh;
    msgpack.encoding = Encoding::MsgPack;
    msgpack.compression = true;
    msgpack.heartbeatMs = 2500;
    LimitsConfig limits;
    limits.rateLimitPerMin = 30;
    limits.maxRateHz = 250;
    limits.maxStreams = 4;
    limits.maxMessageBytes = 4096;
    QTest::addRow("msgpack, compression, configured limits")
            << msgpack << limits
            << QByteArray(R"({"type":"welcome","session":"0123456789abcdef0123456789abcdef",)"
                          R"("resumed":false,)" + server + R"(,"protocol":1,"encoding":"msgpack",)"
                          R"("compression":true,"heartbeat_ms":2500,)"
                          R"("limits":{"rate_limit_per_min":30,"max_rate_hz":250.0,"max_streams":4,)"
                          R"("max_message_bytes":4096}})");
}

void TestMessages::welcome()
{
    QFETCH(messages::Welcome, welcome);
    QFETCH(LimitsConfig, limits);
    QFETCH(QByteArray, expected);

    COMPARE_WIRE(messages::welcome(welcome, limits), expected);
}

void TestMessages::pong_data()
{
    QTest::addColumn<QVariant>("t");
    QTest::addColumn<QByteArray>("expected");   // without server_time

    QTest::addRow("no t") << QVariant() << QByteArray(R"({"type":"pong"})");
    QTest::addRow("t null is left out") << value::null() << QByteArray(R"({"type":"pong"})");
    QTest::addRow("integer t") << QVariant(qlonglong(42)) << QByteArray(R"({"type":"pong","t":42})");
    QTest::addRow("t of 0") << QVariant(qlonglong(0)) << QByteArray(R"({"type":"pong","t":0})");
    QTest::addRow("float t stays a float") << QVariant(1.5) << QByteArray(R"({"type":"pong","t":1.5})");
    QTest::addRow("false t") << QVariant(false) << QByteArray(R"({"type":"pong","t":false})");
    QTest::addRow("string t") << QVariant(QStringLiteral("x")) << QByteArray(R"({"type":"pong","t":"x"})");
    QTest::addRow("map t") << QVariant(parsed(R"({"a":[1,2.0]})"))
                           << QByteArray(R"({"type":"pong","t":{"a":[1,2.0]}})");
}

void TestMessages::pong()
{
    QFETCH(QVariant, t);
    QFETCH(QByteArray, expected);

    const qint64 before = wallClockUs();
    QVariantMap m = messages::pong(t);
    const qint64 after = wallClockUs();
    TAKE_TIME(m, "server_time", before, after);
    COMPARE_WIRE(m, expected);
}

void TestMessages::device_data()
{
    QTest::addColumn<DeviceInfo>("info");
    QTest::addColumn<QByteArray>("expected");

    DeviceInfo bare;
    bare.id = QStringLiteral("sim0");
    bare.plugin = QStringLiteral("sim");
    bare.rateHz = 100;
    QTest::addRow("name falls back to the id")
            << bare
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connecting","error":null,)"
                          R"("rate_hz":100.0,"channels":[],"commands":[]})");

    DeviceInfo named = bare;
    named.name = QStringLiteral("Bench simulator");
    named.state = DeviceState::Connected;
    QTest::addRow("configured name")
            << named
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"Bench simulator","state":"connected","error":null,)"
                          R"("rate_hz":100.0,"channels":[],"commands":[]})");

    DeviceInfo push;
    push.id = QStringLiteral("ard0");
    push.plugin = QStringLiteral("linestream");
    push.state = DeviceState::Disconnected;
    push.port = QStringLiteral("/dev/ttyACM0");
    push.channels = {{QStringLiteral("temp"), QString(), ChannelType::Float}};
    QTest::addRow("push device: rate_hz null, port when known")
            << push
            << QByteArray(R"({"id":"ard0","plugin":"linestream","name":"ard0","state":"disconnected","error":null,)"
                          R"("port":"/dev/ttyACM0","rate_hz":null,)"
                          R"("channels":[{"name":"temp","type":"float"}],"commands":[]})");

    DeviceInfo channels = bare;
    channels.state = DeviceState::Error;
    channels.channels = {{QStringLiteral("volts"), QStringLiteral("V"), ChannelType::Float},
                         {QStringLiteral("count"), QString(), ChannelType::Int},
                         {QStringLiteral("on"), QString(), ChannelType::Bool},
                         {QStringLiteral("label"), QString(), ChannelType::String}};
    QTest::addRow("unit only when set, channel types")
            << channels
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"error","error":null,"rate_hz":100.0,)"
                          R"("channels":[{"name":"volts","unit":"V","type":"float"},)"
                          R"({"name":"count","type":"int"},{"name":"on","type":"bool"},)"
                          R"({"name":"label","type":"string"}],"commands":[]})");

    DeviceInfo commands = bare;
    commands.rateHz = 2.5;
    CommandSpec set;
    set.name = QStringLiteral("set");
    set.description = QStringLiteral("Sets the output");
    set.params = {param(QStringLiteral("value"), ParamType::Number),
                  param(QStringLiteral("count"), ParamType::Integer),
                  param(QStringLiteral("on"), ParamType::Bool),
                  param(QStringLiteral("label"), ParamType::String),
                  param(QStringLiteral("items"), ParamType::List),
                  param(QStringLiteral("extra"), ParamType::Any)};
    CommandSpec reset;
    reset.name = QStringLiteral("reset");
    CommandSpec sleep;
    sleep.name = QStringLiteral("sleep");
    sleep.params = {param(QStringLiteral("ms"), ParamType::Integer)};
    commands.commands = {set, reset, sleep};
    QTest::addRow("commands: params map and description only when present")
            << commands
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connecting","error":null,"rate_hz":2.5,)"
                          R"("channels":[],"commands":[)"
                          R"({"name":"set","description":"Sets the output","params":{"value":"number",)"
                          R"("count":"integer","on":"bool","label":"string","items":"list","extra":"any"}},)"
                          R"({"name":"reset"},{"name":"sleep","params":{"ms":"integer"}}]})");

    DeviceInfo whole = bare;
    whole.rateHz = 1;
    QTest::addRow("an integral rate is still a float")
            << whole
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connecting","error":null,)"
                          R"("rate_hz":1.0,"channels":[],"commands":[]})");

    DeviceInfo refused = bare;
    refused.error = QStringLiteral("cannot open /dev/ttyUSB0: Permission denied");
    QTest::addRow("why a device is not connected")
            << refused
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connecting",)"
                          R"("error":"cannot open /dev/ttyUSB0: Permission denied",)"
                          R"("rate_hz":100.0,"channels":[],"commands":[]})");

    DeviceInfo connectedAgain = refused;
    connectedAgain.state = DeviceState::Connected;
    QTest::addRow("no error while connected")
            << connectedAgain
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connected",)"
                          R"("error":null,"rate_hz":100.0,"channels":[],"commands":[]})");

    DeviceInfo ranged = bare;
    CommandSpec setVoltage;
    setVoltage.name = QStringLiteral("set_voltage");
    ParamSpec value = param(QStringLiteral("value"), ParamType::Number);
    value.minimum = 0;
    value.maximum = 30;
    value.unit = QStringLiteral("V");
    setVoltage.params = {value, param(QStringLiteral("note"), ParamType::String)};
    ranged.commands = {setVoltage};
    QTest::addRow("param_info for params with a range or unit")
            << ranged
            << QByteArray(R"({"id":"sim0","plugin":"sim","name":"sim0","state":"connecting",)"
                          R"("error":null,"rate_hz":100.0,"channels":[],"commands":[)"
                          R"({"name":"set_voltage","params":{"value":"number","note":"string"},)"
                          R"("param_info":{"value":{"min":0.0,"max":30.0,"unit":"V"}}}]})");
}

void TestMessages::device()
{
    QFETCH(DeviceInfo, info);
    QFETCH(QByteArray, expected);

    COMPARE_WIRE(messages::device(info), expected);
}

void TestMessages::devicesInConfigurationOrder()
{
    DeviceInfo b;
    b.id = QStringLiteral("b");
    b.plugin = QStringLiteral("sim");
    DeviceInfo a = b;
    a.id = QStringLiteral("a");

    COMPARE_WIRE(messages::devices({b, a}),
                 QByteArray(R"({"type":"devices","devices":[)"
                            R"({"id":"b","plugin":"sim","name":"b","state":"connecting","error":null,"rate_hz":null,"channels":[],"commands":[]},)"
                            R"({"id":"a","plugin":"sim","name":"a","state":"connecting","error":null,"rate_hz":null,"channels":[],"commands":[]}]})"));
    COMPARE_WIRE(messages::devices({}), QByteArray(R"({"type":"devices","devices":[]})"));
}

void TestMessages::replies_data()
{
    QTest::addColumn<QVariantMap>("message");
    QTest::addColumn<QByteArray>("expected");

    const QVariantMap stream = parsed(R"({"stream":"s2","device":"sim0","mode":"sampled",)"
                                      R"("rate_hz":10.0,"channels":["sine","ramp"]})");
    QTest::addRow("subscribed")
            << messages::subscribed(stream)
            << QByteArray(R"({"type":"subscribed","stream":"s2","device":"sim0","mode":"sampled",)"
                          R"("rate_hz":10.0,"channels":["sine","ramp"]})");
    QTest::addRow("subscribed per sample: rate_hz null")
            << messages::subscribed(parsed(R"({"stream":"s3","device":"ard0","mode":"full","rate_hz":null,"channels":[]})"))
            << QByteArray(R"({"type":"subscribed","stream":"s3","device":"ard0","mode":"full","rate_hz":null,"channels":[]})");
    QTest::addRow("subscribed with id")
            << messages::withId(messages::subscribed(stream), QStringLiteral("sub-1"))
            << QByteArray(R"({"type":"subscribed","id":"sub-1","stream":"s2","device":"sim0","mode":"sampled",)"
                          R"("rate_hz":10.0,"channels":["sine","ramp"]})");
    QTest::addRow("unsubscribed") << messages::unsubscribed(QStringLiteral("s2"))
                                  << QByteArray(R"({"type":"unsubscribed","stream":"s2"})");
    QTest::addRow("unsubscribed with id")
            << messages::withId(messages::unsubscribed(QStringLiteral("s2")), qlonglong(4))
            << QByteArray(R"({"type":"unsubscribed","id":4,"stream":"s2"})");
    QTest::addRow("ack") << messages::withId(messages::ack(QStringLiteral("c0123456789abcdef")), qlonglong(9))
                         << QByteArray(R"({"type":"ack","id":9,"command_id":"c0123456789abcdef"})");
    QTest::addRow("cancelled")
            << messages::withId(messages::cancelled(QStringLiteral("c0123456789abcdef")), QStringLiteral("x"))
            << QByteArray(R"({"type":"cancelled","id":"x","command_id":"c0123456789abcdef"})");
    QTest::addRow("no id is added for an absent one")
            << messages::withId(messages::ack(QStringLiteral("c1")), QVariant())
            << QByteArray(R"({"type":"ack","command_id":"c1"})");
    QTest::addRow("metrics keeps its figures")
            << messages::metrics(parsed(R"({"clients":2,"streams":3,"devices":1,"uptime_s":60,"latency":{"p50_latency_ms":0.5}})"))
            << QByteArray(R"({"type":"metrics","clients":2,"streams":3,"devices":1,"uptime_s":60,"latency":{"p50_latency_ms":0.5}})");
}

void TestMessages::replies()
{
    QFETCH(QVariantMap, message);
    QFETCH(QByteArray, expected);

    COMPARE_WIRE(message, expected);
}

void TestMessages::result_data()
{
    QTest::addColumn<CommandResult>("result");
    QTest::addColumn<QVariant>("requestId");
    QTest::addColumn<QByteArray>("expected");

    CommandResult base;
    base.commandId = QStringLiteral("c0123456789abcdef");
    base.device = QStringLiteral("dev");
    base.command = QStringLiteral("sleep");
    base.attempts = 2;
    base.durationMs = 1234;
    const QVariant id = QStringLiteral("req-1");
    const QByteArray head = R"({"type":"result","id":"req-1","command_id":"c0123456789abcdef",)"
                            R"("device":"dev","command":"sleep",)";

    CommandResult ok = base;
    ok.result = QVariantMap{{QStringLiteral("slept"), qlonglong(5)}};
    QTest::addRow("ok with a result")
            << ok << id
            << head + R"("status":"ok","result":{"slept":5},"attempts":2,"duration_ms":1234})";

    CommandResult nothing = base;
    QTest::addRow("ok without a result is null")
            << nothing << id << head + R"("status":"ok","result":null,"attempts":2,"duration_ms":1234})";

    CommandResult error = base;
    error.status = CommandResult::Status::Error;
    error.errorCode = QStringLiteral("no_reply");
    error.errorMessage = QStringLiteral("silence");
    QTest::addRow("error")
            << error << id
            << head + R"("status":"error","error":{"code":"no_reply","message":"silence"},"attempts":2,"duration_ms":1234})";

    CommandResult timeout = base;
    timeout.status = CommandResult::Status::Timeout;
    timeout.errorCode = QStringLiteral("timeout");
    timeout.errorMessage = QStringLiteral("no answer within 50 ms");
    QTest::addRow("timeout")
            << timeout << id
            << head + R"("status":"timeout","error":{"code":"timeout","message":"no answer within 50 ms"},)"
                      R"("attempts":2,"duration_ms":1234})";

    CommandResult cancelled = base;
    cancelled.status = CommandResult::Status::Cancelled;
    cancelled.attempts = 0;
    QTest::addRow("cancelled")
            << cancelled << id << head + R"("status":"cancelled","attempts":0,"duration_ms":1234})";

    QTest::addRow("integer request id")
            << nothing << QVariant(qlonglong(-3))
            << QByteArray(R"({"type":"result","id":-3,"command_id":"c0123456789abcdef",)"
                          R"("device":"dev","command":"sleep","status":"ok","result":null,"attempts":2,"duration_ms":1234})");
}

void TestMessages::result()
{
    QFETCH(CommandResult, result);
    QFETCH(QVariant, requestId);
    QFETCH(QByteArray, expected);

    const QVariantMap m = messages::result(result, requestId);
    COMPARE_WIRE(m, expected);
    // The audit log writes the same status names.
    QCOMPARE(commandStatusName(result.status), m.value(QStringLiteral("status")).toString());
}

// Readers ---------------------------------------------------------------------

void TestMessages::readHello_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QVariant>("token");
    QTest::addColumn<QVariant>("encoding");     // "json", "msgpack" or absent
    QTest::addColumn<QVariant>("compression");
    QTest::addColumn<QVariant>("resume");
    QTest::addColumn<QVariantMap>("lastSeq");
    QTest::addColumn<QStringList>("resultsSeen");
    QTest::addColumn<QVariant>("client");

    const QVariant absent;
    QTest::addRow("no fields") << QByteArray(R"({"type":"hello"})") << absent << absent << absent
                               << absent << QVariantMap() << QStringList() << absent;
    QTest::addRow("every field")
            << QByteArray(R"({"type":"hello","token":"a.b.c","encoding":"msgpack","compression":true,)"
                          R"("resume":"0123456789abcdef0123456789abcdef","last_seq":{"s1":5,"s2":0},)"
                          R"("results_seen":["c1","c2"],"client":"bench"})")
            << QVariant(QStringLiteral("a.b.c")) << QVariant(QStringLiteral("msgpack")) << QVariant(true)
            << QVariant(QStringLiteral("0123456789abcdef0123456789abcdef"))
            << QVariantMap{{QStringLiteral("s1"), quint64(5)}, {QStringLiteral("s2"), quint64(0)}}
            << QStringList{QStringLiteral("c1"), QStringLiteral("c2")} << QVariant(QStringLiteral("bench"));
    QTest::addRow("encoding json, compression off")
            << QByteArray(R"({"type":"hello","encoding":"json","compression":false})") << absent
            << QVariant(QStringLiteral("json")) << QVariant(false) << absent << QVariantMap()
            << QStringList() << absent;
    QTest::addRow("null counts as absent")
            << QByteArray(R"({"type":"hello","token":null,"encoding":null,"compression":null,)"
                          R"("resume":null,"last_seq":null,"results_seen":null,"client":null})")
            << absent << absent << absent << absent << QVariantMap() << QStringList() << absent;
    QTest::addRow("empty last_seq and results_seen")
            << QByteArray(R"({"type":"hello","last_seq":{},"results_seen":[]})") << absent << absent
            << absent << absent << QVariantMap() << QStringList() << absent;
    QTest::addRow("large last_seq")
            << QByteArray(R"({"type":"hello","last_seq":{"s9":9007199254740993}})") << absent << absent
            << absent << absent << QVariantMap{{QStringLiteral("s9"), quint64(9007199254740993ULL)}}
            << QStringList() << absent;
    QTest::addRow("unknown fields are skipped")
            << QByteArray(R"({"type":"hello","colour":"blue","client":"x"})") << absent << absent << absent
            << absent << QVariantMap() << QStringList() << QVariant(QStringLiteral("x"));
}

void TestMessages::readHello()
{
    QFETCH(QByteArray, request);
    QFETCH(QVariant, token);
    QFETCH(QVariant, encoding);
    QFETCH(QVariant, compression);
    QFETCH(QVariant, resume);
    QFETCH(QVariantMap, lastSeq);
    QFETCH(QStringList, resultsSeen);
    QFETCH(QVariant, client);

    messages::Hello hello;
    QString error;
    QVERIFY2(messages::readHello(::request(request), &hello, &error), qPrintable(error));
    QCOMPARE(asVariant(hello.token), token);
    QCOMPARE(hello.encoding ? QVariant(messages::encodingName(*hello.encoding)) : QVariant(), encoding);
    QCOMPARE(asVariant(hello.compression), compression);
    QCOMPARE(asVariant(hello.resume), resume);
    QVariantMap seq;
    for (auto it = hello.lastSeq.cbegin(); it != hello.lastSeq.cend(); ++it)
        seq.insert(it.key(), it.value());
    QCOMPARE(seq, lastSeq);
    QStringList seen(hello.resultsSeen.cbegin(), hello.resultsSeen.cend());
    seen.sort();
    QCOMPARE(seen, resultsSeen);
    QCOMPARE(asVariant(hello.client), client);
}

void TestMessages::readHelloRefusals_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("field");     // named in the message

    QTest::addRow("token a number") << QByteArray(R"({"type":"hello","token":5})") << "token";
    QTest::addRow("encoding unknown") << QByteArray(R"({"type":"hello","encoding":"cbor"})") << "encoding";
    QTest::addRow("encoding in capitals") << QByteArray(R"({"type":"hello","encoding":"JSON"})") << "encoding";
    QTest::addRow("encoding a number") << QByteArray(R"({"type":"hello","encoding":1})") << "encoding";
    QTest::addRow("compression a string") << QByteArray(R"({"type":"hello","compression":"yes"})")
                                          << "compression";
    QTest::addRow("compression a number") << QByteArray(R"({"type":"hello","compression":1})")
                                          << "compression";
    QTest::addRow("resume a number") << QByteArray(R"({"type":"hello","resume":12})") << "resume";
    QTest::addRow("last_seq a list") << QByteArray(R"({"type":"hello","last_seq":[1]})") << "last_seq";
    QTest::addRow("last_seq negative") << QByteArray(R"({"type":"hello","last_seq":{"s1":-1}})")
                                       << "last_seq.s1";
    QTest::addRow("last_seq a float") << QByteArray(R"({"type":"hello","last_seq":{"s1":5.0}})")
                                      << "last_seq.s1";
    QTest::addRow("last_seq a string") << QByteArray(R"({"type":"hello","last_seq":{"s1":"5"}})")
                                       << "last_seq.s1";
    QTest::addRow("last_seq null value") << QByteArray(R"({"type":"hello","last_seq":{"s1":null}})")
                                         << "last_seq.s1";
    QTest::addRow("one bad last_seq among good ones")
            << QByteArray(R"({"type":"hello","last_seq":{"s1":3,"s2":true,"s3":4}})") << "last_seq.s2";
    QTest::addRow("results_seen a string") << QByteArray(R"({"type":"hello","results_seen":"c1"})")
                                           << "results_seen";
    QTest::addRow("results_seen holds a number")
            << QByteArray(R"({"type":"hello","results_seen":["c1",2]})") << "results_seen";
    QTest::addRow("results_seen holds null")
            << QByteArray(R"({"type":"hello","results_seen":[null]})") << "results_seen";
    QTest::addRow("client a map") << QByteArray(R"({"type":"hello","client":{}})") << "client";
}

void TestMessages::readHelloRefusals()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, field);

    messages::Hello hello;
    QString error;
    QVERIFY(!messages::readHello(::request(request), &hello, &error));
    QVERIFY2(error.startsWith(field + QLatin1Char(' ')), qPrintable(error));
}

void TestMessages::readCommand_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QVariantMap>("params");
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<int>("retries");
    QTest::addColumn<QString>("key");

    const QString psu = QStringLiteral("psu");
    const QString set = QStringLiteral("set");
    QTest::addRow("defaults") << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set"})")
                              << psu << set << QVariantMap() << 1000 << 0 << QString();
    QTest::addRow("every field")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set",)"
                          R"("params":{"volts":1.5,"on":true},"timeout_ms":250,"retries":2,"key":"k-1"})")
            << psu << set << parsed(R"({"volts":1.5,"on":true})") << 250 << 2 << QStringLiteral("k-1");
    QTest::addRow("null counts as absent")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set",)"
                          R"("params":null,"timeout_ms":null,"retries":null,"key":null})")
            << psu << set << QVariantMap() << 1000 << 0 << QString();
    QTest::addRow("lowest timeout and retries")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set","timeout_ms":1,"retries":0})")
            << psu << set << QVariantMap() << 1 << 0 << QString();
    QTest::addRow("highest timeout and retries")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set","timeout_ms":60000,"retries":5})")
            << psu << set << QVariantMap() << 60000 << 5 << QString();
    QTest::addRow("key of one character")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set","key":"k"})")
            << psu << set << QVariantMap() << 1000 << 0 << QStringLiteral("k");
    const QString key64 = QString(64, QLatin1Char('k'));
    QTest::addRow("key of 64 characters")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set","key":")")
                       + key64.toUtf8() + R"("})"
            << psu << set << QVariantMap() << 1000 << 0 << key64;
    // Characters, not UTF-16 units: 64 clefs are 128 units.
    const QString clefs = QString::fromUtf8("\xf0\x9d\x84\x9e").repeated(64);
    QTest::addRow("key of 64 characters outside the BMP")
            << QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set","key":")")
                       + clefs.toUtf8() + R"("})"
            << psu << set << QVariantMap() << 1000 << 0 << clefs;
}

void TestMessages::readCommand()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, device);
    QFETCH(QString, command);
    QFETCH(QVariantMap, params);
    QFETCH(int, timeoutMs);
    QFETCH(int, retries);
    QFETCH(QString, key);

    CommandRequest r;
    QString error;
    QVERIFY2(messages::readCommand(::request(request), &r, &error), qPrintable(error));
    QCOMPARE(r.device, device);
    QCOMPARE(r.command, command);
    QVERIFY2(sameValue(r.params, params), describe(r.params).constData());
    QCOMPARE(r.timeoutMs, timeoutMs);
    QCOMPARE(r.retries, retries);
    QCOMPARE(r.key, key);
}

void TestMessages::readCommandRefusals_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("field");

    auto command = [](const char *fields) {
        return QByteArray(R"({"type":"command","id":1,"device":"psu","command":"set",)") + fields + "}";
    };
    QTest::addRow("device missing") << QByteArray(R"({"type":"command","id":1,"command":"set"})") << "device";
    QTest::addRow("device null") << QByteArray(R"({"type":"command","id":1,"device":null,"command":"set"})")
                                 << "device";
    QTest::addRow("device a number") << QByteArray(R"({"type":"command","id":1,"device":3,"command":"set"})")
                                     << "device";
    QTest::addRow("command missing") << QByteArray(R"({"type":"command","id":1,"device":"psu"})") << "command";
    QTest::addRow("command a list") << QByteArray(R"({"type":"command","id":1,"device":"psu","command":["set"]})")
                                    << "command";
    QTest::addRow("params a list") << command(R"("params":[1])") << "params";
    QTest::addRow("params a string") << command(R"("params":"volts=1")") << "params";
    QTest::addRow("timeout_ms 0") << command(R"("timeout_ms":0)") << "timeout_ms";
    QTest::addRow("timeout_ms 60001") << command(R"("timeout_ms":60001)") << "timeout_ms";
    QTest::addRow("timeout_ms a float") << command(R"("timeout_ms":1000.0)") << "timeout_ms";
    QTest::addRow("timeout_ms a string") << command(R"("timeout_ms":"1000")") << "timeout_ms";
    QTest::addRow("retries -1") << command(R"("retries":-1)") << "retries";
    QTest::addRow("retries 6") << command(R"("retries":6)") << "retries";
    QTest::addRow("retries a bool") << command(R"("retries":true)") << "retries";
    QTest::addRow("key empty") << command(R"("key":"")") << "key";
    QTest::addRow("key of 65 characters")
            << command((R"("key":")" + QByteArray(65, 'k') + R"(")").constData()) << "key";
    QTest::addRow("key a number") << command(R"("key":7)") << "key";
}

void TestMessages::readCommandRefusals()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, field);

    CommandRequest r;
    QString error;
    QVERIFY(!messages::readCommand(::request(request), &r, &error));
    QVERIFY2(error.startsWith(field + QLatin1Char(' ')), qPrintable(error));
}

void TestMessages::readRequiredString_data()
{
    QTest::addColumn<QString>("reader");
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expected");      // the value, or the field named

    QTest::addRow("subscribe device") << "subscribe" << QByteArray(R"({"type":"subscribe","device":"sim0","mode":"delta"})")
                                      << true << "sim0";
    QTest::addRow("subscribe device missing") << "subscribe" << QByteArray(R"({"type":"subscribe","mode":"full"})")
                                              << false << "device";
    QTest::addRow("subscribe device null") << "subscribe" << QByteArray(R"({"type":"subscribe","device":null})")
                                           << false << "device";
    QTest::addRow("subscribe device a number") << "subscribe" << QByteArray(R"({"type":"subscribe","device":0})")
                                               << false << "device";
    QTest::addRow("unsubscribe stream") << "unsubscribe" << QByteArray(R"({"type":"unsubscribe","stream":"s4"})")
                                        << true << "s4";
    QTest::addRow("unsubscribe stream missing") << "unsubscribe" << QByteArray(R"({"type":"unsubscribe"})")
                                                << false << "stream";
    QTest::addRow("unsubscribe stream a list") << "unsubscribe"
                                               << QByteArray(R"({"type":"unsubscribe","stream":["s4"]})")
                                               << false << "stream";
    QTest::addRow("cancel command_id") << "cancel"
                                       << QByteArray(R"({"type":"cancel","command_id":"c0123456789abcdef"})")
                                       << true << "c0123456789abcdef";
    QTest::addRow("cancel command_id missing") << "cancel" << QByteArray(R"({"type":"cancel","id":"c1"})")
                                               << false << "command_id";
    QTest::addRow("cancel command_id a number") << "cancel" << QByteArray(R"({"type":"cancel","command_id":17})")
                                                << false << "command_id";
}

void TestMessages::readRequiredString()
{
    QFETCH(QString, reader);
    QFETCH(QByteArray, request);
    QFETCH(bool, ok);
    QFETCH(QString, expected);

    const QVariantMap m = ::request(request);
    QString value;
    QString error;
    bool read = false;
    if (reader == QLatin1String("subscribe"))
        read = messages::readSubscribeDevice(m, &value, &error);
    else if (reader == QLatin1String("unsubscribe"))
        read = messages::readUnsubscribe(m, &value, &error);
    else
        read = messages::readCancel(m, &value, &error);

    QCOMPARE(read, ok);
    if (ok) {
        QCOMPARE(value, expected);
        QVERIFY(error.isEmpty());
    } else {
        QVERIFY2(error.startsWith(expected + QLatin1Char(' ')), qPrintable(error));
    }
}

QTEST_GUILESS_MAIN(TestMessages)
#include "tst_messages.moc"
