#include "serialline.h"

#include "hallogging.h"
#include "transport/portregistry.h"

#include <QFileInfo>

namespace halhub {

SerialLine::SerialLine(const SerialSettings &settings, QObject *parent)
    : LinePort(parent)
    , m_settings(settings)
    , m_idn(settings.matchIdn)
    , m_lister(&PortRegistry::ports)
{
    m_presenceTimer.setInterval(PresenceCheckMs);
    connect(&m_presenceTimer, &QTimer::timeout, this, &SerialLine::checkPresence);
    m_probeTimer.setSingleShot(true);
    connect(&m_probeTimer, &QTimer::timeout, this, [this]() { endProbe(QByteArray()); });
    m_port.setReadBufferSize(ReadBufferBytes);
    connect(&m_port, &QSerialPort::readyRead, this, &SerialLine::onReadyRead);
    connect(&m_port, &QSerialPort::errorOccurred, this, &SerialLine::onError);
    // A port named in the config is this device's from the start, opened or not.
    if (!m_settings.port.isEmpty())
        PortRegistry::claim(m_settings.port, this);
}

SerialLine::~SerialLine()
{
    disconnect(&m_port, nullptr, this, nullptr);
    m_port.close();
    PortRegistry::release(this);
}

void SerialLine::setPortLister(std::function<QList<PortDescription>()> lister)
{
    m_lister = std::move(lister);
}

bool SerialLine::isOpen() const
{
    return m_port.isOpen() && m_probing.isEmpty();
}

QString SerialLine::portPath() const
{
    if (!m_ttyPath.isEmpty())
        return m_ttyPath;
    return m_settings.port;
}

bool SerialLine::write(const QByteArray &bytes)
{
    if (!isOpen())
        return false;
    return m_port.write(bytes) == bytes.size();
}

void SerialLine::closeTransport()
{
    m_presenceTimer.stop();
    m_probeTimer.stop();
    m_candidates.clear();
    m_probing.clear();
    if (m_port.isOpen())
        m_port.close();
    m_port.clearError();
    // A port named in the config stays this device's while it is wanted.
    if (m_settings.port.isEmpty() || !wanted())
        PortRegistry::release(this);
}

bool SerialLine::openPort(const QString &path)
{
    m_port.setPortName(path);
    if (!m_port.open(QIODevice::ReadWrite)) {
        m_openError = SerialSettings::openFailureReason(path, m_port.errorString());
        qCDebug(lcSerial).noquote() << m_openError;
        m_port.clearError();
        return false;
    }
    const bool applied = m_port.setBaudRate(m_settings.baud)
            && m_port.setDataBits(m_settings.dataBits) && m_port.setParity(m_settings.parity)
            && m_port.setStopBits(m_settings.stopBits)
            && m_port.setFlowControl(m_settings.flow);
    if (!applied) {
        // Some drivers (and ptys) refuse a setting yet carry data fine.
        qCWarning(lcSerial).noquote() << path << ": line settings not all applied:"
                                      << m_port.errorString();
        m_port.clearError();
    }
    return true;
}

void SerialLine::attemptOpen()
{
    if (!m_settings.matchIdn.isEmpty()) {
        // Every port that fits the other match keys, that no other device holds.
        m_candidates.clear();
        const QList<PortDescription> ports = m_lister();
        for (const PortDescription &port : ports) {
            if (m_settings.matches(port) && !PortRegistry::heldByOther(port.path, this))
                m_candidates << port.path;
        }
        probeNext();
        return;
    }
    const QString path = m_settings.port.isEmpty() ? m_settings.resolve(m_lister())
                                                   : m_settings.port;
    if (path.isEmpty()) {
        qCDebug(lcSerial).noquote() << "no port for" << m_settings.describe();
        retryLater();
        Q_EMIT openFailed(m_settings.notFoundReason());
        return;
    }
    PortRegistry::claim(path, this);
    if (!openPort(path)) {
        if (m_settings.port.isEmpty())
            PortRegistry::release(this);
        retryLater();
        Q_EMIT openFailed(m_openError);
        return;
    }
    finishOpen(path);
}

void SerialLine::finishOpen(const QString &path)
{
    m_openedPath = path;
    m_ttyPath = PortRegistry::canonical(path);
    m_presenceTimer.start();
    qCInfo(lcSerial).noquote() << "opened" << m_ttyPath << "for" << m_settings.describe();
    markOpened(m_ttyPath);
}

void SerialLine::probeNext()
{
    while (!m_candidates.isEmpty()) {
        const QString path = m_candidates.takeFirst();
        // Held since the list was made, or unopenable: the next one.
        if (!PortRegistry::claim(path, this))
            continue;
        if (!openPort(path)) {
            PortRegistry::release(this, path);
            continue;
        }
        m_probing = path;
        m_probeReply.clear();
        m_port.clear();
        m_port.write("*IDN?\n");
        m_probeTimer.start(ProbeTimeoutMs);
        return;
    }
    qCDebug(lcSerial).noquote() << "no instrument answered *IDN? like" << m_settings.matchIdn;
    retryLater();
    Q_EMIT openFailed(QStringLiteral("no free port answers *IDN? like %1").arg(m_settings.matchIdn));
}

void SerialLine::endProbe(const QByteArray &reply)
{
    if (m_probing.isEmpty())
        return;
    const QString path = std::exchange(m_probing, QString());
    m_probeTimer.stop();
    Q_EMIT probed(path, reply);
    if (!reply.isEmpty() && m_idn.match(QString::fromUtf8(reply)).hasMatch()) {
        m_candidates.clear();
        qCInfo(lcSerial).noquote() << path << "answers *IDN? with" << reply;
        finishOpen(path);
        return;
    }
    qCDebug(lcSerial).noquote() << "probed" << path << ":" << (reply.isEmpty() ? "no reply" : reply);
    m_port.close();
    m_port.clearError();
    PortRegistry::release(this, path);
    probeNext();
}

void SerialLine::onReadyRead()
{
    if (!m_probing.isEmpty()) {
        m_probeReply += m_port.readAll();
        const qsizetype newline = m_probeReply.indexOf('\n');
        if (newline >= 0)
            endProbe(m_probeReply.left(newline).trimmed());
        else if (m_probeReply.size() > MaxLineBytes)
            endProbe(QByteArray());
        return;
    }
    if (delivering())
        return;
    deliver(m_port.readAll());
}

void SerialLine::onError(QSerialPort::SerialPortError error)
{
    if (error == QSerialPort::NoError || error == QSerialPort::TimeoutError)
        return;
    if (!m_port.isOpen()) {
        // Failures of an open attempt are handled by attemptOpen().
        return;
    }
    if (!m_probing.isEmpty()) {
        endProbe(QByteArray());
        return;
    }
    // A pty whose far side closed reports ReadError over and over until the
    // port is closed, a pulled USB adapter ResourceError: both mean gone.
    const QString reason = m_port.errorString();
    qCInfo(lcSerial).noquote() << "lost" << m_ttyPath << ":" << reason;
    markLost(reason);
}

void SerialLine::checkPresence()
{
    if (isOpen() && !QFileInfo::exists(m_openedPath)) {
        const QString reason = QStringLiteral("%1 vanished").arg(m_openedPath);
        qCInfo(lcSerial).noquote() << "lost" << m_ttyPath << ":" << reason;
        markLost(reason);
    }
}

} // namespace halhub
