// Over 600 lines for a reason: one reader walks the whole file, section by
// section, so that every error names its dotted key (devices[2].rate_hz) and
// what was expected; the walk reads best in one piece.

#include "config/config.h"

#include <QHostAddress>
#include <QUrl>

#include "net/handshake.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QSet>

#include <cmath>
#include <limits>

namespace halhub {

namespace {

const QString kSimPlugin = QStringLiteral("sim");
constexpr int kSimRateHz = 100;
// Beyond 2^53 a JSON number no longer holds every integer exactly.
constexpr qint64 kMaxExactInteger = (qint64(1) << 53);

DeviceConfig simDevice(const QString &id)
{
    DeviceConfig device;
    device.id = id;
    device.plugin = kSimPlugin;
    device.settings = {
        {QStringLiteral("id"), id},
        {QStringLiteral("plugin"), kSimPlugin},
        {QStringLiteral("rate_hz"), kSimRateHz},
    };
    return device;
}

// What a wrong value was, so the message shows it next to what was expected.
QString describe(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e18)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    case QJsonValue::String: {
        QString text = value.toString();
        if (text.size() > 40)
            text = text.left(37) + QStringLiteral("...");
        return QStringLiteral("the string \"%1\"").arg(text);
    }
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

// Walks the document and stops at the first problem: one precise message is
// more use to someone fixing a file than a list where later errors are echoes.
class Checker
{
public:
    Checker(const QString &file, ConfigError *error)
        : m_file(file)
        , m_error(error)
        , m_baseDir(QFileInfo(file).absolutePath())
    {
    }

    bool fail(const QString &key, const QString &message)
    {
        if (m_error) {
            m_error->file = m_file;
            m_error->key = key;
            m_error->message = message;
        }
        return false;
    }

    bool failExpected(const QString &key, const QString &expected, const QJsonValue &got)
    {
        return fail(key, QStringLiteral("expected %1, got %2").arg(expected, describe(got)));
    }

    // A typo in a section key would otherwise silently leave the default in place.
    bool checkKeys(const QJsonObject &object, const QString &prefix, const QStringList &allowed)
    {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!allowed.contains(it.key()))
                return fail(join(prefix, it.key()),
                            QStringLiteral("unknown key, expected one of: %1")
                                .arg(allowed.join(QStringLiteral(", "))));
        }
        return true;
    }

    // Absent or null: *present stays false. Present but not an object, or
    // holding a key outside `allowed`: error.
    bool section(const QJsonObject &parent, const QString &prefix, const QString &name,
                 const QStringList &allowed, QJsonObject *out, bool *present)
    {
        *present = false;
        const QJsonValue value = parent.value(name);
        if (isAbsent(value))
            return true;
        if (!value.isObject())
            return failExpected(join(prefix, name), QStringLiteral("an object"), value);
        *out = value.toObject();
        *present = true;
        return checkKeys(*out, join(prefix, name), allowed);
    }

    bool integer(const QJsonObject &object, const QString &prefix, const QString &name,
                 qint64 min, qint64 max, qint64 *out)
    {
        const QJsonValue value = object.value(name);
        if (isAbsent(value))
            return true;
        const QString expected = max >= std::numeric_limits<int>::max()
            ? QStringLiteral("an integer >= %1").arg(min)
            : QStringLiteral("an integer in %1..%2").arg(min).arg(max);
        if (!value.isDouble())
            return failExpected(join(prefix, name), expected, value);
        const double d = value.toDouble();
        // 8001.0 is the integer 8001; 8001.5 is not an integer at all.
        if (!std::isfinite(d) || d != std::floor(d) || d < double(min) || d > double(max))
            return failExpected(join(prefix, name), expected, value);
        *out = qint64(d);
        return true;
    }

    template<typename T>
    bool integerInto(const QJsonObject &object, const QString &prefix, const QString &name,
                     qint64 min, qint64 max, T *out)
    {
        qint64 v = qint64(*out);
        if (!integer(object, prefix, name, min, max, &v))
            return false;
        *out = T(v);
        return true;
    }

