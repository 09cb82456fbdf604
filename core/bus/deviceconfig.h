#pragma once

#include <QString>
#include <QVariantMap>

namespace halhub {

// One `devices` entry of the configuration, kept as parsed JSON: the bus
// that owns the device (its plugin) reads its own keys.
struct DeviceConfig
{
    QString id;
    QString plugin;
    QVariantMap settings;          // the whole entry, id and plugin included
};

} // namespace halhub
