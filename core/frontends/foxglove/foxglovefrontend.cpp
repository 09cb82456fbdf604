#include "frontends/foxglove/foxglovefrontend.h"

#include "auth/authenticator.h"
#include "bus/devicebus.h"
#include "bus/value.h"
#include "frontends/foxglove/foxglovewire.h"
#include "hub/commanddesk.h"
#include "hub/deviceevents.h"
#include "hub/hub.h"
#include "net/connection.h"
#include "net/handshake.h"
#include "protocol/json.h"
#include "telemetry/frame.h"
#include "telemetry/telemetryhub.h"

#include <QDateTime>
#include <QNetworkRequest>
#include <QUuid>

Q_LOGGING_CATEGORY(lcFoxglove, "halhub.foxglove", QtInfoMsg)

namespace halhub {

namespace {

using foxglove::StatusLevel;

constexpr int kWarning = int(StatusLevel::Warning);
constexpr int kError = int(StatusLevel::Error);

// How often pending drop warnings are looked at: they go out at most once a
// second per viewer, and within about a second of the drop.
constexpr int kWarningPollMs = 250;

bool readUint32(const QVariant &v, quint32 *out)
{
    qint64 n = 0;
    if (!value::toInt64(v, &n) || n < 0 || n > qint64(std::numeric_limits<quint32>::max()))
        return false;
    *out = quint32(n);
    return true;
}

QString deviceStatusId(const QString &device)
{
    return QStringLiteral("halhub.device.") + device;
}

qint64 nowUs()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000;
}

} // namespace

// The frames of one subscribed device, for every subscription to it.
class FoxgloveFrontend::Feed final : public StreamMember
{
public:
    Feed(FoxgloveFrontend *frontend, const QString &device)
        : m_frontend(frontend)
        , m_device(device)
    {
    }

protected:
    void consumeFrame(Frame frame) override { m_frontend->onFrame(m_device, frame); }

private:
    FoxgloveFrontend *m_frontend = nullptr;
    QString m_device;
};

struct FoxgloveFrontend::DeviceChannel
{
    quint32 id = 0;
    DeviceInfo info;
    QByteArray schema;
    // command name -> service id
    QHash<QString, quint32> services;
    std::unique_ptr<Feed> feed;         // while subscribed
    // (viewer, subscription id), in subscription order.
    QList<QPair<quint64, quint32>> subscribers;
};

struct FoxgloveFrontend::Viewer
{
    Connection *connection = nullptr;
    QString session;                    // names its commands' results
    QHash<quint32, quint32> subscriptions;  // subscription id -> channel id
    struct Pending
    {
        quint32 subscription = 0;
        QByteArray bytes;
    };
    // Telemetry waiting while the socket is above its high-water mark,
    // oldest first; bounded, the oldest dropped first.
    std::deque<Pending> backlog;
    qint64 backlogBytes = 0;
    ThrottledCount dropped;
};

FoxgloveFrontend::FoxgloveFrontend(const Config &config, Hub *hub, const Authenticator *auth,
                                   QObject *parent)
    : Frontend(parent)
    , m_config(config)
    , m_hub(hub)
    , m_auth(auth)
    , m_sessionId(QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    m_warnings.setInterval(kWarningPollMs);
    connect(&m_warnings, &QTimer::timeout, this, &FoxgloveFrontend::reportDrops);
    connect(hub->deviceEvents(), &DeviceEvents::deviceEvent, this,
            &FoxgloveFrontend::onDeviceEvent);
    connect(hub->bus(), &DeviceBus::deviceInfoChanged, this,
            &FoxgloveFrontend::onDeviceInfoChanged);
    connect(hub->commands(), &CommandDesk::resultReady, this, &FoxgloveFrontend::onResult);
    const QList<DeviceInfo> devices = hub->bus()->devices();
    for (const DeviceInfo &info : devices)
        addDevice(info);
}

FoxgloveFrontend::~FoxgloveFrontend()
{
    for (auto &[id, channel] : m_devices)
        releaseFeed(channel);
}

bool FoxgloveFrontend::accepts(const QNetworkRequest &upgrade) const
{
    return foxglove::offersFoxglove(upgrade.rawHeader("Sec-WebSocket-Protocol"));
}

