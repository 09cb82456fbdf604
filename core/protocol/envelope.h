#pragma once

#include <QString>
#include <QVariant>
#include <QVariantMap>

// The checks every message passes before its type is looked at
// (docs/protocol.md section 2): a string `type`, a valid `id` when present, and
// a `command` must carry an id.
namespace halhub {

struct Envelope
{
    bool ok = false;
    QString type;
    QVariant id;        // absent (invalid QVariant) when none could be read
    QString error;      // why invalid_message, when !ok
};

// id: an integer in +-(2^53-1) or a string of 1 to 64 code points.
bool isValidRequestId(const QVariant &id);

Envelope readEnvelope(const QVariantMap &message);

} // namespace halhub
