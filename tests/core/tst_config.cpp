#include "config/config.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace halhub;

namespace {

const QString kFile = QStringLiteral("halhub.json");

// What HalManager::pluginConfigKeys() gives halhub, read from the plugins'
// JSON files themselves: a key added to a plugin without its metadata shows
// up here.
PluginKeys readPluginKeys()
{
    PluginKeys keys;
    QDirIterator it(QStringLiteral(HALHUB_PLUGIN_SOURCE_DIR), {QStringLiteral("*.json")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject meta = QJsonDocument::fromJson(file.readAll()).object();
        QStringList list;
        for (const QJsonValue &key : meta.value(QStringLiteral("configKeys")).toArray())
            list << key.toString();
        keys.insert(meta.value(QStringLiteral("plugin")).toString(), list);
    }
    return keys;
}

const PluginKeys kPlugins = readPluginKeys();

// The example of docs/protocol.md section 10, as a user would copy it.
const QByteArray kProtocolExample = R"({
  "server":  {"host": "127.0.0.1", "port": 8001, "path": "/ws/hardware",
              "tls": {"cert": "server.pem", "key": "server.key"},
              "allowed_origins": [], "heartbeat_ms": 10000, "resume_grace_ms": 30000,
              "max_clients": 1000},
  "limits":  {"rate_limit_per_min": 200, "rate_limit_per_user_per_min": 6000,
              "rate_limit_per_ip_per_min": 6000, "max_rate_hz": 1000, "max_streams": 64,
              "max_message_bytes": 65536, "send_high_water_bytes": 1048576},
  "auth":    {"required": false, "jwt_secret": "...",
              "issuer": "...", "audience": "...", "audit_log": "halhub-audit.jsonl"},
  "metrics": {"port": 9101},
  "devices": [
    {"id": "sim0", "plugin": "sim", "rate_hz": 100},
    {"id": "psu1", "plugin": "scpi", "port": "/dev/ttyUSB0", "baud": 115200, "poll_hz": 10,
     "channels": {"voltage": "MEAS:VOLT?", "current": "MEAS:CURR?"},
     "commands": {"set_voltage": "VOLT {value}", "output": "OUTP {state}"}},
    {"id": "flow1", "plugin": "modbus", "port": "/dev/ttyUSB1", "baud": 19200,
     "parity": "none", "stopbits": 1, "unit": 1, "poll_hz": 20,
     "channels": {"flow": {"table": "holding", "address": 0, "type": "uint16", "scale": 0.1},
                  "temp": {"table": "input", "address": 4, "type": "float32"}}},
    {"id": "ard0", "plugin": "linestream", "match": {"vid": "2341", "pid": "0043"},
     "baud": 115200}
  ]
})";

std::optional<Config> parse(const QByteArray &json, ConfigError *error = nullptr,
                            const PluginKeys &plugins = kPlugins)
{
    ConfigError ignored;
    return parseConfig(json, kFile, plugins, error ? error : &ignored);
}

QStringList ids(const Config &config)
{
    QStringList result;
    for (const DeviceConfig &device : config.devices)
        result.append(device.id);
    return result;
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void defaults();
    void fullProtocolExample();
    void missingKeysTakeDefaults();
    void devicesListReplacesDefaults();
    void integralFloatsAndNullsAccepted();
    void portZeroMeansEphemeral();
    void authWithOneKey_data();
    void authWithOneKey();
    void badFile_data();
    void badFile();
    void unknownPluginListsAvailable();
    void anyPluginWhenNoneKnown();
    void everyPluginTakesItsOwnKeys_data();
    void everyPluginTakesItsOwnKeys();
    void unknownDeviceKeyNamesEntryAndKeys();
    void pluginWithoutKeyListIsNotChecked();
    void parseErrorPosition_data();
    void parseErrorPosition();
    void emptyFile();
    void unreadableFile_data();
    void unreadableFile();
    void loadFromDiskResolvesRelativeFiles();
    void addSimulated_data();
    void addSimulated();
    void errorToString();
};

void TestConfig::initTestCase()
{
    // The device rows are only as good as the key lists they read.
    QCOMPARE(kPlugins.size(), 5);
    for (const QString &plugin : {QStringLiteral("sim"), QStringLiteral("scpi"),
                                  QStringLiteral("modbus"), QStringLiteral("linestream"),
                                  QStringLiteral("replay")})
        QVERIFY2(!kPlugins.value(plugin).isEmpty(), qPrintable(plugin));
}