bool FoxgloveFrontend::admitsUpgrade(const HttpRequestHead &head, QByteArray *why) const
{
    QString reason;
    if (m_auth->hasValidUpgradeToken(head, &reason))
        return true;
    *why = reason.toUtf8();
    return false;
}

// Connections ---------------------------------------------------------------

void FoxgloveFrontend::addConnection(Connection *connection)
{
    const quint64 id = connection->id();
    Viewer &viewer = m_viewers[id];
    viewer.connection = connection;
    viewer.session = QStringLiteral("foxglove-%1").arg(id);
    m_viewerOfSession.insert(viewer.session, id);
    connection->setRawFrames(true);
    connect(connection, &Connection::frameReceived, this,
            [this, id](const QByteArray &data, bool binary) { onFrameReceived(id, data, binary); });
    connect(connection, &Connection::refused, this,
            [this, id](const QString &code, const QString &message) {
                const auto it = m_viewers.find(id);
                if (it != m_viewers.end())
                    status(it->second, code == QLatin1String("rate_limited") ? kWarning : kError,
                           code + QLatin1String(": ") + message);
            });
    connect(connection, &Connection::drained, this, [this, id] {
        const auto it = m_viewers.find(id);
        if (it != m_viewers.end())
            flushBacklog(it->second);
    });
    connect(connection, &Connection::closed, this, [this, id] { removeConnection(id); });

    // In a cluster, which node the viewer is connected to (section 14).
    QVariantMap metadata;
    if (m_config.cluster)
        metadata.insert(QStringLiteral("node"), m_config.cluster->node);
    connection->sendMessage(foxglove::serverInfo(m_sessionId, metadata));
    if (!connection->scopes().canReadTelemetry()) {
        status(viewer, kWarning,
               QStringLiteral("this token has no scope telemetry:read: no devices are listed"));
        return;
    }
    QVariantList channels;
    QVariantList services;
    for (const auto &[device, channel] : m_devices) {
        channels.append(foxglove::channel(channel.id, channel.info));
        for (const CommandSpec &command : channel.info.commands)
            services.append(foxglove::service(channel.services.value(command.name), device, command));
    }
    if (!channels.isEmpty())
        connection->sendMessage(foxglove::advertise(channels));
    if (!services.isEmpty())
        connection->sendMessage(foxglove::advertiseServices(services));
    for (const auto &[device, channel] : m_devices) {
        if (channel.info.state == DeviceState::Connected)
            continue;
        const QString why = channel.info.state == DeviceState::Connecting
                ? QStringLiteral("not connected yet")
                : deviceStateName(channel.info.state);
        status(viewer, kWarning, QStringLiteral("%1: %2").arg(device, why), deviceStatusId(device));
    }
}

void FoxgloveFrontend::removeConnection(quint64 id)
{
    const auto it = m_viewers.find(id);
    if (it == m_viewers.end())
        return;
    Viewer &viewer = it->second;
    const QList<quint32> subscriptions = viewer.subscriptions.keys();
    for (quint32 s : subscriptions)
        unsubscribeOne(viewer, s);
    m_viewerOfSession.remove(viewer.session);
    m_viewers.erase(it);
}

void FoxgloveFrontend::announceShutdown()
{
    for (auto &[id, viewer] : m_viewers)
        status(viewer, kWarning, QStringLiteral("halhub is shutting down"));
}

int FoxgloveFrontend::streamCount() const
{
    int n = 0;
    for (const auto &[id, viewer] : m_viewers)
        n += int(viewer.subscriptions.size());
    return n;
}

void FoxgloveFrontend::status(Viewer &viewer, int level, const QString &message, const QString &id)
{
    viewer.connection->sendMessage(foxglove::status(StatusLevel(level), message, id));
}

void FoxgloveFrontend::broadcast(const QVariantMap &message)
{
    // Only those who may list devices hear of them (telemetry:read).
    for (const auto &[id, viewer] : m_viewers) {
        if (viewer.connection->scopes().canReadTelemetry())
            viewer.connection->sendMessage(message);
    }
}

// Requests ------------------------------------------------------------------

