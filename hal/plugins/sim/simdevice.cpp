#include "simdevice.h"

#include <QDateTime>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>

namespace halhub {

namespace {

const QString kSine = QStringLiteral("sine");
const QString kRamp = QStringLiteral("ramp");
const QString kNoise = QStringLiteral("noise");
const QString kStep = QStringLiteral("step");

constexpr double kPi = 3.14159265358979323846;
constexpr qint64 kUsPerSecond = 1000000;
constexpr int kMaxDelayMs = 60000;
constexpr int kDefaultUnplugMs = 1000;

qint64 nowEpochUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

ParamSpec delayParam(bool required)
{
    ParamSpec ms;
    ms.name = QStringLiteral("ms");
    ms.type = ParamType::Integer;
    ms.required = required;
    ms.minimum = 0;
    ms.maximum = kMaxDelayMs;
    return ms;
}

QList<CommandSpec> simCommands()
{
    CommandSpec echo{QStringLiteral("echo"), QStringLiteral("Returns its params"), {}};

    ParamSpec channel;
    channel.name = QStringLiteral("channel");
    channel.type = ParamType::String;
    channel.required = true;
    channel.allowed = QStringList{kSine, kRamp, kNoise, kStep};
    ParamSpec value;
    value.name = QStringLiteral("value");
    value.type = ParamType::Number;
    CommandSpec set{QStringLiteral("set"),
                    QStringLiteral("Holds a channel at value; no value releases it"),
                    {channel, value}};

    CommandSpec sleep{QStringLiteral("sleep"), QStringLiteral("Answers after ms milliseconds"),
                      {delayParam(true)}};
    CommandSpec fail{QStringLiteral("fail"), QStringLiteral("Answers with device_error"), {}};
    CommandSpec unplug{QStringLiteral("unplug"),
                       QStringLiteral("Disconnects for ms milliseconds (default 1000)"),
                       {delayParam(false)}};
    return {echo, set, sleep, fail, unplug};
}

int delayFrom(const QVariantMap &params, int fallback)
{
    const QVariant ms = params.value(QStringLiteral("ms"));
    if (ms.isNull())
        return fallback;
    return int(std::clamp(ms.toLongLong(), qint64(0), qint64(kMaxDelayMs)));
}

} // namespace

SimDevice::SimDevice(const QVariantMap &config, QObject *parent)
    : Device(config, parent)
    , m_random(std::random_device{}())
{
    const QVariant rate = config.value(QStringLiteral("rate_hz"));
    if (!rate.isNull())
        m_rateHz = std::clamp(rate.toDouble(), 1e-6, MaxRateHz);

    m_sampleTimer.setTimerType(Qt::PreciseTimer);
    m_sampleTimer.setSingleShot(true);
    connect(&m_sampleTimer, &QTimer::timeout, this, &SimDevice::produceDueSamples);

    m_reconnectTimer.setSingleShot(true);
    // A coarse timer may fire up to 5% early: away means at least `ms`.
    m_reconnectTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_reconnectTimer, &QTimer::timeout, this, [this]() {
        setState(DeviceState::Connected);
        startSampling();
    });
}

SimDevice::~SimDevice()
{
    qDeleteAll(m_pending);
}

DeviceInfo SimDevice::info() const
{
    DeviceInfo info = baseInfo(QStringLiteral("sim"));
    info.rateHz = m_rateHz;
    for (const QString &name : {kSine, kRamp, kNoise, kStep})
        info.channels << ChannelInfo{name, QString(), ChannelType::Float};
    info.commands = simCommands();
    return info;
}

void SimDevice::open()
{
    if (state() != DeviceState::Connecting)
        return;
    m_startEpochUs = nowEpochUs();
    m_clock.start();
    m_nextIndex = 0;
    setState(DeviceState::Connected);
    startSampling();
}

void SimDevice::close()
{
    stopSampling();
    m_reconnectTimer.stop();
    // A closed device answers nothing more: its owner has given up on it.
    const QList<quint64> tickets = m_pending.keys();
    for (quint64 ticket : tickets)
        abortCommand(ticket);
    setState(DeviceState::Disconnected);
}

void SimDevice::startSampling()
{
    // Continue on the same grid: samples of the time away are not made up.
    m_nextIndex = std::max(m_nextIndex, dueCount());
    scheduleNextSample();
}

void SimDevice::stopSampling()
{
    m_sampleTimer.stop();
}

qint64 SimDevice::sampleTimeUs(qint64 index) const
{
    // From the index each time, never by adding periods: no rounding drift.
    return qint64(std::llround(double(index) * double(kUsPerSecond) / m_rateHz));
}

qint64 SimDevice::dueCount() const
{
    const double elapsedUs = double(m_clock.nsecsElapsed()) / 1000.0;
    qint64 count = qint64(std::floor(elapsedUs * m_rateHz / double(kUsPerSecond))) + 1;
    // Guards the floor against rounding either way at a grid point.
    while (count > 0 && sampleTimeUs(count - 1) > qint64(elapsedUs))
        --count;
    while (sampleTimeUs(count) <= qint64(elapsedUs))
        ++count;
    return count;
}

void SimDevice::produceDueSamples()
{
    if (state() != DeviceState::Connected)
        return;
    const qint64 due = dueCount();
    if (due - m_nextIndex > MaxCatchUp)
        m_nextIndex = due - MaxCatchUp;
    // Same clock as the grid, so a stamp is never before its grid time.
    const qint64 nowUs = m_startEpochUs + m_clock.nsecsElapsed() / 1000;
    while (m_nextIndex < due && state() == DeviceState::Connected) {
        ++m_nextIndex;
        // Samples made up after a late wake-up are all made now; a
        // microsecond apart they stay distinct and in order.
        m_lastStampUs = std::max(nowUs, m_lastStampUs + 1);
        Q_EMIT sampleReady(makeSample(m_lastStampUs));
    }
    if (state() == DeviceState::Connected)
        scheduleNextSample();
}

