#include "cluster/clusterlogging.h"

namespace halhub {
Q_LOGGING_CATEGORY(lcCluster, "halhub.cluster", QtInfoMsg)
}
