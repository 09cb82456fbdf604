#pragma once

#include "commands/commandrouter.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <functional>

namespace halhub {

class CommandDesk;
class LatencyHistogram;
class Session;
class TelemetryHub;

// Owns the sessions: makes them, finds them for a resume, ends those whose
// connection has been gone for longer than the resume grace, and routes each
// command result to the sessions waiting for it.
class SessionManager : public QObject
{
    Q_OBJECT
public:
    // latency and latencyClockMs: see Session.
    SessionManager(TelemetryHub *hub, CommandDesk *commands, LatencyHistogram *latency,
                   std::function<qint64()> latencyClockMs, int graceMs,
                   QObject *parent = nullptr);
    ~SessionManager() override;

    Session *create(const QString &principal);
    Session *find(const QString &id) const;
    QList<Session *> sessions() const;
    int streamCount() const;

    // A new stream id, never used before in this server's life.
    QString nextStreamId();

    // Ends a session now (its streams close, its results are dropped).
    void end(Session *session);

    int graceMs() const { return m_graceMs; }

Q_SIGNALS:
    void sessionCreated(halhub::Session *session);
    void sessionEnded(const QString &id);

private:
    void expire();
    void onResult(const CommandResult &result, const QList<CommandWaiter> &waiters);

    TelemetryHub *m_hub = nullptr;
    LatencyHistogram *m_latency = nullptr;
    std::function<qint64()> m_latencyClockMs;
    int m_graceMs = 30000;
    QHash<QString, Session *> m_sessions;
    quint64 m_streamCounter = 0;
    QTimer m_expiry;
};

} // namespace halhub
