#pragma once

#include "bus/devicebus.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <memory>

namespace halhub {

class Device;
class DevicePlugin;
struct DeviceConfig;

// The local DeviceBus: finds device plugins (QPluginLoader), makes the
// configured devices, and forwards what they report.
class HalManager : public DeviceBus
{
    Q_OBJECT
public:
    explicit HalManager(QObject *parent = nullptr);
    ~HalManager() override;

    // Where plugins are looked for: each directory in HALHUB_PLUGIN_PATH
    // (':'-separated), then <application dir>/plugins, then
    // <application dir>/../lib/halhub/plugins.
    static QStringList defaultPluginDirs();

    // Scans directories for plugins with our IID; reads metadata only.
    // Returns the number found. Problems go to loadErrors().
    int discoverPlugins(const QStringList &dirs = defaultPluginDirs());
    QStringList pluginNames() const;
    // The "MetaData" object of a found plugin's JSON; empty when unknown.
    QJsonObject pluginMetaData(const QString &name) const;
    // Every found plugin with the "configKeys" of its metadata: what
    // loadConfig() needs to refuse a key no plugin would read. An empty list
    // (a plugin that declares none) leaves that plugin's keys unchecked.
    QHash<QString, QStringList> pluginConfigKeys() const;
    QStringList loadErrors() const;

    // Checks an entry with its plugin. Empty: fine.
    QString checkDevice(const DeviceConfig &config);

    // Makes, adds and opens devices; an entry whose id exists is replaced when
    // its settings differ and left alone otherwise; ids not listed are
    // removed. Emits deviceRemoved / deviceAdded. Returns false (and changes
    // nothing) when an entry is invalid, with the reason in *error.
    bool applyDevices(const QList<DeviceConfig> &devices, QString *error);

    // Closes and removes every device.
    void shutdown();

    // DeviceBus
    QList<DeviceInfo> devices() const override;
    std::optional<DeviceInfo> device(const QString &id) const override;
    void startCommand(const QString &device, quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(const QString &device, quint64 ticket) override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace halhub
