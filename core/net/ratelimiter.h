#pragma once

#include <QtGlobal>

namespace halhub {

// A token bucket with burst equal to the per-minute figure (docs/protocol.md section 7).
class TokenBucket
{
public:
    explicit TokenBucket(int perMinute = 200);

    void setRate(int perMinute);
    int perMinute() const { return m_perMinute; }

    // Takes one token at nowMs (monotonic). On refusal, *retryAfterMs is the
    // time until a token is back (at least 1).
    bool tryTake(qint64 nowMs, qint64 *retryAfterMs = nullptr);

private:
    void refill(qint64 nowMs);

    // Tokens are kept in 1/60000ths so that a refill of perMinute per minute
    // is exactly perMinute units per ms: no rounding drift, exact retry times.
    static constexpr qint64 kUnit = 60000;

    int m_perMinute = 200;
    qint64 m_credit = 200 * kUnit;
    qint64 m_lastMs = -1;
};

// "A connection that sends more than 2 x rate_limit_per_min / 60 messages
// in each of 10 consecutive seconds is closed with 4429."
class AbuseDetector
{
public:
    explicit AbuseDetector(int perMinute = 200);

    void setRate(int perMinute);
    // Counts one message at nowMs; true when the connection is to be closed.
    bool count(qint64 nowMs);

private:
    double m_threshold = 0;     // messages per second, exclusive
    qint64 m_second = -1;
    int m_inSecond = 0;
    int m_consecutive = 0;      // full seconds over threshold just before m_second
};

} // namespace halhub
