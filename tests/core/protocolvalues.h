#pragma once

#include "protocol/json.h"

#include <QByteArray>
#include <QVariant>
#include <QVariantList>
#include <QVariantMap>

#include <cmath>
#include <cstring>

// Shared by the protocol codec tests: QVariant's operator== converts between
// numeric types (1 == 1.0), but on the wire an integer and a float differ,
// so values are compared type and all.
namespace halhub::testing {

inline bool sameValue(const QVariant &a, const QVariant &b)
{
    if (a.typeId() != b.typeId())
        return false;
    switch (a.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        return true;
    case QMetaType::Double: {
        // Bitwise, so -0.0 and 0.0 are told apart.
        const double x = a.toDouble();
        const double y = b.toDouble();
        return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case QMetaType::QVariantList: {
        const QVariantList x = a.toList();
        const QVariantList y = b.toList();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (!sameValue(x.at(i), y.at(i)))
                return false;
        }
        return true;
    }
    case QMetaType::QVariantMap: {
        const QVariantMap x = a.toMap();
        const QVariantMap y = b.toMap();
        if (x.keys() != y.keys())
            return false;
        for (auto it = x.cbegin(); it != x.cend(); ++it) {
            if (!sameValue(it.value(), y.value(it.key())))
                return false;
        }
        return true;
    }
    default:
        return a == b;
    }
}

// For failure messages: the value's JSON plus its top-level type.
inline QByteArray describe(const QVariant &v)
{
    return json::write(v) + " (" + v.typeName() + ")";
}

// [[[...]]] with `depth` brackets, innermost empty.
inline QByteArray nestedJsonArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

inline QVariant nestedLists(int depth)
{
    QVariant v = QVariantList();
    for (int i = 1; i < depth; ++i)
        v = QVariantList{v};
    return v;
}

} // namespace halhub::testing

#define COMPARE_VALUE(actual, expected)                                                 \
    do {                                                                                \
        const QVariant a_ = (actual);                                                   \
        const QVariant e_ = (expected);                                                 \
        if (!halhub::testing::sameValue(a_, e_)) {                                      \
            QFAIL(("got " + halhub::testing::describe(a_) + ", expected "               \
                   + halhub::testing::describe(e_)).constData());                       \
        }                                                                               \
    } while (false)
