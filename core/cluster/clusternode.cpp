#include "cluster/clusternode.h"

#include "bus/clock.h"
#include "bus/devicebus.h"
#include "cluster/clusterlogging.h"
#include "cluster/redisconnection.h"
#include "cluster/remotebus.h"
#include "commands/commandrouter.h"
#include "protocol/msgpack.h"

#include <QPointer>
#include <QRandomGenerator>

#include <algorithm>

namespace halhub {

namespace {

constexpr int kLivenessCheckMs = 100;
// Command results kept for a node that did not get them: how many, how long.
constexpr qsizetype kMaxAnswersWaiting = 1000;
constexpr qint64 kAnswerKeptMs = 10 * 60 * 1000;
// Answers remembered for commands sent again (all nodes together).
constexpr qsizetype kMaxAnswersKept = 10000;
constexpr qint64 kMaxAnswersKeptBytes = 16 * 1024 * 1024;

QString str(const QVariantMap &m, const char *key)
{
    return m.value(QLatin1String(key)).toString();
}

qint64 integer(const QVariantMap &m, const char *key)
{
    return m.value(QLatin1String(key)).toLongLong();
}

// A device description on the wire: every field of DeviceInfo.
QVariantMap deviceToWire(const DeviceInfo &info)
{
    QVariantList channels;
    for (const ChannelInfo &c : info.channels)
        channels.append(QVariant(QVariantList{c.name, c.unit, int(c.type)}));
    QVariantList commands;
    for (const CommandSpec &c : info.commands) {
        QVariantList params;
        for (const ParamSpec &p : c.params) {
            QVariantMap pm;
            pm.insert(QStringLiteral("n"), p.name);
            pm.insert(QStringLiteral("t"), int(p.type));
            pm.insert(QStringLiteral("r"), p.required);
            if (p.minimum)
                pm.insert(QStringLiteral("min"), *p.minimum);
            if (p.maximum)
                pm.insert(QStringLiteral("max"), *p.maximum);
            if (!p.allowed.isEmpty())
                pm.insert(QStringLiteral("a"), p.allowed);
            params.append(pm);
        }
        commands.append(QVariant(QVariantList{c.name, c.description, params}));
    }
    QVariantMap m;
    m.insert(QStringLiteral("id"), info.id);
    m.insert(QStringLiteral("plugin"), info.plugin);
    m.insert(QStringLiteral("name"), info.name);
    m.insert(QStringLiteral("port"), info.port);
    m.insert(QStringLiteral("state"), int(info.state));
    if (info.rateHz)
        m.insert(QStringLiteral("rate"), *info.rateHz);
    m.insert(QStringLiteral("ch"), channels);
    m.insert(QStringLiteral("cmd"), commands);
    m.insert(QStringLiteral("dyn"), info.dynamicChannels);
    m.insert(QStringLiteral("any"), info.anyCommand);
    return m;
}

template <typename E>
E enumOf(const QVariant &v, E last)
{
    const int i = v.toInt();
    return i >= 0 && i <= int(last) ? E(i) : E(0);
}

std::optional<DeviceInfo> deviceFromWire(const QVariant &value, const QString &node)
{
    const QVariantMap m = value.toMap();
    DeviceInfo info;
    info.id = str(m, "id");
    if (info.id.isEmpty())
        return std::nullopt;
    info.plugin = str(m, "plugin");
    info.name = str(m, "name");
    info.port = str(m, "port");
    info.state = enumOf(m.value(QStringLiteral("state")), DeviceState::Error);
    if (m.contains(QStringLiteral("rate")))
        info.rateHz = m.value(QStringLiteral("rate")).toDouble();
    const QVariantList channels = m.value(QStringLiteral("ch")).toList();
    for (const QVariant &c : channels) {
        const QVariantList l = c.toList();
        if (l.size() != 3)
            return std::nullopt;
        info.channels.append({l[0].toString(), l[1].toString(), enumOf(l[2], ChannelType::String)});
    }
    const QVariantList commands = m.value(QStringLiteral("cmd")).toList();
    for (const QVariant &c : commands) {
        const QVariantList l = c.toList();
        if (l.size() != 3)
            return std::nullopt;
        CommandSpec spec;
        spec.name = l[0].toString();
        spec.description = l[1].toString();
        const QVariantList params = l[2].toList();
        for (const QVariant &p : params) {
            const QVariantMap pm = p.toMap();
            ParamSpec ps;
            ps.name = str(pm, "n");
            ps.type = enumOf(pm.value(QStringLiteral("t")), ParamType::Any);
            ps.required = pm.value(QStringLiteral("r")).toBool();
            if (pm.contains(QStringLiteral("min")))
                ps.minimum = pm.value(QStringLiteral("min")).toDouble();
            if (pm.contains(QStringLiteral("max")))
                ps.maximum = pm.value(QStringLiteral("max")).toDouble();
            ps.allowed = pm.value(QStringLiteral("a")).toStringList();
            spec.params.append(ps);
        }
        info.commands.append(spec);
    }
    info.dynamicChannels = m.value(QStringLiteral("dyn")).toBool();
    info.anyCommand = m.value(QStringLiteral("any")).toBool();
    info.node = node;
    return info;
}

QVariant wireValue(const QVariant &v)
{
    return v.isValid() ? v : QVariant::fromValue(nullptr);
}

} // namespace

// The owner's end of a command another node handed here: the router's
// answers go back to the sender, with the sender's instance (a restarted
// sender takes none meant for the one before).
class ClusterNode::Handed final : public HandedCommandLink
{
public:
    Handed(ClusterNode *node, QString from, QString instance, quint64 ticket, HandedCommand c)
        : HandedCommandLink(std::move(c))
        , m_node(node)
        , m_from(std::move(from))
        , m_instance(std::move(instance))
        , m_ticket(ticket)
    {
    }