    bool port(const QJsonObject &object, const QString &prefix, const QString &name,
              std::optional<quint16> *out)
    {
        if (isAbsent(object.value(name)))
            return true;
        qint64 v = 0;
        // 0 asks the OS for a free port, which tests rely on.
        if (!integer(object, prefix, name, 0, 65535, &v))
            return false;
        *out = quint16(v);
        return true;
    }

    bool string(const QJsonObject &object, const QString &prefix, const QString &name,
                bool nonEmpty, QString *out)
    {
        const QJsonValue value = object.value(name);
        if (isAbsent(value))
            return true;
        if (!value.isString() || (nonEmpty && value.toString().isEmpty()))
            return failExpected(join(prefix, name),
                                nonEmpty ? QStringLiteral("a non-empty string")
                                         : QStringLiteral("a string"),
                                value);
        *out = value.toString();
        return true;
    }

    // A relative file name means "next to the config file", wherever the
    // process was started from.
    bool path(const QJsonObject &object, const QString &prefix, const QString &name,
              bool nonEmpty, QString *out)
    {
        QString text;
        const bool hadValue = !isAbsent(object.value(name));
        if (!string(object, prefix, name, nonEmpty, &text))
            return false;
        if (hadValue)
            *out = resolve(text);
        return true;
    }

    bool boolean(const QJsonObject &object, const QString &prefix, const QString &name,
                 bool *out)
    {
        const QJsonValue value = object.value(name);
        if (isAbsent(value))
            return true;
        if (!value.isBool())
            return failExpected(join(prefix, name), QStringLiteral("true or false"), value);
        *out = value.toBool();
        return true;
    }

