#pragma once

#include "commands/commandrouter.h"

// A command request as a session would submit it (the session is also its
// idempotency scope), for the router's and the command desk's tests.
inline halhub::CommandRequest commandRequest(const QString &device, const QString &command,
                                             const QVariantMap &params, const QString &session,
                                             const QVariant &requestId)
{
    halhub::CommandRequest r;
    r.device = device;
    r.command = command;
    r.params = params;
    r.principal = session;
    r.waiter = {session, requestId};
    return r;
}
