#pragma once

#include <QVariant>

// Protocol values are carried in QVariant, with exactly these types:
//   null    -> QVariant::fromValue(nullptr)    (QMetaType::Nullptr)
//   boolean -> bool
//   integer -> qlonglong, or qulonglong for values above INT64_MAX
//   float   -> double (always finite)
//   string  -> QString
//   array   -> QVariantList
//   map     -> QVariantMap
// An invalid QVariant means "absent". Decoders produce only these types;
// encoders also accept int, uint, float, QStringList and QVariantHash.
namespace halhub::value {

QVariant null();
bool isNull(const QVariant &v);          // absent or null
bool isBool(const QVariant &v);
bool isInteger(const QVariant &v);       // any integral type
bool isNumber(const QVariant &v);        // integer or double
bool isFiniteNumber(const QVariant &v);  // a number, not NaN or infinite
bool isString(const QVariant &v);
bool isList(const QVariant &v);
bool isMap(const QVariant &v);

// The integer as qint64 when it fits.
bool toInt64(const QVariant &v, qint64 *out);

} // namespace halhub::value
