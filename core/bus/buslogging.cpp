#include "bus/buslogging.h"

Q_LOGGING_CATEGORY(lcBus, "halhub.bus", QtInfoMsg)