    bool server(const QJsonObject &root, ServerConfig *out)
    {
        const QString prefix = QStringLiteral("server");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix,
                     {QStringLiteral("host"), QStringLiteral("port"), QStringLiteral("path"),
                      QStringLiteral("tls"), QStringLiteral("allowed_origins"),
                      QStringLiteral("heartbeat_ms"), QStringLiteral("resume_grace_ms"),
                      QStringLiteral("max_clients"), QStringLiteral("io_threads")},
                     &object, &present))
            return false;
        if (!present)
            return true;

        if (!string(object, prefix, QStringLiteral("host"), true, &out->host))
            return false;
        std::optional<quint16> port;
        if (!this->port(object, prefix, QStringLiteral("port"), &port))
            return false;
        if (port)
            out->port = *port;

        const QJsonValue pathValue = object.value(QStringLiteral("path"));
        if (!isAbsent(pathValue)) {
            if (!pathValue.isString() || !pathValue.toString().startsWith(QLatin1Char('/')))
                return failExpected(QStringLiteral("server.path"),
                                    QStringLiteral("a string starting with '/'"), pathValue);
            out->path = pathValue.toString();
        }

        QJsonObject tls;
        bool hasTls = false;
        if (!section(object, prefix, QStringLiteral("tls"),
                     {QStringLiteral("cert"), QStringLiteral("key")}, &tls, &hasTls))
            return false;
        if (hasTls) {
            const QString tlsPrefix = QStringLiteral("server.tls");
            TlsConfig config;
            for (const auto &[name, target] :
                 {std::pair{QStringLiteral("cert"), &config.certFile},
                  std::pair{QStringLiteral("key"), &config.keyFile}}) {
                if (isAbsent(tls.value(name)))
                    return fail(join(tlsPrefix, name),
                                QStringLiteral("missing, expected a non-empty string (a file name)"));
                if (!path(tls, tlsPrefix, name, true, target))
                    return false;
            }
            out->tls = config;
        }

        const QJsonValue origins = object.value(QStringLiteral("allowed_origins"));
        if (!isAbsent(origins)) {
            if (!origins.isArray())
                return failExpected(QStringLiteral("server.allowed_origins"),
                                    QStringLiteral("a list of strings"), origins);
            const QJsonArray list = origins.toArray();
            QStringList result;
            for (qsizetype i = 0; i < list.size(); ++i) {
                const QJsonValue entry = list.at(i);
                const QString key = QStringLiteral("server.allowed_origins[%1]").arg(i);
                if (!entry.isString())
                    return failExpected(key, QStringLiteral("a string"), entry);
                // An entry that can never match an Origin header is a typo the
                // user would otherwise only find through refused browsers.
                if (!isValidAllowedOrigin(entry.toString()))
                    return failExpected(
                        key,
                        QStringLiteral("an origin such as \"https://example.com:8443\" or \"*\""),
                        entry);
                result.append(entry.toString());
            }
            out->allowedOrigins = result;
        }

        return integerInto(object, prefix, QStringLiteral("heartbeat_ms"), 100, 3600000,
                           &out->heartbeatMs)
            && integerInto(object, prefix, QStringLiteral("resume_grace_ms"), 0, 3600000,
                           &out->resumeGraceMs)
            && integerInto(object, prefix, QStringLiteral("max_clients"), 1, 100000,
                           &out->maxClients)
            && integerInto(object, prefix, QStringLiteral("io_threads"), 0, 64,
                           &out->ioThreads);
    }

    bool limits(const QJsonObject &root, LimitsConfig *out)
    {
        const QString prefix = QStringLiteral("limits");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix,
                     {QStringLiteral("rate_limit_per_min"),
                      QStringLiteral("rate_limit_per_user_per_min"),
                      QStringLiteral("rate_limit_per_ip_per_min"),
                      QStringLiteral("max_rate_hz"), QStringLiteral("max_streams"),
                      QStringLiteral("max_message_bytes"),
                      QStringLiteral("send_high_water_bytes")},
                     &object, &present))
            return false;
        if (!present)
            return true;

        constexpr qint64 intMax = std::numeric_limits<int>::max();
        if (!integerInto(object, prefix, QStringLiteral("rate_limit_per_min"), 1, intMax,
                         &out->rateLimitPerMin)
            || !integerInto(object, prefix, QStringLiteral("rate_limit_per_user_per_min"), 1,
                            intMax, &out->rateLimitPerUserPerMin)
            || !integerInto(object, prefix, QStringLiteral("rate_limit_per_ip_per_min"), 1,
                            intMax, &out->rateLimitPerIpPerMin))
            return false;

        const QJsonValue rate = object.value(QStringLiteral("max_rate_hz"));
        if (!isAbsent(rate)) {
            const double hz = rate.toDouble();
            if (!rate.isDouble() || !(hz > 0 && hz <= 1000))
                return failExpected(QStringLiteral("limits.max_rate_hz"),
                                    QStringLiteral("a number greater than 0 and at most 1000"),
                                    rate);
            out->maxRateHz = hz;
        }

        return integerInto(object, prefix, QStringLiteral("max_streams"), 1, 10000,
                           &out->maxStreams)
            && integerInto(object, prefix, QStringLiteral("max_message_bytes"), 256, 16777216,
                           &out->maxMessageBytes)
            && integerInto(object, prefix, QStringLiteral("send_high_water_bytes"), 1024,
                           kMaxExactInteger, &out->sendHighWaterBytes);
    }

    bool auth(const QJsonObject &root, AuthConfig *out)
    {
        const QString prefix = QStringLiteral("auth");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix,
                     {QStringLiteral("required"), QStringLiteral("jwt_secret"),
                      QStringLiteral("jwt_public_key_file"), QStringLiteral("issuer"),
                      QStringLiteral("audience"), QStringLiteral("audit_log")},
                     &object, &present))
            return false;
        if (!present)
            return true;

        if (!boolean(object, prefix, QStringLiteral("required"), &out->required)
            || !string(object, prefix, QStringLiteral("jwt_secret"), false, &out->jwtSecret)
            || !path(object, prefix, QStringLiteral("jwt_public_key_file"), false,
                     &out->jwtPublicKeyFile)
            || !string(object, prefix, QStringLiteral("issuer"), false, &out->issuer)
            || !string(object, prefix, QStringLiteral("audience"), false, &out->audience)
            || !path(object, prefix, QStringLiteral("audit_log"), false, &out->auditLog))
            return false;

        if (out->required) {
            const bool secret = !out->jwtSecret.isEmpty();
            const bool publicKey = !out->jwtPublicKeyFile.isEmpty();
            if (secret && publicKey)
                return fail(QStringLiteral("auth.jwt_public_key_file"),
                            QStringLiteral("set only one of auth.jwt_secret and "
                                           "auth.jwt_public_key_file"));
            if (!secret && !publicKey)
                return fail(QStringLiteral("auth.required"),
                            QStringLiteral("authentication is required but no key is set: "
                                           "expected auth.jwt_secret or "
                                           "auth.jwt_public_key_file"));
        }
        return true;
    }

    bool metrics(const QJsonObject &root, MetricsConfig *out)
    {
        const QString prefix = QStringLiteral("metrics");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix,
                     {QStringLiteral("port")},
                     &object, &present))
            return false;
        if (!present)
            return true;
        return port(object, prefix, QStringLiteral("port"), &out->port);
    }

    bool recording(const QJsonObject &root, RecordingConfig *out)
    {
        const QString prefix = QStringLiteral("recording");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix, {QStringLiteral("dir")}, &object, &present))
            return false;
        // Relative to the config file's folder, present or not.
        out->dir = resolve(out->dir);
        return !present || path(object, prefix, QStringLiteral("dir"), true, &out->dir);
    }

    // A replay entry's relative `file` is a file of the recording directory:
    // the name record_start answered with.
    void resolveReplayFiles(const RecordingConfig &recording, QList<DeviceConfig> *devices)
    {
        for (DeviceConfig &device : *devices) {
            const QString file = device.settings.value(QStringLiteral("file")).toString();
            if (device.plugin == QLatin1String("replay") && !file.isEmpty()
                && QFileInfo(file).isRelative())
                device.settings.insert(QStringLiteral("file"), QDir(recording.dir).filePath(file));
        }
    }

    bool cluster(const QJsonObject &root, std::optional<ClusterConfig> *out)
    {
        const QString prefix = QStringLiteral("cluster");
        QJsonObject object;
        bool present = false;
        if (!section(root, QString(), prefix,
                     {QStringLiteral("redis"), QStringLiteral("node"),
                      QStringLiteral("key_prefix"), QStringLiteral("heartbeat_ms"),
                      QStringLiteral("node_timeout_ms"), QStringLiteral("redis_user"),
                      QStringLiteral("redis_password_file")},
                     &object, &present))
            return false;
        if (!present)
            return true;
        ClusterConfig c;
        if (!string(object, prefix, QStringLiteral("redis"), true, &c.redis)
            || !string(object, prefix, QStringLiteral("node"), true, &c.node)
            || !string(object, prefix, QStringLiteral("key_prefix"), true, &c.keyPrefix)
            || !integerInto(object, prefix, QStringLiteral("heartbeat_ms"), 50, 60000,
                            &c.heartbeatMs)
            || !integerInto(object, prefix, QStringLiteral("node_timeout_ms"), 100, 600000,
                            &c.nodeTimeoutMs)
            || !string(object, prefix, QStringLiteral("redis_user"), false, &c.redisUser))
            return false;
        const std::optional<RedisEndpoint> endpoint = parseRedisUrl(c.redis);
        if (!endpoint)
            return failExpected(join(prefix, QStringLiteral("redis")),
                                QStringLiteral("redis://[[USER]:PASSWORD@]HOST:PORT or unix:///PATH"),
                                QJsonValue(redactedRedisUrl(c.redis)));
        QString passwordFile;
        if (!path(object, prefix, QStringLiteral("redis_password_file"), false, &passwordFile)
            || !readPasswordFile(join(prefix, QStringLiteral("redis_password_file")), passwordFile,
                                 &c.redisPassword))
            return false;
        if (!endpoint->password.isEmpty() && !passwordFile.isEmpty())
            return fail(join(prefix, QStringLiteral("redis_password_file")),
                        QStringLiteral("cluster.redis carries a password already: set only one"));
        if (!c.redisUser.isEmpty() && c.redisPassword.isEmpty())
            return fail(join(prefix, QStringLiteral("redis_user")),
                        QStringLiteral("a user needs cluster.redis_password_file"));
        if (isAbsent(object.value(QStringLiteral("node"))))
            return fail(join(prefix, QStringLiteral("node")),
                        QStringLiteral("required: this node's name"));
        if (!isValidNodeName(c.node))
            return failExpected(join(prefix, QStringLiteral("node")),
                                QStringLiteral("1 to 64 of A-Z a-z 0-9 _ . -"),
                                object.value(QStringLiteral("node")));
        if (c.nodeTimeoutMs <= c.heartbeatMs)
            return fail(join(prefix, QStringLiteral("node_timeout_ms")),
                        QStringLiteral("must be longer than cluster.heartbeat_ms"));
        *out = c;
        return true;
    }

    // An entry's keys are those its plugin lists; their values are the
    // plugin's to check (HalManager::checkDevice).
    bool devices(const QJsonObject &root, const PluginKeys &plugins, QList<DeviceConfig> *out)
    {
        const QJsonValue value = root.value(QStringLiteral("devices"));
        if (isAbsent(value))
            return true;
        if (!value.isArray())
            return failExpected(QStringLiteral("devices"), QStringLiteral("a list of objects"),
                                value);
        const QJsonArray list = value.toArray();
        QList<DeviceConfig> result;
        QHash<QString, qsizetype> seen;
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QString prefix = QStringLiteral("devices[%1]").arg(i);
            const QJsonValue entryValue = list.at(i);
            if (!entryValue.isObject())
                return failExpected(prefix, QStringLiteral("an object"), entryValue);
            const QJsonObject entry = entryValue.toObject();

            const QString idKey = join(prefix, QStringLiteral("id"));
            const QJsonValue id = entry.value(QStringLiteral("id"));
            if (id.isUndefined() || id.isNull())
                return fail(idKey, QStringLiteral("missing, expected a non-empty string"));
            // Ids appear in scopes ("device:ID:write", space separated) and in
            // log lines, where blanks would split them.
            if (!id.isString() || id.toString().isEmpty() || hasBlankOrControl(id.toString()))
                return failExpected(idKey, QStringLiteral("a non-empty string without blanks"),
                                    id);
            const auto previous = seen.constFind(id.toString());
            if (previous != seen.constEnd())
                return fail(idKey, QStringLiteral("duplicate id '%1', already used by devices[%2]")
                                       .arg(id.toString())
                                       .arg(*previous));
            seen.insert(id.toString(), i);

            const QString pluginKey = join(prefix, QStringLiteral("plugin"));
            const QJsonValue plugin = entry.value(QStringLiteral("plugin"));
            if (plugin.isUndefined() || plugin.isNull())
                return fail(pluginKey, QStringLiteral("missing, expected a plugin name"));
            if (!plugin.isString() || plugin.toString().isEmpty())
                return failExpected(pluginKey, QStringLiteral("a plugin name"), plugin);
            if (!plugins.isEmpty() && !plugins.contains(plugin.toString())) {
                QStringList available = plugins.keys();
                available.sort();
                return fail(pluginKey, QStringLiteral("unknown plugin '%1', available: %2")
                                           .arg(plugin.toString(),
                                                available.join(QStringLiteral(", "))));
            }
            if (!deviceKeys(entry, prefix, id.toString(), plugin.toString(),
                            plugins.value(plugin.toString())))
                return false;

            DeviceConfig device;
            device.id = id.toString();
            device.plugin = plugin.toString();
            device.settings = entry.toVariantMap();
            result.append(device);
        }
        *out = result;
        return true;
    }

