#include "clienttablemodel.h"
#include "devicetablemodel.h"
#include "eventlogmodel.h"
#include "guifixture.h"
#include "liveplot.h"
#include "mainwindow.h"

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QTableView>
#include <QToolButton>
#include <QtTest>

using namespace halhub;
using namespace halhub::test;

class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void layoutSurvivesARestart();
    void resetLayoutBringsEveryDockBack();
    void viewMenuHidesAndShowsDocks();
    void unplugGoesThroughTheRouter();
    void disconnectActionClosesTheClient();
    void statusBarShowsTheServer();
    void plotFollowsTheChosenDevice();
    void exportSavesWhatTheFilterShows();
    void auditRecordsReachTheEventLog();
    void withoutAnAuditLogACommandIsNotCalledAudited();
    void insecureListeningIsShownLoudly();

private:
    static QStringList eventNames(const EventLogModel *events)
    {
        QStringList names;
        for (int row = 0; row < events->rowCount(); ++row)
            names.append(events->index(row, 0).data(EventLogModel::EventNameRole).toString());
        return names;
    }

    QTemporaryDir m_settingsDir;
    RunningServer m_running;
};

void tst_MainWindow::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    isolateSettings(m_settingsDir);
    QVERIFY(m_running.start({simConfig(QStringLiteral("sim0")), simConfig(QStringLiteral("sim1"))}));
}

void tst_MainWindow::init()
{
    QSettings().clear();
    // Clients of the previous test may still be closing.
    QTRY_COMPARE(m_running.server->clientCount(), 0);
}

void tst_MainWindow::layoutSurvivesARestart()
{
    {
        MainWindow window(m_running.server.get(), &m_running.hal);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *latency = window.findChild<QDockWidget *>(QStringLiteral("latencyDock"));
        auto *events = window.findChild<QDockWidget *>(QStringLiteral("eventsDock"));
        QVERIFY(latency && events);
        QCOMPARE(window.dockWidgetArea(events), Qt::BottomDockWidgetArea);
        latency->close();
        window.addDockWidget(Qt::LeftDockWidgetArea, events);
        window.resize(1000, 700);
        window.findChild<QComboBox *>(QStringLiteral("plotWindow"))->setCurrentIndex(2);
        window.close();
    }
    MainWindow again(m_running.server.get(), &m_running.hal);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    auto *latency = again.findChild<QDockWidget *>(QStringLiteral("latencyDock"));
    auto *events = again.findChild<QDockWidget *>(QStringLiteral("eventsDock"));
    QVERIFY(latency->isHidden());
    QVERIFY(!latency->toggleViewAction()->isChecked());
    QVERIFY(!events->isHidden());
    QCOMPARE(again.dockWidgetArea(events), Qt::LeftDockWidgetArea);
    QCOMPARE(again.size(), QSize(1000, 700));
    QCOMPARE(again.plot()->windowSeconds(), 30.0);
}

void tst_MainWindow::resetLayoutBringsEveryDockBack()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QList<QDockWidget *> docks = window.findChildren<QDockWidget *>();
    QCOMPARE(docks.size(), 7);
    auto *devices = window.findChild<QDockWidget *>(QStringLiteral("devicesDock"));
    devices->setFloating(true);
    window.addDockWidget(Qt::RightDockWidgetArea, devices);
    devices->setFloating(true);
    for (QDockWidget *dock : docks) {
        if (dock != devices)
            dock->close();
    }
    window.findChild<QAction *>(QStringLiteral("resetLayoutAction"))->trigger();
    for (QDockWidget *dock : docks)
        QVERIFY2(!dock->isHidden(), qPrintable(dock->objectName()));
    QVERIFY(!devices->isFloating());
    QCOMPARE(window.dockWidgetArea(devices), Qt::LeftDockWidgetArea);
}

void tst_MainWindow::viewMenuHidesAndShowsDocks()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QMenu *view = nullptr;
    for (QAction *a : window.menuBar()->actions()) {
        if (a->text() == MainWindow::tr("&View"))
            view = a->menu();
    }
    QVERIFY(view);
    auto *clients = window.findChild<QDockWidget *>(QStringLiteral("clientsDock"));
    QAction *toggle = clients->toggleViewAction();
    QVERIFY(view->actions().contains(toggle));
    toggle->trigger();
    QVERIFY(clients->isHidden());
    toggle->trigger();
    QVERIFY(!clients->isHidden());
}

