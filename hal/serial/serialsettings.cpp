#include "serialsettings.h"

#include <QRegularExpression>
#include <QSerialPortInfo>

namespace halhub {

namespace {

bool isInteger(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
        return true;
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = value.toDouble();
        return d == double(qint64(d));
    }
    default:
        return false;
    }
}

QString hex4(quint16 id)
{
    return QStringLiteral("%1").arg(id, 4, 16, QLatin1Char('0'));
}

bool isHexId(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[0-9A-Fa-f]{4}$"));
    return re.match(text).hasMatch();
}

} // namespace

QStringList SerialSettings::configKeys()
{
    return {QStringLiteral("port"), QStringLiteral("match"), QStringLiteral("baud"),
            QStringLiteral("databits"), QStringLiteral("parity"), QStringLiteral("stopbits"),
            QStringLiteral("flow")};
}

QString SerialSettings::check(const QVariantMap &config)
{
    // Every serial device may carry a display name.
    const auto name = config.constFind(QStringLiteral("name"));
    if (name != config.constEnd() && !name->isNull() && name->typeId() != QMetaType::QString)
        return QStringLiteral("name: expected a string");
    const QVariant port = config.value(QStringLiteral("port"));
    const QVariant match = config.value(QStringLiteral("match"));
    if (!port.isNull() && !match.isNull())
        return QStringLiteral("port, match: give one of them, not both");
    if (port.isNull() && match.isNull())
        return QStringLiteral("port: a serial device needs `port` (a path) or `match` "
                              "({vid, pid, serial})");
    if (!port.isNull() && (port.typeId() != QMetaType::QString || port.toString().isEmpty()))
        return QStringLiteral("port: expected a device path such as \"/dev/ttyUSB0\"");
    if (!match.isNull()) {
        if (match.typeId() != QMetaType::QVariantMap)
            return QStringLiteral("match: expected an object {vid, pid, serial}");
        const QVariantMap m = match.toMap();
        if (m.isEmpty())
            return QStringLiteral("match: give at least one of vid, pid, serial");
        for (auto it = m.constBegin(); it != m.constEnd(); ++it) {
            const QString &key = it.key();
            if (key == QLatin1String("vid") || key == QLatin1String("pid")) {
                if (it->typeId() != QMetaType::QString || !isHexId(it->toString()))
                    return QStringLiteral("match.%1: expected 4 hex digits such as \"2341\"")
                            .arg(key);
            } else if (key == QLatin1String("serial")) {
                if (it->typeId() != QMetaType::QString || it->toString().isEmpty())
                    return QStringLiteral("match.serial: expected a non-empty string");
            } else if (key == QLatin1String("idn")) {
                if (it->typeId() != QMetaType::QString || it->toString().isEmpty())
                    return QStringLiteral("match.idn: expected a regular expression such as "
                                          "\"^ACME,PSU-3005\"");
                const QRegularExpression re(it->toString());
                if (!re.isValid())
                    return QStringLiteral("match.idn: not a valid regular expression: %1 "
                                          "(at offset %2)")
                            .arg(re.errorString())
                            .arg(re.patternErrorOffset());
            } else {
                return QStringLiteral("match.%1: unknown key (expected vid, pid, serial or idn)")
                        .arg(key);
            }
        }
    }
    const QVariant baud = config.value(QStringLiteral("baud"));
    if (!baud.isNull() && (!isInteger(baud) || baud.toLongLong() <= 0
                           || baud.toLongLong() > 10000000))
        return QStringLiteral("baud: expected a positive integer such as 115200");
    const QVariant dataBits = config.value(QStringLiteral("databits"));
    if (!dataBits.isNull() && (!isInteger(dataBits) || dataBits.toInt() < 5
                               || dataBits.toInt() > 8))
        return QStringLiteral("databits: expected 5, 6, 7 or 8");
    const QVariant parity = config.value(QStringLiteral("parity"));
    static const QStringList parities{QStringLiteral("none"), QStringLiteral("even"),
                                      QStringLiteral("odd"), QStringLiteral("mark"),
                                      QStringLiteral("space")};
    if (!parity.isNull() && (parity.typeId() != QMetaType::QString
                             || !parities.contains(parity.toString())))
        return QStringLiteral("parity: expected one of none, even, odd, mark, space");
    const QVariant stopBits = config.value(QStringLiteral("stopbits"));
    if (!stopBits.isNull()) {
        const double s = stopBits.toDouble();
        const bool numeric = stopBits.typeId() != QMetaType::QString && stopBits.canConvert<double>();
        if (!numeric || (s != 1.0 && s != 1.5 && s != 2.0))
            return QStringLiteral("stopbits: expected 1, 1.5 or 2");
    }
    const QVariant flow = config.value(QStringLiteral("flow"));
    static const QStringList flows{QStringLiteral("none"), QStringLiteral("hardware"),
                                   QStringLiteral("software")};
    if (!flow.isNull() && (flow.typeId() != QMetaType::QString || !flows.contains(flow.toString())))
        return QStringLiteral("flow: expected one of none, hardware, software");
    return {};
}

