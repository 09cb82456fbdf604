#pragma once

#include <QtGlobal>

#include <limits>

namespace halhub {

// docs/protocol.md section 4's rule for device_error and stream_overflow: at most one
// report per interval, and what happens meanwhile is counted into the next.
class ThrottledCount
{
public:
    void add(quint64 n = 1) { m_pending += n; }
    bool isEmpty() const { return m_pending == 0; }

    // What to report now: the count since the last report, or 0 when there
    // is nothing or the interval has not passed yet (then *held is set, so
    // the caller looks again later).
    quint64 take(qint64 nowMs, qint64 intervalMs, bool *held)
    {
        if (m_pending == 0)
            return 0;
        if (nowMs - m_lastReportMs < intervalMs) {
            *held = true;
            return 0;
        }
        m_lastReportMs = nowMs;
        const quint64 n = m_pending;
        m_pending = 0;
        return n;
    }

private:
    quint64 m_pending = 0;
    qint64 m_lastReportMs = std::numeric_limits<qint64>::min() / 2;
};

} // namespace halhub
