#include "protocol/json.h"
#include "protocol/msgpack.h"
#include "bus/value.h"
#include "protocolvalues.h"

#include <QStringList>
#include <QTest>
#include <QVariantHash>

#include <cmath>
#include <limits>

using halhub::testing::nestedLists;
namespace mp = halhub::msgpack;
namespace json = halhub::json;

class TestMsgPack : public QObject
{
    Q_OBJECT

private slots:
    void parsesValid_data();
    void parsesValid();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void hostileInputFailsWithoutCrashing_data();
    void hostileInputFailsWithoutCrashing();
    void writesSmallestForms_data();
    void writesSmallestForms();
    void writeAppends();
    void roundTrips_data();
    void roundTrips();
    void jsonAndMsgPackAgree_data();
    void jsonAndMsgPackAgree();
};

using halhub::value::null;

static QByteArray hex(const char *h)
{
    return QByteArray::fromHex(h);
}

// n nested one-element arrays (0x91) around `inner`.
static QByteArray nestedArrays(int n, const QByteArray &inner)
{
    return QByteArray(n, char(0x91)) + inner;
}

void TestMsgPack::parsesValid_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QVariant>("expected");

    QTest::addRow("nil") << hex("c0") << null();
    QTest::addRow("true") << hex("c3") << QVariant(true);
    QTest::addRow("false") << hex("c2") << QVariant(false);
    QTest::addRow("positive fixint") << hex("05") << QVariant(5LL);
    QTest::addRow("negative fixint") << hex("ff") << QVariant(-1LL);
    QTest::addRow("uint8") << hex("ccff") << QVariant(255LL);
    QTest::addRow("int16") << hex("d1fc18") << QVariant(-1000LL);
    QTest::addRow("small value in uint64 form") << hex("cf0000000000000005") << QVariant(5LL);
    QTest::addRow("int64 max as uint64 is signed") << hex("cf7fffffffffffffff")
                                                   << QVariant(qlonglong(std::numeric_limits<qint64>::max()));
    QTest::addRow("int64 max + 1 is unsigned") << hex("cf8000000000000000")
                                               << QVariant(qulonglong(9223372036854775808ULL));
    QTest::addRow("2^64-1") << hex("cfffffffffffffffff")
                            << QVariant(qulonglong(std::numeric_limits<quint64>::max()));
    QTest::addRow("-2^63") << hex("d38000000000000000")
                           << QVariant(qlonglong(std::numeric_limits<qint64>::min()));
    QTest::addRow("float32 becomes double") << hex("ca3fc00000") << QVariant(1.5);
    QTest::addRow("float64") << hex("cb3fb999999999999a") << QVariant(0.1);
    QTest::addRow("float64 2.0 stays a float") << hex("cb4000000000000000") << QVariant(2.0);
    QTest::addRow("float64 -0.0") << hex("cb8000000000000000") << QVariant(-0.0);
    QTest::addRow("fixstr") << hex("a3616263") << QVariant(QStringLiteral("abc"));
    QTest::addRow("empty str") << hex("a0") << QVariant(QString());
    QTest::addRow("str8 UTF-8") << hex("d90763c3a9f09f9880") << QVariant(QString::fromUtf16(u"cé😀"));
    QTest::addRow("str16") << hex("da0003616263") << QVariant(QStringLiteral("abc"));
    QTest::addRow("str32") << hex("db00000003616263") << QVariant(QStringLiteral("abc"));
    QTest::addRow("fixarray") << hex("93c0c3a161")
                              << QVariant(QVariantList{null(), true, QStringLiteral("a")});
    QTest::addRow("array16") << hex("dc000101") << QVariant(QVariantList{1LL});
    QTest::addRow("empty map") << hex("80") << QVariant(QVariantMap());
    QTest::addRow("map16") << hex("de0001a16101") << QVariant(QVariantMap{{QStringLiteral("a"), 1LL}});
    QTest::addRow("duplicate keys: last wins")
        << hex("83a16101a16202a16103")
        << QVariant(QVariantMap{{QStringLiteral("a"), 3LL}, {QStringLiteral("b"), 2LL}});
    QTest::addRow("nested") << hex("81a17492c080") << QVariant(QVariantMap{
        {QStringLiteral("t"), QVariantList{null(), QVariantMap()}}});
    QTest::addRow("64 deep") << nestedArrays(63, hex("90")) << nestedLists(64);
}