void tst_MainWindow::unplugGoesThroughTheRouter()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // A client sees the same device events the window causes.
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());

    auto *view = window.findChild<QTableView *>(QStringLiteral("deviceView"));
    const int row = window.deviceModel()->rowOf(QStringLiteral("sim1"));
    QTRY_COMPARE(window.deviceModel()->device(row)->state, DeviceState::Connected);
    view->selectRow(row);
    auto *unplug = window.findChild<QAction *>(QStringLiteral("unplugAction"));
    auto *reconnect = window.findChild<QAction *>(QStringLiteral("reconnectAction"));
    QVERIFY(unplug->isEnabled());
    // The sim has no reconnect command.
    QVERIFY(!reconnect->isEnabled());

    unplug->trigger();
    QTRY_COMPARE(window.deviceModel()->device(row)->state, DeviceState::Disconnected);
    QVERIFY(!unplug->isEnabled());
    QTRY_COMPARE(window.deviceModel()->device(row)->state, DeviceState::Connected);
    QTRY_VERIFY(unplug->isEnabled());

    QTRY_VERIFY(eventNames(window.eventModel()).contains(QStringLiteral("device_connected")));
    const QStringList names = eventNames(window.eventModel());
    QVERIFY(names.contains(QStringLiteral("command_finished")));
    QVERIFY(names.indexOf(QStringLiteral("device_disconnected"))
            < names.indexOf(QStringLiteral("device_connected")));
    QTRY_VERIFY(std::any_of(client.messages().cbegin(), client.messages().cend(), [](const QVariantMap &m) {
        return m.value(QStringLiteral("event")) == QLatin1String("device_disconnected")
            && m.value(QStringLiteral("device")) == QLatin1String("sim1");
    }));
}

void tst_MainWindow::disconnectActionClosesTheClient()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    const QString address = QStringLiteral("127.0.0.1:%1").arg(client.socket().localPort());
    QTRY_COMPARE((window.refresh(), window.clientModel()->rowCount()), 1);

    auto *disconnect = window.findChild<QAction *>(QStringLiteral("disconnectClientAction"));
    QVERIFY(!disconnect->isEnabled());
    window.findChild<QTableView *>(QStringLiteral("clientView"))->selectRow(0);
    QVERIFY(disconnect->isEnabled());
    disconnect->trigger();
    QTRY_COMPARE(client.socket().state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(client.socket().closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QTRY_COMPARE((window.refresh(), window.clientModel()->rowCount()), 0);
    QTRY_VERIFY(eventNames(window.eventModel()).contains(QStringLiteral("client_disconnected")));
    // Both events name the client by the address it came from.
    EventLogModel *events = window.eventModel();
    events->flush();
    QStringList sources;
    for (int row = 0; row < events->rowCount(); ++row) {
        const QString name = events->index(row, 0).data(EventLogModel::EventNameRole).toString();
        if (name == QLatin1String("client_connected") || name == QLatin1String("client_disconnected"))
            sources.append(events->index(row, EventLogModel::SourceColumn).data().toString());
    }
    QCOMPARE(sources, (QStringList{address, address}));
}

void tst_MainWindow::statusBarShowsTheServer()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *url = window.findChild<QToolButton *>(QStringLiteral("urlButton"));
    QCOMPARE(url->text(), m_running.server->url().toString());
    url->click();
    QCOMPARE(QGuiApplication::clipboard()->text(), m_running.server->url().toString());

    Client first(m_running.server->url());
    Client second(m_running.server->url());
    QTRY_VERIFY(first.isOpen() && second.isOpen());
    auto *clients = window.findChild<QLabel *>(QStringLiteral("clientsLabel"));
    QTRY_COMPARE(clients->text(), MainWindow::tr("%n client(s)", nullptr, 2));
    QVERIFY(clients->text().contains(QLatin1Char('2')));
    auto *uptime = window.findChild<QLabel *>(QStringLiteral("uptimeLabel"));
    QVERIFY(uptime->text().contains(QLatin1String("00:0")));
}

