#include "transport.h"

#include "serial/serialline.h"
#include "serial/serialsettings.h"
#include "tcpline.h"

#include <QAbstractSocket>
#include <QHostAddress>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace halhub {

QString TcpEndpoint::parse(const QString &text, TcpEndpoint *endpoint)
{
    const QString expected = QStringLiteral("expected \"HOST:PORT\" such as \"192.168.1.20:5025\"");
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0 || colon == text.size() - 1)
        return expected;
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']'))) {
        host = host.mid(1, host.size() - 2);
        if (QHostAddress(host).protocol() != QAbstractSocket::IPv6Protocol)
            return expected + QStringLiteral(" (in brackets: an IPv6 address)");
    } else if (host.contains(QLatin1Char(':'))) {
        return expected + QStringLiteral(" (an IPv6 address goes in brackets: \"[::1]:5025\")");
    }
    if (host.isEmpty() || host.contains(QLatin1Char(' ')) || host.contains(QLatin1Char('/')))
        return expected;
    bool ok = false;
    const uint port = text.mid(colon + 1).toUInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return QStringLiteral("the port after ':' must be from 1 to 65535");
    if (endpoint) {
        endpoint->host = host;
        endpoint->port = quint16(port);
    }
    return {};
}

QString TcpEndpoint::describe() const
{
    return host.contains(QLatin1Char(':'))
            ? QStringLiteral("[%1]:%2").arg(host).arg(port)
            : QStringLiteral("%1:%2").arg(host).arg(port);
}

namespace transport {

QStringList configKeys()
{
    return SerialSettings::configKeys() << QStringLiteral("tcp");
}

bool isTcp(const QVariantMap &config)
{
    return !config.value(QStringLiteral("tcp")).isNull();
}

TcpEndpoint tcpEndpoint(const QVariantMap &config)
{
    TcpEndpoint endpoint;
    TcpEndpoint::parse(config.value(QStringLiteral("tcp")).toString(), &endpoint);
    return endpoint;
}

QString check(const QVariantMap &config, Idn idn)
{
    if (!isTcp(config)) {
        const QVariantMap match = config.value(QStringLiteral("match")).toMap();
        if (idn == Idn::Refused && match.contains(QStringLiteral("idn")))
            return QStringLiteral("match.idn: only scpi instruments are found by their *IDN? reply");
        return SerialSettings::check(config);
    }
    const auto name = config.constFind(QStringLiteral("name"));
    if (name != config.constEnd() && !name->isNull() && name->typeId() != QMetaType::QString)
        return QStringLiteral("name: expected a string");
    for (const QString &key : {QStringLiteral("port"), QStringLiteral("match")}) {
        if (!config.value(key).isNull())
            return QStringLiteral("tcp, %1: give one of them, not both").arg(key);
    }
    for (const QString &key : SerialSettings::configKeys()) {
        if (!config.value(key).isNull())
            return QStringLiteral("%1: a serial line setting, but the device is on tcp").arg(key);
    }
    const QVariant tcp = config.value(QStringLiteral("tcp"));
    if (tcp.typeId() != QMetaType::QString)
        return QStringLiteral("tcp: expected \"HOST:PORT\" such as \"192.168.1.20:5025\"");
    const QString why = TcpEndpoint::parse(tcp.toString(), nullptr);
    if (!why.isEmpty())
        return QStringLiteral("tcp: ") + why;
    return {};
}

LinePort *makeLinePort(const QVariantMap &config, QObject *parent)
{
    if (isTcp(config))
        return new TcpLine(tcpEndpoint(config), parent);
    return new SerialLine(SerialSettings::fromConfig(config), parent);
}

void applyKeepAlive(QAbstractSocket *socket)
{
    if (!socket)
        return;
    socket->setSocketOption(QAbstractSocket::KeepAliveOption, 1);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const qintptr fd = socket->socketDescriptor();
    if (fd < 0)
        return;
    const int idle = 2;
    const int interval = 1;
    const int count = 3;
    const unsigned int userTimeoutMs = 5000;
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_USER_TIMEOUT, &userTimeoutMs, sizeof userTimeoutMs);
}

} // namespace transport

} // namespace halhub
