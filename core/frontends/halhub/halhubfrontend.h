#pragma once

#include "config/config.h"
#include "frontends/frontend.h"

#include <QVariant>
#include <QVariantMap>

#include <functional>
#include <unordered_map>

namespace halhub {

class Authenticator;
class Connection;
class Hub;
class Recorder;
class Session;
class SessionManager;
struct CommandOrigin;
struct DeviceEvent;
struct StreamStats;

// What the front end knows of one of its connections, for the GUI and metrics.
struct HalhubClientInfo
{
    QString session;                // empty until a request made one
    QString principal;              // the session's user, else the connection's
    QString client;                 // `client` of the last hello
    int streams = 0;
};

// The halhub protocol (docs/protocol.md) over the hub: the meaning of every
// request of section 3, sessions and resume (section 8), the slow-consumer
// rules of each stream (section 7, in Session), and device events passed on
// as `event` messages. The hub's parts are shared with every other front
// end; sessions are this front end's own.
//
// It is given connections that already speak the halhub envelope (a
// Connection: decoded, size- and rate-checked messages; a ClientConnection
// in the server, an in-memory one in tests) and keeps each one's protocol
// state once, for the life of the connection.
class HalhubFrontend final : public Frontend
{
    Q_OBJECT
public:
    HalhubFrontend(const Config &config, Hub *hub, const Authenticator *auth,
                   std::function<QVariantMap()> metrics, QObject *parent = nullptr);
    ~HalhubFrontend() override;

    // Every upgrade that no other front end took.
    bool accepts(const QNetworkRequest &upgrade) const override;
    void addConnection(Connection *connection) override;
    // Every connection is told with server_shutdown.
    void announceShutdown() override;

    // Serves record_start, record_stop and list_recordings (section 15);
    // without one they are answered with `internal`.
    void setRecorder(Recorder *recorder) { m_recorder = recorder; }

    std::optional<HalhubClientInfo> clientInfo(quint64 connection) const;
    int sessionCount() const;
    // Every stream of every session, detached sessions' included.
    int streamCount() const override;
    QList<StreamStats> streamStats() const;

Q_SIGNALS:
    // Every device event sent to clients, as sent (for the GUI's log).
    void eventBroadcast(const QVariantMap &event);

private:
    struct Client;

    void handle(Client &client, const QVariantMap &message, const QString &type,
                const QVariant &id);
    void removeConnection(Connection *connection);
    void hello(Client &client, const QVariantMap &message, const QVariant &id);
    void subscribe(Client &client, const QVariantMap &message, const QVariant &id);
    void unsubscribe(Client &client, const QVariantMap &message, const QVariant &id);
    void command(Client &client, const QVariantMap &message, const QVariant &id);
    void cancel(Client &client, const QVariantMap &message, const QVariant &id);
    void recordStart(Client &client, const QVariantMap &message, const QVariant &id);
    void recordStop(Client &client, const QVariantMap &message, const QVariant &id);
    void listRecordings(Client &client, const QVariant &id);
    // The audit record of a record_start or record_stop (status ok or an error code).
    void auditRecording(const Client &client, const QString &type, const QVariantMap &message,
                        const QString &status, const QString &error, const QString &recording);

    Session *ensureSession(Client &client);
    void attach(Client &client, Session *session);
    void refuse(Client &client, const QString &code, const QString &why, const QString &type,
                const QVariantMap &message, const QVariant &id);
    CommandOrigin originOf(const Client &client) const;
    void reply(Client &client, const QVariantMap &message, const QVariant &id);
    void error(Client &client, const QString &code, const QString &message, const QVariant &id);
    void onDeviceEvent(const DeviceEvent &event);
    void broadcast(const QVariantMap &event);

    Config m_config;
    Hub *m_hub = nullptr;
    const Authenticator *m_auth = nullptr;
    std::function<QVariantMap()> m_metrics;
    SessionManager *m_sessions = nullptr;
    Recorder *m_recorder = nullptr;
    // By connection id. unordered_map: an entry stays in place while others
    // come and go during a request.
    std::unordered_map<quint64, Client> m_clients;
};

} // namespace halhub
