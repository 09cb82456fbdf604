#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QHash>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace halhub {

// Checks made on the raw HTTP request before the WebSocket upgrade
// (docs/protocol.md section 1). Pure functions: no sockets, no state.

struct HttpRequestHead
{
    QByteArray method;
    QByteArray target;                      // as sent
    QUrl url;                               // path and query of the target
    QHash<QByteArray, QByteArray> headers;  // lower-cased names; repeats joined by ", "
};

enum class ParseStatus {
    Incomplete,   // no end of head yet (\r\n\r\n); read more
    Ok,
    Invalid,      // not an HTTP/1.x request head: answer 400
    TooLarge,     // head longer than maxBytes: answer 431
};

// bytes: what the peer has sent so far. Fails early on garbage (a TLS hello on
// a plain port, a malformed request line) instead of waiting for maxBytes.
ParseStatus parseRequestHead(const QByteArray &bytes, HttpRequestHead *out,
                             qsizetype maxBytes = 16384);

// origin: the Origin header's value (a request without one is allowed; that
// is the caller's decision). Empty allowedOrigins: only http(s) origins on
// localhost, 127.0.0.1 or [::1], any port. Otherwise exact origins, compared
// case-insensitively, a default port may be left out; "*" allows any.
bool isOriginAllowed(const QByteArray &origin, const QStringList &allowedOrigins);

// Whether an allowed_origins entry could ever match: "*" or
// scheme://host[:port] (a trailing "/" is tolerated).
bool isValidAllowedOrigin(const QString &entry);

// "Authorization: Bearer T" wins; a present but malformed Authorization
// header yields an empty token (no fallback); otherwise ?token=T, decoded.
QString extractToken(const HttpRequestHead &head);

// Whether a Sec-WebSocket-Protocol value ("a, b"; repeats joined) offers
// one of these subprotocols.
bool offersSubprotocol(const QByteArray &secWebSocketProtocol, const QByteArrayList &subprotocols);

// A complete HTTP/1.1 response that refuses the upgrade and closes.
QByteArray httpErrorResponse(int status, const QByteArray &reason, const QByteArray &body);

} // namespace halhub
