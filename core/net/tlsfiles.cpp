#include "net/tlsfiles.h"

#include <QByteArray>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace halhub {

namespace {

struct BioFree
{
    void operator()(BIO *bio) const { BIO_free(bio); }
};
struct X509Free
{
    void operator()(X509 *x509) const { X509_free(x509); }
};
struct KeyFree
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> memoryBio(const QByteArray &bytes)
{
    return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

// OpenSSL keeps its errors in a per-thread queue: take them all, so that
// none is left for whoever calls OpenSSL next on this thread (Qt's TLS).
QString takeOpenSslErrors()
{
    QString text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.isEmpty())
            text += QStringLiteral("; ");
        text += QString::fromLatin1(buffer);
    }
    return text.isEmpty() ? QStringLiteral("no reason given") : text;
}

} // namespace

bool isKeyOfCertificate(const QSslCertificate &certificate, const QSslKey &key, QString *why)
{
    ERR_clear_error();
    // Through PEM rather than Qt's native handles: Qt's TLS backend is a
    // plugin and need not be OpenSSL at all.
    const QByteArray certificatePem = certificate.toPem();
    const QByteArray keyPem = key.toPem();
    const auto certificateBio = memoryBio(certificatePem);
    const auto keyBio = memoryBio(keyPem);
    if (!certificateBio || !keyBio) {
        *why = QStringLiteral("out of memory: %1").arg(takeOpenSslErrors());
        return false;
    }
    const std::unique_ptr<X509, X509Free> x509(
        PEM_read_bio_X509(certificateBio.get(), nullptr, nullptr, nullptr));
    if (!x509) {
        *why = QStringLiteral("OpenSSL cannot read the certificate: %1").arg(takeOpenSslErrors());
        return false;
    }
    // An empty passphrase: the listener only takes unencrypted keys, and
    // OpenSSL must not prompt on the terminal for one.
    char emptyPassphrase[] = "";
    const std::unique_ptr<EVP_PKEY, KeyFree> privateKey(
        PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, emptyPassphrase));
    if (!privateKey) {
        *why = QStringLiteral("OpenSSL cannot read the key: %1").arg(takeOpenSslErrors());
        return false;
    }
    if (X509_check_private_key(x509.get(), privateKey.get()) != 1) {
        *why = takeOpenSslErrors();
        return false;
    }
    return true;
}

} // namespace halhub
