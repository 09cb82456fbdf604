#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

class QAbstractItemModel;
class QComboBox;
class QDockWidget;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace halhub {

class ChannelTableModel;
class ClientTableModel;
class ClusterNode;
class ClusterView;
class CommandPanel;
class CommandRouter;
class DeviceTableModel;
class EventLogModel;
class DeviceBus;
class LatencyHistogramView;
class LivePlot;
class RecordingsDock;
class Server;
class StreamTableModel;
struct CommandResult;
struct DeviceInfo;
struct StreamStats;

// The monitor window. It only observes the server and the device bus (tables
// fed by signals and by a 4 Hz poll of the server's statistics) and acts the
// way a client would: device commands go through the hub's command desk, the
// door every client's command passes (queued behind clients' ones, audited),
// under the session name "gui".
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(halhub::Server *server, halhub::DeviceBus *bus, QWidget *parent = nullptr);
    ~MainWindow() override;


    DeviceTableModel *deviceModel() const { return m_devices; }
    ClientTableModel *clientModel() const { return m_clients; }
    StreamTableModel *streamModel() const { return m_streams; }
    EventLogModel *eventModel() const { return m_events; }
    LatencyHistogramView *latencyView() const { return m_latencyView; }
    LivePlot *plot() const { return m_plot; }
    QTableView *channelView() const { return m_channelView; }
    CommandPanel *commandPanel() const { return m_commandPanel; }
    RecordingsDock *recordingsDock() const { return m_recordings; }
    QString plotDevice() const;
    // In a cluster: adds the Cluster dock (nodes, their devices, the Redis link).
    ClusterView *addClusterView(ClusterNode *node);

public Q_SLOTS:
    // Polls the server now (the timer does it every refreshIntervalMs()).
    void refresh();
    void resetLayout();
    void showDeviceInPlot(const QString &device);
    // Sends the sim's `unplug` as the Commands dock would. False: refused at once.
    bool unplugDevice(const QString &device, int ms = 1000);
    bool reconnectDevice(const QString &device);
    bool exportEvents(const QString &fileName);
    void copyUrl();

public:
    static constexpr int refreshIntervalMs() { return 250; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createCentralPlot();
    void createDocks();
    void createMenus();
    void createStatusBar();
    QDockWidget *addDock(const QString &objectName, const QString &title, const QIcon &icon,
                         QWidget *content, Qt::DockWidgetArea area);
    // stretchColumn takes the room left (a text column, so numbers stay in view).
    QTableView *makeTable(QAbstractItemModel *model, int stretchColumn);
    void restoreLayout();
    void saveLayout();

    QString selectedDevice() const;
    quint64 selectedClient() const;
    void updateDeviceActions();
    void updateClientActions();
    void updateLatency();
    void updateStatus();
    void rebuildDeviceCombo();
    void rebuildStreamCombo();
    bool submitCommand(const QString &device, const QString &command, const QVariantMap &params,
                       int timeoutMs);
    void onCommandResult(const CommandResult &result);
    void onClientConnected(quint64 id);
    void onClientDisconnected(quint64 id);
    void onStreamOpened(const StreamStats &stream);
    void onStreamClosed(const StreamStats &stream);
    void onFramesDropped(const StreamStats &stream, quint64 dropped);
    void onAuditRecord(const QVariantMap &record);
    void logEvent(const QString &event, const QString &device, const QString &client,
                  const QString &details, int severity);
    void exportEventsInteractive();

    QPointer<Server> m_server;
    QPointer<DeviceBus> m_bus;

    DeviceTableModel *m_devices = nullptr;
    ClientTableModel *m_clients = nullptr;
    StreamTableModel *m_streams = nullptr;
    EventLogModel *m_events = nullptr;
    QSortFilterProxyModel *m_eventFilter = nullptr;

    QTableView *m_deviceView = nullptr;
    QTableView *m_clientView = nullptr;
    QTableView *m_streamView = nullptr;
    QTableView *m_eventView = nullptr;
    QLineEdit *m_eventFilterEdit = nullptr;
    LatencyHistogramView *m_latencyView = nullptr;
    QComboBox *m_latencyStream = nullptr;
    LivePlot *m_plot = nullptr;
    ChannelTableModel *m_channels = nullptr;
    QTableView *m_channelView = nullptr;
    CommandPanel *m_commandPanel = nullptr;
    RecordingsDock *m_recordings = nullptr;
    QComboBox *m_plotDevice = nullptr;
    QComboBox *m_plotWindow = nullptr;

    QList<QDockWidget *> m_docks;
    QByteArray m_defaultState;

    QAction *m_showInPlotAction = nullptr;
    QAction *m_unplugAction = nullptr;
    QAction *m_reconnectAction = nullptr;
    QAction *m_disconnectClientAction = nullptr;
    QAction *m_exportEventsAction = nullptr;
    QAction *m_clearEventsAction = nullptr;
    QAction *m_resetLayoutAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_aboutAction = nullptr;

    QToolButton *m_urlButton = nullptr;
    QLabel *m_clientsLabel = nullptr;
    QLabel *m_rateLabel = nullptr;
    QLabel *m_uptimeLabel = nullptr;

    QTimer m_refreshTimer;
    QElapsedTimer m_rateClock;
    qint64 m_lastMessagesSent = -1;
    qint64 m_lastRateSampleMs = 0;
    double m_messagesPerSecond = 0;
    // Addresses of open connections, to name a client after it has gone.
    QHash<quint64, QString> m_clientAddresses;
};

} // namespace halhub
