#include "server/requesthandler.h"

#include "auth/auditlog.h"
#include "auth/authlogging.h"
#include "auth/scopes.h"
#include "auth/tokenverifier.h"
#include "bus/clock.h"
#include "bus/devicebus.h"
#include "commands/commandrouter.h"
#include "logging.h"
#include "net/clientconnection.h"
#include "protocol/fields.h"
#include "protocol/value.h"
#include "session/session.h"
#include "session/sessionmanager.h"
#include "telemetry/streamspec.h"

#include <QDateTime>
#include <QSet>

namespace halhub {

RequestHandler::RequestHandler(const Config &config, DeviceBus *bus, CommandRouter *router,
                               SessionManager *sessions, std::function<QVariantMap()> metrics,
                               QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_bus(bus)
    , m_router(router)
    , m_sessions(sessions)
    , m_metrics(std::move(metrics))
{
    connect(m_router, &CommandRouter::resultReady, this, &RequestHandler::onResult);
}

void RequestHandler::setSecurity(const TokenVerifier *verifier, AuditLog *audit)
{
    m_verifier = verifier;
    m_audit = audit;
}

bool RequestHandler::authorize(RequestContext &context, const QVariantMap &message,
                               const QString &type, const QVariant &id)
{
    if (!m_verifier || type == QLatin1String("hello") || type == QLatin1String("ping"))
        return true;
    const ClientConnection *connection = context.connection;
    if (!connection->isAuthenticated()) {
        const QString why = connection->subject().isEmpty()
            ? QStringLiteral("authentication required: send a valid token (hello with token)")
            : QStringLiteral("token expired: renew it with hello");
        refuseAccess(context, QStringLiteral("unauthorized"), why, type, message, id);
        return false;
    }
    if (!connection->scopes().allowsType(type)) {
        refuseAccess(context, QStringLiteral("forbidden"),
                     QStringLiteral("'%1' needs scope %2").arg(type, Scopes::requiredFor(type)),
                     type, message, id);
        return false;
    }
    return true;
}

void RequestHandler::refuseAccess(RequestContext &context, const QString &code,
                                  const QString &why, const QString &type,
                                  const QVariantMap &message, const QVariant &id)
{
    const ClientConnection *connection = context.connection;
    qCWarning(lcAuth).noquote() << "refused" << type << "from" << connection->peerAddress().toString()
                                << "user" << (connection->subject().isEmpty()
                                                  ? QStringLiteral("(none)")
                                                  : connection->subject())
                                << "on connection" << connection->id() << "with" << code + QLatin1Char(':')
                                << why;
    if (type == QLatin1String("command"))
        auditCommand(context, message, code, why);
    error(context, code, why, id);
}

void RequestHandler::auditCommand(const RequestContext &context, const QVariantMap &message,
                                  const QString &status, const QString &error,
                                  const QString &commandId)
{
    QVariantMap record;
    record.insert(QStringLiteral("user"), context.connection->subject());
    record.insert(QStringLiteral("address"),
                  QStringLiteral("%1:%2").arg(context.connection->peerAddress().toString())
                      .arg(context.connection->peerPort()));
    // A command refused before the connection had a session names none.
    record.insert(QStringLiteral("session"), context.session ? context.session->id() : QString());
    for (const QLatin1String key : {QLatin1String("id"), QLatin1String("device"),
                                    QLatin1String("command"), QLatin1String("params")}) {
        const QVariant v = message.value(key);
        if (v.isValid())
            record.insert(key == QLatin1String("id") ? QStringLiteral("request_id") : QString(key), v);
    }
    if (!commandId.isEmpty())
        record.insert(QStringLiteral("command_id"), commandId);
    if (status.isEmpty()) {
        // Accepted: the record is completed and written with the result.
        m_pending.insert(commandId, {record, message.value(QStringLiteral("device")).toString(),
                                     context.session->id()});
        return;
    }
    record.insert(QStringLiteral("status"), status);
    if (!error.isEmpty())
        record.insert(QStringLiteral("error"), error);
    record.insert(QStringLiteral("duration_ms"), qlonglong(0));
    if (m_audit)
        m_audit->record(record);
}

void RequestHandler::onResult(const CommandResult &result, const QList<CommandWaiter> &)
{
    const auto it = m_pending.find(result.commandId);
    if (it == m_pending.end())
        return;
    QVariantMap record = it->audit;
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

Session *RequestHandler::ensureSession(RequestContext &context)
{
    if (!context.session) {
        context.session = m_sessions->create(context.connection->subject());
        context.session->attach(context.connection);
    }
    return context.session;
}

void RequestHandler::handle(RequestContext &context, const QVariantMap &message,
                            const QString &type, const QVariant &id)
{
    if (!authorize(context, message, type, id))
        return;
    if (type == QLatin1String("hello"))
        hello(context, message, id);
    else if (type == QLatin1String("ping"))
        ping(context, message, id);
    else if (type == QLatin1String("list_devices"))
        listDevices(context, id);
    else if (type == QLatin1String("subscribe"))
        subscribe(context, message, id);
    else if (type == QLatin1String("unsubscribe"))
        unsubscribe(context, message, id);
    else if (type == QLatin1String("command"))
        command(context, message, id);
    else if (type == QLatin1String("cancel"))
        cancel(context, message, id);
    else if (type == QLatin1String("get_metrics"))
        getMetrics(context, id);
    else
        error(context, QStringLiteral("unknown_type"),
              QStringLiteral("unknown message type '%1'").arg(type), id);
}

void RequestHandler::reply(RequestContext &context, QVariantMap message, const QVariant &id)
{
    if (id.isValid())
        message.insert(QStringLiteral("id"), id);
    context.connection->sendMessage(message);
}

void RequestHandler::error(RequestContext &context, const QString &code, const QString &message,
                           const QVariant &id)
{
    context.connection->sendError(code, message, id);
}

QVariantMap RequestHandler::welcome(const RequestContext &context, bool resumed) const
{
    QVariantMap limits;
    limits.insert(QStringLiteral("rate_limit_per_min"), qlonglong(m_config.limits.rateLimitPerMin));
    limits.insert(QStringLiteral("max_rate_hz"), m_config.limits.maxRateHz);
    limits.insert(QStringLiteral("max_streams"), qlonglong(m_config.limits.maxStreams));
    limits.insert(QStringLiteral("max_message_bytes"), qlonglong(m_config.limits.maxMessageBytes));

    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("welcome"));
    m.insert(QStringLiteral("session"), context.session->id());
    m.insert(QStringLiteral("resumed"), resumed);
    m.insert(QStringLiteral("server"), QStringLiteral("halhub/" HALHUB_VERSION));
    m.insert(QStringLiteral("protocol"), qlonglong(1));
    m.insert(QStringLiteral("encoding"), context.connection->encoding() == Encoding::MsgPack
                                             ? QStringLiteral("msgpack")
                                             : QStringLiteral("json"));
    m.insert(QStringLiteral("compression"), context.connection->compression());
    m.insert(QStringLiteral("heartbeat_ms"), qlonglong(m_config.server.heartbeatMs));
    m.insert(QStringLiteral("limits"), limits);
    if (resumed)
        m.insert(QStringLiteral("streams"), context.session->describeStreams());
    return m;
}

void RequestHandler::hello(RequestContext &context, const QVariantMap &message, const QVariant &id)
{
    FieldReader f(message);
    const auto token = f.string(QStringLiteral("token"), false);
    const auto encoding = f.choice(QStringLiteral("encoding"), false,
                                   {QStringLiteral("json"), QStringLiteral("msgpack")});
    const auto compression = f.boolean(QStringLiteral("compression"), false);
    const auto resume = f.string(QStringLiteral("resume"), false);
    const auto lastSeqMap = f.map(QStringLiteral("last_seq"), false);
    const auto resultsSeenList = f.list(QStringLiteral("results_seen"), false);
    const auto client = f.string(QStringLiteral("client"), false);

    QHash<QString, quint64> lastSeq;
    if (lastSeqMap) {
        for (auto it = lastSeqMap->cbegin(); it != lastSeqMap->cend(); ++it) {
            qint64 seq = -1;
            if (!value::isInteger(*it) || !value::toInt64(*it, &seq) || seq < 0) {
                f.fail(QStringLiteral("last_seq.%1 must be a non-negative integer").arg(it.key()));
                break;
            }
            lastSeq.insert(it.key(), quint64(seq));
        }
    }
    QSet<QString> resultsSeen;
    if (resultsSeenList) {
        for (const QVariant &v : *resultsSeenList) {
            if (!value::isString(v)) {
                f.fail(QStringLiteral("results_seen must be a list of command_id strings"));
                break;
            }
            resultsSeen.insert(v.toString());
        }
    }
    if (resume && context.issuedRequests)
        f.fail(QStringLiteral("resume must come before any subscribe or command on a connection"));
    if (!f.ok()) {
        error(context, QStringLiteral("invalid_params"), f.error(), id);
        return;
    }

    // Without auth.required tokens are ignored. A refused token changes
    // nothing, not even the encoding asked for in the same hello.
    std::optional<TokenClaims> claims;
    if (m_verifier && token) {
        const TokenCheck check = m_verifier->verify(token->toUtf8());
        const QString current = context.connection->subject();
        if (!check.ok) {
            refuseAccess(context, QStringLiteral("unauthorized"),
                         QStringLiteral("invalid token: %1").arg(check.error),
                         QStringLiteral("hello"), message, id);
            return;
        }
        if (!current.isEmpty() && current != check.claims.subject) {
            refuseAccess(context, QStringLiteral("forbidden"),
                         QStringLiteral("this connection belongs to '%1'; a token for '%2' "
                                        "needs a new connection")
                             .arg(current, check.claims.subject),
                         QStringLiteral("hello"), message, id);
            return;
        }
        claims = check.claims;
    }
    if (claims) {
        if (context.connection->subject().isEmpty()) {
            qCInfo(lcAuth).noquote() << "connection" << context.connection->id() << "from"
                                     << context.connection->peerAddress().toString()
                                     << "authenticated as" << claims->subject;
        }
        context.connection->authenticate(*claims);
        if (context.session && context.session->principal().isEmpty())
            context.session->setPrincipal(claims->subject);
    }

    // The welcome already speaks the encoding it announces.
    const Encoding newEncoding = encoding ? (*encoding == QLatin1String("msgpack")
                                                 ? Encoding::MsgPack
                                                 : Encoding::Json)
                                          : context.connection->encoding();
    context.connection->setEncoding(newEncoding,
                                    compression.value_or(context.connection->compression()));
    if (client)
        context.client = *client;

    bool resumed = false;
    if (resume) {
        // A session takes its connection's user when it is made, so before
        // there is one the connection's user is the session's to be.
        const QString principal = context.session ? context.session->principal()
                                                  : context.connection->subject();
        Session *target = m_sessions->find(*resume);
        const bool valid = target && target->principal() == principal
            && (target->isAttached() || target->detachedForMs() <= m_sessions->graceMs());
        if (valid) {
            resumed = true;
            if (target != context.session) {
                ClientConnection *previous = target->connection();
                target->detach();
                if (previous && previous != context.connection)
                    Q_EMIT sessionTakenOver(previous);
                // The session this connection leaves waits out its grace.
                if (context.session)
                    context.session->detach();
                context.session = target;
                target->attach(context.connection);
            }
            qCInfo(lcSession) << "session" << target->id() << "resumed by connection"
                              << context.connection->id();
        }
    }
    // The welcome names the session: the first hello makes it.
    ensureSession(context);
    reply(context, welcome(context, resumed), id);
    if (resumed)
        context.session->replay(lastSeq, resultsSeen);
}

void RequestHandler::ping(RequestContext &context, const QVariantMap &message, const QVariant &id)
{
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("pong"));
    const QVariant t = message.value(QStringLiteral("t"));
    if (!value::isNull(t))
        m.insert(QStringLiteral("t"), t);
    m.insert(QStringLiteral("server_time"), qlonglong(wallClockUs()));
    reply(context, m, id);
}

QVariantMap RequestHandler::describeDevice(const DeviceInfo &info)
{
    QVariantList channels;
    for (const ChannelInfo &c : info.channels) {
        QVariantMap ch;
        ch.insert(QStringLiteral("name"), c.name);
        if (!c.unit.isEmpty())
            ch.insert(QStringLiteral("unit"), c.unit);
        ch.insert(QStringLiteral("type"), channelTypeName(c.type));
        channels.append(ch);
    }
    QVariantList commands;
    for (const CommandSpec &c : info.commands) {
        QVariantMap cmd;
        cmd.insert(QStringLiteral("name"), c.name);
        if (!c.params.isEmpty()) {
            QVariantMap params;
            for (const ParamSpec &p : c.params)
                params.insert(p.name, paramTypeName(p.type));
            cmd.insert(QStringLiteral("params"), params);
        }
        if (!c.description.isEmpty())
            cmd.insert(QStringLiteral("description"), c.description);
        commands.append(cmd);
    }
    QVariantMap m;
    m.insert(QStringLiteral("id"), info.id);
    m.insert(QStringLiteral("plugin"), info.plugin);
    m.insert(QStringLiteral("name"), info.name.isEmpty() ? info.id : info.name);
    m.insert(QStringLiteral("state"), deviceStateName(info.state));
    if (!info.port.isEmpty())
        m.insert(QStringLiteral("port"), info.port);
    m.insert(QStringLiteral("rate_hz"), info.rateHz ? QVariant(*info.rateHz) : value::null());
    m.insert(QStringLiteral("channels"), channels);
    m.insert(QStringLiteral("commands"), commands);
    return m;
}

void RequestHandler::listDevices(RequestContext &context, const QVariant &id)
{
    QVariantList list;
    const QList<DeviceInfo> devices = m_bus->devices();
    for (const DeviceInfo &info : devices)
        list.append(describeDevice(info));
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("devices"));
    m.insert(QStringLiteral("devices"), list);
    reply(context, m, id);
}

