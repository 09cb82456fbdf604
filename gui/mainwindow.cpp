#include "mainwindow.h"

#include "channeltablemodel.h"
#include "clienttablemodel.h"
#include "clusterview.h"
#include "commandpanel.h"
#include "devicetablemodel.h"
#include "eventlogmodel.h"
#include "icons.h"
#include "latencyhistogramview.h"
#include "liveplot.h"
#include "recordingsdock.h"
#include "streamtablemodel.h"

#include "auth/auditlog.h"
#include "bus/devicebus.h"
#include "hub/commanddesk.h"
#include "server/server.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace halhub {

namespace {

// Bumped when the docks change, so an old saved layout is not half-applied.
// Raised whenever the docks change: a layout saved before is not restored.
// 3: Clients and Streams side by side instead of tabbed; a Name column.
constexpr int kLayoutVersion = 3;

const QString kGeometryKey = QStringLiteral("MainWindow/geometry");
const QString kStateKey = QStringLiteral("MainWindow/state");
const QString kPlotWindowKey = QStringLiteral("MainWindow/plotWindowSeconds");

QString formatUptime(qint64 seconds)
{
    const qint64 days = seconds / 86400;
    const QString time = QStringLiteral("%1:%2:%3")
                             .arg((seconds / 3600) % 24, 2, 10, QLatin1Char('0'))
                             .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
                             .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    if (days == 0)
        return time;
    return MainWindow::tr("%n day(s) %1", nullptr, int(days)).arg(time);
}

} // namespace

