#include "hub/hub.h"

#include "auth/auditlog.h"
#include "bus/devicebus.h"
#include "commands/commandrouter.h"
#include "hub/commanddesk.h"
#include "hub/deviceevents.h"
#include "telemetry/telemetryhub.h"

namespace halhub {

Hub::Hub(DeviceBus *bus, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
{
    m_clock.start();
    m_events = new DeviceEvents(bus, this);
    m_telemetry = new TelemetryHub(bus, this);
    m_router = new CommandRouter(bus, this);
    m_audit = new AuditLog(this);
    m_commands = new CommandDesk(m_router, m_audit, this);
    connect(m_commands, &CommandDesk::resultReady, this, [this](const CommandResult &result) {
        ++m_commandsByStatus[commandStatusName(result.status)];
    });
}

Hub::~Hub() = default;

} // namespace halhub