void RequestHandler::subscribe(RequestContext &context, const QVariantMap &message,
                               const QVariant &id)
{
    context.issuedRequests = true;
    FieldReader f(message);
    const auto device = f.string(QStringLiteral("device"), true);
    if (!f.ok()) {
        error(context, QStringLiteral("invalid_params"), f.error(), id);
        return;
    }
    const std::optional<DeviceInfo> info = m_bus->device(*device);
    if (!info) {
        error(context, QStringLiteral("unknown_device"),
              QStringLiteral("no device '%1'").arg(*device), id);
        return;
    }
    QString why;
    const std::optional<StreamSpec> spec =
        parseStreamSpec(message, *info, m_config.limits.maxRateHz, &why);
    if (!spec) {
        error(context, QStringLiteral("invalid_params"), why, id);
        return;
    }
    Session *session = ensureSession(context);
    if (session->streamCount() >= m_config.limits.maxStreams) {
        error(context, QStringLiteral("too_many_streams"),
              QStringLiteral("a session may have at most %1 streams")
                  .arg(m_config.limits.maxStreams),
              id);
        return;
    }
    std::optional<double> requested;
    const QVariant rate = message.value(QStringLiteral("rate_hz"));
    if (value::isNumber(rate))
        requested = rate.toDouble();
    const QString streamId = m_sessions->nextStreamId();
    session->addStream(streamId, *spec, *info, requested);
    QVariantMap m = session->describeStream(streamId);
    m.insert(QStringLiteral("type"), QStringLiteral("subscribed"));
    reply(context, m, id);
}

