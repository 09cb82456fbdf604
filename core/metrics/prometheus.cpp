#include "metrics/prometheus.h"

#include "metrics/latencyhistogram.h"

namespace halhub {

namespace {

void appendHeader(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void appendScalar(QByteArray &out, const char *name, const char *type, const char *help,
                  qint64 value)
{
    appendHeader(out, name, type, help);
    out += name;
    out += ' ';
    out += QByteArray::number(value);
    out += '\n';
}

// A label value in the exposition format: \\, \" and \n escaped.
QByteArray labelValue(const QString &text)
{
    QByteArray out;
    for (const char c : text.toUtf8()) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void appendLabelled(QByteArray &out, const char *name, const char *label, const QString &value,
                    qint64 number)
{
    out += name;
    out += '{';
    out += label;
    out += "=\"";
    out += labelValue(value);
    out += "\"} ";
    out += QByteArray::number(number);
    out += '\n';
}

QByteArray formatSeconds(double seconds)
{
    return QByteArray::number(seconds, 'g', 15);
}

// Powers of two in microseconds (every 8th bound of the log scale) and the
// last bound: ~27 series instead of ~190, still exact cumulative counts
// because each is a real bucket edge.
bool isExportedBound(size_t index, const std::vector<qint64> &bounds)
{
    const qint64 bound = bounds[index];
    return index + 1 == bounds.size() || (bound & (bound - 1)) == 0;
}

} // namespace

QByteArray formatPrometheus(const MetricsSnapshot &snapshot)
{
    QByteArray out;
    out.reserve(4096);

    appendScalar(out, "halhub_clients", "gauge", "Open WebSocket connections.",
                 snapshot.clients);
    appendScalar(out, "halhub_streams", "gauge",
                 "Telemetry streams, those of sessions waiting to resume included.",
                 snapshot.streams);
    appendScalar(out, "halhub_devices", "gauge", "Configured devices.", snapshot.devices);
    appendScalar(out, "halhub_uptime_seconds", "gauge", "Seconds since the server started.",
                 snapshot.uptimeSeconds);
    appendScalar(out, "halhub_messages_sent_total", "counter",
                 "Messages sent to clients since start.", snapshot.messagesSentTotal);
    appendScalar(out, "halhub_messages_received_total", "counter",
                 "Messages received from clients since start.", snapshot.messagesReceivedTotal);

    appendHeader(out, "halhub_device_up", "gauge", "1 while the device is connected, else 0.");
    for (const auto &[id, up] : snapshot.devicesUp)
        appendLabelled(out, "halhub_device_up", "device", id, up ? 1 : 0);
    appendScalar(out, "halhub_stream_dropped_frames_total", "counter",
                 "Telemetry frames dropped for slow consumers since start.",
                 snapshot.streamDroppedFramesTotal);
    appendHeader(out, "halhub_commands_total", "counter",
                 "Command results since start, by status.");
    // Every status always, so that a rate over a quiet status is 0, not absent.
    QMap<QString, qint64> byStatus = snapshot.commandsByStatus;
    for (const char *status : {"ok", "error", "timeout", "cancelled"})
        byStatus.insert(QString::fromLatin1(status), byStatus.value(QString::fromLatin1(status)));
    for (auto it = byStatus.cbegin(); it != byStatus.cend(); ++it)
        appendLabelled(out, "halhub_commands_total", "status", it.key(), it.value());

    const char *histogram = "halhub_telemetry_latency_seconds";
    appendHeader(out, histogram, "histogram",
                 "Sample-to-socket-write latency of live telemetry frames.");
    const std::vector<qint64> &bounds = LatencyHistogram::bucketBoundsUs();
    const LatencyHistogram *latency = snapshot.latency;
    qint64 cumulative = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
        if (latency)
            cumulative += latency->cumulativeBuckets()[i];
        if (!isExportedBound(i, bounds))
            continue;
        out += histogram;
        out += "_bucket{le=\"";
        out += formatSeconds(double(bounds[i]) / 1e6);
        out += "\"} ";
        out += QByteArray::number(cumulative);
        out += '\n';
    }
    const qint64 count = latency ? latency->cumulativeCount() : 0;
    out += histogram;
    out += "_bucket{le=\"+Inf\"} ";
    out += QByteArray::number(count);
    out += '\n';
    out += histogram;
    out += "_sum ";
    out += formatSeconds(latency ? latency->cumulativeSumSeconds() : 0.0);
    out += '\n';
    out += histogram;
    out += "_count ";
    out += QByteArray::number(count);
    out += '\n';
    return out;
}

} // namespace halhub
