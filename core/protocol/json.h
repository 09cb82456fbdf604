#pragma once

#include <QByteArray>
#include <QString>
#include <QVariant>

// A strict JSON (RFC 8259) reader and writer for protocol values (value.h).
// Qt's QJsonDocument is not used: it turns integers above 2^53 into doubles
// and has no depth limit of ours.
namespace halhub::json {

// Parses one JSON text from UTF-8. Integers (no fraction, no exponent) become
// qlonglong, or qulonglong above INT64_MAX; integers outside [-2^63, 2^64-1]
// are an error. Other numbers become double; one that overflows is an error.
// Strings with lone surrogate escapes or invalid UTF-8 are an error.
// Containers nested deeper than maxDepth (the outermost is depth 1) are an
// error. Duplicate object keys: the last wins. Returns false with a short
// human-readable message in *error.
bool parse(const QByteArray &utf8, QVariant *out, QString *error, int maxDepth = 64);

// Appends the compact JSON form. Doubles are written in shortest round-trip
// form and always with a '.' or an exponent, so that they read back as
// floats; non-finite doubles are written as null.
void write(const QVariant &value, QByteArray &out);
QByteArray write(const QVariant &value);

} // namespace halhub::json