void RequestHandler::unsubscribe(RequestContext &context, const QVariantMap &message,
                                 const QVariant &id)
{
    FieldReader f(message);
    const auto stream = f.string(QStringLiteral("stream"), true);
    if (!f.ok()) {
        error(context, QStringLiteral("invalid_params"), f.error(), id);
        return;
    }
    // Without a session there is no stream to remove, and none is made.
    if (!context.session || !context.session->removeStream(*stream)) {
        error(context, QStringLiteral("unknown_stream"),
              QStringLiteral("no stream '%1' in this session").arg(*stream), id);
        return;
    }
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("unsubscribed"));
    m.insert(QStringLiteral("stream"), *stream);
    reply(context, m, id);
}

void RequestHandler::command(RequestContext &context, const QVariantMap &message,
                             const QVariant &id)
{
    context.issuedRequests = true;
    // Every command's audit record names its session.
    Session *session = ensureSession(context);
    FieldReader f(message);
    CommandRequest request;
    request.device = f.string(QStringLiteral("device"), true).value_or(QString());
    request.command = f.string(QStringLiteral("command"), true).value_or(QString());
    request.params = f.map(QStringLiteral("params"), false).value_or(QVariantMap());
    request.timeoutMs = int(f.integer(QStringLiteral("timeout_ms"), false, 1, 60000).value_or(1000));
    request.retries = int(f.integer(QStringLiteral("retries"), false, 0, 5).value_or(0));
    request.key = f.string(QStringLiteral("key"), false, 1, 64).value_or(QString());
    if (!f.ok()) {
        auditCommand(context, message, QStringLiteral("invalid_params"), f.error());
        error(context, QStringLiteral("invalid_params"), f.error(), id);
        return;
    }
    if (!context.connection->scopes().canWriteDevice(request.device)) {
        refuseAccess(context, QStringLiteral("forbidden"),
                     QStringLiteral("a command on '%1' needs scope %2")
                         .arg(request.device,
                              Scopes::requiredFor(QStringLiteral("command"), request.device)),
                     QStringLiteral("command"), message, id);
        return;
    }
    const QString principal = session->principal();
    request.principal = principal.isEmpty() ? session->id() : principal;
    request.waiter = {session->id(), id};

    const CommandRouter::Submission submission = m_router->submit(request);
    if (submission.outcome == CommandRouter::Submission::Outcome::Refused) {
        auditCommand(context, message, submission.errorCode, submission.errorMessage);
        error(context, submission.errorCode, submission.errorMessage, id);
        return;
    }
    if (submission.outcome == CommandRouter::Submission::Outcome::Duplicate) {
        auditCommand(context, message, QStringLiteral("duplicate"),
                     QStringLiteral("idempotency key seen before"), submission.commandId);
    } else {
        auditCommand(context, message, QString(), QString(), submission.commandId);
    }
    QVariantMap ack;
    ack.insert(QStringLiteral("type"), QStringLiteral("ack"));
    ack.insert(QStringLiteral("command_id"), submission.commandId);
    reply(context, ack, id);
    if (submission.finished)
        session->deliverResult(*submission.finished, id);
}

