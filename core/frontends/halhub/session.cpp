#include "frontends/halhub/session.h"

#include "bus/clock.h"
#include "logging.h"
#include "metrics/latencyhistogram.h"
#include "protocol/framecodec.h"
#include "protocol/messages.h"
#include "protocol/throttledcount.h"
#include "telemetry/stream.h"
#include "telemetry/telemetrymessage.h"

#include <QDateTime>
#include <QTimerEvent>

#include <algorithm>
#include <array>
#include <limits>

namespace halhub {

namespace {

constexpr qint64 kOverflowReportMs = 1000;

} // namespace

struct Session::StreamState final : StreamMember
{
    StreamState(Session *owner, const QString &id, const StreamSpec &spec,
                const DeviceInfo &device, std::optional<double> requested)
        : session(owner)
        , id(id)
        , spec(spec)
        , deviceInfo(device)
        , requestedRate(requested.value_or(0))
    {
    }

    bool keepsReplay() const override { return true; }
    void consumeFrame(Frame frame) override { session->produce(*this, std::move(frame)); }
    void deviceChanged(const DeviceInfo &info) override { deviceInfo = info; }

    Session *session;
    QString id;
    StreamSpec spec;
    DeviceInfo deviceInfo;
    double requestedRate = 0;
    std::optional<Frame> pending;      // coalesced frame waiting for the socket
    ThrottledCount unreportedDrops;     // for stream_overflow
    quint64 produced = 0;
    quint64 sent = 0;
    quint64 dropped = 0;
    // The fixed part of this stream's messages, by Encoding (see
    // telemetrymessage.h); made when first needed.
    QByteArray prefix[2];
    // The last live latencies, for the stream's own percentiles.
    std::array<qint32, 256> recentLatencyUs = {};
    quint64 latencyCount = 0;
};

Session::Session(const QString &id, const QString &principal, TelemetryHub *hub,
                 LatencyHistogram *latency, std::function<qint64()> latencyClockMs,
                 int graceMs, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_principal(principal)
    , m_hub(hub)
    , m_latency(latency)
    , m_latencyClockMs(std::move(latencyClockMs))
    , m_graceMs(graceMs)
{
    m_clock.start();
    m_detachedSinceMs = 0;
}

Session::~Session()
{
    for (auto &[id, state] : m_streams)
        m_hub->removeMember(state.get());
}

bool Session::isAttached() const
{
    return m_channel != nullptr;
}

void Session::attach(MessageChannel *channel)
{
    detach();
    m_channel = channel;
    m_detachedSinceMs = -1;
}

void Session::detach()
{
    m_channel = nullptr;
    if (m_detachedSinceMs < 0)
        m_detachedSinceMs = m_clock.elapsed();
    // A coalesced frame that never went out is simply one more frame that
    // a resume replays from the ring.
    for (auto &[id, state] : m_streams)
        state->pending.reset();
    m_framesPending = false;
}

qint64 Session::detachedForMs() const
{
    return m_detachedSinceMs < 0 ? -1 : m_clock.elapsed() - m_detachedSinceMs;
}

void Session::addStream(const QString &streamId, const StreamSpec &spec,
                        const DeviceInfo &device, std::optional<double> requestedRate)
{
    auto state = std::make_unique<StreamState>(this, streamId, spec, device, requestedRate);
    m_hub->addMember(state.get(), spec, device);
    m_streams.emplace(streamId, std::move(state));
}

bool Session::removeStream(const QString &streamId)
{
    auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return false;
    m_hub->removeMember(it->second.get());
    m_streams.erase(it);
    return true;
}

bool Session::hasStream(const QString &streamId) const
{
    return m_streams.count(streamId) > 0;
}

QStringList Session::closeStreamsOf(const QString &device)
{
    QStringList closed;
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        if (it->second->deviceInfo.id == device) {
            closed.append(it->first);
            m_hub->removeMember(it->second.get());
            it = m_streams.erase(it);
        } else {
            ++it;
        }
    }
    return closed;
}

QVariantMap Session::describeStream(const QString &streamId) const
{
    const auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return {};
    return messages::stream(streamId, it->second->spec, it->second->deviceInfo);
}

QVariantList Session::describeStreams() const
{
    QVariantList list;
    for (const auto &[id, state] : m_streams)
        list.append(describeStream(id));
    return list;
}

QList<StreamStats> Session::streamStats() const
{
    QList<StreamStats> list;
    for (const auto &[id, state] : m_streams) {
        StreamStats s;
        s.id = id;
        s.session = m_id;
        s.device = state->deviceInfo.id;
        s.mode = state->spec.mode;
        s.requestedRateHz = state->requestedRate;
        s.grantedRateHz = state->spec.rateHz;
        for (auto c = state->spec.custom.cbegin(); c != state->spec.custom.cend(); ++c) {
            if (c->rateHz)
                s.customRatesHz.insert(c.key(), *c->rateHz);
        }
        s.framesProduced = state->produced;
        s.framesSent = state->sent;
        s.framesDropped = state->dropped;
        const qsizetype n = qsizetype(qMin<quint64>(state->latencyCount, state->recentLatencyUs.size()));
        if (n > 0) {
            std::array<qint32, 256> sorted = state->recentLatencyUs;
            std::sort(sorted.begin(), sorted.begin() + n);
            s.latencyP50Ms = sorted[qsizetype(0.50 * (n - 1))] / 1000.0;
            s.latencyP95Ms = sorted[qsizetype(0.95 * (n - 1))] / 1000.0;
        }
        list.append(s);
    }
    return list;
}

void Session::produce(StreamState &state, Frame frame)
{
    ++state.produced;
    // The computation keeps it for a resume (TelemetryHub::framesAfter).
    if (m_channel)
        offer(state, frame);
}

void Session::offer(StreamState &state, const Frame &frame)
{
    if (!state.pending && m_channel->canSendTelemetry()) {
        sendFrame(state, frame, true);
        return;
    }
    // Slow consumer: only the newest frame of a stream waits.
    if (state.pending) {
        state.pending = Stream::coalesce(*state.pending, frame, state.spec.mode);
        ++state.dropped;
        state.unreportedDrops.add();
        m_hub->countDroppedFrame();
        if (!m_overflowTimer.isActive())
            m_overflowTimer.start(int(kOverflowReportMs / 4), this);
    } else {
        state.pending = frame;
        m_framesPending = true;
    }
}

void Session::sendFrame(StreamState &state, const Frame &frame, bool live)
{
    const Encoding encoding = m_channel->encoding();
    QByteArray &prefix = state.prefix[encoding == Encoding::Json ? 0 : 1];
    if (prefix.isEmpty())
        prefix = telemetrymessage::encodePrefix(state.id, state.deviceInfo.id, encoding);
    const QByteArray values = m_hub->encodedValues(frame, encoding);
    telemetrymessage::Fields fields;
    fields.seq = frame.seq;
    fields.ts = frame.timestampUs;
    fields.key = frame.key;
    fields.gap = frame.gap;
    const qint64 sentUs = wallClockUs();
    fields.sent = sentUs;
    m_channel->sendEncoded(telemetrymessage::encode(prefix, fields, values, encoding,
                                                       m_channel->compression()));
    ++state.sent;
    if (live) {
        const qint64 latencyUs = qMax<qint64>(0, sentUs - frame.timestampUs);
        state.recentLatencyUs[state.latencyCount++ % state.recentLatencyUs.size()] =
            qint32(qMin<qint64>(latencyUs, std::numeric_limits<qint32>::max()));
        if (m_latency)
            m_latency->record(latencyUs, m_latencyClockMs());
    }
}

void Session::channelDrained()
{
    // Called whenever the socket drains, usually with nothing waiting: the
    // flag spares touching every stream's state.
    if (!m_channel || !m_framesPending)
        return;
    m_framesPending = false;
    for (auto &[id, state] : m_streams) {
        if (!state->pending)
            continue;
        // A write may have closed the connection and detached us.
        if (!m_channel || !m_channel->canSendTelemetry()) {
            m_framesPending = m_channel != nullptr;
            return;
        }
        const Frame frame = *state->pending;
        state->pending.reset();
        sendFrame(*state, frame, true);
    }
}

void Session::reportOverflows()
{
    const qint64 now = m_clock.elapsed();
    bool left = false;
    for (auto &[id, state] : m_streams) {
        const quint64 dropped = state->unreportedDrops.take(now, kOverflowReportMs, &left);
        if (dropped == 0)
            continue;
        QVariantMap data;
        data.insert(QStringLiteral("dropped"), qulonglong(dropped));
        sendControl(messages::event(QStringLiteral("stream_overflow"), {}, id, data));
    }
    if (!left)
        m_overflowTimer.stop();
}

void Session::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_overflowTimer.timerId())
        reportOverflows();
    else
        QObject::timerEvent(event);
}