void FoxgloveFrontend::onFrameReceived(quint64 id, const QByteArray &data, bool binary)
{
    const auto it = m_viewers.find(id);
    if (it == m_viewers.end())
        return;
    Viewer &viewer = it->second;
    if (!binary) {
        onText(viewer, data);
        return;
    }
    const quint8 op = data.isEmpty() ? 0 : quint8(data.at(0));
    if (op == foxglove::kServiceCallRequest) {
        serviceCall(viewer, data);
    } else if (op == foxglove::kClientMessageData) {
        status(viewer, kError, QStringLiteral("halhub does not take client messages "
                                              "(capability clientPublish is not offered)"));
    } else {
        status(viewer, kError, QStringLiteral("unknown binary opcode 0x%1")
                                   .arg(op, 2, 16, QLatin1Char('0')));
    }
}

void FoxgloveFrontend::onText(Viewer &viewer, const QByteArray &data)
{
    QVariant parsed;
    QString why;
    if (!json::parse(data, &parsed, &why)) {
        status(viewer, kError, QStringLiteral("not JSON: %1").arg(why));
        return;
    }
    const QVariantMap message = parsed.toMap();
    const QVariant op = message.value(QStringLiteral("op"));
    if (!value::isMap(parsed) || !value::isString(op)) {
        status(viewer, kError, QStringLiteral("a message must be a JSON object with a string op"));
        return;
    }
    const QString name = op.toString();
    if (name == QLatin1String("subscribe")) {
        subscribe(viewer, message);
    } else if (name == QLatin1String("unsubscribe")) {
        unsubscribe(viewer, message);
    } else {
        status(viewer, kError,
               QStringLiteral("operation '%1' is not supported (capabilities: services)").arg(name));
    }
}

bool FoxgloveFrontend::readList(Viewer &viewer, const QVariantMap &message, const QString &field,
                                QVariantList *out)
{
    const QVariant list = message.value(field);
    if (!value::isList(list)) {
        status(viewer, kError, QStringLiteral("%1: %2 must be a list")
                                   .arg(message.value(QStringLiteral("op")).toString(), field));
        return false;
    }
    *out = list.toList();
    return true;
}

void FoxgloveFrontend::subscribe(Viewer &viewer, const QVariantMap &message)
{
    if (const auto refusal = m_auth->authorize(viewer.connection, QStringLiteral("subscribe"))) {
        status(viewer, kError, refusal->code + QLatin1String(": ") + refusal->message);
        return;
    }
    QVariantList subscriptions;
    if (!readList(viewer, message, QStringLiteral("subscriptions"), &subscriptions))
        return;
    for (const QVariant &entry : subscriptions) {
        const QVariantMap s = entry.toMap();
        quint32 sid = 0;
        quint32 channelId = 0;
        if (!value::isMap(entry) || !readUint32(s.value(QStringLiteral("id")), &sid)
                || !readUint32(s.value(QStringLiteral("channelId")), &channelId)) {
            status(viewer, kError, QStringLiteral("subscribe: each subscription needs an id and a "
                                                  "channelId (integers 0..2^32-1)"));
            continue;
        }
        if (viewer.subscriptions.contains(sid)) {
            status(viewer, kError, QStringLiteral("subscribe: subscription %1 is in use").arg(sid));
            continue;
        }
        const auto device = m_devices.find(m_deviceOfChannel.value(channelId));
        if (device == m_devices.end() || device->second.id != channelId) {
            status(viewer, kError, QStringLiteral("subscribe: no channel %1").arg(channelId));
            continue;
        }
        DeviceChannel &channel = device->second;
        viewer.subscriptions.insert(sid, channelId);
        channel.subscribers.append({viewer.connection->id(), sid});
        if (channel.feed)
            continue;
        // Every sample of the device, unless limits.max_rate_hz is below
        // its native rate.
        StreamSpec spec;
        spec.device = channel.info.id;
        spec.mode = StreamMode::Full;
        spec.allChannels = true;
        const double native = channel.info.rateHz.value_or(0);
        spec.rateHz = native > m_config.limits.maxRateHz ? m_config.limits.maxRateHz : 0;
        channel.feed = std::make_unique<Feed>(this, channel.info.id);
        m_hub->telemetry()->addMember(channel.feed.get(), spec, channel.info);
    }
}