void RequestHandler::cancel(RequestContext &context, const QVariantMap &message, const QVariant &id)
{
    FieldReader f(message);
    const auto commandId = f.string(QStringLiteral("command_id"), true);
    if (!f.ok()) {
        error(context, QStringLiteral("invalid_params"), f.error(), id);
        return;
    }
    // A connection without a session has no command to cancel.
    if (!context.session) {
        error(context, QStringLiteral("not_found"),
              QStringLiteral("no waiting command '%1' in this session").arg(*commandId), id);
        return;
    }
    const Scopes &scopes = context.connection->scopes();
    if (!scopes.canWriteAnyDevice()) {
        // Only the caller's own commands are looked at: another session's
        // command is not_found, as without auth.
        const auto it = m_pending.constFind(*commandId);
        if (it != m_pending.cend() && it->session == context.session->id()
            && !scopes.canWriteDevice(it->device)) {
            refuseAccess(context, QStringLiteral("forbidden"),
                         QStringLiteral("cancelling a command on '%1' needs scope %2")
                             .arg(it->device,
                                  Scopes::requiredFor(QStringLiteral("cancel"), it->device)),
                         QStringLiteral("cancel"), message, id);
            return;
        }
    }
    if (!m_router->cancel(*commandId, context.session->id())) {
        error(context, QStringLiteral("not_found"),
              QStringLiteral("no waiting command '%1' in this session").arg(*commandId), id);
        return;
    }
    QVariantMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("cancelled"));
    m.insert(QStringLiteral("command_id"), *commandId);
    reply(context, m, id);
}

void RequestHandler::getMetrics(RequestContext &context, const QVariant &id)
{
    QVariantMap m = m_metrics();
    m.insert(QStringLiteral("type"), QStringLiteral("metrics"));
    reply(context, m, id);
}

} // namespace halhub
