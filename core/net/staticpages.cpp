#include "net/staticpages.h"

#include "logging.h"
#include "net/handshake.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

namespace halhub {

namespace {

constexpr char kPagePath[] = "/";
constexpr char kAssetPrefix[] = "/ui/";
constexpr char kResourceDir[] = ":/web";
// index.html names the endpoint with this placeholder.
constexpr char kWsPathPlaceholder[] = "@HALHUB_WS_PATH@";

QByteArray contentTypeFor(const QString &fileName)
{
    static const QHash<QString, QByteArray> types = {
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("css"), "text/css; charset=utf-8"},
        {QStringLiteral("svg"), "image/svg+xml"},
        {QStringLiteral("png"), "image/png"},
        {QStringLiteral("json"), "application/json"},
    };
    return types.value(QFileInfo(fileName).suffix().toLower(), "application/octet-stream");
}

QByteArray htmlEscaped(const QString &text)
{
    return text.toHtmlEscaped().replace(QLatin1Char('\''), QLatin1String("&#39;")).toUtf8();
}

struct Response
{
    int status = 200;
    QByteArray reason = "OK";
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    qint64 contentLength = -1;   // -1: body.size()
    bool omitBody = false;       // HEAD, 304
};

QByteArray serialise(const Response &response)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + response.reason
        + "\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    const qint64 length = response.contentLength >= 0 ? response.contentLength
                                                      : response.body.size();
    if (response.status != 304)
        out += "Content-Length: " + QByteArray::number(length) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!response.omitBody)
        out += response.body;
    return out;
}

Response plain(int status, const QByteArray &reason, const QByteArray &body)
{
    Response response;
    response.status = status;
    response.reason = reason;
    response.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                        {"Cache-Control", "no-store"},
                        {"X-Content-Type-Options", "nosniff"}};
    response.body = body;
    return response;
}

bool etagMatches(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    for (QByteArray candidate : ifNoneMatch.split(',')) {
        candidate = candidate.trimmed();
        if (candidate.startsWith("W/"))
            candidate = candidate.mid(2);
        if (candidate == "*" || candidate == etag)
            return true;
    }
    return false;
}

// The path as sent (still percent-encoded), without the query.
QString rawPath(const HttpRequestHead &head)
{
    return head.url.path(QUrl::FullyEncoded);
}

} // namespace

StaticPages::StaticPages(const QString &webSocketPath)
{
    QDirIterator files(QString::fromLatin1(kResourceDir), QDir::Files);
    while (files.hasNext()) {
        const QString file = files.next();
        QFile resource(file);
        if (!resource.open(QIODevice::ReadOnly)) {
            qCWarning(lcNet) << "web monitor: cannot read" << file;
            continue;
        }
        const QString name = QFileInfo(file).fileName();
        Asset asset;
        asset.body = resource.readAll();
        asset.contentType = contentTypeFor(name);
        QString path = QString::fromLatin1(kAssetPrefix) + name;
        if (name == QLatin1String("index.html")) {
            asset.body.replace(kWsPathPlaceholder, htmlEscaped(webSocketPath));
            path = QString::fromLatin1(kPagePath);
        }
        asset.etag = '"' + QCryptographicHash::hash(asset.body, QCryptographicHash::Sha256)
                               .toHex().left(32) + '"';
        m_assets.insert(path, asset);
    }
    if (!m_assets.contains(QString::fromLatin1(kPagePath)))
        qCWarning(lcNet) << "web monitor: this build has no page; GET / answers 404";
}

bool StaticPages::isPageRequest(const HttpRequestHead &head)
{
    if (head.headers.contains("upgrade"))
        return false;
    const QString path = rawPath(head);
    return path == QLatin1String(kPagePath) || path.startsWith(QLatin1String(kAssetPrefix));
}

QByteArray StaticPages::respond(const HttpRequestHead &head) const
{
    const QString path = rawPath(head);
    // Assets are looked up by exact name, so nothing outside them can be
    // reached; a path that tries is still told so rather than "not found".
    // The target as sent is checked too: URL parsing may decode or fold.
    const qsizetype query = head.target.indexOf('?');
    const QByteArray sent = query < 0 ? head.target : head.target.left(query);
    const auto suspicious = [](const QByteArray &text) {
        return text.contains("..") || text.contains('%') || text.contains('\\');
    };
    if (suspicious(sent) || suspicious(path.toUtf8()) || path.contains(QLatin1String("//")))
        return serialise(plain(400, "Bad Request", "not a web monitor path\n"));

    const bool isHead = head.method == "HEAD";
    if (head.method != "GET" && !isHead) {
        Response response = plain(405, "Method Not Allowed", "only GET and HEAD here\n");
        response.headers.append(std::pair<QByteArray, QByteArray>("Allow", "GET, HEAD"));
        return serialise(response);
    }
    const auto found = m_assets.constFind(path);
    if (found == m_assets.cend())
        return serialise(plain(404, "Not Found", "no such web monitor file\n"));

    Response response;
    response.headers = {{"Content-Type", found->contentType},
                        // Revalidated on every load (304 while unchanged): a
                        // new halhub never runs with an old page's script.
                        {"Cache-Control", "no-cache"},
                        {"ETag", found->etag},
                        {"X-Content-Type-Options", "nosniff"},
                        // The page may carry ?token= in its address.
                        {"Referrer-Policy", "no-referrer"}};
    if (path == QLatin1String(kPagePath)) {
        response.headers.append(std::pair<QByteArray, QByteArray>(
            "Content-Security-Policy",
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"));
    }
    if (head.headers.contains("if-none-match")
        && etagMatches(head.headers.value("if-none-match"), found->etag)) {
        response.status = 304;
        response.reason = "Not Modified";
        response.omitBody = true;
        return serialise(response);
    }
    response.body = found->body;
    response.omitBody = isHead;
    return serialise(response);
}

} // namespace halhub
