#include "cluster/redisconnection.h"

#include "cluster/clusterlogging.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include <QSocketNotifier>

#include <vector>

namespace halhub {

namespace {

constexpr int kConnectTimeoutMs = 2000;
constexpr int kFirstBackoffMs = 100;

struct PendingReply
{
    RedisConnection *connection = nullptr;
    RedisConnection::ReplyFn fn;
};

} // namespace

// hiredis' event hooks and callbacks, all called on the main thread from
// inside redisAsyncHandleRead/Write or redisAsyncFree.
struct RedisHooks
{
    static RedisConnection *of(const redisAsyncContext *ctx)
    {
        return static_cast<RedisConnection *>(ctx->data);
    }
    static void addRead(void *data) { static_cast<RedisConnection *>(data)->setReading(true); }
    static void delRead(void *data) { static_cast<RedisConnection *>(data)->setReading(false); }
    static void addWrite(void *data) { static_cast<RedisConnection *>(data)->setWriting(true); }
    static void delWrite(void *data) { static_cast<RedisConnection *>(data)->setWriting(false); }
    static void cleanup(void *data)
    {
        RedisConnection *c = static_cast<RedisConnection *>(data);
        c->setReading(false);
        c->setWriting(false);
        // Called from inside a notifier's own signal at times.
        if (c->m_read)
            c->m_read->deleteLater();
        if (c->m_write)
            c->m_write->deleteLater();
        c->m_read = nullptr;
        c->m_write = nullptr;
    }
    static void onConnect(const redisAsyncContext *ctx, int status)
    {
        RedisConnection *c = of(ctx);
        if (c && c->m_ctx == ctx)
            c->onConnect(status, ctx->errstr);
    }
    static void onHello(redisAsyncContext *ctx, void *reply, void *privdata)
    {
        Q_UNUSED(privdata);
        RedisConnection *c = of(ctx);
        if (c && c->m_ctx == ctx && reply)
            c->onHello(reply);
    }
    static void onDisconnect(const redisAsyncContext *ctx, int status)
    {
        Q_UNUSED(status);
        RedisConnection *c = of(ctx);
        if (c && c->m_ctx == ctx)
            c->onDisconnect();
    }
    static void onReply(redisAsyncContext *ctx, void *reply, void *privdata)
    {
        Q_UNUSED(ctx);
        std::unique_ptr<PendingReply> pending(static_cast<PendingReply *>(privdata));
        if (!pending || !pending->connection)
            return;
        --pending->connection->m_inFlight;
        if (pending->fn)
            pending->fn(reply);
    }
    static void onSubscriberReply(redisAsyncContext *ctx, void *reply, void *privdata)
    {
        Q_UNUSED(privdata);
        RedisConnection *c = of(ctx);
        if (c && reply)
            c->onSubscriberReply(reply);
    }
};

RedisConnection::RedisConnection(const RedisEndpoint &endpoint, Role role, QObject *parent)
    : QObject(parent)
    , m_endpoint(endpoint)
    , m_role(role)
    , m_backoffMs(kFirstBackoffMs)
{
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectTimeout.setSingleShot(true);
    m_connectTimeout.setInterval(kConnectTimeoutMs);
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        if (m_ctx && !m_connected) {
            failed(QStringLiteral("no answer within %1 s").arg(kConnectTimeoutMs / 1000));
            teardown();
            scheduleReconnect();
        }
    });
}

RedisConnection::~RedisConnection()
{
    m_started = false;
    teardown();
}

void RedisConnection::start()
{
    if (m_started)
        return;
    m_started = true;
    connectNow();
}