void TestMsgPack::parsesValid()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QVariant, expected);
    QVariant value;
    QString error;
    QVERIFY2(mp::parse(bytes.constData(), bytes.size(), &value, &error), qPrintable(error));
    COMPARE_VALUE(value, expected);
}

void TestMsgPack::rejectsMalformed_data()
{
    QTest::addColumn<QByteArray>("bytes");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("never-used byte 0xc1") << hex("c1");
    QTest::addRow("truncated map") << hex("82a16101");
    QTest::addRow("truncated key") << hex("81a2");
    QTest::addRow("truncated float64") << hex("cb3ff0");
    QTest::addRow("truncated uint64") << hex("cfffff");
    QTest::addRow("truncated str8 length") << hex("d9");
    QTest::addRow("truncated str body") << hex("a5616263");
    QTest::addRow("truncated array32 header") << hex("dd0000");
    QTest::addRow("trailing byte") << hex("81a16101c0");
    QTest::addRow("two objects") << hex("8080");
    QTest::addRow("bin8") << hex("c40100");
    QTest::addRow("empty bin") << hex("c400");
    QTest::addRow("bin inside a map") << hex("81a161c4020102");
    QTest::addRow("fixext1") << hex("d40100");
    QTest::addRow("ext8") << hex("c7010100");
    QTest::addRow("timestamp ext") << hex("d6ff00000000");
    QTest::addRow("integer key") << hex("810101");
    QTest::addRow("nil key") << hex("81c001");
    QTest::addRow("bool key") << hex("81c301");
    QTest::addRow("array key") << hex("819001");
    QTest::addRow("bin key") << hex("81c4016101");
    QTest::addRow("float32 NaN") << hex("ca7fc00000");
    QTest::addRow("float32 +inf") << hex("ca7f800000");
    QTest::addRow("float64 NaN") << hex("cb7ff8000000000000");
    QTest::addRow("float64 +inf") << hex("cb7ff0000000000000");
    QTest::addRow("float64 -inf") << hex("cbfff0000000000000");
    QTest::addRow("NaN deep inside") << hex("81a17491cb7ff8000000000000");
    QTest::addRow("invalid UTF-8 in str") << hex("a1ff");
    QTest::addRow("overlong in str") << hex("a2c0af");
    QTest::addRow("UTF-8 surrogate in str") << hex("a3eda080");
    QTest::addRow("above U+10FFFF in str") << hex("a4f4908080");
    QTest::addRow("truncated sequence in str") << hex("a2e282");
    QTest::addRow("invalid UTF-8 in key") << hex("81a1ff01");
    QTest::addRow("65 deep") << nestedArrays(64, hex("90"));
    QTest::addRow("65 deep maps") << QByteArray(hex("81a161")).repeated(64) + hex("80");
    QTest::addRow("65 deep around a value") << nestedArrays(65, hex("01"));
}

void TestMsgPack::rejectsMalformed()
{
    QFETCH(QByteArray, bytes);
    QVariant value = QStringLiteral("untouched");
    QString error;
    QVERIFY(!mp::parse(bytes.constData(), bytes.size(), &value, &error));
    QVERIFY(!error.isEmpty());
    COMPARE_VALUE(value, QVariant(QStringLiteral("untouched")));
}

