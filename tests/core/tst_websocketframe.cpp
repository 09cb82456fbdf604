#include "net/websocketframe.h"

#include <QByteArray>
#include <QTest>

using namespace halhub;

// The header bytes RFC 6455 5.2 prescribes for a server's unmasked, final
// frame; a client library rejects anything else (tst_messagesizes checks
// that against QWebSocket).
class tst_WebSocketFrame : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void header_data()
    {
        QTest::addColumn<bool>("binary");
        QTest::addColumn<quint64>("length");
        QTest::addColumn<QByteArray>("expected");
        QTest::addRow("empty text") << false << quint64(0) << QByteArray::fromHex("8100");
        QTest::addRow("largest 7-bit length") << false << quint64(125) << QByteArray::fromHex("817d");
        QTest::addRow("smallest 16-bit length") << true << quint64(126) << QByteArray::fromHex("827e007e");
        QTest::addRow("largest 16-bit length") << true << quint64(65535) << QByteArray::fromHex("827effff");
        QTest::addRow("smallest 64-bit length") << false << quint64(65536)
                                                << QByteArray::fromHex("817f0000000000010000");
        QTest::addRow("over 4 GiB") << true << quint64(0x100000005ULL)
                                    << QByteArray::fromHex("827f0000000100000005");
    }

    void header()
    {
        QFETCH(bool, binary);
        QFETCH(quint64, length);
        QFETCH(QByteArray, expected);
        const websocketframe::Header h = websocketframe::header(
            binary ? websocketframe::Opcode::Binary : websocketframe::Opcode::Text, length);
        QCOMPARE(QByteArray(h.bytes, h.size).toHex(), expected.toHex());
    }
};

QTEST_GUILESS_MAIN(tst_WebSocketFrame)
#include "tst_websocketframe.moc"
