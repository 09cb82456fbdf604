#include "commands/commandrouter.h"

#include "bus/devicebus.h"
#include "logging.h"
#include "bus/value.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QPair>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <cmath>
#include <deque>
#include <memory>

namespace halhub {

namespace {

// Idempotency keys are only pruned in passing; this timer bounds how long
// expired entries (and the results they hold) linger on an idle server.
constexpr int kPruneIntervalMs = 60 * 1000;

QString formatBound(double value)
{
    if (std::abs(value) < 1e15 && value == std::trunc(value))
        return QString::number(static_cast<qlonglong>(value));
    return QString::number(value, 'g', 15);
}

// "an integer in [0, 60000]", "a number >= 0", "one of "a", "b"", ...
QString expectation(const ParamSpec &spec)
{
    switch (spec.type) {
    case ParamType::Number:
    case ParamType::Integer: {
        QString text = spec.type == ParamType::Integer ? QStringLiteral("an integer")
                                                       : QStringLiteral("a number");
        if (spec.minimum && spec.maximum)
            text += QStringLiteral(" in [%1, %2]").arg(formatBound(*spec.minimum),
                                                       formatBound(*spec.maximum));
        else if (spec.minimum)
            text += QStringLiteral(" >= %1").arg(formatBound(*spec.minimum));
        else if (spec.maximum)
            text += QStringLiteral(" <= %1").arg(formatBound(*spec.maximum));
        return text;
    }
    case ParamType::Bool:
        return QStringLiteral("a bool");
    case ParamType::String:
        if (spec.allowed.isEmpty())
            return QStringLiteral("a string");
        {
            QStringList quoted;
            quoted.reserve(spec.allowed.size());
            for (const QString &a : spec.allowed)
                quoted.append(QLatin1Char('"') + a + QLatin1Char('"'));
            return QStringLiteral("one of ") + quoted.join(QStringLiteral(", "));
        }
    case ParamType::List:
        return QStringLiteral("a list");
    case ParamType::Any:
        return QStringLiteral("a value");
    }
    return QStringLiteral("a value");
}

bool matches(const ParamSpec &spec, const QVariant &v)
{
    switch (spec.type) {
    case ParamType::Number:
    case ParamType::Integer: {
        const bool typeOk = spec.type == ParamType::Integer
                ? value::isInteger(v)
                : value::isFiniteNumber(v);
        if (!typeOk)
            return false;
        const double d = v.toDouble();
        if (spec.minimum && d < *spec.minimum)
            return false;
        if (spec.maximum && d > *spec.maximum)
            return false;
        return true;
    }
    case ParamType::Bool:
        return value::isBool(v);
    case ParamType::String:
        if (!value::isString(v))
            return false;
        return spec.allowed.isEmpty() || spec.allowed.contains(v.toString());
    case ParamType::List:
        return value::isList(v);
    case ParamType::Any:
        return true;
    }
    return false;
}

bool isCommandName(const QString &name)
{
    if (name.isEmpty())
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z')
                || (u >= u'0' && u <= u'9') || u == u'_';
        if (!ok)
            return false;
    }
    return true;
}

CommandRouter::Submission refusal(const QString &code, const QString &message)
{
    CommandRouter::Submission s;
    s.outcome = CommandRouter::Submission::Outcome::Refused;
    s.errorCode = code;
    s.errorMessage = message;
    return s;
}

} // namespace

QString commandStatusName(CommandResult::Status status)
{
    switch (status) {
    case CommandResult::Status::Ok: return QStringLiteral("ok");
    case CommandResult::Status::Error: return QStringLiteral("error");
    case CommandResult::Status::Timeout: return QStringLiteral("timeout");
    case CommandResult::Status::Cancelled: return QStringLiteral("cancelled");
    }
    return QStringLiteral("error");
}

std::optional<QString> checkCommandParams(const CommandSpec &spec, const QVariantMap &params)
{
    for (const ParamSpec &p : spec.params) {
        const QVariant v = params.value(p.name);
        if (value::isNull(v)) {
            if (p.required)
                return QStringLiteral("params.%1 is required: %2").arg(p.name, expectation(p));
            continue;
        }
        if (!matches(p, v))
            return QStringLiteral("params.%1 must be %2").arg(p.name, expectation(p));
    }
    return std::nullopt;
}

struct CommandRouter::Private
{
    struct Command
    {
        QString id;
        CommandRequest request;
        QList<CommandWaiter> waiters;
        QElapsedTimer sinceAccepted;
        int attempts = 0;
        quint64 ticket = 0;            // of the running attempt; 0: not running
    };
    using CommandPtr = std::shared_ptr<Command>;