void TestConfig::defaults()
{

    const Config config = Config::defaults();
    QCOMPARE(config.server.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(config.server.port, quint16(8001));
    QCOMPARE(config.server.path, QStringLiteral("/ws/hardware"));
    QVERIFY(!config.server.tls);
    QVERIFY(config.server.allowedOrigins.isEmpty());
    QCOMPARE(config.server.heartbeatMs, 10000);
    QCOMPARE(config.server.resumeGraceMs, 30000);
    QCOMPARE(config.server.maxClients, 1000);
    QCOMPARE(config.limits.rateLimitPerMin, 200);
    QCOMPARE(config.limits.rateLimitPerUserPerMin, 6000);
    QCOMPARE(config.limits.rateLimitPerIpPerMin, 6000);
    QCOMPARE(config.limits.maxRateHz, 1000.0);
    QCOMPARE(config.limits.maxStreams, 64);
    QCOMPARE(config.limits.maxMessageBytes, qint64(65536));
    QCOMPARE(config.limits.sendHighWaterBytes, qint64(1048576));
    QVERIFY(!config.auth.required);
    QVERIFY(!config.metrics.port);

    QCOMPARE(ids(config), (QStringList{QStringLiteral("sim0"), QStringLiteral("sim1")}));
    for (const DeviceConfig &device : config.devices) {
        QCOMPARE(device.plugin, QStringLiteral("sim"));
        QCOMPARE(device.settings.value(QStringLiteral("id")).toString(), device.id);
        QCOMPARE(device.settings.value(QStringLiteral("plugin")).toString(),
                 QStringLiteral("sim"));
        QCOMPARE(device.settings.value(QStringLiteral("rate_hz")).toDouble(), 100.0);
    }
}

void TestConfig::fullProtocolExample()
{
    ConfigError error;
    const std::optional<Config> config =
        parseConfig(kProtocolExample, QStringLiteral("/etc/halhub/halhub.json"), kPlugins,
                    &error);
    QVERIFY2(config, qPrintable(error.toString()));

    QCOMPARE(config->server.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(config->server.port, quint16(8001));
    QCOMPARE(config->server.path, QStringLiteral("/ws/hardware"));
    QVERIFY(config->server.tls);
    // Relative to the config file, not to wherever halhub was started.
    QCOMPARE(config->server.tls->certFile, QStringLiteral("/etc/halhub/server.pem"));
    QCOMPARE(config->server.tls->keyFile, QStringLiteral("/etc/halhub/server.key"));
    QVERIFY(config->server.allowedOrigins.isEmpty());
    QCOMPARE(config->server.heartbeatMs, 10000);
    QCOMPARE(config->server.resumeGraceMs, 30000);
    QCOMPARE(config->server.maxClients, 1000);

    QCOMPARE(config->limits.rateLimitPerMin, 200);
    QCOMPARE(config->limits.rateLimitPerUserPerMin, 6000);
    QCOMPARE(config->limits.rateLimitPerIpPerMin, 6000);
    QCOMPARE(config->limits.maxRateHz, 1000.0);
    QCOMPARE(config->limits.maxStreams, 64);
    QCOMPARE(config->limits.maxMessageBytes, qint64(65536));
    QCOMPARE(config->limits.sendHighWaterBytes, qint64(1048576));

    QVERIFY(!config->auth.required);
    QCOMPARE(config->auth.jwtSecret, QStringLiteral("..."));
    QCOMPARE(config->auth.issuer, QStringLiteral("..."));
    QCOMPARE(config->auth.audience, QStringLiteral("..."));
    QCOMPARE(config->auth.auditLog, QStringLiteral("/etc/halhub/halhub-audit.jsonl"));

    QCOMPARE(config->metrics.port, std::optional<quint16>(9101));

    QCOMPARE(ids(*config), (QStringList{QStringLiteral("sim0"), QStringLiteral("psu1"),
                                        QStringLiteral("flow1"), QStringLiteral("ard0")}));
    QCOMPARE(config->devices.at(0).plugin, QStringLiteral("sim"));
    QCOMPARE(config->devices.at(1).plugin, QStringLiteral("scpi"));
    QCOMPARE(config->devices.at(2).plugin, QStringLiteral("modbus"));
    QCOMPARE(config->devices.at(3).plugin, QStringLiteral("linestream"));

    // Plugin-specific keys reach the plugin untouched.
    const QVariantMap psu = config->devices.at(1).settings;
    QCOMPARE(psu.value(QStringLiteral("id")).toString(), QStringLiteral("psu1"));
    QCOMPARE(psu.value(QStringLiteral("plugin")).toString(), QStringLiteral("scpi"));
    QCOMPARE(psu.value(QStringLiteral("port")).toString(), QStringLiteral("/dev/ttyUSB0"));
    QCOMPARE(psu.value(QStringLiteral("baud")).toInt(), 115200);
    QCOMPARE(psu.value(QStringLiteral("channels")).toMap().value(QStringLiteral("voltage")),
             QVariant(QStringLiteral("MEAS:VOLT?")));
    const QVariantMap flow = config->devices.at(2).settings;
    const QVariantMap flowChannel = flow.value(QStringLiteral("channels"))
                                        .toMap()
                                        .value(QStringLiteral("flow"))
                                        .toMap();
    QCOMPARE(flowChannel.value(QStringLiteral("scale")).toDouble(), 0.1);
    QCOMPARE(flowChannel.value(QStringLiteral("table")).toString(), QStringLiteral("holding"));
    const QVariantMap match =
        config->devices.at(3).settings.value(QStringLiteral("match")).toMap();
    QCOMPARE(match.value(QStringLiteral("pid")).toString(), QStringLiteral("0043"));
}

void TestConfig::missingKeysTakeDefaults()
{
    const std::optional<Config> config =
        parse(R"({"server": {"port": 9000}, "limits": {"max_streams": 5}})");
    QVERIFY(config);
    const Config defaults = Config::defaults();
    QCOMPARE(config->server.port, quint16(9000));
    QCOMPARE(config->server.host, defaults.server.host);
    QCOMPARE(config->server.path, defaults.server.path);
    QCOMPARE(config->server.heartbeatMs, defaults.server.heartbeatMs);
    QCOMPARE(config->server.ioThreads, -1);   // one per core beyond the first
    QCOMPARE(config->limits.maxStreams, 5);
    QCOMPARE(config->limits.rateLimitPerMin, defaults.limits.rateLimitPerMin);
    QCOMPARE(config->limits.maxMessageBytes, defaults.limits.maxMessageBytes);
    QVERIFY(!config->server.tls);
    QVERIFY(!config->metrics.port);
    // No devices key: the same devices as without any file.
    QCOMPARE(ids(*config), ids(defaults));

    const std::optional<Config> inline_ = parse(R"({"server": {"io_threads": 0}})");
    QVERIFY(inline_);
    QCOMPARE(inline_->server.ioThreads, 0);

    const std::optional<Config> empty = parse("{}");
    QVERIFY(empty);
    QCOMPARE(empty->server.port, quint16(8001));
    QCOMPARE(ids(*empty), ids(defaults));
}

void TestConfig::devicesListReplacesDefaults()
{
    const std::optional<Config> none = parse(R"({"devices": []})");
    QVERIFY(none);
    QVERIFY(none->devices.isEmpty());

    const std::optional<Config> one =
        parse(R"({"devices": [{"id": "psu", "plugin": "scpi", "port": "/dev/ttyS0"}]})");
    QVERIFY(one);
    QCOMPARE(ids(*one), QStringList{QStringLiteral("psu")});
}

void TestConfig::integralFloatsAndNullsAccepted()
{
    ConfigError error;
    const std::optional<Config> config = parse(
        R"({"server": {"port": 8002.0, "heartbeat_ms": 2e3, "tls": null, "host": null},
            "limits": {"max_rate_hz": 12.5, "max_streams": null},
            "metrics": {"port": null}})",
        &error);
    QVERIFY2(config, qPrintable(error.toString()));
    QCOMPARE(config->server.port, quint16(8002));
    QCOMPARE(config->server.heartbeatMs, 2000);
    QVERIFY(!config->server.tls);
    QCOMPARE(config->server.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(config->limits.maxRateHz, 12.5);
    QCOMPARE(config->limits.maxStreams, 64);
    QVERIFY(!config->metrics.port);
}

void TestConfig::portZeroMeansEphemeral()
{
    const std::optional<Config> config =
        parse(R"({"server": {"port": 0}, "metrics": {"port": 0}})");
    QVERIFY(config);
    QCOMPARE(config->server.port, quint16(0));
    QCOMPARE(config->metrics.port, std::optional<quint16>(0));
}

void TestConfig::authWithOneKey_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("secret");
    QTest::addColumn<QString>("keyFile");
    QTest::addRow("shared secret")
        << QByteArray(R"({"auth": {"required": true, "jwt_secret": "s3cret"}})")
        << QStringLiteral("s3cret") << QString();
    QTest::addRow("public key file")
        << QByteArray(R"({"auth": {"required": true, "jwt_public_key_file": "/k/pub.pem"}})")
        << QString() << QStringLiteral("/k/pub.pem");
    QTest::addRow("not required, both set")
        << QByteArray(R"({"auth": {"required": false, "jwt_secret": "a",
                                   "jwt_public_key_file": "/k/pub.pem"}})")
        << QStringLiteral("a") << QStringLiteral("/k/pub.pem");
}

