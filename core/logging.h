#pragma once

#include <QLoggingCategory>

// One category per component of core, all declared here and defined once in
// logging.cpp, all showing info and above by default (warnings for what an
// operator must act on, info for what happens once per connection, device or
// start, debug for what happens per message or retry).
// QT_LOGGING_RULES="halhub.*.debug=true" turns the debug output on.
Q_DECLARE_LOGGING_CATEGORY(lcNet)        // halhub.net: listener, connections, I/O threads
Q_DECLARE_LOGGING_CATEGORY(lcSession)    // halhub.session: sessions, resume
Q_DECLARE_LOGGING_CATEGORY(lcTelemetry)  // halhub.telemetry: streams
Q_DECLARE_LOGGING_CATEGORY(lcCommands)   // halhub.commands: the router
Q_DECLARE_LOGGING_CATEGORY(lcMetrics)    // halhub.metrics: the metrics listener
Q_DECLARE_LOGGING_CATEGORY(lcConfig)     // halhub.config: the config file
Q_DECLARE_LOGGING_CATEGORY(lcAuth)       // halhub.auth: tokens, refusals, the audit log
