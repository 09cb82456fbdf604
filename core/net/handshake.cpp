#include "net/handshake.h"

#include <QUrlQuery>

#include <optional>

namespace halhub {

namespace {

constexpr qsizetype kMaxMethodLength = 32;

bool isTokenChar(char c)
{
    // RFC 9110 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return false;
    for (const char c : bytes) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool isFieldValue(const QByteArray &bytes)
{
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

// Everything the peer sent before the first SP must be a method; a TLS
// ClientHello or other binary noise fails here at once.
bool plausibleMethodPrefix(const QByteArray &bytes)
{
    const qsizetype limit = qMin(bytes.size(), kMaxMethodLength + 1);
    for (qsizetype i = 0; i < limit; ++i) {
        if (bytes.at(i) == ' ')
            return i > 0;
        if (!isTokenChar(bytes.at(i)))
            return false;
    }
    return bytes.size() <= kMaxMethodLength;
}

bool startsWithNoCase(const QByteArray &bytes, const char *prefix)
{
    const QByteArray p(prefix);
    return bytes.size() >= p.size() && bytes.left(p.size()).toLower() == p;
}

// method SP target SP HTTP/1.x
bool parseRequestLine(const QByteArray &line, HttpRequestHead *out)
{
    const QList<QByteArray> parts = line.split(' ');
    if (parts.size() != 3)
        return false;
    const QByteArray &method = parts.at(0);
    const QByteArray &target = parts.at(1);
    const QByteArray &version = parts.at(2);
    if (!isToken(method) || method.size() > kMaxMethodLength)
        return false;
    if (version.size() != 8 || !version.startsWith("HTTP/1.") || version.at(7) < '0'
        || version.at(7) > '9')
        return false;
    if (target.isEmpty())
        return false;
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '#')
            return false;
    }

    QByteArray pathAndQuery;
    if (target.startsWith('/')) {
        pathAndQuery = target;
    } else if (startsWithNoCase(target, "http://") || startsWithNoCase(target, "https://")
               || startsWithNoCase(target, "ws://") || startsWithNoCase(target, "wss://")) {
        // absolute-form: keep what follows the authority
        const qsizetype authority = target.indexOf("://") + 3;
        qsizetype cut = target.size();
        for (qsizetype i = authority; i < target.size(); ++i) {
            if (target.at(i) == '/' || target.at(i) == '?') {
                cut = i;
                break;
            }
        }
        pathAndQuery = target.mid(cut);
        if (!pathAndQuery.startsWith('/'))
            pathAndQuery.prepend('/');
    } else if (target == "*" && method == "OPTIONS") {
        // asterisk-form: no path at all
    } else {
        return false;
    }

    QUrl url;
    if (!pathAndQuery.isEmpty()) {
        const qsizetype question = pathAndQuery.indexOf('?');
        const QByteArray path = question < 0 ? pathAndQuery : pathAndQuery.left(question);
        url.setPath(QString::fromLatin1(path), QUrl::StrictMode);
        if (question >= 0)
            url.setQuery(QString::fromLatin1(pathAndQuery.mid(question + 1)), QUrl::StrictMode);
        if (!url.isValid())
            return false;
    }

    out->method = method;
    out->target = target;
    out->url = url;
    return true;
}

bool parseHeaderLine(const QByteArray &line, QHash<QByteArray, QByteArray> *headers)
{
    // Folded continuation lines are obsolete and a smuggling vector: refuse.
    if (line.isEmpty() || line.at(0) == ' ' || line.at(0) == '\t')
        return false;
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return false;
    const QByteArray name = line.left(colon).toLower();
    // "Name : value" (blank before the colon) must be rejected (RFC 9112 5.1).
    if (!isToken(name))
        return false;
    const QByteArray value = line.mid(colon + 1).trimmed();
    if (!isFieldValue(value))
        return false;
    auto it = headers->find(name);
    if (it == headers->end())
        headers->insert(name, value);
    else
        *it += ", " + value;
    return true;
}

struct Origin
{
    QByteArray scheme;
    QByteArray host;
    int port = -1;   // the scheme's default when left out; -1 if none is known
};

int defaultPort(const QByteArray &scheme)
{
    if (scheme == "http" || scheme == "ws")
        return 80;
    if (scheme == "https" || scheme == "wss")
        return 443;
    return -1;
}

bool isHostChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~' || c == '%';
}

// scheme "://" host [ ":" port ], as a browser serialises an origin
// (RFC 6454). Anything else, "null" included, is not an origin we can match.
std::optional<Origin> parseOrigin(QByteArray text, bool allowTrailingSlash)
{
    text = text.trimmed().toLower();
    const qsizetype separator = text.indexOf("://");
    if (separator <= 0)
        return std::nullopt;
    Origin origin;
    origin.scheme = text.left(separator);
    if (!(origin.scheme.at(0) >= 'a' && origin.scheme.at(0) <= 'z'))
        return std::nullopt;
    for (const char c : origin.scheme) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-'
              || c == '.'))
            return std::nullopt;
    }

    QByteArray rest = text.mid(separator + 3);
    if (allowTrailingSlash && rest.endsWith('/'))
        rest.chop(1);
    if (rest.isEmpty())
        return std::nullopt;

    QByteArray afterHost;
    if (rest.startsWith('[')) {
        const qsizetype close = rest.indexOf(']');
        if (close < 2)
            return std::nullopt;
        for (const char c : rest.mid(1, close - 1)) {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'))
                return std::nullopt;
        }
        origin.host = rest.left(close + 1);
        afterHost = rest.mid(close + 1);
    } else {
        const qsizetype colon = rest.indexOf(':');
        origin.host = colon < 0 ? rest : rest.left(colon);
        afterHost = colon < 0 ? QByteArray() : rest.mid(colon);
        if (origin.host.isEmpty())
            return std::nullopt;
        for (const char c : std::as_const(origin.host)) {
            if (!isHostChar(c))
                return std::nullopt;
        }
    }

    origin.port = defaultPort(origin.scheme);
    if (!afterHost.isEmpty()) {
        const QByteArray digits = afterHost.mid(1);
        if (afterHost.at(0) != ':' || digits.isEmpty() || digits.size() > 5)
            return std::nullopt;
        for (const char c : digits) {
            if (c < '0' || c > '9')
                return std::nullopt;
        }
        const int port = digits.toInt();
        if (port > 65535)
            return std::nullopt;
        origin.port = port;
    }
    return origin;
}

