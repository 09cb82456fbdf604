// Tokens of every kind against the three key setups: only a token signed
// with the configured algorithm and key, unexpired, with a subject, passes.

#include "auth/tokenverifier.h"
#include "testtokens.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

namespace {
const QByteArray kSecret = "correct horse battery staple";
}

class tst_TokenVerifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tokens_data();
    void tokens();
    void claimsOfAValidToken();
    void leewayOnExpiry();
    void badKeyFilesAreStartupErrors_data();
    void badKeyFilesAreStartupErrors();

private:
    AuthConfig config(const QString &keyKind) const;
    QTemporaryDir m_dir;
    QByteArray m_rsaKey, m_rsaPub, m_ecKey, m_ecPub, m_ec384Key;
};

void tst_TokenVerifier::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString error = testtokens::makeKeys(m_dir);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_rsaKey = testtokens::readFile(m_dir.filePath(QStringLiteral("rsa.key")));
    m_rsaPub = testtokens::readFile(m_dir.filePath(QStringLiteral("rsa.pub")));
    m_ecKey = testtokens::readFile(m_dir.filePath(QStringLiteral("ec.key")));
    m_ecPub = testtokens::readFile(m_dir.filePath(QStringLiteral("ec.pub")));
    m_ec384Key = testtokens::readFile(m_dir.filePath(QStringLiteral("ec384.key")));
}

AuthConfig tst_TokenVerifier::config(const QString &keyKind) const
{
    AuthConfig c;
    c.required = true;
    if (keyKind == QLatin1String("hs"))
        c.jwtSecret = QString::fromUtf8(kSecret);
    else
        c.jwtPublicKeyFile = m_dir.filePath(keyKind + QStringLiteral(".pub"));
    c.issuer = QStringLiteral("lab-sso");
    c.audience = QStringLiteral("halhub");
    return c;
}

void tst_TokenVerifier::tokens_data()
{
    QTest::addColumn<QString>("keyKind");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QString>("why");

    using namespace testtokens;
    QJsonObject good = claims(QStringLiteral("alice"), QStringLiteral("telemetry:read"));
    good.insert(QStringLiteral("iss"), QStringLiteral("lab-sso"));
    good.insert(QStringLiteral("aud"), QStringLiteral("halhub"));
    const auto with = [&good](const QString &key, const QJsonValue &v) {
        QJsonObject c = good;
        if (v.isUndefined())
            c.remove(key);
        else
            c.insert(key, v);
        return c;
    };
    const qint64 now = QDateTime::currentSecsSinceEpoch();

    QTest::addRow("HS256 with the secret") << "hs" << hmac("HS256", kSecret, good) << true << "";
    QTest::addRow("RS256 with the RSA key") << "rsa" << asymmetric("RS256", m_rsaKey, good) << true << "";
    QTest::addRow("ES256 with the EC key") << "ec" << asymmetric("ES256", m_ecKey, good) << true << "";
    QTest::addRow("aud as a list holding ours")
        << "hs" << hmac("HS256", kSecret, with(QStringLiteral("aud"), QJsonArray{QStringLiteral("x"), QStringLiteral("halhub")}))
        << true << "";
    QTest::addRow("exp as a float") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("exp"), double(now) + 100.5)) << true << "";

    QTest::addRow("alg none") << "hs" << hmac("none", {}, good) << false << "algorithm";
    QTest::addRow("alg none on an RSA setup") << "rsa" << hmac("none", {}, good) << false << "algorithm";
    QTest::addRow("HS512 with the same secret") << "hs" << hmac("HS512", kSecret, good) << false << "algorithm";
    QTest::addRow("HS384 with the same secret") << "hs" << hmac("HS384", kSecret, good) << false << "algorithm";
    QTest::addRow("HS256 keyed with the RSA public key") << "rsa" << hmac("HS256", m_rsaPub, good) << false << "algorithm";
    QTest::addRow("HS256 keyed with the EC public key") << "ec" << hmac("HS256", m_ecPub, good) << false << "algorithm";
    QTest::addRow("RS512 with the RSA key") << "rsa" << asymmetric("RS512", m_rsaKey, good) << false << "algorithm";
    QTest::addRow("ES384 on a P-256 setup") << "ec" << asymmetric("ES384", m_ec384Key, good) << false << "";
    QTest::addRow("RS256 on an HS256 setup") << "hs" << asymmetric("RS256", m_rsaKey, good) << false << "";
    QTest::addRow("ES256 signed by another key") << "rsa" << asymmetric("ES256", m_ecKey, good) << false << "";
    QTest::addRow("HS256 with a wrong secret") << "hs" << hmac("HS256", "guess", good) << false << "signature";

    QByteArray tampered = hmac("HS256", kSecret, good);
    const QList<QByteArray> parts = tampered.split('.');
    const QByteArray admin = testtokens::hmac("HS256", "x", with(QStringLiteral("scope"), QStringLiteral("admin"))).split('.').at(1);
    tampered = parts.at(0) + '.' + admin + '.' + parts.at(2);
    QTest::addRow("payload swapped, signature kept") << "hs" << tampered << false << "signature";

    QTest::addRow("expired beyond the leeway") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("exp"), now - 31)) << false << "expired";
    QTest::addRow("exp missing") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("exp"), QJsonValue::Undefined)) << false << "exp";
    QTest::addRow("exp a string") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("exp"), QString::number(now + 100))) << false << "exp";
    QTest::addRow("sub missing") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("sub"), QJsonValue::Undefined)) << false << "sub";
    QTest::addRow("sub a number") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("sub"), 7)) << false << "sub";
    QTest::addRow("nbf in the future") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("nbf"), now + 120)) << false << "nbf";
    QTest::addRow("nbf within the leeway") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("nbf"), now + 20)) << true << "";
    QTest::addRow("wrong issuer") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("iss"), QStringLiteral("evil"))) << false << "issuer";
    QTest::addRow("no issuer") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("iss"), QJsonValue::Undefined)) << false << "issuer";
    QTest::addRow("wrong audience") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("aud"), QStringLiteral("other"))) << false << "audience";
    QTest::addRow("scope a list") << "hs" << hmac("HS256", kSecret, with(QStringLiteral("scope"), QJsonArray{QStringLiteral("admin")})) << false << "scope";
    QTest::addRow("empty") << "hs" << QByteArray() << false << "empty";
    QTest::addRow("garbage") << "hs" << QByteArray("not a token at all") << false << "JWT";
    QTest::addRow("two parts") << "hs" << QByteArray("eyJhbGciOiJIUzI1NiJ9.e30") << false << "JWT";
    QTest::addRow("NUL inside") << "hs" << (hmac("HS256", kSecret, good) + QByteArray(1, '\0') + "x") << false << "JWT";
    QTest::addRow("huge") << "hs" << QByteArray(100000, 'a') << false << "longer";
    QTest::addRow("header not JSON") << "hs" << QByteArray("bm90IGpzb24.e30.AAAA") << false << "alg";
}