MainWindow::MainWindow(Server *server, DeviceBus *bus, QWidget *parent)
    : QMainWindow(parent), m_server(server), m_bus(bus)
{
    setObjectName(QStringLiteral("halhubMainWindow"));
    setWindowTitle(tr("halhub monitor"));
    setWindowIcon(appIcon());
    setDockOptions(AnimatedDocks | AllowNestedDocks | AllowTabbedDocks);

    m_devices = new DeviceTableModel(bus, this);
    m_clients = new ClientTableModel(server, this);
    m_streams = new StreamTableModel(server, this);
    m_streams->setClientModel(m_clients);
    m_events = new EventLogModel(this);

    // The size the default layout is laid out for.
    resize(1440, 900);
    createActions();
    createCentralPlot();
    createDocks();
    createMenus();
    createStatusBar();

    // What "Reset layout" goes back to: the layout as built above.
    m_defaultState = saveState(kLayoutVersion);
    restoreLayout();

    if (server) {
        connect(server, &Server::eventBroadcast, m_events, &EventLogModel::addBroadcast);
        connect(server, &Server::clientConnected, this, &MainWindow::onClientConnected);
        connect(server, &Server::clientDisconnected, this, &MainWindow::onClientDisconnected);
        if (AuditLog *audit = server->auditLog())
            connect(audit, &AuditLog::recorded, this, &MainWindow::onAuditRecord);
        setWindowTitle(tr("halhub monitor – %1").arg(server->url().toString()));
    }
    connect(m_commandPanel, &CommandPanel::commandFinished, this, &MainWindow::onCommandResult);
    connect(m_streams, &StreamTableModel::streamOpened, this, &MainWindow::onStreamOpened);
    connect(m_streams, &StreamTableModel::streamClosed, this, &MainWindow::onStreamClosed);
    connect(m_streams, &StreamTableModel::framesDropped, this, &MainWindow::onFramesDropped);

    if (bus) {
        // The one per-sample connection: LivePlot drops other devices'
        // samples and decimates the rest with a comparison.
        connect(bus, &DeviceBus::sampleReady, m_plot, &LivePlot::addSample);
        connect(bus, &DeviceBus::deviceInfoChanged, m_plot, &LivePlot::updateChannels);
        connect(bus, &DeviceBus::deviceAdded, this, &MainWindow::rebuildDeviceCombo);
        connect(bus, &DeviceBus::deviceRemoved, this, &MainWindow::rebuildDeviceCombo);
        connect(bus, &DeviceBus::deviceStateChanged, this, &MainWindow::updateDeviceActions);
    }
    rebuildDeviceCombo();
    if (m_plotDevice->count() > 0)
        showDeviceInPlot(m_plotDevice->itemData(0).toString());

    m_rateClock.start();
    m_refreshTimer.setInterval(refreshIntervalMs());
    connect(&m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
    m_refreshTimer.start();
    refresh();
}

MainWindow::~MainWindow()
{
    saveLayout();
}

void MainWindow::createActions()
{
    m_showInPlotAction = new QAction(themeIcon(QStringLiteral("plot"), QStyle::SP_FileDialogContentsView),
                                     tr("Show in &plot"), this);
    m_showInPlotAction->setObjectName(QStringLiteral("showInPlotAction"));
    m_showInPlotAction->setToolTip(tr("Plot the selected device's channels"));
    connect(m_showInPlotAction, &QAction::triggered, this,
            [this] { showDeviceInPlot(selectedDevice()); });

    m_unplugAction = new QAction(themeIcon(QStringLiteral("unplug"), QStyle::SP_MediaPause),
                                 tr("&Unplug test"), this);
    m_unplugAction->setObjectName(QStringLiteral("unplugAction"));
    m_unplugAction->setToolTip(
        tr("Make the selected simulated device go away for a second and come back"));
    connect(m_unplugAction, &QAction::triggered, this, [this] { unplugDevice(selectedDevice()); });

    m_reconnectAction = new QAction(themeIcon(QStringLiteral("reconnect"), QStyle::SP_BrowserReload),
                                    tr("&Reconnect"), this);
    m_reconnectAction->setObjectName(QStringLiteral("reconnectAction"));
    m_reconnectAction->setToolTip(tr("Ask the selected device to reconnect (devices that offer it)"));
    connect(m_reconnectAction, &QAction::triggered, this,
            [this] { reconnectDevice(selectedDevice()); });

    m_disconnectClientAction = new QAction(
        themeIcon(QStringLiteral("disconnect"), QStyle::SP_DialogCloseButton), tr("&Disconnect"), this);
    m_disconnectClientAction->setObjectName(QStringLiteral("disconnectClientAction"));
    m_disconnectClientAction->setToolTip(tr("Close the selected client's connection"));
    connect(m_disconnectClientAction, &QAction::triggered, this, [this] {
        if (const quint64 id = selectedClient(); id != 0 && m_server)
            m_server->disconnectClient(id);
    });

    m_exportEventsAction = new QAction(themeIcon(QStringLiteral("export"), QStyle::SP_DialogSaveButton),
                                       tr("&Export events…"), this);
    m_exportEventsAction->setObjectName(QStringLiteral("exportEventsAction"));
    m_exportEventsAction->setToolTip(tr("Save the events shown to a CSV or JSON lines file"));
    connect(m_exportEventsAction, &QAction::triggered, this, &MainWindow::exportEventsInteractive);

    m_clearEventsAction = new QAction(themeIcon(QStringLiteral("clear"), QStyle::SP_DialogResetButton),
                                      tr("C&lear events"), this);
    m_clearEventsAction->setObjectName(QStringLiteral("clearEventsAction"));
    connect(m_clearEventsAction, &QAction::triggered, this, [this] { m_events->clear(); });

    m_resetLayoutAction = new QAction(
        themeIcon(QStringLiteral("reset-layout"), QStyle::SP_DialogResetButton), tr("&Reset layout"), this);
    m_resetLayoutAction->setObjectName(QStringLiteral("resetLayoutAction"));
    connect(m_resetLayoutAction, &QAction::triggered, this, &MainWindow::resetLayout);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setObjectName(QStringLiteral("quitAction"));
    m_quitAction->setShortcut(QKeySequence::Quit);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_aboutAction = new QAction(appIcon(), tr("&About halhub"), this);
    m_aboutAction->setObjectName(QStringLiteral("aboutAction"));
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About halhub"),
                           tr("<b>halhub %1</b><p>Serves lab instruments to WebSocket clients.</p>"
                              "<p>This window monitors devices, clients, streams and latency.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::createCentralPlot()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);

    auto *bar = new QHBoxLayout;
    auto *deviceLabel = new QLabel(tr("Devi&ce:"), central);
    m_plotDevice = new QComboBox(central);
    m_plotDevice->setObjectName(QStringLiteral("plotDevice"));
    m_plotDevice->setMinimumContentsLength(12);
    deviceLabel->setBuddy(m_plotDevice);
    auto *windowLabel = new QLabel(tr("&Window:"), central);
    m_plotWindow = new QComboBox(central);
    m_plotWindow->setObjectName(QStringLiteral("plotWindow"));
    for (int seconds : {5, 10, 30, 60})
        m_plotWindow->addItem(tr("%n second(s)", nullptr, seconds), seconds);
    windowLabel->setBuddy(m_plotWindow);
    auto *hint = new QLabel(tr("Click a channel's name to hide or show it."), central);
    hint->setEnabled(false);
    bar->addWidget(deviceLabel);
    bar->addWidget(m_plotDevice);
    bar->addSpacing(12);
    bar->addWidget(windowLabel);
    bar->addWidget(m_plotWindow);
    bar->addStretch(1);
    bar->addWidget(hint);
    layout->addLayout(bar);

    // The plot over the channels' numbers: the current value without reading
    // it off a line.
    auto *split = new QSplitter(Qt::Vertical, central);
    m_plot = new LivePlot(split);
    m_plot->setObjectName(QStringLiteral("livePlot"));
    m_channels = new ChannelTableModel(this);
    m_channelView = makeTable(m_channels, ChannelTableModel::ChannelColumn);
    m_channelView->setParent(split);
    m_channelView->setObjectName(QStringLiteral("channelView"));
    m_channelView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_channelView->horizontalHeader()->setSectionResizeMode(ChannelTableModel::ChannelColumn,
                                                            QHeaderView::Stretch);
    split->addWidget(m_plot);
    split->addWidget(m_channelView);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    // The header and four channels always show.
    m_channelView->setMinimumHeight(m_channelView->verticalHeader()->defaultSectionSize() * 5
                                    + m_channelView->horizontalScrollBar()->sizeHint().height());
    split->setChildrenCollapsible(false);
    layout->addWidget(split, 1);
    setCentralWidget(central);

    const int savedWindow = QSettings().value(kPlotWindowKey, 10).toInt();
    m_plotWindow->setCurrentIndex(std::max(0, m_plotWindow->findData(savedWindow)));
    m_plot->setWindowSeconds(m_plotWindow->currentData().toInt());
    connect(m_plotWindow, &QComboBox::currentIndexChanged, this, [this] {
        m_plot->setWindowSeconds(m_plotWindow->currentData().toInt());
    });
    connect(m_plotDevice, &QComboBox::activated, this,
            [this](int index) { showDeviceInPlot(m_plotDevice->itemData(index).toString()); });
}

QTableView *MainWindow::makeTable(QAbstractItemModel *model, int stretchColumn)
{
    auto *view = new QTableView(this);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setShowGrid(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(stretchColumn == model->columnCount() - 1);
    view->horizontalHeader()->setSectionResizeMode(stretchColumn, QHeaderView::Stretch);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    // Columns that fit their contents measure the rows in view only: with a
    // thousand clients, measuring every row on each refresh cost the event
    // loop (and so the telemetry) more than all the streaming did.
    view->horizontalHeader()->setResizeContentsPrecision(0);
    return view;
}

ClusterView *MainWindow::addClusterView(ClusterNode *node)
{
    auto *view = new ClusterView(node, this);
    view->setObjectName(QStringLiteral("clusterView"));
    QDockWidget *dock = addDock(QStringLiteral("clusterDock"), tr("Cluster"),
                                themeIcon(QStringLiteral("devices"), QStyle::SP_DriveNetIcon),
                                view, Qt::LeftDockWidgetArea);
    if (!m_docks.isEmpty() && m_docks.first() != dock)
        tabifyDockWidget(m_docks.first(), dock);
    return view;
}

QDockWidget *MainWindow::addDock(const QString &objectName, const QString &title, const QIcon &icon,
                                 QWidget *content, Qt::DockWidgetArea area)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable
                      | QDockWidget::DockWidgetFloatable);
    dock->toggleViewAction()->setIcon(icon);
    addDockWidget(area, dock);
    m_docks.append(dock);
    return dock;
}

void MainWindow::createDocks()
{
    const auto withToolBar = [this](QTableView *view, const QList<QWidget *> &extra,
                                    const QList<QAction *> &actions) {
        auto *box = new QWidget(this);
        auto *layout = new QVBoxLayout(box);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->setSpacing(0);
        auto *bar = new QToolBar(box);
        bar->setIconSize(QSize(16, 16));
        bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        for (QWidget *w : extra)
            bar->addWidget(w);
        bar->addActions(actions);
        layout->addWidget(bar);
        layout->addWidget(view, 1);
        return box;
    };

    // Devices
    m_deviceView = makeTable(m_devices, DeviceTableModel::ErrorColumn);
    m_deviceView->setObjectName(QStringLiteral("deviceView"));
    m_deviceView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_deviceView->addActions({m_showInPlotAction, m_unplugAction, m_reconnectAction});
    connect(m_deviceView, &QTableView::doubleClicked, this,
            [this](const QModelIndex &index) {
                showDeviceInPlot(index.data(DeviceTableModel::DeviceIdRole).toString());
            });
    connect(m_deviceView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateDeviceActions);
    connect(m_devices, &QAbstractItemModel::dataChanged, this, &MainWindow::updateDeviceActions);
    QDockWidget *devices = addDock(
        QStringLiteral("devicesDock"), tr("Devices"),
        themeIcon(QStringLiteral("devices"), QStyle::SP_DriveHDIcon),
        withToolBar(m_deviceView, {}, {m_showInPlotAction, m_unplugAction, m_reconnectAction}),
        Qt::LeftDockWidgetArea);

    // Clients
    m_clientView = makeTable(m_clients, ClientTableModel::ClientColumn);
    m_clientView->setObjectName(QStringLiteral("clientView"));
    m_clientView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_clientView->addAction(m_disconnectClientAction);
    connect(m_clientView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateClientActions);
    connect(m_clients, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateClientActions);
    QDockWidget *clients = addDock(
        QStringLiteral("clientsDock"), tr("Clients"),
        themeIcon(QStringLiteral("clients"), QStyle::SP_DirHomeIcon),
        withToolBar(m_clientView, {}, {m_disconnectClientAction}), Qt::BottomDockWidgetArea);

    // Streams
    m_streamView = makeTable(m_streams, StreamTableModel::OwnerColumn);
    m_streamView->setObjectName(QStringLiteral("streamView"));
    connect(m_streamView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (const StreamStats *s = m_streams->stream(index.row()))
            showDeviceInPlot(s->device);
    });
    QDockWidget *streams = addDock(QStringLiteral("streamsDock"), tr("Streams"),
                                   themeIcon(QStringLiteral("streams"), QStyle::SP_ArrowRight),
                                   m_streamView, Qt::BottomDockWidgetArea);

    // Latency
    auto *latencyBox = new QWidget(this);
    auto *latencyLayout = new QVBoxLayout(latencyBox);
    latencyLayout->setContentsMargins(4, 4, 4, 4);
    auto *latencyBar = new QHBoxLayout;
    auto *latencyLabel = new QLabel(tr("&Markers for:"), latencyBox);
    m_latencyStream = new QComboBox(latencyBox);
    m_latencyStream->setObjectName(QStringLiteral("latencyStream"));
    m_latencyStream->addItem(tr("All streams"), QString());
    latencyLabel->setBuddy(m_latencyStream);
    latencyBar->addWidget(latencyLabel);
    latencyBar->addWidget(m_latencyStream, 1);
    latencyLayout->addLayout(latencyBar);
    m_latencyView = new LatencyHistogramView(latencyBox);
    m_latencyView->setObjectName(QStringLiteral("latencyView"));
    m_latencyView->setToolTip(tr("Time from a device sample to the socket write of its frame, "
                                 "live frames of the last minute"));
    latencyLayout->addWidget(m_latencyView, 1);
    connect(m_latencyStream, &QComboBox::currentIndexChanged, this, &MainWindow::updateLatency);
    QDockWidget *latency = addDock(QStringLiteral("latencyDock"), tr("Latency"),
                                   themeIcon(QStringLiteral("latency"), QStyle::SP_FileDialogInfoView),
                                   latencyBox, Qt::LeftDockWidgetArea);

    // Events
    m_eventFilter = new QSortFilterProxyModel(this);
    m_eventFilter->setSourceModel(m_events);
    m_eventFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_eventFilter->setFilterKeyColumn(-1);
    m_eventView = makeTable(m_eventFilter, EventLogModel::DetailsColumn);
    m_eventView->setObjectName(QStringLiteral("eventView"));
    m_eventView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_eventFilterEdit = new QLineEdit(this);
    m_eventFilterEdit->setObjectName(QStringLiteral("eventFilter"));
    m_eventFilterEdit->setPlaceholderText(tr("Filter events…"));
    m_eventFilterEdit->setClearButtonEnabled(true);
    m_eventFilterEdit->setMaximumWidth(260);
    connect(m_eventFilterEdit, &QLineEdit::textChanged, m_eventFilter,
            &QSortFilterProxyModel::setFilterFixedString);
    // Follow new events while the view is scrolled to the end.
    connect(m_eventFilter, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        QScrollBar *bar = m_eventView->verticalScrollBar();
        m_eventView->setProperty("followTail", bar->value() >= bar->maximum() - 2);
    });
    connect(m_eventFilter, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_eventView->property("followTail").toBool())
            m_eventView->scrollToBottom();
    });
    QWidget *eventsBox =
        withToolBar(m_eventView, {m_eventFilterEdit}, {m_exportEventsAction, m_clearEventsAction});
    // However narrow the dock, "Clear events" stays on the bar, not in an
    // overflow menu: the filter field gives way first.
    m_eventFilterEdit->setMinimumWidth(100);
    eventsBox->setMinimumWidth(eventsBox->findChild<QToolBar *>()->sizeHint().width()
                               - m_eventFilterEdit->sizeHint().width() + 100);
    QDockWidget *events = addDock(
        QStringLiteral("eventsDock"), tr("Events"),
        themeIcon(QStringLiteral("events"), QStyle::SP_MessageBoxInformation), eventsBox,
        Qt::BottomDockWidgetArea);

    // Commands
    m_commandPanel = new CommandPanel(m_bus, m_server ? m_server->commands() : nullptr, this);
    m_commandPanel->setObjectName(QStringLiteral("commandPanel"));
    QDockWidget *commands = addDock(QStringLiteral("commandsDock"), tr("Commands"),
                                    themeIcon(QStringLiteral("commands"), QStyle::SP_CommandLink),
                                    m_commandPanel, Qt::LeftDockWidgetArea);
    // A device picked in the Devices dock is the one the form commands.
    connect(m_deviceView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { m_commandPanel->select(selectedDevice()); });

    // Recordings: beside the streams, whose samples they keep.
    m_recordings = new RecordingsDock(m_server ? m_server->recorder() : nullptr, this);
    m_recordings->setObjectName(QStringLiteral("recordingsPanel"));
    QDockWidget *recordings = addDock(QStringLiteral("recordingsDock"), tr("Recordings"),
                                      QIcon::fromTheme(QStringLiteral("media-record"),
                                                       style()->standardIcon(QStyle::SP_DialogSaveButton)),
                                      m_recordings, Qt::BottomDockWidgetArea);

    // Devices over latency on the left, the plot in the middle, the
    // connections and the event log side by side along the bottom.
    splitDockWidget(devices, latency, Qt::Vertical);
    splitDockWidget(clients, events, Qt::Horizontal);
    // Both at once: who is connected and what each of them streams.
    splitDockWidget(clients, streams, Qt::Horizontal);
    tabifyDockWidget(streams, recordings);
    streams->raise();
    // Below the devices it commands, beside the latency histogram.
    tabifyDockWidget(latency, commands);
    latency->raise();
    resizeDocks({devices}, {600}, Qt::Horizontal);
    resizeDocks({devices, latency}, {220, 330}, Qt::Vertical);
    resizeDocks({clients}, {250}, Qt::Vertical);
    resizeDocks({clients, streams, events}, {430, 430, 580}, Qt::Horizontal);

    const auto fitColumns = [](QTableView *view, const QList<int> &widths) {
        for (int i = 0; i < widths.size(); ++i) {
            if (widths.at(i) > 0)
                view->setColumnWidth(i, widths.at(i));
        }
    };
    // Short cells fit their text; a long port is elided in the middle (its
    // tooltip has it whole); the last error takes what is left.
    m_deviceView->setTextElideMode(Qt::ElideMiddle);
    for (int column : {int(DeviceTableModel::IdColumn), int(DeviceTableModel::NameColumn),
                       int(DeviceTableModel::PluginColumn), int(DeviceTableModel::StateColumn),
                       int(DeviceTableModel::RateColumn)})
        m_deviceView->horizontalHeader()->setSectionResizeMode(column,
                                                               QHeaderView::ResizeToContents);
    fitColumns(m_deviceView, {0, 0, 0, 110});
    // Headers and figures are never cut (German headers are longer): the
    // columns fit their contents, the stretching one takes the rest.
    const auto fitContents = [](QTableView *view, int stretchColumn) {
        view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        view->horizontalHeader()->setSectionResizeMode(stretchColumn, QHeaderView::Stretch);
    };
    fitContents(m_clientView, ClientTableModel::ClientColumn);
    fitContents(m_streamView, StreamTableModel::OwnerColumn);
    for (int column : {int(EventLogModel::TimeColumn), int(EventLogModel::SeverityColumn)})
        m_eventView->horizontalHeader()->setSectionResizeMode(column,
                                                              QHeaderView::ResizeToContents);
    fitColumns(m_eventView, {0, 0, 90, 130});
    updateDeviceActions();
    updateClientActions();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_exportEventsAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *devices = menuBar()->addMenu(tr("&Devices"));
    devices->addAction(m_showInPlotAction);
    devices->addAction(m_unplugAction);
    devices->addAction(m_reconnectAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : std::as_const(m_docks))
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    view->addAction(m_resetLayoutAction);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAction);
}

