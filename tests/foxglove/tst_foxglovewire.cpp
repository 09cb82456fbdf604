// The Foxglove messages halhub builds, byte for byte where the layout is
// binary (the layouts of @foxglove/ws-protocol 0.8's parse.ts), and the
// schemas as a viewer reads them.

#include "frontends/foxglove/foxglovewire.h"
#include "protocol/json.h"

#include <QTest>
#include <QtEndian>

using namespace halhub;

namespace {

QVariantMap parse(const QByteArray &text)
{
    QVariant v;
    QString error;
    if (!json::parse(text, &v, &error))
        qWarning() << "not JSON:" << error << text;
    return v.toMap();
}

DeviceInfo sim()
{
    DeviceInfo info;
    info.id = QStringLiteral("sim0");
    info.channels = {{QStringLiteral("sine"), {}, ChannelType::Float},
                     {QStringLiteral("count"), {}, ChannelType::Int},
                     {QStringLiteral("on"), {}, ChannelType::Bool},
                     {QStringLiteral("label"), {}, ChannelType::String}};
    CommandSpec sleep{QStringLiteral("sleep"), {}, {}};
    ParamSpec ms;
    ms.name = QStringLiteral("ms");
    ms.type = ParamType::Integer;
    ms.required = true;
    ms.minimum = 0;
    ms.maximum = 60000;
    sleep.params = {ms};
    info.commands = {sleep};
    return info;
}

} // namespace

class tst_FoxgloveWire : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void subprotocolOffers_data();
    void subprotocolOffers();
    void messageDataLayout();
    void samplePayloadIsTheSample();
    void channelSchemaHasOneStringTypePerProperty();
    void serviceDescribesTheCommand();
    void serviceCallResponseLayout();
    void serviceCallRequestIsRead_data();
    void serviceCallRequestIsRead();
    void resultPayloads();
};

void tst_FoxgloveWire::subprotocolOffers_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("foxglove");
    QTest::addRow("websocket v1") << QByteArray("foxglove.websocket.v1") << true;
    QTest::addRow("sdk v1 among others") << QByteArray("chat, foxglove.sdk.v1") << true;
    QTest::addRow("v2 is not v1") << QByteArray("foxglove.websocket.v2") << false;
    QTest::addRow("none") << QByteArray() << false;
    QTest::addRow("a prefix is not the name") << QByteArray("foxglove.websocket") << false;
}

void tst_FoxgloveWire::subprotocolOffers()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, foxglove);
    QCOMPARE(foxglove::offersFoxglove(header), foxglove);
}

void tst_FoxgloveWire::messageDataLayout()
{
    const QByteArray payload = "{\"ts\":1}";
    const qint64 ts = 1700000000123456;
    const QByteArray frame = foxglove::messageData(0x01020304, ts, payload);
    QCOMPARE(frame.size(), 13 + payload.size());
    QCOMPARE(quint8(frame.at(0)), quint8(0x01));
    QCOMPARE(qFromLittleEndian<quint32>(frame.constData() + 1), quint32(0x01020304));
    // Nanoseconds: the sample time in µs times 1000.
    QCOMPARE(qFromLittleEndian<quint64>(frame.constData() + 5), quint64(ts) * 1000u);
    QCOMPARE(frame.mid(13), payload);
}

void tst_FoxgloveWire::samplePayloadIsTheSample()
{
    const QByteArray text = foxglove::samplePayload(
        42, {{QStringLiteral("sine"), 0.5}, {QStringLiteral("count"), qlonglong(3)},
             {QStringLiteral("on"), true}, {QStringLiteral("label"), QStringLiteral("a\"b")},
             {QStringLiteral("ts"), qlonglong(99)}});
    const QVariantMap m = parse(text);
    QCOMPARE(m.value(QStringLiteral("ts")).toLongLong(), 42);
    QCOMPARE(m.value(QStringLiteral("sine")).toDouble(), 0.5);
    QCOMPARE(m.value(QStringLiteral("count")).toLongLong(), 3);
    QCOMPARE(m.value(QStringLiteral("on")).toBool(), true);
    QCOMPARE(m.value(QStringLiteral("label")).toString(), QStringLiteral("a\"b"));
    // A channel named ts does not overwrite the sample time.
    QCOMPARE(text.count("\"ts\""), 1);
    QCOMPARE(foxglove::samplePayload(7, {}), QByteArray("{\"ts\":7}"));
}

void tst_FoxgloveWire::channelSchemaHasOneStringTypePerProperty()
{
    const QVariantMap channel = foxglove::channel(5, sim());
    QCOMPARE(channel.value(QStringLiteral("topic")).toString(), QStringLiteral("/sim0"));
    QCOMPARE(channel.value(QStringLiteral("schemaName")).toString(), QStringLiteral("halhub.sim0"));
    QCOMPARE(channel.value(QStringLiteral("schemaEncoding")).toString(), QStringLiteral("jsonschema"));
    QCOMPARE(channel.value(QStringLiteral("encoding")).toString(), QStringLiteral("json"));
    const QVariantMap schema = parse(channel.value(QStringLiteral("schema")).toString().toUtf8());
    QCOMPARE(schema.value(QStringLiteral("type")).toString(), QStringLiteral("object"));
    const QVariantMap properties = schema.value(QStringLiteral("properties")).toMap();
    const QHash<QString, QString> expected{{QStringLiteral("ts"), QStringLiteral("integer")},
                                           {QStringLiteral("sine"), QStringLiteral("number")},
                                           {QStringLiteral("count"), QStringLiteral("integer")},
                                           {QStringLiteral("on"), QStringLiteral("boolean")},
                                           {QStringLiteral("label"), QStringLiteral("string")}};
    QCOMPARE(properties.size(), expected.size());
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        const QVariantMap p = properties.value(it.key()).toMap();
        QCOMPARE(p.size(), 1);
        QCOMPARE(p.value(QStringLiteral("type")).typeId(), QMetaType::QString);
        QCOMPARE(p.value(QStringLiteral("type")).toString(), it.value());
    }
}

