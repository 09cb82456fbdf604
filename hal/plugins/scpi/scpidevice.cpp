#include "scpidevice.h"

#include "bus/clock.h"
#include "serial/linevalues.h"
#include "hallogging.h"
#include "transport/lineport.h"
#include "transport/transport.h"

#include <QRegularExpression>
#include <QStringDecoder>

#include <cmath>

namespace halhub {

namespace {

const QString kRaw = QStringLiteral("scpi");

CommandOutcome unavailable()
{
    return CommandOutcome::error(QStringLiteral("device_unavailable"),
                                 QStringLiteral("the serial line is not open"));
}

QVariant replyValue(const QByteArray &line)
{
    const QByteArray trimmed = line.trimmed();
    bool ok = false;
    const double d = trimmed.toDouble(&ok);
    if (ok && std::isfinite(d))
        return d;
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    return QString(decoder.decode(line));
}

} // namespace

ScpiDevice::ScpiDevice(const QVariantMap &config, QObject *parent)
    : Device(config, parent)
    , m_line(transport::makeLinePort(config, this))
{
    if (config.contains(QStringLiteral("poll_hz")))
        m_pollHz = config.value(QStringLiteral("poll_hz")).toDouble();
    if (config.contains(QStringLiteral("reply_timeout_ms")))
        m_replyTimeoutMs = config.value(QStringLiteral("reply_timeout_ms")).toInt();
    // QVariantMap is sorted by name: the poll order is alphabetical, stable
    // whatever order the JSON had.
    m_channels = scpiChannels(config.value(QStringLiteral("channels")).toMap());
    m_commands = scpiCommands(config.value(QStringLiteral("commands")).toMap());

    m_pollTimer.setTimerType(Qt::PreciseTimer);
    m_pollTimer.setInterval(std::max(1, int(std::lround(1000.0 / m_pollHz))));
    connect(&m_pollTimer, &QTimer::timeout, this, &ScpiDevice::onPollTick);
    m_replyTimer.setSingleShot(true);
    connect(&m_replyTimer, &QTimer::timeout, this, &ScpiDevice::onReplyTimeout);

    connect(m_line, &LinePort::opened, this, &ScpiDevice::onOpened);
    connect(m_line, &LinePort::lost, this, &ScpiDevice::onLost);
    connect(m_line, &LinePort::openFailed, this, &ScpiDevice::reportOpenFailure);
    connect(m_line, &LinePort::lineReceived, this, &ScpiDevice::onLine);
    connect(m_line, &LinePort::dataError, this, &Device::errorOccurred);
}

ScpiDevice::~ScpiDevice() = default;

DeviceInfo ScpiDevice::info() const
{
    DeviceInfo info = baseInfo(QStringLiteral("scpi"));
    info.port = m_line->portPath();
    info.rateHz = m_pollHz;
    for (const ScpiChannel &channel : m_channels)
        info.channels << ChannelInfo{channel.name, channel.unit, ChannelType::Float};
    ParamSpec line;
    line.name = QStringLiteral("line");
    line.type = ParamType::String;
    line.required = true;
    info.commands << CommandSpec{kRaw,
                                 QStringLiteral("Sends a raw line; a query (ending in ?) "
                                                "returns the reply"),
                                 {line}};
    for (const ScpiCommand &command : m_commands)
        info.commands << command.spec;
    return info;
}

void ScpiDevice::open()
{
    m_line->open();
}

void ScpiDevice::close()
{
    m_pollTimer.stop();
    m_replyTimer.stop();
    m_inFlight.reset();
    m_queuedCommands.clear();
    m_ghost = false;
    m_cycleIndex = -1;
    m_line->close();
    setState(DeviceState::Disconnected);
}

void ScpiDevice::onOpened()
{
    setState(DeviceState::Connected);
    if (!m_channels.isEmpty())
        m_pollTimer.start();
    onPollTick();
}

void ScpiDevice::onLost(const QString &reason)
{
    noteLost(reason);
    m_pollTimer.stop();
    abandonAll(unavailable());
    setState(DeviceState::Disconnected);
}

void ScpiDevice::abandonAll(const CommandOutcome &outcome)
{
    m_replyTimer.stop();
    m_ghost = false;
    m_cycleIndex = -1;
    QList<quint64> tickets;
    if (m_inFlight && m_inFlight->isCommand)
        tickets << m_inFlight->ticket;
    m_inFlight.reset();
    for (const Exchange &queued : std::as_const(m_queuedCommands))
        tickets << queued.ticket;
    m_queuedCommands.clear();
    for (quint64 ticket : tickets)
        Q_EMIT commandFinished(ticket, outcome);
}

void ScpiDevice::onPollTick()
{
    if (state() != DeviceState::Connected || m_channels.isEmpty())
        return;
    if (m_cycleIndex >= 0) {
        ++m_skippedPolls;
        return;
    }
    m_cycleIndex = 0;
    m_cycleSample = Sample();
    m_cycleSample.device = id();
    pump();
}

void ScpiDevice::pump()
{
    // Loops rather than recursing: writes that expect no reply finish at once.
    while (!m_inFlight && !m_ghost && state() == DeviceState::Connected) {
        if (!m_queuedCommands.isEmpty()) {
            send(m_queuedCommands.takeFirst());
            continue;
        }
        if (m_cycleIndex >= 0 && m_cycleIndex < m_channels.size()) {
            Exchange query;
            query.line = m_channels.at(m_cycleIndex).query;
            query.expectsReply = true;
            send(query);
            continue;
        }
        return;
    }
}

void ScpiDevice::send(const Exchange &exchange)
{
    if (!m_line->write(exchange.line + '\n')) {
        if (exchange.isCommand)
            Q_EMIT commandFinished(exchange.ticket, unavailable());
        m_cycleIndex = -1;
        return;
    }
    if (!exchange.expectsReply) {
        Q_EMIT commandFinished(exchange.ticket, CommandOutcome::ok());
        return;
    }
    m_inFlight = exchange;
    m_replyTimer.start(m_replyTimeoutMs);
}

void ScpiDevice::onLine(const QByteArray &line)
{
    if (m_ghost) {
        m_ghost = false;
        m_replyTimer.stop();
        pump();
        return;
    }
    if (!m_inFlight) {
        qCDebug(lcSerial) << id() << "ignores an unasked line" << line.left(80);
        return;
    }
    m_replyTimer.stop();
    const Exchange answered = *m_inFlight;
    m_inFlight.reset();
    if (answered.isCommand) {
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString text = decoder.decode(line);
        Q_EMIT commandFinished(answered.ticket, CommandOutcome::ok(text));
    } else if (m_cycleIndex >= 0 && m_cycleIndex < m_channels.size()) {
        m_cycleSample.values << ChannelValue{m_channels.at(m_cycleIndex).name, replyValue(line)};
        if (++m_cycleIndex == m_channels.size()) {
            m_cycleIndex = -1;
            m_cycleSample.timestampUs = wallClockUs();
            Q_EMIT sampleReady(m_cycleSample);
        }
    }
    pump();
}

void ScpiDevice::onReplyTimeout()
{
    if (m_ghost) {
        m_ghost = false;
        pump();
        return;
    }
    if (!m_inFlight)
        return;
    const Exchange unanswered = *m_inFlight;
    m_inFlight.reset();
    const QString message = QStringLiteral("no reply to \"%1\" within %2 ms")
                                    .arg(QString::fromUtf8(unanswered.line))
                                    .arg(m_replyTimeoutMs);
    if (unanswered.isCommand) {
        Q_EMIT commandFinished(unanswered.ticket,
                               CommandOutcome::error(QStringLiteral("no_reply"), message));
    } else {
        // The rest of this cycle is dropped: the next tick starts afresh.
        m_cycleIndex = -1;
        Q_EMIT errorOccurred(message);
    }
    pump();
}

void ScpiDevice::startCommand(quint64 ticket, const QString &command, const QVariantMap &params)
{
    QString text;
    if (command == kRaw) {
        text = params.value(QStringLiteral("line")).toString();
        if (text.trimmed().isEmpty() || text.contains(QLatin1Char('\n'))
            || text.contains(QLatin1Char('\r'))) {
            Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                                   QStringLiteral("invalid_params"),
                                                   QStringLiteral("line: expected one line of text")));
            return;
        }
    } else if (m_commands.contains(command)) {
        const QString templ = m_commands.value(command).templ;
        qsizetype last = 0;
        QRegularExpressionMatchIterator names = templatePlaceholder().globalMatch(templ);
        while (names.hasNext()) {
            const QRegularExpressionMatch m = names.next();
            text += templ.mid(last, m.capturedStart() - last);
            QString value;
            if (!formatParam(params.value(m.captured(1)), &value)) {
                Q_EMIT commandFinished(
                        ticket, CommandOutcome::error(
                                        QStringLiteral("invalid_params"),
                                        QStringLiteral("%1: expected a number, bool or one-line "
                                                       "string")
                                                .arg(m.captured(1))));
                return;
            }
            text += value;
            last = m.capturedEnd();
        }
        text += templ.mid(last);
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
    Exchange exchange;
    exchange.line = text.toUtf8();
    exchange.expectsReply = text.trimmed().endsWith(QLatin1Char('?'));
    exchange.isCommand = true;
    exchange.ticket = ticket;
    m_queuedCommands << exchange;
    pump();
}

void ScpiDevice::abortCommand(quint64 ticket)
{
    for (qsizetype i = 0; i < m_queuedCommands.size(); ++i) {
        if (m_queuedCommands.at(i).ticket == ticket) {
            m_queuedCommands.removeAt(i);
            return;
        }
    }
    if (m_inFlight && m_inFlight->isCommand && m_inFlight->ticket == ticket) {
        // The reply timer keeps running for the ghost.
        m_inFlight.reset();
        m_ghost = true;
    }
}

} // namespace halhub
