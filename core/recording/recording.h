#pragma once

#include "recording/recordingwriter.h"

#include <QHash>
#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace halhub {

// One running recording: the devices it records, a bounded queue, and a
// writer thread of its own that drains the queue into the file.
//
// offer() is the hot path, called on the event loop for every device
// sample: it converts the sample's values and appends them to the queue,
// and never waits for the disk. When the queue holds queueLimit() values
// (the disk has not kept up), or the file has failed, the sample is not
// queued and counted as lost instead. The writer wakes at least every
// 100 ms, writes what is queued, and flushes at least every kFlushMs: a
// reader sees the data, and a crash keeps it, within a second.
class Recording : public QObject
{
    Q_OBJECT
public:
    static constexpr int kFlushMs = 500;
    // Values (not samples) that may wait: 10 devices of 4 channels at
    // 1000 Hz fill it in about 6 s; some 50 MB at most.
    static constexpr qsizetype kDefaultQueueLimit = 256 * 1024;

    Recording(const QString &name, const QString &path, const QList<RecordedDevice> &devices,
              QObject *parent = nullptr);
    ~Recording() override;

    // Creates the file and starts the writer; false with *error when the
    // file cannot be made (nothing is left behind then).
    bool start(qint64 startedUs, QString *error);
    // Asks the writer to write what is queued, stamp `ended` and end; the
    // event loop does not wait: `stopped` follows from the writer thread.
    void requestStop(qint64 endedUs);
    // requestStop, then waits for the writer (shutdown and tools only).
    void stop(qint64 endedUs);

    void offer(const Sample &sample);

    QString name() const { return m_name; }
    QString path() const { return m_path; }
    const QList<RecordedDevice> &devices() const { return m_devices; }
    QStringList deviceIds() const;
    qint64 startedUs() const { return m_startedUs; }
    std::optional<qint64> endedUs() const { return m_endedUs; }
    bool isRunning() const { return m_running; }

    // Samples written to the file, per device id.
    QHash<QString, qint64> samplesWritten() const;
    qint64 samplesWrittenTotal() const { return m_writtenTotal.load(); }
    qint64 lost() const { return m_lost.load(); }
    qint64 bytes() const { return m_bytes.load(); }
    qsizetype queueDepth() const;
    // Why the file stopped taking data ("" while it takes it).
    QString error() const;
    // Samples of channels the recording did not know at its start (not recorded).
    qint64 unknownChannelValues() const { return m_unknownValues; }

    qsizetype queueLimit() const { return m_queueLimit; }
    void setQueueLimit(qsizetype values) { m_queueLimit = values; }
    // Stops the writer from taking values off the queue (a disk that does
    // not keep up, for tests); false resumes it.
    void holdWriter(bool hold);

Q_SIGNALS:
    // From the writer thread: the file failed, nothing more is written.
    void failed(const QString &error);
    // From the writer thread, last: the file is closed and stamped.
    void stopped();

private:
    void run();
    // After the writer ended: joins it and takes its end.
    void reap();
    void markFailed(const QString &error, qint64 samplesLost);

    struct DeviceSlot
    {
        qint32 index = 0;
        QHash<QString, qint32> channels;    // name -> global channel index
        QHash<QString, ChannelType> types;
    };

    QString m_name;
    QString m_path;
    QList<RecordedDevice> m_devices;
    QHash<QString, DeviceSlot> m_slots;
    qint64 m_startedUs = 0;
    std::optional<qint64> m_endedUs;
    bool m_running = false;
    qint64 m_unknownValues = 0;
    qsizetype m_queueLimit = kDefaultQueueLimit;

    RecordingWriter m_writer;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<QueuedValue> m_queue;       // guarded by m_mutex
    bool m_stopRequested = false;           // guarded by m_mutex
    qint64 m_stopAtUs = 0;                  // guarded by m_mutex
    bool m_held = false;                    // guarded by m_mutex
    QString m_error;                        // guarded by m_mutex
    std::vector<qint64> m_samples;          // per device index, guarded by m_mutex
    std::atomic<bool> m_failed{false};
    std::atomic<qint64> m_writtenTotal{0};
    std::atomic<qint64> m_lost{0};
    std::atomic<qint64> m_bytes{0};
    std::atomic<qint64> m_depth{0};
};

} // namespace halhub
