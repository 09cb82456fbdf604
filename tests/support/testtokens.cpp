#include "testtokens.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QTemporaryDir>

#include <jwt.h>

#include <cstdlib>

namespace testtokens {

namespace {

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString run(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("openssl"), args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return QStringLiteral("openssl %1: %2").arg(args.join(QLatin1Char(' ')),
                                                     QString::fromLocal8Bit(p.readAll()));
    return {};
}

} // namespace

QJsonObject claims(const QString &sub, const QString &scope, qint64 expIn)
{
    QJsonObject c;
    c.insert(QStringLiteral("sub"), sub);
    c.insert(QStringLiteral("exp"), QDateTime::currentSecsSinceEpoch() + expIn);
    if (!scope.isNull())
        c.insert(QStringLiteral("scope"), scope);
    return c;
}

QByteArray hmac(const QByteArray &alg, const QByteArray &key, const QJsonObject &claims)
{
    QJsonObject header;
    header.insert(QStringLiteral("alg"), QString::fromLatin1(alg));
    header.insert(QStringLiteral("typ"), QStringLiteral("JWT"));
    const QByteArray input = b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    QByteArray signature;
    if (alg == "HS256")
        signature = QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256);
    else if (alg == "HS384")
        signature = QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha384);
    else if (alg == "HS512")
        signature = QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha512);
    return input + '.' + b64(signature);
}

QByteArray asymmetric(const QByteArray &alg, const QByteArray &privatePem, const QJsonObject &claims)
{
    jwt_t *jwt = nullptr;
    if (jwt_new(&jwt) != 0)
        return {};
    const QByteArray json = QJsonDocument(claims).toJson(QJsonDocument::Compact);
    QByteArray token;
    if (jwt_add_grants_json(jwt, json.constData()) == 0
        && jwt_set_alg(jwt, jwt_str_alg(alg.constData()),
                       reinterpret_cast<const unsigned char *>(privatePem.constData()),
                       int(privatePem.size())) == 0) {
        char *encoded = jwt_encode_str(jwt);
        token = QByteArray(encoded ? encoded : "");
        std::free(encoded);
    }
    jwt_free(jwt);
    return token;
}

QString makeKeys(const QTemporaryDir &dir)
{
    const QString d = dir.path();
    const QList<QStringList> steps = {
        {QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("RSA"),
         QStringLiteral("-pkeyopt"), QStringLiteral("rsa_keygen_bits:2048"),
         QStringLiteral("-out"), QStringLiteral("rsa.key")},
        {QStringLiteral("pkey"), QStringLiteral("-in"), QStringLiteral("rsa.key"),
         QStringLiteral("-pubout"), QStringLiteral("-out"), QStringLiteral("rsa.pub")},
        {QStringLiteral("ecparam"), QStringLiteral("-name"), QStringLiteral("prime256v1"),
         QStringLiteral("-genkey"), QStringLiteral("-noout"), QStringLiteral("-out"),
         QStringLiteral("ec.key")},
        {QStringLiteral("ec"), QStringLiteral("-in"), QStringLiteral("ec.key"),
         QStringLiteral("-pubout"), QStringLiteral("-out"), QStringLiteral("ec.pub")},
        {QStringLiteral("ecparam"), QStringLiteral("-name"), QStringLiteral("secp384r1"),
         QStringLiteral("-genkey"), QStringLiteral("-noout"), QStringLiteral("-out"),
         QStringLiteral("ec384.key")},
        {QStringLiteral("ec"), QStringLiteral("-in"), QStringLiteral("ec384.key"),
         QStringLiteral("-pubout"), QStringLiteral("-out"), QStringLiteral("ec384.pub")},
        {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
         QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"),
         QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"),
         QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
         QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1"),
         QStringLiteral("-keyout"), QStringLiteral("cert.key"), QStringLiteral("-out"),
         QStringLiteral("cert.pem")},
    };
    for (const QStringList &args : steps) {
        const QString error = run(d, args);
        if (!error.isEmpty())
            return error;
    }
    return {};
}

QByteArray readFile(const QString &name)
{
    QFile f(name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace testtokens
