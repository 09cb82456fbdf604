#pragma once

#include "deviceplugin.h"

#include <QObject>

namespace halhub {

// Makes ScpiDevice instances for `"plugin": "scpi"` entries.
class ScpiPlugin final : public QObject, public DevicePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID HalhubDevicePlugin_iid FILE "scpi.json")
    Q_INTERFACES(halhub::DevicePlugin)
public:
    using QObject::QObject;

    QString checkConfig(const QVariantMap &config) const override;
    Device *createDevice(const QVariantMap &config) override;
};

} // namespace halhub
