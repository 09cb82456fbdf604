#pragma once

#include <QLoggingCategory>

// The categories of the HAL and its plugins, declared here and defined once
// in hallogging.cpp, showing info and above by default (as core's).
Q_DECLARE_LOGGING_CATEGORY(lcHal)       // halhub.hal: plugins found and refused, devices made
Q_DECLARE_LOGGING_CATEGORY(lcSerial)    // halhub.hal.serial: opening, losing and reopening
                                        // serial lines, and the bad data instruments send