void TestConfig::authWithOneKey()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, secret);
    QFETCH(QString, keyFile);
    ConfigError error;
    const std::optional<Config> config = parse(json, &error);
    QVERIFY2(config, qPrintable(error.toString()));
    QCOMPARE(config->auth.jwtSecret, secret);
    QCOMPARE(config->auth.jwtPublicKeyFile, keyFile);
}

void TestConfig::badFile_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");

    auto row = [](const char *what, const char *json, const char *key, const char *expected) {
        QTest::addRow("%s", what) << QByteArray(json) << QString::fromUtf8(key)
                                  << QString::fromUtf8(expected);
    };

    row("top level is a list", "[1, 2]", "", "expected a JSON object");
    row("top level is a string", "\"halhub\"", "", "");
    row("unknown top-level key", R"({"device": []})", "device", "unknown key");

    row("server not an object", R"({"server": 8001})", "server", "expected an object");
    row("unknown server key", R"({"server": {"prot": 8001}})", "server.prot",
        "unknown key, expected one of: host, port");
    row("host empty", R"({"server": {"host": ""}})", "server.host", "non-empty string");
    row("host a number", R"({"server": {"host": 127}})", "server.host", "non-empty string");
    row("port a string", R"({"server": {"port": "8001"}})", "server.port",
        "expected an integer in 0..65535, got the string \"8001\"");
    row("port too large", R"({"server": {"port": 65536}})", "server.port", "got 65536");
    row("port negative", R"({"server": {"port": -1}})", "server.port", "0..65535");
    row("port fractional", R"({"server": {"port": 8001.5}})", "server.port", "got 8001.5");
    row("port a bool", R"({"server": {"port": true}})", "server.port", "got true");
    row("path without slash", R"({"server": {"path": "ws/hardware"}})", "server.path",
        "starting with '/'");
    row("path a number", R"({"server": {"path": 1}})", "server.path", "starting with '/'");
    row("tls a string", R"({"server": {"tls": "server.pem"}})", "server.tls",
        "expected an object");
    row("tls without key", R"({"server": {"tls": {"cert": "a.pem"}}})", "server.tls.key",
        "missing");
    row("tls without cert", R"({"server": {"tls": {"key": "a.key"}}})", "server.tls.cert",
        "missing");
    row("tls empty cert", R"({"server": {"tls": {"cert": "", "key": "a.key"}}})",
        "server.tls.cert", "non-empty string");
    row("tls unknown key", R"({"server": {"tls": {"cert": "a", "key": "b", "ca": "c"}}})",
        "server.tls.ca", "unknown key");
    row("origins a string", R"({"server": {"allowed_origins": "http://x"}})",
        "server.allowed_origins", "a list of strings");
    row("origin a number", R"({"server": {"allowed_origins": ["http://x", 5]}})",
        "server.allowed_origins[1]", "expected a string");
    row("origin without scheme", R"({"server": {"allowed_origins": ["*", "localhost:3000"]}})",
        "server.allowed_origins[1]", "expected an origin");
    row("origin with a path", R"({"server": {"allowed_origins": ["https://x.org/app"]}})",
        "server.allowed_origins[0]", "expected an origin");
    row("heartbeat too short", R"({"server": {"heartbeat_ms": 99}})", "server.heartbeat_ms",
        "100..3600000");
    row("heartbeat too long", R"({"server": {"heartbeat_ms": 3600001}})",
        "server.heartbeat_ms", "100..3600000");
    row("resume grace negative", R"({"server": {"resume_grace_ms": -1}})",
        "server.resume_grace_ms", "0..3600000");
    row("max clients zero", R"({"server": {"max_clients": 0}})", "server.max_clients",
        "1..100000");
    row("max clients too many", R"({"server": {"max_clients": 100001}})",
        "server.max_clients", "1..100000");
    row("io threads negative", R"({"server": {"io_threads": -1}})", "server.io_threads", "0..64");
    row("io threads too many", R"({"server": {"io_threads": 65}})", "server.io_threads", "0..64");

    row("limits a list", R"({"limits": []})", "limits", "expected an object");
    row("unknown limits key", R"({"limits": {"max_rate": 10}})", "limits.max_rate",
        "unknown key");
    row("rate limit zero", R"({"limits": {"rate_limit_per_min": 0}})",
        "limits.rate_limit_per_min", "an integer >= 1");
    row("per-user rate a string", R"({"limits": {"rate_limit_per_user_per_min": "many"}})",
        "limits.rate_limit_per_user_per_min", "an integer >= 1");
    row("per-ip rate fractional", R"({"limits": {"rate_limit_per_ip_per_min": 1.5}})",
        "limits.rate_limit_per_ip_per_min", "an integer >= 1");
    row("max rate zero", R"({"limits": {"max_rate_hz": 0}})", "limits.max_rate_hz",
        "greater than 0 and at most 1000");
    row("max rate too high", R"({"limits": {"max_rate_hz": 1000.5}})", "limits.max_rate_hz",
        "at most 1000");
    row("max rate a string", R"({"limits": {"max_rate_hz": "fast"}})", "limits.max_rate_hz",
        "a number");
    row("max streams zero", R"({"limits": {"max_streams": 0}})", "limits.max_streams",
        "1..10000");
    row("max streams too many", R"({"limits": {"max_streams": 10001}})", "limits.max_streams",
        "1..10000");
    row("message limit too small", R"({"limits": {"max_message_bytes": 255}})",
        "limits.max_message_bytes", "256..16777216");
    row("message limit too large", R"({"limits": {"max_message_bytes": 16777217}})",
        "limits.max_message_bytes", "256..16777216");
    row("high water too small", R"({"limits": {"send_high_water_bytes": 1023}})",
        "limits.send_high_water_bytes", ">= 1024");

    row("auth a bool", R"({"auth": true})", "auth", "expected an object");
    row("unknown auth key", R"({"auth": {"secret": "x"}})", "auth.secret", "unknown key");
    row("required a string", R"({"auth": {"required": "yes"}})", "auth.required",
        "true or false");
    row("required without a key", R"({"auth": {"required": true}})", "auth.required",
        "auth.jwt_secret or auth.jwt_public_key_file");
    row("required with an empty secret", R"({"auth": {"required": true, "jwt_secret": ""}})",
        "auth.required", "auth.jwt_secret or auth.jwt_public_key_file");
    row("required with both keys",
        R"({"auth": {"required": true, "jwt_secret": "s", "jwt_public_key_file": "k.pem"}})",
        "auth.jwt_public_key_file", "only one of");
    row("secret a number", R"({"auth": {"jwt_secret": 1234}})", "auth.jwt_secret",
        "expected a string");
    row("issuer a list", R"({"auth": {"issuer": []}})", "auth.issuer", "expected a string");
    row("audience an object", R"({"auth": {"audience": {}}})", "auth.audience",
        "expected a string");
    row("audit log a number", R"({"auth": {"audit_log": 1}})", "auth.audit_log",
        "expected a string");

    row("metrics a number", R"({"metrics": 9101})", "metrics", "expected an object");
    row("metrics port too large", R"({"metrics": {"port": 70000}})", "metrics.port",
        "0..65535");
    row("metrics port a string", R"({"metrics": {"port": "9101"}})", "metrics.port",
        "0..65535");
    row("unknown metrics key", R"({"metrics": {"path": "/metrics"}})", "metrics.path",
        "unknown key, expected one of: port");

    row("devices an object", R"({"devices": {"id": "sim0"}})", "devices", "a list of objects");
    row("device a string", R"({"devices": [{"id": "a", "plugin": "sim"}, "sim1"]})",
        "devices[1]", "expected an object");
    row("device without id", R"({"devices": [{"plugin": "sim"}]})", "devices[0].id",
        "missing");
    row("device id empty", R"({"devices": [{"id": "", "plugin": "sim"}]})", "devices[0].id",
        "non-empty string");
    row("device id a number", R"({"devices": [{"id": 3, "plugin": "sim"}]})", "devices[0].id",
        "non-empty string");
    row("device id with a blank", R"({"devices": [{"id": "my sim", "plugin": "sim"}]})",
        "devices[0].id", "without blanks");
    row("duplicate device id",
        R"({"devices": [{"id": "a", "plugin": "sim"}, {"id": "b", "plugin": "sim"},
                        {"id": "a", "plugin": "scpi"}]})",
        "devices[2].id", "duplicate id 'a', already used by devices[0]");
    row("device without plugin", R"({"devices": [{"id": "a"}]})", "devices[0].plugin",
        "missing");
    row("device plugin a number", R"({"devices": [{"id": "a", "plugin": 1}]})",
        "devices[0].plugin", "a plugin name");
    row("unknown plugin",
        R"({"devices": [{"id": "a", "plugin": "sim"}, {"id": "b", "plugin": "scpii"}]})",
        "devices[1].plugin", "unknown plugin 'scpii'");
    row("unknown device key", R"({"devices": [{"id": "sim0", "plugin": "sim", "colour": "red"}]})",
        "devices[0].colour", "unknown key of device 'sim0' (plugin sim), expected one of: ");
    row("misspelt device key",
        R"({"devices": [{"id": "sim0", "plugin": "sim"},
                        {"id": "psu1", "plugin": "scpi", "port": "/dev/ttyS0", "poll_hzz": 5}]})",
        "devices[1].poll_hzz", "unknown key of device 'psu1' (plugin scpi)");
    row("misspelt device key given as null",
        R"({"devices": [{"id": "sim0", "plugin": "sim", "rate_hzz": null}]})",
        "devices[0].rate_hzz", "unknown key");
    row("device key in the wrong case",
        R"({"devices": [{"id": "sim0", "plugin": "sim", "Rate_Hz": 5}]})",
        "devices[0].Rate_Hz", "unknown key");
    row("serial key on the sim", R"({"devices": [{"id": "sim0", "plugin": "sim", "port": "/dev/ttyS0"}]})",
        "devices[0].port", "unknown key of device 'sim0'");
    row("modbus key on scpi",
        R"({"devices": [{"id": "psu1", "plugin": "scpi", "port": "/dev/ttyS0", "unit": 1}]})",
        "devices[0].unit", "unknown key of device 'psu1' (plugin scpi)");
    row("scpi key on linestream",
        R"({"devices": [{"id": "ard0", "plugin": "linestream", "port": "/dev/ttyACM0",
                         "poll_hz": 10}]})",
        "devices[0].poll_hz", "unknown key of device 'ard0' (plugin linestream)");
    row("sim key on modbus",
        R"({"devices": [{"id": "flow1", "plugin": "modbus", "port": "/dev/ttyS1", "rate_hz": 10}]})",
        "devices[0].rate_hz", "unknown key of device 'flow1' (plugin modbus)");
}

