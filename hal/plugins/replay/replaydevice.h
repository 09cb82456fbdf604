#pragma once

#include "device.h"
#include "recording/recordingwriter.h"

#include <QElapsedTimer>
#include <QTimer>

#include <vector>

namespace halhub {

// Plays one device of a halhub recording back (docs/protocol.md section
// 15): the recorded channels, units and values in their order, at the
// recorded intervals divided by `speed`, each sample stamped with the time
// it is replayed. The device's samples are read into memory at open().
//
// Position: time in the recording, from its `started` on. It advances at
// `speed` while playing; pause freezes it, seek moves it. At the end the
// device stays connected and sends nothing, or with `loop` starts over.
//
// A file that is missing, not a halhub recording, or without the device:
// the device goes to `error` and says why (device_error).
class ReplayDevice final : public Device
{
    Q_OBJECT
public:
    static constexpr double kMaxSpeed = 1000.0;

    explicit ReplayDevice(const QVariantMap &config, QObject *parent = nullptr);
    ~ReplayDevice() override;

    DeviceInfo info() const override;

    void open() override;
    void close() override;

    void startCommand(quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(quint64 ticket) override;

private:
    bool load(QString *error);
    void playDue();
    void schedule();
    qint64 positionUs() const;
    void moveTo(qint64 positionUs);
    // The first sample at or after a position.
    size_t indexAt(qint64 positionUs) const;
    void answer(quint64 ticket, const CommandOutcome &outcome);

    QString m_file;
    QString m_device;
    double m_speed = 1.0;
    bool m_loop = false;

    RecordedDevice m_recorded;
    bool m_loaded = false;
    qint64 m_originUs = 0;              // the recording's `started`
    std::vector<Sample> m_samples;      // in recorded order, recorded stamps
    size_t m_next = 0;

    QElapsedTimer m_clock;              // since m_basePositionUs
    qint64 m_basePositionUs = 0;
    bool m_paused = false;
    qint64 m_lastStampUs = 0;
    QTimer m_timer;
};

} // namespace halhub