    struct DeviceQueue
    {
        CommandPtr running;
        std::deque<CommandPtr> waiting;
        QTimer *timer = nullptr;        // timeout of the running attempt, child of the router
        bool startScheduled = false;
    };

    using KeyId = QPair<QString, QString>; // principal, key

    struct KeyEntry
    {
        QString commandId;
        QString device;
        QString command;
        QVariantMap params;
        qint64 lastUsedMs = 0;
        std::optional<CommandResult> finished;
    };

    CommandRouter *q = nullptr;
    QPointer<DeviceBus> bus;
    QHash<QString, DeviceQueue> queues;
    QHash<QString, CommandPtr> pending;          // by command id: running and waiting
    QHash<quint64, QString> tickets;             // running attempt -> device
    quint64 lastTicket = 0;

    QHash<KeyId, KeyEntry> keys;
    std::deque<QPair<qint64, KeyId>> keyUses;    // in time order, for pruning
    QElapsedTimer clock;
    QTimer pruneTimer;

    qint64 now() const { return clock.elapsed(); }

    QString newCommandId() const
    {
        QString id;
        do {
            const quint64 r = QRandomGenerator::global()->generate64();
            id = QLatin1Char('c') + QStringLiteral("%1").arg(r, 16, 16, QLatin1Char('0'));
        } while (pending.contains(id));
        return id;
    }

    void pruneKeys()
    {
        const qint64 t = now();
        while (!keyUses.empty() && t - keyUses.front().first >= kIdempotencyWindowMs) {
            const KeyId id = keyUses.front().second;
            keyUses.pop_front();
            // A later use pushed its own record; only the newest one removes.
            const auto it = keys.find(id);
            if (it != keys.end() && t - it->lastUsedMs >= kIdempotencyWindowMs)
                keys.erase(it);
        }
    }

    void touchKey(const KeyId &id, KeyEntry &entry)
    {
        entry.lastUsedMs = now();
        keyUses.emplace_back(entry.lastUsedMs, id);
    }

    CommandResult makeResult(const Command &c, CommandResult::Status status) const
    {
        CommandResult r;
        r.commandId = c.id;
        r.device = c.request.device;
        r.command = c.request.command;
        r.status = status;
        r.attempts = c.attempts;
        r.durationMs = c.sinceAccepted.elapsed();
        r.finishedAtMs = QDateTime::currentMSecsSinceEpoch();
        return r;
    }

    // Forgets the command and remembers its result for its idempotency key.
    // The caller emits resultReady once its own state is consistent.
    void retire(const Command &c, const CommandResult &result)
    {
        pending.remove(c.id);
        if (c.request.key.isEmpty())
            return;
        const auto it = keys.find(KeyId(c.request.principal, c.request.key));
        if (it != keys.end() && it->commandId == c.id)
            it->finished = result;
    }

    void scheduleStart(const QString &device)
    {
        const auto it = queues.find(device);
        if (it == queues.end() || it->startScheduled || it->running || it->waiting.empty())
            return;
        it->startScheduled = true;
        // Never start inside submit(): a bus that answers synchronously would
        // otherwise produce the result before the caller has sent the ack.
        QMetaObject::invokeMethod(q, [this, device] { startNext(device); }, Qt::QueuedConnection);
    }

    void startNext(const QString &device)
    {
        const auto it = queues.find(device);
        if (it == queues.end())
            return;
        it->startScheduled = false;
        if (it->running || it->waiting.empty())
            return;
        const std::optional<DeviceInfo> info = bus ? bus->device(device) : std::nullopt;
        if (!info || info->state != DeviceState::Connected) {
            // The state signal should have emptied the queue already; this
            // covers a bus that changed state without telling.
            failDevice(device, false);
            return;
        }
        it->running = it->waiting.front();
        it->waiting.pop_front();
        startAttempt(device);
    }

    void startAttempt(const QString &device)
    {
        DeviceQueue &dq = queues[device];
        const CommandPtr c = dq.running;
        c->ticket = ++lastTicket;
        ++c->attempts;
        tickets.insert(c->ticket, device);
        if (!dq.timer) {
            dq.timer = new QTimer(q);
            // A coarse timer may fire up to 5% early: an attempt gets its full time.
            dq.timer->setTimerType(Qt::PreciseTimer);
            dq.timer->setSingleShot(true);
            QObject::connect(dq.timer, &QTimer::timeout, q,
                             [this, device] { onTimeout(device); });
        }
        dq.timer->start(c->request.timeoutMs);
        qCDebug(lcCommands) << "start" << c->id << device << c->request.command
                            << "attempt" << c->attempts << "ticket" << c->ticket;
        const quint64 ticket = c->ticket;
        bus->startCommand(device, ticket, c->request.command, c->request.params);
    }