void TestConfig::badFile()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, key);
    QFETCH(QString, expected);

    ConfigError error;
    const std::optional<Config> config = parse(json, &error);
    QVERIFY2(!config, "a bad file must stop start-up");
    QCOMPARE(error.file, kFile);
    QCOMPARE(error.key, key);
    QVERIFY2(error.message.contains(expected), qPrintable(error.message));
    const QString prefix = key.isEmpty() ? kFile + QStringLiteral(": ")
                                         : kFile + QStringLiteral(": ") + key
                                               + QStringLiteral(": ");
    QVERIFY2(error.toString().startsWith(prefix), qPrintable(error.toString()));
    QVERIFY(error.toString().endsWith(error.message));
}

void TestConfig::unknownPluginListsAvailable()
{
    ConfigError error;
    QVERIFY(!parse(R"({"devices": [{"id": "x", "plugin": "visa"}]})", &error,
                   {{QStringLiteral("sim"), {QStringLiteral("rate_hz")}},
                    {QStringLiteral("scpi"), {QStringLiteral("port")}}}));
    QCOMPARE(error.key, QStringLiteral("devices[0].plugin"));
    QCOMPARE(error.message, QStringLiteral("unknown plugin 'visa', available: scpi, sim"));
}

void TestConfig::anyPluginWhenNoneKnown()
{
    // Nothing known, nothing checked: neither the plugin nor its keys.
    const std::optional<Config> config =
        parse(R"({"devices": [{"id": "x", "plugin": "visa", "resource": "GPIB0::5"}]})",
              nullptr, {});
    QVERIFY(config);
    QCOMPARE(config->devices.at(0).plugin, QStringLiteral("visa"));
    QCOMPARE(config->devices.at(0).settings.value(QStringLiteral("resource")).toString(),
             QStringLiteral("GPIB0::5"));
}

