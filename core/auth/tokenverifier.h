#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace halhub {

// What a valid token grants (docs/protocol.md section 9).
struct TokenClaims
{
    QString subject;                 // `sub`
    QStringList scopes;              // `scope`, split on spaces
    // Seconds since the epoch after which the token is no longer accepted:
    // `exp` plus the leeway.
    qint64 acceptedUntil = 0;
};

struct TokenCheck
{
    bool ok = false;
    TokenClaims claims;
    QString error;                   // why refused, for the log and the client
};

// Verifies JWTs against the one key of auth: HS256 with auth.jwt_secret, or
// RS256 / ES256 (RSA / EC P-256 key) with auth.jwt_public_key_file. The
// algorithm is pinned to the key: the library would otherwise take `none`,
// another HMAC, or an HMAC keyed with the public key's PEM text.
class TokenVerifier
{
public:
    static constexpr qint64 kLeewaySeconds = 30;
    // Longer tokens are refused unread.
    static constexpr qsizetype kMaxTokenBytes = 8192;
    // A shorter auth.jwt_secret is accepted with a warning.
    static constexpr qsizetype kMinSecretBytes = 32;

    explicit TokenVerifier(const AuthConfig &config);
    ~TokenVerifier();

    // Reads and checks the key; false with *error for a start-up message.
    bool load(QString *error);
    bool isLoaded() const { return !m_key.isEmpty(); }
    // "HS256", "RS256" or "ES256" once loaded.
    QString algorithm() const;

    // nowSecs: seconds since the epoch (tests pass their own clock).
    TokenCheck verify(const QByteArray &token, qint64 nowSecs) const;
    TokenCheck verify(const QByteArray &token) const;

private:
    AuthConfig m_config;
    QByteArray m_key;
    int m_alg = 0;     // jwt_alg_t
};

} // namespace halhub
