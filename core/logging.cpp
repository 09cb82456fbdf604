#include "logging.h"

Q_LOGGING_CATEGORY(lcNet, "halhub.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "halhub.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcTelemetry, "halhub.telemetry", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCommands, "halhub.commands", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMetrics, "halhub.metrics", QtInfoMsg)
Q_LOGGING_CATEGORY(lcConfig, "halhub.config", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "halhub.auth", QtInfoMsg)
