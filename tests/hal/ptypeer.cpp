#include "ptypeer.h"

#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

PtyPeer::PtyPeer(QObject *parent)
    : QObject(parent)
{
}

PtyPeer::~PtyPeer()
{
    unplug();
}

bool PtyPeer::open()
{
    unplug();
    int master = -1;
    int slave = -1;
    char name[256] = {};
    if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        return false;
    }
    termios tio{};
    ::tcgetattr(slave, &tio);
    ::cfmakeraw(&tio);
    ::tcsetattr(slave, TCSANOW, &tio);
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    m_master = master;
    m_slave = slave;
    m_slavePath = QString::fromLocal8Bit(name);
    m_notifier = std::make_unique<QSocketNotifier>(m_master, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &PtyPeer::onReadable);
    return true;
}

void PtyPeer::unplug()
{
    m_notifier.reset();
    if (m_master >= 0)
        ::close(m_master);
    if (m_slave >= 0)
        ::close(m_slave);
    m_master = -1;
    m_slave = -1;
    m_partial.clear();
}

bool PtyPeer::linkAt(const QString &link) const
{
    const QString temporary = link + QStringLiteral(".new");
    QFile::remove(temporary);
    if (!QFile::link(m_slavePath, temporary))
        return false;
    return ::rename(QFile::encodeName(temporary).constData(),
                    QFile::encodeName(link).constData()) == 0;
}

void PtyPeer::write(const QByteArray &bytes)
{
    qsizetype done = 0;
    while (m_master >= 0 && done < bytes.size()) {
        const ssize_t n = ::write(m_master, bytes.constData() + done, size_t(bytes.size() - done));
        if (n > 0) {
            done += n;
        } else if (n < 0 && errno != EINTR) {
            // A full pty buffer: the reader is not reading. The rest is lost,
            // as it would be on a real line without flow control.
            return;
        }
    }
}

void PtyPeer::clearReceived()
{
    m_received.clear();
    m_lines.clear();
}

void PtyPeer::setLineHandler(std::function<void(const QByteArray &)> handler)
{
    m_handler = std::move(handler);
}

void PtyPeer::onReadable()
{
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(m_master, buffer, sizeof buffer);
        if (n > 0) {
            const QByteArray bytes(buffer, qsizetype(n));
            m_received += bytes;
            Q_EMIT dataReceived(bytes);
            m_partial += bytes;
            qsizetype newline;
            while ((newline = m_partial.indexOf('\n')) >= 0) {
                QByteArray line = m_partial.left(newline);
                m_partial.remove(0, newline + 1);
                if (line.endsWith('\r'))
                    line.chop(1);
                m_lines << line;
                Q_EMIT lineReceived(line);
                if (m_handler)
                    m_handler(line);
                if (m_master < 0)
                    return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        // EIO or end: nothing more will come; stop watching rather than spin.
        if (m_notifier)
            m_notifier->setEnabled(false);
        return;
    }
}

PtyCable::PtyCable(QObject *parent)
    : QObject(parent)
{
    connect(&m_a, &PtyPeer::dataReceived, this, [this](const QByteArray &bytes) {
        m_b.write(bytes);
    });
    connect(&m_b, &PtyPeer::dataReceived, this, [this](const QByteArray &bytes) {
        m_a.write(bytes);
    });
}

bool PtyCable::open()
{
    return m_a.open() && m_b.open();
}
