#pragma once

#include "net/connection.h"

#include <QList>
#include <QVariantMap>

// A client connection in memory, for testing a front end without sockets:
// the test hands it messages as a client would send them (receive) and
// reads back everything the front end sent, telemetry decoded.
class FakeConnection final : public halhub::Connection
{
    Q_OBJECT
public:
    explicit FakeConnection(quint64 id, QObject *parent = nullptr);

    // A message from the client; it must pass the envelope checks (the
    // real connection answers the others itself).
    void receive(const QVariantMap &message);
    // What the front end sent, in order.
    const QList<QVariantMap> &sent() const { return m_sent; }
    QList<QVariantMap> sentOfType(const QString &type) const;
    // The last message of a type (and id, when given); empty when none.
    QVariantMap last(const QString &type, const QVariant &id = {}) const;
    void clearSent() { m_sent.clear(); }

    // A slow consumer: telemetry held until drain().
    void setTelemetryAllowed(bool allowed) { m_telemetryAllowed = allowed; }
    void drain();

    // How it was closed; 0 while open.
    int closeCode() const { return m_closeCode; }

    // Connection
    void sendMessage(const QVariantMap &message) override;
    void sendEncoded(const halhub::EncodedFrame &frame) override;
    bool canSendTelemetry() const override { return m_telemetryAllowed && m_closeCode == 0; }
    void closeWith(int code, const QString &reason) override;

private:
    QList<QVariantMap> m_sent;
    bool m_telemetryAllowed = true;
    int m_closeCode = 0;
};
