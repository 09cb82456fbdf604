#include "modbusdevice.h"

#include "bus/clock.h"
#include "hallogging.h"
#include "transport/portregistry.h"

#include <QFileInfo>
#include <QModbusReply>
#include <QModbusRtuSerialClient>
#include <QModbusTcpClient>
#include <QTcpSocket>

#include <cmath>

namespace halhub {

namespace {

CommandOutcome unavailable()
{
    return CommandOutcome::error(QStringLiteral("device_unavailable"),
                                 QStringLiteral("the serial line is not open"));
}

ParamSpec integerParam(const QString &name, double minimum, double maximum)
{
    ParamSpec p;
    p.name = name;
    p.type = ParamType::Integer;
    p.required = true;
    p.minimum = minimum;
    p.maximum = maximum;
    return p;
}

} // namespace

ModbusDevice::ModbusDevice(const QVariantMap &config, QObject *parent)
    : Device(config, parent)
    , m_settings(SerialSettings::fromConfig(config))
    , m_channels(modbusChannels(config.value(QStringLiteral("channels")).toMap()))
{
    if (config.contains(QStringLiteral("unit")))
        m_unit = config.value(QStringLiteral("unit")).toInt();
    if (config.contains(QStringLiteral("poll_hz")))
        m_pollHz = config.value(QStringLiteral("poll_hz")).toDouble();
    if (transport::isTcp(config))
        m_tcp = transport::tcpEndpoint(config);
    const QVariant maxGap = config.value(QStringLiteral("max_gap"));
    m_reads = groupReads(m_channels, maxGap.isNull() ? -1 : maxGap.toInt());
    // A port named in the config is this device's: never probed by another.
    if (!m_tcp && !m_settings.port.isEmpty())
        PortRegistry::claim(m_settings.port, this);

    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ModbusDevice::attemptOpen);
    m_presenceTimer.setInterval(1000);
    connect(&m_presenceTimer, &QTimer::timeout, this, &ModbusDevice::checkPresence);
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this]() {
        qCDebug(lcSerial) << id() << "no connection within" << TcpConnectTimeoutMs << "ms";
        if (m_client) {
            disconnect(m_client, nullptr, this, nullptr);
            m_client->disconnectDevice();
        }
        m_retryTimer.start(m_backoff.next());
    });
    m_pollTimer.setTimerType(Qt::PreciseTimer);
    m_pollTimer.setInterval(std::max(1, int(std::lround(1000.0 / m_pollHz))));
    connect(&m_pollTimer, &QTimer::timeout, this, &ModbusDevice::onPollTick);
}

ModbusDevice::~ModbusDevice()
{
    m_wanted = false;
    if (m_client) {
        disconnect(m_client, nullptr, this, nullptr);
        m_client->disconnectDevice();
    }
    PortRegistry::release(this);
}

DeviceInfo ModbusDevice::info() const
{
    DeviceInfo info = baseInfo(QStringLiteral("modbus"));
    info.port = m_tcp ? m_tcp->describe() : m_path.isEmpty() ? m_settings.port : m_path;
    info.rateHz = m_pollHz;
    for (const ModbusChannel &c : m_channels)
        info.channels << ChannelInfo{c.name, c.unit, c.channelType()};
    info.commands << CommandSpec{QStringLiteral("write_register"),
                                 QStringLiteral("Writes a raw 16-bit holding register (function 06)"),
                                 {integerParam(QStringLiteral("address"), 0, 65535),
                                  integerParam(QStringLiteral("value"), -32768, 65535)}};
    ParamSpec coil;
    coil.name = QStringLiteral("value");
    coil.type = ParamType::Bool;
    coil.required = true;
    info.commands << CommandSpec{QStringLiteral("write_coil"),
                                 QStringLiteral("Writes a coil (function 05)"),
                                 {integerParam(QStringLiteral("address"), 0, 65535), coil}};
    return info;
}

void ModbusDevice::open()
{
    if (m_wanted)
        return;
    m_wanted = true;
    m_backoff.reset();
    attemptOpen();
}