private:
    // A misspelt key (poll_hzz) or one of another plugin would otherwise be
    // ignored and leave the plugin's default in place without a word.
    bool deviceKeys(const QJsonObject &entry, const QString &prefix, const QString &id,
                    const QString &plugin, const QStringList &accepted)
    {
        if (accepted.isEmpty())
            return true;
        for (auto it = entry.begin(); it != entry.end(); ++it) {
            const QString &key = it.key();
            // id and plugin are this file's own, whatever the plugin lists.
            if (key == QLatin1String("id") || key == QLatin1String("plugin")
                || accepted.contains(key))
                continue;
            return fail(join(prefix, key),
                        QStringLiteral("unknown key of device '%1' (plugin %2), expected one "
                                       "of: %3")
                            .arg(id, plugin, accepted.join(QStringLiteral(", "))));
        }
        return true;
    }

    // An optional key sent as null counts as absent, as in the protocol.
    static bool isAbsent(const QJsonValue &value)
    {
        return value.isUndefined() || value.isNull();
    }

    static QString join(const QString &prefix, const QString &name)
    {
        return prefix.isEmpty() ? name : prefix + QLatin1Char('.') + name;
    }

    static bool hasBlankOrControl(const QString &text)
    {
        for (const QChar c : text) {
            if (c.isSpace() || c.category() == QChar::Other_Control)
                return true;
        }
        return false;
    }

    // The first line of a file that holds a password, without its line end.
    bool readPasswordFile(const QString &key, const QString &fileName, QString *out)
    {
        if (fileName.isEmpty())
            return true;
        QFile file(fileName);
        if (!file.open(QIODevice::ReadOnly))
            return fail(key, QStringLiteral("cannot read '%1': %2").arg(fileName, file.errorString()));
        QByteArray line = file.readLine(4096);
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            return fail(key, QStringLiteral("'%1' holds no password on its first line").arg(fileName));
        *out = QString::fromUtf8(line);
        return true;
    }

    QString resolve(const QString &fileName) const
    {
        if (fileName.isEmpty() || QDir::isAbsolutePath(fileName))
            return fileName;
        return QDir::cleanPath(QDir(m_baseDir).filePath(fileName));
    }

    QString m_file;
    ConfigError *m_error = nullptr;
    QString m_baseDir;
};

