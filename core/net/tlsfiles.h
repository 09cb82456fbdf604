#pragma once

class QSslCertificate;
class QSslKey;
class QString;

namespace halhub {

// Whether `key` is the private key of `certificate`'s public key, as
// OpenSSL's X509_check_private_key sees it. Qt's TLS classes hold the two
// without comparing them, and a pair that does not belong together only
// shows at the first handshake, as a failure on the client's side.
// False, with *why set, when they differ or OpenSSL cannot read either.
bool isKeyOfCertificate(const QSslCertificate &certificate, const QSslKey &key, QString *why);

} // namespace halhub
