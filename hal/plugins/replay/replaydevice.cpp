#include "replaydevice.h"

#include "bus/clock.h"
#include "hallogging.h"
#include "recording/recordingreader.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace halhub {

namespace {

QList<CommandSpec> replayCommands()
{
    ParamSpec t;
    t.name = QStringLiteral("t_s");
    t.type = ParamType::Number;
    t.required = true;
    t.minimum = 0;
    return {CommandSpec{QStringLiteral("pause"), QStringLiteral("Stops playing; the position stays"), {}},
            CommandSpec{QStringLiteral("resume"), QStringLiteral("Plays on from the position"), {}},
            CommandSpec{QStringLiteral("seek"),
                        QStringLiteral("Moves to t_s seconds from the recording's start"), {t}}};
}

// Merges the channels' series into the device's samples: values with the
// same time in several channels were one sample.
std::vector<Sample> mergeSamples(const QString &device, const std::vector<ChannelData> &channels)
{
    std::vector<Sample> samples;
    std::vector<size_t> cursor(channels.size(), 0);
    for (;;) {
        qint64 t = std::numeric_limits<qint64>::max();
        for (size_t c = 0; c < channels.size(); ++c) {
            if (cursor[c] < channels[c].size())
                t = std::min(t, channels[c].ts[cursor[c]]);
        }
        if (t == std::numeric_limits<qint64>::max())
            break;
        Sample sample;
        sample.device = device;
        sample.timestampUs = t;
        for (size_t c = 0; c < channels.size(); ++c) {
            if (cursor[c] < channels[c].size() && channels[c].ts[cursor[c]] == t) {
                sample.values << ChannelValue{channels[c].info.name, channels[c].valueAt(cursor[c])};
                ++cursor[c];
            }
        }
        samples.push_back(std::move(sample));
    }
    return samples;
}

} // namespace

ReplayDevice::ReplayDevice(const QVariantMap &config, QObject *parent)
    : Device(config, parent)
    , m_file(config.value(QStringLiteral("file")).toString())
    , m_device(config.value(QStringLiteral("device")).toString())
{
    const QVariant speed = config.value(QStringLiteral("speed"));
    if (!speed.isNull())
        m_speed = std::clamp(speed.toDouble(), 1e-6, kMaxSpeed);
    m_loop = config.value(QStringLiteral("loop")).toBool();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ReplayDevice::playDue);
}

ReplayDevice::~ReplayDevice() = default;

DeviceInfo ReplayDevice::info() const
{
    DeviceInfo info = baseInfo(QStringLiteral("replay"));
    if (m_recorded.rateHz)
        info.rateHz = *m_recorded.rateHz * m_speed;
    info.channels = m_recorded.channels;
    info.commands = replayCommands();
    return info;
}

bool ReplayDevice::load(QString *error)
{
    RecordingReader reader;
    if (!reader.open(m_file, error))
        return false;
    const RecordedDevice *device = reader.device(m_device);
    std::vector<ChannelData> channels;
    if (!device || !reader.readDevice(m_device, &channels, error)) {
        if (!device)
            reader.readDevice(m_device, &channels, error);
        return false;
    }
    m_recorded = *device;
    // Samples stamped before the start (a remote clock behind) still play.
    m_originUs = reader.header().startedUs;
    for (const ChannelData &c : channels) {
        if (c.size() > 0)
            m_originUs = std::min(m_originUs, c.ts.front());
    }
    m_samples = mergeSamples(id(), channels);
    m_loaded = true;
    return true;
}

void ReplayDevice::open()
{
    if (state() != DeviceState::Connecting)
        return;
    QString error;
    if (!load(&error)) {
        qCWarning(lcHal).noquote() << "replay" << id() << ":" << error;
        setState(DeviceState::Error);
        // Told after open() returns, as every device event.
        QTimer::singleShot(0, this, [this, error] { Q_EMIT errorOccurred(error); });
        return;
    }
    qCInfo(lcHal).noquote() << "replay" << id() << "plays" << m_device << "of" << m_file << ":"
                            << m_samples.size() << "samples at speed" << m_speed;
    Q_EMIT infoChanged();
    setState(DeviceState::Connected);
    moveTo(m_originUs);
}