void TestConfig::everyPluginTakesItsOwnKeys_data()
{
    QTest::addColumn<QString>("plugin");
    QStringList plugins = kPlugins.keys();
    plugins.sort();
    for (const QString &plugin : std::as_const(plugins))
        QTest::addRow("%s", qPrintable(plugin)) << plugin;
}

void TestConfig::everyPluginTakesItsOwnKeys()
{
    // Every key a plugin lists passes this check (its value is the plugin's
    // to judge), beside a valid entry of every other plugin.
    QFETCH(QString, plugin);
    QJsonObject full;
    for (const QString &key : kPlugins.value(plugin))
        full.insert(key, QStringLiteral("value of %1").arg(key));
    full.insert(QStringLiteral("id"), QStringLiteral("full"));
    full.insert(QStringLiteral("plugin"), plugin);
    QJsonArray devices{full};
    for (auto it = kPlugins.cbegin(); it != kPlugins.cend(); ++it)
        devices.append(QJsonObject{{QStringLiteral("id"), it.key() + QStringLiteral("0")},
                                   {QStringLiteral("plugin"), it.key()}});
    const QByteArray json =
        QJsonDocument(QJsonObject{{QStringLiteral("devices"), devices}}).toJson();

    ConfigError error;
    const std::optional<Config> config = parse(json, &error);
    QVERIFY2(config, qPrintable(error.toString()));
    QCOMPARE(config->devices.size(), kPlugins.size() + 1);
    QCOMPARE(QStringList(config->devices.at(0).settings.keys()),
             QStringList(full.toVariantMap().keys()));
}

