#include "net/ratelimiter.h"

#include <algorithm>

namespace halhub {

namespace {

// A zero or negative figure would make a bucket that never refills (and a
// division by zero below); the config layer rejects it, this is the backstop.
int sanitizedRate(int perMinute)
{
    return std::max(1, perMinute);
}

qint64 secondOf(qint64 ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

} // namespace

TokenBucket::TokenBucket(int perMinute)
    : m_perMinute(sanitizedRate(perMinute))
    , m_credit(m_perMinute * kUnit)
{
}

void TokenBucket::setRate(int perMinute)
{
    m_perMinute = sanitizedRate(perMinute);
    // An unused bucket starts full at its (new) burst; a used one keeps what it
    // has saved, within the new burst.
    const qint64 burst = m_perMinute * kUnit;
    m_credit = m_lastMs < 0 ? burst : std::min(m_credit, burst);
}

void TokenBucket::refill(qint64 nowMs)
{
    if (m_lastMs < 0) {
        m_lastMs = nowMs;
        return;
    }
    if (nowMs <= m_lastMs)
        return;
    const qint64 burst = m_perMinute * kUnit;
    // Clamp the elapsed time first: a long idle spell cannot overflow.
    const qint64 elapsed = std::min(nowMs - m_lastMs, kUnit);
    m_credit = std::min(burst, m_credit + elapsed * m_perMinute);
    m_lastMs = nowMs;
}

bool TokenBucket::tryTake(qint64 nowMs, qint64 *retryAfterMs)
{
    refill(nowMs);
    if (m_credit >= kUnit) {
        m_credit -= kUnit;
        return true;
    }
    if (retryAfterMs) {
        const qint64 missing = kUnit - m_credit;
        const qint64 wait = (missing + m_perMinute - 1) / m_perMinute;
        *retryAfterMs = std::max<qint64>(1, wait);
    }
    return false;
}

AbuseDetector::AbuseDetector(int perMinute)
{
    setRate(perMinute);
}

void AbuseDetector::setRate(int perMinute)
{
    m_threshold = 2.0 * sanitizedRate(perMinute) / 60.0;
}

bool AbuseDetector::count(qint64 nowMs)
{
    const qint64 second = secondOf(nowMs);
    // A clock step backwards counts into the current second rather than
    // rewinding the run.
    if (second > m_second) {
        const bool previousOver = m_inSecond > m_threshold;
        if (previousOver && second == m_second + 1)
            ++m_consecutive;
        else
            m_consecutive = 0;
        m_second = second;
        m_inSecond = 0;
    }
    ++m_inSecond;
    // This second is the 10th of a run once its count passes the threshold;
    // it stays true for the rest of the flood so a caller cannot miss it.
    return m_inSecond > m_threshold && m_consecutive >= 9;
}

} // namespace halhub
