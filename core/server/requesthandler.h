#pragma once

#include "config/config.h"

#include <QHash>
#include <QObject>
#include <QVariant>
#include <QVariantMap>

#include <functional>

namespace halhub {

class AuditLog;
class ClientConnection;
class CommandRouter;
class TokenVerifier;
struct CommandResult;
struct CommandWaiter;
class DeviceBus;
class Session;
class SessionManager;

// The connection a request came from, and the session it speaks for. A
// resume may switch the session.
struct RequestContext
{
    ClientConnection *connection = nullptr;
    // Null until a request needs one (hello, subscribe, command): idle
    // connections cost no Session. The handler makes it and attaches it.
    Session *session = nullptr;
    QString client;                 // `client` of the last hello
    // The connection sent a subscribe or command: resume is refused from then on.
    bool issuedRequests = false;
};

// The meaning of each client request of PROTOCOL.md section 3: checks its
// fields, acts through the session manager, the command router and the
// DeviceBus, and answers on the connection.
class RequestHandler : public QObject
{
    Q_OBJECT
public:
    RequestHandler(const Config &config, DeviceBus *bus, CommandRouter *router,
                   SessionManager *sessions, std::function<QVariantMap()> metrics,
                   QObject *parent = nullptr);

    // verifier: set when auth.required (null: every request allowed, tokens
    // ignored). audit: where commands are recorded (may be null).
    void setSecurity(const TokenVerifier *verifier, AuditLog *audit);

    void handle(RequestContext &context, const QVariantMap &message, const QString &type,
                const QVariant &id);

    // The `devices` entry of one device.
    static QVariantMap describeDevice(const struct DeviceInfo &info);

Q_SIGNALS:
    // A resume took over a session that another connection still held.
    void sessionTakenOver(halhub::ClientConnection *previous);

private:
    void hello(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void ping(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void listDevices(RequestContext &context, const QVariant &id);
    void subscribe(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void unsubscribe(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void command(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void cancel(RequestContext &context, const QVariantMap &message, const QVariant &id);
    void getMetrics(RequestContext &context, const QVariant &id);

    // Authentication and the scope of the type (PROTOCOL.md 9); on refusal
    // the error is sent and false returned.
    // The context's session, made for its connection (and its user) when
    // it has none yet.
    Session *ensureSession(RequestContext &context);
    bool authorize(RequestContext &context, const QVariantMap &message, const QString &type,
                   const QVariant &id);
    void refuseAccess(RequestContext &context, const QString &code, const QString &why,
                      const QString &type, const QVariantMap &message, const QVariant &id);
    void auditCommand(const RequestContext &context, const QVariantMap &message,
                      const QString &status, const QString &error, const QString &commandId = {});
    void onResult(const CommandResult &result, const QList<CommandWaiter> &waiters);

    QVariantMap welcome(const RequestContext &context, bool resumed) const;
    void reply(RequestContext &context, QVariantMap message, const QVariant &id);
    void error(RequestContext &context, const QString &code, const QString &message,
               const QVariant &id);

    Config m_config;
    DeviceBus *m_bus = nullptr;
    CommandRouter *m_router = nullptr;
    SessionManager *m_sessions = nullptr;
    std::function<QVariantMap()> m_metrics;
    const TokenVerifier *m_verifier = nullptr;
    AuditLog *m_audit = nullptr;

    // Accepted commands until their result: the audit record waiting for its
    // status, and the device a cancel is checked against.
    struct PendingCommand
    {
        QVariantMap audit;
        QString device;
        QString session;
    };
    QHash<QString, PendingCommand> m_pending;
};

} // namespace halhub
