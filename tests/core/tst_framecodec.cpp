#include "protocol/framecodec.h"
#include "protocol/json.h"
#include "protocol/msgpack.h"
#include "protocolvalues.h"

#include <QElapsedTimer>
#include <QTest>

#include <limits>

using namespace halhub;
using Status = DecodedFrame::Status;

Q_DECLARE_METATYPE(halhub::DecodedFrame::Status)
Q_DECLARE_METATYPE(halhub::Encoding)

class TestFrameCodec : public QObject
{
    Q_OBJECT

private slots:
    void decodesText_data();
    void decodesText();
    void decodesBinary_data();
    void decodesBinary();
    void zipBombStopsAtTheLimit();
    void inflateHelper_data();
    void inflateHelper();
    void deflateWritesZlibStreams();
    void compressionThreshold_data();
    void compressionThreshold();
    void encodedFramesDecode_data();
    void encodedFramesDecode();
};

static constexpr qsizetype kLimit = 65536;

static QByteArray hex(const char *h)
{
    return QByteArray::fromHex(h);
}

static QVariantMap ping()
{
    return {{QStringLiteral("type"), QStringLiteral("ping")}, {QStringLiteral("t"), 1.5}};
}

static QByteArray frame(char header, const QByteArray &payload)
{
    return QByteArray(1, header) + payload;
}

void TestFrameCodec::decodesText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qsizetype>("maxBytes");
    QTest::addColumn<Status>("status");

    const QByteArray pingText = R"({"type":"ping","t":1.5})";
    QTest::addRow("object") << pingText << kLimit << Status::Ok;
    QTest::addRow("exactly at the limit") << pingText << pingText.size() << Status::Ok;
    QTest::addRow("one byte over the limit") << pingText << pingText.size() - 1 << Status::TooLarge;
    QTest::addRow("over the limit even if garbage") << QByteArray(100, 'x') << qsizetype(50)
                                                    << Status::TooLarge;
    QTest::addRow("array is not a message") << QByteArray("[1]") << kLimit << Status::Invalid;
    QTest::addRow("number is not a message") << QByteArray("1") << kLimit << Status::Invalid;
    QTest::addRow("string is not a message") << QByteArray("\"ping\"") << kLimit << Status::Invalid;
    QTest::addRow("null is not a message") << QByteArray("null") << kLimit << Status::Invalid;
    QTest::addRow("empty text") << QByteArray() << kLimit << Status::Invalid;
    QTest::addRow("garbage") << QByteArray("hello") << kLimit << Status::Invalid;
    QTest::addRow("truncated") << QByteArray(R"({"type":"pi)") << kLimit << Status::Invalid;
    QTest::addRow("NaN value") << QByteArray(R"({"type":"ping","t":NaN})") << kLimit << Status::Invalid;
    QTest::addRow("lone surrogate") << QByteArray(R"({"type":"\ud800"})") << kLimit << Status::Invalid;
    QTest::addRow("invalid UTF-8") << QByteArray("{\"type\":\"\xff\"}") << kLimit << Status::Invalid;
    QTest::addRow("65 deep") << QByteArray("{\"a\":") + halhub::testing::nestedJsonArrays(64) + "}"
                             << kLimit << Status::Invalid;
    QTest::addRow("64 deep") << QByteArray("{\"a\":") + halhub::testing::nestedJsonArrays(63) + "}"
                             << kLimit << Status::Ok;
    QTest::addRow("100000 open brackets") << QByteArray(100000, '[') << qsizetype(1 << 20)
                                          << Status::Invalid;
}

void TestFrameCodec::decodesText()
{
    QFETCH(QByteArray, text);
    QFETCH(qsizetype, maxBytes);
    QFETCH(Status, status);
    const DecodedFrame decoded = framecodec::decodeText(text, maxBytes);
    QCOMPARE(decoded.status, status);
    if (status == Status::Ok) {
        QVariant expected;
        QVERIFY(json::parse(text, &expected, nullptr));
        COMPARE_VALUE(QVariant(decoded.message), expected);
    } else {
        QVERIFY(!decoded.error.isEmpty());
        QVERIFY(decoded.message.isEmpty());
    }
}

