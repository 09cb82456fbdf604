#include "config/config.h"
#include "halmanager.h"
#include "serial/serialsettings.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QPluginLoader>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(halhub::DeviceConfig)

namespace {

DeviceConfig deviceConfig(const QString &id, const QString &plugin, QVariantMap settings = {})
{
    settings.insert(u"id"_s, id);
    settings.insert(u"plugin"_s, plugin);
    return DeviceConfig{id, plugin, settings};
}

DeviceConfig sim(const QString &id, double rateHz = 100)
{
    return deviceConfig(id, u"sim"_s, {{u"rate_hz"_s, rateHz}});
}

QStringList idsOf(const QList<DeviceInfo> &infos)
{
    QStringList ids;
    for (const DeviceInfo &info : infos)
        ids << info.id;
    return ids;
}

QStringList firstArgs(const QSignalSpy &spy)
{
    QStringList values;
    for (const QList<QVariant> &args : spy)
        values << args.at(0).toString();
    return values;
}

// Answers collected from the bus, by ticket.
struct Answers
{
    QMultiHash<quint64, CommandOutcome> byTicket;

    void attach(HalManager *hal)
    {
        QObject::connect(hal, &DeviceBus::commandFinished, hal,
                         [this](quint64 ticket, const CommandOutcome &outcome) {
                             byTicket.insert(ticket, outcome);
                         });
    }
    CommandOutcome of(quint64 ticket) const { return byTicket.value(ticket); }
};

} // namespace

class TestHalManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void discoveryFindsSimWithoutLoadingIt();
    void discoveryRefusesStaleAndForeignFiles();
    void defaultPluginDirsFollowEnvironment();
    void withoutPluginsSaysWhereItLooked();

    void checkDevice_data();
    void checkDevice();
    void nullKeysTakeTheirDefaults();
    void invalidEntryChangesNothing_data();
    void invalidEntryChangesNothing();
    void configKeysCoverWhatPluginsRead_data();
    void configKeysCoverWhatPluginsRead();
    void applyDevicesAddsChangesAndRemoves();
    void samplesCarryDeviceId();

    void commandsReachDevice();
    void commandToUnavailableDevice_data();
    void commandToUnavailableDevice();
    void abortedSleepIsNotAnswered();
    void lateAnswerAfterAbortIsDiscarded();
    void answerInsideStartCommandArrivesAfterReturn();
    void secondAnswerIsDiscarded();
    void runningCommandAnsweredWhenDeviceGoesAway();
    void deviceSignalsAreForwarded();
    void shutdownRemovesEverything();
};

void TestHalManager::discoveryFindsSimWithoutLoadingIt()
{
    const QString simFile = QDir(QStringLiteral(HALHUB_PLUGIN_DIR)).absoluteFilePath(u"libhalhub_sim.so"_s);
    QVERIFY(QFile::exists(simFile));
    if (QPluginLoader(simFile).isLoaded())
        QSKIP("the sim plugin was loaded by an earlier test");

    HalManager hal;
    QVERIFY(hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)}) >= 1);
    QVERIFY(hal.pluginNames().contains(u"sim"_s));
    for (const QString &error : hal.loadErrors())
        QVERIFY2(!error.contains(u"halhub_sim"_s), qPrintable(error));

    const QJsonObject meta = hal.pluginMetaData(u"sim"_s);
    QCOMPARE(meta.value(u"plugin"_s).toString(), u"sim"_s);
    QVERIFY(!meta.value(u"description"_s).toString().isEmpty());
    const QJsonArray keys = meta.value(u"configKeys"_s).toArray();
    QVERIFY(keys.contains(u"rate_hz"_s));
    QVERIFY(keys.contains(u"name"_s));
    QVERIFY(hal.pluginMetaData(u"nosuch"_s).isEmpty());

    // Reading metadata runs no plugin code; the first device does.
    QVERIFY(!QPluginLoader(simFile).isLoaded());
    QString error;
    QVERIFY2(hal.applyDevices({sim(u"sim0"_s)}, &error), qPrintable(error));
    QVERIFY(QPluginLoader(simFile).isLoaded());
}

