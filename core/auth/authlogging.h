#pragma once

#include <QLoggingCategory>

// halhub.auth: token refusals, scope refusals, the audit log's own failures.
Q_DECLARE_LOGGING_CATEGORY(lcAuth)