void tst_MainWindow::plotFollowsTheChosenDevice()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.plotDevice(), QStringLiteral("sim0"));
    QTRY_VERIFY(window.plot()->pointCount(QStringLiteral("sine")) > 10);

    auto *view = window.findChild<QTableView *>(QStringLiteral("deviceView"));
    view->selectRow(window.deviceModel()->rowOf(QStringLiteral("sim1")));
    window.findChild<QAction *>(QStringLiteral("showInPlotAction"))->trigger();
    QCOMPARE(window.plotDevice(), QStringLiteral("sim1"));
    QCOMPARE(window.findChild<QComboBox *>(QStringLiteral("plotDevice"))->currentData().toString(),
             QStringLiteral("sim1"));
    QTRY_VERIFY(window.plot()->pointCount(QStringLiteral("ramp")) > 10);
}

void tst_MainWindow::exportSavesWhatTheFilterShows()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    EventLogModel::Entry a;
    a.event = QStringLiteral("device_error");
    a.device = QStringLiteral("psu1");
    a.details = QStringLiteral("no reply");
    window.eventModel()->addEntry(a);
    EventLogModel::Entry b;
    b.event = QStringLiteral("device_connected");
    b.device = QStringLiteral("sim0");
    window.eventModel()->addEntry(b);
    window.eventModel()->flush();

    window.findChild<QLineEdit *>(QStringLiteral("eventFilter"))->setText(QStringLiteral("psu1"));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("events.jsonl"));
    QVERIFY(window.exportEvents(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY(lines.first().contains("\"psu1\""));
}

void tst_MainWindow::auditRecordsReachTheEventLog()
{
    QTemporaryDir dir;
    const QString auditFile = dir.filePath(QStringLiteral("audit.jsonl"));
    RunningServer audited;
    QVERIFY(audited.start({simConfig(QStringLiteral("sim0"))},
                          [&](Config &c) { c.auth.auditLog = auditFile; }));
    MainWindow window(audited.server.get(), &audited.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    Client client(audited.server->url());
    QTRY_VERIFY(client.isOpen());
    client.send({{QStringLiteral("type"), QStringLiteral("command")}, {QStringLiteral("id"), 1},
                 {QStringLiteral("device"), QStringLiteral("sim0")},
                 {QStringLiteral("command"), QStringLiteral("fail")}});
    // The operator sees the command, who sent it and how it ended.
    QTRY_VERIFY(eventNames(window.eventModel()).contains(QStringLiteral("command_audit")));
    const EventLogModel *events = window.eventModel();
    const int row = eventNames(events).indexOf(QStringLiteral("command_audit"));
    QCOMPARE(events->index(row, EventLogModel::EventColumn).data().toString(),
             EventLogModel::tr("Command (audit)"));
    QVERIFY(events->index(row, EventLogModel::DetailsColumn).data().toString().contains(
        QStringLiteral("fail: error")));
    QCOMPARE(events->index(row, 0).data(EventLogModel::SeverityRole).toInt(),
             int(EventLogModel::Severity::Error));
}

void tst_MainWindow::withoutAnAuditLogACommandIsNotCalledAudited()
{
    MainWindow window(m_running.server.get(), &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    client.send({{QStringLiteral("type"), QStringLiteral("command")}, {QStringLiteral("id"), 1},
                 {QStringLiteral("device"), QStringLiteral("sim0")},
                 {QStringLiteral("command"), QStringLiteral("fail")}});
    QTRY_VERIFY(eventNames(window.eventModel()).contains(QStringLiteral("command")));
    QVERIFY(!eventNames(window.eventModel()).contains(QStringLiteral("command_audit")));
    const EventLogModel *events = window.eventModel();
    const int row = eventNames(events).indexOf(QStringLiteral("command"));
    QCOMPARE(events->index(row, EventLogModel::EventColumn).data().toString(),
             EventLogModel::tr("Command"));
}

void tst_MainWindow::insecureListeningIsShownLoudly()
{
    // Not started: the window only needs to know where it would listen.
    Config open = Config::defaults();
    open.server.host = QStringLiteral("0.0.0.0");
    Server exposed(open, &m_running.hal);
    MainWindow window(&exposed, &m_running.hal);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *warning = window.findChild<QLabel *>(QStringLiteral("insecureWarning"));
    QVERIFY(warning);
    QVERIFY(warning->isVisible());
    QVERIFY(warning->text().contains(QStringLiteral("--insecure")));

    // On loopback there is nothing to warn about.
    MainWindow safe(m_running.server.get(), &m_running.hal);
    QVERIFY(!safe.findChild<QLabel *>(QStringLiteral("insecureWarning")));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