void FoxgloveFrontend::unsubscribe(Viewer &viewer, const QVariantMap &message)
{
    QVariantList ids;
    if (!readList(viewer, message, QStringLiteral("subscriptionIds"), &ids))
        return;
    for (const QVariant &v : ids) {
        quint32 sid = 0;
        if (!readUint32(v, &sid) || !viewer.subscriptions.contains(sid)) {
            status(viewer, kWarning,
                   QStringLiteral("unsubscribe: no subscription %1").arg(QString::fromUtf8(json::write(v))));
            continue;
        }
        unsubscribeOne(viewer, sid);
    }
}

void FoxgloveFrontend::unsubscribeOne(Viewer &viewer, quint32 subscription)
{
    const quint32 channelId = viewer.subscriptions.take(subscription);
    // Nothing of it is sent after the unsubscribe, not even what waited.
    for (auto it = viewer.backlog.begin(); it != viewer.backlog.end();) {
        if (it->subscription == subscription) {
            viewer.backlogBytes -= it->bytes.size();
            it = viewer.backlog.erase(it);
        } else {
            ++it;
        }
    }
    const auto device = m_devices.find(m_deviceOfChannel.value(channelId));
    if (device == m_devices.end())
        return;
    DeviceChannel &channel = device->second;
    channel.subscribers.removeOne({viewer.connection->id(), subscription});
    if (channel.subscribers.isEmpty())
        releaseFeed(channel);
}

CommandOrigin FoxgloveFrontend::originOf(const Viewer &viewer) const
{
    CommandOrigin origin;
    origin.user = viewer.connection->subject();
    origin.address = viewer.connection->peerName();
    origin.session = viewer.session;
    origin.connection = QStringLiteral("connection %1").arg(viewer.connection->id());
    return origin;
}

void FoxgloveFrontend::serviceCall(Viewer &viewer, const QByteArray &frame)
{
    const std::optional<foxglove::ServiceCallRequest> call = foxglove::readServiceCallRequest(frame);
    if (!call) {
        status(viewer, kError, QStringLiteral("truncated service call request"));
        return;
    }
    const auto service = m_services.constFind(call->serviceId);
    if (service == m_services.cend()) {
        viewer.connection->sendMessage(foxglove::serviceCallFailure(
            call->serviceId, call->callId, QStringLiteral("no service %1").arg(call->serviceId)));
        return;
    }
    QVariant params;
    QString why;
    if (call->encoding != "json") {
        why = QStringLiteral("the request encoding must be json, not '%1'")
                  .arg(QString::fromUtf8(call->encoding));
    } else if (!json::parse(call->payload, &params, &why)) {
        why = QStringLiteral("the request is not JSON: %1").arg(why);
    } else if (!value::isMap(params)) {
        why = QStringLiteral("the request must be a JSON object (the command's params)");
    }
    if (!why.isEmpty()) {
        viewer.connection->sendMessage(
            foxglove::serviceCallFailure(call->serviceId, call->callId, why));
        return;
    }
    const ServiceRef ref = *service;
    CommandDesk *desk = m_hub->commands();
    CommandRequest request;
    request.device = ref.device;
    request.command = ref.command;
    request.params = params.toMap();
    const QString type = QStringLiteral("command");
    std::optional<AccessRefusal> refusal = m_auth->authorize(viewer.connection, type);
    if (!refusal)
        refusal = m_auth->authorizeDevice(viewer.connection, type, ref.device);
    if (refusal) {
        qCWarning(lcFoxglove).noquote() << "refused" << foxglove::serviceName(ref.device, ref.command)
                                        << "from" << viewer.connection->peerName() << "with"
                                        << refusal->code + QLatin1Char(':') << refusal->message;
        desk->recordRefusal(originOf(viewer),
                            {{QStringLiteral("request_id"), qlonglong(call->callId)},
                             {QStringLiteral("device"), ref.device},
                             {QStringLiteral("command"), ref.command},
                             {QStringLiteral("params"), params}},
                            refusal->code, refusal->message);
        answerCall(viewer, call->serviceId, call->callId,
                   foxglove::refusalPayload(refusal->code, refusal->message));
        return;
    }
    const QString subject = viewer.connection->subject();
    request.principal = subject.isEmpty() ? viewer.session : subject;
    request.waiter = {viewer.session, (qulonglong(call->serviceId) << 32) | call->callId};
    const CommandRouter::Submission submission = desk->submit(request, originOf(viewer));
    if (submission.outcome == CommandRouter::Submission::Outcome::Refused) {
        answerCall(viewer, call->serviceId, call->callId,
                   foxglove::refusalPayload(submission.errorCode, submission.errorMessage));
    } else if (submission.finished) {
        answerCall(viewer, call->serviceId, call->callId,
                   foxglove::resultPayload(*submission.finished));
    }
}

