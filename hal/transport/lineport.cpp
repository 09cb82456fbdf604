#include "lineport.h"

#include <QPointer>

namespace halhub {

LinePort::LinePort(QObject *parent)
    : QObject(parent)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &LinePort::onRetryTimer);
}

LinePort::~LinePort() = default;

void LinePort::open()
{
    if (m_wanted)
        return;
    m_wanted = true;
    m_backoff.reset();
    onRetryTimer();
}

void LinePort::close()
{
    m_wanted = false;
    m_linkUp = false;
    m_retryTimer.stop();
    closeTransport();
    m_splitter.clear();
}

void LinePort::onRetryTimer()
{
    if (!m_wanted || isOpen())
        return;
    ++m_attempts;
    attemptOpen();
}

void LinePort::markOpened(const QString &path)
{
    m_splitter.clear();
    m_backoff.reset();
    m_linkUp = true;
    Q_EMIT opened(path);
}

void LinePort::retryLater()
{
    if (!m_wanted)
        return;
    m_lastRetryMs = m_backoff.next();
    m_retryTimer.start(m_lastRetryMs);
}

void LinePort::markLost(const QString &reason)
{
    if (!m_linkUp)
        return;
    m_linkUp = false;
    closeTransport();
    m_splitter.clear();
    retryLater();
    Q_EMIT lost(reason);
}

void LinePort::deliver(const QByteArray &data)
{
    // A handler below may close the link (or delete it); re-entering while
    // lines are handed out would reorder them.
    if (m_reading)
        return;
    QPointer<LinePort> guard(this);
    m_reading = true;
    const QList<QByteArray> lines = m_splitter.feed(data);
    const int overflows = m_splitter.takeOverflows();
    for (const QByteArray &line : lines) {
        Q_EMIT lineReceived(line);
        if (!guard)
            return;
        if (!m_linkUp)
            break;
    }
    m_reading = false;
    if (overflows > 0) {
        Q_EMIT dataError(QStringLiteral("%1 line(s) longer than %2 bytes dropped")
                                 .arg(overflows)
                                 .arg(MaxLineBytes));
    }
}

} // namespace halhub
