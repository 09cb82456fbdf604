// Renders the monitor window to a PNG for the documentation: a server with
// simulated devices and a few real WebSocket clients, all in this process on
// an ephemeral port, grabbed after the tables and plots have filled.
//
//   halhub-screenshot [--seconds S] [--lang L] [--size WxH] FILE

#include "guifixture.h"
#include "mainwindow.h"
#include "translations.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QTableView>
#include <QTimer>

using namespace halhub;
using namespace halhub::test;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("halhub-screenshot"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HALHUB_VERSION));

    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption secondsOption(QStringLiteral("seconds"),
                                           QStringLiteral("Run this long before the grab."),
                                           QStringLiteral("s"), QStringLiteral("11"));
    const QCommandLineOption langOption(QStringLiteral("lang"), QStringLiteral("UI language."),
                                        QStringLiteral("lang"), QStringLiteral("en"));
    const QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("Window size."),
                                        QStringLiteral("WxH"), QStringLiteral("1440x900"));
    const QCommandLineOption raiseOption(QStringLiteral("raise"),
                                         QStringLiteral("Bring this tabbed dock to the front."),
                                         QStringLiteral("dock"));
    parser.addOptions({secondsOption, langOption, sizeOption, raiseOption});
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The PNG to write."));
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        parser.showHelp(2);
    const QString output = parser.positionalArguments().constFirst();

    // Settings of its own, so a saved layout of the real app does not leak in.
    QTemporaryDir settingsDir;
    isolateSettings(settingsDir);
    installTranslations(app, parser.value(langOption));

    // A bench supply whose port is not there: what the Devices dock says then.
    DeviceConfig supply;
    supply.id = QStringLiteral("psu1");
    supply.plugin = QStringLiteral("scpi");
    supply.settings = {
            {QStringLiteral("id"), supply.id},
            {QStringLiteral("plugin"), supply.plugin},
            {QStringLiteral("name"), QStringLiteral("Bench supply")},
            {QStringLiteral("port"), QStringLiteral("/dev/serial/by-id/usb-Bench_PSU-if00")},
            {QStringLiteral("channels"),
             QVariantMap{{QStringLiteral("voltage"),
                          QVariantMap{{QStringLiteral("query"), QStringLiteral("MEAS:VOLT?")},
                                      {QStringLiteral("unit"), QStringLiteral("V")}}}}}};
    RunningServer running;
    if (!running.start({simConfig(QStringLiteral("sim0"), 100), simConfig(QStringLiteral("sim1"), 200),
                        simConfig(QStringLiteral("sim2"), 50), supply}))
        return 1;

    MainWindow window(running.server.get(), &running.hal);
    const QStringList size = parser.value(sizeOption).split(QLatin1Char('x'));
    window.resize(size.value(0).toInt(), size.value(1).toInt());
    window.show();

    // A few clients, each using the protocol differently.
    const QUrl url = running.server->url();
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 4; ++i)
        clients.push_back(std::make_unique<Client>(url));
    if (!QTest::qWaitFor([&] {
            return std::all_of(clients.cbegin(), clients.cend(), [](const auto &c) { return c->isOpen(); });
        }, 5000))
        return 1;
    const QString names[] = {QStringLiteral("grafana-bridge"), QStringLiteral("lab-notebook"),
                             QStringLiteral("pytest-rig"), QStringLiteral("dashboard")};
    for (int i = 0; i < 4; ++i)
        clients[size_t(i)]->send({{QStringLiteral("type"), QStringLiteral("hello")},
                                  {QStringLiteral("id"), 1},
                                  {QStringLiteral("client"), names[i]}});
    clients[0]->subscribe({{QStringLiteral("device"), QStringLiteral("sim0")}}, 2);
    clients[0]->subscribe({{QStringLiteral("device"), QStringLiteral("sim1")},
                           {QStringLiteral("mode"), QStringLiteral("sampled")},
                           {QStringLiteral("rate_hz"), 10}}, 3);
    clients[1]->subscribe({{QStringLiteral("device"), QStringLiteral("sim0")},
                           {QStringLiteral("mode"), QStringLiteral("delta")},
                           {QStringLiteral("deadband"), 0.05}}, 2);
    clients[2]->subscribe({{QStringLiteral("device"), QStringLiteral("sim2")},
                           {QStringLiteral("rate_hz"), 25}}, 2);
    clients[3]->subscribe({{QStringLiteral("device"), QStringLiteral("sim1")},
                           {QStringLiteral("mode"), QStringLiteral("custom")},
                           {QStringLiteral("custom"),
                            QVariantMap{{QStringLiteral("sine"),
                                         QVariantMap{{QStringLiteral("rate_hz"), 50}}},
                                        {QStringLiteral("step"),
                                         QVariantMap{{QStringLiteral("rate_hz"), 2}}}}}}, 2);
    // Something for the event log: a device that goes away and comes back.
    window.unplugDevice(QStringLiteral("sim2"), 800);

    const int seconds = parser.value(secondsOption).toInt();
    QTest::qWait(seconds * 1000);
    window.findChild<QTableView *>(QStringLiteral("deviceView"))->selectRow(0);
    if (parser.isSet(raiseOption)) {
        if (auto *dock = window.findChild<QDockWidget *>(parser.value(raiseOption)))
            dock->raise();
    }
    window.refresh();
    QTest::qWait(100);

    if (!window.grab().save(output)) {
        qWarning("could not write %s", qPrintable(output));
        return 1;
    }
    return 0;
}
