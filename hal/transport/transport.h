#pragma once

#include <QString>
#include <QVariantMap>

class QAbstractSocket;
class QObject;

namespace halhub {

class LinePort;

// `"tcp": "HOST:PORT"` of a network instrument (docs/protocol.md section 16).
// HOST is a name or an address; an IPv6 address goes in brackets
// ("[fe80::1]:5025").
struct TcpEndpoint
{
    QString host;
    quint16 port = 0;

    // Empty when `text` is a valid HOST:PORT (and fills *endpoint), else
    // what is wrong.
    static QString parse(const QString &text, TcpEndpoint *endpoint);
    QString describe() const;
};

// How long a TCP connect may take before the attempt counts as failed.
constexpr int TcpConnectTimeoutMs = 3000;

// The keys that name where an instrument is (docs/protocol.md sections 11 and 16):
// a serial line (`port` or `match`, with the line settings) or `tcp`.
namespace transport {

enum class Idn { Refused, Allowed };

// The transport keys every line or Modbus device accepts.
QStringList configKeys();

// Checks the transport of an entry (and its `name`): `tcp` alone, or a
// serial line as SerialSettings::check. `match.idn` only where allowed.
// Empty when fine, else what is wrong, naming the key.
QString check(const QVariantMap &config, Idn idn = Idn::Refused);

bool isTcp(const QVariantMap &config);
TcpEndpoint tcpEndpoint(const QVariantMap &config);

// The link a line device (scpi, linestream) speaks through, for a checked
// entry: a TcpLine for `tcp`, else a SerialLine.
LinePort *makeLinePort(const QVariantMap &config, QObject *parent);

// TCP keepalive tuned so that a peer that vanished (power off, cable
// pulled) is noticed within about five seconds, idle or not: keepalive
// probes after 2 s idle, 1 s apart, 3 of them, and unacknowledged data
// given up after 5 s (Linux TCP_USER_TIMEOUT). Call once connected.
void applyKeepAlive(QAbstractSocket *socket);

} // namespace transport

} // namespace halhub
