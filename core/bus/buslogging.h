#pragma once

#include <QLoggingCategory>

// halhub.bus: devices claimed and refused by the composite bus.
Q_DECLARE_LOGGING_CATEGORY(lcBus)