void tst_FoxgloveWire::serviceDescribesTheCommand()
{
    const DeviceInfo info = sim();
    const QVariantMap s = foxglove::service(9, info.id, info.commands.first());
    QCOMPARE(s.value(QStringLiteral("name")).toString(), QStringLiteral("/sim0/sleep"));
    QCOMPARE(s.value(QStringLiteral("type")).toString(), QStringLiteral("halhub.command"));
    const QVariantMap request = s.value(QStringLiteral("request")).toMap();
    QCOMPARE(request.value(QStringLiteral("encoding")).toString(), QStringLiteral("json"));
    const QVariantMap schema = parse(request.value(QStringLiteral("schema")).toString().toUtf8());
    const QVariantMap ms = schema.value(QStringLiteral("properties")).toMap().value(QStringLiteral("ms")).toMap();
    QCOMPARE(ms.value(QStringLiteral("type")).toString(), QStringLiteral("integer"));
    QCOMPARE(ms.value(QStringLiteral("maximum")).toDouble(), 60000.0);
    QCOMPARE(schema.value(QStringLiteral("required")).toStringList(), QStringList{QStringLiteral("ms")});
    QCOMPARE(s.value(QStringLiteral("requestSchema")), request.value(QStringLiteral("schema")));
    QCOMPARE(s.value(QStringLiteral("response")).toMap().value(QStringLiteral("encoding")).toString(),
             QStringLiteral("json"));
}

void tst_FoxgloveWire::serviceCallResponseLayout()
{
    const QByteArray frame = foxglove::serviceCallResponse(7, 0xfffffffe, "json", "{}");
    QCOMPARE(quint8(frame.at(0)), quint8(0x03));
    QCOMPARE(qFromLittleEndian<quint32>(frame.constData() + 1), quint32(7));
    QCOMPARE(qFromLittleEndian<quint32>(frame.constData() + 5), quint32(0xfffffffe));
    QCOMPARE(qFromLittleEndian<quint32>(frame.constData() + 9), quint32(4));
    QCOMPARE(frame.mid(13, 4), QByteArray("json"));
    QCOMPARE(frame.mid(17), QByteArray("{}"));
}

void tst_FoxgloveWire::serviceCallRequestIsRead_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<bool>("ok");
    // As FoxgloveClient.sendServiceCallRequest writes it.
    QByteArray good(1, char(0x02));
    good.append("\x05\0\0\0", 4).append("\x09\0\0\0", 4).append("\x04\0\0\0", 4).append("json{\"a\":1}");
    QTest::addRow("a call") << good << true;
    QTest::addRow("truncated header") << good.left(10) << false;
    QByteArray longEncoding = good;
    longEncoding[9] = char(0x7f);
    QTest::addRow("encoding longer than the frame") << longEncoding << false;
    QByteArray otherOp = good;
    otherOp[0] = char(0x01);
    QTest::addRow("another opcode") << otherOp << false;
}

void tst_FoxgloveWire::serviceCallRequestIsRead()
{
    QFETCH(QByteArray, frame);
    QFETCH(bool, ok);
    const auto call = foxglove::readServiceCallRequest(frame);
    QCOMPARE(bool(call), ok);
    if (!ok)
        return;
    QCOMPARE(call->serviceId, quint32(5));
    QCOMPARE(call->callId, quint32(9));
    QCOMPARE(call->encoding, QByteArray("json"));
    QCOMPARE(call->payload, QByteArray("{\"a\":1}"));
}

void tst_FoxgloveWire::resultPayloads()
{
    CommandResult ok;
    ok.status = CommandResult::Status::Ok;
    ok.attempts = 1;
    ok.durationMs = 3;
    QVariantMap m = parse(foxglove::resultPayload(ok));
    QCOMPARE(m.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    // A command that returns nothing: result null, present.
    QVERIFY(m.contains(QStringLiteral("result")));
    QVERIFY(!m.contains(QStringLiteral("error")));
    QCOMPARE(m.value(QStringLiteral("attempts")).toInt(), 1);
    QCOMPARE(m.value(QStringLiteral("duration_ms")).toInt(), 3);

    CommandResult timeout;
    timeout.status = CommandResult::Status::Timeout;
    timeout.errorCode = QStringLiteral("timeout");
    timeout.errorMessage = QStringLiteral("no answer in 1000 ms");
    timeout.attempts = 2;
    m = parse(foxglove::resultPayload(timeout));
    QCOMPARE(m.value(QStringLiteral("status")).toString(), QStringLiteral("timeout"));
    QCOMPARE(m.value(QStringLiteral("error")).toMap().value(QStringLiteral("code")).toString(),
             QStringLiteral("timeout"));
    QVERIFY(!m.contains(QStringLiteral("result")));

    m = parse(foxglove::refusalPayload(QStringLiteral("device_unavailable"), QStringLiteral("gone")));
    QCOMPARE(m.value(QStringLiteral("status")).toString(), QStringLiteral("error"));
    QCOMPARE(m.value(QStringLiteral("attempts")).toInt(), 0);
    QCOMPARE(m.value(QStringLiteral("error")).toMap().value(QStringLiteral("message")).toString(),
             QStringLiteral("gone"));
}

QTEST_GUILESS_MAIN(tst_FoxgloveWire)
#include "tst_foxglovewire.moc"