void FoxgloveFrontend::answerCall(Viewer &viewer, quint32 serviceId, quint32 callId,
                                  const QByteArray &payload)
{
    viewer.connection->sendEncoded(
        {foxglove::serviceCallResponse(serviceId, callId, QByteArrayLiteral("json"), payload), true});
}

void FoxgloveFrontend::onResult(const CommandResult &result, const QList<CommandWaiter> &waiters)
{
    for (const CommandWaiter &waiter : waiters) {
        const auto id = m_viewerOfSession.constFind(waiter.session);
        if (id == m_viewerOfSession.cend())
            continue;       // another front end's, or a viewer gone since
        const auto viewer = m_viewers.find(*id);
        if (viewer == m_viewers.end())
            continue;
        const quint64 tag = waiter.requestId.toULongLong();
        answerCall(viewer->second, quint32(tag >> 32), quint32(tag & 0xffffffffu),
                   foxglove::resultPayload(result));
    }
}

// Telemetry -----------------------------------------------------------------

void FoxgloveFrontend::onFrame(const QString &device, const Frame &frame)
{
    const auto it = m_devices.find(device);
    if (it == m_devices.end())
        return;
    // Encoded once for every subscription; each frame differs only in its
    // subscription id.
    const QByteArray payload = foxglove::samplePayload(frame.timestampUs, frame.values);
    const QList<QPair<quint64, quint32>> subscribers = it->second.subscribers;
    for (const auto &[viewerId, subscription] : subscribers) {
        const auto viewer = m_viewers.find(viewerId);
        if (viewer == m_viewers.end())
            continue;
        deliver(viewer->second, subscription,
                foxglove::messageData(subscription, frame.timestampUs, payload), frame.timestampUs);
    }
}

void FoxgloveFrontend::deliver(Viewer &viewer, quint32 subscription, const QByteArray &bytes,
                               qint64 sampleUs)
{
    if (viewer.backlog.empty() && viewer.connection->canSendTelemetry()) {
        viewer.connection->sendEncoded({bytes, true});
        m_hub->latency().record(nowUs() - sampleUs, m_hub->clockMs());
        return;
    }
    viewer.backlog.push_back({subscription, bytes});
    viewer.backlogBytes += bytes.size();
    // The backlog holds at most the high-water mark's worth: beyond, the
    // oldest goes first, so that the viewer catches up on recent data.
    quint64 dropped = 0;
    while (viewer.backlogBytes > m_config.limits.sendHighWaterBytes && viewer.backlog.size() > 1) {
        viewer.backlogBytes -= viewer.backlog.front().bytes.size();
        viewer.backlog.pop_front();
        ++dropped;
    }
    if (dropped) {
        viewer.dropped.add(dropped);
        if (!m_warnings.isActive())
            m_warnings.start();
    }
}

void FoxgloveFrontend::flushBacklog(Viewer &viewer)
{
    while (!viewer.backlog.empty() && viewer.connection->canSendTelemetry()) {
        viewer.backlogBytes -= viewer.backlog.front().bytes.size();
        viewer.connection->sendEncoded({viewer.backlog.front().bytes, true});
        viewer.backlog.pop_front();
    }
}

void FoxgloveFrontend::reportDrops()
{
    const qint64 now = m_hub->clockMs();
    bool pending = false;
    for (auto &[id, viewer] : m_viewers) {
        bool held = false;
        const quint64 n = viewer.dropped.take(now, kWarningIntervalMs, &held);
        pending = pending || held;
        if (n) {
            status(viewer, kWarning,
                   QStringLiteral("slow connection: %1 messages dropped, oldest first").arg(n),
                   QStringLiteral("halhub.dropped"));
        }
    }
    if (!pending)
        m_warnings.stop();
}

void FoxgloveFrontend::releaseFeed(DeviceChannel &channel)
{
    if (!channel.feed)
        return;
    m_hub->telemetry()->removeMember(channel.feed.get());
    channel.feed.reset();
}

// Devices -------------------------------------------------------------------