    void started() override { send(QStringLiteral("hst"), {}); }
    // The command is here (queued or running): the sender stops sending it.
    void confirm() { send(QStringLiteral("hq"), {}); }

    void finished(const HandedResult &result) override
    {
        answered = true;
        QVariantMap m;
        m.insert(QStringLiteral("id"), result.commandId);
        m.insert(QStringLiteral("s"), result.status);
        if (result.status == QLatin1String("ok"))
            m.insert(QStringLiteral("r"), wireValue(result.result));
        if (!result.errorCode.isEmpty()) {
            m.insert(QStringLiteral("ec"), result.errorCode);
            m.insert(QStringLiteral("em"), result.errorMessage);
        }
        m.insert(QStringLiteral("a"), result.attempts);
        m.insert(QStringLiteral("ms"), result.durationMs);
        if (!m_node)
            return;
        const QByteArray payload = halhub::msgpack::write(address(QStringLiteral("hres"), m));
        m_node->rememberAnswer(m_from, m_instance, m_ticket, payload);
        m_node->sendAnswer(m_from, m_instance, payload);
        m_node->m_handedIn.remove({m_from, m_ticket});
    }

    bool answered = false;

private:
    QVariantMap address(const QString &type, QVariantMap m) const
    {
        m.insert(QStringLiteral("t"), type);
        m.insert(QStringLiteral("k"), qlonglong(m_ticket));
        m.insert(QStringLiteral("i"), m_instance);
        return m;
    }
    // Best effort: a lost `started` costs nothing the result does not bring.
    void send(const QString &type, const QVariantMap &m)
    {
        if (m_node)
            m_node->publish(m_node->channel(QStringLiteral("to"), m_from), address(type, m));
    }

