#include "serialline.h"

#include "hallogging.h"

#include <QFileInfo>
#include <QPointer>

namespace halhub {

namespace {

// Bounds what QSerialPort holds for us between two readyRead handlers.
constexpr qint64 kReadBufferBytes = 64 * 1024;

} // namespace

SerialLine::SerialLine(const SerialSettings &settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_lister(&SerialSettings::availablePorts)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &SerialLine::attempt);
    m_presenceTimer.setInterval(PresenceCheckMs);
    connect(&m_presenceTimer, &QTimer::timeout, this, &SerialLine::checkPresence);
    m_port.setReadBufferSize(kReadBufferBytes);
    connect(&m_port, &QSerialPort::readyRead, this, &SerialLine::onReadyRead);
    connect(&m_port, &QSerialPort::errorOccurred, this, &SerialLine::onError);
}

SerialLine::~SerialLine()
{
    m_wanted = false;
    disconnect(&m_port, nullptr, this, nullptr);
    m_port.close();
}

void SerialLine::setPortLister(std::function<QList<PortDescription>()> lister)
{
    m_lister = std::move(lister);
}

void SerialLine::open()
{
    if (m_wanted)
        return;
    m_wanted = true;
    m_backoff.reset();
    attempt();
}

void SerialLine::close()
{
    m_wanted = false;
    m_retryTimer.stop();
    m_presenceTimer.stop();
    if (m_port.isOpen())
        m_port.close();
    m_splitter.clear();
}

bool SerialLine::isOpen() const
{
    return m_port.isOpen();
}

QString SerialLine::portPath() const
{
    if (!m_ttyPath.isEmpty())
        return m_ttyPath;
    return m_settings.port;
}

bool SerialLine::write(const QByteArray &bytes)
{
    if (!m_port.isOpen())
        return false;
    return m_port.write(bytes) == bytes.size();
}

void SerialLine::attempt()
{
    if (!m_wanted || m_port.isOpen())
        return;
    ++m_attempts;
    const QString path = m_settings.port.isEmpty() ? m_settings.resolve(m_lister())
                                                   : m_settings.port;
    if (path.isEmpty()) {
        qCDebug(lcSerial).noquote() << "no port for" << m_settings.describe();
        scheduleRetry();
        Q_EMIT openFailed(m_settings.notFoundReason());
        return;
    }
    m_port.setPortName(path);
    if (!m_port.open(QIODevice::ReadWrite)) {
        const QString reason = SerialSettings::openFailureReason(path, m_port.errorString());
        qCDebug(lcSerial).noquote() << reason;
        m_port.clearError();
        scheduleRetry();
        Q_EMIT openFailed(reason);
        return;
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
    m_openedPath = path;
    const QString canonical = QFileInfo(path).canonicalFilePath();
    m_ttyPath = canonical.isEmpty() ? path : canonical;
    m_splitter.clear();
    m_backoff.reset();
    m_presenceTimer.start();
    qCInfo(lcSerial).noquote() << "opened" << m_ttyPath << "for" << m_settings.describe();
    Q_EMIT opened(m_ttyPath);
}

void SerialLine::scheduleRetry()
{
    if (!m_wanted)
        return;
    m_lastRetryMs = m_backoff.next();
    m_retryTimer.start(m_lastRetryMs);
}

void SerialLine::onReadyRead()
{
    // A handler below may close the line (or delete it); re-entering while
    // lines are handed out would reorder them.
    if (m_reading)
        return;
    QPointer<SerialLine> guard(this);
    m_reading = true;
    const QByteArray data = m_port.readAll();
    const QList<QByteArray> lines = m_splitter.feed(data);
    const int overflows = m_splitter.takeOverflows();
    for (const QByteArray &line : lines) {
        Q_EMIT lineReceived(line);
        if (!guard)
            return;
        if (!m_port.isOpen())
            break;
    }
    m_reading = false;
    if (overflows > 0) {
        Q_EMIT dataError(QStringLiteral("%1 line(s) longer than %2 bytes dropped")
                                 .arg(overflows)
                                 .arg(MaxLineBytes));
    }
}

void SerialLine::onError(QSerialPort::SerialPortError error)
{
    if (error == QSerialPort::NoError || error == QSerialPort::TimeoutError)
        return;
    if (!m_port.isOpen()) {
        // Failures of an open attempt are handled by attempt().
        return;
    }
    // A pty whose far side closed reports ReadError over and over until the
    // port is closed, a pulled USB adapter ResourceError: both mean gone.
    handleLoss(m_port.errorString());
}

void SerialLine::checkPresence()
{
    if (m_port.isOpen() && !QFileInfo::exists(m_openedPath))
        handleLoss(QStringLiteral("%1 vanished").arg(m_openedPath));
}

void SerialLine::handleLoss(const QString &reason)
{
    if (!m_port.isOpen())
        return;
    m_port.close();
    m_port.clearError();
    m_presenceTimer.stop();
    m_splitter.clear();
    qCInfo(lcSerial).noquote() << "lost" << m_ttyPath << ":" << reason;
    scheduleRetry();
    Q_EMIT lost(reason);
}

} // namespace halhub