void SimDevice::scheduleNextSample()
{
    const qint64 waitUs = sampleTimeUs(m_nextIndex) - m_clock.nsecsElapsed() / 1000;
    // Rounded up: waking early would find nothing due and cost a wake-up.
    const qint64 waitMs = std::max<qint64>(0, (waitUs + 999) / 1000);
    m_sampleTimer.start(int(std::min<qint64>(waitMs, std::numeric_limits<int>::max())));
}

Sample SimDevice::makeSample(qint64 timestampUs)
{
    // Whole seconds taken out in integers: sin(2*pi*t) of an epoch-sized
    // double would lose the fraction.
    const qint64 inSecondUs = timestampUs % kUsPerSecond;
    const double fraction = double(inSecondUs) / double(kUsPerSecond);
    const double inTenSeconds = double(timestampUs % (10 * kUsPerSecond)) / double(kUsPerSecond);
    const qint64 wholeSeconds = timestampUs / kUsPerSecond;

    auto value = [this](const QString &channel, double computed) {
        const auto held = m_held.constFind(channel);
        return ChannelValue{channel, held != m_held.constEnd() ? *held : computed};
    };

    Sample sample;
    sample.device = id();
    sample.timestampUs = timestampUs;
    sample.values.reserve(4);
    sample.values << value(kSine, std::sin(2.0 * kPi * fraction));
    sample.values << value(kRamp, inTenSeconds);
    sample.values << value(kNoise, m_noise(m_random));
    sample.values << value(kStep, double(wholeSeconds % 2));
    return sample;
}

void SimDevice::startCommand(quint64 ticket, const QString &command, const QVariantMap &params)
{
    if (state() != DeviceState::Connected) {
        answerLater(ticket, 0, [this, ticket]() {
            finish(ticket, CommandOutcome::error(QStringLiteral("device_unavailable"),
                                                 QStringLiteral("device is not connected")));
        });
        return;
    }

    if (command == QLatin1String("echo")) {
        answerLater(ticket, 0, [this, ticket, params]() {
            finish(ticket, CommandOutcome::ok(params));
        });
    } else if (command == QLatin1String("set")) {
        const QString channel = params.value(QStringLiteral("channel")).toString();
        const QVariant value = params.value(QStringLiteral("value"));
        answerLater(ticket, 0, [this, ticket, channel, value]() {
            if (!info().channel(channel)) {
                finish(ticket, CommandOutcome::error(
                                       QStringLiteral("invalid_params"),
                                       QStringLiteral("no channel \"%1\"").arg(channel)));
                return;
            }
            if (value.isNull())
                m_held.remove(channel);
            else
                m_held.insert(channel, value.toDouble());
            finish(ticket, CommandOutcome::ok());
        });
    } else if (command == QLatin1String("sleep")) {
        answerLater(ticket, delayFrom(params, 0), [this, ticket]() {
            finish(ticket, CommandOutcome::ok());
        });
    } else if (command == QLatin1String("fail")) {
        answerLater(ticket, 0, [this, ticket]() {
            finish(ticket, CommandOutcome::error(QStringLiteral("device_error"),
                                                 QStringLiteral("simulated failure")));
        });
    } else if (command == QLatin1String("unplug")) {
        const int awayMs = delayFrom(params, kDefaultUnplugMs);
        answerLater(ticket, 0, [this, ticket, awayMs]() {
            finish(ticket, CommandOutcome::ok());
            unplug(awayMs);
        });
    } else {
        answerLater(ticket, 0, [this, ticket, command]() {
            finish(ticket, CommandOutcome::error(
                                   QStringLiteral("unknown_command"),
                                   QStringLiteral("sim has no command \"%1\"").arg(command)));
        });
    }
}

void SimDevice::abortCommand(quint64 ticket)
{
    if (QTimer *timer = m_pending.take(ticket)) {
        timer->stop();
        // Not deleted here: this may run inside another command's answer.
        timer->deleteLater();
    }
}

void SimDevice::answerLater(quint64 ticket, int delayMs, std::function<void()> answer)
{
    // A repeated ticket replaces its earlier attempt rather than answering twice.
    abortCommand(ticket);
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer);
    connect(timer, &QTimer::timeout, this, std::move(answer));
    m_pending.insert(ticket, timer);
    timer->start(delayMs);
}

void SimDevice::finish(quint64 ticket, const CommandOutcome &outcome)
{
    QTimer *timer = m_pending.take(ticket);
    if (!timer)
        return;
    timer->deleteLater();
    Q_EMIT commandFinished(ticket, outcome);
}

void SimDevice::unplug(int awayMs)
{
    if (state() != DeviceState::Connected)
        return;
    stopSampling();
    setState(DeviceState::Disconnected);
    failPendingCommands();
    m_reconnectTimer.start(awayMs);
}

void SimDevice::failPendingCommands()
{
    // Like a real instrument pulled from its port: what was running is lost.
    const QList<quint64> tickets = m_pending.keys();
    for (quint64 ticket : tickets) {
        finish(ticket, CommandOutcome::error(QStringLiteral("device_unavailable"),
                                             QStringLiteral("device was unplugged")));
    }
}

} // namespace halhub
