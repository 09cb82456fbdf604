#include "recording/recording.h"

#include "recording/recordinglogging.h"

#include "bus/clock.h"

#include <QFile>
#include <QFileInfo>

#include <chrono>
#include <cmath>
#include <cstring>

namespace halhub {

namespace {

// A value as the channel's declared type stores it; false when it has no
// such form (a string in a number channel).
bool encode(const QVariant &value, ChannelType type, QueuedValue *out)
{
    switch (type) {
    case ChannelType::Float: {
        bool ok = false;
        const double d = value.typeId() == QMetaType::QString ? 0.0 : value.toDouble(&ok);
        if (!ok)
            return false;
        std::memcpy(&out->bits, &d, sizeof d);
        return true;
    }
    case ChannelType::Int: {
        if (value.typeId() == QMetaType::Double) {
            const double d = value.toDouble();
            if (!std::isfinite(d))
                return false;
            out->bits = qint64(std::llround(d));
            return true;
        }
        bool ok = false;
        out->bits = value.typeId() == QMetaType::QString ? 0 : value.toLongLong(&ok);
        return ok;
    }
    case ChannelType::Bool:
        if (value.typeId() == QMetaType::QString)
            return false;
        out->bits = value.toBool() ? 1 : 0;
        return true;
    case ChannelType::String:
        out->text = value.toString();
        return true;
    }
    return false;
}

} // namespace

Recording::Recording(const QString &name, const QString &path,
                     const QList<RecordedDevice> &devices, QObject *parent)
    : QObject(parent)
    , m_name(name)
    , m_path(path)
    , m_devices(devices)
{
    qint32 channel = 0;
    for (qsizetype d = 0; d < m_devices.size(); ++d) {
        DeviceSlot slot;
        slot.index = qint32(d);
        for (const ChannelInfo &info : std::as_const(m_devices[d].channels)) {
            slot.channels.insert(info.name, channel++);
            slot.types.insert(info.name, info.type);
        }
        m_slots.insert(m_devices[d].id, slot);
    }
    m_samples.assign(size_t(m_devices.size()), 0);
    // Queued: emitted by the writer thread, handled on this object's thread.
    connect(this, &Recording::stopped, this, &Recording::reap, Qt::QueuedConnection);
}

Recording::~Recording()
{
    if (m_running)
        stop(wallClockUs());
}

QStringList Recording::deviceIds() const
{
    QStringList ids;
    for (const RecordedDevice &d : m_devices)
        ids << d.id;
    return ids;
}

bool Recording::start(qint64 startedUs, QString *error)
{
    m_startedUs = startedUs;
    if (!m_writer.create(m_path, m_devices, startedUs, error)) {
        m_writer.abandon();
        if (m_writer.created())
            QFile::remove(m_path);
        return false;
    }
    m_bytes = m_writer.fileSize();
    m_running = true;
    m_thread = std::thread([this] { run(); });
    return true;
}

void Recording::requestStop(qint64 endedUs)
{
    if (!m_running)
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stopRequested)
            return;
        m_stopRequested = true;
        m_stopAtUs = endedUs;
        m_held = false;
    }
    m_wake.notify_one();
}

void Recording::stop(qint64 endedUs)
{
    if (!m_running)
        return;
    requestStop(endedUs);
    reap();
}

void Recording::reap()
{
    if (!m_running)
        return;
    m_thread.join();
    m_bytes = QFileInfo(m_path).size();
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_endedUs = m_stopAtUs;
    }
    m_running = false;
}

void Recording::offer(const Sample &sample)
{
    const auto slot = m_slots.constFind(sample.device);
    if (slot == m_slots.cend() || !m_running)
        return;
    if (m_failed.load()) {
        ++m_lost;
        return;
    }
    std::unique_lock<std::mutex> lock(m_mutex);
    if (qsizetype(m_queue.size()) + sample.values.size() > m_queueLimit) {
        lock.unlock();
        ++m_lost;
        return;
    }
    bool first = true;
    for (const ChannelValue &cv : sample.values) {
        const auto channel = slot->channels.constFind(cv.channel);
        QueuedValue v;
        if (channel == slot->channels.cend()
            || !encode(cv.value, slot->types.value(cv.channel), &v)) {
            ++m_unknownValues;
            continue;
        }
        v.ts = sample.timestampUs;
        v.channel = *channel;
        v.device = slot->index;
        v.sampleStart = first;
        first = false;
        m_queue.push_back(std::move(v));
    }
    m_depth = qint64(m_queue.size());
    // The writer wakes on its own within 100 ms: no notify per sample.
}

void Recording::holdWriter(bool hold)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_held = hold;
    }
    m_wake.notify_one();
}

void Recording::markFailed(const QString &error, qint64 samplesLost)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_error.isEmpty())
            m_error = error;
    }
    m_lost += samplesLost;
    if (!m_failed.exchange(true))
        Q_EMIT failed(error);
}

void Recording::run()
{
    using Clock = std::chrono::steady_clock;
    h5::silenceErrorStack();
    std::vector<QueuedValue> batch;
    std::vector<qint64> written(m_samples.size(), 0);
    auto lastFlush = Clock::now();
    bool dirty = false;
    for (;;) {
        bool stopping = false;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait_for(lock, std::chrono::milliseconds(100),
                            [this] { return m_stopRequested; });
            stopping = m_stopRequested;
            if (!m_held)
                batch.swap(m_queue);
            m_depth = qint64(m_queue.size());
        }
        if (!batch.empty()) {
            qint64 samplesIn = 0;
            for (const QueuedValue &v : batch)
                samplesIn += v.sampleStart ? 1 : 0;
            if (m_failed.load()) {
                m_lost += samplesIn;
            } else {
                std::fill(written.begin(), written.end(), 0);
                QString error;
                if (m_writer.append(batch, &written, &error)) {
                    std::lock_guard<std::mutex> lock(m_mutex);
                    for (size_t i = 0; i < written.size(); ++i)
                        m_samples[i] += written[i];
                    m_writtenTotal += samplesIn;
                    dirty = true;
                } else {
                    markFailed(error, samplesIn);
                }
            }
            batch.clear();
        }
        const auto now = Clock::now();
        if (dirty && !m_failed.load()
            && (stopping || now - lastFlush >= std::chrono::milliseconds(kFlushMs))) {
            QString error;
            if (!m_writer.flush(&error))
                markFailed(error, 0);
            lastFlush = now;
            dirty = false;
            m_bytes = m_writer.fileSize();
        }
        if (stopping)
            break;
    }
    QString error;
    qint64 endedUs = 0;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        endedUs = m_stopAtUs;
    }
    if (!m_writer.finish(endedUs, &error)) {
        qCWarning(lcRecording).noquote() << "recording" << m_name << ":" << error;
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_error.isEmpty())
            m_error = error;
    }
    Q_EMIT stopped();
}

QHash<QString, qint64> Recording::samplesWritten() const
{
    QHash<QString, qint64> counts;
    std::lock_guard<std::mutex> lock(m_mutex);
    for (qsizetype d = 0; d < m_devices.size(); ++d)
        counts.insert(m_devices[d].id, m_samples[size_t(d)]);
    return counts;
}

qsizetype Recording::queueDepth() const
{
    return qsizetype(m_depth.load());
}

QString Recording::error() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_error;
}

} // namespace halhub