void tst_TokenVerifier::tokens()
{
    QFETCH(QString, keyKind);
    QFETCH(QByteArray, token);
    QFETCH(bool, accepted);
    QFETCH(QString, why);

    TokenVerifier verifier(config(keyKind));
    QString error;
    QVERIFY2(verifier.load(&error), qPrintable(error));
    const TokenCheck check = verifier.verify(token);
    QVERIFY2(check.ok == accepted, qPrintable(check.error));
    if (!accepted) {
        QVERIFY(!check.error.isEmpty());
        QVERIFY2(check.error.contains(why, Qt::CaseInsensitive), qPrintable(check.error));
    }
}

void tst_TokenVerifier::claimsOfAValidToken()
{
    AuthConfig c;
    c.jwtSecret = QString::fromUtf8(kSecret);
    TokenVerifier verifier(c);
    QString error;
    QVERIFY(verifier.load(&error));
    QCOMPARE(verifier.algorithm(), QStringLiteral("HS256"));
    QJsonObject claims = testtokens::claims(QStringLiteral("bob"),
                                            QStringLiteral("telemetry:read  device:psu1:write"));
    claims.insert(QStringLiteral("exp"), 2000000000);
    const TokenCheck check = verifier.verify(testtokens::hmac("HS256", kSecret, claims), 1900000000);
    QVERIFY2(check.ok, qPrintable(check.error));
    QCOMPARE(check.claims.subject, QStringLiteral("bob"));
    QCOMPARE(check.claims.scopes, (QStringList{QStringLiteral("telemetry:read"),
                                               QStringLiteral("device:psu1:write")}));
    QCOMPARE(check.claims.acceptedUntil, 2000000000 + TokenVerifier::kLeewaySeconds);
}

void tst_TokenVerifier::leewayOnExpiry()
{
    AuthConfig c;
    c.jwtSecret = QString::fromUtf8(kSecret);
    TokenVerifier verifier(c);
    QString error;
    QVERIFY(verifier.load(&error));
    QJsonObject claims = testtokens::claims(QStringLiteral("bob"), QString());
    claims.insert(QStringLiteral("exp"), 1000);
    const QByteArray token = testtokens::hmac("HS256", kSecret, claims);
    QVERIFY(verifier.verify(token, 1000 + 29).ok);
    QVERIFY(!verifier.verify(token, 1000 + 30).ok);
}

void tst_TokenVerifier::badKeyFilesAreStartupErrors_data()
{
    QTest::addColumn<QString>("secret");
    QTest::addColumn<QString>("keyFile");
    QTest::addColumn<QString>("mention");
    QTest::addRow("missing file") << "" << m_dir.filePath(QStringLiteral("nope.pub")) << "nope.pub";
    QTest::addRow("a certificate, not a key") << "" << m_dir.filePath(QStringLiteral("cert.pem")) << "cert.pem";
    QTest::addRow("a P-384 key") << "" << m_dir.filePath(QStringLiteral("ec384.pub")) << "P-256";
    QTest::addRow("neither") << "" << "" << "exactly one";
    QTest::addRow("both") << "s" << m_dir.filePath(QStringLiteral("rsa.pub")) << "exactly one";
}

void tst_TokenVerifier::badKeyFilesAreStartupErrors()
{
    QFETCH(QString, secret);
    QFETCH(QString, keyFile);
    QFETCH(QString, mention);
    AuthConfig c;
    c.required = true;
    c.jwtSecret = secret;
    c.jwtPublicKeyFile = keyFile;
    TokenVerifier verifier(c);
    QString error;
    QVERIFY(!verifier.load(&error));
    QVERIFY2(error.contains(mention), qPrintable(error));
    QVERIFY(!verifier.verify(testtokens::hmac("none", {}, testtokens::claims(QStringLiteral("a"), {}))).ok);
}

QTEST_GUILESS_MAIN(tst_TokenVerifier)
#include "tst_tokenverifier.moc"
