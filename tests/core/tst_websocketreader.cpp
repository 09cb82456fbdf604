#include "net/websocketreader.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QList>
#include <QTest>

using namespace halhub;

namespace {

using Kind = WebSocketReader::Event::Kind;

constexpr quint8 kFin = 0x80;
constexpr quint8 kContinuation = 0x0;
constexpr quint8 kText = 0x1;
constexpr quint8 kBinary = 0x2;
constexpr quint8 kClose = 0x8;
constexpr quint8 kPing = 0x9;
constexpr quint8 kPong = 0xA;

enum class Length { Shortest, Bits16, Bits64 };

struct FrameOptions
{
    bool masked = true;
    Length length = Length::Shortest;
    quint32 key = 0x9d3a61f5;
};

// A frame as a client writes it (RFC 6455 5.2): first byte as given (FIN,
// RSV and opcode), the mask bit, the length in the requested form, the key,
// and the payload XORed with the key.
QByteArray clientFrame(quint8 firstByte, const QByteArray &payload, FrameOptions options = {})
{
    QByteArray out;
    out.append(char(firstByte));
    const quint8 maskBit = options.masked ? 0x80 : 0x00;
    const auto size = quint64(payload.size());
    Length form = options.length;
    if (form == Length::Shortest)
        form = size < 126 ? Length::Shortest : size <= 0xffff ? Length::Bits16 : Length::Bits64;
    if (form == Length::Shortest) {
        out.append(char(maskBit | size));
    } else {
        const int bytes = form == Length::Bits16 ? 2 : 8;
        out.append(char(maskBit | (bytes == 2 ? 126 : 127)));
        for (int i = bytes - 1; i >= 0; --i)
            out.append(char(size >> (8 * i)));
    }
    if (!options.masked)
        return out + payload;
    const char key[4] = {char(options.key >> 24), char(options.key >> 16), char(options.key >> 8), char(options.key)};
    out.append(key, 4);
    QByteArray masked = payload;
    for (qsizetype i = 0; i < masked.size(); ++i)
        masked[i] = char(masked[i] ^ key[i % 4]);
    return out + masked;
}

QByteArray frame(quint8 opcode, const QByteArray &payload, bool fin = true)
{
    return clientFrame(quint8((fin ? kFin : 0) | opcode), payload);
}

QByteArray closePayload(int code, const QByteArray &reason = {})
{
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xff));
    return p + reason;
}

// Valid UTF-8 of exactly `size` bytes, with 1-, 2-, 3- and 4-byte code points.
QByteArray utf8Text(qsizetype size)
{
    static const QByteArray pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " xyz"};
    QByteArray out;
    out.reserve(size);
    for (int i = 0;; ++i) {
        const QByteArray &piece = pieces[i % 5];
        if (out.size() + piece.size() > size)
            break;
        out.append(piece);
    }
    return out.leftJustified(size, 'x');
}

QByteArray binaryBytes(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    quint32 x = 2463534242u;
    for (char &c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = char(x);
    }
    return out;
}

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Text: return "Text";
    case Kind::Binary: return "Binary";
    case Kind::Ping: return "Ping";
    case Kind::Pong: return "Pong";
    case Kind::Close: return "Close";
    case Kind::Error: return "Error";
    }
    return "?";
}

// One line per event, so that QCOMPARE shows what differs. Large payloads
// are named by their size and digest.
QString describe(const WebSocketReader::Event &e)
{
    QString s = QString::fromLatin1(kindName(e.kind));
    if (e.kind == Kind::Close || e.kind == Kind::Error)
        s += QLatin1Char(' ') + QString::number(e.closeCode);
    if (e.kind == Kind::Error)
        return s;
    if (e.payload.size() <= 40) {
        s += QLatin1Char(' ') + QString::fromLatin1(e.payload.toHex());
    } else {
        s += QStringLiteral(" %1 bytes %2").arg(e.payload.size()).arg(QString::fromLatin1(
            QCryptographicHash::hash(e.payload, QCryptographicHash::Sha1).toHex().left(12)));
    }
    return s;
}

QString expect(Kind kind, const QByteArray &payload = {}, int code = 0)
{
    WebSocketReader::Event e;
    e.kind = kind;
    e.payload = payload;
    e.closeCode = code;
    return describe(e);
}

