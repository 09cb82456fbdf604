#pragma once

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <optional>

namespace halhub {

class DeviceBus;
class Recording;
struct Sample;

// A recording as list_recordings, record_stop and the GUI describe it.
struct RecordingSummary
{
    QString name;
    QString file;                       // inside the recording directory
    QString path;                       // absolute
    qint64 bytes = 0;
    qint64 startedUs = 0;
    std::optional<qint64> endedUs;      // none while running (or cut short)
    QStringList devices;
    bool running = false;
    // This process's recordings only:
    QHash<QString, qint64> samples;     // written, per device
    qint64 lost = 0;                    // samples not written (queue full, disk error)
    QString error;                      // why the file stopped taking data
};

// Figures for metrics: totals since start over every recording.
struct RecorderStats
{
    int active = 0;
    qint64 samplesWritten = 0;
    qint64 bytes = 0;                   // of the files this process wrote
    qint64 queueDepth = 0;              // values waiting, all running recordings
    qint64 lost = 0;
};

// Records device samples to HDF5 files in one directory (docs/protocol.md
// section 15). Every sample the bus delivers (local and remote devices
// alike) goes to each running recording that records its device.
//
// A recording records the devices named at its start, with the channels
// they list then: a device added later, or a channel that appears later (a
// push device), is not recorded, because an HDF5 file in SWMR mode cannot
// gain datasets; its values are counted and said once in the log.
//
// Losses (a full queue, a disk error) are counted per recording, told in
// the log and by samplesLost at most once a second, and shown in metrics.
class Recorder : public QObject
{
    Q_OBJECT
public:
    Recorder(DeviceBus *bus, const QString &directory, QObject *parent = nullptr);
    ~Recorder() override;

    QString directory() const { return m_directory; }

    // [A-Za-z0-9_.-]{1,64}
    static bool isValidName(const QString &name);

    struct Started
    {
        // Empty when started; else invalid_params, unknown_device or internal.
        QString errorCode;
        QString errorMessage;
        RecordingSummary summary;
    };
    // devices: none means every device listed now. name: empty means
    // halhub-YYYYMMDD-HHMMSS (UTC; -2, -3... when taken).
    Started start(const std::optional<QStringList> &devices, const QString &name = {});
    // Stops a running recording without waiting for the disk: done gets
    // its summary once the queue is written and the file closed. False when
    // no recording of that name is running.
    bool stop(const QString &name, std::function<void(const RecordingSummary &)> done = {});
    // The same, waiting for the writer (shutdown, tools and tests); nothing
    // when no recording of that name is running or stopping.
    std::optional<RecordingSummary> stopAndWait(const QString &name);
    void stopAll();

    // Every recording in the directory, running ones included, oldest first.
    QList<RecordingSummary> list() const;
    QList<RecordingSummary> running() const;
    RecorderStats stats() const;
    // A running recording (tests tune its queue).
    Recording *recording(const QString &name) const;

Q_SIGNALS:
    void recordingStarted(const QString &name);
    void recordingStopped(const QString &name);
    void recordingFailed(const QString &name, const QString &error);
    // Samples lost since the previous report, and in all.
    void samplesLost(const QString &name, qint64 count, qint64 total);

private:
    void onSample(const Sample &sample);
    // A stopping recording's writer has ended: summary, waiters, cleanup.
    RecordingSummary conclude(Recording *recording);
    void reportLosses();
    RecordingSummary summaryOf(const Recording &recording) const;
    QString freeDefaultName() const;

    DeviceBus *m_bus = nullptr;
    QString m_directory;
    QHash<QString, Recording *> m_running;
    QHash<QString, Recording *> m_stopping;         // stop asked, writer not done
    QHash<QString, QList<std::function<void(const RecordingSummary &)>>> m_waiters;
    QHash<QString, qint64> m_reportedLost;
    QHash<QString, RecordingSummary> m_finished;    // by name, this process's
    // What was read of other files, until they change.
    struct Cached
    {
        qint64 size = 0;
        qint64 modifiedMs = 0;
        std::optional<RecordingSummary> summary;    // none: not a recording
    };
    mutable QHash<QString, Cached> m_cache;
    QTimer m_lossTimer;
    qint64 m_doneWritten = 0;
    qint64 m_doneLost = 0;
    qint64 m_doneBytes = 0;
};

} // namespace halhub
