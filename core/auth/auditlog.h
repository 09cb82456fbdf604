#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantMap>

#include <memory>

namespace halhub {

// One line of JSON per command (docs/protocol.md section 9: it is the
// operator's record of who did what to which instrument); `recorded`
// carries each record to the GUI's event log.
//
// Fields: time (ISO 8601 UTC), user, address, session, device, command,
// params, status (ok, error, timeout, cancelled, duplicate, or the error
// code of a refusal), error (message when not ok), command_id, duration_ms.
//
// Durability: record() only queues the line; a writer thread of the log's
// own appends it to the file at once (another process can read it within
// milliseconds) and makes it durable with fdatasync(). The syncs are batched:
// one at once after a quiet spell, then at most one per kSyncIntervalMs,
// however many records come in between, so a burst costs a few syncs and the
// event loop never waits for the disk. A record is thus on the disk within
// kSyncIntervalMs plus two syncs of its arrival: well within 100 ms while a
// sync takes under about 35 ms, so a power loss costs at most the commands
// of the last 100 ms. A slower disk stretches that (see stats()).
//
// A disk that stalls: lines wait in memory up to queueLimit() bytes. While
// the writer has made no progress for a second with records waiting, a
// warning says so, and another line when it has caught up. Past the limit,
// new records are not written (they still reach `recorded`): the log says so
// at the first loss and how many when records fit again, and a line with
// status "records_lost" and the count `lost` stands in the file where they
// are missing. A write error loses that batch the same way. This keeps the
// server serving when the audit disk is gone, and the gap visible.
// Closing or destroying the log waits until every queued line is written and
// synced, but no more than 2 s for a disk that has stopped answering (then it
// says how much is not on the disk, and leaves the writer thread behind).
class AuditLog : public QObject
{
    Q_OBJECT
public:
    // The shortest time between two syncs: what a burst waits to be
    // batched, a quarter of the 100 ms promise.
    static constexpr int kSyncIntervalMs = 25;
    // Tens of thousands of records: seconds of commands at every client's
    // rate limit, a few megabytes of memory at most.
    static constexpr qint64 kDefaultQueueLimit = 8 * 1024 * 1024;

    // What the writer has done since open(); counts of records.
    struct Stats
    {
        quint64 queued = 0;     // handed to the writer by record()
        quint64 written = 0;    // in the file (visible to other processes)
        quint64 synced = 0;     // on the disk: fdatasync() returned
        quint64 syncs = 0;      // fdatasync() calls that succeeded
        quint64 lost = 0;       // not written: the queue was full or the write failed
    };

    explicit AuditLog(QObject *parent = nullptr);
    ~AuditLog() override;

    // Appends to fileName (created when missing) and starts the writer.
    // Without a file the records still go out through `recorded`.
    bool open(const QString &fileName, QString *error);
    QString fileName() const { return m_fileName; }
    // Writes and syncs what is queued, then stops the writer. Blocks until
    // then: for shutdown, not for the event loop's normal work.
    void close();

    // Stamps `time` when missing, queues the line, emits `recorded`.
    void record(QVariantMap entry);

    Stats stats() const;
    // Bytes of lines that may wait for the disk before records are lost.
    qint64 queueLimit() const { return m_queueLimit; }
    void setQueueLimit(qint64 bytes) { m_queueLimit = bytes; }

Q_SIGNALS:
    void recorded(const QVariantMap &entry);

private:
    struct Writer;

    void checkProgress();

    QString m_fileName;
    std::unique_ptr<Writer> m_writer;
    Stats m_closedStats;            // what the last writer did, after close()
    qint64 m_queueLimit = kDefaultQueueLimit;
    quint64 m_droppedInStall = 0;   // records not queued since the queue was last free
    QTimer m_watch;                 // notices a writer stuck on the disk
    bool m_stallReported = false;
};

} // namespace halhub