void RedisConnection::connectNow()
{
    if (!m_started || m_ctx)
        return;
    const QByteArray path = m_endpoint.socketPath.toLocal8Bit();
    const QByteArray host = m_endpoint.host.toLatin1();
    redisAsyncContext *ctx = m_endpoint.socketPath.isEmpty()
            ? redisAsyncConnect(host.constData(), m_endpoint.port)
            : redisAsyncConnectUnix(path.constData());
    if (!ctx) {
        scheduleReconnect();
        return;
    }
    if (ctx->err) {
        failed(QString::fromLocal8Bit(ctx->errstr));
        redisAsyncFree(ctx);
        scheduleReconnect();
        return;
    }
    m_ctx = ctx;
    ctx->data = this;
    const int fd = ctx->c.fd;
    m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_read->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this] {
        if (m_ctx)
            redisAsyncHandleRead(m_ctx);
    });
    m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_write->setEnabled(false);
    connect(m_write, &QSocketNotifier::activated, this, [this] {
        if (m_ctx)
            redisAsyncHandleWrite(m_ctx);
    });
    ctx->ev.data = this;
    ctx->ev.addRead = &RedisHooks::addRead;
    ctx->ev.delRead = &RedisHooks::delRead;
    ctx->ev.addWrite = &RedisHooks::addWrite;
    ctx->ev.delWrite = &RedisHooks::delWrite;
    ctx->ev.cleanup = &RedisHooks::cleanup;
    redisAsyncSetConnectCallback(ctx, &RedisHooks::onConnect);
    redisAsyncSetDisconnectCallback(ctx, &RedisHooks::onDisconnect);
    // The connect completes when the socket turns writable.
    setWriting(true);
    m_connectTimeout.start();
}

void RedisConnection::onConnect(int status, const char *error)
{
    if (status != REDIS_OK) {
        m_connectTimeout.stop();
        failed(QString::fromLocal8Bit(error));
        // hiredis frees the context after this callback.
        m_ctx = nullptr;
        scheduleReconnect();
        return;
    }
    // Not connected until Redis takes the credentials (AUTH) or, without
    // any, answers a PING: a Redis that wants a password says so here, not
    // by refusing every command later. The connect timeout runs on.
    QList<QByteArray> hello{QByteArrayLiteral("PING")};
    if (!m_endpoint.password.isEmpty()) {
        hello = {QByteArrayLiteral("AUTH")};
        if (!m_endpoint.user.isEmpty())
            hello.append(m_endpoint.user.toUtf8());
        hello.append(m_endpoint.password.toUtf8());
    }
    sendArgv(hello, &RedisHooks::onHello, nullptr);
}

int RedisConnection::sendArgv(const QList<QByteArray> &args, RedisCallback callback, void *privdata)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    return redisAsyncCommandArgv(m_ctx, callback, privdata, int(argv.size()), argv.data(),
                                 lengths.data());
}

void RedisConnection::onHello(const void *r)
{
    const redisReply *reply = static_cast<const redisReply *>(r);
    if (reply->type == REDIS_REPLY_ERROR) {
        failed(QStringLiteral("Redis refused %1: %2")
                   .arg(m_endpoint.password.isEmpty() ? QStringLiteral("a client without a password")
                                                      : QStringLiteral("this node's credentials"),
                        QString::fromUtf8(reply->str, qsizetype(reply->len))));
        // Not from inside hiredis' own callback.
        QMetaObject::invokeMethod(
                this,
                [this] {
                    if (m_ctx && !m_connected) {
                        teardown();
                        scheduleReconnect();
                    }
                },
                Qt::QueuedConnection);
        return;
    }
    m_connectTimeout.stop();
    m_connected = true;
    m_backoffMs = kFirstBackoffMs;
    m_lastError.clear();
    qCInfo(lcCluster) << "redis connected"
                      << (m_role == Role::Subscriber ? "(subscriber)" : "(commands)");
    if (m_role == Role::Subscriber) {
        for (const QByteArray &channel : std::as_const(m_channels))
            sendSubscription("SUBSCRIBE", channel);
    }
    Q_EMIT connected();
}

void RedisConnection::onDisconnect()
{
    // hiredis frees the context after this callback.
    m_ctx = nullptr;
    const bool was = std::exchange(m_connected, false);
    m_inFlight = 0;
    if (was) {
        qCWarning(lcCluster) << "redis connection lost"
                             << (m_role == Role::Subscriber ? "(subscriber)" : "(commands)");
        Q_EMIT disconnected();
    }
    scheduleReconnect();
}

