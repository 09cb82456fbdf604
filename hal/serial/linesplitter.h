#pragma once

#include <QByteArray>
#include <QList>

namespace halhub {

// Cuts a byte stream into `\n`-terminated lines (a trailing `\r` dropped)
// while holding at most maxLineBytes of an unfinished line: a device that
// sends an endless line costs a bounded buffer and one overflow, not memory.
class LineSplitter
{
public:
    explicit LineSplitter(qsizetype maxLineBytes = 4096);

    // The complete lines in what has arrived so far.
    QList<QByteArray> feed(const QByteArray &data);
    // Lines dropped for being too long since the last call.
    int takeOverflows();
    qsizetype buffered() const { return m_partial.size(); }
    void clear();

private:
    QByteArray m_partial;
    qsizetype m_maxLineBytes = 4096;
    int m_overflows = 0;
    bool m_discarding = false;          // inside an overlong line: skip to its end
};

// The reconnect delays of docs/protocol.md section 11: 0.5 s, doubling, at most
// 10 s; reset() after a successful open starts over.
class ReconnectBackoff
{
public:
    static constexpr int FirstMs = 500;
    static constexpr int MaxMs = 10000;

    int next()
    {
        const int delay = m_nextMs;
        m_nextMs = qMin(m_nextMs * 2, MaxMs);
        return delay;
    }
    void reset() { m_nextMs = FirstMs; }

private:
    int m_nextMs = FirstMs;
};

} // namespace halhub