void TestConfig::unknownDeviceKeyNamesEntryAndKeys()
{
    ConfigError error;
    QVERIFY(!parse(R"({"devices": [{"id": "sim0", "plugin": "sim"},
                                   {"id": "psu1", "plugin": "scpi", "port": "/dev/ttyS0",
                                    "poll_hzz": 5}]})",
                   &error));
    QCOMPARE(error.file, kFile);
    QCOMPARE(error.key, QStringLiteral("devices[1].poll_hzz"));
    const QString expected = QStringLiteral("unknown key of device 'psu1' (plugin scpi), "
                                            "expected one of: ")
        + kPlugins.value(QStringLiteral("scpi")).join(QStringLiteral(", "));
    QCOMPARE(error.message, expected);
    QCOMPARE(error.toString(),
             QStringLiteral("halhub.json: devices[1].poll_hzz: ") + expected);
    QVERIFY(error.message.contains(QStringLiteral("poll_hz,")));
}

void TestConfig::pluginWithoutKeyListIsNotChecked()
{
    // A plugin whose metadata declares no keys: its name is checked, its
    // entries' keys are left to the plugin.
    const PluginKeys plugins{{QStringLiteral("sim"), {QStringLiteral("rate_hz")}},
                             {QStringLiteral("visa"), {}}};
    ConfigError error;
    const std::optional<Config> config =
        parse(R"({"devices": [{"id": "v", "plugin": "visa", "resource": "GPIB0::5"}]})", &error,
              plugins);
    QVERIFY2(config, qPrintable(error.toString()));
    QVERIFY(!parse(R"({"devices": [{"id": "s", "plugin": "sim", "resource": "x"}]})", &error,
                   plugins));
    QCOMPARE(error.key, QStringLiteral("devices[0].resource"));
    QCOMPARE(error.message,
             QStringLiteral("unknown key of device 's' (plugin sim), expected one of: rate_hz"));
}

