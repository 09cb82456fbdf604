#pragma once

#include "bus/deviceinfo.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QVariant>
#include <QVariantMap>

#include <optional>

namespace halhub {

class DeviceBus;

// Who waits for a command's result: a session and the request id it used.
struct CommandWaiter
{
    QString session;
    QVariant requestId;
    // A command another node handed over (DeviceBus::commandHanded): its
    // link's number here; 0 for a session.
    quint64 handed = 0;
};

struct CommandRequest
{
    QString device;
    QString command;
    QVariantMap params;
    int timeoutMs = 1000;        // per attempt, 1..60000
    int retries = 0;             // 0..5
    QString key;                 // idempotency key; empty: none
    // Idempotency scope: the token's `sub` with auth, else the session id.
    QString principal;
    CommandWaiter waiter;
    // The id to give it when none of this router's commands has it (a
    // command handed over keeps its issuer's id); empty: a new one.
    QString commandId;
};

struct CommandResult
{
    enum class Status { Ok, Error, Timeout, Cancelled };
    QString commandId;
    QString device;
    QString command;
    Status status = Status::Ok;
    QVariant result;             // Ok only
    QString errorCode;           // Error / Timeout
    QString errorMessage;
    int attempts = 0;
    qint64 durationMs = 0;       // from acceptance to result
    qint64 finishedAtMs = 0;     // QDateTime::currentMSecsSinceEpoch() at the end
};

QString commandStatusName(CommandResult::Status status);

// docs/protocol.md section 6: one command at a time per device, in order of
// acceptance, at most 64 waiting; timeout per attempt (abandoned through
// DeviceBus::abortCommand), immediate retries, cancel of waiting commands,
// idempotency keys remembered for 10 minutes, device_unavailable for the
// queue of a device that goes away.
//
// In a cluster the owner's router does all of that for every node: a
// command for a device whose bus hands commands over (another node's) is
// checked here and handed whole to that node (DeviceBus::handCommand); this
// router only relays its start and result. Commands other nodes hand to this
// node (DeviceBus::commandHanded) queue beside its own clients'.
class CommandRouter : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxQueued = 64;
    static constexpr qint64 kIdempotencyWindowMs = 10 * 60 * 1000;

    explicit CommandRouter(DeviceBus *bus, QObject *parent = nullptr);
    ~CommandRouter() override;

    struct Submission
    {
        enum class Outcome { Accepted, Duplicate, Refused };
        Outcome outcome = Outcome::Refused;
        QString commandId;       // Accepted / Duplicate
        // Duplicate of a finished command: its result, to send at once.
        std::optional<CommandResult> finished;
        QString errorCode;       // Refused: unknown_device, unknown_command,
        QString errorMessage;    // invalid_params, device_unavailable, queue_full
    };

    // Checks the request (device known and connected, command known, params
    // against the CommandSpec) and queues it. On Accepted the caller sends
    // `ack`; the result comes later through resultReady.
    Submission submit(const CommandRequest &request);

    // Cancels a command that still waits in its queue and belongs to the
    // session. True: it is cancelled and its result (status cancelled) is
    // emitted right after this returns.
    bool cancel(const QString &commandId, const QString &session);

    // Running and queued commands (for metrics and the GUI).
    int pendingCount() const;

Q_SIGNALS:
    // A command finished. Every waiter (the submitter, then duplicates by
    // idempotency key) gets it, each with its own request id.
    void resultReady(const halhub::CommandResult &result,
                     const QList<halhub::CommandWaiter> &waiters);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Checks params against a command's spec: required params present, types,
// ranges, allowed strings. Null counts as absent. Returns an error message.
std::optional<QString> checkCommandParams(const CommandSpec &spec, const QVariantMap &params);

} // namespace halhub