void TestFrameCodec::decodesBinary_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qsizetype>("maxBytes");
    QTest::addColumn<Status>("status");
    QTest::addColumn<QVariantMap>("expected");

    const QByteArray packed = msgpack::write(ping());
    const QByteArray text = json::write(ping());
    // Compressed by another zlib user (level 9 and level 1), not by our deflate().
    const QByteArray clientJson = hex("78daab562aa92c4855b2522ac8cc4b57d2512a51b232d433ad0500589b06dd");
    const QByteArray clientMsgPack = hex("78016b5a52525990baa420332f7d61c969fb1f0c60000075a40852");

    QTest::addRow("0x00 MessagePack") << frame(0x00, packed) << kLimit << Status::Ok << ping();
    QTest::addRow("0x01 zlib MessagePack") << frame(0x01, framecodec::deflate(packed)) << kLimit
                                           << Status::Ok << ping();
    QTest::addRow("0x02 zlib JSON") << frame(0x02, framecodec::deflate(text)) << kLimit << Status::Ok << ping();
    QTest::addRow("0x02 from another zlib") << frame(0x02, clientJson) << kLimit << Status::Ok << ping();
    QTest::addRow("0x01 from another zlib") << frame(0x01, clientMsgPack) << kLimit << Status::Ok << ping();

    QTest::addRow("empty frame") << QByteArray() << kLimit << Status::Invalid << ping();
    QTest::addRow("header only, 0x00") << frame(0x00, {}) << kLimit << Status::Invalid << ping();
    QTest::addRow("header only, 0x01") << frame(0x01, {}) << kLimit << Status::Invalid << ping();
    QTest::addRow("header only, 0x02") << frame(0x02, {}) << kLimit << Status::Invalid << ping();
    QTest::addRow("header 0x03") << frame(0x03, packed) << kLimit << Status::Invalid << ping();
    QTest::addRow("header 0xff") << frame(char(0xff), packed) << kLimit << Status::Invalid << ping();
    QTest::addRow("JSON text sent as binary") << text << kLimit << Status::Invalid << ping();
    QTest::addRow("0x00 with a MessagePack array") << frame(0x00, hex("9101")) << kLimit
                                                    << Status::Invalid << ping();
    QTest::addRow("0x00 with a MessagePack string") << frame(0x00, hex("a161")) << kLimit
                                                     << Status::Invalid << ping();
    QTest::addRow("0x00 truncated") << frame(0x00, packed.left(packed.size() - 1)) << kLimit
                                    << Status::Invalid << ping();
    QTest::addRow("0x00 trailing byte") << frame(0x00, packed + hex("c0")) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x00 garbage") << frame(0x00, hex("c1c1c1")) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x00 with bin") << frame(0x00, hex("81a474797065c40170")) << kLimit
                                   << Status::Invalid << ping();
    QTest::addRow("0x00 with a NaN") << frame(0x00, hex("82a474797065a470696e67a174cb7ff8000000000000"))
                                     << kLimit << Status::Invalid << ping();
    QTest::addRow("0x01 not zlib") << frame(0x01, packed) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 not zlib") << frame(0x02, text) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 truncated zlib") << frame(0x02, clientJson.left(clientJson.size() - 6))
                                         << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 bad checksum") << frame(0x02, clientJson.left(clientJson.size() - 1) + "\x00")
                                       << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 bytes after the stream") << frame(0x02, clientJson + "x") << kLimit
                                                 << Status::Invalid << ping();
    QTest::addRow("0x02 raw deflate without zlib header") << frame(0x02, clientJson.mid(2, clientJson.size() - 6))
                                                          << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 gzip") << frame(0x02, hex("1f8b0800000000000203ab562aa92c4855b2522ac8cc4b57d2512a51b232d433ad050022d7040d17000000"))
                               << kLimit << Status::Invalid << ping();
    QTest::addRow("0x01 holding JSON") << frame(0x01, clientJson) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 holding MessagePack") << frame(0x02, clientMsgPack) << kLimit << Status::Invalid << ping();
    QTest::addRow("0x02 holding a JSON array") << frame(0x02, framecodec::deflate("[1,2]")) << kLimit
                                               << Status::Invalid << ping();
    QTest::addRow("0x02 holding invalid UTF-8")
        << frame(0x02, framecodec::deflate("{\"type\":\"\xc0\xaf\"}")) << kLimit << Status::Invalid << ping();

    QTest::addRow("frame at the limit") << frame(0x00, packed) << packed.size() + 1 << Status::Ok << ping();
    QTest::addRow("frame over the limit") << frame(0x00, packed) << packed.size() << Status::TooLarge << ping();
    QTest::addRow("garbage over the limit") << frame(0x07, QByteArray(200, 'x')) << qsizetype(100)
                                            << Status::TooLarge << ping();
    QVariantMap paddedPing = ping();
    paddedPing.insert(QStringLiteral("pad"), QString(5000, QLatin1Char('a')));
    const QByteArray padded = json::write(paddedPing);
    const QByteArray paddedPacked = msgpack::write(paddedPing);
    QTest::addRow("JSON inflated exactly at the limit")
        << frame(0x02, framecodec::deflate(padded)) << padded.size() << Status::Ok << paddedPing;
    QTest::addRow("JSON inflated one byte over the limit")
        << frame(0x02, framecodec::deflate(padded)) << padded.size() - 1 << Status::TooLarge << paddedPing;
    QTest::addRow("MessagePack inflated exactly at the limit")
        << frame(0x01, framecodec::deflate(paddedPacked)) << paddedPacked.size() << Status::Ok << paddedPing;
    QTest::addRow("MessagePack inflated one byte over the limit")
        << frame(0x01, framecodec::deflate(paddedPacked)) << paddedPacked.size() - 1 << Status::TooLarge
        << paddedPing;
    QTest::addRow("small frame inflating past the limit")
        << frame(0x02, framecodec::deflate(padded)) << qsizetype(4096) << Status::TooLarge << ping();
}