    QPointer<ClusterNode> m_node;
    const QString m_from;
    const QString m_instance;
    const quint64 m_ticket;
};

ClusterNode::ClusterNode(const ClusterConfig &config, DeviceBus *local, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_local(local)
    , m_remote(new RemoteBus(this, this))
    , m_instance(QString::number(QRandomGenerator::system()->generate64(), 16))
    , m_startedUs(wallClockUs())
{
    m_clock.start();
    const RedisEndpoint endpoint = redisEndpoint(config).value_or(RedisEndpoint{});
    m_commands = new RedisConnection(endpoint, RedisConnection::Role::Commands, this);
    m_subscriber = new RedisConnection(endpoint, RedisConnection::Role::Subscriber, this);
    m_subscriber->subscribe(channel(QStringLiteral("bus")));
    m_subscriber->subscribe(channel(QStringLiteral("to"), m_config.node));
    connect(m_subscriber, &RedisConnection::messageReceived, this, &ClusterNode::onMessage);
    for (RedisConnection *c : {m_commands, m_subscriber}) {
        connect(c, &RedisConnection::connected, this, &ClusterNode::onLinkUp);
        connect(c, &RedisConnection::disconnected, this, [this] {
            // Whatever was published meanwhile is lost: a gap.
            m_remote->markGaps();
            Q_EMIT changed();
        });
    }

    connect(m_local, &DeviceBus::sampleReady, this, &ClusterNode::onLocalSample);
    const auto directoryChanged = [this] {
        publishDirectory();
        refresh();
    };
    connect(m_local, &DeviceBus::deviceAdded, this, directoryChanged);
    connect(m_local, &DeviceBus::deviceRemoved, this, directoryChanged);
    connect(m_local, &DeviceBus::deviceInfoChanged, this, directoryChanged);
    connect(m_local, &DeviceBus::deviceStateChanged, this, directoryChanged);
    connect(m_local, &DeviceBus::deviceError, this,
            [this](const QString &device, const QString &text) {
                QVariantMap m = message(QStringLiteral("err"));
                m.insert(QStringLiteral("d"), device);
                m.insert(QStringLiteral("m"), text);
                publish(channel(QStringLiteral("bus")), m);
            });

    m_heartbeat.setInterval(m_config.heartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &ClusterNode::publishHeartbeat);
    m_liveness.setInterval(kLivenessCheckMs);
    connect(&m_liveness, &QTimer::timeout, this, &ClusterNode::checkLiveness);
}

ClusterNode::~ClusterNode() = default;

QVariantMap ClusterNode::message(const QString &type) const
{
    QVariantMap m;
    m.insert(QStringLiteral("t"), type);
    m.insert(QStringLiteral("n"), m_config.node);
    return m;
}

QVariantMap ClusterNode::announcement(const QString &type) const
{
    // Who this node is: its instance (a restart is a new one), when it
    // started (duplicate ids go to the earliest) and its directory version.
    QVariantMap m = message(type);
    m.insert(QStringLiteral("i"), m_instance);
    m.insert(QStringLiteral("st"), m_startedUs);
    m.insert(QStringLiteral("v"), m_directoryVersion);
    return m;
}

QByteArray ClusterNode::channel(const QString &kind, const QString &name) const
{
    QString c = m_config.keyPrefix + QLatin1Char(':') + kind;
    if (!name.isEmpty())
        c += QLatin1Char(':') + name;
    return c.toUtf8();
}

void ClusterNode::start()
{
    m_stopped = false;
    m_commands->start();
    m_subscriber->start();
    m_heartbeat.start();
    m_liveness.start();
}

void ClusterNode::stop()
{
    if (m_stopped)
        return;
    QVariantMap m = message(QStringLiteral("bye"));
    m.insert(QStringLiteral("i"), m_instance);
    publish(channel(QStringLiteral("bus")), m);
    m_commands->flush();
    m_stopped = true;
    m_heartbeat.stop();
    m_published.clear();
}

bool ClusterNode::redisConnected() const
{
    return m_commands->isConnected() && m_subscriber->isConnected();
}

bool ClusterNode::publish(const QByteArray &channel, const QVariantMap &message)
{
    if (m_stopped)
        return false;
    // Not even encoded while Redis is away: local devices pay nothing for it.
    if (!m_commands->isConnected() || !m_commands->publish(channel, halhub::msgpack::write(message))) {
        ++m_publishesDropped;
        return false;
    }
    return true;
}

void ClusterNode::onLinkUp()
{
    if (!redisConnected())
        return;
    m_lastEchoMs = m_clock.elapsed();
    m_remote->markGaps();
    publishDirectory();
    publishHeartbeat();
    askDirectory(QString());
    const QStringList waiting = m_answersWaiting.keys();
    for (const QString &node : waiting)
        resendAnswers(node);
    resendHanded(true);
    Q_EMIT changed();
}

void ClusterNode::publishDirectory()
{
    ++m_directoryVersion;
    QVariantList devices;
    const QList<DeviceInfo> local = m_local->devices();
    for (const DeviceInfo &info : local)
        devices.append(deviceToWire(info));
    QVariantMap m = announcement(QStringLiteral("dir"));
    m.insert(QStringLiteral("d"), devices);
    publish(channel(QStringLiteral("bus")), m);
}

void ClusterNode::publishHeartbeat()
{
    const qint64 k = ++m_heartbeatCount;
    QVariantMap m = announcement(QStringLiteral("hb"));
    m.insert(QStringLiteral("k"), k);
    QVariantList watching;
    const QSet<QString> watched = m_remote->watched();
    for (const QString &d : watched)
        watching.append(d);
    m.insert(QStringLiteral("w"), watching);
    if (publish(channel(QStringLiteral("bus")), m)) {
        m_heartbeatSentMs.insert(k, m_clock.elapsed());
        // Unanswered ones of a stalled link are forgotten.
        m_heartbeatSentMs.remove(k - 64);
    }
}

void ClusterNode::askDirectory(const QString &node)
{
    QVariantMap m = message(QStringLiteral("want"));
    m.insert(QStringLiteral("to"), node);
    publish(channel(QStringLiteral("bus")), m);
}

void ClusterNode::onMessage(const QByteArray &channelName, const QByteArray &payload)
{
    QVariant decoded;
    QString error;
    if (!halhub::msgpack::parse(payload.constData(), payload.size(), &decoded, &error)
        || decoded.typeId() != QMetaType::QVariantMap) {
        qCWarning(lcCluster) << "undecodable cluster message on" << channelName << error;
        return;
    }
    const QVariantMap m = decoded.toMap();
    const QByteArray samplePrefix = channel(QStringLiteral("tm")) + ':';
    if (channelName.startsWith(samplePrefix))
        onSampleMessage(QString::fromUtf8(channelName.mid(samplePrefix.size())), m);
    else if (channelName == channel(QStringLiteral("bus")))
        onBusMessage(m);
    else
        onDirectMessage(m);
}

ClusterNode::Peer &ClusterNode::peerFor(const QString &node, const QVariantMap &m)
{
    const QString instance = str(m, "i");
    Peer &peer = m_peers[node];
    if (peer.instance != instance) {
        if (peer.alive)
            peerGone(node, QStringLiteral("restarted"));
        Peer fresh;
        fresh.instance = instance;
        fresh.startedUs = integer(m, "st");
        fresh.devices = peer.devices;   // listed as disconnected until its directory comes
        peer = fresh;
    }
    return peer;
}

void ClusterNode::onBusMessage(const QVariantMap &m)
{
    const QString type = str(m, "t");
    const QString node = str(m, "n");
    if (node.isEmpty())
        return;
    if (node == m_config.node) {
        if (type == QLatin1String("hb") && str(m, "i") == m_instance) {
            m_lastEchoMs = m_clock.elapsed();
            const auto sent = m_heartbeatSentMs.constFind(integer(m, "k"));
            if (sent != m_heartbeatSentMs.cend()) {
                m_rttMs = double(m_lastEchoMs - *sent);
                m_heartbeatSentMs.erase(sent);
            }
        } else if ((type == QLatin1String("hb") || type == QLatin1String("dir"))
                   && str(m, "i") != m_instance) {
            if (!m_reportedDuplicates.contains(QStringLiteral("node:") + str(m, "i"))) {
                m_reportedDuplicates.insert(QStringLiteral("node:") + str(m, "i"));
                qCWarning(lcCluster).noquote()
                        << "another process announces itself as node" << node;
            }
        }
        return;
    }
    if (type == QLatin1String("hb")) {
        Peer &peer = peerFor(node, m);
        peer.lastSeenMs = m_clock.elapsed();
        // It is there: what it did not get may reach it now.
        resendAnswers(node);
        QSet<QString> watching;
        const QVariantList w = m.value(QStringLiteral("w")).toList();
        for (const QVariant &d : w)
            watching.insert(d.toString());
        const bool watchChanged = watching != peer.watching;
        peer.watching = watching;
        const qint64 version = integer(m, "v");
        if (!peer.haveDirectory || peer.directoryVersion != version) {
            if (peer.lastSeenMs - peer.lastAskedMs >= m_config.heartbeatMs / 2) {
                peer.lastAskedMs = peer.lastSeenMs;
                askDirectory(node);
            }
        } else if (!peer.alive) {
            peer.alive = true;
            refresh();
            return;
        }
        if (watchChanged && peer.alive)
            recomputeInterest();
    } else if (type == QLatin1String("dir")) {
        Peer &peer = peerFor(node, m);
        QList<DeviceInfo> devices;
        const QVariantList list = m.value(QStringLiteral("d")).toList();
        for (const QVariant &d : list) {
            if (const std::optional<DeviceInfo> info = deviceFromWire(d, node))
                devices.append(*info);
        }
        peer.devices = devices;
        peer.directoryVersion = integer(m, "v");
        peer.haveDirectory = true;
        peer.alive = true;
        peer.lastSeenMs = m_clock.elapsed();
        refresh();
    } else if (type == QLatin1String("want")) {
        const QString to = str(m, "to");
        if (to.isEmpty() || to == m_config.node)
            publishDirectory();
    } else if (type == QLatin1String("err")) {
        const QString device = str(m, "d");
        if (winner(device) == node)
            m_remote->deliverError(device, str(m, "m"));
    } else if (type == QLatin1String("w")) {
        const auto it = m_peers.find(node);
        if (it == m_peers.end())
            return;
        if (m.value(QStringLiteral("on")).toBool())
            it->watching.insert(str(m, "d"));
        else
            it->watching.remove(str(m, "d"));
        recomputeInterest();
    } else if (type == QLatin1String("bye")) {
        const auto it = m_peers.constFind(node);
        if (it != m_peers.cend() && it->instance == str(m, "i") && it->alive)
            peerGone(node, QStringLiteral("stopped"));
    }
}

void ClusterNode::peerGone(const QString &node, const QString &why)
{
    auto it = m_peers.find(node);
    if (it == m_peers.end() || !it->alive)
        return;
    qCInfo(lcCluster).noquote() << "node" << node << why;
    it->alive = false;
    it->watching.clear();
    // It ended the commands it handed here itself (device_unavailable).
    m_answersWaiting.remove(node);
    for (auto a = m_answered.begin(); a != m_answered.end();) {
        if (a.key().first == node) {
            m_answeredBytes -= a->payload.size();
            a = m_answered.erase(a);
        } else {
            ++a;
        }
    }
    // Its commands still waiting here are dropped; a running one runs on.
    QList<quint64> handed;
    for (auto h = m_handedIn.cbegin(); h != m_handedIn.cend(); ++h) {
        if (h.key().first == node)
            handed.append(h.key().second);
    }
    for (const quint64 ticket : handed)
        withdrawHanded(node, ticket);
    refresh();
}

void ClusterNode::checkLiveness()
{
    const qint64 now = m_clock.elapsed();
    QStringList gone;
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        if (it->alive && now - it->lastSeenMs > m_config.nodeTimeoutMs)
            gone.append(it.key());
    }
    for (const QString &node : gone)
        peerGone(node, QStringLiteral("timed out"));
    resendHanded(false);
    // A link that takes our own heartbeats and returns none (a paused or
    // stalled server) is started afresh.
    if (!m_stopped && redisConnected() && now - m_lastEchoMs > m_config.nodeTimeoutMs) {
        qCWarning(lcCluster) << "redis returns no heartbeats: reconnecting";
        m_lastEchoMs = now;
        m_commands->reset();
        m_subscriber->reset();
    }
}

QString ClusterNode::winner(const QString &device) const
{
    // The earliest started live node that lists the id owns it (ties: the
    // smaller name); every node computes the same. Without a live one, the
    // dead node that listed it keeps it (disconnected).
    QString best;
    qint64 bestStarted = 0;
    bool bestAlive = false;
    const auto consider = [&](const QString &node, qint64 started, bool alive) {
        const bool better = best.isEmpty() || (alive && !bestAlive)
                || (alive == bestAlive
                    && (started < bestStarted || (started == bestStarted && node < best)));
        if (better) {
            best = node;
            bestStarted = started;
            bestAlive = alive;
        }
    };
    if (m_local->device(device))
        consider(m_config.node, m_startedUs, true);
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        const bool lists = std::any_of(it->devices.cbegin(), it->devices.cend(),
                                       [&](const DeviceInfo &i) { return i.id == device; });
        if (lists)
            consider(it.key(), it->startedUs, it->alive);
    }
    return best;
}

