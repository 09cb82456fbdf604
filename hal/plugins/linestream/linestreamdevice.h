#pragma once

#include "device.h"

#include <QHash>
#include <QStringList>

#include <optional>

namespace halhub {

class LinePort;

// A board that pushes `name=value[,name=value...]` lines (docs/protocol.md section 11,
// `linestream`). Channels appear as they are first seen; a command is one
// line out, answered by the next OK/ERR line in.
class LinestreamDevice final : public Device
{
    Q_OBJECT
public:
    // Garbage that happens to look like names must not grow the channel
    // list without end.
    static constexpr int MaxChannels = 256;

    explicit LinestreamDevice(const QVariantMap &config, QObject *parent = nullptr);
    ~LinestreamDevice() override;

    DeviceInfo info() const override;

    void open() override;
    void close() override;

    void startCommand(quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(quint64 ticket) override;

private:
    void onLine(const QByteArray &line);
    bool handleAnswer(const QString &line);
    void handleSample(const QString &line, bool repaired);
    void finish(const CommandOutcome &outcome);

    QStringList m_allowedCommands;      // empty: any plain name
    LinePort *m_line = nullptr;          // serial or tcp
    QList<ChannelInfo> m_channels;
    QHash<QString, ChannelType> m_channelTypes;
    QHash<QString, QString> m_units;    // config `units`: name -> unit
    std::optional<quint64> m_waiting;   // the command whose OK/ERR is due
};

} // namespace halhub
