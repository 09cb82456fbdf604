#include "bus/value.h"

#include <QStringList>
#include <QTest>
#include <QVariantHash>
#include <QVariantList>
#include <QVariantMap>

#include <limits>

using namespace halhub;

class TestValue : public QObject
{
    Q_OBJECT

private slots:
    void classifies_data();
    void classifies();
    void toInt64_data();
    void toInt64();
};

void TestValue::classifies_data()
{
    QTest::addColumn<QVariant>("v");
    QTest::addColumn<QString>("kinds");   // the predicates that hold, in order

    QTest::addRow("absent") << QVariant() << "null";
    QTest::addRow("null") << value::null() << "null";
    QTest::addRow("bool") << QVariant(false) << "bool";
    QTest::addRow("int") << QVariant(1) << "integer number";
    QTest::addRow("uint") << QVariant(1u) << "integer number";
    QTest::addRow("qlonglong") << QVariant(1LL) << "integer number";
    QTest::addRow("qulonglong") << QVariant(1ULL) << "integer number";
    QTest::addRow("double") << QVariant(1.0) << "number";
    QTest::addRow("float") << QVariant(1.0f) << "number";
    QTest::addRow("string") << QVariant(QStringLiteral("1")) << "string";
    QTest::addRow("empty string is not null") << QVariant(QString()) << "string";
    QTest::addRow("list") << QVariant(QVariantList()) << "list";
    QTest::addRow("string list") << QVariant(QStringList()) << "list";
    QTest::addRow("map") << QVariant(QVariantMap()) << "map";
    QTest::addRow("hash") << QVariant(QVariantHash()) << "map";
    QTest::addRow("byte array is none of them") << QVariant(QByteArray("1")) << "";
}

void TestValue::classifies()
{
    QFETCH(QVariant, v);
    QFETCH(QString, kinds);
    QStringList got;
    if (value::isNull(v))
        got << QStringLiteral("null");
    if (value::isBool(v))
        got << QStringLiteral("bool");
    if (value::isInteger(v))
        got << QStringLiteral("integer");
    if (value::isNumber(v))
        got << QStringLiteral("number");
    if (value::isString(v))
        got << QStringLiteral("string");
    if (value::isList(v))
        got << QStringLiteral("list");
    if (value::isMap(v))
        got << QStringLiteral("map");
    QCOMPARE(got.join(QLatin1Char(' ')), kinds);
}

void TestValue::toInt64_data()
{
    QTest::addColumn<QVariant>("v");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("expected");

    QTest::addRow("int") << QVariant(-5) << true << qint64(-5);
    QTest::addRow("int64 min") << QVariant(qlonglong(std::numeric_limits<qint64>::min())) << true
                               << std::numeric_limits<qint64>::min();
    QTest::addRow("qulonglong at int64 max") << QVariant(qulonglong(std::numeric_limits<qint64>::max()))
                                             << true << std::numeric_limits<qint64>::max();
    QTest::addRow("qulonglong above int64 max") << QVariant(qulonglong(9223372036854775808ULL)) << false
                                                << qint64(0);
    QTest::addRow("whole double is not an integer") << QVariant(3.0) << false << qint64(0);
    QTest::addRow("bool is not an integer") << QVariant(true) << false << qint64(0);
    QTest::addRow("numeric string is not an integer") << QVariant(QStringLiteral("3")) << false << qint64(0);
    QTest::addRow("null") << value::null() << false << qint64(0);
}

void TestValue::toInt64()
{
    QFETCH(QVariant, v);
    QFETCH(bool, ok);
    QFETCH(qint64, expected);
    qint64 out = 0;
    QCOMPARE(value::toInt64(v, &out), ok);
    QCOMPARE(out, expected);
}

QTEST_GUILESS_MAIN(TestValue)
#include "tst_value.moc"
