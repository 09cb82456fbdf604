#include "net/handshake.h"

#include <QTest>

using namespace halhub;

Q_DECLARE_METATYPE(halhub::ParseStatus)

namespace {

QByteArray upgradeRequest(const QByteArray &target, const QByteArray &extraHeaders = {})
{
    return "GET " + target + " HTTP/1.1\r\n"
           "Host: 127.0.0.1:8001\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n";
}

HttpRequestHead parsed(const QByteArray &request)
{
    HttpRequestHead head;
    const ParseStatus status = parseRequestHead(request, &head);
    if (status != ParseStatus::Ok)
        qWarning("request did not parse: %s", request.constData());
    return head;
}

} // namespace

class TestHandshake : public QObject
{
    Q_OBJECT

private slots:
    void parseCompleteRequest();
    void parseIncrementally();
    void parseStatus_data();
    void parseStatus();
    void parseQueryAndAbsoluteForm();
    void repeatedHeadersAreJoined();

    void localOrigins_data();
    void localOrigins();
    void listedOrigins_data();
    void listedOrigins();
    void validAllowedOrigin_data();
    void validAllowedOrigin();

    void token_data();
    void token();

    void errorResponse();
    void errorResponseCannotInjectHeaders();
};

void TestHandshake::parseCompleteRequest()
{
    const QByteArray request =
        upgradeRequest("/ws/hardware", "Origin: http://localhost:3000\r\nX-Empty:\r\n");
    HttpRequestHead head;
    QCOMPARE(parseRequestHead(request, &head), ParseStatus::Ok);
    QCOMPARE(head.method, QByteArray("GET"));
    QCOMPARE(head.target, QByteArray("/ws/hardware"));
    QCOMPARE(head.url.path(), QStringLiteral("/ws/hardware"));
    QVERIFY(!head.url.hasQuery());
    // Names are looked up lower-cased whatever the client's spelling.
    QCOMPARE(head.headers.value("upgrade"), QByteArray("websocket"));
    QCOMPARE(head.headers.value("sec-websocket-version"), QByteArray("13"));
    QCOMPARE(head.headers.value("origin"), QByteArray("http://localhost:3000"));
    QVERIFY(head.headers.contains("x-empty"));
    QVERIFY(head.headers.value("x-empty").isEmpty());
    QVERIFY(!head.headers.contains("Upgrade"));
}

void TestHandshake::parseIncrementally()
{
    const QByteArray request = upgradeRequest("/ws/hardware?token=abc");
    // Every proper prefix is incomplete, never invalid: a request split across
    // TCP segments must not be refused.
    for (qsizetype n = 0; n < request.size(); ++n) {
        HttpRequestHead head;
        QCOMPARE(parseRequestHead(request.left(n), &head), ParseStatus::Incomplete);
    }
    HttpRequestHead head;
    QCOMPARE(parseRequestHead(request, &head), ParseStatus::Ok);
    QCOMPARE(head.url.path(), QStringLiteral("/ws/hardware"));
    // Bytes after the head (a first WebSocket frame sent eagerly) are not the head's.
    QCOMPARE(parseRequestHead(request + "\x81\x05hello", &head), ParseStatus::Ok);
}

