#pragma once

#include "commands/commandrouter.h"
#include "net/messagechannel.h"
#include "telemetry/telemetryhub.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QBasicTimer>
#include <QSet>

#include <functional>
#include <map>
#include <memory>

namespace halhub {

class LatencyHistogram;

// What the GUI and metrics see of one stream.
struct StreamStats
{
    QString id;
    QString session;
    QString device;
    StreamMode mode = StreamMode::Full;
    double requestedRateHz = 0;     // 0: native / per sample
    double grantedRateHz = 0;
    // custom mode: the granted rate of each channel that has its own.
    QMap<QString, double> customRatesHz;
    quint64 framesProduced = 0;
    quint64 framesSent = 0;
    quint64 framesDropped = 0;
    // Over the stream's last 256 live frames; -1 before the first.
    double latencyP50Ms = -1;
    double latencyP95Ms = -1;
};

// A client's session (docs/protocol.md section 8): its streams, with their
// replay rings and slow-consumer state, and its finished command results.
// It outlives its connection for the resume grace; while detached its
// streams keep producing into their rings. It speaks to its connection only
// through a MessageChannel, so it is tested without sockets.
class Session : public QObject
{
    Q_OBJECT
public:
    // Live frames' latencies go into `latency`, at the times latencyClockMs
    // gives: the clock the histogram is read with (Hub::clockMs), so that
    // every session's frames fall into the same windows.
    Session(const QString &id, const QString &principal, TelemetryHub *hub,
            LatencyHistogram *latency, std::function<qint64()> latencyClockMs, int graceMs,
            QObject *parent = nullptr);
    ~Session() override;

    QString id() const { return m_id; }
    // The token's `sub` with auth; empty without.
    QString principal() const { return m_principal; }
    // A session made before its connection authenticated takes the token's
    // `sub` once; a connection never changes user (docs/protocol.md section 9).
    void setPrincipal(const QString &principal) { m_principal = principal; }

    MessageChannel *channel() const { return m_channel; }
    void attach(MessageChannel *channel);
    void detach();
    bool isAttached() const;
    // How long the session has been without a connection; -1 while attached.
    qint64 detachedForMs() const;

    // Streams
    int streamCount() const { return int(m_streams.size()); }
    void addStream(const QString &streamId, const StreamSpec &spec, const DeviceInfo &device,
                   std::optional<double> requestedRate);
    bool removeStream(const QString &streamId);
    bool hasStream(const QString &streamId) const;
    // Closes every stream on a removed device; returns their ids.
    QStringList closeStreamsOf(const QString &device);
    QVariantMap describeStream(const QString &streamId) const;
    QVariantList describeStreams() const;
    QList<StreamStats> streamStats() const;

    // Resume, after the welcome: results not in resultsSeen, then the frames
    // after lastSeq of each named stream; other streams restart with a key
    // frame marked gap.
    void replay(const QHash<QString, quint64> &lastSeq, const QSet<QString> &resultsSeen);

    // Command results: kept for the grace period, sent when attached.
    void deliverResult(const CommandResult &result, const QVariant &requestId);

    // Sends a non-droppable message if attached; dropped otherwise.
    void sendControl(const QVariantMap &message);

    // The attached channel's unsent bytes fell back to the high-water mark:
    // coalesced frames go out.
    void channelDrained();

private:
    struct StreamState;
    friend struct StreamState;

    void produce(StreamState &state, Frame frame);
    void offer(StreamState &state, const Frame &frame);
    void sendFrame(StreamState &state, const Frame &frame, bool live);
    void reportOverflows();
    void pruneResults();
    void timerEvent(QTimerEvent *event) override;

    QString m_id;
    QString m_principal;
    TelemetryHub *m_hub = nullptr;
    LatencyHistogram *m_latency = nullptr;
    std::function<qint64()> m_latencyClockMs;
    int m_graceMs = 30000;
    MessageChannel *m_channel = nullptr;
    QElapsedTimer m_clock;
    qint64 m_detachedSinceMs = -1;

    std::map<QString, std::unique_ptr<StreamState>> m_streams;
    // Whether a stream may have a coalesced frame waiting for the socket.
    bool m_framesPending = false;

    struct StoredResult
    {
        CommandResult result;
        QVariant requestId;
    };
    QList<StoredResult> m_results;

    // Runs only while a stream has drops to report; a QBasicTimer costs an
    // int when idle, and every idle connection has a session.
    QBasicTimer m_overflowTimer;
};

} // namespace halhub
