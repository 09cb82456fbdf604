#include "hub/commanddesk.h"

#include "auth/auditlog.h"

namespace halhub {

CommandDesk::CommandDesk(CommandRouter *router, AuditLog *audit, QObject *parent)
    : QObject(parent)
    , m_router(router)
    , m_audit(audit)
{
    connect(m_router, &CommandRouter::resultReady, this, &CommandDesk::onResult);
}

CommandDesk::~CommandDesk() = default;

QVariantMap CommandDesk::baseRecord(const CommandOrigin &origin) const
{
    QVariantMap record;
    record.insert(QStringLiteral("user"), origin.user);
    record.insert(QStringLiteral("address"), origin.address);
    record.insert(QStringLiteral("session"), origin.session);
    if (origin.session.isEmpty() && !origin.connection.isEmpty())
        record.insert(QStringLiteral("connection"), origin.connection);
    return record;
}

void CommandDesk::recordRefusal(const CommandOrigin &origin, const QVariantMap &fields,
                                const QString &status, const QString &error)
{
    QVariantMap record = baseRecord(origin);
    for (auto it = fields.cbegin(); it != fields.cend(); ++it) {
        if (it->isValid())
            record.insert(it.key(), it.value());
    }
    record.insert(QStringLiteral("status"), status);
    if (!error.isEmpty())
        record.insert(QStringLiteral("error"), error);
    record.insert(QStringLiteral("duration_ms"), qlonglong(0));
    if (m_audit)
        m_audit->record(record);
}

CommandRouter::Submission CommandDesk::submit(const CommandRequest &request,
                                              const CommandOrigin &origin)
{
    QVariantMap fields;
    if (request.waiter.requestId.isValid())
        fields.insert(QStringLiteral("request_id"), request.waiter.requestId);
    fields.insert(QStringLiteral("device"), request.device);
    fields.insert(QStringLiteral("command"), request.command);
    if (!request.params.isEmpty())
        fields.insert(QStringLiteral("params"), request.params);

    const CommandRouter::Submission submission = m_router->submit(request);
    using Outcome = CommandRouter::Submission::Outcome;
    if (submission.outcome == Outcome::Refused) {
        recordRefusal(origin, fields, submission.errorCode, submission.errorMessage);
        return submission;
    }
    fields.insert(QStringLiteral("command_id"), submission.commandId);
    if (submission.outcome == Outcome::Duplicate) {
        recordRefusal(origin, fields, QStringLiteral("duplicate"),
                      QStringLiteral("idempotency key seen before"));
        return submission;
    }
    // Accepted: the record is completed and written with the result.
    QVariantMap record = baseRecord(origin);
    for (auto it = fields.cbegin(); it != fields.cend(); ++it)
        record.insert(it.key(), it.value());
    m_pending.insert(submission.commandId, {record, request.device, origin.session});
    return submission;
}

bool CommandDesk::cancel(const QString &commandId, const QString &session)
{
    return m_router->cancel(commandId, session);
}

QString CommandDesk::pendingDevice(const QString &commandId, const QString &session) const
{
    const auto it = m_pending.constFind(commandId);
    if (it == m_pending.cend() || it->session != session)
        return {};
    return it->device;
}

void CommandDesk::onResult(const CommandResult &result, const QList<CommandWaiter> &waiters)
{
    const auto it = m_pending.find(result.commandId);
    if (it != m_pending.end()) {
        QVariantMap record = it->record;
        m_pending.erase(it);
        record.insert(QStringLiteral("status"), commandStatusName(result.status));
        if (!result.errorCode.isEmpty()) {
            record.insert(QStringLiteral("error"),
                          QStringLiteral("%1: %2").arg(result.errorCode, result.errorMessage));
        }
        record.insert(QStringLiteral("attempts"), qlonglong(result.attempts));
        record.insert(QStringLiteral("duration_ms"), qlonglong(result.durationMs));
        if (m_audit)
            m_audit->record(record);
    }
    Q_EMIT resultReady(result, waiters);
}

} // namespace halhub