void ReplayDevice::close()
{
    m_timer.stop();
    if (m_loaded)
        setState(DeviceState::Disconnected);
}

qint64 ReplayDevice::positionUs() const
{
    if (m_paused)
        return m_basePositionUs;
    return m_basePositionUs + qint64(double(m_clock.nsecsElapsed()) / 1000.0 * m_speed);
}

void ReplayDevice::moveTo(qint64 position)
{
    m_basePositionUs = position;
    m_clock.start();
    m_next = indexAt(position);
    // From the event loop: samples never come from inside a call on the device.
    schedule();
}

size_t ReplayDevice::indexAt(qint64 position) const
{
    const auto first = std::lower_bound(m_samples.cbegin(), m_samples.cend(), position,
                                        [](const Sample &s, qint64 t) { return s.timestampUs < t; });
    return size_t(first - m_samples.cbegin());
}

void ReplayDevice::playDue()
{
    if (state() != DeviceState::Connected || m_paused)
        return;
    qint64 position = positionUs();
    bool wrapped = false;
    for (;;) {
        while (m_next < m_samples.size() && m_samples[m_next].timestampUs <= position) {
            Sample sample = m_samples[m_next++];
            m_lastStampUs = std::max(wallClockUs(), m_lastStampUs + 1);
            sample.timestampUs = m_lastStampUs;
            Q_EMIT sampleReady(sample);
            if (state() != DeviceState::Connected || m_paused)
                return;
        }
        // At most one lap per wake-up: a recording without samples does not spin.
        if (m_next < m_samples.size() || !m_loop || m_samples.empty() || wrapped)
            break;
        wrapped = true;
        m_basePositionUs = m_originUs;
        m_clock.start();
        m_next = 0;
        position = positionUs();
    }
    schedule();
}

void ReplayDevice::schedule()
{
    if (m_paused || m_next >= m_samples.size()) {
        m_timer.stop();
        return;
    }
    const double waitUs = double(m_samples[m_next].timestampUs - positionUs()) / m_speed;
    const qint64 waitMs = std::max<qint64>(0, qint64(std::ceil(waitUs / 1000.0)));
    m_timer.start(int(std::min<qint64>(waitMs, std::numeric_limits<int>::max())));
}

void ReplayDevice::startCommand(quint64 ticket, const QString &command, const QVariantMap &params)
{
    if (state() != DeviceState::Connected) {
        answer(ticket, CommandOutcome::error(QStringLiteral("device_unavailable"),
                                             QStringLiteral("device is not connected")));
        return;
    }
    if (command == QLatin1String("pause")) {
        if (!m_paused) {
            m_basePositionUs = positionUs();
            m_paused = true;
            m_timer.stop();
        }
    } else if (command == QLatin1String("resume")) {
        if (m_paused) {
            m_paused = false;
            m_clock.start();
            schedule();
        }
    } else if (command == QLatin1String("seek")) {
        const double t = params.value(QStringLiteral("t_s")).toDouble();
        const qint64 position = m_originUs + qint64(std::llround(t * 1e6));
        if (m_paused) {
            m_basePositionUs = position;
            m_next = indexAt(position);
        } else {
            moveTo(position);
        }
    } else {
        answer(ticket, CommandOutcome::error(QStringLiteral("unknown_command"),
                                             QStringLiteral("replay has no command \"%1\"").arg(command)));
        return;
    }
    QVariantMap result;
    result.insert(QStringLiteral("t_s"), double(positionUs() - m_originUs) / 1e6);
    result.insert(QStringLiteral("paused"), m_paused);
    answer(ticket, CommandOutcome::ok(result));
}

void ReplayDevice::abortCommand(quint64)
{
    // Every command answers at once: nothing runs long enough to abort.
}

void ReplayDevice::answer(quint64 ticket, const CommandOutcome &outcome)
{
    // The answer comes after startCommand returns (the bus contract).
    QTimer::singleShot(0, this, [this, ticket, outcome] { Q_EMIT commandFinished(ticket, outcome); });
}

} // namespace halhub
