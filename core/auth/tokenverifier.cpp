#include "auth/tokenverifier.h"

#include "logging.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslKey>

#include <jwt.h>

#include <cmath>
#include <cstdlib>
#include <memory>

namespace halhub {

namespace {

struct JwtDeleter
{
    void operator()(jwt_t *jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// Only the characters of three base64url parts and their dots: anything
// else (a NUL would cut the C string short) is refused before the library.
bool isCompactJws(const QByteArray &token)
{
    int dots = 0;
    for (const char c : token) {
        if (c == '.')
            ++dots;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                   || c == '-' || c == '_'))
            return false;
    }
    return dots == 2;
}

TokenCheck refuse(const QString &why)
{
    TokenCheck check;
    check.error = why;
    return check;
}

// A NumericDate as whole seconds, clamped so that adding the leeway cannot
// overflow.
std::optional<qint64> numericDate(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (!std::isfinite(d))
        return std::nullopt;
    constexpr double kLimit = 1e15;   // some 30 million years
    return qint64(std::floor(qBound(-kLimit, d, kLimit)));
}

} // namespace

TokenVerifier::TokenVerifier(const AuthConfig &config)
    : m_config(config)
{
}

TokenVerifier::~TokenVerifier() = default;

bool TokenVerifier::load(QString *error)
{
    const bool hasSecret = !m_config.jwtSecret.isEmpty();
    const bool hasKeyFile = !m_config.jwtPublicKeyFile.isEmpty();
    if (hasSecret == hasKeyFile) {
        *error = QStringLiteral("auth: exactly one of auth.jwt_secret and auth.jwt_public_key_file "
                                "must be set when auth.required is true");
        return false;
    }
    if (hasSecret) {
        m_key = m_config.jwtSecret.toUtf8();
        m_alg = JWT_ALG_HS256;
        // HS256 is as strong as its key: RFC 7518 asks for at least 256 bits.
        if (m_key.size() < kMinSecretBytes) {
            qCWarning(lcAuth).noquote()
                    << QStringLiteral("auth.jwt_secret is %1 bytes long; use at least %2 random "
                                      "bytes, a short secret can be guessed")
                               .arg(m_key.size())
                               .arg(kMinSecretBytes);
        }
        return true;
    }
    QFile file(m_config.jwtPublicKeyFile);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("auth.jwt_public_key_file: cannot read '%1': %2")
                     .arg(m_config.jwtPublicKeyFile, file.errorString());
        return false;
    }
    const QByteArray pem = file.readAll();
    const QSslKey rsa(pem, QSsl::Rsa, QSsl::Pem, QSsl::PublicKey);
    const QSslKey ec(pem, QSsl::Ec, QSsl::Pem, QSsl::PublicKey);
    if (!rsa.isNull()) {
        m_alg = JWT_ALG_RS256;
    } else if (!ec.isNull() && ec.length() == 256) {
        m_alg = JWT_ALG_ES256;
    } else {
        *error = QStringLiteral("auth.jwt_public_key_file: '%1' is not a PEM RSA or EC P-256 "
                                "public key")
                     .arg(m_config.jwtPublicKeyFile);
        return false;
    }
    m_key = pem;
    return true;
}

QString TokenVerifier::algorithm() const
{
    return isLoaded() ? QString::fromLatin1(jwt_alg_str(jwt_alg_t(m_alg))) : QString();
}

TokenCheck TokenVerifier::verify(const QByteArray &token) const
{
    return verify(token, QDateTime::currentSecsSinceEpoch());
}

TokenCheck TokenVerifier::verify(const QByteArray &token, qint64 nowSecs) const
{
    if (!isLoaded())
        return refuse(QStringLiteral("no key configured"));
    if (token.isEmpty())
        return refuse(QStringLiteral("empty token"));
    if (token.size() > kMaxTokenBytes)
        return refuse(QStringLiteral("token longer than %1 bytes").arg(kMaxTokenBytes));
    if (!isCompactJws(token))
        return refuse(QStringLiteral("not a JWT (three base64url parts)"));

    // The header is read first so that a forged algorithm is named in the
    // refusal; the library's answer after this is checked again below.
    const QByteArray headerJson = QByteArray::fromBase64(
        token.left(token.indexOf('.')), QByteArray::Base64UrlEncoding);
    const QJsonValue headerAlg = QJsonDocument::fromJson(headerJson).object().value(QLatin1String("alg"));
    if (!headerAlg.isString())
        return refuse(QStringLiteral("token header has no 'alg'"));
    if (headerAlg.toString() != algorithm()) {
        return refuse(QStringLiteral("algorithm %1 refused; only %2 is accepted")
                          .arg(headerAlg.toString().left(16), algorithm()));
    }

    jwt_t *raw = nullptr;
    const int rc = jwt_decode(&raw, token.constData(),
                              reinterpret_cast<const unsigned char *>(m_key.constData()),
                              int(m_key.size()));
    JwtPtr jwt(raw);
    if (rc != 0 || !jwt)
        return refuse(QStringLiteral("malformed token or bad signature"));
    const jwt_alg_t alg = jwt_get_alg(jwt.get());
    if (alg != jwt_alg_t(m_alg)) {
        return refuse(QStringLiteral("algorithm %1 refused; only %2 is accepted")
                          .arg(QString::fromLatin1(jwt_alg_str(alg)), algorithm()));
    }

    char *grants = jwt_get_grants_json(jwt.get(), nullptr);
    const QByteArray json(grants ? grants : "");
    std::free(grants);
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject())
        return refuse(QStringLiteral("claims are not a JSON object"));
    const QJsonObject claims = doc.object();

    const QJsonValue sub = claims.value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().isEmpty())
        return refuse(QStringLiteral("claim 'sub' missing or not a string"));
    const std::optional<qint64> exp = numericDate(claims.value(QLatin1String("exp")));
    if (!exp)
        return refuse(QStringLiteral("claim 'exp' missing or not a number"));
    if (nowSecs >= *exp + kLeewaySeconds)
        return refuse(QStringLiteral("token expired"));
    if (claims.contains(QLatin1String("nbf"))) {
        const std::optional<qint64> nbf = numericDate(claims.value(QLatin1String("nbf")));
        if (!nbf)
            return refuse(QStringLiteral("claim 'nbf' is not a number"));
        if (nowSecs + kLeewaySeconds < *nbf)
            return refuse(QStringLiteral("token not valid yet (nbf)"));
    }
    if (!m_config.issuer.isEmpty()
        && claims.value(QLatin1String("iss")).toString() != m_config.issuer) {
        return refuse(QStringLiteral("issuer is not '%1'").arg(m_config.issuer));
    }
    if (!m_config.audience.isEmpty()) {
        const QJsonValue aud = claims.value(QLatin1String("aud"));
        bool match = aud.isString() && aud.toString() == m_config.audience;
        if (aud.isArray()) {
            const QJsonArray list = aud.toArray();
            for (const QJsonValue &a : list)
                match = match || (a.isString() && a.toString() == m_config.audience);
        }
        if (!match)
            return refuse(QStringLiteral("audience does not include '%1'").arg(m_config.audience));
    }
    const QJsonValue scope = claims.value(QLatin1String("scope"));
    if (!scope.isUndefined() && !scope.isNull() && !scope.isString())
        return refuse(QStringLiteral("claim 'scope' is not a string"));

    TokenCheck check;
    check.ok = true;
    check.claims.subject = sub.toString();
    check.claims.scopes = scope.toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    check.claims.acceptedUntil = *exp + kLeewaySeconds;
    return check;
}

} // namespace halhub