void TestFrameCodec::decodesBinary()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qsizetype, maxBytes);
    QFETCH(Status, status);
    QFETCH(QVariantMap, expected);
    const DecodedFrame decoded = framecodec::decodeBinary(bytes, maxBytes);
    QVERIFY2(decoded.status == status, qPrintable(decoded.error));
    if (status == Status::Ok)
        COMPARE_VALUE(QVariant(decoded.message), QVariant(expected));
    else
        QVERIFY(!decoded.error.isEmpty());
}

void TestFrameCodec::zipBombStopsAtTheLimit()
{
    // 100 MB of zeros squeeze into about 100 KB of zlib.
    const qsizetype bombSize = 100 * 1000 * 1000;
    const QByteArray bomb = framecodec::deflate(QByteArray(bombSize, '\0'));
    QVERIFY(bomb.size() < 200 * 1000);

    QElapsedTimer timer;
    timer.start();
    for (char header : {char(0x01), char(0x02)}) {
        const DecodedFrame decoded = framecodec::decodeBinary(frame(header, bomb), 1 << 20);
        QCOMPARE(decoded.status, Status::TooLarge);
    }
    const qint64 stopped = timer.nsecsElapsed() / 2;

    // For scale: what inflating the whole bomb once costs.
    timer.restart();
    QByteArray all;
    bool tooLarge = true;
    QVERIFY(framecodec::inflate(bomb, bombSize, &all, &tooLarge));
    const qint64 whole = timer.nsecsElapsed();
    QCOMPARE(all.size(), bombSize);
    QVERIFY(!tooLarge);
    qInfo("zip bomb: stopped after %lld us, whole inflation %lld us", stopped / 1000, whole / 1000);
    // Stopping at 1 MiB does about 1% of that work; a factor of 10 leaves
    // room for a noisy machine.
    QVERIFY2(stopped * 10 < whole,
             qPrintable(QStringLiteral("stopped %1 us, whole %2 us").arg(stopped / 1000).arg(whole / 1000)));
}

