#pragma once

#include <QLoggingCategory>

namespace halhub {
Q_DECLARE_LOGGING_CATEGORY(lcCluster)
}
