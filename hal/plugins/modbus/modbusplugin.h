#pragma once

#include "deviceplugin.h"

#include <QObject>

namespace halhub {

// Makes ModbusDevice instances for `"plugin": "modbus"` entries.
class ModbusPlugin final : public QObject, public DevicePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID HalhubDevicePlugin_iid FILE "modbus.json")
    Q_INTERFACES(halhub::DevicePlugin)
public:
    using QObject::QObject;

    QString checkConfig(const QVariantMap &config) const override;
    Device *createDevice(const QVariantMap &config) override;
};

} // namespace halhub