FoxgloveFrontend::DeviceChannel &FoxgloveFrontend::addDevice(const DeviceInfo &info)
{
    DeviceChannel &channel = m_devices[info.id];
    channel.id = m_nextChannelId++;
    channel.info = info;
    channel.schema = foxglove::channelSchema(info);
    m_deviceOfChannel.insert(channel.id, info.id);
    for (const CommandSpec &command : info.commands) {
        const quint32 sid = m_nextServiceId++;
        channel.services.insert(command.name, sid);
        m_services.insert(sid, {info.id, command.name});
    }
    return channel;
}

void FoxgloveFrontend::announce(const DeviceChannel &channel)
{
    broadcast(foxglove::advertise({foxglove::channel(channel.id, channel.info)}));
    QVariantList services;
    for (const CommandSpec &command : channel.info.commands)
        services.append(foxglove::service(channel.services.value(command.name), channel.info.id, command));
    if (!services.isEmpty())
        broadcast(foxglove::advertiseServices(services));
}

void FoxgloveFrontend::retire(DeviceChannel &channel)
{
    // Its subscriptions end with it: a viewer subscribes again to the
    // channel that replaces it.
    const QList<QPair<quint64, quint32>> subscribers = channel.subscribers;
    for (const auto &[viewerId, subscription] : subscribers) {
        const auto viewer = m_viewers.find(viewerId);
        if (viewer != m_viewers.end())
            unsubscribeOne(viewer->second, subscription);
    }
    releaseFeed(channel);
    m_deviceOfChannel.remove(channel.id);
    broadcast(foxglove::unadvertise({channel.id}));
    const QList<quint32> services = channel.services.values();
    for (quint32 sid : services)
        m_services.remove(sid);
    if (!services.isEmpty())
        broadcast(foxglove::unadvertiseServices(services));
}

void FoxgloveFrontend::removeDevice(const QString &device)
{
    const auto it = m_devices.find(device);
    if (it == m_devices.end())
        return;
    retire(it->second);
    m_devices.erase(it);
}

void FoxgloveFrontend::onDeviceInfoChanged(const DeviceInfo &info)
{
    const auto it = m_devices.find(info.id);
    if (it == m_devices.end())
        return;
    QStringList before;
    QStringList after;
    for (const CommandSpec &c : it->second.info.commands)
        before.append(c.name);
    for (const CommandSpec &c : info.commands)
        after.append(c.name);
    if (foxglove::channelSchema(info) == it->second.schema && before == after) {
        it->second.info = info;
        return;
    }
    // A push device grew a channel: the channel is advertised again, with
    // its new schema, under a new id.
    removeDevice(info.id);
    announce(addDevice(info));
}

void FoxgloveFrontend::onDeviceEvent(const DeviceEvent &event)
{
    const QString statusId = deviceStatusId(event.device);
    const auto setState = [&](DeviceState state) {
        const auto it = m_devices.find(event.device);
        if (it != m_devices.end())
            it->second.info.state = state;
    };
    switch (event.kind) {
    case DeviceEvent::Kind::Added:
        // Listed already when the front end was made: only its description
        // may be news.
        if (m_devices.count(event.device))
            onDeviceInfoChanged(event.info);
        else
            announce(addDevice(event.info));
        break;
    case DeviceEvent::Kind::Removed:
        removeDevice(event.device);
        broadcast(foxglove::status(StatusLevel::Info,
                                   QStringLiteral("%1: removed").arg(event.device), statusId));
        break;
    case DeviceEvent::Kind::Connected:
        setState(DeviceState::Connected);
        broadcast(foxglove::status(StatusLevel::Info,
                                   QStringLiteral("%1: connected").arg(event.device), statusId));
        break;
    case DeviceEvent::Kind::Disconnected:
        setState(DeviceState::Disconnected);
        broadcast(foxglove::status(StatusLevel::Warning,
                                   QStringLiteral("%1: disconnected").arg(event.device), statusId));
        break;
    case DeviceEvent::Kind::Error: {
        const QString more = event.count > 1
                ? QStringLiteral(" (%1 errors in the last second)").arg(event.count)
                : QString();
        broadcast(foxglove::status(StatusLevel::Error,
                                   QStringLiteral("%1: %2%3").arg(event.device, event.message, more),
                                   statusId));
        break;
    }
    }
}

} // namespace halhub
