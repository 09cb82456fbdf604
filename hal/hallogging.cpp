#include "hallogging.h"

Q_LOGGING_CATEGORY(lcHal, "halhub.hal", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSerial, "halhub.hal.serial", QtInfoMsg)