void TestHandshake::parseStatus_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qsizetype>("maxBytes");
    QTest::addColumn<ParseStatus>("status");

    const qsizetype big = 16384;
    QTest::addRow("nothing yet") << QByteArray() << big << ParseStatus::Incomplete;
    QTest::addRow("request line only") << QByteArray("GET /ws/hardware HTTP/1.1\r\n") << big
                                       << ParseStatus::Incomplete;
    QTest::addRow("no blank line yet")
        << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << big << ParseStatus::Incomplete;
    QTest::addRow("minimal complete") << QByteArray("GET / HTTP/1.1\r\n\r\n") << big
                                      << ParseStatus::Ok;
    QTest::addRow("HTTP/1.0") << QByteArray("GET / HTTP/1.0\r\nHost: x\r\n\r\n") << big
                              << ParseStatus::Ok;

    const QByteArray exact = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::addRow("head exactly at the limit") << exact << exact.size() << ParseStatus::Ok;
    QTest::addRow("head one byte over the limit")
        << exact << exact.size() - 1 << ParseStatus::TooLarge;
    QTest::addRow("endless headers")
        << QByteArray("GET / HTTP/1.1\r\n" + QByteArray("X-Pad: ").append(20000, 'a'))
        << big << ParseStatus::TooLarge;

    QTest::addRow("binary garbage") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9)
                                    << big << ParseStatus::Invalid;
    QTest::addRow("text without a method")
        << QByteArray("hello there\r\n\r\n") << big << ParseStatus::Invalid;
    QTest::addRow("method too long to be one") << QByteArray(64, 'A') << big
                                               << ParseStatus::Invalid;
    QTest::addRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << big
                                    << ParseStatus::Invalid;
    QTest::addRow("two blanks in request line")
        << QByteArray("GET  / HTTP/1.1\r\n\r\n") << big << ParseStatus::Invalid;
    QTest::addRow("target not a path") << QByteArray("GET ws HTTP/1.1\r\n\r\n") << big
                                       << ParseStatus::Invalid;
    QTest::addRow("bad request line before the end of head")
        << QByteArray("GET / FTP/1.1\r\nHost") << big << ParseStatus::Invalid;
    QTest::addRow("header without colon")
        << QByteArray("GET / HTTP/1.1\r\nHost x\r\n\r\n") << big << ParseStatus::Invalid;
    QTest::addRow("blank before colon")
        << QByteArray("GET / HTTP/1.1\r\nHost : x\r\n\r\n") << big << ParseStatus::Invalid;
    QTest::addRow("folded header")
        << QByteArray("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n") << big << ParseStatus::Invalid;
    QTest::addRow("bare LF inside a header")
        << QByteArray("GET / HTTP/1.1\r\nX-A: 1\nX-B: 2\r\n\r\n") << big
        << ParseStatus::Invalid;
    QTest::addRow("NUL in a value")
        << QByteArray("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 29) << big << ParseStatus::Invalid;
}

void TestHandshake::parseStatus()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qsizetype, maxBytes);
    QFETCH(ParseStatus, status);
    HttpRequestHead head;
    QCOMPARE(parseRequestHead(bytes, &head, maxBytes), status);
}

void TestHandshake::parseQueryAndAbsoluteForm()
{
    const HttpRequestHead originForm = parsed(upgradeRequest("/ws/hardware?token=a%2Bb&x=1"));
    QCOMPARE(originForm.url.path(), QStringLiteral("/ws/hardware"));
    QCOMPARE(originForm.target, QByteArray("/ws/hardware?token=a%2Bb&x=1"));
    QVERIFY(originForm.url.hasQuery());

    const HttpRequestHead absolute =
        parsed(upgradeRequest("http://127.0.0.1:8001/ws/hardware?token=t"));
    QCOMPARE(absolute.url.path(), QStringLiteral("/ws/hardware"));
    QCOMPARE(extractToken(absolute), QStringLiteral("t"));

    // A different path stays different, so the caller can answer 404.
    const HttpRequestHead other = parsed(upgradeRequest("/ws/hardware2"));
    QVERIFY(other.url.path() != QStringLiteral("/ws/hardware"));
}

void TestHandshake::repeatedHeadersAreJoined()
{
    const HttpRequestHead head =
        parsed(upgradeRequest("/", "Origin: http://localhost\r\norigin: http://evil.example\r\n"));
    QCOMPARE(head.headers.value("origin"), QByteArray("http://localhost, http://evil.example"));
    // Two origins at once is not an origin: refused even on the loopback rule.
    QVERIFY(!isOriginAllowed(head.headers.value("origin"), {}));
}

void TestHandshake::localOrigins_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("allowed");

    QTest::addRow("localhost") << QByteArray("http://localhost") << true;
    QTest::addRow("localhost with port") << QByteArray("http://localhost:3000") << true;
    QTest::addRow("https localhost") << QByteArray("https://localhost:8443") << true;
    QTest::addRow("127.0.0.1") << QByteArray("http://127.0.0.1:8001") << true;
    QTest::addRow("IPv6 loopback") << QByteArray("http://[::1]:5173") << true;
    QTest::addRow("upper-case host") << QByteArray("HTTP://LocalHost:3000") << true;

    QTest::addRow("localhost as a subdomain") << QByteArray("http://localhost.evil.example")
                                              << false;
    QTest::addRow("loopback as a subdomain") << QByteArray("http://127.0.0.1.nip.io") << false;
    QTest::addRow("localhost as a suffix") << QByteArray("http://evillocalhost") << false;
    QTest::addRow("userinfo trick") << QByteArray("http://localhost@evil.example") << false;
    QTest::addRow("path trick") << QByteArray("http://evil.example/localhost") << false;
    QTest::addRow("other loopback address") << QByteArray("http://127.0.0.2") << false;
    QTest::addRow("trailing dot") << QByteArray("http://localhost.") << false;
    QTest::addRow("null origin") << QByteArray("null") << false;
    QTest::addRow("file scheme") << QByteArray("file://localhost") << false;
    QTest::addRow("websocket scheme") << QByteArray("ws://localhost") << false;
    QTest::addRow("empty") << QByteArray() << false;
    QTest::addRow("garbage") << QByteArray("\x01\xff not an origin") << false;
    QTest::addRow("port not a number") << QByteArray("http://localhost:abc") << false;
    QTest::addRow("port out of range") << QByteArray("http://localhost:70000") << false;
    QTest::addRow("remote site") << QByteArray("https://example.com") << false;
}