void TestHalManager::discoveryRefusesStaleAndForeignFiles()
{
    QTemporaryDir junkDir;
    QVERIFY(junkDir.isValid());
    {
        QFile junk(junkDir.filePath(u"libjunk.so"_s));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("\x7f" "ELF but not really a library");
        QFile notes(junkDir.filePath(u"README.txt"_s));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("plugins go here\n");
    }

    HalManager hal;
    const int found = hal.discoverPlugins(
            {QStringLiteral(FIXTURE_DIR), QStringLiteral(SCRIPTED_FIXTURE_DIR), junkDir.path()});
    QCOMPARE(found, 1);
    QCOMPARE(hal.pluginNames(), QStringList{u"scripted"_s});

    const QStringList errors = hal.loadErrors();
    QCOMPARE(errors.size(), 3);
    auto errorAbout = [&errors](const QString &file) {
        for (const QString &e : errors) {
            if (e.contains(file))
                return e;
        }
        return QString();
    };
    const QString stale = errorAbout(u"libhalhub_fixture_stale.so"_s);
    QVERIFY2(stale.contains(u"org.halhub.DevicePlugin/0"_s), qPrintable(stale));
    QVERIFY2(stale.contains(u"org.halhub.DevicePlugin/3"_s), qPrintable(stale));
    QVERIFY2(stale.contains(u"refused"_s), qPrintable(stale));
    QVERIFY2(errorAbout(u"libjunk.so"_s).contains(u"not a Qt plugin"_s), qPrintable(errors.join('\n'_L1)));
    QVERIFY2(errorAbout(u"README.txt"_s).contains(u"not a Qt plugin"_s), qPrintable(errors.join('\n'_L1)));

    // A device of the refused plugin cannot be made.
    QString error;
    QVERIFY(!hal.applyDevices({deviceConfig(u"old0"_s, u"stale"_s)}, &error));
    QVERIFY2(error.contains(u"old0"_s) && error.contains(u"stale"_s), qPrintable(error));
}

void TestHalManager::defaultPluginDirsFollowEnvironment()
{
    const QByteArray saved = qgetenv("HALHUB_PLUGIN_PATH");
    qputenv("HALHUB_PLUGIN_PATH", "/opt/a::/opt/b");
    const QStringList dirs = HalManager::defaultPluginDirs();
    qputenv("HALHUB_PLUGIN_PATH", saved);

    const QString appDir = QCoreApplication::applicationDirPath();
    const QStringList expected{u"/opt/a"_s, u"/opt/b"_s, appDir + u"/plugins"_s,
                               QDir::cleanPath(appDir + u"/../lib/halhub/plugins"_s)};
    QCOMPARE(dirs, expected);
}

void TestHalManager::checkDevice_data()
{
    QTest::addColumn<DeviceConfig>("config");
    QTest::addColumn<QStringList>("mentions");   // empty: the entry is fine

    QTest::addRow("sim with defaults") << deviceConfig(u"s1"_s, u"sim"_s) << QStringList();
    QTest::addRow("sim at 1000 Hz") << sim(u"s1"_s, 1000) << QStringList();
    QTest::addRow("sim at 0.5 Hz") << sim(u"s1"_s, 0.5) << QStringList();
    QTest::addRow("sim entry without id and plugin in settings")
            << DeviceConfig{u"s1"_s, u"sim"_s, {{u"rate_hz"_s, 10}}} << QStringList();
    QTest::addRow("unknown plugin")
            << deviceConfig(u"lab7"_s, u"nosuch"_s) << QStringList{u"lab7"_s, u"nosuch"_s};
    QTest::addRow("rate_hz above 1000")
            << sim(u"lab7"_s, 1001) << QStringList{u"lab7"_s, u"rate_hz"_s};
    QTest::addRow("rate_hz zero") << sim(u"lab7"_s, 0) << QStringList{u"lab7"_s, u"rate_hz"_s};
    QTest::addRow("rate_hz negative")
            << sim(u"lab7"_s, -5) << QStringList{u"lab7"_s, u"rate_hz"_s};
    QTest::addRow("rate_hz a string")
            << deviceConfig(u"lab7"_s, u"sim"_s, {{u"rate_hz"_s, u"fast"_s}})
            << QStringList{u"lab7"_s, u"rate_hz"_s, u"fast"_s};
    QTest::addRow("rate_hz a bool")
            << deviceConfig(u"lab7"_s, u"sim"_s, {{u"rate_hz"_s, true}})
            << QStringList{u"lab7"_s, u"rate_hz"_s};
    // A key set to null counts as absent, at any depth.
    const QVariant null = QVariant::fromValue(nullptr);
    QTest::addRow("rate_hz null is the default")
            << deviceConfig(u"lab7"_s, u"sim"_s, {{u"rate_hz"_s, null}, {u"name"_s, null}})
            << QStringList();
    QTest::addRow("serial keys null are the defaults")
            << deviceConfig(u"psu1"_s, u"scpi"_s,
                            {{u"port"_s, u"/dev/ttyHALHUB-none"_s}, {u"baud"_s, null},
                             {u"poll_hz"_s, null}, {u"reply_timeout_ms"_s, null},
                             {u"channels"_s, QVariantMap{{u"v"_s, u"MEAS:VOLT?"_s}}}})
            << QStringList();
    QTest::addRow("a modbus channel's scale null is 1")
            << deviceConfig(u"flow1"_s, u"modbus"_s,
                            {{u"port"_s, u"/dev/ttyHALHUB-none"_s}, {u"unit"_s, 1},
                             {u"channels"_s, QVariantMap{{u"flow"_s, QVariantMap{
                                 {u"table"_s, u"holding"_s}, {u"address"_s, 0},
                                 {u"type"_s, u"uint16"_s}, {u"scale"_s, null}}}}}})
            << QStringList();
}