void MainWindow::createStatusBar()
{
    m_urlButton = new QToolButton(this);
    m_urlButton->setObjectName(QStringLiteral("urlButton"));
    m_urlButton->setAutoRaise(true);
    m_urlButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_urlButton->setIcon(themeIcon(QStringLiteral("copy"), QStyle::SP_FileLinkIcon));
    m_urlButton->setToolTip(tr("Listening here; click to copy the address"));
    m_urlButton->setText(m_server ? m_server->url().toString() : tr("not listening"));
    connect(m_urlButton, &QToolButton::clicked, this, &MainWindow::copyUrl);
    statusBar()->addWidget(m_urlButton);

    if (m_server && m_server->isInsecure()) {
        auto *warning = new QLabel(tr("NO AUTHENTICATION: anyone who can reach this port can "
                                      "command the instruments (--insecure)"),
                                   this);
        warning->setObjectName(QStringLiteral("insecureWarning"));
        warning->setStyleSheet(QStringLiteral(
            "QLabel { background: #c62828; color: white; font-weight: bold; padding: 2px 8px; }"));
        statusBar()->addWidget(warning);
    }

    m_clientsLabel = new QLabel(this);
    m_clientsLabel->setObjectName(QStringLiteral("clientsLabel"));
    m_rateLabel = new QLabel(this);
    m_rateLabel->setObjectName(QStringLiteral("rateLabel"));
    m_uptimeLabel = new QLabel(this);
    m_uptimeLabel->setObjectName(QStringLiteral("uptimeLabel"));
    for (QLabel *label : {m_clientsLabel, m_rateLabel, m_uptimeLabel}) {
        label->setContentsMargins(8, 0, 8, 0);
        statusBar()->addPermanentWidget(label);
    }
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    const QByteArray geometry = settings.value(kGeometryKey).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray state = settings.value(kStateKey).toByteArray();
    if (!state.isEmpty())
        restoreState(state, kLayoutVersion);
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState(kLayoutVersion));
    settings.setValue(kPlotWindowKey, m_plotWindow->currentData().toInt());
}