QStringList drain(WebSocketReader &reader, QList<WebSocketReader::Event> *all = nullptr)
{
    QStringList out;
    WebSocketReader::Event e;
    while (reader.next(&e)) {
        out.append(describe(e));
        if (all)
            all->append(e);
    }
    return out;
}

// Feeds `stream` in pieces of `chunk` bytes (0: all at once), taking the
// events after each piece as an owner would.
QStringList readAll(const QByteArray &stream, qsizetype chunk, qint64 limit = 1 << 20,
                    QList<WebSocketReader::Event> *all = nullptr)
{
    WebSocketReader reader(limit);
    QStringList out;
    if (chunk <= 0)
        chunk = qMax<qsizetype>(stream.size(), 1);
    for (qsizetype at = 0; at < stream.size(); at += chunk) {
        reader.feed(stream.constData() + at, qMin(chunk, stream.size() - at));
        out += drain(reader, all);
    }
    return out;
}

} // namespace

class tst_WebSocketReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dataMessage_data();
    void dataMessage();
    void splitsGiveTheSameEvents_data();
    void splitsGiveTheSameEvents();
    void codePointSplitAcrossFragmentsAndFeeds();
    void controlFramesBetweenFragments();
    void nonMinimalLengthsAccepted_data();
    void nonMinimalLengthsAccepted();
    void protocolErrors_data();
    void protocolErrors();
    void invalidUtf8FailsBeforeTheFrameEnds();
    void close_data();
    void close();
    void inputAfterCloseIgnored();
    void sizeLimit_data();
    void sizeLimit();
    void nothingAfterAnError();
    void bufferedBytesAccounting();
    void largeMessageLeavesNothingBehind();
    void manySmallFramesInOneFeed();
};

void tst_WebSocketReader::dataMessage_data()
{
    QTest::addColumn<bool>("text");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("headerBytes");
    for (const bool text : {true, false}) {
        const char *kind = text ? "text" : "binary";
        QTest::addRow("%s, empty", kind) << text << 0 << 6;
        QTest::addRow("%s, 125 bytes (largest 7-bit length)", kind) << text << 125 << 6;
        QTest::addRow("%s, 126 bytes (smallest 16-bit length)", kind) << text << 126 << 8;
        QTest::addRow("%s, 65535 bytes (largest 16-bit length)", kind) << text << 65535 << 8;
        QTest::addRow("%s, 65536 bytes (smallest 64-bit length)", kind) << text << 65536 << 14;
        QTest::addRow("%s, 300000 bytes", kind) << text << 300000 << 14;
    }
}

void tst_WebSocketReader::dataMessage()
{
    QFETCH(bool, text);
    QFETCH(int, size);
    QFETCH(int, headerBytes);
    const QByteArray payload = text ? utf8Text(size) : binaryBytes(size);
    const QByteArray wire = frame(text ? kText : kBinary, payload);
    QCOMPARE(wire.size(), headerBytes + size);

    for (const qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(4093)}) {
        QList<WebSocketReader::Event> events;
        const QStringList got = readAll(wire, chunk, 1 << 20, &events);
        QCOMPARE(got, QStringList{expect(text ? Kind::Text : Kind::Binary, payload)});
        QCOMPARE(events.first().payload, payload);
    }
}

void tst_WebSocketReader::splitsGiveTheSameEvents_data()
{
    QTest::addColumn<int>("chunk");
    for (const int chunk : {0, 1, 2, 3, 5, 7, 13, 64, 1000})
        QTest::addRow("pieces of %d bytes", chunk) << chunk;
}

void tst_WebSocketReader::splitsGiveTheSameEvents()
{
    QFETCH(int, chunk);
    const QByteArray big = binaryBytes(70000);
    const QByteArray stream = frame(kText, "hello")
        + frame(kBinary, big)
        + frame(kPing, "are you there")
        + frame(kText, "gr\xc3\xbc", false) + frame(kContinuation, "\xc3\x9f", false)
        + frame(kPong, {}) + frame(kContinuation, " dich", true)
        + frame(kBinary, {})
        + frame(kClose, closePayload(1000, "done"));
    const QStringList expected = {
        expect(Kind::Text, "hello"),
        expect(Kind::Binary, big),
        expect(Kind::Ping, "are you there"),
        expect(Kind::Pong),
        expect(Kind::Text, "gr\xc3\xbc\xc3\x9f dich"),
        expect(Kind::Binary),
        expect(Kind::Close, "done", 1000),
    };
    QCOMPARE(readAll(stream, chunk), expected);
}

