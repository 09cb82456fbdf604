#include "bus/value.h"

#include <QStringList>
#include <QVariantHash>
#include <QVariantList>
#include <QVariantMap>

#include <cmath>
#include <limits>

namespace halhub::value {

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

bool isNull(const QVariant &v)
{
    return !v.isValid() || v.typeId() == QMetaType::Nullptr;
}

bool isBool(const QVariant &v)
{
    return v.typeId() == QMetaType::Bool;
}

bool isInteger(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::SChar:
    case QMetaType::UChar:
        return true;
    default:
        return false;
    }
}

bool isNumber(const QVariant &v)
{
    const int t = v.typeId();
    return t == QMetaType::Double || t == QMetaType::Float || isInteger(v);
}

bool isFiniteNumber(const QVariant &v)
{
    return isNumber(v) && std::isfinite(v.toDouble());
}

bool isString(const QVariant &v)
{
    return v.typeId() == QMetaType::QString;
}

bool isList(const QVariant &v)
{
    const int t = v.typeId();
    return t == QMetaType::QVariantList || t == QMetaType::QStringList;
}

bool isMap(const QVariant &v)
{
    const int t = v.typeId();
    return t == QMetaType::QVariantMap || t == QMetaType::QVariantHash;
}

bool toInt64(const QVariant &v, qint64 *out)
{
    if (!isInteger(v))
        return false;
    qint64 result = 0;
    if (v.typeId() == QMetaType::ULongLong || v.typeId() == QMetaType::ULong) {
        const qulonglong u = v.toULongLong();
        if (u > qulonglong(std::numeric_limits<qint64>::max()))
            return false;
        result = qint64(u);
    } else {
        result = v.toLongLong();
    }
    if (out)
        *out = result;
    return true;
}

} // namespace halhub::value