// QJsonParseError gives a byte offset; people fix files by line and column.
void lineAndColumn(const QByteArray &bytes, int offset, int *line, int *column)
{
    const qsizetype end = qBound(qsizetype(0), qsizetype(offset), bytes.size());
    *line = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < end; ++i) {
        if (bytes.at(i) == '\n') {
            ++*line;
            lineStart = i + 1;
        }
    }
    // Columns count characters, not UTF-8 bytes.
    *column = int(QString::fromUtf8(bytes.mid(lineStart, end - lineStart)).size()) + 1;
}

} // namespace

Config Config::defaults()
{
    Config config;
    config.devices = {simDevice(QStringLiteral("sim0")), simDevice(QStringLiteral("sim1"))};
    return config;
}

void Config::addSimulated(int count)
{
    QSet<QString> used;
    for (const DeviceConfig &device : std::as_const(devices))
        used.insert(device.id);
    int next = 0;
    for (int added = 0; added < count; ++added) {
        while (used.contains(QStringLiteral("sim%1").arg(next)))
            ++next;
        const QString id = QStringLiteral("sim%1").arg(next);
        used.insert(id);
        devices.append(simDevice(id));
    }
}

QString ConfigError::toString() const
{
    if (key.isEmpty())
        return QStringLiteral("%1: %2").arg(file, message);
    return QStringLiteral("%1: %2: %3").arg(file, key, message);
}

