#pragma once

#include "device.h"
#include "scpiconfig.h"

#include <QList>
#include <QMap>
#include <QTimer>

#include <optional>

namespace halhub {

class LinePort;

// A SCPI instrument (docs/protocol.md section 11, `scpi`). The line carries one query at
// a time: a poll cycle asks each channel in turn and makes one sample; a
// command waits for the query in flight and goes before the next one. A
// poll tick that finds the previous cycle unfinished is skipped, so a slow
// instrument lowers the rate instead of building a queue.
class ScpiDevice final : public Device
{
    Q_OBJECT
public:
    static constexpr double MaxPollHz = 1000.0;
    static constexpr double DefaultPollHz = 1.0;
    static constexpr int DefaultReplyTimeoutMs = 500;

    explicit ScpiDevice(const QVariantMap &config, QObject *parent = nullptr);
    ~ScpiDevice() override;

    DeviceInfo info() const override;

    void open() override;
    void close() override;

    void startCommand(quint64 ticket, const QString &command,
                      const QVariantMap &params) override;
    void abortCommand(quint64 ticket) override;

    // Poll ticks that found a cycle still running (for tests and logs).
    int skippedPolls() const { return m_skippedPolls; }

private:
    struct Exchange
    {
        QByteArray line;
        bool expectsReply = false;
        bool isCommand = false;
        quint64 ticket = 0;
    };

    void onOpened();
    void onLost(const QString &reason);
    void onPollTick();
    void onLine(const QByteArray &line);
    void onReplyTimeout();
    void pump();
    void send(const Exchange &exchange);
    void finishCommand(quint64 ticket, const CommandOutcome &outcome);
    void abandonAll(const CommandOutcome &outcome);

    double m_pollHz = DefaultPollHz;
    int m_replyTimeoutMs = DefaultReplyTimeoutMs;
    QList<ScpiChannel> m_channels;      // in name order
    QMap<QString, ScpiCommand> m_commands;
    LinePort *m_line = nullptr;          // serial or tcp

    QTimer m_pollTimer;
    QTimer m_replyTimer;
    std::optional<Exchange> m_inFlight;
    // An aborted query's reply may still arrive: the line stays reserved
    // until it does or its timeout passes, so it is not taken for the
    // answer to the next one.
    bool m_ghost = false;
    QList<Exchange> m_queuedCommands;
    int m_cycleIndex = -1;              // channel being asked; -1: no cycle
    Sample m_cycleSample;
    int m_skippedPolls = 0;
};

} // namespace halhub
