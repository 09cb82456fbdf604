#include "auth/auditlog.h"

#include "logging.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace halhub {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kSyncInterval = std::chrono::milliseconds(AuditLog::kSyncIntervalMs);
// Well past any sync a healthy disk takes, well short of an operator's
// patience.
constexpr auto kStallWarning = std::chrono::seconds(1);
constexpr int kWatchIntervalMs = 500;
// How long close() waits for a disk that has stopped answering: shutdown
// must end within seconds (docs/protocol.md section 9).
constexpr auto kCloseTimeout = std::chrono::seconds(2);

QByteArray jsonLine(const QVariantMap &entry)
{
    QByteArray line = QJsonDocument(QJsonObject::fromVariantMap(entry)).toJson(QJsonDocument::Compact);
    line.append('\n');
    return line;
}

// Stands in the file where records are missing, so that a reader of the
// log sees the gap instead of a history that looks complete.
QByteArray lostMarker(quint64 lost, const QString &why)
{
    return jsonLine({{QStringLiteral("time"),
                      QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                     {QStringLiteral("status"), QStringLiteral("records_lost")},
                     {QStringLiteral("lost"), lost},
                     {QStringLiteral("error"), why}});
}

qint64 millisecondsSince(Clock::time_point then)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - then).count();
}

} // namespace

struct AuditLog::Writer
{
    QString fileName;
    int fd = -1;
    std::thread thread;

    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable done;
    // Guarded by mutex:
    QByteArray queue;               // whole lines, oldest first
    quint64 queueRecords = 0;       // records among them (lost markers are not)
    qint64 pendingBytes = 0;        // queued or being written
    Clock::time_point pendingSince; // when pendingBytes last left 0
    Clock::time_point lastProgress; // last write or sync that returned
    bool stopping = false;
    bool finished = false;
    Stats stats;

    void run();
    // 0 or errno; *written: bytes that made it before an error.
    static int writeAll(int fd, const QByteArray &bytes, qint64 *written);
    void syncDirectory() const;
};

int AuditLog::Writer::writeAll(int fd, const QByteArray &bytes, qint64 *written)
{
    *written = 0;
    while (*written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + *written, size_t(bytes.size() - *written));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        *written += n;
    }
    return 0;
}

void AuditLog::Writer::syncDirectory() const
{
    // A file just created exists after a power loss only once its directory
    // entry is on the disk too.
    const QByteArray dir = QFile::encodeName(QFileInfo(fileName).absolutePath());
    const int dirFd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0)
        return;
    if (::fsync(dirFd) != 0)
        qCDebug(lcAuth).noquote() << "audit log: cannot sync the directory of" << fileName << ":"
                                  << qt_error_string(errno);
    ::close(dirFd);
}