    void onTimeout(const QString &device)
    {
        const auto it = queues.find(device);
        if (it == queues.end() || !it->running)
            return;
        const CommandPtr c = it->running;
        const quint64 ticket = c->ticket;
        tickets.remove(ticket);
        c->ticket = 0;
        qCDebug(lcCommands) << "timeout" << c->id << "attempt" << c->attempts;
        if (bus)
            bus->abortCommand(device, ticket);
        // The bus may have reported the device gone from inside abortCommand.
        const auto again = queues.find(device);
        if (again == queues.end() || again->running != c)
            return;
        if (c->attempts <= c->request.retries) {
            startAttempt(device);
            return;
        }
        CommandResult r = makeResult(*c, CommandResult::Status::Timeout);
        r.errorCode = QStringLiteral("timeout");
        r.errorMessage = QStringLiteral("no answer within %1 ms").arg(c->request.timeoutMs);
        finishRunning(device, r);
    }

    void onCommandFinished(quint64 ticket, const CommandOutcome &outcome)
    {
        const QString device = tickets.take(ticket);
        if (device.isNull()) {
            qCDebug(lcCommands) << "late answer for ticket" << ticket << "discarded";
            return;
        }
        const auto it = queues.find(device);
        if (it == queues.end() || !it->running || it->running->ticket != ticket) {
            qCWarning(lcCommands) << "answer for ticket" << ticket << "matches no running attempt";
            return;
        }
        DeviceQueue &dq = *it;
        const CommandPtr c = dq.running;
        c->ticket = 0;
        dq.timer->stop();
        if (outcome.status == CommandOutcome::Status::Error
                && c->attempts <= c->request.retries) {
            startAttempt(device);
            return;
        }
        CommandResult r;
        if (outcome.status == CommandOutcome::Status::Ok) {
            r = makeResult(*c, CommandResult::Status::Ok);
            r.result = outcome.result;
        } else {
            r = makeResult(*c, CommandResult::Status::Error);
            r.errorCode = outcome.errorCode.isEmpty() ? QStringLiteral("device_error")
                                                      : outcome.errorCode;
            r.errorMessage = outcome.errorMessage;
        }
        finishRunning(device, r);
    }

    void finishRunning(const QString &device, const CommandResult &result)
    {
        DeviceQueue &dq = queues[device];
        const CommandPtr c = std::move(dq.running);
        retire(*c, result);
        scheduleStart(device);
        Q_EMIT q->resultReady(result, c->waiters);
    }

    // The device is gone or no longer connected: nothing of its queue can run.
    void failDevice(const QString &device, bool removed)
    {
        const auto it = queues.find(device);
        if (it == queues.end())
            return;
        std::vector<CommandPtr> failed;
        if (it->running) {
            const CommandPtr c = it->running;
            if (c->ticket != 0) {
                tickets.remove(c->ticket);
                // A removed device answers nothing and can abort nothing.
                if (!removed && bus)
                    bus->abortCommand(device, c->ticket);
                c->ticket = 0;
            }
            failed.push_back(c);
        }
        for (const CommandPtr &c : it->waiting)
            failed.push_back(c);
        // This may run inside the timer's own timeout signal: no delete here.
        if (it->timer) {
            it->timer->stop();
            it->timer->deleteLater();
        }
        // Dropping the queue entry also voids any scheduled start.
        queues.erase(it);

        const QString message = removed
                ? QStringLiteral("device %1 was removed").arg(device)
                : QStringLiteral("device %1 is not connected").arg(device);
        QList<QPair<CommandResult, QList<CommandWaiter>>> results;
        for (const CommandPtr &c : failed) {
            CommandResult r = makeResult(*c, CommandResult::Status::Error);
            r.errorCode = QStringLiteral("device_unavailable");
            r.errorMessage = message;
            retire(*c, r);
            results.append({r, c->waiters});
        }
        for (const auto &r : results)
            Q_EMIT q->resultReady(r.first, r.second);
    }
};

CommandRouter::CommandRouter(DeviceBus *bus, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->bus = bus;
    d->clock.start();
    d->pruneTimer.setInterval(kPruneIntervalMs);
    connect(&d->pruneTimer, &QTimer::timeout, this, [this] { d->pruneKeys(); });
    d->pruneTimer.start();

    if (bus) {
        connect(bus, &DeviceBus::commandFinished, this,
                [this](quint64 ticket, const CommandOutcome &outcome) {
                    d->onCommandFinished(ticket, outcome);
                });
        connect(bus, &DeviceBus::deviceStateChanged, this,
                [this](const QString &device, DeviceState state) {
                    if (state != DeviceState::Connected)
                        d->failDevice(device, false);
                });
        connect(bus, &DeviceBus::deviceRemoved, this,
                [this](const QString &device) { d->failDevice(device, true); });
    }
}

