#include "auth/authenticator.h"

#include "logging.h"
#include "auth/scopes.h"
#include "auth/tokenverifier.h"
#include "net/connection.h"
#include "net/handshake.h"

#include <QNetworkRequest>

namespace halhub {

Authenticator::Authenticator(const AuthConfig &config)
    : m_config(config)
{
}

Authenticator::~Authenticator() = default;

bool Authenticator::load(QString *error)
{
    if (!m_config.required)
        return true;
    m_verifier = std::make_unique<TokenVerifier>(m_config);
    if (!m_verifier->load(error)) {
        m_verifier.reset();
        return false;
    }
    qCInfo(lcAuth).noquote() << "authentication required; tokens signed with"
                             << m_verifier->algorithm();
    return true;
}

void Authenticator::admit(Connection *connection, const QNetworkRequest &upgrade) const
{
    if (!m_verifier)
        return;
    connection->requireAuthentication(kGraceMs);
    // The upgrade request as QWebSocketServer saw it: the same token rules
    // as the listener's own parser (Bearer wins, no fallback to the query).
    HttpRequestHead head;
    head.url = upgrade.url();
    const QList<QByteArray> names = upgrade.rawHeaderList();
    for (const QByteArray &name : names)
        head.headers.insert(name.toLower(), upgrade.rawHeader(name));
    const QString token = extractToken(head);
    if (token.isEmpty())
        return;
    const TokenCheck check = m_verifier->verify(token.toUtf8());
    if (!check.ok) {
        qCWarning(lcAuth).noquote() << "handshake token from" << connection->peerAddress().toString()
                                    << "refused (treated as absent):" << check.error;
        return;
    }
    connection->authenticate(check.claims);
    qCInfo(lcAuth).noquote() << "connection" << connection->id() << "from"
                             << connection->peerAddress().toString() << "authenticated as"
                             << check.claims.subject;
}

bool Authenticator::hasValidUpgradeToken(const HttpRequestHead &head, QString *why) const
{
    if (!m_verifier)
        return true;
    const QString token = extractToken(head);
    if (token.isEmpty()) {
        *why = QStringLiteral("authentication required: send a token (Authorization: Bearer or ?token=)");
        return false;
    }
    const TokenCheck check = m_verifier->verify(token.toUtf8());
    if (!check.ok)
        *why = QStringLiteral("invalid token: %1").arg(check.error);
    return check.ok;
}

std::optional<AccessRefusal> Authenticator::authenticate(Connection *connection,
                                                         const QString &token) const
{
    if (!m_verifier)
        return std::nullopt;
    const TokenCheck check = m_verifier->verify(token.toUtf8());
    if (!check.ok)
        return AccessRefusal{QStringLiteral("unauthorized"),
                             QStringLiteral("invalid token: %1").arg(check.error)};
    const QString current = connection->subject();
    if (!current.isEmpty() && current != check.claims.subject) {
        return AccessRefusal{QStringLiteral("forbidden"),
                             QStringLiteral("this connection belongs to '%1'; a token for '%2' "
                                            "needs a new connection")
                                 .arg(current, check.claims.subject)};
    }
    if (current.isEmpty()) {
        qCInfo(lcAuth).noquote() << "connection" << connection->id() << "from"
                                 << connection->peerAddress().toString() << "authenticated as"
                                 << check.claims.subject;
    }
    connection->authenticate(check.claims);
    return std::nullopt;
}

std::optional<AccessRefusal> Authenticator::authorize(const Connection *connection,
                                                      const QString &type) const
{
    if (!m_verifier || type == QLatin1String("hello") || type == QLatin1String("ping"))
        return std::nullopt;
    if (!connection->isAuthenticated()) {
        return AccessRefusal{
            QStringLiteral("unauthorized"),
            connection->subject().isEmpty()
                ? QStringLiteral("authentication required: send a valid token (hello with token)")
                : QStringLiteral("token expired: renew it with hello")};
    }
    if (!connection->scopes().allowsType(type)) {
        return AccessRefusal{QStringLiteral("forbidden"),
                             QStringLiteral("'%1' needs scope %2").arg(type, Scopes::requiredFor(type))};
    }
    return std::nullopt;
}

std::optional<AccessRefusal> Authenticator::authorizeDevice(const Connection *connection,
                                                            const QString &type,
                                                            const QString &device) const
{
    if (connection->scopes().canWriteDevice(device))
        return std::nullopt;
    const QString what = type == QLatin1String("cancel") ? QStringLiteral("cancelling a command")
                                                         : QStringLiteral("a command");
    return AccessRefusal{QStringLiteral("forbidden"),
                         QStringLiteral("%1 on '%2' needs scope %3")
                             .arg(what, device, Scopes::requiredFor(type, device))};
}

} // namespace halhub
