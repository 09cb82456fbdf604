#pragma once

#include <QByteArray>
#include <QString>
#include <QVariant>

namespace halhub {

// Text <-> value rules shared by the line-based plugins (docs/protocol.md section 11).

// A value with JSON number syntax: qint64 when it has no fraction or
// exponent (and fits), else double; anything else: an invalid QVariant.
QVariant parseJsonNumber(const QByteArray &text);

// A command parameter as an instrument reads it: numbers in shortest form,
// booleans 1/0, strings verbatim. Empty optional when it cannot be sent on
// one line (a newline, a list, a map).
bool formatParam(const QVariant &value, QString *text);

// `[A-Za-z0-9_]+`: channel and command names that go on the wire.
bool isPlainName(const QString &name);

} // namespace halhub
