#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>

struct redisAsyncContext;
class QSocketNotifier;

namespace halhub {

// One connection to Redis on the Qt event loop (hiredis' async API driven
// by socket notifiers: never a blocking call). It connects by itself and
// reconnects after a loss with backoff (0.1 s doubling to 5 s); hiredis 0.14
// has no connect timeout, so a connect that hangs is given up after 2 s.
//
// Commands sent while it is not connected are dropped (false), never queued,
// and so are commands beyond kMaxInFlight unanswered ones or while
// kMaxWaitingBytes wait to be written (a paused or stalled server): memory
// stays bounded whatever Redis does.
//
// Right after the socket connects it sends AUTH (the endpoint's user and
// password) or, without credentials, PING; it counts as connected once
// Redis answers that without an error.
//
// A subscriber connection (Role::Subscriber) only SUBSCRIBEs and
// UNSUBSCRIBEs; its messages arrive through messageReceived, and its
// subscriptions are renewed on every reconnect.
class RedisConnection final : public QObject
{
    Q_OBJECT
public:
    enum class Role { Commands, Subscriber };
    static constexpr int kMaxInFlight = 10000;
    static constexpr int kMaxBackoffMs = 5000;
    static constexpr qint64 kMaxWaitingBytes = 4 * 1024 * 1024;

    RedisConnection(const RedisEndpoint &endpoint, Role role, QObject *parent = nullptr);
    ~RedisConnection() override;

    void start();
    // Connected: the socket is up and Redis took the credentials.
    bool isConnected() const { return m_connected; }
    // Why the last try to connect failed (cannot connect, refused
    // credentials, no answer); empty once connected.
    QString lastError() const { return m_lastError; }

    // Commands role. The reply callback gets the reply (null when the
    // connection went away first) and is called at most once.
    using ReplyFn = std::function<void(const void *reply)>;
    bool command(const QList<QByteArray> &args, ReplyFn onReply = {});
    bool publish(const QByteArray &channel, const QByteArray &message);
    // As publish, and then tells how many subscribers Redis handed the
    // message to: 0 when no one listens on the channel now, -1 when the
    // link went before Redis answered.
    bool publish(const QByteArray &channel, const QByteArray &message,
                 std::function<void(qint64 receivers)> onDelivered);
    int inFlight() const { return m_inFlight; }
    qint64 dropped() const { return m_dropped; }
    // Bytes of commands not yet handed to the socket.
    qint64 waitingBytes() const;

    // Subscriber role.
    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);

    // Hands what is waiting to the socket now, without waiting for the
    // event loop (a process about to exit); never blocks.
    void flush();

    // Drops the connection now (a link that stopped answering) and
    // reconnects with the backoff.
    void reset();

Q_SIGNALS:
    void connected();
    void disconnected();
    void messageReceived(const QByteArray &channel, const QByteArray &message);

private:
    friend struct RedisHooks;
    void connectNow();
    void onConnect(int status, const char *error);
    void onHello(const void *reply);
    // Queues one command on the context; hiredis' status (REDIS_OK when queued).
    using RedisCallback = void (*)(redisAsyncContext *, void *, void *);
    int sendArgv(const QList<QByteArray> &args, RedisCallback callback, void *privdata);
    void failed(const QString &reason);
    void onDisconnect();
    void scheduleReconnect();
    void teardown();
    void sendSubscription(const char *verb, const QByteArray &channel);
    void onSubscriberReply(const void *reply);
    void setReading(bool on);
    void setWriting(bool on);

    RedisEndpoint m_endpoint;
    Role m_role = Role::Commands;
    redisAsyncContext *m_ctx = nullptr;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    bool m_connected = false;
    bool m_started = false;
    int m_inFlight = 0;
    qint64 m_dropped = 0;
    int m_backoffMs = 100;
    QTimer m_reconnect;
    QTimer m_connectTimeout;
    QList<QByteArray> m_channels;   // subscriber: what to renew
    QString m_lastError;
};

} // namespace halhub