void TestHandshake::localOrigins()
{
    QFETCH(QByteArray, origin);
    QFETCH(bool, allowed);
    QCOMPARE(isOriginAllowed(origin, {}), allowed);
}

void TestHandshake::listedOrigins_data()
{
    QTest::addColumn<QStringList>("list");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("allowed");

    const QStringList app = {QStringLiteral("https://app.example.com"),
                             QStringLiteral("http://lab.local:8080")};
    QTest::addRow("exact match") << app << QByteArray("https://app.example.com") << true;
    QTest::addRow("explicit default https port")
        << app << QByteArray("https://app.example.com:443") << true;
    QTest::addRow("case-insensitive") << app << QByteArray("HTTPS://App.Example.COM") << true;
    QTest::addRow("non-default port listed") << app << QByteArray("http://lab.local:8080")
                                             << true;
    QTest::addRow("other port") << app << QByteArray("https://app.example.com:8443") << false;
    QTest::addRow("other scheme") << app << QByteArray("http://app.example.com") << false;
    QTest::addRow("listed port missing") << app << QByteArray("http://lab.local") << false;
    QTest::addRow("subdomain") << app << QByteArray("https://evil.app.example.com") << false;
    QTest::addRow("suffix") << app << QByteArray("https://app.example.com.evil.example")
                            << false;
    // A list replaces the loopback rule instead of adding to it.
    QTest::addRow("localhost not listed") << app << QByteArray("http://localhost:3000")
                                          << false;
    QTest::addRow("null with a list") << app << QByteArray("null") << false;

    const QStringList withPorts = {QStringLiteral("http://x.org:80"),
                                   QStringLiteral("HTTPS://Y.org:443/")};
    QTest::addRow("listed :80, sent without") << withPorts << QByteArray("http://x.org") << true;
    QTest::addRow("listed :443 with slash, sent without")
        << withPorts << QByteArray("https://y.org") << true;
    QTest::addRow("listed :80, sent :8080") << withPorts << QByteArray("http://x.org:8080")
                                            << false;

    const QStringList any = {QStringLiteral("*")};
    QTest::addRow("star allows remote") << any << QByteArray("https://anything.example") << true;
    QTest::addRow("star allows null") << any << QByteArray("null") << true;
    QTest::addRow("star among others")
        << QStringList{QStringLiteral("https://a.example"), QStringLiteral("*")}
        << QByteArray("https://b.example") << true;
}

void TestHandshake::listedOrigins()
{
    QFETCH(QStringList, list);
    QFETCH(QByteArray, origin);
    QFETCH(bool, allowed);
    QCOMPARE(isOriginAllowed(origin, list), allowed);
}

void TestHandshake::validAllowedOrigin_data()
{
    QTest::addColumn<QString>("entry");
    QTest::addColumn<bool>("valid");
    QTest::addRow("star") << QStringLiteral("*") << true;
    QTest::addRow("scheme and host") << QStringLiteral("https://example.com") << true;
    QTest::addRow("with port") << QStringLiteral("http://example.com:8080") << true;
    QTest::addRow("trailing slash") << QStringLiteral("http://example.com/") << true;
    QTest::addRow("IPv6") << QStringLiteral("http://[::1]:3000") << true;
    QTest::addRow("no scheme") << QStringLiteral("example.com") << false;
    QTest::addRow("host and port only") << QStringLiteral("localhost:3000") << false;
    QTest::addRow("with a path") << QStringLiteral("https://example.com/app") << false;
    QTest::addRow("wildcard subdomain") << QStringLiteral("https://*.example.com") << false;
    QTest::addRow("empty") << QString() << false;
}

