// halhub: serves lab instruments to WebSocket clients.
//
// main() only parses the command line, builds the objects and picks the
// application class: QCoreApplication with --headless, QApplication (and
// the monitor window) otherwise.

#include "bus/compositebus.h"
#include "cluster/clusternode.h"
#include "cluster/remotebus.h"
#include "config/config.h"
#include "halmanager.h"
#include "transport/idnprobe.h"
#include "transport/portregistry.h"
#include "server/server.h"
#include "unixsignals.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSerialPortInfo>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <memory>

#ifdef HALHUB_WITH_GUI
#include "mainwindow.h"
#include "translations.h"
#endif

using namespace halhub;

namespace {

constexpr int kExitConfigError = 2;

bool wantsHeadless(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--headless" || arg == "--list-ports" || arg == "--version" || arg == "-v"
            || arg == "--help" || arg == "-h")
            return true;
    }
    return false;
}

// No display and no Qt platform asked for (docs/protocol.md section 10):
// the window could not open, so halhub runs headless rather than abort.
bool hasNoDisplay(int argc, char *argv[])
{
    if (qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
        || qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        return false;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-platform" || arg.startsWith("-platform=") || arg == "--platform")
            return false;
    }
    return true;
}

// With --probe: each port's reply to *IDN? at 9600 and 115200 baud
// (docs/protocol.md section 16); a port that cannot be opened (another program has
// it) is left alone and says why.
void probePort(QTextStream &out, const QString &path)
{
    for (const qint32 baud : {9600, 115200}) {
        QString error;
        const QByteArray reply = probeIdnNow(path, baud, 1000, &error);
        out << "    *IDN? at " << baud << ": ";
        if (!error.isEmpty()) {
            out << QCoreApplication::translate("main", "cannot be opened (%1)").arg(error) << Qt::endl;
            return;
        }
        out << (reply.isEmpty() ? QCoreApplication::translate("main", "no reply")
                                : QStringLiteral("\"%1\"").arg(QString::fromUtf8(reply)))
            << Qt::endl;
    }
}

void listPorts(QTextStream &out, bool probe)
{
    const QList<QSerialPortInfo> ports = QSerialPortInfo::availablePorts();
    // Ports named in HALHUB_SERIAL_PORTS that the system does not list.
    QStringList extra;
    for (const PortDescription &port : PortRegistry::ports()) {
        const bool listed = std::any_of(ports.cbegin(), ports.cend(), [&port](const auto &p) {
            return p.systemLocation() == port.path;
        });
        if (!listed)
            extra << port.path;
    }
    if (ports.isEmpty() && extra.isEmpty()) {
        out << QCoreApplication::translate("main", "No serial ports found.") << Qt::endl;
        return;
    }
    for (const QSerialPortInfo &p : ports) {
        const auto hex = [](bool has, quint16 id) {
            return has ? QStringLiteral("%1").arg(id, 4, 16, QLatin1Char('0')) : QStringLiteral("-");
        };
        out << p.systemLocation() << "  vid=" << hex(p.hasVendorIdentifier(), p.vendorIdentifier())
            << " pid=" << hex(p.hasProductIdentifier(), p.productIdentifier())
            << " serial=" << (p.serialNumber().isEmpty() ? QStringLiteral("-") : p.serialNumber())
            << " manufacturer=\"" << p.manufacturer() << "\" description=\"" << p.description()
            << "\"" << Qt::endl;
        if (probe)
            probePort(out, p.systemLocation());
    }
    for (const QString &path : std::as_const(extra)) {
        out << path << "  vid=- pid=- serial=- (HALHUB_SERIAL_PORTS)" << Qt::endl;
        if (probe)
            probePort(out, path);
    }
}

} // namespace