void ClusterNode::refresh()
{
    QHash<QString, DeviceInfo> wanted;
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        for (DeviceInfo info : it->devices) {
            const QString owner = winner(info.id);
            if (owner == m_config.node && m_local->device(info.id)) {
                // Ours wins; it stays ours, the other one is that node's to refuse.
                continue;
            }
            if (owner != it.key())
                continue;
            if (!it->alive || !it->haveDirectory)
                info.state = DeviceState::Disconnected;
            wanted.insert(info.id, info);
        }
    }
    // A local device that loses to another live node's is not announced to
    // the cluster (every node takes the winner's). Here the CompositeBus
    // keeps the local one, added first, and refuses the winner's with a
    // device_error; the line below says why.
    const QList<DeviceInfo> local = m_local->devices();
    for (const DeviceInfo &info : local) {
        const QString owner = winner(info.id);
        if (owner != m_config.node && m_peers.value(owner).alive) {
            const QString key = info.id + QLatin1Char('@') + owner;
            if (!m_reportedDuplicates.contains(key)) {
                m_reportedDuplicates.insert(key);
                qCWarning(lcCluster).noquote()
                        << QStringLiteral("device id '%1' is already announced by node %2; "
                                          "this node's device of that id is not announced")
                               .arg(info.id, owner);
            }
        }
    }
    m_remote->reconcile(wanted);
    recomputeInterest();
    Q_EMIT changed();
}

