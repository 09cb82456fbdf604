#pragma once

namespace halhub::closecode {

// Close codes of docs/protocol.md section 9.
constexpr int kNormal = 1000;
constexpr int kGoingAway = 1001;
constexpr int kProtocolError = 1002;
constexpr int kNoStatus = 1005;     // received only: a close without a code
constexpr int kNotUtf8 = 1007;
constexpr int kTooBig = 1009;
constexpr int kUnauthorized = 4401;
constexpr int kTimeout = 4408;
constexpr int kTakenOver = 4409;
constexpr int kRateAbuse = 4429;

} // namespace halhub::closecode