void ModbusDevice::close()
{
    m_wanted = false;
    m_retryTimer.stop();
    m_presenceTimer.stop();
    m_connectTimer.stop();
    m_pollTimer.stop();
    PortRegistry::release(this);
    m_queued.clear();
    m_inFlightTicket.reset();
    m_inFlight = nullptr;
    m_cycleRead = -1;
    if (m_client) {
        disconnect(m_client, nullptr, this, nullptr);
        m_client->disconnectDevice();
        m_client->deleteLater();
        m_client = nullptr;
    }
    setState(DeviceState::Disconnected);
}

QModbusClient *ModbusDevice::makeClient(QString *where)
{
    if (m_tcp) {
        auto *client = new QModbusTcpClient(this);
        client->setConnectionParameter(QModbusDevice::NetworkAddressParameter, m_tcp->host);
        client->setConnectionParameter(QModbusDevice::NetworkPortParameter, m_tcp->port);
        *where = m_tcp->describe();
        return client;
    }
    const QString path = m_settings.port.isEmpty()
            ? m_settings.resolve(PortRegistry::ports())
            : m_settings.port;
    auto *client = new QModbusRtuSerialClient(this);
    client->setConnectionParameter(QModbusDevice::SerialPortNameParameter, path);
    client->setConnectionParameter(QModbusDevice::SerialBaudRateParameter, m_settings.baud);
    client->setConnectionParameter(QModbusDevice::SerialDataBitsParameter, m_settings.dataBits);
    client->setConnectionParameter(QModbusDevice::SerialParityParameter, m_settings.parity);
    client->setConnectionParameter(QModbusDevice::SerialStopBitsParameter, m_settings.stopBits);
    *where = path;
    return client;
}

void ModbusDevice::attemptOpen()
{
    if (!m_wanted)
        return;
    // A fresh client each time: nothing of a lost link's requests survives.
    if (m_client) {
        disconnect(m_client, nullptr, this, nullptr);
        m_client->disconnectDevice();
        m_client->deleteLater();
    }
    QString where;
    m_client = makeClient(&where);
    m_client->setTimeout(ReplyTimeoutMs);
    m_client->setNumberOfRetries(0);
    if (!m_tcp && !where.isEmpty())
        PortRegistry::claim(where, this);
    if (where.isEmpty() || !m_client->connectDevice()
        || m_client->state() == QModbusDevice::UnconnectedState) {
        const QString reason = where.isEmpty()
                ? m_settings.notFoundReason()
                : SerialSettings::openFailureReason(where, m_client->errorString());
        qCDebug(lcSerial).noquote() << id() << reason;
        m_client->disconnectDevice();
        if (m_settings.port.isEmpty())
            PortRegistry::release(this);
        m_retryTimer.start(m_backoff.next());
        reportOpenFailure(reason);
        return;
    }
    connect(m_client, &QModbusDevice::errorOccurred, this, &ModbusDevice::onClientError);
    connect(m_client, &QModbusDevice::stateChanged, this, [this, where](QModbusDevice::State state) {
        if (state == QModbusDevice::ConnectedState && m_connectTimer.isActive()) {
            m_connectTimer.stop();
            onConnected(where);
        } else if (state == QModbusDevice::UnconnectedState) {
            if (m_connectTimer.isActive()) {
                // A tcp connect that failed (refused, unreachable).
                m_connectTimer.stop();
                m_retryTimer.start(m_backoff.next());
                return;
            }
            lose(m_tcp ? QStringLiteral("connection closed") : QStringLiteral("port closed"));
        }
    });
    if (m_client->state() == QModbusDevice::ConnectedState)
        onConnected(where);
    else
        m_connectTimer.start(TcpConnectTimeoutMs);   // tcp connects in the background
}