void ClusterNode::recomputeInterest()
{
    QSet<QString> published;
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        if (!it->alive)
            continue;
        for (const QString &device : it->watching) {
            if (winner(device) == m_config.node)
                published.insert(device);
        }
    }
    m_published = published;
}

void ClusterNode::watchChanged(const QString &device, bool watched)
{
    const QByteArray ch = channel(QStringLiteral("tm"), device);
    if (watched)
        m_subscriber->subscribe(ch);
    else
        m_subscriber->unsubscribe(ch);
    QVariantMap m = message(QStringLiteral("w"));
    m.insert(QStringLiteral("d"), device);
    m.insert(QStringLiteral("on"), watched);
    publish(channel(QStringLiteral("bus")), m);
}

void ClusterNode::onLocalSample(const Sample &sample)
{
    if (!m_published.contains(sample.device))
        return;
    // Numbered whether or not Redis takes it: a dropped one is a gap there.
    const quint64 seq = ++m_seq[sample.device];
    QVariantList values;
    values.reserve(sample.values.size() * 2);
    for (const ChannelValue &v : sample.values) {
        values.append(v.channel);
        values.append(v.value);
    }
    QVariantMap m;
    m.insert(QStringLiteral("q"), qlonglong(seq));
    m.insert(QStringLiteral("ts"), sample.timestampUs);
    m.insert(QStringLiteral("v"), values);
    if (publish(channel(QStringLiteral("tm"), sample.device), m))
        ++m_samplesPublished;
}

