#pragma once

#include <QLoggingCategory>

// halhub.hal.serial: opening, losing and reopening serial lines, and the
// bad data the instruments send. Defined once, in serialline.cpp.
Q_DECLARE_LOGGING_CATEGORY(lcSerial)