void AuditLog::Writer::run()
{
    syncDirectory();

    bool syncable = true;
    bool hasSynced = false;
    Clock::time_point lastSyncEnd;
    quint64 unsynced = 0;           // written records waiting for a sync
    quint64 lostUnmarked = 0;       // lost to write errors, not yet marked in the file
    QString lostWhy;
    bool brokenLine = false;        // a failed write may have left half a line
    bool writeFailing = false;

    std::unique_lock lock(mutex);
    for (;;) {
        const auto hasWork = [this] { return !queue.isEmpty() || stopping; };
        if (!hasWork()) {
            if (unsynced == 0)
                wake.wait(lock, hasWork);
            else
                wake.wait_until(lock, lastSyncEnd + kSyncInterval, hasWork);
        }
        QByteArray batch = std::exchange(queue, {});
        const quint64 records = std::exchange(queueRecords, 0);
        const bool last = stopping;
        lock.unlock();

        quint64 written = 0;
        quint64 lost = 0;
        if (!batch.isEmpty()) {
            QByteArray bytes;
            if (lostUnmarked > 0) {
                if (brokenLine)
                    bytes.append('\n');
                bytes += lostMarker(lostUnmarked, lostWhy);
            }
            bytes += batch;
            qint64 done = 0;
            const int error = writeAll(fd, bytes, &done);
            if (error == 0) {
                written = records;
                lostUnmarked = 0;
                brokenLine = false;
                if (writeFailing) {
                    writeFailing = false;
                    qCInfo(lcAuth).noquote() << "audit log" << fileName << "is written again";
                }
            } else {
                // The batch is gone: keeping it would hold the memory of a
                // disk that may never come back. The next write marks the gap.
                lost = records;
                lostUnmarked += records;
                lostWhy = QStringLiteral("write failed: %1").arg(qt_error_string(error));
                brokenLine = brokenLine || done > 0;
                if (!writeFailing) {
                    writeFailing = true;
                    qCCritical(lcAuth).noquote() << "audit log" << fileName << "write failed:"
                                                 << qt_error_string(error)
                                                 << "- records are lost until it works again";
                }
            }
            unsynced += written;
        }

        quint64 synced = 0;
        bool didSync = false;
        const bool due = !hasSynced || Clock::now() >= lastSyncEnd + kSyncInterval;
        if (unsynced > 0 && (due || last)) {
            if (syncable && ::fdatasync(fd) == 0) {
                synced = unsynced;
                didSync = true;
            } else if (syncable) {
                const int error = errno;
                if (error == EINVAL || error == EROFS) {
                    // A pipe or a special file: there is no disk to wait for.
                    syncable = false;
                    qCWarning(lcAuth).noquote()
                        << "audit log" << fileName
                        << QStringLiteral("cannot be synced to a disk (%1)")
                               .arg(qt_error_string(error));
                } else {
                    // Retrying would not help: after a failed sync the kernel
                    // may already have dropped the pages it could not write.
                    qCCritical(lcAuth).noquote() << "audit log" << fileName << "sync failed:"
                                                 << qt_error_string(error) << "-" << unsynced
                                                 << "records may not survive a power loss";
                }
            }
            unsynced = 0;
            hasSynced = true;
            lastSyncEnd = Clock::now();
        }

        lock.lock();
        pendingBytes -= batch.size();
        stats.written += written;
        stats.lost += lost;
        stats.synced += synced;
        if (didSync)
            ++stats.syncs;
        if (!batch.isEmpty() || didSync)
            lastProgress = Clock::now();
        if (last && queue.isEmpty() && unsynced == 0)
            break;
    }
    finished = true;
    done.notify_all();
}

AuditLog::AuditLog(QObject *parent)
    : QObject(parent)
{
    m_watch.setInterval(kWatchIntervalMs);
    connect(&m_watch, &QTimer::timeout, this, &AuditLog::checkProgress);
}

AuditLog::~AuditLog()
{
    close();
}

bool AuditLog::open(const QString &fileName, QString *error)
{
    close();
    m_fileName = fileName;
    const int fd = ::open(QFile::encodeName(fileName).constData(),
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        *error = QStringLiteral("auth.audit_log: cannot open '%1' for appending: %2")
                     .arg(fileName, qt_error_string(errno));
        return false;
    }
    m_writer = std::make_unique<Writer>();
    m_writer->fileName = fileName;
    m_writer->fd = fd;
    m_writer->lastProgress = Clock::now();
    m_writer->thread = std::thread([writer = m_writer.get()] { writer->run(); });
    m_droppedInStall = 0;
    m_stallReported = false;
    m_watch.start();
    return true;
}