void ClusterNode::onSampleMessage(const QString &device, const QVariantMap &m)
{
    Sample sample;
    sample.device = device;
    sample.timestampUs = integer(m, "ts");
    const QVariantList values = m.value(QStringLiteral("v")).toList();
    for (qsizetype i = 0; i + 1 < values.size(); i += 2)
        sample.values.append({values[i].toString(), values[i + 1]});
    m_remote->deliverSample(std::move(sample), quint64(integer(m, "q")));
}

bool ClusterNode::sendHanded(const QString &node, quint64 ticket, const HandedCommand &command)
{
    if (!m_peers.value(node).alive)
        return false;
    QVariantMap m = message(QStringLiteral("cmd"));
    m.insert(QStringLiteral("i"), m_instance);
    m.insert(QStringLiteral("k"), qlonglong(ticket));
    m.insert(QStringLiteral("d"), command.device);
    m.insert(QStringLiteral("c"), command.command);
    m.insert(QStringLiteral("p"), command.params);
    m.insert(QStringLiteral("to"), command.timeoutMs);
    m.insert(QStringLiteral("r"), command.retries);
    if (!command.key.isEmpty()) {
        m.insert(QStringLiteral("key"), command.key);
        m.insert(QStringLiteral("pr"), command.principal);
    }
    m.insert(QStringLiteral("id"), command.commandId);
    if (m_stopped || !m_commands->isConnected())
        return false;
    // No one listening on the owner's channel (its link to Redis is down
    // for a moment): the command never reaches it, so it is answered now
    // rather than never. Redis taking it and the owner losing it on the way
    // (a connection broken with it in flight) is covered by sending it
    // again until the owner confirms it.
    const QByteArray payload = halhub::msgpack::write(m);
    const QPointer<ClusterNode> self(this);
    const bool taken = m_commands->publish(
            channel(QStringLiteral("to"), node), payload,
            [self, node, ticket, device = command.device](qint64 receivers) {
                if (!self || receivers != 0)
                    return;
                self->m_handedOut.remove(ticket);
                self->m_remote->deliverHandedResult(
                        ticket, HandedResult::error(
                                QStringLiteral("device_unavailable"),
                                QStringLiteral("node %1 of device %2 did not get the command: "
                                               "it is not listening on Redis")
                                        .arg(node, device)));
            });
    if (!taken) {
        ++m_publishesDropped;
        return false;
    }
    m_handedOut.insert(ticket, {node, payload, m_clock.elapsed(), false});
    return true;
}

void ClusterNode::resendHanded(bool all)
{
    if (m_stopped || !redisConnected())
        return;
    const qint64 now = m_clock.elapsed();
    for (auto it = m_handedOut.begin(); it != m_handedOut.end();) {
        // Answered, cancelled, or ended with its owner: nothing to ask.
        if (!m_remote->isHanded(it.key())) {
            it = m_handedOut.erase(it);
            continue;
        }
        if (all || (!it->confirmed && now - it->sentMs >= m_config.heartbeatMs)) {
            qCDebug(lcCluster).noquote() << "command" << it.key() << "sent again to node" << it->node;
            if (m_commands->publish(channel(QStringLiteral("to"), it->node), it->payload)) {
                it->sentMs = now;
                it->confirmed = false;
            }
        }
        ++it;
    }
}

