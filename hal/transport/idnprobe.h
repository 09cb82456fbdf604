#pragma once

#include <QByteArray>
#include <QString>

namespace halhub {

// For `halhub --list-ports --probe` only (it waits; never call it from a
// running event loop): opens `path` at `baud` 8N1, sends *IDN? and returns
// the first line of the reply. Empty when nothing came within timeoutMs;
// *error says why when the port could not be opened.
QByteArray probeIdnNow(const QString &path, qint32 baud, int timeoutMs, QString *error);

} // namespace halhub
