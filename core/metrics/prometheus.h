#pragma once

#include <QByteArray>
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
};

// Prometheus text exposition format 0.0.4 (docs/protocol.md section 10).
QByteArray formatPrometheus(const MetricsSnapshot &snapshot);

} // namespace halhub
