#include "protocol/json.h"
#include "bus/value.h"
#include "protocolvalues.h"

#include <QElapsedTimer>
#include <QStringList>
#include <QTest>
#include <QVariantHash>

#include <cmath>
#include <limits>

using halhub::testing::nestedJsonArrays;
using halhub::testing::nestedLists;
namespace json = halhub::json;

class TestJson : public QObject
{
    Q_OBJECT

private slots:
    void parsesValid_data();
    void parsesValid();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void hostileNestingFailsWithoutCrashing_data();
    void hostileNestingFailsWithoutCrashing();
    void depthLimitIsTheCallersChoice();
    void writes_data();
    void writes();
    void writeAppends();
    void roundTrips_data();
    void roundTrips();
};

using halhub::value::null;

static QVariant str(const char16_t *s)
{
    return QString::fromUtf16(s);
}

void TestJson::parsesValid_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QVariant>("expected");

    QTest::addRow("empty object") << QByteArray("{}") << QVariant(QVariantMap());
    QTest::addRow("empty array") << QByteArray("[]") << QVariant(QVariantList());
    QTest::addRow("null") << QByteArray("null") << null();
    QTest::addRow("true") << QByteArray("true") << QVariant(true);
    QTest::addRow("false") << QByteArray("false") << QVariant(false);
    QTest::addRow("whitespace around") << QByteArray(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n ")
                                       << QVariant(QVariantMap{{QStringLiteral("a"),
                                                                QVariantList{1LL, 2LL}}});
    QTest::addRow("zero") << QByteArray("0") << QVariant(0LL);
    QTest::addRow("minus zero integer") << QByteArray("-0") << QVariant(0LL);
    QTest::addRow("int64 max is signed") << QByteArray("9223372036854775807")
                                         << QVariant(qlonglong(std::numeric_limits<qint64>::max()));
    QTest::addRow("int64 max + 1 is unsigned") << QByteArray("9223372036854775808")
                                               << QVariant(qulonglong(9223372036854775808ULL));
    QTest::addRow("2^64-1") << QByteArray("18446744073709551615")
                            << QVariant(qulonglong(std::numeric_limits<quint64>::max()));
    QTest::addRow("-2^63") << QByteArray("-9223372036854775808")
                           << QVariant(qlonglong(std::numeric_limits<qint64>::min()));
    QTest::addRow("fraction") << QByteArray("1.5") << QVariant(1.5);
    QTest::addRow("2.0 is a float") << QByteArray("2.0") << QVariant(2.0);
    QTest::addRow("exponent is a float") << QByteArray("1e2") << QVariant(100.0);
    QTest::addRow("negative exponent") << QByteArray("-1E-2") << QVariant(-0.01);
    QTest::addRow("explicit plus exponent") << QByteArray("2.5e+3") << QVariant(2500.0);
    QTest::addRow("-0.0") << QByteArray("-0.0") << QVariant(-0.0);
    QTest::addRow("largest double") << QByteArray("1.7976931348623157e308")
                                    << QVariant(std::numeric_limits<double>::max());
    QTest::addRow("smallest denormal") << QByteArray("5e-324")
                                       << QVariant(std::numeric_limits<double>::denorm_min());
    QTest::addRow("underflow is zero") << QByteArray("1e-400") << QVariant(0.0);
    QTest::addRow("long mantissa") << QByteArray("0.1000000000000000055511151231257827")
                                   << QVariant(0.1);
    QTest::addRow("plain string") << QByteArray("\"abc\"") << QVariant(QStringLiteral("abc"));
    QTest::addRow("empty string") << QByteArray("\"\"") << QVariant(QString());
    QTest::addRow("simple escapes") << QByteArray(R"("\" \\ \/ \b \f \n \r \t")")
                                    << QVariant(QStringLiteral("\" \\ / \b \f \n \r \t"));
    QTest::addRow("unicode escape") << QByteArray(R"("caf\u00e9 \u20AC")") << str(u"café €");
    QTest::addRow("escaped NUL") << QByteArray(R"("a\u0000b")")
                                 << QVariant(QStringView(u"a\0b", 3).toString());
    QTest::addRow("surrogate pair escape") << QByteArray(R"("\ud83d\ude00")") << str(u"😀");
    QTest::addRow("raw UTF-8") << QByteArray("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"")
                               << str(u"café € 😀");
    QTest::addRow("raw UTF-8 with escapes") << QByteArray("\"\xc3\xa9\\n\xf4\x8f\xbf\xbf\"")
                                            << str(u"é\n\U0010FFFF");
    QTest::addRow("DEL is not a control character") << QByteArray("\"\x7f\"")
                                                    << QVariant(QStringLiteral("\x7f"));
    QTest::addRow("duplicate keys: last wins")
        << QByteArray(R"({"a":1,"b":2,"a":3})")
        << QVariant(QVariantMap{{QStringLiteral("a"), 3LL}, {QStringLiteral("b"), 2LL}});
    QTest::addRow("nested") << QByteArray(R"({"a":{"b":[null,true,{"c":"d"}]},"e":[]})")
                            << QVariant(QVariantMap{
                                   {QStringLiteral("a"),
                                    QVariantMap{{QStringLiteral("b"),
                                                 QVariantList{null(), true,
                                                              QVariantMap{{QStringLiteral("c"),
                                                                           QStringLiteral("d")}}}}}},
                                   {QStringLiteral("e"), QVariantList()}});
    QTest::addRow("64 deep arrays") << nestedJsonArrays(64) << nestedLists(64);
    QTest::addRow("64 deep arrays holding a value")
        << QByteArray(63, '[') + "[1]" + QByteArray(63, ']')
        << [] {
               QVariant v = QVariantList{1LL};
               for (int i = 1; i < 64; ++i)
                   v = QVariantList{v};
               return v;
           }();
}

void TestJson::parsesValid()
{
    QFETCH(QByteArray, text);
    QFETCH(QVariant, expected);
    QVariant value;
    QString error;
    QVERIFY2(json::parse(text, &value, &error), qPrintable(error));
    COMPARE_VALUE(value, expected);
}

void TestJson::rejectsMalformed_data()
{
    QTest::addColumn<QByteArray>("text");

    QTest::addRow("empty input") << QByteArray();
    QTest::addRow("only whitespace") << QByteArray("  \n");
    QTest::addRow("trailing comma in array") << QByteArray("[1,]");
    QTest::addRow("trailing comma in object") << QByteArray(R"({"a":1,})");
    QTest::addRow("leading comma") << QByteArray("[,1]");
    QTest::addRow("double comma") << QByteArray("[1,,2]");
    QTest::addRow("missing comma") << QByteArray("[1 2]");
    QTest::addRow("missing colon") << QByteArray(R"({"a" 1})");
    QTest::addRow("missing value") << QByteArray(R"({"a":})");
    QTest::addRow("non-string key") << QByteArray(R"({1:2})");
    QTest::addRow("single-quoted string") << QByteArray("['a']");
    QTest::addRow("bare word") << QByteArray("hello");
    QTest::addRow("line comment") << QByteArray("// hi\n{}");
    QTest::addRow("block comment") << QByteArray("{/* hi */}");
    QTest::addRow("NaN") << QByteArray("NaN");
    QTest::addRow("Infinity") << QByteArray("[Infinity]");
    QTest::addRow("-Infinity") << QByteArray("-Infinity");
    QTest::addRow("leading zero") << QByteArray("01");
    QTest::addRow("negative leading zero") << QByteArray("-01");
    QTest::addRow("plus sign") << QByteArray("+1");
    QTest::addRow("lone minus") << QByteArray("-");
    QTest::addRow("dot without digits") << QByteArray("1.");
    QTest::addRow("dot first") << QByteArray(".5");
    QTest::addRow("empty exponent") << QByteArray("1e");
    QTest::addRow("signed empty exponent") << QByteArray("1e+");
    QTest::addRow("hex number") << QByteArray("0x10");
    QTest::addRow("2^64") << QByteArray("18446744073709551616");
    QTest::addRow("far above 2^64") << QByteArray("123456789012345678901234567890");
    QTest::addRow("-2^63-1") << QByteArray("-9223372036854775809");
    QTest::addRow("overflowing float") << QByteArray("1e400");
    QTest::addRow("overflowing negative float") << QByteArray("-1.8e308");
    QTest::addRow("true prefix") << QByteArray("tru");
    QTest::addRow("true with suffix") << QByteArray("truex");
    QTest::addRow("null prefix") << QByteArray("nul");
    QTest::addRow("capitalised literal") << QByteArray("True");
    QTest::addRow("unterminated string") << QByteArray("\"abc");
    QTest::addRow("unterminated after escape") << QByteArray("\"abc\\");
    QTest::addRow("unknown escape") << QByteArray(R"("\x41")");
    QTest::addRow("short unicode escape") << QByteArray(R"("\u12")");
    QTest::addRow("non-hex unicode escape") << QByteArray(R"("\u12g4")");
    QTest::addRow("lone high surrogate") << QByteArray(R"("\ud800")");
    QTest::addRow("lone low surrogate") << QByteArray(R"("\udc00")");
    QTest::addRow("reversed surrogate pair") << QByteArray(R"("\ude00\ud83d")");
    QTest::addRow("high surrogate then text") << QByteArray(R"("\ud83dx")");
    QTest::addRow("high surrogate then BMP escape") << QByteArray(R"("\ud83d\u0041")");
    QTest::addRow("lone surrogate in key") << QByteArray(R"({"\udfff":1})");
    QTest::addRow("raw control character") << QByteArray("\"a\x01z\"");
    QTest::addRow("raw newline in string") << QByteArray("\"a\nb\"");
    QTest::addRow("raw tab in string") << QByteArray("\"a\tb\"");
    QTest::addRow("raw NUL in string") << QByteArray("\"a\0b\"", 5);
    QTest::addRow("invalid UTF-8 byte") << QByteArray("\"\xff\"");
    QTest::addRow("lone continuation byte") << QByteArray("\"\x80\"");
    QTest::addRow("overlong slash") << QByteArray("\"\xc0\xaf\"");
    QTest::addRow("overlong 3-byte") << QByteArray("\"\xe0\x80\xaf\"");
    QTest::addRow("overlong 4-byte") << QByteArray("\"\xf0\x80\x80\xaf\"");
    QTest::addRow("UTF-8 encoded high surrogate") << QByteArray("\"\xed\xa0\x80\"");
    QTest::addRow("UTF-8 encoded low surrogate") << QByteArray("\"\xed\xbf\xbf\"");
    QTest::addRow("above U+10FFFF") << QByteArray("\"\xf4\x90\x80\x80\"");
    QTest::addRow("5-byte form") << QByteArray("\"\xf8\x88\x80\x80\x80\"");
    QTest::addRow("truncated sequence") << QByteArray("\"\xe2\x82\"");
    QTest::addRow("truncated sequence at end") << QByteArray("\"\xe2\x82");
    QTest::addRow("invalid UTF-8 beside an escape") << QByteArray("\"\\n\xc3\"");
    QTest::addRow("invalid UTF-8 in key") << QByteArray("{\"\xc3\":1}");
    QTest::addRow("invalid UTF-8 outside strings") << QByteArray("[1]\xc3\xa9");
    QTest::addRow("two values") << QByteArray("{} {}");
    QTest::addRow("trailing garbage") << QByteArray("{}x");
    QTest::addRow("trailing NUL") << QByteArray("{}\0", 3);
    QTest::addRow("unclosed array") << QByteArray("[1");
    QTest::addRow("unclosed object") << QByteArray(R"({"a":1)");
    QTest::addRow("mismatched brackets") << QByteArray("[}");
    QTest::addRow("extra closing bracket") << QByteArray("[]]");
    QTest::addRow("65 deep arrays") << nestedJsonArrays(65);
    QTest::addRow("65 deep objects")
        << QByteArray().append(QByteArray(R"({"a":)").repeated(64)).append("{}").append(QByteArray(64, '}'));
    QTest::addRow("65 deep mixed")
        << QByteArray().append(QByteArray(R"({"a":[)").repeated(32)).append("{}").append(QByteArray("]}").repeated(32));
    QTest::addRow("non-breaking space as whitespace") << QByteArray("\xc2\xa0{}");
    QTest::addRow("BOM") << QByteArray("\xef\xbb\xbf{}");
}

void TestJson::rejectsMalformed()
{
    QFETCH(QByteArray, text);
    QVariant value = QStringLiteral("untouched");
    QString error;
    QVERIFY(!json::parse(text, &value, &error));
    QVERIFY(!error.isEmpty());
    // A failed parse leaves the output alone: no half-built value leaks out.
    COMPARE_VALUE(value, QVariant(QStringLiteral("untouched")));
}

void TestJson::hostileNestingFailsWithoutCrashing_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addRow("100000 open brackets") << QByteArray(100000, '[');
    QTest::addRow("100000 balanced brackets") << nestedJsonArrays(100000);
    QTest::addRow("100000 open objects") << QByteArray(R"({"a":)").repeated(100000);
}

