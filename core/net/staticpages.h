#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace halhub {

struct HttpRequestHead;

// The web monitor (docs/protocol.md section 13): its page and assets,
// compiled into halhub from resources/web (qrc prefix /web), answered on the
// WebSocket listener's own port. GET / is the page, GET /ui/NAME an asset;
// HEAD as GET without the body; any other method 405. A path under /ui/
// holding "..", a percent sign or a backslash is refused with 400 before
// any lookup; a name that is not an asset gets 404. Every answer closes the
// connection. Pure: no sockets, no state beyond the files read at start.
class StaticPages
{
public:
    // webSocketPath (server.path) is written into the page, so that it
    // connects to the endpoint this server has.
    explicit StaticPages(const QString &webSocketPath);

    // Whether the request is for the pages: a request without an Upgrade
    // header for / or a path under /ui/.
    static bool isPageRequest(const HttpRequestHead &head);

    // The complete HTTP/1.1 response to a request isPageRequest accepted.
    QByteArray respond(const HttpRequestHead &head) const;

    // The number of assets served (the page included).
    qsizetype assetCount() const { return m_assets.size(); }

private:
    struct Asset
    {
        QByteArray body;
        QByteArray contentType;
        QByteArray etag;   // quoted
    };
    QHash<QString, Asset> m_assets;   // by request path
};

} // namespace halhub