void AuditLog::close()
{
    if (!m_writer)
        return;
    m_watch.stop();
    std::unique_lock lock(m_writer->mutex);
    // The last word on a gap that never closed.
    if (m_droppedInStall > 0) {
        const QByteArray marker = lostMarker(
            m_droppedInStall,
            QStringLiteral("not written: the disk did not take records fast enough"));
        m_writer->queue += marker;
        m_writer->pendingBytes += marker.size();
        m_droppedInStall = 0;
    }
    m_writer->stopping = true;
    m_writer->wake.notify_one();
    const bool finished =
        m_writer->done.wait_for(lock, kCloseTimeout, [this] { return m_writer->finished; });
    m_closedStats = m_writer->stats;
    const qint64 waiting = m_writer->pendingBytes;
    lock.unlock();
    if (!finished) {
        // The thread is stuck in a write or a sync that may never return: it
        // keeps its state, and the process goes on without it.
        qCCritical(lcAuth).noquote()
            << "audit log" << m_fileName << "closed with" << waiting
            << "bytes of records not on the disk: it has not answered for"
            << std::chrono::duration_cast<std::chrono::milliseconds>(kCloseTimeout).count()
            << "ms";
        m_writer->thread.detach();
        (void)m_writer.release();   // leaked on purpose: the thread still uses it
        return;
    }
    m_writer->thread.join();
    ::close(m_writer->fd);
    m_writer.reset();
}

void AuditLog::record(QVariantMap entry)
{
    if (!entry.contains(QStringLiteral("time"))) {
        entry.insert(QStringLiteral("time"),
                     QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    }
    if (m_writer) {
        // Built here, in the order of the calls: the writer only appends bytes.
        const QByteArray line = jsonLine(entry);
        const QByteArray marker = m_droppedInStall > 0
            ? lostMarker(m_droppedInStall,
                         QStringLiteral("not written: the disk did not take records fast enough"))
            : QByteArray();
        bool queued = false;
        qint64 waiting = 0;
        {
            const std::lock_guard lock(m_writer->mutex);
            waiting = m_writer->pendingBytes;
            if (waiting + line.size() <= m_queueLimit) {
                if (m_writer->pendingBytes == 0)
                    m_writer->pendingSince = Clock::now();
                // A marker never counts against the limit: it is what makes
                // the loss visible.
                m_writer->queue += marker;
                m_writer->queue += line;
                m_writer->pendingBytes += marker.size() + line.size();
                ++m_writer->queueRecords;
                ++m_writer->stats.queued;
                queued = true;
            } else {
                ++m_writer->stats.lost;
            }
        }
        if (queued) {
            m_writer->wake.notify_one();
            if (m_droppedInStall > 0) {
                qCWarning(lcAuth).noquote()
                    << "audit log" << m_fileName << "takes records again;" << m_droppedInStall
                    << "were not written (marked in the file)";
                m_droppedInStall = 0;
            }
        } else if (m_droppedInStall++ == 0) {
            qCCritical(lcAuth).noquote()
                << "audit log" << m_fileName << "is not keeping up:" << waiting
                << "bytes wait for the disk; further records are not written until it takes them";
        }
    }
    Q_EMIT recorded(entry);
}

AuditLog::Stats AuditLog::stats() const
{
    if (!m_writer)
        return m_closedStats;
    const std::lock_guard lock(m_writer->mutex);
    return m_writer->stats;
}

void AuditLog::checkProgress()
{
    if (!m_writer)
        return;
    qint64 waiting = 0;
    qint64 stuckMs = 0;
    {
        const std::lock_guard lock(m_writer->mutex);
        waiting = m_writer->pendingBytes;
        if (waiting > 0)
            stuckMs = millisecondsSince(std::max(m_writer->lastProgress, m_writer->pendingSince));
    }
    const qint64 warnMs = std::chrono::duration_cast<std::chrono::milliseconds>(kStallWarning).count();
    if (waiting > 0 && stuckMs >= warnMs) {
        if (!m_stallReported) {
            m_stallReported = true;
            qCWarning(lcAuth).noquote()
                << "audit log" << m_fileName << "stalls: the disk has taken nothing for"
                << stuckMs << "ms;" << waiting << "bytes of records wait in memory";
        }
    } else if (m_stallReported && waiting == 0) {
        m_stallReported = false;
        qCInfo(lcAuth).noquote() << "audit log" << m_fileName << "has caught up with the disk";
    }
}

} // namespace halhub
