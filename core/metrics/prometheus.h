#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QtGlobal>

namespace halhub {

class LatencyHistogram;

// What the metrics listener reports, gathered by whoever owns the pieces.
struct MetricsSnapshot
{
    qint64 clients = 0;                 // open WebSocket connections
    qint64 streams = 0;                 // all streams, detached sessions' included
    qint64 devices = 0;
    qint64 messagesSentTotal = 0;       // since start
    qint64 messagesReceivedTotal = 0;   // since start
    qint64 uptimeSeconds = 0;
    const LatencyHistogram *latency = nullptr;  // nullptr: an empty histogram
    QList<QPair<QString, bool>> devicesUp;      // id, connected; in config order
    qint64 streamDroppedFramesTotal = 0;        // frames slow consumers lost
    QMap<QString, qint64> commandsByStatus;     // results by status name
};

// Prometheus text exposition format 0.0.4 (docs/protocol.md section 10).
QByteArray formatPrometheus(const MetricsSnapshot &snapshot);

} // namespace halhub