void tst_WebSocketReader::codePointSplitAcrossFragmentsAndFeeds()
{
    // U+1F600 (4 bytes) split 1+3, 2+2 and 3+1 between two fragments.
    const QByteArray smiley = "\xf0\x9f\x98\x80";
    for (int cut = 1; cut < 4; ++cut) {
        const QByteArray stream = frame(kText, "a" + smiley.left(cut), false)
            + frame(kContinuation, smiley.mid(cut) + "b");
        // Every cut of the stream into two feeds, including inside the
        // headers and inside the code point.
        for (qsizetype at = 0; at <= stream.size(); ++at) {
            WebSocketReader reader(1000);
            reader.feed(stream.constData(), at);
            QStringList got = drain(reader);
            reader.feed(stream.constData() + at, stream.size() - at);
            got += drain(reader);
            QCOMPARE(got, QStringList{expect(Kind::Text, "a" + smiley + "b")});
            QVERIFY(!reader.failed());
        }
    }
}

void tst_WebSocketReader::controlFramesBetweenFragments()
{
    const QByteArray stream = frame(kBinary, "one", false)
        + frame(kPing, "p1")
        + frame(kContinuation, "two", false)
        + frame(kPong, "p2")
        + frame(kPing, {})
        + frame(kContinuation, "three");
    const QStringList expected = {
        expect(Kind::Ping, "p1"),
        expect(Kind::Pong, "p2"),
        expect(Kind::Ping),
        expect(Kind::Binary, "onetwothree"),
    };
    QCOMPARE(readAll(stream, 0), expected);
    QCOMPARE(readAll(stream, 1), expected);

    // A ping is delivered as soon as it is complete, before the message ends.
    WebSocketReader reader(100);
    const QByteArray head = frame(kText, "abc", false) + frame(kPing, "now");
    reader.feed(head.constData(), head.size());
    QCOMPARE(drain(reader), QStringList{expect(Kind::Ping, "now")});
}

void tst_WebSocketReader::nonMinimalLengthsAccepted_data()
{
    QTest::addColumn<int>("length");
    QTest::addColumn<int>("size");
    QTest::addRow("5 bytes in a 16-bit length") << int(Length::Bits16) << 5;
    QTest::addRow("5 bytes in a 64-bit length") << int(Length::Bits64) << 5;
    QTest::addRow("300 bytes in a 64-bit length") << int(Length::Bits64) << 300;
}

void tst_WebSocketReader::nonMinimalLengthsAccepted()
{
    QFETCH(int, length);
    QFETCH(int, size);
    FrameOptions options;
    options.length = Length(length);
    const QByteArray payload = binaryBytes(size);
    const QByteArray stream = clientFrame(kFin | kBinary, payload, options) + frame(kPing, "after");
    const QStringList expected = {expect(Kind::Binary, payload), expect(Kind::Ping, "after")};
    QCOMPARE(readAll(stream, 0), expected);
    QCOMPARE(readAll(stream, 1), expected);
}

