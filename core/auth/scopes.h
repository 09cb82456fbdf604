#pragma once

#include <QSet>
#include <QString>
#include <QStringList>

namespace halhub {

// The scopes of one token (docs/protocol.md section 9) and what they allow.
// telemetry:read covers list_devices, subscribe, unsubscribe and device
// events; commands:write covers command and cancel on every device;
// device:ID:write those on device ID; admin covers everything (and alone
// record_start, record_stop; list_recordings needs telemetry:read).
class Scopes
{
public:
    Scopes() = default;
    explicit Scopes(const QStringList &scopes);

    // Without authentication everything is allowed.
    static Scopes all();

    bool isAdmin() const { return m_all || m_scopes.contains(QLatin1String("admin")); }
    bool canReadTelemetry() const;
    bool canWriteAnyDevice() const;
    bool canWriteDevice(const QString &device) const;
    // Whether some device could be written: a cancel needs this before its
    // command's device is known.
    bool canWriteSomeDevice() const;

    // The check made before a request's fields are read: false means
    // `forbidden` whatever the fields say. device-bound requests (command,
    // cancel) need canWriteDevice() too once the device is known. Types
    // that need no scope (hello, ping, unknown types) pass.
    bool allowsType(const QString &type) const;

    // The scope a request type needs, for the refusal message.
    static QString requiredFor(const QString &type, const QString &device = {});

private:
    QSet<QString> m_scopes;
    bool m_all = false;
};

} // namespace halhub
