#include "frontends/halhub/halhubfrontend.h"

#include "auth/auditlog.h"
#include "auth/authenticator.h"
#include "bus/devicebus.h"
#include "bus/value.h"
#include "frontends/halhub/session.h"
#include "frontends/halhub/sessionmanager.h"
#include "hub/commanddesk.h"
#include "hub/deviceevents.h"
#include "hub/hub.h"
#include "logging.h"
#include "net/closecodes.h"
#include "net/connection.h"
#include "protocol/messages.h"
#include "recording/recorder.h"
#include "telemetry/streamspec.h"

namespace halhub {

// One connection's protocol state, kept once for its whole life.
struct HalhubFrontend::Client
{
    Connection *connection = nullptr;
    // Null until a request needs one (hello, subscribe, command): idle
    // connections cost no Session.
    Session *session = nullptr;
    QMetaObject::Connection drained;
    QString name;                   // `client` of the last hello
    // The session was named to the client in a welcome: only then can it
    // be resumed elsewhere, and so outlive the connection's leaving it.
    bool welcomed = false;
    // A subscribe or command was sent: resume is refused from then on.
    bool issuedRequests = false;
    // Closed while one of its requests was being handled: removed after it.
    bool closed = false;
    bool handling = false;
};

HalhubFrontend::HalhubFrontend(const Config &config, Hub *hub, const Authenticator *auth,
                               std::function<QVariantMap()> metrics, QObject *parent)
    : Frontend(parent)
    , m_config(config)
    , m_hub(hub)
    , m_auth(auth)
    , m_metrics(std::move(metrics))
{
    m_sessions = new SessionManager(hub->telemetry(), hub->commands(), &hub->latency(),
                                    [hub] { return hub->clockMs(); },
                                    config.server.resumeGraceMs, this);
    connect(hub->deviceEvents(), &DeviceEvents::deviceEvent, this, &HalhubFrontend::onDeviceEvent);
}

HalhubFrontend::~HalhubFrontend()
{
    // Sessions hold members in the telemetry hub and wait on the router:
    // they go before the hub does, and none keeps a channel it was given.
    for (auto &[id, client] : m_clients) {
        if (client.session)
            client.session->detach();
    }
    delete m_sessions;
}

bool HalhubFrontend::accepts(const QNetworkRequest &) const
{
    return true;
}

void HalhubFrontend::addConnection(Connection *connection)
{
    Client &client = m_clients[connection->id()];
    client.connection = connection;
    connect(connection, &Connection::messageReceived, this,
            [this, id = connection->id()](const QVariantMap &message, const QString &type,
                                          const QVariant &mid) {
                const auto it = m_clients.find(id);
                if (it == m_clients.end() || it->second.closed)
                    return;
                Client &c = it->second;
                c.handling = true;
                handle(c, message, type, mid);
                c.handling = false;
                if (!c.closed)
                    return;
                // Closed meanwhile: a session the request just made or
                // resumed must not stay attached to a connection going away.
                if (c.session) {
                    disconnect(c.drained);
                    c.session->detach();
                }
                m_clients.erase(id);
            });
    connect(connection, &Connection::closed, this,
            [this, connection] { removeConnection(connection); });
}

void HalhubFrontend::removeConnection(Connection *connection)
{
    const auto it = m_clients.find(connection->id());
    if (it == m_clients.end())
        return;
    Client &client = it->second;
    // The session waits out its grace for a resume.
    if (client.session) {
        disconnect(client.drained);
        client.session->detach();
        client.session = nullptr;
    }
    if (client.handling) {
        client.closed = true;
        return;
    }
    m_clients.erase(it);
}

void HalhubFrontend::attach(Client &client, Session *session)
{
    if (client.session) {
        disconnect(client.drained);
        // The session this connection leaves waits out its grace, unless
        // nobody could ever resume it (it was never named in a welcome, and
        // a session with streams or commands cannot be left by a resume).
        if (client.session != session) {
            client.session->detach();
            if (!client.welcomed)
                m_sessions->end(client.session);
        }
    }
    client.welcomed = false;
    client.session = session;
    session->attach(client.connection);
    client.drained = connect(client.connection, &Connection::drained, session,
                             &Session::channelDrained);
}

Session *HalhubFrontend::ensureSession(Client &client)
{
    if (!client.session)
        attach(client, m_sessions->create(client.connection->subject()));
    return client.session;
}

void HalhubFrontend::reply(Client &client, const QVariantMap &message, const QVariant &id)
{
    client.connection->sendMessage(messages::withId(message, id));
}

void HalhubFrontend::error(Client &client, const QString &code, const QString &message,
                           const QVariant &id)
{
    client.connection->sendError(code, message, id);
}

CommandOrigin HalhubFrontend::originOf(const Client &client) const
{
    const Connection *c = client.connection;
    CommandOrigin origin;
    origin.user = c->subject();
    origin.address = c->peerName();
    origin.session = client.session ? client.session->id() : QString();
    origin.connection = QStringLiteral("connection %1").arg(c->id());
    return origin;
}

namespace {

// What a command request said, for its audit record (as sent, even when malformed).
QVariantMap commandFields(const QVariantMap &message)
{
    QVariantMap fields;
    fields.insert(QStringLiteral("request_id"), message.value(QStringLiteral("id")));
    for (const QLatin1String key : {QLatin1String("device"), QLatin1String("command"),
                                    QLatin1String("params")})
        fields.insert(QString(key), message.value(key));
    return fields;
}

} // namespace

void HalhubFrontend::refuse(Client &client, const QString &code, const QString &why,
                            const QString &type, const QVariantMap &message, const QVariant &id)
{
    const Connection *c = client.connection;
    qCWarning(lcAuth).noquote() << "refused" << type << "from" << c->peerAddress().toString()
                                << "user" << (c->subject().isEmpty() ? QStringLiteral("(none)")
                                                                     : c->subject())
                                << "on connection" << c->id() << "with" << code + QLatin1Char(':')
                                << why;
    if (type == QLatin1String("command"))
        m_hub->commands()->recordRefusal(originOf(client), commandFields(message), code, why);
    if (type == QLatin1String("record_start") || type == QLatin1String("record_stop"))
        auditRecording(client, type, message, code, why, QString());
    error(client, code, why, id);
}

void HalhubFrontend::handle(Client &client, const QVariantMap &message, const QString &type,
                            const QVariant &id)
{
    if (const auto refusal = m_auth->authorize(client.connection, type)) {
        refuse(client, refusal->code, refusal->message, type, message, id);
        return;
    }
    // A client has its session from its first request on (the GUI shows it);
    // hello makes its own, as a resume may take another.
    if (type != QLatin1String("hello"))
        ensureSession(client);
    if (type == QLatin1String("hello")) {
        hello(client, message, id);
    } else if (type == QLatin1String("ping")) {
        reply(client, messages::pong(message.value(QStringLiteral("t"))), id);
    } else if (type == QLatin1String("list_devices")) {
        reply(client, messages::devices(m_hub->bus()->devices()), id);
    } else if (type == QLatin1String("subscribe")) {
        subscribe(client, message, id);
    } else if (type == QLatin1String("unsubscribe")) {
        unsubscribe(client, message, id);
    } else if (type == QLatin1String("command")) {
        command(client, message, id);
    } else if (type == QLatin1String("cancel")) {
        cancel(client, message, id);
    } else if (type == QLatin1String("get_metrics")) {
        reply(client, messages::metrics(m_metrics()), id);
    } else if (type == QLatin1String("record_start")) {
        recordStart(client, message, id);
    } else if (type == QLatin1String("record_stop")) {
        recordStop(client, message, id);
    } else if (type == QLatin1String("list_recordings")) {
        listRecordings(client, id);
    } else {
        error(client, QStringLiteral("unknown_type"),
              QStringLiteral("unknown message type '%1'").arg(type), id);
    }
}

void HalhubFrontend::hello(Client &client, const QVariantMap &message, const QVariant &id)
{
    messages::Hello hello;
    QString why;
    if (!messages::readHello(message, &hello, &why)) {
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    if (hello.resume && client.issuedRequests) {
        error(client, QStringLiteral("invalid_params"),
              QStringLiteral("resume must come before any subscribe or command on a connection"), id);
        return;
    }
    Connection *connection = client.connection;
    // Without auth.required tokens are ignored. A refused token changes
    // nothing, not even the encoding asked for in the same hello.
    if (hello.token) {
        if (const auto refusal = m_auth->authenticate(connection, *hello.token)) {
            refuse(client, refusal->code, refusal->message, QStringLiteral("hello"), message, id);
            return;
        }
        if (client.session && client.session->principal().isEmpty())
            client.session->setPrincipal(connection->subject());
    }

    // The welcome already speaks the encoding it announces.
    connection->setEncoding(hello.encoding.value_or(connection->encoding()),
                            hello.compression.value_or(connection->compression()));
    if (hello.client && client.name != *hello.client) {
        // Later log lines name the connection by number: say once who it is.
        qCInfo(lcSession).noquote() << "client" << connection->id() << "is" << *hello.client;
        client.name = *hello.client;
    }

    bool resumed = false;
    if (hello.resume) {
        // A session takes its connection's user when it is made, so before
        // there is one the connection's user is the session's to be.
        const QString principal = client.session ? client.session->principal()
                                                 : connection->subject();
        Session *target = m_sessions->find(*hello.resume);
        const bool valid = target && target->principal() == principal
            && (target->isAttached() || target->detachedForMs() <= m_sessions->graceMs());
        if (valid) {
            resumed = true;
            if (target != client.session) {
                // Another connection still holding it is taken over, and
                // closed once the session is ours (a close may remove it).
                Connection *previous = nullptr;
                for (auto &[otherId, other] : m_clients) {
                    if (&other == &client || other.session != target)
                        continue;
                    disconnect(other.drained);
                    other.session = nullptr;
                    previous = other.connection;
                }
                target->detach();
                attach(client, target);
                if (previous)
                    previous->closeWith(closecode::kTakenOver, QStringLiteral("session taken over"));
            }
            qCInfo(lcSession) << "session" << target->id() << "resumed by connection"
                              << connection->id();
        }
    }
    // The welcome names the session: the first hello makes it.
    Session *session = ensureSession(client);
    messages::Welcome welcome;
    welcome.session = session->id();
    welcome.resumed = resumed;
    welcome.encoding = connection->encoding();
    welcome.compression = connection->compression();
    welcome.heartbeatMs = m_config.server.heartbeatMs;
    if (m_config.cluster)
        welcome.node = m_config.cluster->node;
    if (resumed)
        welcome.streams = session->describeStreams();
    reply(client, messages::welcome(welcome, m_config.limits), id);
    client.welcomed = true;
    if (resumed)
        session->replay(hello.lastSeq, hello.resultsSeen);
}

void HalhubFrontend::subscribe(Client &client, const QVariantMap &message, const QVariant &id)
{
    client.issuedRequests = true;
    QString device;
    QString why;
    if (!messages::readSubscribeDevice(message, &device, &why)) {
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    const std::optional<DeviceInfo> info = m_hub->bus()->device(device);
    if (!info) {
        error(client, QStringLiteral("unknown_device"), QStringLiteral("no device '%1'").arg(device), id);
        return;
    }
    const std::optional<StreamSpec> spec =
        parseStreamSpec(message, *info, m_config.limits.maxRateHz, &why);
    if (!spec) {
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    Session *session = ensureSession(client);
    if (session->streamCount() >= m_config.limits.maxStreams) {
        error(client, QStringLiteral("too_many_streams"),
              QStringLiteral("a session may have at most %1 streams").arg(m_config.limits.maxStreams),
              id);
        return;
    }
    std::optional<double> requested;
    const QVariant rate = message.value(QStringLiteral("rate_hz"));
    if (value::isNumber(rate))
        requested = rate.toDouble();
    const QString streamId = m_sessions->nextStreamId();
    session->addStream(streamId, *spec, *info, requested);
    reply(client, messages::subscribed(session->describeStream(streamId)), id);
}

void HalhubFrontend::unsubscribe(Client &client, const QVariantMap &message, const QVariant &id)
{
    QString stream;
    QString why;
    if (!messages::readUnsubscribe(message, &stream, &why)) {
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    // Without a session there is no stream to remove, and none is made.
    if (!client.session || !client.session->removeStream(stream)) {
        error(client, QStringLiteral("unknown_stream"),
              QStringLiteral("no stream '%1' in this session").arg(stream), id);
        return;
    }
    reply(client, messages::unsubscribed(stream), id);
}

void HalhubFrontend::command(Client &client, const QVariantMap &message, const QVariant &id)
{
    client.issuedRequests = true;
    // Every command's audit record names its session.
    Session *session = ensureSession(client);
    CommandDesk *desk = m_hub->commands();
    CommandRequest request;
    QString why;
    if (!messages::readCommand(message, &request, &why)) {
        desk->recordRefusal(originOf(client), commandFields(message),
                            QStringLiteral("invalid_params"), why);
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    if (const auto refusal = m_auth->authorizeDevice(client.connection, QStringLiteral("command"),
                                                     request.device)) {
        refuse(client, refusal->code, refusal->message, QStringLiteral("command"), message, id);
        return;
    }
    const QString principal = session->principal();
    request.principal = principal.isEmpty() ? session->id() : principal;
    request.waiter = {session->id(), id};

    const CommandRouter::Submission submission = desk->submit(request, originOf(client));
    if (submission.outcome == CommandRouter::Submission::Outcome::Refused) {
        error(client, submission.errorCode, submission.errorMessage, id);
        return;
    }
    reply(client, messages::ack(submission.commandId), id);
    if (submission.finished)
        session->deliverResult(*submission.finished, id);
}

void HalhubFrontend::cancel(Client &client, const QVariantMap &message, const QVariant &id)
{
    QString commandId;
    QString why;
    if (!messages::readCancel(message, &commandId, &why)) {
        error(client, QStringLiteral("invalid_params"), why, id);
        return;
    }
    const auto notFound = [&] {
        error(client, QStringLiteral("not_found"),
              QStringLiteral("no waiting command '%1' in this session").arg(commandId), id);
    };
    // A connection without a session has no command to cancel.
    if (!client.session) {
        notFound();
        return;
    }
    CommandDesk *desk = m_hub->commands();
    // Only the caller's own commands are looked at: another session's
    // command is not_found, as without auth.
    const QString device = desk->pendingDevice(commandId, client.session->id());
    if (!device.isEmpty()) {
        if (const auto refusal = m_auth->authorizeDevice(client.connection, QStringLiteral("cancel"),
                                                         device)) {
            refuse(client, refusal->code, refusal->message, QStringLiteral("cancel"), message, id);
            return;
        }
    }
    if (!desk->cancel(commandId, client.session->id())) {
        notFound();
        return;
    }
    reply(client, messages::cancelled(commandId), id);
}

void HalhubFrontend::auditRecording(const Client &client, const QString &type,
                                    const QVariantMap &message, const QString &status,
                                    const QString &error, const QString &recording)
{
    // The same trail as commands: who started or stopped which recording.
    const CommandOrigin origin = originOf(client);
    QVariantMap record;
    record.insert(QStringLiteral("user"), origin.user);
    record.insert(QStringLiteral("address"), origin.address);
    record.insert(QStringLiteral("session"), origin.session);
    record.insert(QStringLiteral("request_id"), message.value(QStringLiteral("id")));
    record.insert(QStringLiteral("command"), type);
    QVariantMap params;
    for (const QLatin1String key : {QLatin1String("devices"), QLatin1String("name"),
                                    QLatin1String("recording")}) {
        if (message.contains(key))
            params.insert(QString(key), message.value(key));
    }
    record.insert(QStringLiteral("params"), params);
    if (!recording.isEmpty())
        record.insert(QStringLiteral("recording"), recording);
    record.insert(QStringLiteral("status"), status);
    if (!error.isEmpty())
        record.insert(QStringLiteral("error"), error);
    record.insert(QStringLiteral("duration_ms"), qlonglong(0));
    m_hub->auditLog()->record(record);
}

void HalhubFrontend::recordStart(Client &client, const QVariantMap &message, const QVariant &id)
{
    const QString type = QStringLiteral("record_start");
    const auto fail = [&](const QString &code, const QString &why) {
        auditRecording(client, type, message, code, why, QString());
        error(client, code, why, id);
    };
    messages::RecordStart request;
    QString why;
    if (!messages::readRecordStart(message, &request, &why))
        return fail(QStringLiteral("invalid_params"), why);
    if (!m_recorder)
        return fail(QStringLiteral("internal"), QStringLiteral("recording is not available"));
    const Recorder::Started started = m_recorder->start(request.devices, request.name);
    if (!started.errorCode.isEmpty())
        return fail(started.errorCode, started.errorMessage);
    auditRecording(client, type, message, QStringLiteral("ok"), QString(), started.summary.name);
    reply(client, messages::recordingStarted(started.summary), id);
}

void HalhubFrontend::recordStop(Client &client, const QVariantMap &message, const QVariant &id)
{
    const QString type = QStringLiteral("record_stop");
    const auto fail = [&](const QString &code, const QString &why) {
        auditRecording(client, type, message, code, why, QString());
        error(client, code, why, id);
    };
    QString name;
    QString why;
    if (!messages::readRecordStop(message, &name, &why))
        return fail(QStringLiteral("invalid_params"), why);
    if (!m_recorder)
        return fail(QStringLiteral("internal"), QStringLiteral("recording is not available"));
    // Answered once the queue is on the disk and the file closed: the event
    // loop does not wait for the writer.
    const bool stopping = m_recorder->stop(name, [this, connection = client.connection->id(), id](
                                                     const RecordingSummary &summary) {
        const auto it = m_clients.find(connection);
        if (it != m_clients.end() && !it->second.closed)
            reply(it->second, messages::recorded(summary), id);
    });
    if (!stopping)
        return fail(QStringLiteral("not_found"), QStringLiteral("no running recording '%1'").arg(name));
    auditRecording(client, type, message, QStringLiteral("ok"), QString(), name);
}

void HalhubFrontend::listRecordings(Client &client, const QVariant &id)
{
    reply(client, messages::recordings(m_recorder ? m_recorder->list() : QList<RecordingSummary>()),
          id);
}

void HalhubFrontend::onDeviceEvent(const DeviceEvent &event)
{
    switch (event.kind) {
    case DeviceEvent::Kind::Connected:
        broadcast(messages::event(QStringLiteral("device_connected"), event.device));
        break;
    case DeviceEvent::Kind::Disconnected:
        broadcast(messages::event(QStringLiteral("device_disconnected"), event.device));
        break;
    case DeviceEvent::Kind::Added:
        broadcast(messages::event(QStringLiteral("device_added"), event.device, {},
                                  messages::device(event.info)));
        break;
    case DeviceEvent::Kind::Error: {
        QVariantMap data;
        data.insert(QStringLiteral("message"), event.message);
        data.insert(QStringLiteral("count"), qlonglong(event.count));
        broadcast(messages::event(QStringLiteral("device_error"), event.device, {}, data));
        break;
    }
    case DeviceEvent::Kind::Removed: {
        // Streams on the device close first, each owner told, then everyone
        // learns the device is gone.
        const QList<Session *> sessions = m_sessions->sessions();
        for (Session *session : sessions) {
            const QStringList closed = session->closeStreamsOf(event.device);
            for (const QString &stream : closed)
                session->sendControl(messages::event(QStringLiteral("stream_closed"), event.device, stream));
        }
        broadcast(messages::event(QStringLiteral("device_removed"), event.device));
        break;
    }
    }
}

void HalhubFrontend::broadcast(const QVariantMap &event)
{
    // Device events are for those who may list devices (telemetry:read).
    // A write can close a connection: walk a copy of the list.
    QList<Connection *> connections;
    connections.reserve(qsizetype(m_clients.size()));
    for (const auto &[id, client] : m_clients) {
        if (!client.closed)
            connections.append(client.connection);
    }
    for (Connection *connection : std::as_const(connections)) {
        if (connection->scopes().canReadTelemetry())
            connection->sendMessage(event);
    }
    Q_EMIT eventBroadcast(event);
}

void HalhubFrontend::announceShutdown()
{
    const QVariantMap m = messages::event(QStringLiteral("server_shutdown"));
    for (const auto &[id, client] : m_clients) {
        if (!client.closed)
            client.connection->sendMessage(m);
    }
}

std::optional<HalhubClientInfo> HalhubFrontend::clientInfo(quint64 connection) const
{
    const auto it = m_clients.find(connection);
    if (it == m_clients.end())
        return std::nullopt;
    const Client &client = it->second;
    HalhubClientInfo info;
    info.client = client.name;
    if (client.session) {
        info.session = client.session->id();
        info.principal = client.session->principal();
        info.streams = client.session->streamCount();
    } else {
        info.principal = client.connection->subject();
    }
    return info;
}

int HalhubFrontend::sessionCount() const
{
    return int(m_sessions->sessions().size());
}

int HalhubFrontend::streamCount() const
{
    return m_sessions->streamCount();
}

QList<StreamStats> HalhubFrontend::streamStats() const
{
    QList<StreamStats> list;
    const QList<Session *> sessions = m_sessions->sessions();
    for (const Session *s : sessions)
        list.append(s->streamStats());
    return list;
}

} // namespace halhub
