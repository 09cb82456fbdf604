#pragma once

#include "device.h"

#include <QElapsedTimer>
#include <QHash>
#include <QTimer>

#include <optional>
#include <random>

namespace halhub {

// A simulated instrument (docs/protocol.md section 11, `sim`).
//
// The rate follows an ideal grid, start + k / rate_hz, so the long-run rate
// is exact whatever the timer jitter: each wake-up emits every sample due
// since the previous one, then sleeps until the next. A sample is stamped
// with the time it is made, like a reading of a real instrument: timers wake
// up to a millisecond late, and a grid stamp would count that lateness as
// delivery latency (and put values computed now at an earlier time).
class SimDevice final : public Device
{
    Q_OBJECT
public:
    static constexpr double DefaultRateHz = 100.0;
    static constexpr double MaxRateHz = 1000.0;
    // After a stall (a busy event loop) at most this many samples are made
    // up for; older ones are skipped.
    static constexpr qint64 MaxCatchUp = 100;

    explicit SimDevice(const QVariantMap &config, QObject *parent = nullptr);
    ~SimDevice() override;

    DeviceInfo info() const override;

    void open() override;
    void close() override;

    void startCommand(quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(quint64 ticket) override;

private:
    void startSampling();
    void stopSampling();
    void produceDueSamples();
    void scheduleNextSample();
    qint64 dueCount() const;
    qint64 sampleTimeUs(qint64 index) const;
    Sample makeSample(qint64 timestampUs);

    // Answers `ticket` after delayMs, from the event loop; the answer is
    // made when it is sent, so it sees the state of that moment.
    void answerLater(quint64 ticket, int delayMs, std::function<void()> answer);
    void finish(quint64 ticket, const CommandOutcome &outcome);
    void unplug(int awayMs);
    void failPendingCommands();

    double m_rateHz = DefaultRateHz;

    QTimer m_sampleTimer;
    QTimer m_reconnectTimer;
    QElapsedTimer m_clock;              // monotonic: the grid never jumps with the wall clock
    qint64 m_startEpochUs = 0;          // wall time of grid index 0
    qint64 m_nextIndex = 0;             // grid index of the next sample to emit
    qint64 m_lastStampUs = 0;           // keeps stamps strictly increasing

    QHash<QString, double> m_held;      // channels pinned by `set`
    QHash<quint64, QTimer *> m_pending; // commands not answered yet
    std::mt19937_64 m_random;
    std::normal_distribution<double> m_noise{0.0, 1.0};
};

} // namespace halhub
