#pragma once

#include <QByteArray>
#include <QString>
#include <QVariant>

// MessagePack <-> protocol values (value.h), on msgpack-c's C++ API.
namespace halhub::msgpack {

// Parses exactly one MessagePack object filling all of [data, data+size).
// bin and ext types, non-string map keys, invalid UTF-8 in strings,
// non-finite floats, nesting deeper than maxDepth (outermost container is
// depth 1) and trailing bytes are errors.
bool parse(const char *data, qsizetype size, QVariant *out, QString *error, int maxDepth = 64);

void write(const QVariant &value, QByteArray &out);
QByteArray write(const QVariant &value);

} // namespace halhub::msgpack
