#include "recording/recorder.h"

#include "bus/clock.h"
#include "bus/devicebus.h"
#include "recording/recording.h"
#include "recording/recordinglogging.h"
#include "recording/recordingreader.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace halhub {

namespace {

const QString kSuffix = QStringLiteral(".h5");

} // namespace

Recorder::Recorder(DeviceBus *bus, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
    , m_directory(QDir(directory).absolutePath())
{
    connect(bus, &DeviceBus::sampleReady, this, &Recorder::onSample);
    m_lossTimer.setInterval(1000);
    connect(&m_lossTimer, &QTimer::timeout, this, &Recorder::reportLosses);
}

Recorder::~Recorder()
{
    stopAll();
}

bool Recorder::isValidName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    return pattern.match(name).hasMatch();
}

QString Recorder::freeDefaultName() const
{
    const QString base = QStringLiteral("halhub-")
        + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString name = base;
    for (int n = 2; m_running.contains(name) || QFileInfo::exists(QDir(m_directory).filePath(name + kSuffix)); ++n)
        name = QStringLiteral("%1-%2").arg(base).arg(n);
    return name;
}

Recorder::Started Recorder::start(const std::optional<QStringList> &devices, const QString &requested)
{
    Started result;
    const auto refuse = [&result](const QString &code, const QString &message) {
        result.errorCode = code;
        result.errorMessage = message;
        return result;
    };
    if (!requested.isEmpty() && !isValidName(requested))
        return refuse(QStringLiteral("invalid_params"),
                      QStringLiteral("name must be 1 to 64 of A-Z a-z 0-9 _ . -"));

    QList<RecordedDevice> recorded;
    QList<DeviceInfo> infos;
    if (devices) {
        for (const QString &id : *devices) {
            const std::optional<DeviceInfo> info = m_bus->device(id);
            if (!info)
                return refuse(QStringLiteral("unknown_device"), QStringLiteral("no device '%1'").arg(id));
            if (std::none_of(infos.cbegin(), infos.cend(),
                             [&id](const DeviceInfo &i) { return i.id == id; }))
                infos << *info;
        }
    } else {
        infos = m_bus->devices();
    }
    for (const DeviceInfo &info : std::as_const(infos))
        recorded << RecordedDevice{info.id, info.plugin, info.name, info.node, info.rateHz, info.channels};

    if (!QDir().mkpath(m_directory))
        return refuse(QStringLiteral("internal"),
                      QStringLiteral("cannot create the recording directory %1").arg(m_directory));
    const QString name = requested.isEmpty() ? freeDefaultName() : requested;
    const QString path = QDir(m_directory).filePath(name + kSuffix);
    if (m_running.contains(name) || m_stopping.contains(name) || QFileInfo::exists(path))
        return refuse(QStringLiteral("invalid_params"),
                      QStringLiteral("a recording named '%1' exists already").arg(name));

    auto *recording = new Recording(name, path, recorded, this);
    QString error;
    if (!recording->start(wallClockUs(), &error)) {
        delete recording;
        qCWarning(lcRecording).noquote() << "cannot start recording" << name << ":" << error;
        return refuse(QStringLiteral("internal"), error);
    }
    connect(recording, &Recording::failed, this, [this, name](const QString &why) {
        qCWarning(lcRecording).noquote() << "recording" << name << "stopped writing:" << why;
        Q_EMIT recordingFailed(name, why);
    });
    m_running.insert(name, recording);
    m_reportedLost.insert(name, 0);
    if (!m_lossTimer.isActive())
        m_lossTimer.start();
    qCInfo(lcRecording).noquote() << "recording" << name << "to" << path << "devices"
                                  << recording->deviceIds().join(QStringLiteral(", "));
    result.summary = summaryOf(*recording);
    Q_EMIT recordingStarted(name);
    return result;
}

bool Recorder::stop(const QString &name, std::function<void(const RecordingSummary &)> done)
{
    Recording *recording = m_running.take(name);
    if (!recording)
        return false;
    m_stopping.insert(name, recording);
    if (done)
        m_waiters[name].append(std::move(done));
    // The writer's end comes back as `stopped`, after the recording's own reap.
    connect(recording, &Recording::stopped, this, [this, name] {
        if (Recording *r = m_stopping.take(name)) {
            conclude(r);
            r->deleteLater();
        }
    }, Qt::QueuedConnection);
    recording->requestStop(wallClockUs());
    return true;
}

std::optional<RecordingSummary> Recorder::stopAndWait(const QString &name)
{
    Recording *recording = m_running.take(name);
    if (!recording)
        recording = m_stopping.take(name);
    if (!recording)
        return std::nullopt;
    recording->stop(wallClockUs());
    const RecordingSummary summary = conclude(recording);
    delete recording;
    return summary;
}