CommandRouter::~CommandRouter()
{
    // Running attempts would otherwise be answered into nothing.
    if (d->bus) {
        for (auto it = d->tickets.cbegin(); it != d->tickets.cend(); ++it)
            d->bus->abortCommand(it.value(), it.key());
    }
}

CommandRouter::Submission CommandRouter::submit(const CommandRequest &request)
{
    Q_ASSERT(request.timeoutMs >= 1 && request.timeoutMs <= 60000);
    Q_ASSERT(request.retries >= 0 && request.retries <= 5);

    d->pruneKeys();

    const Private::KeyId keyId(request.principal, request.key);
    if (!request.key.isEmpty()) {
        const auto it = d->keys.find(keyId);
        if (it != d->keys.end()) {
            if (it->device != request.device || it->command != request.command
                    || it->params != request.params) {
                return refusal(QStringLiteral("invalid_params"),
                               QStringLiteral("key %1 was used for a different command")
                                       .arg(request.key));
            }
            d->touchKey(keyId, *it);
            Submission s;
            s.outcome = Submission::Outcome::Duplicate;
            s.commandId = it->commandId;
            if (it->finished) {
                s.finished = it->finished;
            } else {
                const auto c = d->pending.value(it->commandId);
                Q_ASSERT(c);
                if (c)
                    c->waiters.append(request.waiter);
            }
            return s;
        }
    }

    if (!d->bus)
        return refusal(QStringLiteral("internal"), QStringLiteral("no device bus"));
    const std::optional<DeviceInfo> info = d->bus->device(request.device);
    if (!info) {
        return refusal(QStringLiteral("unknown_device"),
                       QStringLiteral("unknown device %1").arg(request.device));
    }
    if (info->state != DeviceState::Connected) {
        // The reason (a port that cannot be opened) tells the operator what to fix.
        QString message = QStringLiteral("device %1 is %2")
                                  .arg(request.device, deviceStateName(info->state));
        if (!info->error.isEmpty())
            message += QStringLiteral(": ") + info->error;
        return refusal(QStringLiteral("device_unavailable"), message);
    }
    if (const CommandSpec *spec = info->command(request.command)) {
        if (const auto error = checkCommandParams(*spec, request.params))
            return refusal(QStringLiteral("invalid_params"), *error);
    } else if (!info->anyCommand || !isCommandName(request.command)) {
        return refusal(QStringLiteral("unknown_command"),
                       QStringLiteral("device %1 has no command %2")
                               .arg(request.device, request.command));
    }

    Private::DeviceQueue &dq = d->queues[request.device];
    if (dq.waiting.size() >= size_t(kMaxQueued)) {
        return refusal(QStringLiteral("queue_full"),
                       QStringLiteral("%1 commands already wait for device %2")
                               .arg(kMaxQueued).arg(request.device));
    }

    auto c = std::make_shared<Private::Command>();
    c->id = d->newCommandId();
    c->request = request;
    c->waiters.append(request.waiter);
    c->sinceAccepted.start();
    dq.waiting.push_back(c);
    d->pending.insert(c->id, c);

    if (!request.key.isEmpty()) {
        Private::KeyEntry entry;
        entry.commandId = c->id;
        entry.device = request.device;
        entry.command = request.command;
        entry.params = request.params;
        auto it = d->keys.insert(keyId, entry);
        d->touchKey(keyId, *it);
    }

    qCDebug(lcCommands) << "accepted" << c->id << request.device << request.command;
    d->scheduleStart(request.device);

    Submission s;
    s.outcome = Submission::Outcome::Accepted;
    s.commandId = c->id;
    return s;
}

bool CommandRouter::cancel(const QString &commandId, const QString &session)
{
    const Private::CommandPtr c = d->pending.value(commandId);
    if (!c || c->ticket != 0 || c->waiters.isEmpty() || c->waiters.first().session != session)
        return false;
    const auto qit = d->queues.find(c->request.device);
    if (qit == d->queues.end())
        return false;
    auto &waiting = qit->waiting;
    const auto pos = std::find(waiting.begin(), waiting.end(), c);
    if (pos == waiting.end())
        return false;            // running between attempts is still running
    waiting.erase(pos);

    CommandResult r = d->makeResult(*c, CommandResult::Status::Cancelled);
    r.attempts = 0;
    d->retire(*c, r);
    const QList<CommandWaiter> waiters = c->waiters;
    // The caller sends `cancelled` first; the result follows it.
    QMetaObject::invokeMethod(this, [this, r, waiters] { Q_EMIT resultReady(r, waiters); },
                              Qt::QueuedConnection);
    return true;
}

int CommandRouter::pendingCount() const
{
    return int(d->pending.size());
}

} // namespace halhub
