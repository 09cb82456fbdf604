#pragma once

#include "commands/commandrouter.h"

#include <QHash>
#include <QObject>

namespace halhub {

class AuditLog;

// Who a command comes from, for its audit record.
struct CommandOrigin
{
    QString user;           // the token's `sub`; empty without authentication
    QString address;        // "ip:port" of a client, or what else sent it ("gui")
    QString session;        // the session it belongs to; empty when it has none
    // What to name when there is no session (a command refused before its
    // connection had one): "connection 12".
    QString connection;
};

// The one door through which commands enter the hub, whoever sends them (a
// client of any front end, the GUI): every command passes the audit trail
// here, refused or accepted, and an accepted one is recorded again with its
// outcome. Queueing, timeouts, retries, cancel and idempotency are the
// router's (CommandRouter).
class CommandDesk : public QObject
{
    Q_OBJECT
public:
    CommandDesk(CommandRouter *router, AuditLog *audit, QObject *parent = nullptr);
    ~CommandDesk() override;

    // Checks and queues the command (CommandRouter::submit) and records it.
    // The request's waiter names who gets the result.
    CommandRouter::Submission submit(const CommandRequest &request, const CommandOrigin &origin);
    // Records a command refused before it reached the router (malformed,
    // not allowed): status is the error code, error its message. fields:
    // what the request said (request_id, device, command, params as sent).
    void recordRefusal(const CommandOrigin &origin, const QVariantMap &fields,
                       const QString &status, const QString &error);

    // Cancels a command of the session that still waits (CommandRouter::cancel).
    bool cancel(const QString &commandId, const QString &session);
    // The device of a command that the session submitted and that has no
    // result yet; empty when there is none.
    QString pendingDevice(const QString &commandId, const QString &session) const;

    AuditLog *auditLog() const { return m_audit; }

Q_SIGNALS:
    // The router's result, after its audit record was written.
    void resultReady(const halhub::CommandResult &result,
                     const QList<halhub::CommandWaiter> &waiters);

private:
    QVariantMap baseRecord(const CommandOrigin &origin) const;
    void onResult(const CommandResult &result, const QList<CommandWaiter> &waiters);

    CommandRouter *m_router = nullptr;
    AuditLog *m_audit = nullptr;

    // Accepted commands until their result: the audit record waiting for
    // its status, and what a cancel is checked against.
    struct Pending
    {
        QVariantMap record;
        QString device;
        QString session;
    };
    QHash<QString, Pending> m_pending;
};

} // namespace halhub