void TestHandshake::validAllowedOrigin()
{
    QFETCH(QString, entry);
    QFETCH(bool, valid);
    QCOMPARE(isValidAllowedOrigin(entry), valid);
}

void TestHandshake::token_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QString>("token");

    const QByteArray jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_";
    QTest::addRow("none") << QByteArray("/ws/hardware") << QByteArray() << QString();
    QTest::addRow("header") << QByteArray("/ws/hardware")
                            << QByteArray("Authorization: Bearer " + jwt + "\r\n")
                            << QString::fromLatin1(jwt);
    QTest::addRow("scheme case-insensitive")
        << QByteArray("/ws/hardware") << QByteArray("authorization: bEaReR abc\r\n")
        << QStringLiteral("abc");
    QTest::addRow("base64 padding") << QByteArray("/ws/hardware")
                                    << QByteArray("Authorization: Bearer ab+/c==\r\n")
                                    << QStringLiteral("ab+/c==");
    QTest::addRow("query") << QByteArray("/ws/hardware?token=" + jwt) << QByteArray()
                           << QString::fromLatin1(jwt);
    QTest::addRow("query percent-decoded")
        << QByteArray("/ws/hardware?a=1&token=x%2By%20z%26w&b=2") << QByteArray()
        << QStringLiteral("x+y z&w");
    QTest::addRow("header wins over query")
        << QByteArray("/ws/hardware?token=fromquery")
        << QByteArray("Authorization: Bearer fromheader\r\n") << QStringLiteral("fromheader");
    QTest::addRow("basic header, no fallback")
        << QByteArray("/ws/hardware?token=fromquery")
        << QByteArray("Authorization: Basic dXNlcjpwYXNz\r\n") << QString();
    QTest::addRow("bearer without token, no fallback")
        << QByteArray("/ws/hardware?token=fromquery") << QByteArray("Authorization: Bearer\r\n")
        << QString();
    QTest::addRow("empty header, no fallback")
        << QByteArray("/ws/hardware?token=fromquery") << QByteArray("Authorization:\r\n")
        << QString();
    QTest::addRow("two tokens in header, no fallback")
        << QByteArray("/ws/hardware?token=fromquery")
        << QByteArray("Authorization: Bearer a b\r\n") << QString();
    QTest::addRow("repeated header, no fallback")
        << QByteArray("/ws/hardware?token=fromquery")
        << QByteArray("Authorization: Bearer a\r\nAuthorization: Bearer b\r\n") << QString();
    QTest::addRow("other parameter named like it")
        << QByteArray("/ws/hardware?tokens=x&my_token=y") << QByteArray() << QString();
}

void TestHandshake::token()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QFETCH(QString, token);
    HttpRequestHead head;
    QCOMPARE(parseRequestHead(upgradeRequest(target, headers), &head), ParseStatus::Ok);
    QCOMPARE(extractToken(head), token);
}

void TestHandshake::errorResponse()
{
    const QByteArray body = "origin not allowed\n";
    const QByteArray response = httpErrorResponse(403, "Forbidden", body);

    QVERIFY(response.startsWith("HTTP/1.1 403 Forbidden\r\n"));
    const qsizetype headEnd = response.indexOf("\r\n\r\n");
    QVERIFY(headEnd > 0);
    QCOMPARE(response.mid(headEnd + 4), body);
    const QByteArray head = response.left(headEnd).toLower();
    QVERIFY(head.contains("\r\ncontent-type: text/plain"));
    QVERIFY(head.contains("\r\ncontent-length: " + QByteArray::number(body.size())));
    QVERIFY(head.contains("\r\nconnection: close"));

    const QByteArray empty = httpErrorResponse(503, "Service Unavailable", {});
    QVERIFY(empty.startsWith("HTTP/1.1 503 Service Unavailable\r\n"));
    QVERIFY(empty.toLower().contains("content-length: 0\r\n"));
    QVERIFY(empty.endsWith("\r\n\r\n"));
}

void TestHandshake::errorResponseCannotInjectHeaders()
{
    const QByteArray response = httpErrorResponse(404, "Not Found\r\nSet-Cookie: x=1", "no");
    QVERIFY(!response.contains("\r\nSet-Cookie"));
    QVERIFY(response.startsWith("HTTP/1.1 404 Not Found"));
}

QTEST_GUILESS_MAIN(TestHandshake)
#include "tst_handshake.moc"