void TestFrameCodec::inflateHelper_data()
{
    QTest::addColumn<QByteArray>("compressed");
    QTest::addColumn<qsizetype>("maxBytes");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<bool>("tooLarge");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray data = QByteArray("halhub ").repeated(3000);
    QTest::addRow("fits") << framecodec::deflate(data) << kLimit << true << false << data;
    QTest::addRow("exactly fits") << framecodec::deflate(data) << data.size() << true << false << data;
    QTest::addRow("one over") << framecodec::deflate(data) << data.size() - 1 << false << true
                              << QByteArray();
    QTest::addRow("empty input stream") << framecodec::deflate({}) << kLimit << true << false
                                        << QByteArray();
    QTest::addRow("limit zero, empty data") << framecodec::deflate({}) << qsizetype(0) << true << false
                                            << QByteArray();
    QTest::addRow("limit zero, one byte") << framecodec::deflate("x") << qsizetype(0) << false << true
                                          << QByteArray();
    QTest::addRow("corrupt") << QByteArray("not zlib at all") << kLimit << false << false << QByteArray();
    QTest::addRow("no bytes") << QByteArray() << kLimit << false << false << QByteArray();
    QTest::addRow("truncated") << framecodec::deflate(data).chopped(3) << kLimit << false << false
                               << QByteArray();
}

void TestFrameCodec::inflateHelper()
{
    QFETCH(QByteArray, compressed);
    QFETCH(qsizetype, maxBytes);
    QFETCH(bool, ok);
    QFETCH(bool, tooLarge);
    QFETCH(QByteArray, expected);
    QByteArray out("stale");
    bool over = !tooLarge;
    QCOMPARE(framecodec::inflate(compressed, maxBytes, &out, &over), ok);
    QCOMPARE(over, tooLarge);
    QCOMPARE(out, expected);
}

void TestFrameCodec::deflateWritesZlibStreams()
{
    const QByteArray data = QByteArray("0123456789").repeated(500);
    const QByteArray z = framecodec::deflate(data);
    QVERIFY(z.size() < data.size() / 10);
    // RFC 1950 header: CM = 8 (deflate), CINFO <= 7, and the check bits.
    const auto cmf = uchar(z.at(0));
    const auto flg = uchar(z.at(1));
    QCOMPARE(cmf & 0x0f, 8);
    QVERIFY((cmf >> 4) <= 7);
    QCOMPARE((cmf * 256 + flg) % 31, 0);
    QByteArray back;
    bool over = true;
    QVERIFY(framecodec::inflate(z, data.size(), &back, &over));
    QCOMPARE(back, data);
}

// A message whose encoded payload is exactly `size` bytes.
static QVariantMap messageOfSize(Encoding encoding, qsizetype size)
{
    for (int pad = 0; pad < 2 * size; ++pad) {
        const QVariantMap m{{QStringLiteral("type"), QStringLiteral("event")},
                            {QStringLiteral("pad"), QString(pad, QLatin1Char('p'))}};
        const qsizetype n = encoding == Encoding::Json ? json::write(m).size() : msgpack::write(m).size();
        if (n == size)
            return m;
    }
    return {};
}

void TestFrameCodec::compressionThreshold_data()
{
    QTest::addColumn<Encoding>("encoding");
    QTest::addColumn<bool>("compression");
    QTest::addColumn<qsizetype>("payloadSize");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("header");   // -1: text frame

    QTest::addRow("JSON 1024 compressed stays text") << Encoding::Json << true << qsizetype(1024) << false << -1;
    QTest::addRow("JSON 1025 compressed is 0x02") << Encoding::Json << true << qsizetype(1025) << true << 0x02;
    QTest::addRow("JSON 5000 without compression is text") << Encoding::Json << false << qsizetype(5000) << false << -1;
    QTest::addRow("JSON small") << Encoding::Json << true << qsizetype(30) << false << -1;
    QTest::addRow("MessagePack 1024 compressed is 0x00") << Encoding::MsgPack << true << qsizetype(1024) << true << 0x00;
    QTest::addRow("MessagePack 1025 compressed is 0x01") << Encoding::MsgPack << true << qsizetype(1025) << true << 0x01;
    QTest::addRow("MessagePack 5000 without compression is 0x00") << Encoding::MsgPack << false << qsizetype(5000) << true << 0x00;
    QTest::addRow("MessagePack small") << Encoding::MsgPack << false << qsizetype(20) << true << 0x00;
}

