#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QSocketNotifier;

// The far side of a serial line for tests: a pseudo-terminal in raw mode
// whose slave path the code under test opens like a serial port, while the
// test plays the instrument on the master from its own event loop.
// unplug() closes the master, which the slave side sees as a lost port.
class PtyPeer : public QObject
{
    Q_OBJECT
public:
    explicit PtyPeer(QObject *parent = nullptr);
    ~PtyPeer() override;

    // Opens a new pty; false (see error()) when the system has none.
    bool open();
    void unplug();
    bool isOpen() const { return m_master >= 0; }
    QString slavePath() const { return m_slavePath; }
    QString error() const { return m_error; }

    // Points `link` at this pty's slave, replacing what it pointed to in one
    // step: a device configured with `port: link` finds the new pty.
    bool linkAt(const QString &link) const;

    void write(const QByteArray &bytes);
    void writeLine(const QByteArray &line) { write(line + '\n'); }

    // Everything received so far, and the complete lines among it.
    QByteArray received() const { return m_received; }
    QList<QByteArray> lines() const { return m_lines; }
    void clearReceived();

    // Called for each line the code under test writes (without `\n`).
    void setLineHandler(std::function<void(const QByteArray &)> handler);

Q_SIGNALS:
    void dataReceived(const QByteArray &bytes);
    void lineReceived(const QByteArray &line);

private:
    void onReadable();

    int m_master = -1;
    int m_slave = -1;                   // held so the master never reads EIO
    QString m_slavePath;
    QString m_error;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_received;
    QByteArray m_partial;
    QList<QByteArray> m_lines;
    std::function<void(const QByteArray &)> m_handler;
};

// Two ptys joined master to master, as a null-modem cable between two
// programs that both open a serial port by path (a Modbus client and server).
class PtyCable : public QObject
{
    Q_OBJECT
public:
    explicit PtyCable(QObject *parent = nullptr);
    bool open();
    PtyPeer &a() { return m_a; }
    PtyPeer &b() { return m_b; }
    void unplugA() { m_a.unplug(); }
    // A new pty on side A; side B (and what is attached to it) stays.
    bool replugA() { return m_a.open(); }

private:
    PtyPeer m_a;
    PtyPeer m_b;
};