void TestHalManager::checkDevice()
{
    QFETCH(DeviceConfig, config);
    QFETCH(QStringList, mentions);

    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    const QString error = hal.checkDevice(config);
    if (mentions.isEmpty()) {
        QVERIFY2(error.isEmpty(), qPrintable(error));
        return;
    }
    QVERIFY(!error.isEmpty());
    for (const QString &word : mentions)
        QVERIFY2(error.contains(word), qPrintable(error));
}

void TestHalManager::invalidEntryChangesNothing_data()
{
    QTest::addColumn<QList<DeviceConfig>>("devices");
    QTest::addColumn<QString>("mention");
    QTest::addRow("a bad rate among good entries")
            << QList<DeviceConfig>{sim(u"keep"_s), sim(u"new1"_s), sim(u"bad"_s, 5000)}
            << u"bad"_s;
    QTest::addRow("an unknown plugin")
            << QList<DeviceConfig>{sim(u"new1"_s), deviceConfig(u"ghost"_s, u"nosuch"_s)}
            << u"nosuch"_s;
    QTest::addRow("the same id twice")
            << QList<DeviceConfig>{sim(u"twin"_s), sim(u"twin"_s, 50)} << u"twin"_s;
}

void TestHalManager::invalidEntryChangesNothing()
{
    QFETCH(QList<DeviceConfig>, devices);
    QFETCH(QString, mention);

    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({sim(u"keep"_s, 20)}, &error));
    QSignalSpy added(&hal, &DeviceBus::deviceAdded);
    QSignalSpy removed(&hal, &DeviceBus::deviceRemoved);

    QVERIFY(!hal.applyDevices(devices, &error));
    QVERIFY2(error.contains(mention), qPrintable(error));
    QCOMPARE(idsOf(hal.devices()), QStringList{u"keep"_s});
    QCOMPARE(*hal.device(u"keep"_s)->rateHz, 20.0);
    QCOMPARE(added.count(), 0);
    QCOMPARE(removed.count(), 0);
}

void TestHalManager::configKeysCoverWhatPluginsRead_data()
{
    QTest::addColumn<QByteArray>("entry");
    // Each entry sets every key its plugin reads, with a valid value: since
    // loadConfig() refuses keys outside the plugin's configKeys, a key read
    // here but missing from the metadata would break a valid file.
    QTest::addRow("sim") << QByteArray(R"({"id": "s", "plugin": "sim", "name": "Sim",
                                            "rate_hz": 10})");
    QTest::addRow("scpi by port") << QByteArray(R"({"id": "p", "plugin": "scpi", "name": "PSU",
        "port": "/dev/ttyS0", "baud": 115200, "databits": 8, "parity": "none", "stopbits": 1,
        "flow": "none", "poll_hz": 5, "reply_timeout_ms": 800,
        "channels": {"voltage": "MEAS:VOLT?"}, "commands": {"set_voltage": "VOLT {value}"}})");
    QTest::addRow("scpi by match") << QByteArray(R"({"id": "p", "plugin": "scpi",
        "match": {"vid": "0403", "pid": "6001", "serial": "A1"}})");
    QTest::addRow("modbus") << QByteArray(R"({"id": "m", "plugin": "modbus", "name": "Flow",
        "port": "/dev/ttyS1", "baud": 19200, "databits": 8, "parity": "even", "stopbits": 1,
        "flow": "none", "unit": 3, "poll_hz": 20,
        "channels": {"flow": {"table": "holding", "address": 0, "type": "uint16", "scale": 0.1}}})");
    QTest::addRow("linestream") << QByteArray(R"({"id": "l", "plugin": "linestream",
        "name": "Board", "match": {"vid": "2341", "pid": "0043"}, "baud": 115200,
        "databits": 7, "parity": "odd", "stopbits": 2, "flow": "hardware",
        "commands": ["led", "reset"]})");
    QTest::addRow("replay") << QByteArray(R"({"id": "r", "plugin": "replay", "name": "Run 1",
        "file": "/data/run1.h5", "device": "sim0", "speed": 2.5, "loop": true})");
}

