#include "server/metricsview.h"

#include "bus/devicebus.h"
#include "hub/hub.h"
#include "recording/recorder.h"
#include "server/connectionregistry.h"
#include "telemetry/telemetryhub.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace halhub {

MetricsView::MetricsView(const Hub *hub, const ConnectionRegistry *connections,
                         std::function<int()> streams)
    : m_hub(hub)
    , m_connections(connections)
    , m_streams(std::move(streams))
{
}

MetricsSnapshot MetricsView::snapshot() const
{
    MetricsSnapshot s;
    s.clients = m_connections->count();
    s.streams = m_streams();
    s.devices = m_hub->bus()->devices().size();
    s.messagesSentTotal = m_connections->messagesSentTotal();
    s.messagesReceivedTotal = m_connections->messagesReceivedTotal();
    s.uptimeSeconds = m_hub->uptimeSeconds();
    s.latency = &m_hub->latency();
    for (const DeviceInfo &info : m_hub->bus()->devices())
        s.devicesUp.append({info.id, info.state == DeviceState::Connected});
    s.streamDroppedFramesTotal = m_hub->telemetry()->droppedFramesTotal();
    s.commandsByStatus = m_hub->commandsByStatus();
    return s;
}

QVariantMap MetricsView::reply() const
{
    const MetricsSnapshot snap = snapshot();
    const LatencySummary s = m_hub->latency().summary(m_hub->clockMs());
    QVariantMap latency;
    latency.insert(QStringLiteral("avg_latency_ms"), s.avgMs);
    latency.insert(QStringLiteral("p50_latency_ms"), s.p50Ms);
    latency.insert(QStringLiteral("p95_latency_ms"), s.p95Ms);
    latency.insert(QStringLiteral("p99_latency_ms"), s.p99Ms);
    latency.insert(QStringLiteral("min_latency_ms"), s.minMs);
    latency.insert(QStringLiteral("max_latency_ms"), s.maxMs);
    latency.insert(QStringLiteral("message_count"), qlonglong(s.count));
    latency.insert(QStringLiteral("throughput_msg_per_sec"), s.throughputPerSec);
    QVariantMap m;
    m.insert(QStringLiteral("latency"), latency);
    m.insert(QStringLiteral("clients"), qlonglong(snap.clients));
    m.insert(QStringLiteral("streams"), qlonglong(snap.streams));
    m.insert(QStringLiteral("devices"), qlonglong(snap.devices));
    m.insert(QStringLiteral("uptime_s"), qlonglong(snap.uptimeSeconds));
    if (m_recorder) {
        const RecorderStats r = m_recorder->stats();
        QVariantMap recording;
        recording.insert(QStringLiteral("active"), qlonglong(r.active));
        recording.insert(QStringLiteral("samples_written"), qlonglong(r.samplesWritten));
        recording.insert(QStringLiteral("bytes"), qlonglong(r.bytes));
        recording.insert(QStringLiteral("queue_depth"), qlonglong(r.queueDepth));
        recording.insert(QStringLiteral("lost"), qlonglong(r.lost));
        m.insert(QStringLiteral("recording"), recording);
    }
    if (m_cluster)
        m.insert(QStringLiteral("cluster"), m_cluster());
    return m;
}

QByteArray MetricsView::prometheus() const
{
    QByteArray text = formatPrometheus(snapshot());
    if (m_recorder) {
        const RecorderStats r = m_recorder->stats();
        const auto metric = [&text](const char *name, const char *type, const char *help,
                                    qint64 value) {
            text += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type
                + '\n' + name + ' ' + QByteArray::number(value) + '\n';
        };
        metric("halhub_recording_active", "gauge", "Recordings running.", r.active);
        metric("halhub_recording_samples_written_total", "counter",
               "Device samples written to recordings.", r.samplesWritten);
        metric("halhub_recording_bytes", "gauge", "Bytes of the recording files written.", r.bytes);
        metric("halhub_recording_queue_depth", "gauge",
               "Values waiting to be written to recordings.", r.queueDepth);
        metric("halhub_recording_lost_total", "counter",
               "Device samples recordings could not write.", r.lost);
    }
    return text;
}

std::pair<bool, QByteArray> MetricsView::health(bool shuttingDown) const
{
    const bool healthy = !shuttingDown;
    // Still 200 when degraded: the server serves; a device needs attention.
    QJsonObject devices;
    bool allConnected = true;
    for (const DeviceInfo &info : m_hub->bus()->devices()) {
        devices.insert(info.id, deviceStateName(info.state));
        allConnected = allConnected && info.state == DeviceState::Connected;
    }
    const QString status = !healthy ? QStringLiteral("shutting_down")
            : allConnected          ? QStringLiteral("ok")
                                    : QStringLiteral("degraded");
    QJsonObject o;
    o.insert(QStringLiteral("status"), status);
    o.insert(QStringLiteral("clients"), m_connections->count());
    o.insert(QStringLiteral("devices"), devices);
    o.insert(QStringLiteral("uptime_s"), m_hub->uptimeSeconds());
    return {healthy, QJsonDocument(o).toJson(QJsonDocument::Compact)};
}

} // namespace halhub