SerialSettings SerialSettings::fromConfig(const QVariantMap &config)
{
    SerialSettings s;
    s.port = config.value(QStringLiteral("port")).toString();
    const QVariantMap match = config.value(QStringLiteral("match")).toMap();
    s.matchVid = match.value(QStringLiteral("vid")).toString().toLower();
    s.matchPid = match.value(QStringLiteral("pid")).toString().toLower();
    s.matchSerial = match.value(QStringLiteral("serial")).toString();
    s.matchIdn = match.value(QStringLiteral("idn")).toString();
    if (config.contains(QStringLiteral("baud")))
        s.baud = qint32(config.value(QStringLiteral("baud")).toLongLong());
    if (config.contains(QStringLiteral("databits")))
        s.dataBits = QSerialPort::DataBits(config.value(QStringLiteral("databits")).toInt());
    const QString parity = config.value(QStringLiteral("parity")).toString();
    if (parity == QLatin1String("even"))
        s.parity = QSerialPort::EvenParity;
    else if (parity == QLatin1String("odd"))
        s.parity = QSerialPort::OddParity;
    else if (parity == QLatin1String("mark"))
        s.parity = QSerialPort::MarkParity;
    else if (parity == QLatin1String("space"))
        s.parity = QSerialPort::SpaceParity;
    const QVariant stop = config.value(QStringLiteral("stopbits"));
    if (!stop.isNull()) {
        const double v = stop.toDouble();
        s.stopBits = v == 2.0 ? QSerialPort::TwoStop
                              : v == 1.5 ? QSerialPort::OneAndHalfStop : QSerialPort::OneStop;
    }
    const QString flow = config.value(QStringLiteral("flow")).toString();
    if (flow == QLatin1String("hardware"))
        s.flow = QSerialPort::HardwareControl;
    else if (flow == QLatin1String("software"))
        s.flow = QSerialPort::SoftwareControl;
    return s;
}

QString SerialSettings::describe() const
{
    if (!port.isEmpty())
        return port;
    QStringList parts;
    if (!matchVid.isEmpty())
        parts << QStringLiteral("vid %1").arg(matchVid);
    if (!matchPid.isEmpty())
        parts << QStringLiteral("pid %1").arg(matchPid);
    if (!matchSerial.isEmpty())
        parts << QStringLiteral("serial %1").arg(matchSerial);
    if (!matchIdn.isEmpty())
        parts << QStringLiteral("*IDN? like /%1/").arg(matchIdn);
    return QStringLiteral("port matching ") + parts.join(QStringLiteral(", "));
}

QString SerialSettings::notFoundReason() const
{
    return QStringLiteral("no %1 found").arg(describe());
}

QString SerialSettings::openFailureReason(const QString &path, const QString &why)
{
    return QStringLiteral("cannot open %1: %2").arg(path, why);
}

bool SerialSettings::matches(const PortDescription &candidate) const
{
    if (!port.isEmpty())
        return candidate.path == port;
    if (!matchVid.isEmpty() && candidate.vid.toLower() != matchVid)
        return false;
    if (!matchPid.isEmpty() && candidate.pid.toLower() != matchPid)
        return false;
    if (!matchSerial.isEmpty() && candidate.serialNumber != matchSerial)
        return false;
    return true;
}

QString SerialSettings::resolve(const QList<PortDescription> &available) const
{
    if (!port.isEmpty())
        return port;
    for (const PortDescription &candidate : available) {
        if (matches(candidate))
            return candidate.path;
    }
    return {};
}

QList<PortDescription> SerialSettings::availablePorts()
{
    QList<PortDescription> ports;
    const QList<QSerialPortInfo> infos = QSerialPortInfo::availablePorts();
    for (const QSerialPortInfo &info : infos) {
        PortDescription d;
        d.path = info.systemLocation();
        if (info.hasVendorIdentifier())
            d.vid = hex4(info.vendorIdentifier());
        if (info.hasProductIdentifier())
            d.pid = hex4(info.productIdentifier());
        d.serialNumber = info.serialNumber();
        ports << d;
    }
    return ports;
}

} // namespace halhub