void TestHalManager::configKeysCoverWhatPluginsRead()
{
    QFETCH(QByteArray, entry);
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    const QHash<QString, QStringList> keys = hal.pluginConfigKeys();
    QCOMPARE(QSet<QString>(keys.keyBegin(), keys.keyEnd()),
             (QSet<QString>{u"sim"_s, u"scpi"_s, u"modbus"_s, u"linestream"_s, u"replay"_s}));

    ConfigError configError;
    const std::optional<Config> config = parseConfig("{\"devices\": [" + entry + "]}",
                                                     u"halhub.json"_s, keys, &configError);
    QVERIFY2(config, qPrintable(configError.toString()));
    const DeviceConfig device = config->devices.at(0);
    const QString error = hal.checkDevice(device);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // Every serial plugin takes the keys of the serial line it shares.
    if (device.plugin != u"sim"_s && device.plugin != u"replay"_s) {
        for (const QString &key : SerialSettings::configKeys() + QStringList{u"name"_s})
            QVERIFY2(keys.value(device.plugin).contains(key), qPrintable(key));
    }
}

void TestHalManager::nullKeysTakeTheirDefaults()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    const QVariant null = QVariant::fromValue(nullptr);
    QString error;
    QVERIFY2(hal.applyDevices({deviceConfig(u"s1"_s, u"sim"_s, {{u"rate_hz"_s, null}, {u"name"_s, null}}),
                               deviceConfig(u"psu1"_s, u"scpi"_s,
                                            {{u"port"_s, u"/dev/ttyHALHUB-none"_s},
                                             {u"poll_hz"_s, null}, {u"baud"_s, null},
                                             {u"channels"_s, QVariantMap{{u"v"_s, u"MEAS:VOLT?"_s}}}})},
                              &error),
             qPrintable(error));
    const std::optional<DeviceInfo> sim = hal.device(u"s1"_s);
    QVERIFY(sim);
    QCOMPARE(sim->rateHz.value_or(0), 100.0);
    QCOMPARE(sim->name, u"s1"_s);
    // The sim produces at its default rate, not at a rate of 0.
    QSignalSpy samples(&hal, &DeviceBus::sampleReady);
    QTRY_VERIFY(samples.size() >= 5);
    const std::optional<DeviceInfo> psu = hal.device(u"psu1"_s);
    QVERIFY(psu);
    QCOMPARE(psu->channels.size(), 1);
    hal.shutdown();
}

