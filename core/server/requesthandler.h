#pragma once

#include "config/config.h"

#include <QObject>
#include <QVariant>
#include <QVariantMap>

#include <functional>

namespace halhub {

class ClientConnection;
class CommandRouter;
class DeviceBus;
class Session;
class SessionManager;

// The connection a request came from, and the session it speaks for. A
// resume may switch the session.
struct RequestContext
{
    ClientConnection *connection = nullptr;
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

    QVariantMap welcome(const RequestContext &context, bool resumed) const;
    void reply(RequestContext &context, QVariantMap message, const QVariant &id);
    void error(RequestContext &context, const QString &code, const QString &message,
               const QVariant &id);

    Config m_config;
    DeviceBus *m_bus = nullptr;
    CommandRouter *m_router = nullptr;
    SessionManager *m_sessions = nullptr;
    std::function<QVariantMap()> m_metrics;
};

} // namespace halhub
