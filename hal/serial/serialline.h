#pragma once

#include "serialsettings.h"
#include "transport/lineport.h"

#include <QRegularExpression>
#include <QSerialPort>
#include <QStringList>
#include <QTimer>

#include <functional>

namespace halhub {

// One serial line to one instrument, found by path, by USB ids, or by the
// reply to *IDN? (`match.idn`, docs/protocol.md section 16), that keeps
// itself open (LinePort). The port it has open, or is configured for, is
// held in the PortRegistry, so that probing for an instrument never opens
// a port another device has.
class SerialLine final : public LinePort
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxLineBytes = LinePort::MaxLineBytes;
    // How often an open port's path is checked for having vanished.
    static constexpr int PresenceCheckMs = 1000;
    // How long a probed port has to answer *IDN?.
    static constexpr int ProbeTimeoutMs = 1000;

    explicit SerialLine(const SerialSettings &settings, QObject *parent = nullptr);
    ~SerialLine() override;

    bool isOpen() const override;
    // The tty opened last (symlinks resolved); the configured port until then.
    QString portPath() const override;
    bool write(const QByteArray &bytes) override;
    const SerialSettings &settings() const { return m_settings; }

    // Where match-named ports are looked for (tests replace the system list).
    void setPortLister(std::function<QList<PortDescription>()> lister);

Q_SIGNALS:
    // The *IDN? reply of each probed port (for logs and tests).
    void probed(const QString &path, const QByteArray &reply);

private:
    void attemptOpen() override;
    void closeTransport() override;
    bool openPort(const QString &path);
    void finishOpen(const QString &path);
    void probeNext();
    void endProbe(const QByteArray &reply);
    void onReadyRead();
    void onError(QSerialPort::SerialPortError error);
    void checkPresence();

    SerialSettings m_settings;
    QRegularExpression m_idn;
    QSerialPort m_port;
    QTimer m_presenceTimer;
    QTimer m_probeTimer;
    std::function<QList<PortDescription>()> m_lister;
    QString m_openedPath;               // as opened (may be a symlink)
    QString m_ttyPath;                  // what it resolved to
    // Probing: the ports still to try this round, the one being asked.
    QStringList m_candidates;
    QString m_openError;                // why the last openPort failed
    QString m_probing;
    QByteArray m_probeReply;
};

} // namespace halhub