void tst_WebSocketReader::protocolErrors_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("code");
    // How many bytes of the stream make the error certain; -1: all of them.
    QTest::addColumn<int>("decidedAt");
    QTest::addColumn<qint64>("limit");

    const qint64 limit = 1000;
    FrameOptions unmasked;
    unmasked.masked = false;
    QTest::addRow("unmasked text") << clientFrame(kFin | kText, "hi", unmasked) << 1002 << 2 << limit;
    QTest::addRow("unmasked ping") << clientFrame(kFin | kPing, {}, unmasked) << 1002 << 2 << limit;
    QTest::addRow("unmasked continuation")
        << frame(kText, "a", false) + clientFrame(kFin | kContinuation, "b", unmasked) << 1002 << 9 << limit;
    QTest::addRow("RSV1") << clientFrame(kFin | 0x40 | kText, "x") << 1002 << 1 << limit;
    QTest::addRow("RSV2") << clientFrame(kFin | 0x20 | kBinary, "x") << 1002 << 1 << limit;
    QTest::addRow("RSV3") << clientFrame(kFin | 0x10 | kPing, "x") << 1002 << 1 << limit;
    for (const int opcode : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
        QTest::addRow("reserved opcode 0x%X", opcode) << clientFrame(quint8(kFin | opcode), "x") << 1002 << 1 << limit;

    QByteArray topBit = QByteArray::fromHex("82ff8000000000000001") + "abcd";
    QTest::addRow("64-bit length with the top bit set") << topBit << 1002 << 10 << limit;

    QTest::addRow("ping of 126 bytes") << frame(kPing, QByteArray(126, 'p')) << 1002 << 2 << limit;
    QTest::addRow("pong of 200 bytes") << frame(kPong, QByteArray(200, 'p')) << 1002 << 2 << limit;
    QTest::addRow("close of 126 bytes") << frame(kClose, closePayload(1000, QByteArray(124, 'r')))
                                        << 1002 << 2 << limit;
    QTest::addRow("ping without FIN") << frame(kPing, "x", false) << 1002 << 1 << limit;
    QTest::addRow("close without FIN") << frame(kClose, closePayload(1000), false) << 1002 << 1 << limit;

    QTest::addRow("continuation without a message") << frame(kContinuation, "x") << 1002 << 1 << limit;
    QTest::addRow("continuation after a finished message")
        << frame(kText, "done") + frame(kContinuation, "x") << 1002 << 11 << limit;
    QTest::addRow("text while a text message is in progress")
        << frame(kText, "ab", false) + frame(kText, "cd") << 1002 << 9 << limit;
    QTest::addRow("binary while a text message is in progress")
        << frame(kText, "ab", false) + frame(kBinary, "cd") << 1002 << 9 << limit;

    // Each invalid byte is refused where it stands (6 header bytes first).
    QTest::addRow("invalid lead byte 0x80") << frame(kText, "ab\x80xyz") << 1007 << 9 << limit;
    QTest::addRow("invalid lead byte 0xFF") << frame(kText, "ab\xffxyz") << 1007 << 9 << limit;
    QTest::addRow("invalid lead byte 0xF5") << frame(kText, "\xf5\x80\x80\x80") << 1007 << 7 << limit;
    QTest::addRow("overlong 2-byte (C0 80)") << frame(kText, "ab\xc0\x80yz") << 1007 << 9 << limit;
    QTest::addRow("overlong 2-byte (C1 BF)") << frame(kText, "\xc1\xbf") << 1007 << 7 << limit;
    QTest::addRow("overlong 3-byte (E0 80 80)") << frame(kText, "\xe0\x80\x80") << 1007 << 8 << limit;
    QTest::addRow("overlong 4-byte (F0 8F BF BF)") << frame(kText, "\xf0\x8f\xbf\xbf") << 1007 << 8 << limit;
    QTest::addRow("surrogate U+D800 (ED A0 80)") << frame(kText, "\xed\xa0\x80") << 1007 << 8 << limit;
    QTest::addRow("surrogate U+DFFF (ED BF BF)") << frame(kText, "\xed\xbf\xbf") << 1007 << 8 << limit;
    QTest::addRow("above U+10FFFF (F4 90 80 80)") << frame(kText, "\xf4\x90\x80\x80") << 1007 << 8 << limit;
    QTest::addRow("missing continuation byte") << frame(kText, "\xe2\x82x") << 1007 << 9 << limit;
    QTest::addRow("invalid byte in the second fragment")
        << frame(kText, "ok", false) + frame(kContinuation, "a\xc0") << 1007 << 16 << limit;
    QTest::addRow("text ends inside a code point") << frame(kText, "a\xe2\x82") << 1007 << -1 << limit;
    QTest::addRow("fragmented text ends inside a code point")
        << frame(kText, "a\xf0\x9f", false) + frame(kContinuation, "\x98") << 1007 << -1 << limit;

    QTest::addRow("close with 1 byte") << frame(kClose, "\x03") << 1002 << -1 << limit;
    for (const int code : {0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535})
        QTest::addRow("close code %d", code) << frame(kClose, closePayload(code, "r")) << 1002 << -1 << limit;
    QTest::addRow("close reason not UTF-8") << frame(kClose, closePayload(1000, "\xc3(")) << 1007 << -1 << limit;
    QTest::addRow("close reason ends inside a code point")
        << frame(kClose, closePayload(1000, "\xe2\x82")) << 1007 << -1 << limit;

    QTest::addRow("one frame over the limit (7-bit length)") << frame(kBinary, QByteArray(101, 'b')) << 1009 << 2
                                                             << qint64(100);
    QTest::addRow("one frame over the limit (16-bit length)") << frame(kText, QByteArray(1001, 't')) << 1009 << 4
                                                              << limit;
    QTest::addRow("fragments over the limit")
        << frame(kBinary, QByteArray(600, 'b'), false) + frame(kContinuation, QByteArray(401, 'b'))
        << 1009 << 612 << limit;
    QTest::addRow("2^63-1 bytes announced") << QByteArray::fromHex("82ff7fffffffffffffff") << 1009 << 10 << limit;
}

