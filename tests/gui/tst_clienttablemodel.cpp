#include "clienttablemodel.h"
#include "guifixture.h"

#include <QtTest>

#include <vector>

using namespace halhub;
using namespace halhub::test;

class tst_ClientTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void clientConnectsSubscribesAndLeaves();
    void countsTheClientsMessages();
    void twoClientsKeepTheirRows();
    void busyClientsChangeInOneGo();

private:
    // One poll, then the figure: what the window's timer does a few times a second.
    static int rows(ClientTableModel &model)
    {
        model.refresh();
        return model.rowCount();
    }
    static QString cell(ClientTableModel &model, int row, int column)
    {
        model.refresh();
        return model.index(row, column).data().toString();
    }

    RunningServer m_running;
};

void tst_ClientTableModel::init()
{
    // Clients of the previous test may still be closing.
    QTRY_COMPARE(m_running.server->clientCount(), 0);
}

void tst_ClientTableModel::initTestCase()
{
    QVERIFY(m_running.start());
}

void tst_ClientTableModel::clientConnectsSubscribesAndLeaves()
{
    ClientTableModel model(m_running.server.get());
    QCOMPARE(model.rowCount(), 0);

    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    QTRY_COMPARE(rows(model), 1);
    QVERIFY(cell(model, 0, ClientTableModel::AddressColumn).startsWith(QLatin1String("127.0.0.1:")));
    QCOMPARE(cell(model, 0, ClientTableModel::StreamsColumn), QStringLiteral("0"));

    client.send({{QStringLiteral("type"), QStringLiteral("hello")},
                 {QStringLiteral("id"), 1},
                 {QStringLiteral("client"), QStringLiteral("bench-logger")}});
    QTRY_VERIFY(client.has(QStringLiteral("welcome")));
    QTRY_COMPARE(cell(model, 0, ClientTableModel::ClientColumn), QStringLiteral("bench-logger"));
    QCOMPARE(cell(model, 0, ClientTableModel::EncodingColumn), QStringLiteral("json"));
    QCOMPARE(cell(model, 0, ClientTableModel::UserColumn), ClientTableModel::tr("(anonymous)"));

    QVERIFY(!client.subscribe({{QStringLiteral("device"), QStringLiteral("sim0")},
                               {QStringLiteral("rate_hz"), 10}},
                              2)
                 .isEmpty());
    QTRY_COMPARE(cell(model, 0, ClientTableModel::StreamsColumn), QStringLiteral("1"));
    const QString session = model.index(0, 0).data(ClientTableModel::SessionRole).toString();
    QVERIFY(!session.isEmpty());
    // The Streams dock names the owner by its hello name, not its ip:port.
    QCOMPARE(model.describeSession(session), QStringLiteral("bench-logger"));

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    client.socket().close();
    QTRY_COMPARE(rows(model), 0);
    QCOMPARE(removed.count(), 1);
}

void tst_ClientTableModel::countsTheClientsMessages()
{
    ClientTableModel model(m_running.server.get());
    Client client(m_running.server->url());
    QTRY_COMPARE(rows(model), 1);
    // The server has the connection before the client has read the upgrade
    // answer; QWebSocket drops what is sent before that.
    QTRY_VERIFY(client.isOpen());
    for (int i = 0; i < 5; ++i)
        client.send({{QStringLiteral("type"), QStringLiteral("ping")}, {QStringLiteral("id"), i}});
    QTRY_VERIFY(client.has(QStringLiteral("pong"), 4));
    QTRY_COMPARE(cell(model, 0, ClientTableModel::MessagesInColumn), QStringLiteral("5"));
    QTRY_COMPARE(cell(model, 0, ClientTableModel::MessagesOutColumn).toInt(), 5);
    QCOMPARE(cell(model, 0, ClientTableModel::RateLimitColumn), QStringLiteral("0"));
}

void tst_ClientTableModel::twoClientsKeepTheirRows()
{
    ClientTableModel model(m_running.server.get());
    Client first(m_running.server->url());
    QTRY_COMPARE(rows(model), 1);
    const quint64 firstId = model.clientId(0);
    Client second(m_running.server->url());
    QTRY_COMPARE(rows(model), 2);
    // The row of a client that stays keeps its place (and so its selection).
    QCOMPARE(model.clientId(0), firstId);
    const quint64 secondId = model.clientId(1);
    QVERIFY(secondId != firstId);

    first.socket().close();
    QTRY_COMPARE(rows(model), 1);
    QCOMPARE(model.clientId(0), secondId);
}

void tst_ClientTableModel::busyClientsChangeInOneGo()
{
    // Every streaming client's figures move between two polls; the table
    // takes them all in one change (one layout of its view, not one per
    // row) and shows at least what each client has received by then.
    constexpr int kClients = 12;
    ClientTableModel model(m_running.server.get());
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(std::make_unique<Client>(m_running.server->url()));
    for (auto &client : clients) {
        QTRY_VERIFY(client->isOpen());
        QVERIFY(!client->subscribe({{QStringLiteral("device"), QStringLiteral("sim0")},
                                    {QStringLiteral("rate_hz"), 50}},
                                   1)
                     .isEmpty());
    }
    QTRY_COMPARE(rows(model), kClients);
    model.refresh();
    std::vector<qsizetype> seen;
    for (auto &client : clients)
        seen.push_back(client->messages().size());
    const auto everyClientGotMore = [&] {
        for (size_t i = 0; i < clients.size(); ++i) {
            if (clients[i]->messages().size() < seen[i] + 2)
                return false;
        }
        return true;
    };
    QTRY_VERIFY(everyClientGotMore());

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.refresh();
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(changed.count(), 1);
    const auto topLeft = changed.first().at(0).value<QModelIndex>();
    const auto bottomRight = changed.first().at(1).value<QModelIndex>();
    QCOMPARE(topLeft.row(), 0);
    QCOMPARE(bottomRight.row(), kClients - 1);
    QCOMPARE(bottomRight.column(), ClientTableModel::ColumnCount - 1);
    for (auto &client : clients) {
        const QString address = QStringLiteral("127.0.0.1:%1").arg(client->socket().localPort());
        int row = -1;
        for (int r = 0; r < model.rowCount(); ++r) {
            if (model.index(r, ClientTableModel::AddressColumn).data().toString() == address)
                row = r;
        }
        QVERIFY2(row >= 0, qPrintable(address));
        QVERIFY(model.client(row)->messagesOut >= qint64(client->messages().size()));
    }
}

QTEST_MAIN(tst_ClientTableModel)
#include "tst_clienttablemodel.moc"