std::optional<Config> loadConfig(const QString &file, const PluginKeys &plugins,
                                 ConfigError *error)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        if (error)
            *error = {file, QString(), QStringLiteral("cannot read: %1").arg(in.errorString())};
        return std::nullopt;
    }
    const QByteArray bytes = in.readAll();
    if (in.error() != QFileDevice::NoError) {
        if (error)
            *error = {file, QString(), QStringLiteral("cannot read: %1").arg(in.errorString())};
        return std::nullopt;
    }
    return parseConfig(bytes, file, plugins, error);
}

std::optional<Config> parseConfig(const QByteArray &json, const QString &file,
                                  const PluginKeys &plugins, ConfigError *error)
{
    if (json.trimmed().isEmpty()) {
        if (error)
            *error = {file, QString(), QStringLiteral("the file is empty, expected a JSON object")};
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        int line = 0;
        int column = 0;
        lineAndColumn(json, parseError.offset, &line, &column);
        if (error)
            *error = {file, QString(),
                      QStringLiteral("invalid JSON at line %1, column %2: %3")
                          .arg(line)
                          .arg(column)
                          .arg(parseError.errorString())};
        return std::nullopt;
    }
    if (!document.isObject()) {
        if (error)
            *error = {file, QString(),
                      QStringLiteral("expected a JSON object at the top level, got %1")
                          .arg(document.isArray() ? QStringLiteral("an array")
                                                  : QStringLiteral("a single value"))};
        return std::nullopt;
    }

    const QJsonObject root = document.object();
    Checker checker(file, error);
    // A file that does not list devices keeps the default ones, like every
    // other missing key; an explicit empty list means no devices.
    Config config = Config::defaults();
    if (!checker.checkKeys(root, QString(),
                           {QStringLiteral("server"), QStringLiteral("limits"),
                            QStringLiteral("auth"), QStringLiteral("metrics"),
                            QStringLiteral("recording"), QStringLiteral("devices"),
                            QStringLiteral("cluster")})
        || !checker.server(root, &config.server) || !checker.limits(root, &config.limits)
        || !checker.auth(root, &config.auth) || !checker.metrics(root, &config.metrics)
        || !checker.recording(root, &config.recording)
        || !checker.devices(root, plugins, &config.devices)
        || !checker.cluster(root, &config.cluster))
        return std::nullopt;
    checker.resolveReplayFiles(config.recording, &config.devices);
    return config;
}

