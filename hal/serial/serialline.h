#pragma once

#include "linesplitter.h"
#include "serialsettings.h"

#include <QObject>
#include <QSerialPort>
#include <QTimer>

#include <functional>

namespace halhub {

// One serial line to one instrument, found by path or by USB ids, that
// keeps itself open: when the port fails or vanishes it is closed, `lost`
// is emitted once, and it is reopened with ReconnectBackoff until `opened`.
// Each failed attempt emits `openFailed` with the reason (the device decides
// what of it to report: Device::reportOpenFailure). What arrives is cut into lines with a
// bounded buffer (LineSplitter); overlong lines come out as dataError.
class SerialLine : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxLineBytes = 4096;
    // How often an open port's path is checked for having vanished.
    static constexpr int PresenceCheckMs = 1000;

    explicit SerialLine(const SerialSettings &settings, QObject *parent = nullptr);
    ~SerialLine() override;

    // Tries at once, then keeps trying until open.
    void open();
    // Closes and stops trying; nothing more is emitted.
    void close();
    bool isOpen() const;
    // The tty opened last (symlinks resolved); the configured port until then.
    QString portPath() const;
    const SerialSettings &settings() const { return m_settings; }

    // Writes bytes as they are; false when the line is not open.
    bool write(const QByteArray &bytes);

    // Where match-named ports are looked for (tests replace the system list).
    void setPortLister(std::function<QList<PortDescription>()> lister);
    // The delay before the next reopen attempt, for tests and logs.
    int pendingRetryMs() const { return m_retryTimer.isActive() ? m_lastRetryMs : -1; }
    int openAttempts() const { return m_attempts; }

Q_SIGNALS:
    void opened(const QString &path);
    void lost(const QString &reason);
    // An attempt found no port or could not open it: "cannot open
    // /dev/ttyUSB0: Permission denied", "no port matching vid 2341".
    void openFailed(const QString &reason);
    void lineReceived(const QByteArray &line);
    void dataError(const QString &message);

private:
    void attempt();
    void scheduleRetry();
    void onReadyRead();
    void onError(QSerialPort::SerialPortError error);
    void checkPresence();
    void handleLoss(const QString &reason);

    SerialSettings m_settings;
    QSerialPort m_port;
    LineSplitter m_splitter{MaxLineBytes};
    ReconnectBackoff m_backoff;
    QTimer m_retryTimer;
    QTimer m_presenceTimer;
    std::function<QList<PortDescription>()> m_lister;
    QString m_openedPath;               // as opened (may be a symlink)
    QString m_ttyPath;                  // what it resolved to
    int m_lastRetryMs = 0;
    int m_attempts = 0;
    bool m_wanted = false;
    bool m_reading = false;
};

} // namespace halhub
