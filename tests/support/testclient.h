#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QVariantMap>
#include <QWebSocket>

#include <functional>

// A protocol client for tests: speaks every wire form of docs/protocol.md
// section 2 and keeps everything it received, stamped with arrival time.
class TestClient : public QObject
{
    Q_OBJECT
public:
    enum class Form { Json, MsgPack, ZlibMsgPack, ZlibJson };

    struct Received
    {
        QVariantMap message;
        qint64 receivedUs = 0;   // wall clock, microseconds since the epoch
        bool binary = false;
        qsizetype bytes = 0;
    };

    explicit TestClient(QObject *parent = nullptr);
    ~TestClient() override;

    // Connects and waits (up to timeoutMs) for the upgrade.
    bool open(const QUrl &url, int timeoutMs = 5000);
    bool open(const QNetworkRequest &request, int timeoutMs = 5000);
    void close();
    bool isConnected() const;
    QWebSocket &socket() { return m_socket; }

    void send(const QVariantMap &message, Form form = Form::Json);
    void sendText(const QString &text);
    void sendBinary(const QByteArray &bytes);
    // Sends with a fresh integer id and waits for the reply carrying it.
    QVariantMap request(QVariantMap message, int timeoutMs = 5000, Form form = Form::Json);

    // Waits until a received message (from index `from` on) matches; returns
    // it, or an empty map on timeout. *index receives its position.
    QVariantMap waitFor(const std::function<bool(const QVariantMap &)> &match,
                        int timeoutMs = 5000, qsizetype from = 0, qsizetype *index = nullptr);
    QVariantMap waitForType(const QString &type, int timeoutMs = 5000, qsizetype from = 0);
    QVariantMap waitForEvent(const QString &event, int timeoutMs = 5000, qsizetype from = 0);
    bool waitForClose(int timeoutMs = 5000);

    const QList<Received> &received() const { return m_received; }
    QList<QVariantMap> messagesOfType(const QString &type) const;
    void clearReceived() { m_received.clear(); }

    int closeCode() const { return m_closeCode; }
    bool decodeFailed() const { return m_decodeFailures > 0; }
    qint64 nextId() { return ++m_lastId; }

private:
    void onText(const QString &text);
    void onBinary(const QByteArray &data);

    QWebSocket m_socket;
    QList<Received> m_received;
    int m_closeCode = -1;
    int m_decodeFailures = 0;
    qint64 m_lastId = 0;
};

// Latency figures over telemetry frames, as the original design prints them.
struct LatencyReport
{
    double avgMs = 0, p50Ms = 0, p95Ms = 0, p99Ms = 0, minMs = 0, maxMs = 0;
    qint64 count = 0;
    double throughputPerSec = 0;

    // From frames' `ts` to arrival.
    static LatencyReport fromFrames(const QList<TestClient::Received> &frames);
    void print(const char *scenario) const;
};
