#pragma once

#include "auth/scopes.h"
#include "auth/tokenverifier.h"
#include "net/messagechannel.h"

#include <QHostAddress>
#include <QObject>
#include <QVariant>
#include <QVariantMap>

class QTimer;

namespace halhub {

// A client connection as a front end sees it: checked messages in, messages
// out, which encoding it speaks, who it is, and how it ends. ClientConnection
// is the real one (a socket served by an I/O thread); a test gives a front
// end one of its own, in memory.
//
// Who it is lives here, for every kind of connection alike (docs/protocol.md
// section 9): until requireAuthentication() every scope is granted; from it
// on, a connection without a valid token is closed with 4401 after the
// grace, and so is one whose token expired and was not renewed in time. What
// a token means is the Authenticator's to decide.
class Connection : public QObject, public MessageChannel
{
    Q_OBJECT
public:
    Connection(quint64 id, const QHostAddress &peer, quint16 peerPort, QObject *parent = nullptr);
    ~Connection() override;

    quint64 id() const { return m_id; }
    QHostAddress peerAddress() const { return m_peer; }
    quint16 peerPort() const { return m_peerPort; }
    // "ip:port", as the log, the audit trail and the GUI name it.
    QString peerName() const;

    Encoding encoding() const override { return m_encoding; }
    bool compression() const override { return m_compression; }
    void setEncoding(Encoding encoding, bool compression);

    // A halhub `error`; with raw frames, the refused signal instead.
    void sendError(const QString &code, const QString &message, const QVariant &id = {},
                   qint64 retryAfterMs = -1);
    // For a front end whose wire is not the halhub envelope: from now on
    // each message comes as frameReceived, undecoded, once it passed the
    // rate and size limits, and what those limits refuse comes as refused.
    void setRawFrames(bool raw) { m_rawFrames = raw; }
    bool rawFrames() const { return m_rawFrames; }
    // Closes with a WebSocket close code; `closed` follows when it is done.
    virtual void closeWith(int code, const QString &reason) = 0;

    void requireAuthentication(int graceMs);
    bool isAuthenticated() const { return m_authenticated; }
    // The `sub` of the first valid token; kept after expiry.
    QString subject() const { return m_subject; }
    const Scopes &scopes() const { return m_scopes; }
    // A verified token whose subject is this connection's (or the first).
    void authenticate(const TokenClaims &claims);

Q_SIGNALS:
    // A decoded message that passed the envelope checks and the limits.
    void messageReceived(const QVariantMap &message, const QString &type, const QVariant &id);
    // With raw frames: a message as received (text as UTF-8, or binary).
    void frameReceived(const QByteArray &data, bool binary);
    // With raw frames: a message the limits refused (code as in the
    // halhub protocol's errors: rate_limited, message_too_large).
    void refused(const QString &code, const QString &message);
    // Telemetry may be written again (see MessageChannel::canSendTelemetry).
    void drained();
    // The connection learnt its user (the first valid token).
    void userKnown();
    // The connection is gone; it is deleted later by its owner.
    void closed();

private:
    QTimer *authDeadline();
    QTimer *authExpiry();
    void onAuthExpired();

    quint64 m_id = 0;
    QHostAddress m_peer;
    quint16 m_peerPort = 0;
    Encoding m_encoding = Encoding::Json;
    bool m_compression = false;
    bool m_rawFrames = false;

    bool m_authRequired = false;
    bool m_authenticated = false;
    int m_authGraceMs = 5000;
    QString m_subject;
    Scopes m_scopes = Scopes::all();
    // Made on first use: only connections under auth.required need them.
    QTimer *m_authDeadline = nullptr;   // 4401 when it fires unauthenticated
    QTimer *m_authExpiry = nullptr;     // the token's exp plus leeway
    qint64 m_acceptedUntilMs = 0;
};

} // namespace halhub
