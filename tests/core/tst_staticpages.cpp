// The web monitor's HTTP side (docs/protocol.md section 13): what GET / and
// /ui/ answer, what they refuse, and that the WebSocket listener answers
// them on its own port, in clear and over TLS, while upgrades go on as before.

#include "config/config.h"
#include "net/handshake.h"
#include "net/staticpages.h"
#include "net/websocketlistener.h"
#include "testtokens.h"

#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace halhub;

namespace {

std::optional<HttpRequestHead> tryParse(const QByteArray &request)
{
    HttpRequestHead head;
    if (parseRequestHead(request, &head) != ParseStatus::Ok)
        return std::nullopt;
    return head;
}

HttpRequestHead parse(const QByteArray &request)
{
    const std::optional<HttpRequestHead> head = tryParse(request);
    if (!head)
        qFatal("test request does not parse: %s", request.constData());
    return *head;
}

QByteArray request(const QByteArray &method, const QByteArray &target,
                   const QByteArray &extraHeaders = {})
{
    return method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n";
}

struct Answer
{
    int status = 0;
    QHash<QByteArray, QByteArray> headers;   // lower-cased names
    QByteArray body;
};

Answer split(const QByteArray &response)
{
    Answer answer;
    const qsizetype end = response.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = response.left(end).split('\n');
    answer.status = lines.value(0).split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        answer.headers.insert(line.left(colon).toLower(), line.mid(colon + 1).trimmed());
    }
    answer.body = response.mid(end + 4);
    return answer;
}

// One request on a fresh connection, read until the server closes it. The
// listener runs in this thread: the event loop turns while waiting.
QByteArray exchange(QTcpSocket &socket, quint16 port, const QByteArray &bytes)
{
    QByteArray response;
    QObject::connect(&socket, &QIODevice::readyRead, &socket,
                     [&socket, &response] { response += socket.readAll(); });
    auto *ssl = qobject_cast<QSslSocket *>(&socket);
    if (ssl) {
        QObject::connect(ssl, &QSslSocket::encrypted, ssl, [ssl, bytes] { ssl->write(bytes); });
        ssl->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    } else {
        QObject::connect(&socket, &QAbstractSocket::connected, &socket,
                         [&socket, bytes] { socket.write(bytes); });
        socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    }
    QTest::qWaitFor([&socket] { return socket.state() == QAbstractSocket::UnconnectedState; }, 5000);
    return response + socket.readAll();
}

} // namespace

class tst_StaticPages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void answers_data();
    void answers();
    void headIsGetWithoutBody();
    void etagRevalidates();
    void pageNamesTheEndpoint();
    void whichRequestsArePages_data();
    void whichRequestsArePages();
    void listenerServesThePage();
    void listenerServesThePageOverTls();
};

