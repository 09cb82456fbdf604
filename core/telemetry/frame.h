#pragma once

#include <QList>
#include <QSharedPointer>
#include <QString>
#include <QVariant>

namespace halhub {

// One telemetry frame of one stream, before it is addressed and encoded.
struct Frame
{
    quint64 seq = 0;
    qint64 timestampUs = 0;     // `ts`: the newest device sample in the frame
    bool key = false;
    bool gap = false;
    // What the frame sends: channel -> value, in the stream's channel order.
    // Sampled frames carry maps {min, max, mean, last, n} ({last, n} for
    // non-numeric channels).
    QList<QPair<QString, QVariant>> values;
    // Every subscribed channel's value as of this frame (sampled: the same as
    // values). Used to complete a frame into a key frame after drops or for
    // a replay gap. Shared between frames that did not change it.
    QSharedPointer<const QList<QPair<QString, QVariant>>> snapshot;
};

} // namespace halhub
