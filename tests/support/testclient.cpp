#include "testclient.h"

#include "bus/clock.h"
#include "protocol/framecodec.h"
#include "protocol/json.h"
#include "protocol/msgpack.h"

#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cstdio>

TestClient::TestClient(QObject *parent)
    : QObject(parent)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &TestClient::onText);
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this, &TestClient::onBinary);
    connect(&m_socket, &QWebSocket::disconnected, this,
            [this] { m_closeCode = int(m_socket.closeCode()); });
}

TestClient::~TestClient()
{
    m_socket.abort();
}

bool TestClient::open(const QUrl &url, int timeoutMs)
{
    return open(QNetworkRequest(url), timeoutMs);
}

bool TestClient::open(const QNetworkRequest &request, int timeoutMs)
{
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
    m_socket.open(request);
    QTest::qWaitFor([&] { return !connected.isEmpty() || !disconnected.isEmpty(); }, timeoutMs);
    return !connected.isEmpty();
}

void TestClient::close()
{
    m_socket.close();
}

bool TestClient::isConnected() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void TestClient::send(const QVariantMap &message, Form form)
{
    using namespace halhub;
    switch (form) {
    case Form::Json:
        m_socket.sendTextMessage(QString::fromUtf8(json::write(message)));
        break;
    case Form::MsgPack:
        m_socket.sendBinaryMessage(QByteArray(1, '\x00') + msgpack::write(message));
        break;
    case Form::ZlibMsgPack:
        m_socket.sendBinaryMessage(QByteArray(1, '\x01') + framecodec::deflate(msgpack::write(message)));
        break;
    case Form::ZlibJson:
        m_socket.sendBinaryMessage(QByteArray(1, '\x02') + framecodec::deflate(json::write(message)));
        break;
    }
}

void TestClient::sendText(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void TestClient::sendBinary(const QByteArray &bytes)
{
    m_socket.sendBinaryMessage(bytes);
}

QVariantMap TestClient::request(QVariantMap message, int timeoutMs, Form form)
{
    const qint64 id = nextId();
    message.insert(QStringLiteral("id"), id);
    const qsizetype from = m_received.size();
    send(message, form);
    return waitFor([id](const QVariantMap &m) {
        return m.value(QStringLiteral("id")).toLongLong() == id
            && m.value(QStringLiteral("type")) != QLatin1String("result");
    }, timeoutMs, from);
}

QVariantMap TestClient::waitFor(const std::function<bool(const QVariantMap &)> &match,
                                int timeoutMs, qsizetype from, qsizetype *index)
{
    // Not QTest::qWaitFor: it sleeps 10 ms between looks, and frames that
    // arrive meanwhile wait unread, so their arrival stamps (the clock of
    // the latency tests) would be late by up to that much.
    QElapsedTimer t;
    t.start();
    qsizetype next = from;
    for (;;) {
        for (; next < m_received.size(); ++next) {
            if (match(m_received.at(next).message)) {
                if (index)
                    *index = next;
                return m_received.at(next).message;
            }
        }
        if (t.elapsed() >= timeoutMs)
            return {};
        QTest::qWait(2);
    }
}

QVariantMap TestClient::waitForType(const QString &type, int timeoutMs, qsizetype from)
{
    return waitFor([&type](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == type;
    }, timeoutMs, from);
}

QVariantMap TestClient::waitForEvent(const QString &event, int timeoutMs, qsizetype from)
{
    return waitFor([&event](const QVariantMap &m) {
        return m.value(QStringLiteral("type")).toString() == QLatin1String("event")
            && m.value(QStringLiteral("event")).toString() == event;
    }, timeoutMs, from);
}

bool TestClient::waitForClose(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                           timeoutMs);
}

QList<QVariantMap> TestClient::messagesOfType(const QString &type) const
{
    QList<QVariantMap> list;
    for (const Received &r : m_received) {
        if (r.message.value(QStringLiteral("type")).toString() == type)
            list.append(r.message);
    }
    return list;
}

void TestClient::onText(const QString &text)
{
    const qint64 now = halhub::wallClockUs();
    const QByteArray utf8 = text.toUtf8();
    const halhub::DecodedFrame d = halhub::framecodec::decodeText(utf8, 1 << 30);
    if (d.status != halhub::DecodedFrame::Status::Ok) {
        ++m_decodeFailures;
        return;
    }
    m_received.append({d.message, now, false, utf8.size()});
}

void TestClient::onBinary(const QByteArray &data)
{
    const qint64 now = halhub::wallClockUs();
    const halhub::DecodedFrame d = halhub::framecodec::decodeBinary(data, 1 << 30);
    if (d.status != halhub::DecodedFrame::Status::Ok) {
        ++m_decodeFailures;
        return;
    }
    m_received.append({d.message, now, true, data.size()});
}

LatencyReport LatencyReport::fromFrames(const QList<TestClient::Received> &frames)
{
    LatencyReport r;
    std::vector<double> ms;
    qint64 first = 0, last = 0;
    for (const TestClient::Received &f : frames) {
        if (f.message.value(QStringLiteral("type")).toString() != QLatin1String("telemetry"))
            continue;
        const qint64 ts = f.message.value(QStringLiteral("ts")).toLongLong();
        ms.push_back((f.receivedUs - ts) / 1000.0);
        if (first == 0)
            first = f.receivedUs;
        last = f.receivedUs;
    }
    if (ms.empty())
        return r;
    std::sort(ms.begin(), ms.end());
    const auto pct = [&ms](double p) { return ms[size_t(p * double(ms.size() - 1))]; };
    double sum = 0;
    for (double v : ms)
        sum += v;
    r.count = qint64(ms.size());
    r.avgMs = sum / double(ms.size());
    r.p50Ms = pct(0.50);
    r.p95Ms = pct(0.95);
    r.p99Ms = pct(0.99);
    r.minMs = ms.front();
    r.maxMs = ms.back();
    const double seconds = (last - first) / 1e6;
    r.throughputPerSec = seconds > 0 ? double(r.count - 1) / seconds : 0;
    return r;
}

void LatencyReport::print(const char *scenario) const
{
    std::printf("\n=== %s ===\n"
                "  avg_latency_ms: %.3f\n  p50_latency_ms: %.3f\n  p95_latency_ms: %.3f\n"
                "  p99_latency_ms: %.3f\n  min_latency_ms: %.3f\n  max_latency_ms: %.3f\n"
                "  message_count: %lld\n  throughput_msg_per_sec: %.1f\n",
                scenario, avgMs, p50Ms, p95Ms, p99Ms, minMs, maxMs, (long long)count,
                throughputPerSec);
    std::fflush(stdout);
}
