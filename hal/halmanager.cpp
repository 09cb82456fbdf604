#include "halmanager.h"

#include "bus/deviceconfig.h"
#include "bus/value.h"
#include "device.h"
#include "deviceplugin.h"
#include "hallogging.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QMetaObject>
#include <QPluginLoader>
#include <QPointer>
#include <QSet>

#include <algorithm>
#include <map>
#include <utility>

namespace halhub {

namespace {

struct PluginEntry
{
    QString name;
    QString file;
    QJsonObject metaData;
    std::unique_ptr<QPluginLoader> loader;
    DevicePlugin *plugin = nullptr;     // null until a device needs the code
};

struct DeviceEntry
{
    QString id;
    QVariantMap settings;               // normalised: id and plugin always present
    QPointer<Device> device;
    QSet<quint64> runningTickets;
    bool inStartCommand = false;
};

// A key set to null counts as absent (docs/protocol.md section 10), at any
// depth of an entry's maps, so a plugin never reads null as 0.
QVariantMap withoutNulls(const QVariantMap &map)
{
    QVariantMap out;
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (value::isNull(*it))
            continue;
        out.insert(it.key(), value::isMap(*it) ? QVariant(withoutNulls(it->toMap())) : *it);
    }
    return out;
}

QVariantMap normalisedSettings(const DeviceConfig &config)
{
    QVariantMap settings = withoutNulls(config.settings);
    if (!settings.contains(QStringLiteral("id")))
        settings.insert(QStringLiteral("id"), config.id);
    if (!settings.contains(QStringLiteral("plugin")))
        settings.insert(QStringLiteral("plugin"), config.plugin);
    return settings;
}

CommandOutcome unavailable(const QString &device, const QString &why)
{
    return CommandOutcome::error(QStringLiteral("device_unavailable"),
                                 QStringLiteral("device \"%1\" %2").arg(device, why));
}

} // namespace

struct HalManager::Private
{
    HalManager *q = nullptr;
    std::map<QString, PluginEntry> plugins;
    QStringList loadErrors;
    QStringList searchedDirs;                           // by the last discoverPlugins
    QStringList order;                                  // device ids in config order
    QHash<QString, std::shared_ptr<DeviceEntry>> devices;

    DevicePlugin *loadPlugin(PluginEntry &entry, QString *error);
    void connectDevice(const std::shared_ptr<DeviceEntry> &entry);
    void removeDevice(const QString &id, bool announce);
    void onStateChanged(DeviceEntry *entry, DeviceState state);
    void onCommandFinished(DeviceEntry *entry, quint64 ticket, const CommandOutcome &outcome);
};

DevicePlugin *HalManager::Private::loadPlugin(PluginEntry &entry, QString *error)
{
    if (entry.plugin)
        return entry.plugin;
    QObject *instance = entry.loader->instance();
    entry.plugin = qobject_cast<DevicePlugin *>(instance);
    if (!entry.plugin) {
        const QString reason = instance ? QStringLiteral("it does not implement %1")
                                                  .arg(QLatin1String(HalhubDevicePlugin_iid))
                                        : entry.loader->errorString();
        *error = QStringLiteral("plugin \"%1\" (%2) cannot be loaded: %3")
                         .arg(entry.name, entry.file, reason);
    }
    return entry.plugin;
}

void HalManager::Private::connectDevice(const std::shared_ptr<DeviceEntry> &entry)
{
    // The handlers hold the entry: a handler that reloads the devices must not
    // pull it away from under the one still running.
    Device *device = entry->device;
    QObject::connect(device, &Device::sampleReady, q, [this, entry](const Sample &sample) {
        if (sample.device == entry->id) {
            Q_EMIT q->sampleReady(sample);
            return;
        }
        // The bus promises samples named by their device id, whatever the plugin put.
        Sample named = sample;
        named.device = entry->id;
        Q_EMIT q->sampleReady(named);
    });
    QObject::connect(device, &Device::stateChanged, q,
                     [this, entry](DeviceState state) { onStateChanged(entry.get(), state); });
    QObject::connect(device, &Device::errorOccurred, q, [this, entry](const QString &message) {
        Q_EMIT q->deviceError(entry->id, message);
    });
    QObject::connect(device, &Device::infoChanged, q, [this, entry]() {
        if (entry->device)
            Q_EMIT q->deviceInfoChanged(entry->device->info());
    });
    QObject::connect(device, &Device::commandFinished, q,
                     [this, entry](quint64 ticket, const CommandOutcome &outcome) {
                         onCommandFinished(entry.get(), ticket, outcome);
                     });
}