void TestFrameCodec::compressionThreshold()
{
    QFETCH(Encoding, encoding);
    QFETCH(bool, compression);
    QFETCH(qsizetype, payloadSize);
    QFETCH(bool, binary);
    QFETCH(int, header);

    const QVariantMap message = messageOfSize(encoding, payloadSize);
    QVERIFY(!message.isEmpty());
    const EncodedFrame encoded = framecodec::encode(message, encoding, compression);
    QCOMPARE(encoded.binary, binary);
    const QByteArray plain = encoding == Encoding::Json ? json::write(message) : msgpack::write(message);
    if (header < 0) {
        QCOMPARE(encoded.bytes, plain);
    } else {
        QCOMPARE(int(uchar(encoded.bytes.at(0))), header);
        if (header == 0x00)
            QCOMPARE(encoded.bytes.mid(1), plain);
        else
            QVERIFY(encoded.bytes.size() < plain.size());
    }
    const DecodedFrame decoded = encoded.binary ? framecodec::decodeBinary(encoded.bytes, kLimit)
                                                : framecodec::decodeText(encoded.bytes, kLimit);
    QCOMPARE(decoded.status, Status::Ok);
    COMPARE_VALUE(QVariant(decoded.message), QVariant(message));
}

void TestFrameCodec::encodedFramesDecode_data()
{
    QTest::addColumn<Encoding>("encoding");
    QTest::addColumn<bool>("compression");
    QTest::addColumn<QVariantMap>("message");

    const QVariantMap small{
        {QStringLiteral("type"), QStringLiteral("pong")},
        {QStringLiteral("t"), QVariantList{qulonglong(std::numeric_limits<quint64>::max()),
                                           qlonglong(std::numeric_limits<qint64>::min()), 2.0, -0.0}},
        {QStringLiteral("server_time"), 1700000000000000LL},
        {QStringLiteral("text"), QString::fromUtf16(u"é 😀 \"\n")},
        {QStringLiteral("null"), QVariant::fromValue(nullptr)}};
    QVariantList samples;
    for (int i = 0; i < 300; ++i)
        samples.append(QVariantMap{{QStringLiteral("v"), i * 0.25}, {QStringLiteral("n"), qlonglong(i)}});
    QVariantMap big = small;
    big.insert(QStringLiteral("samples"), samples);

    for (Encoding e : {Encoding::Json, Encoding::MsgPack}) {
        const char *name = e == Encoding::Json ? "JSON" : "MessagePack";
        for (bool c : {false, true}) {
            QTest::addRow("%s small, compression %d", name, c) << e << c << small;
            QTest::addRow("%s big, compression %d", name, c) << e << c << big;
        }
    }
}

void TestFrameCodec::encodedFramesDecode()
{
    QFETCH(Encoding, encoding);
    QFETCH(bool, compression);
    QFETCH(QVariantMap, message);
    const EncodedFrame encoded = framecodec::encode(message, encoding, compression);
    const DecodedFrame decoded = encoded.binary ? framecodec::decodeBinary(encoded.bytes, 1 << 20)
                                                : framecodec::decodeText(encoded.bytes, 1 << 20);
    QVERIFY2(decoded.status == Status::Ok, qPrintable(decoded.error));
    COMPARE_VALUE(QVariant(decoded.message), QVariant(message));
}

QTEST_GUILESS_MAIN(TestFrameCodec)
#include "tst_framecodec.moc"
