#pragma once

#include "config/config.h"

#include <QString>

#include <memory>
#include <optional>

class QNetworkRequest;

namespace halhub {

class Connection;
class TokenVerifier;
struct HttpRequestHead;

// Why a request is not allowed: the protocol's error code (unauthorized or
// forbidden) and a message for the client and the log.
struct AccessRefusal
{
    QString code;
    QString message;
};

// Authentication and access in one place (docs/protocol.md section 9): the
// token at the upgrade and in `hello`, who a connection is, and which
// scope each request needs. Without auth.required it grants everything and
// ignores tokens. The state of one connection (its user, its scopes, the
// deadlines for 4401) is the connection's; what a token means is decided
// here.
class Authenticator
{
public:
    // How long a connection may stay unauthenticated (at the start, and
    // after its token is no longer accepted) before it is closed with 4401.
    static constexpr int kGraceMs = 5000;

    explicit Authenticator(const AuthConfig &config);
    ~Authenticator();

    // Loads the key (auth.required only); false with *error for start-up.
    bool load(QString *error);
    bool isRequired() const { return m_config.required; }

    // A new connection: under auth.required it must authenticate within
    // kGraceMs; the upgrade's token (Authorization: Bearer wins, else
    // ?token=) authenticates it at once. An invalid handshake token counts
    // as absent: the upgrade is never refused for a token.
    void admit(Connection *connection, const QNetworkRequest &upgrade) const;

    // For a protocol with no way to authenticate later (Foxglove,
    // docs/protocol.md section 14): whether the upgrade carries a valid
    // token (Bearer wins, else ?token=). Always true without auth.required.
    bool hasValidUpgradeToken(const HttpRequestHead &head, QString *why) const;

    // A `hello` token. Nothing when the connection is now authenticated
    // (or the token is ignored without auth.required); a refusal leaves the
    // connection as it was.
    std::optional<AccessRefusal> authenticate(Connection *connection,
                                              const QString &token) const;

    // Whether the connection may send a request of this type at all.
    std::optional<AccessRefusal> authorize(const Connection *connection,
                                           const QString &type) const;
    // Whether it may send a command (or cancel one) on this device.
    std::optional<AccessRefusal> authorizeDevice(const Connection *connection,
                                                 const QString &type, const QString &device) const;

private:
    AuthConfig m_config;
    std::unique_ptr<TokenVerifier> m_verifier;     // auth.required only
};

} // namespace halhub