void ClusterNode::rememberAnswer(const QString &node, const QString &instance, quint64 ticket,
                                 const QByteArray &payload)
{
    const QPair<QString, quint64> key{node, ticket};
    const qint64 now = m_clock.elapsed();
    if (const auto had = m_answered.constFind(key); had != m_answered.cend())
        m_answeredBytes -= had->payload.size();
    else
        m_answeredOrder.push_back(key);
    m_answered.insert(key, {instance, payload, now});
    m_answeredBytes += payload.size();
    // Oldest first: gone (its node went), too old, or beyond the bounds.
    while (!m_answeredOrder.empty()) {
        const auto oldest = m_answered.constFind(m_answeredOrder.front());
        const bool stale = oldest == m_answered.cend() || now - oldest->atMs > kAnswerKeptMs
                || qsizetype(m_answeredOrder.size()) > kMaxAnswersKept
                || m_answeredBytes > kMaxAnswersKeptBytes;
        if (!stale)
            break;
        if (oldest != m_answered.cend()) {
            m_answeredBytes -= oldest->payload.size();
            m_answered.erase(oldest);
        }
        m_answeredOrder.pop_front();
    }
}

void ClusterNode::sendAnswer(const QString &node, const QString &instance, const QByteArray &payload)
{
    if (m_stopped)
        return;
    const QPointer<ClusterNode> self(this);
    const bool taken = m_commands->isConnected()
            && m_commands->publish(channel(QStringLiteral("to"), node), payload,
                                   [self, node, instance, payload](qint64 receivers) {
                                       if (self && receivers <= 0)
                                           self->keepAnswer(node, instance, payload);
                                   });
    if (!taken) {
        ++m_publishesDropped;
        keepAnswer(node, instance, payload);
    }
}

void ClusterNode::keepAnswer(const QString &node, const QString &instance, const QByteArray &payload)
{
    // For the node as it was when it handed the command over: gone or
    // restarted, it has answered its client itself.
    const auto peer = m_peers.constFind(node);
    if (peer == m_peers.cend() || !peer->alive || peer->instance != instance)
        return;
    QList<Answer> &list = m_answersWaiting[node];
    if (list.size() >= kMaxAnswersWaiting) {
        qCWarning(lcCluster).noquote()
                << "node" << node << "takes no command results: the oldest one is dropped";
        list.removeFirst();
    }
    list.append({instance, payload, m_clock.elapsed()});
    qCDebug(lcCluster).noquote() << "a command result for node" << node << "waits to be sent again";
}

void ClusterNode::resendAnswers(const QString &node)
{
    const auto it = m_answersWaiting.find(node);
    if (it == m_answersWaiting.end())
        return;
    const QList<Answer> list = std::move(*it);
    m_answersWaiting.erase(it);
    const qint64 now = m_clock.elapsed();
    for (const Answer &a : list) {
        if (now - a.keptMs <= kAnswerKeptMs)
            sendAnswer(node, a.instance, a.payload);
    }
}

int ClusterNode::answersWaiting() const
{
    int n = 0;
    for (const QList<Answer> &list : m_answersWaiting)
        n += int(list.size());
    return n;
}

QString ClusterNode::redisError() const
{
    const QString commands = m_commands->lastError();
    return commands.isEmpty() ? m_subscriber->lastError() : commands;
}

void ClusterNode::sendHandedCancel(const QString &node, quint64 ticket)
{
    QVariantMap m = message(QStringLiteral("hcan"));
    m.insert(QStringLiteral("k"), qlonglong(ticket));
    publish(channel(QStringLiteral("to"), node), m);
}

void ClusterNode::takeHanded(const QVariantMap &m)
{
    const QString from = str(m, "n");
    const QString instance = str(m, "i");
    const quint64 ticket = quint64(integer(m, "k"));
    // Sent again: the sender did not hear from us yet. It is here, or it
    // was answered (that answer again), or withdrawn; it never runs twice.
    if (const auto here = m_handedIn.constFind({from, ticket}); here != m_handedIn.cend()) {
        if (const auto link = std::static_pointer_cast<Handed>(here->lock()))
            link->confirm();
        return;
    }
    if (const auto done = m_answered.constFind({from, ticket});
        done != m_answered.cend() && done->instance == instance) {
        if (!done->payload.isEmpty())
            sendAnswer(from, instance, done->payload);
        return;
    }
    HandedCommand c;
    c.device = str(m, "d");
    c.command = str(m, "c");
    c.params = m.value(QStringLiteral("p")).toMap();
    c.timeoutMs = int(std::clamp<qint64>(integer(m, "to"), 1, 60000));
    c.retries = int(std::clamp<qint64>(integer(m, "r"), 0, 5));
    c.key = str(m, "key");
    c.principal = str(m, "pr");
    c.commandId = str(m, "id");
    auto link = std::make_shared<Handed>(this, from, instance, ticket, c);
    const auto refuse = [&](const QString &code, const QString &text) {
        link->finished(HandedResult::error(code, text));
    };
    const std::optional<DeviceInfo> info = m_local->device(c.device);
    if (from.isEmpty() || !info || winner(c.device) != m_config.node)
        return refuse(QStringLiteral("device_unavailable"),
                      QStringLiteral("device %1 is not on node %2").arg(c.device, m_config.node));
    m_handedIn.insert({from, ticket}, link);
    // The router checks it (state, command, params, key) and queues it
    // beside this node's own clients' commands.
    m_remote->handToRouter(link);
    if (!link->answered && !link->cancel) {
        m_handedIn.remove({from, ticket});
        refuse(QStringLiteral("device_unavailable"),
               QStringLiteral("node %1 takes no commands").arg(m_config.node));
        return;
    }
    if (!link->answered)
        link->confirm();
}

