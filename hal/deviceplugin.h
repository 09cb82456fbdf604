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

#define HalhubDevicePlugin_iid "org.halhub.DevicePlugin/1"
Q_DECLARE_INTERFACE(halhub::DevicePlugin, HalhubDevicePlugin_iid)
