#pragma once

#include "bus/deviceinfo.h"
#include "bus/devicebus.h"
#include "config/config.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPair>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>

namespace halhub {

class DeviceBus;
class RedisConnection;
class RemoteBus;

// This node's side of a cluster (docs/protocol.md section 12; the design is
// in docs/architecture.md, "Cluster"). Over two Redis connections (commands
// and publishes; subscriptions) it
//   - announces this node (heartbeat every heartbeat_ms, with the devices
//     it watches) and its local devices (the directory, on every change),
//   - follows the other nodes: alive while their heartbeats come, dead
//     after node_timeout_ms without one or at once on their `bye`,
//   - shows their devices through remoteBus(), which the CompositeBus
//     takes beside the local HAL,
//   - publishes a local device's samples while another node watches it,
//   - runs the command attempts other nodes send for local devices on the
//     local bus, and answers them.
class ClusterNode final : public QObject
{
    Q_OBJECT
public:
    // local: the bus of this node's own devices (the HAL), not owned.
    ClusterNode(const ClusterConfig &config, DeviceBus *local, QObject *parent = nullptr);
    ~ClusterNode() override;

    RemoteBus *remoteBus() const { return m_remote; }
    QString nodeName() const { return m_config.node; }

    void start();
    // A clean stop: the other nodes hear at once that this one is gone.
    void stop();

    // Observation (metrics, GUI).
    bool redisConnected() const;
    // Round trip of the last heartbeat through Redis, in ms; -1: none yet.
    double redisRoundTripMs() const { return m_rttMs; }
    // Live nodes, this one included, sorted.
    QStringList liveNodes() const;
    struct NodeView
    {
        QString name;
        bool alive = false;
        bool self = false;
        QStringList devices;
    };
    QList<NodeView> nodes() const;
    // `metrics`' cluster: {node, nodes, redis}.
    QVariantMap status() const;
    // Sample messages published since start (for tests and the bench).
    qint64 samplesPublished() const { return m_samplesPublished; }
    // Messages Redis did not take (away, or too much waiting for it) since start.
    qint64 publishesDropped() const { return m_publishesDropped; }
    // Why the Redis link is down (last failure of either connection);
    // empty while connected.
    QString redisError() const;
    // Command results for other nodes that did not reach them yet.
    int answersWaiting() const;

    // For the RemoteBus.
    bool sendHanded(const QString &node, quint64 ticket, const HandedCommand &command);
    void sendHandedCancel(const QString &node, quint64 ticket);
    void watchChanged(const QString &device, bool watched);

Q_SIGNALS:
    // Nodes, their devices or the Redis link changed.
    void changed();

private:
    struct Peer
    {
        QString instance;
        qint64 startedUs = 0;
        bool alive = false;
        bool haveDirectory = false;
        qint64 directoryVersion = -1;
        qint64 lastSeenMs = 0;
        qint64 lastAskedMs = -1000000;
        QList<DeviceInfo> devices;
        QSet<QString> watching;
    };
    // A command another node handed to this node's router.
    class Handed;

    QByteArray channel(const QString &kind, const QString &name = {}) const;
    // A message of this node: {t: type, n: node}; an announcement adds its
    // instance, start time and directory version.
    QVariantMap message(const QString &type) const;
    QVariantMap announcement(const QString &type) const;
    bool publish(const QByteArray &channel, const QVariantMap &message);
    // A command's result for the node that handed it: kept and sent again
    // (on that node's next heartbeat, on our own link coming back) until
    // Redis hands it to the node, while that node lives as that instance.
    void sendAnswer(const QString &node, const QString &instance, const QByteArray &payload);
    void keepAnswer(const QString &node, const QString &instance, const QByteArray &payload);
    void resendAnswers(const QString &node);
    // What was answered to a handed command, so that the same command sent
    // again is answered again (or, withdrawn, ignored), never run twice.
    void rememberAnswer(const QString &node, const QString &instance, quint64 ticket,
                        const QByteArray &payload);
    // Sends again every handed command the owner has not confirmed for
    // heartbeat_ms (all of them when `all`: our link came back, and any
    // answer may have been lost with it).
    void resendHanded(bool all);
    void publishDirectory();
    void publishHeartbeat();
    void askDirectory(const QString &node);
    void onLinkUp();
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onBusMessage(const QVariantMap &m);
    void onDirectMessage(const QVariantMap &m);
    void onSampleMessage(const QString &device, const QVariantMap &m);
    Peer &peerFor(const QString &node, const QVariantMap &m);
    void peerGone(const QString &node, const QString &why);
    void checkLiveness();
    void refresh();
    void recomputeInterest();
    void takeHanded(const QVariantMap &m);
    void withdrawHanded(const QString &from, quint64 ticket);
    void onLocalSample(const Sample &sample);
    QString winner(const QString &device) const;

    ClusterConfig m_config;
    DeviceBus *m_local = nullptr;
    RemoteBus *m_remote = nullptr;
    RedisConnection *m_commands = nullptr;
    RedisConnection *m_subscriber = nullptr;
    QString m_instance;
    qint64 m_startedUs = 0;
    qint64 m_directoryVersion = 0;
    QElapsedTimer m_clock;
    QTimer m_heartbeat;
    QTimer m_liveness;
    bool m_stopped = false;
    QHash<QString, Peer> m_peers;
    // Local devices some live node watches: their samples are published.
    QSet<QString> m_published;
    QHash<QString, quint64> m_seq;
    // Handed commands the router here still owes an answer, by sender node
    // and its ticket.
    QHash<QPair<QString, quint64>, std::weak_ptr<HandedCommandLink>> m_handedIn;
    // Commands this node handed to an owner and that are not answered yet:
    // the message, sent again until the owner confirms it (hq, hst).
    struct HandedOut
    {
        QString node;
        QByteArray payload;
        qint64 sentMs = 0;
        bool confirmed = false;
    };
    QHash<quint64, HandedOut> m_handedOut;
    // Answers to handed commands, by sender node and ticket (oldest first
    // in m_answeredOrder), kept like the waiting ones.
    struct Answered
    {
        QString instance;
        QByteArray payload;     // empty: withdrawn
        qint64 atMs = 0;
    };
    QHash<QPair<QString, quint64>, Answered> m_answered;
    std::deque<QPair<QString, quint64>> m_answeredOrder;
    qint64 m_answeredBytes = 0;
    qint64 m_samplesPublished = 0;
    qint64 m_publishesDropped = 0;
    // Heartbeats this node sent, to time their way back.
    qint64 m_heartbeatCount = 0;
    QHash<qint64, qint64> m_heartbeatSentMs;
    qint64 m_lastEchoMs = 0;
    double m_rttMs = -1;
    QSet<QString> m_reportedDuplicates;
    struct Answer
    {
        QString instance;
        QByteArray payload;
        qint64 keptMs = 0;
    };
    QHash<QString, QList<Answer>> m_answersWaiting;
};

} // namespace halhub
