#include "linestreamdevice.h"

#include "bus/clock.h"
#include "serial/linevalues.h"
#include "transport/lineport.h"
#include "transport/transport.h"

#include <QStringDecoder>

namespace halhub {

namespace {

CommandOutcome unavailable()
{
    return CommandOutcome::error(QStringLiteral("device_unavailable"),
                                 QStringLiteral("the serial line is not open"));
}

ChannelType typeOf(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::LongLong:
        return ChannelType::Int;
    case QMetaType::Double:
        return ChannelType::Float;
    default:
        return ChannelType::String;
    }
}

} // namespace

LinestreamDevice::LinestreamDevice(const QVariantMap &config, QObject *parent)
    : Device(config, parent)
    , m_line(transport::makeLinePort(config, this))
{
    for (const QVariant &command : config.value(QStringLiteral("commands")).toList())
        m_allowedCommands << command.toString();
    const QVariantMap units = config.value(QStringLiteral("units")).toMap();
    for (auto it = units.constBegin(); it != units.constEnd(); ++it)
        m_units.insert(it.key(), it->toString());
    connect(m_line, &LinePort::opened, this, [this]() { setState(DeviceState::Connected); });
    connect(m_line, &LinePort::openFailed, this, &LinestreamDevice::reportOpenFailure);
    connect(m_line, &LinePort::lost, this, [this](const QString &reason) {
        noteLost(reason);
        if (m_waiting)
            finish(unavailable());
        setState(DeviceState::Disconnected);
    });
    connect(m_line, &LinePort::lineReceived, this, &LinestreamDevice::onLine);
    connect(m_line, &LinePort::dataError, this, &Device::errorOccurred);
}

LinestreamDevice::~LinestreamDevice() = default;

DeviceInfo LinestreamDevice::info() const
{
    DeviceInfo info = baseInfo(QStringLiteral("linestream"));
    info.port = m_line->portPath();
    info.channels = m_channels;
    info.dynamicChannels = true;
    info.anyCommand = m_allowedCommands.isEmpty();
    ParamSpec args;
    args.name = QStringLiteral("args");
    args.type = ParamType::List;
    for (const QString &name : m_allowedCommands)
        info.commands << CommandSpec{name, QStringLiteral("Sends \"%1 args...\"").arg(name), {args}};
    return info;
}

void LinestreamDevice::open()
{
    m_line->open();
}

void LinestreamDevice::close()
{
    m_waiting.reset();
    m_line->close();
    setState(DeviceState::Disconnected);
}

void LinestreamDevice::onLine(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString line = decoder.decode(bytes);
    const bool repaired = decoder.hasError();
    if (handleAnswer(line))
        return;
    handleSample(line, repaired);
}

bool LinestreamDevice::handleAnswer(const QString &line)
{
    const bool ok = line == QLatin1String("OK") || line.startsWith(QLatin1String("OK "));
    const bool err = line == QLatin1String("ERR") || line.startsWith(QLatin1String("ERR "));
    if (!ok && !err)
        return false;
    // An answer nobody waits for (a command aborted, a board that talks to
    // itself) is dropped.
    if (m_waiting) {
        const QString rest = line.mid(ok ? 3 : 4);
        if (ok)
            finish(CommandOutcome::ok(rest.isEmpty() ? QVariant() : QVariant(rest)));
        else
            finish(CommandOutcome::error(QStringLiteral("device_error"),
                                         rest.isEmpty() ? QStringLiteral("ERR") : rest));
    }
    return true;
}

void LinestreamDevice::handleSample(const QString &line, bool repaired)
{
    if (line.isEmpty())
        return;
    const qint64 arrivedUs = wallClockUs();
    QStringList problems;
    if (repaired)
        problems << QStringLiteral("invalid UTF-8 replaced");
    Sample sample;
    sample.device = id();
    sample.timestampUs = arrivedUs;
    bool grew = false;
    const QStringList pairs = line.split(QLatin1Char(','));
    for (const QString &pair : pairs) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        const QString name = eq < 0 ? QString() : pair.left(eq).trimmed();
        if (eq < 0 || !isPlainName(name)) {
            problems << QStringLiteral("not name=value: \"%1\"").arg(pair.left(40));
            continue;
        }
        const QString text = pair.mid(eq + 1).trimmed();
        QVariant value = parseJsonNumber(text.toLatin1());
        if (!value.isValid())
            value = text;
        if (!m_channelTypes.contains(name)) {
            if (m_channelTypes.size() >= MaxChannels) {
                problems << QStringLiteral("more than %1 channels: \"%2\" ignored")
                                    .arg(MaxChannels)
                                    .arg(name);
                continue;
            }
            m_channelTypes.insert(name, typeOf(value));
            m_channels << ChannelInfo{name, m_units.value(name), typeOf(value)};
            grew = true;
        }
        sample.values << ChannelValue{name, value};
    }
    if (grew)
        Q_EMIT infoChanged();
    if (!sample.values.isEmpty())
        Q_EMIT sampleReady(sample);
    if (!problems.isEmpty())
        Q_EMIT errorOccurred(QStringLiteral("bad line from device: ") + problems.join(QStringLiteral("; ")));
}

void LinestreamDevice::startCommand(quint64 ticket, const QString &command,
                                    const QVariantMap &params)
{
    if (!isPlainName(command)
        || (!m_allowedCommands.isEmpty() && !m_allowedCommands.contains(command))) {
        Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                               QStringLiteral("unknown_command"),
                                               QStringLiteral("no command \"%1\"").arg(command)));
        return;
    }
    QString out = command;
    const QVariant argsValue = params.value(QStringLiteral("args"));
    if (!argsValue.isNull()) {
        if (argsValue.typeId() != QMetaType::QVariantList) {
            Q_EMIT commandFinished(ticket, CommandOutcome::error(
                                                   QStringLiteral("invalid_params"),
                                                   QStringLiteral("args: expected a list")));
            return;
        }
        const QVariantList args = argsValue.toList();
        for (qsizetype i = 0; i < args.size(); ++i) {
            const QVariant &arg = args.at(i);
            QString text;
            const bool sendable = arg.typeId() != QMetaType::Bool && formatParam(arg, &text)
                    && !text.isEmpty() && !text.contains(QLatin1Char(' '))
                    && !text.contains(QLatin1Char('\t'));
            if (!sendable) {
                Q_EMIT commandFinished(
                        ticket,
                        CommandOutcome::error(QStringLiteral("invalid_params"),
                                              QStringLiteral("args[%1]: expected a number or a "
                                                             "string without blanks")
                                                      .arg(i)));
                return;
            }
            out += QLatin1Char(' ') + text;
        }
    }
    if (state() != DeviceState::Connected || !m_line->write(out.toUtf8() + '\n')) {
        Q_EMIT commandFinished(ticket, unavailable());
        return;
    }
    m_waiting = ticket;
}

void LinestreamDevice::abortCommand(quint64 ticket)
{
    if (m_waiting == ticket)
        m_waiting.reset();
}

void LinestreamDevice::finish(const CommandOutcome &outcome)
{
    if (!m_waiting)
        return;
    const quint64 ticket = *m_waiting;
    m_waiting.reset();
    Q_EMIT commandFinished(ticket, outcome);
}

} // namespace halhub
