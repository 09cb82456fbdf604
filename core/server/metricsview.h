#pragma once

#include "metrics/prometheus.h"

#include <QByteArray>
#include <QVariantMap>

#include <functional>
#include <utility>

namespace halhub {

class ConnectionRegistry;
class Hub;
class Recorder;

// The figures of the whole server, gathered from its parts, in the forms
// they are asked for: the `metrics` reply (docs/protocol.md section 4),
// Prometheus text and the health report (section 10).
class MetricsView
{
public:
    // streams: the streams every front end holds.
    MetricsView(const Hub *hub, const ConnectionRegistry *connections,
                std::function<int()> streams);

    // Adds recording figures (halhub_recording_*, `recording` in the reply).
    void setRecorder(const Recorder *recorder) { m_recorder = recorder; }

    MetricsSnapshot snapshot() const;
    // The fields of `metrics` (without its type).
    QVariantMap reply() const;
    QByteArray prometheus() const;
    // 200 or 503, and the JSON body of /healthz.
    std::pair<bool, QByteArray> health(bool shuttingDown) const;
    // In a cluster: what `metrics` says of it ({node, nodes, redis}).
    void setClusterStatus(std::function<QVariantMap()> status) { m_cluster = std::move(status); }

private:
    const Hub *m_hub = nullptr;
    const ConnectionRegistry *m_connections = nullptr;
    std::function<int()> m_streams;
    const Recorder *m_recorder = nullptr;
    std::function<QVariantMap()> m_cluster;
};

} // namespace halhub
