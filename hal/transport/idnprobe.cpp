#include "idnprobe.h"

#include <QDeadlineTimer>
#include <QSerialPort>

namespace halhub {

QByteArray probeIdnNow(const QString &path, qint32 baud, int timeoutMs, QString *error)
{
    QSerialPort port(path);
    if (!port.open(QIODevice::ReadWrite)) {
        if (error)
            *error = port.errorString();
        return {};
    }
    port.setBaudRate(baud);
    port.setDataBits(QSerialPort::Data8);
    port.setParity(QSerialPort::NoParity);
    port.setStopBits(QSerialPort::OneStop);
    port.setFlowControl(QSerialPort::NoFlowControl);
    port.clear();
    port.write("*IDN?\n");
    port.waitForBytesWritten(timeoutMs);
    QByteArray reply;
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && port.waitForReadyRead(int(deadline.remainingTime()))) {
        reply += port.readAll();
        const qsizetype newline = reply.indexOf('\n');
        if (newline >= 0)
            return reply.left(newline).trimmed();
        if (reply.size() > 4096)
            break;
    }
    return reply.trimmed();
}

} // namespace halhub