int main(int argc, char *argv[])
{
    const bool noDisplay = !wantsHeadless(argc, argv) && hasNoDisplay(argc, argv);
    const bool headless = wantsHeadless(argc, argv) || noDisplay;
    // Headless, Qt's own event dispatcher: with thousands of sockets GLib's
    // costs a fifth of the server's time in polling alone. QT_NO_GLIB set
    // but empty in the environment keeps GLib.
    if (headless && !qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    // With the window, the main thread keeps GLib's dispatcher (the desktop's
    // dialogs need it), but the socket, audit and recording threads take Qt's
    // own, as they do headless: they carry the clients' sockets.
    if (!headless && !qEnvironmentVariableIsSet("QT_NO_THREADED_GLIB"))
        qputenv("QT_NO_THREADED_GLIB", "1");
    std::unique_ptr<QCoreApplication> app;
#ifdef HALHUB_WITH_GUI
    if (headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
#else
    app = std::make_unique<QCoreApplication>(argc, argv);
#endif
    // Installed first: a SIGTERM that comes while starting up must still
    // end in a clean shutdown, not the default kill.
    UnixSignals unixSignals;
    QCoreApplication::setApplicationName(QStringLiteral("halhub"));
    QCoreApplication::setOrganizationName(QStringLiteral("halhub"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HALHUB_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Serves lab instruments (serial devices and simulations) to WebSocket clients."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(
        QStringLiteral("config"), QCoreApplication::translate("main", "Read the configuration from <file>."),
        QStringLiteral("file"));
    const QCommandLineOption hostOption(
        QStringLiteral("host"), QCoreApplication::translate("main", "Listen on <address> (overrides server.host)."),
        QStringLiteral("address"));
    const QCommandLineOption portOption(
        QStringLiteral("port"), QCoreApplication::translate("main", "Listen on <port> (overrides server.port)."),
        QStringLiteral("port"));
    const QCommandLineOption headlessOption(
        QStringLiteral("headless"), QCoreApplication::translate("main", "Run without a window."));
    const QCommandLineOption simulateOption(
        QStringLiteral("simulate"), QCoreApplication::translate("main", "Add <n> simulated devices at 100 Hz."),
        QStringLiteral("n"));
    const QCommandLineOption insecureOption(
        QStringLiteral("insecure"),
        QCoreApplication::translate("main", "Allow a non-loopback address without authentication."));
    const QCommandLineOption listPortsOption(
        QStringLiteral("list-ports"), QCoreApplication::translate("main", "List serial ports and exit."));
    const QCommandLineOption probeOption(
        QStringLiteral("probe"),
        QCoreApplication::translate("main", "With --list-ports: ask each free port *IDN? at 9600 and 115200 baud."));
    const QCommandLineOption langOption(
        QStringLiteral("lang"),
        QCoreApplication::translate("main", "Show the window in <language> (e.g. de); default: the system's."),
        QStringLiteral("language"));
    const QCommandLineOption nodeOption(
        QStringLiteral("node"),
        QCoreApplication::translate("main", "Join a cluster as node <name> (overrides cluster.node)."),
        QStringLiteral("name"));
    const QCommandLineOption redisOption(
        QStringLiteral("redis"),
        QCoreApplication::translate("main", "The cluster's Redis at <url> (overrides cluster.redis)."),
        QStringLiteral("url"));
    parser.addOptions({configOption, hostOption, portOption, headlessOption, simulateOption,
                       insecureOption, listPortsOption, probeOption, langOption, nodeOption,
                       redisOption});
    parser.process(*app);
#ifdef HALHUB_WITH_GUI
    if (!headless)
        installTranslations(*app, parser.value(langOption));
#endif

    QTextStream out(stdout);
    QTextStream err(stderr);
#ifdef HALHUB_WITH_GUI
    if (noDisplay)
        err << "halhub: no display (DISPLAY, WAYLAND_DISPLAY) and no Qt platform: running headless"
            << Qt::endl;
#endif
    if (parser.isSet(listPortsOption)) {
        listPorts(out, parser.isSet(probeOption));
        return 0;
    }

    HalManager hal;
    hal.discoverPlugins();
    for (const QString &problem : hal.loadErrors())
        err << "halhub: plugin: " << problem << Qt::endl;

    Config config = Config::defaults();
    const QString configFile = parser.value(configOption);
    if (!configFile.isEmpty()) {
        ConfigError error;
        const std::optional<Config> loaded = loadConfig(configFile, hal.pluginConfigKeys(), &error);
        if (!loaded) {
            err << "halhub: bad configuration: " << error.toString() << Qt::endl;
            return kExitConfigError;
        }
        config = *loaded;
    }
    if (parser.isSet(simulateOption)) {
        bool ok = false;
        const int n = parser.value(simulateOption).toInt(&ok);
        if (!ok || n < 0 || n > 1000) {
            err << "halhub: --simulate expects a number from 0 to 1000" << Qt::endl;
            return kExitConfigError;
        }
        config.addSimulated(n);
    }
    if (parser.isSet(hostOption))
        config.server.host = parser.value(hostOption);
    if (parser.isSet(portOption)) {
        bool ok = false;
        const uint port = parser.value(portOption).toUInt(&ok);
        if (!ok || port > 65535) {
            err << "halhub: --port expects a number from 0 to 65535" << Qt::endl;
            return kExitConfigError;
        }
        config.server.port = quint16(port);
    }
    if (parser.isSet(nodeOption) || parser.isSet(redisOption)) {
        if (!config.cluster)
            config.cluster = ClusterConfig{};
        if (parser.isSet(nodeOption))
            config.cluster->node = parser.value(nodeOption);
        if (parser.isSet(redisOption))
            config.cluster->redis = parser.value(redisOption);
        if (!isValidNodeName(config.cluster->node)) {
            err << "halhub: --node expects a name of 1 to 64 of A-Z a-z 0-9 _ . - "
                   "(a cluster needs one)"
                << Qt::endl;
            return kExitConfigError;
        }
        if (!parseRedisUrl(config.cluster->redis)) {
            err << "halhub: --redis expects redis://[[USER]:PASSWORD@]HOST:PORT or unix:///PATH"
                << Qt::endl;
            return kExitConfigError;
        }
    }
    if (!config.auth.required && !isLoopbackHost(config.server.host)) {
        if (!parser.isSet(insecureOption)) {
            err << "halhub: refusing to listen on " << config.server.host
                << " without authentication; configure auth.required or pass --insecure"
                << Qt::endl;
            return kExitConfigError;
        }
        err << "halhub: WARNING: listening on " << config.server.host
            << " WITHOUT AUTHENTICATION (--insecure): anyone who can reach this port can "
               "command the instruments"
            << Qt::endl;
    }

    QString problem;
    if (!hal.applyDevices(config.devices, &problem)) {
        err << "halhub: bad configuration: "
            << (configFile.isEmpty() ? problem : configFile + QStringLiteral(": ") + problem)
            << Qt::endl;
        return kExitConfigError;
    }

    // Every front end sees the devices through one bus: the local HAL today,
    // other buses beside it.
    CompositeBus bus;
    bus.addBus(&hal);
    // In a cluster (docs/protocol.md section 12) the other nodes' devices
    // stand beside the local ones.
    std::unique_ptr<ClusterNode> cluster;
    if (config.cluster) {
        cluster = std::make_unique<ClusterNode>(*config.cluster, &hal);
        bus.setLocalNode(config.cluster->node);
        bus.addBus(cluster->remoteBus());
    }
    Server server(config, &bus);
    if (cluster)
        server.setClusterStatus([&cluster] { return cluster->status(); });
    if (!server.prepare(&problem)) {
        err << "halhub: bad configuration: "
            << (configFile.isEmpty() ? problem : configFile + QStringLiteral(": ") + problem)
            << Qt::endl;
        return kExitConfigError;
    }
    if (!server.start(&problem)) {
        err << "halhub: " << problem << Qt::endl;
        return 1;
    }
    out << "halhub " << HALHUB_VERSION << " listening on " << server.url().toString() << Qt::endl;
    // The web monitor (docs/protocol.md section 13) is on the same port.
    QUrl page = server.url();
    page.setScheme(config.server.tls ? QStringLiteral("https") : QStringLiteral("http"));
    page.setPath(QStringLiteral("/"));
    out << "web monitor at " << page.toString() << Qt::endl;
    if (cluster)
        cluster->start();

    // A clean stop tells the other nodes at once, while shutdown runs.
    if (cluster)
        QObject::connect(&unixSignals, &UnixSignals::terminate, cluster.get(), &ClusterNode::stop);
    QObject::connect(&unixSignals, &UnixSignals::terminate, &server, &Server::shutdown);
    QObject::connect(&server, &Server::shutdownComplete, app.get(), [&hal, &bus, &cluster] {
        if (cluster)
            bus.removeBus(cluster->remoteBus());
        hal.shutdown();
        QCoreApplication::exit(0);
    });
    QObject::connect(&unixSignals, &UnixSignals::hangup, &hal, [&] {
        if (configFile.isEmpty()) {
            err << "halhub: SIGHUP: no config file to reload" << Qt::endl;
            return;
        }
        ConfigError error;
        const std::optional<Config> loaded = loadConfig(configFile, hal.pluginConfigKeys(), &error);
        QString why;
        if (!loaded)
            err << "halhub: reload refused: " << error.toString() << Qt::endl;
        else if (!hal.applyDevices(loaded->devices, &why))
            err << "halhub: reload refused: " << why << Qt::endl;
        else
            err << "halhub: devices reloaded from " << configFile << Qt::endl;
    });

#ifdef HALHUB_WITH_GUI
    std::unique_ptr<MainWindow> window;
    if (!headless && !parser.isSet(headlessOption)) {
        window = std::make_unique<MainWindow>(&server, &bus);
        if (cluster)
            window->addClusterView(cluster.get());
        window->show();
    }
#endif

    return app->exec();
}