void MainWindow::resetLayout()
{
    for (QDockWidget *dock : std::as_const(m_docks)) {
        dock->setFloating(false);
        dock->show();
    }
    restoreState(m_defaultState, kLayoutVersion);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

QString MainWindow::selectedDevice() const
{
    const QModelIndexList rows = m_deviceView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(DeviceTableModel::DeviceIdRole).toString();
}

quint64 MainWindow::selectedClient() const
{
    const QModelIndexList rows = m_clientView->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : rows.first().data(ClientTableModel::IdRole).toULongLong();
}

void MainWindow::updateDeviceActions()
{
    const DeviceInfo *info = m_devices->device(m_devices->rowOf(selectedDevice()));
    const bool connected = info && info->state == DeviceState::Connected;
    m_showInPlotAction->setEnabled(info != nullptr);
    m_unplugAction->setEnabled(connected && info->command(QStringLiteral("unplug")));
    m_reconnectAction->setEnabled(connected && info->command(QStringLiteral("reconnect")));
}

void MainWindow::updateClientActions()
{
    m_disconnectClientAction->setEnabled(selectedClient() != 0);
}

QString MainWindow::plotDevice() const
{
    return m_plot->deviceId();
}

void MainWindow::showDeviceInPlot(const QString &device)
{
    if (device.isEmpty() || !m_bus)
        return;
    const std::optional<DeviceInfo> info = m_bus->device(device);
    if (!info)
        return;
    if (m_plot->deviceId() != device)
        m_plot->setDevice(*info);
    const int index = m_plotDevice->findData(device);
    if (index >= 0)
        m_plotDevice->setCurrentIndex(index);
    const int row = m_devices->rowOf(device);
    if (row >= 0 && selectedDevice() != device)
        m_deviceView->selectRow(row);
}

void MainWindow::rebuildDeviceCombo()
{
    const QString current = m_plot->deviceId();
    m_plotDevice->clear();
    if (!m_bus)
        return;
    for (const DeviceInfo &info : m_bus->devices())
        m_plotDevice->addItem(info.name.isEmpty() || info.name == info.id
                                  ? info.id
                                  : tr("%1 – %2").arg(info.id, info.name),
                              info.id);
    const int index = m_plotDevice->findData(current);
    if (index >= 0) {
        m_plotDevice->setCurrentIndex(index);
    } else if (!current.isEmpty()) {
        // The plotted device went away.
        m_plot->clearDevice();
        if (m_plotDevice->count() > 0)
            showDeviceInPlot(m_plotDevice->itemData(0).toString());
    }
    updateDeviceActions();
}

void MainWindow::rebuildStreamCombo()
{
    const QString current = m_latencyStream->currentData().toString();
    QStringList ids;
    for (int row = 0; row < m_streams->rowCount(); ++row)
        ids.append(m_streams->stream(row)->id);
    QStringList shown;
    for (int i = 1; i < m_latencyStream->count(); ++i)
        shown.append(m_latencyStream->itemData(i).toString());
    if (ids == shown)
        return;
    const QSignalBlocker blocker(m_latencyStream);
    while (m_latencyStream->count() > 1)
        m_latencyStream->removeItem(1);
    for (int row = 0; row < m_streams->rowCount(); ++row) {
        const StreamStats *s = m_streams->stream(row);
        m_latencyStream->addItem(tr("Stream %1 (%2)").arg(s->id, s->device), s->id);
    }
    m_latencyStream->setCurrentIndex(std::max(0, m_latencyStream->findData(current)));
}

bool MainWindow::submitCommand(const QString &device, const QString &command,
                               const QVariantMap &params, int timeoutMs)
{
    if (!m_server || device.isEmpty())
        return false;
    const CommandRouter::Submission submission =
        m_commandPanel->submit(device, command, params, timeoutMs);
    if (submission.outcome == CommandRouter::Submission::Outcome::Refused) {
        logEvent(QStringLiteral("command_failed"), device, {},
                 tr("%1 refused: %2").arg(command, submission.errorMessage.isEmpty()
                                                       ? submission.errorCode
                                                       : submission.errorMessage),
                 int(EventLogModel::Severity::Error));
        return false;
    }
    statusBar()->showMessage(tr("Sent %1 to %2").arg(command, device), 3000);
    return true;
}

bool MainWindow::unplugDevice(const QString &device, int ms)
{
    return submitCommand(device, QStringLiteral("unplug"), {{QStringLiteral("ms"), ms}}, 5000);
}

bool MainWindow::reconnectDevice(const QString &device)
{
    return submitCommand(device, QStringLiteral("reconnect"), {}, 10000);
}

void MainWindow::onCommandResult(const CommandResult &result)
{
    const bool ok = result.status == CommandResult::Status::Ok;
    const QString details = ok ? tr("%1: ok after %2 ms").arg(result.command).arg(result.durationMs)
                               : tr("%1: %2 (%3)")
                                     .arg(result.command, commandStatusName(result.status),
                                          result.errorMessage.isEmpty() ? result.errorCode
                                                                        : result.errorMessage);
    logEvent(ok ? QStringLiteral("command_finished") : QStringLiteral("command_failed"),
             result.device, {}, details,
             int(ok ? EventLogModel::Severity::Info : EventLogModel::Severity::Error));
}

void MainWindow::onAuditRecord(const QVariantMap &record)
{
    const QString status = record.value(QStringLiteral("status")).toString();
    const QString user = record.value(QStringLiteral("user")).toString();
    const QString address = record.value(QStringLiteral("address")).toString();
    const bool finished = status == QLatin1String("ok") || status == QLatin1String("duplicate");
    // "audit" only when there is an audit log to look the record up in.
    const AuditLog *audit = m_server ? m_server->auditLog() : nullptr;
    const bool audited = audit && !audit->fileName().isEmpty();
    const bool failed = status == QLatin1String("error") || status == QLatin1String("timeout");
    const int severity = int(finished ? EventLogModel::Severity::Info
                             : failed ? EventLogModel::Severity::Error
                                      : EventLogModel::Severity::Warning);
    logEvent(audited ? QStringLiteral("command_audit") : QStringLiteral("command"), record.value(QStringLiteral("device")).toString(),
             user.isEmpty() ? address : QStringLiteral("%1 (%2)").arg(user, address),
             tr("%1: %2").arg(record.value(QStringLiteral("command")).toString(), status), severity);
}

void MainWindow::logEvent(const QString &event, const QString &device, const QString &client,
                          const QString &details, int severity)
{
    EventLogModel::Entry entry;
    entry.event = event;
    entry.device = device;
    entry.client = client;
    entry.details = details;
    entry.severity = EventLogModel::Severity(severity);
    m_events->addEntry(std::move(entry));
}

void MainWindow::onClientConnected(quint64 id)
{
    // One lookup, not the whole client list: a thousand clients connecting
    // at once must not cost the event loop a million rows.
    const QString address = m_server ? m_server->clientAddress(id) : QString();
    m_clientAddresses.insert(id, address);
    logEvent(QStringLiteral("client_connected"), {}, address, {},
             int(EventLogModel::Severity::Info));
}

void MainWindow::onClientDisconnected(quint64 id)
{
    logEvent(QStringLiteral("client_disconnected"), {}, m_clientAddresses.take(id), {},
             int(EventLogModel::Severity::Info));
}

void MainWindow::onStreamOpened(const StreamStats &stream)
{
    EventLogModel::Entry entry;
    entry.event = QStringLiteral("stream_opened");
    entry.device = stream.device;
    entry.stream = stream.id;
    entry.details = stream.requestedRateHz > 0
        ? tr("%1 at %2 Hz").arg(streamModeName(stream.mode)).arg(stream.requestedRateHz)
        : streamModeName(stream.mode);
    m_events->addEntry(std::move(entry));
}

void MainWindow::onStreamClosed(const StreamStats &stream)
{
    EventLogModel::Entry entry;
    entry.event = QStringLiteral("stream_closed");
    entry.severity = EventLogModel::Severity::Info;
    entry.device = stream.device;
    entry.stream = stream.id;
    entry.details = tr("%n frame(s) sent", nullptr, int(stream.framesSent));
    m_events->addEntry(std::move(entry));
}

void MainWindow::onFramesDropped(const StreamStats &stream, quint64 dropped)
{
    EventLogModel::Entry entry;
    entry.event = QStringLiteral("stream_overflow");
    entry.severity = EventLogModel::Severity::Warning;
    entry.device = stream.device;
    entry.stream = stream.id;
    entry.data.insert(QStringLiteral("dropped"), qulonglong(dropped));
    m_events->addEntry(std::move(entry));
}

void MainWindow::refresh()
{
    m_clients->refresh();
    m_streams->refresh();
    m_channels->setReadings(m_plot->readings());
    rebuildStreamCombo();
    updateLatency();
    updateStatus();
}

void MainWindow::updateLatency()
{
    if (!m_server)
        return;
    // Nothing to draw for a hidden dock; the poll stays cheap.
    if (isVisible() && !m_latencyView->isVisible())
        return;
    const qint64 now = m_server->latencyClockMs();
    const LatencyHistogram &histogram = m_server->latency();
    m_latencyView->setHistogram(histogram.windowBuckets(now), histogram.summary(now));

    const QString stream = m_latencyStream->currentData().toString();
    if (stream.isEmpty())
        return;
    for (int row = 0; row < m_streams->rowCount(); ++row) {
        const StreamStats *s = m_streams->stream(row);
        if (s->id != stream)
            continue;
        QList<LatencyHistogramView::Marker> markers;
        if (s->latencyP50Ms >= 0)
            markers.append({tr("p50"), s->latencyP50Ms, QColor(0x2e, 0x9e, 0x44)});
        if (s->latencyP95Ms >= 0)
            markers.append({tr("p95"), s->latencyP95Ms, QColor(0xd0, 0x8a, 0x10)});
        m_latencyView->setMarkers(markers, tr("Stream %1 (%2): percentiles of its last 256 frames")
                                               .arg(s->id, s->device));
        return;
    }
}

void MainWindow::updateStatus()
{
    if (!m_server)
        return;
    const int clients = m_server->clientCount();
    m_clientsLabel->setText(tr("%n client(s)", nullptr, clients));

    const qint64 now = m_rateClock.elapsed();
    const qint64 sent = m_server->messagesSentTotal();
    if (m_lastMessagesSent >= 0 && now - m_lastRateSampleMs >= 900) {
        m_messagesPerSecond = double(sent - m_lastMessagesSent) * 1000.0 / double(now - m_lastRateSampleMs);
        m_lastMessagesSent = sent;
        m_lastRateSampleMs = now;
    } else if (m_lastMessagesSent < 0) {
        m_lastMessagesSent = sent;
        m_lastRateSampleMs = now;
    }
    m_rateLabel->setText(tr("%1 msg/s").arg(QLocale().toString(m_messagesPerSecond, 'f', 0)));
    m_uptimeLabel->setText(tr("up %1").arg(formatUptime(m_server->uptimeSeconds())));
    m_urlButton->setText(m_server->url().toString());
}

void MainWindow::copyUrl()
{
    const QString url = m_urlButton->text();
    QApplication::clipboard()->setText(url);
    statusBar()->showMessage(tr("Copied %1").arg(url), 3000);
}

bool MainWindow::exportEvents(const QString &fileName)
{
    // What the filter shows is what gets saved.
    m_events->flush();
    QList<int> rows;
    for (int row = 0; row < m_eventFilter->rowCount(); ++row)
        rows.append(m_eventFilter->mapToSource(m_eventFilter->index(row, 0)).row());
    if (rows.isEmpty()) {
        statusBar()->showMessage(tr("No events to export"), 3000);
        return false;
    }
    QString error;
    if (!m_events->exportTo(fileName, &error, rows)) {
        statusBar()->showMessage(tr("Could not write %1: %2").arg(fileName, error), 5000);
        return false;
    }
    statusBar()->showMessage(tr("%n event(s) written to %1", nullptr, int(rows.size())).arg(fileName),
                             5000);
    return true;
}

void MainWindow::exportEventsInteractive()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString fileName = QFileDialog::getSaveFileName(
        this, tr("Export events"),
        dir + QStringLiteral("/halhub-events-%1.csv")
                  .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
        tr("CSV (*.csv);;JSON lines (*.jsonl)"));
    if (!fileName.isEmpty())
        exportEvents(fileName);
}

} // namespace halhub
