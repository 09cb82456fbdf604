#pragma once

#include "config/config.h"
#include "frontends/frontend.h"
#include "protocol/throttledcount.h"

#include <QHash>
#include <QLoggingCategory>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

Q_DECLARE_LOGGING_CATEGORY(lcFoxglove)   // halhub.foxglove: the Foxglove front end

namespace halhub {

class Authenticator;
class Connection;
class Hub;
struct CommandOrigin;
struct CommandResult;
struct CommandWaiter;
struct DeviceEvent;
struct DeviceInfo;
struct Frame;
struct HttpRequestHead;

// The Foxglove WebSocket protocol (v1) over the hub (docs/protocol.md
// section 14), so that Foxglove, Lichtblick and any client of that protocol
// plot halhub's devices and call their commands:
//
//   each device is one channel (/ID, JSON, a JSON Schema of its samples),
//   advertised and unadvertised as devices come and go;
//   a subscription gets every sample of its device as a Message Data frame;
//   one device feed (a StreamMember) per subscribed device, its payload
//   encoded once per sample and shared by every subscription;
//   each device command is a service /ID/COMMAND whose calls go through the
//   CommandDesk (audit, queues, timeouts, scopes) and always get an answer;
//   device connects, disconnects and errors are status messages.
//
// A slow viewer's oldest data waits in a bounded backlog and is dropped
// first, with a status warning at most once a second. Its connections come
// with raw frames (Connection::frameReceived): the wire is not halhub's.
class FoxgloveFrontend final : public Frontend
{
    Q_OBJECT
public:
    static constexpr qint64 kWarningIntervalMs = 1000;

    FoxgloveFrontend(const Config &config, Hub *hub, const Authenticator *auth,
                     QObject *parent = nullptr);
    ~FoxgloveFrontend() override;

    // Upgrades that offer foxglove.websocket.v1 or foxglove.sdk.v1.
    bool accepts(const QNetworkRequest &upgrade) const override;
    void addConnection(Connection *connection) override;
    // Every viewer gets a status warning.
    void announceShutdown() override;
    // Subscriptions of every viewer.
    int streamCount() const override;

    // Whether a Foxglove upgrade may go ahead (the listener's 401 check).
    bool admitsUpgrade(const HttpRequestHead &head, QByteArray *why) const;

private:
    class Feed;
    struct Viewer;
    struct DeviceChannel;

    void onFrameReceived(quint64 viewer, const QByteArray &data, bool binary);
    void onText(Viewer &viewer, const QByteArray &data);
    // message[field] as a list, or a status error and false.
    bool readList(Viewer &viewer, const QVariantMap &message, const QString &field,
                  QVariantList *out);
    void subscribe(Viewer &viewer, const QVariantMap &message);
    void unsubscribe(Viewer &viewer, const QVariantMap &message);
    void unsubscribeOne(Viewer &viewer, quint32 subscription);
    void serviceCall(Viewer &viewer, const QByteArray &frame);
    void answerCall(Viewer &viewer, quint32 serviceId, quint32 callId, const QByteArray &payload);
    void onResult(const CommandResult &result, const QList<CommandWaiter> &waiters);
    void removeConnection(quint64 viewer);

    void onFrame(const QString &device, const Frame &frame);
    void deliver(Viewer &viewer, quint32 subscription, const QByteArray &bytes, qint64 sampleUs);
    void flushBacklog(Viewer &viewer);
    void reportDrops();

    void onDeviceEvent(const DeviceEvent &event);
    void onDeviceInfoChanged(const DeviceInfo &info);
    DeviceChannel &addDevice(const DeviceInfo &info);
    void removeDevice(const QString &device);
    // Tells viewers of a channel and its services, or that they are gone.
    void announce(const DeviceChannel &channel);
    void retire(DeviceChannel &channel);
    void releaseFeed(DeviceChannel &channel);

    void status(Viewer &viewer, int level, const QString &message, const QString &id = {});
    void broadcast(const QVariantMap &message);
    CommandOrigin originOf(const Viewer &viewer) const;

    Config m_config;
    Hub *m_hub = nullptr;
    const Authenticator *m_auth = nullptr;
    QString m_sessionId;
    quint32 m_nextChannelId = 1;
    quint32 m_nextServiceId = 1;

    // By device id, in id order (advertised in that order).
    std::map<QString, DeviceChannel> m_devices;
    QHash<quint32, QString> m_deviceOfChannel;
    struct ServiceRef
    {
        QString device;
        QString command;
    };
    QHash<quint32, ServiceRef> m_services;
    // By connection id; unordered_map: entries stay in place.
    std::unordered_map<quint64, Viewer> m_viewers;
    QHash<QString, quint64> m_viewerOfSession;
    QTimer m_warnings;
};

} // namespace halhub
