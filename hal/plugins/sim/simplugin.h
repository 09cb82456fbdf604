#pragma once

#include "deviceplugin.h"

#include <QObject>

namespace halhub {

// Makes SimDevice instances for `"plugin": "sim"` config entries.
class SimPlugin final : public QObject, public DevicePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID HalhubDevicePlugin_iid FILE "sim.json")
    Q_INTERFACES(halhub::DevicePlugin)
public:
    using QObject::QObject;

    QString checkConfig(const QVariantMap &config) const override;
    Device *createDevice(const QVariantMap &config) override;
};

} // namespace halhub