void tst_WebSocketReader::protocolErrors()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, code);
    QFETCH(int, decidedAt);
    QFETCH(qint64, limit);
    if (decidedAt < 0)
        decidedAt = int(stream.size());

    for (const qsizetype chunk : {qsizetype(0), qsizetype(1)}) {
        QList<WebSocketReader::Event> events;
        const QStringList got = readAll(stream, chunk, limit, &events);
        // Complete messages before the bad frame still come first.
        QVERIFY(!got.isEmpty());
        QCOMPARE(got.last(), expect(Kind::Error, {}, code));
        QCOMPARE(events.count(), got.size());
        for (qsizetype i = 0; i + 1 < events.size(); ++i)
            QVERIFY(events.at(i).kind != Kind::Error);
        const QString &why = events.last().error;
        QVERIFY(!why.isEmpty());
        QVERIFY2(why.toUtf8().size() <= 123, qPrintable(why));
    }

    // The error is reported as soon as the bytes that make it certain are
    // in, and not before.
    WebSocketReader reader(limit);
    reader.feed(stream.constData(), decidedAt - 1);
    QVERIFY(!drain(reader).contains(expect(Kind::Error, {}, code)));
    QVERIFY(!reader.failed());
    reader.feed(stream.constData() + decidedAt - 1, 1);
    const QStringList atDecision = drain(reader);
    QVERIFY(!atDecision.isEmpty());
    QCOMPARE(atDecision.last(), expect(Kind::Error, {}, code));
    QVERIFY(reader.failed());
    QCOMPARE(reader.bufferedBytes(), 0);
}

void tst_WebSocketReader::invalidUtf8FailsBeforeTheFrameEnds()
{
    // A 100000-byte text frame whose 10th byte is invalid: the error comes
    // with the first bytes, not after the whole payload has been buffered.
    QByteArray payload = utf8Text(100000);
    payload[9] = '\xff';
    const QByteArray wire = frame(kText, payload);
    WebSocketReader reader(1 << 20);
    reader.feed(wire.constData(), 14 + 64);
    QCOMPARE(drain(reader), QStringList{expect(Kind::Error, {}, 1007)});
    QCOMPARE(reader.bufferedBytes(), 0);
}

void tst_WebSocketReader::close_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addRow("no payload") << QByteArray() << 1005 << QByteArray();
    QTest::addRow("1000 without reason") << closePayload(1000) << 1000 << QByteArray();
    QTest::addRow("1000 with reason") << closePayload(1000, "bye") << 1000 << QByteArray("bye");
    QTest::addRow("1001 with a UTF-8 reason") << closePayload(1001, "tsch\xc3\xbcss \xf0\x9f\x91\x8b") << 1001
                                              << QByteArray("tsch\xc3\xbcss \xf0\x9f\x91\x8b");
    QTest::addRow("1003") << closePayload(1003) << 1003 << QByteArray();
    QTest::addRow("1007") << closePayload(1007) << 1007 << QByteArray();
    QTest::addRow("1011") << closePayload(1011, "oops") << 1011 << QByteArray("oops");
    QTest::addRow("3000") << closePayload(3000) << 3000 << QByteArray();
    QTest::addRow("4999 with the longest reason") << closePayload(4999, QByteArray(123, 'r')) << 4999
                                                  << QByteArray(123, 'r');
}