void TestJson::hostileNestingFailsWithoutCrashing()
{
    QFETCH(QByteArray, text);
    QString error;
    QVERIFY(!json::parse(text, nullptr, &error));
    QVERIFY2(error.contains(QLatin1String("deep")), qPrintable(error));
}

void TestJson::depthLimitIsTheCallersChoice()
{
    // The reader keeps no recursion of its own, so a caller allowing deep
    // nesting gets it; the limit is a policy, not a stack guard.
    QVariant value;
    QString error;
    QVERIFY2(json::parse(nestedJsonArrays(10000), &value, &error, 10000), qPrintable(error));
    QVERIFY(!json::parse(nestedJsonArrays(10001), &value, &error, 10000));
    QVERIFY(!json::parse(nestedJsonArrays(2), &value, &error, 1));
    QVERIFY(json::parse(QByteArray("[]"), &value, &error, 1));
}

void TestJson::writes_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("expected");

    QTest::addRow("null") << null() << QByteArray("null");
    QTest::addRow("absent") << QVariant() << QByteArray("null");
    QTest::addRow("true") << QVariant(true) << QByteArray("true");
    QTest::addRow("false") << QVariant(false) << QByteArray("false");
    QTest::addRow("int") << QVariant(-42) << QByteArray("-42");
    QTest::addRow("uint") << QVariant(42u) << QByteArray("42");
    QTest::addRow("int64 min") << QVariant(qlonglong(std::numeric_limits<qint64>::min()))
                               << QByteArray("-9223372036854775808");
    QTest::addRow("uint64 max") << QVariant(qulonglong(std::numeric_limits<quint64>::max()))
                                << QByteArray("18446744073709551615");
    QTest::addRow("2.0 keeps its point") << QVariant(2.0) << QByteArray("2.0");
    QTest::addRow("0.0") << QVariant(0.0) << QByteArray("0.0");
    QTest::addRow("-0.0") << QVariant(-0.0) << QByteArray("-0.0");
    QTest::addRow("0.1 shortest") << QVariant(0.1) << QByteArray("0.1");
    QTest::addRow("1/3 shortest") << QVariant(1.0 / 3) << QByteArray("0.3333333333333333");
    QTest::addRow("large exponent") << QVariant(1e300) << QByteArray("1e+300");
    QTest::addRow("small exponent") << QVariant(1e-7) << QByteArray("1e-07");
    QTest::addRow("1e21") << QVariant(1e21) << QByteArray("1e+21");
    QTest::addRow("NaN is null") << QVariant(std::nan("")) << QByteArray("null");
    QTest::addRow("infinity is null") << QVariant(std::numeric_limits<double>::infinity())
                                      << QByteArray("null");
    QTest::addRow("float") << QVariant(0.5f) << QByteArray("0.5");
    QTest::addRow("float shortest") << QVariant(0.1f) << QByteArray("0.1");
    QTest::addRow("float 3.0") << QVariant(3.0f) << QByteArray("3.0");
    QTest::addRow("empty string") << QVariant(QString()) << QByteArray("\"\"");
    QTest::addRow("short escapes") << QVariant(QStringLiteral("\"\\\n\r\t\b\f/"))
                                   << QByteArray(R"("\"\\\n\r\t\b\f/")");
    QTest::addRow("other control characters")
        << QVariant(QStringView(u"\0\x01\x1f\x7f", 4).toString())
        << QByteArray("\"\\u0000\\u0001\\u001f\x7f\"");
    QTest::addRow("non-ASCII as raw UTF-8") << str(u"é€😀\U0010FFFF")
                                            << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
    QTest::addRow("lone surrogate becomes U+FFFD")
        << QVariant(QString(QChar(0xD800)) + QLatin1Char('x') + QChar(0xDC00))
        << QByteArray("\"\xef\xbf\xbdx\xef\xbf\xbd\"");
    QTest::addRow("list") << QVariant(QVariantList{1, QStringLiteral("a"), null(), 1.5})
                          << QByteArray(R"([1,"a",null,1.5])");
    QTest::addRow("string list") << QVariant(QStringList{QStringLiteral("a"), QStringLiteral("\"")})
                                 << QByteArray(R"(["a","\""])");
    QTest::addRow("map with escaped key")
        << QVariant(QVariantMap{{QStringLiteral("b"), 2}, {QStringLiteral("a\n"), QVariantMap()}})
        << QByteArray(R"({"a\n":{},"b":2})");
    QTest::addRow("hash") << QVariant(QVariantHash{{QStringLiteral("k"), QVariantList()}})
                          << QByteArray(R"({"k":[]})");
    QTest::addRow("unsupported type is null") << QVariant(QByteArray("x")) << QByteArray("null");
}

