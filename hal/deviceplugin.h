#pragma once

#include <QString>
#include <QVariantMap>
#include <QtPlugin>

namespace halhub {

class Device;

// A device plugin: a Qt plugin that makes devices of one kind.
// Its JSON metadata (Q_PLUGIN_METADATA FILE) holds at least
//   {"plugin": "<name used in config>", "description": "...",
//    "configKeys": ["rate_hz", ...]}
// so the HAL picks the plugin for a config entry before loading its code.
class DevicePlugin
{
public:
    virtual ~DevicePlugin() = default;

    // Checks a config entry (the whole `devices` item). Returns an empty
    // string when fine, else what is wrong, naming the key.
    virtual QString checkConfig(const QVariantMap &config) const = 0;

    // Makes a device for a checked config entry; the caller owns it.
    virtual Device *createDevice(const QVariantMap &config) = 0;
};

} // namespace halhub

// The version changes whenever a plugin built against an older DevicePlugin
// or Device would no longer work; the HAL refuses such a plugin by name.
// 2: Device holds the config entry's id and name.
// 3: Device keeps why it cannot connect; DeviceInfo carries it and param units.
#define HalhubDevicePlugin_iid "org.halhub.DevicePlugin/3"
Q_DECLARE_INTERFACE(halhub::DevicePlugin, HalhubDevicePlugin_iid)
