#pragma once

#include "protocol/framecodec.h"

#include <QVariantMap>

namespace halhub {

// What a session of a front end needs of the connection it is attached to,
// and nothing more: a ClientConnection is one, a test's fake that records
// what it is sent is another. Whoever attaches a channel tells the
// session when the channel drained (Session::channelDrained) and detaches
// it before the channel goes away.
class MessageChannel
{
public:
    virtual ~MessageChannel() = default;

    virtual Encoding encoding() const = 0;
    virtual bool compression() const = 0;
    // A message that is never dropped (replies, results, events).
    virtual void sendMessage(const QVariantMap &message) = 0;
    // An encoded telemetry frame.
    virtual void sendEncoded(const EncodedFrame &frame) = 0;
    // Whether telemetry may be written now (unsent bytes at or below the
    // high-water mark); when not, frames coalesce until channelDrained.
    virtual bool canSendTelemetry() const = 0;
};

} // namespace halhub