std::optional<RedisEndpoint> parseRedisUrl(const QString &url)
{
    RedisEndpoint endpoint;
    const QString unixScheme = QStringLiteral("unix://");
    if (url.startsWith(unixScheme)) {
        endpoint.socketPath = url.mid(unixScheme.size());
        if (!endpoint.socketPath.startsWith(QLatin1Char('/')))
            return std::nullopt;
        return endpoint;
    }
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid() || parsed.scheme() != QLatin1String("redis") || parsed.host().isEmpty()
        || (!parsed.path().isEmpty() && parsed.path() != QLatin1String("/"))
        || parsed.hasQuery() || parsed.hasFragment())
        return std::nullopt;
    // A user without a password says nothing Redis can check.
    if (!parsed.userInfo().isEmpty() && parsed.password().isEmpty())
        return std::nullopt;
    const int port = parsed.port(6379);
    if (port <= 0 || port > 65535)
        return std::nullopt;
    endpoint.host = parsed.host();
    endpoint.port = quint16(port);
    endpoint.user = parsed.userName(QUrl::FullyDecoded);
    endpoint.password = parsed.password(QUrl::FullyDecoded);
    return endpoint;
}

std::optional<RedisEndpoint> redisEndpoint(const ClusterConfig &cluster)
{
    std::optional<RedisEndpoint> endpoint = parseRedisUrl(cluster.redis);
    if (endpoint && endpoint->password.isEmpty()) {
        endpoint->user = cluster.redisUser;
        endpoint->password = cluster.redisPassword;
    }
    return endpoint;
}

QString redactedRedisUrl(const QString &url)
{
    // Textual, so that a URL too broken to parse keeps its secret too.
    static const QRegularExpression userInfo(QStringLiteral("^(\\w+://[^/@:]*:).*@"));
    QString out = url;
    return out.replace(userInfo, QStringLiteral("\\1***@"));
}

bool isValidNodeName(const QString &node)
{
    if (node.isEmpty() || node.size() > 64)
        return false;
    for (const QChar c : node) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
                || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
                || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_')
                || c == QLatin1Char('.') || c == QLatin1Char('-');
        if (!ok)
            return false;
    }
    return true;
}

bool isLoopbackHost(const QString &host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

} // namespace halhub