void Session::replay(const QHash<QString, quint64> &lastSeq, const QSet<QString> &resultsSeen)
{
    pruneResults();
    for (const StoredResult &stored : std::as_const(m_results)) {
        if (!resultsSeen.contains(stored.result.commandId))
            sendControl(messages::result(stored.result, stored.requestId));
    }
    for (auto &[id, state] : m_streams) {
        const auto it = lastSeq.constFind(id);
        if (it == lastSeq.constEnd()) {
            m_hub->forceKeyFrame(state.get());
            continue;
        }
        const QList<Frame> frames = m_hub->framesAfter(state.get(), *it);
        for (const Frame &frame : frames) {
            if (m_channel)
                sendFrame(*state, frame, false);
        }
    }
}

void Session::deliverResult(const CommandResult &result, const QVariant &requestId)
{
    pruneResults();
    m_results.append({result, requestId});
    sendControl(messages::result(result, requestId));
}

void Session::pruneResults()
{
    const qint64 cutoff = QDateTime::currentMSecsSinceEpoch() - m_graceMs;
    while (!m_results.isEmpty() && m_results.first().result.finishedAtMs < cutoff)
        m_results.removeFirst();
}

void Session::sendControl(const QVariantMap &message)
{
    if (m_channel)
        m_channel->sendMessage(message);
}

} // namespace halhub
