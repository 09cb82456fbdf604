#include "server/metricsview.h"

#include "bus/devicebus.h"
#include "hub/hub.h"
#include "server/connectionregistry.h"

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
    if (m_cluster)
        m.insert(QStringLiteral("cluster"), m_cluster());
    return m;
}

QByteArray MetricsView::prometheus() const
{
    return formatPrometheus(snapshot());
}

std::pair<bool, QByteArray> MetricsView::health(bool shuttingDown) const
{
    const bool healthy = !shuttingDown;
    QJsonObject o;
    o.insert(QStringLiteral("status"), healthy ? QStringLiteral("ok") : QStringLiteral("shutting_down"));
    o.insert(QStringLiteral("clients"), m_connections->count());
    o.insert(QStringLiteral("devices"), int(m_hub->bus()->devices().size()));
    o.insert(QStringLiteral("uptime_s"), m_hub->uptimeSeconds());
    return {healthy, QJsonDocument(o).toJson(QJsonDocument::Compact)};
}

} // namespace halhub