void tst_StaticPages::answers_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");

    const QByteArray js = "text/javascript; charset=utf-8";
    const QByteArray css = "text/css; charset=utf-8";
    const QByteArray text = "text/plain; charset=utf-8";
    QTest::addRow("the page") << QByteArray("GET") << QByteArray("/") << 200
                              << QByteArray("text/html; charset=utf-8");
    QTest::addRow("the page with ?token=") << QByteArray("GET") << QByteArray("/?token=a.b.c") << 200
                                           << QByteArray("text/html; charset=utf-8");
    QTest::addRow("the script") << QByteArray("GET") << QByteArray("/ui/app.js") << 200 << js;
    QTest::addRow("the style sheet") << QByteArray("GET") << QByteArray("/ui/style.css") << 200 << css;
    QTest::addRow("uPlot") << QByteArray("GET") << QByteArray("/ui/uPlot.iife.min.js") << 200 << js;
    QTest::addRow("uPlot's style sheet") << QByteArray("GET") << QByteArray("/ui/uPlot.min.css") << 200 << css;
    QTest::addRow("the icon") << QByteArray("GET") << QByteArray("/ui/halhub.svg") << 200
                              << QByteArray("image/svg+xml");
    QTest::addRow("absolute-form target") << QByteArray("GET")
                                          << QByteArray("http://127.0.0.1:8001/ui/app.js") << 200 << js;
    QTest::addRow("unknown asset") << QByteArray("GET") << QByteArray("/ui/nope.js") << 404 << text;
    QTest::addRow("no directory listing") << QByteArray("GET") << QByteArray("/ui/") << 404 << text;
    QTest::addRow("index.html is not an asset") << QByteArray("GET") << QByteArray("/ui/index.html")
                                                << 404 << text;
    QTest::addRow("dot-dot") << QByteArray("GET") << QByteArray("/ui/../ui/app.js") << 400 << text;
    QTest::addRow("dot-dot at the end") << QByteArray("GET") << QByteArray("/ui/..") << 400 << text;
    QTest::addRow("encoded dots") << QByteArray("GET") << QByteArray("/ui/%2e%2e/etc/passwd") << 400 << text;
    QTest::addRow("encoded upper-case dots") << QByteArray("GET") << QByteArray("/ui/%2E%2E/x") << 400 << text;
    QTest::addRow("encoded slash") << QByteArray("GET") << QByteArray("/ui/..%2fapp.js") << 400 << text;
    QTest::addRow("encoded name") << QByteArray("GET") << QByteArray("/ui/app%2ejs") << 400 << text;
    // The listener's head parser already answers this one with 400.
    QTest::addRow("backslash") << QByteArray("GET") << QByteArray("/ui/..\\app.js") << 400 << text;
    QTest::addRow("encoded backslash") << QByteArray("GET") << QByteArray("/ui/a%5cb") << 400 << text;
    QTest::addRow("POST") << QByteArray("POST") << QByteArray("/") << 405 << text;
    QTest::addRow("PUT an asset") << QByteArray("PUT") << QByteArray("/ui/app.js") << 405 << text;
    QTest::addRow("DELETE") << QByteArray("DELETE") << QByteArray("/ui/app.js") << 405 << text;
}

void tst_StaticPages::answers()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);

    const StaticPages pages(QStringLiteral("/ws/hardware"));
    const std::optional<HttpRequestHead> head = tryParse(request(method, target));
    if (!head) {
        QCOMPARE(status, 400);
        return;
    }
    QVERIFY(StaticPages::isPageRequest(*head));
    const Answer answer = split(pages.respond(*head));
    QCOMPARE(answer.status, status);
    QCOMPARE(answer.headers.value("content-type"), contentType);
    QCOMPARE(answer.headers.value("content-length").toLongLong(), answer.body.size());
    QCOMPARE(answer.headers.value("connection"), QByteArray("close"));
    QCOMPARE(answer.headers.value("x-content-type-options"), QByteArray("nosniff"));
    if (status == 200) {
        QVERIFY(!answer.body.isEmpty());
        QCOMPARE(answer.headers.value("cache-control"), QByteArray("no-cache"));
        QVERIFY(answer.headers.value("etag").startsWith('"'));
    }
    if (status == 405)
        QCOMPARE(answer.headers.value("allow"), QByteArray("GET, HEAD"));
}

void tst_StaticPages::headIsGetWithoutBody()
{
    const StaticPages pages(QStringLiteral("/ws/hardware"));
    for (const QByteArray target : {QByteArray("/"), QByteArray("/ui/uPlot.iife.min.js")}) {
        const Answer get = split(pages.respond(parse(request("GET", target))));
        const Answer head = split(pages.respond(parse(request("HEAD", target))));
        QCOMPARE(head.status, 200);
        QVERIFY(head.body.isEmpty());
        QCOMPARE(head.headers, get.headers);
        QCOMPARE(head.headers.value("content-length").toLongLong(), get.body.size());
    }
    const Answer missing = split(pages.respond(parse(request("HEAD", "/ui/nope.css"))));
    QCOMPARE(missing.status, 404);
}

void tst_StaticPages::etagRevalidates()
{
    const StaticPages pages(QStringLiteral("/ws/hardware"));
    const Answer first = split(pages.respond(parse(request("GET", "/ui/app.js"))));
    const QByteArray etag = first.headers.value("etag");
    const Answer again = split(pages.respond(
        parse(request("GET", "/ui/app.js", "If-None-Match: " + etag + "\r\n"))));
    QCOMPARE(again.status, 304);
    QVERIFY(again.body.isEmpty());
    QCOMPARE(again.headers.value("etag"), etag);
    const Answer stale = split(pages.respond(
        parse(request("GET", "/ui/app.js", "If-None-Match: \"0123\"\r\n"))));
    QCOMPARE(stale.status, 200);
    QCOMPARE(stale.body, first.body);
    const Answer page = split(pages.respond(parse(request("GET", "/"))));
    QVERIFY(page.headers.value("etag") != etag);
    QVERIFY(page.headers.value("content-security-policy").contains("default-src 'self'"));
    QCOMPARE(page.headers.value("referrer-policy"), QByteArray("no-referrer"));
}