void TestHalManager::applyDevicesAddsChangesAndRemoves()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QSignalSpy added(&hal, &DeviceBus::deviceAdded);
    QSignalSpy removed(&hal, &DeviceBus::deviceRemoved);
    QSignalSpy states(&hal, &DeviceBus::deviceStateChanged);

    QString error;
    DeviceConfig named = sim(u"a"_s, 50);
    named.settings.insert(u"name"_s, u"Alpha"_s);
    QVERIFY2(hal.applyDevices({named, sim(u"b"_s)}, &error), qPrintable(error));
    QCOMPARE(added.count(), 2);
    const DeviceInfo a = added.at(0).at(0).value<DeviceInfo>();
    QCOMPARE(a.id, u"a"_s);
    QCOMPARE(a.plugin, u"sim"_s);
    QCOMPARE(a.name, u"Alpha"_s);
    QCOMPARE(*a.rateHz, 50.0);
    QCOMPARE(a.state, DeviceState::Connecting);   // announced first, then opened
    QCOMPARE(added.at(1).at(0).value<DeviceInfo>().id, u"b"_s);
    QCOMPARE(states.count(), 2);
    QCOMPARE(firstArgs(states), (QStringList{u"a"_s, u"b"_s}));
    QCOMPARE(states.at(0).at(1).value<DeviceState>(), DeviceState::Connected);
    QCOMPARE(idsOf(hal.devices()), (QStringList{u"a"_s, u"b"_s}));
    QCOMPARE(hal.device(u"a"_s)->state, DeviceState::Connected);
    QVERIFY(!hal.device(u"zzz"_s).has_value());

    // The same entries again: nothing happens.
    QVERIFY(hal.applyDevices({named, sim(u"b"_s)}, &error));
    QCOMPARE(added.count(), 2);
    QCOMPARE(removed.count(), 0);

    // a goes, b changes its rate, c is new.
    added.clear();
    QSignalSpy samples(&hal, &DeviceBus::sampleReady);
    QVERIFY2(hal.applyDevices({sim(u"c"_s), sim(u"b"_s, 200)}, &error), qPrintable(error));
    QCOMPARE(firstArgs(removed), (QStringList{u"a"_s, u"b"_s}));
    QCOMPARE(added.count(), 2);
    QCOMPARE(added.at(0).at(0).value<DeviceInfo>().id, u"c"_s);
    QCOMPARE(added.at(1).at(0).value<DeviceInfo>().id, u"b"_s);
    QCOMPARE(idsOf(hal.devices()), (QStringList{u"c"_s, u"b"_s}));
    QCOMPARE(*hal.device(u"b"_s)->rateHz, 200.0);
    QVERIFY(!hal.device(u"a"_s).has_value());

    // Nothing more from the removed device.
    QTRY_VERIFY(samples.count() >= 50);
    for (const QList<QVariant> &args : std::as_const(samples))
        QVERIFY(args.at(0).value<Sample>().device != u"a"_s);

    removed.clear();
    QVERIFY(hal.applyDevices({}, &error));
    QCOMPARE(firstArgs(removed), (QStringList{u"c"_s, u"b"_s}));
    QVERIFY(hal.devices().isEmpty());
}

void TestHalManager::samplesCarryDeviceId()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR), QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY2(hal.applyDevices({sim(u"fast"_s, 500), sim(u"slow"_s, 50),
                               deviceConfig(u"script"_s, u"scripted"_s)}, &error),
             qPrintable(error));
    QSignalSpy samples(&hal, &DeviceBus::sampleReady);
    // The scripted device names its sample after someone else.
    hal.startCommand(u"script"_s, 1, u"sample"_s, {});

    QTRY_VERIFY(samples.count() >= 300);
    QHash<QString, int> perDevice;
    for (const QList<QVariant> &args : std::as_const(samples))
        ++perDevice[args.at(0).value<Sample>().device];
    QCOMPARE(perDevice.value(u"script"_s), 1);
    QVERIFY(perDevice.value(u"fast"_s) > 4 * perDevice.value(u"slow"_s));
    QVERIFY(perDevice.value(u"slow"_s) > 0);
    QCOMPARE(perDevice.size(), 3);
}

void TestHalManager::commandsReachDevice()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({sim(u"sim0"_s)}, &error));
    Answers answers;
    answers.attach(&hal);

    const QVariantMap params{{u"x"_s, 1}, {u"y"_s, u"two"_s}};
    hal.startCommand(u"sim0"_s, 10, u"echo"_s, params);
    hal.startCommand(u"sim0"_s, 11, u"fail"_s, {});
    QCOMPARE(answers.byTicket.size(), 0);
    QTRY_COMPARE(answers.byTicket.size(), 2);
    QCOMPARE(answers.of(10).status, CommandOutcome::Status::Ok);
    QCOMPARE(answers.of(10).result.toMap(), params);
    QCOMPARE(answers.of(11).status, CommandOutcome::Status::Error);
    QCOMPARE(answers.of(11).errorCode, u"device_error"_s);
}

void TestHalManager::commandToUnavailableDevice_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<bool>("unplugFirst");
    QTest::addRow("unknown device") << u"nosuch"_s << false;
    QTest::addRow("unplugged device") << u"sim0"_s << true;
}