void ModbusDevice::onConnected(const QString &where)
{
    if (m_tcp) {
        m_path = where;
        transport::applyKeepAlive(m_client->findChild<QTcpSocket *>());
    } else {
        m_path = QFileInfo(where).canonicalFilePath();
        if (m_path.isEmpty())
            m_path = where;
        m_openedPath = where;
        m_presenceTimer.start();
    }
    m_backoff.reset();
    qCInfo(lcSerial).noquote() << "opened" << m_path << "for" << id();
    setState(DeviceState::Connected);
    if (!m_reads.isEmpty())
        m_pollTimer.start();
    onPollTick();
}

void ModbusDevice::onClientError()
{
    if (!m_client)
        return;
    switch (m_client->error()) {
    case QModbusDevice::ReadError:
    case QModbusDevice::WriteError:
    case QModbusDevice::ConnectionError:
        // A pty whose far side closed reports read errors in a loop until
        // the port is closed.
        lose(m_client->errorString());
        break;
    default:
        break;
    }
}

void ModbusDevice::checkPresence()
{
    if (!m_openedPath.isEmpty() && !QFileInfo::exists(m_openedPath))
        lose(QStringLiteral("%1 vanished").arg(m_openedPath));
}

void ModbusDevice::lose(const QString &reason)
{
    if (state() != DeviceState::Connected || !m_client)
        return;
    qCInfo(lcSerial).noquote() << "lost" << m_path << ":" << reason;
    noteLost(reason);
    QModbusClient *client = std::exchange(m_client, nullptr);
    disconnect(client, nullptr, this, nullptr);
    client->disconnectDevice();
    client->deleteLater();
    m_presenceTimer.stop();
    m_pollTimer.stop();
    m_inFlight = nullptr;
    m_cycleRead = -1;
    QList<quint64> tickets;
    if (m_inFlightTicket)
        tickets << *m_inFlightTicket;
    m_inFlightTicket.reset();
    for (const Write &w : std::as_const(m_queued))
        tickets << w.ticket;
    m_queued.clear();
    m_retryTimer.start(m_backoff.next());
    setState(DeviceState::Disconnected);
    for (quint64 ticket : tickets)
        Q_EMIT commandFinished(ticket, unavailable());
}

void ModbusDevice::onPollTick()
{
    if (state() != DeviceState::Connected || m_reads.isEmpty() || m_cycleRead >= 0)
        return;
    m_cycleRead = 0;
    m_cycleSample = Sample();
    m_cycleSample.device = id();
    pump();
}

bool ModbusDevice::track(QModbusReply *reply)
{
    if (!reply) {
        lose(m_client ? m_client->errorString() : QStringLiteral("no client"));
        return false;
    }
    m_inFlight = reply;
    if (reply->isFinished()) {
        // Broadcasts finish at once; nothing here sends them, but be safe.
        QMetaObject::invokeMethod(reply, &QModbusReply::finished, Qt::QueuedConnection);
    }
    return true;
}

void ModbusDevice::pump()
{
    if (m_inFlight || !m_client || state() != DeviceState::Connected)
        return;
    if (!m_queued.isEmpty()) {
        const Write write = m_queued.takeFirst();
        QModbusReply *reply = m_client->sendWriteRequest(write.unit, m_unit);
        const quint64 ticket = write.ticket;
        m_inFlightTicket = ticket;
        if (!track(reply))
            return;
        connect(reply, &QModbusReply::finished, this,
                [this, reply, ticket]() { onWriteFinished(reply, ticket); });
        return;
    }
    if (m_cycleRead >= 0 && m_cycleRead < m_reads.size()) {
        const ModbusRead &read = m_reads.at(m_cycleRead);
        QModbusReply *reply = m_client->sendReadRequest(
                QModbusDataUnit(read.table, read.start, quint16(read.count)), m_unit);
        if (!track(reply))
            return;
        connect(reply, &QModbusReply::finished, this, [this, reply]() { onReadFinished(reply); });
    }
}