void HalManager::Private::onStateChanged(DeviceEntry *entry, DeviceState state)
{
    Q_EMIT q->deviceStateChanged(entry->id, state);
    if (state == DeviceState::Connected || entry->runningTickets.isEmpty())
        return;
    // Every attempt gets its one answer even when the device vanishes under
    // it; whatever the device says about it later is then a late answer.
    const QSet<quint64> lost = std::exchange(entry->runningTickets, {});
    for (quint64 ticket : lost)
        Q_EMIT q->commandFinished(ticket, unavailable(entry->id, QStringLiteral("went away")));
}

void HalManager::Private::onCommandFinished(DeviceEntry *entry, quint64 ticket,
                                            const CommandOutcome &outcome)
{
    if (!entry->runningTickets.remove(ticket)) {
        qCDebug(lcHal) << "discarding late answer for ticket" << ticket << "of" << entry->id;
        return;
    }
    if (entry->inStartCommand) {
        // Core expects startCommand to return before the answer arrives.
        QMetaObject::invokeMethod(q, [q = q, ticket, outcome]() {
            Q_EMIT q->commandFinished(ticket, outcome);
        }, Qt::QueuedConnection);
        return;
    }
    Q_EMIT q->commandFinished(ticket, outcome);
}

void HalManager::Private::removeDevice(const QString &id, bool announce)
{
    const std::shared_ptr<DeviceEntry> entry = devices.take(id);
    order.removeAll(id);
    if (!entry)
        return;
    if (Device *device = entry->device) {
        // Nothing a closing device says reaches the bus: it is gone already.
        QObject::disconnect(device, nullptr, q, nullptr);
        device->close();
    }
    if (announce)
        Q_EMIT q->deviceRemoved(id);
    // Later, not now: the device may be in the middle of emitting the signal
    // whose handler removes it.
    if (entry->device)
        entry->device->deleteLater();
}

HalManager::HalManager(QObject *parent)
    : DeviceBus(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    // Queued connections across the bus (and to other threads) need these.
    static const bool registered = [] {
        qRegisterMetaType<halhub::Sample>("halhub::Sample");
        qRegisterMetaType<halhub::DeviceInfo>("halhub::DeviceInfo");
        qRegisterMetaType<halhub::CommandOutcome>("halhub::CommandOutcome");
        qRegisterMetaType<halhub::DeviceState>("halhub::DeviceState");
        return true;
    }();
    Q_UNUSED(registered);
}

HalManager::~HalManager()
{
    shutdown();
}

QStringList HalManager::defaultPluginDirs()
{
    QStringList dirs;
    const QString env = qEnvironmentVariable("HALHUB_PLUGIN_PATH");
    for (const QString &dir : env.split(QLatin1Char(':'), Qt::SkipEmptyParts))
        dirs << dir;
    if (QCoreApplication::instance()) {
        const QString appDir = QCoreApplication::applicationDirPath();
        dirs << QDir::cleanPath(appDir + QStringLiteral("/plugins"));
        dirs << QDir::cleanPath(appDir + QStringLiteral("/../lib/halhub/plugins"));
    }
    return dirs;
}