void TestHalManager::commandToUnavailableDevice()
{
    QFETCH(QString, device);
    QFETCH(bool, unplugFirst);

    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({sim(u"sim0"_s)}, &error));
    Answers answers;
    answers.attach(&hal);
    QSignalSpy states(&hal, &DeviceBus::deviceStateChanged);

    if (unplugFirst) {
        hal.startCommand(u"sim0"_s, 1, u"unplug"_s, {{u"ms"_s, 500}});
        QTRY_COMPARE(answers.byTicket.size(), 1);
        QCOMPARE(answers.of(1).status, CommandOutcome::Status::Ok);
        QTRY_COMPARE(states.count(), 1);
        QCOMPARE(states.at(0).at(1).value<DeviceState>(), DeviceState::Disconnected);
        QCOMPARE(hal.device(u"sim0"_s)->state, DeviceState::Disconnected);
    }
    const int before = answers.byTicket.size();
    hal.startCommand(device, 2, u"echo"_s, {});
    QCOMPARE(answers.byTicket.size(), before);      // never from inside startCommand
    QTRY_COMPARE(answers.byTicket.size(), before + 1);
    QCOMPARE(answers.of(2).status, CommandOutcome::Status::Error);
    QCOMPARE(answers.of(2).errorCode, u"device_unavailable"_s);
    QVERIFY2(answers.of(2).errorMessage.contains(device), qPrintable(answers.of(2).errorMessage));

    if (unplugFirst) {
        // Back after the unplug time, and taking commands again.
        QTRY_COMPARE(states.count(), 2);
        QCOMPARE(states.at(1).at(1).value<DeviceState>(), DeviceState::Connected);
        hal.startCommand(u"sim0"_s, 3, u"echo"_s, {});
        QTRY_VERIFY(answers.byTicket.contains(3));
        QCOMPARE(answers.of(3).status, CommandOutcome::Status::Ok);
    }
}

void TestHalManager::abortedSleepIsNotAnswered()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({sim(u"sim0"_s)}, &error));
    Answers answers;
    answers.attach(&hal);

    hal.startCommand(u"sim0"_s, 1, u"sleep"_s, {{u"ms"_s, 100}});
    hal.abortCommand(u"sim0"_s, 1);
    hal.startCommand(u"sim0"_s, 2, u"sleep"_s, {{u"ms"_s, 250}});
    QTRY_VERIFY(answers.byTicket.contains(2));
    QVERIFY(!answers.byTicket.contains(1));
    QCOMPARE(answers.byTicket.size(), 1);
}

void TestHalManager::lateAnswerAfterAbortIsDiscarded()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY2(hal.applyDevices({deviceConfig(u"s"_s, u"scripted"_s)}, &error), qPrintable(error));
    Answers answers;
    answers.attach(&hal);
    QSignalSpy errors(&hal, &DeviceBus::deviceError);

    hal.startCommand(u"s"_s, 1, u"late"_s, {{u"ms"_s, 50}});
    hal.abortCommand(u"s"_s, 1);
    // The device says when its answer has gone out.
    QTRY_COMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(1).toString(), u"late answer sent"_s);
    QVERIFY(answers.byTicket.isEmpty());

    // A ticket that never ran is not answered either.
    hal.startCommand(u"s"_s, 2, u"late"_s, {{u"ms"_s, 0}});
    QTRY_COMPARE(errors.count(), 2);
    QCOMPARE(answers.byTicket.size(), 1);
    QCOMPARE(answers.of(2).result.toString(), u"late"_s);
}

void TestHalManager::answerInsideStartCommandArrivesAfterReturn()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({deviceConfig(u"s"_s, u"scripted"_s)}, &error));
    Answers answers;
    answers.attach(&hal);

    hal.startCommand(u"s"_s, 5, u"sync"_s, {});
    QVERIFY(answers.byTicket.isEmpty());
    QTRY_COMPARE(answers.byTicket.size(), 1);
    QCOMPARE(answers.of(5).result.toString(), u"sync"_s);
}

void TestHalManager::secondAnswerIsDiscarded()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({deviceConfig(u"s"_s, u"scripted"_s)}, &error));
    Answers answers;
    answers.attach(&hal);

    hal.startCommand(u"s"_s, 8, u"twice"_s, {});
    hal.startCommand(u"s"_s, 9, u"unknown"_s, {});   // answered after both of ticket 8
    QTRY_VERIFY(answers.byTicket.contains(9));
    QCOMPARE(answers.byTicket.count(8), 1);
    QCOMPARE(answers.of(8).result.toInt(), 1);
}