void tst_WebSocketReader::close()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    const QByteArray stream = frame(kClose, payload);
    for (const qsizetype chunk : {qsizetype(0), qsizetype(1)}) {
        QList<WebSocketReader::Event> events;
        QCOMPARE(readAll(stream, chunk, 1000, &events), QStringList{expect(Kind::Close, reason, code)});
        QCOMPARE(events.first().closeCode, code);
        QCOMPARE(events.first().payload, reason);
    }
}

void tst_WebSocketReader::inputAfterCloseIgnored()
{
    // Between the fragments of a message too: the message never completes.
    const QByteArray stream = frame(kText, "unfinished", false)
        + frame(kClose, closePayload(1001)) + frame(kContinuation, "!") + frame(kPing, "x");
    WebSocketReader reader(1000);
    reader.feed(stream.constData(), stream.size());
    QCOMPARE(drain(reader), QStringList{expect(Kind::Close, {}, 1001)});
    const QByteArray more = frame(kText, "late");
    reader.feed(more.constData(), more.size());
    QCOMPARE(drain(reader), QStringList());
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY(!reader.failed());
}

void tst_WebSocketReader::sizeLimit_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<bool>("accepted");
    const QByteArray k = binaryBytes(1000);
    QTest::addRow("one frame exactly at the limit") << frame(kBinary, k) << qint64(1000) << true;
    QTest::addRow("one frame one over") << frame(kBinary, k) << qint64(999) << false;
    QTest::addRow("fragments exactly at the limit")
        << frame(kText, utf8Text(600), false) + frame(kContinuation, utf8Text(400)) << qint64(1000) << true;
    QTest::addRow("fragments one over")
        << frame(kText, utf8Text(600), false) + frame(kContinuation, utf8Text(401)) << qint64(1000) << false;
    QTest::addRow("empty message, limit 0") << frame(kText, {}) << qint64(0) << true;
    QTest::addRow("one byte, limit 0") << frame(kText, "x") << qint64(0) << false;
    QTest::addRow("64 KiB exactly at the limit") << frame(kBinary, binaryBytes(65536)) << qint64(65536) << true;
    QTest::addRow("64 KiB + 1, limit 64 KiB") << frame(kBinary, binaryBytes(65537)) << qint64(65536) << false;
}

void tst_WebSocketReader::sizeLimit()
{
    QFETCH(QByteArray, stream);
    QFETCH(qint64, limit);
    QFETCH(bool, accepted);
    // Each message is measured alone: the same message twice is as good as once.
    const QStringList got = readAll(stream + stream, 0, limit);
    if (accepted) {
        QCOMPARE(got.size(), 2);
        QVERIFY(!got.first().startsWith(QLatin1String("Error")));
        QCOMPARE(got.last(), got.first());
    } else {
        QCOMPARE(got, QStringList{expect(Kind::Error, {}, 1009)});
    }
    // Control frames do not count against the limit.
    QCOMPARE(readAll(frame(kPing, QByteArray(125, 'p')), 0, limit),
             QStringList{expect(Kind::Ping, QByteArray(125, 'p'))});
}

void tst_WebSocketReader::nothingAfterAnError()
{
    FrameOptions unmasked;
    unmasked.masked = false;
    const QByteArray stream = frame(kText, "one") + frame(kPing, "p")
        + clientFrame(kFin | kText, "bad", unmasked) + frame(kText, "two") + frame(kClose, {});
    const QStringList expected = {
        expect(Kind::Text, "one"),
        expect(Kind::Ping, "p"),
        expect(Kind::Error, {}, 1002),
    };
    QCOMPARE(readAll(stream, 0), expected);
    QCOMPARE(readAll(stream, 1), expected);

    WebSocketReader reader(1000);
    reader.feed(stream.constData(), stream.size());
    QCOMPARE(drain(reader), expected);
    const QByteArray more = frame(kText, "three");
    reader.feed(more.constData(), more.size());
    WebSocketReader::Event e;
    QVERIFY(!reader.next(&e));
    QVERIFY(reader.failed());
    QCOMPARE(reader.bufferedBytes(), 0);
}