void tst_StaticPages::pageNamesTheEndpoint()
{
    const StaticPages pages(QStringLiteral("/lab/\"ws\"&<x>"));
    const Answer page = split(pages.respond(parse(request("GET", "/"))));
    QVERIFY(page.body.contains("content=\"/lab/&quot;ws&quot;&amp;&lt;x&gt;\""));
    QVERIFY(!page.body.contains("@HALHUB_WS_PATH@"));
}

void tst_StaticPages::whichRequestsArePages_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("page");

    QTest::addRow("GET /") << request("GET", "/") << true;
    QTest::addRow("GET /ui/x") << request("GET", "/ui/x") << true;
    QTest::addRow("POST /") << request("POST", "/") << true;
    QTest::addRow("an upgrade on /") << request("GET", "/", "Upgrade: websocket\r\nConnection: Upgrade\r\n")
                                     << false;
    QTest::addRow("the endpoint") << request("GET", "/ws/hardware") << false;
    QTest::addRow("another path") << request("GET", "/favicon.ico") << false;
    QTest::addRow("/ui without slash") << request("GET", "/ui") << false;
    QTest::addRow("/uix/") << request("GET", "/uix/app.js") << false;
}

void tst_StaticPages::whichRequestsArePages()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, page);
    QCOMPARE(StaticPages::isPageRequest(parse(request)), page);
}

void tst_StaticPages::listenerServesThePage()
{
    ServerConfig config;
    config.port = 0;
    WebSocketListener listener(config);
    QString error;
    QVERIFY2(listener.listen(&error), qPrintable(error));

    QTcpSocket page;
    const Answer answer = split(exchange(page, listener.port(), request("GET", "/")));
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.body.startsWith("<!DOCTYPE html>"));
    QVERIFY(answer.body.contains("content=\"/ws/hardware\""));

    QTcpSocket script;
    QCOMPARE(split(exchange(script, listener.port(), request("HEAD", "/ui/app.js"))).status, 200);

    // Paths that are not the pages keep their 404, and an upgrade on / is
    // no page request.
    QTcpSocket other;
    QCOMPARE(split(exchange(other, listener.port(), request("GET", "/favicon.ico"))).status, 404);
    QTcpSocket upgrade;
    QCOMPARE(split(exchange(upgrade, listener.port(),
                            request("GET", "/", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                "Sec-WebSocket-Version: 13\r\n")))
                 .status,
             404);

    // While shutting down the pages are refused like everything else.
    listener.setShuttingDown(true);
    QTcpSocket late;
    QCOMPARE(split(exchange(late, listener.port(), request("GET", "/"))).status, 503);
}

void tst_StaticPages::listenerServesThePageOverTls()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString keysError = testtokens::makeKeys(dir);
    QVERIFY2(keysError.isEmpty(), qPrintable(keysError));
    ServerConfig config;
    config.port = 0;
    config.tls = TlsConfig{dir.filePath(QStringLiteral("cert.pem")), dir.filePath(QStringLiteral("cert.key"))};
    WebSocketListener listener(config);
    QString error;
    QVERIFY2(listener.listen(&error), qPrintable(error));

    QSslSocket socket;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(dir.filePath(QStringLiteral("cert.pem"))));
    socket.setSslConfiguration(ssl);
    const Answer answer = split(exchange(socket, listener.port(), request("GET", "/ui/uPlot.min.css")));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.headers.value("content-type"), QByteArray("text/css; charset=utf-8"));
    QCOMPARE(answer.headers.value("content-length").toLongLong(), answer.body.size());
    QVERIFY(answer.body.contains(".uplot"));
}

QTEST_GUILESS_MAIN(tst_StaticPages)
#include "tst_staticpages.moc"
