#pragma once

#include "protocol/framecodec.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QVariant>

namespace halhub::telemetrymessage {

// The `telemetry` message (docs/protocol.md section 4) written straight to bytes.
// It is the one message sent at kilohertz rates to thousands of streams, so
// it is not built as a QVariantMap: the parts that never change for a
// stream (type, stream, device) are encoded once per stream, the values
// once per frame and shared by every stream that sends the same ones, and
// only seq, ts, sent and the flags are written per message.

// The encoded `values` object (a JSON object, or a MessagePack map).
QByteArray encodeValues(const QList<QPair<QString, QVariant>> &values, Encoding encoding);

// The fixed part of every message of one stream.
QByteArray encodePrefix(const QString &stream, const QString &device, Encoding encoding);

struct Fields
{
    quint64 seq = 0;
    qint64 ts = 0;
    qint64 sent = 0;
    bool key = false;
    bool gap = false;
};

// The whole message in a connection's form; compressed (0x02 or 0x01) when
// asked and larger than framecodec::kCompressionThreshold, like every other
// message.
EncodedFrame encode(const QByteArray &prefix, const Fields &fields, const QByteArray &values,
                    Encoding encoding, bool compression);

} // namespace halhub::telemetrymessage