bool isLocalOrigin(const Origin &origin)
{
    if (origin.scheme != "http" && origin.scheme != "https")
        return false;
    return origin.host == "localhost" || origin.host == "127.0.0.1" || origin.host == "[::1]";
}

// RFC 6750 b64token
bool isBearerToken(const QByteArray &token)
{
    qsizetype i = 0;
    for (; i < token.size(); ++i) {
        const char c = token.at(i);
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok)
            break;
    }
    if (i == 0)
        return false;
    for (; i < token.size(); ++i) {
        if (token.at(i) != '=')
            return false;
    }
    return true;
}

} // namespace

ParseStatus parseRequestHead(const QByteArray &bytes, HttpRequestHead *out, qsizetype maxBytes)
{
    if (!plausibleMethodPrefix(bytes))
        return ParseStatus::Invalid;

    const qsizetype lineEnd = bytes.indexOf("\r\n");
    HttpRequestHead head;
    if (lineEnd >= 0 && !parseRequestLine(bytes.left(lineEnd), &head))
        return ParseStatus::Invalid;

    const qsizetype end = bytes.indexOf("\r\n\r\n");
    if (end < 0)
        return bytes.size() >= maxBytes ? ParseStatus::TooLarge : ParseStatus::Incomplete;
    if (end + 4 > maxBytes)
        return ParseStatus::TooLarge;

    qsizetype pos = lineEnd + 2;
    while (pos < end + 2) {
        const qsizetype next = bytes.indexOf("\r\n", pos);
        if (!parseHeaderLine(bytes.mid(pos, next - pos), &head.headers))
            return ParseStatus::Invalid;
        pos = next + 2;
    }

    if (out)
        *out = head;
    return ParseStatus::Ok;
}

bool isOriginAllowed(const QByteArray &origin, const QStringList &allowedOrigins)
{
    const std::optional<Origin> parsed = parseOrigin(origin, false);
    if (allowedOrigins.isEmpty())
        return parsed && isLocalOrigin(*parsed);

    for (const QString &entry : allowedOrigins) {
        if (entry.trimmed() == QLatin1String("*"))
            return true;
        if (!parsed)
            continue;
        const std::optional<Origin> allowed = parseOrigin(entry.toUtf8(), true);
        if (allowed && allowed->scheme == parsed->scheme && allowed->host == parsed->host
            && allowed->port == parsed->port)
            return true;
    }
    return false;
}

bool isValidAllowedOrigin(const QString &entry)
{
    return entry.trimmed() == QLatin1String("*") || parseOrigin(entry.toUtf8(), true).has_value();
}

QString extractToken(const HttpRequestHead &head)
{
    const auto authorization = head.headers.constFind(QByteArrayLiteral("authorization"));
    if (authorization != head.headers.constEnd()) {
        const QByteArray &value = authorization.value();
        const qsizetype space = value.indexOf(' ');
        if (space <= 0 || value.left(space).toLower() != "bearer")
            return {};
        const QByteArray token = value.mid(space + 1).trimmed();
        if (!isBearerToken(token))
            return {};
        return QString::fromLatin1(token);
    }

    const QUrlQuery query(head.url);
    const QString key = QStringLiteral("token");
    if (!query.hasQueryItem(key))
        return {};
    return query.queryItemValue(key, QUrl::FullyDecoded);
}

QByteArray httpErrorResponse(int status, const QByteArray &reason, const QByteArray &body)
{
    // The reason ends up in the status line: a CR or LF in it would forge headers.
    QByteArray safeReason = reason;
    safeReason.replace('\r', ' ').replace('\n', ' ');
    QByteArray response;
    response += "HTTP/1.1 " + QByteArray::number(qBound(100, status, 599)) + ' ' + safeReason
        + "\r\n";
    response += "Content-Type: text/plain; charset=utf-8\r\n";
    response += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    response += "Connection: close\r\n";
    response += "\r\n";
    response += body;
    return response;
}

bool offersSubprotocol(const QByteArray &secWebSocketProtocol, const QByteArrayList &subprotocols)
{
    const QByteArrayList offered = secWebSocketProtocol.split(',');
    for (const QByteArray &p : offered) {
        if (subprotocols.contains(p.trimmed()))
            return true;
    }
    return false;
}

} // namespace halhub
