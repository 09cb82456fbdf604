#pragma once

#include "bus/deviceconfig.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QVariantMap>

#include <optional>

namespace halhub {

// halhub.json (docs/protocol.md section 10). Every key optional; defaults below.
// A key given as null counts as absent. A port of 0 (server.port, metrics.port)
// asks the OS for a free port, which tests use. Relative file names (tls cert
// and key, auth.jwt_public_key_file, auth.audit_log) are resolved against the
// directory of the config file. A file without `devices` keeps the default
// sim0 and sim1; `"devices": []` means none. Unknown keys at the top level and
// in server, server.tls, limits, auth and metrics are errors (a typo would
// otherwise silently keep a default), and so is a device entry's key that its
// plugin does not list (PluginKeys); the values of those keys are the
// plugin's to check.
struct TlsConfig
{
    QString certFile;
    QString keyFile;
};

struct ServerConfig
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8001;
    QString path = QStringLiteral("/ws/hardware");
    std::optional<TlsConfig> tls;
    QStringList allowedOrigins;
    int heartbeatMs = 10000;
    int resumeGraceMs = 30000;
    int maxClients = 1000;
    // Threads that serve the client sockets; -1: one per core beyond the
    // first; 0: none (the main thread serves them).
    int ioThreads = -1;
};

struct LimitsConfig
{
    int rateLimitPerMin = 200;
    int rateLimitPerUserPerMin = 6000;
    int rateLimitPerIpPerMin = 6000;
    double maxRateHz = 1000;
    int maxStreams = 64;
    qint64 maxMessageBytes = 65536;
    qint64 sendHighWaterBytes = 1048576;
};

struct AuthConfig
{
    bool required = false;
    QString jwtSecret;
    QString jwtPublicKeyFile;
    QString issuer;
    QString audience;
    QString auditLog;
};

struct MetricsConfig
{
    std::optional<quint16> port;   // none: no metrics listener
};

// Where recordings go (docs/protocol.md section 15); relative to the config
// file's folder (without a config file, to the working directory).
struct RecordingConfig
{
    QString dir = QStringLiteral("recordings");
};

// docs/protocol.md section 12: several nodes, one device namespace, through
// Redis. Absent: a node of its own.
struct ClusterConfig
{
    QString redis = QStringLiteral("redis://127.0.0.1:6379");
    QString node;                   // required, 1..64 of [A-Za-z0-9_.-]
    QString keyPrefix = QStringLiteral("halhub");
    int heartbeatMs = 1000;
    int nodeTimeoutMs = 2500;
    // Credentials for a Redis that wants them (AUTH), used when the URL
    // carries none: redis_user, and the first line of redis_password_file.
    QString redisUser;
    QString redisPassword;
};

// Where a `cluster.redis` URL points: redis://[[USER]:PASSWORD@]HOST:PORT
// (port 6379 when left out) or unix:///path/to/redis.sock, and how to log
// in there (a password empty: no AUTH).
struct RedisEndpoint
{
    QString host;
    quint16 port = 6379;
    QString socketPath;             // set: a unix socket, host unused
    QString user;                   // empty with a password: Redis' default user
    QString password;
};
std::optional<RedisEndpoint> parseRedisUrl(const QString &url);
// The endpoint of a cluster section: its URL, with the section's
// credentials where the URL has none.
std::optional<RedisEndpoint> redisEndpoint(const ClusterConfig &cluster);
// The URL fit for a log line or an error message: a password in it is
// replaced by ***.
QString redactedRedisUrl(const QString &url);
bool isValidNodeName(const QString &node);

struct Config
{
    ServerConfig server;
    LimitsConfig limits;
    AuthConfig auth;
    MetricsConfig metrics;
    RecordingConfig recording;
    std::optional<ClusterConfig> cluster;
    QList<DeviceConfig> devices;

    // No config file: sim0 and sim1 at 100 Hz.
    static Config defaults();
    // Adds sim devices simK (next free K) at 100 Hz.
    void addSimulated(int count);
};

// Whether a listen address only accepts this machine: "localhost" or a
// loopback IP. Without auth, halhub refuses any other without --insecure.
bool isLoopbackHost(const QString &host);

struct ConfigError
{
    QString file;
    QString key;        // dotted path, e.g. "devices[2].rate_hz"; empty: whole file
    QString message;    // what was expected / what is wrong
    QString toString() const;   // "halhub.json: devices[2].rate_hz: expected ..."
};

// The device plugins available and what each takes: plugin name -> the keys
// its `devices` entries may hold (the "configKeys" of its metadata, see
// HalManager::pluginConfigKeys()). A plugin whose list is empty declares
// nothing, so its entries' keys are not checked. An empty PluginKeys checks
// neither plugin names nor keys (tests that parse without plugins).
using PluginKeys = QHash<QString, QStringList>;

// Reads and checks a config file. An entry naming a plugin outside `plugins`
// or holding a key its plugin does not list is an error.
std::optional<Config> loadConfig(const QString &file, const PluginKeys &plugins,
                                 ConfigError *error);
// The same from bytes already read (file is used in messages and to resolve
// relative file names).
std::optional<Config> parseConfig(const QByteArray &json, const QString &file,
                                  const PluginKeys &plugins, ConfigError *error);

} // namespace halhub
