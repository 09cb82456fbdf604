#include "frontends/halhub/sessionmanager.h"

#include "frontends/halhub/session.h"
#include "hub/commanddesk.h"
#include "logging.h"

#include <QRandomGenerator>

namespace halhub {

namespace {

// 128 random bits, as 32 hex digits.
QString newSessionId()
{
    quint64 words[2];
    QRandomGenerator::system()->fillRange(words);
    return QStringLiteral("%1%2")
        .arg(words[0], 16, 16, QLatin1Char('0'))
        .arg(words[1], 16, 16, QLatin1Char('0'));
}

} // namespace

SessionManager::SessionManager(TelemetryHub *hub, CommandDesk *commands,
                               LatencyHistogram *latency, std::function<qint64()> latencyClockMs,
                               int graceMs, QObject *parent)
    : QObject(parent)
    , m_hub(hub)
    , m_latency(latency)
    , m_latencyClockMs(std::move(latencyClockMs))
    , m_graceMs(graceMs)
{
    connect(commands, &CommandDesk::resultReady, this, &SessionManager::onResult);
    m_expiry.setInterval(qBound(50, graceMs / 10, 1000));
    connect(&m_expiry, &QTimer::timeout, this, &SessionManager::expire);
    m_expiry.start();
}

SessionManager::~SessionManager()
{
    qDeleteAll(m_sessions);
}

Session *SessionManager::create(const QString &principal)
{
    auto *session = new Session(newSessionId(), principal, m_hub, m_latency,
                                m_latencyClockMs, m_graceMs);
    m_sessions.insert(session->id(), session);
    Q_EMIT sessionCreated(session);
    return session;
}

Session *SessionManager::find(const QString &id) const
{
    return m_sessions.value(id);
}

QList<Session *> SessionManager::sessions() const
{
    return m_sessions.values();
}

int SessionManager::streamCount() const
{
    int n = 0;
    for (const Session *s : m_sessions)
        n += s->streamCount();
    return n;
}

QString SessionManager::nextStreamId()
{
    return QStringLiteral("s%1").arg(++m_streamCounter);
}

void SessionManager::end(Session *session)
{
    if (!m_sessions.remove(session->id()))
        return;
    const QString id = session->id();
    qCDebug(lcSession) << "session ended" << id;
    delete session;
    Q_EMIT sessionEnded(id);
}

void SessionManager::expire()
{
    QList<Session *> expired;
    for (Session *s : std::as_const(m_sessions)) {
        if (s->detachedForMs() > m_graceMs)
            expired.append(s);
    }
    for (Session *s : std::as_const(expired))
        end(s);
}

void SessionManager::onResult(const CommandResult &result, const QList<CommandWaiter> &waiters)
{
    for (const CommandWaiter &waiter : waiters) {
        if (Session *s = m_sessions.value(waiter.session))
            s->deliverResult(result, waiter.requestId);
    }
}

} // namespace halhub