void TestHalManager::runningCommandAnsweredWhenDeviceGoesAway()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({deviceConfig(u"s"_s, u"scripted"_s)}, &error));
    Answers answers;
    answers.attach(&hal);
    QSignalSpy states(&hal, &DeviceBus::deviceStateChanged);
    QSignalSpy errors(&hal, &DeviceBus::deviceError);

    hal.startCommand(u"s"_s, 1, u"late"_s, {{u"ms"_s, 100}});
    hal.startCommand(u"s"_s, 2, u"drop"_s, {});
    QTRY_COMPARE(states.count(), 1);
    QCOMPARE(states.at(0).at(1).value<DeviceState>(), DeviceState::Disconnected);
    QCOMPARE(answers.of(2).status, CommandOutcome::Status::Ok);
    QCOMPARE(answers.byTicket.count(1), 1);
    QCOMPARE(answers.of(1).errorCode, u"device_unavailable"_s);

    // The device's own answer comes later and is dropped.
    QTRY_COMPARE(errors.count(), 1);
    QCOMPARE(answers.byTicket.count(1), 1);
    QCOMPARE(answers.of(1).errorCode, u"device_unavailable"_s);
}

void TestHalManager::deviceSignalsAreForwarded()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(SCRIPTED_FIXTURE_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({deviceConfig(u"s"_s, u"scripted"_s)}, &error));
    QSignalSpy infos(&hal, &DeviceBus::deviceInfoChanged);
    QSignalSpy errors(&hal, &DeviceBus::deviceError);
    Answers answers;
    answers.attach(&hal);

    hal.startCommand(u"s"_s, 1, u"grow"_s, {});
    QTRY_COMPARE(infos.count(), 1);
    const DeviceInfo grown = infos.at(0).at(0).value<DeviceInfo>();
    QCOMPARE(grown.id, u"s"_s);
    QCOMPARE(grown.channels.size(), 2);
    QCOMPARE(hal.device(u"s"_s)->channels.size(), 2);

    hal.startCommand(u"s"_s, 2, u"complain"_s, {});
    QTRY_COMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).toString(), u"s"_s);
    QCOMPARE(errors.at(0).at(1).toString(), u"complaint"_s);
    QTRY_COMPARE(answers.byTicket.size(), 2);
}

void TestHalManager::shutdownRemovesEverything()
{
    HalManager hal;
    hal.discoverPlugins({QStringLiteral(HALHUB_PLUGIN_DIR)});
    QString error;
    QVERIFY(hal.applyDevices({sim(u"a"_s, 1000), sim(u"b"_s, 1000)}, &error));
    Answers answers;
    answers.attach(&hal);
    hal.startCommand(u"a"_s, 1, u"sleep"_s, {{u"ms"_s, 50}});

    QSignalSpy removed(&hal, &DeviceBus::deviceRemoved);
    QSignalSpy samples(&hal, &DeviceBus::sampleReady);
    hal.shutdown();
    QVERIFY(hal.devices().isEmpty());
    QVERIFY(!hal.device(u"a"_s).has_value());
    QCOMPARE(removed.count(), 0);     // shutting down is not a reload

    // The devices are deleted and say nothing more.
    QTRY_VERIFY(hal.findChildren<QObject *>().isEmpty());
    QTest::qWait(100);
    QCOMPARE(samples.count(), 0);
    QVERIFY(answers.byTicket.isEmpty());
}

void TestHalManager::withoutPluginsSaysWhereItLooked()
{
    // A binary copied away from its plugins.
    QTemporaryDir empty;
    QVERIFY(empty.isValid());
    HalManager hal;
    QCOMPARE(hal.discoverPlugins({empty.path()}), 0);
    const QString problem = hal.checkDevice(
            {QStringLiteral("sim0"), QStringLiteral("sim"),
             {{QStringLiteral("id"), QStringLiteral("sim0")},
              {QStringLiteral("plugin"), QStringLiteral("sim")}}});
    QVERIFY2(problem.contains(QStringLiteral("no device plugins found in ") + empty.path()),
             qPrintable(problem));
    QVERIFY2(problem.contains(QStringLiteral("HALHUB_PLUGIN_PATH")), qPrintable(problem));
}

QTEST_GUILESS_MAIN(TestHalManager)
#include "tst_halmanager.moc"
