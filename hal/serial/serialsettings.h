#pragma once

#include <QList>
#include <QSerialPort>
#include <QString>
#include <QVariantMap>

namespace halhub {

// What a serial port says about itself (QSerialPortInfo), reduced to what
// a `match` looks at, so the matching can be checked without hardware.
struct PortDescription
{
    QString path;                       // /dev/ttyUSB0
    QString vid;                        // 4 lower-case hex digits, empty: unknown
    QString pid;
    QString serialNumber;
};

// The serial keys of a device entry (docs/protocol.md sections 10 and 11):
// `port` or `match` ({vid, pid, serial, idn}), `baud`, `databits`, `parity`,
// `stopbits`, `flow`.
struct SerialSettings
{
    QString port;                       // empty: found by match
    QString matchVid;                   // lower case; empty: any
    QString matchPid;
    QString matchSerial;
    QString matchIdn;                   // a regex the *IDN? reply must match; empty: none
    qint32 baud = 9600;
    QSerialPort::DataBits dataBits = QSerialPort::Data8;
    QSerialPort::Parity parity = QSerialPort::NoParity;
    QSerialPort::StopBits stopBits = QSerialPort::OneStop;
    QSerialPort::FlowControl flow = QSerialPort::NoFlowControl;

    // The config keys this struct reads, for plugin metadata and checks.
    static QStringList configKeys();

    // Checks the keys every serial device shares (the line and `name`).
    // Empty when fine, else what is wrong, naming the key.
    static QString check(const QVariantMap &config);
    // For a checked entry.
    static SerialSettings fromConfig(const QVariantMap &config);

    // `port` or "vid:pid serial" for messages.
    QString describe() const;

    // By path or by vid/pid/serial; `idn` is checked by probing (SerialLine).
    bool matches(const PortDescription &port) const;
    // The path to open: `port` itself, or the first listed port that
    // matches; empty when none does.
    QString resolve(const QList<PortDescription> &available) const;
    // The ports of this machine (QSerialPortInfo).
    static QList<PortDescription> availablePorts();
    // What an operator reads when no port is found or it cannot be opened:
    // "no port matching vid 2341 found", "cannot open /dev/ttyUSB0:
    // Permission denied" (why: the system's reason).
    QString notFoundReason() const;
    static QString openFailureReason(const QString &path, const QString &why);
};

} // namespace halhub