RecordingSummary Recorder::conclude(Recording *recording)
{
    const QString name = recording->name();
    const qint64 lost = recording->lost();
    if (lost != m_reportedLost.value(name)) {
        qCWarning(lcRecording).noquote() << "recording" << name << "lost"
                                         << lost - m_reportedLost.value(name) << "samples at its end ("
                                         << lost << "in all)";
        Q_EMIT samplesLost(name, lost - m_reportedLost.value(name), lost);
    }
    m_reportedLost.remove(name);
    const RecordingSummary summary = summaryOf(*recording);
    m_doneWritten += recording->samplesWrittenTotal();
    m_doneLost += lost;
    m_doneBytes += summary.bytes;
    if (recording->unknownChannelValues() > 0)
        qCInfo(lcRecording).noquote() << "recording" << name << ":"
                                      << recording->unknownChannelValues()
                                      << "values of channels unknown at its start were not recorded";
    m_finished.insert(name, summary);
    if (m_running.isEmpty())
        m_lossTimer.stop();
    qCInfo(lcRecording).noquote() << "recording" << name << "stopped:" << summary.bytes << "bytes";
    const QList<std::function<void(const RecordingSummary &)>> waiters = m_waiters.take(name);
    for (const auto &done : waiters)
        done(summary);
    Q_EMIT recordingStopped(name);
    return summary;
}

void Recorder::stopAll()
{
    const QStringList names = m_running.keys() + m_stopping.keys();
    for (const QString &name : names)
        stopAndWait(name);
}

void Recorder::onSample(const Sample &sample)
{
    for (Recording *recording : std::as_const(m_running))
        recording->offer(sample);
}

void Recorder::reportLosses()
{
    for (auto it = m_running.cbegin(); it != m_running.cend(); ++it) {
        const qint64 lost = it.value()->lost();
        qint64 &reported = m_reportedLost[it.key()];
        if (lost == reported)
            continue;
        const qint64 fresh = lost - reported;
        reported = lost;
        const QString why = it.value()->error().isEmpty()
            ? QStringLiteral("the disk does not keep up, the queue is full")
            : it.value()->error();
        qCWarning(lcRecording).noquote() << "recording" << it.key() << "lost" << fresh
                                         << "samples (" << lost << "in all):" << why;
        Q_EMIT samplesLost(it.key(), fresh, lost);
    }
}

RecordingSummary Recorder::summaryOf(const Recording &recording) const
{
    RecordingSummary s;
    s.name = recording.name();
    s.path = recording.path();
    s.file = QFileInfo(s.path).fileName();
    s.bytes = recording.bytes();
    s.startedUs = recording.startedUs();
    s.endedUs = recording.endedUs();
    s.devices = recording.deviceIds();
    s.running = recording.isRunning();
    s.samples = recording.samplesWritten();
    s.lost = recording.lost();
    s.error = recording.error();
    return s;
}

QList<RecordingSummary> Recorder::running() const
{
    QList<RecordingSummary> list;
    for (const Recording *r : std::as_const(m_running))
        list << summaryOf(*r);
    for (const Recording *r : std::as_const(m_stopping))
        list << summaryOf(*r);
    return list;
}

QList<RecordingSummary> Recorder::list() const
{
    QList<RecordingSummary> list = running();
    const QFileInfoList files = QDir(m_directory).entryInfoList({QStringLiteral("*") + kSuffix},
                                                                QDir::Files);
    for (const QFileInfo &file : files) {
        const QString name = file.completeBaseName();
        if (m_running.contains(name) || m_stopping.contains(name))
            continue;
        const auto finished = m_finished.constFind(name);
        if (finished != m_finished.cend() && finished->bytes == file.size()) {
            list << *finished;
            continue;
        }
        Cached &cached = m_cache[file.absoluteFilePath()];
        const qint64 modified = file.lastModified().toMSecsSinceEpoch();
        if (cached.size != file.size() || cached.modifiedMs != modified || !cached.summary) {
            cached.size = file.size();
            cached.modifiedMs = modified;
            cached.summary.reset();
            RecordingReader reader;
            QString error;
            if (reader.open(file.absoluteFilePath(), &error)) {
                RecordingSummary s;
                s.name = name;
                s.file = file.fileName();
                s.path = file.absoluteFilePath();
                s.bytes = file.size();
                s.startedUs = reader.header().startedUs;
                s.endedUs = reader.header().endedUs;
                for (const RecordedDevice &d : reader.header().devices)
                    s.devices << d.id;
                cached.summary = s;
            }
        }
        if (cached.summary)
            list << *cached.summary;
    }
    std::sort(list.begin(), list.end(), [](const RecordingSummary &a, const RecordingSummary &b) {
        return a.startedUs != b.startedUs ? a.startedUs < b.startedUs : a.name < b.name;
    });
    return list;
}

RecorderStats Recorder::stats() const
{
    RecorderStats s;
    s.active = int(m_running.size());
    s.samplesWritten = m_doneWritten;
    s.lost = m_doneLost;
    s.bytes = m_doneBytes;
    for (const Recording *r : m_running.values() + m_stopping.values()) {
        s.samplesWritten += r->samplesWrittenTotal();
        s.lost += r->lost();
        s.bytes += r->bytes();
        s.queueDepth += r->queueDepth();
    }
    return s;
}

Recording *Recorder::recording(const QString &name) const
{
    return m_running.value(name);
}

} // namespace halhub
