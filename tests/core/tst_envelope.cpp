#include "protocol/envelope.h"
#include "protocol/json.h"
#include "protocolvalues.h"

#include <QTest>

#include <limits>

using namespace halhub;

class TestEnvelope : public QObject
{
    Q_OBJECT

private slots:
    void readsDecodedMessages_data();
    void readsDecodedMessages();
    void idsOfEveryKind_data();
    void idsOfEveryKind();
};

static QString repeated(const char16_t *unit, int n)
{
    return QString::fromUtf16(unit).repeated(n);
}


void TestEnvelope::readsDecodedMessages_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("id");
    QTest::addColumn<QString>("error");   // a part of the error, when !ok

    const QVariant absent;
    QTest::addRow("type only") << QByteArray(R"({"type":"ping"})") << true << "ping" << absent << "";
    QTest::addRow("unknown type is still an envelope") << QByteArray(R"({"type":"frobnicate"})") << true
                                                       << "frobnicate" << absent << "";
    QTest::addRow("unknown fields ignored") << QByteArray(R"({"type":"ping","x":[1,{}]})") << true << "ping"
                                            << absent << "";
    QTest::addRow("integer id") << QByteArray(R"({"type":"ping","id":7})") << true << "ping"
                                << QVariant(7LL) << "";
    QTest::addRow("string id") << QByteArray(R"({"type":"ping","id":"r-1"})") << true << "ping"
                               << QVariant(QStringLiteral("r-1")) << "";
    QTest::addRow("null id counts as absent") << QByteArray(R"({"type":"ping","id":null})") << true
                                              << "ping" << absent << "";
    QTest::addRow("empty type string") << QByteArray(R"({"type":""})") << true << "" << absent << "";

    QTest::addRow("type missing") << QByteArray(R"({"id":1})") << false << "" << QVariant(1LL)
                                  << "type missing";
    QTest::addRow("empty map") << QByteArray("{}") << false << "" << absent << "type missing";
    QTest::addRow("type null") << QByteArray(R"({"type":null})") << false << "" << absent << "type";
    QTest::addRow("type a number") << QByteArray(R"({"type":5,"id":"a"})") << false << ""
                                   << QVariant(QStringLiteral("a")) << "type must be a string";
    QTest::addRow("type a list") << QByteArray(R"({"type":["ping"]})") << false << "" << absent
                                 << "type must be a string";
    QTest::addRow("type a bool") << QByteArray(R"({"type":true})") << false << "" << absent
                                 << "type must be a string";
    QTest::addRow("type a map") << QByteArray(R"({"type":{}})") << false << "" << absent
                                << "type must be a string";
    QTest::addRow("type missing and id invalid") << QByteArray(R"({"id":1.5})") << false << "" << absent
                                                 << "type missing";

    QTest::addRow("bad id keeps the type") << QByteArray(R"({"type":"ping","id":1.5})") << false
                                           << "ping" << absent << "id";
    QTest::addRow("id too large") << QByteArray(R"({"type":"ping","id":9007199254740992})") << false
                                  << "ping" << absent << "id";
    QTest::addRow("empty string id") << QByteArray(R"({"type":"ping","id":""})") << false << "ping"
                                     << absent << "id";

    QTest::addRow("command with id") << QByteArray(R"({"type":"command","id":3,"device":"sim0"})")
                                     << true << "command" << QVariant(3LL) << "";
    QTest::addRow("command without id") << QByteArray(R"({"type":"command","device":"sim0"})") << false
                                        << "command" << absent << "command requires an id";
    QTest::addRow("command with null id") << QByteArray(R"({"type":"command","id":null})") << false
                                          << "command" << absent << "command requires an id";
    QTest::addRow("command with invalid id") << QByteArray(R"({"type":"command","id":[1]})") << false
                                             << "command" << absent << "id";
    QTest::addRow("Command is another type") << QByteArray(R"({"type":"Command"})") << true << "Command"
                                             << absent << "";
}

void TestEnvelope::readsDecodedMessages()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    QFETCH(QString, type);
    QFETCH(QVariant, id);
    QFETCH(QString, error);

    QVariant message;
    QString parseError;
    QVERIFY2(json::parse(text, &message, &parseError), qPrintable(parseError));
    const Envelope envelope = readEnvelope(message.toMap());
    QCOMPARE(envelope.ok, ok);
    QCOMPARE(envelope.type, type);
    COMPARE_VALUE(envelope.id, id);
    if (ok) {
        QVERIFY(envelope.error.isEmpty());
    } else {
        QVERIFY2(envelope.error.contains(error), qPrintable(envelope.error));
    }
}

