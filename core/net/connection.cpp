#include "net/connection.h"

#include "logging.h"
#include "net/closecodes.h"
#include "protocol/messages.h"

#include <QDateTime>
#include <QTimer>

#include <limits>

namespace halhub {

Connection::Connection(quint64 id, const QHostAddress &peer, quint16 peerPort, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_peer(peer)
    , m_peerPort(peerPort)
{
}

Connection::~Connection() = default;

QString Connection::peerName() const
{
    return QStringLiteral("%1:%2").arg(m_peer.toString()).arg(m_peerPort);
}

void Connection::setEncoding(Encoding encoding, bool compression)
{
    m_encoding = encoding;
    m_compression = compression;
}

void Connection::sendError(const QString &code, const QString &message, const QVariant &id,
                           qint64 retryAfterMs)
{
    if (m_rawFrames) {
        Q_EMIT refused(code, message);
        return;
    }
    sendMessage(messages::error(code, message, id, retryAfterMs));
}

QTimer *Connection::authDeadline()
{
    if (!m_authDeadline) {
        m_authDeadline = new QTimer(this);
        m_authDeadline->setSingleShot(true);
        connect(m_authDeadline, &QTimer::timeout, this, [this] {
            if (!m_authenticated)
                closeWith(closecode::kUnauthorized, QStringLiteral("no valid token"));
        });
    }
    return m_authDeadline;
}

QTimer *Connection::authExpiry()
{
    if (!m_authExpiry) {
        m_authExpiry = new QTimer(this);
        m_authExpiry->setSingleShot(true);
        connect(m_authExpiry, &QTimer::timeout, this, &Connection::onAuthExpired);
    }
    return m_authExpiry;
}

void Connection::requireAuthentication(int graceMs)
{
    m_authRequired = true;
    m_authGraceMs = graceMs;
    m_authenticated = false;
    m_scopes = Scopes();
    authDeadline()->start(graceMs);
}

void Connection::authenticate(const TokenClaims &claims)
{
    if (!m_authRequired)
        return;
    Q_ASSERT(m_subject.isEmpty() || m_subject == claims.subject);
    const bool first = m_subject.isEmpty();
    m_subject = claims.subject;
    m_scopes = Scopes(claims.scopes);
    m_authenticated = true;
    authDeadline()->stop();
    m_acceptedUntilMs = claims.acceptedUntil * 1000;
    onAuthExpired();
    if (first)
        Q_EMIT userKnown();
}

void Connection::onAuthExpired()
{
    if (!m_authenticated)
        return;
    const qint64 leftMs = m_acceptedUntilMs - QDateTime::currentMSecsSinceEpoch();
    if (leftMs > 0) {
        // QTimer takes an int: a token valid for longer than ~24 days is
        // looked at again then.
        authExpiry()->start(int(qMin<qint64>(leftMs, std::numeric_limits<int>::max())));
        return;
    }
    qCInfo(lcAuth).noquote() << "token of" << m_subject << "on connection" << m_id
                   << "expired; closing unless renewed";
    m_authenticated = false;
    m_scopes = Scopes();
    authDeadline()->start(m_authGraceMs);
}

} // namespace halhub
