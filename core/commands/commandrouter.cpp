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

#include <algorithm>
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
        // Handed to the node that owns its device: ticket is the handed
        // command's, started once that node said so.
        bool handed = false;
        bool started = false;
    };
    using CommandPtr = std::shared_ptr<Command>;

    struct DeviceQueue
    {
        CommandPtr running;
        std::deque<CommandPtr> waiting;
        QTimer *timer = nullptr;        // timeout of the running attempt, child of the router
        bool startScheduled = false;
        // Commands handed to the device's owner node, not finished yet.
        std::vector<CommandPtr> handed;
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
    QHash<quint64, QString> handedTickets;       // handed over -> device
    // Commands other nodes handed here, by their waiter's number.
    QHash<quint64, std::shared_ptr<HandedCommandLink>> links;
    quint64 lastLink = 0;

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
        const CommandPtr c = it->running;
        startAttempt(device);
        notifyStarted(*c);
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
        emitResult(result, c->waiters);
    }

    // Every result leaves through here: the waiters that are another node's
    // handed commands get it through their link, the others by resultReady.
    void emitResult(const CommandResult &result, const QList<CommandWaiter> &waiters)
    {
        QList<CommandWaiter> sessions;
        for (const CommandWaiter &w : waiters) {
            if (w.handed == 0)
                sessions.append(w);
            else
                answerLink(w.handed, result);
        }
        Q_EMIT q->resultReady(result, sessions);
    }

    void answerLink(quint64 number, const CommandResult &result)
    {
        const auto link = links.take(number);
        if (!link)
            return;
        HandedResult r;
        r.commandId = result.commandId;
        r.status = commandStatusName(result.status);
        r.result = result.result;
        r.errorCode = result.errorCode;
        r.errorMessage = result.errorMessage;
        r.attempts = result.attempts;
        r.durationMs = result.durationMs;
        link->finished(r);
    }

    void notifyStarted(const Command &c)
    {
        for (const CommandWaiter &w : c.waiters) {
            if (w.handed != 0) {
                if (const auto link = links.value(w.handed))
                    link->started();
            }
        }
    }

    // This node's side of a command for another node's device.
    void handOver(const CommandPtr &c)
    {
        c->handed = true;
        c->ticket = ++lastTicket;
        handedTickets.insert(c->ticket, c->request.device);
        queues[c->request.device].handed.push_back(c);
        // After submit() returned and its ack went out, as for a local start.
        QMetaObject::invokeMethod(q, [this, c] {
            if (!bus || !handedTickets.contains(c->ticket) || !pending.contains(c->id))
                return;
            HandedCommand h;
            h.device = c->request.device;
            h.command = c->request.command;
            h.params = c->request.params;
            h.timeoutMs = c->request.timeoutMs;
            h.retries = c->request.retries;
            h.key = c->request.key;
            h.principal = c->request.principal;
            h.commandId = c->id;
            qCDebug(lcCommands) << "handed over" << c->id << h.device << h.command
                                << "ticket" << c->ticket;
            bus->handCommand(c->ticket, h);
        }, Qt::QueuedConnection);
    }

    CommandPtr takeHanded(quint64 ticket)
    {
        const QString device = handedTickets.take(ticket);
        const auto it = queues.find(device);
        if (device.isNull() || it == queues.end())
            return nullptr;
        auto &list = it->handed;
        const auto pos = std::find_if(list.begin(), list.end(),
                                      [&](const CommandPtr &c) { return c->ticket == ticket; });
        if (pos == list.end())
            return nullptr;
        const CommandPtr c = *pos;
        list.erase(pos);
        return c;
    }

    void onHandedFinished(quint64 ticket, const HandedResult &h)
    {
        const CommandPtr c = takeHanded(ticket);
        if (!c)
            return;
        CommandResult::Status status = CommandResult::Status::Error;
        for (const auto s : {CommandResult::Status::Ok, CommandResult::Status::Timeout,
                             CommandResult::Status::Cancelled}) {
            if (h.status == commandStatusName(s))
                status = s;
        }
        CommandResult r = makeResult(*c, status);
        r.attempts = h.attempts;
        // The owner's figure: a replay by idempotency key says the first
        // run's, as on the owner; a refusal there took no time.
        if (h.durationMs > 0)
            r.durationMs = h.durationMs;
        if (status == CommandResult::Status::Ok) {
            r.result = h.result;
        } else if (status != CommandResult::Status::Cancelled) {
            r.errorCode = h.errorCode.isEmpty() ? QStringLiteral("device_error") : h.errorCode;
            r.errorMessage = h.errorMessage;
        }
        retire(*c, r);
        emitResult(r, c->waiters);
    }

    // A command another node hands here: queued as this node's clients' are.
    void takeOver(const std::shared_ptr<HandedCommandLink> &link)
    {
        const HandedCommand &h = link->command;
        const auto refuse = [&](const QString &code, const QString &message) {
            link->finished(HandedResult::error(code, message));
        };
        if (!bus || !bus->device(h.device) || bus->handsCommandsOver(h.device))
            return refuse(QStringLiteral("device_unavailable"),
                          QStringLiteral("device %1 is not on this node").arg(h.device));
        CommandRequest request;
        request.device = h.device;
        request.command = h.command;
        request.params = h.params;
        request.timeoutMs = std::clamp(h.timeoutMs, 1, 60000);
        request.retries = std::clamp(h.retries, 0, 5);
        request.key = h.key;
        request.principal = h.principal;
        request.commandId = h.commandId;
        request.waiter.handed = ++lastLink;
        links.insert(request.waiter.handed, link);
        const Submission s = q->submit(request);
        if (s.outcome == Submission::Outcome::Refused) {
            links.remove(request.waiter.handed);
            return refuse(s.errorCode, s.errorMessage);
        }
        const quint64 number = request.waiter.handed;
        const QString commandId = s.commandId;
        link->cancel = [this, number, commandId] { withdraw(number, commandId); };
        if (s.finished) {
            answerLink(number, *s.finished);
            return;
        }
        const CommandPtr c = pending.value(commandId);
        if (c && c->ticket != 0 && !c->handed)
            link->started();
    }

    // The issuer withdrew a command it handed here: cancelled while it waits
    // and is the issuer's own, else that issuer just stops waiting for it.
    void withdraw(quint64 number, const QString &commandId)
    {
        if (!links.remove(number))
            return;
        const CommandPtr c = pending.value(commandId);
        if (!c)
            return;
        if (!c->waiters.isEmpty() && c->waiters.first().handed == number && cancelWaiting(c))
            return;
        c->waiters.erase(std::remove_if(c->waiters.begin(), c->waiters.end(),
                                        [&](const CommandWaiter &w) { return w.handed == number; }),
                         c->waiters.end());
    }

    // Cancels a command that waits in its queue (the result follows, queued).
    bool cancelWaiting(const CommandPtr &c)
    {
        const auto qit = queues.find(c->request.device);
        if (qit == queues.end())
            return false;
        if (c->handed) {
            if (c->started || !takeHanded(c->ticket))
                return false;
            if (bus)
                bus->cancelHanded(c->request.device, c->ticket);
        } else {
            if (c->ticket != 0)
                return false;
            auto &waiting = qit->waiting;
            const auto pos = std::find(waiting.begin(), waiting.end(), c);
            if (pos == waiting.end())
                return false;            // running between attempts is still running
            waiting.erase(pos);
        }
        CommandResult r = makeResult(*c, CommandResult::Status::Cancelled);
        r.attempts = 0;
        retire(*c, r);
        const QList<CommandWaiter> waiters = c->waiters;
        // The caller sends `cancelled` first; the result follows it.
        QMetaObject::invokeMethod(q, [this, r, waiters] { emitResult(r, waiters); },
                                  Qt::QueuedConnection);
        return true;
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
        for (const CommandPtr &c : it->handed) {
            handedTickets.remove(c->ticket);
            // The owner, if it still hears, drops it.
            if (!removed && bus)
                bus->cancelHanded(device, c->ticket);
            failed.push_back(c);
        }
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
            emitResult(r.first, r.second);
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
        connect(bus, &DeviceBus::handedStarted, this, [this](quint64 ticket) {
            const QString device = d->handedTickets.value(ticket);
            const auto it = d->queues.constFind(device);
            if (it == d->queues.cend())
                return;
            for (const Private::CommandPtr &c : it->handed) {
                if (c->ticket == ticket)
                    c->started = true;
            }
        });
        connect(bus, &DeviceBus::handedFinished, this,
                [this](quint64 ticket, const HandedResult &result) {
                    d->onHandedFinished(ticket, result);
                });
        connect(bus, &DeviceBus::commandHanded, this,
                [this](const std::shared_ptr<HandedCommandLink> &link) { d->takeOver(link); });
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

    const bool handOver = d->bus->handsCommandsOver(request.device);
    Private::DeviceQueue &dq = d->queues[request.device];
    if (!handOver && dq.waiting.size() >= size_t(kMaxQueued)) {
        return refusal(QStringLiteral("queue_full"),
                       QStringLiteral("%1 commands already wait for device %2")
                               .arg(kMaxQueued).arg(request.device));
    }

    auto c = std::make_shared<Private::Command>();
    c->id = !request.commandId.isEmpty() && !d->pending.contains(request.commandId)
            ? request.commandId
            : d->newCommandId();
    c->request = request;
    c->waiters.append(request.waiter);
    c->sinceAccepted.start();
    if (!handOver)
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
    if (handOver)
        d->handOver(c);
    else
        d->scheduleStart(request.device);

    Submission s;
    s.outcome = Submission::Outcome::Accepted;
    s.commandId = c->id;
    return s;
}

bool CommandRouter::cancel(const QString &commandId, const QString &session)
{
    const Private::CommandPtr c = d->pending.value(commandId);
    if (!c || c->waiters.isEmpty() || c->waiters.first().handed != 0
        || c->waiters.first().session != session)
        return false;
    return d->cancelWaiting(c);
}

int CommandRouter::pendingCount() const
{
    return int(d->pending.size());
}

} // namespace halhub