void TestEnvelope::idsOfEveryKind_data()
{
    QTest::addColumn<QVariant>("id");
    QTest::addColumn<bool>("valid");

    const qint64 maxSafe = (qint64(1) << 53) - 1;
    QTest::addRow("0") << QVariant(0LL) << true;
    QTest::addRow("-1") << QVariant(-1LL) << true;
    QTest::addRow("2^53-1") << QVariant(qlonglong(maxSafe)) << true;
    QTest::addRow("-(2^53-1)") << QVariant(qlonglong(-maxSafe)) << true;
    QTest::addRow("2^53") << QVariant(qlonglong(maxSafe + 1)) << false;
    QTest::addRow("-2^53") << QVariant(qlonglong(-maxSafe - 1)) << false;
    QTest::addRow("int64 max") << QVariant(qlonglong(std::numeric_limits<qint64>::max())) << false;
    QTest::addRow("int64 min") << QVariant(qlonglong(std::numeric_limits<qint64>::min())) << false;
    QTest::addRow("uint64 max") << QVariant(qulonglong(std::numeric_limits<quint64>::max())) << false;
    QTest::addRow("qulonglong is never an id") << QVariant(qulonglong(5)) << false;
    QTest::addRow("int") << QVariant(5) << true;
    QTest::addRow("uint") << QVariant(5u) << true;
    QTest::addRow("1.0 is a float, not an id") << QVariant(1.0) << false;
    QTest::addRow("1.5") << QVariant(1.5) << false;
    QTest::addRow("float") << QVariant(1.0f) << false;
    QTest::addRow("true") << QVariant(true) << false;
    QTest::addRow("null") << QVariant::fromValue(nullptr) << false;
    QTest::addRow("absent") << QVariant() << false;
    QTest::addRow("list") << QVariant(QVariantList{1}) << false;
    QTest::addRow("map") << QVariant(QVariantMap{{QStringLiteral("a"), 1}}) << false;
    QTest::addRow("byte array") << QVariant(QByteArray("a")) << false;
    QTest::addRow("empty string") << QVariant(QString()) << false;
    QTest::addRow("one character") << QVariant(QStringLiteral("a")) << true;
    QTest::addRow("space") << QVariant(QStringLiteral(" ")) << true;
    QTest::addRow("64 ASCII") << QVariant(repeated(u"x", 64)) << true;
    QTest::addRow("65 ASCII") << QVariant(repeated(u"x", 65)) << false;
    QTest::addRow("64 BMP characters") << QVariant(repeated(u"é", 64)) << true;
    QTest::addRow("64 emoji are 128 UTF-16 units") << QVariant(repeated(u"😀", 64)) << true;
    QTest::addRow("65 emoji") << QVariant(repeated(u"😀", 65)) << false;
    QTest::addRow("63 ASCII and an emoji") << QVariant(repeated(u"x", 63) + QString::fromUtf16(u"😀"))
                                           << true;
    QTest::addRow("64 ASCII and an emoji") << QVariant(repeated(u"x", 64) + QString::fromUtf16(u"😀"))
                                           << false;
}

void TestEnvelope::idsOfEveryKind()
{
    QFETCH(QVariant, id);
    QFETCH(bool, valid);
    QCOMPARE(isValidRequestId(id), valid);

    // The same id inside a message: kept when valid, dropped (and the
    // message refused) when not. Null and absent both mean "no id".
    const bool none = !id.isValid() || id.typeId() == QMetaType::Nullptr;
    QVariantMap message{{QStringLiteral("type"), QStringLiteral("ping")}};
    if (id.isValid())
        message.insert(QStringLiteral("id"), id);
    const Envelope envelope = readEnvelope(message);
    QCOMPARE(envelope.ok, valid || none);
    QCOMPARE(envelope.type, QStringLiteral("ping"));
    COMPARE_VALUE(envelope.id, valid ? id : QVariant());

    // Decoded from JSON, where the decoder picks the type.
    if (id.typeId() == QMetaType::QString || id.typeId() == QMetaType::LongLong) {
        const QByteArray text = "{\"type\":\"command\",\"id\":" + json::write(id) + "}";
        QVariant decoded;
        QVERIFY(json::parse(text, &decoded, nullptr));
        const Envelope fromWire = readEnvelope(decoded.toMap());
        QCOMPARE(fromWire.ok, valid);
        COMPARE_VALUE(fromWire.id, valid ? id : QVariant());
        QVERIFY(fromWire.error.isEmpty() == valid);
    }
}

QTEST_GUILESS_MAIN(TestEnvelope)
#include "tst_envelope.moc"