int HalManager::discoverPlugins(const QStringList &dirs)
{
    d->loadErrors.clear();
    d->searchedDirs = dirs;
    int found = 0;
    QSet<QString> seenDirs;
    for (const QString &dirPath : dirs) {
        const QDir dir(dirPath);
        if (!dir.exists())
            continue;
        const QString canonicalDir = dir.canonicalPath();
        if (seenDirs.contains(canonicalDir))
            continue;
        seenDirs.insert(canonicalDir);

        const QFileInfoList files = dir.entryInfoList(QDir::Files | QDir::Readable, QDir::Name);
        for (const QFileInfo &fileInfo : files) {
            const QString file = fileInfo.canonicalFilePath();
            auto loader = std::make_unique<QPluginLoader>(file);
            const QJsonObject metaData = loader->metaData();
            if (metaData.isEmpty()) {
                d->loadErrors << QStringLiteral("%1: not a Qt plugin, skipped").arg(file);
                continue;
            }
            const QString iid = metaData.value(QStringLiteral("IID")).toString();
            if (iid != QLatin1String(HalhubDevicePlugin_iid)) {
                d->loadErrors << QStringLiteral("%1: refused: interface \"%2\" is not \"%3\" "
                                                "(built for another halhub version?)")
                                         .arg(file, iid, QLatin1String(HalhubDevicePlugin_iid));
                continue;
            }
            const QJsonObject ours = metaData.value(QStringLiteral("MetaData")).toObject();
            const QString name = ours.value(QStringLiteral("plugin")).toString();
            if (name.isEmpty()) {
                d->loadErrors << QStringLiteral("%1: refused: its metadata names no \"plugin\"")
                                         .arg(file);
                continue;
            }
            const auto existing = d->plugins.find(name);
            if (existing != d->plugins.end()) {
                if (existing->second.file != file) {
                    d->loadErrors << QStringLiteral("%1: ignored: plugin \"%2\" already comes "
                                                    "from %3")
                                             .arg(file, name, existing->second.file);
                } else {
                    ++found;
                }
                continue;
            }
            PluginEntry entry;
            entry.name = name;
            entry.file = file;
            entry.metaData = ours;
            entry.loader = std::move(loader);
            d->plugins.emplace(name, std::move(entry));
            qCDebug(lcHal) << "found plugin" << name << "in" << file;
            ++found;
        }
    }
    for (const QString &error : std::as_const(d->loadErrors))
        qCWarning(lcHal).noquote() << error;
    return found;
}

QStringList HalManager::pluginNames() const
{
    QStringList names;
    for (const auto &[name, entry] : d->plugins)
        names << name;
    return names;
}

QJsonObject HalManager::pluginMetaData(const QString &name) const
{
    const auto it = d->plugins.find(name);
    return it == d->plugins.end() ? QJsonObject() : it->second.metaData;
}

QHash<QString, QStringList> HalManager::pluginConfigKeys() const
{
    QHash<QString, QStringList> keys;
    for (const auto &[name, entry] : d->plugins) {
        QStringList list;
        const QJsonArray declared = entry.metaData.value(QStringLiteral("configKeys")).toArray();
        for (const QJsonValue &key : declared) {
            if (key.isString())
                list << key.toString();
        }
        keys.insert(name, list);
    }
    return keys;
}

QStringList HalManager::loadErrors() const
{
    return d->loadErrors;
}

QString HalManager::checkDevice(const DeviceConfig &config)
{
    if (config.id.isEmpty())
        return QStringLiteral("a device has no id");
    const auto it = d->plugins.find(config.plugin);
    if (it == d->plugins.end()) {
        const QString known = pluginNames().join(QStringLiteral(", "));
        if (known.isEmpty()) {
            // A binary copied without its plugins: say where they were looked for.
            return QStringLiteral("device \"%1\": unknown plugin \"%2\": no device plugins "
                                  "found in %3 (set HALHUB_PLUGIN_PATH to their directory)")
                    .arg(config.id, config.plugin,
                         d->searchedDirs.isEmpty() ? QStringLiteral("no directory")
                                                   : d->searchedDirs.join(QStringLiteral(", ")));
        }
        return QStringLiteral("device \"%1\": unknown plugin \"%2\" (available: %3)")
                .arg(config.id, config.plugin, known);
    }
    QString error;
    DevicePlugin *plugin = d->loadPlugin(it->second, &error);
    if (!plugin)
        return QStringLiteral("device \"%1\": %2").arg(config.id, error);
    error = plugin->checkConfig(normalisedSettings(config));
    if (!error.isEmpty())
        return QStringLiteral("device \"%1\": %2").arg(config.id, error);
    return {};
}

