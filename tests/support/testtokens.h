#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

class QTemporaryDir;

// JWTs of every kind for the authentication tests, good and forged.
namespace testtokens {

// {"sub": sub, "exp": now + expIn, "scope": scope} (scope left out when null).
QJsonObject claims(const QString &sub, const QString &scope, qint64 expIn = 3600);

// header.payload.signature with any `alg` written in the header; the
// signature is HMAC-SHA256/384/512 keyed with `key` for HS256/384/512,
// empty for "none".
QByteArray hmac(const QByteArray &alg, const QByteArray &key, const QJsonObject &claims);
// RS256 / ES256 (or any asymmetric alg) signed with a PEM private key.
QByteArray asymmetric(const QByteArray &alg, const QByteArray &privatePem,
                      const QJsonObject &claims);

// Runs openssl in dir: rsa.key/rsa.pub, ec.key/ec.pub (P-256), ec384.pub, and
// a self-signed server certificate cert.pem/cert.key for 127.0.0.1.
// Returns an error message, empty on success.
QString makeKeys(const QTemporaryDir &dir);

QByteArray readFile(const QString &name);

} // namespace testtokens