void RedisConnection::failed(const QString &reason)
{
    // Once per reason, not once per retry.
    if (reason == m_lastError)
        return;
    m_lastError = reason;
    qCWarning(lcCluster).noquote() << "redis:" << reason
                                   << (m_role == Role::Subscriber ? "(subscriber)" : "(commands)");
}

void RedisConnection::scheduleReconnect()
{
    if (!m_started || m_reconnect.isActive())
        return;
    m_reconnect.start(m_backoffMs);
    m_backoffMs = std::min(m_backoffMs * 2, kMaxBackoffMs);
}

void RedisConnection::teardown()
{
    m_connectTimeout.stop();
    redisAsyncContext *ctx = std::exchange(m_ctx, nullptr);
    m_connected = false;
    if (ctx) {
        // Pending replies are called with null from inside the free: their
        // owners may be going away, so they are answered into nothing.
        const bool started = m_started;
        m_started = false;
        redisAsyncFree(ctx);
        m_started = started;
    }
    m_inFlight = 0;
}

void RedisConnection::reset()
{
    const bool was = m_connected;
    teardown();
    if (was)
        Q_EMIT disconnected();
    scheduleReconnect();
}

void RedisConnection::flush()
{
    if (m_ctx && m_connected)
        redisAsyncHandleWrite(m_ctx);
}

void RedisConnection::setReading(bool on)
{
    if (m_read)
        m_read->setEnabled(on);
}

void RedisConnection::setWriting(bool on)
{
    if (m_write)
        m_write->setEnabled(on);
}

bool RedisConnection::command(const QList<QByteArray> &args, ReplyFn onReply)
{
    if (!m_connected || !m_ctx || m_role != Role::Commands || m_inFlight >= kMaxInFlight
        || waitingBytes() >= kMaxWaitingBytes) {
        ++m_dropped;
        return false;
    }
    auto *pending = new PendingReply{this, std::move(onReply)};
    if (sendArgv(args, &RedisHooks::onReply, pending) != REDIS_OK) {
        delete pending;
        ++m_dropped;
        return false;
    }
    ++m_inFlight;
    return true;
}

qint64 RedisConnection::waitingBytes() const
{
    return m_ctx && m_ctx->c.obuf ? qint64(sdslen(m_ctx->c.obuf)) : 0;
}

bool RedisConnection::publish(const QByteArray &channel, const QByteArray &message)
{
    return command({QByteArrayLiteral("PUBLISH"), channel, message});
}

bool RedisConnection::publish(const QByteArray &channel, const QByteArray &message,
                              std::function<void(qint64 receivers)> onDelivered)
{
    return command({QByteArrayLiteral("PUBLISH"), channel, message},
                   [onDelivered = std::move(onDelivered)](const void *r) {
                       const redisReply *reply = static_cast<const redisReply *>(r);
                       onDelivered(reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1);
                   });
}

void RedisConnection::subscribe(const QByteArray &channel)
{
    if (m_channels.contains(channel))
        return;
    m_channels.append(channel);
    if (m_connected)
        sendSubscription("SUBSCRIBE", channel);
}

void RedisConnection::unsubscribe(const QByteArray &channel)
{
    if (!m_channels.removeOne(channel))
        return;
    if (m_connected)
        sendSubscription("UNSUBSCRIBE", channel);
}

void RedisConnection::sendSubscription(const char *verb, const QByteArray &channel)
{
    const char *argv[] = {verb, channel.constData()};
    const size_t lengths[] = {strlen(verb), size_t(channel.size())};
    redisAsyncCommandArgv(m_ctx, &RedisHooks::onSubscriberReply, nullptr, 2, argv, lengths);
}

void RedisConnection::onSubscriberReply(const void *r)
{
    const redisReply *reply = static_cast<const redisReply *>(r);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    const redisReply *kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING || qstrncmp(kind->str, "message", 8) != 0)
        return;
    const redisReply *channel = reply->element[1];
    const redisReply *payload = reply->element[2];
    if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING)
        return;
    Q_EMIT messageReceived(QByteArray(channel->str, qsizetype(channel->len)),
                           QByteArray(payload->str, qsizetype(payload->len)));
}

} // namespace halhub
