#include "clienttablemodel.h"
#include "guifixture.h"
#include "streamtablemodel.h"

#include <QtTest>

using namespace halhub;
using namespace halhub::test;

class tst_StreamTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void streamAppearsRunsAndCloses_data();
    void streamAppearsRunsAndCloses();
    void ownerIsTheClientsAddress();

private:
    static int rows(StreamTableModel &model)
    {
        model.refresh();
        return model.rowCount();
    }
    static QVariant raw(StreamTableModel &model, int column)
    {
        model.refresh();
        return model.index(0, column).data(StreamTableModel::RawValueRole);
    }

    RunningServer m_running;
};

void tst_StreamTableModel::init()
{
    // Clients of the previous test may still be closing.
    QTRY_COMPARE(m_running.server->clientCount(), 0);
}

void tst_StreamTableModel::initTestCase()
{
    QVERIFY(m_running.start({simConfig(QStringLiteral("sim0"), 100)}));
}

void tst_StreamTableModel::streamAppearsRunsAndCloses_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("rateHz");
    QTest::addRow("full at 20 Hz") << QStringLiteral("full") << 20;
    QTest::addRow("sampled at 10 Hz") << QStringLiteral("sampled") << 10;
    QTest::addRow("full at 50 Hz") << QStringLiteral("full") << 50;
}

void tst_StreamTableModel::streamAppearsRunsAndCloses()
{
    QFETCH(QString, mode);
    QFETCH(int, rateHz);

    StreamTableModel model(m_running.server.get());
    QSignalSpy opened(&model, &StreamTableModel::streamOpened);
    QSignalSpy closed(&model, &StreamTableModel::streamClosed);
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    const QString stream = client.subscribe({{QStringLiteral("device"), QStringLiteral("sim0")},
                                             {QStringLiteral("mode"), mode},
                                             {QStringLiteral("rate_hz"), rateHz}},
                                            1);
    QVERIFY(!stream.isEmpty());

    QTRY_COMPARE(rows(model), 1);
    QCOMPARE(opened.count(), 1);
    QCOMPARE(model.index(0, StreamTableModel::StreamColumn).data().toString(), stream);
    QCOMPARE(model.index(0, StreamTableModel::DeviceColumn).data().toString(), QStringLiteral("sim0"));
    QCOMPARE(model.index(0, StreamTableModel::ModeColumn).data().toString(), mode);
    QCOMPARE(raw(model, StreamTableModel::RequestedColumn).toDouble(), double(rateHz));

    // Frames flow: the count grows, and so the achieved rate approaches the
    // requested one (the measurement spans several polls).
    QTRY_VERIFY(raw(model, StreamTableModel::SentColumn).toULongLong() >= 5);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const double achieved = raw(model, StreamTableModel::AchievedColumn).toDouble();
            return achieved > rateHz * 0.6 && achieved < rateHz * 1.4;
        }(),
        8000);
    QTRY_VERIFY(raw(model, StreamTableModel::P50Column).toDouble() >= 0);
    QVERIFY(raw(model, StreamTableModel::P95Column).toDouble()
            >= raw(model, StreamTableModel::P50Column).toDouble());
    QCOMPARE(raw(model, StreamTableModel::DroppedColumn).toULongLong(), 0ULL);

    client.send({{QStringLiteral("type"), QStringLiteral("unsubscribe")},
                 {QStringLiteral("id"), 2},
                 {QStringLiteral("stream"), stream}});
    QTRY_COMPARE(rows(model), 0);
    QCOMPARE(closed.count(), 1);
    QCOMPARE(closed.first().first().value<StreamStats>().id, stream);
}

void tst_StreamTableModel::ownerIsTheClientsAddress()
{
    ClientTableModel clients(m_running.server.get());
    StreamTableModel model(m_running.server.get());
    model.setClientModel(&clients);
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    QVERIFY(!client.subscribe({{QStringLiteral("device"), QStringLiteral("sim0")}}, 1).isEmpty());
    QTRY_VERIFY([&] {
        clients.refresh();
        model.refresh();
        return model.rowCount() == 1
            && model.index(0, StreamTableModel::OwnerColumn).data().toString().startsWith(
                QLatin1String("127.0.0.1:"));
    }());
    // Without a rate the stream runs at the device's: shown as native.
    QCOMPARE(model.index(0, StreamTableModel::RequestedColumn).data().toString(),
             StreamTableModel::tr("native"));
    client.socket().close();
    // The session waits out its resume grace: the stream stays, detached.
    QTRY_VERIFY([&] {
        clients.refresh();
        model.refresh();
        return clients.rowCount() == 0;
    }());
    model.refresh();
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(model.index(0, StreamTableModel::OwnerColumn).data().toString().startsWith(
        StreamTableModel::tr("detached (%1…)").left(8)));
}

QTEST_MAIN(tst_StreamTableModel)
#include "tst_streamtablemodel.moc"