bool HalManager::applyDevices(const QList<DeviceConfig> &devices, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };

    QSet<QString> ids;
    for (const DeviceConfig &config : devices) {
        if (ids.contains(config.id))
            return fail(QStringLiteral("device \"%1\": duplicate id").arg(config.id));
        ids.insert(config.id);
        const QString problem = checkDevice(config);
        if (!problem.isEmpty())
            return fail(problem);
    }

    // Make every new device before touching the current ones, so that a
    // plugin failing to make one leaves everything as it was.
    QList<std::shared_ptr<DeviceEntry>> added;
    for (const DeviceConfig &config : devices) {
        const QVariantMap settings = normalisedSettings(config);
        const auto current = d->devices.constFind(config.id);
        if (current != d->devices.constEnd() && (*current)->settings == settings)
            continue;
        DevicePlugin *plugin = d->plugins.at(config.plugin).plugin;
        Device *device = plugin->createDevice(settings);
        if (!device) {
            for (const auto &entry : std::as_const(added))
                delete entry->device.data();
            return fail(QStringLiteral("device \"%1\": plugin \"%2\" made no device")
                                .arg(config.id, config.plugin));
        }
        // Parented, so that devices still waiting for deletion go with the manager.
        device->setParent(this);
        auto entry = std::make_shared<DeviceEntry>();
        entry->id = config.id;
        entry->settings = settings;
        entry->device = device;
        added << entry;
    }

    const QStringList currentIds = d->order;
    for (const QString &id : currentIds) {
        const bool kept = ids.contains(id)
                && std::none_of(added.cbegin(), added.cend(),
                                [&id](const auto &entry) { return entry->id == id; });
        if (!kept)
            d->removeDevice(id, true);
    }

    for (const auto &entry : std::as_const(added)) {
        d->devices.insert(entry->id, entry);
        d->connectDevice(entry);
    }
    d->order.clear();
    for (const DeviceConfig &config : devices)
        d->order << config.id;

    for (const auto &entry : std::as_const(added)) {
        // A handler of deviceAdded may have reloaded the devices again.
        if (!entry->device || d->devices.value(entry->id) != entry)
            continue;
        Q_EMIT deviceAdded(entry->device->info());
        if (entry->device)
            entry->device->open();
    }
    return true;
}

void HalManager::shutdown()
{
    const QStringList ids = d->order;
    for (auto it = ids.crbegin(); it != ids.crend(); ++it)
        d->removeDevice(*it, false);
}

QList<DeviceInfo> HalManager::devices() const
{
    QList<DeviceInfo> infos;
    infos.reserve(d->order.size());
    for (const QString &id : std::as_const(d->order)) {
        const auto entry = d->devices.value(id);
        if (entry && entry->device)
            infos << entry->device->info();
    }
    return infos;
}

std::optional<DeviceInfo> HalManager::device(const QString &id) const
{
    const auto entry = d->devices.value(id);
    if (!entry || !entry->device)
        return std::nullopt;
    return entry->device->info();
}

void HalManager::startCommand(const QString &device, quint64 ticket, const QString &command,
                              const QVariantMap &params)
{
    const auto entry = d->devices.value(device);
    Device *target = entry ? entry->device.data() : nullptr;
    if (!target || target->state() != DeviceState::Connected) {
        const CommandOutcome outcome =
                unavailable(device, target ? QStringLiteral("is not connected")
                                           : QStringLiteral("does not exist"));
        QMetaObject::invokeMethod(this, [this, ticket, outcome]() {
            Q_EMIT commandFinished(ticket, outcome);
        }, Qt::QueuedConnection);
        return;
    }
    entry->runningTickets.insert(ticket);
    entry->inStartCommand = true;
    target->startCommand(ticket, command, params);
    entry->inStartCommand = false;
}

void HalManager::abortCommand(const QString &device, quint64 ticket)
{
    const auto entry = d->devices.value(device);
    if (!entry || !entry->runningTickets.remove(ticket))
        return;
    if (entry->device)
        entry->device->abortCommand(ticket);
}

} // namespace halhub
