#pragma once

#include "deviceplugin.h"

#include <QObject>

namespace halhub {

// Makes ReplayDevice instances for `"plugin": "replay"` config entries.
class ReplayPlugin final : public QObject, public DevicePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID HalhubDevicePlugin_iid FILE "replay.json")
    Q_INTERFACES(halhub::DevicePlugin)
public:
    using QObject::QObject;

    QString checkConfig(const QVariantMap &config) const override;
    Device *createDevice(const QVariantMap &config) override;
};

} // namespace halhub