void TestConfig::parseErrorPosition_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");   // of the offending character

    QTest::addRow("trailing comma on line 4")
        << QByteArray("{\n  \"server\": {\n    \"port\": 8001,\n  }\n}") << 4 << 3;
    QTest::addRow("missing comma between members")
        << QByteArray("{\"server\": {}\n \"limits\": {}}") << 2 << 2;
    QTest::addRow("bare word on line 1") << QByteArray("{\"auth\": tru}") << 1 << 10;
    // Columns count characters: the two-byte é is one column.
    QTest::addRow("after a non-ASCII key") << QByteArray("{\n\"\xc3\xa9\": x}") << 2 << 6;
    QTest::addRow("text after the object") << QByteArray("{}\n\n  junk") << 3 << 3;
}

void TestConfig::parseErrorPosition()
{
    QFETCH(QByteArray, json);
    QFETCH(int, line);
    QFETCH(int, column);
    ConfigError error;
    QVERIFY(!parse(json, &error));
    QCOMPARE(error.file, kFile);
    QVERIFY(error.key.isEmpty());

    static const QRegularExpression position(
        QStringLiteral("^invalid JSON at line (\\d+), column (\\d+): \\S"));
    const QRegularExpressionMatch match = position.match(error.message);
    QVERIFY2(match.hasMatch(), qPrintable(error.message));
    QCOMPARE(match.captured(1).toInt(), line);
    // The parser may stop on the offending character or just past it.
    const int reported = match.captured(2).toInt();
    QVERIFY2(reported >= column && reported <= column + 1, qPrintable(error.message));
}

void TestConfig::emptyFile()
{
    ConfigError error;
    QVERIFY(!parse("  \n", &error));
    QVERIFY(error.key.isEmpty());
    QVERIFY2(error.message.contains(QStringLiteral("empty")), qPrintable(error.message));
}