void TestJson::writes()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(json::write(value), expected);
}

void TestJson::writeAppends()
{
    QByteArray out("prefix:");
    json::write(QVariantMap{{QStringLiteral("a"), 1}}, out);
    json::write(QStringLiteral("é"), out);
    QCOMPARE(out, QByteArray("prefix:{\"a\":1}\"\xc3\xa9\""));
}

void TestJson::roundTrips_data()
{
    QTest::addColumn<QVariant>("value");
    const double doubles[] = {0.1, 1.0 / 3, 2.0, -0.0, 1e-300, 5e-324, 1e21, 123456789012345680000.0,
                              std::numeric_limits<double>::max(), -std::numeric_limits<double>::min(),
                              9007199254740993.0, 0.30000000000000004};
    for (double d : doubles)
        QTest::addRow("double %.17g", d) << QVariant(d);
    QTest::addRow("uint64 max") << QVariant(qulonglong(std::numeric_limits<quint64>::max()));
    QTest::addRow("int64 min") << QVariant(qlonglong(std::numeric_limits<qint64>::min()));
    QTest::addRow("2^53+1 stays exact") << QVariant(qlonglong(9007199254740993LL));
    QString allControls;
    for (char16_t c = 0; c < 0x20; ++c)
        allControls.append(QChar(c));
    QTest::addRow("every control character") << QVariant(allControls);
    QTest::addRow("mixed text") << str(u"a\"b\\c/ é € 😀 \U0010FFFF end");
    QTest::addRow("message") << QVariant(QVariantMap{
        {QStringLiteral("type"), QStringLiteral("telemetry")},
        {QStringLiteral("seq"), 17LL},
        {QStringLiteral("values"),
         QVariantMap{{QStringLiteral("sine"), 0.5}, {QStringLiteral("n"), 3LL},
                     {QStringLiteral("on"), true}, {QStringLiteral("s"), QStringLiteral("x")},
                     {QStringLiteral("nothing"), null()}}},
        {QStringLiteral("list"), QVariantList{QVariantList{}, QVariantMap{}, 2.0}}});
}

void TestJson::roundTrips()
{
    QFETCH(QVariant, value);
    const QByteArray text = json::write(value);
    QVariant back;
    QString error;
    QVERIFY2(json::parse(text, &back, &error), qPrintable(error + QLatin1String(": ") + QString::fromUtf8(text)));
    COMPARE_VALUE(back, value);
    QCOMPARE(json::write(back), text);
}

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
