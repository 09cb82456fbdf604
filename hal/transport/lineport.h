#pragma once

#include "serial/linesplitter.h"

#include <QObject>
#include <QTimer>

namespace halhub {

// One line-oriented link to one instrument (a serial line or a TCP socket)
// that keeps itself open: when the link fails it is closed, `lost` is
// emitted once, and it is reopened with ReconnectBackoff until `opened`.
// Each failed attempt emits `openFailed` with the reason (the device decides
// what of it to report: Device::reportOpenFailure). What arrives is cut into lines with a
// bounded buffer (LineSplitter); overlong lines come out as dataError.
// The line protocols (scpi, linestream) speak through this and never know
// which transport carries them.
class LinePort : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxLineBytes = 4096;
    // Bounds what the transport holds for us between two readyRead handlers.
    static constexpr qint64 ReadBufferBytes = 64 * 1024;

    ~LinePort() override;

    // Tries at once, then keeps trying until open.
    void open();
    // Closes and stops trying; nothing more is emitted.
    void close();
    virtual bool isOpen() const = 0;
    // What the device shows as its `port`: the tty, or HOST:PORT.
    virtual QString portPath() const = 0;
    // Writes bytes as they are; false when the link is not open.
    virtual bool write(const QByteArray &bytes) = 0;

    // The delay before the next reopen attempt, for tests and logs.
    int pendingRetryMs() const { return m_retryTimer.isActive() ? m_lastRetryMs : -1; }
    int openAttempts() const { return m_attempts; }

Q_SIGNALS:
    void opened(const QString &path);
    void lost(const QString &reason);
    // An attempt found no port or could not open it: "cannot open
    // /dev/ttyUSB0: Permission denied", "no port matching vid 2341 found".
    void openFailed(const QString &reason);
    void lineReceived(const QByteArray &line);
    void dataError(const QString &message);

protected:
    explicit LinePort(QObject *parent = nullptr);

    // One open attempt; ends (now or later) in markOpened() or retryLater().
    virtual void attemptOpen() = 0;
    // Closes the transport without a signal.
    virtual void closeTransport() = 0;

    bool wanted() const { return m_wanted; }
    // The attempt succeeded: resets the backoff, emits opened.
    void markOpened(const QString &path);
    // The attempt failed: the next one after the backoff delay.
    void retryLater();
    // An open link failed: closes it, schedules a reopen, emits lost once.
    void markLost(const QString &reason);
    // Bytes that arrived on the open link: cut into lines and handed out.
    // Read nothing while delivering() (a handler re-entered the event loop):
    // what is left is read on the next readyRead, in order.
    void deliver(const QByteArray &data);
    bool delivering() const { return m_reading; }

private:
    void onRetryTimer();

    LineSplitter m_splitter{MaxLineBytes};
    ReconnectBackoff m_backoff;
    QTimer m_retryTimer;
    int m_lastRetryMs = 0;
    int m_attempts = 0;
    bool m_wanted = false;
    bool m_reading = false;
    bool m_linkUp = false;
};

} // namespace halhub