void tst_WebSocketReader::bufferedBytesAccounting()
{
    const QByteArray first = frame(kBinary, binaryBytes(100), false);
    const QByteArray second = frame(kContinuation, binaryBytes(50));
    WebSocketReader reader(1000);
    QCOMPARE(reader.bufferedBytes(), 0);

    reader.feed(first.constData(), 3);    // part of a header
    QCOMPARE(reader.bufferedBytes(), 3);
    reader.feed(first.constData() + 3, first.size() - 3);
    QCOMPARE(reader.bufferedBytes(), 100);    // the first fragment
    reader.feed(second.constData(), 6 + 20);
    QCOMPARE(reader.bufferedBytes(), 120);
    const QByteArray ping = frame(kPing, "abc");
    reader.feed(second.constData() + 26, second.size() - 26);
    reader.feed(ping.constData(), ping.size() - 1);
    QCOMPARE(reader.bufferedBytes(), 150 + 2);    // a message not taken yet, part of a ping

    WebSocketReader::Event e;
    QVERIFY(reader.next(&e));
    QCOMPARE(e.payload.size(), 150);
    QCOMPARE(reader.bufferedBytes(), 2);
    reader.feed(ping.constData() + ping.size() - 1, 1);
    QVERIFY(reader.next(&e));
    QCOMPARE(e.kind, Kind::Ping);
    QVERIFY(!reader.next(&e));
    QCOMPARE(reader.bufferedBytes(), 0);
}

void tst_WebSocketReader::largeMessageLeavesNothingBehind()
{
    // 300000 bytes arriving in reads of 1000 (as from a socket) and in
    // 3 fragments: the message is built in one buffer that ends exactly as
    // large as the message, and the reader keeps nothing once it is taken.
    const QByteArray text = utf8Text(300000);
    const QByteArray stream = frame(kText, text.left(100000), false)
        + frame(kContinuation, text.mid(100000, 100000), false) + frame(kContinuation, text.mid(200000));
    WebSocketReader reader(1 << 20);
    QList<WebSocketReader::Event> events;
    for (qsizetype at = 0; at < stream.size(); at += 1000) {
        reader.feed(stream.constData() + at, qMin<qsizetype>(1000, stream.size() - at));
        if (at + 1000 < stream.size())
            QVERIFY(reader.bufferedBytes() > 0);
    }
    QStringList got = drain(reader, &events);
    QCOMPARE(got, QStringList{expect(Kind::Text, text)});
    QCOMPARE(events.first().payload.capacity(), events.first().payload.size());
    QCOMPARE(reader.bufferedBytes(), 0);

    // The reader is as good as new: a small message after the big one.
    const QByteArray small = frame(kText, "next");
    reader.feed(small.constData(), small.size());
    QCOMPARE(drain(reader), QStringList{expect(Kind::Text, "next")});
    QCOMPARE(reader.bufferedBytes(), 0);
}

void tst_WebSocketReader::manySmallFramesInOneFeed()
{
    // 400000 frames in one buffer: a reader that moved the rest of its
    // buffer after each frame would need minutes instead of milliseconds.
    constexpr int count = 400000;
    QByteArray stream;
    stream.reserve(qsizetype(count) * 8);
    for (int i = 0; i < count; ++i)
        stream += frame(i % 2 ? kBinary : kText, QByteArray(1, char('a' + i % 26)));
    QElapsedTimer timer;
    timer.start();
    WebSocketReader reader(100);
    reader.feed(stream.constData(), stream.size());
    WebSocketReader::Event e;
    int n = 0;
    bool inOrder = true;
    while (reader.next(&e)) {
        inOrder = inOrder && e.payload == QByteArray(1, char('a' + n % 26))
            && e.kind == (n % 2 ? Kind::Binary : Kind::Text);
        ++n;
    }
    qInfo("%d frames read in %lld ms", count, timer.elapsed());
    QCOMPARE(n, count);
    QVERIFY(inOrder);
    QCOMPARE(reader.bufferedBytes(), 0);
    QVERIFY2(timer.elapsed() < 10000, "reading many small frames is not linear");
}

QTEST_GUILESS_MAIN(tst_WebSocketReader)
#include "tst_websocketreader.moc"