void TestMsgPack::hostileInputFailsWithoutCrashing_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addRow("100000 nested arrays") << nestedArrays(100000, hex("c0"));
    QTest::addRow("100000 nested maps") << QByteArray(hex("81a161")).repeated(100000) + hex("c0");
    // A 5-byte header announcing 4 billion elements must not allocate for them.
    QTest::addRow("array32 claiming 2^32-1 elements") << hex("ddffffffff");
    QTest::addRow("map32 claiming 2^32-1 pairs") << hex("dfffffffff");
    QTest::addRow("str32 claiming 4 GiB") << hex("dbffffffff61");
    QTest::addRow("array32 of 2^32-1 nils, short") << hex("ddffffffff") + QByteArray(1000, char(0xc0));
}

void TestMsgPack::hostileInputFailsWithoutCrashing()
{
    QFETCH(QByteArray, bytes);
    QString error;
    QVERIFY(!mp::parse(bytes.constData(), bytes.size(), nullptr, &error));
    QVERIFY(!error.isEmpty());
}

void TestMsgPack::writesSmallestForms_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("expected");

    QTest::addRow("null") << null() << hex("c0");
    QTest::addRow("absent") << QVariant() << hex("c0");
    QTest::addRow("true") << QVariant(true) << hex("c3");
    QTest::addRow("false") << QVariant(false) << hex("c2");
    QTest::addRow("0") << QVariant(0LL) << hex("00");
    QTest::addRow("127") << QVariant(127LL) << hex("7f");
    QTest::addRow("128") << QVariant(128LL) << hex("cc80");
    QTest::addRow("256") << QVariant(256) << hex("cd0100");
    QTest::addRow("65536") << QVariant(65536u) << hex("ce00010000");
    QTest::addRow("2^32") << QVariant(4294967296LL) << hex("cf0000000100000000");
    QTest::addRow("-1") << QVariant(-1) << hex("ff");
    QTest::addRow("-32") << QVariant(-32LL) << hex("e0");
    QTest::addRow("-33") << QVariant(-33LL) << hex("d0df");
    QTest::addRow("-129") << QVariant(-129LL) << hex("d1ff7f");
    QTest::addRow("-2^63") << QVariant(qlonglong(std::numeric_limits<qint64>::min()))
                           << hex("d38000000000000000");
    QTest::addRow("2^64-1") << QVariant(qulonglong(std::numeric_limits<quint64>::max()))
                            << hex("cfffffffffffffffff");
    QTest::addRow("small qulonglong") << QVariant(qulonglong(3)) << hex("03");
    QTest::addRow("2.0 as float64") << QVariant(2.0) << hex("cb4000000000000000");
    QTest::addRow("0.0 as float64") << QVariant(0.0) << hex("cb0000000000000000");
    QTest::addRow("0.1 as float64") << QVariant(0.1) << hex("cb3fb999999999999a");
    QTest::addRow("float as float32") << QVariant(1.5f) << hex("ca3fc00000");
    QTest::addRow("NaN as nil") << QVariant(std::nan("")) << hex("c0");
    QTest::addRow("fixstr") << QVariant(QStringLiteral("abc")) << hex("a3616263");
    QTest::addRow("UTF-8 str") << QVariant(QString::fromUtf16(u"é😀")) << hex("a6c3a9f09f9880");
    QTest::addRow("lone surrogate as U+FFFD") << QVariant(QString(QChar(0xDC00))) << hex("a3efbfbd");
    QTest::addRow("32-byte str is str8") << QVariant(QString(32, QLatin1Char('x')))
                                         << hex("d920") + QByteArray(32, 'x');
    QTest::addRow("256-byte str is str16") << QVariant(QString(256, QLatin1Char('x')))
                                           << hex("da0100") + QByteArray(256, 'x');
    QTest::addRow("list") << QVariant(QVariantList{1, QStringLiteral("a")}) << hex("9201a161");
    QTest::addRow("string list") << QVariant(QStringList{QStringLiteral("a")}) << hex("91a161");
    QTest::addRow("map keys are str") << QVariant(QVariantMap{{QStringLiteral("a"), QVariantMap()},
                                                              {QStringLiteral("b"), 1}})
                                      << hex("82a16180a16201");
    QTest::addRow("hash") << QVariant(QVariantHash{{QStringLiteral("k"), true}}) << hex("81a16bc3");
    QTest::addRow("16 entries is array16") << QVariant(QVariantList(16, 0))
                                           << hex("dc0010") + QByteArray(16, '\0');
}