void TestConfig::unreadableFile_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason");
    QTest::addRow("missing") << QStringLiteral("nope/halhub.json")
                             << QStringLiteral("No such file or directory");
    QTest::addRow("a directory") << QStringLiteral("adir") << QStringLiteral("directory");
}

void TestConfig::unreadableFile()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("adir")));
    const QString file = dir.filePath(name);

    ConfigError error;
    QVERIFY(!loadConfig(file, kPlugins, &error));
    QCOMPARE(error.file, file);
    QVERIFY(error.key.isEmpty());
    QVERIFY2(error.message.contains(reason), qPrintable(error.message));
    QCOMPARE(error.toString(), file + QStringLiteral(": ") + error.message);
}

void TestConfig::loadFromDiskResolvesRelativeFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("halhub.json"));
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(R"({"server": {"port": 8123, "tls": {"cert": "certs/s.pem", "key": "/abs/s.key"}},
                 "auth": {"required": true, "jwt_public_key_file": "../keys/pub.pem"},
                 "devices": [{"id": "sim7", "plugin": "sim", "rate_hz": 250}]})");
    out.close();

    ConfigError error;
    const std::optional<Config> config = loadConfig(file, kPlugins, &error);
    QVERIFY2(config, qPrintable(error.toString()));
    QCOMPARE(config->server.port, quint16(8123));
    QCOMPARE(config->server.tls->certFile, QDir(dir.path()).filePath(QStringLiteral("certs/s.pem")));
    QCOMPARE(config->server.tls->keyFile, QStringLiteral("/abs/s.key"));
    QCOMPARE(config->auth.jwtPublicKeyFile,
             QDir::cleanPath(dir.path() + QStringLiteral("/../keys/pub.pem")));
    QCOMPARE(ids(*config), QStringList{QStringLiteral("sim7")});
    QCOMPARE(config->devices.at(0).settings.value(QStringLiteral("rate_hz")).toInt(), 250);
}

void TestConfig::addSimulated_data()
{
    QTest::addColumn<QStringList>("existing");
    QTest::addColumn<int>("count");
    QTest::addColumn<QStringList>("expected");

    const QString sim0 = QStringLiteral("sim0");
    const QString sim1 = QStringLiteral("sim1");
    const QString sim2 = QStringLiteral("sim2");
    const QString sim3 = QStringLiteral("sim3");
    const QString sim4 = QStringLiteral("sim4");
    QTest::addRow("after the defaults") << QStringList{sim0, sim1} << 2
                                        << QStringList{sim0, sim1, sim2, sim3};
    QTest::addRow("fills holes") << QStringList{sim0, sim2} << 3
                                 << QStringList{sim0, sim2, sim1, sim3, sim4};
    QTest::addRow("other names do not count")
        << QStringList{QStringLiteral("psu1"), QStringLiteral("simulator")} << 1
        << QStringList{QStringLiteral("psu1"), QStringLiteral("simulator"), sim0};
    QTest::addRow("none requested") << QStringList{sim0} << 0 << QStringList{sim0};
    QTest::addRow("from nothing") << QStringList{} << 3 << QStringList{sim0, sim1, sim2};
}

void TestConfig::addSimulated()
{
    QFETCH(QStringList, existing);
    QFETCH(int, count);
    QFETCH(QStringList, expected);

    Config config;
    for (const QString &id : existing)
        config.devices.append(DeviceConfig{id, QStringLiteral("scpi"), {}});
    config.addSimulated(count);
    QCOMPARE(ids(config), expected);
    for (qsizetype i = existing.size(); i < config.devices.size(); ++i) {
        const DeviceConfig &device = config.devices.at(i);
        QCOMPARE(device.plugin, QStringLiteral("sim"));
        QCOMPARE(device.settings.value(QStringLiteral("id")).toString(), device.id);
        QCOMPARE(device.settings.value(QStringLiteral("plugin")).toString(),
                 QStringLiteral("sim"));
        QCOMPARE(device.settings.value(QStringLiteral("rate_hz")).toInt(), 100);
    }
}

void TestConfig::errorToString()
{
    const ConfigError keyed{QStringLiteral("/etc/halhub.json"),
                            QStringLiteral("devices[2].rate_hz"),
                            QStringLiteral("expected a number")};
    QCOMPARE(keyed.toString(),
             QStringLiteral("/etc/halhub.json: devices[2].rate_hz: expected a number"));
    const ConfigError whole{QStringLiteral("a.json"), QString(), QStringLiteral("cannot read")};
    QCOMPARE(whole.toString(), QStringLiteral("a.json: cannot read"));
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
