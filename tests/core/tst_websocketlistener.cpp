// The listener's handshake deadline (docs/protocol.md section 1): a peer that has not
// sent a complete request head by the deadline is dropped; one that did is
// upgraded and stays, however long it then keeps quiet.

#include "config/config.h"
#include "net/websocketlistener.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <memory>

using namespace halhub;

namespace {

constexpr int kTimeoutMs = 300;

const QByteArray kUpgrade = "GET /ws/hardware HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n";

} // namespace

class tst_WebSocketListener : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void deadline_data();
    void deadline();
    void manyHandshakesAtOnce();

private:
    WebSocketListener *m_listener = nullptr;
    std::vector<std::unique_ptr<QWebSocket>> m_upgraded;
};

void tst_WebSocketListener::init()
{
    ServerConfig config;
    config.port = 0;
    m_listener = new WebSocketListener(config, this);
    m_listener->setHandshakeTimeout(kTimeoutMs);
    connect(m_listener, &WebSocketListener::newSocket, this,
            [this](QWebSocket *socket) { m_upgraded.emplace_back(socket); });
    QString error;
    QVERIFY2(m_listener->listen(&error), qPrintable(error));
}

void tst_WebSocketListener::cleanup()
{
    m_upgraded.clear();
    delete m_listener;
    m_listener = nullptr;
}

void tst_WebSocketListener::deadline_data()
{
    QTest::addColumn<QByteArray>("sent");
    QTest::addColumn<bool>("upgraded");

    QTest::addRow("silent peer is dropped") << QByteArray() << false;
    QTest::addRow("half a request head is dropped")
        << kUpgrade.left(kUpgrade.size() / 2) << false;
    QTest::addRow("head without its blank line is dropped") << kUpgrade.chopped(2) << false;
    QTest::addRow("complete upgrade stays past the deadline") << kUpgrade << true;
}

void tst_WebSocketListener::deadline()
{
    QFETCH(QByteArray, sent);
    QFETCH(bool, upgraded);

    QTcpSocket peer;
    QSignalSpy gone(&peer, &QTcpSocket::disconnected);
    QElapsedTimer clock;
    clock.start();
    peer.connectToHost(QStringLiteral("127.0.0.1"), m_listener->port());
    QVERIFY(peer.waitForConnected(2000));
    if (!sent.isEmpty())
        peer.write(sent);

    if (!upgraded) {
        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, 5 * kTimeoutMs);
        // Not before its time: the deadline counts from the accept, which
        // came after this clock started.
        QVERIFY2(clock.elapsed() >= kTimeoutMs, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(m_upgraded.empty());
        return;
    }
    QTRY_VERIFY(peer.bytesAvailable() > 0);
    QVERIFY(peer.readAll().startsWith("HTTP/1.1 101"));
    QTRY_COMPARE(m_upgraded.size(), size_t(1));
    // Well past the deadline the upgraded connection is still open.
    QTest::qWait(3 * kTimeoutMs);
    QCOMPARE(gone.count(), 0);
    QCOMPARE(peer.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(m_upgraded.front()->state(), QAbstractSocket::ConnectedState);
}

void tst_WebSocketListener::manyHandshakesAtOnce()
{
    // Finished and unfinished handshakes side by side: each peer meets its
    // own fate, whatever the order they end in.
    constexpr int kPairs = 20;
    std::vector<std::unique_ptr<QTcpSocket>> complete;
    std::vector<std::unique_ptr<QTcpSocket>> stalled;
    for (int i = 0; i < kPairs; ++i) {
        auto good = std::make_unique<QTcpSocket>();
        good->connectToHost(QStringLiteral("127.0.0.1"), m_listener->port());
        auto bad = std::make_unique<QTcpSocket>();
        bad->connectToHost(QStringLiteral("127.0.0.1"), m_listener->port());
        QVERIFY(good->waitForConnected(2000));
        QVERIFY(bad->waitForConnected(2000));
        good->write(kUpgrade);
        bad->write("GET /ws/hardware HTTP/1.1\r\n");
        complete.push_back(std::move(good));
        stalled.push_back(std::move(bad));
    }
    QTRY_COMPARE(m_upgraded.size(), size_t(kPairs));
    for (const auto &bad : stalled)
        QTRY_COMPARE_WITH_TIMEOUT(bad->state(), QAbstractSocket::UnconnectedState, 5 * kTimeoutMs);
    for (const auto &good : complete)
        QCOMPARE(good->state(), QAbstractSocket::ConnectedState);
}

QTEST_GUILESS_MAIN(tst_WebSocketListener)
#include "tst_websocketlistener.moc"