CommandOutcome ModbusDevice::failure(QModbusReply *reply) const
{
    if (reply->error() == QModbusDevice::ProtocolError) {
        return CommandOutcome::error(
                QStringLiteral("modbus_exception"),
                QStringLiteral("exception %1: %2")
                        .arg(int(reply->rawResult().exceptionCode()))
                        .arg(reply->errorString()));
    }
    if (reply->error() == QModbusDevice::TimeoutError) {
        return CommandOutcome::error(QStringLiteral("no_reply"),
                                     QStringLiteral("no reply within %1 ms").arg(ReplyTimeoutMs));
    }
    return CommandOutcome::error(QStringLiteral("device_error"), reply->errorString());
}

void ModbusDevice::onReadFinished(QModbusReply *reply)
{
    reply->deleteLater();
    if (reply != m_inFlight)
        return;
    m_inFlight = nullptr;
    if (m_cycleRead < 0 || m_cycleRead >= m_reads.size())
        return;
    if (reply->error() != QModbusDevice::NoError) {
        const CommandOutcome why = failure(reply);
        Q_EMIT errorOccurred(QStringLiteral("%1: %2").arg(why.errorCode, why.errorMessage));
        // A slave that does not answer ends the cycle; one that refuses a
        // read only loses that read's channels, the others still arrive.
        if (reply->error() != QModbusDevice::ProtocolError) {
            m_cycleRead = -1;
            pump();
            return;
        }
    } else {
        const QModbusDataUnit unit = reply->result();
        const ModbusRead &read = m_reads.at(m_cycleRead);
        for (int index : read.channels) {
            const ModbusChannel &c = m_channels.at(index);
            m_cycleSample.values << ChannelValue{c.name, c.decode(unit)};
        }
    }
    if (++m_cycleRead == m_reads.size()) {
        m_cycleRead = -1;
        m_cycleSample.timestampUs = wallClockUs();
        if (!m_cycleSample.values.isEmpty())
            Q_EMIT sampleReady(m_cycleSample);
    }
    pump();
}

void ModbusDevice::onWriteFinished(QModbusReply *reply, quint64 ticket)
{
    reply->deleteLater();
    if (reply != m_inFlight)
        return;
    m_inFlight = nullptr;
    // An aborted write still occupied the line; its answer is dropped.
    const bool wanted = m_inFlightTicket == ticket;
    m_inFlightTicket.reset();
    if (wanted) {
        Q_EMIT commandFinished(ticket, reply->error() == QModbusDevice::NoError
                                               ? CommandOutcome::ok()
                                               : failure(reply));
    }
    pump();
}

void ModbusDevice::startCommand(quint64 ticket, const QString &command, const QVariantMap &params)
{
    const int address = params.value(QStringLiteral("address")).toInt();
    Write write;
    write.ticket = ticket;
    if (command == QLatin1String("write_register")) {
        const qint64 value = params.value(QStringLiteral("value")).toLongLong();
        if (value < -32768 || value > 65535 || address < 0 || address > 65535) {
            Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                                   QStringLiteral("invalid_params"),
                                                   QStringLiteral("value: expected a 16-bit value")));
            return;
        }
        write.unit = QModbusDataUnit(QModbusDataUnit::HoldingRegisters, address,
                                     QList<quint16>{quint16(value)});
    } else if (command == QLatin1String("write_coil")) {
        write.unit = QModbusDataUnit(QModbusDataUnit::Coils, address,
                                     QList<quint16>{quint16(params.value(QStringLiteral("value"))
                                                                    .toBool() ? 1 : 0)});
    } else {
        Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                               QStringLiteral("unknown_command"),
                                               QStringLiteral("no command \"%1\"").arg(command)));
        return;
    }
    if (state() != DeviceState::Connected) {
        Q_EMIT commandFinished(ticket, unavailable());
        return;
    }
    m_queued << write;
    pump();
}

void ModbusDevice::abortCommand(quint64 ticket)
{
    for (qsizetype i = 0; i < m_queued.size(); ++i) {
        if (m_queued.at(i).ticket == ticket) {
            m_queued.removeAt(i);
            return;
        }
    }
    if (m_inFlightTicket == ticket)
        m_inFlightTicket.reset();
}

} // namespace halhub