void TestMsgPack::writesSmallestForms()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(mp::write(value).toHex(' '), expected.toHex(' '));
}

void TestMsgPack::writeAppends()
{
    QByteArray out(1, '\0');
    mp::write(QVariantMap{{QStringLiteral("a"), 1}}, out);
    mp::write(QStringLiteral("é"), out);
    QCOMPARE(out.toHex(), QByteArray("0081a16101a2c3a9"));
}

void TestMsgPack::roundTrips_data()
{
    QTest::addColumn<QVariant>("value");
    const double doubles[] = {0.1, 2.0, -0.0, 1e-300, 5e-324, std::numeric_limits<double>::max()};
    for (double d : doubles)
        QTest::addRow("double %.17g", d) << QVariant(d);
    QTest::addRow("uint64 max") << QVariant(qulonglong(std::numeric_limits<quint64>::max()));
    QTest::addRow("int64 min") << QVariant(qlonglong(std::numeric_limits<qint64>::min()));
    QTest::addRow("int64 max") << QVariant(qlonglong(std::numeric_limits<qint64>::max()));
    QTest::addRow("text") << QVariant(QString::fromUtf16(u"a\0b é 😀 \U0010FFFF", 12));
    QTest::addRow("64 deep") << nestedLists(64);
    QTest::addRow("message") << QVariant(QVariantMap{
        {QStringLiteral("type"), QStringLiteral("result")},
        {QStringLiteral("id"), QStringLiteral("abc")},
        {QStringLiteral("result"), QVariantMap{{QStringLiteral("v"), 1.0}, {QStringLiteral("n"), -7LL},
                                               {QStringLiteral("z"), null()}}},
        {QStringLiteral("list"), QVariantList{true, false, QVariantList{}, QString()}}});
}

void TestMsgPack::roundTrips()
{
    QFETCH(QVariant, value);
    const QByteArray bytes = mp::write(value);
    QVariant back;
    QString error;
    QVERIFY2(mp::parse(bytes.constData(), bytes.size(), &back, &error), qPrintable(error));
    COMPARE_VALUE(back, value);
    QCOMPARE(mp::write(back), bytes);
}

void TestMsgPack::jsonAndMsgPackAgree_data()
{
    QTest::addColumn<QByteArray>("jsonText");
    QTest::addRow("edges of the integer range")
        << QByteArray(R"([18446744073709551615,9223372036854775808,9223372036854775807,-9223372036854775808,0,-1])");
    QTest::addRow("floats that look whole") << QByteArray(R"([2.0,-0.0,1e+300,0.5,1e-07])");
    QTest::addRow("message") << QByteArray(
        R"({"id":12,"t":{"a":[null,true,false,"x\n\u00e9\ud83d\ude00"],"b":{}},"type":"ping"})");
}

// JSON -> value -> MessagePack -> value -> JSON gives back the same text.
void TestMsgPack::jsonAndMsgPackAgree()
{
    QFETCH(QByteArray, jsonText);
    QVariant fromJson;
    QString error;
    QVERIFY2(json::parse(jsonText, &fromJson, &error), qPrintable(error));
    const QByteArray packed = mp::write(fromJson);
    QVariant fromMsgPack;
    QVERIFY2(mp::parse(packed.constData(), packed.size(), &fromMsgPack, &error), qPrintable(error));
    COMPARE_VALUE(fromMsgPack, fromJson);
    QCOMPARE(json::write(fromMsgPack), json::write(fromJson));
    QVariant again;
    QVERIFY(json::parse(json::write(fromMsgPack), &again, &error));
    COMPARE_VALUE(again, fromJson);
}

QTEST_GUILESS_MAIN(TestMsgPack)
#include "tst_msgpack.moc"