void ClusterNode::withdrawHanded(const QString &from, quint64 ticket)
{
    const std::weak_ptr<HandedCommandLink> weak = m_handedIn.take({from, ticket});
    if (const auto link = weak.lock()) {
        if (link->cancel)
            link->cancel();
    }
}

void ClusterNode::onDirectMessage(const QVariantMap &m)
{
    const QString type = str(m, "t");
    if (type == QLatin1String("cmd")) {
        takeHanded(m);
    } else if (type == QLatin1String("hcan")) {
        const QString from = str(m, "n");
        const quint64 ticket = quint64(integer(m, "k"));
        // Withdrawn: the same command sent again later is not run.
        const auto peer = m_peers.constFind(from);
        if (peer != m_peers.cend())
            rememberAnswer(from, peer->instance, ticket, QByteArray());
        withdrawHanded(from, ticket);
    } else if (type == QLatin1String("hq") || type == QLatin1String("hst")
               || type == QLatin1String("hres")) {
        // Answers meant for this node's instance only.
        if (str(m, "i") != m_instance)
            return;
        const quint64 ticket = quint64(integer(m, "k"));
        if (type != QLatin1String("hres")) {
            if (const auto out = m_handedOut.find(ticket); out != m_handedOut.end())
                out->confirmed = true;
            if (type == QLatin1String("hst"))
                m_remote->deliverHandedStarted(ticket);
            return;
        }
        m_handedOut.remove(ticket);
        HandedResult r;
        r.commandId = str(m, "id");
        r.status = str(m, "s");
        r.result = m.value(QStringLiteral("r"));
        r.errorCode = str(m, "ec");
        r.errorMessage = str(m, "em");
        r.attempts = int(integer(m, "a"));
        r.durationMs = integer(m, "ms");
        m_remote->deliverHandedResult(ticket, r);
    }
}

QStringList ClusterNode::liveNodes() const
{
    QStringList names{m_config.node};
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        if (it->alive)
            names.append(it.key());
    }
    names.sort();
    return names;
}

QList<ClusterNode::NodeView> ClusterNode::nodes() const
{
    QList<NodeView> list;
    NodeView self;
    self.name = m_config.node;
    self.alive = true;
    self.self = true;
    const QList<DeviceInfo> local = m_local->devices();
    for (const DeviceInfo &info : local)
        self.devices.append(info.id);
    list.append(self);
    for (auto it = m_peers.cbegin(); it != m_peers.cend(); ++it) {
        NodeView v;
        v.name = it.key();
        v.alive = it->alive;
        for (const DeviceInfo &info : it->devices)
            v.devices.append(info.id);
        list.append(v);
    }
    std::sort(list.begin() + 1, list.end(),
              [](const NodeView &a, const NodeView &b) { return a.name < b.name; });
    return list;
}

QVariantMap ClusterNode::status() const
{
    QVariantMap m;
    m.insert(QStringLiteral("node"), m_config.node);
    m.insert(QStringLiteral("nodes"), liveNodes());
    m.insert(QStringLiteral("redis"), redisConnected() ? QStringLiteral("connected")
                                                       : QStringLiteral("disconnected"));
    if (!redisConnected() && !redisError().isEmpty())
        m.insert(QStringLiteral("redis_error"), redisError());
    // What this node has waiting toward Redis: bounded by RedisConnection's
    // limits, whatever Redis does (docs/protocol.md section 12).
    m.insert(QStringLiteral("redis_waiting_bytes"), m_commands->waitingBytes());
    m.insert(QStringLiteral("redis_in_flight"), m_commands->inFlight());
    m.insert(QStringLiteral("publishes_dropped"), m_publishesDropped);
    m.insert(QStringLiteral("answers_waiting"), answersWaiting());
    return m;
}

} // namespace halhub
